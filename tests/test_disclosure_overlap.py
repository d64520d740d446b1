"""Persons by number of programs as published: the small top rows joined into ``k atau lebih``.

Each person's rows are his programs (a second row of one program is quarantined), so the
city's published persons and rows tell the sum of (programs - 1) over all persons. With the
small top rows published one by one, whole-number reasoning on that sum pins them, however
the rows are hidden; joined, the number of programs of the top row is unknown.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import PRIMARY, SECONDARY, THIS_MONTH, primary_mark
from kmc_analysis.core.disclosure_audit import audit_model
from kmc_analysis.core.disclosure_model import build_model
from kmc_analysis.core.overlap_publication import OR_MORE, overlap_size, published_combinations, top_coded_overlap
from kmc_analysis.core.suppression import suppress
from kmc_analysis.coverage.display import publish_table
from kmc_analysis.coverage.overlap import kombinasi_program, rekap_tumpang_tindih

CATALOGUE = 84


def persons_with(programs: dict[int, int], nominal: int = 100_000) -> pd.DataFrame:
    """Accepted rows of ``count`` persons holding ``n`` programs each, for every n: count in ``programs``."""
    rows, person = [], 0
    for held, count in programs.items():
        for _ in range(count):
            person += 1
            rows += [(f"orang{person}", f"B{program:03d}") for program in range(held)]
    frame = pd.DataFrame(rows, columns=["id_penerima", "kode_bantuan"])
    return frame.assign(kode_kecamatan="K1", kode_kelurahan="L1", nominal=np.int64(nominal))


def whole_number_counts(published: pd.DataFrame, persons: int, rows: int, min_cell: int,
                        most: int = CATALOGUE, combinations: pd.DataFrame | None = None) -> dict[str, set[int]]:
    """What an attacker can tell of each hidden row from the table as published and the city's persons and rows.

    Written apart from the disclosure model, in whole numbers: a ``<N`` row holds 1..N-1
    persons, a ``*`` row at least N; each person holds the row's number of programs (from
    it up to ``most``, the programs paid this month, in an ``atau lebih`` row); the city's
    rows minus its persons is the sum of (programs - 1) over everyone. ``combinations``
    (the published Kombinasi table) adds what its rows tell: each is a group of persons
    of its own, of at least 1 (``<N``) or its shown count, inside the row of its size; and,
    as only combinations of N or more persons are listed, each of the other combinations
    of ``most`` programs of a row's size holds at most N-1.
    """
    mark = primary_mark(min_cell)

    def number(text) -> int:
        return int(str(text).replace(".", ""))

    known_persons = known_extra = 0
    unknown = []
    for label, shown in zip(published["jumlah_bantuan"], published["penerima"]):
        held, or_more = overlap_size(label)
        if shown in (mark, "*"):
            floor = 1 if shown == mark else min_cell
            if combinations is not None:  # distinct combinations of this size are distinct persons
                inside = [c for size, c in zip(combinations["jumlah_bantuan"], combinations["penerima"])
                          if int(size) == held or (or_more and int(size) > held)]
                floor = max(floor, sum(1 if c in (mark, "*") else number(c) for c in inside))
            top = min_cell - 1 if shown == mark else persons
            if combinations is not None and not or_more and held >= 2:
                listed = [number(c) for size, c in zip(combinations["jumlah_bantuan"], combinations["penerima"])
                          if int(size) == held and c not in (mark, "*")]
                top = min(top, sum(listed) + (math.comb(most, held) - len(listed)) * (min_cell - 1))
            unknown.append((label, held, or_more, range(floor, top + 1)))
        else:
            known_persons += number(shown)
            known_extra += (held - 1) * number(shown)
    left, extra = persons - known_persons, rows - persons - known_extra

    def feasible(fixed: dict[str, int]) -> bool:
        reachable = {(0, 0, 0)}  # persons, least and most sum of (programs - 1)
        for label, held, or_more, counts in unknown:
            step = [fixed[label]] if label in fixed else counts
            reachable = {(p + c, low + (held - 1) * c, high + ((most if or_more else held) - 1) * c)
                         for p, low, high in reachable for c in step if p + c <= left}
        return any(p == left and low <= extra <= high for p, low, high in reachable)

    return {label: {c for c in counts if feasible({label: c})} for label, _, _, counts in unknown}


def test_a_few_persons_with_many_programs_are_not_pinned_by_the_citys_persons_and_rows():
    # 400 persons with 1 program, 60 with 2, 12 with 3, 3 with 4, 1 with 5: 476 persons, 573 rows.
    # Published one row each, "4" and "5" were both `<5` beside a hidden "1": 3 x n4 + 4 x n5 = 13 leaves
    # only n4 = 3, n5 = 1. Joined into "4 atau lebih" (4 persons, `<5`), every count 1-4 stays possible.
    rows = persons_with({1: 400, 2: 60, 3: 12, 4: 3, 5: 1})
    exact = rekap_tumpang_tindih(rows)
    persons, city_rows = 476, len(rows)
    one_by_one = exact.assign(jumlah_bantuan=exact["jumlah_bantuan"].astype(str),
                              penerima=["*", "60", "12", "<5", "<5"])
    assert whole_number_counts(one_by_one, persons, city_rows, 5) == {"1": {400}, "4": {3}, "5": {1}}

    published = top_coded_overlap(exact, 5)
    assert published["jumlah_bantuan"].tolist() == ["1", "2", "3", f"4{OR_MORE}"]
    assert published["penerima"].tolist() == [400, 60, 12, 4]
    assert published["nilai_total"].tolist() == [40_000_000, 12_000_000, 3_600_000, 1_700_000]
    assert published["nilai_rata_rata_per_penerima"].tolist() == [100_000, 200_000, 300_000, 425_000]
    frames = {"rekap_tumpang_tindih": published}
    kota = {THIS_MONTH: {"penerima_unik": persons, "jumlah_penyaluran": city_rows, "nilai_total": len(rows) * 100_000}}
    knowledge = {"nominal_min": 100_000, "nominal_max": 100_000, "program_katalog": CATALOGUE}
    record = suppress(frames, kota, knowledge, 5)
    shown = publish_table(published, "tumpang_tindih", 5, record)
    assert shown["penerima"].tolist() == ["*", "60", "12", "<5"]
    attacker = whole_number_counts(shown, persons, city_rows, 5)
    assert attacker[f"4{OR_MORE}"] == {1, 2, 3, 4}
    mask = record.mask(published, "rekap_tumpang_tindih")
    blanked = published.assign(**{column: published[column].where(mask[column].eq("")) for column in mask.columns
                                  if column != "jumlah_bantuan"})
    model = build_model({"rekap_tumpang_tindih": blanked}, kota, knowledge,
                        {"rekap_tumpang_tindih": mask.eq("")}, {"rekap_tumpang_tindih": mask.eq(PRIMARY)})
    assert audit_model(model, 5) == []
    assert record.hidden[("jumlah_bantuan", f"4{OR_MORE}", THIS_MONTH)] == PRIMARY
    assert record.hidden[("jumlah_bantuan", "1", THIS_MONTH)] == SECONDARY


def test_rows_are_joined_from_the_first_small_one_zeros_included_and_left_alone_without_protection():
    exact = rekap_tumpang_tindih(persons_with({1: 50, 2: 20, 4: 9, 6: 1}))
    assert exact["penerima"].tolist() == [50, 20, 0, 9, 0, 1]
    joined = top_coded_overlap(exact, 5)
    assert joined["jumlah_bantuan"].tolist() == ["1", "2", f"3{OR_MORE}"]
    assert joined["penerima"].tolist() == [50, 20, 10] and joined["persen_penerima"].tolist() == [62.5, 25.0, 12.5]
    assert joined.dtypes.astype(str).tolist() == ["str", "int64", "float64", "int64", "Int64"]
    assert top_coded_overlap(joined, 5).equals(joined), "a published table is left as it is"
    assert top_coded_overlap(exact, 1)["jumlah_bantuan"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert top_coded_overlap(exact, 21)["jumlah_bantuan"].tolist() == ["1", f"2{OR_MORE}"]  # row 1 is never joined
    everyone_small = top_coded_overlap(rekap_tumpang_tindih(persons_with({1: 3, 2: 1})), 5)
    assert everyone_small["jumlah_bantuan"].tolist() == ["1", f"2{OR_MORE}"]


def persons_holding(combinations: list[tuple[int, ...]], first: int = 0) -> pd.DataFrame:
    """Accepted rows of one person per tuple of program numbers (B000, B001, ...), persons numbered from ``first``."""
    rows = [(f"orang{first + n}", f"B{program:03d}") for n, held in enumerate(combinations) for program in held]
    return pd.DataFrame(rows, columns=["id_penerima", "kode_bantuan"]).assign(
        kode_kecamatan="K1", kode_kelurahan="L1", nominal=np.int64(100_000))


def publish(rows: pd.DataFrame, min_cell: int, paid: int):
    """The overlap and combinations tables as stage 2 and the report publish them, with the city's persons and rows."""
    overlap, combinations = top_coded_overlap(rekap_tumpang_tindih(rows), min_cell), kombinasi_program(rows)
    frames = {"rekap_tumpang_tindih": overlap,
              "kombinasi_program": published_combinations(combinations, min_cell, overlap)}
    persons = rows["id_penerima"].nunique()
    kota = {THIS_MONTH: {"penerima_unik": persons, "jumlah_penyaluran": len(rows), "nilai_total": len(rows) * 100_000}}
    knowledge = {"nominal_min": 100_000, "nominal_max": 100_000, "program_katalog": CATALOGUE,
                 "program_tersalur": paid, "kombinasi_lengkap": False}
    record = suppress(frames, kota, knowledge, min_cell)
    shown = {kind: publish_table(frame, kind, min_cell, record, overlap=rekap_tumpang_tindih(rows))
             for kind, frame in (("tumpang_tindih", overlap), ("kombinasi", combinations))}
    return shown, persons, len(rows)


