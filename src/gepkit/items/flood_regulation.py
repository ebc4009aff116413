"""Flood regulation (洪水调蓄, R5): storm water stored by vegetation, lakes, reservoirs, marshes.

Catalogue §2.7: ``C_fm = C_vfm + C_lfm + C_rfm + C_mfm`` [m³], valued at the construction cost of
reservoir storage.  Each term is a part of the item and can be switched off (option
``components``): Jiangxi county practice reports vegetation storage (植被洪水调蓄) [V], the Garzê
account used lakes, reservoirs and marshes [V].

Vegetation and marshes are per-pixel models.  Lakes and reservoirs are *features*, not pixel
sums (catalogue §3.4): a lake's storage follows from its whole area by a non-linear regression,
a reservoir's from its register entry; each is then put on the grid by a recorded rule so that
the pipeline's per-unit sums (and the maps) give every unit its share:

* lakes, ``lake_assignment = "area_share"`` (default): the lake's storage is spread evenly over
  all its pixels (pixel centre inside the polygon, counted on the grid's lattice even beyond the
  grid), so each unit receives the share of the lake's pixels it holds, and pixels outside the
  region take their share out of the account; ``"largest_share"``: the whole lake goes to the
  unit holding most of its pixels, spread over the lake's pixels inside that unit (nothing when
  most of the lake lies outside the region).  A lake that covers no pixel centre is put on the
  cell holding its representative point;
* reservoirs, ``reservoir_assignment = "dam_location"``: the flood storage sits on the cell of
  the dam; a reservoir without coordinates is spread evenly over the cells of the unit named by
  its ``unit_code`` (a parent unit: over all its sub-units' cells).

Pixels covered by a lake polygon count for the lake only: their vegetation and marsh storage is
0 (the land cover of a seasonal lake such as Poyang shows grass and marsh in the dry season).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import dask.array as dsa
import numpy as np
import pandas as pd
import xarray as xr
from pydantic import field_validator

from gepkit.catalogue.tables import Record
from gepkit.config import RecordOverride
from gepkit.errors import ConfigError, Problem, SpecError, TableError
from gepkit.features import (
    Cells,
    fill_block,
    fill_cells,
    listed,
    place_lakes,
    place_reservoirs,
)
from gepkit.items.base import (
    Bound,
    Component,
    Item,
    ItemContext,
    ItemOptions,
    ItemResult,
    Part,
)
from gepkit.models.flood import (
    lake_flood_storage,
    marsh_flood_storage,
    reservoir_flood_storage,
    storm_precipitation_volume,
    vegetation_flood_storage,
)
from gepkit.models.lookup import lookup
from gepkit.units import with_units
from gepkit.zones import Zones

PartName = Literal["vegetation", "lakes", "reservoirs", "marshes"]
PART_NAMES: tuple[PartName, ...] = ("vegetation", "lakes", "reservoirs", "marshes")
#: Parts whose cells gepkit.features chose unit by unit (summed by pixel centre, Part.placed).
PLACED_PARTS = ("lakes", "reservoirs")

#: Part id → (English name, Chinese name).
PART_LABELS: dict[str, tuple[str, str]] = {
    "vegetation": ("vegetation storm storage", "植被洪水调蓄"),
    "lakes": ("lake flood storage", "湖泊洪水调蓄"),
    "reservoirs": ("reservoir flood storage", "水库洪水调蓄"),
    "marshes": ("marsh flood storage", "沼泽洪水调蓄"),
}

#: Ecosystem class of lakes (HJ 1172—2021 Appendix A: 42 湖泊, incl. reservoirs and ponds).
LAKE_CLASS = 42
#: Parameters of the lake regression; the option ``lake_region`` picks their variant.
LAKE_PARAMETERS = ("lake_regression_a", "lake_regression_b", "lake_water_renewals")
#: Names listed in one note before "…".


class FloodRegulationOptions(ItemOptions):
    components: tuple[PartName, ...] = PART_NAMES
    """Parts computed: ``vegetation`` (the DB36 profile's Jiangxi county practice [V]),
    ``lakes``, ``reservoirs``, ``marshes`` (the Garzê account used the last three [V])."""
    vegetation_ecosystems: tuple[int, ...] = (1, 2, 3)
    """Classes whose vegetation stores storm water: forest, shrub, grassland (catalogue §2.7)."""
    marsh_ecosystems: tuple[int, ...] = (41,)
    """Classes counted as marsh (HJ 1172: 41 沼泽)."""
    lake_region: str = "eastern_plain"
    """Variant of the lake regression (parameters ``lake_regression_a``, ``lake_regression_b``,
    ``lake_water_renewals``): ``qinghai_tibet`` [V], ``eastern_plain`` (Poyang; Jiangxi) [K],
    ``mongolia_xinjiang`` [K], ``yunnan_guizhou`` [K], or any variant of the parameter table."""
    lake_assignment: Literal["area_share", "largest_share"] = "area_share"
    """How a lake's storage is shared among units (catalogue §3.4); see the module docstring."""
    reservoir_assignment: Literal["dam_location"] = "dam_location"
    """Reservoirs: on the dam's cell; without coordinates spread over their unit's cells."""

    @field_validator("components")
    @classmethod
    def _components(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"choose at least one of {', '.join(PART_NAMES)}")
        if len(set(value)) != len(value):
            raise ValueError("a component is listed twice")
        return tuple(p for p in PART_NAMES if p in value)  # canonical order


class FloodRegulation(Item):
    id = "flood_regulation"
    method = "storm_storage"
    Options = FloodRegulationOptions

    def parts(self, options: ItemOptions) -> list[str]:
        assert isinstance(options, FloodRegulationOptions)
        return list(options.components)

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, FloodRegulationOptions)
        return ["storm_precipitation"] if "vegetation" in options.components else []

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, FloodRegulationOptions)
        _check_scopes(ctx, options)
        quantities: dict[str, xr.DataArray] = {}
        notes: list[str] = []
        methods: dict[str, str] = {}
        lake_mask: xr.DataArray | None = None

        if "lakes" in options.components:
            lakes = ctx.register("lakes", needed_by=f"{self.id} (lakes)")
            a, b, renewals = _lake_parameters(ctx, options.lake_region)
            storage = lake_flood_storage(
                lakes["area_km2"].to_numpy(dtype="float64"),
                a=a.value_in("dimensionless"),
                b=b.value_in("dimensionless"),
                water_renewals=renewals.value_in("dimensionless"),
            )
            placed = place_lakes(
                lakes.geometry.to_numpy(),
                lakes["name"].to_numpy(),
                storage,
                _zones(ctx),
                rule=options.lake_assignment,
            )
            notes += placed.notes
            quantities["lakes"] = _on_grid(ctx, placed.cells, name="lake_flood_storage")
            lake_mask = _on_grid(ctx, placed.covered, name="lake_cells") > 0
            methods["lakes"] = (
                f"lakes e^a·A^b·T per whole lake (Rao et al. 2014, region {options.lake_region}), "
                f"assigned by {options.lake_assignment}"
            )

        if "vegetation" in options.components:
            vegetation, volume = self._vegetation(ctx, options, lake_mask)
            quantities["vegetation"] = vegetation
            methods["vegetation"] = "vegetation (P_h − P_h·α_s)·A·10⁻³"
        else:
            volume = None

        if "reservoirs" in options.components:
            reservoirs = ctx.register("reservoirs", needed_by=f"{self.id} (reservoirs)")
            unknown = reservoirs["flood_capacity_m3"].isna()
            share = (
                ctx.parameter("reservoir_flood_share").value_in("dimensionless")
                if bool(unknown.any())
                else None
            )
            storage = reservoir_flood_storage(
                reservoirs["total_capacity_m3"].to_numpy(dtype="float64"),
                reservoirs["flood_capacity_m3"].to_numpy(dtype="float64"),
                flood_share=share,
            )
            dams = place_reservoirs(reservoirs, storage, _zones(ctx))
            notes += dams.notes
            quantities["reservoirs"] = _on_grid(
                ctx, dams.cells, leaf_density=dams.leaf_density, name="reservoir_flood_storage"
            )
            methods["reservoirs"] = (
                "reservoirs: designed flood capacity, else share × total capacity, on the dam's cell"
            )
            if "lakes" in options.components:
                notes += _same_names(ctx, reservoirs["name"])

        if "marshes" in options.components:
            codes = ctx.scope_codes(options.marsh_ecosystems)
            depth = ctx.parameter("marsh_detention_depth").value_in("m")
            area = ctx.restrict(
                with_units(
                    xr.full_like(ctx.ecosystem, ctx.grid.cell_area_m2, dtype="float64"),
                    "m^2",
                    "marsh_area",
                ),
                codes,
            )
            if lake_mask is not None:
                area = xr.where(lake_mask, 0.0, area)
            quantities["marshes"] = marsh_flood_storage(
                marsh_area=with_units(area, "m^2", "marsh_area"), detention_depth_m=depth
            )
            methods["marshes"] = "marshes d·S"

        parts = [
            Part(
                id=name,
                name_en=PART_LABELS[name][0],
                name_zh=PART_LABELS[name][1],
                quantity=with_units(quantities[name], "m^3", f"flood_regulation_{name}"),
                placed=name in PLACED_PARTS,
            )
            for name in PART_NAMES
            if name in quantities
        ]
        bounds = []
        if volume is not None:
            bounds.append(
                Bound(
                    id="storm_precipitation_volume",
                    description="vegetation storm storage ≤ storm precipitation volume on the "
                    "vegetation, Σ P_h·A·10⁻³ (the lake, reservoir and marsh parts are added to "
                    "both sides: bounds apply to the whole item)",
                    upper=with_units(volume, "m^3", "flood_regulation_upper"),
                    severity="error",
                    plus_parts=tuple(p.id for p in parts if p.id != "vegetation"),
                )
            )
        return ctx.result(
            self,
            options,
            method="flood storage C = "
            + " + ".join(methods[p] for p in PART_NAMES if p in methods)
            + " (catalogue §2.7)",
            components=self.components(ctx, options, self.parts(options)),
            parts=parts,
            bounds=bounds,
            notes=notes,
        )

    def _vegetation(
        self, ctx: ItemContext, options: FloodRegulationOptions, lake_mask: xr.DataArray | None
    ) -> tuple[xr.DataArray, xr.DataArray]:
        """Vegetation storage and the storm precipitation volume on the same pixels (the bound)."""
        codes = ctx.scope_codes(options.vegetation_ecosystems)
        table = ctx.table("storm_runoff_coefficients", codes, self.id)
        alpha_by_code = table.column("value", units="dimensionless")
        outside = {c: alpha_by_code[c] for c in sorted(codes) if not 0.0 <= alpha_by_code[c] <= 1.0}
        if outside:
            listed = ", ".join(
                f"{c} ({ctx.catalogue.classes.name(c)}): {v:g}" for c, v in outside.items()
            )
            raise TableError(
                Problem(
                    where=str(table.path),
                    field="value",
                    message=f"storm runoff coefficients must lie between 0 and 1 (0–100 %); "
                    f"got {listed}",
                    hint="check the value and its unit column ('percent' or 'dimensionless')",
                )
            )
        # The layer is the sum of the storm days' rain; record the threshold that defines them.
        ctx.parameter("storm_threshold")
        alpha = lookup(
            ctx.ecosystem,
            {c: alpha_by_code[c] for c in codes},
            name="storm_runoff_coefficient",
            units="dimensionless",
        )
        storm = ctx.layer("storm_precipitation")
        area = ctx.grid.cell_area_m2
        storage = ctx.restrict(
            vegetation_flood_storage(
                storm_precipitation=storm, storm_runoff_coefficient=alpha, cell_area_m2=area
            ),
            codes,
        )
        volume = ctx.restrict(
            storm_precipitation_volume(storm_precipitation=storm, cell_area_m2=area), codes
        )
        if lake_mask is not None:  # lake pixels count for the lake only
            storage = xr.where(lake_mask, 0.0, storage)
            volume = xr.where(lake_mask, 0.0, volume)
        return (
            with_units(storage, "m^3", "vegetation_flood_storage"),
            with_units(volume, "m^3", "storm_precipitation_volume"),
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
                derivation="1 m³ of reservoir storage per m³ of flood water stored (catalogue §2.7)",
                price=ctx.price("reservoir_storage_cost"),
            )
        ]


