"""``gep value-area``: the GEP and the ecological-asset value of any parcel, from a finished run.

A parcel (a forest block, a wetland, a project area: any polygon) is valued from what the run
wrote (docs/outputs.md), never by recomputing the account:

* **items with a map** (the regulating services computed per pixel): Σ over the cells of
  (cell value × fraction of the cell covered by the parcel), the fractions exact polygon–cell
  intersection areas from exactextract, the same arithmetic as the run's coverage weighting
  (``[grid] zone_weighting = "coverage"``), so that a parcel equal to a unit reproduces the
  unit's values (exactly under coverage weighting; under centre weighting up to the boundary
  cells, which the run gave wholly to the unit holding their centre).  The physical quantity
  comes from the quantity maps the same way.  Only the part of the parcel inside the run's
  leaf units counts.  The maps hold current prices: the constant-price value of a piece is its
  current value × the constant/current ratio of the item in the leaf unit it lies in.
* **items without a map** (statistics-based provisioning and cultural items, supplied
  quantities) and **deductions** are allocated from the leaf units the parcel intersects by a
  documented key: ``area`` (parcel area in the unit ÷ the unit's area) or ``ecosystem_area``
  (the parcel's area of the ecosystem types the item comes from ÷ the unit's area of them).

Every row of ``parcels.csv`` names the unit it comes from and the share taken.  The ecological
asset value (methods catalogue §4.4) is in :mod:`gepkit.decisions.asset_value`; the summary
document in :mod:`gepkit.decisions.parcel_summary`.  Users' guide: docs/decisions/value-area.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from rasterio.windows import Window

from gepkit import __version__
from gepkit.catalogue.items import ITEMS
from gepkit.decisions.asset_value import (
    SOURCED,
    AssetSettings,
    Flow,
    Scope,
    Timing,
    annuity_factor,
    check_settings,
    parse_horizon,
    parse_horizons,
    sensitivity,
    user_sources,
)
from gepkit.decisions.run_results import RunResults
from gepkit.errors import InputError, Problem, validation_problem
from gepkit.grid import AccountingGrid
from gepkit.io.hashing import sha256_file
from gepkit.io.toml_files import read_toml
from gepkit.io.vectors import open_vector

Key = Literal["area", "ecosystem_area"]
Lang = Literal["zh", "en"]

CATEGORIES = ("provisioning", "regulating", "cultural")
DEDUCTION = "deduction"
#: Pieces (parcel ∩ unit) and overlaps smaller than this share of the parcel are slivers of the
#: polygon overlay (shared boundaries digitised twice), not land: they are left out.
SLIVER = 1e-9
#: Side of the blocks of cells the coverage fractions are computed in (a parcel larger than a
#: block is handled block by block; a block wholly inside the parcel needs no exactextract).
BLOCK = 512
DOCS = "docs/decisions/value-area.md"


@dataclass(frozen=True)
class Note:
    """A warning in English and Chinese (the summary document is in either)."""

    en: str
    zh: str
    kind: str = ""
    """``demo`` for the demo notice (the summary shows it in a box of its own)."""

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


# --------------------------------------------------------------------------------------------
# Settings (value-area.toml and the command line)
# --------------------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ParcelsSection(_Section):
    id_field: str | None = None
    name_field: str | None = None
    layer: str | None = None
    repair: bool = False


class _AllocationSection(_Section):
    key: Key = "area"


class _AssetSection(_Section):
    discount_rate: float = AssetSettings.discount_rate
    growth_rate: float = AssetSettings.growth_rate
    horizon_years: int | str = 30
    timing: Timing = "start"
    flow: Flow = "latest"
    scope: Scope = "gep"
    sensitivity_rate_step: float = AssetSettings.sensitivity_rate_step
    sensitivity_horizons: list[int | str] = [10, 20, 30, 50, "perpetuity"]

    @field_validator("horizon_years")
    @classmethod
    def _horizon(cls, value: int | str) -> int | str:
        parse_horizon(value)
        return value

    @field_validator("sensitivity_horizons")
    @classmethod
    def _horizons(cls, value: list[int | str]) -> list[int | str]:
        parse_horizons(value)
        return value


class _ReportSection(_Section):
    lang: Lang = "zh"
    title: str | None = None
    top_items: int = 3


class _ConfigFile(_Section):
    parcels: _ParcelsSection = _ParcelsSection()
    allocation: _AllocationSection = _AllocationSection()
    asset: _AssetSection = _AssetSection()
    report: _ReportSection = _ReportSection()


@dataclass(frozen=True)
class ValueAreaSettings:
    """Every setting of a valuation, resolved (file, then command line, then defaults)."""

    id_field: str | None = None
    name_field: str | None = None
    layer: str | None = None
    repair: bool = False
    key: Key = "area"
    asset: AssetSettings = field(default_factory=AssetSettings)
    lang: Lang = "zh"
    title: str | None = None
    top_items: int = 3
    config_path: Path | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "config": str(self.config_path.resolve()) if self.config_path else None,
            "parcels": {
                "id_field": self.id_field,
                "name_field": self.name_field,
                "layer": self.layer,
                "repair": self.repair,
            },
            "allocation": {"key": self.key},
            "asset": self.asset.describe(),
            "report": {"lang": self.lang, "title": self.title, "top_items": self.top_items},
        }


def load_settings(
    config: Path | None = None,
    *,
    id_field: str | None = None,
    lang: str | None = None,
    repair: bool | None = None,
) -> ValueAreaSettings:
    """value-area.toml (optional) with the command line's options on top; all problems at once."""
    where = str(config) if config else "command line"
    data: dict[str, Any] = {}
    if config is not None:
        data = read_toml(
            config,
            missing="settings file not found",
            missing_hint="give the path of a value-area.toml, or leave --config out for the defaults",
        )
    try:
        parsed = _ConfigFile.model_validate(data)
    except ValidationError as err:
        raise InputError([_problem_from(where, e) for e in err.errors()]) from err
    problems: list[Problem] = []
    if lang is not None and lang not in ("zh", "en"):
        problems.append(
            Problem(
                where="command line", field="--lang", message=f"must be zh or en (got {lang!r})"
            )
        )
    a = parsed.asset
    asset = AssetSettings(
        discount_rate=a.discount_rate,
        growth_rate=a.growth_rate,
        horizon_years=parse_horizon(a.horizon_years),
        timing=a.timing,
        flow=a.flow,
        scope=a.scope,
        sensitivity_rate_step=a.sensitivity_rate_step,
        sensitivity_horizons=parse_horizons(a.sensitivity_horizons),
    )
    defaults = AssetSettings()
    changed = {name for name in SOURCED if getattr(asset, name) != getattr(defaults, name)}
    sources, sources_zh = user_sources(changed, where)
    asset = replace(asset, sources=sources, sources_zh=sources_zh)
    problems += check_settings(asset, where)
    if parsed.report.top_items < 1:
        problems.append(Problem(where=where, field="report.top_items", message="must be ≥ 1"))
    if problems:
        raise InputError(problems)
    return ValueAreaSettings(
        id_field=id_field or parsed.parcels.id_field,
        name_field=parsed.parcels.name_field,
        layer=parsed.parcels.layer,
        repair=bool(repair) or parsed.parcels.repair,
        key=parsed.allocation.key,
        asset=asset,
        lang=lang if lang in ("zh", "en") else parsed.report.lang,  # type: ignore[arg-type]
        title=parsed.report.title,
        top_items=parsed.report.top_items,
        config_path=config,
    )


