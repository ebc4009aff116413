"""Annual water yield by the Budyko curve of Zhang et al. (2004), as InVEST Annual Water Yield.

An alternative method for water conservation (catalogue §2.3): formulated exactly as InVEST
3.20's ``fractp_op`` so that the two can be compared cell for cell.
"""

from __future__ import annotations

from typing import cast

import xarray as xr

from gepkit.units import require_units, with_units


def budyko_water_yield(
    *,
    precipitation: xr.DataArray,
    reference_et: xr.DataArray,
    kc: xr.DataArray,
    root_depth: xr.DataArray,
    soil_depth: xr.DataArray,
    pawc: xr.DataArray,
    vegetated: xr.DataArray,
    seasonality: float,
) -> tuple[xr.DataArray, xr.DataArray]:
    """Water yield Y and actual evapotranspiration AET of a year [mm].

    .. math::
        \\frac{AET}{P} = 1 + \\frac{PET}{P} - \\left[1 + \\left(\\frac{PET}{P}\\right)^\\omega
        \\right]^{1/\\omega}, \\quad PET = K_c\\, ET_0, \\quad
        \\omega = \\min\\left(Z \\frac{AWC}{P} + 1.25,\\ 5\\right), \\quad
        AWC = \\min(\\text{root depth}, \\text{soil depth}) \\cdot PAWC

    On vegetated cells AET/P is the smaller of PET/P and the Budyko value; elsewhere
    AET = min(K_c ET₀, P).  Y = (1 − AET/P)·P.  Cells with P = 0 are undefined (NaN), as in InVEST.

    Parameters
    ----------
    precipitation : P [mm].
    reference_et : ET₀ [mm].
    kc : crop coefficient K_c [dimensionless], by ecosystem.
    root_depth : maximum root depth [mm], by ecosystem.
    soil_depth : depth to the root-restricting layer [mm].
    pawc : plant-available water content [dimensionless, 0–1].
    vegetated : 1 for vegetated ecosystem types, 0 otherwise.
    seasonality : Zhang's Z [dimensionless, 1–30].

    References: Zhang et al. (2004), Water Resour. Res. 40; InVEST user guide, Annual Water Yield.
    """
    require_units(precipitation, "mm", "precipitation")
    require_units(reference_et, "mm", "reference_et")
    require_units(root_depth, "mm", "root_depth")
    require_units(soil_depth, "mm", "root_restricting_depth")
    require_units(pawc, "dimensionless", "plant_available_water")
    require_units(kc, "dimensionless", "kc")
    p = precipitation.where(precipitation != 0)
    pet = kc * reference_et
    phi = pet / p
    awc = xr.where(root_depth < soil_depth, root_depth, soil_depth) * pawc
    omega = ((awc / p) * seasonality + 1.25).clip(max=5.0)
    budyko = cast(xr.DataArray, 1 + pet / p - (1 + (pet / p) ** omega) ** (1 / omega))
    vegetation = xr.where(phi < budyko, phi, budyko)
    other = xr.where(p < pet, p, pet) / p
    fraction = xr.where(vegetated == 1, vegetation, other).where(p.notnull() & pet.notnull())
    aet = fraction * p
    water_yield = (1 - fraction) * p
    return (with_units(water_yield, "mm", "water_yield"), with_units(aet, "mm", "aet"))


def water_yield_volume(water_yield: xr.DataArray, *, cell_area_m2: float) -> xr.DataArray:
    """Volume per cell [m³] of a water-yield depth [mm]."""
    require_units(water_yield, "mm", "water_yield")
    return with_units(water_yield * 1e-3 * cell_area_m2, "m^3", "water_conservation")


__all__ = ["budyko_water_yield", "water_yield_volume"]
