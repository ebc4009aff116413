"""Input layers' statistics over the region in one task per block (gepkit.layer_stats)."""

from __future__ import annotations

import dask
import dask.array as dsa
import numpy as np
import pytest

from gepkit.layer_stats import layer_stats, unpack


@pytest.mark.parametrize("chunks", [(20, 30), (7, 9), (20, 4)])
def test_stats_equal_numpy_for_2d_3d_and_empty_layers(chunks):
    rng = np.random.default_rng(5)
    region = rng.random((20, 30)) < 0.7
    flat = rng.normal(10, 3, (20, 30)).astype("float32")
    flat[rng.random((20, 30)) < 0.1] = np.nan
    monthly = rng.gamma(2, 50, (12, 20, 30))
    monthly[3, region] = np.nan  # a whole band missing inside the region
    daily = rng.random((5, 20, 30))
    empty = np.full((20, 30), np.nan)
    layers = {"flat": flat, "monthly": monthly, "daily": daily, "empty": empty}
    lazy = {k: dsa.from_array(v, chunks=(*v.shape[:-2], *chunks)) for k, v in layers.items()}
    vector = layer_stats(lazy, dsa.from_array(region, chunks=chunks))
    (computed,) = dask.compute(vector)
    got = unpack(list(layers), computed)
    for name, values in layers.items():
        inside = values[..., region] if values.ndim == 3 else values[region]
        stats = got[name]
        assert stats.missing == int(np.isnan(inside).sum()), name
        if name == "empty":
            assert np.isnan([stats.low, stats.high, stats.mean]).all()
            continue
        assert stats.low == pytest.approx(float(np.nanmin(inside)), rel=1e-7)
        assert stats.high == pytest.approx(float(np.nanmax(inside)), rel=1e-7)
        assert stats.mean == pytest.approx(float(np.nanmean(inside.astype("float64"))), rel=1e-9)
