"""HTML → PDF with WeasyPrint, and the CSS font stack that gives Chinese text its glyphs.

WeasyPrint finds fonts through fontconfig (nothing is fetched) and embeds the glyphs a document
uses.  The CJK fonts are those ``scripts/setup-system.sh`` installs (Noto Sans CJK, SIL Open Font
License) or common alternatives.
"""

from __future__ import annotations

from pathlib import Path

#: CSS families with Chinese glyphs, in order of preference.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei")

#: How to get a CJK font, for error messages.
FONT_FIX = (
    "install a CJK font: `make install` (scripts/setup-system.sh) or "
    "`sudo apt-get install fonts-noto-cjk`, then try again"
)


def css_fonts(first: str | None = None) -> str:
    """The font families for a CSS ``font-family`` (without the generic family), ``first`` (a
    family known to be installed) ahead of the usual CJK fonts."""
    families = [first] if first else []
    families += [f for f in CJK_FONTS if f != first]
    return ", ".join(f'"{f}"' for f in families)


def write_pdf(html: str, path: Path) -> None:
    """Render the HTML to PDF (WeasyPrint; fonts through fontconfig, nothing fetched)."""
    from weasyprint import HTML

    # hinting=True keeps the fonts' hints: removing them from a CJK font costs seconds.
    HTML(string=html, base_url=None).write_pdf(str(path), hinting=True)
