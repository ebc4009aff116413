"""Everything a year sums over the grid, in one task per block (ADR 0005).

Per block of the grid one task takes the blocks of every per-pixel quantity and returns one
small vector of partial sums; the vectors of all blocks are added in a tree.  The vector holds

* the sums per (leaf unit, ecosystem code) of every quantity, of its missing pixels
  (``<name>__nan``) and the pixel counts (``cells``), pixels without land cover under
  :data:`~gepkit.zones.NO_ECOSYSTEM`;
* the raster total of every quantity over the region (the conservation reference: a plain sum,
  weighted under coverage weighting, computed apart from the unit sums);
* the sums per parent unit rasterised on its own polygon, per depth (the parent check);
* the sums per leaf unit of the plausibility bounds, and over the gaps between the leaves;

and the same task stores the block of each map (:class:`MapStore`) in its scratch grid.  So a
block of a quantity has one consumer, which uses it once and lets it go: nothing waits in
memory for the reductions, whatever the size of the grid (the reason for this module; with
separate reductions per result dask kept every block of every quantity alive until the last of
them had run).

Under coverage weighting (ADR 0002) each block's task corrects its own sums on the boundary
pixels it holds (:class:`BlockBoundary`): a boundary pixel's value (NaN counts 0) is taken out of
the unit holding its centre and given to every unit sharing the pixel by its fraction.  The
corrections are linear, so the blocks' corrected sums add up to the corrected sum of the grid.
Quantities named in ``centre`` (already placed in units cell by cell, ``Part.placed``) are summed
by pixel centre all the same.

Within a block the sums are ``numpy.bincount`` over the pixels in row-major order; the tree of
block vectors is fixed by the chunking, so a chunking gives the same numbers on any scheduler.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dask.array as dsa
import numpy as np
import xarray as xr
from dask.base import tokenize

from gepkit.execution import constant
from gepkit.io.scratch import ScratchGrid
from gepkit.zones import NO_ECOSYSTEM, NO_UNIT, BoundaryTable, Zones

#: Block vectors added together at each node of the reduction tree.
SPLIT_EVERY = 8


@dataclass(frozen=True)
class MapStore:
    """A map stored while the sums are computed: the float32 sum of the quantities ``names``
    (each NaN outside the region), written block by block to ``target``."""

    names: tuple[str, ...]
    target: ScratchGrid


@dataclass(frozen=True)
class BlockBoundary:
    """The rows of a :class:`~gepkit.zones.BoundaryTable` whose pixels lie in one block."""

    pixel: np.ndarray
    """int64 flat index in the block (row-major) of each boundary pixel, ascending."""
    centre: np.ndarray
    """int32 per pixel: the unit holding its centre, or :data:`NO_UNIT`."""
    inside: np.ndarray
    """float64 per pixel: the share of it inside the region."""
    row_pixel: np.ndarray
    """int64 per row: index into :attr:`pixel`."""
    unit: np.ndarray
    """int32 per row: the unit sharing the pixel."""
    fraction: np.ndarray
    """float64 per row: the fraction of the pixel inside the unit."""


@dataclass(frozen=True)
class BlockPlan:
    """Where a block lies on the grid and the boundary pixels it holds (coverage weighting)."""

    rows: slice
    cols: slice
    leaf: BlockBoundary | None = None
    parents: tuple[BlockBoundary | None, ...] = ()
    """Per depth of :attr:`Zones.parent_index`, in its order."""


@dataclass(frozen=True)
class Layout:
    """Where each result lies in the vector of partial sums."""

    names: tuple[str, ...]
    """Quantities summed per unit, per ecosystem and over the raster."""
    centre: frozenset[str]
    bounds: tuple[str, ...]
    n_units: int
    codes: np.ndarray
    """int32 ecosystem codes, sorted, :data:`NO_ECOSYSTEM` included."""
    parents: tuple[tuple[int, int], ...]
    """(depth, number of parents) of every depth with parent polygons."""
    gaps: bool
    segments: dict[tuple[Any, ...], tuple[int, tuple[int, ...]]] = field(init=False)
    """(kind, …) → (offset, shape)."""
    size: int = field(init=False)

    def __post_init__(self) -> None:
        grid = (self.n_units, len(self.codes))
        shapes: list[tuple[tuple[Any, ...], tuple[int, ...]]] = [(("cells",), grid)]
        for name in self.names:
            shapes += [(("sum", name), grid), (("nan", name), grid), (("raster", name), ())]
            shapes += [(("parent", depth, name), (n,)) for depth, n in self.parents]
            if self.gaps:
                shapes.append((("gap", name), ()))
        shapes += [(("bound", name), grid) for name in self.bounds]
        segments, offset = {}, 0
        for key, shape in shapes:
            segments[key] = (offset, shape)
            offset += int(np.prod(shape, dtype="int64"))
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "size", offset)

    def get(self, vector: np.ndarray, *key: Any) -> np.ndarray:
        offset, shape = self.segments[key]
        return vector[offset : offset + int(np.prod(shape, dtype="int64"))].reshape(shape)

    def unpack(self, vector: np.ndarray) -> Aggregates:
        """The sums from the computed vector (:attr:`Aggregation.vector`)."""
        dims = ("unit", "ecosystem")
        coords = {
            "unit": np.arange(self.n_units, dtype="int32"),
            "ecosystem": self.codes,
        }
        sums: dict[str, Any] = {"cells": (dims, self.get(vector, "cells"))}
        for name in self.names:
            sums[name] = (dims, self.get(vector, "sum", name))
            sums[f"{name}__nan"] = (dims, self.get(vector, "nan", name))
        raster = {name: ((), self.get(vector, "raster", name)) for name in self.names}
        parents = {
            depth: xr.Dataset(
                {
                    name: (("parent",), self.get(vector, "parent", depth, name))
                    for name in self.names
                },
                coords={"parent": np.arange(n, dtype="int32")},
            )
            for depth, n in self.parents
        }
        bounds = (
            xr.Dataset(
                {name: (dims, self.get(vector, "bound", name)) for name in self.bounds},
                coords=coords,
            )
            if self.bounds
            else None
        )
        gap = (
            xr.Dataset({name: ((), self.get(vector, "gap", name)) for name in self.names})
            if self.gaps
            else None
        )
        return Aggregates(
            sums=xr.Dataset(sums, coords=coords),
            raster=xr.Dataset(raster),
            parents=parents,
            bounds=bounds,
            gap=gap,
        )


@dataclass
class Aggregates:
    """The computed sums, as xarray Datasets."""

    sums: xr.Dataset
    """Per (unit, ecosystem): every quantity, ``<name>__nan`` and ``cells``."""
    raster: xr.Dataset
    """Scalars: every quantity's raster total over the region."""
    parents: dict[int, xr.Dataset]
    """Per depth, per parent (dim ``parent``): every quantity."""
    bounds: xr.Dataset | None
    """Per (unit, ecosystem): every bound's upper limit (None without bounds)."""
    gap: xr.Dataset | None
    """Scalars: every quantity over the gaps between the leaves (None without gaps)."""


