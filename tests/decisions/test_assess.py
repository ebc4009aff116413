"""``gep assess``: every scoring method and a whole ranking worked out by hand on a tiny fake
run, ties, vetoes, peer groups, missing data, the errors of bad schemes, and one end-to-end
run of the demo scheme on the demo account."""

from __future__ import annotations

import json
import textwrap
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from fake_run import FakeUnit, write_run
from typer.testing import CliRunner

from gepkit.cli import app
from gepkit.decisions.assess import assess, run_assess
from gepkit.decisions.assess_indicators import INDICATORS, compute_indicators
from gepkit.decisions.assess_scheme import load_scheme
from gepkit.decisions.assess_scoring import (
    competition_rank,
    flag_points,
    minmax_points,
    rank_points,
    target_points,
    threshold_points,
)
from gepkit.decisions.run_results import RunResults
from gepkit.errors import InputError, OutputError

DEMO_SCHEME = Path(
    str(resources.files("gepkit") / "data" / "demo" / "jiangxi" / "decisions" / "assess.toml")
)

# -- the scoring methods on plain numbers ----------------------------------------------------------


def _series(**values: float) -> pd.Series:
    return pd.Series(values, dtype=float)


def test_rank_linear_with_average_ties() -> None:
    # values 10, 10, 5, 5 and one missing; 12 points: positions 1..4 give 12, 8, 4, 0
    values = _series(a=10, b=10, c=5, d=5, e=float("nan"))
    out = rank_points(values, points=12, direction="higher", ties="average")
    assert out["points"].to_dict() == pytest.approx(
        {"a": 10.0, "b": 10.0, "c": 2.0, "d": 2.0, "e": float("nan")}, nan_ok=True
    )
    assert out.loc["a", "rank"] == 1.5
    assert out.loc["c", "rank"] == 3.5
    assert out.loc["a", "ranked"] == 4
    assert out.loc["a", "tied"] == 2


def test_rank_same_rank_ties_and_lower_is_better() -> None:
    values = _series(a=10, b=10, c=5, d=5)
    same = rank_points(values, points=12, direction="higher", ties="min")
    assert same["points"].to_dict() == {"a": 12.0, "b": 12.0, "c": 4.0, "d": 4.0}
    assert same["rank"].to_dict() == {"a": 1.0, "b": 1.0, "c": 3.0, "d": 3.0}
    lower = rank_points(_series(a=3, b=1, c=2), points=10, direction="lower")
    assert lower["points"].to_dict() == {"a": 0.0, "b": 10.0, "c": 5.0}


def test_rank_table_and_floor() -> None:
    values = _series(a=4, b=3, c=3, d=1)
    # table 10, 6, 3: rank 1 → 10; b, c share positions 2 and 3 → 4.5 each; rank 4 → 0
    table = rank_points(values, points=10, direction="higher", table=[10, 6, 3])
    assert table["points"].to_dict() == {"a": 10.0, "b": 4.5, "c": 4.5, "d": 0.0}
    # floor 4: 4 + 6 × (4 − r)/3 with r = 1, 2.5, 2.5, 4
    floor = rank_points(values, points=10, direction="higher", floor=4)
    assert floor["points"].to_dict() == pytest.approx({"a": 10.0, "b": 7.0, "c": 7.0, "d": 4.0})
    # a single unit ranked gets full points
    assert rank_points(_series(a=1), points=5, direction="higher")["points"]["a"] == 5.0


def test_minmax() -> None:
    values = _series(a=-0.10, b=0.20, c=0.05, d=float("nan"))
    out = minmax_points(values, points=30, direction="higher")
    assert out["points"].to_dict() == pytest.approx(
        {"a": 0.0, "b": 30.0, "c": 15.0, "d": float("nan")}, nan_ok=True
    )
    assert out.loc["a", "lowest"] == -0.10
    assert out.loc["a", "highest"] == 0.20
    lower = minmax_points(values, points=30, direction="lower", floor=6)
    assert lower["points"]["a"] == 30.0
    assert lower["points"]["b"] == 6.0
    assert lower["points"]["c"] == pytest.approx(18.0)
    # every value the same: full points
    assert minmax_points(_series(a=2, b=2), points=8, direction="higher")["points"].tolist() == [
        8.0,
        8.0,
    ]


