"""gepkit side by side with InVEST 3.20.2 on identical inputs.

The InVEST outputs in tests/fixtures/invest were made once by scripts/invest_reference.py (SDR
with MFD routing, Annual Water Yield, Carbon on a synthetic catchment; Carbon on the Willamette
sample).  Tolerances and the reasons for every remaining difference:

* InVEST writes float32 rasters: relative differences up to ~1e-6 are storage rounding
  (tolerance 2e-6 relative);
* pit filling, MFD directions and flow accumulation are computed identically (the routing
  kernels follow pygeoprocessing's conventions), so they agree to float64 rounding;
* slope: InVEST treats outside the raster as missing (one-sided differences at the border); the
  comparison uses gepkit's ``edges="nodata"``, which does the same (gepkit's default extrapolates
  the DEM linearly instead, which changes border cells only);
* InVEST sets RKLS, USLE and avoided erosion to nodata on stream cells (flow accumulation above
  the threshold); gepkit's account keeps streams (the Chinese method counts all land), so the
  comparison masks InVEST's stream cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr

from gepkit.models.carbon import carbon_stock, sequestration_from_stock_change
from gepkit.models.soil_retention import ls_factor_invest_sdr
from gepkit.models.terrain import flow_accumulation, slope_degrees
from gepkit.models.water_yield import budyko_water_yield

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "invest"
FLOAT32_RTOL = 2e-6
CELL = 30.0


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        data = src.read(1).astype("float64")
        if src.nodata is not None:
            data[data == src.nodata] = np.nan
    return data


def _da(array: np.ndarray, units: str) -> xr.DataArray:
    return xr.DataArray(array, dims=("y", "x"), attrs={"units": units})


def _by_class(lulc: np.ndarray, table: pd.DataFrame, column: str) -> np.ndarray:
    lut = np.full(max(int(np.nanmax(lulc)), int(table.index.max())) + 1, np.nan)
    for code, value in table[column].items():
        lut[int(code)] = value
    out = np.full(lulc.shape, np.nan)
    valid = ~np.isnan(lulc)
    out[valid] = lut[lulc[valid].astype(int)]
    return out


@pytest.fixture(scope="module")
def biophysical() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "inputs" / "biophysical.csv").set_index("lucode")


@pytest.fixture(scope="module")
def sdr_chain():
    dem = _da(_read(FIXTURES / "inputs" / "dem.tif"), "m")
    filled, accumulation = flow_accumulation(dem, algorithm="mfd")
    slope = slope_degrees(filled, cell_size=CELL, edges="nodata")
    ls = ls_factor_invest_sdr(slope, accumulation, cell_size=CELL, l_max=122.0)
    return filled, accumulation, slope, ls


def test_pit_filling_and_flow_accumulation_match_sdr(sdr_chain):
    filled, accumulation, _, _ = sdr_chain
    np.testing.assert_array_equal(filled.values, _read(FIXTURES / "sdr" / "pit_filled_dem.tif"))
    np.testing.assert_allclose(
        accumulation.values, _read(FIXTURES / "sdr" / "flow_accumulation.tif"), rtol=1e-12
    )


def test_slope_and_ls_match_sdr(sdr_chain):
    _, _, slope, ls = sdr_chain
    percent = 100 * np.tan(np.radians(slope.values))
    np.testing.assert_allclose(
        percent, _read(FIXTURES / "sdr" / "slope.tif"), rtol=FLOAT32_RTOL, atol=1e-9
    )
    np.testing.assert_allclose(ls.values, _read(FIXTURES / "sdr" / "ls.tif"), rtol=FLOAT32_RTOL)


def test_rkls_usle_and_avoided_erosion_match_sdr(sdr_chain, biophysical):
    """RKLS = R·K·LS, USLE = RKLS·C·P, avoided erosion = RKLS − USLE (t/ha per cell)."""
    _, _, _, ls = sdr_chain
    erosivity = _read(FIXTURES / "inputs" / "erosivity.tif")
    erodibility = _read(FIXTURES / "inputs" / "erodibility.tif")
    lulc = _read(FIXTURES / "inputs" / "lulc.tif")
    stream = _read(FIXTURES / "sdr" / "stream.tif") == 1
    cp = _by_class(lulc, biophysical, "usle_c") * _by_class(lulc, biophysical, "usle_p")
    rkls = np.where(stream, np.nan, ls.values * erosivity * erodibility)
    usle = rkls * cp
    avoided = rkls - usle
    for name, mine in (("rkls", rkls), ("usle", usle), ("avoided_erosion", avoided)):
        theirs = _read(FIXTURES / "sdr" / f"{name}.tif")
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs), err_msg=name)
        np.testing.assert_allclose(mine, theirs, rtol=FLOAT32_RTOL, atol=1e-6, err_msg=name)
    assert stream.sum() > 0  # the comparison did exercise the stream mask


def test_budyko_water_yield_matches_annual_water_yield(biophysical):
    lulc = _read(FIXTURES / "inputs" / "lulc.tif")
    water_yield, aet = budyko_water_yield(
        precipitation=_da(_read(FIXTURES / "inputs" / "precip.tif"), "mm"),
        reference_et=_da(_read(FIXTURES / "inputs" / "eto.tif"), "mm"),
        kc=_da(_by_class(lulc, biophysical, "kc"), "dimensionless"),
        root_depth=_da(_by_class(lulc, biophysical, "root_depth"), "mm"),
        soil_depth=_da(_read(FIXTURES / "inputs" / "root_depth.tif"), "mm"),
        pawc=_da(_read(FIXTURES / "inputs" / "pawc.tif"), "dimensionless"),
        vegetated=_da(_by_class(lulc, biophysical, "lulc_veg"), "dimensionless"),
        seasonality=5.0,
    )
    np.testing.assert_allclose(
        water_yield.values, _read(FIXTURES / "annual_water_yield" / "wyield.tif"), rtol=FLOAT32_RTOL
    )
    np.testing.assert_allclose(
        aet.values, _read(FIXTURES / "annual_water_yield" / "aet.tif"), rtol=FLOAT32_RTOL
    )


def _stock(lulc: np.ndarray, table: pd.DataFrame) -> xr.DataArray:
    pools = {
        k: _da(_by_class(lulc, table, f"c_{k}"), "tC/hectare")
        for k in ("above", "below", "soil", "dead")
    }
    return carbon_stock(**pools, cell_area_ha=1.0)  # per hectare: InVEST's rasters are Mg C/ha


def test_carbon_stock_and_change_match_carbon(biophysical):
    base = _stock(_read(FIXTURES / "inputs" / "lulc.tif"), biophysical)
    alt = _stock(_read(FIXTURES / "inputs" / "lulc_alt.tif"), biophysical)
    np.testing.assert_allclose(
        base.values, _read(FIXTURES / "carbon" / "c_storage_bas.tif"), rtol=FLOAT32_RTOL
    )
    np.testing.assert_allclose(
        alt.values, _read(FIXTURES / "carbon" / "c_storage_alt.tif"), rtol=FLOAT32_RTOL
    )
    change = _read(FIXTURES / "carbon" / "c_change_bas_alt.tif")
    co2 = sequestration_from_stock_change(
        stock=alt.assign_attrs(units="tC"), baseline_stock=base.assign_attrs(units="tC"), years=1.0
    )
    np.testing.assert_allclose(co2.values * 12 / 44, change, rtol=FLOAT32_RTOL, atol=1e-6)


def test_carbon_stock_on_the_willamette_sample():
    """InVEST's classic sample: 30 m land cover of the Willamette valley, 66 classes."""
    folder = FIXTURES / "willamette"
    table = pd.read_csv(folder / "carbon_pools.csv").set_index("lucode")
    lulc = _read(folder / "lc_samp_cur_b.tif")
    mine = _stock(lulc, table).values
    theirs = _read(folder / "invest" / "c_storage_bas.tif")
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
    np.testing.assert_allclose(mine, theirs, rtol=FLOAT32_RTOL)
    cell_ha = CELL * CELL / 1e4
    assert np.nansum(mine) * cell_ha == pytest.approx(np.nansum(theirs) * cell_ha, rel=1e-6)
