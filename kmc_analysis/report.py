"""Assemble the published evaluation report: HTML, Excel workbook, ringkasan.json and index.

Stage 4 reads only aggregate files from ``PROCESSED/YYYY-MM/`` (rekap_*, evaluasi_*,
manifest.json), three columns of karantina.csv (file, sheet, reason) and, from
penerima.parquet, the number of distinct ``id_penerima`` and the file -> OPD pairs. No
name, NIK or pseudonym is ever placed in a table. Every count of persons below city level
goes through :mod:`kmc_analysis.disclosure` before it is shown.

Entry points: :func:`build_report` (one period, called by notebooks/04_report.ipynb) and
:func:`build_index` (reports/index.html, called by the runner after it has moved a run's
outputs into place).
"""

from __future__ import annotations

import base64
import csv
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from kmc_analysis.disclosure import (
    DERIVED,
    MISSING_MARK,
    SHOWN,
    PRIMARY,
    HIDDEN_MARK,
    format_number,
    primary_mark,
    suppression_mask,
)
from kmc_analysis import __version__
from kmc_analysis.errors import StageError
from kmc_analysis.evaluation import predikat
from kmc_analysis.quality import REASON_LABEL
from kmc_analysis.paths import check_period
from kmc_analysis.periods import NAMA_BULAN, period_in_words, previous_period

TEMPLATES = Path(__file__).parent / "templates"


#: Short forms for the per-file breakdown.
ALASAN_SINGKAT = {
    "nik_kosong": "NIK kosong", "nik_format": "NIK tidak 16 digit", "nik_tanggal": "tanggal di NIK tidak valid",
    "nama_kosong": "nama kosong", "wilayah_tidak_dikenal": "wilayah tidak dikenal",
    "program_tidak_dikenal": "program tidak dikenal", "nominal_tidak_valid": "nominal tidak valid",
    "duplikat": "duplikat",
}

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
    "capaian_serapan_persen": "Capaian Serapan (%)",
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

#: Person counts and the columns derived from them, by column name.
PERSON_COUNTS = ("penerima_unik", "jumlah_penyaluran", "penerima", "penerima_unik_bulan_lalu", "baris_diterima")
BREAKDOWN_COLUMNS = ("kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "opd", "kode_bantuan",
                     "nama_bantuan", "kategori", "kombinasi")

#: How each published table is suppressed (arguments of disclosure.suppression_mask). The
#: area, program and overlap rules are stage 2's (coverage.PUBLICATION), so the maps hide
#: exactly what the tables hide; the report adds the columns only it shows.
_PROGRAM_DERIVED = ("capaian_penerima_persen", "predikat_penerima", "nilai_total", "serapan_anggaran_persen",
                    "capaian_serapan_persen", "predikat_serapan")
SUPPRESSION: dict[str, dict] = {
    "kecamatan": {"count_columns": ["penerima_unik", "jumlah_penyaluran"],
                  "derived": {"penerima_per_1000": "penerima_unik",
                              "nilai_total": ["penerima_unik", "jumlah_penyaluran"],
                              "program_aktif": "penerima_unik"}},
    "program": {"count_columns": ["penerima_unik"], "group_by": "opd",
                "derived": {c: "penerima_unik" for c in _PROGRAM_DERIVED}},
    # baris_dibaca = baris_diterima + baris_karantina: quarantined rows are records, shown as they are,
    # so a hidden baris_diterima takes baris_dibaca (and persen_valid) with it.
    "opd": {"count_columns": ["baris_diterima"], "row_totals": {"baris_dibaca": ["baris_diterima", "baris_karantina"]},
            "derived": {"persen_valid": ["baris_diterima", "baris_dibaca"]}},
}
try:
    from kmc_analysis.coverage import PUBLICATION as _COVERAGE_RULES
except ImportError:  # stage 2 not installed: the report's own copy of the area rules applies
    _COVERAGE_RULES = {}
for _kind, _rules in _COVERAGE_RULES.items():
    if _kind == "program":
        _rules = {**_rules, "derived": {**_rules.get("derived", {}), **SUPPRESSION["program"]["derived"]}}
    SUPPRESSION[_kind] = _rules
SUPPRESSION.setdefault("kelurahan", {**SUPPRESSION["kecamatan"], "group_by": "kode_kecamatan"})
SUPPRESSION.setdefault("tumpang_tindih", {"count_columns": ["penerima"],
                                          "derived": {"persen_penerima": "penerima", "nilai_total": "penerima",
                                                      "nilai_rata_rata_per_penerima": "penerima"}})
SUPPRESSION.setdefault("kombinasi", {"count_columns": ["penerima"], "table_total": False})
SUPPRESSION.setdefault("perubahan", {"count_columns": ["penerima_unik_bulan_lalu", "penerima_unik"],
                                     "derived": {"selisih": ["penerima_unik_bulan_lalu", "penerima_unik"],
                                                 "perubahan_persen": ["penerima_unik_bulan_lalu", "penerima_unik"],
                                                 "nilai_total_bulan_lalu": "penerima_unik_bulan_lalu",
                                                 "nilai_total": "penerima_unik",
                                                 "selisih_nilai": ["penerima_unik_bulan_lalu", "penerima_unik"]}})

IMAGES = [
    ("peta_cakupan_kecamatan.png", "Peta cakupan penerima KMC per 1.000 penduduk menurut kecamatan"),
    ("peta_cakupan_kelurahan.png", "Peta cakupan penerima KMC per 1.000 penduduk menurut kelurahan"),
    ("peta_cakupan_kategori.png", "Peta cakupan menurut kategori bantuan"),
    ("grafik_tren_rpjmd.png", "Tren capaian indikator RPJMD"),
    ("grafik_tren_bulanan.png", "Tren bulanan penerima dan penyaluran KMC"),
]

OPTIONAL_TABLES = ("rekap_tumpang_tindih", "kombinasi_program", "perubahan_kecamatan", "evaluasi_program",
                   "evaluasi_opd", "tren_bulanan", "tren_rpjmd")
REQUIRED_TABLES = ("rekap_opd", "rekap_kecamatan", "rekap_kelurahan", "rekap_program", "evaluasi_rpjmd")


# ======================================================================================
# Formatting (Bahasa Indonesia)
# ======================================================================================

def date_in_words(value: str | None) -> str:
    """Return an ISO date or timestamp as ``4 Maret 2024``; empty text if it cannot be read."""
    if not value:
        return ""
    stamp = pd.to_datetime(str(value), errors="coerce", utc=False)
    if pd.isna(stamp):
        return ""
    return f"{stamp.day} {NAMA_BULAN[stamp.month - 1]} {stamp.year}"


def _is_missing(value) -> bool:
    """True for None, NA and NaN."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_rupiah(value) -> str:
    """Format Rupiah as ``Rp1.234.567``; missing gives ``–``."""
    if _is_missing(value):
        return MISSING_MARK
    text = format_number(round(float(value)), 0)
    return f"-Rp{text[1:]}" if text.startswith("-") else f"Rp{text}"


def format_percent(value, decimals: int = 2) -> str:
    """Format a percentage given in percent units as ``12,34%``; missing gives ``–``."""
    if _is_missing(value):
        return MISSING_MARK
    return f"{format_number(value, decimals)}%"


def format_smart(value) -> str:
    """Format a measure without decimals when it is whole, else with two (``78,93``)."""
    if _is_missing(value):
        return MISSING_MARK
    number = float(value)
    if number == round(number):
        return format_number(number, 0)
    return format_number(number, 3 if abs(number) < 1 else 2)


def format_rupiah_words(value) -> str:
    """Format a large Rupiah amount in words: ``Rp1,23 miliar``, ``Rp456,7 juta``."""
    if _is_missing(value):
        return MISSING_MARK
    v = float(value)
    for size, word in ((1e12, "triliun"), (1e9, "miliar"), (1e6, "juta")):
        if abs(v) >= size:
            return f"Rp{format_number(v / size, 2)} {word}"
    return format_rupiah(v)


def column_kind(name: str) -> str:
    """Classify a column by name: text, int, rupiah, pct, dec (smart decimals), rate, predikat, status."""
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


def _formatter(kind: str):
    """Return the display formatter of a column kind."""
    return {
        "rupiah": format_rupiah,
        "pct": format_percent,
        "rate": lambda v: format_number(v, 2),
        "dec": format_smart,
        "int": lambda v: format_number(v, 0),
    }.get(kind, lambda v: "" if _is_missing(v) else str(v))


def slug(text: str) -> str:
    """Return a CSS-safe lower-case slug of a label (``Sangat Tinggi`` -> ``sangat-tinggi``)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


