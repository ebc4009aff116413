"""Shipped parameter, price and ecosystem tables and their validation (gepkit.catalogue)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from gepkit import units as u
from gepkit.catalogue.book import ECOSYSTEM_TABLES
from gepkit.catalogue.tables import (
    CONFIDENCE_TAGS,
    Crosswalk,
    EcosystemClasses,
    EcosystemTable,
    Record,
    RecordTable,
    shipped_table,
)
from gepkit.errors import TableError, UnitError

DATA = Path(__file__).resolve().parents[1] / "src" / "gepkit" / "catalogue" / "data"
TABLES_WITH_PROVENANCE = [
    "ecosystem_classes.csv",
    "parameters.csv",
    "prices.csv",
    "runoff_coefficients.csv",
    "rusle_c_factor.csv",
]


def _rows(name: str) -> list[dict[str, str]]:
    """The rows of a shipped CSV, read with the csv module (independently of gepkit)."""
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def classes() -> EcosystemClasses:
    return EcosystemClasses.load()


@pytest.fixture(scope="module")
def prices() -> RecordTable:
    return RecordTable.load(shipped_table("prices.csv"), "price")


@pytest.fixture(scope="module")
def parameters() -> RecordTable:
    return RecordTable.load(shipped_table("parameters.csv"), "parameter")


# -- every shipped table loads --------------------------------------------------------------------


def test_shipped_tables_are_the_files_in_the_package():
    """shipped_table points at src/gepkit/catalogue/data (the files checked below)."""
    assert shipped_table("prices.csv").resolve() == (DATA / "prices.csv").resolve()


def test_ecosystem_classes_load(classes):
    """Every row of the classification is loaded, with its level and parent."""
    rows = _rows("ecosystem_classes.csv")
    assert len(classes.classes) == len(rows)
    assert classes.classes[11].parent == 1
    assert classes.classes[511].level == 3
    assert classes.level1(512) == 5
    assert classes.name(42, "zh") == "湖泊"
    for row in rows:
        parent = row["parent"]
        if parent:
            assert int(parent) in classes  # parents exist
            assert classes.classes[int(parent)].level == int(row["level"]) - 1


@pytest.mark.parametrize("name", sorted(n for n, info in ECOSYSTEM_TABLES.items() if info.shipped))
def test_ecosystem_tables_load(classes, name):
    """Each shipped per-ecosystem table of ECOSYSTEM_TABLES loads with one row per code."""
    columns = list(ECOSYSTEM_TABLES[name].columns)
    table = EcosystemTable.load(name, shipped_table(f"{name}.csv"), columns, classes)
    assert table.codes == {int(r["ecosystem_code"]) for r in _rows(f"{name}.csv")}
    assert len(table.frame) == len(_rows(f"{name}.csv"))


@pytest.mark.parametrize(
    ("name", "kind"), [("parameters.csv", "parameter"), ("prices.csv", "price")]
)
def test_record_tables_load(name, kind):
    """parameters.csv and prices.csv load; every row becomes one record."""
    table = RecordTable.load(shipped_table(name), kind)
    rows = _rows(name)
    assert len(table.records) == len(rows)
    assert table.keys() == {r[kind] for r in rows}
    assert all(record.kind == kind for record in table.records.values())


@pytest.mark.parametrize("name", TABLES_WITH_PROVENANCE)
def test_every_row_has_source_and_confidence(name):
    """No shipped row without a source, and every confidence tag is a known one."""
    rows = _rows(name)
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert row["confidence"].strip() in CONFIDENCE_TAGS, row


@pytest.mark.parametrize(
    ("name", "key"), [("parameters.csv", "parameter"), ("prices.csv", "price")]
)
def test_every_key_has_exactly_one_default(name, key):
    """Counted from the CSV: each key has exactly one row with default = yes."""
    rows = _rows(name)
    defaults = Counter(r[key] for r in rows if r["default"].strip().lower() == "yes")
    assert set(defaults) == {r[key] for r in rows}
    assert set(defaults.values()) == {1}


def test_loaded_defaults_match_the_csv(parameters, prices):
    """RecordTable.defaults is the variant marked 'yes' in the file."""
    for table, name, key in (
        (parameters, "parameters.csv", "parameter"),
        (prices, "prices.csv", "price"),
    ):
        expected = {r[key]: r["variant"] for r in _rows(name) if r["default"] == "yes"}
        assert table.defaults == expected


def test_every_price_is_money_per_something(prices):
    """Each price unit is 'CNY/<unit>': times one <unit> it is an amount of CNY."""
    registry = u.registry()
    for record in prices.records.values():
        assert record.unit.startswith("CNY/"), record
        denominator = record.unit.split("/", 1)[1]
        amount = registry.Quantity(1.0, u.parse(record.unit)) * registry.Quantity(
            1.0, u.parse(denominator)
        )
        assert amount.to("CNY").magnitude == pytest.approx(1.0), record
        assert u.convertible(record.unit, f"CNY/{denominator}")
        assert not u.convertible(record.unit, "CNY")


def test_parameter_units_are_understood(parameters):
    """Every parameter unit parses (dimensionless, percent, t/m^3, m …)."""
    for record in parameters.records.values():
        u.parse(record.unit)
    assert parameters.select("soil_nitrogen_content").value_in("dimensionless") == pytest.approx(
        0.0037
    )


# -- crosswalk and coverage of the default scopes -----------------------------------------------


def test_modis_igbp_crosswalk_covers_all_classes(classes):
    """IGBP codes 0–17 are all mapped (water: 0 in MCD12C1, 17 in MCD12Q1 C6), only to codes of
    the classification; 255 is the fill value."""
    crosswalk = Crosswalk.load("modis_igbp", classes)
    assert set(crosswalk.mapping) == set(range(18))
    assert all(code in classes for code in crosswalk.mapping.values())
    assert crosswalk.mapping[0] == crosswalk.mapping[17] == 42  # water → lake
    assert crosswalk.nodata == {255}
    assert crosswalk.source_names[15] == "Permanent snow and ice"
    expected = {
        int(r["source_code"]): int(r["ecosystem_code"])
        for r in _rows("crosswalks/modis_igbp.csv")
        if r["ecosystem_code"] != "nodata"
    }
    assert dict(crosswalk.mapping) == expected


def _scope_codes(classes: EcosystemClasses, scope) -> set[int]:
    """Codes below level 1 (what land cover is mapped to) inside ``scope``."""
    return {
        code
        for code, cls_ in classes.classes.items()
        if cls_.level >= 2 and classes.within(code, scope)
    }


def test_runoff_coefficients_cover_the_water_conservation_scope(classes):
    """Every level-2 code under forest, shrub, grassland, wetland, and orchards (52)."""
    from gepkit.items.water_conservation import WaterConservationOptions

    scope = WaterConservationOptions().ecosystems
    assert set(scope) == {1, 2, 3, 4, 52}
    wanted = {c for c in _scope_codes(classes, scope) if classes.classes[c].level == 2}
    assert {11, 12, 13, 14, 21, 22, 23, 31, 32, 33, 34, 41, 42, 43, 52} == wanted
    table = EcosystemTable.load(
        "runoff_coefficients",
        shipped_table("runoff_coefficients.csv"),
        list(ECOSYSTEM_TABLES["runoff_coefficients"].columns),
        classes,
    )
    assert table.missing(wanted) == []
    # Values are percentages between 0 and 100, converted to fractions on request.
    alpha = table.column("value", units="dimensionless")
    assert alpha[11] == pytest.approx(0.0465)
    assert all(0.0 <= alpha[c] <= 1.0 for c in wanted)


def test_c_factor_table_covers_the_soil_retention_scope(classes):
    """Every code of the soil-retention default scope in the classification, except glacier."""
    from gepkit.items.soil_retention import SoilRetentionOptions

    scope = SoilRetentionOptions().ecosystems
    wanted = _scope_codes(classes, scope) - {81}
    assert {11, 21, 31, 41, 51, 511, 512, 52, 61, 71, 82} <= wanted
    assert not wanted & {42, 43}  # open water is out of scope
    table = EcosystemTable.load(
        "rusle_c_factor",
        shipped_table("rusle_c_factor.csv"),
        list(ECOSYSTEM_TABLES["rusle_c_factor"].columns),
        classes,
    )
    assert table.missing(wanted) == []


# -- look-ups ---------------------------------------------------------------------------------


def test_select_default_named_and_unknown_variant(prices):
    """select(): the default, a named variant, and TableError listing variants otherwise."""
    rows = [r for r in _rows("prices.csv") if r["price"] == "carbon_price"]
    default = next(r for r in rows if r["default"] == "yes")
    record = prices.select("carbon_price")
    assert record.variant == default["variant"]
    assert record.value == pytest.approx(float(default["value"]))
    garze = prices.select("carbon_price", "garze2010")
    assert (garze.value, garze.unit, garze.year) == (380.0, "CNY/tCO2", 2010)
    assert garze.source.startswith("Pema Dolkar")
    with pytest.raises(TableError) as err:
        prices.select("carbon_price", "no_such_variant")
    text = str(err.value)
    assert "no_such_variant" in text
    for row in rows:
        assert row["variant"] in text
    with pytest.raises(TableError, match="no price 'gold_price'"):
        prices.select("gold_price")


def test_value_in_converts_carbon_to_co2(prices):
    """1200 CNY/tC = 1200 × 12/44 CNY/tCO2 (a tonne of CO₂ holds 12/44 t of carbon)."""
    record = prices.select("carbon_price", "lyt1721_carbon_tax")
    assert record.unit == "CNY/tC"
    assert record.value_in("CNY/tCO2") == pytest.approx(1200 * 12 / 44)
    made_up = Record(
        kind="price",
        key="x",
        variant="y",
        value=44.0,
        unit="CNY/tC",
        year=None,
        source="test",
        confidence="D",
    )
    assert made_up.value_in("CNY/tCO2") == pytest.approx(12.0)
    assert made_up.value_in("CNY/kgC") == pytest.approx(0.044)
    assert made_up.flagged


def test_value_in_refuses_carbon_to_plain_tonnes():
    """A price per tonne of carbon cannot be applied to tonnes of soil."""
    record = Record("price", "x", "y", 1.0, "CNY/tC", None, "test", "V")
    with pytest.raises(UnitError, match="cannot convert"):
        record.value_in("CNY/t")


# -- bad tables -----------------------------------------------------------------------------------

PARAM_HEADER = "parameter,variant,value,unit,year,source,confidence,default,note\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_record_table_reports_all_problems_at_once(tmp_path):
    """Bad tag, duplicated key/variant, two defaults, non-numeric value, no default: 5 problems."""
    path = _write(
        tmp_path,
        "parameters.csv",
        PARAM_HEADER
        + "a,x,1,m,2020,src,V,yes,\n"
        + "a,x,2,m,2020,src,V,no,\n"  # a/x twice
        + "b,x,1,m,2020,src,V,yes,\n"
        + "b,y,2,m,2020,src,V,yes,\n"  # b has two defaults
        + "c,x,lots,m,2020,src,V,yes,\n"  # not a number
        + "d,x,1,m,2020,src,Q,yes,\n"  # unknown confidence tag
        + "e,x,1,m,2020,src,V,no,\n",  # e has no default
    )
    with pytest.raises(TableError) as err:
        RecordTable.load(path, "parameter")
    problems = err.value.problems
    messages = [p.message for p in problems]
    assert len(problems) == 5, messages
    assert any(p.field == "confidence" and "'Q'" in p.message for p in problems)
    assert any("line 3" in m and "a/x appears twice" in m for m in messages)
    assert any("b has more than one default" in m for m in messages)
    assert any("line 6" in m and "'lots' is not a number" in m for m in messages)
    assert any("e has no default" in m for m in messages)
    assert all(p.where == str(path) for p in problems)


def test_record_table_missing_columns(tmp_path):
    """Missing required columns are listed, one problem each."""
    path = _write(tmp_path, "prices.csv", "price,variant,value\nx,y,1\n")
    with pytest.raises(TableError) as err:
        RecordTable.load(path, "price")
    fields = {p.field for p in err.value.problems}
    assert fields == {"unit", "price_year", "source", "confidence", "default"}


def test_record_table_unknown_unit(tmp_path):
    """A unit pint does not know is a table problem, not a crash."""
    path = _write(
        tmp_path, "parameters.csv", PARAM_HEADER + "a,x,1,furlongs_per_zorp,,src,V,yes,\n"
    )
    with pytest.raises(TableError, match="furlongs_per_zorp"):
        RecordTable.load(path, "parameter")


def test_bad_ecosystem_table_reports_all_problems_at_once(tmp_path, classes):
    """Unknown code, non-numeric code, duplicated code and bad tag: four problems."""
    path = _write(
        tmp_path,
        "runoff.csv",
        "ecosystem_code,value,unit,source,confidence\n"
        "11,4,percent,src,V\n"
        "99,4,percent,src,V\n"
        "forest,4,percent,src,V\n"
        "12,4,percent,src,V\n"
        "12,5,percent,src,V\n"
        "13,5,percent,src,maybe\n",
    )
    with pytest.raises(TableError) as err:
        EcosystemTable.load("runoff_coefficients", path, ["value", "unit"], classes)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 4, messages
    assert any("99 is not in the ecosystem classification" in m for m in messages)
    assert any("'forest' is not an ecosystem code" in m for m in messages)
    assert any("code 12 appears twice" in m for m in messages)
    assert any("'maybe'" in m for m in messages)


def test_bad_crosswalk(tmp_path, classes):
    """A target code outside the classification and a repeated source code are both reported."""
    path = _write(
        tmp_path,
        "my_crosswalk.csv",
        "source_code,source_name,ecosystem_code\n1,a,11\n2,b,999\n1,c,12\n",
    )
    with pytest.raises(TableError) as err:
        Crosswalk.load(str(path), classes)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 2
    assert any("999" in m for m in messages)
    assert any("1 appears twice" in m for m in messages)
