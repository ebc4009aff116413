"""``gep assess``: score and rank the units of a run with an assessment scheme (§4.3).

The indicators (real GEP growth, GEP–GDP dual growth, GEP/GDP, GEP per km² and per capita,
regulating-service real growth, items up/down, value-realisation rate) are read from the run
(:mod:`gepkit.decisions.assess_indicators`); a scheme (:mod:`gepkit.decisions.assess_scheme`)
gives each one points by a method (:mod:`gepkit.decisions.assess_scoring`); vetoes cap scores
or mark units "not passed"; grades name score bands.  Every unit's row says, in English and
Chinese, where each of its points came from.  docs/decisions/assess.md is the user's guide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from gepkit import __version__
from gepkit.decisions.assess_indicators import (
    INDICATORS,
    IndicatorTable,
    compute_indicators,
    format_value,
    level_words,
    previous_year_of,
)
from gepkit.decisions.assess_scheme import IndicatorSpec, Scheme, VetoSpec, load_scheme
from gepkit.decisions.assess_scoring import (
    competition_rank,
    flag_points,
    minmax_points,
    rank_points,
    target_points,
    threshold_points,
)
from gepkit.decisions.run_results import RunResults
from gepkit.errors import InputError, Problem
from gepkit.io.outputs import atomic_folder, check_target, write_json, write_table

TIES_TEXT = {
    "average": "tied units share the points of the positions they occupy (average rank: two "
    "units tied for 2nd both get the mean of the points of ranks 2 and 3, rank 2.5)",
    "min": "tied units all get the points and the rank of the best position they occupy "
    "(same rank: 1, 2, 2, 4)",
}
FINAL_RANKING_TEXT = (
    "units are ranked by total score within their peer group, highest first; scores equal to "
    "6 decimals share the same rank (1, 2, 2, 4); units without a score are not ranked"
)


@dataclass
class PeerGroup:
    key: str
    label: str
    label_zh: str
    codes: list[str]
    scales: dict[str, dict[str, float | None]] = field(default_factory=dict)


@dataclass
class Assessment:
    """The result of scoring one level of a run in one year with a scheme."""

    scheme: Scheme
    run: RunResults
    indicators: IndicatorTable
    groups: list[PeerGroup]
    table: pd.DataFrame
    """assessment.csv: one row per unit, sorted by peer group and rank."""
    warnings: list[str]
    scheme_file: Path | None = None

    @property
    def year(self) -> int:
        return self.indicators.year

    def as_json(self) -> dict[str, Any]:
        """assessment.json: the scheme as applied, the run's provenance and the notices."""
        scheme = self.scheme
        indicators = []
        for spec in scheme.indicators:
            definition = INDICATORS[spec.name]
            vals = self.indicators.values[spec.name]
            indicators.append(
                {
                    "name": spec.name,
                    "label": definition.label,
                    "label_zh": definition.label_zh,
                    "unit": definition.unit,
                    "points": scheme.points_of(spec),
                    "method": spec.method,
                    "direction": None if spec.method == "flag" else scheme.direction_of(spec),
                    "missing": spec.missing,
                    "rule": rule_text(scheme, spec),
                    "definition": definition.definition,
                    "source": self.indicators.source(spec.name),
                    "units_with_value": int(vals.notna().sum()),
                    "units_missing": int(vals.isna().sum()),
                    "missing_reasons": _reason_counts(self.indicators, spec.name),
                    "note": spec.note,
                }
            )
        vetoes = []
        for column, veto in _vetoes(scheme):
            hit = self.table.loc[self.table[column] != "", "unit_code"].tolist()
            vetoes.append({**veto.model_dump(mode="json"), "rule": veto_text(veto), "units": hit})
        scheme_file = self.scheme_file
        return {
            "tool": "gep assess",
            "gepkit_version": __version__,
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notice": self.notice,
            "scheme_file": str(scheme_file.resolve()) if scheme_file else None,
            "scheme_sha256": hashlib.sha256(scheme_file.read_bytes()).hexdigest()
            if scheme_file and scheme_file.is_file()
            else None,
            "scheme": scheme.model_dump(mode="json"),
            "applied": {
                "year": self.year,
                "previous_year": self.indicators.previous_year,
                "constant_prices_of": self.indicators.base_year,
                "level": self.indicators.level,
                "units": len(self.table),
                "ranked": int(self.table["rank"].notna().sum()),
                "total_points": scheme.total_points,
                "peer_group": scheme.peer_group,
                "ties": TIES_TEXT[scheme.ties],
                "final_ranking": FINAL_RANKING_TEXT,
                "missing": {
                    "zero": "a unit without a value gets 0 points for the indicator",
                    "rescale": "a unit without a value has the indicator left out: its score is "
                    "the points earned × total_points / the points it could attain",
                    "refuse": "a unit without a value stops the assessment",
                },
                "indicators": indicators,
                "vetoes": vetoes,
                "grades": [g.model_dump(mode="json") for g in scheme.grades],
                "peer_groups": [
                    {
                        "key": g.key,
                        "label": g.label,
                        "units": g.codes,
                        "scales": g.scales,
                    }
                    for g in self.groups
                ],
            },
            "run": self.run.provenance(),
            "demo": {"is_demo": self.run.is_demo, "notice": self.run.demo_notice},
            "warnings": self.warnings,
            "outputs": {
                "assessment.csv": "one row per unit: each scored indicator's value and points, "
                "total, rank, grade, veto, explanation (English) and explanation_zh (Chinese)",
                "indicators.csv": "every indicator of every unit of the level: value, unit, rank "
                "among the level's units and within the parent, source, reason when missing",
                "assessment.json": "this file",
            },
        }

    @property
    def notice(self) -> str:
        parts = [self.scheme.notice, self.run.demo_notice]
        return " ".join(p for p in parts if p)


