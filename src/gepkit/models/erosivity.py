"""Rainfall erosivity R (RUSLE) from precipitation: annual, daily (Zhang Wenbo 2002), HJ 1173.

R is in MJ·mm/(hm²·h·a) (``MJ*mm/(hectare*h)``; every flow is a total over the accounting year).
The functions are pure and vectorised: they take and return DataArrays (numpy or dask), with
the day as the ``band`` dimension of a daily stack.

**Annual precipitation** (:func:`erosivity_annual_power`), R = α P^β.  The power form is the
annual-rainfall model of Zhang Wenbo & Fu Jinsheng (2003, 不同类型雨量资料估算降雨侵蚀力,
Resources Science 25(1): 35–41); its coefficients are parameters of the catalogue
(``erosivity_annual_alpha``, ``erosivity_annual_beta``), tagged [K]: they could not be read in
the paper during this work.  An annual model ignores how rain is distributed over the year;
prefer a daily model when daily rain is available.

**Daily rain, half-month model of Zhang Wenbo et al. 2002** (:func:`erosivity_zhang2002`;
章文波, 谢云, 刘宝元, 利用日雨量计算降雨侵蚀力的方法研究, Scientia Geographica Sinica 22(6):
705–711), as written by Chen Zhaoya et al. 2016 (Chinese J. Eco-Agriculture 24(2): 244–255,
ChinaXiv 201711.00309) [V]::

    M_k  = α Σ_j D_j^β                        (half-month k; D_j = daily rain ≥ 12 mm, else 0)
    β    = 0.8363 + 18.144 / P_d12 + 24.455 / P_y12
    α    = 21.586 β^(−7.1891)
    R    = Σ_k M_k                            (the 24 half-months: days 1–15, 16–end)

P_d12 is the mean rain of the erosive days (≥ 12 mm), P_y12 the rain of the erosive days in a
year.  The paper fits both from a station's multi-year record; applied to one accounting year
(as Chen et al. 2016 did for 2011), they are that year's statistics, per pixel.  A pixel
without an erosive day has R = 0.  Since α and β are constant within the year, R equals
α Σ_d D_d^β over all erosive days; :func:`half_month_erosivity` gives the 24 terms.

**Daily rain, HJ 1173—2021 A.5–A.6** (:func:`erosivity_hj1173`)::

    R_k = (1/n) Σ_i Σ_j α P_ijk^1.7265,  α = 0.3937 (warm season) or 0.3101 (cold season)

with the exponent and both α as read in HJ 1173 [V-num].  The standard's parsed text does not
give the erosive threshold or the warm season; the literature model it comes from (Xie Yun et
al. 2016, J. Hydrol. 535: 547–558: daily erosivity models for China) uses daily rain ≥ 10 mm
(9.7 mm suggested in its abstract) and May–September — both [K] parameters
(``hj1173_erosive_threshold``, ``hj1173_warm_first_month``, ``hj1173_warm_last_month``).
One accounting year: n = 1.
"""

from __future__ import annotations

import calendar

import numpy as np
import xarray as xr

from gepkit.units import require_units, with_units

R_UNITS = "MJ*mm/(hectare*h)"

#: Constants of the Zhang Wenbo et al. (2002) model [V].
ZHANG_BETA_0 = 0.8363
ZHANG_BETA_PD = 18.144
ZHANG_BETA_PY = 24.455
ZHANG_ALPHA_A = 21.586
ZHANG_ALPHA_B = -7.1891

#: HJ 1173—2021 A.6 [V-num].
HJ1173_EXPONENT = 1.7265
HJ1173_ALPHA_WARM = 0.3937
HJ1173_ALPHA_COLD = 0.3101


def erosivity_annual_power(
    precipitation: xr.DataArray, *, alpha: float, beta: float
) -> xr.DataArray:
    """R = α P^β from annual precipitation P [mm]; R in MJ·mm/(hm²·h·a).

    Parameters
    ----------
    precipitation : annual precipitation P [mm].
    alpha, beta : the model's coefficients (catalogue parameters ``erosivity_annual_alpha`` and
        ``erosivity_annual_beta``, Zhang & Fu 2003 [K]).
    """
    require_units(precipitation, "mm", "precipitation")
    rain = precipitation.clip(min=0.0)
    r = alpha * rain**beta
    return with_units(r.astype("float32"), R_UNITS, "rainfall_erosivity")