@dataclass
class Aggregation:
    """The lazy sums of :func:`aggregate`: :attr:`vector` (a dask array, or numpy when no input
    was a dask array) and how to read it."""

    layout: Layout
    vector: Any

    def compute(self) -> Aggregates:
        """Compute the sums now (tests, benchmarks; a run computes :attr:`vector` with the rest
        of its graph)."""
        vector = self.vector.compute() if isinstance(self.vector, dsa.Array) else self.vector
        return self.layout.unpack(np.asarray(vector))


def aggregate(
    quantities: xr.Dataset,
    zones: Zones,
    ecosystem: xr.DataArray,
    ecosystem_codes: Iterable[int],
    *,
    centre: Collection[str] = (),
    bounds: xr.Dataset | None = None,
    gaps: np.ndarray | None = None,
    maps: Sequence[MapStore] = (),
) -> Aggregation:
    """The sums of ``quantities`` (and ``bounds``) over the zones, in one task per block.

    ``ecosystem``: the land cover codes per pixel (NaN: none); ``ecosystem_codes``: the codes
    summed apart (others are left out); ``gaps``: boolean grid of the pixels inside the
    top-level polygon in no leaf; ``maps``: maps to store on the way."""
    names = tuple(str(n) for n in quantities.data_vars)
    bound_names = tuple(str(n) for n in bounds.data_vars) if bounds is not None else ()
    codes = np.array(sorted({*(int(c) for c in ecosystem_codes), NO_ECOSYSTEM}), dtype="int32")
    depths = sorted(zones.parent_index)
    layout = Layout(
        names=names,
        centre=frozenset(str(c) for c in centre) & frozenset(names),
        bounds=bound_names,
        n_units=len(zones.leaf_codes),
        codes=codes,
        parents=tuple((d, len(zones.parent_index[d][0])) for d in depths),
        gaps=gaps is not None,
    )
    grids: list[Any] = [_yx(quantities[n]) for n in names]
    grids += [_yx(bounds[n]) for n in bound_names] if bounds is not None else []
    grids.append(_yx(ecosystem))
    chunks = next((g.chunks for g in grids if isinstance(g, dsa.Array)), None)
    zone_grids = [zones.leaf_index, *(zones.parent_index[d][1] for d in depths)]
    if gaps is not None:
        zone_grids.append(gaps)
    kwargs: dict[str, Any] = {
        "layout": layout,
        "maps": tuple(maps),
        "positions": _positions(names, maps),
    }
    if chunks is None:
        plan = _plans(zones, ((zones.grid.height,), (zones.grid.width,)))[0][0, 0]
        whole = [np.asarray(g) for g in (*grids, *zone_grids)]
        return Aggregation(layout, _aggregate_block(*whole, plan, **kwargs)[0, 0])
    arrays: list[dsa.Array] = [
        g.rechunk(chunks) if isinstance(g, dsa.Array) else dsa.from_array(g, chunks=chunks)
        for g in grids
    ]
    zone_names = ["zones-leaf", *(f"zones-parent-{d}" for d in depths)]
    zone_names += ["zones-gap"] if gaps is not None else []
    arrays += [Zones.constant(g, chunks, n) for g, n in zip(zone_grids, zone_names, strict=True)]
    plans, plans_token = _plans(zones, chunks)
    plan_array = constant(
        plans, tuple((1,) * n for n in plans.shape), "zones-blocks", token=plans_token
    )
    token = tokenize(*(a.name for a in arrays), plan_array.name, layout.size, maps)
    blocks = dsa.blockwise(
        _aggregate_block,
        "ijk",
        *[x for a in (*arrays, plan_array) for x in (a, "ij")],
        new_axes={"k": layout.size},
        adjust_chunks={"i": 1, "j": 1},
        align_arrays=False,
        name=f"zonal-block-{token}",
        dtype="float64",
        meta=np.array((), dtype="float64"),
        **kwargs,
    )
    return Aggregation(layout, blocks.sum(axis=(0, 1), split_every=SPLIT_EVERY))


