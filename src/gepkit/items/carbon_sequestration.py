"""Carbon sequestration (固碳, R8): NEP method, valued at a carbon price per t CO₂."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import xarray as xr

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.carbon import (
    carbon_sequestration,
    heterotrophic_respiration_pei,
    net_ecosystem_production,
)


class CarbonSequestrationOptions(ItemOptions):
    method: Literal["nep"] = "nep"
    """NEP = NPP − R_h (catalogue §2.10); other methods come with the regulating-services work."""
    rh_model: Literal["pei2010", "layer"] = "pei2010"
    """R_h from Pei et al.'s monthly climate model, or from a ``heterotrophic_respiration`` layer."""
    negative: Literal["keep", "zero"] = "keep"
    """``keep``: carbon sources (NEP < 0) count against sinks (net); ``zero``: sinks only."""
    ecosystems: tuple[int, ...] = (1, 2, 3, 41, 52, 62)
    """Forest, shrub, grassland, marsh, orchards and urban green.  Cropland is out by default:
    its harvested carbon returns to the atmosphere within the year."""


def nep_layer(ctx: ItemContext, options: CarbonSequestrationOptions) -> xr.DataArray:
    """NEP [gC/m²] on the grid with the chosen R_h model."""
    if options.rh_model == "layer":
        rh = ctx.layer("heterotrophic_respiration")
    else:
        rh = heterotrophic_respiration_pei(
            temperature_monthly=ctx.layer("temperature_monthly"),
            precipitation_monthly=ctx.layer("precipitation_monthly"),
        )
    return net_ecosystem_production(npp=ctx.layer("npp"), heterotrophic_respiration=rh)


def nep_layers(options: CarbonSequestrationOptions) -> list[str]:
    rh = (
        ["heterotrophic_respiration"]
        if options.rh_model == "layer"
        else ["temperature_monthly", "precipitation_monthly"]
    )
    return ["npp", *rh]


class CarbonSequestration(Item):
    id = "carbon_sequestration"
    method = "nep"
    Options = CarbonSequestrationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, CarbonSequestrationOptions)
        return nep_layers(options)

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, CarbonSequestrationOptions)
        codes = ctx.scope_codes(options.ecosystems)
        quantity = carbon_sequestration(
            nep=nep_layer(ctx, options),
            cell_area_m2=ctx.grid.cell_area_m2,
            negative=options.negative,
        )
        price = ctx.price("carbon_price")
        component = Component(
            id="co2",
            name_en="CO₂ fixed",
            name_zh="固定二氧化碳",
            quantity_unit="tCO2",
            per_item=1.0,
            derivation="the item's quantity",
            price=price,
        )
        rh = (
            "R_h layer"
            if options.rh_model == "layer"
            else "R_h by Pei et al. (2010) from monthly T and P"
        )
        return ctx.result(
            self,
            options,
            method=f"NEP method Q = 44/12·(NPP − R_h)·A, {rh} (catalogue §2.10)",
            quantity=quantity,
            codes=codes,
            components=[component],
        )
