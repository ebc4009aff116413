"""Climate regulation (R10), pest control (R11) and negative air ions (R12).

Methods catalogue §2.12 and §2.13.  Expected numbers are worked out by hand in the comments; the
items are built on a 4 × 4 grid of 1 km cells (10⁶ m², 100 hm²) with one ecosystem class per
cell, then run end to end on the synthetic region of conftest.py through the CLI.

Shipped parameters and prices used (src/gepkit/catalogue/data): r = 3.0, q = 2450 kJ/kg,
y = 120 kWh/m³, electricity 0.52 CNY/kWh, pest control 375 (forest) and 112.5 (grassland)
CNY/hm², negative-ion lifetime 10 min, threshold 600 per cm³, ion cost 5.8185 × 10⁻¹⁸ CNY/ion.
"""

from __future__ import annotations

import json
from pathlib import Path

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import (
    CELL,
    ET_MM,
    accounts_wide,
    build_region,
    raster_grid,
    select_items,
    write_raster,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

import gepkit.items
from gepkit.catalogue.book import Catalogue
from gepkit.catalogue.tables import EcosystemClasses, EcosystemTable, RecordTable, shipped_table
from gepkit.cli import app
from gepkit.config import RecordOverride
from gepkit.errors import ConfigError, TableError, UnitError
from gepkit.grid import AccountingGrid
from gepkit.items.base import ItemContext, ItemResult
from gepkit.items.climate_regulation import ClimateRegulation
from gepkit.items.negative_ions import NegativeIons
from gepkit.items.pest_control import PestControl
from gepkit.models.climate import (
    days_in_year,
    evaporation_cooling,
    evaporation_humidifying,
    evaporation_volume,
    evapotranspiration_cooling,
    hot_days_evapotranspiration,
    latent_heat_energy,
    transpiration_cooling_epp,
)
from gepkit.models.negative_ions import (
    LYT1721_CONSTANT,
    negative_ions_by_threshold,
    negative_ions_produced,
)
from gepkit.valuation.prices import price_components

# -- the 4 × 4 test grid ------------------------------------------------------------------------

#: 1 km cells in China Albers; bounds on whole kilometres plus the 1-cell buffer → 4 × 4 cells.
GRID = AccountingGrid.from_bounds((0.0, 0.0, 2000.0, 2000.0), 1000.0, "china-albers")
NAN = np.nan
#: Ecosystem classes (HJ 1172): forest 11, 12, 14; shrub 21; grassland 31, 33, 34; marsh 41;
#: lake 42; river 43; cropland 51; orchard 52; residential 61; urban green 62; bare 82; NaN.
ECO = np.array(
    [
        [11, 21, 33, 52],
        [62, 42, 43, 51],
        [41, 12, 31, 61],
        [14, NAN, 34, 82],
    ]
)
#: Annual actual ET [mm] and hot days [d]; 2020 has 366 days, so D/366 is 1/6, 1/3 or 1/2.
ET = np.array(
    [
        [732.0, 600.0, 366.0, 900.0],
        [480.0, 915.0, 720.0, 800.0],
        [1000.0, 690.0, 420.0, 500.0],
        [540.0, 700.0, 300.0, 100.0],
    ]
)
HOT_DAYS = np.array(
    [
        [61.0, 122.0, 183.0, 61.0],
        [183.0, 122.0, 61.0, 30.0],
        [0.0, 122.0, 61.0, 90.0],
        [183.0, 61.0, 122.0, 61.0],
    ]
)
#: ET over the hot days by the even share ET·D/366 [mm], worked out cell by cell.
ET_HOT = {
    (0, 0): 122.0,  # 732 · 61/366
    (0, 1): 200.0,  # 600 · 122/366
    (0, 2): 183.0,  # 366 · 183/366
    (0, 3): 150.0,  # 900 · 61/366
    (1, 0): 240.0,  # 480 · 183/366
    (1, 1): 305.0,  # 915 · 122/366  (lake)
    (1, 2): 120.0,  # 720 · 61/366   (river)
    (2, 1): 230.0,  # 690 · 122/366
    (2, 2): 70.0,  # 420 · 61/366
    (3, 0): 270.0,  # 540 · 183/366
    (3, 2): 100.0,  # 300 · 122/366
}
VEGETATION_CELLS = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (2, 1), (2, 2), (3, 0), (3, 2)]
WATER_CELLS = [(1, 1), (1, 2)]
OUTSIDE_CELLS = [(1, 3), (2, 0), (2, 3), (3, 3)]  # cropland, marsh, residential, bare
NAN_CELL = (3, 1)
PRESENT = frozenset(int(c) for c in ECO[np.isfinite(ECO)])

#: Latent heat of 1 mm evaporated from 1 km²: 10⁻³ m · 10⁶ m² = 10³ m³ = 10⁶ kg;
#: × 2450 kJ/kg = 2.45 × 10⁹ kJ; ÷ 3600 kJ/kWh = 680,555.6 kWh.
KWH_PER_MM = 1e6 * 2450 / 3600
R = 3.0  # air-conditioner energy-efficiency ratio (Bo et al. 2017)
Y = 120.0  # humidifier electricity, kWh per m³
ELECTRICITY = 0.52  # CNY/kWh (Youyang 2023, shipped default)

CLASSES = EcosystemClasses.load()
PARAMETERS = RecordTable.load(shipped_table("parameters.csv"), "parameter")
PRICES = RecordTable.load(shipped_table("prices.csv"), "price")

FAST = settings(max_examples=40, deadline=None)


