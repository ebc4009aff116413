"""Make the InVEST reference fixtures of tests/fixtures/invest/ (run once; CI never needs InVEST).

Run with a Python that has natcap.invest (see docs/invest.md for the install recipe):

    ~/invest-venv/bin/python scripts/invest_reference.py [--out tests/fixtures/invest]

It writes a small synthetic catchment (its own generator: sinusoidal ridges and valleys with
noise, land cover by elevation band, climate gradients, a table of biophysical parameters), runs
InVEST SDR (MFD), Annual Water Yield and Carbon on it from empty workspaces, runs Carbon on the
InVEST Willamette sample land cover, and copies the inputs and the outputs the tests compare
with into OUT, plus a JSON record of the InVEST version and the arguments used.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()

ROOT = Path(__file__).resolve().parents[1]
WILLAMETTE = ROOT / "tests" / "fixtures" / "invest" / "willamette"
SHAPE = (90, 110)  # rows, cols
CELL = 30.0
ORIGIN = (500_000.0, 3_100_000.0)  # UTM 50N (EPSG:32650), inside Jiangxi's longitude band
EPSG = 32650

# lucode, description, usle_c, usle_p, lulc_veg, root_depth (mm), kc, c_above, c_below, c_soil, c_dead
BIOPHYSICAL = [
    (1, "forest", 0.003, 1.0, 1, 5000, 1.0, 90.0, 20.0, 100.0, 8.0),
    (2, "shrub", 0.04, 1.0, 1, 2000, 0.8, 20.0, 8.0, 60.0, 2.0),
    (3, "grassland", 0.05, 1.0, 1, 1500, 0.65, 3.0, 5.0, 50.0, 1.0),
    (4, "cropland", 0.3, 0.6, 1, 1200, 0.75, 5.0, 2.0, 40.0, 0.0),
    (5, "urban", 0.01, 1.0, 0, 500, 0.3, 1.0, 0.0, 20.0, 0.0),
    (6, "water", 0.0, 1.0, 0, 10, 1.0, 0.0, 0.0, 0.0, 0.0),
]


def make_inputs(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(20261124)
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype("float64")
    dem = (
        300
        + 2.0 * cols
        + 40 * np.sin(rows / 9.0) * np.cos(cols / 13.0)
        + 25 * np.sin(cols / 7.0)
        + rng.normal(0, 3.0, SHAPE)
    )
    dem[40:48, 20:30] = dem[40:48, 20:30].min() - 5  # a closed depression (filled by routing)
    lulc = np.full(SHAPE, 3, dtype="uint8")
    lulc[dem > 380] = 1
    lulc[(dem > 340) & (dem <= 380)] = 2
    lulc[(dem > 320) & (dem <= 340)] = 4
    lulc[(rows % 29 < 3) & (cols > 60)] = 5
    lulc[40:48, 20:30] = 6
    layers = {
        "dem": dem.astype("float32"),
        "erosivity": (6000 + 20 * cols + rng.normal(0, 50, SHAPE)).astype("float32"),
        "erodibility": (0.03 + 0.005 * np.sin(rows / 11.0)).astype("float32"),
        "lulc": lulc,
        "precip": (1500 + 3 * rows - 2 * cols).astype("float32"),
        "eto": (900 + 2 * cols).astype("float32"),
        "pawc": (0.12 + 0.06 * np.cos(cols / 17.0)).astype("float32"),
        "root_depth": (1500 - 4 * rows + 3 * cols).astype("float32"),
    }
    lulc_alt = lulc.copy()
    lulc_alt[(lulc == 3) & (cols < 40)] = 1  # afforestation of cropland in the west
    layers["lulc_alt"] = lulc_alt
    paths = {}
    for name, data in layers.items():
        paths[name] = folder / f"{name}.tif"
        _write(paths[name], data, nodata=255 if data.dtype == np.uint8 else -9999.0)
    table = folder / "biophysical.csv"
    header = "lucode,description,usle_c,usle_p,lulc_veg,root_depth,kc,c_above,c_below,c_soil,c_dead"
    table.write_text(
        header + "\n" + "\n".join(",".join(map(str, row)) for row in BIOPHYSICAL) + "\n"
    )
    paths["biophysical"] = table
    paths["watershed"] = _watershed(folder / "watershed.gpkg")
    return paths


def _srs() -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    return srs


def _write(path: Path, data: np.ndarray, nodata: float) -> None:
    dtype = gdal.GDT_Byte if data.dtype == np.uint8 else gdal.GDT_Float32
    ds = gdal.GetDriverByName("GTiff").Create(
        str(path),
        SHAPE[1],
        SHAPE[0],
        1,
        dtype,
        options=["COMPRESS=DEFLATE", "TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"],
    )
    ds.SetGeoTransform([ORIGIN[0], CELL, 0, ORIGIN[1], 0, -CELL])
    ds.SetProjection(_srs().ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(data)
    ds = None


def _watershed(path: Path) -> Path:
    """One polygon covering the whole grid, field ws_id."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("watershed", _srs(), ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("ws_id", ogr.OFTInteger))
    x0, y1 = ORIGIN
    x1, y0 = x0 + SHAPE[1] * CELL, y1 - SHAPE[0] * CELL
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint(x, y)
    polygon = ogr.Geometry(ogr.wkbPolygon)
    polygon.AddGeometry(ring)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetField("ws_id", 0)
    feature.SetGeometry(polygon)
    layer.CreateFeature(feature)
    ds = None
    return path


