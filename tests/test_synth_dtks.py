"""The DTKS extract ``kmc synth`` writes, and the targeting figures of its truth, checked against the files.

The figures are recomputed here from what was written (the DTKS CSV and the OPD files
read back with ``synth_readback``), not from the synthesiser's people, so a mistake in
either shows.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict

import pytest
from synth_readback import Catalogue, Places, clean_nik, read_sheets

from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize
from kmc_analysis.synth.dtks import DTKS_COLUMNS

PERIOD = Period(2024, 3)


@pytest.fixture(scope="module")
def month(tmp_path_factory, reference):
    out = tmp_path_factory.mktemp("dtks")
    result = synthesize(PERIOD, out, seed=4, reference=reference)
    sheets, _ = read_sheets(out / "opd" / str(PERIOD))
    data = result.dtks_file.read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="|"))
    return out, result, sheets, rows


def extract(rows) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_dtks_is_a_siks_ng_pipe_export(month):
    out, result, _, rows = month
    assert result.dtks_file == out / "dtks" / "dtks_2024-03.csv"
    assert tuple(rows[0]) == DTKS_COLUMNS and len(DTKS_COLUMNS) == 23
    assert all(len(r) == 23 for r in rows)
    people = extract(rows)
    assert 5_000 <= len(people) <= 20_000
    assert all(re.fullmatch(r"\d{16}", p["NOMOR NIK"]) and re.fullmatch(r"\d{16}", p["NOMOR KK"]) for p in people)
    for column in ("NAMA", "KECAMATAN", "DESA/KELURAHAN", "ALAMAT", "NAMA IBU KANDUNG", "TEMPAT LAHIR"):
        assert all(p[column] == p[column].upper() for p in people), column
    assert {p["PROVINSI"] for p in people} == {"LAMPUNG"} and {p["KABUPATEN/KOTA"] for p in people} == {"KOTA METRO"}
    assert {p["JENIS KELAMIN"] for p in people} == {"LAKI-LAKI", "PEREMPUAN"}
    assert {p["BANSOS PKH"] for p in people} == {"YA", "TIDAK"}
    assert len({p["NOMOR NIK"] for p in people}) == len(people)


def test_dtks_places_are_kota_metro_sometimes_in_bps_one_word_spellings(month, reference):
    _, _, _, rows = month
    wilayah = reference.wilayah
    official = {k.upper() for k in wilayah["kelurahan"]}
    one_word = {e.upper() for spellings in wilayah["ejaan_lain"] for e in spellings.split(";") if e and " " not in e}
    places = Counter(p["DESA/KELURAHAN"] for p in extract(rows))
    assert set(places) <= official | one_word
    assert "IRINGMULYO" in places and "IRING MULYO" in places
    assert {p["KECAMATAN"] for p in extract(rows)} == {k.upper() for k in wilayah["kecamatan"]}


def test_dtks_lists_whole_families(month):
    _, _, _, rows = month
    families = defaultdict(list)
    for p in extract(rows):
        families[p["NOMOR KK"]].append(p)
    heads = Counter(sum(m["HUBUNGAN KELUARGA"] == "KEPALA KELUARGA" for m in members) for members in families.values())
    assert set(heads) <= {0, 1} and heads[1] >= 0.95 * len(families)   # a family cut at a block's edge has no head
    sizes = Counter(len(members) for members in families.values())
    assert sum(n for size, n in sizes.items() if size >= 3) > sizes[1]
    for members in families.values():
        assert len({(m["ALAMAT"], m["RT"], m["RW"], m["KECAMATAN"]) for m in members}) == 1
        children = [m for m in members if m["HUBUNGAN KELUARGA"] == "ANAK"]
        mothers = {m["NAMA"] for m in members if m["JENIS KELAMIN"] == "PEREMPUAN"
                   and m["HUBUNGAN KELUARGA"] in ("KEPALA KELUARGA", "ISTRI")}
        assert all(c["NAMA IBU KANDUNG"] in mothers for c in children) or not mothers


def test_dtks_is_written_once_and_is_the_same_for_every_month_and_seed(tmp_path, reference, month):
    _, first, _, _ = month
    again = synthesize(Period(2024, 4), tmp_path, rows=300, seed=9, reference=reference)
    assert again.dtks_file.read_bytes() == first.dtks_file.read_bytes()
    assert again.dtks_file.name == "dtks_2024-04.csv"
    later = synthesize(Period(2024, 5), tmp_path, rows=300, seed=9, reference=reference)
    assert later.dtks_file is None and [p.name for p in (tmp_path / "dtks").iterdir()] == ["dtks_2024-04.csv"]


def test_targeting_truth_matches_the_files(month, reference):
    """ketepatan_sasaran.csv recomputed from the DTKS CSV and the accepted rows of the OPD files."""
    _, result, sheets, rows = month
    catalogue, places = Catalogue(reference.program_bantuan), Places(reference.wilayah)
    poor = set(result.programs.loc[result.programs["sasaran_miskin"], "kode_bantuan"])
    kec_code = dict(zip(reference.wilayah["kecamatan"].str.upper(), reference.wilayah["kode_kecamatan"]))
    dtks = {p["NOMOR NIK"]: kec_code[p["KECAMATAN"]] for p in extract(rows)}
    accepted = result.truth[(result.truth["alasan"] == "") & (result.truth["lewati"] == "")]
    by_place = {(s.file, s.name): s for s in sheets}
    recipients: dict[str, str] = {}
    of_program = defaultdict(set)
    for file, sheet_name, row in zip(accepted["sumber_file"], accepted["sumber_sheet"], accepted["sumber_baris"]):
        sheet = by_place[(file, sheet_name)]
        code = catalogue.code_of(sheet, row)
        if code in poor:
            nik = clean_nik(sheet.cell(row, "nik"))
            recipients[nik] = places.kecamatan_of(sheet, row)
            of_program[code].add(nik)

    def figures(people: dict[str, str], area: set[str]) -> list[int]:
        in_dtks = [n for n in people if n in dtks]
        return [len(people), len(in_dtks), len(area), len([n for n in area if n in people])]

    expected = {("kota", "18.72"): figures(recipients, set(dtks))}
    for code in sorted(set(reference.wilayah["kode_kecamatan"])):
        expected[("kecamatan", code)] = figures({n: k for n, k in recipients.items() if k == code},
                                                {n for n, k in dtks.items() if k == code})
    for code in sorted(poor):
        expected[("program", code)] = figures(dict.fromkeys(of_program[code], ""), set(dtks))
    truth = result.targeting.set_index(["tingkat", "kode"])
    got = {key: truth.loc[key, ["penerima_unik", "penerima_dtks", "dtks_unik", "dtks_menerima"]].astype(int).tolist()
           for key in expected}
    assert got == expected
    city = truth.loc[("kota", "18.72")]
    assert city["persen_penerima_dtks"] == pytest.approx(100 * city["penerima_dtks"] / city["penerima_unik"])
    families = {p["NOMOR KK"] for p in extract(rows)}
    reached = {p["NOMOR KK"] for p in extract(rows) if p["NOMOR NIK"] in recipients}
    assert truth.loc[("kota_rumah_tangga", "18.72"), ["dtks_unik", "dtks_menerima"]].tolist() == \
        [len(families), len(reached)]


def test_poor_targeted_programs_reach_some_of_the_poor_and_some_others(month):
    _, result, _, _ = month
    city = result.targeting.set_index("tingkat").loc["kota"]
    assert 60 <= city["persen_penerima_dtks"] <= 80            # most recipients are in DTKS, not all
    assert 0 < city["persen_dtks_terjangkau"] < 50               # some of the poor are reached, many are not
    programs = result.targeting[(result.targeting["tingkat"] == "program") & (result.targeting["penerima_unik"] >= 50)]
    assert len(programs) >= 3 and programs["persen_penerima_dtks"].between(50, 90).all()
