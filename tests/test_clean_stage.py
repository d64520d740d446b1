"""Stage 1 in one call: the round trip with an OPD, review flags and the DTKS check reach the OPD.

These tests go through `clean_month` as `kmc run` does: the feedback workbook the stage
writes is edited the way a clerk edits it (openpyxl, the `Perbaikan` sheet only) and put
back into the month's folder.
"""

import json

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from kmc_analysis.clean.stage import PERLU_VERIFIKASI_DTKS, clean_month, rows_to_check
from kmc_analysis.core import store
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period

MARET = Period(2024, 3)
HEADER = ["No", "NIK", "Nama Lengkap", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nominal"]
# KMC-001 (Beasiswa Siswa SD Kurang Mampu, Disdikbud) is a poor-targeted program for ages 6-25.
SUBMISSION = [
    HEADER,
    ["1", "1872011504150001", "Siti Aminah", "Metro", "Metro Pusat", "KMC-001", "750000"],    # accepted, age 8
    ["2", "1872011504150002", "", "Metro", "Metro Pusat", "KMC-001", "750000"],               # nama_kosong
    ["3", "1872015504150003", "", "Metro", "Metro Pusat", "KMC-001", "750000"],               # nama_kosong
    ["4", "1872011504500004", "Mbah Karto", "Metro", "Metro Pusat", "KMC-001", "750000"],     # age 73: review
    ["5", "1872011504150005", "Dewi", "Antah", "Metro Pusat", "KMC-001", "750000"],           # wilayah
]


def write_submission(folder, rows=SUBMISSION):
    folder.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "BNBA"
    for row in rows:
        sheet.append(row)
    book.save(folder / "BNBA Disdikbud Maret 2024.xlsx")


def run_stage_one(tmp_path, reference):
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    return clean_month(paths, reference)


def feedback_path(result, opd="Dinas Pendidikan dan Kebudayaan"):
    return result.folder / store.UMPAN_BALIK / store.feedback_file_names([opd], MARET)[opd]


def test_a_full_round_trip_with_the_opd_accepts_the_corrected_rows(tmp_path, reference):
    opd_folder = tmp_path / "raw" / "opd" / "2024-03"
    write_submission(opd_folder)
    first = run_stage_one(tmp_path, reference)
    assert first.manifest["counts"]["rows_quarantined"] == 3

    # The clerk opens the workbook, types the two missing names in the Perbaikan sheet and saves it.
    returned = opd_folder / "umpan_balik_disdikbud_dikoreksi.xlsx"
    book = load_workbook(feedback_path(first))
    sheet = book["Perbaikan"]
    header_row = next(row for row in sheet.iter_rows() if row[0].value == "File")
    name_column = next(cell.column for cell in header_row if cell.value == "Nama Lengkap")
    row_column = next(cell.column for cell in header_row if cell.value == "Baris")
    fixed = {3: "Budi Santoso", 4: "Ani Lestari"}
    for row in sheet.iter_rows(min_row=header_row[0].row + 1):
        excel_row = row[row_column - 1].value
        if excel_row in fixed:
            row[name_column - 1].value = fixed[excel_row]
    book.save(returned)

    second = run_stage_one(tmp_path, reference)
    counts = second.manifest["counts"]
    assert counts["rows_read"] == first.manifest["counts"]["rows_read"] == 5
    assert counts["rows_quarantined"] == 1 and counts["quarantine_by_reason"] == {"wilayah_tidak_dikenal": 1}
    accepted = second.penerima.set_index("sumber_baris")
    assert accepted.loc[[3, 4], "nama"].tolist() == ["Budi Santoso", "Ani Lestari"]
    assert set(accepted["sumber_file"]) == {"BNBA Disdikbud Maret 2024.xlsx"}  # provenance stays the original
    [applied] = second.manifest["corrections"]
    assert applied["path"].endswith("umpan_balik_disdikbud_dikoreksi.xlsx")
    assert applied["applied"] == 2 and applied["unchanged"] == 1


def test_a_month_whose_files_hold_no_data_row_stops_instead_of_publishing_nobody(tmp_path, reference):
    # Black-box attack 11: one OPD file with its header only gave exit 0 and an all-zero report.
    write_submission(tmp_path / "raw" / "opd" / str(MARET), [HEADER, ["JUMLAH", "", "", "", "", "", "0"]])
    with pytest.raises(InputError, match=r"periode 2024-03 \(1 berkas dibaca, .*tidak memuat satu baris data pun"):
        run_stage_one(tmp_path, reference)
    assert not (tmp_path / "processed" / str(MARET)).exists()
    # an earlier month read only for the year's running totals is cleaned anyway (a recheck: an empty January
    # stopped every later month of the year)
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    assert clean_month(paths, reference, allow_no_rows=True).manifest["counts"]["rows_read"] == 0


def test_review_flags_are_written_to_tinjauan_and_sent_to_the_opd_to_check(tmp_path, reference):
    write_submission(tmp_path / "raw" / "opd" / "2024-03")
    result = run_stage_one(tmp_path, reference)
    tinjauan = store.read_table(result.folder, store.TINJAUAN)
    assert tinjauan[["sumber_baris", "tanda"]].values.tolist() == [[5, "usia_di_luar_sasaran"]]
    assert result.manifest["counts"]["rows_accepted"] == 2  # flags never quarantine

    check = pd.DataFrame(load_workbook(feedback_path(result))["Perlu Dicek"].values)
    texts = " ".join(str(v) for v in check.to_numpy().ravel() if v is not None)
    assert "Mbah Karto" in texts and "usia" in texts.lower()
    assert "Siti Aminah" not in texts  # nothing to check on her row


def test_recipients_of_poor_targeted_programs_not_in_dtks_are_named_to_their_opd_only(tmp_path, reference):
    write_submission(tmp_path / "raw" / "opd" / "2024-03")
    dtks = tmp_path / "raw" / "dtks"
    dtks.mkdir(parents=True)
    # Siti Aminah is in DTKS; Mbah Karto is not (and another poor person never reached).
    (dtks / "dtks_2024-03.csv").write_text(
        "NOMOR KK|NOMOR NIK|NAMA|KECAMATAN|DESA/KELURAHAN\n"
        "1872010101100001|1872011504150001|SITI AMINAH|METRO PUSAT|METRO\n"
        "1872010101100002|1872016208700009|SUMIATI|METRO PUSAT|METRO\n", encoding="utf-8")
    result = run_stage_one(tmp_path, reference)

    check = pd.DataFrame(load_workbook(feedback_path(result))["Perlu Dicek"].values)
    by_row = {str(v) for v in check.to_numpy().ravel() if v is not None}
    texts = " ".join(by_row)
    assert "Mbah Karto" in texts and PERLU_VERIFIKASI_DTKS.split(":")[0] in texts
    assert "SUMIATI" not in texts and "1872016208700009" not in texts  # nothing of DTKS itself
    written = [p for p in result.folder.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".parquet")]
    for path in written:
        assert b"1872016208700009" not in path.read_bytes() and b"SUMIATI" not in path.read_bytes(), path.name
    manifest = json.dumps(result.manifest)
    assert "SUMIATI" not in manifest and "1872016208700009" not in manifest


