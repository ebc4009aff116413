"""The files around the rasters of a synthetic region: gep.toml, tables, statistics, registers.

The configuration asks for every raster-based regulating item of the default profile
(DB36/T 1402-2021): water conservation, soil retention, flood regulation, air and water
purification, carbon sequestration, oxygen release, climate regulation and negative air ions.
The profile's items valued from statistics alone (farm, forestry, livestock and fishery
products; recreation) are dropped, since the region has no statistics workbook; population,
GDP and the emissions that cap the purification items are given as single per-county
statistics made from the synthetic land cover.

The three per-ecosystem tables that gepkit does not ship (storm runoff coefficients,
negative-ion concentrations, canopy heights) are the Jiangxi demo's illustrative values, copied
with their source marked as synthetic.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from gepkit import __version__
from gepkit.catalogue.profiles import DEFAULT_PROFILE, PROFILES

#: Items of the default profile valued from statistics alone, left out of the synthetic run.
STATISTICS_ITEMS = (
    "agricultural_products",
    "forestry_products",
    "livestock_products",
    "fishery_products",
    "recreation",
)
#: The raster-based regulating items the synthetic run computes: the rest of the profile.
RASTER_ITEMS = tuple(i for i in PROFILES[DEFAULT_PROFILE].items if i not in STATISTICS_ITEMS)
DEMO_TABLES = {
    "storm_runoff_coefficients": "demo_storm_runoff_coefficients.csv",
    "negative_ion_concentration": "demo_negative_ion_concentration.csv",
    "canopy_height": "demo_canopy_height.csv",
}

#: Per-county statistics from the synthetic land cover [D]: people per km² of each class …
DENSITY_PER_KM2 = {"impervious": 5000.0, "cropland": 250.0, "other": 25.0}
#: … GDP per person [万元] (about the Jiangxi figure of 2020) …
GDP_PER_PERSON_WAN = 5.7
#: … and emissions per person [t]: SO₂, NOx, COD and NH₃-N at the Jiangxi demo's rates (its
#: 2012 provincial totals over the 2020 population); dust and TP are illustrative.
EMISSIONS_PER_PERSON_T = {
    "so2": 0.0126,
    "nox": 0.0128,
    "dust": 0.0080,
    "cod": 0.0166,
    "nh3n": 0.0020,
    "tp": 0.0003,
}

SYNTHETIC = "synthetic (gep synth, seed {seed})"


def write_tables(folder: Path, seed: int) -> dict[str, str]:
    """Copy the demo's illustrative tables into ``folder``, marked synthetic; the [tables]
    entries (name → path relative to the region)."""
    folder.mkdir(parents=True, exist_ok=True)
    demo = resources.files("gepkit") / "data" / "demo" / "jiangxi"
    entries: dict[str, str] = {}
    for name, filename in DEMO_TABLES.items():
        rows = list(csv.DictReader(io.StringIO((demo / filename).read_text(encoding="utf-8"))))
        for row in rows:
            row["source"] = (
                f"{SYNTHETIC.format(seed=seed)}: illustrative value of the Jiangxi demo "
                f"({row['source']})"
            )
            row["confidence"] = "D"
        target = folder / f"{name}.csv"
        with open(target, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        entries[name] = f"{folder.name}/{target.name}"
    return entries


def county_statistics(
    codes: Sequence[str], names: Sequence[str], areas_km2: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Population, GDP and emissions of each county from its area by class (km², aligned with
    ``codes``): people from densities by class, the rest per person."""
    people = (
        DENSITY_PER_KM2["impervious"] * areas_km2["impervious"]
        + DENSITY_PER_KM2["cropland"] * areas_km2["cropland"]
        + DENSITY_PER_KM2["other"] * areas_km2["other"]
    )
    frame = pd.DataFrame(
        {"code": list(codes), "name": list(names), "population": np.round(people).astype(int)}
    )
    frame["gdp"] = np.round(frame["population"] * GDP_PER_PERSON_WAN, 1)
    for pollutant, rate in EMISSIONS_PER_PERSON_T.items():
        frame[pollutant] = np.round(frame["population"] * rate, 2)
    return frame


