"""Persons by how many kinds of bantuan they received, and the most common combinations of programs.

Both count distinct (person, program) pairs of the normalised accepted rows
(:mod:`kmc_analysis.coverage.rows`): one integer key per pair, sorted once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.core.counting import sum_per_group
from kmc_analysis.core.store import KOMBINASI_PROGRAM, REKAP_TUMPANG_TINDIH
from kmc_analysis.coverage.rows import PERSON, PROGRAM, labels, normalised

#: The combinations separator of the kombinasi_program table.
COMBINATION_SEPARATOR = " + "


def _person_programs(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The person and program codes of each distinct pair of normalised rows, by person then program.

    One integer key per row is sorted: many times faster than dropping duplicate pairs of columns.
    """
    width = int(rows[PROGRAM].max()) + 1 if len(rows) else 1
    key = np.sort(rows[PERSON].to_numpy(dtype="int64") * width + rows[PROGRAM].to_numpy(dtype="int64"))
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    return key // width, key % width


def per_person(penerima: pd.DataFrame) -> pd.DataFrame:
    """Per person code (0, 1, ...): how many distinct programs, and the total value received."""
    rows = normalised(penerima)
    person = rows[PERSON].to_numpy(dtype="int64")
    persons = int(person.max()) + 1 if len(person) else 0
    return pd.DataFrame({
        "jumlah_bantuan": np.bincount(_person_programs(rows)[0], minlength=persons).astype("int64"),
        "nilai_total": sum_per_group(person, rows["nominal"].to_numpy(), persons),
    })


def rekap_tumpang_tindih(penerima: pd.DataFrame) -> pd.DataFrame:
    """Persons by how many kinds of bantuan they received (1, 2, 3, ...), with value per person.

    Every count from 1 to the maximum is listed, zeros included. ``nilai_rata_rata_per_penerima``
    is the mean total value per person of that row, in whole Rupiah.
    """
    people = per_person(penerima)
    held = people["jumlah_bantuan"].to_numpy()  # at least 1 each
    top = int(held.max()) if len(held) else 0
    frame = pd.DataFrame({"jumlah_bantuan": np.arange(1, top + 1, dtype="int64"),
                          "penerima": np.bincount(held, minlength=top + 1)[1:].astype("int64"),
                          "nilai_total": sum_per_group(held - 1, people["nilai_total"], top)})
    total = frame["penerima"].sum()
    frame["persen_penerima"] = (frame["penerima"] * 100.0 / total).round(2) if total else np.nan
    mean = frame["nilai_total"] / frame["penerima"].where(frame["penerima"] > 0)
    frame["nilai_rata_rata_per_penerima"] = np.floor(mean + 0.5).astype("Int64")
    return frame[REKAP_TUMPANG_TINDIH.column_names]


def kombinasi_program(penerima: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The ``top`` most common combinations of two or more programs held by one person.

    ``kombinasi`` joins the person's sorted kode_bantuan with " + "; ties are broken by
    the combination text so the order is stable. Each person's programs are one bit mask
    (a row of 64-bit words, vectorised); only the combinations that can reach the top
    become text.
    """
    rows = normalised(penerima)
    codes = labels(rows, "kode_bantuan").to_numpy(dtype=str)
    person, program = _person_programs(rows)
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]]) if len(person) else np.array([], dtype="int64")
    held = np.diff(np.r_[starts, len(person)])
    several = held >= 2
    if not several.any():
        return pd.DataFrame({"kombinasi": pd.Series(dtype="string"), "jumlah_bantuan": pd.Series(dtype="int64"),
                             "penerima": pd.Series(dtype="int64")})
    # A person's programs are distinct, so adding their bits is the same as or-ing them.
    words = np.zeros((len(starts), (len(codes) + 63) // 64), dtype="uint64")
    for word in range(words.shape[1]):
        bits = np.where(program // 64 == word, np.left_shift(np.uint64(1), (program % 64).astype("uint64")),
                        np.uint64(0))
        words[:, word] = np.add.reduceat(bits, starts)
    masks, counts = np.unique(words[several], axis=0, return_counts=True)
    # Only combinations counted at least as often as the top-th can be listed: the rest never become text.
    enough = counts >= np.sort(counts)[::-1][min(top, len(counts)) - 1]
    masks, counts = masks[enough], counts[enough]
    index = np.arange(len(codes))
    held_bits = ((masks[:, index // 64] >> (index % 64).astype("uint64")) & np.uint64(1)).astype(bool)
    counted = pd.DataFrame({
        "kombinasi": pd.array([COMBINATION_SEPARATOR.join(codes[bits]) for bits in held_bits], dtype="string"),
        "jumlah_bantuan": held_bits.sum(axis=1).astype("int64"),
        "penerima": counts.astype("int64"),
    })
    counted = counted.sort_values(["penerima", "kombinasi"], ascending=[False, True], ignore_index=True)
    return counted.head(top)[KOMBINASI_PROGRAM.column_names].reset_index(drop=True)
