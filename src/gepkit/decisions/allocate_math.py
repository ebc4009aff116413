"""Exact arithmetic of ``gep allocate``: scaling with floors and caps, and rounding to the yuan.

Everything is computed with :class:`fractions.Fraction`, so that the sums that must hold — the
amounts of the units plus what is withheld equal the budget — hold exactly, not to a float
tolerance, before and after rounding (docs/decisions/allocate.md, "Rounding").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

Q = Fraction


def exact(value: float | int | str | Fraction) -> Fraction:
    """The number as written: ``0.05`` → 1/20 (not the binary float just below it)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return Fraction(repr(value))
    return Fraction(value)


def clip_scale(
    base: Sequence[Fraction],
    low: Sequence[Fraction],
    high: Sequence[Fraction | None],
    total: Fraction,
    *,
    spread_to_zero: bool = True,
) -> tuple[list[Fraction], Fraction, Fraction]:
    """Amounts ``x_i = clip(λ·base_i, low_i, high_i)`` that add up to ``total``.

    This is the iterative redistribution of floors and caps in closed form: units pushed below
    their floor are raised to it, units above their cap are cut to it, and every other unit is
    scaled by the one common factor λ that makes the amounts add up to ``total`` again; the
    solution is the fixed point of "clamp, rescale the rest, repeat" and is found exactly by
    walking the breakpoints λ = low_i/base_i and high_i/base_i in order.

    Units with ``base_i = 0`` stay at their floor; only when every other unit is at its cap do
    they take the rest, in equal amounts up to their own caps (``spread_to_zero``; otherwise the
    rest is returned as left over).

    Returns ``(x, λ, left_over)``; ``left_over`` is ``total − Σx`` (0 unless the caps cannot
    hold ``total``). ``total < Σ low`` raises ``ValueError`` (the caller checks feasibility).
    """
    n = len(base)
    if not (len(low) == len(high) == n):
        raise ValueError("base, low and high must have the same length")
    if total < sum(low, Q(0)):
        raise ValueError("the floors add up to more than the total")
    for lo, hi in zip(low, high, strict=True):
        if hi is not None and hi < lo:
            raise ValueError("a cap is below its floor")
    active = [i for i in range(n) if base[i] > 0]
    x = list(low)
    target = total - sum((low[i] for i in range(n) if base[i] <= 0), Q(0))
    lam = _solve(
        [base[i] for i in active], [low[i] for i in active], [high[i] for i in active], target
    )
    for i in active:
        x[i] = _clip(lam * base[i], low[i], high[i])
    rest = total - sum(x, Q(0))
    if rest > 0 and spread_to_zero:
        idle = [i for i in range(n) if base[i] <= 0]
        if idle:
            # Equal amounts above zero, still within each unit's floor and cap.
            mu = _solve(
                [Q(1)] * len(idle),
                [low[i] for i in idle],
                [high[i] for i in idle],
                sum((low[i] for i in idle), Q(0)) + rest,
            )
            for i in idle:
                x[i] = _clip(mu, low[i], high[i])
            rest = total - sum(x, Q(0))
    return x, lam, rest


def _clip(value: Fraction, low: Fraction, high: Fraction | None) -> Fraction:
    if value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def _solve(
    base: list[Fraction], low: list[Fraction], high: list[Fraction | None], target: Fraction
) -> Fraction:
    """The smallest λ ≥ 0 with Σ clip(λ·base_i, low_i, high_i) = target (all base_i > 0), or
    the λ at which every unit reaches its cap when the target is out of reach."""
    # g(λ) = const + slope·λ between breakpoints: units below their floor add low_i, units
    # above their cap add high_i, the others base_i·λ.
    events: list[tuple[Fraction, int, int]] = []  # (λ, kind 0: joins / 1: leaves, unit)
    for i, b in enumerate(base):
        events.append((low[i] / b, 0, i))
        hi = high[i]
        if hi is not None:
            events.append((hi / b, 1, i))
    events.sort(key=lambda e: (e[0], e[1]))
    const = sum(low, Q(0))
    slope = Q(0)
    if const >= target:
        return Q(0)
    lam = Q(0)
    for at, kind, i in events:
        value = const + slope * at
        if value >= target and slope > 0:
            return (target - const) / slope
        lam = at
        b = base[i]
        if kind == 0:
            const -= low[i]
            slope += b
        else:
            slope -= b
            hi = high[i]
            assert hi is not None
            const += hi
    if slope > 0:
        return (target - const) / slope
    return lam


def largest_remainder(values: Sequence[Fraction], quantum: int = 1) -> list[int]:
    """Round non-negative ``values`` to multiples of ``quantum`` keeping their exact sum.

    Each value is first rounded down; the units of ``quantum`` still missing to reach the exact
    total (``Σ values`` must itself be a multiple of ``quantum``) go one each to the values with
    the largest remainders; equal remainders are served in the order of ``values``. A value that
    is already a multiple of ``quantum`` (a floor, a cap) is never moved.
    """
    total = sum(values, Q(0))
    if total.denominator != 1 or total.numerator % quantum:
        raise ValueError(f"the values add up to {float(total)}, not a multiple of {quantum}")
    whole = [math.floor(v / quantum) for v in values]
    remainders = [v / quantum - w for v, w in zip(values, whole, strict=True)]
    missing = int(total) // quantum - sum(whole)
    order = sorted(range(len(values)), key=lambda i: (-remainders[i], i))
    for i in order[:missing]:
        whole[i] += 1
    return [w * quantum for w in whole]
