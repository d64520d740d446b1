"""Feedback workbooks: one per OPD, named by period, telling a clerk what to fix, where, by when."""

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from kmc_analysis.clean import feedback, feedback_sheets
from kmc_analysis.clean.feedback import (
    FeedbackMonth,
    default_deadline,
    explain_reasons,
    write_feedback,
)
from kmc_analysis.clean.feedback_sheets import CORRECTIONS_SHEET, FIXED_HEADERS, MARKER_SHEET, TABLE_HEADER_ROW
from kmc_analysis.clean.reasons import REASON_TEXT
from kmc_analysis.clean.rules import UNKNOWN_OPD
from kmc_analysis.clean.stage import clean_month
from kmc_analysis.core.errors import StageError
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference
from kmc_analysis.core.store import UMPAN_BALIK

MARET = Period(2024, 3)
NIK_A, NIK_B, NIK_C = "1872011504900001", "1872015708850002", "1872020101700003"
DINSOS = "Dinas Sosial"
CSV_HEADER = "No,NIK KTP,Nama Penerima,Kelurahan,Kecamatan,Kode Bantuan,Jumlah (Rp)"
XLSX_HEADER = ["NIK", "Nama", "Desa/Kelurahan", "Kode Program", "Nilai Bantuan", "Keterangan"]


