"""Carbon sequestration (固碳 / 固定二氧化碳, R8), valued at a carbon price per t CO₂.

Three methods, chosen by data availability as GB/T 46869—2025 Annex A.7 reportedly allows
(catalogue §2.10): net ecosystem production (NEP = NPP − R_h), sequestration rates per area by
ecosystem type, and the change of carbon stocks between a baseline year and the accounting year
with stocks from pool tables by land-cover class, like InVEST's Carbon model.  Every method
first gives the carbon fixed per cell in a year (tC), which the oxygen item can share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import xarray as xr
from pydantic import Field

from gepkit.errors import ConfigError, Problem
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.carbon import (
    CO2_PER_C,
    carbon_stock,
    heterotrophic_respiration_pei,
    net_ecosystem_production,
)
from gepkit.models.lookup import lookup
from gepkit.units import require_units, with_units

POOLS = ("c_above", "c_below", "c_soil", "c_dead")


class CarbonSequestrationOptions(ItemOptions):
    method: Literal["nep", "sequestration_rate", "stock_change"] = "nep"
    """``nep``: NEP = NPP − R_h; ``sequestration_rate``: rate per area by ecosystem (table
    carbon_sequestration_rates); ``stock_change``: (stock now − stock at the baseline)/years with
    pools by ecosystem (table carbon_pools) and the layer ``landcover_baseline``."""
    rh_model: Literal["pei2010", "layer"] = "pei2010"
    """NEP: R_h from Pei et al.'s monthly climate model, or from a ``heterotrophic_respiration`` layer."""
    baseline_year: int | None = None
    """Stock change: the year of ``landcover_baseline``; required for that method."""
    forest_soil_coefficient: float = Field(default=0.0, ge=0.0)
    """Sequestration rate: β, soil carbon gained per unit of forest carbon (0: not counted;
    Zhang Chunhua et al. 2018 give 0.02 : 0.49, i.e. β ≈ 0.041)."""
    negative: Literal["keep", "zero"] = "keep"
    """``keep``: carbon sources count against sinks (net); ``zero``: sinks only."""
    ecosystems: tuple[int, ...] = (1, 2, 3, 41, 52, 62)
    """Forest, shrub, grassland, marsh, orchards and urban green.  Cropland is out by default:
    its harvested carbon returns to the atmosphere within the year.  The scope applies to the
    current land cover; for stock changes give every class (1–8) so that carbon lost where
    forest became cropland or built-up land is counted."""


def carbon_layers(options: CarbonSequestrationOptions) -> list[str]:
    """Input layers of a carbon method."""
    if options.method == "nep":
        rh = (
            ["heterotrophic_respiration"]
            if options.rh_model == "layer"
            else ["temperature_monthly", "precipitation_monthly"]
        )
        return ["npp", *rh]
    if options.method == "stock_change":
        return ["landcover_baseline"]
    return []


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


def carbon_fixed(
    ctx: ItemContext, options: CarbonSequestrationOptions, codes: set[int], needed_by: str
) -> tuple[xr.DataArray, str]:
    """Carbon fixed per cell in the year [tC] by the chosen method, and the method's description."""
    area_ha = ctx.grid.cell_area_ha
    if options.method == "nep":
        nep = nep_layer(ctx, options)
        fixed = with_units(nep * ctx.grid.cell_area_m2 * 1e-6, "tC", "carbon_fixed")
        rh = (
            "R_h layer"
            if options.rh_model == "layer"
            else "R_h by Pei et al. (2010) from monthly T and P"
        )
        text = f"NEP method: C = (NPP − R_h)·A, {rh}"
    elif options.method == "sequestration_rate":
        table = ctx.table("carbon_sequestration_rates", codes, needed_by)
        rates = table.column("value", units="tC/hectare")
        rate = lookup(ctx.ecosystem, {c: rates[c] for c in codes}, name="rate", units="tC/hectare")
        forest = {
            c: 1.0 + options.forest_soil_coefficient
            for c in codes
            if ctx.catalogue.classes.within(c, [1])
        }
        soil = lookup(
            ctx.ecosystem,
            {c: forest.get(c, 1.0) for c in codes},
            name="soil",
            units="dimensionless",
        )
        fixed = with_units(rate * soil * area_ha, "tC", "carbon_fixed")
        text = (
            f"sequestration-rate method: C = R·(1 + β)·A, β = {options.forest_soil_coefficient:g} "
            f"on forest"
        )
    else:
        if options.baseline_year is None or ctx.baseline_ecosystem is None:
            raise ConfigError(
                Problem(
                    where="config",
                    field=f"options.{needed_by}.baseline_year",
                    message="the stock-change method needs the baseline year and [inputs.landcover_baseline]",
                    hint="set baseline_year and give the land cover of that year",
                )
            )
        years = ctx.year - options.baseline_year
        if years <= 0:
            raise ConfigError(
                Problem(
                    where="config",
                    field=f"options.{needed_by}.baseline_year",
                    message=f"{options.baseline_year} is not before the accounting year {ctx.year}",
                )
            )
        table = ctx.table("carbon_pools", codes, needed_by)
        stocks = []
        for ecosystem in (ctx.ecosystem, ctx.baseline_ecosystem):
            pools = {
                pool: lookup(
                    ecosystem,
                    {c: v for c, v in table.column(pool).items() if c in codes},
                    name=pool,
                    units=str(table.frame["unit"].iloc[0]),
                )
                for pool in POOLS
            }
            for pool in pools.values():
                require_units(pool, "tC/hectare", "carbon_pools")
            stocks.append(
                carbon_stock(
                    above=pools["c_above"],
                    below=pools["c_below"],
                    soil=pools["c_soil"],
                    dead=pools["c_dead"],
                    cell_area_ha=area_ha,
                )
            )
        fixed = with_units((stocks[0] - stocks[1]) / years, "tC", "carbon_fixed")
        text = (
            f"stock-change method: C = (stock {ctx.year} − stock {options.baseline_year})/{years} "
            f"with pools by ecosystem (as InVEST Carbon)"
        )
    if options.negative == "zero":
        fixed = with_units(fixed.clip(min=0.0), "tC", "carbon_fixed")
    return fixed, text


class CarbonSequestration(Item):
    id = "carbon_sequestration"
    method = "nep"
    Options = CarbonSequestrationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, CarbonSequestrationOptions)
        return carbon_layers(options)

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, CarbonSequestrationOptions)
        codes = ctx.scope_codes(options.ecosystems)
        fixed, text = carbon_fixed(ctx, options, codes, self.id)
        quantity = with_units(fixed * CO2_PER_C, "tCO2", "carbon_sequestration")
        return ctx.result(
            self,
            options,
            method=f"{text}; Q = 44/12·C (catalogue §2.10)",
            quantity=quantity,
            codes=codes,
            components=self.components(ctx, options, self.parts(options)),
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [
            Component(
                id="co2",
                name_en="CO₂ fixed",
                name_zh="固定二氧化碳",
                quantity_unit="tCO2",
                per_item=1.0,
                derivation="the item's quantity (a price per t C is converted × 12/44)",
                price=ctx.price("carbon_price"),
            )
        ]
