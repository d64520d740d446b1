"""The overlap tables as published: persons by number of programs and the combinations of programs.

Each person's rows in a month are his programs (a second row of one program is quarantined),
so the city's published persons and rows give the sum of (programs - 1) over all persons.
Small rows of these tables are therefore joined or withheld before the shared small-count
protection (:mod:`kmc_analysis.core.suppression`) decides what else to hide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import small_count_mask

#: How the top row of the overlap table reads when it joins every larger number of programs.
OR_MORE = " atau lebih"


def top_coded_overlap(overlap: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The persons-by-number-of-programs table as published: the small top rows joined into ``k atau lebih``.

    ``overlap`` is stage 2's rekap_tumpang_tindih (one row per number of programs, 1 to the
    most any person holds). From the first row above 1 that holds fewer than ``min_cell``
    persons (0 included), every row is joined into one, labelled ``"k atau lebih"``, with
    its persons, share and value summed and its mean value per person recomputed. A small
    count of persons with many programs is otherwise pinned by the city's published persons
    and rows (each person's rows are his programs), however the rows are hidden; a joined
    row leaves the number of programs unknown. ``jumlah_bantuan`` becomes text ("1", "2",
    "4 atau lebih"). With ``min_cell`` 1 or less (no protection) only the text changes.
    """
    table = overlap.reset_index(drop=True)
    if not pd.api.types.is_integer_dtype(table["jumlah_bantuan"]):
        return table  # published already
    sizes = table["jumlah_bantuan"].astype("int64")
    small = (sizes >= 2) & (table["penerima"] < min_cell)
    if min_cell <= 1 or not small.any():
        return table.assign(jumlah_bantuan=sizes.astype("str"))
    first = int(small.to_numpy().argmax())
    kept, joined = table.iloc[:first], table.iloc[first:]
    persons, value = int(joined["penerima"].sum()), int(joined["nilai_total"].sum())
    total = int(table["penerima"].sum())
    top = {column: pd.NA for column in table.columns}
    top.update({
        "jumlah_bantuan": f"{int(sizes.iloc[first])}{OR_MORE}", "penerima": persons, "nilai_total": value,
        "persen_penerima": float(np.round(persons * 100.0 / total, 2)) if total else np.nan,
        "nilai_rata_rata_per_penerima": int(np.floor(value / persons + 0.5)) if persons else pd.NA,
    })
    out = pd.concat([kept.assign(jumlah_bantuan=sizes.iloc[:first].astype(str)), pd.DataFrame([top])],
                    ignore_index=True)
    return out.astype(dict(table.dtypes.items()) | {"jumlah_bantuan": "str"})[list(table.columns)]


def published_combinations(kombinasi: pd.DataFrame, min_cell: int, overlap: pd.DataFrame | None = None) -> pd.DataFrame:
    """The combinations of programs as published: those held by at least ``min_cell`` persons, or none.

    Each listed combination is a group of persons of its own, with its exact number of
    programs. A row shown ``<N`` tells at least one person holds that many, and a few such
    rows pinned the small ``k atau lebih`` row of :func:`top_coded_overlap` (four distinct
    combinations of 4 or more programs under a ``<5`` row: exactly 4 persons), so a rare
    combination is left out. Even then the listed ones bound the number of persons with 2, 3,
    ... programs from below, and with the city's persons and rows that bounds a small joined
    row from above; and a joined row that is not small may hide a small number of programs,
    which the combinations of its largest numbers and the city's rows give back. So when
    ``overlap`` (stage 2's table, one row per number of programs) has a row of 1 to N-1
    persons, no combination is published at all (:func:`combinations_withheld`).
    """
    table = kombinasi.reset_index(drop=True)
    if min_cell <= 1 or "penerima" not in table:
        return table
    if combinations_withheld(overlap, min_cell):
        return table.iloc[0:0]
    return table.loc[pd.to_numeric(table["penerima"], errors="coerce") >= min_cell].reset_index(drop=True)


def combinations_withheld(overlap: pd.DataFrame | None, min_cell: int) -> bool:
    """Whether no combination is published beside ``overlap``: some number of programs is held by 1 to N-1 persons.

    ``overlap`` is stage 2's table, one row per number of programs. Given a table already
    published (a joined ``k atau lebih`` row hides its numbers), a joined row counts as
    small whatever its total.
    """
    if overlap is None or min_cell <= 1:
        return False
    joined = overlap["jumlah_bantuan"].astype(str).str.endswith(OR_MORE)
    return bool(small_count_mask(overlap["penerima"], min_cell).any() or joined.any())


def combinations_note(overlap: pd.DataFrame | None, min_cell: int) -> str | None:
    """The sentence under the published combinations table: why none is listed, or which are (None: all are)."""
    if combinations_withheld(overlap, min_cell):
        return (f"Kombinasi tidak diterbitkan untuk periode ini: sebagian kelompok penerima beberapa jenis bantuan "
                f"kurang dari {min_cell} orang, dan kombinasi yang tercantum akan membantu menghitungnya.")
    if min_cell > 1:
        return (f"Hanya kombinasi yang diterima sedikitnya {min_cell} orang yang dicantumkan; kombinasi yang lebih "
                f"jarang tidak diterbitkan.")
    return None


def overlap_size(code: str) -> tuple[int, bool]:
    """The number of programs of an overlap row's code, and whether it means that many or more."""
    text = str(code)
    return int(float(text.removesuffix(OR_MORE))), text.endswith(OR_MORE)
