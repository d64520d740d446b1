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

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from kmc_analysis.clean.readers import UnreadableFile, workbook_grid
from kmc_analysis.core.errors import InputError
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
    round: int = 1   # the marker's ``putaran``: 1 + the latest round of this OPD applied when it was written


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
    result = CorrectionWorkbook(path, marker.get("opd", ""), period, round=_round_of(marker))
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


def check_not_a_feedback_table(tables) -> None:
    """Raise UnreadableFile for a sheet laid out as a feedback table in a file without the marker.

    Read as a submission, the rows of a feedback table (copied into a new workbook, or a
    workbook whose ``_kmc`` sheet was deleted) would be counted a second time as new rows.
    """
    for table in tables:
        if [str(h).strip().casefold() for h in table.header[:len(_FIXED)]] == list(_FIXED):
            raise UnreadableFile(
                f"sheet '{table.name}' berisi tabel dari berkas umpan balik KMC (kolom File, Sheet, Baris, Alasan), "
                f"tetapi berkas ini tidak membawa sheet tersembunyi '{MARKER_SHEET}' penanda umpan balik, sehingga "
                f"barisnya tidak dapat dibaca sebagai perbaikan dan akan terhitung dua kali. Minta OPD mengirim "
                f"kembali berkas umpan balik asli yang sudah diperbaiki (tanpa menyalin barisnya ke berkas baru dan "
                f"tanpa menghapus sheet-nya), lalu ganti berkas ini dengannya")


def correction_sheets(sheet_names: list[str]) -> list[str]:
    """The workbook's Perbaikan sheets: ``Perbaikan``, then the others whose name starts so, in workbook order.

    An OPD with more rows to fix than one Excel sheet holds gets ``Perbaikan 2``, ...; a clerk may
    also fix rows in a copy Excel names ``Perbaikan (2)``. A copy's unchanged rows change nothing.
    """
    return [CORRECTION_SHEET, *(name for name in sheet_names if name != CORRECTION_SHEET
                                and name.strip().casefold().startswith(CORRECTION_SHEET.casefold()))]


def _round_of(marker: dict[str, str]) -> int:
    """The marker's ``putaran`` (1 when absent: workbooks written before rounds); UnreadableFile if altered."""
    if "putaran" not in marker:
        return 1
    text = marker["putaran"].strip()
    number = pd.to_numeric(text, errors="coerce") if text else None
    if number is None or pd.isna(number) or not float(number).is_integer() or number < 1:
        raise UnreadableFile(f"sheet tersembunyi '{MARKER_SHEET}' berkas umpan balik ini menulis putaran "
                             f"'{text[:20]}', bukan angka 1 atau lebih (sheet itu tidak boleh diubah). Kirim ulang "
                             f"berkas umpan balik asli yang sudah diperbaiki")
    return int(number)


