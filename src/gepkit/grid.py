"""The accounting grid: the one raster geometry every layer is aligned onto.

All per-pixel quantities of a run live on the same :class:`AccountingGrid`, so that a pixel
belongs to exactly one administrative unit and no ecosystem is counted twice (methods
catalogue §3.2, "same ecosystem counted in two administrative units").  Distances and areas
need metres, so a run refuses a geographic (degree) grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pyproj
import xarray as xr
from affine import Affine

from gepkit.errors import GridError, Problem

#: China-wide Albers equal-area conic (standard parallels 25° N and 47° N, central meridian
#: 105° E) on the WGS84 datum: the usual projection of national land-cover and ecosystem
#: products (e.g. the ChinaCover / 全国生态状况 series).  Equal-area, so a cell's area is the
#: same everywhere and unit areas are pixel counts times one number.
CHINA_ALBERS = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
)

CRS_ALIASES = {"china-albers": CHINA_ALBERS, "china_albers": CHINA_ALBERS}


def resolve_crs(text: str) -> pyproj.CRS:
    """Parse a CRS given as an alias (``china-albers``), ``EPSG:xxxx``, PROJ string or WKT."""
    try:
        return pyproj.CRS.from_user_input(CRS_ALIASES.get(text.strip().lower(), text))
    except pyproj.exceptions.CRSError as err:
        raise GridError(
            Problem(
                where="grid",
                field="crs",
                message=f"'{text}' is not a coordinate reference system PROJ understands ({err})",
                hint="use 'china-albers', an EPSG code such as 'EPSG:32650', or a PROJ string",
            )
        ) from err


def is_metric(crs: pyproj.CRS) -> bool:
    """True when the CRS is projected with both axes in metres."""
    if not crs.is_projected:
        return False
    return all(axis.unit_name in ("metre", "meter") for axis in crs.axis_info[:2])


@dataclass(frozen=True)
class AccountingGrid:
    """A north-up raster geometry in a projected CRS with square cells in metres."""

    crs_wkt: str
    transform: Affine
    width: int
    height: int

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_bounds(
        cls,
        bounds: tuple[float, float, float, float],
        resolution: float,
        crs: pyproj.CRS | str,
        *,
        buffer_cells: int = 1,
    ) -> AccountingGrid:
        """The smallest grid aligned to multiples of ``resolution`` that covers ``bounds``.

        Snapping the origin to multiples of the resolution makes grids of different regions
        in the same CRS share pixel edges, so their results can be mosaicked.
        """
        crs = resolve_crs(crs) if isinstance(crs, str) else crs
        require_metric(crs, "grid")
        if not resolution > 0:
            raise GridError(
                Problem(where="grid", field="resolution", message="must be a positive number")
            )
        xmin, ymin, xmax, ymax = bounds
        pad = buffer_cells * resolution
        left = math.floor((xmin - pad) / resolution) * resolution
        bottom = math.floor((ymin - pad) / resolution) * resolution
        right = math.ceil((xmax + pad) / resolution) * resolution
        top = math.ceil((ymax + pad) / resolution) * resolution
        width = round((right - left) / resolution)
        height = round((top - bottom) / resolution)
        transform = Affine(resolution, 0.0, left, 0.0, -resolution, top)
        return cls(crs_wkt=crs.to_wkt(), transform=transform, width=width, height=height)

    # -- geometry ---------------------------------------------------------------------------

    @cached_property
    def crs(self) -> pyproj.CRS:
        return pyproj.CRS.from_wkt(self.crs_wkt)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def size(self) -> int:
        return self.height * self.width

    @property
    def resolution(self) -> float:
        return float(self.transform.a)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell in m² (exact on an equal-area CRS, nominal otherwise)."""
        return float(abs(self.transform.a * self.transform.e))

    @property
    def cell_area_ha(self) -> float:
        return self.cell_area_m2 / 1e4

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        left, top = self.transform.c, self.transform.f
        return (
            left,
            top + self.height * self.transform.e,
            left + self.width * self.transform.a,
            top,
        )

    @property
    def is_equal_area(self) -> bool:
        name = self.crs.coordinate_operation.method_name if self.crs.coordinate_operation else ""
        return "equal area" in name.lower() or "albers" in name.lower()

    def x_coords(self) -> np.ndarray:
        return self.transform.c + (np.arange(self.width) + 0.5) * self.transform.a

    def y_coords(self) -> np.ndarray:
        return self.transform.f + (np.arange(self.height) + 0.5) * self.transform.e

    def chunks(self, chunk: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Dask chunk sizes for square blocks of ``chunk`` cells."""
        return (_split(self.height, chunk), _split(self.width, chunk))

    # -- xarray -----------------------------------------------------------------------------

    def wrap(self, data: Any, *, name: str, units: str, **attrs: Any) -> xr.DataArray:
        """Put a (numpy or dask) array of the grid's shape into a DataArray with coordinates."""
        if tuple(data.shape[-2:]) != self.shape:
            raise GridError(
                Problem(
                    where=name,
                    message=f"array shape {data.shape} does not match the grid {self.shape}",
                )
            )
        dims = ("y", "x") if data.ndim == 2 else ("band", "y", "x")
        coords: dict[str, Any] = {"y": self.y_coords(), "x": self.x_coords()}
        if data.ndim == 3:
            coords["band"] = np.arange(1, data.shape[0] + 1)
        return xr.DataArray(
            data, dims=dims, coords=coords, name=name, attrs={"units": units, **attrs}
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description for the run manifest."""
        return {
            "crs": self.crs.to_string(),
            "resolution_m": self.resolution,
            "width": self.width,
            "height": self.height,
            "bounds": list(self.bounds),
            "transform": list(self.transform)[:6],
            "cell_area_m2": self.cell_area_m2,
            "equal_area": self.is_equal_area,
        }


def require_metric(crs: pyproj.CRS, where: str) -> None:
    if not is_metric(crs):
        unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown"
        raise GridError(
            Problem(
                where=where,
                field="crs",
                message=(
                    f"the accounting grid must be projected in metres, but '{crs.name}' "
                    f"measures in {unit}s; slopes, lengths and per-hectare formulas need metres"
                ),
                hint=(
                    "set [grid] crs = 'china-albers' (the default, equal-area) or a projected "
                    "CRS such as a UTM zone ('EPSG:32650')"
                ),
            )
        )


def _split(n: int, chunk: int) -> tuple[int, ...]:
    full, rest = divmod(n, chunk)
    return (chunk,) * full + ((rest,) if rest else ())
