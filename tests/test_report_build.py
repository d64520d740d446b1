"""Tests for kmc_analysis.report: the published HTML, Excel, ringkasan.json and index.

A small processed folder is built by hand (``make_processed``) with known NIKs, names and
pseudonyms in penerima.parquet and karantina.csv; the report built from it must contain
none of them, load nothing from outside and pass the contract checker.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.personal_data import scan_for_personal_data
from kmc_analysis.report import build_index
from kmc_analysis.report.build import build_report
from kmc_analysis.report.html import external_references
from kmc_analysis.report.inputs import load_processed, suppression_for
from kmc_analysis.report.tables import build_tables
from processed_month import make_processed, tiny_png

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_outputs.py"

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One report built from the fixture folder (shared by the tests below: keeps them fast)."""
    root = tmp_path_factory.mktemp("run")
    paths = run_paths(Period(2024, 3), root / "raw", root / "processed", root / "reports")
    secrets = make_processed(paths.processed)
    paths.reports.mkdir(parents=True)
    tiny_png(paths.reports / "peta_cakupan_kecamatan.png")
    tiny_png(paths.reports / "peta_cakupan_kelurahan.png")
    # Last month's published summary, for the month-on-month comparison.
    (paths.reports_dir / "2024-02").mkdir(parents=True)
    (paths.reports_dir / "2024-02" / "ringkasan.json").write_text(json.dumps(
        {"period": "2024-02", "penerima_unik": 250, "jumlah_penyaluran": 300, "nilai_total": 150_000_000,
         "persen_baris_valid": 95.0, "opd_mengirim": 4, "opd_katalog": 5}))
    result = build_report(paths, min_cell=5)
    return paths, result, secrets


# --- the built report --------------------------------------------------------------------

def test_files_written(built):
    paths, result, _ = built
    assert result.html == paths.reports / "laporan_kmc_2024-03.html"
    assert result.xlsx == paths.reports / "laporan_kmc_2024-03.xlsx"
    for p in (result.html, result.xlsx, result.ringkasan):
        assert p.exists() and p.stat().st_size > 0


