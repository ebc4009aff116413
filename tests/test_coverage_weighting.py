"""Coverage-fraction weighting of the zones (``[grid] zone_weighting = "coverage"``, ADR 0002).

Each boundary pixel's quantity is shared among the leaf units by the fraction of the pixel each
covers; interior pixels keep weight 1 for the unit holding their centre.  The cases below are
small enough to be computed by hand; the others compare with a brute-force shapely intersection
of every cell with every polygon.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import dask.array
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
import xarray as xr
from affine import Affine
from conftest import BASE_ITEMS, COUNTY, X0, Y0, raster_grid, select_items, write_raster
from shapely.geometry import Point, box

import gepkit.zones
from gepkit.config import load_config
from gepkit.errors import ConfigError
from gepkit.grid import CHINA_ALBERS, AccountingGrid
from gepkit.pipeline import run
from gepkit.zonal import aggregate
from gepkit.zones import NO_UNIT, UnitHierarchy, rasterise_units

CRS = "EPSG:32650"
RES = 100.0
UX, UY = 400_000.0, 3_000_000.0  # south-west corner of the small layouts (metres, UTM 50N)


def _grid(width: int, height: int) -> AccountingGrid:
    """A grid of 100 m cells whose south-west corner is (UX, UY)."""
    transform = Affine(RES, 0.0, UX, 0.0, -RES, UY + height * RES)
    return AccountingGrid(
        crs_wkt=pyproj.CRS(CRS).to_wkt(), transform=transform, width=width, height=height
    )


def _box(x0: float, y0: float, x1: float, y1: float):
    return box(UX + x0, UY + y0, UX + x1, UY + y1)


def _zones(leaves: dict, grid: AccountingGrid, weighting: str = "coverage", parent=None):
    """Leaves (code → polygon) under one parent ``P`` (with ``parent`` as its own polygon)."""
    codes = ["P", *leaves]
    units = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": codes,
            "parent_code": ["", *["P"] * len(leaves)],
            "level": [""] * len(codes),
        },
        geometry=[parent, *leaves.values()],
        crs=CRS,
    )
    hierarchy, _ = UnitHierarchy.build(units, grid, "units")
    return rasterise_units(hierarchy, grid, weighting)  # type: ignore[arg-type]


def _dataset(grid: AccountingGrid, **arrays: np.ndarray) -> xr.Dataset:
    return xr.Dataset(
        {k: grid.wrap(v.astype("float64"), name=k, units="t") for k, v in arrays.items()}
    )


def _eco(grid: AccountingGrid, codes: np.ndarray) -> xr.DataArray:
    return grid.wrap(codes.astype("float64"), name="ecosystem", units="dimensionless")


def _per_unit(sums: xr.Dataset, name: str, zones) -> dict[str, float]:
    totals = sums[name].sum("ecosystem").values
    return dict(zip(zones.leaf_codes, totals.tolist(), strict=True))


def _by_eco(sums: xr.Dataset, name: str, zones, code: str) -> dict[int, float]:
    row = sums[name].transpose("unit", "ecosystem").values[zones.leaf_codes.index(code)]
    return {int(e): float(v) for e, v in zip(sums["ecosystem"].values, row, strict=True) if v}


# -- hand-computed cases ----------------------------------------------------------------------


def test_unit_smaller_than_a_pixel_gets_its_area_share():
    """A 30 m × 30 m township T inside one 100 m pixel (a hole of county A) gets 9 % of that
    pixel's value; A keeps the other 91 %.  By pixel centre T gets nothing."""
    grid = _grid(10, 10)
    tiny = _box(510, 510, 540, 540)  # in the pixel x 500–600 m, y 500–600 m: row 4, column 5
    county = _box(0, 0, 1000, 1000).difference(tiny)
    values = np.arange(1.0, 101.0).reshape(10, 10)
    assert values[4, 5] == 46.0
    ds, eco = _dataset(grid, a=values), _eco(grid, np.full((10, 10), 11))

    zones, warnings = _zones({"A": county, "T": tiny}, grid)
    sums = aggregate(ds, zones, eco, [11]).compute().sums
    got = _per_unit(sums, "a", zones)
    assert got["T"] == pytest.approx(0.09 * 46.0, rel=1e-6)
    assert got["A"] == pytest.approx(5050.0 - 0.09 * 46.0, rel=1e-9)
    assert float(aggregate(ds, zones, eco, [11]).compute().raster["a"]) == pytest.approx(
        5050.0, rel=1e-15
    )
    assert _per_unit(sums, "cells", zones)["T"] == pytest.approx(0.09, rel=1e-6)
    table = zones.boundary
    assert table is not None
    assert table.pixel.tolist() == [4 * 10 + 5]
    assert table.fraction.tolist() == pytest.approx([0.91, 0.09], rel=1e-6)
    # the warning says T gets its share now, not that it gets nothing
    (warning,) = warnings
    assert re.search(r"\bT\b", warning.message)
    assert not re.search(r"\bA\b", warning.message)
    assert "fraction of the pixels it overlaps" in warning.message
    assert "T 0.09" in warning.message

    centre, centre_warnings = _zones({"A": county, "T": tiny}, grid, "centre")
    assert centre.boundary is None
    assert _per_unit(aggregate(ds, centre, eco, [11]).compute().sums, "a", centre) == {
        "A": 5050.0,
        "T": 0.0,
    }
    assert "get no pixel" in centre_warnings[0].message
    assert "zone_weighting = 'coverage'" in (centre_warnings[0].hint or "")


