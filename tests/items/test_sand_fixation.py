"""Sand fixation by the RWEQ (HJ 1173—2021 A.3, eqs. A.14–A.22; gep-parameters-confirmed §3).

Every expected value is evaluated here from the equations as printed in the standard:

    EF  = (29.09 + 0.31 sa + 0.17 si + 0.33 sa/cl − 2.59 OM − 0.95 CaCO₃) / 100   (A.18)
    SCF = 1 / (1 + 0.0066 cl² + 0.021 OM²)                                        (A.19)
    C   = exp(−a_i · SC), SC in percent                                           (A.20)
    K′  = exp(1.86 K_r − 2.41 K_r^0.934), K_r = 0.2 ΔH² / L                        (A.21, A.22)
    S_L = (2z/s²) · Q_max · exp(−(z/s)²), Q_max = 109.8 P, s = 150.71 P^−0.3711  (A.15, A.16)
    P   = WF · EF · SCF · K′ · C;  SR = S_L,pot(C = 1) − S_L

S_L is in kg/m² (Q_max in kg/m × 2z/s² in 1/m); a 1 km² cell holds 10⁶ m², so t per cell =
S_L · 10⁶ · 10⁻³ = 1000 · S_L, which is also HJ 1173's t/(km²·a).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import NDVI, accounts_wide, raster_grid, select_items, write_raster
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import gepkit.items
from gepkit.cli import app
from gepkit.config import load_config
from gepkit.errors import ConfigError, UnitError
from gepkit.items.sand_fixation import SandFixation, SandFixationOptions
from gepkit.models.sand_fixation import (
    ROUGHNESS_FIT_LIMIT,
    elevation_range,
    erodible_fraction,
    loss_per_cell,
    peak_product,
    sand_fixation,
    soil_crust_factor,
    soil_loss,
    surface_roughness_factor,
    vegetation_factor,
)
from gepkit.pipeline import run

Z = 50.0  # m, parameter rweq_max_erosion_distance (pyrweq default)
A_FOREST, A_GRASS, A_SHRUB, A_FARM = 0.1535, 0.1151, 0.0921, 0.0438  # HJ 1173 eq. A.20


# -- hand formulas ---------------------------------------------------------------------------


def ef_hand(sa: float, si: float, cl: float, om: float, caco3: float = 0.0) -> float:
    return (29.09 + 0.31 * sa + 0.17 * si + 0.33 * (sa / cl) - 2.59 * om - 0.95 * caco3) / 100


def scf_hand(cl: float, om: float) -> float:
    return 1.0 / (1.0 + 0.0066 * cl**2 + 0.021 * om**2)


def kprime_hand(kr: float) -> float:
    return math.exp(1.86 * kr - 2.41 * kr**0.934)


def sl_hand(p: float, z: float = Z) -> float:
    """S_L [kg/m²] for the factor product P [kg/m]."""
    s = 150.71 * p**-0.3711
    q_max = 109.8 * p
    return 2 * z / s**2 * q_max * math.exp(-((z / s) ** 2))


def _da(values, units: str) -> xr.DataArray:
    arr = np.asarray(values, dtype="float64")
    dims = ("y", "x")[-arr.ndim :] if arr.ndim else ()
    return xr.DataArray(arr, dims=dims, attrs={"units": units})


def _pct(values) -> xr.DataArray:
    return _da(values, "percent")


def _one(values) -> xr.DataArray:
    return _da(values, "dimensionless")


# -- erodible fraction EF (eq. A.18) ---------------------------------------------------------


def test_erodible_fraction_hand_values():
    """sa 30, si 40, cl 20, OM 1.5 → (29.09 + 9.3 + 6.8 + 0.495 − 3.885)/100 = 0.418;
    with 2 % CaCO₃: 0.418 − 0.019 = 0.399."""
    kwargs = dict(sand=_pct([30.0]), silt=_pct([40.0]), clay=_pct([20.0]))
    out = erodible_fraction(**kwargs, organic_matter=_pct([1.5]))
    assert out.attrs == {"units": "dimensionless"}
    np.testing.assert_allclose(out.values, [ef_hand(30, 40, 20, 1.5)], rtol=1e-12)
    np.testing.assert_allclose(out.values, [0.418], rtol=1e-12)
    with_caco3 = erodible_fraction(
        **kwargs, organic_matter=_pct([1.5]), calcium_carbonate=_pct([2.0])
    )
    np.testing.assert_allclose(with_caco3.values, [0.399], rtol=1e-12)


def test_erodible_fraction_is_clipped_and_guards_zero_clay():
    """Organic soil (OM 15 %): 29.09 + 3.1 + 1.7 + 1.65 − 38.85 < 0 → 0; sandy soil without clay
    → 1 (sa/cl → ∞); no sand and no clay → (29.09 + 0.17·50 − 2.59)/100 = 0.35; NaN stays NaN.
    None of it may warn (division by zero)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = erodible_fraction(
            sand=_pct([10.0, 80.0, 0.0, np.nan, 10.0]),
            silt=_pct([10.0, 10.0, 50.0, 10.0, 10.0]),
            clay=_pct([20.0, 0.0, 0.0, 10.0, np.nan]),
            organic_matter=_pct([15.0, 1.0, 1.0, 1.0, 1.0]),
        ).values
    assert ef_hand(10, 10, 20, 15) < 0
    np.testing.assert_allclose(out[:3], [0.0, 1.0, 0.35], rtol=1e-12)
    assert np.isnan(out[3])
    assert np.isnan(out[4])


