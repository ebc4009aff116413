"""``gep allocate``: share a budget among units by a rule on their GEP (methods catalogue §4.2).

A fiscal transfer or an ecological-compensation budget T is divided among the eligible units
of one level of a finished run (docs/decisions/allocate.md):

1. level-based shares, one per ``[shares.NAME]``: ``pot_j × x_ij / Σ_eligible x_j`` with
   ``pot_j = w_j × T`` and x the unit's GEP, GEP per km², regulating GEP or any column of the
   run's summary;
2. a reward on the real (constant-price) GEP increment from the previous year of the run:
   a pool ``w × T`` shared in proportion to the positive increments, or ``k × max(0, ΔGEP_i)``
   paid first (Dajun type); the weighted shares then divide what remains;
3. floors and caps per unit: clamped units are set to their floor or cap and all others are
   scaled by one common factor, so the total is unchanged (``allocate_math.clip_scale``);
4. Jiangxi's penalty: a unit whose environmental quality worsened loses ``rate`` (5 %) of its
   amount; the money is withheld by the budget holder or redistributed;
5. rounding to whole yuan (or 万元) by the largest-remainder method, so that the amounts of the
   units plus the withheld line add up to the budget exactly.

Every step is computed with exact fractions; the table records each step per unit and a
sentence in English and Chinese that reproduces the amount.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from gepkit import __version__
from gepkit.decisions.allocate_explain import (
    Display,
    component_labels,
    explain_unit,
    explain_withheld,
)
from gepkit.decisions.allocate_math import clip_scale, exact, largest_remainder
from gepkit.decisions.allocate_rules import (
    GEP_CLASSES,
    AllocationRules,
    cap_yuan,
    floor_yuan,
    load_rules,
)
from gepkit.decisions.run_results import RunResults
from gepkit.errors import InputError, Problem
from gepkit.io.hashing import sha256_file
from gepkit.io.outputs import atomic_folder, check_target, write_json, write_table

WITHHELD = "withheld"
TRUE = {"1", "true", "t", "yes", "y", "是", "x"}
FALSE = {"0", "false", "f", "no", "n", "否", ""}

Q = Fraction


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """One level-based share: ``weight`` of the budget divided in proportion to ``indicator``
    (divided by area or population when ``per`` says so)."""

    name: str
    weight: Fraction
    indicator: str = "gep"
    per: str | None = None
    label: str = ""
    label_zh: str = ""


@dataclass
class UnitInput:
    """A receiving unit, its eligibility and the values the rule uses."""

    code: str
    name: str
    eligible: bool = True
    values: dict[str, float] = field(default_factory=dict)
    """Per component: the indicator x_i (after dividing by area or population)."""
    raw: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    """Per component: the indicator before the division and the divisor (for explanations)."""
    measure_from: float | None = None
    """Reward: the measure (GEP or a class) at constant prices in the previous year …"""
    measure_to: float | None = None
    """… and in the allocation year."""
    worsened: bool = False
    reason: str = ""
    reason_zh: str = ""
    area_type: str = ""
    level: str = ""
    parent: str = ""

    @property
    def increment(self) -> float | None:
        if self.measure_from is None or self.measure_to is None:
            return None
        return self.measure_to - self.measure_from


@dataclass
class Inputs:
    """Everything the rule is applied to, read from the run and the rule's files."""

    units: list[UnitInput]
    components: list[Component]
    year: int
    previous_year: int | None = None
    base_year: int | None = None
    level: str = ""
    price_basis: str = "current"
    eligibility_source: str = "every receiving unit"
    worsened_source: str = ""
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    has_area_type: bool = False


# -- results -----------------------------------------------------------------------------------


@dataclass
class UnitResult:
    """Each step of one eligible unit's amount, in exact yuan."""

    shares: dict[str, Fraction]
    amounts: dict[str, Fraction]
    reward_share: Fraction
    reward: Fraction
    formula: Fraction
    limited: Fraction
    limit: str
    """``floor``, ``cap``, ``scaled`` (moved by the common factor) or empty."""
    penalty: Fraction
    redistributed: Fraction
    exact_final: Fraction
    final: int = 0

    @property
    def adjustment(self) -> Fraction:
        return self.limited - self.formula


@dataclass
class Result:
    """The allocation: per unit, the withheld line, and the totals, all exact."""

    inputs: Inputs
    rules: AllocationRules
    budget: Fraction
    units: dict[str, UnitResult]
    pots: dict[str, Fraction]
    pool: Fraction
    reward_paid: Fraction
    reward_scale: Fraction
    unearned_withheld: Fraction
    unearned_to_shares: Fraction
    left_over: Fraction
    """Budget no component distributes (a rate reward without level-based shares)."""
    floor: Fraction | None
    cap: Fraction | None
    scale: Fraction
    """λ: the common factor of the units between their floor and cap."""
    penalties: Fraction
    penalties_withheld: Fraction
    unplaced: Fraction
    """Deductions to redistribute that the caps of the others could not hold (withheld)."""
    withheld_exact: Fraction
    withheld: int
    notes: list[str]

    @property
    def allocated(self) -> int:
        return sum(r.final for r in self.units.values())