# ======================================================================================
# Loading the processed outputs
# ======================================================================================

@dataclass
class ProcessedData:
    """What the report reads from one period's processed folder (aggregates only)."""

    period: str
    manifest: dict
    tables: dict[str, pd.DataFrame | None]
    quarantine: pd.DataFrame  # sumber_file, sumber_sheet, alasan, jumlah_baris (one row per file/sheet/code)
    quarantine_rows: pd.DataFrame  # sumber_file, sumber_sheet, jumlah_baris (rows, not codes)
    file_opd: dict[str, str]
    penerima_unik: int | None  # distinct id_penerima in the period (city level)


def read_table(path: Path) -> pd.DataFrame | None:
    """Read a processed CSV: identifiers stay text, known numeric columns become numbers."""
    if not path.exists():
        return None
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in df.columns:
        kind = column_kind(col)
        if kind in ("text", "predikat", "status"):
            continue
        text = df[col].str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        if (numbers.notna() | text.eq("")).all():  # leave a column with words in it as text
            df[col] = numbers
    return df


def _read_quarantine(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count karantina.csv rows by file, sheet and reason, reading only those three columns.

    The original cells (personal data) after the fourth column are never kept.
    """
    by_code: Counter = Counter()
    by_row: Counter = Counter()
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            pos = {name: header.index(name) for name in ("sumber_file", "sumber_sheet", "alasan") if name in header}
            for row in reader:
                if not row:
                    continue
                get = lambda key: row[pos[key]] if key in pos and pos[key] < len(row) else ""  # noqa: E731
                key = (get("sumber_file"), get("sumber_sheet"))
                by_row[key] += 1
                for code in filter(None, get("alasan").split(";")):
                    by_code[key + (code.strip(),)] += 1
    codes = pd.DataFrame([(*k, n) for k, n in by_code.items()],
                         columns=["sumber_file", "sumber_sheet", "alasan", "jumlah_baris"])
    rows = pd.DataFrame([(*k, n) for k, n in by_row.items()], columns=["sumber_file", "sumber_sheet", "jumlah_baris"])
    return codes, rows


def _read_penerima_aggregates(path: Path) -> tuple[int | None, dict[str, str]]:
    """Return the number of distinct beneficiaries and each source file's OPD.

    Only ``id_penerima`` (to count it; never kept), ``sumber_file`` and ``opd`` are read.
    """
    if not path.exists():
        return None, {}
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["id_penerima", "sumber_file", "opd"])
    distinct = len(table.column("id_penerima").unique())
    pairs = table.select(["sumber_file", "opd"]).to_pandas().drop_duplicates()
    file_opd = (pairs.astype(str).groupby("sumber_file")["opd"]
                .agg(lambda s: s.mode().iloc[0] if len(s) else "").to_dict())
    del table
    return distinct, file_opd


def load_processed(processed: str | Path, period: str | None = None) -> ProcessedData:
    """Read the aggregates of one period's processed folder for the report."""
    processed = Path(processed)
    period = check_period(period or processed.name)
    missing = [name for name in ("manifest.json", *(f"{t}.csv" for t in REQUIRED_TABLES))
               if not (processed / name).is_file()]
    if missing:
        raise StageError(
            f"The report needs {', '.join(missing)} in {processed}, which stages 1-3 write: run `kmc run --period "
            f"{period}` first (laporan membutuhkan berkas tersebut; jalankan tahap 1-3 lebih dulu)."
        )
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    tables = {name: read_table(processed / f"{name}.csv") for name in REQUIRED_TABLES + OPTIONAL_TABLES}
    quarantine, quarantine_rows = _read_quarantine(processed / "karantina.csv")
    distinct, file_opd = _read_penerima_aggregates(processed / "penerima.parquet")
    return ProcessedData(period, manifest, tables, quarantine, quarantine_rows, file_opd, distinct)


# ======================================================================================
# Display tables (shared by HTML and Excel)
# ======================================================================================

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
    """A displayed row; ``kind`` is ``data``, ``group`` (a heading spanning the table) or ``total``."""

    cells: list[Cell]
    kind: str = "data"
    label: str = ""


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

    @property
    def short(self) -> bool:
        """True for a table small enough to keep on one page (print: never split)."""
        return len(self.rows) <= 25

    @property
    def has_hidden(self) -> bool:
        """True when at least one cell is suppressed."""
        return any(c.hidden for r in self.rows for c in r.cells)


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
) -> Table:
    """Turn a DataFrame and its suppression mask into a display :class:`Table`.

    ``totals`` adds a city-level total row (never suppressed: city level). ``group_by``
    inserts a heading row before each group; ``group_labels`` may give that heading's
    cells (e.g. the kecamatan subtotal).
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
            value = None if _is_missing(value) else value
            code = SHOWN if mask is None or col.name not in mask.columns else mask[col.name].iloc[i]
            if code != SHOWN:
                mark = primary_mark(min_cell) if code == PRIMARY else HIDDEN_MARK
                cells.append(Cell(mark, mark, True, "hidden"))
                continue
            text = _formatter(col.kind)(value)
            if col.name == "kategori":
                text = value = text.replace("_", " ")
            css = f"predikat {slug(text)}" if col.kind in ("predikat", "status") and text else ""
            if col.kind == "predikat" and not text:
                text = MISSING_MARK
            cells.append(Cell(text, value, False, css))
        rows.append(Row(cells))
    if totals is not None:
        cells = []
        for j, col in enumerate(cols):
            if col.name in totals:
                v = totals[col.name]
                cells.append(Cell(_formatter(col.kind)(v), v))
            else:
                cells.append(Cell(total_label if j == 0 else "", total_label if j == 0 else None))
        rows.append(Row(cells, "total"))
    return Table(key, title, cols, rows, list(notes or []))


def _legend(min_cell: int) -> str:
    """The suppression legend placed under every table with hidden cells."""
    return (f"{primary_mark(min_cell)} = 1 sampai {min_cell - 1} orang (disamarkan); {HIDDEN_MARK} = disamarkan agar "
            f"angka kecil tidak dapat dihitung ulang dari total.")


def _num(df: pd.DataFrame | None, col: str) -> float:
    """Sum a numeric column, 0 when the table or column is absent."""
    if df is None or col not in df.columns:
        return 0.0
    return float(pd.to_numeric(df[col], errors="coerce").fillna(0).sum())


def _with_predikat(df: pd.DataFrame, capaian: str, predikat_column: str) -> pd.DataFrame:
    """Add a predikat column from a capaian column when the stage did not write one."""
    if predikat_column not in df.columns and capaian in df.columns:
        df = df.copy()
        df[predikat_column] = predikat(df[capaian])
    return df


def _mask(df: pd.DataFrame, kind: str, min_cell: int) -> pd.DataFrame:
    """Suppress a table by the rules of its ``kind`` (the same rules the maps of stage 2 use)."""
    rules = {k: v for k, v in SUPPRESSION[kind].items()}
    rules["count_columns"] = [c for c in rules["count_columns"] if c in df.columns]
    rules["derived"] = {k: [c for c in _as_list(v) if c in df.columns] for k, v in rules.get("derived", {}).items()
                        if k in df.columns}
    if "row_totals" in rules:
        rules["row_totals"] = {k: [c for c in v if c in df.columns] for k, v in rules["row_totals"].items()
                               if k in df.columns}
    groups = rules.get("group_by")
    if groups is not None:
        groups = [g for g in _as_list(groups) if all(c in df.columns for c in _as_list(g))]
        rules["group_by"] = groups or None
    return suppression_mask(df, min_cell=min_cell, **rules)


def _as_list(value) -> list:
    """A name or a list of names, as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _area_tables(t: dict, summary: dict, min_cell: int) -> dict[str, Table]:
    """Coverage per kecamatan and per kelurahan, and the change since last month."""
    tables: dict[str, Table] = {}
    kec, kel, per = t["rekap_kecamatan"], t["rekap_kelurahan"], t["perubahan_kecamatan"]
    kec_rows: dict[str, list[Cell]] = {}
    if kec is not None:
        names = ["kode_kecamatan", "kecamatan", "penduduk", "penerima_unik", "penerima_per_1000",
                 "jumlah_penyaluran", "nilai_total", "program_aktif"]
        totals = {"penduduk": _num(kec, "penduduk"), "penerima_unik": summary["penerima_unik"],
                  "penerima_per_1000": summary["penerima_per_1000"],
                  "jumlah_penyaluran": summary["jumlah_penyaluran"], "nilai_total": summary["nilai_total"],
                  "program_aktif": summary["program_tersalur"]}
        table = make_table("rekap_kecamatan", "Cakupan penerima KMC per kecamatan", kec, names,
                           _mask(kec, "kecamatan", min_cell), min_cell, totals=totals)
        table.notes.append("Baris Kota Metro menghitung setiap penerima satu kali, sehingga dapat lebih kecil daripada "
                           "jumlah kecamatan bila seseorang tercatat di dua kecamatan.")
        table.sheet = "Rekap Kecamatan"
        tables[table.key] = table
        kec_rows = {str(code): row.cells for code, row in zip(kec["kode_kecamatan"], table.rows)}
    if kel is not None:
        names = ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "penduduk", "penerima_unik",
                 "penerima_per_1000", "jumlah_penyaluran", "nilai_total", "program_aktif"]
        mask = _mask(kel, "kelurahan", min_cell)
        table = make_table("rekap_kelurahan", "Cakupan penerima KMC per kelurahan", kel, names, mask, min_cell)
        table.sheet = "Rekap Kelurahan"
        tables[table.key] = table
        # The HTML shows kelurahan under a kecamatan heading that carries the kecamatan's row.
        short = ["kelurahan", "penduduk", "penerima_unik", "penerima_per_1000", "jumlah_penyaluran", "nilai_total",
                 "program_aktif"]
        groups = {}
        if kec is not None and "kode_kecamatan" in kel:
            for code, name in zip(kec["kode_kecamatan"].astype(str), kec["kecamatan"].astype(str)):
                groups[code] = [Cell(f"Kecamatan {name}")] + kec_rows[code][2:]
        grouped = make_table("rekap_kelurahan_html", "Cakupan penerima KMC per kelurahan", kel, short, mask,
                             min_cell, group_by="kode_kecamatan" if "kode_kecamatan" in kel else None,
                             group_labels=groups)
        grouped.notes.append("Baris berlatar biru adalah total kecamatan. Total kecamatan dapat lebih besar daripada "
                             "jumlah kelurahannya karena sebagian baris data hanya mencantumkan kecamatan.")
        tables[grouped.key] = grouped
    if per is not None:
        names = ["kode_kecamatan", "kecamatan", "penerima_unik_bulan_lalu", "penerima_unik", "selisih",
                 "perubahan_persen", "nilai_total_bulan_lalu", "nilai_total", "selisih_nilai"]
        table = make_table("perubahan_kecamatan", "Perubahan penerima unik dibanding bulan lalu per kecamatan",
                           per, names, _mask(per, "perubahan", min_cell), min_cell)
        for row in table.rows:  # a rise shows its sign
            for col, cell in zip(table.columns, row.cells):
                if col.name.startswith(("selisih", "perubahan")) and not cell.hidden \
                        and isinstance(cell.value, (int, float, np.number)) and cell.value > 0:
                    cell.text = "+" + cell.text
        table.sheet = "Perubahan Kecamatan"
        tables[table.key] = table
    return tables


