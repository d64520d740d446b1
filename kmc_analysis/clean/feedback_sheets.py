"""The sheets of one OPD's feedback workbook: Petunjuk, Perbaikan, Perlu Dicek and the hidden marker.

The layout stage 1 reads corrections back from is fixed (CONTRACT 2.3, agreed with the
reader): a hidden sheet :data:`MARKER_SHEET` with key/value rows in columns A/B, and the
:data:`CORRECTIONS_SHEET` sheet whose header row is the first row whose cell A reads
``File``: ``File``, ``Sheet``, ``Baris``, ``Alasan``, the original columns under their
original header text, then free columns.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd

from kmc_analysis.clean.clerk_sheets import (
    Formats, cell_text, lines_needed, print_on_a4, row_points, write_lines,
)
from kmc_analysis.clean.feedback_table import TEXT_COLUMNS, CellTable
from kmc_analysis.clean.lists_sheet import LISTS_SHEET, ListRanges, add_dropdowns
from kmc_analysis.clean.reasons import REASON_LABEL, REASONS, count_reasons
from kmc_analysis.core.formatting import date_in_words, format_number
from kmc_analysis.core.periods import Period

CORRECTIONS_SHEET = "Perbaikan"
TO_CHECK_SHEET = "Perlu Dicek"
MARKER_SHEET = "_kmc"
#: The marker's key/value rows: a returned workbook is recognised by ``penanda``.
MARKER = {"penanda": "kmc-umpan-balik", "versi": "1"}
#: The first columns of the corrections table, then the original columns, then these free columns.
FIXED_HEADERS = ("File", "Sheet", "Baris", "Alasan")
CODES_HEADER = "Kode alasan"
NOTE_HEADER = "Catatan dari OPD"
#: Zero-based row of the corrections table's header (Excel row 4), below the title rows.
TABLE_HEADER_ROW = 3
#: Faulty cells carry a comment in the first this many rows of the Perbaikan sheet; below, they are
#: coloured and the Alasan column explains the row. Tens of thousands of comments make Excel crawl
#: (and took half the time of writing a large month's workbooks).
COMMENTED_ROWS = 1_000
#: Rows below the header of one Perbaikan sheet (Excel holds 1,048,576 rows a sheet). An OPD with more
#: rows to fix gets ``Perbaikan 2``, ``Perbaikan 3``, ... (the writer would otherwise drop them unsaid).
CORRECTIONS_SHEET_ROWS = 1_048_576 - TABLE_HEADER_ROW - 1
_FIXED_WIDTHS = (18, 11, 6, 38)
_COMMENT_WIDTH = 45


@dataclass
class OpdFeedback:
    """What one OPD's workbook holds: its rows to fix, rows to check, unreadable files, and when to reply."""

    opd: str
    period: Period
    corrections: CellTable
    reasons: pd.Series        # the Alasan column, plain Indonesian
    codes: pd.Series          # the reason codes
    to_check: CellTable | None
    to_check_notes: pd.Series | None
    rejected: pd.DataFrame    # path, sheet, reason
    deadline: dt.date
    recipient: str
    to_check_total: int = 0   # rows to check in all; above the rows shown, all are in ``to_check_list``
    to_check_list: str = ""   # the file beside the workbook listing every row to check ("" when all are shown)
    round: int = 1            # 1 + the latest round of this OPD's corrections applied (the marker's ``putaran``)


