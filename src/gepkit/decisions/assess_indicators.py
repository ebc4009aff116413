"""The assessment indicators of ``gep assess`` (methods catalogue §4.3), read from a run.

Every value comes from the run's own tables — ``summary.csv``, ``accounts.csv`` and
``change.csv`` — and is never recomputed from inputs: the indicators only divide or count what
the account holds.  A value the run cannot give (GEP/GDP without GDP, growth in the first year)
is missing (NaN) with the reason in words, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gepkit.decisions.run_results import RunResults

#: Why a value is missing: key → (English, Chinese, how to fix).  {year}, {previous} filled in.
REASONS: dict[str, tuple[str, str, str]] = {
    "first_year": (
        "{year} is the first year of the run: no previous year to compare with",
        "{year}年为核算首年，无上年可比",
        "assess a later year, or run the account for the previous year too",
    ),
    "not_consecutive": (
        "dual growth compares consecutive years and the run's previous year is {previous}",
        "双增长仅比较相邻年份，本次核算的上一年为{previous}年",
        "run the account for consecutive years",
    ),
    "no_constant": (
        "the run has no values at constant prices",
        "核算结果无不变价数值",
        "set [valuation] base_year in gep.toml and run the account again",
    ),
    "no_constant_previous": (
        "no GEP at constant prices in {previous}",
        "{previous}年无不变价GEP",
        "check the run's {previous} account",
    ),
    "no_real_growth": ("real GEP growth is missing", "GEP实际增长率缺失", ""),
    "no_gdp": (
        "no GDP for this unit in the run: summary.csv gdp is empty",
        "核算结果无该单位GDP，summary.csv gdp为空",
        "add GDP to the gdp sheet of the statistics workbook and run the account again",
    ),
    "no_gdp_growth": (
        "no real GDP growth for this unit in the run: summary.csv gdp_real_growth is empty",
        "核算结果无该单位GDP实际增长率，summary.csv gdp_real_growth为空",
        "add gdp_real_growth to the gdp sheet of the statistics workbook and run the account again",
    ),
    "no_population": (
        "no population for this unit in the run: summary.csv population is empty",
        "核算结果无该单位人口，summary.csv population为空",
        "add it to the population sheet of the statistics workbook and run the account again",
    ),
    "no_gep": ("GEP is 0 or missing", "GEP为0或缺失", "check the unit's account"),
    "no_area": (
        "summary.csv gep_per_km2 is empty: no GEP or no area",
        "summary.csv gep_per_km2为空：无GEP或无面积",
        "check the unit's account and polygon",
    ),
    "no_provisioning": (
        "the run has no provisioning value for this unit",
        "核算结果无该单位物质产品价值",
        "add provisioning items (farm output statistics) to the run",
    ),
    "no_cultural": (
        "the run has no cultural-service value for this unit",
        "核算结果无该单位文化服务价值",
        "add the recreation item (tourism statistics) to the run",
    ),
    "no_regulating": (
        "the run has no regulating-service item",
        "核算结果无调节服务项目",
        "",
    ),
    "no_regulating_value": (
        "no regulating-service value at constant prices in {previous} or {year}",
        "{previous}年或{year}年无不变价调节服务价值",
        "check the unit's account",
    ),
    "regulating_zero": (
        "the regulating-service value of {previous} is 0: growth undefined",
        "{previous}年调节服务价值为0，增长率无定义",
        "",
    ),
    "no_change_csv": (
        "the run has no change.csv",
        "核算结果无change.csv",
        "run the account for two or more years",
    ),
    "no_change_rows": (
        "change.csv has no item rows for this unit, {previous}→{year}",
        "change.csv无该单位{previous}→{year}年的项目行",
        "check the run's change.csv",
    ),
    "value_missing": ("the run gives no value", "核算结果无此数值", "check the unit's account"),
}

#: Records a value (and the reason where it is missing) for one indicator.
Explain = Callable[[str, pd.Series, pd.Series | str], None]

#: A relative change within ±1e-6 of the larger value counts as "unchanged" (rounding noise).
UNCHANGED_TOLERANCE = 1e-6


@dataclass(frozen=True)
class IndicatorDef:
    name: str
    label: str
    label_zh: str
    unit: str
    """Unit of the value in indicators.csv and assessment.csv."""
    kind: Literal["number", "flag"]
    direction: Literal["higher", "lower"]
    """Which way is better unless a scheme says otherwise (also the order of ``rank``)."""
    growth: bool
    """Needs the previous year of the run."""
    display: Literal["percent", "share", "ratio", "per_km2", "per_capita", "yi", "count", "flag"]
    source: str
    """Where the value comes from ({year}, {previous}, {base} are filled in)."""
    definition: str


INDICATORS: dict[str, IndicatorDef] = {
    d.name: d
    for d in (
        IndicatorDef(
            "real_gep_growth",
            "real GEP growth",
            "GEP实际增长率",
            "fraction (0.05 = 5 %)",
            "number",
            "higher",
            True,
            "percent",
            "summary.csv real_gep_growth = gep_constant {year} / gep_constant {previous} − 1, "
            "at constant {base} prices",
            "GEP real growth rate at the constant prices of the run's base year (§4.3)",
        ),
        IndicatorDef(
            "dual_growth",
            "GEP–GDP dual growth",
            "GEP与GDP双增长",
            "yes/no (1/0)",
            "flag",
            "higher",
            True,
            "flag",
            "summary.csv dual_growth: real_gep_growth > 0 and gdp_real_growth > 0, "
            "{previous}→{year}",
            "GEP–GDP dual growth flag (双增长, Lishui; §4.3)",
        ),
        IndicatorDef(
            "gdp_real_growth",
            "real GDP growth",
            "GDP实际增长率",
            "fraction (0.05 = 5 %)",
            "number",
            "higher",
            True,
            "percent",
            "summary.csv gdp_real_growth (the gdp sheet of the run's statistics), {year}",
            "real GDP growth as given in the run's statistics (context of dual growth)",
        ),
        IndicatorDef(
            "gep_gdp_ratio",
            "GEP/GDP (GGI)",
            "GEP/GDP（绿金指数）",
            "ratio (CNY GEP per CNY GDP)",
            "number",
            "higher",
            False,
            "ratio",
            "summary.csv gep_gdp_ratio = gep / gdp, {year}, current prices",
            "GGI = GEP/GDP [V] (CAEP and county reports; §4.3)",
        ),
        IndicatorDef(
            "gep",
            "GEP",
            "生态产品总值",
            "CNY (current prices)",
            "number",
            "higher",
            False,
            "yi",
            "summary.csv gep, {year}, current prices",
            "GEP at current prices",
        ),
        IndicatorDef(
            "gep_per_km2",
            "GEP per km²",
            "单位面积GEP",
            "CNY per km² (current prices)",
            "number",
            "higher",
            False,
            "per_km2",
            "summary.csv gep_per_km2 = gep / area_km2, {year}, current prices",
            "GEP per km² of the unit's area (§4.3 per-km² ranking)",
        ),
        IndicatorDef(
            "gep_per_capita",
            "GEP per capita",
            "人均GEP",
            "CNY per person (current prices)",
            "number",
            "higher",
            False,
            "per_capita",
            "summary.csv gep_per_capita = gep / population, {year}, current prices",
            "GEP per person of the resident population (§4.3 per-capita ranking)",
        ),
        IndicatorDef(
            "regulating_real_growth",
            "regulating-service real growth",
            "调节服务价值实际增长率",
            "fraction (0.05 = 5 %)",
            "number",
            "higher",
            True,
            "percent",
            "accounts.csv: Σ value of the regulating items at price_basis constant-{base}, "
            "{year} / {previous} − 1",
            "real growth of the regulating-service value at constant prices (§4.2, §4.3)",
        ),
        IndicatorDef(
            "items_up",
            "items up",
            "实际增长的产品项数",
            "items",
            "number",
            "higher",
            True,
            "count",
            "change.csv value_constant_change > 0 ({previous}→{year}, constant {base} prices), "
            "items other than GEP",
            "number of items whose value at constant prices rose (sign of change per item, §4.3)",
        ),
        IndicatorDef(
            "items_down",
            "items down",
            "实际下降的产品项数",
            "items",
            "number",
            "lower",
            True,
            "count",
            "change.csv value_constant_change < 0 ({previous}→{year}, constant {base} prices), "
            "items other than GEP",
            "number of items whose value at constant prices fell (sign of change per item, §4.3)",
        ),
        IndicatorDef(
            "value_realisation_rate",
            "value-realisation rate (two-mountains conversion: (provisioning + cultural) ÷ GEP)",
            "价值实现率（两山转化率：(物质产品 + 文化服务) ÷ GEP）",
            "fraction (0.47 = 47 %)",
            "number",
            "higher",
            False,
            "share",
            "summary.csv (provisioning + cultural) / gep, {year}, current prices",
            "realised part of GEP defined as the 'two-mountains conversion value' (两山转化价值 = "
            "provisioning + cultural value, Ninghai 2018 [V], §4.3) ÷ GEP; the exact numerator "
            "of Lin et al.'s (2023) value-realisation rate is not known [K]",
        ),
    )
}

LEVEL_WORDS: dict[str, tuple[str, str, str]] = {
    "province": ("province", "provinces", "省"),
    "city": ("city", "cities", "市"),
    "county": ("county", "counties", "县（市、区）"),
    "township": ("township", "townships", "乡镇（街道）"),
}


def level_words(level: str) -> tuple[str, str, str]:
    """Singular, plural and Chinese name of a unit level."""
    return LEVEL_WORDS.get(level, (level, f"{level} units", level))


def format_value(name: str, value: float, *, zh: bool = False) -> str:
    """An indicator value as officials read it (percent, 万元/km², 元/人 …)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "缺失" if zh else "missing"
    display = INDICATORS[name].display if name in INDICATORS else "ratio"
    if display == "percent":
        if value == 0:
            return "0.00 %"
        return f"{value * 100:+.2f} %".replace("-", "−")
    if display == "share":
        return f"{value * 100:.2f} %".replace("-", "−")
    if display == "flag":
        if zh:
            return "是" if value else "否"
        return "yes" if value else "no"
    if display == "per_km2":
        return f"{value / 1e4:,.1f} 万元/km²"
    if display == "per_capita":
        return f"{value:,.0f} 元/人"
    if display == "yi":
        return f"{value / 1e8:,.2f} 亿元"
    if display == "count":
        return f"{value:.0f}"
    return f"{value:.3f}".replace("-", "−")


