"""Capping a part of an item by a statistic reported per unit (purified ≤ emitted).

Methods catalogue §3.4: "apply the cap at the level where emissions are known (usually county). A
province total is then the sum of county-capped values, which is smaller than a province-level
cap would give."  The rule implemented here:

* the cap applies at the *finest* level at which limits are given: a unit with a limit whose
  sub-units have none is a *cap unit*;
* a cap unit's value is min(limit, capacity) (rule ``min``) or the limit itself (rule ``equal``,
  e.g. "purified = emitted"); its leaves share that value in proportion to their capacity (so
  each leaf's pixels are scaled by the same ratio);
* every parent is then the sum of its children, as for any other item;
* a leaf not covered by any cap unit is an input error (its emissions are unknown), and a limit
  given at a coarser level that disagrees with the sum of the finer limits is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from gepkit.errors import Problem
from gepkit.zones import UnitHierarchy


@dataclass
class CapResult:
    capped: pd.Series
    """Capped value of every unit (parents are sums of children)."""
    leaf_ratio: pd.Series
    """Capped ÷ uncapped for every leaf (1 where the capacity is 0)."""
    cap_units: list[str]
    problems: list[Problem]
    warnings: list[Problem]


def apply_cap(
    capacity: pd.Series,
    limits: Mapping[str, float],
    hierarchy: UnitHierarchy,
    *,
    what: str,
    rule: str = "min",
) -> CapResult:
    """Cap ``capacity`` (one value per unit, parents = sums) by ``limits`` given for some units.

    With ``rule="equal"`` each cap unit takes its limit (the capacities are only weights that
    distribute it); a cap unit with a positive limit but no capacity cannot take it, and gets 0
    with a warning.
    """
    frame = hierarchy.frame
    problems: list[Problem] = []
    warnings: list[Problem] = []
    unknown = sorted(set(limits) - set(frame.index))
    if unknown:
        problems.append(
            Problem(where=what, message=f"limits given for unknown units {', '.join(unknown)}")
        )
    given = {code: float(value) for code, value in limits.items() if code in frame.index}

    def descendants(code: str) -> list[str]:
        out, stack = [], list(hierarchy.children(code))
        while stack:
            unit = stack.pop()
            out.append(unit)
            stack.extend(hierarchy.children(unit))
        return out

    cap_units = [code for code in given if not any(d in given for d in descendants(code))]
    uncarried: dict[str, float] = {}
    leaf_ratio = pd.Series(float("nan"), index=hierarchy.leaves, dtype="float64")
    for code in cap_units:
        leaves = (
            [code]
            if frame.at[code, "is_leaf"]
            else [d for d in descendants(code) if frame.at[d, "is_leaf"]]
        )
        total = float(capacity.loc[code])
        capped = min(given[code], total) if rule == "min" else given[code]
        if rule == "equal" and total <= 0 and capped > 0:
            uncarried[code] = given[code]
        leaf_ratio.loc[leaves] = capped / total if total > 0 else (1.0 if rule == "min" else 0.0)
    if uncarried:
        listed = ", ".join(sorted(uncarried)[:10]) + (" …" if len(uncarried) > 10 else "")
        warnings.append(
            Problem(
                where=what,
                message=f"{len(uncarried)} unit(s) have a value ({sum(uncarried.values()):.6g} in all) but "
                f"no ecosystem of the item's scope to carry it; counted as 0: {listed}",
                hint="check the land cover (small water bodies may be missing at coarse resolution) "
                "or the item's ecosystems option",
            )
        )
    uncovered = sorted(leaf_ratio.index[leaf_ratio.isna()])
    if uncovered:
        problems.append(
            Problem(
                where=what,
                message=f"no value for unit(s) {', '.join(uncovered[:10])}"
                f"{' …' if len(uncovered) > 10 else ''} or any unit above them",
                hint="give the statistic for these units (or for a unit that contains them)",
            )
        )
        leaf_ratio = leaf_ratio.fillna(1.0)
    for code in given:
        if code in cap_units:
            continue
        finer = [d for d in descendants(code) if d in cap_units]
        finer_sum = sum(given[d] for d in finer)
        if finer_sum and abs(finer_sum - given[code]) / max(given[code], finer_sum) > 0.01:
            warnings.append(
                Problem(
                    where=what,
                    field=code,
                    message=f"the value for {code} ({given[code]:.6g}) differs from the sum for its "
                    f"sub-units ({finer_sum:.6g}); the cap applies at the sub-units",
                )
            )
    leaf_values = (capacity.loc[hierarchy.leaves] * leaf_ratio).to_frame("value")
    capped_all = hierarchy.roll_up(leaf_values)["value"]
    return CapResult(
        capped=capped_all,
        leaf_ratio=leaf_ratio,
        cap_units=sorted(cap_units),
        problems=problems,
        warnings=warnings,
    )
