"""Tests for kmc_analysis.synth: the synthetic month of OPD submissions and its truth table.

The files are read back here with openpyxl and the csv module (``synth_readback``, not
ingest.py), so these tests check the files and the truth on their own terms; one test at
the end checks that stage 1 (ingest + rules) reaches exactly the verdicts of the truth.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from rapidfuzz.distance import Levenshtein
from synth_readback import clean_nik, header_key, is_empty, read_csv_lines, read_sheets

from kmc_analysis.clean.template import TEMPLATE_HEADERS
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.periods import NAMA_BULAN, Period
from kmc_analysis.core.reference import REFERENCE_FILES
from kmc_analysis.synth import SYNTHETIC_MARKER, synthesize
from kmc_analysis.synth import month as synth_month
from kmc_analysis.synth import world as synth_world
from kmc_analysis.synth.rows import REASONS
from kmc_analysis.synth.sheets import HEADERS

PERIOD = Period(2024, 3)


@pytest.fixture(scope="module")
def messy(tmp_path_factory, reference):
    out = tmp_path_factory.mktemp("messy")
    result = synthesize(PERIOD, out, rows=3000, seed=1, reference=reference)
    return out, result, *read_sheets(out / "opd" / str(PERIOD))


@pytest.fixture(scope="module")
def clean(tmp_path_factory, reference):
    out = tmp_path_factory.mktemp("clean")
    result = synthesize(PERIOD, out, rows=2000, seed=3, clean=True, reference=reference)
    return out, result, *read_sheets(out / "opd" / str(PERIOD))


def written(out: Path) -> dict[str, bytes]:
    """Every file synthesis wrote under a raw dir, by path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- Determinism ---------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(tmp_path, reference):
    first = synthesize(PERIOD, tmp_path / "a", rows=800, seed=5, reference=reference)
    second = synthesize(PERIOD, tmp_path / "b", rows=800, seed=5, reference=reference)
    assert [p.name for p in first.files] == [p.name for p in second.files]
    assert any(p.suffix == ".xlsx" for p in first.files) and any(p.suffix == ".csv" for p in first.files)
    assert written(tmp_path / "a") == written(tmp_path / "b")          # OPD files, DTKS, marker, reference
    for frame in ("truth", "review", "targeting", "programs"):
        pd.testing.assert_frame_equal(getattr(first, frame), getattr(second, frame))


def test_other_seed_gives_other_files(tmp_path, reference):
    first = synthesize(PERIOD, tmp_path / "a", rows=800, seed=5, reference=reference)
    other = synthesize(PERIOD, tmp_path / "b", rows=800, seed=6, reference=reference)
    assert {p.name: p.read_bytes() for p in first.files} != {p.name: p.read_bytes() for p in other.files}


# --- Layout ---------------------------------------------------------------------------------

def test_files_are_named_and_laid_out_like_opd_submissions(messy):
    out, result, sheets, skipped = messy
    names = [p.name for p in result.files]
    assert all(p.parent == out / "opd" / str(PERIOD) for p in result.files)
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".csv") for n in names)
    assert any("Maret" in n or "2024-03" in n or "202403" in n for n in names)
    header_rows = Counter(s.header_row for s in sheets)
    assert header_rows[1] and sum(n for row, n in header_rows.items() if row >= 4)   # titles above the header
    workbooks = Counter(s.file for s in sheets if s.kind == "xlsx")
    assert max(workbooks.values()) >= 2                                               # several program sheets
    assert any(name == "Petunjuk" for _, name in skipped)                             # instructions sheet, no header
    jumlah = [s for s in sheets for r in s.rows.values() if r and r[0] == "JUMLAH"]
    assert jumlah and (result.truth["lewati"] == "jumlah").sum() >= len(jumlah)       # with TOTAL, SUB TOTAL rows

    def between_data_rows(s) -> int:
        filled = [n for n, r in s.rows.items() if not all(is_empty(c) for c in r)]
        return sum(all(is_empty(c) for c in s.rows[n]) for n in range(min(filled, default=0), max(filled, default=0)))

    assert sum(between_data_rows(s) for s in sheets if s.kind == "xlsx") > 0           # blank rows among the data
    assert sum(between_data_rows(s) for s in sheets if s.kind == "csv") > 0


