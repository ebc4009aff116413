"""The input layers gepkit knows: their kind, the unit models expect, and a plausible range.

The plausible range is in the expected unit and wide on purpose: it exists to catch a wrong
unit (precipitation in m instead of mm, NPP in kg C instead of g C), not to judge the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["categorical", "continuous"]


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
        ),
        LayerInfo(
            "precipitation_monthly",
            "continuous",
            "mm",
            (0.0, 4000.0),
            12,
            "monthly precipitation, 12 bands January–December",
        ),
        LayerInfo(
            "temperature_monthly",
            "continuous",
            "degC",
            (-60.0, 50.0),
            12,
            "monthly mean air temperature, 12 bands January–December",
        ),
        LayerInfo(
            "actual_et", "continuous", "mm", (0.0, 3000.0), 1, "annual actual evapotranspiration"
        ),
        LayerInfo(
            "npp",
            "continuous",
            "gC/m^2",
            (-200.0, 3500.0),
            1,
            "annual net primary production in grams of carbon",
        ),
        LayerInfo(
            "heterotrophic_respiration",
            "continuous",
            "gC/m^2",
            (0.0, 3500.0),
            1,
            "annual heterotrophic (soil microbial) respiration in grams of carbon",
        ),
        LayerInfo(
            "ndvi",
            "continuous",
            "dimensionless",
            (-1.0, 1.0),
            1,
            "NDVI used for fractional vegetation cover (annual maximum recommended)",
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
