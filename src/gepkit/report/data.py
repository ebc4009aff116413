"""What the accounting report shows, built from a run folder: :class:`ReportData`.

Pure: a :class:`~gepkit.decisions.run_results.RunResults` (and the folder's other CSVs) in, a
JSON-serialisable structure out — no HTML, no figures drawn.  Every figure the report prints is
a :class:`Num` record with its value, its display string, its unit and a :class:`Source` naming
the file, the rows (a filter on columns) and the column it comes from, and how the rows are
combined (one row, a sum, a count, the largest, a rank, a ratio of two sources).  The value is
*evaluated* from that description, so a record cannot describe one thing and print another;
``report_data.json`` holds every record, and the tests evaluate each one again on the CSV files.

The sections follow the table set T1–T11 of the methods catalogue §3.5 (docs/report.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gepkit.report import i18n
from gepkit.report.formatting import (
    digits_for,
    growth,
    money_scale,
    needs_scientific,
    plain,
    plain_digits,
    quantity_scale,
    scientific,
    share,
    share_digits,
    signed_number,
)
from gepkit.report.i18n import level_name, t, unit_label

if TYPE_CHECKING:
    from gepkit.decisions.run_results import RunResults

CATEGORIES = ("provisioning", "regulating", "cultural")
#: The files a report reads besides the ones RunResults loads.
OPTIONAL_FILES = (
    "extent.csv",
    "components.csv",
    "by_ecosystem.csv",
    "parts.csv",
    "gaps.csv",
    "checks.csv",
)
_ZH_NUMERALS = "〇一二三四五六七八九十"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: rows of ``file`` selected by ``filter`` (column → value, or a
    list of values), combined by ``agg`` over ``column``:

    * ``one`` — the single matching row's value; ``sum``, ``count``, ``max`` over the rows;
    * ``rank`` — the rank (1 = largest) of the row matching ``rank_of`` among the rows;
    * with ``divide_by``, the ratio of this figure to another one; then ``offset`` is added (−1
      for a growth rate) and the result multiplied by ``factor`` (−1 for a decline printed
      without its sign).

    For ``manifest.json`` the column is a path of keys and list indices (``items/soil_retention/
    parameters_and_prices/3/value``) and there is no filter."""

    file: str
    column: str
    filter: dict[str, Any] = field(default_factory=dict)
    agg: str = "one"
    rank_of: dict[str, Any] | None = None
    divide_by: Source | None = None
    offset: float = 0.0
    factor: float = 1.0


@dataclass(frozen=True)
class Num:
    """A printed figure: ``display`` is ``value / scale`` with ``digits`` decimals (style
    ``fixed``), a percentage (``percent``, ``growth``: scale 0.01), a value as written
    (``plain``, ``sci``) or an integer (``rank``, ``count``)."""

    id: str
    value: float
    display: str
    unit: str
    style: str
    scale: float
    digits: int
    source: Source | None


@dataclass(frozen=True)
class Tag:
    """A confidence tag ([V], [V*], [S], [K], [D]); [K] carries the mark ※."""

    tag: str

    @property
    def marked(self) -> bool:
        return self.tag == "K"


Cell = str | Num | Tag | list[str | Num]
"""A table cell: text, a figure, a confidence tag, or text and figures in a row."""


@dataclass
class Column:
    label: str
    num: bool = False
    width: str = ""
    unit: str = ""
    """A second header line (the column's unit)."""
    nowrap: bool = False
    css: str = ""
    """Class of the column's cells (``file``: long names broken anywhere)."""


@dataclass
class Row:
    cells: list[Cell]
    kind: str = ""
    """``""``, ``group`` (a class heading), ``sub`` (a part or sub-class), ``total``."""
    span: bool = False
    """The one cell spans the whole row (a heading inside the table)."""


@dataclass
class Table:
    key: str
    number: int
    title: str
    columns: list[Column]
    rows: list[Row]
    unit: str = ""
    notes: list[str] = field(default_factory=list)
    wide: bool = False
    """Printed on a landscape page."""
    long: bool = False
    """Expected to run over several pages (header repeated)."""
    small: bool = False
    keep: bool = False
    """Short enough to be kept on one page."""
    kind: str = "table"


@dataclass
class Chart:
    key: str
    number: int
    chart: str
    """``composition``, ``ranking`` or ``time_series`` (gepkit.report.figures)."""
    title: str
    unit_label: str
    labels: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    highlight: list[str] = field(default_factory=list)
    top: int = 20
    years: list[int] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)
    caption: str = ""
    kind: str = "chart"


@dataclass
class MapFigure:
    key: str
    number: int
    map: str
    """``value`` (a raster of the run's maps/) or ``choropleth`` (units)."""
    title: str
    legend_label: str
    raster: str = ""
    """Path of the raster relative to the run folder."""
    scale: float = 1.0
    """Factor from the raster's values to the legend's unit."""
    codes: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    labels: bool = False
    caption: str = ""
    kind: str = "map"


@dataclass
class Para:
    parts: list[str | Num]
    kind: str = "para"
    style: str = ""


@dataclass
class Bullets:
    items: list[list[str | Num]]
    kind: str = "bullets"
    style: str = ""


@dataclass
class Card:
    label: str
    num: Num | None
    unit: str
    text: str = ""


@dataclass
class Cards:
    cards: list[Card]
    kind: str = "cards"


@dataclass
class Facts:
    rows: list[tuple[str, list[str | Num]]]
    kind: str = "facts"


@dataclass
class ItemNote:
    item: str
    code: str
    name: str
    category: str
    note: str
    formulas: list[str]
    run_method: str
    options: list[str]
    reported: list[str]
    notes: list[str]
    params: Table | None
    kind: str = "item_note"


Block = Table | Chart | MapFigure | Para | Bullets | Cards | Facts | ItemNote


@dataclass
class Section:
    key: str
    number: int
    title: str
    blocks: list[Block]
    page_break: bool = True

    @property
    def heading(self) -> str:
        return f"{self.number}  {self.title}"


@dataclass
class Meta:
    lang: str
    title: str
    subtitle: list[str]
    region: str
    region_code: str
    years: list[int]
    year: int
    base_year: int | None
    running: str
    footer: str
    demo: bool
    demo_notice: str
    demo_notice_zh: str
    generated: str
    gepkit_version: str
    run_version: str
    run_folder: str
    accounts_sha256: str
    profile: str
    cover: list[tuple[str, str]]


@dataclass
class ReportData:
    meta: Meta
    sections: list[Section]
    records: dict[str, Num]

    def as_json(self) -> dict[str, Any]:
        """The structure for report_data.json: records in one list, blocks refer to them."""
        return {
            "meta": _plain(self.meta),
            "records": [_plain(r) for r in self.records.values()],
            "sections": [_plain(s, refs=True) for s in self.sections],
        }


def _plain(obj: Any, refs: bool = False) -> Any:
    """Dataclasses → dicts (records as {"ref": id} when ``refs``), tuples → lists."""
    if isinstance(obj, Num) and refs:
        return {"ref": obj.id}
    if isinstance(obj, Tag):
        return {"tag": obj.tag, "marked": obj.marked}
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name), refs) for f in fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _plain(v, refs) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v, refs) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


# --------------------------------------------------------------------------------------------
# Evaluating a source
# --------------------------------------------------------------------------------------------


def _key(value: Any) -> str:
    """The text a filter compares: codes and years as written in the CSV."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


class Evaluator:
    """Evaluates :class:`Source` descriptions on the run's tables (indexed once per filter
    shape, so thousands of figures cost little)."""

    def __init__(self, frames: dict[str, pd.DataFrame], manifest: dict[str, Any]):
        self.frames = frames
        self.manifest = manifest
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], np.ndarray]] = {}

    def rows(self, file: str, filter: dict[str, Any]) -> pd.DataFrame:
        frame = self.frames[file]
        if not filter:
            return frame
        columns = tuple(sorted(filter))
        index = self._index.get((file, columns))
        if index is None:
            keys = frame[list(columns)].map(_key)
            index = {
                tuple(k if isinstance(k, tuple) else (k,)): v
                for k, v in keys.groupby(list(columns), sort=False).indices.items()
            }
            self._index[(file, columns)] = index
        choices = [
            [_key(v) for v in filter[c]] if isinstance(filter[c], list) else [_key(filter[c])]
            for c in columns
        ]
        positions: list[np.ndarray] = []
        for combo in _product(choices):
            hit = index.get(combo)
            if hit is not None:
                positions.append(hit)
        if not positions:
            return frame.iloc[0:0]
        return frame.iloc[np.sort(np.concatenate(positions))]

    def value(self, source: Source) -> float:
        if source.file == "manifest.json":
            value = _walk(self.manifest, source.column)
        else:
            rows = self.rows(source.file, source.filter)
            value = self._aggregate(rows, source)
        if source.divide_by is not None:
            denominator = self.value(source.divide_by)
            value = value / denominator if denominator else float("nan")
        return (float(value) + source.offset) * source.factor

    def _aggregate(self, rows: pd.DataFrame, source: Source) -> float:
        column = rows.get(source.column)
        if source.agg == "count":
            return float(len(rows))
        if column is None:
            raise KeyError(f"{source.file} has no column {source.column}")
        numbers = pd.to_numeric(column.astype(object).map(_boolean), errors="coerce")
        if source.agg == "one":
            if len(rows) != 1:
                raise ValueError(f"{source} matches {len(rows)} rows, not one")
            return float(numbers.iloc[0])
        if source.agg == "sum":
            return float(numbers.sum(min_count=1)) if len(rows) else 0.0
        if source.agg == "max":
            return float(numbers.max())
        if source.agg == "rank":
            assert source.rank_of is not None
            mine = self.rows(source.file, {**source.filter, **source.rank_of})
            target = float(pd.to_numeric(mine[source.column]).iloc[0])
            return float(1 + int((numbers > target).sum()))
        raise ValueError(f"unknown aggregation {source.agg}")


def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value in ("True", "False"):
        return value == "True"
    return value


def _product(choices: list[list[str]]) -> Iterable[tuple[str, ...]]:
    if not choices:
        yield ()
        return
    for head in choices[0]:
        for rest in _product(choices[1:]):
            yield (head, *rest)


def _walk(data: Any, path: str) -> Any:
    for key in path.split("/"):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


# --------------------------------------------------------------------------------------------
# The tables of a run
# --------------------------------------------------------------------------------------------


@dataclass
class RunTables:
    """The run folder's tables, read once and shared by both languages."""

    results: RunResults
    frames: dict[str, pd.DataFrame]

    @classmethod
    def load(cls, results: RunResults) -> RunTables:
        frames: dict[str, pd.DataFrame] = {
            "summary.csv": results.summary,
            "accounts.csv": results.accounts,
        }
        if results.change is not None:
            frames["change.csv"] = results.change
        for name in OPTIONAL_FILES:
            frame = results.table(name)
            if frame is not None:
                frames[name] = frame
        return cls(results=results, frames=frames)

    def get(self, name: str) -> pd.DataFrame | None:
        return self.frames.get(name)


