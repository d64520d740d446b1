"""Rows below a header that are not data: totals, column numbers, notes (CONTRACT 2.2).

Government spreadsheets carry rows that describe the table rather than a person: a
``JUMLAH`` or ``SUB TOTAL`` row, a row of column numbers ``1 2 3 ...`` right below the
header (Kemendes BNBA), and below the last person notes, ``###`` end markers and signature
blocks (``Mengetahui,``, ``Kepala Dinas ...``, ``NIP. 19...``). They are listed in the
manifest's ``skipped_rows``, never counted in ``rows_read`` and never sent back to an OPD.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.clean.normalize import arrow_text

#: Kinds of skipped rows, and how notebook 01 and the report name them.
SKIPPED_KINDS = {
    "jumlah": "baris jumlah/total",
    "nomor_kolom": "baris nomor kolom di bawah judul",
    "catatan": "catatan, tanda tangan atau penanda akhir di bawah tabel",
}
_TOTAL_LABEL = r"^[ \t]*(?:jumlah|total|sub[ \t]*-?[ \t]*total|grand[ \t]*total)(?:$|[^a-z])"
_COLUMN_NUMBER = r"^[ \t]*\(?[ \t]*([0-9]{1,3})[ \t]*\)?[ \t]*$"
#: A NIK cell "holds a NIK" when, after a leading apostrophe and spaces, it starts with a digit.
#: (Written with the characters themselves, not ``\u`` escapes, so pandas hands it to pyarrow's fast engine.)
_STARTS_WITH_DIGIT = "^[ \t\u00a0]*['\u2019]?[ \t\u00a0]*[0-9]"
_HAS_DIGIT = r"[0-9]"


def non_data_rows(frame: pd.DataFrame) -> pd.Series:
    """The rows that are not data, with their kind (``jumlah``, ``nomor_kolom``, ``catatan``).

    ``frame`` holds the non-empty rows below one header, columns named as ``headers``
    names them, in row order. Returns a Series indexed like ``frame`` holding only the
    rows to skip (most sheets: none). A row "holds a NIK" when its NIK cell starts with
    a digit (so ``NIP. 19...`` or ``Mengetahui,`` typed in the NIK column do not count).
    """
    kind: dict[object, str] = {}
    if frame.empty:
        return pd.Series(kind, dtype="str")
    holds_nik = _holds_nik(_column(frame, "nik"))

    first = frame.index[0]
    if _is_column_number_row(frame.loc[first]):
        kind[first] = "nomor_kolom"

    candidates = frame.index[~holds_nik]
    candidates = candidates[~candidates.isin(list(kind))]
    if len(candidates):
        cells = frame.loc[candidates].to_numpy(dtype=object)
        labels = pd.Series(cells.ravel(), dtype="str").str.contains(_TOTAL_LABEL, case=False, regex=True)
        totals = labels.fillna(False).to_numpy(dtype=bool).reshape(cells.shape).any(axis=1)
        kind.update(dict.fromkeys(candidates[totals], "jumlah"))

    if holds_nik.any():
        last_person = frame.index[holds_nik][-1]
        tail = frame.index[frame.index > last_person]
        tail = tail[~tail.isin(list(kind))]
        if len(tail):
            amount = _column(frame.loc[tail], "nominal").str.contains(_HAS_DIGIT, regex=True).fillna(False)
            kind.update(dict.fromkeys(tail[~amount.to_numpy(dtype=bool)], "catatan"))
    return pd.Series(kind, dtype="str").sort_index()


def _holds_nik(nik: pd.Series) -> np.ndarray:
    """Flag NIK cells that start with a digit, after spaces and an apostrophe (see :func:`non_data_rows`).

    Most cells of a month start with the digit itself: those are told by their first
    character, and only the others go through the regular expression.
    """
    import pyarrow.compute as pc

    first_is_digit = pc.ascii_is_decimal(pc.utf8_slice_codeunits(arrow_text(nik), 0, 1))
    holds = first_is_digit.to_numpy(zero_copy_only=False)
    others = np.flatnonzero(~holds)
    if len(others):
        holds[others] = nik.iloc[others].str.contains(_STARTS_WITH_DIGIT, regex=True).to_numpy(dtype=bool)
    return holds


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype("str").fillna("")
    return pd.Series("", index=frame.index, dtype="str")


def _is_column_number_row(row: pd.Series) -> bool:
    """Whether the non-empty cells of a row read 1, 2, 3, ... in order, at least three of them."""
    cells = [str(v) for v in row.tolist() if str(v).strip() and str(v) != "nan"]
    if len(cells) < 3:
        return False
    numbers = pd.Series(cells, dtype="str").str.extract(_COLUMN_NUMBER)[0]
    if numbers.isna().any():
        return False
    return numbers.astype("int64").tolist() == list(range(1, len(cells) + 1))


def skipped_summary(manifest: dict) -> pd.DataFrame:
    """How many rows of each kind were skipped where: one line per file, sheet and kind.

    Columns (Bahasa Indonesia, for notebook 01 and the report): ``berkas``, ``sheet``,
    ``jenis`` (what the rows are), ``jumlah_baris`` and ``baris`` (the row numbers, with
    runs written ``12-15``).
    """
    entries = pd.DataFrame(manifest.get("skipped_rows") or [], columns=["path", "sheet", "row", "kind"])
    columns = ["berkas", "sheet", "jenis", "jumlah_baris", "baris"]
    if entries.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "jumlah_baris" else "str") for c in columns})
    groups = entries.groupby(["path", "sheet", "kind"], sort=False)["row"]
    table = groups.agg(jumlah_baris="size", baris=lambda rows: row_ranges(rows.tolist())).reset_index()
    table["jenis"] = table["kind"].map(SKIPPED_KINDS).fillna(table["kind"])
    table = table.rename(columns={"path": "berkas"})
    return table[columns].astype({"jumlah_baris": "int64"})


def row_ranges(rows: list[int]) -> str:
    """Row numbers as compact text: ``[3, 4, 5, 9]`` -> ``"3-5, 9"``."""
    numbers = sorted(set(int(r) for r in rows))
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)
