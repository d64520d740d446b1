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
