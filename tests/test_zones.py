"""Unit hierarchy, rasterisation, zonal sums and roll-up (gepkit.zones)."""

from __future__ import annotations

import dask.array
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pyproj import Geod
from shapely.geometry import box

from gepkit.errors import InputError
from gepkit.grid import CHINA_ALBERS, AccountingGrid
from gepkit.zonal import aggregate
from gepkit.zones import (
    NO_ECOSYSTEM,
    NO_UNIT,
    UnitHierarchy,
    _burn,
    gap_mask,
    infer_level,
    rasterise_units,
)

CRS = "EPSG:32650"
RES = 100.0
X0, Y0 = 400_000.0, 3_000_000.0  # origin of the test layout (multiples of RES)

# Leaves (relative coordinates in metres: x0, y0, x1, y1) and their expected areas.
LEAVES = {
    "360102": ("360100", (0, 0, 2000, 1000)),  # 2.0 km², 200 cells
    "360103": ("360100", (0, 1000, 2000, 3000)),  # 4.0 km², 400 cells
    "360202": ("360200", (2000, 0, 3500, 3000)),  # 4.5 km², 450 cells
    "360203": ("360200", (3500, 0, 4000, 3000)),  # 1.5 km², 150 cells
}
CITIES = {"360100": (0, 0, 2000, 3000), "360200": (2000, 0, 4000, 3000)}
PROVINCE = (0, 0, 4000, 3000)


def _box(rel):
    x0, y0, x1, y1 = rel
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _units(province=PROVINCE, *, cities_have_polygons=True, extra=(), level="") -> gpd.GeoDataFrame:
    """Province → 2 cities → 2 counties each, as read_units returns them (levels empty)."""
    rows = [("360000", "", _box(province) if province is not None else None)]
    rows += [
        ("360100", "360000", _box(CITIES["360100"]) if cities_have_polygons else None),
        ("360200", "360000", _box(CITIES["360200"]) if cities_have_polygons else None),
    ]
    rows += [(code, parent, _box(rel)) for code, (parent, rel) in LEAVES.items()]
    rows += list(extra)
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [f"unit {r[0]}" for r in rows],
            "parent_code": [r[1] for r in rows],
            "level": [level] * len(rows),
        },
        geometry=[r[2] for r in rows],
        crs=CRS,
    )


def _grid(units: gpd.GeoDataFrame | None = None) -> AccountingGrid:
    bounds = (X0, Y0, X0 + 4000, Y0 + 3500) if units is None else tuple(units.total_bounds)
    return AccountingGrid.from_bounds(bounds, RES, CRS)


def _build(units=None, grid=None):
    units = _units() if units is None else units
    grid = grid or _grid()
    hierarchy, warnings = UnitHierarchy.build(units, grid, "units.geojson")
    assert warnings == []
    return hierarchy, grid


def _expected_leaf_index(grid: AccountingGrid, leaves: dict[str, tuple]) -> np.ndarray:
    """Brute force: index (in sorted code order) of the box holding each pixel centre, or -1."""
    t = grid.transform
    cx = t.c + (np.arange(grid.width) + 0.5) * t.a - X0
    cy = t.f + (np.arange(grid.height) + 0.5) * t.e - Y0
    xx, yy = np.meshgrid(cx, cy)
    out = np.full(grid.shape, -1, dtype=int)
    hits = np.zeros(grid.shape, dtype=int)
    for i, code in enumerate(sorted(leaves)):
        x0, y0, x1, y1 = leaves[code]
        inside = (xx > x0) & (xx < x1) & (yy > y0) & (yy < y1)
        out[inside] = i
        hits += inside
    assert hits.max() <= 1  # the test layout itself has no overlaps
    return out


# -- hierarchy ---------------------------------------------------------------------------------


def test_build_depth_leaves_levels_and_areas():
    """Depth 0/1/2, leaves are the counties, levels from codes, parent area = sum of leaves."""
    hierarchy, _ = _build()
    f = hierarchy.frame
    assert f.loc["360000", "depth"] == 0
    assert f.loc[["360100", "360200"], "depth"].tolist() == [1, 1]
    assert f.loc[list(LEAVES), "depth"].tolist() == [2, 2, 2, 2]
    assert hierarchy.leaves == sorted(LEAVES)
    assert not f.loc[["360000", "360100", "360200"], "is_leaf"].any()
    assert f.loc["360000", "level"] == "province"
    assert f.loc["360100", "level"] == "city"
    assert set(f.loc[list(LEAVES), "level"]) == {"county"}
    expected_leaf = {"360102": 2.0, "360103": 4.0, "360202": 4.5, "360203": 1.5}
    for code, km2 in expected_leaf.items():
        assert f.loc[code, "area_km2"] == pytest.approx(km2)
    assert f.loc["360100", "area_km2"] == pytest.approx(6.0)
    assert f.loc["360200", "area_km2"] == pytest.approx(6.0)
    assert f.loc["360000", "area_km2"] == pytest.approx(12.0)
    assert hierarchy.max_depth == 2
    assert hierarchy.children("360200") == ["360202", "360203"]


