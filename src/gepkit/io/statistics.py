"""Reading per-unit statistics tables (population, GDP …)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gepkit import units as u
from gepkit.config import StatisticSpec
from gepkit.errors import InputError, Problem
from gepkit.io.tables import read_csv, require_columns

#: Statistics gepkit uses, with the unit they are stored in.
KNOWN_STATISTICS = {
    "population": "person",
    "gdp": "CNY",
    # Pollutant emissions (or loads entering water bodies) that cap purification items.
    "emissions_so2": "t",
    "emissions_nox": "t",
    "emissions_dust": "t",
    "emissions_fluoride": "t",
    "emissions_cod": "t",
    "emissions_nh3n": "t",
    "emissions_tn": "t",
    "emissions_tp": "t",
}


def read_statistic(
    name: str, spec: StatisticSpec, path: Path, known_codes: set[str] | None
) -> pd.DataFrame:
    """A table ``code, year, value`` in the canonical unit; every problem raised at once.

    ``year`` is missing (NA) when the table has no year column: the values then apply to every
    accounting year.  Codes are checked against ``known_codes`` unless it is None.
    """
    where = str(path)
    if name not in KNOWN_STATISTICS:
        raise InputError(
            Problem(
                where="config",
                field=f"statistics.{name}",
                message="is not a statistic gepkit uses",
                hint=f"known: {', '.join(KNOWN_STATISTICS)}",
            )
        )
    frame = read_csv(path, dtype={spec.code_field: "string"})
    columns = [spec.code_field, spec.value_field] + ([spec.year_field] if spec.year_field else [])
    problems = require_columns(frame, columns, where)
    try:
        scale, _ = u.conversion(spec.units, KNOWN_STATISTICS[name])
    except InputError:
        problems.append(
            Problem(
                where="config",
                field=f"statistics.{name}.units",
                message=f"'{spec.units}' is not a unit of {name}",
                hint=f"use a unit convertible to '{KNOWN_STATISTICS[name]}' "
                "(e.g. 'person', '万人', 'CNY', '亿元')",
            )
        )
        scale = 1.0
    if problems:
        raise InputError(problems)
    codes = frame[spec.code_field].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    values = pd.to_numeric(frame[spec.value_field], errors="coerce")
    for i, (raw, value, code) in enumerate(
        zip(frame[spec.value_field], values, codes, strict=True)
    ):
        line = i + 2
        if pd.isna(value) and not pd.isna(raw):
            problems.append(
                Problem(
                    where=where,
                    field=spec.value_field,
                    message=f"line {line} (unit {code}): '{raw}' is not a number",
                )
            )
        elif not pd.isna(value) and value < 0:
            problems.append(
                Problem(
                    where=where,
                    field=spec.value_field,
                    message=f"line {line} (unit {code}): negative value {value}",
                )
            )
        if pd.isna(code) or not code:
            problems.append(
                Problem(where=where, field=spec.code_field, message=f"line {line}: empty unit code")
            )
        elif known_codes is not None and code not in known_codes:
            problems.append(
                Problem(
                    where=where,
                    field=spec.code_field,
                    message=f"line {line}: unit code '{code}' is not in the units file",
                    hint="use the codes of the units file",
                )
            )
    years = (
        pd.to_numeric(frame[spec.year_field], errors="coerce").astype("Int64")
        if spec.year_field
        else pd.Series(pd.NA, index=frame.index, dtype="Int64")
    )
    out = pd.DataFrame({"code": codes, "year": years, "value": values * scale})
    duplicated = out[out.duplicated(["code", "year"], keep=False)]
    if len(duplicated):
        problems.append(
            Problem(
                where=where,
                field=spec.code_field,
                message="repeated unit codes: "
                + ", ".join(sorted(set(duplicated["code"].astype(str)))),
            )
        )
    if problems:
        raise InputError(problems)
    return out
