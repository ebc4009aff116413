"""``gep synth``: write a synthetic region of any size, ready for ``gep run``.

The order: the landscape's parameters from the seed, lakes and reservoirs on it, the units and
their county seats, then every raster window by window (one tile row of at most 8,192 cells at
a time: memory does not grow with the grid), then the registers, statistics, tables and
gep.toml.  Everything goes into a temporary folder renamed at the end.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio.features
from affine import Affine
from rasterio.windows import Window
from rich.console import Console
from rich.markup import escape

from gepkit.errors import InputError, Problem
from gepkit.grid import CHINA_ALBERS
from gepkit.io.outputs import atomic_folder, check_target
from gepkit.synth import water
from gepkit.synth.config import config_text, county_statistics, write_tables
from gepkit.synth.landscape import (
    CLASS_NAMES,
    CROPLAND,
    F_ZS,
    IMPERVIOUS,
    Geometry,
    Landscape,
    YearClimate,
    classify,
    smooth_slope,
    static_layers,
    year_layers,
)
from gepkit.synth.units import build_units
from gepkit.synth.writer import RasterSet, RasterSpec, gdal_env, windows

MIN_PIXELS = 10_000
#: Sample points for the county statistics (about; a lattice of grid cells).
STATISTICS_SAMPLE = 250_000
#: A fixed date in the GeoPackages (GDAL would write the current time: the bytes would
#: differ between two runs).
FIXED_DATE = "2000-01-01T00:00:00Z"

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""

STATIC_LAYERS = {
    "dem": ("m", "elevation above sea level"),
    "ndvi": ("dimensionless", "annual maximum NDVI"),
    "soil_erodibility": ("t*hectare*h/(hectare*MJ*mm)", "RUSLE soil erodibility K"),
}
YEAR_LAYERS = {
    "precipitation_monthly": ("mm", "monthly precipitation"),
    "temperature_monthly": ("degC", "monthly mean air temperature"),
    "actual_et": ("mm", "annual actual evapotranspiration"),
    "npp": ("gC/m^2", "annual net primary production"),
    "storm_precipitation": ("mm", "precipitation of days with at least 50 mm"),
    "rainfall_erosivity": ("MJ*mm/(hectare*h)", "RUSLE rainfall erosivity R"),
    "hot_days": ("day", "days with a maximum temperature above 26 °C"),
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class SynthResult:
    """What was written, with a few figures to show."""

    folder: Path
    config: Path
    geometry: Geometry
    seed: int
    years: tuple[int, ...]
    units: int
    counties: int
    lakes: int
    reservoirs: int
    class_shares: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    bytes_written: int
    seconds: dict[str, float] = field(default_factory=dict)


def synthesize(
    pixels: int,
    out: Path,
    *,
    seed: int = 1,
    resolution: float = 30.0,
    years: Sequence[int] = (2020,),
    overwrite: bool = False,
    progress: Progress | None = None,
) -> SynthResult:
    """Write a synthetic region of about ``pixels`` cells into ``out``; see the module doc."""
    _check(pixels, resolution, years)
    check_target(out, overwrite=overwrite)
    years = tuple(sorted(set(int(y) for y in years)))
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    geometry = Geometry.for_pixels(pixels, resolution)
    landscape = water.place_bodies(Landscape.create(geometry, seed), seed)
    units = build_units(landscape, seed)
    landscape = landscape.with_towns(units.towns)
    seconds["landscape and units"] = time.perf_counter() - start

    with atomic_folder(out, overwrite=overwrite) as folder:
        start = time.perf_counter()
        counts, ranges = write_rasters(landscape, folder, years, seed, progress)
        seconds["rasters"] = time.perf_counter() - start
        start = time.perf_counter()
        _write_vectors(folder, units.frame, landscape)
        water_rows = water.reservoirs(landscape)
        _write_csv(folder / "reservoirs.csv", water_rows)
        stats = _statistics(landscape, units.counties)
        stats.to_csv(folder / "statistics.csv", index=False, lineterminator="\n")
        tables = write_tables(folder / "tables", seed)
        chunk = 1024
        config = folder / "gep.toml"
        config.write_text(
            config_text(
                seed=seed,
                pixels=pixels,
                resolution=resolution,
                years=years,
                width=geometry.width,
                height=geometry.height,
                tables=tables,
                chunk=chunk,
            ),
            encoding="utf-8",
        )
        seconds["units, registers, statistics"] = time.perf_counter() - start
        written = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    total = sum(counts.values())
    return SynthResult(
        folder=out,
        config=out / "gep.toml",
        geometry=geometry,
        seed=seed,
        years=years,
        units=len(units.frame),
        counties=len(units.counties),
        lakes=len(water.lakes(landscape)),
        reservoirs=len(water_rows),
        class_shares={CLASS_NAMES[c]: n / total for c, n in sorted(counts.items())},
        ranges=ranges,
        bytes_written=written,
        seconds=seconds,
    )


def _check(pixels: int, resolution: float, years: Sequence[int]) -> None:
    problems = []
    if pixels < MIN_PIXELS:
        problems.append(
            Problem(
                where="gep synth",
                field="--pixels",
                message=f"{pixels} is too small for cities and counties",
                hint=f"give at least {MIN_PIXELS:,}",
            )
        )
    if not (1.0 <= resolution <= 1000.0):
        problems.append(
            Problem(
                where="gep synth",
                field="--resolution",
                message=f"{resolution:g} m is outside 1–1,000 m",
                hint="the default is 30 m (Landsat-based products such as CLCD)",
            )
        )
    if not years or any(not (1900 <= int(y) <= 2200) for y in years):
        problems.append(
            Problem(
                where="gep synth",
                field="--years",
                message=f"{list(years)} are not accounting years",
                hint="give years such as --years 2019 --years 2020",
            )
        )
    if problems:
        raise InputError(problems)


def raster_specs(folder: Path, years: Sequence[int], seed: int) -> dict[str, RasterSpec]:
    """The output files: static layers, then each year's."""
    tags = {"SYNTHETIC": f"gep synth, seed {seed}: not a measurement"}
    rasters = folder / "rasters"
    specs = {
        "landcover": RasterSpec(
            rasters / "landcover.tif",
            "uint8",
            1,
            "dimensionless",
            "land cover, CLCD classes",
            nodata=0,
            tags=tags,
        )
    }
    for name, (units, description) in STATIC_LAYERS.items():
        specs[name] = RasterSpec(
            rasters / f"{name}.tif", "float32", 1, units, description, math.nan, tags=tags
        )
    for year in years:
        for name, (units, description) in YEAR_LAYERS.items():
            monthly = name.endswith("_monthly")
            specs[f"{name}_{year}"] = RasterSpec(
                rasters / f"{name}_{year}.tif",
                "float32",
                12 if monthly else 1,
                units,
                f"{description} {year}",
                math.nan,
                band_names=tuple(f"{description} {year}-{m}" for m in MONTHS) if monthly else (),
                tags={**tags, "YEAR": str(year)},
            )
    return specs