def test_template_files_have_the_layout_kmc_template_writes(messy):
    out, result, sheets, _ = messy
    templates = [p for p in result.files if p.name.startswith(("Template KMC", "Isian_KMC"))]
    assert templates
    for path in templates:
        workbook = openpyxl.load_workbook(path)
        assert workbook.sheetnames == ["Petunjuk", "Data", "Daftar"]
        data = workbook["Data"]
        assert [c.value for c in data[1]] == list(TEMPLATE_HEADERS)
        assert workbook["Daftar"].protection.sheet
        assert {str(dv.sqref).split(":")[0] for dv in data.data_validations.dataValidation} \
            == {"C2", "D2", "E2"}                                                     # kelurahan, kecamatan, kode
        niks = [row[0] for row in data.iter_rows(min_row=2)]
        assert sum(c.data_type == "s" and c.number_format == "@" for c in niks) > 0.8 * len(niks)
    assert {(p.name, "Daftar") for p in templates} <= set(messy[3])                     # lists sheet is not data


def test_csv_files_vary_in_separator_and_encoding(messy):
    out, result, _, _ = messy
    seen = {read_csv_lines(p)[1:] for p in result.files if p.suffix == ".csv"}
    assert {sep for _, sep in seen} == {";", ",", "|"}
    assert {"utf-8-sig", "cp1252"} <= {enc for enc, _ in seen}


def test_every_header_synonym_appears(messy):
    _, _, sheets, _ = messy
    headers = {header_key(h) for s in sheets for h in s.headers}
    missing = [h for synonyms in HEADERS.values() for h in synonyms if header_key(h) not in headers]
    assert not missing


def test_every_value_form_appears(messy, reference):
    _, _, sheets, _ = messy
    cells = {key: [] for key in HEADERS}
    for s in sheets:
        for key in HEADERS:
            i = s.column(key)
            if i is not None:
                cells[key] += [r[i] for r in s.rows.values()
                               if r[0] != "JUMLAH" and not all(is_empty(c) for c in r)]
    text = {key: [str(c) for c in values if isinstance(c, str)] for key, values in cells.items()}

    nik = text["nik"]
    assert any(isinstance(c, int) and len(str(c)) == 16 for c in cells["nik"])          # exact number cell
    for pattern in (r"\d{16}", r"\d\d\.\d\d\.\d\d\.\d{6}\.\d{4}", r"\d{4} \d{4} \d{4} \d{4}",
                    r"\d{4}-\d{4}-\d{4}-\d{4}", r"'\d{16}", r"1[.,]\d{5}E\+15", r"\d{15}", r"\d{17}",
                    r"\d{14}[A-Za-z]\d"):
        assert any(re.fullmatch(pattern, c) for c in nik), pattern
    money = text["nominal"]
    assert any(isinstance(c, int) and c > 0 for c in cells["nominal"])                   # numeric cell
    for pattern in (r"Rp\d{1,3}(\.\d{3})+,00", r"Rp \d{1,3}(\.\d{3})+", r"Rp\. \d{1,3}(\.\d{3})+,-", r"\d{5,}",
                    r"\d{1,3}(,\d{3}){2,}", r"-\d+", r"[a-zA-Z -]+"):
        assert any(re.fullmatch(pattern, c) for c in money), pattern
    assert any(c in ("0", "Rp 0", "Rp0,00") or c == 0 for c in cells["nominal"])           # zero
    assert any(is_empty(c) for c in cells["nominal"])                                      # empty
    bulan = "Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember"
    for key in ("tanggal_salur", "tanggal_lahir"):
        assert any(hasattr(c, "year") for c in cells[key])                                  # Excel date cell
        for pattern in (r"\d\d/\d\d/\d{4}", r"\d{4}-\d\d-\d\d", rf"\d{{1,2}} ({bulan}) \d{{4}}"):
            assert any(re.fullmatch(pattern, c) for c in text[key]), (key, pattern)
    assert {"L", "P", "LAKI-LAKI", "PEREMPUAN", "Laki-laki", "Perempuan"} <= set(text["jenis_kelamin"])

    wilayah = reference.wilayah
    kel = text["kelurahan"]
    spellings = {s for e in wilayah["ejaan_lain"] for s in e.split(";") if s}
    assert any(c.isupper() for c in kel) and any(c.islower() and c.strip() for c in kel)
    for prefix in ("Kel. ", "Kelurahan ", "KEL. "):
        assert any(c.startswith(prefix) for c in kel), prefix
    assert any(c.strip() in spellings for c in kel)
    kec = text["kecamatan"]
    assert any(c.startswith(("Kec. ", "Kecamatan ", "KEC. ")) for c in kec)
    places = [(s, r) for s in sheets if s.column("kelurahan") is not None and s.column("kecamatan") is not None
              for r in s.rows.values() if r and r[0] != "JUMLAH" and not all(is_empty(c) for c in r)]
    assert any(is_empty(r[s.column("kecamatan")]) and not is_empty(r[s.column("kelurahan")]) for s, r in places)
    assert any(is_empty(r[s.column("kelurahan")]) and not is_empty(r[s.column("kecamatan")]) for s, r in places)
    program_names = set(reference.program_bantuan["nama_bantuan"])
    assert any(c.isupper() for c in text["nama_bantuan"] if c not in program_names)