def _reason_counts(table: IndicatorTable, name: str) -> dict[str, int]:
    """How many units lack ``name``, by reason (in words)."""
    missing = table.values.index[table.values[name].isna()]
    reasons = pd.Series([table.reason(c, name) for c in missing], dtype=object)
    return {str(k): int(v) for k, v in reasons.value_counts().items()}


def _fixes(table: IndicatorTable, name: str) -> list[str]:
    missing = table.values.index[table.values[name].isna()]
    return list(dict.fromkeys(f for c in missing if (f := table.reason(c, name, fix=True))))


# -- rules in words -----------------------------------------------------------------------------


def _v(name: str, value: float | None) -> str:
    return "−∞" if value is None else format_value(name, value)


def _band_text(name: str, low: float | None, high: float | None) -> str:
    if low is None:
        return f"below {_v(name, high)}"
    if high is None:
        return f"at least {_v(name, low)}"
    return f"{_v(name, low)} to below {_v(name, high)}"


def _band_text_zh(name: str, low: float | None, high: float | None) -> str:
    if low is None:
        return f"低于{_v(name, high)}"
    if high is None:
        return f"不低于{_v(name, low)}"
    return f"{_v(name, low)}至{_v(name, high)}（不含）"


def rule_text(scheme: Scheme, spec: IndicatorSpec) -> str:
    """How an indicator is scored, in one sentence (assessment.json, docs)."""
    points = scheme.points_of(spec)
    better = f"{scheme.direction_of(spec)} is better"
    floor = spec.floor_points or 0.0
    scale = f"{floor:g} + ({points:g} − {floor:g})" if floor else f"{points:g}"
    if spec.method == "rank":
        if spec.rank_points is not None:
            table = ", ".join(f"{p:g}" for p in spec.rank_points)
            return (
                f"by rank in the peer group ({better}): ranks 1, 2, … get {table} points, "
                "later ranks 0"
            )
        return f"by rank r of n in the peer group ({better}): {scale} × (n − r)/(n − 1)"
    if spec.method == "minmax":
        formula = "(x − lowest)" if scheme.direction_of(spec) == "higher" else "(highest − x)"
        return (
            f"linear between the peer group's lowest and highest value ({better}): {scale} × "
            f"{formula}/(highest − lowest)"
        )
    if spec.method == "threshold":
        bands = "; ".join(
            f"{_band_text(spec.name, b.at_least, b.below)}: {b.points:g}" for b in spec.bands or []
        )
        return f"by bands of value ({bands}; otherwise 0)"
    if spec.method == "target":
        zero = spec.zero_at if spec.zero_at is not None else 0.0
        return (
            f"full {points:g} points at {_v(spec.name, spec.target)} or better, 0 at "
            f"{_v(spec.name, zero)}, linear between: {points:g} × (x − {zero:g})/"
            f"({spec.target:g} − {zero:g})"
        )
    return f"{points:g} points when true, 0 when false"


def veto_text(veto: VetoSpec) -> str:
    label = INDICATORS[veto.indicator].label
    if veto.flag is not None:
        condition = f"{label} is {'yes' if veto.flag else 'no'}"
    elif veto.below is not None:
        condition = f"{label} below {_v(veto.indicator, veto.below)}"
    else:
        condition = f"{label} above {_v(veto.indicator, veto.above)}"
    effects = []
    if veto.cap is not None:
        effects.append(f"total capped at {veto.cap:g}")
    if veto.not_passed:
        effects.append("marked not passed")
    missing = "; a missing value also vetoes" if veto.if_missing == "veto" else ""
    return f"when {condition}: {' and '.join(effects)}{missing}"


