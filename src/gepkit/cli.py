"""The ``gep`` command line.  No logic here: parse, call the library, show the result."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from gepkit import __version__
from gepkit.config import RunConfig, load_config
from gepkit.errors import GepError, InputError, OutputError
from gepkit.io.template import csv_folder_for, write_template
from gepkit.manifest import DEMO_NOTICE
from gepkit.pipeline import RunResult, run
from gepkit.plan import RunPlan, prepare, read_hierarchy
from gepkit.progress import Stages

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
    errors.print(f"[bold red]Error:[/] {escape(str(err))}")
    raise typer.Exit(1)


def _load(config_path: Path, years: list[int] | None) -> RunConfig:
    try:
        return load_config(config_path).for_years(years)
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


@app.command()
def demo(
    out: OutOption = Path("runs/jiangxi-demo"),
    overwrite: OverwriteOption = False,
    year: YearsOption = None,
) -> None:
    """Run the Jiangxi demo account (100 counties, 11 cities, the province) shipped with gepkit."""
    config = _load(demo_config_path(), year)
    result = _run(config, out, overwrite, "gep demo")
    _show_summary(result)


@app.command(name="run")
def run_command(
    config: Annotated[Path, typer.Argument(help="The run configuration (gep.toml).")],
    year: YearsOption = None,
    out: OutOption = Path("gep-output"),
    overwrite: OverwriteOption = False,
) -> None:
    """Compute the GEP account described by CONFIG."""
    cfg = _load(config, year)
    result = _run(cfg, out, overwrite, f"gep run {config}")
    _show_summary(result)


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
def version() -> None:
    """Print the gepkit version."""
    console.print(__version__)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        errors.print("interrupted; nothing was written")
        sys.exit(130)
