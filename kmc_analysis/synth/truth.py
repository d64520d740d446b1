"""The verdict the contract gives every synthetic row written below a header.

The truth is worked out from what was written, independently of ``clean.rules``: it is
the oracle that module is tested against. Every non-blank row below a header is in it;
``lewati`` (skip) says which are not data rows (CONTRACT 2.2 and 2.3): ``jumlah``,
``nomor_kolom`` and ``catatan`` rows go to the manifest's ``skipped_rows``, and every row
of a file replaced by its ``_revisi`` file is ``digantikan`` (the file is not read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.synth.layout import Layout
from kmc_analysis.synth.plan import Plan
from kmc_analysis.synth.rows import BIT, REASONS, Rows

#: Columns of ``SynthResult.truth``.
TRUTH_COLUMNS = ["sumber_file", "sumber_sheet", "sumber_baris", "alasan", "lewati"]
#: ``lewati`` of the rows of a file a ``_revisi`` file replaces.
SUPERSEDED = "digantikan"


@dataclass
class Verdicts:
    """Every data row's place and verdict in contract order, and the rows that are not data."""

    truth: pd.DataFrame       # TRUTH_COLUMNS
    accepted: np.ndarray      # ids of the beneficiary rows to be accepted, in contract order
    sheet_files: np.ndarray   # file name of each sheet
    sheet_names: np.ndarray   # name of each sheet
    rows: Rows
    line: np.ndarray          # row number of each row id

    def location(self, ids: np.ndarray) -> pd.DataFrame:
        """sumber_file, sumber_sheet and sumber_baris of some rows."""
        sheet = self.rows.sheet[ids]
        return pd.DataFrame({"sumber_file": pd.Series(self.sheet_files[sheet], dtype="str"),
                             "sumber_sheet": pd.Series(self.sheet_names[sheet], dtype="str"),
                             "sumber_baris": self.line[ids].astype("int64")})


def _reason_text(mask: np.ndarray) -> np.ndarray:
    """Bit masks to ``;``-joined reason codes in contract order."""
    unique, inverse = np.unique(mask, return_inverse=True)
    words = [";".join(r for r in REASONS if int(m) & BIT[r]) for m in unique.tolist()]
    return np.array(words, dtype=object)[inverse]


def build_truth(plan: Plan, rows: Rows, layout: Layout) -> Verdicts:
    """The verdict the contract's row rules give every row written below a header, in contract order.

    Only ``duplikat`` is computed here, literally as the contract says: a row whose NIK
    and program are valid is a duplicate when a row with the same pair was accepted
    before it (file name, sheet order, row). Rows breaking no other rule are accepted
    unless they are duplicates, so the first of them wins. By construction a row with
    another defect never follows an accepted row with its pair, but the rule does not
    rely on that.
    """
    read = ~rows.superseded
    rank = {name: i for i, name in enumerate(sorted(f.name for f in plan.files))}
    file_rank = np.array([rank[plan.files[s.file].name] for s in plan.sheets])
    sheet_order = np.array([s.order for s in plan.sheets])
    position = np.full(len(rows), np.iinfo(np.int64).max)
    ids = np.flatnonzero(read)
    position[ids[np.lexsort((layout.line[ids], sheet_order[rows.sheet[ids]], file_rank[rows.sheet[ids]]))]] = \
        np.arange(len(ids))
    unmatchable = BIT["nik_kosong"] | BIT["nik_format"] | BIT["nik_tanggal"] | BIT["program_tidak_dikenal"]
    nik_id = pd.factorize(rows.nik)[0].astype(np.int64)
    _, key = np.unique(nik_id * max(len(plan.main_sheet), 1) + rows.program, return_inverse=True)
    clean = (rows.reasons == 0) & read
    first_accepted = np.full(key.max() + 1 if len(key) else 0, np.iinfo(np.int64).max)
    np.minimum.at(first_accepted, key[clean], position[clean])
    repeated = read & ((rows.reasons & unmatchable) == 0) & (first_accepted[key] < position)
    rows.reasons[repeated] |= BIT["duplikat"]

    names = np.array([plan.files[s.file].name for s in plan.sheets], dtype=object)
    sheet_names = np.array([s.name for s in plan.sheets], dtype=object)
    superseded_sheet = np.array([plan.files[s.file].superseded for s in plan.sheets], dtype=bool)
    extras = [(sid, e) for sid, items in layout.extras.items() for e in items]
    extra_sheets = np.array([sid for sid, _ in extras], dtype=np.int64)
    extra_reasons = [""] * len(extras)
    extra_kinds = [SUPERSEDED if superseded_sheet[sid] else e.kind for sid, e in extras]
    sheets = np.concatenate([rows.sheet, extra_sheets])
    lines = np.concatenate([layout.line, np.array([e.line for _, e in extras], dtype=np.int64)])
    alasan = np.where(read, _reason_text(rows.reasons), "")
    lewati = np.where(read, "", SUPERSEDED)
    truth = pd.DataFrame({
        "sumber_file": pd.Series(names[sheets], dtype="str"),
        "sumber_sheet": pd.Series(sheet_names[sheets], dtype="str"),
        "sumber_baris": lines,
        "alasan": pd.Series(np.concatenate([alasan, np.array(extra_reasons, dtype=object)]), dtype="str"),
        "lewati": pd.Series(np.concatenate([lewati.astype(object), np.array(extra_kinds, dtype=object)]), dtype="str"),
    })
    truth = truth.iloc[np.lexsort((lines, sheet_order[sheets], file_rank[sheets]))].reset_index(drop=True)

    accepted = ids[rows.reasons[ids] == 0]
    accepted = accepted[np.argsort(position[accepted], kind="stable")]
    return Verdicts(truth, accepted, names, sheet_names, rows, layout.line)
