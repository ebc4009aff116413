"""gep synth: synthetic regions that gep run accounts as they are.

Small regions (40,000 and 250,000 cells): the same seed gives the same bytes and another seed
other values; the files are tiled cloud-optimised GeoTIFFs on the accounting grid with the
units and ranges gepkit expects; a layer computed window by window equals the whole-grid
computation; the units partition the region; `gep validate` passes and `gep run` gives every
raster-based regulating item a non-zero value.
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from rasterio.windows import Window
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.grid import CHINA_ALBERS
from gepkit.layers import LAYERS
from gepkit.synth import landscape as ls
from gepkit.synth import synthesize, water
from gepkit.synth.config import RASTER_ITEMS
from gepkit.synth.generate import landcover_at, window_layers
from gepkit.synth.units import build_units
from gepkit.synth.writer import check_layout

SMALL = 40_000
SEED = 11


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40,000-cell region for two years, written through the command line."""
    out = tmp_path_factory.mktemp("synth") / "small"
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--pixels",
            str(SMALL),
            "--out",
            str(out),
            "--seed",
            str(SEED),
            "--years",
            "2019",
            "--years",
            "2020",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Synthetic region written" in result.output
    return out


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "medium"
    synthesize(250_000, out, seed=SEED)
    return out


def test_same_seed_same_bytes_other_seed_other_values(small: Path, tmp_path: Path) -> None:
    again = synthesize(SMALL, tmp_path / "again", seed=SEED, years=[2019, 2020])
    assert _digest(again.folder) == _digest(small)

    other = synthesize(SMALL, tmp_path / "other", seed=SEED + 1, years=[2020])
    for name in ("landcover", "dem", "precipitation_monthly_2020"):
        with (
            rasterio.open(small / "rasters" / f"{name}.tif") as a,
            rasterio.open(other.folder / "rasters" / f"{name}.tif") as b,
        ):
            assert a.shape == b.shape
            assert not np.array_equal(a.read(), b.read()), name


def test_rasters_are_tiled_cogs_on_the_grid_with_declared_units_and_ranges(small: Path) -> None:
    config = tomllib.loads((small / "gep.toml").read_text(encoding="utf-8"))
    grid_crs = pyproj.CRS.from_user_input(CHINA_ALBERS)
    resolution = config["grid"]["resolution"]
    for layer, spec in config["inputs"].items():
        for year in config["run"]["years"]:
            path = small / spec["path"].replace("{year}", str(year))
            assert check_layout(path) == [], path
            with rasterio.open(path) as src:
                assert pyproj.CRS.from_wkt(src.crs.to_wkt()).equals(grid_crs)
                assert src.res == (resolution, resolution)
                assert src.transform.c % resolution == 0
                assert src.transform.f % resolution == 0
                assert src.count == max(LAYERS[layer].bands, 1)
                assert src.profile["blockxsize"] == src.profile["blockysize"] == 512
                data = src.read(masked=True)
                if layer == "landcover":
                    assert set(np.unique(data.compressed())) <= set(range(1, 10))
                    continue
                assert src.tags()["units"] == spec["units"] == LAYERS[layer].units
                low, high = LAYERS[layer].plausible or (-np.inf, np.inf)
                values = data.compressed()
                assert values.size > 0.9 * data.size, layer  # NaN only for NPP over water
                assert low <= values.min(), layer
                assert values.max() <= high, layer


def test_layers_are_realistic(small: Path) -> None:
    def read(name: str) -> np.ndarray:
        with rasterio.open(small / "rasters" / f"{name}.tif") as src:
            return src.read().squeeze()

    landcover, dem = read("landcover"), read("dem")
    shares = {c: float(np.mean(landcover == c)) for c in range(1, 10)}
    # forest and cropland dominate; water, built-up land and marsh are present
    assert shares[ls.FOREST] > 0.25
    assert shares[ls.CROPLAND] > 0.1
    for code in (ls.WATER, ls.IMPERVIOUS, ls.WETLAND):
        assert shares[code] > 0.0005, ls.CLASS_NAMES[code]
    # water lies low: the median water cell is below the median land cell
    assert np.median(dem[landcover == ls.WATER]) < np.median(dem[landcover != ls.WATER])
    assert dem.min() >= 0
    assert dem.max() - dem.min() > 100
    # climate: colder and wetter uphill, monthly cycle with a summer peak
    t = read("temperature_monthly_2020")
    p = read("precipitation_monthly_2020")
    high, low = dem > np.percentile(dem, 90), dem < np.percentile(dem, 10)
    assert t.mean(axis=0)[high].mean() < t.mean(axis=0)[low].mean()
    assert p.sum(axis=0)[high].mean() > p.sum(axis=0)[low].mean()
    assert t[6].mean() > t[0].mean() + 15
    # the two years differ, the land does not
    assert not np.array_equal(p, read("precipitation_monthly_2019"))
    ndvi = read("ndvi")
    assert ndvi[landcover == ls.FOREST].mean() > 0.8 > 0.0 > ndvi[landcover == ls.WATER].mean()


