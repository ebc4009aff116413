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
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_prints_a_summary(demo_run):
    _, output = demo_run
    for text in ("DEMO", "江西省", "赣州市", "water_conservation", "Results written to"):
        assert text in output


def test_demo_accounts_cover_province_cities_and_counties(demo_run):
    out, _ = demo_run
    accounts = pd.read_csv(out / "accounts.csv", dtype={"unit_code": str, "parent_code": str})
    units = accounts.drop_duplicates("unit_code")
    assert units["unit_level"].value_counts().to_dict() == {
        "county": 100,
        "city": 11,
        "province": 1,
    }
    # every regulating item of the DB36/T 1402 profile (provisioning and recreation come from
    # statistics, in their own issue)
    assert set(accounts["item"]) == {
        "water_conservation",
        "soil_retention",
        "flood_regulation",
        "air_purification",
        "water_purification",
        "carbon_sequestration",
        "oxygen_release",
        "climate_regulation",
        "negative_ions",
    }
    assert (accounts["data_flag"] == "demo").all()
    assert list(accounts.columns[:12]) == [
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
    ]
    province = accounts[accounts["unit_code"] == "360000"].set_index("item")
    counties = (
        accounts[accounts["unit_level"] == "county"].groupby("item")[["quantity", "value"]].sum()
    )
    np.testing.assert_allclose(province.loc[counties.index, "value"], counties["value"], rtol=1e-12)
    assert (province["quantity"] > 0).all()


def test_demo_summary_and_statistics(demo_run):
    out, _ = demo_run
    summary = pd.read_csv(out / "summary.csv", dtype={"unit_code": str})
    province = summary[summary["unit_code"] == "360000"].iloc[0]
    # 100 Tianditu counties tile the province: 167,051 km² in Albers (data README)
    assert province["area_km2"] == pytest.approx(167_051, rel=1e-3)
    assert province["population"] == 45_188_635  # 7th census
    assert province["gdp"] == pytest.approx(25691.5e8)  # 2020 bulletin, 亿元 → CNY
    assert province["gep_gdp_ratio"] == pytest.approx(province["gep"] / province["gdp"])
    counties = summary[summary["unit_level"] == "county"]
    assert counties["population"].notna().all()
    assert counties["gdp"].isna().all()


def test_demo_checks_and_maps(demo_run):
    out, _ = demo_run
    checks = pd.read_csv(out / "checks.csv")
    assert checks["passed"].all()
    parts = pd.read_csv(out / "parts.csv")
    n_parts = len(parts[["item", "part"]].drop_duplicates())
    # every part of every item, for the province and the 11 cities (which have polygons)
    assert (checks["check"] == "parent_polygon_vs_children").sum() == 12 * n_parts
    accounts = pd.read_csv(out / "accounts.csv", dtype={"unit_code": str})
    total = accounts[accounts["unit_code"] == "360000"].set_index("item")
    for item in total.index:
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
    for table in (
        "population_census2020.csv",
        "gdp_2020.csv",
        "reservoirs.csv",
        "demo_emissions_2020.csv",
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
    burns the union of the counties at once (not per county) and sums with numpy (not flox).
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

    precipitation = warp(DEMO / "demo_precipitation_monthly_2020.tif", Resampling.bilinear).sum(
        axis=0
    )
    et = warp(DEMO / "demo_actual_et_2020.tif", Resampling.bilinear)[0]
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
    accounts = pd.read_csv(out / "accounts.csv", dtype={"unit_code": str})
    total = accounts[
        (accounts["unit_code"] == "360000") & (accounts["item"] == "water_conservation")
    ]
    assert float(total["quantity"].iloc[0]) == pytest.approx(expected, rel=1e-6)
