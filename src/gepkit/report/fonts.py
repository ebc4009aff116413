"""The font with Simplified Chinese glyphs that the report's charts and maps are drawn with.

gepkit draws every figure, Chinese or English, with one CJK font so that unit names, item names
and units (亿元, 万元) never fall back to a missing glyph (tofu □).  The font is the one the
project's setup installs (``scripts/setup-system.sh``, run by ``make install``: Debian's
``fonts-noto-cjk``, Noto Sans CJK SC, SIL Open Font License), found through fontconfig
(``fc-match``) or, without fontconfig, among the fonts matplotlib knows.  The font is registered
with matplotlib when its cache predates the font's installation.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gepkit.errors import GepError

#: Families with Simplified Chinese glyphs, in order of preference (the first is what
#: ``fonts-noto-cjk`` installs).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)

#: What fontconfig is asked for.
FC_PATTERN = "Noto Sans CJK SC:lang=zh-cn"

#: Characters a font must have to count as a Simplified Chinese font (生态产品总值, 亿元).
PROBE = "生态产品总值亿元"

FONT_FIX = (
    "run `make install` (installs fonts-noto-cjk) or `sudo apt-get install fonts-noto-cjk`, "
    "then try again"
)


class FontMissingError(GepError):
    """No font with Simplified Chinese glyphs is installed."""

    def __init__(self, detail: str = "") -> None:
        message = (
            "no font with Simplified Chinese glyphs was found (looked for "
            f"{', '.join(CJK_FAMILIES[:3])} … through fontconfig and matplotlib)"
        )
        if detail:
            message += f"; {detail}"
        super().__init__(f"{message}.\n    fix: {FONT_FIX}")


@dataclass(frozen=True)
class CjkFont:
    """A font face with Chinese glyphs: its file, its face in a collection (.ttc) and family."""

    path: Path
    index: int
    family: str


def cjk_font_path() -> Path:
    """The file of a font with Simplified Chinese glyphs (Noto Sans CJK SC when installed).

    The file may be a font collection (``NotoSansCJK-Regular.ttc``): the face to use is the one
    of family :func:`cjk_font_family`.  Raises :class:`FontMissingError` with the fix when no such
    font is installed."""
    return cjk_font().path


def cjk_font_family() -> str:
    """The family name of that font (``"Noto Sans CJK SC"``), known to matplotlib (registered
    if need be) and to fontconfig (so usable in CSS too)."""
    return cjk_font().family


@functools.cache
def cjk_font() -> CjkFont:
    """The CJK font, found once per process (see :func:`cjk_font_path`)."""
    found = _from_fontconfig() or _from_matplotlib()
    if found is None:
        raise FontMissingError()
    _register(found)
    return found


def _has_chinese(path: Path, index: int) -> bool:
    from matplotlib import ft2font

    try:
        face = ft2font.FT2Font(str(path), face_index=index)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(face.get_char_index(ord(ch)) != 0 for ch in PROBE)


def _fc_match(pattern: str) -> tuple[Path, int, str] | None:
    """fontconfig's best match for ``pattern`` as (file, face index, first family), or None
    without fontconfig.  fc-match always answers: the caller checks the glyphs."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        result = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}\n%{family[0]}", pattern],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) < 3 or not lines[0]:
        return None
    try:
        index = int(lines[1])
    except ValueError:
        index = 0
    return Path(lines[0]), index, lines[2].strip()


def _from_fontconfig() -> CjkFont | None:
    for pattern in (FC_PATTERN, *(f"{family}:lang=zh-cn" for family in CJK_FAMILIES[1:])):
        match = _fc_match(pattern)
        if match is None:
            return None
        path, index, family = match
        if path.is_file() and _has_chinese(path, index):
            return CjkFont(path=path, index=index, family=family)
    return None


def _from_matplotlib() -> CjkFont | None:
    from matplotlib import font_manager

    entries = font_manager.fontManager.ttflist
    for family in CJK_FAMILIES:
        for entry in entries:
            if entry.name == family and entry.style == "normal" and entry.weight in (400, "normal"):
                path, index = Path(entry.fname), int(getattr(entry, "index", 0))
                if path.is_file() and _has_chinese(path, index):
                    return CjkFont(path=path, index=index, family=family)
    return None


def _register(font: CjkFont) -> None:
    """Make the font known to matplotlib under its family (its cache may predate the font)."""
    from matplotlib import font_manager

    known = any(
        entry.name == font.family and Path(entry.fname) == font.path
        for entry in font_manager.fontManager.ttflist
    )
    if not known:
        font_manager.fontManager.addfont(str(font.path))
    if not any(e.name == font.family for e in font_manager.fontManager.ttflist):
        raise FontMissingError(f"matplotlib cannot read {font.path}")
