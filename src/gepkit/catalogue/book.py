"""The loaded catalogue of a run: classification, per-ecosystem tables, parameters and prices.

It applies the config's choices (a named variant, or a value the user supplies with its source)
and remembers which records a run used, for the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gepkit.catalogue.tables import (
    Crosswalk,
    EcosystemClasses,
    EcosystemTable,
    Record,
    RecordTable,
    shipped_table,
)
from gepkit.config import RecordOverride, RunConfig
from gepkit.errors import InputError, Problem, ProblemCollector, TableError

#: C factor by vegetation-cover class (HJ 1173 Table A.1): < 10 %, 10–30 %, …, ≥ 90 %.
C_FACTOR_CLASS_COLUMNS = (
    "c_fvc_lt10",
    "c_fvc_10_30",
    "c_fvc_30_50",
    "c_fvc_50_70",
    "c_fvc_70_90",
    "c_fvc_ge90",
)

#: Per-ecosystem tables and the value columns each must have.
ECOSYSTEM_TABLES: dict[str, list[str]] = {
    "runoff_coefficients": ["value", "unit"],
    "rusle_c_factor": ["rule", *C_FACTOR_CLASS_COLUMNS, "c_constant"],
}


@dataclass
class Catalogue:
    classes: EcosystemClasses
    tables: dict[str, EcosystemTable]
    parameters: RecordTable
    prices: RecordTable
    parameter_choices: Mapping[str, str | RecordOverride] = field(default_factory=dict)
    price_choices: Mapping[str, str | RecordOverride] = field(default_factory=dict)

    @classmethod
    def load(cls, config: RunConfig) -> Catalogue:
        """Load every table the config names (or the shipped defaults); report all problems."""
        problems = ProblemCollector()
        spec = config.tables

        def path_of(name: str, configured: str | None) -> Path:
            return config.resolve(configured) if configured else shipped_table(f"{name}.csv")

        classes: EcosystemClasses | None = None
        with problems.section():
            classes = EcosystemClasses.load(path_of("ecosystem_classes", spec.ecosystem_classes))
        tables: dict[str, EcosystemTable] = {}
        for name, columns in ECOSYSTEM_TABLES.items():
            with problems.section():
                if classes is not None:
                    tables[name] = EcosystemTable.load(
                        name, path_of(name, getattr(spec, name)), columns, classes
                    )
        records: dict[str, RecordTable] = {}
        for kind, name in (("parameter", "parameters"), ("price", "prices")):
            with problems.section():
                records[name] = RecordTable.load(path_of(name, getattr(spec, name)), kind)
        problems.raise_if_any(TableError)
        assert classes is not None
        book = cls(
            classes=classes,
            tables=tables,
            parameters=records["parameters"],
            prices=records["prices"],
            parameter_choices=config.parameters,
            price_choices=config.prices,
        )
        book._check_choices(problems)
        problems.raise_if_any(TableError)
        return book

    def _check_choices(self, problems: ProblemCollector) -> None:
        for table, choices, section in (
            (self.parameters, self.parameter_choices, "parameters"),
            (self.prices, self.price_choices, "prices"),
        ):
            for key, choice in choices.items():
                if key not in table.keys():  # noqa: SIM118 - RecordTable.keys() is a method, not a dict
                    problems.add(
                        "config",
                        f"[{section}] {key}: no such {table.kind}",
                        field=key,
                        hint=f"known: {', '.join(sorted(table.keys()))}",
                    )
                elif isinstance(choice, str):
                    with problems.section():
                        table.select(key, choice)

    def crosswalk(self, name_or_path: str, base: Path) -> Crosswalk:
        return Crosswalk.load(name_or_path, self.classes, base)

    def parameter(self, key: str) -> Record:
        return _choose(self.parameters, key, self.parameter_choices.get(key))

    def price(self, key: str) -> Record:
        return _choose(self.prices, key, self.price_choices.get(key))

    def table(self, name: str) -> EcosystemTable:
        return self.tables[name]

    def describe(self) -> dict[str, Any]:
        files: dict[str, Any] = {
            "ecosystem_classes": self.classes,
            **self.tables,
            "parameters": self.parameters,
            "prices": self.prices,
        }
        return {name: {"path": str(t.path), "sha256": t.sha256} for name, t in files.items()}


def _choose(table: RecordTable, key: str, choice: str | RecordOverride | None) -> Record:
    if isinstance(choice, RecordOverride):
        return Record(
            kind=table.kind,
            key=key,
            variant="config",
            value=choice.value,
            unit=choice.unit,
            year=choice.year,
            source=choice.source,
            confidence=choice.confidence,
            basis=choice.basis,
            note="value supplied in the run configuration",
        )
    return table.select(key, choice)


def require_codes(
    table: EcosystemTable, codes: set[int], item: str, classes: EcosystemClasses
) -> None:
    """Raise :class:`TableError` if ecosystem codes in an item's scope have no row in ``table``."""
    missing = table.missing(codes)
    if missing:
        names = ", ".join(f"{c} ({classes.name(c)})" for c in missing)
        raise TableError(
            Problem(
                where=str(table.path),
                field="ecosystem_code",
                message=f"{item} needs a value for ecosystem code(s) {names}, present in the region, "
                f"but the table has none",
                hint=f"add rows for these codes to {table.path.name} (and point [tables] "
                f"{table.name} at your copy), or map them to other classes in the crosswalk",
            )
        )


__all__ = ["ECOSYSTEM_TABLES", "Catalogue", "InputError", "require_codes"]