def test_boundary_at_a_quarter_of_a_pixel_splits_25_75():
    """A | B at x = 525 m: the column x 500–600 m is 25 % A, 75 % B (by centre: all B)."""
    grid = _grid(10, 10)
    leaves = {"A": _box(0, 0, 525, 1000), "B": _box(525, 0, 1000, 1000)}
    classes = np.full((10, 10), 12)
    classes[:, 5] = 11  # the split column is another ecosystem
    ds, eco = _dataset(grid, a=np.full((10, 10), 2.0)), _eco(grid, classes)

    zones, warnings = _zones(leaves, grid)
    assert warnings == []
    table = zones.boundary
    assert table is not None
    assert sorted(set((table.pixel % 10).tolist())) == [5]  # the split column only
    assert len(table.pixel) == 10
    np.testing.assert_array_equal(table.fraction, np.tile([0.25, 0.75], 10))
    sums = aggregate(ds, zones, eco, [11, 12]).compute().sums
    assert _per_unit(sums, "a", zones) == {"A": 105.0, "B": 95.0}  # 2·(50 + 2.5), 2·(40 + 7.5)
    assert _by_eco(sums, "a", zones, "A") == {11: 5.0, 12: 100.0}
    assert _by_eco(sums, "cells", zones, "A") == {11: 2.5, 12: 50.0}
    assert _by_eco(sums, "cells", zones, "B") == {11: 7.5, 12: 40.0}

    centre, _ = _zones(leaves, grid, "centre")
    sums = aggregate(ds, centre, eco, [11, 12]).compute().sums
    assert _per_unit(sums, "a", centre) == {"A": 100.0, "B": 100.0}


def _shared_and_outside():
    """Three pixels in a row, x 0–100, 100–200, 200–300 m: A = [0, 140], B = [140, 260].

    pixel 0 wholly A; pixel 1 shared, 40 % A, 60 % B (centre 150: B); pixel 2 60 % B, 40 %
    outside the region (centre 250: B)."""
    grid = _grid(3, 1)
    leaves = {"A": _box(0, 0, 140, 100), "B": _box(140, 0, 260, 100)}
    ds = _dataset(grid, a=np.array([[1.0, 10.0, 100.0]]), b=np.array([[np.nan, np.nan, 1.0]]))
    return grid, leaves, ds, _eco(grid, np.array([[12, 11, 12]]))


