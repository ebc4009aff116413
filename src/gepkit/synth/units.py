"""Administrative units of a synthetic region: a province, its cities and their counties.

Cities are the Voronoi cells of a jittered grid of seats, clipped to the region; each city is
split into counties by the Voronoi cells of points spread over it (a few Lloyd iterations make
the counties of similar size), clipped to the city.  The counties therefore partition each city
exactly and the cities the region.  Codes follow GB/T 2260 in the unused range 99: the province
``990000``, cities ``99cc00``, counties ``99cckk``.

Every county has a seat (the lowest, flattest of a few candidate points away from lakes and
reservoirs); the seats become the built-up areas of the land cover, the city seats larger.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, box

from gepkit.grid import CHINA_ALBERS
from gepkit.synth.landscape import (
    F_M,
    F_RHO,
    F_ZS,
    T_CX,
    T_CY,
    T_R,
    Geometry,
    Landscape,
)

PROVINCE_CODE = "990000"
#: Share of a county's area that its seat's built-up area covers, about (the town's disk is
#: four times larger: the built-up land is its frayed core, see landscape.classify).
COUNTY_SEAT_SHARE = 0.015
CITY_SEAT_SHARE = 0.045


@dataclass(frozen=True)
class Units:
    """The units (GeoDataFrame: code, name, parent_code, level, geometry) and the towns
    (seats: x, y, radius [m])."""

    frame: gpd.GeoDataFrame
    towns: np.ndarray

    @property
    def counties(self) -> gpd.GeoDataFrame:
        return self.frame[self.frame["level"] == "county"]


def counts_for(pixels: int) -> tuple[tuple[int, int], int]:
    """(columns, rows) of the grid of city seats, and counties per city, for a grid size."""
    if pixels < 300_000:
        return (2, 2), 3
    if pixels < 3_000_000:
        return (3, 2), 4
    if pixels < 30_000_000:
        return (3, 3), 6
    if pixels < 100_000_000:
        return (4, 3), 8
    return (4, 4), 9


def build_units(landscape: Landscape, seed: int) -> Units:
    """Cities and counties of the region, and the county seats."""
    rng = np.random.default_rng([seed, 3])
    geometry = landscape.geometry
    region = box(*geometry.region_bounds)
    (cols, rows), per_city = counts_for(geometry.size)
    cities = _voronoi(_jittered_seats(geometry, cols, rows, rng), region)
    mean_area = region.area / (cols * rows)
    records: list[dict[str, object]] = [
        {
            "code": PROVINCE_CODE,
            "name": "合成省",
            "parent_code": "",
            "level": "province",
            "geometry": region,
        }
    ]
    towns: list[tuple[float, float, float]] = []
    for i, city in enumerate(cities, start=1):
        city_code = f"99{i:02d}00"
        records.append(
            {
                "code": city_code,
                "name": f"合成{i:02d}市",
                "parent_code": PROVINCE_CODE,
                "level": "city",
                "geometry": city,
            }
        )
        count = max(2, round(per_city * city.area / mean_area))
        counties = _voronoi(_spread_points(city, count, rng), city)
        seats = [_seat(landscape, county, rng) for county in counties]
        capital = int(np.argmin([score for _, _, score in seats]))
        for k, (county, (x, y, _)) in enumerate(zip(counties, seats, strict=True), start=1):
            records.append(
                {
                    "code": f"99{i:02d}{k:02d}",
                    "name": f"合成{i:02d}市{k:02d}县",
                    "parent_code": city_code,
                    "level": "county",
                    "geometry": county,
                }
            )
            share = CITY_SEAT_SHARE if k - 1 == capital else COUNTY_SEAT_SHARE
            towns.append((x, y, float(np.sqrt(4.0 * share * county.area / np.pi))))
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=CHINA_ALBERS)
    town_array = np.zeros((len(towns), 3))
    for j, (x, y, radius) in enumerate(towns):
        town_array[j, T_CX], town_array[j, T_CY], town_array[j, T_R] = x, y, radius
    return Units(frame=frame, towns=town_array)


def _jittered_seats(
    geometry: Geometry, cols: int, rows: int, rng: np.random.Generator
) -> np.ndarray:
    left, bottom, right, top = geometry.region_bounds
    dx, dy = (right - left) / cols, (top - bottom) / rows
    seats = [
        (
            left + (c + 0.5 + rng.uniform(-0.3, 0.3)) * dx,
            bottom + (r + 0.5 + rng.uniform(-0.3, 0.3)) * dy,
        )
        for r in range(rows)
        for c in range(cols)
    ]
    return np.array(seats)


def _spread_points(polygon: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points spread evenly over ``polygon``: random points, then Lloyd iterations
    on a sample of the polygon (each point moves to the centroid of its share of the
    sample)."""
    sample = _random_inside(polygon, 4000, rng)
    points = sample[rng.choice(len(sample), count, replace=False)]
    for _ in range(8):
        nearest = np.argmin(((sample[:, None, :] - points[None, :, :]) ** 2).sum(axis=2), axis=1)
        for k in range(count):
            mine = sample[nearest == k]
            if len(mine):
                points[k] = mine.mean(axis=0)
    return points


def _random_inside(polygon: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    left, bottom, right, top = polygon.bounds
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        x = rng.uniform(left, right, 2 * count)
        y = rng.uniform(bottom, top, 2 * count)
        inside = shapely.contains_xy(polygon, x, y)
        found.append(np.column_stack([x[inside], y[inside]]))
        total += int(inside.sum())
    return np.concatenate(found)[:count]


def _voronoi(points: np.ndarray, within: Polygon) -> list[Polygon]:
    """The Voronoi cells of ``points`` (in their order) clipped to ``within``."""
    cells = shapely.voronoi_polygons(
        MultiPoint([tuple(p) for p in points]), extend_to=within, ordered=True
    )
    out: list[Polygon] = []
    for cell in cells.geoms:
        clipped = cell.intersection(within)
        if clipped.geom_type != "Polygon":  # a sliver split off: keep the largest part
            clipped = max(clipped.geoms, key=lambda g: g.area)
        out.append(clipped)
    return out


def _seat(
    landscape: Landscape, county: Polygon, rng: np.random.Generator
) -> tuple[float, float, float]:
    """The county seat: of 48 points inside the county (in its inner part), the one lowest on
    the smooth terrain, at least a body's width away from lakes and reservoirs; with its score
    (lower: lower and flatter land)."""
    inner = county.buffer(-0.15 * np.sqrt(county.area))
    candidates = _random_inside(inner if inner.area > 0 else county, 48, rng)
    fields = landscape.points(candidates[:, 0], candidates[:, 1])
    score = fields[F_M] + fields[F_ZS] / 2000.0 + 10.0 * (fields[F_RHO] < 4.0)
    best = int(np.argmin(score))
    return float(candidates[best, 0]), float(candidates[best, 1]), float(score[best])
