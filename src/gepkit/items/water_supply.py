"""Water supply (水资源, P5): water supplied by use, valued at the tariff of each use.

    V = Σ_u W_u · p_u

with W_u the water used (supplied) for use u as reported in the water-resources bulletin
(sheet ``water_supply``: domestic, industrial, agricultural, ecological) and p_u the water
tariff of that use (prices ``water_tariff_<use>``; Garzê 2010: 2.6 / 3.6 / 0.07 CNY/m³ for
domestic / industrial / agricultural water; methods catalogue §2.2).

The water supplied is drawn from the water the ecosystems conserve (R1): some systems drop this
item, and a run with both is reported by the double-counting checks (catalogue §3.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import field_validator

from gepkit.errors import InputError, Problem
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part

Use = Literal["domestic", "industrial", "agricultural", "ecological"]

USES: dict[str, tuple[str, str]] = {
    "domestic": ("domestic water", "生活用水"),
    "industrial": ("industrial water", "工业用水"),
    "agricultural": ("agricultural water", "农业用水"),
    "ecological": ("ecological water", "生态环境用水"),
}


class WaterSupplyOptions(ItemOptions):
    uses: tuple[Use, ...] = ("domestic", "industrial", "agricultural")
    """Uses accounted, each a part valued at its own tariff (the Garzê account: domestic,
    industrial and agricultural)."""

    @field_validator("uses")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one use")
        if len(set(value)) != len(value):
            raise ValueError("a use is listed twice")
        return value


class WaterSupply(Item):
    id = "water_supply"
    method = "tariff_by_use"
    Options = WaterSupplyOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []

    def parts(self, options: ItemOptions) -> list[str]:
        assert isinstance(options, WaterSupplyOptions)
        return list(options.uses)

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, WaterSupplyOptions)
        parts: list[Part] = []
        problems: list[Problem] = []
        for use in options.uses:
            try:
                values = ctx.reported(
                    "water_supply", f"{use}_water", needed_by=f"{self.id} ({use})"
                )
            except InputError as err:
                problems += err.problems
                continue
            name_en, name_zh = USES[use]
            parts.append(
                Part(
                    id=use,
                    name_en=name_en,
                    name_zh=name_zh,
                    reported=values,
                    source=f"water_supply.{use}_water",
                )
            )
        if problems:
            raise InputError(problems)
        return ctx.result(
            self,
            options,
            method="V = Σ_u W_u·p_u, water used by "
            + ", ".join(options.uses)
            + " at the tariff of each use (catalogue §2.2)",
            parts=parts,
            components=self.components(ctx, options, self.parts(options)),
            notes=[
                "water supplied is drawn from the water conserved (R1): see the double-counting "
                "checks (catalogue §3.2)"
            ],
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [
            Component(
                id=f"{use}_water",
                name_en=f"{USES[use][0]} at its tariff",
                name_zh=f"{USES[use][1]}水价",
                quantity_unit="m^3",
                per_item=1.0,
                derivation=f"1 m³ sold at the {use} tariff per m³ used",
                price=ctx.price(f"water_tariff_{use}"),
                part=use,
            )
            for use in parts
        ]
