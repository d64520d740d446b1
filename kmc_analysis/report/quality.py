"""The report's data-quality tables, in Bahasa Indonesia only, naming OPD and file.

From the manifest (``rejected_files``, ``ignored_files``, ``superseded_files``,
``corrections``, ``skipped_sheets``, ``skipped_rows``; an absent key is an empty list) and
the quarantine counts: what was not read and why, what was replaced, what was corrected,
which sheets and rows were not data, and the quarantined rows by reason and by file. A
reason the ingest wrote in English or as a library message is shown as a plain Indonesian
sentence instead. File and sheet names are input: a name carrying a NIK-like number or a
whole name from the month's rows is not shown (:func:`public_name`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.clean.reasons import REASON_LABEL, REASON_SHORT
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.personal_data import contains_name, names_a_person
from kmc_analysis.report.inputs import ProcessedData
from kmc_analysis.report.leaks import month_name_keys
from kmc_analysis.report.table_model import Table, make_table

#: A run of digits as long as a NIK or a family-card number (16) or a phone or account number (>= 10).
_LONG_NUMBER = re.compile(r"\d[\d .\-]{8,}\d")
#: Words and shapes that mark a library or English developer message (not for a planner).
_NOT_INDONESIAN = re.compile(
    r"\b(the|lacks?|error|errno|cannot|could|not|file|row|column|header|missing|invalid|failed|unable|"
    r"permission|denied|traceback|exception|expected|found|no such)\b|[A-Z][a-z]+(Error|Exception)\b",
    re.IGNORECASE)
#: What a rejected file's reason says when the recorded one is not plain Indonesian.
GENERIC_REJECTION = ("Berkas tidak dapat dibaca. Minta OPD mengirim ulang dengan templat KMC (kmc template) atau "
                     "menyimpan berkas sebagai .xlsx atau .csv.")
#: The kinds of skipped rows (CONTRACT 2.2), in words.
SKIPPED_KIND = {"jumlah": "baris jumlah/total", "nomor_kolom": "baris nomor kolom (1, 2, 3, ...)",
                "catatan": "catatan atau tanda tangan di bawah tabel"}
UNKNOWN_OPD = "(belum diketahui)"


def public_name(name: object, path: bool = True, personal: Collection[str] = ()) -> str:
    """A file (``path``) or sheet name fit to publish: its base name, unless it holds a number or a person's name.

    A name with a NIK, family-card or phone number in it (a scanned KTP named after its
    owner) likely carries the person's name too; one holding a whole name from the month's
    rows (``personal``: normalised keys, :func:`personal_name_keys`) names a recipient, and
    one with an honorific or an identity paper before a word (``Bpk Hartono``, ``KTP Sri``)
    names someone: only the extension is kept then.
    """
    text = str(name or "")
    if path:
        text = Path(text.replace("\\", "/")).name
    suffix = Path(text).suffix if path and len(Path(text).suffix) <= 6 else ""
    if _LONG_NUMBER.search(text) and sum(ch.isdigit() for ch in text) >= 10:
        return f"(nama disamarkan: memuat nomor identitas){suffix}"
    if (personal and contains_name(text, personal)) or names_a_person(Path(text).stem if path else text):
        return f"(nama disamarkan: memuat nama orang){suffix}"
    return text


def personal_name_keys(data: ProcessedData) -> Collection[str]:
    """The month's names (accepted and quarantined rows), normalised, that a published file name must not hold."""
    if data.folder is None:
        return set()
    return month_name_keys(data.folder)


def indonesian_reason(reason: object) -> str:
    """The reason a file was rejected, as a plain Indonesian sentence (a generic one for library text)."""
    text = " ".join(str(reason or "").split())
    if not text or _NOT_INDONESIAN.search(text) or _LONG_NUMBER.search(text):
        return GENERIC_REJECTION
    return text


def _sheet_reason(reason: object) -> str:
    """Why a sheet was skipped, in Indonesian (an instructions or empty sheet when no usable reason)."""
    text = " ".join(str(reason or "").split())
    if not text or _NOT_INDONESIAN.search(text):
        return "Tidak ada baris judul kolom yang dikenali (mis. sheet petunjuk atau sheet kosong)."
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _entries(manifest: dict, key: str) -> list[dict]:
    """A manifest list as dicts (a plain string becomes ``{"path": string}``); absent is empty."""
    out = []
    for entry in manifest.get(key) or []:
        out.append(dict(entry) if isinstance(entry, dict) else {"path": str(entry)})
    return out


