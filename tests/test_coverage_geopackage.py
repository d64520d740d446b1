"""The QGIS GeoPackage of a period's coverage: layers, columns, CRS and repeatable bytes."""

import geopandas as gpd
import pyogrio
import pytest

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


def test_kecamatan_only_boundaries_give_a_real_and_a_schematic_layer(metro_wilayah, metro_rekap, tmp_path):
    from conftest import KECAMATAN_FILE

    from kmc_analysis.coverage.boundaries import load_boundaries
    if not KECAMATAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    kec, kel = metro_rekap
    path = write_coverage_gpkg(load_boundaries(KECAMATAN_FILE, metro_wilayah), kec, kel, tmp_path / CAKUPAN_GPKG,
                               period=MARET)
    kecamatan, kelurahan = gpd.read_file(path, layer="kecamatan"), gpd.read_file(path, layer="kelurahan")
    assert kecamatan.crs.to_epsg() == 4326 and set(kecamatan["skematis"]) == {0}
    assert kelurahan.crs is None and set(kelurahan["skematis"]) == {1} and len(kelurahan) == 22
    assert set(kelurahan["sumber_batas"]) == {"peta skematis bawaan (bukan batas resmi)"}
