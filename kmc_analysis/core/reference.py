"""Load and validate the reference tables: bundled Kota Metro defaults, each overridable by a user file.

The five tables (CONTRACT section 2) are read from ``RAW/reference/NAME`` when that file
exists and from the package's bundled copy (``kmc_analysis/data/``) otherwise. Every cell is
read as text, checked with pandera (lazy, so all problems are reported at once; the schemas
and their wording are in :mod:`kmc_analysis.core.reference_schemas`) and only then
converted to numbers. Problems become one :class:`~kmc_analysis.core.errors.ReferenceDataError`
whose message names the file, the column, the rows (as numbered in a spreadsheet, header =
row 1) and the fix.

Before checking, the text is tidied the way users' spreadsheets vary: surrounding spaces
and blank rows dropped, headers lower-cased (``Kode Kelurahan`` -> ``kode_kelurahan``),
vocabularies lower-cased, thousands separators and ``Rp`` removed from whole numbers
(``Rp 1.500.000`` -> ``1500000``) and a decimal comma accepted (``8,47`` -> ``8.47``).

Bundled files are held to the Kota Metro code formats (``18.72.01.1001``, ``KMC-001``,
``IKU-01``); a user's override may use any non-empty, unique codes.
"""

from __future__ import annotations

import errno
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kmc_analysis.core.errors import ReferenceDataError

#: ``ReferenceData.sources`` value of a table read from the package's bundled copy.
BUNDLED = "bawaan"

#: The five reference files, in loading order (wilayah first: penduduk refers to it).
REFERENCE_FILES: tuple[str, ...] = (
    "wilayah.csv",
    "penduduk.csv",
    "program_bantuan.csv",
    "rpjmd_indikator.csv",
    "rpjmd_realisasi.csv",
)

POLARITAS = ("positif", "negatif")
SUMBER_INDIKATOR = ("kmc", "eksternal")
METRIK_KMC = (
    "penerima_unik",
    "jenis_bantuan_tersalur",
    "kelengkapan_opd_persen",
    "persen_baris_valid",
    "penerima_per_1000",
)
#: kategori of the bundled catalogue (a user's catalogue may use other, non-empty values).
KATEGORI_BANTUAN = ("beasiswa", "insentif", "honor", "santunan", "bantuan_sosial")
#: satuan of the bundled catalogue and how many payments a year each one means.
PAYMENTS_PER_YEAR = {"per bulan": 12, "per triwulan": 4, "per semester": 2, "per tahun": 1, "sekali": 1}
#: sasaran_miskin values (the program is meant for poor households: ``ya``); empty means not stated.
SASARAN_MISKIN = ("ya", "tidak")
#: The oldest age a catalogue's usia_min / usia_maks may state.
MAX_AGE = 120
#: The years of the RPJMD 2021-2026.
RPJMD_YEARS = tuple(range(2021, 2027))
#: target columns every rpjmd_indikator.csv must have (more target_YYYY columns are allowed).
TARGET_COLUMNS = tuple(f"target_{year}" for year in RPJMD_YEARS)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "wilayah": ("kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"),
    "penduduk": ("kode_kelurahan", "tahun", "penduduk"),
    "program_bantuan": ("kode_bantuan", "nama_bantuan", "opd", "kategori", "target_penerima", "anggaran"),
    "rpjmd_indikator": ("kode_indikator", "indikator", "satuan", "polaritas", "sumber", "metrik_kmc", *TARGET_COLUMNS),
    "rpjmd_realisasi": ("kode_indikator", "tahun", "realisasi"),
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "wilayah": ("ejaan_lain", "kode_bps_kecamatan", "kode_bps_kelurahan"),
    "penduduk": ("jumlah_kk", "keterangan"),
    "program_bantuan": ("nominal_standar", "satuan", "keterangan", "sasaran_miskin", "usia_min", "usia_maks"),
    "rpjmd_indikator": ("baseline", "keterangan"),
    "rpjmd_realisasi": ("sumber",),
}
_TARGET_COLUMN = re.compile(r"^target_\d{4}$")