def _daily(daily: xr.DataArray, year: int) -> None:
    require_units(daily, "mm", "precipitation_daily")
    days = 366 if calendar.isleap(year) else 365
    if daily.sizes.get("band") != days:
        raise ValueError(f"a daily stack of {year} has {days} bands, got {daily.sizes.get('band')}")


def erosivity_zhang2002(daily: xr.DataArray, *, year: int, threshold: float = 12.0) -> xr.DataArray:
    """Annual R by the half-month daily-rain model of Zhang Wenbo et al. (2002).

    Parameters
    ----------
    daily : daily precipitation [mm], dims ``(band, y, x)``, one band per day of ``year``.
    year : the calendar year of the stack (365 or 366 bands).
    threshold : erosive daily rain [mm] (12 mm in the model) — parameter
        ``zhang2002_erosive_threshold``.

    Returns R [MJ·mm/(hm²·h·a)]; NaN where any day is missing, 0 without erosive rain.
    """
    _daily(daily, year)
    alpha, beta, erosive = _zhang_coefficients(daily, threshold)
    total = (erosive**beta).sum("band", skipna=False)
    r = xr.where(erosive.sum("band", skipna=False) > 0, alpha * total, 0.0)
    r = r.where(daily.notnull().all("band"))
    return with_units(r.astype("float32"), R_UNITS, "rainfall_erosivity")


def _zhang_coefficients(
    daily: xr.DataArray, threshold: float
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    erosive = daily.where(daily >= threshold, 0.0).where(daily.notnull())
    count = (erosive > 0).sum("band")
    p_y12 = erosive.sum("band", skipna=False)  # rain of the erosive days of the year [mm]
    with np.errstate(divide="ignore", invalid="ignore"):
        p_d12 = p_y12 / count.where(count > 0)  # mean erosive daily rain [mm]
        beta = ZHANG_BETA_0 + ZHANG_BETA_PD / p_d12 + ZHANG_BETA_PY / p_y12.where(p_y12 > 0)
        alpha = ZHANG_ALPHA_A * beta**ZHANG_ALPHA_B
    return alpha, beta, erosive


def half_month_of_day(year: int) -> np.ndarray:
    """The half-month (1–24) of each day of ``year``: days 1–15 and 16–end of each month."""
    out = []
    for month in range(1, 13):
        n = calendar.monthrange(year, month)[1]
        out += [2 * month - 1] * 15 + [2 * month] * (n - 15)
    return np.asarray(out)


def half_month_erosivity(
    daily: xr.DataArray, *, year: int, threshold: float = 12.0
) -> xr.DataArray:
    """The 24 half-month terms M_k of the Zhang Wenbo et al. (2002) model, dims
    ``(half_month, y, x)``; their sum is :func:`erosivity_zhang2002`."""
    _daily(daily, year)
    alpha, beta, erosive = _zhang_coefficients(daily, threshold)
    powered = (erosive**beta).assign_coords(band=half_month_of_day(year))
    terms = powered.groupby("band").sum(skipna=False).rename(band="half_month")
    terms = xr.where(erosive.sum("band", skipna=False) > 0, alpha * terms, 0.0)
    return with_units(terms.astype("float32"), f"{R_UNITS}", "half_month_erosivity")


def erosivity_hj1173(
    daily: xr.DataArray,
    *,
    year: int,
    threshold: float = 10.0,
    warm_months: tuple[int, int] = (5, 9),
) -> xr.DataArray:
    """Annual R by HJ 1173—2021 A.5–A.6: Σ α P^1.7265 over the erosive days of the year.

    Parameters
    ----------
    daily : daily precipitation [mm], dims ``(band, y, x)``, one band per day of ``year``.
    threshold : erosive daily rain [mm] ([K] 10 mm; parameter ``hj1173_erosive_threshold``).
    warm_months : first and last month of the warm season ([K] May–September), where
        α = 0.3937; α = 0.3101 in the other months.
    """
    _daily(daily, year)
    first, last = warm_months
    months = np.asarray([m for m in range(1, 13) for _ in range(calendar.monthrange(year, m)[1])])
    warm = (months >= first) & (months <= last)
    alpha = xr.DataArray(np.where(warm, HJ1173_ALPHA_WARM, HJ1173_ALPHA_COLD), dims="band")
    erosive = daily.where(daily >= threshold, 0.0).where(daily.notnull())
    r = (alpha * erosive**HJ1173_EXPONENT).sum("band", skipna=False)
    return with_units(r.astype("float32"), R_UNITS, "rainfall_erosivity")
