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

Memory: the filled DEM keeps the DEM's dtype; flow directions are int32 (MFD) or int8 (D8);
accumulation is float64 (exactness of the comparisons).  Besides these the kernels keep only
one byte per cell (``closed``, ``flat``, ``pending``): plateau distances are float64 too, but are
held for one plateau at a time, over its own cells, and the default weight of 1 is not
materialised as a grid.
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
def _index_cells(
    search: list[np.int64], ncols: int
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Number a plateau's cells 0…n−1 in grid order, for arrays over the plateau (see
    :func:`_slot`).

    The cells are described by their runs (cells adjacent in a row): the first row the plateau
    spans, where each of its rows starts among the runs (plus the end), and the column and number
    of each run's first cell.  A plateau's row holds few runs, so a lookup is short.
    """
    cells = np.empty(len(search), dtype=np.int64)
    for i in range(len(search)):
        cells[i] = search[i]
    cells.sort()
    first_row = cells[0] // ncols
    row_runs = np.zeros(cells[-1] // ncols - first_row + 2, dtype=np.int64)
    run_cols = [np.int64(0)]
    run_slots = [np.int64(0)]
    run_cols.pop()
    run_slots.pop()
    for i in range(len(cells)):
        if i == 0 or cells[i] != cells[i - 1] + 1 or cells[i] % ncols == 0:
            row_runs[cells[i] // ncols - first_row + 1] += 1
            run_cols.append(cells[i] % ncols)
            run_slots.append(np.int64(i))
    return first_row, np.cumsum(row_runs), np.array(run_cols), np.array(run_slots)


@numba.njit(cache=True)
def _slot(runs: tuple[int, np.ndarray, np.ndarray, np.ndarray], r: int, c: int) -> int:
    """Number of the plateau cell (r, c) (see :func:`_index_cells`): the run holding it is
    bisected among the runs of its row."""
    first_row, row_runs, run_cols, run_slots = runs
    low, high = row_runs[r - first_row], row_runs[r - first_row + 1]
    while high - low > 1:
        middle = (low + high) // 2
        if run_cols[middle] <= c:
            low = middle
        else:
            high = middle
    return int(run_slots[low] + c - run_cols[low])


@numba.njit(cache=True)
def _plateau(z: np.ndarray, r0: int, c0: int, flat: np.ndarray, out: np.ndarray, mfd: bool) -> None:
    """Direct the flat region of (r0, c0) (all cells of its height reachable through cells of the
    same height) towards its drains, following pygeoprocessing's plateau resolution.

    Every neighbour of the region's height belongs to the region, so the distances to the drains
    (and the ``drained`` flags) are only ever needed for the region's own cells: they are held in
    arrays over the region's cells (numbered by :func:`_index_cells`), about 9 bytes per cell of
    this region instead of 9 bytes per cell of the grid.
    """
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
            drains.append(index)
        elif edge_total > 0.0:
            edge_drains.append(index)
            edge_dirs.append(_pack(edge_weights, edge_total) if mfd else np.int32(first_edge))
    if len(drains) == 0:
        for i in range(len(edge_drains)):
            index = edge_drains[i]
            out[index // ncols, index % ncols] = edge_dirs[i]
            drains.append(index)
    runs = _index_cells(search, ncols)
    distance = np.full(len(search), np.inf)
    drained = np.zeros(len(search), dtype=np.bool_)
    for index in drains:
        slot = _slot(runs, index // ncols, index % ncols)
        distance[slot] = 0.0
        drained[slot] = True
    # Shortest distances within the plateau from its drains (label correcting).
    queue = list(drains)
    head = 0
    while head < len(queue):
        index = queue[head]
        head += 1
        r, c = index // ncols, index % ncols
        here = distance[_slot(runs, r, c)]
        for k in range(8):
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if not _is_valid(z, rn, cn) or z[rn, cn] != height:
                continue
            step = here + (SQRT2 if k & 1 else 1.0)
            neighbour = _slot(runs, rn, cn)
            if distance[neighbour] > step:
                distance[neighbour] = step
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
        here = distance[_slot(runs, r, c)]
        total = 0.0
        for k in range(8):
            weights[k] = 0.0
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if not _is_valid(z, rn, cn) or z[rn, cn] != height:
                continue
            neighbour = _slot(runs, rn, cn)
            if np.isinf(distance[neighbour]):
                continue
            if distance[neighbour] < here:
                w = SQRT2_INV if k & 1 else 1.0
                weights[k] = w
                total += w
            elif not drained[neighbour]:
                drained[neighbour] = True
                queue.append(np.int64(rn * ncols + cn))
        if total > 0.0:
            out[r, c] = _pack(weights, total)


@numba.njit(cache=True)
def _flow_direction(z: np.ndarray, out: np.ndarray, mfd: bool) -> np.ndarray:
    """Fill ``out`` (allocated by the caller in its final dtype: int32 zeros for MFD, int8
    ``D8_NONE`` for D8, so that D8 needs no int32 copy) with the flow directions of ``z``.

    Each cell is visited once in scan order; ``flat`` marks the cells of plateaus already
    resolved (a plateau's drains may come later in the scan than its first cell).
    """
    nrows, ncols = z.shape
    flat = np.zeros((nrows, ncols), dtype=np.bool_)
    weights = np.zeros(8)
    for r in range(nrows):
        for c in range(ncols):
            if np.isnan(z[r, c]) or flat[r, c]:
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
                continue
            _plateau(z, r, c, flat, out, mfd)
    return out


def flow_direction_mfd(filled: np.ndarray) -> np.ndarray:
    """Packed MFD proportions (int32, 0 where there is no flow) of a depression-filled DEM."""
    return _flow_direction(
        np.ascontiguousarray(filled), np.zeros(filled.shape, dtype=np.int32), True
    )


def flow_direction_d8(filled: np.ndarray) -> np.ndarray:
    """D8 direction 0–7 (int8, −1 where there is no flow) of a depression-filled DEM."""
    return _flow_direction(
        np.ascontiguousarray(filled), np.full(filled.shape, D8_NONE, dtype=np.int8), False
    )


@numba.njit(cache=True)
def _unpack(packed: np.int32, k: int) -> int:
    return (int(packed) >> (4 * k)) & 0xF


@numba.njit(cache=True)
def _own(weight: np.ndarray, unit: bool, r: int, c: int) -> float:
    """A cell's own contribution: 1 when ``unit`` (``weight`` is then a 1×1 placeholder, so that
    the default weight costs no grid), else its weight, NaN counting as 0."""
    if unit:
        return 1.0
    w = weight[r, c]
    return 0.0 if np.isnan(w) else float(w)


@numba.njit(cache=True)
def _accumulate_mfd(flow: np.ndarray, weight: np.ndarray, unit: bool) -> np.ndarray:
    """Count each cell's upstream neighbours (``pending``) and pass a cell's accumulation on once
    it has heard from all of them.

    The cells ready from the start (sources) are taken in reverse scan order, each followed by
    everything it makes ready (last in, first out); a finished cell is marked by pending −1.  That
    is the order of a stack seeded with all the sources in scan order, without holding such a
    stack (sources are a large share of the cells): the same additions in the same order, so the
    same float64 sums.
    """
    nrows, ncols = flow.shape
    accumulation = np.full((nrows, ncols), np.nan)
    pending = np.zeros((nrows, ncols), dtype=np.int8)
    for r in range(nrows):
        for c in range(ncols):
            if flow[r, c] == 0:
                continue
            accumulation[r, c] = _own(weight, unit, r, c)
            for k in range(8):
                if _unpack(flow[r, c], k) == 0:
                    continue
                rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
                if 0 <= rn < nrows and 0 <= cn < ncols and flow[rn, cn] != 0:
                    pending[rn, cn] += 1
    ready = [np.int64(0)]
    ready.pop()
    for r0 in range(nrows - 1, -1, -1):
        for c0 in range(ncols - 1, -1, -1):
            if flow[r0, c0] == 0 or pending[r0, c0] != 0:
                continue
            ready.append(np.int64(r0 * ncols + c0))
            while len(ready) > 0:
                index = ready.pop()
                r, c = index // ncols, index % ncols
                pending[r, c] = -1
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
def _accumulate_d8(flow: np.ndarray, weight: np.ndarray, unit: bool) -> np.ndarray:
    """As :func:`_accumulate_mfd`, each cell passing all of its accumulation to one neighbour."""
    nrows, ncols = flow.shape
    accumulation = np.full((nrows, ncols), np.nan)
    pending = np.zeros((nrows, ncols), dtype=np.int8)
    for r in range(nrows):
        for c in range(ncols):
            k = flow[r, c]
            if k < 0:
                continue
            accumulation[r, c] = _own(weight, unit, r, c)
            rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
            if 0 <= rn < nrows and 0 <= cn < ncols and flow[rn, cn] >= 0:
                pending[rn, cn] += 1
    ready = [np.int64(0)]
    ready.pop()
    for r0 in range(nrows - 1, -1, -1):
        for c0 in range(ncols - 1, -1, -1):
            if flow[r0, c0] < 0 or pending[r0, c0] != 0:
                continue
            ready.append(np.int64(r0 * ncols + c0))
            while len(ready) > 0:
                index = ready.pop()
                r, c = index // ncols, index % ncols
                pending[r, c] = -1
                k = flow[r, c]
                rn, cn = r + ROW_OFFSETS[k], c + COL_OFFSETS[k]
                if not (0 <= rn < nrows and 0 <= cn < ncols) or flow[rn, cn] < 0:
                    continue
                accumulation[rn, cn] += accumulation[r, c]
                pending[rn, cn] -= 1
                if pending[rn, cn] == 0:
                    ready.append(np.int64(rn * ncols + cn))
    return accumulation


def _weights(flow: np.ndarray, weight: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """The kernels' (weight, unit) arguments: a 1×1 placeholder and ``unit`` for the default
    weight of 1 (no whole-grid array of ones), else the weights as float64."""
    if weight is None:
        return np.ones((1, 1)), True
    weights = np.asarray(weight, dtype=np.float64)
    if weights.shape != flow.shape:
        raise ValueError(f"weight has shape {weights.shape}, flow directions {flow.shape}")
    return weights, False


def flow_accumulation_mfd(flow: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """MFD flow accumulation (float64; NaN where there is no flow direction).

    ``weight`` (default 1 per cell) is each cell's own contribution; NaN weights count as 0.
    """
    return _accumulate_mfd(np.ascontiguousarray(flow, dtype=np.int32), *_weights(flow, weight))


def flow_accumulation_d8(flow: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """D8 flow accumulation (float64; NaN where there is no flow direction)."""
    return _accumulate_d8(np.ascontiguousarray(flow, dtype=np.int8), *_weights(flow, weight))


def mfd_proportions(flow: np.ndarray) -> np.ndarray:
    """The proportions (rows × cols × 8, summing to 1) encoded in a packed MFD raster."""
    shares = np.stack([(flow.astype(np.int64) >> (4 * k)) & 0xF for k in range(8)], axis=-1)
    total = shares.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, shares / np.where(total > 0, total, 1), 0.0)
