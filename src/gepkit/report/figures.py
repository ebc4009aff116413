"""The figures of the GEP report: charts (SVG) and maps (PNG), in Chinese or English.

Every function takes plain numbers (already in the unit the caller names: 亿元, 万元, CNY
billion …) or a run's files, and returns a :class:`Figure`: the image bytes, their MIME type and a
plain-language description (``alt``) for accessibility.

* charts — :func:`composition_chart` (donut of the shares of GEP), :func:`ranking_chart`
  (horizontal bars, descending), :func:`time_series_chart` (grouped bars for up to three years,
  lines beyond) — are SVG with the text as paths, so they look the same everywhere without fonts,
  and the bytes are deterministic (fixed hash salt, no date);
* maps — :func:`value_map` (a per-cell value raster of ``maps/``) and :func:`choropleth_map`
  (units coloured by a value in classes) — are PNG at 200 dpi on a 6.5 in (16.5 cm) wide page,
  with the unit boundaries (leaf units thin, top-level units thick), a legend, a scale bar and a
  north arrow pointing to true north (the grid's meridian convergence).

All text is drawn with the CJK font of :mod:`gepkit.report.fonts` (DejaVu Sans as a fallback for
the few glyphs it lacks, e.g. subscripts in SO₂), so Chinese unit names never become tofu.
Numbers get thousands separators and a typographic minus.  Palettes are colour-blind-safe: the
Okabe–Ito colours for categories (fixed colours for the three classes of GEP), viridis (reversed:
light = low, dark = high) for values and BrBG for values on both sides of zero.

Figures are drawn on :class:`matplotlib.figure.Figure` objects that pyplot never sees (no global
state, no display, nothing to close); the Agg renderer measures text.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gepkit.errors import GepError
from gepkit.report.fonts import cjk_font_family

if TYPE_CHECKING:
    import geopandas
    import pandas
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.font_manager import FontProperties

__all__ = [
    "CATEGORY_COLOURS",
    "CLASS_COLOURS",
    "Figure",
    "FigureError",
    "choropleth_map",
    "composition_chart",
    "ranking_chart",
    "time_series_chart",
    "value_map",
]

SVG = "image/svg+xml"
PNG = "image/png"

#: Page width of every figure (inches): the text width of an A4 page with 2.2 cm margins.
WIDTH_IN = 6.5
#: Resolution of the maps: crisp at full width on A4 (1,300 pixels across).
MAP_DPI = 200
#: Longest side (cells) a raster is read at; larger rasters are read averaged from overviews.
MAX_RASTER_CELLS = 1600

MINUS = "−"

#: The classes of GEP (Okabe–Ito: orange, bluish green, blue).
CLASS_COLOURS = {"provisioning": "#E69F00", "regulating": "#009E73", "cultural": "#0072B2"}
#: Categories other than the classes (Okabe–Ito without black); "other" is grey.
CATEGORY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOUR = "#B0B0B0"
#: Cells whose value is exactly zero (distinct from the lowest colour and from no data).
ZERO_COLOUR = "#DADADA"
NODATA_COLOUR = "#F2F2F2"
BAR_COLOUR = "#0072B2"
HIGHLIGHT_COLOUR = "#E69F00"
TEXT_COLOUR = "#222222"
NOTE_COLOUR = "#555555"
SEQUENTIAL = "viridis_r"
DIVERGING = "BrBG"

#: Most slices a composition chart shows; beyond, the smallest are grouped as "other".
MAX_SLICES = 8

#: Names of the classes of GEP as a caller may label them (lower case, without "services" /
#: "服务" / "价值" and spaces): a composition of exactly these gets the class colours.
_CLASS_NAMES = {
    "provisioning": {"provisioning", "provision", "供给", "物质产品", "生态物质产品", "产品供给"},
    "regulating": {"regulating", "regulation", "调节", "生态调节"},
    "cultural": {"cultural", "culture", "文化", "生态文化"},
}

_TEXT = {
    "zh": {
        "other": "其他",
        "other_n": "其他（{n} 项）",
        "total": "合计",
        "share": "占比",
        "no_data": "无数据",
        "zero": "值为 0",
        "linear": "色阶：第 2–98 百分位，线性",
        "log": "色阶：第 2–98 百分位，对数",
        "diverging": "色阶：以 0 为中心，第 2–98 百分位",
        "constant": "所有像元值相同",
        "classes": "分级：分位数，{k} 级",
        "top": "前 {top} 名（共 {n} 个）",
        "rank": "{label}（第 {rank} 位）",
        "sep": "；",
        "colon": "：",
        "stop": "。",
    },
    "en": {
        "other": "Other",
        "other_n": "Other ({n} items)",
        "total": "Total",
        "share": "Share",
        "no_data": "No data",
        "zero": "Zero",
        "linear": "Colour stretch: 2nd–98th percentile, linear",
        "log": "Colour stretch: 2nd–98th percentile, logarithmic",
        "diverging": "Colour stretch: centred on 0, 2nd–98th percentile",
        "constant": "All cells have the same value",
        "classes": "Classes: quantiles ({k})",
        "top": "Top {top} of {n}",
        "rank": "{label} (#{rank})",
        "sep": "; ",
        "colon": ": ",
        "stop": ". ",
    },
}


class FigureError(GepError, ValueError):
    """A figure cannot be drawn from what it was given (nothing to show, mismatched inputs)."""


@dataclass(frozen=True)
class Figure:
    """An image of the report and its plain-language description."""

    mime: str
    """``image/svg+xml`` or ``image/png``."""
    data: bytes
    alt: str
    """What the figure shows, in words (accessibility; the tests read it)."""

    def data_uri(self) -> str:
        """The image as a ``data:`` URI for a self-contained HTML page."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