def _table(folder: Path, name: str, rows: dict[int, tuple[object, str]]) -> EcosystemTable:
    """Write a per-ecosystem table (value, unit) and load it as gepkit does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    lines = ["ecosystem_code,value,unit,source,confidence"]
    lines += [f"{code},{value},{unit},test value,D" for code, (value, unit) in rows.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return EcosystemTable.load(name, path, ["value", "unit"], CLASSES)


def _catalogue(
    tables: dict[str, EcosystemTable] | None = None,
    *,
    parameters: dict[str, RecordOverride] | None = None,
    prices: dict[str, RecordOverride] | None = None,
) -> Catalogue:
    return Catalogue(
        classes=CLASSES,
        tables=dict(tables or {}),
        parameters=PARAMETERS,
        prices=PRICES,
        parameter_choices=dict(parameters or {}),
        price_choices=dict(prices or {}),
    )


def _context(
    catalogue: Catalogue,
    *,
    layers: dict[str, tuple[np.ndarray, str]] | None = None,
    chunk: int | None = None,
    year: int = 2020,
) -> ItemContext:
    def wrap(data: np.ndarray, name: str, units: str) -> xr.DataArray:
        da = GRID.wrap(data, name=name, units=units)
        return da.chunk(chunk) if chunk else da

    if layers is None:
        layers = {"actual_et": (ET, "mm"), "hot_days": (HOT_DAYS, "day")}
    return ItemContext(
        grid=GRID,
        year=year,
        layers={name: wrap(data, name, units) for name, (data, units) in layers.items()},
        ecosystem=wrap(ECO, "ecosystem", "dimensionless"),
        present_codes=PRESENT,
        catalogue=catalogue,
    )


def _parts(result: ItemResult) -> dict[str, np.ndarray]:
    return {part.id: np.asarray(part.quantity.values) for part in result.parts}


def _value(result: ItemResult) -> np.ndarray:
    """Value per cell [CNY]: Σ components (valued part or item) × per_item × unit price."""
    parts = _parts(result)
    total = np.zeros(GRID.shape)
    for priced in price_components(result.components):
        part = priced.component.part
        quantity = parts[part] if part else np.asarray(result.quantity.values)
        total = total + quantity * priced.component.per_item * priced.unit_price
    return total


def _compute(item, catalogue: Catalogue, options: dict | None = None, **context) -> ItemResult:
    return item.compute(_context(catalogue, **context), item.options(options))


# ================================================================================================
# Climate regulation: models
# ================================================================================================


def test_days_in_year():
    assert days_in_year(2020) == 366
    assert days_in_year(2021) == 365
    assert days_in_year(1900) == 365  # not a leap year (divisible by 100, not by 400)
    assert days_in_year(2000) == 366


def test_hot_days_evapotranspiration_by_hand():
    """ET_hot = ET · D / N: each cell of the grid against the share worked out by hand."""
    et_hot = hot_days_evapotranspiration(
        actual_et=GRID.wrap(ET, name="actual_et", units="mm"),
        hot_days=GRID.wrap(HOT_DAYS, name="hot_days", units="day"),
        days_in_year=366,
    )
    assert et_hot.attrs == {"units": "mm"}
    for cell, expected in ET_HOT.items():
        assert et_hot.values[cell] == pytest.approx(expected, rel=1e-12), cell
    assert et_hot.values[2, 0] == 0.0  # no hot day
    assert et_hot.values[1, 3] == pytest.approx(800.0 * 30 / 366)
    # In a 365-day year the same 183 days are a larger share: 366 mm · 183/365 = 183.5 mm.
    one = GRID.wrap(np.full(GRID.shape, 366.0), name="actual_et", units="mm")
    days = GRID.wrap(np.full(GRID.shape, 183.0), name="hot_days", units="day")
    assert float(
        hot_days_evapotranspiration(actual_et=one, hot_days=days, days_in_year=365)[0, 0]
    ) == pytest.approx(366 * 183 / 365)


def test_hot_day_share_never_exceeds_the_year():
    """366 hot days in a 365-day year count as the whole year: ET_hot ≤ ET."""
    et = GRID.wrap(np.full(GRID.shape, 500.0), name="actual_et", units="mm")
    days = GRID.wrap(np.full(GRID.shape, 366.0), name="hot_days", units="day")
    out = hot_days_evapotranspiration(actual_et=et, hot_days=days, days_in_year=365)
    np.testing.assert_array_equal(out.values, 500.0)


def test_evapotranspiration_cooling_one_cell_by_hand():
    """122 mm over 1 km² = 122,000 m³ = 1.22 × 10⁸ kg; × 2450 kJ/kg = 2.989 × 10¹¹ kJ;
    ÷ 3600 = 8.3028 × 10⁷ kWh of heat; ÷ r = 3 → 27,675,925.9 kWh of electricity."""
    et_hot = GRID.wrap(np.full(GRID.shape, 122.0), name="et", units="mm")
    out = evapotranspiration_cooling(
        et_hot_days=et_hot,
        cell_area_m2=1e6,
        latent_heat_kj_per_kg=2450.0,
        energy_efficiency_ratio=3.0,
    )
    assert out.attrs == {"units": "kWh"}
    assert out.values[0, 0] == pytest.approx(27_675_925.925926, rel=1e-12)
    # A 30 m cell (900 m²) gets 900/10⁶ of it.
    small = evapotranspiration_cooling(
        et_hot_days=et_hot,
        cell_area_m2=900.0,
        latent_heat_kj_per_kg=2450.0,
        energy_efficiency_ratio=3.0,
    )
    assert small.values[0, 0] == pytest.approx(27_675_925.925926 * 900 / 1e6, rel=1e-12)


def test_latent_heat_energy_by_hand():
    """1 mm over 1 km² with q = 2257 kJ/kg (100 °C): 10⁶ kg · 2257 / 3600 = 626,944.4 kWh."""
    depth = GRID.wrap(np.ones(GRID.shape), name="depth", units="mm")
    out = latent_heat_energy(water_depth=depth, cell_area_m2=1e6, latent_heat_kj_per_kg=2257.0)
    assert out.values[0, 0] == pytest.approx(626_944.444444, rel=1e-9)


def test_transpiration_cooling_epp_by_hand():
    """EPP 300 kJ/(m²·d) · 10⁶ m² · 61 d = 1.83 × 10¹⁰ kJ; ÷ (3600 · 3) = 1,694,444.4 kWh."""
    epp = GRID.wrap(np.full(GRID.shape, 300.0), name="epp", units="kJ/(m^2*d)")
    days = GRID.wrap(np.full(GRID.shape, 61.0), name="hot_days", units="day")
    out = transpiration_cooling_epp(
        epp=epp, hot_days=days, cell_area_m2=1e6, energy_efficiency_ratio=3.0
    )
    assert out.values[0, 0] == pytest.approx(1_694_444.444444, rel=1e-9)
    assert out.attrs == {"units": "kWh"}


def test_water_surface_terms_by_hand():
    """305 mm over 1 km² → E_w = 305,000 m³; cooling 305,000 · 1000 · 2450 / 3600 =
    207,569,444.4 kWh (÷ 3 = 69,189,814.8 with r); humidifying 305,000 · 120 = 36,600,000 kWh."""
    et_hot = GRID.wrap(np.full(GRID.shape, 305.0), name="et", units="mm")
    volume = evaporation_volume(et_hot_days=et_hot, cell_area_m2=1e6)
    assert volume.attrs == {"units": "m^3"}
    assert volume.values[0, 0] == pytest.approx(305_000.0, rel=1e-12)
    cooling = evaporation_cooling(evaporation=volume, latent_heat_kj_per_kg=2450.0)
    assert cooling.values[0, 0] == pytest.approx(207_569_444.444444, rel=1e-12)
    divided = evaporation_cooling(
        evaporation=volume, latent_heat_kj_per_kg=2450.0, energy_efficiency_ratio=3.0
    )
    assert divided.values[0, 0] == pytest.approx(69_189_814.814815, rel=1e-12)
    humid = evaporation_humidifying(evaporation=volume, humidifier_kwh_per_m3=120.0)
    assert humid.values[0, 0] == pytest.approx(36_600_000.0, rel=1e-12)
    assert humid.attrs == {"units": "kWh"}


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda da: hot_days_evapotranspiration(actual_et=da, hot_days=da, days_in_year=366),
            "actual_et",
        ),
        (lambda da: evaporation_volume(et_hot_days=da, cell_area_m2=1.0), "et_hot_days"),
        (
            lambda da: evaporation_cooling(evaporation=da, latent_heat_kj_per_kg=2450.0),
            "evaporation",
        ),
        (
            lambda da: transpiration_cooling_epp(
                epp=da, hot_days=da, cell_area_m2=1.0, energy_efficiency_ratio=3.0
            ),
            "epp",
        ),
    ],
)
def test_wrong_units_raise(call, argument):
    """Every model checks its inputs' units: metres of ET, say, are refused, not rescaled."""
    da = GRID.wrap(np.ones(GRID.shape), name="x", units="m")
    with pytest.raises(UnitError, match=argument):
        call(da)