def test_erodible_fraction_wants_percent():
    """Soil texture as a fraction (dimensionless) is refused: the equation needs percent."""
    with pytest.raises(UnitError, match="sand"):
        erodible_fraction(
            sand=_one([0.3]), silt=_pct([40.0]), clay=_pct([20.0]), organic_matter=_pct([1.5])
        )


# -- crust factor SCF (eq. A.19) and vegetation factor C (eq. A.20) ---------------------------


def test_soil_crust_factor_hand_values():
    """cl 20, OM 1.5 → 1/(1 + 2.64 + 0.04725) = 0.27120; no clay, no OM → 1."""
    out = soil_crust_factor(clay=_pct([20.0, 0.0]), organic_matter=_pct([1.5, 0.0]))
    np.testing.assert_allclose(out.values, [scf_hand(20, 1.5), 1.0], rtol=1e-12)
    np.testing.assert_allclose(out.values[0], 1 / 3.68725, rtol=1e-12)


def test_vegetation_factor_hand_values():
    """C = exp(−a·SC): forest at 50 % cover exp(−7.675); farmland at 50 % exp(−2.19); bare 1."""
    cover = _pct([50.0, 50.0, 0.0])
    a = _one([A_FOREST, A_FARM, A_GRASS])
    out = vegetation_factor(cover, coefficient=a)
    np.testing.assert_allclose(out.values, [math.exp(-7.675), math.exp(-2.19), 1.0], rtol=1e-12)
    scalar = vegetation_factor(_pct([20.0]), coefficient=A_SHRUB)
    np.testing.assert_allclose(scalar.values, [math.exp(-0.0921 * 20)], rtol=1e-12)


def test_vegetation_factor_wants_percent_cover():
    with pytest.raises(UnitError, match="vegetation_cover"):
        vegetation_factor(_one([0.5]), coefficient=A_FOREST)


# -- roughness K′ (eqs. A.21, A.22) ----------------------------------------------------------


def _plane(gradient: float, rows: int = 4, cols: int = 6, cell: float = 1000.0) -> xr.DataArray:
    """Elevation [m] rising by ``gradient`` m/m to the east, cells of ``cell`` m."""
    x = (np.arange(cols) + 0.5) * cell
    z = np.tile(200.0 + gradient * x, (rows, 1))
    return _da(z, "m")


def test_elevation_range_of_a_plane():
    """5 % plane, 1 km cells: 3×3 window spans 2 km → ΔH = 100 m; at the first and last column
    the window is cut by the grid edge → 50 m.  5×5: 200 m in the interior columns 2–3."""
    dem = _plane(0.05)
    relief = elevation_range(dem)
    assert relief.attrs == {"units": "m"}
    np.testing.assert_allclose(relief.values[:, 1:-1], 100.0, rtol=1e-12)
    np.testing.assert_allclose(relief.values[:, [0, -1]], 50.0, rtol=1e-12)
    wide = elevation_range(dem, window=5)
    np.testing.assert_allclose(wide.values[:, 2:4], 200.0, rtol=1e-12)
    np.testing.assert_allclose(wide.values[:, [0, -1]], 100.0, rtol=1e-12)