def _unescape(text: str) -> str:
    """Undo the apostrophe the feedback writer puts before text a spreadsheet would run as a formula."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_START else text


def apply_corrections(rows: pd.DataFrame, owners: pd.DataFrame, headers: dict[tuple[str, str], list],
                      workbooks: list[CorrectionWorkbook],
                      replaced: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Replace the cells of rows that a returned workbook changed; report what was done.

    ``rows`` is the long table from ingest; ``owners`` gives, for each row of it by provenance
    (sumber_file, sumber_sheet, sumber_baris), the OPD whose workbook may change it (``opd``;
    empty: any OPD, for rows whose OPD was not known) and whether the rows as submitted
    quarantine it (``quarantined``); ``headers`` each sheet's original header texts with the
    column they were read into; ``replaced`` the file names a ``_revisi`` file replaced, with
    the name of that file (rows pointing at them are unknown, and say why).

    A round-1 workbook changes quarantined rows only; a later round may also change an accepted
    one, as a correction can turn it into a ``duplikat`` that the next feedback sends back.
    Workbooks are applied by round, then name: a cell counts as changed when it differs from
    what the clerk was shown (the row after the earlier rounds), so a later round wins for a
    row both change, and an untouched row of a copy or of a later round undoes nothing. Two
    workbooks of one round changing a row otherwise: the later name wins. A later round putting
    back a cell's submitted text that an earlier round changed (a copy of the earlier round
    arrived after this workbook was written) does not undo that change. Both count the row in
    ``conflicting_rows``, the second also in ``kept_earlier_rows``. Raises InputError when a
    workbook's round follows one of its OPD that is no longer in the folder (its fixes would be
    lost unsaid).
    Returns the corrected table and the manifest's ``corrections``.
    """
    _check_rounds(workbooks)
    provenance = ["sumber_file", "sumber_sheet", "sumber_baris"]
    position = pd.Series(range(len(rows)), index=pd.MultiIndex.from_frame(
        rows[provenance].astype({"sumber_baris": "int64"})))
    by_row = pd.MultiIndex.from_frame(owners[provenance].astype({"sumber_baris": "int64"}))
    owner_of = pd.Series(owners["opd"].astype("str").fillna("").to_numpy(), index=by_row)
    first_quarantined = set(by_row[owners["quarantined"].to_numpy(dtype=bool)])
    corrected, shown, shown_round = rows.copy(), rows, None
    changed_in_round: dict[tuple, dict[str, str]] = {}
    report = []
    for book in sorted(workbooks, key=lambda b: (b.round, b.path)):
        if book.round != shown_round:  # what this round's workbooks showed: the rows after the earlier rounds
            shown, shown_round, changed_in_round = corrected.copy(), book.round, {}
        applied = unchanged = other_opd = conflicting = kept_earlier = 0
        unknown = []
        for (file, sheet, line), cells in zip(book.targets, book.cells):
            target = (file, sheet, line)
            if line is None or target not in position.index or (book.round == 1 and target not in first_quarantined):
                unknown.append({"file": file, "sheet": sheet, "row": line})
                if file in (replaced or {}):
                    unknown[-1]["replaced_by"] = replaced[file]
                continue
            owner = owner_of.get(target, "")
            if book.opd and owner and owner != book.opd:
                other_opd += 1  # a row sent to another OPD: only that OPD's workbook may change it
                continue
            at = int(position.loc[target])
            mapped = _map_cells(cells, headers.get((file, sheet), []))
            changed = {column: text for column, text in mapped.items()
                       if str(text).strip() != str(shown.at[at, column]).strip()}
            undoing = {column for column, text in changed.items()
                       if str(text).strip() == str(rows.at[at, column]).strip()}
            earlier = changed_in_round.get(target, {})  # what workbooks of this round before it changed
            clashing = bool(undoing) or any(column in earlier and earlier[column] != text
                                            for column, text in changed.items())
            conflicting += clashing
            kept_earlier += bool(undoing)
            changed = {column: text for column, text in changed.items() if column not in undoing}
            if not changed:
                unchanged += not clashing
                continue
            changed_in_round[target] = {**earlier, **changed}
            for column, text in changed.items():
                corrected.at[at, column] = text
            applied += 1
        entry = {"path": book.path, "opd": book.opd, "round": book.round, "applied": applied,
                 "unchanged": unchanged, "unknown_rows": len(unknown), "unknown": unknown}
        if other_opd:
            entry["other_opd_rows"] = other_opd
        if conflicting:
            entry["conflicting_rows"] = conflicting
        if kept_earlier:
            entry["kept_earlier_rows"] = kept_earlier  # of them, rows where an earlier round's fix was kept
        report.append(entry)
    return corrected, report


def _check_rounds(workbooks: list[CorrectionWorkbook]) -> None:
    """Raise InputError when an OPD's workbook of round N is here without one of its rounds 1 to N-1."""
    rounds: dict[str, set[int]] = {}
    for book in workbooks:
        rounds.setdefault(book.opd, set()).add(book.round)
    for book in sorted(workbooks, key=lambda b: b.path):
        missing = sorted(set(range(1, book.round)) - rounds[book.opd])
        if missing:
            named = (f"ke-{missing[0]} sampai ke-{missing[-1]}" if len(missing) > 3
                     else ", ".join(f"ke-{n}" for n in missing))
            raise InputError(
                f"Berkas perbaikan '{Path(book.path).name}' ({book.opd}) adalah putaran ke-{book.round}: dibuat "
                f"setelah perbaikan putaran {named} diterapkan, tetapi berkas perbaikan putaran itu dari OPD ini "
                f"tidak ada lagi di folder, sehingga perbaikannya akan hilang. Kembalikan berkas itu ke folder "
                f"dengan nama lain (mis. akhiran '_putaran{missing[0]}'), lalu jalankan ulang: simpan berkas "
                f"perbaikan setiap putaran dengan nama berbeda."
            )


def _map_cells(cells: list[tuple[str, str]], header: list[tuple[str, str]]) -> dict[str, str]:
    """Corrected cells by the long table's column names, matching header texts exactly, then ignoring case.

    A Perbaikan sheet has a column per header text of every sheet it gathers rows from, so
    ``KODE PROGRAM`` of one sheet and ``Kode Program`` of another stand side by side: a row's
    cell is under its own sheet's exact text, and the other column (empty) must not take it.
    """
    free = [(str(text).strip(), column) for text, column in header]
    mapped: dict[str, str] = {}
    left = []
    for text, value in cells:
        matched = _take(free, lambda original, key=text.strip(): original == key)
        if matched is None:
            left.append((text, value))
        else:
            mapped[matched] = value
    for text, value in left:
        matched = _take(free, lambda original, key=text.strip().casefold(): original.casefold() == key)
        if matched is not None:
            mapped[matched] = value
    return mapped


def _take(free: list[tuple[str | None, str]], matches) -> str | None:
    """The column of the first free header text that ``matches``, marked used (a repeated text takes the next)."""
    for i, (original, column) in enumerate(free):
        if original is not None and matches(original):
            free[i] = (None, column)
            return column
    return None
