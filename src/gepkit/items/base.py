"""What every accounting item provides, and the context it computes in.

An item turns input layers, table look-ups, registers, parameters and options into per-pixel
physical quantities (extensive: per cell, 0 outside the item's ecosystem scope, NaN where an
input is missing) and says how they are valued:

* **parts** — the item's quantity may be the sum of parts in the same unit (air purification:
  SO₂, NOx, dust; flood regulation: vegetation, lakes, reservoirs, marshes); an item without
  parts has one, named after the item;
* **caps** — a part may be limited per unit by a statistic reported for some units (purified ≤
  emitted), applied at the level where the statistic is reported (see gepkit.caps);
* **components** — the valuation: each a physical quantity per unit of one part (or of the whole
  item) and a price record;
* **bounds** — plausibility limits per unit (water conservation ≤ precipitation volume,
  retention ≤ potential erosion), checked after aggregation.

Building the result is lazy, so building it for every item and year before computing anything
also validates tables, parameters and units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import pandas as pd
import xarray as xr
from pydantic import BaseModel, ConfigDict, ValidationError

from gepkit import units as u
from gepkit.catalogue.book import Catalogue, require_codes
from gepkit.catalogue.domains import DOMAINS
from gepkit.catalogue.items import ITEMS, ItemInfo
from gepkit.catalogue.tables import EcosystemTable, Record
from gepkit.errors import ConfigError, InputError, Problem
from gepkit.grid import AccountingGrid
from gepkit.models.lookup import in_codes
from gepkit.statistics import StatisticsBook
from gepkit.zones import Zones


class ItemOptions(BaseModel):
    """Base of every item's options: unknown option names are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Component:
    """A valued part of an item (e.g. soil retention → avoided siltation)."""

    id: str
    name_en: str
    name_zh: str
    quantity_unit: str
    per_item: float
    """Component quantity per unit of the valued quantity (e.g. m³ of sediment per t of soil)."""
    derivation: str
    """How ``per_item`` was obtained, with the parameters' values."""
    price: Record | None
    """The price record; None when the prices are reported per unit (``unit_prices``)."""
    part: str | None = None
    """The part whose quantity this component values; None: the whole item."""
    unit_prices: Mapping[str, float] | None = None
    """Prices reported per unit (code, any level → CNY per ``quantity_unit``): a leaf unit takes
    the price of the finest unit containing it that has one (travel cost per visit, housing
    premium per m²).  Overrides ``price``."""
    price_source: str = ""
    """Where per-unit prices come from (statistics domain and fields)."""
    index: str = ""
    """Price-index series that deflates per-unit prices (or a value of the year) to the
    constant-price base year."""
    value_of_year: bool = False
    """The quantity is itself a value in CNY at the prices of the accounting year (output value
    from the statistics): its price is 1, and it is deflated with ``index``."""

    def __post_init__(self) -> None:
        if self.price is None and self.unit_prices is None and not self.value_of_year:
            raise ValueError(f"component {self.id}: give a price record or per-unit prices")


@dataclass(frozen=True)
class Part:
    """A share of an item's quantity, in the item's unit: computed per pixel (``quantity``) or
    reported per unit (``reported``: unit code → quantity, at any level of the hierarchy; brought
    down to the leaf units by gepkit.allocation)."""

    id: str
    name_en: str
    name_zh: str
    quantity: xr.DataArray | None = None
    reported: Mapping[str, float] | None = None
    ecosystem: int | None = None
    """For a reported part: the ecosystem class it comes from (farm output → cropland …), for
    the by-ecosystem table; None: not attributed to an ecosystem type."""
    source: str = ""
    """For a reported part: where its values come from (statistics domain and fields)."""
    placed: bool = False
    """The per-pixel quantity holds register features already assigned to units cell by cell
    (lakes, reservoirs: gepkit.features): it is summed by pixel centre under every
    ``[grid] zone_weighting``, so that coverage weighting does not share a feature again."""

    def __post_init__(self) -> None:
        if (self.quantity is None) == (self.reported is None):
            raise ValueError(f"part {self.id}: give exactly one of quantity and reported")

    @property
    def spatial(self) -> bool:
        return self.quantity is not None


@dataclass(frozen=True)
class Cap:
    """An upper limit of a part per unit, given for the units (at any level) in ``limits``."""

    part: str
    statistic: str
    """Name of the statistic the limits come from (e.g. ``emissions_so2``), for messages."""
    limits: dict[str, float]
    """Limit per unit code, in the item's unit."""
    rule: str = "min"
    """``min``: the part is min(limit, its own total) — purified ≤ emitted; ``equal``: the part
    *is* the limit (e.g. purified = emitted, the Garzê practice), distributed over the unit's
    pixels in proportion to the part's per-pixel values, which then act as weights."""


