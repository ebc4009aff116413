"""Sand fixation (防风固沙, R3): RWEQ, valued by the cost of controlling the sand-covered land
avoided (catalogue §2.5, after Pema Dolkar et al. 2017)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import xarray as xr
from pydantic import Field, field_validator

from gepkit import units as u
from gepkit.items.base import Bound, Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.lookup import lookup
from gepkit.models.sand_fixation import (
    erodible_fraction,
    loss_per_cell,
    peak_product,
    sand_fixation,
    soil_crust_factor,
    soil_loss,
    surface_roughness_factor,
    vegetation_factor,
)
from gepkit.models.vegetation import fractional_vegetation_cover
from gepkit.units import with_units

SOIL_LAYERS = ("sand", "silt", "clay", "organic_matter")


class SandFixationOptions(ItemOptions):
    cover_source: Literal["ndvi", "layer"] = "ndvi"
    """Vegetation cover SC of eq. A.20: ``ndvi`` — the dimidiate pixel model on the ``ndvi``
    layer (parameters ``fvc_ndvi_soil``, ``fvc_ndvi_vegetation``), as for soil retention;
    ``layer`` — the ``vegetation_cover`` layer (percent)."""
    use_calcium_carbonate: bool = False
    """Include the −0.95 CaCO₃ term of EF (eq. A.18; layer ``calcium_carbonate``).  HJ 1173
    says it may be left out."""
    ecosystems: tuple[int, ...] = (1, 2, 3, 5, 7, 82)
    """Classes in scope: those with a vegetation coefficient a_i in HJ 1173 eq. A.20 — forest,
    shrub, grassland, farmland, desert (sandy land; saline land as bare land) and bare land."""
    roughness_window: int = Field(default=3, ge=3)
    """Side, in cells, of the window in which the relief ΔH of K_r = 0.2 ΔH²/L is measured
    (odd); L is the window's side in metres."""
    relief_units: Literal["m", "cm"] = "m"
    """Unit in which ΔH and L enter K_r (HJ 1173 names none): ``m`` (default) or ``cm``
    (K_r × 100)."""
    roughness_beyond_fit: Literal["hold", "formula"] = "hold"
    """K_r above 18.0, where the Smith–Carson fit turns upwards: ``hold`` K′ at its minimum
    (0.0938) or apply the ``formula`` as written."""
    negative: Literal["zero", "keep"] = "zero"
    """Cells where the loss under vegetation exceeds the bare-soil loss (possible at a fixed z
    when the bare-soil factor product exceeds 61.7 kg/m): count ``zero`` or ``keep`` the
    negative difference."""

    @field_validator("roughness_window")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("must be an odd number of cells (3, 5, 7, …) so the window is centred")
        return value


