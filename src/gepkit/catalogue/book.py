"""The loaded catalogue of a run: classification, per-ecosystem tables, parameters and prices.

It applies the config's choices (a named variant, or a value the user supplies with its source)
and remembers which records a run used, for the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gepkit.catalogue.indices import PriceIndices
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


@dataclass(frozen=True)
class TableInfo:
    """A per-ecosystem table: its value columns, and whether gepkit ships a default."""

    columns: tuple[str, ...]
    shipped: bool
    description: str


_VALUE = ("value", "unit")

#: Per-ecosystem tables.  Shipped tables have defaults in catalogue/data; the others must be given
#: in [tables] when a method needs them (their values were not found in a readable source).
ECOSYSTEM_TABLES: dict[str, TableInfo] = {
    "runoff_coefficients": TableInfo(
        _VALUE, True, "surface-runoff coefficient α (Gong et al. 2017)"
    ),
    "rusle_c_factor": TableInfo(
        ("rule", *C_FACTOR_CLASS_COLUMNS, "c_constant"),
        True,
        "RUSLE C factor rule (HJ 1173—2021 Table A.1)",
    ),
    "rusle_p_factor": TableInfo(_VALUE, False, "RUSLE support-practice factor P by land use"),
    "storm_runoff_coefficients": TableInfo(
        _VALUE, False, "storm runoff coefficient α_s (flood regulation)"
    ),
    "air_capacity_so2": TableInfo(_VALUE, True, "SO₂ absorption capacity per area"),
    "air_capacity_nox": TableInfo(_VALUE, False, "NOx absorption capacity per area"),
    "air_capacity_dust": TableInfo(_VALUE, True, "dust retention capacity per area"),
    "air_capacity_fluoride": TableInfo(_VALUE, False, "fluoride absorption capacity per area"),
    "water_capacity_cod": TableInfo(_VALUE, False, "COD purification capacity per area"),
    "water_capacity_nh3n": TableInfo(_VALUE, False, "NH₃-N purification capacity per area"),
    "water_capacity_tn": TableInfo(_VALUE, False, "TN purification capacity per area"),
    "water_capacity_tp": TableInfo(_VALUE, False, "TP purification capacity per area"),
    "rweq_vegetation_coefficient": TableInfo(
        _VALUE, True, "RWEQ vegetation coefficient a_i (HJ 1173 A.20)"
    ),
    "climate_epp": TableInfo(_VALUE, False, "heat consumed by transpiration per area and day, EPP"),
    "negative_ion_concentration": TableInfo(_VALUE, False, "negative air-ion concentration"),
    "canopy_height": TableInfo(_VALUE, False, "canopy height"),
    "carbon_pools": TableInfo(
        ("c_above", "c_below", "c_soil", "c_dead", "unit"),
        False,
        "carbon stock per area by pool (like InVEST Carbon)",
    ),
    "carbon_sequestration_rates": TableInfo(_VALUE, False, "carbon sequestration rate per area"),
    "budyko_parameters": TableInfo(
        ("kc", "root_depth", "vegetated"),
        False,
        "crop coefficient, root depth (mm) and vegetated flag (InVEST AWY)",
    ),
}

#: Names accepted in [tables].
TABLE_NAMES = ("ecosystem_classes", *ECOSYSTEM_TABLES, "parameters", "prices", "price_indices")


@dataclass
class Catalogue:
    classes: EcosystemClasses
    tables: dict[str, EcosystemTable]
    parameters: RecordTable
    prices: RecordTable
    parameter_choices: Mapping[str, str | RecordOverride] = field(default_factory=dict)
    price_choices: Mapping[str, str | RecordOverride] = field(default_factory=dict)
    indices: PriceIndices = field(default_factory=PriceIndices.load)
    """Price indices that move prices across years (shipped, or [tables] price_indices)."""

    @classmethod
    def load(cls, config: RunConfig) -> Catalogue:
        """Load every table the config names (or the shipped defaults); report all problems."""
        problems = ProblemCollector()
        spec = config.tables
        for name in spec:
            if name not in TABLE_NAMES:
                problems.add(
                    "config",
                    f"[tables] {name}: unknown table",
                    field=f"tables.{name}",
                    hint=f"known tables: {', '.join(TABLE_NAMES)}",
                )

        def path_of(name: str) -> Path:
            configured = spec.get(name)
            return config.resolve(configured) if configured else shipped_table(f"{name}.csv")

        classes: EcosystemClasses | None = None
        with problems.section():
            classes = EcosystemClasses.load(path_of("ecosystem_classes"))
        tables: dict[str, EcosystemTable] = {}
        for name, info in ECOSYSTEM_TABLES.items():
            if classes is None or (not info.shipped and name not in spec):
                continue
            with problems.section():
                tables[name] = EcosystemTable.load(name, path_of(name), list(info.columns), classes)
        records: dict[str, RecordTable] = {}
        for kind, name in (("parameter", "parameters"), ("price", "prices")):
            with problems.section():
                records[name] = RecordTable.load(path_of(name), kind)
        indices: PriceIndices | None = None
        with problems.section():
            indices = PriceIndices.load(path_of("price_indices"))
        problems.raise_if_any(TableError)
        assert classes is not None
        assert indices is not None
        book = cls(
            classes=classes,
            tables=tables,
            parameters=records["parameters"],
            prices=records["prices"],
            parameter_choices=config.parameters,
            price_choices=config.prices,
            indices=indices,
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
                if isinstance(choice, RecordOverride) and key in WITHOUT_DEFAULT.get(section, ()):
                    continue  # a price gepkit uses but ships no value for
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

    def table(self, name: str, *, needed_by: str = "this run") -> EcosystemTable:
        """A per-ecosystem table; a clear error when a table without default is not configured."""
        if name not in self.tables:
            info = ECOSYSTEM_TABLES[name]
            raise TableError(
                Problem(
                    where="config",
                    field=f"tables.{name}",
                    message=f"{needed_by} needs the table '{name}' ({info.description}); gepkit ships "
                    f"no default because no verified values were found",
                    hint=f"add [tables] {name} = 'your.csv' with columns ecosystem_code, "
                    f"{', '.join(info.columns)}, source, confidence",
                )
            )
        return self.tables[name]

    def describe(self) -> dict[str, Any]:
        files: dict[str, Any] = {
            "ecosystem_classes": self.classes,
            **self.tables,
            "parameters": self.parameters,
            "prices": self.prices,
            "price_indices": self.indices,
        }
        return {name: {"path": str(t.path), "sha256": t.sha256} for name, t in files.items()}


#: Records items may ask for although the shipped tables have no value: the user supplies them
#: in [parameters] / [prices] with their source.
WITHOUT_DEFAULT: dict[str, tuple[str, ...]] = {"prices": ("water_tariff_ecological",)}


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
            index=choice.index if table.kind == "price" else "",
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


__all__ = [
    "ECOSYSTEM_TABLES",
    "TABLE_NAMES",
    "Catalogue",
    "InputError",
    "TableInfo",
    "require_codes",
]
