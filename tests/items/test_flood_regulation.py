"""Flood regulation (洪水调蓄, catalogue §2.7; lakes and reservoirs assigned to units, §3.4).

C = vegetation (P_h − P_h·α_s)·A·10⁻³ + lakes e^a·A^b·T·10⁴ + reservoirs (flood capacity, else
0.35 × total) + marshes d·A, in m³, valued at the reservoir storage cost (6.11 CNY/m³).

End-to-end runs use the synthetic region of conftest.py (a 10 × 10 grid of 1 km cells from
x = X0 − 1 km, y = Y0 − 1 km) with a crosswalk that turns the cropland county into marsh:

    990101 broadleaf forest 11 (16 cells)     990102 tussock grassland 33 (16 cells)
    990201 marsh 41 (16 cells)                990202 lake 42 (16 cells)

and these registers (areas in km² are exact: the polygons are drawn in the grid's CRS):

* lake 跨界湖 (straddling): x ∈ [X0+2, X0+7] km, y ∈ [Y0+1, Y0+3] km, 10 km²; pixel centres
  x = X0 + 2.5, 3.5 km (990201) and 4.5, 5.5, 6.5 km (990202), y = Y0 + 1.5, 2.5 km:
  4 pixels in 990201, 6 in 990202;
* lake 林中湖 (forest lake): x ∈ [X0+2, X0+4] km, y ∈ [Y0+4, Y0+5] km, 2 km², two forest
  pixels of 990101 (their vegetation storage must not count);
* lake 小湖 (tiny): 300 m × 300 m = 0.09 km² in 990101, covering no pixel centre;
* lake 边界湖 (border): x ∈ [X0+7, X0+11] km, y ∈ [Y0+3, Y0+4] km, 4 km², crossing the region's
  east edge and the grid's (which ends at X0+9 km): 1 pixel in 990202, 1 outside the region on the
  grid, 2 beyond the grid;
* lake 远湖 (far): 50 km east of the region, not counted;
* reservoir 甲水库 by coordinates (dam at the centre of the cell x = X0+2.5 km, y = Y0+6.5 km in
  990101): total 5·10⁶ m³, designed flood capacity 1.2·10⁶ m³;
* reservoir 乙水库 by unit code 990102: total 2·10⁶ m³, no flood capacity → 0.35 × 2·10⁶;
* reservoir 丙水库 by the city 990100: total 10⁶ m³ → 0.35·10⁶ over its 32 cells, half to each
  county.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import dask.array as dsa
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import xarray as xr
from conftest import (
    COUNTY,
    X0,
    Y0,
    accounts_wide,
    county_box,
    raster_grid,
    select_items,
    write_raster,
)
from shapely.geometry import box
from typer.testing import CliRunner

import gepkit.compute
import gepkit.inputs
import gepkit.items
from gepkit.catalogue.tables import shipped_table
from gepkit.cli import app
from gepkit.config import load_config
from gepkit.errors import ConfigError, UnitError
from gepkit.grid import CHINA_ALBERS, AccountingGrid
from gepkit.items.base import ItemContext
from gepkit.items.flood_regulation import FloodRegulation, FloodRegulationOptions
from gepkit.models.flood import (
    lake_flood_storage,
    marsh_flood_storage,
    reservoir_flood_storage,
    storm_precipitation_volume,
    vegetation_flood_storage,
)
from gepkit.pipeline import RunResult, run
from gepkit.plan import prepare

# ----------------------------------------------------------------------------------------------
# Hand computation
# ----------------------------------------------------------------------------------------------

CELL_M2 = 1e6  # 1 km cells
STORM_MM = 300.0  # storm precipitation of the year, every cell
ALPHA_FOREST = 0.20  # given as 20 percent in the test table
ALPHA_GRASS = 0.35  # given as 0.35 dimensionless
MARSH_DEPTH_M = 0.3  # parameter marsh_detention_depth (Garzê) [V]
FLOOD_SHARE = 0.35  # parameter reservoir_flood_share (Garzê) [V]
PRICE = 6.11  # CNY/m³, reservoir_storage_cost (LY/T 1721—2008), default variant

# Lake regressions of parameters.csv (catalogue §2.7): (a, b, T).
EASTERN_PLAIN = (4.924, 1.128, 3.19)
QINGHAI_TIBET = (6.636, 0.678, 1.0)


def lake(area_km2: float, region: tuple[float, float, float] = EASTERN_PLAIN) -> float:
    """e^a · A^b · T in 10⁴ m³, × 10⁴ → m³, written out independently of gepkit."""
    a, b, t = region
    return math.exp(a) * area_km2**b * t * 1e4


STRADDLING, FOREST_LAKE, TINY, BORDER = lake(10.0), lake(2.0), lake(0.09), lake(4.0)

VEGETATION_PER_CELL = {
    "990101": STORM_MM * (1 - ALPHA_FOREST) * 1e-3 * CELL_M2,  # 240,000 m³
    "990102": STORM_MM * (1 - ALPHA_GRASS) * 1e-3 * CELL_M2,  # 195,000 m³
}
VEGETATION = {
    "990101": 14 * VEGETATION_PER_CELL["990101"],  # 16 forest cells, 2 under 林中湖
    "990102": 16 * VEGETATION_PER_CELL["990102"],
    "990201": 0.0,
    "990202": 0.0,
}
MARSHES = {"990101": 0.0, "990102": 0.0, "990201": 12 * MARSH_DEPTH_M * CELL_M2, "990202": 0.0}
LAKES_AREA_SHARE = {
    "990101": FOREST_LAKE + TINY,
    "990102": 0.0,
    "990201": STRADDLING * 4 / 10,
    "990202": STRADDLING * 6 / 10 + BORDER / 4,  # 1 of the border lake's 4 pixels
}
LAKES_LARGEST_SHARE = {
    "990101": FOREST_LAKE + TINY,
    "990102": 0.0,
    "990201": 0.0,
    "990202": STRADDLING,  # the border lake lies mostly outside the region: not counted
}
CITY_RESERVOIR = FLOOD_SHARE * 1e6 / 2  # 丙水库, per county of city 990100
RESERVOIRS = {
    "990101": 1.2e6 + CITY_RESERVOIR,
    "990102": FLOOD_SHARE * 2e6 + CITY_RESERVOIR,
    "990201": 0.0,
    "990202": 0.0,
}
COUNTIES = ("990101", "990102", "990201", "990202")
PARENTS = {"990100": ("990101", "990102"), "990200": ("990201", "990202")}


def test_hand_values_are_what_the_docstring_says():
    """Guard the expected values against typos: a few written out in full."""
    assert VEGETATION_PER_CELL["990101"] == pytest.approx(240_000.0)
    assert VEGETATION_PER_CELL["990102"] == pytest.approx(195_000.0)
    assert MARSHES["990201"] == pytest.approx(3.6e6)
    # e^4.924 = 137.54; 10^1.128 = 13.428; × 3.19 × 10⁴ → 5.891·10⁷ m³
    assert math.isclose(STRADDLING, 137.54 * 13.428 * 3.19 * 1e4, rel_tol=1e-3)


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

GRID = AccountingGrid.from_bounds((0.0, 0.0, 2000.0, 2000.0), 1000.0, "china-albers")  # 4 × 4


def _field(values: np.ndarray, units: str, name: str = "x") -> xr.DataArray:
    return GRID.wrap(values, name=name, units=units)


def test_vegetation_storage_per_cell():
    storm = np.array([[0.0, 50.0, 100.0, 300.0]] * 4)
    alpha = np.array([[0.1], [0.2], [0.5], [1.0]]) * np.ones((4, 4))
    out = vegetation_flood_storage(
        storm_precipitation=_field(storm, "mm"),
        storm_runoff_coefficient=_field(alpha, "dimensionless"),
        cell_area_m2=CELL_M2,
    )
    assert out.attrs == {"units": "m^3"}
    # row 2 (α = 0.5), column 3 (300 mm): 300 · 0.5 mm = 0.15 m over 10⁶ m² = 150,000 m³
    assert float(out[2, 3]) == pytest.approx(150_000.0)
    expected = (storm - storm * alpha) * 1e-3 * CELL_M2
    np.testing.assert_allclose(out.values, expected, rtol=1e-15)
    assert (out.values[3] == 0.0).all()  # α = 1: everything runs off
    volume = storm_precipitation_volume(storm_precipitation=_field(storm, "mm"), cell_area_m2=1e6)
    assert (out.values <= volume.values).all()
    assert float(volume[0, 3]) == pytest.approx(300_000.0)


def test_vegetation_storage_refuses_wrong_units():
    with pytest.raises(UnitError, match="storm_precipitation"):
        vegetation_flood_storage(
            storm_precipitation=_field(np.ones((4, 4)), "m"),
            storm_runoff_coefficient=_field(np.zeros((4, 4)), "dimensionless"),
            cell_area_m2=CELL_M2,
        )
    with pytest.raises(UnitError, match="marsh_area"):
        marsh_flood_storage(marsh_area=_field(np.ones((4, 4)), "km^2"), detention_depth_m=0.3)


def test_lake_storage_by_regression():
    areas = np.array([0.0, 1.0, 10.0, 3000.0])
    out = lake_flood_storage(areas, a=6.636, b=0.678, water_renewals=1.0)
    assert out[0] == 0.0
    assert out[1] == pytest.approx(math.exp(6.636) * 1e4)  # A = 1 km²: e^a · 10⁴ m³
    np.testing.assert_allclose(out, [lake(a, QINGHAI_TIBET) for a in areas], rtol=1e-14)
    series = pd.Series([4.0, 6.0], index=["甲", "乙"])
    by_name = lake_flood_storage(series, a=4.924, b=1.128, water_renewals=3.19)
    assert list(by_name.index) == ["甲", "乙"]
    assert by_name["乙"] == pytest.approx(lake(6.0))
    with pytest.raises(ValueError, match="negative"):
        lake_flood_storage(np.array([-1.0]), a=1.0, b=1.0, water_renewals=1.0)


def test_lake_regression_is_not_additive():
    """Why lakes are computed whole: with b ≠ 1, the fragments do not add up to the lake."""
    whole = lake_flood_storage(np.array([10.0]), a=4.924, b=1.128, water_renewals=3.19)[0]
    fragments = lake_flood_storage(np.array([4.0, 6.0]), a=4.924, b=1.128, water_renewals=3.19)
    assert whole == pytest.approx(STRADDLING)
    assert fragments.sum() < whole * 0.95  # b > 1: the whole is worth more than its parts


def test_reservoir_storage():
    total = np.array([1e6, 2e6, 3e6])
    flood = np.array([4e5, np.nan, 0.0])
    out = reservoir_flood_storage(total, flood, flood_share=0.35)
    np.testing.assert_allclose(out, [4e5, 7e5, 0.0])  # designed capacity wins, even when 0
    series = reservoir_flood_storage(pd.Series(total, index=list("abc")), flood, flood_share=0.35)
    assert series["b"] == pytest.approx(7e5)
    np.testing.assert_allclose(
        reservoir_flood_storage(total[[0]], flood[[0]], flood_share=None), [4e5]
    )
    with pytest.raises(ValueError, match="flood_share is needed"):
        reservoir_flood_storage(total, flood, flood_share=None)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reservoir_flood_storage(total, flood, flood_share=35.0)


def test_marsh_storage():
    area = np.full((4, 4), CELL_M2)
    area[0, 0] = 0.0
    out = marsh_flood_storage(marsh_area=_field(area, "m^2"), detention_depth_m=0.3)
    assert out.attrs == {"units": "m^3"}
    assert float(out[1, 1]) == pytest.approx(3e5)  # 0.3 m × 10⁶ m²
    assert float(out[0, 0]) == 0.0


def test_options():
    item = FloodRegulation()
    default = item.options({})
    assert isinstance(default, FloodRegulationOptions)
    assert default.components == ("vegetation", "lakes", "reservoirs", "marshes")
    assert default.lake_region == "eastern_plain"
    ordered = item.options({"components": ["marshes", "lakes"]})
    assert isinstance(ordered, FloodRegulationOptions)
    assert ordered.components == ("lakes", "marshes")  # canonical order
    assert item.layers(ordered, {}) == []
    assert item.layers(default, {}) == ["storm_precipitation"]
    for bad, field in (
        ({"components": []}, "components"),
        ({"components": ["lakes", "lakes"]}, "components"),
        ({"components": ["rivers"]}, "components"),
        ({"lake_assignment": "nearest"}, "lake_assignment"),
        ({"reservoirs": "dam"}, "reservoirs"),
    ):
        with pytest.raises(ConfigError) as err:
            item.options(bad)
        assert err.value.problems[0].field.startswith(f"options.flood_regulation.{field}")


# ----------------------------------------------------------------------------------------------
# The synthetic region
# ----------------------------------------------------------------------------------------------

runner = CliRunner()

STORM_LAYER = """
[inputs.storm_precipitation]
path = "storm_{year}.tif"
units = "mm"
source = "test field"
"""
STORM_TABLE = """
[tables]
storm_runoff_coefficients = "storm_runoff.csv"
"""
LAKE_REGISTER = """
[registers.lakes]
path = "lakes.gpkg"
"""
RESERVOIR_REGISTER = """
[registers.reservoirs]
path = "reservoirs.csv"
"""
SECTIONS = (STORM_LAYER, STORM_TABLE, LAKE_REGISTER, RESERVOIR_REGISTER)


def _extra(*, without: tuple[str, ...] = ()) -> str:
    """The flood-regulation sections of gep.toml, leaving out those in ``without``."""
    return "".join(section for section in SECTIONS if section not in without)


EXTRA = _extra()


def _lonlat(x: float, y: float) -> tuple[float, float]:
    to_wgs84 = pyproj.Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(x, y)
    return float(lon), float(lat)


def write_lakes(folder: Path, *, far: bool = True) -> None:
    rows: list[dict[str, Any]] = [
        {"name": "跨界湖", "geometry": box(X0 + 2000, Y0 + 1000, X0 + 7000, Y0 + 3000)},
        {"name": "林中湖", "geometry": box(X0 + 2000, Y0 + 4000, X0 + 4000, Y0 + 5000)},
        {"name": "小湖", "geometry": box(X0 + 1100, Y0 + 5100, X0 + 1400, Y0 + 5400)},
        {"name": "边界湖", "geometry": box(X0 + 7000, Y0 + 3000, X0 + 11_000, Y0 + 4000)},
    ]
    if far:
        rows.append({"name": "远湖", "geometry": box(X0 + 50_000, Y0, X0 + 52_000, Y0 + 2000)})
    gpd.GeoDataFrame(rows, geometry="geometry", crs=CHINA_ALBERS).to_file(
        folder / "lakes.gpkg", driver="GPKG"
    )


def write_reservoirs(folder: Path, *, dam: tuple[float, float] | None = None) -> None:
    lon, lat = _lonlat(*(dam or (X0 + 2500, Y0 + 6500)))
    (folder / "reservoirs.csv").write_text(
        "name,total_capacity,flood_capacity,lon,lat,unit_code\n"
        f"甲水库,5000000,1200000,{lon!r},{lat!r},990100\n"
        "乙水库,2000000,,,,990102\n"
        "丙水库,1000000,,,,990100\n",
        encoding="utf-8",
    )


def write_storm_table(folder: Path, forest: str = "20,percent") -> None:
    (folder / "storm_runoff.csv").write_text(
        "ecosystem_code,value,unit,source,confidence\n"
        f"11,{forest},test placeholder (no verified table exists),D\n"
        "33,0.35,dimensionless,test placeholder (no verified table exists),D\n",
        encoding="utf-8",
    )


def write_crosswalk(folder: Path) -> None:
    """The shipped MODIS crosswalk with cropland (IGBP 12) mapped to marsh (41)."""
    lines = shipped_table("crosswalks/modis_igbp.csv").read_text(encoding="utf-8").splitlines()
    lines = [re.sub(r"^12,Croplands,51,", "12,Croplands,41,", line) for line in lines]
    (folder / "marsh_crosswalk.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def flood_region(
    region: Callable[..., Path],
    *,
    options: str = "",
    extra: str = EXTRA,
    chunk: int = 1024,
) -> Path:
    """The synthetic region with the flood-regulation inputs; only flood_regulation computed."""
    config = region(
        extra=extra + ("\n[options.flood_regulation]\n" + options if options else ""),
        crosswalk="marsh_crosswalk.csv",
        chunk=chunk,
    )
    folder = config.parent
    _, width, height = raster_grid()
    write_raster(folder / "storm_2020.tif", np.full((height, width), STORM_MM, dtype="float32"))
    write_storm_table(folder)
    write_lakes(folder)
    write_reservoirs(folder)
    write_crosswalk(folder)
    select_items(config, ["flood_regulation"])
    return config


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the item (the maintainer adds it to IMPLEMENTED) and give it zones and registers.

    gepkit.inputs.year_context does not (yet) pass ``plan.zones`` and ``plan.registers`` to the
    ItemContext; until it does, this wrapper adds them.  It steps aside once the context carries
    them itself.
    """
    monkeypatch.setitem(gepkit.items.IMPLEMENTED, "flood_regulation", FloodRegulation())
    original = gepkit.inputs.year_context

    def year_context(plan: Any, year: int) -> ItemContext:
        ctx = original(plan, year)
        if ctx.zones is None:
            ctx = replace(ctx, zones=plan.zones)
        if not ctx.registers and plan.registers:
            ctx = replace(ctx, registers=plan.registers)
        return ctx

    monkeypatch.setattr(gepkit.inputs, "year_context", year_context)
    monkeypatch.setattr(gepkit.compute, "year_context", year_context)


