"""Load and validate the reference tables: bundled Kota Metro defaults, each overridable by a user file.

The five tables (CONTRACT section 2) are read from ``RAW/reference/NAME`` when that file
exists and from the package's bundled copy (``kmc_analysis/data/``) otherwise. Every cell is
read as text, checked with pandera (lazy, so all problems are reported at once) and only then
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

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

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
#: target columns every rpjmd_indikator.csv must have (more target_YYYY columns are allowed).
TARGET_COLUMNS = tuple(f"target_{year}" for year in range(2021, 2027))

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
    "program_bantuan": ("nominal_standar", "satuan", "keterangan"),
    "rpjmd_indikator": ("baseline", "keterangan"),
    "rpjmd_realisasi": ("sumber",),
}

_MAX_ROWS_SHOWN = 5
_KODE_KECAMATAN = r"\d{2}\.\d{2}\.\d{2}"
_KODE_KELURAHAN = r"\d{2}\.\d{2}\.\d{2}\.\d{4}"
_INT = r"\d{1,15}"
_POSITIVE_INT = r"0*[1-9]\d{0,14}"
_NUMBER = r"-?\d+(?:\.\d+)?"
_YEAR = r"\d{4}"
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
    for file_name in REFERENCE_FILES:
        table = file_name.removesuffix(".csv")
        override = base / file_name if base is not None else None
        if override is not None and not override.is_file():
            _refuse_misnamed(base, table, file_name)
        if override is not None and override.is_file():
            path, sources[table], labels[table] = override, str(override), str(override)
        else:
            path = bundled_reference_dir() / file_name
            sources[table], labels[table] = BUNDLED, f"{file_name} ({BUNDLED})"
        raw[table] = _read_csv(path, labels[table])
        _clean(table, raw[table])

    problems: list[str] = []
    for table in raw:
        strict = sources[table] == BUNDLED
        schema = _SCHEMA_BUILDERS[table](raw[table], strict, raw, sources, base)
        problems += _validate(schema, raw[table], table, labels[table])
    if problems:
        error = ReferenceDataError(
            "Data referensi tidak valid (the reference data has problems); fix these and run again:\n"
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
            f"{label}: the file cannot be read ({exc.strerror}); check that it exists and is not open elsewhere."
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(
            f"{label}: the file is not UTF-8 text (unreadable byte at position {exc.start + 1}); "
            "save it again as 'CSV UTF-8 (Comma delimited) (*.csv)'."
        ) from exc
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise ReferenceDataError(f"{label}: the file is empty; row 1 must be a header naming the columns.")
    sep = ";" if ";" in first_line and "," not in first_line else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReferenceDataError(
            f"{label}: the file is not a readable CSV ({str(exc).strip()}); make every row have as many "
            "cells as the header and put values that contain a comma in double quotes."
        ) from exc
    frame.columns = [re.sub(r"\s+", "_", str(col).replace("\ufeff", "").strip().lower()) for col in frame.columns]
    frame = frame.fillna("")
    for col in frame.columns:
        frame[col] = frame[col].astype(str).str.strip()
    return frame[frame.ne("").any(axis=1)]


def _refuse_misnamed(base: Path, table: str, file_name: str) -> None:
    """Stop when the folder holds e.g. ``Wilayah.csv`` or ``wilayah.xlsx``, which would be silently ignored."""
    if not base.is_dir():
        return
    for candidate in sorted(base.iterdir()):
        if candidate.is_file() and candidate.name.split(".")[0].strip().lower() == table:
            raise ReferenceDataError(
                f"{candidate}: reference tables are read only from a file named exactly '{file_name}' "
                f"(UTF-8 CSV); save it as 'CSV UTF-8 (Comma delimited)' under that name, or move it out of {base}."
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


def _target_columns(columns: Iterable[str]) -> list[str]:
    """The target columns of rpjmd_indikator: the required 2021-2026 ones, then any other target_YYYY."""
    extra = sorted(c for c in columns if _TARGET_COLUMN.match(c) and c not in TARGET_COLUMNS)
    return [*TARGET_COLUMNS, *extra]


def _name_key(s: pd.Series) -> pd.Series:
    """Compare names ignoring case, spaces and punctuation."""
    return s.str.lower().str.replace(r"[^0-9a-z]", "", regex=True)


# --------------------------------------------------------------------------- checks


def _check(fn: Callable[[pd.Series], pd.Series], advice: str) -> pa.Check:
    """A vectorised pandera check whose error text is the advice shown to the user."""
    return pa.Check(fn, error=advice)


def _filled(advice: str = "fill it in") -> pa.Check:
    return _check(lambda s: s != "", advice)


def _matches(pattern: str, advice: str, allow_empty: bool = False) -> pa.Check:
    if allow_empty:
        return _check(lambda s: (s == "") | s.str.fullmatch(pattern), advice)
    return _check(lambda s: s.str.fullmatch(pattern), advice)


def _one_of(values: Iterable[str], advice: str | None = None) -> pa.Check:
    values = tuple(values)
    return _check(lambda s: s.isin(values), advice or "use " + _or_list(values))


def _unique(key: Callable[[pd.Series], pd.Series], advice: str) -> pa.Check:
    return _check(lambda s: (s == "") | ~key(s).duplicated(keep=False), advice)


def _unique_with(frame: pd.DataFrame, other: str, advice: str) -> pa.Check:
    """Rows whose (this column, ``other``) pair repeats fail."""
    return _check(lambda s: ~pd.concat([s, frame[other]], axis=1).duplicated(keep=False), advice)


def _or_list(values: Iterable[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _column(*checks: pa.Check, required: bool = True) -> pa.Column:
    return pa.Column(None, checks=list(checks), required=required, nullable=False)


def _schema(columns: dict[str, pa.Column]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


# --------------------------------------------------------------------------- schemas


def _wilayah_schema(df: pd.DataFrame, strict: bool, *_: object) -> pa.DataFrameSchema:
    has = set(df.columns)
    kode_kec = [_filled()]
    kode_kel = [
        _filled(),
        _unique(lambda s: s, "each kode_kelurahan may appear only once: keep one row per kelurahan"),
    ]
    kelurahan = [_filled()]
    bps_kec: list[pa.Check] = []
    bps_kel: list[pa.Check] = []
    if strict:
        kode_kec.append(_matches(_KODE_KECAMATAN, "write the Kemendagri code as 18.72.01"))
        kode_kel.append(_matches(_KODE_KELURAHAN, "write the Kemendagri code as 18.72.01.1001"))
        bps_kec.append(_matches(r"\d{7}", "write the BPS code as 7 digits, e.g. 1872022", allow_empty=True))
        bps_kel.append(_matches(r"\d{10}", "write the BPS code as 10 digits, e.g. 1872022001", allow_empty=True))
        if "kode_kecamatan" in has:
            kode_kel.append(_check(
                lambda s: s.str.rsplit(".", n=1).str[0] == df["kode_kecamatan"],
                "a kelurahan code must start with its kode_kecamatan",
            ))
    if {"kode_kecamatan", "kecamatan"} <= has:
        kode_kec.append(_check(
            lambda s: s.groupby(df["kecamatan"]).transform("nunique") == 1,
            "one kecamatan name has several codes here: give each kecamatan a single kode_kecamatan",
        ))
        kecamatan = [_filled(), _check(
            lambda s: s.groupby(df["kode_kecamatan"]).transform("nunique") == 1,
            "one kode_kecamatan has several names here: spell the kecamatan the same way on every row",
        )]
        kelurahan.append(_check(
            lambda s: ~pd.concat([df["kode_kecamatan"], _name_key(s)], axis=1).duplicated(keep=False),
            "the same kelurahan name appears twice in one kecamatan: keep one row",
        ))
    else:
        kecamatan = [_filled()]
    columns = {
        "kode_kecamatan": _column(*kode_kec),
        "kecamatan": _column(*kecamatan),
        "kode_kelurahan": _column(*kode_kel),
        "kelurahan": _column(*kelurahan),
        "kode_bps_kecamatan": _column(*bps_kec, required=False),
        "kode_bps_kelurahan": _column(*bps_kel, required=False),
    }
    if {"kode_kelurahan", "kelurahan"} <= has:
        columns["ejaan_lain"] = _column(_check(
            lambda s: _variants_unambiguous(df["kode_kelurahan"], df["kelurahan"], s),
            "a spelling in ejaan_lain also names another kelurahan: remove it, "
            "since it cannot say which kelurahan is meant",
        ), required=False)
    return _schema(columns)


def _variants_unambiguous(codes: pd.Series, names: pd.Series, variants: pd.Series) -> pd.Series:
    """True for rows none of whose ejaan_lain spellings also names or spells another kelurahan."""
    spellings = pd.DataFrame({"kode": codes, "ejaan": variants.str.split(";")}).explode("ejaan")
    spellings["ejaan"] = spellings["ejaan"].fillna("").astype(str).str.strip()
    spellings = spellings[spellings["ejaan"] != ""]
    every = pd.concat([pd.DataFrame({"kode": codes, "ejaan": names}), spellings])
    every["key"] = _name_key(every["ejaan"].astype(str))
    spellings["key"] = _name_key(spellings["ejaan"])
    pairs = spellings.rename_axis("row").reset_index().merge(
        every[["key", "kode"]].drop_duplicates(), on="key", suffixes=("", "_lain")
    )
    clashing = set(pairs.loc[pairs["kode"] != pairs["kode_lain"], "row"])
    return pd.Series(~variants.index.isin(list(clashing)), index=variants.index)


def _penduduk_schema(
    df: pd.DataFrame, strict: bool, raw: dict[str, pd.DataFrame], sources: dict[str, str], base: Path | None
) -> pa.DataFrameSchema:
    known = set(raw["wilayah"].get("kode_kelurahan", pd.Series(dtype=str)))
    unknown_advice = "this kode_kelurahan is not in wilayah.csv: correct the code or add the kelurahan to wilayah.csv"
    if sources["penduduk"] == BUNDLED and sources["wilayah"] != BUNDLED:
        unknown_advice += f" (wilayah.csv was replaced, so also put your own penduduk.csv in {base})"
    kode = [_filled(), _check(lambda s: s.isin(known), unknown_advice)]
    if strict:
        kode.append(_matches(_KODE_KELURAHAN, "write the Kemendagri code as 18.72.01.1001"))
    if "tahun" in df.columns:
        kode.append(_unique_with(df, "tahun", "a kelurahan may have only one row per tahun: keep one of these rows"))
    return _schema({
        "kode_kelurahan": _column(*kode),
        "tahun": _column(_matches(_YEAR, "write the year as four digits, e.g. 2025")),
        "penduduk": _column(
            _matches(_POSITIVE_INT, "write the population as a whole number above zero, without dots or commas")
        ),
        "jumlah_kk": _column(
            _matches(_INT, "write the number of families as a whole number or leave it empty", allow_empty=True),
            required=False,
        ),
    })


def _program_schema(df: pd.DataFrame, strict: bool, *_: object) -> pa.DataFrameSchema:
    kode = [
        _filled(),
        _unique(
            lambda s: s.str.upper(),
            "each kode_bantuan may appear only once (ignoring case): give each bantuan its own code",
        ),
    ]
    kategori = [_filled("fill it in (e.g. " + _or_list(KATEGORI_BANTUAN) + ")")]
    satuan: list[pa.Check] = []
    if strict:
        kode.append(_matches(r"KMC-\d{3}", "write the code as KMC-001"))
        kategori.append(_one_of(KATEGORI_BANTUAN))
        satuan.append(_one_of(PAYMENTS_PER_YEAR))
    amount = "write a whole number of Rupiah without dots, or leave it empty"
    return _schema({
        "kode_bantuan": _column(*kode),
        "nama_bantuan": _column(_filled(), _unique(
            lambda s: s.str.lower().str.replace(r"\s+", "", regex=True),
            "each nama_bantuan must differ from the others even ignoring case and spaces, "
            "since OPD files are matched by name",
        )),
        "opd": _column(_filled("write the name of the OPD that manages this bantuan")),
        "kategori": _column(*kategori),
        "target_penerima": _column(
            _matches(_INT, "write the number of recipients as a whole number, or leave it empty", allow_empty=True)
        ),
        "anggaran": _column(_matches(_INT, amount, allow_empty=True)),
        "nominal_standar": _column(_matches(_INT, amount, allow_empty=True), required=False),
        "satuan": _column(*satuan, required=False),
    })


def _indikator_schema(df: pd.DataFrame, strict: bool, *_: object) -> pa.DataFrameSchema:
    kode = [
        _filled(),
        _unique(lambda s: s, "each kode_indikator may appear only once: give each indicator its own code"),
    ]
    if strict:
        kode.append(_matches(r"(IKU|IKP)-\d{2}", "write the code as IKU-01 (external) or IKP-01 (KMC)"))
    metrik: list[pa.Check] = []
    if "sumber" in df.columns:
        is_kmc = df["sumber"] == "kmc"
        metrik = [
            _check(lambda s: ~is_kmc | s.isin(METRIK_KMC), "for sumber 'kmc' use " + _or_list(METRIK_KMC)),
            _check(lambda s: is_kmc | (s == ""), "leave metrik_kmc empty unless sumber is 'kmc'"),
        ]
    number = "write a number with a decimal point (e.g. 7.5) or leave it empty"
    columns = {
        "kode_indikator": _column(*kode),
        "indikator": _column(_filled("write the indicator's name")),
        "satuan": _column(),
        "polaritas": _column(_one_of(POLARITAS)),
        "sumber": _column(_one_of(SUMBER_INDIKATOR)),
        "metrik_kmc": _column(*metrik),
        "baseline": _column(_matches(_NUMBER, number, allow_empty=True), required=False),
    }
    for col in _target_columns(df.columns):
        columns[col] = _column(_matches(_NUMBER, number, allow_empty=True))
    return _schema(columns)


def _realisasi_schema(
    df: pd.DataFrame, strict: bool, raw: dict[str, pd.DataFrame], sources: dict[str, str], base: Path | None
) -> pa.DataFrameSchema:
    indikator = raw["rpjmd_indikator"]
    known = set(indikator.get("kode_indikator", pd.Series(dtype=str)))
    unknown_advice = "this kode_indikator is not in rpjmd_indikator.csv: correct the code or add the indicator there"
    if sources["rpjmd_realisasi"] == BUNDLED and sources["rpjmd_indikator"] != BUNDLED:
        unknown_advice += f" (rpjmd_indikator.csv was replaced, so also put your own rpjmd_realisasi.csv in {base})"
    kode = [
        _filled(),
        _check(lambda s: s.isin(known), unknown_advice),
    ]
    if "tahun" in df.columns:
        kode.append(
            _unique_with(df, "tahun", "an indicator may have only one realisasi per tahun: keep one of these rows")
        )
    return _schema({
        "kode_indikator": _column(*kode),
        "tahun": _column(_matches(_YEAR, "write the year as four digits, e.g. 2024")),
        "realisasi": _column(_matches(_NUMBER, "write a number with a decimal point, e.g. 6.78")),
    })


_SCHEMA_BUILDERS = {
    "wilayah": _wilayah_schema,
    "penduduk": _penduduk_schema,
    "program_bantuan": _program_schema,
    "rpjmd_indikator": _indikator_schema,
    "rpjmd_realisasi": _realisasi_schema,
}

#: Cleaning applied to the text before validation: lower-cased vocabularies, numbers.
_LOWERCASE = {
    "rpjmd_indikator": ("polaritas", "sumber", "metrik_kmc"),
}
_INTEGER_COLUMNS = {
    "penduduk": ("tahun", "penduduk", "jumlah_kk"),
    "program_bantuan": ("target_penerima", "anggaran", "nominal_standar"),
    "rpjmd_realisasi": ("tahun",),
}
_DECIMAL_COLUMNS = {
    "rpjmd_indikator": ("baseline",),  # plus every target_YYYY column
    "rpjmd_realisasi": ("realisasi",),
}


# --------------------------------------------------------------------------- validation


def _validate(schema: pa.DataFrameSchema, frame: pd.DataFrame, table: str, label: str) -> list[str]:
    """Validate ``frame`` and return the problems found, as sentences."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return _describe(exc.failure_cases, frame, table, label)
    return []