def test_threshold_bands() -> None:
    bands = [(0.0, None, 10.0), (-0.01, 0.0, 5.0), (None, -0.05, 1.0)]
    values = _series(a=0.0, b=-0.005, c=-0.01, d=-0.02, e=-0.06, f=float("nan"))
    out = threshold_points(values, bands=bands)
    assert out["points"].to_dict() == pytest.approx(
        {"a": 10.0, "b": 5.0, "c": 5.0, "d": 0.0, "e": 1.0, "f": float("nan")}, nan_ok=True
    )
    assert out["band"].to_dict() == pytest.approx(
        {"a": 0, "b": 1, "c": 1, "d": -1, "e": 2, "f": float("nan")}, nan_ok=True
    )


def test_target() -> None:
    values = _series(a=0.45, b=0.3, c=0.1, d=-0.2)
    out = target_points(values, points=20, target=0.4)  # proportional below 40 %
    assert out["points"].to_dict() == pytest.approx({"a": 20.0, "b": 15.0, "c": 5.0, "d": 0.0})
    # lower is better: full at 0 items down, 0 points at 4 or more
    down = target_points(_series(a=0, b=1, c=5), points=8, target=0, zero_at=4)
    assert down["points"].to_dict() == {"a": 8.0, "b": 6.0, "c": 0.0}


def test_flag_and_final_ranking() -> None:
    out = flag_points(_series(a=1, b=0, c=float("nan")), points=15)
    assert out["points"].to_dict() == pytest.approx(
        {"a": 15.0, "b": 0.0, "c": float("nan")}, nan_ok=True
    )
    ranks = competition_rank(_series(a=80, b=90, c=80.0000000001, d=70, e=float("nan")))
    assert ranks.to_dict() == pytest.approx(
        {"a": 2, "b": 1, "c": 2, "d": 4, "e": float("nan")}, nan_ok=True
    )


# -- a tiny fake run ------------------------------------------------------------------------------
#
# Five counties in two cities; 2019 → 2020 at unchanged prices (constant = current):
#
#   code    2019 agri/water/rec   2020 agri/water/rec   real   per km²  per cap.  GGI  dual  VR
#   990101  10 / 80 / 10          12 / 88 / 20          +20 %  12       10        2    yes   32/120
#   990102  20 / 70 / 10          20 / 63 /  7          −10 %  3        10        1    no    27/90
#   990103   5 / 90 /  5           5 / 90 /  5            0 %  5        –         –    –     10/100
#   990201  10 / 40 / 50          10 / 44 / 51           +5 %  7        5         3    no    61/105
#   990202  10 / 30 / 10          11 / 33 / 11          +10 %  11       5         1    yes   22/55


def _county(code: str, parent: str, before: tuple, after: tuple, **kw: object) -> FakeUnit:
    items = ("agricultural_products", "water_conservation", "recreation")
    return FakeUnit(
        code=code,
        name=f"县{code[-3:]}",
        level="county",
        parent=parent,
        items={
            2019: dict(zip(items, before, strict=True)),
            2020: dict(zip(items, after, strict=True)),
        },
        **kw,  # type: ignore[arg-type]
    )


