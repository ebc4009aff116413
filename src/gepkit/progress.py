"""Stage reporting: the pipeline announces its stages; the CLI shows them with rich.

The library never prints.  It calls a :class:`Reporter` (by default one that does nothing) and
records the wall time of every stage for the manifest.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Reporter(Protocol):
    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, stage: str, steps: int = 1) -> None: ...
    def finish(self, stage: str) -> None: ...
    def warn(self, message: str) -> None: ...


class SilentReporter:
    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, stage: str, steps: int = 1) -> None:
        pass

    def finish(self, stage: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


class Stages:
    """Times the stages of a run and forwards them to a reporter."""

    def __init__(self, reporter: Reporter | None = None):
        self.reporter: Reporter = reporter or SilentReporter()
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[None]:
        self.reporter.start(name, total)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
            self.reporter.finish(name)

    def advance(self, name: str, steps: int = 1) -> None:
        self.reporter.advance(name, steps)
