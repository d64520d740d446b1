"""Read DTKS extracts from ``RAW/dtks/``, pseudonymising NIKs as they are read; keep nothing personal.

CONTRACT 2.4. Dinas Sosial exports DTKS (Data Terpadu Kesejahteraan Sosial) from SIKS-NG as
a pipe-separated file of 23 upper-case columns (``IDDTKS|PROVINSI|...|NOMOR KK|NOMOR NIK|
NAMA|...|PBI JKN``), sometimes comma-separated or saved as ``.xlsx``, with the NIK now and
then stored as a number. :func:`read_dtks` reads every ``.csv``/``.xlsx`` of the folder and
keeps, per person, only:

- ``id_penerima``: the keyed HMAC of the NIK, made exactly as stage 1 makes penerima's
  ``id_penerima`` (same cleaning, same key), so the two match without any NIK being kept;
- ``id_kk``: a household pseudonym from NOMOR KK (HMAC of ``KK:`` + the number, so it can
  never equal a person's), empty when the file has no usable KK;
- ``kode_kecamatan`` / ``kode_kelurahan`` matched from KECAMATAN and DESA/KELURAHAN by the
  project's place matcher (:mod:`kmc_analysis.clean.places`: BPS one-word spellings such as
  IRINGMULYO match), empty when no place matches.

Only the identifier, KK, place and BANSOS columns are read; names, addresses and birth data
never leave the reader. Nothing of DTKS is written except aggregates (stage 3's
ketepatan_sasaran.csv and the counts of :meth:`DtksExtract.summary`). A row counts as having
a usable NIK when its NIK has 16 digits whose digits 7-12 are a date (the quarantine rules
of stage 1); other rows are counted and dropped.

:func:`rows_needing_dtks_check` serves stage 1's feedback: the rows of poor-targeted
programs (catalogue ``sasaran_miskin = ya``) whose recipient is not in DTKS.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmc_analysis.clean import normalize as nz
from kmc_analysis.clean.places import PlaceIndex, resolve_places
from kmc_analysis.clean.pseudonyms import PseudonymKey, pseudonymize
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.formatting import format_number

DTKS_SUFFIXES = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 20
#: Catalogue value of ``sasaran_miskin`` for programs meant for poor households.
SASARAN_MISKIN_YA = "ya"
#: A number cell holds an exact integer only below 2^53 (CONTRACT 2.2).
EXACT_LIMIT = 2 ** 53
_SEPARATORS = ("|", ",", ";", "\t")

#: Column -> headers accepted, compared upper case with letters and digits only.
DTKS_HEADERS: dict[str, tuple[str, ...]] = {
    "nik": ("NOMOR NIK", "NIK", "NO NIK", "NO. NIK", "NIK KTP", "NOMOR INDUK KEPENDUDUKAN"),
    "no_kk": ("NOMOR KK", "NO KK", "NO. KK", "KK", "NOMOR KARTU KELUARGA", "NO KARTU KELUARGA"),
    "kecamatan": ("KECAMATAN", "KEC", "NAMA KECAMATAN"),
    "kelurahan": ("DESA/KELURAHAN", "KELURAHAN", "DESA", "KELURAHAN/DESA", "DESA/KEL", "KEL/DESA",
                  "NAMA DESA/KELURAHAN", "NAMA KELURAHAN"),
}
#: Headers of national social assistance flags (YA/TIDAK), counted when present.
_BANSOS = re.compile(r"^(BANSOS.+|PBIJKN|BST)$")
#: What a person-level frame of DTKS holds (nothing personal).
PERSON_COLUMNS = ["id_penerima", "id_kk", "kode_kecamatan", "kode_kelurahan"]


def _header_key(text: object) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(text).upper())


_LOOKUP = {_header_key(h): column for column, headers in DTKS_HEADERS.items() for h in headers}


@dataclass
class _Raw:
    """The kept columns of one file, as text; NIK still clear (dropped by ``read_dtks``)."""

    cells: pd.DataFrame
    bansos: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DtksExtract:
    """DTKS persons of RAW/dtks/ (pseudonyms and places only) and what was read.

    ``persons``: one row per distinct person (:data:`PERSON_COLUMNS`). ``files``: per file
    its path relative to the raw dir, sha256, ``baris_dibaca`` (data rows) and
    ``baris_nik_valid``. ``ignored_files``: other entries of the folder. ``bansos``: per
    BANSOS/PBI column, distinct persons marked YA.
    """

    persons: pd.DataFrame
    files: list[dict]
    ignored_files: list[str]
    bansos: dict[str, int]

    @property
    def ids(self) -> pd.Series:
        """The person pseudonyms (same key as penerima.parquet's id_penerima)."""
        return self.persons["id_penerima"]

    def summary(self) -> dict:
        """Counts only (safe to write and publish): files, rows read, usable NIKs, persons, households."""
        persons = self.persons
        return {
            "berkas": [dict(entry) for entry in self.files],
            "berkas_diabaikan": list(self.ignored_files),
            "baris_dibaca": int(sum(entry["baris_dibaca"] for entry in self.files)),
            "baris_nik_valid": int(sum(entry["baris_nik_valid"] for entry in self.files)),
            "orang_unik": int(len(persons)),
            "rumah_tangga_unik": int(persons.loc[persons["id_kk"] != "", "id_kk"].nunique()),
            "orang_tanpa_kk": int((persons["id_kk"] == "").sum()),
            "orang_wilayah_tidak_dikenal": int((persons["kode_kecamatan"] == "").sum()),
            "bansos_pusat": dict(sorted(self.bansos.items())),
        }


def household_pseudonym(no_kk: pd.Series, key: PseudonymKey) -> pd.Series:
    """HMAC of ``KK:`` + the cleaned 16-digit NOMOR KK under ``key``; empty where the KK is unusable."""
    kk = nz.clean_nik(no_kk)
    usable = nz.nik_has_sixteen_digits(kk)
    out = pd.Series("", index=no_kk.index, dtype="str")
    if usable.any():
        out[usable] = pseudonymize(("KK:" + kk[usable]).astype("str"), key)
    return out


def list_dtks_files(dtks_dir: Path) -> tuple[list[Path], list[str]]:
    """The extracts of the folder (plain name order) and the names of everything else in it."""
    files, ignored = [], []
    for path in sorted(Path(dtks_dir).iterdir(), key=lambda p: p.name):
        if path.is_file() and path.suffix.lower() in DTKS_SUFFIXES and not path.name.startswith(("~$", ".")):
            files.append(path)
        elif not path.name.startswith("."):
            ignored.append(path.name)
    return files, ignored


def read_dtks(dtks_dir: Path, raw_dir: Path, key: PseudonymKey, wilayah: pd.DataFrame) -> DtksExtract:
    """Read every extract of ``dtks_dir`` into pseudonymised persons with their places.

    InputError (naming the file and the fix) for a file that cannot be read, a file with
    no NIK column, a CSV row with more cells than its header, or a folder with no extract.
    """
    dtks_dir = Path(dtks_dir)
    files, ignored = list_dtks_files(dtks_dir)
    if not files:
        raise InputError(
            f"Folder DTKS {dtks_dir} tidak berisi ekstrak DTKS (.csv atau .xlsx)"
            + (f"; isinya: {', '.join(ignored)}" if ignored else "")
            + ". Letakkan ekspor DTKS dari SIKS-NG di folder itu, atau hapus folder itu bila ketepatan sasaran "
              "tidak dinilai bulan ini."
        )
    index = PlaceIndex.from_wilayah(wilayah)
    frames, entries, bansos_frames, bansos = [], [], [], {}
    for order, path in enumerate(files):
        data = _read_bytes(path)
        raw = _read_xlsx(path, data) if path.suffix.lower() == ".xlsx" else _read_csv(path, data)
        cells = raw.cells
        nik = nz.clean_nik(cells["nik"])
        usable = nz.nik_date_is_valid(nik)
        relative = path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name
        if len(cells) and not usable.any():
            raise _no_usable_nik(path, cells["nik"], len(cells))
        entries.append({"path": relative, "sha256": hashlib.sha256(data).hexdigest(),
                        "baris_dibaca": int(len(cells)), "baris_nik_valid": int(usable.sum())})
        if raw.skipped_sheets:
            entries[-1]["sheet_dilewati"] = raw.skipped_sheets
        kept = cells.loc[usable]
        people = pd.DataFrame({
            "id_penerima": pseudonymize(nik[usable].astype("str"), key),
            "id_kk": household_pseudonym(kept["no_kk"], key),
            "_kelurahan": kept["kelurahan"], "_kecamatan": kept["kecamatan"], "_urutan": order,
        })
        frames.append(people)
        for column in raw.bansos:
            bansos.setdefault(column, 0)
            marked = kept[column].astype("str").str.strip().str.upper().isin(["YA", "Y", "1", "YES"])
            bansos_frames.append(pd.DataFrame({"kolom": column, "id_penerima": people.loc[marked, "id_penerima"]}))
        del nik, cells, kept
    persons = pd.concat(frames, ignore_index=True).drop_duplicates("id_penerima", keep="first")
    if persons.empty:
        raise InputError(
            f"Ekstrak DTKS di {dtks_dir.name}/ ({', '.join(p.name for p in files)}) tidak memuat satu baris data pun "
            f"di bawah judul kolomnya: ketepatan sasaran tidak dapat dinilai dari ekstrak kosong. Ekspor ulang DTKS "
            f"dari SIKS-NG, atau hapus folder itu bila ketepatan sasaran tidak dinilai bulan ini."
        )
    places = resolve_places(persons["_kelurahan"].astype("str"), persons["_kecamatan"].astype("str"), index)
    persons = persons.assign(kode_kecamatan=places["kode_kecamatan"].to_numpy(),
                             kode_kelurahan=places["kode_kelurahan"].to_numpy())
    if bansos_frames:
        marked = pd.concat(bansos_frames, ignore_index=True).drop_duplicates()
        bansos.update({str(k): int(v) for k, v in marked.groupby("kolom")["id_penerima"].nunique().items()})
    return DtksExtract(persons[PERSON_COLUMNS].reset_index(drop=True).astype("str"), entries, ignored, bansos)


# --- reading one file ---------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as problem:
        raise InputError(f"Ekstrak DTKS {path.name} tidak dapat dibaca ({problem.strerror}): periksa izin berkas "
                         f"itu atau salin ulang dari SIKS-NG, lalu jalankan lagi.") from problem


def _missing_nik(path: Path, where: str = "") -> InputError:
    return InputError(
        f"Ekstrak DTKS {path.name}{where}: tidak ada kolom NOMOR NIK atau NIK dalam {HEADER_SEARCH_ROWS} baris "
        f"pertama. Ekspor ulang DTKS dari SIKS-NG lengkap dengan kolom NOMOR NIK (atau beri judul kolom NIK pada "
        f"kolom nomor induk kependudukan), lalu jalankan lagi."
    )


def _no_usable_nik(path: Path, nik: pd.Series, rows: int) -> InputError:
    """No row of an extract has a usable NIK: judging targeting on it would call every recipient "not in DTKS"."""
    text = nik.astype("str").fillna("")
    lost = text.str.contains(r"^[0-9.,]+[eE]\+?[0-9]+$", regex=True).any()
    why = (" Angka seperti 1,87E+15 berarti Excel menyimpan NIK sebagai angka dan digit terakhirnya hilang: buka "
           "ekspor CSV dengan kolom NOMOR NIK sebagai Teks, atau ekspor ulang sebagai .xlsx." if lost else "")
    return InputError(
        f"Ekstrak DTKS {path.name}: tidak satu pun dari {format_number(rows)} barisnya punya NIK yang dapat dipakai "
        f"(16 angka dengan tanggal lahir yang sah pada angka ke-7 sampai ke-12), sehingga ketepatan sasaran akan "
        f"menyebut semua penerima tidak terdaftar di DTKS.{why} Perbaiki kolom NOMOR NIK lalu jalankan lagi, atau hapus "
        f"berkas itu bila ketepatan sasaran tidak dinilai bulan ini."
    )


def _columns_of(header: list[object]) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Positions of the DTKS columns (first match wins) and of the BANSOS columns in a header row."""
    found: dict[str, int] = {}
    bansos = []
    for position, text in enumerate(header):
        key = _header_key(text)
        column = _LOOKUP.get(key)
        if column and column not in found:
            found[column] = position
        elif _BANSOS.match(key):
            bansos.append((str(text).strip(), position))
    return found, bansos


def _decode(path: Path, data: bytes) -> str:
    """The file as text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path, data: bytes) -> _Raw:
    text = _decode(path, data)
    head = text.splitlines()[:HEADER_SEARCH_ROWS]
    best = None  # (cells in header, separator, header row, columns, bansos)
    for separator in _SEPARATORS:
        for number, row in enumerate(csv.reader(head, delimiter=separator)):
            columns, bansos = _columns_of(row)
            if "nik" in columns:
                if best is None or len(row) > best[0]:
                    best = (len(row), separator, number, columns, bansos)
                break
    if best is None:
        raise _missing_nik(path)
    width, separator, header_row, columns, bansos = best
    wanted = {**columns, **{name: position for name, position in bansos}}
    try:
        # Every column is parsed (usecols would hide a row with more cells than the header,
        # whose cells may have shifted), then only the kept ones stay.
        frame = pd.read_csv(io.StringIO(text), sep=separator, header=None, names=range(width),
                            skiprows=header_row + 1, dtype="str", keep_default_na=False, na_filter=False,
                            skip_blank_lines=True, engine="c", index_col=False)
        frame = frame[sorted(set(wanted.values()))]
    except (pd.errors.ParserError, ValueError) as problem:
        line = re.search(r"line (\d+)", str(problem))
        where = f", baris {int(line.group(1))}" if line else ""
        raise InputError(
            f"Ekstrak DTKS {path.name}{where}: jumlah sel tidak sama dengan judul kolom ({width} kolom, pemisah "
            f"'{separator}'). Ekspor ulang dari SIKS-NG, atau beri tanda kutip pada isian yang memuat '{separator}'."
        ) from problem
    return _kept(frame.fillna(""), wanted, [name for name, _ in bansos])


