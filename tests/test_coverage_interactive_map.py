"""The interactive HTML map: offline, two layers, the report tables' suppression, hatching, Indonesian text."""

import json
import re

import pytest

from kmc_analysis.core.disclosure import SHOWN
from kmc_analysis.core.periods import Period
from kmc_analysis.core.personal_data import scan_for_personal_data
from kmc_analysis.core.store import peta_interaktif_html
from kmc_analysis.coverage.display import suppression
from kmc_analysis.coverage.furniture import SCHEMATIC_LABEL
from kmc_analysis.coverage.interactive_map import (
    NO_DATA_FILL,
    SUPPRESSED_FILL,
    interactive_map_html,
    write_interactive_map,
)

MARET = Period(2024, 3)


def _payload(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="angka">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def _fills(page: str, level: str) -> dict[str, str]:
    return dict(re.findall(rf'data-tingkat="{level}" data-kode="([^"]+)" aria-label="[^"]*" fill="([^"]+)"', page))


@pytest.fixture(scope="module")
def page(metro_boundaries, metro_rekap):
    kec, kel = metro_rekap
    return interactive_map_html(metro_boundaries, kec, kel, period=MARET, min_cell=5, population_note="perkiraan")


def test_written_under_its_contract_name_and_works_offline(metro_boundaries, metro_rekap, tmp_path):
    kec, kel = metro_rekap
    path = write_interactive_map(metro_boundaries, kec, kel, tmp_path, period=MARET)
    assert path.name == peta_interaktif_html(MARET) == "peta_interaktif_2024-03.html"
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"https?://|//cdn|<link|\bsrc=|@import|url\((?!#)", page)  # no tile server, CDN or file
    assert page.startswith("<!DOCTYPE html>") and 'lang="id"' in page and "<svg" in page
    assert path.stat().st_size < 150_000  # simplified geometry keeps it small
    again = write_interactive_map(metro_boundaries, kec, kel, tmp_path / "lagi", period=MARET)
    assert again.read_bytes() == path.read_bytes()
    assert scan_for_personal_data(tmp_path) == []


def test_both_layers_with_a_toggle(page, metro_rekap):
    kec, kel = metro_rekap
    assert 'id="lapisan-kelurahan"' in page and 'id="lapisan-kecamatan" hidden' in page
    assert 'data-tingkat="kelurahan" aria-pressed="true">Kelurahan' in page
    assert len(_fills(page, "kelurahan")) == len(kel) and len(_fills(page, "kecamatan")) == len(kec)


def test_figures_hidden_exactly_as_in_the_report_tables(page, metro_rekap):
    kec, kel = metro_rekap
    data = _payload(page)
    for level, rekap in (("kecamatan", kec), ("kelurahan", kel)):
        mask = suppression(rekap, level, 5)
        for i, code in enumerate(rekap[f"kode_{level}"]):
            shown = dict(data[level][code]["angka"])
            for column, label in (("penerima_unik", "Penerima unik"),
                                  ("penerima_per_1000", "Penerima per 1.000 penduduk"),
                                  ("nilai_total", "Nilai bantuan")):
                hidden = shown[label] in ("<5", "*")
                assert hidden == (mask[column].iloc[i] != SHOWN), (level, code, column, shown[label])
    imopuro = dict(data["kelurahan"]["18.72.01.1003"]["angka"])
    assert imopuro["Penerima unik"] == "<5" and imopuro["Penerima per 1.000 penduduk"] == "*"
    assert data["kelurahan"]["18.72.01.1003"]["nama"] == "Kelurahan Imopuro (Kec. Metro Pusat)"


def test_figures_in_indonesian_number_style(page, metro_rekap):
    _, kel = metro_rekap
    data = _payload(page)
    row = kel[kel["kelurahan"] == "Karangrejo"].iloc[0]
    shown = dict(data["kelurahan"][row["kode_kelurahan"]]["angka"])
    assert shown["Penduduk"] == f"{int(row['penduduk']):,}".replace(",", ".")
    assert shown["Penerima per 1.000 penduduk"] == f"{row['penerima_per_1000']:.2f}".replace(".", ",")
    assert shown["Nilai bantuan"].startswith("Rp") and "," not in shown["Nilai bantuan"]


def test_suppressed_and_no_data_areas_are_hatched(page):
    fills = _fills(page, "kelurahan")
    assert fills["18.72.01.1003"] == SUPPRESSED_FILL  # Imopuro: 3 persons
    assert fills["18.72.01.1005"] == NO_DATA_FILL  # Yosomulyo: no population
    assert all(f.startswith("#") for code, f in fills.items() if f not in (SUPPRESSED_FILL, NO_DATA_FILL))
    assert 'id="arsir-samar"' in page and "Disamarkan (1–4 penerima" in page


def test_schematic_run_says_peta_skematis(metro_tiles, metro_rekap):
    kec, kel = metro_rekap
    page = interactive_map_html(metro_tiles, kec, kel, period=MARET)
    assert page.count("PETA SKEMATIS") >= 2 and SCHEMATIC_LABEL in page
