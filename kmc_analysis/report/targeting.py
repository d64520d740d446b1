"""The report's "Ketepatan Sasaran" chapter: targeting against DTKS and review flags per OPD.

Stage 3 wrote ``ketepatan_sasaran.csv`` (when ``RAW/dtks/`` exists) and the DTKS read
summary; stage 1 wrote ``tinjauan.csv``. This module turns them into display tables through
the rule table (``RULES["ketepatan_sasaran"]``): the city and program rows in full, the
kecamatan rows with :func:`~kmc_analysis.evaluation.targeting.kecamatan_mask` (small counts
and what would give them away hidden), and the review flags per OPD in full (a city-level
count of rows per OPD, CONTRACT section 3). The sentences are stage 3's own
(:func:`~kmc_analysis.evaluation.targeting.targeting_summary`), so notebook and report say
the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kmc_analysis.clean.review import TANDA, TANDA_LABEL
from kmc_analysis.core.disclosure import RULES, unit_codes
from kmc_analysis.core.periods import Period
from kmc_analysis.evaluation.targeting import KECAMATAN, KOTA, KOTA_RUMAH_TANGGA, PROGRAM, kecamatan_mask, \
    targeting_summary
from kmc_analysis.report.table_model import LABELS, Table, make_table

#: Report table keys of the chapter, in page order.
TARGETING_TABLES = ("sasaran_kota", "sasaran_kecamatan", "sasaran_program", "tinjauan_opd")
_COLUMNS = ["kode", "nama", "penerima_unik", "penerima_dtks", "persen_penerima_dtks", "dtks_unik", "dtks_menerima",
            "persen_dtks_terjangkau"]
_HEADERS = {"kode": "Kode", "nama": "Wilayah / Program", "penerima_unik": "Penerima Program Miskin",
            "penerima_dtks": "Penerima Terdaftar di DTKS", "persen_penerima_dtks": "Penerima di DTKS (%)",
            "dtks_unik": "Orang DTKS", "dtks_menerima": "Orang DTKS yang Menerima",
            "persen_dtks_terjangkau": "DTKS Terjangkau (%)", "baris_ditinjau": "Baris Ditinjau",
            **{f"tanda_{code}": TANDA_LABEL[code] for code in TANDA}}


@dataclass
class TargetingChapter:
    """What the chapter shows: whether targeting was assessed, its sentences and its tables."""

    assessed: bool
    sentences: list[str] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)


def _labelled(table: Table) -> Table:
    """Put the chapter's Indonesian headers on a table made by ``make_table``."""
    for column in table.columns:
        column.label = _HEADERS.get(column.name, LABELS.get(column.name, column.label))
    return table


def targeting_chapter(ketepatan: pd.DataFrame | None, tinjauan_counts: pd.DataFrame | None, period: Period,
                      min_cell: int, dtks: dict | None) -> TargetingChapter:
    """Build the chapter from stage 3's ketepatan_sasaran rows and stage 1's review counts per OPD."""
    _, sentences = targeting_summary(ketepatan, tinjauan_counts, period, min_cell, dtks)
    chapter = TargetingChapter(ketepatan is not None, sentences)
    tables = chapter.tables
    if ketepatan is not None:
        level = ketepatan["tingkat"].astype("str")
        city = ketepatan.loc[level.isin([KOTA, KOTA_RUMAH_TANGGA])].reset_index(drop=True)
        tables["sasaran_kota"] = make_table(
            "sasaran_kota", f"Ketepatan sasaran tingkat kota, {period.in_words()}", city, _COLUMNS, None, min_cell,
            notes=["Penerima program miskin = penerima unik program dengan sasaran_miskin = ya. Baris rumah tangga "
                   "menghitung Nomor KK di DTKS yang salah satu anggotanya menerima."])
        kecamatan = ketepatan.loc[level == KECAMATAN].reset_index(drop=True)
        mask = kecamatan_mask(kecamatan, min_cell)
        units = unit_codes(kecamatan, RULES["ketepatan_sasaran"]).tolist()
        tables["sasaran_kecamatan"] = make_table(
            "sasaran_kecamatan", f"Ketepatan sasaran per kecamatan, {period.in_words()}", kecamatan, _COLUMNS, mask,
            min_cell, units=units,
            notes=["Penerima dihitung di kecamatan tempat tinggal yang tercatat pada baris bantuannya; orang DTKS di "
                   "kecamatan menurut alamat DTKS. Seseorang yang tercatat di dua kecamatan dihitung di keduanya."])
        programs = ketepatan.loc[level == PROGRAM].reset_index(drop=True)
        tables["sasaran_program"] = make_table(
            "sasaran_program", f"Ketepatan sasaran per program untuk rumah tangga miskin, {period.in_words()}",
            programs, _COLUMNS, None, min_cell,
            notes=["Untuk program, Orang DTKS adalah seluruh orang DTKS kota dan Orang DTKS yang Menerima adalah "
                   "mereka yang menerima program itu. Angka tingkat kota, diterbitkan lengkap."])
    if tinjauan_counts is not None and len(tinjauan_counts):
        # the flag columns are named tanda_* so that the table model reads them as counts (not Rupiah)
        counts = (tinjauan_counts.sort_values(["baris_ditinjau", "opd"], ascending=[False, True])
                  .rename(columns={code: f"tanda_{code}" for code in TANDA}).reset_index(drop=True))
        flags = [f"tanda_{code}" for code in TANDA]
        tables["tinjauan_opd"] = make_table(
            "tinjauan_opd", f"Baris penerima yang perlu ditinjau OPD, {period.in_words()}", counts,
            ["opd", "baris_ditinjau", *flags], None, min_cell,
            totals={column: int(counts[column].sum()) for column in ["baris_ditinjau", *flags]}, total_label="Jumlah",
            notes=["Tanda tinjauan bukan kesalahan: baris tetap dihitung. Satu baris dapat membawa lebih dari satu "
                   "tanda. Daftar barisnya dikirim ke OPD pengirim di sheet Perlu Dicek berkas umpan baliknya."])
    sheets = {"sasaran_kota": "Sasaran Kota", "sasaran_kecamatan": "Sasaran Kecamatan",
              "sasaran_program": "Sasaran Program", "tinjauan_opd": "Tinjauan OPD"}
    for key, table in tables.items():
        table.sheet = sheets[key]
        _labelled(table)
    return chapter


def targeting_figures(ketepatan: pd.DataFrame | None, tinjauan_counts: pd.DataFrame | None) -> dict:
    """City-level targeting and review figures for the report summary (``ringkasan.json``).

    ``ketepatan_sasaran_dinilai`` is False without a DTKS extract; the shares are the city
    row's (None when their base is zero); ``baris_ditinjau`` is None without tinjauan.csv.
    """
    out: dict = {"ketepatan_sasaran_dinilai": ketepatan is not None, "persen_penerima_dtks": None,
                 "persen_dtks_terjangkau": None,
                 "baris_ditinjau": None if tinjauan_counts is None else int(tinjauan_counts["baris_ditinjau"].sum())}
    if ketepatan is not None:
        city = ketepatan.loc[ketepatan["tingkat"].astype("str") == KOTA]
        for column in ("persen_penerima_dtks", "persen_dtks_terjangkau"):
            value = city[column].iloc[0] if len(city) else None
            out[column] = None if value is None or pd.isna(value) else float(value)
    return out
