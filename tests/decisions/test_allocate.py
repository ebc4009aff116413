"""``gep allocate``: each rule by hand on small cases, budget conservation (hypothesis), the
errors of bad rules, and one end-to-end run on the demo account."""

from __future__ import annotations

import json
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.decisions.allocate import (
    WITHHELD,
    Component,
    Inputs,
    UnitInput,
    allocate,
    build_table,
    compute,
    read_inputs,
)
from gepkit.decisions.allocate_math import clip_scale, largest_remainder
from gepkit.decisions.allocate_rules import AllocationRules, load_rules
from gepkit.decisions.run_results import RunResults
from gepkit.errors import InputError

F = Fraction


# -- helpers -----------------------------------------------------------------------------------


def rules_of(data: dict[str, Any]) -> AllocationRules:
    """Rules from a dict (as the TOML file would give), checked like a file."""
    from gepkit.decisions.allocate_rules import rule_problems

    rules = AllocationRules.model_validate(data)
    problems = rule_problems(rules, "test")
    if problems:
        raise InputError(problems)
    return rules


def inputs_of(
    gep: list[float],
    *,
    area: list[float] | None = None,
    increments: list[float] | None = None,
    eligible: list[bool] | None = None,
    worsened: list[bool] | None = None,
    components: dict[str, float] | None = None,
) -> Inputs:
    """Units A, B, C … with their GEP (and GEP per km² as ``density`` when ``area`` is given)."""
    components = {"gep": 1.0} if components is None else components
    units = []
    for i, value in enumerate(gep):
        code = chr(ord("A") + i)
        values: dict[str, float] = {"gep": value}
        raw: dict[str, tuple[float, float | None]] = {"gep": (value, None)}
        if area is not None:
            values["density"] = value / area[i]
            raw["density"] = (value, area[i])
        unit = UnitInput(code=code, name=f"unit {code}", values=values, raw=raw)
        if increments is not None:
            unit.measure_from, unit.measure_to = 1e9, 1e9 + increments[i]
        if eligible is not None and not eligible[i]:
            unit.eligible, unit.reason, unit.reason_zh = False, "not in the list", "不在名单"
        if worsened is not None:
            unit.worsened = worsened[i]
        units.append(unit)
    comps = [
        Component(
            name=name,
            weight=F(str(weight)),
            indicator="gep",
            per="km2" if name == "density" else None,
            label="GEP per km²" if name == "density" else "GEP",
            label_zh="地均 GEP" if name == "density" else "GEP",
        )
        for name, weight in components.items()
    ]
    return Inputs(units=units, components=comps, year=2020, previous_year=2019, base_year=2019)


def rule(budget: int, shares: dict[str, float] | None = None, **sections: Any) -> AllocationRules:
    shares = {"gep": 1.0} if shares is None else shares
    data: dict[str, Any] = {
        "allocation": {"budget": budget, "year": 2020, **sections.pop("allocation", {})},
        "shares": {
            name: {"weight": w, "indicator": "gep", **({"per": "km2"} if name == "density" else {})}
            for name, w in shares.items()
        },
        **sections,
    }
    return rules_of(data)


def finals(result: Any) -> dict[str, int]:
    return {code: r.final for code, r in result.units.items()}


# -- level-based shares -----------------------------------------------------------------------


def test_share_on_gep_by_hand() -> None:
    """T·GEP_i/ΣGEP: 1,000 yuan over GEP 1 : 2 : 7."""
    result = compute(inputs_of([1.0, 2.0, 7.0]), rule(1000))
    assert finals(result) == {"A": 100, "B": 200, "C": 700}
    assert result.withheld == 0
    assert result.units["C"].shares["gep"] == F(7, 10)


def test_two_shares_and_largest_remainder_by_hand() -> None:
    """60 % on GEP, 40 % on GEP per km².

    A: GEP 100, 10 km² (10 per km²); B: GEP 300, 100 km² (3 per km²); T = 1,000,000.
    GEP: 600,000 × 1/4, 3/4 = 150,000, 450,000. Per km²: 400,000 × 10/13, 3/13 =
    307,692.307…, 92,307.692…. A = 457,692.307…, B = 542,307.692…: rounded down 999,999, the
    missing yuan goes to the larger remainder (B).
    """
    inputs = inputs_of([100.0, 300.0], area=[10.0, 100.0], components={"gep": 0.6, "density": 0.4})
    result = compute(inputs, rule(1_000_000, {"gep": 0.6, "density": 0.4}))
    assert result.units["A"].amounts == {"gep": 150_000, "density": F(4_000_000, 13)}
    assert finals(result) == {"A": 457_692, "B": 542_308}


