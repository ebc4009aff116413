"""Account tables and headline indicators from the per-year results.

* ``accounts``: one row per (year, unit, item): physical quantity and value;
* ``components``: each item's valued parts with unit price, price record and source;
* ``summary``: one row per (year, unit): GEP by class, area, population, per-km² and
  per-capita GEP, and GDP and GEP/GDP where GDP is given;
* ``extent`` (ecosystem area by type, table T1) and ``by_ecosystem`` (quantity and value of each
  item by ecosystem type, table T6); ``gaps`` and ``checks`` for quality control.

Values are linear in quantity (quantity × CNY per unit of quantity), so a parent's value is the
sum of its children's values, exactly as its quantity is.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from gepkit.catalogue.items import CATEGORIES
from gepkit.compute import YearResult
from gepkit.errors import Problem
from gepkit.plan import RunPlan
from gepkit.valuation.basis import CURRENT
from gepkit.valuation.prices import VALUE_UNIT
from gepkit.zones import NO_ECOSYSTEM, NOT_ATTRIBUTED

#: Category of the rows that deduct imported ecosystem products (GB/T 46869—2025).
DEDUCTION = "deduction"


def _unit_columns(plan: RunPlan, codes: pd.Index | list[str]) -> pd.DataFrame:
    frame = plan.hierarchy.frame.loc[list(codes)]
    return pd.DataFrame(
        {
            "unit_code": list(codes),
            "unit_name": frame["name"].to_numpy(),
            "unit_level": frame["level"].to_numpy(),
            "parent_code": frame["parent_code"].to_numpy(),
        }
    )


def _flag(plan: RunPlan) -> str:
    return "demo" if plan.demo else ""


def accounts_table(plan: RunPlan, results: list[YearResult]) -> pd.DataFrame:
    """Quantity and value of every item per unit and year, once per price basis: ``price_basis``
    ``current`` (prices of the accounting year) and ``constant-<base year>`` (gepkit.valuation
    .basis).  Sum values over one basis only."""
    rows = []
    for result in results:
        units = _unit_columns(plan, result.unit_totals.index)
        for basis in plan.valuation.bases:
            for item_id, item in result.items.items():
                rows.append(
                    units.assign(
                        year=result.year,
                        category=item.info.category,
                        item=item_id,
                        quantity=result.unit_totals[item_id].to_numpy(),
                        quantity_unit=item.info.quantity_unit,
                        value=result.item_value(item_id, basis).to_numpy(),
                        value_unit=VALUE_UNIT,
                        price_basis=basis,
                        data_flag=_flag(plan),
                    )
                )
            deducted = imports_rows(plan, result, units, basis)
            if deducted is not None:
                rows.append(deducted)
    columns = [
        "year",
        "unit_code",
        "unit_name",
        "unit_level",
        "parent_code",
        "category",
        "item",
        "quantity",
        "quantity_unit",
        "value",
        "value_unit",
        "price_basis",
        "data_flag",
    ]
    return pd.concat(rows, ignore_index=True)[columns]


def components_table(plan: RunPlan, results: list[YearResult]) -> pd.DataFrame:
    rows = []
    for result in results:
        units = _unit_columns(plan, result.unit_totals.index)
        constant = plan.valuation.constant
        for item_id, priced in result.priced.items():
            for p in priced:
                c, record = p.component, p.component.price
                component_quantity = result.valued_quantity(item_id, p).to_numpy() * c.per_item
                if c.value_of_year:
                    cited = {
                        "price_id": "value reported",
                        "price_as_recorded": 1.0,
                        "price_record_unit": "CNY/CNY",
                        "price_year": result.year,
                        "valuation_basis": "market_value",
                        "price_source": c.price_source,
                        "confidence": "",
                    }
                elif record is None or p.per_unit:
                    cited = {
                        "price_id": "reported per unit",
                        "price_as_recorded": np.nan,
                        "price_record_unit": p.price_unit,
                        "price_year": result.year,
                        "valuation_basis": "reported",
                        "price_source": c.price_source,
                        "confidence": "",
                    }
                else:
                    cited = {
                        "price_id": f"{record.key}/{record.variant}",
                        "price_as_recorded": record.value,
                        "price_record_unit": record.unit,
                        "price_year": record.year,
                        "valuation_basis": record.basis,
                        "price_source": record.source,
                        "confidence": record.confidence,
                    }
                rows.append(
                    units[["unit_code", "unit_name", "unit_level"]].assign(
                        year=result.year,
                        item=item_id,
                        component=c.id,
                        component_name=c.name_en,
                        component_name_zh=c.name_zh,
                        part=c.part or "",
                        quantity=component_quantity,
                        quantity_unit=c.quantity_unit,
                        derivation=c.derivation,
                        unit_price=result.unit_price(item_id, p).to_numpy(),
                        price_unit=p.price_unit,
                        **cited,
                        price_factor=p.factors["current"],
                        value=result.component_value(item_id, p).to_numpy(),
                        price_factor_constant=p.factors[constant],
                        value_constant=result.component_value(item_id, p, constant).to_numpy(),
                        value_unit=VALUE_UNIT,
                        constant_prices_of=plan.valuation.base_year,
                        data_flag=_flag(plan),
                    )
                )
    frame = pd.concat(rows, ignore_index=True)
    first = ["year", "unit_code", "unit_name", "unit_level", "item", "component"]
    return frame[first + [c for c in frame.columns if c not in first]]


def parts_table(plan: RunPlan, results: list[YearResult]) -> pd.DataFrame:
    """Quantity of every part of every item per unit (after caps)."""
    rows = []
    for result in results:
        for item_id, item in result.items.items():
            totals = result.part_totals[item_id]
            for part in item.parts:
                rows.append(
                    pd.DataFrame(
                        {
                            "year": result.year,
                            "unit_code": totals.index,
                            "item": item_id,
                            "part": part.id,
                            "part_name": part.name_en,
                            "part_name_zh": part.name_zh,
                            "quantity": totals[part.id].to_numpy(),
                            "quantity_unit": item.info.quantity_unit,
                            "capped": any(cap.part == part.id for cap in item.caps),
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


def unit_statistic(plan: RunPlan, name: str, year: int, warnings: list[Problem]) -> pd.Series:
    """A statistic for every unit: given values, parents missing from the table summed from their
    children (when all children are given); a given parent that disagrees with its children by
    more than 1 % is kept and reported."""
    hierarchy = plan.hierarchy
    values = pd.Series(np.nan, index=hierarchy.ordered(), dtype="float64")
    given = pd.Series(plan.book.statistic(name, year), dtype="float64")
    if given.empty:
        return values
    values.loc[given.index] = given.to_numpy()
    for depth in range(hierarchy.max_depth, -1, -1):
        for code in hierarchy.frame.index[
            (hierarchy.frame["depth"] == depth) & ~hierarchy.frame["is_leaf"]
        ]:
            children = values.loc[hierarchy.children(code)]
            if children.isna().any():
                continue
            total = float(children.sum())
            if np.isnan(values.at[code]):
                values.at[code] = total
            elif total and abs(values.at[code] - total) / total > 0.01:
                warnings.append(
                    Problem(
                        where=f"statistics.{name}",
                        field=code,
                        message=f"{year}: the value given for {code} ({values.at[code]:.6g}) differs "
                        f"from the sum of its sub-units ({total:.6g}) by "
                        f"{abs(values.at[code] - total) / total:.1%}; the given value is used",
                    )
                )
    return values


def summary_table(
    plan: RunPlan, results: list[YearResult], accounts: pd.DataFrame, warnings: list[Problem]
) -> pd.DataFrame:
    """One row per year and unit: GEP by class at current prices, GEP at constant prices of the
    base year, real growth against the previous year of the run, per-area and per-capita GEP,
    GDP, GEP/GDP and the GEP–GDP "dual growth" flag (methods catalogue §3.3, §3.4)."""
    frames = []
    categories_present = set(accounts["category"])
    previous: pd.DataFrame | None = None
    for result in results:
        codes = result.unit_totals.index
        year_rows = accounts[accounts["year"] == result.year]
        by_class = _by_class(year_rows, CURRENT, codes)
        summary = _unit_columns(plan, codes).assign(year=result.year)
        for category in CATEGORIES:
            summary[category] = (
                by_class[category].to_numpy() if category in categories_present else np.nan
            )
        summary["gep"] = summary[list(CATEGORIES)].sum(axis=1, min_count=1)
        if DEDUCTION in categories_present:
            deducted = by_class.get(DEDUCTION, pd.Series(0.0, index=codes))
            summary["imports_deducted"] = 0.0 - deducted.fillna(0.0).to_numpy()
            summary["gep"] = summary["gep"] - summary["imports_deducted"]
        summary["gep_constant"] = (
            _by_class(year_rows, plan.valuation.constant, codes).sum(axis=1, min_count=1).to_numpy()
        )
        summary["constant_prices_of"] = plan.valuation.base_year
        summary["area_km2"] = plan.hierarchy.frame.loc[codes, "area_km2"].to_numpy()
        summary["population"] = (
            unit_statistic(plan, "population", result.year, warnings).loc[codes].to_numpy()
        )
        summary["gep_per_km2"] = summary["gep"] / summary["area_km2"]
        summary["gep_per_capita"] = summary["gep"] / summary["population"]
        if plan.book.has("gdp", "gdp"):
            summary["gdp"] = (
                unit_statistic(plan, "gdp", result.year, warnings).loc[codes].to_numpy()
            )
            summary["gep_gdp_ratio"] = summary["gep"] / summary["gdp"]
        if previous is not None:
            before = previous.set_index("unit_code").reindex(codes)
            summary["previous_year"] = previous["year"].iloc[0]
            summary["real_gep_growth"] = (
                summary["gep_constant"].to_numpy() / before["gep_constant"].to_numpy() - 1.0
            )
            consecutive = int(previous["year"].iloc[0]) == result.year - 1
            if plan.book.has("gdp", "gdp_real_growth"):
                growth = pd.Series(plan.book.values("gdp", "gdp_real_growth", result.year))
                summary["gdp_real_growth"] = growth.reindex(codes).to_numpy() / 100.0
                # GDP growth is a one-year rate: "dual growth" compares consecutive years only.
                both = (summary["real_gep_growth"] > 0) & (summary["gdp_real_growth"] > 0)
                known = summary["real_gep_growth"].notna() & summary["gdp_real_growth"].notna()
                summary["dual_growth"] = both.astype("boolean").where(known & consecutive, pd.NA)
        summary["data_flag"] = _flag(plan)
        frames.append(summary)
        previous = summary
    frame = pd.concat(frames, ignore_index=True)
    first = [
        "year",
        "unit_code",
        "unit_name",
        "unit_level",
        "parent_code",
        "gep",
        *CATEGORIES,
        "gep_constant",
        "constant_prices_of",
        "area_km2",
        "population",
        "gep_per_km2",
        "gep_per_capita",
    ]
    return frame[first + [c for c in frame.columns if c not in first]]


def _by_class(year_rows: pd.DataFrame, basis: str, codes: pd.Index) -> pd.DataFrame:
    rows = year_rows[year_rows["price_basis"] == basis]
    return rows.pivot_table(
        index="unit_code", columns="category", values="value", aggfunc="sum"
    ).reindex(codes)


def change_table(plan: RunPlan, results: list[YearResult], accounts: pd.DataFrame) -> pd.DataFrame:
    """Change of every item and of GEP between consecutive years of the run, per unit: physical
    quantity, value at constant prices of the base year (the volume change) and at current
    prices."""
    constant = plan.valuation.constant
    rows = []
    keys = ["unit_code", "item"]
    for before, after in itertools.pairwise(results):
        pair = []
        for year in (before.year, after.year):
            year_rows = accounts[accounts["year"] == year]
            current = year_rows[year_rows["price_basis"] == CURRENT].set_index(keys)
            wide = current[["quantity", "quantity_unit"]].assign(
                current=current["value"],
                **{
                    constant: year_rows[year_rows["price_basis"] == constant]
                    .set_index(keys)["value"]
                    .reindex(current.index)
                },
            )
            total = wide.groupby(level="unit_code")[["current", constant]].sum()
            total.index = pd.MultiIndex.from_arrays([total.index, ["GEP"] * len(total)], names=keys)
            pair.append(pd.concat([wide, total]))
        old, new = pair
        index = new.index.union(old.index)
        old, new = old.reindex(index), new.reindex(index)
        frame = pd.DataFrame(
            {
                "from_year": before.year,
                "to_year": after.year,
                "quantity_from": old["quantity"],
                "quantity_to": new["quantity"],
                "quantity_unit": new["quantity_unit"].fillna(old["quantity_unit"]),
                "quantity_change": (new["quantity"] / old["quantity"] - 1.0),
                "value_constant_from": old[constant],
                "value_constant_to": new[constant],
                "value_constant_change": new[constant] - old[constant],
                "real_growth": new[constant] / old[constant] - 1.0,
                "value_current_from": old["current"],
                "value_current_to": new["current"],
                "nominal_growth": new["current"] / old["current"] - 1.0,
                "value_unit": VALUE_UNIT,
                "constant_prices_of": plan.valuation.base_year,
            },
            index=index,
        ).reset_index()
        frame["quantity_unit"] = frame["quantity_unit"].where(frame["item"] != "GEP", "")
        rows.append(frame)
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    for column in ("quantity_change", "real_growth", "nominal_growth"):
        out[column] = out[column].replace([np.inf, -np.inf], np.nan)
    units = _unit_columns(plan, out["unit_code"].unique())
    out = out.merge(units[["unit_code", "unit_name", "unit_level"]], on="unit_code")
    first = ["from_year", "to_year", "unit_code", "unit_name", "unit_level", "item"]
    return out[first + [c for c in out.columns if c not in first]]


def imports_rows(
    plan: RunPlan, result: YearResult, units: pd.DataFrame, basis: str
) -> pd.DataFrame | None:
    """GB/T 46869—2025: value of ecosystem products from outside each unit that reports it
    (sheet ``imports``), as negative rows of category ``deduction``.  A unit's imports are its
    own: they are neither summed into its parents (what one county imports from another is no
    import of their province) nor shared among its sub-units."""
    if not plan.config.valuation.deduct_imports:
        return None
    rows = plan.book.rows("imports", result.year)
    if rows.empty:
        return None
    rows = rows.dropna(subset=["value"])
    factors, _ = plan.valuation.factors(
        year=result.year,
        record=None,
        index=plan.valuation.series("imports", "cpi_cn"),
        label="imports",
    )
    by_unit = rows.groupby([rows["code"].astype(str), rows["item"].astype(str)])["value"].sum()
    frames = []
    for (code, item), value in by_unit.items():
        if code not in set(units["unit_code"]):
            continue
        unit = units[units["unit_code"] == code]
        frames.append(
            unit.assign(
                year=result.year,
                category=DEDUCTION,
                item=f"imports:{item}",
                quantity=np.nan,
                quantity_unit="",
                value=-float(value) * factors[basis],
                value_unit=VALUE_UNIT,
                price_basis=basis,
                data_flag=_flag(plan),
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else None


def extent_table(plan: RunPlan, results: list[YearResult]) -> pd.DataFrame:
    """Ecosystem extent (T1): area by ecosystem type per unit (pixel counts × cell area)."""
    classes = plan.catalogue.classes
    frames = []
    for result in results:
        cells = result.by_ecosystem[result.by_ecosystem["variable"] == "cells"]
        cells = cells[cells["quantity"] > 0]
        area = cells["quantity"] * plan.grid.cell_area_m2 / 1e6
        total = area.groupby(cells["unit_code"]).transform("sum")
        frame = cells[["unit_code", "ecosystem_code"]].assign(
            year=result.year,
            ecosystem_name=[_eco_name(classes, c, "en") for c in cells["ecosystem_code"]],
            ecosystem_name_zh=[_eco_name(classes, c, "zh") for c in cells["ecosystem_code"]],
            level1_code=[
                classes.level1(c) if c in classes else NO_ECOSYSTEM for c in cells["ecosystem_code"]
            ],
            area_km2=area,
            share=area / total,
        )
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out[
        [
            "year",
            "unit_code",
            "ecosystem_code",
            "ecosystem_name",
            "ecosystem_name_zh",
            "level1_code",
            "area_km2",
            "share",
        ]
    ]


def by_ecosystem_table(plan: RunPlan, results: list[YearResult]) -> pd.DataFrame:
    """Quantity and value of every item by ecosystem type per unit (T6); values use the item's
    mean value per unit of quantity in the unit (exact for single-price items)."""
    classes = plan.catalogue.classes
    frames = []
    for result in results:
        long = result.by_ecosystem[result.by_ecosystem["variable"] != "cells"]
        long = long[long["quantity"] != 0]
        unit_price = {
            k: (result.item_value(k) / result.unit_totals[k]).replace(np.inf, np.nan)
            for k in result.items
        }
        price = [
            float(unit_price[k].get(u, np.nan))
            for k, u in zip(long["variable"], long["unit_code"], strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "year": result.year,
                    "unit_code": long["unit_code"].to_numpy(),
                    "item": long["variable"].to_numpy(),
                    "ecosystem_code": long["ecosystem_code"].to_numpy(),
                    "ecosystem_name": [_eco_name(classes, c, "en") for c in long["ecosystem_code"]],
                    "quantity": long["quantity"].to_numpy(),
                    "quantity_unit": [result.items[k].info.quantity_unit for k in long["variable"]],
                    "value": long["quantity"].to_numpy() * np.array(price),
                    "value_unit": VALUE_UNIT,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def gaps_table(plan: RunPlan, results: list[YearResult]) -> pd.DataFrame:
    """Pixels per unit, item and part where an input was missing (not counted in the account)."""
    frames = []
    for result in results:
        long = result.missing_cells.stack().rename("missing_cells").reset_index()
        long.columns = ["unit_code", "variable", "missing_cells"]
        long = long[long["missing_cells"] > 0]
        split = long["variable"].str.split("::", n=1, expand=True) if len(long) else None
        frames.append(
            pd.DataFrame(
                {
                    "year": result.year,
                    "unit_code": long["unit_code"].to_numpy(),
                    "item": split[0].to_numpy() if split is not None else [],
                    "part": split[1].to_numpy() if split is not None else [],
                    "missing_cells": long["missing_cells"].to_numpy(),
                    "missing_km2": long["missing_cells"].to_numpy() * plan.grid.cell_area_m2 / 1e6,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def checks_table(results: list[YearResult]) -> pd.DataFrame:
    return pd.DataFrame([c.row() for r in results for c in r.checks])


def _eco_name(classes: object, code: int, lang: str) -> str:
    if code == NO_ECOSYSTEM:
        return "无土地覆盖数据" if lang == "zh" else "no land-cover data"
    if code == NOT_ATTRIBUTED:
        return (
            "未分生态系统类型（按单位统计）"
            if lang == "zh"
            else "not by ecosystem type (reported per unit)"
        )
    return classes.name(int(code), lang)  # type: ignore[attr-defined]