def _run(config: Path, out: Path) -> RunResult:
    return run(load_config(config), out)


def _parts(result: RunResult) -> pd.DataFrame:
    parts = pd.read_csv(result.out_dir / "parts.csv", dtype={"unit_code": str})
    return parts.pivot(index="unit_code", columns="part", values="quantity")


def _accounts(result: RunResult) -> pd.DataFrame:
    accounts = accounts_wide(pd.read_csv(result.out_dir / "accounts.csv", dtype={"unit_code": str}))
    return accounts[accounts["item"] == "flood_regulation"].set_index("unit_code")


@pytest.fixture
def area_share(region, tmp_path) -> RunResult:
    return _run(flood_region(region), tmp_path / "out")


def test_counties_match_hand_computation(area_share):
    parts = _parts(area_share)
    assert list(parts.columns) == sorted(["vegetation", "lakes", "reservoirs", "marshes"])
    for code in COUNTIES:
        assert parts.at[code, "vegetation"] == pytest.approx(VEGETATION[code], rel=1e-9)
        assert parts.at[code, "marshes"] == pytest.approx(MARSHES[code], rel=1e-9)
        assert parts.at[code, "lakes"] == pytest.approx(LAKES_AREA_SHARE[code], rel=1e-9)
        assert parts.at[code, "reservoirs"] == pytest.approx(RESERVOIRS[code], rel=1e-9)
    accounts = _accounts(area_share)
    for code in COUNTIES:
        total = VEGETATION[code] + MARSHES[code] + LAKES_AREA_SHARE[code] + RESERVOIRS[code]
        assert accounts.at[code, "quantity"] == pytest.approx(total, rel=1e-9)
        assert accounts.at[code, "quantity_unit"] == "m^3"


