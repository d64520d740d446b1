"""Review flags (tinjauan): age outside the program's range, odd amounts, many programs; never quarantine."""

import datetime as dt

import pandas as pd
import pytest

from kmc_analysis.clean.review import REVIEW_COLUMNS, age_from_nik, review_counts, review_flags
from kmc_analysis.core.periods import Period

MARCH = Period(2024, 3)  # last day 2024-03-31


def nik(born: dt.date, woman: bool = False, serial: int = 1) -> str:
    """A NIK of someone born on ``born``: 187201 + DDMMYY (women: day + 40) + serial."""
    day = born.day + (40 if woman else 0)
    return f"187201{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def catalogue() -> pd.DataFrame:
    return pd.DataFrame({
        "kode_bantuan": ["BEA", "LAN", "RT", "BEBAS"],
        "nama_bantuan": ["Beasiswa", "Lansia", "Ketua RT", "Tanpa batas"],
        "opd": ["Disdikbud", "Dinsos", "Kecamatan", "Dinsos"],
        "nominal_standar": pd.array([1_000_000, 300_000, 475_000, pd.NA], dtype="Int64"),
        "usia_min": pd.array([6, 60, 17, pd.NA], dtype="Int64"),
        "usia_maks": pd.array([25, pd.NA, pd.NA, pd.NA], dtype="Int64"),
    })


def rows(records: list[tuple[str, str, int]]) -> pd.DataFrame:
    """Accepted rows as stage 1 holds them before pseudonymising: (nik, kode_bantuan, nominal)."""
    opd = dict(zip(catalogue()["kode_bantuan"], catalogue()["opd"]))
    return pd.DataFrame({
        "nik": pd.array([r[0] for r in records], dtype="str"),
        "nama": "NAMA RAHASIA",
        "kode_bantuan": [r[1] for r in records],
        "opd": [opd.get(r[1], "Dinsos") for r in records],
        "nominal": pd.array([r[2] for r in records], dtype="Int64"),
        "sumber_file": "dinas.xlsx",
        "sumber_sheet": "Data",
        "sumber_baris": range(2, len(records) + 2),
    })


def test_age_counts_whole_years_on_the_periods_last_day_and_reads_womens_days():
    niks = pd.Series([nik(dt.date(2018, 3, 31)), nik(dt.date(2018, 4, 1)), nik(dt.date(1964, 3, 31), woman=True),
                      "1872017102000001", "1872013202000001", "12345"], dtype="str")
    ages = age_from_nik(niks, MARCH)
    assert ages.iloc[:4].tolist() == [6, 5, 60, 24]   # 71 = day 31 of a woman, Feb 2000: 24 on 31 March 2024
    assert ages.iloc[4:].isna().all()                  # day 32 and a short text are no date


def test_ages_read_from_niks_as_numbers_are_right_and_a_nik_with_a_non_ascii_letter_gives_no_age_not_a_crash():
    # 16-digit NIKs are read as numbers, also from a slice of a larger array; a 16-character NIK with
    # a non-ASCII letter (it once crashed the conversion to bytes) or a letter gives no age.
    every = pd.Series(["0000000000000000", nik(dt.date(2018, 3, 31)), nik(dt.date(1964, 3, 31), woman=True),
                       "1872017102000001", "1872013202000001", "18720101A1000001"], dtype="str")
    ages = age_from_nik(every.iloc[1:], MARCH)
    assert ages.iloc[:3].tolist() == [6, 60, 24] and ages.iloc[3:].isna().all()
    assert ages.index.tolist() == [1, 2, 3, 4, 5]
    odd = pd.Series([nik(dt.date(2018, 3, 31)), "18720115049ÿ0003"], dtype="str")
    assert age_from_nik(odd, MARCH).iloc[0] == 6 and pd.isna(age_from_nik(odd, MARCH).iloc[1])


@pytest.mark.parametrize(("yy", "expected_birth_year"), [(24, 2024), (0, 2000), (25, 1925), (99, 1999)])
def test_birth_year_is_20yy_unless_that_lies_after_the_periods_year(yy, expected_birth_year):
    niks = pd.Series([f"1872010101{yy:02d}0001"], dtype="str")
    assert age_from_nik(niks, Period(2024, 12)).iloc[0] == 2024 - expected_birth_year