def _opd_tables(t: dict, summary: dict, min_cell: int, program_hidden: set[str]) -> dict[str, Table]:
    """Completeness per OPD (rekap_opd) and the OPD scorecard (evaluasi_opd) if present."""
    tables: dict[str, Table] = {}
    opd, eopd = t["rekap_opd"], t["evaluasi_opd"]
    hidden_valid: set[str] = set()
    if opd is not None:
        mask = _mask(opd, "opd", min_cell)
        if "persen_valid" in mask:
            hidden_valid = set(opd.loc[mask["persen_valid"] != SHOWN, "opd"].astype(str))
        names = ["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "baris_dibaca", "baris_diterima",
                 "baris_karantina", "persen_valid"]
        totals = {"program_katalog": _num(opd, "program_katalog"), "program_terisi": _num(opd, "program_terisi"),
                  "kelengkapan_persen": summary["kelengkapan_program_persen"], "baris_dibaca": summary["baris_dibaca"],
                  "baris_diterima": summary["baris_diterima"], "baris_karantina": summary["baris_karantina"],
                  "persen_valid": summary["persen_baris_valid"]}
        table = make_table("rekap_opd", "Kelengkapan dan kualitas data per OPD", opd, names, mask, min_cell,
                           totals=totals, total_label="Jumlah")
        table.notes.append("Kelengkapan program = program terisi / program dalam katalog x 100. Baris valid = baris "
                           "diterima / baris dibaca x 100. Baris dikarantina adalah catatan yang ditolak (bukan "
                           "penerima) dan dikembalikan ke OPD untuk diperbaiki.")
        table.sheet = "Rekap OPD"
        tables[table.key] = table
    if eopd is not None:
        # Hidden with the rekap_opd rows and the program counts they are computed from.
        cols = [c for c in ("persen_valid", "capaian_penerima_rata2", "predikat") if c in eopd]
        mask = pd.DataFrame(SHOWN, index=eopd.index, columns=cols, dtype=object)
        who = eopd["opd"].astype(str)
        if "persen_valid" in cols:
            mask.loc[who.isin(hidden_valid), "persen_valid"] = DERIVED
        for c in ("capaian_penerima_rata2", "predikat"):
            if c in cols:
                mask.loc[who.isin(program_hidden), c] = DERIVED
        names = ["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "persen_valid",
                 "capaian_penerima_rata2", "predikat"]
        table = make_table("evaluasi_opd", f"Kinerja OPD pengelola bantuan KMC, tahun berjalan s.d. "
                           f"{summary['periode_teks']}", eopd, names, mask, min_cell)
        table.notes.append("Rata-rata capaian penerima = rata-rata capaian penerima program-program OPD; predikat "
                           "memakai rentang yang sama dengan indikator RPJMD.")
        table.sheet = "Evaluasi OPD"
        tables[table.key] = table
    return tables


def _program_tables(t: dict, summary: dict, min_cell: int) -> tuple[dict[str, Table], set[str]]:
    """Per-program tables (month: rekap_program; year to date: evaluasi_program) and OPDs with hidden counts."""
    tables: dict[str, Table] = {}
    masks: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    titles = {"rekap_program": f"Penerima dan nilai per jenis bantuan, {summary['periode_teks']}",
              "evaluasi_program": f"Evaluasi kinerja program bantuan, tahun berjalan s.d. {summary['periode_teks']}"}
    names = ["kode_bantuan", "nama_bantuan", "opd", "kategori", "penerima_unik", "target_penerima",
             "capaian_penerima_persen", "predikat_penerima", "nilai_total", "anggaran", "serapan_anggaran_persen",
             "target_serapan_persen", "capaian_serapan_persen", "predikat_serapan"]
    for key in ("rekap_program", "evaluasi_program"):
        df = t[key]
        if df is None:
            continue
        df = _with_predikat(df.reset_index(drop=True), "capaian_penerima_persen", "predikat_penerima")
        mask = _mask(df, "program", min_cell)
        masks[key] = (df, mask)
        table = make_table(key, titles[key], df, names, mask, min_cell)
        table.sheet = "Rekap Program" if key == "rekap_program" else "Evaluasi Program"
        table.notes.append(PROGRAM_NOTE)
        tables[key] = table
    hidden: set[str] = set()
    key = "evaluasi_program" if "evaluasi_program" in masks else "rekap_program"
    if key in masks:
        df, mask = masks[key]
        if "opd" in df:
            hidden = set(df.loc[mask["penerima_unik"] != SHOWN, "opd"].astype(str))
        short = ["kode_bantuan", "nama_bantuan", "kategori", "penerima_unik", "target_penerima",
                 "capaian_penerima_persen", "predikat_penerima", "nilai_total", "anggaran", "serapan_anggaran_persen",
                 "predikat_serapan"]
        order = df.sort_values(["opd", "kode_bantuan"], kind="stable").index if "opd" in df else df.index
        html_table = make_table("program_html", titles[key], df.loc[order], short, mask.loc[order], min_cell,
                                group_by="opd" if "opd" in df else None)
        html_table.wide = True
        html_table.notes.append(PROGRAM_NOTE)
        if key == "evaluasi_program":
            html_table.notes.append("Penerima dan nilai dihitung sejak Januari (tahun berjalan) dan dibandingkan dengan "
                                    "target dan anggaran setahun; predikat serapan membandingkan serapan dengan "
                                    "bagian anggaran yang semestinya terserap sampai bulan ini. Program OPD yang "
                                    "belum mengirim data ditandai –.")
        tables["program_html"] = html_table
    return tables, hidden


