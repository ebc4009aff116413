"""Reading rasters onto the accounting grid (gepkit.io.rasters)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds

import gepkit.io.rasters as rasters_module
from gepkit.errors import InputError
from gepkit.grid import CHINA_ALBERS, AccountingGrid
from gepkit.io.rasters import (
    choose_resampling,
    coverage_fraction,
    inspect_raster,
    read_aligned,
)

RES = 100.0
# A 4 × 6 grid of 100 m cells in China Albers, edges on multiples of the resolution.
GRID_BOUNDS = (1_000_000.0, 3_000_000.0, 1_000_600.0, 3_000_400.0)


def _grid() -> AccountingGrid:
    return AccountingGrid.from_bounds(GRID_BOUNDS, RES, "china-albers", buffer_cells=0)


def _write(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None,
    transform: Affine,
    nodata: float | None = None,
) -> Path:
    """Write a 2-D (one band) or 3-D (bands, y, x) array as a GeoTIFF."""
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data)
    return path


def _read(path: Path, grid: AccountingGrid, *, resampling: str = "nearest", **kw) -> np.ndarray:
    kw.setdefault("bands", [1])
    kw.setdefault("nodata", None)
    kw.setdefault("chunk", 1024)
    return np.asarray(read_aligned(path, grid, resampling=resampling, **kw).compute())


def _lonlat_file(path: Path, grid: AccountingGrid, data_fn, *, res_deg: float) -> Path:
    """An EPSG:4326 raster that covers ``grid`` with a margin; values from ``data_fn(shape)``."""
    west, south, east, north = transform_bounds(CHINA_ALBERS, "EPSG:4326", *grid.bounds)
    margin = 0.02
    width = math.ceil((east - west + 2 * margin) / res_deg)
    height = math.ceil((north - south + 2 * margin) / res_deg)
    transform = Affine(res_deg, 0, west - margin, 0, -res_deg, north + margin)
    return _write(path, data_fn((height, width)), crs="EPSG:4326", transform=transform)


# -- fast path: files already on the grid -----------------------------------------------------


@pytest.fixture
def no_warp(monkeypatch):
    """Fail if a read goes through a warped VRT: files on the grid must take the fast path."""

    def forbidden(*args, **kwargs):
        raise AssertionError("file on the grid was read through WarpedVRT")

    monkeypatch.setattr(rasters_module, "WarpedVRT", forbidden)


def test_file_on_grid_is_read_unchanged(tmp_path, no_warp):
    """Same CRS and transform: values come back exactly, as float32, in grid shape."""
    grid = _grid()
    data = np.arange(grid.size, dtype="float32").reshape(grid.shape) * 1.5 - 3
    path = _write(tmp_path / "on_grid.tif", data, crs=grid.crs_wkt, transform=grid.transform)
    out = read_aligned(path, grid, bands=[1], resampling="bilinear", nodata=None, chunk=1024)
    assert out.dtype == np.float32
    assert out.shape == grid.shape
    np.testing.assert_array_equal(np.asarray(out.compute()), data)


def test_file_offset_by_whole_pixels_and_smaller_gives_nan_outside(tmp_path, no_warp):
    """A 2 × 3 file starting one row down and two columns right fills only its own cells."""
    grid = _grid()
    small = np.array([[1, 2, 3], [4, 5, 6]], dtype="int16")
    transform = Affine(RES, 0, grid.transform.c + 2 * RES, 0, -RES, grid.transform.f - RES)
    path = _write(tmp_path / "small.tif", small, crs=grid.crs_wkt, transform=transform)
    expected = np.full(grid.shape, np.nan, dtype="float32")
    expected[1:3, 2:5] = small
    for chunk in (2, 1024):
        np.testing.assert_array_equal(_read(path, grid, chunk=chunk), expected)


def test_file_extending_beyond_the_grid_is_cropped(tmp_path, no_warp):
    """A file larger than the grid and shifted up-left by whole pixels gives the grid's window."""
    grid = _grid()
    big = np.arange(8 * 10, dtype="float32").reshape(8, 10)
    transform = Affine(RES, 0, grid.transform.c - 3 * RES, 0, -RES, grid.transform.f + 2 * RES)
    path = _write(tmp_path / "big.tif", big, crs=grid.crs_wkt, transform=transform)
    np.testing.assert_array_equal(_read(path, grid, chunk=3), big[2:6, 3:9])


