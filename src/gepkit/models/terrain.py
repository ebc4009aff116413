"""Terrain factors from a DEM on the projected accounting grid.

Slope is a 3×3 neighbourhood operation: blocks are processed with ``map_overlap`` (one cell of
overlap), so it stays lazy and parallel.  Flow routing, which needs whole basins, will live here
too and will say so.
"""

from __future__ import annotations

from typing import Any

import dask.array as dsa
import numpy as np
import xarray as xr

from gepkit.units import require_units, with_units


def _horn_slope(z: np.ndarray, cell: float) -> np.ndarray:
    """Slope (degrees) by Horn's (1981) third-order finite difference; ``z`` is padded by 1.

    Horn's stencil does not use the centre cell, so a cell without elevation is set to NaN
    explicitly rather than given its neighbours' slope.
    """
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, e, f = z[1:-1, :-2], z[1:-1, 1:-1], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * cell)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8.0 * cell)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    return np.where(np.isnan(e), np.nan, slope)


def _slope_block(block: np.ndarray, cell: float) -> np.ndarray:
    # The block arrives with one cell of overlap on every side; return its interior padded back
    # to the block's shape so that map_overlap can trim it.
    out = np.full(block.shape, np.nan, dtype="float64")
    out[1:-1, 1:-1] = _horn_slope(block.astype("float64"), cell)
    return out


def _extend(z: Any, xp: Any) -> Any:
    """Add one cell on every side by linear extrapolation (2·edge − inner).

    A plane stays a plane, so border cells get their true slope; repeating the edge values
    instead would halve the gradient across the border.
    """
    z = xp.concatenate([2 * z[:1] - z[1:2], z, 2 * z[-1:] - z[-2:-1]], axis=0)
    return xp.concatenate([2 * z[:, :1] - z[:, 1:2], z, 2 * z[:, -1:] - z[:, -2:-1]], axis=1)


def slope_degrees(dem: xr.DataArray, *, cell_size: float) -> xr.DataArray:
    """Terrain slope θ in degrees.

    Parameters
    ----------
    dem : elevation [m] on a projected grid.
    cell_size : side of a grid cell [m].

    The DEM is extended by one cell on every side by linear extrapolation, so border cells get
    their slope instead of a gap; cells without elevation, and their neighbours, are NaN.
    Reference: Horn, B.K.P. (1981) Hill shading and the reflectance map, Proc. IEEE 69(1).
    """
    require_units(dem, "m", "dem")
    data = dem.data
    if isinstance(data, dsa.Array):
        padded = _extend(data.astype("float64"), dsa)
        slope = dsa.map_overlap(
            _slope_block, padded, depth=1, boundary="none", dtype="float64", cell=cell_size
        )
        slope = slope[1:-1, 1:-1].rechunk(data.chunks)
    else:
        slope = _horn_slope(_extend(np.asarray(data, dtype="float64"), np), cell_size)
    return with_units(dem.copy(data=slope), "degree", "slope")