def run_invest(model: str, args: dict, workspace: Path) -> None:
    workspace.mkdir(parents=True)
    datastack = workspace.parent / f"{model}.json"
    datastack.write_text(json.dumps({"model_id": model, "args": args}))
    subprocess.run(
        ["invest", "run", model, "-d", str(datastack), "-w", str(workspace), "--no-report"],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "invest")
    options = parser.parse_args()
    out: Path = options.out
    import natcap.invest

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = work / "inputs"
        inputs.mkdir()
        p = make_inputs(inputs)
        sdr_args = {
            "dem_path": str(p["dem"]),
            "erosivity_path": str(p["erosivity"]),
            "erodibility_path": str(p["erodibility"]),
            "lulc_path": str(p["lulc"]),
            "biophysical_table_path": str(p["biophysical"]),
            "watersheds_path": str(p["watershed"]),
            "drainage_path": "",
            "threshold_flow_accumulation": 1000,
            "k_param": 2,
            "sdr_max": 0.8,
            "ic_0_param": 0.5,
            "l_max": 122,
            "flow_dir_algorithm": "MFD",
            "results_suffix": "",
            "n_workers": -1,
        }
        awy_args = {
            "lulc_path": str(p["lulc"]),
            "depth_to_root_rest_layer_path": str(p["root_depth"]),
            "precipitation_path": str(p["precip"]),
            "pawc_path": str(p["pawc"]),
            "eto_path": str(p["eto"]),
            "watersheds_path": str(p["watershed"]),
            "sub_watersheds_path": "",
            "biophysical_table_path": str(p["biophysical"]),
            "seasonality_constant": 5,
            "demand_table_path": "",
            "valuation_table_path": "",
            "results_suffix": "",
            "n_workers": -1,
        }
        carbon_args = {
            "lulc_bas_path": str(p["lulc"]),
            "calc_sequestration": True,
            "lulc_alt_path": str(p["lulc_alt"]),
            "carbon_pools_path": str(p["biophysical"]),
            "do_valuation": False,
            "results_suffix": "",
            "n_workers": -1,
        }
        willamette_args = {
            "lulc_bas_path": str(WILLAMETTE / "lc_samp_cur_b.tif"),
            "calc_sequestration": False,
            "carbon_pools_path": str(WILLAMETTE / "carbon_pools.csv"),
            "do_valuation": False,
            "results_suffix": "",
            "n_workers": -1,
        }
        runs = {"sdr": sdr_args, "annual_water_yield": awy_args, "carbon": carbon_args}
        for model, args in runs.items():
            run_invest(model, {**args, "workspace_dir": str(work / model)}, work / model)
        run_invest(
            "carbon",
            {**willamette_args, "workspace_dir": str(work / "willamette")},
            work / "willamette",
        )

        if out.exists():
            for child in out.iterdir():
                if child.name != "willamette":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        (out / "inputs").mkdir(parents=True, exist_ok=True)
        for path in inputs.iterdir():
            shutil.copy(path, out / "inputs" / path.name)
        keep = {
            "sdr": [
                "intermediate_outputs/pit_filled_dem.tif",
                "intermediate_outputs/slope.tif",
                "intermediate_outputs/flow_accumulation.tif",
                "intermediate_outputs/ls.tif",
                "stream.tif",
                "rkls.tif",
                "usle.tif",
                "avoided_erosion.tif",
            ],
            "annual_water_yield": ["output/per_pixel/wyield.tif", "output/per_pixel/aet.tif"],
            "carbon": ["c_storage_bas.tif", "c_storage_alt.tif", "c_change_bas_alt.tif"],
        }
        for model, files in keep.items():
            (out / model).mkdir(exist_ok=True)
            for name in files:
                _copy_compressed(work / model / name, out / model / Path(name).name)
        (out / "willamette" / "invest").mkdir(parents=True, exist_ok=True)
        _copy_compressed(
            work / "willamette" / "c_storage_bas.tif",
            out / "willamette" / "invest" / "c_storage_bas.tif",
        )

        def portable(args: dict) -> dict:
            return {
                k: (Path(v).name if isinstance(v, str) and v.startswith("/") else v)
                for k, v in args.items()
            }

        record = {
            "invest_version": natcap.invest.__version__,
            "sdr": portable(sdr_args),
            "annual_water_yield": portable(awy_args),
            "carbon": portable(carbon_args),
            "willamette": portable(willamette_args),
        }
        (out / "reference.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"written to {out}")


def _copy_compressed(src: Path, dst: Path) -> None:
    gdal.Translate(str(dst), str(src), creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=1"])


if __name__ == "__main__":
    main()
