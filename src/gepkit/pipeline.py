"""One accounting run: prepare → compute each year (and write its maps) → account → write.

This is the only module that orders the steps.  Outputs are written into a temporary folder that
replaces the target only when everything succeeded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rasterio.windows import Window

from gepkit import accounts
from gepkit.compute import YearGraph, YearResult, build_year, finish_year
from gepkit.config import RunConfig
from gepkit.errors import Problem
from gepkit.execution import Executor, executor
from gepkit.io.cog_layout import TILE, LayoutWriter, gdal_env, layout_profile
from gepkit.io.outputs import (
    atomic_folder,
    check_target,
    write_json,
    write_table,
    write_units,
)
from gepkit.manifest import DEMO_NOTICE, build_manifest
from gepkit.materialise import materialising
from gepkit.plan import RunPlan, prepare
from gepkit.progress import Reporter, Stages


@dataclass
class RunResult:
    out_dir: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]
    warnings: list[Problem]
    plan: RunPlan

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]


def run(
    config: RunConfig,
    out_dir: Path,
    *,
    overwrite: bool = False,
    reporter: Reporter | None = None,
    command: str = "gep run",
) -> RunResult:
    """Compute the GEP account described by ``config`` and write it to ``out_dir``.

    ``[run] workers`` / ``scheduler`` choose where the graphs execute (gepkit.execution); the
    accounts are the same on every scheduler.  Each year's maps are written as soon as the year
    is finished and then let go, so memory does not grow with the number of years."""
    check_target(out_dir, overwrite=overwrite)
    stages = Stages(reporter)
    with ExitStack() as stack:
        start = _start_stage(config)
        with stages.stage(start) if start else nullcontext():
            execution = stack.enter_context(
                executor(workers=config.run.workers, scheduler=config.run.scheduler)
            )
        stack.enter_context(execution.active())
        plan = prepare(config, stages)
        with atomic_folder(out_dir, overwrite=overwrite) as tmp:
            results = _compute_years(plan, execution, stages, tmp)
            warnings = plan.warnings + [w for r in results for w in r.warnings]
            for warning in warnings:
                stages.reporter.warn(str(warning))
            with stages.stage("build accounts"):
                tables = _tables(plan, results, warnings)
                share_warnings = _share_warnings(plan, tables["accounts"])
                for warning in share_warnings:
                    stages.reporter.warn(str(warning))
                warnings += share_warnings
            with stages.stage("write outputs"):
                _write(tmp, plan, tables)
            manifest = build_manifest(
                plan,
                results,
                warnings=warnings,
                timings=stages.timings,
                command=command,
                out_dir=tmp,
                execution=execution.describe(),
            )
            write_json(manifest, tmp / "manifest.json")
    return RunResult(
        out_dir=out_dir, tables=tables, manifest=manifest, warnings=warnings, plan=plan
    )


def _start_stage(config: RunConfig) -> str | None:
    if config.run.scheduler is not None:
        return f"connect to the scheduler {config.run.scheduler}"
    if config.run.workers is not None:
        return f"start {config.run.workers} worker process(es)"
    return None


def _compute_years(
    plan: RunPlan, execution: Executor, stages: Stages, folder: Path
) -> list[YearResult]:
    """Every year's graph computed on ``execution`` (several years at once where it has the
    workers), each year finished and its maps written in the order of the years.

    A year's computation stores the maps of its parts in scratch files (gepkit.io.scratch) in a
    hidden folder of the output folder; they are turned into the item maps and removed when the
    year is finished.  Only the per-unit tables of a year are kept."""
    maps = folder / "maps"
    maps.mkdir()
    scratch = folder / ".scratch"

    def jobs() -> Iterator[tuple[YearGraph, dict[str, Any]]]:
        for year in plan.years:
            (scratch / str(year)).mkdir(parents=True)
            graph = build_year(plan, year, scratch / str(year))
            yield graph, graph.lazy

    results: list[YearResult] = []
    with (
        materialising(scratch / "run"),
        closing(execution.compute_in_turn(jobs())) as computed,
    ):
        for year in plan.years:
            with stages.stage(f"compute {year}"):
                graph, done = next(computed)
                assert graph.year == year
                graph.lazy.clear()  # the graph embeds arrays (zones, masks): let it go
                result = finish_year(plan, graph, done)
                done.clear()
            with stages.stage(f"write maps {year}"):
                _write_maps(maps, plan, result)
                result.maps.clear()
                shutil.rmtree(scratch / str(year))
            results.append(result)
    scratch.rmdir()
    return results


def _tables(
    plan: RunPlan, results: list[YearResult], warnings: list[Problem]
) -> dict[str, pd.DataFrame]:
    account = accounts.accounts_table(plan, results)
    return {
        "accounts": account,
        "components": accounts.components_table(plan, results),
        "parts": accounts.parts_table(plan, results),
        "summary": accounts.summary_table(plan, results, account, warnings),
        "extent": accounts.extent_table(plan, results),
        "by_ecosystem": accounts.by_ecosystem_table(plan, results),
        "gaps": accounts.gaps_table(plan, results),
        "checks": accounts.checks_table(results),
        **({"change": accounts.change_table(plan, results, account)} if len(results) > 1 else {}),
    }


def _share_warnings(plan: RunPlan, accounts: pd.DataFrame) -> list[Problem]:
    """Items with a ``warn_share`` option (climate regulation, catalogue §2.12): warn where the
    item's share of GEP in a top-level unit exceeds it."""
    out: list[Problem] = []
    roots = set(plan.hierarchy.frame.index[plan.hierarchy.frame["parent_code"] == ""])
    for item_id, options in plan.options.items():
        threshold = getattr(options, "warn_share", None)
        if threshold is None:
            continue
        rows = accounts[accounts["unit_code"].isin(roots) & (accounts["category"] != "deduction")]
        for (year, code), group in rows.groupby(["year", "unit_code"]):
            gep = float(group["value"].sum())
            value = float(group.loc[group["item"] == item_id, "value"].sum())
            if gep > 0 and value / gep > threshold:
                out.append(
                    Problem(
                        where=f"{item_id} ({year})",
                        field=str(code),
                        message=f"{value / gep:.0%} of GEP (threshold {threshold:.0%}); this item often "
                        f"dominates GEP and is very sensitive to the days above the threshold, "
                        f"the transpiration energy and the electricity price (catalogue §2.12)",
                        hint="report it separately and check its inputs and parameters",
                    )
                )
    return out


