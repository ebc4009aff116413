"""Price indices: bringing a price from its price year to another year (methods catalogue §2.16, §3.3).

A price recorded for one year is moved to the accounting year (current prices) or to a base year
(constant prices) with the index it moves with: the fixed-asset investment price index for
engineering costs, the CPI for consumer-facing prices, the agricultural producer price index for
farm products.  The table ``price_indices.csv`` holds one row per series and year with the index
in the NBS convention "previous year = 100"; chaining the yearly values gives the factor between
any two years the series covers.  A year a factor needs but the table lacks is an error that says
which years to add, never a silent factor of 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gepkit.catalogue.tables import CONFIDENCE_TAGS, FLAGGED_TAGS, _clean, shipped_table
from gepkit.errors import Problem, TableError
from gepkit.io.hashing import sha256_file
from gepkit.io.tables import read_csv, require_columns

#: The one index convention gepkit reads: the index of a year with the previous year = 100.
INDEX_UNIT = "prev_year=100"
#: Columns of a price-index table.
COLUMNS = ("series", "year", "value", "unit", "source", "confidence", "note")
#: Required columns (``note`` is optional).
REQUIRED_COLUMNS = ("series", "year", "value", "unit", "source", "confidence")
SHIPPED_NAME = "price_indices.csv"


@dataclass(frozen=True)
class IndexRecord:
    """One yearly value of a price index series, with its citation."""

    series: str
    year: int
    value: float
    """Index of ``year`` with the previous year = 100 (e.g. 102.5 for a 2.5 % rise)."""
    unit: str
    source: str
    confidence: str
    note: str = ""

    @property
    def flagged(self) -> bool:
        return self.confidence in FLAGGED_TAGS

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _spans(years: list[int]) -> str:
    """``[2005, 2006, 2007, 2010]`` → ``"2005–2007, 2010"``."""
    if not years:
        return "no years"
    spans: list[str] = []
    start = prev = years[0]
    for year in [*years[1:], None]:
        if year is not None and year == prev + 1:
            prev = year
            continue
        spans.append(str(start) if start == prev else f"{start}–{prev}")
        if year is not None:
            start = prev = year
    return ", ".join(spans)


class PriceIndices:
    """Yearly price indices by series (``previous year = 100``), chained into factors."""

    def __init__(self, path: Path, rows: Mapping[tuple[str, int], IndexRecord]):
        self.path = path
        self.sha256 = sha256_file(path)
        self.rows = dict(rows)

    # -- loading ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> PriceIndices:
        """Read and validate a price-index table (default: the shipped one); all problems at once."""
        path = path or shipped_table(SHIPPED_NAME)
        where = str(path)
        frame = read_csv(path)
        problems = require_columns(frame, list(REQUIRED_COLUMNS), where)
        if problems:
            raise TableError(problems)
        rows: dict[tuple[str, int], IndexRecord] = {}
        first_line: dict[tuple[str, int], int] = {}
        for i, row in frame.iterrows():
            line = int(str(i)) + 2  # header is line 1
            row_problems: list[Problem] = []
            series = _clean(row["series"])
            if not series:
                row_problems.append(
                    Problem(where=where, field="series", message=f"line {line}: empty series")
                )
            year_text = _clean(row["year"])
            year_value = _as_float(year_text)
            year = int(year_value) if year_value is not None and year_value.is_integer() else None
            if year is None:
                row_problems.append(
                    Problem(
                        where=where,
                        field="year",
                        message=f"line {line}: year '{year_text}' is not a whole year",
                        hint="write the year as a number, e.g. 2020",
                    )
                )
            value_text = _clean(row["value"])
            value = _as_float(value_text)
            if value is None or not math.isfinite(value) or value <= 0:
                row_problems.append(
                    Problem(
                        where=where,
                        field="value",
                        message=f"line {line}: value '{value_text}' is not a positive number",
                        hint="write the index with the previous year = 100 "
                        "(a rise of 2.5 % is 102.5, a fall of 0.7 % is 99.3)",
                    )
                )
            unit = _clean(row["unit"])
            if unit.replace(" ", "").lower() != INDEX_UNIT:
                row_problems.append(
                    Problem(
                        where=where,
                        field="unit",
                        message=f"line {line}: unit '{unit}' is not '{INDEX_UNIT}'",
                        hint=f"gepkit reads indices with the previous year = 100: write "
                        f"'{INDEX_UNIT}' and convert other bases (e.g. 2010 = 100) to "
                        f"year-on-year values",
                    )
                )
            confidence = _clean(row["confidence"])
            if confidence not in CONFIDENCE_TAGS:
                row_problems.append(
                    Problem(
                        where=where,
                        field="confidence",
                        message=f"line {line}: confidence '{confidence}' is not a known tag",
                        hint=f"use one of {', '.join(CONFIDENCE_TAGS)}",
                    )
                )
            if series and year is not None:
                key = (series, year)
                if key in first_line:
                    row_problems.append(
                        Problem(
                            where=where,
                            field="series",
                            message=f"line {line}: {series} {year} appears twice "
                            f"(also on line {first_line[key]})",
                            hint="keep one row per series and year",
                        )
                    )
                else:
                    first_line[key] = line
            if row_problems:
                problems += row_problems
                continue
            assert year is not None
            assert value is not None
            rows[(series, year)] = IndexRecord(
                series=series,
                year=year,
                value=value,
                unit=INDEX_UNIT,
                source=_clean(row["source"]),
                confidence=confidence,
                note=_clean(row.get("note")),
            )
        if problems:
            raise TableError(problems)
        return cls(path, rows)

    # -- look-ups ---------------------------------------------------------------------------------

    def series(self) -> list[str]:
        """The names of the series in the table."""
        return sorted({s for s, _ in self.rows})

    def years(self, series: str) -> list[int]:
        """The years ``series`` has a value for."""
        self._require_series(series)
        return sorted(y for s, y in self.rows if s == series)

    def records(self, series: str, from_year: int, to_year: int) -> list[IndexRecord]:
        """The rows :meth:`factor` uses to move a price from ``from_year`` to ``to_year``.

        These are the yearly values of ``min + 1 … max`` (none when the years are equal), for the
        manifest's provenance list; an error names the missing years.
        """
        self._require_series(series)
        needed = range(min(from_year, to_year) + 1, max(from_year, to_year) + 1)
        missing = [y for y in needed if (series, y) not in self.rows]
        if missing:
            raise self._missing_error(series, from_year, to_year, missing)
        return [self.rows[(series, y)] for y in needed]

    def factor(self, series: str, from_year: int, to_year: int) -> float:
        """The factor that turns a price of ``from_year`` into a price of ``to_year``.

        ``factor(s, a, b) = level(s, b) / level(s, a)``: a 2010 price × ``factor(s, 2010, 2020)``
        is the 2020 price.  It needs the yearly values of ``min(a, b) + 1 … max(a, b)``.
        """
        product = 1.0
        for record in self.records(series, from_year, to_year):
            product *= record.value / 100.0
        return product if to_year >= from_year else 1.0 / product

    def level(self, series: str, year: int) -> float:
        """The chained index level of ``year``, with level 1 in the year before the first value.

        The reference is arbitrary; only ratios of levels (:meth:`factor`) mean something.
        """
        years = self.years(series)
        return self.factor(series, years[0] - 1, year)

    # -- errors -----------------------------------------------------------------------------------

    def _require_series(self, series: str) -> None:
        if not any(s == series for s, _ in self.rows):
            raise TableError(
                Problem(
                    where=str(self.path),
                    field="series",
                    message=f"no price index series '{series}' in the table "
                    f"(series: {', '.join(self.series()) or 'none'})",
                    hint=self._supply_hint(series),
                )
            )

    def _missing_error(
        self, series: str, from_year: int, to_year: int, missing: list[int]
    ) -> TableError:
        lo, hi = min(from_year, to_year), max(from_year, to_year)
        covered = _spans(sorted(y for s, y in self.rows if s == series))
        return TableError(
            Problem(
                where=str(self.path),
                field=series,
                message=f"moving a price from {from_year} to {to_year} with the price index "
                f"'{series}' needs its yearly values for {lo + 1}–{hi}, but the table covers "
                f"{covered}; missing: {_spans(missing)}",
                hint=self._supply_hint(series, missing),
            )
        )

    def _supply_hint(self, series: str, years: list[int] | None = None) -> str:
        which = f"for {_spans(years)} " if years else ""
        return (
            f"add rows of series '{series}' {which}to a copy of {SHIPPED_NAME} (columns "
            f"{', '.join(COLUMNS)}; value = index with the previous year = 100, unit "
            f"'{INDEX_UNIT}') and set [tables] price_indices = \"my_indices.csv\" in the config"
            + ("; or choose a price variant whose price year is the year needed" if years else "")
        )


__all__ = ["INDEX_UNIT", "IndexRecord", "PriceIndices"]