@dataclass(frozen=True)
class Bound:
    """A plausibility bound: per unit, the item's quantity must not exceed Σ ``upper``."""

    id: str
    description: str
    upper: xr.DataArray
    severity: str = "error"
    """``error``: a violation stops the run (inputs are physically inconsistent); ``warning``."""
    plus_parts: tuple[str, ...] = ()
    """Parts of the item outside the bound's scope, added to the limit so that they stand on
    both sides of the comparison: per pixel, or per unit after aggregation where the part is
    summed otherwise than the bound (a placed part under coverage weighting)."""


@dataclass
class ItemResult:
    info: ItemInfo
    method: str
    parts: list[Part]
    components: list[Component]
    options: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    tables: dict[str, list[int]] = field(default_factory=dict)
    """Per-ecosystem tables used, with the codes looked up."""
    caps: list[Cap] = field(default_factory=list)
    bounds: list[Bound] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """Problems the run reports but that do not stop it."""

    @property
    def spatial(self) -> bool:
        """True when every part is computed per pixel (the item has maps)."""
        return all(part.spatial for part in self.parts)

    @property
    def quantity(self) -> xr.DataArray:
        """Per-pixel quantity of a spatial item (sum of its parts, before any cap)."""
        quantities = [part.quantity for part in self.parts if part.quantity is not None]
        if len(quantities) != len(self.parts):
            raise ValueError(f"{self.info.id} has parts reported per unit: no per-pixel quantity")
        total = quantities[0]
        for quantity in quantities[1:]:
            total = total + quantity
        return total


