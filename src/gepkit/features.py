"""Register features placed on the accounting grid: lakes spread over their cells, reservoirs
on their dam's cell or over their unit.

Items that value features of a register rather than pixels (flood storage of lakes and
reservoirs) still produce per-pixel quantities, so that unit totals, maps and checks work as for
every other item.  This module decides which cells carry a feature's quantity, under a recorded
assignment rule; it builds the values block by block, without a whole-grid array.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyproj
from rasterio.features import rasterize
from rasterio.transform import Affine

from gepkit.errors import InputError, Problem
from gepkit.grid import AccountingGrid
from gepkit.zones import NO_UNIT, Zones

#: How many names a message lists before "… (+n)".
LISTED = 10


@dataclass
class Cells:
    """Values on single cells of the grid (duplicates add up)."""

    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray | float) -> None:
        rows = np.asarray(rows, dtype="int64")
        self.rows.append(rows)
        self.cols.append(np.asarray(cols, dtype="int64"))
        self.values.append(np.broadcast_to(np.asarray(values, dtype="float64"), rows.shape))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.rows:
            empty = np.zeros(0, dtype="int64")
            return empty, empty, np.zeros(0, dtype="float64")
        return (
            np.concatenate(self.rows),
            np.concatenate(self.cols),
            np.concatenate(self.values),
        )


@dataclass
class LakePlacement:
    cells: Cells
    """Each lake's storage [m³] on the cells that receive it."""
    covered: Cells
    """1 on every cell of the region whose centre lies in a lake (excluded from the other parts)."""
    notes: list[str]


@dataclass
class ReservoirPlacement:
    cells: Cells
    """Storage [m³] of reservoirs with coordinates, on their dam's cell."""
    leaf_density: np.ndarray
    """Storage per cell [m³] of reservoirs given by unit code, per leaf unit (index of
    ``Zones.leaf_codes``)."""
    notes: list[str]


def _cell_of(grid: AccountingGrid, x: float, y: float) -> tuple[int, int]:
    """(row, col) of the cell containing the point (x, y); may lie outside the grid."""
    col, row = ~grid.transform * (x, y)
    return math.floor(row), math.floor(col)


def _inside(grid: AccountingGrid, row: int, col: int) -> bool:
    return 0 <= row < grid.height and 0 <= col < grid.width


