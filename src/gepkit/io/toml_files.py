"""Reading the TOML settings files (gep.toml, allocation rules, assessment schemes, value-area
settings): a missing file, a file that is not UTF-8 and invalid TOML are reported the same way
for all of them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from gepkit.errors import InputError, Problem


def read_toml(
    path: Path,
    *,
    missing: str,
    missing_hint: str,
    error: type[InputError] = InputError,
) -> dict[str, Any]:
    """The parsed content of ``path``; raises ``error`` naming the file (``missing``:
    the message when there is no such file, ``missing_hint``: how to fix that)."""
    where = str(path)
    if not path.is_file():
        raise error(Problem(where=where, message=missing, hint=missing_hint))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise error(
            Problem(where=where, message="is not UTF-8 text", hint="save the file as UTF-8")
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise error(Problem(where=where, message=f"is not valid TOML: {err}")) from err