def _vetoes(scheme: Scheme) -> list[tuple[str, VetoSpec]]:
    """The scheme's vetoes with their assessment.csv column (veto_1, veto_2 …)."""
    return [(f"veto_{i}", veto) for i, veto in enumerate(scheme.vetoes, start=1)]


# -- assessing -----------------------------------------------------------------------------------


def _resolve(run: RunResults, scheme: Scheme, year: int | None, where: str) -> tuple[int, str]:
    problems: list[Problem] = []
    levels = sorted(str(v) for v in run.summary["unit_level"].unique())
    level = scheme.level
    if level not in levels:
        problems.append(
            Problem(
                where=where,
                field="level",
                message=f"the run has no units of level '{level}' (its levels: "
                f"{', '.join(levels)})",
                hint="set level to one of the run's levels",
            )
        )
    chosen = year if year is not None else scheme.year
    chosen = chosen if chosen is not None else run.years[-1]
    if chosen not in run.years:
        problems.append(
            Problem(
                where=where if year is None else "--year",
                field="year",
                message=f"the run has no year {chosen} (its years: "
                f"{', '.join(map(str, run.years))})",
                hint="choose one of the run's years",
            )
        )
    elif previous_year_of(run, chosen) is None:
        growth = [n for n in scheme.used_indicators() if INDICATORS[n].growth]
        if growth:
            later = [y for y in run.years if y > chosen]
            hint = (
                f"assess a later year of the run ({', '.join(map(str, later))})"
                if later
                else "run the account for the previous year too (gep run with both years)"
            )
            problems.append(
                Problem(
                    where=where,
                    field="indicators",
                    message=f"{', '.join(growth)} compare(s) a year with the previous one, and "
                    f"{chosen} is the first year of the run ({', '.join(map(str, run.years))})",
                    hint=hint + ", or drop these indicators",
                )
            )
    if problems:
        raise InputError(problems)
    return chosen, level


def _peer_groups(
    scheme: Scheme, table: IndicatorTable, where: str, problems: list[Problem]
) -> list[PeerGroup]:
    singular, plural, zh = level_words(table.level)
    codes = list(table.values.index)
    if scheme.peer_group == "all":
        return [PeerGroup("all", f"all {plural}", f"全部{zh}", codes)]
    if scheme.peer_group == "parent":
        groups = []
        for parent, members in table.units.groupby("parent_code", sort=True):
            name = str(members["parent_name"].iloc[0]) or "no parent"
            groups.append(
                PeerGroup(
                    str(parent),
                    f"the {plural} of {name} ({parent})" if parent else f"{plural} without parent",
                    f"{name}所辖{zh}" if parent else f"无上级的{zh}",
                    sorted(members.index),
                )
            )
        return groups
    known = set(codes)
    owner: dict[str, str] = {}
    groups = []
    for name, members in scheme.peer_groups.items():
        unknown = [c for c in members if c not in known]
        if unknown:
            problems.append(
                Problem(
                    where=where,
                    field=f"peer_groups.{name}",
                    message=f"{', '.join(unknown)}: not {singular} codes of the run",
                    hint=f"list codes of the run's {plural} (indicators.csv or summary.csv)",
                )
            )
        for code in members:
            if code in owner and owner[code] != name:
                problems.append(
                    Problem(
                        where=where,
                        field=f"peer_groups.{name}",
                        message=f"{code} is also in peer group '{owner[code]}'",
                        hint="put each unit in one peer group",
                    )
                )
            owner.setdefault(code, name)
        inside = [c for c in dict.fromkeys(members) if c in known]
        if members and not inside:
            problems.append(
                Problem(
                    where=where,
                    field=f"peer_groups.{name}",
                    message="empty peer group: none of its codes is a unit of the level",
                )
            )
        groups.append(PeerGroup(name, f"peer group {name}", f"同组“{name}”", inside))
    outside = [c for c in codes if c not in owner]
    if outside:
        listed = ", ".join(f"{c} {table.units.at[c, 'unit_name']}" for c in outside[:20])
        more = f" … ({len(outside)} in all)" if len(outside) > 20 else ""
        problems.append(
            Problem(
                where=where,
                field="peer_groups",
                message=f"{plural} in no peer group: {listed}{more}",
                hint="put every unit of the level in one peer group",
            )
        )
    return groups


