"""The statistics template and its importer (gepkit.io.template, gepkit.io.workbook, gep template).

The units are those of the synthetic region (conftest.py): province 990000 → cities 990100,
990200 → counties 990101, 990102 (in 990100) and 990201, 990202 (in 990200), each county
4 km × 4 km = 16 km².  Template rows are ordered parents first: for one year, Excel rows 2–8
hold 990000, 990100, 990200, 990101, 990102, 990201, 990202.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import COUNTIES, COUNTY, X0, Y0, county_box
from shapely.geometry import box
from typer.testing import CliRunner

from gepkit.catalogue.domains import DOMAINS
from gepkit.cli import app
from gepkit.config import load_config
from gepkit.errors import InputError, OutputError
from gepkit.grid import CHINA_ALBERS, AccountingGrid
from gepkit.io.template import INSTRUCTIONS_SHEET, csv_folder_for, sheet_name, write_template
from gepkit.io.workbook import read_statistics
from gepkit.plan import read_hierarchy
from gepkit.zones import UnitHierarchy

ORDER = ["990000", "990100", "990200", "990101", "990102", "990201", "990202"]
NAMES = {
    "990000": "测试省",
    "990100": "甲市",
    "990200": "乙市",
    **{code: f"县{code[-3:]}" for code in COUNTIES},  # 县101 …
}
LEAVES = sorted(COUNTIES)


def _hierarchy() -> UnitHierarchy:
    rows: list[tuple[str, str, Any]] = [
        ("990000", "", box(X0, Y0, X0 + 2 * COUNTY, Y0 + 2 * COUNTY)),
        ("990100", "990000", box(X0, Y0 + COUNTY, X0 + 2 * COUNTY, Y0 + 2 * COUNTY)),
        ("990200", "990000", box(X0, Y0, X0 + 2 * COUNTY, Y0 + COUNTY)),
    ]
    rows += [(code, parent, county_box(code)) for code, (_, _, parent) in COUNTIES.items()]
    units = gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [NAMES[r[0]] for r in rows],
            "parent_code": [r[1] for r in rows],
            "level": [""] * len(rows),
        },
        geometry=[r[2] for r in rows],
        crs=CHINA_ALBERS,
    )
    grid = AccountingGrid.from_bounds(tuple(units.total_bounds), 1000.0, CHINA_ALBERS)
    hierarchy, warnings = UnitHierarchy.build(units, grid, "units")
    assert warnings == []
    return hierarchy


@pytest.fixture(scope="module")
def hierarchy() -> UnitHierarchy:
    return _hierarchy()


# -- helpers -------------------------------------------------------------------------------------


def _column(ws: Any, field_id: str) -> int:
    """1-based column whose header carries ``field_id``."""
    for cell in ws[1]:
        if cell.value and field_id in re.findall(r"[A-Za-z][A-Za-z0-9_]*", str(cell.value)):
            return int(cell.column)
    raise AssertionError(f"no column {field_id} in {[c.value for c in ws[1]]}")


def _set(ws: Any, code: str, year: int, field_id: str, value: Any) -> None:
    """Write a value into the prefilled row of (code, year)."""
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code and row[2].value == year:
            ws.cell(row=row[0].row, column=_column(ws, field_id), value=value)
            return
    raise AssertionError(f"no row for {code} {year}")


def _sheet(wb: Any, domain: str) -> Any:
    return wb[sheet_name(DOMAINS[domain])]


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook written from scratch: sheet name → rows (the first is the header)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _fails(path: Path, hierarchy: UnitHierarchy, **options: Any) -> list[str]:
    with pytest.raises(InputError) as err:
        read_statistics(path, hierarchy, **options)
    return [" ".join(str(p).split()) for p in err.value.problems]


def _one(messages: list[str], *fragments: str) -> str:
    """The single message holding every fragment."""
    found = [m for m in messages if all(f in m for f in fragments)]
    assert len(found) == 1, f"{fragments} in {len(found)} of:\n" + "\n".join(messages)
    return found[0]


POP = "人口_population"
POP_HEADER = ["单位代码 code", "单位名称 name", "年份 year", "常住人口 population (人)"]
GDP_HEADER = [
    "单位代码 code",
    "单位名称 name",
    "年份 year",
    "地区生产总值 gdp (万元)",
    "地区生产总值实际增长率 gdp_real_growth (percent)",
]


# -- the template --------------------------------------------------------------------------------


def test_template_layout(tmp_path, hierarchy):
    written = write_template(tmp_path / "tpl.xlsx", hierarchy, [2021, 2020], region_name="测试省")
    workbook = tmp_path / "tpl.xlsx"
    folder = tmp_path / "tpl_csv"
    assert written == [workbook] + [folder / f"{d}.csv" for d in DOMAINS]
    assert csv_folder_for(workbook) == folder
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET] + [f"{d.name_zh}_{d.id}" for d in DOMAINS.values()]
    assert all(len(name) <= 31 for name in wb.sheetnames)

    text = " ".join(
        str(c) for row in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for c in row
    )
    for fragment in (
        "测试省",
        "2020, 2021",
        "万元 → 元",
        "never 0",
        "切勿填 0",
        "UTF-8 or GBK",
        "one row per unit and year",
        "one row per entry",
        "agricultural_products",
    ):
        assert fragment in text, fragment

    ws = _sheet(wb, "population")
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("单位代码 code", "单位名称 name", "年份 year", "常住人口 population (人)")
    assert [r[:3] for r in rows[1:]] == [
        (code, NAMES[code], year) for year in (2020, 2021) for code in ORDER
    ]
    assert all(r[3] is None for r in rows[1:])
    assert ws.freeze_panes == "D2"
    assert all(cell.font.bold for cell in ws[1])
    assert ws["A2"].number_format == "@"
    assert "resident population" in ws["D1"].comment.text
    assert ws.column_dimensions["D"].width >= 12

    farm = _sheet(wb, "farm_output")
    headers = [c.value for c in farm[1]]
    assert headers[3:] == [f.header for f in DOMAINS["farm_output"].fields]
    assert "(万元)" in headers[3]

    products = _sheet(wb, "products")
    assert products.max_row == 1  # a register: headers only
    assert "示例" in products["A1"].comment.text
    assert "稻谷" in products["A1"].comment.text

    csv_rows = (folder / "population.csv").read_bytes()
    assert csv_rows.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(folder / "population.csv", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == list(rows[0])
    assert list(frame["单位代码 code"]) == ORDER * 2
    assert (folder / "products.csv").read_text(encoding="utf-8-sig").count("\n") == 1


def test_template_is_deterministic(tmp_path, hierarchy):
    first = write_template(tmp_path / "a", hierarchy, [2020], region_name="测试省")
    second = write_template(tmp_path / "b", hierarchy, [2020], region_name="测试省")
    assert first[0] == tmp_path / "a" / "statistics_template.xlsx"
    assert len(first) == len(second) == 1 + len(DOMAINS)
    for a, b in zip(first, second, strict=True):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes(), a.name


def test_template_is_never_overwritten_silently(tmp_path, hierarchy):
    target = tmp_path / "tpl.xlsx"
    write_template(target, hierarchy, [2020], region_name="测试省")
    wb = openpyxl.load_workbook(target)
    _set(_sheet(wb, "population"), "990101", 2020, "population", 1000)
    wb.save(target)
    filled = target.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        write_template(target, hierarchy, [2020], region_name="测试省")
    assert target.read_bytes() == filled
    write_template(target, hierarchy, [2020], region_name="测试省", overwrite=True)
    assert target.read_bytes() != filled
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary file left behind


# -- round trip ----------------------------------------------------------------------------------


def test_round_trip_converts_to_stored_units(tmp_path, hierarchy):
    target = tmp_path / "tpl.xlsx"
    write_template(target, hierarchy, [2020, 2021], region_name="测试省")
    wb = openpyxl.load_workbook(target)
    population = {"990101": 1000, "990102": 2000, "990201": 3000, "990202": 4000}
    for year in (2020, 2021):
        for code, people in population.items():
            _set(_sheet(wb, "population"), code, year, "population", people)
            _set(_sheet(wb, "gdp"), code, year, "gdp", 50000 + people)  # 万元
            _set(_sheet(wb, "water_supply"), code, year, "domestic_water", 120.5)  # 万m3
            _set(_sheet(wb, "tourism"), code, year, "visits", 12)  # 万人次
    _set(_sheet(wb, "population"), "990000", 2020, "population", 10000)
    _set(_sheet(wb, "gdp"), "990101", 2020, "gdp_real_growth", -1.5)
    _set(_sheet(wb, "hydropower"), "990102", 2020, "hydropower", 0)  # a true zero
    # Values that apply to every year: a blank year.
    _sheet(wb, "housing").append(["990101", "县101", None, 25000, 800])
    _sheet(wb, "products").append(
        ["990101", "县101", 2020, "agricultural_products", "稻谷", 125000, "t", 2600]
    )
    _sheet(wb, "products").append(["990101", "县101", 2020, "P3", "生猪", 3000, "head", 1800])
    wb.save(target)

    book, warnings = read_statistics(target, hierarchy)

    pop = book.frames["population"]
    assert list(pop.columns) == ["code", "year", "population"]
    assert str(pop["year"].dtype) == "Int64"
    assert pop["code"].map(type).eq(str).all()
    assert book.statistic("population", 2020) == {
        "990000": 10000.0,
        **{c: float(v) for c, v in population.items()},
    }
    assert book.values("gdp", "gdp", 2021)["990102"] == pytest.approx(52000 * 1e4)  # 万元 → CNY
    assert book.values("gdp", "gdp_real_growth", 2020) == {"990101": -1.5}
    assert book.values("water_supply", "domestic_water", 2020)["990201"] == pytest.approx(
        1.205e6
    )  # 万m3 → m³
    assert book.values("tourism", "visits", 2020)["990202"] == pytest.approx(1.2e5)
    assert np.isnan(book.frames["tourism"]["revenue"]).all()  # blank stays missing, never 0
    assert book.values("hydropower", "hydropower", 2020) == {"990102": 0.0}
    assert book.values("housing", "premium", 2020) == {"990101": 800.0}  # blank year: every year
    assert pd.isna(book.frames["housing"]["year"].iloc[0])

    products = book.frames["products"]
    assert list(products.columns[:3]) == ["code", "year", "product"]
    assert list(products["item"]) == ["agricultural_products", "livestock_products"]
    assert list(products["unit_price"]) == [2600.0, 1800.0]  # 元 → CNY
    assert book.sources["population"] == f"{target} [人口_population]"

    # hydropower has rows for one county only; untouched sheets are reported as empty
    messages = [str(w) for w in warnings]
    _one(messages, "水力发电_hydropower", "no value for 3 of 4 counties", "in 2020", "990101 县101")
    _one(messages, "农林牧渔业产值_farm_output", "holds no values")
    assert not any("人口_population" in m for m in messages)


def test_every_column_of_the_template_is_read(tmp_path, hierarchy):
    """One value in every field of every sheet: every header of the template is understood."""
    target = tmp_path / "tpl.xlsx"
    write_template(target, hierarchy, [2020], region_name="测试省")
    wb = openpyxl.load_workbook(target)
    examples = {"item": "water_supply", "quantity_unit": "t", "part": "total"}
    for domain in DOMAINS.values():
        ws = _sheet(wb, domain.id)
        values = [
            examples.get(f.id, f"{f.id} 1") if f.kind == "text" else 1.5 for f in domain.fields
        ]
        if domain.register:
            ws.append(["990101", "县101", 2020, *values])
        else:
            for field_spec, value in zip(domain.fields, values, strict=True):
                _set(ws, "990101", 2020, field_spec.id, value)
    wb.save(target)
    book, warnings = read_statistics(target, hierarchy, check_magnitudes=False)
    assert set(book.frames) == set(DOMAINS)
    for domain in DOMAINS.values():
        frame = book.frames[domain.id]
        assert len(frame) == 1, domain.id
        assert frame.notna().all().all(), domain.id
        for field_spec in domain.fields:
            if field_spec.kind == "number":
                scale = 1e4 if field_spec.unit.startswith("万") else 1.0
                assert frame[field_spec.id].iloc[0] == pytest.approx(1.5 * scale), field_spec.id
    assert all("no value for" in str(w) for w in warnings)


def test_header_unit_changed_by_the_user_is_converted(tmp_path, hierarchy):
    path = _workbook(
        tmp_path / "s.xlsx",
        {
            "地区生产总值_gdp": [
                ["单位代码 code", "单位名称 name", "年份 year", "地区生产总值 gdp (元)"],
                ["990101", "县101", 2020, 5.2e9],
            ],
            POP: [
                ["code", "year", "population (万人)"],  # Chinese parts dropped
                [990101, 2020, 0.15],
            ],
            "供水量_water_supply": [
                ["code", "year", "生活用水量 domestic_water（立方米）", "industrial_water (亿m3)"],
                ["990101", "2020", 1_500_000, 0.02],
            ],
            "旅游_tourism": [["code", "year", "旅游总收入 revenue (亿元)"], ["990101", 2020, 0.3]],
            "水力发电_hydropower": [
                ["code", "year", "hydropower (万千瓦时)"],
                ["990101", 2020, 80],
            ],
        },
    )
    book, _ = read_statistics(path, hierarchy)
    assert book.values("gdp", "gdp", 2020) == {"990101": pytest.approx(5.2e9)}
    assert book.values("population", "population", 2020) == {"990101": pytest.approx(1500)}
    water = book.rows("water_supply", 2020).iloc[0]
    assert water["domestic_water"] == pytest.approx(1.5e6)
    assert water["industrial_water"] == pytest.approx(2e6)
    assert book.values("tourism", "revenue", 2020)["990101"] == pytest.approx(3e7)
    assert book.values("hydropower", "hydropower", 2020)["990101"] == pytest.approx(8e5)


def test_percent_formatted_cell_is_read_as_percent(tmp_path, hierarchy):
    path = _workbook(
        tmp_path / "s.xlsx", {"地区生产总值_gdp": [GDP_HEADER, ["990101", "", 2020, 500000, 0.055]]}
    )
    wb = openpyxl.load_workbook(path)
    wb["地区生产总值_gdp"]["E2"].number_format = "0.0%"  # shown as 5.5%
    wb.save(path)
    book, _ = read_statistics(path, hierarchy)
    assert book.values("gdp", "gdp_real_growth", 2020) == {"990101": pytest.approx(5.5)}


def test_codes_written_as_numbers_are_text(tmp_path, hierarchy):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "population.csv").write_text(
        "单位代码 code,年份 year,常住人口 population (人)\n990101.0,2020.0,1000\n990102,2020,2000\n",
        encoding="utf-8",
    )
    book, _ = read_statistics(folder, hierarchy)
    assert list(book.frames["population"]["code"]) == ["990101", "990102"]
    assert list(book.frames["population"]["year"]) == [2020, 2020]
    assert book.sources["population"] == str(folder / "population.csv")


def test_gbk_csv_folder_reads_like_utf8(tmp_path, hierarchy):
    lon, lat = _lonlat("990102")
    files = {
        "population.csv": "单位代码 code,单位名称 name,年份 year,常住人口 population (万人)\n"
        "990101,县101,2020,0.1\n990102,县102,2020,0.25\n",
        "reservoirs.csv": "单位代码 code,单位名称 name,年份 year,水库名称 name,坝址经度 lon (degree),"
        "坝址纬度 lat (degree),总库容 total_capacity (万m3),防洪库容 flood_capacity (万m3)\n"
        "990101,县101,,柘林水库,,,1250,320\n"
        f",,,洪门水库,{lon:.6f},{lat:.6f},800,\n",
        "products.csv": "单位代码 code,年份 year,所属核算项目 item,产品名称 product,产量 quantity (),"
        "计量单位 quantity_unit,单价 unit_price (元)\n"
        "990201,2020,农业产品,稻谷,125000,吨,2600\n",
    }
    books = {}
    for encoding in ("utf-8", "gbk"):
        folder = tmp_path / encoding
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_bytes(text.encode(encoding))
        books[encoding] = read_statistics(folder, hierarchy)[0]
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / "gbk" / "reservoirs.csv").read_bytes().decode("utf-8")
    for domain in ("population", "reservoirs", "products"):
        pd.testing.assert_frame_equal(
            books["utf-8"].frames[domain], books["gbk"].frames[domain], check_dtype=True
        )
    reservoirs = books["gbk"].frames["reservoirs"]
    assert list(reservoirs["name"]) == ["柘林水库", "洪门水库"]
    assert list(reservoirs["code"]) == ["990101", "990102"]  # the second placed by its dam
    assert list(reservoirs["total_capacity"]) == [1.25e7, 8e6]  # 万m3 → m³
    assert pd.isna(reservoirs["year"]).all()
    assert books["gbk"].values("population", "population", 2020) == {
        "990101": pytest.approx(1000),
        "990102": pytest.approx(2500),
    }
    assert list(books["gbk"].frames["products"]["item"]) == ["agricultural_products"]
    assert list(books["gbk"].frames["products"]["quantity_unit"]) == ["吨"]


def _lonlat(code: str) -> tuple[float, float]:
    point = gpd.GeoSeries([county_box(code).centroid], crs=CHINA_ALBERS).to_crs("EPSG:4326")
    return float(point.x.iloc[0]), float(point.y.iloc[0])


# -- problems ------------------------------------------------------------------------------------


def test_every_row_problem_is_reported_at_once(tmp_path, hierarchy):
    path = _workbook(
        tmp_path / "stats.xlsx",
        {
            POP: [
                POP_HEADER,
                ["990101", "县101", 2020, 1000],
                ["990999", "某县", 2020, 500],  # row 3: unknown code
                [None, "县102", 2020, 800],  # row 4: no code
                ["990101", "县101", 2020, 1200],  # row 5: repeats row 2
                ["990102", "县102", 2020, "约800"],  # row 6: not a number
                ["990201", "县201", 2020, -3],  # row 7: negative
                ["990202", "县202", "2020年", 100],  # row 8: year not a whole number
                ["990202", "县202", 2020.5, 100],  # row 9: year not a whole number
                ["990202", "县202", 2021, None],  # row 10: prefilled, left blank: fine
            ],
            "地区生产总值_gdp": [
                GDP_HEADER,
                ["990101", "", 2020, 500000, -2.5],  # negative growth is allowed
                ["990102", "", 2020, None, 3.0],  # row 3: required GDP blank
            ],
            "主要产品产量_products": [
                [
                    "单位代码 code",
                    "年份 year",
                    "所属核算项目 item",
                    "产品名称 product",
                    "产量 quantity ()",
                    "计量单位 quantity_unit",
                    "单价 unit_price (元)",
                ],
                ["990101", 2020, "agricultural_products", None, 100, "t", 2600],  # row 2: no key
                ["990101", 2020, "农业产品", "稻谷", 100, "t", 2600],
                ["990101", 2020, "蔬菜产品", "白菜", 100, "t", 900],  # row 4: unknown item
            ],
            "湖泊名录_lakes": [  # the required area column is missing
                ["单位代码 code", "年份 year", "湖泊名称 name"],
                ["990202", None, "某湖"],
            ],
            "供水量_water_supply": [  # a unit that is not a volume
                ["单位代码 code", "年份 year", "生活用水量 domestic_water (kg)"],
                ["990101", 2020, 100],
            ],
        },
    )
    messages = _fails(path, hierarchy)
    sheet = f"{path}, sheet '人口_population'"
    column = "[column D '常住人口 population (人)']"
    assert all(str(path) in m for m in messages)
    _one(messages, sheet, "[column A '单位代码 code']", "row 3", "unit code '990999' is not in")
    _one(messages, sheet, "[column A", "row 4: values but no unit code", "县102 is 990102")
    _one(messages, sheet, "rows 2 and 5 repeat unit 990101 县101, year 2020", "keep one row")
    _one(messages, sheet, column, "row 6 (990102 县102, 2020): '约800' is not a number", "blank")
    _one(messages, sheet, column, "row 7 (990201 县201, 2020): negative value -3")
    _one(
        messages,
        sheet,
        "[column C '年份 year']",
        "row 8 (990202 县202): year '2020年' is not a whole number",
    )
    _one(
        messages,
        sheet,
        "[column C '年份 year']",
        "row 9 (990202 县202): year '2020.5' is not a whole number",
    )
    _one(
        messages,
        "sheet '地区生产总值_gdp' [column D '地区生产总值 gdp (万元)']",
        "row 3 (990102 县102, 2020): 地区生产总值 gdp (GDP) is required but blank",
    )
    _one(
        messages,
        "sheet '主要产品产量_products' [column D '产品名称 product']",
        "row 2 (990101 县101, 2020): the entry has no 产品名称 product",
    )
    _one(
        messages,
        "sheet '主要产品产量_products' [column C '所属核算项目 item']",
        "row 4 (990101 县101, 2020): '蔬菜产品' is not a GEP item",
        "agricultural_products (P1 农业产品)",
    )
    _one(
        messages,
        "sheet '湖泊名录_lakes'",
        "the required column '水面面积 area (km^2)' (water area) is missing",
    )
    _one(
        messages,
        "sheet '供水量_water_supply' [column C '生活用水量 domestic_water (kg)']",
        "the unit 'kg' in the header cannot be converted to m^3",
        "e.g. (万m3)",
    )
    assert len(messages) == 12, "\n".join(messages)


def test_csv_problems_name_the_file_and_line(tmp_path, hierarchy):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "gdp.csv").write_text(
        # an empty line is an empty row in Excel: the bad value is in row 4
        "code,year,gdp (万元)\n990101,2020,500000\n\n990102,2020,—\n",
        encoding="utf-8",
    )
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    messages = _fails(folder, hierarchy)
    assert messages == [
        f"{folder / 'gdp.csv'} [column C 'gdp (万元)']: row 4 (990102 县102, 2020): '—' is not a "
        "number fix: write a plain number in 万元 (no units, words or symbols); leave the cell "
        "blank if the value is unknown"
    ]


def test_missing_code_column_and_duplicate_columns(tmp_path, hierarchy):
    path = _workbook(
        tmp_path / "s.xlsx",
        {
            POP: [["单位名称 name", "年份 year", "常住人口 population (人)"], ["县101", 2020, 1]],
            "地区生产总值_gdp": [
                ["code", "year", "gdp (万元)", "地区生产总值 gdp (亿元)"],
                ["990101", 2020, 1, 2],
            ],
            "population": [POP_HEADER, ["990101", "", 2020, 1000]],  # a second population sheet
        },
    )
    messages = _fails(path, hierarchy)
    _one(messages, "sheets '人口_population' and 'population' both hold 人口 Population")
    _one(messages, "sheet '人口_population'", "the unit-code column '单位代码 code' is missing")
    _one(
        messages,
        "sheet '地区生产总值_gdp' [column D '地区生产总值 gdp (亿元)']",
        "gives the same column as column C 'gdp (万元)'",
    )
    assert len(messages) == 3


def test_register_rows_placed_by_coordinates(tmp_path, hierarchy):
    lon, lat = _lonlat("990201")
    header = [
        "单位代码 code",
        "年份 year",
        "水库名称 name",
        "坝址经度 lon (degree)",
        "坝址纬度 lat (degree)",
        "总库容 total_capacity (万m3)",
    ]
    good = _workbook(
        tmp_path / "good.xlsx",
        {"水库名录_reservoirs": [header, [None, None, "甲水库", lon, lat, 100]]},
    )
    book, _ = read_statistics(good, hierarchy)
    assert list(book.frames["reservoirs"]["code"]) == ["990201"]
    bad = _workbook(
        tmp_path / "bad.xlsx",
        {
            "水库名录_reservoirs": [
                header,
                [None, None, "乙水库", 10.0, 10.0, 100],  # row 2: far away
                [None, None, "丙水库", 400.0, lat, 100],  # row 3: not degrees
                [None, None, "丁水库", lon, None, 100],  # row 4: one coordinate only
                ["990201", None, "甲水库", None, None, 100],
                ["990201", None, "甲水库", None, None, 120],  # row 6: the same reservoir again
            ]
        },
    )
    messages = _fails(bad, hierarchy)
    _one(messages, "row 2 (no unit code): the point (10, 10) lies in none of the units")
    _one(messages, "row 3 (no unit code): (400,", "are not WGS84 degrees")
    _one(messages, "row 4 (no unit code): the entry has neither a unit code nor both")
    _one(messages, "rows 5 and 6 repeat unit 990201 县201", "水库名称 name '甲水库'")
    assert len(messages) == 4


def test_supplied_quantities_are_told_apart_by_item_and_part(tmp_path, hierarchy):
    header = [
        "code",
        "year",
        "核算项目 item",
        "分项 part",
        "数量 quantity ()",
        "单位 quantity_unit",
    ]
    rows = [
        ["990101", 2020, "water_supply", "domestic", 1.2e6, "m^3"],
        ["990101", 2020, "water_supply", "industrial", 3.4e6, "m^3"],
        ["990101", 2020, "水资源", None, 4.6e6, "m^3"],  # the whole item, by its Chinese name
    ]
    good = _workbook(tmp_path / "good.xlsx", {"直接提供的实物量_supplied": [header, *rows]})
    book, _ = read_statistics(good, hierarchy)
    frame = book.frames["supplied"]
    assert list(frame.columns[:4]) == ["code", "year", "item", "part"]
    assert list(frame["part"].fillna("")) == ["domestic", "industrial", ""]
    bad = _workbook(
        tmp_path / "bad.xlsx",
        {
            "直接提供的实物量_supplied": [
                header,
                *rows,
                ["990101", 2020, "P5", "domestic", 1, "m^3"],
            ]
        },
    )
    (message,) = _fails(bad, hierarchy)
    assert "rows 2 and 5 repeat unit 990101 县101, year 2020" in message
    assert "核算项目 item 'water_supply', 分项 part 'domestic'" in message


# -- magnitudes ----------------------------------------------------------------------------------


def test_value_written_in_yuan_among_wan_yuan_is_a_likely_slip(tmp_path, hierarchy):
    rows = [GDP_HEADER[:4]]
    rows += [[c, NAMES[c], 2020, v] for c, v in zip(LEAVES, [400000, 500000, 600000], strict=False)]
    rows.append(["990202", "县202", 2020, 4.8e9])  # row 5: 元 in a 万元 column
    path = _workbook(tmp_path / "s.xlsx", {"地区生产总值_gdp": rows})
    (message,) = _fails(path, hierarchy)
    assert message.startswith(
        f"{path}, sheet '地区生产总值_gdp' [column D '地区生产总值 gdp (万元)']: row 5 (990202 县202, "
        "2020): 4.8×10⁹ 万元 is 8.7×10³ times the median of the counties (县) in 2020 "
        "(550000 万元)"
    ), message
    assert "makes 3×10¹² CNY per km², above the plausible 10⁴–10¹¹ CNY per km²" in message
    assert "was it written in 元 instead of 万元?" in message
    assert "fix: write the value in 万元 (divide by 10⁴)" in message
    assert "change the header's unit to (元)" in message
    book, _ = read_statistics(path, hierarchy, check_magnitudes=False)
    assert book.values("gdp", "gdp", 2020)["990202"] == pytest.approx(4.8e13)


def test_whole_column_in_the_wrong_unit_is_caught_by_the_typical_range(tmp_path, hierarchy):
    rows = [POP_HEADER] + [[c, NAMES[c], 2020, 0.1] for c in LEAVES]  # 万人 written as 人
    path = _workbook(tmp_path / "s.xlsx", {POP: rows})
    messages = _fails(path, hierarchy)
    assert len(messages) == 4
    message = _one(messages, "row 2 (990101 县101, 2020)")
    assert (
        "0.1 人 makes 0.00625 person per km², below the plausible 1–10⁵ person per km²" in message
    )
    assert "was it written in 万人 instead of 人?" in message
    assert "multiply by 10⁴" in message


def test_per_person_range_uses_the_population_sheet(tmp_path, hierarchy):
    path = _workbook(
        tmp_path / "s.xlsx",
        {
            POP: [POP_HEADER] + [[c, NAMES[c], 2020, 1000] for c in LEAVES],
            "旅游_tourism": [
                ["code", "year", "接待游客人次 visits (万人次)"],
                ["990101", 2020, 50],
                ["990102", 2020, 60],
                ["990201", 2020, 70],
                ["990202", 2020, 650000],  # row 5: 人次 in a 万人次 column
            ],
        },
    )
    (message,) = _fails(path, hierarchy)
    assert "sheet '旅游_tourism'" in message
    assert "row 5 (990202 县202, 2020)" in message
    assert "makes 6.5×10⁶ visit per inhabitant, above the plausible 0.01–1000" in message
    assert "was it written in 人次 instead of 万人次?" in message
    # without population the per-person range is skipped; the median still catches the slip
    path.unlink()
    path = _workbook(
        tmp_path / "s.xlsx",
        {"旅游_tourism": [["code", "year", "visits (万人次)"], *_rows([50, 60, 70, 650000])]},
    )
    (message,) = _fails(path, hierarchy)
    assert "per inhabitant" not in message
    assert "times the median of the counties" in message
    assert "人次 instead of 万人次" in message


def _rows(values: list[float], year: int = 2020) -> list[list[Any]]:
    return [[c, year, v] for c, v in zip(LEAVES, values, strict=True)]


# -- warnings ------------------------------------------------------------------------------------


def test_warnings_are_returned_not_raised(tmp_path, hierarchy):
    path = _workbook(
        tmp_path / "s.xlsx",
        {
            INSTRUCTIONS_SHEET: [["说明"]],
            POP: [POP_HEADER] + [[c, NAMES[c], 2020, 1000] for c in LEAVES[:3]],
            "地区生产总值_gdp": [GDP_HEADER, ["990101", "县101", 2020, None, None]],
            "备注": [["随便写点什么"]],
            "污染物排放_emissions": [
                ["code", "year", "二氧化硫 so2 (t)", "备注 remarks", None, "so2 or nox (t)"],
                ["990101", 2020, 12.5, "估计值", "x", 3],
            ],
        },
    )
    book, warnings = read_statistics(path, hierarchy)
    messages = [" ".join(str(w).split()) for w in warnings]
    _one(
        messages,
        "sheet '人口_population'",
        "no value for 1 of 4 counties (县) in 2020 (990202 县202)",
    )
    _one(messages, "sheet '地区生产总值_gdp'", "holds no values")
    _one(messages, "sheet '备注'", "is not a statistics sheet", "ignored")
    _one(messages, "[column D '备注 remarks']", "is not a column of this sheet: ignored")
    _one(messages, "[column E]", "has values but no header: ignored")
    _one(messages, "[column F 'so2 or nox (t)']", "names several columns (so2, nox): ignored")
    _one(messages, "污染物排放_emissions", "no value for 3 of 4 counties")
    assert not any(INSTRUCTIONS_SHEET in m for m in messages)
    assert set(book.frames) == {"population", "emissions"}


def test_csv_folder_warnings(tmp_path, hierarchy):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "population.csv").write_text(
        "code,year,population,\n" + "".join(f"{c},2020,1000,\n" for c in LEAVES), encoding="utf-8"
    )
    (folder / "gdp.csv").write_bytes(b"\xef\xbb\xbf")  # saved empty
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / "README.txt").write_text("not a table", encoding="utf-8")
    book, warnings = read_statistics(folder, hierarchy)
    messages = [" ".join(str(w).split()) for w in warnings]
    _one(messages, "gdp.csv", "holds no values")
    _one(messages, "notes.csv", "is not a statistics table of the template", "ignored")
    assert len(messages) == 2, messages
    assert set(book.frames) == {"population"}


def test_unreadable_inputs(tmp_path, hierarchy):
    assert "not found" in _fails(tmp_path / "missing.xlsx", hierarchy)[0]
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert "Excel Workbook (*.xlsx)" in _fails(old, hierarchy)[0]
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")
    assert "is not a readable Excel workbook" in _fails(broken, hierarchy)[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no CSV file" in _fails(empty, hierarchy)[0]


# -- CLI -----------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_template(region, tmp_path):
    config = region()
    out = tmp_path / "out" / "模板.xlsx"
    result = runner.invoke(
        app, ["template", str(config), "--year", "2020", "--year", "2021", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Template written" in output
    assert "7 units" in output
    assert "2020, 2021" in output
    assert out.is_file()
    assert sorted(p.name for p in (tmp_path / "out" / "模板_csv").iterdir()) == sorted(
        f"{d}.csv" for d in DOMAINS
    )
    wb = openpyxl.load_workbook(out)
    assert _sheet(wb, "population").max_row == 1 + 7 * 2

    # the written template reads back once filled in, with the hierarchy of the same config
    hierarchy = read_hierarchy(load_config(config))
    _set(_sheet(wb, "population"), "990101", 2021, "population", 1000)
    wb.save(out)
    book, _ = read_statistics(out, hierarchy)
    assert book.statistic("population", 2021) == {"990101": 1000.0}

    # default: beside the config, for the config's years
    result = runner.invoke(app, ["template", str(config)])
    assert result.exit_code == 0, result.output
    default = config.parent / "statistics_template.xlsx"
    assert default.is_file()
    assert (config.parent / "statistics_template_csv").is_dir()
    assert _sheet(openpyxl.load_workbook(default), "population").max_row == 1 + 7

    # a second run does not overwrite the (possibly filled-in) template
    result = runner.invoke(app, ["template", str(config)])
    assert result.exit_code == 2
    assert "already exists" in " ".join(result.output.split())
    result = runner.invoke(app, ["template", str(config), "--overwrite"])
    assert result.exit_code == 0, result.output


def test_cli_template_missing_config(tmp_path):
    result = runner.invoke(app, ["template", str(tmp_path / "nowhere.toml")])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "config file not found" in output
    assert "Nothing was written" in output
    assert not list(tmp_path.iterdir())


def test_cli_template_bad_units_file(region, tmp_path):
    config = region()
    (config.parent / "units.gpkg").unlink()
    result = runner.invoke(app, ["template", str(config)])
    assert result.exit_code == 2
    assert "units file not found" in " ".join(result.output.split())
    assert not (config.parent / "statistics_template.xlsx").exists()
