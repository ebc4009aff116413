"""The Jiangxi demo end to end through the CLI, and the reproducibility of its demo data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import accounts_wide
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import reproject
from typer.testing import CliRunner

from gepkit.cli import app, demo_config_path

ROOT = Path(__file__).resolve().parents[1]
DEMO = demo_config_path().parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "jiangxi"
    # the report `gep demo` writes by default is tested in tests/report (fixture demo_run_dir)
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--no-report"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_prints_a_summary(demo_run):
    _, output = demo_run
    for text in (
        "DEMO",
        "江西省",
        "赣州市",
        "water_conservation",
        "agricultural_products",
        "recreation",
        "2019",
        "Results written to",
    ):
        assert text in output


DB36_ITEMS = {
    "agricultural_products",
    "forestry_products",
    "livestock_products",
    "fishery_products",
    "water_conservation",
    "soil_retention",
    "flood_regulation",
    "air_purification",
    "water_purification",
    "carbon_sequestration",
    "oxygen_release",
    "climate_regulation",
    "negative_ions",
    "recreation",
}
#: Statistics items: reported per unit, no map.
STATISTICS_ITEMS = {
    "agricultural_products",
    "forestry_products",
    "livestock_products",
    "fishery_products",
    "recreation",
}


def test_demo_accounts_cover_province_cities_and_counties(demo_run):
    out, _ = demo_run
    raw = pd.read_csv(out / "accounts.csv", dtype={"unit_code": str, "parent_code": str})
    # one row per price basis: current prices and constant prices of 2019 (the first year)
    assert set(raw["price_basis"]) == {"current", "constant-2019"}
    assert list(raw.columns) == [
        "year",
        "unit_code",
        "unit_name",
        "unit_level",
        "parent_code",
        "category",
        "item",
        "quantity",
        "quantity_unit",
        "value",
        "value_unit",
        "price_basis",
        "data_flag",
    ]
    accounts = accounts_wide(raw)
    assert set(accounts["year"]) == {2019, 2020}
    units = accounts[accounts["year"] == 2020].drop_duplicates("unit_code")
    assert units["unit_level"].value_counts().to_dict() == {
        "county": 100,
        "city": 11,
        "province": 1,
    }
    # every item of the DB36/T 1402 profile: provisioning, regulating and cultural
    assert set(accounts["item"]) == DB36_ITEMS
    assert set(accounts["category"]) == {"provisioning", "regulating", "cultural"}
    assert (accounts["data_flag"] == "demo").all()
    for year in (2019, 2020):
        rows = accounts[accounts["year"] == year]
        province = rows[rows["unit_code"] == "360000"].set_index("item")
        counties = (
            rows[rows["unit_level"] == "county"]
            .groupby("item")[["quantity", "value", "value_constant"]]
            .sum()
        )
        for column in ("quantity", "value", "value_constant"):
            np.testing.assert_allclose(
                province.loc[counties.index, column], counties[column], rtol=1e-12
            )
        assert (province["quantity"] > 0).all()


def test_demo_statistics_items_follow_the_published_totals(demo_run):
    """Provisioning and recreation reproduce the provincial figures the demo statistics were
    shared from (jiangxi-facts [S]): primary-industry value added 2057.6 / 2241.6 亿元 split by
    the 2014 sector shares 200.00 / 99.14 / 284.75 / 161.12, tourism 5424 亿元 and 5.56 亿 visits
    in 2020 and 56.17 % / 70.25 % of that in 2019.  County values are rounded to 0.01 万元."""
    out, _ = demo_run
    accounts = accounts_wide(pd.read_csv(out / "accounts.csv", dtype={"unit_code": str}))
    province = accounts[accounts["unit_code"] == "360000"].set_index(["year", "item"])
    shares = {
        "agricultural_products": 200.00,
        "forestry_products": 99.14,
        "livestock_products": 284.75,
        "fishery_products": 161.12,
    }
    total_share = sum(shares.values())
    for year, value_added in ((2019, 2057.6e8), (2020, 2241.6e8)):
        for item, share in shares.items():
            expected = value_added * share / total_share
            assert province.at[(year, item), "value"] == pytest.approx(expected, abs=100 * 1e2)
            assert province.at[(year, item), "quantity_unit"] == "CNY"
    assert province.at[(2020, "recreation"), "value"] == pytest.approx(5424e8, abs=100 * 1e2)
    assert province.at[(2020, "recreation"), "quantity"] == pytest.approx(5.56e8, abs=100 * 1e2)
    assert province.at[(2019, "recreation"), "value"] == pytest.approx(5424e8 / 0.5617, rel=1e-7)
    assert province.at[(2019, "recreation"), "quantity"] == pytest.approx(5.56e8 / 0.7025, rel=1e-7)
    # Constant prices of 2019: market values of 2020 deflated by their index (shipped [K]
    # values: farm producer prices 115.0, CPI 102.5 in 2020); price records as recorded.
    farm = province.loc[(2020, "agricultural_products")]
    assert farm["value_constant"] == pytest.approx(farm["value"] / 1.150, rel=1e-12)
    tourism = province.loc[(2020, "recreation")]
    assert tourism["value_constant"] == pytest.approx(tourism["value"] / 1.025, rel=1e-12)
    water = province.loc[(2020, "water_conservation")]
    assert water["value_constant"] == water["value"]
    # Reported per unit: no map, attributed in by_ecosystem to their ecosystem (or none).
    maps = {p.name for p in (out / "maps").iterdir()}
    assert not any(name.startswith(tuple(STATISTICS_ITEMS)) for name in maps)
    by_eco = pd.read_csv(out / "by_ecosystem.csv", dtype={"unit_code": str})
    province_eco = by_eco[(by_eco["unit_code"] == "360000") & (by_eco["year"] == 2020)]
    forestry = province_eco[province_eco["item"] == "forestry_products"]
    assert forestry["ecosystem_code"].tolist() == [1]
    livestock = province_eco[province_eco["item"] == "livestock_products"]
    assert livestock["ecosystem_code"].tolist() == [-2]


def test_demo_change_between_years(demo_run):
    """change.csv: real growth at constant 2019 prices; GEP's real growth equals the summary's."""
    out, _ = demo_run
    change = pd.read_csv(out / "change.csv", dtype={"unit_code": str})
    summary = pd.read_csv(out / "summary.csv", dtype={"unit_code": str})
    assert set(zip(change["from_year"], change["to_year"], strict=True)) == {(2019, 2020)}
    province = change[change["unit_code"] == "360000"].set_index("item")
    assert set(province.index) == DB36_ITEMS | {"GEP"}
    gep = province.loc["GEP"]
    assert gep["real_growth"] == pytest.approx(
        gep["value_constant_to"] / gep["value_constant_from"] - 1, rel=1e-12
    )
    row = summary[(summary["unit_code"] == "360000") & (summary["year"] == 2020)].iloc[0]
    assert row["real_gep_growth"] == pytest.approx(gep["real_growth"], rel=1e-12)
    assert row["gdp_real_growth"] == pytest.approx(0.038)  # 2020 bulletin [S]
    assert row["dual_growth"] == (row["real_gep_growth"] > 0)
    # The demo's climate is the same in both years: water conservation does not change, while
    # NPP follows the published trend (+2.6 gC/m² a year) and carbon sequestration grows.
    assert province.at["water_conservation", "quantity_change"] == 0
    assert province.at["carbon_sequestration", "quantity_change"] > 0
    recreation = province.loc["recreation"]
    assert recreation["quantity_change"] == pytest.approx(0.7025 - 1, rel=1e-6)  # 0.01 万 rounding
    assert recreation["nominal_growth"] == pytest.approx(0.5617 - 1, rel=1e-6)


def test_demo_checks_and_maps(demo_run):
    out, _ = demo_run
    checks = pd.read_csv(out / "checks.csv")
    assert checks["passed"].all()
    parts = pd.read_csv(out / "parts.csv")
    parts = parts[~parts["item"].isin(STATISTICS_ITEMS)]
    n_parts = len(parts[["item", "part"]].drop_duplicates()) * 2  # two years
    # every part of every item, for the province and the 11 cities (which have polygons)
    assert (checks["check"] == "parent_polygon_vs_children").sum() == 12 * n_parts
    accounts = accounts_wide(pd.read_csv(out / "accounts.csv", dtype={"unit_code": str}))
    total = accounts[(accounts["unit_code"] == "360000") & (accounts["year"] == 2020)]
    total = total.set_index("item")
    for item in total.index.difference(sorted(STATISTICS_ITEMS)):
        with rasterio.open(out / "maps" / f"{item}_2020_quantity.tif") as src:
            assert src.profile["tiled"]
            assert src.overviews(1) is not None
            assert "DEMO" in src.tags()["gepkit_demo"]
            mapped = float(np.nansum(src.read(1).astype("float64")))
        assert mapped == pytest.approx(total.at[item, "quantity"], rel=1e-5)


def test_demo_manifest_and_labels(demo_run):
    out, _ = demo_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["demo"]["is_demo"] is True
    assert "DEMO" in manifest["demo"]["notice"]
    assert "npp" in manifest["demo"]["demo_layers"]
    assert manifest["units"]["by_level"] == {"city": 11, "county": 100, "province": 1}
    assert manifest["grid"]["resolution_m"] == 1000.0
    assert manifest["inputs"]["landcover_pixels"]["2020"]  # IGBP classes counted
    workbook = manifest["inputs"]["workbook"]
    assert set(workbook["files"]) == {
        "population.csv",
        "gdp.csv",
        "farm_output.csv",
        "tourism.csv",
        "emissions.csv",
    }
    assert manifest["valuation"]["price_bases"] == ["current", "constant-2019"]
    flagged = {entry["what"] for entry in manifest["to_be_confirmed"]}
    assert {"price index ppi_farm_cn 2020", "price index cpi_cn 2020"} <= flagged
    assert all(len(layer["sha256"]) == 64 for layer in manifest["inputs"]["layers"].values())
    assert "DEMO" in (out / "README.txt").read_text(encoding="utf-8")


def test_demo_data_are_reproducible(tmp_path):
    """scripts/make_jiangxi_demo.py rebuilds exactly the shipped demo files from data-raw/."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_jiangxi_demo.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for shipped in sorted(DEMO.glob("*.tif")):
        with rasterio.open(shipped) as a, rasterio.open(tmp_path / shipped.name) as b:
            np.testing.assert_array_equal(a.read(), b.read(), err_msg=shipped.name)
            assert a.crs == b.crs
            assert a.transform == b.transform
    # decisions/ holds the hand-written example configs of the decision tools, not built data
    shipped_files = {
        p.relative_to(DEMO)
        for p in DEMO.rglob("*")
        if p.is_file() and p.relative_to(DEMO).parts[0] != "decisions"
    }
    rebuilt_files = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert rebuilt_files == shipped_files - {Path("README.md"), Path("gep.toml")}
    for table in (
        "statistics/population.csv",
        "statistics/gdp.csv",
        "statistics/farm_output.csv",
        "statistics/tourism.csv",
        "statistics/emissions.csv",
        "reservoirs.csv",
        "demo_storm_runoff_coefficients.csv",
        "demo_negative_ion_concentration.csv",
        "demo_canopy_height.csv",
    ):
        assert (DEMO / table).read_text(encoding="utf-8") == (tmp_path / table).read_text(
            encoding="utf-8"
        )
    lakes = gpd.read_file(DEMO / "demo_lakes.geojson")
    rebuilt_lakes = gpd.read_file(tmp_path / "demo_lakes.geojson")
    assert lakes.geometry.geom_equals_exact(rebuilt_lakes.geometry, tolerance=0).all()
    shipped_units, rebuilt = (
        gpd.read_file(DEMO / "units.geojson"),
        gpd.read_file(tmp_path / "units.geojson"),
    )
    pd.testing.assert_frame_equal(
        shipped_units.drop(columns="geometry"), rebuilt.drop(columns="geometry")
    )
    assert shipped_units.geometry.geom_equals_exact(rebuilt.geometry, tolerance=0).all()