def compute(inputs: Inputs, rules: AllocationRules) -> Result:
    """Apply the rule to ``inputs`` (exact arithmetic); infeasible floors or caps and components
    without any positive value among the eligible units raise :class:`InputError`."""
    where = str(rules.source_path or "rules")
    budget = exact(rules.allocation.budget)
    eligible = [u for u in inputs.units if u.eligible]
    notes = list(inputs.notes)
    problems: list[Problem] = []
    if not eligible:
        problems.append(
            Problem(
                where=where,
                field="allocation.eligibility",
                message=f"no {inputs.level or 'receiving'} unit is eligible",
                hint="list at least one unit of the receiving level as eligible",
            )
        )
        raise InputError(problems)

    # 1. Level-based shares: x_ij / Σ x_j over the eligible units.
    shares: dict[str, dict[str, Fraction]] = {}
    for comp in inputs.components:
        values = {u.code: exact(u.values[comp.name]) for u in eligible}
        total = sum(values.values(), Q(0))
        if total <= 0:
            problems.append(
                Problem(
                    where=where,
                    field=f"shares.{comp.name}",
                    message=f"no eligible unit has a positive '{comp.indicator}' in "
                    f"{inputs.year}: the share cannot be divided",
                    hint="choose another indicator or other eligible units",
                )
            )
            continue
        shares[comp.name] = {code: value / total for code, value in values.items()}

    # 2. Reward on the real increment.
    reward = rules.reward
    reward_amount = {u.code: Q(0) for u in eligible}
    reward_share = {u.code: Q(0) for u in eligible}
    pool = unearned = Q(0)
    reward_scale = Q(1)
    if reward is not None:
        positive = {u.code: max(Q(0), exact(u.increment or 0.0)) for u in eligible}
        grown = sum(positive.values(), Q(0))
        if grown > 0:
            reward_share = {code: p / grown for code, p in positive.items()}
        if reward.mode == "pool":
            pool = rules.pool_weight * budget
            if grown > 0:
                reward_amount = {code: pool * s for code, s in reward_share.items()}
            else:
                unearned = pool
                notes.append(
                    f"no eligible unit's real {_measure(reward.measure)} grew from "
                    f"{inputs.previous_year} "
                    f"to {inputs.year}: the reward pool of {float(pool):,.2f} yuan is "
                    + (
                        "withheld"
                        if reward.unearned == "withheld" or not inputs.components
                        else "added to the level-based shares"
                    )
                )
        else:
            k = exact(reward.rate or 0.0)
            reward_amount = {code: k * p for code, p in positive.items()}
            wanted = sum(reward_amount.values(), Q(0))
            limit = exact(reward.limit_share) * budget
            if wanted > limit:
                reward_scale = limit / wanted
                reward_amount = {code: a * reward_scale for code, a in reward_amount.items()}
                notes.append(
                    f"the rewards (k × increment) add up to {float(wanted):,.2f} yuan, more than "
                    f"{float(exact(reward.limit_share)):.4g} of the budget: each is scaled by "
                    f"{float(reward_scale):.6g}"
                )
    reward_paid = sum(reward_amount.values(), Q(0))

    # 3. What the level-based shares divide.
    pooled = reward is not None and reward.mode == "pool"
    level_money = budget - (pool if pooled else reward_paid)
    unearned_to_shares = Q(0)
    if unearned and reward is not None and reward.unearned == "shares" and inputs.components:
        level_money += unearned
        unearned_to_shares, unearned = unearned, Q(0)
    weights = sum((c.weight for c in inputs.components), Q(0))
    left_over = Q(0)
    if weights == 0:
        left_over, level_money = level_money, Q(0)
        if left_over:
            notes.append(
                f"{float(left_over):,.2f} yuan are not distributed by any component (no "
                "level-based share takes them): withheld"
            )
    pots = {
        c.name: (level_money * c.weight / weights if weights else Q(0)) for c in inputs.components
    }

    if problems:
        raise InputError(problems)

    amounts: dict[str, dict[str, Fraction]] = {
        u.code: {c.name: pots[c.name] * shares[c.name][u.code] for c in inputs.components}
        for u in eligible
    }
    formula = {
        u.code: sum(amounts[u.code].values(), Q(0)) + reward_amount[u.code] for u in eligible
    }
    distributed = sum(formula.values(), Q(0))

    # 4. Floors and caps: clamp and rescale the others (one common factor λ).
    floor, cap = floor_yuan(rules), cap_yuan(rules)
    n = len(eligible)
    limit_problems = _limit_problems(where, n, distributed, floor, cap, inputs.level)
    if limit_problems:
        raise InputError(limit_problems)
    codes = [u.code for u in eligible]
    low = [floor or Q(0)] * n
    high: list[Fraction | None] = [cap] * n
    limited, scale, rest = clip_scale([formula[c] for c in codes], low, high, distributed)
    assert rest == 0, "feasibility was checked"
    limited_by = dict(zip(codes, limited, strict=True))

    # 5. Penalty for worsened environmental quality.
    penalty_spec = rules.penalty
    rate = exact(penalty_spec.rate) if penalty_spec is not None else Q(0)
    penalty = {c: Q(0) for c in codes}
    for u in eligible:
        if u.worsened:
            penalty[u.code] = rate * limited_by[u.code]
    penalties = sum(penalty.values(), Q(0))
    redistributed = {c: Q(0) for c in codes}
    penalties_withheld = unplaced = Q(0)
    if penalties > 0:
        assert penalty_spec is not None
        receivers = [u.code for u in eligible if not u.worsened]
        if penalty_spec.deducted == "withheld":
            penalties_withheld = penalties
        elif not receivers:
            penalties_withheld = penalties
            notes.append("every eligible unit worsened: the deductions are withheld")
        else:
            base = [limited_by[c] for c in receivers]
            raised, _, unplaced = clip_scale(
                base,
                base,
                [cap] * len(receivers),
                sum(base, Q(0)) + penalties,
                spread_to_zero=False,
            )
            for code, value in zip(receivers, raised, strict=True):
                redistributed[code] = value - limited_by[code]
            if unplaced:
                notes.append(
                    f"{float(unplaced):,.2f} yuan of the deductions do not fit under the caps of "
                    "the units that did not worsen: withheld"
                )

    # 6. Rounding (largest remainder) of the units and the withheld line together.
    exact_final = {c: limited_by[c] - penalty[c] + redistributed[c] for c in codes}
    withheld_exact = unearned + left_over + penalties_withheld + unplaced
    assert sum(exact_final.values(), Q(0)) + withheld_exact == budget
    rounded = largest_remainder([*(exact_final[c] for c in codes), withheld_exact], rules.quantum)
    units: dict[str, UnitResult] = {}
    for i, u in enumerate(eligible):
        code = u.code
        x, a = limited_by[code], formula[code]
        if x == a:
            kind = ""
        elif floor is not None and x == floor:
            kind = "floor"
        elif cap is not None and x == cap:
            kind = "cap"
        else:
            kind = "scaled"
        units[code] = UnitResult(
            shares={c.name: shares[c.name][code] for c in inputs.components},
            amounts=amounts[code],
            reward_share=reward_share[code],
            reward=reward_amount[code],
            formula=a,
            limited=x,
            limit=kind,
            penalty=penalty[code],
            redistributed=redistributed[code],
            exact_final=exact_final[code],
            final=rounded[i],
        )
    return Result(
        inputs=inputs,
        rules=rules,
        budget=budget,
        units=units,
        pots=pots,
        pool=pool,
        reward_paid=reward_paid,
        reward_scale=reward_scale,
        unearned_withheld=unearned,
        unearned_to_shares=unearned_to_shares,
        left_over=left_over,
        floor=floor,
        cap=cap,
        scale=scale,
        penalties=penalties,
        penalties_withheld=penalties_withheld,
        unplaced=unplaced,
        withheld_exact=withheld_exact,
        withheld=rounded[-1],
        notes=notes,
    )