def test_rare_combinations_are_left_out_so_they_cannot_count_the_persons_of_the_joined_row():
    # Black-box attack 13: 100, 20 and 8 persons with 1-3 programs, three with four programs each a combination of
    # its own and one with five. "4 atau lebih" was <5 while the Kombinasi table listed those four combinations,
    # each <5 and so at least one person: exactly 4. Combinations held by fewer than min_cell are not published.
    rows = pd.concat([persons_with({1: 100, 2: 20, 3: 8}),
                      persons_holding([(0, 1, 2, 10), (0, 1, 2, 11), (0, 1, 2, 12), (0, 1, 2, 13, 14)], first=500)])
    combinations = kombinasi_program(rows)
    overlap, persons, city_rows = top_coded_overlap(rekap_tumpang_tindih(rows), 5), 132, len(rows)
    marked = combinations.assign(penerima=[str(c) if c >= 5 else "<5" for c in combinations["penerima"]])
    as_before = overlap.assign(penerima=["*", "20", "8", "<5"])
    assert whole_number_counts(as_before, persons, city_rows, 5, 15, marked)[f"4{OR_MORE}"] == {4}

    shown, persons, city_rows = publish(rows, 5, paid=15)
    assert shown["kombinasi"].empty, "beside a small row no combination is published (next test)"
    assert shown["tumpang_tindih"]["penerima"].iloc[-1] == "<5"
    attacker = whole_number_counts(shown["tumpang_tindih"], persons, city_rows, 5, 15, shown["kombinasi"])
    assert attacker[f"4{OR_MORE}"] == {1, 2, 3, 4}


