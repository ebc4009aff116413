"""Window-by-window GeoTIFFs in the COG layout (gepkit.io.cog_layout) and the scratch grids a
year's part maps are stored in (gepkit.io.scratch)."""

from __future__ import annotations

import pickle

import dask.array as dsa
import numpy as np
import pyproj
import pytest
import rasterio
from rasterio.windows import Window

from gepkit.grid import AccountingGrid
from gepkit.io.cog_layout import TILE, LayoutWriter, check_layout, layout_profile
from gepkit.io.scratch import ScratchGrid


def _grid(width: int, height: int) -> AccountingGrid:
    return AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_000_000 + 30 * width, 3_000_000 + 30 * height), 30, "china-albers"
    )


def _profile(grid: AccountingGrid) -> dict:
    return layout_profile(
        width=grid.width,
        height=grid.height,
        crs=grid.crs_wkt,
        transform=grid.transform,
        dtype="float32",
        nodata=float("nan"),
    )


def test_layout_writer_round_trips_values_metadata_and_layout(tmp_path):
    """Tile rows written top to bottom (the last one short) give the values, NaN kept, the
    grid's CRS and transform, units and description, and a valid COG layout."""
    grid = _grid(1100, 1200)  # +2 cells of buffer each way: 3 tile columns, 3 tile rows
    rng = np.random.default_rng(0)
    data = rng.uniform(-5, 1e6, grid.shape)
    data[0, 0] = data[700, 1000] = np.nan
    path = tmp_path / "map.tif"
    with LayoutWriter(
        path, _profile(grid), units="t", descriptions=("soil",), tags={"item": "soil"}
    ) as writer:
        for row in range(0, grid.height, TILE):
            rows = slice(row, min(row + TILE, grid.height))
            writer.write(Window(0, row, grid.width, rows.stop - row), data[rows])
    assert check_layout(path) == []
    with rasterio.open(path) as src:
        assert src.dtypes == ("float32",)
        assert np.isnan(src.nodata)
        assert src.transform.almost_equals(grid.transform)
        assert pyproj.CRS.from_wkt(src.crs.to_wkt()).equals(grid.crs, ignore_axis_order=True)
        assert src.tags()["units"] == "t"
        assert src.tags()["item"] == "soil"
        assert src.units == ("t",)
        assert src.descriptions == ("soil",)
        np.testing.assert_array_equal(src.read(1), data.astype("float32"))


def test_layout_writer_refuses_windows_out_of_order(tmp_path):
    """A window that is not the next in row-major tile order, or not whole tile rows, is refused
    (it would break the layout silently)."""
    grid = _grid(1100, 1200)
    band = np.zeros((TILE, grid.width), dtype="float32")
    with LayoutWriter(tmp_path / "a.tif", _profile(grid), units="t", descriptions=("a",)) as w:
        with pytest.raises(ValueError, match="out of row-major order"):
            w.write(Window(0, TILE, grid.width, TILE), band)
        with pytest.raises(ValueError, match="not tile rows"):
            w.write(Window(0, 0, grid.width, 100), band[:100])
        w.write(Window(0, 0, grid.width, TILE), band)
        with pytest.raises(ValueError, match="out of row-major order"):
            w.write(Window(0, 0, grid.width, TILE), band)


def test_scratch_grid_is_filled_by_dask_store_block_by_block(tmp_path):
    """dask.array.store writes every block (several chunkings, threads), the grid reads back
    by rows, and it pickles small (what a distributed worker receives)."""
    values = np.arange(37 * 53, dtype="float64").reshape(37, 53) / 7
    for chunks in ((5, 7), (37, 53), (16, 4)):
        grid = ScratchGrid.create(tmp_path / f"g{chunks}.f32", values.shape)
        dsa.store(dsa.from_array(values, chunks=chunks).astype("float32"), grid, lock=False)
        np.testing.assert_array_equal(grid.read(slice(0, 37)), values.astype("float32"))
        np.testing.assert_array_equal(grid.read(slice(10, 12)), values[10:12].astype("float32"))
        assert len(pickle.dumps(grid)) < 500
        grid.remove()
        assert not grid.path.exists()
