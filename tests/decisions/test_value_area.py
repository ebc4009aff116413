"""``gep value-area``: parcels valued from a run folder (docs/decisions/value-area.md).

Three kinds of cases:

* a tiny hand-made run folder (two 4 km × 4 km units on a 1 km grid, one value map) where every
  number follows by hand: map sums over covered fractions, allocation by area share, deductions
  from the finest unit that has one, constant prices, partly outside / overlapping parcels;
* the synthetic region of tests/conftest.py under coverage weighting with its boundaries moved
  off the cell edges: a parcel equal to a county reproduces the county's account exactly;
* the Jiangxi demo (centre weighting) end to end through the CLI: the staircase tolerance of a
  parcel equal to a county, the example parcels, the PDF and HTML summary.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import MultiPolygon, Point, Polygon, box
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.config import load_config
from gepkit.decisions.asset_value import (
    AssetSettings,
    annuity_factor,
    present_value,
    present_value_by_sum,
    sensitivity,
    sensitivity_cases,
)
from gepkit.decisions.value_area import load_settings, run_value_area, value_parcels
from gepkit.errors import InputError
from gepkit.grid import CHINA_ALBERS
from gepkit.pipeline import run

DEMO = Path(__file__).resolve().parents[2] / "src/gepkit/data/demo/jiangxi/decisions"

# -- the asset-value formula by hand -------------------------------------------------------------


def test_npv_without_growth_first_year_undiscounted() -> None:
    # RCEES form: F (1 + 1/1.1 + 1/1.1²); the catalogue's closed form F [1 − (1+r)^−n]/r (1+r)
    expected = 1 + 1 / 1.1 + 1 / 1.21
    assert annuity_factor(rate=0.1, growth=0.0, years=3, timing="start") == pytest.approx(
        expected, rel=1e-12
    )
    catalogue = (1 - 1.1**-3) / 0.1 * 1.1
    assert catalogue == pytest.approx(expected, rel=1e-12)
    assert present_value(1000.0, rate=0.1, growth=0.0, years=3, timing="start") == pytest.approx(
        1000 * expected, rel=1e-12
    )


def test_npv_end_timing_discounts_the_first_year() -> None:
    expected = 1 / 1.1 + 1 / 1.21 + 1 / 1.331
    assert annuity_factor(rate=0.1, growth=0.0, years=3, timing="end") == pytest.approx(
        expected, rel=1e-12
    )


def test_npv_with_growth() -> None:
    # n = 2: F (1 + 1.05/1.1) at the start, F (1/1.1 + 1.05/1.21) at the end
    assert annuity_factor(rate=0.1, growth=0.05, years=2, timing="start") == pytest.approx(
        1 + 1.05 / 1.1, rel=1e-12
    )
    assert annuity_factor(rate=0.1, growth=0.05, years=2, timing="end") == pytest.approx(
        1 / 1.1 + 1.05 / 1.21, rel=1e-12
    )
    # growth equal to the rate: every year is worth F (start) or F/(1+r) (end)
    assert annuity_factor(rate=0.04, growth=0.04, years=25, timing="start") == pytest.approx(25)
    assert annuity_factor(rate=0.04, growth=0.04, years=25, timing="end") == pytest.approx(
        25 / 1.04
    )


@pytest.mark.parametrize(
    ("rate", "growth", "years", "timing"),
    [
        (0.03, 0.0, 30, "start"),
        (0.05, 0.02, 17, "end"),
        (0.0, 0.01, 8, "start"),
        (0.02, -0.01, 40, "end"),
    ],
)
def test_closed_form_equals_the_sum(rate: float, growth: float, years: int, timing: Any) -> None:
    assert present_value(
        7.0, rate=rate, growth=growth, years=years, timing=timing
    ) == pytest.approx(
        present_value_by_sum(7.0, rate=rate, growth=growth, years=years, timing=timing), rel=1e-12
    )


def test_perpetuity() -> None:
    # start: F (1+r)/(r−g); end: F/(r−g); and the long finite sum tends to it
    assert annuity_factor(rate=0.05, growth=0.02, years=None, timing="start") == pytest.approx(35.0)
    assert annuity_factor(rate=0.05, growth=0.02, years=None, timing="end") == pytest.approx(
        1 / 0.03
    )
    assert annuity_factor(rate=0.05, growth=0.0, years=2000, timing="start") == pytest.approx(
        annuity_factor(rate=0.05, growth=0.0, years=None, timing="start"), rel=1e-12
    )
    with pytest.raises(ValueError, match="growth < rate"):
        annuity_factor(rate=0.02, growth=0.02, years=None, timing="start")


def test_sensitivity_table_spans_rate_and_horizon() -> None:
    settings = AssetSettings(discount_rate=0.03, growth_rate=0.02, horizon_years=30)
    cases = sensitivity_cases(settings)
    assert sorted({r for r, _ in cases}) == pytest.approx([0.02, 0.03, 0.04])
    # perpetuity only where g < r: not at r = 2 %
    assert (0.02, None) not in cases
    assert (0.04, None) in cases
    assert {n for _, n in cases} == {10, 20, 30, 50, None}
    table = sensitivity(pd.Series({"a": 100.0}), settings)
    chosen = table[table["chosen"]]
    assert len(chosen) == 1
    assert chosen["asset_value"].iloc[0] == pytest.approx(
        100 * annuity_factor(rate=0.03, growth=0.02, years=30, timing="start")
    )


def test_settings_are_checked_together(tmp_path: Path) -> None:
    config = tmp_path / "value-area.toml"
    config.write_text(
        '[asset]\ndiscount_rate = 0.02\ngrowth_rate = 0.03\nhorizon_years = "perpetuity"\n'
        'colour = "green"\n[allocation]\nkey = "population"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_settings(config)
    text = str(err.value)
    assert "asset.colour" in text
    assert "allocation.key" in text
    config.write_text(
        '[asset]\ndiscount_rate = 0.02\ngrowth_rate = 0.03\nhorizon_years = "perpetuity"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="does not converge"):
        load_settings(config)
    with pytest.raises(InputError, match="zh or en"):
        load_settings(None, lang="fr")


def test_a_changed_setting_is_labelled_as_the_users(tmp_path: Path) -> None:
    config = tmp_path / "value-area.toml"
    config.write_text("[asset]\ndiscount_rate = 0.05\nhorizon_years = 30\n", encoding="utf-8")
    settings = load_settings(config)
    assert settings.asset.sources["discount_rate"].startswith("set by the user")
    assert settings.asset.sources["horizon_years"].startswith("[K] 30 years")


# -- a tiny run folder, by hand -------------------------------------------------------------------

X0, Y0 = 1_000_000.0, 3_000_000.0
KM = 1000.0
UNIT_A = box(X0 + 1 * KM, Y0 + 1 * KM, X0 + 5 * KM, Y0 + 5 * KM)  # 16 km², value 10 per cell
UNIT_B = box(X0 + 5 * KM, Y0 + 1 * KM, X0 + 9 * KM, Y0 + 5 * KM)  # 16 km², value 20 per cell
WIDTH, HEIGHT = 10, 6


def _accounts_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(year, unit, category, item, quantity, qunit, current, constant):
        for basis, value in (("current", current), ("constant-2019", constant)):
            rows.append(
                {
                    "year": year,
                    "unit_code": unit,
                    "unit_name": unit,
                    "unit_level": "county" if unit != "990000" else "province",
                    "parent_code": "990000" if unit != "990000" else "",
                    "category": category,
                    "item": item,
                    "quantity": quantity,
                    "quantity_unit": qunit,
                    "value": value,
                    "value_unit": "CNY",
                    "price_basis": basis,
                    "data_flag": "",
                }
            )

    # water conservation: a map in 2020 (10 and 20 CNY per cell), none in 2019 (allocated)
    add(2020, "990001", "regulating", "water_conservation", 16.0, "m^3", 160.0, 128.0)
    add(2020, "990002", "regulating", "water_conservation", 32.0, "m^3", 320.0, 160.0)
    add(2020, "990000", "regulating", "water_conservation", 48.0, "m^3", 480.0, 288.0)
    add(2019, "990001", "regulating", "water_conservation", 15.0, "m^3", 150.0, 150.0)
    add(2019, "990002", "regulating", "water_conservation", 30.0, "m^3", 300.0, 300.0)
    add(2019, "990000", "regulating", "water_conservation", 45.0, "m^3", 450.0, 450.0)
    for year in (2019, 2020):
        factor = 0.9 if year == 2020 else 1.0
        add(
            year,
            "990001",
            "provisioning",
            "agricultural_products",
            1000.0,
            "CNY",
            1000.0,
            900.0 if year == 2020 else 1000.0,
        )
        add(
            year,
            "990002",
            "provisioning",
            "agricultural_products",
            2000.0,
            "CNY",
            2000.0,
            2000.0 * factor,
        )
        add(
            year,
            "990000",
            "provisioning",
            "agricultural_products",
            3000.0,
            "CNY",
            3000.0,
            3000.0 * factor,
        )
    # imports deducted: A has its own, B has none (its parent's apply), the parent has its own
    add(2020, "990001", "deduction", "imports:agricultural_products", math.nan, "", -100.0, -100.0)
    add(2020, "990000", "deduction", "imports:agricultural_products", math.nan, "", -50.0, -50.0)
    return rows


def _write_map(path: Path, per_unit: dict[Any, float]) -> None:
    data = np.full((HEIGHT, WIDTH), np.nan, dtype="float32")
    top = Y0 + HEIGHT * KM
    for polygon, value in per_unit.items():
        minx, miny, maxx, maxy = polygon.bounds
        c0, c1 = int((minx - X0) / KM), int((maxx - X0) / KM)
        r0, r1 = int((top - maxy) / KM), int((top - miny) / KM)
        data[r0:r1, c0:c1] = value
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=WIDTH,
        height=HEIGHT,
        count=1,
        dtype="float32",
        crs=CHINA_ALBERS,
        transform=Affine(KM, 0, X0, 0, -KM, top),
        nodata=float("nan"),
    ) as dst:
        dst.write(data, 1)


def _tiny_run(folder: Path) -> Path:
    """A run folder as `gep run` writes it, reduced to what the decision tools read."""
    folder.mkdir(parents=True)
    (folder / "maps").mkdir()
    units = gpd.GeoDataFrame(
        {
            "code": ["990000", "990001", "990002"],
            "name": ["测试区", "甲县", "乙县"],
            "parent_code": ["", "990000", "990000"],
            "level": ["province", "county", "county"],
            "is_leaf": [False, True, True],
            "area_km2": [32.0, 16.0, 16.0],
            "geometry_source": ["union of its children", "units file", "units file"],
        },
        geometry=[UNIT_A.union(UNIT_B), UNIT_A, UNIT_B],
        crs=CHINA_ALBERS,
    )
    units.to_file(folder / "units.gpkg", layer="units", driver="GPKG")
    pd.DataFrame(_accounts_rows()).to_csv(
        folder / "accounts.csv", index=False, encoding="utf-8-sig"
    )
    pd.DataFrame(
        [{"year": y, "unit_code": u, "gep": 0.0} for y in (2019, 2020) for u in units["code"]]
    ).to_csv(folder / "summary.csv", index=False, encoding="utf-8-sig")
    _write_map(folder / "maps" / "water_conservation_2020_value.tif", {UNIT_A: 10.0, UNIT_B: 20.0})
    _write_map(folder / "maps" / "water_conservation_2020_quantity.tif", {UNIT_A: 1.0, UNIT_B: 2.0})
    top = Y0 + HEIGHT * KM
    manifest = {
        "gepkit_version": "test",
        "region": {"name": "测试区", "name_en": "Test region", "code": "990000"},
        "demo": {"is_demo": False},
        "units": {"zone_weighting": "centre"},
        "grid": {
            "crs": CHINA_ALBERS,
            "resolution_m": KM,
            "width": WIDTH,
            "height": HEIGHT,
            "transform": [KM, 0.0, X0, 0.0, -KM, top],
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _parcels(path: Path, geometries: dict[str, Any], crs: Any = CHINA_ALBERS, **extra: Any) -> Path:
    frame = gpd.GeoDataFrame(
        {"id": list(geometries), "name": [f"地块{k}" for k in geometries], **extra},
        geometry=list(geometries.values()),
        crs=crs,
    )
    frame.to_file(path, driver="GPKG" if path.suffix == ".gpkg" else None)
    return path


#: 1 km × 1.5 km across the boundary of A and B: 0.75 km² in each, through parts of cells.
ACROSS = box(X0 + 4.5 * KM, Y0 + 1.25 * KM, X0 + 5.5 * KM, Y0 + 2.75 * KM)


def _value(rows: pd.DataFrame, parcel: str, year: int, basis: str, **where: Any) -> float:
    mine = rows[
        (rows["parcel_id"] == parcel) & (rows["year"] == year) & (rows["price_basis"] == basis)
    ]
    for column, value in where.items():
        mine = mine[mine[column] == value]
    return float(mine["value"].sum())


def test_tiny_run_by_hand(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    parcels = _parcels(tmp_path / "parcels.gpkg", {"X": ACROSS})
    valuation = value_parcels(parcels, run_dir, load_settings())
    rows = valuation.rows
    share = 0.75 / 16  # of A and of B
    # the map: 0.75 cell × 10 + 0.75 cell × 20 at current prices; constant with each unit's
    # ratio (A 128/160 = 0.8, B 160/320 = 0.5)
    assert _value(rows, "X", 2020, "current", item="water_conservation") == pytest.approx(22.5)
    assert _value(rows, "X", 2020, "constant-2019", item="water_conservation") == pytest.approx(
        0.75 * 10 * 0.8 + 0.75 * 20 * 0.5
    )
    mapped = rows[(rows["item"] == "water_conservation") & (rows["year"] == 2020)]
    assert set(mapped["method"]) == {"map"}
    assert mapped[mapped["price_basis"] == "current"]["quantity"].sum() == pytest.approx(2.25)
    # no map in 2019: allocated by area from each unit
    allocated = rows[(rows["item"] == "water_conservation") & (rows["year"] == 2019)]
    assert set(allocated["method"]) == {
        "allocated by area from 990001",
        "allocated by area from 990002",
    }
    assert allocated["unit_share"].to_numpy() == pytest.approx([share] * 4)
    assert _value(rows, "X", 2019, "current", item="water_conservation") == pytest.approx(
        150 * share + 300 * share
    )
    assert _value(rows, "X", 2020, "current", item="agricultural_products") == pytest.approx(
        1000 * share + 2000 * share
    )
    assert _value(rows, "X", 2020, "constant-2019", item="agricultural_products") == pytest.approx(
        900 * share + 1800 * share
    )
    # deductions: A's own for the part in A; B has none, so its parent's (32 km²) for the part in B
    deduction = rows[(rows["category"] == "deduction") & (rows["price_basis"] == "current")]
    assert dict(zip(deduction["unit_code"], deduction["value"], strict=True)) == pytest.approx(
        {"990001": -100 * share, "990000": -50 * 0.75 / 32}
    )
    summary = valuation.summary.set_index("year")
    gep = 22.5 + 3000 * share - 100 * share - 50 * 0.75 / 32
    assert summary.at[2020, "gep"] == pytest.approx(gep)
    assert summary.at[2020, "deduction"] == pytest.approx(-100 * share - 50 * 0.75 / 32)
    assert summary.at[2020, "area_km2"] == pytest.approx(1.5)
    assert summary.at[2020, "share_inside"] == pytest.approx(1.0)
    assert summary.at[2020, "units"] == "990001;990002"
    # asset value: the 2020 GEP at constant prices over 30 years at 3 %, first year undiscounted
    flow = 6.0 + 7.5 + 2700 * share - 100 * share - 50 * 0.75 / 32
    assert summary.at[2020, "asset_flow"] == pytest.approx(flow)
    factor = sum(1 / 1.03 ** (i - 1) for i in range(1, 31))
    assert summary.at[2020, "asset_value"] == pytest.approx(flow * factor)
    per_item = valuation.assets.set_index("item")
    assert per_item.at["water_conservation", "asset_value"] == pytest.approx(13.5 * factor)
    assert per_item["asset_value"].drop("total").sum() == pytest.approx(flow * factor)


def test_tiny_run_mean_flow_and_regulating_scope(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    parcels = _parcels(tmp_path / "parcels.gpkg", {"X": ACROSS})
    config = tmp_path / "value-area.toml"
    config.write_text(
        '[asset]\nflow = "mean"\nscope = "regulating"\nhorizon_years = 10\ntiming = "end"\n',
        encoding="utf-8",
    )
    valuation = value_parcels(parcels, run_dir, load_settings(config))
    share = 0.75 / 16
    flow = (13.5 + (150 + 300) * share) / 2  # regulating at constant prices, mean of 2019, 2020
    total = valuation.assets.set_index("item").loc["total"]
    assert total["flow"] == pytest.approx(flow)
    assert total["asset_value"] == pytest.approx(flow * sum(1.03**-i for i in range(1, 11)))
    assert total["flow_basis"] == "mean of 2019–2020"


def test_partly_outside_and_overlapping_parcels(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    edge = box(X0 + 8.5 * KM, Y0 + 4.5 * KM, X0 + 9.5 * KM, Y0 + 5.5 * KM)  # ¼ inside B
    over = box(X0 + 4 * KM, Y0 + 2 * KM, X0 + 5 * KM, Y0 + 3 * KM)  # 0.375 km² shared with X
    parcels = _parcels(tmp_path / "parcels.gpkg", {"X": ACROSS, "EDGE": edge, "OVER": over})
    valuation = value_parcels(parcels, run_dir, load_settings())
    rows = valuation.rows
    summary = valuation.summary[valuation.summary["year"] == 2020].set_index("parcel_id")
    assert summary.at["EDGE", "share_inside"] == pytest.approx(0.25)
    assert summary.at["EDGE", "area_inside_km2"] == pytest.approx(0.25)
    # only the inside quarter of the corner cell counts (the map's cells outside are NaN anyway)
    assert _value(rows, "EDGE", 2020, "current", item="water_conservation") == pytest.approx(5.0)
    assert _value(rows, "EDGE", 2020, "current", item="agricultural_products") == pytest.approx(
        2000 * 0.25 / 16
    )
    # each parcel is valued on its own: X is the same as when valued alone
    assert _value(rows, "X", 2020, "current", item="water_conservation") == pytest.approx(22.5)
    assert _value(rows, "OVER", 2020, "current", item="water_conservation") == pytest.approx(10.0)
    texts = [w.en for w in valuation.warnings]
    assert any("parcel EDGE: 75.0% of it (0.750 km²) lies outside 测试区" in t for t in texts)
    assert any("overlapping parcels: X and OVER (0.375 km²)" in t for t in texts)
    assert any("must not be added up" in t for t in texts)


def test_wholly_outside_is_an_error(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    far = box(X0 + 20 * KM, Y0, X0 + 21 * KM, Y0 + KM)
    touching = box(X0 + 9 * KM, Y0 + 1 * KM, X0 + 10 * KM, Y0 + 2 * KM)  # shares an edge only
    parcels = _parcels(tmp_path / "parcels.gpkg", {"X": ACROSS, "FAR": far, "TOUCH": touching})
    with pytest.raises(InputError) as err:
        value_parcels(parcels, run_dir, load_settings())
    assert len(err.value.problems) == 1
    assert "parcels FAR, TOUCH lie wholly outside 测试区" in str(err.value)


def test_geometry_problems_are_reported_together(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    bowtie = Polygon(
        [
            (X0 + 2 * KM, Y0 + 2 * KM),
            (X0 + 3 * KM, Y0 + 3 * KM),
            (X0 + 3 * KM, Y0 + 2 * KM),
            (X0 + 2 * KM, Y0 + 3 * KM),
        ]
    )
    path = tmp_path / "parcels.geojson"
    frame = gpd.GeoDataFrame(
        {"id": ["BOW", "PT", "EMPTY", "OK"]},
        geometry=[bowtie, Point(X0 + 3 * KM, Y0 + 3 * KM), Polygon(), ACROSS],
        crs=CHINA_ALBERS,
    ).to_crs("EPSG:4326")
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError) as err:
        value_parcels(path, run_dir, load_settings())
    text = str(err.value)
    assert len(err.value.problems) == 3
    assert "parcel BOW has an invalid polygon: Self-intersection" in text
    assert "--repair" in text
    assert "parcel PT is a Point, not a polygon" in text
    assert "parcel EMPTY has an empty geometry" in text


def test_repair_makes_invalid_polygons_valid_and_says_so(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    bowtie = Polygon(
        [
            (X0 + 2 * KM, Y0 + 2 * KM),
            (X0 + 3 * KM, Y0 + 3 * KM),
            (X0 + 3 * KM, Y0 + 2 * KM),
            (X0 + 2 * KM, Y0 + 3 * KM),
        ]
    )
    parcels = _parcels(tmp_path / "parcels.gpkg", {"BOW": bowtie})
    valuation = value_parcels(parcels, run_dir, load_settings(repair=True))
    # make_valid keeps both triangles: half of the cell's square, all in A at 10 per cell
    assert _value(
        valuation.rows, "BOW", 2020, "current", item="water_conservation"
    ) == pytest.approx(5.0)
    assert any("repaired with make_valid" in w.en and "BOW" in w.en for w in valuation.warnings)


def test_file_without_crs_is_refused(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    path = tmp_path / "parcels.shp"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"id": ["X"]}, geometry=[ACROSS]).to_file(path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(InputError, match="has no coordinate reference system") as err:
        value_parcels(path, run_dir, load_settings())
    assert ".prj" in str(err.value)


def test_id_fields(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    # no 'id': the first field with a unique value per parcel is taken
    path = tmp_path / "parcels.gpkg"
    gpd.GeoDataFrame(
        {"kind": ["forest", "forest"], "code": ["P1", "P2"]},
        geometry=[ACROSS, MultiPolygon([box(X0 + 2 * KM, Y0 + 2 * KM, X0 + 3 * KM, Y0 + 3 * KM)])],
        crs=CHINA_ALBERS,
    ).to_file(path, driver="GPKG")
    valuation = value_parcels(path, run_dir, load_settings())
    assert valuation.parcels.id_field == "code"
    assert list(valuation.summary["parcel_id"].unique()) == ["P1", "P2"]
    with pytest.raises(InputError, match=r"has no field 'plot' \(fields found: kind, code\)"):
        value_parcels(path, run_dir, load_settings(id_field="plot"))
    with pytest.raises(InputError, match="ids must be unique; repeated: forest"):
        value_parcels(path, run_dir, load_settings(id_field="kind"))


def test_bad_input_writes_nothing_through_the_cli(tmp_path: Path) -> None:
    run_dir = _tiny_run(tmp_path / "run")
    far = box(X0 + 20 * KM, Y0, X0 + 21 * KM, Y0 + KM)
    parcels = _parcels(tmp_path / "parcels.gpkg", {"FAR": far})
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["value-area", str(parcels), "--run", str(run_dir), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "wholly outside" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


# -- a parcel equal to a county: exact under coverage weighting -----------------------------------


def _coverage_region(config: Path) -> None:
    """Coverage weighting, and every unit moved by half a cell: the county boundaries cut
    through cell middles (as in tests/test_coverage_weighting.py)."""
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("resolution = 1000\n", 'resolution = 1000\nzone_weighting = "coverage"\n'),
        encoding="utf-8",
    )
    path = config.parent / "units.gpkg"
    units = gpd.read_file(path)
    units["geometry"] = units.geometry.translate(500.0, 500.0)
    units.to_file(path, driver="GPKG")


def test_parcel_equal_to_a_county_reproduces_its_account_under_coverage(region, tmp_path):
    config = region()
    _coverage_region(config)
    result = run(load_config(config), tmp_path / "run")
    units = gpd.read_file(config.parent / "units.gpkg")
    counties = units[~units["code"].str.endswith("00")][["code", "name", "geometry"]]
    # in WGS84: the parcels go through a reprojection, as a user's would
    parcels = tmp_path / "counties.geojson"
    counties.rename(columns={"code": "id"}).to_crs("EPSG:4326").to_file(parcels, driver="GeoJSON")
    valuation = value_parcels(parcels, result.out_dir, load_settings())
    rows = valuation.rows
    assert set(rows["method"]) == {"map"}
    accounts = pd.read_csv(result.out_dir / "accounts.csv", dtype={"unit_code": str})
    checked = 0
    for r in accounts[accounts["unit_code"].isin(counties["code"])].itertuples():
        mine = rows[
            (rows["parcel_id"] == r.unit_code)
            & (rows["item"] == r.item)
            & (rows["price_basis"] == r.price_basis)
            & (rows["year"] == r.year)
        ]
        assert mine["value"].sum() == pytest.approx(r.value, rel=1e-6), (r.unit_code, r.item)
        assert mine["quantity"].sum() == pytest.approx(r.quantity, rel=1e-6), (r.unit_code, r.item)
        checked += 1
    assert checked == 4 * 4 * 2  # counties × items × price bases
    summary = valuation.summary.set_index("parcel_id")
    assert summary["area_km2"].to_numpy() == pytest.approx([16.0] * 4, rel=1e-9)
    assert summary["share_inside"].to_numpy() == pytest.approx([1.0] * 4)


# -- the demo (centre weighting) end to end --------------------------------------------------------


@pytest.fixture(scope="module")
def demo_counties(demo_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    units = gpd.read_file(demo_run_dir / "units.gpkg", layer="units")
    leaves = units[units["is_leaf"].astype(bool)][["code", "name", "geometry"]]
    path = tmp_path_factory.mktemp("counties") / "counties.gpkg"
    leaves.rename(columns={"code": "id"}).to_file(path, driver="GPKG")
    return path


def test_demo_counties_are_reproduced_within_the_staircase(demo_run_dir: Path, demo_counties: Path):
    """Under centre weighting the run gave each boundary cell wholly to one county; a parcel
    equal to a county takes the covered fraction of every cell.  The regulating total differs
    by this staircase: measured on the demo (1 km cells, 100 counties of 35–4,500 km²) at most
    5.2 %, within 2 % for 95 % of the counties (docs/decisions/value-area.md).  The allocated
    items are exact (the share of a county in itself is 1)."""
    valuation = value_parcels(demo_counties, demo_run_dir, load_settings())
    rows = valuation.rows[valuation.rows["price_basis"] == "current"]
    accounts = pd.read_csv(demo_run_dir / "accounts.csv", dtype={"unit_code": str})
    accounts = accounts[accounts["price_basis"] == "current"]
    got = rows.groupby(["parcel_id", "year", "category"])["value"].sum()
    want = accounts.groupby(["unit_code", "year", "category"])["value"].sum()
    want.index = want.index.set_names(got.index.names)
    both = pd.concat({"got": got, "want": want}, axis=1, join="inner")
    assert len(both) == 100 * 2 * 3
    regulating = both.xs("regulating", level="category")
    relative = (regulating["got"] / regulating["want"] - 1).abs()
    assert relative.max() < 0.06
    assert relative.quantile(0.95) < 0.025
    assert relative.median() < 0.005
    other = both.drop("regulating", level="category")
    np.testing.assert_allclose(other["got"], other["want"], rtol=1e-12)


def test_ecosystem_area_key_on_the_demo(demo_run_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "value-area.toml"
    config.write_text('[allocation]\nkey = "ecosystem_area"\n', encoding="utf-8")
    valuation = value_parcels(DEMO / "parcels.geojson", demo_run_dir, load_settings(config))
    rows = valuation.rows[
        (valuation.rows["year"] == 2020) & (valuation.rows["price_basis"] == "current")
    ]
    forestry = rows[rows["item"] == "forestry_products"]
    assert forestry["method"].str.startswith("allocated by ecosystem_area (forest) from").all()
    recreation = rows[rows["item"] == "recreation"]
    assert recreation["method"].str.contains("not tied to an ecosystem type").all()
    # the share of the county's forest is the parcel's forest area over the county's (≈ its area
    # share in an all-forest county)
    forest = forestry[forestry["parcel_id"] == "JX-01"]["unit_share"].iloc[0]
    area = recreation[recreation["parcel_id"] == "JX-01"]["unit_share"].iloc[0]
    assert forest == pytest.approx(area, rel=0.05)
    assert any("allocated by area instead" in w.en for w in valuation.warnings)


@pytest.fixture(scope="module")
def demo_output(demo_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("value-area") / "value-area"
    result = CliRunner().invoke(
        app,
        [
            "value-area",
            str(DEMO / "parcels.geojson"),
            "--run",
            str(demo_run_dir),
            "--config",
            str(DEMO / "value-area.toml"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "JX-03: 39.0% of it" in result.output
    return out


def test_demo_parcels(demo_output: Path) -> None:
    for name in (
        "parcels.csv",
        "parcel_summary.csv",
        "asset_value.csv",
        "sensitivity.csv",
        "value_area.json",
        "summary.html",
        "summary.pdf",
    ):
        assert (demo_output / name).is_file(), name
    summary = pd.read_csv(demo_output / "parcel_summary.csv", encoding="utf-8-sig")
    assert list(summary["parcel_id"].unique()) == ["JX-01", "JX-02", "JX-03"]
    s = summary[summary["year"] == 2020].set_index("parcel_id")
    assert s.at["JX-01", "share_inside"] == pytest.approx(1.0)
    assert s.at["JX-02", "units"] == "360924;360926"
    assert s.at["JX-03", "share_inside"] == pytest.approx(0.61, abs=0.01)
    assert (s["regulating"] > 0.8 * s["gep"]).all()
    assert (s["data_flag"] == "demo").all()
    rows = pd.read_csv(demo_output / "parcels.csv", encoding="utf-8-sig", dtype={"unit_code": str})
    assert set(rows["method"].str.split(" ").str[0]) == {"map", "allocated"}
    assert set(rows["price_basis"]) == {"current", "constant-2019"}
    # the rows add up to the summary
    at = rows[(rows["year"] == 2020) & (rows["price_basis"] == "current")]
    assert at.groupby("parcel_id")["value"].sum().to_numpy() == pytest.approx(s["gep"].to_numpy())
    info = json.loads((demo_output / "value_area.json").read_text(encoding="utf-8"))
    assert info["settings"]["asset"]["discount_rate"] == 0.03
    assert info["settings"]["asset"]["horizon_years"] == 30
    assert info["run"]["demo"] is True
    assert len(info["parcels_file"]["sha256"]) == 64
    assert info["parcels"][2]["share_inside"] == pytest.approx(0.61, abs=0.01)


def test_summary_html_needs_no_network(demo_output: Path) -> None:
    html = (demo_output / "summary.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html
    assert 'src="data:image/png;base64,' in html
    assert "DEMO ACCOUNT" in html
    assert "JX-03" in html
    assert "生态资产价值" in html


def _pdf_tools() -> None:
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) not installed")


def test_summary_pdf_renders_with_text(demo_output: Path, tmp_path: Path) -> None:
    _pdf_tools()
    pdf = demo_output / "summary.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "地块生态产品总值",
        "JX-01",
        "JX-02",
        "JX-03",
        "贴现率",
        "敏感性",
        "亿元",
        "演示数据",
    ):
        assert expected in text, expected
    pages = re.findall(r"\f", text)
    assert 1 <= len(pages) <= 2  # one or two pages (form feeds after each page)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert 1 <= len(images) <= 2
    from PIL import Image

    for image in images:
        pixels = np.asarray(Image.open(image).convert("L"))
        assert (pixels < 250).mean() > 0.05, image  # not blank: text, tables and the map


def test_english_summary(demo_run_dir: Path, tmp_path: Path) -> None:
    _pdf_tools()
    out = tmp_path / "en"
    run_value_area(DEMO / "parcels.geojson", demo_run_dir, out=out, lang="en")
    text = subprocess.run(
        ["pdftotext", str(out / "summary.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("Parcel GEP and ecological-asset value", "CNY million", "Discount rate"):
        assert expected in text, expected
    assert "亿元" not in text
    with pytest.raises(Exception, match="already exists"):
        run_value_area(DEMO / "parcels.geojson", demo_run_dir, out=out, lang="en")
