"""Every word of the accounting report, in Chinese and English.

Item names come from the run's manifest (``name_zh`` / ``name_en``); this module holds the
labels of the report, the names of units, levels, valuation methods and confidence tags, and a
short method note (方法说明) with its formulas for every item of the shipped catalogue
(:data:`gepkit.catalogue.items.ITEMS`), written from docs/methods/*.md.  The notes describe the
method; the run's own record (method text, options, parameters and prices) is printed beside
them from the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGS = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{region}生态产品总值（GEP）核算报告",
        "subtitle_years": "核算年度：{years}",
        "subtitle_main": "报告年度 {year} 年",
        "running": "{region} · {year} 年生态产品总值（GEP）核算报告",
        "profile": "核算规范",
        "prices": "价格基准",
        "prices_text": "当年价；{base} 年不变价（可比价）",
        "prices_text_current": "当年价",
        "generated": "生成日期",
        "generated_by": "生成工具",
        "run_folder": "核算结果目录",
        "run_version": "核算所用 gepkit 版本",
        "accounts_sha": "accounts.csv SHA-256",
        "demo": "演示数据",
        "demo_flag": "演示数据 · 非官方核算",
        "demo_zh": "本报告所用核算为 gepkit 的演示核算：部分输入是根据公开的省级量级制作的演示字段，"
        "不是实测值；结果不是{region}官方或研究性的 GEP 核算，不能用于决策、考核或对外发布。",
        "contents": "目录",
        "page": "页",
        "table": "表 {n}",
        "figure": "图 {n}",
        "unit_label": "单位：{unit}",
        "source_label": "数据来源：{source}",
        "none": "无",
        "yes": "是",
        "no": "否",
        "dash": "–",
        "k_mark_note": "※ 标记置信度为 [K] 的参数和价格：取自背景知识、尚未在原始文献中核实，须在正式"
        "核算前确认（见第 {section} 节“待核实的参数”）。",
        # sections
        "s_summary": "核算结果摘要",
        "s_overview": "核算范围与方法概况",
        "s_headline": "主要指标",
        "s_extent": "生态系统格局",
        "s_system": "核算指标体系",
        "s_quantity": "生态产品实物量",
        "s_prices": "价格参数",
        "s_values": "生态产品价值量",
        "s_ecosystem": "按生态系统类型的价值量",
        "s_units": "分区域核算结果",
        "s_change": "年际变化（可比价）",
        "s_maps": "空间分布图",
        "s_quality": "数据来源与质量控制",
        "s_methods": "方法说明",
        # summary
        "dominant": "单一项目占 GEP 的一半以上，核算结果对该项目的输入与参数十分敏感，宜单独报告并"
        "作敏感性分析（见方法说明及第 {section} 节运行提示）。",
        "card_gep": "GEP（{year} 年，当年价）",
        "card_ratio": "GEP/GDP",
        "card_per_km2": "单位面积 GEP",
        "card_per_capita": "人均 GEP",
        "card_growth": "GEP 实际增长（{prev}—{year} 年）",
        # overview
        "ov_region": "核算区域",
        "ov_units": "核算单元",
        "ov_years": "核算年度",
        "ov_grid": "核算网格",
        "ov_grid_text": "{crs}，{res} 分辨率，{w} × {h} 格；{weighting}",
        "ov_items": "核算项目",
        "ov_items_text": "{n} 项：物质供给 {p} 项，调节服务 {r} 项，文化服务 {c} 项",
        "ov_not_computed": "规范中尚未核算的项目",
        "ov_prices": "价格基准",
        "ov_indexing": "价格年份处理",
        "ov_aggregation": "汇总规则",
        "ov_rasterisation": "边界像元",
        "weighting_centre": "像元整格归属中心所在单元",
        "weighting_coverage": "边界像元按覆盖比例分配",
        "indexing_as_recorded": "各价格记录按原值用于各核算年（as_recorded）；统计报告的产值、旅游收入等按"
        "价格指数折算为不变价",
        "indexing_indexed": "各价格记录按价格指数调整到核算年与基年（indexed）",
        "aggregation_text": "上级单元为下级单元之和（省 = Σ 市 = Σ 县）",
        # headline
        "h_gep": "生态产品总值 GEP",
        "h_provisioning": "物质供给",
        "h_regulating": "调节服务",
        "h_cultural": "文化服务",
        "h_deduction": "扣除区外调入",
        "h_gep_constant": "GEP（{base} 年不变价）",
        "h_real_growth": "GEP 实际增长率",
        "h_gdp": "地区生产总值 GDP",
        "h_ratio": "GEP/GDP（绿金指数）",
        "h_gdp_growth": "GDP 实际增长率",
        "h_dual": "GEP 与 GDP 双增长",
        "h_area": "面积",
        "h_population": "常住人口",
        "h_per_km2": "单位面积 GEP",
        "h_per_capita": "人均 GEP",
        "indicator": "指标",
        "unit": "单位",
        "times": "倍",
        "headline_title": "{region}主要核算指标（{years}）",
        # extent
        "extent_title": "{region}生态系统面积构成（{year} 年）",
        "extent_units_title": "各{level}生态系统面积（{year} 年）",
        "ecosystem": "生态系统类型",
        "area_km2": "面积（km²）",
        "area_col": "面积 {year}",
        "share": "占比",
        "change": "变化",
        "no_data": "无土地覆盖数据",
        "not_by_type": "不按生态系统类型（单元报告）",
        "total": "合计",
        "extent_note": "面积按核算网格像元统计（像元数 × 像元面积）；生态系统分类据 HJ 1172—2021。",
        # indicator system
        "system_title": "生态产品核算指标体系",
        "class": "类别",
        "code": "编号",
        "item": "核算项目",
        "physical": "实物量指标",
        "valuation": "价值量核算方法",
        "price_basis_col": "定价依据",
        "provisioning": "物质供给",
        "regulating": "调节服务",
        "cultural": "文化服务",
        "deduction": "扣除项",
        # quantities
        "quantity_title": "{region}生态产品实物量（{years}）",
        "quantity_col": "实物量 {year}",
        "quantity_change": "变化率",
        "quantity_note": "物质产品（农、林、牧、渔业产品等）的“实物量”为统计报告的当年价产值；"
        "多组分项目的分项列于其下。",
        # prices
        "prices_title": "价值量核算价格（{year} 年，当年价）",
        "component": "价值组分",
        "unit_price": "单价",
        "price_unit": "价格单位",
        "as_recorded": "原始记录",
        "price_year": "价格年份",
        "method": "方法",
        "source": "来源",
        "confidence": "置信度",
        "value_reported": "按统计报告的产值计（1 元/元）",
        "reported_per_unit": "按单元统计报告（见来源）",
        "prices_note": "单价为 {year} 年当年价（含价格因子）；原始记录为价格手册中的取值与其年份。"
        "置信度：[V] 原文核实，[V*] 据原文推算，[S] 二手资料，[K] 背景知识，[D] 演示值。",
        # values
        "values_title": "{region}生态产品价值量（{year} 年）",
        "value_current": "价值量（当年价）",
        "value_constant": "价值量（{base} 年价）",
        "share_class": "占本类",
        "share_gep": "占 GEP",
        "values_note": "比例按当年价计算。",
        "composition_title": "{year} 年 GEP 构成",
        "items_chart_title": "{year} 年各项生态产品价值量",
        # by ecosystem
        "eco_title": "{region}各生态系统类型的生态产品价值量（{year} 年，当年价）",
        "eco_note": "逐像元计算的项目按像元的生态系统类型归类；统计报告的项目归入其来源生态系统"
        "（农业产品→农田，林业产品→森林，渔业产品→湿地），无单一来源的列入“不按生态系统类型”。",
        # units
        "units_title": "各{level} GEP 及单位面积 GEP（{year} 年，当年价）",
        "units_items_title": "各{level}分项价值量（{year} 年，当年价）",
        "leaves_title": "各{level} GEP 及排名（{year} 年，当年价）",
        "name": "名称",
        "parent": "所属",
        "rank": "排名",
        "rank_per_km2": "地均排名",
        "rank_gep": "总量排名",
        "per_km2_short": "地均 GEP",
        "per_capita_short": "人均 GEP",
        "units_note": "排名由高到低：GEP 之后的排名为总量排名，地均 GEP 之后的为单位面积 GEP 排名。",
        "ranking_chart_title": "各{level}单位面积 GEP（{year} 年）",
        "leaves_chart_title": "单位面积 GEP 最高的 {n} 个{level}（{year} 年）",
        "code_legend": "项目代码：{legend}",
        # change
        "change_title": "{region}生态产品变化（{a}—{b} 年，{base} 年不变价）",
        "units_change_title": "各{level} GEP 变化（{a}—{b} 年）",
        "q_from": "实物量 {year}",
        "q_to": "实物量 {year}",
        "v_from": "价值量 {year}",
        "v_to": "价值量 {year}",
        "real_growth": "实际增长",
        "nominal_growth": "名义增长",
        "difference": "增减额",
        "gdp_growth": "GDP 实际增长",
        "dual": "双增长",
        "change_note": "价值量为 {base} 年不变价，实际增长反映实物量（物量）变化；名义增长按当年价计算。"
        "物质产品的实物量为当年价产值，其变化率为名义变化。",
        "time_series_title": "{region} GEP（{years}）",
        "series_current": "当年价",
        "series_constant": "{base} 年不变价",
        # maps
        "value_map_title": "{item}价值量空间分布（{year} 年）",
        "value_map_legend": "万元/km²",
        "choropleth_title": "各{level}单位面积 GEP（{year} 年）",
        "choropleth_legend": "万元/km²",
        "maps_intro": "像元图为各调节服务项目逐像元的价值量（当年价），按像元面积折算为每平方公里价值；"
        "区划图为各单元单位面积 GEP。",
        # quality
        "inputs_title": "输入数据",
        "layer": "数据层",
        "file": "文件",
        "years": "年份",
        "crs": "坐标系",
        "size": "栅格大小",
        "grid_info": "坐标系 · 大小 · 重采样",
        "note_prefix": "注：",
        "colon": "：",
        "resampling": "重采样",
        "units": "单位",
        "demo_col": "演示",
        "statistics_title": "统计数据与登记册",
        "tables_title": "参数表",
        "domain": "内容",
        "checks_title": "核算校验结果",
        "check": "校验",
        "checked": "校验数",
        "passed": "通过",
        "failed": "未通过",
        "max_diff": "最大相对差",
        "gaps_title": "缺失数据",
        "gaps_none": "各项目在其核算范围内均无缺失数据的像元（gaps.csv 为空）。",
        "gaps_text": "{item}：{km2} km² 的像元缺少输入，未计入核算，占区域面积 {share}。",
        "missing_km2": "缺失面积（km²）",
        "share_of_area": "占区域面积",
        "warnings_title": "运行提示",
        "double_title": "重复计算审查",
        "status": "结论",
        "tbc_title": "待核实的参数与取值",
        "tbc_intro": "以下取值的置信度为 [S]（二手资料）、[K]（背景知识）或 [D]（演示值），"
        "正式核算前须核实；其中 [K] 以 ※ 标出。",
        "what": "参数",
        "value": "取值",
        "check_units_sum_to_raster_total": "单元之和 = 栅格总量",
        "check_children_sum_to_parent": "下级之和 = 上级",
        "check_parent_polygon_vs_children": "上级多边形与下级之和",
        "check_capped_at_statistic": "净化量不超过排放量",
        "check_bound": "合理性上限：{what}",
        "bound_precipitation_volume": "水源涵养量 ≤ 降水量",
        "bound_potential_erosion": "土壤保持量 ≤ 潜在侵蚀量",
        "bound_storm_precipitation_volume": "洪水调蓄量 ≤ 暴雨降水量 + 湖库沼泽调蓄",
        "bound_potential_wind_erosion": "固沙量 ≤ 潜在风蚀量",
        "dc_ok": "通过",
        "dc_note": "说明",
        "dc_warning": "警示",
        # methods
        "methods_intro": "各项目的核算方法、公式与本次核算所用参数。参数与价格均来自 gepkit 价格与参数"
        "手册（src/gepkit/catalogue/data/），运行记录见 manifest.json。",
        "formula": "公式",
        "run_method": "本次核算（运行记录）",
        "options": "选项",
        "parameters": "参数与价格",
        "kind": "类型",
        "kind_parameter": "参数",
        "kind_price": "价格",
        "key": "名称",
        "year": "年份",
        "notes": "注",
        "reported_from": "统计来源",
        "not_computed_note": "本版本 gepkit 尚未计算此项目。",
        "footer_text": "gepkit {version} · 据核算结果目录生成，每个数字可追溯至 report_data.json 所列的"
        "文件与行",
    },
    "en": {
        "title": "Gross Ecosystem Product (GEP) Accounting Report: {region}",
        "subtitle_years": "Accounting years: {years}",
        "subtitle_main": "reporting year {year}",
        "running": "{region} · GEP accounting report {year}",
        "profile": "Specification",
        "prices": "Price basis",
        "prices_text": "current prices; constant {base} prices (comparable prices)",
        "prices_text_current": "current prices",
        "generated": "Generated",
        "generated_by": "Generated by",
        "run_folder": "Run folder",
        "run_version": "gepkit version of the run",
        "accounts_sha": "accounts.csv SHA-256",
        "demo": "DEMO DATA",
        "demo_flag": "DEMO DATA · not an official account",
        "demo_zh": "",
        "contents": "Contents",
        "page": "page",
        "table": "Table {n}",
        "figure": "Figure {n}",
        "unit_label": "Unit: {unit}",
        "source_label": "Source: {source}",
        "none": "none",
        "yes": "yes",
        "no": "no",
        "dash": "–",
        "k_mark_note": "※ marks parameters and prices tagged [K]: background knowledge not yet "
        "verified in a source; confirm them before an official account (section {section}, "
        "“values to be confirmed”).",
        "s_summary": "Summary of results",
        "s_overview": "Scope and methods",
        "s_headline": "Headline indicators",
        "s_extent": "Ecosystem extent",
        "s_system": "Indicator system",
        "s_quantity": "Physical quantities",
        "s_prices": "Prices",
        "s_values": "Values",
        "s_ecosystem": "Values by ecosystem type",
        "s_units": "Results by sub-unit",
        "s_change": "Change between years (constant prices)",
        "s_maps": "Maps",
        "s_quality": "Data sources and quality control",
        "s_methods": "Method notes",
        "dominant": "One item makes up more than half of GEP: the result is very sensitive to "
        "its inputs and parameters; report it separately and test its sensitivity (method notes; "
        "warnings of the run in section {section}).",
        "card_gep": "GEP {year}, current prices",
        "card_ratio": "GEP/GDP",
        "card_per_km2": "GEP per km²",
        "card_per_capita": "GEP per person",
        "card_growth": "Real GEP growth {prev}–{year}",
        "ov_region": "Region",
        "ov_units": "Units",
        "ov_years": "Years",
        "ov_grid": "Accounting grid",
        "ov_grid_text": "{crs}, {res} cells, {w} × {h}; {weighting}",
        "ov_items": "Items",
        "ov_items_text": "{n}: {p} provisioning, {r} regulating, {c} cultural",
        "ov_not_computed": "Items of the specification not computed",
        "ov_prices": "Price bases",
        "ov_indexing": "Prices across years",
        "ov_aggregation": "Aggregation",
        "ov_rasterisation": "Boundary cells",
        "weighting_centre": "each cell wholly to the unit holding its centre",
        "weighting_coverage": "boundary cells shared by covered fraction",
        "indexing_as_recorded": "price records used as recorded in every year (as_recorded); "
        "output values and tourism revenue reported by the statistics deflated with price indices",
        "indexing_indexed": "price records moved to the accounting and base years with price "
        "indices (indexed)",
        "aggregation_text": "parents are the sums of their children (province = Σ cities = Σ "
        "counties)",
        "h_gep": "Gross Ecosystem Product (GEP)",
        "h_provisioning": "Provisioning services",
        "h_regulating": "Regulating services",
        "h_cultural": "Cultural services",
        "h_deduction": "Imports deducted",
        "h_gep_constant": "GEP at constant {base} prices",
        "h_real_growth": "Real GEP growth",
        "h_gdp": "Gross domestic product (GDP)",
        "h_ratio": "GEP/GDP",
        "h_gdp_growth": "Real GDP growth",
        "h_dual": "GEP–GDP dual growth",
        "h_area": "Area",
        "h_population": "Population",
        "h_per_km2": "GEP per km²",
        "h_per_capita": "GEP per person",
        "indicator": "Indicator",
        "unit": "Unit",
        "times": "×",
        "headline_title": "Headline indicators, {region} ({years})",
        "extent_title": "Ecosystem extent, {region} ({year})",
        "extent_units_title": "Ecosystem extent by {level} ({year})",
        "ecosystem": "Ecosystem type",
        "area_km2": "Area (km²)",
        "area_col": "Area {year}",
        "share": "Share",
        "change": "Change",
        "no_data": "no land-cover data",
        "not_by_type": "not by ecosystem type (reported per unit)",
        "total": "Total",
        "extent_note": "Areas are pixel counts × cell area on the accounting grid; ecosystem "
        "classes of HJ 1172—2021.",
        "system_title": "Indicator system of the account",
        "class": "Class",
        "code": "Code",
        "item": "Item",
        "physical": "Physical indicator",
        "valuation": "Valuation method",
        "price_basis_col": "Priced with",
        "provisioning": "Provisioning",
        "regulating": "Regulating",
        "cultural": "Cultural",
        "deduction": "Deductions",
        "quantity_title": "Physical quantities, {region} ({years})",
        "quantity_col": "Quantity {year}",
        "quantity_change": "Change",
        "quantity_note": "For the product items (agriculture, forestry, livestock, fishery …) the "
        "“quantity” is the output value reported by the statistics at current prices; the parts of "
        "multi-part items are listed below them.",
        "prices_title": "Prices used for valuation ({year}, current prices)",
        "component": "Component",
        "unit_price": "Unit price",
        "price_unit": "Price unit",
        "as_recorded": "As recorded",
        "price_year": "Price year",
        "method": "Method",
        "source": "Source",
        "confidence": "Tag",
        "value_reported": "output value as reported (1 CNY/CNY)",
        "reported_per_unit": "reported per unit (see source)",
        "prices_note": "Unit prices at current prices of {year} (price factors applied); “as "
        "recorded” is the price-book record and its year. Tags: [V] verified in a source, [V*] "
        "derived from one, [S] second hand, [K] background knowledge, [D] demo value.",
        "values_title": "Values by item, {region} ({year})",
        "value_current": "Value (current prices)",
        "value_constant": "Value ({base} prices)",
        "share_class": "Share of class",
        "share_gep": "Share of GEP",
        "values_note": "Shares at current prices.",
        "composition_title": "Composition of GEP, {year}",
        "items_chart_title": "Value of each item, {year}",
        "eco_title": "Values by ecosystem type, {region} ({year}, current prices)",
        "eco_note": "Items computed per pixel are split by each pixel's ecosystem type; items "
        "reported per unit go to the ecosystem they come from (agriculture → farmland, forestry → "
        "forest, fishery → wetland), the others to “not by ecosystem type”.",
        "units_title": "GEP and GEP per km² by {level} ({year}, current prices)",
        "units_items_title": "Values by item and {level} ({year}, current prices)",
        "leaves_title": "GEP and ranking by {level} ({year}, current prices)",
        "name": "Name",
        "parent": "Within",
        "rank": "Rank",
        "rank_per_km2": "Rank per km²",
        "rank_gep": "Rank total",
        "per_km2_short": "GEP per km²",
        "per_capita_short": "GEP per person",
        "units_note": "Ranks from the highest down: after GEP the rank of the total, after GEP "
        "per km² the rank per km².",
        "ranking_chart_title": "GEP per km² by {level} ({year})",
        "leaves_chart_title": "The {n} {level} with the highest GEP per km² ({year})",
        "code_legend": "Item codes: {legend}",
        "change_title": "Change, {region} ({a}–{b}, constant {base} prices)",
        "units_change_title": "Change of GEP by {level} ({a}–{b})",
        "q_from": "Quantity {year}",
        "q_to": "Quantity {year}",
        "v_from": "Value {year}",
        "v_to": "Value {year}",
        "real_growth": "Real growth",
        "nominal_growth": "Nominal growth",
        "difference": "Difference",
        "gdp_growth": "Real GDP growth",
        "dual": "Dual growth",
        "change_note": "Values at constant {base} prices: real growth is the change in volume; "
        "nominal growth at current prices. The quantity of the product items is a current-price "
        "value, so its change is nominal.",
        "time_series_title": "GEP of {region} ({years})",
        "series_current": "current prices",
        "series_constant": "constant {base} prices",
        "value_map_title": "{item}: value per km² ({year})",
        "value_map_legend": "CNY million/km²",
        "choropleth_title": "GEP per km² by {level} ({year})",
        "choropleth_legend": "CNY million/km²",
        "maps_intro": "Pixel maps show the value of a regulating item per pixel (current prices), "
        "per km²; the unit maps show each unit's GEP per km².",
        "inputs_title": "Input data",
        "layer": "Layer",
        "file": "File",
        "years": "Years",
        "crs": "CRS",
        "size": "Raster size",
        "grid_info": "CRS · size · resampling",
        "note_prefix": "Note: ",
        "colon": ": ",
        "resampling": "Resampling",
        "units": "Units",
        "demo_col": "Demo",
        "statistics_title": "Statistics and registers",
        "tables_title": "Parameter tables",
        "domain": "Content",
        "checks_title": "Reconciliation and plausibility checks",
        "check": "Check",
        "checked": "Checked",
        "passed": "Passed",
        "failed": "Failed",
        "max_diff": "Largest relative difference",
        "gaps_title": "Missing data",
        "gaps_none": "No item has pixels without input inside its scope (gaps.csv is empty).",
        "gaps_text": "{item}: {km2} km² of pixels lack an input and are left out, {share} of the "
        "region's area.",
        "missing_km2": "Missing (km²)",
        "share_of_area": "Share of area",
        "warnings_title": "Warnings of the run",
        "double_title": "Double-counting review",
        "status": "Status",
        "tbc_title": "Values to be confirmed",
        "tbc_intro": "These values are tagged [S] (second hand), [K] (background knowledge) or "
        "[D] (demo value) and must be confirmed before an official account; [K] is marked ※.",
        "what": "Parameter",
        "value": "Value",
        "check_units_sum_to_raster_total": "units sum to the raster total",
        "check_children_sum_to_parent": "children sum to the parent",
        "check_parent_polygon_vs_children": "parent polygon vs its children",
        "check_capped_at_statistic": "purified ≤ emitted",
        "check_bound": "plausibility bound: {what}",
        "bound_precipitation_volume": "water conserved ≤ precipitation",
        "bound_potential_erosion": "soil retained ≤ potential erosion",
        "bound_storm_precipitation_volume": "flood storage ≤ storm rain + lake, reservoir and "
        "marsh storage",
        "bound_potential_wind_erosion": "sand fixed ≤ potential wind erosion",
        "dc_ok": "ok",
        "dc_note": "note",
        "dc_warning": "warning",
        "methods_intro": "Method, formulas and the parameters of this run for each item. "
        "Parameters and prices come from gepkit's price and parameter book "
        "(src/gepkit/catalogue/data/); the run's record is manifest.json.",
        "formula": "Formula",
        "run_method": "This run (record)",
        "options": "Options",
        "parameters": "Parameters and prices",
        "kind": "Kind",
        "kind_parameter": "parameter",
        "kind_price": "price",
        "key": "Name",
        "year": "Year",
        "notes": "Notes",
        "reported_from": "Statistics",
        "not_computed_note": "This gepkit version does not compute the item.",
        "footer_text": "gepkit {version} · generated from the run folder; every figure traces to "
        "the files and rows listed in report_data.json",
    },
}

LEVELS: dict[str, dict[str, str]] = {
    "zh": {
        "province": "省",
        "city": "市",
        "county": "县（市、区）",
        "township": "乡镇（街道）",
        "custom": "单元",
    },
    "en": {
        "province": "province",
        "city": "city",
        "county": "county",
        "township": "township",
        "custom": "unit",
    },
}

LEVELS_PLURAL_EN = {
    "province": "provinces",
    "city": "cities",
    "county": "counties",
    "township": "townships",
    "custom": "units",
}

VALUATION: dict[str, dict[str, str]] = {
    "zh": {
        "treatment_cost": "治理成本法",
        "environmental_tax": "环境保护税额",
        "afforestation_cost": "造林成本法",
        "market_value": "市场价值法",
        "replacement_cost": "替代成本法",
        "industrial_oxygen": "工业制氧成本法",
        "market": "市场价格法",
        "shadow_project": "影子工程法",
        "avoided_cost": "防护成本法",
        "carbon_tax": "碳税法",
        "carbon_market": "碳市场价格法",
        "production_cost": "生产成本法",
        "restoration_cost": "恢复成本法",
        "reported": "单元报告单价",
    },
    "en": {
        "treatment_cost": "treatment cost",
        "environmental_tax": "environmental tax",
        "afforestation_cost": "afforestation cost",
        "market_value": "market value",
        "replacement_cost": "replacement cost",
        "industrial_oxygen": "industrial oxygen cost",
        "market": "market price",
        "shadow_project": "shadow project",
        "avoided_cost": "avoided cost",
        "carbon_tax": "carbon tax",
        "carbon_market": "carbon market price",
        "production_cost": "production cost",
        "restoration_cost": "restoration cost",
        "reported": "price reported per unit",
    },
}

CHECK_STATUS = {"ok": "dc_ok", "note": "dc_note", "warning": "dc_warning"}

UNIT_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "visit": "人次",
        "ion": "个",
        "CNY": "元",
        "hectare": "hm²",
        "person": "人",
        "day": "天",
    },
    "en": {"visit": "visits", "ion": "ions", "CNY": "CNY", "hectare": "hm²", "person": "person"},
}

_UNIT_SYMBOLS = {
    "m^3": "m³",
    "m^2": "m²",
    "km^2": "km²",
    "tCO2": "t CO₂",
    "tO2": "t O₂",
    "1/cm^3": "个/cm³",
    "ion/cm^3": "个/cm³",
    "t/m^3": "t/m³",
    "kJ/kg": "kJ/kg",
    "kWh/m^3": "kWh/m³",
    "gC/m^2": "gC/m²",
    "kg/hectare": "kg/hm²",
    "t/hectare": "t/hm²",
    "dimensionless": "–",
    "percent": "%",
}


#: Pint spellings inside compound units: MJ*mm/(hectare*h) → MJ·mm/(hm²·h).
_UNIT_WORDS_INSIDE = (("hectare", "hm²"), ("degC", "°C"), ("*", "·"), ("^2", "²"), ("^3", "³"))


def unit_label(unit: Any, lang: str) -> str:
    """A unit as printed: ``CNY/m^3`` → 元/m³ (zh) or CNY/m³ (en); ``visit`` → 人次 / visits."""
    text = "" if unit is None else str(unit)
    if not text or text == "nan":
        return ""
    words = UNIT_WORDS[lang]
    if text in _UNIT_SYMBOLS:
        whole = _UNIT_SYMBOLS[text]
        if lang == "en" and text in ("1/cm^3", "ion/cm^3"):
            return "ions/cm³"
        return "percent" if lang == "en" and whole == "%" else whole
    parts = text.split("/")
    out = []
    for part in parts:
        part = part.strip()
        symbol = _UNIT_SYMBOLS.get(part, part)
        out.append(words.get(symbol, symbol))
    joined = "/".join(out)
    for raw, symbol in _UNIT_SYMBOLS.items():
        joined = joined.replace(raw, symbol)
    for raw, symbol in _UNIT_WORDS_INSIDE:
        joined = joined.replace(raw, symbol)
    if lang == "en" and joined == "%":
        return "percent"
    return joined


def confidence_text(tag: Any) -> str:
    tag = "" if tag is None else str(tag).strip()
    return f"[{tag}]" if tag and tag != "nan" else ""


def t(lang: str, key: str, **kwargs: Any) -> str:
    """The label ``key`` in ``lang``, formatted."""
    text = LABELS[lang][key]
    return text.format(**kwargs) if kwargs else text


def level_name(level: str, lang: str, *, plural: bool = False) -> str:
    if lang == "en" and plural:
        return LEVELS_PLURAL_EN.get(level, level)
    return LEVELS[lang].get(level, level)


# --------------------------------------------------------------------------------------------
# Items: physical indicator, valuation method, method note and formulas
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemText:
    indicator_zh: str
    indicator_en: str
    note_zh: str
    note_en: str
    formulas: tuple[str, ...]


_PRODUCT_ZH = (
    "以统计部门报告的{sector}产值计（选项 basis：总产值、净产值、增加值，或按产品 Σ 产量 × 单价），"
    "产值本身即价值量（1 元/元），可乘以生态系统贡献系数 s（默认 1）。总产值含饲料、化肥、劳动等"
    "中间投入与要素报酬，并非纯生态贡献（方法目录 §2.2）。上级单元只报告合计时按面积或人口分摊到"
    "下级单元。不变价按农产品生产者价格指数（ppi_farm_cn）折算。"
)
_PRODUCT_EN = (
    "The {sector} output value reported by the statistics (option basis: gross output, net "
    "output, value added, or Σ quantity × unit price by product) is itself the value (1 CNY per "
    "CNY), times an ecosystem contribution share s (default 1). Gross output includes "
    "intermediate inputs and returns to labour and capital: it is not a pure ecosystem "
    "contribution (catalogue §2.2). Figures reported for a parent only are shared among its "
    "units by area or population. Constant prices deflate with the farm producer price index "
    "(ppi_farm_cn)."
)
_PRODUCT_FORMULAS = ("V = s · Q,  Q = output value reported (or Σᵢ Eᵢ · Pᵢ)",)

ITEM_TEXT: dict[str, ItemText] = {
    "agricultural_products": ItemText(
        "农业（种植业）产值",
        "agricultural output value",
        _PRODUCT_ZH.format(sector="农业"),
        _PRODUCT_EN.format(sector="agricultural"),
        _PRODUCT_FORMULAS,
    ),
    "forestry_products": ItemText(
        "林业产值",
        "forestry output value",
        _PRODUCT_ZH.format(sector="林业"),
        _PRODUCT_EN.format(sector="forestry"),
        _PRODUCT_FORMULAS,
    ),
    "livestock_products": ItemText(
        "牧业产值",
        "livestock output value",
        _PRODUCT_ZH.format(sector="牧业")
        + "畜牧业以圈养为主时不归入任何生态系统类型（by_ecosystem.csv 代码 −2）。",
        _PRODUCT_EN.format(sector="livestock")
        + " Livestock is attributed to no ecosystem type where animals are mostly fed, not grazed.",
        _PRODUCT_FORMULAS,
    ),
    "fishery_products": ItemText(
        "渔业产值",
        "fishery output value",
        _PRODUCT_ZH.format(sector="渔业"),
        _PRODUCT_EN.format(sector="fishery"),
        _PRODUCT_FORMULAS,
    ),
    "other_products": ItemText(
        "其他生态产品产值（苗木花卉、中药材等）",
        "output value of other products (seedlings, flowers, herbs …)",
        _PRODUCT_ZH.format(sector="其他生态产品（苗木花卉、中药材、观赏资源等）"),
        _PRODUCT_EN.format(sector="other products' (seedlings, flowers, medicinal herbs)"),
        _PRODUCT_FORMULAS,
    ),
    "water_supply": ItemText(
        "生活、工业、农业（生态）用水量",
        "water used by use (domestic, industrial, agricultural, ecological)",
        "按水资源公报的分用途用水量，乘以各用途水价（市场价值法）。所供水量来自生态系统涵养的水，"
        "与水源涵养存在重叠，运行记录中注明（方法目录 §3.2）。",
        "Water used per use from the water-resources bulletin, valued at the tariff of each use "
        "(market value). The water supplied comes from the water the ecosystems conserve; the "
        "overlap with water conservation is noted by the run (catalogue §3.2).",
        ("V = Σᵤ Wᵤ · pᵤ",),
    ),
    "ecological_energy": ItemText(
        "水力发电量",
        "hydropower generated",
        "按统计报告的水力发电量乘以水电上网电价（市场价值法）。水库用于发电的库容不计入洪水调蓄。",
        "Hydropower generated, from the statistics, valued at the on-grid hydropower tariff "
        "(market value). Storage used for power does not count in flood regulation.",
        ("V = E_hydro · p",),
    ),
    "water_conservation": ItemText(
        "水源涵养量",
        "water conserved",
        "水量平衡法（HJ 1173—2021 式 A.1）：年降水量减去地表径流（降水 × 径流系数 α）与实际蒸散，"
        "乘以面积，逐像元计算，范围为森林、灌丛、草地、湿地与园地；水量为负的像元计 0（选项 "
        "negative_balance）。也可选 Budyko 产水量法（选项 method = budyko，与 InVEST 一致）。"
        "价值量按影子工程法：替代的水库库容造价。",
        "Water balance (HJ 1173—2021 eq. A.1): precipitation minus surface runoff (P × runoff "
        "coefficient α) and actual evapotranspiration, times area, per pixel, on forest, shrub, "
        "grassland, wetland and orchards; negative balances count 0 (option negative_balance). "
        "The Budyko water yield (method = budyko, as InVEST) is the alternative. Valued by the "
        "shadow project: the construction cost of the reservoir storage it replaces.",
        ("Q = Σᵢ (Pᵢ − Rᵢ − ETᵢ) · Aᵢ · 10⁻³,  Rᵢ = Pᵢ · αᵢ", "V = Q · C_we"),
    ),
    "soil_retention": ItemText(
        "土壤保持量",
        "soil retained",
        "修正通用土壤流失方程 RUSLE（HJ 1173—2021 式 A.2—A.13）：潜在侵蚀量 R·K·LS·A 与实际侵蚀量之差；"
        "R 降雨侵蚀力，K 土壤可蚀性，LS 坡长坡度因子（流向累积，Desmet & Govers），C 植被覆盖因子"
        "（按生态系统与植被覆盖度），P 水土保持措施因子。价值量按替代成本：减少水库泥沙淤积的清淤"
        "成本（淤积比 λ、土壤容重 ρ）与减少氮、磷面源污染的治理成本（方法目录 §2.4）。",
        "RUSLE (HJ 1173—2021 eqs. A.2–A.13): potential erosion R·K·LS·A minus actual erosion; R "
        "rainfall erosivity, K soil erodibility, LS from flow routing (Desmet & Govers), C "
        "cover-management by ecosystem and vegetation cover, P support practice. Valued by "
        "replacement cost: dredging of the reservoir siltation avoided (silting share λ, bulk "
        "density ρ) and treatment of the nitrogen and phosphorus kept out of the water "
        "(catalogue §2.4).",
        (
            "Q = R · K · LS · (1 − C · P) · A",
            "V = λ · (Q / ρ) · c_dredge + Q · N% · p_N + Q · P% · p_P",
        ),
    ),
    "sand_fixation": ItemText(
        "防风固沙量",
        "sand fixed",
        "修正风蚀方程 RWEQ（HJ 1173—2021 式 A.14—A.22）：裸土潜在风蚀量与有植被时实际风蚀量之差；"
        "气象因子 WF、土壤可蚀因子 EF、土壤结皮因子 SCF、地表粗糙度因子 K′ 与植被因子 C。价值量按"
        "固定的沙量覆盖 h 深时的土地面积乘以治沙成本（恢复成本法）。",
        "RWEQ (HJ 1173—2021 eqs. A.14–A.22): potential wind erosion of bare soil minus actual "
        "erosion under vegetation, from the weather factor WF, erodible fraction EF, soil crust "
        "factor SCF, roughness K′ and vegetation factor C. Valued at the sand-control cost of "
        "the land the sand would bury to a depth h.",
        (
            "SR = S_L,pot − S_L,  S_L = (2z / s²) · Q_max · e^(−(z/s)²)",
            "V = SR / (ρ · h) · c",
        ),
    ),
    "coastal_protection": ItemText(
        "海岸带防护长度",
        "length of protected coast",
        "以生态系统（红树林、盐沼、珊瑚礁等）保护的海岸线长度乘以替代的海堤或护岸工程造价。",
        "Length of coast protected by ecosystems (mangroves, salt marsh, reefs) times the cost "
        "of the sea wall it replaces.",
        ("V = L · c_seawall",),
    ),
    "flood_regulation": ItemText(
        "洪水调蓄量",
        "flood water stored",
        "植被、湖泊、水库与沼泽的洪水调蓄量之和（方法目录 §2.7）：植被为暴雨降水减暴雨径流（暴雨径流"
        "系数 α_s）；湖泊按整个湖泊的面积回归 e^a·A^b·T（Rao 等 2014），再按面积分配到单元；水库为"
        "防洪库容（缺省时取总库容 × 0.35）；沼泽为滞水深度 d × 面积。价值量按影子工程法：替代的"
        "水库库容造价。",
        "Sum of the storage of vegetation, lakes, reservoirs and marshes (catalogue §2.7): "
        "vegetation stores storm rain minus storm runoff (coefficient α_s); each whole lake "
        "e^a·A^b·T (Rao et al. 2014), shared among units by area; reservoirs their flood-control "
        "capacity (else 0.35 × total capacity); marshes the detention depth d × area. Valued by "
        "the shadow project: reservoir storage cost.",
        (
            "C = C_v + C_l + C_r + C_m,  C_v = Σᵢ (P_h − P_h · α_s,i) · Aᵢ · 10⁻³",
            "C_l = e^a · A^b · T,  C_m = d · S",
            "V = C · C_we",
        ),
    ),
    "air_purification": ItemText(
        "大气污染物净化量（SO₂、NOx、粉尘、氟化物）",
        "air pollutants removed (SO₂, NOx, dust, fluoride)",
        "按污染物分别计算：单位面积净化能力 × 面积（capacity），以单元排放量为上限；或净化量 = "
        "排放量（emissions，甘孜核算做法），排放量在单元内按核算范围的面积分配。上限在报告排放量的"
        "最细一级单元上施加。价值量按各污染物的治理成本（替代成本法）。",
        "Per pollutant: removal capacity per area × area (capacity), capped at the unit's "
        "emissions, or removed = emitted (emissions, the Garzê practice), spread over the unit's "
        "in-scope area. The cap applies at the finest level the emissions are reported at. "
        "Valued at each pollutant's treatment cost (replacement cost).",
        ("Qⱼ = min(Eⱼ, Σᵢ Qᵢⱼ · Aᵢ)", "V = Σⱼ Qⱼ · cⱼ"),
    ),
    "water_purification": ItemText(
        "水污染物净化量（COD、氨氮、总氮、总磷）",
        "water pollutants removed (COD, NH₃-N, TN, TP)",
        "按污染物分别计算：湿地、湖泊、河流的净化量取入河排放量（emissions），或单位面积净化能力 × "
        "面积并以排放量为上限（capacity）。价值量按各污染物的治理成本（替代成本法）。",
        "Per pollutant: the load entering water bodies (emissions), or the removal capacity of "
        "marshes, lakes and rivers per area × area capped at that load (capacity). Valued at "
        "each pollutant's treatment cost (replacement cost).",
        ("Qⱼ = min(Eⱼ, Σᵢ Pᵢⱼ · Aᵢ)", "V = Σⱼ Qⱼ · cⱼ"),
    ),
    "carbon_sequestration": ItemText(
        "固碳量（折合 CO₂）",
        "carbon fixed (as CO₂)",
        "净生态系统生产力法：NEP = NPP − R_h（土壤异养呼吸 R_h 由 Pei 等 2010 的月气温、降水模型或"
        "图层给出），按 44/12 折合 CO₂；也可按单位面积固碳速率或碳储量变化计算（选项 method）。范围为"
        "森林、灌丛、草地、沼泽、园地与城市绿地，耕地收获的碳当年返回大气，不计。价值量按碳价。",
        "Net ecosystem production NEP = NPP − R_h (heterotrophic respiration from Pei et al. "
        "2010's monthly temperature and rain model, or a layer), × 44/12 to CO₂; sequestration "
        "rates or carbon-stock change are the alternatives (option method). On forest, shrub, "
        "grassland, marsh, orchards and urban green; cropland's harvested carbon returns to the "
        "air within the year. Valued at the carbon price.",
        ("Q_CO₂ = 44/12 · (NPP − R_h) · A", "V = Q_CO₂ · P_c"),
    ),
    "oxygen_release": ItemText(
        "释氧量",
        "oxygen released",
        "光合作用每固定 12 g 碳释放 32 g 氧气：释氧量 = 32/12 × 固碳量（与固碳项目同一基础，或 NPP）。"
        "价值量按工业制氧成本。释氧与固碳同源，SEEA 不单列，比较时宜注意。",
        "Photosynthesis releases 32 g of O₂ per 12 g of carbon fixed: 32/12 × the carbon fixed "
        "(on the carbon item's basis, or NPP). Valued at the industrial oxygen price. Oxygen "
        "release shares its basis with carbon and is not an SEEA service.",
        ("Q_O₂ = 32/12 · C_fixed · A", "V = Q_O₂ · P_o"),
    ),
    "climate_regulation": ItemText(
        "蒸散消耗的能量（折合空调、加湿器耗电量）",
        "energy of evapotranspiration (air-conditioner and humidifier electricity)",
        "植被蒸腾与水面蒸发吸收的热量，按需要降温的高温日（日最高气温 > 26 °C）计，折合空调耗电量"
        "（能效比 r）；水面蒸发另计加湿耗电（方法目录 §2.12，生态环境部 2020 指南）。价值量按电价。"
        "该项目常占 GEP 的大部分，对高温日数、蒸散量与电价十分敏感，宜单独报告。",
        "Heat absorbed by plant transpiration and water-surface evaporation on the hot days "
        "(daily maximum > 26 °C), as the electricity of air conditioners (efficiency ratio r) "
        "plus humidifiers over water (catalogue §2.12, MEE 2020 guideline). Valued at the "
        "electricity price. The item often dominates GEP and is very sensitive to the hot days, "
        "the evapotranspiration and the price: report it separately.",
        (
            "E = E_pt + E_we,  E_pt = ET_hot · 10⁻³ · A · ρ_w · q / (3600 · r)",
            "E_we = E_w · ρ_w · q / 3600 + E_w · y",
            "V = E · P_e",
        ),
    ),
    "pest_control": ItemText(
        "天然林、天然草地面积",
        "area of natural forest and grassland",
        "天然林与天然草地无需防治即可控制病虫害：面积 × 天然比例，乘以单位面积防治费用（甘孜核算）。",
        "Natural forest and grassland keep pests in check without treatment: area × natural "
        "share, valued at the avoided control cost per hectare (Garzê account).",
        ("Q = A_f · s_f + A_g · s_g", "V = Q_f · c_f + Q_g · c_g"),
    ),
    "negative_ions": ItemText(
        "负氧离子产生量",
        "negative air ions produced",
        "LY/T 1721—2008：负氧离子产生量 = 5.256 × 10¹⁵ × 浓度 Q × 面积 A × 高度 H / 寿命 L；只对浓度"
        "超过 600 个/cm³ 的部分按生产成本计价。浓度与高度须由使用者提供。",
        "LY/T 1721—2008: ions produced = 5.256 × 10¹⁵ × concentration Q × area A × height H / "
        "lifetime L; only the ions above 600 per cm³ are valued, at their production cost. "
        "Concentrations and heights are user tables.",
        ("G = 5.256 × 10¹⁵ · Q · A · H / L", "V = K · 5.256 × 10¹⁵ · A · H · (Q − 600) / L"),
    ),
    "species_conservation": ItemText(
        "物种保育面积",
        "area for species conservation",
        "按 Shannon-Wiener 多样性指数分级的单位面积保育价值乘以面积。",
        "Area times a conservation value per hectare graded by the Shannon–Wiener index.",
        ("V = Σᵢ Sᵢ · Aᵢ",),
    ),
    "recreation": ItemText(
        "游客人次",
        "visits",
        "旅行费用法：按客源地的游客人次 × 人均旅行费用（旅行时间 × 日工资 + 直接花费）；无客源调查时"
        "可用旅游收入 × 系数 m（选项 method = revenue，旅游收入不含时间成本，为下限）。可乘以生态系统"
        "份额 s 以剔除人文景点。不变价按居民消费价格指数（cpi_cn）折算。",
        "Travel cost: visits by origin × travel cost per visit (travel time × daily wage + "
        "direct spending); without an origin survey, tourism revenue × a multiplier m (method = "
        "revenue; revenue leaves out the time cost, a lower bound). An ecosystem share s removes "
        "visits to cultural sites. Constant prices deflate with the consumer price index (cpi_cn).",
        ("V = Σⱼ Nⱼ · (Tⱼ · Wⱼ + Cⱼ),  or  V = m · R", "V_eco = s · V"),
    ),
    "landscape_value": ItemText(
        "受益住房面积",
        "floor area of housing that benefits",
        "享乐价格法：临近公园、水体、山体而受益的住房建筑面积 × 生态系统带来的单位面积房价溢价。",
        "Hedonic price: floor area of housing near parks, water or mountains × the price premium "
        "per m² attributable to the ecosystem.",
        ("V = A_l · P_l",),
    ),
}

#: Option values of the product items' ``basis``.
PRODUCT_BASIS = {
    "zh": {
        "gross_output": "总产值",
        "net_output": "净产值",
        "value_added": "增加值",
        "products": "产量 × 单价",
    },
    "en": {
        "gross_output": "gross output",
        "net_output": "net output",
        "value_added": "value added",
        "products": "quantity × unit price",
    },
}

RECREATION_METHOD = {
    "zh": {"travel_cost": "旅行费用法", "revenue": "旅游收入法"},
    "en": {"travel_cost": "travel cost", "revenue": "tourism revenue"},
}


def item_text(item: str) -> ItemText | None:
    return ITEM_TEXT.get(item)


def indicator(item: str, lang: str, options: dict[str, Any] | None = None) -> str:
    """The physical indicator of an item, adapted to its options (the product items' basis)."""
    text = ITEM_TEXT.get(item)
    if text is None:
        return ""
    options = options or {}
    basis = options.get("basis")
    if basis in PRODUCT_BASIS[lang] and item.endswith("_products"):
        word = PRODUCT_BASIS[lang][basis]
        base = text.indicator_zh if lang == "zh" else text.indicator_en
        return f"{base}（{word}）" if lang == "zh" else f"{base} ({word})"
    return text.indicator_zh if lang == "zh" else text.indicator_en


def note(item: str, lang: str) -> str:
    text = ITEM_TEXT.get(item)
    if text is None:
        return ""
    return text.note_zh if lang == "zh" else text.note_en


def formulas(item: str) -> tuple[str, ...]:
    text = ITEM_TEXT.get(item)
    return text.formulas if text is not None else ()


def valuation_label(basis: Any, lang: str, item: str = "", options: Any = None) -> str:
    """The valuation method of a component, e.g. ``shadow_project`` → 影子工程法."""
    key = "" if basis is None else str(basis)
    if item == "recreation" and isinstance(options, dict):
        method = options.get("method")
        if method in RECREATION_METHOD[lang]:
            return RECREATION_METHOD[lang][method]
    return VALUATION[lang].get(key, key.replace("_", " "))


DEMO_NOTICE_ZH = LABELS["zh"]["demo_zh"]
