"""`gep inspect`: every input against the region, with findings a user can act on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from typer.testing import CliRunner

from gepkit import boundaries
from gepkit.cli import app, demo_config_path
from gepkit.config import load_config
from gepkit.inspect import InspectReport, inspect_config

DEMO = demo_config_path().parent
runner = CliRunner()


def _messages(report: InspectReport, severity: str) -> list[str]:
    return [f"{f.subject}: {f.message}" for f in report.all_findings() if f.severity == severity]


def test_demo_prints_tables_and_warnings() -> None:
    result = runner.invoke(app, ["inspect", str(DEMO / "gep.toml")])
    assert result.exit_code == 0, result.output
    for title in (
        "Input layers: files",
        "Input layers: inside the region",
        "Land cover landcover (2019, 2020) inside the region",
        "Statistics, registers and tables",
    ):
        assert title in result.output
    # The demo's DEM is a 0.2° grid: coarser than the 1 km accounting grid.
    assert (
        "layer dem (2019, 2020): resolution 23.2 km is coarser than the 1 km grid: values will "
        "be interpolated (bilinear)" in result.output
    )
    assert "No errors" in result.output


def test_demo_as_json() -> None:
    result = runner.invoke(app, ["inspect", str(DEMO / "gep.toml"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["exit_code"] == 0
    assert report["summary"]["errors"] == 0
    assert report["units"]["by_level"] == {"province": 1, "city": 11, "county": 100}
    assert report["units"]["reference"]["iou"] > 0.999  # the shipped boundaries themselves
    assert not report["units"]["reference"]["looks_gcj02"]
    layers = {(layer["name"], tuple(layer["years"])): layer for layer in report["layers"]}
    dem = layers[("dem", (2019, 2020))]
    assert dem["crs"] == "EPSG:4326"
    assert dem["pixel_m"] > 20_000
    assert dem["resampling"] == "bilinear"
    assert 0 < dem["minimum"] < dem["mean"] < dem["maximum"] < 2000
    assert any("coarser than the 1 km grid" in f["message"] for f in dem["findings"])
    # One file per year for NPP, one for both years elsewhere; the annual precipitation is
    # derived from the monthly stack.
    assert ("npp", (2019,)) in layers
    assert ("npp", (2020,)) in layers
    assert layers[("precipitation", (2019, 2020))]["derived"]
    landcover = layers[("landcover", (2019, 2020))]
    assert abs(sum(c["share"] for c in landcover["classes"]) - 1.0) < 1e-9
    assert {c["ecosystem_code"] for c in landcover["classes"]} >= {11, 13, 14, 42, 51}
    sheets = {s["sheet"] for s in report["workbook"]["sheets"]}
    assert {"population", "gdp", "farm_output", "tourism", "emissions"} <= sheets
    assert {r["name"] for r in report["registers"]} == {"lakes", "reservoirs"}


def test_a_layer_that_misses_part_of_the_region_and_wrong_units(
    region: Callable[..., Path],
) -> None:
    config = region()
    folder = config.parent
    # The DEM covers the western half of the region only.
    with rasterio.open(folder / "dem.tif") as src:
        profile, data = src.profile, src.read()
    half = data.shape[2] // 2
    profile.update(width=half)
    with rasterio.open(folder / "dem.tif", "w", **profile) as dst:
        dst.write(data[:, :, :half])
    # Monthly precipitation written in metres, declared as mm.
    path = folder / "precip_monthly_2020.tif"
    with rasterio.open(path) as src:
        profile, data = src.profile, src.read()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write((data / 1000).astype("float32"))

    report = inspect_config(load_config(config))
    errors, warnings = _messages(report, "error"), _messages(report, "warning")
    assert report.exit_code == 2, errors
    assert any(
        m.startswith("layer dem (2020): dem.tif covers only") and "of the region's extent" in m
        for m in errors
    ), errors
    # The values are 10³ too small for mm: `gep validate` refuses them, naming the unit.
    slip = next(m for m in errors if m.startswith("layer precipitation_monthly (2020):"))
    assert "0.1333 mm (declared 'mm')" in slip
    assert "look like metres: declare units = 'm'" in slip
    assert not [m for m in warnings if "precipitation" in m]

    result = runner.invoke(app, ["inspect", str(config)])
    assert result.exit_code == 2
    assert "covers only" in result.output
    assert "look like metres: declare units = 'm'" in result.output


def test_values_outside_the_plausible_range_are_errors(region: Callable[..., Path]) -> None:
    config = region(precip_units="m")  # the values are mm: read as m they are 10³ too large
    report = inspect_config(load_config(config))
    finding = next(
        f for f in report.all_findings() if f.subject == "layer precipitation_monthly (2020)"
    )
    assert finding.severity == "error"
    assert "outside the plausible range" in finding.message
    assert "declare units = 'mm'" in finding.message


def test_land_cover_codes_without_crosswalk_entry(region: Callable[..., Path]) -> None:
    config = region(crosswalk="partial.csv")
    # IGBP 10 (grassland, one county of 16 cells) is missing.
    (config.parent / "partial.csv").write_text(
        "source_code,ecosystem_code\n0,42\n2,11\n12,51\n", encoding="utf-8"
    )
    report = inspect_config(load_config(config))
    assert report.exit_code == 2
    errors = _messages(report, "error")
    assert any(
        "land-cover codes without crosswalk entry in partial.csv: 10 (16 px)" in m for m in errors
    )
    landcover = next(layer for layer in report.layers if layer.name == "landcover")
    assert {c["code"]: c["ecosystem_code"] for c in landcover.classes} == {
        0: 42,
        2: 11,
        10: None,
        12: 51,
    }


def test_config_that_cannot_be_read(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", str(tmp_path / "missing.toml"), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["exit_code"] == 2
    assert "config file not found" in report["findings"][0]["message"]


def _gcj02(geometry: shapely.Geometry) -> shapely.Geometry:
    centre = shapely.centroid(geometry)
    return shapely.transform(
        geometry, lambda xy: xy + np.array(boundaries.gcj02_offset(centre.x, centre.y))
    )


def test_units_shifted_like_gcj02_are_reported(tmp_path: Path) -> None:
    units = gpd.read_file(DEMO / "units.geojson")
    counties = units[units["level"] == "county"].copy()
    assert boundaries.compare_with_reference(counties).looks_gcj02 is False  # type: ignore[union-attr]
    counties["geometry"] = [_gcj02(g) for g in counties.geometry]
    counties["parent_code"] = ""
    counties.to_file(tmp_path / "counties.geojson", driver="GeoJSON")
    (tmp_path / "gep.toml").write_text(
        f"""