def fake_units() -> list[FakeUnit]:
    return [
        FakeUnit("990000", "测试省", "province", area_km2=80, population=None),
        FakeUnit("990100", "甲市", "city", "990000", area_km2=60, population=None),
        FakeUnit("990200", "乙市", "city", "990000", area_km2=20, population=None),
        _county(
            "990101",
            "990100",
            (10, 80, 10),
            (12, 88, 20),
            area_km2=10,
            population=12,
            gdp={2020: 60},
            gdp_real_growth={2020: 0.05},
        ),
        _county(
            "990102",
            "990100",
            (20, 70, 10),
            (20, 63, 7),
            area_km2=30,
            population=9,
            gdp={2020: 90},
            gdp_real_growth={2020: 0.06},
        ),
        _county("990103", "990100", (5, 90, 5), (5, 90, 5), area_km2=20, population=None),
        _county(
            "990201",
            "990200",
            (10, 40, 50),
            (10, 44, 51),
            area_km2=15,
            population=21,
            gdp={2020: 35},
            gdp_real_growth={2020: -0.01},
        ),
        _county(
            "990202",
            "990200",
            (10, 30, 10),
            (11, 33, 11),
            area_km2=5,
            population=11,
            gdp={2020: 55},
            gdp_real_growth={2020: 0.07},
        ),
    ]


@pytest.fixture
def fake_run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run", fake_units())


