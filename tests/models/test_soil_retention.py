"""Soil retention by the RUSLE (HJ 1173—2021 eqs. A.2–A.13; gep-parameters-confirmed §2).

L = (λ/22.13)^m, m = β/(1+β), β = (sin θ/0.089)/(3.0 (sin θ)^0.8 + 0.56)   (eqs. A.9–A.11)
S by the four branches of eq. A.12; C from HJ 1173 Table A.1 and eq. A.13;
Q = R·K·L·S·(1 − C·P)·A.
"""

from __future__ import annotations

import math

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

from gepkit.errors import UnitError
from gepkit.grid import AccountingGrid
from gepkit.models.soil_retention import (
    CoverRule,
    cover_management_factor,
    slope_length_factor,
    slope_steepness_factor,
    soil_retention,
)

R_UNITS = "MJ*mm/(hectare*h)"
K_UNITS = "t*hectare*h/(hectare*MJ*mm)"

#: 1 km cells in China Albers: 5 × 5 cells (3 km × 3 km bounds plus the 1-cell buffer).
GRID = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 3000.0), 1000.0, "china-albers")

#: HJ 1173 Table A.1 forest row (< 10 %, 10–30 %, 30–50 %, 50–70 %, 70–90 %, ≥ 90 %).
FOREST_C = (0.10, 0.08, 0.06, 0.02, 0.004, 0.001)
FOREST, URBAN, DRYLAND, CROPLAND, NO_RULE = 11, 62, 52, 50, 33
RULES = {
    FOREST: CoverRule("fvc_classes", by_fvc_class=FOREST_C),
    URBAN: CoverRule("constant", constant=0.01),  # HJ 1173 Table A.1: urban 0.01
    DRYLAND: CoverRule("dryland_log"),
    CROPLAND: CoverRule("cropland_mix"),
}


def _degrees(values) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype="float64"), dims="x", attrs={"units": "degree"})


def _sin(deg: float) -> float:
    return math.sin(math.radians(deg))


def _dryland(c: float) -> float:
    """HJ 1173 eq. A.13, clipped to [0, 1]."""
    return min(max(0.221 - 0.595 * math.log10(c), 0.0), 1.0)


# -- L factor --------------------------------------------------------------------------------


@pytest.mark.parametrize("theta", [0.0, 2.0, 5.0, 10.0, 20.0, 35.0, 60.0])
def test_l_is_one_at_the_unit_plot_length(theta):
    """λ = 22.13 m (the RUSLE unit plot) gives L = 1 whatever the slope (HJ 1173 eq. A.9)."""
    L = slope_length_factor(_degrees([theta]), slope_length=22.13)
    assert float(L[0]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("theta", "length"), [(3.0, 50.0), (10.0, 100.0), (25.0, 40.0)])
def test_l_by_hand(theta, length):
    """L from the McCool exponent written out (HJ 1173 eqs. A.9–A.11)."""
    s = _sin(theta)
    beta = (s / 0.089) / (3.0 * s**0.8 + 0.56)
    m = beta / (1.0 + beta)
    expected = (length / 22.13) ** m
    L = slope_length_factor(_degrees([theta]), slope_length=length)
    assert float(L[0]) == pytest.approx(expected, rel=1e-12)


def test_l_at_ten_degrees_literal():
    """θ = 10°, λ = 100 m: sin θ = 0.173648, β = 1.50158, m = 0.600253, L = 2.47273."""
    L = slope_length_factor(_degrees([10.0]), slope_length=100.0)
    assert float(L[0]) == pytest.approx(2.47273, rel=1e-5)


def test_l_grows_with_slope_length():
    """For a sloping cell L increases strictly with λ (m > 0), and is < 1 below 22.13 m."""
    lengths = [5.0, 10.0, 22.13, 50.0, 100.0, 300.0]
    values = [float(slope_length_factor(_degrees([12.0]), slope_length=lam)[0]) for lam in lengths]
    assert np.all(np.diff(values) > 0.0)
    assert values[0] < 1.0 < values[-1]


def test_l_is_one_on_flat_ground():
    """θ = 0 gives β = 0, m = 0, so L = 1 for any λ."""
    L = slope_length_factor(_degrees([0.0, 0.0]), slope_length=xr.DataArray([5.0, 500.0], dims="x"))
    np.testing.assert_allclose(L.values, [1.0, 1.0], rtol=0, atol=1e-15)


