"""The statistical reporting domains: what a county statistician reports to gepkit.

Each domain is one sheet of the template workbook (`gep template`) and one CSV of a statistics
folder.  A domain is either *per unit* (one row per unit and year: population, farm output,
water supply …) or a *register* (several rows per unit and year, keyed by a name: products,
tourist origins, reservoirs …).  Every numeric field has the unit it is reported in (the
header says so) and the unit gepkit stores it in; values are converted by pint.

``typical`` gives, for the magnitude check, the plausible range of the field per km² of the
unit (``per = "area"``) or per inhabitant (``per = "person"``), in the stored unit.  It is wide
on purpose (two to four orders of magnitude): it exists to catch a unit slip (元 written where
万元 was asked, a factor 10⁴), not to judge the data.  Values are also compared with the median
of all units: a value more than 10³ times above or below it is reported as a likely slip.

Field names and units follow the Chinese statistical yearbooks (农林牧渔业总产值, 供水量 …) and
the methods catalogue (§2.2, §2.8–2.9, §2.14–2.15, §3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["number", "text"]
Per = Literal["area", "person"]


@dataclass(frozen=True)
class Field:
    id: str
    name_zh: str
    name_en: str
    unit: str
    """Unit of the template's column (what the statistician writes)."""
    stored: str
    """Unit gepkit stores the value in (canonical)."""
    required: bool = False
    kind: Kind = "number"
    per: Per | None = "area"
    typical: tuple[float, float] | None = None
    """Plausible range per km² or per person, in the stored unit (None: no range check)."""

    @property
    def header(self) -> str:
        shown = self.kind == "number" and self.unit not in ("", "dimensionless")
        unit = f" ({self.unit})" if shown else ""
        return f"{self.name_zh} {self.id}{unit}"


@dataclass(frozen=True)
class Domain:
    id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    fields: tuple[Field, ...]
    register: bool = False
    """True: several rows per unit and year, told apart by the ``key`` field."""
    key: str | None = None
    extra_keys: tuple[str, ...] = ()
    """Further fields that tell a register's rows apart (supplied: item and part)."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The fields that identify a row besides the unit code and year."""
        if not self.register or self.key is None:
            return ()
        return (self.key, *self.extra_keys)

    def field(self, field_id: str) -> Field:
        return next(f for f in self.fields if f.id == field_id)


def _money(
    id_: str,
    zh: str,
    en: str,
    *,
    required: bool = False,
    typical: tuple[float, float] | None = (1e3, 1e9),
) -> Field:
    """A money field reported in 万元 (yearbook practice), stored in CNY; typical per km²."""
    return Field(id_, zh, en, "万元", "CNY", required=required, typical=typical)


#: Fishery output is close to nil on plateaus and in deserts (Garzê 2010: net output 0.0356 亿元
#: over 149,688 km², 24 CNY per km²), far below the other sectors' lower bound.
FISHERY_TYPICAL = (1.0, 1e9)