@pytest.mark.parametrize("chunks", [None, {"y": 1, "x": 1}, {"y": 1, "x": 2}])
def test_two_units_sharing_a_pixel_and_a_pixel_partly_outside(chunks):
    grid, leaves, ds, eco = _shared_and_outside()
    zones, _ = _zones(leaves, grid)
    if chunks is not None:
        ds, eco = ds.chunk(chunks), eco.chunk(chunks)
    aggregation = aggregate(ds, zones, eco, [11, 12])
    if chunks is not None:  # still lazy: one dask graph with the rest
        assert isinstance(aggregation.vector, dask.array.Array)
    done = aggregation.compute()
    sums = done.sums
    got = _per_unit(sums, "a", zones)
    assert got["A"] == pytest.approx(1.0 + 0.4 * 10.0, rel=1e-7)
    assert got["B"] == pytest.approx(0.6 * 10.0 + 0.6 * 100.0, rel=1e-7)
    assert _by_eco(sums, "a", zones, "A") == pytest.approx({11: 4.0, 12: 1.0}, rel=1e-7)
    assert _by_eco(sums, "a", zones, "B") == pytest.approx({11: 6.0, 12: 60.0}, rel=1e-7)
    assert _by_eco(sums, "cells", zones, "B") == pytest.approx({11: 0.6, 12: 0.6}, rel=1e-7)
    # b is missing on pixels 0 and 1: A lacks 1.4 cells, B 0.6; B has 0.6 × 1 of it
    assert _per_unit(sums, "b__nan", zones) == pytest.approx({"A": 1.4, "B": 0.6}, rel=1e-7)
    assert _per_unit(sums, "b", zones) == pytest.approx({"A": 0.0, "B": 0.6}, rel=1e-7)
    # conservation: Σ units = Σ value × fraction inside the region = 1 + 10 + 60
    totals = done.raster
    assert float(totals["a"]) == pytest.approx(71.0, rel=1e-7)
    assert sum(got.values()) == pytest.approx(float(totals["a"]), rel=1e-12)
    np.testing.assert_allclose(zones.weights(), [[1.0, 1.0, 0.6]], rtol=1e-7)
    assert zones.region_mask.tolist() == [[True, True, True]]
    assert zones.pixel_counts().to_dict() == {"A": 1, "B": 2}  # by centre, as before
    assert zones.cells().to_dict() == pytest.approx({"A": 1.4, "B": 1.2}, rel=1e-7)


def test_variables_summed_by_centre_are_not_corrected():
    """``centre`` (placed register features): the same pixels, summed by pixel centre."""
    grid, leaves, ds, eco = _shared_and_outside()
    zones, _ = _zones(leaves, grid)
    done = aggregate(ds, zones, eco, [11, 12], centre={"a"}).compute()
    sums = done.sums
    assert _per_unit(sums, "a", zones) == {"A": 1.0, "B": 110.0}
    assert _per_unit(sums, "b", zones) == pytest.approx({"A": 0.0, "B": 0.6}, rel=1e-7)
    totals = done.raster
    assert float(totals["a"]) == 111.0
    assert float(totals["b"]) == pytest.approx(0.6, rel=1e-7)


def test_spread_takes_the_fraction_weighted_mean_on_boundary_pixels():
    """A per-unit factor (a cap ratio, a value per unit of quantity) on the grid: the shared
    pixel takes 0.4·x_A + 0.6·x_B; ``centre`` takes the centre unit's."""
    grid, leaves, _, _ = _shared_and_outside()
    zones, _ = _zones(leaves, grid)
    factors = np.array([1.0, 3.0])
    np.testing.assert_allclose(zones.spread(factors), [[1.0, 2.2, 3.0]], rtol=1e-7)
    np.testing.assert_allclose(zones.spread(factors, centre=True), [[1.0, 3.0, 3.0]])
    centre, _ = _zones(leaves, grid, "centre")
    np.testing.assert_array_equal(centre.spread(factors), [[1.0, 3.0, 3.0]])
    # a pixel no unit touches is NaN
    wider = _grid(4, 1)
    zones, _ = _zones(leaves, wider)
    assert np.isnan(zones.spread(factors)[0, 3])


