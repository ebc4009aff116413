"""The five scoring methods of ``gep assess``, as pure functions of one peer group's values.

Each function takes the values of one indicator for the units of one peer group (a Series
indexed by unit code; NaN = missing) and returns a frame with the points of every unit that has
a value (NaN for the others) and the figures the points came from, so that an explanation can
show the arithmetic.  docs/decisions/assess.md gives a worked example of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

Ties = Literal["average", "min"]

#: Values equal to 12 significant digits are ties (CSV round-trips differ in the last bits).
_TIE_DIGITS = 12


def _tie_key(values: pd.Series) -> pd.Series:
    return values.map(lambda v: float(f"{v:.{_TIE_DIGITS}g}"))


def rank_points(
    values: pd.Series,
    *,
    points: float,
    direction: Literal["higher", "lower"],
    ties: Ties = "average",
    table: Sequence[float] | None = None,
    floor: float = 0.0,
) -> pd.DataFrame:
    """Points by rank position among the units with a value.

    Rank 1 is the best value (the highest for ``direction = "higher"``).  Without ``table`` the
    points fall linearly from ``points`` at rank 1 to ``floor`` at the last rank n::

        points(r) = floor + (points − floor) × (n − r) / (n − 1)      (n = 1: full points)

    with ``table`` rank r gets ``table[r − 1]`` (0 past its end).  Tied units occupy consecutive
    positions r … r + k − 1: with ``ties = "average"`` each gets the mean of those positions'
    points (and the average rank), with ``"min"`` each gets the points of the best position r
    (and rank r, "1, 2, 2, 4").

    Returns columns ``points``, ``rank``, ``ranked`` (n), ``tied`` (k).
    """
    valid = values.dropna()
    n = len(valid)
    out = pd.DataFrame(
        index=values.index, columns=["points", "rank", "ranked", "tied"], dtype=float
    )
    out["ranked"] = float(n)
    if n == 0:
        return out
    key = _tie_key(valid)
    first = key.rank(method="min", ascending=direction == "lower")
    size = key.map(key.value_counts())

    def at(position: int) -> float:
        if table is not None:
            return float(table[position - 1]) if position <= len(table) else 0.0
        if n == 1:
            return points
        return floor + (points - floor) * (n - position) / (n - 1)

    for code in valid.index:
        r, k = int(first[code]), int(size[code])
        if ties == "average":
            out.at[code, "points"] = float(np.mean([at(p) for p in range(r, r + k)]))
            out.at[code, "rank"] = r + (k - 1) / 2
        else:
            out.at[code, "points"] = at(r)
            out.at[code, "rank"] = float(r)
        out.at[code, "tied"] = float(k)
    return out


def minmax_points(
    values: pd.Series,
    *,
    points: float,
    direction: Literal["higher", "lower"],
    floor: float = 0.0,
) -> pd.DataFrame:
    """Points linear between the lowest and the highest value of the peer group::

        higher is better: floor + (points − floor) × (x − lowest) / (highest − lowest)
        lower is better:  floor + (points − floor) × (highest − x) / (highest − lowest)

    When every value of the group is the same, every unit gets full points.  Returns columns
    ``points``, ``lowest``, ``highest``.
    """
    valid = values.dropna()
    out = pd.DataFrame(index=values.index, columns=["points", "lowest", "highest"], dtype=float)
    if valid.empty:
        return out
    lowest, highest = float(valid.min()), float(valid.max())
    out["lowest"], out["highest"] = lowest, highest
    if highest == lowest:
        out.loc[valid.index, "points"] = points
        return out
    share = (valid - lowest) / (highest - lowest)
    if direction == "lower":
        share = 1.0 - share
    out.loc[valid.index, "points"] = floor + (points - floor) * share
    return out


Band = tuple[float | None, float | None, float]
"""(at_least, below, points): at_least ≤ value < below (None: open)."""


def threshold_points(values: pd.Series, *, bands: Sequence[Band]) -> pd.DataFrame:
    """Points of the band holding the value (at_least ≤ value < below); a value in no band gets
    0 points.  Returns columns ``points`` and ``band`` (the band's index, −1 for none)."""
    out = pd.DataFrame(index=values.index, columns=["points", "band"], dtype=float)
    for code, value in values.items():
        if pd.isna(value):
            continue
        out.at[code, "points"], out.at[code, "band"] = 0.0, -1.0
        for i, (low, high, pts) in enumerate(bands):
            if (low is None or value >= low) and (high is None or value < high):
                out.at[code, "points"], out.at[code, "band"] = pts, float(i)
                break
    return out


def target_points(
    values: pd.Series, *, points: float, target: float, zero_at: float = 0.0
) -> pd.DataFrame:
    """Full points at or beyond the target, linear between ``zero_at`` (0 points) and it::

        points × min(1, max(0, (x − zero_at) / (target − zero_at)))

    With the default ``zero_at = 0`` the points are proportional to the value below the target
    (x / target).  A target below ``zero_at`` scores "lower is better".  Returns ``points``.
    """
    share = ((values - zero_at) / (target - zero_at)).clip(lower=0.0, upper=1.0)
    return pd.DataFrame({"points": points * share}, index=values.index)


def flag_points(values: pd.Series, *, points: float) -> pd.DataFrame:
    """Full points when the flag is true (1), none when false (0).  Returns ``points``."""
    result = pd.Series(np.where(values == 1.0, points, 0.0), index=values.index, dtype=float)
    return pd.DataFrame({"points": result.where(values.notna())}, index=values.index)


def competition_rank(scores: pd.Series, *, decimals: int = 6) -> pd.Series:
    """Final ranking: highest score first; equal scores (to ``decimals``) share the best rank
    ("1, 2, 2, 4"); units without a score are not ranked (NaN)."""
    return scores.round(decimals).rank(method="min", ascending=False)
