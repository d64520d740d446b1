"""Value cleaning: NIK, Rupiah, dates and names, as tables of what OPDs really write."""

import pandas as pd
import pytest

from kmc_analysis.clean import normalize as nz


@pytest.mark.parametrize(
    ("raw", "clean", "sixteen", "date_ok"),
    [
        ("1872011504900001", "1872011504900001", True, True),
        (" 1872 0115 0490 0001 ", "1872011504900001", True, True),
        ("1872.0115.0490.0001", "1872011504900001", True, True),
        ("1872-0115-0490-0001", "1872011504900001", True, True),
        ("'1872011504900001", "1872011504900001", True, True),
        ("1872015504900001", "1872015504900001", True, True),   # woman: day 15 + 40
        ("1872013204900001", "1872013204900001", True, False),  # day 32
        ("1872017204900001", "1872017204900001", True, False),  # day 72
        ("1872010013900001", "1872010013900001", True, False),  # day 00, month 13
        ("1872011500900001", "1872011500900001", True, False),  # month 00
        ("187201150490000", "187201150490000", False, True),    # 15 digits
        ("18720115049000012", "18720115049000012", False, True),
        ("18720115O4900001", "18720115O4900001", False, True),  # letter O
        ("", "", False, False),
    ],
)
def test_nik_cleaning_and_checks(raw, clean, sixteen, date_ok):
    cleaned = nz.clean_nik(pd.Series([raw]))
    assert cleaned.iloc[0] == clean
    assert nz.nik_has_sixteen_digits(cleaned).iloc[0] == sixteen
    if sixteen:
        assert nz.nik_date_is_valid(cleaned).iloc[0] == date_ok


@pytest.mark.parametrize("raw", ["1.87201E+15", "1,87201E+15", "1.872011504900001E+15", "1.87201e15"])
def test_nik_in_scientific_notation_never_passes_as_sixteen_digits(raw):
    assert not nz.nik_has_sixteen_digits(nz.clean_nik(pd.Series([raw]))).iloc[0]


def test_mask_nik_keeps_first_four_and_last_two_digits():
    assert nz.mask_nik(pd.Series(["1872011504900001"])).iloc[0] == "1872**********01"


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("Rp1.500.000,00", 1_500_000), ("Rp 1.500.000", 1_500_000), ("Rp. 1.500.000,-", 1_500_000),
        ("1500000", 1_500_000), ("1,500,000", 1_500_000), ("1500000.0", 1_500_000),
        ("Rp 475.000,-", 475_000), ("rp500.000", 500_000), ("Rp1,500,000.00", 1_500_000),
        ("IDR 250.000", 250_000), ("1.500", 1_500), ("0", 0), ("-500000", -500_000),
        ("(200.000)", -200_000), ("1500000.5", 1_500_001),
    ],
)
def test_rupiah_forms(raw, amount):
    assert nz.rupiah_to_int(nz.parse_rupiah(pd.Series([raw]))).iloc[0] == amount


@pytest.mark.parametrize("raw", ["", "abc", "Rp", "satu juta", "1.500.000.00,0,0", "--"])
def test_rupiah_that_is_no_amount_is_missing(raw):
    assert pd.isna(nz.parse_rupiah(pd.Series([raw])).iloc[0])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-04", "2024-03-04"), ("04/03/2024", "2024-03-04"), ("4/3/2024", "2024-03-04"),
        ("4 Maret 2024", "2024-03-04"), ("04 MARET 2024", "2024-03-04"), ("15 Agustus 2024", "2024-08-15"),
        ("1 Pebruari 2024", "2024-02-01"), ("2024-03-04 10:30:00", "2024-03-04"), ("45355", "2024-03-04"),
    ],
)
def test_date_forms(raw, expected):
    assert nz.parse_date(pd.Series([raw])).iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("raw", ["", "kemarin", "31/02/2024", "2024-13-01", "4 Marit 2024"])
def test_text_that_is_no_date_is_missing(raw):
    assert pd.isna(nz.parse_date(pd.Series([raw])).iloc[0])


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Hadimulyo Barat", "hadimulyobarat"), ("Kel. Hadimulyo Barat", "hadimulyobarat"),
        ("KELURAHAN  YOSOMULYO", "yosomulyo"), ("Kec. Metro Pusat", "metropusat"),
        ("kecamatan metro pusat", "metropusat"), ("Kec Metro Pusat", "metropusat"),
        ("Desa/Kelurahan Banjarsari", "banjarsari"), ("Kecubung", "kecubung"),
    ],
)
def test_place_name_keys(raw, key):
    assert nz.normalize_place_name(pd.Series([raw])).iloc[0] == key


def test_program_keys_ignore_case_and_spacing():
    names = nz.program_name_key(pd.Series(["Beasiswa  Prestasi SD", "beasiswa prestasisd"]))
    assert names.iloc[0] == names.iloc[1]
    assert nz.program_code_key(pd.Series([" kmc-001 "])).iloc[0] == "KMC-001"


@pytest.mark.parametrize("space", ["\u202f", "\u3000", "\u2009", "\u00a0"])
def test_a_nik_typed_with_a_narrow_or_ideographic_space_is_cleaned_not_quarantined(space):
    # Copied from a PDF or a Japanese IME: U+202F and U+3000 are spaces too (CONTRACT 2.2).
    assert nz.clean_nik(pd.Series([f"1872{space}0101{space}0190{space}0001{space}"])).tolist() == ["1872010101900001"]


