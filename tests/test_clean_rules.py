"""Row rules: every reason code, several reasons on one row, duplicates in contract order."""

import random

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.clean.ingest import KNOWN_COLUMNS
from kmc_analysis.clean.reasons import REASONS, count_reasons, rows_listing
from kmc_analysis.clean.rules import (
    UNKNOWN_OPD,
    in_contract_order,
    judge_rows,
    opd_summary,
    reconcile,
)

GOOD = {"nik": "1872011504900001", "nama": "Siti Aminah", "kelurahan": "Metro", "kecamatan": "Metro Pusat",
        "kode_bantuan": "KMC-001", "nama_bantuan": "", "nominal": "Rp1.500.000,00"}


def long_table(*rows, file="a.xlsx", sheet="Sheet1"):
    """Rows as ingest returns them: every known column as text, provenance first."""
    records = []
    for number, changes in enumerate(rows, start=2):
        record = {c: "" for c in KNOWN_COLUMNS}
        record.update(GOOD)
        record.update(changes)
        record.update({"sumber_file": record.pop("file", file), "sumber_sheet": record.pop("sheet", sheet),
                       "urutan_sheet": record.pop("urutan_sheet", 0), "sumber_baris": record.pop("row", number)})
        records.append(record)
    return pd.DataFrame(records).astype({c: "str" for c in KNOWN_COLUMNS})


@pytest.mark.parametrize(
    ("changes", "alasan"),
    [
        ({}, ""),
        ({"nik": ""}, "nik_kosong"),
        ({"nik": "1.87201E+15"}, "nik_format"),
        ({"nik": "187201150490000"}, "nik_format"),
        ({"nik": "1872011513900001"}, "nik_tanggal"),
        ({"nama": "  "}, "nama_kosong"),
        ({"kelurahan": "Antah Berantah"}, "wilayah_tidak_dikenal"),
        ({"kelurahan": "Purwosari"}, "wilayah_tidak_dikenal"),  # not in Metro Pusat
        ({"kelurahan": "", "kecamatan": ""}, "wilayah_tidak_dikenal"),
        ({"kode_bantuan": "KMC-999"}, "program_tidak_dikenal"),
        ({"kode_bantuan": "", "nama_bantuan": "Bantuan Fiktif"}, "program_tidak_dikenal"),
        ({"nominal": ""}, "nominal_tidak_valid"),
        ({"nominal": "nol"}, "nominal_tidak_valid"),
        ({"nominal": "0"}, "nominal_tidak_valid"),
        ({"nominal": "-150000"}, "nominal_tidak_valid"),
        ({"nik": "", "nama": "", "nominal": "0"}, "nik_kosong;nama_kosong;nominal_tidak_valid"),
        ({"kode_bantuan": "kmc-001"}, ""),
        ({"kode_bantuan": "", "nama_bantuan": "beasiswa  sd"}, ""),
        ({"kelurahan": "", "kecamatan": "Metro Utara"}, ""),
        ({"nik": "1872 0115 0490 0001", "nominal": "Rp. 1.500.000,-"}, ""),
        # a NIK or account number typed into the amount: Rp 1 miliar or more is not a payment
        ({"nominal": "1000000000"}, "nominal_tidak_valid"),
        ({"nominal": "Rp 1.000.000.000"}, "nominal_tidak_valid"),
        ({"nominal": "1872011504900001"}, "nominal_tidak_valid"),
        ({"nominal": "999.999.999"}, ""),
        # judged as it would be paid, rounded to whole Rupiah: 999.999.999,5 is Rp 1 miliar (an attack found it stored)
        ({"nominal": "999.999.999,5"}, "nominal_tidak_valid"),
        ({"nominal": "Rp 999.999.999,99"}, "nominal_tidak_valid"),
        ({"nominal": "999.999.999,49"}, ""),
        ({"nominal": "0,4"}, "nominal_tidak_valid"),
        # amounts no number type holds must not crash the rules
        ({"nominal": "NaN"}, "nominal_tidak_valid"),
        ({"nominal": "inf"}, "nominal_tidak_valid"),
        ({"nominal": "1e400"}, "nominal_tidak_valid"),
        ({"nominal": "99999999999999999999999999"}, "nominal_tidak_valid"),
        ({"nominal": "0x3D090"}, "nominal_tidak_valid"),
        # a NIK loses only spaces, dots, dashes and an apostrophe: any other character is nik_format
        ({"nik": "1872011504900001\x1f"}, "nik_format"),
        ({"nik": "18720115\x7f04900001"}, "nik_format"),
        ({"nik": "18720115\u200b04900001"}, "nik_format"),
        ({"nik": "\ufeff1872011504900001"}, "nik_format"),
        ({"nik": "\u202e1872011504900001"}, "nik_format"),
        ({"nik": " '1872011504900001\t"}, ""),
        # a kode_kelurahan decides the place; a name naming another kelurahan contradicts it
        ({"kelurahan": "", "kecamatan": "", "kode_kelurahan": "18.72.02.1002"}, ""),
        ({"kelurahan": "Metro", "kecamatan": "", "kode_kelurahan": "18.72.02.1002"}, "wilayah_tidak_dikenal"),
        ({"kelurahan": "", "kecamatan": "", "kode_kelurahan": "18.72.09.9999"}, "wilayah_tidak_dikenal"),
    ],
)
def test_each_rule(wilayah, programs, changes, alasan):
    judged = judge_rows(long_table(changes), wilayah, programs)
    if alasan:
        assert judged.quarantined["alasan"].tolist() == [alasan]
        assert judged.accepted.empty
    else:
        assert judged.quarantined.empty
        assert len(judged.accepted) == 1


