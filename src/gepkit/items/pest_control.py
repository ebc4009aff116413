"""Pest control (病虫害控制, R11): natural forest and grassland, valued at avoided control cost.

The physical quantity is the area of natural forest and grassland that keeps pests in check
without treatment (methods catalogue §2.13, after the Garzê account of Pema Dolkar, Xiao & Ouyang
2017, also reported in the Hainan National Park account as 有害生物控制):

    Q_f = A_forest · s_f ,   Q_g = A_grassland · s_g ,   V = Q_f · c_f + Q_g · c_g

with s the natural share of the area (land cover cannot tell natural from planted forest; give
the share of natural forest from the forest inventory) and c the avoided control cost per hm²
(Garzê 2010: forest 375, grassland 112.5 CNY/hm² [V]).
"""

from __future__ import annotations

from collections.abc import Mapping

import xarray as xr
from pydantic import Field

from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part
from gepkit.items.climate_regulation import check_disjoint
from gepkit.units import with_units


class PestControlOptions(ItemOptions):
    forest_ecosystems: tuple[int, ...] = (1,)
    """Forest classes (1: broadleaf, coniferous, mixed and sparse forest, 11–14)."""
    grassland_ecosystems: tuple[int, ...] = (3,)
    """Grassland classes (3: meadow, steppe, tussock and sparse grassland, 31–34)."""
    natural_share_forest: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of the forest area that is natural forest.  Land cover cannot tell natural from
    planted forest: give the share from the forest inventory (the default 1.0 counts all
    forest, which overstates the item where plantations are common)."""
    natural_share_grassland: float = Field(default=1.0, ge=0.0, le=1.0)
    """Share of the grassland area that is natural (unsown) grassland."""


def natural_area(ctx: ItemContext, share: float) -> xr.DataArray:
    """Area counted per cell [hectare]: the cell area × the natural share."""
    area = xr.full_like(ctx.ecosystem, ctx.grid.cell_area_ha * share, dtype="float64")
    return with_units(area, "hectare", "natural_area")


class PestControl(Item):
    id = "pest_control"
    method = "natural_area"
    Options = PestControlOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []  # land cover only

    def parts(self, options: ItemOptions) -> list[str]:
        return ["forest", "grassland"]

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        made = {
            "forest": ("森林", "forest", "natural forest", "天然林"),
            "grassland": ("草地", "grassland", "natural grassland", "天然草地"),
        }
        return [
            Component(
                id=f"{part}_pest_control",
                name_en=f"avoided pest control in {made[part][1]}",
                name_zh=f"{made[part][0]}病虫害防治费用",
                quantity_unit="hectare",
                per_item=1.0,
                derivation=f"1 hm² treated per hm² of {made[part][2]}",
                price=ctx.price(f"pest_control_cost_{part}"),
                part=part,
            )
            for part in parts
        ]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, PestControlOptions)
        check_disjoint(
            ctx,
            options.forest_ecosystems,
            options.grassland_ecosystems,
            field=f"options.{self.id}.grassland_ecosystems",
            what="forest_ecosystems and grassland_ecosystems",
        )
        forest_codes = ctx.scope_codes(options.forest_ecosystems)
        grass_codes = ctx.scope_codes(options.grassland_ecosystems)
        forest = ctx.restrict(natural_area(ctx, options.natural_share_forest), forest_codes)
        grassland = ctx.restrict(natural_area(ctx, options.natural_share_grassland), grass_codes)
        parts = [
            Part("forest", "natural forest", "天然林", forest),
            Part("grassland", "natural grassland", "天然草地", grassland),
        ]
        components = self.components(ctx, options, self.parts(options))
        return ctx.result(
            self,
            options,
            method=f"natural area: forest × {options.natural_share_forest:g} + grassland × "
            f"{options.natural_share_grassland:g}, valued at avoided control cost per hm² "
            f"(catalogue §2.13)",
            parts=parts,
            components=components,
            notes=[
                "land cover cannot tell natural from planted forest: the natural shares are "
                "options (give the forest-inventory share)"
            ],
        )
