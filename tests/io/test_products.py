"""Standard products in their native encodings, read through a run config onto the synthetic
region (tests/conftest.py): presets, stacks, units, and the errors of every misuse.

Each test writes the product as its distributor does — int16 with a scale factor and fill codes
in the MODIS sinusoidal projection, float32 with −9999 in EPSG:4326 (CHIRPS), packed netCDF
without a CRS (ERA5-Land, TerraClimate) — and checks the values on the grid by hand.
"""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from affine import Affine
from conftest import COUNTIES, COUNTY, X0, Y0, product_frame, region_values, set_input
from scipy.io import netcdf_file

from gepkit import stacks
from gepkit.catalogue.products import NAMED_CRS, load_presets
from gepkit.config import load_config
from gepkit.encoding import band_conversion
from gepkit.errors import InputError
from gepkit.grid import CHINA_ALBERS, AccountingGrid
from gepkit.inputs import year_layers
from gepkit.io.rasters import read_aligned
from gepkit.layers import LAYERS
from gepkit.pipeline import run
from gepkit.plan import prepare

SINUSOIDAL = NAMED_CRS["modis_sinusoidal"]
MODIS_500M = 463.312716528  # the MODIS "500 m" pixel
#: The county whose pixels carry a fill code in the fill tests (grassland, in every item's scope).
FILLED = "990102"
FILLED_BOX = (X0 + COUNTY, Y0 + COUNTY, X0 + 2 * COUNTY, Y0 + 2 * COUNTY)


# -- writing products ----------------------------------------------------------------------------


def _centres_in_albers(crs: str, transform: Affine, width: int, height: int):
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    xs, ys = transform * (cols, rows)
    to_albers = pyproj.Transformer.from_crs(crs, CHINA_ALBERS, always_xy=True)
    return to_albers.transform(xs, ys)


def _near_filled(crs: str, transform: Affine, width: int, height: int):
    """Source pixels whose centre lies in the filled county: with nearest resampling (the fill
    tests set it) exactly the county's 16 cells take a fill pixel."""
    ax, ay = _centres_in_albers(crs, transform, width, height)
    x0, y0, x1, y1 = FILLED_BOX
    return (ax > x0) & (ax < x1) & (ay > y0) & (ay < y1)


def _tif(path: Path, data: np.ndarray, crs: str, transform: Affine, nodata=None) -> Path:
    data = data if data.ndim == 3 else data[None]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data)
    return path


def _modis(path: Path, raw: np.ndarray | list[float], *, fill: float | None = None) -> Path:
    """An int16 MODIS-style tile (sinusoidal, 463 m); band b holds raw[b]; ``fill`` over the
    filled county."""
    transform, width, height = product_frame(SINUSOIDAL, MODIS_500M)
    raw = np.atleast_1d(np.asarray(raw, dtype="float64"))
    data = np.broadcast_to(raw[:, None, None], (len(raw), height, width)).astype("int16").copy()
    if fill is not None:
        data[:, _near_filled(SINUSOIDAL, transform, width, height)] = fill
    return _tif(path, data, SINUSOIDAL, transform)


def _lonlat(
    path: Path, per_band: list[float], *, dtype="float32", nodata=None, fill=None, res=0.05
) -> Path:
    transform, width, height = product_frame("EPSG:4326", res)
    values = np.asarray(per_band, dtype="float64")
    data = np.broadcast_to(values[:, None, None], (len(values), height, width)).astype(dtype)
    data = data.copy()
    if fill is not None:
        data[:, _near_filled("EPSG:4326", transform, width, height)] = fill
    return _tif(path, data, "EPSG:4326", transform, nodata=nodata)