def _yx(array: xr.DataArray) -> Any:
    return array.transpose("y", "x").data


def _positions(names: tuple[str, ...], maps: Sequence[MapStore]) -> tuple[tuple[int, ...], ...]:
    index = {name: i for i, name in enumerate(names)}
    return tuple(tuple(index[n] for n in store.names) for store in maps)


def _aggregate_block(
    *arrays: np.ndarray,
    layout: Layout,
    maps: tuple[MapStore, ...],
    positions: tuple[tuple[int, ...], ...],
) -> np.ndarray:
    """The vector of partial sums of one block (shape (1, 1, size)); stores its maps' blocks."""
    plan_arg: Any = arrays[-1]
    plan: BlockPlan = plan_arg.flat[0] if isinstance(plan_arg, np.ndarray) else plan_arg
    n, b, p = len(layout.names), len(layout.bounds), len(layout.parents)
    values = arrays[:n]
    bound_values = arrays[n : n + b]
    eco = np.asarray(arrays[n + b])
    leaf = np.asarray(arrays[n + b + 1]).ravel()
    parents = [np.asarray(a).ravel() for a in arrays[n + b + 2 : n + b + 2 + p]]
    gaps = np.asarray(arrays[n + b + 2 + p]).ravel() if layout.gaps else None

    out = np.zeros(layout.size, dtype="float64")
    n_groups = len(layout.codes)
    size = layout.n_units * n_groups
    group = _group_index(eco.ravel(), layout.codes)
    counted = np.flatnonzero((leaf != NO_UNIT) & (group >= 0))
    keys = leaf[counted].astype("int64") * n_groups + group[counted]
    inside = leaf != NO_UNIT
    weights: np.ndarray | None = None
    if plan.leaf is not None:
        weights = inside.astype("float64")
        weights[plan.leaf.pixel] = plan.leaf.inside
    leaf_fix = _Fix(plan.leaf, group, n_groups) if plan.leaf is not None else None
    parent_sums = [
        (np.flatnonzero(index != NO_UNIT), index, _Fix(boundary, None, 1) if boundary else None)
        for index, boundary in zip(parents, plan.parents or (None,) * p, strict=True)
    ]

    def put(value: np.ndarray, *key: Any) -> None:
        offset, _shape = layout.segments[key]
        out[offset : offset + value.size] += value.ravel()

    cells = _bincount(keys, minlength=size)
    if leaf_fix is not None:
        cells += leaf_fix.sums(None, size)
    put(cells, "cells")
    for name, array in zip(layout.names, values, strict=True):
        value = np.asarray(array, dtype="float64").ravel()
        missing = np.isnan(value)
        zeroed = np.where(missing, 0.0, value)
        sums = _bincount(keys, weights=zeroed[counted], minlength=size)
        nans = _bincount(keys, weights=missing[counted], minlength=size)
        by_centre = name in layout.centre
        if leaf_fix is not None and not by_centre:
            sums += leaf_fix.sums(zeroed, size)
            nans += leaf_fix.sums(missing, size)
        put(sums, "sum", name)
        put(nans, "nan", name)
        if weights is None or by_centre:
            put(np.asarray(np.nansum(value[inside])), "raster", name)
        else:
            put(np.asarray(np.nansum(value * weights)), "raster", name)
        for (depth, n_parents), (held, index, fix) in zip(layout.parents, parent_sums, strict=True):
            parent = _bincount(index[held], weights=zeroed[held], minlength=n_parents)
            if fix is not None and not by_centre:
                parent += fix.sums(zeroed, n_parents)
            put(parent, "parent", depth, name)
        if gaps is not None:
            put(np.asarray(np.nansum(value[gaps])), "gap", name)
    for name, array in zip(layout.bounds, bound_values, strict=True):
        value = np.asarray(array, dtype="float64").ravel()
        zeroed = np.where(np.isnan(value), 0.0, value)
        sums = _bincount(keys, weights=zeroed[counted], minlength=size)
        if leaf_fix is not None:
            sums += leaf_fix.sums(zeroed, size)
        put(sums, "bound", name)
    if maps:
        _store_maps(values, maps, positions, plan, inside)
    return out.reshape(1, 1, -1)


