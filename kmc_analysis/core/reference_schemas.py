"""The pandera schemas of the reference tables and the sentences their failures become.

:func:`reference_problems` checks every table read by :func:`kmc_analysis.core.reference.load_reference`
(lazily, so all problems are reported at once) and turns pandera's failure cases into plain
Indonesian sentences (the operator's language) naming the file, the column, the rows (as
numbered in a spreadsheet, header = row 1) and the fix; file names, column names and values
are quoted as they are. Bundled files are held to the Kota Metro code formats
(``18.72.01.1001``, ``KMC-001``, ``IKU-01``); a user's override may use any non-empty,
unique codes.
"""

from __future__ import annotations

import re
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


def _filled(advice: str = "isi sel yang kosong") -> pa.Check:
    return _check(lambda s: s != "", advice)


def _matches(pattern: str, advice: str, allow_empty: bool = False) -> pa.Check:
    if allow_empty:
        return _check(lambda s: (s == "") | s.str.fullmatch(pattern), advice)
    return _check(lambda s: s.str.fullmatch(pattern), advice)


def _one_of(values: Iterable[str], advice: str | None = None) -> pa.Check:
    values = tuple(values)
    return _check(lambda s: s.isin(values), advice or "gunakan " + _or_list(values))


def _unique(key: Callable[[pd.Series], pd.Series], advice: str) -> pa.Check:
    return _check(lambda s: (s == "") | ~key(s).duplicated(keep=False), advice)


def _unique_with(frame: pd.DataFrame, other: str, advice: str) -> pa.Check:
    """Rows whose (this column, ``other``) pair repeats fail."""
    return _check(lambda s: ~pd.concat([s, frame[other]], axis=1).duplicated(keep=False), advice)