def test_a_row_with_only_an_amount_that_reaches_the_rules_lists_every_missing_field(wilayah, programs):
    # ingest sets totals rows aside (layout); whatever reaches the rules is judged, never dropped
    total = {c: "" for c in GOOD} | {"no": "JUMLAH", "nominal": "4500000"}
    judged = judge_rows(long_table({}, total), wilayah, programs)
    assert judged.counts()["rows_read"] == 2
    assert judged.quarantined["alasan"].tolist() == [
        "nik_kosong;nama_kosong;wilayah_tidak_dikenal;program_tidak_dikenal"]


def test_duplicates_follow_file_sheet_row_order(wilayah, programs):
    rows = pd.concat([
        long_table({"row": 9}, file="b.csv"),                      # later file: duplicate
        long_table({"row": 7, "urutan_sheet": 1, "sheet": "S2"}),  # a.xlsx second sheet: duplicate
        long_table({"row": 30}),                                   # a.xlsx first sheet row 30: accepted
        long_table({"row": 31, "kode_bantuan": "KMC-002"}),        # other program: accepted
    ], ignore_index=True)
    judged = judge_rows(rows, wilayah, programs)
    assert judged.accepted[["sumber_file", "sumber_sheet", "sumber_baris"]].values.tolist() == [
        ["a.xlsx", "Sheet1", 30], ["a.xlsx", "Sheet1", 31]]
    # each accepted row's position in the table as given (judged in another order): where its NIK was read
    assert judged.accepted_rows.tolist() == [2, 3]
    assert judged.quarantined[["sumber_file", "sumber_baris", "alasan"]].values.tolist() == [
        ["a.xlsx", 7, "duplikat"], ["b.csv", 9, "duplikat"]]


def test_duplicate_of_a_quarantined_row_is_not_a_duplicate(wilayah, programs):
    judged = judge_rows(long_table({"nominal": "0"}, {}), wilayah, programs)
    assert judged.quarantined["alasan"].tolist() == ["nominal_tidak_valid"]
    assert judged.accepted["sumber_baris"].tolist() == [3]


def test_flawed_row_after_an_accepted_one_lists_both_reasons(wilayah, programs):
    judged = judge_rows(long_table({}, {"nama": ""}), wilayah, programs)
    assert judged.quarantined["alasan"].tolist() == ["nama_kosong;duplikat"]


def test_same_person_in_a_scientific_and_a_clean_form_is_not_matched(wilayah, programs):
    judged = judge_rows(long_table({"nik": "1.87201E+15"}, {}), wilayah, programs)
    assert judged.quarantined["alasan"].tolist() == ["nik_format"]
    assert len(judged.accepted) == 1


