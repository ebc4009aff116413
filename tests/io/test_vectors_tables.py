"""Reading the units layer, CSV tables and statistics (gepkit.io.vectors/tables/statistics)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from gepkit.config import StatisticSpec
from gepkit.errors import InputError
from gepkit.io.statistics import read_statistic
from gepkit.io.tables import read_csv, require_columns
from gepkit.io.vectors import STANDARD_COLUMNS, read_units

# -- units layer ---------------------------------------------------------------------------------


def _write_geojson(path: Path, columns: dict, geometries: list, crs="EPSG:4326") -> Path:
    gpd.GeoDataFrame(columns, geometry=geometries, crs=crs).to_file(path, driver="GeoJSON")
    return path


def _read(path: Path, **fields):
    kwargs = {
        "where": "units",
        "layer": None,
        "code_field": "code",
        "name_field": "name",
        "parent_field": "parent_code",
        "level_field": "level",
    }
    kwargs.update(fields)
    return read_units(path, **kwargs)


def test_read_units_maps_fields_to_standard_columns(tmp_path):
    """Fields with local names (DM, MC, SJDM, JB) become code, name, parent_code, level."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {
            "DM": ["360000", "360100", "360102"],
            "MC": ["江西省", " 南昌市 ", "东湖区"],
            "SJDM": ["", "360000", "360100"],
            "JB": ["province", "city", "county"],
            "OTHER": [1, 2, 3],
        },
        [box(115, 28, 116, 29), box(115, 28, 115.5, 28.5), box(115, 28, 115.2, 28.2)],
    )
    out, warns = _read(
        path, code_field="DM", name_field="MC", parent_field="SJDM", level_field="JB"
    )
    assert warns == []
    assert list(out.columns) == STANDARD_COLUMNS
    assert list(out["code"]) == ["360000", "360100", "360102"]
    assert list(out["name"]) == ["江西省", "南昌市", "东湖区"]
    assert list(out["parent_code"]) == ["", "360000", "360100"]
    assert list(out["level"]) == ["province", "city", "county"]
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[1].equals(box(115, 28, 115.5, 28.5))


def test_read_units_without_level_field_leaves_levels_empty(tmp_path):
    """The level field is optional: when absent, levels are empty strings (inferred later)."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {"code": ["360102"], "name": ["东湖区"], "parent_code": [""]},
        [box(115, 28, 116, 29)],
    )
    out, _ = _read(path, level_field="no_such_field")
    assert list(out["level"]) == [""]
    out, _ = _read(path, level_field=None)
    assert list(out["level"]) == [""]


def test_integer_codes_become_text_without_decimal(tmp_path):
    """Numeric code fields (int, and float because of a null) give '360102', not '360102.0'."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {
            "code": np.array([360000, 360100, 360102], dtype="int64"),
            "name": ["a", "b", "c"],
            "parent_code": [np.nan, 360000.0, 360100.0],  # float column because of the null
        },
        [box(115, 28, 116, 29), box(115, 28, 115.5, 28.5), box(115, 28, 115.2, 28.2)],
    )
    assert gpd.read_file(path)["parent_code"].dtype.kind == "f"  # the case under test
    out, _ = _read(path)
    assert list(out["code"]) == ["360000", "360100", "360102"]
    assert list(out["parent_code"]) == ["", "360000", "360100"]
    assert not any(".0" in c for c in [*out["code"], *out["parent_code"]])


def test_null_name_parent_and_level_become_empty_text(tmp_path):
    """Nulls in the text fields read as '' (not 'None' or 'nan')."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {
            "code": ["360000", "360100"],
            "name": [None, "南昌市"],
            "parent_code": [None, "360000"],
            "level": [None, "city"],
        },
        [box(115, 28, 116, 29), box(115, 28, 115.5, 28.5)],
    )
    out, _ = _read(path)
    assert list(out["name"]) == ["", "南昌市"]
    assert list(out["parent_code"]) == ["", "360000"]
    assert list(out["level"]) == ["", "city"]


def test_missing_fields_are_all_reported_at_once(tmp_path):
    """Three missing fields → one InputError with three problems, each naming its field."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {"DM": ["360102"], "MC": ["东湖区"]},
        [box(115, 28, 116, 29)],
    )
    with pytest.raises(InputError) as err:
        _read(path, code_field="CODE", name_field="NAME", parent_field="PARENT")
    problems = err.value.problems
    assert [p.field for p in problems] == ["CODE", "NAME", "PARENT"]
    for problem in problems:
        assert problem.where == "units"
        assert "DM" in problem.message  # lists the fields that exist
    assert "3 problems" in str(err.value)