def test_epp_in_a_convertible_unit_is_still_refused():
    """EPP in MJ/(m²·d) is refused by the model: the item converts table values before."""
    epp = GRID.wrap(np.ones(GRID.shape), name="epp", units="MJ/(m^2*d)")
    days = GRID.wrap(np.ones(GRID.shape), name="hot_days", units="day")
    with pytest.raises(UnitError, match="epp"):
        transpiration_cooling_epp(
            epp=epp, hot_days=days, cell_area_m2=1.0, energy_efficiency_ratio=3
        )


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_non_positive_ratio_is_refused(bad):
    et_hot = GRID.wrap(np.ones(GRID.shape), name="et", units="mm")
    with pytest.raises(ValueError, match="energy_efficiency_ratio"):
        evapotranspiration_cooling(
            et_hot_days=et_hot,
            cell_area_m2=1.0,
            latent_heat_kj_per_kg=2450.0,
            energy_efficiency_ratio=bad,
        )


@FAST
@given(
    et=arrays(np.float64, (3, 3), elements=st.floats(0.0, 3000.0)),
    days=arrays(np.float64, (3, 3), elements=st.floats(0.0, 366.0)),
    r=st.floats(1.0, 6.0),
    q=st.floats(2200.0, 2550.0),
    year=st.sampled_from([2019, 2020]),
)
def test_cooling_stays_below_the_latent_heat_of_the_years_et(et, days, r, q, year):
    """Plausibility limit (docs): with r ≥ 1, vegetation cooling and water cooling (without r)
    are ≥ 0 and never exceed the latent heat of the year's ET."""

    def da(values: np.ndarray, units: str) -> xr.DataArray:
        return xr.DataArray(values, dims=("y", "x"), attrs={"units": units})

    et_hot = hot_days_evapotranspiration(
        actual_et=da(et, "mm"), hot_days=da(days, "day"), days_in_year=days_in_year(year)
    )
    limit = latent_heat_energy(water_depth=da(et, "mm"), cell_area_m2=1e6, latent_heat_kj_per_kg=q)
    vegetation = evapotranspiration_cooling(
        et_hot_days=et_hot, cell_area_m2=1e6, latent_heat_kj_per_kg=q, energy_efficiency_ratio=r
    )
    water = evaporation_cooling(
        evaporation=evaporation_volume(et_hot_days=et_hot, cell_area_m2=1e6),
        latent_heat_kj_per_kg=q,
    )
    for out in (vegetation, water):
        assert np.all(out.values >= 0.0)
        assert np.all(out.values <= limit.values * (1 + 1e-12) + 1e-9)


# ================================================================================================
# Climate regulation: the item
# ================================================================================================


@pytest.fixture(scope="module")
def epp_table(tmp_path_factory) -> EcosystemTable:
    """EPP in kJ/(m²·d) for every vegetated class of the grid; forest 11 written in MJ."""
    return _table(
        tmp_path_factory.mktemp("epp"),
        "climate_epp",
        {
            11: (0.3, "MJ/(m^2*d)"),  # = 300 kJ/(m²·d)
            12: (280, "kJ/(m^2*d)"),
            14: (150, "kJ/(m²·d)"),
            21: (200, "kJ/(m^2*d)"),
            31: (120, "kJ/(m^2*d)"),
            33: (130, "kJ/(m^2*d)"),
            34: (60, "kJ/(m^2*d)"),
            52: (180, "kJ/(m^2*d)"),
            62: (160, "kJ/(m^2*d)"),
        },
    )


#: EPP [kJ/(m²·d)] of each vegetated cell of the grid, from the table above.
EPP = {
    (0, 0): 300,  # 11
    (2, 1): 280,  # 12
    (3, 0): 150,  # 14
    (0, 1): 200,  # 21
    (2, 2): 120,  # 31
    (0, 2): 130,  # 33
    (3, 2): 60,  # 34
    (0, 3): 180,  # 52
    (1, 0): 160,  # 62
}
EPP_CODES = {11, 12, 14, 21, 31, 33, 34, 52, 62}


def test_climate_default_by_hand():
    """ET method, even share, 2020: vegetation = ET_hot · 680,555.6 / 3 kWh per mm and km²;
    water cooling = ET_hot · 680,555.6; humidifying = ET_hot · 1000 m³ · 120 kWh/m³."""
    result = _compute(ClimateRegulation(), _catalogue())
    parts = _parts(result)
    assert list(parts) == ["vegetation", "water_cooling", "water_humidifying"]
    assert parts["vegetation"][0, 0] == pytest.approx(27_675_925.925926, rel=1e-12)
    for cell in VEGETATION_CELLS:
        assert parts["vegetation"][cell] == pytest.approx(ET_HOT[cell] * KWH_PER_MM / R), cell
        assert parts["water_cooling"][cell] == 0.0
        assert parts["water_humidifying"][cell] == 0.0
    for cell in WATER_CELLS:
        assert parts["vegetation"][cell] == 0.0
        assert parts["water_cooling"][cell] == pytest.approx(ET_HOT[cell] * KWH_PER_MM), cell
        assert parts["water_humidifying"][cell] == pytest.approx(ET_HOT[cell] * 1000 * Y), cell
    assert parts["water_cooling"][1, 1] == pytest.approx(207_569_444.444444, rel=1e-12)
    assert parts["water_humidifying"][1, 1] == pytest.approx(36_600_000.0, rel=1e-12)
    for cell in OUTSIDE_CELLS:
        assert all(values[cell] == 0.0 for values in parts.values()), cell
    assert all(np.isnan(values[NAN_CELL]) for values in parts.values())
    # Valued at the electricity price on the whole item.
    value = _value(result)
    assert value[1, 1] == pytest.approx((207_569_444.444444 + 36_600_000.0) * ELECTRICITY)
    assert value[0, 0] == pytest.approx(27_675_925.925926 * ELECTRICITY)
    assert "actual_et × hot_days / 366" in result.method
    assert any("understates summer ET" in note for note in result.notes)
    assert {r.key for r in result.records} == {
        "ac_energy_efficiency_ratio",
        "latent_heat_vaporization",
        "humidifier_electricity",
        "electricity_price",
    }
    assert result.options["warn_share"] == 0.5


