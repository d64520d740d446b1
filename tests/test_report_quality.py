"""The report's data-quality section: Indonesian only, naming OPD and file, never a NIK or a live formula."""

from __future__ import annotations

import json
import re

import pytest
from openpyxl import load_workbook

from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.report.build import build_report
from kmc_analysis.report.html import external_references
from kmc_analysis.report.quality import GENERIC_REJECTION, indonesian_reason, public_name
from processed_month import make_processed

PERIOD = "2024-03"
DINSOS = f"opd/{PERIOD}/Dinas_Sosial.xlsx"


def _manifest(paths, **keys) -> None:
    path = paths.processed / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(keys)
    path.write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    """A report of a month whose manifest has every data-quality key, with hostile file and sheet names."""
    root = tmp_path_factory.mktemp("kualitas")
    paths = run_paths(Period(2024, 3), root / "raw", root / "processed", root / "reports")
    make_processed(paths.processed)
    _manifest(
        paths,
        rejected_files=[
            {"path": f"opd/{PERIOD}/rusak.xlsx", "sheet": None,
             "reason": "CalamineError: Cannot detect file format"},
            {"path": DINSOS, "sheet": "Lampiran", "reason": "the header row lacks the required column nik"},
            {"path": f"opd/{PERIOD}/Dinas Sosial rekap.csv", "sheet": None,
             "reason": "Berkas tidak dapat dibuka: simpan ulang sebagai .xlsx."},
        ],
        ignored_files=["Surat Pengantar Dinas Sosial.pdf", "KTP_1872010101909999_Suparjo Wiryokusumo.pdf",
                       "README"],
        superseded_files=[{"path": f"opd/{PERIOD}/Dinas_Kesehatan.xlsx",
                           "replaced_by": f"opd/{PERIOD}/Dinas_Kesehatan_revisi.xlsx"}],
        corrections=[{"path": f"opd/{PERIOD}/umpan_balik_Dinas_Sosial.xlsx", "applied": 3, "unchanged": 1,
                      "unknown_rows": 0}],
        skipped_sheets=[{"path": DINSOS, "sheet": "<img src=x onerror=alert(1)>"},
                        {"path": DINSOS, "sheet": "=HYPERLINK(\"http://x\",\"klik\")"},
                        {"path": DINSOS, "sheet": "1872010101909998 Sutinah"}],
        skipped_rows=[{"path": DINSOS, "sheet": "BNBA", "row": r, "kind": k}
                      for r, k in ((3, "nomor_kolom"), (40, "jumlah"), (41, "catatan"), (42, "catatan"),
                                   (43, "catatan"), (50, "catatan"))],
    )
    result = build_report(paths, min_cell=5)
    return paths, result


def test_library_and_english_reasons_become_a_plain_indonesian_sentence():
    assert indonesian_reason("CalamineError: Cannot detect file format") == GENERIC_REJECTION
    assert indonesian_reason("the header row lacks the required column nik and nominal") == GENERIC_REJECTION
    assert indonesian_reason("PermissionError: [Errno 13] Permission denied") == GENERIC_REJECTION
    kept = "Sheet 'BNBA' tidak memuat kolom NIK; tambahkan kolom NIK (16 digit)."
    assert indonesian_reason(kept) == kept
    assert indonesian_reason("") == GENERIC_REJECTION


def test_file_name_holding_a_nik_is_not_published():
    assert public_name("KTP_1872010101909999_Suparjo Wiryokusumo.pdf") == \
        "(nama disamarkan: memuat nomor identitas).pdf"
    assert public_name("1872010101909998 Sutinah") == "(nama disamarkan: memuat nomor identitas)"
    assert public_name(f"opd/{PERIOD}/BNBA Dinsos Maret 2024.xlsx") == "BNBA Dinsos Maret 2024.xlsx"
    assert public_name("Rekap_202403.csv") == "Rekap_202403.csv"  # a period is not an identity number