def _netcdf(
    path: Path, variable: str, raw: list[float], *, dtype="i2", res=0.1, **attributes
) -> Path:
    """A CF netCDF (time, lat, lon) without grid mapping, as ERA5 and TerraClimate ship."""
    transform, width, height = product_frame("EPSG:4326", res)
    lats = transform.f - (np.arange(height) + 0.5) * res
    lons = transform.c + (np.arange(width) + 0.5) * res
    handle = netcdf_file(path, "w", version=2)
    handle.Conventions = "CF-1.6"
    handle.createDimension("time", len(raw))
    handle.createDimension("lat", height)
    handle.createDimension("lon", width)
    time = handle.createVariable("time", "f8", ("time",))
    time[:] = np.arange(len(raw))
    time.units = "days since 2020-01-01"
    lat = handle.createVariable("lat", "f8", ("lat",))
    lat[:] = lats
    lat.units, lat.standard_name = "degrees_north", "latitude"
    lon = handle.createVariable("lon", "f8", ("lon",))
    lon[:] = lons
    lon.units, lon.standard_name = "degrees_east", "longitude"
    var = handle.createVariable(variable, dtype, ("time", "lat", "lon"))
    var[:] = np.broadcast_to(np.asarray(raw)[:, None, None], (len(raw), height, width))
    for key, value in attributes.items():
        setattr(var, key, value)
    handle.close()
    return path


def _configure(config: Path, name: str, lines: str) -> Path:
    return set_input(config, name, lines)


# -- reading back ---------------------------------------------------------------------------------


def _layers(config: Path, year: int = 2020):
    plan = prepare(load_config(config))
    layers = year_layers(plan, year)
    return plan, layers


def _cells(plan, layer) -> np.ndarray:
    return region_values(plan, layer)


def _county_cells(plan, code: str) -> np.ndarray:
    grid: AccountingGrid = plan.grid
    xs, ys = grid.x_coords(), grid.y_coords()
    (col, row) = {"990101": (0, 1), "990102": (1, 1), "990201": (0, 0), "990202": (1, 0)}[code]
    x0, y0 = X0 + col * COUNTY, Y0 + row * COUNTY
    inside_x = (xs > x0) & (xs < x0 + COUNTY)
    inside_y = (ys > y0) & (ys < y0 + COUNTY)
    return np.outer(inside_y, inside_x)


def _fails(config: Path, *fragments: str) -> str:
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    text = " ".join(str(err.value).split())
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{err.value}"
    return text


# -- the preset table -------------------------------------------------------------------------------


def test_every_preset_is_sourced_and_fits_its_layers():
    presets = load_presets()
    for name in ("MOD16A3GF", "MOD16A2", "MOD17A3HGF", "MOD13A1", "MOD13A2", "MOD13A3"):
        assert name in presets
    for name in ("MOD13Q1", "CHIRPS-monthly", "ERA5-Land-monthly-tp", "ERA5-Land-monthly-t2m"):
        assert name in presets
    for preset in presets.values():
        assert preset.source, preset.product
        assert preset.verified, preset.product
        assert preset.confidence in ("V", "S", "K"), preset.product
        assert preset.confidence == "V" or preset.not_verified, preset.product
        assert preset.step in stacks.STEPS
        for layer in preset.layers:
            info = LAYERS[layer]
            assert stacks.can_reduce(preset.step, info.period) or (info.aggregate == "max"), (
                preset.product,
                layer,
            )
            factors, _, _ = band_conversion(preset.units, info.units, preset.step, 2020)
            assert all(f > 0 for f in factors)


def test_modis_figures_of_the_user_guides():
    presets = load_presets()
    et, npp, ndvi = presets["MOD16A3GF"], presets["MOD17A3HGF"], presets["MOD13Q1"]
    assert (et.scale, et.valid_range, et.fill_values) == (
        0.1,
        (-32767.0, 32700.0),
        tuple(float(v) for v in range(32761, 32768)),
    )
    assert (npp.scale, npp.units, npp.valid_range) == (0.0001, "kgC/m^2", (-30000.0, 32700.0))
    assert npp.fill_values == tuple(float(v) for v in range(32761, 32768))
    assert (ndvi.scale, ndvi.valid_range, ndvi.fill_values) == (
        0.0001,
        (-2000.0, 10000.0),
        (-3000.0,),
    )
    assert presets["MOD16A2"].step == "8day"
    assert stacks.band_count("8day", 2020) == 46
    assert stacks.period_days("8day", 2020)[-1] == 6
    assert stacks.period_days("8day", 2021)[-1] == 5


