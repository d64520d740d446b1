"""The QGIS GeoPackage of a period's coverage: layers, columns, CRS and repeatable bytes."""

import geopandas as gpd
import pyogrio

from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import CAKUPAN_GPKG
from kmc_analysis.coverage.geopackage import write_coverage_gpkg

MARET = Period(2024, 3)


def test_geopackage_layers_and_columns(metro_boundaries, metro_tiles, metro_rekap, tmp_path):
    kec, kel = metro_rekap
    path = write_coverage_gpkg(metro_boundaries, kec, kel, tmp_path / CAKUPAN_GPKG, period=MARET)
    assert {str(name) for name, _ in pyogrio.list_layers(path)} == {"kecamatan", "kelurahan"}
    layer = gpd.read_file(path, layer="kelurahan")
    assert layer.crs.to_epsg() == 4326 and len(layer) == 22
    assert {"kode_kelurahan", "kelurahan", "penerima_unik", "penerima_per_1000", "periode", "skematis"} <= set(layer)
    assert layer["penerima_unik"].sum() == kel["penerima_unik"].sum()
    first = path.read_bytes()
    write_coverage_gpkg(metro_boundaries, kec, kel, path, period=MARET)
    assert path.read_bytes() == first  # rewritten in place, same bytes
    tiles = write_coverage_gpkg(metro_tiles, kec, kel, tmp_path / "skematis.gpkg", period=MARET)
    layer = gpd.read_file(tiles, layer="kecamatan")
    assert layer.crs is None and set(layer["skematis"]) == {1} and len(layer) == 5
