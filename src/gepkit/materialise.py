"""Whole-grid intermediate results computed once per run, before the years' graphs use them.

Flow routing needs a whole basin at once, so it is one task over the whole DEM
(gepkit.models.terrain).  Left inside a year's graph, that one long task holds up every block of
the item that uses it, and with it the blocks of every other item waiting to be summed
together (gepkit.zonal): at province scale that is most of the year in memory.  During a run the
pipeline therefore opens a :class:`Materialiser`: the first graph that asks for such a result
has it computed there and then (on the run's scheduler, in a worker on a cluster) and written
to a raw scratch grid (gepkit.io.scratch) in the run's temporary folder; every graph, of every
year, then reads it block by block like an input raster.  Outside a run (the checks' dry runs,
tests of the models) nothing is materialised and the result stays a task of the graph.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import dask.array as dsa
import numpy as np
from dask.base import tokenize

from gepkit.io.scratch import ScratchGrid


@dataclass
class Materialiser:
    """Results computed once per run into scratch grids in ``folder`` (which the workers of a
    cluster must see, as the output folder)."""

    folder: Path
    done: dict[str, list[ScratchGrid]] = field(default_factory=dict)

    def whole_grid(
        self,
        name: str,
        compute: Callable[[np.ndarray], tuple[np.ndarray, ...]],
        source: dsa.Array,
        dtypes: Sequence[Any],
    ) -> list[dsa.Array]:
        """``compute`` of the whole of ``source`` (2-D), its results chunked like ``source``.

        ``name`` and the graph of ``source`` identify the result: a second call with the same
        ones (the next year of the run) reads the stored grids again."""
        key = f"{name}-{tokenize(source.name, name, [str(np.dtype(d)) for d in dtypes])}"
        if key not in self.done:
            self.folder.mkdir(parents=True, exist_ok=True)
            shape = (int(source.shape[0]), int(source.shape[1]))
            targets = [
                ScratchGrid.create(self.folder / f"{key}-{i}.raw", shape, str(np.dtype(dtype)))
                for i, dtype in enumerate(dtypes)
            ]
            (whole,) = source.rechunk(source.shape).to_delayed(optimize_graph=False).ravel()
            dask.compute(dask.delayed(_compute_into, pure=True)(whole, compute, targets))
            self.done[key] = targets
        return [
            dsa.from_array(target, chunks=source.chunks, name=f"{key}-read-{i}")
            for i, target in enumerate(self.done[key])
        ]

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.done.clear()


def _compute_into(
    whole: np.ndarray, compute: Callable[[np.ndarray], tuple[np.ndarray, ...]], targets: list[Any]
) -> None:
    results = compute(whole)
    for target, result in zip(targets, results, strict=True):
        target[:, :] = result


_CURRENT: ContextVar[Materialiser | None] = ContextVar("gepkit_materialiser", default=None)


def current() -> Materialiser | None:
    """The run's materialiser, if a run is computing its years."""
    return _CURRENT.get()


@contextmanager
def materialising(folder: Path) -> Iterator[Materialiser]:
    """Whole-grid results computed once and kept in ``folder`` until the block ends."""
    materialiser = Materialiser(folder)
    token = _CURRENT.set(materialiser)
    try:
        yield materialiser
    finally:
        _CURRENT.reset(token)
        materialiser.remove()
