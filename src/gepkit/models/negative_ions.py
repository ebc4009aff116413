"""Negative air ions (负氧离子, R12) by the forestry standard LY/T 1721—2008.

    G = 5.256 × 10¹⁵ · Q · A · H / L                      ions produced per year
    V = 5.256 × 10¹⁵ · A · H · K · (Q − 600) / L           value of the ions above 600 per cm³

with Q the negative-ion concentration [ions/cm³], A the area [hm²], H the canopy height [m], L the
lifetime of a negative ion [min] and K the cost of producing one ion [CNY/ion].  The constant is
a unit conversion:

    5.256 × 10¹⁵ = 525,600 min/a  ×  10⁴ m²/hm²  ×  10⁶ cm³/m³

(365 d × 24 h × 60 min = 525,600 minutes in a year): the air column A · H holds Q · A · H ions,
renewed every L minutes, so 525,600 / L times a year.  The standard's constant uses a 365-day year
also in leap years, and so does gepkit.

Methods catalogue §2.13 (method and price [K]); LY/T 1721—2008 (superseded by GB/T 38582—2020).
"""

from __future__ import annotations

import xarray as xr

from gepkit.units import require_units, with_units

#: Minutes in a (365-day) year.
MINUTES_PER_YEAR = 365 * 24 * 60  # 525,600
#: m² per hm² (hectare).
M2_PER_HECTARE = 1e4
#: cm³ per m³.
CM3_PER_M3 = 1e6
#: The LY/T 1721—2008 constant 5.256 × 10¹⁵ [min/a · m²/hm² · cm³/m³].
LYT1721_CONSTANT = MINUTES_PER_YEAR * M2_PER_HECTARE * CM3_PER_M3


def _check_lifetime(lifetime_min: float) -> None:
    if not lifetime_min > 0:
        raise ValueError(f"lifetime_min must be a positive number, got {lifetime_min!r}")


def negative_ions_produced(
    *,
    concentration: xr.DataArray,
    canopy_height: xr.DataArray,
    cell_area_ha: float,
    lifetime_min: float,
) -> xr.DataArray:
    """Negative air ions produced per cell in a year (LY/T 1721—2008).

    .. math:: G = 5.256 \\times 10^{15} \\cdot Q \\cdot A \\cdot H / L

    Parameters
    ----------
    concentration : Q, negative-ion concentration [1/cm³] (ions per cm³).
    canopy_height : H, height of the air layer counted, the canopy height [m].
    cell_area_ha : A [hm²].
    lifetime_min : L, lifetime of a negative air ion [min] (10 min in LY/T 1721—2008, [K]).

    Returns
    -------
    G [ion] per cell and year.
    """
    require_units(concentration, "1/cm^3", "concentration")
    require_units(canopy_height, "m", "canopy_height")
    _check_lifetime(lifetime_min)
    ions = LYT1721_CONSTANT * concentration * cell_area_ha * canopy_height / lifetime_min
    return with_units(ions, "ion", "negative_ions")


def negative_ions_by_threshold(
    *,
    concentration: xr.DataArray,
    canopy_height: xr.DataArray,
    cell_area_ha: float,
    lifetime_min: float,
    threshold: float,
) -> tuple[xr.DataArray, xr.DataArray]:
    """The ions produced, split at the health threshold: (above, below), summing to G.

    .. math:: G_{>} = 5.256 \\times 10^{15} \\cdot A \\cdot H \\cdot \\max(Q - Q_0, 0) / L

    .. math:: G_{\\le} = 5.256 \\times 10^{15} \\cdot A \\cdot H \\cdot \\min(Q, Q_0) / L

    LY/T 1721—2008 values only the ions above Q₀ = 600 per cm³ (V = K · G_>); where Q ≤ Q₀ the
    standard's V = K · 5.256 × 10¹⁵ · A · H · (Q − 600)/L would be negative, and gepkit counts 0
    (no ions above the threshold, a [K] reading).

    Parameters
    ----------
    concentration, canopy_height, cell_area_ha, lifetime_min : as in
        :func:`negative_ions_produced`.
    threshold : Q₀, concentration above which negative ions benefit health [1/cm³] (600 in
        LY/T 1721—2008, [K]).

    Returns
    -------
    (G_>, G_≤) [ion] per cell and year; NaN where Q or H is missing.
    """
    require_units(concentration, "1/cm^3", "concentration")
    require_units(canopy_height, "m", "canopy_height")
    _check_lifetime(lifetime_min)
    if not threshold >= 0:
        raise ValueError(f"threshold must be ≥ 0, got {threshold!r}")
    column = LYT1721_CONSTANT * cell_area_ha * canopy_height / lifetime_min  # ion·cm³ per cell
    above = column * (concentration - threshold).clip(min=0.0)
    below = column * concentration.clip(max=threshold)
    return (
        with_units(above, "ion", "negative_ions_above_threshold"),
        with_units(below, "ion", "negative_ions_below_threshold"),
    )