def config_text(
    *,
    seed: int,
    pixels: int,
    resolution: float,
    years: Sequence[int],
    width: int,
    height: int,
    tables: dict[str, str],
    chunk: int,
) -> str:
    """The gep.toml of a synthetic region."""
    synthetic = SYNTHETIC.format(seed=seed)
    years_list = ", ".join(str(y) for y in years)
    resolution_text = f"{resolution:g}"
    stats = "\n".join(
        _statistic(name, field, units, synthetic)
        for name, field, units in [
            ("population", "population", "person"),
            ("gdp", "gdp", "万元"),
            *((f"emissions_{p}", p, "t") for p in EMISSIONS_PER_PERSON_T),
        ]
    )
    table_lines = "\n".join(f'{name} = "{path}"' for name, path in tables.items())
    drop = ", ".join(f'"{item}"' for item in STATISTICS_ITEMS)
    year_options = "".join(f" --years {y}" for y in years)
    items = "\n# ".join(textwrap.wrap(", ".join(RASTER_ITEMS), 90))
    layers = "\n".join(_layer(*spec, synthetic) for spec in LAYER_SECTIONS)
    return f"""\
# Synthetic region made by `gep synth --pixels {pixels} --seed {seed} --resolution \
{resolution_text}{year_options}` (gepkit {__version__}):
# {width} × {height} cells of {resolution_text} m.
#
# SYNTHETIC: every input is made up — fractal terrain, land cover following it (CLCD codes),
# climate, vegetation, soil, units, lakes, reservoirs, statistics and three tables. It is no
# real place and its account estimates nothing: it exists to test and benchmark gepkit at any
# size. Same seed and size, same bytes. Settings: docs/configuration.md.
#
# Items: the nine raster-based regulating items of the DB36/T 1402-2021 profile:
# {items}.
# The profile's items valued from statistics alone (farm, forestry, livestock and fishery
# products, recreation) are dropped: the region has no statistics workbook. Population, GDP
# and the emissions that cap air and water purification are single per-county statistics.

[region]
name = "合成省"
name_en = "Synthetic region (gep synth, seed {seed})"
code = "990000"

[run]
years = [{years_list}]
profile = "DB36/T 1402-2021"
drop_items = [{drop}]
# Blocks of {chunk} × {chunk} cells: whole 512 × 512 tiles of the input files.
chunk = {chunk}

[units]
# A province (990000), its cities (99cc00) and their counties (99cckk): GB/T 2260-like codes in
# the unused range 99.
path = "units.gpkg"
code_field = "code"
name_field = "name"
parent_field = "parent_code"
level_field = "level"

[grid]
# The rasters are on this grid already (same CRS, cell size and edges): they are read as they
# are, without resampling.
crs = "china-albers"
resolution = {resolution_text}

{layers}
{stats}
[registers.lakes]
path = "lakes.gpkg"
name_field = "name"
demo = true
source = "{synthetic}: star-shaped lakes in the lowlands, as in the land cover"

[registers.reservoirs]
path = "reservoirs.csv"
name_field = "name"
total_capacity_field = "total_capacity"
flood_capacity_field = "flood_capacity"
capacity_units = "万m3"
lon_field = "lon"
lat_field = "lat"
demo = true
source = "{synthetic}: reservoirs in hill valleys, capacity = area × 18 m; dams at their centres"

[tables]
# Not shipped with gepkit: the Jiangxi demo's illustrative values [D], marked synthetic.
{table_lines}

[options.flood_regulation]
lake_region = "eastern_plain"
"""


#: [inputs.*] sections: layer, path, units (None: class codes), what the layer is, extra line.
LAYER_SECTIONS: tuple[tuple[str, str, str | None, str, str], ...] = (
    (
        "landcover",
        "landcover.tif",
        None,
        "CLCD classes following the terrain",
        'crosswalk = "clcd"',
    ),
    ("dem", "dem.tif", "m", "fractal terrain with valleys, lakes and reservoirs", ""),
    ("ndvi", "ndvi.tif", "dimensionless", "annual maximum NDVI by land cover", ""),
    (
        "soil_erodibility",
        "soil_erodibility.tif",
        "t*hectare*h/(hectare*MJ*mm)",
        "RUSLE K around 0.030",
        "",
    ),
    (
        "precipitation_monthly",
        "precipitation_monthly_{year}.tif",
        "mm",
        "12 months; more rain to the south and uphill",
        "",
    ),
    (
        "temperature_monthly",
        "temperature_monthly_{year}.tif",
        "degC",
        "12 months; lapse rate 6 °C/km",
        "",
    ),
    ("actual_et", "actual_et_{year}.tif", "mm", "annual actual ET by land cover and warmth", ""),
    ("npp", "npp_{year}.tif", "gC/m^2", "annual NPP by land cover and warmth; none on water", ""),
    (
        "rainfall_erosivity",
        "rainfall_erosivity_{year}.tif",
        "MJ*mm/(hectare*h)",
        "R = 8500 (P / 1675 mm)^1.6",
        "",
    ),
    (
        "storm_precipitation",
        "storm_precipitation_{year}.tif",
        "mm",
        "rain of days ≥ 50 mm, 18–28 % of the year's",
        "",
    ),
    ("hot_days", "hot_days_{year}.tif", "day", "days with a maximum above 26 °C", ""),
)


def _layer(name: str, path: str, units: str | None, what: str, extra: str, synthetic: str) -> str:
    lines = [f"[inputs.{name}]", f'path = "rasters/{path}"']
    if extra:
        lines.append(extra)
    if units is not None:
        lines.append(f'units = "{units}"')
    lines += ["demo = true", f'source = "{synthetic}: {what}"']
    return "\n".join(lines) + "\n"


def _statistic(name: str, field: str, units: str, synthetic: str) -> str:
    return (
        f"[statistics.{name}]\n"
        f'path = "statistics.csv"\n'
        f'value_field = "{field}"\n'
        f'units = "{units}"\n'
        "demo = true\n"
        f'source = "{synthetic}: from the synthetic land cover of each county"\n'
    )