def test_parents_sum_their_counties(area_share):
    accounts = _accounts(area_share)
    for city, children in PARENTS.items():
        assert accounts.at[city, "quantity"] == pytest.approx(
            sum(accounts.at[c, "quantity"] for c in children), rel=1e-12
        )
    # the province holds each lake once, whole: the straddling lake is e^a·10^b·T, not the sum
    # of its fragments e^a·4^b·T + e^a·6^b·T
    province = _parts(area_share).loc["990000"]
    assert province["lakes"] == pytest.approx(
        STRADDLING + FOREST_LAKE + TINY + BORDER / 4, rel=1e-9
    )
    assert lake(4.0) + lake(6.0) < 0.95 * STRADDLING
    assert province["reservoirs"] == pytest.approx(1.2e6 + 0.35 * 2e6 + 0.35 * 1e6, rel=1e-9)


def test_value_is_storage_times_reservoir_cost(area_share):
    accounts = _accounts(area_share)
    for code, row in accounts.iterrows():
        assert row["value"] == pytest.approx(row["quantity"] * PRICE, rel=1e-12), code
    components = pd.read_csv(area_share.out_dir / "components.csv", dtype={"unit_code": str})
    flood = components[components["item"] == "flood_regulation"]
    assert set(flood["component"]) == {"reservoir_storage"}
    assert set(flood["price_id"]) == {"reservoir_storage_cost/lyt1721"}


