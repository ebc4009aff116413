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
from pydantic import ValidationError

from gepkit.catalogue.book import Catalogue
from gepkit.catalogue.items import ITEMS
from gepkit.catalogue.landcover import schemes_fitting, shipped_crosswalk_names
from gepkit.catalogue.profiles import PROFILES, Profile
from gepkit.catalogue.tables import Crosswalk
from gepkit.config import LayerSpec, RunConfig
from gepkit.derived import MODELS, Derivation, models_for
from gepkit.double_counting import Finding, review
from gepkit.encoding import (
    Encoding,
    product_preset,
    raw_encoding,
    resolve_encoding,
    value_problems,
)
from gepkit.errors import ConfigError, InputError, Problem, ProblemCollector
from gepkit.grid import AccountingGrid, require_metric, resolve_crs
from gepkit.io.hashing import sha256_file
from gepkit.io.rasters import RasterInfo, choose_resampling, coverage_fraction, inspect_raster
from gepkit.io.registers import KNOWN_REGISTERS, read_lakes, read_reservoirs
from gepkit.io.statistics import read_statistic
from gepkit.io.vectors import read_units
from gepkit.io.workbook import read_statistics
from gepkit.items import IMPLEMENTED, Item, ItemContext, ItemOptions, ItemResult
from gepkit.layer_stats import layer_stats
from gepkit.layer_stats import unpack as unpack_stats
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
#: Key of the continuous layers' statistics among the check's results.
STATS = "__layer_stats__"


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
    encoding: Encoding | None = None
    """How the file's values become the layer's (product preset, stack, fills, unit factors)."""
    warnings: tuple[Problem, ...] = ()

    def describe(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.encoding is not None:
            extra["encoding"] = self.encoding.describe()
            if self.encoding.product is not None:
                from gepkit.catalogue.products import preset

                found = preset(self.encoding.product)
                extra["product"] = found.describe() if found is not None else None
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
            **extra,
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
    derivations: dict[str, Derivation] = field(default_factory=dict)
    """Layers computed by a model from other layers (``[inputs.<layer>] derive``), in order."""

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
        derivations: dict[str, Derivation] = {}
        needed, derived = _needed_layers(
            config, modelled, options, layer_problems, derivations=derivations
        )
        sources: dict[tuple[str, int], LayerSource] = {}
        if grid is not None and hierarchy is not None:
            region = tuple(hierarchy.geometries[hierarchy.leaves].total_bounds)
            for name in needed:
                for year in config.run.years:
                    with problems.section():
                        sources[(name, year)] = _layer_source(config, name, year, grid, region)
                        warnings += sources[(name, year)].warnings
        if catalogue is not None:
            with problems.section():
                crosswalk = catalogue.crosswalk(_landcover_crosswalk(config), config.base_dir)
                warnings += crosswalk.warnings
        registers = _registers(config, grid, hierarchy, problems)
        if problems:
            problems.problems.extend(deferred)
        problems.raise_if_any()
    assert catalogue is not None
    assert crosswalk is not None
    assert grid is not None
    assert hierarchy is not None

    with stages.stage("rasterise units"):
        zones, zone_warnings = rasterise_units(hierarchy, grid, config.grid.zone_weighting)
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
        derivations=derivations,
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
    *,
    derivations: dict[str, Derivation] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The layers read from files, and those summed from a monthly stack (``derive_from``);
    ``derivations`` receives the layers computed by a model (``derive``), inputs first."""
    for name, spec in config.inputs.items():
        if name not in LAYERS:
            problems.add(
                "config",
                f"[inputs.{name}]: unknown layer",
                field=f"inputs.{name}",
                hint=f"known layers: {', '.join(LAYERS)}",
            )
        elif spec.derive is not None and (name, spec.derive) not in MODELS:
            known = models_for(name)
            problems.add(
                "config",
                f"[inputs.{name}] derive = '{spec.derive}': no such model for {name}",
                field=f"inputs.{name}.derive",
                hint=(f"models for {name}: {', '.join(known)}" if known else
                      f"no model derives '{name}': give its file")
                + " (docs/products.md)",
            )  # fmt: skip
    needed = {"landcover"}
    derived: dict[str, str] = {}
    derivations = {} if derivations is None else derivations

    def available(name: str) -> bool:
        info = LAYERS.get(name)
        return name in config.inputs or bool(
            info is not None and info.derive_from and info.derive_from in config.inputs
        )

    def resolve(name: str, needed_by: str, chain: tuple[str, ...]) -> None:
        info = LAYERS[name]
        spec = config.inputs.get(name)
        if spec is not None and spec.derive is not None:
            model = MODELS.get((name, spec.derive))
            if name in derivations or model is None:
                return  # done already, or an unknown model (reported above)
            if name in chain:
                problems.add(
                    "config",
                    f"[inputs.{name}] is derived from itself ({' → '.join((*chain, name))})",
                    field=f"inputs.{name}.derive",
                )
                return
            try:
                chosen = model.Options.model_validate(spec.derive_options)
            except ValidationError as err:
                problems.add(
                    "config",
                    f"[inputs.{name}] derive_options: {err.errors()[0]['msg']} "
                    f"({'.'.join(str(p) for p in err.errors()[0]['loc'])})",
                    field=f"inputs.{name}.derive_options",
                    hint=f"options of derive = '{spec.derive}': "
                    f"{', '.join(model.Options.model_fields) or 'none'} (docs/products.md)",
                )
                return
            inputs = model.inputs(chosen, available)
            for origin in inputs:
                resolve(origin, f"{name} (derive = '{spec.derive}')", (*chain, name))
            derivations[name] = Derivation(
                layer=name, model=model, inputs=tuple(inputs), options=chosen
            )
        elif spec is not None:
            needed.add(name)
        elif info.derive_from and info.derive_from in config.inputs:
            resolve(info.derive_from, needed_by, chain)
            derived[name] = info.derive_from
        else:
            alternative = f" (or [inputs.{info.derive_from}])" if info.derive_from else ""
            models = models_for(name)
            choices = " or ".join(f"'{m}'" for m in models)
            by_model = f", or derive it: derive = {choices} (docs/products.md)" if models else ""
            problems.add(
                "config",
                f"{needed_by} needs the layer '{name}' ({info.description}), "
                f"which is not configured",
                field=f"inputs.{name}",
                hint=f"add [inputs.{name}]{alternative} with the file's path and units{by_model}",
            )

    for item_id, item in items.items():
        if item_id not in options:
            continue  # its options are invalid: already reported
        for name in item.optional_layers(options[item_id]):
            if name in config.inputs:
                resolve(name, item_id, ())
        for name in item.layers(options[item_id], options):
            resolve(name, item_id, ())
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
                hint="set crosswalk = one of the shipped crosswalks ("
                + ", ".join(f"'{n}'" for n in shipped_crosswalk_names())
                + ") or the path of a CSV (source_code, ecosystem_code); see docs/landcover.md",
            )
        )
    return spec.crosswalk


def _layer_source(
    config: RunConfig,
    name: str,
    year: int,
    grid: AccountingGrid,
    region: tuple[float, ...],
    collect: list[Problem] | None = None,
) -> LayerSource:
    """How one layer's file of ``year`` goes onto the grid; raises :class:`InputError` with its
    problems, or, given ``collect`` (`gep inspect`), appends the problems that still leave the
    file readable there and returns the source all the same."""
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
    found = None
    try:
        found = product_preset(name, spec, where)
    except InputError as err:
        if collect is None:
            raise
        collect.extend(err.problems)
    raster = inspect_raster(
        config.resolve(path_text), where, crs=spec.crs or (found.crs if found else None)
    )
    problems = ProblemCollector()
    encoding: Encoding | None = None
    warnings: list[Problem] = []
    try:
        encoding, warnings = resolve_encoding(name, info, spec, raster, year, where, found)
    except InputError as err:
        problems.problems.extend(err.problems)
    fraction = coverage_fraction(raster, region, grid.crs)  # type: ignore[arg-type]
    if fraction < 0.999:
        problems.add(
            where,
            f"{raster.path.name} covers only {fraction:.1%} of the region's extent",
            field="path",
            hint="use a file that covers every unit of the region",
        )
    if collect is None:
        problems.raise_if_any()
    else:
        collect.extend(problems.problems)
    if encoding is None:  # only with collect (`gep inspect`): the file's values as they are
        encoding = raw_encoding(raster, spec, info)
    resampling = choose_resampling(info.kind, raster, grid, spec.resampling)
    return LayerSource(
        name=name,
        year=year,
        path=raster.path,
        info=raster,
        bands=encoding.bands,
        resampling=resampling,
        scale=encoding.band_scale[0],
        offset=encoding.band_offset[0],
        declared_units=encoding.units,
        spec=spec,
        encoding=encoding,
        warnings=tuple(warnings),
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
    """Read every layer once: land-cover codes and pixel counts, value ranges, missing data;
    and compute every derived layer once to check its range (gepkit.layer_stats: one task
    per block for all of them)."""
    # local import: inputs depends on this module's types
    from gepkit.inputs import derive_layers, read_layer

    mask = plan.zones.region_mask
    region_cells = int(mask.sum())
    tasks: dict[str, Any] = {}
    checked: dict[str, tuple[str, int, LayerSource | None]] = {}

    def region(layer: Any) -> Any:
        """The region mask chunked like the layer (sent to distributed workers once)."""
        return plan.zones.constant(mask, layer.chunks[-2:], "zones-region")

    continuous: dict[str, Any] = {}
    bands: dict[str, int] = {}

    def stats(key: str, layer: Any) -> None:
        continuous[key] = layer
        bands[key] = layer.shape[0] if layer.ndim == 3 else 1

    for year in plan.years:
        layers = {}
        for (name, y), layer_source in plan.sources.items():
            if y != year:
                continue
            layers[name] = read_layer(plan, layer_source)
            layer = layers[name].data
            key = f"{name}:{year}"
            checked[key] = (name, year, layer_source)
            if LAYERS[name].kind == "categorical":
                codes = dsa.where(dsa.isnan(layer), -1, layer).astype("int64")
                tasks[key] = dsa.unique(
                    dsa.where(region(layer), codes, OUTSIDE), return_counts=True
                )
            else:
                stats(key, layer)
        if not plan.derived and not plan.derivations:
            continue
        with problems.section():
            every = derive_layers(plan, year, layers)
            for name, layer in every.items():
                if name not in layers:
                    checked[f"{name}:{year}"] = (name, year, None)
                    stats(f"{name}:{year}", layer.data)
    if continuous:
        # blockwise lines up the layers' blocks (they share the grid's chunks)
        tasks[STATS] = layer_stats(continuous, region(next(iter(continuous.values()))))
    with np.errstate(all="ignore"):
        (results,) = dask.compute(tasks)
    described = unpack_stats(list(continuous), results[STATS]) if continuous else {}
    for key, (name, year, source) in checked.items():
        info = LAYERS[name]
        where = (
            f"layer '{name}' ({source.path.name})"
            if source is not None
            else f"derived layer '{name}' ({year})"
        )
        if info.kind == "categorical":
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
        low, high, mean = described[key].low, described[key].high, described[key].mean
        missing = described[key].missing
        cells = region_cells * bands[key]
        share = missing / cells if cells else 1.0
        plan.layer_stats[key] = {"min": low, "max": high, "mean": mean, "missing_share": share}
        if source is None:
            # A derived layer: missing where its inputs are (reported for them); its range
            # catches a wrong input unit or parameter.
            if np.isfinite(mean):
                errors, _ = value_problems(
                    name, info, low, high, mean, where, declared=None, conversion=None
                )
                problems.extend(
                    Problem(
                        where=e.where,
                        field="derive",
                        message=e.message,
                        hint="check the units of the layers it is derived from and the "
                        "model's parameters",
                    )
                    for e in errors
                )
            continue
        if share > MAX_MISSING_SHARE:
            problems.add(
                where,
                f"{share:.0%} of the region's pixels have no data",
                hint="check the file's extent, nodata value and CRS"
                + (
                    ", and the product's fill values and valid range"
                    if source.encoding is not None and source.encoding.product
                    else ""
                ),
            )
            continue
        # Missing data inside the region is reported per item and unit (gaps.csv), where the
        # item's ecosystem scope is known: NPP is missing over open water, which no item needs.
        if not source.spec.check_values:
            continue
        encoding = source.encoding
        uniform = encoding is not None and encoding.uniform
        errors, warns = value_problems(
            name,
            info,
            low,
            high,
            mean,
            where,
            declared=source.declared_units,
            conversion=(encoding.factors[0], encoding.shift) if uniform and encoding else None,
            scale=encoding.scale[0] if encoding is not None else 1.0,
        )
        problems.extend(errors)
        plan.warnings.extend(warns)


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
    # The crosswalk's fill values (ecosystem_code = nodata) are pixels without a class too.
    missing += sum(counts.pop(c) for c in sorted(plan.crosswalk.nodata & set(counts)))
    if name == "landcover":
        plan.landcover_counts[year] = counts
    unmapped = {c: n for c, n in counts.items() if c not in plan.crosswalk.mapping}
    if unmapped:
        listed = ", ".join(f"{c} ({n} px)" for c, n in sorted(unmapped.items()))
        fits = schemes_fitting(counts, exclude=plan.crosswalk.name)
        problems.add(
            where,
            f"land-cover code(s) with no entry in the crosswalk "
            f"{plan.crosswalk.path.name}: {listed}",
            field="crosswalk",
            hint=(
                f"the codes present fit the shipped crosswalk(s) {', '.join(fits)}: check "
                "which product the file is; otherwise "
                if fits
                else ""
            )
            + "add these codes to a copy of the crosswalk and point "
            "[inputs.landcover] crosswalk at it, or set the file's nodata value "
            "(docs/landcover.md)",
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
