"""Reading the filled-in statistics template (an XLSX workbook or a folder of CSV files).

The template is written by :mod:`gepkit.io.template`; the schema is
:data:`gepkit.catalogue.domains.DOMAINS`.  :func:`read_statistics` checks everything before
returning and raises one :class:`InputError` listing every problem, each naming the file, the
sheet, the row as Excel numbers it, the column, the value, what was expected and how to fix it.

Reading rules:

* a sheet belongs to the domain whose id ends its name (``人口_population``); a CSV file to the
  domain named by its stem (``population.csv``); the instructions sheet is skipped and other
  sheets or files are ignored with a warning;
* a column belongs to the field whose id appears in its header (the Chinese part may be kept
  or dropped); the unit in brackets, if any, is the column's unit and values are converted to
  the field's stored unit with pint (a header may say 元 where the template said 万元);
* a row counts when one of its field cells is filled: the prefilled rows the statistician left
  blank are skipped; blank cells (and NA, N/A, #N/A …, which mean "not available") stay
  missing (NaN), never 0;
* register rows of a domain with coordinates (reservoirs) may leave the unit code blank: the
  point (WGS84) is placed in the leaf unit that contains it;
* GEP item columns accept the item id, its code (P1 …) or its Chinese name.

Magnitude checks (``check_magnitudes``) catch unit slips: a value whose amount per km² (or per
inhabitant) lies outside the field's ``typical`` range, or which is more than 10³ times above or
below the median of the same field over the leaf units of the same year.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import geopandas as gpd
import pandas as pd
from openpyxl import load_workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from gepkit import units as u
from gepkit.catalogue.domains import DOMAINS, Domain, Field
from gepkit.catalogue.items import ITEMS
from gepkit.errors import InputError, Problem
from gepkit.io.tables import ENCODINGS, read_csv
from gepkit.io.template import INSTRUCTIONS_SHEET, SIGNED_FIELDS
from gepkit.statistics import StatisticsBook
from gepkit.zones import UnitHierarchy

#: A value more than this many times above or below the median of its level is a likely slip.
SLIP_FACTOR = 1e3
#: Fewest positive values of a level and year for a meaningful median.
MIN_FOR_MEDIAN = 3
#: Plausible years.
YEAR_RANGE = (1900, 2100)
#: Units a statistician may have written by mistake, tried when a magnitude looks wrong.
SLIP_UNITS = (
    "元", "千元", "万元", "亿元", "人", "万人", "m^3", "万m3", "亿m3", "kWh", "万kWh", "亿kWh",
    "人次", "万人次", "kg", "t", "万t", "m^2", "km^2", "hectare",
)  # fmt: skip

_FIXED_ALIASES = {
    "code": {"code", "单位代码", "代码", "行政区划代码", "unit code", "unit_code"},
    "name": {"name", "单位名称", "名称", "unit name", "unit_name"},
    "year": {"year", "年份", "年度", "年"},
}
#: Cells meaning "not available": blank, as pandas reads them in CSV files (and Excel's #N/A).
_NOT_AVAILABLE = frozenset(
    {"#N/A", "#N/A N/A", "#NA", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)
#: Keys of the columns every sheet starts with (the unit name is informative only).
_FIXED_KEYS = frozenset({"code", "unit_name", "year"})
_UNIT_NAME_MARKS = ("单位名称", "unit name", "unit_name")
_HEADER_RE = re.compile(r"^(?P<label>.*?)\s*[(（\[](?P<unit>[^()（）\[\]]*)[)）\]]\s*$", re.DOTALL)
_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_LEVEL_NAMES = {
    "province": "provinces (省)",
    "city": "cities (市)",
    "county": "counties (县)",
    "township": "townships (乡镇)",
}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def read_statistics(
    path: Path, hierarchy: UnitHierarchy, *, check_magnitudes: bool = True
) -> tuple[StatisticsBook, list[Problem]]:
    """Read a filled-in template (``.xlsx`` or a folder of ``<domain>.csv``).

    Returns the book (every field in its stored unit) and the warnings; raises
    :class:`InputError` with every problem found.
    """
    path = Path(path)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    tables = _open(path, problems, warnings)
    parsed: dict[str, _Parsed] = {}
    for table in tables:
        result = _parse_table(table, hierarchy, problems, warnings)
        if result is not None:
            parsed[table.domain.id] = result
    if check_magnitudes:
        population = _population(parsed.get("population"))
        for result in parsed.values():
            if not result.table.domain.register:
                _check_magnitudes(result, hierarchy, population, problems)
    for result in parsed.values():
        if not result.table.domain.register:
            _coverage_warnings(result, hierarchy, warnings)
    if problems:
        raise InputError(problems)
    book = StatisticsBook()
    for domain_id, result in parsed.items():
        book.frames[domain_id] = result.frame()
        book.sources[domain_id] = result.table.source
    return book, warnings


# -- locating the tables ---------------------------------------------------------------------


@dataclass
class _Table:
    """One sheet (or CSV file) as written: header and rows of raw cell values."""

    file: Path
    sheet: str | None
    domain: Domain
    header: list[Any]
    rows: list[tuple[int, list[Any]]]
    """(row number as Excel shows it, cell values)."""
    percent: set[tuple[int, int]] = field(default_factory=set)
    """(row, column index) of XLSX cells formatted as a percentage (value 0.05 shown as 5%)."""

    @property
    def where(self) -> str:
        return f"{self.file}, sheet '{self.sheet}'" if self.sheet else str(self.file)

    @property
    def source(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else str(self.file)


def _open(path: Path, problems: list[Problem], warnings: list[Problem]) -> list[_Table]:
    if path.is_dir():
        return _csv_tables(path, problems, warnings)
    if not path.exists():
        raise InputError(
            Problem(
                where=str(path),
                message="statistics workbook (or CSV folder) not found",
                hint="check the path; `gep template` writes an empty template to fill in",
            )
        )
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(
            Problem(
                where=str(path),
                message="is neither an Excel workbook (.xlsx) nor a folder of CSV files",
                hint="save the workbook from Excel as 'Excel Workbook (*.xlsx)' (not the old "
                ".xls), or give the folder holding <domain>.csv files",
            )
        )
    return _xlsx_tables(path, problems, warnings)


def _domain_of(name: str) -> Domain | None:
    """The domain whose id is the name or ends it after an underscore (the longest such id)."""
    text = name.strip().lower()
    matches = [d for d in DOMAINS.values() if text == d.id or text.endswith(f"_{d.id}")]
    return max(matches, key=lambda d: len(d.id)) if matches else None


def _xlsx_tables(path: Path, problems: list[Problem], warnings: list[Problem]) -> list[_Table]:
    try:
        workbook = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise InputError(
            Problem(
                where=str(path),
                message=f"is not a readable Excel workbook ({err})",
                hint="open it in Excel and save it again as 'Excel Workbook (*.xlsx)'",
            )
        ) from err
    tables: list[_Table] = []
    seen: dict[str, str] = {}
    for sheet in workbook.worksheets:
        name = str(sheet.title)
        if name == INSTRUCTIONS_SHEET or name.strip().startswith("说明"):
            continue
        domain = _domain_of(name)
        if domain is None:
            warnings.append(
                Problem(
                    where=f"{path}, sheet '{name}'",
                    message="is not a statistics sheet of the template (its name does not end "
                    "in _<id> of a known sheet): ignored",
                    hint="if it holds statistics, rename it like the template's sheets "
                    f"(e.g. 人口_population); known ids: {', '.join(DOMAINS)}",
                )
            )
            continue
        if domain.id in seen:
            problems.append(
                Problem(
                    where=str(path),
                    message=f"sheets '{seen[domain.id]}' and '{name}' both hold "
                    f"{domain.name_zh} {domain.name_en} ({domain.id})",
                    hint="put all rows of one kind of statistics in one sheet",
                )
            )
            continue
        seen[domain.id] = name
        header: list[Any] = []
        rows: list[tuple[int, list[Any]]] = []
        percent: set[tuple[int, int]] = set()
        for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            values = [cell.value for cell in cells]
            if number == 1:
                header = values
                continue
            if all(_blank(v) for v in values):
                continue
            for index, cell in enumerate(cells):
                fmt = cell.number_format or ""
                if isinstance(cell.value, int | float) and "%" in fmt:
                    percent.add((number, index))
            rows.append((number, values))
        tables.append(_Table(path, name, domain, header, rows, percent))
    return tables


def _csv_tables(folder: Path, problems: list[Problem], warnings: list[Problem]) -> list[_Table]:
    tables: list[_Table] = []
    seen: dict[str, Path] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise InputError(
            Problem(
                where=str(folder),
                message="holds no CSV file",
                hint="give one <domain>.csv per kind of statistics (population.csv, gdp.csv …), "
                "as in the _csv folder `gep template` writes",
            )
        )
    for file in files:
        domain = _domain_of(file.stem)
        if domain is None:
            warnings.append(
                Problem(
                    where=str(file),
                    message="is not a statistics table of the template (the file name is not "
                    "<id>.csv of a known kind of statistics): ignored",
                    hint=f"known ids: {', '.join(DOMAINS)}",
                )
            )
            continue
        if domain.id in seen:
            problems.append(
                Problem(
                    where=str(folder),
                    message=f"files {seen[domain.id].name} and {file.name} both hold "
                    f"{domain.name_zh} {domain.name_en} ({domain.id})",
                    hint="put all rows of one kind of statistics in one file",
                )
            )
            continue
        seen[domain.id] = file
        if not file.read_bytes().lstrip(b"\xef\xbb\xbf").strip():
            tables.append(_Table(file, None, domain, [], []))
            continue
        try:
            columns = list(read_csv(file).columns)
            frame = read_csv(file, dtype=dict.fromkeys(columns, "string"))
        except InputError as err:
            problems.extend(err.problems)
            continue
        numbers = _csv_row_numbers(file, len(frame))
        rows: list[tuple[int, list[Any]]] = []
        for number, values in zip(numbers, frame.itertuples(index=False, name=None), strict=True):
            cells = list(values)
            if not all(_blank(v) for v in cells):
                rows.append((number, cells))
        tables.append(_Table(file, None, domain, list(frame.columns), rows))
    return tables


def _csv_row_numbers(file: Path, count: int) -> list[int]:
    """The row numbers Excel shows for the ``count`` data rows pandas read from ``file``.

    pandas skips empty (and whitespace-only) lines, which Excel shows as empty rows."""
    plain = list(range(2, count + 2))
    raw = file.read_bytes()
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return plain
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return plain
    kept = [
        i + 1
        for i, record in enumerate(records)
        if record and not (len(record) == 1 and not record[0].strip())
    ]
    return kept[1:] if len(kept) == count + 1 else plain


# -- headers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    index: int
    header: str
    target: str
    """'code', 'unit_name', 'year' or a field id."""
    unit: str = ""
    """Unit of the column's values (from the header's brackets, else the template's)."""
    scale: float = 1.0
    offset: float = 0.0
    dimensionless: bool = False
    """The column's unit is a pure number (percent): cells formatted as % are scaled."""

    @property
    def label(self) -> str:
        return f"column {get_column_letter(self.index + 1)} '{self.header}'"