# -- MODIS ------------------------------------------------------------------------------------------


def test_mod17_npp_scaled_and_fill_codes_become_gaps(region, tmp_path):
    """Npp_500m raw 6000 × 0.0001 kgC/m² = 600 gC/m²; the water code 32766 over one county is
    missing there (16 cells) and reported in gaps.csv, not counted as 3276.6 kgC/m²."""
    config = region()
    _modis(config.parent / "MOD17A3HGF_2020.tif", [6000], fill=32766)
    _configure(
        config,
        "npp",
        'path = "MOD17A3HGF_{year}.tif"\nproduct = "MOD17A3HGF"\nresampling = "nearest"',
    )
    plan, layers = _layers(config)
    values = np.asarray(layers["npp"].compute())
    filled = _county_cells(plan, FILLED)
    assert np.isnan(values[filled]).all()
    rest = plan.zones.region_mask & ~filled
    np.testing.assert_allclose(values[rest], 6000 * 0.0001 * 1000, rtol=1e-6)
    assert not np.isnan(values[rest]).any()

    result = run(load_config(config), tmp_path / "out")
    gaps = pd.read_csv(result.out_dir / "gaps.csv", dtype={"unit_code": str})
    carbon = gaps[(gaps["item"] == "carbon_sequestration") & gaps["unit_code"].isin(COUNTIES)]
    assert set(carbon["unit_code"]) == {FILLED}
    assert int(carbon["missing_cells"].sum()) == filled.sum() == 16
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    layer = manifest["inputs"]["layers"]["npp:2020"]
    assert layer["encoding"]["product"] == "MOD17A3HGF"
    assert layer["encoding"]["scale"] == 0.0001
    assert layer["encoding"]["unit_factor"] == pytest.approx(1000.0)
    assert layer["encoding"]["fill_values"][0] == 32761
    assert layer["encoding"]["valid_range"] == [-30000, 32700]
    assert layer["encoding"]["from"]["scale"] == "product"
    assert "lpdaac" in layer["product"]["source"].lower()


def test_unverified_preset_is_to_be_confirmed(region, tmp_path):
    config = region()
    _modis(config.parent / "et.tif", [7000])
    _configure(config, "actual_et", 'path = "et.tif"\nproduct = "MOD16A3GF"')
    result = run(load_config(config), tmp_path / "out")
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in manifest["to_be_confirmed"] if "MOD16A3GF" in e["what"]]
    assert entry["confidence"] == "K"
    assert "not verified" in entry["source"]


def test_mod16a2_8day_stack_is_summed_to_annual_et(region):
    """46 int16 8-day bands (raw 100 + b) × 0.1 kg/m² summed: 0.1 × Σ(100 + b) mm."""
    config = region()
    raw = [100 + b for b in range(1, 47)]
    _modis(config.parent / "MOD16A2_2020.tif", raw)
    _configure(config, "actual_et", 'path = "MOD16A2_{year}.tif"\nproduct = "MOD16A2"')
    plan, layers = _layers(config)
    assert layers["actual_et"].dims == ("y", "x")
    np.testing.assert_allclose(_cells(plan, layers["actual_et"]), 0.1 * sum(raw), rtol=1e-5)
    assert plan.sources[("actual_et", 2020)].encoding.step == "8day"


def test_mod16a3gf_annual_et_with_fill_code(region):
    config = region()
    _modis(config.parent / "et.tif", [7000], fill=32765)
    _configure(
        config, "actual_et", 'path = "et.tif"\nproduct = "MOD16A3GF"\nresampling = "nearest"'
    )
    plan, layers = _layers(config)
    values = np.asarray(layers["actual_et"].compute())
    filled = _county_cells(plan, FILLED)
    assert np.isnan(values[filled]).all()
    np.testing.assert_allclose(values[plan.zones.region_mask & ~filled], 700.0, rtol=1e-6)