def test_climate_in_a_365_day_year():
    """2021: the share is D/365, so the forest cell gets 732 · 61/365 mm."""
    result = _compute(ClimateRegulation(), _catalogue(), year=2021)
    vegetation = _parts(result)["vegetation"]
    assert vegetation[0, 0] == pytest.approx(732 * 61 / 365 * KWH_PER_MM / R)
    assert "/ 365" in result.method


def test_climate_water_options():
    """divide_water_cooling_by_eer divides the water cooling by r = 3; humidifying = false drops
    the humidifying part; the vegetation part does not change."""
    options = {"divide_water_cooling_by_eer": True, "humidifying": False}
    result = _compute(ClimateRegulation(), _catalogue(), options)
    parts = _parts(result)
    assert list(parts) == ["vegetation", "water_cooling"]
    assert parts["water_cooling"][1, 1] == pytest.approx(69_189_814.814815, rel=1e-12)
    assert parts["water_cooling"][1, 2] == pytest.approx(120 * KWH_PER_MM / R)
    assert parts["vegetation"][0, 0] == pytest.approx(27_675_925.925926, rel=1e-12)
    assert "humidifier_electricity" not in {r.key for r in result.records}


def test_climate_without_water_ecosystems():
    result = _compute(ClimateRegulation(), _catalogue(), {"water_ecosystems": []})
    parts = _parts(result)
    assert list(parts) == ["vegetation"]
    assert parts["vegetation"][1, 1] == 0.0  # the lake is in no scope now


@pytest.mark.parametrize(
    "options",
    [{}, {"humidifying": False}, {"water_ecosystems": []}, {"method": "epp_table"}],
)
def test_climate_parts_are_the_computed_parts(options, epp_table):
    """parts() (which supplied quantities are checked against) names the parts compute() makes;
    the water term may be supplied as one figure only when it has both parts."""
    item = ClimateRegulation()
    catalogue = _catalogue({"climate_epp": epp_table})
    result = _compute(item, catalogue, options)
    parts = item.parts(item.options(options))
    assert parts == [part.id for part in result.parts]
    combined = item.combined_parts(item.options(options))
    if "water_humidifying" in parts:
        assert combined == {"water": ("water_cooling", "water_humidifying")}
    else:
        assert combined == {}


HOT_ET_LAYER = np.full(GRID.shape, 250.0)


@pytest.mark.parametrize(
    ("choice", "with_layer", "expected_mm"),
    [
        ("layer", True, 250.0),  # the layer, always
        ("auto", True, 250.0),  # the layer, because the run reads it
        ("auto", False, 122.0),  # no layer: the even share 732 · 61/366
        ("even_share", True, 122.0),  # the layer is ignored
    ],
)
def test_climate_hot_days_et_sources(choice, with_layer, expected_mm):
    layers = {"actual_et": (ET, "mm"), "hot_days": (HOT_DAYS, "day")}
    if with_layer:
        layers["actual_et_hot_days"] = (HOT_ET_LAYER, "mm")
    if choice == "layer":
        layers = {"actual_et_hot_days": (HOT_ET_LAYER, "mm")}  # nothing else is needed
    result = _compute(ClimateRegulation(), _catalogue(), {"hot_days_et": choice}, layers=layers)
    parts = _parts(result)
    assert parts["vegetation"][0, 0] == pytest.approx(expected_mm * KWH_PER_MM / R)
    water_mm = 250.0 if expected_mm == 250.0 else 305.0
    assert parts["water_cooling"][1, 1] == pytest.approx(water_mm * KWH_PER_MM)
    from_layer = expected_mm == 250.0
    assert ("the layer actual_et_hot_days" in result.method) == from_layer
    assert any("understates summer ET" in note for note in result.notes) == (not from_layer)


def test_climate_epp_method_by_hand(epp_table):
    """EPP · 10⁶ m² · D / (3600 · 3) per vegetated cell (forest 11: 0.3 MJ = 300 kJ/(m²·d),
    61 d → 1,694,444.4 kWh); water surfaces as with the ET method."""
    catalogue = _catalogue({"climate_epp": epp_table})
    result = _compute(ClimateRegulation(), catalogue, {"method": "epp_table"})
    parts = _parts(result)
    assert parts["vegetation"][0, 0] == pytest.approx(1_694_444.444444, rel=1e-9)
    for cell, epp in EPP.items():
        expected = epp * 1e6 * HOT_DAYS[cell] / (3600 * 3)
        assert parts["vegetation"][cell] == pytest.approx(expected, rel=1e-12), cell
    assert parts["water_cooling"][1, 1] == pytest.approx(305 * KWH_PER_MM)
    for cell in OUTSIDE_CELLS:
        assert parts["vegetation"][cell] == 0.0
    assert result.tables == {"climate_epp": sorted(EPP_CODES)}
    assert "latent_heat_vaporization" in {r.key for r in result.records}  # water term


def test_climate_epp_method_without_water_needs_no_et(epp_table):
    catalogue = _catalogue({"climate_epp": epp_table})
    result = _compute(
        ClimateRegulation(),
        catalogue,
        {"method": "epp_table", "water_ecosystems": []},
        layers={"hot_days": (HOT_DAYS, "day")},
    )
    assert [p.id for p in result.parts] == ["vegetation"]
    assert "latent_heat_vaporization" not in {r.key for r in result.records}


@pytest.mark.parametrize(
    ("options", "layers", "optional"),
    [
        ({}, {"actual_et", "hot_days"}, ["actual_et_hot_days"]),
        ({"hot_days_et": "layer"}, {"actual_et_hot_days"}, []),
        ({"hot_days_et": "even_share"}, {"actual_et", "hot_days"}, []),
        ({"method": "epp_table"}, {"hot_days", "actual_et"}, ["actual_et_hot_days"]),
        ({"method": "epp_table", "water_ecosystems": []}, {"hot_days"}, []),
        (
            {"method": "epp_table", "hot_days_et": "layer"},
            {"hot_days", "actual_et_hot_days"},
            [],
        ),
    ],
)
def test_climate_layers(options, layers, optional):
    item = ClimateRegulation()
    parsed = item.options(options)
    listed = item.layers(parsed, {})
    assert set(listed) == layers
    assert len(listed) == len(layers)  # no duplicates
    assert item.optional_layers(parsed) == optional


