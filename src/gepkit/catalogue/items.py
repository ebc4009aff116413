"""The ecosystem products (items) of the Chinese GEP specifications.

Identifiers follow the glossary of the methods catalogue (Appendix A); codes P1–P7, R1–R13,
C1–C2 follow its master list (§2.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal["provisioning", "regulating", "cultural"]
CATEGORIES: tuple[Category, ...] = ("provisioning", "regulating", "cultural")


@dataclass(frozen=True)
class ItemInfo:
    id: str
    code: str
    category: Category
    name_zh: str
    name_en: str
    quantity_unit: str
    """Unit of the physical quantity (实物量) in the accounts."""


ITEMS: dict[str, ItemInfo] = {
    item.id: item
    for item in (
        ItemInfo(
            "agricultural_products",
            "P1",
            "provisioning",
            "农业产品",
            "Agricultural products",
            "CNY",
        ),
        ItemInfo("forestry_products", "P2", "provisioning", "林业产品", "Forestry products", "CNY"),
        ItemInfo(
            "livestock_products", "P3", "provisioning", "畜牧业产品", "Livestock products", "CNY"
        ),
        ItemInfo("fishery_products", "P4", "provisioning", "渔业产品", "Fishery products", "CNY"),
        ItemInfo("water_supply", "P5", "provisioning", "水资源", "Water supply", "m^3"),
        ItemInfo("ecological_energy", "P6", "provisioning", "生态能源", "Ecological energy", "kWh"),
        ItemInfo("other_products", "P7", "provisioning", "其他", "Other products", "CNY"),
        ItemInfo("water_conservation", "R1", "regulating", "水源涵养", "Water conservation", "m^3"),
        ItemInfo("soil_retention", "R2", "regulating", "土壤保持", "Soil retention", "t"),
        ItemInfo("sand_fixation", "R3", "regulating", "防风固沙", "Sand fixation", "t"),
        ItemInfo(
            "coastal_protection", "R4", "regulating", "海岸带防护", "Coastal protection", "km"
        ),
        ItemInfo("flood_regulation", "R5", "regulating", "洪水调蓄", "Flood regulation", "m^3"),
        ItemInfo("air_purification", "R6", "regulating", "空气净化", "Air purification", "t"),
        ItemInfo("water_purification", "R7", "regulating", "水质净化", "Water purification", "t"),
        ItemInfo(
            "carbon_sequestration", "R8", "regulating", "固碳", "Carbon sequestration", "tCO2"
        ),
        ItemInfo("oxygen_release", "R9", "regulating", "释氧", "Oxygen release", "tO2"),
        ItemInfo(
            "climate_regulation", "R10", "regulating", "气候调节", "Climate regulation", "kWh"
        ),
        ItemInfo("pest_control", "R11", "regulating", "病虫害控制", "Pest control", "hectare"),
        ItemInfo("negative_ions", "R12", "regulating", "负氧离子", "Negative air ions", "ion"),
        ItemInfo(
            "species_conservation",
            "R13",
            "regulating",
            "物种保育",
            "Species conservation",
            "hectare",
        ),
        ItemInfo("recreation", "C1", "cultural", "休闲旅游", "Recreation and tourism", "visit"),
        ItemInfo("landscape_value", "C2", "cultural", "景观价值", "Landscape value", "m^2"),
    )
}
