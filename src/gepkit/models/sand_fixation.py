"""Sand fixation (防风固沙, R3) by the revised wind erosion equation RWEQ, HJ 1173—2021 A.3.

    SR     = S_L,pot − S_L                                          (HJ 1173 eq. A.14)
    S_L    = (2z / s²) · Q_max · exp(−(z/s)²)                        (eqs. A.15, A.16)
    Q_max  = 109.8 · (WF · EF · SCF · K′ · C)
    s      = 150.71 · (WF · EF · SCF · K′ · C)^−0.3711

The potential loss S_L,pot is the same expression with C = 1 (bare soil).  The factors:

    EF  = (29.09 + 0.31 sa + 0.17 si + 0.33 sa/cl − 2.59 OM − 0.95 CaCO₃) / 100   (eq. A.18)
    SCF = 1 / (1 + 0.0066 cl² + 0.021 OM²)                                        (eq. A.19)
    C   = exp(−a_i · SC)                                                          (eq. A.20)
    K′  = exp(1.86 K_r − 2.41 K_r^0.934 − 0.127 C_rr),  K_r = 0.2 (ΔH)² / L        (eqs. A.21, A.22)

with sa, si, cl, OM, CaCO₃ and the vegetation cover SC in percent (methods catalogue §2.5;
gep-parameters-confirmed §3; the signs are tagged [V-num] there: the numbers were read in the
standard, the operators restored).

**Units of S_L.**  HJ 1173 gives WF and Q_max in kg/m (mass carried across one metre of width
perpendicular to the wind) and z and s in m.  The closed form is the derivative along the wind
of the transport Q(x) = Q_max · (1 − exp(−(x/s)²)) at the distance x = z:

    dQ/dx = (2x / s²) · Q_max · exp(−(x/s)²)     [m / m² · kg/m = kg/m²]

so S_L comes out as a mass per area, **kg/m²** per year.  HJ 1173 states S_L and SR in
t/(km²·a): numerically 1 kg/m² = 1000 t/km².  gepkit keeps S_L in kg/m² and converts to tonnes
per cell with the cell area: t = S_L [kg/m²] · A [m²] · 10⁻³ [t/kg].

**The fixed distance z.**  At a fixed z the loss is a function of the factor product
P = WF·EF·SCF·K′·C only: S_L ∝ P^1.7422 · exp(−(z/150.71)² · P^0.7422), which rises with P up to
P* = [1.7422 / (0.7422 (z/150.71)²)]^(1/0.7422) (61.73 kg/m for z = 50 m) and falls beyond it:
where the bare-soil product exceeds P*, the field length s is shorter than z, the transport is
saturated before z and S_L at z *decreases* with P, so vegetation can appear to increase the
loss.  :func:`sand_fixation` therefore offers ``negative = "zero"`` (a cell fixes no sand rather
than a negative amount) or ``"keep"``.

**Roughness from the DEM.**  HJ 1173 defines ΔH as the elevation difference within the distance
L (the 地势起伏参数) without naming a unit for either, and K_r in cm.  gepkit takes ΔH as the
range (max − min) of elevation in a square moving window of ``window`` × ``window`` cells
centred on the cell, and L as the window's side (``window`` · cell size), both in metres, and
evaluates K_r = 0.2 ΔH² / L with the numbers in metres (``relief_units = "m"``) or in
centimetres (``"cm"``: K_r × 100).  The Smith–Carson fit decreases with K_r only up to
K_r* = (2.41 · 0.934 / 1.86)^(1 / 0.066) = 18.0, where K′ = 0.0938; beyond it K′ rises again and
exceeds 1 past K_r ≈ 50.7 (a rough surface would erode *more* than a smooth one), far outside
the ridge roughness of a few cm the fit was made for.  ``beyond_fit = "hold"`` keeps K′ at its
minimum there.

References: HJ 1173—2021 Appendix A.3 (eqs. A.14–A.22); Fryrear, D.W. et al. (1998) RWEQ:
Revised Wind Erosion Equation, USDA-ARS Technical Bulletin 1; Fryrear et al. (1994) Computing
the wind erodible fraction of soils, J. Soil Water Conserv. 49(2): 183–188.
"""

