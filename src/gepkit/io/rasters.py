"""Reading rasters of any CRS and resolution onto the accounting grid, lazily.

A layer becomes a dask array on the :class:`~gepkit.grid.AccountingGrid`.  Each dask block is
read on demand through a GDAL warped VRT (or a plain window when the file is already on the
grid), so memory stays bounded and blocks can be read in parallel or on other machines.  File
nodata becomes NaN here and nowhere else.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pyproj
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from gepkit.errors import GridError, InputError, Problem
from gepkit.grid import AccountingGrid

RESAMPLING = {
    "nearest": Resampling.nearest,
    "mode": Resampling.mode,
    "bilinear": Resampling.bilinear,
    "average": Resampling.average,
    "cubic": Resampling.cubic,
}


@dataclass(frozen=True)
class RasterInfo:
    """What a raster file's header says (no pixels read)."""

    path: Path
    crs_wkt: str
    bounds: tuple[float, float, float, float]
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None
    transform: Affine
    units: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def crs(self) -> pyproj.CRS:
        return pyproj.CRS.from_wkt(self.crs_wkt)

    def bounds_in(self, crs: pyproj.CRS) -> tuple[float, float, float, float]:
        return _transform_bounds(self.crs, crs, self.bounds)

    def pixel_size_in(self, grid: AccountingGrid) -> float:
        """Approximate side of one source pixel measured in grid units (metres)."""
        left, bottom, right, top = self.bounds_in(grid.crs)
        return math.sqrt(((right - left) / self.width) * ((top - bottom) / self.height))


def inspect_raster(path: Path, where: str) -> RasterInfo:
    """Open a raster's header; raise :class:`InputError` naming the file when that fails."""
    if not path.is_file():
        raise InputError(
            Problem(
                where=where,
                message=f"file not found: {path}",
                hint="check the path (relative paths are resolved against the config file)",
            )
        )
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(
                    Problem(
                        where=where,
                        message=f"{path.name} has no coordinate reference system",
                        hint="assign the CRS (e.g. gdal_edit.py -a_srs EPSG:4326 FILE)",
                    )
                )
            units = src.units[0] if src.units and src.units[0] else None
            return RasterInfo(
                path=path,
                crs_wkt=src.crs.to_wkt(),
                bounds=tuple(src.bounds),
                width=src.width,
                height=src.height,
                count=src.count,
                dtype=src.dtypes[0],
                nodata=src.nodata,
                transform=src.transform,
                units=units,
                tags=dict(src.tags()),
            )
    except RasterioIOError as err:
        raise InputError(
            Problem(
                where=where,
                message=f"{path.name} is not a readable raster ({err})",
                hint="check that the file is a complete GeoTIFF (or another GDAL format)",
            )
        ) from err


def coverage_fraction(
    info: RasterInfo, region_bounds: tuple[float, float, float, float], crs: pyproj.CRS
) -> float:
    """Share of the region's bounding box (in ``crs``) that the raster's extent covers."""
    left, bottom, right, top = info.bounds_in(crs)
    rl, rb, rr, rt = region_bounds
    width = max(0.0, min(right, rr) - max(left, rl))
    height = max(0.0, min(top, rt) - max(bottom, rb))
    area = (rr - rl) * (rt - rb)
    return (width * height) / area if area > 0 else 0.0


def choose_resampling(kind: str, info: RasterInfo, grid: AccountingGrid, requested: str) -> str:
    """The resampling rule for a layer: by its kind and by source versus grid pixel size.

    Categorical layers take the nearest class, or the most frequent class (mode) when several
    source pixels fall into one grid cell; continuous layers are interpolated bilinearly, or
    averaged when the source is finer than the grid.
    """
    if requested != "auto":
        return requested
    finer = info.pixel_size_in(grid) < 0.5 * grid.resolution
    if kind == "categorical":
        return "mode" if finer else "nearest"
    return "average" if finer else "bilinear"


