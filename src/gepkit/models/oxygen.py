"""Oxygen release (释氧, R9) from the carbon fixed by photosynthesis."""

from __future__ import annotations

import xarray as xr

from gepkit.units import require_units, with_units

O2_PER_C = 32.0 / 12.0  # O₂ released per C fixed (photosynthesis stoichiometry)


def oxygen_release(
    *, carbon_flux: xr.DataArray, cell_area_m2: float, negative: str = "keep"
) -> xr.DataArray:
    """O₂ released per cell in a year: Q = (32/12) · C_fixed · A.

    The photosynthesis equation (6 CO₂ + 6 H₂O → C₆H₁₂O₆ + 6 O₂) releases 32 g of O₂ per 12 g of
    carbon fixed.  The per-dry-matter constants of the forestry literature (1.63 t CO₂ and
    1.19 t O₂ per t dry matter, gep-parameters-confirmed §7.2) give 2.677 t O₂ per t C, the same
    ratio within 0.4 %.

    Parameters
    ----------
    carbon_flux : carbon fixed, NEP or NPP [gC/m²] (the item's ``basis`` option).
    cell_area_m2 : A [m²].
    negative : as in :func:`carbon_sequestration`.

    Returns
    -------
    O₂ released [tO2] per cell.
    """
    require_units(carbon_flux, "gC/m^2", "carbon_flux")
    flux = carbon_flux.clip(min=0.0) if negative == "zero" else carbon_flux
    o2 = flux * cell_area_m2 * 1e-6 * O2_PER_C
    return with_units(o2, "tO2", "oxygen_release")
