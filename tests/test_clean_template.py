"""The input template (`kmc template`): filled in as a clerk would, it is read with zero surprises."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from kmc_analysis.clean.stage import clean_month
from kmc_analysis.clean.template import (
    INSTRUCTIONS_SHEET,
    TEMPLATE_HEADERS,
    TEMPLATE_LISTS_SHEET,
    TEMPLATE_ROWS,
    TEMPLATE_SHEET,
    write_template,
)
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period

MARET = Period(2024, 3)
DINSOS = "Dinas Sosial"


def fill_like_a_clerk(path, reference, rows=20, opd=DINSOS):
    """Type ``rows`` valid rows: NIK as text, nominal as a number, the date as a date cell."""
    book = load_workbook(path)
    sheet = book[TEMPLATE_SHEET]
    places = reference.wilayah.sort_values("kode_kelurahan").reset_index(drop=True)
    programs = reference.program_bantuan[reference.program_bantuan["opd"].eq(opd)].reset_index(drop=True)
    for i in range(rows):
        place, program = places.iloc[i % len(places)], programs.iloc[i % len(programs)]
        nik = f"18720{1 + i % 5}{1 + i % 28:02d}0{1 + i % 9}8{i % 10}{i:04d}"
        sheet.append([nik, f"Penerima Contoh {i + 1}", place["kelurahan"], place["kecamatan"],
                      program["kode_bantuan"], program["nama_bantuan"], int(program["nominal_standar"]),
                      dt.datetime(2024, 3, 1 + i % 28)])
    book.save(path)


def test_filled_template_of_20_valid_rows_gives_20_accepted_and_0_quarantined(tmp_path, reference):
    folder = tmp_path / "raw" / "opd" / str(MARET)
    template = write_template(folder / "Dinsos_2024-03.xlsx", reference, opd=DINSOS)
    fill_like_a_clerk(template, reference)
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    counts = clean_month(paths, reference).manifest["counts"]
    assert (counts["rows_read"], counts["rows_accepted"], counts["rows_quarantined"]) == (20, 20, 0)


def test_template_sheets_other_than_data_are_not_read_as_data(tmp_path, reference):
    folder = tmp_path / "raw" / "opd" / str(MARET)
    fill_like_a_clerk(write_template(folder / "Dinsos_2024-03.xlsx", reference), reference, rows=1)
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    manifest = clean_month(paths, reference).manifest
    assert {s["sheet"] for s in manifest["skipped_sheets"]} == {INSTRUCTIONS_SHEET, TEMPLATE_LISTS_SHEET}
    assert manifest["rejected_files"] == []


def test_template_has_the_contract_headers_with_nik_and_code_as_text(tmp_path, reference):
    book = load_workbook(write_template(tmp_path / "t.xlsx", reference))
    assert book.sheetnames == [INSTRUCTIONS_SHEET, TEMPLATE_SHEET, TEMPLATE_LISTS_SHEET]
    data = book[TEMPLATE_SHEET]
    assert tuple(c.value for c in data[1]) == TEMPLATE_HEADERS == (
        "NIK", "Nama", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nama Bantuan", "Nominal", "Tanggal Penyaluran")
    formats = {header: data.column_dimensions[chr(ord("A") + i)].number_format
               for i, header in enumerate(TEMPLATE_HEADERS)}
    assert formats["NIK"] == formats["Kode Bantuan"] == "@"  # Excel keeps every digit typed there
    assert formats["Nominal"] == "#,##0" and formats["Tanggal Penyaluran"] == "dd/mm/yyyy"


def test_template_dropdowns_offer_kelurahan_kecamatan_and_only_the_opds_programs(tmp_path, reference):
    book = load_workbook(write_template(tmp_path / "t.xlsx", reference, opd="dinas  SOSIAL"))
    validations = {str(v.sqref): v for v in book[TEMPLATE_SHEET].data_validations.dataValidation}
    last = TEMPLATE_ROWS + 1
    lists = book[TEMPLATE_LISTS_SHEET]

    def listed(column):
        formula = validations[f"{column}2:{column}{last}"].formula1
        cells = lists[formula.split("!")[1].replace("$", "")]
        return [row[0].value for row in cells]
    assert sorted(listed("C")) == sorted(reference.wilayah["kelurahan"])
    assert sorted(listed("D")) == sorted(set(reference.wilayah["kecamatan"]))
    programs = reference.program_bantuan
    assert listed("E") == sorted(programs.loc[programs["opd"].eq(DINSOS), "kode_bantuan"])
    assert validations[f"A2:A{last}"].type == "textLength" and validations[f"G2:G{last}"].type == "whole"
    assert validations[f"H2:H{last}"].type == "date"
    assert lists.protection.sheet


def test_template_without_opd_offers_every_program(tmp_path, reference):
    book = load_workbook(write_template(tmp_path / "t.xlsx", reference))
    codes = {c.value for row in book[TEMPLATE_LISTS_SHEET].iter_rows() for c in row}
    assert set(reference.program_bantuan["kode_bantuan"]) <= codes


def test_template_instructions_are_in_bahasa_indonesia(tmp_path, reference):
    book = load_workbook(write_template(tmp_path / "t.xlsx", reference, opd=DINSOS))
    text = " ".join(str(c.value) for row in book[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    assert "Dinas Sosial" in text and "16 digit" in text and "Kode Bantuan" in text and "UU 27/2022" in text


def test_template_for_an_opd_the_catalogue_does_not_know_is_bad_input(tmp_path, reference):
    with pytest.raises(InputError, match="Dinas Fiktif.*program_bantuan.csv"):
        write_template(tmp_path / "t.xlsx", reference, opd="Dinas Fiktif")
    assert not list(tmp_path.iterdir())


def test_template_path_must_end_in_xlsx(tmp_path, reference):
    with pytest.raises(InputError, match=r"\.xlsx"):
        write_template(tmp_path / "templat.xls", reference)
