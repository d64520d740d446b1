"""A synthetic month fits its catalogue: each program pays about its target in its payment months.

The schedule is checked over a whole year (``month_schedule`` is cheap); the files of two
consecutive plan-sized months are read back to check who is paid (``synth_readback``).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from synth_readback import Catalogue, amount, clean_nik, is_empty, read_sheets

from kmc_analysis.cli import main
from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize
from kmc_analysis.synth.programs import program_table
from kmc_analysis.synth.schedule import month_schedule, realisation_levels

YEAR = 2024


@pytest.fixture(scope="module")
def programs(reference):
    kec = reference.wilayah.drop_duplicates("kode_kecamatan")["kecamatan"].to_numpy(dtype=object)
    return program_table(reference, kec)


@pytest.fixture(scope="module")
def year(programs):
    """The schedule of every month of a year (catalogue order)."""
    opds = list(dict.fromkeys(programs["opd"]))
    return [month_schedule(programs, opds, Period(YEAR, m), None) for m in range(1, 13)]


@pytest.fixture(scope="module")
def two_months(tmp_path_factory, reference):
    """February and March as the plan says, without defects, read back with who got what."""
    out = tmp_path_factory.mktemp("plan")
    months = {}
    for month in (2, 3):
        period = Period(YEAR, month)
        result = synthesize(period, out, seed=month, clean=True, reference=reference)
        sheets, _ = read_sheets(out / "opd" / str(period))
        months[month] = (result, sheets)
    return months


def paid(sheets, catalogue: Catalogue) -> dict[str, set[str]]:
    """NIKs paid per program code, read from the files."""
    out = defaultdict(set)
    for s in sheets:
        for n, r in s.rows.items():
            if not all(is_empty(c) for c in r):
                out[catalogue.code_of(s, n)].add(clean_nik(s.cell(n, "nik")))
    return out


def test_payment_months_follow_each_programs_satuan(programs, year):
    persons = np.array([s.persons for s in year])                       # month x program
    late = [programs["opd"].eq(s.late_opd).to_numpy() for s in year]
    for p, months in enumerate(programs["months_per_payment"]):
        paying = [m for m in range(12) if persons[m, p] > 0]
        if months == 1:           # per bulan: every month its OPD is not late
            assert paying == [m for m in range(12) if not late[m][p]], programs["kode_bantuan"][p]
        elif months in (3, 6):    # per triwulan / per semester: one month in each period
            for start in range(0, 12, months):
                in_period = [m for m in paying if start <= m < start + months]
                assert len(in_period) <= 1 and (in_period or any(late[m][p] for m in range(start, start + months)))
            assert len({m % months for m in paying}) == 1
        else:                     # sekali: spread over the year, about a twelfth a month
            year_total = persons[:, p].sum()
            assert persons[:, p].max() <= max(3, 0.25 * year_total), programs["kode_bantuan"][p]
            assert len(paying) >= (9 if year_total >= 60 else 1), programs["kode_bantuan"][p]


def test_programs_pay_about_their_target(programs, year):
    target = programs["target"].to_numpy()
    level = year[0].realisation
    persons = np.array([s.persons for s in year])
    for p, months in enumerate(programs["months_per_payment"]):
        if months == 12:          # once a year: the year's recipients, the late month's share aside
            shares = persons[:, p].sum() / (target[p] * level[p])
            assert 0.75 <= shares <= 1.01, programs["kode_bantuan"][p]
        else:                     # per payment: the target at the program's level, within a few percent
            ratio = persons[:, p][persons[:, p] > 0] / target[p]
            assert (np.abs(ratio - level[p]) <= 0.02 + 1 / target[p]).all(), programs["kode_bantuan"][p]


def test_most_programs_run_near_plan_and_a_few_behind(programs):
    level = realisation_levels(programs["kode_bantuan"].tolist(), YEAR)
    near = (level >= 0.9) & (level <= 1.05)
    behind = (level >= 0.5) & (level <= 0.8)
    assert (near | behind).all()
    assert near.mean() >= 0.85 and 2 <= behind.sum() <= 0.12 * len(level)


def test_one_opd_is_late_each_month_and_sends_nothing(two_months, reference):
    catalogue = Catalogue(reference.program_bantuan)
    lates = set()
    for result, sheets in two_months.values():
        late = result.programs.loc[result.programs["opd_terlambat"], "kode_bantuan"]
        assert len(set(result.programs.loc[result.programs["opd_terlambat"], "opd"])) == 1
        assert not set(late) & set(paid(sheets, catalogue))
        lates.add(frozenset(late))
    assert all(lates)


def test_default_month_is_as_large_as_the_plan_says(two_months):
    for result, _ in two_months.values():
        planned = int(result.programs["penerima_rencana"].sum())
        assert result.rows_written == planned == int(result.programs["baris"].sum())
        assert 5_000 <= planned <= 12_000


def test_rows_written_per_program_are_the_planned_persons(two_months, reference):
    catalogue = Catalogue(reference.program_bantuan)
    for result, sheets in two_months.values():
        counts = Counter()
        for s in sheets:
            counts.update(catalogue.code_of(s, n) for n, r in s.rows.items() if not all(is_empty(c) for c in r))
        planned = dict(zip(result.programs["kode_bantuan"], result.programs["penerima_rencana"]))
        assert dict(counts) == {k: v for k, v in planned.items() if v}


def test_monthly_recipients_recur_with_a_few_leaving_and_joining(two_months, reference):
    catalogue = Catalogue(reference.program_bantuan)
    (feb, feb_sheets), (_, mar_sheets) = two_months[2], two_months[3]
    before, after = paid(feb_sheets, catalogue), paid(mar_sheets, catalogue)
    monthly = set(feb.programs.loc[feb.programs["bulan_per_pembayaran"] == 1, "kode_bantuan"])
    stayed = joined = 0
    for code in monthly & set(before) & set(after):
        stayed += len(before[code] & after[code])
        joined += len(after[code] - before[code])
    assert stayed and joined
    assert 0.02 <= joined / (stayed + joined) <= 0.15, joined / (stayed + joined)


def test_once_a_year_recipients_are_not_paid_again_the_next_month(two_months, reference):
    catalogue = Catalogue(reference.program_bantuan)
    (feb, feb_sheets), (_, mar_sheets) = two_months[2], two_months[3]
    before, after = paid(feb_sheets, catalogue), paid(mar_sheets, catalogue)
    once = set(feb.programs.loc[feb.programs["bulan_per_pembayaran"] == 12, "kode_bantuan"])
    checked = [code for code in once & set(before) & set(after)]
    assert checked
    assert all(not before[code] & after[code] for code in checked)


def test_amounts_are_the_standard_amount_or_a_rapel_of_it(two_months, reference):
    catalogue = Catalogue(reference.program_bantuan)
    standard = dict(zip(reference.program_bantuan["kode_bantuan"], reference.program_bantuan["nominal_standar"]))
    ratios = Counter()
    for _, sheets in two_months.values():
        for s in sheets:
            for n, r in s.rows.items():
                if not all(is_empty(c) for c in r):
                    ratios[amount(s.cell(n, "nominal")) / int(standard[catalogue.code_of(s, n)])] += 1
    assert set(ratios) <= {0.5, 1.0, 2.0}
    assert ratios[1.0] / sum(ratios.values()) >= 0.9


def test_rows_scales_the_plan_to_exactly_that_many_rows(tmp_path, reference):
    result = synthesize(Period(YEAR, 3), tmp_path, rows=700, seed=2, clean=True, reference=reference)
    assert result.rows_written == 700 == int(result.programs["baris"].sum())
    plan, rows = result.programs["penerima_rencana"].to_numpy(), result.programs["baris"].to_numpy()
    assert np.abs(rows - plan * 700 / plan.sum()).max() < 1
    assert (rows[plan == 0] == 0).all()


def test_kmc_synth_without_rows_writes_the_planned_month(tmp_path, capsys):
    assert main(["synth", "--period", "2024-03", "--out", str(tmp_path), "--clean"]) == 0
    sheets, _ = read_sheets(tmp_path / "opd" / "2024-03")
    rows = sum(not all(is_empty(c) for c in r) for s in sheets for r in s.rows.values())
    assert 5_000 <= rows <= 12_000
    assert (tmp_path / "dtks" / "dtks_2024-03.csv").is_file()
