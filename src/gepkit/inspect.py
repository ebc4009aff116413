"""`gep inspect`: what every input of a config looks like against its region.

For each configured input — the units, every layer and year, the land cover with its crosswalk,
the statistics workbook and single statistics, the registers and the tables — the report gives
what the file is (CRS, resolution, size, data type, nodata), how it meets the region (extent
coverage, missing data inside the region, value range inside the region, land-cover classes),
the units declared, found in the file and expected by the models, the resampling that will be
used, and *findings* a user can act on.

The steps are validation's own (:mod:`gepkit.plan`: item selection, the layers the items need,
units and grid, each layer's source, the catalogue and crosswalk, the statistics readers and the
registers), run so that a problem in one input does not hide the others: what `gep validate`
refuses is an *error* here, what it accepts but looks wrong is a *warning*, the rest are *notes*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import dask
import dask.array as dsa
import numpy as np
import pyogrio
import pyproj

from gepkit import boundaries
from gepkit import units as u
from gepkit.catalogue.book import Catalogue
from gepkit.catalogue.domains import DOMAINS
from gepkit.catalogue.landcover import schemes_fitting
from gepkit.catalogue.tables import Crosswalk
from gepkit.config import LayerSpec, RunConfig
from gepkit.encoding import value_problems
from gepkit.errors import InputError, Problem, ProblemCollector
from gepkit.grid import AccountingGrid
from gepkit.inputs import read_source
from gepkit.io.rasters import RasterInfo, coverage_fraction, inspect_raster
from gepkit.io.registers import KNOWN_REGISTERS, read_lakes, read_reservoirs
from gepkit.io.statistics import read_statistic
from gepkit.io.workbook import read_statistics
from gepkit.items import ItemOptions
from gepkit.layers import LAYERS, LayerInfo
from gepkit.plan import (
    MAX_MISSING_SHARE,
    OUTSIDE,
    WARN_MISSING_SHARE,
    LayerSource,
    _layer_source,
    _needed_layers,
    _select_items,
    _units_and_grid,
)
from gepkit.zones import UnitHierarchy, Zones, rasterise_units

Severity = Literal["error", "warning", "note"]
_LEVEL_ORDER = {"province": 0, "city": 1, "county": 2, "township": 3}

#: A source pixel larger than this many grid cells (side) is "coarser than the grid".
COARSE_FACTOR = 1.5
#: Values that files often use for "no data" without declaring it.
NODATA_SENTINELS = (-9999.0, -999.0, -32768.0, -32767.0, 32767.0, 65535.0, -3.4028234663852886e38)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    subject: str
    """The input concerned: ``units``, ``layer dem (2020)``, ``workbook`` …"""
    message: str
    hint: str = ""

    @classmethod
    def of(cls, problem: Problem, severity: Severity, subject: str, own: bool = False) -> Finding:
        """A problem as a finding; ``own``: the problem is about the subject itself (its
        ``where`` names the subject again and is left out)."""
        field = f"[{problem.field}] " if problem.field else ""
        if own:
            message = problem.message
        elif problem.where == subject:
            message = field + problem.message
        else:
            message = f"{problem.where} {field}".rstrip() + f": {problem.message}"
        return cls(severity, subject, message, problem.hint or "")


@dataclass
class LayerReport:
    name: str
    years: list[int]
    path: str | None
    used_by: list[str]
    kind: str
    model_units: str
    description: str = ""
    derived: str = ""
    """How the layer is made when it is not read from a file."""
    declared_units: str | None = None
    file_units: str | None = None
    crs: str | None = None
    crs_name: str | None = None
    geographic: bool | None = None
    resolution: float | None = None
    """Pixel width in the file's CRS units (degrees or metres)."""
    pixel_m: float | None = None
    """Approximate pixel side in metres (on the grid)."""
    width: int | None = None
    height: int | None = None
    bands: int | None = None
    bands_used: list[int] = field(default_factory=list)
    dtype: str | None = None
    nodata: float | None = None
    coverage: float | None = None
    """Share of the region's bounding box inside the file's extent."""
    missing_share: float | None = None
    """Share of the region's cells (× bands) without data."""
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    """Inside the region, in the model unit."""
    resampling: str | None = None
    product: str | None = None
    """The product preset that gives the file's encoding, if any."""
    step: str | None = None
    """Time step of the file's bands (``annual``, ``monthly``, ``8day`` …)."""
    classes: list[dict[str, Any]] = field(default_factory=list)
    """Categorical layers: code, name, ecosystem code and name, pixels, share inside the region."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def label(self) -> str:
        years = ", ".join(str(y) for y in self.years)
        return f"layer {self.name} ({years})" if years else f"layer {self.name}"


@dataclass
class InspectReport:
    config: str
    region: dict[str, Any]
    grid: dict[str, Any] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)
    layers: list[LayerReport] = field(default_factory=list)
    workbook: dict[str, Any] | None = None
    statistics: list[dict[str, Any]] = field(default_factory=list)
    registers: list[dict[str, Any]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Findings that belong to no layer (config, units, statistics, registers, tables)."""

    def all_findings(self) -> list[Finding]:
        return [*self.findings, *(f for layer in self.layers for f in layer.findings)]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.all_findings() if f.severity == severity)

    @property
    def exit_code(self) -> int:
        """0 when nothing stops a run (warnings and notes only), 2 otherwise."""
        return 2 if self.count("error") else 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = {
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "notes": self.count("note"),
        }
        data["exit_code"] = self.exit_code
        return _json_ready(data)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def config_error_report(path: Path, problems: list[Problem]) -> dict[str, Any]:
    """The JSON report of a config that cannot be read at all."""
    report = InspectReport(config=str(path), region={})
    report.findings = [Finding.of(p, "error", "config") for p in problems]
    return report.as_dict()