# --------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------


def build(tables: RunTables, lang: str, *, generated: str | None = None) -> ReportData:
    """The report of a run in ``lang`` (``zh`` or ``en``)."""
    if lang not in i18n.LANGS:
        raise ValueError(f"language must be one of {', '.join(i18n.LANGS)}, not {lang!r}")
    return _Builder(tables, lang, generated or date.today().isoformat()).build()


class _Builder:
    def __init__(self, tables: RunTables, lang: str, generated: str):
        self.tables = tables
        self.run = tables.results
        self.manifest = self.run.manifest
        self.lang = lang
        self.generated = generated
        self.eval = Evaluator(tables.frames, self.manifest)
        self.records: dict[str, Num] = {}
        self.n_tables = 0
        self.n_figures = 0
        summary = self.run.summary
        self.years = self.run.years
        self.year = self.years[-1]
        self.base = self.run.base_year
        self.constant = f"constant-{self.base}" if self.base is not None else None
        latest = summary[summary["year"] == self.year]
        roots = sorted(latest.loc[latest["parent_code"] == "", "unit_code"])
        self.roots = roots
        self.root: str | list[str] = roots[0] if len(roots) == 1 else roots
        self.single = len(roots) == 1
        names = dict(zip(latest["unit_code"], latest["unit_name"], strict=False))
        self.unit_names = names
        self.levels = dict(zip(latest["unit_code"], latest["unit_level"], strict=False))
        self.parents = dict(zip(latest["unit_code"], latest["parent_code"], strict=False))
        region = self.run.region
        if lang == "en" and region.get("name_en"):
            self.region = str(region["name_en"])
        else:
            self.region = str(region.get("name") or "、".join(names[c] for c in roots))
        self.region_zh = str(region.get("name") or self.region)
        children = sorted(c for c, p in self.parents.items() if p in roots)
        grandchildren = sorted(c for c, p in self.parents.items() if p in children)
        self.children = children
        self.grandchildren = grandchildren
        self.items = self._items()
        self.classes = self._ecosystem_classes()
        self.k_section = 0

    # -- records --------------------------------------------------------------------------

    def _num(
        self,
        source: Source | None,
        value: float,
        display: str,
        unit: str,
        style: str,
        scale: float,
        digits: int,
    ) -> Num:
        record = Num(
            id=f"n{len(self.records) + 1}",
            value=float(value),
            display=display,
            unit=unit,
            style=style,
            scale=scale,
            digits=digits,
            source=source,
        )
        self.records[record.id] = record
        return record

    def value(self, source: Source) -> float:
        return self.eval.value(source)

    def fixed(self, source: Source, scale: float, unit: str, digits: int = 2) -> Num | str:
        value = self.value(source)
        if not math.isfinite(value):
            return "–"
        display = signed_number(value / scale, digits)
        return self._num(source, value, display, unit, "fixed", scale, digits)

    def pct(self, source: Source) -> Num | str:
        value = self.value(source)
        if not math.isfinite(value):
            return "–"
        digits = share_digits(value)
        return self._num(source, value, share(value), "%", "percent", 0.01, digits)

    def grow(self, source: Source) -> Num | str:
        value = self.value(source)
        if not math.isfinite(value):
            return "–"
        return self._num(source, value, growth(value), "%", "growth", 0.01, 1)

    def written(self, source: Source, unit: str, significant: int = 4) -> Num | str:
        raw = self.value(source)
        if not math.isfinite(raw):
            return "–"
        if needs_scientific(raw):
            return self._num(source, raw, scientific(raw, 3), unit, "sci", 1.0, 2)
        display = plain(raw, significant)
        return self._num(source, raw, display, unit, "plain", 1.0, plain_digits(raw, significant))

    def integer(self, source: Source, unit: str = "", style: str = "count") -> Num | str:
        value = self.value(source)
        if not math.isfinite(value):
            return "–"
        return self._num(source, value, f"{round(value):,}", unit, style, 1.0, 0)

    def rank(self, source: Source) -> Num | str:
        return self.integer(source, "", "rank")

    # -- sources --------------------------------------------------------------------------

    def src(
        self, file: str, column: str, agg: str = "one", **filter: Any
    ) -> Source:  # a plain source
        return Source(file=file, column=column, filter=filter, agg=agg)

    def region_src(self, file: str, column: str, year: int, **filter: Any) -> Source:
        agg = "one" if self.single and file == "summary.csv" and not filter else "sum"
        return Source(
            file=file,
            column=column,
            filter={"year": year, "unit_code": self.root, **filter},
            agg=agg,
        )

    def acc(
        self, year: int, unit: str | list[str], basis: str = "current", **filter: Any
    ) -> Source:
        return Source(
            "accounts.csv",
            "value",
            {"year": year, "unit_code": unit, "price_basis": basis, **filter},
            "sum",
        )

    def ratio(self, numerator: Source, denominator: Source, offset: float = 0.0) -> Source:
        return Source(
            file=numerator.file,
            column=numerator.column,
            filter=numerator.filter,
            agg=numerator.agg,
            rank_of=numerator.rank_of,
            divide_by=denominator,
            offset=offset,
        )

    def summary_region(self, column: str, year: int) -> Source:
        """A region figure of summary.csv: the root's own column, or for several top-level
        units the sums (and ratios of sums for per-km², per-capita and GEP/GDP)."""
        if self.single:
            return Source("summary.csv", column, {"year": year, "unit_code": self.root})
        ratios = {
            "gep_per_km2": ("gep", "area_km2"),
            "gep_per_capita": ("gep", "population"),
            "gep_gdp_ratio": ("gep", "gdp"),
        }
        if column in ratios:
            top, bottom = ratios[column]
            return self.ratio(self.summary_region(top, year), self.summary_region(bottom, year))
        if column == "real_gep_growth":
            previous = self.years[self.years.index(year) - 1]
            return self.ratio(
                self.summary_region("gep_constant", year),
                self.summary_region("gep_constant", previous),
                -1.0,
            )
        return Source("summary.csv", column, {"year": year, "unit_code": self.root}, "sum")

    # -- helpers --------------------------------------------------------------------------

    def t(self, key: str, **kwargs: Any) -> str:
        return t(self.lang, key, **kwargs)

    def table(
        self, key: str, title: str, columns: list[Column], rows: list[Row], **kw: Any
    ) -> Table:
        self.n_tables += 1
        table = Table(key=key, number=self.n_tables, title=title, columns=columns, rows=rows, **kw)
        table.keep = len(rows) <= 12 and not table.long and not table.wide
        return table

    def chart(self, key: str, chart: str, title: str, unit_label: str, **kw: Any) -> Chart:
        self.n_figures += 1
        return Chart(
            key=key, number=self.n_figures, chart=chart, title=title, unit_label=unit_label, **kw
        )

    def map(self, key: str, kind: str, title: str, legend: str, **kw: Any) -> MapFigure:
        self.n_figures += 1
        return MapFigure(
            key=key, number=self.n_figures, map=kind, title=title, legend_label=legend, **kw
        )

    def money_unit(self, values: Iterable[float]) -> tuple[float, str]:
        divisor, label = money_scale(list(values), self.lang, billions=True)
        return divisor, label

    def per_km2_unit(self) -> tuple[float, str]:
        return (1e4, "万元/km²") if self.lang == "zh" else (1e6, "CNY million/km²")

    def per_capita_unit(self) -> tuple[float, str, int]:
        return (1e4, "万元/人", 2) if self.lang == "zh" else (1.0, "CNY/person", 0)

    def population_unit(self) -> tuple[float, str]:
        return (1e4, "万人") if self.lang == "zh" else (1e6, "million")

    def item_name(self, item: str) -> str:
        info = self.manifest.get("items", {}).get(item, {})
        if item.startswith("imports:"):
            base = item.split(":", 1)[1]
            name = self.item_name(base)
            return f"扣除调入：{name}" if self.lang == "zh" else f"imports deducted: {name}"
        from gepkit.catalogue.items import ITEMS

        fallback = ITEMS.get(item)
        if self.lang == "zh":
            return str(info.get("name_zh") or (fallback.name_zh if fallback else item))
        return str(info.get("name_en") or (fallback.name_en if fallback else item))

    def item_code(self, item: str) -> str:
        info = self.manifest.get("items", {}).get(item, {})
        if info.get("code"):
            return str(info["code"])
        from gepkit.catalogue.items import ITEMS

        return ITEMS[item].code if item in ITEMS else ""

    def _items(self) -> list[str]:
        """The run's items, in the order of the manifest (profile order), classes grouped."""
        manifest_items = list(self.manifest.get("items", {}))
        in_accounts = set(self.run.accounts["item"].unique())
        items = [i for i in manifest_items if i in in_accounts]
        items += sorted(i for i in in_accounts if i not in items and not i.startswith("imports:"))
        category = self._category
        return sorted(items, key=lambda i: (CATEGORIES.index(category(i)), items.index(i)))

    def _category(self, item: str) -> str:
        info = self.manifest.get("items", {}).get(item, {})
        if info.get("category") in CATEGORIES:
            return str(info["category"])
        rows = self.run.accounts[self.run.accounts["item"] == item]
        value = str(rows["category"].iloc[0]) if len(rows) else "regulating"
        return value if value in CATEGORIES else "regulating"

    def _ecosystem_classes(self) -> Any:
        from gepkit.catalogue.tables import EcosystemClasses

        path = self.manifest.get("tables", {}).get("ecosystem_classes", {}).get("path")
        try:
            from pathlib import Path

            return EcosystemClasses.load(Path(path) if path and Path(path).is_file() else None)
        except Exception:  # the shipped table is the fallback
            return EcosystemClasses.load()

    def eco_name(self, code: int) -> str:
        if code == -1:
            return self.t("no_data")
        if code == -2:
            return self.t("not_by_type")
        return str(self.classes.name(code, self.lang))

    def level1(self, code: int) -> int:
        if code < 0 or code not in self.classes:
            return code
        return int(self.classes.level1(code))

    def unit_label(self, code: str) -> str:
        return f"{self.unit_names.get(code, code)}"

    def qty_unit(self, unit: str, word: str) -> str:
        """``亿 m³``, ``万 t``, ``亿人次``; ``billion m³`` …"""
        label = unit_label(unit, self.lang)
        if unit == "CNY":
            if self.lang == "zh":
                return f"{word}元" if word else "元"
            return f"CNY {word}".strip()
        if not word:
            return label
        if self.lang == "zh":
            return f"{word}{label}" if label in ("人次", "个") else f"{word} {label}"
        return f"{word} {label}"

    # -- the report -----------------------------------------------------------------------

    def build(self) -> ReportData:
        sections: list[Section] = []
        makers = [
            ("summary", self.section_summary),
            ("overview", self.section_overview),
            ("headline", self.section_headline),
            ("extent", self.section_extent),
            ("system", self.section_system),
            ("quantity", self.section_quantity),
            ("prices", self.section_prices),
            ("values", self.section_values),
            ("ecosystem", self.section_ecosystem),
            ("units", self.section_units),
            ("change", self.section_change),
            ("maps", self.section_maps),
            ("quality", self.section_quality),
            ("methods", self.section_methods),
        ]
        # the number of the quality section (the list of [K] values), known before it is built
        present = [k for k, _ in makers if k != "change" or self._change_pairs()]
        present = [k for k in present if k != "units" or self.children]
        self.k_section = present.index("quality") + 1
        for key, maker in makers:
            if key not in present:
                continue
            blocks = maker()
            title = self.t(f"s_{key}")
            sections.append(
                Section(
                    key=key,
                    number=len(sections) + 1,
                    title=title,
                    blocks=blocks,
                    page_break=key not in ("overview",),
                )
            )
        return ReportData(meta=self.meta(), sections=sections, records=self.records)

    def meta(self) -> Meta:
        lang = self.lang
        years = self.years
        years_text = _years_text(years, lang)
        region = self.region
        demo = self.run.is_demo
        profile = self.manifest.get("profile", {})
        provenance = self.run.provenance()
        version = _gepkit_version()
        cover = [
            (
                self.t("ov_region"),
                f"{region}（{self.run.region.get('code', '')}）"
                if lang == "zh"
                else f"{region} ({self.run.region.get('code', '')})",
            ),
            (self.t("ov_years"), years_text),
            (self.t("profile"), str(profile.get("id", ""))),
            (
                self.t("prices"),
                self.t("prices_text", base=self.base)
                if self.base is not None
                else self.t("prices_text_current"),
            ),
            (self.t("generated"), self.generated),
            (self.t("generated_by"), f"gepkit {version}"),
        ]
        title_region = self.region_zh if lang == "zh" else region
        return Meta(
            lang=lang,
            title=self.t("title", region=title_region),
            subtitle=[self.t("subtitle_years", years=years_text)],
            region=region,
            region_code=str(self.run.region.get("code", "")),
            years=years,
            year=self.year,
            base_year=self.base,
            running=self.t("running", region=title_region, year=self.year),
            footer=self.t("footer_text", version=version),
            demo=demo,
            demo_notice=self.run.demo_notice,
            demo_notice_zh=t("zh", "demo_zh", region=self.region_zh)
            if demo and lang == "zh"
            else "",
            generated=self.generated,
            gepkit_version=version,
            run_version=self.run.gepkit_version,
            run_folder=str(provenance["run_folder"]),
            accounts_sha256=str(provenance["accounts_sha256"]),
            profile=str(profile.get("title", profile.get("id", ""))),
            cover=cover,
        )

    # -- 1 summary ------------------------------------------------------------------------

    def section_summary(self) -> list[Block]:
        y = self.year
        lang = self.lang
        gep_src = self.summary_region("gep", y)
        gep_value = self.value(gep_src)
        scale, unit = self.money_unit([gep_value])
        cards = [
            Card(self.t("card_gep", year=y), _num_or_none(self.fixed(gep_src, scale, unit)), unit)
        ]
        summary = self.run.summary
        has_gdp = "gep_gdp_ratio" in summary and summary["gep_gdp_ratio"].notna().any()
        if has_gdp:
            ratio = self.fixed(self.summary_region("gep_gdp_ratio", y), 1.0, self.t("times"))
            cards.append(Card(self.t("card_ratio"), _num_or_none(ratio), ""))
        k_scale, k_unit = self.per_km2_unit()
        per_km2 = self.fixed(self.summary_region("gep_per_km2", y), k_scale, k_unit)
        cards.append(Card(self.t("card_per_km2"), _num_or_none(per_km2), k_unit))
        c_scale, c_unit, c_digits = self.per_capita_unit()
        if summary["population"].notna().any():
            per_capita = self.fixed(
                self.summary_region("gep_per_capita", y), c_scale, c_unit, c_digits
            )
            cards.append(Card(self.t("card_per_capita"), _num_or_none(per_capita), c_unit))
        if len(self.years) > 1 and self.base is not None:
            prev = self.years[-2]
            real = self.grow(self.summary_region("real_gep_growth", y))
            cards.append(Card(self.t("card_growth", prev=prev, year=y), _num_or_none(real), ""))
        blocks: list[Block] = [Cards(cards)]

        # the sentences
        parts: list[str | Num] = []
        region = self.region
        class_cells = []
        for cat in CATEGORIES:
            column = cat
            if column not in summary or summary[column].isna().all():
                continue
            value_cell = self.fixed(self.summary_region(column, y), scale, unit)
            share_cell = self.pct(self.ratio(self.summary_region(column, y), gep_src))
            class_cells.append((cat, value_cell, share_cell))
        gep_cell = self.fixed(gep_src, scale, unit)
        if lang == "zh":
            parts += [
                f"{y} 年，{self.region_zh}生态产品总值（GEP）为 ",
                gep_cell,
                f" {unit}（当年价）",
            ]
            if class_cells:
                parts.append("，其中")
                for n, (cat, v, s) in enumerate(class_cells):
                    parts += ["，" if n else "", self.t(cat), " ", v, f" {unit}（占 ", s, "）"]
            parts.append("。")
        else:
            parts += [
                f"In {y} the Gross Ecosystem Product (GEP) of {region} was ",
                gep_cell,
                f" {unit} at current prices",
            ]
            if class_cells:
                parts.append(": ")
                for n, (cat, v, s) in enumerate(class_cells):
                    sep = "" if n == 0 else (" and " if n == len(class_cells) - 1 else ", ")
                    parts += [sep, f"{self.t(cat).lower()} services ", v, f" {unit} (", s, ")"]
            parts.append(".")
        blocks.append(Para(parts))

        indicators: list[str | Num] = []
        if has_gdp:
            r = self.fixed(self.summary_region("gep_gdp_ratio", y), 1.0, self.t("times"))
            indicators += (
                ["GEP 为同年地区生产总值（GDP）的 ", r, " 倍；"]
                if lang == "zh"
                else ["GEP was ", r, " times the GDP of the year; "]
            )
        k = self.fixed(self.summary_region("gep_per_km2", y), k_scale, k_unit)
        indicators += (
            ["单位面积 GEP 为 ", k, f" {k_unit}"]
            if lang == "zh"
            else ["GEP per km² was ", k, f" {k_unit}"]
        )
        if summary["population"].notna().any():
            c = self.fixed(self.summary_region("gep_per_capita", y), c_scale, c_unit, c_digits)
            indicators += (
                ["，人均 GEP 为 ", c, f" {c_unit}"]
                if lang == "zh"
                else [", GEP per person ", c, f" {c_unit}"]
            )
        indicators.append("。" if lang == "zh" else ".")
        blocks.append(Para(indicators))

        if len(self.years) > 1 and self.base is not None:
            prev = self.years[-2]
            real_src = self.summary_region("real_gep_growth", y)
            real_value = self.value(real_src)
            growth_parts: list[str | Num]
            if lang == "zh":
                word = "增长" if real_value >= 0 else "下降"
                size = self.pct(real_src if real_value >= 0 else replace(real_src, factor=-1.0))
                growth_parts = [
                    f"按 {self.base} 年不变价计算，{y} 年 GEP 比 {prev} 年实际{word} ",
                    size,
                ]
            else:
                growth_parts = [
                    f"At constant {self.base} prices GEP changed by ",
                    self.grow(real_src),
                    f" from {prev} to {y}",
                ]
            gdp_growth = "gdp_real_growth" in summary and self._summary_has("gdp_real_growth", y)
            if gdp_growth:
                g = self.grow(self.summary_region("gdp_real_growth", y))
                growth_parts += (
                    ["（同期 GDP 实际增长 ", g, "）"]
                    if lang == "zh"
                    else [" (real GDP growth ", g, ")"]
                )
            growth_parts.append("。" if lang == "zh" else ".")
            blocks.append(Para(growth_parts))

        # the largest item
        values = self._item_values(y, self.root)
        if values:
            top_item = max(values, key=lambda i: values[i])
            top_src = self.acc(y, self.root, item=top_item)
            top_cell = self.fixed(top_src, scale, unit)
            top_share = self.pct(self.ratio(top_src, gep_src))
            name = self.item_name(top_item)
            if lang == "zh":
                blocks.append(
                    Para(
                        [
                            f"各项目中{name}价值量最大，为 ",
                            top_cell,
                            f" {unit}，占 GEP 的 ",
                            top_share,
                            "。",
                        ]
                    )
                )
            else:
                blocks.append(
                    Para(
                        [
                            f"The largest item is {name.lower()}, ",
                            top_cell,
                            f" {unit} or ",
                            top_share,
                            " of GEP.",
                        ]
                    )
                )
            gep_total = self.value(gep_src)
            if gep_total and values[top_item] / gep_total > 0.5:
                blocks.append(Para([self.t("dominant", section=self.k_section)]))
        if self.run.is_demo:
            blocks.append(
                Para(
                    [
                        self.t("demo")
                        + ": "
                        + (
                            t("zh", "demo_zh", region=self.region_zh)
                            if lang == "zh"
                            else self.run.demo_notice
                        )
                    ],
                    style="demo",
                )
            )

        labels, chart_values = [], []
        for cat, value_cell, _ in class_cells:
            if isinstance(value_cell, Num):
                labels.append(self.t(cat))
                chart_values.append(value_cell.value / scale)
        if labels:
            blocks.append(
                self.chart(
                    "composition_classes",
                    "composition",
                    self.t("composition_title", year=y),
                    unit,
                    labels=labels,
                    values=chart_values,
                )
            )
        if len(self.years) > 1:
            series = {
                self.t("series_current"): [
                    self.value(self.summary_region("gep", yy)) / scale for yy in self.years
                ]
            }
            if self.base is not None:
                series[self.t("series_constant", base=self.base)] = [
                    self.value(self.summary_region("gep_constant", yy)) / scale for yy in self.years
                ]
            blocks.append(
                self.chart(
                    "time_series_gep",
                    "time_series",
                    self.t(
                        "time_series_title", region=self.region, years=_years_text(self.years, lang)
                    ),
                    unit,
                    years=list(self.years),
                    series=series,
                )
            )
        return blocks

    def _summary_has(self, column: str, year: int) -> bool:
        rows = self.eval.rows("summary.csv", {"year": year, "unit_code": self.root})
        return column in rows and bool(rows[column].notna().any())

    def _item_values(self, year: int, unit: str | list[str]) -> dict[str, float]:
        rows = self.eval.rows(
            "accounts.csv", {"year": year, "unit_code": unit, "price_basis": "current"}
        )
        sums = rows.groupby("item")["value"].sum()
        return {str(k): float(v) for k, v in sums.items() if not str(k).startswith("imports:")}

    # -- 2 overview -----------------------------------------------------------------------

    def section_overview(self) -> list[Block]:
        m = self.manifest
        lang = self.lang
        units = m.get("units", {})
        by_level = units.get("by_level", {})
        levels_text = "，".join if lang == "zh" else ", ".join
        level_parts = [
            f"{level_name(lvl, lang)} {n} 个"
            if lang == "zh"
            else f"{n} {level_name(lvl, lang, plural=n != 1)}"
            for lvl, n in by_level.items()
        ]
        grid = m.get("grid", {})
        weighting = units.get("zone_weighting", "centre")
        res = float(grid.get("resolution_m", 0) or 0)
        res_text = f"{res / 1000:g} km" if res >= 1000 else f"{res:g} m"
        crs = "China Albers" if grid.get("equal_area") else "CRS"
        cfg_crs = m.get("config", {}).get("grid", {}).get("crs")
        if isinstance(cfg_crs, str) and len(cfg_crs) < 40:
            crs = cfg_crs
        counts = {c: sum(1 for i in self.items if self._category(i) == c) for c in CATEGORIES}
        profile = m.get("profile", {})
        rows: list[tuple[str, list[str | Num]]] = [
            (
                self.t("ov_region"),
                [
                    f"{self.region}（{self.run.region.get('code', '')}）"
                    if lang == "zh"
                    else f"{self.region} ({self.run.region.get('code', '')})"
                ],
            ),
            (self.t("ov_units"), [levels_text(level_parts)]),
            (self.t("ov_years"), [_years_text(self.years, lang)]),
            (self.t("profile"), [str(profile.get("title") or profile.get("id", ""))]),
            (
                self.t("ov_items"),
                [
                    self.t(
                        "ov_items_text",
                        n=len(self.items),
                        p=counts["provisioning"],
                        r=counts["regulating"],
                        c=counts["cultural"],
                    )
                ],
            ),
        ]
        not_computed = profile.get("not_computed") or []
        if not_computed:
            rows.append(
                (
                    self.t("ov_not_computed"),
                    [
                        "、".join(self.item_name(i) for i in not_computed)
                        if lang == "zh"
                        else ", ".join(self.item_name(i) for i in not_computed)
                    ],
                )
            )
        rows += [
            (
                self.t("ov_grid"),
                [
                    self.t(
                        "ov_grid_text",
                        crs=crs,
                        res=res_text,
                        w=grid.get("width", "?"),
                        h=grid.get("height", "?"),
                        weighting=self.t(f"weighting_{weighting}")
                        if weighting in ("centre", "coverage")
                        else weighting,
                    )
                ],
            ),
            (
                self.t("ov_prices"),
                [
                    self.t("prices_text", base=self.base)
                    if self.base is not None
                    else self.t("prices_text_current")
                ],
            ),
            (
                self.t("ov_indexing"),
                [
                    self.t(
                        "indexing_"
                        + str(m.get("valuation", {}).get("price_indexing", "as_recorded"))
                    )
                    if m.get("valuation", {}).get("price_indexing", "as_recorded")
                    in ("as_recorded", "indexed")
                    else str(m.get("valuation", {}).get("rule", ""))
                ],
            ),
            (self.t("ov_aggregation"), [self.t("aggregation_text")]),
        ]
        return [Facts(rows)]

    # -- 3 headline (T9) ------------------------------------------------------------------

    def section_headline(self) -> list[Block]:
        summary = self.run.summary
        years = self.years
        lang = self.lang
        money_values = [self.value(self.summary_region("gep", y)) for y in years]
        scale, unit = self.money_unit(money_values)
        k_scale, k_unit = self.per_km2_unit()
        c_scale, c_unit, c_digits = self.per_capita_unit()
        p_scale, p_unit = self.population_unit()
        rows: list[Row] = []

        def has(column: str) -> bool:
            return column in summary and bool(summary[column].notna().any())

        def line(label: str, unit_text: str, make: Any, column: str, kind: str = "") -> None:
            if not has(column):
                return
            cells: list[Cell] = [label, unit_text]
            for y in years:
                if column in ("real_gep_growth", "gdp_real_growth") and y == years[0]:
                    cells.append("–")
                    continue
                if not self._summary_has(column, y) and column != "real_gep_growth":
                    cells.append("–")
                    continue
                cells.append(make(self.summary_region(column, y)))
            rows.append(Row(cells, kind))

        line(self.t("h_gep"), unit, lambda s: self.fixed(s, scale, unit), "gep", "total")
        for cat in CATEGORIES:
            line(self.t(f"h_{cat}"), unit, lambda s: self.fixed(s, scale, unit), cat, "sub")
        if has("imports_deducted"):
            line(
                self.t("h_deduction"),
                unit,
                lambda s: self.fixed(s, scale, unit),
                "imports_deducted",
                "sub",
            )
        if self.base is not None:
            line(
                self.t("h_gep_constant", base=self.base),
                unit,
                lambda s: self.fixed(s, scale, unit),
                "gep_constant",
            )
            if len(years) > 1:
                line(self.t("h_real_growth"), "%", self.grow, "real_gep_growth")
        if has("gdp"):
            gdp_values = [
                self.value(self.summary_region("gdp", y))
                for y in years
                if self._summary_has("gdp", y)
            ]
            g_scale, g_unit = self.money_unit(gdp_values)
            line(self.t("h_gdp"), g_unit, lambda s: self.fixed(s, g_scale, g_unit), "gdp")
            line(
                self.t("h_ratio"),
                self.t("times"),
                lambda s: self.fixed(s, 1.0, self.t("times")),
                "gep_gdp_ratio",
            )
        if len(years) > 1 and has("gdp_real_growth"):
            line(self.t("h_gdp_growth"), "%", self.grow, "gdp_real_growth")
        if len(years) > 1 and has("dual_growth"):
            cells: list[Cell] = [self.t("h_dual"), ""]
            for y in years:
                rows_y = self.eval.rows("summary.csv", {"year": y, "unit_code": self.root})
                flag = rows_y["dual_growth"].iloc[0] if self.single and len(rows_y) else None
                cells.append(_yes_no(flag, lang))
            rows.append(Row(cells))
        area_unit = "km²"
        line(self.t("h_area"), area_unit, lambda s: self.fixed(s, 1.0, area_unit, 0), "area_km2")
        line(self.t("h_population"), p_unit, lambda s: self.fixed(s, p_scale, p_unit), "population")
        line(self.t("h_per_km2"), k_unit, lambda s: self.fixed(s, k_scale, k_unit), "gep_per_km2")
        line(
            self.t("h_per_capita"),
            c_unit,
            lambda s: self.fixed(s, c_scale, c_unit, c_digits),
            "gep_per_capita",
        )
        columns = [Column(self.t("indicator"), width="34%"), Column(self.t("unit"), nowrap=True)]
        columns += [Column(str(y), num=True) for y in years]
        title = self.t("headline_title", region=self.region, years=_years_text(years, lang))
        return [self.table("T9", title, columns, rows)]

    # -- 4 extent (T1) --------------------------------------------------------------------

    def section_extent(self) -> list[Block]:
        extent = self.tables.get("extent.csv")
        if extent is None or extent.empty:
            return []
        y = self.year
        years = self.years
        blocks: list[Block] = []
        mine = extent[extent["unit_code"].isin(self.roots)]
        codes = sorted({int(c) for c in mine["ecosystem_code"]}, key=_eco_order)
        groups: dict[int, list[int]] = {}
        for code in codes:
            groups.setdefault(self.level1(code), []).append(code)
        columns = [Column(self.t("ecosystem"), width="34%")]
        columns += [Column(self.t("area_col", year=yy), num=True) for yy in years]
        columns.append(Column(self.t("share"), num=True))
        if len(years) > 1:
            columns.append(Column(self.t("change"), num=True))
        area = Source("extent.csv", "area_km2", {"year": y, "unit_code": self.root}, "sum")
        rows: list[Row] = []
        for top in sorted(groups, key=_eco_order):
            members = groups[top]
            several = len(members) > 1 or members[0] != top

            def cells_for(code_filter: Any, label: str) -> list[Cell]:
                cells: list[Cell] = [label]
                for yy in years:
                    src = Source(
                        "extent.csv",
                        "area_km2",
                        {"year": yy, "unit_code": self.root, "ecosystem_code": code_filter},
                        "sum",
                    )
                    cells.append(self.fixed(src, 1.0, "km²", 0))
                this = Source(
                    "extent.csv",
                    "area_km2",
                    {"year": y, "unit_code": self.root, "ecosystem_code": code_filter},
                    "sum",
                )
                cells.append(self.pct(self.ratio(this, area)))
                if len(years) > 1:
                    first = Source(
                        "extent.csv",
                        "area_km2",
                        {"year": years[0], "unit_code": self.root, "ecosystem_code": code_filter},
                        "sum",
                    )
                    cells.append(_difference_cell(self, this, first))
                return cells

            label = self.eco_name(top)
            rows.append(
                Row(cells_for(members if several else top, label), "group" if several else "")
            )
            if several:
                for code in members:
                    rows.append(Row(cells_for(code, self.eco_name(code)), "sub"))
        total: list[Cell] = [self.t("total")]
        for yy in years:
            total.append(
                self.fixed(
                    Source("extent.csv", "area_km2", {"year": yy, "unit_code": self.root}, "sum"),
                    1.0,
                    "km²",
                    0,
                )
            )
        total.append(self.pct(self.ratio(area, area)))
        if len(years) > 1:
            total.append("")
        rows.append(Row(total, "total"))
        blocks.append(
            self.table(
                "T1",
                self.t("extent_title", region=self.region, year=y),
                columns,
                rows,
                unit="km²",
                notes=[self.t("extent_note")],
            )
        )

        if self.children:
            level = self.levels.get(self.children[0], "custom")
            tops = sorted(groups, key=_eco_order)
            cols = [Column(self.t("name"))]
            cols += [Column(self.eco_name(c), num=True) for c in tops]
            cols.append(Column(self.t("total"), num=True))
            unit_rows: list[Row] = []
            for code in self.children:
                cells: list[Cell] = [self.unit_label(code)]
                for top in tops:
                    members = groups[top]
                    src = Source(
                        "extent.csv",
                        "area_km2",
                        {"year": y, "unit_code": code, "ecosystem_code": members},
                        "sum",
                    )
                    if self.eval.rows(src.file, src.filter).empty:
                        cells.append("–")
                    else:
                        cells.append(self.fixed(src, 1.0, "km²", 0))
                cells.append(
                    self.fixed(
                        Source("extent.csv", "area_km2", {"year": y, "unit_code": code}, "sum"),
                        1.0,
                        "km²",
                        0,
                    )
                )
                unit_rows.append(Row(cells))
            blocks.append(
                self.table(
                    "T1b",
                    self.t("extent_units_title", level=level_name(level, self.lang), year=y),
                    cols,
                    unit_rows,
                    unit="km²",
                    small=True,
                    long=len(unit_rows) > 30,
                )
            )
        return blocks

    # -- 5 indicator system (T2) ----------------------------------------------------------

    def section_system(self) -> list[Block]:
        components = self.tables.get("components.csv")
        rows: list[Row] = []
        current = None
        for item in self.items:
            cat = self._category(item)
            info = self.manifest.get("items", {}).get(item, {})
            options = info.get("options", {})
            if cat != current:
                rows.append(Row([self.t(cat)], "group", span=True))
                current = cat
            bases: list[str] = []
            if components is not None:
                mine = components[(components["item"] == item) & (components["year"] == self.year)]
                for basis in dict.fromkeys(mine["valuation_basis"].dropna().astype(str)):
                    bases.append(i18n.valuation_label(basis, self.lang, item, options))
            quantity_unit = str(info.get("quantity_unit", ""))
            rows.append(
                Row(
                    [
                        self.item_code(item),
                        self.item_name(item),
                        i18n.indicator(item, self.lang, options),
                        unit_label(quantity_unit, self.lang),
                        ("、" if self.lang == "zh" else ", ").join(dict.fromkeys(bases)),
                    ]
                )
            )
        columns = [
            Column(self.t("code"), width="7%"),
            Column(self.t("item"), width="17%"),
            Column(self.t("physical")),
            Column(self.t("unit"), width="10%"),
            Column(self.t("valuation"), width="24%"),
        ]
        return [self.table("T2", self.t("system_title"), columns, rows)]

    # -- 6 quantities (T3) ----------------------------------------------------------------

    def section_quantity(self) -> list[Block]:
        years = self.years
        parts = self.tables.get("parts.csv")
        rows: list[Row] = []
        current = None
        for item in self.items:
            cat = self._category(item)
            if cat != current:
                rows.append(Row([self.t(cat)], "group", span=True))
                current = cat
            sources = [
                Source(
                    "accounts.csv",
                    "quantity",
                    {"year": y, "unit_code": self.root, "item": item, "price_basis": "current"},
                    "sum",
                )
                for y in years
            ]
            unit = self._quantity_unit(item)
            scale = quantity_scale([self.value(s) for s in sources], self.lang)
            rows.append(
                Row(
                    self._quantity_cells(
                        self.item_code(item), self.item_name(item), sources, unit, scale
                    )
                )
            )
            if parts is None:
                continue
            mine = parts[(parts["item"] == item) & (parts["unit_code"].isin(self.roots))]
            names = list(dict.fromkeys(mine["part"]))
            if len(names) <= 1:
                continue
            for part in names:
                row = mine[mine["part"] == part].iloc[0]
                label = str(row["part_name_zh"] if self.lang == "zh" else row["part_name"])
                part_sources = [
                    Source(
                        "parts.csv",
                        "quantity",
                        {"year": y, "unit_code": self.root, "item": item, "part": part},
                        "sum",
                    )
                    for y in years
                ]
                rows.append(
                    Row(
                        self._quantity_cells(
                            "", label, part_sources, str(row["quantity_unit"]), scale
                        ),
                        "sub",
                    )
                )
        columns = [Column(self.t("code"), width="7%"), Column(self.t("item"))]
        columns += [Column(self.t("quantity_col", year=y), num=True) for y in years]
        columns.append(Column(self.t("unit"), nowrap=True))
        if len(years) > 1:
            columns.append(Column(self.t("quantity_change"), num=True))
        title = self.t("quantity_title", region=self.region, years=_years_text(years, self.lang))
        return [self.table("T3", title, columns, rows, notes=[self.t("quantity_note")])]

    def _quantity_unit(self, item: str) -> str:
        rows = self.eval.rows("accounts.csv", {"item": item})
        return str(rows["quantity_unit"].iloc[0]) if len(rows) else ""

    def _quantity_cells(
        self,
        code: str,
        label: str,
        sources: list[Source],
        unit: str,
        scale: tuple[float, str] | None = None,
    ) -> list[Cell]:
        """Quantities of the years in one unit (the item's, for its parts), and the change."""
        values = [self.value(s) for s in sources]
        divisor, word = scale if scale is not None else quantity_scale(values, self.lang)
        cells: list[Cell] = [code, label]
        if divisor == 0.0:  # scientific
            for s in sources:
                cells.append(self.written(s, unit_label(unit, self.lang), 3))
            unit_text = unit_label(unit, self.lang)
        else:
            unit_text = self.qty_unit(unit, word)
            digits = 2 if divisor > 1 else digits_for(values)
            for s in sources:
                cells.append(self.fixed(s, divisor, unit_text, digits))
        cells.append(unit_text)
        if len(sources) > 1:
            first, last = sources[-2], sources[-1]
            if self.value(first):
                cells.append(self.grow(self.ratio(last, first, -1.0)))
            else:
                cells.append("–")
        return cells

    # -- 7 prices (T4) --------------------------------------------------------------------

    def section_prices(self) -> list[Block]:
        components = self.tables.get("components.csv")
        if components is None:
            return []
        y = self.year
        mine = components[(components["year"] == y) & (components["unit_code"].isin(self.roots))]
        rows: list[Row] = []
        seen: set[tuple[str, str]] = set()
        for item in self.items:
            options = self.manifest.get("items", {}).get(item, {}).get("options", {})
            first = True
            for _, row in mine[mine["item"] == item].iterrows():
                key = (item, str(row["component"]))
                if key in seen:
                    continue
                seen.add(key)
                name = str(row["component_name_zh"] if self.lang == "zh" else row["component_name"])
                price_id = str(row["price_id"])
                unit = unit_label(row["price_unit"], self.lang)
                tag = Tag(str(row["confidence"])) if _text(row["confidence"]) else ""
                basis = i18n.valuation_label(row["valuation_basis"], self.lang, item, options)
                source_text = _text(row["price_source"])
                filter_ = {
                    "year": y,
                    "unit_code": self.root,
                    "item": item,
                    "component": str(row["component"]),
                }
                if price_id == "value reported":
                    cells: list[Cell] = [
                        self.item_code(item) if first else "",
                        self.item_name(item) if first else "",
                        name,
                        self.t("value_reported"),
                        "",
                        "",
                        "",
                        basis,
                        source_text,
                        tag,
                    ]
                else:
                    if self.single:
                        price = self.written(Source("components.csv", "unit_price", filter_), unit)
                    else:
                        price = self.written(
                            self.ratio(
                                Source("components.csv", "value", filter_, "sum"),
                                Source("components.csv", "quantity", filter_, "sum"),
                            ),
                            unit,
                        )
                    recorded: Cell = ""
                    year_text = ""
                    if _text(row["price_as_recorded"]) and self.single:
                        record_unit = unit_label(row["price_record_unit"], self.lang)
                        recorded = self.written(
                            Source("components.csv", "price_as_recorded", filter_), record_unit
                        )
                        if record_unit != unit:
                            recorded = [recorded, f" {record_unit}"]
                        year_text = _text(row["price_year"])
                    elif price_id == "reported per unit":
                        recorded = self.t("reported_per_unit")
                        year_text = _text(row["price_year"])
                    cells = [
                        self.item_code(item) if first else "",
                        self.item_name(item) if first else "",
                        name,
                        price,
                        unit,
                        recorded,
                        year_text,
                        basis,
                        source_text,
                        tag,
                    ]
                rows.append(Row(cells))
                first = False
        columns = [
            Column(self.t("code"), width="5%"),
            Column(self.t("item"), width="9%"),
            Column(self.t("component"), width="15%"),
            Column(self.t("unit_price"), num=True),
            Column(self.t("price_unit"), nowrap=True),
            Column(self.t("as_recorded"), num=True),
            Column(self.t("price_year"), num=True),
            Column(self.t("method"), width="9%"),
            Column(self.t("source"), width="26%"),
            Column(self.t("confidence"), nowrap=True),
        ]
        notes = [self.t("prices_note", year=y), self.t("k_mark_note", section=self.k_section)]
        return [
            self.table("T4", self.t("prices_title", year=y), columns, rows, notes=notes, wide=True)
        ]

    # -- 8 values (T5) --------------------------------------------------------------------

    def section_values(self) -> list[Block]:
        y = self.year
        gep_src = self.summary_region("gep", y)
        values = self._item_values(y, self.root)
        scale, unit = self.money_unit([self.value(gep_src), *values.values()])
        constant = self.constant is not None and self.base != y
        rows: list[Row] = []
        summary = self.run.summary
        for cat in CATEGORIES:
            items = [i for i in self.items if self._category(i) == cat]
            if not items:
                continue
            class_src = self.summary_region(cat, y)
            cells: list[Cell] = ["", self.t(cat), self.fixed(class_src, scale, unit)]
            if constant:
                cells.append(
                    self.fixed(
                        self.acc(y, self.root, str(self.constant), category=cat), scale, unit
                    )
                )
            cells += ["", self.pct(self.ratio(class_src, gep_src))]
            rows.append(Row(cells, "group"))
            for item in items:
                src = self.acc(y, self.root, item=item)
                cells = [self.item_code(item), self.item_name(item), self.fixed(src, scale, unit)]
                if constant:
                    cells.append(
                        self.fixed(
                            self.acc(y, self.root, str(self.constant), item=item), scale, unit
                        )
                    )
                cells += [self.pct(self.ratio(src, class_src)), self.pct(self.ratio(src, gep_src))]
                rows.append(Row(cells))
        if "imports_deducted" in summary and summary["imports_deducted"].notna().any():
            src = self.summary_region("imports_deducted", y)
            cells = ["", self.t("deduction"), self.fixed(src, scale, unit)]
            if constant:
                cells.append(
                    self.fixed(
                        self.acc(y, self.root, str(self.constant), category="deduction"),
                        scale,
                        unit,
                    )
                )
            cells += ["", ""]
            rows.append(Row(cells, "group"))
        total: list[Cell] = ["", "GEP", self.fixed(gep_src, scale, unit)]
        if constant:
            total.append(self.fixed(self.summary_region("gep_constant", y), scale, unit))
        total += ["", self.pct(self.ratio(gep_src, gep_src))]
        rows.append(Row(total, "total"))
        columns = [
            Column(self.t("code"), width="7%"),
            Column(self.t("item")),
            Column(self.t("value_current"), num=True),
        ]
        if constant:
            columns.append(Column(self.t("value_constant", base=self.base), num=True))
        columns += [Column(self.t("share_class"), num=True), Column(self.t("share_gep"), num=True)]
        blocks: list[Block] = [
            self.table(
                "T5",
                self.t("values_title", region=self.region, year=y),
                columns,
                rows,
                unit=unit,
                notes=[self.t("values_note")],
            )
        ]
        ordered = sorted(values, key=lambda i: -values[i])
        blocks.append(
            self.chart(
                "ranking_items",
                "ranking",
                self.t("items_chart_title", year=y),
                unit,
                labels=[self.item_name(i) for i in ordered],
                values=[values[i] / scale for i in ordered],
                top=len(ordered),
            )
        )
        return blocks

    # -- 9 by ecosystem (T6) --------------------------------------------------------------

    def section_ecosystem(self) -> list[Block]:
        frame = self.tables.get("by_ecosystem.csv")
        if frame is None or frame.empty:
            return []
        y = self.year
        mine = frame[(frame["year"] == y) & (frame["unit_code"].isin(self.roots))]
        codes = sorted({int(c) for c in mine["ecosystem_code"]})
        groups: dict[int, list[int]] = {}
        for code in codes:
            groups.setdefault(self.level1(code), []).append(code)
        tops = sorted(groups, key=_eco_order)
        scale, unit = self.money_unit(mine.groupby("item")["value"].sum().abs())
        rows: list[Row] = []
        for item in self.items:
            cells: list[Cell] = [self.item_code(item), self.item_name(item)]
            for top in tops:
                src = Source(
                    "by_ecosystem.csv",
                    "value",
                    {
                        "year": y,
                        "unit_code": self.root,
                        "item": item,
                        "ecosystem_code": groups[top],
                    },
                    "sum",
                )
                hit = self.eval.rows(src.file, src.filter)
                cells.append("–" if hit.empty else self.fixed(src, scale, unit))
            cells.append(
                self.fixed(
                    Source(
                        "by_ecosystem.csv",
                        "value",
                        {"year": y, "unit_code": self.root, "item": item},
                        "sum",
                    ),
                    scale,
                    unit,
                )
            )
            rows.append(Row(cells))
        total: list[Cell] = ["", self.t("total")]
        all_src = Source("by_ecosystem.csv", "value", {"year": y, "unit_code": self.root}, "sum")
        for top in tops:
            src = Source(
                "by_ecosystem.csv",
                "value",
                {"year": y, "unit_code": self.root, "ecosystem_code": groups[top]},
                "sum",
            )
            total.append(self.fixed(src, scale, unit))
        total.append(self.fixed(all_src, scale, unit))
        rows.append(Row(total, "total"))
        shares: list[Cell] = ["", self.t("share")]
        for top in tops:
            src = Source(
                "by_ecosystem.csv",
                "value",
                {"year": y, "unit_code": self.root, "ecosystem_code": groups[top]},
                "sum",
            )
            shares.append(self.pct(self.ratio(src, all_src)))
        shares.append(self.pct(self.ratio(all_src, all_src)))
        rows.append(Row(shares, "sub"))
        columns = [Column(self.t("code"), width="5%"), Column(self.t("item"), width="12%")]
        columns += [Column(self.eco_name(c), num=True) for c in tops]
        columns.append(Column(self.t("total"), num=True))
        wide = len(tops) > 6
        return [
            self.table(
                "T6",
                self.t("eco_title", region=self.region, year=y),
                columns,
                rows,
                unit=unit,
                notes=[self.t("eco_note")],
                wide=wide,
                small=True,
            )
        ]

    # -- 10 sub-units (T7) ----------------------------------------------------------------

    def section_units(self) -> list[Block]:
        y = self.year
        blocks: list[Block] = []
        children = self.children
        level = self.levels.get(children[0], "custom")
        blocks.append(self._units_table("T7", children, level, y, with_parent=False))
        blocks.append(self._units_items_table(children, level, y))
        k_scale, k_unit = self.per_km2_unit()
        per_km2 = {
            c: self.value(Source("summary.csv", "gep_per_km2", {"year": y, "unit_code": c}))
            for c in children
        }
        ordered = sorted(children, key=lambda c: -_finite_or(per_km2[c], -math.inf))
        plural = self.lang == "en"
        blocks.append(
            self.chart(
                "ranking_children",
                "ranking",
                self.t(
                    "ranking_chart_title", level=level_name(level, self.lang, plural=plural), year=y
                ),
                k_unit,
                labels=[self.unit_label(c) for c in ordered],
                values=[per_km2[c] / k_scale for c in ordered],
                top=len(ordered),
            )
        )
        if self.grandchildren:
            leaf_level = self.levels.get(self.grandchildren[0], "custom")
            blocks.append(
                self._units_table("T7c", self.grandchildren, leaf_level, y, with_parent=True)
            )
            leaf_values = {
                c: self.value(Source("summary.csv", "gep_per_km2", {"year": y, "unit_code": c}))
                for c in self.grandchildren
            }
            leaf_order = sorted(
                self.grandchildren, key=lambda c: -_finite_or(leaf_values[c], -math.inf)
            )
            top = min(20, len(leaf_order))
            blocks.append(
                self.chart(
                    "ranking_leaves",
                    "ranking",
                    self.t(
                        "leaves_chart_title",
                        n=top,
                        level=level_name(leaf_level, self.lang, plural=plural),
                        year=y,
                    ),
                    k_unit,
                    labels=[self.unit_label(c) for c in leaf_order],
                    values=[leaf_values[c] / k_scale for c in leaf_order],
                    top=top,
                )
            )
        return blocks

    def _units_table(
        self, key: str, codes: list[str], level: str, y: int, *, with_parent: bool
    ) -> Table:
        summary = self.run.summary
        group = {"year": y, "unit_code": codes}
        gep_values = [
            self.value(Source("summary.csv", "gep", {"year": y, "unit_code": c})) for c in codes
        ]
        scale, unit = self.money_unit(gep_values)
        k_scale, k_unit = self.per_km2_unit()
        c_scale, c_unit, c_digits = self.per_capita_unit()
        has_pop = summary["population"].notna().any()
        has_gdp = "gep_gdp_ratio" in summary and self._any(summary, "gep_gdp_ratio", codes, y)
        has_growth = len(self.years) > 1 and self._any(summary, "real_gep_growth", codes, y)
        has_class = [c for c in CATEGORIES if c in summary and self._any(summary, c, codes, y)]
        rows: list[Row] = []
        order = sorted(codes, key=lambda c: (self.parents.get(c, ""), c)) if with_parent else codes
        for code in order:
            one = {"year": y, "unit_code": code}
            cells: list[Cell] = [self.unit_label(code)]
            if with_parent:
                cells.append(self.unit_label(self.parents.get(code, "")))
            cells.append(self.fixed(Source("summary.csv", "area_km2", one), 1.0, "km²", 0))
            cells.append(self.fixed(Source("summary.csv", "gep", one), scale, unit))
            if not with_parent:
                for cat in has_class:
                    cells.append(self.fixed(Source("summary.csv", cat, one), scale, unit))
            cells.append(
                self.rank(Source("summary.csv", "gep", group, "rank", rank_of={"unit_code": code}))
            )
            cells.append(self.fixed(Source("summary.csv", "gep_per_km2", one), k_scale, k_unit))
            cells.append(
                self.rank(
                    Source("summary.csv", "gep_per_km2", group, "rank", rank_of={"unit_code": code})
                )
            )
            if has_pop:
                cells.append(
                    self.fixed(
                        Source("summary.csv", "gep_per_capita", one), c_scale, c_unit, c_digits
                    )
                )
            if has_gdp:
                cells.append(
                    self.fixed(Source("summary.csv", "gep_gdp_ratio", one), 1.0, self.t("times"))
                )
            if has_growth:
                cells.append(self.grow(Source("summary.csv", "real_gep_growth", one)))
            rows.append(Row(cells))
        columns = [Column(self.t("name"), nowrap=True)]
        if with_parent:
            columns.append(Column(self.t("parent"), nowrap=True))
        columns += [
            Column(self.t("h_area"), num=True, unit="km²"),
            Column("GEP", num=True, unit=unit),
        ]
        if not with_parent:
            columns += [Column(self.t(c), num=True, unit=unit) for c in has_class]
        columns += [
            Column(self.t("rank"), num=True),
            Column(self.t("per_km2_short"), num=True, unit=k_unit),
            Column(self.t("rank"), num=True),
        ]
        if has_pop:
            columns.append(Column(self.t("per_capita_short"), num=True, unit=c_unit))
        if has_gdp:
            columns.append(Column("GEP/GDP", num=True))
        if has_growth:
            columns.append(Column(self.t("real_growth"), num=True, unit="%"))
        plural = self.lang == "en"
        title_key = "leaves_title" if with_parent else "units_title"
        title = self.t(title_key, level=level_name(level, self.lang, plural=plural), year=y)
        return self.table(
            key,
            title,
            columns,
            rows,
            long=len(rows) > 25,
            small=True,
            notes=[self.t("units_note")],
        )

    def _any(self, summary: pd.DataFrame, column: str, codes: list[str], y: int) -> bool:
        rows = summary[(summary["year"] == y) & summary["unit_code"].isin(codes)]
        return column in rows and bool(rows[column].notna().any())

    def _units_items_table(self, codes: list[str], level: str, y: int) -> Table:
        values = []
        for code in codes:
            values += list(self._item_values(y, code).values())
        scale, unit = self.money_unit(values)
        rows: list[Row] = []
        for code in [*codes]:
            cells: list[Cell] = [self.unit_label(code)]
            for item in self.items:
                cells.append(self.fixed(self.acc(y, code, item=item), scale, unit))
            cells.append(
                self.fixed(
                    Source("summary.csv", "gep", {"year": y, "unit_code": code}), scale, unit
                )
            )
            rows.append(Row(cells))
        total: list[Cell] = [self.region]
        for item in self.items:
            total.append(self.fixed(self.acc(y, self.root, item=item), scale, unit))
        total.append(self.fixed(self.summary_region("gep", y), scale, unit))
        rows.append(Row(total, "total"))
        columns = [Column(self.t("name"))]
        columns += [Column(self.item_code(i), num=True) for i in self.items]
        columns.append(Column("GEP", num=True))
        sep = "；" if self.lang == "zh" else "; "
        legend = sep.join(f"{self.item_code(i)} {self.item_name(i)}" for i in self.items)
        plural = self.lang == "en"
        title = self.t(
            "units_items_title", level=level_name(level, self.lang, plural=plural), year=y
        )
        return self.table(
            "T7b",
            title,
            columns,
            rows,
            unit=unit,
            wide=True,
            small=True,
            notes=[self.t("code_legend", legend=legend)],
        )

    # -- 11 change (T8) -------------------------------------------------------------------

    def _change_pairs(self) -> list[tuple[int, int]]:
        change = self.tables.get("change.csv")
        if change is None or change.empty or self.base is None:
            return []
        pairs = change[["from_year", "to_year"]].drop_duplicates().itertuples(index=False)
        ordered = sorted((int(a), int(b)) for a, b in pairs)
        return ordered[-3:]

    def section_change(self) -> list[Block]:
        blocks: list[Block] = []
        for a, b in self._change_pairs():
            blocks.append(self._change_table(a, b))
            if self.children:
                blocks.append(self._units_change_table(a, b))
        return blocks

    def _change_table(self, a: int, b: int) -> Table:
        base = self.base
        gep_values = [
            self.value(
                Source(
                    "change.csv",
                    "value_constant_to",
                    {"from_year": a, "to_year": b, "unit_code": self.root, "item": "GEP"},
                    "sum",
                )
            )
        ]
        scale, unit = self.money_unit(gep_values)
        rows: list[Row] = []
        items = [*self.items, "GEP"]
        for item in items:
            f = {"from_year": a, "to_year": b, "unit_code": self.root, "item": item}
            hit = self.eval.rows("change.csv", f)
            if hit.empty:
                continue
            label = "GEP" if item == "GEP" else self.item_name(item)
            code = "" if item == "GEP" else self.item_code(item)
            cells: list[Cell] = [code, label]
            if item != "GEP" and "quantity_from" in hit:
                q_sources = [
                    Source("change.csv", "quantity_from", f, "sum"),
                    Source("change.csv", "quantity_to", f, "sum"),
                ]
                qty_unit = str(hit["quantity_unit"].iloc[0])
                values = [self.value(s) for s in q_sources]
                divisor, word = quantity_scale(values, self.lang)
                if divisor == 0.0:
                    cells += [
                        self.written(s, unit_label(qty_unit, self.lang), 3) for s in q_sources
                    ]
                    cells.append(unit_label(qty_unit, self.lang))
                else:
                    u = self.qty_unit(qty_unit, word)
                    digits = 2 if divisor > 1 else digits_for(values)
                    cells += [self.fixed(s, divisor, u, digits) for s in q_sources]
                    cells.append(u)
                cells.append(self._growth_cell(q_sources[1], q_sources[0], "quantity_change", f))
            else:
                cells += ["", "", "", ""]
            cells += [
                self.fixed(Source("change.csv", "value_constant_from", f, "sum"), scale, unit),
                self.fixed(Source("change.csv", "value_constant_to", f, "sum"), scale, unit),
                self.fixed(Source("change.csv", "value_constant_change", f, "sum"), scale, unit),
            ]
            cells.append(
                self._growth_cell(
                    Source("change.csv", "value_constant_to", f, "sum"),
                    Source("change.csv", "value_constant_from", f, "sum"),
                    "real_growth",
                    f,
                )
            )
            cells.append(
                self._growth_cell(
                    Source("change.csv", "value_current_to", f, "sum"),
                    Source("change.csv", "value_current_from", f, "sum"),
                    "nominal_growth",
                    f,
                )
            )
            rows.append(Row(cells, "total" if item == "GEP" else ""))
        columns = [
            Column(self.t("code"), width="5%"),
            Column(self.t("item")),
            Column(self.t("q_from", year=a), num=True),
            Column(self.t("q_to", year=b), num=True),
            Column(self.t("unit"), nowrap=True),
            Column(self.t("quantity_change"), num=True),
            Column(self.t("v_from", year=a), num=True),
            Column(self.t("v_to", year=b), num=True),
            Column(self.t("difference"), num=True),
            Column(self.t("real_growth"), num=True),
            Column(self.t("nominal_growth"), num=True),
        ]
        title = self.t("change_title", region=self.region, a=a, b=b, base=base)
        return self.table(
            "T8",
            title,
            columns,
            rows,
            unit=unit,
            small=True,
            notes=[self.t("change_note", base=base)],
        )

    def _growth_cell(self, to: Source, from_: Source, column: str, f: dict[str, Any]) -> Cell:
        """A rate of change from change.csv: its own column for one top-level unit, else the
        ratio of the summed values (rates do not add up)."""
        source = Source("change.csv", column, f) if self.single else self.ratio(to, from_, -1.0)
        if not self.value(from_):
            return "–"
        return self.grow(source)

    def _units_change_table(self, a: int, b: int) -> Table:
        codes = self.children
        level = self.levels.get(codes[0], "custom")
        summary = self.run.summary
        values = [
            self.value(Source("summary.csv", "gep_constant", {"year": b, "unit_code": c}))
            for c in codes
        ]
        scale, unit = self.money_unit(values)
        has_gdp = "gdp_real_growth" in summary and self._any(summary, "gdp_real_growth", codes, b)
        has_dual = "dual_growth" in summary and self._any(summary, "dual_growth", codes, b)
        rows: list[Row] = []
        for code in [*codes]:
            cells: list[Cell] = [self.unit_label(code)]
            cells.append(
                self.fixed(
                    Source("summary.csv", "gep_constant", {"year": a, "unit_code": code}),
                    scale,
                    unit,
                )
            )
            cells.append(
                self.fixed(
                    Source("summary.csv", "gep_constant", {"year": b, "unit_code": code}),
                    scale,
                    unit,
                )
            )
            cells.append(
                self.grow(Source("summary.csv", "real_gep_growth", {"year": b, "unit_code": code}))
            )
            if has_gdp:
                cells.append(
                    self.grow(
                        Source("summary.csv", "gdp_real_growth", {"year": b, "unit_code": code})
                    )
                )
            if has_dual:
                flag = summary[(summary["year"] == b) & (summary["unit_code"] == code)]
                cells.append(_yes_no(flag["dual_growth"].iloc[0] if len(flag) else None, self.lang))
            rows.append(Row(cells))
        columns = [
            Column(self.t("name")),
            Column(self.t("v_from", year=a), num=True),
            Column(self.t("v_to", year=b), num=True),
            Column(self.t("real_growth"), num=True),
        ]
        if has_gdp:
            columns.append(Column(self.t("gdp_growth"), num=True))
        if has_dual:
            columns.append(Column(self.t("dual")))
        plural = self.lang == "en"
        title = self.t(
            "units_change_title", level=level_name(level, self.lang, plural=plural), a=a, b=b
        )
        note = f"{self.base} 年不变价" if self.lang == "zh" else f"constant {self.base} prices"
        return self.table(
            "T8b",
            title,
            columns,
            rows,
            unit=f"{unit}（{note}）" if self.lang == "zh" else f"{unit} ({note})",
            long=len(rows) > 25,
            small=True,
        )

    # -- 12 maps (T11) --------------------------------------------------------------------

    def section_maps(self) -> list[Block]:
        y = self.year
        blocks: list[Block] = [Para([self.t("maps_intro")])]
        cell_area_km2 = float(self.manifest.get("grid", {}).get("cell_area_m2", 1e6)) / 1e6
        k_scale, _ = self.per_km2_unit()
        values = self._item_values(y, self.root)
        regulating = [i for i in self.items if self._category(i) == "regulating"]
        with_maps = [i for i in regulating if self.run.map_path(i, y).is_file()]
        with_maps.sort(key=lambda i: -values.get(i, 0.0))
        for item in with_maps[:4]:
            path = self.run.map_path(item, y)
            blocks.append(
                self.map(
                    f"value_map_{item}",
                    "value",
                    self.t("value_map_title", item=self.item_name(item), year=y),
                    self.t("value_map_legend"),
                    raster=str(path.relative_to(self.run.folder)),
                    scale=1.0 / (cell_area_km2 * k_scale),
                )
            )
        for codes, labels in ((self.grandchildren, False), (self.children, True)):
            if not codes:
                continue
            level = self.levels.get(codes[0], "custom")
            values_km2 = [
                self.value(Source("summary.csv", "gep_per_km2", {"year": y, "unit_code": c}))
                / k_scale
                for c in codes
            ]
            plural = self.lang == "en"
            blocks.append(
                self.map(
                    f"choropleth_{level}",
                    "choropleth",
                    self.t(
                        "choropleth_title",
                        level=level_name(level, self.lang, plural=plural),
                        year=y,
                    ),
                    self.t("choropleth_legend"),
                    codes=list(codes),
                    values=values_km2,
                    labels=labels,
                )
            )
        return blocks

    # -- 13 data and quality (T10) --------------------------------------------------------

    def section_quality(self) -> list[Block]:
        blocks: list[Block] = []
        lang = self.lang
        if self.run.is_demo:
            blocks.append(
                Para(
                    [
                        self.t("demo")
                        + ": "
                        + (t("zh", "demo_zh", region=self.region_zh) + " " if lang == "zh" else "")
                        + self.run.demo_notice
                    ],
                    style="demo",
                )
            )
        blocks.append(self._inputs_table())
        stats = self._statistics_table()
        if stats is not None:
            blocks.append(stats)
        checks = self._checks_table()
        if checks is not None:
            blocks.append(checks)
        blocks += self._gaps_blocks()
        tbc = self._tbc_table()
        if tbc is not None:
            blocks.append(tbc)
        review = self.manifest.get("double_counting") or []
        if review:
            rows = [
                Row(
                    [
                        self.t(i18n.CHECK_STATUS.get(str(r.get("status")), "dc_note")),
                        "、".join(self.item_name(i) for i in r.get("items", []))
                        if lang == "zh"
                        else ", ".join(self.item_name(i) for i in r.get("items", [])),
                        str(r.get("message", "")),
                        str(r.get("basis", "")),
                    ]
                )
                for r in review
            ]
            columns = [
                Column(self.t("status"), width="8%"),
                Column(self.t("item"), width="22%"),
                Column(self.t("notes")),
                Column(self.t("source"), width="16%"),
            ]
            blocks.append(self.table("T10d", self.t("double_title"), columns, rows, small=True))
        warnings = self.manifest.get("warnings") or []
        if warnings:
            blocks.append(Para([self.t("warnings_title")], style="subhead"))
            blocks.append(Bullets([[str(w).split("\n")[0]] for w in warnings], style="small"))
        return blocks

    def _inputs_table(self) -> Table:
        inputs = self.manifest.get("inputs", {})
        layers = inputs.get("layers", {})
        grouped: dict[str, dict[str, Any]] = {}
        for key, info in layers.items():
            name, _, year = str(key).partition(":")
            entry = grouped.setdefault(name, {"years": [], "files": [], "info": info})
            if year:
                entry["years"].append(year)
            file_name = str(info.get("path", "")).rsplit("/", 1)[-1]
            if file_name not in entry["files"]:
                entry["files"].append(file_name)
        rows: list[Row] = []
        for name, entry in grouped.items():
            info = entry["info"]
            size = info.get("size") or []
            rows.append(
                Row(
                    [
                        name,
                        ", ".join(entry["files"]),
                        _years_short(entry["years"]),
                        " · ".join(
                            x
                            for x in (
                                str(info.get("crs", "")),
                                "×".join(str(s) for s in size) if size else "",
                                str(info.get("resampling", "")),
                            )
                            if x
                        ),
                        unit_label(
                            info.get("units") or info.get("declared_units") or "", lang=self.lang
                        ),
                        self.t("yes") if info.get("demo") else "",
                        str(info.get("source", "") or ""),
                    ]
                )
            )
        derived = inputs.get("derived_layers") or {}
        for name, origin in derived.items():
            rows.append(Row([name, "", "", "", "", "", f"← {origin}"]))
        columns = [
            Column(self.t("layer"), width="14%", css="file"),
            Column(self.t("file"), width="17%", css="file"),
            Column(self.t("years"), width="9%", nowrap=True),
            Column(self.t("grid_info"), width="13%"),
            Column(self.t("units"), width="9%", css="file"),
            Column(self.t("demo_col"), width="5%"),
            Column(self.t("source"), width="33%"),
        ]
        return self.table("T10", self.t("inputs_title"), columns, rows, small=True)

    def _statistics_table(self) -> Table | None:
        inputs = self.manifest.get("inputs", {})
        rows: list[Row] = []
        workbook = inputs.get("workbook")
        if workbook:
            source = str(workbook.get("source", ""))
            for domain, path in (workbook.get("domains") or {}).items():
                rows.append(
                    Row(
                        [
                            domain,
                            str(path).rsplit("/", 1)[-1],
                            self.t("yes") if workbook.get("demo") else "",
                            source,
                        ]
                    )
                )
                source = "〃" if self.lang == "zh" else "″"
        for name, info in (inputs.get("statistics") or {}).items():
            if isinstance(info, dict):
                rows.append(
                    Row(
                        [
                            name,
                            str(info.get("path", "")).rsplit("/", 1)[-1],
                            self.t("yes") if info.get("demo") else "",
                            str(info.get("source", "")),
                        ]
                    )
                )
        for name, info in (inputs.get("registers") or {}).items():
            rows.append(
                Row(
                    [
                        name,
                        str(info.get("path", "")).rsplit("/", 1)[-1],
                        self.t("yes") if info.get("demo") else "",
                        str(info.get("source", "")),
                    ]
                )
            )
        for name, info in (self.manifest.get("tables") or {}).items():
            rows.append(
                Row(
                    [
                        name,
                        str(info.get("path", "")).rsplit("/", 1)[-1],
                        "",
                        "SHA-256 " + str(info.get("sha256", ""))[:12] + "…",
                    ]
                )
            )
        if not rows:
            return None
        columns = [
            Column(self.t("domain"), width="20%"),
            Column(self.t("file"), width="26%"),
            Column(self.t("demo_col"), width="5%"),
            Column(self.t("source")),
        ]
        return self.table("T10b", self.t("statistics_title"), columns, rows, small=True)

    def _checks_table(self) -> Table | None:
        checks = self.tables.get("checks.csv")
        if checks is None or checks.empty:
            return None
        rows: list[Row] = []
        for name in dict.fromkeys(checks["check"]):
            f = {"check": name}
            label = self._check_label(str(name))
            rows.append(
                Row(
                    [
                        label,
                        self.integer(Source("checks.csv", "passed", f, "count")),
                        self.integer(Source("checks.csv", "passed", f, "sum")),
                        self.integer(self._failed(f)),
                        self.written(Source("checks.csv", "rel_diff", f, "max"), "", 2)
                        if name
                        in (
                            "units_sum_to_raster_total",
                            "children_sum_to_parent",
                            "parent_polygon_vs_children",
                        )
                        else "",
                    ]
                )
            )
        columns = [
            Column(self.t("check")),
            Column(self.t("checked"), num=True),
            Column(self.t("passed"), num=True),
            Column(self.t("failed"), num=True),
            Column(self.t("max_diff"), num=True),
        ]
        return self.table("T10c", self.t("checks_title"), columns, rows)

    def _failed(self, f: dict[str, Any]) -> Source:
        # failed = count − passed: a count with a negative offset would need a second source;
        # the rows with passed == False are counted directly instead.
        return Source("checks.csv", "passed", {**f, "passed": False}, "count")

    def _check_label(self, name: str) -> str:
        if name.startswith("bound:"):
            bound = name.split(":", 1)[1]
            known = f"bound_{bound}"
            what = self.t(known) if known in i18n.LABELS[self.lang] else bound
            return self.t("check_bound", what=what)
        key = f"check_{name}"
        return self.t(key) if key in i18n.LABELS[self.lang] else name

    def _gaps_blocks(self) -> list[Block]:
        gaps = self.tables.get("gaps.csv")
        blocks: list[Block] = [Para([self.t("gaps_title")], style="subhead")]
        if gaps is None or gaps.empty:
            blocks.append(Para([self.t("gaps_none")]))
            return blocks
        leaves = set(self.run.leaves())
        y = self.year
        rows: list[Row] = []
        area = Source(
            "summary.csv",
            "area_km2",
            {"year": y, "unit_code": self.root},
            "one" if self.single else "sum",
        )
        leaf_rows = gaps[gaps["unit_code"].isin(leaves) & (gaps["year"] == y)]
        for item in dict.fromkeys(leaf_rows["item"]):
            src = Source(
                "gaps.csv",
                "missing_km2",
                {"year": y, "item": item, "unit_code": sorted(leaves)},
                "sum",
            )
            rows.append(
                Row(
                    [
                        self.item_name(str(item)),
                        self.fixed(src, 1.0, "km²", 1),
                        self.pct(self.ratio(src, area)),
                    ]
                )
            )
        if not rows:
            blocks.append(Para([self.t("gaps_none")]))
            return blocks
        columns = [
            Column(self.t("item")),
            Column(self.t("missing_km2"), num=True),
            Column(self.t("share_of_area"), num=True),
        ]
        blocks.append(self.table("T10e", self.t("gaps_title"), columns, rows))
        return blocks

    def _tbc_table(self) -> Table | None:
        entries = self.manifest.get("to_be_confirmed") or []
        if not entries:
            return None
        rows: list[Row] = []
        for n, entry in enumerate(entries):
            tag = str(entry.get("confidence", ""))
            value = entry.get("value")
            unit = unit_label(entry.get("unit", ""), self.lang)
            cell: Cell
            if isinstance(value, int | float) and not isinstance(value, bool):
                cell = self.written(
                    Source("manifest.json", f"to_be_confirmed/{n}/value"),
                    unit,
                )
            else:
                cell = str(value)
            rows.append(
                Row(
                    [str(entry.get("what", "")), cell, unit, Tag(tag), str(entry.get("source", ""))]
                )
            )
        columns = [
            Column(self.t("what"), width="28%"),
            Column(self.t("value"), num=True),
            Column(self.t("unit"), width="8%"),
            Column(self.t("confidence"), width="7%"),
            Column(self.t("source")),
        ]
        return self.table(
            "T10f",
            self.t("tbc_title"),
            columns,
            rows,
            small=True,
            notes=[self.t("tbc_intro")],
            long=len(rows) > 25,
        )

    # -- 14 method notes ------------------------------------------------------------------

    def section_methods(self) -> list[Block]:
        blocks: list[Block] = [Para([self.t("methods_intro")])]
        items = self.manifest.get("items", {})
        for item in self.items:
            info = items.get(item, {})
            options = info.get("options", {}) or {}
            option_text = [f"{k} = {_option_value(v)}" for k, v in options.items()]
            reported = [
                f"{part}: {stat}" for part, stat in (info.get("reported_parts") or {}).items()
            ]
            params = self._params_table(item, info)
            blocks.append(
                ItemNote(
                    item=item,
                    code=self.item_code(item),
                    name=self.item_name(item),
                    category=self.t(self._category(item)),
                    note=i18n.note(item, self.lang),
                    formulas=list(i18n.formulas(item)),
                    run_method=str(info.get("method", "")),
                    options=option_text,
                    reported=reported,
                    notes=[str(n) for n in info.get("notes", []) or []],
                    params=params,
                )
            )
        return blocks

    def _params_table(self, item: str, info: dict[str, Any]) -> Table | None:
        records = info.get("parameters_and_prices") or []
        if not records:
            return None
        rows: list[Row] = []
        for n, rec in enumerate(records):
            tag = str(rec.get("confidence", ""))
            unit = unit_label(rec.get("unit", ""), self.lang)
            value = rec.get("value")
            cell: Cell
            if isinstance(value, int | float) and not isinstance(value, bool):
                cell = self.written(
                    Source("manifest.json", f"items/{item}/parameters_and_prices/{n}/value"),
                    unit,
                )
            else:
                cell = str(value)
            kind = self.t("kind_price") if rec.get("kind") == "price" else self.t("kind_parameter")
            year = rec.get("year")
            rows.append(
                Row(
                    [
                        kind,
                        f"{rec.get('key', '')}/{rec.get('variant', '')}",
                        cell,
                        unit,
                        "" if year in (None, "") else str(year),
                        Tag(tag),
                        str(rec.get("source", ""))
                        + (
                            f"（{rec['note']}）"
                            if rec.get("note") and self.lang == "zh"
                            else f" ({rec['note']})"
                            if rec.get("note")
                            else ""
                        ),
                    ]
                )
            )
        columns = [
            Column(self.t("kind"), width="6%"),
            Column(self.t("key"), width="24%"),
            Column(self.t("value"), num=True),
            Column(self.t("unit"), width="9%"),
            Column(self.t("year"), width="5%"),
            Column(self.t("confidence"), width="7%"),
            Column(self.t("source")),
        ]
        # numbered like the other tables, but without a caption of its own: the note heads it
        self.n_tables += 1
        return Table(
            key=f"P:{item}",
            number=self.n_tables,
            title=f"{self.item_name(item)}：{self.t('parameters')}"
            if self.lang == "zh"
            else f"{self.item_name(item)}: {self.t('parameters').lower()}",
            columns=columns,
            rows=rows,
            small=True,
        )


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _gepkit_version() -> str:
    from gepkit import __version__

    return __version__


