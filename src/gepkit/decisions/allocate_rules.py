"""The allocation rule of ``gep allocate``, read from a TOML file (docs/decisions/allocate.md).

The file says how much is shared (``[allocation]``: budget, year, receiving level, eligibility,
price basis, rounding), by what (``[shares.NAME]``: level-based shares on GEP or any column of
the run's summary; ``[reward]``: a reward on the real GEP increment), within which limits
(``[limits]``: floor and cap per unit) and with which deduction (``[penalty]``: Jiangxi's cut for
worsened environmental quality). The structure is checked here (types, unknown keys, weights,
floors against caps); everything that needs the run (years, unit codes, values) is checked by
:mod:`gepkit.decisions.allocate`.
"""

from __future__ import annotations

import re
import types
import typing
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gepkit.decisions.allocate_math import exact
from gepkit.errors import ConfigError, Problem, validation_problem
from gepkit.io.toml_files import read_toml

DOC = "see docs/decisions/allocate.md for every setting"
GEP_CLASSES = ("gep", "provisioning", "regulating", "cultural")
WAN = 10_000
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED = {"reward", "formula", "limit", "penalty", "final", "rounding", "redistributed"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _codes(value: Any) -> Any:
    """Unit codes may be written as numbers in TOML (360102); they are text."""
    if isinstance(value, bool):
        raise ValueError("expected a list of unit codes or the path of a CSV file")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int | str):
                raise ValueError(f"unit codes must be text or whole numbers, got {item!r}")
            out.append(str(item).strip())
        return out
    return value


class AllocationSpec(_Strict):
    """``[allocation]``: what is shared, among whom, on which year's account."""

    budget: float = Field(gt=0)
    """The money to share, in yuan (元), a whole number (a multiple of 10,000 with
    ``rounding = "wan_yuan"``)."""
    year: int
    """The accounting year whose GEP the shares use (a year of the run)."""
    level: str | None = None
    """The units that receive money: ``county``, ``city``, ``township`` …; default: the run's
    finest units (the leaves of the hierarchy)."""
    prices: Literal["current", "constant"] = "current"
    """Price basis of the GEP values of the level-based shares: the prices of ``year``, or the
    constant prices of the run's base year. The reward always uses constant prices."""
    rounding: Literal["yuan", "wan_yuan"] = "yuan"
    """Amounts in whole yuan (元), or in whole 万元 (multiples of 10,000 yuan)."""
    eligibility: list[str] | str | None = None
    """Who may receive: a list of unit codes, or a CSV file (unit_code; optional columns
    ``eligible`` (yes/no) and ``area_type``). Default: every unit of ``level``."""
    name: str = ""
    """A title of the rule, shown on the table and recorded in allocation.json."""

    @field_validator("eligibility", mode="before")
    @classmethod
    def _eligibility_codes(cls, value: Any) -> Any:
        return _codes(value)


class ShareSpec(_Strict):
    """``[shares.NAME]``: a level-based share T·w·x_i/Σx over the eligible units."""

    weight: float = Field(ge=0, le=1)
    """Share of the budget for this component (0–1); see the weights rule."""
    indicator: str = "gep"
    """``gep``, ``provisioning``, ``regulating``, ``cultural`` (on the ``prices`` basis) or
    any numeric column of the run's summary.csv (``population``, ``area_km2`` …)."""
    per: Literal["km2", "person"] | None = None
    """Divide the indicator by the unit's area (km²) or population: GEP per km² is
    ``indicator = "gep"``, ``per = "km2"``."""
    label: str = ""
    """Name of the component in the explanations (default from the indicator)."""
    label_zh: str = ""
    """Chinese name of the component in the explanations."""


class RewardSpec(_Strict):
    """``[reward]``: a reward on the real (constant-price) increment of GEP from the previous
    year of the run to ``year``; units whose GEP did not grow get no reward."""

    mode: Literal["pool", "rate"] = "pool"
    """``pool``: a fixed part of the budget shared in proportion to the positive increments;
    ``rate``: k × increment per unit (Dajun type), paid before the shares."""
    weight: float | None = Field(default=None, ge=0, le=1)
    """``pool`` only: share of the budget in the pool."""
    rate: float | None = Field(default=None, gt=0)
    """``rate`` only: k, yuan of reward per yuan of real GEP increment (Dajun ≈ 0.02 [V*])."""
    measure: Literal["gep", "provisioning", "regulating", "cultural"] = "gep"
    """What must grow: GEP, or one class of it (e.g. ``regulating``)."""
    unearned: Literal["withheld", "shares"] = "withheld"
    """``pool`` only: when no eligible unit grew, the pool is withheld (kept by the budget
    holder) or added to the level-based shares in proportion to their weights."""
    limit_share: float = Field(default=1.0, gt=0, le=1)
    """``rate`` only: the rewards together may take at most this share of the budget; above it
    every reward is scaled down in the same proportion."""


