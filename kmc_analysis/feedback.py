"""Per-OPD feedback workbooks (umpan balik): the rows each OPD must fix, in plain Indonesian."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kmc_analysis.ingest import COLUMN_SYNONYMS
from kmc_analysis.periods import period_in_words
from kmc_analysis.quality import REASON_TEXT

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TABLE_HEADER_ROW = 5


def feedback_file_name(opd: str) -> str:
    """A file name for an OPD's workbook that every operating system accepts."""
    return re.sub(r'[\\/:*?"<>|]+', "-", opd).strip(" .") + ".xlsx"


def explain_reasons(alasan: pd.Series) -> pd.Series:
    """Turn ``;``-joined reason codes into numbered plain-Indonesian sentences."""
    def explain(codes: str) -> str:
        parts = [REASON_TEXT[c] for c in codes.split(";") if c]
        return parts[0] if len(parts) == 1 else "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))
    return alasan.map(explain, na_action="ignore")


def write_feedback(quarantined: pd.DataFrame, opd: pd.Series, period: str, out_dir: Path) -> list[Path]:
    """Write one workbook per OPD that has quarantined rows; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in quarantined.groupby(opd.to_numpy(), sort=True):
        path = out_dir / feedback_file_name(str(name))
        _write_one(rows, str(name), period, path)
        written.append(path)
    return written


def _write_one(rows: pd.DataFrame, opd: str, period: str, path: Path) -> None:
    cells = [c for c in rows.columns if c not in ("sumber_file", "sumber_sheet", "sumber_baris", "alasan")
             and rows[c].ne("").any()]
    headers = ["File", "Sheet", "Baris", "Yang perlu diperbaiki", "Kode alasan"]
    headers += [COLUMN_SYNONYMS[c][0] if c in COLUMN_SYNONYMS else c for c in cells]

    book = Workbook()
    sheet = book.active
    sheet.title = "Perbaikan"
    sheet["A1"] = f"Umpan balik data Kartu Metro Ceria (KMC): {opd}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"Periode {period_in_words(period)}. {len(rows)} baris belum dapat diterima."
    sheet["A3"] = ("Perbaiki setiap baris sesuai kolom 'Yang perlu diperbaiki', lalu kirim ulang file asli "
                   "yang sudah diperbaiki. Nomor baris menunjuk baris pada file yang Anda kirim.")
    for column, title in enumerate(headers, 1):
        cell = sheet.cell(TABLE_HEADER_ROW, column, title)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    body = pd.concat([
        rows[["sumber_file", "sumber_sheet"]],
        rows["sumber_baris"].astype("int64"),
        explain_reasons(rows["alasan"]).rename("penjelasan"),
        rows[["alasan", *cells]],
    ], axis=1)
    wrap = Alignment(wrap_text=True, vertical="top")
    for offset, values in enumerate(body.itertuples(index=False), TABLE_HEADER_ROW + 1):
        for column, value in enumerate(values, 1):
            cell = sheet.cell(offset, column, int(value) if column == 3 else str(value))
            cell.alignment = wrap
    widths = [28, 14, 7, 60, 22] + [18] * len(cells)
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(TABLE_HEADER_ROW + 1, 1)
    sheet.auto_filter.ref = f"A{TABLE_HEADER_ROW}:{get_column_letter(len(headers))}{TABLE_HEADER_ROW + len(rows)}"

    summary = book.create_sheet("Ringkasan")
    summary.append(["Alasan", "Penjelasan", "Jumlah baris"])
    for cell in summary[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    counts = rows["alasan"].str.split(";").explode().value_counts()
    for code in REASON_TEXT:
        if counts.get(code):
            summary.append([code, REASON_TEXT[code], int(counts[code])])
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 24, 90
    book.save(path)
