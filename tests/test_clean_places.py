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


def test_a_column_of_bps_codes_is_read_as_bps_even_where_a_code_is_also_a_kemendagri_one(metro_wilayah):
    # "Kode Wilayah" holding BPS codes: 8 of Metro's 22 BPS codes are also another kelurahan's
    # undotted Kemendagri code, and those rows were accepted in the wrong kelurahan
    index = PlaceIndex.from_wilayah(metro_wilayah)
    bps = metro_wilayah["kode_bps_kelurahan"]
    out = resolve_places(pd.Series("", index=bps.index), pd.Series("", index=bps.index), index, bps,
                         sheet=pd.Series("bps.csv|bps", index=bps.index))
    assert out["kode_kelurahan"].tolist() == metro_wilayah["kode_kelurahan"].tolist()
    clashing = [code for code in bps if f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}" in set(
        metro_wilayah["kode_kelurahan"])]
    assert len(clashing) >= 5  # the case the sheet's reading decides
    plain = metro_wilayah["kode_kelurahan"].str.replace(".", "", regex=False)
    kemendagri = resolve_places(pd.Series("", index=plain.index), pd.Series("", index=plain.index), index, plain,
                                sheet=pd.Series("opendk.csv|opendk", index=plain.index))
    assert kemendagri["kode_kelurahan"].tolist() == metro_wilayah["kode_kelurahan"].tolist()


def test_a_plain_code_takes_the_reading_its_kecamatan_agrees_with(metro_wilayah):
    # a BPS code that is also a Kemendagri code, beside a kecamatan agreeing with the BPS reading,
    # was quarantined as wilayah_tidak_dikenal
    index = PlaceIndex.from_wilayah(metro_wilayah)
    kemendagri = set(metro_wilayah["kode_kelurahan"])
    row = next(r for _, r in metro_wilayah.iterrows() if (b := r["kode_bps_kelurahan"]) and
               f"{b[:2]}.{b[2:4]}.{b[4:6]}.{b[6:]}" in kemendagri
               and f"{b[:2]}.{b[2:4]}.{b[4:6]}"[:8] != r["kode_kecamatan"])
    assert resolve_one(index, kec=row["kecamatan"], kode=row["kode_bps_kelurahan"]) == [
        row["kode_kelurahan"], row["kode_kecamatan"], True]
    assert resolve_one(index, kode=row["kode_bps_kelurahan"])[0] != row["kode_kelurahan"]  # alone: Kemendagri


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
