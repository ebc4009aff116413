"""Fixtures of the decision-tool tests: one demo run per test session (per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gepkit.cli import app


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Jiangxi demo account (2019, 2020), written once; tests must not modify it."""
    out = tmp_path_factory.mktemp("decisions") / "jiangxi-demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out