def test_mod13_ndvi_16day_stack_takes_the_maximum_and_ignores_fills(region):
    """23 composites: the annual NDVI is the largest valid one; −3000 (fill) and values
    outside −2000…10000 are ignored."""
    config = region()
    raw = [3000 + 100 * b for b in range(23)]
    raw[10] = -3000  # a fill code in one period
    raw[11] = 12000  # outside the valid range: missing, not the maximum
    _modis(config.parent / "ndvi_stack.tif", raw)
    _configure(config, "ndvi", 'path = "ndvi_stack.tif"\nproduct = "MOD13A1"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["ndvi"]), 0.0001 * 5200, rtol=1e-6)


def test_one_ndvi_composite_is_used_as_it_is(region):
    config = region()
    _modis(config.parent / "ndvi_max.tif", [8000])
    _configure(config, "ndvi", 'path = "ndvi_max.tif"\nproduct = "MOD13Q1"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["ndvi"]), 0.8, rtol=1e-6)


# -- CHIRPS, ERA5-Land, TerraClimate -------------------------------------------------------------


MONTHLY_MM = [20.0, 35.0, 80.0, 150.0, 220.0, 300.0, 180.0, 160.0, 90.0, 60.0, 40.0, 25.0]


def test_chirps_monthly_precipitation_and_its_annual_sum(region):
    config = region()
    _lonlat(config.parent / "chirps_2020.tif", MONTHLY_MM, nodata=-9999.0)
    _configure(
        config,
        "precipitation_monthly",
        'path = "chirps_{year}.tif"\nproduct = "CHIRPS-monthly"',
    )
    _configure(config, "precipitation", 'path = "chirps_{year}.tif"\nproduct = "CHIRPS-monthly"')
    plan, layers = _layers(config)
    monthly = _cells(plan, layers["precipitation_monthly"])
    np.testing.assert_allclose(
        monthly, np.broadcast_to(np.asarray(MONTHLY_MM)[:, None], monthly.shape), rtol=1e-6
    )
    np.testing.assert_allclose(_cells(plan, layers["precipitation"]), sum(MONTHLY_MM), rtol=1e-6)
    assert plan.sources[("precipitation", 2020)].encoding.units == "mm/month"


def test_chirps_nodata_is_missing(region):
    config = region()
    _lonlat(config.parent / "chirps.tif", MONTHLY_MM, nodata=-9999.0, fill=-9999.0, res=0.004)
    _configure(
        config,
        "precipitation_monthly",
        'path = "chirps.tif"\nproduct = "CHIRPS-monthly"\nresampling = "nearest"',
    )
    plan, layers = _layers(config)
    values = np.asarray(layers["precipitation_monthly"].compute())
    filled = _county_cells(plan, FILLED)
    assert np.isnan(values[:, filled]).all()
    assert not np.isnan(values[:, plan.zones.region_mask & ~filled]).any()


@pytest.mark.parametrize("year", [2020, 2021])
def test_chirps_daily_stack_by_the_days_of_the_year(region, year):
    """366 bands in 2020, 365 in 2021; summed to the annual total and to the months."""
    config = region(years=(year,))
    days = stacks.days_in_year(year)
    daily = [float(d % 7) for d in range(days)]
    _lonlat(config.parent / f"chirps_daily_{year}.tif", daily, nodata=-9999.0, res=0.1)
    spec = 'path = "chirps_daily_{year}.tif"\nproduct = "CHIRPS-daily"'
    _configure(config, "precipitation", spec)
    _configure(config, "precipitation_monthly", spec)
    plan, layers = _layers(config, year)
    np.testing.assert_allclose(_cells(plan, layers["precipitation"]), sum(daily), rtol=1e-5)
    months = stacks.month_of_band("daily", year)
    expected = [sum(v for v, m in zip(daily, months, strict=True) if m == k) for k in range(1, 13)]
    monthly = _cells(plan, layers["precipitation_monthly"])
    np.testing.assert_allclose(
        monthly, np.broadcast_to(np.asarray(expected)[:, None], monthly.shape), rtol=1e-5
    )


def test_era5_land_monthly_tp_per_day_times_days_in_month(region):
    """ERA5-Land monthly means of daily totals, m/day, packed int16 in a netCDF without CRS:
    value = raw × scale_factor + add_offset; month total = value × days × 1000 mm."""
    config = region()
    metres_per_day = 0.004
    raw = [round((metres_per_day - 0.001) / 2e-5)] * 12  # 150
    _netcdf(
        config.parent / "era5_tp_2020.nc",
        "tp",
        raw,
        scale_factor=np.float64(2e-5),
        add_offset=np.float64(0.001),
        units="m",
        _FillValue=np.int16(-32767),
    )
    _configure(
        config,
        "precipitation_monthly",
        'path = "era5_tp_{year}.nc"\nproduct = "ERA5-Land-monthly-tp"',
    )
    plan, layers = _layers(config)
    days = [calendar.monthrange(2020, m)[1] for m in range(1, 13)]
    expected = [metres_per_day * d * 1000 for d in days]  # January 124 mm, February 116 mm
    monthly = _cells(plan, layers["precipitation_monthly"])
    np.testing.assert_allclose(
        monthly, np.broadcast_to(np.asarray(expected)[:, None], monthly.shape), rtol=1e-5
    )
    encoding = plan.sources[("precipitation_monthly", 2020)].encoding
    assert encoding.origin["scale"] == "file"
    assert encoding.crs == "EPSG:4326"


def test_era5_land_t2m_kelvin_to_celsius(region):
    config = region()
    _netcdf(
        config.parent / "t2m.nc",
        "t2m",
        [28815] * 12,
        scale_factor=np.float64(0.01),
        add_offset=np.float64(0.0),
        units="K",
    )
    _configure(config, "temperature_monthly", 'path = "t2m.nc"\nproduct = "ERA5-Land-monthly-t2m"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["temperature_monthly"]), 15.0, atol=1e-4)


def test_terraclimate_tmax_tmin_packed_give_the_monthly_mean(region):
    config = region()
    _netcdf(
        config.parent / "tmax.nc", "tmax", [250] * 12, scale_factor=np.float64(0.1), units="degC"
    )
    _netcdf(
        config.parent / "tmin.nc", "tmin", [50] * 12, scale_factor=np.float64(0.1), units="degC"
    )
    _configure(config, "temperature_max_monthly", 'path = "tmax.nc"\nproduct = "TerraClimate-tmax"')
    _configure(config, "temperature_min_monthly", 'path = "tmin.nc"\nproduct = "TerraClimate-tmin"')
    _configure(config, "temperature_monthly", 'derive = "mean_of_max_min"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["temperature_monthly"]), 15.0, atol=1e-5)
    assert "temperature_monthly" in plan.derivations


# -- units --------------------------------------------------------------------------------------------


def test_metres_declared_as_millimetres_name_the_fitting_unit(region):
    """Annual precipitation of 1.6 m written as 1.6 and declared 'mm' is inside the plausible
    range, but no region's mean precipitation is 1.6 mm: the error says it looks like metres."""
    config = region()
    _lonlat(config.parent / "precip_m.tif", [1.6])
    _configure(config, "precipitation", 'path = "precip_m.tif"\nunits = "mm"')
    _fails(config, "layer 'precipitation'", "look like metres", "declare units = 'm'")


def test_precipitation_in_metres_declared_right_is_converted(region):
    config = region()
    _lonlat(config.parent / "precip_m.tif", [1.6])
    _configure(config, "precipitation", 'path = "precip_m.tif"\nunits = "m"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["precipitation"]), 1600.0, rtol=1e-6)


def test_kilograms_of_carbon_declared_as_grams(region):
    config = region()
    _lonlat(config.parent / "npp_kg.tif", [0.6])
    _configure(config, "npp", 'path = "npp_kg.tif"\nunits = "gC/m^2"')
    _fails(config, "layer 'npp'", "look like kilograms of carbon", "units = 'kgC/m^2'")


def test_kelvin_declared_as_celsius(region):
    config = region()
    _lonlat(config.parent / "temp_k.tif", [288.15] * 12)
    _configure(config, "temperature_monthly", 'path = "temp_k.tif"\nunits = "degC"')
    _fails(config, "plausible range", "look like kelvin", "units = 'K'")


def test_raw_modis_ndvi_without_preset_suggests_the_scale(region):
    config = region()
    _modis(config.parent / "ndvi_raw.tif", [8000])
    _configure(config, "ndvi", 'path = "ndvi_raw.tif"\nunits = "dimensionless"')
    _fails(config, "layer 'ndvi'", "plausible range", "set scale = 0.0001")


def test_check_values_false_accepts_unusual_values(region):
    config = region()
    _lonlat(config.parent / "precip_dry.tif", [1.6])
    _configure(
        config, "precipitation", 'path = "precip_dry.tif"\nunits = "mm"\ncheck_values = false'
    )
    plan, _ = _layers(config)
    assert plan.layer_stats["precipitation:2020"]["mean"] == pytest.approx(1.6)


def test_water_mass_per_area_is_a_depth(region):
    """Without a preset, MODIS' own unit kg/m² (of water) is read as mm."""
    config = region()
    _lonlat(config.parent / "et_kg.tif", [650.0])
    _configure(config, "actual_et", 'path = "et_kg.tif"\nunits = "kg/m^2"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["actual_et"]), 650.0, rtol=1e-6)


# -- explicit settings override the preset ---------------------------------------------------------


def test_explicit_scale_and_nodata_override_the_preset(region):
    config = region()
    _modis(config.parent / "npp.tif", [600], fill=-1)
    _configure(
        config,
        "npp",
        'path = "npp.tif"\nproduct = "MOD17A3HGF"\nscale = 0.001\nnodata = -1\n'
        'resampling = "nearest"',
    )
    plan, layers = _layers(config)
    encoding = plan.sources[("npp", 2020)].encoding
    assert encoding.origin["scale"] == "config"
    assert encoding.origin["nodata"] == "config"
    assert encoding.fill_values == ()  # the explicit nodata replaces the product's fill codes
    values = np.asarray(layers["npp"].compute())
    filled = _county_cells(plan, FILLED)
    assert np.isnan(values[filled]).all()
    np.testing.assert_allclose(values[plan.zones.region_mask & ~filled], 600.0, rtol=1e-6)


# -- misuse ------------------------------------------------------------------------------------------


def test_npp_preset_on_a_float_file(region):
    """A file already converted to floats is not MOD17A3HGF's int16 encoding: scaling it again
    by 0.0001 would give plausible-looking nonsense, so it is refused."""
    config = region()
    _lonlat(config.parent / "npp_float.tif", [0.6])
    _configure(config, "npp", 'path = "npp_float.tif"\nproduct = "MOD17A3HGF"')
    _fails(config, "product 'MOD17A3HGF' stores Npp_500m as int16", "holds float32 values")


def test_preset_of_another_layer(region):
    config = region()
    _modis(config.parent / "npp.tif", [6000])
    _configure(config, "actual_et", 'path = "npp.tif"\nproduct = "MOD17A3HGF"')
    _fails(config, "product 'MOD17A3HGF'", "is not a source of layer 'actual_et'", "MOD16A3GF")


def test_unknown_product(region):
    config = region()
    _configure(config, "npp", 'path = "npp_{year}.tif"\nproduct = "MOD17A9"')
    _fails(config, "unknown product 'MOD17A9'", "presets for npp: MOD17A3HGF")


def test_daily_stack_with_the_days_of_another_year(region):
    config = region()
    _lonlat(config.parent / "daily.tif", [1.0] * 365, res=0.2)
    _configure(config, "precipitation", 'path = "daily.tif"\nproduct = "CHIRPS-daily"')
    _fails(config, "has 365 band(s); a daily stack of 2020 has 366 (a leap year)")


def test_monthly_stack_with_eleven_bands(region):
    config = region()
    _lonlat(config.parent / "p11.tif", MONTHLY_MM[:11])
    _configure(config, "precipitation", 'path = "p11.tif"\nunits = "mm"\nstack = "monthly"')
    _fails(config, "has 11 band(s); a monthly stack of 2020 has 12")


def test_eight_day_stack_cannot_give_months(region):
    config = region()
    _modis(config.parent / "et8.tif", [100] * 46)
    _configure(config, "precipitation_monthly", 'path = "et8.tif"\nunits = "mm"\nstack = "8day"')
    _fails(config, "8day periods straddle month ends")


def test_single_band_of_an_8day_product_is_not_annual_et(region):
    config = region()
    _modis(config.parent / "et_one.tif", [150])
    _configure(config, "actual_et", 'path = "et_one.tif"\nproduct = "MOD16A2"')
    _fails(config, "has 1 band(s); a 8day stack of 2020 has 46")


def test_stack_without_stack_setting_says_how(region):
    config = region()
    _lonlat(config.parent / "p12.tif", MONTHLY_MM)
    _configure(config, "precipitation", 'path = "p12.tif"\nunits = "mm"')
    _fails(config, "has 12 band(s); the layer needs 1", "stack = 'monthly'")


def test_rate_per_year_on_monthly_bands_is_ambiguous(region):
    config = region()
    _lonlat(config.parent / "p12.tif", MONTHLY_MM)
    _configure(config, "precipitation_monthly", 'path = "p12.tif"\nunits = "mm/year"')
    _fails(config, "unit 'mm/year' cannot be converted", "ambiguous")


def test_netcdf_without_crs_and_without_preset(region):
    config = region()
    _netcdf(config.parent / "p.nc", "pr", [100] * 12, units="mm")
    _configure(config, "precipitation_monthly", 'path = "p.nc"')
    _fails(config, "has no coordinate reference system", "crs = 'EPSG:4326'")
    _configure(config, "precipitation_monthly", 'path = "p.nc"\ncrs = "EPSG:4326"')
    plan, layers = _layers(config)
    np.testing.assert_allclose(_cells(plan, layers["precipitation_monthly"]), 100.0)


def test_cf_rate_units_from_the_netcdf_metadata(region):
    """A precipitation flux in 'kg m-2 s-1' (CF spelling, water): × the seconds of each month."""
    config = region()
    _netcdf(config.parent / "pr.nc", "pr", [1e-5] * 12, dtype="f4", units="kg m-2 s-1")
    _configure(config, "precipitation_monthly", 'path = "pr.nc"\ncrs = "EPSG:4326"')
    plan, layers = _layers(config)
    monthly = _cells(plan, layers["precipitation_monthly"])
    days = [calendar.monthrange(2020, m)[1] for m in range(1, 13)]
    expected = np.asarray([1e-5 * 86400 * d for d in days])[:, None]
    np.testing.assert_allclose(monthly, np.broadcast_to(expected, monthly.shape), rtol=1e-5)


def test_derived_layer_reads_no_file(region):
    config = region()
    _configure(config, "rainfall_erosivity", 'derive = "annual_precipitation"\npath = "x.tif"')
    with pytest.raises(InputError, match="reads no file: remove path"):
        load_config(config)


# -- the masked warp path -------------------------------------------------------------------------


def test_fill_codes_never_leak_into_averaged_cells_and_chunks_agree(tmp_path):
    """Fills are masked before resampling: an average of fill codes and data would be huge."""
    grid = AccountingGrid.from_bounds(
        (1_000_000, 3_000_000, 1_010_000, 3_008_000), 1000, "china-albers"
    )
    rng = np.random.default_rng(7)
    transform, width, height = product_frame("EPSG:4326", 0.003)
    data = (rng.random((height, width)) * 1000).astype("int16")
    data[rng.random((height, width)) < 0.2] = 32767
    data[rng.random((height, width)) < 0.05] = -31000  # below the valid range
    path = _tif(tmp_path / "fills.tif", data, "EPSG:4326", transform)
    arrays = {}
    for chunk in (2, 3, 1024):
        lazy = read_aligned(
            path,
            grid,
            bands=[1],
            resampling="average",
            nodata=None,
            chunk=chunk,
            fill_values=(32767.0,),
            valid_range=(-30000.0, 32700.0),
        )
        arrays[chunk] = np.asarray(lazy.compute())
    assert np.nanmax(arrays[1024]) < 1000
    assert np.nanmin(arrays[1024]) >= 0
    assert np.isfinite(arrays[1024]).all()
    np.testing.assert_array_equal(arrays[2], arrays[1024])
    np.testing.assert_array_equal(arrays[3], arrays[1024])
