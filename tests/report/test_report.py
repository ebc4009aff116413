"""The GEP accounting report (``gep report``, ``gep demo``): files, pages, figures, provenance.

The demo's report is written once per session by ``gep demo`` (fixture ``demo_run_dir`` of
tests/conftest.py writes it into ``<run>/report``); the tests read it.  Every printed figure is
a record of report_data.json with a source (file, rows, column, how combined): the tests
evaluate each source again on the CSV files, with their own code, and find each record's display
string in the HTML.  A tiny hand-made run folder (tests/decisions/fake_run.py) checks that a run
of one year without the optional tables still gives a report.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.report import formatting as fmt
from gepkit.report.data import RunTables, build
from gepkit.report.i18n import ITEM_TEXT, unit_label

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "decisions"))
from fake_run import FakeUnit, write_run

LANGS = ("zh", "en")
NAMES = ("report_zh.html", "report_zh.pdf", "report_en.html", "report_en.pdf", "report_data.json")


@pytest.fixture(scope="module")
def report_dir(demo_run_dir: Path) -> Path:
    folder = demo_run_dir / "report"
    assert folder.is_dir(), "gep demo writes the report by default"
    return folder


@pytest.fixture(scope="module")
def report_data(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "report_data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def html(report_dir: Path) -> dict[str, str]:
    return {
        lang: (report_dir / f"report_{lang}.html").read_text(encoding="utf-8") for lang in LANGS
    }


def _poppler() -> None:
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext) not installed")


# -- the files ----------------------------------------------------------------------------------


def test_demo_writes_both_languages_and_formats(report_dir: Path) -> None:
    for name in NAMES:
        path = report_dir / name
        assert path.is_file(), name
        assert path.stat().st_size > 10_000, name
    assert not [p for p in report_dir.parent.iterdir() if p.name.startswith(".report.")]
    for lang in LANGS:
        assert (report_dir / f"report_{lang}.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_pages_are_not_blank_and_carry_text(
    report_dir: Path, tmp_path: Path, lang: str
) -> None:
    from PIL import Image

    _poppler()
    pdf = report_dir / f"report_{lang}.pdf"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 20  # cover, contents, 14 sections, maps, method notes
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype="float64")
        assert pixels.std() > 3.0, f"{page.name} looks blank"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "GEP" in text
    if lang == "zh":
        for words in ("江西省", "生态产品总值", "亿元", "演示数据", "方法说明", "水源涵养"):
            assert words in text, words
    else:
        for words in ("Jiangxi", "Gross Ecosystem Product", "CNY billion", "DEMO DATA"):
            assert words in text, words
    # the running footer flags the demo on every page but the cover
    flag = "演示数据" if lang == "zh" else "DEMO DATA"
    per_page = text.split("\f")
    assert all(flag in page for page in per_page[1:] if page.strip())


def test_chinese_font_is_embedded(report_dir: Path) -> None:
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts not installed")
    fonts = subprocess.run(
        ["pdffonts", str(report_dir / "report_zh.pdf")], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line or "Hei" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk)  # embedded


# -- every figure traces back to the run -----------------------------------------------------------


class _Records(HTMLParser):
    """The text of every <span data-r="ID"> (nested spans included) and of every numeric cell."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, list[str]] = {}
        self.open: list[tuple[str | None, list[str]]] = []
        self.cells: list[tuple[str, bool]] = []
        self.cell: list[str] | None = None
        self.cell_has_record = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "span":
            self.open.append((found.get("data-r"), []))
            if found.get("data-r") and self.cell is not None:
                self.cell_has_record = True
        if tag == "td" and "num" in (found.get("class") or "").split():
            self.cell, self.cell_has_record = [], False

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.open:
            rid, text = self.open.pop()
            if rid:
                self.records.setdefault(rid, []).append("".join(text))
        if tag == "td" and self.cell is not None:
            self.cells.append(("".join(self.cell).strip(), self.cell_has_record))
            self.cell = None

    def handle_data(self, data: str) -> None:
        for _, text in self.open:
            text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def _parse(page: str) -> _Records:
    parser = _Records()
    parser.feed(page)
    return parser