# --------------------------------------------------------------------------------------------


def inspect_config(config: RunConfig) -> InspectReport:
    """Inspect every input of ``config``; never raises for a problem of the inputs."""
    report = InspectReport(
        config=str(config.source_path or ""),
        region={"name": config.region.name, "code": config.region.code},
    )
    problems = ProblemCollector()
    _, items, options, _ = _select_items(config, problems)
    report.items = list(items)
    derivations: dict[str, Any] = {}
    _needed_layers(config, items, options, problems, derivations=derivations)
    report.findings += [Finding.of(p, "error", "config") for p in problems.problems]
    users = _layer_users(items, options, set(config.inputs))
    derived_from: dict[str, tuple[str, ...]] = {}
    for name, derivation in derivations.items():
        derived_from[name] = tuple(getattr(derivation, "inputs", ()))
        for origin in derived_from[name]:
            users.setdefault(origin, []).append(f"{name} (derived)")

    grid, hierarchy, zones = _inspect_units(config, report)
    catalogue = crosswalk = None
    try:
        catalogue = Catalogue.load(config)
    except InputError as err:
        report.findings += [Finding.of(p, "error", "tables") for p in err.problems]
    if catalogue is not None and "landcover" in config.inputs:
        scheme = config.inputs["landcover"].crosswalk
        if scheme:
            try:
                crosswalk = catalogue.crosswalk(scheme, config.base_dir)
            except InputError as err:
                report.findings += [Finding.of(p, "error", "crosswalk") for p in err.problems]
            else:
                report.findings += [
                    Finding.of(p, "warning", "crosswalk")
                    for p in getattr(crosswalk, "warnings", [])
                ]
    _inspect_layers(config, report, users, grid, hierarchy, zones, crosswalk, catalogue)
    for layer in report.layers:
        if layer.name in derived_from and layer.derived:
            layer.derived += f" from {', '.join(derived_from[layer.name])}"
    _inspect_statistics(config, report, hierarchy)
    _inspect_registers(config, report, grid, hierarchy)
    _inspect_tables(config, report)
    return report


def _layer_users(
    items: Mapping[str, Any], options: Mapping[str, ItemOptions], configured: set[str]
) -> dict[str, list[str]]:
    """Layer → the items of the run that read it; a layer derived from another (annual from
    monthly precipitation) when it is not configured counts for the one it comes from."""
    users: dict[str, list[str]] = {"landcover": ["every item"]}
    for item_id, item in items.items():
        if item_id not in options:
            continue
        own = options[item_id]
        for name in [*item.layers(own, options), *item.optional_layers(own)]:
            info = LAYERS.get(name)
            users.setdefault(name, []).append(item_id)
            if info is not None and info.derive_from and name not in configured:
                users.setdefault(info.derive_from, []).append(f"{item_id} (as {name})")
    return {k: list(dict.fromkeys(v)) for k, v in users.items()}


