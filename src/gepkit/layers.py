"""The input layers gepkit knows: their kind, the unit models expect, and a plausible range.

The plausible range is in the expected unit and wide on purpose: it exists to catch a wrong
unit (precipitation in m instead of mm, NPP in kg C instead of g C), not to judge the data.  The
typical range of the region's mean catches the slips the plausible range lets through (1.6 m of
rain declared in mm); a layer's period and aggregation rule say how a stack of months, 8-day
periods or days is reduced to it (gepkit.stacks, docs/products.md).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Literal

Kind = Literal["categorical", "continuous"]
Aggregate = Literal["sum", "mean", "max"]


@dataclass(frozen=True)
class LayerInfo:
    name: str
    kind: Kind
    units: str
    plausible: tuple[float, float] | None
    bands: int
    description: str
    derive_from: str | None = None
    """A layer this one can be derived from when it is not given (annual sum of monthly)."""
    aggregate: Aggregate | None = None
    """How a stack of a finer time step (``[inputs.<layer>] stack``, or a product's step) is
    reduced to the layer's period: the sum of totals, the mean of means (weighted by the days of
    each period) or the maximum of composites (gepkit.stacks); ``None``: no stacks."""
    typical: tuple[float, float] | None = None
    """Range in which the region's mean value normally lies (expected unit).  A mean outside it
    that another unit or scale factor would bring inside is reported as a unit error."""
    daily: bool = False
    """One band per day of the year (365 or 366 bands)."""

    @property
    def period(self) -> str:
        """The period of one band: ``annual``, ``monthly`` (12 bands) or ``daily``."""
        if self.daily:
            return "daily"
        return "monthly" if self.bands == 12 else "annual"

    def bands_for(self, year: int) -> int:
        """Number of bands of the layer in ``year`` (366 days in a leap year)."""
        if self.daily:
            return 366 if calendar.isleap(year) else 365
        return self.bands


LAYERS: dict[str, LayerInfo] = {
    info.name: info
    for info in (
        LayerInfo(
            "landcover",
            "categorical",
            "dimensionless",
            None,
            1,
            "land cover / ecosystem type codes of the product named by its crosswalk",
        ),
        LayerInfo("dem", "continuous", "m", (-500.0, 9000.0), 1, "elevation above sea level"),
        LayerInfo(
            "precipitation",
            "continuous",
            "mm",
            (0.0, 12000.0),
            1,
            "annual precipitation of the accounting year",
            derive_from="precipitation_monthly",
            aggregate="sum",
            typical=(3.0, 5000.0),
        ),
        LayerInfo(
            "precipitation_monthly",
            "continuous",
            "mm",
            (0.0, 4000.0),
            12,
            "monthly precipitation, 12 bands January–December",
            aggregate="sum",
            typical=(0.25, 420.0),
        ),
        LayerInfo(
            "precipitation_daily",
            "continuous",
            "mm",
            (0.0, 2000.0),
            0,
            "daily precipitation, one band per day of the year (365, or 366 in a leap year)",
            aggregate="sum",
            typical=(0.008, 14.0),
            daily=True,
        ),
        LayerInfo(
            "temperature_monthly",
            "continuous",
            "degC",
            (-60.0, 50.0),
            12,
            "monthly mean air temperature, 12 bands January–December",
            aggregate="mean",
            typical=(-40.0, 35.0),
        ),
        LayerInfo(
            "temperature_max_monthly",
            "continuous",
            "degC",
            (-70.0, 60.0),
            12,
            "monthly mean of the daily maximum air temperature, 12 bands January–December",
            aggregate="mean",
            typical=(-45.0, 45.0),
        ),
        LayerInfo(
            "temperature_min_monthly",
            "continuous",
            "degC",
            (-80.0, 50.0),
            12,
            "monthly mean of the daily minimum air temperature, 12 bands January–December",
            aggregate="mean",
            typical=(-55.0, 35.0),
        ),
        LayerInfo(
            "actual_et",
            "continuous",
            "mm",
            (0.0, 3000.0),
            1,
            "annual actual evapotranspiration",
            aggregate="sum",
            typical=(3.0, 2500.0),
        ),
        LayerInfo(
            "npp",
            "continuous",
            "gC/m^2",
            (-200.0, 3500.0),
            1,
            "annual net primary production in grams of carbon",
            aggregate="sum",
            typical=(3.0, 2500.0),
        ),
        LayerInfo(
            "heterotrophic_respiration",
            "continuous",
            "gC/m^2",
            (0.0, 3500.0),
            1,
            "annual heterotrophic (soil microbial) respiration in grams of carbon",
            aggregate="sum",
            typical=(3.0, 2500.0),
        ),
        LayerInfo(
            "ndvi",
            "continuous",
            "dimensionless",
            (-1.0, 1.0),
            1,
            "NDVI used for fractional vegetation cover (annual maximum recommended)",
            aggregate="max",
        ),
        LayerInfo(
            "rainfall_erosivity",
            "continuous",
            "MJ*mm/(hectare*h)",
            (0.0, 60000.0),
            1,
            "RUSLE rainfall erosivity R of the year, MJ·mm/(hm²·h·a)",
        ),
        LayerInfo(
            "soil_erodibility",
            "continuous",
            "t*hectare*h/(hectare*MJ*mm)",
            (0.0, 0.2),
            1,
            "RUSLE soil erodibility K in SI units, t·hm²·h/(hm²·MJ·mm)",
        ),
        LayerInfo(
            "hot_days",
            "continuous",
            "day",
            (0.0, 366.0),
            1,
            "days in the year needing air conditioning (climate regulation)",
        ),
        LayerInfo(
            "actual_et_hot_days",
            "continuous",
            "mm",
            (0.0, 3000.0),
            1,
            "actual evapotranspiration summed over the days needing air conditioning",
        ),
        LayerInfo(
            "storm_precipitation",
            "continuous",
            "mm",
            (0.0, 8000.0),
            1,
            "precipitation of the year's storm days (daily ≥ the storm threshold)",
        ),
        LayerInfo(
            "reference_et",
            "continuous",
            "mm",
            (0.0, 4000.0),
            1,
            "annual reference evapotranspiration ET0 (Budyko water yield)",
            aggregate="sum",
            typical=(30.0, 3000.0),
        ),
        LayerInfo(
            "plant_available_water",
            "continuous",
            "dimensionless",
            (0.0, 1.0),
            1,
            "plant-available water content PAWC as a fraction (Budyko water yield)",
        ),
        LayerInfo(
            "root_restricting_depth",
            "continuous",
            "mm",
            (0.0, 100000.0),
            1,
            "depth to the root-restricting layer (Budyko water yield)",
        ),
        LayerInfo(
            "landcover_baseline",
            "categorical",
            "dimensionless",
            None,
            1,
            "land cover of the baseline year (carbon stock change)",
        ),
        LayerInfo(
            "weather_factor",
            "continuous",
            "kg/m",
            (0.0, 10000.0),
            1,
            "RWEQ weather factor WF of the year (HJ 1173 eq. A.16), kg/m",
        ),
        LayerInfo(
            "sand",
            "continuous",
            "percent",
            (0.0, 100.0),
            1,
            "coarse sand 0.2–2 mm in the topsoil, percent (RWEQ erodible fraction)",
        ),
        LayerInfo(
            "sand_total",
            "continuous",
            "percent",
            (0.0, 100.0),
            1,
            "sand 0.05–2 mm (USDA texture, as HWSD T_SAND or SoilGrids sand) in the topsoil, "
            "percent (EPIC soil erodibility)",
        ),
        LayerInfo("silt", "continuous", "percent", (0.0, 100.0), 1, "silt in the topsoil, percent"),
        LayerInfo("clay", "continuous", "percent", (0.0, 100.0), 1, "clay in the topsoil, percent"),
        LayerInfo(
            "organic_matter",
            "continuous",
            "percent",
            (0.0, 100.0),
            1,
            "organic matter in the topsoil, percent",
        ),
        LayerInfo(
            "organic_carbon",
            "continuous",
            "percent",
            (0.0, 60.0),
            1,
            "organic carbon in the topsoil, percent (EPIC soil erodibility)",
        ),
        LayerInfo(
            "calcium_carbonate",
            "continuous",
            "percent",
            (0.0, 100.0),
            1,
            "calcium carbonate in the topsoil, percent",
        ),
        LayerInfo(
            "vegetation_cover",
            "continuous",
            "percent",
            (0.0, 100.0),
            1,
            "vegetation cover, percent (RWEQ vegetation factor, with the sand-fixation option cover_source = 'layer')",
        ),
    )
}