def test_overlapping_leaves_are_shared_and_counted_once():
    """Two leaves covering the same cells: their fractions are scaled to add up to 1."""
    grid = _grid(4, 1)
    leaves = {"A": _box(0, 0, 300, 100), "B": _box(150, 0, 400, 100)}
    ds, eco = _dataset(grid, a=np.full((1, 4), 1.0)), _eco(grid, np.full((1, 4), 11))
    zones, warnings = _zones(leaves, grid)
    assert zones.boundary is not None
    assert zones.boundary.overlapping == 2
    assert any("overlap" in w.message for w in warnings)
    got = _per_unit(aggregate(ds, zones, eco, [11]).compute().sums, "a", zones)
    # pixel 1: A 1, B 0.5 → 2/3, 1/3; pixel 2: A 1, B 1 → 1/2 each
    assert got["A"] == pytest.approx(1 + 2 / 3 + 1 / 2, rel=1e-12)
    assert got["B"] == pytest.approx(1 / 3 + 1 / 2 + 1, rel=1e-12)
    assert sum(got.values()) == pytest.approx(4.0, rel=1e-12)


# -- exact area weights against brute force ----------------------------------------------------


def _fractions(grid: AccountingGrid, polygon) -> np.ndarray:
    """Brute force: the fraction of every cell inside ``polygon`` (shapely, double precision)."""
    t = grid.transform
    x0 = t.c + np.arange(grid.width) * t.a
    y1 = t.f + np.arange(grid.height) * t.e
    xx, yy = np.meshgrid(x0, y1)
    cells = shapely.box(xx, yy + t.e, xx + t.a, yy)
    return shapely.area(shapely.intersection(cells, polygon)) / grid.cell_area_m2


IRREGULAR = {
    "A": _box(37, 37, 537, 1037),
    "B": _box(537, 37, 1037, 1037).difference(Point(UX + 800, UY + 500).buffer(120)),
    "C": Point(UX + 800, UY + 500).buffer(120),  # a round unit inside B, through many cells
    "D": _box(1037, 37, 1461, 613),
    "T": _box(1210, 810, 1240, 840),  # smaller than a pixel, touching no other unit
}


@pytest.mark.parametrize("chunks", [None, {"y": 3, "x": 4}, {"y": 7, "x": 16}])
def test_conservation_and_exact_area_weights(chunks):
    """Irregular units on an offset grid: every unit's sum is Σ value × its exact cell fraction
    (per ecosystem too), the cells are its area, the units add up to the weighted raster total,
    and the parent's own polygon (their union) gives the same total."""
    union = shapely.union_all(list(IRREGULAR.values()))
    grid = AccountingGrid.from_bounds(tuple(union.bounds), RES, CRS)
    rng = np.random.default_rng(7)
    a = rng.uniform(0, 10, grid.shape)
    a[rng.random(grid.shape) < 0.05] = np.nan
    classes = rng.choice([11.0, 12.0, np.nan], size=grid.shape, p=[0.5, 0.4, 0.1])
    ds, eco = _dataset(grid, a=a), _eco(grid, classes)
    zones, _ = _zones(IRREGULAR, grid, parent=union)
    if chunks is not None:
        ds, eco = ds.chunk(chunks), eco.chunk(chunks)
    done = aggregate(ds, zones, eco, [11, 12]).compute()
    sums, totals, parents = done.sums, done.raster, done.parents

    values = np.nan_to_num(a)
    got = _per_unit(sums, "a", zones)
    cells = _per_unit(sums, "cells", zones)
    for code, polygon in IRREGULAR.items():
        fraction = _fractions(grid, polygon)
        assert got[code] == pytest.approx(float((values * fraction).sum()), rel=1e-6), code
        assert cells[code] == pytest.approx(polygon.area / grid.cell_area_m2, rel=1e-6), code
        for code_eco in (11, 12):
            on = classes == code_eco
            expected = float((values * fraction)[on].sum())
            assert _by_eco(sums, "a", zones, code).get(code_eco, 0.0) == pytest.approx(
                expected, rel=1e-6
            )
        nan_cells = float((np.isnan(a) * fraction).sum())
        assert _per_unit(sums, "a__nan", zones)[code] == pytest.approx(nan_cells, rel=1e-6)
    inside = _fractions(grid, union)
    assert float(totals["a"]) == pytest.approx(float((values * inside).sum()), rel=1e-6)
    assert sum(got.values()) == pytest.approx(float(totals["a"]), rel=1e-12)
    assert float(parents[0]["a"].values[0]) == pytest.approx(sum(got.values()), rel=1e-9)


