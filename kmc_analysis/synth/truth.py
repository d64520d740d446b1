"""Where every synthetic row lands (sheet, row number, JUMLAH row) and the verdict the contract gives it.

JUMLAH rows, notes below a sheet's last NIK and the rows of a file replaced by its
``_revisi`` file are not data rows: the truth lists them with their kind in ``lewati``.

The truth is worked out from what was written, independently of ``clean.rules``: it is the
oracle that module is tested against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.synth.plan import Plan
from kmc_analysis.synth.rows import BIT, REASONS, Rows


@dataclass
class Layout:
    """Where every row lands: its sheet's rows in order and the row number of each."""

    segments: dict[int, np.ndarray]   # sheet -> row ids in written order
    line: np.ndarray                  # row number of each row id
    no: np.ndarray                    # running number ("No" column) of each row id
    end: dict[int, int]               # sheet -> last row number written (blank rows included)
    jumlah: dict[int, int]            # sheet -> row number of its JUMLAH row


def place_rows(plan: Plan, rows: Rows, rng: np.random.Generator) -> Layout:
    """Order each sheet's rows, scatter a few blank rows among them and place the JUMLAH row."""
    order = np.lexsort((rows.pos, rows.sheet))
    sheet_sorted = rows.sheet[order]
    line = np.zeros(len(rows), dtype=np.int64)
    no = np.zeros(len(rows), dtype=np.int64)
    layout = Layout({}, line, no, {}, {})
    for sid, sheet in enumerate(plan.sheets):
        if sheet.kind != "data":
            continue
        lo, hi = np.searchsorted(sheet_sorted, [sid, sid + 1])
        seg = order[lo:hi]
        header = len(sheet.titles) + 1
        blanks = np.sort(rng.integers(0, len(seg) + 1, size=int(rng.integers(0, 3))))
        rank = np.arange(len(seg))
        line[seg] = header + 1 + rank + np.searchsorted(blanks, rank, side="right")
        no[seg] = rank + 1
        layout.segments[sid] = seg
        layout.end[sid] = header + len(seg) + len(blanks)
        if sheet.jumlah and rows.accepted_total(seg) > 0:   # a zero total would be a defect of its own
            layout.jumlah[sid] = layout.end[sid] + 1
            layout.end[sid] += 1
    return layout


def _reason_text(mask: np.ndarray) -> np.ndarray:
    """Bit masks to ``;``-joined reason codes in contract order."""
    unique, inverse = np.unique(mask, return_inverse=True)
    words = [";".join(r for r in REASONS if int(m) & BIT[r]) for m in unique.tolist()]
    return np.array(words, dtype=object)[inverse]