def _split_header(text: str) -> tuple[str, str | None]:
    match = _HEADER_RE.match(text)
    if match is None:
        return text.strip(), None
    return match.group("label").strip(), match.group("unit").strip()


def _match_header(label: str, domain: Domain) -> list[str]:
    """Columns ('code', 'unit_name', 'year' or field ids) a header's label may mean."""
    lowered = label.lower().strip()
    named = _has_field(domain, "name")  # registers of named features: reservoirs, lakes
    for target, aliases in _FIXED_ALIASES.items():
        if lowered in aliases:
            if target == "name":
                # A bare 'name' on a register of named features is the feature's name.
                return ["name" if named and lowered == "name" else "unit_name"]
            return [target]
    for f in domain.fields:
        if lowered in (f.id, f.name_zh, f.name_en.lower()):
            return [f.id]
    ids = {f.id for f in domain.fields}
    found: list[str] = []
    for token in (t.lower() for t in _ID_RE.findall(label)):
        if token == "name":
            # The unit's name column is the one labelled 单位名称 / unit name.
            is_unit = not named or any(mark in lowered for mark in _UNIT_NAME_MARKS)
            found.append("unit_name" if is_unit else "name")
        elif token in ids or token in ("code", "year"):
            found.append(token)
    return list(dict.fromkeys(found))


