"""Where every synthetic row lands: its sheet's row number, and the rows around the data that are not data.

``place_rows`` orders each sheet's rows, scatters a few blank rows among them and puts
the rows that are not beneficiaries where OPDs put them: a row of column numbers under
the header, SUB TOTAL rows between kelurahan, a JUMLAH row under the data and a signature
block below it (CONTRACT 2.2 names these kinds ``nomor_kolom``, ``jumlah`` and
``catatan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kmc_analysis.synth.people import People
from kmc_analysis.synth.plan import Plan
from kmc_analysis.synth.rows import BIT, Rows

#: Labels of totals rows (CONTRACT 2.2); the layouts of contract version 1 write only the first.
TOTAL_LABELS = ("JUMLAH", "TOTAL", "Jumlah Total", "GRAND TOTAL")


@dataclass
class Extra:
    """A row that is not a beneficiary: its row number, its kind and its cells (column index -> value)."""

    line: int
    kind: str            # nomor_kolom | jumlah | catatan
    cells: dict[int, object]


@dataclass
class Layout:
    """Where every row lands: its sheet's rows in order, the row number of each, the rows around them."""

    segments: dict[int, np.ndarray]   # sheet -> row ids in written order
    line: np.ndarray                  # row number of each row id
    no: np.ndarray                    # running number ("No" column) of each row id
    end: dict[int, int]               # sheet -> last row number written (blank rows included)
    extras: dict[int, list[Extra]] = field(default_factory=dict)


def place_rows(plan: Plan, rows: Rows, people: People, rng: np.random.Generator) -> Layout:
    """Order each sheet's rows and place blank rows, column numbers, subtotals, totals and signatures."""
    order = np.lexsort((rows.pos, rows.sheet))
    sheet_sorted = rows.sheet[order]
    line = np.zeros(len(rows), dtype=np.int64)
    no = np.zeros(len(rows), dtype=np.int64)
    layout = Layout({}, line, no, {})
    labels = iter(TOTAL_LABELS * len(plan.sheets))
    for sid, sheet in enumerate(plan.sheets):
        if sheet.kind != "data":
            continue
        lo, hi = np.searchsorted(sheet_sorted, [sid, sid + 1])
        seg = order[lo:hi].copy()
        extras: list[Extra] = []
        _last_row_has_a_nik(rows, seg)
        header = len(sheet.titles) + 1
        first = header + 1
        if sheet.number_row:
            extras.append(Extra(first, "nomor_kolom", {i: i + 1 for i in range(len(sheet.columns))}))
            first += 1
        rank = np.arange(len(seg))
        if sheet.subtotals and len(seg):
            kel = people.kel[rows.person[seg]]
            ends = np.flatnonzero(np.r_[kel[1:] != kel[:-1], True])   # last row of each run of one kelurahan
            shift = np.searchsorted(ends, rank, side="left")           # subtotals written before each row
            line[seg] = first + rank + shift
            nominal_column = sheet.columns.index("nominal")
            starts = np.r_[0, ends[:-1] + 1]
            for s, e in zip(starts.tolist(), ends.tolist()):
                extras.append(Extra(int(line[seg[e]]) + 1, "jumlah",
                                    {0: "SUB TOTAL", nominal_column: rows.accepted_total(seg[s:e + 1])}))
            last = int(line[seg[-1]]) + 1
        else:
            blanks = np.sort(rng.integers(0, len(seg) + 1, size=int(rng.integers(0, 3))))
            line[seg] = first + rank + np.searchsorted(blanks, rank, side="right")
            last = first - 1 + len(seg) + len(blanks)
        no[seg] = rank + 1
        layout.segments[sid] = seg
        if sheet.jumlah and rows.accepted_total(seg) > 0:   # a zero total would be a defect of its own
            last += 1
            label = next(labels, "JUMLAH")
            extras.append(Extra(last, "jumlah", {0: label, sheet.columns.index("nominal"): rows.accepted_total(seg)}))
        if sheet.signature:
            last += 1                                        # one blank row between the table and the block
            for text in sheet.signature:
                last += 1
                if text:
                    extras.append(Extra(last, "catatan", {sheet.signature_column: text}))
        layout.end[sid] = last
        layout.extras[sid] = extras
    return layout


def _last_row_has_a_nik(rows: Rows, seg: np.ndarray) -> None:
    """Move a row without a NIK off the end of its sheet: below the last NIK the contract reads only notes.

    Runs before the cells are written, so a defect dropped here is never written.
    """
    if len(seg) == 0 or not rows.reasons[seg[-1]] & BIT["nik_kosong"]:
        return
    with_nik = np.flatnonzero((rows.reasons[seg] & BIT["nik_kosong"]) == 0)
    if len(with_nik):
        j = int(with_nik[-1])
        seg[j], seg[-1] = seg[-1], seg[j]
    else:                                   # no row of the sheet has a NIK: the last one keeps its NIK
        rows.reasons[seg[-1]] &= ~BIT["nik_kosong"]