def _lake_pixels(geometry: Any, grid: AccountingGrid) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the grid lattice whose cell centre lies in ``geometry``.

    The lattice extends beyond the grid (negative or too large indices), so a lake that crosses
    the grid's edge is still counted whole.
    """
    res = grid.resolution
    left, top = grid.transform.c, grid.transform.f
    minx, miny, maxx, maxy = geometry.bounds
    col0, col1 = math.floor((minx - left) / res), math.ceil((maxx - left) / res)
    row0, row1 = math.floor((top - maxy) / res), math.ceil((top - miny) / res)
    if col1 <= col0 or row1 <= row0:
        return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    window = Affine(res, 0.0, left + col0 * res, 0.0, -res, top - row0 * res)
    burnt = rasterize(
        [(geometry, 1)],
        out_shape=(row1 - row0, col1 - col0),
        transform=window,
        fill=0,
        dtype="uint8",
        all_touched=False,
    )
    rows, cols = np.nonzero(burnt)
    return rows.astype("int64") + row0, cols.astype("int64") + col0


def _overlaps(bounds: tuple[float, float, float, float], grid: AccountingGrid) -> bool:
    gx0, gy0, gx1, gy1 = grid.bounds
    x0, y0, x1, y1 = bounds
    return x0 < gx1 and x1 > gx0 and y0 < gy1 and y1 > gy0


def place_lakes(
    geometries: Sequence[Any],
    names: Sequence[str],
    storage_m3: np.ndarray,
    zones: Zones,
    *,
    rule: Literal["area_share", "largest_share"],
) -> LakePlacement:
    """Put each whole lake's storage on the grid by ``rule`` (see the module docstring).

    Pixels are those whose centre lies in the lake (as for the units).  Only cells inside some
    unit receive storage; what falls outside the region is not part of its account.
    """
    grid, leaf = zones.grid, zones.leaf_index
    cells, covered = Cells(), Cells()
    tiny: list[str] = []
    outside: list[str] = []
    partly: list[str] = []
    whole: list[str] = []
    for geometry, name, storage in zip(geometries, names, storage_m3, strict=True):
        if geometry is None or geometry.is_empty or not _overlaps(geometry.bounds, grid):
            outside.append(name)
            continue
        rows, cols = _lake_pixels(geometry, grid)
        total = len(rows)
        if total == 0:
            row, col = _cell_of(grid, *geometry.representative_point().coords[0])
            if _inside(grid, row, col) and leaf[row, col] != NO_UNIT:
                cells.add(np.array([row]), np.array([col]), storage)
                tiny.append(f"{name} → {zones.leaf_codes[leaf[row, col]]}")
            else:
                outside.append(name)
            continue
        on_grid = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        rows, cols = rows[on_grid], cols[on_grid]
        units = leaf[rows, cols] if len(rows) else np.zeros(0, dtype="int32")
        in_region = units != NO_UNIT
        rows, cols, units = rows[in_region], cols[in_region], units[in_region]
        covered.add(rows, cols, 1.0)
        if len(rows) == 0:
            outside.append(name)
            continue
        if rule == "area_share":
            cells.add(rows, cols, storage / total)
            if len(rows) < total:
                partly.append(f"{name} ({len(rows)} of {total} pixels)")
            continue
        counts = np.bincount(units, minlength=len(zones.leaf_codes))
        best = int(np.argmax(counts))  # ties: the first unit in code order
        if total - len(rows) > counts[best]:  # most of the lake lies outside the region
            outside.append(name)
            continue
        chosen = units == best
        cells.add(rows[chosen], cols[chosen], storage / int(chosen.sum()))
        if int(chosen.sum()) < total:
            whole.append(
                f"{name} → {zones.leaf_codes[best]} ({int(chosen.sum())} of {total} pixels)"
            )

    notes = []
    if tiny:
        notes.append(
            f"{len(tiny)} lake(s) cover no pixel centre; each is put whole on the cell holding "
            f"its representative point: {listed(tiny)}"
        )
    if partly:
        notes.append(
            f"{len(partly)} lake(s) lie partly outside the region; the region counts the share "
            f"of their pixels inside it: {listed(partly)}"
        )
    if whole:
        notes.append(
            f"{len(whole)} lake(s) span several units (or the region's edge) and go whole to "
            f"the unit holding most of their pixels: {listed(whole)}"
        )
    if outside:
        notes.append(
            f"{len(outside)} lake(s) of the register lie (mostly) outside the region and are not "
            f"counted: {listed(outside)}"
        )
    covered_rows, covered_cols, _ = covered.arrays()
    shared = int((np.bincount(covered_rows * grid.width + covered_cols) > 1).sum())
    if shared:
        notes.append(
            f"{shared} pixel(s) lie in more than one lake polygon: check the lake register for "
            f"overlapping lakes (each lake's storage is still counted once)"
        )
    return LakePlacement(cells=cells, covered=covered, notes=notes)


def place_reservoirs(
    frame: pd.DataFrame, storage_m3: np.ndarray, zones: Zones
) -> ReservoirPlacement:
    """Reservoirs with coordinates on their dam's cell; the others over their unit's cells.

    A dam outside every unit of the region is an input error (the register should list the
    region's reservoirs; coordinates outside it are usually swapped or mistyped).
    """
    grid, leaf, hierarchy = zones.grid, zones.leaf_index, zones.hierarchy
    cells = Cells()
    density = np.zeros(len(zones.leaf_codes), dtype="float64")
    position = {code: i for i, code in enumerate(zones.leaf_codes)}
    pixels = zones.pixel_counts()
    problems: list[Problem] = []
    notes: list[str] = []
    mismatched: list[str] = []
    to_lonlat = pyproj.Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    for (_, row_), storage in zip(frame.iterrows(), storage_m3, strict=True):
        name, x, y, code = row_["name"], row_["x"], row_["y"], row_["unit_code"]
        has_code = not pd.isna(code) and str(code) != ""
        if not (pd.isna(x) or pd.isna(y)):
            row, col = _cell_of(grid, float(x), float(y))
            if not _inside(grid, row, col) or leaf[row, col] == NO_UNIT:
                lon, lat = to_lonlat.transform(float(x), float(y))
                problems.append(
                    Problem(
                        where="[registers.reservoirs]",
                        field="lon/lat",
                        message=f"reservoir '{name}': its dam at lon {lon:.5f}, lat {lat:.5f} "
                        f"lies outside every unit of the region",
                        hint="check the coordinates (WGS84 degrees, lon and lat not swapped), "
                        "or remove the reservoir from the register",
                    )
                )
                continue
            cells.add(np.array([row]), np.array([col]), storage)
            dam_unit = zones.leaf_codes[leaf[row, col]]
            if has_code and str(code) not in _ancestors(hierarchy.frame, dam_unit):
                mismatched.append(f"{name} (dam in {dam_unit}, register says {code})")
            continue
        leaves = _leaves_under(hierarchy.frame, str(code))
        cells_in_unit = int(sum(int(pixels[c]) for c in leaves))
        if cells_in_unit == 0:
            problems.append(
                Problem(
                    where="[registers.reservoirs]",
                    field="unit_code",
                    message=f"reservoir '{name}' is given by unit {code}, which has no cell on "
                    f"the grid",
                    hint="give the dam's coordinates, or use a finer [grid] resolution",
                )
            )
            continue
        for c in leaves:
            density[position[c]] += storage / cells_in_unit
    if problems:
        raise InputError(problems)
    if mismatched:
        notes.append(
            f"{len(mismatched)} reservoir(s) have coordinates outside the unit named in the "
            f"register; the dam's location is used: {listed(mismatched)}"
        )
    by_code = int(frame["x"].isna().sum())
    if by_code:
        notes.append(
            f"{by_code} reservoir(s) without coordinates are spread evenly over the cells of the "
            f"unit named by their unit code"
        )
    return ReservoirPlacement(cells=cells, leaf_density=density, notes=notes)


def _ancestors(frame: pd.DataFrame, code: str) -> set[str]:
    """``code`` and every unit above it."""
    out = set()
    current = code
    while current and current not in out:
        out.add(current)
        current = str(frame.at[current, "parent_code"] or "")
    return out


def _leaves_under(frame: pd.DataFrame, code: str) -> list[str]:
    """The leaf units at or below ``code``."""
    out, todo = [], [code]
    while todo:
        current = todo.pop()
        if bool(frame.at[current, "is_leaf"]):
            out.append(current)
        else:
            todo += list(frame.index[frame["parent_code"] == current])
    return sorted(out)


def listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" … (+{len(names) - LISTED})" if len(names) > LISTED else "")


# --------------------------------------------------------------------------------------------
# Grid arrays, lazy and chunked like the input layers
# --------------------------------------------------------------------------------------------


def fill_cells(
    leaf: np.ndarray,
    r0: int,
    c0: int,
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    density: np.ndarray | None,
) -> np.ndarray:
    """One block: per-leaf density on the block's cells plus the point values that fall in it."""
    out = np.zeros(leaf.shape, dtype="float64")
    if density is not None:
        inside = leaf != NO_UNIT
        out[inside] = density[leaf[inside]]
    height, width = leaf.shape
    sel = (rows >= r0) & (rows < r0 + height) & (cols >= c0) & (cols < c0 + width)
    np.add.at(out, (rows[sel] - r0, cols[sel] - c0), values[sel])
    return out


def fill_block(
    leaf: np.ndarray,
    *,
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    density: np.ndarray | None,
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    assert block_info is not None
    (r0, _), (c0, _) = block_info[0]["array-location"]
    return fill_cells(leaf, r0, c0, rows, cols, values, density)
