"""Corrections an OPD sends back in its feedback workbook, applied to the rows they fix (CONTRACT 2.3).

A returned feedback workbook is recognised by a hidden sheet ``_kmc`` of key/value rows
(columns A/B): ``penanda`` = ``kmc-umpan-balik``, ``versi`` = ``1``, ``periode`` =
``YYYY-MM``, ``opd``. Its ``Perbaikan`` sheet (and ``Perbaikan 2``, ... when one sheet could not
hold every row to fix) has a header row (the first whose cell A reads
``File``) holding ``File``, ``Sheet``, ``Baris``, ``Alasan``, then the original columns under
their original header text; columns further right are free text. A row whose original
cells differ from the quarantined row's (after trimming) replaces that row's cells and is
judged again in its original place; the workbook itself adds no rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
from python_calamine import CalamineWorkbook

from kmc_analysis.clean.readers import UnreadableFile, workbook_grid
from kmc_analysis.core.formatting import FORMULA_START

MARKER_SHEET = "_kmc"
MARKER = "kmc-umpan-balik"
MARKER_VERSION = "1"
CORRECTION_SHEET = "Perbaikan"
_FIXED = ("file", "sheet", "baris", "alasan")


@dataclass
class CorrectionWorkbook:
    """The rows of one returned feedback workbook: where each points and its cells by header text."""

    path: str
    opd: str
    period: str
    targets: list[tuple[str, str, int | None]] = field(default_factory=list)   # (file, sheet, row)
    cells: list[list[tuple[str, str]]] = field(default_factory=list)           # (header text, cell text)


def marker_of(workbook: CalamineWorkbook) -> dict[str, str] | None:
    """The ``_kmc`` key/value pairs when the workbook carries the feedback marker, else None."""
    if MARKER_SHEET not in workbook.sheet_names:
        return None
    pairs = {}
    for row in workbook_grid(workbook, MARKER_SHEET):
        if len(row) >= 2 and str(row[0]).strip():
            pairs[str(row[0]).strip().lower()] = str(row[1]).strip()
    return pairs if pairs.get("penanda") == MARKER else None


def read_correction_workbook(workbook: CalamineWorkbook, marker: dict[str, str], path: str,
                             period: str) -> CorrectionWorkbook:
    """Read the ``Perbaikan`` rows of a returned feedback workbook for ``period``.

    Raises UnreadableFile (an Indonesian sentence) for a workbook of another period or
    version, or one whose ``Perbaikan`` sheet or header row is missing.
    """
    if marker.get("versi", "") not in (MARKER_VERSION, MARKER_VERSION + ".0"):
        raise UnreadableFile(f"berkas umpan balik versi '{marker.get('versi', '')}' tidak dikenali (yang dikenali: "
                             f"versi {MARKER_VERSION}). Kirim perbaikan memakai berkas umpan balik terbaru")
    if marker.get("periode", "") != period:
        raise UnreadableFile(f"berkas umpan balik ini untuk periode {marker.get('periode') or '(kosong)'}, bukan "
                             f"{period}. Pindahkan berkas ke folder opd/{marker.get('periode') or 'YYYY-MM'}/ "
                             f"periodenya, atau hapus dari folder ini")
    if CORRECTION_SHEET not in workbook.sheet_names:
        raise UnreadableFile(f"berkas umpan balik tidak memiliki sheet '{CORRECTION_SHEET}'. Kirim ulang berkas "
                             f"umpan balik tanpa menghapus atau mengganti nama sheet-nya")
    result = CorrectionWorkbook(path, marker.get("opd", ""), period)
    for name in correction_sheets(workbook.sheet_names):
        grid = workbook_grid(workbook, name)
        header_index = next((i for i, row in enumerate(grid) if row and str(row[0]).strip().lower() == "file"), None)
        if header_index is None:
            raise UnreadableFile(f"sheet '{name}' tidak memiliki baris judul yang diawali 'File'. Jangan "
                                 f"mengubah baris judul kolom File, Sheet, Baris, Alasan")
        header = [str(h).strip() for h in grid[header_index]]
        for row in grid[header_index + 1:]:
            row = [str(v) for v in row] + [""] * (len(header) - len(row))
            if not any(v.strip() for v in row):
                continue
            number = pd.to_numeric(row[2].strip(), errors="coerce")
            line = int(number) if pd.notna(number) and float(number).is_integer() else None
            result.targets.append((row[0].strip(), row[1].strip(), line))
            result.cells.append([(header[i], _unescape(row[i])) for i in range(len(_FIXED), len(header)) if header[i]])
    return result


def correction_sheets(sheet_names: list[str]) -> list[str]:
    """The workbook's Perbaikan sheets in order: ``Perbaikan``, then ``Perbaikan 2``, ``Perbaikan 3``, ...

    An OPD with more rows to fix than one Excel sheet holds gets continuation sheets.
    """
    numbered = {int(m.group(1)): name for name in sheet_names
                if (m := re.fullmatch(rf"{re.escape(CORRECTION_SHEET)} ([0-9]+)", name)) and int(m.group(1)) >= 2}
    return [CORRECTION_SHEET, *(numbered[n] for n in sorted(numbered))]


def _unescape(text: str) -> str:
    """Undo the apostrophe the feedback writer puts before text a spreadsheet would run as a formula."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_START else text