from __future__ import annotations

from typing import Literal, cast

import dask.array as dsa
import numpy as np
import xarray as xr

from gepkit import units as u
from gepkit.units import require_units, with_units

#: Empirical coefficients of the closed form (HJ 1173 eqs. A.15, A.16; Fryrear et al. 1998):
#: Q_max = 109.8 · P [kg/m], s = 150.71 · P^−0.3711 [m], P = WF·EF·SCF·K′·C [kg/m].
QMAX_COEFFICIENT = 109.8
FIELD_LENGTH_COEFFICIENT = 150.71
FIELD_LENGTH_EXPONENT = -0.3711

#: Smith–Carson roughness fit (HJ 1173 eq. A.21): K′ = exp(a K_r − b K_r^c − d C_rr).
_KA, _KB, _KC, _KD = 1.86, 2.41, 0.934, 0.127
#: K_r where the exponent a K_r − b K_r^c is smallest, dK′/dK_r = 0: (b c / a)^(1 / (1 − c)).
ROUGHNESS_FIT_LIMIT = (_KB * _KC / _KA) ** (1.0 / (1.0 - _KC))

NegativeFixation = Literal["zero", "keep"]
BeyondFit = Literal["hold", "formula"]
ReliefUnits = Literal["m", "cm"]


def peak_product(distance: float) -> float:
    """Factor product P* [kg/m] at which S_L at the distance z [m] is largest (see module doc).

    S_L ∝ P^(1+2b) · exp(−k P^(2b)) with b = 0.3711 and k = (z/150.71)², largest where
    P^(2b) = (1 + 2b) / (2b · k):

    .. math:: P^* = \\left[\\frac{1.7422}{0.7422\\,(z/150.71)^2}\\right]^{1/0.7422}

    61.73 kg/m for z = 50 m.
    """
    two_e = -2.0 * FIELD_LENGTH_EXPONENT  # 0.7422
    k = (distance / FIELD_LENGTH_COEFFICIENT) ** 2
    return float(((1.0 + two_e) / (two_e * k)) ** (1.0 / two_e))


def erodible_fraction(
    *,
    sand: xr.DataArray,
    silt: xr.DataArray,
    clay: xr.DataArray,
    organic_matter: xr.DataArray,
    calcium_carbonate: xr.DataArray | None = None,
) -> xr.DataArray:
    """Soil erodible fraction EF (HJ 1173 eq. A.18; Fryrear et al. 1994).

    .. math::
        EF = (29.09 + 0.31\\,sa + 0.17\\,si + 0.33\\,sa/cl - 2.59\\,OM - 0.95\\,CaCO_3) / 100

    EF is the share of the topsoil in aggregates finer than 0.84 mm, so the result is clipped to
    [0, 1] (a soil rich in organic matter gives a negative value, a clay-free sandy soil an
    unbounded one).  Where the clay content is 0 the term sa/cl is taken as +∞ when sand > 0
    (EF = 1) and as 0 when sand = 0 too; no division by zero is evaluated.

    Parameters
    ----------
    sand : sa, coarse sand 0.2–2 mm in the topsoil [percent].
    silt : si, silt [percent].
    clay : cl, clay [percent].
    organic_matter : OM, organic matter [percent].
    calcium_carbonate : CaCO₃ [percent]; HJ 1173 allows leaving it out (None: the term is 0).

    Returns
    -------
    EF [dimensionless, 0–1].
    """
    for name, layer in (
        ("sand", sand),
        ("silt", silt),
        ("clay", clay),
        ("organic_matter", organic_matter),
    ):
        require_units(layer, "percent", name)
    positive_clay = clay.where(clay > 0)  # NaN where cl ≤ 0: the ratio is set below
    ratio = xr.where(
        clay > 0,
        sand / positive_clay,
        xr.where(sand > 0, np.inf, xr.where(sand.notnull(), 0.0, np.nan)),
    )
    ratio = ratio.where(clay.notnull())
    percent = 29.09 + 0.31 * sand + 0.17 * silt + 0.33 * ratio - 2.59 * organic_matter  # [%]
    if calcium_carbonate is not None:
        require_units(calcium_carbonate, "percent", "calcium_carbonate")
        percent = percent - 0.95 * calcium_carbonate
    ef = (percent / 100.0).clip(0.0, 1.0)
    return with_units(ef, "dimensionless", "EF")