def test_l_with_per_pixel_slope_length():
    """λ may be an array: each pixel uses its own λ."""
    lam = xr.DataArray([22.13, 44.26, 88.52], dims="x")
    L = slope_length_factor(_degrees([15.0, 15.0, 15.0]), slope_length=lam)
    s = _sin(15.0)
    beta = (s / 0.089) / (3.0 * s**0.8 + 0.56)
    m = beta / (1.0 + beta)
    np.testing.assert_allclose(L.values, [1.0, 2.0**m, 4.0**m], rtol=1e-12)
    assert L.attrs == {"units": "dimensionless"}
    assert L.name == "L"


# -- S factor --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theta", "expected"),
    [
        (0.0, 0.03),  # 10.8·sin 0° + 0.03
        (3.0, 10.8 * math.sin(math.radians(3.0)) + 0.03),  # θ < 5.14°
        (5.13, 10.8 * math.sin(math.radians(5.13)) + 0.03),
        (5.14, 16.8 * math.sin(math.radians(5.14)) - 0.50),  # 5.14° ≤ θ < 10.20°
        (8.0, 16.8 * math.sin(math.radians(8.0)) - 0.50),
        (10.19, 16.8 * math.sin(math.radians(10.19)) - 0.50),
        (10.20, 21.9 * math.sin(math.radians(10.20)) - 0.96),  # 10.20° ≤ θ < 28.81°
        (20.0, 21.9 * math.sin(math.radians(20.0)) - 0.96),
        (28.80, 21.9 * math.sin(math.radians(28.80)) - 0.96),
        (28.81, 9.5988),  # θ ≥ 28.81°
        (45.0, 9.5988),
        (70.0, 9.5988),
    ],
)
def test_s_branches(theta, expected):
    """Every branch of HJ 1173 eq. A.12, with each threshold belonging to the upper branch."""
    S = slope_steepness_factor(_degrees([theta]))
    assert float(S[0]) == pytest.approx(expected, rel=1e-12)


def test_s_literal_values():
    """S(20°) = 21.9·0.342020 − 0.96 = 6.53024; S(8°) = 16.8·0.139173 − 0.5 = 1.83811."""
    S = slope_steepness_factor(_degrees([20.0, 8.0]))
    np.testing.assert_allclose(S.values, [6.53024, 1.83811], rtol=1e-5)


def test_s_nearly_continuous_at_28_81():
    """21.9 sin 28.81° − 0.96 ≈ 9.593, so the cap 9.5988 joins the steep branch within 0.01
    (gep-parameters-confirmed §2.4 check)."""
    S = slope_steepness_factor(_degrees([28.80999, 28.81]))
    assert float(S[0]) < float(S[1])
    assert float(S[1]) - float(S[0]) < 0.01


def test_s_does_not_decrease_with_slope():
    """S never decreases with θ between 0° and 90° (the branches step up at 5.14° and 10.20°)."""
    theta = np.linspace(0.0, 90.0, 9001)
    S = slope_steepness_factor(_degrees(theta)).values
    assert np.all(np.diff(S) >= 0.0)


def test_s_nan_slope():
    """A missing slope gives a missing S (not the 9.5988 cap of the last branch)."""
    S = slope_steepness_factor(_degrees([np.nan, 30.0]))
    assert np.isnan(S.values[0])
    assert S.values[1] == pytest.approx(9.5988)
    assert S.attrs == {"units": "dimensionless"}


@pytest.mark.parametrize("factor", [slope_length_factor, slope_steepness_factor])
@pytest.mark.parametrize("units", ["radian", "percent", None])
def test_slope_factors_require_degrees(factor, units):
    """θ must be in degrees: radians, percent or no unit raise UnitError."""
    slope = _degrees([10.0])
    if units is None:
        del slope.attrs["units"]
    else:
        slope.attrs["units"] = units
    kwargs = {"slope_length": 22.13} if factor is slope_length_factor else {}
    with pytest.raises(UnitError, match="slope"):
        factor(slope, **kwargs)


# -- C factor --------------------------------------------------------------------------------


def _cover(codes, fvc, paddy_share=0.4) -> xr.DataArray:
    eco = xr.DataArray(np.asarray(codes, dtype="float64"), dims="x")
    cover = xr.DataArray(np.asarray(fvc, dtype="float64"), dims="x", attrs={"units": "1"})
    return cover_management_factor(eco, cover, rules=RULES, paddy_share=paddy_share)