# --------------------------------------------------------------------------------------------
# Checks and parameters
# --------------------------------------------------------------------------------------------


def _check_scopes(ctx: ItemContext, options: FloodRegulationOptions) -> None:
    """Lakes are counted by the lake regression only; no class may be vegetation and marsh."""
    classes = ctx.catalogue.classes
    problems = []
    for option, part in (("vegetation_ecosystems", "vegetation"), ("marsh_ecosystems", "marshes")):
        if part in options.components and classes.within(LAKE_CLASS, getattr(options, option)):
            problems.append(
                Problem(
                    where="config",
                    field=f"options.flood_regulation.{option}",
                    message=f"includes lakes ({LAKE_CLASS}, {classes.name(LAKE_CLASS)}), whose "
                    f"storage is the lake part's (regression on the lake register)",
                    hint="list the marsh (41) or vegetation classes only",
                )
            )
    if {"vegetation", "marshes"} <= set(options.components):
        both = sorted(
            c
            for c in classes.classes
            if classes.within(c, options.vegetation_ecosystems)
            and classes.within(c, options.marsh_ecosystems)
        )
        if both:
            problems.append(
                Problem(
                    where="config",
                    field="options.flood_regulation.marsh_ecosystems",
                    message=f"classes {', '.join(map(str, both))} are both vegetation and marsh: "
                    f"their storage would be counted twice",
                    hint="keep vegetation_ecosystems and marsh_ecosystems apart",
                )
            )
    if problems:
        raise ConfigError(problems)


