"""The layouts contract version 2 added, read back on their own terms and by stage 1.

Pipe-separated and OpenDK CSV files, kelurahan codes, the newer header synonyms, rows that
are not data (column numbers, SUB TOTAL and totals rows, signature blocks) and ``_revisi``
files replacing an original.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from synth_readback import clean_nik, header_key, is_empty, read_csv_lines, read_sheets

from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize
from kmc_analysis.synth.sheets import NEWER_HEADERS

PERIOD = Period(2024, 3)
TOTALS = re.compile(r"^(JUMLAH|TOTAL|SUB ?TOTAL|GRAND TOTAL)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def v2(tmp_path_factory, reference):
    out = tmp_path_factory.mktemp("v2")
    result = synthesize(PERIOD, out, seed=2, reference=reference)
    sheets, skipped = read_sheets(out / "opd" / str(PERIOD))
    return out, result, sheets, skipped


def test_pipe_and_opendk_csv_files_are_written(v2):
    _, result, sheets, _ = v2
    separators = {read_csv_lines(p)[2] for p in result.files if p.suffix == ".csv"}
    assert separators == {";", ",", "|"}
    opendk = [s for s in sheets if s.file.startswith("peserta_bantuan_opendk_")]
    assert opendk and all(s.headers[:4] == ["id", "desa_id", "program_id", "kartu_nik"] for s in opendk)
    codes = [s.cell(n, "kode_kelurahan") for s in opendk for n, r in s.rows.items() if not all(is_empty(c) for c in r)]
    dotted = [c for c in codes if re.fullmatch(r"\d\d\.\d\d\.\d\d\.\d{4}", c)]
    assert codes and len(dotted) >= 0.8 * len(codes)


def test_every_newer_header_synonym_appears(v2):
    _, _, sheets, _ = v2
    headers = {header_key(h) for s in sheets for h in s.headers}
    missing = [h for synonyms in NEWER_HEADERS.values() for h in synonyms if header_key(h) not in headers]
    assert not missing


def test_kelurahan_codes_of_accepted_rows_name_the_persons_kelurahan(v2, reference):
    _, result, sheets, _ = v2
    wilayah = reference.wilayah
    forms = {}
    for _, w in wilayah.iterrows():
        for code in (w["kode_kelurahan"], w["kode_kelurahan"].replace(".", ""), w["kode_bps_kelurahan"]):
            forms.setdefault(code, set()).add(w["kode_kelurahan"])
    by_place = {(s.file, s.name): s for s in sheets}
    accepted = result.truth[(result.truth["alasan"] == "") & (result.truth["lewati"] == "")]
    seen = Counter()
    for file, sheet_name, row in zip(accepted["sumber_file"], accepted["sumber_sheet"], accepted["sumber_baris"]):
        code = by_place[(file, sheet_name)].cell(row, "kode_kelurahan")
        if not is_empty(code):
            assert len(forms[str(code)]) == 1, code                  # a form names one kelurahan only
            seen["dotted" if "." in str(code) else "plain or BPS"] += 1
    assert seen["dotted"] and seen["plain or BPS"]


def test_rows_that_are_not_data_are_in_the_truth_with_their_kind(v2):
    _, result, sheets, _ = v2
    by_place = {(s.file, s.name): s for s in sheets}
    kinds = Counter()
    data = result.truth[result.truth["lewati"] == ""]
    last_data_row = data.groupby(["sumber_file", "sumber_sheet"])["sumber_baris"].max().to_dict()
    for file, sheet_name, row, _, kind in result.truth[result.truth["lewati"].isin(
            ["jumlah", "nomor_kolom", "catatan"])].itertuples(index=False):
        sheet = by_place[(file, sheet_name)]
        cells = [c for c in sheet.rows[row]]
        if kind == "jumlah":
            assert is_empty(sheet.cell(row, "nik"))
            assert any(TOTALS.match(str(c)) for c in cells if not is_empty(c))
            assert not is_empty(sheet.cell(row, "nominal"))
        elif kind == "nomor_kolom":
            assert row == sheet.header_row + 1 and [int(c) for c in cells if not is_empty(c)] == \
                list(range(1, len(sheet.headers) + 1))
        else:
            last_data = last_data_row[(file, sheet_name)]
            assert not is_empty(sheet.cell(last_data, "nik")) and row > last_data
            assert is_empty(sheet.cell(row, "nik")) and is_empty(sheet.cell(row, "nominal"))
        kinds[kind] += 1
    assert set(kinds) == {"jumlah", "nomor_kolom", "catatan"}
    signatures = [str(c) for s in sheets for r in s.rows.values() for c in r if not is_empty(c)]
    assert any(c == "Mengetahui," for c in signatures) and any(c.startswith("NIP. 19") for c in signatures)
    assert any(str(c).startswith("SUB TOTAL") for c in signatures)


def test_the_last_data_row_of_every_sheet_has_a_nik(v2):
    _, result, sheets, _ = v2
    data = result.truth[result.truth["lewati"] == ""]
    by_place = {(s.file, s.name): s for s in sheets}
    for (file, sheet_name), rows in data.groupby(["sumber_file", "sumber_sheet"]):
        last = int(rows["sumber_baris"].max())
        assert not is_empty(by_place[(file, sheet_name)].cell(last, "nik")), (file, sheet_name)


def test_a_revisi_file_replaces_its_original(v2):
    out, result, sheets, _ = v2
    assert len(result.superseded) == 1
    original, revisi = result.superseded[0]
    stem, ext = original.rsplit(".", 1)
    assert revisi == f"{stem}_revisi.{ext}"
    truth = result.truth
    assert (truth.loc[truth["sumber_file"] == original, "lewati"] == "digantikan").all()
    assert (truth.loc[truth["sumber_file"] == revisi, "lewati"] != "digantikan").all()
    assert (truth.loc[truth["lewati"] == "digantikan", "sumber_file"] == original).all()

    def niks(name):
        return {clean_nik(s.cell(n, "nik")) for s in sheets if s.file == name for n in s.rows
                if not is_empty(s.cell(n, "nik"))}

    old, new = niks(original), niks(revisi)
    assert old and new - old and len(old & new) >= 0.8 * len(old)            # mostly the same rows, some added


def test_stage_one_reaches_the_verdicts_of_the_v2_truth(v2, reference):
    from kmc_analysis.clean.ingest import read_submissions
    from kmc_analysis.clean.rules import judge_rows

    out, result, _, _ = v2
    ingested = read_submissions(out / "opd" / str(PERIOD), out)
    judged = judge_rows(ingested.rows, reference.wilayah, reference.program_bantuan)
    got = sorted([*zip(judged.quarantined["sumber_file"], judged.quarantined["sumber_sheet"],
                       judged.quarantined["sumber_baris"].astype(int), judged.quarantined["alasan"]),
                  *zip(judged.accepted["sumber_file"], judged.accepted["sumber_sheet"],
                       judged.accepted["sumber_baris"].astype(int), [""] * len(judged.accepted))])
    data = result.truth[result.truth["lewati"] == ""]
    assert got == sorted(zip(data["sumber_file"], data["sumber_sheet"], data["sumber_baris"], data["alasan"]))
    skipped = result.truth[result.truth["lewati"].isin(["jumlah", "nomor_kolom", "catatan"])]
    assert sorted((r["path"].rsplit("/", 1)[-1], r["sheet"], r["row"], r["kind"]) for r in ingested.skipped_rows) \
        == sorted(zip(skipped["sumber_file"], skipped["sumber_sheet"], skipped["sumber_baris"], skipped["lewati"]))
    assert sorted((s["path"].rsplit("/", 1)[-1], s["replaced_by"].rsplit("/", 1)[-1])
                  for s in ingested.superseded_files) == result.superseded
