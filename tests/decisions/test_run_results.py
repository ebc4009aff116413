"""Reading a run folder back for the decision tools."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gepkit.decisions.run_results import RunResults
from gepkit.errors import InputError


def test_demo_run_is_read_back(demo_run_dir: Path) -> None:
    run = RunResults.load(demo_run_dir)
    assert run.years == [2019, 2020]
    assert run.base_year == 2019
    assert run.region["code"] == "360000"
    assert run.is_demo
    assert "DEMO" in run.demo_notice
    assert len(run.leaves()) == 100
    assert set(run.units.index) == set(run.summary["unit_code"])
    current, constant = run.accounts_at("current"), run.accounts_at("constant")
    assert len(current) == len(constant)
    assert run.change is not None
    assert run.map_path("soil_retention", 2020).is_file()
    assert run.provenance()["accounts_sha256"]


def test_missing_files_are_named_together(demo_run_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "run"
    shutil.copytree(demo_run_dir, broken, ignore=shutil.ignore_patterns("maps"))
    (broken / "summary.csv").unlink()
    (broken / "units.gpkg").unlink()
    with pytest.raises(InputError, match=r"summary.csv, units.gpkg missing"):
        RunResults.load(broken)
    with pytest.raises(InputError, match="not a run folder"):
        RunResults.load(tmp_path / "nowhere")


def test_unknown_price_basis(demo_run_dir: Path) -> None:
    with pytest.raises(InputError, match=r"constant-2015.*constant-2019, current"):
        RunResults.load(demo_run_dir).accounts_at("constant-2015")