def test_c_fvc_classes_at_boundaries():
    """Forest C by cover class (HJ 1173 Table A.1); a class limit belongs to the class above
    (< 10 %, 10–30 %, …, ≥ 90 %, as FVC_CLASS_LIMITS documents)."""
    fvc = [0.0, 0.0999, 0.1, 0.2999, 0.3, 0.4999, 0.5, 0.6999, 0.7, 0.8999, 0.9, 1.0]
    expected = [0.10, 0.10, 0.08, 0.08, 0.06, 0.06, 0.02, 0.02, 0.004, 0.004, 0.001, 0.001]
    C = _cover([FOREST] * len(fvc), fvc)
    np.testing.assert_allclose(C.values, expected, rtol=0, atol=1e-15)


def test_c_constant_ignores_cover():
    """Urban C = 0.01 (HJ 1173 Table A.1) at any cover, including unknown cover."""
    C = _cover([URBAN] * 4, [0.0, 0.5, 1.0, np.nan])
    np.testing.assert_allclose(C.values, [0.01] * 4, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("fvc", "expected"),
    [
        (1.0, 0.221),  # log10(1) = 0
        (0.5, 0.221 - 0.595 * math.log10(0.5)),  # 0.400113
        (0.2, 0.221 - 0.595 * math.log10(0.2)),  # 0.636887
        (0.05, 0.221 - 0.595 * math.log10(0.05)),  # 0.995113
        (0.01, 1.0),  # 0.221 + 1.19 = 1.411 → clipped to 1
        (0.0, 1.0),  # log10(0) = −∞ → clipped to 1
    ],
)
def test_c_dryland_log(fvc, expected):
    """Dry land C = 0.221 − 0.595 log10(c), clipped to [0, 1] (HJ 1173 eq. A.13)."""
    C = _cover([DRYLAND], [fvc])
    assert float(C[0]) == pytest.approx(expected, rel=1e-12)


def test_c_dryland_literal():
    """C(c = 0.5) = 0.221 + 0.595 × 0.30103 = 0.40011."""
    assert float(_cover([DRYLAND], [0.5])[0]) == pytest.approx(0.40011, rel=1e-5)


@pytest.mark.parametrize("paddy_share", [0.0, 0.4, 1.0])
def test_c_cropland_mix(paddy_share):
    """Cropland of unknown type: C = (1 − paddy_share) · C_dry (paddy C = 0, Table A.1)."""
    fvc = [0.05, 0.3, 0.8]
    C = _cover([CROPLAND] * 3, fvc, paddy_share=paddy_share)
    expected = [(1.0 - paddy_share) * _dryland(c) for c in fvc]
    np.testing.assert_allclose(C.values, expected, rtol=1e-12, atol=1e-15)


def test_c_nan_cover():
    """Unknown cover gives NaN for the cover-dependent rules."""
    C = _cover([FOREST, DRYLAND, CROPLAND], [np.nan] * 3)
    assert np.isnan(C.values).all()


def test_c_codes_without_rule_are_nan():
    """A code without a rule (inside or beyond the rule table), a negative or a missing code
    gives NaN, never a made-up factor."""
    C = _cover([NO_RULE, 200, -1, np.nan, FOREST], [0.5] * 5)
    assert np.isnan(C.values[:4]).all()
    assert C.values[4] == pytest.approx(0.02)


def test_c_integer_codes_on_a_grid():
    """A uint8 land-cover grid mixing all rules gives each rule's value per pixel."""
    codes = np.array(
        [[FOREST, URBAN, DRYLAND], [CROPLAND, NO_RULE, FOREST], [DRYLAND, FOREST, URBAN]],
        dtype="uint8",
    )
    fvc = np.array([[0.95, 0.2, 0.5], [0.5, 0.5, 0.25], [1.0, 0.05, np.nan]])
    eco = xr.DataArray(codes, dims=("y", "x"))
    cover = xr.DataArray(fvc, dims=("y", "x"), attrs={"units": "dimensionless"})
    C = cover_management_factor(eco, cover, rules=RULES, paddy_share=0.25)
    expected = np.array(
        [
            [0.001, 0.01, 0.221 - 0.595 * math.log10(0.5)],
            [0.75 * (0.221 - 0.595 * math.log10(0.5)), np.nan, 0.08],
            [0.221, 0.10, 0.01],
        ]
    )
    np.testing.assert_allclose(C.values, expected, rtol=1e-12)
    assert C.attrs == {"units": "dimensionless"}
    assert C.name == "C"


