"""Terrain factors from a DEM on the projected accounting grid.

Slope is a 3×3 neighbourhood operation: blocks are processed with ``map_overlap`` (one cell of
overlap), so it stays lazy and parallel.  Flow routing needs whole basins: its kernels are in
:mod:`gepkit.models.routing` and run here as one task over the whole DEM (see
:func:`flow_accumulation`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

import dask
import dask.array as dsa
import numba
import numpy as np
import xarray as xr

from gepkit import materialise
from gepkit.units import require_units, with_units


@numba.njit(cache=True)
def _pair(p: float, q: float, mid: float, centre: float, weight: float) -> tuple[float, float]:
    """Difference across one row or column of the 3×3 window, falling back when cells are missing.

    ``p`` and ``q`` are the two ends, ``mid`` the cell between them (the centre row/column uses
    the centre itself and has no fallback through ``mid``).  Returns (difference, weight).
    """
    p_ok, q_ok, m_ok = not np.isnan(p), not np.isnan(q), not np.isnan(mid)
    if p_ok and q_ok:
        return weight * (p - q), 2.0 * weight
    if weight == 1.0:
        if p_ok and m_ok:
            return p - mid, 1.0
        if m_ok and q_ok:
            return mid - q, 1.0
        if p_ok:
            return (p - centre) * np.sqrt(2.0), 1.0
        if q_ok:
            return (centre - q) * np.sqrt(2.0), 1.0
        return 0.0, 0.0
    if p_ok:
        return 2.0 * (p - centre), 2.0
    if q_ok:
        return 2.0 * (centre - q), 2.0
    return 0.0, 0.0


@numba.njit(cache=True)
def _gradients(z: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Horn's (1981) finite differences on the interior of ``z`` (padded by one cell).

    Where neighbours are missing (NaN) the difference falls back to the cells that exist, as
    pygeoprocessing's ``calculate_slope`` does (one-sided differences; a diagonal difference to
    the centre times √2 when only a corner exists), so cells next to gaps still get a slope.
    Cells without elevation get NaN.  Returns (gx, gy), the gradient along columns and rows
    (signs are irrelevant to slope and to the contour-length factor).
    """
    rows, cols = z.shape[0] - 2, z.shape[1] - 2
    gx = np.full((rows, cols), np.nan)
    gy = np.full((rows, cols), np.nan)
    for r in range(rows):
        for c in range(cols):
            e = z[r + 1, c + 1]
            if np.isnan(e):
                continue
            a, b, cc = z[r, c], z[r, c + 1], z[r, c + 2]
            d, f = z[r + 1, c], z[r + 1, c + 2]
            g, h, i = z[r + 2, c], z[r + 2, c + 1], z[r + 2, c + 2]
            sx, wx = 0.0, 0.0
            for diff, w in (
                _pair(a, cc, b, e, 1.0),
                _pair(d, f, e, e, 2.0),
                _pair(g, i, h, e, 1.0),
            ):
                sx += diff
                wx += w
            sy, wy = 0.0, 0.0
            for diff, w in (
                _pair(a, g, d, e, 1.0),
                _pair(b, h, e, e, 2.0),
                _pair(cc, i, f, e, 1.0),
            ):
                sy += diff
                wy += w
            gx[r, c] = sx / (wx * cell) if wx > 0 else 0.0
            gy[r, c] = sy / (wy * cell) if wy > 0 else 0.0
    return gx, gy


def _gradient_block(block: np.ndarray, cell: float, axis: int) -> np.ndarray:
    # The block arrives with one cell of overlap on every side; return the interior padded back
    # to the block's shape so that map_overlap can trim it.
    out = np.full(block.shape, np.nan, dtype="float64")
    out[1:-1, 1:-1] = _gradients(np.ascontiguousarray(block, dtype="float64"), cell)[axis]
    return out


def _extend(z: Any, xp: Any) -> Any:
    """Add one cell on every side by linear extrapolation (2·edge − inner).

    A plane stays a plane, so border cells get their true slope; repeating the edge values
    instead would halve the gradient across the border.
    """
    z = xp.concatenate([2 * z[:1] - z[1:2], z, 2 * z[-1:] - z[-2:-1]], axis=0)
    return xp.concatenate([2 * z[:, :1] - z[:, 1:2], z, 2 * z[:, -1:] - z[:, -2:-1]], axis=1)


def _pad(data: Any, xp: Any, edges: str) -> Any:
    if edges == "extrapolate":
        return _extend(data, xp)
    if xp is np:
        return np.pad(data, 1, constant_values=np.nan)
    return dsa.pad(data, 1, mode="constant", constant_values=np.nan)


def gradients(
    dem: xr.DataArray, *, cell_size: float, edges: str = "extrapolate"
) -> tuple[xr.DataArray, xr.DataArray]:
    """The DEM's gradient along columns and rows [m/m], lazily block by block.

    ``edges``: ``extrapolate`` extends the DEM one cell beyond the grid linearly (border cells get
    their true slope; the default); ``nodata`` treats outside the grid as missing (one-sided
    differences at the border, as pygeoprocessing and InVEST do).
    """
    require_units(dem, "m", "dem")
    data = dem.data
    out = []
    for axis in (0, 1):
        if isinstance(data, dsa.Array):
            padded = _pad(data.astype("float64"), dsa, edges)
            grad = dsa.map_overlap(
                _gradient_block,
                padded,
                depth=1,
                boundary="none",
                dtype="float64",
                cell=cell_size,
                axis=axis,
            )
            grad = grad[1:-1, 1:-1].rechunk(data.chunks)
        else:
            grad = _gradients(_pad(np.asarray(data, dtype="float64"), np, edges), cell_size)[axis]
        out.append(with_units(dem.copy(data=grad), "dimensionless", ("gx", "gy")[axis]))
    return out[0], out[1]


