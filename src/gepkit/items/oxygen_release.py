"""Oxygen release (释氧, R9): O₂ from the carbon fixed, valued at an oxygen price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.items.carbon_sequestration import CarbonSequestrationOptions, nep_layer, nep_layers
from gepkit.models.oxygen import oxygen_release


class OxygenReleaseOptions(ItemOptions):
    basis: Literal["carbon", "npp"] = "carbon"
    """``carbon``: the same basis as carbon sequestration (NEP, with its R_h model, sign rule and
    ecosystem scope), which keeps carbon and oxygen consistent (catalogue §3.2);
    ``npp``: NPP, i.e. before heterotrophic respiration (as in the Garzê account, §2.11)."""
    ecosystems: tuple[int, ...] | None = None
    """Classes in scope; default: the carbon item's scope."""


class OxygenRelease(Item):
    id = "oxygen_release"
    method = "photosynthesis"
    Options = OxygenReleaseOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, OxygenReleaseOptions)
        return ["npp"] if options.basis == "npp" else nep_layers(_carbon_options(run_options))

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, OxygenReleaseOptions)
        carbon = _carbon_options(ctx.item_options)
        codes = ctx.scope_codes(options.ecosystems or carbon.ecosystems)
        if options.basis == "npp":
            flux, negative, basis = ctx.layer("npp"), "keep", "NPP"
        else:
            flux, negative, basis = nep_layer(ctx, carbon), carbon.negative, "NEP (as carbon)"
        quantity = oxygen_release(
            carbon_flux=flux, cell_area_m2=ctx.grid.cell_area_m2, negative=negative
        )
        component = Component(
            id="o2",
            name_en="O₂ released",
            name_zh="释放氧气",
            quantity_unit="tO2",
            per_item=1.0,
            derivation="the item's quantity",
            price=ctx.price("oxygen_price"),
        )
        return ctx.result(
            self,
            options,
            method=f"Q = 32/12·C_fixed·A on a {basis} basis (catalogue §2.11)",
            quantity=quantity,
            codes=codes,
            components=[component],
        )


def _carbon_options(run_options: Mapping[str, ItemOptions]) -> CarbonSequestrationOptions:
    """The carbon item's options (its defaults when carbon is not part of the run)."""
    found = run_options.get("carbon_sequestration")
    return found if isinstance(found, CarbonSequestrationOptions) else CarbonSequestrationOptions()