def test_largest_remainder() -> None:
    assert largest_remainder([F(100, 3)] * 3) == [34, 33, 33]
    # Equal remainders: the first in the table's order gets the missing yuan.
    assert largest_remainder([F(1, 2), F(3, 2), F(1)]) == [1, 1, 1]
    assert largest_remainder([F(5, 2), F(5, 2), F(5)]) == [3, 2, 5]
    assert largest_remainder([F(1_000_000, 3)] * 3, quantum=10_000) == [340_000, 330_000, 330_000]
    with pytest.raises(ValueError, match="multiple"):
        largest_remainder([F(1, 2)])


def test_wan_yuan_rounding() -> None:
    result = compute(
        inputs_of([1.0, 1.0, 1.0]), rule(1_000_000, allocation={"rounding": "wan_yuan"})
    )
    assert finals(result) == {"A": 340_000, "B": 330_000, "C": 330_000}


def test_ineligible_units_get_nothing_and_leave_the_denominator() -> None:
    result = compute(inputs_of([1.0, 1.0, 2.0], eligible=[True, True, False]), rule(1000))
    assert finals(result) == {"A": 500, "B": 500}
    assert result.allocated == 1000


# -- reward on the real increment -------------------------------------------------------------


def test_reward_pool_by_hand() -> None:
    """80 % on GEP 1 : 1 : 2 = 200, 200, 400; a pool of 20 % = 200 over the positive increments
    +30, +10, −5 = 150, 50, 0."""
    inputs = inputs_of([1.0, 1.0, 2.0], increments=[30.0, 10.0, -5.0])
    rules = rule(1000, {"gep": 0.8}, reward={"mode": "pool", "weight": 0.2})
    result = compute(inputs, rules)
    assert {c: r.reward for c, r in result.units.items()} == {"A": 150, "B": 50, "C": 0}
    assert finals(result) == {"A": 350, "B": 250, "C": 400}


def test_unearned_pool_is_withheld_or_given_to_the_shares() -> None:
    inputs = inputs_of([1.0, 3.0], increments=[-1.0, 0.0])
    withheld = compute(inputs, rule(1000, {"gep": 0.8}, reward={"weight": 0.2}))
    assert finals(withheld) == {"A": 200, "B": 600}
    assert withheld.withheld == 200
    assert withheld.unearned_withheld == 200
    shared = compute(inputs, rule(1000, {"gep": 0.8}, reward={"weight": 0.2, "unearned": "shares"}))
    assert finals(shared) == {"A": 250, "B": 750}
    assert shared.withheld == 0


def test_reward_rate_dajun_by_hand() -> None:
    """Dajun: B = k × ΔGEP with k = 0.02; paid first, the shares divide the rest.

    A grew by 1,000,000 yuan → 20,000; B fell → 0. The rest, 80,000, by GEP 1 : 1.
    """
    inputs = inputs_of([1.0, 1.0], increments=[1_000_000.0, -500.0])
    result = compute(inputs, rule(100_000, reward={"mode": "rate", "rate": 0.02}))
    assert result.units["A"].reward == 20_000
    assert finals(result) == {"A": 60_000, "B": 40_000}
    # Dajun 2019: GEP +0.94 × 10⁸ yuan, award 1.88 × 10⁶ yuan (methods catalogue §4.2).
    dajun = compute(
        inputs_of([1.0], increments=[0.94e8], components={}),
        rules_of(
            {
                "allocation": {"budget": 10_000_000, "year": 2020},
                "reward": {"mode": "rate", "rate": 0.02},
            }
        ),
    )
    assert finals(dajun) == {"A": 1_880_000}
    assert dajun.withheld == 10_000_000 - 1_880_000
    assert dajun.left_over == 10_000_000 - 1_880_000


def test_rate_rewards_are_scaled_to_their_limit() -> None:
    inputs = inputs_of([1.0, 1.0], increments=[3_000_000.0, 1_000_000.0])
    rules = rule(100_000, reward={"mode": "rate", "rate": 0.5, "limit_share": 0.1})
    result = compute(inputs, rules)
    # Wanted 1,500,000 + 500,000; at most 10,000: scaled by 1/200.
    assert result.units["A"].reward == 7_500
    assert result.units["B"].reward == 2_500
    assert finals(result) == {"A": 52_500, "B": 47_500}
    assert result.reward_scale == F(1, 200)