def write_rasters(
    landscape: Landscape,
    folder: Path,
    years: Sequence[int],
    seed: int,
    progress: Progress | None = None,
) -> tuple[dict[int, int], dict[str, tuple[float, float]]]:
    """Every raster, window by window; returns the land-cover counts and each layer's range.

    A window's layers are handed to a writer thread (GDAL compresses them there, without the
    GIL) while the next window is computed; at most one window waits, so memory stays at about
    two windows' layers."""
    geometry = landscape.geometry
    climates = [YearClimate.create(landscape, year) for year in years]
    counts: dict[int, int] = {}
    ranges: dict[str, tuple[float, float]] = {}
    todo = list(windows(geometry))
    with (
        gdal_env(),
        RasterSet(raster_specs(folder, years, seed), geometry) as rasters,
        ThreadPoolExecutor(max_workers=1) as writer,
    ):
        pending: Future[None] | None = None
        for done, window in enumerate(todo, start=1):
            layers = window_layers(landscape, climates, window)
            for name, data in layers.items():
                if name == "landcover":
                    for code, n in zip(*np.unique(data, return_counts=True), strict=True):
                        counts[int(code)] = counts.get(int(code), 0) + int(n)
                    continue
                low, high = float(np.nanmin(data)), float(np.nanmax(data))
                old = ranges.get(name, (low, high))
                ranges[name] = (min(old[0], low), max(old[1], high))
            if pending is not None:
                pending.result()
            pending = writer.submit(_write_window, rasters, window, layers)
            if progress is not None:
                progress("rasters", done, len(todo))
        if pending is not None:
            pending.result()
    return counts, ranges


def window_layers(
    landscape: Landscape, climates: Sequence[YearClimate], window: Window
) -> dict[str, np.ndarray]:
    """Every layer of one window: land cover, the static layers and each year's."""
    row0, col0 = int(window.row_off), int(window.col_off)
    height, width = int(window.height), int(window.width)
    halo = landscape.fields(col0 - 1, row0 - 1, height + 2, width + 2)
    slope = smooth_slope(halo[F_ZS], landscape.geometry.resolution)
    fields = halo[:, 1:-1, 1:-1]
    landcover = classify(landscape, fields, slope)
    layers = {"landcover": landcover, **static_layers(landscape, fields, landcover)}
    rows = np.arange(row0, row0 + height)
    cols = np.arange(col0, col0 + width)
    for climate in climates:
        for name, data in year_layers(landscape, climate, fields, landcover, rows, cols).items():
            layers[f"{name}_{climate.year}"] = data
    return layers


