"""End-to-end runs of the synthetic region (see conftest.py), checked against hand computation."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import (
    BASE_ITEMS_LINE,
    ET_MM,
    K_FACTOR,
    NDVI,
    NPP_GC,
    PRECIP_MM,
    R_FACTOR,
    TEMP_C,
    accounts_wide,
)
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.config import load_config
from gepkit.pipeline import run

CELLS_PER_COUNTY = 16  # 4 km × 4 km at 1 km
CELL_M2 = 1e6

# -- hand computation (methods catalogue §2.3, §2.4, §2.10, §2.11; shipped tables) ---------------

# Water conservation Q = (P − αP − ET)·A·10⁻³ with α of Gong et al. 2017 (percent → fraction).
WATER_PER_CELL = {
    "990101": (PRECIP_MM - 0.0465 * PRECIP_MM - ET_MM) * 1e-3 * CELL_M2,  # broadleaf 4.65 %
    "990102": (PRECIP_MM - 0.0387 * PRECIP_MM - ET_MM) * 1e-3 * CELL_M2,  # tussock 3.87 %
    "990201": 0.0,  # cropland: outside the item's scope
    "990202": (PRECIP_MM - 0.0 * PRECIP_MM - ET_MM) * 1e-3 * CELL_M2,  # lake 0 %
}

# RUSLE: slope of the 5 % plane, S (HJ 1173 eq. A.12, θ < 5.14°), L = 1 for λ = 22.13 m.
THETA = math.atan(0.05)
LS = 10.8 * math.sin(THETA) + 0.03
FVC = (NDVI - 0.05) / (0.95 - 0.05)  # 0.833 → class 70–90 %
C_DRY = 0.221 - 0.595 * math.log10(FVC)
C = {"990101": 0.004, "990102": 0.043, "990201": (1 - 0.8342) * C_DRY}
SOIL_PER_CELL = {code: R_FACTOR * K_FACTOR * LS * (1 - c) * 100.0 for code, c in C.items()}
SOIL_PER_CELL["990202"] = 0.0  # open water: outside the scope
SOIL_CNY_PER_T = 0.24 / 1.125 * 15.58 + 0.0037 * 875 + 0.00108 * 2800

# NEP with Pei's monthly R_h for constant monthly T and P.
RH = 12 * 0.22 * (math.exp(0.0912 * TEMP_C) + math.log(0.3145 * PRECIP_MM / 12 + 1)) * 30 * 0.465
NEP = NPP_GC - RH
CO2_PER_CELL = {"990101": 44 / 12 * NEP, "990102": 44 / 12 * NEP, "990201": 0.0, "990202": 0.0}
O2_PER_CELL = {code: value * 32 / 44 for code, value in CO2_PER_CELL.items()}


def _accounts(out: Path) -> pd.DataFrame:
    return accounts_wide(
        pd.read_csv(out / "accounts.csv", dtype={"unit_code": str, "parent_code": str})
    )


#: The hand computation uses a fixed slope length (L = 1); flow-based LS is checked against
#: InVEST in test_invest_comparison.py and by hand in tests/models.
SLOPE_ONLY = '[options.soil_retention]\nls_method = "slope_only"\n'


@pytest.fixture
def result(region, tmp_path):
    config = load_config(region(extra=SLOPE_ONLY))
    return run(config, tmp_path / "out")


def _quantity(accounts: pd.DataFrame, code: str, item: str) -> float:
    row = accounts[(accounts["unit_code"] == code) & (accounts["item"] == item)]
    assert len(row) == 1
    return float(row["quantity"].iloc[0])


@pytest.mark.parametrize(
    ("item", "per_cell"),
    [
        ("water_conservation", WATER_PER_CELL),
        ("soil_retention", SOIL_PER_CELL),
        ("carbon_sequestration", CO2_PER_CELL),
        ("oxygen_release", O2_PER_CELL),
    ],
)
def test_county_quantities_match_hand_computation(result, item, per_cell):
    """Each county's quantity equals the formula evaluated by hand × its 16 cells."""
    accounts = _accounts(result.out_dir)
    for code, value in per_cell.items():
        assert _quantity(accounts, code, item) == pytest.approx(CELLS_PER_COUNTY * value, rel=1e-6)


