"""Carbon sequestration (固碳, R8) by the net ecosystem production (NEP) method.

    NEP = NPP − R_h ,   Q_CO2 = (44/12) · NEP · A

R_h, heterotrophic (soil microbial) respiration, by Pei Zhiyong et al.'s monthly model or from a
layer the user supplies (the model was fitted on Tibetan alpine steppe; its transfer to humid
subtropical China is unvalidated, gep-parameters-confirmed §7.1).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import xarray as xr

from gepkit.units import require_units, with_units

CO2_PER_C = 44.0 / 12.0  # molar-mass ratio of CO₂ to C


def heterotrophic_respiration_pei(
    *, temperature_monthly: xr.DataArray, precipitation_monthly: xr.DataArray
) -> xr.DataArray:
    """Annual heterotrophic respiration from monthly climate (Pei et al. 2009, 2010).

    .. math:: R_h = \\sum_{m=1}^{12} 0.22 \\, [\\exp(0.0912\\,T_m) + \\ln(0.3145\\,P_m + 1)]
              \\times 30 \\times 46.5\\,\\%

    Parameters
    ----------
    temperature_monthly : T_m, monthly mean air temperature [degC], dimension ``band`` = month.
    precipitation_monthly : P_m, monthly precipitation [mm], dimension ``band`` = month.

    Returns
    -------
    R_h [gC/m²] for the year (the bracket is a daily flux, × 30 days, × 46.5 %; the unit
    g C·m⁻² is the usual reading, [K] in gep-parameters-confirmed §7.1).

    References: Pei Zhiyong, Zhou Caiping, Ouyang Hua et al. 2010, Geographical Research 29(1):
    102–110; Pei et al. 2009, J. Integr. Plant Biol. 51(5): 521–526.
    """
    require_units(temperature_monthly, "degC", "temperature_monthly")
    require_units(precipitation_monthly, "mm", "precipitation_monthly")
    monthly = cast(
        xr.DataArray,
        0.22
        * (np.exp(0.0912 * temperature_monthly) + np.log(0.3145 * precipitation_monthly + 1.0))
        * 30.0
        * 0.465,
    )
    annual = monthly.sum("band", skipna=False)
    return with_units(annual, "gC/m^2", "heterotrophic_respiration")


def net_ecosystem_production(
    *, npp: xr.DataArray, heterotrophic_respiration: xr.DataArray
) -> xr.DataArray:
    """NEP = NPP − R_h [gC/m²] (Bo Wenjing et al. 2017, Acta Ecol. Sin. 37(12))."""
    require_units(npp, "gC/m^2", "npp")
    require_units(heterotrophic_respiration, "gC/m^2", "heterotrophic_respiration")
    return with_units(npp - heterotrophic_respiration, "gC/m^2", "nep")


def carbon_sequestration(
    *, nep: xr.DataArray, cell_area_m2: float, negative: str = "keep"
) -> xr.DataArray:
    """CO₂ fixed per cell in a year: Q = (44/12) · NEP · A.

    Parameters
    ----------
    nep : net ecosystem production [gC/m²].
    cell_area_m2 : A [m²].
    negative : ``"keep"`` counts a carbon source (NEP < 0) as negative sequestration, so unit
        totals are net; ``"zero"`` counts sinks only.

    Returns
    -------
    CO₂ sequestered [tCO2] per cell (g → t: 10⁻⁶).
    """
    require_units(nep, "gC/m^2", "nep")
    flux = nep.clip(min=0.0) if negative == "zero" else nep
    co2 = flux * cell_area_m2 * 1e-6 * CO2_PER_C
    return with_units(co2, "tCO2", "carbon_sequestration")


def carbon_stock(
    *,
    above: xr.DataArray,
    below: xr.DataArray,
    soil: xr.DataArray,
    dead: xr.DataArray,
    cell_area_ha: float,
) -> xr.DataArray:
    """Carbon stored per cell: the four pools by land-cover class, as InVEST's Carbon model.

    .. math:: C = (C_{above} + C_{below} + C_{soil} + C_{dead}) \\cdot A

    Parameters
    ----------
    above, below, soil, dead : pool densities [tC/hectare] (Mg C/ha).
    cell_area_ha : A [hectare].

    Returns
    -------
    Stock [tC] per cell.
    """
    for name, pool in (("c_above", above), ("c_below", below), ("c_soil", soil), ("c_dead", dead)):
        require_units(pool, "tC/hectare", name)
    return with_units((above + below + soil + dead) * cell_area_ha, "tC", "carbon_stock")


def sequestration_from_stock_change(
    *, stock: xr.DataArray, baseline_stock: xr.DataArray, years: float
) -> xr.DataArray:
    """Mean annual CO₂ sequestered between a baseline stock and the current one.

    .. math:: Q = \\frac{44}{12} \\cdot \\frac{C_t - C_{t_0}}{t - t_0}

    Parameters
    ----------
    stock, baseline_stock : carbon stock per cell [tC].
    years : t − t₀ [a], > 0.

    Returns
    -------
    CO₂ sequestered per cell and year [tCO2] (negative where carbon was lost).
    """
    require_units(stock, "tC", "carbon_stock")
    require_units(baseline_stock, "tC", "baseline_carbon_stock")
    if not years > 0:
        raise ValueError("the baseline year must be before the accounting year")
    return with_units((stock - baseline_stock) / years * CO2_PER_C, "tCO2", "carbon_sequestration")


def sequestration_from_rate(
    *, rate: xr.DataArray, cell_area_ha: float, soil_coefficient: float = 0.0
) -> xr.DataArray:
    """CO₂ sequestered per cell from a rate per area: Q = (44/12)·R·(1 + β)·A.

    Parameters
    ----------
    rate : carbon sequestration rate R [tC/hectare] per year, by ecosystem.
    cell_area_ha : A [hectare].
    soil_coefficient : β, soil carbon gained per unit of vegetation carbon (forest) [dimensionless].
    """
    require_units(rate, "tC/hectare", "carbon_sequestration_rate")
    return with_units(
        rate * (1.0 + soil_coefficient) * cell_area_ha * CO2_PER_C, "tCO2", "carbon_sequestration"
    )