# -- units ----------------------------------------------------------------------------------


def _inspect_units(
    config: RunConfig, report: InspectReport
) -> tuple[AccountingGrid | None, UnitHierarchy | None, Zones | None]:
    path = config.resolve(config.units.path)
    info: dict[str, Any] = {"path": str(path)}
    report.units = info
    try:
        grid, hierarchy, warnings = _units_and_grid(config, path)
    except InputError as err:
        report.findings += [Finding.of(p, "error", "units") for p in err.problems]
        return None, None, None
    report.findings += [Finding.of(p, "warning", "units") for p in warnings]
    try:
        file_info = pyogrio.read_info(path, layer=config.units.layer)
        info["crs"] = _crs_label(pyproj.CRS.from_user_input(file_info["crs"]))
        info["features"] = int(file_info["features"])
    except Exception:
        info["crs"] = None
    frame = hierarchy.frame
    leaves = hierarchy.geometries[hierarchy.leaves]
    lon_lat = leaves.to_crs("EPSG:4326").total_bounds
    info.update(
        {
            "units": len(frame),
            "leaves": len(hierarchy.leaves),
            "by_level": {
                str(k): int(v)
                for k, v in sorted(
                    frame.groupby("level").size().items(),
                    key=lambda kv: (_LEVEL_ORDER.get(str(kv[0]), len(_LEVEL_ORDER)), str(kv[0])),
                )
            },
            "top": [
                f"{code} {frame.at[code, 'name']}"
                for code in frame.index[frame["parent_code"] == ""]
            ],
            "area_km2": float(frame.loc[hierarchy.leaves, "area_km2"].sum()),
            "bounds_lonlat": [round(float(v), 4) for v in lon_lat],
        }
    )
    label = _crs_label(grid.crs)
    report.grid = {
        "crs": (
            f"{config.grid.crs} ({label})"
            if len(config.grid.crs) < 30 and not config.grid.crs.upper().startswith("EPSG")
            else label
        ),
        "resolution_m": grid.resolution,
        "width": grid.width,
        "height": grid.height,
        "equal_area": grid.is_equal_area,
    }
    zones, zone_warnings = rasterise_units(hierarchy, grid)
    report.findings += [Finding.of(p, "warning", "units") for p in zone_warnings]
    info["cells"] = int(zones.region_mask.sum())
    units = hierarchy.geometries.reset_index()
    units = units.rename(columns={units.columns[0]: "code"})
    comparison = None
    try:
        comparison = boundaries.compare_with_reference(units)
    except Exception:
        comparison = None
    if comparison is not None:
        info["reference"] = comparison.as_dict()
        east, north = comparison.offset_m
        if comparison.looks_gcj02:
            report.findings.append(
                Finding(
                    "warning",
                    "units",
                    f"the units look shifted like GCJ-02 (火星坐标) data: moved back by the "
                    f"GCJ-02 offset here ({east:+.0f} m east, {north:+.0f} m north) they fit the "
                    f"shipped Tianditu boundaries better (mean IoU {comparison.iou:.3f} → "
                    f"{comparison.iou_if_gcj02:.3f}, {comparison.compared} units compared)",
                    "convert the file from GCJ-02 to WGS84 (Amap/Tencent data are GCJ-02), or "
                    "start from the shipped boundaries (gep init)",
                )
            )
        elif comparison.iou < 0.9:
            report.findings.append(
                Finding(
                    "note",
                    "units",
                    f"{comparison.matched} unit(s) have codes of the shipped boundaries but "
                    f"overlap them little (mean IoU {comparison.iou:.2f}): other outlines, another "
                    "vintage of the codes, or another CRS",
                )
            )
    return grid, hierarchy, zones


def _crs_label(crs: pyproj.CRS | None) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg(min_confidence=90)
    name = crs.name or ""
    if name in ("", "unknown"):  # a PROJ string: name the projection and the datum
        operation = crs.coordinate_operation
        name = operation.method_name if operation is not None else crs.type_name
        if crs.datum is not None and crs.datum.name not in ("", "unknown"):
            name += f", {crs.datum.name}"
    return f"EPSG:{epsg} ({name})" if epsg else name


# -- layers ---------------------------------------------------------------------------------