def _overlap_tables(t: dict, min_cell: int) -> dict[str, Table]:
    """Beneficiaries by number of kinds of bantuan received, and the most common combinations."""
    tables: dict[str, Table] = {}
    tt = t["rekap_tumpang_tindih"]
    if tt is not None and "penerima" in tt:
        tt = tt.copy()
        total = _num(tt, "penerima")
        if "persen_penerima" not in tt:
            tt["persen_penerima"] = tt["penerima"] / total * 100 if total else np.nan
        names = ["jumlah_bantuan", "penerima", "persen_penerima", "nilai_total", "nilai_rata_rata_per_penerima"]
        table = make_table("rekap_tumpang_tindih", "Penerima menurut jumlah jenis bantuan yang diterima", tt, names,
                           _mask(tt, "tumpang_tindih", min_cell), min_cell,
                           totals={"penerima": total, "persen_penerima": 100.0 if total else None,
                                   "nilai_total": _num(tt, "nilai_total") if "nilai_total" in tt else None},
                           total_label="Jumlah")
        table.sheet = "Tumpang Tindih"
        tables[table.key] = table
    kp = t["kombinasi_program"]
    if kp is not None and "penerima" in kp:
        kp = kp.sort_values("penerima", ascending=False, kind="stable").head(15).reset_index(drop=True)
        catalogue = t["rekap_program"] if t["rekap_program"] is not None else t["evaluasi_program"]
        if catalogue is not None and "kombinasi" in kp:
            names = dict(zip(catalogue["kode_bantuan"].astype(str), catalogue["nama_bantuan"].astype(str)))
            kp["kombinasi"] = [" + ".join(names.get(code.strip(), code.strip()) for code in str(combo).split("+"))
                               for combo in kp["kombinasi"]]
        table = make_table("kombinasi_program", "Kombinasi jenis bantuan yang paling sering diterima bersamaan", kp,
                           ["kombinasi", "jumlah_bantuan", "penerima"], _mask(kp, "kombinasi", min_cell), min_cell)
        table.sheet = "Kombinasi Program"
        tables[table.key] = table
    return tables


def _rpjmd_tables(data: ProcessedData, summary: dict, reference: Any, min_cell: int) -> dict[str, Table]:
    """The RPJMD evaluation of the period's year and the trend status of each indicator (city level)."""
    tables: dict[str, Table] = {}
    t = data.tables
    rp = t["evaluasi_rpjmd"]
    if rp is not None:
        rp = _with_predikat(rp, "capaian_persen", "predikat")
        # The report evaluates the period's year; all years stay in the workbook.
        rp_year = rpjmd_current(data)
        notes = _reference_notes(reference, "rpjmd_indikator", "kode_indikator")
        names = ["kode_indikator", "indikator", "satuan", "polaritas", "tahun", "target", "realisasi",
                 "capaian_persen", "predikat"]
        formula = ("Capaian = realisasi / target x 100 (polaritas positif) atau (2 x target - realisasi) / target x "
                   "100 (polaritas negatif). Target atau realisasi yang belum tersedia membuat capaian dan predikat "
                   "kosong (–), bukan nol.")
        notes_table = [formula]
        if notes and "kode_indikator" in rp_year:
            ket = rp_year["kode_indikator"].astype(str).map(notes).fillna("")
            if ket.nunique() == 1 and ket.iloc[0]:
                notes_table.append(f"Keterangan semua indikator: {ket.iloc[0]}.")
            elif ket.ne("").any():
                rp_year = rp_year.assign(keterangan=ket)
                names.append("keterangan")
        table = make_table("evaluasi_rpjmd", f"Evaluasi indikator RPJMD tahun {str(summary['period'])[:4]} "
                           f"(s.d. {summary['periode_teks']})", rp_year, names, None, min_cell, notes=notes_table)
        table.wide = True
        tables[table.key] = table
        full = make_table("evaluasi_rpjmd_xlsx", "Evaluasi indikator RPJMD 2021-2026", rp, names[:9], None, min_cell,
                          notes=[formula])
        full.sheet = "Evaluasi RPJMD"
        tables[full.key] = full
    tren = t["tren_rpjmd"]
    if tren is not None:
        status_col = next((c for c in tren.columns if c.startswith("status")), None)
        table = make_table("tren_rpjmd_xlsx", "Seri tahunan indikator RPJMD dan proyeksinya", tren,
                           list(tren.columns), None, min_cell)
        table.sheet = "Tren RPJMD"
        tables[table.key] = table
        if status_col and "kode_indikator" in tren:
            proj = next((c for c in tren.columns if c.startswith("proyeksi")), None)
            final = str(proj.split("_")[-1]) if proj else "2026"
            first = tren.drop_duplicates("kode_indikator").reset_index(drop=True)
            target = tren[tren["tahun"].astype(str) == final].set_index("kode_indikator")["target"] \
                if "tahun" in tren and "target" in tren else pd.Series(dtype=float)
            first[f"target_{final}"] = first["kode_indikator"].map(target)
            keep = ["kode_indikator", "indikator", "satuan", "polaritas", f"target_{final}"] + \
                   ([proj] if proj else []) + [status_col]
            table = make_table("tren_rpjmd", f"Proyeksi indikator RPJMD terhadap target {final}", first, keep, None,
                               min_cell)
            table.notes.append(f"Status \"sesuai jalur\" bila proyeksi tren realisasi mencapai target {final} "
                               "(indikator negatif: tidak melebihi target); \"data kurang\" bila realisasi kurang dari "
                               "dua tahun atau target tidak ada.")
            tables[table.key] = table
    return tables


def _trend_table(t: dict, min_cell: int) -> dict[str, Table]:
    """The monthly city-level trend (tren_bulanan.csv); suppressed if it ever carries a breakdown."""
    df = t["tren_bulanan"]
    if df is None:
        return {}
    df = df.copy()
    mask = None
    counts = [c for c in df.columns if c in PERSON_COUNTS]
    if counts and any(c in df.columns for c in BREAKDOWN_COLUMNS):
        period_col = next((c for c in ("bulan", "periode", "tahun") if c in df.columns), None)
        dependent = [c for c in df.columns if c.startswith(("nilai", "penerima_per", "capaian", "predikat"))]
        mask = suppression_mask(df, counts, min_cell, group_by=period_col, derived={c: counts for c in dependent})
    if "bulan" in df and df["bulan"].astype(str).str.fullmatch(r"\d{4}-\d{2}").all():
        df["bulan"] = df["bulan"].astype(str).map(period_in_words)
    table = make_table("tren_bulanan", "Tren bulanan penyaluran KMC tahun berjalan", df, list(df.columns), mask,
                       min_cell)
    table.sheet = "Tren Bulanan"
    return {table.key: table}


def build_tables(data: ProcessedData, min_cell: int, reference: Any = None) -> dict[str, Table]:
    """Build every report table with small counts suppressed, keyed by table name."""
    t = data.tables
    summary = headline_figures(data)
    tables: dict[str, Table] = {}
    tables.update(_area_tables(t, summary, min_cell))
    program_tables, program_hidden = _program_tables(t, summary, min_cell)
    tables.update(_opd_tables(t, summary, min_cell, program_hidden))
    tables.update(program_tables)
    tables.update(_overlap_tables(t, min_cell))
    tables.update(_rpjmd_tables(data, summary, reference, min_cell))
    tables.update(_trend_table(t, min_cell))
    tables.update(_rejected_tables(data))
    legend = _legend(min_cell)
    for table in tables.values():
        if table.has_hidden and legend not in table.notes:
            table.notes.append(legend)
    return tables


