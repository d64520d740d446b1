"""Persons by number of programs as published: the small top rows joined into ``k atau lebih``.

Each person's rows are his programs (a second row of one program is quarantined), so the
city's published persons and rows tell the sum of (programs - 1) over all persons. With the
small top rows published one by one, whole-number reasoning on that sum pins them, however
the rows are hidden; joined, the number of programs of the top row is unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import (
    OR_MORE,
    PRIMARY,
    SECONDARY,
    THIS_MONTH,
    overlap_size,
    primary_mark,
    top_coded_overlap,
)
from kmc_analysis.core.disclosure_audit import audit_model
from kmc_analysis.core.disclosure_model import build_model
from kmc_analysis.core.suppression import suppress
from kmc_analysis.coverage.display import publish_table
from kmc_analysis.coverage.rekap import rekap_tumpang_tindih

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


def whole_number_counts(published: pd.DataFrame, persons: int, rows: int, min_cell: int) -> dict[str, set[int]]:
    """What an attacker can tell of each ``<N`` row from the table as published and the city's persons and rows.

    Written apart from the disclosure model: every whole number of persons 1..N-1 for each
    ``<N`` row (and any count for a hidden ``*`` row), each person holding at least the
    row's number of programs (exactly, unless ``atau lebih``) and at most the catalogue,
    kept when the persons and the rows of the city can both be met.
    """
    mark = primary_mark(min_cell)
    known_persons = known_extra = 0
    unknown = []
    for label, shown in zip(published["jumlah_bantuan"], published["penerima"]):
        held, or_more = overlap_size(label)
        if shown == mark:
            unknown.append((label, held, or_more, range(1, min_cell)))
        elif shown == "*":
            unknown.append((label, held, or_more, range(min_cell, persons + 1)))
        else:
            known_persons += int(str(shown).replace(".", ""))
            known_extra += (held - 1) * int(str(shown).replace(".", ""))
    possible: dict[str, set[int]] = {label: set() for label, *_ in unknown}

    def search(index: int, left_persons: int, extra_low: int, extra_high: int, chosen: list[int]) -> None:
        if index == len(unknown):
            if left_persons == 0 and extra_low <= rows - persons - known_extra <= extra_high:
                for (label, *_), count in zip(unknown, chosen):
                    possible[label].add(count)
            return
        label, held, or_more, counts = unknown[index]
        for count in counts:
            if count > left_persons:
                break
            top = (CATALOGUE if or_more else held) - 1
            search(index + 1, left_persons - count, extra_low + (held - 1) * count, extra_high + top * count,
                   [*chosen, count])

    search(0, persons - known_persons, 0, 0, [])
    return possible


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
