"""Soil erodibility K (RUSLE) from soil texture and organic carbon: EPIC, HJ 1173—2021 A.7–A.8.

The EPIC equation (Williams 1990, in Sharpley & Williams, EPIC — Erosion/Productivity Impact
Calculator, USDA Tech. Bull. 1768; as written in HJ 1173 A.7) [V]::

    K_EPIC = {0.2 + 0.3 exp[−0.0256 SAN (1 − SIL/100)]}
             × [SIL / (CLA + SIL)]^0.3
             × {1 − 0.25 C / [C + exp(3.72 − 2.95 C)]}
             × {1 − 0.7 SN1 / [SN1 + exp(−5.51 + 22.9 SN1)]},     SN1 = 1 − SAN/100

SAN = sand 0.05–2 mm, SIL = silt 0.002–0.05 mm, CLA = clay < 0.002 mm, C = organic carbon, all
in percent of the fine earth.  K_EPIC is in US customary units, t·ac·h/(100·ac·ft·tonf·in).

HJ 1173 A.8 corrects it to K measured on Chinese runoff plots and converts it to SI units
(1 US K unit = 0.1317 t·hm²·h/(hm²·MJ·mm)) [V-num]; the linear correction is attributed to
Zhang Keli, Peng Wenying & Yang Hongli (2007, 中国土壤可蚀性值及其估算, Acta Pedologica Sinica
44(1): 7–13) [K: the attribution, not the numbers, is unverified]::

    K = (−0.01383 + 0.51575 K_EPIC) × 0.1317        t·hm²·h/(hm²·MJ·mm)

Organic carbon, not organic matter, enters the equation; soil surveys that report organic
matter give C = OM / 1.724 (the van Bemmelen factor; parameter ``organic_matter_to_carbon``).

Edge cases (not in the standard, documented in docs/products.md): where silt + clay = 0 the
silt factor [SIL/(CLA+SIL)]^0.3 is 0 (pure sand); the corrected K is never negative (a K_EPIC
below 0.0268 gives K = 0).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gepkit.units import require_units, with_units

K_UNITS = "t*hectare*h/(hectare*MJ*mm)"
#: Zhang Keli correction and US → SI conversion, HJ 1173 A.8 [V-num].
ZHANG_INTERCEPT = -0.01383
ZHANG_SLOPE = 0.51575
US_TO_SI = 0.1317


def k_epic(
    *,
    sand: xr.DataArray,
    silt: xr.DataArray,
    clay: xr.DataArray,
    organic_carbon: xr.DataArray,
) -> xr.DataArray:
    """K_EPIC of Williams (1990) in US customary units (dimension-free number here).

    Parameters
    ----------
    sand : SAN, sand 0.05–2 mm [percent].
    silt : SIL, silt 0.002–0.05 mm [percent].
    clay : CLA, clay < 0.002 mm [percent].
    organic_carbon : C, organic carbon [percent].
    """
    for name, layer in (
        ("sand_total", sand),
        ("silt", silt),
        ("clay", clay),
        ("organic_carbon", organic_carbon),
    ):
        require_units(layer, "percent", name)
    sn1 = 1.0 - sand / 100.0
    f_sand = 0.2 + 0.3 * np.exp(-0.0256 * sand * (1.0 - silt / 100.0))
    fine = silt + clay
    f_silt = xr.where(fine > 0, (silt / fine.where(fine > 0)) ** 0.3, 0.0).where(fine.notnull())
    f_carbon = 1.0 - 0.25 * organic_carbon / (organic_carbon + np.exp(3.72 - 2.95 * organic_carbon))
    f_coarse = 1.0 - 0.7 * sn1 / (sn1 + np.exp(-5.51 + 22.9 * sn1))
    return f_sand * f_silt * f_carbon * f_coarse


def soil_erodibility_epic(
    *,
    sand: xr.DataArray,
    silt: xr.DataArray,
    clay: xr.DataArray,
    organic_carbon: xr.DataArray,
    correction: bool = True,
) -> xr.DataArray:
    """K in t·hm²·h/(hm²·MJ·mm): HJ 1173 A.8 (``correction``) or K_EPIC × 0.1317 (without the
    Zhang Keli correction, as Chen et al. 2016 used it).  Inputs as :func:`k_epic`."""
    k = k_epic(sand=sand, silt=silt, clay=clay, organic_carbon=organic_carbon)
    if correction:
        k = (ZHANG_INTERCEPT + ZHANG_SLOPE * k).clip(min=0.0)
    return with_units((k * US_TO_SI).astype("float32"), K_UNITS, "soil_erodibility")


def organic_carbon_from_matter(organic_matter: xr.DataArray, *, factor: float) -> xr.DataArray:
    """Organic carbon [percent] = organic matter [percent] / ``factor`` (1.724, van Bemmelen)."""
    require_units(organic_matter, "percent", "organic_matter")
    if factor <= 0:
        raise ValueError("the organic matter to carbon factor must be positive")
    return with_units(organic_matter / factor, "percent", "organic_carbon")