# -- floors and caps --------------------------------------------------------------------------


def test_cap_redistributes_to_the_others() -> None:
    """100, 100, 800 with a cap of 500: C is cut to 500, A and B share the 300 pro rata."""
    result = compute(inputs_of([1.0, 1.0, 8.0]), rule(1000, limits={"cap_yuan": 500}))
    assert finals(result) == {"A": 250, "B": 250, "C": 500}
    assert result.units["C"].limit == "cap"
    assert result.units["A"].limit == "scaled"
    assert result.scale == F(5, 2)


def test_floor_is_paid_by_the_others() -> None:
    """100, 400, 500 with a floor of 200: A is raised to 200, B and C share 800 as 4 : 5 =
    355.56, 444.44 → rounded 356, 444."""
    result = compute(inputs_of([1.0, 4.0, 5.0]), rule(1000, limits={"floor_yuan": 200}))
    assert finals(result) == {"A": 200, "B": 356, "C": 444}
    assert result.units["A"].adjustment == 100


def test_floors_iterate_until_no_unit_is_below() -> None:
    """10, 40, 46, 904 with a floor of 45: raising A and B to 45 scales C to 44.06, below the
    floor too, so C is raised as well; D pays for all three: 1000 − 3 × 45 = 865."""
    result = compute(inputs_of([1.0, 4.0, 4.6, 90.4]), rule(1000, limits={"floor_yuan": 45}))
    assert finals(result) == {"A": 45, "B": 45, "C": 45, "D": 865}
    assert [result.units[c].limit for c in "ABCD"] == ["floor", "floor", "floor", "scaled"]


def test_floor_and_cap_as_shares_of_the_budget() -> None:
    result = compute(
        inputs_of([1.0, 2.0, 3.0, 14.0]),
        rule(10_000, limits={"floor_share": 0.1, "cap_share": 0.4}),
    )
    # 500, 1000, 1500, 7000 → A to 1,000, D to 4,000; B and C share 5,000 as 2 : 3.
    assert finals(result) == {"A": 1000, "B": 2000, "C": 3000, "D": 4000}


def test_clip_scale_units_without_formula_take_what_the_caps_leave() -> None:
    x, _, rest = clip_scale([F(1), F(0), F(0)], [F(0)] * 3, [F(10)] * 3, F(20))
    assert x == [10, 5, 5]
    assert rest == 0
    x, _, rest = clip_scale([F(1), F(0)], [F(0)] * 2, [F(10)] * 2, F(15), spread_to_zero=False)
    assert x == [10, 0]
    assert rest == 5


def test_infeasible_limits_are_refused() -> None:
    with pytest.raises(
        InputError, match=r"caps make the budget infeasible: 3 eligible .*× cap 300"
    ):
        compute(inputs_of([1.0, 1.0, 1.0]), rule(1000, limits={"cap_yuan": 300}))
    with pytest.raises(
        InputError, match=r"floors are infeasible: 3 eligible .*\n.*lower the floor"
    ):
        compute(inputs_of([1.0, 1.0, 1.0]), rule(1000, limits={"floor_yuan": 400}))


# -- penalty ----------------------------------------------------------------------------------


def test_penalty_withheld_by_hand() -> None:
    """Jiangxi: B worsened and loses 5 % of its 500 = 25, withheld."""
    inputs = inputs_of([1.0, 1.0], worsened=[False, True])
    result = compute(inputs, rule(1000, penalty={"worsened": ["B"]}))
    assert finals(result) == {"A": 500, "B": 475}
    assert result.withheld == 25
    assert result.penalties_withheld == 25


def test_penalty_redistributed_pro_rata() -> None:
    inputs = inputs_of([1.0, 1.0, 2.0], worsened=[False, False, True])
    redistributed = compute(
        inputs, rule(1000, penalty={"worsened": ["C"], "rate": 0.1, "deducted": "redistribute"})
    )
    # C: 500 − 50; A and B (250 each) receive 25 each.
    assert finals(redistributed) == {"A": 275, "B": 275, "C": 450}
    assert redistributed.withheld == 0
    assert redistributed.units["A"].redistributed == 25


def test_penalty_redistribution_stops_at_the_caps() -> None:
    inputs = inputs_of([1.0, 1.0], worsened=[False, True])
    result = compute(
        inputs,
        rule(
            1000, limits={"cap_yuan": 510}, penalty={"worsened": ["B"], "deducted": "redistribute"}
        ),
    )
    # B loses 25; A can take 10 up to its cap; 15 are withheld.
    assert finals(result) == {"A": 510, "B": 475}
    assert result.unplaced == 15
    assert result.withheld == 15


