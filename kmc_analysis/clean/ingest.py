"""Read a month of OPD submissions into one long table of cell text, keeping where every row came from.

The folder is sorted out by :mod:`~kmc_analysis.clean.folder` (what is read, ignored or
replaced by a revision), each file is read by :mod:`~kmc_analysis.clean.readers`, its
header row recognised by :mod:`~kmc_analysis.clean.headers`, and rows that are not data
(totals, column numbers, notes) set aside by :mod:`~kmc_analysis.clean.layout`. Returned
feedback workbooks are kept apart as corrections. Nothing is judged here: every other
non-empty row below a header is a data row and goes to ``rules``, however odd it looks.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.clean.corrections import (
    CorrectionWorkbook, check_not_a_feedback_table, marker_of, read_correction_workbook,
)
from kmc_analysis.clean.folder import SUBMISSION_SUFFIXES, list_folder
from kmc_analysis.clean.headers import (  # noqa: F401  (re-exported: the names other modules use)
    COLUMN_SYNONYMS,
    HEADER_LOOKUP,
    HEADER_SEARCH_ROWS,
    KNOWN_COLUMNS,
    MIN_HEADER_MATCHES,
    column_names,
    describe_missing,
    header_key,
    missing_required,
)
from kmc_analysis.clean.layout import non_data_rows
from kmc_analysis.clean.readers import (
    SheetTable,
    UnreadableFile,
    open_workbook,
    read_tables,
    sheet_table,
)
from kmc_analysis.core.errors import InputError, stopped_by_task_limit

PROVENANCE = ["sumber_file", "sumber_sheet", "sumber_baris"]
_SKIP_HINT = "atau jalankan dengan --skip-unreadable untuk melanjutkan tanpa berkas ini."
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


@dataclass
class IngestResult:
    """The long table of data rows plus what the manifest says about every input.

    ``headers`` gives, per (file name, sheet), each header cell's original text with the
    column of ``rows`` it was read into (feedback workbooks and corrections use it).
    """

    rows: pd.DataFrame
    inputs: list[dict] = field(default_factory=list)
    skipped_sheets: list[dict] = field(default_factory=list)
    rejected_files: list[dict] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    skipped_rows: list[dict] = field(default_factory=list)
    superseded_files: list[dict] = field(default_factory=list)
    corrections: list[CorrectionWorkbook] = field(default_factory=list)
    headers: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def header_texts(self) -> dict[tuple[str, str], dict[str, str]]:
        """Per (file name, sheet): column of ``rows`` -> its header text as the file wrote it."""
        return {sheet: {name: text for text, name in pairs} for sheet, pairs in self.headers.items()}


def read_submissions(opd_dir: Path, raw_dir: Path, skip_unreadable: bool = False,
                     period: str | None = None) -> IngestResult:
    """Read every submission of a month into one table of text cells with provenance.

    Raises InputError for a file that cannot be read, a file with no data sheet, a sheet
    whose header lacks a required column, or a correction workbook of another period
    than ``period`` (default: the folder's name), unless ``skip_unreadable``: then the
    file or sheet is recorded in ``rejected_files`` and the rest is read.
    """
    if not opd_dir.is_dir():
        raise InputError(
            f"Folder OPD untuk periode ini tidak ada: {opd_dir}. Letakkan berkas OPD bulan itu di folder "
            f"tersebut, atau pilih periode yang memiliki data."
        )
    period = period or opd_dir.name
    listing = list_folder(opd_dir)
    result = IngestResult(rows=pd.DataFrame(), ignored_files=listing.ignored)
    result.superseded_files = [{"path": _relative(old, raw_dir), "replaced_by": _relative(new, raw_dir)}
                               for old, new in listing.superseded]
    for path in listing.unreadable:
        _reject(result, _relative(path, raw_dir), "",
                f"Berkas '{path.name}' tidak dapat dibuka: tautannya rusak atau menunjuk ke dirinya sendiri. "
                f"Ganti dengan berkas aslinya, {_SKIP_HINT}", skip_unreadable)
    frames = []
    # hashlib lets go of the GIL on a large input: a file's checksum is computed while it is parsed
    with ThreadPoolExecutor(max_workers=1) as hashing:
        for path in listing.submissions:
            relative = _relative(path, raw_dir)
            entry = {"path": relative, "sha256": "", "rows_read": 0}
            checksum = None
            try:
                data = _read_bytes(path)
                checksum = _checksum_beside(hashing, data)
                tables = _read_file(path, relative, data, period, result)
                entry["sha256"] = checksum.result()
                if tables is None:
                    entry["corrections"] = True
                    result.inputs.append(entry)
                    continue
                file_frames = _tables_of_file(path, relative, tables, result, skip_unreadable)
            except InputError as problem:
                _reject(result, relative, "", str(problem), skip_unreadable)
                if checksum is not None:  # read but not usable: its bytes are an input; unreadable: only rejected_files
                    entry["sha256"] = checksum.result()
                    entry["rejected"] = True
                    result.inputs.append(entry)
                continue
            entry["rows_read"] = int(sum(len(t) for t in file_frames))
            result.inputs.append(entry)
            frames.extend(file_frames)
    result.rows = _concat(frames)
    return result


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checksum_beside(hashing: ThreadPoolExecutor, data: bytes) -> Future:
    """The SHA-256 of ``data`` being computed on ``hashing``'s thread; computed here if no thread can start."""
    try:
        return hashing.submit(_sha256, data)
    except RuntimeError:  # no thread left to this user: the checksum is the same computed here
        done: Future = Future()
        done.set_result(_sha256(data))
        return done


def _relative(path: Path, raw_dir: Path) -> str:
    return path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError as problem:
        raise InputError(f"Berkas '{path.name}' tidak dapat dibaca: izin ditolak. Ubah izin berkas agar dapat "
                         f"dibaca oleh pengguna yang menjalankan kmc, {_SKIP_HINT}") from problem
    except OSError as problem:
        raise InputError(f"Berkas '{path.name}' tidak dapat dibaca ({type(problem).__name__}). Salin ulang "
                         f"berkas itu ke folder ini, {_SKIP_HINT}") from problem
    except MemoryError as problem:
        raise InputError(f"Berkas '{path.name}' terlalu besar untuk dibaca di komputer ini. Bagi isinya menjadi "
                         f"beberapa berkas yang lebih kecil, {_SKIP_HINT}") from problem


def _reject(result: IngestResult, relative: str, sheet: str, reason: str, skip_unreadable: bool) -> None:
    if not skip_unreadable:
        raise InputError(reason)
    # the run already goes on without it: the manifest need not advise --skip-unreadable
    reason = reason.replace(f"; {_SKIP_HINT}", ".").replace(f", {_SKIP_HINT}", ".")
    result.rejected_files.append({"path": relative, "sheet": sheet, "reason": reason})


def _read_file(path: Path, relative: str, data: bytes, period: str,
               result: IngestResult) -> list[SheetTable] | None:
    """The sheets of one file; None for a correction workbook (kept in ``result.corrections``).

    Any failure of the readers or the libraries under them is this file's bad input.
    """
    try:
        if data.startswith(_WORKBOOK_MAGIC) and not data.isspace():
            workbook = open_workbook(data)
            marker = marker_of(workbook)
            if marker is not None:
                result.corrections.append(read_correction_workbook(workbook, marker, relative, period))
                return None
            tables = [sheet_table(workbook, name) for name in workbook.sheet_names]
        else:
            tables = read_tables(path, data)[0]
        check_not_a_feedback_table(tables)
        return tables
    except UnreadableFile as problem:
        raise InputError(f"Berkas '{path.name}': {problem}; {_SKIP_HINT}") from problem
    except MemoryError as problem:
        raise InputError(f"Berkas '{path.name}' terlalu besar untuk dibaca di komputer ini. Bagi isinya menjadi "
                         f"beberapa berkas yang lebih kecil, {_SKIP_HINT}") from problem
    except Exception as problem:  # one error path: whatever a reading library raises is this file's problem
        if stopped_by_task_limit(problem):  # pyarrow could not start its threads: the machine's limit, not the file
            raise
        raise InputError(
            f"Berkas '{path.name}' tidak dapat dibaca ({type(problem).__name__}). Buka berkas di Excel atau "
            f"LibreOffice lalu simpan lagi sebagai .xlsx, atau minta salinan baru dari OPD; {_SKIP_HINT}"
        ) from problem


def _tables_of_file(path: Path, relative: str, tables: list[SheetTable], result: IngestResult,
                    skip_unreadable: bool) -> list[pd.DataFrame]:
    frames, found_header = [], False
    for order, table in enumerate(tables):
        if table.header_row is None:
            result.skipped_sheets.append({"path": relative, "sheet": table.name,
                                          "reason": "tidak ada baris judul kolom yang dikenali"})
            continue
        found_header = True
        names = column_names(table.header)
        missing = missing_required(names)
        if missing:
            where = f"sheet '{table.name}'" if not path.suffix.lower() == ".csv" else "baris judul"
            _reject(result, relative, table.name,
                    f"Berkas '{path.name}', {where} (baris {table.header_row}): tidak ada kolom wajib "
                    f"{describe_missing(missing)}. Tambahkan kolom itu atau perbaiki judul kolomnya, "
                    f"lalu jalankan lagi; {_SKIP_HINT}", skip_unreadable)
            continue
        result.headers[(path.name, table.name)] = list(zip(table.header, names))
        frames.append(_data_rows(path, relative, table, names, order, result))
    if not found_header:
        raise InputError(
            f"Berkas '{path.name}': tidak ada sheet yang memuat daftar penerima, yaitu baris judul kolom dengan "
            f"sedikitnya {MIN_HEADER_MATCHES} kolom yang dikenali (seperti NIK, Nama, Kelurahan, Kode Bantuan, "
            f"Nominal) di {HEADER_SEARCH_ROWS} baris pertama. Periksa bahwa berkas ini daftar penerima dan judul "
            f"kolomnya terisi; {_SKIP_HINT}"
        )
    return frames


def _data_rows(path: Path, relative: str, table: SheetTable, names: list[str], order: int,
               result: IngestResult) -> pd.DataFrame:
    """The data rows of one sheet with provenance; rows that are not data go to ``skipped_rows``."""
    frame = table.body.set_axis(names, axis=1).astype("str").fillna("")
    if len(frame.columns):
        filled = _non_empty_rows(frame)
        if not filled.all():  # indexing with a mask copies every column even when it keeps every row
            frame = frame[filled]
    skipped = non_data_rows(frame)
    if len(skipped):
        result.skipped_rows.extend({"path": relative, "sheet": table.name, "row": int(row), "kind": str(k)}
                                   for row, k in skipped.items())
        frame = frame.drop(index=skipped.index)
    frame.insert(0, "sumber_baris", frame.index.to_numpy(dtype="int64"))
    frame.insert(0, "urutan_sheet", order)
    frame.insert(0, "sumber_sheet", table.name)
    frame.insert(0, "sumber_file", path.name)
    return frame.reset_index(drop=True)


#: From this few rows still blank, the rest of their cells are checked in one pass (not column by column).
_FEW_BLANK_ROWS = 5_000


def _non_empty_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with at least one cell that is not blank, looking further right only for rows still blank."""
    non_empty = np.zeros(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        blank = np.flatnonzero(~non_empty)
        if not len(blank):
            break
        if len(blank) <= _FEW_BLANK_ROWS:
            cells = frame.iloc[blank, position:].to_numpy(dtype=object)
            filled = pd.Series(cells.ravel(), dtype="str").str.strip().ne("").to_numpy(dtype=bool)
            non_empty[blank] = filled.reshape(cells.shape).any(axis=1)
            break
        column = frame.iloc[:, position]
        column = column if len(blank) == len(frame) else column.iloc[blank]
        non_empty[blank] = column.str.strip().ne("").to_numpy(dtype=bool)
    return non_empty


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack sheet tables into one; a column a sheet lacks is empty text there."""
    base = ["sumber_file", "sumber_sheet", "urutan_sheet", "sumber_baris", *KNOWN_COLUMNS]
    extra = list(dict.fromkeys(c for frame in frames for c in frame.columns if c not in base))
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in base})
        return empty.astype({"urutan_sheet": "int64", "sumber_baris": "int64"})
    return pd.concat([_with_columns(frame, base + extra) for frame in frames], ignore_index=True)


def _with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``, in that order, a column it lacks being empty text.

    The empty columns are made straight from Arrow buffers: ``reindex`` with a fill value
    fills a million-row text column element by element (0.35 s for the usual nine).
    """
    import pyarrow as pa

    if all(column in frame for column in columns):
        return frame[columns]
    empty = pd.array(pa.LargeStringArray.from_buffers(len(frame), pa.py_buffer(np.zeros(len(frame) + 1, np.int64)),
                                                      pa.py_buffer(b"")), dtype="str")
    return pd.DataFrame({column: frame[column] if column in frame else pd.Series(empty, index=frame.index)
                         for column in columns}, index=frame.index)


__all__ = ["IngestResult", "PROVENANCE", "SUBMISSION_SUFFIXES", "read_submissions", "COLUMN_SYNONYMS",
           "HEADER_LOOKUP", "KNOWN_COLUMNS", "header_key"]