def _has_field(domain: Domain, field_id: str) -> bool:
    return any(f.id == field_id for f in domain.fields)


def _parse_header(
    table: _Table, problems: list[Problem], warnings: list[Problem], data_columns: set[int]
) -> dict[str, _Column]:
    """Column of each field (and of code, unit_name, year) with its unit conversion."""
    domain = table.domain
    columns: dict[str, _Column] = {}
    for index, raw in enumerate(table.header):
        text = "" if _blank(raw) else str(raw).strip()
        if table.sheet is None and re.fullmatch(r"Unnamed: \d+", text):
            text = ""  # pandas' name for a blank CSV header
        label = f"column {get_column_letter(index + 1)}" + (f" '{text}'" if text else "")
        if not text:
            if index in data_columns:
                warnings.append(
                    Problem(
                        where=table.where,
                        field=label,
                        message="has values but no header: ignored",
                        hint="give the column the header of its field (see the template)",
                    )
                )
            continue
        name, unit = _split_header(text)
        targets = _match_header(name, domain)
        if len(targets) != 1:
            fields = ", ".join(f.id for f in domain.fields)
            warnings.append(
                Problem(
                    where=table.where,
                    field=label,
                    message=(
                        "is not a column of this sheet: ignored"
                        if not targets
                        else f"names several columns ({', '.join(targets)}): ignored"
                    ),
                    hint="keep the English id of one field in the header; this sheet's "
                    f"columns: code, name, year, {fields}",
                )
            )
            continue
        target = targets[0]
        if target in columns:
            problems.append(
                Problem(
                    where=table.where,
                    field=label,
                    message=f"gives the same column as {columns[target].label}",
                    hint="keep one column per field (delete or rename the other)",
                )
            )
            continue
        if target in _FIXED_KEYS:
            columns[target] = _Column(index, text, target)
            continue
        spec = domain.field(target)
        if spec.kind == "text":
            columns[target] = _Column(index, text, target)
            continue
        written = unit if unit else spec.unit
        try:
            scale, offset = _conversion(written, spec.stored)
        except InputError:
            if spec.stored in ("", "dimensionless"):
                hint = (
                    "this column takes plain numbers; the unit of the quantity belongs in its "
                    "own unit column: remove the brackets from the header"
                )
            else:
                hint = (
                    f"write a unit of the same kind in the brackets, e.g. ({spec.unit}); "
                    f"gepkit stores {spec.name_en} in {spec.stored}"
                )
            problems.append(
                Problem(
                    where=table.where,
                    field=label,
                    message=f"the unit '{written}' in the header cannot be converted to "
                    f"{spec.stored or 'a plain number'} ({spec.name_zh} {spec.name_en})",
                    hint=hint,
                )
            )
            continue
        columns[target] = _Column(
            index, text, target, written, scale, offset, _is_dimensionless(written)
        )
    return columns