PROGRAM_NOTE = ("Capaian penerima = penerima unik / target penerima x 100; predikat memakai rentang "
                "Permendagri 86/2017 (lihat Catatan Metodologi). Target dan anggaran berasal dari katalog program.")


def _reference_notes(reference: Any, table: str, key: str) -> dict[str, str]:
    """Map a reference table's key to its ``keterangan`` (e.g. ``ilustratif``), if any."""
    df = getattr(reference, table, None) if reference is not None else None
    if df is None or key not in df.columns or "keterangan" not in df.columns:
        return {}
    ket = df[[key, "keterangan"]].astype(str)
    ket = ket[ket["keterangan"].str.strip().ne("") & ket["keterangan"].ne("<NA>")]
    # The first clause ("target ilustratif"), without its explanation: that is in the methodology.
    short = (ket["keterangan"].str.split(r"[;:]", n=1, regex=True).str[0].str.replace(r"\s*\(.*?\)", "", regex=True)
             .str.strip())
    return {k: v for k, v in zip(ket[key], short) if v}


def _rejected_tables(data: ProcessedData) -> dict[str, Table]:
    """Tables of quarantined rows by reason and by file, rejected files and skipped sheets."""
    tables: dict[str, Table] = {}
    counts = data.manifest.get("counts", {})
    by_reason = counts.get("quarantine_by_reason")
    if not by_reason and len(data.quarantine):
        by_reason = data.quarantine.groupby("alasan")["jumlah_baris"].sum().to_dict()
    read = counts.get("rows_read") or 0
    df = pd.DataFrame({"kode_alasan": list(REASON_LABEL)})
    df["alasan"] = df["kode_alasan"].map(REASON_LABEL)
    df["jumlah_baris"] = df["kode_alasan"].map(lambda c: int((by_reason or {}).get(c, 0)))
    extra = sorted(set(by_reason or {}) - set(REASON_LABEL))
    if extra:
        df = pd.concat([df, pd.DataFrame({"kode_alasan": extra, "alasan": extra,
                                          "jumlah_baris": [int(by_reason[c]) for c in extra]})], ignore_index=True)
    df["persen_dibaca"] = df["jumlah_baris"] / read * 100 if read else np.nan
    table = make_table("karantina_alasan", "Baris yang dikarantina menurut alasan (tingkat kota)", df,
                       ["alasan", "kode_alasan", "jumlah_baris", "persen_dibaca"], None, 5,
                       totals={"jumlah_baris": counts.get("rows_quarantined", int(data.quarantine_rows["jumlah_baris"].sum())
                                                          if len(data.quarantine_rows) else 0)},
                       total_label="Baris dikarantina")
    table.notes.append("Satu baris dapat memiliki lebih dari satu alasan, sehingga jumlah per alasan dapat melebihi "
                       "jumlah baris yang dikarantina.")
    table.sheet = "Data Ditolak"
    tables[table.key] = table

    if len(data.quarantine_rows):
        rows = data.quarantine_rows.copy()
        rows["opd"] = rows["sumber_file"].map(lambda f: data.file_opd.get(f, "(tidak dapat ditentukan)"))
        detail: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for f, sh, code, n in data.quarantine.itertuples(index=False):
            detail.setdefault((f, sh), []).append((int(n), ALASAN_SINGKAT.get(code, code)))
        rows["rincian_alasan"] = [
            "; ".join(f"{label}: {format_number(n)}" for n, label in sorted(detail.get((f, sh), []),
                                                                           key=lambda x: (-x[0], x[1])))
            for f, sh in zip(rows["sumber_file"], rows["sumber_sheet"])]
        rows["sumber_file"] = rows["sumber_file"].map(lambda p: Path(str(p)).name)
        rows = rows.sort_values(["opd", "sumber_file", "sumber_sheet"], kind="stable")
        table = make_table("karantina_berkas", "Baris yang dikarantina menurut OPD dan berkas", rows,
                           ["opd", "sumber_file", "sumber_sheet", "jumlah_baris", "rincian_alasan"], None, 5)
        table.notes.append("OPD ditentukan dari baris berkas yang sama yang diterima; berkas yang seluruh barisnya "
                           "ditolak ditandai \"(tidak dapat ditentukan)\". Rincian baris dikirim ke masing-masing "
                           "OPD dalam berkas umpan balik, bukan dalam laporan ini.")
        table.sheet = "Data Ditolak per Berkas"
        tables[table.key] = table

    rejected = pd.DataFrame([{"sumber_file": Path(str(r.get("path", ""))).name, "sumber_sheet": r.get("sheet") or "",
                              "alasan": r.get("reason", "")} for r in data.manifest.get("rejected_files", [])],
                            columns=["sumber_file", "sumber_sheet", "alasan"])
    tables["berkas_ditolak"] = make_table("berkas_ditolak", "Berkas atau sheet yang tidak dapat dibaca", rejected,
                                          ["sumber_file", "sumber_sheet", "alasan"], None, 5)
    skipped = pd.DataFrame([{"sumber_file": Path(str(r.get("path", ""))).name, "sumber_sheet": r.get("sheet") or ""}
                            for r in data.manifest.get("skipped_sheets", [])], columns=["sumber_file", "sumber_sheet"])
    tables["sheet_dilewati"] = make_table("sheet_dilewati", "Sheet yang dilewati (tidak berisi daftar penerima)",
                                          skipped, ["sumber_file", "sumber_sheet"], None, 5)
    return tables


# ======================================================================================
# Headline figures and narrative
# ======================================================================================

def rpjmd_current(data: ProcessedData) -> pd.DataFrame | None:
    """The RPJMD rows of the period's year (all rows when the table has no year), with predikat."""
    rp = data.tables["evaluasi_rpjmd"]
    if rp is None:
        return None
    rp = _with_predikat(rp, "capaian_persen", "predikat")
    if "tahun" in rp:
        this_year = rp[rp["tahun"].astype(str).str.strip() == data.period[:4]]
        if len(this_year):
            return this_year.reset_index(drop=True)
    return rp


def headline_figures(data: ProcessedData) -> dict[str, Any]:
    """Return the city-level headline aggregates (safe to publish; also ringkasan.json)."""
    t = data.tables
    counts = data.manifest.get("counts", {})
    kec, opd, prog = t["rekap_kecamatan"], t["rekap_opd"], t["rekap_program"]
    if data.penerima_unik is not None:
        penerima, basis = data.penerima_unik, "penerima.parquet"
    elif t["rekap_tumpang_tindih"] is not None:
        penerima, basis = int(_num(t["rekap_tumpang_tindih"], "penerima")), "rekap_tumpang_tindih"
    else:
        penerima, basis = int(_num(kec, "penerima_unik")), "rekap_kecamatan"
    penduduk = _num(kec, "penduduk")
    read = int(counts.get("rows_read", _num(opd, "baris_dibaca")))
    accepted = int(counts.get("rows_accepted", _num(opd, "baris_diterima")))
    quarantined = int(counts.get("rows_quarantined", _num(opd, "baris_karantina")))
    if opd is not None and len(opd):
        catalogue = opd[pd.to_numeric(opd.get("program_katalog", 0), errors="coerce").fillna(0) > 0]
        submitted = catalogue[pd.to_numeric(catalogue.get("baris_dibaca", 0), errors="coerce").fillna(0) > 0]
        opd_katalog, opd_mengirim = len(catalogue), len(submitted)
        belum = sorted(catalogue.loc[~catalogue.index.isin(submitted.index), "opd"].astype(str))
    else:
        opd_katalog, opd_mengirim, belum = 0, 0, []
    katalog = _num(opd, "program_katalog")
    program_tersalur = int((pd.to_numeric(prog["penerima_unik"], errors="coerce").fillna(0) > 0).sum()) \
        if prog is not None else 0
    rp = rpjmd_current(data)
    predikat = Counter()
    if rp is not None:
        predikat = Counter(p if p else "Belum dapat dinilai" for p in rp["predikat"].astype(str).replace("<NA>", ""))
    nilai = _num(kec, "nilai_total")
    return {
        "period": data.period,
        "periode_teks": period_in_words(data.period),
        "penerima_unik": int(penerima),
        "penerima_unik_sumber": basis,
        "jumlah_penyaluran": int(_num(kec, "jumlah_penyaluran")) if kec is not None else accepted,
        "nilai_total": int(round(nilai)),
        "penduduk": int(penduduk),
        "penerima_per_1000": round(penerima / penduduk * 1000, 4) if penduduk else None,
        "baris_dibaca": read,
        "baris_diterima": accepted,
        "baris_karantina": quarantined,
        "persen_baris_valid": round(accepted / read * 100, 4) if read else None,
        "opd_katalog": opd_katalog,
        "opd_mengirim": opd_mengirim,
        "opd_belum_mengirim": belum,
        "kelengkapan_opd_persen": round(opd_mengirim / opd_katalog * 100, 4) if opd_katalog else None,
        "kelengkapan_program_persen": round(_num(opd, "program_terisi") / katalog * 100, 4) if katalog else None,
        "program_katalog": int(len(prog)) if prog is not None else 0,
        "program_tersalur": program_tersalur,
        "berkas_masuk": len(data.manifest.get("inputs", [])),
        "berkas_ditolak": len(data.manifest.get("rejected_files", [])),
        "sheet_dilewati": len(data.manifest.get("skipped_sheets", [])),
        "predikat_rpjmd": dict(sorted(predikat.items())),
    }