def test_maps_sum_to_unit_totals(area_share):
    accounts = _accounts(area_share)
    with rasterio.open(area_share.out_dir / "maps" / "flood_regulation_2020_quantity.tif") as src:
        quantity = src.read(1).astype("float64")
        transform = src.transform
    assert np.nansum(quantity) == pytest.approx(accounts.at["990000", "quantity"], rel=1e-6)
    for code in COUNTIES:
        x0, _, _, y1 = county_box(code).bounds
        col0, row0 = ~transform * (x0, y1)
        rows = slice(round(row0), round(row0) + int(COUNTY / 1000))
        cols = slice(round(col0), round(col0) + int(COUNTY / 1000))
        assert np.nansum(quantity[rows, cols]) == pytest.approx(
            accounts.at[code, "quantity"], rel=1e-6
        ), code
    # the dam's cell holds 甲水库's 1.2·10⁶ m³ on top of forest storage and 丙水库's share
    col, row = ~transform * (X0 + 2500, Y0 + 6500)
    dam = quantity[math.floor(row), math.floor(col)]
    assert dam == pytest.approx(
        VEGETATION_PER_CELL["990101"] + 1.2e6 + CITY_RESERVOIR / 16, rel=1e-6
    )


def test_bound_on_storm_precipitation_passes_and_is_recorded(area_share):
    checks = pd.read_csv(area_share.out_dir / "checks.csv", dtype={"unit_code": str})
    bound = checks[checks["check"] == "bound:storm_precipitation_volume"].set_index("unit_code")
    assert bound["passed"].all()
    assert len(bound) == 7  # 4 counties, 2 cities, the province
    # 990101: 14 forest cells × 300 mm × 1 km² plus its lakes and reservoirs
    upper = 14 * STORM_MM * 1e-3 * CELL_M2 + LAKES_AREA_SHARE["990101"] + RESERVOIRS["990101"]
    assert bound.at["990101", "expected"] == pytest.approx(upper, rel=1e-9)
    assert bound.at["990101", "actual"] < bound.at["990101", "expected"]


