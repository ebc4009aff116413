"""Reading the administrative-unit (or any polygon) layer."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from gepkit.errors import InputError, Problem

STANDARD_COLUMNS = ["code", "name", "parent_code", "level", "geometry"]


def _code_text(value: Any) -> str:
    """Codes are text: 360102 and "360102" are the same unit, and leading zeros survive."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def open_vector(
    path: Path,
    *,
    where: str,
    layer: str | None,
    missing: str,
    missing_hint: str,
    name_in_message: bool = False,
) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage or Shapefile; a missing or unreadable file raises
    :class:`InputError` (``missing``, ``missing_hint``: the message and fix for a missing file)."""
    if not path.is_file():
        raise InputError(Problem(where=where, message=missing, hint=missing_hint))
    try:
        return gpd.read_file(path, layer=layer)
    except (DataSourceError, DataLayerError, ValueError) as err:
        name = f"{path.name} " if name_in_message else ""
        raise InputError(
            Problem(
                where=where,
                message=f"{name}is not a readable vector file ({err})",
                hint="use GeoJSON, GeoPackage or a Shapefile",
            )
        ) from err


def read_units(
    path: Path,
    *,
    where: str,
    layer: str | None,
    code_field: str,
    name_field: str,
    parent_field: str,
    level_field: str | None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read the units file into columns ``code, name, parent_code, level, geometry``.

    Returns the frame and a list of warnings.  Raises :class:`InputError` listing every problem
    (missing file or fields, empty or duplicate codes, missing CRS) at once.
    """
    frame = open_vector(
        path,
        where=where,
        layer=layer,
        missing=f"units file not found: {path}",
        missing_hint="check [units] path (relative paths are resolved against the config file)",
        name_in_message=True,
    )
    problems: list[Problem] = []
    warnings: list[Problem] = []
    fields = [c for c in frame.columns if c != "geometry"]
    wanted = {"code_field": code_field, "name_field": name_field, "parent_field": parent_field}
    if level_field:
        wanted["level_field"] = level_field
    for setting, column in wanted.items():
        if column not in frame.columns:
            if setting == "level_field":
                continue  # optional: levels are then inferred from the codes
            problems.append(
                Problem(
                    where=where,
                    field=column,
                    message=f"has no field '{column}' (fields found: {', '.join(fields) or 'none'})",
                    hint=f"set [units] {setting} to the field that holds the unit {setting.split('_')[0]}",
                )
            )
    if frame.crs is None:
        problems.append(
            Problem(
                where=where,
                message="has no coordinate reference system",
                hint="save the file with its CRS (GeoJSON is always WGS84, EPSG:4326)",
            )
        )
    if problems:
        raise InputError(problems)

    codes = frame[code_field].map(_code_text)
    empty = [i + 1 for i, c in enumerate(codes) if not c]
    if empty:
        problems.append(
            Problem(
                where=where,
                field=code_field,
                message=f"{len(empty)} feature(s) have no code (feature numbers {_few(empty)})",
                hint="every unit needs a code (e.g. the 6-digit GB/T 2260 code)",
            )
        )
    duplicates = sorted(set(codes[codes.duplicated() & (codes != "")]))
    if duplicates:
        problems.append(
            Problem(
                where=where,
                field=code_field,
                message=f"codes must be unique; repeated: {_few(duplicates)}",
                hint="merge the features of a unit into one (multi)polygon, or fix the codes",
            )
        )
    if problems:
        raise InputError(problems)

    out = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": frame[name_field].map(lambda v: "" if v is None or v != v else str(v).strip()),
            "parent_code": frame[parent_field].map(_code_text),
            "level": (
                frame[level_field].map(lambda v: "" if v is None or v != v else str(v).strip())
                if level_field and level_field in frame.columns
                else pd.Series([""] * len(frame))
            ),
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    )
    has_geometry = ~(out.geometry.isna() | out.geometry.is_empty)
    invalid = has_geometry & ~out.geometry.is_valid
    if invalid.any():
        fixed = list(out.loc[invalid, "code"])
        out.loc[invalid, "geometry"] = shapely.make_valid(out.loc[invalid, "geometry"].values)
        warnings.append(
            Problem(
                where=where,
                field="geometry",
                message=f"invalid geometries repaired with make_valid for units {_few(fixed)}",
            )
        )
    return out, warnings


def _few(values: list[Any], n: int = 10) -> str:
    shown = ", ".join(str(v) for v in values[:n])
    return shown + (f" … ({len(values)} in all)" if len(values) > n else "")