def test_parents_are_the_sum_of_their_children(result):
    accounts = _accounts(result.out_dir)
    for item in accounts["item"].unique():
        counties = {
            c: _quantity(accounts, c, item) for c in ("990101", "990102", "990201", "990202")
        }
        city1, city2 = _quantity(accounts, "990100", item), _quantity(accounts, "990200", item)
        assert city1 == pytest.approx(counties["990101"] + counties["990102"], rel=1e-12)
        assert city2 == pytest.approx(counties["990201"] + counties["990202"], rel=1e-12)
        assert _quantity(accounts, "990000", item) == pytest.approx(city1 + city2, rel=1e-12)


def test_values_are_quantity_times_price(result):
    """Values follow the price book: reservoir 6.11 CNY/m³; soil: silt + N + P; CO₂; O₂."""
    accounts = _accounts(result.out_dir)
    price = {
        "water_conservation": 6.11,
        "soil_retention": SOIL_CNY_PER_T,
        "carbon_sequestration": 379.87,
        "oxygen_release": 1160.70,
    }
    for _, row in accounts.iterrows():
        assert row["value"] == pytest.approx(row["quantity"] * price[row["item"]], rel=1e-9)
    assert set(accounts["value_unit"]) == {"CNY"}
    # One year, prices as recorded: constant prices of the (only) year equal current prices.
    assert set(accounts["constant_prices_of"]) == {2020}
    assert (accounts["value_constant"] == accounts["value"]).all()


def test_components_add_up_to_item_values(result):
    components = pd.read_csv(result.out_dir / "components.csv", dtype={"unit_code": str})
    accounts = _accounts(result.out_dir)
    totals = components.groupby(["unit_code", "item"])["value"].sum()
    for _, row in accounts.iterrows():
        assert totals[(row["unit_code"], row["item"])] == pytest.approx(row["value"], rel=1e-12)
    soil = components[
        (components["unit_code"] == "990101") & (components["item"] == "soil_retention")
    ]
    assert set(soil["component"]) == {"siltation", "nitrogen", "phosphorus"}
    silt = soil[soil["component"] == "siltation"].iloc[0]
    assert silt["unit_price"] == pytest.approx(15.58)
    assert silt["price_id"] == "dredging_cost/garze2010"
    assert "Pema Dolkar" in silt["price_source"]


def test_summary_headline_indicators(result):
    summary = pd.read_csv(result.out_dir / "summary.csv", dtype={"unit_code": str})
    accounts = _accounts(result.out_dir)
    province = summary[summary["unit_code"] == "990000"].iloc[0]
    assert province["gep"] == pytest.approx(
        accounts[accounts["unit_code"] == "990000"]["value"].sum()
    )
    assert province["regulating"] == pytest.approx(province["gep"])
    assert np.isnan(province["provisioning"])
    assert np.isnan(province["cultural"])
    assert province["area_km2"] == pytest.approx(64.0)
    assert province["population"] == 10_000  # counties summed up the hierarchy
    assert province["gep_per_km2"] == pytest.approx(province["gep"] / 64.0)
    assert province["gep_per_capita"] == pytest.approx(province["gep"] / 10_000)
    city = summary[summary["unit_code"] == "990100"].iloc[0]
    assert city["population"] == 3000


def test_extent_and_values_by_ecosystem(result):
    extent = pd.read_csv(result.out_dir / "extent.csv", dtype={"unit_code": str})
    county = extent[extent["unit_code"] == "990101"]
    assert list(county["ecosystem_code"]) == [11]
    assert county["area_km2"].iloc[0] == pytest.approx(16.0)
    province = extent[extent["unit_code"] == "990000"].set_index("ecosystem_code")
    assert province["area_km2"].to_dict() == pytest.approx({11: 16.0, 33: 16.0, 42: 16.0, 51: 16.0})
    by_eco = pd.read_csv(result.out_dir / "by_ecosystem.csv", dtype={"unit_code": str})
    water = by_eco[(by_eco["unit_code"] == "990000") & (by_eco["item"] == "water_conservation")]
    assert water.set_index("ecosystem_code")["quantity"].sum() == pytest.approx(
        _quantity(_accounts(result.out_dir), "990000", "water_conservation")
    )


