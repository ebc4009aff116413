"""Preparing a run: check everything up front and resolve the config into a :class:`RunPlan`.

``gep validate`` is this module: it reads the config, the units file, every table and every
raster header, puts the units on the grid, reads the land cover and each layer once to check
codes, value ranges and coverage, and builds (without computing) every item for every year, so
that missing table rows and unit mismatches surface here.  All problems are collected and raised
together; warnings are returned in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import dask.array as dsa
import numpy as np
import pandas as pd

from gepkit import units as u
from gepkit.catalogue.book import Catalogue
from gepkit.catalogue.items import ITEMS
from gepkit.catalogue.profiles import PROFILES, Profile
from gepkit.catalogue.tables import Crosswalk
from gepkit.config import LayerSpec, RunConfig
from gepkit.double_counting import Finding, review
from gepkit.errors import ConfigError, InputError, Problem, ProblemCollector
from gepkit.grid import AccountingGrid, require_metric, resolve_crs
from gepkit.io.hashing import sha256_file
from gepkit.io.rasters import RasterInfo, choose_resampling, coverage_fraction, inspect_raster
from gepkit.io.registers import KNOWN_REGISTERS, read_lakes, read_reservoirs
from gepkit.io.statistics import read_statistic
from gepkit.io.vectors import read_units
from gepkit.io.workbook import read_statistics
from gepkit.items import IMPLEMENTED, Item, ItemContext, ItemOptions, ItemResult
from gepkit.layers import LAYERS, LayerInfo
from gepkit.progress import Stages
from gepkit.statistics import StatisticsBook, from_singles, merge
from gepkit.valuation.basis import Valuation
from gepkit.valuation.prices import price_components
from gepkit.zones import UnitHierarchy, Zones, rasterise_units

#: Share of the region's pixels without data above which a layer is unusable.
MAX_MISSING_SHARE = 0.5
#: Share above which missing land cover is reported as a warning.
WARN_MISSING_SHARE = 0.001
#: Code marking pixels outside every unit while counting land-cover codes.
OUTSIDE = -(2**31)


@dataclass(frozen=True)
class LayerSource:
    """One input file of one layer for one year, and how it is put on the grid."""

    name: str
    year: int
    path: Path
    info: RasterInfo
    bands: list[int]
    resampling: str
    scale: float
    """Grid value = file value × scale + offset (file scale and unit conversion combined)."""
    offset: float
    declared_units: str
    spec: LayerSpec

    def describe(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": sha256_file(self.path),
            "crs": self.info.crs.to_string(),
            "size": [self.info.width, self.info.height],
            "bands": self.bands,
            "resampling": self.resampling,
            "declared_units": self.declared_units,
            "units": LAYERS[self.name].units,
            "scale": self.scale,
            "offset": self.offset,
            "nodata": self.spec.nodata if self.spec.nodata is not None else self.info.nodata,
            "demo": self.spec.demo,
            "source": self.spec.source,
        }


@dataclass
class RunPlan:
    config: RunConfig
    years: list[int]
    profile: Profile
    items: dict[str, Item]
    options: dict[str, ItemOptions]
    not_computed: list[str]
    catalogue: Catalogue
    crosswalk: Crosswalk
    grid: AccountingGrid
    hierarchy: UnitHierarchy
    zones: Zones
    units_path: Path
    sources: dict[tuple[str, int], LayerSource]
    derived: dict[str, str]
    """Layers computed from others: annual precipitation from the monthly stack."""
    statistics: dict[str, pd.DataFrame]
    """Single statistics tables (``[statistics.<name>]``), as read."""
    book: StatisticsBook
    """Every statistic reported per unit: the workbook and the single tables, merged."""
    valuation: Valuation
    supplied: dict[int, dict[str, pd.DataFrame]] = field(default_factory=dict)
    """Year → item → rows of physical quantities supplied instead of computed."""
    double_counting: list[Finding] = field(default_factory=list)
    """The review of the item list against the double-counting rules (catalogue §3.2)."""
    registers: dict[str, Any] = field(default_factory=dict)
    """Lakes (GeoDataFrame in the grid CRS) and reservoirs (DataFrame), when configured."""
    warnings: list[Problem] = field(default_factory=list)
    present_codes: dict[int, frozenset[int]] = field(default_factory=dict)
    landcover_counts: dict[int, dict[int, int]] = field(default_factory=dict)
    layer_stats: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def demo(self) -> bool:
        return self.config.run.demo

    def not_computed_text(self) -> str:
        """Which items of the profile this run leaves out, and why (empty when none)."""
        if not self.not_computed:
            return ""
        missing = [i for i in self.not_computed if i not in IMPLEMENTED]
        left_out = [i for i in self.not_computed if i in IMPLEMENTED]
        parts = []
        if left_out:
            parts.append(f"left out by [run] items: {', '.join(left_out)}")
        if missing:
            parts.append(f"not implemented in this gepkit version: {', '.join(missing)}")
        return f"Items of the profile {self.profile.id} not computed — " + "; ".join(parts) + "."

    def layer_names(self, year: int) -> list[str]:
        return sorted({name for name, y in self.sources if y == year})


def prepare(config: RunConfig, stages: Stages | None = None) -> RunPlan:
    """Validate ``config`` and everything it points to; raise :class:`InputError` with all problems."""
    stages = stages or Stages()
    problems = ProblemCollector()
    warnings: list[Problem] = []
    with stages.stage("check configuration and inputs"):
        profile, items, options, not_computed = _select_items(config, problems)
        catalogue = crosswalk = hierarchy = grid = None
        with problems.section():
            catalogue = Catalogue.load(config)
        units_path = config.resolve(config.units.path)
        with problems.section():
            grid, hierarchy, unit_warnings = _units_and_grid(config, units_path)
            warnings += unit_warnings
        statistics = _statistics(config, hierarchy, problems)
        deferred: list[Problem] = []
        book, supplied, workbook_read = _book(
            config, hierarchy, statistics, items, problems, warnings, deferred
        )
        modelled = {
            k: v
            for k, v in items.items()
            if not all(k in supplied.get(y, {}) for y in config.run.years)
        }
        # An unreadable workbook hides which items are supplied: their missing layers would be
        # reported as errors that are not, so layer problems wait until the workbook is fixed.
        layer_problems = problems if workbook_read else ProblemCollector()
        needed, derived = _needed_layers(config, modelled, options, layer_problems)
        sources: dict[tuple[str, int], LayerSource] = {}
        if grid is not None and hierarchy is not None:
            region = tuple(hierarchy.geometries[hierarchy.leaves].total_bounds)
            for name in needed:
                for year in config.run.years:
                    with problems.section():
                        sources[(name, year)] = _layer_source(config, name, year, grid, region)
        if catalogue is not None:
            with problems.section():
                crosswalk = catalogue.crosswalk(_landcover_crosswalk(config), config.base_dir)
        registers = _registers(config, grid, hierarchy, problems)
        if problems:
            problems.problems.extend(deferred)
        problems.raise_if_any()
    assert catalogue is not None
    assert crosswalk is not None
    assert grid is not None
    assert hierarchy is not None

    with stages.stage("rasterise units"):
        zones, zone_warnings = rasterise_units(hierarchy, grid)
        warnings += zone_warnings

    plan = RunPlan(
        config=config,
        years=list(config.run.years),
        profile=profile,
        items=items,
        options=options,
        not_computed=not_computed,
        catalogue=catalogue,
        crosswalk=crosswalk,
        grid=grid,
        hierarchy=hierarchy,
        zones=zones,
        units_path=units_path,
        sources=sources,
        derived=derived,
        statistics=statistics,
        book=book,
        valuation=Valuation(
            base_year=config.valuation.base_year or min(config.run.years),
            indexing=config.valuation.price_indexing,
            indices=catalogue.indices,
            overrides=dict(config.valuation.indices),
        ),
        supplied=supplied,
        registers=registers,
        warnings=warnings,
    )
    plan.double_counting = review(
        plan.options,
        imports_reported=not book.frames.get("imports", pd.DataFrame()).empty,
        deduct_imports=config.valuation.deduct_imports,
        supplied=frozenset(i for by_item in supplied.values() for i in by_item),
    )
    for finding in plan.double_counting:
        if finding.status == "warning":
            warnings.append(
                Problem(
                    where="double counting",
                    field=finding.rule,
                    message=finding.message,
                    hint=f"rule: {finding.basis}",
                )
            )
    with stages.stage("check input data"):
        _check_data(plan, problems)
        if not problems:
            for year in plan.years:
                _dry_run_items(plan, year, problems)
        problems.problems.extend(deferred)
        problems.raise_if_any()
    return plan


# --------------------------------------------------------------------------------------------


def _select_items(
    config: RunConfig, problems: ProblemCollector
) -> tuple[Profile, dict[str, Item], dict[str, ItemOptions], list[str]]:
    profile = PROFILES.get(config.run.profile)
    if profile is None:
        problems.add(
            "config",
            f"unknown standard profile '{config.run.profile}'",
            field="run.profile",
            hint=f"choose one of: {', '.join(PROFILES)}",
        )
        profile = next(iter(PROFILES.values()))
    requested = config.run.items if config.run.items is not None else list(profile.items)
    for item_id in config.run.drop_items:
        if item_id not in ITEMS:
            problems.add(
                "config",
                f"'{item_id}' is not a GEP item",
                field="run.drop_items",
                hint=f"items are named as in the catalogue glossary: {', '.join(ITEMS)}",
            )
    explicit = set(config.run.add_items) | (
        set(config.run.items) if config.run.items is not None else set()
    )
    requested = [i for i in [*requested, *config.run.add_items] if i not in config.run.drop_items]
    requested = list(dict.fromkeys(requested))
    items: dict[str, Item] = {}
    for item_id in requested:
        if item_id not in ITEMS:
            problems.add(
                "config",
                f"'{item_id}' is not a GEP item",
                field="run.items",
                hint=f"items are named as in the catalogue glossary: {', '.join(ITEMS)}",
            )
        elif item_id in IMPLEMENTED:
            items[item_id] = IMPLEMENTED[item_id]
        elif item_id in explicit:
            problems.add(
                "config",
                f"item '{item_id}' is not implemented in this version of gepkit",
                field="run.items",
                hint=f"implemented: {', '.join(IMPLEMENTED)}",
            )
    if not items and not problems:
        problems.add(
            "config",
            "no item to compute",
            field="run.items",
            hint=f"implemented items: {', '.join(IMPLEMENTED)}",
        )
    not_computed = [i for i in profile.items if i not in items and i not in config.run.drop_items]
    options: dict[str, ItemOptions] = {}
    for key in config.options:
        if key not in IMPLEMENTED:
            problems.add(
                "config",
                f"[options.{key}]: not an implemented item",
                field=f"options.{key}",
                hint=f"options exist for: {', '.join(IMPLEMENTED)}",
            )
    for item_id, item in IMPLEMENTED.items():
        with problems.section():
            options[item_id] = item.options(config.options.get(item_id))
    return profile, items, {k: v for k, v in options.items() if k in items}, not_computed


def read_hierarchy(config: RunConfig) -> UnitHierarchy:
    """The config's administrative units as a :class:`UnitHierarchy`, reading no raster (for
    ``gep template``); raises :class:`InputError` with every problem of the units file."""
    _, hierarchy, _ = _units_and_grid(config, config.resolve(config.units.path))
    return hierarchy


def _units_and_grid(
    config: RunConfig, path: Path
) -> tuple[AccountingGrid, UnitHierarchy, list[Problem]]:
    where = f"units file {path}"
    spec = config.units
    problems = ProblemCollector()
    crs = None
    with problems.section():
        crs = resolve_crs(config.grid.crs)
        require_metric(crs, "config [grid]")
    frame, warnings = read_units(
        path,
        where=where,
        layer=spec.layer,
        code_field=spec.code_field,
        name_field=spec.name_field,
        parent_field=spec.parent_field,
        level_field=spec.level_field,
    )
    problems.raise_if_any()
    assert crs is not None
    leaves_bounds = frame.to_crs(crs).total_bounds
    grid = AccountingGrid.from_bounds(tuple(leaves_bounds), config.grid.resolution, crs)
    hierarchy, more = UnitHierarchy.build(frame, grid, where)
    return grid, hierarchy, warnings + more


def _needed_layers(
    config: RunConfig,
    items: dict[str, Item],
    options: dict[str, ItemOptions],
    problems: ProblemCollector,
) -> tuple[list[str], dict[str, str]]:
    for name in config.inputs:
        if name not in LAYERS:
            problems.add(
                "config",
                f"[inputs.{name}]: unknown layer",
                field=f"inputs.{name}",
                hint=f"known layers: {', '.join(LAYERS)}",
            )
    needed = {"landcover"}
    derived: dict[str, str] = {}
    for item_id, item in items.items():
        if item_id not in options:
            continue  # its options are invalid: already reported
        needed.update(
            name for name in item.optional_layers(options[item_id]) if name in config.inputs
        )
        for name in item.layers(options[item_id], options):
            info = LAYERS[name]
            if name in config.inputs:
                needed.add(name)
            elif info.derive_from and info.derive_from in config.inputs:
                needed.add(info.derive_from)
                derived[name] = info.derive_from
            else:
                alternative = f" (or [inputs.{info.derive_from}])" if info.derive_from else ""
                problems.add(
                    "config",
                    f"{item_id} needs the layer '{name}' ({info.description}), "
                    f"which is not configured",
                    field=f"inputs.{name}",
                    hint=f"add [inputs.{name}]{alternative} with the file's path and units",
                )
    if "landcover" not in config.inputs:
        problems.add(
            "config",
            "the land-cover layer is required",
            field="inputs.landcover",
            hint="add [inputs.landcover] with path and crosswalk",
        )
        needed.discard("landcover")
    return sorted(needed), derived


def _landcover_crosswalk(config: RunConfig) -> str:
    spec = config.inputs.get("landcover")
    if spec is None or not spec.crosswalk:
        raise ConfigError(
            Problem(
                where="config",
                field="inputs.landcover.crosswalk",
                message="the land-cover layer needs a crosswalk to the national "
                "ecosystem classification",
                hint="set crosswalk = 'modis_igbp' or the path of a CSV "
                "(source_code, ecosystem_code)",
            )
        )
    return spec.crosswalk


def _layer_source(
    config: RunConfig, name: str, year: int, grid: AccountingGrid, region: tuple[float, ...]
) -> LayerSource:
    info: LayerInfo = LAYERS[name]
    spec = config.inputs[name]
    where = f"layer '{name}'" + (
        f" ({year})" if spec.by_year or "{year}" in (spec.path or "") else ""
    )
    path_text = spec.path_for(year)
    if not path_text:
        raise ConfigError(
            Problem(
                where="config",
                field=f"inputs.{name}",
                message=f"no file given for {year}",
                hint="give path (it may contain {year}) or by_year",
            )
        )
    raster = inspect_raster(config.resolve(path_text), where)
    problems = ProblemCollector()
    if spec.band is not None:
        if spec.band > raster.count:
            problems.add(
                where,
                f"band {spec.band} asked for, but {raster.path.name} has {raster.count} band(s)",
                field="band",
            )
        bands = [spec.band]
    else:
        bands = list(range(1, raster.count + 1))
    if len(bands) != info.bands:
        problems.add(
            where,
            f"{raster.path.name} has {len(bands)} band(s); the layer needs "
            f"{info.bands} ({info.description})",
            field="band",
            hint="set band = N to pick one band"
            if info.bands == 1
            else "give a stack of 12 monthly bands",
        )
    declared = spec.units or raster.units or (info.units if info.units == "dimensionless" else None)
    scale, offset = spec.scale, spec.offset
    if declared is None:
        problems.add(
            where,
            f"the unit of {raster.path.name} is not declared; expected something "
            f"convertible to '{info.units}'",
            field="units",
            hint=f"add units = '{info.units}' (or the file's unit) to [inputs.{name}]",
        )
        declared = info.units
    else:
        try:
            factor, shift = u.conversion(declared, info.units)
            scale, offset = scale * factor, offset * factor + shift
        except InputError:
            problems.add(
                where,
                f"unit '{declared}' cannot be converted to '{info.units}' ({info.description})",
                field="units",
            )
    fraction = coverage_fraction(raster, region, grid.crs)  # type: ignore[arg-type]
    if fraction < 0.999:
        problems.add(
            where,
            f"{raster.path.name} covers only {fraction:.1%} of the region's extent",
            field="path",
            hint="use a file that covers every unit of the region",
        )
    problems.raise_if_any()
    resampling = choose_resampling(info.kind, raster, grid, spec.resampling)
    return LayerSource(
        name=name,
        year=year,
        path=raster.path,
        info=raster,
        bands=bands,
        resampling=resampling,
        scale=scale,
        offset=offset,
        declared_units=declared,
        spec=spec,
    )


def _statistics(
    config: RunConfig, hierarchy: UnitHierarchy | None, problems: ProblemCollector
) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    # Without a usable units file the codes cannot be checked (that problem is reported already).
    known = set(hierarchy.frame.index) if hierarchy is not None else None
    for name, spec in config.statistics.items():
        with problems.section():
            out[name] = read_statistic(name, spec, config.resolve(spec.path), known)
    return out


def _book(
    config: RunConfig,
    hierarchy: UnitHierarchy | None,
    singles: dict[str, pd.DataFrame],
    items: dict[str, Item],
    problems: ProblemCollector,
    warnings: list[Problem],
    deferred: list[Problem],
) -> tuple[StatisticsBook, dict[int, dict[str, pd.DataFrame]], bool]:
    """The statistics workbook merged with the single statistics, the supplied quantities of the
    run's items by year, and whether the workbook (if any) could be read."""
    book = from_singles(singles)
    spec = config.workbook
    read = True
    if spec is not None and hierarchy is not None:
        try:
            workbook, found = read_statistics(
                config.resolve(spec.path), hierarchy, check_magnitudes=spec.check_magnitudes
            )
        except InputError as err:
            problems.problems.extend(err.problems)
            read = False
        else:
            warnings.extend(found)
            book, conflicts = merge(workbook, book)
            # Reported with the problems of the items' dry run (the workbook's values stand in
            # meanwhile), so that one run lists everything to fix.
            deferred.extend(
                Problem(
                    where="config",
                    field="statistics",
                    message=f"'{conflict}' is given both in the workbook {spec.path} and in a "
                    f"[statistics] table",
                    hint="give each statistic once: remove the [statistics] table or the "
                    "workbook column",
                )
                for conflict in conflicts
            )
    if "reservoirs" in config.registers and not book.frames.get("reservoirs", pd.DataFrame()).empty:
        warnings.append(
            Problem(
                where=f"statistics workbook {spec.path if spec else ''}",
                field="reservoirs",
                message="the sheet 'reservoirs' is ignored: [registers.reservoirs] is configured "
                "and used",
                hint="give the reservoirs in one place",
            )
        )
    supplied: dict[int, dict[str, pd.DataFrame]] = {}
    for year in config.run.years:
        rows = book.rows("supplied", year)
        if rows.empty:
            continue
        for item_id, group in rows.groupby("item"):
            if item_id not in items:
                warnings.append(
                    Problem(
                        where="statistics, sheet supplied",
                        field=str(item_id),
                        message=f"quantities supplied for {item_id} in {year}, which this run "
                        f"does not compute: ignored",
                    )
                )
                continue
            supplied.setdefault(year, {})[str(item_id)] = group.reset_index(drop=True)
    return book, supplied, read


