"""Display tables shared by the report's HTML page and its workbook.

A :class:`Table` holds the text of every cell (Bahasa Indonesia formatting, suppressed
cells already replaced by their mark) together with the raw value the workbook stores.
Column headers and kinds follow from the column's name (:func:`column_label`,
:func:`column_kind`); :func:`make_table` turns a DataFrame and its suppression mask into
a Table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kmc_analysis.core.disclosure import HIDDEN_MARK, PRIMARY, SHOWN, primary_mark
from kmc_analysis.core.formatting import MISSING_MARK, formatter_for, is_missing, slug

#: Indonesian column headers for every column the report may show.
LABELS = {
    "kode_kecamatan": "Kode Kecamatan", "kecamatan": "Kecamatan", "kode_kelurahan": "Kode Kelurahan",
    "kelurahan": "Kelurahan", "penduduk": "Penduduk", "penerima_unik": "Penerima Unik",
    "penerima_per_1000": "Penerima per 1.000 Penduduk", "jumlah_penyaluran": "Jumlah Penyaluran",
    "nilai_total": "Nilai Total (Rp)", "program_aktif": "Program Aktif", "opd": "OPD",
    "program_katalog": "Program dalam Katalog", "program_terisi": "Program Terisi",
    "kelengkapan_persen": "Kelengkapan Program (%)", "baris_dibaca": "Baris Dibaca",
    "baris_diterima": "Baris Diterima", "baris_karantina": "Baris Dikarantina",
    "persen_valid": "Baris Valid (%)", "kode_bantuan": "Kode Bantuan", "nama_bantuan": "Nama Bantuan",
    "kategori": "Kategori", "target_penerima": "Target Penerima",
    "capaian_penerima_persen": "Capaian Penerima (%)", "predikat_penerima": "Predikat Capaian",
    "anggaran": "Anggaran (Rp)", "serapan_anggaran_persen": "Serapan Anggaran (%)",
    "predikat_serapan": "Predikat Serapan", "kode_indikator": "Kode", "indikator": "Indikator",
    "satuan": "Satuan", "polaritas": "Polaritas", "tahun": "Tahun", "target": "Target",
    "realisasi": "Realisasi", "capaian_persen": "Capaian (%)", "predikat": "Predikat",
    "capaian_penerima_rata2": "Rata-rata Capaian Penerima (%)", "jumlah_bantuan": "Jumlah Jenis Bantuan",
    "penerima": "Penerima", "kombinasi": "Kombinasi Bantuan", "penerima_unik_bulan_lalu": "Penerima Bulan Lalu",
    "selisih": "Selisih", "status": "Status", "periode": "Periode", "bulan": "Bulan",
    "keterangan": "Keterangan", "baseline": "Baseline", "persen_penerima": "Persentase Penerima (%)",
    "sumber_file": "Berkas", "sumber_sheet": "Sheet", "alasan": "Alasan", "jumlah_baris": "Jumlah Baris",
    "rincian_alasan": "Rincian Alasan", "persen_dibaca": "% dari Baris Dibaca", "kode_alasan": "Kode",
    "perubahan_persen": "Perubahan (%)", "nilai_total_bulan_lalu": "Nilai Bulan Lalu (Rp)",
    "selisih_nilai": "Selisih Nilai (Rp)", "nilai_rata_rata_per_penerima": "Nilai Rata-rata per Penerima (Rp)",
    "penerima_unik_kumulatif": "Penerima Unik Kumulatif", "persen_baris_valid": "Baris Valid (%)",
    "realisasi_sementara": "Realisasi Sementara", "sumber_realisasi": "Sumber Realisasi",
    "status_jalur": "Status Jalur", "target_serapan_persen": "Target Serapan (%)",
    "capaian_serapan_persen": "Capaian Serapan (%)", "diganti_oleh": "Diganti oleh",
    "baris_diperbaiki": "Baris Diperbaiki", "baris_tidak_berubah": "Baris Tidak Berubah",
    "baris_tidak_dikenal": "Baris Tidak Dikenal", "jenis_baris": "Jenis Baris", "baris": "Nomor Baris",
    "periode_penilaian": "Periode Penilaian", "penerima_periode": "Penerima Periode Penilaian",
    "target_periode": "Target Periode Penilaian", "status_penilaian": "Status Penilaian",
    "status_serapan": "Status Serapan",
}


def column_label(name: str) -> str:
    """Return the Indonesian header of a column (``proyeksi_2026`` -> ``Proyeksi 2026``)."""
    if name in LABELS:
        return LABELS[name]
    match = re.fullmatch(r"(target|proyeksi|realisasi)_(\d{4})", name)
    if match:
        return f"{match.group(1).capitalize()} {match.group(2)}"
    return name.replace("_", " ").capitalize()


#: Columns that identify a row (never formatted as numbers).
_TEXT_LIKE = re.compile(r"^(kode|id|tahun|periode|bulan|nama|opd|kategori|kecamatan|kelurahan|indikator|satuan|"
                        r"polaritas|predikat|status|kombinasi|keterangan|sumber|alasan|rincian|berkas|sheet|file|catatan)")

#: Text columns that get room in the HTML tables (names, not codes).
LONG_TEXT = ("nama_bantuan", "indikator", "opd", "kombinasi", "rincian_alasan", "alasan", "sumber_file")


def column_kind(name: str) -> str:
    """Classify a column by name: text, int, rupiah, pct, dec (smart decimals), rate, year, predikat, status."""
    if name == "tahun":
        return "year"
    if name.startswith("predikat"):
        return "predikat"
    if name.startswith("status"):
        return "status"
    if name in ("nilai_total", "anggaran", "selisih_nilai") or name.startswith(("nilai_", "nominal")):
        return "rupiah"
    if "persen" in name or name.endswith("_rata2"):
        return "pct"
    if name == "penerima_per_1000":
        return "rate"
    if name in ("target", "realisasi", "baseline") or name.startswith(("target_", "realisasi_")):
        return "dec"
    if _TEXT_LIKE.match(name):
        return "text"
    return "int"


@dataclass
class Cell:
    """One displayed cell: its text, its raw value (for Excel) and whether it is hidden."""

    text: str
    value: Any = None
    hidden: bool = False
    css: str = ""


@dataclass
class Column:
    """A displayed column: source name, Indonesian label and kind (see :func:`column_kind`)."""

    name: str
    label: str
    kind: str

    @property
    def numeric(self) -> bool:
        """True when the column is right-aligned numbers."""
        return self.kind in ("int", "rupiah", "pct", "dec", "rate")

    @property
    def css(self) -> str:
        """CSS class of the column's cells: numbers, codes (no wrap) or long text (wider)."""
        if self.numeric:
            return "num"
        if self.name.startswith("kode"):
            return "kode"
        if self.name == "rincian_alasan":
            return "sangat-panjang"
        if self.name in LONG_TEXT:
            return "panjang"
        return ""


