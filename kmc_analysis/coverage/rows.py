"""The accepted rows as stage 2 counts them: the columns it needs, persons and programs as integer codes.

``penerima`` is the stage 1 hand-off (``store.PENERIMA``, CONTRACT section 3): one row per
accepted row with id_penerima, kode_bantuan, kode_kecamatan, kode_kelurahan ("" when only
the kecamatan was given) and nominal. Only those columns are read: names and masked NIKs
never enter stage 2's counting. Counting distinct integers per code is many times faster
than grouping a million texts, so :func:`normalised` codes them once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.errors import StageError
from kmc_analysis.core.store import PENERIMA, read_table

#: The columns of the accepted rows this stage reads: never names or masked NIKs.
PENERIMA_USED = ["id_penerima", "kode_bantuan", "kode_kecamatan", "kode_kelurahan", "nominal"]
#: The integer code columns :func:`normalised` adds: one per id_penerima, and per kode_bantuan
#: its place among the sorted kode (the kode columns become categorical, categories sorted).
PERSON, PROGRAM = "_orang", "_program"
_KEYS = ("kode_bantuan", "kode_kecamatan", "kode_kelurahan")


def read_penerima(folder: str | Path) -> pd.DataFrame:
    """Read the columns of a month's accepted rows stage 2 needs (never names or NIKs)."""
    return read_table(Path(folder), PENERIMA, columns=PENERIMA_USED)


def normalised(penerima: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows with integer person and program codes and categorical kode columns (once)."""
    if {PERSON, PROGRAM} <= set(penerima.columns):  # normalised already (build_coverage does it once)
        return penerima
    missing = [c for c in PENERIMA_USED if c not in penerima.columns]
    if missing:
        raise StageError(f"{PENERIMA.name} tidak memuat kolom {', '.join(missing)} (stage 1 output is incomplete).")
    rows = penerima[PENERIMA_USED].copy()
    rows["nominal"] = rows["nominal"].astype("int64")
    rows[PERSON] = pd.factorize(rows.pop("id_penerima").astype("string").fillna(""))[0].astype("int64")
    for column in _KEYS:
        rows[column] = rows[column].astype("string").fillna("").astype("category")
    rows[PROGRAM] = codes(rows, "kode_bantuan")
    return rows


def codes(rows: pd.DataFrame, column: str) -> np.ndarray:
    """The integer code of each row's ``column`` (a kode column of normalised rows); -1 where it is ""."""
    code = rows[column].cat.codes.to_numpy(dtype="int64")
    return np.where(rows[column].cat.categories[code] == "", -1, code) if len(code) else code


def labels(rows: pd.DataFrame, column: str) -> pd.Series:
    """The kode of each code of :func:`codes`, in code order."""
    return pd.Series(rows[column].cat.categories, dtype="string", name=column)