def _measure(measure: str) -> str:
    return "GEP" if measure == "gep" else f"{measure}-service value"


def _limit_problems(
    where: str,
    n: int,
    distributed: Fraction,
    floor: Fraction | None,
    cap: Fraction | None,
    level: str,
) -> list[Problem]:
    problems = []
    units = f"{n} eligible {level or 'receiving'} unit{'s' if n != 1 else ''}"
    if floor is not None and floor * n > distributed:
        problems.append(
            Problem(
                where=where,
                field="limits",
                message=f"the floors are infeasible: {units} × floor {float(floor):,.0f} yuan = "
                f"{float(floor * n):,.0f} yuan, more than the {float(distributed):,.0f} yuan "
                "the rule distributes",
                hint=f"lower the floor to at most {math.floor(distributed / n):,} yuan, or make "
                "fewer units eligible",
            )
        )
    if cap is not None and cap * n < distributed:
        problems.append(
            Problem(
                where=where,
                field="limits",
                message=f"the caps make the budget infeasible: {units} × cap "
                f"{float(cap):,.0f} yuan = {float(cap * n):,.0f} yuan, less than the "
                f"{float(distributed):,.0f} yuan the rule distributes",
                hint=f"raise the cap to at least {math.ceil(distributed / n):,} yuan, make more "
                "units eligible, or lower the budget",
            )
        )
    return problems


# -- reading the run ---------------------------------------------------------------------------


def read_inputs(rules: AllocationRules, run: RunResults) -> Inputs:
    """The receiving units and the values the rule needs; every problem is reported at once."""
    inputs, problems = _read_inputs(rules, run)
    if problems or inputs is None:
        raise InputError(problems)
    return inputs


