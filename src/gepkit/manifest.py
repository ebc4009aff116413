"""The run manifest: what was computed, from what, how, and with which checks.

Same inputs, parameters and gepkit version give the same accounts; the manifest records all
three (SHA-256 of every input file and table, every option, every parameter and price record),
so a reviewer can trace each number and re-run it.
"""

from __future__ import annotations

import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from gepkit import __version__
from gepkit.catalogue.tables import FLAGGED_TAGS, Record
from gepkit.compute import YearResult
from gepkit.errors import Problem
from gepkit.io.hashing import sha256_file
from gepkit.plan import RunPlan

DEMO_NOTICE = (
    "DEMO ACCOUNT: several inputs are illustrative demo fields made by scripts/make_jiangxi_demo.py "
    "from published provincial magnitudes (not measurements); the values are not an official "
    "or a research GEP account of Jiangxi."
)

_PACKAGES = (
    "numpy",
    "pandas",
    "xarray",
    "dask",
    "distributed",
    "exactextract",
    "numba",
    "rasterio",
    "pyproj",
    "geopandas",
    "shapely",
    "pyogrio",
    "pint",
    "pydantic",
)


def build_manifest(
    plan: RunPlan,
    results: list[YearResult],
    *,
    warnings: list[Problem],
    timings: dict[str, float],
    command: str,
    out_dir: Path,
    execution: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a run written into ``out_dir``; ``execution``: what computed it
    (gepkit.execution.Executor.describe)."""
    records = _used_records(results) + [
        r for d in plan.derivations.values() for r in d.records(plan.catalogue)
    ]
    return {
        "gepkit_version": __version__,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "demo": _demo(plan),
        "region": plan.config.region.model_dump(),
        "years": plan.years,
        "profile": {
            "id": plan.profile.id,
            "title": plan.profile.title,
            "source": plan.profile.source,
            "confidence": plan.profile.confidence,
            "items": list(plan.profile.items),
            "computed": list(plan.items),
            "added": list(plan.config.run.add_items),
            "dropped": list(plan.config.run.drop_items),
            "not_computed": plan.not_computed,
            "note": "items of the profile that this gepkit version does not compute yet are "
            "listed in not_computed; GEP in this run covers the computed items only",
        },
        "items": _items(results),
        "inputs": {
            "units": {"path": str(plan.units_path), "sha256": sha256_file(plan.units_path)},
            "layers": {
                f"{name}:{year}": source.describe()
                for (name, year), source in sorted(plan.sources.items())
            },
            "derived_layers": plan.derived,
            "derived_models": {
                name: d.describe(plan.catalogue) for name, d in plan.derivations.items()
            },
            "layer_statistics": plan.layer_stats,
            "landcover_pixels": {
                str(y): {str(k): v for k, v in sorted(c.items())}
                for y, c in plan.landcover_counts.items()
            },
            "crosswalk": {
                "name": plan.crosswalk.name,
                "path": str(plan.crosswalk.path),
                "sha256": plan.crosswalk.sha256,
                "nodata_codes": sorted(plan.crosswalk.nodata),
            },
            "registers": {
                name: {
                    "path": str(plan.config.resolve(spec.path)),
                    "sha256": sha256_file(plan.config.resolve(spec.path)),
                    "demo": spec.demo,
                    "source": spec.source,
                }
                for name, spec in plan.config.registers.items()
            },
            "statistics": {
                name: {
                    "path": str(plan.config.resolve(spec.path)),
                    "sha256": sha256_file(plan.config.resolve(spec.path)),
                    "units": spec.units,
                    "demo": spec.demo,
                    "source": spec.source,
                }
                for name, spec in plan.config.statistics.items()
            },
            "workbook": _workbook(plan),
            "supplied_quantities": {
                str(year): sorted(items) for year, items in sorted(plan.supplied.items())
            },
        },
        "valuation": {
            "price_bases": list(plan.valuation.bases),
            "base_year": plan.valuation.base_year,
            "price_indexing": plan.valuation.indexing,
            "index_overrides": dict(plan.valuation.overrides),
            "deduct_imports": plan.config.valuation.deduct_imports,
            "rule": "as_recorded: each price record is the price of every accounting year; "
            "indexed: a price of year y is moved to year t with its index; values of the "
            "accounting year (output value, per-unit prices) are deflated to the base year "
            "with their index (gepkit.valuation.basis)",
            "index_rows_used": _index_rows(results),
        },
        "tables": plan.catalogue.describe(),
        "to_be_confirmed": _flagged(records, results, plan) + _flagged_presets(plan),
        "double_counting": [finding.describe() for finding in plan.double_counting],
        "grid": plan.grid.describe(),
        "units": {
            **plan.hierarchy.describe(),
            "rasterisation": "pixel centre in polygon (each pixel in at most one unit)",
            **_zone_weighting(plan),
            "aggregation": "parents are the sum of their children (province = Σ cities = Σ counties)",
        },
        "checks": _checks(results),
        "warnings": [str(w) for w in warnings],
        "config": plan.config.resolved(),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "execution": execution or {},
        "environment": _environment(),
        "outputs": sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file()),
    }


def _zone_weighting(plan: RunPlan) -> dict[str, Any]:
    """The [grid] zone_weighting of the run and, under coverage weighting, its boundary table."""
    zones = plan.zones
    if zones.boundary is None:
        return {"zone_weighting": "centre"}
    return {
        "zone_weighting": "coverage",
        "weighting_rule": "each boundary pixel (touched by several units or partly outside "
        "them) is shared among the leaf units by the fraction of it each covers (exact "
        "polygon-cell intersection areas, exactextract); the other pixels count wholly for the "
        "unit holding their centre; register features (lakes, reservoirs) by pixel centre",
        **zones.boundary.describe(),
    }


def _workbook(plan: RunPlan) -> dict[str, Any] | None:
    """The statistics workbook (a file or a CSV folder): every file hashed, and where each
    domain was read."""
    spec = plan.config.workbook
    if spec is None:
        return None
    path = plan.config.resolve(spec.path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {
        "path": str(path),
        "files": {
            str(f.relative_to(path) if path.is_dir() else f.name): sha256_file(f) for f in files
        },
        "domains": dict(plan.book.sources),
        "check_magnitudes": spec.check_magnitudes,
        "demo": spec.demo,
        "source": spec.source,
    }


def _index_rows(results: list[YearResult]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for result in results:
        for priced in result.priced.values():
            for p in priced:
                for row in p.index_records:
                    seen[(row.series, row.year)] = row.describe()
    return [seen[k] for k in sorted(seen)]


def _demo(plan: RunPlan) -> dict[str, Any]:
    layers = sorted({name for (name, _), s in plan.sources.items() if s.spec.demo})
    stats = sorted(name for name, spec in plan.config.statistics.items() if spec.demo)
    if plan.config.workbook is not None and plan.config.workbook.demo:
        stats.append(f"workbook {plan.config.workbook.path}")
    return {
        "is_demo": plan.demo,
        "notice": DEMO_NOTICE if plan.demo else "",
        "demo_layers": layers,
        "demo_statistics": stats,
    }


def _used_records(results: list[YearResult]) -> list[Record]:
    seen: dict[tuple[str, str, str], Record] = {}
    for result in results:
        for item in result.items.values():
            for record in item.records:
                seen[(record.kind, record.key, record.variant)] = record
    return list(seen.values())


def _items(results: list[YearResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for result in results:
        for item_id, item in result.items.items():
            out[item_id] = {
                "code": item.info.code,
                "category": item.info.category,
                "name_zh": item.info.name_zh,
                "name_en": item.info.name_en,
                "quantity_unit": item.info.quantity_unit,
                "method": item.method,
                "options": item.options,
                "parameters_and_prices": [r.describe() for r in item.records],
                "tables": item.tables,
                "parts": [p.id for p in item.parts],
                "reported_parts": {p.id: p.source for p in item.parts if not p.spatial},
                "caps": [
                    {"part": c.part, "statistic": c.statistic, "rule": c.rule} for c in item.caps
                ],
                "bounds": [
                    {"id": b.id, "description": b.description, "severity": b.severity}
                    for b in item.bounds
                ],
                "notes": item.notes,
                "components": [
                    {
                        "id": p.component.id,
                        "name": p.component.name_en,
                        "quantity_unit": p.component.quantity_unit,
                        "per_item": p.component.per_item,
                        "derivation": p.component.derivation,
                        "unit_price": None if p.per_unit else p.unit_price,
                        "price_unit": p.price_unit,
                        "price": (
                            f"reported: {p.component.price_source}"
                            if p.per_unit or p.component.price is None
                            else f"{p.component.price.key}/{p.component.price.variant}"
                        ),
                    }
                    for p in result.priced[item_id]
                ],
            }
    return out


def _flagged(
    records: list[Record], results: list[YearResult], plan: RunPlan
) -> list[dict[str, Any]]:
    """Every value used whose confidence is [S], [K] or [D]: to be confirmed before official use."""
    flagged: list[dict[str, Any]] = [
        {
            "what": f"{r.kind} {r.key}/{r.variant}",
            "value": r.value,
            "unit": r.unit,
            "confidence": r.confidence,
            "source": r.source,
        }
        for r in records
        if r.flagged
    ]
    seen: set[tuple[str, int]] = set()
    for result in results:
        for item in result.items.values():
            for name, codes in item.tables.items():
                table = plan.catalogue.table(name)
                for code in table.flagged_codes(codes):
                    if (name, code) in seen:
                        continue
                    seen.add((name, code))
                    row = table.frame.loc[code]
                    flagged.append(
                        {
                            "what": f"table {name}, ecosystem {code} "
                            f"({plan.catalogue.classes.name(code)})",
                            "value": row.get("value", row.get("rule")),
                            "unit": row.get("unit", ""),
                            "confidence": row["confidence"],
                            "source": row["source"],
                        }
                    )
    # Land-cover classes present in the region whose mapping is a judgement call ([K]).
    present = {code for counts in plan.landcover_counts.values() for code in counts}
    for cw in plan.crosswalk.flagged_rows(present):
        target = cw.ecosystem_code
        flagged.append(
            {
                "what": f"crosswalk {plan.crosswalk.name}, land-cover code {cw.source_code} "
                f"({cw.source_name}) → ecosystem {target} "
                f"({plan.catalogue.classes.name(target) if target is not None else 'no data'})",
                "value": target,
                "unit": "",
                "confidence": cw.confidence,
                "source": cw.source,
            }
        )
    for row in _index_rows(results):
        if row["confidence"] in FLAGGED_TAGS:
            flagged.append(
                {
                    "what": f"price index {row['series']} {row['year']}",
                    "value": row["value"],
                    "unit": row["unit"],
                    "confidence": row["confidence"],
                    "source": row["source"],
                }
            )
    if plan.profile.confidence in FLAGGED_TAGS:
        flagged.append(
            {
                "what": f"profile {plan.profile.id} item list",
                "value": None,
                "unit": "",
                "confidence": plan.profile.confidence,
                "source": plan.profile.source,
            }
        )
    return flagged


def _flagged_presets(plan: RunPlan) -> list[dict[str, Any]]:
    """Product presets used whose figures are [S] or [K] (docs/products.md)."""
    from gepkit.catalogue.products import preset

    out: list[dict[str, Any]] = []
    names = sorted(
        {s.encoding.product for s in plan.sources.values() if s.encoding and s.encoding.product}
    )
    for name in names:
        found = preset(name)
        if found is not None and found.confidence in FLAGGED_TAGS:
            out.append(
                {
                    "what": f"product preset {found.product} ({found.variable})",
                    "value": None,
                    "unit": found.units,
                    "confidence": found.confidence,
                    "source": f"{found.source}; not verified: {found.not_verified}",
                }
            )
    return out


def _checks(results: list[YearResult]) -> dict[str, Any]:
    checks = [c for r in results for c in r.checks]
    by_kind: dict[str, dict[str, int]] = {}
    for c in checks:
        entry = by_kind.setdefault(c.check, {"passed": 0, "failed": 0})
        entry["passed" if c.passed else "failed"] += 1
    return {"summary": by_kind, "details": "checks.csv"}


def _environment() -> dict[str, Any]:
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    try:
        import rasterio

        versions["gdal"] = rasterio.__gdal_version__
    except ImportError:  # pragma: no cover
        pass
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": versions}
