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

import xarray as xr
from pydantic import BaseModel, ConfigDict, ValidationError

from gepkit.catalogue.book import Catalogue, require_codes
from gepkit.catalogue.items import ITEMS, ItemInfo
from gepkit.catalogue.tables import EcosystemTable, Record
from gepkit.errors import ConfigError, Problem
from gepkit.grid import AccountingGrid
from gepkit.models.lookup import in_codes
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
    price: Record
    part: str | None = None
    """The part whose quantity this component values; None: the whole item."""


@dataclass(frozen=True)
class Part:
    """A per-pixel share of an item's quantity, in the item's unit."""

    id: str
    name_en: str
    name_zh: str
    quantity: xr.DataArray


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

    @property
    def quantity(self) -> xr.DataArray:
        """Per-pixel quantity of the item (sum of its parts, before any cap)."""
        total = self.parts[0].quantity
        for part in self.parts[1:]:
            total = total + part.quantity
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

    def register(self, name: str, *, needed_by: str) -> Any:
        """A register (lakes, reservoirs); a clear error when it is not configured."""
        if name not in self.registers:
            raise ConfigError(
                Problem(
                    where="config",
                    field=f"registers.{name}",
                    message=f"{needed_by} needs the {name} register, which is not configured",
                    hint=f"add [registers.{name}] with its path, or drop this part of the item (see "
                    f"its options)",
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
        )

    def restrict(self, quantity: xr.DataArray, codes: set[int]) -> xr.DataArray:
        """Keep ``quantity`` on pixels of the ``codes`` ecosystems; 0 elsewhere; NaN where the
        ecosystem type itself is unknown."""
        inside = in_codes(self.ecosystem, codes)
        out = xr.where(inside, quantity, xr.where(self.ecosystem.isnull(), float("nan"), 0.0))
        out.attrs = dict(quantity.attrs)
        return out.rename(quantity.name)


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