def soil_crust_factor(*, clay: xr.DataArray, organic_matter: xr.DataArray) -> xr.DataArray:
    """Soil crust factor SCF (HJ 1173 eq. A.19; Fryrear et al. 1998).

    .. math:: SCF = 1 / (1 + 0.0066\\,cl^2 + 0.021\\,OM^2)

    Parameters
    ----------
    clay : cl, clay in the topsoil [percent].
    organic_matter : OM, organic matter [percent].

    Returns
    -------
    SCF [dimensionless, 0–1].
    """
    require_units(clay, "percent", "clay")
    require_units(organic_matter, "percent", "organic_matter")
    scf = 1.0 / (1.0 + 0.0066 * clay**2 + 0.021 * organic_matter**2)
    return with_units(scf, "dimensionless", "SCF")


def vegetation_factor(cover: xr.DataArray, *, coefficient: xr.DataArray | float) -> xr.DataArray:
    """Vegetation factor C (HJ 1173 eq. A.20).

    .. math:: C = \\exp(-a_i \\cdot SC)

    Parameters
    ----------
    cover : SC, vegetation cover [percent, 0–100].
    coefficient : a_i of the ecosystem type [per percentage point of cover; the table
        ``rweq_vegetation_coefficient`` stores it as dimensionless]: forest 0.1535, grassland
        0.1151, shrub 0.0921, bare land 0.0768, sandy land 0.0658, farmland 0.0438 (HJ 1173).

    Returns
    -------
    C [dimensionless, 0–1]; 1 on bare soil (SC = 0).
    """
    require_units(cover, "percent", "vegetation_cover")
    if isinstance(coefficient, xr.DataArray):
        require_units(coefficient, "dimensionless", "rweq_vegetation_coefficient")
    c = cast(xr.DataArray, np.exp(-coefficient * cover))
    return with_units(c, "dimensionless", "C")


def _range_interior(z: np.ndarray, radius: int) -> np.ndarray:
    """max − min of every (2r+1)² window of ``z``, which is padded by r on every side.

    NaN cells of the window are ignored (np.fmax/np.fmin never warn); a cell without elevation
    itself stays NaN.
    """
    rows, cols = z.shape[0] - 2 * radius, z.shape[1] - 2 * radius
    centre = z[radius : radius + rows, radius : radius + cols]
    high, low = centre.copy(), centre.copy()
    for di in range(2 * radius + 1):
        for dj in range(2 * radius + 1):
            window = z[di : di + rows, dj : dj + cols]
            np.fmax(high, window, out=high)
            np.fmin(low, window, out=low)
    return np.where(np.isnan(centre), np.nan, high - low)


def _range_block(block: np.ndarray, radius: int) -> np.ndarray:
    # map_overlap hands the block with ``radius`` cells of overlap on every side; return the
    # interior padded back to the block's shape so that map_overlap can trim it.
    out = np.full(block.shape, np.nan, dtype="float64")
    out[radius:-radius, radius:-radius] = _range_interior(block.astype("float64"), radius)
    return out


def elevation_range(dem: xr.DataArray, *, window: int = 3) -> xr.DataArray:
    """Relief ΔH: elevation range (max − min) in a ``window`` × ``window`` moving window.

    Lazy on dask arrays (``map_overlap`` with ``window // 2`` cells of overlap).  At the edge of
    the grid, and next to cells without elevation, the window holds fewer cells: ΔH is the range
    over the cells that have an elevation.  A cell without elevation has no ΔH (NaN).

    Parameters
    ----------
    dem : elevation [m] on a projected grid.
    window : side of the square window in cells (odd, ≥ 3).

    Returns
    -------
    ΔH [m].
    """
    require_units(dem, "m", "dem")
    if window < 3 or window % 2 == 0:
        raise ValueError(f"the roughness window must be an odd number of cells ≥ 3, not {window}")
    radius = window // 2
    data = dem.data
    if isinstance(data, dsa.Array):
        relief = dsa.map_overlap(
            _range_block,
            data.astype("float64"),
            depth=radius,
            boundary=np.nan,
            dtype="float64",
            radius=radius,
        )
    else:
        padded = np.pad(
            np.asarray(data, dtype="float64"), radius, mode="constant", constant_values=np.nan
        )
        relief = _range_interior(padded, radius)
    return with_units(dem.copy(data=relief), "m", "relief")


