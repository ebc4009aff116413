"""Parameter tables, price book records, the ecosystem classification and land-cover crosswalks.

Parameters and prices are data, not code: versioned CSV tables in which every row carries its
source, year and confidence tag (the methods catalogue's [V] / [V*] / [S] / [K]).  This module
validates them on load and answers look-ups; a code or key missing from a table is an error,
never a silent zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from gepkit import units as u
from gepkit.errors import InputError, Problem, TableError
from gepkit.io.hashing import sha256_file
from gepkit.io.tables import read_csv, require_columns

#: Confidence tags of the methods catalogue (§0.1), plus D for values made up for the demo.
CONFIDENCE_TAGS = {
    "V": "read in the named source",
    "V*": "arithmetic on [V] figures",
    "V-num": "numbers read in the source, operators restored",
    "S": "second hand: confirm against the primary document",
    "K": "background knowledge: to be confirmed before it becomes a default",
    "D": "demo value: illustrative, not an accounting input",
}
#: Tags that the manifest lists as "to be confirmed".
FLAGGED_TAGS = ("S", "K", "D")


def shipped_table(name: str) -> Path:
    """Path of a table shipped with gepkit (``catalogue/data/<name>``)."""
    return Path(str(resources.files("gepkit.catalogue") / "data" / name))


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _check_confidence(frame: pd.DataFrame, where: str, key: str) -> list[Problem]:
    problems = []
    for _, row in frame.iterrows():
        tag = _clean(row.get("confidence"))
        if tag not in CONFIDENCE_TAGS:
            problems.append(
                Problem(
                    where=where,
                    field="confidence",
                    message=f"row '{_clean(row.get(key))}' has confidence '{tag}'",
                    hint=f"use one of {', '.join(CONFIDENCE_TAGS)}",
                )
            )
    return problems


# --------------------------------------------------------------------------------------------
# Scalar records: parameters and prices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One parameter value or one price, with everything needed to cite it."""

    kind: str  # "parameter" or "price"
    key: str
    variant: str
    value: float
    unit: str
    year: int | None
    source: str
    confidence: str
    basis: str = ""
    note: str = ""
    index: str = ""
    """Price index series the price moves with across years (``price_indices.csv``); empty:
    not indexed.  Prices only: the optional ``index`` column of a price table."""

    @property
    def flagged(self) -> bool:
        return self.confidence in FLAGGED_TAGS

    def value_in(self, units: str) -> float:
        """The value converted to ``units`` (pint; e.g. CNY/tC → CNY/tCO2, percent → 1)."""
        return u.convert_value(self.value, self.unit, units)

    def describe(self) -> dict[str, Any]:
        return asdict(self)