def test_parent_area_is_the_sum_of_leaves_not_its_own_polygon():
    """A province polygon larger than its counties still gets the sum of the leaf areas."""
    hierarchy, _ = _build(_units(province=(0, 0, 4000, 3500)))
    assert hierarchy.frame.loc["360000", "area_km2"] == pytest.approx(12.0)


def test_parents_without_polygons_are_allowed():
    """Cities and province without geometry: build works, only leaves carry polygons."""
    hierarchy, _ = _build(_units(province=None, cities_have_polygons=False))
    assert sorted(hierarchy.geometries.index) == sorted(LEAVES)
    assert hierarchy.frame.loc["360000", "area_km2"] == pytest.approx(12.0)


def test_explicit_levels_are_kept():
    """A non-empty level column wins over inference from the code."""
    hierarchy, _ = _build(_units(level="custom-level"))
    assert set(hierarchy.frame["level"]) == {"custom-level"}


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("360000", "province"),
        ("110000", "province"),
        ("360100", "city"),
        ("360102", "county"),
        ("360781", "county"),
        ("360102001", "township"),
        ("360102001001", "township"),
        ("3601", "custom"),
        ("36010A", "custom"),
        ("A1", "custom"),
    ],
)
def test_infer_level(code, level):
    """GB/T 2260: xx0000 province, xxxx00 city, else county; 9/12 digits township."""
    assert infer_level(code) == level


def test_polygons_are_projected_to_the_grid_crs():
    """A 0.1° square in EPSG:4326 gets its true (geodesic) area in km² on an Albers grid."""
    lon0, lat0, d = 115.8, 28.6, 0.1
    square = box(lon0, lat0, lon0 + d, lat0 + d)
    units = gpd.GeoDataFrame(
        {"code": ["360102"], "name": ["x"], "parent_code": [""], "level": [""]},
        geometry=[square.segmentize(0.001)],
        crs="EPSG:4326",
    )
    grid = AccountingGrid.from_bounds(
        tuple(units.to_crs(CHINA_ALBERS).total_bounds), 500, "china-albers"
    )
    hierarchy, _ = UnitHierarchy.build(units, grid, "units")
    area_m2, _ = Geod(ellps="WGS84").geometry_area_perimeter(square.segmentize(0.001))
    geodesic_km2 = abs(area_m2) / 1e6
    assert hierarchy.frame.loc["360102", "area_km2"] == pytest.approx(geodesic_km2, rel=1e-4)
    assert hierarchy.geometries.crs.equals(grid.crs)


def test_ordered_puts_parents_first():
    """ordered(): province, then cities, then counties, each level by code."""
    hierarchy, _ = _build()
    assert hierarchy.ordered() == [
        "360000",
        "360100",
        "360200",
        "360102",
        "360103",
        "360202",
        "360203",
    ]


def test_roll_up_sums_children_bottom_up():
    """City = sum of its counties; province = sum of cities; leaves unchanged."""
    hierarchy, _ = _build()
    leaf_values = pd.DataFrame(
        {"a": [1.0, 2.0, 30.0, 40.0], "b": [0.5, 0.25, 8.0, 16.0]},
        index=["360102", "360103", "360202", "360203"],
    )
    out = hierarchy.roll_up(leaf_values)
    assert list(out.index) == hierarchy.ordered()
    expected = {
        "360102": (1.0, 0.5),
        "360103": (2.0, 0.25),
        "360202": (30.0, 8.0),
        "360203": (40.0, 16.0),
        "360100": (3.0, 0.75),
        "360200": (70.0, 24.0),
        "360000": (73.0, 24.75),
    }
    for code, (a, b) in expected.items():
        assert out.loc[code, "a"] == pytest.approx(a)
        assert out.loc[code, "b"] == pytest.approx(b)


def test_roll_up_with_uneven_depths():
    """A county directly under the province (no city) is added once at the province."""
    units = _units(
        province=(0, 0, 5000, 3000),
        extra=[("360300", "360000", _box((4000, 0, 5000, 3000)))],
    )
    hierarchy, _ = _build(units, _grid(units))
    out = hierarchy.roll_up(
        pd.DataFrame({"v": [1.0, 2.0, 4.0, 8.0, 16.0]}, index=[*sorted(LEAVES), "360300"])
    )
    assert out.loc["360100", "v"] == 3.0
    assert out.loc["360200", "v"] == 12.0
    assert out.loc["360000", "v"] == 31.0


