"""Current and constant prices, real growth, GEP–GDP dual growth and the imports deduction,
end to end on the synthetic region of conftest.py (items reported per unit, years 2020–2021).

Expected numbers are worked out by hand from the statistics written here, the shipped prices
(water tariffs 2.6 / 3.6 / 0.07 CNY/m³ and hydropower 0.53 CNY/kWh, all of 2010, moving with the
CPI; output values have no price year and move with the farm producer price index) and the
yearly values of the shipped price-index table (previous year = 100), copied below.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import WORKBOOK_LINES, accounts_wide, build_region, select_items, write_statistics

from gepkit.config import load_config
from gepkit.errors import InputError
from gepkit.pipeline import RunResult, run
from gepkit.plan import prepare

WAN = 1e4  # 万
LEAVES = ("990101", "990102", "990201", "990202")
CITY_OF = {"990101": "990100", "990102": "990100", "990201": "990200", "990202": "990200"}

#: src/gepkit/catalogue/data/price_indices.csv, series cpi_cn and ppi_farm_cn (previous year = 100).
CPI = {
    2011: 105.4,
    2012: 102.6,
    2013: 102.6,
    2014: 102.0,
    2015: 101.4,
    2016: 102.0,
    2017: 101.6,
    2018: 102.1,
    2019: 102.9,
    2020: 102.5,
    2021: 100.9,
}
PPI_FARM = {2016: 103.4, 2017: 96.5, 2018: 99.1, 2019: 114.5, 2020: 115.0, 2021: 97.8}


def chain(series: dict[int, float], first: int, last: int) -> float:
    """Factor moving a price of year ``first`` to year ``last`` (Π of the yearly indices / 100)."""
    if last < first:
        return 1.0 / chain(series, last, first)
    return math.prod(series[y] / 100.0 for y in range(first + 1, last + 1))


CPI_2010_2020 = chain(CPI, 2010, 2020)  # ≈ 1.2807
CPI_2010_2021 = chain(CPI, 2010, 2021)
TARIFF = {"domestic": 2.6, "industrial": 3.6, "agricultural": 0.07}
HYDRO = 0.53

ITEMS = [
    "agricultural_products",
    "water_supply",
    "ecological_energy",
    "recreation",
    "landscape_value",
]

# -- statistics ------------------------------------------------------------------------------------

FARM = {  # agricultural output, 万元
    2020: {"990101": 10000, "990102": 2000, "990201": 3000, "990202": 4000},
    2021: {"990101": 11000, "990102": 2000, "990201": 2900, "990202": 4000},
}
WATER = {  # m³ used by county, the same every year (rows without a year)
    "990101": {"domestic": 100 * WAN, "industrial": 50 * WAN, "agricultural": 300 * WAN},
    "990102": {"domestic": 80 * WAN, "industrial": 20 * WAN, "agricultural": 200 * WAN},
    "990201": {"domestic": 120 * WAN, "industrial": 60 * WAN, "agricultural": 900 * WAN},
    "990202": {"domestic": 90 * WAN, "industrial": 30 * WAN, "agricultural": 100 * WAN},
}
HYDRO_KWH = {2020: 5000 * WAN, 2021: 6000 * WAN}  # 990202 only
# 990101's visitors: 20 万 at 1.5 days × 200 + 600 CNY (2020); 22 万 at 1.5 × 210 + 620 (2021).
VISITS = {2020: 20 * WAN, 2021: 22 * WAN}
TRAVEL_COST = {2020: 20 * WAN * (1.5 * 200 + 600), 2021: 22 * WAN * (1.5 * 210 + 620)}
FLOOR_AREA = {"990101": 1e4, "990102": 2e4, "990201": 3e4, "990202": 4e4}
PREMIUM = {2020: 150.0, 2021: 160.0}  # reported for the province, CNY/m²

SHEETS = {
    "farm_output": "code,year,农业总产值 agriculture_output (万元)\n"
    + "".join(f"{c},{y},{v}\n" for y, by in FARM.items() for c, v in by.items()),
    "water_supply": """
        code,year,domestic_water (万m3),industrial_water (万m3),agricultural_water (万m3)
        990101,,100,50,300
        990102,,80,20,200
        990201,,120,60,900
        990202,,90,30,100
        """,
    "hydropower": "code,year,hydropower (万kWh)\n990202,2020,5000\n990202,2021,6000\n",
    "tourism_origins": """
        code,year,origin,visits (万人次),travel_days (day),daily_wage (元),spending_per_visit (元)
        990101,2020,省内,20,1.5,200,600
        990101,2021,省内,22,1.5,210,620
        """,
    "housing": """
        code,year,benefiting_floor_area (m^2),premium (元/m^2)
        990101,,10000,
        990102,,20000,
        990201,,30000,
        990202,,40000,
        990000,2020,,150
        990000,2021,,160
        """,
    # real growth in percent; 990201 reports its GDP but no growth
    "gdp": """
        code,year,地区生产总值 gdp (万元),地区生产总值实际增长率 gdp_real_growth (percent)
        990101,2021,55000,5.0
        990102,2021,30000,-1.0
        990201,2021,20000,
        """,
}


def water_value(code: str, factor: float = 1.0) -> float:
    return sum(WATER[code][use] * TARIFF[use] * factor for use in TARIFF)


def expected(
    year: int, *, current: dict[str, float], constant: dict[str, float]
) -> dict[str, dict[str, tuple[float, float]]]:
    """(value, value_constant) per item and county for ``year``.

    ``current["cpi_cn"]``: factor of the 2010 tariffs at current prices; ``constant``: factor of
    the 2010 tariffs (``cpi_2010``) and of the values of the accounting year (output value:
    ``ppi_farm_cn``; travel cost and housing premium: ``cpi_cn``) at constant prices."""
    out: dict[str, dict[str, tuple[float, float]]] = {item: {} for item in ITEMS}
    for code in LEAVES:
        farm = FARM[year][code] * WAN
        out["agricultural_products"][code] = (farm, farm * constant["ppi_farm_cn"])
        out["water_supply"][code] = (
            water_value(code, current["cpi_cn"]),
            water_value(code, constant["cpi_2010"]),
        )
        kwh = HYDRO_KWH[year] if code == "990202" else 0.0
        out["ecological_energy"][code] = (
            kwh * HYDRO * current["cpi_cn"],
            kwh * HYDRO * constant["cpi_2010"],
        )
        travel = TRAVEL_COST[year] if code == "990101" else 0.0
        out["recreation"][code] = (travel, travel * constant["cpi_cn"])
        landscape = FLOOR_AREA[code] * PREMIUM[year]
        out["landscape_value"][code] = (landscape, landscape * constant["cpi_cn"])
    return out


def rolled_up(per_county: dict[str, float]) -> dict[str, float]:
    out = dict(per_county)
    for city in ("990100", "990200"):
        out[city] = sum(v for c, v in per_county.items() if CITY_OF[c] == city)
    out["990000"] = sum(per_county.values())
    return out


# -- helpers ---------------------------------------------------------------------------------------


def _read(out: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(out / f"{name}.csv", dtype={"unit_code": str, "parent_code": str})
    return accounts_wide(frame) if name == "accounts" else frame


def _row(frame: pd.DataFrame, **keys: Any) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column] == value
    rows = frame[mask]
    assert len(rows) == 1, f"{keys}: {len(rows)} rows"
    return rows.iloc[0]


def _build(
    folder: Path, *, valuation: str = "", years: tuple[int, ...] = (2020, 2021), extra: str = ""
) -> Path:
    config = build_region(
        folder,
        years=years,
        extra=WORKBOOK_LINES + ("[valuation]\n" + valuation if valuation else "") + extra,
    )
    select_items(config, ITEMS)
    write_statistics(config, SHEETS)
    return config


def _check_accounts(
    accounts: pd.DataFrame, year: int, by_item: dict[str, dict[str, tuple[float, float]]]
) -> None:
    for item, per_county in by_item.items():
        current = rolled_up({c: v for c, (v, _) in per_county.items()})
        constant = rolled_up({c: v for c, (_, v) in per_county.items()})
        for code in current:
            row = _row(accounts, year=year, unit_code=code, item=item)
            assert row["value"] == pytest.approx(current[code], rel=1e-9, abs=1e-6), (item, code)
            assert row["value_constant"] == pytest.approx(constant[code], rel=1e-9, abs=1e-6), (
                item,
                code,
            )


# -- runs shared by several tests -------------------------------------------------------------------


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> RunResult:
    """2020–2021, prices indexed, constant prices of 2020 (the first year)."""
    folder = tmp_path_factory.mktemp("indexed")
    config = _build(folder / "region", valuation='price_indexing = "indexed"\n')
    return run(load_config(config), folder / "out")


@pytest.fixture(scope="module")
def as_recorded(tmp_path_factory) -> RunResult:
    """2020–2021, prices as recorded (the default), constant prices of 2020; an imports sheet,
    not deducted (the default)."""
    folder = tmp_path_factory.mktemp("as_recorded")
    config = _build(folder / "region")
    write_statistics(config, {"imports": IMPORTS})
    return run(load_config(config), folder / "out")


# -- price factors ---------------------------------------------------------------------------------


def test_single_year_as_recorded_constant_equals_current(tmp_path):
    config = _build(tmp_path / "region", years=(2020,))
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    assert set(accounts["constant_prices_of"]) == {2020}
    np.testing.assert_allclose(accounts["value_constant"], accounts["value"], rtol=1e-12)
    components = _read(result.out_dir, "components")
    assert (components["price_factor"] == 1.0).all()
    assert (components["price_factor_constant"] == 1.0).all()
    domestic = _row(components, unit_code="990101", component="domestic_water")
    assert domestic["unit_price"] == pytest.approx(2.6)
    assert domestic["value"] == pytest.approx(100 * WAN * 2.6)
    summary = _read(result.out_dir, "summary")
    np.testing.assert_allclose(summary["gep_constant"], summary["gep"], rtol=1e-12)
    assert "real_gep_growth" not in summary.columns
    assert not (result.out_dir / "change.csv").exists()


def test_single_year_indexed_moves_the_2010_tariffs_to_2020(tmp_path):
    """2.6 CNY/m³ of 2010 → 2.6 · Π_{2011..2020} cpi/100 in 2020, on both bases."""
    config = _build(tmp_path / "region", years=(2020,), valuation='price_indexing = "indexed"\n')
    result = run(load_config(config), tmp_path / "out")
    factor = CPI_2010_2020
    assert factor == pytest.approx(1.2806558, rel=1e-6)
    accounts = _read(result.out_dir, "accounts")
    _check_accounts(
        accounts,
        2020,
        expected(
            2020,
            current={"cpi_cn": factor},
            constant={"cpi_2010": factor, "cpi_cn": 1.0, "ppi_farm_cn": 1.0},
        ),
    )
    components = _read(result.out_dir, "components")
    for use, tariff in TARIFF.items():
        row = _row(components, unit_code="990101", component=f"{use}_water")
        assert row["price_as_recorded"] == pytest.approx(tariff)
        assert row["price_year"] == 2010
        assert row["price_factor"] == pytest.approx(factor)
        assert row["price_factor_constant"] == pytest.approx(factor)
        assert row["unit_price"] == pytest.approx(tariff * factor)
        assert row["value"] == pytest.approx(WATER["990101"][use] * tariff * factor)
    hydro = _row(components, unit_code="990202", component="hydropower")
    assert hydro["value"] == pytest.approx(5e7 * 0.53 * factor)
    farm = _row(components, unit_code="990101", component="output_value")
    assert farm["price_factor"] == farm["price_factor_constant"] == 1.0
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    valuation = manifest["valuation"]
    assert valuation["price_indexing"] == "indexed"
    assert valuation["base_year"] == 2020
    used = {(r["series"], r["year"]) for r in valuation["index_rows_used"]}
    assert {("cpi_cn", y) for y in range(2011, 2021)} <= used


def test_indexed_two_years(indexed):
    """2021 at current prices: tariffs × Π_{2011..2021}; at 2020 prices: × Π_{2011..2020}.
    Values of the accounting year (output value, travel cost, premium) are current as reported
    and deflated to 2020: output value ÷ ppi_farm 2021 (97.8), the others ÷ cpi 2021 (100.9)."""
    accounts = _read(indexed.out_dir, "accounts")
    assert set(accounts["constant_prices_of"]) == {2020}
    _check_accounts(
        accounts,
        2020,
        expected(
            2020,
            current={"cpi_cn": CPI_2010_2020},
            constant={"cpi_2010": CPI_2010_2020, "cpi_cn": 1.0, "ppi_farm_cn": 1.0},
        ),
    )
    _check_accounts(
        accounts,
        2021,
        expected(
            2021,
            current={"cpi_cn": CPI_2010_2021},
            constant={"cpi_2010": CPI_2010_2020, "cpi_cn": 100 / 100.9, "ppi_farm_cn": 100 / 97.8},
        ),
    )
    # spelled out
    farm = _row(accounts, year=2021, unit_code="990101", item="agricultural_products")
    assert farm["value"] == pytest.approx(1.1e8)
    assert farm["value_constant"] == pytest.approx(1.1e8 / 0.978)
    water = _row(accounts, year=2021, unit_code="990101", item="water_supply")
    assert water["value"] == pytest.approx((1e6 * 2.6 + 5e5 * 3.6 + 3e6 * 0.07) * CPI_2010_2021)
    assert water["value_constant"] == pytest.approx(
        (1e6 * 2.6 + 5e5 * 3.6 + 3e6 * 0.07) * CPI_2010_2020
    )
    components = _read(indexed.out_dir, "components")
    travel = _row(components, year=2021, unit_code="990101", component="travel_cost")
    assert travel["price_factor"] == 1.0
    assert travel["price_factor_constant"] == pytest.approx(1 / 1.009)
    assert travel["unit_price"] == pytest.approx(1.5 * 210 + 620)
    assert travel["value_constant"] == pytest.approx(TRAVEL_COST[2021] / 1.009)
    output = _row(components, year=2021, unit_code="990101", component="output_value")
    assert output["price_factor_constant"] == pytest.approx(1 / 0.978)


def test_as_recorded_two_years(as_recorded):
    """Price records are the prices of every year: 2.6 CNY/m³ in 2020 and 2021 on both bases;
    values of the accounting year are still deflated to 2020."""
    accounts = _read(as_recorded.out_dir, "accounts")
    for year in (2020, 2021):
        deflate = {2020: 1.0, 2021: 100 / 100.9}[year]
        deflate_farm = {2020: 1.0, 2021: 100 / 97.8}[year]
        _check_accounts(
            accounts,
            year,
            expected(
                year,
                current={"cpi_cn": 1.0},
                constant={"cpi_2010": 1.0, "cpi_cn": deflate, "ppi_farm_cn": deflate_farm},
            ),
        )
    components = _read(as_recorded.out_dir, "components")
    tariffs = components[components["component"].str.endswith("_water")]
    assert (tariffs["price_factor"] == 1.0).all()
    assert (tariffs["price_factor_constant"] == 1.0).all()


def test_base_year_other_than_the_first(tmp_path):
    """Constant prices of 2021: the 2020 output value inflated by ppi_farm 2021, the 2010
    tariffs of 2020 valued at their 2021 level."""
    config = _build(tmp_path / "region", valuation='price_indexing = "indexed"\nbase_year = 2021\n')
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    assert set(accounts["constant_prices_of"]) == {2021}
    _check_accounts(
        accounts,
        2020,
        expected(
            2020,
            current={"cpi_cn": CPI_2010_2020},
            constant={"cpi_2010": CPI_2010_2021, "cpi_cn": 1.009, "ppi_farm_cn": 0.978},
        ),
    )
    _check_accounts(
        accounts,
        2021,
        expected(
            2021,
            current={"cpi_cn": CPI_2010_2021},
            constant={"cpi_2010": CPI_2010_2021, "cpi_cn": 1.0, "ppi_farm_cn": 1.0},
        ),
    )
    summary = _read(result.out_dir, "summary")
    assert set(summary["constant_prices_of"]) == {2021}


def test_base_year_before_the_run_deflates_output_values(tmp_path):
    """A 2020 output value at constant 2015 prices: ÷ Π_{2016..2020} ppi_farm/100."""
    config = _build(tmp_path / "region", years=(2020,), valuation="base_year = 2015\n")
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    deflator = 1.034 * 0.965 * 0.991 * 1.145 * 1.150
    assert chain(PPI_FARM, 2015, 2020) == pytest.approx(deflator)
    farm = _row(accounts, year=2020, unit_code="990101", item="agricultural_products")
    assert farm["value"] == pytest.approx(1e8)
    assert farm["value_constant"] == pytest.approx(1e8 / deflator)
    # as recorded: the 2010 tariff is also the price of 2015
    water = _row(accounts, year=2020, unit_code="990101", item="water_supply")
    assert water["value_constant"] == pytest.approx(water["value"])
    travel = _row(accounts, year=2020, unit_code="990101", item="recreation")
    assert travel["value_constant"] == pytest.approx(TRAVEL_COST[2020] / chain(CPI, 2015, 2020))
    assert set(accounts["constant_prices_of"]) == {2015}


def test_index_overrides(tmp_path):
    """[valuation] indices: the output value moves with the CPI, the travel cost (a per-unit price,
    named by its component) with the farm price index; here 2020 values at 2021 prices."""
    config = _build(
        tmp_path / "region",
        years=(2020,),
        valuation='base_year = 2021\nindices = { output_value = "cpi_cn", travel_cost = "ppi_farm_cn" }\n',
    )
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    farm = _row(accounts, year=2020, unit_code="990101", item="agricultural_products")
    assert farm["value_constant"] == pytest.approx(1e8 * 1.009)
    travel = _row(accounts, year=2020, unit_code="990101", item="recreation")
    assert travel["value_constant"] == pytest.approx(TRAVEL_COST[2020] * 0.978)
    landscape = _row(accounts, year=2020, unit_code="990101", item="landscape_value")
    assert landscape["value_constant"] == pytest.approx(1e4 * 150 * 1.009)  # not overridden
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["valuation"]["index_overrides"] == {
        "output_value": "cpi_cn",
        "travel_cost": "ppi_farm_cn",
    }


def test_config_price_needs_an_index_to_be_moved(tmp_path):
    """A [prices] value with a price year has no index: under "indexed" the run asks for one."""
    price = (
        '\n[prices]\nwater_tariff_domestic = { value = 3.0, unit = "CNY/m^3", '
        'source = "local tariff", year = 2019 }\n'
    )
    config = _build(
        tmp_path / "region",
        years=(2020,),
        valuation='price_indexing = "indexed"\n',
        extra=price,
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    messages = [" ".join(str(p).split()) for p in err.value.problems]
    assert len(messages) == 1
    assert "water_tariff_domestic/config" in messages[0]
    assert "has no price index" in messages[0]
    assert "indices.water_tariff_domestic" in messages[0]

    text = config.read_text(encoding="utf-8").replace(
        'price_indexing = "indexed"\n',
        'price_indexing = "indexed"\nindices = { water_tariff_domestic = "cpi_cn" }\n',
    )
    config.write_text(text, encoding="utf-8")
    result = run(load_config(config), tmp_path / "out")
    components = _read(result.out_dir, "components")
    domestic = _row(components, unit_code="990101", component="domestic_water")
    assert domestic["unit_price"] == pytest.approx(3.0 * 1.025)  # 2019 → 2020
    assert domestic["value"] == pytest.approx(100 * WAN * 3.0 * 1.025)


def test_missing_index_year_is_reported_before_computing(tmp_path):
    """An index table without the 2021 CPI: `prepare` (gep validate) reports it, with every other
    price that needs a missing year, before any computation; nothing is written."""
    shipped = pd.read_csv(
        Path(__file__).parents[1] / "src/gepkit/catalogue/data/price_indices.csv", dtype=str
    )
    keep = ~((shipped["series"] == "cpi_cn") & (shipped["year"].astype(int) >= 2021))
    keep &= ~((shipped["series"] == "ppi_farm_cn") & (shipped["year"].astype(int) >= 2021))
    config = _build(
        tmp_path / "region",
        valuation='price_indexing = "indexed"\n',
        extra='\n[tables]\nprice_indices = "indices.csv"\n',
    )
    shipped[keep].to_csv(config.parent / "indices.csv", index=False)
    with pytest.raises(InputError) as err:
        run(load_config(config), tmp_path / "out")
    messages = [" ".join(str(p).split()) for p in err.value.problems]
    cpi = [m for m in messages if "'cpi_cn'" in m]
    assert cpi
    assert all("missing: 2021" in m for m in cpi)
    assert any("'ppi_farm_cn'" in m and "missing: 2021" in m for m in messages)
    assert len(messages) == len(set(messages))  # prices needing the same years: reported once
    assert not (tmp_path / "out").exists()


# -- real growth, dual growth and the change table --------------------------------------------------


def _constant_gep(accounts: pd.DataFrame, year: int, code: str) -> float:
    rows = accounts[(accounts["year"] == year) & (accounts["unit_code"] == code)]
    return float(rows["value_constant"].sum())


def test_real_growth_and_dual_growth(indexed):
    summary = _read(indexed.out_dir, "summary")
    first = summary[summary["year"] == 2020].set_index("unit_code")
    second = summary[summary["year"] == 2021].set_index("unit_code")
    assert first["real_gep_growth"].isna().all()  # no previous year in the run
    assert (second["previous_year"] == 2020).all()

    # GEP at constant 2020 prices by hand, per county and year
    by_year = {
        2020: expected(
            2020,
            current={"cpi_cn": CPI_2010_2020},
            constant={"cpi_2010": CPI_2010_2020, "cpi_cn": 1.0, "ppi_farm_cn": 1.0},
        ),
        2021: expected(
            2021,
            current={"cpi_cn": CPI_2010_2021},
            constant={"cpi_2010": CPI_2010_2020, "cpi_cn": 1 / 1.009, "ppi_farm_cn": 1 / 0.978},
        ),
    }
    gep_constant = {
        year: rolled_up({c: sum(by_year[year][item][c][1] for item in ITEMS) for c in LEAVES})
        for year in by_year
    }
    for code in gep_constant[2021]:
        assert first.at[code, "gep_constant"] == pytest.approx(gep_constant[2020][code])
        assert second.at[code, "gep_constant"] == pytest.approx(gep_constant[2021][code])
        assert second.at[code, "real_gep_growth"] == pytest.approx(
            gep_constant[2021][code] / gep_constant[2020][code] - 1
        )
    # 990101: farm output +10 % in value, +12.5 % in volume; more visits: real growth > 0
    assert second.at["990101", "real_gep_growth"] > 0
    # 990201: farm output 3,000 → 2,900 万元 is a real change of 2,900/0.978 − 3,000 万元; the
    # housing premium 150 → 160 CNY/m² one of 30,000 m² × (160/1.009 − 150); water is unchanged
    change = (2900 / 0.978 - 3000) * WAN + 3e4 * (160 / 1.009 - 150)
    assert second.at["990201", "real_gep_growth"] == pytest.approx(
        change / gep_constant[2020]["990201"]
    )
    assert second.at["990201", "real_gep_growth"] < 0

    # GDP growth in percent → a fraction; dual growth where both grow; unknown without GDP growth
    assert second.at["990101", "gdp_real_growth"] == pytest.approx(0.05)
    assert second.at["990102", "gdp_real_growth"] == pytest.approx(-0.01)
    assert math.isnan(second.at["990201", "gdp_real_growth"])
    assert second.at["990101", "dual_growth"] == True  # noqa: E712 - read back from CSV
    assert second.at["990102", "dual_growth"] == False  # noqa: E712
    assert pd.isna(second.at["990201", "dual_growth"])
    assert pd.isna(second.at["990000", "dual_growth"])
    assert first["dual_growth"].isna().all()
    # GDP: given for 990101 in 2021; a city is the sum of its counties when all are given
    assert second.at["990101", "gdp"] == pytest.approx(5.5e8)
    assert second.at["990100", "gdp"] == pytest.approx(8.5e8)
    assert second.at["990101", "gep_gdp_ratio"] == pytest.approx(second.at["990101", "gep"] / 5.5e8)
    assert math.isnan(second.at["990200", "gdp"])  # 990202 reports no GDP


def test_change_table(indexed):
    change = _read(indexed.out_dir, "change")
    accounts = _read(indexed.out_dir, "accounts")
    assert set(zip(change["from_year"], change["to_year"], strict=True)) == {(2020, 2021)}

    farm = _row(change, unit_code="990101", item="agricultural_products")
    assert farm["quantity_from"] == pytest.approx(1e8)
    assert farm["quantity_to"] == pytest.approx(1.1e8)
    assert farm["quantity_change"] == pytest.approx(0.1)
    assert farm["value_constant_from"] == pytest.approx(1e8)
    assert farm["value_constant_to"] == pytest.approx(1.1e8 / 0.978)
    assert farm["real_growth"] == pytest.approx(1.1 / 0.978 - 1)
    assert farm["nominal_growth"] == pytest.approx(0.1)

    water = _row(change, unit_code="990101", item="water_supply")
    assert water["quantity_change"] == pytest.approx(0.0)  # the same volumes every year
    assert water["quantity_unit"] == "m^3"
    assert water["real_growth"] == pytest.approx(0.0, abs=1e-12)
    assert water["nominal_growth"] == pytest.approx(0.009)  # cpi 2021 = 100.9

    hydro = _row(change, unit_code="990000", item="ecological_energy")
    assert hydro["quantity_change"] == pytest.approx(0.2)  # 5,000 → 6,000 万kWh
    assert hydro["real_growth"] == pytest.approx(0.2)
    assert hydro["nominal_growth"] == pytest.approx(1.2 * 1.009 - 1)

    travel = _row(change, unit_code="990101", item="recreation")
    assert travel["quantity_change"] == pytest.approx(0.1)  # 20 → 22 万 visits
    assert travel["real_growth"] == pytest.approx(TRAVEL_COST[2021] / 1.009 / TRAVEL_COST[2020] - 1)

    # no quantity in a county in either year: growth undefined, not infinite
    empty = _row(change, unit_code="990102", item="ecological_energy")
    assert math.isnan(empty["quantity_change"])
    assert math.isnan(empty["real_growth"])

    for code in ("990101", "990200", "990000"):
        gep = _row(change, unit_code=code, item="GEP")
        assert isinstance(gep["quantity_unit"], float) or gep["quantity_unit"] == ""
        assert gep["value_constant_from"] == pytest.approx(_constant_gep(accounts, 2020, code))
        assert gep["value_constant_to"] == pytest.approx(_constant_gep(accounts, 2021, code))
        assert gep["real_growth"] == pytest.approx(
            _constant_gep(accounts, 2021, code) / _constant_gep(accounts, 2020, code) - 1
        )
        current = {
            y: float(
                accounts[(accounts["year"] == y) & (accounts["unit_code"] == code)]["value"].sum()
            )
            for y in (2020, 2021)
        }
        assert gep["nominal_growth"] == pytest.approx(current[2021] / current[2020] - 1)
    assert set(change["constant_prices_of"]) == {2020}


# -- imports deduction ------------------------------------------------------------------------------

IMPORTS = """
    code,year,核算项目 item,价值 value (万元)
    990101,,water_supply,100
    990100,2021,recreation,50
    990202,2021,水资源,20
    """


def test_imports_are_deducted_where_reported(tmp_path):
    """GB/T 46869: imports become negative rows of category "deduction" for the unit reporting
    them only (not rolled up to parents); GEP is net of them."""
    config = _build(tmp_path / "region", valuation="deduct_imports = true\n")
    write_statistics(config, {"imports": IMPORTS})
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    deductions = accounts[accounts["category"] == "deduction"]
    assert sorted(
        zip(deductions["year"], deductions["unit_code"], deductions["item"], strict=True)
    ) == [
        (2020, "990101", "imports:water_supply"),
        (2021, "990100", "imports:recreation"),
        (2021, "990101", "imports:water_supply"),
        (2021, "990202", "imports:water_supply"),
    ]
    row = _row(deductions, year=2021, unit_code="990101")
    assert row["value"] == pytest.approx(-100 * WAN)
    assert row["value_constant"] == pytest.approx(-100 * WAN / 1.009)  # current → 2020 by cpi
    assert math.isnan(row["quantity"])
    assert _row(deductions, year=2020, unit_code="990101")["value_constant"] == pytest.approx(-1e6)
    assert _row(deductions, year=2021, unit_code="990100")["value"] == pytest.approx(-50 * WAN)

    summary = _read(result.out_dir, "summary")
    items = accounts[accounts["category"] != "deduction"]

    def gross(year: int, code: str, column: str = "value") -> float:
        rows = items[(items["year"] == year) & (items["unit_code"] == code)]
        return float(rows[column].sum())

    deducted = {
        (2020, "990101"): 100 * WAN,
        (2021, "990101"): 100 * WAN,
        (2021, "990100"): 50 * WAN,
        (2021, "990202"): 20 * WAN,
    }
    for year in (2020, 2021):
        for code in ("990000", "990100", "990200", *LEAVES):
            line = _row(summary, year=year, unit_code=code)
            imported = deducted.get((year, code), 0.0)
            assert line["imports_deducted"] == pytest.approx(imported)
            assert line["gep"] == pytest.approx(gross(year, code) - imported)
            deflated = imported / (1.009 if year == 2021 else 1.0)
            assert line["gep_constant"] == pytest.approx(
                gross(year, code, "value_constant") - deflated
            )
    # the province deducts nothing: its counties' imports may come from one another
    province = _row(summary, year=2021, unit_code="990000")
    assert province["gep"] == pytest.approx(province["provisioning"] + province["cultural"])


def test_imports_are_ignored_unless_deducted(as_recorded):
    accounts = _read(as_recorded.out_dir, "accounts")
    assert "deduction" not in set(accounts["category"])
    summary = _read(as_recorded.out_dir, "summary")
    assert "imports_deducted" not in summary.columns


def test_config_price_carries_its_index(tmp_path):
    """A [prices] value may name its index: under "indexed" it is moved without an override; the
    ecological water tariff, which gepkit does not ship, may be given the same way."""
    price = (
        '\n[prices]\nwater_tariff_domestic = { value = 3.0, unit = "CNY/m^3", '
        'source = "local tariff", year = 2019, index = "cpi_cn" }\n'
        'water_tariff_ecological = { value = 0.5, unit = "CNY/m^3", source = "local tariff", '
        'year = 2020, index = "cpi_cn" }\n'
        '\n[options.water_supply]\nuses = ["domestic", "ecological"]\n'
    )
    config = _build(
        tmp_path / "region", years=(2020,), valuation='price_indexing = "indexed"\n', extra=price
    )
    write_statistics(
        config,
        {
            "water_supply": """
        code,year,domestic_water (万m3),ecological_water (万m3)
        990101,,100,10
        990102,,80,0
        990201,,120,0
        990202,,90,0
        """
        },
    )
    result = run(load_config(config), tmp_path / "out")
    components = _read(result.out_dir, "components")
    domestic = _row(components, unit_code="990101", component="domestic_water")
    assert domestic["unit_price"] == pytest.approx(3.0 * 1.025)  # 2019 → 2020 by its own index
    ecological = _row(components, unit_code="990101", component="ecological_water")
    assert ecological["value"] == pytest.approx(10 * WAN * 0.5)


def test_indexing_refuses_a_price_without_a_year(tmp_path):
    """A price record whose year the source does not give cannot be moved: "indexed" stops with a
    message naming it; "as_recorded" uses it as recorded in every year."""
    price = '\n[prices]\nhydropower_price = { value = 0.4, unit = "CNY/kWh", source = "no year" }\n'
    config = _build(tmp_path / "region", valuation='price_indexing = "indexed"\n', extra=price)
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    text = " ".join(str(err.value).split())
    assert "hydropower_price/config" in text
    assert "has no price year" in text
    recorded = _build(tmp_path / "recorded", extra=price)
    result = run(load_config(recorded), tmp_path / "out")
    components = _read(result.out_dir, "components")
    hydro = components[components["component"] == "hydropower"]
    assert (hydro["unit_price"] == 0.4).all()
    assert (hydro["price_factor_constant"] == 1.0).all()


def test_imports_of_some_years_only_and_dual_growth_of_distant_years(tmp_path):
    """Imports reported for one year of three; years 2019, 2021 apart: the GDP growth of 2021 is a
    one-year rate, so no dual-growth flag across the two-year gap."""
    config = _build(
        tmp_path / "region",
        years=(2019, 2021),
        valuation="deduct_imports = true\n",
    )
    write_statistics(
        config, {"imports": "code,year,item,value (万元)\n990101,2021,water_supply,10\n"}
    )
    farm = "code,year,农业总产值 agriculture_output (万元)\n" + "".join(
        f"{c},{y},{v}\n" for y in (2019, 2021) for c, v in FARM[2020].items()
    )
    tourism = """
        code,year,origin,visits (万人次),travel_days (day),daily_wage (元),spending_per_visit (元)
        990101,,省内,20,1.5,200,600
        """
    hydro = "code,year,hydropower (万kWh)\n990202,,5000\n"
    housing = SHEETS["housing"].replace("990000,2020,,150", "990000,2019,,150")
    gdp = SHEETS["gdp"]
    write_statistics(
        config,
        {
            "farm_output": farm,
            "tourism_origins": tourism,
            "hydropower": hydro,
            "housing": housing,
            "gdp": gdp,
        },
    )
    result = run(load_config(config), tmp_path / "out")
    summary = _read(result.out_dir, "summary")
    later = summary[summary["year"] == 2021].set_index("unit_code")
    assert later.at["990101", "imports_deducted"] == pytest.approx(10 * WAN)
    earlier = summary[summary["year"] == 2019].set_index("unit_code")
    assert (earlier["imports_deducted"] == 0).all()
    assert later.at["990101", "gdp_real_growth"] == pytest.approx(0.05)
    assert later["dual_growth"].isna().all()
