"""Writing a synthetic region's rasters window by window as cloud-optimised GeoTIFFs (no
overviews), in the layout of :mod:`gepkit.io.cog_layout`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from gepkit.grid import CHINA_ALBERS
from gepkit.io.cog_layout import TILE, LayoutWriter, layout_profile
from gepkit.io.cog_layout import check_layout as check_layout
from gepkit.io.cog_layout import gdal_env as gdal_env
from gepkit.synth.landscape import Geometry


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
    return layout_profile(
        width=geometry.width,
        height=geometry.height,
        crs=CHINA_ALBERS,
        transform=rasterio.transform.from_origin(
            geometry.left, geometry.top, geometry.resolution, geometry.resolution
        ),
        dtype=spec.dtype,
        bands=spec.bands,
        nodata=spec.nodata,
    )


class RasterSet:
    """The open output files of a generation, written window by window."""

    def __init__(self, specs: dict[str, RasterSpec], geometry: Geometry):
        self.specs = specs
        self.geometry = geometry
        self.writers: dict[str, LayoutWriter] = {}

    def __enter__(self) -> RasterSet:
        try:
            for name, spec in self.specs.items():
                spec.path.parent.mkdir(parents=True, exist_ok=True)
                self.writers[name] = LayoutWriter(
                    spec.path,
                    creation_options(spec, self.geometry),
                    units=spec.units,
                    descriptions=spec.band_names or (spec.description,) * spec.bands,
                    tags=spec.tags,
                )
        except BaseException:
            self.close()
            raise
        return self

    def write(self, name: str, window: Window, data: np.ndarray) -> None:
        self.writers[name].write(window, data)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