def write_instructions(sheet, formats: Formats, fb: OpdFeedback) -> None:
    """The first sheet: what happened, what to do by when and for whom, counts per reason."""
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 100)
    sheet.set_column(2, 2, 14)
    deadline = date_in_words(fb.deadline.isoformat())
    quarantined = len(fb.codes)
    lines = [("title", f"Umpan balik data Kartu Metro Ceria (KMC): {fb.opd}"),
             ("text", f"Periode data: {fb.period.in_words()}.")]
    if quarantined:
        lines.append(("text", f"{format_number(quarantined)} baris dari berkas yang Anda kirim belum dapat diterima, "
                              f"sehingga belum dihitung dalam laporan KMC bulan ini. Mohon perbaiki dan kirim kembali "
                              f"paling lambat {deadline} kepada {fb.recipient}."))
    if len(fb.rejected):
        lines.append(("text", f"{format_number(len(fb.rejected))} berkas atau sheet tidak dapat dibaca sama sekali; "
                              f"lihat bagian 'Berkas yang tidak dapat dibaca' di bawah dan kirim penggantinya paling "
                              f"lambat {deadline} kepada {fb.recipient}."))
    if fb.to_check is not None and len(fb.to_check.provenance):
        lines.append(("text", f"{format_number(max(fb.to_check_total, len(fb.to_check.provenance)))} baris sudah "
                              f"diterima tetapi perlu dicek (sheet {TO_CHECK_SHEET}{_whole_list(fb)}). Baris itu "
                              f"tidak perlu dikirim ulang bila datanya sudah benar."))
    if quarantined:
        lines += [
            ("heading", "Yang perlu dilakukan"),
            ("step", f"Buka sheet {CORRECTIONS_SHEET}. Setiap baris adalah satu baris dari berkas yang Anda kirim; "
                     f"kolom File, Sheet dan Baris menunjukkan letaknya di berkas asli."),
            ("step", "Kolom Alasan menjelaskan masalahnya. Sel yang perlu diperbaiki berwarna merah muda; arahkan "
                     "kursor ke sel itu untuk membaca catatannya."),
            ("step", f"Perbaiki isi sel langsung di sheet {CORRECTIONS_SHEET}. Untuk Kelurahan, Kecamatan dan Kode "
                     f"Bantuan pilih dari daftar (panah di kanan sel); daftar lengkapnya ada di sheet {LISTS_SHEET}."),
            ("step", f"Jangan mengubah kolom File, Sheet, Baris dan Alasan (kolom itu dikunci), jangan menambah, "
                     f"menghapus atau mengurutkan baris, dan jangan mengganti nama sheet. Kolom {NOTE_HEADER} boleh "
                     f"diisi keterangan."),
            ("step", "Baris duplikat: bila memang data ganda, biarkan saja; baris itu tidak dihitung dua kali. Bila "
                     "NIK atau kode bantuannya salah ketik, perbaiki."),
            ("step", f"Simpan berkas ini (tetap .xlsx) dan kirim kembali kepada {fb.recipient} paling lambat "
                     f"{deadline}. Berkas ini dikenali otomatis; hanya baris yang Anda ubah yang diperiksa ulang."),
            ("heading", "Cara lain: kirim berkas revisi"),
            ("text", "Anda juga dapat memperbaiki berkas asli, menyimpannya dengan akhiran _revisi sebelum .xlsx "
                     "(mis. 'BNBA Maret 2024_revisi.xlsx'), lalu mengirimkannya. Berkas _revisi menggantikan berkas "
                     "asli seluruhnya: kirim semua baris, bukan hanya baris yang diperbaiki."),
        ]
    row = write_lines(sheet, formats, 0, lines, width=100, column=1)
    if quarantined:
        row = _reason_counts(sheet, formats, row + 1, fb.codes)
    if len(fb.rejected):
        row = write_lines(sheet, formats, row, [("heading", "Berkas yang tidak dapat dibaca")], 100, 1)
        for entry in fb.rejected.itertuples(index=False):
            where = f"Berkas {PurePath(entry.path).name}" + (f", sheet '{entry.sheet}'" if entry.sheet else "")
            row = write_lines(sheet, formats, row, [
                ("step", f"{where}: {clerk_reason(entry.reason)}"),
                ("text", _what_to_send(entry.sheet, fb.recipient)),
            ], 100, 1)
    write_lines(sheet, formats, row, [
        ("heading", "Pelindungan data pribadi"),
        ("text", "Berkas ini berisi data pribadi (NIK dan nama) yang dilindungi UU 27/2022 tentang Pelindungan Data "
                 "Pribadi. Kirim hanya melalui saluran resmi, jangan membagikannya di grup percakapan, dan hapus "
                 "salinannya setelah perbaikan dikirim."),
    ], 100, 1)
    print_on_a4(sheet, landscape=False, footer=f"Petunjuk umpan balik KMC {fb.period}: {fb.opd}")
    sheet.activate()


def clerk_reason(reason: str) -> str:
    """What was wrong with an unreadable file, for the OPD's clerk: its first sentence, no library error name.

    The rest of the reason is advice to whoever runs kmc (open it, ask the OPD for a copy, run
    again, a command-line option); what the clerk should send comes after it in the Petunjuk.
    """
    first = re.split(r"(?<=[A-Za-z0-9)\]'])\. (?=[A-Z])", reason, maxsplit=1)[0]
    first = re.sub(r"\s*\((?:\w+\.)*[A-Z][a-z]+[A-Z]\w*\)", "", first)  # (CalamineError), (zipfile.BadZipFile)
    first = re.sub(r"[;,]\s*atau jalankan dengan --skip-unreadable.*$", "", first)
    return first.rstrip(" .;,") + "."