@dataclass(frozen=True)
class IndicatorTable:
    """The indicators of the units of one level in one year."""

    year: int
    level: str
    previous_year: int | None
    base_year: int | None
    units: pd.DataFrame
    """Index unit_code: unit_name, parent_code, parent_name."""
    values: pd.DataFrame
    """Index unit_code, one float column per indicator (NaN: missing; flags 1/0)."""
    reasons: pd.DataFrame
    """Same shape: why a value is missing, a key of :data:`REASONS` ("" when it is known)."""
    notes: pd.DataFrame
    """Same shape: what lies behind a value (e.g. the items that rose and fell)."""

    def source(self, name: str) -> str:
        return INDICATORS[name].source.format(
            year=self.year,
            previous=self.previous_year if self.previous_year is not None else "previous year",
            base=self.base_year if self.base_year is not None else "?",
        )

    def reason(self, code: str, name: str, *, zh: bool = False, fix: bool = False) -> str:
        """Why ``name`` is missing for ``code``, in English (or Chinese, or how to fix it)."""
        key = self.reasons.at[code, name]
        if not key:
            return ""
        text = REASONS[key][2 if fix else 1 if zh else 0]
        return text.format(year=self.year, previous=self.previous_year)

    def long(self) -> pd.DataFrame:
        """indicators.csv: one row per unit and indicator with its unit, rank and source."""
        rows = []
        count = len(self.values)
        for name, definition in INDICATORS.items():
            values = self.values[name]
            ascending = definition.direction == "lower"
            rank_all = values.rank(method="min", ascending=ascending)
            by_parent = values.groupby(self.units["parent_code"])
            rank_parent = by_parent.rank(method="min", ascending=ascending)
            in_parent = by_parent.transform("count")
            for code in self.values.index:
                value = values[code]
                # a yes/no flag has no rank
                missing = bool(pd.isna(value)) or definition.kind == "flag"
                rows.append(
                    {
                        "year": self.year,
                        "unit_code": code,
                        "unit_name": self.units.at[code, "unit_name"],
                        "unit_level": self.level,
                        "parent_code": self.units.at[code, "parent_code"],
                        "parent_name": self.units.at[code, "parent_name"],
                        "indicator": name,
                        "label": definition.label,
                        "label_zh": definition.label_zh,
                        "value": value,
                        "value_text": format_value(name, value),
                        "unit": definition.unit,
                        "better": definition.direction,
                        "rank": None if missing else int(rank_all[code]),
                        "ranked": int(values.notna().sum()),
                        "of_units": count,
                        "rank_in_parent": None if missing else int(rank_parent[code]),
                        "ranked_in_parent": int(in_parent[code]),
                        "missing_reason": self.reason(code, name),
                        "missing_reason_zh": self.reason(code, name, zh=True),
                        "fix": self.reason(code, name, fix=True),
                        "note": self.notes.at[code, name],
                        "source": self.source(name),
                        "previous_year": self.previous_year if definition.growth else None,
                    }
                )
        frame = pd.DataFrame(rows)
        for column in ("rank", "rank_in_parent", "previous_year"):
            frame[column] = frame[column].astype("Int64")
        return frame


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return pd.to_numeric(frame[name], errors="coerce")
    return pd.Series(np.nan, index=frame.index, dtype=float)