DOMAINS: dict[str, Domain] = {
    d.id: d
    for d in (
        Domain(
            "population",
            "人口",
            "Population",
            "年末常住人口（或普查人口）。",
            "Resident population at the end of the year (or census).",
            (
                Field(
                    "population",
                    "常住人口",
                    "resident population",
                    "人",
                    "person",
                    required=True,
                    per="area",
                    typical=(1.0, 1e5),
                ),
            ),
        ),
        Domain(
            "gdp",
            "地区生产总值",
            "Gross domestic product",
            "当年价地区生产总值；实际增长率按可比价计算。",
            "GDP at current prices; real growth at comparable prices.",
            (
                _money("gdp", "地区生产总值", "GDP", required=True, typical=(1e4, 1e11)),
                Field(
                    "gdp_real_growth",
                    "地区生产总值实际增长率",
                    "real GDP growth",
                    "percent",
                    "percent",
                    per=None,
                ),
            ),
        ),
        Domain(
            "farm_output",
            "农林牧渔业产值",
            "Agriculture, forestry, livestock and fishery output",
            "按统计年鉴农林牧渔业总产值口径填写（当年价，万元）；净产值与增加值可选。",
            "As the yearbook's gross output of agriculture, forestry, animal husbandry and fishery "
            "(current prices, 10⁴ CNY); net output and value added are optional.",
            (
                _money("agriculture_output", "农业总产值", "agriculture gross output"),
                _money("forestry_output", "林业总产值", "forestry gross output"),
                _money("livestock_output", "牧业总产值", "animal husbandry gross output"),
                _money(
                    "fishery_output", "渔业总产值", "fishery gross output", typical=FISHERY_TYPICAL
                ),
                _money(
                    "other_output",
                    "其他生态产品产值",
                    "other products (seedlings, flowers, herbs …) gross output",
                ),
                _money("agriculture_net_output", "农业净产值", "agriculture net output"),
                _money("forestry_net_output", "林业净产值", "forestry net output"),
                _money("livestock_net_output", "牧业净产值", "animal husbandry net output"),
                _money(
                    "fishery_net_output",
                    "渔业净产值",
                    "fishery net output",
                    typical=FISHERY_TYPICAL,
                ),
                _money("agriculture_value_added", "农业增加值", "agriculture value added"),
                _money("forestry_value_added", "林业增加值", "forestry value added"),
                _money("livestock_value_added", "牧业增加值", "animal husbandry value added"),
                _money(
                    "fishery_value_added",
                    "渔业增加值",
                    "fishery value added",
                    typical=FISHERY_TYPICAL,
                ),
            ),
        ),
        Domain(
            "products",
            "主要产品产量",
            "Products by quantity",
            "按产品逐行填写产量与单价（元/计量单位），用于“产量×价格”方法。",
            "One row per product: quantity and unit price (CNY per unit), for the quantity × price "
            "method.",
            (
                Field(
                    "item",
                    "所属核算项目",
                    "GEP item (agricultural_products …)",
                    "",
                    "",
                    required=True,
                    kind="text",
                    per=None,
                ),
                Field(
                    "product", "产品名称", "product", "", "", required=True, kind="text", per=None
                ),
                Field("quantity", "产量", "quantity", "", "", required=True, per=None),
                Field(
                    "quantity_unit",
                    "计量单位",
                    "unit of the quantity (t, m^3, head …)",
                    "",
                    "",
                    required=True,
                    kind="text",
                    per=None,
                ),
                Field("unit_price", "单价", "unit price", "元", "CNY", required=True, per=None),
            ),
            register=True,
            key="product",
            extra_keys=("item",),
        ),
        Domain(
            "water_supply",
            "供水量",
            "Water supply",
            "按水资源公报口径填写各用途供（用）水量（万立方米）。",
            "Water supplied (used) by use, as the water-resources bulletin (10⁴ m³).",
            tuple(
                Field(
                    f"{use}_water",
                    f"{zh}用水量",
                    f"{en} water use",
                    "万m3",
                    "m^3",
                    typical=(10.0, 1e7),
                )
                for use, zh, en in (
                    ("domestic", "生活", "domestic"),
                    ("industrial", "工业", "industrial"),
                    ("agricultural", "农业", "agricultural"),
                    ("ecological", "生态环境", "ecological"),
                )
            ),
        ),
        Domain(
            "hydropower",
            "水力发电",
            "Hydropower",
            "当年水力发电量（万千瓦时）。",
            "Hydropower generation of the year (10⁴ kWh).",
            (
                Field(
                    "hydropower",
                    "水力发电量",
                    "hydropower generation",
                    "万kWh",
                    "kWh",
                    typical=(1.0, 1e9),
                ),
            ),
        ),
        Domain(
            "emissions",
            "污染物排放",
            "Pollutant emissions",
            "按生态环境统计口径填写排放量（吨）；水污染物为进入水体的负荷。",
            "Emissions as the ecology-and-environment statistics (t); water pollutants: loads "
            "entering water bodies.",
            tuple(
                Field(p, zh, en, "t", "t", typical=(1e-3, 1e4))
                for p, zh, en in (
                    ("so2", "二氧化硫", "SO₂"),
                    ("nox", "氮氧化物", "NOx"),
                    ("dust", "颗粒物（烟粉尘）", "dust / particulate matter"),
                    ("fluoride", "氟化物", "fluoride"),
                    ("cod", "化学需氧量", "COD"),
                    ("nh3n", "氨氮", "NH₃-N"),
                    ("tn", "总氮", "total N"),
                    ("tp", "总磷", "total P"),
                )
            ),
        ),
        Domain(
            "reservoirs",
            "水库名录",
            "Reservoir register",
            "每座水库一行：坝址经纬度（WGS84）或所在单位代码；总库容与防洪库容（万立方米）。",
            "One row per reservoir: dam longitude/latitude (WGS84) or the unit's code; total and "
            "flood-control capacity (10⁴ m³).",
            (
                Field(
                    "name", "水库名称", "reservoir", "", "", required=True, kind="text", per=None
                ),
                Field("lon", "坝址经度", "dam longitude", "degree", "degree", per=None),
                Field("lat", "坝址纬度", "dam latitude", "degree", "degree", per=None),
                Field(
                    "total_capacity",
                    "总库容",
                    "total capacity",
                    "万m3",
                    "m^3",
                    required=True,
                    per=None,
                ),
                Field(
                    "flood_capacity", "防洪库容", "flood-control capacity", "万m3", "m^3", per=None
                ),
            ),
            register=True,
            key="name",
        ),
        Domain(
            "lakes",
            "湖泊名录",
            "Lake register",
            "每个湖泊一行（完整湖泊，不分片）：水面面积（平方千米）；湖泊边界请另以矢量文件提供。",
            "One row per whole lake (never fragments): water area (km²); give lake polygons as a "
            "vector file when available.",
            (
                Field("name", "湖泊名称", "lake", "", "", required=True, kind="text", per=None),
                Field("area", "水面面积", "water area", "km^2", "km^2", required=True, per=None),
            ),
            register=True,
            key="name",
        ),
        Domain(
            "tourism",
            "旅游",
            "Tourism",
            "接待游客人次（万人次）与旅游总收入（万元）。",
            "Visits received (10⁴ visits) and total tourism revenue (10⁴ CNY).",
            (
                Field(
                    "visits",
                    "接待游客人次",
                    "visits",
                    "万人次",
                    "visit",
                    per="person",
                    typical=(1e-2, 1e3),
                ),
                _money("revenue", "旅游总收入", "tourism revenue", typical=(1e2, 1e10)),
            ),
        ),
        Domain(
            "tourism_origins",
            "游客来源与旅行费用",
            "Visitor origins and travel costs",
            "按客源地（或游客类型）逐行填写：人次、平均旅行天数、日均工资（时间成本）、人均直接花费。",
            "One row per origin (or visitor type): visits, mean travel days, daily wage (the "
            "opportunity cost of time), direct spending per visit.",
            (
                Field("origin", "客源地", "origin", "", "", required=True, kind="text", per=None),
                Field("visits", "人次", "visits", "万人次", "visit", required=True, per=None),
                Field(
                    "travel_days",
                    "平均旅行天数",
                    "mean travel time",
                    "day",
                    "day",
                    required=True,
                    per=None,
                ),
                Field("daily_wage", "日均工资", "daily wage", "元", "CNY", required=True, per=None),
                Field(
                    "spending_per_visit",
                    "人均直接花费",
                    "direct spending per visit",
                    "元",
                    "CNY",
                    required=True,
                    per=None,
                ),
            ),
            register=True,
            key="origin",
        ),
        Domain(
            "housing",
            "景观价值",
            "Landscape (hedonic) value",
            "受益于邻近生态系统的住房建筑面积（平方米）与单位面积溢价（元/平方米）。",
            "Floor area of housing that benefits from a nearby ecosystem (m²) and the price "
            "premium per m² (CNY/m²).",
            (
                Field(
                    "benefiting_floor_area",
                    "受益住房建筑面积",
                    "benefiting floor area",
                    "m^2",
                    "m^2",
                    typical=(1.0, 1e7),
                ),
                Field("premium", "单位面积溢价", "price premium", "元/m^2", "CNY/m^2", per=None),
            ),
        ),
        Domain(
            "imports",
            "区域外生态产品",
            "Ecosystem products from outside the region",
            "来自区域外的生态产品价值（万元，当年价），按 GB/T 46869—2025 从 GEP 中扣减。",
            "Value of ecosystem products coming from outside the region (10⁴ CNY, current "
            "prices), deducted from GEP as GB/T 46869—2025 requires.",
            (
                Field("item", "核算项目", "GEP item", "", "", required=True, kind="text", per=None),
                _money("value", "价值", "value", typical=None),
            ),
            register=True,
            key="item",
        ),
        Domain(
            "supplied",
            "直接提供的实物量",
            "Supplied physical quantities",
            "由主管部门提供、替代模型计算的实物量：逐行填写核算项目、分项、数量与单位。",
            "Physical quantities supplied by a department instead of being computed: item, part, "
            "quantity and its unit, one row each.",
            (
                Field("item", "核算项目", "GEP item", "", "", required=True, kind="text", per=None),
                Field(
                    "part", "分项", "part (blank: the whole item)", "", "", kind="text", per=None
                ),
                Field("quantity", "数量", "quantity", "", "", required=True, per=None),
                Field(
                    "quantity_unit",
                    "单位",
                    "unit of the quantity",
                    "",
                    "",
                    required=True,
                    kind="text",
                    per=None,
                ),
            ),
            register=True,
            key="item",
            extra_keys=("part",),
        ),
    )
}

#: Single statistics used by items, as (domain, field).
STATISTIC_FIELDS: dict[str, tuple[str, str]] = {
    "population": ("population", "population"),
    "gdp": ("gdp", "gdp"),
    "gdp_real_growth": ("gdp", "gdp_real_growth"),
    **{
        f"emissions_{p}": ("emissions", p)
        for p in ("so2", "nox", "dust", "fluoride", "cod", "nh3n", "tn", "tp")
    },
}