def _clean(table: str, frame: pd.DataFrame) -> None:
    """Normalise the text users commonly vary: vocabulary case, thousands separators, decimal commas."""
    for col in _LOWERCASE.get(table, ()):
        if col in frame.columns:
            frame[col] = frame[col].str.lower()
    if table == "program_bantuan" and "kategori" in frame.columns:
        frame["kategori"] = frame["kategori"].str.lower().str.replace(r"\s+", "_", regex=True)
    if table == "program_bantuan" and "satuan" in frame.columns:
        frame["satuan"] = frame["satuan"].str.lower().str.replace(r"\s+", " ", regex=True)
    for col in _INTEGER_COLUMNS.get(table, ()):
        if col in frame.columns:
            frame[col] = _clean_integers(frame[col])
    decimals = list(_DECIMAL_COLUMNS.get(table, ()))
    if table == "rpjmd_indikator":
        decimals += _target_columns(frame.columns)
    for col in decimals:
        if col in frame.columns:
            frame[col] = _clean_decimals(frame[col])


def _describe(failures: pd.DataFrame, frame: pd.DataFrame, table: str, label: str) -> list[str]:
    """Turn pandera's failure cases into plain sentences, one per column and rule."""
    sentences: list[str] = []
    missing = failures.loc[failures["check"] == "column_in_dataframe", "failure_case"].astype(str).tolist()
    if missing:
        expected = ", ".join(REQUIRED_COLUMNS[table])
        optional = ", ".join(OPTIONAL_COLUMNS[table])
        if len(missing) == 1:
            which = f"column '{missing[0]}' is"
        else:
            which = "columns " + _or_list(missing).replace(" or ", " and ") + " are"
        sentences.append(
            f"{label}: required {which} missing; row 1 must name the columns {expected} (optional: {optional})."
        )
    rest = failures[failures["check"] != "column_in_dataframe"]
    for (column, check), group in rest.groupby(["column", "check"], sort=False, dropna=False):
        rows = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int).drop_duplicates().sort_values()
        if rows.empty:
            detail = group["failure_case"].iloc[0]
            sentences.append(f"{label}: column '{column}' could not be checked ({check}: {detail}).")
            continue
        values = frame[column] if column in frame.columns else pd.Series("", index=frame.index)
        where = _rows_phrase([(i, str(values.at[i])) for i in rows.iloc[:_MAX_ROWS_SHOWN]])
        more = len(rows) - _MAX_ROWS_SHOWN
        if more > 0:
            where += f" (and {more} more row{'s' if more > 1 else ''})"
        sentences.append(f"{label}: column '{column}' {where}; {check}.")
    return sentences