def test_every_row_outside_the_programs_age_range_is_flagged_and_no_other():
    born = {  # age on 31 March 2024 -> program
        5: dt.date(2018, 4, 1), 6: dt.date(2018, 3, 31), 25: dt.date(1998, 4, 1), 26: dt.date(1998, 3, 31),
        59: dt.date(1964, 4, 1), 60: dt.date(1964, 3, 31), 16: dt.date(2007, 4, 1), 17: dt.date(2007, 3, 31),
    }
    records = [
        (nik(born[5], serial=1), "BEA", 1_000_000),     # too young
        (nik(born[6], serial=2), "BEA", 1_000_000),
        (nik(born[25], True, 3), "BEA", 1_000_000),
        (nik(born[26], True, 4), "BEA", 1_000_000),     # too old
        (nik(born[59], serial=5), "LAN", 300_000),      # too young
        (nik(born[60], True, 6), "LAN", 300_000),
        (nik(born[16], serial=7), "RT", 475_000),       # too young
        (nik(born[17], serial=8), "RT", 475_000),
        (nik(born[5], serial=9), "BEBAS", 100_000),     # no range, no standard: never flagged
    ]
    flags = review_flags(rows(records), catalogue(), MARCH)
    assert flags["sumber_baris"].tolist() == [2, 5, 6, 8]
    assert (flags["tanda"] == "usia_di_luar_sasaran").all()
    assert flags["keterangan"].tolist() == [
        "Usia penerima 5 tahun, di luar sasaran program (6–25 tahun).",
        "Usia penerima 26 tahun, di luar sasaran program (6–25 tahun).",
        "Usia penerima 59 tahun, di luar sasaran program (minimal 60 tahun).",
        "Usia penerima 16 tahun, di luar sasaran program (minimal 17 tahun).",
    ]


def test_amounts_beyond_twice_or_below_half_the_standard_are_flagged_not_the_bounds():
    adult = nik(dt.date(1980, 1, 1))
    records = [(adult, "RT", 950_000), (adult[:-1] + "2", "RT", 950_001), (adult[:-1] + "3", "RT", 237_500),
               (adult[:-1] + "4", "RT", 237_499), (adult[:-1] + "5", "BEBAS", 99_000_000)]
    flags = review_flags(rows(records), catalogue(), MARCH)
    assert flags["sumber_baris"].tolist() == [3, 5]
    assert (flags["tanda"] == "nominal_tidak_wajar").all()
    assert flags["keterangan"].tolist() == [
        "Nominal Rp950.001 lebih dari dua kali nominal standar program (Rp475.000).",
        "Nominal Rp237.499 kurang dari separuh nominal standar program (Rp475.000).",
    ]


def test_a_person_in_five_programs_has_every_row_flagged_and_repeats_do_not_count():
    many, four = nik(dt.date(1970, 5, 5), serial=1), nik(dt.date(1970, 5, 5), serial=2)
    cat = pd.concat([catalogue(), pd.DataFrame({"kode_bantuan": ["X1", "X2"], "nama_bantuan": ["X1", "X2"],
                                                "opd": ["Dinsos", "Dinsos"]})], ignore_index=True)
    records = [(many, code, 475_000 if code == "RT" else 100_000) for code in ("RT", "BEBAS", "X1", "X2")]
    records += [(many, "LAN", 300_000), (four, "RT", 475_000), (four, "BEBAS", 1), (four, "X1", 1), (four, "X2", 1),
                (four, "X2", 1)]
    flags = review_flags(rows(records), cat, MARCH)
    assert flags["sumber_baris"].tolist() == [2, 3, 4, 5, 6]
    assert flags.loc[flags["sumber_baris"] != 6, "tanda"].eq("banyak_program").all()
    assert flags.loc[flags["sumber_baris"] == 6, "tanda"].item() == "usia_di_luar_sasaran;banyak_program"
    assert flags["keterangan"].iloc[0] == "Orang yang sama tercatat menerima 5 jenis bantuan pada bulan ini."
    assert flags["keterangan"].iloc[4] == ("Usia penerima 53 tahun, di luar sasaran program (minimal 60 tahun). "
                                           "Orang yang sama tercatat menerima 5 jenis bantuan pada bulan ini.")


def test_flags_are_joined_in_contract_order_and_carry_no_nik_or_name():
    child = nik(dt.date(2020, 6, 1))
    flags = review_flags(rows([(child, "BEA", 3_000_000)]), catalogue(), MARCH)
    assert list(flags.columns) == REVIEW_COLUMNS
    assert flags["tanda"].item() == "usia_di_luar_sasaran;nominal_tidak_wajar"
    text = flags.to_csv()
    assert child not in text and "RAHASIA" not in text


def test_a_catalogue_without_ranges_or_standards_flags_nothing_of_those_kinds():
    bare = catalogue()[["kode_bantuan", "nama_bantuan", "opd"]]
    flags = review_flags(rows([(nik(dt.date(2020, 1, 1)), "BEA", 99_000_000)]), bare, MARCH)
    assert flags.empty and list(flags.columns) == REVIEW_COLUMNS


def test_no_rows_give_an_empty_table():
    assert review_flags(rows([]), catalogue(), MARCH).empty


def test_review_counts_are_rows_per_opd_and_flag():
    tinjauan = pd.DataFrame({"opd": ["B", "A", "B"], "tanda": ["usia_di_luar_sasaran;banyak_program",
                                                              "nominal_tidak_wajar", "banyak_program"]})
    counts = review_counts(tinjauan)
    assert counts.to_dict("list") == {"opd": ["A", "B"], "baris_ditinjau": [1, 2], "usia_di_luar_sasaran": [0, 1],
                                      "nominal_tidak_wajar": [1, 0], "banyak_program": [0, 2]}
    assert review_counts(tinjauan.iloc[:0]).empty
