"""Flow routing: hand-checked small cases and cell-for-cell agreement with pygeoprocessing.

The pygeoprocessing outputs in tests/fixtures/routing were made by
scripts/pygeoprocessing_reference.py (pygeoprocessing 2.4.11, as used by InVEST 3.20.2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from gepkit.models import routing
from gepkit.models.terrain import flow_accumulation, slope_degrees

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "routing"
DEMS = dict(np.load(FIXTURES / "dems.npz"))
REFERENCE = dict(np.load(FIXTURES / "pygeoprocessing.npz"))


def _reference(name: str, key: str, missing: float = np.nan) -> np.ndarray:
    array = REFERENCE[f"{name}__{key}"].astype("float64")
    nodata = float(REFERENCE[f"{name}__{key}__nodata"])
    if not np.isnan(nodata):
        array[array == nodata] = missing
    return array


# -- hand-checked cases -------------------------------------------------------------------------


def test_fill_raises_a_pit_to_its_pour_point():
    """A pit of 1 whose lowest neighbour (diagonally, 8-connected) is an edge cell of 3 fills to 3;
    inside a closed rim of 9 everything fills to 9."""
    dem = np.array([[9, 9, 9, 9], [9, 5, 5, 3], [9, 5, 1, 9], [9, 9, 9, 9]], dtype="float64")
    filled = routing.fill_depressions(dem)
    expected = dem.copy()
    expected[2, 2] = 3.0
    np.testing.assert_array_equal(filled, expected)
    dem = np.array(
        [[9, 9, 9, 9, 9], [9, 6, 5, 7, 9], [9, 8, 1, 7, 9], [9, 9, 9, 9, 9]], dtype="float64"
    )
    np.testing.assert_array_equal(routing.fill_depressions(dem), np.full(dem.shape, 9.0))


def test_fill_treats_missing_cells_as_drains():
    dem = np.array([[9, 9, 9], [9, 1, np.nan], [9, 9, 9]], dtype="float64")
    filled = routing.fill_depressions(dem)
    assert filled[1, 1] == 1.0  # drains into the gap, so it is not a pit
    assert np.isnan(filled[1, 2])


def test_mfd_proportions_follow_the_drop():
    """A centre of 10 with lower E (9, drop 1) and SE (8, drop 2/√2) neighbours."""
    dem = np.full((3, 3), 20.0)
    dem[1, 1], dem[1, 2], dem[2, 2] = 10.0, 9.0, 8.0
    flow = routing.flow_direction_mfd(dem)
    drops = np.array([1.0, 0, 0, 0, 0, 0, 0, 2.0 / np.sqrt(2.0)])
    expected = np.zeros(8, dtype=int)
    for k in range(8):
        expected[k] = int(0.5 + drops[k] / drops.sum() * 15)
    packed = int(flow[1, 1])
    assert [(packed >> (4 * k)) & 0xF for k in range(8)] == list(expected)


def test_d8_accumulation_counts_cells_upstream():
    """A tilted plane draining east: each cell accumulates the cells west of it in its row."""
    dem = np.tile(np.arange(6, 0, -1, dtype="float64"), (4, 1))
    flow = routing.flow_direction_d8(routing.fill_depressions(dem))
    assert (flow[:, :-1] == 0).all()  # east
    accumulation = routing.flow_accumulation_d8(flow)
    np.testing.assert_array_equal(accumulation, np.tile(np.arange(1, 7, dtype="float64"), (4, 1)))


def test_mfd_conserves_water():
    """Every cell's own unit leaves the grid: the outflow over the border sums to the cell count."""
    dem = DEMS["quantized"].astype("float64")
    flow = routing.flow_direction_mfd(routing.fill_depressions(dem))
    accumulation = routing.flow_accumulation_mfd(flow)
    shares = routing.mfd_proportions(flow)
    outflow = 0.0
    rows, cols = dem.shape
    for k in range(8):
        r = np.arange(rows)[:, None] + routing.ROW_OFFSETS[k]
        c = np.arange(cols)[None, :] + routing.COL_OFFSETS[k]
        leaves = (r < 0) | (r >= rows) | (c < 0) | (c >= cols)
        outflow += float(np.nansum(np.where(leaves, accumulation * shares[..., k], 0.0)))
    assert outflow == pytest.approx(dem.size, rel=1e-9)


def test_weights_accumulate():
    dem = np.tile(np.arange(5, 0, -1, dtype="float64"), (3, 1))
    flow = routing.flow_direction_d8(dem)
    weights = np.full(dem.shape, 2.0)
    weights[:, 0] = np.nan  # counts as 0
    accumulation = routing.flow_accumulation_d8(flow, weights)
    np.testing.assert_array_equal(accumulation[0], [0.0, 2.0, 4.0, 6.0, 8.0])