class AlignedSource:
    """A raster file seen through the accounting grid; sliceable, picklable, read on demand."""

    def __init__(
        self,
        path: Path,
        grid: AccountingGrid,
        *,
        bands: list[int],
        resampling: str,
        nodata: float | None,
    ):
        self.path = str(path)
        self.grid = grid
        self.bands = bands
        self.resampling = resampling
        self.nodata = nodata
        self.dtype = np.dtype("float32")
        self.shape: tuple[int, ...] = (len(bands), *grid.shape) if len(bands) > 1 else grid.shape
        self.ndim = len(self.shape)
        self.warp_scale = _warp_scale(path, grid)

    def token(self) -> str:
        stat = Path(self.path).stat()
        text = repr(
            (
                self.path,
                stat.st_size,
                stat.st_mtime_ns,
                self.grid.crs_wkt,
                tuple(self.grid.transform),
                self.grid.shape,
                self.bands,
                self.resampling,
                self.nodata,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        rows, cols = key[-2], key[-1]
        r0, r1, _ = rows.indices(self.grid.height)
        c0, c1, _ = cols.indices(self.grid.width)
        window = Window(c0, r0, c1 - c0, r1 - r0)
        data = self._read(window)
        if self.ndim == 3:
            return data[key[0]]
        return data[0]

    def _read(self, window: Window) -> np.ndarray:
        with rasterio.open(self.path) as src:
            nodata = self.nodata if self.nodata is not None else src.nodata
            if _on_grid(src, self.grid):
                col_off = round((self.grid.transform.c - src.transform.c) / src.transform.a)
                row_off = round((self.grid.transform.f - src.transform.f) / src.transform.e)
                src_window = Window(
                    window.col_off + col_off, window.row_off + row_off, window.width, window.height
                )
                data = src.read(
                    self.bands,
                    window=src_window,
                    boundless=True,
                    fill_value=nodata if nodata is not None else 0,
                    out_dtype="float64",
                )
                mask = _nodata_mask(data, nodata)
                if not _window_inside(src, src_window):
                    mask |= _outside_mask(src, src_window)
            else:
                with WarpedVRT(
                    src,
                    crs=self.grid.crs.to_wkt(),
                    transform=self.grid.transform,
                    width=self.grid.width,
                    height=self.grid.height,
                    resampling=RESAMPLING[self.resampling],
                    src_nodata=nodata,
                    nodata=np.nan,
                    dtype="float32",
                    # Fixed kernel scale: GDAL would otherwise derive it from each requested
                    # window, and bilinear or cubic results would depend on the block size.
                    XSCALE=self.warp_scale[0],
                    YSCALE=self.warp_scale[1],
                ) as vrt:
                    data = vrt.read(self.bands, window=window, out_dtype="float64")
                mask = np.isnan(data)
        out = data.astype("float32")
        out[mask] = np.nan
        return out


def read_aligned(
    path: Path,
    grid: AccountingGrid,
    *,
    bands: list[int],
    resampling: str,
    nodata: float | None,
    chunk: int,
) -> da.Array:
    """A lazy float32 dask array of the file on ``grid`` (NaN where there is no data)."""
    source = AlignedSource(path, grid, bands=bands, resampling=resampling, nodata=nodata)
    chunks: tuple[Any, ...] = grid.chunks(chunk)
    if source.ndim == 3:
        chunks = ((len(bands),), *chunks)
    return da.from_array(
        source,
        chunks=chunks,
        name=f"read-{source.token()}",
        asarray=False,
        fancy=False,
        lock=False,
        meta=np.empty((0,) * source.ndim, dtype="float32"),
    )


def _warp_scale(path: Path, grid: AccountingGrid) -> tuple[float, float]:
    """Grid cells per source pixel along x and y (GDAL's XSCALE/YSCALE warp options)."""
    with rasterio.open(path) as src:
        crs = pyproj.CRS.from_wkt(src.crs.to_wkt())
        left, bottom, right, top = _transform_bounds(crs, grid.crs, tuple(src.bounds))
        return (
            (right - left) / src.width / grid.resolution,
            (top - bottom) / src.height / grid.resolution,
        )


def _on_grid(src: Any, grid: AccountingGrid) -> bool:
    """True when the file's pixels are exactly the grid's (same CRS, size and pixel edges)."""
    if src.crs is None or not pyproj.CRS.from_wkt(src.crs.to_wkt()).equals(
        grid.crs, ignore_axis_order=True
    ):
        return False
    t, g = src.transform, grid.transform
    if not (math.isclose(t.a, g.a) and math.isclose(t.e, g.e) and t.b == 0 and t.d == 0):
        return False
    dx, dy = (g.c - t.c) / t.a, (g.f - t.f) / t.e
    return math.isclose(dx, round(dx), abs_tol=1e-6) and math.isclose(dy, round(dy), abs_tol=1e-6)


def _nodata_mask(data: np.ndarray, nodata: float | None) -> np.ndarray:
    mask = np.isnan(data)
    if nodata is not None and not math.isnan(nodata):
        mask |= data == nodata
    return mask


def _window_inside(src: Any, window: Window) -> bool:
    return bool(
        window.col_off >= 0
        and window.row_off >= 0
        and window.col_off + window.width <= src.width
        and window.row_off + window.height <= src.height
    )


def _outside_mask(src: Any, window: Window) -> np.ndarray:
    rows = np.arange(window.row_off, window.row_off + window.height)
    cols = np.arange(window.col_off, window.col_off + window.width)
    inside = ((rows >= 0) & (rows < src.height))[:, None] & ((cols >= 0) & (cols < src.width))[
        None, :
    ]
    return ~inside[None, :, :]  # broadcasts over bands


def _transform_bounds(
    src: pyproj.CRS, dst: pyproj.CRS, bounds: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    if src.equals(dst, ignore_axis_order=True):
        return bounds
    try:
        return tuple(transform_bounds(src.to_wkt(), dst.to_wkt(), *bounds, densify_pts=21))
    except Exception as err:  # pragma: no cover - PROJ failure on absurd extents
        raise GridError(
            Problem(where="grid", message=f"cannot transform bounds {bounds}: {err}")
        ) from err