def _lake_parameters(ctx: ItemContext, region: str) -> tuple[Record, Record, Record]:
    """The lake regression's a, b and T for ``region`` (a variant of the parameter table).

    A value supplied in [parameters] with its source replaces the variant's; naming a different
    variant there contradicts the option and is an error.
    """
    table = ctx.catalogue.parameters
    available = set.intersection(*(set(table.variants(k)) for k in LAKE_PARAMETERS))
    if region not in available:
        choices = ", ".join(sorted(available)) or "(none: add rows for the lake parameters)"
        raise ConfigError(
            Problem(
                where="config",
                field="options.flood_regulation.lake_region",
                message=f"'{region}' is not a region of the lake regression in {table.path.name}",
                hint=f"choose one of: {choices}",
            )
        )
    records = []
    for key in LAKE_PARAMETERS:
        choice = ctx.catalogue.parameter_choices.get(key)
        if isinstance(choice, RecordOverride):
            records.append(ctx.parameter(key))
            continue
        if isinstance(choice, str) and choice != region:
            raise ConfigError(
                Problem(
                    where="config",
                    field=f"parameters.{key}",
                    message=f"chooses variant '{choice}', but [options.flood_regulation] "
                    f"lake_region is '{region}'",
                    hint="choose the lake region with the option lake_region only",
                )
            )
        record = table.select(key, region)
        ctx.used.append(record)
        records.append(record)
    return records[0], records[1], records[2]


