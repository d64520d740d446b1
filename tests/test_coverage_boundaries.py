"""Boundary files: formats, CRS, matching by code / BPS code / name, errors, schematic tiles.

The real Kota Metro polygons are read from ../shared/reference/batas/ (never copied into
the project); every variant below is built from them in tmp_path.
"""

import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import KECAMATAN_FILE, KELURAHAN_FILE

from kmc_analysis.core.errors import BoundaryError
from kmc_analysis.coverage import boundaries, schematic


@pytest.fixture(scope="module")
def real():
    """The shared kelurahan polygons as read from disk (skip when the shared folder is absent)."""
    if not KELURAHAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    return gpd.read_file(KELURAHAN_FILE)


def _check_complete(b: boundaries.Boundaries, wilayah: pd.DataFrame, real: gpd.GeoDataFrame) -> None:
    assert not b.schematic
    assert len(b.kelurahan) == 22 and len(b.kecamatan) == 5
    assert b.kelurahan["kode_kelurahan"].tolist() == sorted(wilayah["kode_kelurahan"])
    assert b.kelurahan.is_valid.all() and b.kecamatan.is_valid.all()
    assert set(b.kecamatan.geom_type) == {"Polygon"}
    # Each polygon is matched to the right kelurahan: compare with the source by code.
    source = real.set_index("code").to_crs(boundaries.DRAW_CRS).geometry
    for code, geometry in zip(b.kelurahan["kode_kelurahan"], b.kelurahan.geometry):
        assert abs(geometry.area - source[code].area) < 1.0
        assert geometry.intersection(source[code]).area > 0.999 * source[code].area


