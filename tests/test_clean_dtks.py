"""DTKS extracts: read as SIKS-NG writes them, pseudonymised on read, nothing personal kept."""

import json

import openpyxl
import pandas as pd
import pytest

from kmc_analysis.clean.dtks import (
    DtksExtract,
    household_pseudonym,
    poor_targeted_codes,
    read_dtks,
    rows_needing_dtks_check,
)
from kmc_analysis.clean.pseudonyms import load_key, pseudonymize
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.reference import load_reference

#: The 23 columns of a SIKS-NG DTKS export (issue 14).
SIKS_NG = ["IDDTKS", "PROVINSI", "KABUPATEN/KOTA", "KECAMATAN", "DESA/KELURAHAN", "ALAMAT", "DUSUN", "RT", "RW",
           "NOMOR KK", "NOMOR NIK", "NAMA", "TANGGAL LAHIR", "TEMPAT LAHIR", "JENIS KELAMIN", "PEKERJAAN",
           "NAMA IBU KANDUNG", "HUBUNGAN KELUARGA", "KETERANGAN PADAN", "BANSOS BPNT", "BANSOS PKH",
           "BANSOS BPNT PPKM", "PBI JKN"]

#: (NIK cell, KK, kecamatan, kelurahan as SIKS-NG spells them, name, BPNT)
PEOPLE = [
    ("1872040101800001", "1872040000000001", "METRO TIMUR", "IRINGMULYO", "SITI AMINAH RAHASIA", "YA"),
    ("1872044202850002", "1872040000000001", "METRO TIMUR", "IRINGMULYO", "BUDI SANTOSO RAHASIA", "TIDAK"),
    ("1872040303900003", "1872040000000002", "METRO TIMUR", "TEJOAGUNG", "DEWI LESTARI RAHASIA", "YA"),
    ("1872030404700004", "1872030000000003", "METRO BARAT", "GANJARAGUNG", "AGUS SALIM RAHASIA", "TIDAK"),
    ("1872050505650005", "", "METRO SELATAN", "SUMBERSARI", "SRI WAHYUNI RAHASIA", "TIDAK"),
    ("1872010606600006", "1872010000000004", "METRO PUSAT", "DESA ENTAH", "JOKO UNKNOWN RAHASIA", "TIDAK"),
    ("1.87201E+15", "1872010000000005", "METRO PUSAT", "IMOPURO", "ANGKA ILMIAH RAHASIA", "TIDAK"),
    ("1872013299990007", "1872010000000006", "METRO PUSAT", "IMOPURO", "TANGGAL SALAH RAHASIA", "TIDAK"),
]


def siks_ng_row(number: int, person: tuple) -> list[str]:
    nik, kk, kec, kel, name, bpnt = person
    return [f"1872{number:012d}", "LAMPUNG", "KOTA METRO", kec, kel, "JL. MAWAR NO. 1", "-", "001", "002", kk, nik,
            name, "01-01-1980", "METRO", "LAKI-LAKI", "BURUH", "IBU RAHASIA", "KEPALA KELUARGA", "PADAN DUKCAPIL",
            bpnt, "TIDAK", "TIDAK", "YA"]


