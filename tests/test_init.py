"""`gep init`: units of any region of China from the shipped boundaries, a config to fill in."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from gepkit import boundaries
from gepkit.cli import app, demo_config_path
from gepkit.config import load_config
from gepkit.errors import InputError, OutputError
from gepkit.init import needed_layers, write_starter
from gepkit.plan import prepare, read_hierarchy

DEMO = demo_config_path().parent
runner = CliRunner()


def _init(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "start"
    result = runner.invoke(app, ["init", *args, "--out", str(out)])
    return result.exit_code, result.output, out


def test_shipped_boundaries_are_one_consistent_hierarchy() -> None:
    units = boundaries.catalogue()
    assert units["code"].is_unique
    assert units["level"].value_counts().to_dict() == {"county": 2883, "city": 336, "province": 34}
    parents = set(units["parent_code"]) - {""}
    assert parents <= set(units["code"])
    assert (units.loc[units["level"] == "province", "parent_code"] == "").all()
    # Municipalities have no city level; a prefecture city without counties is one unit.
    assert units.at["110105", "parent_code"] == "110000"
    assert "441900" in units.index
    assert units.at["469001", "parent_code"] == "460000"


def test_jiangxi_units_match_the_demo(tmp_path: Path) -> None:
    code, output, out = _init(
        tmp_path, "--region", "360000", "--level", "county", "--year", "2020", "--no-template"
    )
    assert code == 0, output
    assert "112 units (1 province, 11 city, 100 county)" in output
    written = gpd.read_file(out / "units.geojson")
    demo = gpd.read_file(DEMO / "units.geojson")
    columns = ["code", "name", "parent_code", "level"]
    pd.testing.assert_frame_equal(
        written[columns].astype(str).reset_index(drop=True),
        demo[columns].astype(str).reset_index(drop=True),
    )
    assert written.crs.to_epsg() == 4326
    # Same polygons: the demo was made from the same source (identical to the bit in memory;
    # here both went through GeoJSON).
    assert all(
        shapely.equals_exact(a, b, tolerance=1e-9)
        for a, b in zip(written.geometry, demo.geometry, strict=True)
    )


@pytest.mark.parametrize(
    ("region", "level", "counts"),
    [
        ("440300", "county", {"city": 1, "county": 9}),  # 深圳: 9 districts
        ("632300", "county", {"city": 1, "county": 4}),  # 黄南州: 同仁市 (2020) and 3 counties
        ("360102", "county", {"county": 1}),  # 东湖区 alone, no parents
        ("330000", "county", {"province": 1, "city": 11, "county": 90}),
        ("330000", "city", {"province": 1, "city": 11}),
        ("460000", "city", {"province": 1, "city": 4, "county": 15}),  # + 省直辖县级
        ("110000", "city", {"province": 1}),  # a municipality has no city level
        ("110000", "county", {"province": 1, "county": 16}),
        ("441900", "county", {"city": 1}),  # 东莞: no counties
    ],
)
def test_units_of_a_region(region: str, level: str, counts: dict[str, int]) -> None:
    units = boundaries.region_units(region, level)
    assert units["level"].value_counts().to_dict() == counts
    assert list(units["parent_code"]).count("") == 1
    assert units.loc[units["parent_code"] == "", "code"].item() == region
    assert set(units["parent_code"]) - {""} <= set(units["code"])
    leaves = units[~units["code"].isin(units["parent_code"])]
    top = units.loc[units["code"] == region, "geometry"].item()
    # The leaves tile the region (Tianditu's levels are nested).
    assert shapely.union_all(leaves.geometry.to_numpy()).area == pytest.approx(top.area, rel=1e-4)


def test_a_city_starter_is_a_usable_units_file(tmp_path: Path) -> None:
    code, output, out = _init(tmp_path, "--region", "深圳市", "--year", "2021", "--year", "2022")
    assert code == 0, output
    config = load_config(out / "gep.toml")
    assert (config.region.code, config.region.name) == ("440300", "深圳市")
    assert config.run.years == [2021, 2022]
    hierarchy = read_hierarchy(config)
    assert len(hierarchy.leaves) == 9
    # The statistics workbook for these units and years, where [workbook] points.
    assert config.workbook is not None
    assert config.resolve(config.workbook.path).is_file()
    population = pd.read_csv(out / "statistics_csv" / "population.csv", dtype=str)
    assert len(population) == 10 * 2


def test_unknown_codes_name_the_nearest_units(tmp_path: Path) -> None:
    code, output, out = _init(tmp_path, "--region", "371200")  # 莱芜市, merged into 济南 (2019)
    assert code == 2
    assert "no province, city or county with code or name '371200'" in output
    assert "371100 日照市" in output
    assert not out.exists()
    with pytest.raises(InputError, match=r"names 2 units: 110105 朝阳区 .*220104 朝阳区"):
        boundaries.find("朝阳区")
    with pytest.raises(InputError, match="township boundaries are not shipped"):
        boundaries.find("360102001")
    with pytest.raises(InputError, match=r"360102 东湖区 .* is a county: it has no city-level"):
        boundaries.region_units("360102", "city")


def test_existing_files_are_kept(tmp_path: Path) -> None:
    write_starter("360102", "county", tmp_path, years=[2020])
    with pytest.raises(OutputError, match="already exist"):
        write_starter("360102", "county", tmp_path, years=[2020])
    write_starter("360102", "county", tmp_path, years=[2021], overwrite=True)
    assert load_config(tmp_path / "gep.toml").run.years == [2021]


def test_the_config_lists_the_layers_of_the_profile() -> None:
    layers = {layer.name: layer for layer in needed_layers()}
    assert set(layers) >= {
        "landcover",
        "dem",
        "ndvi",
        "precipitation_monthly",
        "temperature_monthly",
        "actual_et",
        "npp",
        "rainfall_erosivity",
        "soil_erodibility",
        "storm_precipitation",
        "hot_days",
    }
    assert layers["precipitation"].optional_because  # derived from the monthly stack
    assert "soil_retention" in layers["dem"].items


def fill_in(text: str, layers: dict[str, str], extra: str) -> str:
    """What a user does: uncomment the [inputs.*] blocks of the layers they have, set the
    paths, and add the registers, tables and options."""

    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in layers:
            return match.group(0)
        lines = [line[2:] for line in match.group(0).splitlines()]
        lines = [
            f'path = "{layers[name]}"' if line.startswith("path =") else line for line in lines
        ]
        return "\n".join(lines)

    filled = re.sub(r"^# \[inputs\.(\w+)\]\n(?:# .*\n?)*", block, text, flags=re.MULTILINE)
    return filled + "\n" + extra


def test_the_written_config_validates_once_the_inputs_are_filled_in(tmp_path: Path) -> None:
    write_starter("360000", "county", tmp_path, years=[2019, 2020])
    demo = load_config(DEMO / "gep.toml")
    layers = {name: str(DEMO / spec.path) for name, spec in demo.inputs.items() if spec.path}
    demo_text = (DEMO / "gep.toml").read_text(encoding="utf-8")
    extra = f"""
[registers.lakes]
path = "{DEMO / "demo_lakes.geojson"}"

[registers.reservoirs]
path = "{DEMO / "reservoirs.csv"}"
capacity_units = "亿m3"

[tables]
storm_runoff_coefficients = "{DEMO / "demo_storm_runoff_coefficients.csv"}"
negative_ion_concentration = "{DEMO / "demo_negative_ion_concentration.csv"}"
canopy_height = "{DEMO / "demo_canopy_height.csv"}"

"""
    # The demo's statistics give value added and no visitor survey: its method choices.
    extra += demo_text[demo_text.index("[options.agricultural_products]") :]
    text = (tmp_path / "gep.toml").read_text(encoding="utf-8")
    text = text.replace('path = "statistics.xlsx"', f'path = "{DEMO / "statistics"}"')
    (tmp_path / "gep.toml").write_text(fill_in(text, layers, extra), encoding="utf-8")

    plan = prepare(load_config(tmp_path / "gep.toml"))
    assert len(plan.hierarchy.leaves) == 100
    assert {"soil_retention", "flood_regulation", "negative_ions"} <= set(plan.items)
    assert plan.derived == {"precipitation": "precipitation_monthly"}