def _score(spec: IndicatorSpec, scheme: Scheme, values: pd.Series) -> pd.DataFrame:
    points = scheme.points_of(spec)
    direction = scheme.direction_of(spec)
    if spec.method == "rank":
        return rank_points(
            values,
            points=points,
            direction=direction,
            ties=scheme.ties,
            table=spec.rank_points,
            floor=spec.floor_points or 0.0,
        )
    if spec.method == "minmax":
        return minmax_points(
            values, points=points, direction=direction, floor=spec.floor_points or 0.0
        )
    if spec.method == "threshold":
        bands = [(b.at_least, b.below, b.points) for b in spec.bands or []]
        return threshold_points(values, bands=bands)
    if spec.method == "target":
        assert spec.target is not None  # checked by check_scheme
        zero = spec.zero_at if spec.zero_at is not None else 0.0
        return target_points(values, points=points, target=spec.target, zero_at=zero)
    return flag_points(values, points=points)


def assess(
    run: RunResults,
    scheme: Scheme,
    *,
    year: int | None = None,
    where: str = "scheme",
    scheme_file: Path | None = None,
) -> Assessment:
    """Score the units of ``scheme.level`` in ``year`` (default: the scheme's, else the run's
    last year); every problem with the scheme against the run is reported at once."""
    year, level = _resolve(run, scheme, year, where)
    table = compute_indicators(run, year, level)
    problems: list[Problem] = []
    if table.values.empty:
        problems.append(
            Problem(where=where, field="level", message=f"the run has no {level} units in {year}")
        )
    groups = _peer_groups(scheme, table, where, problems)
    for spec in scheme.indicators:
        missing = table.values[spec.name].isna()
        if spec.missing == "refuse" and missing.any():
            listed = "; ".join(
                f"{c} {table.units.at[c, 'unit_name']}: {table.reason(c, spec.name)}"
                for c in table.values.index[missing][:10]
            )
            more = f" … ({int(missing.sum())} units in all)" if missing.sum() > 10 else ""
            problems.append(
                Problem(
                    where=where,
                    field=f"indicators.{scheme.indicators.index(spec)}",
                    message=f"'{spec.name}' is missing (missing = 'refuse'): {listed}{more}",
                    hint="complete the run's data, or set missing = 'zero' or 'rescale'",
                )
            )
    if problems:
        raise InputError(problems)

    warnings: list[str] = []
    singular, plural, _ = level_words(level)
    codes = table.values.index
    points = pd.DataFrame(index=codes, dtype=float)
    details: dict[str, pd.DataFrame] = {}
    group_of = pd.Series("", index=codes, dtype=object)
    for group in groups:
        group_of[group.codes] = group.key
    for spec in scheme.indicators:
        parts = []
        for group in groups:
            scored = _score(spec, scheme, table.values.loc[group.codes, spec.name])
            parts.append(scored)
            if spec.method in ("rank", "minmax"):
                vals = table.values.loc[group.codes, spec.name].dropna()
                group.scales[spec.name] = {
                    "lowest": float(vals.min()) if len(vals) else None,
                    "highest": float(vals.max()) if len(vals) else None,
                    "with_value": len(vals),
                }
        details[spec.name] = pd.concat(parts).reindex(codes)
        points[spec.name] = details[spec.name]["points"]
        if spec.missing == "zero":  # a missing value counts as 0 points ("rescale": left out)
            points[spec.name] = points[spec.name].fillna(0.0)
        missing = table.values[spec.name].isna()
        if missing.any():
            reasons = "; ".join(_reason_counts(table, spec.name))
            what = "0 points" if spec.missing == "zero" else "left out, other points rescaled"
            fixes = "; ".join(_fixes(table, spec.name))
            count = (
                f"every one of the {len(codes)} {plural}"
                if missing.all()
                else f"{int(missing.sum())} of {len(codes)} {plural}"
            )
            warnings.append(
                f"{spec.name} is missing for {count} ({reasons}): {what} "
                f"(missing = '{spec.missing}')" + (f"; to fix: {fixes}" if fixes else "")
            )

    total = scheme.total_points
    earned = points.sum(axis=1, min_count=0)
    left_out = pd.Series(0.0, index=codes)
    for spec in scheme.indicators:
        if spec.missing == "rescale":
            left_out += np.where(table.values[spec.name].isna(), scheme.points_of(spec), 0.0)
    attainable = total - left_out
    before_veto = (earned * total / attainable).where(attainable > 1e-9)

    score = before_veto.copy()
    not_passed = pd.Series(False, index=codes)
    veto_hits: dict[str, pd.Series] = {}
    for column, veto in _vetoes(scheme):
        vals = table.values[veto.indicator]
        if veto.flag is not None:
            hit = vals == (1.0 if veto.flag else 0.0)
        elif veto.below is not None:
            hit = vals < veto.below
        else:
            assert veto.above is not None
            hit = vals > veto.above
        if veto.if_missing == "veto":
            hit = hit | vals.isna()
        elif vals.isna().any():
            unchecked = int(vals.isna().sum())
            warnings.append(
                f"veto on {veto.indicator} not checked for {unchecked} "
                f"{plural if unchecked != 1 else singular} without a value (if_missing = 'pass')"
            )
        veto_hits[column] = hit
        if veto.cap is not None:
            score = score.where(~hit, np.minimum(score, veto.cap))
        if veto.not_passed:
            not_passed |= hit

    rank = pd.Series(np.nan, index=codes)
    for group in groups:
        rank[group.codes] = competition_rank(score[group.codes])
    grades = scheme.grades
    grade = pd.Series("", index=codes, dtype=object)
    grade_en = pd.Series("", index=codes, dtype=object)
    for code in codes:
        if pd.isna(score[code]) or not grades:
            continue
        chosen = grades[-1] if not_passed[code] else None
        if chosen is None:
            chosen = next((g for g in grades if round(score[code], 6) >= g.at_least), None)
        if chosen is not None:
            grade[code], grade_en[code] = chosen.label, chosen.label_en

    frame = pd.DataFrame(
        {
            "year": table.year,
            "peer_group": group_of,
            "rank": rank.astype("Int64"),
            "unit_code": codes,
            "unit_name": table.units["unit_name"],
            "unit_level": level,
            "parent_code": table.units["parent_code"],
            "parent_name": table.units["parent_name"],
        },
        index=codes,
    )
    for spec in scheme.indicators:
        frame[spec.name] = table.values[spec.name]
        frame[f"{spec.name}_points"] = points[spec.name]
    frame["points_earned"] = earned
    frame["points_attainable"] = attainable
    frame["score_before_veto"] = before_veto
    for column, hit in veto_hits.items():
        frame[column] = np.where(hit, "vetoed", "")
    frame["score"] = score
    frame["not_passed"] = not_passed
    frame["grade"] = grade
    frame["grade_en"] = grade_en
    group_size = {g.key: len(g.codes) for g in groups}
    labels = {g.key: g for g in groups}
    texts = [
        _explain(
            scheme,
            table,
            details,
            code,
            labels[group_of[code]],
            group_size[group_of[code]],
            frame.loc[code],
        )
        for code in codes
    ]
    frame["explanation"] = [t[0] for t in texts]
    frame["explanation_zh"] = [t[1] for t in texts]
    order = {g.key: i for i, g in enumerate(groups)}
    frame = frame.reset_index(drop=True)
    frame["_group"] = frame["peer_group"].map(order)
    frame["_rank"] = frame["rank"].astype(float).fillna(np.inf)
    frame = frame.sort_values(["_group", "_rank", "unit_code"]).drop(columns=["_group", "_rank"])
    return Assessment(
        scheme=scheme,
        run=run,
        indicators=table,
        groups=groups,
        table=frame.reset_index(drop=True),
        warnings=warnings,
        scheme_file=scheme_file,
    )


