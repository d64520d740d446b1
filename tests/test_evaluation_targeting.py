"""Targeting against DTKS (ketepatan_sasaran): exact counts, publication rules, chapter and map."""

import json

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.clean.dtks import read_dtks
from kmc_analysis.clean.pseudonyms import load_key, pseudonymize
from kmc_analysis.core.disclosure import SHOWN
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference
from kmc_analysis.core.store import KETEPATAN_SASARAN, MAP_DTKS, read_table, write_table
from kmc_analysis.coverage.boundaries import schematic_boundaries
from kmc_analysis.evaluation.targeting import kecamatan_mask, targeting_summary, targeting_table

MARCH = Period(2024, 3)
CATALOGUE = pd.DataFrame({"kode_bantuan": ["P1", "P2", "P3", "P4"],
                          "nama_bantuan": ["Bansos Lansia", "Bansos Keluarga Miskin", "Insentif RT", "Bedah Rumah"],
                          "sasaran_miskin": ["ya", "ya", "tidak", "ya"]})
#: DTKS persons d1..d7: d1/d2 one household in Metro Timur, d5 without KK, d7's place unmatched.
DTKS = pd.DataFrame({"id_penerima": [f"d{i}" for i in range(1, 8)],
                     "id_kk": ["H1", "H1", "H2", "H3", "", "H4", "H5"],
                     "kode_kecamatan": ["18.72.04", "18.72.04", "18.72.03", "18.72.05", "18.72.05", "18.72.05", ""],
                     "kode_kelurahan": ""})
#: The month's accepted rows: P1 and P2 target the poor, P3 does not (d5 gets only P3).
PENERIMA = pd.DataFrame([("d1", "P1", "18.72.04"), ("d3", "P1", "18.72.03"), ("x1", "P1", "18.72.04"),
                         ("x2", "P1", "18.72.01"), ("d1", "P2", "18.72.04"), ("d4", "P2", "18.72.05"),
                         ("d7", "P2", "18.72.02"), ("d5", "P3", "18.72.05")],
                        columns=["id_penerima", "kode_bantuan", "kode_kecamatan"])


@pytest.fixture(scope="module")
def wilayah():
    return load_reference().wilayah


@pytest.fixture(scope="module")
def table(wilayah):
    return targeting_table(PENERIMA, DTKS, CATALOGUE, wilayah)


def counts(table, tingkat, kode=None):
    rows = table.loc[table["tingkat"] == tingkat]
    row = rows.iloc[0] if kode is None else rows.set_index("kode").loc[kode]
    return [None if pd.isna(row[c]) else row[c] for c in
            ("penerima_unik", "penerima_dtks", "persen_penerima_dtks", "dtks_unik", "dtks_menerima",
             "persen_dtks_terjangkau")]


def test_city_kecamatan_and_program_counts_are_exact(table):
    assert list(table.columns) == KETEPATAN_SASARAN.column_names
    assert table["tingkat"].tolist() == ["kota", "kota_rumah_tangga"] + ["kecamatan"] * 5 + ["program"] * 3
    assert counts(table, "kota") == [6, 4, 66.67, 7, 4, 57.14]                  # x1, x2 are not in DTKS
    assert counts(table, "kota_rumah_tangga") == [None, None, None, 5, 4, 80.0]  # H1, H2, H3, H5 reached
    assert counts(table, "kecamatan", "18.72.04") == [2, 1, 50.0, 2, 1, 50.0]
    assert counts(table, "kecamatan", "18.72.05") == [1, 1, 100.0, 3, 1, 33.33]  # d5 gets only a non-poor program
    assert counts(table, "kecamatan", "18.72.01") == [1, 0, 0.0, 0, 0, None]     # no DTKS person: no share
    assert counts(table, "program", "P1") == [4, 2, 50.0, 7, 2, 28.57]
    assert counts(table, "program", "P2") == [3, 3, 100.0, 7, 3, 42.86]
    assert counts(table, "program", "P4") == [0, 0, None, 7, 0, 0.0]             # a poor program paid to nobody
    assert "P3" not in set(table["kode"])


def test_the_table_is_written_and_read_back_through_the_store(tmp_path, table):
    write_table(tmp_path, KETEPATAN_SASARAN, table)
    text = (tmp_path / KETEPATAN_SASARAN.name).read_text()
    assert text.splitlines()[1] == "kota,18.72,Kota Metro,6,4,66.67,7,4,57.14"
    assert text.splitlines()[2] == "kota_rumah_tangga,18.72,Kota Metro (rumah tangga),,,,5,4,80.00"
    pd.testing.assert_frame_equal(read_table(tmp_path, KETEPATAN_SASARAN), table)


