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
        """The domain's rows for ``year``; rows without a year apply to every year, and a row of
        the year itself takes precedence over them."""
        frame = self.frames.get(domain)
        if frame is None:
            return pd.DataFrame(columns=["code", "year"])
        rows = frame[(frame["year"] == year) | frame["year"].isna()]
        keys = ["code"] + ([DOMAINS[domain].key] if DOMAINS[domain].register else [])
        rows = rows.sort_values("year", na_position="first")
        return rows.drop_duplicates(subset=keys, keep="last").reset_index(drop=True)

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


def merge(books: Mapping[str, StatisticsBook]) -> StatisticsBook:
    """Union of several books (the workbook and single statistics); frames of the same domain
    are concatenated (the caller has checked that they do not give the same field twice)."""
    out = StatisticsBook()
    for book in books.values():
        for domain, frame in book.frames.items():
            if domain in out.frames:
                out.frames[domain] = pd.concat([out.frames[domain], frame], ignore_index=True)
            else:
                out.frames[domain] = frame
            out.sources.setdefault(domain, book.sources.get(domain, ""))
    return out
