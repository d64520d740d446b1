"""Corrections an OPD sends back in its feedback workbook replace the rows they fix (CONTRACT 2.3)."""

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kmc_analysis.clean.ingest import read_submissions
from kmc_analysis.clean.stage import clean_month
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference

PERIOD = Period(2024, 3)
HEADER = ["No", "NIK", "Nama Lengkap", "Kelurahan", "Kode Bantuan", "Nominal", "Keterangan"]
SUBMISSION = [
    HEADER,
    ["1", "1872011504900001", "Siti Aminah", "Metro", "KMC-001", "750000", ""],     # row 2: accepted
    ["2", "1872011504900002", "", "Metro", "KMC-001", "750000", ""],                # row 3: nama_kosong
    ["3", "1872011504900003", "Ani", "Antah Berantah", "KMC-001", "750000", ""],    # row 4: wilayah
    ["4", "1.87201E+15", "Joko", "Metro", "KMC-001", "750000", ""],                 # row 5: nik_format
]


def write_xlsx(path, sheets: dict[str, list[list]], hidden=()):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)


def feedback_workbook(path, rows, period="2024-03", marker="kmc-umpan-balik"):
    """A returned feedback workbook in the fixed layout: hidden _kmc marker, Perbaikan with title rows."""
    perbaikan = [["Umpan balik data KMC: Dinas Pendidikan"], ["Periode Maret 2024"], [],
                 ["File", "Sheet", "Baris", "Alasan", "No", "NIK", "Nama Lengkap", "Kelurahan", "Kode Bantuan",
                  "Nominal", "Catatan OPD"]]
    write_xlsx(path, {
        "Petunjuk": [["Perbaiki sel yang berwarna, lalu kirim kembali berkas ini."]],
        "Perbaikan": perbaikan + rows,
        "_kmc": [["penanda", marker], ["versi", 1], ["periode", period], ["opd", "Dinas Pendidikan dan Kebudayaan"]],
    }, hidden=("_kmc",))


@pytest.fixture
def month(tmp_path):
    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    write_xlsx(folder / "disdik.xlsx", {"BNBA": SUBMISSION})
    return tmp_path, folder


