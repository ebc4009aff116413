"""Bring your own data, end to end (issue 5): from ``gep init --region 360000`` to an account
on products in their native encodings, projections and units.

The starter config of Jiangxi's 100 counties is pointed at

* land cover from CLCD (uint8, EPSG:4326, 0 = no data), ESA WorldCover (uint8, EPSG:4326),
  GlobeLand30 (uint8, UTM 50N, 255 = no data) or MODIS MCD12Q1 (uint8, sinusoidal, 255 = fill,
  17 = water), each with its shipped crosswalk;
* MOD17A3HGF NPP and MOD16A3GF ET (int16 × scale, fill codes 32761–32767, sinusoidal), a
  MOD13A3 NDVI stack (12 monthly bands, −3000 fill), CHIRPS monthly precipitation (EPSG:4326),
  ERA5-Land 2 m temperature in kelvin, a DEM in EPSG:4326 (int16, −32768), SoilGrids-style
  texture in g/kg and organic carbon in dg/kg;
* rainfall erosivity derived from annual precipitation and soil erodibility by EPIC.

Every product is written from the same landscape: land-cover blocks of 4 × 4 grid cells
aligned with the accounting grid, and constant values per layer with fill codes sprinkled
through the files.  The account must then equal, to float precision, the account of a
*reference* configuration whose layers are already on the grid, decoded, in model units and
coded as ecosystem classes: the decoding, the crosswalks, the fill handling, the unit
conversion and the resampling are what is under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from conftest import write_raster
from pyproj import Transformer
from rasterio.warp import transform_bounds
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.config import load_config
from gepkit.grid import CHINA_ALBERS
from gepkit.init import write_starter
from gepkit.pipeline import run

YEAR = 2020
RES = 5000.0  # the accounting grid of the test (the starter's 1 km, coarsened for speed)
BLOCK = 4 * RES  # land-cover blocks of 4 × 4 grid cells
ITEMS = ["water_conservation", "soil_retention", "carbon_sequestration", "oxygen_release"]
SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"

#: The ecosystem classes of the landscape (HJ 1172—2021 level 2) and each product's code for it.
KINDS = {
    "forest": 13,
    "shrub": 21,
    "grassland": 33,
    "water": 42,
    "cropland": 51,
    "built-up": 61,
}
PRODUCTS: dict[str, dict] = {
    "clcd": dict(
        crs="EPSG:4326",
        res=0.01,
        nodata=0,
        codes={"forest": 2, "shrub": 3, "grassland": 4, "water": 5, "cropland": 1, "built-up": 8},
    ),
    "esa_worldcover": dict(
        crs="EPSG:4326",
        res=0.01,
        nodata=0,
        codes={
            "forest": 10,
            "shrub": 20,
            "grassland": 30,
            "water": 80,
            "cropland": 40,
            "built-up": 50,
        },
    ),
    "globeland30": dict(
        crs="EPSG:32650",
        res=1000.0,
        nodata=255,
        codes={
            "forest": 20,
            "shrub": 40,
            "grassland": 30,
            "water": 60,
            "cropland": 10,
            "built-up": 80,
        },
    ),
    "modis_igbp": dict(
        crs=SINUSOIDAL,
        res=926.625433,
        nodata=255,
        codes={
            "forest": 5,
            "shrub": 6,
            "grassland": 10,
            "water": 17,
            "cropland": 12,
            "built-up": 13,
        },
    ),
}

#: Decoded values of the continuous layers, in the models' units.
NPP = 6500 * 0.0001 * 1000  # gC/m²: MOD17 int16 6500 × 0.0001 kgC/m²
ET = 7504 * 0.1  # mm: MOD16 int16 7504 × 0.1 mm
NDVI_MONTHS = np.array([3, 3.5, 4, 5, 6, 7, 8, 8.2, 7.5, 6, 5, 4]) * 1000  # int16 ÷ 10 000
PRECIP_MONTHS = np.array([60, 90, 180, 220, 240, 300, 160, 140, 80, 60, 50, 40], dtype=float)
TEMP_MONTHS = np.array([6, 8, 12, 18, 23, 26, 29, 28.5, 25, 20, 14, 8], dtype=float)  # °C
DEM_SLOPE = 0.004  # the DEM rises by 4 m per km southwards (a real slope for the LS factor)
SAND, SILT, CLAY, SOC = 420.0, 380.0, 200.0, 150.0  # g/kg, g/kg, g/kg, dg/kg (SoilGrids)


def _region_bounds(units: Path) -> tuple[float, float, float, float]:
    """The units' bounding box in China Albers, widened by two blocks and snapped to blocks."""
    x0, y0, x1, y1 = gpd.read_file(units).to_crs(CHINA_ALBERS).total_bounds
    snap = BLOCK
    return (
        np.floor(x0 / snap) * snap - 2 * snap,
        np.floor(y0 / snap) * snap - 2 * snap,
        np.ceil(x1 / snap) * snap + 2 * snap,
        np.ceil(y1 / snap) * snap + 2 * snap,
    )


