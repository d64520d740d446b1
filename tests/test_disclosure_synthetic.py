"""The whole publication of synthetic months at high --min-cell (40, 150), attacked from outside.

Two synthetic months go through stages 1 to 3 as functions (no notebooks, to stay quick),
then the report is built. Besides the audit the report runs itself, the tests here attack
the published tables the simple ways an outsider would (a total minus the shown parts, a
rate times the population) and check that city-level program and OPD figures are never
hidden. A publication built to leak (no secondary suppression) must fail with the cell named.
"""

from __future__ import annotations

import shutil

import pytest

from kmc_analysis.clean.stage import clean_month
from kmc_analysis.core.disclosure import PRIMARY
from kmc_analysis.core.disclosure_audit import DisclosureError
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference, population_by_kelurahan
from kmc_analysis.core.store import PENYAMARAN, REKAP_OPD, REKAP_PROGRAM, read_table, write_suppression
from kmc_analysis.coverage import rekap
from kmc_analysis.coverage.display import suppress_coverage
from kmc_analysis.evaluation.tables import evaluate_period, write_tables
from kmc_analysis.evaluation.year_to_date import load_year_to_date
from kmc_analysis.report.build import build_report
from kmc_analysis.report.inputs import load_processed, suppression_for
from kmc_analysis.report.tables import build_tables
from kmc_analysis.synth import synthesize

MONTHS = (Period(2024, 2), Period(2024, 3))


def _stage_two(paths, ref, min_cell: int, secondary: bool = True) -> None:
    month = paths.period
    penerima = rekap.read_penerima(paths.processed)
    before = rekap.load_previous_rekap(paths.processed_for(month.previous()), ref.wilayah)
    result = rekap.build_coverage(penerima, ref.wilayah, ref.program_bantuan, population_by_kelurahan(ref, month.year),
                                  before)
    result.write(paths.processed)
    record = suppress_coverage(result, min_cell, penerima["nominal"], len(ref.program_bantuan),
                               paths.processed_for(month.previous()), secondary=secondary)
    write_suppression(paths.processed, record.to_json())


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Two synthetic months through stages 1 and 3 (stage 2 per test: it depends on --min-cell)."""
    root = tmp_path_factory.mktemp("sintetis")
    raw = root / "raw"
    for month in MONTHS:
        synthesize(month, raw, rows=900, seed=40 + month.month)
    out = {}
    for month in MONTHS:
        paths = run_paths(month, raw, root / "processed", root / "reports")
        ref = load_reference(paths.reference_dir)
        clean_month(paths, ref)
        _stage_two(paths, ref, 5)
        write_tables(evaluate_period(ref, load_year_to_date(paths)), paths.processed)
        out[month] = (paths, ref)
    return out


def _publish(months, min_cell: int, secondary: bool = True):
    for month in MONTHS:
        paths, ref = months[month]
        _stage_two(paths, ref, min_cell, secondary)
    paths, ref = months[MONTHS[-1]]
    shutil.rmtree(paths.reports, ignore_errors=True)
    return paths, ref


def _cells(table, column: str, key: str | None = None) -> dict[str, tuple[str, object]]:
    """A published table's column by row unit (or by the text of column ``key``): (text shown, value)."""
    names = [c.name for c in table.columns]
    j = names.index(column)
    k = names.index(key) if key else None
    return {(r.cells[k].text if key else r.unit): (r.cells[j].text, r.cells[j].value)
            for r in table.rows if r.kind == "data"}


