"""Time zone weighting on the Jiangxi demo grid: pixel centre against coverage fractions.

    .venv/bin/python benchmarks/bench_zones.py [--repeat 5] [--variables 30] [--runs]
    .venv/bin/python benchmarks/bench_zones.py --resolution 100 --repeat 3 --variables 10

Three measurements, each the median and minimum of ``--repeat`` repetitions:

* rasterising the 100 counties, 11 cities and the province (centre raster; plus the exactextract
  boundary tables under coverage);
* one aggregation pass as a year builds it (gepkit.zonal): zonal sums by (unit, ecosystem), raster
  totals and parent sums of ``--variables`` random float64 layers (generated block by block),
  one dask.compute, with the demo's block size and (on the demo grid) with 128-cell blocks;
* with ``--runs`` (demo grid only), the whole demo run (both years, every item, outputs written).

``--resolution`` puts the demo's units on a finer grid (100 m: 30 M cells), closer to province
scale.  Nothing here is asserted; see benchmarks/README.md for the figures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import dask.array as dsa
import numpy as np
import xarray as xr

from gepkit.cli import demo_config_path
from gepkit.config import RunConfig, load_config
from gepkit.grid import AccountingGrid
from gepkit.pipeline import run
from gepkit.plan import _units_and_grid
from gepkit.zonal import aggregate
from gepkit.zones import rasterise_units

WEIGHTINGS = ("centre", "coverage")


def _timed(action: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), result


def _aggregate(ds: xr.Dataset, zones: Any, eco: xr.DataArray, codes: list[int]) -> Any:
    """The aggregation of a year: zonal sums, raster totals, parent sums; one compute."""
    return aggregate(ds, zones, eco, codes).compute()


def _with_weighting(config: RunConfig, weighting: str) -> RunConfig:
    grid = config.grid.model_copy(update={"zone_weighting": weighting})
    return config.model_copy(update={"grid": grid})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variables", type=int, default=30)
    parser.add_argument("--runs", action="store_true", help="also time whole demo runs")
    parser.add_argument(
        "--resolution",
        type=float,
        default=1000.0,
        help="cell size in metres of the grid over the demo's units (1000: the demo grid; "
        "e.g. 100 for 30 M cells, closer to province scale)",
    )
    args = parser.parse_args()
    config = load_config(demo_config_path())
    grid, hierarchy, _ = _units_and_grid(config, config.resolve(config.units.path))
    if args.resolution != grid.resolution:
        bounds = tuple(hierarchy.geometries[hierarchy.leaves].total_bounds)
        grid = AccountingGrid.from_bounds(bounds, args.resolution, grid.crs)
    print(
        f"Jiangxi demo units on a {grid.resolution:g} m grid {grid.width}×{grid.height} = {grid.size:,} cells, "
        f"{len(hierarchy.leaves)} leaf units, {len(hierarchy.frame)} units; "
        f"{args.repeat} repetitions; median / min seconds"
    )
    print(f"{'step':52s} {'centre':>15s} {'coverage':>15s}")

    zones = {}
    row = []
    for weighting in WEIGHTINGS:
        median, best, (zones[weighting], _) = _timed(
            lambda w=weighting: rasterise_units(hierarchy, grid, w), args.repeat
        )
        row.append(f"{median:7.3f} /{best:6.3f}")
    print(f"{'rasterise units (+ boundary tables)':52s} {row[0]:>15s} {row[1]:>15s}")
    table = zones["coverage"].boundary
    assert table is not None
    inside = int((zones["centre"].leaf_index >= 0).sum())
    print(
        f"  boundary table: {len(table.pixel):,} pixels ({len(table.pixel) / inside:.1%} of the "
        f"{inside:,} region pixels), {len(table):,} rows, "
        f"{sum(len(t.pixel) for t in zones['coverage'].parent_boundary.values()):,} parent "
        f"boundary pixels"
    )

    codes = [11, 12, 21, 22, 31, 33, 42, 51, 52, 61]
    for chunk in (config.run.chunk, 128) if args.resolution == 1000 else (config.run.chunk,):
        # Random layers generated block by block (the same for both weightings).
        ds = xr.Dataset(
            {
                f"v{i}": grid.wrap(
                    dsa.random.RandomState(i).uniform(0, 100, size=grid.shape, chunks=chunk),
                    name=f"v{i}",
                    units="t",
                )
                for i in range(args.variables)
            }
        )
        eco_c = grid.wrap(
            dsa.random.RandomState(99)
            .choice(np.array(codes), size=grid.shape, chunks=chunk)
            .astype("float64"),
            name="ecosystem",
            units="dimensionless",
        )
        row = []
        for weighting in WEIGHTINGS:
            median, best, _ = _timed(
                partial(_aggregate, ds, zones[weighting], eco_c, codes), args.repeat
            )
            row.append(f"{median:7.3f} /{best:6.3f}")
        label = f"aggregate {args.variables} layers, blocks of {chunk}"
        print(f"{label:52s} {row[0]:>15s} {row[1]:>15s}")

    if args.runs and args.resolution == 1000:
        stages: dict[str, dict[str, list[float]]] = {w: {} for w in WEIGHTINGS}
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.repeat):
                for weighting in WEIGHTINGS:
                    started = time.perf_counter()
                    result = run(_with_weighting(config, weighting), Path(tmp) / f"{weighting}{i}")
                    total = time.perf_counter() - started
                    for stage, seconds in result.manifest["timings_s"].items():
                        stages[weighting].setdefault(stage, []).append(seconds)
                    stages[weighting].setdefault("whole run (in process)", []).append(total)
        for stage in stages["centre"]:
            row = [
                f"{statistics.median(stages[w][stage]):7.3f} /{min(stages[w][stage]):6.3f}"
                for w in WEIGHTINGS
            ]
            print(f"{'run: ' + stage:52s} {row[0]:>15s} {row[1]:>15s}")


if __name__ == "__main__":
    main()