@dataclass
class _Pending:
    report: LayerReport
    source: LayerSource
    info: LayerInfo


def _inspect_layers(
    config: RunConfig,
    report: InspectReport,
    users: dict[str, list[str]],
    grid: AccountingGrid | None,
    hierarchy: UnitHierarchy | None,
    zones: Zones | None,
    crosswalk: Crosswalk | None,
    catalogue: Catalogue | None,
) -> None:
    region = tuple(hierarchy.geometries[hierarchy.leaves].total_bounds) if hierarchy else None
    pending: list[_Pending] = []
    for name, spec in config.inputs.items():
        info = LAYERS.get(name)
        if info is None:
            continue  # reported by the config checks
        for path_text, years in _files(config, spec).items():
            layer = LayerReport(
                name=name,
                years=years,
                path=str(config.resolve(path_text)) if path_text else None,
                used_by=users.get(name, []),
                kind=info.kind,
                model_units=info.units,
                description=info.description,
                declared_units=spec.units,
            )
            report.layers.append(layer)
            if not layer.used_by:
                layer.findings.append(
                    Finding(
                        "note",
                        layer.label,
                        "no item of this run uses the layer: `gep validate` does not read it",
                    )
                )
            derive = getattr(spec, "derive", None)
            if derive:
                layer.derived = f"derive = '{derive}'"
                continue
            if path_text is None:
                layer.findings.append(
                    Finding(
                        "error",
                        layer.label,
                        f"no file given for {', '.join(map(str, years))}",
                        "give path (it may contain {year}) or by_year",
                    )
                )
                continue
            source = _source(config, name, years[0], grid, region, layer)
            if source is None or grid is None or zones is None:
                continue
            _describe_grid_fit(layer, source, info, grid, region)
            pending.append(_Pending(layer, source, info))
    for name, info in LAYERS.items():
        origin = info.derive_from
        if name in config.inputs or not origin or origin not in config.inputs:
            continue
        if name in users:
            layer = LayerReport(
                name=name,
                years=list(config.run.years),
                path=None,
                used_by=users[name],
                kind=info.kind,
                model_units=info.units,
                description=info.description,
                derived=f"derived from {origin}",
            )
            report.layers.append(layer)
    if pending and zones is not None and grid is not None:
        _read_values(config, pending, grid, zones, crosswalk, catalogue)


def _files(config: RunConfig, spec: LayerSpec) -> dict[str | None, list[int]]:
    """File → the accounting years it serves (one entry for a file used in every year)."""
    out: dict[str | None, list[int]] = {}
    for year in config.run.years:
        out.setdefault(spec.path_for(year), []).append(year)
    return out


def _source(
    config: RunConfig,
    name: str,
    year: int,
    grid: AccountingGrid | None,
    region: tuple[float, ...] | None,
    layer: LayerReport,
) -> LayerSource | None:
    """The layer's source as validation builds it, its problems as findings; the header alone
    when the units are unusable."""
    if grid is None or region is None:
        try:
            raster = inspect_raster(Path(layer.path or ""), layer.label)
        except InputError as err:
            layer.findings += [Finding.of(p, "error", layer.label) for p in err.problems]
            return None
        _describe_header(layer, raster, None)
        return None
    collected: list[Problem] = []
    try:
        source = _layer_source(config, name, year, grid, region, collected)
    except InputError as err:
        layer.findings += [Finding.of(p, "error", layer.label, _own(p, name)) for p in err.problems]
        return None
    layer.findings += [Finding.of(p, "error", layer.label, _own(p, name)) for p in collected]
    layer.findings += [
        Finding.of(p, "warning", layer.label, _own(p, name))
        for p in getattr(source, "warnings", ())
    ]
    _describe_header(layer, source.info, grid)
    encoding = getattr(source, "encoding", None)
    if encoding is not None:
        layer.product = encoding.product
        layer.step = encoding.step
    layer.bands_used = list(source.bands)
    layer.declared_units = source.spec.units
    layer.resampling = source.resampling
    if source.spec.nodata is not None:
        layer.nodata = source.spec.nodata
    return source


def _own(problem: Problem, name: str) -> bool:
    return problem.where.startswith(f"layer '{name}'")