def _kind(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index into KINDS of the block holding Albers point (x, y)."""
    bx, by = np.floor(x / BLOCK).astype(int), np.floor(y / BLOCK).astype(int)
    return (bx + 2 * by) % len(KINDS)


def _frame(bounds, crs: str, res: float) -> tuple[Affine, np.ndarray, np.ndarray]:
    """A north-up grid in ``crs`` covering ``bounds`` (Albers) and its pixel centres in Albers."""
    left, bottom, right, top = transform_bounds(CHINA_ALBERS, crs, *bounds, densify_pts=51)
    width, height = int(np.ceil((right - left) / res)), int(np.ceil((top - bottom) / res))
    xs = left + (np.arange(width) + 0.5) * res
    ys = top - (np.arange(height) + 0.5) * res
    gx, gy = np.meshgrid(xs, ys)
    ax, ay = Transformer.from_crs(crs, CHINA_ALBERS, always_xy=True).transform(gx, gy)
    return Affine(res, 0, left, 0, -res, top), ax, ay


def _sprinkle(data: np.ndarray, fills: list[int]) -> np.ndarray:
    """Fill codes on one pixel in seven (never all the pixels of a grid cell)."""
    flat = data.reshape(data.shape[0], -1) if data.ndim == 3 else data.reshape(1, -1)
    for k, code in enumerate(fills):
        flat[:, (np.arange(flat.shape[1]) % 7) == (k % 7)] = code
    return data


def _write_products(folder: Path, bounds) -> None:
    """Every layer in its product's native encoding and CRS."""
    for name, product in PRODUCTS.items():
        transform, ax, ay = _frame(bounds, product["crs"], product["res"])
        codes = np.array([product["codes"][k] for k in KINDS], dtype="uint8")
        write_raster(
            folder / f"landcover_{name}_{YEAR}.tif",
            codes[_kind(ax, ay)],
            nodata=product["nodata"],
            crs=product["crs"],
            transform=transform,
        )
    transform, ax, _ = _frame(bounds, SINUSOIDAL, 463.312716528)
    npp = _sprinkle(np.full(ax.shape, 6500, dtype="int16"), [32767, 32765, 32761])
    write_raster(folder / f"MOD17A3HGF_{YEAR}.tif", npp, crs=SINUSOIDAL, transform=transform)
    et = _sprinkle(np.full(ax.shape, 7504, dtype="int16"), [32767, 32762])
    write_raster(folder / f"MOD16A3GF_{YEAR}.tif", et, crs=SINUSOIDAL, transform=transform)
    transform, ax, _ = _frame(bounds, SINUSOIDAL, 926.625433)
    ndvi = np.broadcast_to(NDVI_MONTHS.astype("int16")[:, None, None], (12, *ax.shape)).copy()
    write_raster(
        folder / f"MOD13A3_{YEAR}.tif",
        _sprinkle(ndvi, [-3000]),
        crs=SINUSOIDAL,
        transform=transform,
    )
    transform, ax, _ = _frame(bounds, "EPSG:4326", 0.05)
    chirps = np.broadcast_to(PRECIP_MONTHS.astype("float32")[:, None, None], (12, *ax.shape))
    write_raster(
        folder / f"chirps_{YEAR}.tif",
        chirps.copy(),
        nodata=-9999,
        crs="EPSG:4326",
        transform=transform,
    )
    transform, ax, _ = _frame(bounds, "EPSG:4326", 0.1)
    kelvin = (TEMP_MONTHS + 273.15).astype("float32")
    t2m = np.broadcast_to(kelvin[:, None, None], (12, *ax.shape)).copy()
    write_raster(folder / f"era5_t2m_{YEAR}.tif", t2m, crs="EPSG:4326", transform=transform)
    for name, value in {"sand": SAND, "silt": SILT, "clay": CLAY, "soc": SOC}.items():
        grid = np.full(ax.shape, value, dtype="int16")
        write_raster(
            folder / f"soilgrids_{name}.tif",
            grid,
            nodata=-32768,
            crs="EPSG:4326",
            transform=transform,
        )
    _write_dem(folder / "dem.tif", bounds)


def _write_dem(path: Path, bounds) -> None:
    """A DEM in EPSG:4326 (int16, −32768 = void) rising southwards, shared by both configs."""
    transform, _, ay = _frame(bounds, "EPSG:4326", 0.005)
    dem = np.round(100 + DEM_SLOPE * (bounds[3] - ay)).astype("int16")
    dem[::97, ::89] = -32768
    write_raster(path, dem, nodata=-32768, crs="EPSG:4326", transform=transform)


def _write_reference(folder: Path, bounds) -> None:
    """The same landscape already on the accounting grid, decoded, in model units."""
    left, bottom, right, top = bounds
    width, height = int((right - left) / RES), int((top - bottom) / RES)
    transform = Affine(RES, 0, left, 0, -RES, top)
    xs = left + (np.arange(width) + 0.5) * RES
    ys = top - (np.arange(height) + 0.5) * RES
    gx, gy = np.meshgrid(xs, ys)
    classes = np.array(list(KINDS.values()), dtype="int16")[_kind(gx, gy)]
    write_raster(folder / "ecosystems.tif", classes, nodata=-1, transform=transform)
    (folder / "identity.csv").write_text(
        "source_code,ecosystem_code\n" + "".join(f"{c},{c}\n" for c in KINDS.values()),
        encoding="utf-8",
    )

    def constant(name: str, values) -> None:
        values = np.atleast_1d(np.asarray(values, dtype="float32"))
        data = np.broadcast_to(values[:, None, None], (len(values), height, width)).copy()
        write_raster(folder / f"{name}.tif", data, transform=transform)

    constant("npp", NPP)
    constant("et", ET)
    constant("ndvi", NDVI_MONTHS.max() / 10_000)
    constant("precipitation_monthly", PRECIP_MONTHS)
    constant("temperature_monthly", TEMP_MONTHS)
    constant("sand_total", SAND / 10)
    constant("silt", SILT / 10)
    constant("clay", CLAY / 10)
    constant("organic_carbon", SOC / 100)


NATIVE_INPUTS = """
[inputs.landcover]
path = "landcover_{product}_{{year}}.tif"
crosswalk = "{product}"

[inputs.npp]
path = "MOD17A3HGF_{{year}}.tif"
product = "MOD17A3HGF"

[inputs.actual_et]
path = "MOD16A3GF_{{year}}.tif"
product = "MOD16A3GF"

[inputs.ndvi]
path = "MOD13A3_{{year}}.tif"
product = "MOD13A3"

[inputs.precipitation_monthly]
path = "chirps_{{year}}.tif"
product = "CHIRPS-monthly"

[inputs.temperature_monthly]
path = "era5_t2m_{{year}}.tif"
product = "ERA5-Land-monthly-t2m"

[inputs.sand_total]
path = "soilgrids_sand.tif"
units = "g/kg"

[inputs.silt]
path = "soilgrids_silt.tif"
units = "g/kg"

[inputs.clay]
path = "soilgrids_clay.tif"
units = "g/kg"

[inputs.organic_carbon]
path = "soilgrids_soc.tif"
units = "dg/kg"
"""

REFERENCE_INPUTS = """
[inputs.landcover]
path = "ecosystems.tif"
crosswalk = "identity.csv"

[inputs.npp]
path = "npp.tif"
units = "gC/m^2"

[inputs.actual_et]
path = "et.tif"
units = "mm"

[inputs.ndvi]
path = "ndvi.tif"
units = "dimensionless"

[inputs.precipitation_monthly]
path = "precipitation_monthly.tif"
units = "mm"

[inputs.temperature_monthly]
path = "temperature_monthly.tif"
units = "degC"

[inputs.sand_total]
path = "sand_total.tif"
units = "%"

[inputs.silt]
path = "silt.tif"
units = "%"

[inputs.clay]
path = "clay.tif"
units = "%"

[inputs.organic_carbon]
path = "organic_carbon.tif"
units = "%"
"""

COMMON_INPUTS = """
[inputs.dem]
path = "dem.tif"
units = "m"

[inputs.rainfall_erosivity]
derive = "annual_precipitation"

[inputs.soil_erodibility]
derive = "epic"
"""


def _starter(folder: Path) -> Path:
    """What a user does after ``gep init``: the layers, the items, a coarser grid."""
    write_starter("360000", "county", folder, years=[YEAR])
    config = folder / "gep.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('profile = "DB36/T 1402-2021"', f"items = {json.dumps(ITEMS)}")
    text = text.replace("resolution = 1000", f"resolution = {RES:.0f}")
    text = text[: text.index("# ---- Statistics")]  # raster items only: no workbook
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def landscape(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("byod")
    config = _starter(folder / "reference")
    bounds = _region_bounds(folder / "reference" / "units.geojson")
    _write_reference(folder / "reference", bounds)
    _write_dem(folder / "reference" / "dem.tif", bounds)
    config.write_text(
        config.read_text(encoding="utf-8") + REFERENCE_INPUTS + COMMON_INPUTS, encoding="utf-8"
    )
    run(load_config(config), folder / "reference" / "out")
    (folder / "products").mkdir()
    _write_products(folder / "products", bounds)
    return folder


def _native_config(landscape: Path, product: str) -> Path:
    folder = landscape / "products"
    config = folder / f"gep_{product}.toml"
    if not (folder / "units.geojson").exists():
        _starter(folder)
    base = (folder / "gep.toml").read_text(encoding="utf-8")
    config.write_text(
        base + NATIVE_INPUTS.format(product=product) + COMMON_INPUTS, encoding="utf-8"
    )
    return config


def _current(out: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(out / name, dtype={"unit_code": str})
    if "price_basis" in frame:
        frame = frame[frame["price_basis"] == "current"]
    return frame.reset_index(drop=True)


@pytest.mark.parametrize("product", list(PRODUCTS))
def test_native_products_give_the_reference_account(landscape: Path, product: str) -> None:
    config = _native_config(landscape, product)
    result = run(load_config(config), landscape / "products" / f"out_{product}")
    reference = landscape / "reference" / "out"

    extent, expected_extent = (
        _current(result.out_dir, "extent.csv"),
        _current(reference, "extent.csv"),
    )
    pd.testing.assert_frame_equal(extent, expected_extent, rtol=1e-12)
    province = extent[extent["unit_code"] == "360000"].set_index("ecosystem_code")["area_km2"]
    assert set(province.index) == set(KINDS.values())  # every class arrived through the crosswalk
    counties = extent[extent["unit_code"].str[4:] != "00"]
    assert counties["area_km2"].sum() == pytest.approx(province.sum(), rel=1e-12)

    accounts, expected = (
        _current(result.out_dir, "accounts.csv"),
        _current(reference, "accounts.csv"),
    )
    assert len(accounts) == len(expected) > 100 * len(ITEMS)
    for column in ("quantity", "value"):
        np.testing.assert_allclose(accounts[column], expected[column], rtol=2e-5, atol=1e-6)
    assert (accounts["unit_code"] == expected["unit_code"]).all()
    jiangxi = accounts[(accounts["unit_code"] == "360000") & accounts["item"].isin(ITEMS)]
    assert (jiangxi["value"] > 0).all(), jiangxi[["item", "value"]]

    # the manifest records each layer's product, encoding and resampling rule
    layers = result.manifest["inputs"]["layers"]
    assert layers[f"npp:{YEAR}"]["encoding"]["product"] == "MOD17A3HGF"
    encoding = layers[f"npp:{YEAR}"]["encoding"]
    assert (encoding["scale"], encoding["declared_units"]) == (0.0001, "kgC/m^2")
    assert layers[f"npp:{YEAR}"]["scale"] == pytest.approx(0.1)  # × 1000 to gC/m²
    assert layers[f"landcover:{YEAR}"]["resampling"] == "mode"
    assert layers[f"npp:{YEAR}"]["resampling"] == "average"
    derived = result.manifest["inputs"]["derived_models"]
    assert derived["rainfall_erosivity"]["model"] == "annual_precipitation"
    assert derived["soil_erodibility"]["model"] == "epic"


def test_inspect_shows_the_decoded_products(landscape: Path) -> None:
    config = _native_config(landscape, "clcd")
    out = CliRunner().invoke(app, ["inspect", str(config), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    layers = {layer["name"]: layer for layer in report["layers"]}
    npp = layers["npp"]
    # the fill codes (32761–32767 → 3276 gC/m²) never reach the values
    assert npp["minimum"] == pytest.approx(NPP, rel=1e-5)
    assert npp["maximum"] == pytest.approx(NPP, rel=1e-5)
    assert layers["actual_et"]["maximum"] == pytest.approx(ET, rel=1e-5)
    assert layers["temperature_monthly"]["maximum"] == pytest.approx(TEMP_MONTHS.max(), abs=1e-4)
    assert npp["product"] == "MOD17A3HGF"
    assert npp["missing_share"] == 0.0
    assert layers["landcover"]["resampling"] == "mode"
    severities = {f["severity"] for layer in report["layers"] for f in layer["findings"]}
    assert "error" not in severities