def _scheme(tmp_path: Path, text: str, name: str = "scheme.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


HAND_SCHEME = """
    name = "hand"
    level = "county"
    total_points = 100

    [[indicators]]
    name = "real_gep_growth"
    points = 40
    method = "minmax"

    [[indicators]]
    name = "dual_growth"
    points = 20
    method = "flag"

    [[indicators]]
    name = "gep_per_km2"
    points = 20
    method = "rank"

    [[indicators]]
    name = "value_realisation_rate"
    weight = 0.2
    method = "target"
    target = 0.4

    [[vetoes]]
    indicator = "real_gep_growth"
    below = -0.05
    cap = 10
    not_passed = true

    [[grades]]
    label = "优秀"
    label_en = "excellent"
    at_least = 90

    [[grades]]
    label = "良好"
    at_least = 75

    [[grades]]
    label = "合格"
    at_least = 60

    [[grades]]
    label = "不合格"
    at_least = 0
"""


def test_indicators_read_from_the_run(fake_run: Path) -> None:
    run = RunResults.load(fake_run)
    table = compute_indicators(run, 2020, "county")
    v = table.values
    assert table.previous_year == 2019
    assert v["real_gep_growth"].to_dict() == pytest.approx(
        {"990101": 0.2, "990102": -0.1, "990103": 0.0, "990201": 0.05, "990202": 0.1}
    )
    assert v["gep_gdp_ratio"]["990201"] == pytest.approx(3.0)
    assert v["dual_growth"].to_dict() == pytest.approx(
        {"990101": 1, "990102": 0, "990103": float("nan"), "990201": 0, "990202": 1}, nan_ok=True
    )
    assert v["value_realisation_rate"]["990201"] == pytest.approx(61 / 105)
    assert v["regulating_real_growth"].to_dict() == pytest.approx(
        {"990101": 0.1, "990102": -0.1, "990103": 0.0, "990201": 0.1, "990202": 0.1}
    )
    assert v["items_up"].to_dict() == {
        "990101": 3,
        "990102": 0,
        "990103": 0,
        "990201": 2,
        "990202": 3,
    }
    assert v["items_down"]["990102"] == 2
    assert "down: recreation, water_conservation" in table.notes.at["990102", "items_down"]
    # missing with its reason, never 0
    assert pd.isna(v.at["990103", "gep_gdp_ratio"])
    assert "no GDP" in table.reason("990103", "gep_gdp_ratio")
    assert "GDP" in table.reason("990103", "dual_growth", zh=True)
    assert "population" in table.reason("990103", "gep_per_capita")
    assert table.reason("990101", "gep_gdp_ratio") == ""
    first = compute_indicators(run, 2019, "county")
    assert first.values["real_gep_growth"].isna().all()
    assert "first year" in first.reason("990101", "real_gep_growth")
    long = table.long()
    assert len(long) == 5 * len(INDICATORS)
    row = long[(long["unit_code"] == "990101") & (long["indicator"] == "gep_per_km2")].iloc[0]
    assert row["rank"] == 1
    assert row["rank_in_parent"] == 1
    assert row["unit"] == "CNY per km² (current prices)"
    assert "summary.csv gep_per_km2" in row["source"]


def test_ranking_by_hand(fake_run: Path, tmp_path: Path) -> None:
    scheme = load_scheme(_scheme(tmp_path, HAND_SCHEME))
    result = assess(RunResults.load(fake_run), scheme)
    table = result.table.set_index("unit_code")
    # real growth minmax over −10 % … +20 % (40 points), dual growth flag (20), GEP per km² rank
    # of 5 (20 × (5 − r)/4), value realisation proportional up to 40 % (20):
    expected_points = {
        "990101": (40, 20, 20, 20 * (32 / 120) / 0.4),
        "990102": (0, 0, 0, 20 * 0.3 / 0.4),
        "990103": (40 * 0.1 / 0.3, 0, 5, 5),
        "990201": (20, 0, 10, 20),
        "990202": (40 * 0.2 / 0.3, 20, 15, 20),
    }
    names = ["real_gep_growth", "dual_growth", "gep_per_km2", "value_realisation_rate"]
    for code, points in expected_points.items():
        got = [table.at[code, f"{n}_points"] for n in names]
        assert got == pytest.approx(list(points)), code
        assert table.at[code, "points_earned"] == pytest.approx(sum(points))
    # 990103 has no dual-growth flag (no GDP): 0 points under missing = "zero"
    assert "missing" in table.at["990103", "explanation"]
    assert "0 of 20 points" in table.at["990103", "explanation"]
    # 990102 fell by 10 %: capped at 10 (from 15) and not passed
    assert table.at["990102", "score_before_veto"] == pytest.approx(15)
    assert table.at["990102", "score"] == pytest.approx(10)
    assert table.at["990102", "not_passed"]
    assert table.at["990102", "veto_1"] == "vetoed"
    assert table.at["990102", "grade"] == "不合格"
    assert "capped at 10 (from 15.00)" in table.at["990102", "explanation"]
    assert "总分封顶10分" in table.at["990102", "explanation_zh"]
    assert result.table["unit_code"].tolist() == [
        "990101",
        "990202",
        "990201",
        "990103",
        "990102",
    ]
    assert result.table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert table.at["990101", "score"] == pytest.approx(40 + 20 + 20 + 40 / 3)
    assert table["grade"].to_dict() == {
        "990101": "优秀",
        "990202": "良好",
        "990201": "不合格",
        "990103": "不合格",
        "990102": "不合格",
    }
    assert table.at["990101", "grade_en"] == "excellent"
    text = table.at["990101", "explanation"]
    assert text.startswith("Rank 1 of 5 among all counties with 93.33 of 100 points, grade 优秀")
    assert "rank 1 of 5 in the peer group" in text
    assert "20 × (5 − 1)/(5 − 1)" in text
    assert table.at["990101", "explanation_zh"].startswith("在全部县（市、区）（5个）中排名第1")


def test_missing_rescaled(fake_run: Path, tmp_path: Path) -> None:
    text = HAND_SCHEME.replace('method = "flag"', 'method = "flag"\n    missing = "rescale"')
    result = assess(RunResults.load(fake_run), load_scheme(_scheme(tmp_path, text)))
    row = result.table.set_index("unit_code").loc["990103"]
    earned = 40 * 0.1 / 0.3 + 5 + 5
    assert row["points_earned"] == pytest.approx(earned)
    assert row["points_attainable"] == pytest.approx(80)
    assert row["score"] == pytest.approx(earned * 100 / 80)
    assert "its 20 points are left out" in row["explanation"]
    assert "scaled × 100/80.00" in row["explanation"]
    assert any("dual_growth is missing for 1 of 5 counties" in w for w in result.warnings)


def test_missing_refused_names_units_and_reason(fake_run: Path, tmp_path: Path) -> None:
    text = HAND_SCHEME.replace(
        'name = "gep_per_km2"\n    points = 20\n    method = "rank"',
        'name = "gep_per_capita"\n    points = 20\n    method = "rank"\n    missing = "refuse"',
    )
    with pytest.raises(InputError, match=r"990103 县103: no population") as err:
        assess(RunResults.load(fake_run), load_scheme(_scheme(tmp_path, text)))
    assert len(err.value.problems) == 1


def test_flag_veto_and_missing_values_that_veto(fake_run: Path, tmp_path: Path) -> None:
    text = """
        name = "floor"
        total_points = 20

        [[indicators]]
        name = "gep_per_km2"
        points = 20
        method = "rank"

        [[vetoes]]
        indicator = "dual_growth"
        flag = false
        cap = 5
        if_missing = "veto"

        [[vetoes]]
        indicator = "gep_per_capita"
        below = 100
        not_passed = true
    """
    result = assess(RunResults.load(fake_run), load_scheme(_scheme(tmp_path, text)))
    table = result.table.set_index("unit_code")
    # no dual growth (990102, 990201) or none known (990103): capped at 5
    assert table["veto_1"].to_dict() == {
        "990101": "",
        "990102": "vetoed",
        "990103": "vetoed",
        "990201": "vetoed",
        "990202": "",
    }
    assert table.at["990201", "score"] == 5  # 10 points, capped
    assert table.at["990103", "score"] == 5  # 5 points, "already below"
    assert "already below" in table.at["990103", "explanation"]
    assert "GEP–GDP dual growth is missing" in table.at["990103", "explanation"]
    # every known per-capita value is below 100: not passed; 990103 (no population) not checked
    assert table["not_passed"].to_dict() == {
        "990101": True,
        "990102": True,
        "990103": False,
        "990201": True,
        "990202": True,
    }
    assert any("veto on gep_per_capita not checked for 1 county" in w for w in result.warnings)


def test_peer_groups_within_parent_and_same_rank_ties(fake_run: Path, tmp_path: Path) -> None:
    text = """
        name = "by city"
        peer_group = "parent"
        ties = "min"
        total_points = 60

        [[indicators]]
        name = "real_gep_growth"
        points = 40
        method = "minmax"

        [[indicators]]
        name = "regulating_real_growth"
        points = 20
        method = "rank"
    """
    result = assess(RunResults.load(fake_run), load_scheme(_scheme(tmp_path, text)))
    table = result.table.set_index("unit_code")
    # city 990100: growth −10 %, 0 %, +20 %; city 990200: +5 %, +10 % (min–max within each)
    assert table["real_gep_growth_points"].to_dict() == pytest.approx(
        {"990101": 40, "990102": 0, "990103": 40 / 3, "990201": 0, "990202": 40}
    )
    # regulating growth in 990200: both +10 % → tied, same rank 1, full points each
    assert table.at["990201", "regulating_real_growth_points"] == 20
    assert table.at["990202", "regulating_real_growth_points"] == 20
    assert "tied with 1 other unit(s): same rank" in table.at["990201", "explanation"]
    assert table.at["990201", "rank"] == 2  # 20 < 60
    assert table.at["990202", "rank"] == 1
    assert table["peer_group"].to_dict() == {
        "990101": "990100",
        "990102": "990100",
        "990103": "990100",
        "990201": "990200",
        "990202": "990200",
    }
    assert table.at["990101", "explanation"].startswith("Rank 1 of 3 among the counties of 甲市")
    assert result.table["peer_group"].tolist() == ["990100"] * 3 + ["990200"] * 2


def test_average_ties_in_the_ranking(fake_run: Path, tmp_path: Path) -> None:
    # per capita 10, 10, 5, 5 (990103 missing): average ties share 12·(1 + 2/3)/2 = 10 and
    # 12·(1/3 + 0)/2 = 2; equal totals share the same final rank
    text = """
        name = "per capita"
        total_points = 12

        [[indicators]]
        name = "gep_per_capita"
        points = 12
        method = "rank"
    """
    result = assess(RunResults.load(fake_run), load_scheme(_scheme(tmp_path, text)))
    table = result.table.set_index("unit_code")
    assert table["score"].to_dict() == pytest.approx(
        {"990101": 10, "990102": 10, "990201": 2, "990202": 2, "990103": 0}
    )
    assert table["rank"].to_dict() == {
        "990101": 1,
        "990102": 1,
        "990201": 3,
        "990202": 3,
        "990103": 5,
    }
    assert "positions averaged" in table.at["990101", "explanation"]


def test_custom_peer_groups_checked(fake_run: Path, tmp_path: Path) -> None:
    text = """
        name = "custom"
        peer_group = "custom"
        total_points = 10

        [peer_groups]
        north = ["990101", "990102", "999999"]
        south = ["888888"]

        [[indicators]]
        name = "gep_per_km2"
        points = 10
        method = "rank"
    """
    with pytest.raises(InputError) as err:
        assess(RunResults.load(fake_run), load_scheme(_scheme(tmp_path, text)))
    messages = [str(p) for p in err.value.problems]
    assert any("999999: not county codes of the run" in m for m in messages)
    assert any("empty peer group" in m for m in messages)
    assert any("counties in no peer group: 990103 县103, 990201" in m for m in messages)


def test_first_year_refused_for_growth_indicators(fake_run: Path, tmp_path: Path) -> None:
    scheme = load_scheme(_scheme(tmp_path, HAND_SCHEME))
    with pytest.raises(InputError, match=r"2019 is the first year of the run") as err:
        assess(RunResults.load(fake_run), scheme, year=2019)
    assert "assess a later year of the run (2020)" in str(err.value)
    with pytest.raises(InputError, match=r"no year 2018 \(its years: 2019, 2020\)"):
        assess(RunResults.load(fake_run), scheme, year=2018)
    level = load_scheme(_scheme(tmp_path, HAND_SCHEME.replace('"county"', '"township"')))
    with pytest.raises(InputError, match=r"no units of level 'township'.*city, county, province"):
        assess(RunResults.load(fake_run), level)


def test_bad_schemes_list_every_problem(tmp_path: Path) -> None:
    text = """
        name = "bad"
        totl_points = 100

        [[indicators]]
        name = "gep_growth"
        points = 50
        method = "rank"

        [[indicators]]
        name = "gep_per_km2"
        points = 30
        method = "rank"
        weigth = 2
    """
    with pytest.raises(InputError) as err:
        load_scheme(_scheme(tmp_path, text))
    messages = [str(p) for p in err.value.problems]
    assert any(
        "[totl_points]: is not a known setting (known here: name, name_zh" in m for m in messages
    )
    assert any("[indicators.1.weigth]" in m and "points, weight, method" in m for m in messages)
    text = text.replace("totl_points", "total_points").replace("weigth = 2\n", "")
    with pytest.raises(InputError) as err:
        load_scheme(_scheme(tmp_path, text))
    messages = [str(p) for p in err.value.problems]
    assert len(messages) == 2
    assert "unknown indicator 'gep_growth' (known: real_gep_growth, dual_growth" in messages[0]
    assert "points add up to 80, total_points is 100" in messages[1]


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        (
            'name = "dual_growth"\npoints = 10\nmethod = "rank"',
            "yes/no indicator: score it with method 'flag'",
        ),
        ('name = "gep"\npoints = 10\nmethod = "flag"', "method 'flag' scores yes/no"),
        (
            'name = "gep"\npoints = 10\nmethod = "threshold"\n'
            "bands = [{at_least = 0, points = 10}, {at_least = -1, below = 1, points = 5}]",
            "bands overlap",
        ),
        (
            'name = "gep"\npoints = 10\nmethod = "threshold"\nbands = [{at_least = 0, points = 8}]',
            "the best band gives 8 points, the indicator has 10",
        ),
        ('name = "gep"\npoints = 10\nmethod = "target"', "needs target = VALUE"),
        (
            'name = "items_down"\npoints = 10\nmethod = "target"\ntarget = 0',
            "target and zero_at are both 0",
        ),
        (
            'name = "items_down"\npoints = 10\nmethod = "target"\ntarget = 1',
            "with direction 'lower' the target (1) must be below zero_at (0)",
        ),
        (
            'name = "gep"\npoints = 10\nmethod = "minmax"\ntarget = 3',
            "'target' is used by method target only",
        ),
        (
            'name = "gep"\npoints = 10\nmethod = "rank"\nrank_points = [8, 9]',
            "points must not increase with the rank",
        ),
        ('name = "gep"\npoints = 10\nweight = 0.1\nmethod = "rank"', "got both"),
        (
            'name = "gep"\npoints = 10\nmethod = "rank"\nrank_points = [8, 6]',
            "rank 1 gets 8 points, the indicator has 10",
        ),
    ],
)
def test_inconsistent_indicator_settings(tmp_path: Path, indicator: str, expected: str) -> None:
    text = f'name = "x"\ntotal_points = 10\n\n[[indicators]]\n{indicator}\n'
    with pytest.raises(InputError, match="problem") as err:
        load_scheme(_scheme(tmp_path, text))
    assert any(expected in str(p) for p in err.value.problems), err.value


