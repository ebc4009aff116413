"""How a layer's file is read: its effective encoding, and checks that catch a wrong one.

The *encoding* of a file says how its stored (raw) values become values in the layer's unit:

    value = (raw × scale + offset) × factor_b + shift        for each band b

``scale`` and ``offset`` unpack the stored integers (MODIS scale factors, netCDF packing);
``factor_b`` and ``shift`` convert the declared unit to the unit the models expect (pint), and
multiply a rate by the length of each band's period (``m/day`` × the days of the month).  Raw
values equal to a fill value, or outside the valid range, are missing.

Every setting comes from, in this order: the layer's ``[inputs.<layer>]`` section, the product
preset (``product = "…"``, gepkit.catalogue.products), the file's own metadata (units, netCDF
``scale_factor``/``add_offset``, nodata), or a default.  :func:`resolve_encoding` records which,
and the run manifest lists it.

:func:`value_problems` checks the values read: outside the layer's plausible range is an error;
a regional mean outside the layer's typical range is an error when another unit or scale factor
would explain it ("values 0.8–2.1 look like metres: declare units = 'm'"), else a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pint

from gepkit import stacks
from gepkit import units as u
from gepkit.catalogue.products import Preset, load_presets, preset, presets_for
from gepkit.config import LayerSpec
from gepkit.errors import Problem, ProblemCollector, UnitError
from gepkit.io.rasters import RasterInfo
from gepkit.layers import LayerInfo

#: Density of water: a mass of water per area is a depth (1 kg/m² = 1 mm).
WATER_DENSITY = "1000 kg/m^3"


@dataclass(frozen=True)
class Encoding:
    """The effective encoding of one layer file for one year."""

    product: str | None
    bands: list[int]
    """Bands of the file that are read (1-based)."""
    step: str
    """Time step of one band read (``annual``, ``monthly``, ``16day``, ``8day``, ``daily``)."""
    units: str
    """Declared unit of one band's scaled values."""
    scale: tuple[float, ...]
    """Per band read: raw × scale + offset = value in ``units``."""
    offset: tuple[float, ...]
    factors: tuple[float, ...]
    """Per band read: value in ``units`` × factor + shift = value in the layer's unit."""
    shift: float
    nodata: float | None
    """Explicit nodata value (``None``: the file's)."""
    fill_values: tuple[float, ...]
    valid_range: tuple[float | None, float | None] | None
    crs: str | None
    """CRS assumed for a file that carries none."""
    origin: dict[str, str] = field(default_factory=dict)
    """Where each setting came from: ``config``, ``product``, ``file`` or ``default``."""
    notes: tuple[str, ...] = ()

    @property
    def band_scale(self) -> tuple[float, ...]:
        return tuple(s * f for s, f in zip(self.scale, self.factors, strict=True))

    @property
    def band_offset(self) -> tuple[float, ...]:
        return tuple(o * f + self.shift for o, f in zip(self.offset, self.factors, strict=True))

    @property
    def uniform(self) -> bool:
        """True when every band is converted the same way (no per-band duration)."""
        return len(set(self.band_scale)) <= 1 and len(set(self.band_offset)) <= 1

    def describe(self) -> dict[str, Any]:
        def one(values: tuple[float, ...]) -> float | list[float]:
            return values[0] if len(set(values)) == 1 else list(values)

        return {
            "product": self.product,
            "step": self.step,
            "declared_units": self.units,
            "scale": one(self.scale),
            "offset": one(self.offset),
            "unit_factor": one(self.factors),
            "unit_shift": self.shift,
            "nodata": self.nodata,
            "fill_values": list(self.fill_values),
            "valid_range": list(self.valid_range) if self.valid_range else None,
            "assumed_crs": self.crs,
            "from": dict(self.origin),
            "notes": list(self.notes),
        }