class RecordTable:
    """A table of scalar records with one default variant per key (parameters or prices)."""

    KEY_COLUMN: ClassVar[dict[str, str]] = {"parameter": "parameter", "price": "price"}
    YEAR_COLUMN: ClassVar[dict[str, str]] = {"parameter": "year", "price": "price_year"}

    def __init__(
        self,
        kind: str,
        path: Path,
        records: Mapping[tuple[str, str], Record],
        defaults: Mapping[str, str],
    ):
        self.kind = kind
        self.path = path
        self.sha256 = sha256_file(path)
        self.records = dict(records)
        self.defaults = dict(defaults)

    @classmethod
    def load(cls, path: Path, kind: str) -> RecordTable:
        where = str(path)
        key_col, year_col = cls.KEY_COLUMN[kind], cls.YEAR_COLUMN[kind]
        frame = read_csv(path, dtype={"variant": "string"})
        required = [
            key_col,
            "variant",
            "value",
            "unit",
            year_col,
            "source",
            "confidence",
            "default",
        ]
        problems = require_columns(frame, required, where)
        if problems:
            raise TableError(problems)
        problems += _check_confidence(frame, where, key_col)
        records: dict[tuple[str, str], Record] = {}
        defaults: dict[str, str] = {}
        for i, row in frame.iterrows():
            line = int(str(i)) + 2  # header is line 1
            key, variant = _clean(row[key_col]), _clean(row["variant"])
            if not key or not variant:
                problems.append(
                    Problem(
                        where=where,
                        field=key_col,
                        message=f"line {line}: empty {key_col} or variant",
                    )
                )
                continue
            try:
                value = float(row["value"])
            except (TypeError, ValueError):
                problems.append(
                    Problem(
                        where=where,
                        field="value",
                        message=f"line {line}: '{row['value']}' is not a number",
                    )
                )
                continue
            unit = _clean(row["unit"]) or "dimensionless"
            try:
                u.parse(unit)
            except InputError:
                problems.append(
                    Problem(
                        where=where,
                        field="unit",
                        message=f"line {line}: unit '{unit}' is not understood",
                        hint="write units like 'CNY/m^3', 't/m^3', 'percent'",
                    )
                )
            if (key, variant) in records:
                problems.append(
                    Problem(where=where, message=f"line {line}: {key}/{variant} appears twice")
                )
            year_text = _clean(row[year_col])
            records[(key, variant)] = Record(
                kind=kind,
                key=key,
                variant=variant,
                value=value,
                unit=unit,
                year=int(float(year_text)) if year_text else None,
                source=_clean(row["source"]),
                confidence=_clean(row["confidence"]),
                basis=_clean(row.get("basis")),
                note=_clean(row.get("note")),
                index=_clean(row.get("index")) if kind == "price" else "",
            )
            if _clean(row["default"]).lower() in ("yes", "true", "1", "y"):
                if key in defaults:
                    problems.append(
                        Problem(
                            where=where,
                            field="default",
                            message=f"{key} has more than one default variant",
                        )
                    )
                defaults[key] = variant
        for key in {k for k, _ in records}:
            if key not in defaults:
                problems.append(
                    Problem(
                        where=where,
                        field="default",
                        message=f"{key} has no default variant",
                        hint="mark exactly one row of each key with default = yes",
                    )
                )
        if problems:
            raise TableError(problems)
        return cls(kind, path, records, defaults)

    def keys(self) -> set[str]:
        return {k for k, _ in self.records}

    def variants(self, key: str) -> list[str]:
        return sorted(v for k, v in self.records if k == key)

    def select(self, key: str, variant: str | None = None) -> Record:
        """The record for ``key``: the chosen ``variant`` or the table's default."""
        if key not in self.defaults:
            raise TableError(
                Problem(
                    where=str(self.path),
                    field=key,
                    message=f"no {self.kind} '{key}' in the table",
                    hint=f"give it in the config ([{self.kind}s] {key} = {{ value = …, unit = …, "
                    f"source = … }}), add rows for '{key}' to a copy of the table and point the "
                    f"config at it",
                )
            )
        chosen = variant or self.defaults[key]
        if (key, chosen) not in self.records:
            raise TableError(
                Problem(
                    where=str(self.path),
                    field=key,
                    message=f"{self.kind} '{key}' has no variant '{chosen}'",
                    hint=f"choose one of: {', '.join(self.variants(key))}",
                )
            )
        return self.records[(key, chosen)]


# --------------------------------------------------------------------------------------------
# Ecosystem classification and per-ecosystem tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EcosystemClass:
    code: int
    level: int
    parent: int | None
    name_zh: str
    name_en: str


