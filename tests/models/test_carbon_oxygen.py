"""Carbon sequestration (NEP method) and oxygen release (gep-methods §2.10–2.11;
gep-parameters-confirmed §7.1 for Pei's heterotrophic respiration model).

R_h = Σ_months 0.22·[exp(0.0912 T) + ln(0.3145 P + 1)]·30·46.5 %   (Pei et al. 2010)
NEP = NPP − R_h;  CO₂ = 44/12 · NEP · A · 10⁻⁶ [t];  O₂ = 32/12 · C · A · 10⁻⁶ [t].
"""

from __future__ import annotations

import math

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

from gepkit.errors import UnitError
from gepkit.grid import AccountingGrid
from gepkit.models.carbon import (
    carbon_sequestration,
    heterotrophic_respiration_pei,
    net_ecosystem_production,
)
from gepkit.models.oxygen import oxygen_release

#: 3 × 3 cells of 1 km in China Albers.
GRID = AccountingGrid.from_bounds((0.0, 0.0, 1000.0, 1000.0), 1000.0, "china-albers")
KM2 = 1e6  # m² in a 1 km cell

#: A monsoon year: monthly mean temperature [°C] and precipitation [mm].
T_MONTHS = [-5.0, -2.0, 3.0, 10.0, 16.0, 21.0, 25.0, 24.0, 19.0, 12.0, 5.0, -1.0]
P_MONTHS = [10.0, 15.0, 40.0, 80.0, 150.0, 250.0, 300.0, 260.0, 120.0, 60.0, 20.0, 8.0]


def _monthly(values_per_month, units: str) -> xr.DataArray:
    """A (12, 3, 3) band stack, each month constant in space."""
    data = np.broadcast_to(np.asarray(values_per_month, float)[:, None, None], (12, 3, 3)).copy()
    return GRID.wrap(data, name="monthly", units=units)


def _field(values, units: str) -> xr.DataArray:
    return GRID.wrap(np.asarray(values, dtype="float64"), name="field", units=units)


def _pei_month(t: float, p: float) -> float:
    """One month of Pei's model, written out (gep-parameters-confirmed §7.1)."""
    return 0.22 * (math.exp(0.0912 * t) + math.log(0.3145 * p + 1.0)) * 30.0 * 0.465


# -- heterotrophic respiration ---------------------------------------------------------------


def test_pei_constant_months():
    """T = 15 °C and P = 1600/12 mm every month: 12 × 0.22·(e^1.368 + ln 42.933)·30·0.465
    = 12 × 23.5918 = 283.102 gC/m²."""
    rh = heterotrophic_respiration_pei(
        temperature_monthly=_monthly([15.0] * 12, "degC"),
        precipitation_monthly=_monthly([1600.0 / 12] * 12, "mm"),
    )
    month = 0.22 * (math.exp(0.0912 * 15.0) + math.log(0.3145 * (1600.0 / 12) + 1.0)) * 30 * 0.465
    np.testing.assert_allclose(rh.values, 12 * month, rtol=1e-12)
    np.testing.assert_allclose(rh.values, 283.102, rtol=1e-5)
    assert rh.dims == ("y", "x")
    assert rh.attrs == {"units": "gC/m^2"}
    assert rh.name == "heterotrophic_respiration"


def test_pei_zero_climate():
    """T = 0 °C and P = 0 mm: each month is 0.22·(1 + 0)·30·0.465 = 3.069, a year 36.828."""
    rh = heterotrophic_respiration_pei(
        temperature_monthly=_monthly([0.0] * 12, "degC"),
        precipitation_monthly=_monthly([0.0] * 12, "mm"),
    )
    np.testing.assert_allclose(rh.values, 12 * 0.22 * 30 * 0.465, rtol=1e-12)
    np.testing.assert_allclose(rh.values, 36.828, rtol=1e-12)


