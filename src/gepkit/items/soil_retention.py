"""Soil retention (土壤保持, R2): RUSLE, valued by avoided siltation plus N and P removal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import xarray as xr
from pydantic import Field, field_validator

from gepkit.catalogue.book import C_FACTOR_CLASS_COLUMNS
from gepkit.items.base import Bound, Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.lookup import lookup
from gepkit.models.soil_retention import (
    CoverRule,
    cover_management_factor,
    ls_factor_desmet_govers,
    ls_factor_invest_sdr,
    potential_soil_loss,
    slope_length_factor,
    slope_steepness_factor,
    soil_retention,
)
from gepkit.models.terrain import contour_factor, flow_accumulation, slope_degrees
from gepkit.models.vegetation import fractional_vegetation_cover
from gepkit.units import with_units


class SoilRetentionOptions(ItemOptions):
    ls_method: Literal["desmet_govers", "invest_sdr", "slope_only"] = "desmet_govers"
    """``desmet_govers``: L from the upslope area by flow routing (Desmet & Govers 1996) with
    HJ 1173's m and S (Liu's steep-slope branch); ``invest_sdr``: LS exactly as InVEST SDR 3.20
    (for side-by-side work); ``slope_only``: L from the fixed slope length of the parameter
    ``slope_length`` (no routing)."""
    flow_algorithm: Literal["mfd", "d8"] = "mfd"
    """Flow routing for the upslope area: multiple (MFD, as InVEST SDR) or single (D8) direction."""
    l_max: float | None = Field(default=122.0, gt=0)
    """Cap of the L factor (InVEST's default 122); ``"none"`` in gep.toml: no cap.  Without a cap,
    L grows without bound along valley bottoms, which carry channel flow rather than sheet
    erosion."""

    @field_validator("l_max", mode="before")
    @classmethod
    def _no_cap(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "none" else value

    p_source: Literal["constant", "table"] = "constant"
    """Support-practice factor P: the constant ``p_factor`` (HJ 1173 has no P: 1) or the table
    ``rusle_p_factor`` by land use."""
    p_factor: float = Field(default=1.0, ge=0.0, le=1.0)
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
        ls, ls_text = self._ls(ctx, options)

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
        support: xr.DataArray | float = options.p_factor
        if options.p_source == "table":
            p_table = ctx.table("rusle_p_factor", codes, self.id)
            support = lookup(
                ctx.ecosystem,
                p_table.column("value", units="dimensionless"),
                name="P",
                units="dimensionless",
            )

        R, K = ctx.layer("rainfall_erosivity"), ctx.layer("soil_erodibility")
        quantity = soil_retention(
            R=R, K=K, LS=ls, C=cover, P=support, cell_area_ha=ctx.grid.cell_area_ha
        )
        potential = potential_soil_loss(R=R, K=K, LS=ls, cell_area_ha=ctx.grid.cell_area_ha)
        bound = Bound(
            id="potential_erosion",
            description="soil retained ≤ potential erosion R·K·LS·A (retention cannot "
            "exceed what bare soil would lose)",
            upper=ctx.restrict(potential, codes),
        )
        return ctx.result(
            self,
            options,
            method=f"RUSLE Q = R·K·LS·(1 − C·P)·A (HJ 1173—2021 eqs. A.2–A.13); {ls_text}",
            quantity=quantity,
            codes=codes,
            components=self.components(ctx, options, self.parts(options)),
            bounds=[bound],
        )

    @staticmethod
    def _ls(ctx: ItemContext, options: SoilRetentionOptions) -> tuple[xr.DataArray, str]:
        dem, cell = ctx.layer("dem"), ctx.grid.resolution
        if options.ls_method == "slope_only":
            slope = slope_degrees(dem, cell_size=cell)
            slope_length = ctx.parameter("slope_length").value_in("m")
            ls = slope_length_factor(slope, slope_length=slope_length) * slope_steepness_factor(
                slope
            )
            return with_units(ls, "dimensionless", "LS"), (
                f"LS from slope with a fixed slope length of {slope_length:g} m"
            )
        filled, accumulation = flow_accumulation(dem, algorithm=options.flow_algorithm)
        cap = f", L ≤ {options.l_max:g}" if options.l_max is not None else ""
        if options.ls_method == "invest_sdr":
            slope = slope_degrees(filled, cell_size=cell, edges="nodata")
            return ls_factor_invest_sdr(
                slope,
                accumulation,
                cell_size=cell,
                l_max=options.l_max if options.l_max is not None else float("inf"),
            ), (f"LS as InVEST SDR 3.20 ({options.flow_algorithm.upper()} routing{cap})")
        slope = slope_degrees(filled, cell_size=cell)
        contour = contour_factor(filled, cell_size=cell)
        return ls_factor_desmet_govers(
            slope, accumulation, contour, cell_size=cell, l_max=options.l_max
        ), (
            f"LS by Desmet & Govers from {options.flow_algorithm.upper()} flow accumulation with "
            f"HJ 1173 m and S{cap}"
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return self._components(ctx)

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
