"""Vegetation cover from NDVI."""

from __future__ import annotations

import xarray as xr

from gepkit.units import require_units, with_units


def fractional_vegetation_cover(
    ndvi: xr.DataArray, *, ndvi_soil: float, ndvi_vegetation: float
) -> xr.DataArray:
    """Fractional vegetation cover by the dimidiate pixel model.

    .. math:: c = (\\mathrm{NDVI} - \\mathrm{NDVI_{soil}}) / (\\mathrm{NDVI_{veg}} - \\mathrm{NDVI_{soil}})

    clipped to [0, 1].

    Parameters
    ----------
    ndvi : NDVI [dimensionless].
    ndvi_soil : NDVI of bare soil [dimensionless] (5 % cumulative NDVI is common).
    ndvi_vegetation : NDVI of full cover [dimensionless] (95 % cumulative NDVI is common).

    Reference: Gutman & Ignatov (1998), Int. J. Remote Sens. 19(8); used for the C factor of
    HJ 1173—2021 Table A.1.
    """
    require_units(ndvi, "dimensionless", "ndvi")
    if not ndvi_vegetation > ndvi_soil:
        raise ValueError("ndvi_vegetation must be larger than ndvi_soil")
    fvc = ((ndvi - ndvi_soil) / (ndvi_vegetation - ndvi_soil)).clip(0.0, 1.0)
    return with_units(fvc, "dimensionless", "fvc")
