"""Read one OPD file, whatever its kind, into sheets of cell text below a recognised header row.

The kind is decided by the file's bytes, not its name: a zip or OLE2 container is a
workbook (``.xlsx``, ``.xlsm``, ``.ods``, BIFF ``.xls``: python-calamine reads them all), an
HTML document is a web page's table saved as ``.xls`` (OpenSID's printable download), and
anything else is delimited text (comma, semicolon, tab or pipe separated; UTF-8 with or
without BOM, UTF-16 with BOM, or cp1252). Every cell becomes the text a person sees, so
that identifiers keep their digits. A problem raises :class:`UnreadableFile` with an
Indonesian sentence that never quotes a cell; the caller adds the file's name.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import lxml.etree
import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv
from python_calamine import CalamineWorkbook

from kmc_analysis.clean.headers import HEADER_SEARCH_ROWS, column_of, find_header

#: Integers from 2**53 on cannot all be held exactly by a number cell (a float).
EXACT_INTEGER_LIMIT = 2**53
SEPARATORS = (",", ";", "\t", "|")
_ZIP, _OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|table|head|body|meta|\?xml|!--)", re.IGNORECASE)
_HTML_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)
_ARROW_STRING = pd.StringDtype("pyarrow", na_value=float("nan"))


class UnreadableFile(Exception):
    """A file (or its content) cannot be read; ``str()`` is an Indonesian sentence with the fix."""


@dataclass
class SheetTable:
    """One sheet (or CSV file, or HTML table): its header row and the cells below it.

    ``body`` holds every row below the header as text in positional columns ``0..n-1``,
    indexed by the row number a person sees in Excel; ``header_row`` is None when no row
    of the first 20 names three known columns (an instructions sheet, an empty sheet).
    """

    name: str
    header_row: int | None
    header: list[str] = field(default_factory=list)
    body: pd.DataFrame = field(default_factory=pd.DataFrame)


def read_tables(path: Path, data: bytes) -> tuple[list[SheetTable], str]:
    """Every sheet of a file and the kind it was read as (``workbook``, ``html`` or ``csv``)."""
    if not data or data.isspace():  # not data.strip(): that copies a file of hundreds of megabytes
        raise UnreadableFile("berkas kosong (tidak berisi data). Kirim ulang berkas yang berisi daftar penerima, "
                             "atau hapus berkas ini dari folder")
    if data.startswith(_ZIP) or data.startswith(_OLE2):
        return read_workbook(data), "workbook"
    text_head = _strip_bom(data[:4096])
    lowered = text_head.lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered and b"<workbook" in lowered \
            and b"<html" not in lowered:
        raise UnreadableFile("berkas ini berformat 'XML Spreadsheet 2003' (ekspor aplikasi web), bukan buku kerja "
                             "Excel. Buka di Excel atau LibreOffice, simpan ulang sebagai .xlsx (Excel Workbook), "
                             "lalu kirim ulang")
    if _HTML_START.match(text_head):
        return read_html(path, data), "html"
    return [read_delimited(path, data)], "csv"


# --- Workbooks ---------------------------------------------------------------------------

def open_workbook(data: bytes) -> CalamineWorkbook:
    """Open workbook bytes with calamine, or raise UnreadableFile saying what to do."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as problem:  # calamine raises several types for damaged or encrypted files
        if data.startswith(_OLE2) and b"E\x00n\x00c\x00r\x00y\x00p\x00t" in data[:65536]:
            raise UnreadableFile("berkas dilindungi kata sandi. Buka kunci (hapus kata sandi) di Excel, "
                                 "simpan lagi, lalu kirim ulang") from problem
        raise UnreadableFile(f"berkas tidak dapat dibuka sebagai buku kerja Excel/ODS "
                             f"({type(problem).__name__}). Buka berkas di Excel atau LibreOffice lalu simpan lagi "
                             f"sebagai .xlsx, atau minta salinan baru dari OPD") from problem


def workbook_grid(workbook: CalamineWorkbook, name: str, sheet=None) -> list[list[str]]:
    """One sheet of an open workbook as rows of cell text, row 1 first (``sheet``: that sheet, already read)."""
    rows = (sheet or workbook.get_sheet_by_name(name)).to_python(skip_empty_area=False)
    return [[v if type(v) is str else cell_text(v) for v in row] for row in rows]  # most cells are text


