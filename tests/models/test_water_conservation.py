"""Water conservation by the water balance (HJ 1173—2021 eq. A.1; gep-methods §2.3).

Q = (P − P·α − ET) · A · 10⁻³ per cell, in m³.
"""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

from gepkit.errors import UnitError
from gepkit.grid import AccountingGrid
from gepkit.models.water_conservation import water_conservation

#: 1 km cells in China Albers; bounds on whole kilometres plus the 1-cell buffer → 4 × 4 cells.
GRID = AccountingGrid.from_bounds((0.0, 0.0, 2000.0, 2000.0), 1000.0, "china-albers")
CELL_M2 = 1000.0 * 1000.0  # area of one 1 km cell, written out (not read from the grid)


def _inputs() -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """Precipitation, ET and runoff coefficient on the 4 × 4 grid, varied per cell."""
    precip = np.array(
        [
            [1600.0, 1600.0, 1200.0, 500.0],
            [1800.0, 1400.0, 1000.0, 900.0],
            [2000.0, 1600.0, 700.0, 1500.0],
            [1700.0, 1650.0, 1550.0, 1450.0],
        ]
    )
    et = np.array(
        [
            [700.0, 700.0, 600.0, 700.0],
            [800.0, 650.0, 950.0, 400.0],
            [750.0, 720.0, 710.0, 500.0],
            [690.0, 680.0, 670.0, 660.0],
        ]
    )
    # Runoff coefficients of Gong et al. 2017 Table 2 (gep-methods §2.3), as fractions.
    alpha = np.array(
        [
            [0.0465, 0.0452, 0.0352, 0.1],
            [0.0270, 0.0088, 0.1920, 0.0426],
            [0.0820, 0.0394, 0.0, 0.0957],
            [0.0937, 0.0913, 0.0387, 0.0417],
        ]
    )
    return (
        GRID.wrap(precip, name="precipitation", units="mm"),
        GRID.wrap(et, name="actual_et", units="mm"),
        GRID.wrap(alpha, name="runoff_coefficient", units="dimensionless"),
    )


def test_one_km_cell_by_hand():
    """Evergreen broadleaf forest cell: P = 1600 mm, α = 4.65 % (Gong et al. 2017), ET = 700 mm."""
    P, ET, alpha = _inputs()
    out = water_conservation(
        precipitation=P, actual_et=ET, runoff_coefficient=alpha, cell_area_m2=GRID.cell_area_m2
    )
    expected = (1600 - 0.0465 * 1600 - 700) * 1e-3 * 1e6  # = 825.6 mm over 1 km² = 825 600 m³
    assert out.values[0, 0] == pytest.approx(expected, rel=1e-12)
    assert out.values[0, 0] == pytest.approx(825_600.0, rel=1e-12)


def test_every_cell_by_hand():
    """Each cell of the 4 × 4 grid equals (P − αP − ET)·10⁻³·A, with deficits set to 0."""
    P, ET, alpha = _inputs()
    out = water_conservation(
        precipitation=P, actual_et=ET, runoff_coefficient=alpha, cell_area_m2=CELL_M2
    )
    expected = {
        (0, 1): (1600 - 0.0452 * 1600 - 700) * 1e-3 * 1e6,
        (0, 2): (1200 - 0.0352 * 1200 - 600) * 1e-3 * 1e6,
        (0, 3): 0.0,  # 500 − 50 − 700 < 0
        (1, 0): (1800 - 0.0270 * 1800 - 800) * 1e-3 * 1e6,
        (1, 2): 0.0,  # 1000 − 192 − 950 < 0
        (2, 0): (2000 - 0.0820 * 2000 - 750) * 1e-3 * 1e6,
        (2, 2): 0.0,  # 700 − 0 − 710 < 0
        (2, 3): (1500 - 0.0957 * 1500 - 500) * 1e-3 * 1e6,
        (3, 3): (1450 - 0.0417 * 1450 - 660) * 1e-3 * 1e6,
    }
    for (row, col), value in expected.items():
        assert out.values[row, col] == pytest.approx(value, rel=1e-12, abs=1e-9), (row, col)


def test_cell_area_scales_the_volume():
    """A 30 m cell (900 m²) conserves 900/10⁶ of what a 1 km cell conserves."""
    P, ET, alpha = _inputs()
    out = water_conservation(
        precipitation=P, actual_et=ET, runoff_coefficient=alpha, cell_area_m2=30.0 * 30.0
    )
    expected = (1600 - 0.0465 * 1600 - 700) * 1e-3 * 900.0  # = 743.04 m³
    assert out.values[0, 0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("zero", 0.0),
        # 500 − 0.1·500 − 700 = −250 mm over 1 km²
        ("keep", (500 - 0.1 * 500 - 700) * 1e-3 * 1e6),
    ],
)
def test_negative_balance(mode, expected):
    """ET + R > P: 'zero' counts nothing, 'keep' keeps the deficit (catalogue §2.3 choice)."""
    P, ET, alpha = _inputs()
    out = water_conservation(
        precipitation=P,
        actual_et=ET,
        runoff_coefficient=alpha,
        cell_area_m2=CELL_M2,
        negative_balance=mode,
    )
    assert out.values[0, 3] == pytest.approx(expected, abs=1e-9)
    # Positive cells are the same in both modes.
    assert out.values[0, 0] == pytest.approx((1600 - 0.0465 * 1600 - 700) * 1e-3 * 1e6)


