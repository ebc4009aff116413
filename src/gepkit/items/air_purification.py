"""Air purification (空气净化, R6): pollutants removed by vegetation, capped at emissions.

    Q_ap,j = min( E_j ,  Σ_i Q_ij · A_i ) ,   V_ap = Σ_j Q_ap,j · c_j

(methods catalogue §2.8; Bo Wenjing et al. 2017; Garzê 2010 account).  Each pollutant j is one
part of the item, valued at its treatment cost c_j (price ``<j>_removal_cost``).  Two methods per
pollutant:

* ``capacity``: capacity per area Q_ij (table ``air_capacity_<j>``) × cell area, capped per unit
  at the emissions E_j (statistic ``emissions_<j>``) where they are reported (catalogue §3.4);
* ``emissions``: purified = emitted (the Garzê practice, and the only option where no verified
  capacity exists): each unit's E_j is shared over its in-scope cells by area.

This module also holds :class:`PurificationItem`, the structure shared with water purification
(gepkit.items.water_purification).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeVar

import xarray as xr
from pydantic import Field, field_validator

from gepkit.errors import InputError
from gepkit.items.base import Cap, Component, Item, ItemContext, ItemOptions, ItemResult, Part
from gepkit.models.lookup import in_codes, lookup
from gepkit.models.purification import emission_weight, purification_capacity

Method = Literal["capacity", "emissions"]
T = TypeVar("T")


@dataclass(frozen=True)
class Pollutant:
    id: str
    name_en: str
    name_zh: str


class PurificationOptions(ItemOptions):
    """Options shared by the purification items; subclasses set the pollutants and defaults."""

    KNOWN: ClassVar[tuple[str, ...]] = ()
    DEFAULT_METHODS: ClassVar[Mapping[str, Method]] = {}

    pollutants: tuple[str, ...] = ()
    """Pollutants accounted, each a part of the item."""
    methods: dict[str, Method] = Field(default_factory=dict, validate_default=True)
    """Method per pollutant, ``capacity`` or ``emissions``; pollutants not named keep the
    item's default (completed by the validator, so the manifest records every choice)."""
    ecosystems: tuple[int, ...] = ()
    """Ecosystem classes in scope (a level-1 code includes its sub-classes)."""

    @field_validator("pollutants")
    @classmethod
    def _known_pollutants(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"name at least one pollutant of: {', '.join(cls.KNOWN)}")
        unknown = [p for p in value if p not in cls.KNOWN]
        if unknown:
            raise ValueError(
                f"unknown pollutant(s) {', '.join(unknown)}; choose from {', '.join(cls.KNOWN)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("a pollutant is listed twice")
        return value

    @field_validator("methods")
    @classmethod
    def _complete_methods(cls, value: dict[str, Method]) -> dict[str, Method]:
        unknown = [p for p in value if p not in cls.KNOWN]
        if unknown:
            raise ValueError(
                f"unknown pollutant(s) {', '.join(unknown)}; choose from {', '.join(cls.KNOWN)}"
            )
        # A user names only the pollutants whose method differs from the default.
        return {p: value.get(p, cls.DEFAULT_METHODS[p]) for p in cls.KNOWN}


AIR_POLLUTANTS: dict[str, Pollutant] = {
    p.id: p
    for p in (
        Pollutant("so2", "sulphur dioxide (SO₂)", "二氧化硫"),
        Pollutant("nox", "nitrogen oxides (NOx)", "氮氧化物"),
        Pollutant("dust", "dust (industrial dust, particulate matter)", "粉尘"),
        Pollutant("fluoride", "fluoride", "氟化物"),
    )
}


class AirPurificationOptions(PurificationOptions):
    KNOWN: ClassVar[tuple[str, ...]] = tuple(AIR_POLLUTANTS)
    # Verified capacities exist for SO₂ and dust only (gep-parameters-confirmed §5.1); NOx and
    # fluoride capacities were not found, so those default to purified = emitted.
    DEFAULT_METHODS: ClassVar[Mapping[str, Method]] = {
        "so2": "capacity",
        "nox": "emissions",
        "dust": "capacity",
        "fluoride": "emissions",
    }

    pollutants: tuple[str, ...] = ("so2", "nox", "dust")
    """Pollutants accounted: Jiangxi county practice reports SO₂ and NOx, Garzê also dust
    (catalogue §2.0); any of so2, nox, dust, fluoride."""
    ecosystems: tuple[int, ...] = (11, 12, 13, 21, 22)
    """Ecosystem classes in scope: broadleaf, coniferous and mixed forest, broadleaf and
    coniferous shrub, the classes with verified capacities (Miao et al. 2017); sparse forest and
    shrub and grassland have none."""


class PurificationItem(Item):
    """An item made of one part per pollutant, each capped by (or equal to) its emissions."""

    pollutant_info: ClassVar[Mapping[str, Pollutant]]
    table_prefix: ClassVar[str]
    """Per-ecosystem capacity tables are ``<table_prefix><pollutant>``."""
    section: ClassVar[str]
    """Methods-catalogue section, for the method description."""
    equation: ClassVar[str]

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []  # the land cover (always read) and per-unit statistics only

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, PurificationOptions)
        codes = ctx.scope_codes(options.ecosystems)
        failures: list[InputError] = []
        parts: list[Part] = []
        caps: list[Cap] = []
        components: list[Component] = []
        for pollutant_id in options.pollutants:
            # Every pollutant is built even after a failure, so that all missing statistics,
            # tables and prices are reported at once.
            built = self._pollutant(
                ctx,
                self.pollutant_info[pollutant_id],
                options.methods[pollutant_id],
                codes,
                failures,
            )
            if built is not None:
                parts.append(built[0])
                caps.append(built[1])
                components.append(built[2])
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise InputError([problem for err in failures for problem in err.problems])
        by_method = {
            method: [p for p in options.pollutants if options.methods[p] == method]
            for method in ("capacity", "emissions")
        }
        described = "; ".join(
            f"{', '.join(ids)}: {_METHOD_TEXT[method]}" for method, ids in by_method.items() if ids
        )
        notes = [
            f"{p}: purified = emitted (Garzê practice), each unit's emissions shared over its "
            f"in-scope cells by area"
            for p in by_method["emissions"]
        ]
        return ctx.result(
            self,
            options,
            method=f"{self.equation} per unit where emissions are reported "
            f"(catalogue {self.section}, §3.4); {described}",
            parts=parts,
            caps=caps,
            components=components,
            notes=notes,
        )

    def _pollutant(
        self,
        ctx: ItemContext,
        pollutant: Pollutant,
        method: Method,
        codes: set[int],
        failures: list[InputError],
    ) -> tuple[Part, Cap, Component] | None:
        """The part, cap and component of one pollutant; None (with ``failures`` appended) when
        a table, statistic or price is missing."""
        needed_by = f"{self.id} ({pollutant.id}, method '{method}')"
        statistic = f"emissions_{pollutant.id}"
        quantity = _attempt(failures, lambda: self._quantity(ctx, pollutant, method, codes))
        limits = _attempt(failures, lambda: ctx.statistic(statistic, needed_by=needed_by))
        component = _attempt(failures, lambda: self._component(ctx, pollutant))
        if quantity is None or limits is None or component is None:
            return None
        part = Part(
            id=pollutant.id,
            name_en=pollutant.name_en,
            name_zh=pollutant.name_zh,
            quantity=ctx.restrict(quantity, codes),
        )
        cap = Cap(
            part=pollutant.id,
            statistic=statistic,
            # An empty cell of the statistics table is "not reported", never a limit of 0.
            limits={str(code): float(v) for code, v in limits.items() if not math.isnan(v)},
            rule="min" if method == "capacity" else "equal",
        )
        return part, cap, component

    def parts(self, options: ItemOptions) -> list[str]:
        assert isinstance(options, PurificationOptions)
        return list(options.pollutants)

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [self._component(ctx, self.pollutant_info[p]) for p in parts]

    def _component(self, ctx: ItemContext, pollutant: Pollutant) -> Component:
        return Component(
            id=pollutant.id,
            name_en=f"{pollutant.name_en} removed (treatment cost)",
            name_zh=f"{pollutant.name_zh}去除",
            quantity_unit="t",
            per_item=1.0,
            derivation=f"1 t of {pollutant.id} treated per t purified (replacement cost)",
            price=ctx.price(f"{pollutant.id}_removal_cost"),
            part=pollutant.id,
        )

    def _quantity(
        self, ctx: ItemContext, pollutant: Pollutant, method: Method, codes: set[int]
    ) -> xr.DataArray:
        """Per-cell capacity [t] (method ``capacity``) or area weight [hectare] (``emissions``)."""
        if method == "emissions":
            return emission_weight(
                in_scope=in_codes(ctx.ecosystem, codes),
                cell_area_ha=ctx.grid.cell_area_ha,
                name=pollutant.id,
            )
        needed_by = f"{self.id} ({pollutant.id}, method '{method}')"
        table = ctx.table(f"{self.table_prefix}{pollutant.id}", codes, needed_by)
        per_area = table.column("value", units="t/hectare")  # kg/hm² rows → t/hm²
        capacity_per_area = lookup(
            ctx.ecosystem,
            {c: per_area[c] for c in codes},
            name=f"{pollutant.id}_capacity_per_area",
            units="t/hectare",
        )
        return purification_capacity(
            capacity_per_area=capacity_per_area,
            cell_area_ha=ctx.grid.cell_area_ha,
            name=pollutant.id,
        )


def _attempt(failures: list[InputError], build: Callable[[], T]) -> T | None:
    """``build()``, or None with its error kept in ``failures`` (to report every problem)."""
    try:
        return build()
    except InputError as err:
        failures.append(err)
        return None


_METHOD_TEXT = {
    "capacity": "capacity per area × area, capped at emissions (min)",
    "emissions": "purified = emitted (equal)",
}


class AirPurification(PurificationItem):
    id = "air_purification"
    method = "capacity_capped_by_emissions"
    Options = AirPurificationOptions
    pollutant_info = AIR_POLLUTANTS
    table_prefix = "air_capacity_"
    section = "§2.8"
    equation = "Q_j = min(E_j, Σ_i Q_ij·A_i)"