def surface_roughness_factor(
    dem: xr.DataArray,
    *,
    cell_size: float,
    window: int = 3,
    relief_units: ReliefUnits = "m",
    random_roughness_cm: float = 0.0,
    beyond_fit: BeyondFit = "hold",
) -> xr.DataArray:
    """Terrain roughness factor K′ from the DEM (HJ 1173 eqs. A.21, A.22; Smith–Carson).

    .. math::
        K' = \\exp(1.86 K_r - 2.41 K_r^{0.934} - 0.127 C_{rr}), \\quad
        K_r = 0.2\\,(\\Delta H)^2 / L

    ΔH is the elevation range in the ``window`` × ``window`` cell window (see
    :func:`elevation_range`) and L = ``window`` · ``cell_size`` its side.  For a plane with
    gradient g along a grid axis, ΔH = (window − 1) · cell_size · g in the interior.

    Parameters
    ----------
    dem : elevation [m] on a projected grid.
    cell_size : side of a grid cell [m].
    window : side of the window in cells (odd, ≥ 3); L = window · cell_size [m].
    relief_units : the unit in which ΔH and L enter K_r: ``"m"`` — the numbers in metres
        (default); ``"cm"`` — converted to centimetres, which multiplies K_r by 100.  HJ 1173
        gives K_r in cm but no unit for ΔH and L (see the module docstring).
    random_roughness_cm : C_rr [cm]; HJ 1173 sets it to 0.
    beyond_fit : ``"hold"`` — K_r above the fit's minimum (18.0) is held there, so that K′
        never rises with roughness; ``"formula"`` — the fit as written.

    Returns
    -------
    K′ [dimensionless]; 1 on flat land.
    """
    relief = elevation_range(dem, window=window)  # ΔH [m]
    side = window * cell_size  # L [m]
    scale = u.conversion("m", relief_units)[0]  # 1 for "m", 100 for "cm"
    kr = 0.2 * (relief * scale) ** 2 / (side * scale)  # K_r, the numbers in ``relief_units``
    if beyond_fit == "hold":
        kr = kr.clip(max=ROUGHNESS_FIT_LIMIT)
    exponent = _KA * kr - _KB * kr**_KC - _KD * random_roughness_cm
    k = cast(xr.DataArray, np.exp(exponent))
    return with_units(k, "dimensionless", "K_prime", window_cells=window, window_side_m=side)


