"""Values reported per unit (statistics, supplied quantities) brought down to the leaf units.

Statistics-based items are "taken from statistics at the level reported (usually county);
township values need an allocation key" (methods catalogue §3.4).  The rule:

* a leaf with its own value keeps it;
* a unit with a value whose sub-units have none shares it among its leaves in proportion to an
  allocation key (their area by default, or their population) — the key is recorded;
* a unit with a value whose sub-units all have values is a check: if the sub-units' sum differs
  by more than 1 %, the run warns and uses the sub-units;
* leaves covered by no value are missing (NaN): reported, and not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gepkit.errors import Problem
from gepkit.zones import UnitHierarchy

#: Relative difference between a parent's value and its sub-units' sum worth a warning.
CHECK_RTOL = 0.01


@dataclass
class Allocation:
    leaves: pd.Series
    """Value of every leaf (NaN: not covered)."""
    allocated: list[str]
    """Units whose value was shared among their leaves by the key."""
    warnings: list[Problem]


def to_leaves(
    given: Mapping[str, float],
    hierarchy: UnitHierarchy,
    key: pd.Series,
    *,
    what: str,
    key_name: str,
) -> Allocation:
    """Bring ``given`` (unit code → value, any level) down to the leaves (see the module doc)."""
    frame = hierarchy.frame
    leaves = hierarchy.leaves
    values = pd.Series(np.nan, index=leaves, dtype="float64")
    warnings: list[Problem] = []
    allocated: list[str] = []
    known = {c: float(v) for c, v in given.items() if c in frame.index and not pd.isna(v)}

    def leaves_under(code: str) -> list[str]:
        if frame.at[code, "is_leaf"]:
            return [code]
        out: list[str] = []
        for child in hierarchy.children(code):
            out += leaves_under(child)
        return out

    def has_value_below(code: str) -> bool:
        return any(child in known or has_value_below(child) for child in hierarchy.children(code))

    # Deepest units first, so that a parent only fills leaves its sub-units left empty.
    for code in sorted(known, key=lambda c: -int(frame.at[c, "depth"])):
        under = leaves_under(code)
        if frame.at[code, "is_leaf"]:
            values[code] = known[code]
            continue
        empty = [leaf for leaf in under if np.isnan(values[leaf])]
        if not has_value_below(code):
            weights = key.reindex(under).fillna(0.0)
            total = float(weights.sum())
            if total > 0:
                values[under] = known[code] * weights / total
            else:
                values[under] = known[code] / len(under)
            allocated.append(code)
            continue
        if empty:
            rest = known[code] - float(values[[u for u in under if u not in empty]].sum())
            weights = key.reindex(empty).fillna(0.0)
            total = float(weights.sum())
            values[empty] = max(rest, 0.0) * (weights / total if total > 0 else 1.0 / len(empty))
            allocated.append(code)
            if rest < 0:
                warnings.append(
                    Problem(
                        where=what,
                        field=code,
                        message=f"its sub-units already exceed its value {known[code]:.6g}; "
                        f"its other sub-units get 0",
                    )
                )
            continue
        below = float(values[under].sum())
        if below and abs(below - known[code]) / max(abs(below), abs(known[code])) > CHECK_RTOL:
            warnings.append(
                Problem(
                    where=what,
                    field=code,
                    message=f"the value given for {code} ({known[code]:.6g}) differs from "
                    f"the sum of its sub-units ({below:.6g}); the sub-units are used",
                )
            )
    missing = [leaf for leaf in leaves if np.isnan(values[leaf])]
    if missing and known:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        warnings.append(
            Problem(
                where=what,
                message=f"no value for {len(missing)} unit(s): {shown}; they are not counted",
                hint="give a value for these units or for a unit that contains them",
            )
        )
    if allocated:
        shown = ", ".join(sorted(allocated)[:10]) + (" …" if len(allocated) > 10 else "")
        warnings.append(
            Problem(
                where=what,
                message=f"values of {shown} shared among their sub-units "
                f"in proportion to {key_name}",
            )
        )
    return Allocation(leaves=values, allocated=sorted(allocated), warnings=warnings)
