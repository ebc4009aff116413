"""Parallel and distributed runs (issue 6): local worker processes (``--workers``), an existing
dask.distributed cluster (``--scheduler``), several years at once, and memory that does not
grow with the number of years.

One LocalCluster of two single-threaded worker *processes* serves the module (starting one
costs seconds); runs connect to it by its address as a user's run would, except the test of
``--workers``, which starts its own as ``gep`` does.  No test asserts a wall-clock time.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import build_region
from dask.callbacks import Callback
from typer.testing import CliRunner

from gepkit import execution, pipeline
from gepkit.cli import app
from gepkit.config import load_config
from gepkit.errors import ConfigError
from gepkit.pipeline import run

distributed = pytest.importorskip("distributed")

runner = CliRunner()
YEARS = (2020, 2021, 2022)
#: Every table of a run folder; each must be byte-identical whatever executed the run.
TABLES = (
    "accounts.csv",
    "components.csv",
    "parts.csv",
    "summary.csv",
    "change.csv",
    "extent.csv",
    "by_ecosystem.csv",
    "gaps.csv",
    "checks.csv",
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes, one thread each (real pickling, real inter-process transfers)."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # no dashboard, no fixed port
        silence_logs=logging.ERROR,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def years_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic region (tests/conftest.py) over three years, in four blocks of 5 × 5 cells
    so that each year is many tasks spread over the workers."""
    return build_region(tmp_path_factory.mktemp("parallel") / "region", chunk=5, years=YEARS)