def write_text(path, header, rows, sep="|", encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture(scope="module")
def wilayah():
    return load_reference().wilayah


@pytest.fixture
def raw(tmp_path):
    return tmp_path / "raw"


def read(raw, wilayah) -> DtksExtract:
    return read_dtks(raw / "dtks", raw, load_key(), wilayah)


def test_a_siks_ng_pipe_export_is_read_into_pseudonyms_and_places_only(raw, wilayah):
    write_text(raw / "dtks" / "DTKS_1872_KOTA_METRO_202403.csv", SIKS_NG,
               [siks_ng_row(i, p) for i, p in enumerate(PEOPLE, 1)])
    extract = read(raw, wilayah)
    key = load_key()
    valid = [p[0] for p in PEOPLE[:6]]
    persons = extract.persons.set_index("id_penerima")
    assert list(extract.persons.columns) == ["id_penerima", "id_kk", "kode_kecamatan", "kode_kelurahan"]
    assert set(persons.index) == set(pseudonymize(pd.Series(valid, dtype="str"), key))
    place = persons.loc[pseudonymize(pd.Series(valid, dtype="str"), key), ["kode_kecamatan", "kode_kelurahan"]]
    assert place.values.tolist() == [
        ["18.72.04", "18.72.04.1003"], ["18.72.04", "18.72.04.1003"], ["18.72.04", "18.72.04.1005"],
        ["18.72.03", "18.72.03.1002"], ["18.72.05", "18.72.05.1003"], ["", ""]]   # DESA ENTAH matches nothing
    summary = extract.summary()
    assert summary["baris_dibaca"] == 8 and summary["baris_nik_valid"] == 6     # scientific notation, bad date
    assert summary["orang_unik"] == 6 and summary["rumah_tangga_unik"] == 4 and summary["orang_tanpa_kk"] == 1
    assert summary["orang_wilayah_tidak_dikenal"] == 1
    assert summary["bansos_pusat"] == {"BANSOS BPNT": 2, "BANSOS BPNT PPKM": 0, "BANSOS PKH": 0, "PBI JKN": 6}
    assert summary["berkas"][0]["path"] == "dtks/DTKS_1872_KOTA_METRO_202403.csv"
    kept = extract.persons.to_csv() + json.dumps(summary)
    for nik, kk, _, _, name, _ in PEOPLE:
        assert nik not in kept and name not in kept and (not kk or kk not in kept)


def test_household_pseudonyms_join_family_members_and_never_equal_a_persons(raw, wilayah):
    write_text(raw / "dtks" / "dtks.csv", SIKS_NG, [siks_ng_row(i, p) for i, p in enumerate(PEOPLE[:3], 1)])
    persons = read(raw, wilayah).persons
    assert persons["id_kk"].iloc[0] == persons["id_kk"].iloc[1] != persons["id_kk"].iloc[2]
    same_digits = pd.Series(["1872040101800001"], dtype="str")
    assert household_pseudonym(same_digits, load_key()).item() != pseudonymize(same_digits, load_key()).item()
    assert household_pseudonym(pd.Series(["123", ""], dtype="str"), load_key()).tolist() == ["", ""]


def test_comma_separated_cp1252_with_title_rows_and_a_plain_nik_header(raw, wilayah):
    header = ["NO", "NIK", "NAMA", "KECAMATAN", "KELURAHAN"]
    rows = [["1", PEOPLE[0][0], "SITI Ñ", "Metro Timur", "Iring Mulyo"], ["2", PEOPLE[3][0], "AGUS", "", "Ganjar Agung"]]
    path = raw / "dtks" / "dtks_dinsos.csv"
    path.parent.mkdir(parents=True)
    text = "DATA DTKS KOTA METRO\nMaret 2024\n" + "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode("cp1252"))
    persons = read(raw, wilayah).persons
    assert persons["kode_kelurahan"].tolist() == ["18.72.04.1003", "18.72.03.1002"]
    assert (persons["id_kk"] == "").all()


def test_an_xlsx_extract_with_niks_stored_as_numbers_is_read_exactly(raw, wilayah):
    book = openpyxl.Workbook()
    book.active.title = "Petunjuk"
    book.active.append(["Ekspor DTKS: jangan diubah"])
    sheet = book.create_sheet("DTKS")
    sheet.append(["NO", "NIK", "NOMOR KK", "NAMA", "KECAMATAN", "DESA/KELURAHAN", "BANSOS PKH"])
    sheet.append([1, 1872040101800001, 1872040000000001, "SITI", "METRO TIMUR", "IRINGMULYO", "YA"])
    sheet.append([2, 1872030404700004, "1872030000000003", "AGUS", "METRO BARAT", "GANJARAGUNG", "TIDAK"])
    sheet.append([3, 18720404047000040.0, "", "TERLALU PANJANG", "METRO BARAT", "GANJARAGUNG", "TIDAK"])
    (raw / "dtks").mkdir(parents=True)
    book.save(raw / "dtks" / "DTKS_KOTA_METRO.xlsx")
    extract = read(raw, wilayah)
    expected = pseudonymize(pd.Series([PEOPLE[0][0], PEOPLE[3][0]], dtype="str"), load_key())
    assert extract.persons["id_penerima"].tolist() == expected.tolist()
    assert extract.summary()["baris_nik_valid"] == 2 and extract.summary()["baris_dibaca"] == 3
    assert extract.files[0]["sheet_dilewati"] == ["Petunjuk"]
    assert extract.bansos == {"BANSOS PKH": 1}


def test_an_extract_without_a_nik_column_stops_naming_the_file_and_the_fix(raw, wilayah):
    write_text(raw / "dtks" / "dtks_tanpa_nik.csv", ["IDDTKS", "NAMA", "KECAMATAN"], [["1", "SITI", "METRO"]])
    with pytest.raises(InputError, match=r"dtks_tanpa_nik\.csv.*NOMOR NIK atau NIK.*Ekspor ulang"):
        read(raw, wilayah)


def test_a_row_with_more_cells_than_its_header_names_file_and_line(raw, wilayah):
    rows = [siks_ng_row(1, PEOPLE[0]), siks_ng_row(2, PEOPLE[1]) + ["SEL LEBIH"]]
    write_text(raw / "dtks" / "dtks_rusak.csv", SIKS_NG, rows)
    with pytest.raises(InputError, match=r"dtks_rusak\.csv, baris 3: jumlah sel"):
        read(raw, wilayah)


def test_an_extract_whose_niks_were_all_saved_as_1_87e15_stops_instead_of_finding_nobody_in_dtks(raw, wilayah):
    # Black-box attack 10: every NIK of the export in scientific notation gave exit 0 and a published "0 % of
    # recipients in DTKS", with every OPD asked to check all its recipients.
    lost = [siks_ng_row(i, ("1.87201E+15", *p[1:])) for i, p in enumerate(PEOPLE, 1)]
    write_text(raw / "dtks" / "DTKS_dibuka_di_excel.csv", SIKS_NG, lost)
    with pytest.raises(InputError, match=r"DTKS_dibuka_di_excel\.csv: tidak satu pun dari 8 baris.*1,87E\+15.*Teks"):
        read(raw, wilayah)


def test_an_extract_with_its_header_only_stops_instead_of_finding_nobody_in_dtks(raw, wilayah):
    write_text(raw / "dtks" / "DTKS_kosong.csv", SIKS_NG, [])
    with pytest.raises(InputError, match=r"DTKS_kosong\.csv\) tidak memuat satu baris data pun.*hapus folder"):
        read(raw, wilayah)


def test_a_folder_without_extracts_says_what_to_do_and_lists_what_it_holds(raw, wilayah):
    (raw / "dtks").mkdir(parents=True)
    (raw / "dtks" / "catatan.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match=r"tidak berisi ekstrak DTKS.*catatan\.pdf.*hapus folder"):
        read(raw, wilayah)


def test_other_files_are_listed_as_ignored_and_a_person_in_two_files_counts_once(raw, wilayah):
    write_text(raw / "dtks" / "a.csv", SIKS_NG, [siks_ng_row(1, PEOPLE[0])])
    write_text(raw / "dtks" / "b.csv", SIKS_NG, [siks_ng_row(1, PEOPLE[0]), siks_ng_row(2, PEOPLE[2])], sep=",")
    (raw / "dtks" / "surat.docx").write_bytes(b"x")
    extract = read(raw, wilayah)
    assert extract.ignored_files == ["surat.docx"] and len(extract.persons) == 2
    assert extract.summary()["baris_dibaca"] == 3


def test_rows_of_poor_targeted_programs_whose_recipient_is_not_in_dtks_are_listed_per_opd():
    catalogue = pd.DataFrame({"kode_bantuan": ["KMC-020", "KMC-026", "KMC-041"],
                              "sasaran_miskin": ["ya", "YA ", "tidak"]})
    assert poor_targeted_codes(catalogue) == ["KMC-020", "KMC-026"]
    penerima = pd.DataFrame({
        "id_penerima": ["in", "out", "out", "out", "in"],
        "kode_bantuan": ["KMC-020", "KMC-026", "KMC-041", "KMC-020", "KMC-026"],
        "opd": ["Dinas Sosial", "Dinas Sosial", "Satpol PP", "Dinas Sosial", "Dinas Sosial"],
        "sumber_file": ["b.xlsx", "b.xlsx", "c.xlsx", "a.xlsx", "b.xlsx"],
        "sumber_sheet": "Data", "sumber_baris": [4, 3, 2, 9, 5], "nama": "TIDAK DIKEMBALIKAN",
    })
    rows = rows_needing_dtks_check(penerima, pd.Series(["in"]), catalogue)
    assert list(rows.columns) == ["opd", "sumber_file", "sumber_sheet", "sumber_baris", "kode_bantuan"]
    assert rows[["sumber_file", "sumber_baris", "kode_bantuan"]].values.tolist() == [
        ["a.xlsx", 9, "KMC-020"], ["b.xlsx", 3, "KMC-026"]]
    assert rows_needing_dtks_check(penerima, [], catalogue.drop(columns="sasaran_miskin")).empty