def test_climate_missing_epp_table_is_a_clear_error():
    with pytest.raises(TableError) as err:
        _compute(ClimateRegulation(), _catalogue(), {"method": "epp_table"})
    text = str(err.value)
    assert "climate_regulation needs the table 'climate_epp'" in text
    assert "[tables] climate_epp" in text


def test_climate_epp_table_missing_a_code(tmp_path):
    rows = {code: (100, "kJ/(m^2*d)") for code in EPP_CODES - {62}}
    catalogue = _catalogue({"climate_epp": _table(tmp_path, "climate_epp", rows)})
    with pytest.raises(TableError, match=r"62 \(Urban green space\)"):
        _compute(ClimateRegulation(), catalogue, {"method": "epp_table"})


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        ("", "kJ/(m^2*d)", "is not a number ≥ 0"),
        ("-5", "kJ/(m^2*d)", "is not a number ≥ 0"),
        ("100", "kJ/m^2", "cannot be converted to 'kJ/(m^2*d)'"),
        ("100", "", "no unit given"),
    ],
)
def test_climate_epp_table_bad_rows(tmp_path, value, unit, message):
    rows: dict[int, tuple[object, str]] = {code: (100, "kJ/(m^2*d)") for code in EPP_CODES}
    rows[11] = (value, unit)
    catalogue = _catalogue({"climate_epp": _table(tmp_path, "climate_epp", rows)})
    with pytest.raises(TableError) as err:
        _compute(ClimateRegulation(), catalogue, {"method": "epp_table"})
    assert message in str(err.value)
    assert "ecosystem 11" in str(err.value)


def test_climate_overlapping_scopes_are_refused():
    """Wetland 4 contains lakes 42: a lake pixel would be both vegetation and water."""
    with pytest.raises(ConfigError, match=r"42 \(Lake"):
        _compute(ClimateRegulation(), _catalogue(), {"vegetation_ecosystems": [1, 4]})


def test_climate_bad_parameter_override():
    override = RecordOverride(value=0.0, unit="dimensionless", source="typo")
    catalogue = _catalogue(parameters={"ac_energy_efficiency_ratio": override})
    with pytest.raises(TableError, match="ac_energy_efficiency_ratio"):
        _compute(ClimateRegulation(), catalogue)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "temperature"}, "method"),
        ({"warn_share": 1.5}, "warn_share"),
        ({"hot_day": "layer"}, "is not an option of this item"),
    ],
)
def test_climate_bad_options(options, message):
    with pytest.raises(ConfigError, match=message):
        ClimateRegulation().options(options)


# ================================================================================================
# Pest control
# ================================================================================================


def test_pest_control_by_hand():
    """Forest cells 11, 12, 14: 100 hm² × 0.6 = 60 hm² each; grassland 31, 33, 34: 100 × 0.8;
    value 3 · 60 · 375 + 3 · 80 · 112.5 = 67,500 + 27,000 = 94,500 CNY."""
    options = {"natural_share_forest": 0.6, "natural_share_grassland": 0.8}
    result = _compute(PestControl(), _catalogue(), options, layers={})
    parts = _parts(result)
    forest_cells = [(0, 0), (2, 1), (3, 0)]
    grass_cells = [(0, 2), (2, 2), (3, 2)]
    for cell in forest_cells:
        assert parts["forest"][cell] == pytest.approx(60.0)
        assert parts["grassland"][cell] == 0.0
    for cell in grass_cells:
        assert parts["grassland"][cell] == pytest.approx(80.0)
        assert parts["forest"][cell] == 0.0
    others = np.ones(GRID.shape, dtype=bool)
    for cell in [*forest_cells, *grass_cells, NAN_CELL]:
        others[cell] = False
    assert np.all(parts["forest"][others] == 0.0)
    assert np.all(parts["grassland"][others] == 0.0)  # shrub 21 is not grassland
    assert np.isnan(parts["forest"][NAN_CELL])
    assert float(np.nansum(result.quantity.values)) == pytest.approx(3 * 60 + 3 * 80)
    value = _value(result)
    assert value[0, 0] == pytest.approx(60 * 375)
    assert value[0, 2] == pytest.approx(80 * 112.5)
    assert float(np.nansum(value)) == pytest.approx(94_500.0)
    assert {c.part for c in result.components} == {"forest", "grassland"}


def test_pest_control_default_counts_all_forest_and_grassland():
    result = _compute(PestControl(), _catalogue(), layers={})
    parts = _parts(result)
    assert parts["forest"][0, 0] == pytest.approx(100.0)  # one 1 km cell = 100 hm²
    assert parts["grassland"][3, 2] == pytest.approx(100.0)
    assert PestControl().layers(PestControl().options({}), {}) == []


def test_pest_control_options_are_checked():
    with pytest.raises(ConfigError, match="natural_share_forest"):
        PestControl().options({"natural_share_forest": 1.2})
    with pytest.raises(ConfigError, match="overlap"):
        _compute(PestControl(), _catalogue(), {"grassland_ecosystems": [3, 14]}, layers={})


# ================================================================================================
# Negative air ions
# ================================================================================================

#: Q [ions/cm³] and H [m] by class; river 43 is given per m³ (1.8 × 10⁹ /m³ = 1800 /cm³).
ION_Q = {11: 2000, 12: 1500, 14: 800, 21: 1000, 31: 700, 33: 500, 34: 400, 41: 1200, 42: 1600}
ION_Q_RIVER = 1800
ION_H = {11: 20, 12: 15, 14: 8, 21: 3, 31: 0.5, 33: 0.8, 34: 0.3, 41: 1.5, 42: 10, 43: 10}
ION_PRICE = 5.8185e-18  # CNY per ion (LY/T 1721—2008, shipped default)


@pytest.fixture(scope="module")
def ion_tables(tmp_path_factory) -> dict[str, EcosystemTable]:
    folder = tmp_path_factory.mktemp("ions")
    q_rows: dict[int, tuple[object, str]] = {c: (v, "ion/cm^3") for c, v in ION_Q.items()}
    q_rows[42] = (ION_Q[42], "1/cm^3")  # a plain count per cm³ is accepted too
    q_rows[43] = (1.8e9, "ion/m^3")
    return {
        "negative_ion_concentration": _table(folder, "negative_ion_concentration", q_rows),
        "canopy_height": _table(folder, "canopy_height", {c: (v, "m") for c, v in ION_H.items()}),
    }


def test_lyt1721_constant_is_a_unit_conversion():
    """5.256 × 10¹⁵ = 525,600 min/a × 10⁴ m²/hm² × 10⁶ cm³/m³."""
    assert LYT1721_CONSTANT == 525_600 * 10_000 * 1_000_000
    assert pytest.approx(5.256e15, rel=1e-15) == LYT1721_CONSTANT


