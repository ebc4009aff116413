"""The scoring scheme of ``gep assess``, read from a TOML file (docs/decisions/assess.md).

A scheme says which indicators are scored, how many points each one gives and how (``rank``,
``minmax``, ``threshold``, ``target``, ``flag``), among which units the relative methods compare
(peer groups), how ties are shared, which vetoes (floors) cap a score or mark a unit "not
passed", and the grade bands.  Structure is checked by pydantic (unknown keys are refused with
the list of known ones); the rules that involve several settings are checked together by
:func:`check_scheme`, so that every problem is reported at once.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gepkit.decisions.assess_indicators import INDICATORS
from gepkit.errors import InputError, Problem, validation_problem
from gepkit.io.toml_files import read_toml

Method = Literal["rank", "minmax", "threshold", "target", "flag"]
Direction = Literal["higher", "lower"]
Missing = Literal["zero", "rescale", "refuse"]

METHODS: tuple[str, ...] = ("rank", "minmax", "threshold", "target", "flag")
#: Points are compared with this relative tolerance (weights written as decimals).
_TOLERANCE = 1e-6
_HINT = "see docs/decisions/assess.md for every setting of a scheme"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BandSpec(_Strict):
    """One band of a ``threshold`` indicator: ``at_least`` ≤ value < ``below`` gives ``points``."""

    at_least: float | None = None
    below: float | None = None
    points: float = Field(ge=0)


class IndicatorSpec(_Strict):
    """One scored indicator."""

    name: str
    points: float | None = Field(default=None, gt=0)
    """Maximum points of the indicator (or give ``weight``)."""
    weight: float | None = Field(default=None, gt=0, le=1)
    """Share of ``total_points`` (points = weight × total_points)."""
    method: Method
    direction: Direction | None = None
    """``higher`` (higher is better) or ``lower``; default: the indicator's own direction."""
    missing: Missing = "zero"
    """A unit without a value: ``zero`` points, ``rescale`` (the indicator is left out and the
    unit's other points scaled up to the total) or ``refuse`` (stop with an error)."""
    bands: list[BandSpec] | None = None
    """``threshold``: the bands of values and their points."""
    target: float | None = None
    """``target``: the value that gives full points."""
    zero_at: float | None = None
    """``target``: the value that gives 0 points (default 0: points proportional to the value)."""
    rank_points: list[float] | None = None
    """``rank``: points of rank 1, 2, 3 …; ranks past the list get 0 (default: linear)."""
    floor_points: float | None = Field(default=None, ge=0)
    """``rank`` (linear), ``minmax``: points of the last rank / of the worst value (default 0)."""
    note: str = ""


class VetoSpec(_Strict):
    """A floor: a unit whose indicator is below/above a limit (or whose flag is false/true) has
    its total capped and/or is marked "not passed" (Hainan: GEP growth as a floor, §4.3)."""

    indicator: str
    below: float | None = None
    above: float | None = None
    flag: bool | None = None
    cap: float | None = Field(default=None, ge=0)
    not_passed: bool = False
    if_missing: Literal["pass", "veto"] = "pass"
    note: str = ""


class GradeSpec(_Strict):
    label: str
    label_en: str = ""
    at_least: float


class Scheme(_Strict):
    """A scoring scheme (the TOML file of ``gep assess``)."""

    name: str
    name_zh: str = ""
    notice: str = ""
    """Shown with every output (e.g. "illustrative scheme, not an official one")."""
    level: str = "county"
    year: int | None = None
    total_points: float = Field(default=100.0, gt=0)
    peer_group: Literal["all", "parent", "custom"] = "all"
    peer_groups: dict[str, list[str]] = Field(default_factory=dict)
    ties: Literal["average", "min"] = "average"
    indicators: list[IndicatorSpec] = Field(min_length=1)
    vetoes: list[VetoSpec] = Field(default_factory=list)
    grades: list[GradeSpec] = Field(default_factory=list)

    @field_validator("peer_groups", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [str(c) for c in v] if isinstance(v, list) else v for k, v in value.items()}
        return value

    def points_of(self, spec: IndicatorSpec) -> float:
        if spec.points is not None:
            return spec.points
        return (spec.weight or 0.0) * self.total_points

    def direction_of(self, spec: IndicatorSpec) -> Direction:
        """The scheme's direction, else the indicator's own (``higher`` for unknown ones)."""
        if spec.direction is not None:
            return spec.direction
        definition = INDICATORS.get(spec.name)
        return definition.direction if definition is not None else "higher"

    def used_indicators(self) -> list[str]:
        """Indicators scored or vetoed, in the order of the scheme."""
        names = [s.name for s in self.indicators] + [v.indicator for v in self.vetoes]
        return list(dict.fromkeys(n for n in names if n in INDICATORS))


