"""Price indices that move prices across years (gepkit.catalogue.indices; catalogue §2.16, §3.3)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from gepkit.catalogue.book import TABLE_NAMES, Catalogue
from gepkit.catalogue.indices import INDEX_UNIT, IndexRecord, PriceIndices
from gepkit.catalogue.tables import CONFIDENCE_TAGS, RecordTable, shipped_table
from gepkit.config import load_config
from gepkit.errors import InputError, TableError

DATA = Path(__file__).resolve().parents[2] / "src" / "gepkit" / "catalogue" / "data"
HEADER = "series,year,value,unit,source,confidence,note\n"


def _rows(name: str) -> list[dict[str, str]]:
    """The rows of a shipped CSV, read with the csv module (independently of gepkit)."""
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def indices() -> PriceIndices:
    return PriceIndices.load()


# -- the shipped table ----------------------------------------------------------------------------


def test_shipped_table_is_the_file_in_the_package(indices):
    assert indices.path.resolve() == (DATA / "price_indices.csv").resolve()
    assert len(indices.sha256) == 64


def test_shipped_series_and_years(indices):
    assert indices.series() == ["cpi_cn", "fai_cn", "ppi_farm_cn"]
    assert indices.years("cpi_cn") == list(range(2003, 2025))
    assert indices.years("fai_cn") == list(range(2006, 2020))
    assert indices.years("ppi_farm_cn") == list(range(2015, 2022))


def test_shipped_rows_are_cited_and_to_be_confirmed():
    rows = _rows("price_indices.csv")
    assert len(rows) == 22 + 14 + 7
    for row in rows:
        assert row["unit"] == INDEX_UNIT
        assert row["confidence"] == "K"
        assert "National Bureau of Statistics" in row["source"]
        assert row["note"]


def test_shipped_values_are_the_yearly_changes_plus_100(indices):
    """Spot checks of the brief's yearly changes: CPI 2009 −0.7 %, FAI 2008 +8.9 %, PPI 2020."""
    assert indices.rows[("cpi_cn", 2009)].value == pytest.approx(99.3)
    assert indices.rows[("cpi_cn", 2024)].value == pytest.approx(100.2)
    assert indices.rows[("fai_cn", 2008)].value == pytest.approx(108.9)
    assert indices.rows[("fai_cn", 2016)].value == pytest.approx(99.4)
    assert indices.rows[("ppi_farm_cn", 2020)].value == pytest.approx(115.0)


# -- arithmetic -----------------------------------------------------------------------------------


def test_factor_chains_yearly_indices(indices):
    """A 2010 price brought to 2012 rises with the CPI of 2011 (+5.4 %) and 2012 (+2.6 %)."""
    assert indices.factor("cpi_cn", 2010, 2012) == pytest.approx(1.054 * 1.026)
    assert indices.factor("cpi_cn", 2010, 2011) == pytest.approx(1.054)
    # reservoir cost of 2005 (LY/T 1721) in 2010 prices: FAI 2006–2010
    assert indices.factor("fai_cn", 2005, 2010) == pytest.approx(
        1.015 * 1.039 * 1.089 * 0.976 * 1.036
    )


def test_factor_of_a_year_to_itself_is_one(indices):
    assert indices.factor("cpi_cn", 2015, 2015) == 1.0
    # needs no yearly value: also outside the covered years
    assert indices.factor("fai_cn", 2030, 2030) == 1.0
    assert indices.records("fai_cn", 2030, 2030) == []


def test_inverse_factor(indices):
    """Bringing a 2012 price back to 2010 divides by the same chain."""
    forward = indices.factor("cpi_cn", 2010, 2012)
    backward = indices.factor("cpi_cn", 2012, 2010)
    assert backward == pytest.approx(1 / (1.054 * 1.026))
    assert forward * backward == pytest.approx(1.0)


def test_factors_compose(indices):
    a = indices.factor("cpi_cn", 2005, 2014)
    b = indices.factor("cpi_cn", 2014, 2024)
    assert a * b == pytest.approx(indices.factor("cpi_cn", 2005, 2024))


def test_level_is_the_product_of_yearly_indices(indices):
    """Level 1 in the year before the first value; factor = ratio of levels."""
    assert indices.level("cpi_cn", 2002) == 1.0
    assert indices.level("cpi_cn", 2005) == pytest.approx(1.012 * 1.039 * 1.018)
    assert indices.level("cpi_cn", 2007) == pytest.approx(1.012 * 1.039 * 1.018 * 1.015 * 1.048)
    expected = math.prod(r.value / 100 for (s, _), r in indices.rows.items() if s == "cpi_cn")
    assert indices.level("cpi_cn", 2024) == pytest.approx(expected)
    for a, b in ((2008, 2019), (2019, 2008), (2010, 2010)):
        assert indices.factor("cpi_cn", a, b) == pytest.approx(
            indices.level("cpi_cn", b) / indices.level("cpi_cn", a)
        )