def test_missing_parent_code_is_an_input_error():
    """A parent code not in the file: InputError naming the parent and its children."""
    units = _units()
    units.loc[units["code"] == "360202", "parent_code"] = "360900"
    units.loc[units["code"] == "360203", "parent_code"] = "360900"
    units.loc[units["code"] == "360102", "parent_code"] = "369900"
    with pytest.raises(InputError) as err:
        UnitHierarchy.build(units, _grid(), "units.geojson")
    problems = err.value.problems
    assert len(problems) == 2  # both missing parents, at once
    text = str(err.value)
    assert "'360900'" in text
    assert "360202, 360203" in text
    assert "'369900'" in text
    assert all(p.field == "parent_code" and p.where == "units.geojson" for p in problems)


def test_parent_cycle_is_an_input_error():
    """360100 → 360200 → 360100: InputError saying the links form a cycle."""
    units = _units()
    units.loc[units["code"] == "360100", "parent_code"] = "360200"
    units.loc[units["code"] == "360200", "parent_code"] = "360100"
    with pytest.raises(InputError) as err:
        UnitHierarchy.build(units, _grid(), "units.geojson")
    assert len(err.value.problems) == 1
    message = err.value.problems[0].message
    assert "cycle" in message
    assert "360100" in message
    assert "360200" in message


def test_self_parent_is_a_cycle():
    """A unit that is its own parent is reported as a cycle."""
    units = _units()
    units.loc[units["code"] == "360000", "parent_code"] = "360000"
    with pytest.raises(InputError, match="cycle"):
        UnitHierarchy.build(units, _grid(), "units.geojson")


def test_leaf_without_geometry_is_an_input_error():
    """A county without polygon: InputError naming it (parents without polygon are fine)."""
    units = _units(province=None)
    units.loc[units["code"] == "360203", "geometry"] = None
    with pytest.raises(InputError) as err:
        UnitHierarchy.build(units, _grid(), "units.geojson")
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert problem.field == "geometry"
    assert "360203" in problem.message
    assert "360000" not in problem.message


# -- rasterisation ------------------------------------------------------------------------------


def test_rasterise_each_pixel_in_at_most_one_leaf():
    """leaf_index equals the brute-force pixel-centre membership; counts match the areas."""
    hierarchy, grid = _build()
    zones, warnings = rasterise_units(hierarchy, grid)
    assert warnings == []
    assert zones.leaf_index.dtype == np.int8  # 4 leaves: the smallest type that holds them
    assert zones.leaf_codes == sorted(LEAVES)
    expected = _expected_leaf_index(grid, {c: rel for c, (_, rel) in LEAVES.items()})
    np.testing.assert_array_equal(zones.leaf_index, expected)
    counts = zones.pixel_counts()
    for code, (_, (x0, y0, x1, y1)) in LEAVES.items():
        assert counts[code] == (x1 - x0) * (y1 - y0) / RES**2
    assert zones.region_mask.sum() == 1200
    assert (zones.leaf_index == NO_UNIT).sum() == grid.size - 1200


def test_unit_smaller_than_a_pixel_gives_a_warning():
    """A 30 m square that holds no pixel centre gets 0 pixels and a warning naming it."""
    units = gpd.GeoDataFrame(
        {
            "code": ["A1", "T1"],
            "name": ["big", "tiny"],
            "parent_code": ["", ""],
            "level": ["", ""],
        },
        geometry=[_box((0, 0, 1000, 1000)), _box((1210, 1210, 1240, 1240))],
        crs=CRS,
    )
    grid = AccountingGrid.from_bounds((X0, Y0, X0 + 1300, Y0 + 1300), RES, CRS)
    hierarchy, _ = UnitHierarchy.build(units, grid, "units")
    zones, warnings = rasterise_units(hierarchy, grid)
    assert zones.pixel_counts().to_dict() == {"A1": 100, "T1": 0}
    assert len(warnings) == 1
    assert "T1" in warnings[0].message
    assert "A1" not in warnings[0].message


def test_parent_polygons_are_rasterised_per_depth():
    """parent_index holds the province (depth 0) and cities (depth 1) on their own polygons."""
    hierarchy, grid = _build()
    zones, _ = rasterise_units(hierarchy, grid)
    assert sorted(zones.parent_index) == [0, 1]
    codes, index = zones.parent_index[1]
    assert codes == ["360100", "360200"]
    np.testing.assert_array_equal(index, _expected_leaf_index(grid, CITIES))
    codes0, index0 = zones.parent_index[0]
    assert codes0 == ["360000"]
    assert (index0 == 0).sum() == 1200