_SECTIONS: dict[str, type[BaseModel]] = {
    "indicators": IndicatorSpec,
    "vetoes": VetoSpec,
    "grades": GradeSpec,
    "bands": BandSpec,
}


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Scheme
    for part in reversed(loc[:-1]):
        if isinstance(part, str) and part in _SECTIONS:
            model = _SECTIONS[part]
            break
    return list(model.model_fields)


def _problem_from(where: str, error: Any) -> Problem:
    known = ", ".join(_known_keys(tuple(error["loc"])))
    unknown = f"is not a known setting (known here: {known})"
    return validation_problem(where, error, hint=_HINT, unknown=unknown)


def load_scheme(path: Path) -> Scheme:
    """Read and check a scheme; every problem is reported at once (:class:`InputError`)."""
    where = str(path)
    data = read_toml(
        path,
        missing="scheme file not found",
        missing_hint="give a scheme TOML, e.g. the demo's "
        "src/gepkit/data/demo/jiangxi/decisions/assess.toml",
    )
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as err:
        raise InputError([_problem_from(where, e) for e in err.errors()]) from err
    problems = check_scheme(scheme, where)
    if problems:
        raise InputError(problems)
    return scheme


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= _TOLERANCE * max(1.0, abs(scale))


def check_scheme(scheme: Scheme, where: str) -> list[Problem]:
    """The rules between settings: known indicators, methods fitting them, points adding up to
    the total, consistent bands, targets, vetoes, grades and peer groups."""
    problems: list[Problem] = []

    def add(field: str, message: str, hint: str | None = _HINT) -> None:
        problems.append(Problem(where=where, field=field, message=message, hint=hint))

    known = ", ".join(INDICATORS)
    seen: set[str] = set()
    total = scheme.total_points
    points_sum = 0.0
    for i, spec in enumerate(scheme.indicators):
        at = f"indicators.{i}"
        definition = INDICATORS.get(spec.name)
        if definition is None:
            add(f"{at}.name", f"unknown indicator '{spec.name}' (known: {known})")
        elif spec.name in seen:
            add(f"{at}.name", f"indicator '{spec.name}' is scored twice", "score it once")
        seen.add(spec.name)
        if (spec.points is None) == (spec.weight is None):
            add(
                at,
                f"give either points or weight for '{spec.name}' "
                f"(got {'both' if spec.points is not None else 'neither'})",
            )
        points = scheme.points_of(spec)
        points_sum += points
        is_flag = definition is not None and definition.kind == "flag"
        if definition is not None and is_flag != (spec.method == "flag"):
            if is_flag:
                add(
                    f"{at}.method",
                    f"'{spec.name}' is a yes/no indicator: score it with method 'flag' "
                    f"(got '{spec.method}')",
                )
            else:
                add(
                    f"{at}.method",
                    f"method 'flag' scores yes/no indicators only (dual_growth); '{spec.name}' "
                    "is a number: use rank, minmax, threshold or target",
                )
        if spec.method == "flag" and spec.direction is not None:
            add(f"{at}.direction", "a flag has no direction: remove it")
        _check_method_settings(spec, points, scheme.direction_of(spec), at, add)
    if not _close(points_sum, total, total):
        add(
            "indicators",
            f"weights/points inconsistent: the indicators' points add up to {points_sum:g}, "
            f"total_points is {total:g}",
            "make the points (or weights × total_points) of the indicators add up to total_points",
        )
    for i, veto in enumerate(scheme.vetoes):
        at = f"vetoes.{i}"
        definition = INDICATORS.get(veto.indicator)
        if definition is None:
            add(f"{at}.indicator", f"unknown indicator '{veto.indicator}' (known: {known})")
        conditions = [c for c in ("below", "above", "flag") if getattr(veto, c) is not None]
        if len(conditions) != 1:
            add(
                at,
                "give exactly one condition: below = X, above = X (numbers) or flag = "
                f"true/false (yes/no indicators); got {', '.join(conditions) or 'none'}",
            )
        elif definition is not None and (conditions[0] == "flag") != (definition.kind == "flag"):
            is_flag = definition.kind == "flag"
            add(
                f"{at}.{conditions[0]}",
                f"'{veto.indicator}' is {'a yes/no' if is_flag else 'a number'} indicator: use "
                f"{'flag' if is_flag else 'below or above'}",
            )
        if veto.cap is None and not veto.not_passed:
            add(at, "a veto needs an effect: cap = POINTS and/or not_passed = true")
        if veto.cap is not None and veto.cap > total:
            add(f"{at}.cap", f"cap {veto.cap:g} is above total_points {total:g}")
    labels = [g.label for g in scheme.grades]
    if len(set(labels)) != len(labels):
        add("grades", "grade labels repeat", "give each grade its own label")
    for i, grade in enumerate(scheme.grades):
        if grade.at_least > total:
            add(f"grades.{i}.at_least", f"{grade.at_least:g} is above total_points {total:g}")
        if i and grade.at_least >= scheme.grades[i - 1].at_least:
            add(
                f"grades.{i}.at_least",
                "grades must be listed from the best to the worst with decreasing at_least "
                f"({grade.at_least:g} follows {scheme.grades[i - 1].at_least:g})",
            )
    if scheme.peer_group == "custom":
        if not scheme.peer_groups:
            add("peer_groups", "peer_group = 'custom' needs a [peer_groups] table")
        for name, codes in scheme.peer_groups.items():
            if not codes:
                add(f"peer_groups.{name}", "empty peer group", "list its unit codes or remove it")
    elif scheme.peer_groups:
        add(
            "peer_groups",
            f"[peer_groups] is only used with peer_group = 'custom' (got '{scheme.peer_group}')",
        )
    return problems