class SandFixation(Item):
    id = "sand_fixation"
    method = "rweq"
    Options = SandFixationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, SandFixationOptions)
        names = ["weather_factor", *SOIL_LAYERS, "dem"]
        if options.use_calcium_carbonate:
            names.append("calcium_carbonate")
        names.append("ndvi" if options.cover_source == "ndvi" else "vegetation_cover")
        return names

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, SandFixationOptions)
        codes = ctx.scope_codes(options.ecosystems)
        table = ctx.table("rweq_vegetation_coefficient", codes, self.id)
        a_by_code = table.column("value", units="dimensionless")
        coefficient = lookup(
            ctx.ecosystem,
            {c: a_by_code[c] for c in codes},
            name="rweq_vegetation_coefficient",
            units="dimensionless",
        )

        ef = erodible_fraction(
            sand=ctx.layer("sand"),
            silt=ctx.layer("silt"),
            clay=ctx.layer("clay"),
            organic_matter=ctx.layer("organic_matter"),
            calcium_carbonate=(
                ctx.layer("calcium_carbonate") if options.use_calcium_carbonate else None
            ),
        )
        scf = soil_crust_factor(clay=ctx.layer("clay"), organic_matter=ctx.layer("organic_matter"))
        cell = ctx.grid.resolution
        roughness = surface_roughness_factor(
            ctx.layer("dem"),
            cell_size=cell,
            window=options.roughness_window,
            relief_units=options.relief_units,
            beyond_fit=options.roughness_beyond_fit,
        )
        cover = vegetation_factor(self._cover(ctx, options), coefficient=coefficient)
        distance = ctx.parameter("rweq_max_erosion_distance").value_in("m")
        factors = {
            "weather_factor": ctx.layer("weather_factor"),
            "erodible_fraction": ef,
            "crust_factor": scf,
            "roughness_factor": roughness,
        }
        potential = soil_loss(**factors, distance=distance)  # C = 1 [kg/m²]
        actual = soil_loss(**factors, vegetation_factor=cover, distance=distance)  # [kg/m²]
        area = ctx.grid.cell_area_m2
        quantity = sand_fixation(
            potential=potential, actual=actual, cell_area_m2=area, negative=options.negative
        )
        bound = Bound(
            id="potential_wind_erosion",
            description="sand fixed ≤ potential wind erosion of bare soil (C = 1)",
            upper=ctx.restrict(loss_per_cell(potential, cell_area_m2=area), codes),
        )
        side = options.roughness_window * cell
        held = "held at 18.0" if options.roughness_beyond_fit == "hold" else "not held"
        counted = "0" if options.negative == "zero" else "their negative difference"
        notes = [
            f"K′ from the relief ΔH (elevation range) in {options.roughness_window}×"
            f"{options.roughness_window} cells, L = {side:g} m, ΔH and L in "
            f"{options.relief_units}; K_r {held}",
            f"S_L at z = {distance:g} m decreases with the factor product above "
            f"{peak_product(distance):.4g} kg/m; cells where the loss under vegetation exceeds "
            f"the bare-soil loss count {counted}",
        ]
        return ctx.result(
            self,
            options,
            method="RWEQ SR = S_L,pot − S_L, S_L = (2z/s²)·Q_max·exp(−(z/s)²) "
            "(HJ 1173—2021 eqs. A.14–A.22); S_L in kg/m² × cell area",
            quantity=quantity,
            codes=codes,
            components=self.components(ctx, options, self.parts(options)),
            bounds=[bound],
            notes=notes,
        )

    @staticmethod
    def _cover(ctx: ItemContext, options: SandFixationOptions) -> xr.DataArray:
        if options.cover_source == "layer":
            return ctx.layer("vegetation_cover")  # [percent]
        fvc = fractional_vegetation_cover(
            ctx.layer("ndvi"),
            ndvi_soil=ctx.parameter("fvc_ndvi_soil").value_in("dimensionless"),
            ndvi_vegetation=ctx.parameter("fvc_ndvi_vegetation").value_in("dimensionless"),
        )
        to_percent = u.conversion("dimensionless", "percent")[0]  # 100
        return with_units(fvc * to_percent, "percent", "vegetation_cover")

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [self._component(ctx)]

    @staticmethod
    def _component(ctx: ItemContext) -> Component:
        # V = Q / (ρ·h) · c (catalogue §2.5, Pema Dolkar et al. 2017): the sand fixed would
        # cover Q/(ρ·h) m² of land to the depth h that defines desertified land.
        density = ctx.parameter("sand_bulk_density")
        depth = ctx.parameter("sand_cover_depth")
        per_t = 1.0 / (density.value_in("t/m^3") * depth.value_in("m"))  # [m²/t]
        return Component(
            id="sand_control",
            name_en="sand-covered land avoided (sand-control cost)",
            name_zh="减少沙化土地治理",
            quantity_unit="m^2",
            per_item=per_t,
            derivation=f"1/(ρ·h) = 1 / ({density.value:g} {density.unit} × {depth.value:g} "
            f"{depth.unit}) = {per_t:.6g} m² of land covered by sand per t",
            price=ctx.price("sand_control_cost"),
        )