def test_the_programs_paid_this_month_cap_the_programs_of_a_person_in_the_joined_row():
    # Black-box attack 13 at --min-cell 3: 30, 12, 6 and 3 persons with 1-4 programs and two with the same six, the
    # only six programs paid. "5 atau lebih" (<3) holds persons of 5 or 6 programs, not up to the catalogue's 84:
    # the city's rows left 10 = 4 or 5 per person for it, so exactly 2. The audit now caps at the programs paid.
    rows = pd.concat([persons_with({1: 30, 2: 12, 3: 6, 4: 3}), persons_holding([tuple(range(6))] * 2, first=500)])
    overlap, persons, city_rows = top_coded_overlap(rekap_tumpang_tindih(rows), 3), 53, len(rows)
    assert overlap["jumlah_bantuan"].tolist()[-1] == f"5{OR_MORE}"
    as_before = overlap.assign(penerima=["*", "12", "6", "3", "<3"])
    assert whole_number_counts(as_before, persons, city_rows, 3, most=6)[f"5{OR_MORE}"] == {2}

    shown, persons, city_rows = publish(rows, 3, paid=6)
    attacker = whole_number_counts(shown["tumpang_tindih"], persons, city_rows, 3, 6, shown["kombinasi"])
    assert attacker[f"5{OR_MORE}"] == {1, 2}