def _rows_phrase(rows: list[tuple[int, str]]) -> str:
    """Say which rows hold which values, e.g. "rows 3 and 5 have 'x', row 7 is empty".

    Row numbers are as a spreadsheet shows them: the header is row 1, so the first data
    row (index 0) is row 2.
    """
    by_value: dict[str, list[int]] = {}
    for index, value in rows:
        by_value.setdefault(value, []).append(index + 2)
    parts = []
    for value, numbers in by_value.items():
        listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])
        noun = "rows" if len(numbers) > 1 else "row"
        if value == "":
            parts.append(f"{noun} {listed} {'are' if len(numbers) > 1 else 'is'} empty")
        else:
            shown = value if len(value) <= 40 else value[:37] + "..."
            parts.append(f"{noun} {listed} {'have' if len(numbers) > 1 else 'has'} '{shown}'")
    return ", ".join(parts)


# --------------------------------------------------------------------------- typing


def _typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return the validated text frame with optional columns added and numbers converted."""
    frame = frame.reset_index(drop=True)
    for col in OPTIONAL_COLUMNS[table]:
        if col not in frame.columns:
            frame[col] = ""
    extra_targets = [c for c in _target_columns(frame.columns) if c not in TARGET_COLUMNS]
    if table != "rpjmd_indikator":
        extra_targets = []
    order = [*REQUIRED_COLUMNS[table], *extra_targets, *OPTIONAL_COLUMNS[table]]
    frame = frame[order + [c for c in frame.columns if c not in order]].copy()
    if table == "penduduk":
        frame["tahun"] = frame["tahun"].astype("int64")
        frame["penduduk"] = frame["penduduk"].astype("int64")
        frame["jumlah_kk"] = _nullable_int(frame["jumlah_kk"])
    elif table == "program_bantuan":
        for col in ("target_penerima", "anggaran", "nominal_standar"):
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