def _read_inputs(rules: AllocationRules, run: RunResults) -> tuple[Inputs | None, list[Problem]]:
    """The inputs and the problems found. The inputs are returned (None otherwise) when the
    only problems are unknown unit codes in the lists: the rule can still be tried on the units
    that are known, to report infeasible floors or caps together with the codes."""
    where = str(rules.source_path or "rules")
    run_where = str(run.folder)
    problems: list[Problem] = []
    spec = rules.allocation
    summary = run.summary
    year = spec.year
    if year not in run.years:
        problems.append(
            Problem(
                where=where,
                field="allocation.year",
                message=f"{year} is not a year of the run {run_where} (its years: "
                f"{', '.join(map(str, run.years))})",
                hint="choose one of the run's years, or run the account for this year",
            )
        )
        year_rows = summary.iloc[0:0]
    else:
        year_rows = summary[summary["year"] == year]

    # Receiving units.
    everyone = summary.drop_duplicates("unit_code").set_index("unit_code")
    levels = sorted(summary["unit_level"].dropna().astype(str).unique())
    if spec.level is None:
        leaves = set(run.leaves())
        receiving = everyone[everyone.index.isin(leaves)]
        level = "/".join(sorted(receiving["unit_level"].astype(str).unique())) or "leaf"
    else:
        level = spec.level
        receiving = everyone[everyone["unit_level"] == level]
        if receiving.empty:
            problems.append(
                Problem(
                    where=where,
                    field="allocation.level",
                    message=f"the run has no '{level}' units (its levels: {', '.join(levels)})",
                    hint="choose one of the run's levels, or leave `level` out for the finest units",
                )
            )
    receiving = receiving.sort_index()
    units = [
        UnitInput(
            code=str(code),
            name=str(row["unit_name"]),
            level=str(row["unit_level"]),
            parent=str(row["parent_code"]),
        )
        for code, row in receiving.iterrows()
    ]
    by_code = {u.code: u for u in units}
    names = {str(code): str(row["unit_name"]) for code, row in everyone.iterrows()}
    unit_levels = {str(code): str(row["unit_level"]) for code, row in everyone.iterrows()}
    inputs = Inputs(units=units, components=[], year=year, level=level)
    inputs.base_year = run.base_year
    context = _CodeContext(where, by_code, names, unit_levels, level)

    _read_eligibility(rules, inputs, context, problems)
    _read_worsened(rules, inputs, context, problems)
    for unit in units:
        if unit.worsened and not unit.eligible:
            inputs.notes.append(
                f"{unit.code} {unit.name} is listed as worsened but is not eligible (it gets 0 "
                "anyway)"
            )

    # Components.
    numeric = [
        c
        for c in summary.columns
        if pd.api.types.is_numeric_dtype(summary[c]) and c not in ("year", "previous_year")
    ]
    if spec.prices == "constant" and run.base_year is None:
        problems.append(
            Problem(
                where=where,
                field="allocation.prices",
                message="the run has no constant-price values",
                hint='use prices = "current", or run the account with a base year',
            )
        )
    inputs.price_basis = (
        f"constant-{run.base_year}" if spec.prices == "constant" and run.base_year else "current"
    )
    for name, share in rules.shares.items():
        label, label_zh = component_labels(share.indicator, share.per)
        component = Component(
            name=name,
            weight=exact(share.weight),
            indicator=share.indicator,
            per=share.per,
            label=share.label or label,
            label_zh=share.label_zh or label_zh,
        )
        inputs.components.append(component)
        if share.indicator not in GEP_CLASSES and share.indicator not in numeric:
            known = ", ".join([*GEP_CLASSES, *(c for c in numeric if c not in GEP_CLASSES)])
            problems.append(
                Problem(
                    where=where,
                    field=f"shares.{name}.indicator",
                    message=f"'{share.indicator}' is neither a GEP class nor a numeric column of "
                    f"{run_where}/summary.csv",
                    hint=f"choose one of: {known}",
                )
            )
            continue
        if year not in run.years:
            continue
        raw = _indicator(run, year_rows, share.indicator, inputs.price_basis)
        divisor = None
        if share.per is not None:
            column = "area_km2" if share.per == "km2" else "population"
            divisor = year_rows.set_index("unit_code")[column] if column in year_rows else None
            if divisor is None:
                problems.append(
                    Problem(
                        where=where,
                        field=f"shares.{name}.per",
                        message=f"the run's summary.csv has no {column} column",
                    )
                )
                continue
        bad = []
        for unit in units:
            value = raw.get(unit.code, math.nan)
            by = None if divisor is None else float(divisor.get(unit.code, math.nan))
            x = value if by is None else (value / by if by and by > 0 else math.nan)
            unit.values[name] = x
            unit.raw[name] = (value, by)
            if unit.eligible and not (math.isfinite(x) and x >= 0):
                bad.append(f"{unit.code} {unit.name} ({x:g})")
        if bad:
            problems.append(
                Problem(
                    where=run_where + "/summary.csv",
                    field=f"shares.{name}",
                    message=f"'{share.indicator}'"
                    + (f" per {share.per}" if share.per else "")
                    + f" in {year} is missing, negative or not finite for {len(bad)} eligible "
                    f"unit(s): {_first(bad)}",
                    hint="make these units not eligible, or use another indicator",
                )
            )

    # Reward: the real increment from the previous year of the run.
    reward = rules.reward
    if reward is not None and year in run.years:
        earlier = [y for y in run.years if y < year]
        if not earlier:
            problems.append(
                Problem(
                    where=where,
                    field="reward",
                    message=f"the reward needs the year before {year} in the run, which starts "
                    f"in {run.years[0]}",
                    hint="run the account for two consecutive years, choose a later year, or "
                    "remove [reward]",
                )
            )
        elif run.base_year is None:
            problems.append(
                Problem(
                    where=where,
                    field="reward",
                    message="the reward needs constant-price values, and the run has none",
                )
            )
        else:
            previous = earlier[-1]
            inputs.previous_year = previous
            before = _constant_measure(run, previous, reward.measure)
            after = _constant_measure(run, year, reward.measure)
            missing = []
            for unit in units:
                unit.measure_from = before.get(unit.code)
                unit.measure_to = after.get(unit.code)
                if unit.eligible and unit.increment is None:
                    missing.append(f"{unit.code} {unit.name}")
            if missing:
                problems.append(
                    Problem(
                        where=run_where + "/summary.csv",
                        field="reward",
                        message=f"no constant-price {reward.measure} in {previous} or {year} for "
                        f"{len(missing)} eligible unit(s): {_first(missing)}",
                    )
                )
    return (inputs if len(problems) == context.unknown else None), problems