def test_accepted_rows_carry_official_names_and_integer_rupiah(wilayah, programs):
    judged = judge_rows(long_table({"kelurahan": "kel. ganjarsari", "kecamatan": "",
                                    "nominal": "Rp 475.000", "tanggal_salur": "4 Maret 2024"}), wilayah, programs)
    row = judged.accepted.iloc[0]
    assert (row.kelurahan, row.kecamatan, row.kode_kelurahan) == ("Ganjar Asri", "Metro Barat", "18.72.03.1004")
    assert row.nominal == 475_000
    assert row.tanggal_salur == pd.Timestamp("2024-03-04")
    assert row.nik_tersamar == "1872**********01"
    assert row.opd == "Dinas Pendidikan dan Kebudayaan"


def test_kecamatan_only_row_has_empty_kelurahan(wilayah, programs):
    judged = judge_rows(long_table({"kelurahan": "", "kecamatan": "Kec. Metro Barat"}), wilayah, programs)
    row = judged.accepted.iloc[0]
    assert (row.kode_kelurahan, row.kelurahan, row.kode_kecamatan) == ("", "", "18.72.03")


def test_rows_of_unknown_programs_go_back_to_the_opd_of_their_file(wilayah, programs):
    rows = pd.concat([long_table({}, {"kode_bantuan": "XXX", "nik": "1872011504900002"}, file="disdik.xlsx"),
                      long_table({"kode_bantuan": "YYY"}, file="lain.csv")], ignore_index=True)
    judged = judge_rows(rows, wilayah, programs)
    assert judged.quarantined_opd.tolist() == ["Dinas Pendidikan dan Kebudayaan", UNKNOWN_OPD]


def test_counts_reconcile_and_rekap_opd_lists_every_catalogue_opd(wilayah, programs):
    rows = long_table({}, {"nik": ""}, {"nik": "1872011504900002", "kode_bantuan": "KMC-002"},
                      {"nik": "1872011504900003", "nominal": "x"})
    judged = judge_rows(rows, wilayah, programs)
    counts = judged.counts()
    assert counts["rows_read"] == 4 == counts["rows_accepted"] + counts["rows_quarantined"]
    assert counts["quarantine_by_reason"] == {"nik_kosong": 1, "nominal_tidak_valid": 1}
    rekap = opd_summary(judged, programs).set_index("opd")
    assert rekap.loc["Dinas Pendidikan dan Kebudayaan"].tolist() == [1, 1, 100.0, 3, 1, 2, pytest.approx(33.33)]
    assert rekap.loc["Bagian Pemerintahan", "program_terisi"] == 1
    assert rekap.loc["Dinas Sosial", ["baris_dibaca", "kelengkapan_persen"]].tolist() == [0, 0.0]
    assert pd.isna(rekap.loc["Dinas Sosial", "persen_valid"])
    reconcile(judged, opd_summary(judged, programs))


def test_reason_codes_are_the_contracts():
    assert REASONS == ("nik_kosong", "nik_format", "nik_tanggal", "nama_kosong", "wilayah_tidak_dikenal",
                       "program_tidak_dikenal", "nominal_tidak_valid", "duplikat")


def test_reasons_counted_per_combination_equal_counting_row_by_row():
    rng = np.random.default_rng(5)
    combinations = [";".join(sorted(rng.choice(REASONS, size=rng.integers(1, 4), replace=False),
                                    key=REASONS.index)) for _ in range(40)]
    codes = pd.Series(rng.choice(combinations, size=5_000), dtype="str")
    codes[::97] = pd.NA
    row_by_row = codes.str.split(";").explode().value_counts()
    assert count_reasons(codes).sort_index().to_dict() == row_by_row.sort_index().to_dict()
    masks = rows_listing(codes, REASONS)
    for code in REASONS:
        expected = np.array([isinstance(c, str) and code in c.split(";") for c in codes.tolist()])
        assert np.array_equal(masks.get(code, np.zeros(len(codes), dtype=bool)), expected), code
    assert count_reasons(pd.Series([], dtype="str")).empty and rows_listing(pd.Series([], dtype="str"), REASONS) == {}


def test_contract_order_check(wilayah, programs):
    rows = pd.concat([long_table({"row": 9}, file="b.csv"), long_table({"row": 30})], ignore_index=True)
    assert not in_contract_order(rows)
    assert in_contract_order(rows.iloc[::-1])