def test_missing_file(tmp_path):
    """A units path that does not exist: InputError naming the path."""
    path = tmp_path / "absent.geojson"
    with pytest.raises(InputError, match=r"absent\.geojson"):
        _read(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_file_without_crs(tmp_path):
    """A GeoPackage saved without CRS is refused (GeoJSON always means WGS84, so GPKG here)."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame(
        {"code": ["360102"], "name": ["东湖区"], "parent_code": [""]},
        geometry=[box(0, 0, 1000, 1000)],
        crs=None,
    ).to_file(path, driver="GPKG")
    assert gpd.read_file(path).crs is None  # the case under test
    with pytest.raises(InputError) as err:
        _read(path)
    assert len(err.value.problems) == 1
    assert "coordinate reference system" in err.value.problems[0].message


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_field_and_missing_crs_reported_together(tmp_path):
    """Field and CRS problems come in one error."""
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame(
        {"code": ["360102"], "name": ["东湖区"]}, geometry=[box(0, 0, 1, 1)], crs=None
    ).to_file(path, driver="GPKG")
    with pytest.raises(InputError) as err:
        _read(path)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 2
    assert any("parent_code" in m for m in messages)
    assert any("coordinate reference system" in m for m in messages)


def test_empty_and_duplicate_codes_are_reported_together(tmp_path):
    """An empty code (feature 2) and a repeated code (360103) → two problems in one error."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {
            "code": ["360102", "", "360103", "360103"],
            "name": ["a", "b", "c", "d"],
            "parent_code": ["", "", "", ""],
        },
        [box(115 + i, 28, 115.5 + i, 28.5) for i in range(4)],
    )
    with pytest.raises(InputError) as err:
        _read(path)
    problems = err.value.problems
    assert len(problems) == 2
    assert all(p.field == "code" for p in problems)
    empty = next(p for p in problems if "no code" in p.message)
    assert "1 feature(s)" in empty.message
    assert "2" in empty.message.split("feature numbers")[1]
    duplicate = next(p for p in problems if "unique" in p.message)
    assert "360103" in duplicate.message
    assert "360102" not in duplicate.message


def test_null_code_counts_as_empty(tmp_path):
    """A null in a numeric code field is an empty code, not 'nan'."""
    path = _write_geojson(
        tmp_path / "units.geojson",
        {"code": [360102.0, np.nan], "name": ["a", "b"], "parent_code": ["", ""]},
        [box(115, 28, 116, 29), box(116, 28, 117, 29)],
    )
    with pytest.raises(InputError) as err:
        _read(path)
    assert len(err.value.problems) == 1
    assert "no code" in err.value.problems[0].message


def test_invalid_geometry_is_repaired_with_a_warning(tmp_path):
    """A bow-tie polygon becomes a valid two-triangle multipolygon; a warning names the unit."""
    bowtie = Polygon([(115, 28), (116, 29), (116, 28), (115, 29)])
    assert not bowtie.is_valid
    path = _write_geojson(
        tmp_path / "units.geojson",
        {"code": ["360102", "360103"], "name": ["a", "b"], "parent_code": ["", ""]},
        [bowtie, box(117, 28, 118, 29)],
    )
    out, warns = _read(path)
    assert len(warns) == 1
    assert warns[0].field == "geometry"
    assert "360102" in warns[0].message
    assert "360103" not in warns[0].message
    assert shapely.is_valid(out.geometry.values).all()
    repaired = out.geometry.iloc[0]
    # Two triangles with apex at the crossing point (115.5, 28.5): 2 × ½ × 1 × ½ = 0.5 deg².
    assert shapely.area(repaired) == pytest.approx(0.5)
    assert shapely.get_num_geometries(repaired) == 2
    assert out.geometry.iloc[1].equals(box(117, 28, 118, 29))


# -- CSV tables ---------------------------------------------------------------------------------

