"""Ages and review flags: the truth's ``review`` (``tinjauan.csv``) recomputed from the files as the contract says."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from synth_readback import Catalogue, age_on_last_day, amount, clean_nik, read_sheets

from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize
from kmc_analysis.synth.review import FLAGS, age_from_nik

PERIOD = Period(2024, 3)


@pytest.fixture(scope="module")
def messy(tmp_path_factory, reference):
    out = tmp_path_factory.mktemp("review")
    result = synthesize(PERIOD, out, seed=6, reference=reference)
    return result, *read_sheets(out / "opd" / str(PERIOD))


def flags_from_files(result, sheets, reference) -> pd.DataFrame:
    """Every accepted row's flags by CONTRACT 2.4 / 3, from the cells as written."""
    catalogue = Catalogue(reference.program_bantuan)
    programs = result.programs.set_index("kode_bantuan")
    accepted = result.truth[(result.truth["alasan"] == "") & (result.truth["lewati"] == "")]
    by_place = {(s.file, s.name): s for s in sheets}
    rows = []
    for file, sheet_name, row in zip(accepted["sumber_file"], accepted["sumber_sheet"], accepted["sumber_baris"]):
        sheet = by_place[(file, sheet_name)]
        rows.append((file, sheet_name, row, clean_nik(sheet.cell(row, "nik")), catalogue.code_of(sheet, row),
                     amount(sheet.cell(row, "nominal"))))
    programs_of = defaultdict(set)
    for *_, nik, code, _ in rows:
        programs_of[nik].add(code)
    last = PERIOD.last_day()
    out = []
    for file, sheet_name, row, nik, code, paid in rows:
        low, high, standard = programs.loc[code, ["usia_min", "usia_maks", "nominal_standar"]]
        age = age_on_last_day(nik, last.year, last.month, last.day)
        flags = [not pd.isna(low) and age < low or not pd.isna(high) and age > high,
                 not pd.isna(standard) and (paid > 2 * standard or paid < standard / 2),
                 len(programs_of[nik]) >= 5]
        if any(flags):
            out.append((file, sheet_name, row, programs.loc[code, "opd"], code,
                        ";".join(f for f, on in zip(FLAGS, flags) if on)))
    return pd.DataFrame(out, columns=["sumber_file", "sumber_sheet", "sumber_baris", "opd", "kode_bantuan", "tanda"])


def test_review_truth_matches_the_files(messy, reference):
    result, sheets, _ = messy
    expected = flags_from_files(result, sheets, reference)
    assert result.review.astype(str).values.tolist() == expected.astype(str).values.tolist()


def test_messy_month_plants_a_few_of_every_review_flag(messy):
    result, _, _ = messy
    flags = [f for tanda in result.review["tanda"] for f in tanda.split(";")]
    assert set(flags) == set(FLAGS)
    assert len(result.review) <= 0.005 * result.rows_written          # a few, not a pattern
    many = result.review[result.review["tanda"].str.contains("banyak_program")]
    assert many.groupby(["sumber_file"]).size().sum() >= 5              # one person, five programs or more


def test_planted_ages_lie_far_outside_their_range(messy, reference):
    result, sheets, _ = messy
    by_place = {(s.file, s.name): s for s in sheets}
    programs = result.programs.set_index("kode_bantuan")
    outside = result.review[result.review["tanda"].str.contains("usia_di_luar_sasaran")]
    assert len(outside) >= 2
    last = PERIOD.last_day()
    for r in outside.itertuples():
        nik = clean_nik(by_place[(r.sumber_file, r.sumber_sheet)].cell(r.sumber_baris, "nik"))
        age = age_on_last_day(nik, last.year, last.month, last.day)
        low, high = programs.loc[r.kode_bantuan, ["usia_min", "usia_maks"]]
        far_older = not pd.isna(high) and age >= high + 30
        younger = not pd.isna(low) and low - 20 <= age < low
        assert far_older or younger, (age, low, high)


def test_clean_month_has_no_review_flags_even_computed_from_the_files(tmp_path, reference):
    result = synthesize(PERIOD, tmp_path, rows=1500, seed=2, clean=True, reference=reference)
    sheets, _ = read_sheets(tmp_path / "opd" / str(PERIOD))
    assert result.review.empty and flags_from_files(result, sheets, reference).empty


@pytest.mark.parametrize(("nik", "period", "age"), [
    ("1872010101800001", Period(2024, 3), 44),      # a man born 1 January 1980
    ("1872014101800001", Period(2024, 3), 44),      # a woman: day + 40
    ("1872013103240001", Period(2024, 3), 0),       # born on the period's last day
    ("1872010104240001", Period(2024, 3), -1),      # 20YY = 2024 is not after 2024: born after the period ends
    ("1872010104250001", Period(2024, 3), 98),      # 2025 lies after 2024: 1925
    ("1872010104240001", Period(2024, 4), 0),       # born 1 April 2024, seen on 30 April 2024
    ("1872016912990001", Period(2024, 3), 24),      # a woman born 29 December 1999
])
def test_age_follows_the_contracts_reading_of_the_nik(nik, period, age):
    last = period.last_day()
    assert age_on_last_day(nik, last.year, last.month, last.day) == age
    assert age_from_nik(np.array([int(nik)]), period)[0] == age
    assert _by_calendar(nik, period) == age


def _by_calendar(nik: str, period: Period) -> int:
    """The same age worked out with datetime, independently of both functions above."""
    day = int(nik[6:8]) - (40 if int(nik[6:8]) > 40 else 0)
    yy = int(nik[10:12])
    year = 2000 + yy if 2000 + yy <= period.year else 1900 + yy
    born, last = dt.date(year, int(nik[8:10]), day), period.last_day()
    return last.year - born.year - ((last.month, last.day) < (born.month, born.day))