def _or_list(values: Iterable[str], last: str = "atau") -> str:
    """Quote and list values: "'a', 'b' atau 'c'" (``last`` joins the final two)."""
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" {last} " + quoted[-1]


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
        _unique(lambda s: s, "setiap kode_kelurahan hanya boleh muncul sekali: sisakan satu baris per kelurahan"),
    ]
    kelurahan = [_filled()]
    bps_kec: list[pa.Check] = []
    bps_kel: list[pa.Check] = []
    if strict:
        kode_kec.append(_matches(_KODE_KECAMATAN, "tulis kode Kemendagri dengan bentuk 18.72.01"))
        kode_kel.append(_matches(_KODE_KELURAHAN, "tulis kode Kemendagri dengan bentuk 18.72.01.1001"))
        bps_kec.append(_matches(r"\d{7}", "tulis kode BPS sebagai 7 angka, misalnya 1872022", allow_empty=True))
        bps_kel.append(_matches(r"\d{10}", "tulis kode BPS sebagai 10 angka, misalnya 1872022001", allow_empty=True))
        if "kode_kecamatan" in has:
            kode_kel.append(_check(
                lambda s: s.str.rsplit(".", n=1).str[0] == df["kode_kecamatan"],
                "kode_kelurahan harus diawali dengan kode_kecamatan pada baris yang sama",
            ))
    if {"kode_kecamatan", "kecamatan"} <= has:
        kode_kec.append(_check(
            lambda s: s.groupby(df["kecamatan"]).transform("nunique") == 1,
            "satu nama kecamatan punya beberapa kode di sini: beri setiap kecamatan satu kode_kecamatan saja",
        ))
        kecamatan = [_filled(), _check(
            lambda s: s.groupby(df["kode_kecamatan"]).transform("nunique") == 1,
            "satu kode_kecamatan punya beberapa nama di sini: "
            "tulis nama kecamatan dengan ejaan yang sama di setiap baris",
        )]
        kelurahan.append(_check(
            lambda s: ~pd.concat([df["kode_kecamatan"], _name_key(s)], axis=1).duplicated(keep=False),
            "nama kelurahan yang sama muncul dua kali dalam satu kecamatan: sisakan satu baris",
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
            "ejaan di ejaan_lain ini juga menunjuk kelurahan lain: hapus ejaan itu, "
            "karena tidak jelas kelurahan mana yang dimaksud",
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
    unknown_advice = (
        "kode_kelurahan ini tidak ada di wilayah.csv: perbaiki kodenya atau tambahkan kelurahan itu ke wilayah.csv"
    )
    if sources["penduduk"] == BUNDLED and sources["wilayah"] != BUNDLED:
        unknown_advice += f" (wilayah.csv sudah diganti, jadi letakkan juga penduduk.csv Anda sendiri di {base})"
    kode = [_filled(), _check(lambda s: s.isin(known), unknown_advice)]
    if strict:
        kode.append(_matches(_KODE_KELURAHAN, "tulis kode Kemendagri dengan bentuk 18.72.01.1001"))
    if "tahun" in df.columns:
        kode.append(_unique_with(
            df, "tahun", "setiap kelurahan hanya boleh punya satu baris per tahun: sisakan satu baris saja"
        ))
    return _schema({
        "kode_kelurahan": _column(*kode),
        "tahun": _column(_matches(_YEAR, "tulis tahun dengan empat angka, misalnya 2025")),
        "penduduk": _column(
            _matches(
                _POSITIVE_INT, "tulis jumlah penduduk sebagai bilangan bulat lebih dari nol, tanpa titik atau koma"
            )
        ),
        "jumlah_kk": _column(
            _matches(_INT, "tulis jumlah KK sebagai bilangan bulat, atau biarkan kosong", allow_empty=True),
            required=False,
        ),
    })


def _program_schema(df: pd.DataFrame, strict: bool, *_: object) -> pa.DataFrameSchema:
    kode = [
        _filled(),
        _unique(
            lambda s: s.str.upper(),
            "setiap kode_bantuan hanya boleh muncul sekali (huruf besar dan kecil dianggap sama): "
            "beri setiap bantuan kodenya sendiri",
        ),
    ]
    kategori = [_filled("isi sel yang kosong (misalnya " + _or_list(KATEGORI_BANTUAN) + ")")]
    satuan: list[pa.Check] = []
    if strict:
        kode.append(_matches(r"KMC-\d{3}", "tulis kode dengan bentuk KMC-001"))
        kategori.append(_one_of(KATEGORI_BANTUAN))
        satuan.append(_one_of(PAYMENTS_PER_YEAR))
    amount = "tulis jumlah Rupiah sebagai bilangan bulat tanpa titik, atau biarkan kosong"
    return _schema({
        "kode_bantuan": _column(*kode),
        "nama_bantuan": _column(_filled(), _unique(
            lambda s: s.str.lower().str.replace(r"\s+", "", regex=True),
            "setiap nama_bantuan harus berbeda dari yang lain, juga bila huruf besar, huruf kecil dan spasi "
            "diabaikan, karena berkas OPD dicocokkan menurut nama",
        )),
        "opd": _column(_filled("tulis nama OPD yang mengelola bantuan ini")),
        "kategori": _column(*kategori),
        "target_penerima": _column(
            _matches(_INT, "tulis jumlah penerima sebagai bilangan bulat, atau biarkan kosong", allow_empty=True)
        ),
        "anggaran": _column(_matches(_INT, amount, allow_empty=True)),
        "nominal_standar": _column(_matches(_INT, amount, allow_empty=True), required=False),
        "satuan": _column(*satuan, required=False),
        "sasaran_miskin": _column(_check(
            lambda s: (s == "") | s.isin(SASARAN_MISKIN),
            "tulis 'ya' bila bantuan ditujukan bagi rumah tangga miskin, 'tidak' bila bukan, atau biarkan kosong",
        ), required=False),
        "usia_min": _column(*_age_checks(df, "usia_min"), required=False),
        "usia_maks": _column(*_age_checks(df, "usia_maks"), required=False),
    })


def _age_checks(df: pd.DataFrame, column: str) -> list[pa.Check]:
    """usia_min / usia_maks: whole years 0..MAX_AGE or empty, and usia_min not above usia_maks."""
    checks = [_check(
        lambda s: (s == "") | (s.str.fullmatch(r"\d{1,3}") & (pd.to_numeric(s, errors="coerce") <= MAX_AGE)),
        f"tulis usia dalam tahun penuh dari 0 sampai {MAX_AGE}, atau biarkan kosong",
    )]
    if column == "usia_maks" and "usia_min" in df.columns:
        def ordered(s: pd.Series) -> pd.Series:
            low = pd.to_numeric(df["usia_min"].where(df["usia_min"] != ""), errors="coerce")
            high = pd.to_numeric(s.where(s != ""), errors="coerce")
            return ~(low > high).fillna(False).astype(bool)
        checks.append(_check(
            ordered, "usia_maks lebih kecil daripada usia_min pada baris ini: tukar keduanya atau perbaiki salah satu"
        ))
    return checks


def _indikator_schema(df: pd.DataFrame, strict: bool, *_: object) -> pa.DataFrameSchema:
    kode = [
        _filled(),
        _unique(lambda s: s, "setiap kode_indikator hanya boleh muncul sekali: beri setiap indikator kodenya sendiri"),
    ]
    if strict:
        kode.append(_matches(
            r"(IKU|IKP)-\d{2}", "tulis kode dengan bentuk IKU-01 (indikator eksternal) atau IKP-01 (indikator KMC)"
        ))
    metrik: list[pa.Check] = []
    if "sumber" in df.columns:
        is_kmc = df["sumber"] == "kmc"
        metrik = [
            _check(lambda s: ~is_kmc | s.isin(METRIK_KMC), "untuk sumber 'kmc' gunakan " + _or_list(METRIK_KMC)),
            _check(lambda s: is_kmc | (s == ""), "kosongkan metrik_kmc kecuali sumber berisi 'kmc'"),
        ]
    number = "tulis angka dengan titik desimal (misalnya 7.5), atau biarkan kosong"
    columns = {
        "kode_indikator": _column(*kode),
        "indikator": _column(_filled("tulis nama indikatornya")),
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
    unknown_advice = (
        "kode_indikator ini tidak ada di rpjmd_indikator.csv: "
        "perbaiki kodenya atau tambahkan indikator itu ke rpjmd_indikator.csv"
    )
    if sources["rpjmd_realisasi"] == BUNDLED and sources["rpjmd_indikator"] != BUNDLED:
        unknown_advice += (
            f" (rpjmd_indikator.csv sudah diganti, jadi letakkan juga rpjmd_realisasi.csv Anda sendiri di {base})"
        )
    kode = [
        _filled(),
        _check(lambda s: s.isin(known), unknown_advice),
    ]
    if "tahun" in df.columns:
        kode.append(
            _unique_with(
                df, "tahun", "setiap indikator hanya boleh punya satu realisasi per tahun: sisakan satu baris saja"
            )
        )
    return _schema({
        "kode_indikator": _column(*kode),
        "tahun": _column(_matches(_YEAR, "tulis tahun dengan empat angka, misalnya 2024")),
        "realisasi": _column(_matches(_NUMBER, "tulis angka dengan titik desimal, misalnya 6.78")),
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
    """Turn pandera's failure cases into plain Indonesian sentences, one per column and rule."""
    sentences: list[str] = []
    missing = failures.loc[failures["check"] == "column_in_dataframe", "failure_case"].astype(str).tolist()
    if missing:
        expected = ", ".join(REQUIRED_COLUMNS[table])
        optional = ", ".join(OPTIONAL_COLUMNS[table])
        sentences.append(
            f"{label}: kolom wajib {_or_list(missing, 'dan')} tidak ada; baris 1 harus memuat nama kolom "
            f"{expected} (boleh ditambah: {optional})."
        )
    rest = failures[failures["check"] != "column_in_dataframe"]
    for (column, check), group in rest.groupby(["column", "check"], sort=False, dropna=False):
        rows = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int).drop_duplicates().sort_values()
        if rows.empty:
            detail = group["failure_case"].iloc[0]
            sentences.append(f"{label}: kolom '{column}' tidak dapat diperiksa ({check}: {detail}).")
            continue
        values = frame[column] if column in frame.columns else pd.Series("", index=frame.index)
        where = _rows_phrase([(i, str(values.at[i])) for i in rows.iloc[:_MAX_ROWS_SHOWN]])
        more = len(rows) - _MAX_ROWS_SHOWN
        if more > 0:
            where += f" (dan {more} baris lain)"
        sentences.append(f"{label}: kolom '{column}' {where}; {check}.")
    return sentences


#: Fifteen digits or more (a NIK or KK has 16), perhaps in groups: shown by its length only.
_LONG_NUMBER = re.compile(r"\d(?:[\s.\-]?\d){14,}")


def _rows_phrase(rows: list[tuple[int, str]]) -> str:
    """Say which rows hold which values, e.g. "baris 3 dan 5 berisi 'x', baris 7 kosong".

    Row numbers are as a spreadsheet shows them: the header is row 1, so the first data
    row (index 0) is row 2.
    """
    by_value: dict[str, list[int]] = {}
    for index, value in rows:
        # a long number may be a NIK pasted into the wrong table: its length is told, never its digits
        shown = _LONG_NUMBER.sub(lambda run: f"<angka {sum(c.isdigit() for c in run.group())} digit>", value)
        by_value.setdefault(shown, []).append(index + 2)
    parts = []
    for shown, numbers in by_value.items():
        listed = ", ".join(map(str, numbers[:-1])) + f" dan {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])
        if shown == "":
            parts.append(f"baris {listed} kosong")
        else:
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            parts.append(f"baris {listed} berisi '{shown}'")
    return ", ".join(parts)
