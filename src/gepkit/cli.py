"""The ``gep`` command line.  No logic here: parse, call the library, show the result."""

from __future__ import annotations

import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from gepkit import __version__, boundaries
from gepkit.catalogue.profiles import DEFAULT_PROFILE
from gepkit.config import RunConfig, load_config
from gepkit.errors import GepError, InputError, OutputError
from gepkit.execution import ExecutionError
from gepkit.init import write_starter, write_workbook
from gepkit.inspect import InspectReport, LayerReport, config_error_report, inspect_config
from gepkit.io.template import csv_folder_for, write_template
from gepkit.manifest import DEMO_NOTICE
from gepkit.pipeline import RunResult, run
from gepkit.plan import RunPlan, prepare, read_hierarchy
from gepkit.progress import Stages

if TYPE_CHECKING:
    from gepkit.report.render import ReportResult

app = typer.Typer(
    name="gep",
    no_args_is_help=True,
    add_completion=False,
    help="gepkit: Gross Ecosystem Product (GEP, 生态产品总值) accounting.",
)
console = Console()
errors = Console(stderr=True)

EXIT_INPUT = 2


class RichReporter:
    """Shows each stage of a run as a line with a spinner (or a bar) and its elapsed time."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.warnings: list[str] = []

    def start(self, stage: str, total: int | None = None) -> None:
        self.tasks[stage] = self.progress.add_task(stage, total=total)

    def advance(self, stage: str, steps: int = 1) -> None:
        self.progress.advance(self.tasks[stage], steps)

    def finish(self, stage: str) -> None:
        task = self.tasks[stage]
        self.progress.update(task, total=1, completed=1)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _fail(err: Exception) -> None:
    if isinstance(err, InputError):
        errors.print(f"[bold red]Cannot run:[/] {len(err.problems)} problem(s) in the inputs")
        for i, problem in enumerate(err.problems, start=1):
            errors.print(f"  [red]{i}.[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        errors.print("Nothing was written.")
        raise typer.Exit(EXIT_INPUT)
    if isinstance(err, OutputError):
        errors.print(f"[bold red]Cannot write:[/] {escape(str(err))}")
        raise typer.Exit(EXIT_INPUT)
    if isinstance(err, ExecutionError):
        errors.print(f"[bold red]Cannot compute:[/] {escape(str(err))}", soft_wrap=True)
        errors.print("Nothing was written.")
        raise typer.Exit(EXIT_INPUT)
    errors.print(f"[bold red]Error:[/] {escape(str(err))}")
    raise typer.Exit(1)


def _load(
    config_path: Path,
    years: list[int] | None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> RunConfig:
    try:
        config = load_config(config_path).for_years(years)
        return config.with_execution(workers=workers, scheduler=scheduler)
    except GepError as err:
        _fail(err)
        raise  # unreachable: _fail always exits


def _run(config: RunConfig, out: Path, overwrite: bool, command: str) -> RunResult:
    with _progress() as progress:
        reporter = RichReporter(progress)
        try:
            result = run(config, out, overwrite=overwrite, reporter=reporter, command=command)
        except GepError as err:
            progress.stop()
            _fail(err)
            raise
    _show_warnings(reporter.warnings)
    return result


def _show_warnings(warnings: list[str]) -> None:
    for message in warnings:
        console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _show_summary(result: RunResult) -> None:
    plan = result.plan
    summary = result.summary
    if plan.demo:
        console.print(Panel(DEMO_NOTICE, title="DEMO", border_style="yellow"))
    for year, rows in summary.groupby("year"):
        top = rows[rows["parent_code"] == ""]
        second = rows[rows["parent_code"].isin(top["unit_code"])]
        table = Table(
            title=f"GEP {plan.config.region.name} {year} ({len(plan.items)} items; "
            f"@{plan.valuation.base_year}: at {plan.valuation.base_year} prices, real: real "
            f"growth)",
            title_justify="left",
        )
        constant = f"@{plan.valuation.base_year}"
        columns = ["unit", "code", "GEP 亿元", constant, "real", "万元/km²", "元/人"]
        for column in [*columns, "GEP/GDP"]:
            table.add_column(
                column, justify="left" if column in ("unit", "code") else "right", no_wrap=True
            )
        for _, row in pd.concat([top, second]).iterrows():
            growth = row.get("real_gep_growth", float("nan"))
            table.add_row(
                str(row["unit_name"]),
                str(row["unit_code"]),
                _fmt(row["gep"] / 1e8, 1),
                _fmt(row["gep_constant"] / 1e8, 1),
                "" if pd.isna(growth) else f"{growth:+.1%}",
                _fmt(row["gep_per_km2"] / 1e4, 1),
                _fmt(row["gep_per_capita"], 0),
                _fmt(row.get("gep_gdp_ratio", float("nan")), 2),
            )
        console.print(table)
        accounts = result.tables["accounts"]
        root = accounts[
            (accounts["year"] == year)
            & accounts["unit_code"].isin(top["unit_code"])
            & (accounts["price_basis"] == "current")
        ]
        items = Table(title=f"Items, {', '.join(top['unit_name'])} {year}", title_justify="left")
        for column in ("item", "quantity", "unit", "value (亿元)"):
            items.add_column(column, justify="left" if column in ("item", "unit") else "right")
        for _, row in root.iterrows():
            items.add_row(
                row["item"],
                f"{row['quantity']:.4g}",
                row["quantity_unit"],
                _fmt(row["value"] / 1e8, 2),
            )
        console.print(items)
    if plan.not_computed:
        console.print(plan.not_computed_text(), highlight=False)
    execution = result.manifest.get("execution", {})
    if execution.get("scheduler") == "distributed":
        console.print(
            f"Computed on {escape(str(execution['cluster']))} at {escape(str(execution['address']))}: "
            f"{execution['workers']} worker(s), {execution['threads']} thread(s)",
            highlight=False,
        )
    console.print(f"Results written to [bold]{result.out_dir}[/]")


def _fmt(value: float, digits: int) -> str:
    try:
        if pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        return "–"
    return f"{value:,.{digits}f}"


def demo_config_path() -> Path:
    return Path(str(resources.files("gepkit") / "data" / "demo" / "jiangxi" / "gep.toml"))


YearsOption = Annotated[
    list[int] | None,
    typer.Option("--year", "-y", help="Accounting year (repeatable); default: the config's years."),
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder (written atomically).")]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing output folder.")
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Compute on N local worker processes (dask.distributed LocalCluster); "
        "default: the threads of this process, or [run] workers.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Compute on the dask.distributed cluster whose scheduler is at ADDRESS "
        "(tcp://host:8786); workers read the inputs by the same paths (docs/scale.md).",
        metavar="ADDRESS",
    ),
]


@app.command()
def demo(
    out: OutOption = Path("runs/jiangxi-demo"),
    overwrite: OverwriteOption = False,
    year: YearsOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="Write the accounting report (zh/en, HTML/PDF) into OUT/report.",
        ),
    ] = True,
) -> None:
    """Run the Jiangxi demo account (100 counties, 11 cities, the province) shipped with gepkit."""
    config = _load(demo_config_path(), year, workers=workers, scheduler=scheduler)
    result = _run(config, out, overwrite, "gep demo")
    _show_summary(result)
    if report:
        _report_after_run(result.out_dir, required=False)


@app.command(name="run")
def run_command(
    config: Annotated[Path, typer.Argument(help="The run configuration (gep.toml).")],
    year: YearsOption = None,
    out: OutOption = Path("gep-output"),
    overwrite: OverwriteOption = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            help="Also write the accounting report (zh/en, HTML/PDF) into OUT/report.",
        ),
    ] = False,
) -> None:
    """Compute the GEP account described by CONFIG."""
    cfg = _load(config, year, workers=workers, scheduler=scheduler)
    result = _run(cfg, out, overwrite, f"gep run {config}")
    _show_summary(result)
    if report:
        _report_after_run(result.out_dir, required=True)


def _report_after_run(run_dir: Path, *, required: bool) -> None:
    """The report of a run just written.  When it cannot be made (no CJK font …) the account
    stays; ``required`` (``gep run --report``) makes that an error, else a warning."""
    try:
        written = _write_report(run_dir, None, None, None)
    except GepError as err:
        message = " ".join(str(err).split())
        if required:
            errors.print(
                f"[bold red]Report not written:[/] {escape(message)}\n"
                f"The account in {escape(str(run_dir))} is complete; write the report later "
                f"with `gep report {escape(str(run_dir))}`.",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(EXIT_INPUT) from err
        console.print(
            f"[yellow]warning:[/] report not written: {escape(message)} — write it later with "
            f"`gep report {escape(str(run_dir))}`",
            highlight=False,
            soft_wrap=True,
        )
        return
    _show_report(written)


def _write_report(
    run_dir: Path, langs: list[str] | None, formats: list[str] | None, out: Path | None
) -> ReportResult:
    from gepkit.report.render import FORMATS, LANGS, write_report

    with console.status("writing the report …") as status:
        return write_report(
            run_dir,
            langs=langs or list(LANGS),
            formats=formats or list(FORMATS),
            out=out,
            progress=lambda step: status.update(f"report: {step} …"),
        )


def _show_report(result: ReportResult) -> None:
    names = ", ".join(p.name for p in result.files)
    console.print(
        f"Report written to [bold]{escape(str(result.out))}[/] ({escape(names)}) in "
        f"{result.timings.get('total', 0.0):.0f} s",
        highlight=False,
        soft_wrap=True,
    )


@app.command(name="report")
def report_command(
    run_dir: Annotated[
        Path, typer.Argument(help="A run folder written by `gep run` or `gep demo`.")
    ],
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", "-l", help="zh or en (repeatable); default: both."),
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="html or pdf (repeatable); default: both."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder of the report; default: RUN_DIR/report."),
    ] = None,
) -> None:
    """Write the GEP accounting report of a run in Chinese and English, HTML and PDF: headline
    indicators, extent, quantities, prices, values by item, ecosystem type and unit, change,
    maps, data sources and quality, method notes; report_data.json traces every printed figure
    to its file and rows."""
    from gepkit.report.fonts import FontMissingError

    try:
        written = _write_report(run_dir, lang, fmt, out)
    except FontMissingError as err:
        errors.print(f"[bold red]Cannot write the report:[/] {escape(str(err))}", soft_wrap=True)
        errors.print("Nothing was written.")
        raise typer.Exit(EXIT_INPUT) from err
    except GepError as err:
        _fail(err)
        raise
    _show_report(written)


@app.command()
def validate(
    config: Annotated[Path, typer.Argument(help="The run configuration (gep.toml).")],
    year: YearsOption = None,
) -> None:
    """Check CONFIG and every input it names; list all problems at once (exit code 2)."""
    cfg = _load(config, year)
    with _progress() as progress:
        reporter = RichReporter(progress)
        try:
            plan = prepare(cfg, Stages(reporter))
        except GepError as err:
            progress.stop()
            _fail(err)
            raise
    _show_warnings([str(w) for w in plan.warnings])
    _show_plan(plan)


def _show_plan(plan: RunPlan) -> None:
    described = plan.hierarchy.describe()
    levels = ", ".join(f"{n} {lvl}" for lvl, n in described["by_level"].items())
    console.print(
        f"[green]OK[/]: {plan.config.region.name} — {levels}; grid "
        f"{plan.grid.width}×{plan.grid.height} cells of {plan.grid.resolution:g} m; "
        f"years {', '.join(map(str, plan.years))}; items {', '.join(plan.items)}",
        highlight=False,
    )


@app.command()
def template(
    config: Annotated[Path, typer.Argument(help="The run configuration (gep.toml).")],
    year: YearsOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The workbook (.xlsx) or a folder; default: statistics_template.xlsx beside "
            "CONFIG. Its CSV twin goes in <name>_csv beside it.",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace an existing template (its values are lost)."),
    ] = False,
) -> None:
    """Write the statistics template (XLSX workbook and CSV folder) for CONFIG's units and years."""
    cfg = _load(config, year)
    target = out if out is not None else cfg.base_dir / "statistics_template.xlsx"
    try:
        hierarchy = read_hierarchy(cfg)
        written = write_template(
            target, hierarchy, cfg.run.years, region_name=cfg.region.name, overwrite=overwrite
        )
    except GepError as err:
        _fail(err)
        raise
    workbook, csvs = written[0], written[1:]
    console.print(
        f"[green]Template written[/] for {escape(cfg.region.name)}: {len(hierarchy.frame)} units, "
        f"years {', '.join(map(str, cfg.run.years))}",
        highlight=False,
    )
    console.print(f"  workbook    {escape(str(workbook))}", highlight=False, soft_wrap=True)
    console.print(
        f"  CSV folder  {escape(str(csv_folder_for(workbook)))} ({len(csvs)} files)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def init(
    region: Annotated[
        str,
        typer.Option(
            "--region",
            "-r",
            help="6-digit GB/T 2260 code (or the name) of a province, city or county of China.",
        ),
    ],
    level: Annotated[
        str,
        typer.Option("--level", "-l", help="Finest level of the units: county or city."),
    ] = "county",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The folder to write; default: gep-<code>."),
    ] = None,
    year: Annotated[
        list[int] | None,
        typer.Option("--year", "-y", help="Accounting year (repeatable); default: last year."),
    ] = None,
    profile: Annotated[
        str, typer.Option("--profile", help="Standard profile of the account.")
    ] = DEFAULT_PROFILE,
    template_: Annotated[
        bool,
        typer.Option(
            "--template/--no-template",
            help="Also write the statistics workbook to fill in (as `gep template` does).",
        ),
    ] = True,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing files in the folder.")
    ] = False,
) -> None:
    """Start an account: units of a region of China (Tianditu boundaries shipped with gepkit),
    a commented gep.toml and the statistics workbook, in a new folder."""
    years = year or [date.today().year - 1]
    try:
        code = boundaries.find(region)
        folder = out if out is not None else Path(f"gep-{code}")
        starter = write_starter(
            code, level, folder, years=years, profile=profile, overwrite=overwrite
        )
        if template_:
            write_workbook(starter, overwrite=overwrite)
    except GepError as err:
        _fail(err)
        raise
    counts = starter.counts()
    described = ", ".join(f"{counts[lvl]} {lvl}" for lvl in boundaries.LEVELS if lvl in counts)
    console.print(
        f"[green]Started[/] {escape(starter.name)} ({starter.code}): {len(starter.units)} units "
        f"({described}); years {', '.join(map(str, sorted(set(years))))}; profile {profile}",
        highlight=False,
    )
    csvs = [p for p in starter.files if p.suffix == ".csv"]
    for path in starter.files:
        if path.suffix != ".csv":
            console.print(f"  {escape(str(path))}", highlight=False, soft_wrap=True)
    if csvs:
        console.print(
            f"  {escape(str(csvs[0].parent))}/ ({len(csvs)} CSV files: the workbook's sheets)",
            highlight=False,
            soft_wrap=True,
        )
    config = escape(str(starter.config))
    console.print(
        "Next: fill in the \\[inputs.*] blocks of the config and the statistics workbook, then\n"
        f"  gep inspect {config}\n  gep validate {config}\n  gep run {config} --out results\n"
        "(docs/getting-started.md)",
        highlight=False,
        soft_wrap=True,
    )