_CSV: dict[tuple[str, str], pd.DataFrame] = {}
_MASKS: dict[tuple[str, str, str, tuple[str, ...]], np.ndarray] = {}


def _table(run: Path, name: str) -> pd.DataFrame:
    key = (str(run), name)
    if key not in _CSV:
        _CSV[key] = pd.read_csv(run / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return _CSV[key]


def _mask(run: Path, name: str, column: str, values: tuple[str, ...]) -> np.ndarray:
    """Rows of a CSV whose column is one of the values (as written), cached."""
    key = (str(run), name, column, values)
    if key not in _MASKS:
        _MASKS[key] = _table(run, name)[column].isin(values).to_numpy()
    return _MASKS[key]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evaluate(source: dict[str, Any], run: Path, manifest: dict[str, Any]) -> float:
    """The figure a source describes, worked out from the files as written (strings compared
    as they appear in the CSV) — independently of gepkit.report.data."""
    if source["file"] == "manifest.json":
        value: Any = manifest
        for key in source["column"].split("/"):
            value = value[int(key)] if isinstance(value, list) else value[key]
        result = float(value)
    else:
        frame = _table(run, source["file"])
        mask = np.ones(len(frame), dtype=bool)
        for column, wanted in source["filter"].items():
            values = wanted if isinstance(wanted, list) else [wanted]
            mask &= _mask(run, source["file"], column, tuple(_as_text(v) for v in values))
        rows = frame[mask]
        numbers = pd.to_numeric(
            rows[source["column"]].replace({"True": "1", "False": "0"}), errors="coerce"
        )
        agg = source["agg"]
        if agg == "one":
            assert len(rows) == 1, source
            result = float(numbers.iloc[0])
        elif agg == "sum":
            result = float(numbers.sum()) if len(rows) else 0.0
        elif agg == "count":
            result = float(len(rows))
        elif agg == "max":
            result = float(numbers.max())
        elif agg == "rank":
            mine = rows
            for column, wanted in source["rank_of"].items():
                mine = mine[mine[column] == _as_text(wanted)]
            assert len(mine) == 1, source
            target = float(pd.to_numeric(mine[source["column"]]).iloc[0])
            result = float(1 + (numbers > target).sum())
        else:
            raise AssertionError(f"unknown aggregation {agg}")
    if source.get("divide_by"):
        result = result / evaluate(source["divide_by"], run, manifest)
    return (result + source.get("offset", 0.0)) * source.get("factor", 1.0)


_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def parse_display(display: str) -> float:
    text = display.replace(",", "").replace("−", "-").replace("%", "").replace("+", "").strip()
    if "× 10" in text:
        mantissa, exponent = text.split("× 10")
        return float(mantissa) * 10 ** int(exponent.strip().translate(_SUPER))
    return float(text)


def _consistent(record: dict[str, Any]) -> bool:
    """The display string says the value, rounded as the record states."""
    value, display, style = record["value"], record["display"], record["style"]
    if display.startswith("<"):
        return 0 < abs(value) < 5e-5
    shown = parse_display(display)
    if style == "sci":
        return math.isclose(shown, value, rel_tol=6e-3)
    if style in ("rank", "count"):
        return shown == round(value)
    half = 0.5 * 10 ** -record["digits"] * record["scale"]
    return abs(shown * record["scale"] - value) <= half * (1 + 1e-9) + 1e-12 * abs(value)


@pytest.mark.parametrize("lang", LANGS)
def test_every_printed_figure_is_traced_to_the_run(
    demo_run_dir: Path, report_data: dict[str, Any], html: dict[str, str], lang: str
) -> None:
    manifest = json.loads((demo_run_dir / "manifest.json").read_text(encoding="utf-8"))
    data = report_data["languages"][lang]
    records = {r["id"]: r for r in data["records"]}
    assert len(records) > 500
    printed = _parse(html[lang]).records
    files = set()
    for rid, record in records.items():
        source = record["source"]
        assert source is not None, record
        files.add(source["file"])
        expected = evaluate(source, demo_run_dir, manifest)
        assert math.isclose(record["value"], expected, rel_tol=1e-9, abs_tol=1e-9), (
            record,
            expected,
        )
        assert _consistent(record), record
        # printed where the report says, with exactly that text
        assert rid in printed, f"{rid} ({record['display']}) is not in report_{lang}.html"
        assert set(printed[rid]) == {record["display"]}, (rid, printed[rid])
    assert not set(printed) - set(records), "a printed figure without a record"
    assert {"summary.csv", "accounts.csv", "components.csv", "extent.csv"} <= files
    assert {"by_ecosystem.csv", "change.csv", "manifest.json", "checks.csv"} <= files


@pytest.mark.parametrize("lang", LANGS)
def test_every_number_in_a_table_is_a_record(html: dict[str, str], lang: str) -> None:
    cells = _parse(html[lang]).cells
    assert len(cells) > 1000
    loose = [text for text, traced in cells if not traced]
    figures = [
        t
        for t in loose
        if re.fullmatch(r"[−+<]?[\d,]+(\.\d+)?%?( × 10\S+)?", t)
        and not re.fullmatch(r"(19|20)\d\d", t)  # a price year is a label, not a figure
    ]
    assert not figures, figures[:10]
    assert sum(traced for _, traced in cells) > 0.9 * len(cells)


def test_headline_figures_against_summary_and_accounts(
    demo_run_dir: Path, report_data: dict[str, Any], html: dict[str, str]
) -> None:
    summary = pd.read_csv(demo_run_dir / "summary.csv", dtype={"unit_code": str})
    accounts = pd.read_csv(demo_run_dir / "accounts.csv", dtype={"unit_code": str})
    province = summary[(summary["unit_code"] == "360000") & (summary["year"] == 2020)].iloc[0]
    # zh: 亿元 with two decimals; en: CNY billion
    assert f"{province['gep'] / 1e8:,.2f}" in html["zh"]
    assert f"{province['gep'] / 1e9:,.2f}" in html["en"]
    assert f"{province['gep_gdp_ratio']:.2f}" in html["zh"]
    assert f"{province['gep_per_km2'] / 1e4:,.2f}" in html["zh"]
    assert f"{province['real_gep_growth'] * 100:.1f}%".replace("-", "−") in html["en"]
    climate = accounts[
        (accounts["unit_code"] == "360000")
        & (accounts["year"] == 2020)
        & (accounts["item"] == "climate_regulation")
        & (accounts["price_basis"] == "current")
    ]["value"].iloc[0]
    assert f"{climate / 1e8:,.2f}" in html["zh"]
    # the summary's GEP record of the province points at summary.csv
    zh = report_data["languages"]["zh"]["records"]
    gep = [
        r
        for r in zh
        if r["source"]["file"] == "summary.csv"
        and r["source"]["column"] == "gep"
        and r["source"]["filter"] == {"year": 2020, "unit_code": "360000"}
        and r["source"]["divide_by"] is None
    ]
    assert gep
    assert all(math.isclose(r["value"], province["gep"], rel_tol=1e-12) for r in gep)


# -- flags ------------------------------------------------------------------------------------------


def test_parameters_tagged_k_are_marked_and_listed(
    demo_run_dir: Path, html: dict[str, str], report_data: dict[str, Any]
) -> None:
    manifest = json.loads((demo_run_dir / "manifest.json").read_text(encoding="utf-8"))
    k_values = [e for e in manifest["to_be_confirmed"] if e["confidence"] == "K"]
    assert k_values, "the demo uses [K] values"
    for lang in LANGS:
        page = html[lang]
        assert '<span class="tag k">[K]※</span>' in page
        assert "※" in page.split('class="toc"')[0] or "※" in page
        for entry in k_values:
            assert entry["what"] in page, entry["what"]
    # the list of values to be confirmed is a table of the quality section, every [K] row marked
    zh = report_data["languages"]["zh"]
    quality = next(s for s in zh["sections"] if s["key"] == "quality")
    tbc = next(b for b in quality["blocks"] if b.get("key") == "T10f")
    tags = [
        cell["tag"]
        for row in tbc["rows"]
        for cell in row["cells"]
        if isinstance(cell, dict) and "tag" in cell
    ]
    assert tags.count("K") == len(k_values)
    marked = [
        cell
        for row in tbc["rows"]
        for cell in row["cells"]
        if isinstance(cell, dict) and cell.get("tag") == "K"
    ]
    assert all(cell["marked"] for cell in marked)
    assert "※" in zh["sections"][6]["blocks"][0]["notes"][1]  # prices: what ※ means


def test_demo_data_is_flagged_on_the_cover_and_in_the_footer(html: dict[str, str]) -> None:
    zh, en = html["zh"], html["en"]
    cover = zh.split('<nav class="toc">')[0]
    assert "演示数据" in cover
    assert "DEMO ACCOUNT" in cover
    assert "DEMO ACCOUNT" in en.split('<nav class="toc">')[0]
    assert re.search(r"@bottom-left \{ content: \"gepkit [^\"]*演示数据", zh)
    assert re.search(r"@bottom-left \{ content: \"gepkit [^\"]*DEMO DATA", en)


def test_html_is_self_contained(html: dict[str, str]) -> None:
    for page in html.values():
        for attribute in re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page):
            assert not re.match(r"(https?:)?//", attribute), attribute
            assert attribute.startswith(("data:", "#")), attribute
        for target in re.findall(r"url\(([^)]*)\)", page):
            assert not re.search(r"https?:|//", target), target
        for tag in ("<link", "<script", "@import"):
            assert tag not in page
        assert page.count('src="data:image/') >= 8  # charts and maps inline


