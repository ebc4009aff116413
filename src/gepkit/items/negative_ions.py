"""Negative air ions (负氧离子, R12): LY/T 1721—2008, valued on the ions above 600 per cm³.

The quantity is every ion produced, G = 5.256 × 10¹⁵ · Q · A · H / L (see
gepkit.models.negative_ions for the constant), split into two parts that add up to G:

* ``above_threshold`` — 5.256 × 10¹⁵ · A · H · max(Q − Q₀, 0) / L, the ions that benefit health;
* ``below_threshold`` — 5.256 × 10¹⁵ · A · H · min(Q, Q₀) / L, the background the standard does
  not value;

and one component, the production cost K per ion, priced on ``above_threshold`` only, so that
V = K · 5.256 × 10¹⁵ · A · H · (Q − Q₀) / L pixel by pixel (0 where Q ≤ Q₀), exactly as the
standard writes it.  Q₀ = 600 ions/cm³ (parameter ``negative_ion_threshold``).

The concentration Q (table ``negative_ion_concentration``) and the canopy height H (table
``canopy_height``) by ecosystem class have no verified source, so gepkit ships no values: both
tables are required inputs (methods catalogue §2.13, method and price [K]).
"""

from __future__ import annotations

from collections.abc import Mapping

from gepkit import units as u
from gepkit.errors import Problem, UnitError
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part
from gepkit.items.climate_regulation import parameter_value, table_values
from gepkit.models.lookup import lookup
from gepkit.models.negative_ions import negative_ions_by_threshold

#: Spellings of a concentration gepkit accepts: ions per volume ('ion/cm^3') or a plain count
#: per volume ('1/cm^3', as LY/T 1721 writes 个/cm³).
CONCENTRATION_UNITS = ("ion/cm^3", "1/cm^3")


def per_cm3(value: float, unit: str) -> float:
    """A concentration in ions per cm³, from 'ion/cm^3', '1/cm^3', 'ion/m^3', '1/L' …"""
    for target in CONCENTRATION_UNITS:
        if u.convertible(unit, target):
            return u.convert_value(value, unit, target)
    raise UnitError(
        Problem(
            where="units",
            message=f"'{unit}' is not a concentration of ions; expected 'ion/cm^3' or '1/cm^3'",
        )
    )


class NegativeIonsOptions(ItemOptions):
    ecosystems: tuple[int, ...] = (1, 2, 3, 4)
    """Classes in scope: forest, shrub, grassland and wetland (the tables need a row for every
    class of these present in the region)."""


class NegativeIons(Item):
    id = "negative_ions"
    method = "lyt1721"
    Options = NegativeIonsOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []  # land cover and two per-ecosystem tables

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, NegativeIonsOptions)
        codes = ctx.scope_codes(options.ecosystems)
        q_by_code = table_values(
            ctx, "negative_ion_concentration", codes, item=self.id, units="1/cm^3", convert=per_cm3
        )
        h_by_code = table_values(ctx, "canopy_height", codes, item=self.id, units="m")
        lifetime = parameter_value(ctx, "negative_ion_lifetime", "min")
        threshold = parameter_value(
            ctx, "negative_ion_threshold", "1/cm^3", allow_zero=True, convert=per_cm3
        )
        above, below = negative_ions_by_threshold(
            concentration=lookup(ctx.ecosystem, q_by_code, name="concentration", units="1/cm^3"),
            canopy_height=lookup(ctx.ecosystem, h_by_code, name="canopy_height", units="m"),
            cell_area_ha=ctx.grid.cell_area_ha,
            lifetime_min=lifetime,
            threshold=threshold,
        )
        parts = [
            Part(
                "above_threshold",
                f"negative air ions above {threshold:g} per cm³",
                "有益负氧离子",
                ctx.restrict(above, codes),
            ),
            Part(
                "below_threshold",
                f"negative air ions up to {threshold:g} per cm³ (not valued)",
                "背景负氧离子（不计价）",
                ctx.restrict(below, codes),
            ),
        ]
        return ctx.result(
            self,
            options,
            method=f"LY/T 1721—2008 G = 5.256×10¹⁵·Q·A·H/L, L = {lifetime:g} min; valued on the "
            f"ions above {threshold:g} per cm³ (catalogue §2.13)",
            parts=parts,
            components=self.components(ctx, options, self.parts(options)),
            notes=[
                "negative-ion concentration and canopy height are user tables (no verified "
                "source for shipped values)"
            ],
        )

    def parts(self, options: ItemOptions) -> list[str]:
        return ["above_threshold", "below_threshold"]

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        threshold = parameter_value(
            ctx, "negative_ion_threshold", "1/cm^3", allow_zero=True, convert=per_cm3
        )
        return [
            Component(
                id="ion_production",
                name_en="negative air ions produced above the health threshold",
                name_zh="负氧离子生产费用",
                quantity_unit="ion",
                per_item=1.0,
                derivation=f"1 ion per ion above {threshold:g} per cm³ (LY/T 1721—2008: "
                f"V = K·5.256×10¹⁵·A·H·(Q − {threshold:g})/L)",
                price=ctx.price("negative_ion_cost"),
                part="above_threshold",
            )
        ]