def _problem_from(where: str, error: Any) -> Problem:
    return validation_problem(where, error, hint=f"see {DOCS}", skip_indices=True)


# --------------------------------------------------------------------------------------------
# Parcels
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelFile:
    """The parcels as read: one row per parcel (index ``id``), ``name`` and the geometry in
    the grid CRS."""

    path: Path
    sha256: str
    crs: str
    id_field: str
    name_field: str | None
    frame: gpd.GeoDataFrame
    warnings: list[Note]

    def describe(self) -> dict[str, Any]:
        return {
            "path": str(self.path.resolve()),
            "sha256": self.sha256,
            "crs": self.crs,
            "id_field": self.id_field,
            "name_field": self.name_field,
            "parcels": len(self.frame),
        }


def read_parcels(
    path: Path,
    crs: Any,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str | None = None,
    repair: bool = False,
) -> ParcelFile:
    """Read a GeoJSON, GeoPackage or Shapefile of parcels and bring them into ``crs``.

    Every problem (fields, ids, CRS, empty, non-polygon or invalid geometries) is reported at
    once; with ``repair`` invalid polygons are repaired with ``shapely.make_valid`` (keeping the
    polygonal parts) and a warning names them.
    """
    where = str(path)
    frame = open_vector(
        path,
        where=where,
        layer=layer,
        missing="parcels file not found",
        missing_hint="give a GeoJSON, GeoPackage or Shapefile (.shp with its .dbf, .shx, .prj)",
    )
    problems: list[Problem] = []
    warnings: list[Note] = []
    fields = [str(c) for c in frame.columns if c != "geometry"]
    if frame.empty:
        raise InputError(Problem(where=where, message="holds no features (no parcels to value)"))
    if frame.crs is None:
        problems.append(
            Problem(
                where=where,
                message="has no coordinate reference system, so its coordinates cannot be "
                "placed on the run's grid",
                hint="save the file with its CRS (a Shapefile needs its .prj; GeoJSON is "
                "always WGS84, EPSG:4326), e.g. in QGIS: Layer → Set CRS, then Export",
            )
        )
    chosen_id = _id_field(frame, fields, id_field, where, problems)
    chosen_name = _name_field(fields, name_field, where, problems)
    if problems:
        raise InputError(problems)
    assert chosen_id is not None
    ids = frame[chosen_id].map(_text)
    labels = [f"parcel {i}" if i else f"feature {n + 1}" for n, i in enumerate(ids)]
    geometries = list(frame.geometry.values)
    repaired: list[str] = []
    for n, geometry in enumerate(geometries):
        label = labels[n]
        if geometry is None or geometry.is_empty:
            problems.append(
                Problem(where=where, field="geometry", message=f"{label} has an empty geometry")
            )
            continue
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(
                    where=where,
                    field="geometry",
                    message=f"{label} is a {geometry.geom_type}, not a polygon: a parcel must "
                    "be an area",
                    hint="draw the parcel as a polygon (points and lines have no area)",
                )
            )
            continue
        if not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            if not repair:
                problems.append(
                    Problem(
                        where=where,
                        field="geometry",
                        message=f"{label} has an invalid polygon: {reason}",
                        hint="fix it in a GIS (QGIS: Vector → Geometry Tools → Fix Geometries), "
                        "or pass --repair to repair it with make_valid (check the result)",
                    )
                )
                continue
            fixed = _polygonal(shapely.make_valid(geometry))
            if fixed is None:
                problems.append(
                    Problem(
                        where=where,
                        field="geometry",
                        message=f"{label} has an invalid polygon ({reason}) that make_valid "
                        "cannot repair into an area",
                    )
                )
                continue
            geometries[n] = fixed
            repaired.append(f"{label} ({reason}; area after repair {fixed.area:.6g} in file units)")
    empty_ids = [n + 1 for n, i in enumerate(ids) if not i]
    if empty_ids:
        problems.append(
            Problem(
                where=where,
                field=chosen_id,
                message=f"{len(empty_ids)} feature(s) have no id (feature numbers "
                f"{_few(empty_ids)})",
                hint="give every parcel an id",
            )
        )
    duplicated = sorted(set(ids[ids.duplicated() & (ids != "")]))
    if duplicated:
        problems.append(
            Problem(
                where=where,
                field=chosen_id,
                message=f"ids must be unique; repeated: {_few(duplicated)}",
                hint="merge the features of a parcel into one multipolygon, or fix the ids",
            )
        )
    if problems:
        raise InputError(problems)
    if repaired:
        listed = "; ".join(repaired)
        warnings.append(
            Note(
                f"{where}: invalid polygons repaired with make_valid (--repair): {listed}",
                f"{where}：无效多边形已按 --repair 用 make_valid 修复：{listed}",
            )
        )
    names = frame[chosen_name].map(_text) if chosen_name else ids
    parcels = gpd.GeoDataFrame(
        {"id": list(ids), "name": [n or i for n, i in zip(names, ids, strict=True)]},
        geometry=geometries,
        crs=frame.crs,
    ).to_crs(crs)
    projected = parcels.geometry.values
    broken = ~shapely.is_valid(projected) | ~np.isfinite(shapely.area(projected))
    if broken.any():
        bad = [str(i) for i in parcels.loc[broken, "id"]]
        not_finite = ~np.isfinite(shapely.area(projected))
        if not_finite.any():
            raise InputError(
                Problem(
                    where=where,
                    field="geometry",
                    message=f"parcels {_few(bad)} cannot be projected to the run's grid CRS "
                    f"(declared CRS {frame.crs.to_string()})",
                    hint="check that the file's declared CRS is the one its coordinates are in",
                )
            )
        parcels.loc[broken, "geometry"] = [
            _polygonal(shapely.make_valid(g)) for g in projected[broken]
        ]
        warnings.append(
            Note(
                f"{where}: parcels {_few(bad)} became invalid polygons when projected to the "
                "grid CRS and were repaired with make_valid",
                f"{where}：地块 {_few(bad)} 投影到核算网格坐标系后多边形无效，已用 make_valid 修复",
            )
        )
    return ParcelFile(
        path=path,
        sha256=sha256_file(path),
        crs=frame.crs.to_string(),
        id_field=chosen_id,
        name_field=chosen_name,
        frame=parcels.set_index("id"),
        warnings=warnings,
    )