class EcosystemClasses:
    """The national ecosystem classification (HJ 1172—2021 Appendix A) used to key every table."""

    def __init__(self, path: Path, classes: Mapping[int, EcosystemClass]):
        self.path = path
        self.sha256 = sha256_file(path)
        self.classes = dict(classes)

    @classmethod
    def load(cls, path: Path | None = None) -> EcosystemClasses:
        path = path or shipped_table("ecosystem_classes.csv")
        frame = read_csv(path)
        problems = require_columns(
            frame, ["code", "level", "parent", "name_zh", "name_en"], str(path)
        )
        if problems:
            raise TableError(problems)
        classes = {}
        for _, row in frame.iterrows():
            parent = _clean(row["parent"])
            code = int(row["code"])
            classes[code] = EcosystemClass(
                code=code,
                level=int(row["level"]),
                parent=int(float(parent)) if parent else None,
                name_zh=_clean(row["name_zh"]),
                name_en=_clean(row["name_en"]),
            )
        return cls(path, classes)

    def __contains__(self, code: object) -> bool:
        return code in self.classes

    def level1(self, code: int) -> int:
        """The level-1 class (forest, shrub, …) a code belongs to."""
        current = self.classes[code]
        while current.parent is not None:
            current = self.classes[current.parent]
        return current.code

    def within(self, code: int, ancestors: Iterable[int]) -> bool:
        """True when ``code`` is one of ``ancestors`` or below one of them."""
        targets = set(ancestors)
        current: int | None = code
        while current is not None:
            if current in targets:
                return True
            current = self.classes[current].parent if current in self.classes else None
        return False

    def name(self, code: int, lang: str = "en") -> str:
        cls_ = self.classes.get(code)
        if cls_ is None:
            return str(code)
        return cls_.name_zh if lang == "zh" else cls_.name_en


class EcosystemTable:
    """A table with one row per ecosystem code (runoff coefficients, C factors, …)."""

    def __init__(self, name: str, path: Path, frame: pd.DataFrame):
        self.name = name
        self.path = path
        self.sha256 = sha256_file(path)
        self.frame = frame

    @classmethod
    def load(
        cls, name: str, path: Path, required: list[str], classes: EcosystemClasses
    ) -> EcosystemTable:
        where = str(path)
        frame = read_csv(path)
        problems = require_columns(
            frame, ["ecosystem_code", *required, "source", "confidence"], where
        )
        if problems:
            raise TableError(problems)
        problems += _check_confidence(frame, where, "ecosystem_code")
        codes = pd.to_numeric(frame["ecosystem_code"], errors="coerce")
        for raw, code in zip(frame["ecosystem_code"], codes, strict=True):
            if pd.isna(code):
                problems.append(
                    Problem(
                        where=where,
                        field="ecosystem_code",
                        message=f"'{raw}' is not an ecosystem code",
                    )
                )
            elif int(code) not in classes:
                problems.append(
                    Problem(
                        where=where,
                        field="ecosystem_code",
                        message=f"{int(code)} is not in the ecosystem classification",
                        hint=f"use the codes of {classes.path.name}",
                    )
                )
        duplicated = frame["ecosystem_code"][frame["ecosystem_code"].duplicated()]
        problems += [
            Problem(where=where, field="ecosystem_code", message=f"code {c} appears twice")
            for c in duplicated
        ]
        if problems:
            raise TableError(problems)
        frame = frame.assign(ecosystem_code=codes.astype(int)).set_index("ecosystem_code")
        return cls(name, path, frame)

    @property
    def codes(self) -> set[int]:
        return {int(c) for c in self.frame.index}

    def column(self, column: str, *, units: str | None = None) -> dict[int, float]:
        """``{code: value}`` of a numeric column; converted from the table's ``unit`` column."""
        values = pd.to_numeric(self.frame[column], errors="coerce")
        out: dict[int, float] = {}
        for code, value in values.items():
            factor = 1.0
            if units is not None and "unit" in self.frame.columns:
                factor = u.conversion(str(self.frame.at[code, "unit"]), units)[0]
            out[int(str(code))] = float(value) * factor
        return out

    def missing(self, codes: Iterable[int]) -> list[int]:
        return sorted(set(codes) - self.codes)

    def rows(self, codes: Iterable[int]) -> list[dict[str, Any]]:
        """The rows used for ``codes`` (for the manifest's provenance list)."""
        return [
            {"ecosystem_code": int(c), **{k: _clean(v) for k, v in self.frame.loc[c].items()}}
            for c in sorted(set(codes) & self.codes)
        ]

    def flagged_codes(self, codes: Iterable[int]) -> list[int]:
        return [
            int(c)
            for c in sorted(set(codes) & self.codes)
            if _clean(self.frame.at[c, "confidence"]) in FLAGGED_TAGS
        ]