def test_no_combination_is_published_beside_a_small_row_as_the_listed_ones_bound_it():
    # Black-box recheck 14: 50 persons with one program, 6, 4 and 4 on the three pairs of the only three programs
    # paid, 4 with all three. Only the pair of 6 was listed, and the rule said each unlisted one held at most 4:
    # persons with 2 programs were at most 6 + 2 x 4 = 14, and the city's rows (R - P = 22) left "3 atau lebih"
    # (<5) exactly 4. Beside a small row the combinations table is not published at all.
    held = [(0, 1)] * 6 + [(0, 2)] * 4 + [(1, 2)] * 4 + [(0, 1, 2)] * 4
    rows = pd.concat([persons_with({1: 50}), persons_holding(held, first=500)])
    overlap, persons, city_rows = top_coded_overlap(rekap_tumpang_tindih(rows), 5), 68, len(rows)
    as_before = overlap.assign(penerima=["*", "*", "<5"])
    listed = published_combinations(kombinasi_program(rows), 5)
    assert listed["penerima"].tolist() == [6]
    assert whole_number_counts(as_before, persons, city_rows, 5, 3, listed.astype({"penerima": str}))[
        f"3{OR_MORE}"] == {4}

    shown, persons, city_rows = publish(rows, 5, paid=3)
    assert shown["kombinasi"].empty and shown["tumpang_tindih"]["penerima"].tolist() == ["*", "*", "<5"]
    assert whole_number_counts(shown["tumpang_tindih"], persons, city_rows, 5, 3)[f"3{OR_MORE}"] == {1, 2, 3, 4}


def withheld_month():
    """The recheck-14 month above: beside its small "3 atau lebih" row no combination is published."""
    held = [(0, 1)] * 6 + [(0, 2)] * 4 + [(1, 2)] * 4 + [(0, 1, 2)] * 4
    rows = pd.concat([persons_with({1: 50}), persons_holding(held, first=500)])
    overlap, combinations = rekap_tumpang_tindih(rows), kombinasi_program(rows)
    published = top_coded_overlap(overlap, 5)
    frames = {"rekap_tumpang_tindih": published,
              "kombinasi_program": published_combinations(combinations, 5, published)}
    kota = {THIS_MONTH: {"penerima_unik": 68, "jumlah_penyaluran": len(rows), "nilai_total": len(rows) * 100_000}}
    knowledge = {"nominal_min": 100_000, "nominal_max": 100_000, "program_katalog": CATALOGUE,
                 "program_tersalur": 3, "kombinasi_lengkap": False}
    return rows, overlap, combinations, suppress(frames, kota, knowledge, 5)


