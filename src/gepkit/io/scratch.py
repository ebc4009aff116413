"""Grid-sized intermediate results on disk, written block by block and read back by rows.

A year's computation stores the map of each part in a raw file (:class:`ScratchGrid`) as its
blocks are computed, so no process ever holds a whole-grid map: the unit totals that decide the
caps and the value per unit are only known once every block is summed, and the final maps are
then made from these files row band by row band (gepkit.pipeline).

A scratch grid is a plain file of native-endian values in row-major order, created sparse at
its full size.  Any thread or process that sees the file can write any block (the blocks of a
grid do not overlap, so no lock is needed); the page cache keeps recent writes in memory for
the reads that follow.  On a dask.distributed cluster the workers must see the run's output
folder (a shared file system, docs/scale.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class ScratchGrid:
    """A raw grid file: a target of ``dask.array.store`` and a source of row bands.

    Small and picklable (path, shape, dtype): the file is opened for each access, in whichever
    process makes it."""

    path: Path
    shape: tuple[int, int]
    dtype: str = "float32"

    @classmethod
    def create(cls, path: Path, shape: tuple[int, int], dtype: str = "float32") -> ScratchGrid:
        """An empty grid of ``shape`` at ``path`` (a sparse file: no bytes written yet)."""
        grid = cls(path, (int(shape[0]), int(shape[1])), dtype)
        with open(path, "wb") as f:
            f.truncate(grid.nbytes)
        return grid

    @property
    def ndim(self) -> int:
        return 2

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.shape[1] * np.dtype(self.dtype).itemsize

    def _open(self, mode: Literal["r", "r+"]) -> np.memmap[Any, np.dtype[Any]]:
        return np.memmap(self.path, dtype=np.dtype(self.dtype), mode=mode, shape=self.shape)

    def __setitem__(self, key: Any, value: np.ndarray) -> None:
        """Write one block (``dask.array.store`` calls this with the block's slices)."""
        target = self._open("r+")
        target[key] = value
        del target  # unmapped; the data stay in the page cache until written out

    def __getitem__(self, key: Any) -> np.ndarray:
        """A block, as an array of its own (``dask.array.from_array`` reads blocks this way)."""
        source = self._open("r")
        block = np.array(source[key])
        del source
        return block

    def read(self, rows: slice) -> np.ndarray:
        """The rows ``rows`` of the grid, as an array of their own."""
        return self[rows]

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
