"""The QGIS GeoPackage of a period's coverage: the rekap columns on the kecamatan and kelurahan polygons."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from kmc_analysis.core.periods import Period
from kmc_analysis.coverage.boundaries import Boundaries, attach_rekap


def coverage_layers(
    boundaries: Boundaries, rekap_kec: pd.DataFrame, rekap_kel: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Attach the rekap columns to the kecamatan and kelurahan polygons (every polygon kept)."""
    return (attach_rekap(boundaries.kecamatan, rekap_kec, "kode_kecamatan"),
            attach_rekap(boundaries.kelurahan, rekap_kel, "kode_kelurahan"))


def write_coverage_gpkg(
    boundaries: Boundaries,
    rekap_kec: pd.DataFrame,
    rekap_kel: pd.DataFrame,
    path: str | Path,
    *,
    period: Period,
) -> Path:
    """Write the GeoPackage with layers ``kecamatan`` and ``kelurahan`` carrying the rekap columns.

    Real boundaries are written in EPSG:4326; schematic tiles without a CRS and with
    ``skematis`` = 1 on every feature (with a kecamatan-only boundary file, the kelurahan
    layer is schematic and the kecamatan layer real). The GeoPackage timestamp is pinned to the period,
    so a rerun on the same input writes the same layers.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    kecamatan, kelurahan = coverage_layers(boundaries, rekap_kec, rekap_kel)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{period}-01T00:00:00.000Z"})
    try:
        for name, layer in (("kecamatan", kecamatan), ("kelurahan", kelurahan)):
            layer = layer.copy()
            layer["periode"] = str(period)
            layer["sumber_batas"] = boundaries.source_of(name)
            layer["skematis"] = int(boundaries.is_schematic(name))
            if layer.crs is not None:
                layer = layer.to_crs("EPSG:4326")
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="'crs' was not provided")  # schematic tiles
                layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path