def product_preset(name: str, spec: LayerSpec, where: str) -> Preset | None:
    """The preset named by ``spec.product`` for layer ``name`` (``None`` without one); raise
    :class:`UnitError` for an unknown product or one that does not fit the layer."""
    if spec.product is None:
        return None
    found = preset(spec.product)
    usable = presets_for(name)
    if found is None:
        raise UnitError(
            Problem(
                where=where,
                field="product",
                message=f"unknown product '{spec.product}'",
                hint=(f"presets for {name}: {', '.join(usable)}" if usable else
                      f"no preset gives '{name}'; declare units (and scale, nodata) instead")
                + f"; all presets: {', '.join(load_presets())} (docs/products.md)",
            )
        )  # fmt: skip
    if name not in found.layers:
        raise UnitError(
            Problem(
                where=where,
                field="product",
                message=f"product '{found.product}' ({found.variable}, {found.units}) is not a "
                f"source of layer '{name}'; it gives {', '.join(found.layers)}",
                hint=f"presets for {name}: {', '.join(usable)}"
                if usable
                else f"no preset gives '{name}': drop product and declare units",
            )
        )
    return found


def resolve_encoding(
    name: str,
    info: LayerInfo,
    spec: LayerSpec,
    raster: RasterInfo,
    year: int,
    where: str,
    found: Preset | None,
) -> tuple[Encoding, list[Problem]]:
    """The encoding of ``raster`` as layer ``name`` in ``year``; raise :class:`UnitError` with
    every problem, return the encoding and warnings."""
    problems = ProblemCollector()
    warnings: list[Problem] = []
    origin: dict[str, str] = {}
    notes: list[str] = []
    file = raster.path.name

    # -- raw data type ------------------------------------------------------------------------
    if found is not None and found.dtypes and raster.dtype not in found.dtypes:
        if spec.scale is None:
            problems.add(
                where,
                f"product '{found.product}' stores {found.variable} as "
                f"{' or '.join(found.dtypes)}"
                + (f" (value = raw × {found.scale:g})" if found.scale not in (None, 1.0) else "")
                + f", but {file} holds {raster.dtype} values: it is not the product's original "
                "encoding (already converted, or another product)",
                field="product",
                hint="give the product's original file, or remove product and declare units "
                "(and scale, nodata) for this file",
            )
        else:
            notes.append(f"{file} is {raster.dtype}, not {'/'.join(found.dtypes)}; scale set")

    # -- bands and time step ---------------------------------------------------------------------
    if spec.band is not None:
        if spec.band > raster.count:
            problems.add(
                where,
                f"band {spec.band} asked for, but {file} has {raster.count} band(s)",
                field="band",
            )
        bands = [spec.band]
    else:
        bands = list(range(1, raster.count + 1))
    step, step_origin = _step(spec, found, info)
    origin["step"] = step_origin
    step = _check_bands(name, info, step, len(bands), year, file, where, problems, notes)

    # -- unit ------------------------------------------------------------------------------------
    if spec.units is not None:
        declared, origin["units"] = spec.units, "config"
    elif found is not None:
        declared, origin["units"] = found.units, "product"
    elif raster.units:
        declared, origin["units"] = raster.units, "file"
    elif info.units == "dimensionless":
        declared, origin["units"] = info.units, "default"
    else:
        problems.add(
            where,
            f"the unit of {file} is not declared; expected something convertible to '{info.units}'",
            field="units",
            hint=f"add units = '{info.units}' (or the file's unit) to [inputs.{name}], or "
            f"product = one of: {', '.join(presets_for(name)) or '(no preset for this layer)'}",
        )
        declared, origin["units"] = info.units, "default"

    # -- scale and offset ------------------------------------------------------------------------
    file_scale = [raster.scales[b - 1] if len(raster.scales) >= b else 1.0 for b in bands]
    file_offset = [raster.offsets[b - 1] if len(raster.offsets) >= b else 0.0 for b in bands]
    scale, origin["scale"] = _pick(spec.scale, found.scale if found else None, file_scale, 1.0)
    offset, origin["offset"] = _pick(spec.offset, found.offset if found else None, file_offset, 0.0)
    if raster.packed and origin["scale"] in ("config", "product"):
        warnings.append(
            Problem(
                where=where,
                field="scale",
                message=f"{file} declares its own scale/offset "
                f"({file_scale[0]:g}/{file_offset[0]:g}); the {origin['scale']}'s "
                f"scale {scale[0]:g} and offset {offset[0]:g} are used instead",
            )
        )

    # -- missing values --------------------------------------------------------------------------
    if spec.nodata is not None:
        fills: tuple[float, ...] = ()
        origin["nodata"] = "config"
    else:
        fills = found.fill_values if found is not None else ()
        origin["nodata"] = "file" + (" and product" if fills else "")
    if spec.valid_range is not None:
        valid: tuple[float | None, float | None] | None = tuple(spec.valid_range)  # type: ignore[assignment]
        origin["valid_range"] = "config"
    else:
        valid = found.valid_range if found is not None else None
        origin["valid_range"] = "product" if valid else "none"

    # -- CRS ---------------------------------------------------------------------------------------
    crs = None
    if raster.crs_assumed:
        crs = spec.crs or (found.crs if found else None)
        origin["crs"] = "config" if spec.crs else "product"
        notes.append(f"{file} has no CRS; {crs} assumed")

    # -- unit conversion -------------------------------------------------------------------------
    factors: list[float] = [1.0] * len(bands)
    shift = 0.0
    # With a wrong band count, check the unit against the year's periods all the same (and
    # report the band count only).
    count = None if problems.problems else len(bands)
    try:
        factors, shift, note = band_conversion(declared, info.units, step, year, count)
        if note:
            notes.append(note)
    except UnitError as err:
        problems.add(
            where,
            f"unit '{declared}' cannot be converted to '{info.units}' ({info.description})"
            + (f": {err.problems[0].message}" if err.problems else ""),
            field="units",
        )
    problems.raise_if_any(UnitError)
    encoding = Encoding(
        product=found.product if found else None,
        bands=bands,
        step=step,
        units=declared,
        scale=tuple(scale),
        offset=tuple(offset),
        factors=tuple(factors),
        shift=shift,
        nodata=spec.nodata,
        fill_values=fills,
        valid_range=valid,
        crs=crs,
        origin=origin,
        notes=tuple(notes),
    )
    return encoding, warnings