def test_maps_sum_to_unit_totals(result):
    accounts = _accounts(result.out_dir)
    for item in accounts["item"].unique():
        for kind, column in (("quantity", "quantity"), ("value", "value")):
            with rasterio.open(result.out_dir / "maps" / f"{item}_2020_{kind}.tif") as src:
                assert src.crs is not None
                assert src.res == (1000.0, 1000.0)
                total = float(np.nansum(src.read(1).astype("float64")))
            expected = float(
                accounts[(accounts["unit_code"] == "990000") & (accounts["item"] == item)][
                    column
                ].iloc[0]
            )
            assert total == pytest.approx(expected, rel=1e-5)


def test_units_layer_is_written_with_every_unit(result):
    """units.gpkg: every unit of the account with its polygon in the grid CRS (a parent without
    a polygon of its own gets the union of its children: tests/test_zones.py)."""
    units = gpd.read_file(result.out_dir / "units.gpkg", layer="units")
    summary = pd.read_csv(result.out_dir / "summary.csv", dtype={"unit_code": str})
    assert set(units["code"]) == set(summary["unit_code"])
    assert units.crs.equals(result.plan.grid.crs)
    by_code = units.set_index("code")
    for code, area in zip(by_code.index, by_code["area_km2"], strict=True):
        assert by_code.geometry[code].area / 1e6 == pytest.approx(area, rel=1e-9), code
    assert set(by_code["geometry_source"]) == {"units file"}  # the synthetic units have all


def test_checks_pass_and_are_written(result):
    checks = pd.read_csv(result.out_dir / "checks.csv", dtype={"unit_code": str})
    assert checks["passed"].all()
    assert set(checks["check"]) == {
        "units_sum_to_raster_total",
        "children_sum_to_parent",
        "parent_polygon_vs_children",
        "bound:potential_erosion",
        "bound:precipitation_volume",
    }
    assert result.manifest["checks"]["summary"]["units_sum_to_raster_total"] == {
        "passed": 4,
        "failed": 0,
    }


def test_manifest_records_inputs_options_and_records(result):
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    layers = manifest["inputs"]["layers"]
    for entry in layers.values():
        assert entry["sha256"] == hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
    assert manifest["inputs"]["derived_layers"] == {"precipitation": "precipitation_monthly"}
    assert manifest["items"]["water_conservation"]["options"]["negative_balance"] == "zero"
    records = {r["key"] for r in manifest["items"]["soil_retention"]["parameters_and_prices"]}
    assert {"dredging_cost", "soil_bulk_density", "sedimentation_share"} <= records
    flagged = " ".join(entry["what"] for entry in manifest["to_be_confirmed"])
    assert "slope_length" in flagged  # a [K] parameter
    assert manifest["profile"]["not_computed"]  # the profile lists items not yet implemented
    assert manifest["demo"]["is_demo"] is False
    for name in ("accounts.csv", "accounts.parquet", "summary.csv", "components.csv"):
        assert name in manifest["outputs"]