@app.command(name="inspect")
def inspect_command(
    config: Annotated[Path, typer.Argument(help="The run configuration (gep.toml).")],
    year: YearsOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (for machines).")
    ] = False,
) -> None:
    """Show every input of CONFIG against the region: CRS, resolution, coverage, missing data,
    value ranges, units, resampling, land-cover classes, statistics and registers, with
    warnings to act on. Exit code 2 when `gep validate` would refuse the inputs, else 0."""
    try:
        cfg = load_config(config).for_years(year)
    except GepError as err:
        if not as_json:
            _fail(err)
        problems = err.problems if isinstance(err, InputError) else []
        print(json.dumps(config_error_report(config, problems), ensure_ascii=False, indent=2))
        raise typer.Exit(EXIT_INPUT) from err
    if as_json:
        report = inspect_config(cfg)
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        with console.status("reading the inputs …"):
            report = inspect_config(cfg)
        _show_inspect(report)
    raise typer.Exit(report.exit_code)


def _show_inspect(report: InspectReport) -> None:
    region, units, grid = report.region, report.units, report.grid
    console.print(
        f"[bold]{escape(str(region['name']))}[/] ({region['code']}) — {escape(report.config)}",
        highlight=False,
    )
    if "units" in units:
        levels = ", ".join(f"{n} {lvl}" for lvl, n in units["by_level"].items())
        console.print(
            f"  units  {escape(Path(units['path']).name)} ({escape(str(units.get('crs')))}): "
            f"{units['units']} units ({levels}), {units['leaves']} leaves, "
            f"{units['area_km2']:,.0f} km²",
            highlight=False,
        )
        reference = units.get("reference")
        if reference:
            console.print(
                f"         {reference['matched']} codes in the shipped Tianditu boundaries; "
                f"mean IoU with them {reference['iou']:.3f}",
                highlight=False,
            )
        console.print(
            f"  grid   {escape(str(grid['crs']))}, {grid['width']}×{grid['height']} cells of "
            f"{_metres(grid['resolution_m'])}, {units['cells']:,} in the region",
            highlight=False,
        )
    if report.items:
        console.print(f"  items  {', '.join(report.items)}", highlight=False)
    if report.layers:
        files = Table(title="Input layers: files", title_justify="left")
        for column in ("layer", "years", "file", "CRS", "resolution", "size", "type", "nodata"):
            files.add_column(column, overflow="fold")
        values = Table(title="Input layers: inside the region", title_justify="left")
        for column in (
            "layer",
            "years",
            "extent",
            "no data",
            "min",
            "mean",
            "max",
            "unit: file → model",
            "resampling",
        ):
            values.add_column(column, overflow="fold")
        for layer in report.layers:
            years = _years(layer.years)
            if layer.derived:
                files.add_row(layer.name, years, layer.derived, "", "", "", "", "")
                continue
            files.add_row(
                layer.name,
                years,
                escape(Path(layer.path).name) if layer.path else "–",
                escape(layer.crs_name or "–"),
                _resolution(layer),
                f"{layer.width}×{layer.height}×{layer.bands}" if layer.width else "–",
                (layer.dtype or "–") + (f", {layer.product}" if layer.product else ""),
                "–" if layer.nodata is None else f"{layer.nodata:g}",
            )
            declared = layer.declared_units or layer.file_units or "?"
            values.add_row(
                layer.name,
                years,
                _share(layer.coverage),
                _share(layer.missing_share),
                _value(layer.minimum),
                _value(layer.mean),
                _value(layer.maximum),
                escape(f"{declared} → {layer.model_units}")
                if layer.kind == "continuous"
                else "class codes",
                layer.resampling or "–",
            )
        console.print(files)
        console.print(values)
        for layer in report.layers:
            if layer.classes:
                _show_classes(layer)
    _show_statistics(report)
    _show_findings(report)


