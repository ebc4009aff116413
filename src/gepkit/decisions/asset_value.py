"""Ecological-asset value: the net present value of an annual GEP flow (methods catalogue §4.4).

The RCEES method (Bo et al. 2017) values the regulating services of an ecosystem as a stock by
discounting their annual value over a horizon, the first year undiscounted [V]:

    FIV = Σ_{i=1..n} F / (1 + r)^(i−1)

gepkit adds a growth assumption g for the flow (at constant prices) and the choice of discounting
the first year as well (``timing = "end"``, the usual annuity-immediate form):

    timing "start" (RCEES):  V = Σ_{i=1..n} F · (1 + g)^(i−1) / (1 + r)^(i−1)
    timing "end":            V = Σ_{i=1..n} F · (1 + g)^(i−1) / (1 + r)^i

With q = (1 + g) / (1 + r) the sums are F · (1 − qⁿ) / (1 − q) (times 1 / (1 + r) for "end"),
F · n when q = 1, and for n → ∞ (only when g < r) F · (1 + r) / (r − g) ("start") or
F / (r − g) ("end").  With g = 0 and "start" this is the catalogue's
F × [1 − (1+r)^−n] / r × (1 + r).

Asset values are very sensitive to r and n (§4.4): :func:`sensitivity` tabulates V for r ± a
step and several horizons, and every setting is recorded with the result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from gepkit.errors import Problem

Timing = Literal["start", "end"]
Flow = Literal["latest", "mean"]
Scope = Literal["gep", "regulating"]

#: Where each default comes from; recorded in value_area.json and shown in the summary.
DEFAULT_SOURCES: dict[str, str] = {
    "discount_rate": (
        "[K] 3 %: about the mean one-year benchmark deposit rate of 2010–2015 (PBoC benchmark, "
        "which ICBC followed); RCEES (Bo et al. 2017) discounted with the 2010–2015 average ICBC "
        "deposit rate [V]. A user choice: a bank may use its own funding or lending rate, a "
        "court the rate its practice prescribes"
    ),
    "growth_rate": (
        "[K] 0: the flow stays at its constant-price level (no growth assumed); RCEES has no "
        "growth term"
    ),
    "horizon_years": (
        "[K] 30 years: the term of a rural land contract for arable land (农村土地承包法 "
        "art. 21; grassland 30–50, forest land 30–70 years). A user choice: the term of the "
        "right, lease or loan the valuation is for"
    ),
    "timing": "[V] RCEES form (Bo et al. 2017): the first year is not discounted, exponent i − 1",
}


DEFAULT_SOURCES_ZH: dict[str, str] = {
    "discount_rate": (
        "[K] 3 %：约为 2010—2015 年一年期基准存款利率（中国人民银行基准，工商银行执行）的平均值；"
        "RCEES（Bo et al. 2017）采用 2010—2015 年工商银行平均存款利率 [V]。为使用者的选择：银行可用"
        "其资金成本或贷款利率，法院按其实务规定"
    ),
    "growth_rate": "[K] 0：流量保持不变价水平（不假设增长）；RCEES 公式无增长项",
    "horizon_years": (
        "[K] 30 年：耕地承包期（《农村土地承包法》第二十一条；草地 30—50 年，林地 30—70 年）。"
        "为使用者的选择：应与估值所针对的权利、租赁或贷款期限一致"
    ),
    "timing": "[V] RCEES 形式（Bo et al. 2017）：首年不贴现，指数为 i − 1",
}

#: The settings whose default carries a source (the others are plain choices).
SOURCED = tuple(DEFAULT_SOURCES)


def user_sources(chosen: set[str], where: str) -> tuple[dict[str, str], dict[str, str]]:
    """Sources of the settings: the default's source, or "set by the user" for those in
    ``chosen`` (set in the settings file ``where`` to another value than the default)."""
    en = dict(DEFAULT_SOURCES)
    zh = dict(DEFAULT_SOURCES_ZH)
    for name in chosen:
        en[name] = f"set by the user in {where}"
        zh[name] = f"使用者在 {where} 中设定"
    return en, zh


@dataclass(frozen=True)
class AssetSettings:
    """The named settings of the asset valuation (``[asset]`` in value-area.toml)."""

    discount_rate: float = 0.03
    """r, per year (0.03 = 3 %)."""
    growth_rate: float = 0.0
    """g, per year, of the flow at constant prices."""
    horizon_years: int | None = 30
    """n; None for perpetuity (only when g < r)."""
    timing: Timing = "start"
    """``start``: first year undiscounted (RCEES); ``end``: every year discounted."""
    flow: Flow = "latest"
    """The annual flow F: the latest year of the run, or the mean of the run's years (constant
    prices)."""
    scope: Scope = "gep"
    """``gep``: every item (net of deductions); ``regulating``: regulating services only (the
    RCEES indirect value)."""
    sensitivity_rate_step: float = 0.01
    """The sensitivity table shows r − step, r, r + step."""
    sensitivity_horizons: tuple[int | None, ...] = (10, 20, 30, 50, None)
    """Horizons of the sensitivity table (None: perpetuity, shown only when g < r)."""
    sources: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCES))
    """Where each value comes from (English)."""
    sources_zh: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCES_ZH))
    """The same in Chinese."""

    def describe(self) -> dict[str, Any]:
        out = asdict(self)
        out["horizon_years"] = self.horizon_years if self.horizon_years else "perpetuity"
        out["sensitivity_horizons"] = [h if h else "perpetuity" for h in self.sensitivity_horizons]
        out["formula"] = formula(self.timing)
        return out


def formula(timing: Timing) -> str:
    if timing == "start":
        return "V = Σ_{i=1..n} F·(1+g)^(i−1) / (1+r)^(i−1)"
    return "V = Σ_{i=1..n} F·(1+g)^(i−1) / (1+r)^i"


def check_settings(settings: AssetSettings, where: str) -> list[Problem]:
    """Every inconsistency of the settings, at once."""
    problems: list[Problem] = []
    r, g, n = settings.discount_rate, settings.growth_rate, settings.horizon_years
    if not r > -1:
        problems.append(
            Problem(
                where, "must be above −1 (a fraction per year: 0.03 for 3 %)", "asset.discount_rate"
            )
        )
    if not g > -1:
        problems.append(
            Problem(
                where, "must be above −1 (a fraction per year: 0.02 for 2 %)", "asset.growth_rate"
            )
        )
    if n is not None and n < 1:
        problems.append(
            Problem(
                where,
                f'must be a whole number of years ≥ 1 or "perpetuity" (got {n})',
                "asset.horizon_years",
            )
        )
    if n is None and not g < r:
        problems.append(
            Problem(
                where,
                f"a perpetuity needs a growth rate below the discount rate (g = {g}, r = {r}): "
                "the sum does not converge",
                "asset.horizon_years",
                hint="give a finite horizon_years, or a growth_rate below the discount_rate",
            )
        )
    if not settings.sensitivity_rate_step >= 0:
        problems.append(Problem(where, "must be ≥ 0", "asset.sensitivity_rate_step"))
    bad = [h for h in settings.sensitivity_horizons if h is not None and h < 1]
    if bad:
        problems.append(
            Problem(
                where,
                f'horizons must be ≥ 1 year or "perpetuity" (got {bad})',
                "asset.sensitivity_horizons",
            )
        )
    return problems


def annuity_factor(*, rate: float, growth: float, years: int | None, timing: Timing) -> float:
    """V / F: the present value of a flow of 1 per year growing at ``growth``, discounted at
    ``rate`` over ``years`` (None: perpetuity), see the module docstring."""
    if rate <= -1 or growth <= -1:
        raise ValueError("rates must be above −1")
    q = (1.0 + growth) / (1.0 + rate)
    if years is None:
        if not growth < rate:
            raise ValueError("a perpetuity needs growth < rate")
        factor = (1.0 + rate) / (rate - growth)
    else:
        if years < 1:
            raise ValueError("years must be ≥ 1")
        factor = (
            float(years)
            if math.isclose(q, 1.0, rel_tol=0, abs_tol=1e-15)
            else ((1.0 - q**years) / (1.0 - q))
        )
    return factor / (1.0 + rate) if timing == "end" else factor


def present_value(
    flow: float, *, rate: float, growth: float, years: int | None, timing: Timing
) -> float:
    """V = F × :func:`annuity_factor`."""
    return flow * annuity_factor(rate=rate, growth=growth, years=years, timing=timing)


def present_value_by_sum(
    flow: float, *, rate: float, growth: float, years: int, timing: Timing
) -> float:
    """The defining sum term by term (for checks of the closed form)."""
    shift = 0 if timing == "start" else 1
    return sum(
        flow * (1.0 + growth) ** (i - 1) / (1.0 + rate) ** (i - 1 + shift)
        for i in range(1, years + 1)
    )


def sensitivity_cases(settings: AssetSettings) -> list[tuple[float, int | None]]:
    """(r, n) of the sensitivity table: r − step, r, r + step (rates ≤ −1 left out) × the
    horizons (the chosen one included; perpetuity only where g < r)."""
    step = settings.sensitivity_rate_step
    r = settings.discount_rate
    rates = sorted({round(x, 10) for x in (r - step, r, r + step) if x > -1})
    horizons = _horizons(settings.sensitivity_horizons, settings.horizon_years)
    return [
        (rate, n)
        for rate in rates
        for n in horizons
        if n is not None or settings.growth_rate < rate
    ]


def _horizons(horizons: Iterable[int | None], chosen: int | None) -> list[int | None]:
    finite = sorted({h for h in (*horizons, chosen) if h is not None})
    out: list[int | None] = list(finite)
    if None in (*horizons, chosen):
        out.append(None)
    return out


def sensitivity(flows: pd.Series, settings: AssetSettings) -> pd.DataFrame:
    """V of each flow (index: parcel) for every (r, n) of :func:`sensitivity_cases`: columns
    ``parcel_id, discount_rate, horizon_years ("perpetuity" for None), flow, annuity_factor,
    asset_value, chosen``."""
    cases = []
    for rate, years in sensitivity_cases(settings):
        factor = annuity_factor(
            rate=rate, growth=settings.growth_rate, years=years, timing=settings.timing
        )
        chosen = math.isclose(rate, settings.discount_rate) and years == settings.horizon_years
        cases.append((rate, years, factor, chosen))
    rows = [
        {
            "parcel_id": parcel,
            "discount_rate": rate,
            "horizon_years": years if years is not None else "perpetuity",
            "flow": float(flow),
            "annuity_factor": factor,
            "asset_value": float(flow) * factor,
            "chosen": chosen,
        }
        for parcel, flow in flows.items()
        for rate, years, factor, chosen in cases
    ]
    return pd.DataFrame(rows)


def horizon_label(years: int | str | None, lang: str) -> str:
    if years is None or years == "perpetuity":
        return "永续" if lang == "zh" else "perpetuity"
    return f"{years} 年" if lang == "zh" else f"{years} years"


def parse_horizon(value: Any) -> int | None:
    """``30`` → 30, ``"perpetuity"`` (or 永续, inf) → None; anything else raises ValueError."""
    if isinstance(value, str) and value.strip().lower() in ("perpetuity", "永续", "inf"):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number of years or 'perpetuity', got {value!r}")
    if isinstance(value, float):
        if math.isinf(value):
            return None
        if not value.is_integer():
            raise ValueError(f"expected a whole number of years, got {value!r}")
    return int(value)


def parse_horizons(values: Sequence[Any]) -> tuple[int | None, ...]:
    return tuple(parse_horizon(v) for v in values)
