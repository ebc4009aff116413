"""Flood regulation (洪水调蓄, R5): storm-water storage of vegetation, lakes, reservoirs, marshes.

Methods catalogue §2.7 (``/work/shared/spec/gep-methods.md``):

    C_fm = C_vfm + C_lfm + C_rfm + C_mfm                                   [m³]

* vegetation  C_vfm = Σ_i (P_h,i − R_f,i) · A_i · 10⁻³ ,  R_f,i = P_h,i · α_s,i   [K]
* lakes       C_lfm = e^a · A^b · T   (10⁴ m³; A in km²; Rao et al. 2014)       [V] form
* reservoirs  C_rfm = designed flood-control capacity, else 0.35 · C_t       [V] Garzê, [K]
* marshes     C_mfm = d · S   (d = 0.3 m, Garzê)                              [V]

Everything here is pure arithmetic on arrays: no files, no logging, no ``.compute()``.  The lake
regression is non-linear in the lake's area (A^b with b ≠ 1), so it must be applied to whole
lakes, never to the fragments of a lake that fall in different units (catalogue §3.4): the
functions below take a lake's *whole* area; gepkit.items.flood_regulation distributes the result.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd
import xarray as xr

from gepkit.units import require_units, with_units

#: Cubic metres in the 10⁴ m³ (万 m³) of the lake regression's output.
M3_PER_1E4_M3 = 1e4

ArrayLike = TypeVar("ArrayLike", np.ndarray, pd.Series)


def storm_precipitation_volume(
    *, storm_precipitation: xr.DataArray, cell_area_m2: float
) -> xr.DataArray:
    """Volume of storm rain falling on each cell in a year (the upper bound of its storage).

    .. math:: V = P_h \\cdot A \\cdot 10^{-3}

    Parameters
    ----------
    storm_precipitation : P_h, precipitation of the year's storm days (daily ≥ the storm
        threshold, 50 mm by the meteorological convention) [mm].
    cell_area_m2 : A, cell area [m²].

    Returns
    -------
    Storm precipitation volume [m³] per cell.

    Reference: catalogue §2.7 (the first term of the vegetation equation).
    """
    require_units(storm_precipitation, "mm", "storm_precipitation")
    volume = storm_precipitation * 1e-3 * cell_area_m2  # mm → m, × m² → m³
    return with_units(volume, "m^3", "storm_precipitation_volume")


def vegetation_flood_storage(
    *,
    storm_precipitation: xr.DataArray,
    storm_runoff_coefficient: xr.DataArray,
    cell_area_m2: float,
) -> xr.DataArray:
    """Storm water retained by vegetation (forest, shrub, grassland) per cell in a year.

    .. math:: C_{vfm} = (P_h - R_f) \\cdot A \\cdot 10^{-3}, \\qquad R_f = P_h \\cdot \\alpha_s

    Parameters
    ----------
    storm_precipitation : P_h, precipitation of the year's storm days [mm].
    storm_runoff_coefficient : α_s, storm runoff coefficient of the cell's ecosystem type
        [dimensionless, 0–1].  Not the annual runoff coefficient of water conservation: storm
        events run off far more (gep-parameters-confirmed §4.1); no verified table exists, so
        gepkit ships none.
    cell_area_m2 : A, cell area [m²].

    Returns
    -------
    Storm water retained [m³] per cell.

    References: catalogue §2.7 (MEE 2020 guideline form, [K]); Jiangxi county practice reports
    vegetation flood storage (植被洪水调蓄) [V] (Wuyuan code).
    """
    require_units(storm_precipitation, "mm", "storm_precipitation")
    require_units(storm_runoff_coefficient, "dimensionless", "storm_runoff_coefficient")
    runoff = storm_precipitation * storm_runoff_coefficient  # R_f [mm]
    retained = storm_precipitation - runoff  # [mm]
    volume = retained * 1e-3 * cell_area_m2  # mm → m, × m² → m³
    return with_units(volume, "m^3", "vegetation_flood_storage")


def lake_flood_storage(
    area_km2: ArrayLike, *, a: float, b: float, water_renewals: float
) -> ArrayLike:
    """Flood storage of whole lakes by the regional regression of Rao et al. (2014).

    .. math:: C_{lfm} = e^{a} \\cdot A^{b} \\cdot T \\quad [10^4\\,m^3] \\;\\; \\times 10^4 → m^3

    Parameters
    ----------
    area_km2 : A, area of each *whole* lake [km²] (never of a lake's fragment: with b ≠ 1,
        e^a·(A₁ + A₂)^b ≠ e^a·A₁^b + e^a·A₂^b).
    a, b : regression coefficients of the lake's region [dimensionless]; Qinghai–Tibet
        6.636 / 0.678 [V] (Garzê), eastern plain 4.924 / 1.128 [K], … (parameters
        ``lake_regression_a``, ``lake_regression_b``).
    water_renewals : T, number of water renewals per year [dimensionless] (parameter
        ``lake_water_renewals``: 1 on the Qinghai–Tibet plateau [V], 3.19 on the eastern
        plain [K]).

    Returns
    -------
    Flood storage [m³] of each lake, the same type (and index) as ``area_km2``.

    References: Rao Enming et al. 2014, Acta Ecol. Sin. 34(21): 6225–6231; Pema Dolkar, Xiao &
    Ouyang 2017, Acta Ecol. Sin. 37(19): 6302–6312; catalogue §2.7 and §3.4.
    """
    if np.any(np.asarray(area_km2, dtype="float64") < 0):
        raise ValueError("lake areas must not be negative")
    storage_1e4_m3 = np.exp(a) * np.power(area_km2, b) * water_renewals  # [10⁴ m³]
    return storage_1e4_m3 * M3_PER_1E4_M3


def reservoir_flood_storage(
    total_capacity_m3: ArrayLike, flood_capacity_m3: ArrayLike, *, flood_share: float | None
) -> ArrayLike:
    """Flood storage of each reservoir: its designed flood-control capacity where known, else
    the flood-control share of its total capacity.

    .. math:: C_{rfm} = C_{flood} \\text{ if known, else } s \\cdot C_t

    Parameters
    ----------
    total_capacity_m3 : C_t, total storage capacity (总库容) [m³].
    flood_capacity_m3 : designed flood-control capacity (防洪库容) [m³]; NaN where unknown.
    flood_share : s, flood-control share of the total capacity [dimensionless]; 0.35 in the
        Garzê account after Rao et al. [V] (parameter ``reservoir_flood_share``).  None when
        every reservoir has a designed capacity (then a missing one is an error).

    Returns
    -------
    Flood storage [m³] of each reservoir, the same type (and index) as ``total_capacity_m3``.

    References: Pema Dolkar, Xiao & Ouyang 2017 (C_rfm = 0.35 · C_t) [V]; using the designed
    capacity where it is known is [K] (catalogue §2.7).  Only the flood-control share counts for
    this item, so the capacity used for water supply or hydropower is not counted twice
    (catalogue §3.2).
    """
    flood = np.asarray(flood_capacity_m3, dtype="float64")
    total = np.asarray(total_capacity_m3, dtype="float64")
    unknown = np.isnan(flood)
    if flood_share is None:
        if unknown.any():
            raise ValueError("flood_share is needed for reservoirs without a flood capacity")
        share = np.zeros_like(total)
    elif not 0.0 <= flood_share <= 1.0:
        raise ValueError(f"flood_share must lie in [0, 1], got {flood_share}")
    else:
        share = total * flood_share  # s · C_t [m³]
    out = np.where(unknown, share, flood)
    if isinstance(total_capacity_m3, pd.Series):
        return pd.Series(out, index=total_capacity_m3.index, name="flood_storage_m3")
    return out


def marsh_flood_storage(*, marsh_area: xr.DataArray, detention_depth_m: float) -> xr.DataArray:
    """Flood water detained on the surface of marshes.

    .. math:: C_{mfm} = d \\cdot S

    Parameters
    ----------
    marsh_area : S, marsh area in each cell [m²] (the cell area on marsh cells, 0 elsewhere).
    detention_depth_m : d, surface-detention depth [m]; 0.3 m in the Garzê account [V]
        (parameter ``marsh_detention_depth``).

    Returns
    -------
    Flood water detained [m³] per cell.

    References: Pema Dolkar, Xiao & Ouyang 2017 (C_mfm = 0.3 · S · 10⁶, S in km²) [V];
    catalogue §2.7 (the fuller form adds soil water storage, [K]; not implemented).
    """
    require_units(marsh_area, "m^2", "marsh_area")
    if not detention_depth_m >= 0.0:
        raise ValueError(f"detention_depth_m must not be negative, got {detention_depth_m}")
    volume = marsh_area * detention_depth_m  # m² × m → m³
    return with_units(volume, "m^3", "marsh_flood_storage")