CSV_TEXT = "代码,名称 , 人口\n360102,东湖区,50.1\n360103,西湖区,48.2\n360111,青山湖区,\n"
EXPECTED_FRAME = pd.DataFrame(
    {
        "代码": [360102, 360103, 360111],
        "名称": ["东湖区", "西湖区", "青山湖区"],
        "人口": [50.1, 48.2, np.nan],
    }
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_read_csv_encodings_give_the_same_frame(tmp_path, encoding):
    """UTF-8, UTF-8 with BOM, GBK and GB18030 files read identically (BOM and spaces gone)."""
    path = tmp_path / f"table_{encoding}.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = read_csv(path)
    assert list(frame.columns) == ["代码", "名称", "人口"]
    pd.testing.assert_frame_equal(frame, EXPECTED_FRAME, check_dtype=False)


def test_read_csv_gb18030_only_characters(tmp_path):
    """Characters outside GBK (e.g. 𠀀, four bytes in GB18030) still decode."""
    path = tmp_path / "rare.csv"
    path.write_bytes("code,name\n1,𠀀村\n".encode("gb18030"))
    assert read_csv(path)["name"].tolist() == ["𠀀村"]


def test_read_csv_dtype_keeps_leading_zeros(tmp_path):
    """dtype string keeps codes as written."""
    path = tmp_path / "codes.csv"
    path.write_text("code,value\n012345,1\n", encoding="utf-8")
    assert read_csv(path, dtype={"code": "string"})["code"].tolist() == ["012345"]


def test_read_csv_undecodable_and_missing(tmp_path):
    """Bytes that are neither UTF-8 nor GB18030, and a missing file, raise InputError."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\x80\x80,1\n")
    with pytest.raises(InputError, match="neither UTF-8 nor GBK"):
        read_csv(bad)
    with pytest.raises(InputError, match="file not found"):
        read_csv(tmp_path / "missing.csv")


def test_require_columns_lists_each_missing_column():
    """One problem per missing column, naming it; none when all are present."""
    frame = pd.DataFrame({"code": [1], "value": [2]})
    assert require_columns(frame, ["code", "value"], "t.csv") == []
    problems = require_columns(frame, ["code", "year", "unit"], "t.csv")
    assert [p.field for p in problems] == ["year", "unit"]
    assert all(p.where == "t.csv" for p in problems)
    assert "'year'" in problems[0].message
    assert "code, value" in problems[0].message


# -- statistics -----------------------------------------------------------------------------------

KNOWN = {"360102", "360103", "360104"}


def _spec(path: Path, units: str, **kw) -> StatisticSpec:
    return StatisticSpec(path=str(path), units=units, **kw)


def test_population_in_wan_ren_becomes_persons(tmp_path):
    """'万人' → persons × 10⁴; codes written as 360102.0 are cleaned; year is NA without column."""
    path = tmp_path / "pop.csv"
    path.write_text("code,value\n360102,12.5\n360103.0,0.8\n", encoding="utf-8")
    out = read_statistic("population", _spec(path, "万人"), path, KNOWN)
    assert list(out.columns) == ["code", "year", "value"]
    assert list(out["code"]) == ["360102", "360103"]
    np.testing.assert_allclose(out["value"], [125_000.0, 8_000.0])
    assert out["year"].isna().all()


def test_gdp_in_yi_yuan_becomes_cny_with_years(tmp_path):
    """'亿元' → CNY × 10⁸; a code may repeat across years."""
    path = tmp_path / "gdp.csv"
    path.write_text(
        "区划代码,年份,GDP\n360102,2019,3.2\n360102,2020,3.5\n360104,2020,0.25\n", encoding="utf-8"
    )
    spec = _spec(path, "亿元", code_field="区划代码", value_field="GDP", year_field="年份")
    out = read_statistic("gdp", spec, path, KNOWN)
    assert list(out["year"]) == [2019, 2020, 2020]
    np.testing.assert_allclose(out["value"], [3.2e8, 3.5e8, 0.25e8])


def test_statistic_problems_are_all_reported_at_once(tmp_path):
    """Non-numeric value, negative value, unknown code and duplicate code → four problems."""
    path = tmp_path / "pop.csv"
    path.write_text(
        "code,value\n360102,12.5\n360103,abc\n360104,-3\n369999,4\n360102,7\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        read_statistic("population", _spec(path, "万人"), path, KNOWN)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 4, messages
    assert any("line 3" in m and "'abc' is not a number" in m for m in messages)
    assert any("line 4" in m and "negative" in m for m in messages)
    assert any("line 5" in m and "369999" in m and "not in the units file" in m for m in messages)
    assert any("repeated" in m and "360102" in m for m in messages)


def test_statistic_missing_column_and_wrong_unit_reported_together(tmp_path):
    """A missing value column and a unit that is not a population unit → two problems."""
    path = tmp_path / "pop.csv"
    path.write_text("code,people\n360102,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_statistic("population", _spec(path, "kg"), path, KNOWN)
    problems = err.value.problems
    assert len(problems) == 2
    assert any(p.field == "value" for p in problems)
    assert any(p.field == "statistics.population.units" and "'kg'" in p.message for p in problems)


def test_unknown_statistic_name(tmp_path):
    """Only statistics gepkit uses are accepted."""
    path = tmp_path / "x.csv"
    path.write_text("code,value\n360102,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a statistic gepkit uses"):
        read_statistic("rainfall", _spec(path, "mm"), path, KNOWN)


def test_gbk_statistics_file(tmp_path):
    """A GBK file with Chinese headers reads like UTF-8."""
    path = tmp_path / "pop_gbk.csv"
    path.write_bytes("代码,常住人口\n360102,1.5\n".encode("gbk"))
    spec = _spec(path, "万人", code_field="代码", value_field="常住人口")
    out = read_statistic("population", spec, path, KNOWN)
    assert out["value"].tolist() == [15_000.0]