def test_manifest_records_parameters_and_options(area_share):
    items = area_share.manifest["items"]["flood_regulation"]
    assert items["options"]["lake_region"] == "eastern_plain"
    assert items["options"]["lake_assignment"] == "area_share"
    used = {(r["key"], r["variant"]) for r in items["parameters_and_prices"]}
    assert {
        ("lake_regression_a", "eastern_plain"),
        ("lake_regression_b", "eastern_plain"),
        ("lake_water_renewals", "eastern_plain"),
        ("reservoir_flood_share", "rao2014"),
        ("marsh_detention_depth", "garze2010"),
        ("storm_threshold", "cma"),
        ("reservoir_storage_cost", "lyt1721"),
    } <= used
    assert items["tables"] == {"storm_runoff_coefficients": [11, 33]}
    flagged = " ".join(e["what"] for e in area_share.manifest["to_be_confirmed"])
    assert "lake_regression_a/eastern_plain" in flagged  # [K]
    assert "storm_runoff_coefficients, ecosystem 11" in flagged  # [D] placeholder


def test_largest_share_gives_the_whole_lake_to_one_county(region, tmp_path):
    result = _run(
        flood_region(region, options='lake_assignment = "largest_share"\n'), tmp_path / "out"
    )
    parts = _parts(result)
    for code in COUNTIES:
        assert parts.at[code, "lakes"] == pytest.approx(LAKES_LARGEST_SHARE[code], rel=1e-9)
        # the lake's pixels count for the lake, whichever unit receives it
        assert parts.at[code, "marshes"] == pytest.approx(MARSHES[code], rel=1e-9)
    assert parts.at["990000", "lakes"] == pytest.approx(STRADDLING + FOREST_LAKE + TINY, rel=1e-9)
    with rasterio.open(result.out_dir / "maps" / "flood_regulation_2020_quantity.tif") as src:
        quantity, transform = src.read(1).astype("float64"), src.transform
    col, row = ~transform * (X0 + 5500, Y0 + 1500)  # a pixel of the lake in 990202
    assert quantity[math.floor(row), math.floor(col)] == pytest.approx(STRADDLING / 6, rel=1e-6)
    col, row = ~transform * (X0 + 2500, Y0 + 1500)  # a pixel of the lake in 990201: nothing
    assert quantity[math.floor(row), math.floor(col)] == 0.0