def _conversion(written: str, stored: str) -> tuple[float, float]:
    """(scale, offset) from a header unit to the stored unit; 万/亿/千/百 prefixes understood."""
    return u.conversion_as_written(written, stored)


def _is_dimensionless(unit: str) -> bool:
    try:
        return u.convertible(unit or "dimensionless", "dimensionless")
    except InputError:
        return False


# -- rows ------------------------------------------------------------------------------------


@dataclass
class _Record:
    row: int
    code: str
    year: int | None
    values: dict[str, Any]
    """Field id → value in the stored unit (float) or text; blank cells absent."""
    written: dict[str, Any]
    """Field id → the cell as written (for messages)."""
    year_ok: bool = True
    """False when the year cell could not be read (the row is then left out of duplicates)."""


@dataclass
class _Parsed:
    table: _Table
    columns: dict[str, _Column]
    records: list[_Record]

    def frame(self) -> pd.DataFrame:
        domain = self.table.domain
        keys = list(domain.keys)
        fields = keys + [f.id for f in domain.fields if f.id not in keys]
        data: dict[str, Any] = {
            "code": pd.Series([r.code for r in self.records], dtype="string"),
            "year": pd.array([r.year for r in self.records], dtype="Int64"),
        }
        for field_id in fields:
            values = [r.values.get(field_id) for r in self.records]
            if domain.field(field_id).kind == "number":
                data[field_id] = pd.Series(
                    [math.nan if v is None else float(v) for v in values], dtype="float64"
                )
            else:
                data[field_id] = pd.Series(values, dtype="string")
        return pd.DataFrame(data)


def _parse_table(
    table: _Table, hierarchy: UnitHierarchy, problems: list[Problem], warnings: list[Problem]
) -> _Parsed | None:
    domain = table.domain
    data_columns = {i for _, cells in table.rows for i, v in enumerate(cells) if not _blank(v)}
    before = len(problems)
    columns = _parse_header(table, problems, warnings, data_columns)
    fixed = {c.index for key, c in columns.items() if key in _FIXED_KEYS}
    if not any(i not in fixed for i in data_columns):
        del problems[before:]  # the header of an empty sheet does not matter
        warnings.append(
            Problem(
                where=table.where,
                message=f"{domain.name_zh} {domain.name_en}: the sheet is present but holds no "
                "values: read as empty",
                hint="fill it in, or delete it if these statistics do not apply",
            )
        )
        return None
    for spec in domain.fields:
        if spec.required and spec.id not in columns:
            problems.append(
                Problem(
                    where=table.where,
                    field=f"'{spec.header}'",
                    message=f"the required column '{spec.header}' ({spec.name_en}) is missing",
                    hint=f"add a column headed '{spec.header}' (the English id '{spec.id}' "
                    "must appear in the header)",
                )
            )
    if "code" not in columns:
        problems.append(
            Problem(
                where=table.where,
                field="'单位代码 code'",
                message="the unit-code column '单位代码 code' is missing",
                hint="add it as the first column, with the codes of the units file",
            )
        )
    if len(problems) > before:
        return None  # rows cannot be read without their columns

    records: list[_Record] = []
    for number, cells in table.rows:
        record = _parse_row(table, columns, hierarchy, number, cells, problems)
        if record is not None:
            records.append(record)
    _check_duplicates(table, columns, records, hierarchy.frame, problems)
    return _Parsed(table, columns, records)


