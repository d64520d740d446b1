"""Reading OPD files: header detection, synonyms, encodings, provenance, bad files."""

import shutil
from pathlib import Path

import pytest

from kmc_analysis.clean.ingest import (
    COLUMN_SYNONYMS,
    HEADER_LOOKUP,
    header_key,
    read_submissions,
)
from kmc_analysis.core.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "opd"


def month_with(tmp_path, *names):
    """A raw dir whose opd/2024-03 holds copies of the named fixtures."""
    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    return folder, tmp_path / "raw"


def test_header_on_row_6_below_titles_and_an_instructions_sheet(tmp_path):
    result = read_submissions(*month_with(tmp_path, "header_on_row_6.xlsx"))
    rows = result.rows
    assert rows["sumber_baris"].tolist() == [7, 9]          # row 8 is blank, row 10 the JUMLAH row
    assert rows["sumber_sheet"].unique().tolist() == ["Beasiswa SD"]
    assert rows["nik"].tolist() == ["1872011504900001", "1872025708100002"]
    assert rows["nominal"].tolist() == ["750000", "Rp 750.000"]
    assert result.skipped_rows == [{"path": "opd/2024-03/header_on_row_6.xlsx", "sheet": "Beasiswa SD",
                                    "row": 10, "kind": "jumlah"}]
    assert result.skipped_sheets == [{"path": "opd/2024-03/header_on_row_6.xlsx", "sheet": "Petunjuk",
                                      "reason": "tidak ada baris judul kolom yang dikenali"}]
    assert result.inputs[0]["path"] == "opd/2024-03/header_on_row_6.xlsx"
    assert result.inputs[0]["rows_read"] == 2
    assert len(result.inputs[0]["sha256"]) == 64


def test_nik_number_cell_keeps_all_sixteen_digits(tmp_path):
    rows = read_submissions(*month_with(tmp_path, "nik_scientific.xlsx")).rows
    assert rows["nik"].tolist() == ["1872011504900001", "1.87201E+15", "1872.0115.0490.0003", "'1872011504900004"]
    assert rows["nominal"].tolist() == ["750000", "750000", "750000", "1,500,000"]
    assert rows["kelurahan"].tolist() == ["Metro"] * 4


def test_semicolon_cp1252_csv_with_title_and_blank_lines(tmp_path):
    rows = read_submissions(*month_with(tmp_path, "semicolon_cp1252.csv")).rows
    assert rows["sumber_baris"].tolist() == [4, 6]
    assert rows["nama"].tolist() == ["Siti Aminah", "Andr\u00e9 Wijaya"]
    assert rows["nominal"].tolist() == ["Rp1.500.000,00", "Rp. 1.500.000,-"]
    assert rows["kelurahan"].tolist()[0] == "Ganjarsari"
    assert rows["sumber_sheet"].tolist() == ["semicolon_cp1252"] * 2


def test_comma_utf8_bom_csv_with_synonyms(tmp_path):
    rows = read_submissions(*month_with(tmp_path, "comma_bom_utf8.csv")).rows
    assert rows["nik"].tolist() == ["1872011504900001", "1872011504900002"]
    assert rows["kode_bantuan"].tolist() == ["KMC-002", "KMC-002"]
    assert rows["nominal"].tolist() == ["1,500,000", "475000"]
    assert rows["tanggal_salur"].tolist() == ["2024-03-04", "2024-03-04"]
    assert rows["sumber_baris"].tolist() == [2, 3]


def test_csv_rows_with_missing_trailing_cells_are_kept(tmp_path):
    folder, raw = month_with(tmp_path)
    (folder / "short_rows.csv").write_text("NIK,Nama,Kel,Program,Nominal\n1872011504900001,Siti,Metro\n\n"
                                           '1872011504900002,Budi,Metro,"Beasiswa SD",750000\n')
    rows = read_submissions(folder, raw).rows
    assert rows["sumber_baris"].tolist() == [2, 4]
    assert rows["nominal"].tolist() == ["", "750000"]
    assert rows["nama_bantuan"].tolist() == ["", "Beasiswa SD"]


def test_csv_row_with_extra_cells_is_bad_input(tmp_path):
    folder, raw = month_with(tmp_path)
    (folder / "extra.csv").write_text("NIK,Nama,Kel,Program,Nominal\n1872011504900001,Siti,Metro,Beasiswa SD,"
                                      "Rp 1,500,000\n")
    with pytest.raises(InputError, match="'extra.csv': baris 2 berisi 7 sel, padahal baris judul kolom hanya 5"):
        read_submissions(folder, raw)


def test_files_are_read_in_plain_name_order(tmp_path):
    result = read_submissions(*month_with(tmp_path, "semicolon_cp1252.csv", "comma_bom_utf8.csv",
                                          "nik_scientific.xlsx"))
    assert [i["path"].rsplit("/", 1)[1] for i in result.inputs] == [
        "comma_bom_utf8.csv", "nik_scientific.xlsx", "semicolon_cp1252.csv"]


@pytest.mark.parametrize(
    ("fixture", "words"),
    [
        ("missing_nominal_column.xlsx", ["missing_nominal_column.xlsx", "sheet 'BNBA'", "Nominal", "Nilai Bantuan",
                                         "Tambahkan kolom"]),
        ("corrupt.xlsx", ["corrupt.xlsx", "tidak dapat dibuka", "simpan lagi", "--skip-unreadable"]),
        ("instructions_only.xlsx", ["instructions_only.xlsx", "tidak ada sheet yang memuat daftar penerima"]),
    ],
)
def test_bad_files_stop_with_a_sentence_naming_them(tmp_path, fixture, words):
    with pytest.raises(InputError) as error:
        read_submissions(*month_with(tmp_path, "nik_scientific.xlsx", fixture))
    for word in words:
        assert word in str(error.value)