def _flag(frame: pd.DataFrame, name: str) -> pd.Series:
    """A true/false column read back from CSV (True/False/1/0/empty) as 1.0/0.0/NaN."""
    if name not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    mapping = {"true": 1.0, "1": 1.0, "1.0": 1.0, "false": 0.0, "0": 0.0, "0.0": 0.0}
    return frame[name].map(
        lambda v: np.nan if pd.isna(v) else mapping.get(str(v).strip().lower(), np.nan)
    )


def previous_year_of(run: RunResults, year: int) -> int | None:
    """The year the run compares ``year`` with (summary.csv previous_year), if any."""
    rows = run.summary[run.summary["year"] == year]
    if "previous_year" not in rows:
        return None
    previous = pd.to_numeric(rows["previous_year"], errors="coerce").dropna()
    return int(previous.iloc[0]) if len(previous) else None


def _where(condition: pd.Series | np.ndarray, yes: str, no: str | pd.Series) -> pd.Series:
    index = condition.index if isinstance(condition, pd.Series) else None
    other = no.to_numpy() if isinstance(no, pd.Series) else no
    return pd.Series(np.where(np.asarray(condition), yes, other), index=index, dtype=object)


def compute_indicators(run: RunResults, year: int, level: str) -> IndicatorTable:
    """Every indicator for the units of ``level`` in ``year``, with the reason of each gap."""
    summary = run.summary
    this_year = summary[summary["year"] == year]
    names = this_year.set_index("unit_code")["unit_name"].astype(str)
    rows = this_year[this_year["unit_level"] == level].set_index("unit_code").sort_index()
    codes = rows.index
    units = pd.DataFrame(
        {
            "unit_name": rows["unit_name"].astype(str),
            "parent_code": rows["parent_code"].astype(str),
        },
        index=codes,
    )
    units["parent_name"] = units["parent_code"].map(names).fillna("")
    previous = previous_year_of(run, year)
    base = run.base_year
    values = pd.DataFrame(index=codes, columns=list(INDICATORS), dtype=float)
    reasons = pd.DataFrame("", index=codes, columns=list(INDICATORS), dtype=object)
    notes = pd.DataFrame("", index=codes, columns=list(INDICATORS), dtype=object)

    def explain(name: str, series: pd.Series, reason: pd.Series | str) -> None:
        values[name] = pd.Series(series, index=codes).astype(float)
        missing = values[name].isna()
        if isinstance(reason, str):
            reason = pd.Series(reason, index=codes, dtype=object)
        reasons.loc[missing, name] = reason[missing].replace("", "value_missing")

    gdp, gep = _column(rows, "gdp"), _column(rows, "gep")

    # GEP and the ratios of summary.csv (current prices)
    explain("gep", gep, "no_gep")
    explain("gep_per_km2", _column(rows, "gep_per_km2"), "no_area")
    population = _column(rows, "population")
    explain(
        "gep_per_capita",
        _column(rows, "gep_per_capita"),
        _where(population.isna(), "no_population", "no_gep"),
    )
    explain("gep_gdp_ratio", _column(rows, "gep_gdp_ratio"), _where(gdp.isna(), "no_gdp", "no_gep"))

    # realised part: (provisioning + cultural) / GEP, current prices
    provisioning, cultural = _column(rows, "provisioning"), _column(rows, "cultural")
    realised = (provisioning + cultural) / gep.where(gep > 0)
    explain(
        "value_realisation_rate",
        realised,
        _where(
            provisioning.isna(),
            "no_provisioning",
            _where(cultural.isna(), "no_cultural", "no_gep"),
        ),
    )
    notes["value_realisation_rate"] = [
        ""
        if pd.isna(r)
        else f"provisioning {p / 1e8:,.2f} + cultural {c / 1e8:,.2f} = {(p + c) / 1e8:,.2f} 亿元 "
        f"of GEP {g / 1e8:,.2f} 亿元"
        for r, p, c, g in zip(realised, provisioning, cultural, gep, strict=True)
    ]

    # growth indicators
    real = _column(rows, "real_gep_growth")
    gdp_growth = _column(rows, "gdp_real_growth")
    if previous is None:
        for name in ("real_gep_growth", "gdp_real_growth", "dual_growth"):
            explain(name, pd.Series(np.nan, index=codes), "first_year")
    else:
        explain("real_gep_growth", real, "no_constant" if base is None else "no_constant_previous")
        explain("gdp_real_growth", gdp_growth, _where(gdp.isna(), "no_gdp", "no_gdp_growth"))
        dual = _flag(rows, "dual_growth")
        if previous != year - 1:
            explain("dual_growth", dual, "not_consecutive")
        else:
            explain(
                "dual_growth",
                dual,
                _where(
                    real.isna(),
                    "no_real_growth",
                    _where(gdp.isna(), "no_gdp", _where(gdp_growth.isna(), "no_gdp_growth", "")),
                ),
            )
        notes["dual_growth"] = [
            ""
            if pd.isna(d)
            else f"real GEP growth {format_value('real_gep_growth', r)}, "
            f"real GDP growth {format_value('gdp_real_growth', g)}"
            for d, r, g in zip(dual, real, gdp_growth, strict=True)
        ]
    _regulating(run, year, previous, base, codes, explain, notes)
    _items(run, year, previous, codes, explain, notes)
    return IndicatorTable(
        year=year,
        level=level,
        previous_year=previous,
        base_year=base,
        units=units,
        values=values,
        reasons=reasons,
        notes=notes,
    )


