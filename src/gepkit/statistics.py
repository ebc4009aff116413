"""Statistics reported per unit and year, in the units gepkit stores them in.

A :class:`StatisticsBook` holds one table per reporting domain (see gepkit.catalogue.domains):
columns ``code``, ``year`` (NA: valid for every year), the domain's key for registers, and the
domain's fields.  It is built by gepkit.io.workbook from a template workbook or CSV folder, and
from single ``[statistics.<name>]`` tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from gepkit.catalogue.domains import DOMAINS, STATISTIC_FIELDS


@dataclass
class StatisticsBook:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Domain id → rows (``code``, ``year``, key, fields) in stored units."""
    sources: dict[str, str] = field(default_factory=dict)
    """Domain id → where it was read (file and sheet), for messages and the manifest."""

    def has(self, domain: str, field_id: str | None = None) -> bool:
        frame = self.frames.get(domain)
        if frame is None or frame.empty:
            return False
        return field_id is None or (field_id in frame.columns and frame[field_id].notna().any())

    def rows(self, domain: str, year: int) -> pd.DataFrame:
        """The domain's rows for ``year``: a row without a year applies to every year; a row of
        the year itself takes precedence over it field by field (a field the year's row leaves
        blank keeps the value of the row for every year)."""
        frame = self.frames.get(domain)
        if frame is None:
            return pd.DataFrame(columns=["code", "year"])
        keys = ["code", *DOMAINS[domain].keys]
        every = frame[frame["year"].isna()]
        own = frame[frame["year"] == year]
        if every.empty or own.empty:
            rows = own if every.empty else every
            return rows.drop_duplicates(subset=keys, keep="last").reset_index(drop=True)
        own = own.drop_duplicates(subset=keys, keep="last").set_index(keys)
        every = every.drop_duplicates(subset=keys, keep="last").set_index(keys)
        combined = own.combine_first(every)
        combined["year"] = combined["year"].where(combined.index.isin(own.index), pd.NA)
        return combined.reset_index()[list(frame.columns)]

    def values(self, domain: str, field_id: str, year: int) -> dict[str, float]:
        """Code → value of a per-unit field for ``year`` (blank cells left out)."""
        rows = self.rows(domain, year)
        if field_id not in rows.columns:
            return {}
        rows = rows.dropna(subset=[field_id])
        return {str(c): float(v) for c, v in zip(rows["code"], rows[field_id], strict=True)}

    def statistic(self, name: str, year: int) -> dict[str, float]:
        domain, field_id = STATISTIC_FIELDS[name]
        return self.values(domain, field_id, year)


def from_singles(frames: Mapping[str, pd.DataFrame]) -> StatisticsBook:
    """A book from single statistics tables (``[statistics.<name>]``: code, year, value)."""
    book = StatisticsBook()
    for name, frame in frames.items():
        domain, field_id = STATISTIC_FIELDS[name]
        part = frame[["code", "year", "value"]].rename(columns={"value": field_id})
        single = StatisticsBook(frames={domain: part}, sources={domain: f"[statistics.{name}]"})
        book = merge(book, single)[0]
    return book


def merge(first: StatisticsBook, second: StatisticsBook) -> tuple[StatisticsBook, list[str]]:
    """The union of two books, and the fields both give (``domain.field``: a conflict the caller
    reports).  Per-unit domains are joined on (code, year); register rows are appended."""
    out = StatisticsBook(frames=dict(first.frames), sources=dict(first.sources))
    conflicts: list[str] = []
    for domain, frame in second.frames.items():
        if domain not in out.frames:
            out.frames[domain] = frame
            out.sources[domain] = second.sources.get(domain, "")
            continue
        mine = out.frames[domain]
        if DOMAINS[domain].register:
            conflicts.append(domain)
            continue
        fields = [c for c in frame.columns if c not in ("code", "year")]
        both = [c for c in fields if c in mine.columns and mine[c].notna().any()]
        conflicts += [f"{domain}.{c}" for c in both if frame[c].notna().any()]
        keyed = ["code", "year"]
        left = mine.assign(year=mine["year"].astype("Float64"))
        right = frame.assign(year=frame["year"].astype("Float64"))
        joined = left.merge(right, on=keyed, how="outer", suffixes=("", "__new"))
        for column in fields:
            if f"{column}__new" in joined.columns:
                joined[column] = joined[column].combine_first(joined.pop(f"{column}__new"))
        out.frames[domain] = joined
        out.sources[domain] = f"{out.sources.get(domain, '')}; {second.sources.get(domain, '')}"
    return out, conflicts