@pytest.mark.parametrize("res", [RES, 92.6625])
def test_large_polygons_are_cut_into_tiles_along_their_boundaries(monkeypatch, res):
    """With 2-cell tiles every unit of IRREGULAR is cut; tiles wholly inside a unit are skipped
    and the boundary table is the same as from the whole polygons — also at a resolution whose
    tile edges are not exact in binary (92.6625 m: slivers of ≈ 10⁻¹² of a cell beyond a tile
    edge must not turn interior pixels into boundary pixels)."""
    union = shapely.union_all(list(IRREGULAR.values()))
    grid = AccountingGrid.from_bounds(tuple(union.bounds), res, CRS)
    whole, _ = _zones(IRREGULAR, grid, parent=union)
    monkeypatch.setattr(gepkit.zones, "TILE", 2)
    pieces = list(gepkit.zones._pieces(gpd.GeoSeries([IRREGULAR["A"]]), grid))
    assert len(pieces) > 4  # cut
    assert len(pieces) < 4 * 7  # A spans ≤ 7 × 12 cells, ≤ 4 × 7 tiles: the interior ones skipped
    tiled, _ = _zones(IRREGULAR, grid, parent=union)
    for a, b in (
        (whole.boundary, tiled.boundary),
        *zip(whole.parent_boundary.values(), tiled.parent_boundary.values(), strict=True),
    ):
        assert a is not None
        assert b is not None
        np.testing.assert_array_equal(a.cell, b.cell)
        np.testing.assert_array_equal(a.unit, b.unit)
        np.testing.assert_allclose(a.fraction, b.fraction, rtol=1e-6)
        np.testing.assert_allclose(a.inside, b.inside, rtol=1e-6)
    assert tiled.cells().to_dict() == pytest.approx(whole.cells().to_dict(), rel=1e-6)


def test_aligned_boundaries_need_no_boundary_pixel():
    """Units whose boundaries follow cell edges have no boundary pixel: coverage = centre."""
    grid = _grid(12, 10)
    leaves = {"A": _box(0, 0, 500, 1000), "B": _box(500, 0, 1000, 1000)}
    zones, _ = _zones(leaves, grid)
    assert zones.boundary is not None
    assert len(zones.boundary) == 0
    centre, _ = _zones(leaves, grid, "centre")
    np.testing.assert_array_equal(zones.region_mask, centre.region_mask)
    np.testing.assert_array_equal(zones.weights(), centre.leaf_index != NO_UNIT)


# -- whole runs on the synthetic region of conftest.py ------------------------------------------


def _coverage(config: Path) -> Path:
    """The same config with [grid] zone_weighting = "coverage"."""
    text = config.read_text(encoding="utf-8")
    assert "resolution = 1000\n" in text
    config.write_text(
        text.replace("resolution = 1000\n", 'resolution = 1000\nzone_weighting = "coverage"\n'),
        encoding="utf-8",
    )
    return config


def _shift_units(config: Path, dx: float, dy: float) -> None:
    path = config.parent / "units.gpkg"
    units = gpd.read_file(path)
    units["geometry"] = units.geometry.translate(dx, dy)
    units.to_file(path, driver="GPKG")


