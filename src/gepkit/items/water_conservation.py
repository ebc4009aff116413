"""Water conservation (水源涵养, R1): water balance, valued at reservoir storage cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.lookup import lookup
from gepkit.models.water_conservation import water_conservation


class WaterConservationOptions(ItemOptions):
    negative_balance: Literal["zero", "keep"] = "zero"
    """Cells where runoff plus ET exceed precipitation: count 0 (default) or keep the deficit."""
    ecosystems: tuple[int, ...] = (1, 2, 3, 4, 52)
    """Ecosystem classes in scope: forest, shrub, grassland, wetland and orchards, as Gong et al.
    (2017); farmland and built-up land are normally excluded (catalogue §2.3)."""


class WaterConservation(Item):
    id = "water_conservation"
    method = "water_balance"
    Options = WaterConservationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return ["precipitation", "actual_et"]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, WaterConservationOptions)
        codes = ctx.scope_codes(options.ecosystems)
        table = ctx.table("runoff_coefficients", codes, self.id)
        alpha_by_code = table.column("value", units="dimensionless")
        alpha = lookup(
            ctx.ecosystem,
            {c: alpha_by_code[c] for c in codes},
            name="runoff_coefficient",
            units="dimensionless",
        )
        quantity = water_conservation(
            precipitation=ctx.layer("precipitation"),
            actual_et=ctx.layer("actual_et"),
            runoff_coefficient=alpha,
            cell_area_m2=ctx.grid.cell_area_m2,
            negative_balance=options.negative_balance,
        )
        price = ctx.price("reservoir_storage_cost")
        storage = Component(
            id="reservoir_storage",
            name_en="reservoir storage replaced",
            name_zh="替代水库库容",
            quantity_unit="m^3",
            per_item=1.0,
            derivation="1 m³ of storage per m³ conserved",
            price=price,
        )
        return ctx.result(
            self,
            options,
            method="water balance Q = (P − P·α − ET)·A (HJ 1173—2021 eq. A.1)",
            quantity=quantity,
            codes=codes,
            components=[storage],
        )
