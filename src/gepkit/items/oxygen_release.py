"""Oxygen release (释氧, R9): O₂ from the carbon fixed, valued at an oxygen price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.items.carbon_sequestration import (
    CarbonSequestrationOptions,
    carbon_fixed,
    carbon_layers,
)
from gepkit.models.oxygen import O2_PER_C
from gepkit.units import with_units


class OxygenReleaseOptions(ItemOptions):
    basis: Literal["carbon", "npp"] = "carbon"
    """``carbon``: the carbon fixed by the carbon item's method (NEP, rates or stock change, with
    its sign rule), which keeps carbon and oxygen consistent (catalogue §3.2); ``npp``: NPP, i.e.
    before heterotrophic respiration (as in the Garzê account, §2.11)."""
    ecosystems: tuple[int, ...] | None = None
    """Classes in scope; default: the carbon item's scope."""


class OxygenRelease(Item):
    id = "oxygen_release"
    method = "photosynthesis"
    Options = OxygenReleaseOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, OxygenReleaseOptions)
        return ["npp"] if options.basis == "npp" else carbon_layers(_carbon_options(run_options))

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, OxygenReleaseOptions)
        carbon = _carbon_options(ctx.item_options)
        codes = ctx.scope_codes(options.ecosystems or carbon.ecosystems)
        if options.basis == "npp":
            fixed = with_units(
                ctx.layer("npp") * ctx.grid.cell_area_m2 * 1e-6, "tC", "carbon_fixed"
            )
            text = "NPP basis"
        else:
            fixed, text = carbon_fixed(ctx, carbon, codes, self.id)
            text = f"carbon item's basis ({text})"
        quantity = with_units(fixed * O2_PER_C, "tO2", "oxygen_release")
        return ctx.result(
            self,
            options,
            method=f"Q = 32/12·C_fixed·A on the {text} (catalogue §2.11)",
            quantity=quantity,
            codes=codes,
            components=self.components(ctx, options, self.parts(options)),
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [
            Component(
                id="o2",
                name_en="O₂ released",
                name_zh="释放氧气",
                quantity_unit="tO2",
                per_item=1.0,
                derivation="the item's quantity",
                price=ctx.price("oxygen_price"),
            )
        ]


def _carbon_options(run_options: Mapping[str, ItemOptions]) -> CarbonSequestrationOptions:
    """The carbon item's options (its defaults when carbon is not part of the run)."""
    found = run_options.get("carbon_sequestration")
    return found if isinstance(found, CarbonSequestrationOptions) else CarbonSequestrationOptions()