def test_default_is_zero():
    """The default for a negative balance is 'zero' (documented default of the function)."""
    P, ET, alpha = _inputs()
    out = water_conservation(
        precipitation=P, actual_et=ET, runoff_coefficient=alpha, cell_area_m2=CELL_M2
    )
    assert out.values[0, 3] == 0.0
    assert float(out.min()) >= 0.0


@pytest.mark.parametrize("mode", ["zero", "keep"])
def test_missing_input_gives_nan(mode):
    """A missing ET or P value gives NaN (never a silent 0), in both negative-balance modes."""
    P, ET, alpha = _inputs()
    ET = ET.copy(data=ET.values.copy())
    ET.values[1, 1] = np.nan
    P = P.copy(data=P.values.copy())
    P.values[3, 0] = np.nan
    out = water_conservation(
        precipitation=P,
        actual_et=ET,
        runoff_coefficient=alpha,
        cell_area_m2=CELL_M2,
        negative_balance=mode,
    )
    assert np.isnan(out.values[1, 1])
    assert np.isnan(out.values[3, 0])
    assert int(out.isnull().sum()) == 2


def test_result_metadata():
    """The result is named, in m³, keeps the grid coordinates and not the inputs' attributes."""
    P, ET, alpha = _inputs()
    P.attrs["long_name"] = "precipitation"
    out = water_conservation(
        precipitation=P, actual_et=ET, runoff_coefficient=alpha, cell_area_m2=CELL_M2
    )
    assert out.name == "water_conservation"
    assert out.attrs == {"units": "m^3"}
    assert out.dims == ("y", "x")
    np.testing.assert_array_equal(out["x"].values, GRID.x_coords())
    np.testing.assert_array_equal(out["y"].values, GRID.y_coords())
    # The inputs are left as they were.
    assert P.attrs == {"units": "mm", "long_name": "precipitation"}
    assert P.name == "precipitation"


def test_equivalent_unit_spellings_are_accepted():
    """'millimeter' and '' (dimensionless) are the same units as 'mm' and 'dimensionless'."""
    P, ET, alpha = _inputs()
    P.attrs["units"] = "millimeter"
    alpha.attrs["units"] = ""
    out = water_conservation(
        precipitation=P, actual_et=ET, runoff_coefficient=alpha, cell_area_m2=CELL_M2
    )
    assert out.values[0, 0] == pytest.approx((1600 - 0.0465 * 1600 - 700) * 1e-3 * 1e6)


@pytest.mark.parametrize(
    ("which", "units"),
    [
        ("precipitation", "m"),
        ("precipitation", None),
        ("actual_et", "cm"),
        ("actual_et", None),
        ("runoff_coefficient", "percent"),
        ("runoff_coefficient", None),
    ],
)
def test_wrong_or_missing_units_raise(which, units):
    """Every input is unit-checked: a wrong unit (even a convertible one) or none is a UnitError."""
    P, ET, alpha = _inputs()
    args = {"precipitation": P, "actual_et": ET, "runoff_coefficient": alpha}
    if units is None:
        del args[which].attrs["units"]
    else:
        args[which].attrs["units"] = units
    with pytest.raises(UnitError, match=which):
        water_conservation(**args, cell_area_m2=CELL_M2)


@pytest.mark.parametrize("mode", ["zero", "keep"])
def test_dask_matches_numpy(mode):
    """numpy and dask inputs (chunks of 2 and of 3 cells) give the same cells; dask stays lazy."""
    P, ET, alpha = _inputs()
    reference = water_conservation(
        precipitation=P,
        actual_et=ET,
        runoff_coefficient=alpha,
        cell_area_m2=CELL_M2,
        negative_balance=mode,
    )
    for chunk in (2, 3):
        lazy = water_conservation(
            precipitation=P.chunk(chunk),
            actual_et=ET.chunk(chunk),
            runoff_coefficient=alpha.chunk(chunk),
            cell_area_m2=CELL_M2,
            negative_balance=mode,
        )
        assert isinstance(lazy.data, dsa.Array)
        np.testing.assert_allclose(lazy.values, reference.values, rtol=1e-12)