def _change_phrase(now: float, before: float, unit: str = "", money: bool = False) -> Markup:
    """Describe a change in words: ``naik 312 orang (3,27%)``."""
    diff = now - before
    if diff == 0:
        return Markup("tetap")
    word = "naik" if diff > 0 else "turun"
    amount = format_rupiah(abs(diff)) if money else f"{format_number(abs(diff))}{unit}"
    pct = f" ({format_percent(abs(diff) / before * 100)})" if before else ""
    return Markup("{} <strong>{}</strong>{}").format(word, amount, pct)


def findings(summary: dict, tables: dict[str, Table], data: ProcessedData, previous: dict | None) -> list[Markup]:
    """Write the executive summary's key findings as short Indonesian sentences."""
    out: list[Markup] = []
    s = summary
    rate = "" if s["penerima_per_1000"] is None else Markup(", atau <strong>{}</strong> penerima per 1.000 penduduk").format(
        format_number(s["penerima_per_1000"], 2))
    out.append(Markup("Pada {}, KMC menyalurkan <strong>{}</strong> bantuan senilai <strong>{}</strong> kepada "
                      "<strong>{}</strong> penerima unik{}.").format(
        s["periode_teks"], format_number(s["jumlah_penyaluran"]), format_rupiah(s["nilai_total"]),
        format_number(s["penerima_unik"]), rate))
    prev_text = period_in_words(previous_period(data.period))
    if previous:
        out.append(Markup("Dibanding {}, penerima unik {}, jumlah penyaluran {} dan nilai bantuan {}.").format(
            prev_text, _change_phrase(s["penerima_unik"], previous.get("penerima_unik", 0), " orang"),
            _change_phrase(s["jumlah_penyaluran"], previous.get("jumlah_penyaluran", 0)),
            _change_phrase(s["nilai_total"], previous.get("nilai_total", 0), money=True)))
    elif data.tables["perubahan_kecamatan"] is not None:
        per = data.tables["perubahan_kecamatan"]
        before, now = _num(per, "penerima_unik_bulan_lalu"), _num(per, "penerima_unik")
        out.append(Markup("Dibanding {}, jumlah penerima unik seluruh kecamatan {}.").format(
            prev_text, _change_phrase(now, before, " orang")))
    else:
        out.append(Markup("Perbandingan dengan {} tidak tersedia (belum ada laporan bulan tersebut).").format(prev_text))
    kec = data.tables["rekap_kecamatan"]
    table = tables.get("rekap_kecamatan")
    if kec is not None and table is not None and "penerima_per_1000" in kec:
        idx = [c.name for c in table.columns].index("penerima_per_1000")
        visible = [(kec["kecamatan"].iloc[i], kec["penerima_per_1000"].iloc[i])
                   for i, row in enumerate(table.rows[:-1]) if not row.cells[idx].hidden
                   and not _is_missing(kec["penerima_per_1000"].iloc[i])]
        if len(visible) >= 2:
            hi, lo = max(visible, key=lambda x: x[1]), min(visible, key=lambda x: x[1])
            out.append(Markup("Cakupan tertinggi di Kecamatan <strong>{}</strong> ({} per 1.000 penduduk) dan terendah "
                              "di Kecamatan <strong>{}</strong> ({} per 1.000 penduduk).").format(
                hi[0], format_number(hi[1], 2), lo[0], format_number(lo[1], 2)))
    if s["opd_katalog"]:
        text = Markup("<strong>{} dari {}</strong> OPD pengelola bantuan ({}) telah mengirim data").format(
            s["opd_mengirim"], s["opd_katalog"], format_percent(s["kelengkapan_opd_persen"]))
        if s["opd_belum_mengirim"]:
            names = s["opd_belum_mengirim"]
            more = f" dan {len(names) - 6} OPD lain" if len(names) > 6 else ""
            text += Markup("; belum mengirim: {}{}.").format(", ".join(names[:6]), more)
        else:
            text += Markup(".")
        out.append(text)
    if s["baris_dibaca"]:
        counts = data.manifest.get("counts", {}).get("quarantine_by_reason") or {}
        top = max(counts.items(), key=lambda kv: kv[1]) if counts else None
        text = Markup("<strong>{}</strong> dari {} baris data valid; {} baris dikarantina").format(
            format_percent(s["persen_baris_valid"]), format_number(s["baris_dibaca"]),
            format_number(s["baris_karantina"]))
        if top and top[1]:
            text += Markup(", terutama karena {} ({} baris)").format(REASON_LABEL.get(top[0], top[0]).lower(),
                                                                    format_number(top[1]))
        out.append(text + Markup("."))
    if s["predikat_rpjmd"]:
        p = s["predikat_rpjmd"]
        total = sum(p.values())
        good = p.get("Sangat Tinggi", 0) + p.get("Tinggi", 0)
        low = p.get("Rendah", 0) + p.get("Sangat Rendah", 0)
        text = Markup("Dari <strong>{}</strong> indikator RPJMD yang dievaluasi, {} berpredikat Tinggi atau Sangat "
                      "Tinggi, {} Sedang, {} Rendah atau Sangat Rendah").format(total, good, p.get("Sedang", 0), low)
        if p.get("Belum dapat dinilai"):
            text += Markup(", dan {} belum dapat dinilai karena target atau realisasi belum tersedia").format(
                p["Belum dapat dinilai"])
        rp = rpjmd_current(data)
        if low and rp is not None:
            names = rp.loc[rp["predikat"].isin(["Rendah", "Sangat Rendah"]), "indikator"].astype(str).tolist()
            text += Markup(". Perlu perhatian: {}").format("; ".join(names[:5]))
        out.append(text + Markup("."))
    if s["program_katalog"]:
        out.append(Markup("<strong>{} dari {}</strong> jenis bantuan dalam katalog telah tersalur pada periode "
                          "ini.").format(s["program_tersalur"], s["program_katalog"]))
    return out