def slope_degrees(
    dem: xr.DataArray, *, cell_size: float, edges: str = "extrapolate"
) -> xr.DataArray:
    """Terrain slope θ in degrees (Horn 1981, with pygeoprocessing's fallbacks next to gaps).

    Parameters
    ----------
    dem : elevation [m] on a projected grid.
    cell_size : side of a grid cell [m].
    edges : ``extrapolate`` (default) or ``nodata``; see :func:`gradients`.

    Cells without elevation are NaN; cells next to them use the neighbours that exist.
    Reference: Horn, B.K.P. (1981) Hill shading and the reflectance map, Proc. IEEE 69(1).
    """
    gx, gy = gradients(dem, cell_size=cell_size, edges=edges)
    slope = cast(xr.DataArray, np.degrees(np.arctan(np.hypot(gx, gy))))
    return with_units(slope, "degree", "slope")


def contour_factor(
    dem: xr.DataArray, *, cell_size: float, edges: str = "extrapolate"
) -> xr.DataArray:
    """x = |sin α| + |cos α| of the aspect α: the flow width across a cell in cell sizes
    (Desmet & Govers 1996); 1 on flat cells."""
    gx, gy = gradients(dem, cell_size=cell_size, edges=edges)
    norm = cast(xr.DataArray, np.hypot(gx, gy))
    x = xr.where(norm > 0, (abs(gx) + abs(gy)) / norm.where(norm > 0), 1.0).where(norm.notnull())
    return with_units(x, "dimensionless", "contour_factor")


def _route(dem: np.ndarray, algorithm: str) -> tuple[np.ndarray, np.ndarray]:
    """Filled DEM (the DEM's dtype) and flow accumulation (float64) of a whole in-memory DEM.

    The accumulation stays float64: the LS factor takes differences of powers of the upslope
    area ((A + D²)^(m+1) − A^(m+1)), which float32's seven digits would spoil on the cells of
    large rivers (an error of 0.6 cells in A = 10⁷ cells, against the one cell D² adds)."""
    from gepkit.models import routing

    # Keep the DEM's precision (float32 for most DEMs): no whole-grid float64 copy, and plateau
    # comparisons on exactly the values pygeoprocessing would see.
    dtype = dem.dtype if dem.dtype in (np.float32, np.float64) else np.float64
    filled = routing.fill_depressions(np.ascontiguousarray(dem, dtype=dtype))
    if algorithm == "mfd":
        accumulation = routing.flow_accumulation_mfd(routing.flow_direction_mfd(filled))
    elif algorithm == "d8":
        accumulation = routing.flow_accumulation_d8(routing.flow_direction_d8(filled))
    else:
        raise ValueError(f"unknown flow algorithm {algorithm!r}")
    return filled, accumulation


def flow_accumulation(
    dem: xr.DataArray, *, algorithm: str = "mfd"
) -> tuple[xr.DataArray, xr.DataArray]:
    """Depression-filled DEM [m] and flow accumulation [cells, each cell counting itself].

    Routing needs whole basins, so this is one task over the whole DEM (numba kernels of
    :mod:`gepkit.models.routing`): the DEM is brought into memory once, in its own precision.
    During a run it is computed once, ahead of the years' graphs (gepkit.materialise).  The
    results are chunked like the DEM again.  ``algorithm``: ``mfd`` (multiple flow direction, as InVEST
    SDR) or ``d8``.
    """
    require_units(dem, "m", "dem")
    data = dem.data
    materialiser = materialise.current()
    dtype = data.dtype if data.dtype in (np.float32, np.float64) else np.dtype("float64")
    filled: Any
    accumulation: Any
    if isinstance(data, dsa.Array) and materialiser is not None:
        # In a run: routed once, before the years' graphs, which read the results block by
        # block (gepkit.materialise).
        filled, accumulation = materialiser.whole_grid(
            f"route-{algorithm}", partial(_route, algorithm=algorithm), data, (dtype, "float64")
        )
    elif isinstance(data, dsa.Array):
        # The whole DEM as one block whose key follows from the DEM's graph: the routing task's
        # key and its dependency are then the same whenever the same DEM is routed (e.g. in
        # every year of a run), as a distributed scheduler requires of equal keys.
        (whole,) = data.rechunk(data.shape).to_delayed(optimize_graph=False).ravel()
        task = dask.delayed(_route, nout=2, pure=True)(whole, algorithm)
        filled = dsa.from_delayed(task[0], shape=data.shape, dtype=dtype).rechunk(data.chunks)
        accumulation = dsa.from_delayed(task[1], shape=data.shape, dtype="float64").rechunk(
            data.chunks
        )
    else:
        filled, accumulation = _route(np.asarray(data), algorithm)
    return (
        with_units(dem.copy(data=filled), "m", "filled_dem"),
        with_units(dem.copy(data=accumulation), "dimensionless", "flow_accumulation"),
    )