# -- zonal sums -------------------------------------------------------------------------------

ECO_CODES = [11, 12, 42]


def _random_inputs(grid: AccountingGrid, seed: int = 0):
    """Two quantities (with some NaN) and a land-cover map (with some NaN and -1 groups)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 10, grid.shape)
    b = rng.uniform(-1, 1, grid.shape)
    a[rng.random(grid.shape) < 0.05] = np.nan
    b[rng.random(grid.shape) < 0.05] = np.nan
    eco = rng.choice([11.0, 12.0, 42.0, np.nan], size=grid.shape, p=[0.4, 0.3, 0.2, 0.1])
    quantities = xr.Dataset(
        {"a": grid.wrap(a, name="a", units="t"), "b": grid.wrap(b, name="b", units="m^3")}
    )
    return quantities, grid.wrap(eco, name="ecosystem", units="dimensionless")


def _brute_force(values: np.ndarray, leaf: np.ndarray, eco: np.ndarray, n_leaves: int):
    """np.bincount over (leaf, ecosystem group) with groups [-1, 11, 12, 42]."""
    groups = [NO_ECOSYSTEM, *ECO_CODES]
    eco_idx = np.full(eco.shape, -1)
    eco_idx[np.isnan(eco)] = 0
    for j, code in enumerate(ECO_CODES, start=1):
        eco_idx[eco == code] = j
    keep = (leaf >= 0) & (eco_idx >= 0)
    flat = leaf[keep] * len(groups) + eco_idx[keep]
    size = n_leaves * len(groups)
    v = values[keep]
    sums = np.bincount(flat, weights=np.nan_to_num(v), minlength=size)
    nans = np.bincount(flat, weights=np.isnan(v).astype(float), minlength=size)
    cells = np.bincount(flat, minlength=size).astype(float)
    shape = (n_leaves, len(groups))
    return sums.reshape(shape), nans.reshape(shape), cells.reshape(shape)


def _chunked(ds, eco, chunks):
    if chunks is None:
        return ds, eco
    return ds.chunk(chunks), eco.chunk(chunks)


CHUNKINGS = [None, {"y": 7, "x": 9}, {"y": 16, "x": 5}]


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=["numpy", "dask7x9", "dask16x5"])
def test_zonal_sums_match_brute_force(chunks):
    """Sums per (leaf, ecosystem) = np.bincount, for numpy and two dask chunkings."""
    hierarchy, grid = _build()
    zones, _ = rasterise_units(hierarchy, grid)
    quantities, eco = _random_inputs(grid)
    ds, eco_in = _chunked(quantities, eco, chunks)
    aggregation = aggregate(ds, zones, eco_in, ECO_CODES)
    if chunks is not None:
        assert isinstance(aggregation.vector, dask.array.Array)  # lazy on dask input
    result = aggregation.compute().sums
    assert result["ecosystem"].values.tolist() == [NO_ECOSYSTEM, *ECO_CODES]
    assert result["unit"].values.tolist() == list(range(len(LEAVES)))
    leaf = _expected_leaf_index(grid, {c: rel for c, (_, rel) in LEAVES.items()})
    for name in ("a", "b"):
        sums, nans, cells = _brute_force(quantities[name].values, leaf, eco.values, len(LEAVES))
        np.testing.assert_allclose(result[name].transpose("unit", "ecosystem").values, sums)
        np.testing.assert_array_equal(
            result[f"{name}__nan"].transpose("unit", "ecosystem").values, nans
        )
        np.testing.assert_array_equal(result["cells"].transpose("unit", "ecosystem").values, cells)
    # cells per unit add up to the pixel counts
    np.testing.assert_array_equal(result["cells"].sum("ecosystem").values, [200, 400, 450, 150])


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=["numpy", "dask7x9", "dask16x5"])
def test_masked_totals_equal_sum_over_leaves(chunks):
    """Raster total inside the units = sum of the zonal sums = numpy sum over the mask."""
    hierarchy, grid = _build()
    zones, _ = rasterise_units(hierarchy, grid)
    quantities, eco = _random_inputs(grid, seed=1)
    ds, eco_in = _chunked(quantities, eco, chunks)
    done = aggregate(ds, zones, eco_in, ECO_CODES).compute()
    totals, sums = done.raster, done.sums
    inside = _expected_leaf_index(grid, {c: rel for c, (_, rel) in LEAVES.items()}) >= 0
    for name in ("a", "b"):
        expected = np.nansum(quantities[name].values[inside])
        assert float(totals[name]) == pytest.approx(expected, rel=1e-12)
        assert float(sums[name].sum()) == pytest.approx(expected, rel=1e-12)
    # Pixels outside every unit carry values, so the unmasked total is different.
    assert float(quantities["a"].sum()) > float(totals["a"]) + 1


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=["numpy", "dask7x9", "dask16x5"])
def test_parent_sums_equal_roll_up_when_polygons_tile(chunks):
    """Cities and province summed on their own polygons = roll-up of the leaf sums."""
    hierarchy, grid = _build()
    zones, _ = rasterise_units(hierarchy, grid)
    quantities, eco = _random_inputs(grid, seed=2)
    ds, eco_in = _chunked(quantities, eco, chunks)
    done = aggregate(ds, zones, eco_in, ECO_CODES).compute()
    sums = done.sums.sum("ecosystem")
    leaf_values = pd.DataFrame(
        {name: sums[name].values for name in ("a", "b")}, index=zones.leaf_codes
    )
    rolled = hierarchy.roll_up(leaf_values)
    by_depth = done.parents
    assert sorted(by_depth) == [0, 1]
    for depth, result in by_depth.items():
        codes, _ = zones.parent_index[depth]
        for name in ("a", "b"):
            np.testing.assert_allclose(
                result[name].values, rolled.loc[codes, name].to_numpy(), rtol=1e-12
            )
    assert gap_mask(zones).sum() == 0


def test_gap_mask_finds_pixels_in_the_province_but_in_no_leaf():
    """Province 500 m taller than its counties: the top 5 rows of it are gaps."""
    units = _units(province=(0, 0, 4000, 3500))
    hierarchy, grid = _build(units, _grid(units))
    zones, _ = rasterise_units(hierarchy, grid)
    gaps = gap_mask(zones)
    expected = _expected_leaf_index(grid, {"gap": (0, 3000, 4000, 3500)}) >= 0
    np.testing.assert_array_equal(gaps, expected)
    assert gaps.sum() == 40 * 5
    # The province's own polygon now sums more than its counties: by the gap pixels.
    quantities, eco = _random_inputs(grid, seed=3)
    done = aggregate(quantities, zones, eco, ECO_CODES, gaps=gaps).compute()
    province = float(done.parents[0]["a"].values[0])
    leaves = np.nansum(quantities["a"].values[zones.region_mask])
    gap_total = np.nansum(quantities["a"].values[expected])
    assert province == pytest.approx(leaves + gap_total, rel=1e-12)
    assert done.gap is not None
    assert float(done.gap["a"]) == pytest.approx(gap_total, rel=1e-12)


def test_gap_mask_none_without_top_level_polygon():
    """No province polygon → no gap check possible → None."""
    hierarchy, grid = _build(_units(province=None))
    zones, _ = rasterise_units(hierarchy, grid)
    assert 0 not in zones.parent_index
    assert gap_mask(zones) is None


def test_polygons_of_parents_without_their_own_are_the_union_of_their_children():
    hierarchy, _ = _build(_units(province=None, cities_have_polygons=False))
    polygons = hierarchy.polygons().set_index("code")
    assert list(polygons.index[:3]) == ["360000", "360100", "360200"]  # parents first
    assert (
        polygons.loc[["360000", "360100", "360200"], "geometry_source"] == "union of its children"
    ).all()
    assert (polygons.loc[list(LEAVES), "geometry_source"] == "units file").all()
    assert polygons.geometry["360100"].equals(_box(CITIES["360100"]))
    assert polygons.geometry["360000"].equals(_box(PROVINCE))
    assert polygons.geometry["360200"].area / 1e6 == pytest.approx(
        polygons.loc["360200", "area_km2"]
    )


def test_zone_rasters_take_the_smallest_integer_type():
    """Up to 127 polygons give int8, up to 32,767 int16: 1 or 2 bytes a cell for the run's zone
    rasters (0.2–0.4 GB rather than 0.7 GB each at 185 M cells), with the same indices."""
    grid = AccountingGrid.from_bounds((0, 0, 30_000, 1_000), 10, "EPSG:32650", buffer_cells=0)
    for count, dtype in ((127, np.int8), (128, np.int16), (300, np.int16)):
        width = 30_000 / count
        polygons = gpd.GeoSeries(
            [box(i * width, 0, (i + 1) * width, 1_000) for i in range(count)], crs="EPSG:32650"
        )
        burnt = _burn(polygons, grid)
        assert burnt.dtype == dtype, count
        assert set(np.unique(burnt)) == set(range(count)), count
