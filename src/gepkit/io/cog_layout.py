"""GeoTIFFs written window by window in the cloud-optimised layout (no overviews).

GDAL's COG driver needs the whole image up front (it copies a finished dataset), which would
hold a 185 M-cell layer in memory or write every file twice.  Instead each file is created with
the GTiff driver in the COG layout and filled in row-major tile order:

* tiled 512 × 512, DEFLATE (predictor 3 for floats, 2 for integers), pixel-interleaved bands;
* every tag (units, description, source) is set before the first tile is written, so GDAL writes
  the image file directory once, at the start of the file, ahead of the tile data;
* windows are whole tile rows (:data:`TILE` rows high, or the last rows of the image), written
  top to bottom, so the tiles lie in the file in row-major order, as the COG layout asks;
* no overviews (a GIS builds them on demand), BigTIFF when the data may pass 4 GiB.

The files carry no time stamp, so the same data give the same bytes (:func:`check_layout`
verifies the layout of a written file).  Used for the synthetic regions (gepkit.synth) and a
run's maps (gepkit.pipeline).
"""

from __future__ import annotations

import itertools
import math
import struct
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

TILE = 512
#: DEFLATE level 1: about twice as fast to write as zlib's default 6, for files about 2–5 %
#: larger (a 16 M-cell float32 map: 0.63 s against 1.24 s, 51 MB against 50 MB on two cores);
#: reading decompresses as fast either way.
DEFLATE_LEVEL = 1


def layout_profile(
    *,
    width: int,
    height: int,
    crs: str,
    transform: Affine,
    dtype: str,
    bands: int = 1,
    nodata: float | None = None,
) -> dict[str, Any]:
    """rasterio creation options of a COG-layout GeoTIFF."""
    floating = np.dtype(dtype).kind == "f"
    return {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": bands,
        "dtype": dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "compress": "DEFLATE",
        "zlevel": DEFLATE_LEVEL,
        "predictor": 3 if floating else 2,
        "interleave": "pixel",
        "bigtiff": "IF_SAFER",
        "num_threads": "ALL_CPUS",
    }


class LayoutWriter:
    """One COG-layout GeoTIFF open for writing in row-major windows.

    Tags, band units and descriptions are set on opening (before any tile); :meth:`write`
    refuses a window that is not the next one in row-major tile order, so a caller cannot break
    the layout by accident."""

    def __init__(
        self,
        path: Path,
        profile: dict[str, Any],
        *,
        units: str,
        descriptions: tuple[str, ...],
        tags: dict[str, str] | None = None,
    ):
        self.path = path
        self.dataset = rasterio.open(path, "w", **profile)
        self._next = (0, 0)  # (row, col) the next window must start at
        self._row_height = 0
        try:
            self.dataset.update_tags(units=units, **(tags or {}))
            for band in range(1, profile["count"] + 1):
                self.dataset.set_band_unit(band, units)
                self.dataset.set_band_description(band, descriptions[band - 1])
        except BaseException:
            self.dataset.close()
            raise

    def write(self, window: Window, data: np.ndarray) -> None:
        """Write ``data`` (rows × cols, or bands × rows × cols) at ``window``: the next window of
        a tile row, left to right, tile rows top to bottom."""
        row, col = int(window.row_off), int(window.col_off)
        height = int(window.height)
        if (row, col) != self._next or (col > 0 and height != self._row_height):
            raise ValueError(
                f"{self.path.name}: window at row {row}, column {col} is out of row-major order "
                f"(next: row {self._next[0]}, column {self._next[1]})"
            )
        if row % TILE or (height % TILE and row + height != self.dataset.height):
            raise ValueError(
                f"{self.path.name}: window rows {row}–{row + height} are not tile rows"
            )
        data = data if data.ndim == 3 else data[None]
        self.dataset.write(data.astype(self.dataset.dtypes[0], copy=False), window=window)
        end = col + int(window.width)
        self._row_height = height
        self._next = (row, end) if end < self.dataset.width else (row + height, 0)

    def close(self) -> None:
        self.dataset.close()

    def __enter__(self) -> LayoutWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def gdal_env(cache_mb: int = 256) -> rasterio.Env:
    """A GDAL environment with a bounded block cache (tiles are compressed as they leave it,
    in as many threads as cores)."""
    return rasterio.Env(GDAL_CACHEMAX=cache_mb, GDAL_NUM_THREADS="ALL_CPUS")


def check_layout(path: Path) -> list[str]:
    """Problems with the COG layout of a GeoTIFF written here (empty when it conforms): tiled
    512 × 512, DEFLATE, the first image directory at the head of the file, no other directory
    (overviews) and the tiles in row-major order, after the directory."""
    problems: list[str] = []
    with rasterio.open(path) as src:
        if src.block_shapes[0] != (TILE, TILE):
            problems.append(f"blocks {src.block_shapes[0]}, not {TILE} × {TILE}")
        if (src.compression is None) or src.compression.name.lower() != "deflate":
            problems.append(f"compression {src.compression}")
        if src.overviews(1):
            problems.append("has overviews")
        offsets = [
            int(src.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=1) or 0)
            for row in range(math.ceil(src.height / TILE))
            for col in range(math.ceil(src.width / TILE))
        ]
    first_ifd = _first_ifd_offset(path)
    if first_ifd > 16:
        problems.append(f"the image directory starts at byte {first_ifd}, not at the head")
    if min(offsets) <= first_ifd:
        problems.append("tile data before the image directory")
    if any(b <= a for a, b in itertools.pairwise(offsets)):
        problems.append("tiles are not in row-major order")
    return problems


def _first_ifd_offset(path: Path) -> int:
    with open(path, "rb") as f:
        head = f.read(16)
    order = "<" if head[:2] == b"II" else ">"
    (magic,) = struct.unpack(order + "H", head[2:4])
    if magic == 43:  # BigTIFF
        return int(struct.unpack(order + "Q", head[8:16])[0])
    return int(struct.unpack(order + "I", head[4:8])[0])
