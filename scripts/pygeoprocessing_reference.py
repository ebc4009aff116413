"""Make tests/fixtures/routing/: small DEMs and pygeoprocessing's routing of them (run once).

Run with a Python that has pygeoprocessing (it comes with InVEST, see docs/invest.md):

    ~/invest-venv/bin/python scripts/pygeoprocessing_reference.py

The four DEMs exercise what routing must get right: many random pits, quantised terrain with
plateaus, holes of missing data next to a flat lake, and a flat grid with one pit.  For each,
pygeoprocessing's fill_pits, flow_dir_mfd, flow_accumulation_mfd, flow_dir_d8,
flow_accumulation_d8 and calculate_slope are stored in one .npz, which the tests compare with
gepkit.models.routing and gepkit.models.terrain.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pygeoprocessing
import pygeoprocessing.routing as routing
from osgeo import gdal

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "routing"
NODATA = -9999.0


def dems() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    out = {"random": rng.normal(100, 5, (40, 50)).astype("float32")}
    y, x = np.mgrid[0:60, 0:70]
    z = 50 + 0.3 * x + 10 * np.sin(y / 7.0) + 5 * np.cos(x / 5.0) + rng.normal(0, 1, (60, 70))
    out["quantized"] = np.round(z / 2.0).astype("float32") * 2.0
    lake = (80 + 0.2 * y - 0.1 * x + rng.normal(0, 0.5, (60, 70))).astype("float32")
    lake[20:30, 30:45] = 75.0
    lake[5:8, 5:9] = np.nan
    lake[45:50, 60:70] = np.nan
    out["holes_lake"] = lake
    flat = np.full((30, 30), 10.0, dtype="float32")
    flat[15, 15] = 5.0
    out["flat"] = flat
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    inputs = dems()
    results: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, z in inputs.items():
            folder = Path(tmp) / name
            folder.mkdir()
            path = str(folder / "dem.tif")
            ds = gdal.GetDriverByName("GTiff").Create(
                path,
                z.shape[1],
                z.shape[0],
                1,
                gdal.GDT_Float32,
                options=["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"],
            )
            ds.SetGeoTransform([0, 30, 0, 0, 0, -30])
            band = ds.GetRasterBand(1)
            band.SetNoDataValue(NODATA)
            band.WriteArray(np.where(np.isnan(z), NODATA, z).astype("float32"))
            ds = None
            steps = {
                "fill": lambda p, t: routing.fill_pits((p, 1), t),
                "mfd": lambda p, t: routing.flow_dir_mfd((p, 1), t),
                "fa": lambda p, t: routing.flow_accumulation_mfd((p, 1), t),
                "d8": lambda p, t: routing.flow_dir_d8((p, 1), t),
                "fa8": lambda p, t: routing.flow_accumulation_d8((p, 1), t),
                "slope": lambda p, t: pygeoprocessing.calculate_slope((p, 1), t),
            }
            source = {
                "fill": path,
                "mfd": "fill",
                "fa": "mfd",
                "d8": "fill",
                "fa8": "d8",
                "slope": "fill",
            }
            made: dict[str, str] = {}
            for key, step in steps.items():
                target = str(folder / f"{key}.tif")
                origin = source[key]
                step(made.get(origin, origin), target)
                made[key] = target
                ds = gdal.Open(target)
                array = ds.GetRasterBand(1).ReadAsArray()
                nodata = ds.GetRasterBand(1).GetNoDataValue()
                results[f"{name}__{key}"] = array
                results[f"{name}__{key}__nodata"] = np.array(np.nan if nodata is None else nodata)
    np.savez_compressed(OUT / "dems.npz", **inputs)
    np.savez_compressed(
        OUT / "pygeoprocessing.npz",
        pygeoprocessing_version=np.array(pygeoprocessing.__version__),
        **results,
    )
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