def _indicator(run: RunResults, rows: pd.DataFrame, indicator: str, basis: str) -> dict[str, float]:
    """The indicator per unit code in one year's summary rows: GEP from summary.csv (``gep`` or
    ``gep_constant``), a class of GEP from accounts.csv on ``basis``, any other column as is."""
    if indicator == "gep":
        column = "gep" if basis == "current" else "gep_constant"
        return {str(k): float(v) for k, v in zip(rows["unit_code"], rows[column], strict=True)}
    if indicator in GEP_CLASSES:
        year = int(rows["year"].iloc[0]) if len(rows) else 0
        return _class_values(run, year, indicator, basis)
    return {str(k): float(v) for k, v in zip(rows["unit_code"], rows[indicator], strict=True)}


def _class_values(run: RunResults, year: int, category: str, basis: str) -> dict[str, float]:
    """Σ values of one class (provisioning …) per unit from accounts.csv on ``basis``."""
    accounts = run.accounts_at(basis)
    rows = accounts[(accounts["year"] == year) & (accounts["category"] == category)]
    totals = rows.groupby("unit_code")["value"].sum()
    codes = run.summary.loc[run.summary["year"] == year, "unit_code"]
    return {str(code): float(totals.get(code, 0.0)) for code in codes}


def _constant_measure(run: RunResults, year: int, measure: str) -> dict[str, float]:
    if measure == "gep":
        rows = run.summary[run.summary["year"] == year]
        return {
            str(k): float(v)
            for k, v in zip(rows["unit_code"], rows["gep_constant"], strict=True)
            if pd.notna(v)
        }
    return _class_values(run, year, measure, "constant")


def _first(items: list[str], n: int = 8) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


@dataclass
class _CodeContext:
    where: str
    receiving: dict[str, UnitInput]
    names: dict[str, str]
    levels: dict[str, str]
    level: str
    unknown: int = 0
    """Problems found by :meth:`check` (they leave the rule computable on the known units)."""

    def check(self, codes: list[str], field: str, source: str, problems: list[Problem]) -> None:
        """Unknown codes (with the nearest matches) and codes of another level."""
        for code in codes:
            if code in self.receiving:
                continue
            self.unknown += 1
            if code in self.names:
                problems.append(
                    Problem(
                        where=source,
                        field=field,
                        message=f"{code} {self.names[code]} is a {self.levels[code]} unit, not "
                        f"one of the receiving {self.level} units",
                        hint="list units of the receiving level (allocation.level)",
                    )
                )
                continue
            by_name = [c for c, n in self.names.items() if n == code]
            if by_name:
                hint = f"'{code}' is the name of {by_name[0]}: give the code"
            else:
                near = difflib.get_close_matches(code, list(self.receiving), n=3, cutoff=0.6)
                near_names = [c for c, u in self.receiving.items() if code and code in u.name][:3]
                matches = list(dict.fromkeys([*near, *near_names]))
                hint = (
                    "nearest: " + ", ".join(f"{c} {self.names[c]}" for c in matches)
                    if matches
                    else "check the code against the run's units (summary.csv)"
                )
            problems.append(
                Problem(
                    where=source,
                    field=field,
                    message=f"unknown unit code '{code}': not a {self.level} unit of the run",
                    hint=hint,
                )
            )


def _read_eligibility(
    rules: AllocationRules, inputs: Inputs, context: _CodeContext, problems: list[Problem]
) -> None:
    source = rules.allocation.eligibility
    where = context.where
    if source is None:
        inputs.eligibility_source = f"every {context.level} unit of the run"
        return
    if isinstance(source, list):
        codes = list(dict.fromkeys(source))
        context.check(codes, "allocation.eligibility", where, problems)
        chosen = set(codes)
        inputs.eligibility_source = f"list of {len(chosen)} unit codes in the rule file"
        for unit in inputs.units:
            if unit.code not in chosen:
                unit.eligible = False
                unit.reason = "not in the eligibility list of the rule file"
                unit.reason_zh = "不在规则文件的分配名单中"
        return
    path = rules.resolve(source)
    table = _read_code_table(path, "allocation.eligibility", "eligible", False, problems)
    if table is None:
        return
    inputs.files[str(path)] = sha256_file(path)
    inputs.eligibility_source = f"file {path.name}"
    context.check(list(table["unit_code"]), "unit_code", str(path), problems)
    flags = dict(zip(table["unit_code"], table["eligible"], strict=True))
    if "area_type" in table:
        inputs.has_area_type = True
        types_ = dict(zip(table["unit_code"], table["area_type"].fillna(""), strict=True))
        for unit in inputs.units:
            unit.area_type = str(types_.get(unit.code, ""))
    for unit in inputs.units:
        if unit.code not in flags:
            unit.eligible = False
            unit.reason = f"not in {path.name}"
            unit.reason_zh = f"不在 {path.name} 中"
        elif not flags[unit.code]:
            unit.eligible = False
            unit.reason = f"marked not eligible in {path.name}"
            unit.reason_zh = f"{path.name} 中标为不符合条件"


