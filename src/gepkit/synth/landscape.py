"""A synthetic landscape: terrain, water bodies, land cover, climate and vegetation layers.

Everything here is a pure function of a cell's coordinates and of the :class:`Landscape`
parameters drawn from the seed, so any window is computed on its own and joins its neighbours
without a seam (windows that need neighbours — slopes — are computed with a one-cell halo of
the same function).  Nothing is normalised by a window's own statistics.

The terrain (metres) is

    z = z_macro(M)·(1 − 0.25 V₁) + A(M)·(damp · D − c · V)   (water bodies: flat at their level)

* ``M`` ∈ [0, 1], "mountainousness": three broad octaves of gradient noise with a basin (a
  smooth dip at a seeded place), mapped through the 10 %, 50 % and 99 % quantiles of a sample
  to 0, 0.43 and 1, so that every region has plains, hills and mountains;
  ``z_macro = s·(30 + 1000 M²)``.
* ``D``: fractal detail from ``min(L/2, 16 km)`` down to 2.5 cells, amplitude ∝ λ^0.55 above
  1 km (rough hills) and ∝ λ below (smooth at the scale of cells, so that 30 m slopes are those
  of real terrain: mean ≈ 10°, 1 % above ≈ 40°); octaves from 0.4 to 8 km are ridged (sharp
  crests); ``A = s·(20 + 650 M)`` m: plains undulate by tens of metres, mountains by hundreds.
* Rivers are the zero lines of two smooth noises (main rivers and tributaries); the distance to
  them is |n|/|∇n| (analytic gradient).  Valleys ``V`` of a V-shaped profile, with a flat floor
  along the main rivers, are carved along them, deeper in the mountains, and the detail is
  damped towards their floors (flood plains).
* Lakes (in the lowlands) and reservoirs (in hilly valleys) are star-shaped bodies
  r(θ) = r₀(1 + Σ a_k cos(kθ + φ_k)); inside, the DEM is flat at a level below the lowest
  terrain around them, and the shore rises smoothly to the terrain outside.
* ``s = min(1, (L / 40 km)^0.75)`` scales the relief of small regions (L: the region's side),
  so that a 6 km region is not an alpine wall; from 40 km up, heights reach 1,500–1,800 m.
* Heights below 8 m are compressed smoothly towards 0, never clipped (no flat sea of zeros).

Land cover (CLCD codes, crosswalk ``clcd``) follows the smooth terrain (the DEM without the
octaves finer than 600 m, and its slope), so class boundaries are smooth lines, not speckle:
water in lakes, reservoirs, ponds and the river channels of the lowlands; marsh around lakes
and on wet flood plains; built-up land around the county seats (frayed by noise) and in
villages on flat low land; cropland on flat land of the plains and main valley floors below
~700 m; forest on slopes; shrub and grass patches and higher up; bare rock on the highest and
steepest ground.  Climate follows elevation (lapse rate 6 °C/km, orographic rain +35 %/km) and
latitude (rain −1 mm/km and temperature −0.8 °C/100 km to the north), with the monthly
normals of the Jiangxi demo; NDVI, NPP and ET follow land cover and climate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numba
import numpy as np

from gepkit.synth import noise

# -- CLCD classes (crosswalk "clcd": 1→51, 2→13, 3→21, 4→33, 5→42, 7→82, 8→61, 9→41) --------
CROPLAND, FOREST, SHRUB, GRASSLAND, WATER, SNOW, BARREN, IMPERVIOUS, WETLAND = range(1, 10)
CLASS_NAMES = {
    CROPLAND: "cropland",
    FOREST: "forest",
    SHRUB: "shrub",
    GRASSLAND: "grassland",
    WATER: "water",
    SNOW: "snow/ice",
    BARREN: "barren",
    IMPERVIOUS: "impervious",
    WETLAND: "wetland",
}

# -- magnitudes (the Jiangxi demo's, scripts/make_jiangxi_demo.py; tags there) ---------------
#: Monthly shares of the annual precipitation, south of the region (Jiangxi: Jan–Jun 66 %).
PRECIP_SHARE_SOUTH = np.array([4.0, 5.5, 9.5, 12.5, 15.0, 19.5, 8.2, 6.7, 5.3, 4.6, 5.0, 4.2]) / 100
#: … and 400 km further north, where more of the rain comes with the July–August monsoon.
PRECIP_SHARE_NORTH = (
    np.array([3.5, 4.5, 7.5, 10.5, 13.0, 16.5, 14.0, 11.0, 6.0, 4.5, 5.0, 4.0]) / 100
)
#: Monthly mean temperature normals [°C] at the region's centre and ~100 m above sea level.
TEMP_MONTHLY_C = np.array([6.1, 8.2, 12.2, 18.0, 22.6, 25.9, 28.8, 28.3, 25.0, 19.6, 13.6, 8.1])
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)
PRECIP_CENTRE_MM = 1650.0  # annual precipitation at sea level, region centre
PRECIP_NORTH_GRADIENT = -1.0  # mm per km to the north
PRECIP_OROGRAPHIC = 0.00035  # relative increase per m of elevation
LAPSE_RATE = 0.006  # °C per m
TEMP_NORTH_GRADIENT = -0.008  # °C per km to the north
SEASONAL_NORTH_GRADIENT = 0.0008  # seasonal amplitude grows by 0.08 % per km to the north
HOT_DAY_TMAX_C = 26.0  # air conditioning on days with a maximum above 26 °C
DIURNAL_HALF_RANGE_C = 5.0  # mean daily maximum ≈ mean + 5 °C
R_CENTRE = 8500.0  # rainfall erosivity at PRECIP_REFERENCE_MM [MJ·mm/(hm²·h·a)]
PRECIP_REFERENCE_MM = 1675.0
R_EXPONENT = 1.6
K_MEAN = 0.030  # soil erodibility of red soils [t·hm²·h/(hm²·MJ·mm)]

#: Per class: NDVI (annual maximum), NPP [gC/m²], actual ET [mm] at the reference climate.
CLASS_NDVI = {1: 0.74, 2: 0.86, 3: 0.78, 4: 0.68, 5: -0.08, 6: -0.05, 7: 0.14, 8: 0.26, 9: 0.58}
CLASS_NPP = {1: 560.0, 2: 820.0, 3: 610.0, 4: 480.0, 5: np.nan, 6: 0.0, 7: 60.0, 8: 140.0, 9: 520.0}
CLASS_ET = {
    1: 720.0,
    2: 800.0,
    3: 690.0,
    4: 610.0,
    5: 1050.0,
    6: 150.0,
    7: 260.0,
    8: 330.0,
    9: 900.0,
}

# -- per-cell fields computed by the kernel --------------------------------------------------
F_Z, F_ZS, F_M, F_D1, F_D2, F_RHO, F_KIND, F_URBAN = range(8)
F_VEG, F_WET, F_VIL, F_FINE, F_CLIM, F_SOIL = range(8, 14)
N_FIELDS = 14
#: the fields that are plain noises, in the order of Landscape.misc
MISC_FIELDS = (F_VEG, F_WET, F_VIL, F_FINE, F_CLIM, F_SOIL)
#: Flat floor of the main valleys, as a share of their half-width.
VALLEY_FLOOR = 0.12
#: Heights below this [m] are compressed smoothly towards 0 (see _floor).
FLOOR_M = 8.0
#: ``rho`` where no water body is near (the body's influence ends at ρ = BLEND).
NO_BODY = 9.0
BLEND = 1.6

# scalar parameters (index into Landscape.scalars)
(
    P_S,
    P_Z0,
    P_Z1,
    P_A0,
    P_A1,
    P_BX,
    P_BY,
    P_BR,
    P_BDEPTH,
    P_MLO,
    P_MMID,
    P_MHI,
    P_CARVE,
    P_MAIN_CUT,
    P_TRIB,
    P_VW1,
    P_VW2,
    P_G1MIN,
    P_G2MIN,
) = range(19)
N_SCALARS = 19

# water bodies: one row each
B_CX, B_CY, B_R0, B_LEVEL, B_KIND = range(5)
B_HARMONICS = 5  # then (a_k, cos φ_k, sin φ_k) for k = 2 … 5
HARMONIC_ORDERS = (2, 3, 4, 5)
N_BODY_COLUMNS = B_HARMONICS + 3 * len(HARMONIC_ORDERS)
LAKE, RESERVOIR = 1.0, 2.0
# towns: one row each
T_CX, T_CY, T_R = range(3)


@dataclass(frozen=True)
class Geometry:
    """The north-up grid of the synthetic region (China Albers, metres)."""

    resolution: float
    width: int
    height: int
    left: float
    top: float

    @classmethod
    def for_pixels(
        cls, pixels: int, resolution: float, centre: tuple[float, float] = (1_050_000, 2_960_000)
    ) -> Geometry:
        """A square-ish grid of about ``pixels`` cells centred near ``centre``, with its edges
        on multiples of the resolution."""
        width = max(math.ceil(math.sqrt(pixels)), 8)
        height = max(round(pixels / width), 8)
        left = math.floor((centre[0] - width * resolution / 2) / resolution) * resolution
        top = math.floor((centre[1] + height * resolution / 2) / resolution) * resolution
        return cls(float(resolution), width, height, float(left), float(top))

    @property
    def size(self) -> int:
        return self.width * self.height

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (
            self.left,
            self.top - self.height * self.resolution,
            self.left + self.width * self.resolution,
            self.top,
        )

    @property
    def region_bounds(self) -> tuple[float, float, float, float]:
        """The region: the grid less a border of one cell (the accounting grid gepkit derives
        from the units' bounding box adds exactly that cell back, so files and grid coincide)."""
        left, bottom, right, top = self.bounds
        r = self.resolution
        return (left + r, bottom + r, right - r, top - r)

    @property
    def side(self) -> float:
        """The longer side of the grid [m]."""
        return max(self.width, self.height) * self.resolution

    @property
    def centre(self) -> tuple[float, float]:
        left, bottom, right, top = self.bounds
        return ((left + right) / 2, (bottom + top) / 2)

    def x_of(self, cols: np.ndarray) -> np.ndarray:
        return self.left + (cols + 0.5) * self.resolution

    def y_of(self, rows: np.ndarray) -> np.ndarray:
        return self.top - (rows + 0.5) * self.resolution


@dataclass(frozen=True)
class Landscape:
    """Every parameter of a synthetic landscape, drawn from the seed (see :meth:`create`)."""

    geometry: Geometry
    seed: int
    scalars: np.ndarray
    macro: tuple[np.ndarray, np.ndarray]
    detail: tuple[np.ndarray, np.ndarray]
    n_coarse: int
    river1: tuple[np.ndarray, np.ndarray]
    river2: tuple[np.ndarray, np.ndarray]
    misc: tuple[tuple[np.ndarray, np.ndarray], ...]
    bodies: np.ndarray = field(default_factory=lambda: np.zeros((0, N_BODY_COLUMNS)))
    towns: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    #: half-widths of the river channels [m] where they are widest (lowlands)
    channel1: float = 0.0
    channel2: float = 0.0

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def create(cls, geometry: Geometry, seed: int) -> Landscape:
        """Terrain, rivers and noise fields for ``seed`` (no water bodies or towns yet)."""
        rng = np.random.default_rng([seed, 1])
        side = geometry.side
        res = geometry.resolution
        scale = min(1.0, (side / 40_000.0) ** 0.75)
        macro = noise.octave_table(rng, [1.2 * side, 0.6 * side, 0.3 * side], [0.55, 0.3, 0.15])

        top = min(0.5 * side, 16_000.0)
        wavelengths = [top]
        while wavelengths[-1] / 2 >= 2.5 * res:
            wavelengths.append(wavelengths[-1] / 2)
        lam = np.array(wavelengths)
        # rough at the scale of hills and mountains (∝ λ^0.55), smoother below 1 km (∝ λ),
        # so that slopes at 30 m stay in the range of real terrain
        amp = np.where(lam >= 1_000.0, lam**0.55, 1_000.0**0.55 * (lam / 1_000.0))
        amp /= np.sqrt((amp**2).sum())  # unit variance scale: the detail's std is ≈ 0.33
        ridged = (lam >= 400.0) & (lam <= 8_000.0)
        # a ridged octave (1 − 2|n|/N) is about three times steeper than a plain one
        amp = np.where(ridged, 0.45 * amp, amp)
        detail = noise.octave_table(rng, lam, amp, ridged)
        n_coarse = int(np.sum(lam >= max(20 * res, 600.0)))

        lam1 = float(np.clip(side / 2.2, 3_000.0, 60_000.0))
        lam2 = lam1 / 3.5
        river1 = noise.octave_table(rng, [lam1, lam1 / 4], [1.0, 0.2])
        river2 = noise.octave_table(rng, [lam2, lam2 / 4], [1.0, 0.2])
        misc = (  # in the order of MISC_FIELDS
            noise.octave_table(rng, [2_400.0, 800.0], [0.65, 0.35]),  # vegetation mix
            noise.octave_table(rng, [3_000.0, 900.0], [0.6, 0.4]),  # wetness
            noise.octave_table(rng, [700.0, 330.0], [0.6, 0.4]),  # villages
            noise.octave_table(rng, [180.0], [1.0]),  # fine texture of NDVI, NPP, ET
            noise.octave_table(rng, [0.8 * side, 0.3 * side], [0.7, 0.3]),  # climate pattern
            noise.octave_table(rng, [6_000.0, 1_500.0], [0.6, 0.4]),  # soil
        )
        scalars = np.zeros(N_SCALARS)
        scalars[P_S] = scale
        scalars[P_Z0], scalars[P_Z1] = 30.0, 1000.0
        scalars[P_A0], scalars[P_A1] = 20.0, 650.0
        left, bottom, right, top_ = geometry.region_bounds
        scalars[P_BX] = left + (right - left) * rng.uniform(0.25, 0.75)
        scalars[P_BY] = bottom + (top_ - bottom) * rng.uniform(0.25, 0.75)
        scalars[P_BR] = 0.3 * side
        scalars[P_BDEPTH] = 0.35
        scalars[P_MLO], scalars[P_MMID], scalars[P_MHI] = -1.0, 0.0, 1.0  # calibrated below
        # valley depth in units of the local relief amplitude A; shallower where the valleys
        # are narrow (small regions), so their walls stay as steep as elsewhere
        scalars[P_CARVE] = 0.7 * min(1.0, lam1 / 15_000.0)
        scalars[P_MAIN_CUT] = 0.25  # main valleys also cut into the broad relief (share)
        scalars[P_TRIB] = 0.5  # tributary valleys: depth relative to the main valleys
        scalars[P_VW1] = 0.2 * lam1
        scalars[P_VW2] = 0.2 * lam2
        scalars[P_G1MIN] = 0.3 / lam1
        scalars[P_G2MIN] = 0.3 / lam2
        landscape = cls(
            geometry=geometry,
            seed=seed,
            scalars=scalars,
            macro=macro,
            detail=detail,
            n_coarse=n_coarse,
            river1=river1,
            river2=river2,
            misc=misc,
            channel1=max(res, 0.004 * lam1),
            channel2=0.0016 * lam1,  # tributaries narrower than a cell are not drawn
        )
        return landscape.calibrated(rng)

    def calibrated(self, rng: np.random.Generator) -> Landscape:
        """Map the macro noise to M ∈ [0, 1] by quantiles of a sample of it (see
        :func:`_mountainousness`), so that every region has plains, hills and mountains."""
        x, y = self.sample_points(rng, 4096)
        m = _dipped_points(x, y, noise.fbm_points(x, y, *self.macro, 0, -1, 0.0), self.scalars)
        scalars = self.scalars.copy()
        scalars[P_MLO], scalars[P_MMID], scalars[P_MHI] = np.quantile(m, [0.10, 0.5, 0.99])
        return replace(self, scalars=scalars)

    def sample_points(
        self, rng: np.random.Generator, count: int, margin: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """``count`` random points inside the region, ``margin`` (share of the side) from its
        edges."""
        left, bottom, right, top = self.geometry.region_bounds
        mx, my = margin * (right - left), margin * (top - bottom)
        return (
            rng.uniform(left + mx, right - mx, count),
            rng.uniform(bottom + my, top - my, count),
        )

    def with_bodies(self, bodies: np.ndarray) -> Landscape:
        return replace(self, bodies=np.ascontiguousarray(bodies, dtype=np.float64))

    def with_towns(self, towns: np.ndarray) -> Landscape:
        return replace(self, towns=np.ascontiguousarray(towns, dtype=np.float64))

    # -- evaluation --------------------------------------------------------------------------

    def fields(self, col0: int, row0: int, height: int, width: int) -> np.ndarray:
        """The per-cell fields (``F_*``, float32, shape (N_FIELDS, height, width)) of a window of
        the grid; the window may reach beyond the grid (halos)."""
        g = self.geometry
        window = (g.left, g.top, g.resolution, int(col0), int(row0), int(height), int(width))

        def grid(
            tables: tuple[np.ndarray, np.ndarray], first: int = 0, stop: int = -1, gmin: float = 0.0
        ) -> np.ndarray:
            # every argument given, with fixed types: one compiled signature
            return noise.fbm_grid(*window, *tables, int(first), int(stop), float(gmin))

        out = np.empty((N_FIELDS, height, width), dtype=np.float32)
        nc = self.n_coarse
        out[F_D1] = grid(self.river1, 0, -1, self.scalars[P_G1MIN])
        out[F_D2] = grid(self.river2, 0, -1, self.scalars[P_G2MIN])
        _combine_grid(
            out,
            g.left,
            g.top,
            g.resolution,
            col0,
            row0,
            grid(self.macro),
            grid(self.detail, 0, nc),
            grid(self.detail, nc, -1),
            out[F_D1],
            out[F_D2],
            self.scalars,
            self._near(self.bodies, col0, row0, height, width, B_CX, B_CY, _body_reach),
            self._near(self.towns, col0, row0, height, width, T_CX, T_CY, _town_reach),
        )
        for index, tables in zip(MISC_FIELDS, self.misc, strict=True):
            out[index] = grid(tables)
        return out

    def points(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The same fields at arbitrary points: float32, shape (N_FIELDS, n)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)

        def at(
            tables: tuple[np.ndarray, np.ndarray], first: int = 0, stop: int = -1, gmin: float = 0.0
        ) -> np.ndarray:
            return noise.fbm_points(x, y, *tables, int(first), int(stop), float(gmin))

        out = np.empty((N_FIELDS, len(x)), dtype=np.float32)
        nc = self.n_coarse
        d1 = at(self.river1, 0, -1, self.scalars[P_G1MIN])
        d2 = at(self.river2, 0, -1, self.scalars[P_G2MIN])
        _combine_points(
            out,
            x,
            y,
            at(self.macro),
            at(self.detail, 0, nc),
            at(self.detail, nc, -1),
            d1,
            d2,
            self.scalars,
            self.bodies,
            self.towns,
        )
        out[F_D1] = d1
        out[F_D2] = d2
        for index, tables in zip(MISC_FIELDS, self.misc, strict=True):
            out[index] = at(tables)
        return out

    def _near(
        self,
        rows: np.ndarray,
        col0: int,
        row0: int,
        height: int,
        width: int,
        cx: int,
        cy: int,
        reach: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """The bodies or towns whose influence may reach the window (the others add nothing,
        so leaving them out changes no value)."""
        if len(rows) == 0:
            return rows
        g = self.geometry
        x0 = g.left + col0 * g.resolution
        x1 = x0 + width * g.resolution
        y1 = g.top - row0 * g.resolution
        y0 = y1 - height * g.resolution
        radius = reach(rows)
        keep = (
            (rows[:, cx] + radius >= x0)
            & (rows[:, cx] - radius <= x1)
            & (rows[:, cy] + radius >= y0)
            & (rows[:, cy] - radius <= y1)
        )
        return np.ascontiguousarray(rows[keep])


def _body_reach(bodies: np.ndarray) -> np.ndarray:
    amplitude = np.abs(bodies[:, B_HARMONICS::3]).sum(axis=1)
    return bodies[:, B_R0] * (1.0 + amplitude) * BLEND * 1.01 + 1.0


def _town_reach(towns: np.ndarray) -> np.ndarray:
    return towns[:, T_R] * 1.01 + 1.0


def body_radius(body: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """r(θ) of a water body [m] (for its outline polygon)."""
    r = np.ones_like(theta)
    for i, k in enumerate(HARMONIC_ORDERS):
        a, c, s = body[B_HARMONICS + 3 * i : B_HARMONICS + 3 * i + 3]
        r += a * (np.cos(k * theta) * c - np.sin(k * theta) * s)
    return body[B_R0] * r


# -- the kernel ----------------------------------------------------------------------------------


@numba.njit(inline="always", nogil=True)
def _smoothstep(t: float) -> float:
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return t * t * (3.0 - 2.0 * t)


@numba.njit(inline="always", nogil=True)
def _dipped(x: float, y: float, m: float, sc: np.ndarray) -> float:
    """The macro noise ``m`` with the basin's dip."""
    dx = (x - sc[P_BX]) / sc[P_BR]
    dy = (y - sc[P_BY]) / sc[P_BR]
    t2 = dx * dx + dy * dy
    if t2 < 1.0:
        m -= sc[P_BDEPTH] * (1.0 - t2) * (1.0 - t2)
    return m


@numba.njit(nogil=True, cache=True)
def _dipped_points(x: np.ndarray, y: np.ndarray, m: np.ndarray, sc: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = _dipped(x[i], y[i], float(m[i]), sc)
    return out


@numba.njit(inline="always", nogil=True)
def _mountainousness(x: float, y: float, m: float, sc: np.ndarray) -> float:
    """M ∈ [0, 1]: the dipped macro noise through its quantiles q10 → 0, q50 → 0.43, q95 → 1
    (piecewise linear), then a smoothstep (no kink at the ends)."""
    v = _dipped(x, y, m, sc)
    if v < sc[P_MMID]:
        t = 0.43 * (v - sc[P_MLO]) / (sc[P_MMID] - sc[P_MLO])
    else:
        t = 0.43 + 0.57 * (v - sc[P_MMID]) / (sc[P_MHI] - sc[P_MMID])
    return _smoothstep(t)


@numba.njit(inline="always", nogil=True)
def _combine(
    x: float,
    y: float,
    m: float,
    coarse: float,
    fine: float,
    d1: float,
    d2: float,
    sc: np.ndarray,
    bodies: np.ndarray,
    towns: np.ndarray,
) -> tuple[float, float, float, float, float, float]:
    """Terrain of one cell from its noises: (z, z_smooth, M, ρ of the nearest water body,
    its kind, town intensity)."""
    s = sc[P_S]
    big_m = _mountainousness(x, y, m, sc)
    z_macro = s * (sc[P_Z0] + sc[P_Z1] * big_m * big_m)
    amp = s * (sc[P_A0] + sc[P_A1] * big_m)
    # valleys: a V-shaped profile (1 − d / half-width)² along the rivers' zero lines, joining
    # the hillslopes smoothly at the half-width; the main valleys have a flat floor
    t1 = d1 / sc[P_VW1]
    t2 = d2 / sc[P_VW2]
    u1 = max(0.0, (t1 - VALLEY_FLOOR) / (1.0 - VALLEY_FLOOR))
    v1 = (1.0 - u1) * (1.0 - u1) if u1 < 1.0 else 0.0
    v2 = (1.0 - t2) * (1.0 - t2) if t2 < 1.0 else 0.0
    valley = max(v1, sc[P_TRIB] * (1.0 - 0.7 * big_m) * v2)
    # flood plains: the relief fades towards the valley floors
    damp = 0.25 + 0.75 * _smoothstep(min(t1, t2) / 0.5)
    base = z_macro * (1.0 - sc[P_MAIN_CUT] * v1) - amp * sc[P_CARVE] * valley
    z = base + amp * damp * (coarse + fine)
    zs = base + amp * damp * coarse

    rho_min = NO_BODY
    kind = 0.0
    for b in range(bodies.shape[0]):
        dx = x - bodies[b, B_CX]
        dy = y - bodies[b, B_CY]
        dist = math.sqrt(dx * dx + dy * dy)
        # r(θ) from cos θ, sin θ by the angle-addition recurrence (no trigonometric calls)
        c1 = dx / dist if dist > 0.0 else 1.0
        s1 = dy / dist if dist > 0.0 else 0.0
        ck = c1 * c1 - s1 * s1  # cos 2θ
        sk = 2.0 * s1 * c1  # sin 2θ
        r = 1.0
        for i in range(len(HARMONIC_ORDERS)):
            col = B_HARMONICS + 3 * i
            r += bodies[b, col] * (ck * bodies[b, col + 1] - sk * bodies[b, col + 2])
            ck, sk = ck * c1 - sk * s1, sk * c1 + ck * s1
        rho = dist / (bodies[b, B_R0] * r)
        if rho < BLEND:
            level = bodies[b, B_LEVEL]
            if rho < 1.0:
                z = level
                zs = level
            else:
                w = _smoothstep((rho - 1.0) / (BLEND - 1.0))
                z = level + (z - level) * w
                zs = level + (zs - level) * w
            if rho < rho_min:
                rho_min = rho
                kind = bodies[b, B_KIND]

    urban = 0.0
    for t in range(towns.shape[0]):
        dx = (x - towns[t, T_CX]) / towns[t, T_R]
        dy = (y - towns[t, T_CY]) / towns[t, T_R]
        q = dx * dx + dy * dy
        if q < 1.0:
            urban = max(urban, 1.0 - math.sqrt(q))
    return _floor(z), _floor(zs), big_m, rho_min, kind, urban


@numba.njit(inline="always", nogil=True)
def _floor(z: float) -> float:
    """Heights above FLOOR_M unchanged; below it they approach 0 smoothly (f²/(2f − z): same
    value and slope at f), so the lowest land is never a flat clipped at sea level."""
    if z >= FLOOR_M:
        return z
    return FLOOR_M * FLOOR_M / (2.0 * FLOOR_M - z)


@numba.njit(parallel=True, nogil=True, cache=True)
def _combine_grid(
    out: np.ndarray,
    left: float,
    top: float,
    res: float,
    col0: int,
    row0: int,
    m: np.ndarray,
    coarse: np.ndarray,
    fine: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    sc: np.ndarray,
    bodies: np.ndarray,
    towns: np.ndarray,
) -> None:
    for r in numba.prange(m.shape[0]):
        y = top - (row0 + r + 0.5) * res
        for c in range(m.shape[1]):
            x = left + (col0 + c + 0.5) * res
            z, zs, big_m, rho, kind, urban = _combine(
                x, y, m[r, c], coarse[r, c], fine[r, c], d1[r, c], d2[r, c], sc, bodies, towns
            )
            out[F_Z, r, c] = z
            out[F_ZS, r, c] = zs
            out[F_M, r, c] = big_m
            out[F_RHO, r, c] = rho
            out[F_KIND, r, c] = kind
            out[F_URBAN, r, c] = urban


@numba.njit(nogil=True, cache=True)
def _combine_points(
    out: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray,
    coarse: np.ndarray,
    fine: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    sc: np.ndarray,
    bodies: np.ndarray,
    towns: np.ndarray,
) -> None:
    for i in range(x.shape[0]):
        z, zs, big_m, rho, kind, urban = _combine(
            x[i], y[i], m[i], coarse[i], fine[i], d1[i], d2[i], sc, bodies, towns
        )
        out[F_Z, i] = z
        out[F_ZS, i] = zs
        out[F_M, i] = big_m
        out[F_RHO, i] = rho
        out[F_KIND, i] = kind
        out[F_URBAN, i] = urban


# -- land cover --------------------------------------------------------------------------------

#: rise over run of 4°, 6°, 8°, 12°, 35°
SLOPE_4, SLOPE_6, SLOPE_8, SLOPE_12, SLOPE_35 = (
    math.tan(math.radians(d)) for d in (4, 6, 8, 12, 35)
)


def smooth_slope(zs_halo: np.ndarray, resolution: float) -> np.ndarray:
    """Slope (rise over run) of the smooth DEM by central differences; the input carries a
    one-cell halo on every side, the output does not."""
    dzdx = (zs_halo[1:-1, 2:] - zs_halo[1:-1, :-2]) / (2.0 * resolution)
    dzdy = (zs_halo[2:, 1:-1] - zs_halo[:-2, 1:-1]) / (2.0 * resolution)
    return np.sqrt(dzdx * dzdx + dzdy * dzdy)


def classify(landscape: Landscape, f: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """CLCD land-cover codes (uint8) from the fields ``f`` (N_FIELDS, …) and the smooth
    slope."""
    res = landscape.geometry.resolution
    vw1 = landscape.scalars[P_VW1]
    big_m, zs = f[F_M], f[F_ZS]
    veg, wet, vil = f[F_VEG], f[F_WET], f[F_VIL]
    rho, kind = f[F_RHO], f[F_KIND]

    # river channels: widest in the lowlands, narrowing to nothing in the mountains; a channel
    # narrower than a cell is not drawn (it would be a dotted line)
    width1 = landscape.channel1 * np.clip(1.0 - big_m / 0.55, 0.0, 1.0)
    width2 = landscape.channel2 * np.clip(1.0 - big_m / 0.4, 0.0, 1.0)
    river = ((f[F_D1] < width1) & (width1 >= 0.6 * res)) | (
        (f[F_D2] < width2) & (width2 >= 0.6 * res)
    )
    # ponds (fish ponds, small reservoirs): small blobs on flat, wet ground at any height
    pond = (f[F_FINE] > 0.55 + 0.1 * big_m) & (wet > 0.1) & (slope < SLOPE_6)
    water = (rho < 1.0) | river | pond

    lakeshore = (kind == LAKE) & (rho < 1.06 + 0.05 * wet) & (slope < SLOPE_4)
    floodplain = (
        (f[F_D1] < 6.0 * landscape.channel1) & (big_m < 0.15) & (wet > 0.3) & (slope < SLOPE_4)
    )
    wetland = ~water & (lakeshore | floodplain)

    flat = slope < SLOPE_8
    # a town's core is its seat's disk (intensity 1 − distance/radius) frayed by two noises
    town = (f[F_URBAN] + 0.3 * vil + 0.25 * f[F_FINE] > 0.55) & (f[F_URBAN] > 0.0) & flat
    village = (vil > 0.45) & (slope < SLOPE_4) & (big_m < 0.4) & (wet < 0.2)
    built = ~water & ~wetland & (town | village)

    # cropland on flat land of the plains and of the main valleys' floors; woodlots stay
    valley_floor = f[F_D1] < 1.2 * VALLEY_FLOOR * vw1
    crop = (slope < SLOPE_6) & (zs < 650.0 + 150.0 * veg)
    # the edge of the plains wanders with the vegetation noise (no smooth contour of M)
    crop &= (big_m < 0.3 + 0.35 * veg) | (valley_floor & (big_m < 0.55))
    crop &= veg < 0.4

    out = np.full(zs.shape, FOREST, dtype=np.uint8)
    out[(zs > 1150.0 + 200.0 * veg) | ((veg > 0.35) & (big_m > 0.3))] = SHRUB
    out[zs > 1450.0 + 150.0 * veg] = GRASSLAND
    out[(veg < -0.42) & (slope < SLOPE_12) & (zs < 900.0)] = GRASSLAND
    out[(zs > 1780.0 + 80.0 * veg) | ((slope > SLOPE_35) & (veg > 0.3))] = BARREN
    out[crop] = CROPLAND
    out[built] = IMPERVIOUS
    out[wetland] = WETLAND
    out[water] = WATER
    return out


# -- climate and vegetation layers ---------------------------------------------------------------


@dataclass(frozen=True)
class YearClimate:
    """The year's departures from the normal climate: global factors and a smooth field."""

    year: int
    precip_factor: float
    temp_offset: float
    npp_factor: float
    anomaly: tuple[np.ndarray, np.ndarray]

    @classmethod
    def create(cls, landscape: Landscape, year: int) -> YearClimate:
        rng = np.random.default_rng([landscape.seed, 2, year])
        side = landscape.geometry.side
        return cls(
            year=year,
            precip_factor=float(rng.normal(1.0, 0.08)),
            temp_offset=float(rng.normal(0.0, 0.4)),
            npp_factor=float(rng.normal(1.0, 0.03)),
            anomaly=noise.octave_table(rng, [0.5 * side, 0.2 * side], [0.7, 0.3]),
        )


def static_layers(
    landscape: Landscape, f: np.ndarray, landcover: np.ndarray
) -> dict[str, np.ndarray]:
    """DEM, NDVI and soil erodibility of a window (float32)."""
    ndvi = _by_class(landcover, CLASS_NDVI) + 0.05 * f[F_FINE] - 0.00004 * f[F_ZS]
    water = landcover == WATER
    ndvi = np.where(water, -0.08 + 0.04 * f[F_FINE], ndvi)
    # red soils of the hills are more erodible than the alluvium of the plains
    k = K_MEAN * (1.0 + 0.18 * f[F_SOIL] + 0.12 * (f[F_M] - 0.4))
    return {
        "dem": f[F_Z].astype(np.float32),
        "ndvi": np.clip(ndvi, -0.3, 0.95).astype(np.float32),
        "soil_erodibility": np.clip(k, 0.012, 0.06).astype(np.float32),
    }


def year_layers(
    landscape: Landscape,
    climate: YearClimate,
    f: np.ndarray,
    landcover: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> dict[str, np.ndarray]:
    """The climate and vegetation layers of one year for a window (float32).

    ``rows``, ``cols``: the grid rows and columns of the window (1-D)."""
    g = landscape.geometry
    anomaly = noise.fbm_grid(
        g.left,
        g.top,
        g.resolution,
        int(cols[0]),
        int(rows[0]),
        len(rows),
        len(cols),
        *climate.anomaly,
        0,
        -1,
        0.0,
    )
    north_km = ((g.y_of(rows) - g.centre[1]) / 1000.0)[:, None]  # (rows, 1)
    zs = f[F_ZS]

    # annual precipitation [mm]: latitude, orography, a smooth pattern and the year
    precip = (PRECIP_CENTRE_MM + PRECIP_NORTH_GRADIENT * north_km) * (1.0 + PRECIP_OROGRAPHIC * zs)
    precip = precip * (1.0 + 0.08 * f[F_CLIM]) * (climate.precip_factor + 0.07 * anomaly)
    precip = np.clip(precip, 400.0, 4000.0)
    north = np.clip(0.5 + north_km[:, 0] / 400.0, 0.0, 1.0)  # 0 south … 1 north (rows)
    shares = (1.0 - north)[None, :] * PRECIP_SHARE_SOUTH[:, None] + north[
        None, :
    ] * PRECIP_SHARE_NORTH[:, None]  # (12, rows)
    # the 12-band stacks are computed in float32: they are the largest arrays of a window
    monthly_p = precip.astype(np.float32)[None] * shares.astype(np.float32)[:, :, None]

    # temperature [°C]: lapse rate, latitude, the year
    annual_t = (
        TEMP_MONTHLY_C.mean()
        + TEMP_NORTH_GRADIENT * north_km
        - LAPSE_RATE * (zs - 100.0)
        + 0.3 * f[F_CLIM]
        + climate.temp_offset
        + 0.3 * anomaly
    )
    seasonal = (TEMP_MONTHLY_C - TEMP_MONTHLY_C.mean())[:, None, None] * (
        1.0 + SEASONAL_NORTH_GRADIENT * north_km
    )[None]  # (12, rows, 1)
    monthly_t = annual_t.astype(np.float32)[None] + seasonal.astype(np.float32)
    hot = np.zeros(zs.shape, dtype=np.float32)
    for month in range(12):
        share = (monthly_t[month] + (DIURNAL_HALF_RANGE_C - HOT_DAY_TMAX_C)) / 4.0 + 0.5
        hot += np.float32(DAYS_IN_MONTH[month]) * np.clip(share, 0.0, 1.0)

    warmth = np.clip((annual_t - 6.0) / 12.0, 0.0, 1.2)
    npp = _by_class(landcover, CLASS_NPP) * (0.5 + 0.5 * warmth)
    npp = npp * (1.0 + 0.08 * f[F_FINE]) * (climate.npp_factor + 0.04 * anomaly)
    et = _by_class(landcover, CLASS_ET) * (1.0 + 0.03 * (annual_t - 18.0))
    et = np.minimum(et * (1.0 + 0.04 * f[F_FINE]), 0.8 * precip)
    storm_share = 0.18 + 0.10 * np.clip((precip - 1300.0) / 1000.0, 0.0, 1.0)
    storm = precip * storm_share * (1.0 + 0.1 * anomaly)
    erosivity = R_CENTRE * (precip / PRECIP_REFERENCE_MM) ** R_EXPONENT * (1.0 + 0.05 * f[F_CLIM])
    return {
        "precipitation_monthly": monthly_p,
        "temperature_monthly": monthly_t,
        "actual_et": np.clip(et, 50.0, 2000.0).astype(np.float32),
        "npp": np.clip(npp, 0.0, 2000.0).astype(np.float32),
        "storm_precipitation": storm.astype(np.float32),
        "rainfall_erosivity": erosivity.astype(np.float32),
        "hot_days": hot,
    }


def _by_class(landcover: np.ndarray, values: dict[int, float]) -> np.ndarray:
    table = np.full(256, np.nan, dtype=np.float32)
    for code, value in values.items():
        table[code] = value
    return table[landcover]
