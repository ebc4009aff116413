"""Double-counting review of a run's item list (methods catalogue §3.2).

GEP adds final ecosystem products only once.  Several pairs of items overlap by construction;
the standards keep some pairs and warn about others.  This module checks the run's items and
options against each rule and returns one finding per rule: ``ok`` (the rule is met or does not
apply), ``note`` (the pair is counted as the standards do, with an overlap the reader should
know about) or ``warning`` (a choice likely to count something twice).  Every finding goes into
the manifest; warnings are also printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from gepkit.items import ItemOptions

Status = Literal["ok", "note", "warning"]

PROVISIONING = (
    "agricultural_products",
    "forestry_products",
    "livestock_products",
    "fishery_products",
    "other_products",
)


@dataclass(frozen=True)
class Finding:
    rule: str
    items: tuple[str, ...]
    status: Status
    message: str
    basis: str
    """Where the rule comes from (catalogue section and tag)."""

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def review(
    items: Mapping[str, ItemOptions],
    *,
    imports_reported: bool,
    deduct_imports: bool,
    supplied: frozenset[str] = frozenset(),
) -> list[Finding]:
    """The findings for a run computing ``items`` (id → resolved options); ``supplied``: items
    whose quantities are supplied in some year instead of computed."""
    has = items.__contains__
    findings: list[Finding] = []

    def add(rule: str, involved: tuple[str, ...], status: Status, message: str, basis: str) -> None:
        findings.append(Finding(rule, involved, status, message, basis))

    pair = ("water_conservation", "water_supply")
    if all(map(has, pair)):
        add(
            "water_conservation_and_supply",
            pair,
            "note",
            "the water supplied is drawn from the water conserved; both are counted (as in the "
            "Garzê account): water supply values the abstraction service at its tariff, water "
            "conservation the storage capacity. Some systems drop water supply",
            "catalogue §3.2 [K]; Garzê 2010 counts both [V]",
        )
    pair = ("water_supply", "ecological_energy")
    if all(map(has, pair)):
        add(
            "water_supply_and_hydropower",
            pair,
            "note",
            "water passing hydropower turbines is not water use: the water supply must exclude "
            "hydropower through-flow, which the electricity already values (the Garzê 2010 "
            "account's 150.17 亿 m³ of industrial water, 1.58 m³ per kWh of its hydropower, "
            "looks like through-flow)",
            "catalogue §3.2 (reservoir uses) [K]; Garzê 2010 Table 3 [V]",
        )
    pair = ("carbon_sequestration", "oxygen_release")
    if all(map(has, pair)):
        oxygen = items["oxygen_release"]
        carbon = items["carbon_sequestration"]
        oxygen_basis = getattr(oxygen, "basis", "carbon")
        carbon_method = getattr(carbon, "method", "")
        if oxygen_basis == "npp" and carbon_method != "npp":
            add(
                "carbon_oxygen_basis",
                pair,
                "warning",
                f"oxygen release is on an NPP basis while carbon sequestration uses "
                f"'{carbon_method}': the two photosynthesis items stand on different physical "
                f"bases; set [options.oxygen_release] basis = 'carbon' to keep them consistent",
                "catalogue §3.2 [V*]/[K]",
            )
        else:
            add(
                "carbon_oxygen_basis",
                pair,
                "note",
                "both stem from photosynthesis and share one physical basis; oxygen release is "
                "not in SEEA and is believed absent from the national 规范 (consider dropping it "
                "for comparisons)",
                "catalogue §3.2 [V*]/[K]",
            )
    provisioning = tuple(i for i in PROVISIONING if has(i))
    if has("recreation") and provisioning:
        recreation = items["recreation"]
        status: Status = "warning" if getattr(recreation, "method", "") == "revenue" else "note"
        add(
            "tourism_and_provisioning",
            ("recreation", *provisioning),
            status,
            "tourism revenue includes food and products sold to visitors that provisioning "
            "already counts; "
            + (
                "with method 'revenue' the overlap is in the value: prefer the travel-cost "
                "method or lower ecosystem_share"
                if status == "warning"
                else "the travel cost counts visitors' spending: make sure farm products sold "
                "to them are not also in the spending"
            ),
            "catalogue §3.2 [K]",
        )
    pair = ("recreation", "landscape_value")
    if all(map(has, pair)):
        add(
            "tourism_and_landscape",
            pair,
            "note",
            "different beneficiaries (visitors vs residents); residents' local park visits "
            "should not be counted at full travel cost",
            "catalogue §3.2 [K]",
        )
    if has("flood_regulation"):
        add(
            "reservoir_flood_share",
            ("flood_regulation",),
            "ok",
            "only the flood-control capacity of reservoirs (防洪库容, or the flood share of the "
            "total) counts, not the storage used for supply or power",
            "catalogue §3.2 [V]",
        )
    purification = tuple(i for i in ("air_purification", "water_purification") if has(i))
    unchecked = tuple(i for i in purification if i in supplied)
    if unchecked:
        add(
            "purification_capped",
            unchecked,
            "note",
            "purified amounts are supplied, not computed: gepkit does not cap them at the "
            "emissions; check that they do not exceed the emissions (or loads) of each unit",
            "catalogue §3.2 [K] rule, Garzê practice [V]",
        )
    elif purification:
        add(
            "purification_capped",
            purification,
            "ok",
            "purified amounts are capped at (or equal to) the emissions reported per unit",
            "catalogue §3.2 [K] rule, Garzê practice [V]",
        )
    add(
        "one_unit_per_pixel",
        (),
        "ok",
        "every pixel belongs to at most one unit, and parents are the sums of their children",
        "catalogue §3.2 design rule",
    )
    if imports_reported and not deduct_imports:
        add(
            "imported_products",
            (),
            "warning",
            "products from outside the region are reported (sheet imports) but not deducted; "
            "GB/T 46869—2025 deducts them: set [valuation] deduct_imports = true",
            "catalogue §3.1, §3.2 [V]",
        )
    elif deduct_imports:
        add(
            "imported_products",
            (),
            "ok",
            "the value of products from outside each unit is deducted from its GEP",
            "GB/T 46869—2025 [V]",
        )
    return findings
