"""The accounting grid (gepkit.grid.AccountingGrid): snapping, buffer, geometry and CRS checks."""

from __future__ import annotations

import numpy as np
import pytest

from gepkit.errors import GridError
from gepkit.grid import CHINA_ALBERS, AccountingGrid, is_metric, resolve_crs


def test_snaps_to_resolution_with_buffer():
    """Bounds (1050, 2030, 4970, 5900) at 1 km: padding one cell gives (50, 1030, 5970, 6900),
    snapped outwards to multiples of 1000 → (0, 1000, 6000, 7000), 6 × 6 cells."""
    grid = AccountingGrid.from_bounds((1050.0, 2030.0, 4970.0, 5900.0), 1000.0, "china-albers")
    assert grid.bounds == (0.0, 1000.0, 6000.0, 7000.0)
    assert (grid.width, grid.height) == (6, 6)
    assert grid.shape == (6, 6)
    assert grid.size == 36
    assert tuple(grid.transform)[:6] == (1000.0, 0.0, 0.0, 0.0, -1000.0, 7000.0)


def test_snaps_negative_coordinates():
    """West/south of the origin snapping still goes outwards: (−2500, −1200, −100, 300) at 1 km
    pads to (−3500, −2200, 900, 1300) and snaps to (−4000, −3000, 1000, 2000), 5 × 5 cells."""
    grid = AccountingGrid.from_bounds((-2500.0, -1200.0, -100.0, 300.0), 1000.0, "china-albers")
    assert grid.bounds == (-4000.0, -3000.0, 1000.0, 2000.0)
    assert grid.shape == (5, 5)


def test_bounds_on_multiples_get_one_full_cell_each_side():
    """Bounds already on multiples: (0, 0, 3000, 2000) at 1 km → (−1000, −1000, 4000, 3000);
    without a buffer the grid is the bounds themselves."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers")
    assert grid.bounds == (-1000.0, -1000.0, 4000.0, 3000.0)
    assert grid.shape == (4, 5)
    bare = AccountingGrid.from_bounds(
        (0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers", buffer_cells=0
    )
    assert bare.bounds == (0.0, 0.0, 3000.0, 2000.0)
    assert bare.shape == (2, 3)


def test_thirty_metre_grid():
    """(100, 100, 1000, 1000) at 30 m: floor(70/30)·30 = 60, ceil(1030/30)·30 = 1050,
    so (60, 60, 1050, 1050) and 33 × 33 cells."""
    grid = AccountingGrid.from_bounds((100.0, 100.0, 1000.0, 1000.0), 30.0, "china-albers")
    assert grid.bounds == pytest.approx((60.0, 60.0, 1050.0, 1050.0))
    assert grid.shape == (33, 33)
    assert grid.resolution == 30.0


@pytest.mark.parametrize(
    "bounds",
    [
        (1_234_567.8, 3_011_111.1, 1_400_321.9, 3_250_000.0),
        (-501.0, -499.0, 499.0, 501.0),
        (10.0, 20.0, 10.5, 20.5),
    ],
)
@pytest.mark.parametrize("resolution", [30.0, 250.0, 1000.0])
def test_covers_bounds_with_one_cell_buffer(bounds, resolution):
    """The grid covers the bounds plus at least one cell, by less than two cells, and its edges
    are multiples of the resolution."""
    grid = AccountingGrid.from_bounds(bounds, resolution, "china-albers")
    left, bottom, right, top = grid.bounds
    xmin, ymin, xmax, ymax = bounds
    assert left <= xmin - resolution
    assert bottom <= ymin - resolution
    assert right >= xmax + resolution
    assert top >= ymax + resolution
    assert left > xmin - 2 * resolution
    assert bottom > ymin - 2 * resolution
    assert right < xmax + 2 * resolution
    assert top < ymax + 2 * resolution
    for edge in (left, bottom, right, top):
        assert edge / resolution == pytest.approx(round(edge / resolution), abs=1e-9)
    assert grid.width * resolution == pytest.approx(right - left)
    assert grid.height * resolution == pytest.approx(top - bottom)


def test_cell_area():
    """Square cells: 1 km → 10⁶ m² = 100 hm²; 30 m → 900 m² = 0.09 hm²."""
    km = AccountingGrid.from_bounds((0.0, 0.0, 1.0, 1.0), 1000.0, "china-albers")
    assert km.cell_area_m2 == 1_000_000.0
    assert km.cell_area_ha == pytest.approx(100.0)
    thirty = AccountingGrid.from_bounds((0.0, 0.0, 1.0, 1.0), 30.0, "china-albers")
    assert thirty.cell_area_m2 == pytest.approx(900.0)
    assert thirty.cell_area_ha == pytest.approx(0.09)


def test_coordinates_are_cell_centres():
    """x runs west → east from left + res/2; y runs north → south from top − res/2."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers")
    np.testing.assert_array_equal(grid.x_coords(), [-500.0, 500.0, 1500.0, 2500.0, 3500.0])
    np.testing.assert_array_equal(grid.y_coords(), [2500.0, 1500.0, 500.0, -500.0])


