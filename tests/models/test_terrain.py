"""Terrain slope by Horn's (1981) finite difference (gepkit.models.terrain.slope_degrees).

For an inclined plane z = z0 + a·x + b·y every 3 × 3 window gives ∂z/∂x = a and ∂z/∂y = b, so
the slope is atan(√(a² + b²)) everywhere, the border included.
"""

from __future__ import annotations

import math

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

from gepkit.errors import UnitError
from gepkit.grid import AccountingGrid
from gepkit.models.terrain import slope_degrees

#: 5 rows × 6 columns of 30 m cells in China Albers.
GRID = AccountingGrid.from_bounds((0.0, 0.0, 120.0, 90.0), 30.0, "china-albers")
CELL = 30.0


def _plane(a: float, b: float, grid: AccountingGrid = GRID) -> xr.DataArray:
    """Elevation [m] of the plane z = 250 + a·x + b·y at the cell centres."""
    x, y = grid.x_coords(), grid.y_coords()
    z = 250.0 + a * x[None, :] + b * y[:, None]
    return grid.wrap(z, name="dem", units="m")


def _theta(a: float, b: float) -> float:
    return math.degrees(math.atan(math.hypot(a, b)))


def test_grid_shape():
    """The test grid is 5 × 6 cells (so it has an interior and every kind of border)."""
    assert GRID.shape == (5, 6)


def test_flat_dem_has_zero_slope():
    """A flat DEM has slope 0 everywhere."""
    dem = GRID.wrap(np.full(GRID.shape, 120.0), name="dem", units="m")
    out = slope_degrees(dem, cell_size=CELL)
    np.testing.assert_array_equal(out.values, 0.0)


@pytest.mark.parametrize(("a", "b"), [(0.05, 0.0), (0.0, -0.1), (0.03, 0.04), (1.0, 0.0)])
def test_plane_interior(a, b):
    """Interior cells of a plane: θ = atan(√(a² + b²)); e.g. (0.03, 0.04) → atan 0.05 = 2.862°,
    (1, 0) → 45°."""
    out = slope_degrees(_plane(a, b), cell_size=CELL)
    np.testing.assert_allclose(out.values[1:-1, 1:-1], _theta(a, b), rtol=1e-12)


def test_plane_interior_literal():
    """Gradient 0.05 (5 %): atan(0.05) = 2.86241°."""
    out = slope_degrees(_plane(0.05, 0.0), cell_size=CELL)
    np.testing.assert_allclose(out.values[1:-1, 1:-1], 2.86241, rtol=1e-5)


def test_plane_edges_parallel_to_the_gradient():
    """A plane rising to the east: the north and south rows (corners excepted) have the full
    slope, because repeating them does not change ∂z/∂x and ∂z/∂y is 0 anyway."""
    out = slope_degrees(_plane(0.05, 0.0), cell_size=CELL)
    np.testing.assert_allclose(out.values[0, 1:-1], _theta(0.05, 0.0), rtol=1e-12)
    np.testing.assert_allclose(out.values[-1, 1:-1], _theta(0.05, 0.0), rtol=1e-12)


@pytest.mark.parametrize(("a", "b"), [(0.05, 0.0), (0.03, 0.04)])
def test_plane_edges(a, b):
    """Edge and corner cells of an inclined plane also have slope atan(gradient)."""
    out = slope_degrees(_plane(a, b), cell_size=CELL)
    np.testing.assert_allclose(out.values, _theta(a, b), rtol=1e-9)


def test_cell_size_is_used():
    """The same elevations (15 m rise per column) are 2.862° on 300 m cells, 26.565° on 30 m."""
    dem = GRID.wrap(np.tile(15.0 * np.arange(6.0), (5, 1)), name="dem", units="m")
    coarse = slope_degrees(dem, cell_size=300.0)
    fine = slope_degrees(dem, cell_size=30.0)
    assert coarse.values[2, 2] == pytest.approx(math.degrees(math.atan(15.0 / 300.0)), rel=1e-12)
    assert fine.values[2, 2] == pytest.approx(math.degrees(math.atan(15.0 / 30.0)), rel=1e-12)


