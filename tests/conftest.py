"""Shared fixtures: a small synthetic region whose account can be computed by hand.

The region lies in the China Albers CRS at 1 km resolution: a province (990000) with two cities
(990100, 990200), each with two 4 km × 4 km counties (16 cells of 1 km² each):

    990101 evergreen broadleaf forest (IGBP 2 → 11)   990102 grassland (IGBP 10 → 33)
    990201 cropland (IGBP 12 → 51)                    990202 water (IGBP 0 → 42)

Every layer is constant (the DEM is an inclined plane with a 5 % gradient), so each item's
quantity per cell follows from the formulas by hand.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from gepkit.grid import CHINA_ALBERS

X0, Y0 = 1_000_000.0, 3_000_000.0  # south-west corner of the region (metres, China Albers)
CELL = 1000.0
COUNTY = 4000.0
#: Rasters extend this far beyond the region on every side.
MARGIN = 5000.0

COUNTIES = {
    # code: (column, row) of the 4 km block, IGBP class, parent city
    "990101": ((0, 1), 2, "990100"),
    "990102": ((1, 1), 10, "990100"),
    "990201": ((0, 0), 12, "990200"),
    "990202": ((1, 0), 0, "990200"),
}

PRECIP_MM = 1600.0
ET_MM = 700.0
NPP_GC = 600.0
TEMP_C = 15.0
R_FACTOR = 8000.0
K_FACTOR = 0.03
NDVI = 0.8
DEM_GRADIENT = 0.05  # m per m, rising to the east


def county_box(code: str):
    (col, row), _, _ = COUNTIES[code]
    x, y = X0 + col * COUNTY, Y0 + row * COUNTY
    return box(x, y, x + COUNTY, y + COUNTY)


def write_units(
    path: Path,
    *,
    drop: tuple[str, ...] = (),
    rename: dict[str, str] | None = None,
    duplicate: bool = False,
) -> None:
    rows: list[dict[str, Any]] = [
        {
            "code": "990000",
            "name": "测试省",
            "parent_code": "",
            "level": "province",
            "geometry": box(X0, Y0, X0 + 2 * COUNTY, Y0 + 2 * COUNTY),
        },
        {
            "code": "990100",
            "name": "甲市",
            "parent_code": "990000",
            "level": "city",
            "geometry": box(X0, Y0 + COUNTY, X0 + 2 * COUNTY, Y0 + 2 * COUNTY),
        },
        {
            "code": "990200",
            "name": "乙市",
            "parent_code": "990000",
            "level": "city",
            "geometry": box(X0, Y0, X0 + 2 * COUNTY, Y0 + COUNTY),
        },
    ]
    for code, (_, _, parent) in COUNTIES.items():
        rows.append(
            {
                "code": code,
                "name": f"县{code[-2:]}",
                "parent_code": parent,
                "level": "county",
                "geometry": county_box(code),
            }
        )
    if duplicate:
        rows[-1] = {**rows[-1], "code": rows[-2]["code"]}
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=CHINA_ALBERS)
    frame = frame.drop(columns=list(drop)).rename(columns=rename or {})
    frame.to_file(path, driver="GPKG")


def raster_grid() -> tuple[Affine, int, int]:
    left, top = X0 - MARGIN, Y0 + 2 * COUNTY + MARGIN
    size = int((2 * COUNTY + 2 * MARGIN) / CELL)
    return Affine(CELL, 0, left, 0, -CELL, top), size, size


def write_raster(
    path: Path,
    data: np.ndarray,
    *,
    nodata: float | None = None,
    crs: str = CHINA_ALBERS,
    transform: Affine | None = None,
) -> None:
    data = data if data.ndim == 3 else data[None]
    t = transform if transform is not None else raster_grid()[0]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=data.dtype,
        crs=crs,
        transform=t,
        nodata=nodata,
    ) as dst:
        dst.write(data)


def landcover_array() -> np.ndarray:
    transform, width, height = raster_grid()
    out = np.full((height, width), 255, dtype="uint8")
    xs = transform.c + (np.arange(width) + 0.5) * CELL
    ys = transform.f - (np.arange(height) + 0.5) * CELL
    for _code, ((col, row), igbp, _) in COUNTIES.items():
        x0, y0 = X0 + col * COUNTY, Y0 + row * COUNTY
        inside_x = (xs > x0) & (xs < x0 + COUNTY)
        inside_y = (ys > y0) & (ys < y0 + COUNTY)
        out[np.ix_(inside_y, inside_x)] = igbp
    # the margin outside the region: grassland, so layers are valid around the units too
    out[out == 255] = 10
    return out


#: Side of a quadrant: the region is 4 × 4 quadrants of 2 km × 2 km (4 cells each), each county
#: 2 × 2 quadrants.  Row 0 is the northern row, column 0 the western one.
QUADRANT = COUNTY / 2


def write_quadrant_raster(
    path: Path,
    codes: Any,
    *,
    crs: str,
    dtype: str,
    nodata: float | None,
    pixel: float,
    margin: float | None = None,
) -> None:
    """A categorical raster in any CRS: each pixel takes ``codes[row][col]`` of the quadrant that
    holds its centre (``codes`` is 4 × 4, see QUADRANT) and ``margin`` (default: ``nodata``)
    outside the region.  ``pixel`` is the pixel size in the CRS's units; with pixels much finer
    than the 1 km grid, the mode resampling gives every grid cell its quadrant's code."""
    from pyproj import Transformer
    from rasterio.warp import transform_bounds

    table = np.asarray(codes)
    assert table.shape == (4, 4)
    left, bottom, right, top = transform_bounds(
        CHINA_ALBERS,
        crs,
        X0 - MARGIN,
        Y0 - MARGIN,
        X0 + 2 * COUNTY + MARGIN,
        Y0 + 2 * COUNTY + MARGIN,
        densify_pts=21,
    )
    width, height = int(np.ceil((right - left) / pixel)), int(np.ceil((top - bottom) / pixel))
    xs = left + (np.arange(width) + 0.5) * pixel
    ys = top - (np.arange(height) + 0.5) * pixel
    gx, gy = np.meshgrid(xs, ys)
    ax, ay = Transformer.from_crs(crs, CHINA_ALBERS, always_xy=True).transform(gx, gy)
    col = np.floor((ax - X0) / QUADRANT).astype(int)
    row = np.floor((Y0 + 2 * COUNTY - ay) / QUADRANT).astype(int)
    inside = (col >= 0) & (col < 4) & (row >= 0) & (row < 4)
    fill = margin if margin is not None else nodata
    assert fill is not None
    out = np.full((height, width), fill, dtype=dtype)
    out[inside] = table[row[inside], col[inside]]
    write_raster(
        path,
        out,
        nodata=nodata,
        crs=crs,
        transform=Affine(pixel, 0, left, 0, -pixel, top),
    )


