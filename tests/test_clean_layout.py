"""Rows that are not data (totals, column numbers, notes, signatures) are skipped and listed, never judged."""

import io

import pandas as pd
import pytest
from openpyxl import Workbook

from kmc_analysis.clean.ingest import read_submissions
from kmc_analysis.clean.layout import non_data_rows, row_ranges, skipped_summary

NIK1, NIK2, NIK3 = "1872011504900001", "1872025708100002", "1872011504900003"


def month_with_sheet(tmp_path, rows, name="bnba.xlsx"):
    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "BNBA"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    (folder / name).write_bytes(buffer.getvalue())
    return read_submissions(folder, tmp_path / "raw")


def kinds(result) -> dict[int, str]:
    return {r["row"]: r["kind"] for r in result.skipped_rows}


def test_non_data_rows_of_the_hostile_case_column_numbers_jumlah_and_an_18_digit_nip(tmp_path):
    header = ["NIK", "Nama", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nominal", "Tanggal Penyaluran"]
    result = month_with_sheet(tmp_path, [
        header, [1, 2, 3, 4, 5, 6, 7],
        [NIK1, "Siti", "Metro", "Metro Pusat", "KMC-001", "250000", "15/03/2024"],
        [NIK2, "Budi", "Metro", "Metro Pusat", "KMC-001", "250000", "15/03/2024"],
        [None, None, "JUMLAH", None, None, 500000, None],
        [], ["Mengetahui,"], ["Kepala Dinas Sosial"], [None, None, None, "Drs. Pejabat Tandatangan"],
        ["NIP. 197001012000031001"], ["###"],
    ])
    assert result.rows["sumber_baris"].tolist() == [3, 4]
    assert kinds(result) == {2: "nomor_kolom", 5: "jumlah", 7: "catatan", 8: "catatan", 9: "catatan",
                             10: "catatan", 11: "catatan"}
    assert result.inputs[0]["rows_read"] == 2
    assert result.skipped_rows[0] == {"path": "opd/2024-03/bnba.xlsx", "sheet": "BNBA", "row": 2,
                                      "kind": "nomor_kolom"}


def test_bnba_kemendes_nomor_kolom_row_in_parentheses_is_skipped(tmp_path):
    result = month_with_sheet(tmp_path, [
        ["BNBA PENERIMA"], ["NO", "NIK", "NAMA KEPALA KELUARGA", "KELURAHAN", "KODE BANTUAN", "NOMINAL (Rp)"],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        [1, NIK1, "SITI", "METRO", "KMC-001", 600000],
    ])
    assert kinds(result) == {3: "nomor_kolom"}
    assert result.rows["sumber_baris"].tolist() == [4]


def test_subtotal_rows_between_groups_and_a_signature_on_the_right(tmp_path):
    header = ["No", "NIK", "Nama Penerima", "Kelurahan", "Kode Bantuan", "Jumlah (Rp)", "Keterangan"]
    sign = lambda text: [None] * 4 + [text, None, None]  # noqa: E731
    result = month_with_sheet(tmp_path, [
        header,
        [1, NIK1, "Siti", "Metro", "KMC-001", 500000, "Ahli waris"],
        [None, None, "SUB TOTAL KECAMATAN METRO PUSAT", None, None, 500000, None],
        [2, NIK2, "Budi", "Purwosari", "KMC-001", 500000, None],
        [None, None, "Subtotal", None, None, 500000, None],
        [None, None, "JUMLAH", None, None, 1000000, None],
        [], sign("Metro, 25 Maret 2024"), sign("Mengetahui,"), sign("Kepala Dinas Sosial Kota Metro"),
        sign("Drs. HERI WIRAWAN, M.M."), sign("NIP. 19690512 199203 1 005"),
    ])
    assert result.rows["sumber_baris"].tolist() == [2, 4]
    assert kinds(result) == {3: "jumlah", 5: "jumlah", 6: "jumlah", 8: "catatan", 9: "catatan", 10: "catatan",
                             11: "catatan", 12: "catatan"}


def test_grand_total_and_left_signature_in_the_nik_column_of_a_semicolon_csv(tmp_path):
    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    lines = ["No;NIK;Nama;Desa/Kelurahan;Kecamatan;Jenis Bantuan;Nominal",
             f"1;{NIK1};Siti;Metro;Metro Pusat;Beasiswa SD;500000",
             f"2;{NIK2};Budi;Metro;Metro Pusat;Beasiswa SD;500000",
             "JUMLAH PENERIMA;;2 orang;;;;", "GRAND TOTAL;;;;;;1000000", ";;;;;;",
             ";Mengetahui,;;;Metro, 27 Maret 2024;;", ";Kepala Bagian Kesra;;;Pembuat Daftar;;",
             ";NIP. 19700101 199503 1 002;;;NIP. 19850214 201001 2 011;;"]
    (folder / "kesra.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    result = read_submissions(folder, tmp_path / "raw")
    assert result.rows["sumber_baris"].tolist() == [2, 3]
    assert kinds(result) == {4: "jumlah", 5: "jumlah", 7: "catatan", 8: "catatan", 9: "catatan"}


def test_a_row_without_nik_above_the_last_person_stays_a_data_row(tmp_path):
    result = month_with_sheet(tmp_path, [
        ["NIK", "Nama", "Kelurahan", "Kode Bantuan", "Nominal"],
        [NIK1, "Siti", "Metro", "KMC-001", 1],
        [None, "Tanpa NIK dan nominal", "Metro", "KMC-001", None],
        [NIK2, "Budi", "Metro", "KMC-001", 1],
        [None, "Tanpa NIK, dengan nominal", "Metro", "KMC-001", 2],   # below the last NIK, but has an amount
    ])
    assert result.rows["sumber_baris"].tolist() == [2, 3, 4, 5]
    assert result.skipped_rows == []


def test_a_sheet_without_any_nik_skips_no_note_rows(tmp_path):
    result = month_with_sheet(tmp_path, [
        ["NIK", "Nama", "Kelurahan", "Kode Bantuan", "Nominal"],
        [None, "Siti", "Metro", "KMC-001", None],
    ])
    assert result.rows["sumber_baris"].tolist() == [2]


def test_a_row_of_numbers_that_is_not_one_two_three_is_data():
    frame = pd.DataFrame({"nik": ["2", NIK1], "nama": ["3", "Siti"], "nominal": ["4", "1"]}, index=[2, 3], dtype="str")
    assert non_data_rows(frame).empty


def test_a_total_word_inside_a_name_is_no_totals_row():
    frame = pd.DataFrame({"nik": ["", NIK1], "nama": ["Totalia Sari", "Siti"], "nominal": ["1", "1"]},
                         index=[2, 3], dtype="str")
    assert non_data_rows(frame).empty


def test_skipped_summary_counts_rows_per_file_sheet_and_kind():
    manifest = {"skipped_rows": [
        {"path": "opd/2024-03/a.xlsx", "sheet": "BNBA", "row": 2, "kind": "nomor_kolom"},
        {"path": "opd/2024-03/a.xlsx", "sheet": "BNBA", "row": 9, "kind": "catatan"},
        {"path": "opd/2024-03/a.xlsx", "sheet": "BNBA", "row": 10, "kind": "catatan"},
        {"path": "opd/2024-03/a.xlsx", "sheet": "BNBA", "row": 12, "kind": "catatan"},
    ]}
    table = skipped_summary(manifest)
    assert table.columns.tolist() == ["berkas", "sheet", "jenis", "jumlah_baris", "baris"]
    assert table["jumlah_baris"].tolist() == [1, 3]
    assert table["baris"].tolist() == ["2", "9-10, 12"]
    assert skipped_summary({}).empty


@pytest.mark.parametrize(("rows", "text"), [([5], "5"), ([3, 4, 5, 9], "3-5, 9"), ([], "")])
def test_row_ranges(rows, text):
    assert row_ranges(rows) == text


def test_a_nik_cell_is_told_by_its_first_digit_as_the_full_pattern_tells_it():
    # Most cells start with the digit itself and skip the regular expression: the shortcut must
    # flag exactly the cells the pattern flags.
    from kmc_analysis.clean.layout import _STARTS_WITH_DIGIT, _holds_nik

    cells = pd.Series(["1872011504900001", " '1872011504900001", "\u00a0\u20191872", "'", "", "NIP. 19800101",
                       "Mengetahui,", "\u0661\u0668\u0667\u0662", "\uff11872", "x1872", "9", " \t7", "###"],
                      dtype="str", index=range(40, 53))
    expected = cells.str.contains(_STARTS_WITH_DIGIT, regex=True).to_numpy(dtype=bool)
    assert _holds_nik(cells).tolist() == expected.tolist()
    assert _holds_nik(cells.iloc[2:9]).tolist() == expected[2:9].tolist()