# -- explanations ------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:,.2f}"


def _rank_text(rank: float) -> str:
    return f"{rank:g}"


def _explain_indicator(
    scheme: Scheme, table: IndicatorTable, detail: pd.Series, spec: IndicatorSpec, code: str
) -> tuple[str, str]:
    name = spec.name
    definition = INDICATORS[name]
    label, label_zh = definition.label, definition.label_zh
    full = scheme.points_of(spec)
    value = table.values.at[code, name]
    if pd.isna(value):
        reason, reason_zh = table.reason(code, name), table.reason(code, name, zh=True)
        if spec.missing == "rescale":
            return (
                f"{label}: missing ({reason}): its {full:g} points are left out",
                f"{label_zh}：缺失（{reason_zh}），其{full:g}分不计入",
            )
        return (
            f"{label}: missing ({reason}) → 0 of {full:g} points",
            f"{label_zh}：缺失（{reason_zh}），得0分（满分{full:g}）",
        )
    shown, shown_zh = format_value(name, value), format_value(name, value, zh=True)
    pts = float(detail["points"])
    got = f"→ {_num(pts)} of {full:g} points"
    got_zh = f"得{_num(pts)}分（满分{full:g}）"
    direction = scheme.direction_of(spec)
    better = "higher is better" if direction == "higher" else "lower is better"
    better_zh = "越高越好" if direction == "higher" else "越低越好"
    if spec.method == "rank":
        r, n, k = float(detail["rank"]), int(detail["ranked"]), int(detail["tied"])
        tied = ""
        tied_zh = ""
        if k > 1:
            share = "positions averaged" if scheme.ties == "average" else "same rank"
            tied = f", tied with {k - 1} other unit(s): {share}"
            tied_zh = (
                f"，与{k - 1}个单位并列（{'取平均名次' if scheme.ties == 'average' else '同名次'}）"
            )
        if spec.rank_points is not None:
            rule = "rank_points table"
            rule_zh = "按名次分值表"
        else:
            floor = spec.floor_points or 0.0
            start = f"{floor:g} + ({full:g} − {floor:g})" if floor else f"{full:g}"
            rule = f"{start} × ({n} − {_rank_text(r)})/({n} − 1)" if n > 1 else "only unit ranked"
            rule_zh = rule if n > 1 else "仅一个单位参与排名"
        return (
            f"{label} {shown}: rank {_rank_text(r)} of {n} in the peer group ({better}{tied}) "
            f"{got} ({rule})",
            f"{label_zh} {shown_zh}：同组{n}个单位中排第{_rank_text(r)}名（{better_zh}{tied_zh}），"
            f"按名次法{got_zh}（{rule_zh}）",
        )
    if spec.method == "minmax":
        lo, hi = float(detail["lowest"]), float(detail["highest"])
        lo_s, hi_s = format_value(name, lo), format_value(name, hi)
        if hi == lo:
            return (
                f"{label} {shown}: every unit of the peer group has the same value {got} "
                "(full points)",
                f"{label_zh} {shown_zh}：同组各单位数值相同，{got_zh}（满分）",
            )
        floor = spec.floor_points or 0.0
        start = f"{floor:g} + ({full:g} − {floor:g})" if floor else f"{full:g}"
        part = "(value − lowest)" if direction == "higher" else "(highest − value)"
        part_zh = "(数值 − 最低值)" if direction == "higher" else "(最高值 − 数值)"
        return (
            f"{label} {shown}: between the peer group's lowest {lo_s} and highest {hi_s} "
            f"({better}) {got} ({start} × {part}/(highest − lowest))",
            f"{label_zh} {shown_zh}：同组最低{lo_s}、最高{hi_s}（{better_zh}），按极差法{got_zh}"
            f"（{start} × {part_zh}/(最高值 − 最低值)）",
        )
    if spec.method == "threshold":
        band = int(detail["band"])
        bands = spec.bands or []
        if band < 0:
            return (
                f"{label} {shown}: in none of the scheme's bands {got}",
                f"{label_zh} {shown_zh}：不在任何分档内，{got_zh}",
            )
        b = bands[band]
        return (
            f"{label} {shown}: band {_band_text(name, b.at_least, b.below)} {got}",
            f"{label_zh} {shown_zh}：位于“{_band_text_zh(name, b.at_least, b.below)}”档，{got_zh}",
        )
    if spec.method == "target":
        assert spec.target is not None
        zero = spec.zero_at if spec.zero_at is not None else 0.0
        t_s, z_s = format_value(name, spec.target), format_value(name, zero)
        reached = (value >= spec.target) if spec.target > zero else (value <= spec.target)
        if reached:
            how, how_zh = "target reached: full points", "达到目标值，得满分"
        elif zero == 0:
            how = f"{full:g} × value / {t_s}, proportional below the target"
            how_zh = f"{full:g} × 数值 / {t_s}，未达目标按比例计分"
        else:
            how = f"{full:g} × (value − {z_s})/({t_s} − {z_s}), 0 at {z_s} or worse"
            how_zh = f"{full:g} × (数值 − {z_s})/({t_s} − {z_s})，{z_s}及以下得0分"
        return (
            f"{label} {shown}: target {t_s} {got} ({how})",
            f"{label_zh} {shown_zh}：目标值{t_s}，{got_zh}（{how_zh}）",
        )
    note = table.notes.at[code, name]
    extra = f" ({note})" if note else ""
    return (
        f"{label}: {shown}{extra} {got}",
        f"{label_zh}：{shown_zh}{extra}，{got_zh}",
    )


