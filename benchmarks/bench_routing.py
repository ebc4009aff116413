"""Time flow routing alone: depression filling, MFD (or D8) directions and accumulation.

    .venv/bin/python benchmarks/bench_routing.py REGION/rasters/dem.tif [--algorithm mfd]

Reads the whole DEM (band 1, nodata → NaN, float32 as the run keeps it), compiles the numba
kernels on a small corner first, then times each kernel once on the whole grid, in one thread,
as the run's single routing task does.  Nothing is asserted; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import rasterio

from gepkit.models import routing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dem", type=Path)
    parser.add_argument("--algorithm", choices=("mfd", "d8"), default="mfd")
    args = parser.parse_args()
    with rasterio.open(args.dem) as src:
        dem = src.read(1).astype("float32")
        nodata = src.nodata
    if nodata is not None:
        dem[dem == nodata] = np.nan
    direction = routing.flow_direction_mfd if args.algorithm == "mfd" else routing.flow_direction_d8
    accumulate = (
        routing.flow_accumulation_mfd if args.algorithm == "mfd" else routing.flow_accumulation_d8
    )
    accumulate(direction(routing.fill_depressions(dem[:64, :64])))  # compile / load the cache
    started = time.perf_counter()
    filled = routing.fill_depressions(dem)
    filling = time.perf_counter()
    flow = direction(filled)
    directions = time.perf_counter()
    accumulate(flow)
    done = time.perf_counter()
    raised = int(np.count_nonzero(filled > dem))
    print(
        f"{dem.shape[0]} × {dem.shape[1]} = {dem.size:,} cells ({args.algorithm}): "
        f"fill {filling - started:.1f} s, directions {directions - filling:.1f} s, "
        f"accumulation {done - directions:.1f} s, total {done - started:.1f} s; "
        f"{raised:,} cells raised ({raised / dem.size:.0%})"
    )


if __name__ == "__main__":
    main()