def test_chunkings_give_identical_accounts(region, tmp_path):
    """The same run in dask blocks of 2, 3 and 7 cells (25, 16 and 4 blocks on the 10 × 10 grid,
    uneven at the edges) and of one block (16, 2048 and 4096 cells) gives the same numbers: the
    accounts up to the order of summation, the maps too, and every check passes."""
    reference = run(load_config(region(chunk=4096)), tmp_path / "one-block")
    assert reference.plan.grid.shape == (10, 10)
    b = _accounts(reference.out_dir)
    maps = sorted(p.name for p in (reference.out_dir / "maps").iterdir())
    for chunk in (2, 3, 7, 16, 2048):
        result = run(load_config(region(chunk=chunk)), tmp_path / f"chunk{chunk}")
        a = _accounts(result.out_dir)
        pd.testing.assert_frame_equal(a[["unit_code", "item"]], b[["unit_code", "item"]])
        np.testing.assert_allclose(a["quantity"], b["quantity"], rtol=1e-12, err_msg=str(chunk))
        np.testing.assert_allclose(a["value"], b["value"], rtol=1e-12, err_msg=str(chunk))
        checks = pd.read_csv(result.out_dir / "checks.csv")
        assert checks["passed"].all(), chunk
        assert sorted(p.name for p in (result.out_dir / "maps").iterdir()) == maps
        for name in maps:
            with (
                rasterio.open(result.out_dir / "maps" / name) as got,
                rasterio.open(reference.out_dir / "maps" / name) as want,
            ):
                np.testing.assert_allclose(
                    got.read(1), want.read(1), rtol=1e-6, equal_nan=True, err_msg=f"{chunk} {name}"
                )


def test_same_inputs_give_identical_account_files(region, tmp_path):
    config = load_config(region())
    first = run(config, tmp_path / "first")
    second = run(config, tmp_path / "second")
    for name in ("accounts.csv", "summary.csv", "components.csv", "extent.csv"):
        assert (first.out_dir / name).read_bytes() == (second.out_dir / name).read_bytes()


def test_several_years_in_one_run(region, tmp_path):
    config = load_config(region(years=(2020, 2021)))
    result = run(config, tmp_path / "out")
    accounts = _accounts(result.out_dir)
    assert sorted(accounts["year"].unique()) == [2020, 2021]
    assert (result.out_dir / "maps" / "water_conservation_2021_value.tif").is_file()
    only = run(load_config(region(years=(2020, 2021))).for_years([2021]), tmp_path / "only")
    assert sorted(_accounts(only.out_dir)["year"].unique()) == [2021]


def test_cli_run_and_validate(region, tmp_path):
    config = region()
    runner = CliRunner()
    checked = runner.invoke(app, ["validate", str(config)])
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.output
    out = tmp_path / "cli"
    done = runner.invoke(app, ["run", str(config), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "测试省" in done.output
    assert (out / "accounts.csv").is_file()
    again = runner.invoke(app, ["run", str(config), "--out", str(out)])
    assert again.exit_code == 2
    assert "--overwrite" in again.output
    replaced = runner.invoke(app, ["run", str(config), "--out", str(out), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


def test_profile_items_can_be_added_and_dropped(region, tmp_path):
    """[run] add_items/drop_items change the profile's list; the manifest records both."""
    config = region()
    dropped = [
        "flood_regulation",
        "air_purification",
        "water_purification",
        "climate_regulation",
        "negative_ions",
        "agricultural_products",
        "forestry_products",
        "livestock_products",
        "fishery_products",
        "recreation",
    ]
    lines = f'add_items = ["pest_control"]\ndrop_items = {json.dumps(dropped)}'
    text = config.read_text(encoding="utf-8").replace(BASE_ITEMS_LINE, lines)
    config.write_text(text, encoding="utf-8")
    result = run(load_config(config), tmp_path / "out")
    assert set(result.plan.items) == {
        "water_conservation",
        "soil_retention",
        "carbon_sequestration",
        "oxygen_release",
        "pest_control",
    }
    profile = result.manifest["profile"]
    assert profile["added"] == ["pest_control"]
    assert "flood_regulation" in profile["dropped"]
    assert "flood_regulation" not in profile["not_computed"]
    assert profile["not_computed"] == []  # every item of DB36/T 1402 is implemented
    accounts = _accounts(result.out_dir)
    forest = accounts[(accounts["unit_code"] == "990101") & (accounts["item"] == "pest_control")]
    assert float(forest["quantity"].iloc[0]) == pytest.approx(16 * 100.0)  # 16 cells of 100 hm²
    assert float(forest["value"].iloc[0]) == pytest.approx(16 * 100.0 * 375.0)
