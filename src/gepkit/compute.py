"""One accounting year: build every item lazily, aggregate per unit in one pass, cap, check.

All per-pixel work of a year (reading, models, zonal sums, raster totals, maps) is one dask
graph computed by a single ``dask.compute`` call, so shared inputs are read once.  Items are
aggregated part by part (see gepkit.items.base); caps and plausibility bounds are applied to the
unit totals afterwards.

Nothing of the grid's size comes back from the computation: the maps of the parts are stored,
block by block as they are computed, in scratch files (gepkit.io.scratch), and the year's result
says how the item maps follow from them (:class:`MapTerm`: a part's map times a per-unit factor,
the cap ratio), which gepkit.pipeline writes row band by row band once the totals are known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gepkit.allocation import to_leaves
from gepkit.caps import apply_cap
from gepkit.errors import GepError, InputError, Problem
from gepkit.inputs import year_context
from gepkit.io.scratch import ScratchGrid
from gepkit.items import ItemResult
from gepkit.items.base import Bound
from gepkit.plan import RunPlan, build_item
from gepkit.valuation.basis import CURRENT
from gepkit.valuation.prices import PricedComponent, price_components
from gepkit.zonal import Layout, MapStore, aggregate
from gepkit.zones import NOT_ATTRIBUTED, UnitHierarchy, gap_mask

#: Relative tolerance of the conservation check (two summation orders of the same float64 data).
CONSERVATION_RTOL = 1e-9
#: Relative difference between a parent's own polygon and the sum of its children worth a warning.
PARENT_POLYGON_RTOL = 0.005
#: Relative slack of the plausibility bounds (float summation).
BOUND_RTOL = 1e-9

PART_SEP = "::"
BOUND_SEP = "##"


@dataclass(frozen=True)
class Check:
    """One reconciliation or plausibility check and its outcome (written to checks.csv)."""

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


@dataclass(frozen=True)
class MapTerm:
    """One term of an item's map: the per-pixel quantity stored in ``source`` times the
    per-leaf-unit ``factors`` (the parts' cap ratios; float32, index of the leaf codes), spread
    on the grid by :meth:`gepkit.zones.Zones.spread` (``centre``: as the part is summed)."""

    source: ScratchGrid
    factors: np.ndarray
    centre: bool = False


@dataclass
class YearResult:
    year: int
    items: dict[str, ItemResult]
    priced: dict[str, list[PricedComponent]]
    part_totals: dict[str, pd.DataFrame]
    """Per item: quantity of each part per unit (after caps); index: unit codes."""
    unit_totals: pd.DataFrame
    """Quantity of every item per unit (sum of its parts; index: unit codes, parents first)."""
    missing_cells: pd.DataFrame
    """Pixels per unit where a part could not be computed; columns ``item::part``."""
    by_ecosystem: pd.DataFrame
    """Long table: unit_code, ecosystem_code, variable (item id or ``cells``), quantity."""
    maps: dict[str, list[MapTerm]]
    """Per raster item: the terms whose sum is its quantity map (after caps)."""
    hierarchy: UnitHierarchy
    leaf_prices: dict[tuple[str, str], pd.Series] = field(default_factory=dict)
    """Per-unit prices brought to the leaves, by (item, component)."""
    checks: list[Check] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def item_value(self, item_id: str, basis: str = CURRENT) -> pd.Series:
        """Value (CNY) of an item per unit on a price basis: Σ components × their quantities."""
        value = pd.Series(0.0, index=self.unit_totals.index)
        for priced in self.priced[item_id]:
            value = value + self.component_value(item_id, priced, basis)
        return value

    def component_value(
        self, item_id: str, priced: PricedComponent, basis: str = CURRENT
    ) -> pd.Series:
        """Value (CNY) of one component per unit on a price basis.  With per-unit prices the
        leaves are valued at their own price and parents are the sums of their children."""
        quantity = self.valued_quantity(item_id, priced) * priced.component.per_item
        factor = priced.factors[basis]
        if not priced.per_unit:
            return quantity * (priced.unit_price * factor)
        price = self.leaf_prices[(item_id, priced.component.id)]
        leaf_value = (quantity.loc[price.index] * price.fillna(0.0) * factor).to_frame("v")
        return self.hierarchy.roll_up(leaf_value)["v"].reindex(quantity.index)

    def unit_price(self, item_id: str, priced: PricedComponent, basis: str = CURRENT) -> pd.Series:
        """CNY per unit of the component's quantity, per unit (value ÷ quantity)."""
        quantity = self.valued_quantity(item_id, priced) * priced.component.per_item
        if not priced.per_unit:
            return pd.Series(priced.unit_price * priced.factors[basis], index=quantity.index)
        value = self.component_value(item_id, priced, basis)
        return (value / quantity).replace([np.inf, -np.inf], np.nan)

    def valued_quantity(self, item_id: str, priced: PricedComponent) -> pd.Series:
        part = priced.component.part
        return self.part_totals[item_id][part] if part else self.unit_totals[item_id]


@dataclass
class YearGraph:
    """One year's items and the lazy graph of all its per-pixel work, not yet computed
    (:func:`build_year`); :func:`finish_year` turns the computed graph into a :class:`YearResult`."""

    year: int
    items: dict[str, ItemResult]
    priced: dict[str, list[PricedComponent]]
    variables: list[str]
    """Names of the parts summed per pixel (``item::part``)."""
    placed: set[str]
    """Parts summed by pixel centre under every zone weighting (Part.placed)."""
    gap_cells: int
    """Pixels inside the top-level polygon in no leaf unit."""
    layout: Layout
    """Where the year's sums lie in the vector of the aggregation (gepkit.zonal)."""
    lazy: dict[str, Any]
    """What one ``dask.compute`` call materialises: the aggregation's vector of sums (and,
    stored on the way, the parts' maps)."""
    stored: dict[str, list[tuple[list[str], ScratchGrid]]] = field(default_factory=dict)
    """Per raster item: the scratch grid of each group of its parts (the sum of the group)."""


def build_year(plan: RunPlan, year: int, scratch: Path) -> YearGraph:
    """Every item of ``year`` and the one lazy graph of the year's per-pixel work; the parts'
    maps go to scratch grids in the folder ``scratch`` (which the workers must see)."""
    ctx = year_context(plan, year)
    results = {item_id: build_item(plan, ctx, item_id) for item_id in plan.items}
    priced = {
        item_id: price_components(r.components, valuation=plan.valuation, year=year)
        for item_id, r in results.items()
    }
    parts = xr.Dataset(
        {
            f"{item_id}{PART_SEP}{part.id}": part.quantity
            for item_id, r in results.items()
            for part in r.parts
            if part.quantity is not None
        }
    )
    bounds = xr.Dataset(
        {
            f"{item_id}{BOUND_SEP}{bound.id}": _bound_upper(plan, r, bound)
            for item_id, r in results.items()
            for bound in r.bounds
        }
    )

    # Parts of register features already assigned to units cell by cell: summed by pixel centre
    # under every zone weighting (Part.placed).
    placed = {
        f"{item_id}{PART_SEP}{part.id}"
        for item_id, r in results.items()
        for part in r.parts
        if part.placed and part.quantity is not None
    }
    zones = plan.zones
    gaps = gap_mask(zones)
    gap_cells = int(gaps.sum()) if gaps is not None else 0
    stored = _stored_maps(plan, results, scratch)
    aggregation = aggregate(
        parts,
        zones,
        ctx.ecosystem,
        plan.present_codes[year],
        centre=placed,
        bounds=bounds if bounds.data_vars else None,
        gaps=gaps if gap_cells and parts.data_vars else None,
        maps=[
            MapStore(tuple(f"{item_id}{PART_SEP}{p}" for p in group), target)
            for item_id, groups in stored.items()
            for group, target in groups
        ],
    )
    return YearGraph(
        year=year,
        items=results,
        priced=priced,
        variables=[str(v) for v in parts.data_vars],
        placed=placed,
        gap_cells=gap_cells,
        layout=aggregation.layout,
        lazy={"aggregate": aggregation.vector},
        stored=stored,
    )


def map_groups(item: ItemResult) -> list[list[str]]:
    """The parts of a raster item whose maps are stored together (summed): all of them when no
    part is capped (each cap ratio is then 1), else one group per part."""
    ids = [part.id for part in item.parts]
    return [ids] if not item.caps else [[part] for part in ids]


def _stored_maps(
    plan: RunPlan, results: dict[str, ItemResult], scratch: Path
) -> dict[str, list[tuple[list[str], ScratchGrid]]]:
    """Scratch grids for the maps of the raster items' part groups (:func:`map_groups`), filled
    block by block by the year's aggregation (gepkit.zonal.MapStore)."""
    stored: dict[str, list[tuple[list[str], ScratchGrid]]] = {}
    for item_id, item in results.items():
        if not item.spatial:
            continue
        stored[item_id] = [
            (group, ScratchGrid.create(scratch / f"{item_id}-{n}.f32", plan.grid.shape))
            for n, group in enumerate(map_groups(item))
        ]
    return stored


def finish_year(plan: RunPlan, graph: YearGraph, done: dict[str, Any]) -> YearResult:
    """The year's account from its computed graph (``done``: :attr:`YearGraph.lazy` computed):
    reported parts, caps, per-unit and per-ecosystem totals, the item maps and every check."""
    year, results, priced, placed = graph.year, graph.items, graph.priced, graph.placed
    zones = plan.zones
    hierarchy = plan.hierarchy
    done_sums = graph.layout.unpack(np.asarray(done["aggregate"]))
    sums = done_sums.sums
    leaf_codes = zones.leaf_codes
    variables = graph.variables
    leaf_raw = pd.DataFrame(
        {v: sums[v].sum("ecosystem").values for v in variables}, index=leaf_codes
    )
    leaf_missing = pd.DataFrame(
        {v: sums[f"{v}__nan"].sum("ecosystem").values for v in variables}, index=leaf_codes
    )
    warnings: list[Problem] = [w for r in results.values() for w in r.warnings]
    reported = _reported_leaves(plan, year, results, warnings)
    for name, (values, _) in reported.items():
        leaf_raw[name] = values.fillna(0.0)
        leaf_missing[name] = 0.0
    raw = hierarchy.roll_up(leaf_raw)
    missing = hierarchy.roll_up(leaf_missing)

    result = YearResult(
        year=year,
        items=results,
        priced=priced,
        part_totals={},
        unit_totals=pd.DataFrame(index=raw.index),
        missing_cells=missing,
        by_ecosystem=pd.DataFrame(),
        maps={},
        hierarchy=hierarchy,
        warnings=warnings,
    )
    result.leaf_prices = _leaf_prices(plan, year, results, warnings)
    _check_conservation(result, done_sums.raster, leaf_raw[variables])
    _check_parent_polygons(result, plan, raw, done_sums.parents)
    ratios = _apply_caps(result, plan, raw)

    by_eco: list[pd.DataFrame] = []
    eco_codes = [int(c) for c in sums["ecosystem"].values]
    for item_id, item in results.items():
        names = [f"{item_id}{PART_SEP}{p.id}" for p in item.parts]
        result.part_totals[item_id] = pd.DataFrame(
            {p.id: raw[name] for p, name in zip(item.parts, names, strict=True)}
        )
        result.unit_totals[item_id] = result.part_totals[item_id].sum(axis=1)
        leaf_by_eco = pd.DataFrame(0.0, index=leaf_codes, columns=eco_codes)
        for part, name in zip(item.parts, names, strict=True):
            if part.spatial:
                by_part = pd.DataFrame(sums[name].values, index=leaf_codes, columns=eco_codes)
            else:
                column = NOT_ATTRIBUTED if part.ecosystem is None else part.ecosystem
                by_part = pd.DataFrame({column: leaf_raw[name]}, index=leaf_codes)
            leaf_by_eco = leaf_by_eco.add(by_part.mul(ratios[name], axis=0), fill_value=0.0)
        by_eco.append(_long(hierarchy.roll_up(leaf_by_eco), item_id))
        if item_id in graph.stored:
            result.maps[item_id] = _map_terms(
                item_id, graph.stored[item_id], ratios, placed, zones.leaf_codes
            )
    cells = pd.DataFrame(sums["cells"].values, index=leaf_codes, columns=eco_codes)
    by_eco.append(_long(hierarchy.roll_up(cells), "cells"))
    result.by_ecosystem = pd.concat(by_eco, ignore_index=True)

    _check_roll_up(result, plan)
    if done_sums.bounds is not None:
        _check_bounds(result, plan, done_sums.bounds)
    if done_sums.gap is not None:
        _report_gaps(result, plan, graph.gap_cells, done_sums.gap)
    _report_missing(result, plan)
    return result


def _reported_leaves(
    plan: RunPlan, year: int, results: dict[str, ItemResult], warnings: list[Problem]
) -> dict[str, tuple[pd.Series, list[str]]]:
    """Reported parts brought down to the leaf units (gepkit.allocation), by part name: the leaf
    values (NaN: no value covers the leaf) and the units whose value was shared by the key."""
    out: dict[str, tuple[pd.Series, list[str]]] = {}
    key: pd.Series | None = None
    for item_id, item in results.items():
        for part in item.parts:
            if part.reported is None:
                continue
            if key is None:
                key = allocation_key(plan, year, warnings)
            allocated = to_leaves(
                part.reported,
                plan.hierarchy,
                key,
                what=f"{item_id}/{part.id} ({year})",
                key_name=plan.config.run.allocation_key,
            )
            warnings.extend(allocated.warnings)
            out[f"{item_id}{PART_SEP}{part.id}"] = (allocated.leaves, allocated.allocated)
    return out


def _leaf_prices(
    plan: RunPlan, year: int, results: dict[str, ItemResult], warnings: list[Problem]
) -> dict[tuple[str, str], pd.Series]:
    """Per-unit prices of components brought down to the leaves: each leaf takes the price of
    the finest unit containing it that has one (NaN: none, reported)."""
    hierarchy = plan.hierarchy
    frame = hierarchy.frame
    out: dict[tuple[str, str], pd.Series] = {}
    for item_id, item in results.items():
        for component in item.components:
            if component.unit_prices is None:
                continue
            given = {
                str(c): float(v)
                for c, v in component.unit_prices.items()
                if str(c) in frame.index and not pd.isna(v)
            }
            prices = pd.Series(np.nan, index=hierarchy.leaves, dtype="float64")
            for leaf in hierarchy.leaves:
                code: str | None = leaf
                while code is not None and code not in given:
                    parent = frame.at[code, "parent_code"]
                    code = (
                        str(parent) if isinstance(parent, str) and parent in frame.index else None
                    )
                if code is not None:
                    prices[leaf] = given[code]
            out[(item_id, component.id)] = prices
            if prices.isna().any() and given:
                absent = ", ".join(prices.index[prices.isna()][:10])
                warnings.append(
                    Problem(
                        where=f"{item_id}/{component.id} ({year})",
                        message=f"no price for {absent}: their quantity is not valued",
                        hint=f"give {component.price_source or 'the price'} for these units or "
                        f"for a unit that contains them",
                    )
                )
    return out


def allocation_key(plan: RunPlan, year: int, warnings: list[Problem]) -> pd.Series:
    """The leaf units' share key for values reported at a coarser level: their area (km²) or
    their population."""
    leaves = plan.zones.leaf_codes
    if plan.config.run.allocation_key == "population":
        population = plan.book.statistic("population", year)
        key = pd.Series(population, dtype="float64").reindex(leaves)
        if key.isna().any():
            absent = ", ".join(key.index[key.isna()][:10])
            warnings.append(
                Problem(
                    where="run.allocation_key",
                    message=f"no population for {absent} in {year}: they get no share of values "
                    f"reported for a unit that contains them",
                    hint="give the population of every leaf unit, or use allocation_key = 'area'",
                )
            )
        return key.fillna(0.0)
    return plan.hierarchy.frame.loc[leaves, "area_km2"].astype("float64")


def _long(wide: pd.DataFrame, variable: str) -> pd.DataFrame:
    long = wide.stack().rename("quantity").reset_index()
    long.columns = ["unit_code", "ecosystem_code", "quantity"]
    long["variable"] = variable
    return long


def _map_terms(
    item_id: str,
    stored: list[tuple[list[str], ScratchGrid]],
    ratios: dict[str, pd.Series],
    placed: set[str],
    leaf_codes: list[str],
) -> list[MapTerm]:
    """The terms of an item's quantity map: each stored group of parts scaled by its leaf
    unit's cap ratio (1 for a group of uncapped parts).

    Under coverage weighting the map still holds each pixel's whole quantity (the unit totals
    weight it by the fractions); a boundary pixel shared by units with different cap ratios is
    scaled by their fraction-weighted mean ratio (Zones.spread), so the map weighted by the
    pixels' covered fractions still adds up to the capped region total."""
    terms = []
    for group, source in stored:
        name = f"{item_id}{PART_SEP}{group[0]}"
        ratio = ratios[name] if len(group) == 1 else pd.Series(1.0, index=leaf_codes)
        factors = ratio.reindex(leaf_codes).to_numpy(dtype="float32")
        terms.append(MapTerm(source, factors, centre=len(group) == 1 and name in placed))
    return terms


def _apply_caps(result: YearResult, plan: RunPlan, raw: pd.DataFrame) -> dict[str, pd.Series]:
    """Cap parts in place in ``raw``; return each part's leaf ratio (1 where uncapped)."""
    leaves = plan.zones.leaf_codes
    ratios = {name: pd.Series(1.0, index=leaves) for name in raw.columns}
    problems: list[Problem] = []
    for item_id, item in result.items.items():
        for cap in item.caps:
            name = f"{item_id}{PART_SEP}{cap.part}"
            capped = apply_cap(
                raw[name],
                cap.limits,
                plan.hierarchy,
                what=f"{item_id}: {cap.statistic} ({result.year})",
                rule=cap.rule,
            )
            problems += capped.problems
            result.warnings.extend(capped.warnings)
            for code in capped.cap_units:
                limit, capacity = cap.limits[code], float(raw.at[code, name])
                result.checks.append(
                    Check(
                        result.year,
                        "capped_at_statistic",
                        code,
                        f"{item_id}/{cap.part}",
                        expected=limit,
                        actual=float(capped.capped.at[code]),
                        passed=bool(capped.capped.at[code] <= limit * (1 + BOUND_RTOL) + 1e-9),
                        note=f"capacity {capacity:.6g}; {cap.statistic}",
                    )
                )
            raw[name] = capped.capped
            ratios[name] = capped.leaf_ratio
    if problems:
        raise InputError(problems)
    return ratios


def _check_conservation(result: YearResult, raster: xr.Dataset, leaf_totals: pd.DataFrame) -> None:
    """Σ leaf units (bincount per unit) must equal the raster total over the region (a plain
    masked sum, weighted under coverage weighting)."""
    for name in leaf_totals.columns:
        expected = float(raster[name].values)
        actual = float(leaf_totals[name].sum())
        check = Check(
            result.year,
            "units_sum_to_raster_total",
            "*",
            name,
            expected,
            actual,
            passed=bool(np.isclose(actual, expected, rtol=CONSERVATION_RTOL, atol=1e-6)),
        )
        result.checks.append(check)
        if not check.passed:
            raise GepError(
                f"conservation check failed for {name} in {result.year}: units sum to "
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
    result: YearResult, plan: RunPlan, raw: pd.DataFrame, parents: dict[int, xr.Dataset]
) -> None:
    """A parent with its own polygon, summed on its own, against the sum of its children."""
    for depth, sums in parents.items():
        codes, _ = plan.zones.parent_index[depth]
        for i, code in enumerate(codes):
            for name in raw.columns:
                if name not in sums.data_vars:
                    continue  # reported per unit: no polygon of its own to compare
                own = float(sums[name].values[i])
                rolled = float(raw.at[code, name])
                check = Check(
                    result.year,
                    "parent_polygon_vs_children",
                    code,
                    name,
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
                            field=name,
                            message=f"its own polygon gives {own:.6g}, its sub-units {rolled:.6g} "
                            f"({check.rel_diff:.2%} apart): the boundaries of the levels differ; "
                            f"the account uses the sum of the sub-units",
                        )
                    )