def test_another_lake_region(region, tmp_path):
    result = _run(flood_region(region, options='lake_region = "qinghai_tibet"\n'), tmp_path / "o")
    parts = _parts(result)
    assert parts.at["990202", "lakes"] == pytest.approx(
        lake(10.0, QINGHAI_TIBET) * 6 / 10 + lake(4.0, QINGHAI_TIBET) / 4, rel=1e-9
    )


def test_vegetation_only_needs_no_register(region, tmp_path):
    """The DB36 county practice: vegetation storage only; lake pixels are then not excluded."""
    extra = _extra(without=(LAKE_REGISTER, RESERVOIR_REGISTER))
    config = flood_region(region, options='components = ["vegetation"]\n', extra=extra)
    result = _run(config, tmp_path / "out")
    parts = _parts(result)
    assert list(parts.columns) == ["vegetation"]
    assert parts.at["990101", "vegetation"] == pytest.approx(
        16 * VEGETATION_PER_CELL["990101"], rel=1e-9
    )
    used = {r["key"] for r in result.manifest["items"]["flood_regulation"]["parameters_and_prices"]}
    assert "lake_regression_a" not in used
    assert "marsh_detention_depth" not in used


def test_garze_components_need_no_storm_inputs(region, tmp_path):
    """The Garzê account: lakes, reservoirs and marshes; no storm layer or table needed."""
    extra = _extra(without=(STORM_LAYER, STORM_TABLE))
    config = flood_region(
        region, options='components = ["lakes", "reservoirs", "marshes"]\n', extra=extra
    )
    result = _run(config, tmp_path / "out")
    accounts = _accounts(result)
    for code in COUNTIES:
        total = MARSHES[code] + LAKES_AREA_SHARE[code] + RESERVOIRS[code]
        assert accounts.at[code, "quantity"] == pytest.approx(total, rel=1e-9)
    checks = pd.read_csv(result.out_dir / "checks.csv")
    assert not checks["check"].str.startswith("bound:").any()  # no vegetation, no bound


