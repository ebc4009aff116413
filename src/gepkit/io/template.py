"""Writing the statistics template (``gep template``): one XLSX workbook and the same as CSVs.

The workbook has an instructions sheet ("说明 Instructions") and one sheet per reporting domain
of :data:`gepkit.catalogue.domains.DOMAINS`, named ``<中文名>_<domain id>``; the importer
(:mod:`gepkit.io.workbook`) finds the sheets by that suffix.  Per-unit sheets come prefilled with
one row per unit (every level, parents first) and year; register sheets only with their headers
and an example in a cell comment.  The CSV folder beside the workbook holds one
``<domain id>.csv`` per domain (UTF-8 with BOM, so that Excel shows the Chinese headers).

The output is deterministic: the same hierarchy and years give byte-identical files (the XLSX
timestamps are fixed and the zip entries written in a fixed order).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.comments import Comment  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from gepkit.catalogue.domains import DOMAINS, Domain, Field
from gepkit.catalogue.items import ITEMS
from gepkit.errors import OutputError
from gepkit.zones import UnitHierarchy

#: Name of the first sheet; the importer ignores it.
INSTRUCTIONS_SHEET = "说明 Instructions"
#: Headers of the three columns every domain sheet starts with.
CODE_HEADER = "单位代码 code"
NAME_HEADER = "单位名称 name"
YEAR_HEADER = "年份 year"
FIXED_HEADERS = (CODE_HEADER, NAME_HEADER, YEAR_HEADER)
#: Workbook name used when the output path is a folder.
DEFAULT_NAME = "statistics_template.xlsx"
#: Number fields that may be negative (every other number is a non-negative amount).
SIGNED_FIELDS = frozenset({"gdp_real_growth"})
#: Timestamp written into the workbook properties, so that the file is reproducible.
FIXED_TIME = datetime(2020, 1, 1, 0, 0, 0)
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_EXCEL_SHEET_NAME_MAX = 31

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_FIXED_FILL = PatternFill("solid", fgColor="E7E6E6")
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")

#: One illustrative row per register, shown in a comment of the register sheet (never as data).
_EXAMPLES: dict[str, dict[str, str]] = {
    "products": {
        "item": "agricultural_products",
        "product": "稻谷",
        "quantity": "125000",
        "quantity_unit": "t",
        "unit_price": "2600",
    },
    "reservoirs": {
        "name": "某某水库",
        "lon": "115.92",
        "lat": "28.68",
        "total_capacity": "1250",
        "flood_capacity": "320",
        "year": "",
    },
    "lakes": {"name": "某某湖", "area": "12.5", "year": ""},
    "tourism_origins": {
        "origin": "省内",
        "visits": "85",
        "travel_days": "1.5",
        "daily_wage": "260",
        "spending_per_visit": "800",
    },
    "imports": {"item": "water_supply", "value": "3500"},
    # A blank part is the whole item: only items with one part (water supply has one per use).
    "supplied": {
        "item": "water_conservation",
        "part": "",
        "quantity": "1.25",
        "quantity_unit": "亿m3",
    },
}


def sheet_name(domain: Domain) -> str:
    """``<中文名>_<id>``, shortened on the Chinese side if longer than Excel's 31 characters."""
    suffix = f"_{domain.id}"
    room = _EXCEL_SHEET_NAME_MAX - len(suffix)
    return domain.name_zh[: max(room, 0)] + suffix


def csv_folder_for(workbook: Path) -> Path:
    """The folder of CSV files written beside ``workbook``."""
    return workbook.with_name(f"{workbook.stem}_csv")


