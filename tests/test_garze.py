"""Reproduction of a published complete GEP account: Garzê Tibetan Autonomous Prefecture, 2010.

Source: Pema Dolkar (白玛卓嘎), Xiao Yi, Ouyang Zhiyun & Wang Liyan 2017, 甘孜藏族自治州生态系统
生产总值核算研究, Acta Ecologica Sinica 37(19): 6302–6312 (full text: ChinaXiv 201711.00120,
mirrored in DreamBlooms/ChinaXiv-201601-to-202209).  Its Table 3 prints, for every item, the
physical quantity, the unit price and the value (亿元, four decimals), then the item totals (two
decimals), the class totals and GEP; methods catalogue §2.18 and §5.2 (1) name it as the exact
test of the valuation and reporting layers.

The account enters through gepkit's ordinary inputs (``tests/fixtures/garze``): the net output of
the four farm sectors, water use, hydropower and tourism in the statistics folder, and every
regulating item's physical quantity, as Table 3 prints it, in the sheet ``supplied``; the prices
and parameters are the Garzê variants of gepkit's catalogue.  gepkit values each quantity with
its own formulas — soil retention's siltation λ·Q/ρ·c and N and P loads Q·C·p, sand fixation's
Q/(ρ·h)·c, unit conversions (亿t, 万t, 万hm², 亿kWh) — and aggregates items, classes and GEP.

Tolerances.  A value computed from a quantity printed to d decimals can differ from the paper's
value (computed from the unrounded quantity) by up to ½·10⁻ᵈ × (value per unit of quantity), and
the paper rounds its value to 10⁻⁴ 亿元: each line's tolerance is the sum of the two
(:attr:`Line.tolerance`); an item total, a class total and GEP take the sum of their lines'
tolerances plus ½ unit of their own last printed digit.  GEP's tolerance (±5.8 亿元) is mostly
carbon and oxygen, printed as 0.31 and 2.51 亿t (±1.9 and ±3.6 亿元); the aggregation itself is
checked exactly (totals = sums of items).  A second run supplies the two quantities
whose unrounded value the paper itself pins down (soil retention, grassland pest control) and
reproduces those lines to the paper's last digit.

Findings (the first three asserted below):

* every line of Table 3 is reproduced within the rounding of its printed quantity;
* the three soil-retention components (Table 3) all follow from one quantity, 38.86329 亿t, with
  gepkit's formulas and the paper's λ = 0.24, ρ = 0.93 t/m³, N 0.37 %, P 0.108 % (the intervals
  each component's four decimals allow intersect in [38.863278, 38.863303] 亿t): gepkit then
  reproduces all three to 10⁻⁴ 亿元, and the derived 10.03 亿m³, 1437.94 万t and 419.72 万t;
* the grassland pest-control value 8.0003 follows from the grassland area of Table 1, 71,113.87
  km² = 711.1387 万hm², which §3.2.9 and Table 3 print truncated as 711.13 (× 112.5 = 8.0002);
* **paper slip, provisioning total**: Table 3's own provisioning lines add up to 632.6488 亿元,
  yet the table prints 632.64.  632.64 is the sum of the two-decimal figures of the text (§3.1),
  12.29 + 2.38 + 22.07 + 0.04 + 545.35 + 50.51, two of which disagree with Table 3 (livestock
  22.07 for 22.0760 → 22.08; water 545.35 for 3.5400 + 540.6113 + 1.2117 = 545.3630 → 545.36).
  GEP inherits the slip: 632.64 + 6842.28 + 70.67 = 7545.59, whereas the lines add up to
  7545.5980 → 7545.60.  gepkit is compared with the lines' sums (:data:`PAPER_SLIPS`);
* other slips of the text, not used here: §3.2.4 gives the lake value as 17.15 (Table 3:
  17.1430); Table 4 repeats 22.07 and 595.90 (= 545.35 + 50.51 + 0.04); §2.4.4 labels the
  marsh storage 0.3·S·10⁶ as 10⁴ m³ although it is m³ (S = 2,000 km² of marsh, ~70 % of the
  2,864 km² of wetland, gives the 6.00 亿m³ of Table 3);
* the industrial water use, 150.17 亿m³ (Table 3 and §3.1), is what the paper valued (150.17 ×
  3.6 = 540.612 ≈ 540.6113) and is reproduced, but it is implausible as industrial use: about
  14,000 m³ per inhabitant (1.06 million people), 85 % of the provisioning value and about 4 ×
  the prefecture's GDP (GEP = 61 × GDP, §4).  It is 1.58 m³ per kWh of the 95.30 亿kWh of
  hydropower, the through-flow of turbines with about 270 m of head at 85 % efficiency: the
  source (Ma Xingjuan 2013, ref. 22) probably counts hydropower's non-consumptive through-flow
  as industrial use (a hypothesis: the source was not read).  Not a gepkit question; flagged so
  that the figure is not reused as a plausible one.  (Its magnitude, 10⁵ m³ per km², passes the
  workbook's check; the fishery net output, 0.0356 亿元 or 24 CNY per km², failed it until the
  fishery fields' plausible range was widened.)

Recreation is an input, not a check: the paper gives visits, revenue and the travel-cost value
only, so the value enters as revenue × 70.6669/23.56.  Table 4 (values by ecosystem) cannot be
reproduced: the paper gives no physical quantity by ecosystem, and supplied quantities carry no
ecosystem attribution.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from conftest import accounts_wide
from shapely.geometry import box

from gepkit.config import load_config
from gepkit.errors import InputError
from gepkit.grid import CHINA_ALBERS
from gepkit.pipeline import RunResult, run
from gepkit.plan import prepare

FIXTURE = Path(__file__).parent / "fixtures" / "garze"
CODE = "513300"
YI = 1e8  # CNY per 亿元
AREA_KM2 = 149_687.70  # Table 1: the prefecture's mapped area
#: Half a unit of the last digit of Table 3's values (four decimals, 亿元).
VALUE_ROUNDING = 0.5e-4
#: Half a unit of the last digit of the item totals, class totals and GEP (two decimals, 亿元).
TOTAL_ROUNDING = 0.5e-2


@dataclass(frozen=True)
class Line:
    """One line of Table 3: the value (亿元, four decimals) of the quantity supplied to gepkit."""

    item: str
    key: str | None
    """The part (parts table) or component (components table) valued; None: the whole item."""
    quantity: float
    """The quantity supplied, as printed (for a component: the item's quantity it derives from)."""
    decimals: int
    """Decimals printed of ``quantity``."""
    per_unit: float
    """亿元 per unit of ``quantity`` (the paper's price, with its unit conversion)."""
    value: float
    """Table 3's value, 亿元."""

    @property
    def tolerance(self) -> float:
        """Rounding of the printed quantity, valued, plus the rounding of the printed value."""
        return 0.5 * 10.0**-self.decimals * self.per_unit + VALUE_ROUNDING


#: Table 3, line by line.  Quantities in the units Table 3 prints them in; per_unit converts.
TABLE3 = (
    # provisioning: net output (净产值) of 2010 [21], already a value
    Line("agricultural_products", None, 12.2875, 4, 1.0, 12.2875),
    Line("forestry_products", None, 2.3777, 4, 1.0, 2.3777),
    Line("livestock_products", None, 22.0760, 4, 1.0, 22.0760),
    Line("fishery_products", None, 0.0356, 4, 1.0, 0.0356),
    # water use, 亿m³ × CNY/m³
    Line("water_supply", "domestic_water", 1.36, 2, 2.6, 3.5400),
    Line("water_supply", "industrial_water", 150.17, 2, 3.6, 540.6113),
    Line("water_supply", "agricultural_water", 17.31, 2, 0.07, 1.2117),
    # hydropower, 亿kWh × CNY/kWh
    Line("ecological_energy", "hydropower", 95.30, 2, 0.53, 50.5090),
    # regulating
    Line("water_conservation", None, 321.49, 2, 7.06, 2269.7074),
    # soil retained 38.86 亿t (§3.2.2): λ/ρ·c, C_N·p_N, C_P·p_P per t
    Line("soil_retention", "siltation", 38.86, 2, 0.24 / 0.93 * 15.58, 156.2555),
    Line("soil_retention", "nitrogen", 38.86, 2, 0.0037 * 875, 125.8199),
    Line("soil_retention", "phosphorus", 38.86, 2, 0.00108 * 2800, 117.5226),
    # sand fixed 779.42 万t: 10⁴ t / (ρ·h) m² × 3.75 CNY/m²
    Line("sand_fixation", None, 779.42, 2, 1e4 / (1.28 * 0.1) * 3.75 / YI, 2.2835),
    Line("flood_regulation", "lakes", 2.43, 2, 7.06, 17.1430),
    Line("flood_regulation", "reservoirs", 0.01, 2, 7.06, 0.0684),
    Line("flood_regulation", "marshes", 6.00, 2, 7.06, 42.3436),
    # pollutants, t × CNY/t
    Line("air_purification", "so2", 1137, 0, 1200 / YI, 0.0136),
    Line("air_purification", "nox", 2772, 0, 630 / YI, 0.0175),
    Line("air_purification", "dust", 941, 0, 150 / YI, 0.0014),
    Line("water_purification", "cod", 5424, 0, 700 / YI, 0.0380),
    Line("water_purification", "nh3n", 625, 0, 875 / YI, 0.0055),
    # 亿t CO₂ and O₂ × CNY/t
    Line("carbon_sequestration", None, 0.31, 2, 380, 117.3548),
    Line("oxygen_release", None, 2.51, 2, 727, 1821.9182),
    # 亿kWh × CNY/kWh; "water" is Table 3's 水面蒸发降温增湿, cooling and humidifying together
    Line("climate_regulation", "vegetation", 2799.10, 2, 0.53, 1483.5208),
    Line("climate_regulation", "water", 1272.35, 2, 0.53, 674.3433),
    # 万hm² × CNY/hm²
    Line("pest_control", "forest_pest_control", 158, 0, 375e4 / YI, 5.9250),
    Line("pest_control", "grassland_pest_control", 711.13, 2, 112.5e4 / YI, 8.0003),
    # cultural: an input (revenue × 70.6669 / 23.56), exact by construction
    Line("recreation", None, 70.6669, 4, 1.0, 70.6669),
)

#: Table 3's item totals (two decimals, 亿元); carbon and oxygen form one service there.
ITEM_TOTALS = {
    ("agricultural_products",): 12.29,
    ("forestry_products",): 2.38,
    ("livestock_products",): 22.08,
    ("fishery_products",): 0.04,
    ("water_supply",): 545.36,
    ("ecological_energy",): 50.51,
    ("water_conservation",): 2269.71,
    ("soil_retention",): 399.60,
    ("sand_fixation",): 2.28,
    ("flood_regulation",): 59.56,
    ("air_purification",): 0.03,
    ("water_purification",): 0.04,
    ("carbon_sequestration", "oxygen_release"): 1939.27,
    ("climate_regulation",): 2157.86,
    ("pest_control",): 13.93,
    ("recreation",): 70.67,
}

#: Table 3's class totals and GEP, as printed (亿元).
PRINTED_TOTALS = {"provisioning": 632.64, "regulating": 6842.28, "cultural": 70.67, "gep": 7545.59}

#: Printed totals that do not add up from the paper's own lines (see the module docstring):
#: the figure the lines give, and why the paper prints another.
PAPER_SLIPS = {
    "provisioning": (
        632.6488,
        "summed from the text's two-decimal figures (§3.1), which misprint livestock (22.07) "
        "and water supply (545.35)",
    ),
    "gep": (7545.5980, "inherits the provisioning slip"),
}
#: The text's figures (§3.1) that add up to the printed provisioning total.
TEXT_PROVISIONING = (12.29, 2.38, 22.07, 0.04, 545.35, 50.51)

CLASS_OF = {
    "provisioning": (
        "agricultural_products",
        "forestry_products",
        "livestock_products",
        "fishery_products",
        "water_supply",
        "ecological_energy",
    ),
    "cultural": ("recreation",),
}
CLASS_OF["regulating"] = tuple(
    dict.fromkeys(
        line.item
        for line in TABLE3
        if line.item not in CLASS_OF["provisioning"] + CLASS_OF["cultural"]
    )
)

#: Quantities whose unrounded value the paper pins down (see the module docstring): supplied
#: instead of the printed ones by the second run, as (item, part) → (quantity, unit).
UNROUNDED = {
    ("soil_retention", ""): ("38.86329", "亿t"),
    ("pest_control", "grassland"): ("71113.87", "km2"),
}


# -- the runs ---------------------------------------------------------------------------------


def write_region(folder: Path) -> None:
    """Units file and land cover beside the fixture's gep.toml: one square unit of Garzê's area,
    on a uniform grassland (the land cover is required by every run; no item reads it here)."""
    side = math.sqrt(AREA_KM2) * 1000.0
    x0, y0 = 0.0, 3_000_000.0
    unit = {"code": CODE, "name": "甘孜藏族自治州", "parent_code": "", "level": "city"}
    gpd.GeoDataFrame(
        [{**unit, "geometry": box(x0, y0, x0 + side, y0 + side)}],
        geometry="geometry",
        crs=CHINA_ALBERS,
    ).to_file(folder / "units.gpkg", driver="GPKG")
    cell, margin = 10_000.0, 20_000.0
    n = math.ceil((side + 2 * margin) / cell)
    with rasterio.open(
        folder / "landcover.tif",
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="uint8",
        crs=CHINA_ALBERS,
        transform=Affine(cell, 0, x0 - margin, 0, -cell, y0 + side + margin),
        nodata=255,
    ) as dst:
        dst.write(np.full((1, n, n), 10, dtype="uint8"))  # IGBP 10 grassland


def build(folder: Path, supplied: dict[tuple[str, str], tuple[str, str]] | None = None) -> Path:
    """Copy the fixture to ``folder``, with some supplied quantities replaced; return gep.toml."""
    shutil.copytree(FIXTURE, folder)
    write_region(folder)
    if supplied:
        path = folder / "stats" / "supplied.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        item, part = frame.columns[2], frame.columns[3]
        for (item_id, part_id), (quantity, unit) in supplied.items():
            rows = (frame[item] == item_id) & (frame[part] == part_id)
            assert rows.sum() == 1, (item_id, part_id)
            frame.loc[rows, frame.columns[4:6]] = [quantity, unit]
        frame.to_csv(path, index=False)
    return folder / "gep.toml"


@pytest.fixture(scope="module")
def garze(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """The account from Table 3's printed quantities."""
    folder = tmp_path_factory.mktemp("garze")
    return run(load_config(build(folder / "region")), folder / "out")


@pytest.fixture(scope="module")
def unrounded(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """The account with the quantities of :data:`UNROUNDED`."""
    folder = tmp_path_factory.mktemp("garze_unrounded")
    return run(load_config(build(folder / "region", UNROUNDED)), folder / "out")


def item_value(result: RunResult, item: str) -> float:
    accounts = accounts_wide(result.tables["accounts"])
    row = accounts[(accounts["unit_code"].astype(str) == CODE) & (accounts["item"] == item)]
    assert len(row) == 1, item
    return float(row["value"].iloc[0]) / YI


def line_value(result: RunResult, line: Line) -> float:
    """gepkit's value of a line, 亿元: its component, or its part's share of the item's value
    when the item is valued as a whole (flood regulation, climate regulation)."""
    if line.key is None:
        return item_value(result, line.item)
    components = result.tables["components"]
    components = components[components["item"] == line.item]
    if line.key in set(components["component"]):
        row = components[components["component"] == line.key]
        assert len(row) == 1, line
        return float(row["value"].iloc[0]) / YI
    parts = result.tables["parts"]
    part = parts[(parts["item"] == line.item) & (parts["part"] == line.key)]
    assert len(part) == 1, line
    assert len(components) == 1, line
    component = components.iloc[0]
    assert pd.isna(component["part"]) or component["part"] == "", line
    price = float(component["value"]) / float(component["quantity"])
    return float(part["quantity"].iloc[0]) * price / YI


def component_quantity(result: RunResult, item: str, component: str) -> float:
    components = result.tables["components"]
    row = components[(components["item"] == item) & (components["component"] == component)]
    assert len(row) == 1, (item, component)
    return float(row["quantity"].iloc[0])


def summary(result: RunResult) -> pd.Series:
    frame = result.tables["summary"]
    return frame[frame["unit_code"].astype(str) == CODE].iloc[0]


# -- Table 3, line by line --------------------------------------------------------------------


@pytest.mark.parametrize("line", TABLE3, ids=lambda line: f"{line.item}-{line.key or 'item'}")
def test_table3_lines(garze, line):
    """Every line of Table 3 from its printed quantity, within the rounding of that quantity."""
    assert line_value(garze, line) == pytest.approx(line.value, abs=line.tolerance)


def test_item_totals(garze):
    """Table 3's two-decimal item totals (carbon with oxygen), within their lines' tolerances."""
    for items, printed in ITEM_TOTALS.items():
        value = sum(item_value(garze, item) for item in items)
        tolerance = sum(line.tolerance for line in TABLE3 if line.item in items) + TOTAL_ROUNDING
        assert value == pytest.approx(printed, abs=tolerance), items


def test_no_other_items(garze):
    accounts = accounts_wide(garze.tables["accounts"])
    assert set(accounts["item"]) == {line.item for line in TABLE3}
    assert set(accounts_wide(garze.tables["accounts"])["category"]) == set(CLASS_OF)


def test_class_totals_and_gep(garze):
    """Class totals and GEP: the printed figures, or for the two the paper misprints the sums of
    its own lines (PAPER_SLIPS), within the lines' tolerances; gepkit's totals are the sums of
    its items."""
    row = summary(garze)
    accounts = accounts_wide(garze.tables["accounts"])
    for name in ("provisioning", "regulating", "cultural", "gep"):
        items = (
            {line.item for line in TABLE3}
            if name == "gep"
            else set(accounts.loc[accounts["category"] == name, "item"])
        )
        if name != "gep":
            assert items == set(CLASS_OF[name])
        expected = PAPER_SLIPS[name][0] if name in PAPER_SLIPS else PRINTED_TOTALS[name]
        tolerance = sum(line.tolerance for line in TABLE3 if line.item in items) + TOTAL_ROUNDING
        value = float(row[name]) / YI
        assert value == pytest.approx(expected, abs=tolerance), name
        assert value == pytest.approx(sum(item_value(garze, i) for i in items), rel=1e-12)
    assert float(row["gep"]) == pytest.approx(
        float(row["provisioning"] + row["regulating"] + row["cultural"]), rel=1e-12
    )
    assert float(row["area_km2"]) == pytest.approx(AREA_KM2, rel=1e-9)


def test_paper_arithmetic_and_its_slips():
    """Table 3 adds up, but for the named slips: then its printed total is the text's sum."""
    for items, printed in ITEM_TOTALS.items():
        lines = sum(line.value for line in TABLE3 if line.item in items)
        assert abs(lines - printed) <= TOTAL_ROUNDING + 1e-9, items
    for name, items in CLASS_OF.items():
        values = [line.value for line in TABLE3 if line.item in items]
        # the printed total may differ from the sum by its own rounding and its lines'
        allowed = TOTAL_ROUNDING + len(values) * VALUE_ROUNDING
        if name in PAPER_SLIPS:
            assert sum(values) == pytest.approx(PAPER_SLIPS[name][0], abs=1e-9)
            assert abs(sum(values) - PRINTED_TOTALS[name]) > allowed, name
        else:
            assert abs(sum(values) - PRINTED_TOTALS[name]) <= allowed, name
    assert sum(TEXT_PROVISIONING) == pytest.approx(PRINTED_TOTALS["provisioning"], abs=1e-9)
    # GEP from the printed provisioning total matches the printed GEP; from the lines it does not
    regulating_and_cultural = sum(
        line.value for line in TABLE3 if line.item not in CLASS_OF["provisioning"]
    )
    from_printed = PRINTED_TOTALS["provisioning"] + regulating_and_cultural
    assert abs(from_printed - PRINTED_TOTALS["gep"]) <= TOTAL_ROUNDING
    assert sum(line.value for line in TABLE3) == pytest.approx(PAPER_SLIPS["gep"][0], abs=1e-9)
    assert abs(PAPER_SLIPS["gep"][0] - PRINTED_TOTALS["gep"]) > TOTAL_ROUNDING


# -- quantities gepkit derives ----------------------------------------------------------------


def test_derived_quantities(garze):
    """Soil retention's sediment volume and N and P loads, the sand-covered area, and the §3
    totals of flood storage and climate energy, from the printed quantities."""
    soil = 0.005e8  # t: half a unit of the printed 38.86 亿t, propagated below
    sand = 0.005e4  # t: half a unit of the printed 779.42 万t
    derived = [
        # (gepkit's quantity in the printed unit, printed, propagated rounding of the input)
        (
            component_quantity(garze, "soil_retention", "siltation") / 1e8,
            10.03,
            0.24 / 0.93 * soil / 1e8,
        ),
        (
            component_quantity(garze, "soil_retention", "nitrogen") / 1e4,
            1437.94,
            0.0037 * soil / 1e4,
        ),
        (
            component_quantity(garze, "soil_retention", "phosphorus") / 1e4,
            419.72,
            0.00108 * soil / 1e4,
        ),
        # §3.2.3: 固沙面积 60.89 km²
        (
            component_quantity(garze, "sand_fixation", "sand_control") / 1e6,
            60.89,
            sand / 0.128 / 1e6,
        ),
    ]
    for value, printed, propagated in derived:
        assert value == pytest.approx(printed, abs=0.005 + propagated), printed
    accounts = accounts_wide(garze.tables["accounts"]).set_index("item")
    # §3.2.4: 8.44 亿m³ in all; §3.2.8: 4071.44 亿kWh (the parts as printed add up to 4071.45)
    assert float(accounts.at["flood_regulation", "quantity"]) / 1e8 == pytest.approx(
        8.44, abs=3 * 0.005 + 0.005
    )
    assert float(accounts.at["climate_regulation", "quantity"]) / 1e8 == pytest.approx(
        4071.44, abs=2 * 0.005 + 0.005
    )


# -- the unrounded quantities -----------------------------------------------------------------


def test_soil_retention_components_follow_from_one_quantity(unrounded):
    """38.86329 亿t gives all three components to the paper's last digit, and the derived
    quantities as printed: λ, ρ, C_N, C_P and the prices are the paper's, and so are gepkit's
    formulas."""
    for line in TABLE3:
        if line.item == "soil_retention":
            tolerance = 0.5e-5 * line.per_unit + VALUE_ROUNDING  # 38.86329: five decimals
            assert line_value(unrounded, line) == pytest.approx(line.value, abs=tolerance), line
    quantity = component_quantity
    assert round(quantity(unrounded, "soil_retention", "siltation") / 1e8, 2) == 10.03
    assert round(quantity(unrounded, "soil_retention", "nitrogen") / 1e4, 2) == 1437.94
    assert round(quantity(unrounded, "soil_retention", "phosphorus") / 1e4, 2) == 419.72
    assert item_value(unrounded, "soil_retention") == pytest.approx(399.5980, abs=2e-4)


def test_grassland_pest_control_is_table1_grassland(unrounded):
    """Table 1's grassland, 71,113.87 km², gives 8.0003 exactly; 711.13 万hm² is it truncated."""
    line = next(line for line in TABLE3 if line.key == "grassland_pest_control")
    assert line_value(unrounded, line) == pytest.approx(line.value, abs=VALUE_ROUNDING)
    parts = unrounded.tables["parts"]
    area = parts.loc[(parts["item"] == "pest_control") & (parts["part"] == "grassland"), "quantity"]
    assert float(area.iloc[0]) == pytest.approx(7_111_387.0, rel=1e-12)  # hm²
    assert math.floor(711.1387 * 100) / 100 == 711.13  # truncated, where rounding gives 711.14
    assert item_value(unrounded, "pest_control") == pytest.approx(13.9253, abs=VALUE_ROUNDING)


# -- inputs -----------------------------------------------------------------------------------


def test_the_inputs_are_what_the_paper_prints(garze):
    """The run used the Garzê prices and parameters (no default crept in)."""
    components = garze.tables["components"].set_index("component")
    expected = {
        "domestic_water": 2.6,
        "industrial_water": 3.6,
        "agricultural_water": 0.07,
        "hydropower": 0.53,
        "reservoir_storage": 7.06,
        "siltation": 15.58,
        "nitrogen": 875,
        "phosphorus": 2800,
        "sand_control": 3.75,
        "so2": 1200,
        "nox": 630,
        "dust": 150,
        "cod": 700,
        "nh3n": 875,
        "co2": 380,
        "o2": 727,
        "electricity": 0.53,
        "forest_pest_control": 375,
        "grassland_pest_control": 112.5,
    }
    for component, price in expected.items():
        prices = components.loc[[component], "unit_price"]
        assert prices.to_numpy() == pytest.approx(price, rel=1e-12), component
    # recreation: 70.6669 亿元 over 358.68 万 visits
    assert float(components.at["travel_cost", "unit_price"]) == pytest.approx(
        70.6669e8 / 358.68e4, rel=1e-12
    )
    derivations = " ".join(components["derivation"].astype(str))
    assert "0.24 / 0.93 t/m^3" in derivations
    assert "1.28 t/m^3 × 0.1 m" in derivations
    # the one warning: recreation valued from tourism revenue overlaps provisioning (§3.2)
    warnings = {(w.where, w.field) for w in garze.warnings}
    assert warnings == {("double counting", "tourism_and_provisioning")}


def test_fixture_quantities_are_table3s():
    """Every quantity of the sheet ``supplied`` is a Table 3 quantity of its item: the fixture and
    the table cannot drift apart."""
    frame = pd.read_csv(FIXTURE / "stats" / "supplied.csv", dtype=str, keep_default_na=False)
    item, quantity = frame.columns[2], frame.columns[4]
    assert set(frame[item]) == set(CLASS_OF["regulating"])
    for _, row in frame.iterrows():
        printed = {line.quantity for line in TABLE3 if line.item == row[item]}
        assert float(row[quantity]) in printed, tuple(row)


def test_water_surface_climate_part_is_given_once(tmp_path):
    """Table 3 gives the water-surface term as one figure (part ``water``); supplying it together
    with one of the parts it stands for would count that part twice."""
    config = build(tmp_path / "region")
    supplied = config.parent / "stats" / "supplied.csv"
    with supplied.open("a", encoding="utf-8") as out:
        out.write(f"{CODE},2010,climate_regulation,water_cooling,1,亿kWh\n")
    with pytest.raises(InputError, match="counted twice"):
        prepare(load_config(config))