def _read_map(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1).astype("float64")


def test_default_is_centre_and_unknown_weightings_are_refused(region, tmp_path):
    config = region()
    assert load_config(config).grid.zone_weighting == "centre"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("resolution = 1000\n", 'resolution = 1000\nzone_weighting = "area"\n'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert err.value.problems[0].field == "grid.zone_weighting"


def test_synthetic_region_is_identical_under_both_weightings(region, tmp_path):
    """The counties of conftest.py follow cell edges: coverage weighting changes nothing."""
    config = region()
    centre = run(load_config(config), tmp_path / "centre")
    coverage = run(load_config(_coverage(config)), tmp_path / "coverage")
    for name in ("accounts", "parts", "by_ecosystem", "extent", "summary", "gaps", "checks"):
        a = pd.read_csv(centre.out_dir / f"{name}.csv")
        b = pd.read_csv(coverage.out_dir / f"{name}.csv")
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
    for path in sorted((centre.out_dir / "maps").glob("*.tif")):
        np.testing.assert_array_equal(
            _read_map(path), _read_map(coverage.out_dir / "maps" / path.name)
        )
    units = json.loads((coverage.out_dir / "manifest.json").read_text(encoding="utf-8"))["units"]
    assert units["zone_weighting"] == "coverage"
    assert units["boundary_pixels"] == 0
    assert centre.manifest["units"]["zone_weighting"] == "centre"
    assert coverage.manifest["config"]["grid"]["zone_weighting"] == "coverage"


@pytest.mark.parametrize("chunk", [1024, 3])
def test_offset_grid_gives_exact_area_weighted_sums(region, tmp_path, chunk):
    """The counties moved by half a cell: every boundary runs through cell middles.  Each
    county's quantity is Σ (quantity map × the exact fraction of the cell in the county), its
    extent is its 16 km², and the checks (conservation, parent polygons) pass."""
    config = _coverage(region(chunk=chunk))
    _shift_units(config, 500.0, 500.0)
    result = run(load_config(config), tmp_path / "out")
    grid = result.plan.grid
    assert result.plan.zones.boundary is not None
    assert len(result.plan.zones.boundary.pixel) > 0
    accounts = pd.read_csv(result.out_dir / "accounts.csv", dtype={"unit_code": str})
    accounts = accounts[accounts["price_basis"] == "current"].set_index(["unit_code", "item"])
    units = gpd.read_file(config.parent / "units.gpkg").set_index("code")
    counties = [c for c in units.index if not c.endswith("00")]
    for item in BASE_ITEMS:
        quantity = _read_map(result.out_dir / "maps" / f"{item}_2020_quantity.tif")
        for code in counties:
            fraction = _fractions(grid, units.geometry[code])
            expected = float(np.nansum(quantity * fraction))
            assert accounts.at[(code, item), "quantity"] == pytest.approx(expected, rel=1e-6), (
                item,
                code,
            )
        weights = result.plan.zones.weights()
        assert accounts.at[("990000", item), "quantity"] == pytest.approx(
            float(np.nansum(quantity * weights)), rel=1e-6
        )
    extent = pd.read_csv(result.out_dir / "extent.csv", dtype={"unit_code": str})
    area = extent.groupby("unit_code")["area_km2"].sum()
    for code in counties:
        assert area[code] == pytest.approx(COUNTY**2 / 1e6, rel=1e-6)
    checks = pd.read_csv(result.out_dir / "checks.csv")
    assert checks["passed"].all()
    assert (checks["check"] == "units_sum_to_raster_total").any()
    assert (checks["check"] == "parent_polygon_vs_children").any()


# -- register features stay where the features module put them ---------------------------------

FLOOD = """
[inputs.storm_precipitation]
path = "storm_{year}.tif"
units = "mm"

[tables]
storm_runoff_coefficients = "storm_runoff.csv"

[registers.lakes]
path = "lakes.gpkg"

[registers.reservoirs]
path = "reservoirs.csv"
"""


def _flood_region(region, coverage: bool) -> Path:
    """Flood regulation on the synthetic region, with the boundary of 990101 | 990102 moved to
    x = X0 + 2.7 km: through the cell of 甲水库's dam (x 2–3 km, 70 % in 990101, centre in it)
    and through the forest lake (x 2–4 km, y 4–5 km)."""
    config = region(extra=FLOOD)
    folder = config.parent
    _, width, height = raster_grid()
    write_raster(folder / "storm_2020.tif", np.full((height, width), 300.0, dtype="float32"))
    (folder / "storm_runoff.csv").write_text(
        "ecosystem_code,value,unit,source,confidence\n"
        "11,0.2,dimensionless,test,D\n33,0.35,dimensionless,test,D\n",
        encoding="utf-8",
    )
    gpd.GeoDataFrame(
        {"name": ["林中湖"]},
        geometry=[box(X0 + 2000, Y0 + 4000, X0 + 4000, Y0 + 5000)],
        crs=CHINA_ALBERS,
    ).to_file(folder / "lakes.gpkg", driver="GPKG")
    to_wgs84 = pyproj.Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(X0 + 2500, Y0 + 6500)
    (folder / "reservoirs.csv").write_text(
        "name,total_capacity,flood_capacity,lon,lat,unit_code\n"
        f"甲水库,5000000,1200000,{lon!r},{lat!r},990101\n"
        "乙水库,2000000,,,,990102\n",
        encoding="utf-8",
    )
    units = gpd.read_file(folder / "units.gpkg").set_index("code")
    units.loc["990101", "geometry"] = box(X0, Y0 + COUNTY, X0 + 2700, Y0 + 2 * COUNTY)
    units.loc["990102", "geometry"] = box(X0 + 2700, Y0 + COUNTY, X0 + 2 * COUNTY, Y0 + 2 * COUNTY)
    units.reset_index().to_file(folder / "units.gpkg", driver="GPKG")
    select_items(config, ["flood_regulation"])
    return _coverage(config) if coverage else config


def test_lakes_and_reservoirs_are_summed_by_pixel_centre(region, tmp_path):
    """Lakes and reservoirs were put on cells unit by unit (gepkit.features): coverage
    weighting does not share them again, so a dam on a shared cell stays whole in its unit and
    a reservoir spread over its unit's cells adds up to its storage; vegetation is shared."""
    centre = run(load_config(_flood_region(region, coverage=False)), tmp_path / "centre")
    coverage = run(load_config(_flood_region(region, coverage=True)), tmp_path / "coverage")

    def parts(result) -> pd.DataFrame:
        frame = pd.read_csv(result.out_dir / "parts.csv", dtype={"unit_code": str})
        frame = frame[frame["item"] == "flood_regulation"]
        return frame.pivot(index="unit_code", columns="part", values="quantity")

    a, b = parts(centre), parts(coverage)
    pd.testing.assert_series_equal(a["reservoirs"], b["reservoirs"], rtol=1e-12)
    pd.testing.assert_series_equal(a["lakes"], b["lakes"], rtol=1e-12)
    assert b.at["990101", "reservoirs"] == pytest.approx(1.2e6, rel=1e-12)  # the dam, whole
    assert b.at["990102", "reservoirs"] == pytest.approx(0.35 * 2e6, rel=1e-12)
    # vegetation: the forest county now holds 2.7 of its 4 km columns' cells, by fraction
    assert b.at["990101", "vegetation"] != pytest.approx(a.at["990101", "vegetation"], rel=1e-3)
    assert b.at["990000", "vegetation"] == pytest.approx(a.at["990000", "vegetation"], rel=1e-9)
    checks = pd.read_csv(coverage.out_dir / "checks.csv")
    assert checks["passed"].all()
    bound = checks[checks["check"] == "bound:storm_precipitation_volume"]
    assert len(bound) == 7