def test_negative_ions_model_by_hand():
    """Q = 2000 /cm³, H = 20 m, A = 100 hm², L = 10 min:
    G = 5.256e15 · 2000 · 100 · 20 / 10 = 2.1024 × 10²¹ ions; above 600: 1400/2000 of it."""
    q = GRID.wrap(np.full(GRID.shape, 2000.0), name="q", units="1/cm^3")
    h = GRID.wrap(np.full(GRID.shape, 20.0), name="h", units="m")
    produced = negative_ions_produced(
        concentration=q, canopy_height=h, cell_area_ha=100.0, lifetime_min=10.0
    )
    assert produced.attrs == {"units": "ion"}
    assert produced.values[0, 0] == pytest.approx(2.1024e21, rel=1e-12)
    above, below = negative_ions_by_threshold(
        concentration=q, canopy_height=h, cell_area_ha=100.0, lifetime_min=10.0, threshold=600.0
    )
    assert above.values[0, 0] == pytest.approx(1.47168e21, rel=1e-12)  # 5.256e15·100·20·1400/10
    assert below.values[0, 0] == pytest.approx(6.3072e20, rel=1e-12)  # 5.256e15·100·20·600/10
    with pytest.raises(ValueError, match="lifetime_min"):
        negative_ions_produced(concentration=q, canopy_height=h, cell_area_ha=1.0, lifetime_min=0.0)
    with pytest.raises(UnitError, match="concentration"):
        negative_ions_produced(
            concentration=q.assign_attrs(units="ion/m^3"),
            canopy_height=h,
            cell_area_ha=1.0,
            lifetime_min=10.0,
        )


@FAST
@given(
    q=arrays(np.float64, (3, 3), elements=st.floats(0.0, 1e5)),
    h=arrays(np.float64, (3, 3), elements=st.floats(0.0, 60.0)),
    threshold=st.floats(0.0, 5000.0),
)
def test_negative_ion_parts_add_up_to_the_ions_produced(q, h, threshold):
    """above + below = G; above ≥ 0 and 0 where Q ≤ Q₀; below ≤ the ions at Q₀."""
    qa = xr.DataArray(q, dims=("y", "x"), attrs={"units": "1/cm^3"})
    ha = xr.DataArray(h, dims=("y", "x"), attrs={"units": "m"})
    args = {"concentration": qa, "canopy_height": ha, "cell_area_ha": 100.0, "lifetime_min": 10.0}
    produced = negative_ions_produced(**args).values
    above, below = (a.values for a in negative_ions_by_threshold(**args, threshold=threshold))
    np.testing.assert_allclose(above + below, produced, rtol=1e-12, atol=1e-3)
    assert np.all(above >= 0.0)
    assert np.all(above[q <= threshold] == 0.0)
    at_threshold = LYT1721_CONSTANT * 100.0 * h * threshold / 10.0
    assert np.all(below <= at_threshold * (1 + 1e-12) + 1e-3)


def test_negative_ions_item_by_hand(ion_tables):
    """Per cell: G = 5.256e15 · Q · 100 hm² · H / 10 min; valued K · G above 600 per cm³."""
    result = _compute(NegativeIons(), _catalogue(ion_tables), layers={})
    parts = _parts(result)
    # Broadleaf forest (0, 0): Q 2000, H 20 → 1.47168e21 above, 6.3072e20 below.
    assert parts["above_threshold"][0, 0] == pytest.approx(1.47168e21, rel=1e-12)
    assert parts["below_threshold"][0, 0] == pytest.approx(6.3072e20, rel=1e-12)
    # Tussock grassland (0, 2): Q 500 < 600 → nothing above; all 5.256e15·500·100·0.8/10 below.
    assert parts["above_threshold"][0, 2] == 0.0
    assert parts["below_threshold"][0, 2] == pytest.approx(2.1024e19, rel=1e-12)
    # River (1, 2): Q 1.8e9 /m³ = 1800 /cm³, H 10 → above 5.256e15·100·10·1200/10 = 6.3072e20.
    assert parts["above_threshold"][1, 2] == pytest.approx(6.3072e20, rel=1e-12)
    # Marsh (2, 0): Q 1200, H 1.5 → above 5.256e15·100·1.5·600/10 = 4.7304e19.
    assert parts["above_threshold"][2, 0] == pytest.approx(4.7304e19, rel=1e-12)
    for cell in [(0, 3), (1, 0), (1, 3), (2, 3), (3, 3)]:  # orchard, urban green, crop, …
        assert parts["above_threshold"][cell] == 0.0
        assert parts["below_threshold"][cell] == 0.0
    assert np.isnan(parts["above_threshold"][NAN_CELL])
    value = _value(result)
    assert value[0, 0] == pytest.approx(1.47168e21 * ION_PRICE, rel=1e-12)
    assert value[0, 0] == pytest.approx(8562.97008, rel=1e-9)  # 1.47168 · 5.8185 · 10³
    assert value[0, 2] == 0.0
    expected_g = 5.256e15 * 2000 * 100 * 20 / 10
    assert float(result.quantity.values[0, 0]) == pytest.approx(expected_g, rel=1e-12)
    assert result.tables == {
        "negative_ion_concentration": sorted(ION_H),
        "canopy_height": sorted(ION_H),
    }


def test_negative_ions_need_both_tables(ion_tables):
    with pytest.raises(TableError, match=r"\[tables\] negative_ion_concentration"):
        _compute(NegativeIons(), _catalogue(), layers={})
    only_q = {"negative_ion_concentration": ion_tables["negative_ion_concentration"]}
    with pytest.raises(TableError, match=r"\[tables\] canopy_height"):
        _compute(NegativeIons(), _catalogue(only_q), layers={})


def test_negative_ion_concentration_in_a_wrong_unit(tmp_path, ion_tables):
    rows: dict[int, tuple[object, str]] = {c: (1000, "ion/cm^3") for c in ION_H}
    rows[11] = (1000, "mg/m^3")
    tables = dict(ion_tables)
    tables["negative_ion_concentration"] = _table(tmp_path, "negative_ion_concentration", rows)
    with pytest.raises(TableError, match="ecosystem 11: unit 'mg/m\\^3'"):
        _compute(NegativeIons(), _catalogue(tables), layers={})


# ================================================================================================
# All three: dask versus numpy, value linear in price
# ================================================================================================


def _all_items(epp_table, ion_tables):
    tables = {"climate_epp": epp_table, **ion_tables}
    return [
        (ClimateRegulation(), {}, tables),
        (ClimateRegulation(), {"method": "epp_table"}, tables),
        (PestControl(), {"natural_share_forest": 0.7}, tables),
        (NegativeIons(), {}, tables),
    ]


