#!/usr/bin/env bash
# System libraries gepkit's PDF output needs besides its Python wheels, installed by `make
# install` (and so by `make demo` and `make test`):
#   * Pango (libpango-1.0-0, libpangoft2-1.0-0): the layout engine WeasyPrint draws PDFs with;
#   * Noto CJK (fonts-noto-cjk, SIL Open Font License): a free font with Chinese glyphs,
#     embedded in every PDF and chart;
#   * HarfBuzz's subsetter (libharfbuzz-subset0): WeasyPrint embeds only the glyphs a PDF uses;
#     without it, subsetting the large CJK fonts falls back to a slow path (≈ 9 s per PDF);
#   * poppler-utils (pdftoppm): the tests render PDF pages to PNG to look at them.
# Installs them with apt-get when they are missing and we are root (or have sudo); otherwise
# says what to install and carries on (HTML output works without them).
set -uo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
fc-list :lang=zh family 2>/dev/null | grep -q 'Noto Sans CJK' || missing+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "gepkit: please install ${missing[*]} (Pango, a Noto CJK font and poppler) with your" \
       "system's package manager; PDF output needs them." >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
  echo "gepkit: run 'apt-get install ${missing[*]}' as root; PDF output needs them." >&2
  exit 0
fi
echo "gepkit: installing ${missing[*]} (apt-get)"
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
  $sudo apt-get update -q >/dev/null && \
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || \
    echo "gepkit: could not install ${missing[*]}; PDF output needs them." >&2
fi
exit 0