def _describe_header(layer: LayerReport, raster: RasterInfo, grid: AccountingGrid | None) -> None:
    crs = raster.crs
    layer.crs = crs.to_string()
    layer.crs_name = _crs_label(crs)
    layer.geographic = bool(crs.is_geographic)
    layer.resolution = abs(float(raster.transform.a))
    layer.width, layer.height, layer.bands = raster.width, raster.height, raster.count
    layer.dtype = raster.dtype
    layer.nodata = raster.nodata
    layer.file_units = raster.units
    if grid is not None:
        try:
            layer.pixel_m = float(raster.pixel_size_in(grid))
        except InputError:
            layer.pixel_m = None


def _describe_grid_fit(
    layer: LayerReport,
    source: LayerSource,
    info: LayerInfo,
    grid: AccountingGrid,
    region: tuple[float, ...] | None,
) -> None:
    if region is not None:
        layer.coverage = float(coverage_fraction(source.info, region, grid.crs))  # type: ignore[arg-type]
    declared, found = source.spec.units, source.info.units
    if declared and found and not _same_units(declared, found):
        layer.findings.append(
            Finding(
                "warning",
                layer.label,
                f"the file says its unit is '{found}', the config declares '{declared}': the "
                "config wins",
                "check which is right; remove units from the config to use the file's",
            )
        )
    if layer.pixel_m is None:
        return
    ratio = layer.pixel_m / grid.resolution
    size = _length(layer.pixel_m)
    cell = _length(grid.resolution)
    if ratio > COARSE_FACTOR:
        if info.kind == "categorical":
            what = f"each source pixel fills about {ratio**2:,.0f} grid cells ({source.resampling})"
        else:
            what = f"values will be interpolated ({source.resampling}); detail finer than {size} is absent"
        layer.findings.append(
            Finding(
                "warning",
                layer.label,
                f"resolution {size} is coarser than the {cell} grid: {what}",
                "use a finer product where one exists; results per pixel are no sharper than "
                "the coarsest input",
            )
        )
    elif ratio < 0.5:
        how = "the most frequent class" if info.kind == "categorical" else "the average"
        layer.findings.append(
            Finding(
                "note",
                layer.label,
                f"resolution {size} is finer than the {cell} grid: each cell takes {how} of "
                f"about {1 / ratio**2:,.0f} source pixels ({source.resampling})",
            )
        )


def _same_units(a: str, b: str) -> bool:
    try:
        return u.same_units(a, b)
    except InputError:
        return a.strip() == b.strip()


def _length(metres: float) -> str:
    return f"{metres / 1000:.3g} km" if metres >= 1000 else f"{metres:.3g} m"


def _read_values(
    config: RunConfig,
    pending: list[_Pending],
    grid: AccountingGrid,
    zones: Zones,
    crosswalk: Crosswalk | None,
    catalogue: Catalogue | None,
) -> None:
    """Read every layer once, in one dask computation: classes and counts, or value range and
    missing data, inside the region."""
    mask = zones.region_mask
    cells = int(mask.sum())
    tasks: list[Any] = []
    for item in pending:
        data = read_source(item.source, grid, config.run.chunk).data
        if item.info.kind == "categorical":
            codes = dsa.where(dsa.isnan(data), -1, data).astype("int64")
            tasks.append(dsa.unique(dsa.where(mask, codes, OUTSIDE), return_counts=True))
        else:
            inside = dsa.where(mask, data, np.nan)
            tasks.append(
                (
                    dsa.nanmin(inside),
                    dsa.nanmax(inside),
                    dsa.nanmean(inside),
                    (dsa.isnan(data) & mask).sum(),
                    data.shape[0] if data.ndim == 3 else 1,
                )
            )
    with np.errstate(all="ignore"):
        (results,) = dask.compute(tasks)
    for item, result in zip(pending, results, strict=True):
        if item.info.kind == "categorical":
            _landcover_findings(item, result, cells, crosswalk, catalogue)
        else:
            _value_findings(item, result, cells)