def test_default_weight_is_one_per_cell():
    """Without a weight the kernels count 1 per cell, without an array of ones; the same as
    explicit ones."""
    dem = DEMS["holes_lake"]
    filled = routing.fill_depressions(dem)
    for direction, accumulate in (
        (routing.flow_direction_mfd, routing.flow_accumulation_mfd),
        (routing.flow_direction_d8, routing.flow_accumulation_d8),
    ):
        flow = direction(filled)
        np.testing.assert_array_equal(accumulate(flow), accumulate(flow, np.ones(dem.shape)))
        with pytest.raises(ValueError, match="shape"):
            accumulate(flow, np.ones((1, 1)))


def test_plateau_cells_are_numbered_in_grid_order():
    """The plateau index (runs of adjacent cells per row) finds every cell's rank among the
    plateau's cells, also for rows with several runs and for runs meeting across a row end."""
    rng = np.random.default_rng(3)
    ncols = 7
    for size in (1, 2, 5, 40, 200):
        cells = np.sort(rng.choice(40 * ncols, size=size, replace=False)).astype(np.int64)
        search = rng.permutation(cells)  # an array: a Python list would be a reflected list
        runs = routing._index_cells(search, ncols)
        slots = [routing._slot(runs, int(i) // ncols, int(i) % ncols) for i in cells]
        assert slots == list(range(size))
    # the last cell of row 0 and the first of row 1 have consecutive indices: two runs
    runs = routing._index_cells(np.array([6, 7], dtype=np.int64), ncols)
    assert routing._slot(runs, 1, 0) == 1


# -- pygeoprocessing -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DEMS))
def test_fill_matches_pygeoprocessing(name):
    filled = routing.fill_depressions(DEMS[name])
    np.testing.assert_array_equal(filled, _reference(name, "fill").astype("float32"))


@pytest.mark.parametrize("name", sorted(DEMS))
def test_mfd_matches_pygeoprocessing(name):
    filled = routing.fill_depressions(DEMS[name])
    flow = routing.flow_direction_mfd(filled)
    np.testing.assert_array_equal(flow, REFERENCE[f"{name}__mfd"])
    accumulation = routing.flow_accumulation_mfd(flow)
    expected = _reference(name, "fa")
    np.testing.assert_array_equal(np.isnan(accumulation), np.isnan(expected))
    np.testing.assert_allclose(accumulation, expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(DEMS))
def test_d8_matches_pygeoprocessing(name):
    filled = routing.fill_depressions(DEMS[name])
    flow = routing.flow_direction_d8(filled)
    np.testing.assert_array_equal(flow, _reference(name, "d8", missing=routing.D8_NONE))
    accumulation = routing.flow_accumulation_d8(flow)
    np.testing.assert_allclose(accumulation, _reference(name, "fa8"), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(DEMS))
def test_slope_matches_pygeoprocessing(name):
    """Percent slope with pygeoprocessing's edge and gap fallbacks (edges='nodata'); the
    reference is stored as float32, hence the tolerance."""
    filled = xr.DataArray(
        routing.fill_depressions(DEMS[name]).astype("float64"),
        dims=("y", "x"),
        attrs={"units": "m"},
    )
    percent = 100 * np.tan(np.radians(slope_degrees(filled, cell_size=30.0, edges="nodata").values))
    expected = _reference(name, "slope")
    np.testing.assert_array_equal(np.isnan(percent), np.isnan(expected))
    np.testing.assert_allclose(percent, expected, rtol=2e-7, atol=1e-9)


@pytest.mark.parametrize("chunk", [7, 25])
def test_flow_accumulation_is_one_task_over_dask_blocks(chunk):
    """Routing on a chunked DEM gives the numpy result (it runs as one whole-grid task)."""
    dem = xr.DataArray(DEMS["holes_lake"].astype("float64"), dims=("y", "x"), attrs={"units": "m"})
    filled, accumulation = flow_accumulation(dem, algorithm="mfd")
    lazy_filled, lazy_accumulation = flow_accumulation(dem.chunk(chunk), algorithm="mfd")
    assert lazy_accumulation.chunks is not None
    np.testing.assert_array_equal(lazy_filled.values, filled.values)
    np.testing.assert_array_equal(lazy_accumulation.values, accumulation.values)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("algorithm", ["mfd", "d8"])
def test_routing_results_are_the_dem_dtype_and_float64(dtype, algorithm):
    """The filled DEM keeps the DEM's dtype; the accumulation is float64 (the LS factor takes
    differences of powers of it), as the lazy result declares before it is computed."""
    dem = xr.DataArray(DEMS["holes_lake"].astype(dtype), dims=("y", "x"), attrs={"units": "m"})
    filled, accumulation = flow_accumulation(dem, algorithm=algorithm)
    lazy_filled, lazy_accumulation = flow_accumulation(dem.chunk(25), algorithm=algorithm)
    assert filled.dtype == lazy_filled.dtype == dtype
    assert accumulation.dtype == lazy_accumulation.dtype == "float64"
    assert lazy_accumulation.values.dtype == "float64"
    accumulate = getattr(routing, f"flow_accumulation_{algorithm}")
    direction = getattr(routing, f"flow_direction_{algorithm}")
    exact = accumulate(direction(routing.fill_depressions(dem.values)))
    np.testing.assert_array_equal(accumulation.values, exact)
