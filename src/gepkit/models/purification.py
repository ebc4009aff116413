"""Air purification (空气净化, R6) and water purification (水质净化, R7): pollutant removed per cell.

Both items share one form (methods catalogue §2.8 and §2.9; Bo Wenjing et al. 2017 for forests;
Ouyang Zhiyun's group for the Garzê 2010 account):

    Q_j = min( E_j ,  Σ_i Q_ij · A_i )

with j a pollutant (SO₂, NOx, dust, fluoride for air; COD, NH₃-N, TN, TP for water), Q_ij the
capacity of ecosystem type i to remove j per area and year [t/hm²], A_i the area of type i [hm²]
and E_j the emissions of j (air) or the load entering water bodies (water) [t], reported per
administrative unit.

This module computes the per-cell terms: the capacity ``Q_ij · A`` of each cell (the "capacity"
method) or the cell's weight in sharing out E_j when purified is set equal to emitted (the
"emissions" method, the Garzê practice: the account lists purified = emitted, SO₂ 1,137 t,
NOx 2,772 t, dust 941 t, COD 5,424 t, NH₃-N 625 t [V]).  The ``min`` with E_j, or the equality,
is taken per unit at the level where emissions are reported (catalogue §3.4) by
:func:`gepkit.caps.apply_cap`, after the cells have been summed per unit: a minimum of sums is
not a sum of per-cell minima, so it cannot be applied here.
"""

from __future__ import annotations

import xarray as xr

from gepkit.units import require_units, with_units


def purification_capacity(
    *, capacity_per_area: xr.DataArray, cell_area_ha: float, name: str = "purification_capacity"
) -> xr.DataArray:
    """Pollutant a cell can remove in a year: its capacity per area times its area.

    .. math:: C_{j,\\mathrm{cell}} = Q_{ij} \\cdot A

    the per-cell term of :math:`Q_j = \\min(E_j, \\sum_i Q_{ij} A_i)` (methods catalogue §2.8
    for air, §2.9 for water); the ``min`` with the emissions E_j is applied per unit afterwards
    (gepkit.caps, catalogue §3.4).

    Parameters
    ----------
    capacity_per_area : Q_ij, capacity of the cell's ecosystem type to remove pollutant j
        [t/hectare] (per year).  Shipped values: SO₂ and dust retention of forests and shrubs,
        Miao Jianqun et al. 2017 (Jiangxi) citing the China Biodiversity Country Study (1998),
        gep-parameters-confirmed §5.1; NOx, fluoride and wetland (COD, NH₃-N, TN, TP)
        capacities were not found (§5.2) and must be supplied as tables.
    cell_area_ha : A, cell area [hectare].
    name : name of the result (e.g. ``"so2"``).

    Returns
    -------
    Capacity [t] per cell; NaN where Q_ij is NaN (missing data is never a silent 0).

    References: Bo Wenjing et al. 2017, Acta Ecol. Sin. 37(12); Pema Dolkar, Xiao Yi & Ouyang
    Zhiyun 2017 (Garzê 2010 GEP); Miao Jianqun et al. 2017, Acta Ecol. Sin. 37(19): 6422–6430.
    """
    require_units(capacity_per_area, "t/hectare", "capacity_per_area")
    if not cell_area_ha > 0:
        raise ValueError(f"cell_area_ha must be positive, got {cell_area_ha}")
    capacity = capacity_per_area * cell_area_ha  # t/hm² × hm² → t
    return with_units(capacity, "t", name)


def emission_weight(
    *, in_scope: xr.DataArray, cell_area_ha: float, name: str = "emission_weight"
) -> xr.DataArray:
    """Weight of each cell in sharing out a unit's emissions when purified = emitted.

    .. math:: w = A \\cdot [\\text{cell in scope}] ,  \\qquad
              Q_{j,\\mathrm{cell}} = E_{j,u} \\cdot w / \\sum_{\\mathrm{cells\\ of\\ }u} w

    The Garzê account (catalogue §2.8, §2.9 [V]) reports purified = emitted per region and says
    nothing about where in the region the removal happens.  gepkit spreads a unit's emissions
    E_{j,u} over its in-scope cells (forest and shrub for air, wetland for water by default) in
    proportion to their area, which is what the maps and ``by_ecosystem.csv`` show.  The
    scaling to E_{j,u} is done per unit by gepkit.caps (rule ``equal``).

    Parameters
    ----------
    in_scope : True on cells of the ecosystem types in the item's scope [boolean].
    cell_area_ha : A, cell area [hectare].
    name : name of the result.

    Returns
    -------
    Weight [hectare] per cell: the cell area in scope, 0 outside.
    """
    if in_scope.dtype != bool:
        raise TypeError(f"in_scope must be a boolean mask, got dtype {in_scope.dtype}")
    if not cell_area_ha > 0:
        raise ValueError(f"cell_area_ha must be positive, got {cell_area_ha}")
    weight = xr.where(in_scope, cell_area_ha, 0.0)  # [hectare]
    return with_units(weight, "hectare", name, role="weight")