#: Column names a crosswalk CSV may give the product's codes and names in, first match wins:
#: gepkit's own, then those of InVEST biophysical tables (``lucode``, ``LULC_desc`` …; case is
#: ignored, as InVEST does).
CROSSWALK_CODE_COLUMNS = ("source_code", "lucode")
CROSSWALK_NAME_COLUMNS = ("source_name", "name", "lulc_name", "lulc_desc", "description")
CROSSWALK_NOTE_COLUMNS = ("note", "notes")
#: The ``ecosystem_code`` a crosswalk gives a product's fill value: pixels with that code count as
#: having no land-cover data (like the file's nodata value), not as unmapped codes.
CROSSWALK_NODATA = "nodata"


def _integer_code(value: Any) -> int | None:
    """A class code from a CSV cell: ``101``, ``"0101"`` and ``101.0`` are all 101; None if empty.

    Raises :class:`ValueError` for anything that is not a whole number (e.g. ``"05H1"``)."""
    text = _clean(value)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        number = float(text)  # ValueError for text
        if not number.is_integer():
            raise ValueError(text) from None
        return int(number)


@dataclass(frozen=True)
class CrosswalkRow:
    """One code of a land-cover product and the ecosystem class it is counted as."""

    source_code: int
    source_name: str
    ecosystem_code: int | None
    """None: the code is the product's fill value (no data)."""
    confidence: str = ""
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Crosswalk:
    """Maps the codes of a land-cover product to the national ecosystem classification."""

    name: str
    path: Path
    sha256: str
    mapping: Mapping[int, int]
    source_names: Mapping[int, str]
    nodata: frozenset[int] = frozenset()
    """Codes the product uses for "no data" (rows with ``ecosystem_code = nodata``)."""
    rows: Mapping[int, CrosswalkRow] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    """Mappings that load but may not do what the user wants (level-1 targets)."""

    @property
    def codes(self) -> frozenset[int]:
        """Every code the crosswalk knows: mapped ones and fill values."""
        return frozenset(self.mapping) | self.nodata

    def flagged_rows(self, codes: Iterable[int]) -> list[CrosswalkRow]:
        """The rows tagged [S], [K] or [D] among ``codes`` (for the manifest)."""
        return [
            self.rows[c]
            for c in sorted(set(codes) & set(self.mapping))
            if c in self.rows and self.rows[c].confidence in FLAGGED_TAGS
        ]

    @classmethod
    def load(
        cls, name_or_path: str, classes: EcosystemClasses, base: Path | None = None
    ) -> Crosswalk:
        """A shipped crosswalk by name (``clcd``, ``esa_worldcover`` …, see
        :func:`gepkit.catalogue.landcover.shipped_crosswalks`) or a CSV file.

        The CSV has a column of product codes (``source_code``, or InVEST's ``lucode``) and
        ``ecosystem_code``; optional ``source_name`` (or ``name``, ``lulc_name``, ``LULC_desc``,
        ``description``), ``confidence``, ``source`` and ``note``.  ``ecosystem_code = nodata``
        marks a fill value.  Every problem is reported at once."""
        shipped = shipped_table(f"crosswalks/{name_or_path}.csv")
        path = (
            shipped if shipped.is_file() else (base / name_or_path if base else Path(name_or_path))
        )
        where = str(path)
        frame = read_csv(path)
        by_lower = {str(c).lower(): str(c) for c in frame.columns}

        def column(candidates: tuple[str, ...]) -> str | None:
            return next((by_lower[c] for c in candidates if c in by_lower), None)

        code_col = column(CROSSWALK_CODE_COLUMNS)
        eco_col = column(("ecosystem_code",))
        problems: list[Problem] = []
        if code_col is None:
            problems.append(
                Problem(
                    where=where,
                    field="source_code",
                    message="required column 'source_code' (or InVEST's 'lucode') is missing "
                    f"(columns found: {', '.join(map(str, frame.columns))})",
                    hint="name the column of the land-cover product's codes 'source_code' or "
                    "'lucode'",
                )
            )
        if eco_col is None:
            problems += require_columns(frame, ["ecosystem_code"], where)
        if problems:
            raise TableError(problems)
        assert code_col is not None
        assert eco_col is not None
        name_col = column(CROSSWALK_NAME_COLUMNS)
        note_col = column(CROSSWALK_NOTE_COLUMNS)
        conf_col = column(("confidence",))
        source_col = column(("source",))
        mapping: dict[int, int] = {}
        nodata: set[int] = set()
        rows: dict[int, CrosswalkRow] = {}
        coarse: list[str] = []
        for i, row in frame.iterrows():
            line = int(str(i)) + 2  # header is line 1
            raw_src, raw_eco = _clean(row[code_col]), _clean(row[eco_col])
            try:
                src = _integer_code(raw_src)
            except ValueError:
                problems.append(
                    Problem(
                        where=where,
                        field=code_col,
                        message=f"line {line}: source code '{raw_src}' is not an integer",
                        hint="rasters hold integer codes: recode classes with letters (e.g. "
                        "三调 05H1, 08H1, 08H2) before rasterising, and list the integers here",
                    )
                )
                continue
            if src is None:
                problems.append(
                    Problem(where=where, field=code_col, message=f"line {line}: empty source code")
                )
                continue
            eco: int | None = None
            if raw_eco.lower() != CROSSWALK_NODATA:
                try:
                    eco = _integer_code(raw_eco)
                except ValueError:
                    eco = None
                if eco is None:
                    problems.append(
                        Problem(
                            where=where,
                            field="ecosystem_code",
                            message=f"line {line}: source code {src} has "
                            + (f"ecosystem code '{raw_eco}'" if raw_eco else "no ecosystem code"),
                            hint=f"give a code of {classes.path.name}, or '{CROSSWALK_NODATA}' "
                            "for the product's fill value",
                        )
                    )
                    continue
                if eco not in classes:
                    problems.append(
                        Problem(
                            where=where,
                            field="ecosystem_code",
                            message=f"source code {src} maps to {eco}, which is not in the "
                            "ecosystem classification",
                        )
                    )
                elif classes.classes[eco].level == 1:
                    coarse.append(f"{src} → {eco} ({classes.name(eco)})")
            tag = _clean(row[conf_col]) if conf_col else ""
            if tag and tag not in CONFIDENCE_TAGS:
                problems.append(
                    Problem(
                        where=where,
                        field="confidence",
                        message=f"line {line}: source code {src} has confidence '{tag}'",
                        hint=f"use one of {', '.join(CONFIDENCE_TAGS)}",
                    )
                )
            if src in rows:
                problems.append(
                    Problem(where=where, field="source_code", message=f"{src} appears twice")
                )
            rows[src] = CrosswalkRow(
                source_code=src,
                source_name=_clean(row[name_col]) if name_col else "",
                ecosystem_code=eco,
                confidence=tag,
                source=_clean(row[source_col]) if source_col else "",
                note=_clean(row[note_col]) if note_col else "",
            )
            if eco is None:
                nodata.add(src)
            else:
                mapping[src] = eco
        if problems:
            raise TableError(problems)
        warnings: tuple[Problem, ...] = ()
        if coarse:
            warnings = (
                Problem(
                    where=where,
                    field="ecosystem_code",
                    message=f"level-1 target(s) {', '.join(coarse)}: items whose scope or "
                    "tables name level-2 classes (e.g. air purification: 11, 12, 13, 21, 22) "
                    "leave these pixels out, and every table an item uses needs a row for the "
                    "level-1 code itself",
                    hint="map to a level-2 class where one is a defensible default "
                    "(docs/landcover.md)",
                ),
            )
        return cls(
            name=name_or_path,
            path=path,
            sha256=sha256_file(path),
            mapping=mapping,
            source_names={c: r.source_name for c, r in rows.items()},
            nodata=frozenset(nodata),
            rows=rows,
            warnings=warnings,
        )
