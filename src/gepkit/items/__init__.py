"""The accounting items gepkit implements, by identifier."""

from __future__ import annotations

from gepkit.items.base import Item, ItemContext, ItemOptions, ItemResult
from gepkit.items.carbon_sequestration import CarbonSequestration
from gepkit.items.oxygen_release import OxygenRelease
from gepkit.items.soil_retention import SoilRetention
from gepkit.items.water_conservation import WaterConservation

#: Implemented items, in account order.
IMPLEMENTED: dict[str, Item] = {
    item.id: item
    for item in (WaterConservation(), SoilRetention(), CarbonSequestration(), OxygenRelease())
}

__all__ = ["IMPLEMENTED", "Item", "ItemContext", "ItemOptions", "ItemResult"]