_AWKWARD_TEXT = ["Siti Aminah", " Siti  Aminah ", "Siti\tAminah", "Siti\u00a0Aminah", "Siti\x07Aminah", "", "  ",
                 "Budi\u3000Santoso", "Dewi\r\nLestari", "Ni Made Ayu Sri Wahyuni", "A.Md. Kep", "O'Neil (Alm.)",
                 "Çelik Ökmen", "Budi\x1fSantoso", "Budi\x85Santoso", "Budi\u200bSantoso", "Rina-Wati/Anak 2", "x "]
_AWKWARD_NIK = ["1872011001010001", " 1872011001010001", "'1872011001010001", "1872.0110.0101.0001",
                "1872 0110 0101 0001", "1,87201E+15", "", "187201100101000", "18720110010100011",
                "1872011001010001\u202f", "\u20191872011001010001", "187201100101000A", "1872-01-1001010001"]


@pytest.mark.parametrize(("clean", "values"), [(nz.clean_text, _AWKWARD_TEXT), (nz.clean_nik, _AWKWARD_NIK)])
def test_cleaning_only_the_values_that_need_it_gives_what_cleaning_every_value_gives(clean, values):
    # clean_text and clean_nik skip values already plain (most of a million cells): the shortcut
    # must return exactly what the full cleaning returns, in a column of plain and awkward values.
    column = pd.Series([*values * 3, "Plain Name", "1872011001010002"], dtype="str")
    column.index = column.index + 100
    pd.testing.assert_series_equal(clean(column), clean.__wrapped__(column), check_names=False)


def test_mask_nik_of_sixteen_digits_takes_the_same_shortcut_result_as_the_general_rule():
    nik = pd.Series(["1872011001010001", "3171234567890123"], dtype="str", index=[5, 9])
    short = pd.Series(["1872011001010001", "123"], dtype="str", index=[5, 9])
    assert nz.mask_nik(nik).tolist() == ["1872**********01", "3171**********23"]
    assert nz.mask_nik(nik).index.tolist() == [5, 9]
    assert nz.mask_nik(short).tolist() == ["1872**********01", "123**********23"]


@pytest.mark.parametrize("niks", [
    ["1872011001010001", "3171234567890123", "0000000000000000"],   # 16 ASCII digits: the bytes are starred
    ["1872011001010001", "ABCDEFGHIJKLMNOP"],                       # 16 letters: the general rule
    ["1872011001010001", "18720110010100\u00e9"],                    # 16 bytes, 15 characters: the general rule
])
def test_mask_nik_of_a_slice_of_a_column_stars_only_its_own_rows(niks):
    # A slice of an Arrow-backed column shares its buffers: the stars go on a copy of its own bytes only.
    column = pd.Series(["9999999999999999", *niks, "8888888888888888"], dtype="str")
    inner = column.iloc[1:-1]
    general = inner.str.slice(0, 4) + "*" * 10 + inner.str.slice(-2)
    pd.testing.assert_series_equal(nz.mask_nik(inner), general)
    assert column.iloc[0] == "9999999999999999" and column.iloc[1:-1].tolist() == niks


@pytest.mark.parametrize("niks", [
    ["1872011001010001", "3171234567890123", "1872011001010001", "0872011001010001"],   # every NIK 16 digits
    ["1872011001010001", "+872011001010001", "0872011001010001", "", "1872011001010001"],  # a sign, an empty cell
    ["187201100101000١", "1872011001010001"],                                              # an Arabic-Indic digit
])
def test_niks_factorized_as_numbers_give_what_factorizing_the_texts_gives(niks):
    column = pd.concat([pd.Series(niks, dtype="str"), pd.Series(niks[::-1], dtype="str")]).iloc[1:]  # chunked, sliced
    codes, distinct = nz.factorize_niks(column)
    expected_codes, expected = pd.factorize(column, sort=False)
    assert codes.tolist() == expected_codes.tolist() and distinct.tolist() == list(expected)


def test_only_niks_of_sixteen_ascii_digits_are_read_as_numbers():
    assert nz.nik_numbers(pd.Series(["1872011001010001", "0000000000000001"], dtype="str")).tolist() == [
        1872011001010001, 1]
    for odd in ("+872011001010001", "-872011001010001", " 872011001010001", "187201100101000١", "187201100101000"):
        assert nz.nik_numbers(pd.Series(["1872011001010001", odd], dtype="str")) is None


def test_nik_dates_read_from_numbers_are_judged_as_the_text_rule_judges_them():
    niks = pd.Series([f"187201{day:02d}{month:02d}{year:02d}0001" for day in range(100) for month in range(100)
                      for year in (0, 99)], dtype="str")
    numbers = nz.nik_numbers(niks)
    assert nz.nik_number_date_is_valid(numbers).tolist() == nz.nik_date_is_valid(niks).tolist()


@pytest.mark.parametrize(("cells", "expected"), [
    ([], False), (["", ""], False), ([None, ""], False), (["", " "], True), (["", "18.72.01.1001"], True),
])
def test_any_text_tells_a_column_left_empty_from_one_with_any_cell(cells, expected):
    assert nz.any_text(pd.Series(cells, dtype="str")) is expected