def _landcover_findings(
    item: _Pending,
    result: tuple[np.ndarray, np.ndarray],
    cells: int,
    crosswalk: Crosswalk | None,
    catalogue: Catalogue | None,
) -> None:
    layer = item.report
    codes, counts = result
    keep = codes != OUTSIDE
    found = dict(zip(codes[keep].tolist(), counts[keep].tolist(), strict=True))
    missing = found.pop(-1, 0)
    fill = set(getattr(crosswalk, "nodata", frozenset())) if crosswalk is not None else set()
    missing += sum(found.pop(c) for c in sorted(fill & set(found)))
    layer.missing_share = missing / cells if cells else None
    _missing_findings(layer, "land-cover class")
    mapping = crosswalk.mapping if crosswalk is not None else {}
    names = crosswalk.source_names if crosswalk is not None else {}
    total = sum(found.values()) + missing
    for code, n in sorted(found.items(), key=lambda kv: -kv[1]):
        eco = mapping.get(code)
        layer.classes.append(
            {
                "code": int(code),
                "name": names.get(code, ""),
                "ecosystem_code": eco,
                "ecosystem": catalogue.classes.name(eco, "zh") if catalogue and eco else "",
                "pixels": int(n),
                "share": n / total if total else 0.0,
            }
        )
    if crosswalk is None:
        return
    unmapped = {c: n for c, n in found.items() if c not in mapping}
    if unmapped:
        listed = ", ".join(f"{c} ({n:,} px)" for c, n in sorted(unmapped.items()))
        fits = schemes_fitting(found, exclude=crosswalk.name)
        layer.findings.append(
            Finding(
                "error",
                layer.label,
                f"land-cover codes without crosswalk entry in {crosswalk.path.name}: {listed}",
                (
                    f"the codes present fit the shipped crosswalk(s) {', '.join(fits)}: check "
                    "which product the file is; otherwise "
                    if fits
                    else ""
                )
                + "add them to a copy of the crosswalk and point [inputs.landcover] crosswalk at "
                "it, or set the file's nodata value",
            )
        )


def _value_findings(item: _Pending, result: tuple[Any, ...], region_cells: int) -> None:
    layer, source, info = item.report, item.source, item.info
    low, high, mean, missing, bands = (float(v) for v in result)
    cells = region_cells * bands
    layer.minimum, layer.maximum, layer.mean = (
        (low, high, mean) if math.isfinite(mean) else (None, None, None)
    )
    layer.missing_share = missing / cells if cells else None
    _missing_findings(layer, "value")
    if layer.mean is None or (layer.missing_share or 0.0) > MAX_MISSING_SHARE:
        return
    raw_low = (low - source.offset) / source.scale if source.scale else low
    if source.spec.nodata is None and source.info.nodata is None:
        for sentinel in NODATA_SENTINELS:
            if math.isclose(raw_low, sentinel, rel_tol=1e-6):
                layer.findings.append(
                    Finding(
                        "warning",
                        layer.label,
                        f"the smallest value, {sentinel:g}, looks like an undeclared nodata value",
                        f"set nodata = {sentinel:g} in [inputs.{layer.name}]",
                    )
                )
                break
    if not getattr(source.spec, "check_values", True):
        return
    # The checks of `gep validate` (gepkit.encoding): outside the plausible range, or a mean
    # that another unit or scale would make typical, is an error; an unusual mean a warning.
    encoding = source.encoding
    uniform = encoding is not None and encoding.uniform
    errors, warnings = value_problems(
        layer.name,
        info,
        low,
        high,
        mean,
        layer.label,
        declared=source.declared_units,
        conversion=(encoding.factors[0], encoding.shift) if uniform and encoding else None,
        scale=encoding.scale[0] if encoding is not None else 1.0,
    )
    layer.findings += [Finding.of(p, "error", layer.label, own=True) for p in errors]
    layer.findings += [Finding.of(p, "warning", layer.label, own=True) for p in warnings]


def _missing_findings(layer: LayerReport, what: str) -> None:
    share = layer.missing_share
    if share is None:
        return
    if share > MAX_MISSING_SHARE:
        layer.findings.append(
            Finding(
                "error",
                layer.label,
                f"{_pct(share)} of the region's cells have no {what}",
                "check the file's extent, nodata value and CRS",
            )
        )
    elif share > WARN_MISSING_SHARE:
        layer.findings.append(
            Finding(
                "warning",
                layer.label,
                f"no {what} on {_pct(share)} of the region's cells: items leave those cells out "
                "(counted in gaps.csv)",
                "fine over water for NPP and the like; otherwise check nodata and extent",
            )
        )


