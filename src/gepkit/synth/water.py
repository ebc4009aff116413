"""Lakes and reservoirs of a synthetic region: placed on the terrain, cut into it, registered.

Lakes go to the lowest land (the basin and the plains), reservoirs to the valleys of main rivers
in the hills.  Each is a star-shaped body r(θ) = r₀(1 + Σ a_k cos(kθ + φ_k)) (see
:mod:`gepkit.synth.landscape`); its water level is below the lowest terrain of the ring
around it (by a tenth of that height), so the surface sits in a hollow.  The same r(θ) gives the lake polygons of the
register, so the register and the land cover agree.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
from shapely.geometry import Polygon

from gepkit.grid import CHINA_ALBERS
from gepkit.synth.landscape import (
    B_CX,
    B_CY,
    B_HARMONICS,
    B_KIND,
    B_LEVEL,
    B_R0,
    BLEND,
    F_D1,
    F_M,
    F_Z,
    HARMONIC_ORDERS,
    LAKE,
    N_BODY_COLUMNS,
    P_VW1,
    RESERVOIR,
    Landscape,
    body_radius,
)

#: Mean depth of a reservoir [m] (for its storage capacity), and the share of it reserved for
#: flood control when the register gives one.
RESERVOIR_DEPTH_M = 18.0
FLOOD_SHARE = 0.3


def counts_for(pixels: int) -> tuple[int, int]:
    """Numbers of lakes and reservoirs for a grid size."""
    decades = max(0.0, math.log10(pixels / 1e4))
    return min(6, 1 + int(1.5 * decades)), min(5, 1 + int(decades))


def place_bodies(landscape: Landscape, seed: int) -> Landscape:
    """The landscape with its lakes and reservoirs."""
    rng = np.random.default_rng([seed, 4])
    side = landscape.geometry.side
    n_lakes, n_reservoirs = counts_for(landscape.geometry.size)
    bodies: list[np.ndarray] = []

    x, y = landscape.sample_points(rng, 800, margin=0.1)
    fields = landscape.points(x, y)
    order = np.argsort(fields[F_M] + 0.05 * rng.uniform(size=len(x)))
    for i in order:
        if len(bodies) == n_lakes:
            break
        r0 = side * (rng.uniform(0.03, 0.04) if not bodies else rng.uniform(0.008, 0.02))
        _try_add(bodies, _shape(rng, x[i], y[i], r0, LAKE), landscape)

    x, y = landscape.sample_points(rng, 800, margin=0.1)
    fields = landscape.points(x, y)
    hills = (fields[F_M] > 0.25) & (fields[F_M] < 0.7)
    score = fields[F_D1] / landscape.scalars[P_VW1] + np.abs(fields[F_M] - 0.45)
    score = np.where(hills, score, np.inf)
    placed = 0
    for i in np.argsort(score):
        if placed == n_reservoirs or not np.isfinite(score[i]):
            break
        r0 = side * rng.uniform(0.006, 0.014)
        placed += _try_add(bodies, _shape(rng, x[i], y[i], r0, RESERVOIR), landscape)

    table = np.array(bodies) if bodies else np.zeros((0, N_BODY_COLUMNS))
    for body in table:
        body[B_LEVEL] = _level(landscape, body)
    return landscape.with_bodies(table)


def _shape(rng: np.random.Generator, x: float, y: float, r0: float, kind: float) -> np.ndarray:
    body = np.zeros(N_BODY_COLUMNS)
    body[B_CX], body[B_CY], body[B_R0], body[B_KIND] = x, y, r0, kind
    for i, k in enumerate(HARMONIC_ORDERS):
        phase = rng.uniform(0.0, 2.0 * math.pi)
        amplitude = rng.uniform(0.1, 0.3) / (k - 1) if k == 2 else rng.uniform(0.0, 0.2) / k
        col = B_HARMONICS + 3 * i
        body[col], body[col + 1], body[col + 2] = amplitude, math.cos(phase), math.sin(phase)
    return body


def _reach(body: np.ndarray) -> float:
    return float(body[B_R0] * (1.0 + np.abs(body[B_HARMONICS::3]).sum()) * BLEND)


def _try_add(bodies: list[np.ndarray], body: np.ndarray, landscape: Landscape) -> bool:
    """Add ``body`` unless it overlaps another's reach or leaves the region."""
    left, bottom, right, top = landscape.geometry.region_bounds
    reach = _reach(body)
    x, y = body[B_CX], body[B_CY]
    if x - reach < left or x + reach > right or y - reach < bottom or y + reach > top:
        return False
    for other in bodies:
        if math.hypot(x - other[B_CX], y - other[B_CY]) < 1.2 * (reach + _reach(other)):
            return False
    bodies.append(body)
    return True


def _level(landscape: Landscape, body: np.ndarray) -> float:
    """Below the lowest terrain of the ring 1 ≤ ρ ≤ BLEND around the body (without bodies),
    by a tenth of its height."""
    theta = np.linspace(0.0, 2.0 * math.pi, 96, endpoint=False)
    radius = body_radius(body, theta)
    rings = np.linspace(1.0, BLEND, 5)
    x = np.concatenate([body[B_CX] + f * radius * np.cos(theta) for f in rings])
    y = np.concatenate([body[B_CY] + f * radius * np.sin(theta) for f in rings])
    bare = landscape.with_bodies(np.zeros((0, N_BODY_COLUMNS)))
    return float(bare.points(x, y)[F_Z].min()) * 0.9


def outline(body: np.ndarray, vertices: int = 180) -> Polygon:
    """The body's outline ρ = 1 as a polygon (China Albers)."""
    theta = np.linspace(0.0, 2.0 * math.pi, vertices, endpoint=False)
    radius = body_radius(body, theta)
    return Polygon(
        np.column_stack(
            [body[B_CX] + radius * np.cos(theta), body[B_CY] + radius * np.sin(theta)]
        ).round(2)
    )


def lakes(landscape: Landscape) -> list[np.ndarray]:
    return [b for b in landscape.bodies if b[B_KIND] == LAKE]


def reservoirs(landscape: Landscape) -> list[dict[str, object]]:
    """Register rows of the reservoirs: capacities in 万 m³ and the dam (the body's centre) in
    WGS84 degrees.  Every third reservoir has no flood-control capacity (the run then uses the
    parameter reservoir_flood_share)."""
    to_lonlat = pyproj.Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True)
    rows: list[dict[str, object]] = []
    for i, body in enumerate((b for b in landscape.bodies if b[B_KIND] == RESERVOIR), start=1):
        area = outline(body).area
        total = area * RESERVOIR_DEPTH_M / 1e4
        lon, lat = to_lonlat.transform(body[B_CX], body[B_CY])
        rows.append(
            {
                "name": f"合成水库{i} synthetic reservoir {i}",
                "total_capacity": round(total, 1),
                "flood_capacity": "" if i % 3 == 0 else round(FLOOD_SHARE * total, 1),
                "lon": round(lon, 6),
                "lat": round(lat, 6),
            }
        )
    return rows