def test_contract_order_check_agrees_with_sorting_on_random_tables():
    rng = random.Random(13)
    for _ in range(2_000):
        n = rng.randint(0, 7)
        rows = pd.DataFrame({
            "sumber_file": pd.array([rng.choice(["a.csv", "b.csv", "ä.csv", "B.csv"]) for _ in range(n)],
                                    dtype="str"),
            "urutan_sheet": [rng.randint(0, 2) for _ in range(n)],
            "sumber_baris": [rng.randint(1, 4) for _ in range(n)]})
        if rng.random() < 0.5:
            rows = rows.sort_values(["sumber_file", "urutan_sheet", "sumber_baris"]).reset_index(drop=True)
        keys = list(zip(rows["sumber_file"], rows["urutan_sheet"], rows["sumber_baris"]))
        assert in_contract_order(rows) == (keys == sorted(set(keys))), keys


def test_control_characters_leave_judged_names_and_codes_but_not_the_original_cells(wilayah, programs):
    judged = judge_rows(long_table({"nama": "Budi\x01Santoso\x07", "kode_bantuan": "KMC-001\x00"},
                                   {"nama": "\x1b\x08 \x01", "nik": "1872011504900002"}), wilayah, programs)
    assert judged.accepted["nama"].tolist() == ["BudiSantoso"]
    assert judged.quarantined["alasan"].tolist() == ["nama_kosong"]
    assert judged.quarantined["nama"].tolist() == ["\x1b\x08 \x01"]     # karantina keeps the cell as sent


def test_a_carriage_return_in_a_quarantined_cell_is_written_as_a_line_feed(wilayah, programs):
    judged = judge_rows(long_table({"nama": "\r=1+1", "nominal": "0"}), wilayah, programs)
    assert judged.quarantined["nama"].tolist() == ["\n=1+1"]


def test_accepted_amount_just_below_one_miliar_is_exact(wilayah, programs):
    judged = judge_rows(long_table({"nominal": "Rp 999.999.999,00"}), wilayah, programs)
    assert judged.accepted["nominal"].tolist() == [999_999_999]


def test_duplicates_in_a_catalogue_too_large_for_one_key_are_the_same(wilayah, programs, monkeypatch):
    # Up to 900 programs a NIK and its program are one int64; beyond, NIKs are numbered first.
    # Both ways must flag the same rows and name the same first accepted row.
    from kmc_analysis.clean import rules

    rng = random.Random(5)
    rows = long_table(*({"nik": f"18720115049{rng.randrange(3):05d}", "kode_bantuan": rng.choice(
        ["KMC-001", "KMC-002", "KMC-003", "KMC-999"]), "row": n} for n in range(2, 80)))
    rows.loc[rows.index[::7], "nik"] = "1.87201E+15"
    direct = judge_rows(rows, wilayah, programs)
    monkeypatch.setattr(rules, "_PROGRAMS_IN_ONE_KEY", 0)
    numbered = judge_rows(rows, wilayah, programs)
    assert direct.quarantined["alasan"].str.contains("duplikat").sum() > 10
    pd.testing.assert_frame_equal(direct.quarantined, numbered.quarantined)
    pd.testing.assert_frame_equal(direct.accepted, numbered.accepted)
    pd.testing.assert_frame_equal(direct.duplicate_of, numbered.duplicate_of)


@pytest.mark.parametrize("invisible",
                         ["\u200b", "\u200b \u200b", "\u2060", "\ufeff", "\u00ad", "\u200c", "\u200d\u00a0",
                          "\u3164", "\uffa0", "\u2800", "\u034f", "\ufe0f"])
def test_a_name_of_only_invisible_characters_is_nama_kosong_not_an_accepted_name(wilayah, programs, invisible):
    # A black-box attack had rows named only by zero-width or format characters accepted into penerima,
    # where nobody sees a name and the OPD was never asked for one.
    judged = judge_rows(long_table({"nama": invisible}, {"nama": f"Budi{invisible}Santoso", "nik": "1872011504900002"}),
                        wilayah, programs)
    assert judged.quarantined["alasan"].tolist() == ["nama_kosong"]
    assert judged.quarantined["nama"].tolist() == [invisible]      # karantina keeps the cell as sent
    assert len(judged.accepted) == 1                               # a visible name with one inside stays accepted