def test_integer_nodata_becomes_nan(tmp_path, no_warp):
    """uint8 nodata 255 → NaN; other codes keep their value."""
    grid = _grid()
    data = np.full(grid.shape, 7, dtype="uint8")
    data[0, 0] = data[2, 3] = 255
    path = _write(tmp_path / "u8.tif", data, crs=grid.crs_wkt, transform=grid.transform, nodata=255)
    out = _read(path, grid, chunk=2)
    assert np.isnan(out[0, 0])
    assert np.isnan(out[2, 3])
    assert np.count_nonzero(np.isnan(out)) == 2
    assert np.all(out[~np.isnan(out)] == 7)


def test_float_nan_nodata_stays_nan(tmp_path, no_warp):
    """float32 file with NaN nodata: NaN cells stay NaN, others unchanged."""
    grid = _grid()
    data = np.ones(grid.shape, dtype="float32")
    data[1, 1] = np.nan
    path = _write(
        tmp_path / "f32.tif", data, crs=grid.crs_wkt, transform=grid.transform, nodata=np.nan
    )
    out = _read(path, grid)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(data))
    assert np.all(out[~np.isnan(out)] == 1.0)


def test_nodata_override(tmp_path, no_warp):
    """A file without nodata tag: the `nodata` argument turns its fill value into NaN."""
    grid = _grid()
    data = np.full(grid.shape, 2.5, dtype="float32")
    data[3, :] = -9999.0
    path = _write(tmp_path / "fill.tif", data, crs=grid.crs_wkt, transform=grid.transform)
    without = _read(path, grid)
    assert np.all(without[3] == -9999.0)  # no nodata known: the value is data
    with_override = _read(path, grid, nodata=-9999.0)
    assert np.all(np.isnan(with_override[3]))
    assert np.all(with_override[:3] == 2.5)


def test_nodata_override_replaces_the_file_nodata(tmp_path, no_warp):
    """The override wins over the file's own nodata value (0 is then data)."""
    grid = _grid()
    data = np.zeros(grid.shape, dtype="int16")
    data[0, :] = -1
    path = _write(tmp_path / "i16.tif", data, crs=grid.crs_wkt, transform=grid.transform, nodata=0)
    out = _read(path, grid, nodata=-1)
    assert np.all(np.isnan(out[0]))
    assert np.all(out[1:] == 0.0)


# -- warp path: other CRS or resolution --------------------------------------------------------


def test_lonlat_constant_raster_stays_constant(tmp_path):
    """A constant EPSG:4326 raster that covers the grid is the same constant everywhere."""
    grid = AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_010_000, 3_008_000), 1000, "china-albers"
    )
    path = _lonlat_file(
        tmp_path / "const.tif",
        grid,
        lambda shape: np.full(shape, 3.25, dtype="float32"),
        res_deg=0.002,
    )
    for resampling in ("bilinear", "average", "nearest"):
        out = _read(path, grid, resampling=resampling, chunk=3)
        assert out.shape == grid.shape
        np.testing.assert_allclose(out, 3.25, rtol=1e-6)


def test_lonlat_raster_smaller_than_grid_gives_nan_outside(tmp_path):
    """Grid cells beyond the extent of a reprojected file are NaN, cells inside are values."""
    grid = AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_010_000, 3_008_000), 1000, "china-albers"
    )
    west, south, east, north = transform_bounds(CHINA_ALBERS, "EPSG:4326", *grid.bounds)
    # Cover only the western half of the grid (in longitude).
    res = 0.001
    mid = (west + east) / 2
    width, height = math.ceil((mid - west + 0.02) / res), math.ceil((north - south + 0.04) / res)
    transform = Affine(res, 0, west - 0.02, 0, -res, north + 0.02)
    path = _write(
        tmp_path / "half.tif",
        np.full((height, width), 5.0, dtype="float32"),
        crs="EPSG:4326",
        transform=transform,
    )
    out = _read(path, grid, resampling="nearest")
    assert np.all(out[:, 0] == 5.0)
    assert np.all(np.isnan(out[:, -1]))
    assert set(np.unique(out[~np.isnan(out)])) == {5.0}


def test_lonlat_categorical_nearest_keeps_only_source_codes(tmp_path):
    """Nearest-neighbour warping never invents class codes (no blending of 11 and 42)."""
    grid = AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_010_000, 3_008_000), 1000, "china-albers"
    )
    codes = np.array([11, 12, 21, 42], dtype="uint8")
    rng = np.random.default_rng(1)
    path = _lonlat_file(
        tmp_path / "classes.tif",
        grid,
        lambda shape: rng.choice(codes, size=shape),
        res_deg=0.01,
    )
    out = _read(path, grid, resampling="nearest", chunk=4)
    assert not np.isnan(out).any()
    assert set(np.unique(out).tolist()) <= set(codes.tolist())
    assert len(np.unique(out)) > 1  # the test data really has several classes on the grid