def test_typos_are_one_edit_from_exactly_one_kelurahan(clean, reference):
    _, _, sheets, _ = clean
    wilayah = reference.wilayah
    known: dict[str, str] = {}
    for kel, extra in zip(wilayah["kelurahan"], wilayah["ejaan_lain"]):
        for name in [kel, *[e for e in extra.split(";") if e]]:
            known[re.sub(r"[^a-z0-9]", "", name.lower())] = kel
    typos = set()
    for s in sheets:
        i = s.column("kelurahan")
        for r in s.rows.values():
            if i is None or is_empty(r[i]):
                continue
            key = re.sub(r"^(kelurahan|kel)\b\.?", "", str(r[i]).strip().lower())
            key = re.sub(r"[^a-z0-9]", "", key)
            if key not in known:
                near = {kel for k, kel in known.items() if Levenshtein.distance(key, k) <= 1}
                assert len(near) == 1 and len(key) >= 6, r[i]
                typos.add(key)
    assert typos


# --- Defects and truth ----------------------------------------------------------------------

def test_messy_month_has_about_three_percent_defects_of_every_kind(messy):
    _, result, _, _ = messy
    truth = result.truth
    beneficiary = truth[truth["lewati"] == ""]
    assert result.rows_written == len(beneficiary)
    assert (truth.loc[truth["lewati"] != "", "alasan"] == "").all()                 # rows that are not data: no verdict
    share = (beneficiary["alasan"] != "").mean()
    assert 0.02 <= share <= 0.045, share
    codes = [a.split(";") for a in beneficiary["alasan"] if a]
    assert {c for row in codes for c in row} == set(REASONS)
    assert any(len(row) == 2 for row in codes)
    assert all(row == sorted(row, key=REASONS.index) for row in codes)


def test_truth_is_in_contract_order_and_names_every_row(messy):
    out, result, sheets, _ = messy
    truth = result.truth
    order = sorted(result.files, key=lambda p: p.name)
    assert list(dict.fromkeys(truth["sumber_file"])) == [p.name for p in order if p.name in set(truth["sumber_file"])]
    assert not truth.duplicated(["sumber_file", "sumber_sheet", "sumber_baris"]).any()
    data_rows = {(s.file, s.name, n) for s in sheets for n, r in s.rows.items() if not all(is_empty(c) for c in r)}
    assert set(zip(truth["sumber_file"], truth["sumber_sheet"], truth["sumber_baris"])) == data_rows
    assert all(name == Path(file).stem for file, name in zip(truth["sumber_file"], truth["sumber_sheet"])
               if file.endswith(".csv"))


def test_truth_row_numbers_point_at_the_right_cells(messy):
    _, result, sheets, _ = messy
    by_place = {(s.file, s.name): s for s in sheets}
    checked = Counter()
    for file, sheet_name, row, alasan, lewati in result.truth.itertuples(index=False):
        sheet = by_place[(file, sheet_name)]
        cells = sheet.rows[row]
        nik = cells[sheet.column("nik")]
        reasons = set(alasan.split(";")) if alasan else set()
        if lewati == "jumlah":
            assert re.match(r"(JUMLAH|TOTAL|SUB ?TOTAL|GRAND TOTAL)\b", str(cells[0]), re.IGNORECASE) \
                or any(re.match(r"(JUMLAH|TOTAL|SUB ?TOTAL|GRAND TOTAL)\b", str(c), re.IGNORECASE) for c in cells)
        elif lewati:
            continue
        elif "nik_kosong" in reasons:
            assert is_empty(nik)
        elif "nik_format" in reasons:
            assert not re.fullmatch(r"\d{16}", clean_nik(nik)) or "E+" in str(nik)
        else:
            assert re.fullmatch(r"\d{16}", clean_nik(nik)), (file, sheet_name, row, nik)
        if "nama_kosong" in reasons:
            assert is_empty(cells[sheet.column("nama")])
        checked[alasan == ""] += 1
    assert checked[True] and checked[False]