#: The items the synthetic region computes unless a test selects others with select_items().
BASE_ITEMS = ["water_conservation", "soil_retention", "carbon_sequestration", "oxygen_release"]
BASE_ITEMS_LINE = "items = " + json.dumps(BASE_ITEMS)


def select_items(config: Path, items: list[str]) -> None:
    """Replace the synthetic region's item list in its gep.toml."""
    text = config.read_text(encoding="utf-8")
    assert BASE_ITEMS_LINE in text
    config.write_text(
        text.replace(BASE_ITEMS_LINE, "items = " + json.dumps(list(items))), encoding="utf-8"
    )


CONFIG = """
[region]
name = "测试省"
name_en = "Test province"
code = "990000"

[run]
years = [2020]
profile = "DB36/T 1402-2021"
{items_line}
chunk = {chunk}

[units]
path = "units.gpkg"

[grid]
crs = "{grid_crs}"
resolution = 1000

[inputs.landcover]
path = "landcover.tif"
crosswalk = "{crosswalk}"

[inputs.dem]
path = "dem.tif"
units = "m"

[inputs.ndvi]
path = "ndvi.tif"
units = "dimensionless"

[inputs.precipitation_monthly]
path = "precip_monthly_{{year}}.tif"
units = "{precip_units}"

[inputs.temperature_monthly]
path = "temp_monthly_{{year}}.tif"
units = "degC"

[inputs.actual_et]
path = "et_{{year}}.tif"
units = "mm"

[inputs.npp]
path = "npp_{{year}}.tif"
units = "gC/m^2"

[inputs.rainfall_erosivity]
path = "erosivity.tif"
units = "MJ*mm/(hectare*h)"

[inputs.soil_erodibility]
path = "erodibility.tif"
units = "t*hectare*h/(hectare*MJ*mm)"

[statistics.population]
path = "population.csv"
value_field = "population"
units = "person"

{extra}
"""