def test_mode_picks_the_majority_class_when_downsampling(tmp_path):
    """4 × 4 source pixels per cell: 10 of one class and 3 + 3 of others → the 10-pixel class."""
    grid = _grid()
    f = 4
    rng = np.random.default_rng(2)
    classes = np.array([11, 12, 42])
    expected = rng.choice(classes, size=grid.shape)
    fine = np.zeros((grid.height * f, grid.width * f), dtype="uint8")
    for i in range(grid.height):
        for j in range(grid.width):
            others = [c for c in classes if c != expected[i, j]]
            block = np.array([expected[i, j]] * 10 + [others[0]] * 3 + [others[1]] * 3)
            rng.shuffle(block)
            fine[i * f : (i + 1) * f, j * f : (j + 1) * f] = block.reshape(f, f)
    transform = Affine(RES / f, 0, grid.transform.c, 0, -RES / f, grid.transform.f)
    path = _write(tmp_path / "fine_classes.tif", fine, crs=grid.crs_wkt, transform=transform)
    out = _read(path, grid, resampling="mode", chunk=2)
    np.testing.assert_array_equal(out, expected.astype("float32"))


@pytest.mark.parametrize("factor", [2, 4])
def test_average_of_finer_field_is_the_block_mean(tmp_path, factor):
    """'average' of a source 2× or 4× finer, aligned to the grid, equals the block means."""
    grid = _grid()
    rng = np.random.default_rng(factor)
    fine = rng.uniform(0, 100, size=(grid.height * factor, grid.width * factor))
    fine = fine.astype("float32")
    transform = Affine(RES / factor, 0, grid.transform.c, 0, -RES / factor, grid.transform.f)
    path = _write(tmp_path / "fine.tif", fine, crs=grid.crs_wkt, transform=transform)
    expected = (
        fine.astype("float64").reshape(grid.height, factor, grid.width, factor).mean(axis=(1, 3))
    )
    out = _read(path, grid, resampling="average", chunk=3)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_warp_path_nodata_is_ignored_by_average_and_zero_is_data(tmp_path):
    """2× finer source: an all-nodata block → NaN, a block with one nodata pixel → mean of the
    other three; with no nodata declared, zeros are ordinary values."""
    grid = _grid()
    fine = np.full((grid.height * 2, grid.width * 2), 4.0, dtype="float32")
    fine[0:2, 0:2] = -9999.0  # cell (0, 0) entirely missing
    fine[2, 2] = -9999.0  # cell (1, 1): one of four source pixels missing
    fine[2, 3], fine[3, 2], fine[3, 3] = 1.0, 2.0, 6.0
    fine[4:6, 4:6] = 0.0  # cell (2, 2): zeros are data
    transform = Affine(RES / 2, 0, grid.transform.c, 0, -RES / 2, grid.transform.f)
    declared = _write(
        tmp_path / "nd.tif", fine, crs=grid.crs_wkt, transform=transform, nodata=-9999.0
    )
    undeclared = _write(tmp_path / "raw.tif", fine, crs=grid.crs_wkt, transform=transform)
    for path, override in ((declared, None), (undeclared, -9999.0)):
        out = _read(path, grid, resampling="average", nodata=override, chunk=2)
        assert np.isnan(out[0, 0])
        assert out[1, 1] == pytest.approx(3.0)
        assert out[2, 2] == 0.0
        assert np.count_nonzero(np.isnan(out)) == 1
        assert np.all(out[3] == 4.0)


# -- choice of resampling ------------------------------------------------------------------------


def _info_at(tmp_path: Path, grid: AccountingGrid, pixel: float):
    """Header of a raster in the grid CRS with square pixels of side ``pixel`` metres."""
    n = max(1, round(grid.resolution * 4 / pixel))
    transform = Affine(pixel, 0, grid.transform.c, 0, -pixel, grid.transform.f)
    path = _write(
        tmp_path / f"px{pixel:g}.tif",
        np.zeros((n, n), dtype="uint8"),
        crs=grid.crs_wkt,
        transform=transform,
    )
    return inspect_raster(path, "test")