def _read_worsened(
    rules: AllocationRules, inputs: Inputs, context: _CodeContext, problems: list[Problem]
) -> None:
    penalty = rules.penalty
    if penalty is None:
        return
    source = penalty.worsened
    if isinstance(source, list):
        codes = list(dict.fromkeys(source))
        context.check(codes, "penalty.worsened", context.where, problems)
        inputs.worsened_source = f"list of {len(codes)} unit codes in the rule file"
        marked = set(codes)
    else:
        path = rules.resolve(source)
        table = _read_code_table(path, "penalty.worsened", penalty.column, True, problems)
        if table is None:
            return
        inputs.files[str(path)] = sha256_file(path)
        inputs.worsened_source = f"column '{penalty.column}' of {path.name}"
        context.check(list(table["unit_code"]), "unit_code", str(path), problems)
        marked = {c for c, flag in zip(table["unit_code"], table["flag"], strict=True) if flag}
    for unit in inputs.units:
        unit.worsened = unit.code in marked


def _read_code_table(
    path: Path, field: str, column: str, required: bool, problems: list[Problem]
) -> pd.DataFrame | None:
    """A CSV of unit codes with a yes/no column (``eligible``/``worsened``), returned with the
    column parsed to booleans (as ``eligible`` or ``flag``)."""
    if not path.is_file():
        problems.append(
            Problem(
                where=str(path),
                field=field,
                message="file not found",
                hint="give a CSV path relative to the rule file, or a list of unit codes",
            )
        )
        return None
    try:
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        problems.append(Problem(where=str(path), field=field, message=f"cannot be read: {err}"))
        return None
    table.columns = [str(c).strip() for c in table.columns]
    found = True
    if "unit_code" not in table:
        problems.append(
            Problem(
                where=str(path),
                field="unit_code",
                message=f"column missing (columns: {', '.join(table.columns)})",
                hint="the first row must name the columns, one of them unit_code",
            )
        )
        found = False
    if required and column not in table:
        problems.append(
            Problem(
                where=str(path),
                field=column,
                message=f"column missing (columns: {', '.join(table.columns)})",
                hint="add the column (yes/no per unit) or set penalty.column to its name",
            )
        )
        found = False
    if not found:
        return None
    table["unit_code"] = table["unit_code"].str.strip()
    blank = [str(i + 2) for i in table.index[table["unit_code"] == ""]]
    if blank:
        problems.append(
            Problem(where=str(path), field="unit_code", message=f"empty in row(s) {_first(blank)}")
        )
    table = table[table["unit_code"] != ""]
    duplicated = sorted(set(table.loc[table["unit_code"].duplicated(), "unit_code"]))
    if duplicated:
        problems.append(
            Problem(
                where=str(path),
                field="unit_code",
                message=f"listed more than once: {_first(duplicated)}",
                hint="keep one row per unit",
            )
        )
    out = "eligible" if column == "eligible" else "flag"
    if column in table:
        text = table[column].str.strip().str.lower()
        invalid = [
            f"row {i + 2} ('{table.at[i, column]}')"
            for i, v in text.items()
            if v not in TRUE and v not in FALSE
        ]
        if invalid:
            problems.append(
                Problem(
                    where=str(path),
                    field=column,
                    message=f"expected yes/no (1/0, true/false, 是/否), got {_first(invalid)}",
                )
            )
        table[out] = text.isin(TRUE)
    else:
        table[out] = True
    return table.reset_index(drop=True)


# -- the table, the record and the folder ------------------------------------------------------


@dataclass
class Allocation:
    """What ``gep allocate`` writes and shows."""

    result: Result
    table: pd.DataFrame
    record: dict[str, Any]
    run: RunResults
    out_dir: Path | None = None


def build_table(result: Result) -> pd.DataFrame:
    """allocation.csv: one row per receiving unit and the withheld line.

    Money columns are shown to the fen (0.01 yuan); each row satisfies
    Σ component amounts + reward + limit adjustment + penalty + redistributed + rounding = final
    exactly as displayed, and Σ final over all rows = the budget.
    """
    inputs, rules = result.inputs, result.rules
    rows = []
    display = Display.of(result)
    for unit in inputs.units:
        row: dict[str, Any] = {
            "unit_code": unit.code,
            "unit_name": unit.name,
            "unit_level": unit.level,
            "parent_code": unit.parent,
        }
        if inputs.has_area_type:
            row["area_type"] = unit.area_type
        row["eligible"] = unit.eligible
        row["not_eligible_because"] = unit.reason
        r = result.units.get(unit.code)
        figures = display.unit(unit.code)
        for comp in inputs.components:
            value = unit.values.get(comp.name, math.nan)
            row[f"{comp.name}_indicator"] = value
            row[f"{comp.name}_share"] = float(r.shares[comp.name]) if r else 0.0
            row[f"{comp.name}_yuan"] = figures[comp.name] / 100
        if rules.reward is not None:
            row["reward_increment_yuan"] = unit.increment
            row["reward_share"] = float(r.reward_share) if r else 0.0
            row["reward_yuan"] = figures["reward"] / 100
        row["formula_yuan"] = figures["formula"] / 100
        row["limit"] = r.limit if r else ""
        row["limit_adjustment_yuan"] = figures["adjustment"] / 100
        row["worsened"] = unit.worsened
        row["penalty_yuan"] = -figures["penalty"] / 100
        row["redistributed_yuan"] = figures["redistributed"] / 100
        row["rounding_yuan"] = figures["rounding"] / 100
        final = r.final if r else 0
        row["final_yuan"] = final
        row["final_wan_yuan"] = final / 10_000
        row["share_of_budget"] = float(Fraction(final) / result.budget)
        row["explanation"], row["explanation_zh"] = explain_unit(unit, r, result, display)
        rows.append(row)
    withheld = display.withheld()
    line: dict[str, Any] = {
        "unit_code": WITHHELD,
        "unit_name": "withheld by the budget holder (预算单位留存)",
        "unit_level": "",
        "parent_code": "",
        "eligible": "",
        "not_eligible_because": "",
        "formula_yuan": withheld["formula"] / 100,
        "limit": "",
        "limit_adjustment_yuan": 0.0,
        "worsened": "",
        "penalty_yuan": 0.0,
        "redistributed_yuan": withheld["redistributed"] / 100,
        "rounding_yuan": withheld["rounding"] / 100,
        "final_yuan": result.withheld,
        "final_wan_yuan": result.withheld / 10_000,
        "share_of_budget": float(Fraction(result.withheld) / result.budget),
    }
    line["explanation"], line["explanation_zh"] = explain_withheld(result, display)
    rows.append(line)
    table = pd.DataFrame(rows)
    for column in table.columns:
        numeric = column.endswith(("_yuan", "_share")) or column == "share_of_budget"
        if numeric and column != "final_yuan":
            table[column] = pd.to_numeric(table[column])
    table["final_yuan"] = table["final_yuan"].astype("int64")
    return table


