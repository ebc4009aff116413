"""Per-pixel look-up of a value by ecosystem code."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr


def lookup_table(values: Mapping[int, float]) -> np.ndarray:
    """A dense look-up array indexed by code; NaN where the code has no value."""
    size = max(values, default=0) + 1
    lut = np.full(size, np.nan, dtype="float64")
    for code, value in values.items():
        if code >= 0:
            lut[code] = value
    return lut


def _apply_lut(codes: np.ndarray, lut: np.ndarray) -> np.ndarray:
    out = np.full(codes.shape, np.nan, dtype="float64")
    valid = np.isfinite(codes) & (codes >= 0) & (codes < lut.size)
    out[valid] = lut[codes[valid].astype("int64")]
    return out


def lookup(
    codes: xr.DataArray, values: Mapping[int, float], *, name: str, units: str
) -> xr.DataArray:
    """Map every pixel's ecosystem code to ``values[code]``; NaN for missing data or codes.

    Callers check beforehand that every code present in scope has a value (a missing code is an
    input error, never a silent zero); the NaN here only keeps a wrong call from inventing data.
    """
    lut = lookup_table(values)
    out = xr.apply_ufunc(
        _apply_lut, codes, kwargs={"lut": lut}, dask="parallelized", output_dtypes=["float64"]
    )
    out.name = name
    out.attrs = {"units": units}
    return out


def in_codes(codes: xr.DataArray, members: set[int]) -> xr.DataArray:
    """Boolean mask of pixels whose code is one of ``members``."""
    if not members:
        return xr.zeros_like(codes, dtype=bool)
    flags = lookup(codes, dict.fromkeys(members, 1.0), name="in_scope", units="dimensionless")
    return flags.notnull()