#: Columns whose cells merged down over a group of rows name every row of the group. An amount
#: merged over rows may be the group's total, and a NIK or name belongs to one person: those
#: stay in their first row, and the rows below are judged as they are (empty).
FILLED_DOWN = frozenset({"kelurahan", "kecamatan", "kode_kelurahan", "kode_bantuan", "nama_bantuan"})


def merged_down(sheet) -> list[tuple[int, int, int]]:
    """A calamine sheet's cells merged down one column, as (first row, column, last row), 0-based.

    Government lists often merge the Kelurahan and Kecamatan cells over each group of rows:
    Excel shows the value beside every row of the group, while the file holds it only in
    the first. Merges across columns (titles, group headers) are not returned.
    """
    ranges = sheet.merged_cell_ranges or []
    return [(top, left, bottom) for (top, left), (bottom, right) in ranges if left == right and bottom > top]


def sheet_table(workbook: CalamineWorkbook, name: str) -> SheetTable:
    """One sheet of an open workbook with its header row found and its merged data cells filled down."""
    sheet = workbook.get_sheet_by_name(name)  # read once: calamine parses the sheet on every call
    return table_from_grid(name, workbook_grid(workbook, name, sheet), merged_down(sheet))


def read_workbook(data: bytes) -> list[SheetTable]:
    """Every sheet of a workbook, each with its header row found."""
    workbook = open_workbook(data)
    return [sheet_table(workbook, name) for name in workbook.sheet_names]