@pytest.mark.parametrize("index", range(4))
def test_dask_matches_numpy(index, epp_table, ion_tables):
    """Every part is the same on numpy and on dask inputs in chunks of 2 and 3 cells, and stays
    lazy on dask."""
    item, options, tables = _all_items(epp_table, ion_tables)[index]
    catalogue = _catalogue(tables)
    reference = _parts(_compute(item, catalogue, options))
    for chunk in (2, 3):
        lazy = _compute(item, catalogue, options, chunk=chunk)
        for part in lazy.parts:
            assert isinstance(part.quantity.data, dsa.Array), part.id
            np.testing.assert_allclose(
                part.quantity.values, reference[part.id], rtol=1e-12, equal_nan=True
            )


PRICE_OF = {
    "climate_regulation": [("electricity_price", "CNY/kWh")],
    "pest_control": [
        ("pest_control_cost_forest", "CNY/hectare"),
        ("pest_control_cost_grassland", "CNY/hectare"),
    ],
    "negative_ions": [("negative_ion_cost", "CNY/ion")],
}


@FAST
@given(index=st.integers(0, 3), factor=st.floats(0.01, 100.0))
def test_value_is_linear_in_price(epp_table, ion_tables, index, factor):
    """Scaling every price of an item by k scales its value in every cell by k."""
    item, options, tables = _all_items(epp_table, ion_tables)[index]
    base = _value(_compute(item, _catalogue(tables), options))
    prices = {
        key: RecordOverride(value=PRICES.select(key).value * factor, unit=unit, source="test")
        for key, unit in PRICE_OF[item.id]
    }
    scaled = _value(_compute(item, _catalogue(tables, prices=prices), options))
    np.testing.assert_allclose(scaled, base * factor, rtol=1e-12, equal_nan=True)
    assert np.nansum(base) > 0


# ================================================================================================
# End to end: the synthetic region of conftest.py through the CLI
# ================================================================================================

runner = CliRunner()
HOT_DAYS_REGION = 183.0  # half of 2020 → ET_hot = 700 · 183/366 = 350 mm
CELLS = 16  # 4 km × 4 km counties of 1 km cells
COUNTIES = ("990101", "990102", "990201", "990202")  # forest 11, grassland 33, cropland, lake 42


def _select_items(config: Path, items: list[str]) -> None:
    select_items(config, items)


def _write_hot_days(folder: Path, days: float = HOT_DAYS_REGION) -> None:
    _, width, height = raster_grid()
    write_raster(folder / "hot_days.tif", np.full((height, width), days, dtype="float32"))


