"""The `Daftar` sheet: the valid kelurahan, kecamatan and programs, and the dropdowns that point at it.

Both the input template and the feedback workbooks carry this protected sheet, so a clerk
picks a kelurahan, kecamatan or program code from a list instead of typing it; the
lists come from the reference tables of the run (``wilayah.csv``, ``program_bantuan.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kmc_analysis.clean.clerk_sheets import Formats, cell_text, print_on_a4, row_points

LISTS_SHEET = "Daftar"
_TITLE_ROW, _HEADER_ROW = 0, 3
# Column of the sheet -> (header, width). The headers are worded so that no row of this sheet
# reads as a beneficiary list's header row (CONTRACT 2.1: three known column names).
_COLUMNS = {
    0: ("Kelurahan yang sah", 22), 1: ("Terletak di kecamatan", 16), 2: ("Kode Kemendagri", 16),
    4: ("Kecamatan yang sah", 18),
    6: ("Kode bantuan yang sah", 14), 7: ("Nama bantuan di katalog", 48), 8: ("Nominal standar (Rp)", 14),
    9: ("Satuan pembayaran", 14),
}


@dataclass(frozen=True)
class ListRanges:
    """Where each list sits on the `Daftar` sheet, as formulas for a dropdown (empty: no such list)."""

    kelurahan: str
    kecamatan: str
    kode_bantuan: str
    nama_bantuan: str

    def for_column(self, column: str) -> str:
        """The list of a canonical column (kelurahan, kecamatan, kode_bantuan, nama_bantuan), else empty."""
        return getattr(self, column, "") if column in DROPDOWN_COLUMNS else ""


#: Canonical columns that get a dropdown, with what its prompt says.
DROPDOWN_COLUMNS = {
    "kelurahan": "Pilih kelurahan dari daftar (sheet Daftar).",
    "kecamatan": "Pilih kecamatan dari daftar (sheet Daftar).",
    "kode_bantuan": "Pilih kode bantuan dari daftar (sheet Daftar).",
    "nama_bantuan": "Pilih nama bantuan dari daftar, atau isi Kode Bantuan saja.",
}


def opd_programs(programs: pd.DataFrame, opd: str | None) -> pd.DataFrame:
    """The catalogue programs of ``opd`` sorted by code; every program when ``opd`` is None or has none."""
    chosen = programs[programs["opd"].eq(opd)] if opd is not None else programs.iloc[0:0]
    if chosen.empty:
        chosen = programs
    return chosen.sort_values("kode_bantuan", kind="stable").reset_index(drop=True)


def write_lists_sheet(sheet, formats: Formats, wilayah: pd.DataFrame, programs: pd.DataFrame,
                      title: str) -> ListRanges:
    """Fill the protected :data:`LISTS_SHEET` sheet (kelurahan with kecamatan and code, kecamatan, programs).

    ``sheet`` must be the workbook's sheet named :data:`LISTS_SHEET`: the dropdowns point at it.
    """
    places = wilayah.sort_values(["kelurahan", "kode_kelurahan"], kind="stable").reset_index(drop=True)
    kecamatan = sorted(wilayah["kecamatan"].drop_duplicates())
    columns = {
        0: list(places["kelurahan"]), 1: list(places["kecamatan"]), 2: list(places["kode_kelurahan"]),
        4: kecamatan,
        6: list(programs["kode_bantuan"]), 7: list(programs["nama_bantuan"]),
        8: list(programs["nominal_standar"]) if "nominal_standar" in programs else [],
        9: list(programs["satuan"]) if "satuan" in programs else [],
    }
    sheet.write_string(_TITLE_ROW, 0, cell_text(title), formats.get(bold=True, size=13))
    sheet.write_string(_TITLE_ROW + 1, 0, "Isian yang sah untuk kolom Kelurahan, Kecamatan dan Kode/Nama Bantuan. "
                       "Sheet ini dikunci agar daftar tidak berubah; pilih isian lewat panah pada sel.")
    for column, (header, width) in _COLUMNS.items():
        sheet.set_column(column, column, width)
        sheet.write_string(_HEADER_ROW, column, header, formats.get(header=True))
        for offset, value in enumerate(columns[column]):
            row = _HEADER_ROW + 1 + offset
            if column == 8:
                if not pd.isna(value):
                    sheet.write_number(row, column, int(value), formats.get(border=True, number="#,##0"))
            else:
                sheet.write_string(row, column, cell_text(value), formats.get(border=True, text=column in (2, 6)))
    sheet.set_column(3, 3, 2)
    sheet.set_column(5, 5, 2)
    sheet.set_row(_HEADER_ROW, row_points([h for h, _ in _COLUMNS.values()], [w for _, w in _COLUMNS.values()]))
    sheet.freeze_panes(_HEADER_ROW + 1, 0)
    print_on_a4(sheet, landscape=True, header_row=_HEADER_ROW, footer=title)
    sheet.protect(options={"format_columns": True, "autofilter": True})
    return ListRanges(
        kelurahan=_list_formula(0, len(places)), kecamatan=_list_formula(4, len(kecamatan)),
        kode_bantuan=_list_formula(6, len(programs)), nama_bantuan=_list_formula(7, len(programs)),
    )


def _list_formula(column: int, length: int) -> str:
    if length == 0:
        return ""
    first = _HEADER_ROW + 1
    from xlsxwriter.utility import xl_range_abs

    return f"={LISTS_SHEET}!{xl_range_abs(first, column, first + length - 1, column)}"


def add_dropdowns(sheet, ranges: ListRanges, columns: dict[int, str], first_row: int, last_row: int) -> None:
    """Put a dropdown on rows ``first_row``..``last_row`` of each sheet column whose canonical column has a list."""
    for position, column in columns.items():
        source = ranges.for_column(column)
        if not source or last_row < first_row:
            continue
        sheet.data_validation(first_row, position, last_row, position, {
            "validate": "list", "source": source, "ignore_blank": True,
            "input_title": "Pilih dari daftar", "input_message": DROPDOWN_COLUMNS[column],
            "error_type": "stop", "error_title": "Isian tidak ada di daftar",
            "error_message": "Isian ini tidak ada dalam daftar yang sah. Pilih dari daftar (lihat sheet Daftar) "
                             "atau hubungi admin data KMC jika isian yang benar tidak ada.",
        })