@dataclass(frozen=True)
class ReferenceData:
    """The five reference tables in memory, plus where each one came from.

    Identifier and text columns are strings (empty string when blank); see
    docs/architecture.md ("Reference tables in memory") for every column's dtype. Every
    optional column of CONTRACT section 2 is present even when a user's file lacks it
    (empty strings, or <NA> for numbers), e.g. ``wilayah.kode_bps_kelurahan``; extra
    columns of a user's file are kept, as text, after the known ones.
    ``sources`` maps a table name (``"wilayah"`` ...) to ``"bawaan"`` for the bundled
    default or to the path of the user's override file.
    """

    wilayah: pd.DataFrame
    penduduk: pd.DataFrame
    program_bantuan: pd.DataFrame
    rpjmd_indikator: pd.DataFrame
    rpjmd_realisasi: pd.DataFrame
    sources: dict[str, str]


def bundled_reference_dir() -> Path:
    """Return the folder holding the bundled Kota Metro reference CSVs (package data)."""
    return Path(__file__).resolve().parents[1] / "data"


def load_reference(reference_dir: str | Path | None = None) -> ReferenceData:
    """Read, validate and type the five reference tables.

    For each name in :data:`REFERENCE_FILES`, ``reference_dir/NAME`` is used when it
    exists (a user override), else the bundled default. Files are UTF-8 (a BOM is
    accepted), comma separated (a semicolon-separated file, as Excel writes in an
    Indonesian locale, is recognised from its header line). Raises ReferenceDataError
    listing every problem found in every table.
    """
    base = Path(reference_dir) if reference_dir is not None else None
    raw: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    labels: dict[str, str] = {}
    as_bundled = True
    for file_name in REFERENCE_FILES:
        table = file_name.removesuffix(".csv")
        override = base / file_name if base is not None else None
        bundled = bundled_reference_dir() / file_name
        if override is not None and not override.is_file():
            _refuse_misnamed(base, table, file_name)
        if override is not None and override.is_file():
            path, sources[table], labels[table] = override, str(override), str(override)
            as_bundled = as_bundled and path.read_bytes() == bundled.read_bytes()
        else:
            path = bundled
            sources[table], labels[table] = BUNDLED, f"{file_name} ({BUNDLED})"
        raw[table] = _read_csv(path, labels[table])
        _clean(table, raw[table])
    if as_bundled:
        # Every table is the bundled one, byte for byte (as ``kmc synth`` copies them): those pass the
        # strict checks (tests/test_core_reference.py), so each stage's kernel skips loading pandera.
        return ReferenceData(**{table: _typed(table, frame) for table, frame in raw.items()}, sources=sources)

    # Imported here: the schemas are built from this module's vocabularies, and pandera is
    # only loaded when tables are validated.
    from kmc_analysis.core.reference_schemas import reference_problems

    problems = reference_problems(raw, sources, labels, base)
    if problems:
        error = ReferenceDataError(
            "Data referensi tidak valid; perbaiki masalah berikut lalu jalankan lagi:\n"
            + "\n".join(problems)
        )
        error.problems = problems
        raise error

    return ReferenceData(**{table: _typed(table, frame) for table, frame in raw.items()}, sources=sources)


def population_by_kelurahan(ref: ReferenceData, year: int) -> pd.DataFrame:
    """Return each kelurahan's population for ``year``: columns kode_kelurahan, penduduk, tahun.

    For every kelurahan in penduduk.csv the row with the latest ``tahun <= year`` is
    used; a kelurahan whose figures all come after ``year`` gets its earliest row
    instead. ``tahun`` says which year's figure was taken. Kelurahan with no row in
    penduduk.csv are absent. Sorted by kode_kelurahan.
    """
    year = int(year)
    pop = ref.penduduk[["kode_kelurahan", "tahun", "penduduk"]].sort_values(["kode_kelurahan", "tahun"])
    latest = pop[pop["tahun"] <= year].groupby("kode_kelurahan", sort=False).tail(1)
    earliest = pop.groupby("kode_kelurahan", sort=False).head(1)
    fallback = earliest[~earliest["kode_kelurahan"].isin(latest["kode_kelurahan"])]
    result = pd.concat([latest, fallback]).sort_values("kode_kelurahan")
    return result[["kode_kelurahan", "penduduk", "tahun"]].reset_index(drop=True)


