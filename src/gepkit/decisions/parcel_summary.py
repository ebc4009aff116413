"""The one-to-two-page summary of a parcel valuation (HTML and PDF), for a bank or a court.

It lists the inputs (the run and the parcels file with their SHA-256), the assumptions (discount
rate, growth, horizon, allocation key), the results per parcel (GEP by class, top items, asset
value and its sensitivity), a small map of the parcels over the unit boundaries and the method
notes, in Chinese or English.  The HTML is self-contained (CSS inline, the map as a PNG data
URI, no network); the PDF is rendered from it by WeasyPrint with a CJK font.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
from markupsafe import Markup

from gepkit.decisions.asset_value import formula, horizon_label
from gepkit.report.formatting import digits_for, money_scale, number, percent
from gepkit.report.pdf import CJK_FONTS, css_fonts

if TYPE_CHECKING:
    from rich.table import Table

    from gepkit.decisions.value_area import Valuation

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "地块生态产品总值（GEP）与生态资产价值核算摘要",
        "generated": "生成日期",
        "demo": "演示数据",
        "inputs": "输入",
        "run": "核算结果（运行目录）",
        "region": "核算区域",
        "years": "核算年份",
        "base_year": "不变价基年",
        "accounts_sha": "accounts.csv SHA-256",
        "run_version": "核算所用 gepkit 版本",
        "weighting": "边界像元处理",
        "parcels_file": "地块文件",
        "parcels_sha": "地块文件 SHA-256",
        "parcels_crs": "地块文件坐标系",
        "parcels_n": "地块数",
        "price_basis": "价格基准",
        "price_basis_text": "当年价与 {base} 年不变价；资产价值按 {base} 年不变价计",
        "assumptions": "假设与参数",
        "setting": "参数",
        "value": "取值",
        "source": "依据",
        "r": "贴现率 r",
        "g": "年增长率 g",
        "n": "年限 n",
        "timing": "贴现时点",
        "timing_start": "首年不贴现（RCEES 形式，指数 i−1）",
        "timing_end": "每年年末贴现（指数 i）",
        "flow": "年流量 F",
        "flow_latest": "最近一年 {basis} 的不变价 GEP",
        "flow_mean": "各年不变价 GEP 的平均值（{basis}）",
        "scope": "计入范围",
        "scope_gep": "全部项目（扣除调入后）",
        "scope_regulating": "仅调节服务",
        "key": "统计类项目分摊依据",
        "key_area": "面积比例：地块在单元内面积 ÷ 单元面积 × 单元价值",
        "key_ecosystem_area": "生态系统面积比例：地块内相关生态系统面积 ÷ 单元内该类面积 × 单元价值",
        "formula": "计算公式",
        "results": "核算结果",
        "gep_table": "各地块分年度 GEP（当年价）",
        "parcel": "地块",
        "year": "年份",
        "area": "面积 (km²)",
        "inside": "区内占比",
        "provisioning": "物质产品",
        "regulating": "调节服务",
        "cultural": "文化服务",
        "deduction": "扣除调入",
        "gep": "GEP",
        "gep_constant": "GEP（{base} 年价）",
        "top_items": "主要项目（{year} 年，{base} 年不变价）",
        "item": "项目",
        "share_of_gep": "占 GEP",
        "method": "方法",
        "method_map": "像元图",
        "method_allocated": "按{key}分摊",
        "key_name_area": "面积",
        "key_name_ecosystem_area": "生态系统面积",
        "asset_table": "生态资产价值（{base} 年不变价）",
        "flow_col": "年流量 F",
        "factor": "年金系数 V/F",
        "asset_value": "资产价值 V",
        "range": "敏感性范围",
        "sensitivity": "敏感性：不同贴现率与年限下的资产价值 V",
        "rate": "贴现率",
        "map": "地块位置（灰线：核算单元边界；粗线：核算区域边界）",
        "warnings": "提示",
        "notes": "方法说明",
        "money_unit": "金额单位",
        "chosen": "加粗底色为所选参数",
        "none": "无",
        "footer": "本摘要由 gepkit {version} 据运行目录中的核算结果生成，明细见同目录 parcels.csv、"
        "parcel_summary.csv、asset_value.csv、sensitivity.csv 与 value_area.json。",
    },
    "en": {
        "title": "Parcel GEP and ecological-asset value: summary",
        "generated": "Generated",
        "demo": "DEMO DATA",
        "inputs": "Inputs",
        "run": "Account (run folder)",
        "region": "Region",
        "years": "Years",
        "base_year": "Constant prices of",
        "accounts_sha": "accounts.csv SHA-256",
        "run_version": "gepkit version of the run",
        "weighting": "Boundary pixels",
        "parcels_file": "Parcels file",
        "parcels_sha": "Parcels file SHA-256",
        "parcels_crs": "Parcels CRS",
        "parcels_n": "Parcels",
        "price_basis": "Price basis",
        "price_basis_text": "current prices and constant {base} prices; asset value at constant "
        "{base} prices",
        "assumptions": "Assumptions",
        "setting": "Setting",
        "value": "Value",
        "source": "Basis",
        "r": "Discount rate r",
        "g": "Growth rate g",
        "n": "Horizon n",
        "timing": "Timing",
        "timing_start": "first year undiscounted (RCEES form, exponent i−1)",
        "timing_end": "every year discounted (exponent i)",
        "flow": "Annual flow F",
        "flow_latest": "GEP of {basis} at constant prices",
        "flow_mean": "mean GEP at constant prices ({basis})",
        "scope": "Scope",
        "scope_gep": "all items (net of deductions)",
        "scope_regulating": "regulating services only",
        "key": "Allocation key (statistics-based items)",
        "key_area": "area share: parcel area in the unit ÷ unit area × unit value",
        "key_ecosystem_area": "ecosystem area share: the parcel's area of the item's ecosystem "
        "types ÷ the unit's area of them × unit value",
        "formula": "Formula",
        "results": "Results",
        "gep_table": "GEP per parcel and year (current prices)",
        "parcel": "Parcel",
        "year": "Year",
        "area": "Area (km²)",
        "inside": "Inside",
        "provisioning": "Provisioning",
        "regulating": "Regulating",
        "cultural": "Cultural",
        "deduction": "Deductions",
        "gep": "GEP",
        "gep_constant": "GEP ({base} prices)",
        "top_items": "Top items ({year}, constant {base} prices)",
        "item": "Item",
        "share_of_gep": "Share of GEP",
        "method": "Method",
        "method_map": "map",
        "method_allocated": "allocated by {key}",
        "key_name_area": "area",
        "key_name_ecosystem_area": "ecosystem area",
        "asset_table": "Ecological-asset value (constant {base} prices)",
        "flow_col": "Annual flow F",
        "factor": "Annuity factor V/F",
        "asset_value": "Asset value V",
        "range": "Sensitivity range",
        "sensitivity": "Sensitivity: asset value V by discount rate and horizon",
        "rate": "Discount rate",
        "map": "Parcels (grey: unit boundaries; thick line: boundary of the region)",
        "warnings": "Warnings",
        "notes": "Method notes",
        "money_unit": "Money in",
        "chosen": "highlighted: the chosen settings",
        "none": "none",
        "footer": "Generated by gepkit {version} from the account in the run folder; details in "
        "parcels.csv, parcel_summary.csv, asset_value.csv, sensitivity.csv and value_area.json "
        "beside this file.",
    },
}

NOTES: dict[str, list[str]] = {
    "zh": [
        "调节服务中有像元图的项目：地块价值 = Σ（像元价值 × 像元被地块覆盖的比例），覆盖比例为"
        "多边形与像元的精确相交面积（exactextract），与核算的覆盖率加权算法相同；只计核算区域内的"
        "部分。核算采用“{weighting}”方式：{weighting_note}",
        "像元图为当年价；不变价 = 当年价 × 所在单元该项目的不变价/当年价之比。",
        "无像元图的项目（物质产品、文化服务、部门提供的实物量）及扣除项按所选依据从地块所在的最小"
        "核算单元分摊，每一行注明来源单元与比例（parcels.csv）。分摊值是单元统计值的份额，不是地块"
        "本身的实测产出。",
        "生态资产价值 = 年流量按贴现率与年限折现之和（方法目录 §4.4，RCEES）：{formula}。"
        "结果对 r 与 n 十分敏感，见敏感性表；参数为使用者的选择，须与用途（贷款期限、权利期限、"
        "赔偿期间）相符。",
        "重叠地块各自单独核算，其价值不可相加；部分位于区域外的地块只按区内部分计值。",
        "GEP 与资产价值是生态系统服务的核算价值，不是市场交易价格或可变现价值；用于授信或损害"
        "赔偿时应结合现金流、权属与其他证据。",
    ],
    "en": [
        "Items with a map (the regulating services computed per pixel): parcel value = Σ (cell "
        "value × fraction of the cell covered by the parcel), the fractions exact polygon–cell "
        "intersection areas (exactextract), the arithmetic of the run's coverage weighting; only "
        'the part inside the region counts. The run used "{weighting}" weighting: '
        "{weighting_note}",
        "The maps hold current prices; constant prices = current × the item's constant/current "
        "ratio in the unit the part lies in.",
        "Items without a map (provisioning and cultural items, supplied quantities) and "
        "deductions are allocated from the finest unit holding the parcel by the chosen key; "
        "every row names its unit and share (parcels.csv). An allocated value is a share of the "
        "unit's statistics, not a measurement of the parcel's own output.",
        "Ecological-asset value = the annual flow discounted over the horizon (methods "
        "catalogue §4.4, RCEES): {formula}. It is very sensitive to r and n (see the sensitivity "
        "table); the settings are the user's choice and must match the purpose (loan term, term "
        "of a right, period of a damage).",
        "Overlapping parcels are valued each on its own: their values must not be added. A "
        "parcel partly outside the region is valued on its inside part only.",
        "GEP and asset values are accounting values of ecosystem services, not market prices or "
        "realisable values; for credit or damage compensation use them with cash flows, rights "
        "and other evidence.",
    ],
}

DEMO_ZH = (
    "所用核算为 gepkit 演示数据：部分输入为按公开的省级量级制作的演示值，不是实测值，结果不是官方或"
    "研究性 GEP 核算，不能用于授信、评估或诉讼。"
)

WEIGHTING_LABEL = {
    "zh": {"centre": "整格归属中心所在单元（centre）", "coverage": "按覆盖比例分配（coverage）"},
    "en": {
        "centre": "centre (each cell wholly to the unit holding its centre)",
        "coverage": "coverage (each cell shared by covered fraction)",
    },
}

WEIGHTING_NOTE = {
    "zh": {
        "coverage": "边界像元按覆盖比例分配；地块与某单元重合时，逐像元计算的项目与该单元核算值一致"
        "（有上限或多组分的项目及湖库按中心归属的部分除外，见文档）。",
        "centre": "核算时边界像元整格归属中心所在单元；地块与单元重合时，二者相差边界像元的"
        "“锯齿”（演示数据 1 km 网格下，县级调节服务合计相差中位数 0.3 %，95 % 的县在 2 % 以内，"
        "最小的城区约 5 %，见文档）。",
    },
    "en": {
        "coverage": "boundary cells were shared by covered fraction, so a parcel equal to a unit "
        "reproduces the unit's per-pixel items (except capped and multi-part items on shared "
        "cells and lakes and reservoirs, which count by centre; see the docs).",
        "centre": "the run gave each boundary cell wholly to the unit holding its centre, so a "
        "parcel equal to a unit differs from it by the boundary-cell staircase (demo, 1 km "
        "grid: regulating total of a county within 0.3 % at the median, 2 % for 95 % of the "
        "counties, 5 % for the smallest urban districts; see the docs).",
    },
}


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------


def cjk_font() -> str | None:
    """The first CJK font matplotlib knows of, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


