"""Read OPD submissions into one long table of cell text, keeping where every row came from.

Each ``.xlsx`` sheet or ``.csv`` file holds a beneficiary list (BNBA). The header row is
the first of the first 20 rows in which at least three cells name known columns
(CONTRACT 2.1); rows above it are titles and are ignored. Every cell is read as text so
that identifiers keep their digits. Nothing is judged here: a non-empty row below the
header is a data row and goes to ``rules``, however odd it looks.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.csv
from python_calamine import CalamineWorkbook

from kmc_analysis.core.errors import InputError

HEADER_SEARCH_ROWS = 20
MIN_HEADER_MATCHES = 3
SUBMISSION_SUFFIXES = (".xlsx", ".csv")
PROVENANCE = ["sumber_file", "sumber_sheet", "sumber_baris"]

#: Canonical column -> headers accepted for it (compared after ``header_key``).
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "nik": ("NIK", "No NIK", "Nomor NIK", "No KTP", "NIK KTP", "Nomor Induk Kependudukan",
            "Nomor KTP", "NIK Penerima", "No Induk Kependudukan"),
    "nama": ("Nama", "Nama Lengkap", "Nama Penerima", "Nama Penerima Bantuan", "Nama Sesuai KTP"),
    "kelurahan": ("Kelurahan", "Kel", "Desa/Kelurahan", "Kelurahan/Desa", "Desa", "Nama Kelurahan"),
    "kecamatan": ("Kecamatan", "Kec", "Nama Kecamatan"),
    "kode_bantuan": ("Kode Bantuan", "Kode Program", "Kode"),
    "nama_bantuan": ("Jenis Bantuan", "Nama Bantuan", "Program", "Nama Program", "Bantuan"),
    "nominal": ("Nominal", "Jumlah", "Nilai Bantuan", "Besaran", "Jumlah (Rp)", "Nominal (Rp)",
                "Besaran Bantuan", "Jumlah Bantuan", "Nilai", "Nilai (Rp)", "Besaran (Rp)"),
    "tanggal_salur": ("Tanggal Penyaluran", "Tgl Salur", "Tanggal", "Tgl Penyaluran", "Tanggal Salur",
                      "Tgl"),
    "no_kk": ("No KK", "Nomor KK", "Nomor Kartu Keluarga", "No Kartu Keluarga", "KK"),
    "jenis_kelamin": ("Jenis Kelamin", "JK", "L/P", "Kelamin"),
    "tanggal_lahir": ("Tanggal Lahir", "Tgl Lahir", "Tgl. Lahir"),
    "alamat": ("Alamat", "Alamat Lengkap", "Alamat Rumah"),
    "rt": ("RT",),
    "rw": ("RW",),
    "no": ("No", "No Urut", "Nomor", "Nomor Urut"),
}
REQUIRED_COLUMNS = ("nik", "nama", "nominal")
REQUIRED_ONE_OF = (("kelurahan", "kecamatan"), ("kode_bantuan", "nama_bantuan"))
KNOWN_COLUMNS = tuple(COLUMN_SYNONYMS)


def header_key(text: object) -> str:
    """Compare headers ignoring case, spaces, dots and underscores (CONTRACT 2.1)."""
    return re.sub(r"[\s._]+", "", str(text)).lower()


HEADER_LOOKUP = {header_key(h): column for column, headers in COLUMN_SYNONYMS.items() for h in headers}


@dataclass
class IngestResult:
    """The long table of data rows plus what the manifest says about every input.

    ``header_texts`` maps each data sheet, as (sumber_file, sumber_sheet), to its header
    row: column name in ``rows`` -> the header text exactly as the file wrote it, in the
    file's column order (feedback workbooks show the original cells under it).
    """

    rows: pd.DataFrame
    inputs: list[dict] = field(default_factory=list)
    skipped_sheets: list[dict] = field(default_factory=list)
    rejected_files: list[dict] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    header_texts: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


@dataclass
class _Sheet:
    name: str
    cells: list[list[str]] | None = None   # xlsx: every row as text, row 1 first
    frame: pd.DataFrame | None = None      # csv: read straight into a frame


def list_submissions(opd_dir: Path) -> tuple[list[Path], list[str]]:
    """Return the submission files of a month in contract order, and the names ignored.

    Order is the plain string sort of file names (Python's ``sorted``), which decides
    which of two duplicate rows is kept. Excel's lock files (``~$...``) and files of
    other types are ignored and reported.
    """
    files, ignored = [], []
    for path in sorted(opd_dir.iterdir(), key=lambda p: p.name):
        if path.is_file() and path.suffix.lower() in SUBMISSION_SUFFIXES and not path.name.startswith("~$"):
            files.append(path)
        elif not path.name.startswith("."):
            ignored.append(path.name)
    return files, ignored


def read_submissions(opd_dir: Path, raw_dir: Path, skip_unreadable: bool = False) -> IngestResult:
    """Read every submission of a month into one table of text cells with provenance.

    Raises InputError for a file that cannot be opened, a file with no data sheet, or a
    sheet whose header lacks a required column, unless ``skip_unreadable``: then the file
    or sheet is recorded in ``rejected_files`` and the rest is read.
    """
    if not opd_dir.is_dir():
        raise InputError(
            f"No OPD folder for this period: {opd_dir} does not exist. Put the month's OPD files "
            f"in that folder, or pick a period that has one."
        )
    files, ignored = list_submissions(opd_dir)
    result = IngestResult(rows=pd.DataFrame(), ignored_files=ignored)
    frames = []
    for path in files:
        relative = path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name
        data = path.read_bytes()
        entry = {"path": relative, "sha256": hashlib.sha256(data).hexdigest(), "rows_read": 0}
        try:
            sheets = _read_workbook(path, data) if path.suffix.lower() == ".xlsx" else [_read_csv(path, data)]
            tables = _tables_of_file(path, relative, sheets, result, skip_unreadable)
        except InputError as problem:
            if not skip_unreadable:
                raise
            result.rejected_files.append({"path": relative, "sheet": "", "reason": str(problem)})
            entry["rejected"] = True
            result.inputs.append(entry)
            continue
        entry["rows_read"] = int(sum(len(t) for t in tables))
        result.inputs.append(entry)
        frames.extend(tables)
    result.rows = _concat(frames)
    return result


def _tables_of_file(path: Path, relative: str, sheets: list[_Sheet], result: IngestResult,
                    skip_unreadable: bool) -> list:
    tables, found_header = [], False
    for order, sheet in enumerate(sheets):
        table = _sheet_table(path, sheet, order)
        if table is None:
            result.skipped_sheets.append({"path": relative, "sheet": sheet.name,
                                          "reason": "tidak ada baris judul kolom yang dikenali"})
            continue
        found_header = True
        missing = _missing_required(table.columns)
        if missing:
            problem = InputError(
                f"{path.name}, sheet '{sheet.name}': the header row lacks the required column "
                f"{' and '.join(missing)}. Add that column (accepted headers: "
                f"{_accepted_headers(missing)}) or fix its header, then run again."
            )
            if not skip_unreadable:
                raise problem
            result.rejected_files.append({"path": relative, "sheet": sheet.name, "reason": str(problem)})
            continue
        tables.append(table)
        result.header_texts[(path.name, sheet.name)] = table.attrs.pop("header_texts")
    if not found_header:
        raise InputError(
            f"{path.name}: no sheet has a header row naming at least {MIN_HEADER_MATCHES} known columns "
            f"(such as NIK, Nama, Kelurahan, Jenis Bantuan, Nominal) within its first {HEADER_SEARCH_ROWS} rows. "
            f"Check that this is a beneficiary list and that its column headers are filled in."
        )
    return tables


def _missing_required(columns: pd.Index) -> list[str]:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    missing += [" or ".join(group) for group in REQUIRED_ONE_OF if not any(c in columns for c in group)]
    return missing


def _accepted_headers(missing: list[str]) -> str:
    names = [part for m in missing for part in m.split(" or ")]
    return "; ".join(", ".join(COLUMN_SYNONYMS[n][:4]) for n in names)


# --- Excel -----------------------------------------------------------------------------

def _read_workbook(path: Path, data: bytes) -> list[_Sheet]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [
            _Sheet(name, cells=[[_cell_text(v) for v in row]
                                for row in workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)])
            for name in workbook.sheet_names
        ]
    except Exception as problem:  # calamine raises several types for damaged files
        raise InputError(
            f"{path.name}: the file cannot be opened as an Excel workbook ({type(problem).__name__}: "
            f"{problem}). Open it in Excel and save it again as .xlsx, or ask the OPD for a new copy; "
            f"use --skip-unreadable to run without it."
        ) from problem


def _cell_text(value: object) -> str:
    """Render one Excel cell as the text a person sees, keeping every digit of integers."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value)


# --- CSV -------------------------------------------------------------------------------

def _decode_head(data: bytes) -> tuple[str, str]:
    """Pick the encoding (UTF-8 with or without BOM, else cp1252) and return it with the text head."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:200_000].decode("utf-8", errors="ignore")
    try:
        data.decode("utf-8")
        return "utf-8", data[:200_000].decode("utf-8", errors="ignore")
    except UnicodeDecodeError:
        return "cp1252", data[:200_000].decode("cp1252", errors="replace")


def _read_csv(path: Path, data: bytes) -> _Sheet:
    encoding, head = _decode_head(data)
    head = "\n".join(head.splitlines()[:HEADER_SEARCH_ROWS + 5])
    head_rows = {sep: list(csv.reader(io.StringIO(head), delimiter=sep))[:HEADER_SEARCH_ROWS]
                 for sep in (";", ",", "\t")}
    best_sep, best_row, best_hits = ",", None, 0
    for sep, rows in head_rows.items():
        for number, row in enumerate(rows):
            hits = sum(header_key(cell) in HEADER_LOOKUP for cell in row)
            if hits >= MIN_HEADER_MATCHES:
                if hits > best_hits:
                    best_sep, best_row, best_hits = sep, number, hits
                break
    if best_row is None:
        return _Sheet(path.stem, cells=head_rows[","])
    header = head_rows[best_sep][best_row]
    frame = _read_csv_arrow(path, data, best_sep, best_row + 1, len(header), encoding)
    if frame is None:
        frame = pd.read_csv(
            io.BytesIO(data), sep=best_sep, header=None, names=range(len(header)), skiprows=best_row + 1,
            dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
            encoding=encoding, encoding_errors="replace", index_col=False,
        )
    frame.columns = header
    frame.attrs["header_row"] = best_row + 1
    return _Sheet(path.stem, frame=frame)


def _read_csv_arrow(path: Path, data: bytes, sep: str, skip: int, width: int, encoding: str,
                    threads: bool = True) -> pd.DataFrame | None:
    """Read the rows below the header with pyarrow, every cell as text; None if pandas must do it.

    Blank lines are kept as empty rows so that row numbers stay right. A row with more
    cells than the header is bad input (its cells cannot be placed); rows with fewer cells
    or bytes that are not valid text are left to pandas' reader, which pads and replaces.
    """
    ragged = []
    names = [f"c{i}" for i in range(width)]
    try:
        table = pyarrow.csv.read_csv(
            io.BytesIO(data),
            read_options=pyarrow.csv.ReadOptions(skip_rows=skip, column_names=names, use_threads=threads,
                                                 encoding="utf8" if encoding.startswith("utf-8") else encoding),
            parse_options=pyarrow.csv.ParseOptions(
                delimiter=sep, ignore_empty_lines=False, newlines_in_values=True,
                invalid_row_handler=lambda row: ragged.append(row) or "skip"),
            convert_options=pyarrow.csv.ConvertOptions(
                column_types=dict.fromkeys(names, pyarrow.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pyarrow.ArrowInvalid, UnicodeDecodeError):
        return None
    long_rows = [row for row in ragged if row.actual_columns > row.expected_columns]
    if long_rows and threads:  # row numbers are only known when read on one thread
        return _read_csv_arrow(path, data, sep, skip, width, encoding, threads=False)
    if long_rows:
        first = long_rows[0]
        raise InputError(
            f"{path.name}: row {first.number} has {first.actual_columns} cells but the header row has "
            f"{first.expected_columns} ({len(long_rows)} such rows). Quote values that contain the "
            f"separator '{sep}' (e.g. \"Rp 1,500,000\"), or remove the extra cells, then run again."
        )
    if ragged:
        return None
    return table.to_pandas(types_mapper={pyarrow.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)


# --- Shared: header, columns, data rows ------------------------------------------------

def _find_header(rows: list[list[str]]) -> int | None:
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(header_key(cell) in HEADER_LOOKUP for cell in row) >= MIN_HEADER_MATCHES:
            return number
    return None


def _column_names(header: list[str]) -> list[str]:
    """Canonical names for known headers (first one wins), original text for the rest."""
    names, taken = [], set()
    for position, text in enumerate(header):
        canonical = HEADER_LOOKUP.get(header_key(text))
        if canonical and canonical not in taken:
            name = canonical
        else:
            name = str(text).strip() or f"kolom_{_column_letter(position)}"
            while name in taken or name in KNOWN_COLUMNS:
                name += "_"
        taken.add(name)
        names.append(name)
    return names


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _sheet_table(path: Path, sheet: _Sheet, order: int) -> pd.DataFrame | None:
    if sheet.frame is not None:
        frame, header_row = sheet.frame, sheet.frame.attrs["header_row"]
        header = [str(text) for text in frame.columns]
        frame.columns = _column_names(list(frame.columns))
    else:
        header_index = _find_header(sheet.cells or [])
        if header_index is None:
            return None
        header_row = header_index + 1
        body = sheet.cells[header_index + 1:]
        header = sheet.cells[header_index]
        frame = pd.DataFrame([row[:len(header)] for row in body], columns=_column_names(header), dtype="str")
    header_texts = dict(zip(frame.columns, header))
    frame = frame.astype("str").fillna("")
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    non_empty = frame.apply(lambda column: column.str.strip().ne("")).any(axis=1) if len(frame.columns) else []
    frame = frame[non_empty]
    frame.insert(0, "sumber_baris", frame.index.to_numpy(dtype="int64"))
    frame.insert(0, "urutan_sheet", order)
    frame.insert(0, "sumber_sheet", sheet.name)
    frame.insert(0, "sumber_file", path.name)
    frame = frame.reset_index(drop=True)
    frame.attrs["header_texts"] = header_texts
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack sheet tables into one; a column a sheet lacks is empty text there."""
    base = ["sumber_file", "sumber_sheet", "urutan_sheet", "sumber_baris", *KNOWN_COLUMNS]
    extra = list(dict.fromkeys(c for frame in frames for c in frame.columns if c not in base))
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in base})
        return empty.astype({"urutan_sheet": "int64", "sumber_baris": "int64"})
    return pd.concat([frame.reindex(columns=base + extra, fill_value="") for frame in frames], ignore_index=True)
