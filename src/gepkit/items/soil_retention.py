"""Soil retention (土壤保持, R2): RUSLE, valued by avoided siltation plus N and P removal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from gepkit.catalogue.book import C_FACTOR_CLASS_COLUMNS
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.soil_retention import (
    CoverRule,
    cover_management_factor,
    slope_length_factor,
    slope_steepness_factor,
    soil_retention,
)
from gepkit.models.terrain import slope_degrees
from gepkit.models.vegetation import fractional_vegetation_cover
from gepkit.units import with_units


class SoilRetentionOptions(ItemOptions):
    ls_method: Literal["slope_only"] = "slope_only"
    """``slope_only``: S from the slope and L from a fixed slope length (parameter
    ``slope_length``).  Flow-based slope length comes with the terrain-routing work."""
    p_factor: float = Field(default=1.0, ge=0.0, le=1.0)
    """Support-practice factor P; HJ 1173—2021 has none (P = 1)."""
    ecosystems: tuple[int, ...] = (1, 2, 3, 41, 5, 6, 7, 82)
    """Classes in scope: all land with soil (open water 42, 43 and glaciers 81 excluded)."""


class SoilRetention(Item):
    id = "soil_retention"
    method = "rusle"
    Options = SoilRetentionOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return ["rainfall_erosivity", "soil_erodibility", "dem", "ndvi"]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, SoilRetentionOptions)
        codes = ctx.scope_codes(options.ecosystems)
        table = ctx.table("rusle_c_factor", codes, self.id)

        slope = slope_degrees(ctx.layer("dem"), cell_size=ctx.grid.resolution)
        slope_length = ctx.parameter("slope_length").value_in("m")
        ls = slope_length_factor(slope, slope_length=slope_length) * slope_steepness_factor(slope)
        ls = with_units(ls, "dimensionless", "LS")

        fvc = fractional_vegetation_cover(
            ctx.layer("ndvi"),
            ndvi_soil=ctx.parameter("fvc_ndvi_soil").value_in("dimensionless"),
            ndvi_vegetation=ctx.parameter("fvc_ndvi_vegetation").value_in("dimensionless"),
        )
        rules = {code: _cover_rule(table.frame.loc[code]) for code in codes}
        paddy_share = 0.0
        if any(rule.rule == "cropland_mix" for rule in rules.values()):
            paddy_share = ctx.parameter("cropland_paddy_share").value_in("dimensionless")
        cover = cover_management_factor(ctx.ecosystem, fvc, rules=rules, paddy_share=paddy_share)

        quantity = soil_retention(
            R=ctx.layer("rainfall_erosivity"),
            K=ctx.layer("soil_erodibility"),
            LS=ls,
            C=cover,
            P=options.p_factor,
            cell_area_ha=ctx.grid.cell_area_ha,
        )
        components = self._components(ctx)
        return ctx.result(
            self,
            options,
            method="RUSLE Q = R·K·LS·(1 − C·P)·A (HJ 1173—2021 eqs. A.2–A.13); LS from slope "
            "with a fixed slope length",
            quantity=quantity,
            codes=codes,
            components=components,
        )

    @staticmethod
    def _components(ctx: ItemContext) -> list[Component]:
        # V_sd = λ·(Q/ρ)·c ; V_N,P = Q·C_j·p_j (catalogue §2.4, after Pema Dolkar et al. 2017)
        share = ctx.parameter("sedimentation_share")
        density = ctx.parameter("soil_bulk_density")
        nitrogen = ctx.parameter("soil_nitrogen_content")
        phosphorus = ctx.parameter("soil_phosphorus_content")
        silt_per_t = share.value_in("dimensionless") / density.value_in("t/m^3")
        return [
            Component(
                id="siltation",
                name_en="avoided reservoir siltation (dredging cost)",
                name_zh="减少泥沙淤积",
                quantity_unit="m^3",
                per_item=silt_per_t,
                derivation=f"λ/ρ = {share.value:g} / {density.value:g} {density.unit} "
                f"= {silt_per_t:.6g} m³ of sediment per t of soil",
                price=ctx.price("dredging_cost"),
            ),
            Component(
                id="nitrogen",
                name_en="avoided nitrogen pollution",
                name_zh="减少氮面源污染",
                quantity_unit="t",
                per_item=nitrogen.value_in("dimensionless"),
                derivation=f"soil N content {nitrogen.value:g} {nitrogen.unit}",
                price=ctx.price("nitrogen_removal_cost"),
            ),
            Component(
                id="phosphorus",
                name_en="avoided phosphorus pollution",
                name_zh="减少磷面源污染",
                quantity_unit="t",
                per_item=phosphorus.value_in("dimensionless"),
                derivation=f"soil P content {phosphorus.value:g} {phosphorus.unit}",
                price=ctx.price("phosphorus_removal_cost"),
            ),
        ]


def _cover_rule(row: object) -> CoverRule:
    get = row.get  # type: ignore[attr-defined]
    rule = str(get("rule")).strip()
    by_class = (
        tuple(float(get(c)) for c in C_FACTOR_CLASS_COLUMNS) if rule == "fvc_classes" else None
    )
    constant = float(get("c_constant")) if rule == "constant" else None
    return CoverRule(rule=rule, by_fvc_class=by_class, constant=constant)  # type: ignore[arg-type]