class _Fix:
    """Coverage corrections of one block's sums on its boundary pixels (see the module)."""

    def __init__(self, boundary: BlockBoundary, group: np.ndarray | None, n_groups: int) -> None:
        self.boundary = boundary
        pixel_group = (
            np.zeros(len(boundary.pixel), dtype="int64") if group is None else group[boundary.pixel]
        )
        held = (boundary.centre != NO_UNIT) & (pixel_group >= 0)
        row_group = pixel_group[boundary.row_pixel]
        shared = row_group >= 0
        self.keys = np.concatenate(
            [
                boundary.centre[held].astype("int64") * n_groups + pixel_group[held],
                boundary.unit[shared].astype("int64") * n_groups + row_group[shared],
            ]
        )
        self.pixels = np.concatenate([np.flatnonzero(held), boundary.row_pixel[shared]])
        self.weights = np.concatenate([-np.ones(int(held.sum())), boundary.fraction[shared]])

    def sums(self, values: np.ndarray | None, size: int) -> np.ndarray:
        """The corrections per key of ``values`` (the block's, flat; None: a count of 1)."""
        weights = self.weights
        if values is not None:
            weights = weights * values[self.boundary.pixel][self.pixels]
        return _bincount(self.keys, weights=weights, minlength=size)


def _bincount(keys: np.ndarray, weights: Any = None, minlength: int = 0) -> np.ndarray:
    """``numpy.bincount`` in float64 (it gives integers for no keys, even with weights)."""
    return np.bincount(keys, weights=weights, minlength=minlength).astype("float64", copy=False)