def _regulating(
    run: RunResults,
    year: int,
    previous: int | None,
    base: int | None,
    codes: pd.Index,
    explain: Explain,
    notes: pd.DataFrame,
) -> None:
    name = "regulating_real_growth"
    nothing = pd.Series(np.nan, index=codes)
    if previous is None or base is None:
        explain(name, nothing, "first_year" if previous is None else "no_constant")
        return
    accounts = run.accounts
    rows = accounts[
        (accounts["price_basis"] == f"constant-{base}")
        & (accounts["category"] == "regulating")
        & accounts["year"].isin([year, previous])
        & accounts["unit_code"].isin(codes)
    ]
    if rows.empty:
        explain(name, nothing, "no_regulating")
        return
    sums = (
        rows.groupby(["unit_code", "year"])["value"]
        .sum(min_count=1)
        .unstack("year")
        .reindex(index=codes, columns=[previous, year])
    )
    before, after = sums[previous], sums[year]
    growth = after / before.where(before > 0) - 1.0
    explain(
        name,
        growth,
        _where(before.isna() | after.isna(), "no_regulating_value", "regulating_zero"),
    )
    notes[name] = [
        ""
        if pd.isna(g)
        else f"regulating services {b / 1e8:,.2f} → {a / 1e8:,.2f} 亿元 at {base} prices"
        for g, b, a in zip(growth, before, after, strict=True)
    ]


