"""Read what the report may use from one period's processed folder (aggregates only).

Stage 4 reads the aggregate files of ``PROCESSED/YYYY-MM/`` (rekap_*, evaluasi_*, tren_*,
manifest.json), three columns of karantina.csv (file, sheet, reason) and, from
penerima.parquet, the number of distinct ``id_penerima`` and the file -> OPD pairs. No
name, NIK or pseudonym is ever kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kmc_analysis.core.errors import StageError
from kmc_analysis.core.periods import Period
from kmc_analysis.evaluation.capaian import predikat
from kmc_analysis.report.table_model import column_kind

#: Processed CSVs the report reads: the optional ones may be absent, the required ones stages 1-3 always write.
OPTIONAL_TABLES = ("rekap_tumpang_tindih", "kombinasi_program", "perubahan_kecamatan", "evaluasi_program",
                   "evaluasi_opd", "tren_bulanan", "tren_rpjmd")
REQUIRED_TABLES = ("rekap_opd", "rekap_kecamatan", "rekap_kelurahan", "rekap_program", "evaluasi_rpjmd")


@dataclass
class ProcessedData:
    """What the report reads from one period's processed folder (aggregates only)."""

    period: Period
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

    The original cells (personal data) after the fourth column are never read.
    """
    keys = ["sumber_file", "sumber_sheet"]
    if not path.exists():
        return (pd.DataFrame(columns=[*keys, "alasan", "jumlah_baris"]),
                pd.DataFrame(columns=[*keys, "jumlah_baris"]))
    table = pd.read_csv(path, usecols=lambda c: c in (*keys, "alasan"), dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    table = table.reindex(columns=[*keys, "alasan"], fill_value="")
    rows = table.groupby(keys, sort=False).size().rename("jumlah_baris").reset_index()
    codes = table.assign(alasan=table["alasan"].str.split(";")).explode("alasan")
    codes["alasan"] = codes["alasan"].str.strip()
    codes = codes[codes["alasan"] != ""].groupby([*keys, "alasan"], sort=False).size()
    return codes.rename("jumlah_baris").reset_index(), rows


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


def load_processed(processed: str | Path, period: Period | None = None) -> ProcessedData:
    """Read the aggregates of one period's processed folder for the report."""
    processed = Path(processed)
    period = period or Period.parse(processed.name)
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
