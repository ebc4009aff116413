"""Build the Jiangxi demo region shipped in src/gepkit/data/demo/jiangxi/ from data-raw/jiangxi/.

Real data are copied or reshaped (boundaries → one units file; census → a population table;
published GDP → a GDP table).  Layers that could not be obtained (precipitation, temperature,
actual ET, NPP, rainfall erosivity, soil erodibility, hot days) are made here as *demo fields*:
smooth, deterministic surfaces on the 0.05° grid of the MODIS land cover, shaped by the real
terrain, latitude, longitude, land cover and NDVI and scaled to published provincial magnitudes.
Every number used for that is a named constant below with its source and confidence tag.  The
fields are labelled DEMO in their file names, GeoTIFF tags, the config and every output.

Run from the repository root:  python scripts/make_jiangxi_demo.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import reproject

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data-raw" / "jiangxi"
OUT = ROOT / "src" / "gepkit" / "data" / "demo" / "jiangxi"
#: Accounting years of the demo.  2019–2020 because tourism levels are published for both (2020
#: with its share of 2019, jiangxi-facts T3 [S]) and not for 2021.
YEARS = (2019, 2020)
DEMO_TAG = "DEMO FIELD: illustrative, made by scripts/make_jiangxi_demo.py; not a measurement"

# -- published magnitudes (jiangxi-facts.md; tags as there) ---------------------------------------
PRECIP_MEAN_MM = 1675.0  # annual precipitation, long-term provincial mean, C1 [S]
PRECIP_RANGE_MM = (1341.0, 1943.0)  # range across the province, C1/C2 [S]
# Monthly shares (%): fixed so that Jan–Jun = 66.0 % (normal 1106.4 mm, C3 [S]) and Jun–Aug =
# 34.4 % (normal 576.1 mm, C4 [S]); the split within those periods is a demo choice [D].
PRECIP_MONTHLY_SHARE = (
    np.array([4.0, 5.5, 9.5, 12.5, 15.0, 19.5, 8.2, 6.7, 5.3, 4.6, 5.0, 4.2]) / 100
)
TEMP_MEAN_C = 18.0  # annual mean temperature, C1 [S, weak]
# Monthly normals (°C): January 6.1 and July 28.8 from C1 [S, weak]; summer mean 27.67 vs the
# normal 27.6 of C4 [S]; the other months are a smooth interpolation [D].
TEMP_MONTHLY_C = np.array([6.1, 8.2, 12.2, 18.0, 22.6, 25.9, 28.8, 28.3, 25.0, 19.6, 13.6, 8.1])
TEMP_LAT_GRADIENT = (
    0.5  # °C warmer per degree further south; gives 16.3–19.5 with the lapse rate [D]
)
LAPSE_RATE = 0.006  # °C per m of elevation, standard atmosphere [K]
# Actual ET: long-term precipitation 1640 mm [K] minus total water resources 1565 亿 m³ [K] over
# 166,900 km² (E24 [S]) gives ≈ 702 mm of evapotranspiration [D].
ET_MEAN_MM = 1640.0 - 1565e8 / 166_900e6 * 1e3
NPP_MEAN_GC = 639.3  # mean MODIS NPP of southern China 2000–2011, gC/m²/a, G2 [S]
R_MEAN = (
    8500.0  # rainfall erosivity, MJ·mm/(hm²·h·a): order of magnitude in the red-soil region [K]
)
R_EXPONENT = 1.6  # erosivity grows faster than rainfall (annual models use 1.5–1.7) [K]
K_MEAN = 0.030  # soil erodibility of red soils, t·hm²·h/(hm²·MJ·mm) [K]
HOT_DAY_TMAX_C = 26.0  # air conditioning on days with a maximum above 26 °C (catalogue §2.12) [K]
DIURNAL_HALF_RANGE_C = 5.0  # mean daily maximum ≈ mean + 5 °C in Jiangxi [K]
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])  # a normal year
# No annual climate values were found for 2019–2024 (jiangxi-facts §4 "not found"): both demo
# years use the same normal-year climate fields.  NPP changes between the years along the
# published trend of Jiangxi's annual NPP, +2.6 gC m⁻² a⁻¹ over 2000–2023 (G1 [V]); the 2020
# field is the reference and 2019 is 2.6 gC/m² lower on vegetated cells [D].
NPP_TREND_GC = 2.6

# Storm rain (days ≥ 50 mm) as a share of annual rain: Jiangxi has a handful of storm days a
# year carrying roughly a quarter of its rain [K].
STORM_SHARE = 0.25
# Emissions: the 2012 provincial totals [S] (data-raw/jiangxi/jiangxi_emissions_2012.csv)
# shared among counties by population [D]; no later provincial figures were found.
EMISSIONS_BASIS = "population share of the 2012 provincial totals"

IGBP_WATER, IGBP_URBAN = 0, 13

# -- statistics (jiangxi-facts §1, §2; tags as there) --------------------------------------------
# Province GDP (亿元) and real growth (%): 2019 24757.5 (+8.0 %, E5 [S]), 2020 25691.5 (+3.8 %,
# E3 [S]); city GDP from the compilation E7 [S].
PROVINCE_GDP = {2019: (24757.5, 8.0), 2020: (25691.5, 3.8)}
CITY_GDP = {  # 亿元, E7 [S]
    "360100": (5536.66, 5783.32),
    "360200": (926.11, 957.14),
    "360300": (928.56, 962.84),
    "360400": (3123.06, 3235.02),
    "360500": (962.65, 1000.75),
    "360600": (941.26, 982.66),
    "360700": (3466.05, 3657.26),
    "360800": (2085.41, 2168.83),
    "360900": (2678.29, 2782.36),
    "361000": (1512.78, 1572.51),
    "361100": (2513.07, 2624.30),
}
# Primary-industry value added (第一产业增加值, 亿元): 2019 2057.6 (E5 [S]), 2020 2241.6 (E3 [S]).
PRIMARY_VALUE_ADDED = {2019: 2057.6, 2020: 2241.6}
# Its split into crops / forestry / animal husbandry / fishery follows the only published split,
# the gross output of the first half of 2014: 200.00 / 99.14 / 284.75 / 161.12 亿元 (E13 [S]),
# applied to value added of 2019 and 2020 [D].
SECTOR_SHARE_BASIS = {
    "agriculture": 200.00,
    "forestry": 99.14,
    "livestock": 284.75,
    "fishery": 161.12,
}
# Tourism (万人次, 亿元): 2020 5.56 亿 visits and 5424 亿元, i.e. 70.25 % and 56.17 % of 2019
# (T3 [S]); 2019 derived from those shares [D].
TOURISM = {
    2020: (55600.0, 5424.0),
    2019: (55600.0 / 0.7025, 5424.0 / 0.5617),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    units = build_units()
    units.to_file(out / "units.geojson", driver="GeoJSON")

    with rasterio.open(RAW / "mcd12c1_2019_igbp_majority_0p05deg_jiangxi.tif") as src:
        profile = src.profile
        landcover = src.read(1)
        lc_nodata = src.nodata
    copy_raster(
        RAW / "mcd12c1_2019_igbp_majority_0p05deg_jiangxi.tif",
        out / "landcover_mcd12c1_2019_igbp.tif",
    )
    copy_raster(RAW / "ndvi_maximum_0p05deg_jiangxi.tif", out / "ndvi_maximum_bess.tif")
    copy_raster(RAW / "cnmaps_sample_dem_0p2deg_jiangxi.tif", out / "dem_cnmaps_0p2deg.tif")

    with rasterio.open(RAW / "ndvi_maximum_0p05deg_jiangxi.tif") as src:
        ndvi = src.read(1).astype("float64")
    elevation = dem_on(profile)
    lon, lat = cell_centres(profile)
    province = rasterize(
        ((g, 1) for g in units[units["level"] == "province"].geometry),
        out_shape=landcover.shape,
        transform=profile["transform"],
        fill=0,
        dtype="uint8",
    ).astype(bool)
    water = landcover == IGBP_WATER
    urban = landcover == IGBP_URBAN
    valid = landcover != lc_nodata

    fields = make_fields(lon, lat, elevation, ndvi, water, urban, province)
    float_profile = {
        **profile,
        "dtype": "float32",
        "nodata": np.nan,
        "compress": "deflate",
        "predictor": 3,
        "tiled": False,
    }
    units_of = {
        "precipitation_monthly": "mm",
        "temperature_monthly": "degC",
        "actual_et": "mm",
        "npp": "gC/m^2",
        "rainfall_erosivity": "MJ*mm/(hectare*h)",
        "soil_erodibility": "t*hectare*h/(hectare*MJ*mm)",
        "hot_days": "day",
        "storm_precipitation": "mm",
    }
    stats = {}
    npp = fields.pop("npp")
    for year in YEARS:
        shift = NPP_TREND_GC * (year - YEARS[-1])
        fields[f"npp_{year}"] = np.where(np.isnan(npp), np.nan, npp + shift)
        units_of[f"npp_{year}"] = units_of["npp"]
    for name, data in fields.items():
        data = np.where(valid, data, np.nan)  # broadcasts over monthly bands
        filename = f"demo_{name}.tif"
        write_field(out / filename, data, float_profile, units_of[name])
        inside = data[..., province]
        stats[filename] = {
            "mean": round(float(np.nanmean(inside)), 4),
            "min": round(float(np.nanmin(inside)), 4),
            "max": round(float(np.nanmax(inside)), 4),
            "units": units_of[name],
        }
    (out / "demo_fields_stats.json").write_text(json.dumps(stats, indent=2) + "\n")

    build_lakes(landcover, profile).to_file(out / "demo_lakes.geojson", driver="GeoJSON")
    build_reservoirs().to_csv(out / "reservoirs.csv", index=False)
    write_statistics(out / "statistics", units)
    for name, table in demo_tables().items():
        table.to_csv(out / f"demo_{name}.csv", index=False)
    print(json.dumps(stats, indent=2))


# -- real data --------------------------------------------------------------------------------


def build_units() -> gpd.GeoDataFrame:
    """Province, 11 cities and 100 counties (Tianditu, official 6-digit codes) in one file."""
    province = gpd.read_file(RAW / "jiangxi_province_tianditu.geojson")
    cities = gpd.read_file(RAW / "jiangxi_cities_tianditu.geojson")
    counties = gpd.read_file(RAW / "jiangxi_counties_tianditu.geojson")
    frames = [
        province.assign(code=province["adcode"].astype(str), parent_code="", level="province"),
        cities.assign(
            code=cities["adcode"].astype(str),
            parent_code=cities["province_adcode"].astype(str),
            level="city",
        ),
        counties.assign(
            code=counties["adcode"].astype(str),
            parent_code=counties["city_adcode"].astype(str),
            level="county",
        ),
    ]
    columns = ["code", "name", "parent_code", "level", "geometry"]
    units = pd.concat([f[columns] for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(units, geometry="geometry", crs="EPSG:4326")


def census() -> pd.DataFrame:
    """The 7th census (2020) rows of the province, cities and counties."""
    table = pd.read_csv(RAW / "jiangxi_census2020_county.csv", dtype={"区划代码": str})
    table["name"] = table["区县"].where(table["区县"] != table["市"], table["市"])
    return table.set_index("区划代码")


def write_statistics(folder: Path, units: gpd.GeoDataFrame) -> None:
    """The statistics workbook of the demo as a CSV folder (the layout `gep template` writes):
    population, GDP, farm output, tourism and emissions of 2019 and 2020."""
    folder.mkdir(parents=True, exist_ok=True)
    people = census()
    counties = sorted(units.loc[units["level"] == "county", "code"])
    names = units.set_index("code")["name"]
    tables = {
        "population": build_population(people, counties),
        "gdp": build_gdp(),
        "farm_output": build_farm_output(people, counties),
        "tourism": build_tourism(people, counties),
        "emissions": build_emissions(people, counties),
    }
    for domain, (header, rows) in tables.items():
        frame = pd.DataFrame(rows, columns=["code", "year", *header])
        frame.insert(1, "name", frame["code"].map(names))
        frame.columns = ["单位代码 code", "单位名称 name", "年份 year", *header.values()]
        frame.to_csv(folder / f"{domain}.csv", index=False, encoding="utf-8", lineterminator="\n")


def _shares(people: pd.DataFrame, counties: list[str], column: str) -> pd.Series:
    weights = people.loc[counties, column].astype(float)
    return weights / weights.sum()


def build_population(people: pd.DataFrame, counties: list[str]) -> tuple[dict, list]:
    """2020: the census [V]; 2019: the census population as well [D] (no 2019 county figures
    were found; cities and the province are summed from the counties)."""
    rows = [
        (code, year, int(people.at[code, "人口数_合计"]))
        for year in YEARS
        for code in ["360000", *counties]
    ]
    return {"population": "常住人口 population (人)"}, rows


def build_gdp() -> tuple[dict, list]:
    rows = []
    for i, year in enumerate(YEARS):
        value, growth = PROVINCE_GDP[year]
        rows.append(("360000", year, value, growth))
        rows += [(code, year, gdp[i], None) for code, gdp in CITY_GDP.items()]
    header = {
        "gdp": "地区生产总值 gdp (亿元)",
        "gdp_real_growth": "地区生产总值实际增长率 gdp_real_growth (percent)",
    }
    return header, rows


def build_farm_output(people: pd.DataFrame, counties: list[str]) -> tuple[dict, list]:
    """Value added of the four sectors per county [D]: the province's primary-industry value
    added [S], split by sector with the 2014 shares [S] and among counties by their census
    employment in agriculture, forestry, animal husbandry and fishery (农林牧渔业) [V]."""
    share = _shares(people, counties, "农林牧渔业")
    total = sum(SECTOR_SHARE_BASIS.values())
    rows = []
    for year in YEARS:
        for code in counties:
            rows.append(
                (
                    code,
                    year,
                    *(
                        round(PRIMARY_VALUE_ADDED[year] * 1e4 * basis / total * share[code], 2)
                        for basis in SECTOR_SHARE_BASIS.values()
                    ),
                )
            )
    header = {
        f"{sector}_value_added": f"{zh}增加值 {sector}_value_added (万元)"
        for sector, zh in zip(SECTOR_SHARE_BASIS, ("农业", "林业", "牧业", "渔业"), strict=True)
    }
    return header, rows


def build_tourism(people: pd.DataFrame, counties: list[str]) -> tuple[dict, list]:
    """Visits and revenue per county [D]: the provincial totals [S] shared by the counties'
    census employment in accommodation and catering (住宿和餐饮业) [V]."""
    share = _shares(people, counties, "住宿和餐饮业")
    rows = []
    for year in YEARS:
        visits, revenue = TOURISM[year]
        for code in counties:
            rows.append(
                (code, year, round(visits * share[code], 2), round(revenue * 1e4 * share[code], 2))
            )
    header = {
        "visits": "接待游客人次 visits (万人次)",
        "revenue": "旅游总收入 revenue (万元)",
    }
    return header, rows


def build_emissions(people: pd.DataFrame, counties: list[str]) -> tuple[dict, list]:
    """County emissions [D]: the 2012 provincial totals [S] shared by census population; no later
    figures were found, so they stand for both years (rows without a year)."""
    totals = pd.read_csv(RAW / "jiangxi_emissions_2012.csv").set_index("pollutant")
    share = _shares(people, counties, "人口数_合计")
    pollutants = list(totals.index)
    rows = [
        (
            code,
            None,
            *(round(float(totals.at[p, "value"]) * 1e4 * share[code], 1) for p in pollutants),
        )
        for code in counties
    ]
    zh = {"cod": "化学需氧量", "nh3n": "氨氮", "so2": "二氧化硫", "nox": "氮氧化物"}
    return {p: f"{zh[p]} {p} (t)" for p in pollutants}, rows


def copy_raster(src_path: Path, dst_path: Path) -> None:
    with rasterio.open(src_path) as src:
        profile = {**src.profile, "compress": "deflate"}
        data = src.read()
        tags = src.tags()
    with rasterio.open(dst_path, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(**tags, copied_from=f"data-raw/jiangxi/{src_path.name}")


def dem_on(profile: dict) -> np.ndarray:
    """The coarse DEM bilinearly resampled onto the 0.05° grid (for shaping demo fields)."""
    with rasterio.open(RAW / "cnmaps_sample_dem_0p2deg_jiangxi.tif") as src:
        out = np.full((profile["height"], profile["width"]), np.nan, dtype="float64")
        reproject(
            src.read(1).astype("float64"),
            out,
            src_transform=src.transform,
            src_crs=src.crs,
            dst_transform=profile["transform"],
            dst_crs=profile["crs"],
            resampling=Resampling.bilinear,
            src_nodata=None,
            dst_nodata=np.nan,
        )
    return out


def cell_centres(profile: dict) -> tuple[np.ndarray, np.ndarray]:
    t = profile["transform"]
    cols = np.arange(profile["width"]) + 0.5
    rows = np.arange(profile["height"]) + 0.5
    lon = t.c + cols * t.a
    lat = t.f + rows * t.e
    return np.meshgrid(lon, lat)


def build_lakes(landcover: np.ndarray, profile: dict) -> gpd.GeoDataFrame:
    """Poyang Lake's outline as the largest connected body of MODIS water pixels [D].

    A demo register: a real lake register (e.g. the national lake inventory) gives each lake's
    polygon; here the 0.05° water pixels around Poyang are dissolved into one lake.
    """
    from rasterio.features import shapes
    from scipy import ndimage

    water = landcover == IGBP_WATER
    labels, _ = ndimage.label(water, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    largest = labels == int(np.argmax(sizes))
    polygons = [
        shape_
        for shape_, value in shapes(
            largest.astype("uint8"), mask=largest, transform=profile["transform"]
        )
        if value == 1
    ]
    from shapely.geometry import shape as to_shape
    from shapely.ops import unary_union

    lake = unary_union([to_shape(p) for p in polygons])
    return gpd.GeoDataFrame(
        {
            "name": ["鄱阳湖 Poyang Lake"],
            "source": ["demo outline: largest body of MODIS MCD12C1 2019 water pixels"],
        },
        geometry=[lake],
        crs="EPSG:4326",
    )


def build_reservoirs() -> pd.DataFrame:
    """Five large reservoirs with published capacities [S], by the county of their dam [K]."""
    table = pd.read_csv(RAW / "jiangxi_reservoirs.csv", dtype={"unit_code": str})
    return table


def demo_tables() -> dict[str, pd.DataFrame]:
    """Tables without a verified source, with illustrative demo values [D] (see README)."""
    storm = pd.DataFrame(
        {
            "ecosystem_code": [11, 12, 13, 14, 21, 22, 23, 31, 32, 33, 34],
            "value": [15, 18, 16, 30, 25, 25, 35, 40, 40, 40, 50],
            "unit": "percent",
            "source": "illustrative demo value: no verified storm runoff coefficient table was found",
            "year": YEARS[-1],
            "confidence": "D",
            "note": "replace with the MEE guideline's table",
        }
    )
    ions = pd.DataFrame(
        {
            "ecosystem_code": [11, 12, 13, 14, 21, 22, 23, 31, 32, 33, 34, 41, 42, 43],
            "value": [
                2000,
                1500,
                1800,
                1000,
                1000,
                1000,
                800,
                800,
                800,
                800,
                600,
                1200,
                1500,
                1500,
            ],
            "unit": "1/cm^3",
            "source": "illustrative demo value of forest negative-air-ion concentration",
            "year": YEARS[-1],
            "confidence": "D",
            "note": "replace with field measurements",
        }
    )
    height = pd.DataFrame(
        {
            "ecosystem_code": [11, 12, 13, 14, 21, 22, 23, 31, 32, 33, 34, 41, 42, 43],
            "value": [15, 12, 13, 8, 2, 2, 1.5, 0.5, 0.5, 0.5, 0.3, 1, 1, 1],
            "unit": "m",
            "source": "illustrative demo canopy height (for water: a 1 m air layer)",
            "year": YEARS[-1],
            "confidence": "D",
            "note": "replace with the forest inventory",
        }
    )
    return {
        "storm_runoff_coefficients": storm,
        "negative_ion_concentration": ions,
        "canopy_height": height,
    }


# -- demo fields ------------------------------------------------------------------------------


def zscore(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    inside = values[mask]
    return (values - np.nanmean(inside)) / np.nanstd(inside)


def rescale_mean(values: np.ndarray, mask: np.ndarray, target: float) -> np.ndarray:
    return values * (target / np.nanmean(values[mask]))


def make_fields(
    lon: np.ndarray,
    lat: np.ndarray,
    elevation: np.ndarray,
    ndvi: np.ndarray,
    water: np.ndarray,
    urban: np.ndarray,
    province: np.ndarray,
) -> dict[str, np.ndarray]:
    elevation = np.where(np.isnan(elevation), np.nanmean(elevation[province]), elevation)
    ndvi = np.where(np.isnan(ndvi), np.nanmean(ndvi[province]), ndvi)
    mean_elevation = float(np.nanmean(elevation[province]))

    # Precipitation: wetter to the east (Wuyi and Huaiyu mountains) and with altitude.
    pattern = 0.7 * zscore(lon, province) + 0.3 * zscore(elevation, province)
    low, high = PRECIP_RANGE_MM
    spread = (high - low) / (
        np.nanpercentile(pattern[province], 99.5) - np.nanpercentile(pattern[province], 0.5)
    )
    annual_p = np.clip(
        PRECIP_MEAN_MM + spread * (pattern - np.nanmean(pattern[province])), low, high
    )
    annual_p = rescale_mean(annual_p, province, PRECIP_MEAN_MM)
    precipitation = PRECIP_MONTHLY_SHARE[:, None, None] * annual_p[None]

    # Temperature: warmer to the south, cooler with altitude.
    annual_t = (
        TEMP_MEAN_C
        + TEMP_LAT_GRADIENT * (np.nanmean(lat[province]) - lat)
        - LAPSE_RATE * (elevation - mean_elevation)
    )
    temperature = annual_t[None] + (TEMP_MONTHLY_C - TEMP_MONTHLY_C.mean())[:, None, None]

    # Actual ET: more where vegetation is denser and warmer; open water evaporates freely.
    et = (0.5 + 0.5 * ndvi) * (1.0 + 0.03 * (annual_t - TEMP_MEAN_C))
    et = np.where(water, 1.3 * np.nanmean(et[province]), et)
    et = np.where(urban, 0.6 * et, et)
    et = rescale_mean(et, province, ET_MEAN_MM)

    # NPP: follows NDVI and temperature; none over open water (MOD17 has fill values there).
    npp = np.clip(ndvi, 0.05, None) ** 1.5 * (1.0 + 0.04 * (annual_t - TEMP_MEAN_C))
    npp = np.where(urban, 0.4 * npp, npp)
    npp = np.where(water, np.nan, npp)
    npp = rescale_mean(npp, province & ~water, NPP_MEAN_GC)

    storm = STORM_SHARE * annual_p
    erosivity = R_MEAN * (annual_p / PRECIP_MEAN_MM) ** R_EXPONENT
    erodibility = K_MEAN * (1.0 + 0.15 * np.tanh((mean_elevation - elevation) / 300.0))

    tmax = temperature + DIURNAL_HALF_RANGE_C
    hot_share = np.clip((tmax - HOT_DAY_TMAX_C) / 4.0 + 0.5, 0.0, 1.0)
    hot_days = (hot_share * DAYS_IN_MONTH[:, None, None]).sum(axis=0)

    return {
        "precipitation_monthly": precipitation,
        "temperature_monthly": temperature,
        "actual_et": et,
        "npp": npp,
        "rainfall_erosivity": erosivity,
        "soil_erodibility": erodibility,
        "hot_days": hot_days,
        "storm_precipitation": storm,
    }


def write_field(path: Path, data: np.ndarray, profile: dict, units: str) -> None:
    data = data if data.ndim == 3 else data[None]
    with rasterio.open(path, "w", **{**profile, "count": data.shape[0]}) as dst:
        dst.write(data.astype("float32"))
        dst.update_tags(gepkit_demo=DEMO_TAG, units=units)
        for band in range(1, data.shape[0] + 1):
            dst.set_band_unit(band, units)


if __name__ == "__main__":
    main()
