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
import rasterio.windows
from affine import Affine
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.io import MemoryFile
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
    scales: tuple[float, ...] = ()
    """The bands' own scale factors (netCDF ``scale_factor``, GeoTIFF scale metadata)."""
    offsets: tuple[float, ...] = ()
    crs_assumed: bool = False
    """The file has no CRS; ``crs_wkt`` is the one the caller supplied."""

    @property
    def packed(self) -> bool:
        """True when the file declares a scale or offset other than 1 and 0."""
        return any(s != 1.0 for s in self.scales) or any(o != 0.0 for o in self.offsets)

    @property
    def crs(self) -> pyproj.CRS:
        return pyproj.CRS.from_wkt(self.crs_wkt)

    def bounds_in(self, crs: pyproj.CRS) -> tuple[float, float, float, float]:
        return _transform_bounds(self.crs, crs, self.bounds)

    def pixel_size_in(self, grid: AccountingGrid) -> float:
        """Approximate side of one source pixel measured in grid units (metres)."""
        left, bottom, right, top = self.bounds_in(grid.crs)
        return math.sqrt(((right - left) / self.width) * ((top - bottom) / self.height))


def inspect_raster(path: Path, where: str, *, crs: str | None = None) -> RasterInfo:
    """Open a raster's header; raise :class:`InputError` naming the file when that fails.

    ``crs`` is assumed for a file that carries no CRS (a netCDF without grid mapping); a file's
    own CRS always wins.
    """
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
            if src.crs is None and crs is None:
                raise InputError(
                    Problem(
                        where=where,
                        message=f"{path.name} has no coordinate reference system",
                        hint="assign the CRS (e.g. gdal_edit.py -a_srs EPSG:4326 FILE), or "
                        "set crs = 'EPSG:4326' in the layer's [inputs] section",
                    )
                )
            if src.crs is None:
                try:
                    crs_wkt = pyproj.CRS.from_user_input(crs).to_wkt()
                except pyproj.exceptions.CRSError as err:
                    raise InputError(
                        Problem(where=where, field="crs", message=f"unknown CRS {crs!r}: {err}")
                    ) from err
            else:
                crs_wkt = src.crs.to_wkt()
            units = src.units[0] if src.units and src.units[0] else None
            return RasterInfo(
                path=path,
                crs_wkt=crs_wkt,
                bounds=tuple(src.bounds),
                width=src.width,
                height=src.height,
                count=src.count,
                dtype=src.dtypes[0],
                nodata=src.nodata,
                transform=src.transform,
                units=units,
                tags=dict(src.tags()),
                scales=tuple(float(v) for v in src.scales),
                offsets=tuple(float(v) for v in src.offsets),
                crs_assumed=src.crs is None,
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
    """A raster file seen through the accounting grid; sliceable, picklable, read on demand.

    Raw values equal to ``nodata`` (default: the file's), equal to one of ``fill_values`` or
    outside ``valid_range`` are missing.  Fill values and valid ranges are applied to the raw
    values *before* resampling, so that a fill code is never averaged into real values.
    """

    def __init__(
        self,
        path: Path,
        grid: AccountingGrid,
        *,
        bands: list[int],
        resampling: str,
        nodata: float | None,
        fill_values: tuple[float, ...] = (),
        valid_range: tuple[float | None, float | None] | None = None,
        src_crs: str | None = None,
    ):
        self.path = str(path)
        self.grid = grid
        self.bands = bands
        self.resampling = resampling
        self.nodata = nodata
        self.fill_values = tuple(float(v) for v in fill_values)
        self.valid_range = valid_range
        self.src_crs = src_crs
        self.dtype = np.dtype("float32")
        self.shape: tuple[int, ...] = (len(bands), *grid.shape) if len(bands) > 1 else grid.shape
        self.ndim = len(self.shape)
        self.warp_scale = _warp_scale(path, grid, src_crs)

    @property
    def masked(self) -> bool:
        """True when values beyond the single nodata value are masked (fills, valid range)."""
        return bool(self.fill_values) or self.valid_range is not None

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
                self.fill_values,
                self.valid_range,
                self.src_crs,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        rows, cols = key[-2], key[-1]
        r0, r1, _ = rows.indices(self.grid.height)
        c0, c1, _ = cols.indices(self.grid.width)
        window = Window(c0, r0, c1 - c0, r1 - r0)
        if self.ndim == 3:
            return self._read(window, self.bands[key[0]])
        return self._read(window, self.bands)[0]

    def _crs_of(self, src: Any) -> Any:
        return src.crs if src.crs is not None else self.src_crs

    def _invalid(self, data: np.ndarray, nodata: float | None) -> np.ndarray:
        mask = _nodata_mask(data, nodata)
        for value in self.fill_values:
            mask |= data == value
        if self.valid_range is not None:
            low, high = self.valid_range
            if low is not None:
                mask |= data < low
            if high is not None:
                mask |= data > high
        return mask

    def _read(self, window: Window, bands: list[int]) -> np.ndarray:
        with rasterio.open(self.path) as src:
            nodata = self.nodata if self.nodata is not None else src.nodata
            if _on_grid(src, self.grid, self._crs_of(src)):
                col_off = round((self.grid.transform.c - src.transform.c) / src.transform.a)
                row_off = round((self.grid.transform.f - src.transform.f) / src.transform.e)
                src_window = Window(
                    window.col_off + col_off, window.row_off + row_off, window.width, window.height
                )
                inside = _window_inside(src, src_window)
                if inside and src.dtypes[0] not in WIDE_INTEGERS:
                    # The usual case: a plain read in the file's own type (a boundless read
                    # goes through a VRT, and float64 doubles the bytes: 2–2.4× slower);
                    # fill values are compared in that type, as GDAL wrote them.
                    data = src.read(bands, window=src_window)
                else:
                    data = src.read(
                        bands,
                        window=src_window,
                        boundless=True,
                        fill_value=nodata if nodata is not None else 0,
                        out_dtype="float64",
                    )
                mask = self._invalid(data, nodata)
                if not inside:
                    mask |= _outside_mask(src, src_window)
            elif self.masked:
                data = self._warp_masked(src, window, bands, nodata)
                mask = np.isnan(data)
            else:
                with WarpedVRT(
                    src,
                    src_crs=self._crs_of(src),
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
                    data = vrt.read(bands, window=window, out_dtype="float64")
                mask = np.isnan(data)
        out = data.astype("float32")
        out[mask] = np.nan
        return out

    def _warp_masked(
        self, src: Any, window: Window, bands: list[int], nodata: float | None
    ) -> np.ndarray:
        """Warp one block after masking the raw values: read the source pixels the block needs
        (with a margin for the resampling kernel), set fills and out-of-range values to NaN and
        warp them with the same GDAL options as the plain path."""
        height, width = int(window.height), int(window.width)
        out = np.full((len(bands), height, width), np.nan, dtype="float32")
        src_crs = self._crs_of(src)
        left, bottom, right, top = rasterio.windows.bounds(window, self.grid.transform)
        src_bounds = _transform_bounds(
            self.grid.crs, pyproj.CRS.from_user_input(src_crs), (left, bottom, right, top)
        )
        approx = rasterio.windows.from_bounds(*src_bounds, transform=src.transform)
        # Kernel radius in source pixels grows as the source gets finer than the grid.
        margin = math.ceil(3.0 / min(1.0, *self.warp_scale)) + 2
        col0 = max(0, math.floor(approx.col_off) - margin)
        row0 = max(0, math.floor(approx.row_off) - margin)
        col1 = min(src.width, math.ceil(approx.col_off + approx.width) + margin)
        row1 = min(src.height, math.ceil(approx.row_off + approx.height) + margin)
        if col1 <= col0 or row1 <= row0:
            return out.astype("float64")
        src_window = Window(col0, row0, col1 - col0, row1 - row0)
        raw = src.read(bands, window=src_window, out_dtype="float64")
        raw[self._invalid(raw, nodata)] = np.nan
        # The masked pixels go through a warped VRT of the *whole* grid, as on the plain path:
        # GDAL then warps in its own blocks of the grid, so results do not depend on the dask
        # block being read (the approximate transformer is evaluated per GDAL block).
        with MemoryFile() as memory:
            with memory.open(
                driver="GTiff",
                width=src_window.width,
                height=src_window.height,
                count=len(bands),
                dtype="float32",
                crs=src_crs,
                transform=src.window_transform(src_window),
                nodata=np.nan,
            ) as masked:
                masked.write(raw.astype("float32"))
            with (
                memory.open() as masked,
                WarpedVRT(
                    masked,
                    crs=self.grid.crs.to_wkt(),
                    transform=self.grid.transform,
                    width=self.grid.width,
                    height=self.grid.height,
                    resampling=RESAMPLING[self.resampling],
                    src_nodata=np.nan,
                    nodata=np.nan,
                    dtype="float32",
                    XSCALE=self.warp_scale[0],
                    YSCALE=self.warp_scale[1],
                ) as vrt,
            ):
                out = vrt.read(list(range(1, len(bands) + 1)), window=window, out_dtype="float32")
        return out.astype("float64")


#: Bytes of one dask block of a stack (bands × rows × columns of float32), roughly.
STACK_BLOCK_BYTES = 256 * 2**20


def read_aligned(
    path: Path,
    grid: AccountingGrid,
    *,
    bands: list[int],
    resampling: str,
    nodata: float | None,
    chunk: int,
    fill_values: tuple[float, ...] = (),
    valid_range: tuple[float | None, float | None] | None = None,
    src_crs: str | None = None,
) -> da.Array:
    """A lazy float32 dask array of the file on ``grid`` (NaN where there is no data).

    Stacks of many bands (a year of days) are split into groups of bands so that one block
    stays near :data:`STACK_BLOCK_BYTES`.
    """
    source = AlignedSource(
        path,
        grid,
        bands=bands,
        resampling=resampling,
        nodata=nodata,
        fill_values=fill_values,
        valid_range=valid_range,
        src_crs=src_crs,
    )
    chunks: tuple[Any, ...] = grid.chunks(chunk)
    if source.ndim == 3:
        per_band = 4 * max(chunks[0]) * max(chunks[1])
        group = max(1, min(len(bands), STACK_BLOCK_BYTES // per_band))
        sizes = [group] * (len(bands) // group) + (
            [len(bands) % group] if len(bands) % group else []
        )
        chunks = (tuple(sizes), *chunks)
    return da.from_array(
        source,
        chunks=chunks,
        name=f"read-{source.token()}",
        asarray=False,
        fancy=False,
        lock=False,
        meta=np.empty((0,) * source.ndim, dtype="float32"),
    )


def _warp_scale(
    path: Path, grid: AccountingGrid, src_crs: str | None = None
) -> tuple[float, float]:
    """Grid cells per source pixel along x and y (GDAL's XSCALE/YSCALE warp options)."""
    with rasterio.open(path) as src:
        crs = (
            pyproj.CRS.from_wkt(src.crs.to_wkt())
            if src.crs is not None
            else pyproj.CRS.from_user_input(src_crs)
        )
        left, bottom, right, top = _transform_bounds(crs, grid.crs, tuple(src.bounds))
        return (
            (right - left) / src.width / grid.resolution,
            (top - bottom) / src.height / grid.resolution,
        )


def _on_grid(src: Any, grid: AccountingGrid, crs: Any = None) -> bool:
    """True when the file's pixels are exactly the grid's (same CRS, size and pixel edges)."""
    crs = src.crs if crs is None else crs
    if crs is None or not pyproj.CRS.from_user_input(
        crs.to_wkt() if hasattr(crs, "to_wkt") else crs
    ).equals(grid.crs, ignore_axis_order=True):
        return False
    t, g = src.transform, grid.transform
    if not (math.isclose(t.a, g.a) and math.isclose(t.e, g.e) and t.b == 0 and t.d == 0):
        return False
    dx, dy = (g.c - t.c) / t.a, (g.f - t.f) / t.e
    return math.isclose(dx, round(dx), abs_tol=1e-6) and math.isclose(dy, round(dy), abs_tol=1e-6)


#: Integer types whose values float32 cannot hold exactly: read through float64 as before (the
#: same rounding to float32 in the end).
WIDE_INTEGERS = frozenset({"int64", "uint64"})


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
