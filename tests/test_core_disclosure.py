"""Tests for kmc_analysis.core.disclosure: the rule table, the hidden-unit record and its marks."""

from __future__ import annotations

import json

import pandas as pd

from kmc_analysis.core.disclosure import (
    ADDITIVE,
    HIDDEN_MARK,
    LAST_MONTH,
    PERSONS,
    PRIMARY,
    RATE,
    REFERENCE,
    RULES,
    SCORE,
    SECONDARY,
    SHOWN,
    THIS_MONTH,
    Penyamaran,
    apply_mask,
    primary_mark,
    small_count_mask,
)
from kmc_analysis.core.store import (
    EVALUASI_OPD,
    EVALUASI_PROGRAM,
    KOMBINASI_PROGRAM,
    PERUBAHAN_KECAMATAN,
    REKAP_KATEGORI_KELURAHAN,
    REKAP_KECAMATAN,
    REKAP_KELURAHAN,
    REKAP_OPD,
    REKAP_PROGRAM,
    REKAP_TUMPANG_TINDIH,
)


def test_every_published_table_and_column_has_a_rule():
    for table in (REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_KATEGORI_KELURAHAN, PERUBAHAN_KECAMATAN,
                  REKAP_TUMPANG_TINDIH, KOMBINASI_PROGRAM, REKAP_PROGRAM, EVALUASI_PROGRAM, REKAP_OPD, EVALUASI_OPD):
        rule = RULES[table.key]
        missing = [c for c in table.column_names if c not in rule.columns]
        assert not missing, (table.key, missing)


def test_areas_are_below_city_and_programs_and_opds_are_published_in_full():
    assert RULES["rekap_kelurahan"].below_city and RULES["rekap_kecamatan"].below_city
    assert RULES["rekap_kategori_kelurahan"].below_city
    for key in ("rekap_program", "evaluasi_program", "rekap_opd", "evaluasi_opd", "evaluasi_rpjmd", "tren_bulanan"):
        assert not RULES[key].below_city, key
    kel = RULES["rekap_kelurahan"]
    assert kel.column("penerima_unik").kind == PERSONS and kel.column("nilai_total").kind == ADDITIVE
    rate = kel.column("penerima_per_1000")
    assert rate.kind == RATE and rate.per == "penduduk" and rate.scale == 1000 and rate.decimals == 2
    assert kel.column("penduduk").kind == REFERENCE and not kel.column("penduduk").hides


def test_new_column_of_a_below_city_table_is_hidden_with_its_row_and_of_a_city_table_published():
    assert RULES["rekap_kelurahan"].column("kolom_baru").kind == SCORE
    assert RULES["rekap_kelurahan"].column("kolom_baru").hides
    assert RULES["evaluasi_program"].column("target_prorata").kind == REFERENCE  # e.g. stage 3's in-year columns
    frame = pd.DataFrame({"kode_bantuan": ["A"], "penerima_unik": [2], "target_prorata": [10]})
    mask = Penyamaran(5, {("program", "A", THIS_MONTH): PRIMARY}).mask(frame, "evaluasi_program")
    assert (mask == SHOWN).all().all()  # city level: never hidden, whatever the record says


def test_small_count_mask_marks_one_to_min_cell_minus_one():
    counts = pd.Series([0, 1, 4, 5, None])
    assert small_count_mask(counts, 5).tolist() == [False, True, True, False, False]
    assert primary_mark(5) == "<5"


def _kelurahan() -> pd.DataFrame:
    return pd.DataFrame({"kode_kecamatan": ["K1", "K1"], "kode_kelurahan": ["L1", "L2"], "kelurahan": ["A", "B"],
                         "penduduk": [1000, 2000], "penerima_unik": [3, 40], "penerima_per_1000": [3.0, 20.0],
                         "jumlah_penyaluran": [3, 45], "nilai_total": [300, 4500], "program_aktif": [1, 2]})


def test_hidden_unit_shows_small_count_mark_and_a_star_on_every_other_measure():
    record = Penyamaran(5, {("kelurahan", "L1", THIS_MONTH): PRIMARY, ("kelurahan", "L2", THIS_MONTH): SECONDARY})
    frame = _kelurahan()
    shown = apply_mask(frame, record.mask(frame, "rekap_kelurahan"), 5)
    assert shown["penerima_unik"].tolist() == ["<5", HIDDEN_MARK]
    for column in ("penerima_per_1000", "jumlah_penyaluran", "nilai_total", "program_aktif"):
        assert shown[column].tolist() == [HIDDEN_MARK, HIDDEN_MARK], column
    assert shown["penduduk"].tolist() == ["1.000", "2.000"] and shown["kelurahan"].tolist() == ["A", "B"]


def test_rows_count_of_a_small_unit_shows_a_star_not_its_own_small_mark():
    # "<5" on rows but "*" on another unit's rows would tell which units have few rows.
    record = Penyamaran(5, {("kelurahan", "L1", THIS_MONTH): PRIMARY})
    assert record.mask(_kelurahan(), "rekap_kelurahan")["jumlah_penyaluran"].tolist() == [SECONDARY, SHOWN]


def test_change_columns_are_hidden_when_either_month_is_hidden():
    frame = pd.DataFrame({"kode_kecamatan": ["K1", "K2"], "kecamatan": ["a", "b"],
                          "penerima_unik_bulan_lalu": [50, 60], "penerima_unik": [55, 70], "selisih": [5, 10],
                          "perubahan_persen": [10.0, 16.67], "nilai_total_bulan_lalu": [1, 2], "nilai_total": [1, 2],
                          "selisih_nilai": [0, 0]})
    record = Penyamaran(5, {("kecamatan", "K1", LAST_MONTH): SECONDARY})
    mask = record.mask(frame, "perubahan_kecamatan")
    assert mask.loc[0, "penerima_unik_bulan_lalu"] == SECONDARY and mask.loc[0, "penerima_unik"] == SHOWN
    assert mask.loc[0, "selisih"] == SECONDARY and mask.loc[0, "perubahan_persen"] == SECONDARY
    assert (mask.loc[1] == SHOWN).all()


def test_record_round_trips_through_json_without_values():
    record = Penyamaran(40, {("kategori_kelurahan", "beasiswa|L1", THIS_MONTH): PRIMARY,
                             ("kecamatan", "K2", LAST_MONTH): SECONDARY}, {"nominal_min": 100})
    text = json.dumps(record.to_json())
    again = Penyamaran.from_json(json.loads(text))
    assert again == record
    assert "penerima" not in text  # which units, never their figures


def test_min_cell_one_hides_nothing():
    record = Penyamaran(1, {("kelurahan", "L1", THIS_MONTH): PRIMARY})
    assert (record.mask(_kelurahan(), "rekap_kelurahan") == SHOWN).all().all()
