"""Header rows as real systems write them: accepted headers, tolerance, typos, required columns."""

import pytest

from kmc_analysis.clean.headers import (
    column_names,
    column_of,
    describe_missing,
    find_header,
    header_key,
    missing_required,
)


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("NIK KPM", "nik"), ("NIK Penerima", "nik"), ("kartu_nik", "nik"), ("NOMOR NIK", "nik"),
        ("Nomor Induk Kependudukan", "nik"), ("NIK (16 digit)", "nik"),
        ("Nama KPM", "nama"), ("Nama Penduduk", "nama"), ("NAMA KEPALA KELUARGA", "nama"), ("kartu_nama", "nama"),
        ("Desa/Kel", "kelurahan"), ("Kel/Desa", "kelurahan"), ("Nama Desa/Kelurahan", "kelurahan"),
        ("DESA/KELURAHAN", "kelurahan"), ("Desa-Kelurahan", "kelurahan"),
        ("Kode Kelurahan", "kode_kelurahan"), ("Kode Desa", "kode_kelurahan"), ("Kode Wilayah", "kode_kelurahan"),
        ("desa_id", "kode_kelurahan"), ("kode_desa", "kode_kelurahan"),
        ("Nominal Bantuan", "nominal"), ("Jumlah Bantuan (Rp)", "nominal"), ("Besaran Bantuan", "nominal"),
        ("Jumlah (Rp)", "nominal"), ("NOMINAL (Rp)", "nominal"), ("Nilai Bantuan", "nominal"),
        ("Kode Program", "kode_bantuan"), ("Nama Program", "nama_bantuan"), ("Tgl. Salur", "tanggal_salur"),
    ],
)
def test_headers_of_real_systems_name_their_column(header, column):
    assert column_of(header) == column


@pytest.mark.parametrize("header", ["program_id", "JUMLAH ANGGOTA KELUARGA", "KABUPATEN/KOTA", "Tempat Lahir",
                                    "Keterangan", "BANSOS PKH", "Kode Kec"])
def test_headers_that_name_no_column_are_not_guessed(header):
    assert column_of(header) is None


def test_trailing_unit_and_punctuation_are_ignored():
    assert header_key("Jumlah Bantuan (Rp)") == header_key("jumlah_bantuan") == "jumlahbantuan"
    assert header_key(" No. NIK ") == "nonik"


@pytest.mark.parametrize(("typo", "column"), [("DESA/KELUARAHAN", "kelurahan"), ("Kecamtan", "kecamatan"),
                                              ("Nomimal", "nominal"), ("Tanggal Penyaluan", "tanggal_salur")])
def test_a_header_one_edit_away_matches(typo, column):
    assert column_of(typo) == column


def test_short_headers_get_no_typo_allowance():
    assert column_of("Nma") is None        # "Nama" is too short for a typo
    assert column_of("NIKK") is None


def test_a_typo_one_edit_from_two_columns_matches_neither():
    # "Kode Kel" names Kode Kelurahan only by guessing; "kodekec" is one edit from it too
    assert column_of("Kode Kec") is None


def test_exact_header_wins_over_an_earlier_typo_of_the_same_column():
    names = column_names(["Nomimal", "NIK", "Nama", "Nominal"])
    assert names == ["Nomimal", "nik", "nama", "nominal"]


def test_a_column_named_twice_keeps_the_first_and_the_text_of_the_second():
    names = column_names(["NIK", "Nama", "NIK", "Nominal", "Jumlah (Rp)"])
    assert names == ["nik", "nama", "NIK", "nominal", "Jumlah (Rp)"]


def test_tanggal_lahir_is_not_the_date_paid_and_no_kk_is_not_the_row_number():
    names = column_names(["No", "NO KK", "NIK", "Nama", "Tanggal Lahir", "Tanggal", "Nominal"])
    assert names == ["no", "no_kk", "nik", "nama", "tanggal_lahir", "tanggal_salur", "nominal"]


def test_empty_header_cells_get_their_column_letter():
    assert column_names(["NIK", "", "Nama"]) == ["nik", "kolom_B", "nama"]


def test_header_row_is_the_first_of_twenty_with_three_known_columns():
    rows = [["DAFTAR PENERIMA"], ["NIK", "Nama"], ["No", "NIK KPM", "Nama KPM", "Desa/Kel"], ["1", "x", "y", "z"]]
    assert find_header(rows) == 2
    assert find_header([["judul"]] * 20 + [["NIK", "Nama", "Nominal"]]) is None


def test_opendk_sync_header_lacks_nominal_and_program_not_a_header():
    names = column_names(["id", "peserta", "program_id", "no_id_kartu", "kartu_nik", "kartu_nama", "sasaran",
                          "kartu_tempat_lahir", "kartu_tanggal_lahir", "kartu_alamat", "kartu_peserta", "desa_id"])
    assert missing_required(names) == [("nominal",), ("kode_bantuan", "nama_bantuan")]


def test_kemendes_bnba_header_has_a_name_but_no_amount_place_or_program():
    names = column_names(["NO", "NIK", "NAMA KEPALA KELUARGA", "JENIS KELAMIN", "TANGGAL LAHIR",
                          "JUMLAH ANGGOTA KELUARGA", "ALAMAT", "RT", "RW", "JENIS PEKERJAAN", "KODE_JP"])
    missing = missing_required(names)
    assert ("nama",) not in missing
    text = describe_missing(missing)
    assert "Nominal" in text and "Kelurahan atau Kode Kelurahan atau Kecamatan" in text and "Kode Bantuan" in text
    assert "judul yang diterima" in text


def test_a_kode_kelurahan_column_alone_places_the_row():
    assert missing_required(column_names(["NIK", "Nama", "Kode Desa", "Kode Bantuan", "Nominal"])) == []
