"""The report's figures (gepkit.report.figures) and its CJK font (gepkit.report.fonts).

Charts are SVG with text as paths and deterministic bytes; maps are PNG; Chinese text never
falls back to a missing glyph; bad input fails with a clear message; ``alt`` describes the
figure with its legend label.  The demo tests draw the maps of the Jiangxi run.
"""

from __future__ import annotations

import io
import math
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from PIL import Image
from shapely.geometry import box

from gepkit.errors import GepError
from gepkit.grid import CHINA_ALBERS
from gepkit.report import fonts
from gepkit.report.figures import (
    CLASS_COLOURS,
    MAP_DPI,
    WIDTH_IN,
    Figure,
    FigureError,
    choropleth_map,
    composition_chart,
    ranking_chart,
    time_series_chart,
    value_map,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_MAP_BYTES = 1_500_000

X0, Y0, CELL = 1_000_000.0, 3_000_000.0, 1000.0


# -- helpers -------------------------------------------------------------------------------------


def assert_svg(figure: Figure) -> ET.Element:
    assert figure.mime == "image/svg+xml"
    root = ET.fromstring(figure.data)
    assert root.tag == f"{SVG_NS}svg"
    # text as paths: no <text> element, no font reference; no date in the metadata
    assert not list(root.iter(f"{SVG_NS}text"))
    assert b"font-family" not in figure.data
    assert b"<dc:date>" not in figure.data
    assert figure.data_uri().startswith("data:image/svg+xml;base64,")
    return root


def assert_png(figure: Figure) -> Image.Image:
    assert figure.mime == "image/png"
    assert figure.data.startswith(PNG_SIGNATURE)
    assert len(figure.data) < MAX_MAP_BYTES
    image = Image.open(io.BytesIO(figure.data))
    image.load()
    assert image.width == round(WIDTH_IN * MAP_DPI)
    assert image.height > 300
    assert figure.data_uri().startswith("data:image/png;base64,")
    return image


def glyph_warnings(draw: Callable[[], Any]) -> list[str]:
    """The 'Glyph … missing from font(s) …' warnings matplotlib emits while ``draw`` runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def units_frame(crs: str = CHINA_ALBERS) -> gpd.GeoDataFrame:
    """A province of two cities of two 4 km × 4 km counties each (as tests/conftest.py)."""
    rows = [
        ("990000", "测试省", "", "province", box(X0, Y0, X0 + 8000, Y0 + 8000)),
        ("990100", "甲市", "990000", "city", box(X0, Y0 + 4000, X0 + 8000, Y0 + 8000)),
        ("990200", "乙市", "990000", "city", box(X0, Y0, X0 + 8000, Y0 + 4000)),
        ("990101", "婺源县", "990100", "county", box(X0, Y0 + 4000, X0 + 4000, Y0 + 8000)),
        ("990102", "彭泽县", "990100", "county", box(X0 + 4000, Y0 + 4000, X0 + 8000, Y0 + 8000)),
        ("990201", "瑞金市", "990200", "county", box(X0, Y0, X0 + 4000, Y0 + 4000)),
        ("990202", "湘东区", "990200", "county", box(X0 + 4000, Y0, X0 + 8000, Y0 + 4000)),
    ]
    frame = gpd.GeoDataFrame(
        [
            dict(zip(("code", "name", "parent_code", "level", "geometry"), r, strict=True))
            for r in rows
        ],
        geometry="geometry",
        crs=CHINA_ALBERS,
    )
    frame["is_leaf"] = frame["level"] == "county"
    return frame.to_crs(crs) if crs != CHINA_ALBERS else frame


def write_map(path: Path, values: np.ndarray) -> Path:
    """A float32 raster on a 1 km grid with a 2-cell margin of NaN around the 8 km × 8 km region
    (``values`` is 8 × 8, row 0 in the north), like maps/<item>_<year>_value.tif."""
    data = np.full((12, 12), np.nan, dtype="float32")
    data[2:10, 2:10] = values
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=12,
        height=12,
        count=1,
        dtype="float32",
        crs=CHINA_ALBERS,
        transform=Affine(CELL, 0, X0 - 2 * CELL, 0, -CELL, Y0 + 10 * CELL),
        nodata=np.nan,
    ) as dst:
        dst.write(data, 1)
    return path


def skewed_values() -> np.ndarray:
    """Cell values over four decades, most of them small, and a few zeros."""
    rng = np.random.default_rng(7)
    values = np.exp(rng.normal(np.log(5e4), 1.6, size=(8, 8)))
    values[0, :3] = 0.0
    return values


# -- fonts ---------------------------------------------------------------------------------------


def test_cjk_font_has_chinese_glyphs_and_is_known_to_matplotlib() -> None:
    from matplotlib import font_manager, ft2font

    path = fonts.cjk_font_path()
    family = fonts.cjk_font_family()
    assert path.is_file()
    assert family == fonts.cjk_font().family
    face = ft2font.FT2Font(str(path), face_index=fonts.cjk_font().index)
    assert all(face.get_char_index(ord(ch)) for ch in "生态产品总值亿元万婺源县")
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert Path(found) == path


def test_missing_cjk_font_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_fc_match", lambda pattern: None)
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Font SC",))
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.FontMissingError) as info:
            fonts.cjk_font_path()
    finally:
        fonts.cjk_font.cache_clear()
    assert isinstance(info.value, GepError)
    message = str(info.value)
    assert "Simplified Chinese" in message
    assert "make install" in message
    assert "fonts-noto-cjk" in message


def test_fontconfig_fallback_without_chinese_glyphs_is_not_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """fc-match always answers (DejaVu Sans when nothing better exists): the glyphs decide."""
    from matplotlib import font_manager

    dejavu = Path(font_manager.findfont("DejaVu Sans"))
    monkeypatch.setattr(fonts, "_fc_match", lambda pattern: (dejavu, 0, "DejaVu Sans"))
    fonts.cjk_font.cache_clear()
    try:
        found = fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()
    assert found.family != "DejaVu Sans"  # found through matplotlib's font list instead
    assert found.path != dejavu


# -- composition ---------------------------------------------------------------------------------


def test_composition_by_class_is_svg_with_fixed_colours_and_alt() -> None:
    figure = composition_chart(
        ["供给服务", "调节服务", "文化服务"],
        [2242.0, 70659.0, 5424.0],
        title="2020 年 GEP 构成",
        unit_label="亿元",
        lang="zh",
    )
    assert_svg(figure)
    for colour in CLASS_COLOURS.values():
        assert colour.lower().encode() in figure.data
    assert figure.alt.startswith("环形图：2020 年 GEP 构成")
    assert "亿元" in figure.alt
    assert "合计 78,325 亿元" in figure.alt
    assert "调节服务 70,659 亿元（90.2 %）" in figure.alt


def test_composition_keeps_the_order_of_classes_and_sorts_items() -> None:
    classes = composition_chart(
        ["Provisioning services", "Regulating services", "Cultural services"],
        [1.0, 3.0, 2.0],
        title="t",
        unit_label="CNY",
        lang="en",
    )
    assert classes.alt.index("Provisioning") < classes.alt.index("Regulating")
    # items whose names merely contain a class word are items, sorted by value
    items = composition_chart(
        ["水源涵养", "气候调节", "文化旅游"],
        [1.0, 3.0, 2.0],
        title="t",
        unit_label="亿元",
        lang="zh",
    )
    assert items.alt.index("气候调节") < items.alt.index("文化旅游") < items.alt.index("水源涵养")


def test_composition_groups_small_items_beyond_eight() -> None:
    labels = [f"item {i}" for i in range(12)]
    values = [float(2**i) for i in range(12)]
    figure = composition_chart(labels, values, title="By item", unit_label="CNY bn", lang="en")
    assert_svg(figure)
    assert "Other (5 items)" in figure.alt
    for kept in ("item 11", "item 5"):
        assert f"{kept} " in figure.alt
    assert "item 4 " not in figure.alt
    # the shares still add up to the total
    assert f"Total {sum(values):,.1f} CNY bn" in figure.alt
    zh = composition_chart(labels, values, title="构成", unit_label="亿元", lang="zh")
    assert "其他（5 项）" in zh.alt


def test_composition_svg_is_deterministic() -> None:
    def draw() -> bytes:
        return composition_chart(
            ["水源涵养", "土壤保持"], [1.0, 2.0], title="构成", unit_label="亿元", lang="zh"
        ).data

    assert draw() == draw()


def test_composition_leaves_out_nan_and_refuses_negative_or_empty() -> None:
    figure = composition_chart(
        ["a", "b", "c"], [1.0, math.nan, 3.0], title="t", unit_label="CNY", lang="en"
    )
    assert "No data: b." in figure.alt
    with pytest.raises(FigureError, match="negative values for b"):
        composition_chart(["a", "b"], [1.0, -2.0], title="t", unit_label="CNY", lang="en")
    with pytest.raises(FigureError, match="no values given"):
        composition_chart([], [], title="t", unit_label="CNY", lang="en")
    with pytest.raises(FigureError, match="nothing to show"):
        composition_chart(["a"], [0.0], title="t", unit_label="CNY", lang="en")
    with pytest.raises(FigureError, match="2 labels but 1 values"):
        composition_chart(["a", "b"], [1.0], title="t", unit_label="CNY", lang="en")
    with pytest.raises(FigureError, match="lang must be"):
        composition_chart(["a"], [1.0], title="t", unit_label="CNY", lang="fr")


# -- ranking -------------------------------------------------------------------------------------


def test_ranking_sorts_descending_keeps_top_and_adds_highlighted() -> None:
    labels = [f"县{i:02d}" for i in range(30)]
    values = [float(i * 100) for i in range(30)]
    figure = ranking_chart(
        labels,
        values,
        title="单位面积 GEP",
        unit_label="万元/km²",
        lang="zh",
        highlight=["县05", "县29"],
        top=10,
    )
    assert_svg(figure)
    assert "万元/km²" in figure.alt
    assert "前 10 名（共 30 个）" in figure.alt
    assert "1. 县29 2,900" in figure.alt
    assert "10. 县20 2,000" in figure.alt
    assert "11. 县19" not in figure.alt
    assert "25. 县05 500" in figure.alt  # highlighted, outside the top: added with its rank
    assert b"#e69f00" in figure.data  # the highlight colour


def test_ranking_handles_negative_values_and_nan() -> None:
    figure = ranking_chart(
        ["A", "B", "C", "D"],
        [-2.5, 3.0, math.nan, -10.0],
        title="Real GEP growth",
        unit_label="%",
        lang="en",
    )
    assert_svg(figure)
    assert "1. B 3.00; 2. A −2.50; 3. D −10.00" in figure.alt
    assert "1 without data" in figure.alt
    with pytest.raises(FigureError, match="nothing to show"):
        ranking_chart(["A"], [math.nan], title="t", unit_label="%", lang="en")
    with pytest.raises(FigureError, match="no values given"):
        ranking_chart([], [], title="t", unit_label="%", lang="en")
    with pytest.raises(FigureError, match="top must be at least 1"):
        ranking_chart(["A"], [1.0], title="t", unit_label="%", lang="en", top=0)


def test_ranking_svg_is_deterministic() -> None:
    def draw() -> bytes:
        return ranking_chart(
            ["南昌县", "婺源县"], [2.0, 5.0], title="排名", unit_label="万元/km²", lang="zh"
        ).data

    assert draw() == draw()


# -- time series ---------------------------------------------------------------------------------


def test_time_series_bars_for_two_years_lines_beyond() -> None:
    bars = time_series_chart(
        [2020, 2019],
        {"GEP（当年价）": [78325.0, 82509.0], "GDP": [25692.0, 24758.0]},
        title="GEP 与 GDP",
        unit_label="亿元",
        lang="zh",
    )
    assert_svg(bars)
    assert bars.alt.startswith("分组柱状图：GEP 与 GDP（亿元）")
    assert "GEP（当年价）: 2019 82,509, 2020 78,325" in bars.alt  # sorted by year
    lines = time_series_chart(
        [2016, 2017, 2018, 2019, 2020],
        {"GEP": [1.0, 2.0, math.nan, 4.0, 5.0]},
        title="GEP",
        unit_label="CNY billion",
        lang="en",
    )
    assert_svg(lines)
    assert lines.alt.startswith("Line chart: GEP (CNY billion)")
    assert "2017 2.00, 2019 4.00" in lines.alt  # the NaN year is a gap


def test_time_series_errors() -> None:
    with pytest.raises(FigureError, match="no years"):
        time_series_chart([], {"a": []}, title="t", unit_label="u", lang="en")
    with pytest.raises(FigureError, match="no series"):
        time_series_chart([2019, 2020], {}, title="t", unit_label="u", lang="en")
    with pytest.raises(FigureError, match="has 1 values for 2 years"):
        time_series_chart([2019, 2020], {"a": [1.0]}, title="t", unit_label="u", lang="en")
    with pytest.raises(FigureError, match="nothing to show"):
        time_series_chart(
            [2019, 2020], {"a": [math.nan, math.nan]}, title="t", unit_label="u", lang="en"
        )


def test_time_series_svg_is_deterministic() -> None:
    def draw() -> bytes:
        return time_series_chart(
            [2019, 2020], {"GEP": [1.0, 2.0]}, title="t", unit_label="亿元", lang="zh"
        ).data

    assert draw() == draw()


# -- glyphs --------------------------------------------------------------------------------------


def test_chinese_text_never_falls_back_to_a_missing_glyph(tmp_path: Path) -> None:
    # control: a glyph neither font has (Linear B) is reported, so silence below means something
    assert glyph_warnings(
        lambda: composition_chart(["\U00010000"], [1.0], title="t", unit_label="u", lang="zh")
    )
    # strings drawn nowhere else in the session (matplotlib caches text layouts)
    draws = [
        lambda: composition_chart(
            ["固碳释氧服务甲", "负氧离子乙", "SO₂ 与 NOₓ 净化"],
            [1.0, 2.0, 3.0],
            title="鄱阳湖生态经济区 GEP 构成（试）",
            unit_label="亿元（试）",
            lang="zh",
        ),
        lambda: ranking_chart(
            ["婺源县丙", "靖安县丁", "铅山县戊"],
            [1.0, -2.0, 3.0],
            title="各县单位面积 GEP（试）",
            unit_label="万元/km²（试）",
            lang="zh",
            highlight=["靖安县丁"],
            top=2,
        ),
        lambda: time_series_chart(
            [2019, 2020],
            {"GEP（2019 年不变价，试）": [1.0, 2.0]},
            title="生态产品总值变化（试）",
            unit_label="亿元（试）",
            lang="zh",
        ),
        lambda: choropleth_map(
            units_frame(),
            pd.Series({"990101": 1.0, "990102": 2.0, "990201": 3.0, "990202": 4.0}),
            title="各县 GEP（试）",
            legend_label="亿元（试）",
            lang="zh",
            labels=True,
        ),
        lambda: value_map(
            write_map(tmp_path / "v.tif", skewed_values()),
            units_frame(),
            title="土壤保持价值量（试）",
            legend_label="万元/km²（试）",
            lang="zh",
            scale=1e-4,
        ),
    ]
    for draw in draws:
        assert glyph_warnings(draw) == []


# -- value map -----------------------------------------------------------------------------------


def test_value_map_png_with_log_stretch_for_skewed_values(tmp_path: Path) -> None:
    raster = write_map(tmp_path / "soil_retention_2020_value.tif", skewed_values())
    figure = value_map(
        raster,
        units_frame(),
        title="Soil retention, 2020",
        legend_label="CNY 10,000 per km²",
        lang="en",
        scale=1e-4,
    )
    image = assert_png(figure)
    assert "Legend: CNY 10,000 per km²" in figure.alt
    assert "logarithmic" in figure.alt
    assert "of the cells are zero" in figure.alt
    assert "boundaries of 7 units" in figure.alt
    # the scale applies: the largest cell value in 万元
    largest = float(np.nanmax(skewed_values())) * 1e-4
    assert f"to {largest:,.2f}" in figure.alt or f"to {largest:,.1f}" in figure.alt
    # colours, not a blank map
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def test_value_map_linear_and_diverging_stretches(tmp_path: Path) -> None:
    even = np.linspace(100.0, 200.0, 64).reshape(8, 8)
    linear = value_map(
        write_map(tmp_path / "a.tif", even),
        units_frame(),
        title="t",
        legend_label="元",
        lang="zh",
    )
    assert_png(linear)
    assert "线性" in linear.alt
    assert "图例：元" in linear.alt
    both = value_map(
        write_map(tmp_path / "b.tif", np.linspace(-50.0, 150.0, 64).reshape(8, 8)),
        units_frame(),
        title="Carbon sequestration",
        legend_label="t CO₂",
        lang="en",
    )
    assert_png(both)
    assert "centred on 0" in both.alt
    assert "from −50.0 to 150.0" in both.alt


def test_value_map_nan_outside_units_and_reprojected_units(tmp_path: Path) -> None:
    values = skewed_values()
    values[3:5, 3:5] = np.nan  # a hole inside the region too
    figure = value_map(
        write_map(tmp_path / "v.tif", values),
        units_frame(crs="EPSG:4326"),  # drawn in the raster's CRS
        title="t",
        legend_label="CNY",
        lang="en",
    )
    image = assert_png(figure).convert("RGB")
    # NaN cells are blank: the page's white shows through
    assert (255, 255, 255) in {c for _, c in image.getcolors(maxcolors=1 << 20) or []}


def test_value_map_all_zero_and_constant(tmp_path: Path) -> None:
    zero = value_map(
        write_map(tmp_path / "z.tif", np.zeros((8, 8))),
        units_frame(),
        title="t",
        legend_label="CNY",
        lang="en",
    )
    assert_png(zero)
    assert "100.0 % of the cells are zero" in zero.alt
    constant = value_map(
        write_map(tmp_path / "c.tif", np.full((8, 8), 5.0)),
        units_frame(),
        title="t",
        legend_label="CNY",
        lang="en",
    )
    assert_png(constant)
    assert "same value" in constant.alt


def test_value_map_reads_large_rasters_averaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasters larger than MAX_RASTER_CELLS are read at a coarser resolution (cell averages)."""
    from gepkit.report import figures

    monkeypatch.setattr(figures, "MAX_RASTER_CELLS", 4)
    figure = value_map(
        write_map(tmp_path / "v.tif", np.full((8, 8), 3.0)),
        units_frame(),
        title="t",
        legend_label="CNY",
        lang="en",
    )
    assert_png(figure)
    assert "from 3.00 to 3.00" in figure.alt


def test_value_map_is_deterministic(tmp_path: Path) -> None:
    raster = write_map(tmp_path / "v.tif", skewed_values())

    def draw() -> bytes:
        return value_map(raster, units_frame(), title="t", legend_label="u", lang="zh").data

    assert draw() == draw()


def test_value_map_errors(tmp_path: Path) -> None:
    with pytest.raises(FigureError, match="every cell is NaN"):
        value_map(
            write_map(tmp_path / "nan.tif", np.full((8, 8), np.nan)),
            units_frame(),
            title="t",
            legend_label="u",
            lang="en",
        )
    with pytest.raises(FigureError, match="cannot read the raster"):
        value_map(tmp_path / "missing.tif", units_frame(), title="t", legend_label="u", lang="en")
    raster = write_map(tmp_path / "v.tif", skewed_values())
    with pytest.raises(FigureError, match="no units"):
        value_map(raster, units_frame().iloc[0:0], title="t", legend_label="u", lang="en")
    with pytest.raises(FigureError, match="scale must be"):
        value_map(raster, units_frame(), title="t", legend_label="u", lang="en", scale=0)


# -- choropleth ----------------------------------------------------------------------------------


def test_choropleth_classes_no_data_and_integer_codes() -> None:
    values = pd.Series({990101: 4500.0, 990102: 12000.0, 990201: math.nan, 990202: 1632.0})
    figure = choropleth_map(
        units_frame(),
        values,
        title="GEP per km²",
        legend_label="CNY 10,000 per km²",
        lang="en",
        labels=True,
    )
    assert_png(figure)
    assert "Legend: CNY 10,000 per km²" in figure.alt
    assert "3 units in" in figure.alt
    assert "1 units without data" in figure.alt
    assert "Highest 彭泽县 (12,000)" in figure.alt
    assert "lowest 湘东区 (1,632.0)" in figure.alt


def test_choropleth_of_cities_and_by_index(tmp_path: Path) -> None:
    units = units_frame().set_index("code")
    figure = choropleth_map(
        units,
        pd.Series({"990100": 1.5, "990200": 2.5}),
        title="各市 GEP",
        legend_label="亿元",
        lang="zh",
    )
    assert_png(figure)
    assert "图例：亿元" in figure.alt
    assert "2 个单元" in figure.alt
    assert "最高为乙市（2.50）" in figure.alt


def test_choropleth_quantile_classes_have_rounded_breaks() -> None:
    codes = ["990101", "990102", "990201", "990202"]
    figure = choropleth_map(
        units_frame(),
        pd.Series([1234.0, 2345.0, 3456.0, 9876.0], index=codes),
        title="t",
        legend_label="u",
        lang="en",
    )
    # 4 distinct values, at most 4 classes; the ends are the data's, the breaks rounded
    assert "1,234 – " in figure.alt
    assert " – 9,876 (1)" in figure.alt
    same = choropleth_map(
        units_frame(),
        pd.Series([7.0] * 4, index=codes),
        title="t",
        legend_label="u",
        lang="en",
    )
    assert "in 1 quantile classes: 7.00 – 7.00 (4)" in same.alt


def test_choropleth_errors() -> None:
    with pytest.raises(FigureError, match="not among the units: 123456"):
        choropleth_map(
            units_frame(), pd.Series({"123456": 1.0}), title="t", legend_label="u", lang="en"
        )
    with pytest.raises(FigureError, match="no values given"):
        choropleth_map(
            units_frame(), pd.Series(dtype="float64"), title="t", legend_label="u", lang="en"
        )
    with pytest.raises(FigureError, match="nothing to show"):
        choropleth_map(
            units_frame(), pd.Series({"990101": math.nan}), title="t", legend_label="u", lang="en"
        )
    with pytest.raises(FigureError, match="no units"):
        choropleth_map(
            units_frame().iloc[0:0],
            pd.Series({"990101": 1.0}),
            title="t",
            legend_label="u",
            lang="en",
        )


# -- the demo run --------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_value_map_of_soil_retention(demo_run_dir: Path) -> None:
    units = gpd.read_file(demo_run_dir / "units.gpkg")
    raster = demo_run_dir / "maps" / "soil_retention_2020_value.tif"
    with rasterio.open(raster) as src:
        cells = src.read(1, masked=True)
    caught: list[str] = []
    figures: list[Figure] = []
    for lang, legend in (("zh", "万元/km²"), ("en", "CNY 10,000 per km²")):
        caught += glyph_warnings(
            lambda lang=lang, legend=legend: figures.append(
                value_map(
                    raster,
                    units,
                    title="土壤保持价值量（2020 年）" if lang == "zh" else "Soil retention, 2020",
                    legend_label=legend,
                    lang=lang,
                    scale=1e-4,
                )
            )
        )
    assert caught == []
    zh, en = figures
    for figure, legend in ((zh, "万元/km²"), (en, "CNY 10,000 per km²")):
        assert_png(figure)
        assert legend in figure.alt
    assert f"{len(units)} 个单元的边界" in zh.alt
    largest = float(cells.max()) * 1e-4
    assert f"到 {largest:,.1f}" in zh.alt


@pytest.mark.slow
def test_demo_choropleth_and_charts_of_the_summary(demo_run_dir: Path) -> None:
    units = gpd.read_file(demo_run_dir / "units.gpkg")
    summary = pd.read_csv(
        demo_run_dir / "summary.csv", encoding="utf-8-sig", dtype={"unit_code": str}
    )
    y2020 = summary[summary["year"] == 2020]
    counties = y2020[y2020["unit_level"] == "county"].set_index("unit_code")
    per_km2 = counties["gep_per_km2"] * 1e-4
    choropleth: list[Figure] = []
    caught = glyph_warnings(
        lambda: choropleth.append(
            choropleth_map(
                units,
                per_km2,
                title="各县（市、区）单位面积 GEP（2020 年）",
                legend_label="万元/km²",
                lang="zh",
                labels=True,
            )
        )
    )
    assert caught == []
    figure = choropleth[0]
    assert_png(figure)
    assert "万元/km²" in figure.alt
    assert f"{len(counties)} 个单元按分位数分为 5 级" in figure.alt
    top = counties.loc[per_km2.idxmax()]
    assert f"最高为{top['unit_name']}（{per_km2.max():,.0f}）" in figure.alt

    province = y2020[y2020["unit_level"] == "province"].iloc[0]
    classes = composition_chart(
        ["供给服务", "调节服务", "文化服务"],
        [province[c] / 1e8 for c in ("provisioning", "regulating", "cultural")],
        title="GEP 构成",
        unit_label="亿元",
        lang="zh",
    )
    assert_svg(classes)
    assert f"合计 {province['gep'] / 1e8:,.0f} 亿元" in classes.alt

    ranking = ranking_chart(
        counties["unit_name"].tolist(),
        per_km2.tolist(),
        title="GEP per km² by county",
        unit_label="CNY 10,000 per km²",
        lang="en",
    )
    assert_svg(ranking)
    assert f"top 20 of {len(counties)}" in ranking.alt

    series = summary[summary["unit_level"] == "province"].sort_values("year")
    trend = time_series_chart(
        series["year"].tolist(),
        {"GEP": (series["gep"] / 1e8).tolist(), "GDP": (series["gdp"] / 1e8).tolist()},
        title="GEP and GDP",
        unit_label="CNY 100 million",
        lang="en",
    )
    assert_svg(trend)
    for year, row in zip(series["year"], series["gep"], strict=True):
        assert f"{year} {row / 1e8:,.0f}" in trend.alt