def _what_to_send(sheet_name: str, recipient: str) -> str:
    if sheet_name:
        return ("Yang perlu dikirim: lengkapi judul kolom yang disebutkan di atas pada sheet itu lalu kirim ulang "
                "berkasnya, atau pindahkan datanya ke templat isian KMC (minta templatnya kepada "
                f"{recipient}).")
    return ("Yang perlu dikirim: buka berkas itu di Excel, simpan sebagai 'Excel Workbook (*.xlsx)' lalu kirim ulang; "
            f"atau isi datanya ke templat isian KMC (minta templatnya kepada {recipient}).")


def _reason_counts(sheet, formats: Formats, row: int, codes: pd.Series) -> int:
    row = write_lines(sheet, formats, row, [("heading", "Ringkasan alasan")], 100, 1)
    sheet.write_string(row, 1, "Alasan", formats.get(header=True))
    sheet.write_string(row, 2, "Jumlah baris", formats.get(header=True))
    counts = count_reasons(codes)
    for code in [*REASONS, *sorted(set(counts.index) - set(REASONS))]:
        if counts.get(code):
            row += 1
            sheet.write_string(row, 1, REASON_LABEL.get(code, code), formats.get(border=True))
            sheet.write_number(row, 2, int(counts[code]), formats.get(border=True, number="#,##0"))
    row += 1
    sheet.write_string(row, 1, "Satu baris dapat memiliki lebih dari satu alasan.", formats.get())
    return row + 2


