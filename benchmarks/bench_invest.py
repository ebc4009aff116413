"""gepkit against InVEST SDR + Annual Water Yield + Carbon on the same synthetic region.

    .venv/bin/python benchmarks/bench_invest.py --size 1e6 --workdir /tmp/bench6 \\
        [--seed 1] [--region PATH] [--invest ~/invest-venv/bin/invest] [--n-workers -1]

InVEST (natcap.invest) is never a dependency of gepkit: it is looked for at --invest,
~/invest-venv/bin/invest, then ``invest`` on PATH; install it as ../shared/spec/invest-howto.md
says (outside the repository).  Without it the script says so and stops.

From the synthetic region (``gep synth --pixels N --seed S``, made or reused as by
bench_scale.py) it writes InVEST's inputs into WORKDIR/invest-N-sS/inputs, the same cells and
values as gepkit reads, converted only where InVEST needs another form (untimed):

* dem, rainfall erosivity, soil erodibility: the region's rasters, NaN nodata as -9999
  (float32, tiled 256 × 256, LZW);
* land cover: the region's CLCD codes (int16, nodata -1);
* precipitation: the annual sum of the region's 12 monthly bands;
* reference ET0: Thornthwaite from the region's 12 monthly mean temperatures, with day lengths
  at the grid's central latitude (the synthetic region has no ET0 layer);
* plant-available water content 0.15 and depth to the root-restricting layer 1000 mm, constant
  rasters (gepkit's water conservation, P − R − ET, needs neither);
* watersheds: the region's counties (``level = county``), field ws_id = 1..n;
* biophysical table per CLCD class: USLE C and P, lulc_veg, root depth, Kc and the four carbon
  pools from ../shared/tools/invest-bench/make_inputs.py's six classes (shrub for shrub and
  grassland), plus illustrative values for wetland and snow/ice.

Then, in the same session, it times ``/usr/bin/time -v gep run`` on the region (all nine
raster-based regulating items, maps written) and ``/usr/bin/time -v invest run`` for SDR
(MFD, threshold 1000, k 2, SDR max 0.8, IC0 0.5, l_max 122), Annual Water Yield (Z = 5) and
Carbon (storage only, no sequestration or valuation), each from an empty workspace, and prints
gepkit ÷ (SDR + AWY + Carbon) in wall time.  Results go to WORKDIR/invest-results-N-sS.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from bench_scale import GEP, region_for, timed
from rasterio.warp import transform as warp_transform

FLOAT_NODATA = -9999.0
PROFILE = {
    "driver": "GTiff",
    "tiled": True,
    "blockxsize": 256,
    "blockysize": 256,
    "compress": "lzw",
    "BIGTIFF": "IF_SAFER",
}
BIO_COLUMNS = [
    "lucode", "description", "usle_c", "usle_p", "lulc_veg", "root_depth", "kc",
    "c_above", "c_below", "c_soil", "c_dead",
]  # fmt: skip
# CLCD class: invest-bench's values for its six classes; wetland and snow/ice illustrative.
BIOPHYSICAL = [
    (1, "cropland", 0.25, 0.5, 1, 700, 0.75, 4.0, 1.5, 55.0, 0.5),
    (2, "forest", 0.003, 1.0, 1, 3000, 1.00, 95.0, 24.0, 90.0, 8.0),
    (3, "shrub", 0.04, 1.0, 1, 1500, 0.85, 12.0, 10.0, 70.0, 2.0),
    (4, "grassland", 0.04, 1.0, 1, 1500, 0.85, 12.0, 10.0, 70.0, 2.0),
    (5, "water", 0.0, 1.0, 0, 1, 1.05, 0.0, 0.0, 0.0, 0.0),
    (6, "snow_ice", 0.0, 1.0, 0, 1, 0.50, 0.0, 0.0, 0.0, 0.0),
    (7, "barren", 0.6, 1.0, 0, 10, 0.20, 0.0, 0.0, 8.0, 0.0),
    (8, "impervious", 0.01, 1.0, 0, 100, 0.30, 1.0, 0.0, 20.0, 0.0),
    (9, "wetland", 0.01, 1.0, 1, 500, 1.10, 10.0, 5.0, 150.0, 2.0),
]
MID_MONTH_DOY = np.array([15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349])
DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def find_invest(given: Path | None) -> Path | None:
    for candidate in (given, Path.home() / "invest-venv/bin/invest"):
        if candidate is not None and candidate.exists():
            return candidate
    found = shutil.which("invest")
    return Path(found) if found else None


def _profile(src: rasterio.DatasetReader, dtype: str, nodata: float) -> dict:
    return {
        **PROFILE,
        "width": src.width,
        "height": src.height,
        "count": 1,
        "crs": src.crs,
        "transform": src.transform,
        "dtype": dtype,
        "nodata": nodata,
    }


def _blocks(src: rasterio.DatasetReader, rows: int = 1024):
    for top in range(0, src.height, rows):
        yield rasterio.windows.Window(0, top, src.width, min(rows, src.height - top))


def day_lengths(latitude: float) -> np.ndarray:
    """Mean day length (hours) of each month at ``latitude``, at mid-month."""
    phi = math.radians(latitude)
    delta = np.radians(23.44) * np.sin(2 * np.pi * (284 + MID_MONTH_DOY) / 365)
    omega = np.arccos(np.clip(-math.tan(phi) * np.tan(delta), -1, 1))
    return 24 * omega / np.pi


def thornthwaite(temperature: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Annual ET0 (mm) from 12 monthly mean temperatures (°C, first axis), Thornthwaite 1948."""
    t = np.maximum(temperature.astype("float64"), 0.0)
    heat = np.sum((t / 5.0) ** 1.514, axis=0)
    heat = np.where(heat > 0, heat, np.nan)
    a = 6.75e-7 * heat**3 - 7.71e-5 * heat**2 + 1.792e-2 * heat + 0.49239
    factor = (hours / 12.0 * DAYS / 30.0)[:, None, None]
    pet = 16.0 * factor * (10.0 * t / heat) ** a
    return np.nan_to_num(pet.sum(axis=0), nan=0.0).astype("float32")