def test_rows_to_check_taken_by_position_equal_those_matched_by_provenance():
    accepted = pd.DataFrame({
        "sumber_file": ["a.csv", "a.csv", "b.xlsx", "b.xlsx"], "sumber_sheet": ["a", "a", "BNBA", "BNBA"],
        "sumber_baris": [2, 3, 7, 9], "opd": ["Dinas Sosial"] * 2 + ["Dinas Kesehatan"] * 2,
        "nik": ["1872011504900001", "1872011504900002", "1872011504900003", "1872011504900004"],
        "nama": ["Siti", "Budi", "Ani", "Joko"], "kode_bantuan": ["A", "B", "C", "D"],
        "nominal": pd.array([100_000, 200_000, 300_000, 400_000], dtype="Int64"),
    }).astype({c: "str" for c in ["sumber_file", "sumber_sheet", "opd", "nik", "nama", "kode_bantuan"]})
    flagged = [1, 3]
    tinjauan = accepted.iloc[flagged][["sumber_file", "sumber_sheet", "sumber_baris", "opd", "kode_bantuan"]]
    tinjauan = tinjauan.assign(tanda="usia_di_luar_sasaran", keterangan=["Usia 3 tahun", "Usia 90 tahun"])
    tinjauan = tinjauan.reset_index(drop=True).astype({"tanda": "str", "keterangan": "str"})
    by_position = rows_to_check(accepted, tinjauan, None, flagged=pd.Series(flagged).to_numpy())
    pd.testing.assert_frame_equal(by_position, rows_to_check(accepted, tinjauan, None))
    assert by_position["nama"].tolist() == ["Budi", "Joko"] and by_position["nominal"].tolist() == ["200000", "400000"]


def test_penerima_written_beside_the_review_or_after_it_is_the_same(tmp_path, reference, monkeypatch):
    # a month above PENERIMA_BESIDE_REVIEW_UP_TO_ROWS writes penerima.parquet after the review, in turn
    import kmc_analysis.clean.stage as stage

    write_submission(tmp_path / "beside" / "raw" / "opd" / "2024-03")
    write_submission(tmp_path / "after" / "raw" / "opd" / "2024-03")
    beside = run_stage_one(tmp_path / "beside", reference)
    monkeypatch.setattr(stage, "PENERIMA_BESIDE_REVIEW_UP_TO_ROWS", 0)
    after = run_stage_one(tmp_path / "after", reference)
    for name in (store.PENERIMA.name, store.TINJAUAN.name, store.KARANTINA.name):
        assert (beside.folder / name).read_bytes() == (after.folder / name).read_bytes(), name
    pd.testing.assert_frame_equal(beside.penerima, after.penerima)