[region]
name = "江西省"
code = "360000"

[run]
years = [2020]
items = ["pest_control"]

[units]
path = "counties.geojson"

[inputs.landcover]
path = "{DEMO / "landcover_mcd12c1_2019_igbp.tif"}"
crosswalk = "modis_igbp"
""",
        encoding="utf-8",
    )
    report = inspect_config(load_config(tmp_path / "gep.toml"))
    warning = next(f for f in report.all_findings() if "GCJ-02" in f.message)
    assert warning.severity == "warning"
    assert warning.subject == "units"
    assert "convert the file from GCJ-02 to WGS84" in warning.hint
    assert report.units["reference"]["looks_gcj02"]


def test_derived_layers_are_listed(region: Callable[..., Path]) -> None:
    config = region()
    text = config.read_text(encoding="utf-8")
    start = text.index("[inputs.rainfall_erosivity]")
    end = text.index("[inputs.soil_erodibility]")
    text = (
        text[:start]
        + '[inputs.rainfall_erosivity]\nderive = "annual_precipitation"\n\n'
        + text[end:]
    )
    config.write_text(text, encoding="utf-8")
    report = inspect_config(load_config(config))
    assert report.exit_code == 0, _messages(report, "error")
    layers = {layer.name: layer for layer in report.layers}
    assert (
        layers["rainfall_erosivity"].derived == "derive = 'annual_precipitation' from precipitation"
    )
    assert layers["precipitation"].derived == "derived from precipitation_monthly"
    assert "rainfall_erosivity (derived)" in layers["precipitation"].used_by
    assert layers["rainfall_erosivity"].crs is None  # no file read