def _metres(value: float) -> str:
    return f"{value / 1000:g} km" if value >= 1000 else f"{value:g} m"


def _years(years: list[int]) -> str:
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


def _resolution(layer: LayerReport) -> str:
    if layer.resolution is None:
        return "–"
    if layer.geographic:
        approx = f" (≈{layer.pixel_m / 1000:.3g} km)" if layer.pixel_m else ""
        return f"{layer.resolution:.4g}°{approx}"
    return f"{layer.resolution:.4g} m"


def _share(value: float | None) -> str:
    if value is None:
        return "–"
    if 0 < value < 0.001:
        return "<0.1 %"
    return f"{value:.1%}".replace("%", " %")


def _value(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:.4g}"


def _show_classes(layer: LayerReport) -> None:
    table = Table(
        title=f"Land cover {layer.name} ({_years(layer.years)}) inside the region",
        title_justify="left",
    )
    for column in ("code", "class", "ecosystem", "pixels", "share"):
        table.add_column(column, justify="right" if column in ("pixels", "share") else "left")
    for row in layer.classes:
        eco = row["ecosystem_code"]
        table.add_row(
            str(row["code"]),
            escape(str(row["name"])),
            "[red]no crosswalk entry[/]" if eco is None else escape(f"{eco} {row['ecosystem']}"),
            f"{row['pixels']:,}",
            _share(row["share"]),
        )
    console.print(table)


