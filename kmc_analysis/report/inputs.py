"""Read what the report may use from one period's processed folder (aggregates only).

Stage 4 reads the aggregate tables of ``PROCESSED/YYYY-MM/`` (rekap, evaluation, trend and
targeting tables, the manifest), stage 2's city summary and suppression record, the DTKS
read summary, three columns of the quarantine (file, sheet, reason), two of the review
flags (OPD, flags) and, from the accepted rows, the file -> OPD pairs, all
through :mod:`kmc_analysis.core.store`. No name, NIK or pseudonym is ever read.
:func:`suppression_for` gives the cells to hide: stage 2's record, or the same decision
made again when stage 2 left none for this ``min_cell``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kmc_analysis.core.errors import StageError
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import (
    EVALUASI_OPD,
    EVALUASI_PROGRAM,
    EVALUASI_RPJMD,
    KARANTINA,
    KETEPATAN_SASARAN,
    KOMBINASI_PROGRAM,
    MANIFEST,
    PENERIMA,
    PERUBAHAN_KECAMATAN,
    REKAP_KATEGORI_KELURAHAN,
    REKAP_KECAMATAN,
    REKAP_KELURAHAN,
    REKAP_OPD,
    REKAP_PROGRAM,
    REKAP_TUMPANG_TINDIH,
    RINGKASAN_KOTA,
    TINJAUAN,
    TREN_BULANAN,
    TREN_RPJMD,
    has,
    has_city_summary,
    has_manifest,
    read_city_summary,
    read_distinct,
    read_dtks_summary,
    read_manifest,
    read_suppression,
    read_table,
)
from kmc_analysis.clean.review import review_counts
from kmc_analysis.core.disclosure import Penyamaran
from kmc_analysis.coverage.display import load_coverage, suppress_coverage
from kmc_analysis.evaluation.capaian import predikat

#: Processed tables the report reads: the required ones stages 1-3 always write, the optional ones may be absent.
REQUIRED_TABLES = (REKAP_OPD, REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_PROGRAM, EVALUASI_RPJMD)
OPTIONAL_TABLES = (REKAP_TUMPANG_TINDIH, KOMBINASI_PROGRAM, PERUBAHAN_KECAMATAN, EVALUASI_PROGRAM, EVALUASI_OPD,
                   TREN_BULANAN, TREN_RPJMD, REKAP_KATEGORI_KELURAHAN, KETEPATAN_SASARAN)


@dataclass
class ProcessedData:
    """What the report reads from one period's processed folder (aggregates only).

    ``tables`` is keyed by table (``rekap_kecamatan``, ...); an absent optional table is None.
    """

    period: Period
    manifest: dict
    tables: dict[str, pd.DataFrame | None]
    quarantine: pd.DataFrame  # sumber_file, sumber_sheet, alasan, jumlah_baris (one row per file/sheet/code)
    quarantine_rows: pd.DataFrame  # sumber_file, sumber_sheet, jumlah_baris (rows, not codes)
    file_opd: dict[str, str]
    kota: dict  # stage 2's city-level headline figures (coverage.rekap.city_summary)
    folder: Path | None = None  # the processed period folder read
    suppression: dict | None = None  # stage 2's suppression record (store.write_suppression)
    review: pd.DataFrame | None = None  # review flags per OPD (clean.review.review_counts); None: no tinjauan.csv
    dtks: dict | None = None  # what stage 3 read from RAW/dtks/ (counts only); None: targeting not assessed

    @property
    def synthetic(self) -> bool:
        """Whether the month's input was made by ``kmc synth`` (the manifest's ``data_sintetis``)."""
        return bool(self.manifest.get("data_sintetis", False))


def _read_quarantine(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count quarantined rows by file, sheet and reason, reading only those three columns.

    The original cells (personal data) after the fourth column are never read.
    """
    keys = ["sumber_file", "sumber_sheet"]
    table = read_table(folder, KARANTINA, columns=[*keys, "alasan"], missing_ok=True)
    if table is None:
        return (pd.DataFrame(columns=[*keys, "alasan", "jumlah_baris"]),
                pd.DataFrame(columns=[*keys, "jumlah_baris"]))
    rows = table.groupby(keys, sort=False).size().rename("jumlah_baris").reset_index()
    codes = table.assign(alasan=table["alasan"].str.split(";")).explode("alasan")
    codes["alasan"] = codes["alasan"].str.strip()
    codes = codes[codes["alasan"] != ""].groupby([*keys, "alasan"], sort=False).size()
    return codes.rename("jumlah_baris").reset_index(), rows


