"""The report of a run folder rendered: figures drawn, HTML from one Jinja template, PDF by
WeasyPrint; what ``gep report`` (and ``gep run --report``, ``gep demo``) writes.

For each language the same :class:`~gepkit.report.data.ReportData` feeds the HTML and the PDF:
the HTML is self-contained (CSS inline, figures as data URIs, no network reference) and the PDF
is WeasyPrint's rendering of that very HTML, with the CJK font of :mod:`gepkit.report.fonts`
embedded.  The files are written atomically: everything is rendered into a temporary folder
beside the target and moved into place only when all of it succeeded.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from gepkit.errors import InputError, Problem
from gepkit.report.data import Chart, MapFigure, Num, ReportData, RunTables, Tag, build
from gepkit.report.pdf import css_fonts

if TYPE_CHECKING:
    from gepkit.decisions.run_results import RunResults
    from gepkit.report.figures import Figure

LANGS = ("zh", "en")
FORMATS = ("html", "pdf")
DATA_FILE = "report_data.json"


@dataclass
class ReportResult:
    """What was written, and how long each step took (seconds)."""

    out: Path
    files: list[Path]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def report_name(lang: str, fmt: str) -> str:
    return f"report_{lang}.{fmt}"


def check_choices(langs: Sequence[str], formats: Sequence[str]) -> None:
    problems = [
        Problem(where="--lang", message=f"'{lang}' is not a report language", hint="zh or en")
        for lang in langs
        if lang not in LANGS
    ]
    problems += [
        Problem(where="--format", message=f"'{fmt}' is not a report format", hint="html or pdf")
        for fmt in formats
        if fmt not in FORMATS
    ]
    if problems:
        raise InputError(problems)


def write_report(
    run_dir: Path,
    *,
    langs: Sequence[str] = LANGS,
    formats: Sequence[str] = FORMATS,
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Render the report of ``run_dir`` into ``out`` (default ``run_dir/report``):
    ``report_<lang>.<html|pdf>`` for each language and format, and ``report_data.json``.

    Raises :class:`~gepkit.errors.InputError` for a folder that is not a run folder and
    :class:`~gepkit.report.fonts.FontMissingError` (with the fix) when no CJK font is
    installed; nothing is written then."""
    from gepkit.decisions.run_results import RunResults
    from gepkit.io.outputs import write_json
    from gepkit.report.fonts import cjk_font_family

    langs = list(dict.fromkeys(langs))
    formats = list(dict.fromkeys(formats))
    check_choices(langs, formats)
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    results = RunResults.load(Path(run_dir))
    target = Path(out) if out is not None else results.folder / "report"
    family = cjk_font_family()  # fails early, with the fix, when no CJK font is installed
    tables = RunTables.load(results)
    timings["read run folder"] = time.perf_counter() - start

    rendered: dict[str, Any] = {}
    payload: dict[str, Any] = {"run": results.provenance(), "languages": {}}
    for lang in langs:
        say(f"report data ({lang})")
        t0 = time.perf_counter()
        data = build(tables, lang)
        timings[f"data {lang}"] = time.perf_counter() - t0
        say(f"figures ({lang})")
        t0 = time.perf_counter()
        figures = draw_figures(data, results)
        timings[f"figures {lang}"] = time.perf_counter() - t0
        html = render_html(data, figures, font=family)
        rendered[lang] = html
        payload["languages"][lang] = data.as_json()

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    written: list[Path] = []
    try:
        for lang in langs:
            if "html" in formats:
                (tmp / report_name(lang, "html")).write_text(rendered[lang], encoding="utf-8")
            if "pdf" in formats:
                say(f"PDF ({lang})")
                t0 = time.perf_counter()
                from gepkit.report.pdf import write_pdf

                write_pdf(rendered[lang], tmp / report_name(lang, "pdf"))
                timings[f"pdf {lang}"] = time.perf_counter() - t0
        write_json(payload, tmp / DATA_FILE)
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(tmp.iterdir()):
            os.replace(path, target / path.name)
            written.append(target / path.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    timings["total"] = time.perf_counter() - start
    return ReportResult(out=target, files=written, timings=timings)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def draw_figures(data: ReportData, results: RunResults) -> dict[str, Figure]:
    """Every chart and map of the report, drawn by :mod:`gepkit.report.figures`, by key."""
    import pandas as pd

    from gepkit.report import figures as fig

    lang = data.meta.lang
    out: dict[str, Figure] = {}
    units = None
    for section in data.sections:
        for block in section.blocks:
            if isinstance(block, Chart):
                if block.chart == "composition":
                    out[block.key] = fig.composition_chart(
                        block.labels,
                        block.values,
                        title=block.title,
                        unit_label=block.unit_label,
                        lang=lang,
                    )
                elif block.chart == "ranking":
                    out[block.key] = fig.ranking_chart(
                        block.labels,
                        block.values,
                        title=block.title,
                        unit_label=block.unit_label,
                        lang=lang,
                        highlight=block.highlight or None,
                        top=block.top,
                    )
                elif block.chart == "time_series":
                    out[block.key] = fig.time_series_chart(
                        block.years,
                        block.series,
                        title=block.title,
                        unit_label=block.unit_label,
                        lang=lang,
                    )
            elif isinstance(block, MapFigure):
                if units is None:
                    units = results.units
                if block.map == "value":
                    out[block.key] = fig.value_map(
                        results.folder / block.raster,
                        units,
                        title=block.title,
                        legend_label=block.legend_label,
                        lang=lang,
                        scale=block.scale,
                    )
                else:
                    values = pd.Series(block.values, index=block.codes, dtype="float64")
                    out[block.key] = fig.choropleth_map(
                        units,
                        values,
                        title=block.title,
                        legend_label=block.legend_label,
                        lang=lang,
                        labels=block.labels,
                    )
    return out


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gepkit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.tests["num"] = lambda value: isinstance(value, Num)
    env.tests["tag"] = lambda value: isinstance(value, Tag)
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> str:
    """Text safe inside a CSS string in a <style> element (running header and footer)."""
    return "".join(c for c in str(text) if c not in '\\"<>{}\n').strip()


def render_html(data: ReportData, figures: dict[str, Figure], *, font: str | None = None) -> str:
    """The self-contained HTML of one language."""
    from gepkit.report.i18n import LABELS

    template = _environment().get_template("report.html.j2")
    return template.render(
        data=data,
        meta=data.meta,
        t=LABELS[data.meta.lang],
        figures=figures,
        fonts=css_fonts(font),
    )
