"""Writing rasters window by window as cloud-optimised GeoTIFFs (no overviews).

GDAL's COG driver needs the whole image up front (it copies a finished dataset), which would
hold a 185 M-cell layer in memory or write every file twice.  Instead each file is created
with the GTiff driver in the COG layout and filled in row-major tile order:

* tiled 512 × 512, DEFLATE (predictor 3 for floats, 2 for integers), pixel-interleaved bands;
* every tag (units, description, source) is set before the first tile is written, so GDAL
  writes the image file directory once, at the start of the file, ahead of the tile data;
* windows are one tile row high and a whole number of tiles wide, written left to right and
  top to bottom, so the tiles lie in the file in row-major order, as the COG layout asks;
* no overviews (not needed on the accounting grid), BigTIFF when the data may pass 4 GiB.

The files carry no time stamp, so the same data give the same bytes (:func:`check_layout`
verifies the layout of a written file).
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from gepkit.grid import CHINA_ALBERS
from gepkit.synth.landscape import Geometry

TILE = 512
#: DEFLATE level 1: about twice as fast to write as zlib's default 6, for files about 5 % larger;
#: reading (what a run pays) decompresses as fast either way.
DEFLATE_LEVEL = 1


@dataclass(frozen=True)
class RasterSpec:
    """One output file."""

    path: Path
    dtype: str
    bands: int
    units: str
    description: str
    nodata: float | None = None
    band_names: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)


def windows(geometry: Geometry, max_width: int = 4096) -> Iterator[Window]:
    """Windows one tile row high and at most ``max_width`` cells (whole tiles) wide, in
    row-major order."""
    step = max(TILE, (max_width // TILE) * TILE)
    for row in range(0, geometry.height, TILE):
        height = min(TILE, geometry.height - row)
        for col in range(0, geometry.width, step):
            yield Window(col, row, min(step, geometry.width - col), height)


def creation_options(spec: RasterSpec, geometry: Geometry) -> dict[str, Any]:
    floating = np.dtype(spec.dtype).kind == "f"
    return {
        "driver": "GTiff",
        "width": geometry.width,
        "height": geometry.height,
        "count": spec.bands,
        "dtype": spec.dtype,
        "crs": CHINA_ALBERS,
        "transform": rasterio.transform.from_origin(
            geometry.left, geometry.top, geometry.resolution, geometry.resolution
        ),
        "nodata": spec.nodata,
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


class RasterSet:
    """The open output files of a generation, written window by window."""

    def __init__(self, specs: dict[str, RasterSpec], geometry: Geometry):
        self.specs = specs
        self.geometry = geometry
        self.datasets: dict[str, Any] = {}

    def __enter__(self) -> RasterSet:
        try:
            for name, spec in self.specs.items():
                spec.path.parent.mkdir(parents=True, exist_ok=True)
                dst = rasterio.open(spec.path, "w", **creation_options(spec, self.geometry))
                self.datasets[name] = dst
                # tags before any data: the directory stays at the head of the file
                dst.update_tags(units=spec.units, **spec.tags)
                for band in range(1, spec.bands + 1):
                    dst.set_band_unit(band, spec.units)
                    names = spec.band_names
                    dst.set_band_description(band, names[band - 1] if names else spec.description)
        except BaseException:
            self.close()
            raise
        return self

    def write(self, name: str, window: Window, data: np.ndarray) -> None:
        data = data if data.ndim == 3 else data[None]
        dst = self.datasets[name]
        dst.write(data.astype(dst.dtypes[0], copy=False), window=window)

    def close(self) -> None:
        for dst in self.datasets.values():
            dst.close()
        self.datasets.clear()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def gdal_env(cache_mb: int = 256) -> rasterio.Env:
    """A GDAL environment with a bounded block cache (tiles are compressed as they leave
    it)."""
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
