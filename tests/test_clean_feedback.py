"""Feedback workbooks: one per OPD with its rows to fix, explained in plain Indonesian."""

import pandas as pd
from openpyxl import load_workbook

from kmc_analysis.clean import feedback
from kmc_analysis.clean.feedback import FeedbackJob, explain_reasons, write_feedback
from kmc_analysis.clean.reasons import REASON_TEXT
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import feedback_file_name

MARET = Period(2024, 3)


def quarantine_sample():
    return pd.DataFrame({
        "sumber_file": ["a.xlsx", "a.xlsx", "b.csv"], "sumber_sheet": ["BNBA", "BNBA", "b"],
        "sumber_baris": [7, 9, 3], "alasan": ["nik_format", "nik_kosong;nama_kosong", "duplikat"],
        "nik": ["1.87201E+15", "", "1872011504900001"], "nama": ["Siti", "", "Budi"], "kolom_G": ["", "", ""],
    }), pd.Series(["Dinas Sosial", "Dinas Sosial", "Dinas Pendidikan dan Kebudayaan"])


def test_each_opd_gets_its_rows_with_reasons_explained(tmp_path):
    written = write_feedback(*quarantine_sample(), MARET, tmp_path)
    assert sorted(p.name for p in written) == ["Dinas Pendidikan dan Kebudayaan.xlsx", "Dinas Sosial.xlsx"]

    sheet = load_workbook(tmp_path / "Dinas Sosial.xlsx")["Perbaikan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "Dinas Sosial" in rows[0][0] and "Maret 2024" in rows[1][0]
    assert rows[4] == ("File", "Sheet", "Baris", "Yang perlu diperbaiki", "Kode alasan", "NIK", "Nama")
    assert rows[5] == ("a.xlsx", "BNBA", 7, REASON_TEXT["nik_format"], "nik_format", "1.87201E+15", "Siti")
    assert rows[6][3] == f"1. {REASON_TEXT['nik_kosong']}\n2. {REASON_TEXT['nama_kosong']}"
    assert len(rows) == 7
    summary = list(load_workbook(tmp_path / "Dinas Sosial.xlsx")["Ringkasan"].iter_rows(values_only=True))
    assert summary[1:] == [("nik_kosong", REASON_TEXT["nik_kosong"], 1), ("nik_format", REASON_TEXT["nik_format"], 1),
                           ("nama_kosong", REASON_TEXT["nama_kosong"], 1)]


def test_opd_names_become_safe_file_names():
    assert feedback_file_name("Dinas Koperasi, UMKM/Perindustrian") == "Dinas Koperasi, UMKM-Perindustrian.xlsx"


def test_every_reason_has_an_explanation():
    codes = pd.Series(list(REASON_TEXT))
    assert explain_reasons(codes).str.len().gt(20).all()


def test_large_months_share_the_writing_with_a_helper_process_same_result(tmp_path, monkeypatch):
    write_feedback(*quarantine_sample(), MARET, tmp_path / "inline")
    monkeypatch.setattr(feedback, "BACKGROUND_FROM_ROWS", 1)
    written = FeedbackJob(*quarantine_sample(), MARET, tmp_path / "background").finish()
    assert sorted(p.name for p in written) == ["Dinas Pendidikan dan Kebudayaan.xlsx", "Dinas Sosial.xlsx"]
    for path in written:
        inline = load_workbook(tmp_path / "inline" / path.name)["Perbaikan"]
        assert list(load_workbook(path)["Perbaikan"].values) == list(inline.values)


def test_formula_typed_into_a_name_stays_text_in_the_feedback_workbook(tmp_path):
    rows, opd = quarantine_sample()
    rows.loc[0, "nama"] = "=HYPERLINK(\"http://x\",\"klik\")"
    rows.loc[1, "nama"] = "=cmd|' /C calc'!A0"
    write_feedback(rows, opd, MARET, tmp_path)
    book = load_workbook(tmp_path / "Dinas Sosial.xlsx")
    cells = [c for row in book["Perbaikan"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert {c.value for c in cells} >= {"'=HYPERLINK(\"http://x\",\"klik\")", "'=cmd|' /C calc'!A0"}