def test_a_file_named_after_a_recipient_is_listed_without_the_name(tmp_path):
    # An OPD named a file and a sheet after a person in its rows: the report used to print the
    # name (and the leak scan then stopped the run); now the file is listed, its name masked.
    paths = run_paths(Period(2024, 3), tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    secrets = make_processed(paths.processed)
    person = sorted(secrets["names"])[0]
    _manifest(paths, ignored_files=[f"opd/{PERIOD}/Surat kuasa {person}.pdf"],
              skipped_sheets=[{"path": DINSOS, "sheet": f"{person.upper()} (ahli waris)"}])
    html = build_report(paths, min_cell=5).html.read_text(encoding="utf-8")
    assert person not in html and person.upper() not in html
    assert html.count("(nama disamarkan: memuat nama orang)") == 2
    assert public_name("Surat Pengantar Dinas Sosial.pdf", personal={"siti aminah"}) == \
        "Surat Pengantar Dinas Sosial.pdf"


def test_a_file_named_after_someone_not_in_the_rows_is_listed_without_the_name():
    # "Susulan Bpk Hartono Wijayakusuma.csv", sheet "Ibu Ratna Dewi Anggraini": published verbatim before
    assert public_name(f"opd/{PERIOD}/Susulan Bpk Hartono Wijayakusuma.csv") == "(nama disamarkan: memuat nama orang).csv"
    assert public_name("Ibu Ratna Dewi Anggraini", path=False) == "(nama disamarkan: memuat nama orang)"
    assert public_name(f"opd/{PERIOD}/Dinkes_Bantuan_Transportasi_Rujukan_Ibu_2024-03.csv") == \
        "Dinkes_Bantuan_Transportasi_Rujukan_Ibu_2024-03.csv"


def test_quality_section_names_every_listed_file_in_indonesian(quality):
    _, result = quality
    html = result.html.read_text(encoding="utf-8")
    for text in ("Berkas lain yang tidak diolah", "Surat Pengantar Dinas Sosial.pdf", "README",
                 "Dinas_Kesehatan.xlsx", "Dinas_Kesehatan_revisi.xlsx", "umpan_balik_Dinas_Sosial.xlsx",
                 "baris jumlah/total", "41-43, 50", "Berkas tidak dapat dibuka: simpan ulang sebagai .xlsx.",
                 "Minta OPD mengirim ulang"):
        assert text in html, text
    for english in ("CalamineError", "Cannot detect", "lacks the required", "header row"):
        assert english not in html, english
    assert "Dinas Sosial" in html.split("Berkas atau sheet yang tidak dapat dibaca")[1]  # OPD named from the file


def test_quality_section_never_shows_a_nik_or_name_from_a_file_name(quality):
    _, result = quality
    html = result.html.read_text(encoding="utf-8")
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", html)
    assert "Suparjo" not in html and "Sutinah" not in html


def test_html_sheet_name_is_text_not_an_element(quality):
    _, result = quality
    html = result.html.read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert external_references(html) == []  # the escaped text no longer trips the self-containment check


def test_workbook_writes_formula_like_names_as_text_with_an_apostrophe(quality):
    _, result = quality
    wb = load_workbook(result.xlsx)
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formula = [t for t in texts if "HYPERLINK" in t]
    assert formula and all(t.startswith("'=") for t in formula)
    assert not [t for t in texts if t.startswith(("=", "+", "@")) and not re.fullmatch(r"[-+]?[\d.,]+", t)]
    assert "Sheet Dilewati" in wb.sheetnames and "Baris Dilewati" in wb.sheetnames


def test_headline_counts_skipped_rows_apart_from_the_quarantine(quality):
    _, result = quality
    html = result.html.read_text(encoding="utf-8")
    assert "6 baris bukan data (baris jumlah, nomor kolom, catatan) dilewati" in html
    assert "terutama karena" not in html
    assert result.summary["baris_dilewati"] == 6


def test_absent_quality_keys_are_empty_lists(tmp_path):
    paths = run_paths(Period(2024, 3), tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    make_processed(paths.processed, people=60)
    path = paths.processed / "manifest.json"
    manifest = json.loads(path.read_text())
    for key in ("ignored_files", "skipped_rows", "skipped_sheets", "rejected_files"):
        manifest.pop(key, None)
    path.write_text(json.dumps(manifest))
    html = build_report(paths, min_cell=5).html.read_text(encoding="utf-8")
    assert "Tidak ada berkas lain di folder OPD." in html and "Tidak ada baris yang dilewati." in html
