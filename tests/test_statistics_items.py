"""End-to-end runs of the items reported per unit (statistics workbook) and of supplied quantities.

The region is the synthetic one of conftest.py: province 990000 → cities 990100 (counties 990101,
990102) and 990200 (counties 990201, 990202); every county is 16 km², every city 32 km²; the
population (a [statistics] table) is 1000 / 2000 / 3000 / 4000 in the four counties.  The
statistics are written as a folder of CSV files (or, once, as the `gep template` workbook) with
headers "<中文名> <field_id> (<unit>)", values in the header's unit: 万元 → ×10⁴ CNY, 万m3 → ×10⁴ m³,
万kWh → ×10⁴ kWh, 万人次 → ×10⁴ visits.

Every expected number below is worked out by hand from the rows written here and the shipped
prices: water tariffs 2.6 / 3.6 / 0.07 CNY/m³ (domestic / industrial / agricultural, Garzê 2010),
hydropower 0.53 CNY/kWh, reservoir storage 6.11 CNY/m³, SO₂ 1,200 and NOx 630 CNY/t, dredging
15.58 CNY/m³, N 875 and P 2,800 CNY/t.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from conftest import (
    ET_MM,
    PRECIP_MM,
    WORKBOOK_LINES,
    accounts_wide,
    build_region,
    drop_inputs,
    select_items,
    write_statistics,
)
from typer.testing import CliRunner

from gepkit.catalogue.tables import shipped_table
from gepkit.cli import app
from gepkit.config import load_config
from gepkit.errors import InputError
from gepkit.pipeline import RunResult, run
from gepkit.plan import prepare

WAN = 1e4  # 万
YI = 1e8  # 亿
LEAVES = ("990101", "990102", "990201", "990202")
CITY_OF = {"990101": "990100", "990102": "990100", "990201": "990200", "990202": "990200"}

TARIFF = {"domestic": 2.6, "industrial": 3.6, "agricultural": 0.07}  # CNY/m³
HYDRO_PRICE = 0.53  # CNY/kWh
RESERVOIR_COST = 6.11  # CNY/m³
# Soil retention (catalogue §2.4): silt λ/ρ·15.58 + N 0.37 %·875 + P 0.108 %·2800 per t of soil.
SILT_M3_PER_T = 0.24 / 1.125
SOIL_CNY_PER_T = SILT_M3_PER_T * 15.58 + 0.0037 * 875.0 + 0.00108 * 2800.0

STATISTICS_ITEMS = [
    "agricultural_products",
    "forestry_products",
    "livestock_products",
    "fishery_products",
    "water_supply",
    "ecological_energy",
    "recreation",
    "landscape_value",
]

# -- the statistics of the main run ---------------------------------------------------------------

FARM_OUTPUT = (
    "单位代码 code,年份 year,农业总产值 agriculture_output (万元),林业总产值 forestry_output (万元),"
    "牧业总产值 livestock_output (万元),渔业总产值 fishery_output (万元)"
    + """
    990101,2020,12345,,800,
    990102,2020,2000,,900,
    990201,2020,3000,,1000,300
    990202,2020,4000,,1100,
    990100,2020,,5000,,
    990200,2020,,,,1000
    """
)
# The Chinese part of a header may be dropped; a header may carry another unit than the
# template's (agricultural water in m³ instead of 万m3).
WATER_SUPPLY = """
    code,year,生活用水量 domestic_water (万m3),industrial_water (万m3),农业用水量 agricultural_water (m3)
    990101,2020,100,50,3000000
    990102,2020,80,20,2000000
    990201,2020,120,60,9000000
    990202,2020,90,30,1000000
    """
# 990200 reports 8,000 万kWh and its county 990202 5,000: the other county gets the rest.
HYDROPOWER = """
    code,year,水力发电量 hydropower (万kWh)
    990200,2020,8000
    990202,2020,5000
    """
# Travel time in 天 (days); 990200 reports its visitors as a city.
TOURISM_ORIGINS = (
    "单位代码 code,年份 year,客源地 origin,人次 visits (万人次),平均旅行天数 travel_days (天),"
    "日均工资 daily_wage (元),人均直接花费 spending_per_visit (元)"
    + """
    990101,2020,省内,20,1.5,200,600
    990101,2020,省外,10,3,250,1500
    990102,2020,本地,5,0.5,160,100
    990200,2020,省内,30,1,180,400
    """
)
# The premium per m² is given at three levels: each county takes the finest one containing it.
HOUSING = """
    code,year,受益住房建筑面积 benefiting_floor_area (m2),单位面积溢价 premium (元/m2)
    990000,2020,,150
    990200,2020,,300
    990101,2020,10000,
    990102,2020,20000,
    990201,2020,30000,
    990202,2020,40000,500
    """

MAIN_SHEETS = {
    "farm_output": FARM_OUTPUT,
    "water_supply": WATER_SUPPLY,
    "hydropower": HYDROPOWER,
    "tourism_origins": TOURISM_ORIGINS,
    "housing": HOUSING,
}

# -- hand computation of the main run -------------------------------------------------------------

AGRICULTURE = {
    "990101": 12345 * WAN,
    "990102": 2000 * WAN,
    "990201": 3000 * WAN,
    "990202": 4000 * WAN,
}
# 990100's 5,000 万元 shared by area between its two 16 km² counties; 990200 reports none.
FORESTRY = {"990101": 2500 * WAN, "990102": 2500 * WAN, "990201": 0.0, "990202": 0.0}
LIVESTOCK = {"990101": 800 * WAN, "990102": 900 * WAN, "990201": 1000 * WAN, "990202": 1100 * WAN}
# 990201 reports 300 of its city's 1,000 万元: 990202 gets the other 700.
FISHERY = {"990101": 0.0, "990102": 0.0, "990201": 300 * WAN, "990202": 700 * WAN}
WATER_USE = {  # m³ by use
    "990101": {"domestic": 100 * WAN, "industrial": 50 * WAN, "agricultural": 3e6},
    "990102": {"domestic": 80 * WAN, "industrial": 20 * WAN, "agricultural": 2e6},
    "990201": {"domestic": 120 * WAN, "industrial": 60 * WAN, "agricultural": 9e6},
    "990202": {"domestic": 90 * WAN, "industrial": 30 * WAN, "agricultural": 1e6},
}
HYDRO_KWH = {"990101": 0.0, "990102": 0.0, "990201": 3000 * WAN, "990202": 5000 * WAN}
# Visits and Σ_j N_j (T_j·W_j + C_j) per county; 990200's 30 万 visits are shared by area and
# valued at the city's travel cost per visit, 1·180 + 400 = 580 CNY.
VISITS = {"990101": 30 * WAN, "990102": 5 * WAN, "990201": 15 * WAN, "990202": 15 * WAN}
TRAVEL_COST = {
    "990101": 20 * WAN * (1.5 * 200 + 600) + 10 * WAN * (3 * 250 + 1500),
    "990102": 5 * WAN * (0.5 * 160 + 100),
    "990201": 15 * WAN * (1 * 180 + 400),
    "990202": 15 * WAN * (1 * 180 + 400),
}
FLOOR_AREA = {"990101": 1e4, "990102": 2e4, "990201": 3e4, "990202": 4e4}
PREMIUM = {"990101": 150.0, "990102": 150.0, "990201": 300.0, "990202": 500.0}


def _water_value(code: str) -> float:
    return sum(WATER_USE[code][use] * TARIFF[use] for use in TARIFF)


# (quantity, value) of each item per county
EXPECTED: dict[str, dict[str, tuple[float, float]]] = {
    "agricultural_products": {c: (v, v) for c, v in AGRICULTURE.items()},
    "forestry_products": {c: (v, v) for c, v in FORESTRY.items()},
    "livestock_products": {c: (v, v) for c, v in LIVESTOCK.items()},
    "fishery_products": {c: (v, v) for c, v in FISHERY.items()},
    "water_supply": {c: (sum(WATER_USE[c].values()), _water_value(c)) for c in LEAVES},
    "ecological_energy": {c: (q, q * HYDRO_PRICE) for c, q in HYDRO_KWH.items()},
    "recreation": {c: (VISITS[c], TRAVEL_COST[c]) for c in LEAVES},
    "landscape_value": {c: (FLOOR_AREA[c], FLOOR_AREA[c] * PREMIUM[c]) for c in LEAVES},
}


def _rolled_up(per_county: dict[str, float]) -> dict[str, float]:
    """County values plus their cities and the province (parents are sums of their children)."""
    out = dict(per_county)
    for city in ("990100", "990200"):
        out[city] = sum(v for c, v in per_county.items() if CITY_OF[c] == city)
    out["990000"] = sum(per_county.values())
    return out


# -- helpers --------------------------------------------------------------------------------------


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


def _region(region, *, items: list[str], extra: str = "", **options: Any) -> Path:
    config = region(extra=WORKBOOK_LINES + extra, **options)
    select_items(config, items)
    return config


def _messages(err: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [" ".join(str(p).split()) for p in err.value.problems]


def _one(messages: list[str], *fragments: str) -> str:
    found = [m for m in messages if all(f in m for f in fragments)]
    assert len(found) == 1, f"{fragments} in {messages}"
    return found[0]


# -- the main run: every item reported per unit ----------------------------------------------------


@pytest.fixture(scope="module")
def main_run(tmp_path_factory) -> RunResult:
    folder = tmp_path_factory.mktemp("statistics")
    config = build_region(folder / "region", extra=WORKBOOK_LINES)
    select_items(config, ["water_conservation", *STATISTICS_ITEMS])
    write_statistics(config, MAIN_SHEETS)
    return run(load_config(config), folder / "out")


def test_reported_items_match_hand_computation(main_run):
    """Each unit's quantity and value follow from the rows by hand; parents are sums."""
    accounts = _read(main_run.out_dir, "accounts")
    for item in STATISTICS_ITEMS:
        quantities = _rolled_up({c: q for c, (q, _) in EXPECTED[item].items()})
        values = _rolled_up({c: v for c, (_, v) in EXPECTED[item].items()})
        for code in quantities:
            row = _row(accounts, unit_code=code, item=item)
            assert row["quantity"] == pytest.approx(quantities[code], rel=1e-12, abs=1e-9), (
                item,
                code,
            )
            assert row["value"] == pytest.approx(values[code], rel=1e-12, abs=1e-9), (item, code)
            # one year, prices as recorded: constant prices of 2020 are the current prices
            assert row["value_constant"] == pytest.approx(row["value"], rel=1e-12, abs=1e-9)
            assert row["constant_prices_of"] == 2020
        category = "cultural" if item in ("recreation", "landscape_value") else "provisioning"
        assert set(accounts.loc[accounts["item"] == item, "category"]) == {category}