def _show_statistics(report: InspectReport) -> None:
    table = Table(title="Statistics, registers and tables", title_justify="left")
    for column in ("input", "file", "content"):
        table.add_column(column, overflow="fold")
    workbook = report.workbook
    if workbook is not None:
        name = escape(Path(workbook["path"]).name)
        if not workbook.get("read"):
            table.add_row("workbook", name, "[red]not readable (see below)[/]")
        for sheet in workbook["sheets"]:
            years = _years(sheet["years"]) or "every year"
            table.add_row(
                f"workbook: {sheet['sheet']}",
                name,
                f"{sheet['rows']} rows, {sheet['units']} units, {years}: "
                + (", ".join(sheet["fields"]) or "no figures"),
            )
    for row in report.statistics:
        content = f"{row['rows']} rows, {row['unit_codes']} units" if row.get("read") else "–"
        table.add_row(f"statistics.{row['name']}", escape(Path(row["path"]).name), content)
    for row in report.registers:
        if not row.get("read"):
            content = "[red]not readable (see below)[/]"
        elif row["name"] == "lakes":
            content = f"{row['features']} lake(s), {row['area_km2']:,.1f} km²"
        else:
            content = (
                f"{row['features']} reservoirs ({row['located']} with coordinates), "
                f"{row['total_capacity_m3'] / 1e8:,.2f} 亿 m³"
            )
        table.add_row(f"registers.{row['name']}", escape(Path(row["path"]).name), content)
    for row in report.tables:
        table.add_row(
            f"tables.{row['name']}",
            escape(Path(row["path"]).name),
            "" if row["exists"] else "[red]file not found[/]",
        )
    if table.row_count:
        console.print(table)


