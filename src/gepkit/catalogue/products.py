"""Presets for standard climate and vegetation products (``[inputs.<layer>] product = "…"``).

A preset fills in how a product encodes its values: the raw data type, scale factor and offset
(value = raw × scale + offset), the unit of the scaled values, the valid range and fill values
of the raw values (anything outside the range or equal to a fill value is missing), the time
step of one band, and the CRS to assume when a file carries none.  The presets, with the source
of every figure and what could not be verified, are the table ``data/products.csv``; they are
documented in docs/products.md.

``scale`` and ``offset`` may be ``file``: the product is distributed as netCDF whose packing
(``scale_factor``, ``add_offset``) varies by file, so the file's own packing is applied.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gepkit.errors import Problem, TableError

PRODUCTS_CSV = Path(__file__).parent / "data" / "products.csv"

#: CRS names usable in the table's ``crs`` column.
NAMED_CRS = {
    # MODIS land tiles: sinusoidal on a sphere of radius 6 371 007.181 m (the ProjParams of the
    # MODIS HDF-EOS grid structure).
    "modis_sinusoidal": "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs",
}


@dataclass(frozen=True)
class Preset:
    product: str
    variable: str
    layers: tuple[str, ...]
    dtypes: tuple[str, ...]
    """Raw data types the product is stored in (empty: any)."""
    scale: float | None
    """Scale factor; ``None``: the file's own packing (netCDF scale_factor)."""
    offset: float | None
    units: str
    """Unit of one band's scaled values (a rate such as ``m/day`` is multiplied by the band's
    length)."""
    valid_range: tuple[float | None, float | None] | None
    fill_values: tuple[float, ...]
    step: str
    crs: str | None
    confidence: str
    source: str
    verified: str
    not_verified: str

    def describe(self) -> dict[str, object]:
        return {
            "product": self.product,
            "variable": self.variable,
            "dtypes": list(self.dtypes),
            "scale": "file" if self.scale is None else self.scale,
            "offset": "file" if self.offset is None else self.offset,
            "units": self.units,
            "valid_range": list(self.valid_range) if self.valid_range else None,
            "fill_values": list(self.fill_values),
            "step": self.step,
            "confidence": self.confidence,
            "source": self.source,
            "not_verified": self.not_verified,
        }


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _fills(text: str) -> tuple[float, ...]:
    out: list[float] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        if ".." in part:
            first, last = (int(v) for v in part.split(".."))
            out.extend(float(v) for v in range(first, last + 1))
        else:
            out.append(float(part))
    return tuple(out)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


@lru_cache(maxsize=4)
def load_presets(path: Path = PRODUCTS_CSV) -> dict[str, Preset]:
    """The preset table, keyed by product name."""
    presets: dict[str, Preset] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                low, high = _number(row["valid_min"]), _number(row["valid_max"])
                crs = row["crs"].strip() or None
                preset = Preset(
                    product=row["product"].strip(),
                    variable=row["variable"].strip(),
                    layers=_split(row["layers"]),
                    dtypes=_split(row["dtype"]),
                    scale=None if row["scale"].strip() == "file" else float(row["scale"]),
                    offset=None if row["offset"].strip() == "file" else float(row["offset"]),
                    units=row["units"].strip(),
                    valid_range=(low, high) if low is not None or high is not None else None,
                    fill_values=_fills(row["fill_values"]),
                    step=row["step"].strip(),
                    crs=NAMED_CRS.get(crs, crs) if crs else None,
                    confidence=row["confidence"].strip(),
                    source=row["source"].strip(),
                    verified=row["verified"].strip(),
                    not_verified=row["not_verified"].strip(),
                )
            except (KeyError, ValueError) as err:
                raise TableError(
                    Problem(where=str(path), field=f"line {line}", message=f"bad row: {err}")
                ) from err
            presets[preset.product] = preset
    return presets


def preset(name: str) -> Preset | None:
    """The preset of a product, matched without regard to case; ``None`` when unknown."""
    presets = load_presets()
    if name in presets:
        return presets[name]
    folded = {key.casefold(): p for key, p in presets.items()}
    return folded.get(name.strip().casefold())


def presets_for(layer: str) -> list[str]:
    """Names of the presets usable for ``layer``."""
    return [name for name, p in load_presets().items() if layer in p.layers]