def _pct(share: float) -> str:
    """93 %, 2.6 %, 0.31 %: at least two significant digits."""
    percent = share * 100
    text = f"{percent:.0f}" if percent >= 10 else f"{percent:.2g}"
    return f"{text} %"


def _num(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.4g}"
    return f"{value:.3g}"


# -- statistics, registers, tables ----------------------------------------------------------


def _inspect_statistics(
    config: RunConfig, report: InspectReport, hierarchy: UnitHierarchy | None
) -> None:
    spec = config.workbook
    if spec is not None:
        path = config.resolve(spec.path)
        entry: dict[str, Any] = {"path": str(path), "sheets": []}
        report.workbook = entry
        if hierarchy is None:
            entry["read"] = False
            report.findings.append(
                Finding("note", "workbook", "not read: the units file is not usable")
            )
        else:
            try:
                book, warnings = read_statistics(
                    path, hierarchy, check_magnitudes=spec.check_magnitudes
                )
            except InputError as err:
                entry["read"] = False
                report.findings += [Finding.of(p, "error", "workbook") for p in err.problems]
            else:
                entry["read"] = True
                empty = all(frame.empty for frame in book.frames.values())
                report.findings += [
                    Finding.of(p, "warning", "workbook")
                    for p in warnings
                    # A template not filled in yet: one note below instead of one per sheet.
                    if not (empty and "holds no values" in p.message)
                ]
                for domain_id, frame in book.frames.items():
                    domain = DOMAINS.get(domain_id)
                    fields = [f.id for f in domain.fields] if domain else []
                    filled = [f for f in fields if f in frame.columns and frame[f].notna().any()]
                    years = sorted({int(y) for y in frame["year"].dropna()})
                    entry["sheets"].append(
                        {
                            "sheet": domain_id,
                            "name": domain.name_zh if domain else "",
                            "rows": len(frame),
                            "units": int(frame["code"].nunique()) if "code" in frame else 0,
                            "years": years,
                            "every_year_rows": int(frame["year"].isna().sum()),
                            "fields": filled,
                        }
                    )
                if empty:
                    report.findings.append(
                        Finding(
                            "note",
                            "workbook",
                            "the workbook holds no figures yet",
                            "fill it in (docs/statistics.md); `gep validate` names what the "
                            "items need",
                        )
                    )
    known = set(hierarchy.frame.index) if hierarchy is not None else None
    for name, single in config.statistics.items():
        path = config.resolve(single.path)
        row: dict[str, Any] = {"name": name, "path": str(path), "units": single.units}
        try:
            frame = read_statistic(name, single, path, known)
        except InputError as err:
            row["read"] = False
            report.findings += [Finding.of(p, "error", f"statistics.{name}") for p in err.problems]
        else:
            row.update(
                {"read": True, "rows": len(frame), "unit_codes": int(frame["code"].nunique())}
            )
        report.statistics.append(row)


def _inspect_registers(
    config: RunConfig,
    report: InspectReport,
    grid: AccountingGrid | None,
    hierarchy: UnitHierarchy | None,
) -> None:
    for name, spec in config.registers.items():
        path = config.resolve(spec.path)
        row: dict[str, Any] = {"name": name, "path": str(path)}
        report.registers.append(row)
        if name not in KNOWN_REGISTERS:
            continue  # reported by the config checks
        if grid is None or hierarchy is None:
            row["read"] = False
            continue
        try:
            if name == "lakes":
                lakes = read_lakes(spec, path, grid.crs)
                row.update(
                    {
                        "read": True,
                        "features": len(lakes),
                        "area_km2": float(lakes["area_km2"].sum()),
                    }
                )
            else:
                reservoirs = read_reservoirs(spec, path, grid.crs, set(hierarchy.frame.index))
                row.update(
                    {
                        "read": True,
                        "features": len(reservoirs),
                        "total_capacity_m3": float(reservoirs["total_capacity_m3"].sum()),
                        "located": int(reservoirs["x"].notna().sum()),
                    }
                )
        except InputError as err:
            row["read"] = False
            report.findings += [Finding.of(p, "error", f"registers.{name}") for p in err.problems]


def _inspect_tables(config: RunConfig, report: InspectReport) -> None:
    for name, text in config.tables.items():
        path = config.resolve(text)
        report.tables.append({"name": name, "path": str(path), "exists": path.is_file()})
