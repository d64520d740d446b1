"""Read and write the tables of a processed period folder: one CSV writer, one reader, distinct rows.

CSV is written one way (see :mod:`kmc_analysis.core.store`); parquet as pandas writes it.
Readers take ``columns=`` so a stage reads only what it needs, and name a missing file
(with the stage to run), a missing column or a value that is no number.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from kmc_analysis.core.csv_text import write_csv
from kmc_analysis.core.errors import InputError, StageError
from kmc_analysis.core.formatting import formula_safe_frame
from kmc_analysis.core.store.layout import STAGE_NAMES, TableFile


def has(folder: Path, table: TableFile) -> bool:
    """Whether ``folder`` holds ``table``."""
    return (Path(folder) / table.name).is_file()


def remove(folder: Path, table: TableFile) -> None:
    """Delete ``table`` from ``folder`` if it is there (a stale optional table)."""
    (Path(folder) / table.name).unlink(missing_ok=True)


def write_table(folder: Path, table: TableFile, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as ``table`` into ``folder`` (created if needed); return the path.

    The frame's columns must be the declared ones in order (karantina.csv: followed by the
    original cells). Parquet is written as is; CSV the one way described above.
    """
    declared = table.column_names
    if list(frame.columns[:len(declared)]) != declared or (len(frame.columns) > len(declared)
                                                           and not table.more_columns):
        raise StageError(f"{table.name}: kolom {list(frame.columns)} tidak sama dengan kolom yang ditetapkan "
                         f"{declared}. Ini kesalahan program: mohon laporkan.")
    path = Path(folder) / table.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
        return path
    out = formula_safe_frame(frame)
    for column in out.columns:
        rule = table.floats.get(column, table.default_floats)
        if rule.decimals is not None and pd.api.types.is_float_dtype(out[column]):
            out[column] = rule.text(out[column])
    write_csv(out, path, bom=table.bom)
    return path


def read_table(folder: Path, table: TableFile, columns: Sequence[str] | None = None,
               missing_ok: bool = False) -> pd.DataFrame | None:
    """Read ``table`` from ``folder``: only ``columns`` when given, each as its declared dtype.

    A missing file is None with ``missing_ok``, else an InputError saying which stage to
    run first; a missing column or a value that is no number is a StageError naming both.
    """
    path = Path(folder) / table.name
    if not path.is_file():
        if missing_ok:
            return None
        raise InputError(f"{path} tidak ada: jalankan {STAGE_NAMES[table.stage]} untuk periode ini lebih dulu "
                         f"(`kmc run --period` untuk bulan itu).")
    wanted = list(columns) if columns is not None else None
    if path.suffix == ".parquet":
        if wanted:
            import pyarrow.parquet as pq

            _check_columns(path, table, wanted, pq.read_schema(path).names)
        return pd.read_parquet(path, columns=wanted)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                        usecols=(lambda column: column in wanted) if wanted else None)
    if wanted:
        _check_columns(path, table, wanted, frame.columns)
        frame = frame[wanted]
    for column in frame.columns:
        dtype = table.columns.get(column, "str")
        if dtype != "str":
            frame[column] = _numbers(path, column, frame[column], dtype)
    return frame


def read_distinct(folder: Path, table: TableFile, columns: Sequence[str]) -> pd.DataFrame | None:
    """The distinct rows of ``columns`` of a text-column ``table`` (in no set order); None when it is absent.

    A parquet table is read dictionary-encoded and grouped in Arrow: a million rows naming a
    few files and OPDs take milliseconds, where dropping duplicate texts in pandas takes half a second.
    """
    path = Path(folder) / table.name
    if path.suffix != ".parquet":
        rows = read_table(folder, table, columns=columns, missing_ok=True)
        return None if rows is None else rows.drop_duplicates(ignore_index=True)
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    wanted = list(columns)
    _check_columns(path, table, wanted, pq.read_schema(path).names)
    # each row group (a million rows) has a dictionary of its own: one for all before grouping
    distinct = pq.read_table(path, columns=wanted, read_dictionary=wanted).unify_dictionaries()
    distinct = distinct.group_by(wanted).aggregate([])
    return distinct.to_pandas().astype(dict.fromkeys(wanted, "str"))[wanted]


def _check_columns(path: Path, table: TableFile, wanted: list[str] | None, present) -> None:
    missing = [column for column in wanted or [] if column not in set(present)]
    if missing:
        raise StageError(f"{path} tidak memuat kolom {', '.join(missing)}: jalankan ulang tahap {table.stage} "
                         f"untuk bulan itu (the file lacks columns it must have).")


def _numbers(path: Path, column: str, text: pd.Series, dtype: str) -> pd.Series:
    """A CSV column of number text as ``dtype``; empty text is missing."""
    text = text.str.strip()
    numbers = pd.to_numeric(text.mask(text == ""), errors="coerce")
    bad = numbers.isna() & text.ne("")
    if bad.any() or (dtype == "int64" and numbers.isna().any()):
        shown = text[bad].iloc[0] if bad.any() else ""
        raise StageError(f"{path}, kolom {column}: '{shown}' bukan angka; jalankan ulang tahap yang menulisnya "
                         f"(a value that is no number).")
    return numbers.astype(dtype)


