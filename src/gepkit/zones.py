"""Administrative units on the grid: hierarchy, rasterisation, zonal sums, roll-up and checks.

Rules (methods catalogue §3.4):

* every pixel belongs to at most one *leaf* unit (the finest level given), decided once by
  rasterising the leaf polygons at pixel centres, so nothing is counted twice;
* per-pixel quantities are summed per leaf with flox, and every parent unit is the sum of its
  children ("province = sum of counties"), enforced in code;
* the run checks that the leaves add up to the raster total, compares every parent that has its
  own polygon with the sum of its children, and reports pixels inside a parent that fall in no
  leaf (gaps in the units layer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from flox.xarray import xarray_reduce
from rasterio.features import rasterize

from gepkit.errors import InputError, Problem
from gepkit.grid import AccountingGrid

NO_UNIT = -1
#: Group used for pixels whose ecosystem type is unknown (land cover missing).
NO_ECOSYSTEM = -1
#: Ecosystem code of quantities reported per unit that belong to no single ecosystem type.
NOT_ATTRIBUTED = -2


def infer_level(code: str) -> str:
    """Level from a GB/T 2260 code (6 digits) or a township code (9 digits); else 'custom'."""
    if code.isdigit() and len(code) == 6:
        if code.endswith("0000"):
            return "province"
        if code.endswith("00"):
            return "city"
        return "county"
    if code.isdigit() and len(code) in (9, 12):
        return "township"
    return "custom"


@dataclass
class UnitHierarchy:
    """Units with their parents; leaves carry polygons, parents may or may not."""

    frame: pd.DataFrame
    """Index ``code``; columns name, parent_code, level, depth, is_leaf, area_km2."""
    geometries: gpd.GeoSeries
    """Polygons in the grid CRS, index ``code`` (only units that have one)."""

    @classmethod
    def build(
        cls, units: gpd.GeoDataFrame, grid: AccountingGrid, where: str
    ) -> tuple[UnitHierarchy, list[Problem]]:
        """Check the parent links and project the polygons onto the grid CRS."""
        problems: list[Problem] = []
        warnings: list[Problem] = []
        codes = set(units["code"])
        frame = units.drop(columns="geometry").set_index("code")
        missing_parents = sorted({p for p in frame["parent_code"] if p and p not in codes})
        for parent in missing_parents:
            children = sorted(frame.index[frame["parent_code"] == parent])
            problems.append(
                Problem(
                    where=where,
                    field="parent_code",
                    message=f"parent unit '{parent}' (of {', '.join(children[:5])}"
                    f"{' …' if len(children) > 5 else ''}) is not in the units file",
                    hint="add a feature for the parent (its geometry may be empty) or clear the parent code",
                )
            )
        depth: dict[str, int] = {}
        for code in frame.index:
            seen: list[str] = []
            current = code
            while current and current in codes and current not in depth:
                if current in seen:
                    problems.append(
                        Problem(
                            where=where,
                            field="parent_code",
                            message=f"parent links form a cycle: {' → '.join([*seen, current])}",
                        )
                    )
                    break
                seen.append(current)
                current = frame.at[current, "parent_code"]
            base = depth.get(current, -1)
            for offset, unit in enumerate(reversed(seen)):
                depth[unit] = base + 1 + offset
        if problems:
            raise InputError(problems)

        parents = set(frame["parent_code"]) - {""}
        frame["is_leaf"] = [code not in parents for code in frame.index]
        frame["depth"] = [depth[c] for c in frame.index]
        frame["level"] = [
            lvl or infer_level(c) for c, lvl in zip(frame.index, frame["level"], strict=True)
        ]

        projected = units.set_index("code").geometry.to_crs(grid.crs)
        has_geometry = ~(projected.isna() | projected.is_empty)
        leaves_without = sorted(
            frame.index[frame["is_leaf"] & ~has_geometry.reindex(frame.index).to_numpy()]
        )
        if leaves_without:
            raise InputError(
                Problem(
                    where=where,
                    field="geometry",
                    message=f"units without sub-units need a polygon; none for {', '.join(leaves_without[:10])}",
                    hint="give these units their boundary polygon",
                )
            )
        geometries = projected[has_geometry]
        leaf_area = geometries[frame.index[frame["is_leaf"]]].area / 1e6
        frame["area_km2"] = np.nan
        frame.loc[leaf_area.index, "area_km2"] = leaf_area.to_numpy()
        hierarchy = cls(frame=frame, geometries=geometries)
        frame["area_km2"] = hierarchy.roll_up(frame.loc[frame["is_leaf"], ["area_km2"]])["area_km2"]
        return hierarchy, warnings

    # -- structure ---------------------------------------------------------------------------

    @property
    def leaves(self) -> list[str]:
        return sorted(self.frame.index[self.frame["is_leaf"]])

    @property
    def max_depth(self) -> int:
        return int(self.frame["depth"].max())

    def children(self, code: str) -> list[str]:
        return sorted(self.frame.index[self.frame["parent_code"] == code])

    def ordered(self) -> list[str]:
        """All units, parents before children (depth first, then code)."""
        table = self.frame.reset_index()
        return list(table.sort_values(["depth", "code"])["code"])

    def roll_up(self, leaf_values: pd.DataFrame) -> pd.DataFrame:
        """Values for every unit: leaves as given, each parent the sum of its children.

        ``leaf_values`` is indexed by leaf code; the result by every unit code, in
        :meth:`ordered` order.  Summation goes bottom-up so each parent adds its direct children.
        """
        out = pd.DataFrame(index=self.frame.index, columns=leaf_values.columns, dtype="float64")
        out.loc[leaf_values.index] = leaf_values.to_numpy(dtype="float64")
        for depth in range(self.max_depth, -1, -1):
            for code in self.frame.index[(self.frame["depth"] == depth) & ~self.frame["is_leaf"]]:
                out.loc[code] = out.loc[self.children(code)].sum(axis=0, min_count=1)
        return out.loc[self.ordered()]

    def describe(self) -> dict[str, Any]:
        counts = self.frame.groupby("level").size().to_dict()
        return {"units": len(self.frame), "leaves": len(self.leaves), "by_level": counts}


@dataclass
class Zones:
    """Units rasterised onto the grid."""

    grid: AccountingGrid
    hierarchy: UnitHierarchy
    leaf_codes: list[str]
    leaf_index: np.ndarray
    """int32 grid: index into ``leaf_codes``, or :data:`NO_UNIT`."""
    parent_index: dict[int, tuple[list[str], np.ndarray]] = field(default_factory=dict)
    """Per depth: the parent units that have polygons, rasterised on their own (for checks)."""

    @property
    def region_mask(self) -> np.ndarray:
        return self.leaf_index != NO_UNIT

    def leaf_da(self, chunks: Any = None) -> xr.DataArray:
        da = self.grid.wrap(self.leaf_index, name="unit", units="dimensionless")
        return da.chunk(chunks) if chunks is not None else da

    def pixel_counts(self) -> pd.Series:
        counts = np.bincount(self.leaf_index[self.region_mask], minlength=len(self.leaf_codes))
        return pd.Series(counts, index=self.leaf_codes, name="pixels")


def rasterise_units(hierarchy: UnitHierarchy, grid: AccountingGrid) -> tuple[Zones, list[Problem]]:
    """Rasterise leaves (and parents that have polygons) once, by pixel centre."""
    warnings: list[Problem] = []
    leaves = hierarchy.leaves
    leaf_index = _burn(hierarchy.geometries[leaves], grid)
    zones = Zones(grid=grid, hierarchy=hierarchy, leaf_codes=leaves, leaf_index=leaf_index)
    empty = [c for c, n in zones.pixel_counts().items() if n == 0]
    if empty:
        warnings.append(
            Problem(
                where="units",
                field="geometry",
                message=f"{len(empty)} unit(s) are smaller than one grid cell and get no pixel: "
                f"{', '.join(empty[:10])}; their raster items are 0",
                hint="use a finer [grid] resolution for units this small",
            )
        )
    frame = hierarchy.frame
    for depth in sorted(set(frame["depth"])):
        codes = sorted(
            c
            for c in frame.index[(frame["depth"] == depth) & ~frame["is_leaf"]]
            if c in hierarchy.geometries.index
        )
        if codes:
            zones.parent_index[depth] = (codes, _burn(hierarchy.geometries[codes], grid))
    return zones, warnings


def _burn(geometries: gpd.GeoSeries, grid: AccountingGrid) -> np.ndarray:
    shapes = ((geom, i) for i, geom in enumerate(geometries.values))
    return rasterize(
        shapes,
        out_shape=grid.shape,
        transform=grid.transform,
        fill=NO_UNIT,
        dtype="int32",
        all_touched=False,
    )


# --------------------------------------------------------------------------------------------
# Zonal sums
# --------------------------------------------------------------------------------------------


def zonal_sums(
    quantities: xr.Dataset, zones: Zones, ecosystem: xr.DataArray, ecosystem_codes: Iterable[int]
) -> xr.Dataset:
    """Lazy sums of every variable per (leaf unit, ecosystem code) with flox.

    Besides the quantities themselves, the result holds ``cells`` (pixel counts, for the
    ecosystem extent) and ``<item>__nan`` (pixels where the item could not be computed).
    Pixels without land cover are grouped under :data:`NO_ECOSYSTEM`.
    """
    eco = ecosystem.fillna(NO_ECOSYSTEM).astype("int32").rename("ecosystem")
    unit = zones.leaf_da(chunks=eco.chunks and dict(zip(eco.dims, eco.chunks, strict=True)))
    data = {name: quantities[name] for name in quantities.data_vars}
    data.update(
        {
            f"{name}__nan": quantities[name].isnull().astype("float64")
            for name in quantities.data_vars
        }
    )
    data["cells"] = xr.ones_like(eco, dtype="float64")
    ds = xr.Dataset(data)
    codes = np.array(sorted({*ecosystem_codes, NO_ECOSYSTEM}), dtype="int32")
    return xarray_reduce(
        ds,
        unit,
        eco,
        func="nansum",
        expected_groups=(np.arange(len(zones.leaf_codes), dtype="int32"), codes),
        fill_value=0.0,
    )


def parent_sums(quantities: xr.Dataset, zones: Zones) -> dict[int, xr.Dataset]:
    """Lazy sums per parent unit rasterised on its own polygon (for the parent check)."""
    out = {}
    for depth, (codes, index) in zones.parent_index.items():
        first = next(iter(quantities.data_vars.values()))
        chunks = dict(zip(first.dims, first.chunks, strict=True)) if first.chunks else None
        by = zones.grid.wrap(index, name="parent", units="dimensionless")
        by = by.chunk(chunks) if chunks else by
        out[depth] = xarray_reduce(
            quantities,
            by,
            func="nansum",
            expected_groups=np.arange(len(codes), dtype="int32"),
            fill_value=0.0,
        )
    return out


def masked_totals(quantities: xr.Dataset, zones: Zones) -> xr.Dataset:
    """Lazy raster totals over all pixels inside some unit (the conservation reference)."""
    mask = zones.grid.wrap(zones.region_mask, name="mask", units="dimensionless")
    return quantities.where(mask).sum(skipna=True)


def gap_mask(zones: Zones) -> np.ndarray | None:
    """Pixels inside a top-level polygon that fall in no leaf unit (None if no such polygon)."""
    if 0 not in zones.parent_index:
        return None
    _, index = zones.parent_index[0]
    return np.asarray((index != NO_UNIT) & (zones.leaf_index == NO_UNIT))