def _zones(ctx: ItemContext) -> Zones:
    if ctx.zones is None:
        raise SpecError(
            "flood_regulation needs the units on the grid (ItemContext.zones) to assign lakes and "
            "reservoirs to units, but the context has none; this is a bug, please report it"
        )
    return ctx.zones


def _same_names(ctx: ItemContext, reservoir_names: pd.Series) -> list[str]:
    lakes = ctx.registers["lakes"]
    both = sorted(set(lakes["name"]) & set(reservoir_names.astype(str)))
    if not both:
        return []
    return [
        f"{len(both)} name(s) appear in both the lake and the reservoir register "
        f"({listed(both)}): a water body in both is counted twice; remove it from one"
    ]


# --------------------------------------------------------------------------------------------
# Putting features on the grid
# --------------------------------------------------------------------------------------------


def _on_grid(
    ctx: ItemContext,
    cells: Cells,
    *,
    name: str,
    leaf_density: np.ndarray | None = None,
) -> xr.DataArray:
    """A float64 grid array [m³ per cell] from cell values and a per-leaf density, chunked like
    the context's ecosystem layer (numpy when that layer is numpy-backed)."""
    zones = _zones(ctx)
    rows, cols, values = cells.arrays()
    chunks = ctx.ecosystem.chunks
    if chunks is None:
        data: Any = fill_cells(zones.leaf_index, 0, 0, rows, cols, values, leaf_density)
    else:
        leaf = zones.constant(zones.leaf_index, chunks, "zones-leaf")
        data = dsa.map_blocks(
            fill_block,
            leaf,
            rows=rows,
            cols=cols,
            values=values,
            density=leaf_density,
            dtype="float64",
            meta=np.array((), dtype="float64"),
        )
    return ctx.grid.wrap(data, name=name, units="m^3")
