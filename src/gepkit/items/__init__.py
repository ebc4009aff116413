"""The accounting items gepkit implements, by identifier."""

from __future__ import annotations

from gepkit.items.air_purification import AirPurification
from gepkit.items.base import Item, ItemContext, ItemOptions, ItemResult
from gepkit.items.carbon_sequestration import CarbonSequestration
from gepkit.items.climate_regulation import ClimateRegulation
from gepkit.items.ecological_energy import EcologicalEnergy
from gepkit.items.flood_regulation import FloodRegulation
from gepkit.items.landscape_value import LandscapeValue
from gepkit.items.negative_ions import NegativeIons
from gepkit.items.oxygen_release import OxygenRelease
from gepkit.items.pest_control import PestControl
from gepkit.items.provisioning import (
    AgriculturalProducts,
    FisheryProducts,
    ForestryProducts,
    LivestockProducts,
    OtherProducts,
)
from gepkit.items.recreation import Recreation
from gepkit.items.sand_fixation import SandFixation
from gepkit.items.soil_retention import SoilRetention
from gepkit.items.water_conservation import WaterConservation
from gepkit.items.water_purification import WaterPurification
from gepkit.items.water_supply import WaterSupply

#: Implemented items, in account order (catalogue §2.0 codes P1–P7, R1–R12, C1–C2).
IMPLEMENTED: dict[str, Item] = {
    item.id: item
    for item in (
        AgriculturalProducts(),
        ForestryProducts(),
        LivestockProducts(),
        FisheryProducts(),
        WaterSupply(),
        EcologicalEnergy(),
        OtherProducts(),
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
        Recreation(),
        LandscapeValue(),
    )
}

__all__ = ["IMPLEMENTED", "Item", "ItemContext", "ItemOptions", "ItemResult"]