def test_a_withheld_combinations_table_says_so_in_the_workbook_and_the_html():
    # Black-box recheck 15: the HTML said why no combination was published, the workbook had no sheet for it
    # at all, and the HTML read "Tidak ada." (there are none) before the note.
    from jinja2 import Environment

    from kmc_analysis.report.html import _environment
    from kmc_analysis.report.tables import _overlap_tables
    from kmc_analysis.report.table_model import WITHHELD_TEXT
    from kmc_analysis.report.xlsx import _Sheets

    _, overlap, combinations, record = withheld_month()
    tables = _overlap_tables({"rekap_tumpang_tindih": overlap, "kombinasi_program": combinations,
                              "rekap_program": None, "evaluasi_program": None}, record)
    table = tables["kombinasi_program"]
    assert table.withheld and not table.rows and "tidak diterbitkan" in table.notes[0]

    book = _Sheets("Maret 2024")
    book.table(table)
    texts = [cell.value for row in book.wb["Kombinasi Program"].iter_rows() for cell in row if cell.value]
    assert WITHHELD_TEXT in texts and table.notes[0] in texts

    macros = _environment().get_template("_macros.html.j2").module
    html = Environment().from_string("{{ m.table(t) }}").render(m=macros, t=table)
    assert WITHHELD_TEXT in html and table.notes[0] in html and "Tidak ada." not in html


def test_the_stage_2_notebook_shows_why_no_combination_is_listed_and_no_share_that_gives_a_row_away():
    # Black-box recheck 15: notebook 02 showed the withheld table as a bare header, and its summary's share of
    # persons with several programs (total minus row 1) gave the hidden row 1 away.
    from types import SimpleNamespace

    from kmc_analysis.core.periods import Period
    from kmc_analysis.coverage.display import styled_table, summary_markdown

    rows, overlap, combinations, record = withheld_month()
    caption = styled_table(combinations, "kombinasi", 5, record, overlap=overlap).caption
    assert caption and "tidak diterbitkan" in caption
    kota = {"penerima_unik": 68, "jumlah_penyaluran": len(rows), "nilai_total": len(rows) * 100_000,
            "program_aktif": 3, "penerima_per_1000": None, "nilai_rata_rata_per_penerima": None}
    empty = pd.DataFrame(columns=["penerima_per_1000", "kode_kecamatan", "kode_kelurahan", "kecamatan",
                                  "kelurahan", "penerima_unik"])
    result = SimpleNamespace(ringkasan=kota, tumpang_tindih=overlap, kecamatan=empty, kelurahan=empty, perubahan=None)
    text = summary_markdown(result, 5, Period(2024, 3), "", record)
    assert "lebih dari satu jenis bantuan" not in text
    shown_all = summary_markdown(result, 1, Period(2024, 3), "", None)
    assert "26,5% penerima menerima lebih dari satu jenis bantuan" in shown_all


def test_a_small_number_of_programs_inside_a_joined_row_is_not_given_back_by_the_combinations():
    # Black-box attack 17 (s5): 40, 1, 10 and 8 persons with 1-4 programs, the only 4 programs paid. The
    # joined "2 atau lebih" row (19 persons) is no small row, so the combinations were listed, among them
    # the only one of four programs (8 persons); the city's rows then gave n2 + n3 = 11 and
    # 2 x n2 + 3 x n3 = 32: n2 = 1. A number of programs held by 1-4 persons withholds the combinations.
    held = [(0, 1)] + [tuple((j + i) % 4 for i in range(3)) for j in range(10)] + [(0, 1, 2, 3)] * 8
    rows = pd.concat([persons_with({1: 40}), persons_holding(held, first=500)])
    exact = rekap_tumpang_tindih(rows)
    published = top_coded_overlap(exact, 5)
    assert published["jumlah_bantuan"].tolist() == ["1", f"2{OR_MORE}"] and published["penerima"].tolist() == [40, 19]
    combinations = kombinasi_program(rows)
    listed_before = combinations[combinations["penerima"] >= 5]  # as listed beside a table with no small row
    four = listed_before.loc[listed_before["jumlah_bantuan"] == 4, "penerima"].sum()
    n3 = (len(rows) - 40 - 4 * four) - 2 * (19 - four)  # 2 x n2 + 3 x n3 = rows left, n2 + n3 = 19 - four
    assert (four, 19 - four - n3) == (8, 1), "the premise: the combinations gave the single person away"

    shown, _, _ = publish(rows, 5, paid=4)
    assert shown["kombinasi"].empty
    assert published_combinations(combinations, 5, exact).empty
    assert published_combinations(combinations, 5, published).empty, "a joined row, inside unknown, counts as small"