def _years_text(years: Sequence[int], lang: str) -> str:
    if not years:
        return ""
    if len(years) == 1:
        return f"{years[0]} 年" if lang == "zh" else str(years[0])
    if list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}—{years[-1]} 年" if lang == "zh" else f"{years[0]}–{years[-1]}"
    joined = "、".join(map(str, years)) if lang == "zh" else ", ".join(map(str, years))
    return f"{joined} 年" if lang == "zh" else joined


def _years_short(years: list[str]) -> str:
    unique = sorted(set(years))
    if len(unique) > 2:
        return f"{unique[0]}–{unique[-1]}"
    return ", ".join(unique)


def _eco_order(code: int) -> tuple[int, int]:
    """Ecosystem classes in their order, −2 (not by type) and −1 (no data) last."""
    return (1, -code) if code < 0 else (0, code)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _finite_or(value: float, default: float) -> float:
    return value if math.isfinite(value) else default


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip()


def _yes_no(flag: Any, lang: str) -> str:
    if flag is None or (isinstance(flag, float) and math.isnan(flag)) or flag == "":
        return "–"
    truth = flag if isinstance(flag, bool | np.bool_) else str(flag) == "True"
    return t(lang, "yes") if truth else t(lang, "no")


def _option_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_option_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_option_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _num_or_none(cell: Cell) -> Num | None:
    return cell if isinstance(cell, Num) else None


def _difference_cell(builder: _Builder, this: Source, first: Source) -> Cell:
    """The change of an area between the first and the last year (km², signed)."""
    value_this = builder.value(this)
    value_first = builder.value(first)
    if not (math.isfinite(value_this) and math.isfinite(value_first)):
        return "–"
    if value_first == 0:
        return "–"
    return builder.grow(builder.ratio(this, first, -1.0))