def test_windows_join_without_seams(medium: Path) -> None:
    """Any windows give the same cells as the whole grid, and as the files written."""
    geometry = ls.Geometry.for_pixels(250_000, 30.0)
    landscape = water.place_bodies(ls.Landscape.create(geometry, SEED), SEED)
    landscape = landscape.with_towns(build_units(landscape, SEED).towns)
    climates = [ls.YearClimate.create(landscape, 2020)]
    whole = window_layers(landscape, climates, Window(0, 0, geometry.width, geometry.height))
    rows, cols = (0, 137, 301, geometry.height), (0, 211, 212, geometry.width)
    for r0, r1 in itertools.pairwise(rows):
        for c0, c1 in itertools.pairwise(cols):
            part = window_layers(landscape, climates, Window(c0, r0, c1 - c0, r1 - r0))
            for name, data in part.items():
                np.testing.assert_array_equal(data, whole[name][..., r0:r1, c0:c1], name)
    for name in ("landcover", "dem", "temperature_monthly_2020", "npp_2020"):
        with rasterio.open(medium / "rasters" / f"{name}.tif") as src:
            np.testing.assert_array_equal(src.read().squeeze(), whole[name], name)
    # the land cover at cell centres (county statistics) is the raster's
    r, c = np.arange(5, geometry.height, 40), np.arange(7, geometry.width, 40)
    xx, yy = np.meshgrid(geometry.x_of(c), geometry.y_of(r))
    at = landcover_at(landscape, xx.ravel(), yy.ravel()).reshape(xx.shape)
    assert np.mean(at == whole["landcover"][np.ix_(r, c)]) > 0.99


def test_units_partition_the_region(small: Path) -> None:
    units = gpd.read_file(small / "units.gpkg")
    assert units.geometry.is_valid.all()
    province = units[units["level"] == "province"]
    cities = units[units["level"] == "city"]
    counties = units[units["level"] == "county"]
    assert list(province["code"]) == ["990000"]
    assert 4 <= len(cities) <= 16
    assert len(counties) >= 2 * len(cities)
    assert set(cities["parent_code"]) == {"990000"}
    assert set(counties["parent_code"]) == set(cities["code"])
    assert all(
        c.startswith(p[:4]) for c, p in zip(counties["code"], counties["parent_code"], strict=False)
    )
    region = province.geometry.iloc[0]
    for children, parent in [(counties, region), (cities, region)]:
        assert children.geometry.area.sum() == pytest.approx(region.area, rel=1e-9)
        assert children.geometry.union_all().symmetric_difference(parent).area < 1.0
    for _, city in cities.iterrows():
        mine = counties[counties["parent_code"] == city["code"]]
        assert mine.geometry.area.sum() == pytest.approx(city.geometry.area, rel=1e-9)
    # the grid gepkit derives from the units (their bounding box plus one cell) is the files'
    with rasterio.open(small / "rasters" / "dem.tif") as src:
        left, bottom, right, top = src.bounds
    assert region.bounds == pytest.approx((left + 30, bottom + 30, right - 30, top - 30))
    stats = pd.read_csv(small / "statistics.csv", dtype={"code": str})
    assert set(stats["code"]) == set(counties["code"])
    assert (stats["population"] > 0).all()
    assert (stats["so2"] > 0).all()
    lakes = gpd.read_file(small / "lakes.gpkg")
    assert len(lakes) >= 1
    assert lakes.geometry.is_valid.all()
    assert lakes.geometry.within(region).all()


def test_validate_and_run_give_every_raster_item(medium: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    config = medium / "gep.toml"
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    accounts = pd.read_csv(out / "accounts.csv", dtype={"unit_code": str})
    top = accounts[(accounts["unit_code"] == "990000") & (accounts["price_basis"] == "current")]
    assert set(top["item"]) == set(RASTER_ITEMS)
    for item in RASTER_ITEMS:
        row = top[top["item"] == item].iloc[0]
        assert row["quantity"] > 0, item
        assert row["value"] > 0, item
    parts = pd.read_csv(out / "parts.csv", dtype={"unit_code": str})
    flood = parts[(parts["unit_code"] == "990000") & (parts["item"] == "flood_regulation")]
    assert set(flood["part"]) == {"vegetation", "lakes", "reservoirs", "marshes"}
    assert (flood["quantity"] > 0).all()


def test_refuses_existing_folder_and_tiny_grids(small: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--pixels", str(SMALL), "--out", str(small)])
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    result = runner.invoke(app, ["synth", "--pixels", "100", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "too small" in result.output
    assert not (tmp_path / "x").exists()