def test_report_covers_the_table_set(report_data: dict[str, Any], html: dict[str, str]) -> None:
    zh = report_data["languages"]["zh"]
    keys = {s["key"] for s in zh["sections"]}
    assert {"summary", "headline", "extent", "system", "quantity", "prices", "values"} <= keys
    assert {"ecosystem", "units", "change", "maps", "quality", "methods"} <= keys
    blocks = {b.get("key") for s in zh["sections"] for b in s["blocks"]}
    for key in ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T7b", "T7c", "T8", "T9", "T10"):
        assert key in blocks, key
    maps = [b for s in zh["sections"] for b in s["blocks"] if b["kind"] == "map"]
    assert {m["map"] for m in maps} == {"value", "choropleth"}
    assert any(
        b["kind"] == "chart" and b["chart"] == "time_series"
        for s in zh["sections"]
        for b in s["blocks"]
    )
    # a method note for every item of the run, with its formula
    notes = [b for s in zh["sections"] for b in s["blocks"] if b["kind"] == "item_note"]
    assert len(notes) == 14
    assert all(n["note"] for n in notes)
    assert all(n["formulas"] for n in notes)
    assert "水量平衡法" in html["zh"]
    assert "RUSLE" in html["zh"]


def test_method_notes_cover_the_catalogue() -> None:
    from gepkit.catalogue.items import ITEMS

    assert set(ITEMS) <= set(ITEM_TEXT)
    for item, text in ITEM_TEXT.items():
        for part in (text.note_zh, text.note_en, text.formulas, text.indicator_zh):
            assert part, item
        assert re.search(r"[\u4e00-\u9fff]", text.note_zh), item