def test_chunkings_give_identical_accounts(region, tmp_path):
    small = _run(flood_region(region, chunk=3), tmp_path / "small")
    large = _run(flood_region(region, chunk=4096), tmp_path / "large")
    a, b = _parts(small), _parts(large)
    pd.testing.assert_index_equal(a.index, b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)


def _context(config: Path) -> tuple[Any, ItemContext]:
    plan = prepare(load_config(config))
    return plan, gepkit.inputs.year_context(plan, 2020)


def test_numpy_and_dask_give_the_same_parts(region):
    plan, lazy = _context(flood_region(region, chunk=3))
    assert lazy.ecosystem.chunks is not None
    eager = replace(
        lazy,
        layers={k: v.compute() for k, v in lazy.layers.items()},
        ecosystem=lazy.ecosystem.compute(),
    )
    item, options = FloodRegulation(), plan.options["flood_regulation"]
    dask_parts = item.compute(lazy.fresh(), options).parts
    numpy_parts = item.compute(eager.fresh(), options).parts
    for d, n in zip(dask_parts, numpy_parts, strict=True):
        assert d.id == n.id
        assert isinstance(d.quantity.data, dsa.Array), d.id
        assert isinstance(n.quantity.data, np.ndarray), n.id
        np.testing.assert_array_equal(d.quantity.values, n.quantity.values)
        assert d.quantity.attrs["units"] == "m^3"


