"""Time steps of raster stacks, and their reduction to the period of a layer.

A *stack* is a file whose bands are the consecutive periods of one calendar year: 12 months,
46 MODIS 8-day periods, 23 MODIS 16-day periods, or the 365 (366) days.  Layers have a period
of their own (``LayerInfo.period``: a year, the 12 months, or the days), and a stack of a finer
step is reduced to it by the layer's rule (``LayerInfo.aggregate``):

* ``sum`` — totals (precipitation, evapotranspiration): the sum of the periods; a pixel missing
  in any period is missing (an annual total with a gap is not an annual total);
* ``mean`` — mean temperatures: the mean of the periods weighted by their length in days; a
  pixel missing in any period is missing;
* ``max`` — NDVI composites: the largest value of the periods that have one (the maximum-value
  composite; cloudy periods are ignored), missing only when every period is.

MODIS 8-day and 16-day periods start on day 1 of the year (days 1, 9, … 361 and 1, 17, … 353);
the last period is shorter (5 or 6, and 13 or 14 days).  They straddle month ends, so they can
be reduced to a year only, never to months.
"""

from __future__ import annotations

import calendar
from typing import Literal

import numpy as np
import xarray as xr

Step = Literal["annual", "monthly", "16day", "8day", "daily"]
Rule = Literal["sum", "mean", "max"]

#: Steps from the coarsest to the finest.
STEPS: tuple[Step, ...] = ("annual", "monthly", "16day", "8day", "daily")

STEP_TEXT: dict[str, str] = {
    "annual": "one annual band",
    "monthly": "12 monthly bands (January–December)",
    "16day": "23 MODIS 16-day bands (days 1, 17, … 353)",
    "8day": "46 MODIS 8-day bands (days 1, 9, … 361)",
    "daily": "one band per day (365, or 366 in a leap year)",
}


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def period_days(step: str, year: int) -> list[int]:
    """Length in days of each band of a ``step`` stack of ``year``."""
    n = days_in_year(year)
    if step == "annual":
        return [n]
    if step == "monthly":
        return [calendar.monthrange(year, m)[1] for m in range(1, 13)]
    if step in ("8day", "16day"):
        length = 8 if step == "8day" else 16
        return [min(length, n - start + 1) for start in range(1, n + 1, length)]
    if step == "daily":
        return [1] * n
    raise ValueError(f"unknown time step {step!r}")


def band_count(step: str, year: int) -> int:
    return len(period_days(step, year))


def month_of_band(step: str, year: int) -> list[int] | None:
    """The month (1–12) of each band, or ``None`` when bands straddle months (8-day, 16-day)."""
    if step == "monthly":
        return list(range(1, 13))
    if step == "daily":
        return [m for m in range(1, 13) for _ in range(calendar.monthrange(year, m)[1])]
    return None


def finer(step: str, period: str) -> bool:
    """True when ``step`` is finer than ``period`` (so a stack of it must be reduced)."""
    return STEPS.index(step) > STEPS.index(period)


def can_reduce(step: str, period: str) -> bool:
    """True when a ``step`` stack reduces exactly to ``period``."""
    if step == period:
        return True
    if not finer(step, period):
        return False
    return period == "annual" or month_of_band(step, 2001) is not None


def reduce_stack(
    data: xr.DataArray, *, rule: str, step: str, period: str, year: int
) -> xr.DataArray:
    """Reduce a stack ``(band, y, x)`` of ``step`` to the layer's ``period``.

    ``annual`` gives ``(y, x)``; ``monthly`` gives ``(band, y, x)`` with bands 1–12.  Lazy: dask
    arrays stay dask arrays.
    """
    if step == period:
        return data
    if not can_reduce(step, period):
        raise ValueError(f"a {step} stack cannot be reduced to {period} values")
    days = np.asarray(period_days(step, year), dtype="float64")
    if data.sizes["band"] != len(days):
        raise ValueError(f"{data.sizes['band']} bands, a {step} stack of {year} has {len(days)}")
    if period == "annual":
        return _reduce(data, rule, days)
    months = np.asarray(month_of_band(step, year))
    parts = [_reduce(data.isel(band=np.flatnonzero(months == m)), rule, days[months == m])
             for m in range(1, 13)]  # fmt: skip
    out = xr.concat(parts, dim="band")
    return out.assign_coords(band=np.arange(1, 13))


def _reduce(data: xr.DataArray, rule: str, days: np.ndarray) -> xr.DataArray:
    if rule == "sum":
        out = data.sum("band", skipna=False)
    elif rule == "mean":
        weights = xr.DataArray(days / days.sum(), dims="band", coords={"band": data["band"]})
        out = (data * weights).sum("band", skipna=False)
    elif rule == "max":
        # NaN-aware maximum without dask's all-NaN warnings: -inf stands in for missing.
        out = data.fillna(-np.inf).max("band")
        out = out.where(np.isfinite(out))
    else:
        raise ValueError(f"unknown aggregation rule {rule!r}")
    return out.astype("float32")
