"""Applying price records to item components.

A component's quantity is in its own unit (m³ of sediment, t of N, t CO₂); its price record may be
in any compatible unit (CNY per t C, 万元 per 10⁴ m³ …).  The price is converted once to
``CNY/<component unit>`` by pint, so per-t-C versus per-t-CO₂ and 元/万元/亿元 are never handled by
hand; an incompatible price (CNY/t applied to t CO₂) is an error naming the price record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from gepkit.catalogue.indices import IndexRecord
from gepkit.errors import InputError, Problem, UnitError
from gepkit.items.base import Component
from gepkit.valuation.basis import CURRENT, Valuation

VALUE_UNIT = "CNY"


@dataclass(frozen=True)
class PricedComponent:
    component: Component
    unit_price: float
    """CNY per unit of the component's quantity as recorded (NaN: per-unit prices)."""
    factors: Mapping[str, float] = field(default_factory=lambda: {CURRENT: 1.0})
    """Multiplier of the price on each price basis (``current``, ``constant-<year>``)."""
    index_records: tuple[IndexRecord, ...] = ()
    """Price-index rows used to move the price between years."""

    @property
    def per_unit(self) -> bool:
        return self.component.unit_prices is not None

    @property
    def price_unit(self) -> str:
        return f"{VALUE_UNIT}/{self.component.quantity_unit}"

    @property
    def value_per_item_unit(self) -> float:
        """CNY per unit of the *item's* quantity contributed by this component."""
        return self.component.per_item * self.unit_price


def price_component(component: Component) -> PricedComponent:
    """The component with its unit price in CNY per unit of its quantity (NaN when the prices
    are reported per unit: see ``Component.unit_prices``)."""
    record = component.price
    if component.value_of_year:
        return PricedComponent(component=component, unit_price=1.0)
    if component.unit_prices is not None or record is None:
        return PricedComponent(component=component, unit_price=float("nan"))
    target = f"{VALUE_UNIT}/{component.quantity_unit}"
    try:
        unit_price = record.value_in(target)
    except InputError as err:
        raise UnitError(
            Problem(
                where=f"price {record.key} ({record.variant})",
                field="unit",
                message=f"is in '{record.unit}', which cannot price {component.name_en} "
                f"measured in '{component.quantity_unit}' (expected a unit like '{target}')",
                hint="fix the unit of the price record or choose another variant",
            )
        ) from err
    return PricedComponent(component=component, unit_price=unit_price)


def price_components(
    components: Iterable[Component], *, valuation: Valuation | None = None, year: int | None = None
) -> list[PricedComponent]:
    """The components priced, with their factors on each price basis of ``valuation``."""
    out = []
    for component in components:
        priced = price_component(component)
        if valuation is not None and year is not None:
            per_unit = priced.per_unit or component.value_of_year
            record = component.price if not per_unit else None
            key = record.key if record is not None else component.id
            label = f"{record.key}/{record.variant}" if record is not None else component.id
            index = valuation.series(key, record.index if record is not None else component.index)
            factors, rows = valuation.factors(year=year, record=record, index=index, label=label)
            priced = replace(priced, factors=factors, index_records=tuple(rows))
        out.append(priced)
    return out


def value_per_item_unit(priced: Iterable[PricedComponent]) -> float:
    """CNY per unit of an item's quantity: Σ components (per-item factor × unit price)."""
    return sum(p.value_per_item_unit for p in priced)
