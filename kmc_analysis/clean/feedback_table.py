"""The rows an OPD must fix, laid out for its feedback workbook: original cells, faulty cells, reasons.

Each quarantined row keeps its cells under the header text of the file it came from
(:attr:`~kmc_analysis.clean.ingest.IngestResult.header_texts`), so a clerk recognises
them and stage 1 can read corrections back with the original file's header mapping. One
OPD's rows may come from files with different headers: the table's columns are then the
union of their header texts, and a row fills only the columns of its own file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.clean.clerk_sheets import safe_texts
from kmc_analysis.clean.ingest import COLUMN_SYNONYMS, PROVENANCE
from kmc_analysis.clean.reasons import REASON_TEXT, rows_listing

#: The cells a reason points at (canonical columns); the first present is where the clerk looks.
FAULTY_CELLS = {
    "nik_kosong": ("nik",), "nik_format": ("nik",), "nik_tanggal": ("nik",),
    "nama_kosong": ("nama",),
    "wilayah_tidak_dikenal": ("kelurahan", "kecamatan", "kode_kelurahan"),
    "program_tidak_dikenal": ("kode_bantuan", "nama_bantuan"),
    "nominal_tidak_valid": ("nominal",),
    "duplikat": ("nik", "kode_bantuan", "nama_bantuan"),
}
#: Canonical columns that hold identifiers: written as text so Excel keeps every digit.
TEXT_COLUMNS = ("nik", "no_kk", "kode_bantuan", "kode_kelurahan")
_NOT_CELLS = (*PROVENANCE, "alasan", "urutan_sheet", "opd", "keterangan")


@dataclass
class CellTable:
    """Rows of one OPD with their original cells under the original header texts.

    ``cells`` has one column per header (positionally: headers may repeat, so columns are
    numbered), ``kinds`` the canonical column of each (``None`` for other columns), and
    ``comments`` (same shape as ``cells``) what is wrong with a cell, empty when nothing.
    """

    provenance: pd.DataFrame
    headers: list[str]
    kinds: list[str | None]
    cells: pd.DataFrame
    comments: pd.DataFrame


def explain_reasons(alasan: pd.Series) -> pd.Series:
    """Turn ``;``-joined reason codes into numbered plain-Indonesian sentences."""
    def explain(codes: str) -> str:
        parts = [REASON_TEXT.get(c, c) for c in codes.split(";") if c]
        return parts[0] if len(parts) == 1 else "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))
    return alasan.map(explain, na_action="ignore")


def repeats_text(duplicate_of: pd.DataFrame) -> pd.Series:
    """Where the accepted row a duplicate repeats sits, in words; empty text for rows that repeat nothing."""
    known = duplicate_of["sumber_file"].astype("str").fillna("").ne("")
    text = pd.Series("", index=duplicate_of.index, dtype="object")
    if known.any():
        rows = duplicate_of[known]
        text[known] = ("Baris ini mengulang baris " + rows["sumber_baris"].astype("Int64").astype("str")
                       + " pada sheet '" + rows["sumber_sheet"].astype("str") + "' berkas "
                       + rows["sumber_file"].astype("str") + ", yang sudah diterima.").to_numpy()
    return text


def reason_texts(alasan: pd.Series, duplicate_of: pd.DataFrame | None) -> pd.Series:
    """The `Alasan` column: the reasons in plain Indonesian, and for a duplicate the row it repeats."""
    text = explain_reasons(alasan).fillna("").astype("object")
    if duplicate_of is not None:
        repeats = repeats_text(duplicate_of.set_axis(alasan.index))
        text = text.where(repeats.eq(""), text + "\n" + repeats)
    return text


def cell_table(rows: pd.DataFrame, header_texts: dict[tuple[str, str], dict[str, str]],
               duplicate_of: pd.DataFrame | None = None, with_comments: bool = True) -> CellTable:
    """Lay out ``rows`` (provenance, maybe ``alasan``, cells by column name) under their files' header texts.

    ``header_texts`` maps (sumber_file, sumber_sheet) to column name -> header text, in the
    file's column order; a sheet it does not know shows its non-empty cells under the
    first accepted header of each known column. Comments come from ``alasan``
    (:data:`FAULTY_CELLS`), with the repeated row named on a duplicate's cells; without
    them (rows to check) only the columns ``rows`` holds are shown.
    """
    rows = rows.reset_index(drop=True)
    groups = rows.groupby(["sumber_file", "sumber_sheet"], sort=False).indices
    layouts = {key: _layout(rows.iloc[positions], header_texts.get(key), all_columns=with_comments)
               for key, positions in groups.items()}
    keys: dict[tuple[str, int], str | None] = {}
    for layout in layouts.values():
        for key, column in layout.items():
            keys.setdefault(key, column if column in COLUMN_SYNONYMS else None)
    order = list(keys)
    if len({tuple(layout) for layout in layouts.values()}) > 1:
        # Files with different headers: keep the columns of one kind side by side (stable within a kind).
        rank = {column: i for i, column in enumerate(COLUMN_SYNONYMS)}
        order.sort(key=lambda key: rank.get(keys[key], len(rank)))
    cells = np.full((len(rows), len(order)), "", dtype=object)
    comments = np.full((len(rows), len(order)), "", dtype=object)
    reasons = _reason_flags(rows) if with_comments and "alasan" in rows else {}
    repeats = repeats_text(duplicate_of.reset_index(drop=True)) if duplicate_of is not None else None
    texts: dict[str, np.ndarray] = {}
    at_of = {key: at for at, key in enumerate(order)}
    for group, positions in groups.items():
        for key, column in layouts[group].items():
            at = at_of[key]
            if column in rows:
                if column not in texts:
                    texts[column] = safe_texts(rows[column]).to_numpy()
                cells[positions, at] = texts[column][positions]
            for code, flagged in reasons.items():
                if column not in FAULTY_CELLS[code]:
                    continue
                hit = positions[flagged[positions]]
                note = REASON_TEXT.get(code, code)
                if code == "duplikat" and repeats is not None:
                    added = (note + " " + repeats.iloc[hit]).to_numpy(dtype=object)
                else:
                    added = np.full(len(hit), note, dtype=object)
                current = comments[hit, at]
                comments[hit, at] = np.where(current == "", added, current + "\n" + added)
    headers = [text for text, _ in order]
    frame = lambda values: pd.DataFrame(values, columns=range(len(order)), dtype=object)  # noqa: E731
    return CellTable(rows[PROVENANCE].copy(), headers, [keys[k] for k in order], frame(cells), frame(comments))


def _layout(rows: pd.DataFrame, texts: dict[str, str] | None, all_columns: bool) -> dict[tuple[str, int], str]:
    """(header text, occurrence) -> column name of one source sheet, in the sheet's column order.

    With ``all_columns`` every titled column of the sheet is kept, also one ``rows`` lacks
    (a clerk may need to fill it); otherwise only the columns ``rows`` holds.
    """
    if texts is None:
        columns = [c for c in rows.columns if c not in _NOT_CELLS and rows[c].astype("str").fillna("").ne("").any()]
        texts = {c: COLUMN_SYNONYMS[c][0] if c in COLUMN_SYNONYMS else c for c in columns}
    layout, seen = {}, {}
    for column, text in texts.items():
        text = "" if text is None else str(text)
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        if column not in rows and not all_columns:
            continue
        if text == "" and (column not in rows or not rows[column].astype("str").fillna("").ne("").any()):
            continue  # an untitled, empty column: nothing to show or fix
        layout[(text, occurrence)] = column
    return layout


def _reason_flags(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    return rows_listing(rows["alasan"], FAULTY_CELLS)