@dataclass
class Row:
    """A displayed row; ``kind`` is ``data``, ``group`` (a heading spanning the table) or ``total``.

    ``unit`` is the code of the unit a data row shows (kode_kelurahan, ...): the disclosure
    audit reads the published numbers of a row by it.
    """

    cells: list[Cell]
    kind: str = "data"
    label: str = ""
    unit: str = ""


#: What stands in place of a table withheld for the period (its notes say why).
WITHHELD_TEXT = "Tidak diterbitkan untuk periode ini."


@dataclass
class Table:
    """A table ready for HTML and Excel: columns, rows and notes below it."""

    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    number: int = 0
    sheet: str = ""
    wide: bool = False
    withheld: bool = False  # no rows because none may be published this period (its notes say why)

    @property
    def empty_text(self) -> str:
        """What stands where a table without rows would be."""
        return WITHHELD_TEXT if self.withheld else "Tidak ada."

    @property
    def short(self) -> bool:
        """True for a table small enough to keep on one page (print: never split)."""
        return len(self.rows) <= 25

    @property
    def has_hidden(self) -> bool:
        """True when at least one cell is suppressed."""
        return any(c.hidden for r in self.rows for c in r.cells)


def _year_text(value: Any) -> str:
    """A year as four digits (no thousands separator): ``2024``."""
    if value is None:
        return ""
    try:
        return str(int(float(value)))
    except (TypeError, ValueError):
        return str(value)


def _kind_of(df: pd.DataFrame, name: str) -> str:
    """Return a column's kind from its name, corrected by its data (text stays text)."""
    kind = column_kind(name)
    if kind in ("int", "rupiah", "pct", "dec", "rate"):
        if not pd.api.types.is_numeric_dtype(df[name]):
            return "text"
        values = df[name].dropna()
        if kind == "int" and len(values) and not (values == values.round()).all():
            return "dec"
    return kind


def _columns(df: pd.DataFrame, names: list[str]) -> list[Column]:
    """Build Column objects for the names present in ``df``."""
    return [Column(n, column_label(n), _kind_of(df, n)) for n in names if n in df.columns]


def make_table(
    key: str,
    title: str,
    df: pd.DataFrame,
    names: list[str],
    mask: pd.DataFrame | None,
    min_cell: int,
    notes: list[str] | None = None,
    totals: dict[str, Any] | None = None,
    total_label: str = "Kota Metro",
    group_by: str | None = None,
    group_labels: dict[str, list[Cell]] | None = None,
    units: list[str] | None = None,
) -> Table:
    """Turn a DataFrame and its suppression mask into a display :class:`Table`.

    ``totals`` adds a city-level total row (never suppressed: city level). ``group_by``
    inserts a heading row before each group; ``group_labels`` may give that heading's
    cells (e.g. the kecamatan subtotal). ``units`` gives each data row's unit code.
    """
    cols = _columns(df, names)
    rows: list[Row] = []
    current = object()
    for i in range(len(df)):
        if group_by is not None:
            label = df[group_by].iloc[i]
            if label != current:
                current = label
                cells = (group_labels or {}).get(label)
                rows.append(Row(cells or [Cell(str(label))], "group", str(label)))
        cells = []
        for col in cols:
            value = df[col.name].iloc[i]
            value = None if is_missing(value) else value
            code = SHOWN if mask is None or col.name not in mask.columns else mask[col.name].iloc[i]
            if code != SHOWN:
                mark = primary_mark(min_cell) if code == PRIMARY else HIDDEN_MARK
                cells.append(Cell(mark, mark, True, "hidden"))
                continue
            text = _year_text(value) if col.kind == "year" else formatter_for(col.kind)(value)
            if col.name == "kategori":
                text = value = text.replace("_", " ")
            css = f"predikat {slug(text)}" if col.kind in ("predikat", "status") and text else ""
            if col.kind == "predikat" and not text:
                text = MISSING_MARK
            cells.append(Cell(text, value, False, css))
        rows.append(Row(cells, unit=units[i] if units is not None else ""))
    if totals is not None:
        cells = []
        for j, col in enumerate(cols):
            if col.name in totals:
                v = totals[col.name]
                cells.append(Cell(formatter_for(col.kind)(v), v))
            else:
                cells.append(Cell(total_label if j == 0 else "", total_label if j == 0 else None))
        rows.append(Row(cells, "total"))
    return Table(key, title, cols, rows, list(notes or []))
