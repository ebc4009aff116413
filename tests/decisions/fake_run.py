"""A tiny fake run folder for the decision-tool tests: numbers chosen by hand, no computing.

``write_run`` writes what :meth:`RunResults.load` reads — manifest.json, accounts.csv,
summary.csv, change.csv and units.gpkg — from a list of :class:`FakeUnit` whose item values are
given per year.  The summary's columns follow docs/outputs.md (GEP by class, GEP at constant
prices, per km², per capita, GEP/GDP, real growth, dual growth), computed here by the plain
formulas so that a test can check a decision tool against values it can work out by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from gepkit.grid import CHINA_ALBERS

#: The fake run's items and their class.
CATEGORY = {
    "agricultural_products": "provisioning",
    "water_conservation": "regulating",
    "carbon_sequestration": "regulating",
    "recreation": "cultural",
}
CATEGORIES = ("provisioning", "regulating", "cultural")
DEMO_NOTICE = "DEMO ACCOUNT: fake values for the tests."


@dataclass
class FakeUnit:
    code: str
    name: str
    level: str
    parent: str = ""
    area_km2: float = 10.0
    population: float | None = 1000.0
    items: dict[int, dict[str, float]] = field(default_factory=dict)
    """Item values at current prices (CNY) by year; parents without items sum their children."""
    constant: dict[int, dict[str, float]] = field(default_factory=dict)
    """Item values at the base year's prices where they differ from ``items``."""
    gdp: dict[int, float] = field(default_factory=dict)
    gdp_real_growth: dict[int, float] = field(default_factory=dict)
    """As a fraction (0.05 for 5 %)."""


def _values(units: list[FakeUnit], years: list[int]) -> dict[tuple[str, int], dict[str, dict]]:
    """(code, year) → {"current": {item: value}, "constant": {...}}, parents summed."""
    by_code = {u.code: u for u in units}
    out: dict[tuple[str, int], dict[str, dict]] = {}

    def of(code: str, year: int) -> dict[str, dict]:
        if (code, year) in out:
            return out[(code, year)]
        unit = by_code[code]
        if unit.items:
            current = dict(unit.items.get(year, {}))
            constant = {**current, **unit.constant.get(year, {})}
        else:
            current, constant = {}, {}
            for child in (u for u in units if u.parent == code):
                part = of(child.code, year)
                for item, value in part["current"].items():
                    current[item] = current.get(item, 0.0) + value
                for item, value in part["constant"].items():
                    constant[item] = constant.get(item, 0.0) + value
        out[(code, year)] = {"current": current, "constant": constant}
        return out[(code, year)]

    for unit in units:
        for year in years:
            of(unit.code, year)
    return out


def write_run(
    folder: Path,
    units: list[FakeUnit],
    *,
    years: tuple[int, ...] = (2019, 2020),
    base_year: int = 2019,
    demo: bool = False,
) -> Path:
    """Write a run folder with these units; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    year_list = sorted(years)
    values = _values(units, year_list)
    by_code = {u.code: u for u in units}
    accounts, summary, change = [], [], []
    for i, year in enumerate(year_list):
        previous = year_list[i - 1] if i else None
        for unit in units:
            head = {
                "year": year,
                "unit_code": unit.code,
                "unit_name": unit.name,
                "unit_level": unit.level,
                "parent_code": unit.parent,
            }
            vals = values[(unit.code, year)]
            for basis, key in (("current", "current"), (f"constant-{base_year}", "constant")):
                for item, value in vals[key].items():
                    accounts.append(
                        {
                            **head,
                            "category": CATEGORY[item],
                            "item": item,
                            "quantity": value,
                            "quantity_unit": "CNY",
                            "value": value,
                            "value_unit": "CNY",
                            "price_basis": basis,
                            "data_flag": "demo" if demo else "",
                        }
                    )
            row: dict[str, object] = dict(head)
            for category in CATEGORIES:
                parts = [v for k, v in vals["current"].items() if CATEGORY[k] == category]
                row[category] = sum(parts) if parts else math.nan
            gep = sum(vals["current"].values())
            gep_constant = sum(vals["constant"].values())
            population = unit.population if unit.population is not None else math.nan
            gdp = unit.gdp.get(year, math.nan)
            row.update(
                gep=gep,
                gep_constant=gep_constant,
                constant_prices_of=base_year,
                area_km2=unit.area_km2,
                population=population,
                gep_per_km2=gep / unit.area_km2,
                gep_per_capita=gep / population,
                gdp=gdp,
                gep_gdp_ratio=gep / gdp,
                data_flag="demo" if demo else "",
            )
            if previous is not None:
                before = values[(unit.code, previous)]
                real = gep_constant / sum(before["constant"].values()) - 1.0
                growth = unit.gdp_real_growth.get(year, math.nan)
                dual: object = ""
                if not math.isnan(growth) and previous == year - 1:
                    dual = bool(real > 0 and growth > 0)
                row.update(
                    previous_year=previous,
                    real_gep_growth=real,
                    gdp_real_growth=growth,
                    dual_growth=dual,
                )
                items = sorted(set(before["constant"]) | set(vals["constant"]))
                rows = [(item, item) for item in items] + [("GEP", None)]
                for item, key in rows:
                    if key is None:
                        c0, c1 = sum(before["constant"].values()), gep_constant
                        n0, n1 = sum(before["current"].values()), gep
                    else:
                        c0, c1 = before["constant"].get(key, 0.0), vals["constant"].get(key, 0.0)
                        n0, n1 = before["current"].get(key, 0.0), vals["current"].get(key, 0.0)
                    change.append(
                        {
                            "from_year": previous,
                            "to_year": year,
                            "unit_code": unit.code,
                            "unit_name": unit.name,
                            "unit_level": unit.level,
                            "item": item,
                            "value_constant_from": c0,
                            "value_constant_to": c1,
                            "value_constant_change": c1 - c0,
                            "real_growth": c1 / c0 - 1.0 if c0 else math.nan,
                            "value_current_from": n0,
                            "value_current_to": n1,
                            "nominal_growth": n1 / n0 - 1.0 if n0 else math.nan,
                            "value_unit": "CNY",
                            "constant_prices_of": base_year,
                        }
                    )
            summary.append(row)
    pd.DataFrame(accounts).to_csv(folder / "accounts.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(summary).to_csv(folder / "summary.csv", index=False, encoding="utf-8-sig")
    if change:
        pd.DataFrame(change).to_csv(folder / "change.csv", index=False, encoding="utf-8-sig")
    manifest = {
        "gepkit_version": "test",
        "region": {"name": "测试省", "code": "990000"},
        "demo": {"is_demo": demo, "notice": DEMO_NOTICE if demo else ""},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    parents = {u.parent for u in units}
    frame = gpd.GeoDataFrame(
        {
            "code": [u.code for u in units],
            "name": [u.name for u in units],
            "parent_code": [u.parent for u in units],
            "level": [u.level for u in units],
            "is_leaf": [u.code not in parents for u in units],
            "area_km2": [u.area_km2 for u in units],
            "geometry_source": "units file",
        },
        geometry=[box(i * 1e4, 0, (i + 1) * 1e4, 1e4) for i in range(len(units))],
        crs=CHINA_ALBERS,
    )
    frame.to_file(folder / "units.gpkg", layer="units", driver="GPKG", engine="pyogrio")
    assert set(by_code) == set(frame["code"])
    return folder
