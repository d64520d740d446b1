"""Read delimited text (CSV): find its separator, encoding and header row, then every cell below as text.

Comma, semicolon, tab or pipe separated; UTF-8 with or without BOM, UTF-16 with BOM, or
cp1252. pyarrow reads the rows below the header; pandas' reader takes over for rows shorter
than the header (it pads them). A problem raises
:class:`~kmc_analysis.clean.sheet_table.UnreadableFile` naming the line where it can.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv

from kmc_analysis.clean.headers import HEADER_SEARCH_ROWS, column_of, find_header
from kmc_analysis.clean.sheet_table import SheetTable, UnreadableFile

SEPARATORS = (",", ";", "\t", "|")
_ARROW_STRING = pd.StringDtype("pyarrow", na_value=float("nan"))


def strip_bom(data: bytes) -> bytes:
    """The bytes without a UTF-8 byte-order mark; UTF-16 with one as UTF-8 (for sniffing a file's start)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    return data


def decode_text(data: bytes) -> tuple[bytes, str]:
    """Bytes ready for the CSV readers and their encoding.

    UTF-16 (with BOM) is re-encoded as UTF-8 so one fast reader handles every file;
    otherwise UTF-8 is kept when the bytes are valid UTF-8, else they are read as cp1252.
    """
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16").encode("utf-8"), "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8"
    offsets = pyarrow.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:  # Arrow checks the UTF-8 without building a Python string of the whole file
        pyarrow.LargeStringArray.from_buffers(1, offsets, pyarrow.py_buffer(data)).validate(full=True)
    except pyarrow.ArrowInvalid:
        return data, "cp1252"
    return data, "utf-8"


@contextlib.contextmanager
def _any_field_size():
    """Let the csv module read a field of any length while the header lines are parsed."""
    previous = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def read_delimited(path: Path, data: bytes) -> SheetTable:
    """A CSV file: find the separator and header row in its first lines, then read the rest."""
    try:
        data, encoding = decode_text(data)
    except UnicodeDecodeError as problem:
        raise UnreadableFile("teks UTF-16 di berkas ini rusak. Simpan lagi dari Excel sebagai "
                             "\"CSV UTF-8\" atau .xlsx") from problem
    head = data[:1_000_000].decode("utf-8" if encoding == "utf-8" else encoding, errors="replace")
    head_lines = head.splitlines()[:HEADER_SEARCH_ROWS + 5]
    if len(head) == 1_000_000 and len(head_lines) <= HEADER_SEARCH_ROWS:
        head_lines = head_lines[:-1]  # the last line may be cut short
    with _any_field_size():
        parsed = {sep: list(csv.reader(head_lines, delimiter=sep))[:HEADER_SEARCH_ROWS] for sep in SEPARATORS}
    best: tuple[int, int, str] | None = None   # (hits, -row, sep)
    for sep, rows in parsed.items():
        index = find_header(rows)
        if index is None:
            continue
        hits = len({c for c in (column_of(cell) for cell in rows[index]) if c})
        if best is None or (hits, -index) > best[:2]:
            best = (hits, -index, sep)
    if best is None:
        return SheetTable(path.stem, None)
    sep, header_index = best[2], -best[1]
    header = parsed[sep][header_index]
    body = _read_below_header(data, sep, header_index + 1, len(header), encoding)
    body.columns = range(len(header))
    body.index = pd.RangeIndex(header_index + 2, header_index + 2 + len(body))
    # only a quoted cell can span lines, and only then are there more lines than rows: else nothing to search
    spans_lines = b'"' in data and _line_breaks(data) > header_index + 1 + len(body)
    swallowed = _row_swallowing_rows(body, sep) if spans_lines else None
    if swallowed is not None:
        raise UnreadableFile(
            f"tanda kutip (\") pada baris {swallowed} tidak berpasangan, sehingga baris-baris sesudahnya terbaca "
            f"sebagai isi satu sel dan akan hilang dari hitungan. Hapus tanda kutip yang berlebih (atau tutup "
            f"dengan pasangannya), atau simpan lagi dari Excel sebagai .xlsx, lalu jalankan lagi")
    return SheetTable(path.stem, header_index + 1, [str(h) for h in header], body)


def _line_breaks(data: bytes) -> int:
    """How many lines the text holds (LF, CRLF or CR-only line ends; a last line without one counts)."""
    breaks = data.count(b"\n") or data.count(b"\r")
    return breaks + (0 if data.endswith((b"\n", b"\r")) else 1)


def _row_swallowing_rows(body: pd.DataFrame, sep: str) -> int | None:
    """The row of the first cell that holds whole rows of the file after a line break, else None.

    Two stray quotes pair up across lines: the CSV readers then take everything between them,
    separators and line breaks included, as one cell, and the rows in between vanish without
    an error. A cell spanning lines is legitimate (an address), but not one with a line
    holding as many separators as a row of the file.
    """
    import pyarrow.compute as pc

    whole_row = max(body.shape[1] - 1, 2)
    for position in range(body.shape[1]):
        column = pyarrow.array(body.iloc[:, position], from_pandas=True)
        breaks = pc.or_(pc.match_substring(column, "\n"), pc.match_substring(column, "\r"))
        spans = np.flatnonzero(pc.fill_null(breaks, False).to_numpy(zero_copy_only=False))
        for at in spans:
            lines = re.split(r"\r\n?|\n", column[int(at)].as_py())
            if any(line.count(sep) >= whole_row for line in lines[1:]):
                return int(body.index[at])
    return None


def _read_below_header(data: bytes, sep: str, skip: int, width: int, encoding: str) -> pd.DataFrame:
    frame = _read_with_arrow(data, sep, skip, width, encoding)
    if frame is not None:
        return frame
    try:
        return pd.read_csv(
            io.BytesIO(data), sep=sep, header=None, names=range(width), skiprows=skip, dtype=str,
            keep_default_na=False, na_filter=False, skip_blank_lines=False, encoding=encoding,
            encoding_errors="replace", index_col=False, engine="c", quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as problem:
        line = _line_of(str(problem))
        where = f" di baris {line}" if line else ""
        raise UnreadableFile(f"isi berkas tidak dapat diurai sebagai CSV{where} (tanda kutip tidak berpasangan "
                             f"atau jumlah sel tidak sama dengan judul kolom). Perbaiki baris itu, atau simpan "
                             f"lagi dari Excel sebagai .xlsx") from problem


def _line_of(message: str) -> int | None:
    """The file line (from 1) a pandas CSV parser error points at, if it says.

    "Expected 7 fields in line 12" counts lines from 1; an unclosed quote, "EOF inside string
    starting at row 11", counts rows of the file from 0 (skipped header lines included).
    """
    found = re.search(r"\bline (\d+)", message)
    if found:
        return int(found.group(1))
    found = re.search(r"starting at row (\d+)", message)
    return int(found.group(1)) + 1 if found else None


def _read_with_arrow(data: bytes, sep: str, skip: int, width: int, encoding: str,
                     threads: bool = True, block_size: int = 1 << 22) -> pd.DataFrame | None:
    """Read the rows below the header with pyarrow, every cell as text; None if pandas must do it.

    Blank lines are kept as empty rows so that row numbers stay right. A row with more
    cells than the header is bad input (its cells cannot be placed); rows with fewer
    cells are left to pandas' reader, which pads them. A row longer than the block is
    read again with a block that holds it.
    """
    ragged: list = []
    names = [f"c{i}" for i in range(width)]
    try:
        table = pyarrow.csv.read_csv(
            io.BytesIO(data),
            read_options=pyarrow.csv.ReadOptions(skip_rows=skip, column_names=names, use_threads=threads,
                                                 block_size=block_size,
                                                 encoding="utf8" if encoding == "utf-8" else encoding),
            parse_options=pyarrow.csv.ParseOptions(
                delimiter=sep, ignore_empty_lines=False, newlines_in_values=True,
                invalid_row_handler=lambda row: ragged.append(row) or "skip"),
            convert_options=pyarrow.csv.ConvertOptions(
                column_types=dict.fromkeys(names, pyarrow.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except pyarrow.ArrowInvalid as problem:
        if "straddling" in str(problem) and block_size < len(data) + 1:
            return _read_with_arrow(data, sep, skip, width, encoding, threads, len(data) + 1)
        return None
    except UnicodeDecodeError:
        return None
    long_rows = [row for row in ragged if row.actual_columns > row.expected_columns]
    if long_rows and threads:  # row numbers are only known when read on one thread
        return _read_with_arrow(data, sep, skip, width, encoding, threads=False, block_size=block_size)
    if long_rows:
        first = long_rows[0]
        raise UnreadableFile(
            f"baris {first.number} berisi {first.actual_columns} sel, padahal baris judul kolom hanya "
            f"{first.expected_columns} ({len(long_rows)} baris seperti ini). Beri tanda kutip pada nilai yang "
            f"memuat pemisah '{_separator_name(sep)}' (mis. \"Rp 1,500,000\") atau hapus sel yang berlebih, "
            f"lalu jalankan lagi")
    if ragged:
        return None
    return table.to_pandas(types_mapper={pyarrow.string(): _ARROW_STRING}.get)


def _separator_name(sep: str) -> str:
    return {"\t": "tab", "|": "|"}.get(sep, sep)
