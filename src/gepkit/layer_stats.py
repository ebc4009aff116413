"""The value range of every input layer over the region, in one task per block.

The input check (gepkit.plan) needs, per continuous layer, its minimum, maximum and mean over
the region and the count of its missing pixels there.  Four separate dask reductions per layer
would each hold the layer's blocks until the last of them had run; here one task per block
takes the block of every layer and returns one small vector (per layer: minimum, maximum, sum,
valid values, missing values), and the vectors are combined in a tree (minimum, maximum or sum
per entry).  Multi-band layers (band, y, x) count every band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dask.array as dsa
import numpy as np
from dask.base import tokenize


@dataclass(frozen=True)
class LayerStats:
    """A layer's values over the region (NaN minimum, maximum and mean when none is valid)."""

    low: float
    high: float
    mean: float
    missing: int


def layer_stats(layers: Mapping[str, Any], region: Any) -> Any:
    """Lazy vector of the statistics of ``layers`` (2-D or 3-D dask arrays chunked alike in y
    and x) inside ``region`` (a boolean dask array of the grid, chunked like them); read it
    with :func:`unpack`.  The layers are computed and let go block by block."""
    names = list(layers)
    n = len(names)
    args: list[Any] = []
    for n_layer, name in enumerate(names):
        layer = layers[name]
        bands = (f"band{n_layer}",) if layer.ndim == 3 else ()  # each layer its own band axis
        args += [layer, (*bands, "i", "j")]
    args += [region, ("i", "j")]
    blocks = dsa.blockwise(
        _block_stats,
        ("i", "j", "k"),
        *args,
        new_axes={"k": 5 * n},
        adjust_chunks={"i": 1, "j": 1},
        concatenate=True,
        name=f"layer-stats-{tokenize(*(layers[k].name for k in names), region.name)}",
        dtype="float64",
        meta=np.array((), dtype="float64"),
    )
    return dsa.concatenate(
        [
            blocks[..., 0:n].min(axis=(0, 1)),
            blocks[..., n : 2 * n].max(axis=(0, 1)),
            blocks[..., 2 * n :].sum(axis=(0, 1)),
        ]
    )


def unpack(names: list[str], vector: np.ndarray) -> dict[str, LayerStats]:
    """The statistics of each layer from the computed vector of :func:`layer_stats`."""
    n = len(names)
    out = {}
    for i, name in enumerate(names):
        low, high = vector[i], vector[n + i]
        total, valid, missing = (vector[n * k + i] for k in (2, 3, 4))
        none = valid == 0
        out[name] = LayerStats(
            low=float("nan") if none else float(low),
            high=float("nan") if none else float(high),
            mean=float("nan") if none else float(total / valid),
            missing=int(missing),
        )
    return out


def _block_stats(*arrays: np.ndarray) -> np.ndarray:
    """Per layer: [min…], [max…], [sum…], [valid…], [missing…] of one block inside the region."""
    region = np.asarray(arrays[-1], dtype=bool)
    layers = arrays[:-1]
    n = len(layers)
    out = np.zeros(5 * n)
    for i, layer in enumerate(layers):
        values = np.asarray(layer)
        inside = np.broadcast_to(region, values.shape)
        chosen = values[inside]
        missing = np.isnan(chosen)
        valid = chosen[~missing]
        out[i] = valid.min() if valid.size else np.inf
        out[n + i] = valid.max() if valid.size else -np.inf
        out[2 * n + i] = valid.sum(dtype="float64")
        out[3 * n + i] = valid.size
        out[4 * n + i] = missing.sum()
    return out.reshape(1, 1, -1)