# -- the command -----------------------------------------------------------------------------------


def test_report_command_one_language_and_format(demo_run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "only-en"
    result = CliRunner().invoke(
        app, ["report", str(demo_run_dir), "--lang", "en", "--format", "html", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report_data.json", "report_en.html"]
    data = json.loads((out / "report_data.json").read_text(encoding="utf-8"))
    assert list(data["languages"]) == ["en"]
    assert data["run"]["demo"] is True


def test_report_command_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "not a run folder" in result.output
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--lang", "fr"])
    assert result.exit_code == 2
    assert "'fr' is not a report language" in result.output
    assert not (tmp_path / "report").exists()


def test_report_without_a_cjk_font_says_how_to_fix_it(
    demo_run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gepkit.report import fonts

    def missing() -> str:
        raise fonts.FontMissingError()

    monkeypatch.setattr(fonts, "cjk_font_family", missing)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", str(demo_run_dir), "--out", str(out)])
    assert result.exit_code == 2
    assert "fonts-noto-cjk" in result.output
    assert "Nothing was written" in result.output
    assert not out.exists()


def test_a_failed_report_leaves_nothing(
    demo_run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gepkit.report import pdf

    def broken(html: str, path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    from gepkit.report import render
    from gepkit.report.render import write_report

    monkeypatch.setattr(pdf, "write_pdf", broken)
    monkeypatch.setattr(render, "draw_figures", lambda data, results: {})  # not under test
    out = tmp_path / "report"

    with pytest.raises(RuntimeError, match="disk full"):
        write_report(demo_run_dir, langs=["en"], formats=["pdf"], out=out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# -- a small run of one year --------------------------------------------------------------------------


def _small_run(folder: Path) -> Path:
    units = [
        FakeUnit("990000", "测试省", "province", area_km2=30.0),
        FakeUnit(
            "990100",
            "甲市",
            "city",
            "990000",
            area_km2=10.0,
            items={2020: {"agricultural_products": 2e8, "water_conservation": 5e8}},
            gdp={2020: 4e8},
        ),
        FakeUnit(
            "990200",
            "乙市",
            "city",
            "990000",
            area_km2=20.0,
            items={2020: {"agricultural_products": 1e8, "recreation": 3e8}},
            gdp={2020: 6e8},
        ),
    ]
    return write_run(folder, units, years=(2020,), base_year=2020, demo=True)


def test_a_run_of_one_year_without_optional_tables(tmp_path: Path) -> None:
    from gepkit.decisions.run_results import RunResults
    from gepkit.report.render import render_html

    run = _small_run(tmp_path / "run")
    tables = RunTables.load(RunResults.load(run))
    for lang in LANGS:
        data = build(tables, lang, generated="2026-01-01")
        keys = [s.key for s in data.sections]
        assert "change" not in keys  # one year: no change table
        assert "units" in keys
        page = render_html(data, {}, font="Noto Sans CJK SC")
        for record in data.records.values():
            assert record.display in page
        gep = next(r for r in data.records.values() if r.source and r.source.column == "gep")
        assert gep.value == pytest.approx(11e8)
    zh = build(tables, "zh", generated="2026-01-01")
    assert "11.00" in render_html(zh, {}, font=None)  # 11 亿元


# -- formatting -------------------------------------------------------------------------------------


def test_money_and_quantities_are_scaled_for_each_language() -> None:
    assert fmt.money_scale([7.8e12], "zh", billions=True) == (1e8, "亿元")
    assert fmt.money_scale([5e7], "zh", billions=True) == (1e4, "万元")
    assert fmt.money_scale([7.8e12], "en", billions=True) == (1e9, "CNY billion")
    assert fmt.money_scale([5e8], "en", billions=True) == (1e6, "CNY million")
    assert fmt.money_scale([7.8e12], "en") == (1e6, "CNY million")  # the parcel summary's
    assert fmt.quantity_scale([1.18e11], "zh") == (1e8, "亿")
    assert fmt.quantity_scale([1.07e13], "zh") == (1e12, "万亿")
    assert fmt.quantity_scale([8.07e5], "zh") == (1e4, "万")
    assert fmt.quantity_scale([1.18e11], "en") == (1e9, "billion")
    assert fmt.quantity_scale([1.36e26], "en") == (0.0, "")
    assert fmt.share(0.711) == "71.1%"
    assert fmt.share(0.0064) == "0.64%"
    assert fmt.share(0.00001) == "<0.01%"
    assert fmt.growth(-0.0561) == "−5.6%"
    assert fmt.growth(0.038) == "+3.8%"
    assert fmt.scientific(5.8185e-18) == "5.82 × 10⁻¹⁸"
    assert fmt.scientific(1.356e26) == "1.36 × 10²⁶"
    assert fmt.plain(0.108) == "0.108"
    assert fmt.plain(2800.0) == "2,800"
    assert fmt.signed_number(-29.1, 2) == "−29.10"
    assert unit_label("CNY/m^3", "zh") == "元/m³"
    assert unit_label("CNY/tCO2", "en") == "CNY/t CO₂"
    assert unit_label("1/cm^3", "zh") == "个/cm³"
    assert unit_label("visit", "zh") == "人次"


def test_several_top_level_units_are_summed(tmp_path: Path) -> None:
    """Two counties side by side, no parent: the region is their sum, rates are ratios of
    sums, and every figure still evaluates from the files."""
    from gepkit.decisions.run_results import RunResults
    from gepkit.report.render import render_html

    units = [
        FakeUnit(
            "990101",
            "甲县",
            "county",
            area_km2=10.0,
            items={
                2019: {"water_conservation": 4e8, "recreation": 1e8},
                2020: {"water_conservation": 5e8, "recreation": 1e8},
            },
            gdp={2019: 2e8, 2020: 2.2e8},
        ),
        FakeUnit(
            "990102",
            "乙县",
            "county",
            area_km2=30.0,
            items={
                2019: {"water_conservation": 6e8, "recreation": 3e8},
                2020: {"water_conservation": 6e8, "recreation": 2e8},
            },
            gdp={2019: 3e8, 2020: 3.1e8},
        ),
    ]
    run = write_run(tmp_path / "run", units)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    data = build(RunTables.load(RunResults.load(run)), "en", generated="2026-01-01")
    page = render_html(data, {}, font=None)
    for record in data.records.values():
        assert record.source is not None
        source = json.loads(json.dumps(record.source, default=lambda o: o.__dict__))
        expected = evaluate(source, run, manifest)
        assert math.isclose(record.value, expected, rel_tol=1e-9, abs_tol=1e-9), record
        assert record.display in page
    gep = [r for r in data.records.values() if r.display == "1.40"]  # CNY billion, 2020
    assert gep
    growth = [r for r in data.records.values() if r.style == "growth"]
    # GEP at constant prices 1.4 → 1.4 billion: +0.0 %; water conservation 1.0 → 1.1: +10 %
    assert any(math.isclose(r.value, 0.1, rel_tol=1e-12) for r in growth)
    assert all(-1 < r.value < 1 for r in growth)


def test_run_with_report_on_the_synthetic_region(
    region: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``gep run --report``: the account, then its report; not a demo, so no demo flag.  (The
    PDF engine is stubbed here: the demo's PDFs are checked above.)"""
    from gepkit.report import pdf

    monkeypatch.setattr(pdf, "write_pdf", lambda html, path: path.write_bytes(b"%PDF-stub"))
    config = region(years=(2020, 2021))
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(config), "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    assert "Report written to" in result.output
    assert sorted(p.name for p in (out / "report").iterdir()) == sorted(NAMES)
    zh = (out / "report" / "report_zh.html").read_text(encoding="utf-8")
    assert "演示数据" not in zh
    assert "DEMO" not in (out / "report" / "report_en.html").read_text(encoding="utf-8")
    data = json.loads((out / "report" / "report_data.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for record in data["languages"]["zh"]["records"]:
        expected = evaluate(record["source"], out, manifest)
        assert math.isclose(record["value"], expected, rel_tol=1e-9, abs_tol=1e-9), record