def build_region(
    folder: Path,
    *,
    chunk: int = 1024,
    grid_crs: str = "china-albers",
    crosswalk: str = "modis_igbp",
    precip_units: str = "mm",
    extra: str = "",
    years: tuple[int, ...] = (2020,),
) -> Path:
    """Write the synthetic region into ``folder`` and return the path of its gep.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    write_units(folder / "units.gpkg")
    transform, width, height = raster_grid()
    shape = (height, width)
    write_raster(folder / "landcover.tif", landcover_array(), nodata=255)
    xs = transform.c + (np.arange(width) + 0.5) * CELL
    write_raster(
        folder / "dem.tif", np.tile(100.0 + DEM_GRADIENT * (xs - X0), (height, 1)).astype("float32")
    )
    write_raster(folder / "ndvi.tif", np.full(shape, NDVI, dtype="float32"))
    for year in years:
        write_raster(
            folder / f"precip_monthly_{year}.tif",
            np.full((12, *shape), PRECIP_MM / 12, dtype="float32"),
        )
        write_raster(
            folder / f"temp_monthly_{year}.tif", np.full((12, *shape), TEMP_C, dtype="float32")
        )
        write_raster(folder / f"et_{year}.tif", np.full(shape, ET_MM, dtype="float32"))
        write_raster(folder / f"npp_{year}.tif", np.full(shape, NPP_GC, dtype="float32"))
    write_raster(folder / "erosivity.tif", np.full(shape, R_FACTOR, dtype="float32"))
    write_raster(folder / "erodibility.tif", np.full(shape, K_FACTOR, dtype="float32"))
    (folder / "population.csv").write_text(
        "code,population\n990101,1000\n990102,2000\n990201,3000\n990202,4000\n", encoding="utf-8"
    )
    config = textwrap.dedent(CONFIG).format(
        chunk=chunk,
        grid_crs=grid_crs,
        crosswalk=crosswalk,
        precip_units=precip_units,
        extra=extra,
        items_line=BASE_ITEMS_LINE,
    )
    if years != (2020,):
        config = config.replace("years = [2020]", f"years = {list(years)}")
    path = folder / "gep.toml"
    path.write_text(config, encoding="utf-8")
    return path


@pytest.fixture
def region(tmp_path: Path) -> Callable[..., Path]:
    """Builder of the synthetic region: ``region(**options) -> path of gep.toml``."""

    def make(**options: Any) -> Path:
        return build_region(tmp_path / "region", **options)

    return make


# -- statistics workbook (a folder of CSVs, one per domain of gepkit.catalogue.domains) ---------

#: Config lines pointing the synthetic region at its statistics folder (see write_statistics).
WORKBOOK_LINES = '[workbook]\npath = "stats"\n'


def write_statistics(config: Path, sheets: dict[str, str], *, folder: str = "stats") -> Path:
    """Write ``<domain>.csv`` files into the statistics folder beside ``config`` and return the
    folder.  The CSV text is written as given, each line stripped (so that it may be indented in
    the test).  The headers are the test's, as a statistician would write them:
    "<中文名> <field_id> (<unit>)", the Chinese part optional."""
    target = config.parent / folder
    target.mkdir(exist_ok=True)
    for domain, text in sheets.items():
        lines = [line.strip() for line in text.strip().splitlines()]
        (target / f"{domain}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def drop_inputs(config: Path, names: list[str]) -> None:
    """Remove ``[inputs.<name>]`` sections from the synthetic region's gep.toml."""
    text = config.read_text(encoding="utf-8")
    for name in names:
        start = text.index(f"[inputs.{name}]\n")
        end = text.find("\n[", start + 1)
        text = text[:start] + text[end + 1 :]
    config.write_text(text, encoding="utf-8")


