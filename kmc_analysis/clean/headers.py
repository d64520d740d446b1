"""Recognise the header row of a beneficiary list and name its columns (CONTRACT 2.1).

Header text is compared after ``header_key``: case, spaces, dots, underscores, slashes,
hyphens and a trailing unit in parentheses (``(Rp)``, ``(16 digit)``) are ignored. A header
of six or more letters one edit away from exactly one column's accepted headers also
matches (``DESA/KELUARAHAN``); exact matches are placed first, so a typo never takes a
column that another cell names exactly, and the first cell naming a column wins.
"""

from __future__ import annotations

import functools
import re

from rapidfuzz.distance import Levenshtein

HEADER_SEARCH_ROWS = 20
MIN_HEADER_MATCHES = 3
#: A header key of at least this many letters tolerates one typing error.
FUZZY_MIN_LETTERS = 6

#: Canonical column -> headers accepted for it (compared after ``header_key``).
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "nik": ("NIK", "No NIK", "Nomor NIK", "No KTP", "NIK KTP", "Nomor Induk Kependudukan", "Nomor KTP",
            "NIK KPM", "NIK Penerima", "No Induk Kependudukan", "kartu_nik", "NIK Penerima Bantuan"),
    "nama": ("Nama", "Nama Lengkap", "Nama Penerima", "Nama KPM", "Nama Penduduk", "Nama Kepala Keluarga",
             "kartu_nama", "Nama Penerima Bantuan", "Nama Sesuai KTP"),
    "kelurahan": ("Kelurahan", "Kel", "Desa/Kelurahan", "Desa/Kel", "Kel/Desa", "Nama Desa/Kelurahan",
                  "Nama Kelurahan", "Kelurahan/Desa", "Desa", "Nama Desa"),
    "kode_kelurahan": ("Kode Kelurahan", "Kode Desa", "Kode Wilayah", "desa_id", "kode_desa",
                       "Kode Desa/Kelurahan"),
    "kecamatan": ("Kecamatan", "Kec", "Nama Kecamatan"),
    "kode_bantuan": ("Kode Bantuan", "Kode Program", "Kode"),
    "nama_bantuan": ("Jenis Bantuan", "Nama Bantuan", "Program", "Nama Program", "Bantuan"),
    "nominal": ("Nominal", "Jumlah", "Nilai Bantuan", "Besaran", "Jumlah (Rp)", "Nominal Bantuan",
                "Jumlah Bantuan", "Besaran Bantuan", "Nilai", "Jumlah Uang", "Jumlah Diterima"),
    "tanggal_salur": ("Tanggal Penyaluran", "Tgl Salur", "Tanggal", "Tgl Penyaluran", "Tanggal Salur", "Tgl"),
    "no_kk": ("No KK", "Nomor KK", "Nomor Kartu Keluarga", "No Kartu Keluarga", "KK"),
    "jenis_kelamin": ("Jenis Kelamin", "JK", "L/P", "Kelamin"),
    "tanggal_lahir": ("Tanggal Lahir", "Tgl Lahir"),
    "alamat": ("Alamat", "Alamat Lengkap", "Alamat Rumah"),
    "rt": ("RT",),
    "rw": ("RW",),
    "no": ("No", "No Urut", "Nomor", "Nomor Urut"),
}
KNOWN_COLUMNS = tuple(COLUMN_SYNONYMS)

#: Required columns, and groups of which one is required (CONTRACT 2.1).
REQUIRED_COLUMNS = ("nik", "nama", "nominal")
REQUIRED_ONE_OF = (("kelurahan", "kode_kelurahan", "kecamatan"), ("kode_bantuan", "nama_bantuan"))

#: How a column is named to a clerk in messages (Bahasa Indonesia).
COLUMN_LABELS = {
    "nik": "NIK", "nama": "Nama", "kelurahan": "Kelurahan", "kode_kelurahan": "Kode Kelurahan",
    "kecamatan": "Kecamatan", "kode_bantuan": "Kode Bantuan", "nama_bantuan": "Nama/Jenis Bantuan",
    "nominal": "Nominal",
}

_TRAILING_UNIT = re.compile(r"\s*\([^()]*\)\s*$")
_IGNORED = re.compile(r"[\s._/\\-]+")


def header_key(text: object) -> str:
    """Reduce header text to its comparable key (CONTRACT 2.1 tolerance)."""
    text = _TRAILING_UNIT.sub("", str(text).strip())
    return _IGNORED.sub("", text).lower()


HEADER_LOOKUP = {header_key(h): column for column, headers in COLUMN_SYNONYMS.items() for h in headers}


@functools.lru_cache(maxsize=4096)
def fuzzy_column(key: str) -> str | None:
    """The column a header key one edit away from accepted headers names, if exactly one."""
    if sum(ch.isalpha() for ch in key) < FUZZY_MIN_LETTERS:
        return None
    found = {column for known, column in HEADER_LOOKUP.items()
             if abs(len(known) - len(key)) <= 1 and Levenshtein.distance(key, known, score_cutoff=1) <= 1}
    return found.pop() if len(found) == 1 else None


def column_of(text: object) -> str | None:
    """The known column a header cell names: exactly, else by one typing error, else None."""
    key = header_key(text)
    if not key:
        return None
    return HEADER_LOOKUP.get(key) or fuzzy_column(key)


def known_count(row: list[str]) -> int:
    """How many cells of a row name known columns (distinct columns counted once)."""
    return len({c for c in (column_of(cell) for cell in row if cell) if c})


def find_header(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first of the first 20 rows naming at least three known columns."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if known_count(row) >= MIN_HEADER_MATCHES:
            return number
    return None


def column_names(header: list[str]) -> list[str]:
    """Canonical names for known headers, original text for the rest, all distinct.

    Exact matches are placed before one-edit matches, and among equals the leftmost
    cell wins; a cell whose column is already taken keeps its own text.
    """
    keys = [header_key(text) for text in header]
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for position, key in enumerate(keys):
            if position in chosen or not key:
                continue
            column = HEADER_LOOKUP.get(key) if exact else fuzzy_column(key)
            if column and column not in taken:
                chosen[position] = column
                taken.add(column)
    names: list[str] = []
    used = set(taken)
    for position, text in enumerate(header):
        if position in chosen:
            names.append(chosen[position])
            continue
        name = str(text).strip() or f"kolom_{column_letter(position)}"
        while name in used or name in KNOWN_COLUMNS:
            name += "_"
        used.add(name)
        names.append(name)
    return names


def column_letter(position: int) -> str:
    """Excel's letter for a 0-based column position (0 -> A, 26 -> AA)."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def missing_required(columns) -> list[tuple[str, ...]]:
    """The required columns (or groups of alternatives) a sheet's columns lack."""
    present = set(columns)
    missing = [(c,) for c in REQUIRED_COLUMNS if c not in present]
    missing += [group for group in REQUIRED_ONE_OF if not present.intersection(group)]
    return missing


def describe_missing(missing: list[tuple[str, ...]]) -> str:
    """The missing columns with the headers accepted for each, as one Indonesian phrase."""
    parts = []
    for group in missing:
        names = " atau ".join(COLUMN_LABELS[c] for c in group)
        accepted = "; ".join(", ".join(COLUMN_SYNONYMS[c][:5]) for c in group)
        parts.append(f"{names} (judul yang diterima: {accepted})")
    return " dan ".join(parts)
