"""Soil retention (土壤保持, R2) by the RUSLE, as in HJ 1173—2021 Appendix A.2–A.13.

    Q_sr = R · K · L · S · (1 − C · P) · A            (HJ 1173 eqs. A.2–A.4; P optional)

Potential erosion R·K·L·S is what bare soil would lose; actual erosion R·K·L·S·C·P what it
loses under its cover and practices; the ecosystem retains the difference.  HJ 1173 has no P
factor (actual = R·K·L·S·C); P = 1 reproduces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import xarray as xr

from gepkit.units import require_units, with_units

R_UNITS = "MJ*mm/(hectare*h)"
K_UNITS = "t*hectare*h/(hectare*MJ*mm)"

#: Upper class limits of fractional vegetation cover in HJ 1173 Table A.1:
#: < 10 %, 10–30 %, 30–50 %, 50–70 %, 70–90 %, ≥ 90 %.
FVC_CLASS_LIMITS = (0.1, 0.3, 0.5, 0.7, 0.9)


def slope_length_factor(slope: xr.DataArray, *, slope_length: float | xr.DataArray) -> xr.DataArray:
    """RUSLE slope-length factor L (HJ 1173 eqs. A.9–A.11, McCool et al. 1989).

    .. math::
        L = (\\lambda / 22.13)^m, \\quad m = \\beta / (1 + \\beta), \\quad
        \\beta = (\\sin\\theta / 0.089) / (3.0 (\\sin\\theta)^{0.8} + 0.56)

    Parameters
    ----------
    slope : θ [degree].
    slope_length : λ [m], a constant or a per-pixel array.
    """
    require_units(slope, "degree", "slope")
    sin_theta = np.sin(np.radians(slope))
    beta = (sin_theta / 0.089) / (3.0 * sin_theta**0.8 + 0.56)
    m = beta / (1.0 + beta)
    factor = cast(xr.DataArray, (slope_length / 22.13) ** m)
    return with_units(factor, "dimensionless", "L")


def slope_steepness_factor(slope: xr.DataArray) -> xr.DataArray:
    """RUSLE slope-steepness factor S (HJ 1173 eq. A.12: McCool below 10.2°, Liu Baoyuan above).

    .. math::
        S = \\begin{cases}
            10.8 \\sin\\theta + 0.03 & \\theta < 5.14° \\\\
            16.8 \\sin\\theta - 0.50 & 5.14° \\le \\theta < 10.20° \\\\
            21.9 \\sin\\theta - 0.96 & 10.20° \\le \\theta < 28.81° \\\\
            9.5988 & \\theta \\ge 28.81°
        \\end{cases}

    Parameters
    ----------
    slope : θ [degree].
    """
    require_units(slope, "degree", "slope")
    sin_theta = np.sin(np.radians(slope))
    s = xr.where(
        slope < 5.14,
        10.8 * sin_theta + 0.03,
        xr.where(
            slope < 10.20,
            16.8 * sin_theta - 0.50,
            xr.where(slope < 28.81, 21.9 * sin_theta - 0.96, 9.5988),
        ),
    )
    s = s.where(slope.notnull())
    return with_units(s, "dimensionless", "S")


@dataclass(frozen=True)
class CoverRule:
    """How the C factor of one ecosystem type is found (one row of HJ 1173 Table A.1)."""

    rule: str
    """``fvc_classes``, ``constant``, ``dryland_log`` or ``cropland_mix``."""
    by_fvc_class: tuple[float, float, float, float, float, float] | None = None
    constant: float | None = None


_RULES = {"fvc_classes": 1, "constant": 2, "dryland_log": 3, "cropland_mix": 4}


def _dryland_c(fvc: np.ndarray) -> np.ndarray:
    # HJ 1173 eq. A.13: C = 0.221 − 0.595 log10(c), c = cover as a decimal; C ∈ [0.221, 1].
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 0.221 - 0.595 * np.log10(fvc)
    return np.clip(c, 0.0, 1.0)


def _cover_kernel(
    codes: np.ndarray,
    fvc: np.ndarray,
    rule_lut: np.ndarray,
    class_lut: np.ndarray,
    const_lut: np.ndarray,
    paddy_share: float,
) -> np.ndarray:
    out = np.full(codes.shape, np.nan, dtype="float64")
    valid = np.isfinite(codes) & (codes >= 0) & (codes < rule_lut.size)
    idx = codes[valid].astype("int64")
    rule = rule_lut[idx]
    f = fvc[valid]
    cls = np.digitize(f, FVC_CLASS_LIMITS)
    by_class = np.where(np.isfinite(f), class_lut[idx, np.minimum(cls, 5)], np.nan)
    dry = _dryland_c(f)
    value = np.select(
        [rule == 1, rule == 2, rule == 3, rule == 4],
        [by_class, const_lut[idx], dry, (1.0 - paddy_share) * dry],
        default=np.nan,
    )
    out[valid] = value
    return out


def cover_management_factor(
    ecosystem: xr.DataArray,
    fvc: xr.DataArray,
    *,
    rules: Mapping[int, CoverRule],
    paddy_share: float,
) -> xr.DataArray:
    """RUSLE cover-management factor C by ecosystem type and vegetation cover (HJ 1173 Table A.1).

    Forest, shrub, grassland and orchards take the value of their cover class (< 10 %, 10–30 %,
    30–50 %, 50–70 %, 70–90 %, ≥ 90 %); paddy, wetland, urban and desert a constant; dry land
    C = 0.221 − 0.595 log₁₀ c (eq. A.13).  Cropland whose land cover does not tell paddy from dry
    land (``cropland_mix``) is taken as a share ``paddy_share`` of paddy (C = 0) and the rest dry
    land: C = (1 − paddy_share) · C_dry.

    Parameters
    ----------
    ecosystem : ecosystem codes of the national classification.
    fvc : fractional vegetation cover [dimensionless, 0–1].
    rules : the C rule of every ecosystem code in scope.
    paddy_share : share of paddy in cropland of unknown type [dimensionless, 0–1].
    """
    require_units(fvc, "dimensionless", "fvc")
    size = max(rules, default=0) + 1
    rule_lut = np.zeros(size, dtype="int8")
    class_lut = np.full((size, 6), np.nan)
    const_lut = np.full(size, np.nan)
    for code, rule in rules.items():
        rule_lut[code] = _RULES[rule.rule]
        if rule.by_fvc_class is not None:
            class_lut[code] = rule.by_fvc_class
        if rule.constant is not None:
            const_lut[code] = rule.constant
    c = xr.apply_ufunc(
        _cover_kernel,
        ecosystem,
        fvc,
        kwargs={
            "rule_lut": rule_lut,
            "class_lut": class_lut,
            "const_lut": const_lut,
            "paddy_share": paddy_share,
        },
        dask="parallelized",
        output_dtypes=["float64"],
    )
    return with_units(c, "dimensionless", "C")


def potential_soil_loss(
    *, R: xr.DataArray, K: xr.DataArray, LS: xr.DataArray, cell_area_ha: float
) -> xr.DataArray:
    """Potential soil loss per cell of bare soil, R·K·LS·A [t] (HJ 1173 eq. A.3)."""
    require_units(R, R_UNITS, "rainfall_erosivity")
    require_units(K, K_UNITS, "soil_erodibility")
    require_units(LS, "dimensionless", "LS")
    return with_units(R * K * LS * cell_area_ha, "t", "potential_soil_loss")


def soil_retention(
    *,
    R: xr.DataArray,
    K: xr.DataArray,
    LS: xr.DataArray,
    C: xr.DataArray,
    P: xr.DataArray | float = 1.0,
    cell_area_ha: float,
) -> xr.DataArray:
    """Soil retained per cell in a year (HJ 1173 eqs. A.2–A.4).

    .. math:: Q_{sr} = R \\cdot K \\cdot LS \\cdot (1 - C \\cdot P) \\cdot A

    Parameters
    ----------
    R : rainfall erosivity [MJ·mm/(hm²·h·a)].
    K : soil erodibility [t·hm²·h/(hm²·MJ·mm)].
    LS : topographic factor [dimensionless].
    C : cover-management factor [dimensionless].
    P : support-practice factor [dimensionless]; HJ 1173 has none (P = 1).
    cell_area_ha : cell area A [hm²].

    Returns
    -------
    Soil retained [t] per cell (R·K is in t/hm²).
    """
    require_units(R, R_UNITS, "rainfall_erosivity")
    require_units(K, K_UNITS, "soil_erodibility")
    for name, factor in (("LS", LS), ("C", C)):
        require_units(factor, "dimensionless", name)
    retained = R * K * LS * (1.0 - C * P) * cell_area_ha
    return with_units(retained, "t", "soil_retention")


def _s_invest(sin_theta: xr.DataArray, percent: xr.DataArray) -> xr.DataArray:
    return xr.where(percent < 9.0, 10.8 * sin_theta + 0.03, 16.8 * sin_theta - 0.5)


def ls_factor_invest_sdr(
    slope: xr.DataArray, accumulation: xr.DataArray, *, cell_size: float, l_max: float
) -> xr.DataArray:
    """LS exactly as InVEST SDR 3.20 computes it (``sdr._calculate_ls_factor``).

    .. math::
        L = \\frac{(A + D^2)^{m+1} - A^{m+1}}{D^{m+2}\\, x^m\\, 22.13^m}, \\quad
        A = \\sqrt{(FA - 1)\\, D^2}, \\quad x = |\\sin\\theta| + |\\cos\\theta|

    with InVEST's choices, kept so that results compare cell for cell: the "contributing area" is
    the *square root* of the upslope area (InVEST ADR-0001, after SAGA), x is computed from the
    slope angle θ (not the aspect), m is 0.2/0.3/0.4/0.5 for slopes up to 1/3.5/5/9 % and
    β/(1+β) with β = (sin θ/0.0896)/(3 sin^0.8 θ + 0.56) above, L is capped at ``l_max``, and
    S = 10.8 sin θ + 0.03 below 9 %, 16.8 sin θ − 0.50 above (McCool et al. 1987).

    Parameters
    ----------
    slope : θ [degree], on the depression-filled DEM.
    accumulation : MFD flow accumulation FA [cells, including the cell].
    cell_size : D [m].
    l_max : cap of L [dimensionless] (InVEST's default 122).

    Reference: Desmet & Govers (1996), J. Soil Water Conserv. 51(5); InVEST SDR user guide.
    """
    require_units(slope, "degree", "slope")
    percent = cast(xr.DataArray, np.tan(np.radians(slope)) * 100.0)
    theta = cast(xr.DataArray, np.arctan(percent / 100.0))
    sin_theta = cast(xr.DataArray, np.sin(theta))
    area = np.sqrt((accumulation - 1.0) * cell_size**2)
    x = np.abs(np.sin(theta)) + np.abs(np.cos(theta))
    beta = (sin_theta / 0.0896) / (3.0 * sin_theta**0.8 + 0.56)
    m = xr.where(
        percent <= 1.0,
        0.2,
        xr.where(
            percent <= 3.5,
            0.3,
            xr.where(percent <= 5.0, 0.4, xr.where(percent <= 9.0, 0.5, beta / (1.0 + beta))),
        ),
    )
    cell_area = cell_size**2
    L = ((area + cell_area) ** (m + 1) - area ** (m + 1)) / (cell_size ** (m + 2) * x**m * 22.13**m)
    L = xr.where(l_max < L, l_max, L)
    ls = cast(xr.DataArray, L * _s_invest(sin_theta, percent)).where(
        slope.notnull() & accumulation.notnull()
    )
    return with_units(ls, "dimensionless", "LS")


def ls_factor_desmet_govers(
    slope: xr.DataArray,
    accumulation: xr.DataArray,
    contour: xr.DataArray,
    *,
    cell_size: float,
    l_max: float | None,
) -> xr.DataArray:
    """LS with Desmet & Govers' unit-contributing-area L and HJ 1173's m and S.

    .. math::
        L = \\frac{(A + D^2)^{m+1} - A^{m+1}}{D^{m+2}\\, x^m\\, 22.13^m}, \\quad A = (FA - 1)\\, D^2

    A is the upslope area draining into the cell [m²], x = |sin α| + |cos α| of the aspect α,
    m = β/(1+β) with β = (sin θ/0.089)/(3 sin^0.8 θ + 0.56) (HJ 1173 eqs. A.10–A.11), and S by
    HJ 1173 eq. A.12 (McCool below 10.20°, Liu Baoyuan's steep-slope branch up to 28.81°, then
    9.5988).  ``l_max`` caps L (None: no cap).

    Parameters
    ----------
    slope : θ [degree].
    accumulation : flow accumulation FA [cells, including the cell].
    contour : x [dimensionless].
    cell_size : D [m].
    l_max : cap of L [dimensionless] or None.

    References: Desmet & Govers (1996); HJ 1173—2021 Appendix A; Liu et al. (1994).
    """
    require_units(slope, "degree", "slope")
    require_units(contour, "dimensionless", "contour_factor")
    sin_theta = np.sin(np.radians(slope))
    beta = (sin_theta / 0.089) / (3.0 * sin_theta**0.8 + 0.56)
    m = beta / (1.0 + beta)
    area = (accumulation - 1.0) * cell_size**2
    L = ((area + cell_size**2) ** (m + 1) - area ** (m + 1)) / (
        cell_size ** (m + 2) * contour**m * 22.13**m
    )
    if l_max is not None:
        L = xr.where(l_max < L, l_max, L)
    ls = (L * slope_steepness_factor(slope)).where(accumulation.notnull())
    return with_units(ls, "dimensionless", "LS")
