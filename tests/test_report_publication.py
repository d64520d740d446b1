"""What the published files say about themselves: synthetic data, links, print layout, and no leaks."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import papermill
import pytest
from openpyxl import load_workbook
from PIL import Image

from kmc_analysis.clean.pseudonyms import load_key, pseudonymize
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.personal_data import png_text, scan_for_personal_data
from kmc_analysis.core.store import peta_interaktif_html
from kmc_analysis.report.build import build_report
from kmc_analysis.report.html import external_references
from kmc_analysis.report.leaks import PersonalDataError, check_published, month_personal_data
from kmc_analysis.report.synthetic import SYNTHETIC_LABEL
from processed_month import make_processed, tiny_png


#: Twelve kelurahan: long enough for the kelurahan sheet to get an autofilter.
TWELVE = [(f"18.72.0{k}", f"Kecamatan {k}", f"18.72.0{k}.100{j}", f"Kelurahan {k}{j}", 5000 + 100 * j)
          for k in range(1, 5) for j in range(1, 4)]


def _month(root, synthetic: bool, with_map: bool = True):
    paths = run_paths(Period(2024, 3), root / "raw", root / "processed", root / "reports")
    secrets = make_processed(paths.processed, wilayah=TWELVE)
    if synthetic:
        manifest = json.loads((paths.processed / "manifest.json").read_text())
        manifest["data_sintetis"] = True
        (paths.processed / "manifest.json").write_text(json.dumps(manifest))
    paths.reports.mkdir(parents=True)
    tiny_png(paths.reports / "peta_cakupan_kecamatan.png")
    if with_map:
        (paths.reports / peta_interaktif_html(paths.period)).write_text("<html><body><svg></svg></body></html>")
    return paths, secrets


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    paths, secrets = _month(tmp_path_factory.mktemp("sintetis"), synthetic=True)
    return paths, build_report(paths, min_cell=5), secrets


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    paths, _ = _month(tmp_path_factory.mktemp("resmi"), synthetic=False, with_map=False)
    return paths, build_report(paths, min_cell=5)


def test_synthetic_month_says_so_on_every_page_sheet_image_and_summary(synthetic):
    paths, result, _ = synthetic
    html = result.html.read_text(encoding="utf-8")
    assert html.count(SYNTHETIC_LABEL) >= 4  # screen banner, cover, and every printed page's top and bottom
    assert f'@top-center {{ content: "{SYNTHETIC_LABEL}"' in html and 'class="sintetis"' in html
    wb = load_workbook(result.xlsx)
    for ws in wb.worksheets:
        assert SYNTHETIC_LABEL in ws.oddHeader.center.text and SYNTHETIC_LABEL in ws.oddFooter.left.text, ws.title
    assert SYNTHETIC_LABEL in wb.worksheets[0]["A3"].value
    assert json.loads(result.ringkasan.read_text())["data_sintetis"] is True
    with Image.open(paths.reports / "peta_cakupan_kecamatan.png") as image:
        corner = np.asarray(image.convert("RGB").crop((image.width // 2, 0, image.width, image.height // 4)))
        red = (corner[..., 0] > 140) & (corner[..., 1] < 60) & (corner[..., 2] < 60)
        assert red.any()  # the red corner label
    assert SYNTHETIC_LABEL in (paths.reports / peta_interaktif_html(paths.period)).read_text()


def test_index_marks_a_synthetic_period(synthetic):
    from kmc_analysis.report import build_index

    paths, _, _ = synthetic
    assert SYNTHETIC_LABEL in build_index(paths.reports_dir).read_text(encoding="utf-8")


def test_official_month_carries_no_synthetic_mark(official):
    _, result = official
    assert SYNTHETIC_LABEL not in result.html.read_text(encoding="utf-8")
    assert json.loads(result.ringkasan.read_text())["data_sintetis"] is False
    assert not load_workbook(result.xlsx).worksheets[0].oddHeader.center.text


def test_report_links_the_interactive_map_when_stage_two_wrote_it(synthetic, official):
    paths, result, _ = synthetic
    html = result.html.read_text(encoding="utf-8")
    assert f'href="{peta_interaktif_html(paths.period)}"' in html
    assert external_references(html) == []  # a link to a sibling page loads nothing
    assert "peta_interaktif" not in official[1].html.read_text(encoding="utf-8")


def test_maps_fill_the_page_width(synthetic):
    html = synthetic[1].html.read_text(encoding="utf-8")
    assert "figure.gambar img { width: 100%" in html


def test_workbook_prints_a4_landscape_with_header_rows_years_as_numbers_and_filters(official):
    _, result = official
    wb = load_workbook(result.xlsx)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4), ws.title
    for ws in wb.worksheets[1:-1]:
        assert ws.print_title_rows == "$4:$4", ws.title
    rp = wb["Evaluasi RPJMD"]
    headers = [c.value for c in rp[4]]
    years = [rp.cell(row=r, column=headers.index("Tahun") + 1).value for r in range(5, rp.max_row + 1)]
    assert 2024 in years and all(isinstance(y, int) for y in years if y is not None)
    assert wb["Rekap Kelurahan"].auto_filter.ref == "A4:J16"  # 12 kelurahan below the header row
    assert not wb["Rekap Kecamatan"].auto_filter.ref  # 4 kecamatan and the city: short, no filter


def _png_with_text(path, keyword: str, text: str, compressed: bool) -> None:
    tiny_png(path)
    data = path.read_bytes()
    body = keyword.encode() + b"\0" + (b"\0" + zlib.compress(text.encode()) if compressed else text.encode())
    kind = b"zTXt" if compressed else b"tEXt"
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    path.write_bytes(data[:-12] + chunk + data[-12:])  # before IEND


def test_scan_reads_png_text_chunks_and_workbook_properties(tmp_path):
    from openpyxl import Workbook

    _png_with_text(tmp_path / "peta.png", "Comment", "dibuat untuk Suparjo Wiryokusumo", compressed=True)
    _png_with_text(tmp_path / "grafik.png", "Source", "/home/operator/kmc/data/raw", compressed=False)
    assert "Suparjo Wiryokusumo" in png_text(tmp_path / "peta.png")
    wb = Workbook()
    wb.properties.keywords = "1872015708900001"
    wb.properties.creator = "C:\\Users\\operator\\Documents"
    wb.save(tmp_path / "laporan.xlsx")
    findings = scan_for_personal_data(tmp_path, ["1872015708900001"], ["Suparjo Wiryokusumo"], [])
    assert "peta.png: nama S…" in findings
    assert "grafik.png: path folder server" in findings
    assert "laporan.xlsx: NIK 1872…" in findings and "laporan.xlsx: path folder server" in findings


def test_scan_leaves_alone_a_name_that_is_also_a_published_place(tmp_path):
    (tmp_path / "laporan.html").write_text("<td>Ganjar Agung</td><td>Metro</td>")
    assert scan_for_personal_data(tmp_path, [], ["Ganjar Agung", "Metro"], [],
                                  public_words=["Ganjar Agung", "Metro"]) == []
    assert scan_for_personal_data(tmp_path, [], ["Ganjar Agung"], []) == ["laporan.html: nama G…"]


def test_scan_finds_the_run_folders_in_a_published_file(tmp_path):
    (tmp_path / "ringkasan.json").write_text(json.dumps({"sumber": "/srv/kmc/processed/2024-03/penerima.parquet"}))
    assert scan_for_personal_data(tmp_path, paths=["/srv/kmc/processed"]) == ["ringkasan.json: path folder server"]


def test_month_personal_data_reads_names_and_niks_of_accepted_and_quarantined_rows(synthetic):
    paths, _, secrets = synthetic
    niks, names, pseudonyms = month_personal_data(paths.processed)
    missing = set(secrets["names"]) - names
    assert [n.split()[-1] for n in missing] == ["Karantina7"]  # the one quarantined row whose name cell is empty
    quarantined = [n for n in secrets["niks"] if n not in niks]
    assert len(quarantined) == len(secrets["niks"]) - 9  # the 9 quarantined NIKs are read; accepted NIKs never kept
    assert {pseudonym[:16] for pseudonym in secrets["pseudonyms"]} == pseudonyms


def test_published_folder_passes_the_leak_check_and_fails_with_a_planted_name(synthetic, tmp_path):
    paths, _, secrets = synthetic
    check_published(paths.reports, paths.processed, folders=[paths.raw_dir, paths.processed_dir])
    planted = tmp_path / "reports"
    planted.mkdir()
    (planted / "catatan.html").write_text(f"<p>{secrets['names'][3]}</p>")
    with pytest.raises(PersonalDataError) as failure:
        check_published(planted, paths.processed)
    assert "catatan.html: nama" in str(failure.value) and secrets["names"][3] not in str(failure.value)


@pytest.mark.slow
def test_a_nik_in_a_program_name_stops_stage_4_as_personal_data_not_as_an_unexpected_error(tmp_path):
    # Black-box attack 13: a catalogue program named "Bantuan 1872015708900001" stopped the report notebook on its
    # own 16-digit assertion ("kesalahan tak terduga (AssertionError)"), before the personal-data check that says so.
    paths, _ = _month(tmp_path, synthetic=False, with_map=False)
    rekap = paths.processed / "rekap_program.csv"
    lines = rekap.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[1] = "Bantuan 1872015708900001"
    rekap.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "04_report.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        papermill.execute_notebook(str(notebook), str(tmp_path / "04.ipynb"), kernel_name="python3",
                                   progress_bar=False, cwd=str(notebook.parent),
                                   parameters={"period": "2024-03", "raw_dir": str(paths.raw_dir),
                                               "processed_dir": str(paths.processed_dir),
                                               "reports_dir": str(paths.reports_dir), "staging_dir": ""})
    assert failure.value.ename == "PersonalDataError"
    assert "1872015708900001" not in failure.value.evalue and "angka 16 digit" in failure.value.evalue


def test_an_accepted_niks_digits_in_groups_stop_publishing_through_its_pseudonym_under_the_runs_key(tmp_path):
    # Black-box recheck 14: an accepted recipient's NIK, stored only as its pseudonym, written with commas in a program
    # name was published. The scan computes stage 1's pseudonym of each 16-digit run with the run's key.
    paths, secrets = _month(tmp_path, synthetic=False, with_map=False)
    nik = secrets["niks"][0]
    penerima = pd.read_parquet(paths.processed / "penerima.parquet")
    penerima["id_penerima"] = pseudonymize(pd.Series([nik] * len(penerima), dtype="str"), load_key()).tolist()
    penerima.to_parquet(paths.processed / "penerima.parquet", index=False)
    report = tmp_path / "laporan"
    report.mkdir()
    (report / "laporan.html").write_text("<td>Bantuan " + ", ".join(nik[i:i + 4] for i in range(0, 16, 4)) + "</td>")
    with pytest.raises(PersonalDataError) as failure:
        check_published(report, paths.processed)
    assert "laporan.html: NIK" in str(failure.value) and nik not in str(failure.value)