@pytest.mark.parametrize("units", ["percent", None])
def test_c_requires_dimensionless_fvc(units):
    """Cover in percent or without a unit is refused."""
    eco = xr.DataArray([float(FOREST)], dims="x")
    fvc = xr.DataArray([50.0], dims="x", attrs={} if units is None else {"units": units})
    with pytest.raises(UnitError, match="fvc"):
        cover_management_factor(eco, fvc, rules=RULES, paddy_share=0.0)


# -- soil retention --------------------------------------------------------------------------


def _factors(R=8000.0, K=0.03, LS=2.5, C=0.06):
    """Constant factor grids on the 5 × 5 grid (R·K in t/hm²)."""
    full = np.ones(GRID.shape)
    return (
        GRID.wrap(full * R, name="R", units=R_UNITS),
        GRID.wrap(full * K, name="K", units=K_UNITS),
        GRID.wrap(full * LS, name="LS", units="dimensionless"),
        GRID.wrap(full * C, name="C", units="dimensionless"),
    )


def test_retention_by_hand():
    """R = 8000, K = 0.03, LS = 2.5, C = 0.06, P = 1 on a 1 km cell (100 hm²):
    8000 × 0.03 × 2.5 × (1 − 0.06) × 100 = 56 400 t."""
    R, K, LS, C = _factors()
    out = soil_retention(R=R, K=K, LS=LS, C=C, cell_area_ha=100.0)
    expected = 8000 * 0.03 * 2.5 * (1 - 0.06) * 100
    np.testing.assert_allclose(out.values, np.full(GRID.shape, expected), rtol=1e-12)
    np.testing.assert_allclose(out.values, 56_400.0, rtol=1e-12)
    assert out.attrs == {"units": "t"}
    assert out.name == "soil_retention"


def test_retention_with_support_practice():
    """P enters as (1 − C·P): P = 0.5 gives 8000 × 0.03 × 2.5 × (1 − 0.03) × 100."""
    R, K, LS, C = _factors()
    P = GRID.wrap(np.full(GRID.shape, 0.5), name="P", units="dimensionless")
    out = soil_retention(R=R, K=K, LS=LS, C=C, P=P, cell_area_ha=100.0)
    np.testing.assert_allclose(out.values, 8000 * 0.03 * 2.5 * (1 - 0.06 * 0.5) * 100, rtol=1e-12)
    scalar = soil_retention(R=R, K=K, LS=LS, C=C, P=0.5, cell_area_ha=100.0)
    np.testing.assert_allclose(scalar.values, out.values, rtol=1e-12)


def test_retention_extremes_of_c():
    """C = 0 (paddy, HJ 1173 Table A.1) retains the whole potential erosion R·K·LS·A;
    C = 1 retains nothing."""
    R, K, LS, _ = _factors()
    zero = GRID.wrap(np.zeros(GRID.shape), name="C", units="dimensionless")
    one = GRID.wrap(np.ones(GRID.shape), name="C", units="dimensionless")
    potential = soil_retention(R=R, K=K, LS=LS, C=zero, cell_area_ha=0.09)  # 30 m cell
    none = soil_retention(R=R, K=K, LS=LS, C=one, cell_area_ha=0.09)
    np.testing.assert_allclose(potential.values, 8000 * 0.03 * 2.5 * 0.09, rtol=1e-12)
    np.testing.assert_array_equal(none.values, 0.0)


def test_retention_nan_propagates():
    """A missing factor in one cell gives NaN there and nowhere else."""
    R, K, LS, C = _factors()
    K = K.copy(data=K.values.copy())
    K.values[2, 3] = np.nan
    out = soil_retention(R=R, K=K, LS=LS, C=C, cell_area_ha=100.0)
    assert np.isnan(out.values[2, 3])
    assert int(out.isnull().sum()) == 1


def test_retention_accepts_standard_unit_spellings():
    """R and K written as in HJ 1173 (MJ·mm/(hm²·h), t·hm²·h/(hm²·MJ·mm)) are accepted."""
    R, K, LS, C = _factors()
    R.attrs["units"] = "MJ·mm/(hm²·h)"
    K.attrs["units"] = "t·hm²·h/(hm²·MJ·mm)"
    out = soil_retention(R=R, K=K, LS=LS, C=C, cell_area_ha=100.0)
    assert float(out[0, 0]) == pytest.approx(56_400.0, rel=1e-12)