def test_demo_water_conservation_recomputed_independently(demo_run):
    """A second implementation with plain rasterio and numpy gives the province's total.

    It warps each input with rasterio.warp.reproject (not the WarpedVRT blocks of gepkit),
    burns the union of the counties at once (not per county) and sums with numpy (not by unit).
    """
    out, _ = demo_run
    with rasterio.open(out / "maps" / "water_conservation_2020_quantity.tif") as grid:
        crs, transform, shape = grid.crs, grid.transform, grid.shape

    def warp(path, resampling, band=None):
        with rasterio.open(path) as src:
            bands = [band] if band else list(range(1, src.count + 1))
            result = np.full((len(bands), *shape), np.nan, dtype="float64")
            for i, b in enumerate(bands):
                reproject(
                    src.read(b).astype("float64"),
                    result[i],
                    src_transform=src.transform,
                    src_crs=src.crs,
                    src_nodata=src.nodata,
                    dst_transform=transform,
                    dst_crs=crs,
                    dst_nodata=np.nan,
                    resampling=resampling,
                )
        return result

    precipitation = warp(DEMO / "demo_precipitation_monthly.tif", Resampling.bilinear).sum(axis=0)
    et = warp(DEMO / "demo_actual_et.tif", Resampling.bilinear)[0]
    igbp = warp(DEMO / "landcover_mcd12c1_2019_igbp.tif", Resampling.nearest)[0]
    # Runoff coefficients of Gong et al. 2017 through the MODIS crosswalk (broadleaf 4.65 %,
    # coniferous 4.52 %, mixed and woody savanna 3.52 %, savanna = sparse forest 19.2 %,
    # closed shrub 4.26 %, open shrub 19.2 %, grassland 3.87 %, wetland and water 0 %).
    alpha = {
        0: 0.0,
        1: 4.52,
        2: 4.65,
        3: 4.52,
        4: 4.65,
        5: 3.52,
        6: 4.26,
        7: 19.2,
        8: 3.52,
        9: 19.2,
        10: 3.87,
        11: 0.0,
    }
    coefficient = np.full(shape, np.nan)
    for code, value in alpha.items():
        coefficient[igbp == code] = value / 100
    counties = gpd.read_file(DEMO / "units.geojson")
    counties = counties[counties["level"] == "county"].to_crs(crs)
    inside = rasterize(
        counties.geometry,
        out_shape=shape,
        transform=transform,
        fill=0,
        default_value=1,
        dtype="uint8",
    ).astype(bool)
    balance = np.clip(precipitation - coefficient * precipitation - et, 0, None)
    cell_m2 = abs(transform.a * transform.e)
    expected = np.nansum(np.where(inside, balance, 0.0)) * 1e-3 * cell_m2
    accounts = accounts_wide(pd.read_csv(out / "accounts.csv", dtype={"unit_code": str}))
    total = accounts[
        (accounts["unit_code"] == "360000")
        & (accounts["item"] == "water_conservation")
        & (accounts["year"] == 2020)
    ]
    assert float(total["quantity"].iloc[0]) == pytest.approx(expected, rel=1e-6)