def test_reads_the_shared_file_as_is(metro_wilayah, real):
    b = boundaries.load_boundaries(KELURAHAN_FILE, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert b.source == KELURAHAN_FILE.name
    # Dissolved kecamatan agree with the separately published kecamatan polygons.
    published = gpd.read_file(KECAMATAN_FILE).to_crs(boundaries.DRAW_CRS).set_index("code").geometry
    for code, geometry in zip(b.kecamatan["kode_kecamatan"], b.kecamatan.geometry):
        assert geometry.symmetric_difference(published[code]).area < 1e-4 * published[code].area
        assert shapely.get_num_interior_rings(geometry) == 0  # slivers between kelurahan closed


def test_reprojected_geopackage(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_utm.gpkg"
    real.to_crs("EPSG:32748").to_file(path, layer="kelurahan", driver="GPKG")
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_bps_codes_only(metro_wilayah, real, tmp_path):
    copy = real[["bps_code", "geometry"]].rename(columns={"bps_code": "KODE"})
    copy["KODE"] = copy["KODE"].astype("int64")  # a number column, as GIS tools often store it
    path = tmp_path / "batas_bps.gpkg"
    copy.to_file(path, driver="GPKG")
    matched = boundaries.match_features(gpd.read_file(path), metro_wilayah)
    assert set(matched["cara"]) == {"bps"}
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_undotted_kemendagri_codes_are_not_read_as_bps(metro_wilayah, real):
    # 1872011001 is Metro for Kemendagri and Sumbersari Bantul for BPS: the column decides.
    copy = real[["code", "geometry"]].assign(code=real["code"].str.replace(".", "", regex=False))
    matched = boundaries.match_features(copy, metro_wilayah)
    assert set(matched["cara"]) == {"kemendagri"}
    assert matched["kode_kelurahan"].tolist() == real["code"].tolist()


def test_names_only_with_spelling_variants(metro_wilayah, real, tmp_path):
    variants = {"Ganjar Asri": "Kel. Ganjarasri", "Iring Mulyo": "IRINGMULYO", "Sumbersari Bantul": "Sumbersari",
                "Tejo Agung": "TEJOAGUNG", "Metro": "Kelurahan  Metro", "Hadimulyo Timur": "hadimulyo timur"}
    copy = gpd.GeoDataFrame({"NAMOBJ": real["name"].replace(variants), "KOTA": "Metro"}, geometry=real.geometry)
    path = tmp_path / "batas_nama.geojson"
    copy.to_file(path, driver="GeoJSON")
    matched = boundaries.match_features(gpd.read_file(path), metro_wilayah)
    assert set(matched["kolom"]) == {"NAMOBJ"}  # not KOTA, which says "Metro" on every row
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_zipped_shapefile(metro_wilayah, real, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    real[["code", "name", "geometry"]].to_file(folder / "kelurahan.shp")
    archive = tmp_path / "batas_metro.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in sorted(folder.iterdir()):
            z.write(part, f"data/{part.name}")
    _check_complete(boundaries.load_boundaries(archive, metro_wilayah), metro_wilayah, real)


def test_missing_kelurahan_is_named_with_the_file(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_kurang.geojson"
    real[real["name"] != "Imopuro"].to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError) as error:
        boundaries.load_boundaries(path, metro_wilayah)
    message = str(error.value)
    assert "batas_kurang.geojson" in message and "Imopuro (18.72.01.1003" in message
    assert "--boundaries" in message


def test_unmatched_feature_is_listed(metro_wilayah, real, tmp_path):
    extra = real.iloc[[0]].assign(name="Kampung Baru", code="", bps_code="", name_bps="")
    path = tmp_path / "batas_lebih.geojson"
    pd.concat([real, extra]).to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=r"1 fitur tidak cocok.*fitur ke-23 \(name='Kampung Baru'"):
        boundaries.load_boundaries(path, metro_wilayah)


def test_features_of_another_city_are_dropped(metro_wilayah, real):
    # A province-wide file: a Margorejo elsewhere in Lampung must not take Metro's place.
    other = real.iloc[[19]].assign(code="18.05.01.2001", bps_code="1805010001")
    frame = pd.concat([real, other], ignore_index=True)
    kelurahan = boundaries.match_boundaries(frame, metro_wilayah, "lampung.geojson")
    margorejo = kelurahan.set_index("kode_kelurahan").geometry["18.72.05.1002"]
    assert abs(margorejo.area - real.to_crs(boundaries.DRAW_CRS).geometry.iloc[19].area) < 1.0


def test_kecamatan_file_is_refused_with_advice(metro_wilayah):
    if not KECAMATAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    with pytest.raises(BoundaryError, match="poligon kecamatan, bukan kelurahan"):
        boundaries.load_boundaries(KECAMATAN_FILE, metro_wilayah)


def test_geopackage_layer_with_kelurahan_is_chosen(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_dua_layer.gpkg"
    gpd.read_file(KECAMATAN_FILE).to_file(path, layer="a_kecamatan", driver="GPKG")
    real.to_file(path, layer="b_kelurahan", driver="GPKG")
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_unreadable_and_unsupported_files(metro_wilayah, tmp_path):
    broken = tmp_path / "batas.geojson"
    broken.write_text("{ not json")
    with pytest.raises(BoundaryError, match="tidak dapat dibuka"):
        boundaries.load_boundaries(broken, metro_wilayah)
    with pytest.raises(BoundaryError, match="tidak dikenal"):
        boundaries.load_boundaries(tmp_path / "batas.kml", metro_wilayah)
    empty_zip = tmp_path / "batas.zip"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("baca.txt", "kosong")
    with pytest.raises(BoundaryError, match="tidak memuat"):
        boundaries.load_boundaries(empty_zip, metro_wilayah)


def test_boundary_resolution_order(metro_wilayah, tmp_path):
    reference = tmp_path / "reference"
    assert boundaries.resolve_boundary_path(reference, "") is None  # no folder: schematic
    reference.mkdir()
    (reference / "wilayah.csv").write_text("x")
    assert boundaries.resolve_boundary_path(reference, "") is None
    for name in ("batas_z.geojson", "batas_a.shp", "batas_b.gpkg", "batas_0.zip", "peta.gpkg"):
        (reference / name).write_text("x")
    assert boundaries.resolve_boundary_path(reference, "").name == "batas_a.shp"
    explicit = tmp_path / "lain.geojson"
    explicit.write_text("x")
    assert boundaries.resolve_boundary_path(reference, str(explicit)) == explicit
    with pytest.raises(BoundaryError, match="tidak ditemukan"):
        boundaries.resolve_boundary_path(reference, tmp_path / "tidak_ada.gpkg")
    schematic = boundaries.boundaries_for_run(tmp_path / "kosong", "", metro_wilayah)
    assert schematic.schematic


def test_schematic_tiles_for_kota_metro(metro_wilayah):
    b = boundaries.schematic_boundaries(metro_wilayah)
    assert b.schematic and b.kelurahan.crs is None and "skematis" in b.source
    assert len(b.kelurahan) == 22 and len(b.kecamatan) == 5
    assert b.kelurahan.is_valid.all() and b.kecamatan.is_valid.all()
    assert set(b.kecamatan.geom_type) == {"Polygon"}  # each kecamatan's tiles touch
    assert b.kelurahan.union_all().area == pytest.approx(22 * schematic.TILE_SIZE ** 2)  # no overlap
    assert b.kelurahan["kode_kelurahan"].tolist() == sorted(metro_wilayah["kode_kelurahan"])
    # Rough relative positions: Metro Utara north of Metro Selatan, Metro Barat west of Metro Timur.
    centre = b.kecamatan.set_index("kecamatan").geometry.centroid
    assert centre["Metro Utara"].y > centre["Metro Pusat"].y > centre["Metro Selatan"].y
    assert centre["Metro Barat"].x < centre["Metro Pusat"].x < centre["Metro Timur"].x


def test_schematic_tiles_for_another_wilayah(wilayah):
    b = boundaries.schematic_boundaries(wilayah.assign(kode_kelurahan=wilayah["kode_kelurahan"] + "9"))
    assert len(b.kelurahan) == 5 and len(b.kecamatan) == 3
    assert b.kelurahan.is_valid.all() and set(b.kecamatan.geom_type) == {"Polygon"}
