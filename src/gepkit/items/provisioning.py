"""Provisioning of farm, forest, livestock, fishery and other products (物质供给, P1–P4, P7).

Valued at market value, V = Σᵢ Eᵢ·Pᵢ (methods catalogue §2.2), from the statistics reported per
unit (sheet ``farm_output`` or ``products`` of the statistics workbook):

* ``basis = "gross_output"`` (default; most accounts): the yearbook's gross output value
  (农林牧渔业总产值) of the sector;
* ``net_output`` (the Garzê 2010 account) or ``value_added``: the sector's net output value or
  value added, which leave out intermediate inputs;
* ``products``: Σ quantity × unit price over the rows of the ``products`` sheet that name this
  item (each product is a part of the item).

The gross value includes labour and capital inputs, so it is not a pure ecosystem contribution;
``ecosystem_contribution_share`` (default 1) scales the value when an account wants the
ecosystem's share only (SEEA EA resource rent; catalogue §2.2 decision point).  The quantity in
the accounts is the value of the output at the prices of the accounting year (CNY): the
constant-price value deflates it with the producer price index of farm products (``ppi_farm_cn``;
override with ``[valuation] indices.output_value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from gepkit.errors import InputError, Problem
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part

Basis = Literal["gross_output", "net_output", "value_added", "products"]

_FIELD_SUFFIX = {"gross_output": "output", "net_output": "net_output", "value_added": "value_added"}


class ProvisioningOptions(ItemOptions):
    basis: Basis = "gross_output"
    """What measures the output: ``gross_output`` (总产值), ``net_output`` (净产值, Garzê),
    ``value_added`` (增加值) or ``products`` (Σ quantity × unit price from the products sheet)."""
    ecosystem_contribution_share: float = Field(default=1.0, gt=0.0, le=1.0)
    """Share of the output value attributed to the ecosystem (1: the whole value, as the Chinese
    accounts do)."""


class ProvisioningItem(Item):
    """An item valued from a sector's output reported per unit."""

    method = "market_value"
    Options = ProvisioningOptions
    sector: ClassVar[str]
    """Field prefix in the ``farm_output`` domain (``agriculture`` → ``agriculture_output``)."""
    sector_zh: ClassVar[str]
    ecosystem: ClassVar[int | None]
    """Ecosystem class the sector's output comes from (for the by-ecosystem table)."""
    bases: ClassVar[tuple[str, ...]] = ("gross_output", "net_output", "value_added", "products")

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []

    def field(self, basis: str) -> str:
        return f"{self.sector}_{_FIELD_SUFFIX[basis]}"

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, ProvisioningOptions)
        if options.basis not in self.bases:
            raise InputError(
                Problem(
                    where="config",
                    field=f"options.{self.id}.basis",
                    message=f"'{options.basis}' is not available for {self.id}",
                    hint=f"choose one of {', '.join(self.bases)}",
                )
            )
        needed_by = f"{self.id} (basis '{options.basis}')"
        if options.basis == "products":
            parts = product_parts(ctx, self.id, needed_by, self.ecosystem)
            method = "Σ quantity × unit price of the products reported (catalogue §2.2)"
        else:
            field_id = self.field(options.basis)
            values = ctx.reported("farm_output", field_id, needed_by=needed_by)
            info = self.info
            parts = [
                Part(
                    id=self.id,
                    name_en=info.name_en,
                    name_zh=info.name_zh,
                    reported=values,
                    ecosystem=self.ecosystem,
                    source=f"farm_output.{field_id}",
                )
            ]
            method = (
                f"{self.sector_zh}{_BASIS_ZH[options.basis]} (farm_output.{field_id}) as reported "
                f"(catalogue §2.2)"
            )
        share = options.ecosystem_contribution_share
        if share != 1.0:
            method += f", × ecosystem contribution share {share:g}"
        return ctx.result(
            self,
            options,
            method=method,
            parts=parts,
            components=self.components(ctx, options, [p.id for p in parts]),
            notes=_notes(options),
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        assert isinstance(options, ProvisioningOptions)
        share = options.ecosystem_contribution_share
        return [
            Component(
                id="output_value",
                name_en=f"{self.info.name_en}: output value",
                name_zh=f"{self.info.name_zh}产值",
                quantity_unit="CNY",
                per_item=share,
                derivation="the output value itself"
                if share == 1.0
                else f"ecosystem contribution share {share:g} of the output value",
                price=None,
                value_of_year=True,
                index="ppi_farm_cn",
                price_source="the output value reported (farm_output or products sheet)",
            )
        ]


_BASIS_ZH = {"gross_output": "总产值", "net_output": "净产值", "value_added": "增加值"}


def _notes(options: ProvisioningOptions) -> list[str]:
    if options.basis == "gross_output":
        return [
            "gross output value includes intermediate inputs (feed, fertiliser, labour): it is "
            "not a pure ecosystem contribution (catalogue §2.2)"
        ]
    return []


def product_parts(
    ctx: ItemContext, item_id: str, needed_by: str, ecosystem: int | None
) -> list[Part]:
    """One part per product of the ``products`` sheet that names ``item_id``: quantity × unit
    price per unit (CNY)."""
    rows = ctx.reported_rows("products", needed_by=needed_by)
    rows = rows[rows["item"].astype(str).str.strip() == item_id]
    if rows.empty:
        raise InputError(
            Problem(
                where="statistics",
                field="products.item",
                message=f"{needed_by}: no row of the products sheet names '{item_id}' for "
                f"{ctx.year}",
                hint=f"write '{item_id}' in the item column of its products, or choose another "
                f"basis",
            )
        )
    problems: list[Problem] = []
    parts = []
    for product, group in rows.groupby("product", sort=True):
        units = sorted(set(group["quantity_unit"].astype(str).str.strip()))
        if len(units) > 1:
            problems.append(
                Problem(
                    where="statistics",
                    field="products.quantity_unit",
                    message=f"product '{product}' of {item_id} is reported in several units "
                    f"({', '.join(units)}) in {ctx.year}",
                    hint="report every unit's quantity in the same unit",
                )
            )
        value = (group["quantity"].astype(float) * group["unit_price"].astype(float)).groupby(
            group["code"].astype(str)
        )
        reported = {str(c): float(v) for c, v in value.sum(min_count=1).items() if pd.notna(v)}
        parts.append(
            Part(
                id=str(product),
                name_en=str(product),
                name_zh=str(product),
                reported=reported,
                ecosystem=ecosystem,
                source=f"products: {product} ({units[0]}) × unit price",
            )
        )
    if problems:
        raise InputError(problems)
    return parts


class AgriculturalProducts(ProvisioningItem):
    id = "agricultural_products"
    sector = "agriculture"
    sector_zh = "农业"
    ecosystem = 5  # farmland


class ForestryProducts(ProvisioningItem):
    id = "forestry_products"
    sector = "forestry"
    sector_zh = "林业"
    ecosystem = 1  # forest


class LivestockProducts(ProvisioningItem):
    id = "livestock_products"
    sector = "livestock"
    sector_zh = "牧业"
    # Jiangxi's animal husbandry is mostly pig and poultry farming on feed, not grazing: the
    # output is not attributed to one ecosystem type.
    ecosystem = None


class FisheryProducts(ProvisioningItem):
    id = "fishery_products"
    sector = "fishery"
    sector_zh = "渔业"
    ecosystem = 4  # wetland (rivers, lakes, ponds)


class OtherProducts(ProvisioningItem):
    """Seedlings and flowers, medicinal herbs, ornamental resources (P7)."""

    id = "other_products"
    sector = "other"
    sector_zh = "其他生态产品"
    ecosystem = None
    bases = ("gross_output", "products")
