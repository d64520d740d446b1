"""Place names as OPDs write them, resolved to wilayah codes per CONTRACT 2.2."""

import pandas as pd
import pytest

from kmc_analysis.clean.places import PlaceIndex, resolve_places


@pytest.mark.parametrize(
    ("kelurahan", "kecamatan", "kode_kelurahan", "kode_kecamatan"),
    [
        ("Hadimulyo Barat", "Metro Pusat", "18.72.01.1004", "18.72.01"),
        ("Kel. HADIMULYO BARAT", "Kec. Metro Pusat", "18.72.01.1004", "18.72.01"),
        ("Hadimulyo Barat", "", "18.72.01.1004", "18.72.01"),          # kecamatan taken from kelurahan
        ("Hadimulo Barat", "Metro Pusat", "18.72.01.1004", "18.72.01"),  # one letter missing
        ("Ganjarsari", "Metro Barat", "18.72.03.1004", "18.72.03"),     # ejaan_lain
        ("Ganjar  Asri", "metro barat", "18.72.03.1004", "18.72.03"),
        ("Metro", "Metro Pusat", "18.72.01.1001", "18.72.01"),
        ("", "Metro Utara", "", "18.72.02"),                             # kecamatan only
        ("", "Metro Utra", "", "18.72.02"),                              # kecamatan with a typo
        ("Purwosari", "Metro Utara", "18.72.02.1002", "18.72.02"),
    ],
)
def test_known_places(wilayah, kelurahan, kecamatan, kode_kelurahan, kode_kecamatan):
    out = resolve_places(pd.Series([kelurahan]), pd.Series([kecamatan]), PlaceIndex.from_wilayah(wilayah))
    assert out.iloc[0].tolist() == [kode_kelurahan, kode_kecamatan, True]


@pytest.mark.parametrize(
    ("kelurahan", "kecamatan"),
    [
        ("Hadimulyo Barat", "Metro Utara"),   # kelurahan not in the stated kecamatan
        ("Hadimulyo Barat", "Metro Selatan"),  # stated kecamatan unknown
        ("Hadimlo Barat", "Metro Pusat"),      # two edits away
        ("Metr", "Metro Pusat"),               # short names get no typo allowance
        ("Mtro", ""),
        ("Purwosri", "Metro Utara"),           # one edit from two kelurahan: ambiguous
        ("", "Metro Tengah"),
        ("", ""),
    ],
)
def test_unknown_places(wilayah, kelurahan, kecamatan):
    out = resolve_places(pd.Series([kelurahan]), pd.Series([kecamatan]), PlaceIndex.from_wilayah(wilayah))
    assert not out["wilayah_dikenal"].iloc[0]


def test_resolution_keeps_row_alignment(wilayah):
    kel = pd.Series(["Metro", "", "Purwosari", "Metro"], index=[10, 11, 12, 13])
    kec = pd.Series(["", "Metro Barat", "", ""], index=[10, 11, 12, 13])
    out = resolve_places(kel, kec, PlaceIndex.from_wilayah(wilayah))
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out["kode_kecamatan"].tolist() == ["18.72.01", "18.72.03", "18.72.02", "18.72.01"]


# --- codes, abbreviations, a minimal wilayah --------------------------------------------------

@pytest.fixture
def metro_codes():
    """Four kelurahan of Kota Metro with their BPS codes (Kemendagri and BPS number them differently)."""
    return pd.DataFrame({
        "kode_kecamatan": ["18.72.01", "18.72.01", "18.72.05", "18.72.04"],
        "kecamatan": ["Metro Pusat", "Metro Pusat", "Metro Selatan", "Metro Timur"],
        "kode_kelurahan": ["18.72.01.1002", "18.72.01.1004", "18.72.05.1001", "18.72.04.1003"],
        "kelurahan": ["Hadimulyo Timur", "Hadimulyo Barat", "Rejomulyo", "Iring Mulyo"],
        "kode_bps_kelurahan": ["1872022004", "1872022003", "1872011002", "1872021003"],
        "ejaan_lain": ["", "", "", "Iringmulyo"],
    }, dtype="str")


def resolve_one(index, kel="", kec="", kode=""):
    out = resolve_places(pd.Series([kel]), pd.Series([kec]), index, pd.Series([kode]))
    return out.iloc[0].tolist()


@pytest.mark.parametrize(("kode", "kelurahan"), [
    ("18.72.01.1002", "18.72.01.1002"),    # Kemendagri, dotted
    ("1872011002", "18.72.01.1002"),       # undotted: Kemendagri before BPS (BPS 1872011002 is Rejomulyo)
    (" 18.72.04.1003 ", "18.72.04.1003"),
    ("1872022003", "18.72.01.1004"),       # a BPS code no Kemendagri code has
])
def test_kode_kelurahan_decides_kelurahan_and_kecamatan(metro_codes, kode, kelurahan):
    index = PlaceIndex.from_wilayah(metro_codes)
    assert resolve_one(index, kode=kode) == [kelurahan, kelurahan[:8], True]


@pytest.mark.parametrize(("kel", "kec", "kode"), [
    ("Iring Mulyo", "", "18.72.01.1002"),        # the name names another kelurahan
    ("", "Metro Timur", "18.72.01.1002"),        # the code's kelurahan is not in the stated kecamatan
    ("", "", "18.72.09.9999"),                   # unknown code
    ("Hadimulyo Timur", "", "1872"),             # not a kelurahan code at all
])
def test_kode_kelurahan_unknown_or_contradicted_is_not_known(metro_codes, kel, kec, kode):
    assert resolve_one(PlaceIndex.from_wilayah(metro_codes), kel, kec, kode) == ["", "", False]


def test_kode_kelurahan_with_an_agreeing_name_is_known(metro_codes):
    index = PlaceIndex.from_wilayah(metro_codes)
    assert resolve_one(index, "IRINGMULYO", "Kec. Metro Timur", "18.72.04.1003") == ["18.72.04.1003", "18.72.04", True]


def test_a_minimal_wilayah_without_optional_columns_resolves_names_and_codes(metro_codes):
    index = PlaceIndex.from_wilayah(metro_codes[["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"]])
    assert resolve_one(index, kode="1872041003") == ["18.72.04.1003", "18.72.04", True]
    assert resolve_one(index, kode="1872022003") == ["", "", False]     # BPS codes need kode_bps_kelurahan
    assert resolve_one(index, "IRINGMULYO") == ["18.72.04.1003", "18.72.04", True]


@pytest.mark.parametrize(("kel", "kec", "expected"), [
    ("Hadimulyo Tim.", "Metro Pusat", ["18.72.01.1002", "18.72.01", True]),
    ("Hadimulyo Bar.", "", ["18.72.01.1004", "18.72.01", True]),
    ("", "Kec. Metro Sel.", ["", "18.72.05", True]),
    ("Rejomulyo", "Kec. Metro Sel.", ["18.72.05.1001", "18.72.05", True]),
    ("Iring Mul.", "Metro Tim.", ["18.72.04.1003", "18.72.04", True]),
    ("Hadimulyo .", "", ["", "", False]),          # fits two kelurahan: not known
    ("Hadi. Timur", "", ["18.72.01.1002", "18.72.01", True]),
    ("Hadimulyo Tim", "", ["", "", False]),        # no dot: no abbreviation
])
def test_abbreviations_with_a_dot_where_only_one_place_fits(metro_codes, kel, kec, expected):
    assert resolve_one(PlaceIndex.from_wilayah(metro_codes), kel, kec) == expected
