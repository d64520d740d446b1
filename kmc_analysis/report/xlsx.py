"""Write the report workbook with openpyxl.

Sheets: Ringkasan (headline figures), one formatted sheet per report table in
:data:`XLSX_ORDER`, and Catatan (sources, formulas, data protection). Cells keep their
numbers (Rupiah and percent formats; years as numbers), suppressed cells their marks as
text, text that a spreadsheet would run as a formula a leading apostrophe; every sheet
prints as landscape A4 fitted to the page width with its header row repeated, and long
sheets get an autofilter. A synthetic month says so in every sheet's header and footer
and on the first sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

from kmc_analysis.core.disclosure import HIDDEN_MARK
from kmc_analysis.core.formatting import formula_safe, is_missing, slug
from kmc_analysis.core.repeatable_xlsx import repeatable_xlsx
from kmc_analysis.evaluation.capaian import PREDIKAT_RANGES
from kmc_analysis.report.table_model import Table
from kmc_analysis.report.targeting import TARGETING_TABLES

#: Imported by the functions that need them (kmc_analysis.stage_kernels warms them ahead).
IMPORTS_WHEN_USED = ("openpyxl", "openpyxl.styles", "openpyxl.utils")

#: Sheet order of the report tables, after Ringkasan.
XLSX_ORDER = ["rekap_kecamatan", "rekap_kelurahan", "perubahan_kecamatan", "rekap_opd", "rekap_program",
              "evaluasi_rpjmd_xlsx", "evaluasi_program", "evaluasi_opd", "tren_rpjmd_xlsx", "tren_bulanan",
              "rekap_tumpang_tindih", "kombinasi_program", *TARGETING_TABLES, "karantina_alasan", "karantina_berkas", "berkas_ditolak",
              "berkas_diabaikan", "berkas_diganti", "koreksi", "sheet_dilewati", "baris_dilewati"]
#: Sheets with more data rows than this get an autofilter on their header row.
AUTOFILTER_ROWS = 10

_XLSX_FORMATS = {"int": "#,##0", "rupiah": '"Rp"#,##0', "pct": "0.00%", "dec": "#,##0", "rate": "#,##0.00",
                 "year": "0"}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: Any, kind: str) -> Any:
    """Convert a raw cell value to what Excel stores (percent as a fraction, text cleaned)."""
    if is_missing(value):
        return None
    if kind == "year":
        text = str(value).strip()
        return int(float(text)) if re.fullmatch(r"\d{4}(\.0)?", text) else formula_safe(_ILLEGAL.sub("", text))
    if isinstance(value, str) and kind in ("int", "rupiah", "pct", "dec", "rate"):
        try:
            float(value)
        except ValueError:
            return formula_safe(_ILLEGAL.sub("", value))  # a label in a number column (the total row)
    if kind in ("int", "rupiah"):
        return int(round(float(value)))
    if kind == "pct":
        return round(float(value) / 100, 8)
    if kind in ("dec", "rate"):
        return round(float(value), 6)
    return formula_safe(_ILLEGAL.sub("", str(value)))


def _lines(text: str, width: float) -> int:
    """Estimate how many lines a wrapped cell of ``width`` characters needs."""
    return max(1, sum(math.ceil(max(len(part), 1) / max(width * 1.1, 1)) for part in str(text).split("\n")))


class _Sheets:
    """Shared styles and page setup of the report workbook (openpyxl)."""

    NAVY = "1F3A5F"
    FONT = "Arial"
    LINE = 13.0  # points per line of 10 pt text
    FILLS = {"sangat-tinggi": "1B7837", "tinggi": "5AAE61", "sedang": "F1C232", "rendah": "E08214",
             "sangat-rendah": "C0392B", "sesuai-jalur": "5AAE61", "tidak-sesuai-jalur": "C0392B",
             "data-kurang": "BBBBBB"}

    def __init__(self, periode: str, synthetic: str = "", dated: dt.date = dt.date(2000, 1, 1)):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.Alignment, self.Font, self.PatternFill = Alignment, Font, PatternFill
        thin = Side(style="thin", color="B7C3D0")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.periode = periode
        self.synthetic = synthetic
        self.dated = dated
        self.wb = Workbook()
        self.wb.properties.title = f"Laporan Evaluasi KMC {periode}"
        self.wb.properties.creator = "Bappeda Kota Metro (kmc_analysis)"
        self.first = True
        self._styles: dict[tuple, str] = {}

    def cell_style(self, bold: bool = False, colour: str = "000000", fill: str | None = None,
                   halign: str | None = None, wrap: bool = False, number_format: str = "General") -> str:
        """The name of a table-cell style (registered once: assigning a named style is cheap in openpyxl)."""
        key = (bold, colour, fill, halign, wrap, number_format)
        name = self._styles.get(key)
        if name is None:
            from openpyxl.styles import NamedStyle

            name = f"KMC tabel {len(self._styles) + 1}"
            style = NamedStyle(name=name, font=self.font(bold=bold, color=colour), border=self.border,
                               alignment=self.Alignment(horizontal=halign, vertical="top", wrap_text=wrap),
                               number_format=number_format)
            if fill:
                style.fill = self.PatternFill("solid", fgColor=fill)
            self.wb.add_named_style(style)
            self._styles[key] = name
        return name

    def font(self, **kw):
        """An Arial font (10 pt unless given)."""
        kw.setdefault("size", 10)
        return self.Font(name=self.FONT, **kw)

    def sheet(self, name: str, title: str):
        """Create a sheet with its title block (rows 1-2); the header row is row 4."""
        if self.first:
            ws, self.first = self.wb.active, False
            ws.title = name[:31]
        else:
            ws = self.wb.create_sheet(name[:31])
        ws["A1"] = title
        ws["A1"].font = self.font(bold=True, size=13, color=self.NAVY)
        ws["A2"] = f"Pemerintah Kota Metro – Badan Perencanaan Pembangunan Daerah – Periode {self.periode}"
        ws["A2"].font = self.font(italic=True, color="555555")
        return ws

    def header(self, ws, row: int, labels: list[str], widths: list[float]) -> None:
        """Write a header row: white on navy, wrapped, tall enough for its longest label."""
        for j, label in enumerate(labels, start=1):
            c = ws.cell(row=row, column=j, value=label)
            c.font = self.font(bold=True, color="FFFFFF")
            c.fill = self.PatternFill("solid", fgColor=self.NAVY)
            c.border = self.border
            c.alignment = self.Alignment(wrap_text=True, vertical="center", horizontal="center")
        lines = max(_lines(label, w) for label, w in zip(labels, widths))
        ws.row_dimensions[row].height = self.LINE * lines + 4

    def notes(self, ws, row: int, notes: list[str], ncols: int, width: float) -> int:
        """Write notes below a table, each merged across the table and wrapped; return the next row."""
        from openpyxl.utils import get_column_letter

        for note in notes:
            c = ws.cell(row=row, column=1, value=note)
            c.font = self.font(italic=True, size=9)
            c.alignment = self.Alignment(wrap_text=True, vertical="top")
            if ncols > 1:
                ws.merge_cells(f"A{row}:{get_column_letter(ncols)}{row}")
            ws.row_dimensions[row].height = 12 * _lines(note, width * 1.1) + 2
            row += 1
        return row

    def finish(self, ws, header_row: int | None, widths: list[float]) -> None:
        """Column widths, frozen header, print titles, landscape A4 fitted to the page width."""
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.properties import PageSetupProperties

        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        if header_row:
            ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
            ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        ws.print_options.horizontalCentered = True
        ws.oddHeader.left.text = f"Laporan Evaluasi KMC – {self.periode}"
        ws.oddHeader.right.text = "&A"
        ws.oddFooter.center.text = "Halaman &P dari &N"
        if self.synthetic:
            ws.oddHeader.center.text = self.synthetic
            ws.oddHeader.center.color = "A50F15"
            ws.oddFooter.left.text = self.synthetic
            ws.oddFooter.left.color = "A50F15"
        ws.print_area = f"A1:{get_column_letter(max(len(widths), 1))}{ws.max_row}"

    def table(self, table: Table) -> None:
        """One sheet per table: typed cells with Rupiah / percent formats, suppressed cells as text."""
        ws = self.sheet(table.sheet, table.title)
        cols, rows = table.columns, [r for r in table.rows if r.kind != "group"]
        widths = []
        for j, col in enumerate(cols):
            longest = max([len(str(r.cells[j].text)) for r in rows] + [4])
            if col.numeric:
                widths.append(float(min(max(longest + 3, 11), 22)))
            else:
                widths.append(float(min(max(longest + 2, 8), 48)))
        header = 4
        self.header(ws, header, [c.label for c in cols], widths)
        r = header
        for row in rows:
            r += 1
            lines = 1
            total = row.kind == "total"
            for j, (col, cell) in enumerate(zip(cols, row.cells), start=1):
                c = ws.cell(row=r, column=j)
                look = {"bold": total, "fill": "E3EAF2" if total else None}
                if cell.hidden:
                    c.value = cell.text
                    look["halign"] = "right"
                else:
                    value = _xlsx_value(cell.value, col.kind)
                    c.value = value
                    if isinstance(value, str):
                        c.data_type = "s"  # text, never a formula
                    if (col.numeric or col.kind == "year") and not isinstance(value, str) and value is not None:
                        look["number_format"] = _XLSX_FORMATS[col.kind]
                        if col.kind == "dec" and isinstance(value, float) and value != round(value):
                            look["number_format"] = "#,##0.00" if abs(value) >= 1 else "0.000"
                    else:
                        look["wrap"] = True
                        lines = max(lines, _lines(cell.text, widths[j - 1]))
                    key = slug(cell.text)
                    if col.kind in ("predikat", "status") and key in self.FILLS:
                        look.update(fill=self.FILLS[key], bold=True, halign="center", wrap=False,
                                    colour="000000" if key in ("sedang", "data-kurang") else "FFFFFF")
                c.style = self.cell_style(**look)
            if lines > 1:
                ws.row_dimensions[r].height = self.LINE * lines + 2
        if not rows:  # a table withheld this period: its sheet says so, and why (the notes)
            r += 1
            ws.cell(row=r, column=1, value=table.empty_text).font = self.font(bold=True)
        if len(rows) > AUTOFILTER_ROWS:
            from openpyxl.utils import get_column_letter

            last = r - 1 if rows and rows[-1].kind == "total" else r
            ws.auto_filter.ref = f"A{header}:{get_column_letter(len(cols))}{last}"
        self.notes(ws, r + 2, table.notes, len(cols), sum(widths))
        self.finish(ws, header, widths)

    def save(self, path: Path) -> Path:
        """Write the workbook dated :attr:`dated` (the period's last day), so that a rerun gives the same bytes."""
        buffer = io.BytesIO()
        self.wb.save(buffer)
        stamp = dt.datetime.combine(self.dated, dt.time())
        path.write_bytes(repeatable_xlsx(buffer.getvalue(), stamp))
        return path


def write_workbook(tables: dict[str, Table], summary: dict, context: dict, path: Path) -> Path:
    """Write the report workbook: Ringkasan, one formatted sheet per table, and Catatan."""
    book = _Sheets(context["periode_teks"], context.get("synthetic", ""), context["period"].last_day())
    s = summary
    ws = book.sheet("Ringkasan", f"Ringkasan Evaluasi Kartu Metro Ceria (KMC) – {context['periode_teks']}")
    if book.synthetic:
        ws["A3"] = f"{book.synthetic}: dibuat oleh kmc synth untuk uji coba, bukan data OPD."
        ws["A3"].font = book.font(bold=True, color="A50F15")
    items = [
        ("Penerima unik", s["penerima_unik"], "int", "orang, tingkat kota"),
        ("Jumlah penyaluran", s["jumlah_penyaluran"], "int", "bantuan yang tersalur (baris diterima)"),
        ("Nilai total bantuan", s["nilai_total"], "rupiah", ""),
        ("Penerima per 1.000 penduduk", s["penerima_per_1000"], "rate", "jumlah penduduk: lihat sheet Catatan"),
        ("Baris dibaca", s["baris_dibaca"], "int", ""),
        ("Baris diterima", s["baris_diterima"], "int", ""),
        ("Baris dikarantina", s["baris_karantina"], "int", "dikembalikan ke OPD (umpan balik)"),
        ("Baris valid", s["persen_baris_valid"], "pct", "baris diterima / baris dibaca"),
        ("OPD mengirim data", s["opd_mengirim"], "int", f"dari {s['opd_katalog']} OPD dalam katalog"),
        ("Kelengkapan OPD", s["kelengkapan_opd_persen"], "pct", "OPD mengirim / OPD dalam katalog"),
        ("Kelengkapan program", s["kelengkapan_program_persen"], "pct", "program terisi / program dalam katalog"),
        ("Jenis bantuan tersalur", s["program_tersalur"], "int", f"dari {s['program_katalog']} dalam katalog"),
        ("Berkas OPD diproses", s["berkas_masuk"], "int", ""),
        ("Berkas/sheet ditolak", s["berkas_ditolak"], "int", "tidak dapat dibaca"),
    ]
    for label, count in (s.get("predikat_rpjmd") or {}).items():
        items.append((f"Indikator RPJMD berpredikat {label}", count, "int", f"tahun {context['period'].year}"))
    widths = [42.0, 20.0, 48.0]
    book.header(ws, 4, ["Uraian", "Nilai", "Keterangan"], widths)
    for i, (label, value, kind, note) in enumerate(items, start=5):
        for j, v in enumerate((label, _xlsx_value(value, kind), note), start=1):
            c = ws.cell(row=i, column=j, value=v)
            c.font, c.border = book.font(), book.border
            if j == 2:
                c.number_format = _XLSX_FORMATS[kind]
    legend = (f"Angka 1 sampai {context['min_cell'] - 1} orang di bawah tingkat kota ditampilkan sebagai "
              f"{context['min_mark']}; tanda {HIDDEN_MARK} berarti disamarkan agar angka kecil tidak dapat dihitung "
              "ulang dari total. Laporan ini tidak memuat nama, NIK, atau pseudonim penerima.")
    book.notes(ws, 6 + len(items), [legend, f"Laporan lengkap dengan peta dan penjelasan: {context['file_html']}."],
               3, sum(widths))
    book.finish(ws, 4, widths)

    for key in XLSX_ORDER:
        if key in tables and tables[key].columns and (tables[key].rows or tables[key].withheld):
            book.table(tables[key])

    ws = book.sheet("Catatan", f"Catatan Metodologi – {context['periode_teks']}")
    lines = [("Sumber data", True)]
    lines += [(f"{r['data']}: {r['guna']}. Sumber: {r['sumber']}. Status: {r['status']}.", False)
              for r in context["sources"]]
    lines += [
        ("", False), ("Rumus capaian dan predikat", True),
        ("Capaian = realisasi / target x 100 untuk indikator positif; (2 x target - realisasi) / target x 100 untuk "
         "indikator negatif (praktik Permendagri 86/2017). Target atau realisasi yang belum tersedia membuat capaian "
         "dan predikat kosong, bukan nol.", False),
        ("Predikat: " + "; ".join(f"{band} {label}" for band, label in PREDIKAT_RANGES) + ".", False),
        ("", False), ("Perlindungan data pribadi", True),
        (f"Angka 1 sampai {context['min_cell'] - 1} orang di bawah tingkat kota ditampilkan sebagai "
         f"{context['min_mark']}; tanda {HIDDEN_MARK} menandai sel yang ikut disamarkan agar angka kecil tidak dapat "
         "dihitung dari total, serta angka turunan (per 1.000 penduduk, nilai, capaian, predikat) dari sel yang "
         "disamarkan.", False),
        ("NIK diganti pseudonim dengan kunci rahasia (HMAC-SHA256) yang disimpan di luar repositori; laporan ini "
         "tidak memuat nama, NIK, maupun pseudonim (UU 27/2022 tentang Pelindungan Data Pribadi).", False),
    ]
    for i, (text, bold) in enumerate(lines, start=4):
        c = ws.cell(row=i, column=1, value=text)
        c.font = book.font(bold=bold, color=book.NAVY if bold else "000000")
        c.alignment = book.Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = book.LINE * _lines(text, 120) + 2
    book.finish(ws, None, [120.0])
    return book.save(path)


