"""Recreation and tourism (休闲旅游, C1): visits, valued by the travel-cost method.

    V = Σ_j N_j · TC_j ,   TC_j = T_j · W_j + C_j        (methods catalogue §2.14, MEE)

with N_j the visits from origin (or visitor type) j, T_j their mean travel time (days), W_j the
daily wage (the opportunity cost of time) and C_j the direct spending per visit (transport, food,
lodging, tickets), one row per origin of the ``tourism_origins`` sheet.  The physical quantity is
the number of visits.

Where no origin survey exists, ``method = "revenue"`` values visits at the tourism revenue
reported (sheet ``tourism``) × ``revenue_multiplier``: the Garzê 2010 travel-cost value was
3.0 × the tourism revenue (70.67 vs 23.56 亿元 [V*]); the multiplier must be chosen and
justified by the user (default 1: the revenue itself, a lower bound of the travel cost).

``ecosystem_share`` keeps the share of visits that go to natural sites, when the visits reported
also count visits to cultural and historical sites (catalogue §2.14).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from gepkit.errors import InputError, Problem
from gepkit.items.base import Component, Item, ItemContext, ItemOptions, ItemResult, Part


class RecreationOptions(ItemOptions):
    method: Literal["travel_cost", "revenue"] = "travel_cost"
    """``travel_cost``: Σ N_j·(T_j·W_j + C_j) over the visitor origins reported;
    ``revenue``: tourism revenue × ``revenue_multiplier``."""
    revenue_multiplier: float = Field(default=1.0, gt=0.0)
    """Method ``revenue`` only: travel cost per CNY of tourism revenue."""
    ecosystem_share: float = Field(default=1.0, gt=0.0, le=1.0)
    """Share of the visits (and their value) attributed to ecosystems."""


class Recreation(Item):
    id = "recreation"
    method = "travel_cost"
    Options = RecreationOptions

    def layers(self, options: ItemOptions, run_options: Mapping[str, ItemOptions]) -> list[str]:
        return []

    def parts(self, options: ItemOptions) -> list[str]:
        return ["visits"]

    def compute(self, ctx: ItemContext, options: ItemOptions) -> ItemResult:
        assert isinstance(options, RecreationOptions)
        notes: list[str] = []
        if options.method == "travel_cost":
            rows = self._origins(ctx)
            visits = rows.groupby("code")["visits"].sum()
            reported = ctx.book.values("tourism", "visits", ctx.year)
            for code, total in visits.items():
                given = reported.get(str(code))
                if given and abs(total - given) > 0.01 * given:
                    notes.append(
                        f"unit {code}: the visitor origins add up to {total:.6g} visits, the "
                        f"tourism sheet reports {given:.6g}; the origins are used"
                    )
            quantity = {str(c): float(v) for c, v in visits.items()}
            source = "tourism_origins.visits"
            method = "V = Σ_j N_j·(T_j·W_j + C_j) over the visitor origins (catalogue §2.14)"
        else:
            quantity = ctx.reported("tourism", "visits", needed_by=f"{self.id} (method revenue)")
            source = "tourism.visits"
            method = (
                f"V = tourism revenue × {options.revenue_multiplier:g} (travel cost per CNY of "
                f"revenue, user choice; catalogue §2.14)"
            )
        if options.ecosystem_share != 1.0:
            method += f", × ecosystem share {options.ecosystem_share:g}"
        part = Part(
            id="visits",
            name_en="visits",
            name_zh="游客人次",
            reported={c: v * options.ecosystem_share for c, v in quantity.items()},
            source=source
            + (f" × {options.ecosystem_share:g}" if options.ecosystem_share != 1.0 else ""),
        )
        return ctx.result(
            self,
            options,
            method=method,
            parts=[part],
            components=self.components(ctx, options, self.parts(options)),
            notes=notes,
        )

    def components(
        self, ctx: ItemContext, options: ItemOptions, parts: list[str]
    ) -> list[Component]:
        assert isinstance(options, RecreationOptions)
        if options.method == "travel_cost":
            rows = self._origins(ctx)
            cost = rows["visits"] * (rows["travel_days"] * rows["daily_wage"])
            cost = cost + rows["visits"] * rows["spending_per_visit"]
            by_unit = cost.groupby(rows["code"]).sum() / rows.groupby("code")["visits"].sum()
            prices = {str(c): float(v) for c, v in by_unit.items() if np.isfinite(v)}
            return [
                Component(
                    id="travel_cost",
                    name_en="travel cost per visit",
                    name_zh="旅行费用",
                    quantity_unit="visit",
                    per_item=1.0,
                    derivation="per unit: Σ_j N_j·(T_j·W_j + C_j) / Σ_j N_j over the visitor "
                    "origins",
                    price=None,
                    index="cpi_cn",
                    unit_prices=prices,
                    price_source="tourism_origins (travel_days × daily_wage + spending_per_visit)",
                    part="visits",
                )
            ]
        needed_by = f"{self.id} (method revenue)"
        revenue = ctx.reported("tourism", "revenue", needed_by=needed_by)
        visits = ctx.reported("tourism", "visits", needed_by=needed_by)
        missing = sorted(set(revenue) ^ set(visits))
        if missing:
            raise InputError(
                Problem(
                    where="statistics",
                    field="tourism",
                    message=f"{needed_by}: units {', '.join(missing[:10])} report only one of "
                    f"visits and revenue in {ctx.year}",
                    hint="report both for every unit (the value per visit is revenue ÷ visits)",
                )
            )
        prices = {
            code: revenue[code] * options.revenue_multiplier / visits[code]
            for code in revenue
            if visits[code] > 0
        }
        return [
            Component(
                id="travel_cost",
                name_en="travel cost per visit (from tourism revenue)",
                name_zh="旅行费用（按旅游收入）",
                quantity_unit="visit",
                per_item=1.0,
                derivation=f"per unit: tourism revenue × {options.revenue_multiplier:g} ÷ visits",
                price=None,
                index="cpi_cn",
                unit_prices=prices,
                price_source=f"tourism.revenue × {options.revenue_multiplier:g} ÷ tourism.visits",
                part="visits",
            )
        ]

    def _origins(self, ctx: ItemContext) -> pd.DataFrame:
        rows = ctx.reported_rows("tourism_origins", needed_by=f"{self.id} (method travel_cost)")
        rows = rows.copy()
        rows["code"] = rows["code"].astype(str)
        for column in ("visits", "travel_days", "daily_wage", "spending_per_visit"):
            rows[column] = pd.to_numeric(rows[column], errors="coerce")
        incomplete = rows[
            rows[["visits", "travel_days", "daily_wage", "spending_per_visit"]].isna().any(axis=1)
        ]
        if len(incomplete):
            shown = ", ".join(
                f"{c}/{o}" for c, o in zip(incomplete["code"], incomplete["origin"], strict=True)
            )
            raise InputError(
                Problem(
                    where="statistics",
                    field="tourism_origins",
                    message=f"rows {shown} lack visits, travel days, daily wage or spending for "
                    f"{ctx.year}",
                    hint="fill every column of each origin row (write 0 where a cost is nil)",
                )
            )
        return rows