def parcel_map_png(valuation: Valuation, lang: str) -> bytes:
    """An overview of the region with the parcels, and a close-up of each of (up to four)
    parcels over the unit boundaries, as PNG bytes."""
    import matplotlib
    from matplotlib.figure import Figure

    results = valuation.results
    units = results.units
    leaves = units[units["is_leaf"].astype(bool)]
    region = leaves.geometry.union_all()
    parcels = valuation.parcels.frame
    font = cjk_font()
    names_ok = font is not None or lang == "en"
    zooms = list(parcels.index)[:4] if len(parcels) <= 4 else []
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": family, "font.size": 7}):
        width = 7.0
        height = 3.1 if zooms else 4.0
        fig = Figure(figsize=(width, height), dpi=200)
        if zooms:
            grid = fig.add_gridspec(2, 3, width_ratios=[1.4, 1, 1], wspace=0.06, hspace=0.22)
            overview = fig.add_subplot(grid[:, 0])
            slots = [grid[0, 1], grid[0, 2], grid[1, 1], grid[1, 2]]
        else:
            overview = fig.add_subplot(1, 1, 1)
            slots = []
        colours = [
            "#d62728",
            "#1f77b4",
            "#2ca02c",
            "#9467bd",
            "#ff7f0e",
            "#8c564b",
            "#e377c2",
            "#17becf",
        ]
        leaves.boundary.plot(ax=overview, color="#bbbbbb", linewidth=0.25)
        gpd_region = _series(region, leaves.crs)
        gpd_region.boundary.plot(ax=overview, color="#333333", linewidth=0.7)
        for n, (pid, row) in enumerate(parcels.iterrows()):
            colour = colours[n % len(colours)]
            geometry = row.geometry
            _series(geometry, leaves.crs).plot(
                ax=overview, color=colour, edgecolor=colour, linewidth=0.6
            )
            point = geometry.representative_point()
            overview.plot(
                [point.x],
                [point.y],
                marker="o",
                markersize=7,
                markerfacecolor="none",
                markeredgecolor=colour,
                markeredgewidth=0.9,
            )
            overview.annotate(
                str(pid),
                (point.x, point.y),
                xytext=(5, 4),
                textcoords="offset points",
                color=colour,
                fontsize=7,
                fontweight="bold",
            )
        _bare(overview)
        overview.set_xlim(*_padded(leaves.total_bounds, 0.03)[::2])
        overview.set_ylim(*_padded(leaves.total_bounds, 0.03)[1::2])
        overview.set_title(
            results.region.get("name" if lang == "zh" else "name_en", "")
            or results.region.get("name", ""),
            fontsize=8,
        )
        for n, (pid, slot) in enumerate(zip(zooms, slots, strict=False)):
            ax = fig.add_subplot(slot)
            geometry = parcels.geometry[pid]
            minx, miny, maxx, maxy = geometry.bounds
            side = max(maxx - minx, maxy - miny)
            pad = max(0.35 * side, 2.0 * _resolution(valuation))
            cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
            half = side / 2 + pad
            box = (cx - half, cy - half, cx + half, cy + half)
            near = leaves.cx[box[0] : box[2], box[1] : box[3]]
            near.boundary.plot(ax=ax, color="#888888", linewidth=0.5)
            gpd_region.boundary.plot(ax=ax, color="#333333", linewidth=1.0)
            colour = colours[n % len(colours)]
            _series(geometry, leaves.crs).plot(
                ax=ax, color=colour, alpha=0.35, edgecolor=colour, linewidth=1.0
            )
            for code, unit in near.iterrows():
                # the unit's name where the parcel is not: the most inland point of the largest
                # part of the unit left in the close-up around the parcel
                visible = unit.geometry.intersection(_box(box))
                free = visible.difference(geometry.buffer(0.1 * side))
                spot = free if not free.is_empty and free.area > 0.05 * visible.area else visible
                if spot.is_empty or spot.area <= 0:
                    continue
                label_at = _inland_point(spot)
                label = str(unit["name"]) if names_ok and unit["name"] else str(code)
                ax.annotate(
                    label,
                    (label_at.x, label_at.y),
                    fontsize=5.5,
                    color="#555555",
                    ha="center",
                    va="center",
                    annotation_clip=True,
                    clip_on=True,
                )
            ax.set_xlim(box[0], box[2])
            ax.set_ylim(box[1], box[3])
            _bare(ax)
            name = str(parcels.at[pid, "name"])
            title = f"{pid} {name}" if names_ok and name != str(pid) else str(pid)
            ax.set_title(title, fontsize=7, color=colour)
            _scale_bar(ax, box)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=200, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _series(geometry: Any, crs: Any) -> Any:
    import geopandas as gpd

    return gpd.GeoSeries([geometry], crs=crs)