def _id_field(
    frame: pd.DataFrame, fields: list[str], wanted: str | None, where: str, problems: list[Problem]
) -> str | None:
    if wanted:
        if wanted not in fields:
            problems.append(
                Problem(
                    where=where,
                    field=wanted,
                    message=f"has no field '{wanted}' (fields found: {', '.join(fields) or 'none'})",
                    hint="give --id-field (or [parcels] id_field) the field that holds the parcel ids",
                )
            )
            return None
        return wanted
    for candidate in fields:
        if candidate.lower() == "id":
            return candidate
    for candidate in fields:
        values = frame[candidate].map(_text)
        if (values != "").all() and values.is_unique:
            return candidate
    problems.append(
        Problem(
            where=where,
            message=f"has no field 'id' and no field with a unique value per parcel (fields "
            f"found: {', '.join(fields) or 'none'})",
            hint="add a field 'id' with a unique id per parcel, or name it with --id-field",
        )
    )
    return None


def _name_field(
    fields: list[str], wanted: str | None, where: str, problems: list[Problem]
) -> str | None:
    if wanted:
        if wanted not in fields:
            problems.append(
                Problem(
                    where=where,
                    field=wanted,
                    message=f"has no field '{wanted}' (fields found: {', '.join(fields) or 'none'})",
                    hint="set [parcels] name_field to the field holding the parcel names, or leave it out",
                )
            )
            return None
        return wanted
    return next((f for f in fields if f.lower() in ("name", "名称", "name_zh")), None)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _few(values: list[Any], n: int = 10) -> str:
    shown = ", ".join(str(v) for v in values[:n])
    return shown + (f" … ({len(values)} in all)" if len(values) > n else "")


def _polygonal(geometry: Any) -> Any:
    """The polygonal part of a geometry (make_valid and intersections may add lines and
    points), or None when it has no area."""
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry if geometry.area > 0 else None
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [p for p in parts if p.area > 0]
    if not parts:
        return None
    return shapely.union_all(parts)


# --------------------------------------------------------------------------------------------
# Parcels against the run's units
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """The part of a parcel inside one leaf unit."""

    parcel: str
    unit: str
    geometry: Any
    area_m2: float
    unit_area_m2: float

    @property
    def share(self) -> float:
        """Parcel area in the unit ÷ the unit's area (the ``area`` key)."""
        return self.area_m2 / self.unit_area_m2 if self.unit_area_m2 > 0 else 0.0


@dataclass(frozen=True)
class Layout:
    """Where the parcels lie: their pieces per leaf unit, shares inside the region, overlaps."""

    pieces: list[Piece]
    area_m2: dict[str, float]
    inside_m2: dict[str, float]
    overlaps: list[tuple[str, str, float]]
    """(parcel, parcel, overlap area m²)."""

    def share_inside(self, parcel: str) -> float:
        area = self.area_m2[parcel]
        # the pieces are cut from the parcel: their sum exceeds it by rounding only
        return min(self.inside_m2[parcel] / area, 1.0) if area > 0 else 0.0


def lay_out(parcels: ParcelFile, results: RunResults) -> Layout:
    """Cut every parcel by the run's leaf units; parcels wholly outside them are an error."""
    units = results.units
    leaves = units[units["is_leaf"].astype(bool)]
    leaf_area = leaves.geometry.area
    tree = shapely.STRtree(leaves.geometry.values)
    codes = list(leaves.index)
    pieces: list[Piece] = []
    area: dict[str, float] = {}
    inside: dict[str, float] = {}
    outside: list[str] = []
    for pid, geometry in parcels.frame.geometry.items():
        pid = str(pid)
        area[pid] = float(geometry.area)
        inside[pid] = 0.0
        for k in tree.query(geometry, predicate="intersects"):
            code = codes[int(k)]
            part = _polygonal(shapely.intersection(geometry, leaves.geometry.values[int(k)]))
            if part is None or part.area <= SLIVER * area[pid]:
                continue
            pieces.append(Piece(pid, code, part, float(part.area), float(leaf_area[code])))
            inside[pid] += float(part.area)
        if inside[pid] <= SLIVER * area[pid]:
            outside.append(pid)
    if outside:
        region = results.region.get("name", "") or "the run's region"
        raise InputError(
            Problem(
                where=str(parcels.path),
                field="geometry",
                message=f"parcels {_few(outside)} lie wholly outside {region} (no part of them "
                f"is in any unit of the run {results.folder}): they cannot be valued from it",
                hint="check the parcels' coordinates and CRS, or value them with a run of their "
                "region",
            )
        )
    overlaps: list[tuple[str, str, float]] = []
    geoms = parcels.frame.geometry.values
    ids = [str(i) for i in parcels.frame.index]
    ptree = shapely.STRtree(geoms)
    left, right = ptree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        shared = _polygonal(shapely.intersection(geoms[i], geoms[j]))
        smaller = min(area[ids[i]], area[ids[j]])
        if shared is not None and shared.area > SLIVER * smaller:
            overlaps.append((ids[i], ids[j], float(shared.area)))
    return Layout(pieces=pieces, area_m2=area, inside_m2=inside, overlaps=overlaps)


# --------------------------------------------------------------------------------------------
# Coverage fractions and the maps
# --------------------------------------------------------------------------------------------