def _pick(
    explicit: float | None, product: float | None, from_file: list[float], default: float
) -> tuple[list[float], str]:
    n = len(from_file)
    if explicit is not None:
        return [explicit] * n, "config"
    if product is not None:
        return [product] * n, "product"
    if any(v != default for v in from_file):
        return list(from_file), "file"
    return [default] * n, "default"


def _step(spec: LayerSpec, found: Preset | None, info: LayerInfo) -> tuple[str, str]:
    if spec.stack is not None:
        return spec.stack, "config"
    if found is not None:
        return found.step, "product"
    return info.period, "default"


def _check_bands(
    name: str,
    info: LayerInfo,
    step: str,
    n: int,
    year: int,
    file: str,
    where: str,
    problems: ProblemCollector,
    notes: list[str],
) -> str:
    """The step of the bands read, after checking their number against the year."""
    period = info.period
    expected = stacks.band_count(step, year)
    leap = (
        " (a leap year)" if expected == 366 else (" (not a leap year)" if step == "daily" else "")
    )
    if step == period:
        if n != expected:
            problems.add(
                where,
                f"{file} has {n} band(s); the layer needs {expected} for {year}{leap} "
                f"({info.description})",
                field="band",
                hint=_band_hint(info),
            )
        return step
    if not stacks.finer(step, period):
        problems.add(
            where,
            f"a {step} file cannot give {period} values ({info.description})",
            field="stack",
        )
        return step
    if info.aggregate is None:
        problems.add(
            where,
            f"layer '{name}' cannot be built from a {step} stack",
            field="stack",
            hint="give one band with the layer's value",
        )
        return step
    if not stacks.can_reduce(step, period):
        problems.add(
            where,
            f"{step} periods straddle month ends, so a {step} stack cannot give the "
            f"{period} values of '{name}'",
            field="stack",
            hint="give a monthly or daily stack",
        )
        return step
    if n == expected:
        notes.append(
            f"{n} {step} bands reduced to {period} values by their {info.aggregate}"
            + (" (weighted by days)" if info.aggregate == "mean" else "")
        )
        return step
    if n == 1 and info.aggregate == "max" and period == "annual":
        notes.append(f"one {step} composite used as the annual value (no maximum taken)")
        return period
    problems.add(
        where,
        f"{file} has {n} band(s); a {step} stack of {year} has {expected}{leap} "
        f"({stacks.STEP_TEXT[step]})",
        field="band",
        hint="give one file per year with exactly the year's periods (path with {year}), "
        "in calendar order",
    )
    return step


