"""Water purification (水质净化, R7): pollutants removed by wetlands and water bodies.

    Q_wp,j = min( E_j ,  Σ_i P_ij · A_i ) ,   V_wp = Σ_j Q_wp,j · c_j

(methods catalogue §2.9, form [K], Garzê practice [V]).  j = COD, NH₃-N, TN, TP; E_j is the load
entering water bodies (statistic ``emissions_<j>``), c_j the treatment cost (price
``<j>_removal_cost``).  No verified per-area capacities P_ij of wetlands exist
(gep-parameters-confirmed §5.2), so every pollutant defaults to the ``emissions`` method
(purified = emitted, as in the Garzê account); the ``capacity`` method needs a user table
``water_capacity_<j>`` in ``[tables]``.  The structure is that of air purification
(:class:`gepkit.items.air_purification.PurificationItem`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from gepkit.items.air_purification import Method, Pollutant, PurificationItem, PurificationOptions

WATER_POLLUTANTS: dict[str, Pollutant] = {
    p.id: p
    for p in (
        Pollutant("cod", "chemical oxygen demand (COD)", "化学需氧量"),
        Pollutant("nh3n", "ammonia nitrogen (NH₃-N)", "氨氮"),
        Pollutant("tn", "total nitrogen (TN)", "总氮"),
        Pollutant("tp", "total phosphorus (TP)", "总磷"),
    )
}


class WaterPurificationOptions(PurificationOptions):
    KNOWN: ClassVar[tuple[str, ...]] = tuple(WATER_POLLUTANTS)
    DEFAULT_METHODS: ClassVar[Mapping[str, Method]] = dict.fromkeys(WATER_POLLUTANTS, "emissions")

    pollutants: tuple[str, ...] = ("cod", "nh3n", "tp")
    """Pollutants accounted: Jiangxi county practice reports COD, 氨氮 and 总磷 (catalogue §2.9,
    Wuyuan code); any of cod, nh3n, tn, tp (NH₃-N and TN overlap: choose one of them)."""
    ecosystems: tuple[int, ...] = (41, 42, 43)
    """Ecosystem classes in scope: marsh, lake (with reservoirs and ponds) and river."""


class WaterPurification(PurificationItem):
    id = "water_purification"
    method = "capacity_capped_by_emissions"
    Options = WaterPurificationOptions
    pollutant_info = WATER_POLLUTANTS
    table_prefix = "water_capacity_"
    section = "§2.9"
    equation = "Q_j = min(E_j, Σ_i P_ij·A_i)"