def accounts_wide(accounts: pd.DataFrame) -> pd.DataFrame:
    """accounts.csv (one row per price basis) as one row per (year, unit, item): ``value`` at
    current prices, ``value_constant`` at the constant prices of ``constant_prices_of``."""
    current = accounts[accounts["price_basis"] == "current"].reset_index(drop=True)
    constant = accounts[accounts["price_basis"].str.startswith("constant-")]
    bases = set(constant["price_basis"])
    assert len(bases) == 1, bases
    keys = ["year", "unit_code", "item"]
    merged = current.merge(
        constant[[*keys, "value"]].rename(columns={"value": "value_constant"}),
        on=keys,
        how="left",
        validate="one_to_one",
    )
    assert len(merged) == len(current) == len(constant)
    merged["constant_prices_of"] = int(next(iter(bases)).split("-")[1])
    return merged.drop(columns="price_basis")


# -- product files in their native encodings (tests/io/test_products.py and the derived-factor
#    tests): rasters in any CRS covering the synthetic rasters' extent, config sections ----------


def product_frame(crs: str, res: float) -> tuple[Affine, int, int]:
    """A north-up grid in ``crs`` with pixels of ``res`` covering the synthetic rasters."""
    from rasterio.warp import transform_bounds

    bounds = (X0 - MARGIN, Y0 - MARGIN, X0 + 2 * COUNTY + MARGIN, Y0 + 2 * COUNTY + MARGIN)
    left, bottom, right, top = transform_bounds(CHINA_ALBERS, crs, *bounds)
    width, height = int(np.ceil((right - left) / res)), int(np.ceil((top - bottom) / res))
    return Affine(res, 0, left, 0, -res, top), width, height


def write_lonlat(
    path: Path, per_band: list[float], *, dtype: str = "float32", nodata=None, res: float = 0.05
) -> Path:
    """An EPSG:4326 GeoTIFF (as CHIRPS ships) whose band b is constant at ``per_band[b]``."""
    transform, width, height = product_frame("EPSG:4326", res)
    values = np.asarray(per_band, dtype="float64")
    data = np.broadcast_to(values[:, None, None], (len(values), height, width)).astype(dtype)
    write_raster(path, data.copy(), nodata=nodata, crs="EPSG:4326", transform=transform)
    return path


def set_input(config: Path, name: str, lines: str) -> Path:
    """Replace (or add) the ``[inputs.<name>]`` section of the synthetic region's gep.toml."""
    text = config.read_text(encoding="utf-8")
    start = text.find(f"[inputs.{name}]\n")
    if start >= 0:
        end = text.find("\n[", start + 1)
        text = text[:start] + (text[end + 1 :] if end >= 0 else "")
    config.write_text(text + f"\n[inputs.{name}]\n{lines.strip()}\n", encoding="utf-8")
    return config


def region_values(plan: Any, layer: Any) -> np.ndarray:
    """A layer's values at the region's cells, bands first."""
    return np.asarray(layer.compute())[..., plan.zones.region_mask]


# -- the decision tools (tests/decisions/): one demo run per test session (per xdist worker) --


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Jiangxi demo account (2019, 2020), written once; tests must not modify it."""
    from typer.testing import CliRunner

    from gepkit.cli import app

    out = tmp_path_factory.mktemp("decisions") / "jiangxi-demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out
