"""Province scale: time a full account of all raster-based regulating items against grid size.

    .venv/bin/python benchmarks/bench_scale.py --sizes 1e6 16e6 --seed 1 --workdir /tmp/bench6
    .venv/bin/python benchmarks/bench_scale.py --sizes 1e6 16e6 64e6 185e6 --workdir DIR \\
        [--workers 2] [--region 185e6=/path/to/existing/region] [--force] [--no-floor]

For each size: generate the synthetic region with ``gep synth --pixels N --seed S`` into
WORKDIR/synth-N-sS (reused when its gep.toml says it was made with the same size and seed; or
taken from ``--region N=PATH``), then run ``/usr/bin/time -v gep run REGION/gep.toml --out
WORKDIR/out-N-sS --overwrite [--workers W]`` as a subprocess (nine raster-based regulating
items, one year), and then the I/O floor (benchmarks/bench_io_floor.py: every input raster the
run read, once).  Prints cells, wall and CPU seconds, seconds per million cells, peak RSS, the
floor and run ÷ floor, the load average around each run, and the run's own stage timings
(manifest ``timings_s``).  Results go to WORKDIR/scale-results.json.

A size whose expected peak memory (``--bytes-per-cell``, 40 as measured at 64 M and 185 M
cells with the sums in one task per block and routing materialised; 170 and 400 before)
exceeds the machine's memory is skipped unless ``--force``.
Nothing here is asserted; see benchmarks/README.md for the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench_io_floor import io_floor

ROOT = Path(__file__).resolve().parents[1]
GEP = Path(sys.executable).with_name("gep")


def parse_time_v(text: str) -> dict[str, float]:
    """Wall, user, system seconds and peak RSS from ``/usr/bin/time -v`` output."""
    wall = re.search(r"Elapsed \(wall clock\) time.*?: (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    user = re.search(r"User time \(seconds\): (\S+)", text)
    system = re.search(r"System time \(seconds\): (\S+)", text)
    if not (wall and rss and user and system):
        raise RuntimeError("no /usr/bin/time -v report in the output")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return {
        "wall_s": seconds,
        "user_s": float(user.group(1)),
        "sys_s": float(system.group(1)),
        "cpu_s": float(user.group(1)) + float(system.group(1)),
        "peak_rss_gib": int(rss.group(1)) * 1024 / 2**30,
    }


def _tree_rss(pid: int) -> int:
    """Resident bytes of the processes below ``pid`` (not ``pid`` itself: /usr/bin/time)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            # children of every thread: dask.distributed's nanny starts the worker processes
            # from its event-loop thread, whose children the main thread's list does not show
            children = [
                child
                for task in Path(f"/proc/{current}/task").iterdir()
                for child in (task / "children").read_text().split()
            ]
            if current != pid:
                for line in Path(f"/proc/{current}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack.extend(int(c) for c in children)
    return total


def timed(command: list[str], log: Path) -> dict:
    """Run ``/usr/bin/time -v COMMAND``, its output to LOG; the figures and the load around it.

    The resident memory of the command's process tree is also sampled every half second
    (``rss_timeline``: seconds since start, GiB), to see which stage reaches the peak.
    """
    load_before = os.getloadavg()[0]
    timeline = []
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["/usr/bin/time", "-v", *command], stdout=out, stderr=subprocess.STDOUT
        )
        while proc.poll() is None:
            timeline.append((round(time.perf_counter() - started, 1), _tree_rss(proc.pid) / 2**30))
            time.sleep(0.5)
    text = log.read_text()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}); see {log}")
    figures = parse_time_v(text)
    figures.update(load_before=load_before, load_after=os.getloadavg()[0], rss_timeline=timeline)
    return figures


def peak_stage(figures: dict, timings: dict[str, float]) -> str:
    """The stage of the run in progress when the sampled memory peaked.

    Stages run one after another and the last ends when the process ends, so stage boundaries
    are placed back from the end of the run; what is before the first is start-up (imports).
    """
    if not figures.get("rss_timeline"):
        return "unknown"
    when, _ = max(figures["rss_timeline"], key=lambda sample: sample[1])
    end = figures["wall_s"]
    for stage, seconds in reversed(list(timings.items())):
        if when >= end - seconds:
            return stage
        end -= seconds
    return "start-up"


def memory_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024 / 2**30
    raise RuntimeError("no MemTotal in /proc/meminfo")