def _inland_point(geometry: Any) -> Any:
    """The pole of inaccessibility of the largest polygon of ``geometry``."""
    import shapely
    from shapely.ops import polylabel

    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
    if not parts:
        return geometry.representative_point()
    largest = max(parts, key=lambda p: p.area)
    return polylabel(largest, tolerance=max(largest.length / 200, 1e-6))


def _box(bounds: tuple[float, float, float, float]) -> Any:
    import shapely

    return shapely.box(*bounds)


def _resolution(valuation: Valuation) -> float:
    grid = valuation.results.manifest.get("grid", {})
    return float(grid.get("resolution_m", 1000.0))


def _padded(bounds: Any, share: float) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    pad = share * max(maxx - minx, maxy - miny)
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _bare(ax: Any) -> None:
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.4)
        spine.set_color("#999999")


def _scale_bar(ax: Any, box: tuple[float, float, float, float]) -> None:
    span = box[2] - box[0]
    target = span / 4
    nice = [1, 2, 5]
    length = 1000.0
    for power in range(0, 7):
        for n in nice:
            candidate = n * 10**power
            if candidate <= target:
                length = float(candidate)
    x0 = box[0] + span * 0.06
    y0 = box[1] + (box[3] - box[1]) * 0.06
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=1.2)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.annotate(
        label,
        (x0 + length / 2, y0),
        xytext=(0, 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=5.5,
    )


# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("gepkit.decisions", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def context(valuation: Valuation, info: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows, formatted."""
    settings = valuation.settings
    lang = settings.lang
    t = LABELS[lang]
    results = valuation.results
    base = results.base_year if results.base_year is not None else "—"
    asset = settings.asset
    summary = valuation.summary
    years = results.years
    latest = years[-1]
    has_deduction = "deduction" in summary.columns
    classes = ["provisioning", "regulating", "cultural"] + (["deduction"] if has_deduction else [])

    money_columns = [*classes, "gep", "gep_constant"]
    scale, unit = money_scale(summary[money_columns].to_numpy(), lang)
    gep_digits = digits_for(summary[money_columns].to_numpy() / scale)
    gep_rows = []
    for r in summary.itertuples(index=False):
        record = r._asdict()
        gep_rows.append(
            {
                "parcel": _parcel_label(record["parcel_id"], record["parcel_name"]),
                "year": record["year"],
                "area": number(record["area_km2"]),
                "inside": percent(record["share_inside"]),
                "classes": [number(record[c] / scale, gep_digits) for c in classes],
                "gep": number(record["gep"] / scale, gep_digits),
                "gep_constant": number(record["gep_constant"] / scale, gep_digits),
            }
        )

    assets = valuation.assets
    totals = assets[assets["item"] == "total"]
    sens = valuation.sensitivity
    asset_scale, asset_unit = money_scale(
        np.concatenate([totals["asset_value"].to_numpy(), sens["asset_value"].to_numpy()]), lang
    )
    flow_scale, flow_unit = money_scale(totals["flow"].to_numpy(), lang)
    flow_digits = digits_for(totals["flow"].to_numpy() / flow_scale)
    asset_digits = digits_for(
        np.concatenate([totals["asset_value"].to_numpy(), sens["asset_value"].to_numpy()])
        / asset_scale
    )
    asset_rows = []
    for r in totals.itertuples(index=False):
        mine = sens[sens["parcel_id"] == r.parcel_id]["asset_value"]
        asset_rows.append(
            {
                "parcel": _parcel_label(r.parcel_id, r.parcel_name),
                "flow": number(r.flow / flow_scale, flow_digits),
                "factor": number(r.annuity_factor, 2),
                "value": number(r.asset_value / asset_scale, asset_digits),
                "range": f"{number(mine.min() / asset_scale, asset_digits)} – "
                f"{number(mine.max() / asset_scale, asset_digits)}"
                if len(mine)
                else "–",
            }
        )

    top_rows = _top_items(valuation, latest, lang)
    top_scale, top_unit = money_scale([r["value"] for r in top_rows], lang)
    top_digits = digits_for([r["value"] / top_scale for r in top_rows])
    for r in top_rows:
        r["value_text"] = number(r["value"] / top_scale, top_digits)

    horizons = list(dict.fromkeys(sens["horizon_years"].tolist()))
    sens_rows = []
    for pid, name in valuation.parcels.frame["name"].items():
        mine = sens[sens["parcel_id"] == pid]
        for k, rate in enumerate(sorted(mine["discount_rate"].unique())):
            cells = []
            for h in horizons:
                hit = mine[(mine["discount_rate"] == rate) & (mine["horizon_years"] == h)]
                if hit.empty:
                    cells.append({"text": "–", "chosen": False})
                else:
                    cells.append(
                        {
                            "text": number(
                                float(hit["asset_value"].iloc[0]) / asset_scale, asset_digits
                            ),
                            "chosen": bool(hit["chosen"].iloc[0]),
                        }
                    )
            sens_rows.append(
                {
                    "parcel": _parcel_label(str(pid), str(name)) if k == 0 else "",
                    "rate": percent(rate),
                    "cells": cells,
                }
            )

    flow_text = (
        t["flow_latest"].format(basis=valuation.flow_basis)
        if asset.flow == "latest"
        else t["flow_mean"].format(basis=valuation.flow_basis)
    )
    sources = asset.sources_zh if lang == "zh" else asset.sources
    assumptions = [
        (t["r"], percent(asset.discount_rate), sources.get("discount_rate", "")),
        (t["g"], percent(asset.growth_rate), sources.get("growth_rate", "")),
        (t["n"], horizon_label(asset.horizon_years, lang), sources.get("horizon_years", "")),
        (t["timing"], t[f"timing_{asset.timing}"], sources.get("timing", "")),
        (t["flow"], flow_text, ""),
        (t["scope"], t[f"scope_{asset.scope}"], ""),
        (t["key"], t[f"key_{settings.key}"], ""),
    ]
    run = info["run"]
    parcels_file = info["parcels_file"]
    weighting = str(valuation.notes.get("zone_weighting", "centre"))
    wide = [
        (t["run"], run["run_folder"], False),
        (t["accounts_sha"], run["accounts_sha256"], True),
        (t["parcels_file"], parcels_file["path"], False),
        (t["parcels_sha"], parcels_file["sha256"], True),
    ]
    pairs = [
        (t["region"], _region(results.region, lang), t["years"], ", ".join(map(str, years))),
        (t["base_year"], str(base), t["run_version"], run["gepkit_version_of_run"]),
        (
            t["weighting"],
            WEIGHTING_LABEL[lang].get(weighting, weighting),
            t["parcels_crs"],
            parcels_file["crs"],
        ),
        (
            t["parcels_n"],
            str(parcels_file["parcels"]),
            t["price_basis"],
            t["price_basis_text"].format(base=base),
        ),
    ]
    notes = [
        note.format(
            weighting=weighting,
            weighting_note=WEIGHTING_NOTE[lang].get(weighting, ""),
            formula=formula(asset.timing),
        )
        for note in NOTES[lang]
    ]
    png = parcel_map_png(valuation, lang)
    shown = [w for w in valuation.warnings if w.kind != "demo"]
    return {
        "lang": lang,
        "t": t,
        "title": settings.title or t["title"],
        "today": date.today().isoformat(),
        "demo_notice": results.demo_notice,
        "demo_zh": DEMO_ZH if lang == "zh" else "",
        "inputs_wide": wide,
        "inputs_pairs": pairs,
        "region_text": _region(results.region, lang),
        "years_text": ", ".join(map(str, years)),
        "css_title": _css_text(settings.title or t["title"]),
        "formula_html": formula_html(asset.timing),
        "sections": _sections(t, bool(shown)),
        "assumptions": assumptions,
        "class_labels": [t[c] for c in classes],
        "gep_rows": gep_rows,
        "money_unit": unit,
        "gep_constant_label": t["gep_constant"].format(base=base),
        "asset_title": t["asset_table"].format(base=base),
        "asset_rows": asset_rows,
        "asset_unit": asset_unit,
        "flow_unit": flow_unit,
        "top_title": t["top_items"].format(year=latest, base=base),
        "top_rows": top_rows,
        "top_unit": top_unit,
        "horizons": [horizon_label(h, lang) for h in horizons],
        "sens_rows": sens_rows,
        "map_png": base64.b64encode(png).decode("ascii"),
        "warnings": [w.text(lang) for w in shown],
        "notes": notes,
        "footer": t["footer"].format(version=info["gepkit_version"]),
        "fonts": css_fonts(),
    }


def formula_html(timing: str) -> Markup:
    """The asset-value formula with sub- and superscripts."""
    exponent = "i−1" if timing == "start" else "i"
    return Markup(f"V = Σ<sub>i=1…n</sub> F · (1+g)<sup>i−1</sup> / (1+r)<sup>{exponent}</sup>")


def _sections(t: dict[str, str], warnings: bool) -> dict[str, str]:
    """Numbered headings (the warnings section only when there are warnings)."""
    names = ["inputs", "assumptions", "results", *(["warnings"] if warnings else []), "notes"]
    out = {}
    for n, name in enumerate(names, start=1):
        out[name] = (f"{_ZH_NUMBERS[n]}、" if t is LABELS["zh"] else f"{n}. ") + t[name]
    return out


_ZH_NUMBERS = "〇一二三四五六七八九十"


def _css_text(text: str) -> str:
    """Text safe inside a CSS string in a <style> element (the page footer)."""
    return "".join(c for c in text if c not in '\\"<>{}').strip()


def _parcel_label(pid: str, name: str) -> str:
    return f"{pid} {name}" if name and name != pid else str(pid)


def _region(region: dict[str, str], lang: str) -> str:
    name = region.get("name", "")
    if lang == "en" and region.get("name_en"):
        name = f"{region['name_en']} ({name})"
    code = region.get("code", "")
    return f"{name} {code}".strip()


def _top_items(valuation: Valuation, year: int, lang: str) -> list[dict[str, Any]]:
    """Per parcel, the largest items of ``year`` at constant prices, with their method."""
    t = LABELS[lang]
    rows = valuation.rows
    at = rows[(rows["year"] == year) & (rows["price_basis"] == valuation.price_basis)]
    out: list[dict[str, Any]] = []
    for pid, name in valuation.parcels.frame["name"].items():
        mine = at[at["parcel_id"] == pid]
        gep = float(mine["value"].sum())
        per_item = mine.groupby(["item", "item_name", "item_name_zh"], as_index=False).agg(
            value=("value", "sum"), key=("key", "first")
        )
        per_item = per_item.sort_values("value", ascending=False).head(valuation.settings.top_items)
        first = True
        for r in per_item.itertuples(index=False):
            key = str(r.key)
            method = (
                t["method_map"]
                if key == "map"
                else t["method_allocated"].format(key=t.get(f"key_name_{key}", key))
            )
            out.append(
                {
                    "parcel": _parcel_label(str(pid), str(name)) if first else "",
                    "item": r.item_name_zh if lang == "zh" else r.item_name,
                    "value": float(r.value),
                    "share": percent(r.value / gep) if gep else "–",
                    "method": method,
                }
            )
            first = False
    return out


def render_html(valuation: Valuation, info: dict[str, Any]) -> str:
    template = _environment().get_template("parcel_summary.html.j2")
    return template.render(**context(valuation, info))


def console_table(valuation: Valuation) -> Table:
    """The parcels' GEP and asset value, for the terminal."""
    from rich.table import Table

    lang = valuation.settings.lang
    summary = valuation.summary
    latest = valuation.results.years[-1]
    rows = summary[summary["year"] == latest]
    scale, unit = money_scale(
        np.concatenate([rows["gep"].to_numpy(), rows["asset_value"].to_numpy()]), lang
    )
    table = Table(
        title=f"Parcels, {latest} ({unit}; asset value at {valuation.price_basis} prices)",
        title_justify="left",
    )
    for column in ("parcel", "area km²", "inside", "regulating", "GEP", "asset value"):
        table.add_column(column, justify="left" if column == "parcel" else "right")
    for r in rows.itertuples(index=False):
        table.add_row(
            _parcel_label(str(r.parcel_id), str(r.parcel_name)),
            number(r.area_km2),
            percent(r.share_inside),
            number(r.regulating / scale),
            number(r.gep / scale),
            number(r.asset_value / scale),
        )
    return table