def _parse_row(
    table: _Table,
    columns: dict[str, _Column],
    hierarchy: UnitHierarchy,
    number: int,
    cells: list[Any],
    problems: list[Problem],
) -> _Record | None:
    """One filled row in stored units; None for a blank (prefilled) row or an unknown unit."""
    domain = table.domain
    frame = hierarchy.frame
    fields = [(key, c) for key, c in columns.items() if key not in _FIXED_KEYS]
    written = {key: _cell(cells, c.index) for key, c in fields}
    written = {key: v for key, v in written.items() if not _blank(v)}
    if not written:
        return None  # a prefilled row left blank
    code = _code(_cell(cells, columns["code"].index))
    unit_name = _text(_cell(cells, columns["unit_name"].index)) if "unit_name" in columns else ""
    year, year_problem = _year(_cell(cells, columns["year"].index) if "year" in columns else None)
    if year_problem:
        problems.append(
            Problem(
                where=table.where,
                field=columns["year"].label,
                message=f"{_context(number, code, None, frame)}: {year_problem}",
                hint="write the year as a whole number such as 2020, or leave it blank if the "
                "row applies to every year",
            )
        )
    context = _context(number, code, year, frame)
    values: dict[str, Any] = {}
    for key, raw in written.items():
        spec, column = domain.field(key), columns[key]
        if spec.kind == "text":
            text = _text(raw)
            if spec.id == "item":
                item = _item(text)
                if item is None:
                    problems.append(
                        Problem(
                            where=table.where,
                            field=column.label,
                            message=f"{context}: '{text}' is not a GEP item",
                            hint="write an item id, code or Chinese name: "
                            + ", ".join(f"{i.id} ({i.code} {i.name_zh})" for i in ITEMS.values()),
                        )
                    )
                    continue
                text = item
            values[key] = text
            continue
        value = _number(raw)
        if value is None:
            problems.append(
                Problem(
                    where=table.where,
                    field=column.label,
                    message=f"{context}: '{raw}' is not a number",
                    hint=f"write a plain number in {column.unit or 'the unit of the row'} (no "
                    "units, words or symbols); leave the cell blank if the value is unknown",
                )
            )
            continue
        if (number, column.index) in table.percent and column.dimensionless:
            # A cell shown as 5% holds 0.05: express it in the column's unit (percent).
            value *= _conversion("dimensionless", column.unit)[0]
        if value < 0 and key not in SIGNED_FIELDS:
            problems.append(
                Problem(
                    where=table.where,
                    field=column.label,
                    message=f"{context}: negative value {_fmt(value)} ({spec.name_zh} "
                    f"{spec.name_en} cannot be negative)",
                    hint="write the value as a positive number; leave the cell blank if it is "
                    "unknown",
                )
            )
            continue
        written[key] = value
        values[key] = value * column.scale + column.offset
    if domain.register and domain.key and domain.key not in written:
        spec = domain.field(domain.key)
        problems.append(
            Problem(
                where=table.where,
                field=columns[domain.key].label,
                message=f"{context}: the entry has no {spec.name_zh} {spec.id} ({spec.name_en}), "
                "which tells the entries of a unit apart",
                hint=f"fill in '{spec.header}', or delete the row",
            )
        )
    for spec in domain.fields:
        if spec.required and spec.id != domain.key and spec.id not in written:
            problems.append(
                Problem(
                    where=table.where,
                    field=columns[spec.id].label,
                    message=f"{context}: {spec.name_zh} {spec.id} ({spec.name_en}) is required "
                    "but blank",
                    hint="fill it in, or delete the row if there is no value",
                )
            )
    if not code and _has_field(domain, "lon") and _has_field(domain, "lat"):
        code = _locate(values, hierarchy, table, columns, number, problems) or ""
    elif not code:
        problems.append(_no_code(table, columns, number, unit_name, _units_by_name(hierarchy)))
    elif code not in frame.index:
        problems.append(
            _unknown_code(table, columns, number, code, unit_name, _units_by_name(hierarchy))
        )
    if code not in frame.index:
        return None
    return _Record(number, code, year, values, written, year_ok=not year_problem)


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _context(row: int, code: str, year: int | None, frame: pd.DataFrame) -> str:
    parts = [code] if code else []
    if code and code in frame.index:
        parts.append(str(frame.at[code, "name"]))
    where = " ".join(parts) if parts else "no unit code"
    return f"row {row} ({where}" + (f", {year})" if year is not None else ")")


