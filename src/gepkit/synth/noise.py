"""Smooth noise as pure functions of map coordinates (numba).

Every value is a function of the cell's coordinates in metres and of integers derived from the
seed, never of the window being computed: any window of any size gives bit-identical values to
the same cells of a whole-grid computation, so a grid of any size is generated window by window
and the windows join seamlessly.  Only additions, multiplications, ``floor`` and integer hashing
are used (no transcendental function whose vectorised and scalar versions might differ in the
last bit).

The noise is gradient (Perlin) noise with its analytic derivatives (Quílez's form), summed over
octaves (fractional Brownian motion).  Each octave has its own wavelength [m], amplitude,
rotation and offset, so that the octaves' lattices do not line up (no axis-aligned artefacts).
An octave may be *ridged*: ``1 - 2|n|/N`` folds the noise at its zero lines into sharp crests.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Unit gradient vectors of the lattice (64 directions, none along an axis).
_ANGLES = (np.arange(64) + 0.37) * (2.0 * math.pi / 64.0)
GRAD_X = np.cos(_ANGLES)
GRAD_Y = np.sin(_ANGLES)

#: Peak magnitude of 2-D gradient noise with unit gradients is about 0.7; dividing by it brings
#: an octave to roughly [-1, 1].
NOISE_PEAK = 0.7

#: Columns of an octave table (float64, one row per octave): wavelength [m], amplitude, cosine
#: and sine of the rotation divided by the wavelength [1/m], offsets of the lattice, ridged flag.
WAVELENGTH, AMPLITUDE, COS, SIN, OFFSET_X, OFFSET_Y, RIDGED = range(7)
OCTAVE_COLUMNS = 7

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)


@numba.njit(inline="always", nogil=True)
def _corner(hx: np.uint64, hy: np.uint64, seed: np.uint64) -> np.int64:
    """Index (0–63) of the gradient at a lattice corner from the hashed column and row."""
    h = hx ^ hy ^ seed
    h = (h ^ (h >> np.uint64(31))) * _M1
    h = (h ^ (h >> np.uint64(29))) * _M2
    return np.int64(h >> np.uint64(58))


@numba.njit(inline="always", nogil=True)
def gradient_noise(px: float, py: float, seed: np.uint64) -> tuple[float, float, float]:
    """Gradient noise at lattice coordinates (px, py) and its derivatives d/dpx, d/dpy.

    Quintic interpolation of the four corners' ramps; value in about [-0.7, 0.7], 0 at every
    lattice point; C² continuous, so slopes computed from it are smooth.
    """
    fx0 = math.floor(px)
    fy0 = math.floor(py)
    ix = np.uint64(np.int64(fx0))
    iy = np.uint64(np.int64(fy0))
    fx = px - fx0
    fy = py - fy0
    hx0 = ix * _K1
    hx1 = (ix + np.uint64(1)) * _K1
    hy0 = iy * _K2
    hy1 = (iy + np.uint64(1)) * _K2
    a = _corner(hx0, hy0, seed)
    b = _corner(hx1, hy0, seed)
    c = _corner(hx0, hy1, seed)
    d = _corner(hx1, hy1, seed)
    gax, gay = GRAD_X[a], GRAD_Y[a]
    gbx, gby = GRAD_X[b], GRAD_Y[b]
    gcx, gcy = GRAD_X[c], GRAD_Y[c]
    gdx, gdy = GRAD_X[d], GRAD_Y[d]
    va = gax * fx + gay * fy
    vb = gbx * (fx - 1.0) + gby * fy
    vc = gcx * fx + gcy * (fy - 1.0)
    vd = gdx * (fx - 1.0) + gdy * (fy - 1.0)
    u = fx * fx * fx * (fx * (fx * 6.0 - 15.0) + 10.0)
    w = fy * fy * fy * (fy * (fy * 6.0 - 15.0) + 10.0)
    du = 30.0 * fx * fx * (fx * (fx - 2.0) + 1.0)
    dw = 30.0 * fy * fy * (fy * (fy - 2.0) + 1.0)
    k = va - vb - vc + vd
    value = va + u * (vb - va) + w * (vc - va) + u * w * k
    dx = gax + u * (gbx - gax) + w * (gcx - gax) + u * w * (gax - gbx - gcx + gdx)
    dx += du * (vb - va + w * k)
    dy = gay + u * (gby - gay) + w * (gcy - gay) + u * w * (gay - gby - gcy + gdy)
    dy += dw * (vc - va + u * k)
    return value, dx, dy


@numba.njit(inline="always", nogil=True)
def octave(
    x: float, y: float, table: np.ndarray, seeds: np.ndarray, k: int
) -> tuple[float, float, float]:
    """Octave ``k`` of ``table`` at map coordinates (x, y) [m]: amplitude × noise, and its
    gradient [per m]."""
    cs = table[k, COS]
    sn = table[k, SIN]
    px = x * cs - y * sn + table[k, OFFSET_X]
    py = x * sn + y * cs + table[k, OFFSET_Y]
    n, dn_px, dn_py = gradient_noise(px, py, seeds[k])
    amp = table[k, AMPLITUDE]
    if table[k, RIDGED] > 0.0:
        sign = 1.0 if n >= 0.0 else -1.0
        n = 1.0 - 2.0 * abs(n) / NOISE_PEAK
        dn_px = -2.0 * sign * dn_px / NOISE_PEAK
        dn_py = -2.0 * sign * dn_py / NOISE_PEAK
    else:
        n = n / NOISE_PEAK
        dn_px = dn_px / NOISE_PEAK
        dn_py = dn_py / NOISE_PEAK
    # back from the rotated, scaled lattice to metres (chain rule)
    gx = dn_px * cs + dn_py * sn
    gy = -dn_px * sn + dn_py * cs
    return amp * n, amp * gx, amp * gy


@numba.njit(inline="always", nogil=True)
def fbm(
    x: float, y: float, table: np.ndarray, seeds: np.ndarray, first: int, stop: int
) -> tuple[float, float, float]:
    """Sum of octaves ``first`` … ``stop - 1`` of ``table`` at (x, y), with its gradient."""
    value = 0.0
    gx = 0.0
    gy = 0.0
    for k in range(first, stop):
        v, ox, oy = octave(x, y, table, seeds, k)
        value += v
        gx += ox
        gy += oy
    return value, gx, gy


@numba.njit(inline="always", nogil=True)
def fbm_or_distance(
    x: float, y: float, table: np.ndarray, seeds: np.ndarray, first: int, stop: int, gmin: float
) -> float:
    """The fBm at (x, y) or, with ``gmin > 0``, the distance [m] to its zero line to first
    order, |n| / max(|∇n|, gmin)."""
    v, gx, gy = fbm(x, y, table, seeds, first, stop)
    if gmin > 0.0:
        return abs(v) / max(math.sqrt(gx * gx + gy * gy), gmin)
    return v


@numba.njit(parallel=True, nogil=True, cache=True)
def fbm_grid(
    left: float,
    top: float,
    resolution: float,
    col0: int,
    row0: int,
    height: int,
    width: int,
    table: np.ndarray,
    seeds: np.ndarray,
    first: int = 0,
    stop: int = -1,
    gmin: float = 0.0,
) -> np.ndarray:
    """Octaves ``first`` … ``stop - 1`` (-1: all) of the fBm over a window of a north-up grid
    (or the distance to its zero line, see :func:`fbm_or_distance`).  Cell (row, col) of the
    window is grid cell (row0 + row, col0 + col), whose centre is at
    ``left + (col0 + col + 0.5) × resolution``, ``top - (row0 + row + 0.5) × resolution``.
    float32 values, shape (height, width)."""
    out = np.empty((height, width), dtype=np.float32)
    end = table.shape[0] if stop < 0 else stop
    for r in numba.prange(height):
        y = top - (row0 + r + 0.5) * resolution
        for c in range(width):
            x = left + (col0 + c + 0.5) * resolution
            out[r, c] = fbm_or_distance(x, y, table, seeds, first, end, gmin)
    return out


@numba.njit(nogil=True, cache=True)
def fbm_points(
    x: np.ndarray,
    y: np.ndarray,
    table: np.ndarray,
    seeds: np.ndarray,
    first: int = 0,
    stop: int = -1,
    gmin: float = 0.0,
) -> np.ndarray:
    """As :func:`fbm_grid` at arbitrary points (1-D arrays of coordinates in metres); float32
    values, so that points and grid cells at the same coordinates agree exactly."""
    out = np.empty(x.shape[0], dtype=np.float32)
    end = table.shape[0] if stop < 0 else stop
    for i in range(x.shape[0]):
        out[i] = fbm_or_distance(x[i], y[i], table, seeds, first, end, gmin)
    return out


def octave_table(
    rng: np.random.Generator,
    wavelengths: list[float] | np.ndarray,
    amplitudes: list[float] | np.ndarray,
    ridged: list[bool] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """An octave table and its hash seeds, with rotations, offsets and seeds drawn from ``rng``.

    Returns ``(table, seeds)`` for :func:`fbm`, :func:`fbm_grid` and :func:`fbm_points`."""
    count = len(wavelengths)
    table = np.zeros((count, OCTAVE_COLUMNS), dtype=np.float64)
    table[:, WAVELENGTH] = np.asarray(wavelengths, dtype=np.float64)
    table[:, AMPLITUDE] = np.asarray(amplitudes, dtype=np.float64)
    angles = rng.uniform(0.0, 2.0 * math.pi, count)
    table[:, COS] = np.cos(angles) / table[:, WAVELENGTH]
    table[:, SIN] = np.sin(angles) / table[:, WAVELENGTH]
    # Large offsets move the lattice origin far from the region, so coordinates stay positive
    # in lattice units whatever the rotation (floor of a positive number, no sign cases).
    table[:, OFFSET_X] = rng.uniform(1e5, 2e5, count)
    table[:, OFFSET_Y] = rng.uniform(1e5, 2e5, count)
    if ridged is not None:
        table[:, RIDGED] = np.asarray(ridged, dtype=np.float64)
    seeds = rng.integers(0, 2**63, count, dtype=np.uint64)
    return table, seeds
