"""Read one OPD file, whatever its kind, into sheets of cell text below a recognised header row.

The kind is decided by the file's bytes, not its name: a zip or OLE2 container is a
workbook (``.xlsx``, ``.xlsm``, ``.ods``, BIFF ``.xls``: python-calamine reads them all), an
HTML document is a web page's table saved as ``.xls`` (OpenSID's printable download), and
anything else is delimited text (:mod:`~kmc_analysis.clean.delimited`: comma, semicolon, tab
or pipe separated; UTF-8 with or without BOM, UTF-16 with BOM, or cp1252). Every cell
becomes the text a person sees, so that identifiers keep their digits. A problem raises
:class:`UnreadableFile` with an Indonesian sentence that never quotes a cell; the caller
adds the file's name.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from pathlib import Path

import lxml.etree
import pandas as pd
from python_calamine import CalamineWorkbook

from kmc_analysis.clean.delimited import read_delimited, strip_bom
from kmc_analysis.clean.headers import column_of, find_header
from kmc_analysis.clean.normalize import NOMINAL_LIMIT
from kmc_analysis.clean.sheet_table import SheetTable, UnreadableFile

#: Integers from 2**53 on cannot all be held exactly by a number cell (a float).
EXACT_INTEGER_LIMIT = 2**53
_ZIP, _OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|table|head|body|meta|\?xml|!--)", re.IGNORECASE)
_HTML_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)


def read_tables(path: Path, data: bytes) -> tuple[list[SheetTable], str]:
    """Every sheet of a file and the kind it was read as (``workbook``, ``html`` or ``csv``)."""
    if not data or data.isspace():  # not data.strip(): that copies a file of hundreds of megabytes
        raise UnreadableFile("berkas kosong (tidak berisi data). Kirim ulang berkas yang berisi daftar penerima, "
                             "atau hapus berkas ini dari folder")
    if data.startswith(_ZIP) or data.startswith(_OLE2):
        return read_workbook(data), "workbook"
    text_head = strip_bom(data[:4096])
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
    Excel shows it; the NIK rule then reads it as ``nik_format``. A number cell with a
    fraction is no NIK either: from Rp 1 miliar on it keeps a decimal comma, which the NIK
    rule does not remove.
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
        if abs(value) >= NOMINAL_LIMIT:
            # No amount (Rp 1 miliar and more is refused), and with the dot a NIK loses its digits could
            # pass as a NIK (187201410785000.1): the decimal comma, as Excel in Indonesian shows it.
            return repr(value).replace(".", ",")
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


__all__ = ["SheetTable", "UnreadableFile", "cell_text", "open_workbook", "read_tables", "read_workbook", "sheet_table",
           "table_from_grid", "workbook_grid"]