def _write_window(rasters: RasterSet, window: Window, layers: dict[str, np.ndarray]) -> None:
    for name, data in layers.items():
        rasters.write(name, window, data)


def _write_vectors(folder: Path, units: gpd.GeoDataFrame, landscape: Landscape) -> None:
    bodies = water.lakes(landscape)
    lakes = gpd.GeoDataFrame(
        {"name": [f"合成湖{i} synthetic lake {i}" for i in range(1, 1 + len(bodies))]},
        geometry=[water.outline(body) for body in bodies],
        crs=CHINA_ALBERS,
    )
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        units.to_file(folder / "units.gpkg", driver="GPKG", layer="units")
        lakes.to_file(folder / "lakes.gpkg", driver="GPKG", layer="lakes")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(
            f,
            fieldnames=["name", "total_capacity", "flood_capacity", "lon", "lat"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)


def landcover_at(landscape: Landscape, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Land cover at points (cell centres give the raster's classes): the fields there and the
    smooth slope from the four neighbouring cell centres."""
    r = landscape.geometry.resolution
    fields = landscape.points(x, y)
    east, west = landscape.points(x + r, y)[F_ZS], landscape.points(x - r, y)[F_ZS]
    north, south = landscape.points(x, y + r)[F_ZS], landscape.points(x, y - r)[F_ZS]
    # the same central differences as smooth_slope (its rows run southwards)
    dzdx = (east - west) / (2.0 * r)
    dzdy = (south - north) / (2.0 * r)
    return classify(landscape, fields, np.sqrt(dzdx * dzdx + dzdy * dzdy))


def _statistics(landscape: Landscape, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """Population, GDP and emissions per county from a lattice sample of the land cover."""
    g = landscape.geometry
    step = max(1, round(math.sqrt(g.size / STATISTICS_SAMPLE)))
    rows = np.arange(step // 2, g.height, step)
    cols = np.arange(step // 2, g.width, step)
    xx, yy = np.meshgrid(g.x_of(cols), g.y_of(rows))
    classes = landcover_at(landscape, xx.ravel(), yy.ravel()).reshape(xx.shape)
    # the county of each sample point: rasterised on the lattice (pixel centres = the points)
    transform = Affine(
        step * g.resolution,
        0.0,
        xx[0, 0] - step * g.resolution / 2,
        0.0,
        -step * g.resolution,
        yy[0, 0] + step * g.resolution / 2,
    )
    ids = rasterio.features.rasterize(
        ((geom, i + 1) for i, geom in enumerate(counties.geometry)),
        out_shape=xx.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    cell_km2 = (step * g.resolution) ** 2 / 1e6
    n = len(counties)
    areas = {
        "impervious": np.bincount(ids[classes == IMPERVIOUS], minlength=n + 1)[1:] * cell_km2,
        "cropland": np.bincount(ids[classes == CROPLAND], minlength=n + 1)[1:] * cell_km2,
        "other": np.bincount(ids[~np.isin(classes, (IMPERVIOUS, CROPLAND))], minlength=n + 1)[1:]
        * cell_km2,
    }
    return county_statistics(list(counties["code"]), list(counties["name"]), areas)


def show(result: SynthResult, console: Console) -> None:
    """Print what ``gep synth`` wrote."""
    g = result.geometry
    console.print(
        f"[green]Synthetic region written[/] to {escape(str(result.folder))}: "
        f"{g.width} × {g.height} = {g.size:,} cells of {g.resolution:g} m "
        f"({g.size * g.resolution**2 / 1e6:,.0f} km²), seed {result.seed}, "
        f"years {', '.join(map(str, result.years))}",
        highlight=False,
    )
    console.print(
        f"  {result.units} units ({result.counties} counties), {result.lakes} lakes, "
        f"{result.reservoirs} reservoirs; {result.bytes_written / 2**20:,.1f} MiB",
        highlight=False,
    )
    shares = ", ".join(f"{name} {share:.1%}" for name, share in result.class_shares.items())
    console.print(f"  land cover: {shares}", highlight=False)
    dem = result.ranges.get("dem")
    if dem is not None:
        console.print(f"  elevation {dem[0]:,.0f}–{dem[1]:,.0f} m", highlight=False)
    timing = ", ".join(f"{stage} {s:.1f} s" for stage, s in result.seconds.items())
    console.print(f"  {timing}", highlight=False)
    console.print(f"  next: gep run {escape(str(result.config))}", highlight=False)
