"""Air and water purification (catalogue §2.8, §2.9; caps at emissions, §3.2 and §3.4).

Q_j = min(E_j, Σ_i Q_ij·A_i) per unit where E_j is reported (method ``capacity``), or Q_j = E_j
shared over the in-scope cells by area (method ``emissions``, the Garzê practice); value
Σ_j Q_j · c_j.

Two kinds of tests: the model and the items on a hand-built 4 × 4 context, and end-to-end runs of
the synthetic region of conftest.py with a land cover that mixes ecosystems inside counties:

    990101  16 broadleaf forest (11)                    990102  8 coniferous forest (12), 8 grassland (33)
    990201  4 shrub (21), 4 marsh (41), 8 cropland (51) 990202  16 lake (42)

Every cell is 1 km² = 100 hm².  Expected values are written out from the shipped tables:
SO₂ 88.65 / 215.60 / 92.10 kg/hm² and dust 10,110 / 33,200 / 11,400 kg/hm² for broadleaf /
coniferous forest / shrub (Miao et al. 2017); prices (CNY/t) SO₂ 1,200, NOx 630, dust 150,
COD 700, NH₃-N 875 (Garzê 2010), TP 2,800 (2003 sewage-charge basis).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import (
    CELL,
    COUNTIES,
    COUNTY,
    X0,
    Y0,
    accounts_wide,
    landcover_array,
    raster_grid,
    select_items,
    write_raster,
)
from conftest import build_region as build_synthetic_region
from typer.testing import CliRunner

import gepkit.compute
import gepkit.inputs
import gepkit.items
from gepkit.catalogue.book import Catalogue
from gepkit.catalogue.tables import EcosystemClasses, EcosystemTable, RecordTable, shipped_table
from gepkit.cli import app
from gepkit.config import load_config
from gepkit.errors import ConfigError, InputError, TableError, UnitError
from gepkit.grid import AccountingGrid
from gepkit.items.air_purification import AirPurification
from gepkit.items.base import ItemContext
from gepkit.items.water_purification import WaterPurification
from gepkit.models.purification import emission_weight, purification_capacity
from gepkit.pipeline import RunResult, run

# ----------------------------------------------------------------------------------------------
# Hand computation
# ----------------------------------------------------------------------------------------------

HA_PER_CELL = 100.0  # 1 km² cells
KG = 1e-3  # t per kg

# Shipped capacities (kg/hm²) by ecosystem code.
SO2 = {11: 88.65, 12: 215.60, 13: 152.13, 21: 92.10, 22: 92.10}
DUST = {11: 10110.0, 12: 33200.0, 13: 21660.0, 21: 11400.0, 22: 11400.0}
PRICE = {"so2": 1200.0, "nox": 630.0, "dust": 150.0, "cod": 700.0, "nh3n": 875.0, "tp": 2800.0}
#: The default variant of each price (TP has no Garzê figure: same 2003 charge basis, [V*]).
PRICE_VARIANT = dict.fromkeys(PRICE, "garze2010") | {"tp": "charge2003"}

# Cells per ecosystem in each county of the end-to-end region.
FOREST_SHRUB_CELLS = {"990101": {11: 16}, "990102": {12: 8}, "990201": {21: 4}, "990202": {}}

# SO₂ capacity per county [t]: 16·100·88.65 kg, 8·100·215.60 kg, 4·100·92.10 kg, no forest.
SO2_CAPACITY = {"990101": 141.84, "990102": 172.48, "990201": 36.84, "990202": 0.0}
# Dust capacity per county [t]: 16·100·10,110 kg, 8·100·33,200 kg, 4·100·11,400 kg.
DUST_CAPACITY = {"990101": 16176.0, "990102": 26560.0, "990201": 4560.0, "990202": 0.0}

COUNTY_CODES = ("990101", "990102", "990201", "990202")
CITY_OF = {"990101": "990100", "990102": "990100", "990201": "990200", "990202": "990200"}


def test_hand_capacities_follow_from_the_tables():
    """The county capacities above are Σ cells × 100 hm² × capacity (kg → t)."""
    for code, cells in FOREST_SHRUB_CELLS.items():
        so2 = sum(n * HA_PER_CELL * SO2[eco] * KG for eco, n in cells.items())
        dust = sum(n * HA_PER_CELL * DUST[eco] * KG for eco, n in cells.items())
        assert so2 == pytest.approx(SO2_CAPACITY[code], rel=1e-12)
        assert dust == pytest.approx(DUST_CAPACITY[code], rel=1e-12)


# ----------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------

#: 1 km cells in China Albers; bounds on whole kilometres plus the 1-cell buffer → 4 × 4 cells.
GRID = AccountingGrid.from_bounds((0.0, 0.0, 2000.0, 2000.0), 1000.0, "china-albers")
NAN = np.nan
ECOSYSTEM = np.array(
    [
        [11.0, 11.0, 12.0, 13.0],
        [21.0, 22.0, 23.0, 33.0],
        [41.0, 42.0, 43.0, 51.0],
        [NAN, 14.0, 41.0, 62.0],
    ]
)


def test_capacity_is_capacity_per_area_times_area():
    """0.08865 t/hm² × 100 hm² = 8.865 t; 0.2156 × 100 = 21.56 t; NaN stays NaN."""
    per_area = GRID.wrap(
        np.array(
            [
                [0.08865, 0.2156, 0.0921, NAN],
                [10.11, 33.2, 0.0, 1.0],
                [0.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 0.0],
            ]
        ),
        name="q",
        units="t/hectare",
    )
    out = purification_capacity(capacity_per_area=per_area, cell_area_ha=100.0, name="so2")
    assert out.attrs == {"units": "t"}
    assert out.name == "so2"
    assert out.values[0, 0] == pytest.approx(8.865, rel=1e-12)
    assert out.values[0, 1] == pytest.approx(21.56, rel=1e-12)
    assert out.values[0, 2] == pytest.approx(9.21, rel=1e-12)
    assert np.isnan(out.values[0, 3])
    assert out.values[1, 0] == pytest.approx(1011.0, rel=1e-12)
    assert out.values[1, 1] == pytest.approx(3320.0, rel=1e-12)
    # a 30 m cell is 0.09 hm²
    small = purification_capacity(capacity_per_area=per_area, cell_area_ha=0.09)
    assert small.values[0, 0] == pytest.approx(0.08865 * 0.09, rel=1e-12)


@pytest.mark.parametrize("units", ["kg/hectare", "t", None])
def test_capacity_refuses_other_units(units):
    """A capacity in kg/hm² (a convertible unit) or without unit is refused, never guessed."""
    per_area = GRID.wrap(np.ones(GRID.shape), name="q", units="t/hectare")
    if units is None:
        del per_area.attrs["units"]
    else:
        per_area.attrs["units"] = units
    with pytest.raises(UnitError, match="capacity_per_area"):
        purification_capacity(capacity_per_area=per_area, cell_area_ha=100.0)


def test_emission_weight_is_cell_area_in_scope():
    mask = GRID.wrap(np.array([[True, False, True, False]] * 4), name="m", units="dimensionless")
    out = emission_weight(in_scope=mask, cell_area_ha=100.0, name="nox")
    np.testing.assert_array_equal(out.values, np.array([[100.0, 0.0, 100.0, 0.0]] * 4))
    assert out.attrs["units"] == "hectare"
    with pytest.raises(TypeError, match="boolean"):
        emission_weight(in_scope=mask.astype("float64"), cell_area_ha=100.0)
    with pytest.raises(ValueError, match="positive"):
        emission_weight(in_scope=mask, cell_area_ha=0.0)


def test_model_dask_matches_numpy():
    per_area = GRID.wrap(np.arange(16.0).reshape(4, 4) / 100, name="q", units="t/hectare")
    mask = GRID.wrap(np.arange(16).reshape(4, 4) % 3 == 0, name="m", units="dimensionless")
    reference = purification_capacity(capacity_per_area=per_area, cell_area_ha=100.0)
    weights = emission_weight(in_scope=mask, cell_area_ha=100.0)
    for chunk in (2, 3):
        lazy = purification_capacity(capacity_per_area=per_area.chunk(chunk), cell_area_ha=100.0)
        lazy_w = emission_weight(in_scope=mask.chunk(chunk), cell_area_ha=100.0)
        assert isinstance(lazy.data, dsa.Array)
        assert isinstance(lazy_w.data, dsa.Array)
        np.testing.assert_array_equal(lazy.values, reference.values)
        np.testing.assert_array_equal(lazy_w.values, weights.values)


# ----------------------------------------------------------------------------------------------
# The items on a hand-built context
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    classes = EcosystemClasses.load()
    tables = {
        name: EcosystemTable.load(name, shipped_table(f"{name}.csv"), ["value", "unit"], classes)
        for name in ("air_capacity_so2", "air_capacity_dust")
    }
    return Catalogue(
        classes=classes,
        tables=tables,
        parameters=RecordTable.load(shipped_table("parameters.csv"), "parameter"),
        prices=RecordTable.load(shipped_table("prices.csv"), "price"),
    )


def _context(catalogue: Catalogue, statistics: dict[str, dict[str, float]]) -> ItemContext:
    codes = frozenset(int(c) for c in ECOSYSTEM[np.isfinite(ECOSYSTEM)])
    return ItemContext(
        grid=GRID,
        year=2020,
        layers={},
        ecosystem=GRID.wrap(ECOSYSTEM, name="ecosystem", units="dimensionless"),
        present_codes=codes,
        catalogue=catalogue,
        statistics=statistics,
    )


AIR_STATISTICS = {
    "emissions_so2": {"990101": 100.0, "990102": NAN},
    "emissions_nox": {"990100": 300.0},
    "emissions_dust": {"990000": 5000.0},
}


def test_air_parts_per_cell(catalogue):
    """SO₂ and dust: capacity × 100 hm² on forest 11–13 and shrub 21–22; NOx: 100 hm² weights."""
    item = AirPurification()
    result = item.compute(_context(catalogue, AIR_STATISTICS), item.options({}))
    parts = {p.id: p.quantity.values for p in result.parts}
    assert list(parts) == ["so2", "nox", "dust"]
    expected_so2 = np.array(
        [
            [8.865, 8.865, 21.56, 15.213],  # 88.65, 88.65, 215.60, 152.13 kg/hm² × 100 hm²
            [9.21, 9.21, 0.0, 0.0],  # shrub 92.10 kg/hm²; sparse shrub and grassland out of scope
            [0.0, 0.0, 0.0, 0.0],  # wetland and cropland out of scope
            [NAN, 0.0, 0.0, 0.0],  # unknown ecosystem → NaN; sparse forest out of scope
        ]
    )
    expected_dust = np.array(
        [
            [1011.0, 1011.0, 3320.0, 2166.0],
            [1140.0, 1140.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [NAN, 0.0, 0.0, 0.0],
        ]
    )
    expected_nox = np.array(
        [
            [100.0, 100.0, 100.0, 100.0],
            [100.0, 100.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [NAN, 0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_allclose(parts["so2"], expected_so2, rtol=1e-12)
    np.testing.assert_allclose(parts["dust"], expected_dust, rtol=1e-12)
    np.testing.assert_allclose(parts["nox"], expected_nox, rtol=1e-12)
    # the capacity tables are looked up for the in-scope codes present (NOx has none)
    assert result.tables == {
        "air_capacity_so2": [11, 12, 13, 21, 22],
        "air_capacity_dust": [11, 12, 13, 21, 22],
    }


def test_air_caps_and_components(catalogue):
    """Capacity methods cap with 'min', the emissions method with 'equal'; NaN limits dropped."""
    item = AirPurification()
    result = item.compute(_context(catalogue, AIR_STATISTICS), item.options({}))
    caps = {c.part: c for c in result.caps}
    assert caps["so2"].rule == "min"
    assert caps["dust"].rule == "min"
    assert caps["nox"].rule == "equal"
    assert caps["so2"].limits == {"990101": 100.0}  # the empty cell (NaN) is "not reported"
    assert caps["nox"].limits == {"990100": 300.0}
    assert caps["dust"].statistic == "emissions_dust"
    components = {c.id: c for c in result.components}
    for pollutant in ("so2", "nox", "dust"):
        component = components[pollutant]
        assert component.part == pollutant
        assert component.per_item == 1.0
        assert component.quantity_unit == "t"
        assert component.price.key == f"{pollutant}_removal_cost"
        assert component.price.value_in("CNY/t") == pytest.approx(PRICE[pollutant])
    assert result.options["methods"] == {
        "so2": "capacity",
        "nox": "emissions",
        "dust": "capacity",
        "fluoride": "emissions",
    }
    assert any("nox: purified = emitted" in note for note in result.notes)
    assert "so2, dust: capacity" in result.method


def test_water_defaults_are_emission_weights_on_wetland(catalogue):
    statistics = {f"emissions_{p}": {"990000": 1.0} for p in ("cod", "nh3n", "tp")}
    item = WaterPurification()
    result = item.compute(_context(catalogue, statistics), item.options({}))
    assert [p.id for p in result.parts] == ["cod", "nh3n", "tp"]
    expected = np.array(
        [
            [0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [100.0, 100.0, 100.0, 0.0],  # marsh, lake, river; cropland out
            [NAN, 0.0, 100.0, 0.0],
        ]
    )
    for part in result.parts:
        np.testing.assert_array_equal(part.quantity.values, expected)
    assert {c.rule for c in result.caps} == {"equal"}
    prices = {c.id: c.price.value_in("CNY/t") for c in result.components}
    assert prices == pytest.approx({"cod": 700.0, "nh3n": 875.0, "tp": 2800.0})
    assert result.tables == {}


def test_all_missing_inputs_are_reported_at_once(catalogue):
    """No statistic configured and a NOx capacity table missing: four problems in one error."""
    item = AirPurification()
    options = item.options({"methods": {"nox": "capacity"}})
    with pytest.raises(InputError) as err:
        item.compute(_context(catalogue, {}), options)
    text = str(err.value)
    assert len(err.value.problems) == 4
    for fragment in (
        "[statistics.emissions_so2]",
        "[statistics.emissions_nox]",
        "[statistics.emissions_dust]",
        "[tables] air_capacity_nox",
    ):
        assert fragment in text, text


def test_missing_statistic_names_the_config_section(catalogue):
    item = WaterPurification()
    with pytest.raises(ConfigError) as err:
        item.compute(
            _context(catalogue, {"emissions_cod": {"990000": 1.0}}),
            item.options({"pollutants": ["cod", "tn"]}),
        )
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert problem.field == "statistics.emissions_tn"
    assert "water_purification (tn, method 'emissions')" in problem.message
    assert "add [statistics.emissions_tn]" in str(problem)


def test_water_capacity_without_table(catalogue):
    item = WaterPurification()
    with pytest.raises(TableError, match=r"\[tables\] water_capacity_cod") as err:
        item.compute(
            _context(catalogue, {"emissions_cod": {"990000": 1.0}}),
            item.options({"pollutants": ["cod"], "methods": {"cod": "capacity"}}),
        )
    assert "no verified values were found" in str(err.value)


def test_water_capacity_with_user_table(catalogue, tmp_path):
    """User table in kg/hm²: marsh 50, lake 20, river 10 → × 100 hm² = 5, 2, 1 t per cell."""
    path = tmp_path / "cod.csv"
    path.write_text(
        "ecosystem_code,value,unit,source,confidence\n"
        "41,50,kg/hectare,test,K\n42,20,kg/hectare,test,K\n43,10,kg/hectare,test,K\n",
        encoding="utf-8",
    )
    table = EcosystemTable.load("water_capacity_cod", path, ["value", "unit"], catalogue.classes)
    with_table = replace(catalogue, tables={**catalogue.tables, "water_capacity_cod": table})
    item = WaterPurification()
    result = item.compute(
        _context(with_table, {"emissions_cod": {"990000": 1.0}}),
        item.options({"pollutants": ["cod"], "methods": {"cod": "capacity"}}),
    )
    np.testing.assert_allclose(result.parts[0].quantity.values[2], [5.0, 2.0, 1.0, 0.0])
    np.testing.assert_allclose(result.parts[0].quantity.values[3, 1:], [0.0, 5.0, 0.0])
    assert result.caps[0].rule == "min"


def test_scope_code_without_capacity_row_is_an_error(catalogue):
    """Sparse forest (14) brought into scope has no SO₂ capacity: an error, not a silent 0."""
    item = AirPurification()
    with pytest.raises(InputError, match=r"14 \(Sparse forest\)"):
        item.compute(
            _context(catalogue, AIR_STATISTICS),
            item.options({"pollutants": ["so2"], "ecosystems": [1, 2]}),
        )


def test_options():
    air, water = AirPurification(), WaterPurification()
    default = air.options({})
    assert default.pollutants == ("so2", "nox", "dust")
    assert default.ecosystems == (11, 12, 13, 21, 22)
    assert water.options({}).pollutants == ("cod", "nh3n", "tp")
    assert water.options({}).ecosystems == (41, 42, 43)
    assert set(water.options({}).methods.values()) == {"emissions"}
    merged = air.options({"methods": {"nox": "capacity"}})
    assert merged.methods["nox"] == "capacity"
    assert merged.methods["so2"] == "capacity"  # not named: the default
    assert merged.methods["fluoride"] == "emissions"
    for bad, fragment in (
        ({"pollutants": ["so2", "co2"]}, "unknown pollutant(s) co2"),
        ({"pollutants": ["cod"]}, "unknown pollutant(s) cod"),
        ({"pollutants": []}, "at least one pollutant"),
        ({"pollutants": ["so2", "so2"]}, "listed twice"),
        ({"methods": {"pm25": "capacity"}}, "unknown pollutant(s) pm25"),
        ({"methods": {"so2": "guess"}}, "'capacity' or 'emissions'"),
        ({"scope": [1]}, "is not an option of this item"),
    ):
        with pytest.raises(ConfigError, match=re.escape(fragment)):
            air.options(bad)


# ----------------------------------------------------------------------------------------------
# End-to-end runs of the synthetic region
# ----------------------------------------------------------------------------------------------


def _statistics_for(plan: Any, year: int) -> dict[str, dict[str, float]]:
    """Per-unit statistics of ``year`` as given in the tables (rows without a year apply to all)."""
    out = {}
    for name, frame in plan.statistics.items():
        rows = frame[(frame["year"] == year) | frame["year"].isna()]
        out[name] = {str(c): float(v) for c, v in zip(rows["code"], rows["value"], strict=True)}
    return out


def _register_items(mp: pytest.MonkeyPatch) -> None:
    """Register the two items (the maintainer adds them to IMPLEMENTED) and make sure the item
    context carries the run's statistics.

    gepkit.inputs.year_context does not (yet) pass ``plan.statistics`` to the ItemContext, so
    every statistic looks unconfigured to an item.  Until it does, this wrapper fills them in;
    it steps aside as soon as the context carries statistics of its own.
    """
    mp.setitem(gepkit.items.IMPLEMENTED, "air_purification", AirPurification())
    mp.setitem(gepkit.items.IMPLEMENTED, "water_purification", WaterPurification())
    original = gepkit.inputs.year_context

    def year_context(plan: Any, year: int) -> ItemContext:
        ctx = original(plan, year)
        if ctx.statistics or not plan.statistics:
            return ctx
        return replace(ctx, statistics=_statistics_for(plan, year))

    mp.setattr(gepkit.inputs, "year_context", year_context)
    mp.setattr(gepkit.compute, "year_context", year_context)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    _register_items(monkeypatch)


def _write_landcover(folder: Path) -> None:
    """The conftest land cover with mixed counties (see the module docstring)."""
    data = landcover_array()
    transform, width, height = raster_grid()
    xs = transform.c + (np.arange(width) + 0.5) * CELL
    ys = transform.f - (np.arange(height) + 0.5) * CELL

    def paint(code: str, first_km: int, last_km: int, igbp: int) -> None:
        """Columns first_km … last_km − 1 (from the west) of a county get IGBP class igbp."""
        (col, row), _, _ = COUNTIES[code]
        x0, y0 = X0 + col * COUNTY, Y0 + row * COUNTY
        in_x = (xs > x0 + first_km * CELL) & (xs < x0 + last_km * CELL)
        in_y = (ys > y0) & (ys < y0 + COUNTY)
        data[np.ix_(in_y, in_x)] = igbp

    paint("990102", 0, 2, 1)  # evergreen needleleaf → coniferous forest (12)
    paint("990201", 0, 1, 6)  # closed shrubland → broadleaf shrub (21)
    paint("990201", 1, 2, 11)  # permanent wetland → marsh (41)
    write_raster(folder / "landcover.tif", data, nodata=255)


def _setup(
    config: Path,
    *,
    items: list[str],
    statistics: dict[str, dict[str, float]],
) -> Path:
    """Select ``items``, write one CSV per statistic, and the mixed land cover."""
    select_items(config, items)
    for name, values in statistics.items():
        lines = ["code,value", *(f"{code},{value}" for code, value in values.items())]
        (config.parent / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_landcover(config.parent)
    return config


def _extra(statistics: dict[str, dict[str, float]], more: str = "") -> str:
    sections = [
        f'[statistics.{name}]\npath = "{name}.csv"\nunits = "t"\nsource = "test"\n'
        for name in statistics
    ]
    return "\n".join(sections) + "\n" + more


def make_config(
    region: Callable[..., Path],
    *,
    items: list[str],
    statistics: dict[str, dict[str, float]],
    more: str = "",
    **options: Any,
) -> Path:
    config = region(extra=_extra(statistics, more), **options)
    return _setup(config, items=items, statistics=statistics)


def _parts(result: RunResult, item: str) -> pd.DataFrame:
    parts = result.tables["parts"]
    rows = parts[parts["item"] == item]
    return rows.pivot_table(index="unit_code", columns="part", values="quantity")


def _accounts(result: RunResult, item: str) -> pd.DataFrame:
    accounts = accounts_wide(result.tables["accounts"])
    return accounts[accounts["item"] == item].set_index("unit_code")


def _expect_units(actual: pd.Series, counties: dict[str, float]) -> None:
    """Counties as given; cities and the province as sums (§3.4: province = Σ counties)."""
    expected = dict(counties)
    for city in ("990100", "990200"):
        expected[city] = sum(v for c, v in counties.items() if CITY_OF[c] == city)
    expected["990000"] = sum(counties.values())
    for code, value in expected.items():
        assert actual[code] == pytest.approx(value, rel=1e-9, abs=1e-9), code


def _map_value(path: Path, x: float, y: float) -> float:
    with rasterio.open(path) as src:
        row, col = src.index(x, y)
        return float(src.read(1)[row, col])


def _map_total(path: Path) -> float:
    with rasterio.open(path) as src:
        return float(np.nansum(src.read(1).astype("float64")))


# Air: county-level emissions [t] chosen to fall below and above each county's capacity.
AIR_EMISSIONS = {
    "emissions_so2": {"990101": 500.0, "990102": 100.0, "990201": 20.0, "990202": 50.0},
    "emissions_nox": {"990101": 300.0, "990102": 400.0, "990201": 50.0, "990202": 70.0},
    "emissions_dust": {"990101": 20000.0, "990102": 1000.0, "990201": 3000.0, "990202": 100.0},
}
# Purified per county [t].
AIR_EXPECTED = {
    # min(E, capacity): 141.84 < 500 (capacity binds); 100 < 172.48 and 20 < 36.84 (emissions
    # bind); no forest in 990202 → 0.
    "so2": {"990101": 141.84, "990102": 100.0, "990201": 20.0, "990202": 0.0},
    # purified = emitted; 990202 has no forest or shrub to carry its 70 t → 0 with a warning.
    "nox": {"990101": 300.0, "990102": 400.0, "990201": 50.0, "990202": 0.0},
    # 16,176 < 20,000; 1,000 < 26,560; 3,000 < 4,560; no forest → 0.
    "dust": {"990101": 16176.0, "990102": 1000.0, "990201": 3000.0, "990202": 0.0},
}

# Water: COD per county, NH₃-N for the province only, TP per city [t].
WATER_EMISSIONS = {
    "emissions_cod": {"990101": 10.0, "990102": 0.0, "990201": 40.0, "990202": 320.0},
    "emissions_nh3n": {"990000": 25.0},
    "emissions_tp": {"990100": 5.0, "990200": 20.0},
}
WATER_EXPECTED = {
    # 990101 has no wetland: its 10 t cannot be carried → 0 with a warning; 990102 emits 0.
    "cod": {"990101": 0.0, "990102": 0.0, "990201": 40.0, "990202": 320.0},
    # 25 t over the 20 wetland cells of the province: 4 cells → 5 t, 16 cells → 20 t.
    "nh3n": {"990101": 0.0, "990102": 0.0, "990201": 5.0, "990202": 20.0},
    # city 990100 has no wetland (5 t → 0, warning); 990200's 20 t by wetland area 4 : 16.
    "tp": {"990101": 0.0, "990102": 0.0, "990201": 4.0, "990202": 16.0},
}


def _both_items_run(folder: Path, chunk: int) -> RunResult:
    statistics = {**AIR_EMISSIONS, **WATER_EMISSIONS}
    config = build_synthetic_region(folder, chunk=chunk, extra=_extra(statistics))
    _setup(config, items=["air_purification", "water_purification"], statistics=statistics)
    return run(load_config(config), folder / "out")


@pytest.fixture(scope="module")
def both_items(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunResult]:
    """One run of both items with the default options (shared by the tests that read it)."""
    with pytest.MonkeyPatch.context() as mp:
        _register_items(mp)
        yield _both_items_run(tmp_path_factory.mktemp("both"), chunk=1024)


@pytest.mark.parametrize("pollutant", ["so2", "nox", "dust"])
def test_air_pollutants_by_unit(both_items, pollutant):
    """SO₂, dust: min(emissions, capacity) per county; NOx: equal to emissions."""
    _expect_units(_parts(both_items, "air_purification")[pollutant], AIR_EXPECTED[pollutant])


@pytest.mark.parametrize("pollutant", ["cod", "nh3n", "tp"])
def test_water_pollutants_by_unit(both_items, pollutant):
    """Purified = emitted at the level given, shared by wetland area below it."""
    _expect_units(_parts(both_items, "water_purification")[pollutant], WATER_EXPECTED[pollutant])


@pytest.mark.parametrize(
    ("item", "expected"),
    [("air_purification", AIR_EXPECTED), ("water_purification", WATER_EXPECTED)],
)
def test_values_are_quantity_times_price_per_pollutant(both_items, item, expected):
    accounts = _accounts(both_items, item)
    components = both_items.tables["components"]
    components = components[components["item"] == item]
    for code in COUNTY_CODES:
        quantity = sum(expected[p][code] for p in expected)
        value = sum(expected[p][code] * PRICE[p] for p in expected)
        assert accounts.at[code, "quantity"] == pytest.approx(quantity, rel=1e-9, abs=1e-9)
        assert accounts.at[code, "value"] == pytest.approx(value, rel=1e-9, abs=1e-6)
        for pollutant in expected:
            row = components[
                (components["unit_code"] == code) & (components["component"] == pollutant)
            ].iloc[0]
            assert row["part"] == pollutant
            assert row["unit_price"] == pytest.approx(PRICE[pollutant])
            assert row["price_id"] == f"{pollutant}_removal_cost/{PRICE_VARIANT[pollutant]}"
            assert row["value"] == pytest.approx(
                expected[pollutant][code] * PRICE[pollutant], rel=1e-9, abs=1e-6
            )
    # 990201 by hand: 20·1200 + 50·630 + 3000·150 = 505,500 CNY (air); 40·700 + 5·875 + 4·2800
    # = 43,575 CNY (water).
    hand = {"air_purification": 505_500.0, "water_purification": 43_575.0}[item]
    assert accounts.at["990201", "value"] == pytest.approx(hand, rel=1e-12)


def test_units_without_ecosystem_get_zero_with_a_warning(both_items):
    messages = [str(w) for w in both_items.warnings]
    nox = [m for m in messages if "emissions_nox" in m and "990202" in m]
    cod = [m for m in messages if "emissions_cod" in m and "990101" in m]
    tp = [m for m in messages if "emissions_tp" in m and "990100" in m]
    for found in (nox, cod, tp):
        assert len(found) == 1, messages
        assert "no ecosystem of the item's scope to carry it; counted as 0" in found[0]
    # a unit that emits 0 and has no wetland is not worth a warning
    assert not [m for m in messages if "emissions_cod" in m and "990102" in m]


def test_cap_checks_are_recorded(both_items):
    checks = both_items.tables["checks"]
    capped = checks[checks["check"] == "capped_at_statistic"]
    assert capped["passed"].all()
    so2 = capped[capped["item"] == "air_purification/so2"].set_index("unit_code")
    assert so2.at["990101", "expected"] == pytest.approx(500.0)
    assert so2.at["990101", "actual"] == pytest.approx(141.84, rel=1e-9)
    nh3n = capped[capped["item"] == "water_purification/nh3n"]
    assert list(nh3n["unit_code"]) == ["990000"]  # reported for the province only


def test_maps_per_cell_and_sums(both_items):
    """Cells carry the capped share of their unit; each map sums to the province total."""
    maps = both_items.out_dir / "maps"
    air, water = (
        maps / "air_purification_2020_quantity.tif",
        maps / "water_purification_2020_quantity.tif",
    )
    broadleaf = (X0 + 500, Y0 + COUNTY + 500)  # 990101
    conifer = (X0 + COUNTY + 500, Y0 + COUNTY + 500)  # 990102, west half
    grass = (X0 + COUNTY + 3500, Y0 + COUNTY + 500)  # 990102, east half
    shrub, marsh, crop = (X0 + 500, Y0 + 500), (X0 + 1500, Y0 + 500), (X0 + 3500, Y0 + 500)
    lake = (X0 + COUNTY + 500, Y0 + 500)  # 990202
    air_cells = {
        # SO₂ capacity binds: 8.865 t; NOx 300/16 = 18.75 t; dust capacity binds: 1,011 t
        broadleaf: 8.865 + 300 / 16 + 1011.0,
        # SO₂ 100/8; NOx 400/8; dust 1000/8
        conifer: 100 / 8 + 400 / 8 + 1000 / 8,
        grass: 0.0,
        # SO₂ 20/4; NOx 50/4; dust 3000/4
        shrub: 20 / 4 + 50 / 4 + 3000 / 4,
        marsh: 0.0,
        crop: 0.0,
        lake: 0.0,
    }
    water_cells = {
        # COD 40/4, NH₃-N 25/20, TP 20/20 (city 990200's 20 t over its 20 wetland cells)
        marsh: 40 / 4 + 25 / 20 + 20 / 20,
        lake: 320 / 16 + 25 / 20 + 20 / 20,
        shrub: 0.0,
        broadleaf: 0.0,
    }
    for path, cells in ((air, air_cells), (water, water_cells)):
        for (x, y), value in cells.items():
            assert _map_value(path, x, y) == pytest.approx(value, rel=1e-6, abs=1e-6), (path, x, y)
    for item, path in (("air_purification", air), ("water_purification", water)):
        accounts = _accounts(both_items, item)
        assert _map_total(path) == pytest.approx(accounts.at["990000", "quantity"], rel=1e-6)
        value_map = maps / f"{item}_2020_value.tif"
        assert _map_total(value_map) == pytest.approx(accounts.at["990000", "value"], rel=1e-6)


def test_chunkings_give_identical_results(both_items, tmp_path):
    """Dask blocks of 3 cells and one block of 4096 give the same accounts, parts and maps."""
    with pytest.MonkeyPatch.context() as mp:
        _register_items(mp)
        small = _both_items_run(tmp_path / "small", chunk=3)
        large = _both_items_run(tmp_path / "large", chunk=4096)
    for name in ("accounts", "parts", "components"):
        a, b = small.tables[name], large.tables[name]
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
        c = both_items.tables[name]
        np.testing.assert_allclose(a["quantity"], c["quantity"], rtol=1e-12)
    for item in ("air_purification", "water_purification"):
        for kind in ("quantity", "value"):
            name = f"maps/{item}_2020_{kind}.tif"
            with rasterio.open(small.out_dir / name) as s, rasterio.open(large.out_dir / name) as g:
                np.testing.assert_array_equal(s.read(1), g.read(1))


def test_emissions_given_for_cities_only(region, tmp_path, registered):
    """The cap applies to the city; its counties share the capped value by capacity."""
    statistics = {"emissions_so2": {"990100": 200.0, "990200": 100.0}}
    config = make_config(
        region,
        items=["air_purification"],
        statistics=statistics,
        more='[options.air_purification]\npollutants = ["so2"]\n',
    )
    result = run(load_config(config), tmp_path / "out")
    city1_capacity = 141.84 + 172.48  # 314.32 t > 200 t: emissions bind
    _expect_units(
        _parts(result, "air_purification")["so2"],
        {
            "990101": 200.0 * 141.84 / city1_capacity,
            "990102": 200.0 * 172.48 / city1_capacity,
            "990201": 36.84,  # city 990200: capacity 36.84 t < 100 t binds
            "990202": 0.0,
        },
    )


def test_emissions_given_at_several_levels(region, tmp_path, registered):
    """The finest level given applies; a coarser value that disagrees is reported."""
    statistics = {
        "emissions_so2": {
            "990000": 1000.0,
            "990100": 200.0,
            "990200": 5.0,
            "990201": 20.0,
            "990202": 50.0,
        }
    }
    config = make_config(
        region,
        items=["air_purification"],
        statistics=statistics,
        more='[options.air_purification]\npollutants = ["so2"]\n',
    )
    result = run(load_config(config), tmp_path / "out")
    city1_capacity = 141.84 + 172.48
    _expect_units(
        _parts(result, "air_purification")["so2"],
        {
            "990101": 200.0 * 141.84 / city1_capacity,  # city 990100: no county values
            "990102": 200.0 * 172.48 / city1_capacity,
            "990201": 20.0,  # the county's 20 t, not the city's 5 t
            "990202": 0.0,
        },
    )
    # The province is the sum of the capped units (220 t), not min(1000, 350.16).
    assert _parts(result, "air_purification").at["990000", "so2"] == pytest.approx(220.0)
    messages = " ".join(str(w) for w in result.warnings)
    assert "the value for 990000 (1000) differs from the sum for its sub-units (270)" in messages
    assert "the value for 990200 (5) differs from the sum for its sub-units (70)" in messages


def test_water_capacity_method_with_user_table(region, tmp_path, registered):
    """COD capacity from a user table (kg/hm²): marsh 50, lake 20 → 20 t and 32 t per county."""
    statistics = {"emissions_cod": {"990101": 0.0, "990102": 0.0, "990201": 40.0, "990202": 10.0}}
    more = (
        '[tables]\nwater_capacity_cod = "cod_capacity.csv"\n\n'
        '[options.water_purification]\npollutants = ["cod"]\nmethods = { cod = "capacity" }\n'
    )
    config = make_config(region, items=["water_purification"], statistics=statistics, more=more)
    (config.parent / "cod_capacity.csv").write_text(
        "ecosystem_code,value,unit,source,confidence\n"
        "41,50,kg/hectare,test value,K\n42,20,kg/hectare,test value,K\n"
        "43,10,kg/hectare,test value,K\n",
        encoding="utf-8",
    )
    result = run(load_config(config), tmp_path / "out")
    _expect_units(
        _parts(result, "water_purification")["cod"],
        # 4 cells·100 hm²·0.05 t = 20 t < 40 t; 16·100·0.02 = 32 t > 10 t
        {"990101": 0.0, "990102": 0.0, "990201": 20.0, "990202": 10.0},
    )
    manifest_items = result.manifest["items"]["water_purification"]
    assert manifest_items["options"]["methods"]["cod"] == "capacity"


# -- bad inputs through the CLI -------------------------------------------------------------------

runner = CliRunner()


def _run_fails(config: Path, out: Path, *fragments: str) -> str:
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{result.output}"
    assert "Nothing was written" in output
    assert not out.exists()
    return output


def test_county_without_emissions(region, tmp_path, registered):
    statistics = {"emissions_so2": {"990101": 500.0, "990102": 100.0, "990201": 20.0}}
    config = make_config(
        region,
        items=["air_purification"],
        statistics=statistics,
        more='[options.air_purification]\npollutants = ["so2"]\n',
    )
    _run_fails(
        config,
        tmp_path / "out",
        "air_purification: emissions_so2",
        "no value for unit(s) 990202 or any unit above them",
    )


def test_statistic_not_configured(region, tmp_path, registered):
    config = make_config(region, items=["air_purification"], statistics={})
    _run_fails(
        config,
        tmp_path / "out",
        "3 problem(s)",
        "[statistics.emissions_so2]",
        "[statistics.emissions_nox]",
        "[statistics.emissions_dust]",
        "air_purification (so2, method 'capacity') needs the statistic 'emissions_so2'",
    )


def test_nox_capacity_without_table(region, tmp_path, registered):
    statistics = {name: AIR_EMISSIONS[name] for name in ("emissions_so2", "emissions_nox")}
    config = make_config(
        region,
        items=["air_purification"],
        statistics=statistics,
        more='[options.air_purification]\npollutants = ["so2", "nox"]\n'
        'methods = { nox = "capacity" }\n',
    )
    _run_fails(
        config,
        tmp_path / "out",
        "[tables] air_capacity_nox",
        "air_purification (nox, method 'capacity') needs the table 'air_capacity_nox'",
    )


def test_bad_option_through_the_cli(region, tmp_path, registered):
    config = make_config(
        region,
        items=["water_purification"],
        statistics={},
        more='[options.water_purification]\npollutants = ["cod", "so2"]\n',
    )
    _run_fails(
        config,
        tmp_path / "out",
        "options.water_purification.pollutants",
        "unknown pollutant(s) so2",
    )


def test_xarray_inputs_stay_lazy(catalogue):
    """On a dask ecosystem layer the parts are dask arrays (nothing computed while building)."""
    ctx = _context(catalogue, AIR_STATISTICS)
    ctx = replace(ctx, ecosystem=ctx.ecosystem.chunk(2))
    item = AirPurification()
    result = item.compute(ctx, item.options({}))
    for part in result.parts:
        assert isinstance(part.quantity.data, dsa.Array)