def kecamatan_table(ref: ReferenceData) -> pd.DataFrame:
    """Return the kecamatan of wilayah.csv, one row each: kode_kecamatan, kecamatan (sorted by code)."""
    table = ref.wilayah[["kode_kecamatan", "kecamatan"]].drop_duplicates("kode_kecamatan")
    return table.sort_values("kode_kecamatan").reset_index(drop=True)


def catalogue_opds(ref: ReferenceData) -> list[str]:
    """Return the sorted unique OPD names of the bantuan catalogue (program_bantuan.csv)."""
    return sorted(set(ref.program_bantuan["opd"]))


# --------------------------------------------------------------------------- reading


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    """Read one CSV with every cell as stripped text; the index is the 0-based data row."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(
            f"{label}: berkas tidak dapat dibaca ({_os_reason(exc)}); pastikan berkas itu ada dan tidak sedang "
            "dibuka program lain."
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(
            f"{label}: berkas ini bukan teks UTF-8 (ada karakter yang tidak terbaca di posisi {exc.start + 1}); "
            "simpan ulang sebagai 'CSV UTF-8 (Comma delimited) (*.csv)'."
        ) from exc
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise ReferenceDataError(f"{label}: berkas ini kosong; baris 1 harus berisi nama-nama kolom.")
    sep = ";" if ";" in first_line and "," not in first_line else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise _ragged(label, _parser_reason(exc)) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas reads a first data row with more cells than the header as "the first column is the
        # index", shifting every column one place to the right without a word.
        raise _ragged(label, "baris data pertama berisi lebih banyak sel daripada baris judul")
    frame.columns = [re.sub(r"\s+", "_", str(col).replace("\ufeff", "").strip().lower()) for col in frame.columns]
    frame = frame.fillna("")
    for col in frame.columns:
        frame[col] = frame[col].astype(str).str.strip()
    return frame[frame.ne("").any(axis=1)]


def _ragged(label: str, reason: str) -> ReferenceDataError:
    """The error for a CSV whose rows do not line up with its header."""
    return ReferenceDataError(
        f"{label}: berkas ini bukan CSV yang dapat dibaca ({reason}); pastikan setiap baris "
        "berisi sel sebanyak baris judul, dan apit nilai yang mengandung koma dengan tanda kutip ganda."
    )


def _os_reason(exc: OSError) -> str:
    """Why a file could not be opened, in Indonesian (the system's own words when the cause is rare)."""
    reasons = {
        errno.ENOENT: "berkas tidak ditemukan",
        errno.EACCES: "tidak ada izin membaca",
        errno.EPERM: "tidak ada izin membaca",
        errno.EISDIR: "ini sebuah folder, bukan berkas",
    }
    return reasons.get(exc.errno, exc.strerror or type(exc).__name__)


def _parser_reason(exc: Exception) -> str:
    """Where a CSV breaks, in Indonesian, from pandas' 'Expected 3 fields in line 4, saw 5'."""
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found is None:
        return str(exc).strip()
    expected, line, seen = found.groups()
    return f"baris {line} berisi {seen} sel, padahal baris judul berisi {expected}"


def _refuse_misnamed(base: Path, table: str, file_name: str) -> None:
    """Stop when the folder holds e.g. ``Wilayah.csv`` or ``wilayah.xlsx``, which would be silently ignored."""
    if not base.is_dir():
        return
    for candidate in sorted(base.iterdir()):
        if candidate.is_file() and candidate.name.split(".")[0].strip().lower() == table:
            raise ReferenceDataError(
                f"{candidate}: tabel referensi hanya dibaca dari berkas bernama persis '{file_name}' "
                "(CSV UTF-8); simpan sebagai 'CSV UTF-8 (Comma delimited)' dengan nama itu, "
                f"atau pindahkan berkas ini keluar dari {base}."
            )


def _clean_integers(s: pd.Series) -> pd.Series:
    """Turn '1.500.000', '1,500,000', 'Rp 1.500.000,00' into '1500000'; leave anything else alone."""
    s = s.str.replace(r"(?i)^rp\.?\s*", "", regex=True).str.replace(r"(,00|,-|\.-)$", "", regex=True)
    grouped = s.str.fullmatch(r"\d{1,3}(?:\.\d{3})+") | s.str.fullmatch(r"\d{1,3}(?:,\d{3})+")
    return s.mask(grouped, s.str.replace(r"[.,]", "", regex=True))


def _clean_decimals(s: pd.Series) -> pd.Series:
    """Accept a decimal comma ('8,47' -> '8.47', '0,277' -> '0.277').

    '15,000' is left alone (it may mean fifteen thousand) and so fails validation with
    advice to write the number plainly.
    """
    decimal_comma = s.str.fullmatch(r"-?0,\d+") | s.str.fullmatch(r"-?\d+,(?:\d{1,2}|\d{4,})")
    return s.mask(decimal_comma, s.str.replace(",", ".", regex=False))


def target_columns(columns: Iterable[str]) -> list[str]:
    """The target columns of rpjmd_indikator: the required 2021-2026 ones, then any other target_YYYY."""
    extra = sorted(c for c in columns if _TARGET_COLUMN.match(c) and c not in TARGET_COLUMNS)
    return [*TARGET_COLUMNS, *extra]


# --------------------------------------------------------------------------- cleaning

#: Cleaning applied to the text before validation: lower-cased vocabularies, numbers.
_LOWERCASE = {
    "rpjmd_indikator": ("polaritas", "sumber", "metrik_kmc"),
}
_INTEGER_COLUMNS = {
    "penduduk": ("tahun", "penduduk", "jumlah_kk"),
    "program_bantuan": ("target_penerima", "anggaran", "nominal_standar", "usia_min", "usia_maks"),
    "rpjmd_realisasi": ("tahun",),
}
_DECIMAL_COLUMNS = {
    "rpjmd_indikator": ("baseline",),  # plus every target_YYYY column
    "rpjmd_realisasi": ("realisasi",),
}


def _clean(table: str, frame: pd.DataFrame) -> None:
    """Normalise the text users commonly vary: vocabulary case, thousands separators, decimal commas."""
    for col in _LOWERCASE.get(table, ()):
        if col in frame.columns:
            frame[col] = frame[col].str.lower()
    if table == "program_bantuan" and "kategori" in frame.columns:
        frame["kategori"] = frame["kategori"].str.lower().str.replace(r"\s+", "_", regex=True)
    for col in ("satuan", "sasaran_miskin"):
        if table == "program_bantuan" and col in frame.columns:
            frame[col] = frame[col].str.lower().str.replace(r"\s+", " ", regex=True)
    for col in _INTEGER_COLUMNS.get(table, ()):
        if col in frame.columns:
            frame[col] = _clean_integers(frame[col])
    decimals = list(_DECIMAL_COLUMNS.get(table, ()))
    if table == "rpjmd_indikator":
        decimals += target_columns(frame.columns)
    for col in decimals:
        if col in frame.columns:
            frame[col] = _clean_decimals(frame[col])


# --------------------------------------------------------------------------- typing


def _typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return the validated text frame with optional columns added and numbers converted."""
    frame = frame.reset_index(drop=True)
    for col in OPTIONAL_COLUMNS[table]:
        if col not in frame.columns:
            frame[col] = ""
    extra_targets = [c for c in target_columns(frame.columns) if c not in TARGET_COLUMNS]
    if table != "rpjmd_indikator":
        extra_targets = []
    order = [*REQUIRED_COLUMNS[table], *extra_targets, *OPTIONAL_COLUMNS[table]]
    frame = frame[order + [c for c in frame.columns if c not in order]].copy()
    if table == "penduduk":
        frame["tahun"] = frame["tahun"].astype("int64")
        frame["penduduk"] = frame["penduduk"].astype("int64")
        frame["jumlah_kk"] = _nullable_int(frame["jumlah_kk"])
    elif table == "program_bantuan":
        for col in ("target_penerima", "anggaran", "nominal_standar", "usia_min", "usia_maks"):
            frame[col] = _nullable_int(frame[col])
    elif table == "rpjmd_indikator":
        for col in (*TARGET_COLUMNS, *extra_targets, "baseline"):
            frame[col] = _nullable_float(frame[col])
    elif table == "rpjmd_realisasi":
        frame["tahun"] = frame["tahun"].astype("int64")
        frame["realisasi"] = _nullable_float(frame["realisasi"])
    return frame


def _nullable_int(s: pd.Series) -> pd.Series:
    return s.mask(s == "").astype("Int64")


def _nullable_float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.mask(s == "")).astype("Float64")
