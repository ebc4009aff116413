"""Putting a year's input layers on the grid, lazily, in the units the models expect."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gepkit.catalogue.domains import STATISTIC_FIELDS
from gepkit.grid import AccountingGrid
from gepkit.io.rasters import read_aligned
from gepkit.io.registers import reservoirs_from_rows
from gepkit.items import ItemContext
from gepkit.layers import LAYERS
from gepkit.models.lookup import lookup
from gepkit.plan import LayerSource, RunPlan
from gepkit.stacks import reduce_stack


def read_layer(plan: RunPlan, source: LayerSource) -> xr.DataArray:
    """One layer on the accounting grid: float32, NaN for nodata, converted to the model unit."""
    return read_source(source, plan.grid, plan.config.run.chunk)


def read_source(source: LayerSource, grid: AccountingGrid, chunk: int) -> xr.DataArray:
    """:func:`read_layer` without a plan: the file's bands on ``grid`` with missing values
    (nodata, a product's fill values and valid range) as NaN, unpacked (scale, offset),
    converted to the layer's unit band by band, and a stack reduced to the layer's period."""
    info = LAYERS[source.name]
    encoding = source.encoding
    data = read_aligned(
        source.path,
        grid,
        bands=source.bands,
        resampling=source.resampling,
        nodata=source.spec.nodata,
        chunk=chunk,
        fill_values=encoding.fill_values if encoding is not None else (),
        valid_range=encoding.valid_range if encoding is not None else None,
        src_crs=encoding.crs if encoding is not None else None,
    )
    layer = grid.wrap(data, name=source.name, units=info.units)
    scales: tuple[float, ...]
    offsets: tuple[float, ...]
    if encoding is None:
        scales, offsets = (source.scale,), (source.offset,)
    else:
        scales, offsets = encoding.band_scale, encoding.band_offset
    if len(set(scales)) > 1 or len(set(offsets)) > 1:
        factor = xr.DataArray(np.asarray(scales, dtype="float32"), dims="band")
        shift = xr.DataArray(np.asarray(offsets, dtype="float32"), dims="band")
        layer = (layer * factor + shift).astype("float32")
    elif (scales[0], offsets[0]) != (1.0, 0.0):
        layer = (layer * scales[0] + offsets[0]).astype("float32")
    if encoding is not None and encoding.step != info.period:
        assert info.aggregate is not None  # checked by resolve_encoding
        layer = reduce_stack(
            layer, rule=info.aggregate, step=encoding.step, period=info.period, year=source.year
        )
    layer.attrs = {"units": info.units, "source": str(source.path)}
    return layer.rename(source.name)


def year_layers(plan: RunPlan, year: int) -> dict[str, xr.DataArray]:
    """Every configured layer of ``year``, plus the derived ones (annual sums of monthly stacks,
    and the layers computed by a model)."""
    layers = {
        name: read_layer(plan, source) for (name, y), source in plan.sources.items() if y == year
    }
    return derive_layers(plan, year, layers)


def derive_layers(
    plan: RunPlan, year: int, layers: dict[str, xr.DataArray]
) -> dict[str, xr.DataArray]:
    """``layers`` plus the derived layers of the run: annual sums of monthly stacks
    (``derive_from``), then the models of ``derive`` in dependency order."""
    out = dict(layers)
    for name, origin in plan.derived.items():
        annual = out[origin].sum("band", skipna=False)
        annual.attrs = {"units": LAYERS[name].units, "derived_from": origin}
        out[name] = annual.rename(name)
    for name, derivation in plan.derivations.items():
        out[name] = derivation.compute(out, plan.catalogue, year)
    return out


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
