"""The pandera schemas of the reference tables and the sentences their failures become.

:func:`reference_problems` checks every table read by :func:`kmc_analysis.core.reference.load_reference`
(lazily, so all problems are reported at once) and turns pandera's failure cases into plain
sentences naming the file, the column, the rows (as numbered in a spreadsheet, header =
row 1) and the fix. Bundled files are held to the Kota Metro code formats
(``18.72.01.1001``, ``KMC-001``, ``IKU-01``); a user's override may use any non-empty,
unique codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from kmc_analysis.core.reference import (
    BUNDLED,
    KATEGORI_BANTUAN,
    MAX_AGE,
    METRIK_KMC,
    OPTIONAL_COLUMNS,
    PAYMENTS_PER_YEAR,
    POLARITAS,
    REQUIRED_COLUMNS,
    SASARAN_MISKIN,
    SUMBER_INDIKATOR,
    target_columns,
)

_MAX_ROWS_SHOWN = 5
_KODE_KECAMATAN = r"\d{2}\.\d{2}\.\d{2}"
_KODE_KELURAHAN = r"\d{2}\.\d{2}\.\d{2}\.\d{4}"
_INT = r"\d{1,15}"
_POSITIVE_INT = r"0*[1-9]\d{0,14}"
_NUMBER = r"-?\d+(?:\.\d+)?"
_YEAR = r"\d{4}"


def reference_problems(
    raw: dict[str, pd.DataFrame], sources: dict[str, str], labels: dict[str, str], base: Path | None
) -> list[str]:
    """Validate every cleaned text table against its schema; return every problem as a sentence.

    ``raw`` maps a table name to its cleaned text, ``sources`` to ``BUNDLED`` or the
    override's path (bundled tables are checked strictly), ``labels`` to the file name
    shown in the sentences, and ``base`` is the user's reference folder.
    """
    problems: list[str] = []
    for table in raw:
        strict = sources[table] == BUNDLED
        schema = _SCHEMA_BUILDERS[table](raw[table], strict, raw, sources, base)
        problems += _validate(schema, raw[table], table, labels[table])
    return problems


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
        "sasaran_miskin": _column(_check(
            lambda s: (s == "") | s.isin(SASARAN_MISKIN),
            "write 'ya' when the bantuan is meant for poor households, 'tidak' when it is not, or leave it empty",
        ), required=False),
        "usia_min": _column(*_age_checks(df, "usia_min"), required=False),
        "usia_maks": _column(*_age_checks(df, "usia_maks"), required=False),
    })


def _age_checks(df: pd.DataFrame, column: str) -> list[pa.Check]:
    """usia_min / usia_maks: whole years 0..MAX_AGE or empty, and usia_min not above usia_maks."""
    checks = [_check(
        lambda s: (s == "") | (s.str.fullmatch(r"\d{1,3}") & (pd.to_numeric(s, errors="coerce") <= MAX_AGE)),
        f"write the age in whole years from 0 to {MAX_AGE}, or leave it empty",
    )]
    if column == "usia_maks" and "usia_min" in df.columns:
        def ordered(s: pd.Series) -> pd.Series:
            low = pd.to_numeric(df["usia_min"].where(df["usia_min"] != ""), errors="coerce")
            high = pd.to_numeric(s.where(s != ""), errors="coerce")
            return ~(low > high).fillna(False).astype(bool)
        checks.append(_check(ordered, "usia_maks is below usia_min on this row: swap them or correct one"))
    return checks


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
    for col in target_columns(df.columns):
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



# --------------------------------------------------------------------------- validation


def _validate(schema: pa.DataFrameSchema, frame: pd.DataFrame, table: str, label: str) -> list[str]:
    """Validate ``frame`` and return the problems found, as sentences."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return _describe(exc.failure_cases, frame, table, label)
    return []


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
