"""Writing a run's outputs atomically: into a temporary folder renamed at the very end.

A run that fails leaves no half-written results, and an existing output folder is only replaced
when the user says so (``--overwrite``), and only after the new one is complete.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gepkit.errors import OutputError


def check_target(target: Path, *, overwrite: bool) -> None:
    """Refuse early (before any computing) to write over an existing folder without permission."""
    if target.exists() and not overwrite and (not target.is_dir() or any(target.iterdir())):
        raise OutputError(
            f"output folder {target} already exists and is not empty; "
            "choose another --out or pass --overwrite to replace it"
        )


@contextmanager
def atomic_folder(target: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; move it to ``target`` if the block succeeds."""
    check_target(target, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_table(frame: pd.DataFrame, path: Path, *, parquet: bool = False) -> None:
    """CSV in UTF-8 with BOM (Excel on Chinese Windows opens it correctly), optionally Parquet."""
    # Floats are written at full precision (shortest repr that round-trips).
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    if parquet:
        frame.to_parquet(path.with_suffix(".parquet"), index=False)


def write_units(units: gpd.GeoDataFrame, path: Path) -> None:
    """The run's units as a GeoPackage (layer ``units``, grid CRS): what maps, reports and the
    decision tools draw and intersect with, without the original units file."""
    units.to_file(path, layer="units", driver="GPKG", engine="pyogrio")


def write_json(data: Any, path: Path) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n",
        encoding="utf-8",
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