def corrections_sheet_names(rows_to_fix: int) -> list[str]:
    """The Perbaikan sheets that hold ``rows_to_fix`` rows: ``Perbaikan``, then ``Perbaikan 2``, ... if needed."""
    parts = max(1, -(-rows_to_fix // CORRECTIONS_SHEET_ROWS))
    return [CORRECTIONS_SHEET, *(f"{CORRECTIONS_SHEET} {n}" for n in range(2, parts + 1))]


def write_corrections(sheet, formats: Formats, fb: OpdFeedback, lists: ListRanges, part: int = 0) -> None:
    """A `Perbaikan` sheet: one row per quarantined row, faulty cells coloured with a comment each.

    ``part`` numbers the sheet among :func:`corrections_sheet_names` (from 0): each holds the
    next :data:`CORRECTIONS_SHEET_ROWS` rows.
    """
    names = corrections_sheet_names(len(fb.codes))
    start = part * CORRECTIONS_SHEET_ROWS
    rows = slice(start, start + CORRECTIONS_SHEET_ROWS)
    table = CellTable(fb.corrections.provenance.iloc[rows], fb.corrections.headers, fb.corrections.kinds,
                      fb.corrections.cells.iloc[rows], fb.corrections.comments.iloc[rows])
    headers = [*FIXED_HEADERS, *table.headers, CODES_HEADER, NOTE_HEADER]
    first_cell = len(FIXED_HEADERS)
    note_column = len(headers) - 1
    widths = [*_FIXED_WIDTHS, *(_width(h, k, table.cells[i]) for i, (h, k) in
                                enumerate(zip(table.headers, table.kinds))), 22, 30]
    for position, width in enumerate(widths):
        editable = first_cell <= position < first_cell + len(table.headers) or position == note_column
        kind = table.kinds[position - first_cell] if first_cell <= position < first_cell + len(table.headers) else None
        sheet.set_column(position, position, width, formats.get(text=kind in TEXT_COLUMNS, locked=not editable,
                                                                wrap=position == note_column))
    title = f"Baris yang perlu diperbaiki: {fb.opd}, periode {fb.period.in_words()}"
    if len(names) > 1:
        title += f" (bagian {part + 1} dari {len(names)})"
    sheet.write_string(0, 0, cell_text(title), formats.get(bold=True, size=13))
    hint = ("Perbaiki sel berwarna merah muda (arahkan kursor ke sel untuk membaca catatannya), simpan, lalu kirim "
            "kembali berkas ini. Jangan mengubah kolom File, Sheet, Baris dan Alasan.")
    if table.cells.empty:
        hint = "Tidak ada baris yang perlu diperbaiki bulan ini."
    elif len(fb.codes) > COMMENTED_ROWS:
        first_sheet = f" sheet {CORRECTIONS_SHEET}" if len(names) > 1 else ""
        hint += (f" Catatan per sel ada pada {format_number(COMMENTED_ROWS)} baris pertama{first_sheet}; di baris "
                 f"berikutnya sel yang salah tetap berwarna dan kolom Alasan menjelaskan masalahnya.")
    if len(names) > 1:
        hint += (f" Barisnya terlalu banyak untuk satu sheet Excel: semuanya ada di sheet {', '.join(names)}; "
                 f"perbaiki dan kirim semuanya dalam berkas ini.")
    sheet.write_string(1, 0, hint)
    header_row = TABLE_HEADER_ROW
    for position, header in enumerate(headers):
        sheet.write_string(header_row, position, cell_text(header), formats.get(header=True))
    sheet.set_row(header_row, row_points(headers, widths))
    _write_rows(sheet, formats, header_row + 1, table, fb.reasons.iloc[rows], fb.codes.iloc[rows], widths,
                commented_rows=max(0, COMMENTED_ROWS - start))
    last = header_row + len(table.provenance)
    add_dropdowns(sheet, lists, {first_cell + i: kind for i, kind in enumerate(table.kinds) if kind},
                  header_row + 1, last)
    sheet.autofilter(header_row, 0, max(last, header_row), len(headers) - 1)
    sheet.freeze_panes(header_row + 1, 3)
    printed = first_cell + len(table.headers)  # the free columns stay on screen
    print_on_a4(sheet, landscape=True, header_row=header_row, table_width=sum(widths[:printed]), key_columns=3,
                footer=f"Perbaikan, umpan balik KMC {fb.period}: {fb.opd}")
    sheet.print_area(0, 0, max(last, header_row), printed - 1)
    sheet.hide_gridlines(0)  # gridlines on paper too: cheaper than a border on every cell
    sheet.protect(options={"format_columns": True, "format_rows": True, "autofilter": True})


def _width(header: str, kind: str | None, values: pd.Series) -> float:
    """A column just wide enough for most of its cells: the sheet must print legibly one page wide."""
    if kind in ("nik", "no_kk"):
        return 18.0
    longest_word = max((len(word) for word in str(header).split()), default=0)
    # numpy on plain lengths: a pandas quantile per column cost more than the column's cells (0.5 s a month)
    lengths = np.fromiter((len(value) if isinstance(value, str) else len(str(value)) for value in values),
                          dtype=np.int64, count=len(values))
    typical = int(np.quantile(lengths, 0.9)) if len(values) else 0
    cap = 30 if kind in ("nama", "nama_bantuan", "alamat") else 22
    return float(min(cap, max(5, longest_word + 3, typical + 1)))


def _write_rows(sheet, formats: Formats, first_row: int, table: CellTable, reasons: pd.Series, codes: pd.Series,
                widths: list[float], commented_rows: int) -> None:
    """Write the table's rows, with comments on faulty cells of the first ``commented_rows``.

    Cells without a format take their column's (text, unlocked), which is faster.
    """
    first_cell = len(FIXED_HEADERS)
    wrap = formats.get(wrap=True)
    faulty = [formats.get(text=k in TEXT_COLUMNS, locked=False, faulty=True) for k in table.kinds]
    codes_column = first_cell + len(table.headers)
    texts = _distinct_texts()
    files = [texts(v) for v in table.provenance["sumber_file"].tolist()]
    sheets = [texts(v) for v in table.provenance["sumber_sheet"].tolist()]
    lines = table.provenance["sumber_baris"].astype("int64").tolist()
    reasons, codes = [texts(v) for v in reasons.tolist()], [texts(v) for v in codes.tolist()]
    height_of: dict[tuple[str, str, str], float] = {}  # rows of one file and reason share their height
    heights = []
    for f, s, r in zip(files, sheets, reasons):
        if (f, s, r) not in height_of:
            height_of[(f, s, r)] = row_points([f, s, r], [widths[0], widths[1], widths[3]])
        heights.append(height_of[(f, s, r)])
    notes: dict[str, tuple[str, dict]] = {}
    cells, comments = table.cells.to_numpy(), table.comments.to_numpy()
    write_string, write_comment = sheet.write_string, sheet.write_comment
    for i in range(len(files)):
        row = first_row + i
        sheet.set_row(row, heights[i])
        write_string(row, 0, files[i], wrap)
        write_string(row, 1, sheets[i], wrap)
        sheet.write_number(row, 2, lines[i])
        write_string(row, 3, reasons[i], wrap)
        commented = i < commented_rows
        for j in range(cells.shape[1]):
            value, comment = cells[i, j], comments[i, j]
            if comment:
                if value:
                    write_string(row, first_cell + j, value, faulty[j])
                else:
                    sheet.write_blank(row, first_cell + j, None, faulty[j])
                if not commented:
                    continue
                if comment not in notes:
                    notes[comment] = (cell_text(comment), {
                        "author": "KMC", "width": 330, "height": 24 + 16 * lines_needed(comment, _COMMENT_WIDTH)})
                write_comment(row, first_cell + j, *notes[comment])
            elif value:
                write_string(row, first_cell + j, value)
        write_string(row, codes_column, codes[i])


def write_to_check(sheet, formats: Formats, fb: OpdFeedback) -> None:
    """The `Perlu Dicek` sheet: accepted rows to review (not errors), each with why in plain Indonesian."""
    table, notes = fb.to_check, fb.to_check_notes
    headers = ["File", "Sheet", "Baris", "Keterangan", *table.headers]
    widths = [*_FIXED_WIDTHS, *(_width(h, k, table.cells[i]) for i, (h, k) in
                                enumerate(zip(table.headers, table.kinds)))]
    for position, width in enumerate(widths):
        kind = table.kinds[position - 4] if position >= 4 else None
        sheet.set_column(position, position, width, formats.get(text=kind in TEXT_COLUMNS))
    sheet.write_string(0, 0, cell_text(f"Baris yang sudah diterima tetapi perlu dicek: {fb.opd}, periode "
                                       f"{fb.period.in_words()}"), formats.get(bold=True, size=13))
    sheet.write_string(1, 0, "Baris ini bukan kesalahan dan sudah dihitung. Periksa apakah datanya benar; bila ada "
                             "yang salah, perbaiki di berkas asli dan kirim berkas _revisi.")
    if fb.to_check_list:
        sheet.write_string(2, 0, cell_text(
            f"Sheet ini memuat {format_number(len(table.provenance))} baris pertama dari "
            f"{format_number(fb.to_check_total)}; semua baris (File, Sheet, Baris, Keterangan) ada di berkas "
            f"{fb.to_check_list} yang dikirim bersama berkas ini."), formats.get(bold=True))
    for position, header in enumerate(headers):
        sheet.write_string(TABLE_HEADER_ROW, position, cell_text(header), formats.get(header=True))
    wrap, plain = formats.get(wrap=True, border=True), formats.get(border=True)
    cell_formats = [formats.get(text=k in TEXT_COLUMNS, border=True) for k in table.kinds]
    cells = table.cells.to_numpy()
    texts = _distinct_texts()
    files = [texts(v) for v in table.provenance["sumber_file"].tolist()]
    sheets = [texts(v) for v in table.provenance["sumber_sheet"].tolist()]
    lines = table.provenance["sumber_baris"].astype("int64").tolist()
    height_of: dict[tuple[str, str], float] = {}
    for i, note in enumerate(texts(v) for v in notes.tolist()):
        row = TABLE_HEADER_ROW + 1 + i
        if (files[i], note) not in height_of:
            height_of[(files[i], note)] = row_points([files[i], note], [widths[0], widths[3]])
        sheet.set_row(row, height_of[(files[i], note)])
        sheet.write_string(row, 0, files[i], wrap)
        sheet.write_string(row, 1, sheets[i], wrap)
        sheet.write_number(row, 2, lines[i], plain)
        sheet.write_string(row, 3, note, wrap)
        for j in range(cells.shape[1]):
            if cells[i, j]:
                sheet.write_string(row, 4 + j, cells[i, j], cell_formats[j])
    last = TABLE_HEADER_ROW + len(table.provenance)
    sheet.autofilter(TABLE_HEADER_ROW, 0, max(last, TABLE_HEADER_ROW), len(headers) - 1)
    sheet.freeze_panes(TABLE_HEADER_ROW + 1, 3)
    print_on_a4(sheet, landscape=True, header_row=TABLE_HEADER_ROW, table_width=sum(widths), key_columns=3,
                footer=f"Perlu dicek KMC {fb.period}: {fb.opd}")


def _whole_list(fb: OpdFeedback) -> str:
    """Where the rows to check beyond those on the sheet are, as a clause ("" when the sheet holds them all)."""
    if not fb.to_check_list:
        return ""
    return (f"; sheet itu memuat {format_number(len(fb.to_check.provenance))} baris pertama, semuanya ada di berkas "
            f"{fb.to_check_list}")


def _distinct_texts():
    """:func:`cell_text`, worked out once per distinct value (file names, sheets, reasons repeat row after row)."""
    done: dict = {}

    def text(value) -> str:
        if not isinstance(value, str):
            return cell_text(value)
        if value not in done:
            done[value] = cell_text(value)
        return done[value]
    return text


def write_marker(sheet, fb: OpdFeedback) -> None:
    """The hidden `_kmc` sheet by which stage 1 recognises a returned workbook as corrections."""
    values = {**MARKER, "periode": str(fb.period), "opd": fb.opd, "putaran": str(fb.round)}
    for row, (key, value) in enumerate(values.items()):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, cell_text(value))
    sheet.hide()
    sheet.protect()