def _write_csv(path: Path, rows: dict[int, tuple[float, str]]) -> None:
    lines = ["ecosystem_code,value,unit,source,confidence"]
    lines += [f"{code},{value},{unit},test value,D" for code, (value, unit) in rows.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


HOT_DAYS_TOML = '[inputs.hot_days]\npath = "hot_days.tif"\nunits = "day"\n'
ION_Q_REGION = {11: 2000.0, 33: 500.0, 42: 1000.0}
ION_H_REGION = {11: 20.0, 33: 0.5, 42: 5.0}


@pytest.fixture
def patched(monkeypatch):
    monkeypatch.setitem(gepkit.items.IMPLEMENTED, "climate_regulation", ClimateRegulation())
    monkeypatch.setitem(gepkit.items.IMPLEMENTED, "pest_control", PestControl())
    monkeypatch.setitem(gepkit.items.IMPLEMENTED, "negative_ions", NegativeIons())


@pytest.fixture(scope="module")
def region_run(tmp_path_factory):
    """One run of the three items (climate by the ET method) on the synthetic region."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(gepkit.items.IMPLEMENTED, "climate_regulation", ClimateRegulation())
        mp.setitem(gepkit.items.IMPLEMENTED, "pest_control", PestControl())
        mp.setitem(gepkit.items.IMPLEMENTED, "negative_ions", NegativeIons())
        base = tmp_path_factory.mktemp("e2e")
        extra = (
            HOT_DAYS_TOML
            + '\n[tables]\nnegative_ion_concentration = "ions.csv"\ncanopy_height = "height.csv"\n'
            + "\n[options.pest_control]\nnatural_share_forest = 0.5\n"
        )
        config = build_region(base / "region", extra=extra)
        _select_items(config, ["climate_regulation", "pest_control", "negative_ions"])
        _write_hot_days(config.parent)
        _write_csv(config.parent / "ions.csv", {c: (v, "1/cm^3") for c, v in ION_Q_REGION.items()})
        _write_csv(config.parent / "height.csv", {c: (v, "m") for c, v in ION_H_REGION.items()})
        out = base / "out"
        result = runner.invoke(app, ["run", str(config), "--out", str(out)])
        assert result.exit_code == 0, result.output
        yield out


def _read(out: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(out / name, dtype={"unit_code": str, "parent_code": str})
    return accounts_wide(frame) if name == "accounts.csv" else frame


def _account(accounts: pd.DataFrame, code: str, item: str, column: str = "quantity") -> float:
    row = accounts[(accounts["unit_code"] == code) & (accounts["item"] == item)]
    assert len(row) == 1, (code, item)
    return float(row[column].iloc[0])


# Hand computation for the region: ET 700 mm, 183 of 366 hot days → ET_hot = 350 mm per cell.
REGION_ET_HOT = ET_MM * HOT_DAYS_REGION / 366  # 350 mm
REGION_VEG = REGION_ET_HOT * KWH_PER_MM / R  # 79,398,148.1 kWh per 1 km cell
REGION_WATER_COOL = REGION_ET_HOT * KWH_PER_MM  # 238,194,444.4 kWh
REGION_WATER_HUMID = REGION_ET_HOT * 1000 * Y  # 350,000 m³ · 120 = 42,000,000 kWh
CLIMATE_REGION = {
    "990101": CELLS * REGION_VEG,
    "990102": CELLS * REGION_VEG,
    "990201": 0.0,
    "990202": CELLS * (REGION_WATER_COOL + REGION_WATER_HUMID),
}
PEST_REGION = {"990101": CELLS * 100 * 0.5, "990102": CELLS * 100.0, "990201": 0.0, "990202": 0.0}
PEST_VALUE = {"990101": 800 * 375, "990102": 1600 * 112.5, "990201": 0.0, "990202": 0.0}


def _ions(code: int) -> tuple[float, float]:
    """(G, G above 600) per 1 km cell of class ``code``: 5.256e15 · Q · 100 hm² · H / 10 min."""
    q, h = ION_Q_REGION[code], ION_H_REGION[code]
    return 5.256e15 * q * 100 * h / 10, 5.256e15 * max(q - 600, 0) * 100 * h / 10


IONS_REGION = {"990101": _ions(11), "990102": _ions(33), "990201": (0.0, 0.0), "990202": _ions(42)}


def test_region_climate_regulation(region_run):
    assert pytest.approx(350.0) == REGION_ET_HOT
    assert pytest.approx(79_398_148.148148, rel=1e-12) == REGION_VEG
    accounts = _read(region_run, "accounts.csv")
    for code, expected in CLIMATE_REGION.items():
        assert _account(accounts, code, "climate_regulation") == pytest.approx(expected, rel=1e-6)
        value = _account(accounts, code, "climate_regulation", "value")
        assert value == pytest.approx(expected * ELECTRICITY, rel=1e-6)
    province = _account(accounts, "990000", "climate_regulation")
    assert province == pytest.approx(sum(CLIMATE_REGION.values()), rel=1e-6)  # float32 layers
    parts = _read(region_run, "parts.csv")
    lake = parts[(parts["unit_code"] == "990202") & (parts["item"] == "climate_regulation")]
    by_part = lake.set_index("part")["quantity"]
    assert by_part["vegetation"] == 0.0
    assert by_part["water_cooling"] == pytest.approx(CELLS * REGION_WATER_COOL, rel=1e-6)
    assert by_part["water_humidifying"] == pytest.approx(CELLS * REGION_WATER_HUMID, rel=1e-6)
    assert set(accounts[accounts["item"] == "climate_regulation"]["quantity_unit"]) == {"kWh"}


def test_region_pest_control(region_run):
    accounts = _read(region_run, "accounts.csv")
    for code, expected in PEST_REGION.items():
        assert _account(accounts, code, "pest_control") == pytest.approx(expected, rel=1e-9)
        value = _account(accounts, code, "pest_control", "value")
        assert value == pytest.approx(PEST_VALUE[code], rel=1e-9)
    components = _read(region_run, "components.csv")
    forest = components[
        (components["unit_code"] == "990101") & (components["component"] == "forest_pest_control")
    ].iloc[0]
    assert forest["unit_price"] == pytest.approx(375.0)
    assert forest["part"] == "forest"
    assert "Pema Dolkar" in forest["price_source"]


def test_region_negative_ions(region_run):
    accounts = _read(region_run, "accounts.csv")
    for code, (produced, above) in IONS_REGION.items():
        assert _account(accounts, code, "negative_ions") == pytest.approx(
            CELLS * produced, rel=1e-6
        )
        value = _account(accounts, code, "negative_ions", "value")
        assert value == pytest.approx(CELLS * above * ION_PRICE, rel=1e-6)
    # Tussock grassland at 500 ions/cm³ produces ions but none above 600: no value.
    assert _account(accounts, "990102", "negative_ions") > 0
    assert _account(accounts, "990102", "negative_ions", "value") == 0.0
    assert set(accounts[accounts["item"] == "negative_ions"]["quantity_unit"]) == {"ion"}


def test_region_checks_and_manifest(region_run):
    checks = _read(region_run, "checks.csv")
    assert checks["passed"].all()
    manifest = json.loads((region_run / "manifest.json").read_text(encoding="utf-8"))
    climate = manifest["items"]["climate_regulation"]
    assert climate["options"]["method"] == "evapotranspiration"
    assert climate["options"]["warn_share"] == 0.5
    assert "actual_et × hot_days / 366" in climate["method"]
    assert manifest["items"]["pest_control"]["options"]["natural_share_forest"] == 0.5
    flagged = " ".join(entry["what"] for entry in manifest["to_be_confirmed"])
    assert "negative_ion_cost" in flagged  # [K]
    assert "table negative_ion_concentration" in flagged  # the test tables are [D]


def test_region_climate_epp_method(region, tmp_path, patched):
    """EPP 250 kJ/(m²·d) for forest, 120 for tussock grassland; D = 183 d, r = 3:
    forest cell 250 · 10⁶ · 183 / 10,800 = 4,236,111.1 kWh."""
    extra = (
        HOT_DAYS_TOML
        + '\n[tables]\nclimate_epp = "epp.csv"\n'
        + '\n[options.climate_regulation]\nmethod = "epp_table"\ndivide_water_cooling_by_eer = true\n'
        + "humidifying = false\n"
    )
    config = region(extra=extra)
    _select_items(config, ["climate_regulation"])
    _write_hot_days(config.parent)
    _write_csv(config.parent / "epp.csv", {11: (250.0, "kJ/(m^2*d)"), 33: (120.0, "kJ/(m^2*d)")})
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    accounts = _read(out, "accounts.csv")
    forest = CELLS * 250 * 1e6 * 183 / (3600 * 3)
    assert forest / CELLS == pytest.approx(4_236_111.111111, rel=1e-9)
    expected = {
        "990101": forest,
        "990102": CELLS * 120 * 1e6 * 183 / (3600 * 3),
        "990201": 0.0,
        "990202": CELLS * REGION_WATER_COOL / R,  # divided by r, no humidifying
    }
    for code, value in expected.items():
        assert _account(accounts, code, "climate_regulation") == pytest.approx(value, rel=1e-6)
    parts = _read(out, "parts.csv")
    assert set(parts[parts["item"] == "climate_regulation"]["part"]) == {
        "vegetation",
        "water_cooling",
    }


def _fails(config: Path, out: Path, *fragments: str) -> None:
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{result.output}"
    assert "Nothing was written" in output
    assert not out.exists()


def test_cli_missing_epp_table(region, tmp_path, patched):
    config = region(extra=HOT_DAYS_TOML + '\n[options.climate_regulation]\nmethod = "epp_table"\n')
    _select_items(config, ["climate_regulation"])
    _write_hot_days(config.parent)
    _fails(
        config,
        tmp_path / "out",
        "climate_regulation needs the table 'climate_epp'",
        "[tables] climate_epp",
    )


def test_cli_missing_hot_days_layer(region, tmp_path, patched):
    config = region()
    _select_items(config, ["climate_regulation"])
    _fails(
        config,
        tmp_path / "out",
        "climate_regulation needs the layer 'hot_days'",
        "[inputs.hot_days]",
    )


def test_cli_missing_ion_tables(region, tmp_path, patched):
    config = region()
    _select_items(config, ["negative_ions"])
    _fails(
        config,
        tmp_path / "out",
        "negative_ions needs the table 'negative_ion_concentration'",
        "[tables] negative_ion_concentration",
    )


def test_cli_hot_days_in_the_wrong_unit(region, tmp_path, patched):
    """Hot days declared in hours are converted (24 h = 1 d): 4392 h = 183 d gives the same
    forest county as days would."""
    config = region(extra=HOT_DAYS_TOML.replace('units = "day"', 'units = "hour"'))
    _select_items(config, ["climate_regulation"])
    _write_hot_days(config.parent, days=HOT_DAYS_REGION * 24)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    accounts = _read(out, "accounts.csv")
    assert _account(accounts, "990101", "climate_regulation") == pytest.approx(
        CLIMATE_REGION["990101"], rel=1e-6
    )
    assert CELL == 1000.0  # the region's cells are 1 km², as the hand computation assumes