def _band_hint(info: LayerInfo) -> str:
    if info.period == "annual":
        return "set band = N to pick one band" + (
            ", or stack = 'monthly' (or '8day', '16day', 'daily') to reduce a stack to the "
            f"annual value ({info.aggregate})"
            if info.aggregate
            else ""
        )
    if info.period == "monthly":
        return "give a stack of 12 monthly bands, or stack = 'daily' for a year of days"
    return "give one band per day of the year"


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------


def band_conversion(
    declared: str, target: str, step: str, year: int, n: int | None = None
) -> tuple[list[float], float, str]:
    """Per-band factors and a shift such that value_target = value × factor_b + shift.

    A unit of the target's dimension converts directly (``m`` → ``mm``, ``K`` → ``degC``).  A
    *rate* (``m/day``, ``mm/month``, ``kg/m^2/s``) is multiplied by the length of each band's
    period: days for ``day``, ``hour``, ``s``; a calendar month or year for ``month`` and
    ``year`` (only on monthly or annual bands).  A mass of water per area (``kg/m^2``) is a
    depth (density 1000 kg/m³).  Raise :class:`UnitError` otherwise.
    """
    days = stacks.period_days(step, year)
    count = n if n is not None else len(days)
    try:
        factor, shift = u.conversion(declared, target)
        return [factor] * count, shift, ""
    except UnitError:
        pass
    ureg = u.registry()
    src, dst = u.parse(declared), u.parse(target)
    quantity: Any = ureg.Quantity(1.0, src)
    note = ""
    if not (_converts(quantity, dst) or _converts(quantity * ureg.day, dst)):
        water = quantity / ureg.Quantity(WATER_DENSITY)
        if _converts(water, dst) or _converts(water * ureg.day, dst):
            quantity, note = water, "mass of water per area read as depth (1 kg/m² = 1 mm)"
    if _converts(quantity, dst):
        return [float(quantity.to(dst).magnitude)] * count, 0.0, note
    if not _converts(quantity * ureg.day, dst):
        raise UnitError(
            Problem(
                where="units",
                message=f"'{declared}' ({src.dimensionality}) is neither '{target}' "
                f"({dst.dimensionality}) nor a rate of it",
            )
        )
    time_unit = _time_unit(src)
    if count != len(days):
        raise UnitError(
            Problem(where="units", message=f"a rate ('{declared}') needs a full {step} stack")
        )
    rate = f"rate '{declared}'"
    if time_unit == "month":
        if step not in ("monthly", "annual"):
            raise UnitError(
                Problem(where="units", message=f"a {rate} fits monthly or annual bands only")
            )
        months = 1 if step == "monthly" else 12
        factor = float((quantity * ureg.month).to(dst).magnitude) * months
        return [factor] * count, 0.0, _join(note, f"{rate} × {months} month(s) per band")
    if time_unit == "year":
        if step != "annual":
            raise UnitError(
                Problem(
                    where="units",
                    message=f"a {rate} on {step} bands is ambiguous; declare the unit of one "
                    f"band's total (e.g. 'mm') or a rate per day",
                )
            )
        factor = float((quantity * ureg.year).to(dst).magnitude)
        return [factor], 0.0, _join(note, f"{rate} × 1 year")
    per_day = float((quantity * ureg.day).to(dst).magnitude)
    return (
        [per_day * d for d in days],
        0.0,
        _join(note, f"{rate} × the days of each band ({step}, {year})"),
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _converts(quantity: Any, unit: pint.Unit) -> bool:
    return bool(quantity.dimensionality == unit.dimensionality)


def _time_unit(unit: pint.Unit) -> str | None:
    ureg = u.registry()
    for name, power in unit._units.items():  # pint keeps the unit factors here
        if (
            float(power.real) < 0
            and ureg.Unit(name).dimensionality == ureg.Unit("s").dimensionality
        ):
            if name in ("month", "year"):
                return name
            return "day" if name in ("day", "hour", "minute", "second", "week") else name
    return None


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------

#: Units that are commonly confused with one another, most common first (a layer is offered
#: those convertible to its unit).
CANDIDATE_UNITS: tuple[str, ...] = (
    "m", "mm", "cm",
    "K", "degC", "degF",
    "kgC/m^2", "gC/m^2", "tC/hectare",
)  # fmt: skip
#: Candidates of dimensionless layers, and of layers in percent (soil contents).
FRACTION_UNITS: tuple[str, ...] = ("percent", "dimensionless")
CONTENT_UNITS: tuple[str, ...] = ("dimensionless", "percent", "g/kg", "dg/kg")

UNIT_NAMES = {
    "mm": "millimetres",
    "cm": "centimetres",
    "m": "metres",
    "degC": "degrees Celsius",
    "K": "kelvin",
    "degF": "degrees Fahrenheit",
    "gC/m^2": "grams of carbon per m²",
    "kgC/m^2": "kilograms of carbon per m² (MODIS NPP)",
    "tC/hectare": "tonnes of carbon per hectare",
    "percent": "percent",
    "dimensionless": "fractions (0–1)",
    "g/kg": "grams per kilogram",
    "dg/kg": "decigrams per kilogram (SoilGrids)",
}

#: Scale factors tried when no unit explains the values (MODIS-style packing and its inverse).
CANDIDATE_SCALES = (0.1, 0.01, 0.001, 0.0001, 10.0, 100.0, 1000.0)

#: Layer-specific factors: US customary RUSLE units (Foster et al. 1981) [K].
EXTRA_SCALES: dict[str, tuple[tuple[float, str], ...]] = {
    "rainfall_erosivity": (
        (17.02, "US customary units (hundreds of ft·tonf·in/(ac·h·a)): scale = 17.02"),
    ),
    "soil_erodibility": (
        (0.1317, "US customary units (t·ac·h/(100·ac·ft·tonf·in)): scale = 0.1317"),
    ),
}


def value_problems(
    name: str,
    info: LayerInfo,
    low: float,
    high: float,
    mean: float,
    where: str,
    *,
    declared: str | None,
    conversion: tuple[float, float] | None,
    scale: float = 1.0,
) -> tuple[list[Problem], list[Problem]]:
    """Errors and warnings about a layer's values (in the layer's unit) over the region.

    ``declared`` and ``conversion`` (declared → layer unit, factor and shift) describe how the
    file was read; ``None`` for a derived layer or a per-band conversion (no unit suggestions).
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    units = info.units
    outside = info.plausible is not None and (low < info.plausible[0] or high > info.plausible[1])
    unusual = info.typical is not None and not (info.typical[0] <= mean <= info.typical[1])
    if not (outside or unusual):
        return errors, warnings
    suggestions = (
        _suggestions(name, info, low, high, mean, declared, conversion, scale)
        if conversion is not None and declared is not None
        else []
    )
    as_declared = f" (declared '{declared}')" if declared else ""
    look = "; ".join(suggestions)
    units = "" if units == "dimensionless" else f" {units}"
    span = f"{low:.4g}" if low == high else f"from {low:.4g} to {high:.4g}"
    if outside:
        assert info.plausible is not None
        errors.append(
            Problem(
                where=where,
                field="units",
                message=f"values {span}{units}{as_declared} lie outside the plausible range "
                f"{info.plausible[0]:g}–{info.plausible[1]:g}{units} of {info.description}"
                + (f": {look}" if look else ""),
                hint=f"check the declared unit ('{declared}'), scale and nodata"
                if declared
                else "check the layers it is derived from",
            )
        )
    elif suggestions:
        assert info.typical is not None
        errors.append(
            Problem(
                where=where,
                field="units",
                message=f"the region's mean, {mean:.4g}{units}{as_declared}, is not plausible "
                f"for {info.description} (typically {info.typical[0]:g}–{info.typical[1]:g}"
                f"{units}): {look}",
                hint="fix the unit or scale; set check_values = false if the values are right",
            )
        )
    else:
        assert info.typical is not None
        warnings.append(
            Problem(
                where=where,
                field="units",
                message=f"the region's mean, {mean:.4g}{units}{as_declared}, is unusual for "
                f"{info.description} (typically {info.typical[0]:g}–{info.typical[1]:g}{units})",
                hint="check the unit, scale and nodata",
            )
        )
    return errors, warnings


def _suggestions(
    name: str,
    info: LayerInfo,
    low: float,
    high: float,
    mean: float,
    declared: str,
    conversion: tuple[float, float],
    scale: float,
) -> list[str]:
    factor, shift = conversion
    if factor == 0:
        return []
    values = [(v - shift) / factor for v in (low, high, mean)]  # as the file states them

    def fits(candidate: list[float]) -> bool:
        lo, hi, avg = candidate
        if info.plausible is not None and not (info.plausible[0] <= lo and hi <= info.plausible[1]):
            return False
        return info.typical is None or info.typical[0] <= avg <= info.typical[1]

    if u.same_units(info.units, "percent"):
        candidates = CONTENT_UNITS
    elif u.same_units(info.units, "dimensionless"):
        candidates = FRACTION_UNITS
    else:
        candidates = CANDIDATE_UNITS
    out: list[str] = []
    for candidate in candidates:
        try:
            if not u.convertible(candidate, info.units) or u.same_units(candidate, declared):
                continue
            f, s = u.conversion(candidate, info.units)
        except UnitError:
            continue
        if fits([v * f + s for v in values]):
            lo, hi = values[:2]
            shown = f"{lo:.4g}" if lo == hi else f"{lo:.4g}–{hi:.4g}"
            out.append(
                f"values {shown} look like "
                f"{UNIT_NAMES.get(candidate, repr(candidate))}: declare units = '{candidate}'"
            )
            break
    if out:
        return out
    for k, text in EXTRA_SCALES.get(name, ()):
        if fits([v * k * factor + shift for v in values]):
            return [f"values look like {text}"]
    for k in CANDIDATE_SCALES:
        if fits([v * k * factor + shift for v in values]):
            return [
                f"values look {1 / k:g}× too large: set scale = {scale * k:g} (or the "
                "product preset)"
                if k < 1
                else f"values look {k:g}× too small: set scale = {scale * k:g}"
            ]
    return []


def raw_encoding(raster: RasterInfo, spec: LayerSpec, info: LayerInfo) -> Encoding:
    """The file's values as they are (for `gep inspect` when the encoding cannot be resolved)."""
    bands = [spec.band] if spec.band is not None and spec.band <= raster.count else None
    bands = bands or list(range(1, raster.count + 1))
    n = len(bands)
    return Encoding(
        product=spec.product,
        bands=bands,
        step=info.period if n == info.bands else "annual",
        units=spec.units or raster.units or info.units,
        scale=(spec.scale if spec.scale is not None else 1.0,) * n,
        offset=(spec.offset if spec.offset is not None else 0.0,) * n,
        factors=(1.0,) * n,
        shift=0.0,
        nodata=spec.nodata,
        fill_values=(),
        valid_range=spec.valid_range,
        crs=spec.crs,
        origin={"all": "raw (the encoding could not be resolved)"},
    )
