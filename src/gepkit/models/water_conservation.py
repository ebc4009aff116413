"""Water conservation (水源涵养, R1) by the water balance of HJ 1173—2021 eq. A.1.

    Q_wr = Σ_i (P_i − R_i − ET_i) · A_i · 10⁻³ ,   R_i = P_i · α_i

with α_i the mean surface-runoff coefficient of ecosystem type i (Gong et al. 2017, Table 2).
"""

from __future__ import annotations

from typing import Literal

import xarray as xr

from gepkit.units import require_units, with_units

NegativeBalance = Literal["zero", "keep"]


def water_conservation(
    *,
    precipitation: xr.DataArray,
    actual_et: xr.DataArray,
    runoff_coefficient: xr.DataArray,
    cell_area_m2: float,
    negative_balance: NegativeBalance = "zero",
) -> xr.DataArray:
    """Water conserved per cell in a year.

    .. math:: Q = (P - P \\alpha - ET) \\cdot A \\cdot 10^{-3}

    Parameters
    ----------
    precipitation : P, precipitation of the year [mm] (HJ 1173 calls it 产流降雨量).
    actual_et : ET, actual evapotranspiration of the year [mm].
    runoff_coefficient : α, surface-runoff coefficient [dimensionless, 0–1].
    cell_area_m2 : A, cell area [m²].
    negative_balance : where ET + R exceeds P the balance is negative; ``"zero"`` counts such a
        cell as conserving nothing, ``"keep"`` keeps the deficit (it then lowers unit totals).
        The sources do not say which (catalogue §2.3); the choice is recorded in the manifest.

    Returns
    -------
    Water conserved [m³] per cell.

    References: HJ 1173—2021 eq. A.1; Gong Shihan et al. 2017, Acta Ecol. Sin. 37(7): 2455–2462.
    """
    require_units(precipitation, "mm", "precipitation")
    require_units(actual_et, "mm", "actual_et")
    require_units(runoff_coefficient, "dimensionless", "runoff_coefficient")
    runoff = precipitation * runoff_coefficient  # R [mm]
    balance = precipitation - runoff - actual_et  # [mm]
    if negative_balance == "zero":
        balance = balance.clip(min=0.0)
    volume = balance * 1e-3 * cell_area_m2  # mm → m, × m² → m³
    return with_units(volume, "m^3", "water_conservation")
