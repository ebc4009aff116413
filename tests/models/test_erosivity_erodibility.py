"""Rainfall erosivity R and soil erodibility K derived from what users have (gepkit.models
erosivity and erodibility, gepkit.derived), checked against hand computation.

The hand computations below are written out independently of the models, from the formulas
as the sources give them (see the models' docstrings and docs/products.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from conftest import region_values, set_input, write_lonlat

from gepkit.config import load_config
from gepkit.errors import InputError, UnitError
from gepkit.inputs import year_layers
from gepkit.models.erodibility import (
    k_epic,
    organic_carbon_from_matter,
    soil_erodibility_epic,
)
from gepkit.models.erosivity import (
    erosivity_annual_power,
    erosivity_hj1173,
    erosivity_zhang2002,
    half_month_erosivity,
    half_month_of_day,
)
from gepkit.pipeline import run
from gepkit.plan import prepare


def _daily(values_by_day: dict[int, float], year: int, shape=(2, 3)) -> xr.DataArray:
    """A daily stack (band, y, x): rain on the given days of the year (1-based), 0 elsewhere."""
    days = 366 if year % 4 == 0 else 365
    series = np.zeros(days)
    for day, rain in values_by_day.items():
        series[day - 1] = rain
    data = np.broadcast_to(series[:, None, None], (days, *shape)).copy()
    return xr.DataArray(
        data,
        dims=("band", "y", "x"),
        coords={"band": np.arange(1, days + 1)},
        attrs={"units": "mm"},
    )


# -- R from annual precipitation ------------------------------------------------------------


def test_annual_power_model_by_hand():
    p = xr.DataArray(np.array([[1600.0, 800.0]]), dims=("y", "x"), attrs={"units": "mm"})
    r = erosivity_annual_power(p, alpha=0.0534, beta=1.6548)
    assert r.attrs["units"] == "MJ*mm/(hectare*h)"
    np.testing.assert_allclose(r.values, [[0.0534 * 1600**1.6548, 0.0534 * 800**1.6548]], rtol=1e-6)
    assert float(r[0, 0]) == pytest.approx(10_708, rel=1e-3)  # 1600 mm → R ≈ 1.07·10⁴


def test_annual_model_refuses_metres():
    p = xr.DataArray(np.ones((1, 1)), dims=("y", "x"), attrs={"units": "m"})
    with pytest.raises(UnitError, match="expected 'mm'"):
        erosivity_annual_power(p, alpha=0.0534, beta=1.6548)


# -- R from daily rain: Zhang Wenbo et al. 2002 ---------------------------------------------------

#: Rain days of the hand example: 20 mm on 10 July, 15 mm on 20 July, 12 mm (exactly the
#: threshold) on 5 August, 11.9 mm (not erosive) on 6 August, 30 mm on 1 September.
RAIN_2021 = {191: 20.0, 201: 15.0, 217: 12.0, 218: 11.9, 244: 30.0}


def _zhang_by_hand(erosive: list[float]) -> float:
    p_y12 = sum(erosive)  # rain of the erosive days of the year
    p_d12 = p_y12 / len(erosive)  # mean erosive daily rain
    beta = 0.8363 + 18.144 / p_d12 + 24.455 / p_y12
    alpha = 21.586 * beta**-7.1891
    return alpha * sum(p**beta for p in erosive)


def test_zhang2002_by_hand():
    r = erosivity_zhang2002(_daily(RAIN_2021, 2021), year=2021)
    expected = _zhang_by_hand([20.0, 15.0, 12.0, 30.0])
    np.testing.assert_allclose(r.values, expected, rtol=1e-5)
    assert r.attrs["units"] == "MJ*mm/(hectare*h)"


def test_zhang2002_half_months_sum_to_the_year():
    daily = _daily(RAIN_2021, 2021)
    terms = half_month_erosivity(daily, year=2021)
    assert terms.sizes["half_month"] == 24
    nonzero = sorted(
        int(k) for k in terms["half_month"].values if float(terms.sel(half_month=k)[0, 0]) > 0
    )
    # 10 July → 13, 20 July → 14, 5 August → 15, 1 September → 17 (6 August is not erosive)
    assert nonzero == [13, 14, 15, 17]
    total = erosivity_zhang2002(daily, year=2021)
    np.testing.assert_allclose(terms.sum("half_month").values, total.values, rtol=1e-6)


def test_half_months_follow_the_calendar():
    leap = half_month_of_day(2020)
    assert len(leap) == 366
    assert (leap[:15] == 1).all() and leap[15] == 2  # noqa: PT018
    assert leap[31 + 28] == 4  # 29 February 2020: second half of February
    assert leap[-1] == 24


def test_zhang2002_without_erosive_rain_is_zero_and_missing_days_are_missing():
    dry = erosivity_zhang2002(_daily({100: 11.0}, 2021), year=2021)
    assert (dry.values == 0).all()
    gap = _daily(RAIN_2021, 2021)
    gap[50, 0, 0] = np.nan
    r = erosivity_zhang2002(gap, year=2021)
    assert np.isnan(r.values[0, 0])
    assert np.isfinite(r.values[1, 1])


def test_zhang2002_checks_the_days_of_the_year():
    with pytest.raises(ValueError, match="a daily stack of 2020 has 366 bands"):
        erosivity_zhang2002(_daily(RAIN_2021, 2021), year=2020)


def test_zhang2002_is_lazy_with_dask():
    eager = _daily(RAIN_2021, 2021)
    lazy = eager.copy(data=da.from_array(eager.values, chunks=(100, 1, 2)))
    r = erosivity_zhang2002(lazy, year=2021)
    assert isinstance(r.data, da.Array)
    np.testing.assert_allclose(r.compute().values, erosivity_zhang2002(eager, year=2021).values)


# -- R from daily rain: HJ 1173 -------------------------------------------------------------------


def test_hj1173_warm_and_cold_season_by_hand():
    """30 mm on 1 July (warm: α = 0.3937), 20 mm on 15 January (cold: 0.3101), 9 mm on
    2 July (below the 10 mm threshold)."""
    rain = {182: 30.0, 15: 20.0, 183: 9.0}
    r = erosivity_hj1173(_daily(rain, 2021), year=2021)
    expected = 0.3937 * 30.0**1.7265 + 0.3101 * 20.0**1.7265
    np.testing.assert_allclose(r.values, expected, rtol=1e-5)
    # a leap year shifts the day of the year of 1 July by one
    leap = erosivity_hj1173(_daily({183: 30.0}, 2020), year=2020, warm_months=(7, 7))
    np.testing.assert_allclose(leap.values, 0.3937 * 30.0**1.7265, rtol=1e-5)


# -- K by EPIC ---------------------------------------------------------------------------------------


def _epic_by_hand(san: float, sil: float, cla: float, c: float) -> float:
    sn1 = 1 - san / 100
    return (
        (0.2 + 0.3 * math.exp(-0.0256 * san * (1 - sil / 100)))
        * (sil / (cla + sil)) ** 0.3
        * (1 - 0.25 * c / (c + math.exp(3.72 - 2.95 * c)))
        * (1 - 0.7 * sn1 / (sn1 + math.exp(-5.51 + 22.9 * sn1)))
    )


def _pct(values) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype="float64"), dims="x", attrs={"units": "percent"})


SOILS = [  # sand, silt, clay, organic carbon [%]
    (40.0, 40.0, 20.0, 1.5),  # loam
    (70.0, 20.0, 10.0, 0.5),  # sandy loam
    (10.0, 50.0, 40.0, 2.5),  # silty clay
]


def test_epic_k_by_hand_with_the_hj1173_correction():
    sand, silt, clay, carbon = (_pct(col) for col in zip(*SOILS, strict=True))
    k = soil_erodibility_epic(sand=sand, silt=silt, clay=clay, organic_carbon=carbon)
    assert k.attrs["units"] == "t*hectare*h/(hectare*MJ*mm)"
    expected = [(-0.01383 + 0.51575 * _epic_by_hand(*soil)) * 0.1317 for soil in SOILS]
    np.testing.assert_allclose(k.values, expected, rtol=1e-5)
    # the loam: K_EPIC ≈ 0.260, K ≈ 0.0159 t·hm²·h/(hm²·MJ·mm)
    assert _epic_by_hand(*SOILS[0]) == pytest.approx(0.2604, abs=5e-4)
    assert float(k[0]) == pytest.approx(0.01587, abs=5e-5)


def test_epic_k_without_correction():
    sand, silt, clay, carbon = (_pct(col) for col in zip(*SOILS, strict=True))
    k = soil_erodibility_epic(
        sand=sand, silt=silt, clay=clay, organic_carbon=carbon, correction=False
    )
    np.testing.assert_allclose(k.values, [_epic_by_hand(*s) * 0.1317 for s in SOILS], rtol=1e-5)
    raw = k_epic(sand=sand, silt=silt, clay=clay, organic_carbon=carbon)
    np.testing.assert_allclose(raw.values, [_epic_by_hand(*s) for s in SOILS], rtol=1e-6)


def test_pure_sand_has_no_silt_factor_and_k_is_never_negative():
    k = soil_erodibility_epic(
        sand=_pct([100.0]), silt=_pct([0.0]), clay=_pct([0.0]), organic_carbon=_pct([0.2])
    )
    assert float(k[0]) == 0.0


def test_organic_matter_to_carbon():
    om = _pct([1.724, 3.448])
    np.testing.assert_allclose(organic_carbon_from_matter(om, factor=1.724).values, [1.0, 2.0])


def test_epic_refuses_fractions_for_percent():
    fraction = xr.DataArray(np.array([0.4]), dims="x", attrs={"units": "dimensionless"})
    with pytest.raises(UnitError, match="sand_total"):
        soil_erodibility_epic(
            sand=fraction, silt=_pct([40.0]), clay=_pct([20.0]), organic_carbon=_pct([1.5])
        )


# -- derived layers of a run ------------------------------------------------------------------------


def _daily_file(config: Path, rain: dict[int, float], year: int = 2020) -> None:
    days = 366 if year % 4 == 0 else 365
    series = [rain.get(d, 0.0) for d in range(1, days + 1)]
    write_lonlat(config.parent / f"chirps_daily_{year}.tif", series, nodata=-9999.0, res=0.1)


RAIN_2020 = {192: 20.0, 202: 15.0, 218: 12.0, 219: 11.9, 245: 30.0}


def test_run_derives_r_from_daily_chirps_and_records_it(region, tmp_path):
    config = region()
    _daily_file(config, RAIN_2020)
    set_input(
        config, "precipitation_daily", 'path = "chirps_daily_{year}.tif"\nproduct = "CHIRPS-daily"'
    )
    set_input(config, "rainfall_erosivity", 'derive = "daily_zhang2002"')
    plan = prepare(load_config(config))
    layers = year_layers(plan, 2020)
    expected = _zhang_by_hand([20.0, 15.0, 12.0, 30.0])
    np.testing.assert_allclose(
        region_values(plan, layers["rainfall_erosivity"]), expected, rtol=1e-5
    )
    assert plan.layer_stats["rainfall_erosivity:2020"]["mean"] == pytest.approx(expected, rel=1e-5)

    result = run(load_config(config), tmp_path / "out")
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    model = manifest["inputs"]["derived_models"]["rainfall_erosivity"]
    assert model["model"] == "daily_zhang2002"
    assert model["inputs"] == ["precipitation_daily"]
    assert "Zhang Wenbo" in model["citation"]
    (threshold,) = model["parameters"]
    assert (threshold["key"], threshold["value"], threshold["unit"]) == (
        "zhang2002_erosive_threshold",
        12.0,
        "mm",
    )


def test_run_derives_r_from_annual_precipitation_summed_from_months(region):
    """rainfall_erosivity ← precipitation ← precipitation_monthly (12 × 1600/12 mm)."""
    config = region()
    set_input(config, "rainfall_erosivity", 'derive = "annual_precipitation"')
    plan = prepare(load_config(config))
    assert plan.derived == {"precipitation": "precipitation_monthly"}
    assert list(plan.derivations) == ["rainfall_erosivity"]
    layers = year_layers(plan, 2020)
    np.testing.assert_allclose(
        region_values(plan, layers["rainfall_erosivity"]), 0.0534 * 1600**1.6548, rtol=1e-5
    )


def test_run_derives_k_from_soil_texture_and_organic_matter(region, tmp_path):
    config = region()
    for name, value in (("sand_total", 40.0), ("silt", 40.0), ("clay", 20.0)):
        write_lonlat(config.parent / f"{name}.tif", [value])
        set_input(config, name, f'path = "{name}.tif"\nunits = "percent"')
    write_lonlat(config.parent / "som.tif", [15.0 * 1.724])  # organic matter in g/kg
    set_input(config, "organic_matter", 'path = "som.tif"\nunits = "g/kg"')
    set_input(config, "soil_erodibility", 'derive = "epic"')
    plan = prepare(load_config(config))
    derivation = plan.derivations["soil_erodibility"]
    assert derivation.inputs == ("sand_total", "silt", "clay", "organic_matter")
    layers = year_layers(plan, 2020)
    expected = (-0.01383 + 0.51575 * _epic_by_hand(40.0, 40.0, 20.0, 1.5)) * 0.1317
    np.testing.assert_allclose(region_values(plan, layers["soil_erodibility"]), expected, rtol=1e-5)
    records = derivation.describe(plan.catalogue)["parameters"]
    assert [r["key"] for r in records] == ["organic_matter_to_carbon"]


def test_missing_input_of_a_derived_layer(region):
    config = region()
    set_input(
        config,
        "soil_erodibility",
        'derive = "epic"\nderive_options = { organic = "organic_carbon" }',
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    text = " ".join(str(err.value).split())
    assert "soil_erodibility (derive = 'epic') needs the layer 'sand_total'" in text
    assert "needs the layer 'organic_carbon'" in text


def test_unknown_derive_option(region):
    config = region()
    set_input(config, "soil_erodibility", 'derive = "epic"\nderive_options = { carbon = "x" }')
    with pytest.raises(InputError, match="derive_options"):
        prepare(load_config(config))


def test_unknown_model_lists_the_models(region):
    config = region()
    set_input(config, "rainfall_erosivity", 'derive = "wischmeier"')
    with pytest.raises(InputError, match="annual_precipitation, daily_zhang2002, daily_hj1173"):
        prepare(load_config(config))
