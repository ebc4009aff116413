"""The run configuration, read from ``gep.toml`` (documented in docs/configuration.md).

The file says *what* to account (region, units, years, items, standard profile), *from what*
(input layers, statistics, parameter tables, price book) and *how* (every open method choice as a
named option).  Relative paths are resolved against the folder holding the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gepkit.catalogue.profiles import DEFAULT_PROFILE
from gepkit.errors import ConfigError, Problem, validation_problem
from gepkit.io.toml_files import read_toml

Resampling = Literal["auto", "nearest", "mode", "bilinear", "average", "cubic"]
Stack = Literal["monthly", "16day", "8day", "daily"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionSpec(_Strict):
    name: str
    name_en: str = ""
    code: str

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class RunSpec(_Strict):
    years: list[int] = Field(min_length=1)
    profile: str = DEFAULT_PROFILE
    items: list[str] | None = None
    """Items to compute; default: the profile's items that this gepkit version implements."""
    add_items: list[str] = Field(default_factory=list)
    """Items computed on top of the profile's (or ``items``)."""
    drop_items: list[str] = Field(default_factory=list)
    """Items of the profile left out of this run (recorded in the manifest)."""
    demo: bool = False
    """Marks every output as demo values (illustrative inputs, not an official account)."""
    chunk: int = Field(default=1024, ge=2)
    """Side of the square dask blocks, in cells."""
    allocation_key: Literal["area", "population"] = "area"
    """How a value reported for a unit (a county) whose sub-units (townships) report none is
    shared among them: by their area or by their population (methods catalogue §3.4)."""
    workers: int | None = Field(default=None, ge=1)
    """Compute on this many local worker processes (a dask.distributed LocalCluster, one thread
    each); default: the threads of the gep process (docs/scale.md)."""
    scheduler: str | None = Field(default=None, min_length=1)
    """Compute on the dask.distributed cluster whose scheduler is at this address
    (``tcp://host:8786``); every worker must read the input files by the same paths."""

    @model_validator(mode="after")
    def _one_executor(self) -> RunSpec:
        if self.workers is not None and self.scheduler is not None:
            raise ValueError(
                "give workers (local processes) or scheduler (an existing cluster), not both"
            )
        return self


class UnitsSpec(_Strict):
    path: str
    layer: str | None = None
    code_field: str = "code"
    name_field: str = "name"
    parent_field: str = "parent_code"
    level_field: str | None = "level"


class GridSpec(_Strict):
    crs: str = "china-albers"
    resolution: float = Field(default=1000.0, gt=0)
    zone_weighting: Literal["centre", "coverage"] = "centre"
    """How a pixel's quantity goes to the units: wholly to the unit holding its centre, or
    shared by the fraction of the pixel each unit covers (docs/adr/0002)."""


class LayerSpec(_Strict):
    path: str | None = None
    by_year: dict[int, str] | None = None
    product: str | None = None
    """A product preset (``catalogue/data/products.csv``, docs/products.md) that supplies the
    file's encoding: data type, scale, offset, unit, valid range, fill values, time step."""
    units: str | None = None
    """Unit of the file's values; converted to the unit the models expect."""
    band: int | None = Field(default=None, ge=1)
    stack: Stack | None = None
    """The file's bands are the periods of the year at this step; they are reduced (summed,
    averaged or maximised, as the layer requires) to the layer's period."""
    nodata: float | None = None
    """Overrides (or supplies) the file's nodata value (and a preset's fill values)."""
    valid_range: tuple[float, float] | None = None
    """Raw values outside [min, max] are missing (overrides a preset's valid range)."""
    scale: float | None = None
    """File value × scale + offset = value in ``units``; default: the preset's, else the file's
    own packing (netCDF scale_factor), else 1."""
    offset: float | None = None
    crs: str | None = None
    """CRS of a file that carries none (e.g. a netCDF without grid mapping)."""
    resampling: Resampling = "auto"
    crosswalk: str | None = None
    """Land cover only: a shipped crosswalk name (``modis_igbp``) or a CSV path."""
    derive: str | None = None
    """Compute the layer from other layers with a documented model instead of reading a file
    (docs/products.md): ``rainfall_erosivity``: ``annual_precipitation``, ``daily_zhang2002``,
    ``daily_hj1173``; ``soil_erodibility``: ``epic``; ``temperature_monthly``:
    ``mean_of_max_min``."""
    derive_options: dict[str, str | float | bool] = Field(default_factory=dict)
    """Method choices of the ``derive`` model (docs/products.md)."""
    check_values: bool = True
    """Refuse values outside the layer's plausible range and report a region mean that looks
    like a unit slip; set false when unusual values are right."""
    demo: bool = False
    source: str = ""

    @model_validator(mode="after")
    def _derive_or_file(self) -> LayerSpec:
        if self.derive is not None:
            given = [
                name
                for name in ("path", "by_year", "product", "units", "band", "stack", "nodata")
                if getattr(self, name) is not None
            ]
            if given:
                raise ValueError(
                    f"a derived layer (derive = '{self.derive}') reads no file: remove "
                    f"{', '.join(given)}"
                )
        elif self.derive_options:
            raise ValueError("derive_options needs derive")
        if self.valid_range is not None and self.valid_range[0] > self.valid_range[1]:
            raise ValueError("valid_range must be [min, max] with min ≤ max")
        return self

    def path_for(self, year: int) -> str | None:
        if self.by_year is not None:
            return self.by_year.get(year)
        return self.path.replace("{year}", str(year)) if self.path else None