def _opd_of(path: object, data: ProcessedData) -> str:
    """The OPD a file came from: from its accepted rows, else an OPD name found in the file name."""
    found = data.file_opd.get(str(path)) or data.file_opd.get(Path(str(path)).name)
    if found:
        return found
    name = re.sub(r"[^a-z0-9]+", " ", Path(str(path)).stem.lower())
    opd = data.tables.get("rekap_opd")
    if opd is not None:
        for candidate in sorted(opd["opd"].astype(str), key=len, reverse=True):
            key = re.sub(r"[^a-z0-9]+", " ", candidate.lower()).strip()
            if key and f" {key} " in f" {name} ":
                return candidate
    return UNKNOWN_OPD


def _row_ranges(rows: list[int]) -> str:
    """Row numbers as compact ranges: ``5, 9-12, 40``."""
    rows = sorted(set(rows))
    parts, start, prev = [], None, None
    for r in rows + [None]:
        if start is None:
            start = prev = r
        elif r is not None and r == prev + 1:
            prev = r
        else:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = r
    return ", ".join(parts)


def _quarantine_tables(data: ProcessedData, public) -> dict[str, Table]:
    """Quarantined rows by reason (city) and by OPD and file (``public`` shows a file or sheet name)."""
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
        df = pd.concat([df, pd.DataFrame({"kode_alasan": extra, "alasan": "Alasan lain",
                                          "jumlah_baris": [int(by_reason[c]) for c in extra]})], ignore_index=True)
    df["persen_dibaca"] = df["jumlah_baris"] / read * 100 if read else np.nan
    quarantined = counts.get("rows_quarantined", int(data.quarantine_rows["jumlah_baris"].sum())
                             if len(data.quarantine_rows) else 0)
    table = make_table("karantina_alasan", "Baris yang dikarantina menurut alasan (tingkat kota)", df,
                       ["alasan", "kode_alasan", "jumlah_baris", "persen_dibaca"], None, 5,
                       totals={"jumlah_baris": quarantined}, total_label="Baris dikarantina")
    table.notes.append("Satu baris dapat memiliki lebih dari satu alasan, sehingga jumlah per alasan dapat melebihi "
                       "jumlah baris yang dikarantina. Baris jumlah, baris nomor kolom dan catatan di bawah tabel "
                       "bukan data: dilewati, tidak dikarantina (lihat tabel baris yang dilewati).")
    table.sheet = "Data Ditolak"
    tables[table.key] = table
    if len(data.quarantine_rows):
        rows = data.quarantine_rows.copy()
        rows["opd"] = [_opd_of(f, data) for f in rows["sumber_file"]]
        detail: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for f, sh, code, n in data.quarantine.itertuples(index=False):
            detail.setdefault((f, sh), []).append((int(n), REASON_SHORT.get(code, "alasan lain")))
        rows["rincian_alasan"] = [
            "; ".join(f"{label}: {format_number(n)}" for n, label in sorted(detail.get((f, sh), []),
                                                                           key=lambda x: (-x[0], x[1])))
            for f, sh in zip(rows["sumber_file"], rows["sumber_sheet"])]
        rows["sumber_file"] = rows["sumber_file"].map(public)
        rows["sumber_sheet"] = [public(sheet, path=False) for sheet in rows["sumber_sheet"]]
        rows = rows.sort_values(["opd", "sumber_file", "sumber_sheet"], kind="stable")
        table = make_table("karantina_berkas", "Baris yang dikarantina menurut OPD dan berkas", rows,
                           ["opd", "sumber_file", "sumber_sheet", "jumlah_baris", "rincian_alasan"], None, 5)
        table.notes.append("OPD ditentukan dari baris berkas yang sama yang diterima atau dari nama berkas. Rincian "
                           "baris dikirim ke masing-masing OPD dalam berkas umpan balik, bukan dalam laporan ini.")
        table.sheet = "Data Ditolak per Berkas"
        tables[table.key] = table
    return tables


def _listing(key: str, title: str, rows: list[dict], columns: list[str], sheet: str, note: str = "") -> Table:
    frame = pd.DataFrame(rows, columns=columns)
    table = make_table(key, title, frame, columns, None, 5)
    table.sheet = sheet
    if note:
        table.notes.append(note)
    return table


