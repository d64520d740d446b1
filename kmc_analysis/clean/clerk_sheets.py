"""Building blocks of the workbooks OPD clerks read: safe cell text, formats, row heights, A4 printing.

The input template and the feedback workbooks are written with XlsxWriter, which streams
large sheets about three times faster than openpyxl and writes comments, dropdowns, sheet
protection and print settings. Every text cell goes through :func:`cell_text` (or
:func:`safe_texts` for a whole column): characters XML cannot hold are dropped, text is
cut to Excel's cell limit, and text a spreadsheet would run as a formula gets a leading
apostrophe, so no value from an OPD file can crash a run or become a live formula.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from kmc_analysis.core.formatting import formula_safe, formula_safe_frame

#: The C0 controls XML 1.0 does not allow: openpyxl's ILLEGAL_CHARACTERS_RE, spelled out here so that
#: stage 1 need not import openpyxl (a test keeps the two equal).
_CONTROLS_NOT_IN_XML = r"[\000-\010]|[\013-\014]|[\016-\037]"
#: Characters an xlsx file cannot hold: those controls, lone surrogates and U+FFFE/U+FFFF.
NOT_IN_XML = re.compile(_CONTROLS_NOT_IN_XML + "|[\ud800-\udfff\ufffe\uffff]")
#: The same, for Arrow-backed text (which cannot hold surrogates and whose regex engine refuses them).
_NOT_IN_XML_ARROW = _CONTROLS_NOT_IN_XML + "|[\ufffe\uffff]"
#: Excel holds at most this many characters in a cell.
CELL_LIMIT = 32_767
CUT_MARK = " …(dipotong)"
#: Points per line of 11-point Calibri (Excel's default row is 15 points), and a little air.
LINE_POINTS = 15.0
ROW_PADDING = 3.0
#: Excel's largest row height.
MAX_ROW_POINTS = 409.0

#: The first sheet of the template and of a feedback workbook: what to do, in plain Indonesian.
INSTRUCTIONS_SHEET = "Petunjuk"
#: Who OPDs send their data and corrections to, unless the caller names someone else.
DEFAULT_RECIPIENT = "admin data KMC di Dinas Komunikasi dan Informatika (Diskominfo) Kota Metro"

FAULTY_FILL = "#FFC7CE"
FAULTY_FONT = "#9C0006"
HEADER_FILL = "#DDEBF7"
BORDER_COLOUR = "#BFBFBF"
A4 = 9
#: Most column width (characters) an A4 landscape page takes with text still legible (about 62 % scale, 7 pt).
LEGIBLE_PAGE_WIDTH = 240


def cell_text(value: object) -> str:
    """One value as text a clerk's workbook can hold: no XML-illegal characters, within the cell limit, formula-safe."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = NOT_IN_XML.sub("", str(value))
    if len(text) > CELL_LIMIT:
        text = text[:CELL_LIMIT - len(CUT_MARK)] + CUT_MARK
    return formula_safe(text)


#: Up to this many values :func:`safe_texts` goes value by value.
_FEW_VALUES = 200


def safe_texts(values: pd.Series) -> pd.Series:
    """:func:`cell_text` over a whole column at once (object dtype, empty text for missing)."""
    if len(values) <= _FEW_VALUES:  # a handful of rows: plain Python beats a column operation's fixed costs
        return pd.Series([cell_text(value) for value in values.astype("str").fillna("")], index=values.index,
                         dtype=object)
    text = values.astype("str").fillna("")
    dirty = text.str.contains(_NOT_IN_XML_ARROW, regex=True) | text.str.len().gt(CELL_LIMIT)
    if dirty.any():
        text = text.where(~dirty, text[dirty].map(cell_text))
    return formula_safe_frame(text.to_frame()).iloc[:, 0].astype(object)