def recommendations(summary: dict, data: ProcessedData) -> list[str]:
    """Suggest follow-up actions from the period's figures (plain Indonesian sentences)."""
    s = summary
    out = []
    if s["opd_belum_mengirim"]:
        out.append(f"Dinas Kominfo menagih daftar penerima {period_in_words(data.period)} dari "
                   f"{len(s['opd_belum_mengirim'])} OPD yang belum mengirim data.")
    if s["baris_karantina"]:
        out.append(f"OPD pengirim memperbaiki {format_number(s['baris_karantina'])} baris yang dikarantina memakai "
                   "berkas umpan balik masing-masing, lalu mengirim ulang sebelum periode berikutnya diolah.")
    rp = rpjmd_current(data)
    if rp is not None:
        low = rp.loc[rp["predikat"].isin(["Rendah", "Sangat Rendah"]), "indikator"].astype(str).tolist()
        if low:
            out.append(f"Bappeda menelaah penyebab capaian rendah pada {len(low)} indikator RPJMD bersama OPD "
                       "pengampu dan menyesuaikan rencana kerja tahun berjalan.")
        empty = int((rp["predikat"].astype(str).str.strip() == "").sum())
        if empty:
            out.append(f"Melengkapi target atau realisasi untuk {empty} indikator RPJMD yang belum dapat dinilai.")
    if s["program_katalog"] and s["program_tersalur"] < s["program_katalog"]:
        out.append(f"Memastikan {s['program_katalog'] - s['program_tersalur']} jenis bantuan yang belum ada "
                   "penyalurannya memang belum dijadwalkan, bukan belum dilaporkan.")
    return out


def _delta(summary: dict, previous: dict | None) -> dict[str, dict[str, str]]:
    """Month-on-month change of the headline cards: text and direction (naik/turun)."""
    out = {}
    if not previous:
        return out
    for key, money in (("penerima_unik", False), ("jumlah_penyaluran", False), ("nilai_total", True)):
        before, now = previous.get(key), summary.get(key)
        if before is None or now is None:
            continue
        diff = now - before
        sign = "+" if diff > 0 else "−" if diff < 0 else "±"
        amount = format_rupiah_words(abs(diff)) if money else format_number(abs(diff))
        pct = f" ({format_percent(abs(diff) / before * 100, 1)})" if before else ""
        out[key] = {"teks": f"{sign}{amount}{pct}", "arah": "naik" if diff > 0 else "turun" if diff < 0 else ""}
    return out


SECTIONS = [("ringkasan", "Ringkasan Eksekutif"), ("kelengkapan", "Kelengkapan Data OPD"),
            ("cakupan", "Cakupan Wilayah"), ("rpjmd", "Evaluasi RPJMD"), ("program", "Kinerja Program"),
            ("ditolak", "Data yang Ditolak"), ("metodologi", "Catatan Metodologi")]


# ======================================================================================
# Methodology
# ======================================================================================

_REFERENCE_USES = [
    ("wilayah", "Kode dan nama kecamatan/kelurahan (kode Kemendagri)", "Resmi"),
    ("penduduk", "Jumlah penduduk per kelurahan (penyebut penerima per 1.000 penduduk)", None),
    ("program_bantuan", "Katalog jenis bantuan, OPD pengelola, target penerima dan anggaran", None),
    ("rpjmd_indikator", "Indikator dan target tahunan RPJMD 2021-2026", None),
    ("rpjmd_realisasi", "Realisasi indikator dari sumber di luar data KMC (mis. BPS)", None),
]


def _status_from_notes(df: pd.DataFrame | None) -> str | None:
    """Classify a reference table as Ilustratif / Perkiraan from its keterangan column."""
    if df is None or "keterangan" not in getattr(df, "columns", []):
        return None
    text = " ".join(df["keterangan"].astype(str).str.lower().tolist())
    if "ilustrasi" in text or "ilustratif" in text:
        return "Ilustratif"
    if any(w in text for w in ("perkiraan", "estimasi", "proyeksi", "taksiran")):
        return "Perkiraan"
    return None


def source_rows(reference: Any, data: ProcessedData) -> list[dict[str, str]]:
    """Describe each data source with its use and status: official, estimated or illustrative."""
    rows = [{"data": "Daftar penerima (BNBA) dari OPD",
             "guna": "Penerima, penyaluran dan nilai bantuan periode ini",
             "sumber": f"Dikirim OPD melalui Dinas Kominfo ({format_number(len(data.manifest.get('inputs', [])))} berkas)",
             "status": "Data administrasi OPD"}]
    if reference is None:
        rows.append({"data": "Tabel rujukan", "guna": "Wilayah, penduduk, katalog program, target RPJMD",
                     "sumber": "Informasi sumber tidak tersedia", "status": "Tidak diketahui"})
        return rows
    sources = getattr(reference, "sources", {}) or {}
    for name, use, fixed in _REFERENCE_USES:
        df = getattr(reference, name, None)
        origin = sources.get(name, "bawaan")
        own = str(origin) != "bawaan"
        status = _status_from_notes(df) or fixed or ("Dari pengguna" if own else "Bawaan (periksa)")
        sumber = f"Berkas pengguna {Path(str(origin)).name}" if own else "Bawaan workbook"
        if name == "rpjmd_realisasi" and df is not None and "sumber" in df.columns:
            cited = sorted({s for s in df["sumber"].astype(str) if s.strip() and s != "<NA>"})
            if cited:
                sumber += "; " + ", ".join(cited[:4]) + (" dll." if len(cited) > 4 else "")
        rows.append({"data": name + ".csv", "guna": use, "sumber": sumber, "status": status})
    return rows


# ======================================================================================
# Rendering: HTML, Excel, ringkasan.json, index
# ======================================================================================

def _environment() -> Environment:
    """The jinja2 environment over kmc_analysis/templates (autoescaping HTML)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["angka"] = lambda v, d=0: format_number(v, d)
    env.filters["rupiah"] = format_rupiah
    env.filters["persen"] = format_percent
    env.filters["rupiah_kata"] = format_rupiah_words
    env.filters["slug"] = slug
    return env


def _data_uri(path: Path) -> str:
    """Embed a PNG as a base64 data URI."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def external_references(html_text: str) -> list[str]:
    """List every src/href/url() in an HTML page that would load something from outside it."""
    found = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html_text, flags=re.IGNORECASE)
    found += re.findall(r"""url\(\s*["']?([^"')\s]+)""", html_text, flags=re.IGNORECASE)
    found += re.findall(r"""@import\s+["']([^"']+)""", html_text, flags=re.IGNORECASE)
    return [u for u in found if not u.startswith(("#", "data:", "mailto:"))]


def render_html(context: dict) -> str:
    """Render the report page from ``laporan.html.j2``."""
    return _environment().get_template("laporan.html.j2").render(**context)


@dataclass
class ReportResult:
    """The files one report run wrote and its headline figures."""

    html: Path
    xlsx: Path
    ringkasan: Path
    summary: dict


def _number_tables(tables: dict[str, Table], order: list[str]) -> None:
    """Number the tables in the order they appear in the HTML."""
    n = 0
    for key in order:
        if key in tables:
            n += 1
            tables[key].number = n


HTML_ORDER = ["rekap_opd", "evaluasi_opd", "rekap_kecamatan", "rekap_kelurahan_html", "perubahan_kecamatan",
              "evaluasi_rpjmd", "tren_rpjmd", "program_html", "rekap_tumpang_tindih", "kombinasi_program",
              "tren_bulanan", "karantina_alasan", "karantina_berkas", "berkas_ditolak", "sheet_dilewati"]
XLSX_ORDER = ["rekap_kecamatan", "rekap_kelurahan", "perubahan_kecamatan", "rekap_opd", "rekap_program",
              "evaluasi_rpjmd_xlsx", "evaluasi_program", "evaluasi_opd", "tren_rpjmd_xlsx", "tren_bulanan",
              "rekap_tumpang_tindih", "kombinasi_program", "karantina_alasan", "karantina_berkas"]