def composition_chart(
    labels: list[str], values: list[float], *, title: str, unit_label: str, lang: str
) -> Figure:
    """A donut of the shares of a total (GEP by class or by item), with a table of the values
    and shares beside it.

    Labels that name the three classes (provisioning/供给, regulating/调节, cultural/文化) keep
    their order and fixed colours; other categories are sorted by value, and beyond
    :data:`MAX_SLICES` the smallest are grouped as "other" (其他).  NaN values are left out (and
    named in ``alt``); negative values are an error (a share of a deduction means nothing)."""
    text = _text(lang)
    pairs = _pairs(labels, values, "composition_chart")
    missing = [label for label, value in pairs if not math.isfinite(value)]
    pairs = [(label, value) for label, value in pairs if math.isfinite(value)]
    negative = [label for label, value in pairs if value < 0]
    if negative:
        raise FigureError(
            f"composition_chart: shares need values ≥ 0, got negative values for "
            f"{', '.join(negative)} (show deductions beside the chart, not as a share)"
        )
    total = sum(value for _, value in pairs)
    if not pairs or total <= 0:
        raise FigureError(f"composition_chart '{title}': nothing to show (no value above 0)")

    classes = [_class_of(label) for label, _ in pairs]
    by_class = all(classes) and len(set(classes)) == len(classes)
    if by_class:
        slices = [
            (label, value, CLASS_COLOURS[str(c)])
            for (label, value), c in zip(pairs, classes, strict=True)
        ]
    else:
        ordered = sorted(pairs, key=lambda p: -p[1])
        if len(ordered) > MAX_SLICES:
            kept, rest = ordered[: MAX_SLICES - 1], ordered[MAX_SLICES - 1 :]
            ordered = [*kept, (text["other_n"].format(n=len(rest)), sum(v for _, v in rest))]
        slices = [
            (label, value, CATEGORY_COLOURS[i] if i < len(CATEGORY_COLOURS) else OTHER_COLOUR)
            for i, (label, value) in enumerate(ordered)
        ]
        if len(ordered) == MAX_SLICES and len(pairs) > MAX_SLICES:
            slices[-1] = (slices[-1][0], slices[-1][1], OTHER_COLOUR)

    digits = _digits_for([v for _, v, _ in slices] + [total])

    def build(fig: MplFigure) -> None:
        height = fig.get_figheight()
        top = _title(fig, title)
        ax = fig.add_axes((0.01, 0.03, 2.5 / WIDTH_IN, top - 0.05))
        shown = [max(v, 0.0) for _, v, _ in slices]
        wedges, _ = ax.pie(
            shown,
            colors=[c for _, _, c in slices],
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.36, "edgecolor": "white", "linewidth": 1.0},
        )
        for wedge, (_, value, colour) in zip(wedges, slices, strict=True):
            if value / total < 0.05:
                continue
            angle = math.radians((wedge.theta1 + wedge.theta2) / 2)
            ax.text(
                0.82 * math.cos(angle),
                0.82 * math.sin(angle),
                _share(value / total, lang),
                ha="center",
                va="center",
                fontsize=7,
                color=_ink_on(colour),
            )
        ax.text(0, 0.12, text["total"], ha="center", va="center", fontsize=7, color=NOTE_COLOUR)
        ax.text(0, -0.05, _number(total, digits), ha="center", va="center", fontsize=9.5)
        ax.text(0, -0.24, unit_label, ha="center", va="center", fontsize=7, color=NOTE_COLOUR)
        ax.set_aspect("equal")
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)

        # the table: swatch, label, value, share; the columns placed after measuring the labels
        renderer = _renderer(fig)
        x0 = 2.75 / WIDTH_IN
        row = 0.19 / height
        n = len(slices) + 1
        y = 0.5 * (top - 0.02) + 0.5 * n * row
        value_w = max(
            _text_width(renderer, s, 8)
            for s in [unit_label, *(_number(v, digits) for _, v, _ in slices)]
        )
        share_w = max(_text_width(renderer, s, 8) for s in [text["share"], "100.0 %"])
        room = WIDTH_IN * 0.99 - 2.45 - 0.2 - 0.25 - value_w - 0.2 - share_w
        names = [_fit(renderer, label, room, 8) for label, _, _ in slices]
        label_w = max(_text_width(renderer, label, 8) for label in names)
        x_label = x0 + 0.2 / WIDTH_IN
        x_value = x_label + (label_w + 0.25 + value_w) / WIDTH_IN
        x_share = x_value + (0.2 + share_w) / WIDTH_IN
        if x_share > 0.99:  # long labels: shift the table left over the spare room
            shift = x_share - 0.99
            x_label, x_value, x_share = x_label - shift, x_value - shift, x_share - shift
            x0 -= shift
        head: dict[str, Any] = {"fontsize": 7, "color": NOTE_COLOUR, "va": "center"}
        fig.text(x_value, y, unit_label, ha="right", **head)
        fig.text(x_share, y, text["share"], ha="right", **head)
        for label, (_, value, colour) in zip(names, slices, strict=True):
            y -= row
            fig.patches.append(
                _square(fig, x0, y, 0.11, colour)  # swatch
            )
            fig.text(x_label, y, label, ha="left", va="center", fontsize=8)
            fig.text(x_value, y, _number(value, digits), ha="right", va="center", fontsize=8)
            fig.text(x_share, y, _share(value / total, lang), ha="right", va="center", fontsize=8)

    height = max(2.6, 0.75 + 0.19 * (len(slices) + 1) + 0.3)
    data = _render_svg(build, (WIDTH_IN, height))
    parts = [
        f"{label} {_number(value, digits)} {unit_label} ({_share(value / total, lang)})"
        for label, value, _ in slices
    ]
    if lang == "zh":
        alt = (
            f"环形图：{title}。合计 {_number(total, digits)} {unit_label}，其中"
            + "；".join(p.replace(" (", "（").replace(")", "）") for p in parts)
            + "。"
        )
        if missing:
            alt += f"无数据：{'、'.join(missing)}。"
    else:
        alt = (
            f"Donut chart: {title}. Total {_number(total, digits)} {unit_label}: "
            + "; ".join(parts)
            + "."
        )
        if missing:
            alt += f" No data: {', '.join(missing)}."
    return Figure(SVG, data, alt)


def ranking_chart(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    unit_label: str,
    lang: str,
    highlight: list[str] | None = None,
    top: int = 20,
) -> Figure:
    """Horizontal bars sorted from the highest value down (e.g. GEP per km² by county), the
    value at the end of each bar.

    Only the ``top`` highest are drawn; units named in ``highlight`` are drawn in a contrasting
    colour, and a highlighted unit outside the top is added below them with its rank.  NaN
    values are left out (counted in ``alt``); negative values get bars to the left of zero."""
    text = _text(lang)
    if top < 1:
        raise FigureError(f"ranking_chart: top must be at least 1, got {top}")
    pairs = _pairs(labels, values, "ranking_chart")
    missing = [label for label, value in pairs if not math.isfinite(value)]
    ranked = sorted(
        ((label, value) for label, value in pairs if math.isfinite(value)), key=lambda p: -p[1]
    )
    if not ranked:
        raise FigureError(f"ranking_chart '{title}': nothing to show (no finite value)")
    marked = set(highlight or [])
    rows: list[tuple[str, float, int, bool]] = [
        (label, value, rank, label in marked)
        for rank, (label, value) in enumerate(ranked[:top], start=1)
    ]
    extra = [
        (label, value, rank, True)
        for rank, (label, value) in enumerate(ranked, start=1)
        if rank > top and label in marked
    ]
    digits = _digits_for([v for _, v, _, _ in rows + extra])
    n_rows = len(rows) + len(extra) + (0.6 if extra else 0)
    truncated = len(ranked) > top

    def build(fig: MplFigure) -> None:
        height = fig.get_figheight()
        top_y = _title(
            fig, title, note=text["top"].format(top=top, n=len(ranked)) if truncated else None
        )
        renderer = _renderer(fig)
        tick_labels = [label for label, _, _, _ in rows] + [
            text["rank"].format(label=label, rank=rank) for label, _, rank, _ in extra
        ]
        tick_labels = [_fit(renderer, s, 0.43 * WIDTH_IN - 0.2, 7.5) for s in tick_labels]
        label_w = max(_text_width(renderer, s, 7.5) for s in tick_labels)
        left = min(0.45, (label_w + 0.2) / WIDTH_IN)
        ax = fig.add_axes((left, 0.45 / height, 0.97 - left, top_y - 0.05 / height - 0.45 / height))
        ys: list[float] = [float(i) for i in range(len(rows))]
        if extra:
            ys += [len(rows) + 0.6 + i for i in range(len(extra))]
        entries = rows + extra
        colours = [HIGHLIGHT_COLOUR if mark else BAR_COLOUR for _, _, _, mark in entries]
        vals = [v for _, v, _, _ in entries]
        ax.barh(ys, vals, height=0.72, color=colours)
        ax.set_yticks(ys, tick_labels, fontsize=7.5)
        for tick, (_, _, _, mark) in zip(ax.get_yticklabels(), entries, strict=True):
            if mark:
                tick.set_fontweight("bold")
        ax.set_ylim(max(ys) + 0.6, -0.6)
        lo, hi = min(0.0, *vals), max(0.0, *vals)
        span = (hi - lo) or abs(hi) or 1.0
        ax.set_xlim(
            lo - (0.16 * span if lo < 0 else 0), hi + (0.16 * span if hi > 0 else 0.02 * span)
        )
        for y, value in zip(ys, vals, strict=True):
            ax.text(
                value,
                y,
                ("  " + _number(value, digits)) if value >= 0 else (_number(value, digits) + "  "),
                ha="left" if value >= 0 else "right",
                va="center",
                fontsize=6.5,
                color=TEXT_COLOUR,
            )
        if extra:
            ax.axhline(len(rows) - 0.2, color="#999999", linewidth=0.5, linestyle=(0, (2, 2)))
        if lo < 0:
            ax.axvline(0, color="#666666", linewidth=0.6)
        _style_value_axis(ax.xaxis)
        ax.set_xlabel(unit_label, fontsize=7.5)
        ax.tick_params(axis="y", length=0)
        ax.spines[["top", "right", "left"]].set_visible(False)
        ax.grid(axis="x", color="#E0E0E0", linewidth=0.5)
        ax.set_axisbelow(True)

    height = 0.95 + 0.2 * n_rows + (0.15 if truncated else 0)
    data = _render_svg(build, (WIDTH_IN, height))
    listed = [f"{rank}. {label} {_number(value, digits)}" for label, value, rank, _ in rows + extra]
    if lang == "zh":
        alt = f"条形图：{title}（{unit_label}），从高到低排列" + (
            f"，前 {top} 名（共 {len(ranked)} 个）" if truncated else ""
        )
        alt += "：" + "；".join(listed) + "。"
        if missing:
            alt += f"{len(missing)} 个无数据。"
    else:
        alt = f"Bar chart: {title} ({unit_label}), from highest to lowest" + (
            f", top {top} of {len(ranked)}" if truncated else ""
        )
        alt += ": " + "; ".join(listed) + "."
        if missing:
            alt += f" {len(missing)} without data."
    return Figure(SVG, data, alt)