def write_inputs(region: Path, out: Path) -> dict[str, Path]:
    """InVEST's inputs from the synthetic region (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    rasters = region / "rasters"
    year = _years(region)[0]
    paths = {}
    copies = {
        "dem": rasters / "dem.tif",
        "erosivity": rasters / f"rainfall_erosivity_{year}.tif",
        "erodibility": rasters / "soil_erodibility.tif",
    }
    for name, path in copies.items():
        paths[name] = out / f"{name}.tif"
        with (
            rasterio.open(path) as src,
            rasterio.open(paths[name], "w", **_profile(src, "float32", FLOAT_NODATA)) as dst,
        ):
            for window in _blocks(src):
                block = src.read(1, window=window).astype("float32")
                block[~np.isfinite(block)] = FLOAT_NODATA
                dst.write(block, 1, window=window)
    with rasterio.open(rasters / "landcover.tif") as src:
        paths["lulc"] = out / "lulc.tif"
        centre = src.xy(src.height // 2, src.width // 2)
        _, (latitude,) = warp_transform(src.crs, "EPSG:4326", [centre[0]], [centre[1]])
        with rasterio.open(paths["lulc"], "w", **_profile(src, "int16", -1)) as dst:
            for window in _blocks(src):
                block = src.read(1, window=window).astype("int16")
                block[block == (src.nodata if src.nodata is not None else -1)] = -1
                dst.write(block, 1, window=window)
        constants = {"pawc": 0.15, "root_depth": 1000.0}
        for name, value in constants.items():
            paths[name] = out / f"{name}.tif"
            with rasterio.open(paths[name], "w", **_profile(src, "float32", FLOAT_NODATA)) as dst:
                for window in _blocks(src):
                    dst.write(
                        np.full((window.height, window.width), value, "float32"), 1, window=window
                    )
    hours = day_lengths(latitude)
    with (
        rasterio.open(rasters / f"precipitation_monthly_{year}.tif") as rain,
        rasterio.open(rasters / f"temperature_monthly_{year}.tif") as temp,
    ):
        paths["precip"], paths["eto"] = out / "precip.tif", out / "eto.tif"
        with (
            rasterio.open(paths["precip"], "w", **_profile(rain, "float32", FLOAT_NODATA)) as p_dst,
            rasterio.open(paths["eto"], "w", **_profile(temp, "float32", FLOAT_NODATA)) as e_dst,
        ):
            for window in _blocks(rain):
                p_dst.write(rain.read(window=window).sum(axis=0, dtype="float32"), 1, window=window)
                e_dst.write(thornthwaite(temp.read(window=window), hours), 1, window=window)
    units = gpd.read_file(region / "units.gpkg")
    counties = units[units["level"] == "county"].reset_index(drop=True)
    watersheds = gpd.GeoDataFrame(
        {"ws_id": np.arange(1, len(counties) + 1, dtype="int32")},
        geometry=counties.geometry,
        crs=units.crs,
    )
    paths["watersheds"] = out / "watersheds.gpkg"
    watersheds.to_file(paths["watersheds"], driver="GPKG")
    paths["biophysical"] = out / "biophysical.csv"
    with paths["biophysical"].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(BIO_COLUMNS)
        writer.writerows(BIOPHYSICAL)
    return paths


def _years(region: Path) -> list[int]:
    return tomllib.loads((region / "gep.toml").read_text())["run"]["years"]


def datastack(model: str, paths: dict[str, Path], workspace: Path, n_workers: int) -> dict:
    """InVEST datastack arguments, as ../shared/tools/invest-bench/run_bench.py sets them."""
    p = {name: str(path) for name, path in paths.items()}
    if model == "sdr":
        args = {
            "dem_path": p["dem"],
            "erosivity_path": p["erosivity"],
            "erodibility_path": p["erodibility"],
            "lulc_path": p["lulc"],
            "biophysical_table_path": p["biophysical"],
            "watersheds_path": p["watersheds"],
            "drainage_path": "",
            "threshold_flow_accumulation": 1000,
            "k_param": 2,
            "sdr_max": 0.8,
            "ic_0_param": 0.5,
            "l_max": 122,
            "flow_dir_algorithm": "MFD",
        }
    elif model == "annual_water_yield":
        args = {
            "lulc_path": p["lulc"],
            "depth_to_root_rest_layer_path": p["root_depth"],
            "precipitation_path": p["precip"],
            "pawc_path": p["pawc"],
            "eto_path": p["eto"],
            "watersheds_path": p["watersheds"],
            "sub_watersheds_path": "",
            "biophysical_table_path": p["biophysical"],
            "seasonality_constant": 5,
            "demand_table_path": "",
            "valuation_table_path": "",
        }
    elif model == "carbon":
        args = {
            "lulc_bas_path": p["lulc"],
            "calc_sequestration": False,
            "carbon_pools_path": p["biophysical"],
            "do_valuation": False,
        }
    else:
        raise ValueError(model)
    args.update(workspace_dir=str(workspace), results_suffix="", n_workers=n_workers)
    return {"model_id": model, "args": args}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1e6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--region", type=Path, default=None, help="an existing region of --size")
    parser.add_argument("--invest", type=Path, default=None)
    parser.add_argument("--n-workers", type=int, default=-1, help="InVEST n_workers (-1: none)")
    parser.add_argument("--workers", type=int, default=None, help="gep run --workers N")
    args = parser.parse_args()
    invest = find_invest(args.invest)
    if invest is None:
        print(
            "InVEST not found (--invest, ~/invest-venv/bin/invest, PATH): install it as "
            "../shared/spec/invest-howto.md says; nothing measured."
        )
        return
    version = subprocess.run(
        [str(invest), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    pixels = int(args.size)
    given = {pixels: args.region.resolve()} if args.region else {}
    region = region_for(pixels, args.seed, workdir, given)
    base = workdir / f"invest-{pixels}-s{args.seed}"
    print(f"InVEST {version} ({invest}); region {region}", flush=True)
    paths = write_inputs(region, base / "inputs")
    print(f"  inputs written to {base / 'inputs'}", flush=True)

    results: dict = {"invest": version, "region": str(region), "pixels": pixels}
    out = base / "gep-out"
    command = [str(GEP), "run", str(region / "gep.toml"), "--out", str(out), "--overwrite"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    print("  $ /usr/bin/time -v " + " ".join(command), flush=True)
    results["gepkit"] = timed(command, base / "gep-run.log")
    results["gepkit"]["timings_s"] = json.loads((out / "manifest.json").read_text())["timings_s"]
    for model in ("sdr", "annual_water_yield", "carbon"):
        workspace = base / f"ws_{model}"
        shutil.rmtree(workspace, ignore_errors=True)
        stack = base / f"{model}.invs.json"
        content = datastack(model, paths, workspace, args.n_workers)
        content["invest_version"] = version
        stack.write_text(json.dumps(content, indent=1))
        command = [str(invest), "run", model, "-d", str(stack), "-w", str(workspace), "--no-report"]
        print("  $ /usr/bin/time -v " + " ".join(command), flush=True)
        results[model] = timed(command, base / f"{model}.log")

    names = {"gepkit": "gepkit (9 items)", "sdr": "InVEST SDR"}
    names.update(annual_water_yield="InVEST Annual Water Yield", carbon="InVEST Carbon")
    print(f"\n{'':28s} {'wall s':>8s} {'CPU s':>8s} {'peak GiB':>9s} {'load':>12s}")
    for key, name in names.items():
        r = results[key]
        print(
            f"{name:28s} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_rss_gib']:9.2f} "
            f"{r['load_before']:5.2f}→{r['load_after']:5.2f}"
        )
    invest_wall = sum(results[m]["wall_s"] for m in ("sdr", "annual_water_yield", "carbon"))
    invest_cpu = sum(results[m]["cpu_s"] for m in ("sdr", "annual_water_yield", "carbon"))
    results["ratio_wall"] = results["gepkit"]["wall_s"] / invest_wall
    results["ratio_cpu"] = results["gepkit"]["cpu_s"] / invest_cpu
    print(
        f"{'InVEST SDR + AWY + Carbon':28s} {invest_wall:8.1f} {invest_cpu:8.1f}\n"
        f"gepkit ÷ (SDR + AWY + Carbon): {results['ratio_wall']:.2f} wall, "
        f"{results['ratio_cpu']:.2f} CPU (InVEST ÷ gepkit {1 / results['ratio_wall']:.2f}× wall)"
    )
    (workdir / f"invest-results-{pixels}-s{args.seed}.json").write_text(
        json.dumps(results, indent=1, default=float)
    )
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
