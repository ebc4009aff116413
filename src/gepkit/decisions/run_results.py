"""A finished run folder, read back for the decision tools.

The decision tools never recompute an account: they read what ``gep run`` wrote
(docs/outputs.md) — the account tables, the units' polygons, the maps and the manifest — so
every figure they produce traces back to one run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gepkit.errors import InputError, Problem

#: Files every decision tool needs; others (change.csv, maps/) are checked by the tool using them.
REQUIRED = ("manifest.json", "accounts.csv", "summary.csv", "units.gpkg")
_CODES = {"unit_code": str, "parent_code": str}


def _read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=_CODES, encoding="utf-8-sig", keep_default_na=True)
    for column in ("unit_code", "parent_code"):
        if column in frame:
            frame[column] = frame[column].fillna("")
    return frame


@dataclass(frozen=True)
class RunResults:
    """The tables, polygons and provenance of one run folder."""

    folder: Path
    manifest: dict[str, Any]
    accounts: pd.DataFrame
    """accounts.csv: year × unit × item × price_basis (``current``, ``constant-YYYY``)."""
    summary: pd.DataFrame
    """summary.csv: GEP by class, constant prices, area, population, GDP, growth per unit and year."""

    @classmethod
    def load(cls, folder: Path) -> RunResults:
        """Read a run folder; every missing or unreadable file is reported at once."""
        folder = Path(folder)
        where = str(folder)
        if not folder.is_dir():
            raise InputError(
                Problem(
                    where=where,
                    message="is not a run folder (no such directory)",
                    hint="give the folder `gep run … --out DIR` or `gep demo --out DIR` wrote",
                )
            )
        missing = [name for name in REQUIRED if not (folder / name).is_file()]
        if missing:
            hint = "run `gep run CONFIG --out DIR` again with this gepkit version"
            if missing == ["units.gpkg"]:
                hint = "the run was written by an older gepkit version: " + hint
            raise InputError(
                Problem(
                    where=where,
                    message=f"is not a complete run folder: {', '.join(missing)} missing",
                    hint=hint,
                )
            )
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(
                Problem(where=str(folder / "manifest.json"), message=f"cannot be read: {err}")
            ) from err
        return cls(
            folder=folder,
            manifest=manifest,
            accounts=_read_csv(folder / "accounts.csv"),
            summary=_read_csv(folder / "summary.csv"),
        )

    # -- what the run is ---------------------------------------------------------------------

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.summary["year"].unique())

    @property
    def region(self) -> dict[str, str]:
        """``name``, ``code`` (and ``name_en`` when known) of the region."""
        return dict(self.manifest.get("region", {}))

    @property
    def is_demo(self) -> bool:
        return bool(self.manifest.get("demo", {}).get("is_demo", False))

    @property
    def demo_notice(self) -> str:
        return str(self.manifest.get("demo", {}).get("notice", "")) if self.is_demo else ""

    @property
    def base_year(self) -> int | None:
        """Year of the constant prices (``constant-YYYY``), or None for a run without them."""
        bases = [b for b in self.accounts["price_basis"].unique() if str(b).startswith("constant-")]
        return int(bases[0].split("-", 1)[1]) if bases else None

    @property
    def gepkit_version(self) -> str:
        return str(self.manifest.get("gepkit_version", ""))

    # -- tables -----------------------------------------------------------------------------

    @cached_property
    def change(self) -> pd.DataFrame | None:
        """change.csv (runs of several years), else None."""
        path = self.folder / "change.csv"
        return _read_csv(path) if path.is_file() else None

    @cached_property
    def extent(self) -> pd.DataFrame:
        return _read_csv(self.folder / "extent.csv")

    def table(self, name: str) -> pd.DataFrame | None:
        """Another CSV of the folder (``components.csv``, ``by_ecosystem.csv``, ``parts.csv``,
        ``gaps.csv``, ``checks.csv`` …), codes as text, or None when the run did not write it."""
        path = self.folder / name
        return _read_csv(path) if path.is_file() else None

    @cached_property
    def units(self) -> gpd.GeoDataFrame:
        """units.gpkg: every unit with its polygon in the grid CRS (index ``code``)."""
        frame = gpd.read_file(self.folder / "units.gpkg", layer="units")
        frame["code"] = frame["code"].astype(str)
        frame["parent_code"] = frame["parent_code"].fillna("").astype(str)
        return frame.set_index("code")

    def leaves(self) -> list[str]:
        return sorted(self.units.index[self.units["is_leaf"].astype(bool)])

    def accounts_at(self, price_basis: str = "current") -> pd.DataFrame:
        """The rows of one price basis: ``current``, ``constant`` (the run's base year) or
        ``constant-YYYY``."""
        if price_basis == "constant":
            if self.base_year is None:
                raise InputError(
                    Problem(
                        where=str(self.folder / "accounts.csv"),
                        field="price_basis",
                        message="the run has no constant-price values",
                    )
                )
            price_basis = f"constant-{self.base_year}"
        rows = self.accounts[self.accounts["price_basis"] == price_basis]
        if rows.empty:
            known = ", ".join(sorted(self.accounts["price_basis"].unique()))
            raise InputError(
                Problem(
                    where=str(self.folder / "accounts.csv"),
                    field="price_basis",
                    message=f"no rows at price basis '{price_basis}' (the run has: {known})",
                )
            )
        return rows.reset_index(drop=True)

    def map_path(self, item: str, year: int, kind: str = "value") -> Path:
        """maps/<item>_<year>_<kind>.tif (kind ``quantity`` or ``value``); it may not exist:
        items reported per unit have no map."""
        return self.folder / "maps" / f"{item}_{year}_{kind}.tif"

    def provenance(self) -> dict[str, Any]:
        """What a decision table records about the run it comes from."""
        sha = ""
        accounts = self.folder / "accounts.csv"
        if accounts.is_file():
            from gepkit.io.hashing import sha256_file

            sha = sha256_file(accounts)
        return {
            "run_folder": str(self.folder.resolve()),
            "region": self.region,
            "years": self.years,
            "base_year": self.base_year,
            "gepkit_version_of_run": self.gepkit_version,
            "accounts_sha256": sha,
            "demo": self.is_demo,
        }