def test_explanations_follow_the_steps() -> None:
    """1,000 yuan: 80 % on GEP 1 : 1 : 2 (D not eligible), a pool of 20 % on the increments
    +30, +10, −5; C worsened and its 5 % (20 yuan) goes to A and B as 350 : 250."""
    inputs = inputs_of(
        [1.0, 1.0, 2.0, 5.0],
        increments=[30.0, 10.0, -5.0, 0.0],
        eligible=[True, True, True, False],
        worsened=[False, False, True, False],
    )
    rules = rule(
        1000,
        {"gep": 0.8},
        reward={"weight": 0.2},
        penalty={"worsened": ["C"], "deducted": "redistribute"},
    )
    result = compute(inputs, rules)
    assert finals(result) == {"A": 362, "B": 258, "C": 380}
    table = build_table(result).set_index("unit_code")
    a, c = table.loc["A"], table.loc["C"]
    assert (
        "= 25 % of the eligible units' total → 80 % of the budget × 25 % = 200.00 yuan"
        in (a["explanation"])
    )
    assert "reward pool 20 % of the budget × 75 % = 150.00 yuan" in a["explanation"]
    assert "+11.67 yuan of the deductions of worsened units" in a["explanation"]
    assert a["explanation"].endswith("rounded to the yuan (+0.33) → 362 yuan.")
    assert "增量奖励资金池（预算的 20%）× 75% = 150.00 元" in a["explanation_zh"]
    assert (
        "real GEP change 2019→2020 at 2019 prices: −5.00 yuan, no growth reward"
        in (c["explanation"])
    )
    assert "−5 % of 400.00 = −20.00 yuan (redistributed to the units" in c["explanation"]
    assert "扣减 5% × 400.00 = −20.00 元（分配给未变差的单位）" in c["explanation_zh"]
    assert table.loc["D", "explanation"] == "Not eligible (not in the list) → 0 yuan."
    assert table.loc["D", "explanation_zh"] == "不参与分配（不在名单）→ 0 元。"
    assert table.loc[WITHHELD, "explanation"] == "Nothing is withheld → 0 yuan."
    assert table["final_yuan"].sum() == 1000
    # Each line adds up as shown, to the fen.
    terms = ["gep_yuan", "reward_yuan", "limit_adjustment_yuan", "penalty_yuan"]
    terms += ["redistributed_yuan", "rounding_yuan"]
    cents = (table.loc[["A", "B", "C"], terms].sum(axis=1) * 100).round()
    assert list(cents) == [36200, 25800, 38000]