def dinsos_month(tmp_path: Path) -> Path:
    """A Dinas Sosial month in two files with different headers: one good row, five to fix."""
    folder = tmp_path / "raw" / "opd" / str(MARET)
    folder.mkdir(parents=True)
    lines = [CSV_HEADER,
             f"1,{NIK_A},Siti Aminah,Metro,Metro Pusat,KMC-018,1500000",
             f"2,{NIK_A},Siti Aminah,Metro,Metro Pusat,KMC-018,1500000",          # duplikat of row 2
             "3,1.87201E+15,Sri Wahyuni,Yosorejo,Metro Timur,KMC-018,1500000",    # nik_format
             f"4,{NIK_B},Budi\x01Santoso,Yosorejo,Metro Timur,KMC-020,menunggu SK",  # control char, nominal
             f"5,{NIK_C},Dewi =HYPERLINK(1),Antah Berantah,Metro Timur,KMC-020,300000"]  # wilayah
    (folder / "BNBA Dinsos Maret 2024.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = "Tambahan"
    sheet.append(["Daftar tambahan Dinas Sosial"])
    sheet.append(XLSX_HEADER)
    sheet.append(["1872011504900009", "", "Metro", "KMC-018", 1500000, "susulan"])  # nama_kosong, row 3
    book.save(folder / "Dinsos tambahan.xlsx")
    return folder


def run_stage(tmp_path, reference, **options):
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    result = clean_month(paths, reference, **options)
    return result, paths.processed / UMPAN_BALIK


def table_rows(sheet):
    """The corrections table as dicts keyed by header text, found as the reader finds it (cell A reads File)."""
    rows = list(sheet.iter_rows())
    at = next(i for i, row in enumerate(rows) if row[0].value == "File")
    headers = [c.value for c in rows[at]]
    return headers, [dict(zip(headers, row)) for row in rows[at + 1:]]


def column_style(sheet, cell):
    """The column dimension covering ``cell`` (a writer may store neighbouring columns as one range)."""
    return next(d for d in sheet.column_dimensions.values() if d.min and d.min <= cell.column <= d.max)


@pytest.fixture
def dinsos_book(tmp_path, reference):
    dinsos_month(tmp_path)
    result, folder = run_stage(tmp_path, reference)
    return result, folder, load_workbook(folder / f"{DINSOS}_{MARET}.xlsx")


def test_feedback_file_is_named_opd_and_period(dinsos_book):
    _, folder, _ = dinsos_book
    assert sorted(p.name for p in folder.iterdir()) == [f"{DINSOS}_2024-03.xlsx"]


def test_first_sheet_explains_what_to_do_by_when_and_to_whom(dinsos_book):
    _, _, book = dinsos_book
    assert book.sheetnames[0] == "Petunjuk" and book.active.title == "Petunjuk"
    text = "\n".join(str(c.value) for row in book["Petunjuk"].iter_rows() for c in row if c.value is not None)
    assert "5 baris" in text and "10 April 2024" in text and "Diskominfo" in text and "_revisi" in text
    assert "Duplikat (NIK dan bantuan yang sama sudah diterima)" in text


def test_corrections_sheet_keeps_original_cells_under_their_original_headers(dinsos_book):
    _, _, book = dinsos_book
    headers, rows = table_rows(book[CORRECTIONS_SHEET])
    # Two files with different headers: every header text kept, those of one kind side by side.
    original = ["NIK KTP", "NIK", "Nama Penerima", "Nama", "Kelurahan", "Desa/Kelurahan", "Kecamatan", "Kode Bantuan",
                "Kode Program", "Jumlah (Rp)", "Nilai Bantuan", "No", "Keterangan"]
    assert headers[:4] == list(FIXED_HEADERS) and headers[4:4 + len(original)] == original
    assert [(r["File"].value, r["Sheet"].value, r["Baris"].value) for r in rows] == [
        ("BNBA Dinsos Maret 2024.csv", "BNBA Dinsos Maret 2024", 3), ("BNBA Dinsos Maret 2024.csv",
         "BNBA Dinsos Maret 2024", 4), ("BNBA Dinsos Maret 2024.csv", "BNBA Dinsos Maret 2024", 5),
        ("BNBA Dinsos Maret 2024.csv", "BNBA Dinsos Maret 2024", 6), ("Dinsos tambahan.xlsx", "Tambahan", 3)]
    xlsx_row = rows[4]
    assert xlsx_row["NIK"].value == "1872011504900009" and xlsx_row["NIK KTP"].value is None
    assert xlsx_row["Keterangan"].value == "susulan" and xlsx_row["Nilai Bantuan"].value == "1500000"


def test_marker_sheet_is_hidden_with_the_agreed_keys(dinsos_book):
    _, _, book = dinsos_book
    marker = book[MARKER_SHEET]
    assert marker.sheet_state == "hidden"
    assert {r[0]: r[1] for r in marker.iter_rows(values_only=True)} == {
        "penanda": "kmc-umpan-balik", "versi": "1", "periode": "2024-03", "opd": DINSOS, "putaran": "1"}
    assert book[CORRECTIONS_SHEET].cell(TABLE_HEADER_ROW + 1, 1).value == "File"


def test_duplicate_names_the_file_sheet_and_row_it_repeats(dinsos_book):
    _, _, book = dinsos_book
    _, rows = table_rows(book[CORRECTIONS_SHEET])
    duplicate = rows[0]
    assert duplicate["Kode alasan"].value == "duplikat"
    assert "baris 2 pada sheet 'BNBA Dinsos Maret 2024' berkas BNBA Dinsos Maret 2024.csv" in duplicate["Alasan"].value
    assert "baris 2" in duplicate["NIK KTP"].comment.text and duplicate["Kode Bantuan"].comment is not None


def test_faulty_cells_are_highlighted_with_a_comment_saying_what_is_wrong(dinsos_book):
    _, _, book = dinsos_book
    _, rows = table_rows(book[CORRECTIONS_SHEET])
    faulty = [{h for h, c in row.items() if c.comment is not None} for row in rows]
    assert faulty == [{"NIK KTP", "Kode Bantuan"}, {"NIK KTP"}, {"Jumlah (Rp)"}, {"Kelurahan", "Kecamatan"},
                      {"Nama"}]
    assert rows[1]["NIK KTP"].comment.text == REASON_TEXT["nik_format"]
    assert rows[1]["NIK KTP"].fill.fgColor.rgb.endswith("FFC7CE")
    assert rows[1]["Nama Penerima"].fill.fgColor.rgb in ("00000000", None)


def test_faulty_cells_below_the_commented_rows_stay_coloured_and_the_sheet_says_why_they_carry_no_comment(
        tmp_path, monkeypatch):
    # A million-row month sent one OPD tens of thousands of rows to fix: a comment on every faulty cell
    # took half the writing time, and Excel crawls with that many. The Alasan column explains every row.
    monkeypatch.setattr(feedback_sheets, "COMMENTED_ROWS", 1)
    write_feedback(small_month(), tmp_path)
    sheet = load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")[CORRECTIONS_SHEET]
    _, rows = table_rows(sheet)
    assert rows[0]["NIK"].comment is not None and rows[0]["NIK"].fill.fgColor.rgb.endswith("FFC7CE")
    assert rows[1]["NIK"].comment is None and rows[1]["NIK"].fill.fgColor.rgb.endswith("FFC7CE")
    assert rows[1]["Alasan"].value.startswith("1. " + REASON_TEXT["nik_kosong"])
    assert "Catatan per sel ada pada 1 baris pertama" in sheet["A2"].value


def test_nik_and_code_cells_are_text_so_excel_keeps_every_digit(dinsos_book):
    _, _, book = dinsos_book
    sheet = book[CORRECTIONS_SHEET]
    _, rows = table_rows(sheet)
    for header in ("NIK KTP", "NIK", "Kode Bantuan", "Kode Program"):
        assert column_style(sheet, rows[0][header]).number_format == "@"  # cells typed later
        for row in rows:
            if row[header].value is not None:
                assert row[header].number_format == "@" and row[header].data_type == "s"


def test_control_character_in_a_quarantined_name_neither_crashes_nor_prints(dinsos_book):
    result, _, book = dinsos_book
    _, rows = table_rows(book[CORRECTIONS_SHEET])
    assert rows[2]["Nama Penerima"].value == "BudiSantoso"
    assert result.manifest["counts"]["rows_quarantined"] == 5


def test_formula_typed_into_a_cell_stays_text(dinsos_book):
    _, _, book = dinsos_book
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert "'Dewi =HYPERLINK(1)" not in {c.value for c in cells}  # not a formula start: left as typed
    assert "Dewi =HYPERLINK(1)" in {c.value for c in cells}


def test_lists_sheet_holds_valid_kelurahan_and_the_opds_programs_behind_dropdowns(dinsos_book, reference):
    _, _, book = dinsos_book
    lists = book["Daftar"]
    values = {c.value for row in lists.iter_rows() for c in row}
    assert set(reference.wilayah["kelurahan"]) <= values and set(reference.wilayah["kecamatan"]) <= values
    dinsos = reference.program_bantuan[reference.program_bantuan["opd"].eq(DINSOS)]
    assert set(dinsos["kode_bantuan"]) <= values and "KMC-001" not in values
    assert lists.protection.sheet
    headers, _ = table_rows(book[CORRECTIONS_SHEET])
    validations = {str(v.sqref): v.formula1 for v in book[CORRECTIONS_SHEET].data_validations.dataValidation}
    letter = {h: chr(ord("A") + i) for i, h in enumerate(headers)}
    first, last = TABLE_HEADER_ROW + 2, TABLE_HEADER_ROW + 6
    assert validations[f"{letter['Kelurahan']}{first}:{letter['Kelurahan']}{last}"].startswith("Daftar!$A$")
    assert validations[f"{letter['Kode Program']}{first}:{letter['Kode Program']}{last}"].startswith("Daftar!$G$")


def test_corrections_print_on_a4_landscape_one_page_wide_with_the_header_repeated(tmp_path):
    write_feedback(small_month(), tmp_path)
    sheet = load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")[CORRECTIONS_SHEET]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0  # 1 is the default
    assert sheet.print_title_rows.replace("$", "") == f"{TABLE_HEADER_ROW + 1}:{TABLE_HEADER_ROW + 1}"


def test_a_table_too_wide_for_one_legible_page_prints_two_wide_keeping_file_sheet_row(tmp_path):
    wide = small_month().quarantined.assign(**{f"kolom_{i}": ["keterangan panjang sekali " * 2] * 3 for i in range(8)})
    write_feedback(small_month(rows=wide), tmp_path)
    sheet = load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")[CORRECTIONS_SHEET]
    assert sheet.page_setup.fitToWidth == 2 and sheet.print_title_cols.replace("$", "") == "A:C"


def test_row_heights_fit_the_reason_text_so_rows_never_overlap(dinsos_book):
    _, _, book = dinsos_book
    sheet = book[CORRECTIONS_SHEET]
    headers, rows = table_rows(sheet)
    width = sheet.column_dimensions["D"].width
    for row in rows:
        reason = row["Alasan"]
        per_line = int(width * 1.15)  # LibreOffice fits at most this many characters of Calibri 11 on a line
        lines = sum(-(-len(part) // per_line) for part in reason.value.split("\n"))
        assert sheet.row_dimensions[reason.row].height >= 15 * lines


def test_clerk_may_edit_the_original_cells_but_not_file_sheet_row(dinsos_book):
    _, _, book = dinsos_book
    sheet = book[CORRECTIONS_SHEET]
    _, rows = table_rows(sheet)
    assert sheet.protection.sheet
    assert rows[0]["File"].protection.locked and rows[0]["Baris"].protection.locked
    assert not rows[0]["NIK KTP"].protection.locked
    for header in ("NIK KTP", "Nama", "Catatan dari OPD"):  # empty cells too: the column is unlocked
        assert not column_style(sheet, rows[0][header]).protection.locked


def test_unreadable_file_gets_feedback_saying_why_and_what_to_send(tmp_path, reference):
    folder = dinsos_month(tmp_path)
    (folder / "BNBA Dinsos Susulan.xlsx").write_bytes(b"not a workbook")
    (folder / "data lain.xlsx").write_bytes(b"not a workbook either")
    result, out = run_stage(tmp_path, reference, skip_unreadable=True)
    assert len(result.manifest["rejected_files"]) == 2
    assert sorted(p.name for p in out.iterdir()) == [f"{DINSOS}_2024-03.xlsx", f"{UNKNOWN_OPD}_2024-03.xlsx"]
    unknown = load_workbook(out / f"{UNKNOWN_OPD}_2024-03.xlsx")
    text = "\n".join(str(c.value) for row in unknown["Petunjuk"].iter_rows() for c in row if c.value)
    assert "data lain.xlsx" in text and "Excel Workbook (*.xlsx)" in text and "templat" in text
    dinsos = load_workbook(out / f"{DINSOS}_2024-03.xlsx")
    text = "\n".join(str(c.value) for row in dinsos["Petunjuk"].iter_rows() for c in row if c.value)
    assert "BNBA Dinsos Susulan.xlsx" in text and "data lain.xlsx" not in text


def test_an_unreadable_file_is_explained_to_the_clerk_without_the_operators_advice(tmp_path, reference):
    # The clerk's Petunjuk once copied the terminal message: a library's error name, "ask the OPD for a
    # copy" (the clerk is the OPD) and a command-line option; the manifest advised the option already used.
    folder = dinsos_month(tmp_path)
    (folder / "Rusak Dinas Sosial Maret 2024.xlsx").write_bytes(b"PK\x03\x04 broken zip")
    result, out = run_stage(tmp_path, reference, skip_unreadable=True)
    assert result.manifest["rejected_files"]
    assert not any("--skip-unreadable" in entry["reason"] for entry in result.manifest["rejected_files"])
    book = load_workbook(out / f"{DINSOS}_2024-03.xlsx")
    text = "\n".join(str(c.value) for row in book["Petunjuk"].iter_rows() for c in row if c.value)
    assert "Rusak Dinas Sosial Maret 2024.xlsx" in text and "Excel Workbook (*.xlsx)" in text
    for operator_only in ("--skip-unreadable", "Error", "salinan baru dari OPD", "jalankan"):
        assert operator_only not in text, operator_only


def small_month(rows=None, opd=None, to_check=None, reference=None):
    """A FeedbackMonth made directly: two Dinsos rows and one Disdikbud row."""
    quarantined = rows if rows is not None else pd.DataFrame({
        "sumber_file": ["a.xlsx", "a.xlsx", "b.csv"], "sumber_sheet": ["BNBA", "BNBA", "b"],
        "sumber_baris": [7, 9, 3], "alasan": ["nik_format", "nik_kosong;nama_kosong", "nominal_tidak_valid"],
        "nik": ["1.87201E+15", "", "1872011504900001"], "nama": ["Siti", "", "Budi"], "nominal": ["1", "1", "x"],
    })
    opd = opd if opd is not None else pd.Series([DINSOS, DINSOS, "Dinas Pendidikan dan Kebudayaan"])
    reference = reference or load_reference(None)
    return FeedbackMonth(MARET, quarantined, opd, reference.wilayah, reference.program_bantuan, to_check=to_check)


def test_without_header_texts_cells_show_under_the_usual_header(tmp_path):
    write_feedback(small_month(), tmp_path)
    headers, rows = table_rows(load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")[CORRECTIONS_SHEET])
    assert headers[:7] == ["File", "Sheet", "Baris", "Alasan", "NIK", "Nama", "Nominal"]
    assert rows[1]["Alasan"].value == f"1. {REASON_TEXT['nik_kosong']}\n2. {REASON_TEXT['nama_kosong']}"


def test_two_opd_names_that_clean_to_one_file_name_get_a_file_each(tmp_path):
    opds = pd.Series(["Dinas:Sosial", "Dinas/Sosial", "../../../tmp/kmc_traversal_x"])
    written = write_feedback(small_month(opd=opds), tmp_path / "umpan_balik")
    assert len(written) == 3 and all(p.parent == tmp_path / "umpan_balik" for p in written)
    assert len({p.name.casefold() for p in written}) == 3
    assert all(p.name.endswith("_2024-03.xlsx") for p in written)
    assert {load_workbook(p)[MARKER_SHEET]["B4"].value for p in written} == set(opds)


def test_cell_longer_than_excel_holds_is_cut_not_refused(tmp_path):
    rows = small_month().quarantined.assign(nama=["x" * 200_000, "", "Budi"])
    write_feedback(small_month(rows=rows), tmp_path)
    _, table = table_rows(load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")[CORRECTIONS_SHEET])
    assert len(table[0]["Nama"].value) == 32_767 and table[0]["Nama"].value.endswith("(dipotong)")


def test_rows_to_check_get_their_own_sheet_with_the_reason(tmp_path):
    to_check = pd.DataFrame({"sumber_file": ["c.xlsx"], "sumber_sheet": ["S"], "sumber_baris": [4],
                             "keterangan": ["Nominal jauh di atas nominal standar program."], "opd": [DINSOS],
                             "nama": ["Ani"]})
    write_feedback(small_month(to_check=to_check), tmp_path)
    headers, rows = table_rows(load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")["Perlu Dicek"])
    assert headers == ["File", "Sheet", "Baris", "Keterangan", "Nama"]
    assert [(c.value) for c in rows[0].values()] == ["c.xlsx", "S", 4, to_check["keterangan"][0], "Ani"]


def test_an_opd_with_more_rows_to_check_than_a_sheet_shows_gets_them_all_in_a_csv_beside_it(tmp_path, monkeypatch):
    # A million-row month flagged 218,000 rows for review: written cell by cell they took longer than the
    # rest of stage 1, and no clerk reads such a sheet. The sheet shows the first rows, the CSV all of them.
    monkeypatch.setattr(feedback, "TO_CHECK_SHEET_ROWS", 3)
    to_check = pd.DataFrame({"sumber_file": ["c.xlsx"] * 5, "sumber_sheet": ["S"] * 5,
                             "sumber_baris": [4, 5, 6, 7, 8],
                             "keterangan": ["Usia penerima 70 tahun, di luar sasaran program (6–25 tahun)."] * 4
                             + ["=HYPERLINK(\"x\")"], "opd": [DINSOS] * 5,
                             "nama": ["Ani", "Budi", "Citra", "Dewi", "Eko"]})
    write_feedback(small_month(to_check=to_check), tmp_path)
    book = load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")
    _, rows = table_rows(book["Perlu Dicek"])
    assert [row["Baris"].value for row in rows] == [4, 5, 6]
    listed = pd.read_csv(tmp_path / f"{DINSOS}_2024-03_perlu_dicek.csv", dtype=str, encoding="utf-8-sig")
    assert list(listed.columns) == ["File", "Sheet", "Baris", "Keterangan"]
    assert listed["Baris"].tolist() == ["4", "5", "6", "7", "8"]
    assert listed["Keterangan"].iloc[-1].startswith("'=")  # formula-safe, as karantina.csv
    assert (tmp_path / f"{DINSOS}_2024-03_perlu_dicek.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    sheet_text = " ".join(str(c.value) for row in book["Perlu Dicek"].iter_rows(max_row=3) for c in row if c.value)
    guide = " ".join(str(c.value) for row in book["Petunjuk"].iter_rows() for c in row if c.value)
    for text in (sheet_text, guide):
        assert f"{DINSOS}_2024-03_perlu_dicek.csv" in text and "3 baris pertama" in text
    assert "Ani" not in listed.to_csv() and "nik" not in [c.lower() for c in listed.columns]
    # Under the limit, no CSV: the sheet holds every row.
    write_feedback(small_month(to_check=to_check.iloc[:3]), tmp_path / "small")
    assert not list((tmp_path / "small").glob("*.csv"))


def test_rows_to_check_reach_the_opd_of_the_accepted_row(tmp_path, reference):
    dinsos_month(tmp_path)
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    result = clean_month(paths, reference)
    to_check = pd.DataFrame({"sumber_file": ["BNBA Dinsos Maret 2024.csv"], "sumber_sheet": ["BNBA Dinsos Maret 2024"],
                             "sumber_baris": [2], "keterangan": ["perlu verifikasi DTKS"]})
    month = FeedbackMonth.from_stage(MARET, result.ingest, result.judged, reference, to_check=to_check)
    assert list(month.to_check["opd"]) == [DINSOS]


def test_deadline_is_the_tenth_of_the_next_month():
    assert default_deadline(MARET) == dt.date(2024, 4, 10)
    assert default_deadline(Period(2024, 12)) == dt.date(2025, 1, 10)


def test_deadline_and_recipient_can_be_chosen(tmp_path):
    month = small_month()
    month.deadline, month.recipient = dt.date(2024, 4, 5), "Bappeda Kota Metro"
    write_feedback(month, tmp_path)
    book = load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")
    text = "\n".join(str(c.value) for row in book["Petunjuk"].iter_rows() for c in row if c.value)
    assert "5 April 2024" in text and "Bappeda Kota Metro" in text


def test_every_reason_has_an_explanation():
    codes = pd.Series(list(REASON_TEXT))
    assert explain_reasons(codes).str.len().gt(20).all()


def test_a_failure_while_writing_names_the_opd_never_a_cell_value(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("Budi Santoso 1872011504900001 cannot be used")
    monkeypatch.setattr(feedback, "cell_table", broken)
    with pytest.raises(StageError) as raised:
        write_feedback(small_month(), tmp_path)
    assert DINSOS in str(raised.value) or "Dinas Pendidikan" in str(raised.value)
    assert "Budi" not in str(raised.value) and "1872" not in str(raised.value)
    assert raised.value.__suppress_context__


def test_the_time_a_workbook_takes_grows_with_its_rows_and_caps_with_its_sheets():
    month = small_month()
    seconds = month.seconds_per_opd()
    assert list(seconds.index) == [DINSOS, "Dinas Pendidikan dan Kebudayaan"]  # two rows to fix, then one
    to_check = pd.DataFrame({"opd": [DINSOS] * 5_000})
    more = small_month(to_check=to_check).seconds_per_opd()
    shown = feedback.TO_CHECK_SHEET_ROWS
    assert more[DINSOS] - seconds[DINSOS] == pytest.approx(
        feedback.SECONDS_PER_ROW_ON_SHEET * shown + feedback.SECONDS_PER_ROW_TO_CHECK * 5_000)


def test_judging_names_the_accepted_row_each_duplicate_repeats(wilayah, programs):
    from tests.test_clean_rules import long_table
    from kmc_analysis.clean.rules import judge_rows
    rows = long_table({}, {"row": 8}, {"nik": NIK_B}, {"nominal": "0", "row": 12}, {"file": "b.csv", "sheet": "b"})
    judged = judge_rows(rows, wilayah, programs)
    assert list(judged.quarantined["alasan"]) == ["duplikat", "nominal_tidak_valid;duplikat", "duplikat"]
    assert judged.duplicate_of.to_dict("list") == {
        "sumber_file": ["a.xlsx"] * 3, "sumber_sheet": ["Sheet1"] * 3, "sumber_baris": [2, 2, 2]}


def test_judging_leaves_duplicate_of_empty_for_other_reasons(wilayah, programs):
    from tests.test_clean_rules import long_table
    from kmc_analysis.clean.rules import judge_rows
    judged = judge_rows(long_table({"nik": ""}), wilayah, programs)
    assert judged.duplicate_of["sumber_file"].tolist() == [""] and judged.duplicate_of["sumber_baris"].isna().all()


def test_ingest_keeps_each_sheets_header_text_as_written(tmp_path):
    from kmc_analysis.clean.ingest import read_submissions
    folder = dinsos_month(tmp_path)
    result = read_submissions(folder, tmp_path / "raw")
    assert result.header_texts[("Dinsos tambahan.xlsx", "Tambahan")] == dict(zip(
        ["nik", "nama", "kelurahan", "kode_bantuan", "nominal", "Keterangan"], XLSX_HEADER))
    assert list(result.header_texts[("BNBA Dinsos Maret 2024.csv", "BNBA Dinsos Maret 2024")].values()) == \
        CSV_HEADER.split(",")


@pytest.mark.parametrize(("opds", "names"), [
    (["Dinas Sosial"], ["Dinas Sosial_2024-03.xlsx"]),
    (["Dinas Koperasi, UMKM/Perindustrian"], ["Dinas Koperasi, UMKM-Perindustrian_2024-03.xlsx"]),
    (["Dinas:Sosial", "Dinas/Sosial"], ["Dinas-Sosial-6a66b3_2024-03.xlsx", "Dinas-Sosial-d6028b_2024-03.xlsx"]),
    (["Dinas-Sosial", "Dinas/Sosial"], ["Dinas-Sosial_2024-03.xlsx", "Dinas-Sosial-d6028b_2024-03.xlsx"]),
    (["Dinas Sosial", "DINAS SOSIAL"], ["Dinas Sosial-2066ce_2024-03.xlsx", "DINAS SOSIAL-e59a36_2024-03.xlsx"]),
    ([".", "con", "a\x01b"], ["OPD_2024-03.xlsx", "con_2024-03.xlsx", "a-b_2024-03.xlsx"]),
])
def test_opd_names_become_distinct_file_names_safe_on_every_system(opds, names):
    from kmc_analysis.core.store import feedback_file_names
    assert [feedback_file_names(opds, MARET)[opd] for opd in opds] == names


def test_long_opd_names_are_cut_to_a_short_file_name():
    from kmc_analysis.core.store import FEEDBACK_NAME_MAX, feedback_file_names
    name = feedback_file_names(["Dinas " + "Sangat Panjang " * 20], MARET)
    assert len(next(iter(name.values()))) <= FEEDBACK_NAME_MAX + len("_2024-03.xlsx")


@pytest.mark.parametrize(("file_name", "opd"), [
    ("BNBA Dinsos Maret 2024.xlsx", DINSOS), ("Bag_Kesra_2024-03.csv", "Bagian Kesejahteraan Rakyat"),
    ("Kec Metro Pusat Maret.xlsx", "Kecamatan Metro Pusat"), ("DINAS SOSIAL.xls", DINSOS),
    ("data lain.xlsx", None), ("Dinsos dan Dinkes.xlsx", None),
])
def test_the_opd_of_an_unreadable_file_comes_from_its_name(file_name, opd, reference):
    from kmc_analysis.clean.opd_names import opd_of_file_name
    assert opd_of_file_name(file_name, reference.program_bantuan["opd"]) == opd


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice (soffice) and poppler's pdftotext are needed to print the workbook")
def test_nine_rows_print_on_one_or_two_landscape_pages_in_libreoffice(tmp_path):
    reasons = ["nik_format", "nik_kosong;nama_kosong",
               "wilayah_tidak_dikenal;program_tidak_dikenal;nominal_tidak_valid", "duplikat", "nik_tanggal",
               "nominal_tidak_valid", "program_tidak_dikenal", "nama_kosong", "nik_format"]
    rows = pd.DataFrame({
        "sumber_file": ["BNBA Dinas Sosial Maret 2024 (gabungan semua program).xlsx"] * 9,
        "sumber_sheet": ["Santunan dan Bantuan Sosial"] * 9, "sumber_baris": range(7, 16), "alasan": reasons,
        **{c: [f"isi {c} {i}" for i in range(9)] for c in
           ("no", "nik", "nama", "alamat", "kelurahan", "kecamatan", "kode_bantuan", "nama_bantuan", "nominal",
            "tanggal_salur")},
    })
    write_feedback(small_month(rows=rows, opd=pd.Series([DINSOS] * 9)), tmp_path)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / f"{DINSOS}_2024-03.xlsx")],
                   check=True, capture_output=True, timeout=300)
    pages = subprocess.run(["pdftotext", "-layout", str(tmp_path / f"{DINSOS}_2024-03.pdf"), "-"],
                           check=True, capture_output=True, text=True).stdout.split("\f")
    corrections = [page for page in pages if "Perbaikan, umpan balik KMC 2024-03" in page]
    assert 1 <= len(corrections) <= 2
    printed = "".join(corrections)
    assert all(f"isi nik {i}" in printed for i in range(9))


def test_formula_typed_into_a_cell_gets_a_leading_apostrophe(tmp_path):
    rows = small_month().quarantined.assign(nama=["=cmd|' /C calc'!A0", "@SUM(1)", "-475000"],
                                            sumber_file=["=x.csv", "=x.csv", "b.csv"])
    write_feedback(small_month(rows=rows), tmp_path)
    values = [c.value for book in tmp_path.glob("*.xlsx") for sheet in load_workbook(book)
              for row in sheet.iter_rows() for c in row]
    assert {"'=cmd|' /C calc'!A0", "'@SUM(1)", "'=x.csv", "-475000"} <= set(values)


def test_overview_lists_each_workbook_with_its_counts(tmp_path, reference):
    from kmc_analysis.clean.feedback import feedback_overview
    folder = dinsos_month(tmp_path)
    (folder / "data lain.xlsx").write_bytes(b"not a workbook")
    result, out = run_stage(tmp_path, reference, skip_unreadable=True)
    overview = feedback_overview(FeedbackMonth.from_stage(MARET, result.ingest, result.judged, reference))
    assert overview.to_dict("records") == [
        {"opd": DINSOS, "berkas": f"{DINSOS}_2024-03.xlsx", "baris_perbaikan": 5, "berkas_ditolak": 0,
         "baris_perlu_dicek": 0},
        {"opd": UNKNOWN_OPD, "berkas": f"{UNKNOWN_OPD}_2024-03.xlsx", "baris_perbaikan": 0, "berkas_ditolak": 1,
         "baris_perlu_dicek": 0}]
    assert sorted(p.name for p in out.iterdir()) == sorted(overview["berkas"])


def test_a_rejected_sheet_goes_to_the_opd_of_the_other_rows_of_its_file(tmp_path, reference):
    folder = dinsos_month(tmp_path)
    book = load_workbook(folder / "Dinsos tambahan.xlsx")
    book.create_sheet("Rekap").append(["NIK", "Nama", "Kelurahan", "Keterangan"])  # no amount, no program
    book.save(folder / "Dinsos tambahan.xlsx")
    (folder / "Dinsos tambahan.xlsx").rename(folder / "tambahan.xlsx")  # a name that shows no OPD
    result, out = run_stage(tmp_path, reference, skip_unreadable=True)
    assert [(r["path"].split("/")[-1], r["sheet"]) for r in result.manifest["rejected_files"]] == [
        ("tambahan.xlsx", "Rekap")]
    text = "\n".join(str(c.value) for row in load_workbook(out / f"{DINSOS}_2024-03.xlsx")["Petunjuk"].iter_rows()
                     for c in row if c.value)
    assert "tambahan.xlsx, sheet 'Rekap'" in text and "judul kolom" in text


def test_rows_to_check_show_only_the_cells_they_carry(tmp_path):
    to_check = pd.DataFrame({"sumber_file": ["a.xlsx"], "sumber_sheet": ["BNBA"], "sumber_baris": [4],
                             "keterangan": ["perlu verifikasi DTKS"], "opd": [DINSOS]})
    month = small_month(to_check=to_check)
    month.header_texts = {("a.xlsx", "BNBA"): {"nik": "NIK KTP", "nama": "Nama Lengkap", "nominal": "Jumlah"}}
    write_feedback(month, tmp_path)
    book = load_workbook(tmp_path / f"{DINSOS}_2024-03.xlsx")
    assert table_rows(book["Perlu Dicek"])[0] == ["File", "Sheet", "Baris", "Keterangan"]
    assert table_rows(book[CORRECTIONS_SHEET])[0][4:7] == ["NIK KTP", "Nama Lengkap", "Jumlah"]


def test_same_month_written_twice_gives_the_same_bytes(tmp_path):
    write_feedback(small_month(), tmp_path / "a")
    write_feedback(small_month(), tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_the_characters_kept_out_of_feedback_cells_are_those_openpyxl_refuses():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from kmc_analysis.clean import clerk_sheets

    assert clerk_sheets._CONTROLS_NOT_IN_XML == ILLEGAL_CHARACTERS_RE.pattern


@pytest.mark.parametrize("dtype", [object, "str"])
def test_cell_texts_of_a_few_values_equal_those_of_a_whole_column(monkeypatch, dtype):
    from kmc_analysis.clean import clerk_sheets

    texts = ["plain", "=SUM(A1)", "-475000", "+62 812", "@x", None, "a\x07b", "x" * 40_000, "-", "'=a", "\ufffe"]
    values = pd.Series(texts + ([5, 1.5] if dtype is object else []), dtype=dtype)
    values.index = values.index + 3
    few = clerk_sheets.safe_texts(values)
    monkeypatch.setattr(clerk_sheets, "_FEW_VALUES", -1)
    pd.testing.assert_series_equal(few, clerk_sheets.safe_texts(values), check_names=False)
