"""The report's Ketepatan Sasaran chapter and the in-year rule in its sentences.

A hand-made processed month (``make_processed``) gets stage 3's ketepatan_sasaran.csv and
DTKS summary and stage 1's tinjauan.csv written beside it; the report must show the city
and program rows in full, hide small kecamatan counts (and what gives them away), count
review flags per OPD, and say plainly when targeting was not assessed. Narratives never
call a provisional (``sementara``) row behind plan.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import KETEPATAN_SASARAN, TINJAUAN, write_dtks_summary, write_table
from kmc_analysis.report.build import build_report
from kmc_analysis.report.inputs import load_processed
from kmc_analysis.report.narrative import findings, headline_figures, recommendations
from processed_month import make_processed

PERIOD = Period(2024, 3)


def _ketepatan() -> pd.DataFrame:
    rows = [
        ("kota", "18.72", "Kota Metro", 40, 30, 75.0, 200, 30, 15.0),
        ("kecamatan", "18.72.01", "Metro Pusat", 25, 20, 80.0, 90, 20, 22.22),
        ("kecamatan", "18.72.02", "Metro Utara", 12, 8, 66.67, 70, 8, 11.43),
        ("kecamatan", "18.72.03", "Metro Barat", 3, 2, 66.67, 40, 2, 5.0),
        ("program", "S02", "Santunan Kematian", 40, 30, 75.0, 200, 30, 15.0),
    ]
    table = pd.DataFrame(rows, columns=KETEPATAN_SASARAN.column_names)
    for column in ("penerima_unik", "penerima_dtks", "dtks_unik", "dtks_menerima"):
        table[column] = table[column].astype("Int64")
    return table


def _tinjauan() -> pd.DataFrame:
    return pd.DataFrame({
        "sumber_file": ["a.xlsx", "a.xlsx", "b.csv"], "sumber_sheet": ["Data", "Data", "b"],
        "sumber_baris": [3, 4, 2], "opd": ["Dinas Sosial", "Dinas Sosial", "Dinas Kesehatan"],
        "kode_bantuan": ["S02", "S02", "K01"],
        "tanda": ["nominal_tidak_wajar", "usia_di_luar_sasaran;nominal_tidak_wajar", "banyak_program"],
        "keterangan": ["x", "y", "z"]})


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("sasaran")
    paths = run_paths(PERIOD, root / "raw", root / "processed", root / "reports")
    make_processed(paths.processed)
    return paths


@pytest.fixture(scope="module")
def with_dtks(month):
    write_table(month.processed, KETEPATAN_SASARAN, _ketepatan())
    write_table(month.processed, TINJAUAN, _tinjauan())
    write_dtks_summary(month.processed, {"baris_dibaca": 210, "baris_nik_valid": 205, "orang_unik": 200,
                                         "berkas": [{"nama": "dtks.csv", "sha256": "0" * 64}]})
    result = build_report(month, min_cell=5)
    return month, result, result.html.read_text(encoding="utf-8")


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("<section", start)]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


def test_the_chapter_shows_city_and_program_rows_in_full(with_dtks):
    _, _, html = with_dtks
    chapter = _text(_section(html, "sasaran"))
    assert "Ketepatan Sasaran" in chapter
    assert "30 (75,00%) terdaftar di DTKS" in chapter
    assert "Santunan Kematian 40 30 75,00%" in chapter


def test_a_small_kecamatan_count_and_the_cell_that_would_give_it_away_are_hidden(with_dtks):
    _, _, html = with_dtks
    chapter = _text(_section(html, "sasaran"))
    barat = re.search(r"18\.72\.03 Metro Barat (.*?) 18\.72|18\.72\.03 Metro Barat (.{0,80})", chapter)
    assert barat is not None
    shown = (barat.group(1) or barat.group(2))
    assert "<5" in shown or "&lt;5" in shown
    # the city row minus the two other kecamatan would give Metro Barat's 3 back: one more is hidden
    utara = re.search(r"18\.72\.02 Metro Utara (\S+) (\S+)", chapter)
    pusat = re.search(r"18\.72\.01 Metro Pusat (\S+) (\S+)", chapter)
    assert "*" in (utara.group(1), utara.group(2), pusat.group(1), pusat.group(2))


def test_review_flags_are_counted_per_opd_as_counts_not_rupiah(with_dtks):
    paths, _, html = with_dtks
    chapter = _text(_section(html, "sasaran"))
    assert "Dinas Sosial 2 1 2 0" in chapter
    assert "Rp" not in chapter.split("Baris yang perlu ditinjau")[1]


def test_the_summary_and_the_workbook_carry_the_chapter(with_dtks):
    _, result, _ = with_dtks
    summary = json.loads(result.ringkasan.read_text())
    assert summary["ketepatan_sasaran_dinilai"] is True
    assert summary["persen_penerima_dtks"] == 75.0 and summary["baris_ditinjau"] == 3
    from openpyxl import load_workbook
    sheets = load_workbook(result.xlsx, read_only=True).sheetnames
    assert {"Sasaran Kota", "Sasaran Kecamatan", "Sasaran Program", "Tinjauan OPD"} <= set(sheets)


def test_without_a_dtks_extract_the_report_says_targeting_was_not_assessed(tmp_path):
    paths = run_paths(PERIOD, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    make_processed(paths.processed)
    result = build_report(paths, min_cell=5)
    chapter = _text(_section(result.html.read_text(encoding="utf-8"), "sasaran"))
    assert "tidak dinilai" in chapter and "DTKS" in chapter
    assert "Tabel" not in chapter.split("Baris yang perlu ditinjau")[0]
    assert json.loads(result.ringkasan.read_text())["ketepatan_sasaran_dinilai"] is False


# --- the in-year rule in the narrative ------------------------------------------------------

def _with_program_judgements(paths, statuses: dict[str, tuple[str, str]]):
    data = load_processed(paths.processed, PERIOD)
    program = data.tables["rekap_program"][["kode_bantuan", "nama_bantuan", "opd"]].copy()
    program["predikat_penerima"] = [statuses.get(code, ("Tinggi", "final"))[0] for code in program["kode_bantuan"]]
    program["status_penilaian"] = [statuses.get(code, ("Tinggi", "final"))[1] for code in program["kode_bantuan"]]
    data.tables["evaluasi_program"] = program
    return data


def test_a_provisional_program_is_never_called_behind_plan(month):
    data = _with_program_judgements(month, {"B01": ("Sangat Rendah", "sementara"), "S01": ("Rendah", "final")})
    summary = headline_figures(data)
    said = " ".join(str(f) for f in findings(summary, {}, data, None))
    assert "<strong>1</strong> jenis bantuan tertinggal" in said
    assert "Insentif Pekerja Sosial Masyarakat" in said and "Beasiswa Pelajar SD" not in said
    assert "1 lainnya masih di bawah target periode bayarnya" in said
    advice = " ".join(recommendations(summary, data))
    assert "Dinas Sosial" in advice and "Dinas Pendidikan" not in advice


def test_only_provisional_shortfalls_give_no_recommendation_to_investigate(month):
    data = _with_program_judgements(month, {"B01": ("Sangat Rendah", "sementara")})
    advice = " ".join(recommendations(headline_figures(data), data))
    assert "tertinggal" not in advice