def _parts_added_per_unit(plan: RunPlan, item: ItemResult, bound: Bound) -> list[str]:
    """The bound's ``plus_parts`` summed otherwise than the bound (placed parts under coverage
    weighting): added to the limit per unit, after aggregation, rather than per pixel."""
    if not plan.zones.coverage:
        return []
    placed = {p.id for p in item.parts if p.placed}
    return [p for p in bound.plus_parts if p in placed]


def _bound_upper(plan: RunPlan, item: ItemResult, bound: Bound) -> xr.DataArray:
    """A bound's per-pixel upper limit with its ``plus_parts`` added, except those added per
    unit (:func:`_parts_added_per_unit`)."""
    upper = bound.upper
    later = _parts_added_per_unit(plan, item, bound)
    quantities = {p.id: p.quantity for p in item.parts}
    for part in bound.plus_parts:
        quantity = quantities[part]
        if part not in later and quantity is not None:
            upper = upper + quantity
    return upper


def _check_bounds(result: YearResult, plan: RunPlan, sums: xr.Dataset) -> None:
    """Plausibility: per unit, each item's quantity ≤ the sum of its bound's upper limit."""
    leaf_codes = plan.zones.leaf_codes
    problems: list[Problem] = []
    for item_id, item in result.items.items():
        for bound in item.bounds:
            name = f"{item_id}{BOUND_SEP}{bound.id}"
            upper = plan.hierarchy.roll_up(
                pd.DataFrame({"u": sums[name].sum("ecosystem").values}, index=leaf_codes)
            )["u"]
            for part in _parts_added_per_unit(plan, item, bound):
                upper = upper + result.part_totals[item_id][part].reindex(upper.index)
            for code, quantity in result.unit_totals[item_id].items():
                limit = float(upper.at[code])
                ok = bool(quantity <= limit + BOUND_RTOL * max(abs(limit), 1.0))
                result.checks.append(
                    Check(
                        result.year,
                        f"bound:{bound.id}",
                        str(code),
                        item_id,
                        limit,
                        float(quantity),
                        ok,
                        note=bound.description,
                    )
                )
                if not ok:
                    problem = Problem(
                        where=f"{item_id} ({result.year})",
                        field=str(code),
                        message=f"{bound.description}: {quantity:.6g} > {limit:.6g}",
                        hint="check the inputs' units and values",
                    )
                    (problems if bound.severity == "error" else result.warnings).append(problem)
    if problems:
        raise InputError(problems)


def _report_gaps(result: YearResult, plan: RunPlan, cells: int, totals: xr.Dataset) -> None:
    area = cells * plan.grid.cell_area_m2 / 1e6
    amounts = ", ".join(f"{k} {float(totals[k].values):.4g}" for k in totals.data_vars)
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
    for name in leaves.columns:
        affected = leaves[name][leaves[name] > 0]
        if len(affected):
            result.warnings.append(
                Problem(
                    where=f"{name} ({result.year})",
                    message=f"{_cells(affected.sum())} pixel(s) in {len(affected)} unit(s) lack an input "
                    f"and are not counted (see gaps.csv)",
                )
            )


def _cells(count: float) -> str:
    """A pixel count: whole under centre weighting, fractional under coverage weighting."""
    return str(int(count)) if float(count).is_integer() else f"{count:.2f}"
