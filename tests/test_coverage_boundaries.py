"""Boundary files: every real layout, matching by code / BPS code / name, features of other regions, geometry.

The real Kota Metro polygons are read from ../shared/reference/batas/ (never copied into
the project); every layout below is built from them in tmp_path (tests/boundary_layouts.py).
"""

import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from boundary_layouts import (
    NAMESAKES,
    big_rbi,
    big_rbi_province,
    gadm_level4,
    geoboundaries_adm3,
    minimal_wilayah,
    shrunk,
    wilkerstat,
    write_swapped_geojson,
)
from conftest import KECAMATAN_FILE, KELURAHAN_FILE

from kmc_analysis.core.errors import BoundaryError
from kmc_analysis.coverage import boundaries, boundary_files, schematic


@pytest.fixture(scope="module")
def real():
    """The shared kelurahan polygons as read from disk (skip when the shared folder is absent)."""
    if not KELURAHAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    return gpd.read_file(KELURAHAN_FILE)


@pytest.fixture(scope="module")
def real_kecamatan():
    if not KECAMATAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    return gpd.read_file(KECAMATAN_FILE)


def _check_complete(b: boundaries.Boundaries, wilayah: pd.DataFrame, real: gpd.GeoDataFrame) -> None:
    """All 22 kelurahan present, valid, and each the right polygon in the right place."""
    assert not b.schematic_levels
    assert len(b.kelurahan) == 22 and len(b.kecamatan) == 5
    assert b.kelurahan["kode_kelurahan"].tolist() == sorted(wilayah["kode_kelurahan"])
    assert b.kelurahan.is_valid.all() and b.kecamatan.is_valid.all()
    assert set(b.kecamatan.geom_type) == {"Polygon"}
    source = real.set_index("code").to_crs(boundaries.DRAW_CRS).geometry
    for code, geometry in zip(b.kelurahan["kode_kelurahan"], b.kelurahan.geometry):
        assert abs(geometry.area - source[code].area) < 0.001 * source[code].area, code
        assert geometry.intersection(source[code]).area > 0.99 * source[code].area, code


# --- Layouts that must work -------------------------------------------------------------------