class StatisticSpec(_Strict):
    path: str
    code_field: str = "code"
    value_field: str = "value"
    year_field: str | None = None
    units: str
    demo: bool = False
    source: str = ""


class RegisterSpec(_Strict):
    """A register of features: lakes (a polygon file) or reservoirs (a CSV table)."""

    path: str
    layer: str | None = None
    name_field: str = "name"
    total_capacity_field: str = "total_capacity"
    """Reservoirs: total storage capacity (总库容)."""
    flood_capacity_field: str | None = "flood_capacity"
    """Reservoirs: designed flood-control capacity (防洪库容); empty cells use the flood share."""
    capacity_units: str = "m^3"
    """Unit of the capacities, e.g. 'm^3', '万m3' (10⁴ m³) or '亿m3' (10⁸ m³)."""
    lon_field: str | None = "lon"
    lat_field: str | None = "lat"
    unit_code_field: str | None = "unit_code"
    """Reservoirs without coordinates are assigned to the unit given here."""
    demo: bool = False
    source: str = ""


class WorkbookSpec(_Strict):
    """The statistics workbook (`gep template`): an .xlsx file, or a folder of CSV files named
    after the sheets."""

    path: str
    check_magnitudes: bool = True
    """Report values that look like a unit slip (元 for 万元, a factor 10⁴) as errors."""
    demo: bool = False
    source: str = ""


class ValuationSpec(_Strict):
    """Price bases (methods catalogue §2.16, §3.3; see gepkit.valuation.basis)."""

    base_year: int | None = None
    """Base year of the constant-price values; default: the first year of the run."""
    price_indexing: Literal["as_recorded", "indexed"] = "as_recorded"
    """``as_recorded``: each price record is the price of every accounting year (published
    practice); ``indexed``: a price of year y is moved to year t with its price index."""
    indices: dict[str, str] = Field(default_factory=dict)
    """Price key (or per-unit price component) → index series, overriding the price book."""
    deduct_imports: bool = False
    """GB/T 46869—2025: deduct the value of ecosystem products from outside the region (sheet
    ``imports``) from GEP."""


class RecordOverride(_Strict):
    """A user-supplied parameter value or price, which must say where it comes from."""

    value: float
    unit: str
    source: str
    year: int | None = None
    confidence: Literal["V", "V*", "S", "K", "D"] = "V"
    basis: str = ""
    index: str = ""
    """Prices only: the price-index series the price moves with between years (e.g. 'cpi_cn')."""


class RunConfig(_Strict):
    region: RegionSpec
    run: RunSpec
    units: UnitsSpec
    grid: GridSpec = GridSpec()
    inputs: dict[str, LayerSpec] = Field(default_factory=dict)
    statistics: dict[str, StatisticSpec] = Field(default_factory=dict)
    workbook: WorkbookSpec | None = None
    valuation: ValuationSpec = ValuationSpec()
    registers: dict[str, RegisterSpec] = Field(default_factory=dict)
    tables: dict[str, str] = Field(default_factory=dict)
    """Per-table file paths overriding (or supplying) gepkit's tables; see docs/configuration.md."""
    parameters: dict[str, str | RecordOverride] = Field(default_factory=dict)
    prices: dict[str, str | RecordOverride] = Field(default_factory=dict)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    # Set by load_config, not by the file.
    base_dir: Path = Field(default=Path("."), exclude=True)
    source_path: Path | None = Field(default=None, exclude=True)

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate)

    def for_years(self, years: list[int] | None) -> RunConfig:
        if not years:
            return self
        return self.model_copy(update={"run": self.run.model_copy(update={"years": list(years)})})

    def with_execution(self, *, workers: int | None, scheduler: str | None) -> RunConfig:
        """The run on ``workers`` local processes or on the cluster at ``scheduler`` (either
        replaces the config's own ``[run] workers`` / ``scheduler``); both None: unchanged."""
        if workers is None and scheduler is None:
            return self
        if workers is not None and scheduler is not None:
            raise ConfigError(
                Problem(
                    where="command line",
                    field="--workers, --scheduler",
                    message="give --workers (local processes) or --scheduler (an existing "
                    "cluster), not both",
                )
            )
        try:
            run = RunSpec.model_validate(
                {**self.run.model_dump(), "workers": workers, "scheduler": scheduler}
            )
        except ValidationError as err:
            raise ConfigError([_problem_from("command line", e) for e in err.errors()]) from err
        return self.model_copy(update={"run": run})

    def resolved(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict (for the manifest)."""
        data = self.model_dump(mode="json")
        data["config_file"] = str(self.source_path) if self.source_path else None
        return data


def load_config(path: Path) -> RunConfig:
    """Read and validate ``gep.toml``; every problem is reported at once as :class:`ConfigError`."""
    where = str(path)
    data = read_toml(
        path,
        missing="config file not found",
        missing_hint="give the path of a gep.toml (see docs/configuration.md)",
        error=ConfigError,
    )
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError([_problem_from(where, e) for e in err.errors()]) from err
    return config.model_copy(
        update={"base_dir": path.resolve().parent, "source_path": path.resolve()}
    )


def _problem_from(where: str, error: Any) -> Problem:
    return validation_problem(where, error, hint="see docs/configuration.md for every setting")
