"""Standard profiles: which items a specification asks for (methods catalogue §2.0).

A profile names the items of one standard.  A run computes the profile's items that this version
of gepkit implements (or the items the config lists) and records the others in the manifest as
"in the profile, not computed", so an account never silently looks more complete than it is.
Item lists marked [K] in the catalogue are the best current knowledge, not read in the standard.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    items: tuple[str, ...]
    source: str
    confidence: str


_PROVISIONING = (
    "agricultural_products",
    "forestry_products",
    "livestock_products",
    "fishery_products",
)

PROFILES: dict[str, Profile] = {
    p.id: p
    for p in (
        Profile(
            id="DB36/T 1402-2021",
            title="江西省 生态系统生产总值核算技术规范 (Jiangxi, in force 2022-01-01)",
            items=(
                *_PROVISIONING,
                "water_conservation",
                "soil_retention",
                "flood_regulation",
                "air_purification",
                "water_purification",
                "carbon_sequestration",
                "oxygen_release",
                "climate_regulation",
                "negative_ions",
                "recreation",
            ),
            source="items reported in Jiangxi county practice under DB36/T 1402—2021 "
            "(Wuyuan 2020 report code, catalogue §2.0 column JX; recreation is a placeholder "
            "there, counted here as the national specifications do); the standard's own list "
            "was not readable",
            confidence="V",
        ),
        Profile(
            id="GB/T 46869-2025",
            title="生态系统评估 陆域生态产品总值核算技术指南 (national standard, 2025-12-31)",
            items=(
                *_PROVISIONING,
                "water_supply",
                "ecological_energy",
                "water_conservation",
                "soil_retention",
                "sand_fixation",
                "flood_regulation",
                "air_purification",
                "water_purification",
                "carbon_sequestration",
                "climate_regulation",
                "recreation",
                "landscape_value",
            ),
            source="catalogue §2.0; annexes A.6, A.7, A.11 [S]; the rest of the item list [K]",
            confidence="K",
        ),
        Profile(
            id="NDRC-2022",
            title="生态产品总值核算规范（试行） (NDRC/NBS, 发改基础〔2022〕481号)",
            items=(
                *_PROVISIONING,
                "ecological_energy",
                "other_products",
                "water_conservation",
                "soil_retention",
                "sand_fixation",
                "coastal_protection",
                "flood_regulation",
                "air_purification",
                "water_purification",
                "carbon_sequestration",
                "climate_regulation",
                "recreation",
                "landscape_value",
            ),
            source="catalogue §2.0 column NDRC",
            confidence="K",
        ),
        Profile(
            id="MEE-2020",
            title="陆地生态系统生产总值（GEP）核算技术指南 (MEE, September 2020)",
            items=(
                *_PROVISIONING,
                "water_supply",
                "ecological_energy",
                "other_products",
                "water_conservation",
                "soil_retention",
                "sand_fixation",
                "coastal_protection",
                "flood_regulation",
                "air_purification",
                "water_purification",
                "carbon_sequestration",
                "oxygen_release",
                "climate_regulation",
                "recreation",
                "landscape_value",
            ),
            source="catalogue §2.0 column MEE",
            confidence="K",
        ),
    )
}

DEFAULT_PROFILE = "DB36/T 1402-2021"
