"""Property tests (hypothesis) of the models and of price conversion.

Each property follows from the formulas: RUSLE retention R·K·LS·(1 − C·P)·A is ≥ 0 when the
factors are ≥ 0 and C·P ≤ 1; the clamped water balance lies between 0 and the precipitation
volume; the dimidiate cover is clipped to [0, 1]; a unit price is linear in the recorded price.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gepkit.catalogue.tables import Record
from gepkit.items.base import Component
from gepkit.models.carbon import carbon_sequestration
from gepkit.models.oxygen import oxygen_release
from gepkit.models.soil_retention import (
    slope_length_factor,
    slope_steepness_factor,
    soil_retention,
)
from gepkit.models.vegetation import fractional_vegetation_cover
from gepkit.models.water_conservation import water_conservation
from gepkit.valuation.prices import price_component

FAST = settings(max_examples=50, deadline=None)
SHAPE = (3, 3)


def _grid(lo: float, hi: float):
    """3 × 3 float arrays with finite values in [lo, hi]."""
    return arrays(
        np.float64,
        SHAPE,
        elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    )


def _da(values: np.ndarray, units: str) -> xr.DataArray:
    return xr.DataArray(values, dims=("y", "x"), attrs={"units": units})


@FAST
@given(
    R=_grid(0.0, 30000.0),
    K=_grid(0.0, 0.1),
    LS=_grid(0.0, 100.0),
    C=_grid(0.0, 1.0),
    P=_grid(0.0, 1.0),
    area=st.floats(1e-4, 1e4),
)
def test_soil_retention_non_negative(R, K, LS, C, P, area):
    """R, K, LS ≥ 0 and 0 ≤ C·P ≤ 1 ⇒ retained soil ≥ 0, and never above potential erosion."""
    out = soil_retention(
        R=_da(R, "MJ*mm/(hectare*h)"),
        K=_da(K, "t*hectare*h/(hectare*MJ*mm)"),
        LS=_da(LS, "dimensionless"),
        C=_da(C, "dimensionless"),
        P=_da(P, "dimensionless"),
        cell_area_ha=area,
    ).values
    assert np.all(out >= 0.0)
    potential = R * K * LS * area
    assert np.all(out <= potential * (1 + 1e-12))


@FAST
@given(
    P=_grid(0.0, 4000.0),
    ET=_grid(0.0, 3000.0),
    alpha=_grid(0.0, 1.0),
    area=st.floats(1.0, 1e7),
)
def test_water_conservation_bounded(P, ET, alpha, area):
    """With negative_balance='zero': 0 ≤ Q ≤ P·A·10⁻³ (runoff and ET only take water away)."""
    out = water_conservation(
        precipitation=_da(P, "mm"),
        actual_et=_da(ET, "mm"),
        runoff_coefficient=_da(alpha, "dimensionless"),
        cell_area_m2=area,
        negative_balance="zero",
    ).values
    assert np.all(out >= 0.0)
    assert np.all(out <= P * area * 1e-3 * (1 + 1e-12))


@FAST
@given(
    ndvi=_grid(-1.0, 1.0),
    soil=st.floats(-0.5, 0.5),
    span=st.floats(0.01, 1.0),
)
def test_fvc_in_unit_interval(ndvi, soil, span):
    """The dimidiate pixel cover lies in [0, 1] for any NDVI and end members soil < veg,
    and it does not decrease with NDVI."""
    veg = soil + span
    fvc = fractional_vegetation_cover(
        _da(ndvi, "dimensionless"), ndvi_soil=soil, ndvi_vegetation=veg
    ).values
    assert np.all((fvc >= 0.0) & (fvc <= 1.0))
    order = np.argsort(ndvi, axis=None, kind="stable")
    assert np.all(np.diff(fvc.ravel()[order]) >= -1e-15)
    # Pixels strictly between the end members are neither 0 nor 1.
    between = (ndvi > soil + 1e-9) & (ndvi < veg - 1e-9)
    assert np.all((fvc[between] > 0.0) & (fvc[between] < 1.0))


@FAST
@given(theta=st.floats(0.0, 89.0), lam=st.floats(0.1, 1000.0))
def test_l_and_s_factors_positive(theta, lam):
    """L > 0, L = 1 at λ = 22.13 m, L ≥ 1 exactly when λ ≥ 22.13 m; 0.03 ≤ S ≤ 9.5988."""
    slope = xr.DataArray([theta], dims="x", attrs={"units": "degree"})
    L = float(slope_length_factor(slope, slope_length=lam)[0])
    L_unit = float(slope_length_factor(slope, slope_length=22.13)[0])
    S = float(slope_steepness_factor(slope)[0])
    assert L > 0.0
    assert math.isclose(L_unit, 1.0, abs_tol=1e-12)
    if lam > 22.13:
        assert L >= 1.0 - 1e-12
    else:
        assert L <= 1.0 + 1e-12
    assert 0.03 - 1e-12 <= S <= 9.5988 + 1e-12


@FAST
@given(nep=_grid(-2000.0, 2000.0), area=st.floats(1.0, 1e7))
def test_oxygen_is_32_44_of_co2(nep, area):
    """From the same carbon flux, O₂ = 32/44 · CO₂ (photosynthesis stoichiometry)."""
    flux = _da(nep, "gC/m^2")
    co2 = carbon_sequestration(nep=flux, cell_area_m2=area).values
    o2 = oxygen_release(carbon_flux=flux, cell_area_m2=area).values
    np.testing.assert_allclose(o2, co2 * 32.0 / 44.0, rtol=1e-12, atol=1e-300)
    zero = carbon_sequestration(nep=flux, cell_area_m2=area, negative="zero").values
    assert np.all(zero >= 0.0)


def _component(price: Record, quantity_unit: str = "tCO2") -> Component:
    return Component(
        id="co2",
        name_en="CO2 sequestered",
        name_zh="固定二氧化碳",
        quantity_unit=quantity_unit,
        per_item=1.0,
        derivation="test",
        price=price,
    )


def _record(value: float, unit: str) -> Record:
    return Record(
        kind="price",
        key="carbon",
        variant="test",
        value=value,
        unit=unit,
        year=2020,
        source="test",
        confidence="D",
    )


@FAST
@given(
    value=st.floats(1e-3, 1e6),
    k=st.floats(1e-3, 1e3),
    unit=st.sampled_from(["CNY/tC", "万元/tC", "CNY/kgC", "CNY/tCO2", "亿元/MgC"]),
)
def test_unit_price_linear_in_price(value, k, unit):
    """Scaling a price record by k scales the component's unit price by k (no offset)."""
    base = price_component(_component(_record(value, unit))).unit_price
    scaled = price_component(_component(_record(k * value, unit))).unit_price
    assert base > 0.0
    assert math.isclose(scaled, k * base, rel_tol=1e-12)
