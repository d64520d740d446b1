"""Tests for kmc_analysis.core.store: the one CSV writer, the readers and the JSON files."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kmc_analysis.core import store
from kmc_analysis.core.errors import InputError, StageError


def rekap_opd(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({
        "opd": ["Dinas Sosial", "=cmd|' /C calc'!A0"], "program_katalog": [3, 0], "program_terisi": [2, 0],
        "kelengkapan_persen": [66.67, np.nan], "baris_dibaca": [10, 0], "baris_diterima": [9, 0],
        "baris_karantina": [1, 0], "persen_valid": [90.0, np.nan],
    })
    return frame.assign(**changes)


def test_csv_is_utf8_lf_formula_safe_and_keeps_pandas_floats_by_default(tmp_path):
    path = store.write_table(tmp_path, store.REKAP_OPD, rekap_opd())
    data = path.read_bytes()
    assert path.name == "rekap_opd.csv" and not data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data
    assert data.decode("utf-8").splitlines() == [
        "opd,program_katalog,program_terisi,kelengkapan_persen,baris_dibaca,baris_diterima,baris_karantina,persen_valid",
        "Dinas Sosial,3,2,66.67,10,9,1,90.0",
        "'=cmd|' /C calc'!A0,0,0,,0,0,0,",
    ]


def test_only_karantina_carries_a_byte_order_mark_and_keeps_its_original_cells(tmp_path):
    rows = pd.DataFrame({"sumber_file": ["a.csv"], "sumber_sheet": ["a"], "sumber_baris": [2],
                         "alasan": ["nik_kosong"], "Nama": ["@Siti"]})
    data = store.write_table(tmp_path, store.KARANTINA, rows).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").splitlines()[1] == "a.csv,a,2,nik_kosong,'@Siti"


def test_declared_decimals_two_and_up_to_six(tmp_path):
    kec = pd.DataFrame({"kode_kecamatan": ["18.72.01"], "kecamatan": ["Metro Pusat"],
                        "penduduk": pd.array([3000], dtype="Int64"), "penerima_unik": [2],
                        "penerima_per_1000": [0.6666], "jumlah_penyaluran": [4], "nilai_total": [700],
                        "program_aktif": [3]})
    line = store.write_table(tmp_path, store.REKAP_KECAMATAN, kec).read_text().splitlines()[1]
    assert line == "18.72.01,Metro Pusat,3000,2,0.67,4,700,3"
    rpjmd = pd.DataFrame({"kode_indikator": ["IKU-01", "IKU-02"], "indikator": ["a", "b"], "satuan": ["%", "%"],
                          "polaritas": ["positif", "negatif"], "tahun": [2024, 2024], "target": [7.5, 100.0],
                          "realisasi": [0.1234567, np.nan], "capaian_persen": [-0.0, np.nan],
                          "predikat": ["Sangat Rendah", ""], "target_periode": [1.875, 100.0],
                          "status_penilaian": ["sementara", ""]})
    lines = store.write_table(tmp_path, store.EVALUASI_RPJMD, rpjmd).read_text().splitlines()
    assert lines[1:] == ["IKU-01,a,%,positif,2024,7.5,0.123457,0.00,Sangat Rendah,1.875,sementara",
                         "IKU-02,b,%,negatif,2024,100,,,,100,"]


def test_undeclared_columns_are_refused(tmp_path):
    with pytest.raises(StageError, match="tidak sama dengan kolom yang ditetapkan"):
        store.write_table(tmp_path, store.REKAP_OPD, rekap_opd().drop(columns="persen_valid"))
    with pytest.raises(StageError, match="tidak sama dengan kolom yang ditetapkan"):
        store.write_table(tmp_path, store.REKAP_OPD, rekap_opd(extra=1))


def test_readers_read_only_the_columns_asked_for_with_their_dtypes(tmp_path):
    store.write_table(tmp_path, store.REKAP_OPD, rekap_opd())
    read = store.read_table(tmp_path, store.REKAP_OPD, columns=["opd", "baris_dibaca", "persen_valid"])
    assert list(read.columns) == ["opd", "baris_dibaca", "persen_valid"]
    assert read["baris_dibaca"].dtype == "int64" and read["persen_valid"].dtype == "float64"
    assert read["opd"].tolist() == ["Dinas Sosial", "'=cmd|' /C calc'!A0"]
    whole = store.read_table(tmp_path, store.REKAP_OPD)
    assert list(whole.columns) == store.REKAP_OPD.column_names and np.isnan(whole["kelengkapan_persen"].iloc[1])


def test_parquet_round_trip_with_columns(tmp_path):
    penerima = pd.DataFrame({column: ["x"] for column in store.PENERIMA.column_names})
    penerima = penerima.assign(nominal=np.int64(5), sumber_baris=np.int64(2),
                               tanggal_salur=pd.Series(["2024-03-01"], dtype="datetime64[s]"))
    store.write_table(tmp_path, store.PENERIMA, penerima)
    read = store.read_table(tmp_path, store.PENERIMA, columns=["id_penerima", "nominal"])
    assert list(read.columns) == ["id_penerima", "nominal"] and read["nominal"].tolist() == [5]
    with pytest.raises(StageError, match="tidak memuat kolom kode_desa"):
        store.read_table(tmp_path, store.PENERIMA, columns=["kode_desa"])


def as_pairs(frame: pd.DataFrame) -> set[tuple]:
    return set(map(tuple, frame.fillna("(kosong)").to_numpy()))


def test_distinct_rows_are_read_in_arrow_as_pandas_would_drop_duplicates(tmp_path):
    files, opds = ["a.csv", "a.csv", "b.xlsx", "a.csv", "b.xlsx"], ["Dinas Sosial", "Dinsos", "Dinkes", "Dinsos", None]
    penerima = pd.DataFrame({column: ["x"] * 5 for column in store.PENERIMA.column_names})
    penerima = penerima.assign(sumber_file=files, opd=opds, nominal=np.int64(5), sumber_baris=np.int64(2),
                               tanggal_salur=pd.Series(["2024-03-01"] * 5, dtype="datetime64[s]"))
    store.write_table(tmp_path, store.PENERIMA, penerima)
    distinct = store.read_distinct(tmp_path, store.PENERIMA, ["sumber_file", "opd"])
    expected = penerima[["sumber_file", "opd"]].drop_duplicates()
    assert len(distinct) == len(expected) == 4 and as_pairs(distinct) == as_pairs(expected)
    assert list(distinct.columns) == ["sumber_file", "opd"] and distinct["opd"].dtype == "str"
    assert store.read_distinct(tmp_path / "elsewhere", store.PENERIMA, ["opd"]) is None
    # Above a million rows the parquet has several row groups, each with its own dictionary: the 5M-row
    # benchmark's stage 4 stopped on "Unifying differing dictionaries". Written here two rows a group.
    pq.write_table(pa.Table.from_pandas(penerima, preserve_index=False), tmp_path / store.PENERIMA.name,
                   row_group_size=2)
    assert pq.ParquetFile(tmp_path / store.PENERIMA.name).num_row_groups == 3
    distinct = store.read_distinct(tmp_path, store.PENERIMA, ["sumber_file", "opd"])
    assert len(distinct) == 4 and as_pairs(distinct) == as_pairs(expected)
    with pytest.raises(StageError, match="tidak memuat kolom kode_desa"):
        store.read_distinct(tmp_path, store.PENERIMA, ["kode_desa"])


def test_missing_tables_columns_and_bad_numbers_are_named(tmp_path):
    with pytest.raises(InputError, match="tahap 1"):
        store.read_table(tmp_path, store.PENERIMA)
    assert store.read_table(tmp_path, store.REKAP_KECAMATAN, missing_ok=True) is None
    store.write_table(tmp_path, store.REKAP_OPD, rekap_opd())
    with pytest.raises(StageError, match="tidak memuat kolom baris_salah"):
        store.read_table(tmp_path, store.REKAP_OPD, columns=["opd", "baris_salah"])
    path = tmp_path / store.REKAP_OPD.name
    path.write_text(path.read_text().replace(",10,", ",sepuluh,"))
    with pytest.raises(StageError, match="baris_dibaca: 'sepuluh' bukan angka"):
        store.read_table(tmp_path, store.REKAP_OPD)
    store.remove(tmp_path, store.REKAP_OPD)
    assert not store.has(tmp_path, store.REKAP_OPD)


def test_manifest_and_report_summary(tmp_path):
    store.write_manifest(tmp_path, {"period": "2024-03", "counts": {"rows_read": 3}, "stages": []})
    store.record_stages(tmp_path, [{"name": "01_clean_opd_data", "seconds": 1.5}], "2024-03-31T10:00:00+00:00")
    manifest = store.read_manifest(tmp_path)
    assert store.has_manifest(tmp_path) and list(manifest) == ["period", "counts", "stages", "finished"]
    assert manifest["stages"][0]["seconds"] == 1.5
    assert store.read_report_summary(tmp_path) is None
    path = store.write_report_summary(tmp_path, {"penerima_unik": 3, "period": "2024-03"})
    assert path.read_text().endswith("}\n") and list(json.loads(path.read_text())) == ["penerima_unik", "period"]
    assert store.read_report_summary(tmp_path) == {"penerima_unik": 3, "period": "2024-03"}


def test_a_later_stage_adds_its_manifest_key_without_losing_or_reordering_the_others(tmp_path):
    store.write_manifest(tmp_path, {"period": "2024-03", "boundaries": None, "key_id": "abc"})
    record = {"path": "batas.gpkg", "sha256": "0" * 64, "kolom": "KDEPUM"}
    assert store.update_manifest(tmp_path, boundaries=record)["boundaries"] == record
    manifest = store.read_manifest(tmp_path)
    assert list(manifest) == ["period", "boundaries", "key_id"] and manifest["boundaries"] == record
    with pytest.raises(InputError, match="manifest.json tidak ada: jalankan tahap 1"):
        store.update_manifest(tmp_path / "2024-04", boundaries=record)


def test_report_file_names():
    from kmc_analysis.core.periods import Period

    assert store.laporan_html(Period(2024, 3)) == "laporan_kmc_2024-03.html"
    assert store.laporan_xlsx(Period(2024, 3)) == "laporan_kmc_2024-03.xlsx"
    assert store.peta_interaktif_html(Period(2024, 3)) == "peta_interaktif_2024-03.html"
    assert {table.name for table in (store.REKAP_OPD, store.TREN_RPJMD)} == {"rekap_opd.csv", "tren_rpjmd.csv"}
    assert "proyeksi_2026" in store.TREN_RPJMD.columns