COLUMNS = {
    "unit_code, unit_name, unit_level, parent_code": "the receiving unit, as in the run",
    "area_type": "area type from the eligibility file (recorded, not used in the formula)",
    "eligible, not_eligible_because": "whether the unit takes part, and why not",
    "<share>_indicator": "the indicator of the share (yuan, yuan/km², yuan/person or the "
    "summary column's unit) in the allocation year",
    "<share>_share": "the unit's part of the eligible units' total indicator (0–1)",
    "<share>_yuan": "pot of the share × the unit's part",
    "reward_increment_yuan": "real (constant-price) change of the reward's measure from the "
    "previous year",
    "reward_share": "the unit's part of the positive increments (0–1)",
    "reward_yuan": "the reward (pool × part, or k × increment)",
    "formula_yuan": "Σ shares + reward (withheld line: the pool nobody earned and budget no "
    "component distributes)",
    "limit, limit_adjustment_yuan": "floor / cap / scaled (moved by the common factor that pays "
    "for the floors and caps), and the change it makes",
    "worsened, penalty_yuan": "environmental quality worsened, and the deduction (negative)",
    "redistributed_yuan": "deductions of worsened units received (withheld line: the deductions "
    "it keeps)",
    "rounding_yuan": "final − the columns before it (largest-remainder rounding and the display "
    "of the columns to the fen)",
    "final_yuan, final_wan_yuan": "the amount paid, in whole yuan (and in 万元)",
    "share_of_budget": "final / budget",
    "explanation, explanation_zh": "how the amount came about, in English and Chinese",
}


def build_record(result: Result, run: RunResults, command: str) -> dict[str, Any]:
    """allocation.json: the rule as applied, the run it used, the totals."""
    inputs, rules = result.inputs, result.rules

    def yuan(value: Fraction) -> float:
        return round(float(value), 2)

    paid = [r for r in result.units.values() if r.final > 0]
    record: dict[str, Any] = {
        "tool": "gep allocate",
        "gepkit_version": __version__,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "demo": {"is_demo": run.is_demo, "notice": run.demo_notice},
        "rule": rules.applied(),
        "rule_file_sha256": sha256_file(rules.source_path) if rules.source_path else None,
        "applied": {
            "year": inputs.year,
            "previous_year": inputs.previous_year,
            "receiving_level": inputs.level,
            "receiving_units": len(inputs.units),
            "eligible_units": len(result.units),
            "eligibility": inputs.eligibility_source,
            "worsened": inputs.worsened_source,
            "worsened_units": [u.code for u in inputs.units if u.worsened],
            "level_shares_price_basis": inputs.price_basis,
            "reward_price_basis": f"constant-{inputs.base_year}" if rules.reward else None,
            "component_pots_yuan": {name: yuan(v) for name, v in result.pots.items()},
            "reward_pool_yuan": yuan(result.pool) if rules.reward else None,
            "reward_scale": float(result.reward_scale),
            "unearned_pool_to_shares_yuan": yuan(result.unearned_to_shares),
            "floor_yuan": None if result.floor is None else int(result.floor),
            "cap_yuan": None if result.cap is None else int(result.cap),
            "common_factor": float(result.scale),
            "files": inputs.files,
        },
        "run": run.provenance(),
        "totals": {
            "budget_yuan": int(result.budget),
            "allocated_yuan": result.allocated,
            "withheld_yuan": result.withheld,
            "check": f"{result.allocated:,} + {result.withheld:,} = {int(result.budget):,} yuan",
            "withheld_parts_yuan": {
                "reward_pool_not_earned": yuan(result.unearned_withheld),
                "not_distributed_by_any_component": yuan(result.left_over),
                "deductions_withheld": yuan(result.penalties_withheld),
                "deductions_over_caps": yuan(result.unplaced),
                "rounding": yuan(result.withheld - result.withheld_exact),
            },
            "components_yuan": {
                comp.name: yuan(sum((r.amounts[comp.name] for r in result.units.values()), Q(0)))
                for comp in inputs.components
            },
            "reward_yuan": yuan(result.reward_paid),
            "deductions_yuan": yuan(result.penalties),
            "redistributed_yuan": yuan(sum((r.redistributed for r in result.units.values()), Q(0))),
            "units_paid": len(paid),
            "units_at_floor": sum(r.limit == "floor" for r in result.units.values()),
            "units_at_cap": sum(r.limit == "cap" for r in result.units.values()),
            "units_penalised": sum(r.penalty > 0 for r in result.units.values()),
        },
        "rounding": {
            "step_yuan": rules.quantum,
            "method": "largest remainder (Hamilton): every amount, and the withheld line, is "
            "rounded down to the step; the steps still missing to reach the budget go one each "
            "to the largest remainders (ties: in the order of the table, the withheld line "
            "last), so that Σ amounts + withheld = budget exactly",
        },
        "notes": result.notes,
        "columns": COLUMNS,
    }
    return record


