"""One accounting year: build every item lazily, aggregate per unit in one pass, check.

All per-pixel work of a year (reading, models, zonal sums, raster totals, maps) is one dask
graph computed by a single ``dask.compute`` call, so shared inputs are read once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import dask
import numpy as np
import pandas as pd
import xarray as xr

from gepkit.errors import GepError, Problem
from gepkit.inputs import year_context
from gepkit.items import ItemResult
from gepkit.plan import RunPlan
from gepkit.valuation.prices import PricedComponent, price_components
from gepkit.zones import gap_mask, masked_totals, parent_sums, zonal_sums

#: Relative tolerance of the conservation check (two summation orders of the same float64 data).
CONSERVATION_RTOL = 1e-9
#: Relative difference between a parent's own polygon and the sum of its children worth a warning.
PARENT_POLYGON_RTOL = 0.005


@dataclass(frozen=True)
class Check:
    """One reconciliation check and its outcome (written to checks.csv)."""

    year: int
    check: str
    unit_code: str
    item: str
    expected: float
    actual: float
    passed: bool
    note: str = ""

    @property
    def rel_diff(self) -> float:
        scale = max(abs(self.expected), abs(self.actual))
        return abs(self.actual - self.expected) / scale if scale else 0.0

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "rel_diff": self.rel_diff}


@dataclass
class YearResult:
    year: int
    items: dict[str, ItemResult]
    priced: dict[str, list[PricedComponent]]
    unit_totals: pd.DataFrame
    """Quantity of every item per unit (index: unit codes, parents before children)."""
    missing_cells: pd.DataFrame
    """Pixels per unit where an item could not be computed (missing inputs)."""
    by_ecosystem: pd.DataFrame
    """Long table: unit_code, ecosystem_code, variable (item id or ``cells``), quantity."""
    maps: dict[str, np.ndarray]
    checks: list[Check] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def compute_year(plan: RunPlan, year: int) -> YearResult:
    ctx = year_context(plan, year)
    results = {
        item_id: item.compute(ctx.fresh(), plan.options[item_id])
        for item_id, item in plan.items.items()
    }
    priced = {item_id: price_components(r.components) for item_id, r in results.items()}
    quantities = xr.Dataset(
        {item_id: r.quantity.astype("float64") for item_id, r in results.items()}
    )

    zones = plan.zones
    region = plan.grid.wrap(zones.region_mask, name="region", units="dimensionless")
    gaps = gap_mask(zones)
    lazy: dict[str, Any] = {
        "maps": {k: v.where(region).astype("float32").data for k, v in quantities.items()},
        "sums": zonal_sums(quantities, zones, ctx.ecosystem, plan.present_codes[year]),
        "raster": masked_totals(quantities, zones),
        "parents": parent_sums(quantities, zones),
    }
    if gaps is not None and gaps.any():
        gap = plan.grid.wrap(gaps, name="gap", units="dimensionless")
        lazy["gap"] = quantities.where(gap).sum(skipna=True)
    (done,) = dask.compute(lazy)

    hierarchy = plan.hierarchy
    sums: xr.Dataset = done["sums"]
    leaf_codes = zones.leaf_codes
    items = list(results)
    leaf_totals = pd.DataFrame(
        {k: sums[k].sum("ecosystem").values for k in items}, index=leaf_codes
    )
    unit_totals = hierarchy.roll_up(leaf_totals)
    missing = hierarchy.roll_up(
        pd.DataFrame(
            {k: sums[f"{k}__nan"].sum("ecosystem").values for k in items}, index=leaf_codes
        )
    )

    by_eco = []
    eco_codes = [int(c) for c in sums["ecosystem"].values]
    for variable in [*items, "cells"]:
        wide = pd.DataFrame(sums[variable].values, index=leaf_codes, columns=eco_codes)
        rolled = hierarchy.roll_up(wide)
        long = rolled.stack().rename("quantity").reset_index()
        long.columns = ["unit_code", "ecosystem_code", "quantity"]
        long["variable"] = variable
        by_eco.append(long)
    by_ecosystem = pd.concat(by_eco, ignore_index=True)

    result = YearResult(
        year=year,
        items=results,
        priced=priced,
        unit_totals=unit_totals,
        missing_cells=missing,
        by_ecosystem=by_ecosystem,
        maps=done["maps"],
    )
    _check_conservation(result, done["raster"], leaf_totals)
    _check_roll_up(result, plan)
    _check_parent_polygons(result, plan, done["parents"])
    if gaps is not None and "gap" in done:
        _report_gaps(result, plan, gaps, done["gap"])
    _report_missing(result, plan)
    return result


def _check_conservation(result: YearResult, raster: xr.Dataset, leaf_totals: pd.DataFrame) -> None:
    """Σ leaf units (flox) must equal the raster total over the region (a plain masked sum)."""
    for item in leaf_totals.columns:
        expected = float(raster[item].values)
        actual = float(leaf_totals[item].sum())
        check = Check(
            result.year,
            "units_sum_to_raster_total",
            "*",
            item,
            expected,
            actual,
            passed=bool(np.isclose(actual, expected, rtol=CONSERVATION_RTOL, atol=1e-6)),
        )
        result.checks.append(check)
        if not check.passed:
            raise GepError(
                f"conservation check failed for {item} in {result.year}: units sum to "
                f"{actual!r}, the raster to {expected!r}; this is a bug, please report it"
            )


def _check_roll_up(result: YearResult, plan: RunPlan) -> None:
    """Every parent equals the sum of its children (the rule 'province = sum of counties')."""
    totals = result.unit_totals
    for code in plan.hierarchy.frame.index[~plan.hierarchy.frame["is_leaf"]]:
        children = plan.hierarchy.children(code)
        for item in totals.columns:
            expected = float(totals.loc[children, item].sum())
            actual = float(totals.at[code, item])
            result.checks.append(
                Check(
                    result.year,
                    "children_sum_to_parent",
                    code,
                    item,
                    expected,
                    actual,
                    passed=bool(np.isclose(actual, expected, rtol=1e-12)),
                )
            )


def _check_parent_polygons(
    result: YearResult, plan: RunPlan, parents: dict[int, xr.Dataset]
) -> None:
    """A parent with its own polygon, summed on its own, against the sum of its children."""
    for depth, sums in parents.items():
        codes, _ = plan.zones.parent_index[depth]
        for i, code in enumerate(codes):
            for item in result.unit_totals.columns:
                own = float(sums[item].values[i])
                rolled = float(result.unit_totals.at[code, item])
                check = Check(
                    result.year,
                    "parent_polygon_vs_children",
                    code,
                    item,
                    rolled,
                    own,
                    passed=True,
                    note="parent polygon rasterised on its own",
                )
                ok = check.rel_diff <= PARENT_POLYGON_RTOL
                result.checks.append(Check(**{**asdict(check), "passed": ok}))
                if not ok:
                    result.warnings.append(
                        Problem(
                            where=f"unit {code}",
                            field=item,
                            message=f"its own polygon gives {own:.6g}, its sub-units {rolled:.6g} "
                            f"({check.rel_diff:.2%} apart): the boundaries of the levels differ; "
                            f"the account uses the sum of the sub-units",
                        )
                    )


def _report_gaps(result: YearResult, plan: RunPlan, gaps: np.ndarray, totals: xr.Dataset) -> None:
    cells = int(gaps.sum())
    area = cells * plan.grid.cell_area_m2 / 1e6
    amounts = ", ".join(f"{k} {float(totals[k].values):.4g}" for k in result.unit_totals.columns)
    result.warnings.append(
        Problem(
            where="units",
            field="geometry",
            message=f"{cells} pixel(s) ({area:.1f} km²) inside the top-level unit fall in no sub-unit; "
            f"not counted: {amounts}",
            hint="the sub-unit polygons leave gaps; fix the units file",
        )
    )


def _report_missing(result: YearResult, plan: RunPlan) -> None:
    leaves = result.missing_cells.loc[plan.zones.leaf_codes]
    for item in leaves.columns:
        affected = leaves[item][leaves[item] > 0]
        if len(affected):
            result.warnings.append(
                Problem(
                    where=f"{item} ({result.year})",
                    message=f"{int(affected.sum())} pixel(s) in {len(affected)} unit(s) lack an input "
                    f"and are not counted (see gaps.csv)",
                )
            )
