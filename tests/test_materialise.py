"""Whole-grid results computed once per run (gepkit.materialise): flow routing."""

from __future__ import annotations

import dask
import dask.array as dsa
import numpy as np
import xarray as xr
from dask.callbacks import Callback

from gepkit.materialise import current, materialising
from gepkit.models.terrain import flow_accumulation


def _dem(chunks: int) -> xr.DataArray:
    rng = np.random.default_rng(3)
    rows, cols = np.mgrid[0:37, 0:29]
    z = 200.0 - 2.0 * rows + 0.5 * np.abs(cols - 14) + rng.uniform(0, 3, (37, 29))
    z[5, 7] = np.nan
    data = dsa.from_array(z.astype("float32"), chunks=chunks)
    return xr.DataArray(data, dims=("y", "x"), attrs={"units": "m"})


class Counter(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.routed = 0

    def _posttask(self, key, result, dsk, state, worker_id):  # type: ignore[no-untyped-def]
        name = key[0] if isinstance(key, tuple) else key
        if str(name).startswith("_compute_into"):
            self.routed += 1


def test_materialised_routing_equals_routing_in_the_graph_and_runs_once(tmp_path):
    dem = _dem(chunks=8)
    expected = [a.values for a in flow_accumulation(dem, algorithm="mfd")]
    assert current() is None
    counter = Counter()
    with counter, materialising(tmp_path / "scratch") as store:
        assert current() is store
        first = flow_accumulation(dem, algorithm="mfd")
        again = flow_accumulation(_dem(chunks=8), algorithm="mfd")  # the same DEM graph
        assert counter.routed == 1
        # results are read from the scratch grids block by block, chunked like the DEM
        assert first[1].chunks == dem.chunks
        assert not any("_route" in str(k) for k in dict(first[1].data.__dask_graph__()))
        got = dask.compute(*(a.data for a in (*first, *again)))
        d8 = flow_accumulation(dem, algorithm="d8")  # another algorithm: routed again
        assert counter.routed == 2
        assert len(list((tmp_path / "scratch").iterdir())) == 4
        d8_values = d8[1].values
    for g, e in zip(got, expected * 2, strict=True):
        np.testing.assert_array_equal(g, e)
    np.testing.assert_array_equal(d8_values, flow_accumulation(dem, algorithm="d8")[1].values)
    assert current() is None
    assert not (tmp_path / "scratch").exists()  # removed at the end