def _file_opd(folder: Path) -> dict[str, str]:
    """Each source file's OPD, from the accepted rows (only ``sumber_file`` and ``opd`` are read).

    A file whose rows name several OPDs gets the first of them in alphabetical order.
    """
    pairs = read_distinct(folder, PENERIMA, ["sumber_file", "opd"])
    if pairs is None:
        return {}
    return pairs.groupby("sumber_file")["opd"].min().to_dict()


def _review(folder: Path) -> pd.DataFrame | None:
    """Review flags per OPD from tinjauan.csv (only its opd and tanda columns are read)."""
    flags = read_table(folder, TINJAUAN, columns=["opd", "tanda"], missing_ok=True)
    return None if flags is None else review_counts(flags)


def load_processed(processed: str | Path, period: Period | None = None) -> ProcessedData:
    """Read the aggregates of one period's processed folder for the report."""
    processed = Path(processed)
    period = period or Period.parse(processed.name)
    missing = ([] if has_manifest(processed) else [MANIFEST]) + [
        table.name for table in REQUIRED_TABLES if not has(processed, table)] + (
        [] if has_city_summary(processed) else [RINGKASAN_KOTA])
    if missing:
        raise StageError(
            f"Laporan membutuhkan {', '.join(missing)} di {processed}, yang ditulis tahap 1-3: jalankan "
            f"`kmc run --period {period}` lebih dulu."
        )
    tables = {table.key: read_table(processed, table, missing_ok=True) for table in REQUIRED_TABLES + OPTIONAL_TABLES}
    quarantine, quarantine_rows = _read_quarantine(processed)
    return ProcessedData(period, read_manifest(processed), tables, quarantine, quarantine_rows, _file_opd(processed),
                         read_city_summary(processed), processed, read_suppression(processed), _review(processed),
                         read_dtks_summary(processed))


def suppression_for(data: ProcessedData, min_cell: int) -> Penyamaran:
    """The cells to hide at ``min_cell``: stage 2's record when it was made for it, else decided again.

    Deciding again reads stage 2's tables, the nominal column of the accepted rows and
    last month's processed folder, exactly as stage 2 does.
    """
    if data.suppression is not None and int(data.suppression.get("min_cell", -1)) == int(min_cell):
        return Penyamaran.from_json(data.suppression)
    folder = data.folder
    rows = read_table(folder, PENERIMA, columns=["nominal"], missing_ok=True)
    programs = data.tables["rekap_program"]
    return suppress_coverage(load_coverage(folder), min_cell, rows["nominal"] if rows is not None else None,
                             len(programs) if programs is not None else 0,
                             folder.parent / str(data.period.previous()))


def column_total(df: pd.DataFrame | None, col: str) -> float:
    """Sum a numeric column, 0 when the table or column is absent."""
    if df is None or col not in df.columns:
        return 0.0
    return float(pd.to_numeric(df[col], errors="coerce").fillna(0).sum())


def with_predikat(df: pd.DataFrame, capaian: str, predikat_column: str) -> pd.DataFrame:
    """Add a predikat column from a capaian column when the stage did not write one."""
    if predikat_column not in df.columns and capaian in df.columns:
        df = df.copy()
        df[predikat_column] = predikat(df[capaian])
    return df


def rpjmd_current(data: ProcessedData) -> pd.DataFrame | None:
    """The RPJMD rows of the period's year (all rows when the table has no year), with predikat."""
    rp = data.tables["evaluasi_rpjmd"]
    if rp is None:
        return None
    rp = with_predikat(rp, "capaian_persen", "predikat")
    if "tahun" in rp:
        this_year = rp[rp["tahun"].astype(str).str.strip() == str(data.period.year)]
        if len(this_year):
            return this_year.reset_index(drop=True)
    return rp
