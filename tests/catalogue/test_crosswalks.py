"""Shipped land-cover crosswalks (catalogue/data/crosswalks, docs/landcover.md) and user ones.

The files are checked independently of gepkit (csv module): every target is a code of the
national classification, no source code is repeated, every row is sourced, tagged and
explained.  Then each product is written in its own encoding (data type, no-data value, CRS)
over the synthetic region of conftest.py, run through the account for two land-cover-only items
(pest control, water conservation), and the ecosystem extent and quantities are checked by hand
against the codes written.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import ET_MM, PRECIP_MM, select_items, write_quadrant_raster

from gepkit.catalogue.book import ECOSYSTEM_TABLES
from gepkit.catalogue.landcover import (
    schemes_fitting,
    shipped_crosswalk_names,
    shipped_crosswalks,
)
from gepkit.catalogue.tables import (
    CONFIDENCE_TAGS,
    Crosswalk,
    EcosystemClasses,
    EcosystemTable,
    shipped_table,
)
from gepkit.config import load_config
from gepkit.errors import InputError, TableError
from gepkit.pipeline import run
from gepkit.plan import prepare

DATA = Path(__file__).resolve().parents[2] / "src" / "gepkit" / "catalogue" / "data"
SCHEMES = ["clcd", "esa_worldcover", "gbt21010", "globeland30", "modis_igbp"]
MODIS_SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / "crosswalks" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _class_codes() -> set[int]:
    with (DATA / "ecosystem_classes.csv").open(encoding="utf-8", newline="") as handle:
        return {int(r["code"]) for r in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def classes() -> EcosystemClasses:
    return EcosystemClasses.load()


# -- the files ------------------------------------------------------------------------------------


def test_the_shipped_schemes():
    assert shipped_crosswalk_names() == SCHEMES


@pytest.mark.parametrize("name", SCHEMES)
def test_crosswalk_file_is_valid(name, classes):
    """Targets in ecosystem_classes.csv, no repeated source code, every row sourced and tagged
    and with its rationale; level-2 (or 511/512) targets only, so that items find table rows."""
    rows = _rows(name)
    assert list(rows[0]) == [
        "source_code",
        "source_name",
        "ecosystem_code",
        "confidence",
        "source",
        "note",
    ]
    known = _class_codes()
    codes = [int(r["source_code"]) for r in rows]
    assert len(codes) == len(set(codes)), name
    for r in rows:
        where = f"{name}: {r['source_code']}"
        assert r["source_name"].strip(), where
        assert r["source"].strip(), where
        assert r["note"].strip(), where
        assert r["confidence"] in CONFIDENCE_TAGS, where
        assert r["confidence"] in ("V", "K"), where
        if r["ecosystem_code"] == "nodata":
            continue
        target = int(r["ecosystem_code"])
        assert target in known, where
        assert classes.classes[target].level >= 2, where
        # Every mapped row cites the classification (or HJ 1173 for the paddy/dry split).
        assert "HJ 1172—2021" in r["source"] or "HJ 1173—2021" in r["source"], where
    crosswalk = Crosswalk.load(name, classes)
    assert crosswalk.warnings == ()
    assert dict(crosswalk.mapping) == {
        int(r["source_code"]): int(r["ecosystem_code"])
        for r in rows
        if r["ecosystem_code"] != "nodata"
    }


def test_scheme_listing():
    """shipped_crosswalks(): product, codes and no-data convention of every scheme."""
    schemes = {s.name: s for s in shipped_crosswalks()}
    assert sorted(schemes) == SCHEMES
    assert schemes["clcd"].codes == tuple(range(1, 10))
    assert schemes["clcd"].nodata == (0,)
    assert schemes["esa_worldcover"].codes == (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100)
    assert schemes["esa_worldcover"].nodata == (0,)
    assert schemes["globeland30"].codes == (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    assert schemes["globeland30"].nodata == (0, 255)
    assert schemes["modis_igbp"].codes == tuple(range(18))  # water 0 (MCD12C1) and 17 (MCD12Q1)
    assert schemes["modis_igbp"].nodata == (255,)
    assert schemes["gbt21010"].nodata == ()  # the file's own nodata value
    gbt = schemes["gbt21010"].codes
    assert set(range(1, 13)) <= set(gbt)  # level 1: 01 … 12
    assert all(c <= 12 or 101 <= c <= 1207 for c in gbt)  # level 2: 0101 … 1207 as integers
    for scheme in schemes.values():
        assert scheme.product
        assert scheme.resolution
        assert scheme.years
        assert scheme.encoding
        assert scheme.source
        assert scheme.path.is_file()
        described = json.loads(json.dumps(scheme.describe()))
        assert described["name"] == scheme.name
        assert set(described["judgement_calls"]) <= set(described["codes"])


def _table(name: str, classes: EcosystemClasses) -> EcosystemTable:
    return EcosystemTable.load(
        name, shipped_table(f"{name}.csv"), list(ECOSYSTEM_TABLES[name].columns), classes
    )


@pytest.mark.parametrize("name", SCHEMES)
def test_shipped_tables_cover_every_target(name, classes):
    """With each scheme, the shipped tables have a row for every target code inside the default
    scope of the items that read them (a run does not stop on a missing row)."""
    from gepkit.items.air_purification import AirPurificationOptions
    from gepkit.items.sand_fixation import SandFixationOptions
    from gepkit.items.soil_retention import SoilRetentionOptions
    from gepkit.items.water_conservation import WaterConservationOptions

    uses = {
        "runoff_coefficients": WaterConservationOptions().ecosystems,
        "rusle_c_factor": SoilRetentionOptions().ecosystems,
        "rweq_vegetation_coefficient": SandFixationOptions().ecosystems,
        "air_capacity_so2": AirPurificationOptions().ecosystems,
        "air_capacity_dust": AirPurificationOptions().ecosystems,
    }
    targets = set(Crosswalk.load(name, classes).mapping.values())
    for table_name, scope in uses.items():
        needed = {c for c in targets if classes.within(c, scope)}
        assert _table(table_name, classes).missing(needed) == [], (name, table_name)


@pytest.mark.parametrize(
    ("name", "code", "target", "tag"),
    [
        ("clcd", 1, 51, "V"),  # cropland: HJ 1172's class for unsplit cropland
        ("clcd", 2, 13, "K"),  # forest of unknown leaf type → mixed
        ("clcd", 3, 21, "K"),
        ("clcd", 4, 33, "K"),
        ("clcd", 5, 42, "K"),
        ("clcd", 7, 82, "K"),
        ("clcd", 8, 61, "K"),  # impervious → residential
        ("clcd", 9, 41, "K"),  # wetland → marsh
        ("esa_worldcover", 10, 13, "K"),
        ("esa_worldcover", 90, 41, "V"),
        ("esa_worldcover", 95, 41, "K"),  # mangroves → marsh
        ("esa_worldcover", 100, 34, "K"),  # moss and lichen → sparse grassland
        ("globeland30", 10, 51, "K"),  # includes gardens
        ("globeland30", 70, 34, "K"),  # tundra
        ("globeland30", 100, 81, "V"),
        ("modis_igbp", 0, 42, "K"),
        ("modis_igbp", 17, 42, "K"),
        ("gbt21010", 101, 511, "V"),  # 0101 水田
        ("gbt21010", 102, 512, "K"),  # 0102 水浇地
        ("gbt21010", 103, 512, "V"),  # 0103 旱地
        ("gbt21010", 301, 13, "K"),  # 0301 乔木林地
        ("gbt21010", 810, 62, "V"),  # 0810 公园与绿地
        ("gbt21010", 1101, 43, "V"),  # 1101 河流水面
        ("gbt21010", 1103, 42, "V"),  # 1103 水库水面
        ("gbt21010", 1108, 41, "V"),  # 1108 沼泽地
        ("gbt21010", 1110, 81, "V"),  # 1110 冰川及永久积雪
        ("gbt21010", 1205, 72, "K"),  # 1205 沙地 (includes deserts)
    ],
)
def test_mappings_and_their_tags(name, code, target, tag, classes):
    row = Crosswalk.load(name, classes).rows[code]
    assert (row.ecosystem_code, row.confidence) == (target, tag)


# -- user crosswalks, InVEST style ----------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_invest_style_crosswalk(tmp_path, classes):
    """InVEST's column names (any case), codes written with leading zeros or as floats, extra
    columns ignored, and a fill value."""
    path = _write(
        tmp_path,
        "biophysical.csv",
        "LULC_desc,LUCODE,root_depth,Kc,ecosystem_code\n"
        "forest,1,5000,1.0,11\n"
        "paddy,0101,500,1.05,511\n"
        "grass,2.0,2000,0.65,33\n"
        "no data,255,,,nodata\n",
    )
    crosswalk = Crosswalk.load(str(path), classes)
    assert dict(crosswalk.mapping) == {1: 11, 101: 511, 2: 33}
    assert crosswalk.nodata == {255}
    assert crosswalk.source_names[101] == "paddy"
    minimal = _write(tmp_path, "minimal.csv", "lucode,ecosystem_code\n1,11\n2,33\n")
    assert dict(Crosswalk.load(str(minimal), classes).mapping) == {1: 11, 2: 33}


def test_crosswalk_problems_are_reported_together(tmp_path, classes):
    path = _write(
        tmp_path,
        "bad.csv",
        "lucode,ecosystem_code,confidence\n"
        "05H1,61,K\n"  # letters: not a raster code
        "2,,V\n"  # no target
        "3,11,maybe\n"  # unknown tag
        "4,999,V\n",  # not in the classification
    )
    with pytest.raises(TableError) as err:
        Crosswalk.load(str(path), classes)
    text = str(err.value)
    assert len(err.value.problems) == 4, text
    assert "'05H1' is not an integer" in text
    assert "三调 05H1" in text  # the hint says how to recode
    assert "source code 2 has no ecosystem code" in text
    assert "confidence 'maybe'" in text
    assert "maps to 999" in text
    missing = _write(tmp_path, "missing.csv", "code,class\n1,11\n")
    with pytest.raises(TableError) as err:
        Crosswalk.load(str(missing), classes)
    assert "'source_code' (or InVEST's 'lucode')" in str(err.value)
    assert "ecosystem_code" in str(err.value)


def test_level_one_target_loads_with_a_warning(tmp_path, classes):
    """A level-1 target (1, forest) is legal but falls outside level-2 scopes: warned."""
    path = _write(tmp_path, "coarse.csv", "source_code,ecosystem_code\n1,1\n2,33\n")
    crosswalk = Crosswalk.load(str(path), classes)
    assert crosswalk.mapping[1] == 1
    (warning,) = crosswalk.warnings
    assert "1 → 1 (Forest)" in warning.message
    assert "air purification" in warning.message
    # what the warning is about: level-2 scopes do not contain the level-1 code
    assert not classes.within(1, (11, 12, 13, 21, 22))
    assert classes.within(1, (1, 2, 3))


def test_schemes_fitting():
    assert schemes_fitting([10, 30, 95]) == ["esa_worldcover"]
    assert schemes_fitting([10, 30]) == ["esa_worldcover", "globeland30"]
    assert schemes_fitting([1, 2, 9]) == ["clcd", "gbt21010", "modis_igbp"]
    assert schemes_fitting([101, 1207]) == ["gbt21010"]
    assert schemes_fitting([101, 1207], exclude="gbt21010") == []
    assert schemes_fitting([4242]) == []


# -- end to end: each product in its own encoding over the synthetic region ----------------------

#: Land-cover codes per quadrant (rows north to south, columns west to east; counties: 990101
#: north-west, 990102 north-east, 990201 south-west, 990202 south-east) and, by hand, the
#: ecosystem extent (km²; each quadrant is 4 km², −1: no land-cover data) each county gets.
CASES = {
    # CLCD, uint8, 0 = no data, EPSG:4326 at ~30 m (0.00027°)
    "clcd": dict(
        crs="EPSG:4326",
        dtype="uint8",
        nodata=0,
        pixel=0.00027,
        codes=[[2, 2, 4, 3], [2, 1, 4, 4], [1, 8, 5, 9], [6, 7, 5, 5]],
        extent={
            "990101": {13: 12, 51: 4},
            "990102": {33: 12, 21: 4},
            "990201": {51: 4, 61: 4, 81: 4, 82: 4},
            "990202": {42: 12, 41: 4},
        },
    ),
    # WorldCover, uint8, 0 = no data (outside the region), EPSG:4326 at 1/12000° (10 m).  No
    # quadrant without data here: GDAL's mode resampling skips the file's nodata pixels, so a
    # 1 km cell whose footprint touches any valid pixel takes that pixel's class
    "esa_worldcover": dict(
        crs="EPSG:4326",
        dtype="uint8",
        nodata=0,
        pixel=1 / 12000,
        codes=[[10, 10, 30, 20], [95, 100, 30, 60], [40, 50, 80, 90], [40, 70, 80, 80]],
        extent={
            "990101": {13: 8, 41: 4, 34: 4},
            "990102": {33: 8, 21: 4, 82: 4},
            "990201": {51: 8, 61: 4, 81: 4},
            "990202": {42: 12, 41: 4},
        },
    ),
    # GlobeLand30, uint8 in WGS84 / UTM 50N at 30 m; the file declares 255, and the quadrant of
    # background 0 is no data through the crosswalk (ecosystem_code = nodata)
    "globeland30": dict(
        crs="EPSG:32650",
        dtype="uint8",
        nodata=255,
        pixel=30.0,
        codes=[[20, 20, 30, 40], [20, 10, 70, 30], [10, 10, 60, 50], [80, 90, 100, 0]],
        extent={
            "990101": {13: 12, 51: 4},
            "990102": {33: 8, 21: 4, 34: 4},
            "990201": {51: 8, 61: 4, 82: 4},
            "990202": {42: 4, 41: 4, 81: 4, -1: 4},
        },
    ),
    # MCD12Q1 LC_Type1, uint8 in the MODIS sinusoidal projection at 463.3 m (nearest-neighbour
    # resampling onto the 1 km grid); water is 17, 255 the fill value
    "modis_igbp": dict(
        crs=MODIS_SINUSOIDAL,
        dtype="uint8",
        nodata=255,
        pixel=463.312716525,
        codes=[[1, 2, 10, 7], [5, 8, 9, 6], [12, 14, 17, 11], [13, 16, 15, 255]],
        extent={
            "990101": {12: 4, 11: 4, 13: 8},
            "990102": {33: 4, 23: 4, 14: 4, 21: 4},
            "990201": {51: 8, 61: 4, 82: 4},
            "990202": {42: 4, 41: 4, 81: 4, -1: 4},
        },
    ),
    # Rasterised 三调, int16 with -32768 as nodata, CGCS2000 3° Gauss-Krüger zone 38
    # (EPSG:4526) at 30 m; 0301 乔木林地 is written 301
    "gbt21010": dict(
        crs="EPSG:4526",
        dtype="int16",
        nodata=-32768,
        pixel=30.0,
        codes=[
            [301, 302, 401, 404],
            [305, 307, 402, 1106],
            [101, 103, 1101, 1102],
            [201, 701, 1103, 1204],
        ],
        extent={
            "990101": {13: 4, 11: 4, 21: 4, 14: 4},
            "990102": {33: 8, 41: 8},
            "990201": {511: 4, 512: 4, 52: 4, 61: 4},
            "990202": {43: 4, 42: 8, 73: 4},
        },
    ),
    # the same at level 1 only (01 耕地 written 1 …), uint16 with 65535 as nodata
    "gbt21010_level1": dict(
        crosswalk="gbt21010",
        crs="EPSG:4526",
        dtype="uint16",
        nodata=65535,
        pixel=30.0,
        codes=[[3, 3, 4, 4], [3, 2, 4, 12], [1, 1, 11, 11], [7, 10, 11, 6]],
        extent={
            "990101": {13: 12, 52: 4},
            "990102": {33: 12, 82: 4},
            "990201": {51: 8, 61: 4, 63: 4},
            "990202": {42: 12, 63: 4},
        },
    ),
}

COUNTIES = ("990101", "990102", "990201", "990202")
PARENTS = {"990100": ("990101", "990102"), "990200": ("990201", "990202")}


def _runoff_fractions() -> dict[int, float]:
    with (DATA / "runoff_coefficients.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["unit"] for r in rows} == {"percent"}
    return {int(r["ecosystem_code"]): float(r["value"]) / 100 for r in rows}


def _by_hand(extent: dict[int, int]) -> tuple[float, float]:
    """Pest control (hm² of forest 11–14 and grassland 31–34) and water conservation (m³:
    forest, shrub, grassland, wetland and orchards; (P − αP − ET) · 1 km² per cell)."""
    alpha = _runoff_fractions()
    pest = sum(100.0 * km2 for code, km2 in extent.items() if code // 10 in (1, 3))
    water = sum(
        (PRECIP_MM - alpha[code] * PRECIP_MM - ET_MM) * 1e-3 * 1e6 * km2
        for code, km2 in extent.items()
        if code // 10 in (1, 2, 3, 4) or code == 52
    )
    return pest, water


def _configure(region, case: dict, folder_crosswalk: str | None = None) -> Path:
    config = region(crosswalk=folder_crosswalk or case.get("crosswalk", ""))
    select_items(config, ["pest_control", "water_conservation"])
    write_quadrant_raster(
        config.parent / "landcover.tif",
        case["codes"],
        crs=case["crs"],
        dtype=case["dtype"],
        nodata=case["nodata"],
        pixel=case["pixel"],
    )
    return config


@pytest.mark.parametrize("case_id", list(CASES))
def test_account_with_each_product(case_id, region, tmp_path):
    """extent.csv, pest control and water conservation as computed by hand from the codes."""
    case = CASES[case_id]
    config = _configure(region, case, case.get("crosswalk", case_id))
    result = run(load_config(config), tmp_path / "out")
    out = result.out_dir

    extent = pd.read_csv(out / "extent.csv", dtype={"unit_code": str})
    got = {
        code: {
            int(r.ecosystem_code): pytest.approx(float(r.area_km2))
            for r in extent[extent["unit_code"] == code].itertuples()
        }
        for code in COUNTIES
    }
    assert got == case["extent"]
    province = extent[extent["unit_code"] == "990000"]
    assert province["area_km2"].sum() == pytest.approx(64.0)

    accounts = pd.read_csv(out / "accounts.csv", dtype={"unit_code": str})
    accounts = accounts[accounts["price_basis"] == "current"]

    def quantity(unit: str, item: str) -> float:
        row = accounts[(accounts["unit_code"] == unit) & (accounts["item"] == item)]
        assert len(row) == 1, (unit, item)
        return float(row["quantity"].iloc[0])

    for code in COUNTIES:
        pest, water = _by_hand(case["extent"][code])
        assert quantity(code, "pest_control") == pytest.approx(pest, rel=1e-9, abs=1e-9)
        assert quantity(code, "water_conservation") == pytest.approx(water, rel=1e-6, abs=1e-6)
    for parent, children in PARENTS.items():
        for item in ("pest_control", "water_conservation"):
            assert quantity(parent, item) == pytest.approx(
                sum(quantity(c, item) for c in children), rel=1e-12
            )

    manifest = result.manifest
    crosswalk = manifest["inputs"]["crosswalk"]
    assert crosswalk["name"] == case.get("crosswalk", case_id)
    flagged = " ".join(e["what"] for e in manifest["to_be_confirmed"])
    present = {c for row in case["codes"] for c in row}
    rows = Crosswalk.load(crosswalk["name"], EcosystemClasses.load()).rows
    for code in present:
        row = rows.get(code)
        if row is not None and row.confidence == "K" and row.ecosystem_code is not None:
            assert f"land-cover code {code} (" in flagged, code


def test_user_crosswalk_with_invest_columns(region, tmp_path):
    """An InVEST biophysical table with an ecosystem_code column added serves as crosswalk."""
    case = dict(
        crs="EPSG:32650",
        dtype="int32",
        nodata=-9999,
        pixel=100.0,
        codes=[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 5]],
    )
    config = _configure(region, case, "invest_biophysical.csv")
    (config.parent / "invest_biophysical.csv").write_text(
        "lucode,LULC_desc,root_depth,Kc,ecosystem_code\n"
        "1,evergreen broadleaf,5000,1.0,11\n"
        "2,grassland,2000,0.65,33\n"
        "3,dry cropland,2000,0.65,512\n"
        "4,reservoir,1,1.0,42\n"
        "5,cloud,,,nodata\n",
        encoding="utf-8",
    )
    result = run(load_config(config), tmp_path / "out")
    extent = pd.read_csv(result.out_dir / "extent.csv", dtype={"unit_code": str})
    province = extent[extent["unit_code"] == "990000"].set_index("ecosystem_code")["area_km2"]
    assert province.to_dict() == pytest.approx({11: 16.0, 33: 16.0, 512: 16.0, 42: 12.0, -1: 4.0})
    assert result.manifest["inputs"]["crosswalk"]["nodata_codes"] == [5]
    # 4 km² of 64 without land cover is reported as a warning, not an error
    assert any("no land-cover class" in str(w) for w in result.warnings)


def _validation_problems(config: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    return [str(p) for p in err.value.problems]


def test_wrong_scheme_names_the_codes(region):
    """WorldCover codes read with the CLCD crosswalk: one error naming every code with its pixel
    count, and a hint at the shipped schemes the codes fit."""
    case = CASES["esa_worldcover"]
    config = _configure(region, case, "clcd")
    problems = [p for p in _validation_problems(config) if "crosswalk" in p]
    assert len(problems) == 1, problems
    (problem,) = problems
    assert "clcd.csv" in problem
    # 1 km cells per code: 8 for 10, 30 and 40, 12 for 80, 4 for the others
    for code, cells in {10: 8, 20: 4, 30: 8, 40: 8, 50: 4, 60: 4, 70: 4, 80: 12, 90: 4}.items():
        assert f"{code} ({cells} px)" in problem, (code, problem)
    assert "95 (4 px)" in problem
    assert "100 (4 px)" in problem
    assert "fit the shipped crosswalk(s) esa_worldcover" in problem
    assert "globeland30" not in problem  # 95 (mangroves) is WorldCover's alone


def test_unrecoded_survey_codes_are_listed_in_one_error(region):
    """三调 classes left with a code the crosswalk does not know (here 2050 and 9999, and 0 used
    as background inside the region): one error with every code and its pixel count."""
    case = dict(CASES["gbt21010"])
    case["codes"] = [
        [301, 302, 401, 404],
        [305, 9999, 402, 1106],
        [101, 103, 1101, 0],
        [201, 2050, 1103, 1204],
    ]
    config = _configure(region, case, "gbt21010")
    problems = [p for p in _validation_problems(config) if "crosswalk" in p]
    assert len(problems) == 1, problems
    assert "0 (4 px), 2050 (4 px), 9999 (4 px)" in problems[0]
    assert "fit the shipped" not in problems[0]  # no shipped scheme knows them all


def test_missing_crosswalk_names_the_shipped_ones(region):
    problems = " ".join(_validation_problems(region(crosswalk="")))
    assert "needs a crosswalk" in problems
    for name in SCHEMES:
        assert f"'{name}'" in problems