def build_report(paths: Any, min_cell: int = 5, reference: Any = None) -> ReportResult:
    """Write laporan_kmc_YYYY-MM.html, laporan_kmc_YYYY-MM.xlsx and ringkasan.json for one period.

    Args:
        paths: the run's :class:`~kmc_analysis.paths.RunPaths`; reads ``paths.processed``
            and the PNGs already in ``paths.reports``, writes into ``paths.reports``, and
            looks up last month's ``ringkasan.json`` under ``paths.reports_dir``.
        min_cell: smallest count of persons shown below city level.
        reference: the run's ``ReferenceData`` (for the sources and the illustrative /
            estimated notes in the methodology); None leaves those notes out.
    """
    data = load_processed(paths.processed, paths.period)
    out = Path(paths.reports)
    out.mkdir(parents=True, exist_ok=True)
    summary = headline_figures(data)
    summary["min_cell"] = int(min_cell)
    tables = build_tables(data, min_cell, reference)
    _number_tables(tables, HTML_ORDER)
    prev_path = Path(paths.reports_dir) / previous_period(paths.period) / "ringkasan.json"
    previous = json.loads(prev_path.read_text(encoding="utf-8")) if prev_path.exists() else None
    images = {name: {"src": _data_uri(out / name), "caption": caption}
              for name, caption in IMAGES if (out / name).exists()}
    figure_no = {name: i + 1 for i, name in enumerate(n for n, _ in IMAGES if n in images)}
    for name in images:
        images[name]["number"] = figure_no[name]
    manifest = data.manifest
    sources = source_rows(reference, data)
    status = {r["data"]: r["status"] for r in sources}
    context = {
        "period": paths.period,
        "periode_teks": summary["periode_teks"],
        "summary": summary,
        "previous": previous,
        "previous_text": period_in_words(previous_period(paths.period)),
        "findings": findings(summary, tables, data, previous),
        "tables": tables,
        "images": images,
        "min_cell": int(min_cell),
        "min_mark": primary_mark(min_cell),
        "sources": sources,
        "predikat_bands": [("≥ 91", "Sangat Tinggi"), ("76 – < 91", "Tinggi"), ("66 – < 76", "Sedang"),
                           ("51 – < 66", "Rendah"), ("< 51", "Sangat Rendah")],
        "tanggal_data": date_in_words(manifest.get("finished") or manifest.get("started")),
        "key_id": str(manifest.get("key_id", ""))[:12],
        "version": __version__,
        "versions": {k: v for k, v in (manifest.get("versions") or {}).items() if isinstance(v, str)},
        "alasan": REASON_LABEL,
        "file_html": f"laporan_kmc_{paths.period}.html",
        "file_xlsx": f"laporan_kmc_{paths.period}.xlsx",
        "illustrative": [r for r in sources if r["status"] in ("Ilustratif", "Perkiraan")],
        "penduduk_status": status.get("penduduk.csv", "") if status.get("penduduk.csv") in ("Ilustratif", "Perkiraan") else "",
        "rpjmd_status": status.get("rpjmd_indikator.csv", "") if status.get("rpjmd_indikator.csv") in ("Ilustratif", "Perkiraan") else "",
        "delta": _delta(summary, previous),
        "recommendations": recommendations(summary, data),
        "sections": SECTIONS,
    }
    html_path = out / f"laporan_kmc_{paths.period}.html"
    html_path.write_text(render_html(context), encoding="utf-8")
    xlsx_path = out / f"laporan_kmc_{paths.period}.xlsx"
    write_workbook(tables, summary, context, xlsx_path)
    ringkasan = out / "ringkasan.json"
    public = {k: v for k, v in summary.items()}
    public["files"] = {"html": html_path.name, "xlsx": xlsx_path.name}
    public["kmc_analysis"] = __version__
    ringkasan.write_text(json.dumps(public, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return ReportResult(html_path, xlsx_path, ringkasan, summary)


# --- Excel ------------------------------------------------------------------------------

_XLSX_FORMATS = {"int": "#,##0", "rupiah": '"Rp"#,##0', "pct": "0.00%", "dec": "#,##0", "rate": "#,##0.00"}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: Any, kind: str) -> Any:
    """Convert a raw cell value to what Excel stores (percent as a fraction, text cleaned)."""
    if _is_missing(value):
        return None
    if isinstance(value, str) and kind in ("int", "rupiah", "pct", "dec", "rate"):
        try:
            float(value)
        except ValueError:
            return _ILLEGAL.sub("", value)  # a label in a number column (the total row)
    if kind in ("int", "rupiah"):
        return int(round(float(value)))
    if kind == "pct":
        return round(float(value) / 100, 8)
    if kind in ("dec", "rate"):
        return round(float(value), 6)
    return _ILLEGAL.sub("", str(value))


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

    def __init__(self, periode: str):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.Alignment, self.Font, self.PatternFill = Alignment, Font, PatternFill
        thin = Side(style="thin", color="B7C3D0")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.periode = periode
        self.wb = Workbook()
        self.wb.properties.title = f"Laporan Evaluasi KMC {periode}"
        self.wb.properties.creator = "Bappeda Kota Metro (kmc_analysis)"
        self.first = True

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
        total_fill = self.PatternFill("solid", fgColor="E3EAF2")
        for row in rows:
            r += 1
            lines = 1
            for j, (col, cell) in enumerate(zip(cols, row.cells), start=1):
                c = ws.cell(row=r, column=j)
                c.font = self.font()
                if cell.hidden:
                    c.value = cell.text
                    c.alignment = self.Alignment(horizontal="right", vertical="top")
                else:
                    value = _xlsx_value(cell.value, col.kind)
                    c.value = value
                    if isinstance(value, str) and value.startswith("="):
                        c.data_type = "s"  # text, never a formula
                    if col.numeric and not isinstance(value, str):
                        c.number_format = _XLSX_FORMATS[col.kind]
                        if col.kind == "dec" and isinstance(value, float) and value != round(value):
                            c.number_format = "#,##0.00" if abs(value) >= 1 else "0.000"
                        c.alignment = self.Alignment(vertical="top")
                    else:
                        c.alignment = self.Alignment(wrap_text=True, vertical="top")
                        lines = max(lines, _lines(cell.text, widths[j - 1]))
                    key = slug(cell.text)
                    if col.kind in ("predikat", "status") and key in self.FILLS:
                        c.fill = self.PatternFill("solid", fgColor=self.FILLS[key])
                        c.font = self.font(bold=True, color="000000" if key in ("sedang", "data-kurang") else "FFFFFF")
                        c.alignment = self.Alignment(horizontal="center", vertical="top")
                c.border = self.border
                if row.kind == "total":
                    c.font, c.fill = self.font(bold=True), total_fill
            if lines > 1:
                ws.row_dimensions[r].height = self.LINE * lines + 2
        self.notes(ws, r + 2, table.notes, len(cols), sum(widths))
        self.finish(ws, header, widths)

    def save(self, path: Path) -> Path:
        """Write the workbook."""
        self.wb.save(path)
        return path


def write_workbook(tables: dict[str, Table], summary: dict, context: dict, path: Path) -> Path:
    """Write the report workbook: Ringkasan, one formatted sheet per table, and Catatan."""
    book = _Sheets(context["periode_teks"])
    s = summary
    ws = book.sheet("Ringkasan", f"Ringkasan Evaluasi Kartu Metro Ceria (KMC) – {context['periode_teks']}")
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
        items.append((f"Indikator RPJMD berpredikat {label}", count, "int", f"tahun {s['period'][:4]}"))
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
        if key in tables and tables[key].columns and tables[key].rows:
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
        ("Predikat: ≥ 91 Sangat Tinggi; 76 – < 91 Tinggi; 66 – < 76 Sedang; 51 – < 66 Rendah; < 51 Sangat Rendah.",
         False),
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


# --- Index --------------------------------------------------------------------------------

def build_index(reports_dir: str | Path) -> Path:
    """Write ``reports_dir/index.html`` listing every published period, newest first.

    Reads each ``reports_dir/YYYY-MM/ringkasan.json`` (city-level headline figures only)
    and links to the period's HTML and Excel report relative to ``reports_dir``. Call it
    after a run's outputs have been moved into place (the runner), or at the end of a
    notebook run by hand (no staging).
    """
    root = Path(reports_dir)
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", p.name)),
                         key=lambda p: p.name, reverse=True):
        summary_path = folder / "ringkasan.json"
        summary = {}
        if summary_path.exists():
            try:
                summary = json.loads(summary_path.read_text(encoding="utf-8"))
            except ValueError:
                summary = {}
        html_name, xlsx_name = f"laporan_kmc_{folder.name}.html", f"laporan_kmc_{folder.name}.xlsx"
        if not (folder / html_name).exists() and not summary:
            continue
        entries.append({
            "period": folder.name,
            "periode_teks": period_in_words(folder.name),
            "html": f"{folder.name}/{html_name}" if (folder / html_name).exists() else None,
            "xlsx": f"{folder.name}/{xlsx_name}" if (folder / xlsx_name).exists() else None,
            "s": summary,
        })
    html = _environment().get_template("index.html.j2").render(entries=entries, version=__version__)
    path = root / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