def write_template(
    path: Path,
    hierarchy: UnitHierarchy,
    years: Iterable[int],
    *,
    region_name: str,
    overwrite: bool = False,
) -> list[Path]:
    """Write the template workbook and its CSV folder; return the files written.

    ``path`` is the workbook (``….xlsx``) or a folder, which then receives
    ``statistics_template.xlsx``.  The CSV folder is ``<workbook stem>_csv`` beside the
    workbook.  Existing files are replaced only with ``overwrite`` (a filled-in template is
    precious): otherwise :class:`OutputError`.  Every file is built in memory first, then
    written under a temporary name and renamed, so no file is ever left half-written.
    """
    path = Path(path)
    workbook_path = path if path.suffix.lower() == ".xlsx" else path / DEFAULT_NAME
    folder = csv_folder_for(workbook_path)
    year_list = sorted(set(int(y) for y in years))
    codes = hierarchy.ordered()
    names = {str(c): str(n) for c, n in hierarchy.frame["name"].items()}

    targets = [workbook_path] + [folder / f"{d.id}.csv" for d in DOMAINS.values()]
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        shown = ", ".join(str(p) for p in existing[:3]) + (" …" if len(existing) > 3 else "")
        raise OutputError(
            f"the template already exists ({shown}); a filled-in template would be lost. "
            "Choose another --out, move the files away, or pass --overwrite."
        )
    rows = [(code, names.get(code, ""), year) for year in year_list for code in codes]
    contents = {workbook_path: _workbook_bytes(rows, year_list, region_name)}
    for domain in DOMAINS.values():
        contents[folder / f"{domain.id}.csv"] = _csv_bytes(domain, [] if domain.register else rows)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for target, content in contents.items():
            _replace(target, content)
    except OSError as err:
        raise OutputError(f"cannot write the template at {workbook_path}: {err}") from err
    return list(contents)


# -- workbook ------------------------------------------------------------------------------------


def _workbook_bytes(
    rows: Sequence[tuple[str, str, int]], years: Sequence[int], region_name: str
) -> bytes:
    wb = Workbook()
    instructions = wb.active
    instructions.title = INSTRUCTIONS_SHEET
    _write_instructions(instructions, years, region_name)
    for domain in DOMAINS.values():
        ws = wb.create_sheet(sheet_name(domain))
        _write_domain_sheet(ws, domain, [] if domain.register else rows)
    wb.properties.creator = "gepkit"
    wb.properties.lastModifiedBy = "gepkit"
    wb.properties.title = f"{region_name} GEP statistics template"
    wb.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    return _reproducible_zip(buffer.getvalue())


def _write_domain_sheet(
    ws: Worksheet, domain: Domain, rows: Sequence[tuple[str, str, int]]
) -> None:
    headers = [*FIXED_HEADERS, *(f.header for f in domain.fields)]
    ws.append(headers)
    for column, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=column)
        cell.font = _BOLD
        cell.alignment = _HEADER_ALIGN
        if column <= len(FIXED_HEADERS):
            cell.fill = _FIXED_FILL
        else:
            field = domain.fields[column - len(FIXED_HEADERS) - 1]
            cell.fill = _REQUIRED_FILL if field.required else _HEADER_FILL
            cell.comment = _comment(_field_note(field))
        ws.column_dimensions[get_column_letter(column)].width = _column_width(header)
    ws.cell(row=1, column=1).comment = _comment(_code_note(domain))
    ws.cell(row=1, column=3).comment = _comment(
        "年份（整数，如 2020）；留空表示该行适用于所有核算年份。\n"
        "Year (a whole number such as 2020); blank: the row applies to every accounting year."
    )
    for code, name, year in rows:
        ws.append([code, name, year])
    for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        cell.number_format = "@"  # codes are text: leading zeros survive, no 3.6E+05
    longest_name = max((_display_width(name) for _, name, _ in rows), default=8)
    ws.column_dimensions["B"].width = min(max(longest_name + 2, 12), 40)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["C"].width = 10
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "D2"


