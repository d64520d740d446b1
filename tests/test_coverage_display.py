"""Stage 2 display: publication masking of the coverage tables, sentences and notes for a planner."""

import pandas as pd
from conftest import K1, K2, L1, L2, L3, L4

from kmc_analysis.core.periods import Period
from kmc_analysis.coverage.display import (
    coverage_sentences,
    hidden_rates,
    population_note,
    publish_table,
    styled_table,
)
from kmc_analysis.coverage.rekap import perubahan_kecamatan, rekap_kelurahan


def test_published_tables_hide_small_counts(penerima, small_wilayah, population):
    kel = rekap_kelurahan(penerima, small_wilayah, population)
    shown = publish_table(kel, "kelurahan", 5)
    # L1 (2 persons), L2 and L3 (1 each) are small. L4 (0) stays: K2's own total (2 rows) already
    # says that L3 is below 5, and hiding a zero would not change that.
    assert shown["penerima_unik"].tolist() == ["<5", "<5", "<5", "0"]
    assert shown["penerima_per_1000"].tolist() == ["*", "*", "*", "0,00"] and shown.loc[0, "penduduk"] == "1.000"
    assert hidden_rates(kel, "kelurahan", 5).tolist() == [True, True, True, False]
    big = kel.assign(penerima_unik=[20, 30, 40, 50], jumlah_penyaluran=[20, 30, 40, 50])
    assert publish_table(big, "kelurahan", 5)["penerima_unik"].tolist() == ["20", "30", "40", "50"]
    html = styled_table(kel, "kelurahan", 5).to_html()
    assert "&lt;5" in html and "<5<" not in html.replace(" ", "")
    assert publish_table(kel, "kelurahan", 1)["penerima_unik"].tolist() == ["2", "1", "1", "0"]


def test_sentences_name_only_publishable_figures(small_wilayah):
    kec = pd.DataFrame({
        "kode_kecamatan": [K1, K2], "kecamatan": ["Metro Pusat", "Metro Utara"], "penduduk": [3000, 2000],
        "penerima_unik": [30, 60], "penerima_per_1000": [10.0, 30.0], "jumlah_penyaluran": [30, 60],
        "nilai_total": [3, 6], "program_aktif": [1, 1],
    })
    kel = pd.DataFrame({
        "kode_kecamatan": [K1, K1, K2, K2], "kecamatan": ["Metro Pusat"] * 2 + ["Metro Utara"] * 2,
        "kode_kelurahan": [L1, L2, L3, L4], "kelurahan": ["Metro", "Hadimulyo Timur", "Banjarsari", "Purwosari"],
        "penduduk": [1000, 2000, 1000, 1000], "penerima_unik": [2, 28, 30, 30],
        "penerima_per_1000": [2.0, 14.0, 30.0, 30.0], "jumlah_penyaluran": [2, 28, 30, 30],
        "nilai_total": 1, "program_aktif": 1,
    })
    last = kec.assign(penerima_unik=[20, 61])
    change = perubahan_kecamatan(kec, last)
    text = " ".join(coverage_sentences(kec, kel, change, 5, Period(2024, 3)))
    assert "Metro Utara (30,00" in text and "Metro Pusat (10,00)" in text
    assert "Metro (2,00)" not in text and "Hadimulyo Timur (14,00)" not in text  # primary and its complement
    assert "Kecamatan Metro Pusat, naik 10 penerima unik (naik 50,00%)" in text
    assert "Februari 2024" in text
    assert "belum ada" in " ".join(coverage_sentences(kec, kel, None, 5, Period(2024, 1))) and \
        "Desember 2023" in " ".join(coverage_sentences(kec, kel, None, 5, Period(2024, 1)))


def test_population_note_flags_estimates():
    table = pd.DataFrame({"kode_kelurahan": [L1], "tahun": [2024], "penduduk": [10],
                          "keterangan": ["perkiraan: dibagi rata"]})
    used = table[["kode_kelurahan", "penduduk", "tahun"]]
    assert "perkiraan" in population_note(table, used, "/data/penduduk.csv")
    assert "2024" in population_note(table, used, "/data/penduduk.csv")
    official = table.assign(keterangan="Dukcapil semester I")
    assert "perkiraan" not in population_note(official, used, "/data/penduduk.csv")
    assert "perkiraan" in population_note(official, used, "bawaan")