def _cell_text(value: object) -> str:
    """An Excel cell as text; a whole number keeps every digit when it is exact (below 2^53)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < EXACT_LIMIT else repr(value)
    return "" if value is None else str(value)


def _sheet_table(sheet) -> _Raw | None:
    """The DTKS columns of one sheet below its header row; None when no NIK header is in the first rows."""
    rows = sheet.iter_rows()
    for number, row in enumerate(rows):
        if number >= HEADER_SEARCH_ROWS:
            return None
        columns, bansos = _columns_of(row)
        if "nik" in columns:
            wanted = {**columns, **{label: position for label, position in bansos}}
            picked = [[_cell_text(r[p]) if p < len(r) else "" for p in wanted.values()] for r in rows]
            frame = pd.DataFrame(picked, columns=list(wanted), dtype="str")
            return _kept(frame, {c: c for c in wanted}, [label for label, _ in bansos])
    return None


def _read_xlsx(path: Path, data: bytes) -> _Raw:
    from python_calamine import CalamineWorkbook

    tables, skipped = [], []
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in workbook.sheet_names:
            table = _sheet_table(workbook.get_sheet_by_name(name))
            if table is None:
                skipped.append(name)
            else:
                tables.append(table)
    except Exception as problem:  # calamine raises several types for damaged files
        raise InputError(
            f"Ekstrak DTKS {path.name} tidak dapat dibuka sebagai buku kerja Excel ({type(problem).__name__}). "
            f"Buka di Excel lalu simpan ulang sebagai .xlsx, atau ekspor ulang dari SIKS-NG."
        ) from problem
    if not tables:
        raise _missing_nik(path, " (semua sheet)")
    bansos = list(dict.fromkeys(label for table in tables for label in table.bansos))
    return _Raw(pd.concat([t.cells for t in tables], ignore_index=True).fillna(""), bansos, skipped)


def _kept(frame: pd.DataFrame, wanted: dict[str, object], bansos: list[str]) -> _Raw:
    """The DTKS columns under their names (absent ones empty), rows that are not blank."""
    out = pd.DataFrame({name: frame[position].astype("str") for name, position in wanted.items()})
    for column in DTKS_HEADERS:
        if column not in out:
            out[column] = ""
    out = out.loc[out.apply(lambda c: c.str.strip().ne("")).any(axis=1)] if len(out) else out
    return _Raw(out.reset_index(drop=True), bansos)


# --- stage 1's feedback ----------------------------------------------------------------------


def poor_targeted_codes(catalogue: pd.DataFrame) -> list[str]:
    """kode_bantuan of the catalogue programs meant for poor households (``sasaran_miskin = ya``)."""
    if "sasaran_miskin" not in catalogue.columns:
        return []
    marked = catalogue["sasaran_miskin"].astype("str").str.strip().str.lower() == SASARAN_MISKIN_YA
    return catalogue.loc[marked, "kode_bantuan"].astype("str").tolist()


def rows_needing_dtks_check(penerima_with_ids: pd.DataFrame, dtks_ids: Iterable[str],
                            catalogue: pd.DataFrame) -> pd.DataFrame:
    """Rows of poor-targeted programs whose recipient is not in DTKS ("perlu verifikasi DTKS").

    ``penerima_with_ids``: accepted rows with id_penerima, kode_bantuan, opd, sumber_file,
    sumber_sheet, sumber_baris (penerima.parquet, or stage 1's rows once pseudonymised);
    ``dtks_ids``: DTKS pseudonyms under the same key (``DtksExtract.ids``). Returns opd,
    sumber_file, sumber_sheet, sumber_baris, kode_bantuan, sorted by OPD then source row,
    for each OPD's feedback workbook. Nothing else of the row or of DTKS.
    """
    columns = ["opd", "sumber_file", "sumber_sheet", "sumber_baris", "kode_bantuan"]
    rows = penerima_with_ids
    known = pd.Index(pd.Series(list(dtks_ids), dtype="str").unique())
    need = rows["kode_bantuan"].isin(poor_targeted_codes(catalogue)) & ~rows["id_penerima"].isin(known)
    out = rows.loc[need, columns].astype({"sumber_baris": "int64"})
    return out.sort_values(columns[:4], kind="stable").reset_index(drop=True)