def _group_index(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Position of each ecosystem code in the sorted ``codes`` (NaN: :data:`NO_ECOSYSTEM`); -1
    where it is none of them."""
    if values.dtype.kind == "f":
        values = np.where(np.isnan(values), NO_ECOSYSTEM, values).astype("int64")
    values = values.astype("int64", copy=False)
    index = np.searchsorted(codes, values)
    found = index < len(codes)
    found[found] = codes[index[found]] == values[found]
    return np.where(found, index, -1).astype("int64")


def _store_maps(
    values: Sequence[np.ndarray],
    maps: tuple[MapStore, ...],
    positions: tuple[tuple[int, ...], ...],
    plan: BlockPlan,
    inside: np.ndarray,
) -> None:
    """Each map's block: the float32 sum of its quantities, NaN outside the region."""
    shape = np.shape(values[0])
    region = inside.copy()
    if plan.leaf is not None:
        region[plan.leaf.pixel] = plan.leaf.inside > 0
    region = region.reshape(shape)
    for store, where in zip(maps, positions, strict=True):
        total: np.ndarray | None = None
        for i in where:
            masked = np.where(region, values[i], np.nan).astype("float32")
            total = masked if total is None else total + masked
        assert total is not None
        store.target[plan.rows, plan.cols] = total


def _plans(zones: Zones, chunks: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, str]:
    """The block plans of ``chunks`` and their token, worked out once per chunking."""
    key = tuple(tuple(int(c) for c in axis) for axis in chunks)
    if key not in zones.block_plans:
        tables = [zones.boundary, *zones.parent_boundary.values()]
        token = tokenize(
            key,
            sorted(zones.parent_index),
            *((t.cell, t.unit, t.fraction, t.centre) for t in tables if t is not None),
        )
        zones.block_plans[key] = (block_plans(zones, key), token)
    return zones.block_plans[key]


def block_plans(zones: Zones, chunks: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """A :class:`BlockPlan` per block of ``chunks`` (object array, blocks × blocks)."""
    row_edges = np.cumsum((0, *chunks[0]))
    col_edges = np.cumsum((0, *chunks[1]))
    shape = (len(chunks[0]), len(chunks[1]))
    leaf = _split(zones.boundary, row_edges, col_edges, shape)
    depths = sorted(zones.parent_index)
    parents = [_split(zones.parent_boundary.get(d), row_edges, col_edges, shape) for d in depths]
    plans = np.empty(shape, dtype=object)
    for i in range(shape[0]):
        for j in range(shape[1]):
            plans[i, j] = BlockPlan(
                rows=slice(int(row_edges[i]), int(row_edges[i + 1])),
                cols=slice(int(col_edges[j]), int(col_edges[j + 1])),
                leaf=leaf[i][j] if leaf is not None else None,
                parents=tuple(p[i][j] if p is not None else None for p in parents),
            )
    return plans


def _split(
    table: BoundaryTable | None,
    row_edges: np.ndarray,
    col_edges: np.ndarray,
    shape: tuple[int, int],
) -> list[list[BlockBoundary]] | None:
    """The table's rows per block, with the pixels numbered within their block."""
    if table is None or not len(table):
        return None
    rows, cols = np.divmod(table.pixel, table.width)
    bi = np.searchsorted(row_edges, rows, side="right") - 1
    bj = np.searchsorted(col_edges, cols, side="right") - 1
    block = bi * shape[1] + bj
    order = np.argsort(block, kind="stable")  # pixels keep their row-major order per block
    starts = np.searchsorted(block[order], np.arange(shape[0] * shape[1] + 1))
    rank = np.empty(len(block), dtype="int64")
    rank[order] = np.arange(len(block)) - starts[block[order]]
    row_pixel = table.row_pixel
    row_block = block[row_pixel]
    row_order = np.argsort(row_block, kind="stable")
    row_starts = np.searchsorted(row_block[row_order], np.arange(shape[0] * shape[1] + 1))
    width = np.diff(col_edges)
    out: list[list[BlockBoundary]] = []
    for i in range(shape[0]):
        line = []
        for j in range(shape[1]):
            k = i * shape[1] + j
            pixels = order[starts[k] : starts[k + 1]]
            chosen = row_order[row_starts[k] : row_starts[k + 1]]
            line.append(
                BlockBoundary(
                    pixel=(rows[pixels] - row_edges[i]) * width[j] + (cols[pixels] - col_edges[j]),
                    centre=table.centre[pixels],
                    inside=table.inside[pixels],
                    row_pixel=rank[row_pixel[chosen]],
                    unit=table.unit[chosen],
                    fraction=table.fraction[chosen],
                )
            )
        out.append(line)
    return out