def _show_findings(report: InspectReport) -> None:
    styles = {"error": "bold red", "warning": "yellow", "note": "cyan"}
    findings = report.all_findings()
    for severity in ("error", "warning", "note"):
        chosen = [f for f in findings if f.severity == severity]
        if not chosen:
            continue
        console.print(f"[{styles[severity]}]{severity}s ({len(chosen)})[/]")
        for i, finding in enumerate(chosen, start=1):
            console.print(
                f"  {i}. {escape(finding.subject)}: {escape(finding.message)}",
                highlight=False,
                soft_wrap=True,
            )
            if finding.hint:
                console.print(f"     fix: {escape(finding.hint)}", highlight=False, soft_wrap=True)
    errors_, warnings_ = report.count("error"), report.count("warning")
    if errors_:
        console.print(
            f"[bold red]{errors_} error(s)[/], {warnings_} warning(s): `gep validate` will refuse "
            "these inputs until the errors are fixed.",
            highlight=False,
        )
    else:
        console.print(
            f"[green]No errors[/], {warnings_} warning(s). `gep validate` checks the rest "
            "(tables, prices, every item's needs).",
            highlight=False,
        )


@app.command(name="assess")
def assess_command(
    scheme: Annotated[
        Path, typer.Argument(help="The scoring scheme (TOML, docs/decisions/assess.md).")
    ],
    run_dir: Annotated[
        Path, typer.Option("--run", help="A run folder written by `gep run` or `gep demo`.")
    ],
    year: Annotated[
        int | None,
        typer.Option(
            "--year", "-y", help="Year assessed; default: the scheme's, else the run's last."
        ),
    ] = None,
    out: OutOption = Path("assessment"),
    overwrite: OverwriteOption = False,
) -> None:
    """Score and rank the units of a run with an assessment scheme: real GEP growth, GEP–GDP dual
    growth, GEP/GDP, per km² and per capita, value realisation … (assessment.csv, .json)."""
    from gepkit.decisions import assess as assessing

    try:
        result = assessing.run_assess(scheme, run_dir, year=year, out=out, overwrite=overwrite)
    except GepError as err:
        _fail(err)
        raise
    assessing.show(result, console, out)