def soil_loss(
    *,
    weather_factor: xr.DataArray,
    erodible_fraction: xr.DataArray,
    crust_factor: xr.DataArray,
    roughness_factor: xr.DataArray,
    vegetation_factor: xr.DataArray | float = 1.0,
    distance: float,
) -> xr.DataArray:
    """Wind erosion S_L at the distance z of maximum erosion (HJ 1173 eqs. A.15, A.16).

    .. math::
        S_L = \\frac{2z}{s^2} Q_{max} e^{-(z/s)^2}, \\quad
        Q_{max} = 109.8\\,P, \\quad s = 150.71\\,P^{-0.3711}, \\quad
        P = WF \\cdot EF \\cdot SCF \\cdot K' \\cdot C

    With C = 1 (the default) this is the potential loss S_L,pot of bare soil.  Where P = 0 (no
    wind, no erodible soil) the loss is 0, the limit of S_L ∝ P^1.7422 for P → 0; it is not
    evaluated (s would be infinite).  A negative P (a negative weather factor) gives NaN.

    Parameters
    ----------
    weather_factor : WF [kg/m] of the year (HJ 1173 eq. A.17).
    erodible_fraction : EF [dimensionless].
    crust_factor : SCF [dimensionless].
    roughness_factor : K′ [dimensionless].
    vegetation_factor : C [dimensionless]; 1 for the potential loss.
    distance : z, distance of maximum wind erosion [m] (parameter ``rweq_max_erosion_distance``).

    Returns
    -------
    S_L [kg/m²] in the year: Q_max [kg/m] · 2z/s² [1/m] (see the module docstring); multiply
    by 1000 for HJ 1173's t/(km²·a).
    """
    require_units(weather_factor, "kg/m", "weather_factor")
    for name, factor in (
        ("EF", erodible_fraction),
        ("SCF", crust_factor),
        ("K_prime", roughness_factor),
    ):
        require_units(factor, "dimensionless", name)
    if isinstance(vegetation_factor, xr.DataArray):
        require_units(vegetation_factor, "dimensionless", "C")
    if not distance > 0:
        raise ValueError(f"the distance of maximum wind erosion must be positive, not {distance}")
    product = (
        weather_factor * erodible_fraction * crust_factor * roughness_factor * vegetation_factor
    )  # P [kg/m]
    positive = product.where(product > 0)  # NaN where P ≤ 0, so nothing singular is evaluated
    field_length = FIELD_LENGTH_COEFFICIENT * positive**FIELD_LENGTH_EXPONENT  # s [m]
    q_max = QMAX_COEFFICIENT * positive  # [kg/m]
    ratio = distance / field_length  # z/s [dimensionless]
    loss = 2.0 * distance / field_length**2 * q_max * np.exp(-(ratio**2))  # [kg/m²]
    loss = xr.where(product > 0, loss, xr.where(product == 0, 0.0, np.nan))
    return with_units(loss, "kg/m^2", "wind_erosion", distance_m=distance)


def loss_per_cell(loss: xr.DataArray, *, cell_area_m2: float) -> xr.DataArray:
    """Mass per cell [t] of a loss or fixation per area [kg/m²]: S · A · 10⁻³ t/kg."""
    require_units(loss, "kg/m^2", "wind_erosion")
    tonnes = loss * (cell_area_m2 * u.conversion("kg", "t")[0])
    return with_units(tonnes, "t", str(loss.name or "wind_erosion"))


def sand_fixation(
    *,
    potential: xr.DataArray,
    actual: xr.DataArray,
    cell_area_m2: float,
    negative: NegativeFixation = "zero",
) -> xr.DataArray:
    """Sand fixed per cell in a year (HJ 1173 eq. A.14).

    .. math:: SR = (S_{L,pot} - S_L) \\cdot A \\cdot 10^{-3}

    Parameters
    ----------
    potential : S_L,pot, loss of bare soil (C = 1) [kg/m²].
    actual : S_L, loss under the vegetation [kg/m²].
    cell_area_m2 : A, cell area [m²].
    negative : where S_L > S_L,pot (only possible when the bare-soil factor product exceeds
        :func:`peak_product`, see the module docstring): ``"zero"`` — the cell fixes no sand;
        ``"keep"`` — the negative difference counts.

    Returns
    -------
    Sand fixed [t] per cell (HJ 1173's t/(km²·a) times the cell area in km²).
    """
    require_units(potential, "kg/m^2", "potential wind erosion")
    require_units(actual, "kg/m^2", "actual wind erosion")
    difference = potential - actual  # [kg/m²]
    if negative == "zero":
        difference = xr.where(difference < 0, 0.0, difference)  # NaN stays NaN
    fixed = loss_per_cell(
        with_units(difference, "kg/m^2", "sand_fixation"), cell_area_m2=cell_area_m2
    )
    return with_units(fixed, "t", "sand_fixation")


__all__ = [
    "ROUGHNESS_FIT_LIMIT",
    "elevation_range",
    "erodible_fraction",
    "loss_per_cell",
    "peak_product",
    "sand_fixation",
    "soil_crust_factor",
    "soil_loss",
    "surface_roughness_factor",
    "vegetation_factor",
]
