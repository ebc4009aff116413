"""Land-cover products gepkit ships crosswalks for (docs/landcover.md).

Each shipped crosswalk ``catalogue/data/crosswalks/<name>.csv`` maps a product's codes to the
national ecosystem classification (HJ 1172—2021) and marks its fill values
(``ecosystem_code = nodata``); ``catalogue/data/landcover_schemes.csv`` describes the product
(resolution, years, file encoding, citation).  :func:`shipped_crosswalks` joins the two for
listings such as a future ``gep inspect``; :func:`schemes_fitting` names the shipped schemes
whose codes include every code of a raster, to help when a file was read with the wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gepkit.catalogue.tables import Crosswalk, EcosystemClasses, _clean, shipped_table
from gepkit.errors import Problem, TableError
from gepkit.io.tables import read_csv, require_columns

SCHEMES_TABLE = "landcover_schemes.csv"
SCHEME_COLUMNS = ["name", "product", "resolution", "years", "encoding", "source", "url"]


@dataclass(frozen=True)
class LandcoverScheme:
    """A land-cover product with a shipped crosswalk: ``[inputs.landcover] crosswalk = name``."""

    name: str
    product: str
    resolution: str
    years: str
    encoding: str
    """How the files are distributed: data type, CRS, tiling and no-data convention."""
    source: str
    url: str
    codes: tuple[int, ...]
    """Codes mapped to an ecosystem class."""
    nodata: tuple[int, ...]
    """Codes the crosswalk reads as no data (fill values)."""
    flagged: tuple[int, ...]
    """Codes whose mapping is a judgement call ([K]) or otherwise to be confirmed."""
    crosswalk: Crosswalk

    @property
    def path(self) -> Path:
        return self.crosswalk.path

    def describe(self) -> dict[str, object]:
        """A plain dictionary (for JSON or a table)."""
        return {
            "name": self.name,
            "product": self.product,
            "resolution": self.resolution,
            "years": self.years,
            "encoding": self.encoding,
            "codes": list(self.codes),
            "nodata": list(self.nodata),
            "judgement_calls": list(self.flagged),
            "source": self.source,
            "url": self.url,
            "path": str(self.path),
            "sha256": self.crosswalk.sha256,
        }


def shipped_crosswalk_names() -> list[str]:
    """Names of the crosswalk files shipped in ``catalogue/data/crosswalks``."""
    folder = shipped_table("crosswalks")
    return sorted(p.stem for p in folder.glob("*.csv"))


def shipped_crosswalks(classes: EcosystemClasses | None = None) -> list[LandcoverScheme]:
    """Every shipped land-cover scheme, with its product description and loaded crosswalk.

    ``classes`` validates the crosswalks' targets (default: the shipped classification)."""
    classes = classes or EcosystemClasses.load()
    path = shipped_table(SCHEMES_TABLE)
    frame = read_csv(path)
    problems = require_columns(frame, SCHEME_COLUMNS, str(path))
    if problems:
        raise TableError(problems)
    described = {_clean(row["name"]): row for _, row in frame.iterrows()}
    files = shipped_crosswalk_names()
    missing = sorted(set(files) ^ set(described))
    if missing:
        raise TableError(
            Problem(
                where=str(path),
                message=f"crosswalk(s) {', '.join(missing)} are not both described here and "
                "shipped in crosswalks/",
            )
        )
    schemes = []
    for name in files:
        row = described[name]
        crosswalk = Crosswalk.load(name, classes)
        schemes.append(
            LandcoverScheme(
                name=name,
                product=_clean(row["product"]),
                resolution=_clean(row["resolution"]),
                years=_clean(row["years"]),
                encoding=_clean(row["encoding"]),
                source=_clean(row["source"]),
                url=_clean(row["url"]),
                codes=tuple(sorted(crosswalk.mapping)),
                nodata=tuple(sorted(crosswalk.nodata)),
                flagged=tuple(r.source_code for r in crosswalk.flagged_rows(crosswalk.mapping)),
                crosswalk=crosswalk,
            )
        )
    return schemes


def schemes_fitting(codes: Iterable[int], *, exclude: str | None = None) -> list[str]:
    """Names of the shipped schemes that know every one of ``codes`` (mapped or fill value).

    Several products share codes (CLCD's 1–9 are also IGBP and GB/T 21010 level-1 codes;
    WorldCover and GlobeLand30 both use 10–100), so a fit is a hint, never a proof."""
    present = set(codes)
    if not present:
        return []
    return [
        scheme.name
        for scheme in shipped_crosswalks()
        if scheme.name != exclude and present <= scheme.crosswalk.codes
    ]


__all__ = [
    "LandcoverScheme",
    "schemes_fitting",
    "shipped_crosswalk_names",
    "shipped_crosswalks",
]