@pytest.mark.parametrize(
    ("pixel", "kind", "expected"),
    [
        (25.0, "categorical", "mode"),
        (25.0, "continuous", "average"),
        (40.0, "categorical", "mode"),
        (40.0, "continuous", "average"),
        (60.0, "categorical", "nearest"),  # finer, but not by a factor of two
        (60.0, "continuous", "bilinear"),
        (100.0, "categorical", "nearest"),
        (100.0, "continuous", "bilinear"),
        (400.0, "categorical", "nearest"),
        (400.0, "continuous", "bilinear"),
    ],
)
def test_choose_resampling_by_kind_and_pixel_size(tmp_path, pixel, kind, expected):
    """Finer source (< half a cell): mode/average; same or coarser: nearest/bilinear."""
    grid = _grid()
    info = _info_at(tmp_path, grid, pixel)
    assert info.pixel_size_in(grid) == pytest.approx(pixel)
    assert choose_resampling(kind, info, grid, "auto") == expected


def test_choose_resampling_for_lonlat_source(tmp_path):
    """A 0.0005° (~50 m) lon/lat source on a 1 km grid counts as finer."""
    grid = AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_010_000, 3_008_000), 1000, "china-albers"
    )
    path = _lonlat_file(
        tmp_path / "ll.tif", grid, lambda s: np.zeros(s, dtype="uint8"), res_deg=0.0005
    )
    info = inspect_raster(path, "test")
    assert choose_resampling("categorical", info, grid, "auto") == "mode"
    assert choose_resampling("continuous", info, grid, "auto") == "average"


@pytest.mark.parametrize("requested", ["nearest", "bilinear", "cubic", "mode", "average"])
def test_choose_resampling_respects_an_explicit_choice(tmp_path, requested):
    """Anything but 'auto' is returned as given, whatever the kind and pixel size."""
    grid = _grid()
    fine = _info_at(tmp_path, grid, 25.0)
    coarse = _info_at(tmp_path, grid, 400.0)
    for info in (fine, coarse):
        for kind in ("categorical", "continuous"):
            assert choose_resampling(kind, info, grid, requested) == requested


# -- chunking and bands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "requested", "expected_rule"),
    [
        ("on_grid", "auto", "bilinear"),
        ("lonlat_2km", "auto", "bilinear"),  # coarser source: bilinear upsampling
        ("lonlat_300m", "auto", "average"),  # much finer source: block average
        ("lonlat_300m", "nearest", "nearest"),
        ("lonlat_300m", "mode", "mode"),
        # slightly finer than the grid: auto picks bilinear; GDAL would derive the kernel
        # scale from each block without gepkit's fixed XSCALE/YSCALE
        ("lonlat_800m", "auto", "bilinear"),
        ("lonlat_800m", "cubic", "cubic"),
    ],
)
def test_results_do_not_depend_on_chunk_size(tmp_path, source, requested, expected_rule):
    """Chunk sizes 2, 3 and 1024 give identical arrays on the fast and the warp path."""
    grid = AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_010_000, 3_008_000), 1000, "china-albers"
    )
    rng = np.random.default_rng(3)
    if source == "on_grid":
        data = rng.random(grid.shape).astype("float32")
        data[rng.random(grid.shape) < 0.1] = -1
        path = _write(
            tmp_path / "fast.tif", data, crs=grid.crs_wkt, transform=grid.transform, nodata=-1
        )
    else:
        res_deg = {"lonlat_2km": 0.02, "lonlat_800m": 0.007, "lonlat_300m": 0.003}[source]
        path = _lonlat_file(
            tmp_path / f"{source}.tif",
            grid,
            lambda s: rng.random(s).astype("float32"),
            res_deg=res_deg,
        )
    resampling = choose_resampling("continuous", inspect_raster(path, "x"), grid, requested)
    assert resampling == expected_rule
    arrays = {}
    for chunk in (2, 3, 1024):
        lazy = read_aligned(path, grid, bands=[1], resampling=resampling, nodata=None, chunk=chunk)
        assert lazy.chunks == grid.chunks(chunk)
        arrays[chunk] = np.asarray(lazy.compute())
    assert np.isfinite(arrays[1024]).sum() > grid.size // 2
    np.testing.assert_array_equal(arrays[2], arrays[1024])
    np.testing.assert_array_equal(arrays[3], arrays[1024])


