"""Reading a synthetic month back on its own terms (openpyxl and the csv module, not the workbook's ingest).

The synthesiser's tests use these helpers to check the files and the truth against each
other without trusting ``kmc_analysis.clean``: headers are matched as CONTRACT 2.1 says,
values are parsed from the forms the contract lists, and places are looked up in wilayah.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import openpyxl
from rapidfuzz.distance import Levenshtein

from kmc_analysis.synth.sheets import HEADERS, NEWER_HEADERS, OPENDK_COLUMNS, OPENDK_HEADERS

SEPARATORS = (";", ",", "|")


def header_key(text) -> str:
    """Headers compare ignoring case, spaces, dots, underscores, slashes, hyphens and a trailing unit (CONTRACT 2.1)."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", str(text))
    return re.sub(r"[\s._/\-]+", "", text).lower()


KNOWN = {header_key(h): column for table in (HEADERS, NEWER_HEADERS) for column, headers in table.items()
         for h in headers}
KNOWN.update({header_key(h): c for h, c in zip(OPENDK_HEADERS, OPENDK_COLUMNS) if c not in ("id", "program_id")})


@dataclasses.dataclass
class Sheet:
    """One data sheet (or CSV file) read back: header row number, headers, rows by number."""

    file: str
    name: str
    header_row: int
    headers: list[str]
    rows: dict[int, list]      # row number -> cell values (typed for xlsx), empty rows included
    kind: str

    def column(self, key: str) -> int | None:
        for i, h in enumerate(self.headers):
            if KNOWN.get(header_key(h)) == key:
                return i
        return None

    def cell(self, row: int, key: str):
        i = self.column(key)
        cells = self.rows[row]
        return None if i is None or i >= len(cells) else cells[i]


def read_csv_lines(path: Path) -> tuple[list[list[str]], str, str]:
    """The lines of a CSV file as cells, with the encoding and separator it was written in."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("cp1252"), "cp1252"
    first = text.splitlines()

    def hits(sep: str) -> int:
        return max(sum(header_key(c) in KNOWN for c in line.split(sep)) for line in first[:20])

    sep = max(SEPARATORS, key=hits)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep)), encoding, sep


def read_sheets(folder: Path, skip: set[str] = frozenset()) -> tuple[list[Sheet], list[tuple[str, str]]]:
    """Every sheet of every file (but ``skip``), split into data sheets and the sheets without a header."""
    data, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name in skip or path.name.startswith("."):
            continue
        if path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path)
            tables = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)], "xlsx") for ws in workbook]
        else:
            lines, _, _ = read_csv_lines(path)
            tables = [(path.stem, lines, "csv")]
        for name, rows, kind in tables:
            header = next((i for i, r in enumerate(rows[:20])
                           if sum(header_key(c) in KNOWN for c in r if c is not None) >= 3), None)
            if header is None:
                skipped.append((path.name, name))
                continue
            numbered = {i + 1: r for i, r in enumerate(rows) if i > header}
            data.append(Sheet(path.name, name, header + 1, [str(h) for h in rows[header]], numbered, kind))
    return data, skipped


def is_empty(cell) -> bool:
    return cell is None or str(cell).strip() == ""


def clean_nik(cell) -> str:
    """A NIK cell as the contract cleans it (spaces, dots, dashes and a leading apostrophe dropped)."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return str(int(cell))
    return re.sub(r"[\s.\-]", "", str(cell or "").strip().removeprefix("'"))


def amount(cell) -> int:
    """A valid amount cell in Rupiah (the forms CONTRACT 2.2 lists)."""
    if isinstance(cell, (int, float)):
        return int(cell)
    text = re.sub(r"^Rp\.?\s*", "", str(cell).strip())
    text = re.sub(r"(,00|,-)$", "", text)
    return int(re.sub(r"[.,]", "", text))


class Catalogue:
    """Program codes and names (CONTRACT 2.2: codes ignoring case, names ignoring case and spacing)."""

    def __init__(self, programs):
        self.by_code = {str(c).upper(): str(c) for c in programs["kode_bantuan"]}
        self.by_name = {re.sub(r"\s+", "", str(n).lower()): str(c)
                        for c, n in zip(programs["kode_bantuan"], programs["nama_bantuan"])}

    def code_of(self, sheet: Sheet, row: int) -> str | None:
        code = sheet.cell(row, "kode_bantuan")
        if not is_empty(code) and str(code).strip().upper() in self.by_code:
            return self.by_code[str(code).strip().upper()]
        name = sheet.cell(row, "nama_bantuan")
        return None if is_empty(name) else self.by_name.get(re.sub(r"\s+", "", str(name).lower()))


class Places:
    """Kecamatan of a row from its kelurahan code, kelurahan or kecamatan text (wilayah and ejaan_lain)."""

    def __init__(self, wilayah):
        self.kec_of_kel: dict[str, str] = {}
        self.kec_of_code: dict[str, str] = {}
        for _, w in wilayah.iterrows():
            for name in [w["kelurahan"], *[e for e in str(w.get("ejaan_lain", "")).split(";") if e]]:
                self.kec_of_kel[self._key(name)] = w["kode_kecamatan"]
            for code in (w["kode_kelurahan"], w["kode_kelurahan"].replace(".", ""), w.get("kode_bps_kelurahan", "")):
                if code:
                    self.kec_of_code.setdefault(str(code), w["kode_kecamatan"])
        self.kec_by_name = {self._key(n): c for n, c in zip(wilayah["kecamatan"], wilayah["kode_kecamatan"])}

    @staticmethod
    def _key(text) -> str:
        text = re.sub(r"^\s*(kelurahan|kel\.?|kecamatan|kec\.?)\s*", "", str(text).strip().lower())
        return re.sub(r"[^0-9a-z]", "", text)

    def kecamatan_of(self, sheet: Sheet, row: int) -> str:
        code = sheet.cell(row, "kode_kelurahan")
        if not is_empty(code):
            return self.kec_of_code[str(code).strip()]
        kel = sheet.cell(row, "kelurahan")
        if not is_empty(kel):
            key = self._key(kel)
            if key in self.kec_of_kel:
                return self.kec_of_kel[key]
            near = {c for k, c in self.kec_of_kel.items() if Levenshtein.distance(key, k) <= 1}
            assert len(near) == 1, kel
            return near.pop()
        return self.kec_by_name[self._key(sheet.cell(row, "kecamatan"))]


def age_on_last_day(nik: str, year: int, month: int, last_day: int) -> int:
    """Age from NIK digits 7-12 as CONTRACT 2.4 says: women's day - 40; 20YY unless after the period's year."""
    day, mon, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day = day - 40 if day > 40 else day
    born = 2000 + yy if 2000 + yy <= year else 1900 + yy
    return year - born - ((mon, day) > (month, last_day))
