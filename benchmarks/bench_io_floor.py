"""The I/O floor of a run: read every input raster of a config once, block by block.

    .venv/bin/python benchmarks/bench_io_floor.py RUN_OUT/manifest.json [--threads 2]
    .venv/bin/python benchmarks/bench_io_floor.py REGION/gep.toml [--threads 2]

The files are exactly those the run reads: the ``inputs.layers`` of a run's manifest (each
path once, all its bands), or, given a gep.toml, every ``[inputs.*]`` raster with ``{year}``
filled in for each of the config's years.  Each file is read with rasterio block window by
block window over all bands, and every block is summed (float64) so that nothing is skipped
lazily; DEFLATE decoding is part of the floor, as it is part of any run.  ``--threads``
(default: the machine's cores, as the run's dask threads) reads windows of a file in parallel,
one open dataset per thread.  The page cache is not dropped: the floor is a warm-cache floor
when the files were read recently (by ``gep synth`` or a run), as the run's own reads are.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import rasterio


def input_rasters(path: Path) -> list[Path]:
    """The input raster files of a run: from its manifest.json, or from a gep.toml."""
    if path.suffix == ".json":
        layers = json.loads(path.read_text())["inputs"]["layers"]
        files = [Path(layer["path"]) for layer in layers.values()]
    else:
        config = tomllib.loads(path.read_text())
        years = config["run"]["years"]
        files = []
        for entry in config.get("inputs", {}).values():
            raw = entry["path"]
            for year in years if "{year}" in raw else [None]:
                name = raw.format(year=year) if year is not None else raw
                files.append((path.parent / name).resolve())
    return sorted(set(files))


def _read_file(path: Path, threads: int) -> tuple[float, int]:
    with rasterio.open(path) as src:
        windows = [window for _, window in src.block_windows(1)]
    local = threading.local()

    def read(window: rasterio.windows.Window) -> tuple[float, int]:
        if not hasattr(local, "src"):
            local.src = rasterio.open(path)
        block = local.src.read(window=window)
        return float(np.nansum(block, dtype=np.float64)), block.size

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(read, windows))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def io_floor(path: Path, threads: int | None = None) -> dict:
    """Read every input raster once; the wall time, the values read and the bytes on disk."""
    threads = threads or os.cpu_count() or 1
    files = input_rasters(path)
    started, cpu0 = time.perf_counter(), time.process_time()
    per_file = {}
    values = 0
    checksum = 0.0
    for file in files:
        t0 = time.perf_counter()
        total, count = _read_file(file, threads)
        per_file[file.name] = round(time.perf_counter() - t0, 3)
        values += count
        checksum += total
    return {
        "files": len(files),
        "bytes_on_disk": sum(f.stat().st_size for f in files),
        "values_read": values,
        "checksum": checksum,
        "threads": threads,
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu0,
        "per_file_s": per_file,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a run's manifest.json or a gep.toml")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    floor = io_floor(args.source, args.threads)
    print(
        f"{floor['files']} files, {floor['bytes_on_disk'] / 2**20:,.0f} MiB on disk, "
        f"{floor['values_read']:,} values, {floor['threads']} threads: "
        f"{floor['wall_s']:.2f} s wall, {floor['cpu_s']:.2f} s CPU"
    )
    for name, seconds in floor["per_file_s"].items():
        print(f"  {name:40s} {seconds:8.3f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