def _explain(
    scheme: Scheme,
    table: IndicatorTable,
    details: dict[str, pd.DataFrame],
    code: str,
    group: PeerGroup,
    size: int,
    row: pd.Series,
) -> tuple[str, str]:
    total = scheme.total_points
    _, plural, level_zh = level_words(table.level)
    score = row["score"]
    if pd.isna(score):
        head = f"Not ranked: none of the scored indicators has a value for {row['unit_name']}."
        head_zh = f"未参与排名：{row['unit_name']}的各计分指标均缺失。"
    else:
        grade = ""
        grade_zh = ""
        if row["grade"]:
            en = f" ({row['grade_en']})" if row["grade_en"] else ""
            grade = f", grade {row['grade']}{en}"
            grade_zh = f"，等级{row['grade']}"
        head = (
            f"Rank {int(row['rank'])} of {size} among {group.label} with {_num(score)} of {total:g} "
            f"points{grade}."
        )
        head_zh = (
            f"在{group.label_zh}（{size}个）中排名第{int(row['rank'])}，得分{_num(score)}"
            f"（满分{total:g}）{grade_zh}。"
        )
    parts, parts_zh = [], []
    for spec in scheme.indicators:
        en, zh = _explain_indicator(scheme, table, details[spec.name].loc[code], spec, code)
        parts.append(en)
        parts_zh.append(zh)
    body = "Points: " + "; ".join(parts) + "."
    body_zh = "各项：" + "；".join(parts_zh) + "。"
    tail, tail_zh = [], []
    earned, attainable = row["points_earned"], row["points_attainable"]
    if attainable < total - 1e-9 and not pd.isna(row["score_before_veto"]):
        tail.append(
            f"Earned {_num(earned)} of the {_num(attainable)} points it could attain (missing "
            f"indicators left out) → scaled × {total:g}/{_num(attainable)} = "
            f"{_num(row['score_before_veto'])}."
        )
        tail_zh.append(
            f"实得{_num(earned)}分，可得分{_num(attainable)}（缺失指标不计）→ 折算 × {total:g}/"
            f"{_num(attainable)} = {_num(row['score_before_veto'])}分。"
        )
    else:
        tail.append(f"Sum of points: {_num(earned)}.")
        tail_zh.append(f"合计{_num(earned)}分。")
    for column, veto in _vetoes(scheme):
        if row[column] != "vetoed":
            continue
        value = table.values.at[code, veto.indicator]
        label, label_zh = INDICATORS[veto.indicator].label, INDICATORS[veto.indicator].label_zh
        shown = format_value(veto.indicator, value)
        if pd.isna(value):
            why, why_zh = f"{label} is missing", f"{label_zh}缺失"
        elif veto.flag is not None:
            why, why_zh = (
                f"{label} is {shown}",
                f"{label_zh}为{format_value(veto.indicator, value, zh=True)}",
            )
        elif veto.below is not None:
            limit = format_value(veto.indicator, veto.below)
            why, why_zh = f"{label} {shown} is below {limit}", f"{label_zh}{shown}低于{limit}"
        else:
            limit = format_value(veto.indicator, veto.above or 0.0)
            why, why_zh = f"{label} {shown} is above {limit}", f"{label_zh}{shown}高于{limit}"
        effects, effects_zh = [], []
        if veto.cap is not None:
            before = row["score_before_veto"]
            capped = not pd.isna(before) and before > veto.cap
            effects.append(
                f"total capped at {veto.cap:g}"
                + (f" (from {_num(before)})" if capped else " (already below)")
            )
            effects_zh.append(
                f"总分封顶{veto.cap:g}分"
                + (f"（原{_num(before)}分）" if capped else "（原分已低于上限）")
            )
        if veto.not_passed:
            effects.append("marked not passed")
            effects_zh.append("判定为不通过")
            if scheme.grades:
                effects[-1] += f" (grade {scheme.grades[-1].label})"
                effects_zh[-1] += f"（等级{scheme.grades[-1].label}）"
        tail.append(f"Veto: {why}: {' and '.join(effects)}.")
        tail_zh.append(f"否决：{why_zh}，{'，'.join(effects_zh)}。")
    del plural, level_zh
    return (
        " ".join([head, body, *tail]),
        "".join([head_zh, body_zh, *tail_zh]),
    )