def test_reads_the_shared_file_as_is(metro_wilayah, real, real_kecamatan):
    b = boundaries.load_boundaries(KELURAHAN_FILE, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert b.source == KELURAHAN_FILE.name and b.record["kolom"] == "code"
    # Dissolved kecamatan agree with the separately published kecamatan polygons.
    published = real_kecamatan.to_crs(boundaries.DRAW_CRS).set_index("code").geometry
    for code, geometry in zip(b.kecamatan["kode_kecamatan"], b.kecamatan.geometry):
        assert geometry.symmetric_difference(published[code]).area < 5e-4 * published[code].area
        assert shapely.get_num_interior_rings(geometry) == 0  # slivers between kelurahan closed


def test_big_rbi_shapefile_is_matched_by_kdepum_and_recorded(metro_wilayah, real, tmp_path):
    path = tmp_path / "ADMINISTRASIDESA_AR_25K.shp"
    big_rbi(real).to_file(path)
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert b.record == {"path": str(path), "sha256": boundary_files.file_sha256(path), "kolom": "KDEPUM",
                        "fitur_dipakai": 22, "fitur_di_luar_kota": 0, "skematis": False,
                        "tingkat_poligon": "kelurahan", "catatan": []}
    assert len(b.record["sha256"]) == 64


def test_shapefile_hash_changes_with_its_attribute_table(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas.shp"
    big_rbi(real).to_file(path)
    before = boundary_files.file_sha256(path)
    big_rbi(real).assign(WADMKD=real["name"].str.upper()).to_file(path)  # same .shp geometry, other .dbf
    assert boundary_files.file_sha256(path) != before


def test_big_rbi_province_extract_leaves_other_regencies_out(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_lampung.gpkg"
    big_rbi_province(real).to_crs("EPSG:32748").to_file(path, driver="GPKG")  # any CRS
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)  # no namesake merged into a Metro kelurahan
    assert b.record["fitur_di_luar_kota"] == len(NAMESAKES) and b.record["fitur_dipakai"] == 22
    assert "KDPKAB=18.0" in b.notes[0] and "WADMKD" not in b.record["kolom"]


def test_gadm_namesakes_in_other_regencies_are_never_merged(metro_wilayah, real, tmp_path):
    path = tmp_path / "gadm41_IDN_4_Lampung.geojson"
    gadm_level4(real).to_file(path, driver="GeoJSON")
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    # NAME_2 says "Metro" on every Metro row, NAME_4 "Metro" on one: the kelurahan column is NAME_4.
    assert b.record["kolom"] == "NAME_4"
    assert b.record["fitur_di_luar_kota"] == len(NAMESAKES)
    assert "NAME_2=Lampung Timur" in b.notes[0] and "Sidomulyo" in b.notes[0]


def test_a_province_file_with_three_features_called_metro_is_matched_by_code_not_set_aside(
        metro_wilayah, real, tmp_path):
    # Black-box attack 10: Metro's 22 kelurahan and 40 namesakes elsewhere (columns name and code only). Three
    # features named like kelurahan Metro made the name column look like a column of cities, and every other
    # feature was set aside as "not the city's": 21 kelurahan "had no polygon" (exit 2).
    frame = real[["name", "code", "geometry"]]
    copies = []
    for i in range(40):
        copy = frame.iloc[[i % 22]].copy()
        copy["code"] = f"18.07.{i // 10 + 1:02d}.{2001 + i:04d}"
        copy["geometry"] = copy.geometry.translate(xoff=0.5 + 0.05 * i, yoff=0.4)
        copies.append(copy)
    path = tmp_path / "batas_provinsi.geojson"
    pd.concat([frame, *copies]).to_file(path, driver="GeoJSON")
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert b.record["fitur_di_luar_kota"] == 40 and b.record["fitur_dipakai"] == 22
    assert "code=18.07" in b.notes[0]


def test_gadm_bps_spellings_need_ejaan_lain(metro_wilayah, real, tmp_path):
    path = tmp_path / "gadm_metro.geojson"
    gadm_level4(real, namesakes=False).to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError) as error:
        boundaries.load_boundaries(path, minimal_wilayah(metro_wilayah))
    message = str(error.value)
    assert "gadm_metro.geojson" in message and "NAME_4='Sumbersari'" in message
    assert "Sumbersari Bantul (18.72.05.1003, Kec. Metro Selatan)" in message and "--boundaries" in message
    assert "Traceback" not in message


def test_wilkerstat_iddesa_is_read_as_bps_code(metro_wilayah, real, tmp_path):
    # iddesa 1872011002 is Rejomulyo for BPS, though 18.72.01.1002 is Hadimulyo Timur for Kemendagri.
    path = tmp_path / "batas_desa_wilkerstat.gpkg"
    wilkerstat(real, split=False).to_file(path, driver="GPKG")
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert b.record["kolom"] == "iddesa"


def test_wilkerstat_split_kdkec_kddesa(metro_wilayah, real, tmp_path):
    layer = wilkerstat(real, split=True)
    other = layer.iloc[[0, 1]].assign(kdkab="05", nmkab="LAMPUNG TENGAH")  # same codes, another regency
    other = other.set_geometry(other.geometry.translate(0.6, 0.2))
    path = tmp_path / "batas_desa_split.geojson"
    gpd.GeoDataFrame(pd.concat([other, layer], ignore_index=True), crs=layer.crs).to_file(path, driver="GeoJSON")
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert b.record["kolom"] == "kdkec+kddesa" and b.record["fitur_di_luar_kota"] == 2


def test_geoboundaries_kecamatan_only_draws_kecamatan_and_schematic_kelurahan(metro_wilayah, real_kecamatan, tmp_path):
    path = tmp_path / "geoBoundaries-IDN-ADM3.geojson"
    geoboundaries_adm3(real_kecamatan, neighbours=True).to_file(path, driver="GeoJSON")
    b = boundaries.load_boundaries(path, metro_wilayah)
    assert b.schematic_levels == {"kelurahan"} and not b.schematic
    assert b.record["tingkat_poligon"] == "kecamatan" and b.record["kolom"] == "shapeName"
    assert b.record["fitur_dipakai"] == 5 and b.record["fitur_di_luar_kota"] == 3 and b.record["skematis"]
    published = real_kecamatan.to_crs(boundaries.DRAW_CRS).set_index("code").geometry
    for code, geometry in zip(b.kecamatan["kode_kecamatan"], b.kecamatan.geometry):
        assert geometry.symmetric_difference(published[code]).area < 1e-6 * published[code].area
    assert b.kelurahan.crs is None and len(b.kelurahan) == 22  # the tiles
    outlines = b.kecamatan_outlines("kelurahan")
    assert outlines.crs is None and len(outlines) == 5
    assert any("poligon kelurahan" in note for note in b.notes)
    assert any("Metro Kibang" in note for note in b.notes)  # set aside by place, and said so


def test_swapped_latitude_and_longitude_are_swapped_back(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_latlon.geojson"
    write_swapped_geojson(real, path)
    b = boundaries.load_boundaries(path, metro_wilayah)
    _check_complete(b, metro_wilayah, real)
    assert "tertukar" in b.notes[0] and "batas_latlon.geojson" in b.notes[0]
    assert b.record["catatan"] == list(b.notes)


def test_swapped_utm_coordinates_are_swapped_back(metro_wilayah, real, tmp_path):
    utm = real.to_crs("EPSG:32748")
    path = tmp_path / "batas_utm_tertukar.gpkg"
    boundary_files.swap_axes(utm).to_file(path, driver="GPKG")
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_coordinates_outside_indonesia_name_the_file_and_the_crs(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_crs_salah.gpkg"
    real.set_crs("EPSG:32748", allow_override=True).to_file(path, driver="GPKG")  # degrees labelled as metres
    with pytest.raises(BoundaryError, match=r"batas_crs_salah\.gpkg.*di luar Indonesia.*CRS"):
        boundaries.load_boundaries(path, metro_wilayah)


def test_slivers_between_shrunk_kelurahan_are_closed(metro_wilayah, real, real_kecamatan, tmp_path):
    path = tmp_path / "batas_celah.geojson"
    shrunk(real, 5.0).to_file(path, driver="GeoJSON")
    b = boundaries.load_boundaries(path, metro_wilayah)
    assert set(b.kecamatan.geom_type) == {"Polygon"}  # one piece each, not 4-5 islands
    assert all(shapely.get_num_interior_rings(g) == 0 for g in b.kecamatan.geometry)
    published = real_kecamatan.to_crs(boundaries.DRAW_CRS).set_index("code").geometry
    for code, geometry in zip(b.kecamatan["kode_kecamatan"], b.kecamatan.geometry):
        assert abs(geometry.area - published[code].area) < 0.01 * published[code].area


def test_invalid_polygons_are_made_valid(metro_wilayah, real, tmp_path):
    broken = real.copy()
    ring = list(broken.geometry.iloc[0].exterior.coords)[:-1]
    third = len(ring) // 3
    twisted = ring[:third] + ring[third:2 * third][::-1] + ring[2 * third:]  # a ring crossing itself
    broken.loc[0, "geometry"] = shapely.Polygon(twisted)
    assert not broken.geometry.iloc[0].is_valid
    path = tmp_path / "batas_rusak.geojson"
    broken.to_file(path, driver="GeoJSON")
    b = boundaries.load_boundaries(path, metro_wilayah)
    assert b.kelurahan.is_valid.all() and b.kecamatan.is_valid.all()
    assert set(b.kelurahan.geom_type) <= {"Polygon", "MultiPolygon"}


def test_three_dimensional_and_split_features_are_drawn_in_two_dimensions(metro_wilayah, real, tmp_path):
    # GPS/CAD conversions write Z = 0 and split a kelurahan into two rows: the interactive map
    # crashed stage 2 ("too many values to unpack") on the third coordinate
    from kmc_analysis.coverage.interactive_map import svg_path

    halves = []
    for _, row in real.iterrows():
        box = row.geometry.bounds
        middle = (box[0] + box[2]) / 2
        for part in (shapely.box(box[0], box[1], middle, box[3]), shapely.box(middle, box[1], box[2], box[3])):
            piece = row.geometry.intersection(part)
            if not piece.is_empty:
                halves.append({**row.drop("geometry").to_dict(), "geometry": shapely.force_3d(piece)})
    split = gpd.GeoDataFrame(halves, geometry="geometry", crs=real.crs)
    assert split.has_z.all() and len(split) > len(real)
    path = tmp_path / "batas_3d.gpkg"
    split.to_file(path, driver="GPKG")
    b = boundaries.load_boundaries(path, metro_wilayah)
    assert len(b.kelurahan) == 22 and not b.kelurahan.has_z.any() and not b.kecamatan.has_z.any()
    assert svg_path(b.kelurahan.geometry.iloc[0], (0.0, 0.0)).startswith("M")


def test_minimal_wilayah_with_a_boundary_file_does_not_crash(metro_wilayah, real, tmp_path):
    # wilayah.csv with the required columns only used to crash (ArrowInvalid from an empty BPS lookup).
    wilayah = minimal_wilayah(metro_wilayah)
    for name, layer in (("batas_rbi.gpkg", big_rbi(real)), ("batas_mit.geojson", real)):
        path = tmp_path / name
        layer.to_file(path, driver="GPKG" if name.endswith(".gpkg") else "GeoJSON")
        _check_complete(boundaries.load_boundaries(path, wilayah), wilayah, real)


# --- Choosing the matching column ------------------------------------------------------------


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
    copy = gpd.GeoDataFrame({"KOTA": "Metro", "NAMOBJ": real["name"].replace(variants)}, geometry=real.geometry)
    path = tmp_path / "batas_nama.geojson"
    copy.to_file(path, driver="GeoJSON")
    matched = boundaries.match_features(gpd.read_file(path), metro_wilayah)
    assert set(matched["kolom"]) == {"NAMOBJ"}  # not KOTA, which says "Metro" on every row
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_a_column_saying_metro_never_captures_an_unmatched_feature(metro_wilayah, real, tmp_path):
    copy = gpd.GeoDataFrame({"KOTA": "Metro", "KECAMATAN": real["kecamatan"], "NAMOBJ": real["name"]},
                            geometry=real.geometry)
    copy.loc[copy["NAMOBJ"] == "Metro", "NAMOBJ"] = "Kampung Tengah"  # Metro kelurahan's polygon, unknown name
    with pytest.raises(BoundaryError) as error:
        boundaries.load_boundaries(_written(copy, tmp_path / "batas_kota.geojson"), metro_wilayah)
    message = str(error.value)
    assert "NAMOBJ='Kampung Tengah'" in message and "Metro (18.72.01.1001, Kec. Metro Pusat)" in message


def _written(frame: gpd.GeoDataFrame, path):
    frame.set_crs("EPSG:4326", allow_override=True).to_file(path, driver="GeoJSON")
    return path


def test_same_named_features_without_a_region_column_are_refused(metro_wilayah, real, tmp_path):
    copy = gpd.GeoDataFrame({"nama": real["name"]}, geometry=real.geometry, crs=real.crs)
    twin = copy[copy["nama"] == "Margorejo"]
    twin = twin.set_geometry(twin.geometry.translate(0.004, 0.0))  # overlapping the city: not set aside by place
    path = _written(pd.concat([copy, twin], ignore_index=True), tmp_path / "batas_kembar.geojson")
    with pytest.raises(BoundaryError, match=r"2 fitur sama-sama bernama Margorejo \(18\.72\.05\.1002"):
        boundaries.load_boundaries(path, metro_wilayah)


def test_zipped_shapefile(metro_wilayah, real, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    real[["code", "name", "geometry"]].to_file(folder / "kelurahan.shp")
    archive = tmp_path / "batas_metro.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in sorted(folder.iterdir()):
            z.write(part, f"data/{part.name}")
    _check_complete(boundaries.load_boundaries(archive, metro_wilayah), metro_wilayah, real)


# --- Errors a user sees ----------------------------------------------------------------------


def test_missing_kelurahan_is_named_with_the_file(metro_wilayah, real, tmp_path):
    path = tmp_path / "batas_kurang.geojson"
    real[real["name"] != "Imopuro"].to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError) as error:
        boundaries.load_boundaries(path, metro_wilayah)
    message = str(error.value)
    assert "batas_kurang.geojson" in message and "Imopuro (18.72.01.1003" in message
    assert "--boundaries" in message


def test_unmatched_feature_inside_the_city_is_listed(metro_wilayah, real, tmp_path):
    extra = real.iloc[[0]].assign(name="Kampung Baru", code="", bps_code="", name_bps="")
    path = tmp_path / "batas_lebih.geojson"
    pd.concat([real, extra]).to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=r"1 fitur tidak cocok.*fitur ke-23 \(name='Kampung Baru'"):
        boundaries.load_boundaries(path, metro_wilayah)


def test_geopackage_layer_with_kelurahan_is_chosen(metro_wilayah, real, real_kecamatan, tmp_path):
    path = tmp_path / "batas_dua_layer.gpkg"
    real_kecamatan.to_file(path, layer="a_kecamatan", driver="GPKG")
    real.to_file(path, layer="b_kelurahan", driver="GPKG")
    _check_complete(boundaries.load_boundaries(path, metro_wilayah), metro_wilayah, real)


def test_unreadable_and_unsupported_files(metro_wilayah, tmp_path):
    broken = tmp_path / "batas.geojson"
    broken.write_text("{ not json")
    with pytest.raises(BoundaryError, match="tidak dapat dibuka"):
        boundaries.load_boundaries(broken, metro_wilayah)
    zero = tmp_path / "kosong.geojson"
    zero.write_bytes(b"")
    with pytest.raises(BoundaryError, match=r"kosong\.geojson' tidak dapat dibuka \(berkasnya kosong, 0 byte") as error:
        boundaries.load_boundaries(zero, metro_wilayah)
    assert "not recognized" not in str(error.value)  # GDAL's English stays out of the sentence
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
    tiles = boundaries.boundaries_for_run(tmp_path / "kosong", "", metro_wilayah)
    assert tiles.schematic and tiles.record["skematis"] and tiles.record["path"] is None


# --- Schematic tiles ---------------------------------------------------------------------------


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


# --- Through stage 2 and the whole run -------------------------------------------------------


def _minimal_reference(metro_wilayah, real, folder):
    """RAW/reference with a wilayah.csv of the required columns only and a BIG/RBI boundary file."""
    folder.mkdir(parents=True, exist_ok=True)
    minimal_wilayah(metro_wilayah).to_csv(folder / "wilayah.csv", index=False)
    big_rbi(real).to_file(folder / "batas_rbi.gpkg", driver="GPKG")
    return folder


def test_minimal_wilayah_and_boundary_file_through_stage_2(metro_wilayah, real, metro_rekap, tmp_path):
    from kmc_analysis.core import store
    from kmc_analysis.core.periods import Period
    from kmc_analysis.core.reference import load_reference
    from kmc_analysis.coverage import maps
    from kmc_analysis.coverage.geopackage import write_coverage_gpkg
    from kmc_analysis.coverage.interactive_map import write_interactive_map

    reference = _minimal_reference(metro_wilayah, real, tmp_path / "raw" / "reference")
    ref = load_reference(reference)
    assert set(ref.wilayah["kode_bps_kelurahan"]) == {""} and set(ref.wilayah["ejaan_lain"]) == {""}
    b = boundaries.boundaries_for_run(reference, "", ref.wilayah)
    processed, reports, period = tmp_path / "processed", tmp_path / "reports", Period(2024, 3)
    store.write_manifest(processed, {"period": str(period), "boundaries": None, "key_id": "x"})
    store.update_manifest(processed, boundaries=b.record)
    kec, kel = metro_rekap
    assert set(maps.write_coverage_maps(b, kec, kel, reports, period=period)) == {"kecamatan", "kelurahan"}
    assert write_interactive_map(b, kec, kel, reports, period=period).is_file()
    gpkg = write_coverage_gpkg(b, kec, kel, processed / store.CAKUPAN_GPKG, period=period)
    manifest = store.read_manifest(processed)
    assert list(manifest) == ["period", "boundaries", "key_id"]  # the key is filled in where stage 1 put it
    assert manifest["boundaries"]["kolom"] == "KDEPUM" and manifest["boundaries"]["path"].endswith("batas_rbi.gpkg")
    placed = gpd.read_file(gpkg, layer="kelurahan").set_index("kode_kelurahan").to_crs(boundaries.DRAW_CRS)
    truth = real.set_index("code").to_crs(boundaries.DRAW_CRS)
    assert (placed.centroid.distance(truth.centroid.reindex(placed.index)) < 5).all()  # metres


@pytest.mark.slow
def test_minimal_wilayah_and_boundary_file_through_kmc_run(metro_wilayah, real, tmp_path):
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from kmc_analysis.core.periods import Period
    from kmc_analysis.core.store import peta_interaktif_html
    from kmc_analysis.synth import synthesize

    project = Path(__file__).resolve().parents[1]
    shutil.copytree(project / "notebooks", tmp_path / "notebooks")
    synthesize(Period(2024, 3), tmp_path / "data" / "raw", rows=300, seed=5)
    _minimal_reference(metro_wilayah, real, tmp_path / "data" / "raw" / "reference")
    result = subprocess.run([sys.executable, "-m", "kmc_analysis", "run", "--period", "2024-03"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "data" / "processed" / "2024-03" / "manifest.json").read_text())
    assert manifest["boundaries"]["kolom"] == "KDEPUM" and len(manifest["boundaries"]["sha256"]) == 64
    assert manifest["boundaries"]["fitur_dipakai"] == 22 and manifest["boundaries"]["skematis"] is False
    assert (tmp_path / "reports" / "2024-03" / peta_interaktif_html(Period(2024, 3))).is_file()


def test_run_stops_before_stage_1_on_a_corrupt_boundary_file(tmp_path):
    from kmc_analysis.core.errors import InputError
    from kmc_analysis.preflight import check_inputs

    (tmp_path / "raw" / "opd" / "2024-03").mkdir(parents=True)
    (tmp_path / "raw" / "opd" / "2024-03" / "dinsos.csv").write_text("NIK,Nama\n")
    (tmp_path / "raw" / "reference").mkdir()
    (tmp_path / "raw" / "reference" / "batas_kelurahan.geojson").write_text('{"type": "FeatureCollection", "feat')
    with pytest.raises(InputError, match=r"batas_kelurahan\.geojson.*tidak dapat dibuka"):
        check_inputs("2024-03", tmp_path / "raw", tmp_path / "processed", tmp_path / "reports", 5, None)
    assert not (tmp_path / "processed").exists()