def build_truth(plan: Plan, rows: Rows, layout: Layout, nominal_text: pd.Series | None = None) -> pd.DataFrame:
    """The verdict the contract's row rules give every row written, in contract order.

    Only ``duplikat`` is computed here, literally as the contract says: a row whose NIK
    and program are valid is a duplicate when a row with the same pair was accepted
    before it (file name, sheet order, row). Rows breaking no other rule are accepted
    unless they are duplicates, so the first of them wins. By construction a row with
    another defect never follows an accepted row with its pair, but the rule does not
    rely on that.

    ``lewati`` says which rows are not data rows (CONTRACT 2.2 and 2.3): ``jumlah`` for
    the JUMLAH rows, ``catatan`` for rows below a sheet's last NIK with neither NIK nor
    an amount (``nominal_text`` without a digit), ``digantikan`` for every row of a file
    replaced by its ``_revisi`` file (not read at all); data rows have ``""``.
    """
    rank = {name: i for i, name in enumerate(sorted(f.name for f in plan.files))}
    file_rank = np.array([rank[plan.files[s.file].name] for s in plan.sheets])
    sheet_order = np.array([s.order for s in plan.sheets])
    replaced = _replaced_sheets(plan)
    gone = replaced[rows.sheet]
    position = np.empty(len(rows), dtype=np.int64)
    position[np.lexsort((layout.line, sheet_order[rows.sheet], file_rank[rows.sheet]))] = np.arange(len(rows))
    unmatchable = BIT["nik_kosong"] | BIT["nik_format"] | BIT["nik_tanggal"] | BIT["program_tidak_dikenal"]
    nik_id = pd.factorize(rows.nik)[0].astype(np.int64)
    _, key = np.unique(nik_id * len(plan.main_sheet) + rows.program, return_inverse=True)
    clean = (rows.reasons == 0) & ~gone
    first_accepted = np.full(key.max() + 1 if len(key) else 0, np.iinfo(np.int64).max)
    np.minimum.at(first_accepted, key[clean], position[clean])
    repeated = ((rows.reasons & unmatchable) == 0) & (first_accepted[key] < position) & ~gone
    rows.reasons[repeated] |= BIT["duplikat"]

    has_nik = (rows.reasons & BIT["nik_kosong"]) == 0
    last_nik = np.full(len(plan.sheets), -1, dtype=np.int64)
    np.maximum.at(last_nik, rows.sheet[has_nik], layout.line[has_nik])
    no_amount = np.zeros(len(rows), dtype=bool) if nominal_text is None else \
        ~nominal_text.astype("str").str.contains("[0-9]", regex=True).fillna(False).to_numpy(dtype=bool)
    catatan = ~has_nik & no_amount & (last_nik[rows.sheet] >= 0) & (layout.line > last_nik[rows.sheet])
    lewati = np.where(gone, "digantikan", np.where(catatan, "catatan", "")).astype(object)
    alasan = np.where(lewati == "", _reason_text(rows.reasons), "").astype(object)

    jumlah = list(layout.jumlah.items())
    jumlah_sheets = np.array([s for s, _ in jumlah], dtype=np.int64)
    sheets = np.concatenate([rows.sheet, jumlah_sheets])
    lines = np.concatenate([layout.line, np.array([n for _, n in jumlah], dtype=np.int64)])
    alasan = np.concatenate([alasan, np.array([""] * len(jumlah), dtype=object)])
    lewati = np.concatenate([lewati, np.where(replaced[jumlah_sheets], "digantikan", "jumlah").astype(object)])
    names = np.array([plan.files[s.file].name for s in plan.sheets], dtype=object)
    sheet_names = np.array([s.name for s in plan.sheets], dtype=object)
    truth = pd.DataFrame({
        "sumber_file": pd.Series(names[sheets], dtype="str"),
        "sumber_sheet": pd.Series(sheet_names[sheets], dtype="str"),
        "sumber_baris": lines,
        "alasan": pd.Series(alasan, dtype="str"),
        "lewati": pd.Series(lewati, dtype="str"),
    })
    key = np.lexsort((lines, sheet_order[sheets], file_rank[sheets]))
    return truth.iloc[key].reset_index(drop=True)


_REVISI = re.compile(r"^(?P<base>.+?)[ _-]+revisi(?:[ _-]*(?P<n>[0-9]+))?$", re.IGNORECASE)


def _replaced_sheets(plan: Plan) -> np.ndarray:
    """Per sheet, whether its file is replaced by a revision (CONTRACT 2.3: the highest ``revisi N`` wins)."""
    revision = {}
    for f in plan.files:
        stem = f.name.rsplit(".", 1)[0]
        match = _REVISI.match(stem)
        revision[f.name] = (match.group("base").casefold(), int(match.group("n") or 1)) if match else \
            (stem.casefold(), 0)
    top: dict[str, int] = {}
    for base, number in revision.values():
        top[base] = max(top.get(base, 0), number)
    return np.array([revision[plan.files[s.file].name][1] < top[revision[plan.files[s.file].name][0]]
                     for s in plan.sheets], dtype=bool)