# -- files and command ----------------------------------------------------------------------------


def write_assessment(result: Assessment, out: Path, *, overwrite: bool) -> Path:
    """assessment.csv, indicators.csv and assessment.json, written atomically into ``out``."""
    with atomic_folder(out, overwrite=overwrite) as tmp:
        write_table(result.table, tmp / "assessment.csv")
        write_table(result.indicators.long(), tmp / "indicators.csv")
        write_json(result.as_json(), tmp / "assessment.json")
    return out


def run_assess(
    scheme_path: Path,
    run_dir: Path,
    *,
    year: int | None = None,
    out: Path = Path("assessment"),
    overwrite: bool = False,
) -> Assessment:
    """``gep assess``: read the scheme and the run, score, write the folder."""
    check_target(out, overwrite=overwrite)
    problems: list[Problem] = []
    scheme: Scheme | None = None
    run: RunResults | None = None
    try:
        scheme = load_scheme(scheme_path)
    except InputError as err:
        problems.extend(err.problems)
    try:
        run = RunResults.load(run_dir)
    except InputError as err:
        problems.extend(err.problems)
    if problems or scheme is None or run is None:
        raise InputError(problems)
    result = assess(run, scheme, year=year, where=str(scheme_path), scheme_file=scheme_path)
    write_assessment(result, out, overwrite=overwrite)
    return result


