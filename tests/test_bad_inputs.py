"""Every bad input gets a short message naming the file and field, exit code 2, and no output.

Each test breaks one thing in the synthetic region (conftest.py) and runs ``gep run`` through the
CLI.  Besides the message, it checks that neither the output folder nor a temporary folder was
left behind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from conftest import BASE_ITEMS_LINE, CELL, X0, Y0, write_raster, write_units
from typer.testing import CliRunner

from gepkit.cli import app

runner = CliRunner()


def _run_fails(config: Path, out: Path, *fragments: str) -> str:
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{result.output}"
    assert "Nothing was written" in output
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    return output


def test_missing_file(region, tmp_path):
    config = region()
    (config.parent / "et_2020.tif").unlink()
    _run_fails(config, tmp_path / "out", "layer 'actual_et'", "file not found", "et_2020.tif")


def test_unreadable_raster(region, tmp_path):
    config = region()
    (config.parent / "npp_2020.tif").write_text("this is not a GeoTIFF")
    _run_fails(config, tmp_path / "out", "layer 'npp'", "npp_2020.tif", "not a readable raster")


def test_raster_not_covering_the_region(region, tmp_path):
    config = region()
    small = np.full((4, 4), 8000.0, dtype="float32")  # 4 km × 4 km: a quarter of the region
    write_raster(
        config.parent / "erosivity.tif",
        small,
        transform=Affine(CELL, 0, X0, 0, -CELL, Y0 + 4 * CELL),
    )
    _run_fails(
        config,
        tmp_path / "out",
        "layer 'rainfall_erosivity'",
        "erosivity.tif",
        "covers only 25.0% of the region's extent",
    )


def test_landcover_code_missing_from_parameter_table(region, tmp_path):
    """The runoff table has no row for broadleaf forest (11), which the region contains."""
    config = region(extra='[tables]\nrunoff_coefficients = "runoff.csv"\n')
    shipped = Path(__file__).parents[1] / "src/gepkit/catalogue/data/runoff_coefficients.csv"
    lines = [
        line
        for line in shipped.read_text(encoding="utf-8").splitlines()
        if not line.startswith("11,")
    ]
    (config.parent / "runoff.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _run_fails(
        config,
        tmp_path / "out",
        "runoff.csv",
        "ecosystem_code",
        "water_conservation",
        "11 (Broadleaf forest)",
    )


def test_landcover_code_missing_from_crosswalk(region, tmp_path):
    config = region(crosswalk="my_crosswalk.csv")
    (config.parent / "my_crosswalk.csv").write_text(
        "source_code,ecosystem_code\n0,42\n2,11\n10,33\n", encoding="utf-8"
    )  # no 12 (cropland)
    _run_fails(config, tmp_path / "out", "landcover", "12 (16 px)", "my_crosswalk.csv")


def test_units_file_without_codes(region, tmp_path):
    config = region()
    write_units(config.parent / "units.gpkg", drop=("code",))
    _run_fails(
        config, tmp_path / "out", "units.gpkg", "[code]", "has no field 'code'", "code_field"
    )


def test_units_file_with_duplicate_codes(region, tmp_path):
    config = region()
    write_units(config.parent / "units.gpkg", duplicate=True)
    _run_fails(config, tmp_path / "out", "units.gpkg", "codes must be unique", "990201")


def test_geographic_grid(region, tmp_path):
    config = region(grid_crs="EPSG:4326")
    _run_fails(config, tmp_path / "out", "[grid]", "must be projected in metres", "degree")


def test_wrong_unit_caught_by_plausible_range(region, tmp_path):
    """Monthly precipitation written in mm but declared in m becomes 1000× too large."""
    config = region(precip_units="m")
    _run_fails(config, tmp_path / "out", "precipitation_monthly", "plausible range", "'m'")


def test_all_problems_are_reported_at_once(region, tmp_path):
    config = region()
    (config.parent / "et_2020.tif").unlink()
    (config.parent / "npp_2020.tif").write_text("broken")
    text = config.read_text(encoding="utf-8").replace(
        "resolution = 1000", "resolution = 1000\nsize = 3"
    )
    config.write_text(text, encoding="utf-8")
    output = _run_fails(config, tmp_path / "out", "grid.size", "not a known setting")
    # the config error stops before the files are read; fix it and both file problems show
    config.write_text(text.replace("\nsize = 3", ""), encoding="utf-8")
    output = _run_fails(config, tmp_path / "out", "2 problem(s)", "et_2020.tif", "npp_2020.tif")
    assert output


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        (
            '[run]\nitems = ["water_conservation", "no_such_item"]',
            "'no_such_item' is not a GEP item",
        ),
        ('[options.water_conservation]\nnegative = "zero"', "options.water_conservation.negative"),
        ('[prices]\ncarbon_price = "bitcoin"', "has no variant 'bitcoin'"),
    ],
)
def test_config_mistakes(region, tmp_path, setting, fragment):
    config = region()
    text = config.read_text(encoding="utf-8")
    if setting.startswith("[run]"):
        text = text.replace(BASE_ITEMS_LINE, setting.split("\n", 1)[1])
    else:
        text += "\n" + setting + "\n"
    config.write_text(text, encoding="utf-8")
    _run_fails(config, tmp_path / "out", fragment)


def test_missing_config_file(tmp_path):
    _run_fails(tmp_path / "nowhere.toml", tmp_path / "out", "config file not found")


def test_validate_reports_problems_with_exit_code_2(region):
    config = region()
    (config.parent / "dem.tif").unlink()
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 2
    assert "dem.tif" in result.output


def test_failure_keeps_an_existing_output_folder(region, tmp_path):
    """A failed run with --overwrite must not destroy the previous results."""
    config = region()
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(config), "--out", str(out)]).exit_code == 0
    before = (out / "accounts.csv").read_bytes()
    (config.parent / "et_2020.tif").unlink()
    result = runner.invoke(app, ["run", str(config), "--out", str(out), "--overwrite"])
    assert result.exit_code == 2
    assert (out / "accounts.csv").read_bytes() == before


def test_mixed_crs_with_a_file_that_has_none(region, tmp_path):
    """Layers in several CRS are all put on the grid; a file without CRS cannot be, and the
    message says how to declare it."""
    config = region()
    data = np.full((16, 16), 8000.0, dtype="float32")
    with rasterio.open(
        config.parent / "erosivity.tif",
        "w",
        driver="GTiff",
        width=16,
        height=16,
        count=1,
        dtype="float32",
        transform=Affine(CELL, 0, X0, 0, -CELL, Y0 + 16 * CELL),
    ) as dst:
        dst.write(data[None])
    _run_fails(
        config,
        tmp_path / "out",
        "layer 'rainfall_erosivity'",
        "erosivity.tif",
        "has no coordinate reference system",
        "set crs =",
    )