def allocate(
    rules_path: Path,
    run_dir: Path,
    out: Path | None = None,
    *,
    overwrite: bool = False,
    command: str = "gep allocate",
) -> Allocation:
    """Read the rule and the run, check everything, compute, and write ``out`` atomically
    (when given). Every input problem is raised at once as :class:`InputError`."""
    problems: list[Problem] = []
    rules: AllocationRules | None = None
    run: RunResults | None = None
    try:
        rules = load_rules(rules_path)
    except InputError as err:
        problems.extend(err.problems)
    try:
        run = RunResults.load(run_dir)
    except InputError as err:
        problems.extend(err.problems)
    if rules is None or run is None:
        raise InputError(problems)
    inputs, problems = _read_inputs(rules, run)
    if problems:
        if inputs is not None:
            # Only unknown codes: add what the rule would also refuse (infeasible limits …).
            try:
                compute(inputs, rules)
            except InputError as err:
                problems.extend(err.problems)
        raise InputError(problems)
    assert inputs is not None
    if out is not None:
        check_target(out, overwrite=overwrite)
    result = compute(inputs, rules)
    allocation = Allocation(
        result=result,
        table=build_table(result),
        record=build_record(result, run, command),
        run=run,
    )
    if out is not None:
        with atomic_folder(out, overwrite=overwrite) as tmp:
            write_table(allocation.table, tmp / "allocation.csv")
            write_json(allocation.record, tmp / "allocation.json")
        allocation.out_dir = out
    return allocation


# -- the console -------------------------------------------------------------------------------


def show_allocation(allocation: Allocation, console: Any, top: int = 15) -> None:
    """The top units and the totals, as rich tables."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    result, table = allocation.result, allocation.table
    inputs, rules = result.inputs, result.rules
    if allocation.run.is_demo:
        console.print(Panel(allocation.run.demo_notice, title="DEMO", border_style="yellow"))
    title = rules.allocation.name or "Allocation"
    units = table[table["unit_code"] != WITHHELD]
    shown = units[units["eligible"] == True].sort_values(  # noqa: E712
        ["final_yuan", "unit_code"], ascending=[False, True]
    )
    view = Table(
        title=f"{escape(title)}: {inputs.year}, {len(result.units)} eligible {inputs.level} units "
        f"(top {min(top, len(shown))} by amount; 万元)",
        title_justify="left",
    )
    columns = ["unit", "code", *(c.name for c in inputs.components)]
    if rules.reward is not None:
        columns.append("reward")
    columns += ["floor/cap", "penalty", "final 元", "share"]
    for column in columns:
        view.add_column(column, justify="left" if column in ("unit", "code") else "right")
    for _, row in shown.head(top).iterrows():
        cells = [escape(str(row["unit_name"])), str(row["unit_code"])]
        cells += [_wan(row[f"{c.name}_yuan"]) for c in inputs.components]
        if rules.reward is not None:
            cells.append(_wan(row["reward_yuan"]))
        limit = _wan(row["limit_adjustment_yuan"]) if row["limit_adjustment_yuan"] else ""
        if row["limit"] in ("floor", "cap"):
            limit = f"{limit} ({row['limit']})"
        cells += [
            limit,
            _wan(row["penalty_yuan"]) if row["penalty_yuan"] else "",
            f"{int(row['final_yuan']):,}",
            f"{row['share_of_budget']:.2%}",
        ]
        view.add_row(*cells)
    console.print(view)
    totals = allocation.record["totals"]
    parts = {k: v for k, v in totals["withheld_parts_yuan"].items() if v}
    console.print(
        f"budget {int(result.budget):,} yuan = allocated {result.allocated:,} to "
        f"{totals['units_paid']} units + withheld {result.withheld:,}"
        + (
            " (" + "; ".join(f"{k.replace('_', ' ')} {v:,.2f}" for k, v in parts.items()) + ")"
            if parts
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"{totals['units_at_floor']} unit(s) at the floor, {totals['units_at_cap']} at the cap, "
        f"{totals['units_penalised']} penalised; rounding to "
        f"{'the yuan' if rules.quantum == 1 else 'whole 万元'} by largest remainder",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if allocation.out_dir is not None:
        console.print(f"Results written to [bold]{escape(str(allocation.out_dir))}[/]")


def _wan(value: float) -> str:
    return f"{value / 10_000:,.1f}"
