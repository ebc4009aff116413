"""Climate regulation (气候调节, R10): evapotranspiration energy, valued at the electricity price.

Three parts, in kWh per cell (methods catalogue §2.12):

* ``vegetation`` — transpiration cooling of vegetated ecosystems: either the latent heat of the
  evapotranspiration of the hot days ÷ the air conditioners' energy-efficiency ratio r
  (``method = "evapotranspiration"``, default) or the MEE form EPP · A · D / (3600 · r) with a
  user-supplied table ``climate_epp`` (``method = "epp_table"``);
* ``water_cooling`` — latent heat of the water evaporated from water surfaces on the hot days,
  E_w · ρ_w · q / 3600 (÷ r only with ``divide_water_cooling_by_eer``);
* ``water_humidifying`` — a humidifier's electricity for the same water, E_w · y (dropped with
  ``humidifying = false``).

The item often dominates GEP (37–59 % of GEP or of regulating services in published accounts,
catalogue §2.12): it is reported separately and ``warn_share`` sets the share of GEP above which
the run warns.  Plausibility limit (documented, not checked): the two cooling parts cannot exceed
the latent heat of the year's ET, ET · 10⁻³ · A · ρ_w · q / 3600 kWh per cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import pandas as pd
import xarray as xr
from pydantic import Field

from gepkit import units as u
from gepkit.errors import ConfigError, InputError, Problem, TableError
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part
from gepkit.models.climate import (
    days_in_year,
    evaporation_cooling,
    evaporation_humidifying,
    evaporation_volume,
    evapotranspiration_cooling,
    hot_days_evapotranspiration,
    transpiration_cooling_epp,
)
from gepkit.models.lookup import lookup


class ClimateRegulationOptions(ItemOptions):
    method: Literal["evapotranspiration", "epp_table"] = "evapotranspiration"
    """``evapotranspiration``: vegetation cooling = latent heat of the hot days' ET ÷ r (gepkit's
    form, no per-type table needed); ``epp_table``: the MEE form EPP · A · D / (3600 · r), which
    needs the table ``climate_epp`` [kJ/(m²·d)] and the layer ``hot_days``."""
    hot_days_et: Literal["auto", "layer", "even_share"] = "auto"
    """Evapotranspiration over the hot days (vegetation with the ET method; water surfaces with
    both methods): ``layer``: the layer ``actual_et_hot_days``; ``even_share``: ``actual_et`` ×
    ``hot_days`` / days in the year (ET spread evenly over the year, [K]: understates summer ET);
    ``auto``: the layer when the run reads it, else the even share."""
    vegetation_ecosystems: tuple[int, ...] = (1, 2, 3, 52, 62)
    """Classes whose transpiration cools: forest, shrub, grassland, orchards, urban green."""
    water_ecosystems: tuple[int, ...] = (42, 43)
    """Classes whose surface evaporation cools and humidifies: lakes (with reservoirs, ponds) and
    rivers.  Empty: no water parts."""
    divide_water_cooling_by_eer: bool = False
    """Divide the water cooling term by r as well.  The Garzê text writes it without r [V]; the MEE
    guideline may divide [K]."""
    humidifying: bool = True
    """Count the humidifying term E_w · y (the MEE guideline may apply it only when the relative
    humidity is low [K])."""
    warn_share: float = Field(default=0.5, gt=0.0, le=1.0)
    """Share of a unit's GEP above which the run warns that climate regulation dominates (the
    warning itself is raised by the accounts)."""


#: Parts of the item: id → (English, Chinese) names.
PARTS = {
    "vegetation": ("vegetation transpiration cooling", "植被蒸腾降温"),
    "water_cooling": ("water-surface evaporation cooling", "水面蒸发降温"),
    "water_humidifying": ("water-surface evaporation humidifying", "水面蒸发增湿"),
}
#: A part supplied quantities may give in place of the two water parts (the Garzê account
#: reports 水面蒸发降温增湿 as one figure).
WATER = "water"


class ClimateRegulation(Item):
    id = "climate_regulation"
    method = "evapotranspiration"
    Options = ClimateRegulationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        assert isinstance(options, ClimateRegulationOptions)
        needed: list[str] = []
        if options.method == "epp_table":
            needed.append("hot_days")
        if _uses_et(options):
            if options.hot_days_et == "layer":
                needed.append("actual_et_hot_days")
            else:
                needed += ["actual_et", "hot_days"]
        return list(dict.fromkeys(needed))

    def parts(self, options: ItemOptions) -> list[str]:
        assert isinstance(options, ClimateRegulationOptions)
        parts = ["vegetation"]
        if options.water_ecosystems:
            parts.append("water_cooling")
            if options.humidifying:
                parts.append("water_humidifying")
        return parts

    def combined_parts(self, options: ItemOptions) -> dict[str, tuple[str, ...]]:
        """Supplied quantities may give the water-surface term as one figure, cooling and
        humidifying together (``water``)."""
        water = tuple(p for p in self.parts(options) if p.startswith("water_"))
        return {WATER: water} if len(water) == 2 else {}

    def optional_layers(self, options: ItemOptions) -> list[str]:
        """Layers used when the run configures them (``hot_days_et = "auto"``)."""
        assert isinstance(options, ClimateRegulationOptions)
        if _uses_et(options) and options.hot_days_et == "auto":
            return ["actual_et_hot_days"]
        return []

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, ClimateRegulationOptions)
        check_disjoint(
            ctx,
            options.vegetation_ecosystems,
            options.water_ecosystems,
            field=f"options.{self.id}.water_ecosystems",
            what="vegetation_ecosystems and water_ecosystems",
        )
        veg_codes = ctx.scope_codes(options.vegetation_ecosystems)
        water_codes = ctx.scope_codes(options.water_ecosystems)
        area = ctx.grid.cell_area_m2
        r = parameter_value(ctx, "ac_energy_efficiency_ratio", "dimensionless")
        uses_et = _uses_et(options)
        q = parameter_value(ctx, "latent_heat_vaporization", "kJ/kg") if uses_et else math.nan
        et_hot, et_text, even_share = _hot_days_et(ctx, options) if uses_et else (None, "", False)

        if options.method == "epp_table":
            epp_by_code = table_values(
                ctx, "climate_epp", veg_codes, item=self.id, units="kJ/(m^2*d)"
            )
            epp = lookup(ctx.ecosystem, epp_by_code, name="epp", units="kJ/(m^2*d)")
            vegetation = transpiration_cooling_epp(
                epp=epp,
                hot_days=ctx.layer("hot_days"),
                cell_area_m2=area,
                energy_efficiency_ratio=r,
            )
            method = "MEE form E_pt = EPP·A·D/(3600·r), EPP from the table climate_epp"
        else:
            assert et_hot is not None
            vegetation = evapotranspiration_cooling(
                et_hot_days=et_hot,
                cell_area_m2=area,
                latent_heat_kj_per_kg=q,
                energy_efficiency_ratio=r,
            )
            method = "evapotranspiration form E_pt = ET_hot·10⁻³·A·ρ_w·q/(3600·r)"
        parts = [_part("vegetation", ctx.restrict(vegetation, veg_codes))]

        if options.water_ecosystems:
            assert et_hot is not None
            volume = evaporation_volume(et_hot_days=et_hot, cell_area_m2=area)
            cooling = evaporation_cooling(
                evaporation=volume,
                latent_heat_kj_per_kg=q,
                energy_efficiency_ratio=r if options.divide_water_cooling_by_eer else None,
            )
            parts.append(_part("water_cooling", ctx.restrict(cooling, water_codes)))
            water = "E_w·ρ_w·q/" + ("(3600·r)" if options.divide_water_cooling_by_eer else "3600")
            if options.humidifying:
                y = parameter_value(ctx, "humidifier_electricity", "kWh/m^3", allow_zero=True)
                humid = evaporation_humidifying(evaporation=volume, humidifier_kwh_per_m3=y)
                parts.append(_part("water_humidifying", ctx.restrict(humid, water_codes)))
                water += " + E_w·y"
            method += f"; water surfaces E_we = {water}"
        if uses_et:
            method += f"; ET_hot from {et_text}"

        notes = [
            "climate regulation often dominates GEP (catalogue §2.12); it is very sensitive to "
            "the hot days, the ET (or EPP) and the electricity price",
        ]
        if even_share:
            notes.append(
                "ET over the hot days assumes ET is spread evenly over the year, which "
                "understates summer ET; give the layer actual_et_hot_days when you can"
            )
        return ctx.result(
            self,
            options,
            method=f"{method} (catalogue §2.12)",
            parts=parts,
            components=self.components(ctx, options, [p.id for p in parts]),
            notes=notes,
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        return [
            Component(
                id="electricity",
                name_en="electricity of air conditioners and humidifiers replaced",
                name_zh="替代空调和加湿器耗电",
                quantity_unit="kWh",
                per_item=1.0,
                derivation="1 kWh of electricity per kWh of the item",
                price=ctx.price("electricity_price"),
            )
        ]


def _uses_et(options: ClimateRegulationOptions) -> bool:
    """Whether the options need evapotranspiration over the hot days."""
    return options.method == "evapotranspiration" or bool(options.water_ecosystems)


def _hot_days_et(
    ctx: ItemContext, options: ClimateRegulationOptions
) -> tuple[xr.DataArray, str, bool]:
    """ET over the hot days [mm], a description of where it comes from, and whether it is the
    even share of the annual ET."""
    use_layer = options.hot_days_et == "layer" or (
        options.hot_days_et == "auto" and "actual_et_hot_days" in ctx.layers
    )
    if use_layer:
        return ctx.layer("actual_et_hot_days"), "the layer actual_et_hot_days", False
    n = days_in_year(ctx.year)
    et_hot = hot_days_evapotranspiration(
        actual_et=ctx.layer("actual_et"), hot_days=ctx.layer("hot_days"), days_in_year=n
    )
    return et_hot, f"actual_et × hot_days / {n} (ET assumed spread evenly over the year, [K])", True


def _part(part_id: str, quantity: xr.DataArray) -> Part:
    name_en, name_zh = PARTS[part_id]
    return Part(id=part_id, name_en=name_en, name_zh=name_zh, quantity=quantity)


# --------------------------------------------------------------------------------------------
# Helpers shared with the other items of this family (pest control, negative ions)
# --------------------------------------------------------------------------------------------


def check_disjoint(
    ctx: ItemContext, first: Iterable[int], second: Iterable[int], *, field: str, what: str
) -> None:
    """Two ecosystem scopes of one item must not share a class (a pixel would count twice)."""
    classes = ctx.catalogue.classes
    first, second = list(first), list(second)
    shared = sorted(
        c for c in classes.classes if classes.within(c, first) and classes.within(c, second)
    )
    if shared:
        names = ", ".join(f"{c} ({classes.name(c)})" for c in shared)
        raise ConfigError(
            Problem(
                where="config",
                field=field,
                message=f"{what} overlap in {names}: those pixels would be counted twice",
                hint="list each ecosystem class in one of the two options only",
            )
        )


def parameter_value(
    ctx: ItemContext,
    key: str,
    units: str,
    *,
    allow_zero: bool = False,
    convert: Callable[[float, str], float] | None = None,
) -> float:
    """A parameter in ``units`` (or as ``convert(value, unit)`` gives it), checked to be positive
    (or ≥ 0) and finite."""
    record = ctx.parameter(key)
    value = convert(record.value, record.unit) if convert else record.value_in(units)
    ok = math.isfinite(value) and (value > 0 or (allow_zero and value == 0))
    if not ok:
        raise TableError(
            Problem(
                where=f"parameter {key} ({record.variant})",
                field="value",
                message=f"is {record.value:g} {record.unit}; it must be "
                f"{'≥ 0' if allow_zero else 'a positive number'}",
                hint=f"fix the value or choose another variant in [parameters] {key}",
            )
        )
    return value


def table_values(
    ctx: ItemContext,
    name: str,
    codes: set[int],
    *,
    item: str,
    units: str,
    convert: Callable[[float, str], float] | None = None,
) -> dict[int, float]:
    """``{code: value}`` of a per-ecosystem table's ``value`` column for ``codes``, in ``units``.

    Every code must have a row (checked by :meth:`ItemContext.table`, which also raises the clear
    error of a table that gepkit does not ship and the run does not configure), a finite value
    ≥ 0 and a unit convertible to ``units`` (or accepted by ``convert(value, unit)``).
    """
    table = ctx.table(name, codes, item)
    problems: list[Problem] = []
    out: dict[int, float] = {}
    for code in sorted(codes):
        raw = table.frame.at[code, "value"]
        unit_raw = table.frame.at[code, "unit"]
        unit = "" if pd.isna(unit_raw) else str(unit_raw).strip()
        value = float(pd.to_numeric(pd.Series([raw]), errors="coerce").iloc[0])
        where = str(table.path)
        if not math.isfinite(value) or value < 0:
            problems.append(
                Problem(
                    where=where,
                    field="value",
                    message=f"ecosystem {code} ({ctx.catalogue.classes.name(code)}): '{raw}' is "
                    f"not a number ≥ 0",
                    hint=f"{item} needs a value for every ecosystem class in its scope",
                )
            )
            continue
        if not unit:
            problems.append(
                Problem(
                    where=where,
                    field="unit",
                    message=f"ecosystem {code}: no unit given; expected one convertible to "
                    f"'{units}'",
                )
            )
            continue
        try:
            out[code] = convert(value, unit) if convert else u.convert_value(value, unit, units)
        except InputError:
            problems.append(
                Problem(
                    where=where,
                    field="unit",
                    message=f"ecosystem {code}: unit '{unit}' cannot be converted to '{units}'",
                    hint=f"write the values of {name} in '{units}' or a unit pint can convert",
                )
            )
    if problems:
        raise TableError(problems)
    return out