def time_series_chart(
    years: list[int], series: dict[str, list[float]], *, title: str, unit_label: str, lang: str
) -> Figure:
    """Several series over the years (GEP at current and constant prices, GDP …): grouped bars
    with their values for up to three years, lines with markers beyond (the last value
    labelled).  NaN values are gaps."""
    _text(lang)
    if not years:
        raise FigureError(f"time_series_chart '{title}': no years given")
    if not series:
        raise FigureError(f"time_series_chart '{title}': no series given")
    if len(set(years)) != len(years):
        raise FigureError(f"time_series_chart: the years repeat: {years}")
    for name, vals in series.items():
        if len(vals) != len(years):
            raise FigureError(
                f"time_series_chart: series '{name}' has {len(vals)} values for {len(years)} years"
            )
    order = sorted(range(len(years)), key=lambda i: years[i])
    xs = [int(years[i]) for i in order]
    table = {name: [_float(vals[i]) for i in order] for name, vals in series.items()}
    finite = [v for vals in table.values() for v in vals if math.isfinite(v)]
    if not finite:
        raise FigureError(f"time_series_chart '{title}': nothing to show (no finite value)")
    digits = _digits_for(finite)
    bars = len(xs) <= 3
    colours = {name: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, name in enumerate(table)}

    def build(fig: MplFigure) -> None:
        height = fig.get_figheight()
        top = _title(fig, title)
        rows = math.ceil(len(table) / 4)
        bottom = (0.38 + 0.2 * rows) / height
        ax = fig.add_axes((0.11, bottom, 0.86, top - 0.3 / height - bottom))
        n = len(table)
        if bars:
            width = min(0.8 / n, 0.28)
            for k, (name, vals) in enumerate(table.items()):
                offsets = [i + (k - (n - 1) / 2) * width for i in range(len(xs))]
                shown = [(o, v) for o, v in zip(offsets, vals, strict=True) if math.isfinite(v)]
                ax.bar(
                    [o for o, _ in shown],
                    [v for _, v in shown],
                    width=width * 0.92,
                    color=colours[name],
                    label=name,
                )
                for o, v in shown:
                    ax.text(
                        o,
                        v,
                        _number(v, digits),
                        ha="center",
                        va="bottom" if v >= 0 else "top",
                        fontsize=6.5,
                        color=TEXT_COLOUR,
                    )
            ax.set_xticks(range(len(xs)), [str(x) for x in xs])
            ax.set_xlim(-0.6, len(xs) - 0.4)
        else:
            for name, vals in table.items():
                ax.plot(
                    xs,
                    vals,
                    marker="o",
                    markersize=3.5,
                    linewidth=1.4,
                    color=colours[name],
                    label=name,
                )
                last = next((i for i in range(len(xs) - 1, -1, -1) if math.isfinite(vals[i])), None)
                if last is not None:
                    ax.annotate(
                        _number(vals[last], digits),
                        (xs[last], vals[last]),
                        xytext=(4, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=6.5,
                        color=colours[name],
                    )
            step = max(1, math.ceil(len(xs) / 12))
            ax.set_xticks(xs[::step], [str(x) for x in xs[::step]])
            ax.set_xlim(xs[0] - 0.5, xs[-1] + 0.9)
        lo, hi = min(0.0, *finite), max(0.0, *finite)
        span = (hi - lo) or 1.0
        ax.set_ylim(lo - (0.08 * span if lo < 0 else 0), hi + 0.1 * span)
        if lo < 0:
            ax.axhline(0, color="#666666", linewidth=0.6)
        _style_value_axis(ax.yaxis)
        # the unit above the value axis, horizontal (a rotated label reads badly in Chinese)
        ax.annotate(
            unit_label,
            (0, 1),
            xycoords="axes fraction",
            xytext=(0, 8),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=7,
            color=NOTE_COLOUR,
        )
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#E0E0E0", linewidth=0.5)
        ax.set_axisbelow(True)
        fig.legend(
            loc="upper center",
            bbox_to_anchor=(0.11 + 0.43, bottom - 0.3 / height),
            ncol=min(n, 4),
            frameon=False,
            fontsize=7.5,
            handlelength=1.2,
            columnspacing=1.8,
            borderaxespad=0.0,
        )

    data = _render_svg(build, (WIDTH_IN, 2.9 + 0.2 * (math.ceil(len(table) / 4) - 1)))
    described = []
    for name, vals in table.items():
        points = ", ".join(
            f"{x} {_number(v, digits)}" for x, v in zip(xs, vals, strict=True) if math.isfinite(v)
        )
        described.append(f"{name}: {points}")
    kind_zh, kind_en = ("分组柱状图", "Grouped bar chart") if bars else ("折线图", "Line chart")
    if lang == "zh":
        alt = f"{kind_zh}：{title}（{unit_label}）。" + "；".join(described) + "。"
    else:
        alt = f"{kind_en}: {title} ({unit_label}). " + "; ".join(described) + "."
    return Figure(SVG, data, alt)


# ---------------------------------------------------------------------------------------------
# Maps
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stretch:
    kind: Literal["linear", "log", "diverging", "constant"]
    vmin: float
    vmax: float
    extend: Literal["neither", "min", "max", "both"]


def value_map(
    raster: Path,
    units: geopandas.GeoDataFrame,
    *,
    title: str,
    legend_label: str,
    lang: str,
    scale: float = 1.0,
) -> Figure:
    """A per-cell value raster (``maps/<item>_<year>_value.tif``) × ``scale`` under the units'
    boundaries, with a colour bar, a scale bar and a north arrow (PNG).

    The colours stretch from the 2nd to the 98th percentile of the non-zero cells: linearly, or
    logarithmically when those span more than a decade and most cells crowd the bottom of a linear
    scale (median in its lowest tenth); centred on zero (BrBG) when the cells take both signs.
    Cells beyond the stretch take its end colours (arrows on the colour bar), zero cells a light
    grey of their own, NaN cells (outside the units) stay blank.  The legend says which stretch
    was used."""
    text = _text(lang)
    if not math.isfinite(scale) or scale == 0:
        raise FigureError(f"value_map: scale must be a finite non-zero number, got {scale}")
    values, extent, crs = _read_raster(Path(raster), scale)
    frame = _units_frame(units, crs, "value_map")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise FigureError(f"value_map: {raster} has no value (every cell is NaN)")
    stretch = _stretch(finite)
    zeros = int(np.count_nonzero(finite == 0))
    cmap, norm = _colours(stretch)
    rgba = _paint(values, stretch, cmap, norm, zero_grey=stretch.kind != "diverging")

    def build(fig: MplFigure, layout: _MapLayout) -> None:
        ax = layout.ax
        ax.imshow(rgba, extent=extent, interpolation="nearest", zorder=1)
        _draw_boundaries(ax, frame)
        _map_furniture(fig, ax, frame, layout)
        renderer = _renderer(fig)
        y = _side_heading(fig, layout, renderer, legend_label)
        _colour_bar(
            fig,
            layout,
            cmap,
            norm,
            stretch,
            y,
            zeros=zeros and stretch.kind != "diverging",
            lang=lang,
        )

    data = _render_map(build, frame, title, side_in=1.55, legend_in=2.5)
    lo, hi = float(finite.min()), float(finite.max())
    digits = _digits_for([lo, hi])
    note = text["constant"] if stretch.kind == "constant" else text[stretch.kind]
    share0 = zeros / finite.size
    if lang == "zh":
        alt = (
            f"地图：{title}。图例：{legend_label}；像元值从 {_number(lo, digits)} 到 "
            f"{_number(hi, digits)}；{note}"
            + (f"；{_share(share0, lang)} 的像元为 0" if zeros else "")
            + f"；绘有 {len(frame)} 个单元的边界、"
            + ("比例尺和指北针。" if _is_metric(frame.crs) else "指北针。")
        )
    else:
        alt = (
            f"Map: {title}. Legend: {legend_label}; cell values from {_number(lo, digits)} to "
            f"{_number(hi, digits)}; {note[0].lower() + note[1:]}"
            + (f"; {_share(share0, lang)} of the cells are zero" if zeros else "")
            + f"; boundaries of {len(frame)} units, "
            + ("scale bar and north arrow." if _is_metric(frame.crs) else "north arrow.")
        )
    return Figure(PNG, data, alt)


def choropleth_map(
    units: geopandas.GeoDataFrame,
    values: pandas.Series,
    *,
    title: str,
    legend_label: str,
    lang: str,
    labels: bool = False,
) -> Figure:
    """Units coloured by a value in five quantile classes (PNG), with the boundaries of the
    levels above, a classed legend (rounded breaks, number of units per class), a scale bar, a
    north arrow and, with ``labels``, the units' names.

    ``values`` is indexed by unit code, matched against the ``code`` column of ``units`` (or its
    index).  Units of the same level without a value (or NaN) are drawn as "no data"; codes
    that are not in ``units`` are an error."""
    import pandas as pd

    text = _text(lang)
    frame = _units_frame(units, None, "choropleth_map")
    series = pd.Series(values)
    if series.empty:
        raise FigureError(f"choropleth_map '{title}': no values given")
    series.index = [_code(c) for c in series.index]
    unknown = [c for c in series.index if c not in set(frame["_code"])]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise FigureError(
            f"choropleth_map: {len(unknown)} value(s) for codes not among the units: {shown}"
        )
    try:
        numbers = pd.to_numeric(series, errors="raise").astype("float64")
    except (TypeError, ValueError) as err:
        raise FigureError(f"choropleth_map: the values are not numbers ({err})") from None
    frame["_value"] = frame["_code"].map(numbers)
    valued = frame["_code"].isin(numbers.index)
    finite = frame["_value"].notna() & np.isfinite(frame["_value"].fillna(np.nan))
    if not finite.any():
        raise FigureError(f"choropleth_map '{title}': nothing to show (no finite value)")
    levels = set(frame.loc[valued, "_depth"])
    target = frame[frame["_depth"].isin(levels)].sort_values("_depth", kind="stable")
    no_data = target[~target["_value"].apply(lambda v: v is not None and math.isfinite(v))]
    coloured = target[target["_value"].apply(lambda v: v is not None and math.isfinite(v))]
    breaks, digits = _class_breaks(coloured["_value"].to_numpy(dtype="float64"))
    k = len(breaks) - 1
    palette = _class_palette(k)
    index = _classify(coloured["_value"].to_numpy(dtype="float64"), breaks)
    counts = [int(np.count_nonzero(index == i)) for i in range(k)]
    class_labels = [
        f"{_number(breaks[i], digits)} – {_number(breaks[i + 1], digits)}" for i in range(k)
    ]

    def build(fig: MplFigure, layout: _MapLayout) -> None:
        from matplotlib.patches import Patch

        ax = layout.ax
        _fill(ax, coloured.geometry, [palette[i] for i in index], 1, edgecolors="none")
        if len(no_data):
            _fill(
                ax,
                no_data.geometry,
                [NODATA_COLOUR] * len(no_data),
                1,
                edgecolors="#9A9A9A",
                linewidths=0,
                hatch="////",
            )
        _lines(ax, target.geometry, "white", 0.35, 2)
        depth = int(target["_depth"].min())
        _lines(ax, frame.geometry[(frame["_depth"] < depth) & ~frame["_top"]], "#1A1A1A", 0.6, 4)
        if depth == 0 and len(target) > 1:
            _lines(ax, [target.geometry.union_all()], "#000000", 1.0, 5)
        else:
            _lines(ax, frame.geometry[frame["_top"]], "#000000", 1.0, 5)
        if labels:
            _label_units(fig, ax, coloured if not len(no_data) else target)
        _map_furniture(fig, ax, frame, layout)
        renderer = _renderer(fig)
        y = _side_heading(fig, layout, renderer, legend_label)
        handles = [
            Patch(
                facecolor=palette[i],
                edgecolor="#666666",
                linewidth=0.3,
                label=f"{class_labels[i]}  ({counts[i]})",
            )
            for i in range(k - 1, -1, -1)
        ]
        if len(no_data):
            handles.append(
                Patch(
                    facecolor=NODATA_COLOUR,
                    edgecolor="#9A9A9A",
                    hatch="////",
                    linewidth=0.3,
                    label=f"{text['no_data']}  ({len(no_data)})",
                )
            )
        legend = fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(layout.side[0] - 0.01, y),
            frameon=False,
            fontsize=7,
            handlelength=1.6,
            handleheight=1.1,
            labelspacing=0.45,
            borderaxespad=0.0,
            borderpad=0.0,
        )
        box = legend.get_window_extent(renderer).transformed(fig.transFigure.inverted())
        _side_note(fig, layout, renderer, text["classes"].format(k=k), box.y0 - 0.012)

    rows = k + (1 if len(no_data) else 0)
    data = _render_map(build, frame, title, side_in=1.55, legend_in=0.8 + 0.21 * rows)
    ordered = coloured.sort_values("_value", ascending=False)
    high, low = ordered.iloc[0], ordered.iloc[-1]
    listed = [f"{class_labels[i]} ({counts[i]})" for i in range(k)]
    if lang == "zh":
        alt = (
            f"分级统计地图：{title}。图例：{legend_label}；{len(coloured)} 个单元按分位数分为 {k} 级："
            + "；".join(listed)
            + f"。最高为{high['_name']}（{_number(high['_value'])}），"
            f"最低为{low['_name']}（{_number(low['_value'])}）"
            + (f"；{len(no_data)} 个单元无数据" if len(no_data) else "")
            + ("；绘有边界、比例尺和指北针。" if _is_metric(frame.crs) else "；绘有边界和指北针。")
        )
    else:
        alt = (
            f"Choropleth map: {title}. Legend: {legend_label}; {len(coloured)} units in {k} "
            f"quantile classes: "
            + "; ".join(listed)
            + f". Highest {high['_name']} ({_number(high['_value'])}), lowest "
            f"{low['_name']} ({_number(low['_value'])})"
            + (f"; {len(no_data)} units without data" if len(no_data) else "")
            + (
                "; boundaries, scale bar and north arrow."
                if _is_metric(frame.crs)
                else "; boundaries and north arrow."
            )
        )
    return Figure(PNG, data, alt)


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    family = cjk_font_family()
    with matplotlib.rc_context(
        {
            "font.family": [family, "DejaVu Sans"],
            "font.size": 8,
            "text.color": TEXT_COLOUR,
            "axes.edgecolor": "#777777",
            "axes.linewidth": 0.6,
            "axes.labelcolor": TEXT_COLOUR,
            "axes.unicode_minus": True,
            "xtick.color": "#555555",
            "ytick.color": "#555555",
            "xtick.labelcolor": TEXT_COLOUR,
            "ytick.labelcolor": TEXT_COLOUR,
            "xtick.labelsize": 7,
            "ytick.labelsize": 7,
            "xtick.major.width": 0.6,
            "ytick.major.width": 0.6,
            "hatch.linewidth": 0.4,
            "svg.fonttype": "path",
            "svg.hashsalt": "gepkit",
            "svg.image_inline": True,
            "path.simplify": True,
            "image.resample": False,
        }
    ):
        yield