def region_for(pixels: int, seed: int, workdir: Path, given: dict[int, Path]) -> Path:
    """The region of this size and seed: given, reused from WORKDIR, or made by gep synth."""
    if pixels in given:
        return given[pixels]
    region = workdir / f"synth-{pixels}-s{seed}"
    toml = region / "gep.toml"
    if toml.exists() and f"--pixels {pixels} --seed {seed} " in toml.read_text().splitlines()[0]:
        print(f"  reusing {region}", flush=True)
        return region
    print(f"  gep synth --pixels {pixels} --seed {seed} --out {region}", flush=True)
    figures = timed(
        [str(GEP), "synth", "--pixels", str(pixels), "--seed", str(seed), "--out", str(region),
         "--overwrite"],
        workdir / f"synth-{pixels}-s{seed}.log",
    )  # fmt: skip
    print(
        f"  synth: {figures['wall_s']:.1f} s wall, {figures['cpu_s']:.1f} s CPU, "
        f"{figures['peak_rss_gib']:.2f} GiB",
        flush=True,
    )
    return region


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 16e6])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=None, help="gep run --workers N")
    parser.add_argument("--force", action="store_true", help="run sizes expected not to fit")
    parser.add_argument("--no-floor", action="store_true", help="skip the I/O floor")
    parser.add_argument(
        "--bytes-per-cell",
        type=float,
        default=40.0,
        help="expected peak memory of gep run per cell, for the skip rule (default 40)",
    )
    parser.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="N=PATH",
        help="use an existing synthetic region of N cells (e.g. 185e6=/tmp/r185m)",
    )
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    given = {int(float(n)): Path(p).resolve() for n, p in (r.split("=", 1) for r in args.region)}
    total_gib = memory_gib()
    print(
        f"{os.cpu_count()} cores, {total_gib:.1f} GiB; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.strftime('%Y-%m-%d %H:%M %Z')}",
        flush=True,
    )

    rows = []
    for size in args.sizes:
        pixels = int(size)
        expected = pixels * args.bytes_per_cell / 2**30
        if expected > 0.9 * total_gib and not args.force:
            print(
                f"SKIPPED {pixels:,} cells: expected peak memory ≈ {expected:.0f} GiB "
                f"({args.bytes_per_cell:g} bytes/cell) exceeds 90 % of this machine's {total_gib:.1f} GiB; "
                "--force to run it anyway",
                flush=True,
            )
            rows.append({"pixels": pixels, "skipped": f"expected {expected:.0f} GiB"})
            continue
        print(f"{pixels:,} cells:", flush=True)
        region = region_for(pixels, args.seed, workdir, given)
        out = workdir / f"out-{pixels}-s{args.seed}"
        command = [str(GEP), "run", str(region / "gep.toml"), "--out", str(out), "--overwrite"]
        if args.workers:
            command += ["--workers", str(args.workers)]
        print("  $ /usr/bin/time -v " + " ".join(command), flush=True)
        figures = timed(command, workdir / f"run-{pixels}-s{args.seed}.log")
        manifest = json.loads((out / "manifest.json").read_text())
        cells = manifest["grid"]["width"] * manifest["grid"]["height"]
        row = {"pixels": pixels, "cells": cells, "region": str(region), **figures}
        row["s_per_mcell"] = figures["wall_s"] / (cells / 1e6)
        row["cpu_s_per_mcell"] = figures["cpu_s"] / (cells / 1e6)
        row["timings_s"] = manifest.get("timings_s", {})
        row["peak_stage"] = peak_stage(figures, row["timings_s"])
        row["tree_peak_gib"] = max((g for _, g in figures.get("rss_timeline", [])), default=0.0)
        print(
            f"  run: {figures['wall_s']:.1f} s wall, {figures['cpu_s']:.1f} s CPU, "
            f"{figures['peak_rss_gib']:.2f} GiB (largest process; all processes, sampled every "
            f"0.5 s: {row['tree_peak_gib']:.2f} GiB); load {figures['load_before']:.2f} → "
            f"{figures['load_after']:.2f}; memory peaked during: {row['peak_stage']}",
            flush=True,
        )
        if not args.no_floor:
            load = os.getloadavg()[0]
            floor = io_floor(out / "manifest.json")
            row["floor"] = {**floor, "load_before": load, "load_after": os.getloadavg()[0]}
            row["run_over_floor"] = figures["wall_s"] / floor["wall_s"]
            print(
                f"  I/O floor: {floor['files']} files, {floor['bytes_on_disk'] / 2**20:,.0f} MiB, "
                f"{floor['wall_s']:.1f} s wall ({floor['threads']} threads); run ÷ floor "
                f"{row['run_over_floor']:.1f}",
                flush=True,
            )
        rows.append(row)
        (workdir / "scale-results.json").write_text(json.dumps(rows, indent=1, default=float))

    print()
    print(
        f"{'cells':>13s} {'wall s':>8s} {'CPU s':>8s} {'s/M cells':>10s} {'peak GiB':>9s} "
        f"{'floor s':>8s} {'run÷floor':>10s} {'load':>12s}"
    )
    for row in rows:
        if "skipped" in row:
            print(f"{row['pixels']:>13,} skipped: {row['skipped']}")
            continue
        floor = row.get("floor", {}).get("wall_s", math.nan)
        print(
            f"{row['cells']:>13,} {row['wall_s']:8.1f} {row['cpu_s']:8.1f} "
            f"{row['s_per_mcell']:10.2f} {row['peak_rss_gib']:9.2f} {floor:8.1f} "
            f"{row.get('run_over_floor', math.nan):10.1f} "
            f"{row['load_before']:5.2f}→{row['load_after']:5.2f}"
        )
    for row in rows:
        if "timings_s" in row:
            stages = ", ".join(f"{k} {v:.1f}" for k, v in row["timings_s"].items())
            print(f"stages at {row['cells']:,} cells (s): {stages}")
    print(f"results: {workdir / 'scale-results.json'}")


if __name__ == "__main__":
    main()