@pytest.mark.parametrize("on_grid", [True, False])
def test_multiband_file_gives_bands_y_x(tmp_path, on_grid):
    """Three bands → shape (3, y, x) with each band's own values, for any chunking."""
    grid = _grid()
    data = np.stack([np.full(grid.shape, 10.0 * (b + 1), dtype="float32") for b in range(3)])
    if on_grid:
        path = _write(tmp_path / "bands.tif", data, crs=grid.crs_wkt, transform=grid.transform)
    else:
        fine = np.repeat(np.repeat(data, 2, axis=1), 2, axis=2)
        transform = Affine(RES / 2, 0, grid.transform.c, 0, -RES / 2, grid.transform.f)
        path = _write(tmp_path / "bands_fine.tif", fine, crs=grid.crs_wkt, transform=transform)
    for chunk in (2, 3, 1024):
        out = read_aligned(
            path, grid, bands=[1, 2, 3], resampling="average", nodata=None, chunk=chunk
        )
        assert out.shape == (3, *grid.shape)
        np.testing.assert_allclose(np.asarray(out.compute()), data)
    two = _read(path, grid, bands=[3, 1], resampling="average")
    np.testing.assert_allclose(two, data[[2, 0]])


# -- headers and coverage ------------------------------------------------------------------------


def test_inspect_raster_missing_file(tmp_path):
    """A missing file: InputError naming the layer and the path."""
    path = tmp_path / "nowhere" / "dem.tif"
    with pytest.raises(InputError) as err:
        inspect_raster(path, "inputs.dem")
    assert len(err.value.problems) == 1
    assert err.value.problems[0].where == "inputs.dem"
    assert str(path) in str(err.value)
    assert "not found" in str(err.value)


def test_inspect_raster_text_file(tmp_path):
    """Text saved as .tif: InputError naming the file as not a readable raster."""
    path = tmp_path / "notes.tif"
    path.write_text("this is not a GeoTIFF\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        inspect_raster(path, "inputs.ndvi")
    assert "notes.tif" in str(err.value)
    assert "not a readable raster" in str(err.value)
    assert err.value.problems[0].where == "inputs.ndvi"


def test_inspect_raster_without_crs(tmp_path):
    """A GeoTIFF without CRS: InputError naming the file and saying the CRS is missing."""
    path = _write(
        tmp_path / "no_crs.tif",
        np.ones((3, 3), dtype="float32"),
        crs=None,
        transform=Affine(1, 0, 0, 0, -1, 3),
    )
    with pytest.raises(InputError) as err:
        inspect_raster(path, "inputs.dem")
    assert "no_crs.tif" in str(err.value)
    assert "coordinate reference system" in str(err.value)


def test_inspect_raster_reads_the_header(tmp_path):
    """Size, band count, dtype, nodata and bounds come from the header."""
    grid = _grid()
    path = _write(
        tmp_path / "h.tif",
        np.zeros((2, *grid.shape), dtype="int16"),
        crs=grid.crs_wkt,
        transform=grid.transform,
        nodata=-32768,
    )
    info = inspect_raster(path, "x")
    assert (info.width, info.height, info.count) == (grid.width, grid.height, 2)
    assert info.dtype == "int16"
    assert info.nodata == -32768
    assert info.bounds == pytest.approx(grid.bounds)
    assert info.crs.equals(grid.crs)


def test_coverage_fraction_half(tmp_path):
    """A raster covering the western half of a region's bounding box covers ≈ 0.5 of it."""
    grid = _grid()
    region = (1_000_000.0, 3_000_000.0, 1_010_000.0, 3_008_000.0)
    transform = Affine(100, 0, 995_000.0, 0, -100, 3_010_000.0)  # x 995–1005 km, y 2990–3010
    path = _write(
        tmp_path / "half.tif",
        np.zeros((200, 100), dtype="uint8"),
        crs=grid.crs_wkt,
        transform=transform,
    )
    info = inspect_raster(path, "x")
    assert coverage_fraction(info, region, grid.crs) == pytest.approx(0.5)


def test_coverage_fraction_disjoint_and_full(tmp_path):
    """No overlap gives 0; a raster larger than the region gives 1."""
    grid = _grid()
    path = _write(
        tmp_path / "cov.tif",
        np.zeros((10, 10), dtype="uint8"),
        crs=grid.crs_wkt,
        transform=Affine(100, 0, 1_000_000.0, 0, -100, 3_001_000.0),
    )
    info = inspect_raster(path, "x")
    assert coverage_fraction(info, (1_000_100, 3_000_100, 1_000_500, 3_000_900), grid.crs) == 1.0
    assert coverage_fraction(info, (2_000_000, 3_000_000, 2_001_000, 3_001_000), grid.crs) == 0.0