@app.command(name="allocate")
def allocate_command(
    rules: Annotated[
        Path, typer.Argument(help="The allocation rule (TOML, docs/decisions/allocate.md).")
    ],
    run_dir: Annotated[
        Path, typer.Option("--run", help="A run folder written by `gep run` or `gep demo`.")
    ],
    out: OutOption = Path("allocation"),
    overwrite: OverwriteOption = False,
) -> None:
    """Share a budget (fiscal transfer, ecological compensation) among the units of a run by a
    rule on GEP: shares, growth reward, floors, caps, penalty (allocation.csv, .json)."""
    from gepkit.decisions import allocate as allocating

    command = f"gep allocate {rules} --run {run_dir} --out {out}"
    try:
        result = allocating.allocate(rules, run_dir, out, overwrite=overwrite, command=command)
    except GepError as err:
        _fail(err)
        raise
    allocating.show_allocation(result, console)


@app.command(name="value-area")
def value_area_command(
    parcels: Annotated[
        Path, typer.Argument(help="Parcels: GeoJSON, GeoPackage or Shapefile, any CRS.")
    ],
    run_dir: Annotated[
        Path, typer.Option("--run", help="A run folder written by `gep run` or `gep demo`.")
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Settings (value-area.toml, docs/decisions/value-area.md)."),
    ] = None,
    id_field: Annotated[
        str | None, typer.Option("--id-field", help="Field with the parcel ids (default: id).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Summary language: zh (default) or en.")
    ] = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Repair invalid polygons with make_valid.")
    ] = False,
    out: OutOption = Path("value-area"),
    overwrite: OverwriteOption = False,
) -> None:
    """The GEP and ecological-asset value of parcels from a run: items with a map from the pixels
    inside each parcel, the others allocated by a key; net present value over a horizon
    (parcels.csv, parcel_summary.csv, summary.html/.pdf)."""
    from gepkit.decisions import value_area as valuing

    command = f"gep value-area {parcels} --run {run_dir} --out {out}"
    try:
        result = valuing.run_value_area(
            parcels,
            run_dir,
            out=out,
            config=config,
            id_field=id_field,
            lang=lang,
            repair=repair or None,
            overwrite=overwrite,
            command=command,
        )
    except GepError as err:
        _fail(err)
        raise
    valuing.show(result, console, out)


