"""Landscape value (景观价值, C2): housing that benefits from a nearby ecosystem, hedonic price.

    V = A_l · P_l        (methods catalogue §2.15)

with A_l the floor area of housing that benefits from a nearby ecosystem (within a distance of
parks, water bodies or mountains) and P_l the price premium per m² estimated from housing prices,
both reported per unit (sheet ``housing``).  The physical quantity is the benefiting floor area.
"""

from __future__ import annotations

from collections.abc import Mapping

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part


class LandscapeValueOptions(ItemOptions):
    pass


class LandscapeValue(Item):
    id = "landscape_value"
    method = "hedonic_price"
    Options = LandscapeValueOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []

    def parts(self, options: ItemOptions) -> list[str]:
        return ["floor_area"]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        area = ctx.reported("housing", "benefiting_floor_area", needed_by=self.id)
        part = Part(
            id="floor_area",
            name_en="benefiting housing floor area",
            name_zh="受益住房建筑面积",
            reported=area,
            source="housing.benefiting_floor_area",
        )
        return ctx.result(
            self,
            options,
            method="V = A_l·P_l, benefiting floor area × price premium per m² (catalogue §2.15)",
            parts=[part],
            components=self.components(ctx, options, self.parts(options)),
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        premium = ctx.reported("housing", "premium", needed_by=self.id)
        return [
            Component(
                id="housing_premium",
                name_en="housing price premium",
                name_zh="景观溢价",
                quantity_unit="m^2",
                per_item=1.0,
                derivation="per unit: the premium per m² reported",
                price=None,
                index="cpi_cn",
                unit_prices=premium,
                price_source="housing.premium",
                part="floor_area",
            )
        ]