def test_records_are_the_rows_used(indices):
    used = indices.records("cpi_cn", 2012, 2010)
    assert [r.year for r in used] == [2011, 2012]
    assert all(isinstance(r, IndexRecord) and r.series == "cpi_cn" for r in used)
    assert all(r.confidence == "K" and r.flagged for r in used)
    described = used[0].describe()
    assert described["year"] == 2011
    assert described["value"] == pytest.approx(105.4)
    assert described["confidence"] == "K"
    assert described["source"]


# -- missing years and series ---------------------------------------------------------------------


def test_missing_year_error_names_series_years_and_fix(indices):
    """FAI stops in 2019: a 2010 reservoir cost cannot be brought to 2023 with it."""
    with pytest.raises(InputError) as err:
        indices.factor("fai_cn", 2010, 2023)
    text = str(err.value)
    assert "fai_cn" in text
    assert "2006–2019" in text  # the years covered
    assert "2020–2023" in text  # the years missing
    assert "[tables] price_indices" in text
    assert "series, year, value, unit, source, confidence, note" in text
    assert len(err.value.problems) == 1


def test_missing_year_before_the_series(indices):
    """A 2001 price brought to 2010 needs 2002 (CPI starts 2003), not 2001 itself; the 2003
    sewage charges (N, P removal) can be moved: 2004–2010 are there."""
    with pytest.raises(TableError) as err:
        indices.factor("cpi_cn", 2001, 2010)
    text = str(err.value)
    assert "missing: 2002" in text
    assert "2001" not in text.split("missing:")[1].split("\n")[0]
    with pytest.raises(TableError, match="missing: 2002"):
        indices.factor("cpi_cn", 2010, 2001)  # the same years, backwards
    assert indices.factor("cpi_cn", 2003, 2010) > 1


def test_gap_inside_a_series_is_reported(tmp_path):
    path = _write(
        tmp_path,
        "gappy.csv",
        HEADER
        + "x,2010,102,prev_year=100,s,V,\n"
        + "x,2011,103,prev_year=100,s,V,\n"
        + "x,2014,101,prev_year=100,s,V,\n",
    )
    table = PriceIndices.load(path)
    assert table.factor("x", 2009, 2011) == pytest.approx(1.02 * 1.03)
    with pytest.raises(TableError) as err:
        table.factor("x", 2010, 2014)
    text = str(err.value)
    assert "2010–2011, 2014" in text  # covered
    assert "missing: 2012–2013" in text


def test_unknown_series(indices):
    with pytest.raises(TableError) as err:
        indices.factor("cpi", 2010, 2012)
    text = str(err.value)
    assert "'cpi'" in text
    assert "cpi_cn, fai_cn, ppi_farm_cn" in text
    assert "[tables] price_indices" in text


# -- validation -----------------------------------------------------------------------------------


def test_bad_table_reports_all_problems_at_once(tmp_path):
    path = _write(
        tmp_path,
        "indices.csv",
        HEADER
        + "a,2010,102,prev_year=100,s,K,\n"  # line 2: fine
        + "a,2010,103,prev_year=100,s,K,\n"  # line 3: duplicate of line 2
        + "a,2011,-101,prev_year=100,s,K,\n"  # line 4: negative
        + "a,2012,0,prev_year=100,s,K,\n"  # line 5: zero
        + "a,2013,abc,prev_year=100,s,K,\n"  # line 6: not a number
        + "a,20x4,101,prev_year=100,s,K,\n"  # line 7: bad year
        + "a,2015,101,prev_year=100,s,Q,\n"  # line 8: unknown confidence
        + "a,2016,101,2010=100,s,K,\n"  # line 9: another index base
        + ",2017,101,prev_year=100,s,K,\n",  # line 10: no series
    )
    with pytest.raises(TableError) as err:
        PriceIndices.load(path)
    problems = err.value.problems
    assert all(p.where == str(path) for p in problems)
    messages = [p.message for p in problems]
    assert len(problems) == 8, messages
    expected = {
        "line 3": "appears twice",
        "line 4": "positive number",
        "line 5": "positive number",
        "line 6": "positive number",
        "line 7": "whole year",
        "line 8": "confidence 'Q'",
        "line 9": "'2010=100'",
        "line 10": "empty series",
    }
    for line, fragment in expected.items():
        assert any(m.startswith(f"{line}:") and fragment in m for m in messages), (line, messages)
    assert "also on line 2" in next(m for m in messages if "twice" in m)
    assert any(
        p.field == "confidence" and ", ".join(CONFIDENCE_TAGS) in str(p.hint) for p in problems
    )


def test_missing_columns_are_reported_together(tmp_path):
    path = _write(tmp_path, "indices.csv", "series,year,value\ncpi_cn,2020,102.5\n")
    with pytest.raises(TableError) as err:
        PriceIndices.load(path)
    assert {p.field for p in err.value.problems} == {"unit", "source", "confidence"}
    assert all(p.where == str(path) for p in err.value.problems)