class LimitsSpec(_Strict):
    """``[limits]``: floor and cap per eligible unit, before any penalty."""

    floor_yuan: float | None = Field(default=None, ge=0)
    floor_share: float | None = Field(default=None, ge=0, le=1)
    """Floor as a share of the budget; with ``floor_yuan`` too, the higher floor applies."""
    cap_yuan: float | None = Field(default=None, gt=0)
    cap_share: float | None = Field(default=None, gt=0, le=1)
    """Cap as a share of the budget; with ``cap_yuan`` too, the lower cap applies."""


class PenaltySpec(_Strict):
    """``[penalty]``: a unit whose environmental quality worsened loses ``rate`` of its
    transfer (Jiangxi 2023: 5 % [V], methods catalogue §4.2)."""

    worsened: list[str] | str = Field(default_factory=list)
    """Codes of the units whose environmental quality worsened, or a CSV file (unit_code and
    the column named by ``column``: yes/no)."""
    column: str = "worsened"
    """Column of the CSV file that marks a worsened unit."""
    rate: float = Field(default=0.05, gt=0, le=1)
    """Share of the unit's transfer deducted."""
    deducted: Literal["withheld", "redistribute"] = "withheld"
    """What happens to the money deducted: kept by the budget holder (a separate ``withheld``
    line), or shared among the eligible units that did not worsen, in proportion to their
    amounts and within their caps."""

    @field_validator("worsened", mode="before")
    @classmethod
    def _worsened_codes(cls, value: Any) -> Any:
        return _codes(value)


class AllocationRules(_Strict):
    """The whole rule file."""

    allocation: AllocationSpec
    shares: dict[str, ShareSpec] = Field(default_factory=dict)
    reward: RewardSpec | None = None
    limits: LimitsSpec = LimitsSpec()
    penalty: PenaltySpec | None = None

    # Set by load_rules, not by the file.
    source_path: Path | None = Field(default=None, exclude=True)

    @property
    def base_dir(self) -> Path:
        return self.source_path.parent if self.source_path else Path(".")

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def quantum(self) -> int:
        """Rounding step in yuan: 1 or 10,000."""
        return WAN if self.allocation.rounding == "wan_yuan" else 1

    @property
    def pool_weight(self) -> Fraction:
        reward = self.reward
        if reward is None or reward.mode != "pool" or reward.weight is None:
            return Fraction(0)
        return exact(reward.weight)

    def applied(self) -> dict[str, Any]:
        """Every setting, defaults included (for allocation.json)."""
        data = self.model_dump(mode="json")
        data["rules_file"] = str(self.source_path) if self.source_path else None
        return data


def load_rules(path: Path) -> AllocationRules:
    """Read and check a rule file; every problem is reported at once (:class:`ConfigError`)."""
    where = str(path)
    data = read_toml(
        path,
        missing="rule file not found",
        missing_hint="give the path of an allocation rule file (e.g. allocate.toml); " + DOC,
        error=ConfigError,
    )
    try:
        rules = AllocationRules.model_validate(data)
    except ValidationError as err:
        raise ConfigError([_problem_from(where, e) for e in err.errors()]) from err
    rules = rules.model_copy(update={"source_path": path.resolve()})
    problems = rule_problems(rules, where)
    if problems:
        raise ConfigError(problems)
    return rules