def test_pei_varying_months():
    """The model is applied month by month and summed (not applied to annual means)."""
    rh = heterotrophic_respiration_pei(
        temperature_monthly=_monthly(T_MONTHS, "degC"),
        precipitation_monthly=_monthly(P_MONTHS, "mm"),
    )
    expected = sum(_pei_month(t, p) for t, p in zip(T_MONTHS, P_MONTHS, strict=True))
    np.testing.assert_allclose(rh.values, expected, rtol=1e-12)
    # Applying it once to the annual means would give a different (wrong) number.
    wrong = 12 * _pei_month(sum(T_MONTHS) / 12, sum(P_MONTHS) / 12)
    assert np.all(np.abs(rh.values - wrong) > 1.0)


def test_pei_missing_month_is_nan():
    """One missing month leaves the year missing (no partial sums)."""
    T = _monthly(T_MONTHS, "degC")
    T.values[6, 1, 2] = np.nan
    rh = heterotrophic_respiration_pei(
        temperature_monthly=T, precipitation_monthly=_monthly(P_MONTHS, "mm")
    )
    assert np.isnan(rh.values[1, 2])
    assert int(rh.isnull().sum()) == 1


@pytest.mark.parametrize(
    ("which", "units"),
    [
        ("temperature_monthly", "K"),  # same dimension, but an offset: refused
        ("temperature_monthly", "degF"),
        ("temperature_monthly", None),
        ("precipitation_monthly", "m"),
        ("precipitation_monthly", "cm"),
        ("precipitation_monthly", None),
    ],
)
def test_pei_unit_errors(which, units):
    """Temperature must be in °C and precipitation in mm."""
    args = {
        "temperature_monthly": _monthly(T_MONTHS, "degC"),
        "precipitation_monthly": _monthly(P_MONTHS, "mm"),
    }
    if units is None:
        del args[which].attrs["units"]
    else:
        args[which].attrs["units"] = units
    with pytest.raises(UnitError, match=which):
        heterotrophic_respiration_pei(**args)


def test_pei_dask_matches_numpy():
    """Dask inputs chunked over space (2 and 3 cells) and over months give the numpy result."""
    rng = np.random.default_rng(2010)
    T = GRID.wrap(rng.uniform(-10, 30, (12, 3, 3)), name="t", units="degC")
    P = GRID.wrap(rng.uniform(0, 400, (12, 3, 3)), name="p", units="mm")
    reference = heterotrophic_respiration_pei(temperature_monthly=T, precipitation_monthly=P)
    for chunks in ({"y": 2, "x": 2}, {"y": 3, "x": 3, "band": 5}):
        lazy = heterotrophic_respiration_pei(
            temperature_monthly=T.chunk(chunks), precipitation_monthly=P.chunk(chunks)
        )
        assert isinstance(lazy.data, dsa.Array)
        np.testing.assert_allclose(lazy.values, reference.values, rtol=1e-12)


# -- NEP -------------------------------------------------------------------------------------


def test_nep_by_hand():
    """NEP = NPP − R_h, cell by cell, in gC/m² (Bo et al. 2017)."""
    npp = _field([[600, 500, 400], [300, 200, 100], [0, 650, 283.1]], "gC/m^2")
    rh = _field([[283.1, 283.1, 283.1], [283.1, 283.1, 283.1], [283.1, 50, 283.1]], "gC/m^2")
    nep = net_ecosystem_production(npp=npp, heterotrophic_respiration=rh)
    expected = [
        [600 - 283.1, 500 - 283.1, 400 - 283.1],
        [300 - 283.1, 200 - 283.1, 100 - 283.1],
        [0 - 283.1, 650 - 50, 0.0],
    ]
    np.testing.assert_allclose(nep.values, expected, rtol=1e-12, atol=1e-12)
    assert nep.attrs == {"units": "gC/m^2"}
    assert nep.name == "nep"