@pytest.fixture(scope="module")
def sequential(years_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: the default scheduler (threads of this process), one year after another."""
    out = tmp_path_factory.mktemp("sequential") / "out"
    result = run(load_config(years_config), out)
    assert result.manifest["execution"]["scheduler"] == "threads"
    assert result.manifest["execution"]["years_in_flight"] == 1
    return out


def _same_outputs(a: Path, b: Path) -> None:
    for name in TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    maps = sorted(p.name for p in (a / "maps").iterdir())
    assert maps == sorted(p.name for p in (b / "maps").iterdir())
    assert len(maps) == 2 * 4 * len(YEARS)  # quantity and value of 4 raster items per year
    for name in maps:
        assert (a / "maps" / name).read_bytes() == (b / "maps" / name).read_bytes(), name


def test_two_worker_processes_through_the_cli(cluster, years_config, sequential, tmp_path):
    """``gep run --scheduler ADDRESS`` on a LocalCluster of two worker processes, several years
    at once, writes the same bytes as the sequential run on the threads of this process: every
    table and every map.  Both workers computed, in processes of their own."""
    with distributed.Client(cluster, set_as_default=False) as client:
        before = client.run(_executed)
    out = tmp_path / "cluster"
    result = runner.invoke(
        app, ["run", str(years_config), "--out", str(out), "--scheduler", cluster.scheduler_address]
    )
    assert result.exit_code == 0, result.output
    assert cluster.scheduler_address in " ".join(result.output.split())
    _same_outputs(sequential, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["execution"] == {
        "scheduler": "distributed",
        "cluster": "dask.distributed scheduler",
        "address": cluster.scheduler_address,
        "workers": 2,
        "threads": 2,
        "worker_processes": True,
        "years_in_flight": 2,
    }
    assert manifest["config"]["run"]["scheduler"] == cluster.scheduler_address
    with distributed.Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)
        executed = client.run(_executed)
    assert len(set(pids.values())) == 2
    assert os.getpid() not in pids.values()
    assert all(executed[w] > before[w] for w in executed), (before, executed)  # both worked


def _executed(dask_worker: Any) -> int:
    return int(dask_worker.state.executed_count)


def test_workers_option_computes_years_in_parallel(years_config, sequential, tmp_path, monkeypatch):
    """``--workers 2`` starts two local worker processes; the next year's graph is submitted
    before the previous year is finished, and the accounts are those of the sequential run."""
    events: list[str] = []
    build, finish = pipeline.build_year, pipeline.finish_year

    def traced_build(plan: Any, year: int, scratch: Path) -> Any:
        events.append(f"build {year}")
        return build(plan, year, scratch)

    def traced_finish(plan: Any, graph: Any, done: Any) -> Any:
        events.append(f"finish {graph.year}")
        return finish(plan, graph, done)

    monkeypatch.setattr(pipeline, "build_year", traced_build)
    monkeypatch.setattr(pipeline, "finish_year", traced_finish)
    out = tmp_path / "workers"
    result = runner.invoke(app, ["run", str(years_config), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    # Two years in flight: 2021 is submitted with 2020, and 2022 as soon as 2020's results are
    # in, before 2020 is finished (the workers go on while this process finishes a year).
    assert events == [
        "build 2020",
        "build 2021",
        "build 2022",
        "finish 2020",
        "finish 2021",
        "finish 2022",
    ]
    _same_outputs(sequential, out)
    described = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["execution"]
    assert described["cluster"] == "LocalCluster started by gepkit"
    assert (described["workers"], described["threads"], described["worker_processes"]) == (
        2,
        2,
        True,
    )
    assert described["years_in_flight"] == 2


# -- memory: counted, not timed ---------------------------------------------------------------


def full_grid_arrays(shape: tuple[int, int], *, values_only: bool = False) -> int:
    """How many numpy arrays of the grid's shape are alive in this process: every object the
    garbage collector tracks is searched, with the containers it does not track (a dict of
    arrays) and the local variables of the running frames.  ``values_only``: arrays of floats
    or booleans only (maps, masks), not the integer zone rasters of a run."""
    gc.collect()
    found: set[int] = set()
    stack: list[Any] = gc.get_objects()
    frame = sys._getframe()
    while frame is not None:
        stack.append(frame.f_locals)
        frame = frame.f_back
    visited: set[int] = set()
    while stack:
        for ref in gc.get_referents(stack.pop()):
            if isinstance(ref, np.ndarray):
                wanted = not values_only or ref.dtype.kind in "fb"
                if ref.ndim >= 2 and ref.shape[-2:] == shape and wanted:
                    found.add(id(ref))
            elif (
                isinstance(ref, dict | list | tuple | set | frozenset)
                and not gc.is_tracked(ref)
                and id(ref) not in visited
            ):
                visited.add(id(ref))
                stack.append(ref)
    return len(found)


class ArrayCounter:
    """A reporter that counts the full-grid arrays alive when each year has been computed (the
    start of writing its maps) and when its maps have been written (the end of the year)."""

    def __init__(self, shape: tuple[int, int]):
        self.shape = shape
        self.computed: dict[int, int] = {}
        self.ended: dict[int, int] = {}
        self.values: list[int] = []

    def start(self, stage: str, total: int | None = None) -> None:
        if stage.startswith("write maps "):
            self.computed[int(stage.split()[-1])] = full_grid_arrays(self.shape)
            self.values.append(full_grid_arrays(self.shape, values_only=True))

    def finish(self, stage: str) -> None:
        if stage.startswith("write maps "):
            self.ended[int(stage.split()[-1])] = full_grid_arrays(self.shape)
            self.values.append(full_grid_arrays(self.shape, values_only=True))

    def advance(self, stage: str, steps: int = 1) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@pytest.mark.parametrize("where", ["threads", "cluster"])
def test_memory_does_not_grow_with_the_number_of_years(where, request, tmp_path):
    """Once a year is computed, and again once its maps are written, no full-grid array of
    values (a map, a mask) is alive, and at the end of each year the same number of full-grid
    arrays in a 1-year and in a 3-year run: the zone rasters of the run (leaf units and the
    parents' own polygons).  The maps of the parts are stored block by block in scratch files
    during the computation and the item maps are written from them band by band, so no year's
    map is ever whole in memory.  The count does see arrays: a stray one adds one.  (The zone
    rasters of the previous run may still be alive when the next run computes its first
    year: ``computed`` is compared from the second year on.)"""
    scheduler = request.getfixturevalue("cluster").scheduler_address if where == "cluster" else None
    counts = {}
    for years in ((2020,), YEARS):
        config = load_config(build_region(tmp_path / f"r{len(years)}", chunk=2048, years=years))
        config = config.with_execution(workers=None, scheduler=scheduler)
        grid = (10, 10)  # the synthetic region: 8 km × 8 km of units, one cell of margin
        counter = ArrayCounter(grid)
        result = run(config, tmp_path / f"out{len(years)}", reporter=counter)
        assert result.plan.grid.shape == grid
        zone_rasters = 1 + len(result.plan.zones.parent_index)
        assert full_grid_arrays(grid) == zone_rasters
        stray = np.zeros(grid)
        assert full_grid_arrays(grid) == zone_rasters + 1
        del stray
        counts[len(years)] = counter
        del result  # its plan holds the zone rasters: the next run counts its own only
    one, three = counts[1], counts[3]
    assert set(one.values) == set(three.values) == {0}
    assert set(three.ended.values()) == {one.ended[2020]}
    assert one.computed[2020] == one.ended[2020] == three.computed[2021] == three.computed[2022]


class WholeGridTasks(Callback):
    """Records the dask tasks whose result is an array of the whole grid's shape."""

    def __init__(self, shape: tuple[int, int]):
        super().__init__()
        self.shape = shape
        self.names: list[str] = []

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        if isinstance(result, np.ndarray) and result.shape[-2:] == self.shape:
            self.names.append(str(key[0] if isinstance(key, tuple) else key).rsplit("-", 1)[0])


def test_no_task_but_flow_routing_makes_a_whole_grid(tmp_path):
    """In blocks of 5 × 5 cells of a 10 × 10 grid, the only task whose result is a whole grid
    is the DEM put together for flow routing, once per run however many years
    (gepkit.materialise: the routing task writes its results to scratch grids, which every
    year reads block by block).  Every other task (reading, models, sums, the stores of the
    maps) works on one block."""
    names = {}
    for years in ((2020,), YEARS):
        config = load_config(build_region(tmp_path / f"r{len(years)}", chunk=5, years=years))
        watch = WholeGridTasks((10, 10))
        with watch:
            run(config, tmp_path / f"out{len(years)}")
        names[len(years)] = sorted(watch.names)
    assert names[1] == names[3] == ["rechunk-merge"]


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nonsense://nowhere"])
def test_bad_scheduler_address(address, region, tmp_path, monkeypatch):
    monkeypatch.setattr(execution, "CONNECT_TIMEOUT_S", 1.0)
    config = region()
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(config), "--out", str(out), "--scheduler", address])
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"cannot connect to the dask scheduler at {address}" in text
    for hint in ("`dask scheduler`", "`dask worker", "--workers N", "docs/scale.md"):
        assert hint in text, hint
    assert "Nothing was written" in text
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_workers_and_scheduler_together_are_refused(region, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["run", str(region()), "--out", str(out), "--workers", "2", "--scheduler", "tcp://x:1"],
    )
    assert result.exit_code == 2, result.output
    assert "not both" in result.output
    assert not out.exists()


def test_run_section_workers_and_scheduler(region):
    config = region(extra="")
    text = config.read_text(encoding="utf-8").replace("chunk = 1024", "chunk = 1024\nworkers = 2")
    config.write_text(text, encoding="utf-8")
    assert load_config(config).run.workers == 2
    config.write_text(text.replace("workers = 2", "workers = 2\nscheduler = 'tcp://h:1'"))
    with pytest.raises(ConfigError, match="not both"):
        load_config(config)
    config.write_text(text.replace("workers = 2", "workers = 0"))
    with pytest.raises(ConfigError, match="workers"):
        load_config(config)