def stage_one(tmp_path):
    paths = run_paths(PERIOD, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    return clean_month(paths, dataclasses.replace(load_reference()))


def test_changed_rows_replace_the_quarantined_rows_and_are_judged_again(month):
    tmp_path, folder = month
    feedback_workbook(folder / "Dinas Pendidikan dan Kebudayaan_2024-03.xlsx", [
        ["disdik.xlsx", "BNBA", 3, "Nama kosong", "2", "1872011504900002", "Budi Santoso", "Metro", "KMC-001",
         "750000", "sudah diisi"],                                                        # fixed: accepted
        ["disdik.xlsx", "BNBA", 4, "Wilayah", "3", "1872011504900003", "Ani", "Tidak Ada", "KMC-001", "750000",
         ""],                                                                             # changed, still wrong
        ["disdik.xlsx", "BNBA", 5, "NIK", "4", "1.87201E+15", "Joko", "Metro", "KMC-001", "750000", ""],  # same
        ["disdik.xlsx", "BNBA", 2, "?", "1", "1872011504900001", "Siti", "Metro", "KMC-001", "1", ""],   # accepted
        ["lain.xlsx", "BNBA", 3, "?", "", "", "", "", "", "", ""],                         # no such file
    ])
    result = stage_one(tmp_path)
    counts = result.manifest["counts"]
    assert counts["rows_read"] == 4 == counts["rows_accepted"] + counts["rows_quarantined"]
    assert counts["rows_accepted"] == 2
    assert sorted(result.penerima["sumber_baris"].tolist()) == [2, 3]
    assert result.penerima.set_index("sumber_baris").loc[3, "nama"] == "Budi Santoso"
    assert result.penerima["sumber_file"].unique().tolist() == ["disdik.xlsx"]       # provenance stays original
    quarantined = result.judged.quarantined.set_index("sumber_baris")
    assert quarantined.loc[4, "kelurahan"] == "Tidak Ada"                           # the corrected cells, judged
    assert quarantined.loc[4, "alasan"] == "wilayah_tidak_dikenal"
    assert quarantined.loc[5, "alasan"] == "nik_format"
    assert result.manifest["corrections"] == [{
        "path": "opd/2024-03/Dinas Pendidikan dan Kebudayaan_2024-03.xlsx", "opd": "Dinas Pendidikan dan Kebudayaan",
        "round": 1, "applied": 2, "unchanged": 1, "unknown_rows": 2,
        "unknown": [{"file": "disdik.xlsx", "sheet": "BNBA", "row": 2}, {"file": "lain.xlsx", "sheet": "BNBA", "row": 3}],
    }]
    feedback_input = [i for i in result.manifest["inputs"] if i["path"].endswith("_2024-03.xlsx")]
    assert feedback_input and feedback_input[0]["rows_read"] == 0


def test_formula_apostrophe_of_the_feedback_writer_is_no_change(month):
    tmp_path, folder = month
    (folder / "disdik.xlsx").unlink()
    (folder / "disdik.csv").write_text("No,NIK,Nama Lengkap,Kelurahan,Kode Bantuan,Nominal\n"
                                       "2,1872011504900002,=1+1,Metro,KMC-001,0\n")
    feedback_workbook(folder / "umpan_balik.xlsx", [
        ["disdik.csv", "disdik", 2, "Nominal", "2", "1872011504900002", "'=1+1", "Metro", "KMC-001", "0", ""]])
    result = stage_one(tmp_path)
    assert result.manifest["corrections"][0]["unchanged"] == 1


def test_a_correction_workbook_of_another_period_is_bad_input(month):
    tmp_path, folder = month
    feedback_workbook(folder / "umpan_balik_februari.xlsx", [], period="2024-02")
    with pytest.raises(InputError, match="'umpan_balik_februari.xlsx': berkas umpan balik ini untuk periode 2024-02"):
        read_submissions(folder, tmp_path / "raw")
    result = read_submissions(folder, tmp_path / "raw", skip_unreadable=True)
    assert [r["path"] for r in result.rejected_files] == ["opd/2024-03/umpan_balik_februari.xlsx"]


def test_a_workbook_with_a_kmc_sheet_but_another_marker_is_an_ordinary_submission(month):
    tmp_path, folder = month
    write_xlsx(folder / "bukan_umpan_balik.xlsx", {"BNBA": SUBMISSION, "_kmc": [["penanda", "lain"]]},
               hidden=("_kmc",))
    result = read_submissions(folder, tmp_path / "raw")
    assert result.corrections == []
    assert len(result.rows) == 8


@pytest.mark.parametrize("marker", [None, "lain"])
def test_feedback_rows_sent_back_without_their_marker_are_refused_not_counted_twice(month, marker):
    # Rows copied from the Perbaikan sheet into a new workbook (or the hidden _kmc sheet deleted) were
    # read as a new submission: two persons counted twice, three rows taken for notes, nothing said.
    tmp_path, folder = month
    rows = [["disdik.xlsx", "BNBA", 3, "Nama kosong", "2", "1872011504900002", "Budi", "Metro", "KMC-001",
             "750000", ""]]
    if marker is None:
        perbaikan = [["File", "Sheet", "Baris", "Alasan", "No", "NIK", "Nama Lengkap", "Kelurahan", "Kode Bantuan",
                      "Nominal", "Catatan OPD"], *rows]
        write_xlsx(folder / "salinan perbaikan.xlsx", {"Sheet1": perbaikan})
        name, sheet = "salinan perbaikan.xlsx", "Sheet1"
    else:
        feedback_workbook(folder / "salinan perbaikan.xlsx", rows, marker=marker)
        name, sheet = "salinan perbaikan.xlsx", "Perbaikan"
    with pytest.raises(InputError, match=f"'{name}': sheet '{sheet}' berisi tabel dari berkas umpan balik KMC"):
        read_submissions(folder, tmp_path / "raw")
    skipped = read_submissions(folder, tmp_path / "raw", skip_unreadable=True)
    assert len(skipped.rows) == 4 and skipped.rejected_files[0]["path"].endswith(name)


def test_correction_rows_are_read_by_header_text_not_position(month):
    tmp_path, folder = month
    perbaikan = [["File", "Sheet", "Baris", "Alasan", "Nama Lengkap", "NIK", "Keterangan OPD"],
                 ["disdik.xlsx", "BNBA", 3, "x", "Budi", "1872011504900002", "dibetulkan"]]
    write_xlsx(folder / "kembali.xlsx", {"Perbaikan": perbaikan,
                                         "_kmc": [["penanda", "kmc-umpan-balik"], ["versi", "1"],
                                                  ["periode", "2024-03"], ["opd", "Dinas Pendidikan dan Kebudayaan"]]})
    result = stage_one(tmp_path)
    assert result.penerima.set_index("sumber_baris").loc[3, "nama"] == "Budi"
    assert result.manifest["corrections"][0]["applied"] == 1


def test_feedback_workbook_columns_from_the_ingest_headers(month):
    tmp_path, folder = month
    result = read_submissions(folder, tmp_path / "raw")
    assert result.headers[("disdik.xlsx", "BNBA")][:3] == [("No", "no"), ("NIK", "nik"), ("Nama Lengkap", "nama")]
    assert pd.api.types.is_string_dtype(result.rows["nik"])


def test_an_opd_with_more_rows_to_fix_than_a_sheet_holds_gets_them_all_and_its_fixes_are_read_back(
        month, monkeypatch):
    # Excel holds 1,048,576 rows a sheet: an OPD with more rows to fix lost the rest from its workbook,
    # unsaid (the writer ignores rows past the end). They go on to Perbaikan 2, ... and are read back.
    from openpyxl import load_workbook

    from kmc_analysis.clean import feedback_sheets

    monkeypatch.setattr(feedback_sheets, "CORRECTIONS_SHEET_ROWS", 2)
    tmp_path, folder = month
    first = stage_one(tmp_path)
    assert first.manifest["counts"]["rows_quarantined"] == 3
    sent = feedback_of(first)
    book = load_workbook(sent)
    assert [n for n in book.sheetnames if n.startswith("Perbaikan")] == ["Perbaikan", "Perbaikan 2"]
    lines = {name: [row[2] for row in book[name].iter_rows(min_row=5, values_only=True)]
             for name in ("Perbaikan", "Perbaikan 2")}
    assert lines == {"Perbaikan": [3, 4], "Perbaikan 2": [5]}
    assert book["Perbaikan 2"]["A1"].value.endswith("(bagian 2 dari 2)")
    assert "Perbaikan, Perbaikan 2" in book["Perbaikan"]["A2"].value

    continued = book["Perbaikan 2"]
    nik_column = [c.value for c in continued[4]].index("NIK") + 1
    continued.cell(row=5, column=nik_column, value="1872011504900004")  # the clerk fixes the NIK Excel mangled
    book.save(folder / sent.name)
    again = stage_one(tmp_path)
    assert again.manifest["corrections"][0]["applied"] == 1
    assert again.manifest["counts"]["rows_accepted"] == 2
    assert 5 in again.penerima["sumber_baris"].tolist()


def sent_back(book_path, folder, name=None, edit=None):
    """The feedback workbook at ``book_path`` as a clerk returns it: ``edit(book)`` applied, saved into ``folder``."""
    from openpyxl import load_workbook

    book = load_workbook(book_path)
    if edit is not None:
        edit(book)
    target = folder / (name or book_path.name)
    book.save(target)
    return target


def feedback_of(result):
    """The one feedback workbook stage 1 wrote for the month of ``result``."""
    [book] = (result.folder / "umpan_balik").glob("*.xlsx")
    return book


def typing(sheet_of_row: str, line: int, header: str, value):
    """A clerk's edit: ``value`` typed under ``header`` in the Perbaikan row of (sheet_of_row, line)."""
    return lambda book: set_cell(book["Perbaikan"], sheet_of_row, line, header, value)


def set_cell(sheet, sheet_of_row: str, line: int, header: str, value):
    """Type ``value`` under ``header`` in the Perbaikan row pointing at (sheet_of_row, line)."""
    headers = [c.value for c in sheet[TABLE_ROW]]
    for row in sheet.iter_rows(min_row=TABLE_ROW + 1):
        if row[1].value == sheet_of_row and row[2].value == line:
            row[headers.index(header)].value = value
            return
    raise AssertionError(f"no row {sheet_of_row}!{line} on the sheet")


TABLE_ROW = 4  # the Perbaikan table's header row, as Excel numbers it


def test_an_untouched_workbook_changes_nothing_when_two_sheets_spell_a_header_in_other_cases(month):
    # The Perbaikan sheet has a column for `Kelurahan` and one for `KELURAHAN`; reading back took the
    # first for every row, so an untouched workbook "fixed" rows by blanking their cells, and a row whose
    # name the clerk filled in was accepted with an empty kelurahan.
    tmp_path, folder = month
    susulan = [["No", "NIK", "NAMA LENGKAP", "KELURAHAN", "KODE BANTUAN", "Nominal", "Keterangan"],
               ["1", "1872011504900005", "", "Metro", "KMC-001", "750000", ""]]
    write_xlsx(folder / "disdik.xlsx", {"BNBA": SUBMISSION, "Susulan": susulan})
    first = stage_one(tmp_path)
    written = feedback_of(first)
    feedback = shutil.copy(written, tmp_path / written.name)  # the copy the OPD received
    sent_back(feedback, folder)
    untouched = stage_one(tmp_path)
    assert untouched.manifest["corrections"][0]["applied"] == 0
    assert untouched.manifest["corrections"][0]["unchanged"] == 4
    assert untouched.judged.quarantined.equals(first.judged.quarantined)

    sent_back(feedback, folder,  # the same round, fixed this time
              edit=typing("Susulan", 2, "NAMA LENGKAP", "Rina"))
    fixed = stage_one(tmp_path)
    assert fixed.manifest["corrections"][0]["applied"] == 1
    row = fixed.penerima.set_index(["sumber_sheet", "sumber_baris"]).loc[("Susulan", 2)]
    assert row["nama"] == "Rina" and row["kelurahan"] == "Metro"


def test_a_second_round_saved_over_the_first_is_refused_and_both_rounds_apply_in_their_order(month):
    # The second round's workbook has the first round's file name: saved over it, every first-round fix
    # silently went back to quarantine; kept beside it under a name sorting first, the older round won.
    tmp_path, folder = month
    first = stage_one(tmp_path)
    feedback = feedback_of(first)

    def round_one(book):  # fixes row 3's name; row 4's kelurahan changed but still unknown
        set_cell(book["Perbaikan"], "BNBA", 3, "Nama Lengkap", "Budi Santoso")
        set_cell(book["Perbaikan"], "BNBA", 4, "Kelurahan", "Masih Salah")

    sent_back(feedback, folder, name="Z putaran satu.xlsx", edit=round_one)
    second = stage_one(tmp_path)
    assert second.manifest["corrections"][0]["applied"] == 2
    feedback_two = feedback_of(second)

    def round_two(book):
        set_cell(book["Perbaikan"], "BNBA", 4, "Kelurahan", "Metro")

    sent_back(feedback_two, folder, name="A putaran dua.xlsx", edit=round_two)
    both = stage_one(tmp_path)
    assert [c["round"] for c in both.manifest["corrections"]] == [1, 2]
    assert both.manifest["counts"]["rows_accepted"] == 3  # row 2, row 3 (round 1) and row 4 (round 2)
    assert both.penerima.set_index("sumber_baris").loc[4, "kelurahan"] == "Metro"

    (folder / "Z putaran satu.xlsx").unlink()  # as if the second round had been saved over the first
    with pytest.raises(InputError, match="'A putaran dua.xlsx' .* putaran ke-2: dibuat setelah perbaikan putaran "
                                         "ke-1 diterapkan"):
        stage_one(tmp_path)


def test_fixes_typed_into_a_copy_of_the_sheet_are_read_and_its_untouched_rows_undo_nothing(month):
    # Excel's "Move or Copy" made `Perbaikan (2)`; the fixes typed there were ignored without a word.
    tmp_path, folder = month
    first = stage_one(tmp_path)
    feedback = feedback_of(first)

    def copy_then_fix(book):
        copy = book.copy_worksheet(book["Perbaikan"])
        copy.title = "Perbaikan (2)"
        set_cell(copy, "BNBA", 3, "Nama Lengkap", "Budi Santoso")

    sent_back(feedback, folder, edit=copy_then_fix)
    fixed = stage_one(tmp_path)
    assert fixed.manifest["corrections"][0]["applied"] == 1
    assert fixed.penerima.set_index("sumber_baris").loc[3, "nama"] == "Budi Santoso"


def test_a_workbook_changes_only_rows_of_its_own_opd(month):
    # A workbook whose File/Sheet/Baris were pointed at another OPD's row blanked that row.
    tmp_path, folder = month
    first = stage_one(tmp_path)
    feedback = feedback_of(first)

    def other_opd(book):
        book["_kmc"]["B4"] = "Dinas Sosial"
        set_cell(book["Perbaikan"], "BNBA", 3, "Nama Lengkap", "Budi Santoso")

    sent_back(feedback, folder, edit=other_opd)
    result = stage_one(tmp_path)
    assert result.manifest["corrections"][0]["applied"] == 0
    assert result.manifest["corrections"][0]["other_opd_rows"] == 3
    assert result.judged.quarantined.equals(first.judged.quarantined)


def test_two_copies_of_one_round_that_fix_a_row_otherwise_are_counted_as_conflicting(month):
    # Two copies that disagreed: the later name won and the other copy's fix was reported "unchanged".
    tmp_path, folder = month
    first = stage_one(tmp_path)
    feedback = feedback_of(first)
    sent_back(feedback, folder, name="a.xlsx",
              edit=typing("BNBA", 3, "Nama Lengkap", "Budi"))
    sent_back(feedback, folder, name="b.xlsx",
              edit=typing("BNBA", 3, "Nama Lengkap", "Budi Santoso"))
    result = stage_one(tmp_path)
    by_path = {Path(c["path"]).name: c for c in result.manifest["corrections"]}
    assert by_path["a.xlsx"]["applied"] == by_path["b.xlsx"]["applied"] == 1
    assert "conflicting_rows" not in by_path["a.xlsx"] and by_path["b.xlsx"]["conflicting_rows"] == 1
    assert result.penerima.set_index("sumber_baris").loc[3, "nama"] == "Budi Santoso"


def test_a_row_a_correction_turned_into_a_duplicate_can_be_corrected_in_the_next_round(month):
    # Fixing row 2's NIK made row 3 a duplikat; the next feedback sent row 3 back, and its fix was
    # refused as "not recognised (File, Sheet or Baris changed, or no longer quarantined)", every round.
    tmp_path, folder = month
    write_xlsx(folder / "disdik.xlsx", {"BNBA": [
        HEADER,
        ["1", "1.87201E+15", "Joko", "Metro", "KMC-001", "750000", ""],          # row 2: nik_format
        ["2", "1872011504900004", "Joko", "Metro", "KMC-001", "750000", ""],     # row 3: accepted
    ]})
    first = stage_one(tmp_path)
    feedback = feedback_of(first)
    sent_back(feedback, folder, name="putaran1.xlsx",
              edit=typing("BNBA", 2, "NIK", "1872011504900004"))
    second = stage_one(tmp_path)
    assert second.judged.quarantined.set_index("sumber_baris").loc[3, "alasan"] == "duplikat"
    feedback_two = feedback_of(second)
    sent_back(feedback_two, folder, name="putaran2.xlsx",  # row 3 was another person: the clerk gives its NIK
              edit=typing("BNBA", 3, "NIK", "1872011504900006"))
    third = stage_one(tmp_path)
    by_round = {c["round"]: c for c in third.manifest["corrections"]}
    assert by_round[2]["applied"] == 1 and by_round[2]["unknown_rows"] == 0
    assert third.manifest["counts"]["rows_accepted"] == 2


def test_a_late_copy_of_an_earlier_round_is_not_undone_by_the_untouched_later_round(month):
    # A second round-1 copy arrived after the round-2 workbook was written: the round-2 workbook's
    # untouched cell (the text as submitted) put the row back into quarantine and counted as a fix.
    tmp_path, folder = month
    first = stage_one(tmp_path)
    written = feedback_of(first)
    feedback = shutil.copy(written, tmp_path / "putaran1.xlsx")
    sent_back(feedback, folder, name="putaran1 a.xlsx",
              edit=typing("BNBA", 3, "Nama Lengkap", "Budi Santoso"))
    second = stage_one(tmp_path)
    feedback_two = feedback_of(second)
    sent_back(feedback, folder, name="putaran1 b.xlsx",  # arrives late, from the first workbook
              edit=typing("BNBA", 4, "Kelurahan", "Metro"))
    sent_back(feedback_two, folder, name="putaran2.xlsx",
              edit=typing("BNBA", 5, "NIK", "1872011504900005"))
    result = stage_one(tmp_path)
    late = {Path(c["path"]).name: c for c in result.manifest["corrections"]}["putaran2.xlsx"]
    assert late["applied"] == 1 and late["conflicting_rows"] == 1
    assert late["kept_earlier_rows"] == 1
    assert result.penerima.set_index("sumber_baris").loc[4, "kelurahan"] == "Metro"
    assert result.manifest["counts"]["rows_accepted"] == 4


@pytest.mark.parametrize("altered", ["", "0", "dua"])
def test_a_round_altered_in_the_hidden_marker_is_refused_not_taken_for_round_one(month, altered):
    # A blank, 0 or "dua" was read as round 1 and, sorting first, undid a round-2 fix.
    tmp_path, folder = month
    first = stage_one(tmp_path)
    feedback = feedback_of(first)

    def alter(book):
        marker = book["_kmc"]
        row = next(r for r in marker.iter_rows() if r[0].value == "putaran")
        row[1].value = altered

    sent_back(feedback, folder, edit=alter)
    with pytest.raises(InputError, match="menulis putaran"):
        stage_one(tmp_path)


def test_rows_pointing_at_a_file_its_revisi_replaced_say_so(month):
    # Fixes made obsolete by a `_revisi` file got the generic "File, Sheet or Baris changed" text.
    from kmc_analysis.progress import manifest_notices

    tmp_path, folder = month
    first = stage_one(tmp_path)
    feedback = feedback_of(first)
    sent_back(feedback, folder, name="perbaikan.xlsx",
              edit=typing("BNBA", 3, "Nama Lengkap", "Budi Santoso"))
    write_xlsx(folder / "disdik_revisi.xlsx", {"BNBA": SUBMISSION})
    result = stage_one(tmp_path)
    [entry] = result.manifest["corrections"]
    assert entry["unknown_rows"] == 3 and {row["replaced_by"] for row in entry["unknown"]} == {"disdik_revisi.xlsx"}
    [line] = [line for line in manifest_notices(result.manifest) if "perbaikan.xlsx" in line]
    assert "3 di antaranya menunjuk berkas yang sudah digantikan revisinya" in line


def test_two_copies_of_one_round_that_fix_different_rows_are_no_conflict(month):
    # A copy that left a row untouched was told as fixing it "otherwise" than the copy that fixed it.
    tmp_path, folder = month
    feedback = feedback_of(stage_one(tmp_path))
    sent_back(feedback, folder, name="a.xlsx", edit=typing("BNBA", 3, "Nama Lengkap", "Budi Santoso"))
    sent_back(feedback, folder, name="b.xlsx", edit=typing("BNBA", 4, "Kelurahan", "Metro"))
    result = stage_one(tmp_path)
    assert all("conflicting_rows" not in c for c in result.manifest["corrections"])
    assert [c["unchanged"] for c in result.manifest["corrections"]] == [2, 2]
    assert result.manifest["counts"]["rows_accepted"] == 3