def test_duplicates_repeat_an_accepted_pair_later_in_contract_order(messy):
    _, result, sheets, _ = messy
    by_place = {(s.file, s.name): s for s in sheets}
    sheet_order = {(s.file, s.name): i for i, s in enumerate(sheets)}
    truth = result.truth
    duplicates = truth[truth["alasan"] == "duplikat"]
    assert len(duplicates) >= 2
    assert duplicates["sumber_file"].str.contains("_susulan").any()      # across files too
    accepted = truth[truth["alasan"] == ""]

    def nik_of(row):
        sheet = by_place[(row.sumber_file, row.sumber_sheet)]
        return clean_nik(sheet.rows[row.sumber_baris][sheet.column("nik")])

    accepted_niks = [(nik_of(r), (r.sumber_file, sheet_order[(r.sumber_file, r.sumber_sheet)], r.sumber_baris))
                     for r in accepted.itertuples()]
    for r in duplicates.itertuples():
        here = (r.sumber_file, sheet_order[(r.sumber_file, r.sumber_sheet)], r.sumber_baris)
        assert any(n == nik_of(r) and place < here for n, place in accepted_niks)


def test_clean_month_has_no_defects_review_cases_or_totals_rows(clean):
    _, result, sheets, _ = clean
    assert result.rows_written == len(result.truth) == 2000
    assert (result.truth["alasan"] == "").all()
    assert not any(r and r[0] == "JUMLAH" for s in sheets for r in s.rows.values())
    assert result.review.empty


def test_clean_niks_are_structurally_valid(clean):
    _, _, sheets, _ = clean
    niks, checked_sex, checked_birth = set(), 0, 0
    for s in sheets:
        i, sex, born = s.column("nik"), s.column("jenis_kelamin"), s.column("tanggal_lahir")
        for r in s.rows.values():
            if all(is_empty(c) for c in r):
                continue
            nik = clean_nik(r[i])
            assert re.fullmatch(r"\d{16}", nik), r[i]
            day, month = int(nik[6:8]), int(nik[8:10])
            assert (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12, nik
            if sex is not None:
                female = str(r[sex]).upper() in ("P", "PEREMPUAN")
                assert (day > 40) == female, (nik, r[sex])
                checked_sex += 1
            if born is not None and not is_empty(r[born]):
                assert birth_date(r[born]) == (day % 40, month, int(nik[10:12])), (nik, r[born])
                checked_birth += 1
            niks.add(nik)
    assert checked_sex > 100 and checked_birth > 50
    outside = sum(not nik.startswith("1872") for nik in niks)
    assert 0.04 <= outside / len(niks) <= 0.13, outside / len(niks)


def birth_date(cell) -> tuple[int, int, int]:
    """Day, month and two-digit year of a date cell or of the date texts CONTRACT 2.2 accepts."""
    if hasattr(cell, "day"):
        return cell.day, cell.month, cell.year % 100
    text = str(cell).strip()
    if m := re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", text):
        return int(m[1]), int(m[2]), int(m[3]) % 100
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text):
        return int(m[3]), int(m[2]), int(m[1]) % 100
    day, month, year = text.split()
    return int(day), NAMA_BULAN.index(month) + 1, int(year) % 100


def test_people_receive_several_bantuan(clean):
    _, _, sheets, _ = clean
    niks = Counter(clean_nik(r[s.column("nik")]) for s in sheets for r in s.rows.values()
                   if not all(is_empty(c) for c in r))
    assert max(niks.values()) >= 2


# --- Options, reference folder, marker, scale ---------------------------------------------------------

def test_reference_folder_is_copied_only_when_absent(tmp_path, reference):
    synthesize(PERIOD, tmp_path, rows=50, seed=1, reference=reference)
    assert sorted(p.name for p in (tmp_path / "reference").iterdir()) == sorted(REFERENCE_FILES)
    (tmp_path / "reference" / "wilayah.csv").write_text("mine")
    synthesize(Period(2024, 4), tmp_path, rows=50, seed=1, reference=reference)
    assert (tmp_path / "reference" / "wilayah.csv").read_text() == "mine"


