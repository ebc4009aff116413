"""The accounting items gepkit implements, by identifier."""

from __future__ import annotations

from gepkit.items.air_purification import AirPurification
from gepkit.items.base import Item, ItemContext, ItemOptions, ItemResult
from gepkit.items.carbon_sequestration import CarbonSequestration
from gepkit.items.climate_regulation import ClimateRegulation
from gepkit.items.flood_regulation import FloodRegulation
from gepkit.items.negative_ions import NegativeIons
from gepkit.items.oxygen_release import OxygenRelease
from gepkit.items.pest_control import PestControl
from gepkit.items.sand_fixation import SandFixation
from gepkit.items.soil_retention import SoilRetention
from gepkit.items.water_conservation import WaterConservation
from gepkit.items.water_purification import WaterPurification

#: Implemented items, in account order (catalogue §2.0 codes R1–R12).
IMPLEMENTED: dict[str, Item] = {
    item.id: item
    for item in (
        WaterConservation(),
        SoilRetention(),
        SandFixation(),
        FloodRegulation(),
        AirPurification(),
        WaterPurification(),
        CarbonSequestration(),
        OxygenRelease(),
        ClimateRegulation(),
        PestControl(),
        NegativeIons(),
    )
}

__all__ = ["IMPLEMENTED", "Item", "ItemContext", "ItemOptions", "ItemResult"]