def _outside_attacks(tables, summary, min_cell: int) -> list[str]:
    """What an outsider gets by subtraction and from rates; lists every small count narrowed."""
    problems = []
    kec, kel = tables["rekap_kecamatan"], tables["rekap_kelurahan"]
    for table in (kec, kel):
        for unit, (text, _) in _cells(table, "penerima_unik").items():
            rate = _cells(table, "penerima_per_1000")[unit][0]
            if text.startswith("<") and rate not in ("*", "–"):
                problems.append(f"{unit}: rate shown next to a hidden count")
    rows_kec = _cells(kec, "jumlah_penyaluran")
    hidden = [u for u, (t, _) in rows_kec.items() if t in ("*",) or t.startswith("<")]
    shown_sum = sum(v for u, (t, v) in rows_kec.items() if u not in hidden)
    if len(hidden) == 1:
        problems.append(f"{hidden[0]}: city rows minus the shown kecamatan")
    elif hidden and summary["jumlah_penyaluran"] - shown_sum < min_cell:
        problems.append("hidden kecamatan rows sum below min_cell")
    parents = {u: v for u, (t, v) in rows_kec.items() if u not in hidden}
    kel_rows = _cells(kel, "jumlah_penyaluran")
    kel_code = _cells(kel, "kode_kecamatan")
    persons = _cells(kel, "penerima_unik")
    for k, total in parents.items():
        members = [u for u in kel_rows if kel_code[u][1] == k]
        hidden_members = [u for u in members if kel_rows[u][0] == "*" or kel_rows[u][0].startswith("<")]
        room = total - sum(kel_rows[u][1] for u in members if u not in hidden_members)
        for u in hidden_members:
            if persons[u][0].startswith("<") and room < min_cell:
                problems.append(f"{u}: kecamatan rows minus the shown kelurahan leave less than min_cell")
    return problems


@pytest.mark.parametrize("min_cell", [40, pytest.param(150, marks=pytest.mark.slow)])
def test_high_min_cell_publication_survives_outside_attacks_and_the_audit(months, min_cell):
    paths, ref = _publish(months, min_cell)
    result = build_report(paths, min_cell=min_cell, reference=ref)  # raises if the audit finds a leak
    data = load_processed(paths.processed, paths.period)
    record = suppression_for(data, min_cell)
    assert record.min_cell == min_cell and (paths.processed / PENYAMARAN).is_file()
    tables = build_tables(data, record)
    assert _outside_attacks(tables, result.summary, min_cell) == []
    small = read_table(paths.processed, rekap.REKAP_KELURAHAN)
    small = small.loc[small["penerima_unik"].between(1, min_cell - 1), "kode_kelurahan"]
    shown = _cells(tables["rekap_kelurahan"], "penerima_unik")
    assert len(small) and all(shown[code][0] == f"<{min_cell}" for code in small)
    assert result.audited >= len(small)
    assert not list(paths.reports.rglob("*.ipynb"))


@pytest.mark.parametrize("min_cell", [40, pytest.param(150, marks=pytest.mark.slow)])
def test_no_city_level_program_or_opd_figure_is_hidden(months, min_cell):
    paths, _ = _publish(months, min_cell)
    data = load_processed(paths.processed, paths.period)
    tables = build_tables(data, suppression_for(data, min_cell))
    for key in ("rekap_program", "evaluasi_program", "program_html", "rekap_opd", "evaluasi_opd"):
        assert not tables[key].has_hidden, key
    programs = read_table(paths.processed, REKAP_PROGRAM)
    shown = _cells(tables["rekap_program"], "penerima_unik", key="kode_bantuan")
    counts = dict(zip(programs["kode_bantuan"], programs["penerima_unik"]))
    small = [code for code, n in counts.items() if 1 <= n < min_cell]
    assert small  # the month has small programs, and they are shown as they are
    assert {c: shown[c][0] for c in small} == {c: format_number(counts[c]) for c in small}
    opd = read_table(paths.processed, REKAP_OPD)
    assert len(tables["rekap_opd"].rows) == len(opd) + 1  # every OPD and the total


def test_publication_built_to_leak_fails_naming_the_cell(months):
    # At --min-cell 40 this month's small counts crowd every kecamatan: the `<40` marks alone already say
    # as much as the totals, so small counts alone leak nothing; at 20 some stand alone beside shown ones.
    paths, ref = _publish(months, 20, secondary=False)
    with pytest.raises(DisclosureError) as failure:
        build_report(paths, min_cell=20, reference=ref)
    findings = failure.value.findings
    assert findings and all(f.table and f.code and f.column for f in findings)
    message = str(failure.value)
    assert findings[0].table in message and findings[0].code.split("|")[0] in message
    assert not (paths.reports / f"laporan_kmc_{paths.period}.html").exists()  # nothing published
    # the named cells are small counts that the leaky record left without complements
    record = suppression_for(load_processed(paths.processed, paths.period), 20)
    assert all(why == PRIMARY for why in record.hidden.values())