def test_refuses_a_period_folder_that_already_holds_files(tmp_path, reference):
    synthesize(PERIOD, tmp_path, rows=50, seed=1, reference=reference)
    with pytest.raises(InputError, match="sudah berisi"):
        synthesize(PERIOD, tmp_path, rows=50, seed=2, reference=reference)


def test_period_folder_is_marked_synthetic(tmp_path, reference):
    result = synthesize(PERIOD, tmp_path, rows=50, seed=1, reference=reference)
    assert result.marker == tmp_path / "opd" / str(PERIOD) / SYNTHETIC_MARKER == tmp_path / "opd/2024-03/.kmc-sintetis"
    marker = json.loads(result.marker.read_text(encoding="utf-8"))
    assert marker["sintetis"] is True and marker["periode"] == "2024-03" and marker["baris_data"] == result.rows_written
    assert "bukan data resmi" in marker["keterangan"]


def test_a_user_catalogue_is_used(tmp_path, reference):
    programs = reference.program_bantuan
    few = programs[programs["opd"].isin(["Dinas Sosial", "Satuan Polisi Pamong Praja"])].reset_index(drop=True)
    mine = dataclasses.replace(reference, program_bantuan=few)
    result = synthesize(PERIOD, tmp_path, rows=400, seed=2, reference=mine)
    sheets, _ = read_sheets(tmp_path / "opd" / str(PERIOD))
    data = result.truth[result.truth["lewati"] == ""]
    data_rows = set(zip(data["sumber_file"], data["sumber_sheet"], data["sumber_baris"]))
    codes = {str(r[s.column("kode_bantuan")]).upper() for s in sheets if s.column("kode_bantuan") is not None
             for n, r in s.rows.items() if (s.file, s.name, n) in data_rows and not is_empty(r[s.column("kode_bantuan")])}
    assert codes and codes - set(few["kode_bantuan"]) <= set(synth_world._FOREIGN_CODES)
    assert result.rows_written >= 400


def test_large_months_are_written_as_csv_only(tmp_path, reference, monkeypatch):
    monkeypatch.setattr(synth_month, "XLSX_MAX_ROWS", 200)
    result = synthesize(PERIOD, tmp_path, rows=600, seed=4, reference=reference)
    assert result.files and all(p.suffix == ".csv" for p in result.files)


def test_a_row_count_below_one_is_refused_in_indonesian(tmp_path, reference):
    with pytest.raises(InputError, match="Jumlah baris harus 1 atau lebih"):
        synthesize(PERIOD, tmp_path, rows=0, reference=reference)


@pytest.mark.parametrize("kinds, suffix", [("csv", ".csv"), ("xlsx", ".xlsx")])
def test_a_month_of_one_file_kind_has_no_file_of_the_other(tmp_path, reference, kinds, suffix):
    result = synthesize(PERIOD, tmp_path, rows=600, seed=4, reference=reference, kinds=kinds)
    assert result.files and all(p.suffix == suffix for p in result.files)
    assert result.rows_written >= 600


def test_an_unknown_file_kind_is_refused(tmp_path, reference):
    with pytest.raises(InputError, match="kinds"):
        synthesize(PERIOD, tmp_path, rows=100, reference=reference, kinds="ods")


# --- Agreement with stage 1 ---------------------------------------------------------------------

def test_stage_one_reaches_the_verdicts_of_the_truth(messy, reference):
    from kmc_analysis.clean.ingest import read_submissions
    from kmc_analysis.clean.rules import judge_rows

    out, result, _, _ = messy
    ingested = read_submissions(out / "opd" / str(PERIOD), out)
    judged = judge_rows(ingested.rows, reference.wilayah, reference.program_bantuan)
    got = pd.concat([
        judged.quarantined[["sumber_file", "sumber_sheet", "sumber_baris", "alasan"]],
        judged.accepted[["sumber_file", "sumber_sheet", "sumber_baris"]].assign(alasan=""),
    ]).astype({"sumber_baris": "int64"})
    data = result.truth[result.truth["lewati"] == ""].drop(columns="lewati")
    merged = data.merge(got, on=["sumber_file", "sumber_sheet", "sumber_baris"], how="outer",
                        suffixes=("_truth", "_stage1"), indicator=True)
    differ = merged[(merged["_merge"] != "both") | (merged["alasan_truth"] != merged["alasan_stage1"])]
    assert differ.empty, differ.head(10).to_string()
