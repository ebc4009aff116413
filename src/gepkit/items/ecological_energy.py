"""Ecological energy (生态能源, P6): hydropower generated, valued at its tariff.

    V = E_hydro · p

with E_hydro the hydropower generation of the year (sheet ``hydropower``, 万kWh) and p the
on-grid tariff (price ``hydropower_price``; Garzê 2010: 95.30×10⁸ kWh at 0.53 CNY/kWh; methods
catalogue §2.2).  Other ecological energy (biomass, small hydro reported apart) can be supplied
as quantities (see docs/configuration.md, supplied quantities).
"""

from __future__ import annotations

from collections.abc import Mapping

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part


class EcologicalEnergyOptions(ItemOptions):
    pass


class EcologicalEnergy(Item):
    id = "ecological_energy"
    method = "tariff"
    Options = EcologicalEnergyOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []

    def parts(self, options: ItemOptions) -> list[str]:
        return ["hydropower"]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        values = ctx.reported("hydropower", "hydropower", needed_by=self.id)
        part = Part(
            id="hydropower",
            name_en="hydropower generation",
            name_zh="水力发电量",
            reported=values,
            ecosystem=4,  # rivers and reservoirs (wetland)
            source="hydropower.hydropower",
        )
        return ctx.result(
            self,
            options,
            method="V = E_hydro·p, hydropower generated at its tariff (catalogue §2.2)",
            parts=[part],
            components=self.components(ctx, options, self.parts(options)),
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [
            Component(
                id="hydropower",
                name_en="hydropower at its tariff",
                name_zh="水电上网电价",
                quantity_unit="kWh",
                per_item=1.0,
                derivation="1 kWh sold per kWh generated",
                price=ctx.price("hydropower_price"),
                part="hydropower",
            )
        ]