@pytest.mark.parametrize(
    ("which", "units"),
    [
        ("npp", "tC/hectare"),  # convertible (× 0.01) but not the same unit
        ("npp", "g/m^2"),  # dry matter, not carbon
        ("npp", None),
        ("heterotrophic_respiration", "gCO2/m^2"),
        ("heterotrophic_respiration", None),
    ],
)
def test_nep_unit_errors(which, units):
    """NPP and R_h must both be in gC/m²."""
    args = {
        "npp": _field(np.full((3, 3), 600.0), "gC/m^2"),
        "heterotrophic_respiration": _field(np.full((3, 3), 283.1), "gC/m^2"),
    }
    if units is None:
        del args[which].attrs["units"]
    else:
        args[which].attrs["units"] = units
    with pytest.raises(UnitError, match=which):
        net_ecosystem_production(**args)


# -- CO₂ and O₂ ------------------------------------------------------------------------------

NEP = [[300.0, 120.0, 0.0], [-120.0, 45.5, 1000.0], [np.nan, 12.0, -0.5]]


def test_co2_by_hand():
    """CO₂ = 44/12 · NEP · A · 10⁻⁶: 300 gC/m² on 1 km² → 44/12 · 300 t = 1100 t CO₂."""
    co2 = carbon_sequestration(nep=_field(NEP, "gC/m^2"), cell_area_m2=KM2)
    assert co2.values[0, 0] == pytest.approx(1100.0, rel=1e-12)
    assert co2.values[0, 1] == pytest.approx(44 / 12 * 120 * 1e6 * 1e-6, rel=1e-12)
    assert co2.values[1, 2] == pytest.approx(44 / 12 * 1000 * 1e6 * 1e-6, rel=1e-12)
    assert co2.values[0, 2] == 0.0
    assert co2.attrs == {"units": "tCO2"}
    assert co2.name == "carbon_sequestration"


def test_co2_small_cell():
    """A 30 m cell (900 m²) with NEP 300 gC/m²: 44/12 · 300 · 900 · 10⁻⁶ = 0.99 t CO₂."""
    co2 = carbon_sequestration(nep=_field(NEP, "gC/m^2"), cell_area_m2=900.0)
    assert co2.values[0, 0] == pytest.approx(0.99, rel=1e-12)


@pytest.mark.parametrize(
    ("negative", "expected_source"),
    [("keep", 44 / 12 * -120 * 1e6 * 1e-6), ("zero", 0.0)],
)
def test_co2_negative_nep(negative, expected_source):
    """A carbon source (NEP = −120 gC/m²) counts −440 t CO₂ with 'keep', 0 with 'zero';
    sinks and missing values are unaffected."""
    co2 = carbon_sequestration(nep=_field(NEP, "gC/m^2"), cell_area_m2=KM2, negative=negative)
    assert co2.values[1, 0] == pytest.approx(expected_source, rel=1e-12)
    assert co2.values[0, 0] == pytest.approx(1100.0, rel=1e-12)
    assert np.isnan(co2.values[2, 0])
    assert int(co2.isnull().sum()) == 1


def test_co2_default_keeps_sources():
    """By default a source is counted negative (net unit totals)."""
    co2 = carbon_sequestration(nep=_field(NEP, "gC/m^2"), cell_area_m2=KM2)
    assert co2.values[1, 0] == pytest.approx(-440.0, rel=1e-12)


def test_o2_by_hand():
    """O₂ = 32/12 · C · A · 10⁻⁶: 300 gC/m² on 1 km² → 800 t O₂."""
    o2 = oxygen_release(carbon_flux=_field(NEP, "gC/m^2"), cell_area_m2=KM2)
    assert o2.values[0, 0] == pytest.approx(800.0, rel=1e-12)
    assert o2.values[1, 1] == pytest.approx(32 / 12 * 45.5, rel=1e-12)
    assert o2.values[1, 0] == pytest.approx(-320.0, rel=1e-12)
    assert np.isnan(o2.values[2, 0])
    assert o2.attrs == {"units": "tO2"}
    assert o2.name == "oxygen_release"


