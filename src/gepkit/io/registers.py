"""Reading registers of features: lakes (polygons) and reservoirs (table or points)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from pyogrio.errors import DataLayerError, DataSourceError

from gepkit import units as u
from gepkit.config import RegisterSpec
from gepkit.errors import InputError, Problem
from gepkit.io.tables import read_csv, require_columns

KNOWN_REGISTERS = ("lakes", "reservoirs")


def read_lakes(spec: RegisterSpec, path: Path, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Lake polygons (one feature per lake) in ``crs``, with columns ``name, area_km2, geometry``.

    A lake split into several features would be treated as several lakes, and the lake
    regression is not additive (catalogue §3.4): each lake must be one (multi)polygon.
    """
    where = f"lake register {path}"
    frame = _read_vector(path, spec.layer, where)
    if spec.name_field not in frame.columns:
        raise InputError(
            Problem(
                where=where,
                field=spec.name_field,
                message=f"has no field '{spec.name_field}' "
                f"(fields: {', '.join(c for c in frame.columns if c != 'geometry')})",
                hint="set [registers.lakes] name_field",
            )
        )
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)].to_crs(crs)
    names = frame[spec.name_field].astype(str)
    duplicated = sorted(set(names[names.duplicated()]))
    if duplicated:
        raise InputError(
            Problem(
                where=where,
                field=spec.name_field,
                message=f"lakes appear more than once: {', '.join(duplicated[:10])}",
                hint="dissolve the parts of a lake into one multipolygon: the lake "
                "regression applies to whole lakes, never to fragments",
            )
        )
    out = gpd.GeoDataFrame(
        {"name": names.to_numpy(), "area_km2": frame.geometry.area.to_numpy() / 1e6},
        geometry=frame.geometry.to_numpy(),
        crs=crs,
    )
    return out


def read_reservoirs(
    spec: RegisterSpec, path: Path, crs: pyproj.CRS, known_units: set[str]
) -> pd.DataFrame:
    """Reservoirs with ``name, total_capacity_m3, flood_capacity_m3, x, y, unit_code``.

    ``x, y`` are in ``crs`` (NaN without coordinates); ``unit_code`` is given when there are no
    coordinates.  Capacities are converted from ``capacity_units`` to m³.
    """
    where = f"reservoir register {path}"
    frame = read_csv(path, dtype={spec.unit_code_field: "string"} if spec.unit_code_field else None)
    required = [spec.name_field, spec.total_capacity_field]
    problems = require_columns(frame, required, where)
    if problems:
        raise InputError(problems)
    try:
        scale, _ = u.conversion(spec.capacity_units, "m^3")
    except InputError as err:
        raise InputError(
            Problem(
                where="config",
                field="registers.reservoirs.capacity_units",
                message=f"'{spec.capacity_units}' is not a volume unit",
                hint="use 'm^3', '万m3' (10⁴ m³) or '亿m3' (10⁸ m³)",
            )
        ) from err
    total = pd.to_numeric(frame[spec.total_capacity_field], errors="coerce")
    flood = (
        pd.to_numeric(frame[spec.flood_capacity_field], errors="coerce")
        if spec.flood_capacity_field and spec.flood_capacity_field in frame.columns
        else pd.Series(np.nan, index=frame.index)
    )
    has_xy = bool(
        spec.lon_field
        and spec.lat_field
        and spec.lon_field in frame.columns
        and spec.lat_field in frame.columns
    )
    lon = (
        pd.to_numeric(frame[spec.lon_field], errors="coerce")
        if has_xy
        else pd.Series(np.nan, index=frame.index)
    )
    lat = (
        pd.to_numeric(frame[spec.lat_field], errors="coerce")
        if has_xy
        else pd.Series(np.nan, index=frame.index)
    )
    codes = (
        frame[spec.unit_code_field].astype("string").str.strip()
        if spec.unit_code_field and spec.unit_code_field in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    for i, row in frame.iterrows():
        line = int(str(i)) + 2
        name = row[spec.name_field]
        if pd.isna(total[i]) or total[i] < 0:
            problems.append(
                Problem(
                    where=where,
                    field=spec.total_capacity_field,
                    message=f"line {line} ({name}): '{row[spec.total_capacity_field]}' "
                    f"is not a non-negative number",
                )
            )
        if not pd.isna(flood[i]) and not pd.isna(total[i]) and flood[i] > total[i]:
            problems.append(
                Problem(
                    where=where,
                    field=spec.flood_capacity_field,
                    message=f"line {line} ({name}): flood-control capacity exceeds total capacity",
                )
            )
        located = not (pd.isna(lon[i]) or pd.isna(lat[i]))
        code = codes[i]
        if not located and (pd.isna(code) or not str(code)):
            problems.append(
                Problem(
                    where=where,
                    message=f"line {line} ({name}): neither coordinates nor a unit code",
                    hint=f"fill {spec.lon_field}/{spec.lat_field} (WGS84) or "
                    f"{spec.unit_code_field}",
                )
            )
        elif not located and str(code) not in known_units:
            problems.append(
                Problem(
                    where=where,
                    field=spec.unit_code_field,
                    message=f"line {line} ({name}): unit code '{code}' is not in the units file",
                )
            )
    if problems:
        raise InputError(problems)
    x, y = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    located = ~(lon.isna() | lat.isna()).to_numpy()
    if located.any():
        transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x[located], y[located] = transformer.transform(
            lon.to_numpy()[located], lat.to_numpy()[located]
        )
    return pd.DataFrame(
        {
            "name": frame[spec.name_field].astype(str).to_numpy(),
            "total_capacity_m3": total.to_numpy() * scale,
            "flood_capacity_m3": flood.to_numpy() * scale,
            "x": x,
            "y": y,
            "unit_code": codes.to_numpy(),
        }
    )


def reservoirs_from_rows(rows: pd.DataFrame, crs: pyproj.CRS) -> pd.DataFrame:
    """The reservoirs of the statistics workbook (sheet ``reservoirs``, already validated and in
    m³, every row with the code of its unit) in the register format of :func:`read_reservoirs`."""
    lon = pd.to_numeric(rows.get("lon", pd.Series(np.nan, index=rows.index)), errors="coerce")
    lat = pd.to_numeric(rows.get("lat", pd.Series(np.nan, index=rows.index)), errors="coerce")
    x, y = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    located = ~(lon.isna() | lat.isna()).to_numpy()
    if located.any():
        transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x[located], y[located] = transformer.transform(
            lon.to_numpy()[located], lat.to_numpy()[located]
        )
    flood = rows.get("flood_capacity", np.nan)
    return pd.DataFrame(
        {
            "name": rows["name"].astype(str).to_numpy(),
            "total_capacity_m3": pd.to_numeric(rows["total_capacity"]).to_numpy(dtype="float64"),
            "flood_capacity_m3": pd.to_numeric(pd.Series(flood, index=rows.index)).to_numpy(
                dtype="float64"
            ),
            "x": x,
            "y": y,
            "unit_code": rows["code"].astype("string").to_numpy(),
        }
    )


def _read_vector(path: Path, layer: str | None, where: str) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise InputError(
            Problem(
                where=where,
                message="file not found",
                hint="check the path (relative paths are resolved against the config file)",
            )
        )
    try:
        frame = gpd.read_file(path, layer=layer)
    except (DataSourceError, DataLayerError, ValueError) as err:
        raise InputError(
            Problem(where=where, message=f"not a readable vector file ({err})")
        ) from err
    if frame.crs is None:
        raise InputError(Problem(where=where, message="has no coordinate reference system"))
    return frame
