"""Flow routing on a whole grid: depression filling, D8 and MFD flow directions, accumulation.

Routing needs whole basins, so these kernels work on in-memory numpy arrays (numba); the
callers in :mod:`gepkit.models.terrain` run them as one dask task.  Conventions follow
pygeoprocessing's routing (used by InVEST), so that gepkit's results can be compared with
InVEST's cell for cell:

* neighbour ``k`` of a cell lies at (row + ``ROW_OFFSETS[k]``, col + ``COL_OFFSETS[k]``)::

      3 2 1
      4 x 0
      5 6 7

* missing elevations are NaN; cells next to the grid edge or to a missing cell are *drains*:
  water may leave the grid there;
* **depressions** are filled to the height of their lowest pour point (flat fill; the result is
  unique and equal to pygeoprocessing's ``fill_pits``);
* **MFD** (multiple flow direction, Quinn-type with exponent 1): a cell sends water to each lower
  neighbour in proportion to the drop, divided by √2 for diagonals; the proportions are stored as
  eight 4-bit integers (0–15) packed in an int32, rounded as ``int(0.5 + 15·w/Σw)`` — the raster
  format of pygeoprocessing;
* **plateaus** (flat cells without a lower neighbour, e.g. filled depressions) drain towards the
  plateau cells that have a lower neighbour, along the shortest path within the plateau
  (distances 1 and √2); a plateau with no lower neighbour drains to the edge or to missing cells;
* **D8** sends all water to the steepest neighbour (drop divided by √2 for diagonals; the first
  in the order above wins ties);
* **flow accumulation** of a cell is its own weight (1 by default, so the count of cells
  draining through it including itself) plus the shares of its upstream neighbours.

Memory: the filled DEM keeps the DEM's dtype; plateau distances and accumulation are float64
(exactness of the comparisons); flow directions are int32 (MFD) or int8 (D8).
"""

from __future__ import annotations

import heapq

import numba
import numpy as np

ROW_OFFSETS = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
COL_OFFSETS = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
#: Direction from neighbour ``k`` back to the centre cell.
INFLOW = np.array([4, 5, 6, 7, 0, 1, 2, 3], dtype=np.int64)
SQRT2 = float(np.sqrt(2.0))
SQRT2_INV = 1.0 / SQRT2
D8_NONE = -1


@numba.njit(cache=True)
def _is_valid(z: np.ndarray, r: int, c: int) -> bool:
    return 0 <= r < z.shape[0] and 0 <= c < z.shape[1] and not np.isnan(z[r, c])


@numba.njit(cache=True)
def _drains_out(z: np.ndarray, r: int, c: int) -> bool:
    """True when the cell touches the grid edge or a missing cell."""
    for k in range(8):  # noqa: SIM110 - an explicit loop compiles in numba
        if not _is_valid(z, r + ROW_OFFSETS[k], c + COL_OFFSETS[k]):
            return True
    return False