@pytest.mark.parametrize(
    ("which", "units", "name"),
    [
        ("R", "MJ*mm/(m^2*h)", "rainfall_erosivity"),
        ("R", None, "rainfall_erosivity"),
        ("K", "kg*hectare*h/(hectare*MJ*mm)", "soil_erodibility"),
        ("K", None, "soil_erodibility"),
        ("LS", "m", "LS"),
        ("LS", None, "LS"),
        ("C", "percent", "C"),
        ("C", None, "C"),
    ],
)
def test_retention_unit_errors(which, units, name):
    """Each factor is unit-checked (R per m² instead of per hm² is wrong by 10⁴)."""
    R, K, LS, C = _factors()
    args = {"R": R, "K": K, "LS": LS, "C": C}
    if units is None:
        del args[which].attrs["units"]
    else:
        args[which].attrs["units"] = units
    with pytest.raises(UnitError, match=name):
        soil_retention(**args, cell_area_ha=100.0)


# -- numpy versus dask -----------------------------------------------------------------------


def _slopes() -> xr.DataArray:
    theta = np.array(
        [
            [0.0, 2.0, 5.13, 5.14, 7.5],
            [10.19, 10.2, 15.0, 28.80, 28.81],
            [35.0, np.nan, 1.0, 4.0, 12.0],
            [22.0, 26.0, 31.0, 9.0, 0.5],
            [3.3, 6.6, 13.3, 19.9, 45.0],
        ]
    )
    return GRID.wrap(theta, name="slope", units="degree")


def test_l_and_s_dask_match_numpy():
    """L and S of dask inputs (chunks 2 and 3) equal the numpy results."""
    slope = _slopes()
    L0 = slope_length_factor(slope, slope_length=60.0)
    S0 = slope_steepness_factor(slope)
    for chunk in (2, 3):
        L = slope_length_factor(slope.chunk(chunk), slope_length=60.0)
        S = slope_steepness_factor(slope.chunk(chunk))
        assert isinstance(L.data, dsa.Array)
        assert isinstance(S.data, dsa.Array)
        np.testing.assert_allclose(L.values, L0.values, rtol=1e-12)
        np.testing.assert_allclose(S.values, S0.values, rtol=1e-12)


def test_c_dask_matches_numpy():
    """The C look-up gives the same values for numpy and dask inputs."""
    codes = np.array(
        [
            [FOREST, URBAN, DRYLAND, CROPLAND, NO_RULE],
            [FOREST, FOREST, FOREST, FOREST, FOREST],
            [DRYLAND, DRYLAND, CROPLAND, CROPLAND, URBAN],
            [np.nan, FOREST, DRYLAND, 200.0, FOREST],
            [CROPLAND, URBAN, FOREST, DRYLAND, FOREST],
        ]
    )
    fvc = np.array(
        [
            [0.05, 0.2, 0.5, 0.5, 0.5],
            [0.1, 0.3, 0.5, 0.7, 0.9],
            [0.0, 1.0, 0.15, np.nan, 0.4],
            [0.5, np.nan, 0.01, 0.5, 0.65],
            [0.33, 0.1, 0.95, 0.8, 0.0],
        ]
    )
    eco = GRID.wrap(codes, name="ecosystem", units="dimensionless")
    cover = GRID.wrap(fvc, name="fvc", units="dimensionless")
    C0 = cover_management_factor(eco, cover, rules=RULES, paddy_share=0.3)
    for chunk in (2, 3):
        C = cover_management_factor(
            eco.chunk(chunk), cover.chunk(chunk), rules=RULES, paddy_share=0.3
        )
        assert isinstance(C.data, dsa.Array)
        np.testing.assert_allclose(C.values, C0.values, rtol=1e-12)


def test_retention_dask_matches_numpy():
    """Soil retention of varied factors is identical for numpy and dask inputs."""
    rng = np.random.default_rng(7)
    R, K, LS, C = _factors()
    R = R.copy(data=rng.uniform(2000, 12000, GRID.shape))
    LS = LS.copy(data=rng.uniform(0.03, 30, GRID.shape))
    C = C.copy(data=rng.uniform(0, 1, GRID.shape))
    reference = soil_retention(R=R, K=K, LS=LS, C=C, cell_area_ha=100.0)
    for chunk in (2, 3):
        out = soil_retention(
            R=R.chunk(chunk),
            K=K.chunk(chunk),
            LS=LS.chunk(chunk),
            C=C.chunk(chunk),
            cell_area_ha=100.0,
        )
        assert isinstance(out.data, dsa.Array)
        np.testing.assert_allclose(out.values, reference.values, rtol=1e-12)