def cell_text(value: object) -> str:
    """Render one spreadsheet cell as the text a person sees, keeping every digit of exact integers.

    A number cell holding an integer of 2**53 or more cannot be exact (a 16-digit NIK
    typed as a number has lost digits), so it is written in scientific notation, as
    Excel shows it; the NIK rule then reads it as ``nik_format``.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value) if abs(value) < EXACT_INTEGER_LIMIT else f"{float(value):.15G}"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)) if abs(value) < EXACT_INTEGER_LIMIT else f"{value:.15G}"
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value)


def table_from_grid(name: str, grid: list[list[str]], merged: list[tuple[int, int, int]] = ()) -> SheetTable:
    """Find the header row of a grid of cell text and keep the rows below it.

    ``merged``: cells merged down one column (:func:`merged_down`); below the header, in
    the place and program columns (:data:`FILLED_DOWN`), each takes the first cell's text,
    as Excel shows it.
    """
    header_index = find_header(grid)
    if header_index is None:
        return SheetTable(name, None)
    header = [str(h) for h in grid[header_index]]
    if header_index + 1 < len(grid):
        two_rows = _two_row_header(header, [str(c) for c in grid[header_index + 1]])
        if two_rows is not None:
            header, header_index = two_rows, header_index + 1
    for top, column, bottom in merged:
        if column >= len(header) or column_of(header[column]) not in FILLED_DOWN:
            continue
        if top > header_index and bottom < len(grid) and column < len(grid[top]):
            for row in range(top + 1, bottom + 1):
                if column < len(grid[row]) and not str(grid[row][column]).strip():
                    grid[row][column] = grid[top][column]
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    body_rows = [row[:width] + [""] * (width - len(row)) for row in grid[header_index + 1:]]
    body = pd.DataFrame(body_rows, columns=range(width), dtype="str") if body_rows else \
        pd.DataFrame({i: pd.Series(dtype="str") for i in range(width)})
    body.index = pd.RangeIndex(header_index + 2, header_index + 2 + len(body))
    return SheetTable(name, header_index + 1, header, body)


def _two_row_header(upper: list[str], lower: list[str]) -> list[str] | None:
    """The header of a two-row header with merged group cells, or None when ``lower`` is data.

    ``lower`` continues the header when at least two of its cells name known columns,
    its cell under the NIK column is empty (a merged cell above it) and together the rows
    name more known columns than the upper row alone. Each column then takes the lower
    row's text, or the upper row's where the lower cell is empty (``Alamat`` over
    ``Jalan | RT | RW``, ``Bantuan`` over ``Kode Bantuan | Nominal``).
    """
    named_below = [column_of(cell) for cell in lower]
    if sum(1 for c in named_below if c) < 2:
        return None
    upper_columns = [column_of(cell) for cell in upper]
    if "nik" in upper_columns:
        at = upper_columns.index("nik")
        if at < len(lower) and lower[at].strip():
            return None
    width = max(len(upper), len(lower))
    merged = [(lower[i] if i < len(lower) and lower[i].strip() else (upper[i] if i < len(upper) else ""))
              for i in range(width)]
    before = {c for c in upper_columns if c}
    after = {c for c in (column_of(cell) for cell in merged) if c}
    return merged if len(after) > len(before) else None


# --- HTML tables saved as .xls ---------------------------------------------------------------

def read_html(path: Path, data: bytes) -> list[SheetTable]:
    """Each innermost ``<table>`` of a web page as a sheet named after the file.

    Merged cells keep their text in the top-left cell, as in Excel. Consecutive rows made
    only of ``<th>`` cells form one header: each column takes the lowest text given for it
    (OpenSID prints two header rows with a group label above NIK, Nama, ...). Rows are
    numbered in table order, the first ``<tr>`` being row 1.
    """
    parser = lxml.etree.HTMLParser(encoding=_html_encoding(data), huge_tree=True, no_network=True,
                                   remove_comments=True, remove_pis=True)
    root = lxml.etree.fromstring(data, parser=parser)
    if root is None:
        raise UnreadableFile("halaman web ini kosong. Simpan daftar penerima sebagai .xlsx lalu kirim ulang")
    tables = [t for t in root.iter("table") if not t.xpath(".//table")]
    if not tables:
        raise UnreadableFile("halaman web ini tidak berisi tabel. Simpan daftar penerima sebagai .xlsx "
                             "(atau unduh lagi dalam format Excel) lalu kirim ulang")
    out = []
    for number, table in enumerate(tables, start=1):
        name = path.stem if len(tables) == 1 else f"{path.stem} ({number})"
        out.append(table_from_grid(name, _html_grid(table)))
    return out


def _html_encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return "utf-16"
    declared = _HTML_CHARSET.search(data[:4096])
    if declared:
        label = declared.group(1).decode("ascii")
        try:
            codecs.lookup(label)
            return label
        except LookupError:
            pass
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "windows-1252"


def _html_grid(table) -> list[list[str]]:
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    grid: list[list[str]] = []
    header_only: list[bool] = []
    occupied: dict[int, set[int]] = {}     # row -> columns taken by cells spanning from above or left
    for r, tr in enumerate(rows):
        line: dict[int, str] = {}
        taken = occupied.pop(r, set())
        col = 0
        cells = [child for child in tr if child.tag in ("td", "th")]
        for cell in cells:
            while col in taken:
                col += 1
            colspan, rowspan = cell.get("colspan"), cell.get("rowspan")
            span_cols = _span(colspan) if colspan else 1
            span_rows = _span(rowspan) if rowspan else 1
            line[col] = " ".join("".join(cell.itertext()).split())
            if span_cols > 1 or span_rows > 1:
                for dr in range(span_rows):
                    spanned = taken if dr == 0 else occupied.setdefault(r + dr, set())
                    spanned.update(range(col, col + span_cols))
            col += span_cols
        width = max([c + 1 for c in line] + [c + 1 for c in taken] + [0])
        grid.append([line.get(c, "") for c in range(width)])
        header_only.append(bool(cells) and all(c.tag == "th" for c in cells))
    _collapse_header_runs(grid, header_only)
    return grid


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _collapse_header_runs(grid: list[list[str]], header_only: list[bool]) -> None:
    start = 0
    while start < len(grid):
        if not header_only[start]:
            start += 1
            continue
        end = start
        while end + 1 < len(grid) and header_only[end + 1]:
            end += 1
        if end > start:
            width = max(len(grid[r]) for r in range(start, end + 1))
            merged = [""] * width
            for r in range(start, end + 1):
                for c, text in enumerate(grid[r]):
                    if text:
                        merged[c] = text
                grid[r] = []
            grid[end] = merged
        start = end + 1


# --- Delimited text ------------------------------------------------------------------------

def _strip_bom(data: bytes) -> bytes:
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
    return SheetTable(path.stem, header_index + 1, [str(h) for h in header], body)


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