def test_o2_negative_zero():
    """negative='zero' clamps carbon sources to 0 t O₂."""
    o2 = oxygen_release(carbon_flux=_field(NEP, "gC/m^2"), cell_area_m2=KM2, negative="zero")
    assert o2.values[1, 0] == 0.0
    assert o2.values[2, 2] == 0.0
    assert o2.values[0, 0] == pytest.approx(800.0, rel=1e-12)


@pytest.mark.parametrize("negative", ["keep", "zero"])
def test_o2_to_co2_ratio(negative):
    """From the same carbon flux, O₂/CO₂ = (32/12)/(44/12) = 32/44 (gep-methods §2.11)."""
    flux = _field(NEP, "gC/m^2")
    co2 = carbon_sequestration(nep=flux, cell_area_m2=KM2, negative=negative)
    o2 = oxygen_release(carbon_flux=flux, cell_area_m2=KM2, negative=negative)
    nonzero = np.isfinite(co2.values) & (co2.values != 0)
    np.testing.assert_allclose(o2.values[nonzero] / co2.values[nonzero], 32 / 44, rtol=1e-12)
    assert nonzero.sum() >= 4


def test_chain_from_climate_to_co2():
    """NPP 600 gC/m², constant 15 °C and 1600 mm: NEP = 600 − 283.102 = 316.898 gC/m²,
    CO₂ = 44/12 · 316.898 = 1161.96 t per km²."""
    rh = heterotrophic_respiration_pei(
        temperature_monthly=_monthly([15.0] * 12, "degC"),
        precipitation_monthly=_monthly([1600.0 / 12] * 12, "mm"),
    )
    nep = net_ecosystem_production(
        npp=_field(np.full((3, 3), 600.0), "gC/m^2"), heterotrophic_respiration=rh
    )
    co2 = carbon_sequestration(nep=nep, cell_area_m2=KM2)
    np.testing.assert_allclose(co2.values, 1161.96, rtol=1e-5)


@pytest.mark.parametrize("units", ["gCO2/m^2", "g/m^2", "tC/hectare", None])
def test_co2_unit_errors(units):
    """NEP must be in gC/m² (not CO₂, not dry matter, not per hectare, not unitless)."""
    nep = _field(NEP, "gC/m^2")
    if units is None:
        del nep.attrs["units"]
    else:
        nep.attrs["units"] = units
    with pytest.raises(UnitError, match="nep"):
        carbon_sequestration(nep=nep, cell_area_m2=KM2)


@pytest.mark.parametrize("units", ["gO2/m^2", "gCO2/m^2", "kgC/m^2", None])
def test_o2_unit_errors(units):
    """The carbon flux for O₂ must be in gC/m²."""
    flux = _field(NEP, "gC/m^2")
    if units is None:
        del flux.attrs["units"]
    else:
        flux.attrs["units"] = units
    with pytest.raises(UnitError, match="carbon_flux"):
        oxygen_release(carbon_flux=flux, cell_area_m2=KM2)


@pytest.mark.parametrize("negative", ["keep", "zero"])
def test_nep_co2_o2_dask_match_numpy(negative):
    """NEP, CO₂ and O₂ of dask inputs (chunks 2 and 3) equal the numpy results."""
    npp = _field([[600, 500, 400], [300, np.nan, 100], [0, 650, 283.1]], "gC/m^2")
    rh = _field(np.full((3, 3), 283.1), "gC/m^2")

    def run(a, b):
        nep = net_ecosystem_production(npp=a, heterotrophic_respiration=b)
        return (
            nep,
            carbon_sequestration(nep=nep, cell_area_m2=KM2, negative=negative),
            oxygen_release(carbon_flux=nep, cell_area_m2=KM2, negative=negative),
        )

    reference = run(npp, rh)
    for chunk in (2, 3):
        lazy = run(npp.chunk(chunk), rh.chunk(chunk))
        for got, want in zip(lazy, reference, strict=True):
            assert isinstance(got.data, dsa.Array)
            np.testing.assert_allclose(got.values, want.values, rtol=1e-12)
