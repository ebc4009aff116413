"""Layers computed from other layers by a documented model: ``[inputs.<layer>] derive = "…"``.

Users often have precipitation but no rainfall erosivity map, or soil texture but no K map.  A
derived layer names its model instead of a file; the model's inputs are ordinary layers (read
from files, reduced from stacks, or derived themselves), its numbers are catalogue parameters
(so a run can replace them with ``[parameters]``, with a source), and its method choices are
``derive_options``.  Every derived layer is recorded in the run manifest (model, inputs,
options, parameters with their sources).  The models are in ``gepkit.models`` and are
documented, with their sources, in docs/products.md.

==========================  ======================  =========================================
layer                       ``derive``              model
==========================  ======================  =========================================
``rainfall_erosivity``      ``annual_precipitation``  R = α P^β (Zhang & Fu 2003) [K numbers]
``rainfall_erosivity``      ``daily_zhang2002``     half-month model of Zhang Wenbo et al. 2002
``rainfall_erosivity``      ``daily_hj1173``        HJ 1173—2021 A.5–A.6 (α P^1.7265)
``soil_erodibility``        ``epic``                EPIC K (Williams 1990), HJ 1173 A.7–A.8
``temperature_monthly``     ``mean_of_max_min``     (T_max + T_min) / 2
==========================  ======================  =========================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import xarray as xr
from pydantic import BaseModel, ConfigDict

from gepkit.catalogue.book import Catalogue
from gepkit.catalogue.tables import Record
from gepkit.models.erodibility import organic_carbon_from_matter, soil_erodibility_epic
from gepkit.models.erosivity import (
    erosivity_annual_power,
    erosivity_hj1173,
    erosivity_zhang2002,
)
from gepkit.models.temperature import mean_of_max_min


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EpicOptions(NoOptions):
    organic: Literal["auto", "organic_carbon", "organic_matter"] = "auto"
    """Organic carbon from the layer ``organic_carbon``, or from ``organic_matter`` divided by
    the parameter ``organic_matter_to_carbon`` (1.724); ``auto``: organic carbon when that layer
    is configured, else organic matter."""
    correction: Literal["zhang2007", "none"] = "zhang2007"
    """``zhang2007``: K = (−0.01383 + 0.51575 K_EPIC) × 0.1317 (HJ 1173 A.8); ``none``: K_EPIC ×
    0.1317 (the uncorrected EPIC value, e.g. Chen et al. 2016)."""


Available = Callable[[str], bool]
Compute = Callable[[Mapping[str, xr.DataArray], Mapping[str, float], Any, int], xr.DataArray]


@dataclass(frozen=True)
class DerivedModel:
    layer: str
    name: str
    description: str
    citation: str
    parameters: Callable[[Any, tuple[str, ...]], tuple[tuple[str, str], ...]]
    """(catalogue key, unit the model takes it in), given the options and the inputs."""
    inputs: Callable[[Any, Available], tuple[str, ...]]
    compute: Compute
    Options: type[NoOptions] = NoOptions


def _epic_inputs(options: EpicOptions, available: Available) -> tuple[str, ...]:
    organic = options.organic
    if organic == "auto":
        organic = "organic_carbon" if available("organic_carbon") else "organic_matter"
    return ("sand_total", "silt", "clay", organic)


def _epic_parameters(options: EpicOptions, inputs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return (("organic_matter_to_carbon", "dimensionless"),) if "organic_matter" in inputs else ()


def _epic(
    layers: Mapping[str, xr.DataArray], params: Mapping[str, float], options: EpicOptions, year: int
) -> xr.DataArray:
    if "organic_carbon" in layers:
        carbon = layers["organic_carbon"]
    else:
        carbon = organic_carbon_from_matter(
            layers["organic_matter"], factor=params["organic_matter_to_carbon"]
        )
    return soil_erodibility_epic(
        sand=layers["sand_total"],
        silt=layers["silt"],
        clay=layers["clay"],
        organic_carbon=carbon,
        correction=options.correction == "zhang2007",
    )


MODELS: dict[tuple[str, str], DerivedModel] = {
    (m.layer, m.name): m
    for m in (
        DerivedModel(
            layer="rainfall_erosivity",
            name="annual_precipitation",
            description="R = α P^β from annual precipitation P [mm]",
            citation="power form of the annual-rainfall model of Zhang Wenbo & Fu Jinsheng 2003, "
            "Resources Science 25(1): 35–41; coefficients [K] (parameters "
            "erosivity_annual_alpha, erosivity_annual_beta)",
            parameters=lambda o, i: (
                ("erosivity_annual_alpha", "dimensionless"),
                ("erosivity_annual_beta", "dimensionless"),
            ),
            inputs=lambda o, a: ("precipitation",),
            compute=lambda layers, p, o, year: erosivity_annual_power(
                layers["precipitation"],
                alpha=p["erosivity_annual_alpha"],
                beta=p["erosivity_annual_beta"],
            ),
        ),
        DerivedModel(
            layer="rainfall_erosivity",
            name="daily_zhang2002",
            description="half-month model from daily rain ≥ 12 mm, α and β from the year's "
            "erosive-rain statistics",
            citation="Zhang Wenbo, Xie Yun & Liu Baoyuan 2002, Scientia Geographica Sinica 22(6): "
            "705–711; as written by Chen Zhaoya et al. 2016, Chinese J. Eco-Agriculture 24(2): "
            "244–255",
            parameters=lambda o, i: (("zhang2002_erosive_threshold", "mm"),),
            inputs=lambda o, a: ("precipitation_daily",),
            compute=lambda layers, p, o, year: erosivity_zhang2002(
                layers["precipitation_daily"], year=year, threshold=p["zhang2002_erosive_threshold"]
            ),
        ),
        DerivedModel(
            layer="rainfall_erosivity",
            name="daily_hj1173",
            description="Σ α P^1.7265 over erosive days, α = 0.3937 warm / 0.3101 cold season",
            citation="HJ 1173—2021 A.5–A.6 [V-num]; threshold and warm season after Xie Yun et "
            "al. 2016, J. Hydrol. 535: 547–558 [K]",
            parameters=lambda o, i: (
                ("hj1173_erosive_threshold", "mm"),
                ("hj1173_warm_first_month", "dimensionless"),
                ("hj1173_warm_last_month", "dimensionless"),
            ),
            inputs=lambda o, a: ("precipitation_daily",),
            compute=lambda layers, p, o, year: erosivity_hj1173(
                layers["precipitation_daily"],
                year=year,
                threshold=p["hj1173_erosive_threshold"],
                warm_months=(int(p["hj1173_warm_first_month"]), int(p["hj1173_warm_last_month"])),
            ),
        ),
        DerivedModel(
            layer="soil_erodibility",
            name="epic",
            description="EPIC K_EPIC from sand, silt, clay and organic carbon, corrected and "
            "converted to SI: K = (−0.01383 + 0.51575 K_EPIC) × 0.1317",
            citation="Williams 1990 (EPIC); HJ 1173—2021 A.7–A.8 [V-num]; correction attributed "
            "to Zhang Keli et al. 2007, Acta Pedologica Sinica 44(1): 7–13",
            parameters=_epic_parameters,
            inputs=_epic_inputs,
            compute=_epic,
            Options=EpicOptions,
        ),
        DerivedModel(
            layer="temperature_monthly",
            name="mean_of_max_min",
            description="monthly mean temperature = (T_max + T_min) / 2",
            citation="common climatological estimate of the mean from the extremes [K]",
            parameters=lambda o, i: (),
            inputs=lambda o, a: ("temperature_max_monthly", "temperature_min_monthly"),
            compute=lambda layers, p, o, year: mean_of_max_min(
                layers["temperature_max_monthly"], layers["temperature_min_monthly"]
            ),
        ),
    )
}


def models_for(layer: str) -> list[str]:
    return [name for (lay, name) in MODELS if lay == layer]


@dataclass(frozen=True)
class Derivation:
    """A derived layer of the run: its model, resolved inputs and options."""

    layer: str
    model: DerivedModel
    inputs: tuple[str, ...]
    options: NoOptions

    def records(self, catalogue: Catalogue) -> list[Record]:
        return [
            catalogue.parameter(key) for key, _ in self.model.parameters(self.options, self.inputs)
        ]

    def compute(
        self, layers: Mapping[str, xr.DataArray], catalogue: Catalogue, year: int
    ) -> xr.DataArray:
        params = {
            key: catalogue.parameter(key).value_in(unit)
            for key, unit in self.model.parameters(self.options, self.inputs)
        }
        out = self.model.compute({n: layers[n] for n in self.inputs}, params, self.options, year)
        out.attrs["derived_by"] = f"{self.model.layer}:{self.model.name}"
        return out.rename(self.layer)

    def describe(self, catalogue: Catalogue | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model.name,
            "description": self.model.description,
            "citation": self.model.citation,
            "inputs": list(self.inputs),
            "options": self.options.model_dump(),
        }
        if catalogue is not None:
            out["parameters"] = [r.describe() for r in self.records(catalogue)]
        return out
