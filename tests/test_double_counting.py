"""The double-counting review of a run's items (methods catalogue §3.2)."""

from __future__ import annotations

from gepkit.double_counting import review
from gepkit.items import IMPLEMENTED


def _options(**raw: dict) -> dict:
    return {item_id: IMPLEMENTED[item_id].options(value) for item_id, value in raw.items()}


def _by_rule(findings):
    return {f.rule: f for f in findings}


def test_water_supply_with_water_conservation_is_a_note():
    findings = _by_rule(
        review(
            _options(water_conservation={}, water_supply={}),
            imports_reported=False,
            deduct_imports=False,
        )
    )
    assert findings["water_conservation_and_supply"].status == "note"
    assert "Garzê" in findings["water_conservation_and_supply"].basis


def test_oxygen_on_npp_with_carbon_on_nep_is_a_warning():
    findings = _by_rule(
        review(
            _options(carbon_sequestration={"method": "nep"}, oxygen_release={"basis": "npp"}),
            imports_reported=False,
            deduct_imports=False,
        )
    )
    assert findings["carbon_oxygen_basis"].status == "warning"
    consistent = _by_rule(
        review(
            _options(carbon_sequestration={}, oxygen_release={"basis": "carbon"}),
            imports_reported=False,
            deduct_imports=False,
        )
    )
    assert consistent["carbon_oxygen_basis"].status == "note"


def test_tourism_revenue_with_provisioning_is_a_warning_travel_cost_a_note():
    revenue = _by_rule(
        review(
            _options(recreation={"method": "revenue"}, agricultural_products={}),
            imports_reported=False,
            deduct_imports=False,
        )
    )
    assert revenue["tourism_and_provisioning"].status == "warning"
    assert revenue["tourism_and_provisioning"].items == ("recreation", "agricultural_products")
    travel = _by_rule(
        review(
            _options(recreation={}, fishery_products={}),
            imports_reported=False,
            deduct_imports=False,
        )
    )
    assert travel["tourism_and_provisioning"].status == "note"


def test_imports_reported_but_not_deducted_is_a_warning():
    findings = _by_rule(review({}, imports_reported=True, deduct_imports=False))
    assert findings["imported_products"].status == "warning"
    assert "deduct_imports = true" in findings["imported_products"].message
    assert _by_rule(review({}, imports_reported=True, deduct_imports=True))[
        "imported_products"
    ].status == ("ok")
    assert "imported_products" not in _by_rule(
        review({}, imports_reported=False, deduct_imports=False)
    )


def test_rules_that_do_not_apply_are_absent_and_design_rules_always_listed():
    findings = _by_rule(
        review(_options(soil_retention={}), imports_reported=False, deduct_imports=False)
    )
    assert set(findings) == {"one_unit_per_pixel"}


def test_water_supply_with_hydropower_is_a_note_about_through_flow():
    findings = _by_rule(
        review(
            _options(water_supply={}, ecological_energy={}),
            imports_reported=False,
            deduct_imports=False,
        )
    )
    assert findings["water_supply_and_hydropower"].status == "note"
    assert "through-flow" in findings["water_supply_and_hydropower"].message


def test_supplied_purification_is_not_capped_and_says_so():
    items = _options(air_purification={})
    computed = _by_rule(review(items, imports_reported=False, deduct_imports=False))
    assert computed["purification_capped"].status == "ok"
    supplied = _by_rule(
        review(
            items,
            imports_reported=False,
            deduct_imports=False,
            supplied=frozenset({"air_purification"}),
        )
    )
    assert supplied["purification_capped"].status == "note"
    assert "not cap" in supplied["purification_capped"].message
