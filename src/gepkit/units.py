"""Physical and money units.

Arrays carry their unit as ``attrs["units"]`` (a string pint can parse).  Conversions use one
shared pint registry that also knows the units GEP accounting needs and plain pint does not:

* carbon, CO₂ and O₂ masses as *separate dimensions*, so that a price per tonne of carbon can
  never be applied to tonnes of CO₂ by accident: ``tCO2`` is defined as 12/44 ``tC`` and pint
  converts between them; ``t`` (soil, pollutants) cannot be converted to either;
* money: ``CNY`` (= ``yuan`` = ``元``), ``万元`` (10⁴ CNY) and ``亿元`` (10⁸ CNY).

Every flow quantity is a total over the accounting period (one calendar year), so annual
layers are declared in ``mm`` or ``gC/m^2`` rather than ``mm/a``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint
import xarray as xr

from gepkit.errors import Problem, UnitError

_DEFINITIONS = """
gC = [carbon_mass]
kgC = 1e3 * gC
tC = 1e6 * gC = MgC
gCO2 = 12/44 * gC
kgCO2 = 1e3 * gCO2
tCO2 = 1e6 * gCO2
gO2 = [oxygen_mass]
kgO2 = 1e3 * gO2
tO2 = 1e6 * gO2
CNY = [currency] = yuan = 元
万元 = 1e4 * CNY = wan_yuan
亿元 = 1e8 * CNY = yi_yuan
person = [population] = persons = 人
ion = [air_ion] = ions
万人 = 1e4 * person
万m3 = 1e4 * m^3 = wan_m3
万kWh = 1e4 * kWh = wan_kWh
亿kWh = 1e8 * kWh = yi_kWh
visit = [visit] = visits = 人次
万人次 = 1e4 * visit
亿m3 = 1e8 * m^3 = yi_m3
mu = 10000/15 * m^2 = 亩
"""


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The shared unit registry (created once)."""
    ureg: pint.UnitRegistry = pint.UnitRegistry(cache_folder=None)
    for line in _DEFINITIONS.strip().splitlines():
        ureg.define(line.strip())
    return ureg


def parse(units: str) -> pint.Unit:
    """Parse a unit string; raise :class:`UnitError` with a readable message if it is unknown."""
    try:
        return registry().parse_units(_normalise(units))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError) as err:
        raise UnitError(
            Problem(
                where="units",
                message=f"'{units}' is not a unit gepkit understands ({err})",
                hint="write units like 'mm', 'gC/m^2', 'CNY/m^3', 'tCO2', '亿元'",
            )
        ) from err


def _normalise(units: str) -> str:
    text = units.strip()
    # Common spellings in Chinese tables and GIS metadata.
    # Order matters: superscripts first, then hm^2 (a hectare, which pint spells 'hectare').
    for old, new in (("·", "*"), ("³", "^3"), ("²", "^2")):
        text = text.replace(old, new)
    text = re.sub(r"\bhm\^2\b", "hectare", text)
    # CF / UDUNITS exponents in netCDF metadata: "kg m-2 s-1" is kg·m⁻²·s⁻¹.
    text = re.sub(r"(?<=[A-Za-z])(-\d+)\b", r"^\1", text)
    return text or "dimensionless"


def same_units(a: str, b: str) -> bool:
    """True when two unit strings denote exactly the same unit (factor 1, no offset)."""
    ua, ub = parse(a), parse(b)
    if ua.dimensionality != ub.dimensionality:
        return False
    scale, offset = conversion(a, b)
    return abs(scale - 1.0) < 1e-12 and offset == 0.0


def convertible(a: str, b: str) -> bool:
    return bool(parse(a).dimensionality == parse(b).dimensionality)


def conversion(from_units: str, to_units: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` such that ``value_to = value_from * scale + offset``.

    The offset is non-zero only for temperatures (°C ↔ K).
    """
    ureg = registry()
    src, dst = parse(from_units), parse(to_units)
    if src.dimensionality != dst.dimensionality:
        raise UnitError(
            Problem(
                where="units",
                message=(
                    f"cannot convert '{from_units}' ({src.dimensionality}) to "
                    f"'{to_units}' ({dst.dimensionality})"
                ),
            )
        )
    zero = ureg.Quantity(0.0, src).to(dst).magnitude
    one = ureg.Quantity(1.0, src).to(dst).magnitude
    return float(one - zero), float(zero)


#: Chinese unit words of statistical tables and their pint spellings.
_CHINESE_UNITS = (
    ("立方米", "m^3"), ("平方千米", "km^2"), ("平方公里", "km^2"), ("平方米", "m^2"),
    ("千瓦时", "kWh"), ("公顷", "hectare"), ("千克", "kg"), ("公斤", "kg"), ("吨", "t"),
    ("天", "day"), ("％", "%"),
)  # fmt: skip
_EXPONENT_RE = re.compile(r"(?<![A-Za-z])(km|hm|dm|cm|mm|m)([23])(?![0-9A-Za-z^])")
#: Chinese magnitude prefixes written before any unit (万t, 亿m3, 万hm2).
_PREFIXES = {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2}


def conversion_as_written(written: str, to_units: str) -> tuple[float, float]:
    """:func:`conversion` from a unit as Chinese tables write it: Chinese words (吨, 立方米,
    公顷), exponents without a caret (m3, hm2) and a magnitude prefix 万/亿/千/百 before any unit
    (万t, 亿tCO2, 万hm2); raise :class:`UnitError` when no spelling converts."""
    target = to_units or "dimensionless"
    cleaned = written.strip()
    for word, unit in _CHINESE_UNITS:
        cleaned = cleaned.replace(word, unit)
    exponent = _EXPONENT_RE.sub(r"\1^\2", cleaned)
    last: UnitError | None = None
    for candidate in dict.fromkeys([written.strip(), cleaned, exponent]):
        try:
            return conversion(candidate or "dimensionless", target)
        except UnitError as err:
            last = err
        prefix = candidate[:1]
        if prefix in _PREFIXES and len(candidate) > 1:
            try:
                scale, offset = conversion(candidate[1:], target)
                return scale * _PREFIXES[prefix], offset
            except UnitError as err:
                last = err
    assert last is not None
    raise last


def convert_value(value: float, from_units: str, to_units: str) -> float:
    scale, offset = conversion(from_units, to_units)
    return value * scale + offset


def units_of(da: xr.DataArray) -> str | None:
    units = da.attrs.get("units")
    return str(units) if units is not None else None


def require_units(da: xr.DataArray, expected: str, name: str) -> None:
    """Raise :class:`UnitError` unless ``da`` carries exactly the unit ``expected``.

    Models call this on every argument: they never guess a unit.
    """
    actual = units_of(da)
    if actual is None:
        raise UnitError(
            Problem(
                where=name,
                message=f"carries no unit; expected '{expected}'",
                hint="set attrs['units'] (gepkit's readers do this for every layer)",
            )
        )
    if not same_units(actual, expected):
        raise UnitError(
            Problem(where=name, message=f"is in '{actual}', expected '{expected}'"),
        )


def with_units(da: xr.DataArray, units: str, name: str, **attrs: Any) -> xr.DataArray:
    """Return ``da`` renamed and with *fresh* attributes (never the inputs' attributes)."""
    out = da.copy(deep=False)  # a shallow copy: new attrs without touching the argument's
    out.name = name
    out.attrs = {"units": units, **attrs}
    return out
