"""Whole numbers in the overlap table: small rows no attacker narrows below what the city's figures allow."""

import random

import pandas as pd

from kmc_analysis.core import suppression
from kmc_analysis.core.disclosure import THIS_MONTH, Penyamaran
from kmc_analysis.core.overlap_integers import OverlapRow, narrowed_rows, whole_number_counts
from kmc_analysis.core.overlap_publication import top_coded_overlap
from kmc_analysis.coverage.display import publish_table
from kmc_analysis.coverage.overlap import rekap_tumpang_tindih
from kmc_analysis.report.audit import _whole_number_findings
from tests.test_disclosure_overlap import CATALOGUE, persons_with
from tests.test_disclosure_overlap import whole_number_counts as attacker_counts

# 50, 20, 7 and 4 persons with 1-4 programs, the only 4 programs paid: 81 persons, 127 rows.
PARITY_MONTH = {1: 50, 2: 20, 3: 7, 4: 4}


def publish(counts: dict[int, int], paid: int, min_cell: int = 5):
    """The overlap table as stage 2 publishes it, with the city's persons and rows."""
    rows = persons_with(counts)
    table = top_coded_overlap(rekap_tumpang_tindih(rows), min_cell)
    persons, city_rows = rows["id_penerima"].nunique(), len(rows)
    kota = {THIS_MONTH: {"penerima_unik": persons, "jumlah_penyaluran": city_rows, "nilai_total": city_rows * 100_000}}
    knowledge = {"nominal_min": 100_000, "nominal_max": 100_000, "program_katalog": CATALOGUE,
                 "program_tersalur": paid}
    record = suppression.suppress({"rekap_tumpang_tindih": table}, kota, knowledge, min_cell)
    return table, publish_table(table, "tumpang_tindih", min_cell, record), persons, city_rows, record


def test_whole_numbers_tell_the_parity_of_a_joined_row_that_linear_programs_miss():
    # Black-box recheck 15 (a6): rows 1 and 3 hidden, row 2 shown, "4 atau lebih" <5 with 4 programs paid
    # leaves 2 x n3 + 3 x n4 = 26: n4 is 2 or 4, never 1 or 3. With row 2 hidden too, any count 1-4 fits.
    rows = [OverlapRow("1", None), OverlapRow("2", 20), OverlapRow("3", None), OverlapRow("4 atau lebih", None, True)]
    assert whole_number_counts(rows, 81, 127, 4, 5) == {"4 atau lebih": {2, 4}}
    assert narrowed_rows(rows, 81, 127, 4, 5) == ["4 atau lebih"]
    rows[1] = OverlapRow("2", None)
    assert whole_number_counts(rows, 81, 127, 4, 5) == {"4 atau lebih": {1, 2, 3, 4}}
    assert narrowed_rows(rows, 81, 127, 4, 5) == []


def test_what_the_citys_figures_alone_tell_is_no_finding():
    # 39, 1 and 2 persons with 1-3 programs, 3 paid: "2 atau lebih" holds 3 persons with 5 programs beyond
    # their first, so 3 or 4 persons whatever else is hidden (privasi.md: city figures are published in full).
    rows = [OverlapRow("1", None), OverlapRow("2 atau lebih", None, True)]
    assert whole_number_counts(rows, 42, 47, 3, 5) == {"2 atau lebih": {3, 4}}
    assert narrowed_rows(rows, 42, 47, 3, 5) == []


def test_whole_number_counts_agree_with_an_attacker_written_apart_on_random_tables():
    generator = random.Random(11)
    compared = 0
    for _ in range(200):
        top = generator.randint(3, 6)
        counts = {1: generator.randint(10, 40)}
        counts.update({k: generator.choice([generator.randint(0, 4), generator.randint(1, 4), generator.randint(5, 12)])
                       for k in range(2, top + 1)})
        rows = persons_with(counts)
        table = top_coded_overlap(rekap_tumpang_tindih(rows), 5)
        persons, city_rows, paid = rows["id_penerima"].nunique(), len(rows), top + generator.randint(0, 2)
        published, mine = [], []
        for label, count in zip(table["jumlah_bantuan"].astype(str), table["penerima"]):
            if 1 <= count <= 4:
                published.append("<5")
                mine.append(OverlapRow(label, None, True))
            elif count and generator.random() < 0.6:
                published.append("*")
                mine.append(OverlapRow(label, None))
            else:
                published.append(str(count))
                mine.append(OverlapRow(label, int(count)))
        theirs = attacker_counts(table.assign(penerima=published), persons, city_rows, 5, paid)
        for label, counts_left in whole_number_counts(mine, persons, city_rows, paid, 5).items():
            assert counts_left == theirs[label], (counts, paid, published, label)
            compared += 1
    assert compared >= 25


def test_stage_2_hides_another_row_while_whole_numbers_narrow_a_small_one(monkeypatch):
    table, shown, persons, city_rows, _ = publish(PARITY_MONTH, paid=4)
    assert shown["penerima"].tolist() == ["*", "*", "*", "<5"]
    assert attacker_counts(shown, persons, city_rows, 5, 4)["4 atau lebih"] == {1, 2, 3, 4}
    # the premise: without the whole-number check the linear programs let row 2 show and the parity through
    monkeypatch.setattr(suppression, "_hide_while_whole_numbers_narrow", lambda *args: None)
    _, before, _, _, _ = publish(PARITY_MONTH, paid=4)
    assert before["penerima"].tolist() == ["*", "20", "*", "<5"]
    assert attacker_counts(before, persons, city_rows, 5, 4)["4 atau lebih"] == {2, 4}


def test_the_report_audit_refuses_an_overlap_table_that_whole_numbers_narrow():
    table = pd.DataFrame({"jumlah_bantuan": ["1", "2", "3", "4 atau lebih"], "penerima": [float("nan"), 20.0,
                                                                                           float("nan"), float("nan")]})
    shown = pd.DataFrame({"penerima": [False, True, False, False]})
    marked = pd.DataFrame({"penerima": [False, False, False, True]})
    penyamaran = Penyamaran(5, {}, {"program_tersalur": 4, "program_katalog": CATALOGUE})
    summary = {"penerima_unik": 81, "jumlah_penyaluran": 127}
    [finding] = _whole_number_findings(table, shown, marked, summary, penyamaran)
    assert (finding.table, finding.code, finding.column) == ("rekap_tumpang_tindih", "4 atau lebih", "penerima")
    assert "81" not in finding.sentence() and "4 atau lebih" in finding.sentence()
    shown.loc[1, "penerima"] = False
    assert _whole_number_findings(table, shown, marked, summary, penyamaran) == []