def _check_method_settings(
    spec: IndicatorSpec, points: float, direction: Direction, at: str, add: Any
) -> None:
    method = spec.method
    only = {
        "bands": ("threshold",),
        "target": ("target",),
        "zero_at": ("target",),
        "rank_points": ("rank",),
        "floor_points": ("rank", "minmax"),
    }
    for setting, methods in only.items():
        if getattr(spec, setting) is not None and method not in methods:
            add(
                f"{at}.{setting}",
                f"'{setting}' is used by method {' or '.join(methods)} only "
                f"(this indicator uses '{method}')",
            )
    if spec.floor_points is not None and spec.floor_points >= points:
        add(f"{at}.floor_points", f"{spec.floor_points:g} is not below the points {points:g}")
    if method == "rank" and spec.rank_points is not None:
        table = spec.rank_points
        if not table or any(p < 0 for p in table):
            add(f"{at}.rank_points", "give non-negative points for ranks 1, 2, 3 …")
        elif any(b > a for a, b in itertools.pairwise(table)):
            add(f"{at}.rank_points", "points must not increase with the rank")
        elif not _close(table[0], points, points):
            add(
                f"{at}.rank_points",
                f"weights/points inconsistent: rank 1 gets {table[0]:g} points, the indicator "
                f"has {points:g}",
            )
        if spec.floor_points is not None:
            add(f"{at}.floor_points", "floor_points applies to the linear rank scale only")
    if method == "threshold":
        bands = spec.bands or []
        if not bands:
            add(f"{at}.bands", "method 'threshold' needs bands = [{at_least = …, points = …}, …]")
        for j, band in enumerate(bands):
            if band.at_least is None and band.below is None:
                add(f"{at}.bands.{j}", "give at_least and/or below")
            if (
                band.at_least is not None
                and band.below is not None
                and not band.at_least < band.below
            ):
                add(f"{at}.bands.{j}", f"at_least {band.at_least:g} is not below {band.below:g}")
            if band.points > points * (1 + _TOLERANCE):
                add(
                    f"{at}.bands.{j}.points",
                    f"weights/points inconsistent: {band.points:g} is above the indicator's "
                    f"{points:g} points",
                )
        if bands and not _close(max(b.points for b in bands), points, points):
            add(
                f"{at}.bands",
                f"weights/points inconsistent: the best band gives {max(b.points for b in bands):g}"
                f" points, the indicator has {points:g}",
                "give the best band the indicator's points",
            )
        ranges = sorted(
            (
                (
                    b.at_least if b.at_least is not None else float("-inf"),
                    b.below if b.below is not None else float("inf"),
                )
                for b in bands
            ),
        )
        for (lo1, hi1), (lo2, hi2) in itertools.pairwise(ranges):
            if lo2 < hi1:
                add(
                    f"{at}.bands",
                    f"bands overlap: [{lo1:g}, {hi1:g}) and [{lo2:g}, {hi2:g})",
                    "make each value fall in one band at most",
                )
    if method == "target":
        if spec.target is None:
            add(f"{at}.target", "method 'target' needs target = VALUE (full points)")
        else:
            zero = spec.zero_at if spec.zero_at is not None else 0.0
            if spec.target == zero:
                add(f"{at}.target", f"target and zero_at are both {zero:g}")
            elif (direction == "higher") != (spec.target > zero):
                side = "above" if direction == "higher" else "below"
                add(
                    f"{at}.target",
                    f"with direction '{direction}' the target ({spec.target:g}) must be {side} "
                    f"zero_at ({zero:g})",
                    "set zero_at (the value that gives 0 points) on the other side of the target",
                )