def _items(
    run: RunResults,
    year: int,
    previous: int | None,
    codes: pd.Index,
    explain: Explain,
    notes: pd.DataFrame,
) -> None:
    change = run.change if previous is not None else None
    if previous is None or change is None:
        for name in ("items_up", "items_down"):
            explain(
                name,
                pd.Series(np.nan, index=codes),
                "first_year" if previous is None else "no_change_csv",
            )
        return
    rows = change[
        (change["from_year"] == previous)
        & (change["to_year"] == year)
        & (change["item"] != "GEP")
        & change["unit_code"].isin(codes)
    ]
    before = pd.to_numeric(rows["value_constant_from"], errors="coerce")
    after = pd.to_numeric(rows["value_constant_to"], errors="coerce")
    delta = pd.to_numeric(rows["value_constant_change"], errors="coerce")
    scale = np.maximum(before.abs().fillna(0), after.abs().fillna(0))
    frame = pd.DataFrame(
        {
            "unit_code": rows["unit_code"],
            "item": rows["item"],
            "up": delta > UNCHANGED_TOLERANCE * scale,
            "down": delta < -UNCHANGED_TOLERANCE * scale,
            "compared": delta.notna(),
        }
    )
    grouped = frame.groupby("unit_code")
    n_up = grouped["up"].sum().reindex(codes).astype(float)
    n_down = grouped["down"].sum().reindex(codes).astype(float)
    n_compared = grouped["compared"].sum().reindex(codes)
    explain("items_up", n_up, "no_change_rows")
    explain("items_down", n_down, "no_change_rows")
    for code, part in frame.groupby("unit_code"):
        text = (
            f"up: {', '.join(part.loc[part['up'], 'item']) or 'none'}; "
            f"down: {', '.join(part.loc[part['down'], 'item']) or 'none'}; "
            f"{int(n_compared[code])} items compared at constant prices"
        )
        notes.at[code, "items_up"] = text
        notes.at[code, "items_down"] = text
