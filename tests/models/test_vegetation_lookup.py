"""Fractional vegetation cover (dimidiate pixel model, Gutman & Ignatov 1998) and the
per-pixel look-up of values by ecosystem code (gepkit.models.vegetation, gepkit.models.lookup).
"""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

from gepkit.errors import UnitError
from gepkit.grid import AccountingGrid
from gepkit.models.lookup import in_codes, lookup, lookup_table
from gepkit.models.vegetation import fractional_vegetation_cover

#: 4 × 4 cells of 1 km in China Albers.
GRID = AccountingGrid.from_bounds((0.0, 0.0, 2000.0, 2000.0), 1000.0, "china-albers")

NDVI = np.array(
    [
        [0.45, 0.05, 0.85, 0.25],
        [-0.2, 0.95, np.nan, 0.65],
        [0.0, 1.0, 0.5, 0.3],
        [0.1, 0.2, 0.7, 0.8],
    ]
)


def _ndvi(units: str | None = "dimensionless") -> xr.DataArray:
    da = GRID.wrap(NDVI.copy(), name="ndvi", units="")
    if units is None:
        del da.attrs["units"]
    else:
        da.attrs["units"] = units
    return da


# -- fractional vegetation cover -------------------------------------------------------------


def test_fvc_by_hand():
    """c = (NDVI − 0.05)/(0.85 − 0.05) clipped to [0, 1]: NDVI 0.45 → 0.5, 0.25 → 0.25,
    0.65 → 0.75; at or below the soil value → 0; at or above the vegetation value → 1."""
    fvc = fractional_vegetation_cover(_ndvi(), ndvi_soil=0.05, ndvi_vegetation=0.85)
    v = fvc.values
    assert v[0, 0] == pytest.approx((0.45 - 0.05) / (0.85 - 0.05), rel=1e-12)
    assert v[0, 0] == pytest.approx(0.5, rel=1e-12)
    assert v[0, 3] == pytest.approx(0.25, rel=1e-12)
    assert v[1, 3] == pytest.approx(0.75, rel=1e-12)
    assert v[2, 3] == pytest.approx((0.3 - 0.05) / 0.8, rel=1e-12)
    assert v[0, 1] == 0.0  # NDVI = NDVI_soil
    assert v[0, 2] == pytest.approx(1.0, rel=1e-12)  # NDVI = NDVI_veg
    assert v[1, 0] == 0.0  # water-like NDVI < 0
    assert v[2, 0] == 0.0
    assert v[1, 1] == 1.0  # above NDVI_veg
    assert v[2, 1] == 1.0


def test_fvc_nan_stays_nan():
    """A missing NDVI gives a missing cover (clipping must not turn it into 0 or 1)."""
    fvc = fractional_vegetation_cover(_ndvi(), ndvi_soil=0.05, ndvi_vegetation=0.85)
    assert np.isnan(fvc.values[1, 2])
    assert int(fvc.isnull().sum()) == 1


def test_fvc_metadata():
    """The cover is named 'fvc', dimensionless, on the NDVI grid."""
    fvc = fractional_vegetation_cover(_ndvi(), ndvi_soil=0.05, ndvi_vegetation=0.85)
    assert fvc.name == "fvc"
    assert fvc.attrs == {"units": "dimensionless"}
    np.testing.assert_array_equal(fvc["x"].values, GRID.x_coords())


@pytest.mark.parametrize(("soil", "veg"), [(0.5, 0.5), (0.8, 0.1)])
def test_fvc_rejects_inverted_end_members(soil, veg):
    """NDVI_veg must exceed NDVI_soil (else the formula divides by ≤ 0)."""
    with pytest.raises(ValueError, match="ndvi_vegetation"):
        fractional_vegetation_cover(_ndvi(), ndvi_soil=soil, ndvi_vegetation=veg)


@pytest.mark.parametrize("units", ["percent", "m", None])
def test_fvc_unit_errors(units):
    """NDVI must be dimensionless: percent, a length or no unit raise UnitError."""
    with pytest.raises(UnitError, match="ndvi"):
        fractional_vegetation_cover(_ndvi(units), ndvi_soil=0.05, ndvi_vegetation=0.85)