def _column_width(header: str) -> float:
    # Headers wrap onto up to three lines; a field column need not be wider than ~1/2 its header.
    return float(min(max(_display_width(header) // 2 + 4, 12), 28))


def _display_width(text: str) -> int:
    """Width in Latin characters: CJK characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _comment(text: str) -> Comment:
    lines = text.count("\n") + 1 + sum(len(line) // 40 for line in text.splitlines())
    return Comment(text, "gepkit", height=max(60, 16 * lines), width=320)


def _field_note(field: Field) -> str:
    lines = [f"{field.name_zh} — {field.name_en}"]
    if field.kind == "text":
        lines.append("文字 / text")
    elif field.unit:
        lines.append(f"填报单位 unit: {field.unit}（gepkit 存储为 stored as {field.stored}）")
        lines.append("可改表头括号内的单位，gepkit 自动换算。 You may change the unit in brackets.")
    else:
        lines.append("数值；计量单位见“计量单位/单位”列。 Number; its unit is in the unit column.")
    lines.append("必填 required" if field.required else "选填 optional")
    if field.kind == "number":
        if field.id in SIGNED_FIELDS:
            lines.append("可为负数。 May be negative.")
        lines.append("不知道请留空，不要填 0。 Leave blank when unknown, never 0.")
    return "\n".join(lines)


def _code_note(domain: Domain) -> str:
    lines = [
        "单位代码：必须与单位矢量文件中的代码一致。",
        "Unit code: must be a code of the units file.",
        "",
        f"{domain.name_zh} — {domain.name_en}",
        domain.description_zh,
        domain.description_en,
    ]
    if domain.register:
        example = _EXAMPLES.get(domain.id, {})
        year = example.get("year", "2020") or "（空 blank: every year）"
        cells = ["360121", "南昌县", year] + [example.get(f.id, "…") for f in domain.fields]
        lines += [
            "",
            "每个条目一行（本表没有预填行）。示例行 / example row:",
            " | ".join(cells),
        ]
    return "\n".join(lines)


def _write_instructions(ws: Worksheet, years: Sequence[int], region_name: str) -> None:
    year_text = ", ".join(str(y) for y in years) or "—"
    ws.append([f"{region_name} 生态产品总值（GEP）核算 统计数据填报模板"])
    ws.append([f"GEP accounting statistics template — {region_name}"])
    ws.append([f"年份 Years: {year_text}"])
    ws.append([])
    ws.append(["填报说明", "How to fill it in"])
    for zh, en in _INSTRUCTIONS:
        ws.append([zh, en])
    ws.append([])
    ws.append(["工作表 Sheet", "类型 Kind", "中文说明", "Description"])
    header_rows = [5, ws.max_row]
    for domain in DOMAINS.values():
        kind = "名录：每条目一行 register" if domain.register else "每单位每年一行 per unit"
        ws.append([sheet_name(domain), kind, domain.description_zh, domain.description_en])
    ws.append([])
    ws.append(
        [
            "列 Column",
            "工作表 Sheet",
            "English name",
            "填报单位 Unit",
            "存储单位 Stored",
            "必填 Required",
        ]
    )
    header_rows.append(ws.max_row)
    for domain in DOMAINS.values():
        for field in domain.fields:
            unit = (
                "文字 text" if field.kind == "text" else (field.unit or "见单位列 see unit column")
            )
            stored = "" if field.kind == "text" else field.stored
            ws.append(
                [
                    field.header,
                    sheet_name(domain),
                    field.name_en,
                    unit,
                    stored,
                    "是 yes" if field.required else "",
                ]
            )
    ws.append([])
    ws.append(["核算项目 GEP item (id)", "编码 Code", "中文名称", "English name"])
    header_rows.append(ws.max_row)
    for item in ITEMS.values():
        ws.append([item.id, item.code, item.name_zh, item.name_en])
    ws["A1"].font = _TITLE
    ws["A2"].font = _BOLD
    for row in header_rows:
        for cell in ws[row]:
            cell.font = _BOLD
            cell.fill = _HEADER_FILL
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = _WRAP
    for letter, width in zip("ABCDEF", (60, 60, 40, 60, 14, 12), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"


_INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    (
        "每个工作表是一类统计数据。工作表名以“_英文代码”结尾（如 人口_population），请保留这个后缀；"
        "不需要的工作表可以删除或留空。",
        "Each sheet is one kind of statistics. Its name ends in _<id> (e.g. 人口_population): keep "
        "that suffix. Sheets you do not need may be deleted or left empty.",
    ),
    (
        "按单位填报的工作表（人口、地区生产总值、农林牧渔业产值、供水量……）：每个单位每年一行，"
        "单位代码、名称和年份已预填（全部层级，上级在前），只需填写数值。",
        "Per-unit sheets (population, GDP, farm output, water supply …): one row per unit and year; "
        "code, name and year are prefilled (every level, parents first): fill in the values.",
    ),
    (
        "名录类工作表（主要产品、水库、湖泊、客源地……）：每个条目一行，自行填写单位代码、年份和条目名称；"
        "第一列表头的批注中有示例行。",
        "Register sheets (products, reservoirs, lakes, visitor origins …): one row per entry, with "
        "the unit's code, the year and the entry's name; the comment on the first header shows an "
        "example row.",
    ),
    (
        "表头括号内是计量单位。如果你的数据用的是别的单位，可以直接改括号内的单位（如 万元 → 元，"
        "万m3 → m3，人 → 万人），gepkit 会自动换算；同一列必须用同一单位。",
        "The unit is in brackets in each header. If your figures are in another unit, change the "
        "unit in brackets (e.g. 万元 → 元, 万m3 → m3, 人 → 万人) and gepkit converts; one column, "
        "one unit.",
    ),
    (
        "不知道的数值请留空，切勿填 0：0 表示确实为零。数值只填数字，不要带单位或文字。",
        "Leave unknown values blank — never 0: 0 means truly zero. Write plain numbers, without "
        "units or words.",
    ),
    (
        "单位代码必须是单位矢量文件中的代码；请勿修改预填的代码。",
        "Codes must be the codes of the units file; do not change the prefilled codes.",
    ),
    (
        "年份为整数（如 2020）；留空表示该行适用于所有核算年份。",
        "The year is a whole number (e.g. 2020); a blank year means every accounting year.",
    ),
    (
        "表头中的英文代码（如 population）用于识别列，必须保留；中文部分可以保留或删除。"
        "橙色表头为必填列；鼠标停在表头上可看到说明。",
        "The English id in each header (e.g. population) identifies the column and must stay; the "
        "Chinese part may be kept or dropped. Orange headers are required columns; hover over a "
        "header for its description.",
    ),
    (
        "水库名录可以不填单位代码，只填坝址经纬度（WGS84 十进制度）：gepkit 按位置确定所在单位。",
        "Reservoirs may leave the unit code blank and give the dam's longitude and latitude "
        "(WGS84 decimal degrees) instead: gepkit finds the unit that contains the dam.",
    ),
    (
        "“核算项目”列填写下表中的项目代码（如 agricultural_products）、编码（如 P1）或中文名称。",
        "GEP item columns take an item id from the table below (e.g. agricultural_products), its "
        "code (e.g. P1) or its Chinese name.",
    ),
    (
        "也可以不用本工作簿，而用 CSV 文件夹：每类数据一个“英文代码.csv”文件（如 population.csv），"
        "表头与本工作簿相同，编码为 UTF-8 或 GBK。模板旁的 _csv 文件夹就是这样的文件夹。",
        "Instead of this workbook you may give a folder of CSV files, one <id>.csv per sheet "
        "(e.g. population.csv) with the same headers, in UTF-8 or GBK. The _csv folder beside "
        "the template is such a folder.",
    ),
    (
        "gepkit 读入时一次列出所有问题（文件、工作表、行号、列、数值、应如何修改）。",
        "On reading, gepkit lists every problem at once (file, sheet, row, column, value, how to "
        "fix it).",
    ),
)


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite the XLSX zip with fixed entry timestamps and a fixed 'modified' property."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, content)
    return out.getvalue()


# -- CSV -----------------------------------------------------------------------------------------


def _csv_bytes(domain: Domain, rows: Sequence[tuple[str, str, int]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([*FIXED_HEADERS, *(f.header for f in domain.fields)])
    blanks = [""] * len(domain.fields)
    for code, name, year in rows:
        writer.writerow([code, name, year, *blanks])
    return text.getvalue().encode("utf-8-sig")


def _replace(target: Path, content: bytes) -> None:
    """Write ``content`` under a temporary name beside ``target``, then rename it into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