def _registers(
    config: RunConfig,
    grid: AccountingGrid | None,
    hierarchy: UnitHierarchy | None,
    problems: ProblemCollector,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in config.registers.items():
        if name not in KNOWN_REGISTERS:
            problems.add(
                "config",
                f"[registers.{name}]: unknown register",
                field=f"registers.{name}",
                hint=f"known registers: {', '.join(KNOWN_REGISTERS)}",
            )
            continue
        if grid is None or hierarchy is None:
            continue  # the units or the grid are unusable: reported already
        with problems.section():
            path = config.resolve(spec.path)
            if name == "lakes":
                out[name] = read_lakes(spec, path, grid.crs)
            else:
                out[name] = read_reservoirs(spec, path, grid.crs, set(hierarchy.frame.index))
    return out


# --------------------------------------------------------------------------------------------
# Checks that read pixels
# --------------------------------------------------------------------------------------------


def _check_data(plan: RunPlan, problems: ProblemCollector) -> None:
    """Read every layer once: land-cover codes and pixel counts, value ranges, missing data."""
    from gepkit.inputs import read_layer  # local import: inputs depends on this module's types

    mask = plan.zones.region_mask
    region_cells = int(mask.sum())
    tasks: dict[str, Any] = {}
    for (name, year), source in plan.sources.items():
        layer = read_layer(plan, source).data
        key = f"{name}:{year}"
        if LAYERS[name].kind == "categorical":
            codes = dsa.where(dsa.isnan(layer), -1, layer).astype("int64")
            tasks[key] = dsa.unique(dsa.where(mask, codes, OUTSIDE), return_counts=True)
        else:
            inside = dsa.where(mask, layer, np.nan)
            tasks[key] = (
                dsa.nanmin(inside),
                dsa.nanmax(inside),
                dsa.nanmean(inside),
                (dsa.isnan(layer) & mask).sum(),
            )
    (results,) = dask.compute(tasks)
    for (name, year), source in plan.sources.items():
        key = f"{name}:{year}"
        where = f"layer '{name}' ({source.path.name})"
        if LAYERS[name].kind == "categorical":
            codes, counts = results[key]
            keep = codes != OUTSIDE
            codes, counts = codes[keep], counts[keep]
            _check_landcover(
                plan,
                name,
                year,
                dict(zip(codes.tolist(), counts.tolist(), strict=True)),
                region_cells,
                where,
                problems,
            )
            continue
        low, high, mean, missing = (float(v) for v in results[key])
        cells = region_cells * len(source.bands)
        share = missing / cells if cells else 1.0
        plan.layer_stats[key] = {"min": low, "max": high, "mean": mean, "missing_share": share}
        info = LAYERS[name]
        if share > MAX_MISSING_SHARE:
            problems.add(
                where,
                f"{share:.0%} of the region's pixels have no data",
                hint="check the file's extent, nodata value and CRS",
            )
            continue
        # Missing data inside the region is reported per item and unit (gaps.csv), where the
        # item's ecosystem scope is known: NPP is missing over open water, which no item needs.
        if info.plausible and (low < info.plausible[0] or high > info.plausible[1]):
            problems.add(
                where,
                f"values from {low:.4g} to {high:.4g} {info.units} lie outside the "
                f"plausible range {info.plausible[0]:g}–{info.plausible[1]:g} {info.units} "
                f"of {info.description}",
                field="units",
                hint=f"check the declared unit ('{source.declared_units}'), scale and nodata",
            )


def _check_landcover(
    plan: RunPlan,
    name: str,
    year: int,
    counts: dict[int, int],
    region_cells: int,
    where: str,
    problems: ProblemCollector,
) -> None:
    missing = counts.pop(-1, 0)
    if name == "landcover":
        plan.landcover_counts[year] = counts
    unmapped = {c: n for c, n in counts.items() if c not in plan.crosswalk.mapping}
    if unmapped:
        listed = ", ".join(f"{c} ({n} px)" for c, n in sorted(unmapped.items()))
        problems.add(
            where,
            f"land-cover code(s) with no entry in the crosswalk "
            f"{plan.crosswalk.path.name}: {listed}",
            field="crosswalk",
            hint="add these codes to a copy of the crosswalk and point "
            "[inputs.landcover] crosswalk at it, or set the file's nodata value",
        )
    share = missing / region_cells if region_cells else 1.0
    if share > MAX_MISSING_SHARE:
        problems.add(
            where,
            f"{share:.0%} of the region's pixels have no land-cover class",
            hint="check the file's extent and nodata value",
        )
    elif share > WARN_MISSING_SHARE:
        plan.warnings.append(
            Problem(
                where=where,
                message=f"{share:.2%} of the region's pixels have "
                "no land-cover class; raster items are missing there",
            )
        )
    # Every land cover of the year (the current one, and a baseline for stock changes) needs
    # its ecosystem codes in the tables an item uses: the present codes are their union.
    present = {plan.crosswalk.mapping[c] for c in counts if c in plan.crosswalk.mapping}
    plan.present_codes[year] = frozenset(present | plan.present_codes.get(year, frozenset()))


def _dry_run_items(plan: RunPlan, year: int, problems: ProblemCollector) -> None:
    """Build every item's lazy result once so that table, parameter and unit problems surface."""
    from gepkit.inputs import year_context  # local import, see _check_data

    context = year_context(plan, year)
    # Every component is priced on every basis, so that a price index lacking a year the run
    # needs is reported here, not half-way through the computation.
    pricing = ProblemCollector()
    for item_id in plan.items:
        result: ItemResult | None = None
        with problems.section():
            result = build_item(plan, context, item_id)
        for component in result.components if result is not None else []:
            with pricing.section():
                price_components([component], valuation=plan.valuation, year=year)
    if plan.config.valuation.deduct_imports and not plan.book.rows("imports", year).empty:
        with pricing.section():
            plan.valuation.factors(
                year=year,
                record=None,
                index=plan.valuation.series("imports", "cpi_cn"),
                label="imports",
            )
    problems.extend(dict.fromkeys(pricing.problems))  # prices sharing a year: reported once


def build_item(plan: RunPlan, ctx: ItemContext, item_id: str) -> ItemResult:
    """The item's lazy result for the context's year: computed by its model, or from the
    physical quantities supplied for it."""
    item, options = plan.items[item_id], plan.options[item_id]
    rows = plan.supplied.get(ctx.year, {}).get(item_id)
    if rows is not None:
        return item.supplied(ctx.fresh(), options, rows)
    return item.compute(ctx.fresh(), options)