def test_horn_weights_by_hand():
    """A single 10 m bump in the centre of a 5 × 5 flat DEM (30 m cells): the east neighbour
    sees it with weight 2 in Horn's ∂z/∂x: (0 − 2·10)/(8·30) = −1/12 → atan(1/12) = 4.764°;
    the NE corner sees it with weight 1 in both directions: √2·10/240 → 3.373°."""
    z = np.zeros((5, 5))
    z[2, 2] = 10.0
    dem = xr.DataArray(z, dims=("y", "x"), attrs={"units": "m"})
    out = slope_degrees(dem, cell_size=30.0)
    assert out.values[2, 3] == pytest.approx(math.degrees(math.atan(20.0 / 240.0)), rel=1e-12)
    assert out.values[1, 3] == pytest.approx(
        math.degrees(math.atan(math.hypot(10.0, 10.0) / 240.0)), rel=1e-12
    )
    # Horn's stencil does not use the centre cell itself: on the bump the slope is 0.
    assert out.values[2, 2] == pytest.approx(0.0, abs=1e-12)
    # Cells two steps away do not see the bump.
    assert out.values[0, 0] == 0.0


def test_neighbours_of_a_gap_use_the_cells_that_exist():
    """Next to a missing elevation the differences fall back to the neighbours that exist (as
    pygeoprocessing does): on a plane rising along x those one-sided differences are exact, so
    all 8 neighbours keep the plane's slope."""
    dem = _plane(0.05, 0.0)
    dem.values[2, 3] = np.nan
    out = slope_degrees(dem, cell_size=CELL)
    neighbours = [(r, c) for r in (1, 2, 3) for c in (2, 3, 4) if (r, c) != (2, 3)]
    for r, c in neighbours:
        assert out.values[r, c] == pytest.approx(_theta(0.05, 0.0), rel=1e-12), (r, c)
    assert np.isnan(out.values[2, 3])


def test_nan_cell_itself_is_nan():
    """A cell without an elevation has no slope."""
    dem = _plane(0.05, 0.0)
    dem.values[2, 3] = np.nan
    out = slope_degrees(dem, cell_size=CELL)
    assert np.isnan(out.values[2, 3])


def test_result_metadata():
    """The slope is named 'slope', in degrees, on the DEM's coordinates, with fresh attrs."""
    dem = _plane(0.05, 0.0)
    dem.attrs["source"] = "SRTM"
    out = slope_degrees(dem, cell_size=CELL)
    assert out.name == "slope"
    assert out.attrs == {"units": "degree"}
    np.testing.assert_array_equal(out["x"].values, GRID.x_coords())
    np.testing.assert_array_equal(out["y"].values, GRID.y_coords())


@pytest.mark.parametrize("units", ["km", "ft", "degree", None])
def test_dem_units(units):
    """The DEM must be in metres: km, feet, degrees or no unit raise UnitError."""
    dem = _plane(0.05, 0.0)
    if units is None:
        del dem.attrs["units"]
    else:
        dem.attrs["units"] = units
    with pytest.raises(UnitError, match="dem"):
        slope_degrees(dem, cell_size=CELL)


def test_dem_in_metre_spelling_accepted():
    """'metre' is the same unit as 'm'."""
    dem = _plane(0.05, 0.0)
    dem.attrs["units"] = "metre"
    out = slope_degrees(dem, cell_size=CELL)
    assert out.values[2, 2] == pytest.approx(_theta(0.05, 0.0), rel=1e-12)


def _rough_dem() -> xr.DataArray:
    """A rough surface with a hole, so that every window of every chunk differs."""
    rng = np.random.default_rng(1981)
    z = 300.0 + rng.normal(0.0, 25.0, GRID.shape).cumsum(axis=1)
    z[3, 1] = np.nan
    return GRID.wrap(z, name="dem", units="m")


@pytest.mark.parametrize("chunk", [2, 3, (2, 4)])
def test_dask_matches_numpy(chunk):
    """map_overlap on dask blocks (chunks of 2, 3 and 2 × 4 cells) gives the numpy result,
    including the grid's border and the NaNs around the hole, and stays lazy."""
    dem = _rough_dem()
    reference = slope_degrees(dem, cell_size=CELL)
    chunks = {"y": chunk[0], "x": chunk[1]} if isinstance(chunk, tuple) else chunk
    lazy = slope_degrees(dem.chunk(chunks), cell_size=CELL)
    assert isinstance(lazy.data, dsa.Array)
    computed = lazy.values
    np.testing.assert_array_equal(np.isnan(computed), np.isnan(reference.values))
    np.testing.assert_allclose(computed, reference.values, rtol=1e-12)
    assert int(np.isnan(reference.values).sum()) == 1  # only the hole itself has no slope


def test_dask_plane_matches_numpy():
    """An inclined plane chunked 2 × 2 has the same slope as with numpy, cell by cell."""
    dem = _plane(0.03, 0.04)
    np.testing.assert_allclose(
        slope_degrees(dem.chunk(2), cell_size=CELL).values,
        slope_degrees(dem, cell_size=CELL).values,
        rtol=1e-12,
    )