@app.command()
def synth(
    pixels: Annotated[
        int, typer.Option("--pixels", "-n", help="Number of grid cells, about (≥ 10,000).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the region.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed: same seed, same bytes.")] = 1,
    resolution: Annotated[float, typer.Option("--resolution", help="Cell size in metres.")] = 30.0,
    years: Annotated[
        list[int] | None,
        typer.Option("--years", "--year", "-y", help="Accounting year (repeatable)."),
    ] = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Write a synthetic region of any size (tiled COGs, units, registers, tables, gep.toml)
    that `gep run` accounts as it is: for tests and benchmarks."""
    from gepkit import synth as synthesis

    with _progress() as progress:
        task: TaskID | None = None

        def advance(stage: str, done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = progress.add_task(f"write {stage}", total=total)
            progress.update(task, completed=done)

        try:
            result = synthesis.synthesize(
                pixels,
                out,
                seed=seed,
                resolution=resolution,
                years=years or [2020],
                overwrite=overwrite,
                progress=advance,
            )
        except GepError as err:
            progress.stop()
            _fail(err)
            raise
    synthesis.show(result, console)


@app.command()
def version() -> None:
    """Print the gepkit version."""
    console.print(__version__)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        errors.print("interrupted; nothing was written")
        sys.exit(130)