def test_elevation_range_ignores_missing_neighbours():
    """A cell without elevation is NaN; its neighbours use the cells that exist.  5 × 5 grid of
    z = 10·row + col with a hole at (2, 2): the window of (1, 1) loses its maximum 22, so
    ΔH = 21 − 0; that of (3, 3) loses its minimum 22, so ΔH = 44 − 23; the others keep 22."""
    z = np.add.outer(np.arange(5.0) * 10, np.arange(5.0))
    z[2, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = elevation_range(_da(z, "m")).values
    assert np.isnan(out[2, 2])
    expected = np.array([[21.0, 22.0, 22.0], [22.0, np.nan, 22.0], [22.0, 22.0, 21.0]])
    np.testing.assert_array_equal(out[1:4, 1:4], expected)
    np.testing.assert_allclose(out[0, 0], 11.0)  # corner: 2×2 cells, 0 … 11


@pytest.mark.parametrize("window", [2, 1, 4])
def test_elevation_range_refuses_even_or_tiny_windows(window):
    with pytest.raises(ValueError, match="odd"):
        elevation_range(_plane(0.05), window=window)


def test_roughness_factor_of_a_plane():
    """K_r = 0.2·100²/3000 = 0.6667 in the interior → K′ = exp(1.24 − 2.41·0.6667^0.934)
    = 0.6635; the edge columns (ΔH 50 m): K_r = 0.16667; flat land: K′ = 1."""
    out = surface_roughness_factor(_plane(0.05), cell_size=1000.0)
    kr = 0.2 * 100.0**2 / 3000.0
    np.testing.assert_allclose(out.values[:, 1:-1], kprime_hand(kr), rtol=1e-12)
    np.testing.assert_allclose(out.values[:, 1:-1], 0.66349, rtol=1e-5)
    np.testing.assert_allclose(out.values[:, 0], kprime_hand(0.2 * 50.0**2 / 3000.0), rtol=1e-12)
    assert out.attrs["window_side_m"] == 3000.0
    flat = surface_roughness_factor(_plane(0.0), cell_size=1000.0)
    np.testing.assert_array_equal(flat.values, 1.0)


def test_roughness_window_five_cells():
    """5×5 window: ΔH = 200 m, L = 5000 m → K_r = 1.6."""
    out = surface_roughness_factor(_plane(0.05), cell_size=1000.0, window=5)
    np.testing.assert_allclose(out.values[:, 2:4], kprime_hand(1.6), rtol=1e-12)


def test_roughness_relief_in_centimetres_and_the_fit_limit():
    """ΔH and L in cm multiply K_r by 100: 66.67, beyond the minimum of the fit at
    K_r* = (2.41·0.934/1.86)^(1/0.066) = 18.00.  ``hold`` gives K′(18.00) = 0.0938; the raw
    formula gives K′(66.67) > 1 (a rough surface eroding more than a flat one)."""
    kr_star = (2.41 * 0.934 / 1.86) ** (1 / 0.066)
    assert kr_star == pytest.approx(ROUGHNESS_FIT_LIMIT, rel=1e-12)
    assert kr_star == pytest.approx(18.0019, rel=1e-5)
    held = surface_roughness_factor(_plane(0.05), cell_size=1000.0, relief_units="cm")
    np.testing.assert_allclose(held.values[:, 1:-1], kprime_hand(kr_star), rtol=1e-12)
    np.testing.assert_allclose(held.values[:, 1:-1], 0.09385, rtol=1e-3)
    raw = surface_roughness_factor(
        _plane(0.05), cell_size=1000.0, relief_units="cm", beyond_fit="formula"
    )
    np.testing.assert_allclose(raw.values[:, 1:-1], kprime_hand(100 * 0.2 * 1e4 / 3000), rtol=1e-9)
    assert np.all(raw.values[:, 1:-1] > 1.0)
    # K_r below the limit is untouched by ``hold``: the metre reading above (0.6667).
    metres = surface_roughness_factor(_plane(0.05), cell_size=1000.0, beyond_fit="formula")
    held_m = surface_roughness_factor(_plane(0.05), cell_size=1000.0)
    np.testing.assert_array_equal(metres.values, held_m.values)


def test_roughness_minimum_is_at_the_fit_limit():
    """K′(K_r) is smallest at K_r* (slightly above and below are larger)."""
    k = ROUGHNESS_FIT_LIMIT
    assert kprime_hand(k) < kprime_hand(0.99 * k)
    assert kprime_hand(k) < kprime_hand(1.01 * k)


# -- wind erosion S_L (eqs. A.15, A.16) and sand fixation (eq. A.14) --------------------------

WF = 50.0  # kg/m
EF = ef_hand(30, 40, 20, 1.5)  # 0.418
SCF = scf_hand(20, 1.5)  # 0.27120
KP = kprime_hand(0.2 * 100.0**2 / 3000.0)  # 0.6635


def _loss(wf, ef, scf, kp, c=1.0, z=Z) -> xr.DataArray:
    veg = _one(c) if not isinstance(c, float) else c
    return soil_loss(
        weather_factor=_da(wf, "kg/m"),
        erodible_fraction=_one(ef),
        crust_factor=_one(scf),
        roughness_factor=_one(kp),
        vegetation_factor=veg,
        distance=z,
    )


def test_soil_loss_hand_values():
    """P = 50·0.418·0.2712 = 5.668 kg/m (K′ = 1): s = 150.71·P^−0.3711 = 79.17 m,
    Q_max = 622.4 kg/m, S_L = 100/s²·Q_max·exp(−(50/s)²) = 6.66 kg/m² (6 660 t/km²)."""
    p = WF * EF * SCF
    assert p == pytest.approx(5.668, rel=1e-3)
    s = 150.71 * p**-0.3711
    assert s == pytest.approx(79.17, rel=1e-3)
    expected = 2 * 50 / s**2 * 109.8 * p * math.exp(-((50 / s) ** 2))
    out = _loss([WF], [EF], [SCF], [1.0])
    assert out.attrs["units"] == "kg/m^2"
    np.testing.assert_allclose(out.values, [expected], rtol=1e-12)
    np.testing.assert_allclose(out.values, [6.66], rtol=2e-3)


def test_soil_loss_with_vegetation_and_roughness():
    """Actual loss of forest at 50 % cover on the 5 % plane's K′: P·exp(−7.675)."""
    c = math.exp(-A_FOREST * 50.0)
    out = _loss([WF], [EF], [SCF], [KP], c=[c])
    np.testing.assert_allclose(out.values, [sl_hand(WF * EF * SCF * KP * c)], rtol=1e-12)


def test_soil_loss_singular_cases():
    """P = 0 (no wind, or no erodible soil) → 0 without warnings; negative WF → NaN; NaN → NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = _loss([0.0, WF, -5.0, np.nan], [EF, 0.0, EF, EF], [SCF] * 4, [1.0] * 4).values
    np.testing.assert_array_equal(out[:2], [0.0, 0.0])
    assert np.isnan(out[2])
    assert np.isnan(out[3])


def test_soil_loss_units_are_checked():
    """A weather factor in t/m (1000 × kg/m) is refused rather than silently used."""
    with pytest.raises(UnitError, match="weather_factor"):
        soil_loss(
            weather_factor=_da([0.05], "t/m"),
            erodible_fraction=_one([EF]),
            crust_factor=_one([SCF]),
            roughness_factor=_one([1.0]),
            distance=Z,
        )
    with pytest.raises(ValueError, match="positive"):
        _loss([WF], [EF], [SCF], [1.0], z=0.0)


def test_sand_fixation_in_tonnes_per_cell():
    """SR = (S_L,pot − S_L)·A·10⁻³: 1 km² cell, 6.66 − 2.00 kg/m² → 4 660 t."""
    pot, act = _da([6.66], "kg/m^2"), _da([2.0], "kg/m^2")
    out = sand_fixation(potential=pot, actual=act, cell_area_m2=1e6)
    assert out.attrs == {"units": "t"}
    np.testing.assert_allclose(out.values, [4660.0], rtol=1e-12)
    per_cell = loss_per_cell(pot, cell_area_m2=900.0)  # a 30 m cell
    np.testing.assert_allclose(per_cell.values, [6.66 * 900 / 1000], rtol=1e-12)


def test_potential_at_least_actual_below_the_peak():
    """Below P* (here P ≈ 3.76 kg/m) vegetation lowers the loss: S_L,pot ≥ S_L for every
    cover, and equality for C = 1 (no fixation)."""
    p = WF * EF * SCF * KP
    assert p < peak_product(Z)
    covers = [1.0, 0.9, 0.5, math.exp(-A_FARM * 83.0), math.exp(-A_FOREST * 83.0), 0.0]
    pot = _loss([WF] * 6, [EF] * 6, [SCF] * 6, [KP] * 6)
    act = _loss([WF] * 6, [EF] * 6, [SCF] * 6, [KP] * 6, c=covers)
    assert np.all(pot.values >= act.values)
    fixed = sand_fixation(potential=pot, actual=act, cell_area_m2=1e6).values
    assert fixed[0] == 0.0  # C = 1: nothing fixed
    np.testing.assert_allclose(fixed[-1], 1000 * sl_hand(p), rtol=1e-12)  # C = 0: all of it
    assert np.all(np.diff(fixed) > 0)  # more cover, more sand fixed


def test_peak_product_hand_value():
    """P*^0.7422 = 1.7422/(0.7422·(50/150.71)²) = 21.33 → P* = 61.73 kg/m, and S_L is largest
    there."""
    k = (50 / 150.71) ** 2
    expected = (1.7422 / (0.7422 * k)) ** (1 / 0.7422)
    assert peak_product(50.0) == pytest.approx(expected, rel=1e-12)
    assert peak_product(50.0) == pytest.approx(61.73, rel=1e-3)
    top = sl_hand(expected)
    assert top > sl_hand(0.98 * expected)
    assert top > sl_hand(1.02 * expected)


def test_beyond_the_peak_vegetation_raises_the_loss_at_z():
    """P_pot = 200 kg/m > P*: with C = 0.9 the loss at z is larger than on bare soil, so the
    difference is negative; ``zero`` (default) counts 0, ``keep`` the negative tonnes."""
    pot = _loss([200.0], [1.0], [1.0], [1.0])
    act = _loss([200.0], [1.0], [1.0], [1.0], c=[0.9])
    assert sl_hand(180.0) > sl_hand(200.0)
    np.testing.assert_allclose(act.values, [sl_hand(180.0)], rtol=1e-12)
    zero = sand_fixation(potential=pot, actual=act, cell_area_m2=1e6)
    keep = sand_fixation(potential=pot, actual=act, cell_area_m2=1e6, negative="keep")
    assert zero.values[0] == 0.0
    np.testing.assert_allclose(keep.values, [1000 * (sl_hand(200.0) - sl_hand(180.0))], rtol=1e-9)
    assert keep.values[0] < 0


@settings(max_examples=60, deadline=None)
@given(
    product=st.floats(1e-3, 61.0),
    cover=st.floats(0.0, 1.0),
    big=st.floats(1e-3, 5000.0),
)
def test_fixation_properties(product, cover, big):
    """P_pot ≤ P*: S_L,pot ≥ S_L for any C ∈ [0, 1].  For any P_pot, ``zero`` never gives a
    negative fixation, and the fixation never exceeds the potential loss."""
    pot = _loss([product], [1.0], [1.0], [1.0])
    act = _loss([product], [1.0], [1.0], [1.0], c=[cover])
    assert pot.values[0] >= act.values[0] * (1 - 1e-12)
    pot_big = _loss([big], [1.0], [1.0], [1.0])
    act_big = _loss([big], [1.0], [1.0], [1.0], c=[cover])
    fixed = sand_fixation(potential=pot_big, actual=act_big, cell_area_m2=1e6).values[0]
    assert 0.0 <= fixed <= 1000 * pot_big.values[0] * (1 + 1e-12)


# -- numpy and dask ----------------------------------------------------------------------------


def _chain(layers: dict[str, xr.DataArray], cell: float) -> xr.DataArray:
    ef = erodible_fraction(
        sand=layers["sand"],
        silt=layers["silt"],
        clay=layers["clay"],
        organic_matter=layers["om"],
        calcium_carbonate=layers["caco3"],
    )
    scf = soil_crust_factor(clay=layers["clay"], organic_matter=layers["om"])
    kp = surface_roughness_factor(layers["dem"], cell_size=cell, window=5)
    c = vegetation_factor(layers["cover"], coefficient=layers["a"])
    factors = dict(
        weather_factor=layers["wf"], erodible_fraction=ef, crust_factor=scf, roughness_factor=kp
    )
    pot = soil_loss(**factors, distance=Z)
    act = soil_loss(**factors, vegetation_factor=c, distance=Z)
    return sand_fixation(potential=pot, actual=act, cell_area_m2=cell * cell, negative="keep")


def test_numpy_and_dask_agree():
    """Random fields on 9 × 11 cells of 250 m (a hole in the DEM and in the clay): the same
    sand fixation with numpy and with dask blocks of 2 × 3 and 4 × 11 cells, lazily."""
    rng = np.random.default_rng(20260101)
    shape = (9, 11)
    dem = 800 + np.cumsum(rng.normal(0, 15, shape), axis=1)
    dem[4, 5] = np.nan
    clay = rng.uniform(0, 30, shape)
    clay[0, 0] = np.nan
    values = {
        "dem": (dem, "m"),
        "wf": (rng.uniform(0, 120, shape), "kg/m"),
        "sand": (rng.uniform(0, 60, shape), "percent"),
        "silt": (rng.uniform(0, 50, shape), "percent"),
        "clay": (clay, "percent"),
        "om": (rng.uniform(0, 5, shape), "percent"),
        "caco3": (rng.uniform(0, 10, shape), "percent"),
        "cover": (rng.uniform(0, 100, shape), "percent"),
        "a": (rng.choice([A_FOREST, A_GRASS, A_FARM], shape), "dimensionless"),
    }
    eager = _chain({k: _da(v, unit) for k, (v, unit) in values.items()}, 250.0)
    assert np.isfinite(eager.values).sum() > 80
    for chunks in ((2, 3), (4, 11)):
        lazy_layers = {
            k: xr.DataArray(dsa.from_array(v, chunks=chunks), dims=("y", "x"), attrs={"units": u})
            for k, (v, u) in values.items()
        }
        lazy = _chain(lazy_layers, 250.0)
        assert isinstance(lazy.data, dsa.Array)
        np.testing.assert_allclose(lazy.values, eager.values, rtol=1e-12, equal_nan=True)


# -- the item in a run of the synthetic region (tests/conftest.py) ---------------------------

SAND, SILT, CLAY, OM, CACO3, COVER = 30.0, 40.0, 20.0, 1.5, 2.0, 60.0  # percent
CELLS = 16  # 4 km × 4 km counties of 1 km² cells
CELL_M2 = 1e6
NDVI_FILE = float(np.float32(NDVI))  # the value as stored in ndvi.tif
SC_NDVI = (NDVI_FILE - 0.05) / (0.95 - 0.05) * 100  # fvc_ndvi_soil/vegetation 0.05/0.95 [K]
# The region's DEM is the 5 % plane rising to the east: ΔH = 100 m in a 3 × 3 window of 1 km.
KP_REGION = kprime_hand(0.2 * 100.0**2 / 3000.0)
A_BY_COUNTY = {"990101": A_FOREST, "990102": A_GRASS, "990201": A_FARM}  # 11, 33, 51
CNY_PER_T = 3.75 / (1.28 * 0.1)  # sand_control_cost / (ρ·h) = 29.296875 CNY per t


def _expected(cover: float, *, caco3: float = 0.0) -> tuple[dict[str, float], float]:
    """(sand fixed per county [t], potential loss per county [t]) by hand."""
    p = WF * ef_hand(SAND, SILT, CLAY, OM, caco3) * scf_hand(CLAY, OM) * KP_REGION
    pot = sl_hand(p)
    fixed = {
        code: CELLS * (pot - sl_hand(p * math.exp(-a * cover))) * CELL_M2 * 1e-3
        for code, a in A_BY_COUNTY.items()
    }
    fixed["990202"] = 0.0  # lake: outside the scope
    return fixed, CELLS * pot * CELL_M2 * 1e-3


LAYER_UNITS = {
    "weather_factor": (WF, "kg/m"),
    "sand": (SAND, "percent"),
    "silt": (SILT, "percent"),
    "clay": (CLAY, "percent"),
    "organic_matter": (OM, "percent"),
    "calcium_carbonate": (CACO3, "percent"),
    "vegetation_cover": (COVER, "percent"),
}


@pytest.fixture
def sand_item(monkeypatch):
    monkeypatch.setitem(gepkit.items.IMPLEMENTED, "sand_fixation", SandFixation())


def _sand_region(region, *, layers=None, options: str = "", chunk: int = 1024) -> Path:
    """The synthetic region with constant soil and weather rasters, computing sand fixation only."""
    layers = layers or ("weather_factor", "sand", "silt", "clay", "organic_matter")
    extra = "".join(
        f'[inputs.{name}]\npath = "{name}.tif"\nunits = "{LAYER_UNITS[name][1]}"\n\n'
        for name in layers
    )
    if options:
        extra += f"[options.sand_fixation]\n{options}\n"
    config = region(extra=extra, chunk=chunk)
    _, width, height = raster_grid()
    for name in layers:
        value = LAYER_UNITS[name][0]
        write_raster(config.parent / f"{name}.tif", np.full((height, width), value, "float32"))
    select_items(config, ["sand_fixation"])
    return config


def _accounts(out: Path) -> pd.DataFrame:
    frame = accounts_wide(pd.read_csv(out / "accounts.csv", dtype={"unit_code": str}))
    return frame[frame["item"] == "sand_fixation"].set_index("unit_code")


def test_run_matches_hand_computation(sand_item, region, tmp_path):
    """County quantities = 16 cells × (S_L,pot − S_L)·1000 t; value = quantity × 3.75 CNY/m² /
    (1.28 t/m³ × 0.1 m); the lake county and nothing else is 0; parents are sums."""
    result = run(load_config(_sand_region(region)), tmp_path / "out")
    assert not result.warnings  # every pixel in scope computed (no gaps)
    accounts = _accounts(result.out_dir)
    fixed, _ = _expected(SC_NDVI)
    for code, value in fixed.items():
        assert accounts.at[code, "quantity"] == pytest.approx(value, rel=1e-6), code
        assert accounts.at[code, "value"] == pytest.approx(value * CNY_PER_T, rel=1e-6)
    assert fixed["990101"] > fixed["990102"] > fixed["990201"] > 0  # forest > grass > farmland
    counties = accounts.loc[list(fixed), "quantity"].sum()
    assert accounts.at["990000", "quantity"] == pytest.approx(counties, rel=1e-12)
    assert set(accounts["quantity_unit"]) == {"t"}


def test_run_components_bound_and_manifest(sand_item, region, tmp_path):
    """The sand-control component, the bound SR ≤ potential loss per unit, and the records."""
    result = run(load_config(_sand_region(region)), tmp_path / "out")
    out = result.out_dir
    components = pd.read_csv(out / "components.csv", dtype={"unit_code": str})
    forest = components[
        (components["unit_code"] == "990101") & (components["item"] == "sand_fixation")
    ]
    assert list(forest["component"]) == ["sand_control"]
    assert forest["unit_price"].iloc[0] == pytest.approx(3.75)
    checks = pd.read_csv(out / "checks.csv", dtype={"unit_code": str})
    bound = checks[checks["check"] == "bound:potential_wind_erosion"].set_index("unit_code")
    assert bound["passed"].all()
    fixed, potential = _expected(SC_NDVI)
    assert bound.at["990101", "expected"] == pytest.approx(potential, rel=1e-6)
    assert bound.at["990101", "actual"] == pytest.approx(fixed["990101"], rel=1e-6)
    assert bound.at["990202", "expected"] == 0.0  # the lake is outside the scope
    item = result.manifest["items"]["sand_fixation"]
    assert item["options"]["cover_source"] == "ndvi"
    keys = {r["key"] for r in item["parameters_and_prices"]}
    assert {
        "rweq_max_erosion_distance",
        "sand_bulk_density",
        "sand_cover_depth",
        "sand_control_cost",
        "fvc_ndvi_soil",
    } <= keys
    assert item["tables"]["rweq_vegetation_coefficient"] == [11, 33, 51]
    component = item["components"][0]
    assert component["per_item"] == pytest.approx(1 / 0.128)
    assert "1.28" in component["derivation"]
    assert "0.1" in component["derivation"]


def test_run_with_cover_layer_and_calcium_carbonate(sand_item, region, tmp_path):
    """``cover_source = "layer"`` takes SC from vegetation_cover (60 %); with CaCO₃ 2 % the
    erodible fraction drops by 0.019."""
    config = _sand_region(
        region,
        layers=tuple(LAYER_UNITS),
        options='cover_source = "layer"\nuse_calcium_carbonate = true\n',
    )
    result = run(load_config(config), tmp_path / "out")
    accounts = _accounts(result.out_dir)
    fixed, _ = _expected(COVER, caco3=CACO3)
    for code, value in fixed.items():
        assert accounts.at[code, "quantity"] == pytest.approx(value, rel=1e-6), code
    without, _ = _expected(COVER)
    assert fixed["990101"] < without["990101"]  # a less erodible soil fixes less


def test_chunkings_give_the_same_account(sand_item, region, tmp_path):
    """Blocks of 3 cells (the roughness window crosses block edges) and one block agree."""
    small = run(load_config(_sand_region(region, chunk=3)), tmp_path / "small")
    a = _accounts(small.out_dir)
    large = run(load_config(_sand_region(region, chunk=4096)), tmp_path / "large")
    b = _accounts(large.out_dir)
    np.testing.assert_allclose(a["quantity"], b["quantity"], rtol=1e-12)
    np.testing.assert_allclose(a["value"], b["value"], rtol=1e-12)


def test_missing_weather_factor_is_a_clear_cli_error(sand_item, region, tmp_path):
    """Without [inputs.weather_factor] the run stops before computing: exit code 2, the layer
    named, nothing written."""
    config = _sand_region(region, layers=("sand", "silt", "clay", "organic_matter"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(out)])
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "[inputs.weather_factor]" in output
    assert "sand_fixation needs the layer 'weather_factor'" in output
    assert "Nothing was written" in output
    assert not out.exists()


def test_cover_layer_option_needs_the_layer(sand_item, region, tmp_path):
    """``cover_source = "layer"`` without [inputs.vegetation_cover]: the error names it."""
    config = _sand_region(region, options='cover_source = "layer"\n')
    result = CliRunner().invoke(app, ["validate", str(config)])
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "[inputs.vegetation_cover]" in output


# -- options and layers ------------------------------------------------------------------------


def test_layers_follow_the_options():
    item = SandFixation()
    base = ["weather_factor", "sand", "silt", "clay", "organic_matter", "dem"]
    assert item.layers(SandFixationOptions(), {}) == [*base, "ndvi"]
    both = SandFixationOptions(cover_source="layer", use_calcium_carbonate=True)
    assert item.layers(both, {}) == [*base, "calcium_carbonate", "vegetation_cover"]


def test_default_scope_is_every_class_with_a_coefficient():
    """forest, shrub, grassland, farmland, desert, bare land: the classes of HJ 1173 eq. A.20."""
    assert SandFixationOptions().ecosystems == (1, 2, 3, 5, 7, 82)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"roughness_window": 4}, "options.sand_fixation.roughness_window"),
        ({"roughness_window": 1}, "options.sand_fixation.roughness_window"),
        ({"cover_source": "lidar"}, "options.sand_fixation.cover_source"),
        ({"wind": 1}, "options.sand_fixation.wind"),
    ],
)
def test_bad_options_are_named(raw, field):
    with pytest.raises(ConfigError) as err:
        SandFixation().options(raw)
    assert err.value.problems[0].field == field