def test_bad_vetoes_and_grades(tmp_path: Path) -> None:
    text = """
        name = "x"
        total_points = 10

        [[indicators]]
        name = "gep"
        points = 10
        method = "rank"

        [[vetoes]]
        indicator = "dual_growth"
        below = 0

        [[vetoes]]
        indicator = "real_gep_growth"
        below = 0
        above = 1
        cap = 20

        [[grades]]
        label = "合格"
        at_least = 6

        [[grades]]
        label = "优秀"
        at_least = 9
    """
    with pytest.raises(InputError) as err:
        load_scheme(_scheme(tmp_path, text))
    messages = "\n".join(str(p) for p in err.value.problems)
    assert "'dual_growth' is a yes/no indicator: use flag" in messages
    assert "a veto needs an effect" in messages
    assert "give exactly one condition" in messages
    assert "cap 20 is above total_points 10" in messages
    assert "from the best to the worst" in messages


def test_outputs_written_atomically(fake_run: Path, tmp_path: Path) -> None:
    scheme = _scheme(tmp_path, HAND_SCHEME)
    out = tmp_path / "out"
    result = run_assess(scheme, fake_run, out=out)
    assert (out / "assessment.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    indicators = pd.read_csv(out / "indicators.csv", dtype={"unit_code": str})
    assert set(indicators["indicator"]) == set(INDICATORS)
    info = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert info["scheme"]["name"] == "hand"
    assert info["run"]["accounts_sha256"]
    assert info["applied"]["year"] == 2020
    assert info["applied"]["indicators"][0]["rule"].startswith("linear between")
    assert info["applied"]["vetoes"][0]["units"] == ["990102"]
    assert info["demo"]["is_demo"] is False
    assert len(result.table) == 5
    with pytest.raises(OutputError, match="already exists"):
        run_assess(scheme, fake_run, out=out)


# -- the demo -------------------------------------------------------------------------------------


def test_demo_scheme_on_the_demo_run(demo_run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "assessment"
    runner = CliRunner()
    result = runner.invoke(
        app, ["assess", str(DEMO_SCHEME), "--run", str(demo_run_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "DEMO" in result.output
    assert "not an official Jiangxi" in result.output
    table = pd.read_csv(out / "assessment.csv", dtype={"unit_code": str, "parent_code": str})
    summary = pd.read_csv(demo_run_dir / "summary.csv", dtype={"unit_code": str})
    counties = summary[(summary["year"] == 2020) & (summary["unit_level"] == "county")]
    assert len(table) == len(counties) == 100
    # values straight from summary.csv
    merged = table.merge(counties, on="unit_code", suffixes=("", "_summary"))
    assert merged["real_gep_growth"].tolist() == pytest.approx(
        merged["real_gep_growth_summary"].tolist()
    )
    realised = (merged["provisioning"] + merged["cultural"]) / merged["gep"]
    assert merged["value_realisation_rate"].tolist() == pytest.approx(realised.tolist())
    # ranks follow the scores; the sum of the points, rescaled, gives the score before veto
    assert table["score"].is_monotonic_decreasing
    assert table["rank"].tolist() == competition_rank(table["score"]).astype(int).tolist()
    points = table[[c for c in table.columns if c.endswith("_points")]].sum(axis=1)
    assert points.tolist() == pytest.approx(table["points_earned"].tolist())
    assert (table["score_before_veto"] * table["points_attainable"] / 100).tolist() == (
        pytest.approx(table["points_earned"].tolist())
    )
    vetoed = table["real_gep_growth"] < -0.10
    assert (table.loc[vetoed, "score"] <= 59 + 1e-9).all()
    assert table.loc[vetoed, "not_passed"].all()
    assert (table.loc[vetoed, "grade"] == "不合格").all()
    assert table["explanation"].str.startswith("Rank ").all()
    assert table["explanation_zh"].str.startswith("在全部县").all()
    # no county GDP in the demo: dual growth and GEP/GDP are missing, with the reason
    assert table["dual_growth"].isna().all()
    assert "no GDP for this unit" in table.loc[0, "explanation"]
    info = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert info["demo"]["is_demo"] is True
    assert "DEMO" in info["notice"]
    assert info["warnings"]

    # the cities, which have GDP: GEP/GDP as in summary.csv, ranked by it
    city_scheme = _scheme(
        tmp_path,
        """
        name = "cities"
        level = "city"
        total_points = 10

        [[indicators]]
        name = "gep_gdp_ratio"
        points = 10
        method = "rank"
        """,
    )
    out_city = tmp_path / "cities"
    result = runner.invoke(
        app, ["assess", str(city_scheme), "--run", str(demo_run_dir), "--out", str(out_city)]
    )
    assert result.exit_code == 0, result.output
    cities = pd.read_csv(out_city / "assessment.csv", dtype={"unit_code": str})
    expected = summary[(summary["year"] == 2020) & (summary["unit_level"] == "city")]
    merged = cities.merge(expected, on="unit_code", suffixes=("", "_summary"))
    assert len(merged) == 11
    assert merged["gep_gdp_ratio"].tolist() == pytest.approx(
        merged["gep_gdp_ratio_summary"].tolist()
    )
    assert cities["gep_gdp_ratio"].is_monotonic_decreasing
    assert cities["rank"].tolist() == list(range(1, 12))
    assert cities["score"].iloc[0] == 10
    assert cities["score"].iloc[-1] == 0


def test_cli_bad_input_exit_2_nothing_written(demo_run_dir: Path, tmp_path: Path) -> None:
    scheme = _scheme(
        tmp_path,
        """
        name = "bad"
        total_points = 100

        [[indicators]]
        name = "gep_growth"
        points = 100
        method = "rank"
        """,
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["assess", str(scheme), "--run", str(demo_run_dir), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "unknown indicator 'gep_growth'" in result.output
    assert "Nothing was written" in result.output
    assert not out.exists()
    result = CliRunner().invoke(
        app,
        [
            "assess",
            str(DEMO_SCHEME),
            "--run",
            str(demo_run_dir),
            "--year",
            "2019",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "2019 is the first year of the run" in result.output
    assert not out.exists()