def test_the_workbook_is_dated_the_periods_last_day_so_a_rerun_gives_the_same_bytes(built):
    # Black-box attack 10: a rerun's workbook differed from the last one only in its save time (core.xml, zip dates).
    _, result, _ = built
    with zipfile.ZipFile(result.xlsx) as book:
        core = book.read("docProps/core.xml").decode()
        assert {entry.date_time for entry in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "2024-03-31T00:00:00Z</dcterms:created>" in core and "2024-03-31T00:00:00Z</dcterms:modified>" in core


def test_no_personal_data_anywhere(built):
    paths, _, secrets = built
    findings = scan_for_personal_data(paths.reports, secrets["niks"] + secrets["masked"], secrets["names"],
                                      secrets["pseudonyms"])
    assert findings == []


def test_scan_finds_planted_leaks(built, tmp_path):
    _, _, secrets = built
    (tmp_path / "bocor.html").write_text(f"<td>{secrets['names'][0].upper()}</td><td>{secrets['niks'][0]}</td>")
    (tmp_path / "bocor.json").write_text(json.dumps({"id": secrets["pseudonyms"][0][:20]}))
    findings = scan_for_personal_data(tmp_path, secrets["niks"], secrets["names"], secrets["pseudonyms"])
    assert any("NIK" in f for f in findings)
    assert any("nama" in f for f in findings)
    assert any("pseudonim" in f for f in findings)


def test_html_is_self_contained(built):
    _, result, _ = built
    html = result.html.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert html.count("data:image/png;base64,") == 2
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", html)


def test_html_reads_as_a_report(built):
    _, result, _ = built
    html = result.html.read_text(encoding="utf-8")
    for text in ("PEMERINTAH KOTA METRO", "Maret 2024", "Ringkasan Eksekutif", "Kelengkapan Data OPD",
                 "Cakupan Wilayah", "Evaluasi RPJMD", "Kinerja Program", "Kualitas Data",
                 "Catatan Metodologi", "@page", "size: A4", "Dibanding Februari 2024",
                 "tidak tersedia untuk periode ini", "HMAC-SHA256"):
        assert text in html, text
    assert "Rp" in html and re.search(r"Rp\d{1,3}(\.\d{3})+", html)
    assert re.search(r"\d+,\d{2}%", html)
    assert 'class="lencana sangat-tinggi"' in html or 'class="lencana tinggi"' in html


def test_small_kelurahan_is_suppressed(built):
    _, result, _ = built
    data = load_processed(result.html.parents[2] / "processed" / "2024-03")
    table = build_tables(data, suppression_for(data, 5))
    kel = table["rekap_kelurahan"]
    names = [c.name for c in kel.columns]
    ganjar = next(r for r in kel.rows if r.cells[names.index("kelurahan")].text == "Ganjar Agung")
    assert ganjar.cells[names.index("penerima_unik")].text == "<5"
    assert ganjar.cells[names.index("penerima_per_1000")].text == "*"
    assert ganjar.cells[names.index("nilai_total")].text == "*"
    # Metro Barat has two kelurahan: the other one is hidden too (secondary).
    mulyojati = next(r for r in kel.rows if r.cells[names.index("kelurahan")].text == "Mulyojati")
    assert mulyojati.cells[names.index("penerima_unik")].text == "*"
    # The program never delivered shows 0, not a mark.
    prog = table["rekap_program"]
    pnames = [c.name for c in prog.columns]
    linmas = next(r for r in prog.rows if r.cells[pnames.index("kode_bantuan")].text == "L01")
    assert linmas.cells[pnames.index("penerima_unik")].text == "0"


def test_quarantine_counts_by_reason_and_file_without_rows(built):
    _, result, _ = built
    html = result.html.read_text(encoding="utf-8")
    assert "Duplikat" in html and "kiriman_tanpa_opd.csv" in html and "(belum diketahui)" in html
    assert "rusak.xlsx" in html and "Petunjuk" in html
    assert "Rp 300.000" not in html  # an original cell of a quarantined row


def test_workbook_layout(built):
    from openpyxl import load_workbook

    _, result, _ = built
    wb = load_workbook(result.xlsx)
    for sheet in ("Ringkasan", "Rekap Kecamatan", "Rekap Kelurahan", "Rekap OPD", "Rekap Program",
                  "Evaluasi RPJMD", "Catatan"):
        assert sheet in wb.sheetnames, sheet
    ws = wb["Rekap Kelurahan"]
    assert ws.freeze_panes == "A5"
    assert ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    headers = [c.value for c in ws[4]]
    assert "Penerima Unik" in headers and "Nilai Total (Rp)" in headers
    values = [c.value for row in ws.iter_rows(min_row=5) for c in row]
    assert "<5" in values
    nilai_col = headers.index("Nilai Total (Rp)") + 1
    assert ws.cell(row=5, column=nilai_col).number_format == '"Rp"#,##0'
    assert isinstance(ws.cell(row=5, column=nilai_col).value, int)
    rp = wb["Evaluasi RPJMD"]
    rp_headers = [c.value for c in rp[4]]
    cap = rp.cell(row=5, column=rp_headers.index("Capaian (%)") + 1)
    assert cap.number_format == "0.00%" and 0 < cap.value < 2


def test_ringkasan_json_is_city_level(built):
    _, result, secrets = built
    summary = json.loads(result.ringkasan.read_text(encoding="utf-8"))
    assert summary["penerima_unik"] == len(set(secrets["pseudonyms"]))
    assert summary["period"] == "2024-03" and summary["files"]["html"] == "laporan_kmc_2024-03.html"
    assert summary["opd_mengirim"] == 4 and summary["opd_katalog"] == 5


def test_contract_checker_passes(built):
    paths, _, _ = built
    if not CHECKER.exists():
        pytest.skip("../shared/tools/check_outputs.py not present")
    proc = subprocess.run([sys.executable, str(CHECKER), str(paths.processed), str(paths.reports)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-contained" in proc.stdout


def test_index_lists_periods_newest_first(built):
    paths, _, _ = built
    index = build_index(paths.reports_dir)
    html = index.read_text(encoding="utf-8")
    assert index == paths.reports_dir / "index.html"
    assert html.index("Maret 2024") < html.index("Februari 2024")
    assert 'href="2024-03/laporan_kmc_2024-03.html"' in html
    assert 'href="2024-03/laporan_kmc_2024-03.xlsx"' in html
    assert "2024-02/laporan_kmc_2024-02.html" not in html  # no report file there, so no link


def test_report_without_optional_inputs(tmp_path):
    paths = run_paths(Period(2024, 1), tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    make_processed(paths.processed, "2024-01", seed=3, people=40)
    for name in ("karantina.csv", "penerima.parquet"):
        (paths.processed / name).unlink()
    result = build_report(paths, min_cell=3)
    html = result.html.read_text(encoding="utf-8")
    assert "Peta cakupan per kecamatan tidak tersedia" in html
    assert "Perbandingan dengan Desember 2023 tidak tersedia" in html
    assert "&lt;3" in html or "<3" not in html  # the mark follows min_cell


@pytest.mark.slow
def test_notebook_runs(tmp_path):
    """notebooks/04_report.ipynb executes with papermill against the fixture folder."""
    pytest.importorskip("kmc_analysis.core.reference")
    papermill = pytest.importorskip("papermill")
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "04_report.ipynb"
    make_processed(tmp_path / "processed" / "2024-03")
    (tmp_path / "raw").mkdir()
    papermill.execute_notebook(str(notebook), str(tmp_path / "out.ipynb"), cwd=str(notebook.parent),
                               parameters={"period": "2024-03", "raw_dir": str(tmp_path / "raw"),
                                           "processed_dir": str(tmp_path / "processed"),
                                           "reports_dir": str(tmp_path / "reports"), "staging_dir": "",
                                           "boundaries": "", "min_cell": 5, "skip_unreadable": False},
                               kernel_name="python3", progress_bar=False)
    assert (tmp_path / "reports" / "2024-03" / "laporan_kmc_2024-03.html").exists()
    assert (tmp_path / "reports" / "index.html").exists()


def test_missing_stage_outputs_are_named(tmp_path):
    from kmc_analysis.core.errors import StageError

    paths = run_paths(Period(2024, 3), tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    make_processed(paths.processed, people=30)
    (paths.processed / "rekap_opd.csv").unlink()
    with pytest.raises(StageError, match="rekap_opd.csv"):
        build_report(paths)
    assert not paths.reports.exists() or not any(paths.reports.iterdir())