def test_examples_spelled_out(main_run):
    """A few of the numbers above written out in full."""
    accounts = _read(main_run.out_dir, "accounts")

    def value(code: str, item: str) -> float:
        return float(_row(accounts, unit_code=code, item=item)["value"])

    assert value("990101", "agricultural_products") == pytest.approx(1.2345e8)
    assert value("990102", "forestry_products") == pytest.approx(2.5e7)  # half of 5,000 万元
    assert value("990202", "fishery_products") == pytest.approx(7e6)  # 1,000 − 300 万元
    # 100 万m³ × 2.6 + 50 万m³ × 3.6 + 3,000,000 m³ × 0.07
    assert value("990101", "water_supply") == pytest.approx(2.6e6 + 1.8e6 + 2.1e5)
    assert value("990201", "ecological_energy") == pytest.approx(3e7 * 0.53)
    # 20 万 × (1.5 × 200 + 600) + 10 万 × (3 × 250 + 1500)
    assert value("990101", "recreation") == pytest.approx(1.8e8 + 2.25e8)
    assert value("990202", "landscape_value") == pytest.approx(40000 * 500)


def test_gaps_and_allocations_are_reported(main_run):
    messages = [" ".join(str(w).split()) for w in main_run.warnings]
    _one(messages, "forestry_products", "no value for 2 unit(s): 990201, 990202")
    _one(messages, "forestry_products", "values of 990100 shared", "in proportion to area")
    _one(messages, "ecological_energy", "no value for 2 unit(s): 990101, 990102")
    _one(messages, "recreation/visits", "values of 990200 shared", "area")
    manifest = json.loads((main_run.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert any("990201, 990202" in w for w in map(str, manifest["warnings"]))


def test_parts_and_components_of_reported_items(main_run):
    parts = _read(main_run.out_dir, "parts")
    components = _read(main_run.out_dir, "components")
    for code in LEAVES:
        for use, volume in WATER_USE[code].items():
            part = _row(parts, unit_code=code, item="water_supply", part=use)
            assert part["quantity"] == pytest.approx(volume)
            assert part["quantity_unit"] == "m^3"
            component = _row(components, unit_code=code, item="water_supply", part=use)
            assert component["component"] == f"{use}_water"
            assert component["unit_price"] == pytest.approx(TARIFF[use])
            assert component["price_id"] == f"water_tariff_{use}/garze2010"
            assert component["value"] == pytest.approx(volume * TARIFF[use])
    hydro = _row(components, unit_code="990202", item="ecological_energy")
    assert hydro["price_id"] == "hydropower_price/garze2010"
    assert hydro["unit_price"] == pytest.approx(0.53)
    farm = _row(components, unit_code="990101", item="agricultural_products")
    assert farm["price_id"] == "value reported"
    assert farm["unit_price"] == pytest.approx(1.0)

    # Per-unit prices: a county at its own (or finest containing unit's) price, a parent at
    # value ÷ quantity of its counties.
    travel = components[components["item"] == "recreation"].set_index("unit_code")
    assert travel.at["990101", "price_id"] == "reported per unit"
    assert travel.at["990101", "unit_price"] == pytest.approx(TRAVEL_COST["990101"] / 30e4)
    assert travel.at["990201", "unit_price"] == pytest.approx(580.0)
    assert travel.at["990202", "unit_price"] == pytest.approx(580.0)
    premium = components[components["item"] == "landscape_value"].set_index("unit_code")
    assert premium.loc[list(LEAVES), "unit_price"].to_dict() == pytest.approx(PREMIUM)
    assert premium.at["990200", "unit_price"] == pytest.approx((3e4 * 300 + 4e4 * 500) / 7e4)
    assert "housing.premium" in premium.at["990101", "price_source"]


def test_reported_parts_by_ecosystem(main_run):
    """Farm output → farmland (5), forestry → forest (1), fishery and hydropower → wetland (4);
    livestock, water supply and the cultural items → not by ecosystem type (−2)."""
    by_eco = _read(main_run.out_dir, "by_ecosystem")
    expected_code = {
        "agricultural_products": 5,
        "forestry_products": 1,
        "livestock_products": -2,
        "fishery_products": 4,
        "water_supply": -2,
        "ecological_energy": 4,
        "recreation": -2,
        "landscape_value": -2,
    }
    for item, code in expected_code.items():
        rows = by_eco[by_eco["item"] == item]
        assert set(rows["ecosystem_code"]) == {code}, item
        for unit, (quantity, value) in EXPECTED[item].items():
            unit_rows = rows[rows["unit_code"] == unit]
            if quantity == 0:
                assert unit_rows.empty  # zero rows are left out
                continue
            assert float(unit_rows["quantity"].sum()) == pytest.approx(quantity)
            assert float(unit_rows["value"].sum()) == pytest.approx(value)
    province = by_eco[(by_eco["unit_code"] == "990000") & (by_eco["item"] == "fishery_products")]
    assert float(province["quantity"].sum()) == pytest.approx(1000 * WAN)
    names = set(by_eco.loc[by_eco["ecosystem_code"] == -2, "ecosystem_name"])
    assert names == {"not by ecosystem type (reported per unit)"}
    # the spatial item of the same run keeps its ecosystem types
    water = by_eco[by_eco["item"] == "water_conservation"]
    assert -2 not in set(water["ecosystem_code"])
    assert {11, 33, 42} <= set(water["ecosystem_code"])


def test_reported_items_have_no_maps_and_checks_pass(main_run):
    maps = sorted(p.name for p in (main_run.out_dir / "maps").iterdir())
    assert maps == ["water_conservation_2020_quantity.tif", "water_conservation_2020_value.tif"]
    checks = _read(main_run.out_dir, "checks")
    assert checks["passed"].all()
    roll_up = checks[checks["check"] == "children_sum_to_parent"]
    assert set(STATISTICS_ITEMS) <= set(roll_up["item"])
    # reported parts have no raster total and no polygon of their own to compare
    spatial_checks = checks[
        checks["check"].isin(["units_sum_to_raster_total", "parent_polygon_vs_children"])
    ]
    assert not spatial_checks["item"].str.startswith(tuple(STATISTICS_ITEMS)).any()


def test_summary_adds_the_reported_items(main_run):
    summary = _read(main_run.out_dir, "summary").set_index("unit_code")
    accounts = _read(main_run.out_dir, "accounts")
    provisioning = [i for i in STATISTICS_ITEMS if i not in ("recreation", "landscape_value")]
    for code in ("990101", "990200", "990000"):
        rows = accounts[accounts["unit_code"] == code].set_index("item")["value"]
        assert summary.at[code, "provisioning"] == pytest.approx(rows[provisioning].sum())
        assert summary.at[code, "cultural"] == pytest.approx(
            rows["recreation"] + rows["landscape_value"]
        )
        assert summary.at[code, "regulating"] == pytest.approx(rows["water_conservation"])
        assert summary.at[code, "gep"] == pytest.approx(rows.sum())
    cultural = _rolled_up({c: TRAVEL_COST[c] + FLOOR_AREA[c] * PREMIUM[c] for c in LEAVES})
    assert summary.at["990000", "cultural"] == pytest.approx(cultural["990000"])


# -- variants of the statistics and options ---------------------------------------------------------


def test_allocation_by_population(region, tmp_path):
    """With allocation_key = "population", 990100's forestry output is shared 1000 : 2000.  The
    population and GDP come from single [statistics] tables, merged with the workbook."""
    gdp = '[statistics.gdp]\npath = "gdp.csv"\nvalue_field = "gdp"\nunits = "万元"\n'
    config = _region(region, items=["forestry_products", "fishery_products"], extra=gdp)
    (config.parent / "gdp.csv").write_text(
        "code,gdp\n990101,50000\n990102,30000\n990201,20000\n990202,10000\n", encoding="utf-8"
    )
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("chunk = 1024", 'chunk = 1024\nallocation_key = "population"'),
        encoding="utf-8",
    )
    write_statistics(config, {"farm_output": FARM_OUTPUT})
    result = run(load_config(config), tmp_path / "out")
    summary = _read(result.out_dir, "summary").set_index("unit_code")
    assert summary.at["990101", "gdp"] == pytest.approx(5e8)
    assert summary.at["990100", "gdp"] == pytest.approx(8e8)  # summed from its counties
    assert summary.at["990000", "gdp"] == pytest.approx(1.1e9)
    assert summary.at["990100", "gep_gdp_ratio"] == pytest.approx(5000 * WAN / 8e8)
    accounts = _read(result.out_dir, "accounts")
    forestry = {c: _row(accounts, unit_code=c, item="forestry_products")["value"] for c in LEAVES}
    assert forestry["990101"] == pytest.approx(5000 * WAN * 1000 / 3000)
    assert forestry["990102"] == pytest.approx(5000 * WAN * 2000 / 3000)
    # a county that reports keeps its value; the rest of the city goes to the other county
    fishery = {c: _row(accounts, unit_code=c, item="fishery_products")["value"] for c in LEAVES}
    assert fishery["990201"] == pytest.approx(300 * WAN)
    assert fishery["990202"] == pytest.approx(700 * WAN)
    messages = [" ".join(str(w).split()) for w in result.warnings]
    _one(messages, "forestry_products", "values of 990100 shared", "in proportion to population")


def test_header_units_and_item_options(region, tmp_path):
    """Header units other than the template's are converted (亿元, 元); net output with an
    ecosystem contribution share; other products as Σ quantity × unit price; recreation from the
    tourism revenue; supplied quantities of items outside the run are ignored."""
    options = """
[options.agricultural_products]
basis = "net_output"
ecosystem_contribution_share = 0.5

[options.other_products]
basis = "products"

[options.recreation]
method = "revenue"
revenue_multiplier = 3.0
ecosystem_share = 0.8
"""
    config = _region(
        region,
        items=["agricultural_products", "livestock_products", "other_products", "recreation"],
        extra=options,
    )
    write_statistics(
        config,
        {
            "farm_output": """
                code,year,agriculture_net_output (亿元),牧业总产值 livestock_output (元)
                990101,2020,1.2,8000000
                990102,2020,0.3,9000000
                990201,2020,0.5,10000000
                990202,2020,0.4,11000000
                """,
            "products": "单位代码 code,年份 year,所属核算项目 item,产品名称 product,产量 quantity,"
            "计量单位 quantity_unit,单价 unit_price (元)"
            + """
                990101,2020,other_products,苗木,20000,株,25
                990101,2020,P7,中药材,50,t,30000
                990102,2020,其他,苗木,10000,株,20
                """,
            "tourism": """
                code,year,接待游客人次 visits (万人次),旅游总收入 revenue (万元)
                990101,2020,50,20000
                990102,2020,10,3000
                990201,2020,8,2000
                990202,2020,12,4000
                """,
            # quantities supplied for items this run does not compute: ignored, with a warning
            "supplied": SUPPLIED,
        },
    )
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    assert set(accounts["item"]) == {
        "agricultural_products",
        "livestock_products",
        "other_products",
        "recreation",
    }
    messages = [" ".join(str(w).split()) for w in result.warnings]
    _one(messages, "soil_retention in 2020, which this run does not compute: ignored")

    def row(code: str, item: str) -> pd.Series:
        return _row(accounts, unit_code=code, item=item)

    net = {"990101": 1.2 * YI, "990102": 0.3 * YI, "990201": 0.5 * YI, "990202": 0.4 * YI}
    for code, output in net.items():
        assert row(code, "agricultural_products")["quantity"] == pytest.approx(output)
        assert row(code, "agricultural_products")["value"] == pytest.approx(0.5 * output)
        assert row(code, "livestock_products")["value"] == pytest.approx(
            {"990101": 8e6, "990102": 9e6, "990201": 1e7, "990202": 1.1e7}[code]
        )
    assert row("990000", "agricultural_products")["value"] == pytest.approx(0.5 * 2.4 * YI)

    # other products: 20,000 株 × 25 元 + 50 t × 30,000 元; 10,000 株 × 20 元
    assert row("990101", "other_products")["value"] == pytest.approx(5e5 + 1.5e6)
    assert row("990102", "other_products")["value"] == pytest.approx(2e5)
    assert row("990201", "other_products")["value"] == 0.0
    parts = _read(result.out_dir, "parts")
    others = parts[(parts["item"] == "other_products") & (parts["unit_code"] == "990101")]
    assert others.set_index("part")["quantity"].to_dict() == pytest.approx(
        {"苗木": 5e5, "中药材": 1.5e6}
    )

    # recreation by revenue: visits × 0.8; value revenue × 3 × 0.8
    visits = {"990101": 50, "990102": 10, "990201": 8, "990202": 12}
    revenue = {"990101": 20000, "990102": 3000, "990201": 2000, "990202": 4000}
    for code in LEAVES:
        assert row(code, "recreation")["quantity"] == pytest.approx(visits[code] * WAN * 0.8)
        assert row(code, "recreation")["value"] == pytest.approx(revenue[code] * WAN * 3 * 0.8)
    components = _read(result.out_dir, "components")
    price = _row(components, unit_code="990101", item="recreation")["unit_price"]
    assert price == pytest.approx(20000 * WAN * 3 / (50 * WAN))  # 1,200 CNY per visit
    share = _row(components, unit_code="990101", item="agricultural_products")
    assert "0.5" in share["derivation"]


def test_template_workbook_filled_in_and_run(region, tmp_path):
    """`gep template` writes the workbook; filled in (per-unit and register sheets) it runs."""
    config = region(extra='[workbook]\npath = "stats.xlsx"\n')
    select_items(config, ["agricultural_products", "ecological_energy", "recreation"])
    out = config.parent / "stats.xlsx"
    written = CliRunner().invoke(
        app, ["template", str(config), "--year", "2020", "--out", str(out)]
    )
    assert written.exit_code == 0, written.output

    book = openpyxl.load_workbook(out)

    def sheet(domain: str) -> Any:
        return next(ws for ws in book.worksheets if ws.title.endswith(f"_{domain}"))

    def column(ws: Any, field_id: str) -> int:
        for cell in ws[1]:
            if cell.value and f" {field_id} " in f" {cell.value} ":
                return int(cell.column)
        raise AssertionError(field_id)

    def fill(domain: str, values: dict[str, dict[str, float]]) -> None:
        ws = sheet(domain)
        for row in range(2, ws.max_row + 1):
            code, year = str(ws.cell(row, 1).value), ws.cell(row, 3).value
            if year == 2020 and code in values:
                for field_id, value in values[code].items():
                    ws.cell(row, column(ws, field_id), value)

    fill(
        "farm_output",
        {c: {"agriculture_output": v / WAN} for c, v in AGRICULTURE.items()},
    )
    fill("hydropower", {"990200": {"hydropower": 8000}, "990202": {"hydropower": 5000}})
    origins = sheet("tourism_origins")
    for code, origin, visits, days, wage, spending in (
        ("990101", "省内", 20, 1.5, 200, 600),
        ("990101", "省外", 10, 3, 250, 1500),
        ("990102", "本地", 5, 0.5, 160, 100),
        ("990200", "省内", 30, 1, 180, 400),
    ):
        row = origins.max_row + 1
        origins.cell(row, 1, code)
        origins.cell(row, 3, 2020)
        for field_id, value in (
            ("origin", origin),
            ("visits", visits),
            ("travel_days", days),
            ("daily_wage", wage),
            ("spending_per_visit", spending),
        ):
            origins.cell(row, column(origins, field_id), value)
    book.save(out)

    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    for item in ("agricultural_products", "ecological_energy", "recreation"):
        values = _rolled_up({c: v for c, (_, v) in EXPECTED[item].items()})
        for code, value in values.items():
            assert _row(accounts, unit_code=code, item=item)["value"] == pytest.approx(value)
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert "stats.xlsx" in json.dumps(manifest["inputs"]["workbook"], ensure_ascii=False)


def test_water_supply_use_without_a_shipped_tariff(region, tmp_path):
    """Ecological water has no shipped tariff: the run asks for one; a [prices] value works."""
    config = _region(
        region,
        items=["water_supply"],
        extra='[options.water_supply]\nuses = ["domestic", "ecological"]\n',
    )
    write_statistics(
        config,
        {
            "water_supply": """
                code,year,domestic_water (万m3),生态环境用水量 ecological_water (万m3)
                990101,2020,100,40
                990102,2020,80,
                990201,2020,120,10
                990202,2020,90,
                """
        },
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    _one(_messages(err), "no price 'water_tariff_ecological'")

    # a copy of the price book with the tariff ([prices] only chooses among known prices)
    shipped = shipped_table("prices.csv").read_text(encoding="utf-8")
    row = 'water_tariff_ecological,test,1.5,CNY/m^3,2020,cpi_cn,replacement,"test tariff",V,yes,\n'
    (config.parent / "prices.csv").write_text(shipped.rstrip("\n") + "\n" + row, encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    config.write_text(text + '\n[tables]\nprices = "prices.csv"\n', encoding="utf-8")
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    assert _row(accounts, unit_code="990101", item="water_supply")["value"] == pytest.approx(
        100 * WAN * 2.6 + 40 * WAN * 1.5
    )
    # 990102 reports no ecological water: its domestic water alone is valued
    assert _row(accounts, unit_code="990102", item="water_supply")["value"] == pytest.approx(
        80 * WAN * 2.6
    )


def test_unit_slip_in_the_workbook_stops_the_run(region):
    """A value written in 元 among 万元 is caught; with the magnitude check off it is taken."""
    config = _region(region, items=["agricultural_products"])
    write_statistics(
        config,
        {
            "farm_output": """
                code,year,agriculture_output (万元)
                990101,2020,12345
                990102,2020,2000
                990201,2020,3000
                990202,2020,40000000
                """
        },
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    _one(_messages(err), "farm_output.csv", "990202", "元")
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('path = "stats"', 'path = "stats"\ncheck_magnitudes = false'), encoding="utf-8"
    )
    plan = prepare(load_config(config))
    assert plan.book.values("farm_output", "agriculture_output", 2020)["990202"] == (
        pytest.approx(4e7 * WAN)
    )


def test_row_of_the_year_completes_the_row_for_every_year(region):
    """A unit's row for one year takes precedence field by field over its row for every year."""
    config = _region(region, items=["landscape_value"], years=(2020, 2021))
    write_statistics(
        config,
        {
            "housing": """
                code,year,benefiting_floor_area (m^2),premium (元/m^2)
                990101,,10000,150
                990102,,20000,150
                990101,2021,,200
                """
        },
    )
    plan = prepare(load_config(config))
    book = plan.book
    assert book.values("housing", "premium", 2020) == {"990101": 150.0, "990102": 150.0}
    assert book.values("housing", "premium", 2021) == {"990101": 200.0, "990102": 150.0}
    # the 2021 row leaves the floor area blank: the row for every year gives it
    assert book.values("housing", "benefiting_floor_area", 2021) == {"990101": 1e4, "990102": 2e4}


# -- supplied quantities ----------------------------------------------------------------------------

MODEL_LAYERS = [
    "dem",
    "ndvi",
    "precipitation_monthly",
    "temperature_monthly",
    "actual_et",
    "npp",
    "rainfall_erosivity",
    "soil_erodibility",
]
SUPPLIED_ITEMS = ["water_conservation", "soil_retention", "air_purification", "flood_regulation"]
# Items may be named by id, code (R2) or Chinese name (水源涵养); units are converted by pint.
SUPPLIED = """
    单位代码 code,年份 year,核算项目 item,分项 part,数量 quantity,单位 quantity_unit
    990101,2020,water_conservation,,0.5,亿m3
    990102,2020,water_conservation,,0.25,亿m3
    990200,2020,水源涵养,,1.5,亿m3
    990101,2020,soil_retention,,2,万t
    990102,2020,R2,,3000,t
    990101,2020,air_purification,so2,120,t
    990101,2020,air_purification,nox,40000,kg
    990202,2020,flood_regulation,lakes,0.3,亿m3
    990202,2020,flood_regulation,reservoirs,500,万m3
    990201,2020,flood_regulation,marshes,2000000,m3
    """
WATER_SUPPLIED = {"990101": 0.5 * YI, "990102": 0.25 * YI, "990201": 0.75 * YI, "990202": 0.75 * YI}
SOIL_SUPPLIED = {"990101": 2 * WAN, "990102": 3000.0, "990201": 0.0, "990202": 0.0}
FLOOD_SUPPLIED = {
    "lakes": {"990202": 0.3 * YI},
    "reservoirs": {"990202": 500 * WAN},
    "marshes": {"990201": 2e6},
}


def test_supplied_quantities_without_their_layers(region, tmp_path):
    """Items supplied for every year run without their layers (nor registers): quantities are
    converted to the item's unit and valued by the item's own components."""
    config = _region(region, items=SUPPLIED_ITEMS)
    drop_inputs(config, MODEL_LAYERS)
    write_statistics(config, {"supplied": SUPPLIED})
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    parts = _read(result.out_dir, "parts")
    components = _read(result.out_dir, "components")

    def row(code: str, item: str) -> pd.Series:
        return _row(accounts, unit_code=code, item=item)

    water = _rolled_up(WATER_SUPPLIED)
    for code, volume in water.items():
        assert row(code, "water_conservation")["quantity"] == pytest.approx(volume)
        assert row(code, "water_conservation")["value"] == pytest.approx(volume * RESERVOIR_COST)
    assert row("990101", "water_conservation")["value"] == pytest.approx(5e7 * 6.11)

    soil = _rolled_up(SOIL_SUPPLIED)
    for code, tonnes in soil.items():
        assert row(code, "soil_retention")["quantity"] == pytest.approx(tonnes, abs=1e-9)
        assert row(code, "soil_retention")["value"] == pytest.approx(
            tonnes * SOIL_CNY_PER_T, abs=1e-9
        )
    silt = _row(components, unit_code="990101", item="soil_retention", component="siltation")
    assert silt["quantity"] == pytest.approx(2e4 * SILT_M3_PER_T)
    assert silt["value"] == pytest.approx(2e4 * SILT_M3_PER_T * 15.58)

    # air purification: 120 t SO₂ × 1,200 + 40,000 kg = 40 t NOx × 630
    assert row("990101", "air_purification")["quantity"] == pytest.approx(160.0)
    assert row("990101", "air_purification")["value"] == pytest.approx(120 * 1200 + 40 * 630)
    air = parts[(parts["item"] == "air_purification") & (parts["unit_code"] == "990101")]
    assert air.set_index("part")["quantity"].to_dict() == pytest.approx({"so2": 120, "nox": 40})
    assert not air["capped"].any()
    so2 = _row(components, unit_code="990101", item="air_purification", component="so2")
    assert so2["value"] == pytest.approx(120 * 1200)

    # flood regulation: the parts supplied, each valued at the reservoir storage cost
    for part, by_unit in FLOOD_SUPPLIED.items():
        for code, volume in _rolled_up({c: by_unit.get(c, 0.0) for c in LEAVES}).items():
            assert _row(parts, unit_code=code, item="flood_regulation", part=part)[
                "quantity"
            ] == pytest.approx(volume, abs=1e-9)
    assert set(parts.loc[parts["item"] == "flood_regulation", "part"]) == set(FLOOD_SUPPLIED)
    assert row("990202", "flood_regulation")["value"] == pytest.approx(3.5e7 * 6.11)
    assert row("990201", "flood_regulation")["value"] == pytest.approx(2e6 * 6.11)
    assert row("990000", "flood_regulation")["value"] == pytest.approx(3.7e7 * 6.11)

    # Parts of the item's options that no row supplies count as 0, with a warning.
    unsupplied = [str(w) for w in result.warnings if "parts not supplied" in str(w)]
    assert any("flood_regulation" in w and "vegetation" in w for w in unsupplied), unsupplied
    assert any("air_purification" in w and "dust" in w for w in unsupplied), unsupplied
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["supplied_quantities"] == {"2020": sorted(SUPPLIED_ITEMS)}
    assert not (result.out_dir / "maps" / "water_conservation_2020_quantity.tif").exists()
    by_eco = _read(result.out_dir, "by_ecosystem")
    assert set(by_eco.loc[by_eco["item"].isin(SUPPLIED_ITEMS), "ecosystem_code"]) == {-2}


def test_supplied_for_one_year_computed_in_the_other(region, tmp_path):
    """Supplied in 2020, modelled in 2021: the 2021 water conservation is (P − αP − ET)·A."""
    config = _region(region, items=["water_conservation"], years=(2020, 2021))
    write_statistics(config, {"supplied": SUPPLIED})
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    for code, volume in WATER_SUPPLIED.items():
        row = _row(accounts, year=2020, unit_code=code, item="water_conservation")
        assert row["quantity"] == pytest.approx(volume)
    # broadleaf forest α = 4.65 %, 16 cells of 1 km²
    modelled = (PRECIP_MM - 0.0465 * PRECIP_MM - ET_MM) * 1e-3 * 1e6 * 16
    row = _row(accounts, year=2021, unit_code="990101", item="water_conservation")
    assert row["quantity"] == pytest.approx(modelled, rel=1e-6)
    assert (result.out_dir / "maps" / "water_conservation_2021_quantity.tif").is_file()
    assert not (result.out_dir / "maps" / "water_conservation_2020_quantity.tif").exists()
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["supplied_quantities"] == {"2020": ["water_conservation"]}


def test_supplied_layers_are_needed_for_the_years_not_supplied(region, tmp_path):
    config = _region(region, items=["water_conservation"], years=(2020, 2021))
    drop_inputs(config, MODEL_LAYERS)
    write_statistics(config, {"supplied": SUPPLIED})
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    _one(_messages(err), "water_conservation needs the layer 'precipitation'")

    # rows without a year apply to every year: then no layer is needed
    write_statistics(
        config,
        {
            "supplied": """
                code,year,item,part,quantity,quantity_unit
                990101,,water_conservation,,0.5,亿m3
                990102,,water_conservation,,0.25,亿m3
                990200,,water_conservation,,1.5,亿m3
                990101,2021,water_conservation,,0.6,亿m3
                """
        },
    )
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    quantity = {
        year: _row(accounts, year=year, unit_code="990101", item="water_conservation")["quantity"]
        for year in (2020, 2021)
    }
    assert quantity == pytest.approx({2020: 0.5 * YI, 2021: 0.6 * YI})  # the year's row wins
    for year in (2020, 2021):
        row = _row(accounts, year=year, unit_code="990202", item="water_conservation")
        assert row["quantity"] == pytest.approx(0.75 * YI)


def test_the_templates_example_of_a_supplied_row_is_valid(region, tmp_path):
    """A statistician copying the example row the template shows for supplied quantities (with
    a code of the region) gets a valid row."""
    config = region(extra=WORKBOOK_LINES)
    written = CliRunner().invoke(
        app, ["template", str(config), "--year", "2020", "--out", str(tmp_path / "t.xlsx")]
    )
    assert written.exit_code == 0, written.output
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    sheet = next(ws for ws in book.worksheets if ws.title.endswith("_supplied"))
    comment = sheet["A1"].comment.text
    example = comment[comment.index("example row:") :].splitlines()[1].split(" | ")
    _, _, year, item, part, quantity, unit = example
    select_items(config, [item])
    write_statistics(
        config,
        {
            "supplied": "code,year,item,part,quantity,quantity_unit\n"
            f"990101,{year},{item},{part},{quantity},{unit}\n"
        },
    )
    plan = prepare(load_config(config))
    assert list(plan.supplied[int(year)]) == [item]


# -- bad inputs --------------------------------------------------------------------------------------


def test_bad_statistics_and_supplied_rows_are_reported_at_once(region):
    """A part that is not one of the item's, a unit of another kind, a multi-part item without
    part, and statistics an item needs but no unit reports: one error listing them all."""
    config = _region(
        region,
        items=["water_conservation", "air_purification", "agricultural_products", "water_supply"],
    )
    write_statistics(
        config,
        {
            "supplied": """
                code,year,item,part,quantity,quantity_unit
                990101,2020,water_conservation,,0.5,t
                990101,2020,air_purification,co2,120,t
                990102,2020,air_purification,,120,t
                """,
            "water_supply": "code,year,domestic_water (万m3)\n990101,2020,10\n",
        },
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    messages = _messages(err)
    _one(messages, "water_conservation (unit 990101, 2020)", "quantity_unit", "'t'", "m^3")
    _one(messages, "air_purification (unit 990101, 2020)", "'co2' is not a part", "so2, nox, dust")
    _one(messages, "air_purification (unit 990102, 2020)", "name the part of each row")
    farm = _one(messages, "agricultural_products", "agriculture gross output")
    assert "sheet 'farm_output'" in farm
    assert "'农业总产值 agriculture_output (万元)'" in farm
    _one(messages, "water_supply (industrial)", "'工业用水量 industrial_water (万m3)'")
    _one(messages, "water_supply (agricultural)", "agricultural_water")
    assert len(messages) == 6


def test_statistic_in_workbook_and_statistics_table_is_an_error(region):
    """population.csv in the workbook and [statistics.population]: reported with the other
    problems of the configuration (here options of an item that does not exist)."""
    config = _region(
        region,
        items=["water_conservation", "agricultural_products"],
        extra="[options.not_an_item]\nx = 1\n",
    )
    write_statistics(
        config,
        {
            "population": "code,year,常住人口 population (人)\n990101,2020,1000\n",
            "farm_output": "code,year,agriculture_output (万元)\n990101,2020,100\n",
        },
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    messages = _messages(err)
    conflict = _one(messages, "'population.population' is given both in the workbook")
    assert "[statistics]" in conflict
    _one(messages, "[options.not_an_item]: not an implemented item")


def test_conflict_reported_with_the_problems_of_the_items(region):
    """A statistic given twice is reported with the problems of the items' dry run."""
    config = _region(region, items=["air_purification", "agricultural_products"])
    write_statistics(
        config,
        {
            "population": "code,year,population (人)\n990101,2020,1000\n",
            "supplied": "code,year,item,part,quantity,quantity_unit\n"
            "990101,2020,air_purification,co2,1,t\n",
        },
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    messages = _messages(err)
    _one(messages, "'population.population' is given both")
    _one(messages, "'co2' is not a part")
    _one(messages, "agriculture gross output")


def test_travel_cost_rows_must_be_complete(region):
    config = _region(region, items=["recreation"])
    write_statistics(
        config,
        {
            "tourism_origins": """
                code,year,origin,visits (万人次),travel_days (day),daily_wage (元),spending_per_visit (元)
                990101,2020,省内,20,1.5,200,600
                990102,2020,本地,5,,160,100
                """
        },
    )
    with pytest.raises(InputError) as err:
        prepare(load_config(config))
    _one(
        _messages(err), "tourism_origins.csv", "row 3 (990102", "travel_days", "required but blank"
    )


def test_reservoirs_from_the_workbook(region, tmp_path):
    """Without [registers.reservoirs], flood regulation takes the reservoirs of the workbook sheet:
    the designed flood capacity where given, else 0.35 × the total capacity (Garzê), on the
    reporting unit (no coordinates), valued at the reservoir storage cost (6.11 CNY/m³)."""
    config = _region(
        region,
        items=["flood_regulation"],
        extra='\n[options.flood_regulation]\ncomponents = ["reservoirs"]\n',
    )
    write_statistics(
        config,
        {
            "reservoirs": """
        code,year,name,total_capacity (万m3),flood_capacity (万m3)
        990101,,甲水库,1000,300
        990202,,乙水库,2000,
        """
        },
    )
    result = run(load_config(config), tmp_path / "out")
    accounts = _read(result.out_dir, "accounts")
    storage = {"990101": 300 * 1e4, "990202": 0.35 * 2000 * 1e4}
    for code, volume in storage.items():
        row = _row(accounts, unit_code=code, item="flood_regulation")
        assert row["quantity"] == pytest.approx(volume)
        assert row["value"] == pytest.approx(volume * 6.11)
    assert _row(accounts, unit_code="990000", item="flood_regulation")["quantity"] == (
        pytest.approx(sum(storage.values()))
    )