@numba.njit(cache=True)
def fill_depressions(dem: np.ndarray) -> np.ndarray:
    """Raise every depression to its lowest pour point (Priority-Flood, Barnes et al. 2014).

    Cells on the grid edge or next to missing (NaN) cells seed the priority queue; cells reached
    below the current spill level are raised to it.  Returns a copy of ``dem`` (same dtype).
    """
    nrows, ncols = dem.shape
    filled = dem.copy()
    closed = np.zeros((nrows, ncols), dtype=np.bool_)
    heap = [(0.0, np.int64(0))]
    heapq.heappop(heap)
    pits = [np.int64(0)]
    pits.pop()
    for r in range(nrows):
        for c in range(ncols):
            if not np.isnan(filled[r, c]) and _drains_out(filled, r, c):
                closed[r, c] = True
                heapq.heappush(heap, (np.float64(filled[r, c]), np.int64(r * ncols + c)))
    while len(heap) > 0 or len(pits) > 0:
        if len(pits) > 0:
            index = pits.pop()
            level = float(np.float64(filled[index // ncols, index % ncols]))
        else:
            level, index = heapq.heappop(heap)
        r0, c0 = index // ncols, index % ncols
        for k in range(8):
            r, c = r0 + ROW_OFFSETS[k], c0 + COL_OFFSETS[k]
            if not _is_valid(filled, r, c) or closed[r, c]:
                continue
            closed[r, c] = True
            if filled[r, c] <= level:
                filled[r, c] = level
                pits.append(np.int64(r * ncols + c))
            else:
                heapq.heappush(heap, (np.float64(filled[r, c]), np.int64(r * ncols + c)))
    return filled


@numba.njit(cache=True)
def _pack(weights: np.ndarray, total: float) -> np.int32:
    packed = 0
    for k in range(8):
        packed |= int(0.5 + weights[k] / total * 15.0) << (4 * k)
    return np.int32(packed)


@numba.njit(cache=True)
def _plateau(
    z: np.ndarray,
    r0: int,
    c0: int,
    flat: np.ndarray,
    distance: np.ndarray,
    drained: np.ndarray,
    out: np.ndarray,
    mfd: bool,
) -> None:
    """Direct the flat region of (r0, c0) (all cells of its height reachable through cells of the
    same height) towards its drains, following pygeoprocessing's plateau resolution."""
    ncols = z.shape[1]
    height = z[r0, c0]
    search = [np.int64(r0 * ncols + c0)]
    flat[r0, c0] = True
    drains = [np.int64(0)]
    drains.pop()
    edge_drains = [np.int64(0)]
    edge_drains.pop()
    edge_dirs = [np.int32(0)]
    edge_dirs.pop()
    weights = np.zeros(8)
    edge_weights = np.zeros(8)
    head = 0
    while head < len(search):
        index = search[head]
        head += 1
        r, c = index // ncols, index % ncols
        total = 0.0
        edge_total = 0.0
        best_dir, best_slope, first_edge, edge_is_diagonal = -1, 0.0, -1, True
        for k in range(8):
            weights[k] = 0.0
            edge_weights[k] = 0.0
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if not _is_valid(z, rn, cn):
                w = SQRT2_INV if k & 1 else 1.0
                edge_weights[k] = w
                edge_total += w
                # D8: prefer an edge neighbour in a cardinal direction (pygeoprocessing's rule)
                if edge_is_diagonal and best_slope == 0.0:
                    first_edge = k
                    edge_is_diagonal = (k & 1) == 1
                continue
            drop = height - z[rn, cn]
            if drop < 0:
                continue
            if drop == 0.0:
                if not flat[rn, cn]:
                    flat[rn, cn] = True
                    search.append(np.int64(rn * ncols + cn))
                continue
            slope = drop * SQRT2_INV if k & 1 else drop
            weights[k] = slope
            total += slope
            if slope > best_slope:
                best_slope = slope
                best_dir = k
        if total > 0.0:
            if mfd:
                out[r, c] = _pack(weights, total)
            else:
                out[r, c] = best_dir
            distance[r, c] = 0.0
            drained[r, c] = True
            drains.append(index)
        elif edge_total > 0.0:
            edge_drains.append(index)
            edge_dirs.append(_pack(edge_weights, edge_total) if mfd else np.int32(first_edge))
    if len(drains) == 0:
        for i in range(len(edge_drains)):
            index = edge_drains[i]
            r, c = index // ncols, index % ncols
            out[r, c] = edge_dirs[i]
            distance[r, c] = 0.0
            drained[r, c] = True
            drains.append(index)
    # Shortest distances within the plateau from its drains (label correcting).
    queue = list(drains)
    head = 0
    while head < len(queue):
        index = queue[head]
        head += 1
        r, c = index // ncols, index % ncols
        for k in range(8):
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if not _is_valid(z, rn, cn) or z[rn, cn] != height:
                continue
            step = distance[r, c] + (SQRT2 if k & 1 else 1.0)
            if distance[rn, cn] > step:
                distance[rn, cn] = step
                queue.append(np.int64(rn * ncols + cn))
                if not mfd:
                    out[rn, cn] = INFLOW[k]
    if not mfd:
        return
    # MFD: each plateau cell flows to its neighbours nearer to a drain.
    queue = list(drains)
    head = 0
    while head < len(queue):
        index = queue[head]
        head += 1
        r, c = index // ncols, index % ncols
        total = 0.0
        for k in range(8):
            weights[k] = 0.0
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if not _is_valid(z, rn, cn) or z[rn, cn] != height or np.isinf(distance[rn, cn]):
                continue
            if distance[rn, cn] < distance[r, c]:
                w = SQRT2_INV if k & 1 else 1.0
                weights[k] = w
                total += w
            elif not drained[rn, cn]:
                drained[rn, cn] = True
                queue.append(np.int64(rn * ncols + cn))
        if total > 0.0:
            out[r, c] = _pack(weights, total)


@numba.njit(cache=True)
def _flow_direction(z: np.ndarray, mfd: bool) -> np.ndarray:
    nrows, ncols = z.shape
    out = (
        np.zeros((nrows, ncols), dtype=np.int32)
        if mfd
        else np.full((nrows, ncols), D8_NONE, dtype=np.int32)
    )
    done = np.zeros((nrows, ncols), dtype=np.bool_)
    flat = np.zeros((nrows, ncols), dtype=np.bool_)
    drained = np.zeros((nrows, ncols), dtype=np.bool_)
    distance = np.full((nrows, ncols), np.inf)
    weights = np.zeros(8)
    for r in range(nrows):
        for c in range(ncols):
            if np.isnan(z[r, c]) or done[r, c] or flat[r, c]:
                continue
            total = 0.0
            best_dir, best_slope = -1, 0.0
            for k in range(8):
                weights[k] = 0.0
                rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
                if not _is_valid(z, rn, cn):
                    continue
                drop = z[r, c] - z[rn, cn]
                if drop > 0.0:
                    slope = drop * SQRT2_INV if k & 1 else drop
                    weights[k] = slope
                    total += slope
                    if slope > best_slope:
                        best_slope = slope
                        best_dir = k
            if total > 0.0:
                out[r, c] = _pack(weights, total) if mfd else best_dir
                done[r, c] = True
                continue
            _plateau(z, r, c, flat, distance, drained, out, mfd)
    return out


def flow_direction_mfd(filled: np.ndarray) -> np.ndarray:
    """Packed MFD proportions (int32, 0 where there is no flow) of a depression-filled DEM."""
    return _flow_direction(np.ascontiguousarray(filled), True)


def flow_direction_d8(filled: np.ndarray) -> np.ndarray:
    """D8 direction 0–7 (int8, −1 where there is no flow) of a depression-filled DEM."""
    return _flow_direction(np.ascontiguousarray(filled), False).astype(np.int8)


@numba.njit(cache=True)
def _unpack(packed: np.int32, k: int) -> int:
    return (int(packed) >> (4 * k)) & 0xF


@numba.njit(cache=True)
def _accumulate_mfd(flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    nrows, ncols = flow.shape
    accumulation = np.full((nrows, ncols), np.nan)
    pending = np.zeros((nrows, ncols), dtype=np.int8)
    for r in range(nrows):
        for c in range(ncols):
            if flow[r, c] == 0:
                continue
            accumulation[r, c] = 0.0 if np.isnan(weight[r, c]) else weight[r, c]
            for k in range(8):
                if _unpack(flow[r, c], k) == 0:
                    continue
                rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
                if 0 <= rn < nrows and 0 <= cn < ncols and flow[rn, cn] != 0:
                    pending[rn, cn] += 1
    ready = [np.int64(0)]
    ready.pop()
    for r in range(nrows):
        for c in range(ncols):
            if flow[r, c] != 0 and pending[r, c] == 0:
                ready.append(np.int64(r * ncols + c))
    while len(ready) > 0:
        index = ready.pop()
        r, c = index // ncols, index % ncols
        packed = flow[r, c]
        total = 0
        for k in range(8):
            total += _unpack(packed, k)
        for k in range(8):
            share = _unpack(packed, k)
            if share == 0:
                continue
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if not (0 <= rn < nrows and 0 <= cn < ncols) or flow[rn, cn] == 0:
                continue
            accumulation[rn, cn] += accumulation[r, c] * share / total
            pending[rn, cn] -= 1
            if pending[rn, cn] == 0:
                ready.append(np.int64(rn * ncols + cn))
    return accumulation


@numba.njit(cache=True)
def _accumulate_d8(flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    nrows, ncols = flow.shape
    accumulation = np.full((nrows, ncols), np.nan)
    pending = np.zeros((nrows, ncols), dtype=np.int8)
    for r in range(nrows):
        for c in range(ncols):
            k = flow[r, c]
            if k < 0:
                continue
            accumulation[r, c] = 0.0 if np.isnan(weight[r, c]) else weight[r, c]
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if 0 <= rn < nrows and 0 <= cn < ncols and flow[rn, cn] >= 0:
                pending[rn, cn] += 1
    ready = [np.int64(0)]
    ready.pop()
    for r in range(nrows):
        for c in range(ncols):
            if flow[r, c] >= 0 and pending[r, c] == 0:
                ready.append(np.int64(r * ncols + c))
    while len(ready) > 0:
        index = ready.pop()
        r, c = index // ncols, index % ncols
        k = flow[r, c]
        rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
        if not (0 <= rn < nrows and 0 <= cn < ncols) or flow[rn, cn] < 0:
            continue
        accumulation[rn, cn] += accumulation[r, c]
        pending[rn, cn] -= 1
        if pending[rn, cn] == 0:
            ready.append(np.int64(rn * ncols + cn))
    return accumulation


def flow_accumulation_mfd(flow: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """MFD flow accumulation (float64; NaN where there is no flow direction).

    ``weight`` (default 1 per cell) is each cell's own contribution; NaN weights count as 0.
    """
    weights = np.ones(flow.shape) if weight is None else np.asarray(weight, dtype=np.float64)
    return _accumulate_mfd(np.ascontiguousarray(flow, dtype=np.int32), weights)


def flow_accumulation_d8(flow: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """D8 flow accumulation (float64; NaN where there is no flow direction)."""
    weights = np.ones(flow.shape) if weight is None else np.asarray(weight, dtype=np.float64)
    return _accumulate_d8(np.ascontiguousarray(flow, dtype=np.int8), weights)


def mfd_proportions(flow: np.ndarray) -> np.ndarray:
    """The proportions (rows × cols × 8, summing to 1) encoded in a packed MFD raster."""
    shares = np.stack([(flow.astype(np.int64) >> (4 * k)) & 0xF for k in range(8)], axis=-1)
    total = shares.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, shares / np.where(total > 0, total, 1), 0.0)
