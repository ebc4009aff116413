"""Time the Jiangxi demo account: wall time per stage, over several runs.

    .venv/bin/python benchmarks/bench_demo.py [--repeat 5]

Prints the median and minimum of each stage (from the run manifest) and of the whole run, and the
peak resident memory of this process.  Province-scale benchmarks (30 m, InVEST side by side) come
with the scale work; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from gepkit.cli import demo_config_path
from gepkit.config import load_config
from gepkit.pipeline import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = load_config(demo_config_path())
    stages: dict[str, list[float]] = {}
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            started = time.perf_counter()
            result = run(config, Path(tmp) / f"run{i}")
            totals.append(time.perf_counter() - started)
            for stage, seconds in result.manifest["timings_s"].items():
                stages.setdefault(stage, []).append(seconds)
    grid = result.plan.grid
    print(
        f"Jiangxi demo: grid {grid.width}×{grid.height} = {grid.size:,} cells, "
        f"{len(result.plan.items)} items, {args.repeat} runs"
    )
    print(f"{'stage':34s} {'median s':>9s} {'min s':>7s}")
    for stage, values in stages.items():
        print(f"{stage:34s} {statistics.median(values):9.3f} {min(values):7.3f}")
    print(f"{'whole run (in process)':34s} {statistics.median(totals):9.3f} {min(totals):7.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