_SHORT = {
    "real_gep_growth": "GEP\nreal",
    "dual_growth": "dual\ngr.",
    "gdp_real_growth": "GDP\nreal",
    "gep_gdp_ratio": "GEP/\nGDP",
    "gep": "GEP",
    "gep_per_km2": "per\nkm²",
    "gep_per_capita": "per\ncap.",
    "regulating_real_growth": "reg.\nreal",
    "items_up": "items\nup",
    "items_down": "items\ndown",
    "value_realisation_rate": "real.\nrate",
}


def ranking_table(result: Assessment) -> Table:
    """The ranking as a rich table: points of each indicator, score, grade, veto."""
    scheme = result.scheme
    _, plural, _ = level_words(result.indicators.level)
    title = (
        f"{scheme.name} — {result.year}, {len(result.table)} {plural}, "
        f"{scheme.total_points:g} points"
    )
    if scheme.peer_group != "all":
        title += f", ranked within peer groups ({scheme.peer_group})"
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 0),
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("in", no_wrap=True)
    for spec in scheme.indicators:
        header = _SHORT.get(spec.name, spec.name)
        table.add_column(f"{header}\n/{scheme.points_of(spec):g}", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("grade", no_wrap=True)
    if scheme.vetoes:
        table.add_column("veto", no_wrap=True)
    previous_group = None
    for _, row in result.table.iterrows():
        if scheme.peer_group != "all" and row["peer_group"] != previous_group:
            previous_group = row["peer_group"]
            group = next(g for g in result.groups if g.key == previous_group)
            table.add_section()
            table.add_row("", f"[bold]{escape(group.label)}[/]")
        cells = [
            "–" if pd.isna(row["rank"]) else str(row["rank"]),
            escape(str(row["unit_name"])),
            escape(str(row["parent_name"])),
        ]
        for spec in scheme.indicators:
            pts = row[f"{spec.name}_points"]
            cells.append("–" if pd.isna(pts) else f"{pts:.1f}")
        cells += [
            "–" if pd.isna(row["score"]) else f"{row['score']:.2f}",
            escape(str(row["grade"])),
        ]
        if scheme.vetoes:
            vetoed = [v for column, v in _vetoes(scheme) if row[column] == "vetoed"]
            mark = ""
            if vetoed:
                mark = "[red]failed[/]" if row["not_passed"] else "[yellow]capped[/]"
            cells.append(mark)
        table.add_row(*cells)
    return table


def legend(result: Assessment) -> str:
    """What the short column headings of :func:`ranking_table` stand for."""
    names = "; ".join(
        f"{_SHORT.get(spec.name, spec.name).replace('/' + chr(10), '/').replace(chr(10), ' ')}"
        f" = {INDICATORS[spec.name].label.split(' (')[0]}"
        for spec in result.scheme.indicators
    )
    return (
        f"Points of each indicator (/ its maximum; – missing and left out): {names}. The values and each "
        "unit's explanation (English and Chinese) are in assessment.csv."
    )


def show(result: Assessment, console: Console, out: Path) -> None:
    """Print the notices, the ranking table, the warnings and where the files are."""
    if result.run.is_demo:
        console.print(Panel(result.run.demo_notice, title="DEMO", border_style="yellow"))
    if result.scheme.notice:
        console.print(Panel(result.scheme.notice, title="SCHEME", border_style="yellow"))
    console.print(ranking_table(result))
    console.print(escape(legend(result)), highlight=False)
    for message in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)
    console.print(
        f"Assessment written to [bold]{escape(str(out))}[/] (assessment.csv, indicators.csv, "
        "assessment.json)",
        highlight=False,
    )