# -- conservation (property) ------------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[Inputs, AllocationRules]:
    n = draw(st.integers(1, 10))
    money = st.floats(0, 1e12, allow_nan=False, allow_infinity=False)
    gep = draw(st.lists(money, min_size=n, max_size=n))
    if not any(g > 0 for g in gep):
        gep[0] = 1.0
    area = draw(st.lists(st.floats(0.5, 5000), min_size=n, max_size=n))
    increments = draw(st.lists(st.floats(-1e10, 1e10, allow_nan=False), min_size=n, max_size=n))
    eligible = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    eligible[draw(st.integers(0, n - 1))] = True
    worsened = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    a = draw(st.integers(0, 100))
    b = draw(st.integers(0, 100 - a))
    pool = 100 - a - b
    wan = draw(st.booleans())
    q = 10_000 if wan else 1
    budget = draw(st.integers(1, 10**7)) * q
    shares = {"gep": a / 100, "density": b / 100}
    reward: dict[str, Any] = (
        {
            "mode": "pool",
            "weight": pool / 100,
            "unearned": draw(st.sampled_from(["withheld", "shares"])),
        }
        if pool or draw(st.booleans())
        else {"mode": "rate", "rate": draw(st.floats(0.001, 1))}
    )
    if reward["mode"] == "rate" and a + b != 100:
        shares = {"gep": 1.0}
    limits: dict[str, Any] = {}
    if draw(st.booleans()):
        limits["floor_yuan"] = draw(st.integers(0, budget // n // q)) * q
    if draw(st.booleans()):
        limits["cap_yuan"] = draw(st.integers(max(1, budget // n // q), budget // q + 1)) * q
    data: dict[str, Any] = {
        "allocation": {"budget": budget, "year": 2020, "rounding": "wan_yuan" if wan else "yuan"},
        "shares": {
            name: {"weight": w, **({"per": "km2"} if name == "density" else {})}
            for name, w in shares.items()
        },
        "reward": reward,
        "limits": limits,
        "penalty": {
            "worsened": [chr(65 + i) for i in range(n) if worsened[i]],
            "rate": draw(st.sampled_from([0.05, 0.1, 0.333])),
            "deducted": draw(st.sampled_from(["withheld", "redistribute"])),
        },
    }
    rules = rules_of(data)
    inputs = inputs_of(
        gep,
        area=area,
        increments=increments,
        eligible=eligible,
        worsened=worsened,
        components=shares,
    )
    return inputs, rules


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_budget_is_conserved_to_the_yuan(case: tuple[Inputs, AllocationRules]) -> None:
    inputs, rules = case
    try:
        result = compute(inputs, rules)
    except InputError as err:
        refused = err.problems
    else:
        refused = []
    if refused:
        # Only infeasible floors/caps, or a share nobody eligible has, may be refused.
        assert all(
            "infeasible" in p.message or "no eligible unit has a positive" in p.message
            for p in refused
        )
        return
    budget = int(result.budget)
    q = rules.quantum
    assert result.allocated + result.withheld == budget
    assert result.withheld >= 0
    cap, floor = result.cap, result.floor
    for unit in inputs.units:
        r = result.units.get(unit.code)
        if not unit.eligible:
            assert r is None
            continue
        assert r is not None
        assert r.final >= 0
        assert r.final % q == 0
        assert abs(r.final - r.exact_final) < q
        if cap is not None:
            assert r.final <= cap
        if floor is not None and not unit.worsened:
            assert r.final >= floor
    assert (
        sum((r.exact_final for r in result.units.values()), F(0)) + result.withheld_exact == budget
    )


# -- the rule file ----------------------------------------------------------------------------


GOOD = """
[allocation]
budget = 1_000_000
year = 2020

[shares.gep]
weight = 0.6

[shares.gep_density]
indicator = "gep"
per = "km2"
weight = 0.2

[reward]
weight = 0.2
"""


def write(tmp_path: Path, text: str, name: str = "allocate.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_rule_file(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, GOOD))
    assert rules.allocation.budget == 1_000_000
    assert rules.pool_weight == F(1, 5)
    assert rules.penalty is None
    assert rules.applied()["shares"]["gep"]["indicator"] == "gep"


def test_every_problem_of_a_rule_file_at_once(tmp_path: Path) -> None:
    text = """
[allocation]
budgt = 1000
year = 2020
rounding = "fen"

[shares.gep]
wieght = 0.5

[shares.density]
weight = 0.3
per = "km2"

[limits]
floor_yuan = 600
cap_yuan = 500
"""
    with pytest.raises(InputError) as info:
        load_rules(write(tmp_path, text))
    text_ = str(info.value)
    assert "[allocation.budgt]: is not a known setting" in text_
    assert "known settings here: budget, year, level, prices, rounding, eligibility, name" in text_
    assert "[shares.gep.wieght]: is not a known setting" in text_
    assert "known settings here: weight, indicator, per, label, label_zh" in text_
    assert "[allocation.budget]: is required but missing" in text_
    assert "[allocation.rounding]" in text_
    # Structure first: cross-setting checks need a valid structure.
    text = """
[allocation]
budget = 1000.5
year = 2020

[shares.gep]
weight = 0.6

[shares.Density]
weight = 0.3
per = "km2"

[reward]
mode = "rate"
weight = 0.1

[limits]
floor_yuan = 600
cap_yuan = 500
"""
    with pytest.raises(InputError) as info:
        load_rules(write(tmp_path, text))
    messages = [f"{p.field}: {p.message}" for p in info.value.problems]
    assert any("budget: must be a whole number of yuan" in m for m in messages)
    assert any("shares.Density: a share's name" in m for m in messages)
    assert any("reward.rate: is required" in m for m in messages)
    assert any('reward.weight: applies to mode = "pool" only' in m for m in messages)
    assert any(
        "the weights of the shares add up to 0.9 (gep 0.6 + Density 0.3)" in m for m in messages
    )
    assert any("the floor (600 yuan) is above the cap (500 yuan)" in m for m in messages)


def test_weights_with_the_pool_must_add_up_to_one(tmp_path: Path) -> None:
    text = GOOD.replace("weight = 0.2\n", "weight = 0.3\n", 1)
    with pytest.raises(
        InputError, match=r"add up to 1.1 \(gep 0.6 \+ gep_density 0.3 \+ reward pool 0.2\)"
    ):
        load_rules(write(tmp_path, text))


def test_wan_yuan_needs_whole_wan(tmp_path: Path) -> None:
    text = GOOD.replace("year = 2020", 'year = 2020\nrounding = "wan_yuan"').replace(
        "1_000_000", "1_000_500"
    )
    with pytest.raises(InputError, match="multiple of 10,000 yuan"):
        load_rules(write(tmp_path, text))


def test_unreadable_rule_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="rule file not found"):
        load_rules(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="is not valid TOML"):
        load_rules(write(tmp_path, "[allocation\nbudget = 1"))


# -- on a tiny run folder ---------------------------------------------------------------------

#: Province 100000; cities 100100 (counties 100101, 100102) and 100200 (county 100201).
UNITS = [
    ("100000", "Province", "", "province", False, 300.0),
    ("100100", "City One", "100000", "city", False, 200.0),
    ("100200", "City Two", "100000", "city", False, 100.0),
    ("100101", "Alpha", "100100", "county", True, 100.0),
    ("100102", "Beta", "100100", "county", True, 100.0),
    ("100201", "Gamma", "100200", "county", True, 100.0),
]
#: County values (yuan) per year and class; regulating at constant prices is the same, the
#: other classes are deflated by 2 in 2020 in this made-up run.
COUNTY = {
    "100101": {2019: (10.0, 60.0, 30.0), 2020: (20.0, 80.0, 20.0)},
    "100102": {2019: (10.0, 20.0, 10.0), 2020: (10.0, 30.0, 10.0)},
    "100201": {2019: (50.0, 100.0, 50.0), 2020: (40.0, 100.0, 60.0)},
}
CLASSES = ("provisioning", "regulating", "cultural")


def make_run(folder: Path) -> Path:
    folder.mkdir(parents=True)
    children = {"100100": ["100101", "100102"], "100200": ["100201"], "100000": list(COUNTY)}
    summary, accounts = [], []
    for year in (2019, 2020):
        for code, name, parent, level, _, area in UNITS:
            members = children.get(code, [code])
            current = [sum(COUNTY[m][year][i] for m in members) for i in range(3)]
            deflate = 1.0 if year == 2019 else 0.5
            constant = [current[0] * deflate, current[1], current[2] * deflate]
            summary.append(
                {
                    "year": year,
                    "unit_code": code,
                    "unit_name": name,
                    "unit_level": level,
                    "parent_code": parent,
                    "gep": sum(current),
                    **dict(zip(CLASSES, current, strict=True)),
                    "gep_constant": sum(constant),
                    "area_km2": area,
                    "population": 1000.0,
                    "gep_per_km2": sum(current) / area,
                }
            )
            for basis, values in (("current", current), ("constant-2019", constant)):
                for category, value in zip(CLASSES, values, strict=True):
                    accounts.append(
                        {
                            "year": year,
                            "unit_code": code,
                            "unit_name": name,
                            "unit_level": level,
                            "parent_code": parent,
                            "category": category,
                            "item": f"{category}_item",
                            "quantity": value,
                            "value": value,
                            "price_basis": basis,
                        }
                    )
    pd.DataFrame(summary).to_csv(folder / "summary.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(accounts).to_csv(folder / "accounts.csv", index=False, encoding="utf-8-sig")
    units = gpd.GeoDataFrame(
        {
            "code": [u[0] for u in UNITS],
            "name": [u[1] for u in UNITS],
            "parent_code": [u[2] for u in UNITS],
            "level": [u[3] for u in UNITS],
            "is_leaf": [u[4] for u in UNITS],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(len(UNITS))],
        crs="EPSG:3857",
    )
    units.to_file(folder / "units.gpkg", layer="units", driver="GPKG", engine="pyogrio")
    manifest = {"gepkit_version": "test", "region": {"name": "Test", "code": "100000"}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("allocate") / "run")


def test_values_read_from_the_run(tiny_run: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[allocation]
budget = 1_000_000
year = 2020
prices = "constant"

[shares.regulating]
indicator = "regulating"
weight = 0.5

[shares.density]
indicator = "gep"
per = "km2"
weight = 0.3

[reward]
weight = 0.2
""",
    )
    inputs = read_inputs(load_rules(path), RunResults.load(tiny_run))
    assert [u.code for u in inputs.units] == ["100101", "100102", "100201"]
    assert inputs.level == "county"
    alpha = inputs.units[0]
    assert alpha.values["regulating"] == 80.0
    # GEP at constant 2019 prices in 2020: 20/2 + 80 + 20/2 = 100, over 100 km².
    assert alpha.values["density"] == 1.0
    # Real increments: Alpha 100 − 100 = 0, Beta 40 − 40 = 0, Gamma 150 − 200 = −50.
    assert [u.increment for u in inputs.units] == [0.0, 0.0, -50.0]
    assert inputs.previous_year == 2019


def test_eligibility_and_worsened_files(tiny_run: Path, tmp_path: Path) -> None:
    (tmp_path / "counties.csv").write_text(
        "unit_code,unit_name,eligible,area_type,worsened\n"
        "100101,Alpha,yes,key ecological function area,no\n"
        "100102,Beta,否,,yes\n"
        "100201,Gamma,1,nature reserve,是\n",
        encoding="utf-8-sig",
    )
    path = write(
        tmp_path,
        """
[allocation]
budget = 1_000
year = 2020
eligibility = "counties.csv"

[shares.gep]
weight = 1

[penalty]
worsened = "counties.csv"
""",
    )
    allocation = allocate(path, tiny_run, tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "allocation.csv", dtype={"unit_code": str})
    rows = table.set_index("unit_code")
    # GEP 2020: Alpha 120, Gamma 200 (Beta not eligible): 375 and 625; Gamma loses 5 %.
    assert rows.loc["100101", "final_yuan"] == 375
    assert rows.loc["100102", "final_yuan"] == 0
    assert rows.loc["100102", "not_eligible_because"] == "marked not eligible in counties.csv"
    assert rows.loc["100201", "final_yuan"] == 594
    assert rows.loc[WITHHELD, "final_yuan"] == 31
    assert rows.loc["100201", "area_type"] == "nature reserve"
    assert table["final_yuan"].sum() == 1000
    assert "worsened but is not eligible" in " ".join(allocation.result.notes)
    record = json.loads((tmp_path / "out" / "allocation.json").read_text(encoding="utf-8"))
    assert str(tmp_path / "counties.csv") in record["applied"]["files"]
    assert record["totals"]["withheld_parts_yuan"]["deductions_withheld"] == 31.25


def test_problems_found_against_the_run(tiny_run: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[allocation]
budget = 1_000
year = 2020
level = "county"
eligibility = ["100101", "100103", "100100", "Gamma"]

[shares.gep]
indicator = "gdp_per_tree"
weight = 1

[penalty]
worsened = ["100109"]
""",
    )
    with pytest.raises(InputError) as info:
        read_inputs(load_rules(path), RunResults.load(tiny_run))
    text = str(info.value)
    assert "unknown unit code '100103': not a county unit of the run" in text
    assert "nearest: 100102 Beta, 100101 Alpha" in text
    assert "100100 City One is a city unit, not one of the receiving county units" in text
    assert "'Gamma' is the name of 100201: give the code" in text
    assert "unknown unit code '100109'" in text
    assert "'gdp_per_tree' is neither a GEP class nor a numeric column" in text
    assert "choose one of: gep, provisioning, regulating, cultural, gep_constant" in text


def test_year_level_and_reward_problems(tiny_run: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[allocation]
budget = 1_000
year = 2021
level = "township"

[shares.gep]
weight = 0.9

[reward]
weight = 0.1
""",
    )
    with pytest.raises(InputError) as info:
        read_inputs(load_rules(path), RunResults.load(tiny_run))
    text = str(info.value)
    assert "2021 is not a year of the run" in text
    assert "(its years: 2019, 2020)" in text
    assert "the run has no 'township' units (its levels: city, county, province)" in text
    first = write(
        tmp_path, path.read_text().replace("2021", "2019").replace('"township"', '"county"')
    )
    with pytest.raises(InputError, match="the reward needs the year before 2019 in the run"):
        read_inputs(load_rules(first), RunResults.load(tiny_run))


def test_bad_eligibility_file(tiny_run: Path, tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("code,eligible\n100101,maybe\n", encoding="utf-8")
    (tmp_path / "list2.csv").write_text(
        "unit_code,eligible\n100101,maybe\n100101,yes\n", encoding="utf-8"
    )
    base = (
        '[allocation]\nbudget = 1000\nyear = 2020\neligibility = "{}"\n[shares.gep]\nweight = 1\n'
    )
    with pytest.raises(
        InputError, match=r"\[unit_code\]: column missing \(columns: code, eligible\)"
    ):
        read_inputs(load_rules(write(tmp_path, base.format("list.csv"))), RunResults.load(tiny_run))
    with pytest.raises(InputError) as info:
        read_inputs(
            load_rules(write(tmp_path, base.format("list2.csv"))), RunResults.load(tiny_run)
        )
    text = str(info.value)
    assert "listed more than once: 100101" in text
    assert "expected yes/no (1/0, true/false, 是/否), got row 2 ('maybe')" in text
    with pytest.raises(InputError, match="file not found"):
        read_inputs(load_rules(write(tmp_path, base.format("none.csv"))), RunResults.load(tiny_run))


def test_cli_refuses_bad_input_and_writes_nothing(tiny_run: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[allocation]
budget = 1_000
year = 2020
eligibility = ["100101", "100102", "100201", "100299"]

[shares.gep]
weight = 1

[limits]
cap_yuan = 300
""",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["allocate", str(path), "--run", str(tiny_run), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert (
        "caps make the budget infeasible: 3 eligible county units × cap 300 yuan" in result.output
    )
    assert "Nothing was written" in result.output
    assert not out.exists()
    missing = CliRunner().invoke(
        app, ["allocate", str(tmp_path / "nope.toml"), "--run", str(tmp_path / "norun")]
    )
    assert missing.exit_code == 2
    assert "2 problem(s)" in missing.output


# -- the demo, end to end ---------------------------------------------------------------------


def demo_rules() -> Path:
    path = Path(str(resources.files("gepkit") / "data/demo/jiangxi/decisions/allocate.toml"))
    assert path.is_file()
    return path


def test_demo_allocation_end_to_end(demo_run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "allocation"
    runner = CliRunner()
    result = runner.invoke(
        app, ["allocate", str(demo_rules()), "--run", str(demo_run_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "DEMO" in result.output
    assert "budget 3,020,000,000 yuan = allocated" in result.output
    raw = (out / "allocation.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out / "allocation.csv", dtype={"unit_code": str}, encoding="utf-8-sig")
    assert len(table) == 101  # 100 counties + the withheld line
    assert table["final_yuan"].sum() == 3_020_000_000
    record = json.loads((out / "allocation.json").read_text(encoding="utf-8"))
    totals = record["totals"]
    assert totals["allocated_yuan"] + totals["withheld_yuan"] == 3_020_000_000
    assert record["demo"]["is_demo"]
    assert "DEMO" in record["demo"]["notice"]
    assert record["run"]["accounts_sha256"]
    assert record["rule"]["penalty"]["rate"] == 0.05
    # Row identity as displayed: shares + reward + limit + penalty + redistributed + rounding.
    terms = ["gep_yuan", "gep_density_yuan", "reward_yuan", "limit_adjustment_yuan"]
    terms += ["penalty_yuan", "redistributed_yuan", "rounding_yuan"]
    units = table[table["unit_code"] != WITHHELD].copy()
    units["worsened"] = units["worsened"].astype(str) == "True"
    cents = (units[terms].sum(axis=1) * 100).round().astype(int)
    assert (cents == units["final_yuan"] * 100).all()
    # The explanations give the amounts of the table.
    for _, row in table.iterrows():
        assert row["explanation"].endswith(f"→ {int(row['final_yuan']):,} yuan.")
        assert row["explanation_zh"].endswith(f"→ 合计 {int(row['final_yuan']):,} 元。")
        if row["unit_code"] == WITHHELD:
            continue
        for column in ("gep_yuan", "gep_density_yuan"):
            assert f"= {row[column]:,.2f} yuan" in row["explanation"]
            assert f"= {row[column]:,.2f} 元" in row["explanation_zh"]
        if row["penalty_yuan"]:
            assert f"−{-row['penalty_yuan']:,.2f} yuan" in row["explanation"]
    worsened = units[units["worsened"]]
    assert len(worsened) == 5
    assert (worsened["penalty_yuan"] < 0).all()
    # The floor and cap of the example bind; the penalty applies after them.
    assert units["final_yuan"].max() <= 60_400_000
    assert (units.loc[~units["worsened"], "final_yuan"] >= 8_000_000).all()
    assert set(units["limit"].dropna()) >= {"floor", "cap", "scaled"}
    # An existing folder is not replaced without --overwrite.
    again = runner.invoke(
        app, ["allocate", str(demo_rules()), "--run", str(demo_run_dir), "--out", str(out)]
    )
    assert again.exit_code == 2
    assert "already exists" in again.output
