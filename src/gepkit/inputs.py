"""Putting a year's input layers on the grid, lazily, in the units the models expect."""

from __future__ import annotations

import xarray as xr

from gepkit.catalogue.domains import STATISTIC_FIELDS
from gepkit.io.rasters import read_aligned
from gepkit.io.registers import reservoirs_from_rows
from gepkit.items import ItemContext
from gepkit.layers import LAYERS
from gepkit.models.lookup import lookup
from gepkit.plan import LayerSource, RunPlan


def read_layer(plan: RunPlan, source: LayerSource) -> xr.DataArray:
    """One layer on the accounting grid: float32, NaN for nodata, converted to the model unit."""
    info = LAYERS[source.name]
    data = read_aligned(
        source.path,
        plan.grid,
        bands=source.bands,
        resampling=source.resampling,
        nodata=source.spec.nodata,
        chunk=plan.config.run.chunk,
    )
    layer = plan.grid.wrap(data, name=source.name, units=info.units)
    if (source.scale, source.offset) != (1.0, 0.0):
        layer = (layer * source.scale + source.offset).astype("float32")
    layer.attrs = {"units": info.units, "source": str(source.path)}
    return layer.rename(source.name)


def year_layers(plan: RunPlan, year: int) -> dict[str, xr.DataArray]:
    """Every configured layer of ``year``, plus the derived ones (annual sums of monthly stacks)."""
    layers = {
        name: read_layer(plan, source) for (name, y), source in plan.sources.items() if y == year
    }
    for name, origin in plan.derived.items():
        annual = layers[origin].sum("band", skipna=False)
        annual.attrs = {"units": LAYERS[name].units, "derived_from": origin}
        layers[name] = annual.rename(name)
    return layers


def ecosystem_layer(plan: RunPlan, landcover: xr.DataArray) -> xr.DataArray:
    """Ecosystem codes of the national classification, through the land-cover crosswalk."""
    mapping = {code: float(eco) for code, eco in plan.crosswalk.mapping.items()}
    return lookup(landcover, mapping, name="ecosystem", units="dimensionless")


def year_statistics(plan: RunPlan, year: int) -> dict[str, dict[str, float]]:
    """Every single statistic (population, GDP, emissions …) reported for ``year`` by unit code,
    from the workbook or the single tables; rows without a year apply to every year, and a row
    for the year itself takes precedence over them.  Empty values mean "not reported" and are
    left out."""
    out: dict[str, dict[str, float]] = {}
    for name, (domain, field_id) in STATISTIC_FIELDS.items():
        if plan.book.has(domain, field_id):
            out[name] = plan.book.values(domain, field_id, year)
    return out


def year_registers(plan: RunPlan, year: int) -> dict[str, object]:
    """The registers of the run, plus the reservoirs of the statistics workbook for ``year`` when
    no reservoir register file is configured."""
    registers: dict[str, object] = dict(plan.registers)
    if "reservoirs" not in registers:
        rows = plan.book.rows("reservoirs", year)
        if not rows.empty:
            registers["reservoirs"] = reservoirs_from_rows(rows, plan.grid.crs)
    return registers


def year_context(plan: RunPlan, year: int) -> ItemContext:
    layers = year_layers(plan, year)
    baseline = layers.get("landcover_baseline")
    return ItemContext(
        grid=plan.grid,
        year=year,
        layers=layers,
        ecosystem=ecosystem_layer(plan, layers["landcover"]),
        baseline_ecosystem=ecosystem_layer(plan, baseline) if baseline is not None else None,
        present_codes=plan.present_codes[year],
        catalogue=plan.catalogue,
        item_options=plan.options,
        zones=plan.zones,
        statistics=year_statistics(plan, year),
        registers=year_registers(plan, year),
        book=plan.book,
    )