def test_note_column_is_optional(tmp_path):
    path = _write(
        tmp_path,
        "indices.csv",
        "series,year,value,unit,source,confidence\ncpi_cn,2020,102.5,prev_year=100,own,V\n",
    )
    table = PriceIndices.load(path)
    assert table.factor("cpi_cn", 2019, 2020) == pytest.approx(1.025)
    assert table.rows[("cpi_cn", 2020)].note == ""


# -- the price book names its indices -------------------------------------------------------------


def test_every_price_names_a_shipped_series(indices):
    rows = _rows("prices.csv")
    assert all(row["index"] in indices.series() for row in rows), {r["index"] for r in rows}
    by_price = {row["price"]: row["index"] for row in rows}
    assert by_price["reservoir_storage_cost"] == "fai_cn"
    assert by_price["dredging_cost"] == "fai_cn"
    for price in ("electricity_price", "carbon_price", "oxygen_price", "so2_removal_cost"):
        assert by_price[price] == "cpi_cn"


def test_price_records_carry_their_index():
    prices = RecordTable.load(shipped_table("prices.csv"), "price")
    assert prices.select("dredging_cost").index == "fai_cn"
    assert prices.select("cod_removal_cost", "jiangxi_tax2018").index == "cpi_cn"
    assert all(r.index for r in prices.records.values())
    parameters = RecordTable.load(shipped_table("parameters.csv"), "parameter")
    assert not any(r.index for r in parameters.records.values())


def test_old_price_table_without_index_column_still_loads(tmp_path):
    path = _write(
        tmp_path,
        "prices.csv",
        "price,variant,value,unit,price_year,source,confidence,default\n"
        "water_price,local,2.6,CNY/m^3,2010,county bulletin,V,yes\n",
    )
    record = RecordTable.load(path, "price").select("water_price")
    assert record.index == ""
    assert record.value == 2.6
    assert record.describe()["index"] == ""


# -- the catalogue --------------------------------------------------------------------------------


def _config(tmp_path: Path, tables: str = "") -> Path:
    return _write(
        tmp_path,
        "gep.toml",
        '[region]\nname = "测试"\ncode = "990000"\n\n'
        "[run]\nyears = [2020]\n\n"
        '[units]\npath = "units.gpkg"\n\n' + (f"[tables]\n{tables}\n" if tables else ""),
    )


def test_catalogue_loads_the_shipped_indices(tmp_path):
    assert "price_indices" in TABLE_NAMES
    book = Catalogue.load(load_config(_config(tmp_path)))
    assert isinstance(book.indices, PriceIndices)
    assert book.indices.path.resolve() == (DATA / "price_indices.csv").resolve()
    described = book.describe()["price_indices"]
    assert described == {"path": str(book.indices.path), "sha256": book.indices.sha256}
    assert book.price("reservoir_storage_cost").index == "fai_cn"


def test_catalogue_uses_the_configured_indices(tmp_path):
    _write(
        tmp_path,
        "my_indices.csv",
        HEADER
        + "fai_cn,2020,101.0,prev_year=100,provincial yearbook,V,\n"
        + "fai_cn,2021,104.0,prev_year=100,provincial yearbook,V,\n",
    )
    config = load_config(_config(tmp_path, 'price_indices = "my_indices.csv"'))
    book = Catalogue.load(config)
    assert book.indices.path == tmp_path / "my_indices.csv"
    assert book.indices.series() == ["fai_cn"]
    assert book.indices.factor("fai_cn", 2019, 2021) == pytest.approx(1.01 * 1.04)
    assert book.describe()["price_indices"]["path"] == str(tmp_path / "my_indices.csv")


def test_catalogue_reports_a_bad_configured_index_table_with_other_problems(tmp_path):
    _write(tmp_path, "my_indices.csv", HEADER + "fai_cn,2020,-1,prev_year=100,s,V,\n")
    config = load_config(
        _config(tmp_path, 'price_indices = "my_indices.csv"\nprices = "missing.csv"')
    )
    with pytest.raises(TableError) as err:
        Catalogue.load(config)
    text = str(err.value)
    assert "my_indices.csv" in text
    assert "line 2" in text
    assert "missing.csv" in text  # reported in the same error


def test_catalogue_accepts_an_old_price_table(tmp_path):
    old = pd.read_csv(DATA / "prices.csv", dtype=str, keep_default_na=False)
    assert "index" in old.columns
    old.drop(columns=["index"]).to_csv(tmp_path / "old_prices.csv", index=False)
    book = Catalogue.load(load_config(_config(tmp_path, 'prices = "old_prices.csv"')))
    assert book.price("dredging_cost").index == ""
    assert book.price("dredging_cost").value == pytest.approx(15.58)