def rule_problems(rules: AllocationRules, where: str) -> list[Problem]:
    """Checks across settings (weights, floors, caps, rounding) that need no run."""
    problems: list[Problem] = []

    def add(field: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(where=where, field=field, message=message, hint=hint or DOC))

    spec = rules.allocation
    budget = exact(spec.budget)
    if budget.denominator != 1:
        add("allocation.budget", f"must be a whole number of yuan, got {spec.budget}")
    elif rules.quantum > 1 and budget.numerator % rules.quantum:
        add(
            "allocation.budget",
            f'must be a multiple of 10,000 yuan with rounding = "wan_yuan", got {spec.budget:,.0f}',
            'round the budget to whole 万元 or use rounding = "yuan"',
        )
    for name in rules.shares:
        if not _NAME.match(name) or name in _RESERVED:
            add(
                f"shares.{name}",
                "a share's name must be lower-case letters, digits and _ (it names columns of "
                f"allocation.csv) and not one of {', '.join(sorted(_RESERVED))}",
                "rename the table, e.g. [shares.gep_density]",
            )
    reward = rules.reward
    if reward is not None:
        if reward.mode == "pool":
            if reward.weight is None:
                add(
                    "reward.weight",
                    'is required with mode = "pool" (the pool\'s share of the budget)',
                )
            if reward.rate is not None:
                add(
                    "reward.rate",
                    'applies to mode = "rate" only',
                    'remove it, or set mode = "rate"',
                )
        else:
            if reward.rate is None:
                add("reward.rate", 'is required with mode = "rate" (k, e.g. 0.02 as in Dajun)')
            if reward.weight is not None:
                add(
                    "reward.weight",
                    'applies to mode = "pool" only: a rate reward is paid first and the shares '
                    "divide what remains",
                    'remove it, or set mode = "pool"',
                )
    if not rules.shares and reward is None:
        add(
            "shares",
            "the rule has no component",
            "add [shares.NAME] tables and/or a [reward] table",
        )
    _weight_problems(rules, add)
    limits = rules.limits
    floor = floor_yuan(rules)
    cap = cap_yuan(rules)
    if floor is not None and cap is not None and floor > cap:
        add(
            "limits",
            f"the floor ({float(floor):,.0f} yuan) is above the cap ({float(cap):,.0f} yuan)",
            "lower the floor or raise the cap",
        )
    if floor is not None and floor > budget:
        add("limits", f"the floor ({float(floor):,.0f} yuan) is above the budget")
    if rules.quantum > 1:
        for field in ("floor_yuan", "cap_yuan"):
            value = getattr(limits, field)
            if value is not None and exact(value) % rules.quantum:
                add(
                    f"limits.{field}",
                    f'must be a multiple of 10,000 yuan with rounding = "wan_yuan", got {value:,.0f}',
                    "give it in whole 万元",
                )
    return problems


def _weight_problems(rules: AllocationRules, add: Any) -> None:
    if not rules.shares and (rules.reward is None or rules.reward.mode == "rate"):
        return
    terms = [
        (f"{name} {share.weight:g}", exact(share.weight)) for name, share in rules.shares.items()
    ]
    reward = rules.reward
    pooled = reward is not None and reward.mode == "pool" and reward.weight is not None
    if pooled:
        assert reward is not None
        assert reward.weight is not None
        terms.append((f"reward pool {reward.weight:g}", exact(reward.weight)))
    total = sum((t for _, t in terms), Fraction(0))
    if total != 1:
        what = "the shares and the reward pool" if pooled else "the shares"
        add(
            "shares.*.weight" + (", reward.weight" if pooled else ""),
            f"the weights of {what} add up to {float(total):.6g} "
            f"({' + '.join(label for label, _ in terms)}); they must add up to 1",
            "change the weights so that they add up to exactly 1 (e.g. 0.6 + 0.2 + 0.2)",
        )


def floor_yuan(rules: AllocationRules) -> Fraction | None:
    """The floor of every eligible unit, in yuan: the higher of ``floor_yuan`` and
    ``floor_share`` × budget, rounded up to the rounding step."""
    limits = rules.limits
    values = []
    if limits.floor_yuan is not None:
        values.append(exact(limits.floor_yuan))
    if limits.floor_share is not None:
        values.append(exact(limits.floor_share) * exact(rules.allocation.budget))
    if not values:
        return None
    q = rules.quantum
    return Fraction(-(-max(values) // q) * q)


def cap_yuan(rules: AllocationRules) -> Fraction | None:
    """The cap of every eligible unit, in yuan: the lower of ``cap_yuan`` and ``cap_share`` ×
    budget, rounded down to the rounding step."""
    limits = rules.limits
    values = []
    if limits.cap_yuan is not None:
        values.append(exact(limits.cap_yuan))
    if limits.cap_share is not None:
        values.append(exact(limits.cap_share) * exact(rules.allocation.budget))
    if not values:
        return None
    q = rules.quantum
    return Fraction((min(values) // q) * q)


def _problem_from(where: str, error: Any) -> Problem:
    known = _known_keys(tuple(error["loc"])[:-1]) if error["type"] == "extra_forbidden" else []
    hint = f"known settings here: {', '.join(known)}; " + DOC if known else DOC
    return validation_problem(where, error, hint=hint)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The settings allowed at ``loc`` (a path of keys into the rule file)."""
    model: Any = AllocationRules
    for part in loc:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return []
            model = _unwrap(field.annotation)
        elif typing.get_origin(model) is dict:
            model = _unwrap(typing.get_args(model)[1])
        else:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [
            name
            for name, field in model.model_fields.items()
            if not (field.exclude or name == "source_path")
        ]
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
