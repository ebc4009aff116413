"""Current and constant prices (methods catalogue §2.16 "rule for prices across years", §3.3).

Every value is given on two price bases:

* ``current``: the prices of the accounting year t;
* ``constant-<b>``: the prices of the base year b (default: the first year of the run), so that
  values of different years compare volumes (real GEP growth = Σ Q_t·P_b / Σ Q_{t−1}·P_b − 1).

How a price moves between years depends on what it is:

* a **price record with a price year** y (a reservoir construction cost of 2005, a tariff of
  2010) is, under ``price_indexing = "as_recorded"`` (the default, and the practice of the
  published accounts, e.g. Shenzhen 2020 at the 2005 reservoir cost), taken as the price of
  every accounting year, so current and constant values coincide; under ``"indexed"`` it is
  moved with its price index I: P_t = P_y·I(t)/I(y) and P_b = P_y·I(b)/I(y);
* a **value of the accounting year** (output value from the statistics, a travel cost or a
  housing premium reported for year t) is current by definition and is deflated to the base
  year with its index: P_b = P_t·I(b)/I(t);
* a price record **without a price year** (some afforestation-cost prices) cannot be moved: it
  is used as recorded, and ``indexed`` refuses it.

The index a price moves with is the ``index`` column of the price book (fixed-asset investment
prices for engineering costs, CPI for consumer prices, farm producer prices for farm output),
overridable per price with ``[valuation] indices``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from gepkit.catalogue.indices import IndexRecord, PriceIndices
from gepkit.catalogue.tables import Record
from gepkit.errors import ConfigError, InputError, Problem

CURRENT = "current"


def constant_basis(base_year: int) -> str:
    return f"constant-{base_year}"


@dataclass(frozen=True)
class Valuation:
    """The price bases of a run and how prices move between years."""

    base_year: int
    indexing: str
    """``as_recorded`` or ``indexed``."""
    indices: PriceIndices
    overrides: Mapping[str, str]
    """Price key (or per-unit price source) → index series, from ``[valuation] indices``."""

    @property
    def constant(self) -> str:
        return constant_basis(self.base_year)

    @property
    def bases(self) -> tuple[str, str]:
        return (CURRENT, self.constant)

    def series(self, key: str, default: str) -> str:
        return self.overrides.get(key, default)

    def factors(
        self, *, year: int, record: Record | None, index: str, label: str
    ) -> tuple[dict[str, float], list[IndexRecord]]:
        """Multipliers of a price per basis for accounting ``year``, and the index rows used.

        ``record`` is the price record (None: a price reported for the accounting year);
        ``index`` its index series; ``label`` names the price in messages.
        """
        try:
            return self._factors(year=year, record=record, index=index, label=label)
        except InputError as err:
            raise type(err)(
                [
                    replace(p, where=f"price {label} ({year}): {p.where}")
                    if not p.where.startswith("price ")
                    else p
                    for p in err.problems
                ]
            ) from err

    def _factors(
        self, *, year: int, record: Record | None, index: str, label: str
    ) -> tuple[dict[str, float], list[IndexRecord]]:
        b = self.base_year
        if record is None:
            # A value of the accounting year: current as it is, deflated to the base year.
            if year == b:
                return {CURRENT: 1.0, self.constant: 1.0}, []
            series = self._require(index, label)
            return (
                {CURRENT: 1.0, self.constant: self.indices.factor(series, year, b)},
                self.indices.records(series, year, b),
            )
        if self.indexing == "as_recorded":
            return {CURRENT: 1.0, self.constant: 1.0}, []
        if record.year is None:
            raise InputError(
                Problem(
                    where=f"price {label}",
                    field="price_year",
                    message="has no price year, so it cannot be moved to the accounting year "
                    "with price_indexing = 'indexed'",
                    hint="choose a variant with a price year, give the price in [prices] with "
                    "its year, or use price_indexing = 'as_recorded'",
                )
            )
        series = self._require(index, label)
        y = record.year
        return (
            {
                CURRENT: self.indices.factor(series, y, year),
                self.constant: self.indices.factor(series, y, b),
            },
            self.indices.records(series, y, year) + self.indices.records(series, y, b),
        )

    def _require(self, index: str, label: str) -> str:
        if not index:
            raise InputError(
                Problem(
                    where=f"price {label}",
                    field="index",
                    message="has no price index, so it cannot be moved to another year",
                    hint=f"set [valuation] indices.{label.split('/')[0]} = '<series>' (e.g. "
                    f"'cpi_cn'), or fill the index column of the price table",
                )
            )
        if index not in self.indices.series():
            raise ConfigError(
                Problem(
                    where=f"price {label}",
                    field="index",
                    message=f"moves with the index series '{index}', which the price-index "
                    f"table does not have",
                    hint=f"known series: {', '.join(self.indices.series())}; add it with "
                    f"[tables] price_indices",
                )
            )
        return index