def test_wrap():
    """wrap() gives ('y', 'x') with centre coordinates and the unit; a stack gets 'band' 1…n."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers")
    da = grid.wrap(np.zeros((4, 5)), name="precipitation", units="mm", source="test")
    assert da.dims == ("y", "x")
    assert da.name == "precipitation"
    assert da.attrs == {"units": "mm", "source": "test"}
    np.testing.assert_array_equal(da["x"].values, [-500.0, 500.0, 1500.0, 2500.0, 3500.0])
    stack = grid.wrap(np.zeros((12, 4, 5)), name="t", units="degC")
    assert stack.dims == ("band", "y", "x")
    np.testing.assert_array_equal(stack["band"].values, np.arange(1, 13))


def test_wrap_wrong_shape():
    """An array of another shape cannot be put on the grid."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers")
    with pytest.raises(GridError, match="does not match the grid"):
        grid.wrap(np.zeros((5, 4)), name="dem", units="m")


def test_chunks():
    """Square dask blocks: 4 × 5 cells in blocks of 2 → rows (2, 2), columns (2, 2, 1)."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers")
    assert grid.chunks(2) == ((2, 2), (2, 2, 1))
    assert grid.chunks(10) == ((4,), (5,))


def test_describe():
    """describe() has the manifest keys, with the grid's values."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 3000.0, 2000.0), 1000.0, "china-albers")
    info = grid.describe()
    assert set(info) == {
        "crs",
        "resolution_m",
        "width",
        "height",
        "bounds",
        "transform",
        "cell_area_m2",
        "equal_area",
    }
    assert info["resolution_m"] == 1000.0
    assert (info["width"], info["height"]) == (5, 4)
    assert info["bounds"] == [-1000.0, -1000.0, 4000.0, 3000.0]
    assert info["transform"] == [1000.0, 0.0, -1000.0, 0.0, -1000.0, 3000.0]
    assert info["cell_area_m2"] == 1_000_000.0
    assert info["equal_area"] is True
    assert "Albers" in info["crs"]


@pytest.mark.parametrize("crs", ["china-albers", "China_Albers", " CHINA-ALBERS ", CHINA_ALBERS])
def test_china_albers_is_equal_area(crs):
    """The China Albers alias (any case) is a metric, equal-area projection."""
    grid = AccountingGrid.from_bounds((0.0, 0.0, 1000.0, 1000.0), 1000.0, crs)
    assert grid.is_equal_area
    assert is_metric(grid.crs)
    assert grid.crs.equals(resolve_crs(CHINA_ALBERS))


def test_utm_is_metric_but_not_equal_area():
    """UTM zone 50N (EPSG:32650) is accepted (metres) but is not equal-area."""
    grid = AccountingGrid.from_bounds(
        (400_000.0, 3_000_000.0, 410_000.0, 3_010_000.0), 1000.0, "EPSG:32650"
    )
    assert not grid.is_equal_area
    assert grid.shape == (12, 12)


def test_geographic_crs_is_refused():
    """A degree grid cannot carry slopes and areas: GridError mentioning metres."""
    with pytest.raises(GridError) as info:
        AccountingGrid.from_bounds((114.0, 24.0, 118.0, 30.0), 0.01, "EPSG:4326")
    assert "metres" in str(info.value)
    assert info.value.problems[0].field == "crs"
    assert "degree" in info.value.problems[0].message


def test_feet_crs_is_refused():
    """A projected CRS in US survey feet (EPSG:2263) is refused too."""
    with pytest.raises(GridError, match="metres"):
        AccountingGrid.from_bounds((0.0, 0.0, 1000.0, 1000.0), 100.0, "EPSG:2263")


@pytest.mark.parametrize("crs", ["not-a-crs", "EPSG:99999999", "+proj=nonsense"])
def test_unknown_crs(crs):
    """A CRS PROJ cannot parse is a GridError naming the input, with a hint."""
    with pytest.raises(GridError) as info:
        AccountingGrid.from_bounds((0.0, 0.0, 1000.0, 1000.0), 1000.0, crs)
    problem = info.value.problems[0]
    assert crs in problem.message
    assert problem.field == "crs"
    assert "china-albers" in (problem.hint or "")


@pytest.mark.parametrize("resolution", [0.0, -30.0])
def test_resolution_must_be_positive(resolution):
    """A zero or negative resolution is a GridError."""
    with pytest.raises(GridError, match="positive"):
        AccountingGrid.from_bounds((0.0, 0.0, 1000.0, 1000.0), resolution, "china-albers")


def test_is_metric():
    """Web Mercator is metric; WGS84 longitude/latitude is not."""
    assert is_metric(resolve_crs("EPSG:3857"))
    assert not is_metric(resolve_crs("EPSG:4326"))