def test_notes_say_where_lakes_and_reservoirs_went(region):
    config = flood_region(region)
    folder = config.parent
    _, lat = _lonlat(X0 + 2500, Y0 + 6500)
    text = (folder / "reservoirs.csv").read_text(encoding="utf-8")
    (folder / "reservoirs.csv").write_text(
        text.replace(f"{lat!r},990100", f"{lat!r},990202"), encoding="utf-8"
    )
    plan, ctx = _context(config)
    result = FloodRegulation().compute(ctx.fresh(), plan.options["flood_regulation"])
    notes = " | ".join(result.notes)
    assert "cover no pixel centre" in notes
    assert "小湖 → 990101" in notes
    assert "远湖" in notes
    assert "not counted" in notes
    assert "边界湖 (1 of 4 pixels)" in notes
    assert "甲水库 (dam in 990101, register says 990202)" in notes
    assert "spread evenly over the cells" in notes
    largest = FloodRegulation().compute(
        ctx.fresh(), FloodRegulation().options({"lake_assignment": "largest_share"})
    )
    notes = " | ".join(largest.notes)
    assert "跨界湖 → 990202 (6 of 10 pixels)" in notes
    assert "not counted: 边界湖, 远湖" in notes  # register order


# ----------------------------------------------------------------------------------------------
# Bad inputs: exit code 2, a message naming what to fix, nothing written
# ----------------------------------------------------------------------------------------------


def _fails(config: Path, out: Path, *fragments: str) -> str:
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{result.output}"
    assert "Nothing was written" in output
    assert not out.exists()
    return output


def test_missing_lake_register(region, tmp_path):
    config = flood_region(region, extra=_extra(without=(LAKE_REGISTER,)))
    _fails(
        config, tmp_path / "out", "[registers.lakes]", "flood_regulation (lakes) needs the lakes"
    )


def test_missing_reservoir_register(region, tmp_path):
    extra = _extra(without=(RESERVOIR_REGISTER,))
    _fails(flood_region(region, extra=extra), tmp_path / "out", "[registers.reservoirs]")


def test_missing_storm_runoff_table(region, tmp_path):
    extra = _extra(without=(STORM_TABLE,))
    _fails(
        flood_region(region, extra=extra),
        tmp_path / "out",
        "[tables] storm_runoff_coefficients",
        "storm runoff coefficient",
        "no verified values were found",
    )


def test_missing_storm_precipitation_layer(region, tmp_path):
    extra = _extra(without=(STORM_LAYER,))
    _fails(
        flood_region(region, extra=extra),
        tmp_path / "out",
        "needs the layer 'storm_precipitation'",
        "[inputs.storm_precipitation]",
    )


def test_unknown_lake_region(region, tmp_path):
    _fails(
        flood_region(region, options='lake_region = "northeast"\n'),
        tmp_path / "out",
        "options.flood_regulation.lake_region",
        "'northeast' is not a region",
        "eastern_plain, mongolia_xinjiang, qinghai_tibet, yunnan_guizhou",
    )


def test_lake_region_contradicted_by_parameters(region, tmp_path):
    extra = EXTRA + '\n[parameters]\nlake_regression_b = "qinghai_tibet"\n'
    _fails(flood_region(region, extra=extra), tmp_path / "out", "parameters.lake_regression_b")


def test_dam_outside_the_region(region, tmp_path):
    config = flood_region(region)
    write_reservoirs(config.parent, dam=(X0 + 20_000, Y0 + 2000))
    _fails(config, tmp_path / "out", "reservoir '甲水库'", "lies outside every unit")


def test_storm_runoff_coefficient_above_one(region, tmp_path):
    config = flood_region(region)
    write_storm_table(config.parent, forest="20,dimensionless")  # percent written as a fraction
    _fails(config, tmp_path / "out", "storm_runoff.csv", "between 0 and 1", "Broadleaf forest")


def test_lakes_in_the_marsh_scope(region, tmp_path):
    _fails(
        flood_region(region, options="marsh_ecosystems = [4]\n"),
        tmp_path / "out",
        "options.flood_regulation.marsh_ecosystems",
        "includes lakes (42",
    )


def test_class_both_vegetation_and_marsh(region, tmp_path):
    _fails(
        flood_region(region, options="marsh_ecosystems = [41, 33]\n"),
        tmp_path / "out",
        "both vegetation and marsh",
    )
