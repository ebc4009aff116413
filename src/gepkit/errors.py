"""One exception hierarchy for gepkit.

Input problems are collected and raised together, so that a user sees *all* of them at once:
which file, which field, what was expected and how to fix it.  The CLI turns an
:class:`InputError` into a readable list and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inputs, phrased for the person who has to fix it."""

    where: str
    """The file (or config section) the problem is in."""
    message: str
    """What is wrong and what was expected."""
    field: str | None = None
    """The field, column, layer or option concerned, if any."""
    hint: str | None = None
    """How to fix it."""

    def __str__(self) -> str:
        head = f"{self.where}" + (f" [{self.field}]" if self.field else "")
        text = f"{head}: {self.message}"
        if self.hint:
            text += f"\n    fix: {self.hint}"
        return text


class GepError(Exception):
    """Base class of every error gepkit raises on purpose."""


class InputError(GepError):
    """The user's inputs (config, files, tables) cannot be used as they are."""

    def __init__(self, problems: Iterable[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(where="input", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} found in the inputs:"]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, start=1)]
        return "\n".join(lines)


class ConfigError(InputError):
    """The run configuration (gep.toml) is invalid."""


class GridError(InputError):
    """A grid or a layer cannot be put on the accounting grid (CRS, units, coverage)."""


class UnitError(InputError):
    """A quantity carries the wrong or no physical unit."""


class TableError(InputError):
    """A parameter table, price book or statistics table is invalid or incomplete."""


class SpecError(GepError):
    """gepkit itself is inconsistent (a shipped table or a registry is wrong): a bug to report."""


class OutputError(GepError):
    """The output folder cannot be written (exists, not writable …)."""


class ProblemCollector:
    """Collects problems from many checks and raises them together.

    >>> problems = ProblemCollector()
    >>> with problems.section():
    ...     pass
    >>> problems.raise_if_any()
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, where: str, message: str, *, field: str | None = None, hint: str | None = None
    ) -> None:
        self.problems.append(Problem(where=where, message=message, field=field, hint=hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @contextmanager
    def section(self) -> Iterator[None]:
        """Run a block; an :class:`InputError` raised inside is recorded instead of propagated."""
        try:
            yield
        except InputError as err:
            self.problems.extend(err.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, cls: type[InputError] = InputError) -> None:
        if self.problems:
            raise cls(self.problems)


#: What a pydantic "extra_forbidden" error says unless the caller knows better.
UNKNOWN_SETTING = "is not a known setting (misspelt?)"


def validation_problem(
    where: str,
    error: Mapping[str, Any],
    *,
    hint: str | None,
    unknown: str = UNKNOWN_SETTING,
    skip_indices: bool = False,
) -> Problem:
    """A :class:`Problem` from one error of a pydantic ``ValidationError.errors()``: the
    setting's dotted path (``skip_indices``: without list positions), "required but missing",
    ``unknown`` for a setting that does not exist, else pydantic's message and the value given."""
    location = ".".join(
        str(part) for part in error["loc"] if not (skip_indices and isinstance(part, int))
    )
    kind = error["type"]
    if kind == "missing":
        message = "is required but missing"
    elif kind == "extra_forbidden":
        message = unknown
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        if "input" in error and not isinstance(error["input"], dict):
            message += f" (got {error['input']!r})"
    return Problem(where=where, field=location, message=message, hint=hint)