def apply_corrections(rows: pd.DataFrame, quarantined: pd.DataFrame, headers: dict[tuple[str, str], list],
                      workbooks: list[CorrectionWorkbook]) -> tuple[pd.DataFrame, list[dict]]:
    """Replace the cells of quarantined rows that a returned workbook changed; report what was done.

    ``rows`` is the long table from ingest, ``quarantined`` the first judgement's quarantine
    (provenance columns), ``headers`` each sheet's original header texts with the column
    they were read into. Workbooks are applied in name order, so a later one wins for a
    row both change. Returns the corrected table and the manifest's ``corrections``.
    """
    position = pd.Series(range(len(rows)), index=pd.MultiIndex.from_frame(
        rows[["sumber_file", "sumber_sheet", "sumber_baris"]].astype({"sumber_baris": "int64"})))
    wanted = set(zip(quarantined["sumber_file"], quarantined["sumber_sheet"],
                     quarantined["sumber_baris"].astype("int64")))
    rows = rows.copy()
    report = []
    for book in sorted(workbooks, key=lambda b: b.path):
        applied = unchanged = 0
        unknown = []
        for (file, sheet, line), cells in zip(book.targets, book.cells):
            if line is None or (file, sheet, line) not in wanted:
                unknown.append({"file": file, "sheet": sheet, "row": line})
                continue
            at = int(position.loc[(file, sheet, line)])
            mapped = _map_cells(cells, headers.get((file, sheet), []))
            changed = {column: text for column, text in mapped.items()
                       if str(text).strip() != str(rows.at[at, column]).strip()}
            if not changed:
                unchanged += 1
                continue
            for column, text in changed.items():
                rows.at[at, column] = text
            applied += 1
        report.append({"path": book.path, "opd": book.opd, "applied": applied, "unchanged": unchanged,
                       "unknown_rows": len(unknown), "unknown": unknown})
    return rows, report


def _map_cells(cells: list[tuple[str, str]], header: list[tuple[str, str]]) -> dict[str, str]:
    """Corrected cells by the long table's column names, matching header texts left to right."""
    free = [(str(text).strip().casefold(), column) for text, column in header]
    mapped: dict[str, str] = {}
    for text, value in cells:
        key = text.strip().casefold()
        for i, (original, column) in enumerate(free):
            if original == key:
                mapped[column] = value
                free[i] = ("\0", column)   # used: a second column of the same text takes the next one
                break
    return mapped