def random_kecamatan(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unik = rng.integers(0, 12, 5)
    dtks = rng.integers(0, 12, 5)
    return pd.DataFrame({"tingkat": "kecamatan", "kode": [f"K{i}" for i in range(5)], "nama": "x",
                         "penerima_unik": pd.array(unik, dtype="Int64"),
                         "penerima_dtks": pd.array(rng.integers(0, unik + 1), dtype="Int64"),
                         "persen_penerima_dtks": 0.0, "dtks_unik": pd.array(dtks, dtype="Int64"),
                         "dtks_menerima": pd.array(rng.integers(0, dtks + 1), dtype="Int64"),
                         "persen_dtks_terjangkau": 0.0})


@pytest.mark.parametrize("seed", range(40))
def test_no_small_kecamatan_count_can_be_read_or_worked_out_from_two_printed_cells(seed):
    rows = random_kecamatan(seed)
    mask = kecamatan_mask(rows, 5)
    for total, part in (("penerima_unik", "penerima_dtks"), ("dtks_unik", "dtks_menerima")):
        for column in (total, part):
            shown = rows.loc[mask[column] == SHOWN, column].astype(int)
            assert ((shown == 0) | (shown >= 5)).all()
        both = (mask[total] == SHOWN) & (mask[part] == SHOWN)
        difference = (rows.loc[both, total] - rows.loc[both, part]).astype(int)
        assert ((difference == 0) | (difference >= 5)).all()
        for column in (total, part):                       # one hidden cell per column never stands alone
            assert (mask[column] != SHOWN).sum() != 1


def test_the_chapter_publishes_city_and_programs_in_full_and_hides_small_kecamatan_counts(table):
    tinjauan = pd.DataFrame({"opd": ["Dinas Sosial", "Disdikbud"], "baris_ditinjau": [3, 7],
                             "usia_di_luar_sasaran": [1, 7], "nominal_tidak_wajar": [2, 0], "banyak_program": [0, 0]})
    dtks = {"baris_dibaca": 9, "baris_nik_valid": 7, "orang_unik": 7, "berkas": [{"path": "dtks/a.csv"}]}
    tables, sentences = targeting_summary(table, tinjauan, MARCH, min_cell=5, dtks=dtks)
    assert set(tables) == {"kota", "kecamatan", "program", "tinjauan_opd"}
    assert tables["kota"].iloc[0].tolist() == ["18.72", "Kota Metro", "6", "4", "66,67%", "7", "4", "57,14%"]
    assert tables["program"].iloc[0].tolist() == ["P1", "Bansos Lansia", "4", "2", "50,00%", "7", "2", "28,57%"]
    kecamatan = tables["kecamatan"].set_index("Kode")
    assert kecamatan.loc["18.72.04", "Penerima program miskin"] == "<5"
    assert kecamatan.loc["18.72.04", "% DTKS terjangkau"] == "*"
    assert tables["tinjauan_opd"]["OPD"].tolist() == ["Disdikbud", "Dinas Sosial"]
    assert sentences == [
        "Ekstrak DTKS: 9 baris dibaca dari 1 berkas; 7 baris dengan NIK yang dapat dipakai, 7 orang.",
        "Dari 6 penerima program untuk rumah tangga miskin pada Maret 2024, 4 (66,67%) terdaftar di DTKS.",
        "2 penerima tidak ditemukan di DTKS: OPD pengelola diminta memverifikasinya (daftar barisnya ada di berkas "
        "umpan balik masing-masing OPD).",
        "4 dari 7 orang DTKS (57,14%) menerima setidaknya satu program tersebut; menurut rumah tangga, 4 dari 5 "
        "(80,00%).",
        "Porsi penerima yang terdaftar di DTKS paling rendah pada Bansos Lansia (50,00% dari 4 penerima).",
        "Pada tabel kecamatan, jumlah orang 1–4 ditulis <5 dan angka yang dapat membukanya ditulis *.",
        "10 baris penerima ditandai untuk ditinjau ulang oleh OPD (8 usia di luar sasaran program, 2 nominal tidak "
        "wajar); tanda ini bukan kesalahan dan tidak mengeluarkan baris dari data. Terbanyak pada Disdikbud (7 baris).",
    ]


def test_without_dtks_the_chapter_says_targeting_was_not_assessed():
    tables, sentences = targeting_summary(None, None, MARCH)
    assert tables == {} and sentences[0].startswith("Ketepatan sasaran Maret 2024 tidak dinilai")


def test_the_dtks_coverage_map_is_written_with_hatched_hidden_kecamatan(tmp_path, table, wilayah):
    from kmc_analysis.evaluation.targeting_map import write_dtks_coverage_map

    path = write_dtks_coverage_map(schematic_boundaries(wilayah), table, tmp_path, MARCH, min_cell=2)
    assert path == tmp_path / MAP_DTKS and path.read_bytes().startswith(b"\x89PNG")
    again = write_dtks_coverage_map(schematic_boundaries(wilayah), table, tmp_path / "b", MARCH, min_cell=2)
    assert again.read_bytes() == path.read_bytes()


# --- a SIKS-NG extract in RAW/dtks/ (attack_layouts c13, c14) -----------------------------------

def siks_ng(path, people):
    header = ["IDDTKS", "PROVINSI", "KABUPATEN/KOTA", "KECAMATAN", "DESA/KELURAHAN", "ALAMAT", "NOMOR KK",
              "NOMOR NIK", "NAMA", "TANGGAL LAHIR", "BANSOS PKH", "PBI JKN"]
    lines = ["|".join(header)] + ["|".join([f"{i:016d}", "LAMPUNG", "KOTA METRO", kec, kel, "JL. RAHASIA", kk, nik,
                                            name, "01-01-1970", "TIDAK", "YA"])
                                  for i, (nik, kk, kec, kel, name) in enumerate(people, 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_pipe_extract_beside_a_month_gives_the_exact_city_counts_and_keeps_no_dtks_nik(tmp_path, wilayah):
    recipients = [f"18720401018{i:05d}" for i in range(5)]          # five recipients of a poor program
    dtks_only = [f"18720302029{i:05d}" for i in range(4)]           # four DTKS persons not paid
    people = [(nik, f"18720400000{i:05d}", "METRO TIMUR", "IRINGMULYO", f"PENERIMA {i}")
              for i, nik in enumerate(recipients[:3])]
    people += [(nik, f"18720300000{i:05d}", "METRO BARAT", "GANJARAGUNG", f"HANYA DTKS {i}")
               for i, nik in enumerate(dtks_only)]
    siks_ng(tmp_path / "raw" / "dtks" / "DTKS_1872_KOTA_METRO_202402.csv", people)
    key = load_key()
    extract = read_dtks(tmp_path / "raw" / "dtks", tmp_path / "raw", key, wilayah)
    penerima = pd.DataFrame({"id_penerima": pseudonymize(pd.Series(recipients, dtype="str"), key),
                             "kode_bantuan": "KMC-026", "kode_kecamatan": "18.72.04"})
    table = targeting_table(penerima, extract.persons, load_reference().program_bantuan, wilayah)
    assert counts(table, "kota")[:5] == [5, 3, 60.0, 7, 3]
    assert counts(table, "program", "KMC-026")[:2] == [5, 3]
    assert counts(table, "kecamatan", "18.72.03")[3:5] == [4, 0]
    out = tmp_path / "processed"
    write_table(out, KETEPATAN_SASARAN, table)
    written = (out / KETEPATAN_SASARAN.name).read_text() + json.dumps(extract.summary())
    for nik, kk, _, _, name in people:
        assert nik not in written and kk not in written and name not in written


def test_a_catalogue_without_poor_targeted_programs_says_how_to_mark_them(wilayah):
    table = targeting_table(PENERIMA, DTKS, CATALOGUE.drop(columns="sasaran_miskin"), wilayah)
    assert counts(table, "kota")[:2] == [0, 0] and "program" not in set(table["tingkat"])
    _, sentences = targeting_summary(table, None, MARCH)
    assert "tidak menandai satu program pun dengan sasaran_miskin = ya" in sentences[0]


def test_names_that_look_like_formulas_are_written_as_text(tmp_path, wilayah):
    catalogue = CATALOGUE.assign(nama_bantuan=["@SUM(1+1) Bansos", "=HYPERLINK(\"x\")", "c", "-d"])
    write_table(tmp_path, KETEPATAN_SASARAN, targeting_table(PENERIMA, DTKS, catalogue, wilayah))
    text = (tmp_path / KETEPATAN_SASARAN.name).read_text()
    assert ",'@SUM(1+1) Bansos," in text and ",\"'=HYPERLINK(\"\"x\"\")\"," in text and ",'-d," in text