def run_grid(results: RunResults) -> AccountingGrid:
    """The run's accounting grid, from its manifest."""
    grid = results.manifest.get("grid") or {}
    try:
        return AccountingGrid(
            crs_wkt=str(grid["crs"]) if "PROJCRS" in str(grid["crs"]) else _wkt(grid["crs"]),
            transform=Affine(*grid["transform"][:6]),
            width=int(grid["width"]),
            height=int(grid["height"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(
            Problem(
                where=str(results.folder / "manifest.json"),
                field="grid",
                message=f"does not describe the accounting grid ({err})",
                hint="run `gep run` again with this gepkit version",
            )
        ) from err


def _wkt(crs: Any) -> str:
    import pyproj

    return str(pyproj.CRS.from_user_input(crs).to_wkt())


@dataclass(frozen=True)
class Fractions:
    """The fraction of each cell of a block covered by a geometry."""

    row: int
    col: int
    fraction: np.ndarray

    @property
    def window(self) -> Window:
        height, width = self.fraction.shape
        return Window(self.col, self.row, width, height)


def cell_fractions(geometry: Any, grid: AccountingGrid) -> list[Fractions]:
    """Exact fractions of the grid's cells covered by ``geometry``, in blocks of at most
    BLOCK × BLOCK cells.  Blocks wholly inside the geometry are all ones; a block crossed by its
    boundary goes through exactextract, the library of the run's coverage weighting
    (:func:`gepkit.zones.coverage_table`), with a dummy raster of the block's extent, so no cell
    outside the block is reported."""
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    res = grid.resolution
    left, top = grid.transform.c, grid.transform.f
    minx, miny, maxx, maxy = geometry.bounds
    col0 = max(math.floor((minx - left) / res), 0)
    col1 = min(math.ceil((maxx - left) / res), grid.width)
    row0 = max(math.floor((top - maxy) / res), 0)
    row1 = min(math.ceil((top - miny) / res), grid.height)
    out: list[Fractions] = []
    shapely.prepare(geometry)
    for r in range(row0, row1, BLOCK):
        for c in range(col0, col1, BLOCK):
            h, w = min(BLOCK, row1 - r), min(BLOCK, col1 - c)
            bounds = (left + c * res, top - (r + h) * res, left + (c + w) * res, top - r * res)
            block = shapely.box(*bounds)
            if not geometry.intersects(block):
                continue
            if geometry.contains(block):
                out.append(Fractions(r, c, np.ones((h, w))))
                continue
            piece = _polygonal(shapely.clip_by_rect(geometry, *bounds))
            if piece is None:
                continue
            raster = NumPyRasterSource(np.broadcast_to(np.uint8(0), (h, w)), *bounds)
            frame = gpd.GeoDataFrame(geometry=[piece], crs=grid.crs)
            found = exact_extract(raster, frame, ["cell_id", "coverage"], output="pandas")
            flat = np.zeros(h * w)
            for cells, fractions in zip(found["cell_id"], found["coverage"], strict=True):
                np.add.at(flat, np.asarray(cells, dtype="int64"), np.asarray(fractions))
            out.append(Fractions(r, c, np.minimum(flat, 1.0).reshape(h, w)))
    shapely.destroy_prepared(geometry)
    return out


def weighted_sums(path: Path, pieces: list[list[Fractions]], grid: AccountingGrid) -> list[float]:
    """Σ (cell × fraction) of a map over each piece's blocks; NaN cells (outside the units, gaps)
    count 0."""
    totals = []
    with rasterio.open(path) as src:
        if (src.width, src.height) != (grid.width, grid.height) or not src.transform.almost_equals(
            grid.transform
        ):
            raise InputError(
                Problem(
                    where=str(path),
                    message="is not on the run's accounting grid (manifest.json [grid])",
                    hint="the run folder was changed after the run; run it again",
                )
            )
        for blocks in pieces:
            total = 0.0
            for block in blocks:
                data = src.read(1, window=block.window).astype("float64")
                total += float(np.nansum(data * block.fraction))
            totals.append(total)
    return totals


# --------------------------------------------------------------------------------------------
# The valuation
# --------------------------------------------------------------------------------------------


@dataclass
class Valuation:
    """Everything ``gep value-area`` computes, before it is written."""

    results: RunResults
    parcels: ParcelFile
    settings: ValueAreaSettings
    layout: Layout
    rows: pd.DataFrame
    """parcels.csv."""
    summary: pd.DataFrame
    """parcel_summary.csv."""
    assets: pd.DataFrame
    """asset_value.csv: per parcel and item, the flow and its asset value (plus a total row)."""
    sensitivity: pd.DataFrame
    """sensitivity.csv."""
    flow_basis: str
    price_basis: str
    warnings: list[Note]
    notes: dict[str, Any]


def value_parcels(parcels_path: Path, run_dir: Path, settings: ValueAreaSettings) -> Valuation:
    """Value every parcel of ``parcels_path`` from the run folder ``run_dir``."""
    results = RunResults.load(run_dir)
    grid = run_grid(results)
    parcels = read_parcels(
        parcels_path,
        grid.crs,
        id_field=settings.id_field,
        name_field=settings.name_field,
        layer=settings.layer,
        repair=settings.repair,
    )
    layout = lay_out(parcels, results)
    warnings = list(parcels.warnings)
    warnings += _layout_warnings(layout, parcels, results)
    if results.is_demo:
        warnings.append(
            Note(
                f"the run is a demo: {results.demo_notice}",
                "所用核算为演示数据（部分输入为演示值，不是实测值），结果不是官方或研究性 GEP "
                "核算，不能用于授信、评估或诉讼。",
                kind="demo",
            )
        )

    leaf_rows = _leaf_accounts(results)
    mapped = _map_rows(results, layout, grid, leaf_rows)
    ecosystem = (
        _EcosystemShares(results, layout, grid) if settings.key == "ecosystem_area" else None
    )
    allocated = _allocated_rows(results, layout, leaf_rows, mapped, settings.key, ecosystem)
    deductions = _deduction_rows(results, layout)
    rows = pd.concat([mapped, allocated, deductions], ignore_index=True)
    rows = _finish_rows(rows, parcels, results)
    if ecosystem is not None:
        warnings += ecosystem.notes()
    constant = f"constant-{results.base_year}" if results.base_year is not None else "current"
    if results.base_year is None:
        warnings.append(
            Note(
                "the run has no constant-price values: the asset value discounts current-price "
                "flows",
                "核算没有不变价结果：资产价值按当年价流量折现",
            )
        )
    summary = _summary(rows, layout, parcels, results, constant)
    assets, flow_basis = _assets(rows, parcels, results, settings.asset, constant)
    totals = assets[assets["item"] == "total"].set_index("parcel_id")["flow"]
    sens = sensitivity(totals, settings.asset)
    sens.insert(1, "parcel_name", [parcels.frame.at[p, "name"] for p in sens["parcel_id"]])
    sens["price_basis"] = constant
    sens["value_unit"] = "CNY"
    value = assets[assets["item"] == "total"].set_index("parcel_id")["asset_value"]
    summary["asset_flow"] = summary["parcel_id"].map(totals)
    summary["asset_value"] = summary["parcel_id"].map(value)
    summary["asset_price_basis"] = constant
    summary["data_flag"] = "demo" if results.is_demo else ""
    weighting = str(results.manifest.get("units", {}).get("zone_weighting", "centre"))
    notes = {
        "zone_weighting": weighting,
        "map_items": sorted(set(mapped["item"])) if not mapped.empty else [],
        "allocated_items": sorted(set(allocated["item"])) if not allocated.empty else [],
        "deduction_items": sorted(set(deductions["item"])) if not deductions.empty else [],
        "key": settings.key,
    }
    return Valuation(
        results=results,
        parcels=parcels,
        settings=settings,
        layout=layout,
        rows=rows,
        summary=summary,
        assets=assets,
        sensitivity=sens,
        flow_basis=flow_basis,
        price_basis=constant,
        warnings=warnings,
        notes=notes,
    )


def _layout_warnings(layout: Layout, parcels: ParcelFile, results: RunResults) -> list[Note]:
    out: list[Note] = []
    region = results.region.get("name", "") or "the region"
    for pid in parcels.frame.index:
        share = 1.0 - layout.share_inside(str(pid))
        if share > 1e-6:
            outside_km2 = (layout.area_m2[str(pid)] - layout.inside_m2[str(pid)]) / 1e6
            out.append(
                Note(
                    f"parcel {pid}: {share:.1%} of it ({outside_km2:,.3f} km²) lies outside "
                    f"{region}: it is valued on the part inside only",
                    f"地块 {pid} 有 {share:.1%}（{outside_km2:,.3f} km²）位于{region}之外，"
                    "只按区内部分计值",
                )
            )
    if layout.overlaps:
        pairs = "; ".join(f"{a} and {b} ({m2 / 1e6:,.3f} km²)" for a, b, m2 in layout.overlaps)
        pairs_zh = "；".join(f"{a} 与 {b}（{m2 / 1e6:,.3f} km²）" for a, b, m2 in layout.overlaps)
        out.append(
            Note(
                f"overlapping parcels: {pairs}. Each parcel is valued on its own, so the values "
                "of overlapping parcels must not be added up",
                f"地块重叠：{pairs_zh}。各地块单独核算，重叠地块的价值不可相加",
            )
        )
    return out


def _leaf_accounts(results: RunResults) -> pd.DataFrame:
    leaves = set(results.leaves())
    rows = results.accounts[results.accounts["unit_code"].isin(leaves)]
    return rows[rows["category"] != DEDUCTION]


def _map_items(results: RunResults, leaf_rows: pd.DataFrame) -> list[tuple[str, int]]:
    pairs = leaf_rows[["item", "year"]].drop_duplicates()
    return sorted(
        (str(i), int(y))
        for i, y in pairs.itertuples(index=False)
        if results.map_path(str(i), int(y), "value").is_file()
    )


def _map_rows(
    results: RunResults, layout: Layout, grid: AccountingGrid, leaf_rows: pd.DataFrame
) -> pd.DataFrame:
    """Items with a map: Σ cell value × covered fraction, per piece, on both price bases."""
    pairs = _map_items(results, leaf_rows)
    if not pairs:
        return _empty_rows()
    fractions = [cell_fractions(piece.geometry, grid) for piece in layout.pieces]
    ratio = _constant_ratio(results)
    info = leaf_rows.drop_duplicates(["item", "year"]).set_index(["item", "year"])
    rows: list[dict[str, Any]] = []
    for item, year in pairs:
        value_map = results.map_path(item, year, "value")
        quantity_map = results.map_path(item, year, "quantity")
        values = weighted_sums(value_map, fractions, grid)
        quantities = (
            weighted_sums(quantity_map, fractions, grid)
            if quantity_map.is_file()
            else [math.nan] * len(fractions)
        )
        category = str(info.at[(item, year), "category"])
        unit = str(info.at[(item, year), "quantity_unit"])
        for piece, value, quantity in zip(layout.pieces, values, quantities, strict=True):
            for basis, factor in ratio(piece.unit, item, year):
                rows.append(
                    _row(
                        piece,
                        year,
                        category,
                        item,
                        quantity,
                        unit,
                        value * factor,
                        basis,
                        key="map",
                        method="map",
                        share=piece.share,
                    )
                )
    return pd.DataFrame(rows)


def _constant_ratio(
    results: RunResults,
) -> Callable[[str, str, int], list[tuple[str, float]]]:
    """(price basis, factor on the current-price map value) for a leaf, item and year: 1 for
    current prices; the leaf's constant/current ratio of the item (the region's when the leaf's
    current value is 0) for constant prices."""
    accounts = results.accounts
    current = accounts[accounts["price_basis"] == "current"].set_index(
        ["unit_code", "item", "year"]
    )["value"]
    bases = sorted(b for b in accounts["price_basis"].unique() if str(b) != "current")
    others = {
        b: accounts[accounts["price_basis"] == b].set_index(["unit_code", "item", "year"])["value"]
        for b in bases
    }
    top = str(results.region.get("code", ""))

    def factor(series: pd.Series, unit: str, item: str, year: int) -> float | None:
        key = (unit, item, year)
        if key not in current.index or key not in series.index:
            return None
        cur = float(current[key])
        if cur == 0 or not math.isfinite(cur):
            return None
        return float(series[key]) / cur

    def ratios(unit: str, item: str, year: int) -> list[tuple[str, float]]:
        out = [("current", 1.0)]
        for basis, series in others.items():
            f = factor(series, unit, item, year)
            if f is None:
                f = factor(series, top, item, year)
            out.append((str(basis), 1.0 if f is None else f))
        return out

    return ratios


class _EcosystemShares:
    """The ``ecosystem_area`` key: per piece and year, the area of each level-1 ecosystem type,
    from the land cover the run used (recorded in its manifest, checked by SHA-256) through the
    same crosswalk; the unit's areas from extent.csv."""

    def __init__(self, results: RunResults, layout: Layout, grid: AccountingGrid) -> None:
        self.results = results
        self.layout = layout
        self.grid = grid
        self.fallbacks: set[tuple[str, str]] = set()
        self._areas: dict[int, list[dict[int, float]]] = {}
        extent = results.extent
        self.unit_area = extent.groupby(["year", "unit_code", "level1_code"])["area_km2"].sum()
        path = results.folder / "by_ecosystem.csv"
        frame = pd.read_csv(path, dtype={"unit_code": str}, encoding="utf-8-sig")
        self.by_ecosystem = frame
        self._classes, self._crosswalk = self._tables()

    def _tables(self) -> tuple[Any, Any]:
        from gepkit.catalogue.tables import Crosswalk, EcosystemClasses

        manifest = self.results.manifest
        where = str(self.results.folder / "manifest.json")
        problems: list[Problem] = []
        classes_info = manifest.get("tables", {}).get("ecosystem_classes", {})
        crosswalk_info = manifest.get("inputs", {}).get("crosswalk", {})
        for label, info in (("ecosystem classes", classes_info), ("crosswalk", crosswalk_info)):
            problems += _check_file(where, label, info)
        if problems:
            raise InputError(problems)
        classes = EcosystemClasses.load(Path(classes_info["path"]))
        crosswalk = Crosswalk.load(str(crosswalk_info["path"]), classes)
        return classes, crosswalk

    def _level1(self, year: int) -> Callable[[Fractions], np.ndarray]:
        from gepkit.io.rasters import read_aligned

        manifest = self.results.manifest
        where = str(self.results.folder / "manifest.json")
        info = manifest.get("inputs", {}).get("layers", {}).get(f"landcover:{year}")
        problems = _check_file(where, f"land cover of {year}", info or {})
        if problems:
            raise InputError(problems)
        assert info is not None
        encoding = info.get("encoding") or {}
        nodata = info.get("nodata")
        data = read_aligned(
            Path(info["path"]),
            self.grid,
            bands=list(info.get("bands") or [1]),
            resampling=str(info.get("resampling", "nearest")),
            nodata=None
            if nodata is None or (isinstance(nodata, float) and math.isnan(nodata))
            else nodata,
            chunk=BLOCK,
            fill_values=tuple(encoding.get("fill_values") or ()),
            valid_range=tuple(encoding["valid_range"]) if encoding.get("valid_range") else None,
            src_crs=encoding.get("assumed_crs"),
        )
        if data.ndim == 3:
            data = data[0]
        lookup = {
            int(code): self._classes.level1(int(eco))
            for code, eco in self._crosswalk.mapping.items()
            if int(eco) in self._classes
        }

        def level1(block: Fractions) -> np.ndarray:
            h, w = block.fraction.shape
            codes = np.asarray(data[block.row : block.row + h, block.col : block.col + w])
            out = np.full(codes.shape, -1, dtype="int64")
            for code, l1 in lookup.items():
                out[codes == code] = l1
            return out

        return level1

    def areas(self, year: int) -> list[dict[int, float]]:
        """Per piece: km² of each level-1 ecosystem type (−1: no land cover)."""
        if year not in self._areas:
            level1 = self._level1(year)
            cell_km2 = self.grid.cell_area_m2 / 1e6
            per_piece = []
            for piece in self.layout.pieces:
                totals: dict[int, float] = {}
                for block in cell_fractions(piece.geometry, self.grid):
                    codes = level1(block)
                    for code in np.unique(codes):
                        on = codes == code
                        totals[int(code)] = totals.get(int(code), 0.0) + float(
                            block.fraction[on].sum() * cell_km2
                        )
                per_piece.append(totals)
            self._areas[year] = per_piece
        return self._areas[year]

    def ecosystems(self, unit: str, item: str, year: int) -> set[int]:
        """The level-1 ecosystem types an item of a unit comes from (by_ecosystem.csv); empty
        when it is not attributed to an ecosystem type (code −2)."""
        frame = self.by_ecosystem
        rows = frame[
            (frame["year"] == year) & (frame["unit_code"] == unit) & (frame["item"] == item)
        ]
        codes = {int(c) for c in rows["ecosystem_code"] if int(c) >= 0}
        return {self._classes.level1(c) if c in self._classes else c for c in codes}

    def share(self, index: int, piece: Piece, item: str, year: int) -> tuple[float, str]:
        """(share, key as written in ``method``): the piece's share of the unit's area of the
        item's ecosystem types, or its area share when the item is not tied to an ecosystem
        type (code −2 in by_ecosystem.csv) or the unit has no area of its types."""
        types = self.ecosystems(piece.unit, item, year)
        if not types:
            self.fallbacks.add((item, "not tied to an ecosystem type"))
            return piece.share, "area (item not tied to an ecosystem type)"
        names = "+".join(self._classes.name(t, "en").lower() for t in sorted(types))
        unit_km2 = sum(float(self.unit_area.get((year, piece.unit, t), 0.0)) for t in sorted(types))
        if unit_km2 <= 0:
            self.fallbacks.add((item, f"units without {names} in the land cover"))
            return piece.share, f"area (the unit has no {names} in the land cover)"
        piece_km2 = sum(self.areas(year)[index].get(t, 0.0) for t in types)
        return piece_km2 / unit_km2, f"ecosystem_area ({names})"

    def notes(self) -> list[Note]:
        if not self.fallbacks:
            return []
        listed = "; ".join(f"{item} ({why})" for item, why in sorted(self.fallbacks))
        listed_zh = "；".join(
            f"{_item_name(item, 'zh')}（{'未对应生态系统类型' if why.startswith('not') else '单元内无相应生态系统'}）"
            for item, why in sorted(self.fallbacks)
        )
        return [
            Note(
                f"ecosystem_area key: allocated by area instead for {listed}",
                f"生态系统面积分摊：以下项目改按面积比例分摊：{listed_zh}",
            )
        ]


def _check_file(where: str, label: str, info: dict[str, Any]) -> list[Problem]:
    hint = (
        "the ecosystem_area key reads the land cover the run used; restore the file, or use "
        '[allocation] key = "area"'
    )
    path = info.get("path")
    if not path:
        return [Problem(where=where, message=f"records no {label} file", hint=hint)]
    if not Path(path).is_file():
        return [
            Problem(where=where, message=f"the run's {label} file {path} is not there", hint=hint)
        ]
    if info.get("sha256") and sha256_file(Path(path)) != info["sha256"]:
        return [
            Problem(
                where=where,
                message=f"the run's {label} file {path} has changed since the run (SHA-256 differs)",
                hint=hint,
            )
        ]
    return []


def _allocated_rows(
    results: RunResults,
    layout: Layout,
    leaf_rows: pd.DataFrame,
    mapped: pd.DataFrame,
    key: Key,
    ecosystem: _EcosystemShares | None,
) -> pd.DataFrame:
    """Items without a map: the unit's value × the piece's share by the key."""
    with_map = set(_map_items(results, leaf_rows))
    by_unit = leaf_rows.set_index("unit_code")
    rows: list[dict[str, Any]] = []
    for index, piece in enumerate(layout.pieces):
        if piece.unit not in by_unit.index:
            continue
        unit_rows = by_unit.loc[[piece.unit]]
        for r in unit_rows.itertuples():
            item, year = str(r.item), int(r.year)
            if (item, year) in with_map:
                continue
            share, used = piece.share, "area"
            if ecosystem is not None:
                share, used = ecosystem.share(index, piece, item, year)
            quantity = float(r.quantity) * share if pd.notna(r.quantity) else math.nan
            rows.append(
                _row(
                    piece,
                    year,
                    str(r.category),
                    item,
                    quantity,
                    str(r.quantity_unit) if pd.notna(r.quantity_unit) else "",
                    float(r.value) * share,
                    str(r.price_basis),
                    key=used.split(" ")[0],
                    method=f"allocated by {used} from {piece.unit}",
                    share=share,
                )
            )
    return pd.DataFrame(rows) if rows else _empty_rows()


def _deduction_rows(results: RunResults, layout: Layout) -> pd.DataFrame:
    """Deductions (imports, GB/T 46869—2025) are a unit's own: each part of a parcel takes the
    deduction of the finest unit holding it that has one for the item and year (the leaf, else
    its parent …), by area share of that unit."""
    frame = results.accounts[results.accounts["category"] == DEDUCTION]
    if frame.empty:
        return _empty_rows()
    units = results.units
    area = units.geometry.area
    keyed = frame.set_index(["unit_code", "item", "year", "price_basis"])["value"]
    combos = frame[["item", "year", "price_basis"]].drop_duplicates()
    holders = set(frame["unit_code"])
    rows: list[dict[str, Any]] = []
    for piece in layout.pieces:
        chain = _chain(piece.unit, units)
        for item, year, basis in combos.itertuples(index=False):
            for code in chain:
                if code in holders and (code, item, year, basis) in keyed.index:
                    unit_area = float(area[code])
                    share = piece.area_m2 / unit_area if unit_area > 0 else 0.0
                    holder = replace(piece, unit=code, unit_area_m2=unit_area)
                    rows.append(
                        _row(
                            holder,
                            int(year),
                            DEDUCTION,
                            str(item),
                            math.nan,
                            "",
                            float(keyed[(code, item, year, basis)]) * share,
                            str(basis),
                            key="area",
                            method=f"allocated by area from {code}",
                            share=share,
                        )
                    )
                    break
    return pd.DataFrame(rows) if rows else _empty_rows()


def _chain(code: str, units: gpd.GeoDataFrame) -> list[str]:
    out = [code]
    seen = {code}
    while True:
        parent = str(units.at[out[-1], "parent_code"]) if out[-1] in units.index else ""
        if not parent or parent in seen or parent not in units.index:
            return out
        out.append(parent)
        seen.add(parent)


ROW_COLUMNS = [
    "parcel_id",
    "parcel_name",
    "year",
    "category",
    "item",
    "item_name",
    "item_name_zh",
    "quantity",
    "quantity_unit",
    "value",
    "value_unit",
    "price_basis",
    "method",
    "key",
    "unit_code",
    "unit_name",
    "unit_share",
    "parcel_area_in_unit_km2",
    "data_flag",
]


def _row(
    piece: Piece,
    year: int,
    category: str,
    item: str,
    quantity: float,
    quantity_unit: str,
    value: float,
    basis: str,
    *,
    key: str,
    method: str,
    share: float,
) -> dict[str, Any]:
    return {
        "parcel_id": piece.parcel,
        "year": year,
        "category": category,
        "item": item,
        "quantity": quantity,
        "quantity_unit": quantity_unit,
        "value": value,
        "value_unit": "CNY",
        "price_basis": basis,
        "method": method,
        "key": key,
        "unit_code": piece.unit,
        "unit_share": share,
        "parcel_area_in_unit_km2": piece.area_m2 / 1e6,
    }


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=[c for c in ROW_COLUMNS if c not in ("parcel_name",)])


def _finish_rows(rows: pd.DataFrame, parcels: ParcelFile, results: RunResults) -> pd.DataFrame:
    names = parcels.frame["name"]
    rows = rows.copy()
    rows["parcel_name"] = rows["parcel_id"].map(names)
    rows["unit_name"] = rows["unit_code"].map(results.units["name"])
    rows["item_name"] = rows["item"].map(lambda i: _item_name(i, "en"))
    rows["item_name_zh"] = rows["item"].map(lambda i: _item_name(i, "zh"))
    rows["data_flag"] = "demo" if results.is_demo else ""
    for column in ("quantity", "value", "unit_share", "parcel_area_in_unit_km2"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("float64")
    rows["year"] = rows["year"].astype("int64")
    order = {pid: n for n, pid in enumerate(parcels.frame.index)}
    cat_order = {c: n for n, c in enumerate((*CATEGORIES, DEDUCTION))}
    rows = rows.assign(
        _p=rows["parcel_id"].map(order),
        _c=rows["category"].map(cat_order),
        _b=(rows["price_basis"] != "current").astype(int),
    )
    rows = rows.sort_values(["_p", "year", "_b", "_c", "item", "unit_code"], kind="stable")
    return rows.drop(columns=["_p", "_c", "_b"])[ROW_COLUMNS].reset_index(drop=True)


def _item_name(item: str, lang: str) -> str:
    base = item.split(":", 1)[1] if item.startswith("imports:") else item
    info = ITEMS.get(base)
    name = (info.name_zh if lang == "zh" else info.name_en) if info else base
    if item.startswith("imports:"):
        return f"调入{name}（扣除）" if lang == "zh" else f"{name} imported (deducted)"
    return name


def _summary(
    rows: pd.DataFrame,
    layout: Layout,
    parcels: ParcelFile,
    results: RunResults,
    constant: str,
) -> pd.DataFrame:
    """parcel_summary.csv: per parcel and year, area, share inside, GEP by class on both bases."""
    present = set(rows["category"])
    out = []
    for pid, name in parcels.frame["name"].items():
        pid = str(pid)
        units = sorted({p.unit for p in layout.pieces if p.parcel == pid})
        for year in results.years:
            mine = rows[(rows["parcel_id"] == pid) & (rows["year"] == year)]
            record: dict[str, Any] = {
                "parcel_id": pid,
                "parcel_name": name,
                "year": year,
                "area_km2": layout.area_m2[pid] / 1e6,
                "area_inside_km2": layout.inside_m2[pid] / 1e6,
                "share_inside": layout.share_inside(pid),
                "units": ";".join(units),
            }
            for suffix, basis in (("", "current"), ("_constant", constant)):
                at = mine[mine["price_basis"] == basis].groupby("category")["value"].sum()
                for cat in (*CATEGORIES, DEDUCTION):
                    record[f"{cat}{suffix}"] = (
                        float(at.get(cat, 0.0)) if cat in present else math.nan
                    )
                record[f"gep{suffix}"] = float(at.sum())
            record["constant_prices_of"] = results.base_year
            inside = record["area_inside_km2"]
            record["gep_per_km2"] = record["gep"] / inside if inside > 0 else math.nan
            out.append(record)
    frame = pd.DataFrame(out)
    columns = [
        "parcel_id",
        "parcel_name",
        "year",
        "area_km2",
        "area_inside_km2",
        "share_inside",
        "units",
        "provisioning",
        "regulating",
        "cultural",
        "deduction",
        "gep",
        "gep_per_km2",
        "provisioning_constant",
        "regulating_constant",
        "cultural_constant",
        "deduction_constant",
        "gep_constant",
        "constant_prices_of",
    ]
    if DEDUCTION not in present:
        columns = [c for c in columns if not c.startswith(DEDUCTION)]
    return frame[columns]


def _assets(
    rows: pd.DataFrame,
    parcels: ParcelFile,
    results: RunResults,
    settings: AssetSettings,
    constant: str,
) -> tuple[pd.DataFrame, str]:
    """Per parcel and item: the annual flow F (constant prices) and V = F × annuity factor."""
    years = results.years
    at = rows[rows["price_basis"] == constant]
    if settings.scope == "regulating":
        at = at[at["category"] == "regulating"]
    per_year = at.groupby(["parcel_id", "category", "item", "year"])["value"].sum().unstack("year")
    per_year = per_year.reindex(columns=years).fillna(0.0)
    if settings.flow == "latest":
        flow = per_year[years[-1]]
        basis = f"{years[-1]}"
    else:
        flow = per_year.mean(axis=1)
        basis = f"mean of {years[0]}–{years[-1]}" if len(years) > 1 else f"{years[0]}"
    factor = annuity_factor(
        rate=settings.discount_rate,
        growth=settings.growth_rate,
        years=settings.horizon_years,
        timing=settings.timing,
    )
    frame = flow.rename("flow").reset_index()
    frame["asset_value"] = frame["flow"] * factor
    out = []
    for pid, name in parcels.frame["name"].items():
        mine = frame[frame["parcel_id"] == pid].sort_values("flow", ascending=False)
        mine = mine.assign(parcel_name=name)
        total = {
            "parcel_id": pid,
            "parcel_name": name,
            "category": "total",
            "item": "total",
            "flow": float(mine["flow"].sum()),
            "asset_value": float(mine["asset_value"].sum()),
        }
        out += [*mine.to_dict("records"), total]
    assets = pd.DataFrame(out)
    assets["annuity_factor"] = factor
    assets["flow_basis"] = basis
    assets["price_basis"] = constant
    assets["value_unit"] = "CNY"
    assets["data_flag"] = "demo" if results.is_demo else ""
    columns = [
        "parcel_id",
        "parcel_name",
        "category",
        "item",
        "flow",
        "flow_basis",
        "annuity_factor",
        "asset_value",
        "price_basis",
        "value_unit",
        "data_flag",
    ]
    return assets[columns], basis


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

OUTPUTS = (
    "parcels.csv",
    "parcel_summary.csv",
    "asset_value.csv",
    "sensitivity.csv",
    "value_area.json",
    "summary.html",
    "summary.pdf",
)


def describe(valuation: Valuation, command: str) -> dict[str, Any]:
    """value_area.json: settings, the run's provenance, the parcels file, warnings."""
    layout = valuation.layout
    parcels = []
    for pid, name in valuation.parcels.frame["name"].items():
        pid = str(pid)
        parcels.append(
            {
                "id": pid,
                "name": name,
                "area_km2": layout.area_m2[pid] / 1e6,
                "area_inside_km2": layout.inside_m2[pid] / 1e6,
                "share_inside": layout.share_inside(pid),
                "units": [
                    {
                        "code": p.unit,
                        "area_km2": p.area_m2 / 1e6,
                        "share_of_unit": p.share,
                    }
                    for p in layout.pieces
                    if p.parcel == pid
                ],
            }
        )
    return {
        "gepkit_version": __version__,
        "command": command,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": valuation.results.provenance(),
        "demo_notice": valuation.results.demo_notice,
        "parcels_file": valuation.parcels.describe(),
        "settings": valuation.settings.describe(),
        "asset_flow": {
            "basis": valuation.flow_basis,
            "price_basis": valuation.price_basis,
            "scope": valuation.settings.asset.scope,
        },
        "method": valuation.notes,
        "parcels": parcels,
        "overlaps": [{"parcels": [a, b], "area_km2": m2 / 1e6} for a, b, m2 in layout.overlaps],
        "warnings": [w.en for w in valuation.warnings],
        "warnings_zh": [w.zh for w in valuation.warnings],
        "outputs": list(OUTPUTS),
    }


def write(valuation: Valuation, out: Path, *, overwrite: bool, command: str) -> Path:
    """Write the output folder atomically."""
    from gepkit.decisions.parcel_summary import render_html
    from gepkit.io.outputs import atomic_folder, write_json, write_table
    from gepkit.report.pdf import write_pdf

    info = describe(valuation, command)
    html = render_html(valuation, info)
    with atomic_folder(out, overwrite=overwrite) as tmp:
        write_table(valuation.rows, tmp / "parcels.csv")
        write_table(valuation.summary, tmp / "parcel_summary.csv")
        write_table(valuation.assets, tmp / "asset_value.csv")
        write_table(valuation.sensitivity, tmp / "sensitivity.csv")
        write_json(info, tmp / "value_area.json")
        (tmp / "summary.html").write_text(html, encoding="utf-8")
        write_pdf(html, tmp / "summary.pdf")
    return out


def run_value_area(
    parcels: Path,
    run_dir: Path,
    *,
    out: Path,
    config: Path | None = None,
    id_field: str | None = None,
    lang: str | None = None,
    repair: bool | None = None,
    overwrite: bool = False,
    command: str = "gep value-area",
) -> Valuation:
    """What ``gep value-area`` does: settings, valuation, output folder."""
    from gepkit.io.outputs import check_target

    settings = load_settings(config, id_field=id_field, lang=lang, repair=repair)
    check_target(out, overwrite=overwrite)
    valuation = value_parcels(parcels, run_dir, settings)
    write(valuation, out, overwrite=overwrite, command=command)
    return valuation


def show(valuation: Valuation, console: Any, out: Path) -> None:
    """The command's terminal output: warnings, the parcels' table, where the files are."""
    from rich.markup import escape

    from gepkit.decisions.parcel_summary import console_table

    for note in valuation.warnings:
        console.print(f"[yellow]warning:[/] {escape(note.en)}", highlight=False, soft_wrap=True)
    console.print(console_table(valuation))
    console.print(f"Results written to {escape(str(out))} (summary.pdf, parcels.csv …)")
