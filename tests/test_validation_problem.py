"""Problems from pydantic validation errors (gepkit.errors.validation_problem)."""

from __future__ import annotations

import pydantic
import pytest

from gepkit.errors import UNKNOWN_SETTING, validation_problem


class Rule(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    share: float

    @pydantic.field_validator("share")
    @classmethod
    def at_most_one(cls, value: float) -> float:
        if value > 1:
            raise ValueError("must be at most 1")
        return value


class Rules(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str
    rules: list[Rule]


def _problems(data: dict, **options):  # type: ignore[no-untyped-def]
    with pytest.raises(pydantic.ValidationError) as caught:
        Rules.model_validate(data)
    return {
        p.field: p.message
        for p in (
            validation_problem("rules.toml", e, hint="see the docs", **options)
            for e in caught.value.errors()
        )
    }


def test_missing_unknown_and_invalid_settings_in_plain_words():
    data = {"rules": [{"share": 0.5}, {"share": 2.0, "sahre": 1}]}
    assert _problems(data) == {
        "name": "is required but missing",
        "rules.1.share": "must be at most 1 (got 2.0)",  # no "Value error, " prefix
        "rules.1.sahre": UNKNOWN_SETTING,
    }
    assert _problems(data, skip_indices=True, unknown="unknown here") == {
        "name": "is required but missing",
        "rules.share": "must be at most 1 (got 2.0)",
        "rules.sahre": "unknown here",
    }
    problem = validation_problem("f", {"loc": ("a",), "type": "missing", "msg": ""}, hint="h")
    assert (problem.where, problem.hint) == ("f", "h")
