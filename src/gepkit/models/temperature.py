"""Mean air temperature from the means of the daily maximum and minimum."""

from __future__ import annotations

import xarray as xr

from gepkit.units import require_units, with_units


def mean_of_max_min(maximum: xr.DataArray, minimum: xr.DataArray) -> xr.DataArray:
    """T_mean = (T_max + T_min) / 2, band by band [°C].

    The usual estimate of the mean temperature when only the extremes are given (as in
    TerraClimate, which publishes tmax and tmin but no mean) [K: common climatological
    practice; the true daily mean differs by a few tenths of a degree].
    """
    require_units(maximum, "degC", "temperature_max_monthly")
    require_units(minimum, "degC", "temperature_min_monthly")
    return with_units(((maximum + minimum) / 2.0).astype("float32"), "degC", "temperature_monthly")