def test_fvc_dask_matches_numpy():
    """Dask NDVI chunked by 2 and 3 gives the numpy cover and stays lazy."""
    reference = fractional_vegetation_cover(_ndvi(), ndvi_soil=0.05, ndvi_vegetation=0.85)
    for chunk in (2, 3):
        lazy = fractional_vegetation_cover(
            _ndvi().chunk(chunk), ndvi_soil=0.05, ndvi_vegetation=0.85
        )
        assert isinstance(lazy.data, dsa.Array)
        np.testing.assert_allclose(lazy.values, reference.values, rtol=1e-12)


# -- look-up by ecosystem code ---------------------------------------------------------------

#: Runoff coefficients of Gong et al. 2017 Table 2 (gep-methods §2.3) as fractions, keyed by
#: made-up codes.
ALPHA = {11: 0.0465, 12: 0.0452, 21: 0.0426, 33: 0.0387, 42: 0.0}

CODES = np.array(
    [
        [11, 12, 21, 33],
        [42, 11, 99, 12],
        [33, np.nan, 21, -1],
        [11, 500, 42, 33],
    ]
)


def _codes() -> xr.DataArray:
    return GRID.wrap(CODES.copy(), name="ecosystem", units="dimensionless")


def test_lookup_table_layout():
    """A dense table indexed by code, NaN for codes without a value, negative codes ignored."""
    lut = lookup_table({2: 1.5, 5: 3.0, -3: 9.0})
    assert lut.shape == (6,)
    assert lut[2] == 1.5
    assert lut[5] == 3.0
    assert np.isnan(lut[[0, 1, 3, 4]]).all()
    assert not np.any(lut == 9.0)


def test_lookup_table_empty():
    """An empty mapping gives a one-entry all-NaN table."""
    lut = lookup_table({})
    assert lut.shape == (1,)
    assert np.isnan(lut[0])


def test_lookup_values():
    """Every known code gets its value; unknown, negative, too large and missing codes get NaN."""
    out = lookup(_codes(), ALPHA, name="runoff_coefficient", units="dimensionless")
    expected = np.array(
        [
            [0.0465, 0.0452, 0.0426, 0.0387],
            [0.0, 0.0465, np.nan, 0.0452],
            [0.0387, np.nan, 0.0426, np.nan],
            [0.0465, np.nan, 0.0, 0.0387],
        ]
    )
    np.testing.assert_array_equal(out.values, expected)
    assert out.name == "runoff_coefficient"
    assert out.attrs == {"units": "dimensionless"}
    assert out.dtype == np.float64


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int64"])
def test_lookup_integer_codes(dtype):
    """Integer land-cover rasters are looked up the same way (uint8 has no NaN: 0 stands in)."""
    codes = np.array([[11, 12], [42, 0]], dtype=dtype)
    da = xr.DataArray(codes, dims=("y", "x"))
    out = lookup(da, ALPHA, name="alpha", units="dimensionless")
    np.testing.assert_array_equal(out.values, [[0.0465, 0.0452], [0.0, np.nan]])


def test_in_codes():
    """Mask of pixels whose code is one of the members; missing and unknown codes are False."""
    mask = in_codes(_codes(), {11, 33})
    expected = np.array(
        [
            [True, False, False, True],
            [False, True, False, False],
            [True, False, False, False],
            [True, False, False, True],
        ]
    )
    np.testing.assert_array_equal(mask.values, expected)
    assert mask.dtype == bool


def test_in_codes_empty_members():
    """No members: nothing is in scope."""
    mask = in_codes(_codes(), set())
    assert mask.dtype == bool
    assert not mask.values.any()
    assert mask.shape == GRID.shape


def test_lookup_dask_matches_numpy():
    """Look-up and membership of dask codes (chunks 2 and 3) equal the numpy results."""
    reference = lookup(_codes(), ALPHA, name="alpha", units="dimensionless")
    mask_ref = in_codes(_codes(), {12, 42})
    for chunk in (2, 3):
        lazy = lookup(_codes().chunk(chunk), ALPHA, name="alpha", units="dimensionless")
        mask = in_codes(_codes().chunk(chunk), {12, 42})
        assert isinstance(lazy.data, dsa.Array)
        np.testing.assert_allclose(lazy.values, reference.values, rtol=1e-12)
        np.testing.assert_array_equal(mask.values, mask_ref.values)