@dataclass
class ItemContext:
    """Everything an item may use for one year of one run."""

    grid: AccountingGrid
    year: int
    layers: Mapping[str, xr.DataArray]
    ecosystem: xr.DataArray
    present_codes: frozenset[int]
    catalogue: Catalogue
    item_options: Mapping[str, ItemOptions] = field(default_factory=dict)
    """The resolved options of every item of the run (an item may follow another's basis)."""
    baseline_ecosystem: xr.DataArray | None = None
    """Ecosystem codes of the baseline land cover (``landcover_baseline``), when configured."""
    zones: Zones | None = None
    """The units on the grid (for items assigned to units feature by feature, e.g. lakes)."""
    statistics: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Per-unit statistics of the year (code → value in the statistic's canonical unit)."""
    registers: Mapping[str, Any] = field(default_factory=dict)
    book: StatisticsBook = field(default_factory=StatisticsBook)
    """Statistics reported per unit (workbook domains, in stored units)."""
    used: list[Record] = field(default_factory=list)
    tables_used: dict[str, list[int]] = field(default_factory=dict)

    def fresh(self) -> ItemContext:
        """The same context with empty usage records, for the next item."""
        return replace(self, used=[], tables_used={})

    def layer(self, name: str) -> xr.DataArray:
        return self.layers[name]

    def statistic(self, name: str, *, needed_by: str) -> Mapping[str, float]:
        """A statistic of the year by unit code; a clear error when it is not configured."""
        if name not in self.statistics:
            raise ConfigError(
                Problem(
                    where="config",
                    field=f"statistics.{name}",
                    message=f"{needed_by} needs the statistic '{name}' for {self.year}, which is not configured",
                    hint=f"add [statistics.{name}] (path, code_field, value_field, units), or change "
                    f"the item's method",
                )
            )
        return self.statistics[name]

    def reported(self, domain: str, field_id: str, *, needed_by: str) -> dict[str, float]:
        """A per-unit field of a statistics domain for the year (code → value in the field's
        stored unit); a clear error when no unit reports it."""
        values = self.book.values(domain, field_id, self.year)
        if not values:
            raise ConfigError(self._unreported(domain, field_id, needed_by))
        return values

    def reported_rows(self, domain: str, *, needed_by: str) -> pd.DataFrame:
        """The rows of a register domain (products, visitor origins …) for the year."""
        rows = self.book.rows(domain, self.year)
        if rows.empty:
            raise ConfigError(self._unreported(domain, None, needed_by))
        return rows

    def _unreported(self, domain: str, field_id: str | None, needed_by: str) -> Problem:
        info = DOMAINS[domain]
        what = info.name_en + (f" › {info.field(field_id).name_en}" if field_id else "")
        column = f"{info.field(field_id).header}" if field_id else ""
        return Problem(
            where="statistics",
            field=f"{domain}.{field_id}" if field_id else domain,
            message=f"{needed_by} needs {what} for {self.year}, which no unit reports",
            hint=f"fill the sheet '{domain}' ({info.name_zh})"
            + (f", column '{column}'," if column else "")
            + " of the statistics workbook (see `gep template`), or drop the item or change its "
            "options",
        )

    def register(self, name: str, *, needed_by: str) -> Any:
        """A register (lakes, reservoirs); a clear error when it is not configured."""
        if name not in self.registers:
            raise ConfigError(
                Problem(
                    where="config",
                    field=f"registers.{name}",
                    message=f"{needed_by} needs the {name} register for {self.year}, which is not "
                    f"configured",
                    hint=f"add [registers.{name}] with its path"
                    + (
                        ", or fill the sheet 'reservoirs' of the statistics workbook"
                        if name == "reservoirs"
                        else ""
                    )
                    + ", or drop this part of the item (see its options)",
                )
            )
        return self.registers[name]

    def parameter(self, key: str) -> Record:
        record = self.catalogue.parameter(key)
        self.used.append(record)
        return record

    def price(self, key: str) -> Record:
        record = self.catalogue.price(key)
        self.used.append(record)
        return record

    def scope_codes(self, scope: Iterable[int]) -> set[int]:
        """The ecosystem codes present in the region that fall within ``scope``."""
        scope = list(scope)
        return {c for c in self.present_codes if self.catalogue.classes.within(c, scope)}

    def table(self, name: str, codes: set[int], item: str) -> EcosystemTable:
        """A per-ecosystem table, checked to have a row for every code in ``codes``."""
        table = self.catalogue.table(name, needed_by=item)
        require_codes(table, codes, item, self.catalogue.classes)
        self.tables_used[name] = sorted(codes)
        return table

    def result(
        self,
        item: Item,
        options: ItemOptions,
        *,
        method: str,
        components: list[Component],
        quantity: xr.DataArray | None = None,
        codes: set[int] | None = None,
        parts: list[Part] | None = None,
        caps: list[Cap] | None = None,
        bounds: list[Bound] | None = None,
        notes: list[str] | None = None,
        warnings: list[Problem] | None = None,
    ) -> ItemResult:
        """The item's result, with the options, records and table rows this context has seen.

        Give either ``quantity`` (kept on the ``codes`` ecosystems, see :meth:`restrict`) or
        ``parts`` (already restricted by the item).
        """
        if parts is None:
            assert quantity is not None
            assert codes is not None
            info = item.info
            parts = [
                Part(
                    id=info.id,
                    name_en=info.name_en,
                    name_zh=info.name_zh,
                    quantity=self.restrict(quantity, codes),
                )
            ]
        return ItemResult(
            info=item.info,
            method=method,
            parts=parts,
            components=components,
            options=options.model_dump(),
            records=list(self.used),
            tables=dict(self.tables_used),
            caps=caps or [],
            bounds=bounds or [],
            notes=notes or [],
            warnings=warnings or [],
        )

    def restrict(self, quantity: xr.DataArray, codes: set[int]) -> xr.DataArray:
        """Keep ``quantity`` on pixels of the ``codes`` ecosystems; 0 elsewhere; NaN where the
        ecosystem type itself is unknown."""
        inside = in_codes(self.ecosystem, codes)
        out = xr.where(inside, quantity, xr.where(self.ecosystem.isnull(), float("nan"), 0.0))
        out.attrs = dict(quantity.attrs)
        return out.rename(quantity.name)


def _unsupplied(
    known: list[str], combined: Mapping[str, tuple[str, ...]], by_part: Mapping[str, Any]
) -> list[str]:
    """A note naming the item's parts that no supplied row gives (they count as 0)."""
    covered = set(by_part) | {m for name in by_part for m in combined.get(name, [])}
    missing = [part for part in known if part not in covered]
    if not missing:
        return []
    return [
        f"parts not supplied, counted as 0: {', '.join(missing)} (supply them, or drop them "
        f"with the item's options)"
    ]


class Item:
    """Base class of the accounting items (one subclass per item module)."""

    id: ClassVar[str]
    method: ClassVar[str]
    Options: ClassVar[type[ItemOptions]] = ItemOptions

    @property
    def info(self) -> ItemInfo:
        return ITEMS[self.id]

    def options(self, raw: Mapping[str, Any] | None) -> ItemOptions:
        try:
            return self.Options.model_validate(dict(raw or {}))
        except ValidationError as err:
            raise ConfigError(
                [
                    Problem(
                        where="config",
                        field=f"options.{self.id}." + ".".join(str(p) for p in e["loc"]),
                        message=(
                            "is not an option of this item"
                            if e["type"] == "extra_forbidden"
                            else e["msg"]
                        ),
                        hint=f"options of {self.id}: {', '.join(self.Options.model_fields)}",
                    )
                    for e in err.errors()
                ]
            ) from err

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        """Input layers this item needs with these options (besides ``landcover``);
        ``run_options`` holds the options of every item of the run."""
        raise NotImplementedError

    def parts(self, options: ItemOptions) -> list[str]:
        """The item's parts under these options (one named after the item by default)."""
        return [self.id]

    def combined_parts(self, options: ItemOptions) -> dict[str, tuple[str, ...]]:
        """Parts a department may supply as one figure in place of several of :meth:`parts`
        (id → the parts it stands for), as published accounts report them (none by default)."""
        return {}

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        """How the item is valued: the components for these ``parts`` (used for computed and for
        supplied quantities alike)."""
        raise NotImplementedError

    def optional_layers(self, options: ItemOptions) -> list[str]:
        """Layers the item uses when the run configures them (none by default)."""
        return []

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        raise NotImplementedError

    def supplied(self, ctx: ItemContext, options: ItemOptions, rows: pd.DataFrame) -> ItemResult:
        """The item from physical quantities a department supplies instead of the model (sheet
        ``supplied``: one row per unit and part; a blank part is the whole item), converted to
        the item's unit and valued as the computed item would be."""
        info = self.info
        known = self.parts(options)
        combined = self.combined_parts(options)
        accepted = [*known, *combined]
        problems: list[Problem] = []
        by_part: dict[str, dict[str, float]] = {}
        for _, row in rows.iterrows():
            part = row.get("part")
            part = known[0] if pd.isna(part) or not str(part).strip() else str(part).strip()
            where = f"supplied quantities, {self.id} (unit {row['code']}, {ctx.year})"
            if pd.isna(row.get("part")) and len(known) > 1:
                problems.append(
                    Problem(
                        where=where,
                        field="part",
                        message=f"{self.id} has parts {', '.join(known)} under its options: "
                        f"name the part of each row",
                    )
                )
                continue
            if part not in accepted:
                problems.append(
                    Problem(
                        where=where,
                        field="part",
                        message=f"'{part}' is not a part of {self.id} under its options",
                        hint=f"parts: {', '.join(accepted)}",
                    )
                )
                continue
            try:
                factor, offset = u.conversion_as_written(
                    str(row["quantity_unit"]), info.quantity_unit
                )
            except InputError:
                problems.append(
                    Problem(
                        where=where,
                        field="quantity_unit",
                        message=f"'{row['quantity_unit']}' is not a unit of {info.name_en} "
                        f"(measured in {info.quantity_unit})",
                        hint=f"use a unit convertible to '{info.quantity_unit}' (a prefix 万 or 亿 "
                        "may precede it: 万t, 亿m3, 万hm2)",
                    )
                )
                continue
            values = by_part.setdefault(part, {})
            code = str(row["code"])
            if code in values:
                problems.append(
                    Problem(where=where, field="part", message=f"part '{part}' is given twice")
                )
                continue
            values[code] = float(row["quantity"]) * factor + offset
        for name, members in combined.items():
            for code in by_part.get(name, {}):
                given = [m for m in members if code in by_part.get(m, {})]
                if given:
                    problems.append(
                        Problem(
                            where=f"supplied quantities, {self.id} (unit {code}, {ctx.year})",
                            field="part",
                            message=f"'{name}' stands for {' + '.join(members)}, and "
                            f"{', '.join(given)} is given too: it would be counted twice",
                            hint=f"give either '{name}' or its parts",
                        )
                    )
        if problems:
            raise InputError(problems)
        parts = [
            Part(
                id=part,
                name_en=info.name_en if part == self.id else f"{info.name_en}: {part}",
                name_zh=info.name_zh,
                reported=by_part[part],
                source="supplied"
                + (f" ({' + '.join(combined[part])} together)" if part in combined else ""),
            )
            for part in accepted
            if part in by_part
        ]
        return ctx.result(
            self,
            options,
            method="physical quantities supplied (sheet 'supplied'), valued as the item's "
            "method would value them",
            parts=parts,
            components=self.components(ctx, options, [p.id for p in parts]),
            notes=[
                "the physical quantity was supplied, not computed by gepkit",
                *_unsupplied(known, combined, by_part),
            ],
            warnings=[
                Problem(where=f"supplied quantities, {self.id} ({ctx.year})", message=note)
                for note in _unsupplied(known, combined, by_part)
            ],
        )
