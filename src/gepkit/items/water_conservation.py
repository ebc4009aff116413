"""Water conservation (水源涵养, R1): water balance (or Budyko), valued at reservoir storage cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import xarray as xr
from pydantic import Field

from gepkit.items.base import Bound, Component, Item, ItemContext, ItemOptions, ItemResult
from gepkit.models.lookup import lookup
from gepkit.models.water_conservation import water_conservation
from gepkit.models.water_yield import budyko_water_yield, water_yield_volume
from gepkit.units import with_units


class WaterConservationOptions(ItemOptions):
    method: Literal["water_balance", "budyko"] = "water_balance"
    """``water_balance``: Q = (P − P·α − ET)·A (HJ 1173 eq. A.1, the Chinese standards);
    ``budyko``: annual water yield by Zhang's Budyko curve exactly as InVEST Annual Water Yield
    (an alternative some studies use; needs ET₀, PAWC, root-restricting depth and the table
    budyko_parameters)."""
    negative_balance: Literal["zero", "keep"] = "zero"
    """Water balance: cells where runoff plus ET exceed precipitation count 0 (default) or keep
    the deficit."""
    seasonality: float = Field(default=5.0, ge=1.0, le=30.0)
    """Budyko: Zhang's seasonality constant Z (1–30; InVEST's sample uses 5)."""
    ecosystems: tuple[int, ...] = (1, 2, 3, 4, 52)
    """Ecosystem classes in scope: forest, shrub, grassland, wetland and orchards, as Gong et al.
    (2017); farmland and built-up land are normally excluded (catalogue §2.3)."""


class WaterConservation(Item):
    id = "water_conservation"
    method = "water_balance"
    Options = WaterConservationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, WaterConservationOptions)
        if options.method == "budyko":
            return [
                "precipitation",
                "reference_et",
                "plant_available_water",
                "root_restricting_depth",
            ]
        return ["precipitation", "actual_et"]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, WaterConservationOptions)
        codes = ctx.scope_codes(options.ecosystems)
        precipitation = ctx.layer("precipitation")
        if options.method == "budyko":
            quantity, method = self._budyko(ctx, options, codes)
        else:
            table = ctx.table("runoff_coefficients", codes, self.id)
            alpha_by_code = table.column("value", units="dimensionless")
            alpha = lookup(
                ctx.ecosystem,
                {c: alpha_by_code[c] for c in codes},
                name="runoff_coefficient",
                units="dimensionless",
            )
            quantity = water_conservation(
                precipitation=precipitation,
                actual_et=ctx.layer("actual_et"),
                runoff_coefficient=alpha,
                cell_area_m2=ctx.grid.cell_area_m2,
                negative_balance=options.negative_balance,
            )
            method = "water balance Q = (P − P·α − ET)·A (HJ 1173—2021 eq. A.1)"
        volume = with_units(
            precipitation * 1e-3 * ctx.grid.cell_area_m2, "m^3", "precipitation_volume"
        )
        bound = Bound(
            id="precipitation_volume",
            description="water conserved ≤ precipitation volume on the item's ecosystems",
            upper=ctx.restrict(volume, codes),
        )
        return ctx.result(
            self,
            options,
            method=method,
            quantity=quantity,
            codes=codes,
            components=self.components(ctx, options, self.parts(options)),
            bounds=[bound],
        )

    def _budyko(
        self, ctx: ItemContext, options: WaterConservationOptions, codes: set[int]
    ) -> tuple[xr.DataArray, str]:
        table = ctx.table("budyko_parameters", codes, self.id)

        def by_code(column: str, units: str) -> xr.DataArray:
            values = {c: float(v) for c, v in table.frame[column].items() if c in codes}
            return lookup(ctx.ecosystem, values, name=column, units=units)

        water_yield, _ = budyko_water_yield(
            precipitation=ctx.layer("precipitation"),
            reference_et=ctx.layer("reference_et"),
            kc=by_code("kc", "dimensionless"),
            root_depth=by_code("root_depth", "mm"),
            soil_depth=ctx.layer("root_restricting_depth"),
            pawc=ctx.layer("plant_available_water"),
            vegetated=by_code("vegetated", "dimensionless"),
            seasonality=options.seasonality,
        )
        quantity = water_yield_volume(water_yield, cell_area_m2=ctx.grid.cell_area_m2)
        return quantity, (
            f"annual water yield by the Budyko curve of Zhang et al. (2004) as InVEST "
            f"Annual Water Yield, Z = {options.seasonality:g}"
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [
            Component(
                id="reservoir_storage",
                name_en="reservoir storage replaced",
                name_zh="替代水库库容",
                quantity_unit="m^3",
                per_item=1.0,
                derivation="1 m³ of storage per m³ conserved",
                price=ctx.price("reservoir_storage_cost"),
            )
        ]