def _units_by_name(hierarchy: UnitHierarchy) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for code, name in hierarchy.frame["name"].items():
        if isinstance(name, str) and name.strip():
            out[name.strip()].append(str(code))
    return out


def _no_code(
    table: _Table,
    columns: dict[str, _Column],
    row: int,
    unit_name: str,
    by_name: dict[str, list[str]],
) -> Problem:
    hint = "fill in the unit's code from the units file"
    if unit_name and len(by_name.get(unit_name, [])) == 1:
        hint += f" ({unit_name} is {by_name[unit_name][0]})"
    return Problem(
        where=table.where,
        field=columns["code"].label,
        message=f"row {row}: values but no unit code"
        + (f" (name '{unit_name}')" if unit_name else ""),
        hint=hint,
    )


def _unknown_code(
    table: _Table,
    columns: dict[str, _Column],
    row: int,
    code: str,
    unit_name: str,
    by_name: dict[str, list[str]],
) -> Problem:
    hint = "use the codes of the units file (the template's prefilled rows have them)"
    if unit_name and len(by_name.get(unit_name, [])) == 1:
        hint = f"{unit_name} has the code {by_name[unit_name][0]} in the units file"
    return Problem(
        where=table.where,
        field=columns["code"].label,
        message=f"row {row}: unit code '{code}' is not in the units file",
        hint=hint,
    )


def _locate(
    values: dict[str, Any],
    hierarchy: UnitHierarchy,
    table: _Table,
    columns: dict[str, _Column],
    row: int,
    problems: list[Problem],
) -> str | None:
    """The leaf unit containing a register entry's (lon, lat), for rows without a code."""
    lon, lat = values.get("lon"), values.get("lat")
    where = f"row {row} (no unit code)"
    if not isinstance(lon, float) or not isinstance(lat, float):
        problems.append(
            Problem(
                where=table.where,
                field=columns["code"].label,
                message=f"{where}: the entry has neither a unit code nor both coordinates "
                "(lon, lat)",
                hint="fill in the unit's code, or the longitude and latitude (WGS84 degrees)",
            )
        )
        return None
    label = " and ".join(columns[k].label for k in ("lon", "lat"))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(
            Problem(
                where=table.where,
                field=label,
                message=f"{where}: ({_fmt(lon)}, {_fmt(lat)}) are not WGS84 degrees",
                hint="write longitude (east, e.g. 115.9) and latitude (north, e.g. 28.7) in "
                "decimal degrees",
            )
        )
        return None
    leaves = hierarchy.geometries[hierarchy.leaves]
    point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs="EPSG:4326").to_crs(leaves.crs)
    inside = leaves[leaves.covers(point.iloc[0])]
    if inside.empty:
        problems.append(
            Problem(
                where=table.where,
                field=label,
                message=f"{where}: the point ({_fmt(lon)}, {_fmt(lat)}) lies in none of the units",
                hint="check the coordinates (WGS84 decimal degrees, longitude first), or fill "
                "in the unit's code",
            )
        )
        return None
    return str(sorted(inside.index)[0])


def _check_duplicates(
    table: _Table,
    columns: dict[str, _Column],
    records: list[_Record],
    frame: pd.DataFrame,
    problems: list[Problem],
) -> None:
    """Rows repeating (code, year) — and a register's keys (product; item and part …)."""
    domain = table.domain
    keys = domain.keys
    groups: dict[tuple[str, int | None, tuple[str, ...]], list[_Record]] = defaultdict(list)
    for record in records:
        if not record.year_ok:
            continue  # reported already; its year is unknown
        entry = tuple(str(record.values.get(k) or "") for k in keys)
        if keys and not entry[0]:
            continue  # reported as a row without key
        groups[(record.code, record.year, entry)].append(record)
    for (code, year, entry), group in groups.items():
        if len(group) < 2:
            continue
        rows = [str(r.row) for r in group]
        when = "every year (blank year)" if year is None else f"year {year}"
        what = "".join(
            f", {domain.field(k).name_zh} {k} '{v}'" for k, v in zip(keys, entry, strict=True) if v
        )
        problems.append(
            Problem(
                where=table.where,
                field=columns["code"].label,
                message=f"rows {', '.join(rows[:-1])} and {rows[-1]} repeat unit {code} "
                f"{frame.at[code, 'name']}, {when}{what}",
                hint="keep one row per unit and year"
                + (" and entry" if keys else "")
                + " (add the values up, or delete the repeated rows)",
            )
        )


# -- cell values -----------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip() or value.strip() in _NOT_AVAILABLE
    return False