def _render_svg(build: Callable[[MplFigure], None], size: tuple[float, float]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    with _style():
        fig = MplFigure(figsize=size, dpi=100, facecolor="white")
        FigureCanvasAgg(fig)
        build(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    return buffer.getvalue()


@dataclass(frozen=True)
class _MapLayout:
    ax: Axes
    bounds: tuple[float, float, float, float]
    side: tuple[float, float, float, float]
    """The legend column (left, bottom, width, height) in figure fractions."""
    side_width_in: float
    scale_corner: str
    """Where the scale bar goes ("lower left" …); empty: no scale bar (not a metric CRS)."""
    arrow_corner: str


#: Physical sizes of the map furniture (inches), the same on every map.
_SCALE_TARGET_IN = 1.4
_BAR_HEIGHT_IN = 0.05
_ARROW_HEIGHT_IN = 0.3
_INSET_IN = 0.06
_PAD_IN = 0.05
_SCALE_BLOCK_IN = (_SCALE_TARGET_IN + 0.45, _BAR_HEIGHT_IN + 0.17 + 2 * _PAD_IN)
_ARROW_BLOCK_IN = (0.3, _ARROW_HEIGHT_IN + 0.2 + 2 * _PAD_IN)
_CORNERS = ("lower left", "lower right", "upper left", "upper right")
#: Largest share of a corner the units may cover before the map grows a strip for the furniture.
_CROWDED = 0.02
_MARGIN_IN, _GAP_IN, _TITLE_IN, _MAX_MAP_H_IN = 0.08, 0.12, 0.42, 7.6


def _map_size(bounds: tuple[float, float, float, float], side_in: float) -> tuple[float, float]:
    """Width and height (inches) of the map for ``bounds`` at equal aspect."""
    aspect = (bounds[3] - bounds[1]) / (bounds[2] - bounds[0])
    map_w = WIDTH_IN - side_in - 2 * _MARGIN_IN - _GAP_IN
    map_h = map_w * aspect
    if map_h > _MAX_MAP_H_IN:
        map_h = _MAX_MAP_H_IN
        map_w = map_h / aspect
    return map_w, map_h


def _map_plan(
    frame: geopandas.GeoDataFrame, side_in: float
) -> tuple[tuple[float, float, float, float], str, str]:
    """The map's bounds and the corners of the scale bar and the north arrow.

    The bounds are the units' padded by 3 %; the scale bar takes the emptiest corner (the bottom
    preferred), the arrow the emptiest of the others (the top preferred).  When the units crowd
    the corner chosen (a region that fills its bounding box), the map grows a strip below
    (scale bar) or above (arrow) so that the furniture covers no data."""
    minx, miny, maxx, maxy = (float(b) for b in frame.total_bounds)
    pad = 0.03 * max(maxx - minx, maxy - miny, 1e-9)
    base = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    crs = frame.crs
    metric = _is_metric(crs)
    leaves = frame[frame["_leaf"]] if frame["_leaf"].any() else frame
    below = above = 0.0
    scale_corner = arrow_corner = ""
    grow_below = grow_above = False
    for attempt in range(3):
        bounds = (base[0], base[1] - below, base[2], base[3] + above)
        per_in = (bounds[2] - bounds[0]) / _map_size(bounds, side_in)[0]
        inset = _INSET_IN * per_in
        scale = (_SCALE_BLOCK_IN[0] * per_in, _SCALE_BLOCK_IN[1] * per_in)
        arrow = (_ARROW_BLOCK_IN[0] * per_in, _ARROW_BLOCK_IN[1] * per_in)
        if attempt == 0:
            free = list(_CORNERS)
            if metric:
                taken = {c: _occupancy(leaves, base, c, scale, inset) for c in free}
                scale_corner = min(
                    free, key=lambda c: (taken[c] + (0.02 if "upper" in c else 0), free.index(c))
                )
                if taken[scale_corner] > _CROWDED:
                    grow_below = True
                    scale_corner = min(("lower left", "lower right"), key=taken.__getitem__)
                free.remove(scale_corner)
            taken = {c: _occupancy(leaves, base, c, arrow, inset) for c in free}
            arrow_corner = min(
                free, key=lambda c: (taken[c] + (0.02 if "lower" in c else 0), -_CORNERS.index(c))
            )
            if taken[arrow_corner] > _CROWDED:
                options = [c for c in ("upper right", "upper left") if c in free]
                grow_above = bool(options)
                arrow_corner = options[0] if options else arrow_corner
        below = scale[1] + inset if grow_below else 0.0
        above = arrow[1] + inset if grow_above else 0.0
    return (base[0], base[1] - below, base[2], base[3] + above), scale_corner, arrow_corner


def _render_map(
    build: Callable[[MplFigure, _MapLayout], None],
    frame: geopandas.GeoDataFrame,
    title: str,
    *,
    side_in: float,
    legend_in: float,
) -> bytes:
    """A map on a 6.5 in wide page: the title on top, the map (axes fitted exactly to the
    bounds of :func:`_map_plan`, equal aspect) on the left, a legend column of ``side_in``
    inches on the right (at least ``legend_in`` high), rendered to PNG at :data:`MAP_DPI`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    bounds, scale_corner, arrow_corner = _map_plan(frame, side_in)
    map_w, map_h = _map_size(bounds, side_in)
    body_h = max(map_h, legend_in)
    fig_h = body_h + _TITLE_IN + 2 * _MARGIN_IN
    with _style():
        fig = MplFigure(figsize=(WIDTH_IN, fig_h), dpi=MAP_DPI, facecolor="white")
        FigureCanvasAgg(fig)
        lines = _wrap(_renderer(fig), title, WIDTH_IN - 0.15, 10, "bold").count("\n")
        fig_h += 0.19 * lines
        fig.set_size_inches(WIDTH_IN, fig_h)
        _title(fig, title)
        bottom = _MARGIN_IN + body_h - map_h  # the map's top level with the legend's
        ax = fig.add_axes(
            (_MARGIN_IN / WIDTH_IN, bottom / fig_h, map_w / WIDTH_IN, map_h / fig_h),
            frame_on=False,
        )
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        side_left = (_MARGIN_IN + map_w + _GAP_IN) / WIDTH_IN
        side = (
            side_left,
            _MARGIN_IN / fig_h,
            1 - _MARGIN_IN / WIDTH_IN - side_left,
            body_h / fig_h,
        )
        layout = _MapLayout(
            ax=ax,
            bounds=bounds,
            side=side,
            side_width_in=side_in,
            scale_corner=scale_corner,
            arrow_corner=arrow_corner,
        )
        build(fig, layout)
        ax.set_axis_off()
        return _png(fig)


def _png(fig: MplFigure) -> bytes:
    """The figure as an RGB PNG (a map's page is white: no alpha channel), zlib level 6: a
    tenth of the time of an optimised PNG for 2 % more bytes.  (A 256-colour palette would be a
    third of the size but bands the colour bar.)"""
    from PIL import Image

    canvas = fig.canvas
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), mode="RGB")
    dpi = round(fig.dpi)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6, dpi=(dpi, dpi))
    return out.getvalue()


def _title(fig: MplFigure, title: str, *, note: str | None = None) -> float:
    """Draw the title (and a note under it) at the top left; return the figure fraction below."""
    height = fig.get_figheight()
    y = 1 - 0.08 / height
    wrapped = _wrap(_renderer(fig), title, fig.get_figwidth() - 0.15, 10, "bold")
    fig.text(0.01, y, wrapped, ha="left", va="top", fontsize=10, fontweight="bold")
    y -= (0.25 + 0.19 * wrapped.count("\n")) / height
    if note:
        fig.text(0.01, y, note, ha="left", va="top", fontsize=7, color=NOTE_COLOUR)
        y -= 0.17 / height
    return y - 0.05 / height


def _renderer(fig: MplFigure) -> Any:
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def _font(size: float, weight: str = "normal") -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=size, weight=weight)


def _text_width(renderer: Any, text: str, size: float, weight: str = "normal") -> float:
    """Width of ``text`` in inches at ``size`` points."""
    width, _, _ = renderer.get_text_width_height_descent(text, _font(size, weight), ismath=False)
    return float(width) / renderer.dpi


def _wrap(renderer: Any, text: str, width_in: float, size: float, weight: str = "normal") -> str:
    """Break ``text`` into lines no wider than ``width_in``: between words, and between any two
    Chinese characters."""
    tokens: list[str] = []
    for ch in text:
        if ch == " ":
            tokens.append(" ")
        elif ord(ch) > 0x2E80 or not tokens or tokens[-1] == " " or ord(tokens[-1][-1]) > 0x2E80:
            tokens.append(ch)
        else:
            tokens[-1] += ch
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = line + token
        if line.strip() and _text_width(renderer, candidate.rstrip(), size, weight) > width_in:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.strip())
    return "\n".join(lines)


def _fit(renderer: Any, text: str, width_in: float, size: float) -> str:
    """``text``, cut with an ellipsis to fit ``width_in`` (the full text is in ``alt``)."""
    if _text_width(renderer, text, size) <= width_in:
        return text
    while len(text) > 1 and _text_width(renderer, text + "…", size) > width_in:
        text = text[:-1]
    return text.rstrip() + "…"


def _square(fig: MplFigure, x: float, y: float, size_in: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    w, h = size_in / fig.get_figwidth(), size_in / fig.get_figheight()
    return Rectangle(
        (x, y - h / 2),
        w,
        h,
        transform=fig.transFigure,
        figure=fig,
        facecolor=colour,
        edgecolor="none",
    )


def _ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour``."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if luminance > 0.45 else "white"


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def _number(value: float, digits: int | None = None) -> str:
    """Thousands separators, typographic minus; decimals by magnitude unless given (2 below 100,
    1 below 10,000, else 0: as the report's tables)."""
    value = float(value)
    if not math.isfinite(value):
        return "–"
    if digits is None:
        digits = _digits_for([value])
    text = f"{value:,.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text[1:].replace(",", "")) == 0 else MINUS + text[1:]
    return text


def _digits_for(values: Sequence[float]) -> int:
    largest = max((abs(float(v)) for v in values if math.isfinite(float(v))), default=0.0)
    return 2 if largest < 100 else 1 if largest < 10_000 else 0


def _share(fraction: float, lang: str) -> str:
    if not math.isfinite(fraction):
        return "–"
    if 0 < abs(fraction) < 0.00005:
        return "<0.01 %"
    digits = 1 if abs(fraction) >= 0.01 else 2
    return f"{fraction * 100:.{digits}f} %".replace("-", MINUS)


def _plain(value: float) -> str:
    """A tick value: thousands separators, no trailing zeros (0.5, 20, 1,000)."""
    if value == 0:
        return "0"
    size = abs(value)
    digits = max(0, min(6, 3 - math.floor(math.log10(size)))) if size < 1 else 0
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", MINUS)


def _style_value_axis(axis: Any) -> None:
    from matplotlib.ticker import Formatter, MaxNLocator

    class Thousands(Formatter):
        digits = 0

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            steps = np.diff(np.asarray(locs, dtype="float64"))
            step = float(np.min(np.abs(steps))) if steps.size else 1.0
            self.digits = max(0, math.ceil(-math.log10(step) - 1e-9)) if 0 < step < 1 else 0

        def __call__(self, x: float, pos: int | None = None) -> str:
            return _number(x, self.digits)

    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(Thousands())


def _text(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise FigureError(f"lang must be 'zh' or 'en', got {lang!r}")
    return _TEXT[lang]


def _float(value: Any) -> float:
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        raise FigureError(f"not a number: {value!r}") from None


def _pairs(labels: Sequence[str], values: Sequence[float], what: str) -> list[tuple[str, float]]:
    if len(labels) != len(values):
        raise FigureError(f"{what}: {len(labels)} labels but {len(values)} values")
    if not labels:
        raise FigureError(f"{what}: no values given")
    return [(str(label), _float(value)) for label, value in zip(labels, values, strict=True)]


def _class_of(label: str) -> str | None:
    """The class a label names (``供给服务``, ``Regulating services``, ``cultural`` …) or None."""
    text = label.strip().lower().replace(" ", "")
    for suffix in ("services", "service", "服务", "价值", "类"):
        text = text.removesuffix(suffix)
    return next((key for key, names in _CLASS_NAMES.items() if text in names), None)


# ---------------------------------------------------------------------------------------------
# Map parts
# ---------------------------------------------------------------------------------------------


def _read_raster(
    path: Path, scale: float
) -> tuple[np.ndarray, tuple[float, float, float, float], Any]:
    """The raster's first band as float64 × scale with NaN for nodata, its extent (left, right,
    bottom, top) and CRS; rasters larger than :data:`MAX_RASTER_CELLS` read averaged."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioIOError

    try:
        src = rasterio.open(path)
    except RasterioIOError as err:
        raise FigureError(f"value_map: cannot read the raster {path}: {err}") from None
    with src:
        factor = max(1, math.ceil(max(src.height, src.width) / MAX_RASTER_CELLS))
        if factor > 1:
            shape = (math.ceil(src.height / factor), math.ceil(src.width / factor))
            band = src.read(1, masked=True, out_shape=shape, resampling=Resampling.average)
        else:
            band = src.read(1, masked=True)
        left, bottom, right, top = src.bounds
        crs = src.crs
    values = np.ma.filled(band.astype("float64"), np.nan) * scale
    values[~np.isfinite(values)] = np.nan
    return values, (left, right, bottom, top), crs


def _stretch(finite: np.ndarray) -> _Stretch:
    nonzero = finite[finite != 0]
    if nonzero.size == 0:
        return _Stretch("constant", -1.0, 1.0, "neither")
    p2, p98 = (float(v) for v in np.percentile(nonzero, [2, 98]))
    lo, hi = float(finite.min()), float(finite.max())
    if p2 < 0 < p98:
        limit = max(-p2, p98)
        kind: Literal["linear", "log", "diverging", "constant"] = "diverging"
        vmin, vmax = -limit, limit
    else:
        positive = nonzero[nonzero > 0]
        kind, vmin, vmax = "linear", p2, p98
        if positive.size and p2 > 0:
            q2, q50, q98 = (float(v) for v in np.percentile(positive, [2, 50, 98]))
            if q98 >= 10 * q2 and (q50 - q2) < 0.1 * (q98 - q2):
                kind, vmin, vmax = "log", q2, q98
        if vmax <= vmin:
            if lo == hi:
                return _Stretch("constant", lo - 1.0, hi + 1.0, "neither")
            vmin, vmax = lo, hi
    data = nonzero if kind != "diverging" else finite
    below = bool(np.any(data < vmin))
    above = bool(np.any(data > vmax))
    extend: Literal["neither", "min", "max", "both"] = (
        "both" if below and above else "min" if below else "max" if above else "neither"
    )
    return _Stretch(kind, vmin, vmax, extend)


def _colours(stretch: _Stretch) -> tuple[Colormap, Normalize]:
    import matplotlib
    from matplotlib.colors import LogNorm, Normalize

    name = DIVERGING if stretch.kind == "diverging" else SEQUENTIAL
    cmap = matplotlib.colormaps[name]
    cmap = cmap.with_extremes(under=cmap(0.0), over=cmap(1.0), bad=(0, 0, 0, 0))
    norm: Normalize = (
        LogNorm(stretch.vmin, stretch.vmax)
        if stretch.kind == "log"
        else Normalize(stretch.vmin, stretch.vmax)
    )
    return cmap, norm


def _paint(
    values: np.ndarray, stretch: _Stretch, cmap: Colormap, norm: Normalize, *, zero_grey: bool
) -> np.ndarray:
    """RGBA of the cells: colours of the stretch (clipped to its ends), zero grey, NaN blank."""
    from matplotlib.colors import to_rgba

    nan = ~np.isfinite(values)
    clipped = np.clip(np.where(nan, stretch.vmin, values), stretch.vmin, stretch.vmax)
    rgba = np.asarray(cmap(np.ma.getdata(norm(clipped))), dtype="float64")
    if zero_grey or stretch.kind == "constant":
        rgba[values == 0] = to_rgba(ZERO_COLOUR)
    rgba[nan] = (0.0, 0.0, 0.0, 0.0)
    return np.round(rgba * 255).astype(np.uint8)  # 8-bit RGBA: imshow takes it as is


def _units_frame(units: geopandas.GeoDataFrame, crs: Any, what: str) -> geopandas.GeoDataFrame:
    """The units with ``_code``, ``_name``, ``_depth`` (0 for the top level), ``_leaf`` and
    ``_top``, in ``crs`` (the raster's) when given."""
    import geopandas as gpd

    if not isinstance(units, gpd.GeoDataFrame):
        raise FigureError(f"{what}: units must be a GeoDataFrame, got {type(units).__name__}")
    if units.empty:
        raise FigureError(f"{what}: no units given")
    frame = units[~units.geometry.isna() & ~units.geometry.is_empty].copy()
    if frame.empty:
        raise FigureError(f"{what}: the units have no geometry")
    if crs is not None and frame.crs is not None and frame.crs != crs:
        frame = frame.to_crs(crs)
    codes = [_code(c) for c in (frame["code"] if "code" in frame.columns else frame.index)]
    frame["_code"] = codes
    frame["_name"] = [
        str(n) if n is not None and str(n) not in ("", "nan") else c
        for n, c in zip(frame["name"] if "name" in frame.columns else codes, codes, strict=True)
    ]
    if "parent_code" in frame.columns:
        parents = [
            _code(p) if p is not None and str(p) not in ("", "nan", "None") else ""
            for p in frame["parent_code"]
        ]
    else:
        parents = [""] * len(frame)
    known = set(codes)
    parent_of = {c: p if p in known and p != c else "" for c, p in zip(codes, parents, strict=True)}

    def depth(code: str) -> int:
        seen = 0
        while parent_of.get(code) and seen < 32:
            code, seen = parent_of[code], seen + 1
        return seen

    frame["_depth"] = [depth(c) for c in codes]
    has_children = set(parent_of.values())
    if "is_leaf" in frame.columns:
        frame["_leaf"] = frame["is_leaf"].astype(bool).to_numpy()
    else:
        frame["_leaf"] = [c not in has_children for c in codes]
    frame["_top"] = frame["_depth"] == 0
    return frame


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _draw_boundaries(ax: Axes, frame: geopandas.GeoDataFrame) -> None:
    """Leaf units thin, intermediate levels medium, the top level thick; a single level of units
    gets its outline (their union) thick."""
    leaf, top = frame["_leaf"], frame["_top"]
    mid = ~leaf & ~top
    _lines(ax, frame.geometry[leaf & ~top], "#3A3A3A", 0.25, 3)
    _lines(ax, frame.geometry[mid], "#1A1A1A", 0.6, 4)
    tops = frame[top]
    if tops["_leaf"].all() and len(tops) > 1:
        _lines(ax, tops.geometry, "#3A3A3A", 0.25, 3)
        _lines(ax, [tops.geometry.union_all()], "#000000", 1.0, 5)
    else:
        _lines(ax, tops.geometry, "#000000", 1.0, 5)


def _rings(geometry: Any) -> list[np.ndarray]:
    """The exterior and interior rings of a (multi)polygon as coordinate arrays."""
    import shapely

    rings: list[np.ndarray] = []
    for part in shapely.get_parts(geometry):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings.append(np.asarray(part.exterior.coords)[:, :2])
        rings.extend(np.asarray(ring.coords)[:, :2] for ring in part.interiors)
    return rings


def _lines(ax: Axes, geometries: Any, colour: str, width: float, zorder: int) -> None:
    """The polygons' boundaries as one line collection (much faster than GeoSeries.plot, which
    redraws the whole figure on every call)."""
    from matplotlib.collections import LineCollection

    segments = [ring for geometry in geometries for ring in _rings(geometry)]
    if segments:
        ax.add_collection(
            LineCollection(
                segments,
                colors=colour,
                linewidths=width,
                zorder=zorder,
                capstyle="round",
                joinstyle="round",
            ),
            autolim=False,
        )


def _fill(ax: Axes, geometries: Any, colours: Sequence[Any], zorder: int, **kw: Any) -> None:
    """Filled polygons (holes kept) as one patch collection."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    patches, faces = [], []
    for geometry, colour in zip(geometries, colours, strict=True):
        rings = _rings(geometry)
        if not rings:
            continue
        vertices = np.concatenate(rings)
        codes = np.full(len(vertices), MplPath.LINETO, dtype=MplPath.code_type)
        at = 0
        for ring in rings:
            codes[at] = MplPath.MOVETO
            codes[at + len(ring) - 1] = MplPath.CLOSEPOLY
            at += len(ring)
        patches.append(PathPatch(MplPath(vertices, codes)))
        faces.append(colour)
    if patches:
        ax.add_collection(
            PatchCollection(patches, facecolors=faces, zorder=zorder, **kw), autolim=False
        )


def _label_units(fig: MplFigure, ax: Axes, frame: geopandas.GeoDataFrame) -> int:
    """The units' names at their poles of inaccessibility, largest units first; a name that
    would overlap one already placed is left out.  Returns how many were left out."""
    import shapely
    from matplotlib import patheffects
    from shapely.ops import polylabel

    renderer = _renderer(fig)
    x0, x1 = ax.get_xlim()
    metres_per_inch = (x1 - x0) / (ax.get_position().width * fig.get_figwidth())
    size = 5.0
    line_h = size * 1.25 / 72 * metres_per_inch
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
    placed: list[tuple[float, float, float, float]] = []
    skipped = 0
    for i in np.argsort(-frame.geometry.area.to_numpy(), kind="stable"):
        geometry, name = frame.geometry.iloc[i], str(frame["_name"].iloc[i])
        parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
        if not parts:
            continue
        largest = max(parts, key=lambda p: p.area)
        point = polylabel(largest, tolerance=max(math.sqrt(largest.area) / 50, 1e-9))
        half_w = (_text_width(renderer, name, size) * metres_per_inch) / 2 + 0.2 * line_h
        box = (point.x - half_w, point.y - line_h / 2, point.x + half_w, point.y + line_h / 2)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            skipped += 1
            continue
        placed.append(box)
        ax.text(
            point.x,
            point.y,
            name,
            ha="center",
            va="center",
            fontsize=size,
            color="#111111",
            path_effects=halo,
            zorder=6,
            clip_on=True,
        )
    return skipped


def _side_heading(fig: MplFigure, layout: _MapLayout, renderer: Any, label: str) -> float:
    """The legend's heading (the legend label, wrapped to the column); the figure fraction
    below it."""
    x, bottom, width, height = layout.side
    width_in = width * fig.get_figwidth()
    wrapped = _wrap(renderer, label, width_in, 8, "bold")
    top = bottom + height
    text = fig.text(
        x, top, wrapped, ha="left", va="top", fontsize=8, fontweight="bold", linespacing=1.3
    )
    box = text.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    return float(box.y0) - 0.1 / fig.get_figheight()


def _side_note(fig: MplFigure, layout: _MapLayout, renderer: Any, note: str, y: float) -> float:
    x, _, width, _ = layout.side
    wrapped = _wrap(renderer, note, width * fig.get_figwidth(), 6.5)
    text = fig.text(
        x, y, wrapped, ha="left", va="top", fontsize=6.5, color=NOTE_COLOUR, linespacing=1.3
    )
    box = text.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    return float(box.y0)


def _colour_bar(
    fig: MplFigure,
    layout: _MapLayout,
    cmap: Colormap,
    norm: Normalize,
    stretch: _Stretch,
    y: float,
    *,
    zeros: bool | int,
    lang: str,
) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator

    text = _TEXT[lang]
    x, _, _, height = layout.side
    fig_h = fig.get_figheight()
    bar_h = min(3.0 / fig_h, 0.55 * height)
    bar_w = 0.16 / fig.get_figwidth()
    cax = fig.add_axes((x, y - bar_h, bar_w, bar_h))
    renderer = _renderer(fig)
    if stretch.kind == "constant":
        cax.set_axis_off()
        y_below = y
    else:
        bar = fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap), cax=cax, extend=stretch.extend, extendfrac=0.05
        )
        bar.outline.set_linewidth(0.4)
        bar.ax.tick_params(labelsize=7, width=0.5, length=2.5)
        if stretch.kind == "log":
            locator = LogLocator(base=10, subs=(1.0, 2.0, 5.0))
            ticks = [
                t
                for t in locator.tick_values(stretch.vmin, stretch.vmax)
                if stretch.vmin <= t <= stretch.vmax
            ]
            if len(ticks) > 7:
                ticks = [
                    t for t in ticks if round(t / 10 ** math.floor(math.log10(t)), 6) in (1.0, 5.0)
                ] or ticks
            if len(ticks) < 2:
                ticks = [stretch.vmin, stretch.vmax]
            bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
            bar.ax.yaxis.set_minor_locator(FixedLocator([]))
            bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _plain(v)))
        else:
            bar.ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            _style_value_axis(bar.ax.yaxis)
            bar.ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        y_below = y - bar_h - 0.14 / fig_h
    if zeros or stretch.kind == "constant":
        fig.patches.append(_square(fig, x, y_below - 0.08 / fig_h, 0.16, ZERO_COLOUR))
        fig.text(
            x + bar_w + 0.08 / fig.get_figwidth(),
            y_below - 0.08 / fig_h,
            text["zero"],
            va="center",
            fontsize=7,
        )
        y_below -= 0.3 / fig_h
    note = text["constant"] if stretch.kind == "constant" else text[stretch.kind]
    _side_note(fig, layout, renderer, note, y_below)


def _map_furniture(
    fig: MplFigure, ax: Axes, frame: geopandas.GeoDataFrame, layout: _MapLayout
) -> None:
    """Scale bar and north arrow in the corners :func:`_map_plan` chose, each on a white plate
    where units still reach into its box."""
    bounds = layout.bounds
    per_in = (bounds[2] - bounds[0]) / (ax.get_position().width * fig.get_figwidth())
    renderer = _renderer(fig)
    leaves = frame[frame["_leaf"]] if frame["_leaf"].any() else frame
    inset = _INSET_IN * per_in
    if layout.scale_corner:
        length = _nice_length(_SCALE_TARGET_IN * per_in)  # metres
        km = length / 1000
        labels = ("0", _plain(km / 2), _plain(km))
        half_first = _text_width(renderer, labels[0], 6.5) / 2
        width_in = (
            _PAD_IN
            + half_first
            + length / per_in
            + max(_text_width(renderer, labels[2], 6.5) / 2, _text_width(renderer, " km", 6.5))
            + 0.04
            + _PAD_IN
        )
        size = (width_in * per_in, _SCALE_BLOCK_IN[1] * per_in)
        box = _corner_box(bounds, layout.scale_corner, size, inset)
        if _occupancy(leaves, bounds, layout.scale_corner, size, inset) > 0.005:
            _plate(ax, box)
        _scale_bar(ax, box, length, labels, per_in, half_first)
    size = (_ARROW_BLOCK_IN[0] * per_in, _ARROW_BLOCK_IN[1] * per_in)
    box = _corner_box(bounds, layout.arrow_corner, size, inset)
    if _occupancy(leaves, bounds, layout.arrow_corner, size, inset) > 0.005:
        _plate(ax, box)
    _north_arrow(ax, box, per_in, _convergence(frame))


def _is_metric(crs: Any) -> bool:
    """Whether distances in ``crs`` are metres (a scale bar in km can be drawn); a missing CRS
    is taken for the accounting grid's."""
    return crs is None or bool(crs.is_projected and _metres(crs))


def _metres(crs: Any) -> bool:
    try:
        unit = crs.axis_info[0].unit_name
    except (AttributeError, IndexError):
        return True
    return str(unit).lower() in ("metre", "meter", "m")


def _corner_box(
    bounds: tuple[float, float, float, float],
    corner: str,
    size: tuple[float, float],
    inset: float,
) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bounds
    x0 = minx + inset if "left" in corner else maxx - inset - size[0]
    y0 = miny + inset if "lower" in corner else maxy - inset - size[1]
    return (x0, y0, x0 + size[0], y0 + size[1])


def _occupancy(
    frame: geopandas.GeoDataFrame,
    bounds: tuple[float, float, float, float],
    corner: str,
    size: tuple[float, float],
    inset: float,
) -> float:
    """Share of the corner's box that the units cover."""
    import shapely

    box = shapely.box(*_corner_box(bounds, corner, size, inset))
    geometries = frame.geometry.values
    near = geometries[shapely.intersects(geometries, box)]
    if len(near) == 0:
        return 0.0
    return float(np.sum(shapely.area(shapely.intersection(near, box))) / box.area)


def _plate(ax: Axes, box: tuple[float, float, float, float]) -> None:
    """A white backing for map furniture drawn over the map."""
    from matplotlib.patches import FancyBboxPatch

    pad = 0.0
    ax.add_patch(
        FancyBboxPatch(
            (box[0], box[1]),
            box[2] - box[0],
            box[3] - box[1],
            boxstyle=f"round,pad={pad},rounding_size={0.02 * (box[3] - box[1])}",
            facecolor="white",
            edgecolor="#BBBBBB",
            linewidth=0.4,
            alpha=0.88,
            zorder=6.5,
        )
    )


def _nice_length(target: float) -> float:
    power = 10 ** math.floor(math.log10(target))
    return max(n * power for n in (1, 2, 5) if n * power <= target)


def _scale_bar(
    ax: Axes,
    box: tuple[float, float, float, float],
    length: float,
    labels: tuple[str, str, str],
    per_in: float,
    half_first_in: float,
) -> None:
    """A two-part black-and-white scale bar with 0, half and full length in km."""
    from matplotlib.patches import Rectangle

    x0 = box[0] + (_PAD_IN + half_first_in) * per_in
    y0 = box[1] + _PAD_IN * per_in
    bar_h = _BAR_HEIGHT_IN * per_in
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 2, y0),
                length / 2,
                bar_h,
                facecolor="#111111" if i == 0 else "white",
                edgecolor="#111111",
                linewidth=0.5,
                zorder=7,
            )
        )
    for frac, label in zip((0.0, 0.5, 1.0), labels, strict=True):
        ax.text(
            x0 + frac * length,
            y0 + bar_h + 0.03 * per_in,
            label,
            ha="center",
            va="bottom",
            fontsize=6.5,
            zorder=7,
        )
    ax.text(
        x0 + length + 0.04 * per_in,
        y0 + bar_h / 2,
        "km",
        ha="left",
        va="center",
        fontsize=6.5,
        zorder=7,
    )


def _convergence(frame: geopandas.GeoDataFrame) -> float:
    """Angle (radians, counter-clockwise from grid north) of true north at the map's centre."""
    crs = frame.crs
    if crs is None or not crs.is_projected:
        return 0.0
    try:
        from pyproj import Transformer

        minx, miny, maxx, maxy = (float(b) for b in frame.total_bounds)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        lon, lat = to_geo.transform(cx, cy)
        nx, ny = to_map.transform(lon, min(lat + 0.1, 89.9))
        angle = math.atan2(-(nx - cx), ny - cy)
    except Exception:  # an exotic CRS: draw grid north
        return 0.0
    return angle if math.isfinite(angle) else 0.0


def _north_arrow(
    ax: Axes, box: tuple[float, float, float, float], per_in: float, angle: float
) -> None:
    """A half-black arrowhead pointing to true north, "N" above it."""
    from matplotlib.patches import Polygon

    size = _ARROW_HEIGHT_IN * per_in
    cx = (box[0] + box[2]) / 2
    cy = box[1] + _PAD_IN * per_in + size / 2
    cos, sin = math.cos(angle), math.sin(angle)

    def at(dx: float, dy: float) -> tuple[float, float]:
        return (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)

    tip, notch = at(0, size / 2), at(0, -size / 4)
    left, right = at(-size / 4, -size / 2), at(size / 4, -size / 2)
    style: dict[str, Any] = {"closed": True, "edgecolor": "#111111", "linewidth": 0.5, "zorder": 7}
    ax.add_patch(Polygon([tip, left, notch], facecolor="#111111", **style))
    ax.add_patch(Polygon([tip, right, notch], facecolor="white", **style))
    nx, ny = at(0, size / 2 + 0.1 * per_in)
    ax.text(
        nx,
        ny,
        "N",
        ha="center",
        va="center",
        fontsize=8,
        fontweight="bold",
        zorder=7,
        rotation=math.degrees(angle),
    )


def _class_breaks(values: np.ndarray, k: int = 5) -> tuple[list[float], int]:
    """k quantile classes (fewer when there are fewer distinct values) with the inner breaks
    rounded to two significant digits of the mean class width, and the decimals that show them;
    the ends are the data's minimum and maximum."""
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return [lo, hi], _digits_for([lo])
    k = min(k, len(np.unique(values)))  # three values make three classes, not five
    inner = np.quantile(values, np.linspace(0, 1, k + 1)[1:-1])
    exponent = math.floor(math.log10((hi - lo) / k)) - 1
    unit = 10.0**exponent
    rounded = [float(f"{round(float(b) / unit) * unit:.12g}") for b in inner]
    breaks = [lo]
    for b in rounded:
        if lo < b < hi and b > breaks[-1]:
            breaks.append(b)
    breaks.append(hi)
    return breaks, min(max(0, -exponent), 6)


def _classify(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class of each value: [b_i, b_i+1) with the last class closed."""
    inner = np.asarray(breaks[1:-1], dtype="float64")
    return np.searchsorted(inner, values, side="right")


def _class_palette(k: int) -> list[str]:
    import matplotlib
    from matplotlib.colors import to_hex

    cmap = matplotlib.colormaps[SEQUENTIAL]
    if k == 1:
        return [to_hex(cmap(0.5))]
    return [to_hex(cmap(0.08 + 0.84 * i / (k - 1))) for i in range(k)]
