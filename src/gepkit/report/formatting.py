"""Numbers as a Chinese or English reader expects them in a GEP document.

Money in 亿元 / 万元 (Chinese) or CNY billion / million (English), physical quantities with the
Chinese 万 / 亿 / 万亿 or the English million / billion / trillion, percentages, signed growth
rates and very small or very large numbers in scientific notation (5.82 × 10⁻¹⁸).  Shared by the
accounting report (:mod:`gepkit.report`) and the parcel summary of ``gep value-area``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MINUS = "−"
_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def _finite(values: Any) -> list[float]:
    return [abs(float(v)) for v in np.ravel(np.asarray(values, dtype="float64")) if np.isfinite(v)]


def money_scale(values: Any, lang: str, *, billions: bool = False) -> tuple[float, str]:
    """(divisor, unit label) for a set of money values in CNY.

    Chinese: 亿元 from 1 亿 on, else 万元.  English: CNY million, or with ``billions`` CNY billion
    from 1 billion on (the report's totals; the parcel summary keeps millions)."""
    largest = max(_finite(values), default=0.0)
    if lang == "en":
        if billions and largest >= 1e9:
            return 1e9, "CNY billion"
        return 1e6, "CNY million"
    return (1e8, "亿元") if largest >= 1e8 else (1e4, "万元")


def number(value: Any, digits: int | None = None) -> str:
    """Thousands separators; decimals by magnitude (2 below 100, 1 below 10,000, else 0)."""
    if value is None:
        return "–"
    value = float(value)
    if not math.isfinite(value):
        return "–"
    if digits is None:
        size = abs(value)
        digits = 2 if size < 100 else 1 if size < 10_000 else 0
    return f"{value:,.{digits}f}"


def signed_number(value: Any, digits: int | None = None) -> str:
    """:func:`number` with a typographic minus sign (−1,234.5)."""
    return _minus(number(value, digits))


def _minus(text: str) -> str:
    return MINUS + text[1:] if text.startswith("-") else text


def digits_for(values: Any) -> int:
    """Decimals for a column of numbers, by the largest: 2 below 100, 1 below 10,000, else 0 (so
    that a table's figures line up)."""
    largest = max(_finite(values), default=0.0)
    return 2 if largest < 100 else 1 if largest < 10_000 else 0


def percent(value: Any) -> str:
    """A fraction as a percentage with one decimal: 0.123 → ``12.3 %``."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    return f"{float(value) * 100:.1f} %"


def share_digits(value: float) -> int:
    """Decimals of a share in per cent: 1 from 1 % on, 2 below (0.02 % stays visible)."""
    return 1 if abs(value) >= 0.01 else 2


def share(value: Any) -> str:
    """A share as a percentage: ``71.1%``, ``0.64%``, ``<0.01%`` for a tiny positive share."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    value = float(value)
    if 0 < abs(value) < 0.00005:
        return "<0.01%"
    return f"{value * 100:.{share_digits(value)}f}%".replace("-", MINUS)


def growth(value: Any, digits: int = 1) -> str:
    """A signed rate of change: ``+3.8%``, ``−5.6%``."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    text = f"{float(value) * 100:+.{digits}f}%"
    return text.replace("-", MINUS)


def scientific(value: float, significant: int = 3) -> str:
    """``5.82 × 10⁻¹⁸``."""
    if value == 0 or not math.isfinite(value):
        return signed_number(value)
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), significant - 1) >= 10:
        mantissa /= 10
        exponent += 1
    text = f"{mantissa:.{significant - 1}f} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    return text.replace("-", MINUS, 1) if value < 0 else text


def needs_scientific(value: float) -> bool:
    size = abs(value)
    return size != 0 and (size < 1e-3 or size >= 1e15)


def plain(value: Any, significant: int = 4) -> str:
    """A parameter or a price as written in a table: thousands separators, up to ``significant``
    significant digits (trailing zeros dropped), scientific notation when tiny or huge."""
    if value is None:
        return "–"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(value):
        return "–"
    if needs_scientific(value):
        return scientific(value, significant)
    if value == int(value) and abs(value) < 1e15:
        return signed_number(value, 0)
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    digits = max(0, significant - 1 - magnitude)
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _minus(text)


def plain_digits(value: float, significant: int = 4) -> int:
    """The decimals :func:`plain` prints for ``value`` (before trailing zeros are dropped)."""
    if not value or value == int(value):
        return 0
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))


#: (divisor, Chinese prefix) for physical quantities; above 10¹⁶ scientific notation.
_ZH_STEPS = ((1e12, "万亿"), (1e8, "亿"), (1e4, "万"))
_EN_STEPS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def quantity_scale(values: Any, lang: str) -> tuple[float, str]:
    """(divisor, multiplier word) for a row of physical quantities, by the largest: 亿, 万 … in
    Chinese, million, billion … in English; (1, "") below them; (0, "") means scientific."""
    largest = max(_finite(values), default=0.0)
    if largest >= 1e16:
        return 0.0, ""
    for divisor, word in _ZH_STEPS if lang == "zh" else _EN_STEPS:
        if largest >= divisor:
            return divisor, word
    return 1.0, ""
