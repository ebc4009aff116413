"""Units and money (gepkit.units): conversions GEP accounting relies on, and unit checks.

Carbon, CO₂ and O₂ masses are separate dimensions (1 t CO₂ = 12/44 t C; soil tonnes convert to
neither); money is CNY with 万元 = 10⁴ and 亿元 = 10⁸ CNY.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gepkit import units as u
from gepkit.catalogue.tables import Record
from gepkit.errors import InputError, UnitError
from gepkit.items.base import Component
from gepkit.valuation.prices import price_component, price_components, value_per_item_unit


@pytest.mark.parametrize(
    ("src", "dst", "factor"),
    [
        # a price per t C is a price per 44/12 t CO₂ … so per t CO₂ it is 12/44 of it
        ("CNY/tC", "CNY/tCO2", 12 / 44),
        ("CNY/tCO2", "CNY/tC", 44 / 12),
        ("tC", "tCO2", 44 / 12),
        ("tCO2", "tC", 12 / 44),
        ("kgC", "tC", 1e-3),
        ("MgC", "tC", 1.0),
        ("tO2", "kgO2", 1e3),
        ("亿元", "CNY", 1e8),
        ("万元", "CNY", 1e4),
        ("亿元", "万元", 1e4),
        ("元", "CNY", 1.0),
        ("yuan", "CNY", 1.0),
        ("万元/hm²", "CNY/m^2", 1.0),  # 10⁴ CNY per 10⁴ m²
        ("percent", "dimensionless", 0.01),
        ("percent", "", 0.01),
        ("gC/m^2", "tC/hectare", 0.01),  # 10⁻⁶ t per 10⁻⁴ hm²
        ("m³", "m^3", 1.0),
        ("hm²", "m^2", 1e4),
        ("hm²", "hectare", 1.0),
        ("万人", "person", 1e4),
        ("MJ·mm/(hm²·h)", "MJ*mm/(m^2*h)", 1e-4),
    ],
)
def test_conversion_factors(src, dst, factor):
    """conversion() returns the multiplicative factor and no offset."""
    scale, offset = u.conversion(src, dst)
    assert scale == pytest.approx(factor, rel=1e-12)
    assert offset == 0.0


def test_carbon_price_example():
    """1200 CNY/t C (LY/T 1721—2008, gep-parameters-confirmed §7.2) = 327.27 CNY/t CO₂."""
    assert u.convert_value(1200.0, "CNY/tC", "CNY/tCO2") == pytest.approx(1200 * 12 / 44)
    assert u.convert_value(1200.0, "CNY/tC", "CNY/tCO2") == pytest.approx(327.2727, rel=1e-6)


def test_temperature_offset():
    """°C → K has scale 1 and offset 273.15; the offset is applied by convert_value."""
    scale, offset = u.conversion("degC", "K")
    assert scale == pytest.approx(1.0, rel=1e-12)
    assert offset == pytest.approx(273.15, rel=1e-12)
    assert u.convert_value(25.0, "degC", "K") == pytest.approx(298.15, rel=1e-12)
    assert u.convert_value(300.0, "K", "degC") == pytest.approx(26.85, rel=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("m³", "m^3", True),
        ("hm²", "hectare", True),
        ("millimeter", "mm", True),
        ("", "dimensionless", True),
        ("yuan", "元", True),
        ("mm", "m", False),
        ("degC", "K", False),  # same dimension, but an offset
        ("percent", "dimensionless", False),
        ("tC", "tCO2", False),
        ("t", "tC", False),
    ],
)
def test_same_units(a, b, same):
    """Only unit strings naming exactly the same unit (factor 1, no offset) are 'the same'."""
    assert u.same_units(a, b) is same


@pytest.mark.parametrize(
    ("a", "b"),
    [("t", "tCO2"), ("t", "tC"), ("tC", "tO2"), ("tCO2", "tO2"), ("CNY", "m"), ("CNY", "person")],
)
def test_not_convertible(a, b):
    """Soil tonnes, carbon, CO₂, O₂, money and people are different dimensions."""
    assert not u.convertible(a, b)
    with pytest.raises(UnitError, match="cannot convert"):
        u.conversion(a, b)


def test_t_to_tco2_error_names_both_units():
    """The error says which units could not be converted."""
    with pytest.raises(UnitError) as info:
        u.convert_value(1.0, "CNY/t", "CNY/tCO2")
    text = str(info.value)
    assert "'CNY/t'" in text
    assert "'CNY/tCO2'" in text


def test_convertible_pairs():
    """tC and tCO2 are convertible (pint applies 44/12); mm and m too."""
    assert u.convertible("tC", "tCO2")
    assert u.convertible("mm", "m")


def test_unknown_unit():
    """An unknown unit is a UnitError (an InputError) naming it, with a hint."""
    with pytest.raises(UnitError, match="blorgs") as info:
        u.parse("blorgs/hm²")
    assert isinstance(info.value, InputError)
    assert info.value.problems[0].hint


def test_empty_unit_is_dimensionless():
    """An empty unit string means dimensionless."""
    assert u.parse("") == u.parse("dimensionless")
    assert u.parse("  ") == u.parse("dimensionless")


@pytest.mark.parametrize(
    ("written", "dst", "factor"),
    [
        ("万t", "t", 1e4),
        ("亿t", "t", 1e8),
        ("亿tCO2", "tCO2", 1e8),
        ("亿tO2", "tO2", 1e8),
        ("万hm2", "hectare", 1e4),
        ("万hm²", "hectare", 1e4),
        ("万公顷", "hectare", 1e4),
        ("亿m3", "m^3", 1e8),
        ("万立方米", "m^3", 1e4),
        ("亿kW·h", "kWh", 1e8),
        ("km2", "m^2", 1e6),
        ("t", "t", 1.0),
        ("", "dimensionless", 1.0),
    ],
)
def test_conversion_as_written(written, dst, factor):
    """Units as Chinese tables write them (supplied quantities, workbook headers): 万/亿 before
    any unit, Chinese words, exponents without a caret."""
    scale, offset = u.conversion_as_written(written, dst)
    assert scale == pytest.approx(factor, rel=1e-12)
    assert offset == 0.0


@pytest.mark.parametrize(("written", "dst"), [("亿t", "tCO2"), ("万blorgs", "t"), ("亿", "t")])
def test_conversion_as_written_refuses(written, dst):
    """A prefix does not bridge dimensions: 亿t of soil is not CO₂."""
    with pytest.raises(UnitError):
        u.conversion_as_written(written, dst)


# -- require_units / with_units --------------------------------------------------------------


def _da(units: str | None) -> xr.DataArray:
    attrs = {} if units is None else {"units": units}
    return xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), attrs=attrs)


def test_require_units_missing():
    """No unit: the message names the layer, says it has none, and what was expected."""
    with pytest.raises(UnitError) as info:
        u.require_units(_da(None), "mm", "precipitation")
    problem = info.value.problems[0]
    assert problem.where == "precipitation"
    assert problem.message == "carries no unit; expected 'mm'"
    assert "attrs['units']" in (problem.hint or "")
    assert "precipitation" in str(info.value)


def test_require_units_wrong():
    """A wrong unit (here a convertible one: m instead of mm) is refused, not converted."""
    with pytest.raises(UnitError) as info:
        u.require_units(_da("m"), "mm", "precipitation")
    problem = info.value.problems[0]
    assert problem.where == "precipitation"
    assert problem.message == "is in 'm', expected 'mm'"


def test_require_units_unparseable():
    """An unparseable unit on a layer is a UnitError too."""
    with pytest.raises(UnitError, match="furlongs_per_blorg"):
        u.require_units(_da("furlongs_per_blorg"), "mm", "precipitation")


@pytest.mark.parametrize(
    ("actual", "expected"),
    [("mm", "mm"), ("millimeter", "mm"), ("m³", "m^3"), ("", "dimensionless"), ("°C", "degC")],
)
def test_require_units_accepts_same_unit(actual, expected):
    """Other spellings of the same unit pass silently."""
    assert u.require_units(_da(actual), expected, "layer") is None


def test_units_of():
    """units_of returns the unit string or None."""
    assert u.units_of(_da("mm")) == "mm"
    assert u.units_of(_da(None)) is None


def test_with_units_fresh_attrs():
    """with_units renames and replaces the attributes (the inputs' attrs are not carried on)."""
    src = _da("mm")
    src.attrs["long_name"] = "rain"
    out = u.with_units(src, "m^3", "volume", method="test")
    assert out.name == "volume"
    assert out.attrs == {"units": "m^3", "method": "test"}


def test_with_units_leaves_its_argument_alone():
    """with_units returns a new array: the array passed in keeps its unit and attributes."""
    src = _da("mm")
    src.attrs["long_name"] = "rain"
    u.with_units(src, "m^3", "volume")
    assert src.attrs == {"units": "mm", "long_name": "rain"}


# -- prices ----------------------------------------------------------------------------------


def _record(value: float, unit: str, key: str = "carbon") -> Record:
    return Record(
        kind="price",
        key=key,
        variant="lyt1721",
        value=value,
        unit=unit,
        year=2020,
        source="test",
        confidence="D",
    )


def _component(price: Record, quantity_unit: str, per_item: float = 1.0) -> Component:
    return Component(
        id="c",
        name_en="CO2 sequestered",
        name_zh="固定二氧化碳",
        quantity_unit=quantity_unit,
        per_item=per_item,
        derivation="test",
        price=price,
    )


def test_price_per_tc_applied_to_tco2():
    """1200 CNY/t C prices t CO₂ at 1200 × 12/44 CNY (gep-methods §2.10 unit trap)."""
    priced = price_component(_component(_record(1200.0, "CNY/tC"), "tCO2"))
    assert priced.unit_price == pytest.approx(1200 * 12 / 44, rel=1e-12)
    assert priced.price_unit == "CNY/tCO2"


def test_price_in_wan_yuan():
    """0.12 万元 per t O₂ = 1200 CNY/t O₂; per_item 2 → 2400 CNY per item unit."""
    priced = price_component(_component(_record(0.12, "万元/tO2"), "tO2", per_item=2.0))
    assert priced.unit_price == pytest.approx(1200.0, rel=1e-12)
    assert priced.value_per_item_unit == pytest.approx(2400.0, rel=1e-12)


def test_value_per_item_unit_sums_components():
    """Σ per_item × unit price over components: 0.24/0.93 m³ × 12.6 CNY/m³ + 0.0037 t × 875."""
    silt = _component(_record(12.6, "CNY/m³", "dredging"), "m^3", per_item=0.24 / 0.93)
    nitrogen = _component(_record(875.0, "CNY/t", "nitrogen"), "t", per_item=0.0037)
    total = value_per_item_unit(price_components([silt, nitrogen]))
    assert total == pytest.approx(0.24 / 0.93 * 12.6 + 0.0037 * 875.0, rel=1e-12)


@pytest.mark.parametrize(("price_unit", "quantity_unit"), [("CNY/t", "tCO2"), ("CNY/m^3", "t")])
def test_incompatible_price_is_a_unit_error(price_unit, quantity_unit):
    """A CNY/t price applied to t CO₂ is refused with an error naming the price record."""
    component = _component(_record(100.0, price_unit), quantity_unit)
    with pytest.raises(UnitError) as info:
        price_component(component)
    problem = info.value.problems[0]
    assert problem.where == "price carbon (lyt1721)"
    assert problem.field == "unit"
    assert f"'{price_unit}'" in problem.message
    assert f"CNY/{quantity_unit}" in problem.message


def test_record_value_in():
    """Record.value_in converts with pint: percent → dimensionless, 万元/m³ → CNY/m³."""
    share = Record("parameter", "paddy_share", "x", 40.0, "percent", None, "s", "D")
    assert share.value_in("dimensionless") == pytest.approx(0.4, rel=1e-12)
    price = _record(6.11e-4, "万元/m³")
    assert price.value_in("CNY/m^3") == pytest.approx(6.11, rel=1e-12)


def test_mu_the_chinese_area_unit():
    """1 亩 = 1/15 hm² (666.7 m²); 万亩 as statistical tables write it."""
    assert u.conversion("亩", "hectare")[0] == pytest.approx(1 / 15)
    assert u.conversion_as_written("万亩", "hectare")[0] == pytest.approx(1e4 / 15)