def test_skip_unreadable_records_bad_files_and_reads_the_rest(tmp_path):
    result = read_submissions(*month_with(tmp_path, "nik_scientific.xlsx", "corrupt.xlsx",
                                          "missing_nominal_column.xlsx"), skip_unreadable=True)
    assert len(result.rows) == 4
    rejected = {(r["path"].rsplit("/", 1)[-1], r["sheet"]) for r in result.rejected_files}
    assert rejected == {("corrupt.xlsx", ""), ("missing_nominal_column.xlsx", "BNBA")}


def test_a_file_that_cannot_be_read_is_rejected_and_not_listed_as_an_input(tmp_path, monkeypatch):
    # with --skip-unreadable a chmod-000 file was in inputs with an empty sha256 (check_outputs failed)
    import kmc_analysis.clean.ingest as ingest

    folder, raw = month_with(tmp_path, "nik_scientific.xlsx", "comma_bom_utf8.csv")
    real = ingest._read_bytes

    def read_bytes(path):
        if path.name == "comma_bom_utf8.csv":
            raise InputError(f"Berkas '{path.name}' tidak dapat dibaca: izin ditolak.")
        return real(path)

    monkeypatch.setattr(ingest, "_read_bytes", read_bytes)
    result = read_submissions(folder, raw, skip_unreadable=True)
    assert [r["path"].rsplit("/", 1)[-1] for r in result.rejected_files] == ["comma_bom_utf8.csv"]
    assert [e["path"].rsplit("/", 1)[-1] for e in result.inputs] == ["nik_scientific.xlsx"]
    assert all(e["sha256"] for e in result.inputs)


def test_missing_period_folder_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="tidak ada"):
        read_submissions(tmp_path / "opd" / "2030-01", tmp_path)


def test_other_files_and_excel_lock_files_are_ignored(tmp_path):
    folder, raw = month_with(tmp_path, "comma_bom_utf8.csv")
    (folder / "~$lock.xlsx").write_bytes(b"lock")
    (folder / "surat pengantar.pdf").write_bytes(b"%PDF")
    result = read_submissions(folder, raw)
    assert result.ignored_files == ["surat pengantar.pdf", "~$lock.xlsx"]


@pytest.mark.parametrize("header", ["No. NIK", "NOMOR_NIK", "nik ktp", "Jumlah (Rp)", "Desa/Kelurahan", "Tgl. Salur"])
def test_header_matching_ignores_case_spaces_dots_underscores(header):
    assert header_key(header) in HEADER_LOOKUP


def test_every_contract_synonym_is_known():
    contract = {
        "nik": ["NIK", "No NIK", "Nomor NIK", "No KTP", "NIK KTP", "Nomor Induk Kependudukan"],
        "nama": ["Nama", "Nama Lengkap", "Nama Penerima"],
        "kelurahan": ["Kelurahan", "Kel", "Desa/Kelurahan"], "kecamatan": ["Kecamatan", "Kec"],
        "kode_bantuan": ["Kode Bantuan", "Kode Program"],
        "nama_bantuan": ["Jenis Bantuan", "Nama Bantuan", "Program"],
        "nominal": ["Nominal", "Jumlah", "Nilai Bantuan", "Besaran", "Jumlah (Rp)"],
        "tanggal_salur": ["Tanggal Penyaluran", "Tgl Salur", "Tanggal"],
    }
    for column, headers in contract.items():
        assert {HEADER_LOOKUP[header_key(h)] for h in headers} == {column}
    assert set(contract) <= set(COLUMN_SYNONYMS)


@pytest.mark.parametrize("few", [0, 3, 5_000])
def test_a_row_filled_only_in_its_last_column_is_kept_and_blank_rows_dropped(monkeypatch, few):
    import numpy as np
    import pandas as pd

    from kmc_analysis.clean import ingest

    monkeypatch.setattr(ingest, "_FEW_BLANK_ROWS", few)
    first = ["1", "", "", " ", "", "\u00a0", "2", ""]
    middle = ["", "", "x", "", "", "", "", ""]
    last = ["", "y", "", "\t", "", "", "", "z"]
    frame = pd.DataFrame({"no": first, "nama": middle, "catatan": last}, dtype="str")
    kept = ingest._non_empty_rows(frame)
    assert kept.tolist() == [True, True, True, False, False, False, True, True]
    assert kept.dtype == np.bool_


def test_a_csv_whose_reading_threads_the_machine_refuses_is_not_blamed(tmp_path, monkeypatch):
    # Under a tight `ulimit -u` pyarrow failed to launch its worker threads, and the valid CSV file was
    # reported as unreadable with the advice to save it again (exit 2): the limit must be told instead.
    import pyarrow.csv

    from kmc_analysis.core.errors import stopped_by_task_limit

    def refused(*args, **kwargs):
        raise pyarrow.ArrowException("Unknown error: Failed to launch worker thread: Resource temporarily unavailable")

    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    (folder / "dinsos.csv").write_text("NIK,Nama,Kelurahan,Kode Bantuan,Nominal\n"
                                       "1872011504900001,Ani,Metro,KMC-001,1\n")
    monkeypatch.setattr(pyarrow.csv, "read_csv", refused)
    with pytest.raises(pyarrow.ArrowException) as raised:
        read_submissions(folder, tmp_path / "raw", skip_unreadable=True)
    assert stopped_by_task_limit(raised.value)