def _write(folder: Path, plan: RunPlan, tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        write_table(frame, folder / f"{name}.csv", parquet=name == "accounts")
    write_units(plan.hierarchy.polygons(), folder / "units.gpkg")
    (folder / "README.txt").write_text(_readme(plan), encoding="utf-8")


def _write_maps(maps: Path, plan: RunPlan, result: YearResult) -> None:
    """The year's quantity and value map of every raster item (COG layout, gepkit.io.cog_layout),
    made from the stored part maps one band of tile rows at a time: memory holds a band of each
    map, never a whole grid.  The next band is computed while the last one is compressed."""
    items = [item_id for item_id in result.items if item_id in result.maps]
    if not items:
        return
    tags = {"gepkit_demo": DEMO_NOTICE} if plan.demo else {}
    grid = plan.grid
    profile = layout_profile(
        width=grid.width,
        height=grid.height,
        crs=grid.crs_wkt,
        transform=grid.transform,
        dtype="float32",
        nodata=float("nan"),
    )
    value_factors = {item_id: _value_factors(result, item_id, plan) for item_id in items}

    def band(rows: slice) -> list[np.ndarray]:
        out = []
        for item_id in items:
            quantity = _quantity_band(plan, result, item_id, rows)
            out.append(quantity)
            out.append(quantity * plan.zones.spread(value_factors[item_id], rows=rows))
        return out

    with ExitStack() as stack:
        stack.enter_context(gdal_env())
        writers = []
        for item_id in items:
            item = result.items[item_id]
            unit = item.info.quantity_unit
            stem = f"{item_id}_{result.year}"
            for kind, units, what in (
                ("quantity", f"{unit} per cell", "quantity per cell"),
                ("value", "CNY per cell", "value per cell"),
            ):
                writers.append(
                    stack.enter_context(
                        LayoutWriter(
                            maps / f"{stem}_{kind}.tif",
                            profile,
                            units=units,
                            descriptions=(f"{item.info.name_en} {result.year}: {what}",),
                            tags=tags,
                        )
                    )
                )
        bands = [slice(row, min(row + TILE, grid.height)) for row in range(0, grid.height, TILE)]
        with ThreadPoolExecutor(max_workers=1) as pool:
            upcoming = pool.submit(band, bands[0])
            for n, rows in enumerate(bands):
                arrays = upcoming.result()
                if n + 1 < len(bands):
                    upcoming = pool.submit(band, bands[n + 1])
                window = Window(0, rows.start, grid.width, rows.stop - rows.start)
                for writer, array in zip(writers, arrays, strict=True):
                    writer.write(window, array)


def _quantity_band(plan: RunPlan, result: YearResult, item_id: str, rows: slice) -> np.ndarray:
    """Rows ``rows`` of an item's quantity map: Σ its terms (compute.MapTerm), float32."""
    total = np.zeros((rows.stop - rows.start, plan.grid.width), dtype="float32")
    for term in result.maps[item_id]:
        spread = plan.zones.spread(term.factors, centre=term.centre, rows=rows)
        total = total + term.source.read(rows) * spread
    return total


def _value_factors(result: YearResult, item_id: str, plan: RunPlan) -> np.ndarray:
    """Value per unit of quantity in each leaf unit (float64, 0 where the unit has none).

    The value map is the quantity map times this factor of the cell's leaf unit (a constant for
    single-price items; for multi-part items it follows each unit's mix of parts), so the value
    map sums to the unit values as the quantity map sums to quantities.  Under coverage
    weighting a boundary cell shared by units takes their fraction-weighted mean factor
    (Zones.spread)."""
    leaves = plan.zones.leaf_codes
    per_unit = (result.item_value(item_id) / result.unit_totals[item_id]).reindex(leaves)
    return per_unit.fillna(0.0).to_numpy(dtype="float64")


def _readme(plan: RunPlan) -> str:
    lines = [
        f"GEP account of {plan.config.region.name} ({plan.config.region.code}), "
        f"years {', '.join(map(str, plan.years))}, profile {plan.profile.id}",
        "",
    ]
    if plan.demo:
        lines += [DEMO_NOTICE, ""]
    lines += [
        "accounts.csv / .parquet  one row per (year, unit, item, price basis): quantity and value "
        f"(CNY); price_basis 'current' or '{plan.valuation.constant}' (sum one basis only)",
        "components.csv           each item's valued components, unit prices and price sources",
        "parts.csv                the parts of multi-part items (e.g. pollutants) per unit, after caps",
        "summary.csv              one row per (year, unit): GEP by class, area, population, per km², "
        "per capita, GDP and GEP/GDP where GDP is given",
        "extent.csv               ecosystem area by type and unit",
        "by_ecosystem.csv         quantity and value of every item by ecosystem type and unit",
        "gaps.csv                 pixels per unit and item left out for missing inputs",
        "checks.csv               reconciliation checks (units vs raster total, parents vs children)",
        *(
            [
                "change.csv               change of every item and of GEP between the run's years, "
                "at constant and current prices"
            ]
            if len(plan.years) > 1
            else []
        ),
        "maps/                    per raster item and year: quantity and value per cell (COG; sums "
        "to unit totals); items reported per unit have no map",
        *(
            [
                "                         zone weighting 'coverage': a cell on a unit boundary holds "
                "its whole quantity; the units take the fraction of it they cover, so the maps sum "
                "to the unit totals when each cell is weighted by its share inside the region"
            ]
            if plan.zones.coverage
            else []
        ),
        "manifest.json            inputs with SHA-256, tables, options, parameter and price records, "
        "values to be confirmed, warnings, timings, versions",
        "",
        f"Items computed: {', '.join(plan.items)}.",
    ]
    if plan.not_computed:
        lines.append(plan.not_computed_text())
    return "\n".join(lines) + "\n"
