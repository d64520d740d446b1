"""Per-OPD feedback workbooks (umpan balik): the rows each OPD must fix, in plain Indonesian."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kmc_analysis.clean.ingest import COLUMN_SYNONYMS
from kmc_analysis.clean.reasons import REASON_TEXT
from kmc_analysis.core.errors import StageError
from kmc_analysis.core.formatting import formula_safe
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import feedback_file_name

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")
TABLE_HEADER_ROW = 5
#: From this many quarantined rows a helper process writes part of the workbooks.
BACKGROUND_FROM_ROWS = 5_000
#: The helper's share of the rows: the caller has stage 1's other outputs to write first.
HELPER_SHARE = 0.6
HANDOVER_OPD = "__opd__"


def explain_reasons(alasan: pd.Series) -> pd.Series:
    """Turn ``;``-joined reason codes into numbered plain-Indonesian sentences."""
    def explain(codes: str) -> str:
        parts = [REASON_TEXT[c] for c in codes.split(";") if c]
        return parts[0] if len(parts) == 1 else "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))
    return alasan.map(explain, na_action="ignore")


def write_feedback(quarantined: pd.DataFrame, opd: pd.Series, period: Period, out_dir: Path) -> list[Path]:
    """Write one workbook per OPD that has quarantined rows; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in quarantined.groupby(opd.to_numpy(), sort=True):
        path = out_dir / feedback_file_name(str(name))
        _write_one(rows, str(name), period, path)
        written.append(path)
    return written


class FeedbackJob:
    """Feedback workbooks being written: a helper process takes the largest OPDs, the caller the rest.

    Writing xlsx is slow in Python, so for months with many quarantined rows the work is
    shared between two processes while stage 1 goes on with its other outputs. The helper
    is a plain subprocess (``python -m kmc_analysis.clean.feedback``) fed through a parquet file
    in the output folder: a multiprocessing pool would hold up a Jupyter kernel's shutdown
    by seconds. Small months are written by the caller alone when it calls :meth:`finish`.
    """

    def __init__(self, quarantined: pd.DataFrame, opd: pd.Series, period: Period, out_dir: Path):
        self._args = (period, out_dir)
        self._helper: subprocess.Popen | None = None
        self._handover = out_dir.parent / f".{out_dir.name}_{os.getpid()}.parquet"
        opd = opd.set_axis(quarantined.index)
        to_helper = pd.Series(False, index=quarantined.index)
        rows_per_opd = opd.value_counts().sort_values(ascending=False, kind="stable")
        if len(quarantined) >= BACKGROUND_FROM_ROWS and len(rows_per_opd) > 1:
            before = rows_per_opd.cumsum().shift(fill_value=0)
            to_helper = opd.isin(rows_per_opd.index[before < HELPER_SHARE * len(quarantined)])
            out_dir.mkdir(parents=True, exist_ok=True)
            quarantined[to_helper].assign(**{HANDOVER_OPD: opd[to_helper]}).to_parquet(self._handover)
            self._helper = subprocess.Popen(
                [sys.executable, "-m", "kmc_analysis.clean.feedback", str(self._handover), str(period), str(out_dir)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._mine = (quarantined[~to_helper], opd[~to_helper])

    def finish(self) -> list[Path]:
        """Write the caller's share, wait for the helper, and return every path written (sorted)."""
        written = write_feedback(*self._mine, *self._args)
        if self._helper is not None:
            out, err = self._helper.communicate()
            self._handover.unlink(missing_ok=True)
            if self._helper.returncode != 0:
                raise StageError(f"Writing the feedback workbooks failed in the helper process: "
                                 f"{err.strip().splitlines()[-1] if err.strip() else 'no message'}")
            written += [Path(line) for line in out.splitlines() if line]
        return sorted(written)


def _write_one(rows: pd.DataFrame, opd: str, period: Period, path: Path) -> None:
    """Write one OPD's workbook in openpyxl's streaming mode (months can hold thousands of rows)."""
    cells = [c for c in rows.columns if c not in ("sumber_file", "sumber_sheet", "sumber_baris", "alasan")
             and rows[c].ne("").any()]
    headers = ["File", "Sheet", "Baris", "Yang perlu diperbaiki", "Kode alasan"]
    headers += [COLUMN_SYNONYMS[c][0] if c in COLUMN_SYNONYMS else c for c in cells]

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Perbaikan")
    for column, width in enumerate([28, 14, 7, 60, 22] + [18] * len(cells), 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{TABLE_HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{TABLE_HEADER_ROW}:{get_column_letter(len(headers))}{TABLE_HEADER_ROW + len(rows)}"
    sheet.append([_styled(sheet, f"Umpan balik data Kartu Metro Ceria (KMC): {opd}", font=Font(bold=True, size=14))])
    sheet.append([f"Periode {period.in_words()}. {len(rows)} baris belum dapat diterima."])
    sheet.append(["Perbaiki setiap baris sesuai kolom 'Yang perlu diperbaiki', lalu kirim ulang file asli "
                  "yang sudah diperbaiki. Nomor baris menunjuk baris pada file yang Anda kirim."])
    sheet.append([])
    sheet.append([_styled(sheet, title, font=Font(bold=True), fill=HEADER_FILL) for title in headers])
    body = pd.concat([
        rows[["sumber_file", "sumber_sheet"]],
        rows["sumber_baris"].astype("int64"),
        explain_reasons(rows["alasan"]).rename("penjelasan"),
        rows[["alasan", *cells]],
    ], axis=1)
    for values in body.itertuples(index=False):
        safe = [formula_safe(value) for value in values]
        sheet.append([*safe[:3], _styled(sheet, safe[3], alignment=WRAP), *safe[4:]])

    summary = book.create_sheet("Ringkasan")
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 24, 90
    summary.append([_styled(summary, t, font=Font(bold=True), fill=HEADER_FILL)
                    for t in ("Alasan", "Penjelasan", "Jumlah baris")])
    counts = rows["alasan"].str.split(";").explode().value_counts()
    for code in REASON_TEXT:
        if counts.get(code):
            summary.append([code, REASON_TEXT[code], int(counts[code])])
    book.save(path)


def _styled(sheet, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


if __name__ == "__main__":
    # The helper process of FeedbackJob: HANDOVER.parquet PERIOD OUT_DIR; prints the paths written.
    handover, handover_period, handover_out = sys.argv[1:4]
    rows = pd.read_parquet(handover)
    for written_path in write_feedback(rows.drop(columns=HANDOVER_OPD), rows[HANDOVER_OPD],
                                       Period.parse(handover_period), Path(handover_out)):
        print(written_path)
