"""Reading tabular files (CSV in UTF-8 or GBK/GB18030, XLSX) into pandas."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from gepkit.errors import InputError, Problem

#: Encodings tried in order.  UTF-8 with or without BOM first; GB18030 is a superset of GBK and
#: GB2312, the encodings Excel uses for CSV on Chinese Windows.
ENCODINGS = ("utf-8-sig", "gb18030")


def read_csv(path: Path, *, dtype: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a CSV file, detecting UTF-8 or GB18030; all problems raise :class:`InputError`."""
    if not path.is_file():
        raise InputError(
            Problem(
                where=str(path),
                message="file not found",
                hint="check the path (relative paths are resolved against the config file)",
            )
        )
    raw = path.read_bytes()
    text: str | None = None
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InputError(
            Problem(
                where=str(path),
                message="is neither UTF-8 nor GBK/GB18030 text",
                hint="save the table as 'CSV UTF-8' from Excel",
            )
        )
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=dtype, keep_default_na=True, comment=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(
            Problem(where=str(path), message=f"is not a readable CSV table ({err})")
        ) from err
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], where: str) -> list[Problem]:
    """Problems for every required column missing from ``frame``."""
    present = set(frame.columns)
    return [
        Problem(
            where=where,
            field=column,
            message=f"required column '{column}' is missing (columns found: {', '.join(frame.columns)})",
            hint=f"add a column named '{column}'",
        )
        for column in columns
        if column not in present
    ]