def quality_tables(data: ProcessedData) -> dict[str, Table]:
    """Every data-quality table of the report, keyed by table name (empty tables included)."""
    m = data.manifest
    public = partial(public_name, personal=personal_name_keys(data))
    tables = _quarantine_tables(data, public)
    rejected = [{"opd": _opd_of(r.get("path"), data), "sumber_file": public(r.get("path")),
                 "sumber_sheet": public(r.get("sheet"), path=False), "alasan": indonesian_reason(r.get("reason"))}
                for r in _entries(m, "rejected_files")]
    tables["berkas_ditolak"] = _listing("berkas_ditolak", "Berkas atau sheet yang tidak dapat dibaca", rejected,
                                        ["opd", "sumber_file", "sumber_sheet", "alasan"], "Berkas Ditolak")
    ignored = [{"opd": _opd_of(r.get("path"), data), "sumber_file": public(r.get("path")),
                "keterangan": "Bukan jenis berkas yang dibaca (.xlsx, .xlsm, .xls, .ods, .csv); tidak diolah."}
               for r in _entries(m, "ignored_files")]
    tables["berkas_diabaikan"] = _listing("berkas_diabaikan", "Berkas lain di folder OPD yang tidak diolah", ignored,
                                          ["opd", "sumber_file", "keterangan"], "Berkas Diabaikan")
    superseded = [{"opd": _opd_of(r.get("replaced_by") or r.get("path"), data),
                   "sumber_file": public(r.get("path")), "diganti_oleh": public(r.get("replaced_by"))}
                  for r in _entries(m, "superseded_files")]
    tables["berkas_diganti"] = _listing("berkas_diganti", "Berkas yang digantikan oleh revisinya (tidak dibaca)",
                                        superseded, ["opd", "sumber_file", "diganti_oleh"], "Berkas Diganti")
    corrections = [{"opd": _opd_of(r.get("path"), data), "sumber_file": public(r.get("path")),
                    "baris_diperbaiki": int(r.get("applied") or 0), "baris_tidak_berubah": int(r.get("unchanged") or 0),
                    "baris_tidak_dikenal": int(r.get("unknown_rows") or 0)} for r in _entries(m, "corrections")]
    tables["koreksi"] = _listing("koreksi", "Berkas perbaikan (umpan balik) dari OPD yang diterapkan", corrections,
                                 ["opd", "sumber_file", "baris_diperbaiki", "baris_tidak_berubah", "baris_tidak_dikenal"],
                                 "Koreksi OPD", "Baris diperbaiki dinilai ulang; baris yang tidak berubah tetap "
                                 "dikarantina; baris tidak dikenal tidak merujuk ke baris karantina mana pun.")
    sheets = [{"opd": _opd_of(r.get("path"), data), "sumber_file": public(r.get("path")),
               "sumber_sheet": public(r.get("sheet"), path=False),
               "keterangan": _sheet_reason(r.get("reason"))} for r in _entries(m, "skipped_sheets")]
    tables["sheet_dilewati"] = _listing("sheet_dilewati", "Sheet yang dilewati (tidak berisi daftar penerima)", sheets,
                                        ["opd", "sumber_file", "sumber_sheet", "keterangan"], "Sheet Dilewati")
    grouped: dict[tuple[str, str, str], list[int]] = {}
    for r in _entries(m, "skipped_rows"):
        key = (str(r.get("path", "")), str(r.get("sheet") or ""), str(r.get("kind", "")))
        if str(r.get("row", "")).isdigit():
            grouped.setdefault(key, []).append(int(r["row"]))
        else:
            grouped.setdefault(key, [])
    skipped = [{"opd": _opd_of(path, data), "sumber_file": public(path),
                "sumber_sheet": public(sheet, path=False),
                "jenis_baris": SKIPPED_KIND.get(kind, "baris bukan data"), "jumlah_baris": len(rows) or 1,
                "baris": _row_ranges(rows)} for (path, sheet, kind), rows in sorted(grouped.items())]
    tables["baris_dilewati"] = _listing("baris_dilewati", "Baris bukan data yang dilewati (tidak dihitung)", skipped,
                                        ["opd", "sumber_file", "sumber_sheet", "jenis_baris", "jumlah_baris", "baris"],
                                        "Baris Dilewati", "Nomor baris seperti yang terlihat di Excel.")
    return tables


def skipped_row_count(manifest: dict) -> int:
    """How many rows of the month's files were not data (totals, column numbers, notes)."""
    return len(_entries(manifest, "skipped_rows"))