def _text(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _code(value: Any) -> str:
    """Codes are text: 360102, 360102.0 and "360102" are the same unit."""
    if _blank(value):
        return ""
    if isinstance(value, str):
        text = value.strip()
        return text[:-2] if re.fullmatch(r"\d+\.0", text) else text
    return _text(value)


def _number(value: Any) -> float | None:
    """The cell as a finite number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if _THOUSANDS_RE.match(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _year(value: Any) -> tuple[int | None, str | None]:
    if _blank(value):
        return None, None
    number = _number(value)
    if number is None or not number.is_integer():
        return None, f"year '{value}' is not a whole number"
    year = int(number)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return None, f"year {year} is not a plausible year"
    return year, None


def _item(value: str) -> str | None:
    text = value.strip()
    for item in ITEMS.values():
        if (
            text.lower() in (item.id, item.code.lower(), item.name_en.lower())
            or text == item.name_zh
        ):
            return item.id
    return None


# -- magnitudes ------------------------------------------------------------------------------


def _population(parsed: _Parsed | None) -> dict[tuple[str, int | None], float]:
    if parsed is None:
        return {}
    out: dict[tuple[str, int | None], float] = {}
    for record in parsed.records:
        value = record.values.get("population")
        if isinstance(value, float) and value > 0:
            out[(record.code, record.year)] = value
    return out


@dataclass(frozen=True)
class _Finding:
    record: _Record
    spec: Field
    column: _Column
    reasons: list[str]
    ratio: float | None
    """Value ÷ median of its level and year."""
    per_value: float | None
    """Value per km² or per inhabitant (stored unit)."""


def _check_magnitudes(
    parsed: _Parsed,
    hierarchy: UnitHierarchy,
    population: dict[tuple[str, int | None], float],
    problems: list[Problem],
) -> None:
    frame = hierarchy.frame
    for field_id, column in parsed.columns.items():
        if field_id in _FIXED_KEYS:
            continue
        spec = parsed.table.domain.field(field_id)
        if spec.kind != "number" or spec.typical is None:
            continue
        medians = _medians(parsed.records, field_id, frame)
        for record in parsed.records:
            value = record.values.get(field_id)
            if not isinstance(value, float) or record.code not in frame.index:
                continue
            reasons: list[str] = []
            ratio = None
            group = _group(record, frame)
            level_median = medians.get(group)
            if level_median is not None and value > 0:
                ratio = value / level_median[0]
                if ratio > SLIP_FACTOR or ratio < 1 / SLIP_FACTOR:
                    shown = level_median[0] / column.scale
                    times = f"{_sci(ratio)} times" if ratio > 1 else f"1/{_sci(1 / ratio)} of"
                    reasons.append(
                        f"is {times} the median of the {level_median[1]} in "
                        f"{'every year' if record.year is None else record.year} "
                        f"({_fmt(shown)} {column.unit})"
                    )
                else:
                    ratio = None
            denominator, per_label = _denominator(spec, record, frame, population)
            per_value = None
            if denominator and value > 0:  # a true zero is no unit slip
                per_value = value / denominator
                low, high = spec.typical
                if not low <= per_value <= high:
                    side = "above" if per_value > high else "below"
                    reasons.append(
                        f"makes {_fmt(per_value)} {spec.stored} {per_label}, {side} the "
                        f"plausible {_bound(low)}–{_bound(high)} {spec.stored} {per_label}"
                    )
                else:
                    per_value = None
            if reasons:
                finding = _Finding(record, spec, column, reasons, ratio, per_value)
                problems.append(_slip_problem(parsed.table, finding, frame))


def _group(record: _Record, frame: pd.DataFrame) -> tuple[Any, ...]:
    """Leaves are compared with leaves, other units with the units of their depth."""
    if bool(frame.at[record.code, "is_leaf"]):
        return ("leaf", record.year)
    return (int(frame.at[record.code, "depth"]), record.year)


def _medians(
    records: Iterable[_Record], field_id: str, frame: pd.DataFrame
) -> dict[tuple[Any, ...], tuple[float, str]]:
    values: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    levels: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for record in records:
        value = record.values.get(field_id)
        if isinstance(value, float) and value > 0 and record.code in frame.index:
            group = _group(record, frame)
            values[group].append(value)
            levels[group].append(str(frame.at[record.code, "level"]))
    out: dict[tuple[Any, ...], tuple[float, str]] = {}
    for group, numbers in values.items():
        if len(numbers) >= MIN_FOR_MEDIAN:
            names = {_LEVEL_NAMES.get(level, "units") for level in levels[group]}
            out[group] = (median(numbers), names.pop() if len(names) == 1 else "units")
    return out


def _denominator(
    spec: Field,
    record: _Record,
    frame: pd.DataFrame,
    population: dict[tuple[str, int | None], float],
) -> tuple[float | None, str]:
    if spec.per == "area":
        area = float(frame.at[record.code, "area_km2"])
        return (area if math.isfinite(area) and area > 0 else None), "per km²"
    if spec.per == "person":
        people = population.get((record.code, record.year)) or population.get((record.code, None))
        return people, "per inhabitant"
    return None, ""


def _slip_problem(table: _Table, finding: _Finding, frame: pd.DataFrame) -> Problem:
    record, spec, column = finding.record, finding.spec, finding.column
    context = _context(record.row, record.code, record.year, frame)
    written = record.written.get(spec.id)
    shown = _fmt(written) if isinstance(written, float) else str(written)
    slip = _likely_unit(finding)
    message = f"{context}: {shown} {column.unit} " + " and ".join(finding.reasons)
    if slip is not None:
        unit, factor = slip
        message += f": was it written in {unit} instead of {column.unit}?"
        operation = f"divide by {_sci(factor)}" if factor > 1 else f"multiply by {_sci(1 / factor)}"
        hint = (
            f"write the value in {column.unit} ({operation}), or, if the whole column is in "
            f"{unit}, change the header's unit to ({unit})"
        )
    else:
        message += ": likely a unit slip or a typing error"
        hint = f"check the value and the unit in the header ({column.unit})"
    hint += "; if the value is right, read the statistics with the magnitude check off"
    return Problem(where=table.where, field=column.label, message=message, hint=hint)


def _likely_unit(finding: _Finding) -> tuple[str, float] | None:
    """A unit the value was probably written in, and the factor (written unit ÷ column unit)
    by which the written number is too large."""
    spec, column = finding.spec, finding.column
    best: tuple[float, str, float] | None = None
    for unit in SLIP_UNITS:
        try:
            scale, _ = _conversion(unit, spec.stored)
        except InputError:
            continue
        k = scale / column.scale  # stored value if the number was in `unit`, ÷ as read
        if abs(math.log10(k)) < 0.5:
            continue  # the column's own unit (or the same size)
        score = 0.0
        if finding.ratio is not None:
            corrected = abs(math.log10(finding.ratio * k))
            if corrected >= math.log10(SLIP_FACTOR):
                continue
            score += corrected
        if finding.per_value is not None and spec.typical is not None:
            low, high = spec.typical
            per = finding.per_value * k
            if not low <= per <= high:
                continue
            score += abs(math.log10(per) - (math.log10(low) + math.log10(high)) / 2) / 10
        if best is None or score < best[0]:
            best = (score, unit, 1 / k)
    return (best[1], best[2]) if best is not None else None


# -- warnings --------------------------------------------------------------------------------


def _coverage_warnings(parsed: _Parsed, hierarchy: UnitHierarchy, warnings: list[Problem]) -> None:
    leaves = hierarchy.leaves
    every_year = {r.code for r in parsed.records if r.year is None}
    years = sorted({r.year for r in parsed.records if r.year is not None})
    domain = parsed.table.domain
    frame = hierarchy.frame
    levels = {_LEVEL_NAMES.get(str(frame.at[c, "level"]), "units") for c in leaves}
    level = levels.pop() if len(levels) == 1 else "leaf units"
    for year in years:
        present = {r.code for r in parsed.records if r.year == year} | every_year
        missing = [c for c in leaves if c not in present]
        if not missing:
            continue
        listed = ", ".join(f"{c} {frame.at[c, 'name']}" for c in missing[:10])
        more = f" … ({len(missing)} in all)" if len(missing) > 10 else ""
        warnings.append(
            Problem(
                where=parsed.table.where,
                message=f"{domain.name_zh} {domain.name_en}: no value for {len(missing)} of "
                f"{len(leaves)} {level} in {year} ({listed}{more}): items that need it will "
                "say so",
                hint="add their rows if the values exist",
            )
        )


# -- number formatting -----------------------------------------------------------------------


def _sci(value: float) -> str:
    """1.2×10⁴ (two significant digits); plain below 100."""
    if value == 0 or not math.isfinite(value):
        return str(value)
    if 1 <= abs(value) < 100:
        return f"{value:.3g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(mantissa, 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    head = f"{mantissa:.2g}"
    return ("" if head == "1" else f"{head}×") + "10" + str(exponent).translate(_SUPERSCRIPT)


def _bound(value: float) -> str:
    return f"{value:g}" if 1e-3 <= abs(value) < 1e4 else _sci(value)


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e6:
        return f"{value:.6g}"
    return _sci(value)