class Formats:
    """The cell formats of one workbook, made once per combination (Excel caps their number)."""

    def __init__(self, book):
        self._book = book
        self._made: dict[tuple, object] = {}

    def get(self, *, text: bool = False, wrap: bool = False, faulty: bool = False, header: bool = False,
            bold: bool = False, size: int | None = None, border: bool = False, locked: bool = True,
            number: str | None = None):
        """The format with these properties; ``text`` makes the cell keep every digit (number format ``@``)."""
        key = (text, wrap, faulty, header, bold, size, border, locked, number)
        if key not in self._made:
            spec: dict = {"valign": "top"}
            if text:
                spec["num_format"] = "@"
            if number:
                spec["num_format"] = number
            if wrap or header:
                spec["text_wrap"] = True
            if faulty:
                spec.update(bg_color=FAULTY_FILL, font_color=FAULTY_FONT)
            if header:
                spec.update(bold=True, bg_color=HEADER_FILL)
            if bold:
                spec["bold"] = True
            if size:
                spec["font_size"] = size
            if border or header:
                spec.update(border=1, border_color=BORDER_COLOUR)
            if not locked:
                spec["locked"] = False
            self._made[key] = self._book.add_format(spec)
        return self._made[key]


def lines_needed(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide (a generous estimate)."""
    per_line = max(1, int(width * 1.1) - 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def row_points(texts: list[str], widths: list[float], minimum_lines: int = 1) -> float:
    """The row height (points) that shows every wrapped text in full: LibreOffice does not grow rows itself."""
    lines = max([minimum_lines] + [lines_needed(t, w) for t, w in zip(texts, widths) if t])
    return min(MAX_ROW_POINTS, lines * LINE_POINTS + ROW_PADDING)


def new_workbook(path: Path | str, title: str):
    """An XlsxWriter workbook that writes text as text, with fixed metadata so reruns give the same file."""
    import xlsxwriter  # here, not at the top: a big month's kernel leaves the workbooks to a helper process

    # in_memory: the parts are zipped from memory; writing and removing a temporary file per part cost
    # more than the writing itself (0.5 s for a month's dozen workbooks)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False, "in_memory": True})
    book.set_properties({"title": title, "created": dt.datetime(2000, 1, 1)})
    return book


def print_on_a4(sheet, *, landscape: bool, header_row: int | None = None, footer: str = "",
                table_width: float = 0, key_columns: int = 0) -> None:
    """A4 with the table's header row repeated on every page and page numbers in the footer.

    The sheet prints one page wide, unless its columns add up to more than
    :data:`LEGIBLE_PAGE_WIDTH` characters (``table_width``): then as many pages wide as
    keep the text legible, the first ``key_columns`` columns repeated on each.
    """
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    pages_wide = max(1, math.ceil(table_width / LEGIBLE_PAGE_WIDTH))
    sheet.fit_to_pages(pages_wide, 0)
    if pages_wide > 1 and key_columns:
        sheet.repeat_columns(0, key_columns - 1)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    if header_row is not None:
        sheet.repeat_rows(header_row)
    footer_text = footer.replace("&", "&&")[:150]
    sheet.set_footer(f"&L{footer_text}&RHalaman &P dari &N")


def write_lines(sheet, formats: Formats, row: int, lines: list[tuple[str, str]], width: float,
                column: int = 0) -> int:
    """Write instruction lines from ``row`` down, one per row, wrapped with a fitting height; return the next row.

    Each line is (kind, text): ``title``, ``heading``, ``step`` (a numbered step, the number
    written in the column to the left) or ``text``.
    """
    step = 0
    for kind, text in lines:
        if kind == "title":
            sheet.write_string(row, column, cell_text(text), formats.get(bold=True, size=14))
            sheet.set_row(row, 22)
        elif kind == "heading":
            row += 1
            sheet.write_string(row, column, cell_text(text), formats.get(bold=True, size=12))
            sheet.set_row(row, 18)
            step = 0
        else:
            if kind == "step":
                step += 1
                sheet.write_string(row, column - 1, f"{step}.", formats.get(wrap=True))
            sheet.write_string(row, column, cell_text(text), formats.get(wrap=True))
            sheet.set_row(row, row_points([text], [width]))
        row += 1
    return row
