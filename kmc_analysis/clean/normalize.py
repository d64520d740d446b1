"""Clean raw cell text into typed values: NIK, Rupiah, dates, place and program names.

Every function takes and returns pandas Series aligned on the input index and works on
whole columns at once (string accessors and regular expressions, no row-wise ``apply``).
Inputs are the text of the cells as read by ``ingest``; an empty string means an empty
cell. Functions never raise on bad values: they return a missing value and leave the
judgement (a quarantine reason) to ``rules``.
"""

from __future__ import annotations

import functools
import re
from typing import Callable

import numpy as np
import pandas as pd

STRING = "str"
#: From this amount one row's nominal is not a payment but a NIK or account number typed in it (CONTRACT 2.2).
NOMINAL_LIMIT = 1_000_000_000


def on_distinct(func: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Run a cleaning function once per distinct value and spread the results back over the rows.

    OPD columns such as dates, amounts and place names repeat a few hundred values over
    a million rows, so this turns the regular-expression work from per row to per value.
    """
    @functools.wraps(func)
    def wrapper(raw: pd.Series) -> pd.Series:
        codes, distinct = pd.factorize(raw.astype(STRING).fillna(""), sort=False)
        result = func(pd.Series(distinct, dtype=STRING)).take(codes)
        result.index = raw.index
        return result
    return wrapper


def where_not_plain(plain: str | Callable[[pd.Series], np.ndarray]):
    """Make a cleaning function run only on the values that do not fully match ``plain``.

    ``plain`` (a regular expression, or a function flagging plain values) must describe
    text the function returns unchanged (a NIK of 16 digits, a name of letters and single
    spaces): most of a million cells are already clean, and one match over a column costs a
    fraction of the cleaning steps.
    """
    def decorate(func: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
        @functools.wraps(func)
        def wrapper(raw: pd.Series) -> pd.Series:
            text = raw.astype(STRING).fillna("")
            if callable(plain):
                dirty = ~plain(text)
            else:
                dirty = ~text.str.fullmatch(plain).to_numpy(dtype=bool, na_value=False)
            if not dirty.any():
                return text
            if dirty.all():
                return func(text)
            import pyarrow as pa
            import pyarrow.compute as pc

            # merged in Arrow: a round trip through a million Python strings cost more than the cleaning
            cleaned = arrow_text(func(text[dirty]))
            merged = pc.replace_with_mask(arrow_text(text), pa.array(dirty), cleaned)
            return pd.Series(pd.array(merged, dtype=STRING), index=raw.index)
        return wrapper
    return decorate


def map_distinct(values: pd.Series, mapping) -> pd.Series:
    """``values.map(mapping)`` as text, looked up once per distinct value and spread back by code.

    Missing where ``values`` is missing or ``mapping`` (a dict or Series) has no entry. A
    million rows hold a few dozen codes: mapping those and taking by code is many times
    faster than hashing every row's text again.
    """
    codes, distinct = pd.factorize(values, sort=False)
    looked_up = pd.Series(distinct, dtype=object).map(mapping)
    return pd.Series(pd.array(looked_up.to_numpy(dtype=object), dtype=STRING).take(codes, allow_fill=True),
                     index=values.index)


# --- NIK -------------------------------------------------------------------------------

# Explicit white-space class instead of \s: pandas hands such patterns to pyarrow's regex
# engine, which is many times faster than Python's on a million rows.
#: Every Unicode space (category Zs: no-break, narrow no-break, ideographic, ...) and the line breaks.
_SPACES = (" \t\r\n\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
           "\u2028\u2029\u202f\u205f\u3000")
WHITESPACE = f"[{_SPACES}]"
_NIK_NOISE = f"[{_SPACES}.\\-]"
#: C0 control characters other than tab and line feed, and DEL: removed from text that is judged.
CONTROL_CHARACTERS = "[\x00-\x08\x0b-\x1f\x7f]"
_DAY = "(?:0[1-9]|[12][0-9]|3[01]|4[1-9]|[56][0-9]|7[01])"  # 01-31, or 41-71 for women
_NIK_WITH_VALID_DATE = "[0-9]{6}" + _DAY + "(?:0[1-9]|1[0-2])[0-9]{6}"


def _sixteen_digits(text: pd.Series) -> np.ndarray:
    """Flag text of exactly 16 ASCII digits, read on Arrow lengths and digits (faster than a regex)."""
    import pyarrow.compute as pc

    array = arrow_text(text)
    return pc.and_(pc.equal(pc.binary_length(array), 16), pc.ascii_is_decimal(array)).to_numpy(zero_copy_only=False)


@where_not_plain(_sixteen_digits)
def clean_nik(raw: pd.Series) -> pd.Series:
    """Strip spaces, dots, dashes and a leading apostrophe from NIK text.

    The result is not yet judged: it may hold letters or the wrong number of digits.
    A value in scientific notation (``1.87201E+15``) keeps its ``E`` and so can never
    pass as 16 digits: its last digits are lost for good. Nothing else is removed: a
    control or zero-width character left in a NIK makes it fail the 16-digit rule.
    """
    # strip takes spaces only (Python's default strip would also take the C0 separators
    # \x1c-\x1f, which a NIK must not silently lose)
    text = raw.astype(STRING).fillna("").str.strip(_SPACES)
    text = text.str.removeprefix("'").str.removeprefix("\u2019")
    return text.str.replace(_NIK_NOISE, "", regex=True)


def arrow_text(text: pd.Series):
    """The text of ``text`` as one contiguous Arrow ``large_string`` array (whose buffers can be read directly)."""
    import pyarrow as pa

    array = pa.array(text, type=pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def any_text(column: pd.Series) -> bool:
    """Whether any cell of ``column`` holds text (read on lengths: a column a month left empty is not factorised)."""
    import pyarrow.compute as pc

    if not len(column):
        return False
    return (pc.max(pc.binary_length(arrow_text(column.astype(STRING).fillna("")))).as_py() or 0) > 0


def nik_numbers(nik: pd.Series) -> np.ndarray | None:
    """Each NIK as an int64 when every one is exactly 16 ASCII digits (every accepted NIK), else None.

    Among texts of exactly 16 digits the number is as good as the text for telling NIKs
    apart (leading zeros included), and hashing a million numbers is several times faster
    than hashing a million texts.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(nik):
        return np.array([], dtype=np.int64)
    found = _sixteen_ascii_digits(nik)
    return None if found is None else pc.cast(found[0], pa.int64()).to_numpy()


def factorize_niks(nik: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize(nik, sort=False)``: codes and the distinct NIKs in order of first appearance.

    Done on numbers when every NIK is 16 digits (:func:`nik_numbers`), else on the texts.
    """
    numbers = nik_numbers(nik)
    if numbers is None:
        codes, distinct = pd.factorize(nik.astype(STRING).fillna(""), sort=False)
        return codes, pd.Series(distinct, dtype=STRING)
    codes = pd.factorize(numbers, sort=False)[0]
    first = np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())  # codes count up in order of first rows
    return codes, nik.astype(STRING).iloc[first].reset_index(drop=True)


def nik_has_sixteen_digits(nik: pd.Series) -> pd.Series:
    """Flag cleaned NIKs made of exactly 16 digits (ASCII 0-9)."""
    return pd.Series(_sixteen_digits(nik.astype(STRING).fillna("")), index=nik.index, dtype=bool)


def nik_date_is_valid(nik: pd.Series) -> pd.Series:
    """Flag 16-digit NIKs whose digits 7-12 form a valid DDMMYY (women: day + 40).

    The rule is the contract's: day 01-31 or 41-71 and month 01-12. Calendar detail
    (30 February) is not checked, as Dukcapil itself issued such numbers.
    """
    return nik.str.fullmatch(_NIK_WITH_VALID_DATE).fillna(False).astype(bool)


def nik_date_parts(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day (women: + 40), month and two-digit year of NIK digits 7-12, from NIKs as numbers (:func:`nik_numbers`)."""
    ddmmyy = (numbers // 10_000) % 1_000_000
    return ddmmyy // 10_000, (ddmmyy // 100) % 100, ddmmyy % 100


def nik_number_date_is_valid(numbers: np.ndarray) -> np.ndarray:
    """:func:`nik_date_is_valid` for 16-digit NIKs given as numbers: day 01-31 or 41-71, month 01-12."""
    day, month, _ = nik_date_parts(numbers)
    return (((day >= 1) & (day <= 31)) | ((day >= 41) & (day <= 71))) & (month >= 1) & (month <= 12)


def mask_nik(nik: pd.Series) -> pd.Series:
    """Keep the first 4 and last 2 digits of a NIK and replace the rest with ``*``."""
    found = _sixteen_ascii_digits(nik) if len(nik) else None
    if found is not None:  # every accepted NIK: the stars are written into a copy of its bytes
        import pyarrow as pa

        array, offsets = found
        digits = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(-1, 16).copy()
        digits[:, 4:14] = ord("*")
        offsets = np.arange(0, 16 * (len(digits) + 1), 16, dtype=np.int64)
        masked = pa.LargeStringArray.from_buffers(len(digits), pa.py_buffer(offsets), pa.py_buffer(digits))
        return pd.Series(pd.array(masked, dtype=STRING), index=nik.index)
    return nik.str.slice(0, 4) + "*" * 10 + nik.str.slice(-2)


def _sixteen_ascii_digits(nik: pd.Series):
    """The NIKs as one Arrow ``large_string`` array and its offsets when every one is 16 ASCII digits, else None."""
    import pyarrow.compute as pc

    array = arrow_text(nik.astype(STRING).fillna(""))
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    if not (np.diff(offsets) == 16).all() or not pc.all(pc.ascii_is_decimal(array)).as_py():
        return None
    return array, offsets


# --- Money -----------------------------------------------------------------------------

_RUPIAH_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*", flags=re.IGNORECASE)
_DOT_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?$")
_COMMA_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$")
_COMMA_DECIMAL = re.compile(r"^[0-9]+,[0-9]{1,2}$")
_PLAIN = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")


@on_distinct
def parse_rupiah(raw: pd.Series) -> pd.Series:
    """Parse Rupiah text into a float Series (NaN where the text is not an amount).

    Accepted: ``Rp1.500.000,00``, ``Rp 1.500.000``, ``Rp. 1.500.000,-``, ``1500000``,
    ``1,500,000``, ``1500000.0`` (a numeric cell) and a leading minus sign, which
    parses to a negative amount so that the caller can say why it is invalid.
    """
    text = without_controls(raw).str.strip().str.replace("\u00a0", " ")
    negative = text.str.startswith("-") | (text.str.startswith("(") & text.str.endswith(")"))
    text = text.str.strip("-() ")
    text = text.str.replace(_RUPIAH_PREFIX, "", regex=True).str.replace(" ", "")
    text = text.str.replace(r"[,.]-$", "", regex=True)

    dot_thousands = text.str.fullmatch(_DOT_THOUSANDS)
    comma_thousands = text.str.fullmatch(_COMMA_THOUSANDS) & ~dot_thousands
    comma_decimal = text.str.fullmatch(_COMMA_DECIMAL) & ~dot_thousands & ~comma_thousands
    plain = text.str.fullmatch(_PLAIN) & ~dot_thousands & ~comma_thousands

    normal = pd.Series(None, index=text.index, dtype=STRING)
    normal = normal.mask(dot_thousands, text.str.replace(".", "").str.replace(",", "."))
    normal = normal.mask(comma_thousands, text.str.replace(",", ""))
    normal = normal.mask(comma_decimal, text.str.replace(",", "."))
    normal = normal.mask(plain, text)
    amount = pd.to_numeric(normal, errors="coerce").astype("float64")
    return amount.where(~negative.fillna(False), -amount)


def rupiah_to_int(amount: pd.Series) -> pd.Series:
    """Round parsed amounts to whole Rupiah as nullable Int64 (sen are not paid out)."""
    return np.floor(amount + 0.5).astype("Int64")


# --- Dates -----------------------------------------------------------------------------

BULAN = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "ags": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12,
}
_BULAN_WORD = re.compile(r"^([0-9]{1,2})\s+([a-z]+)\.?\s+([0-9]{4})$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@on_distinct
def parse_date(raw: pd.Series) -> pd.Series:
    """Parse dates written ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``4 Maret 2024`` or as an Excel serial.

    Excel date cells arrive from ``ingest`` as ``YYYY-MM-DD`` (time dropped). Returns
    ``datetime64[s]`` with NaT where the text is no date.
    """
    text = without_controls(raw).str.strip().str.lower()
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")

    iso = text.str.extract(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ t].*)?$")
    dmy = text.str.extract(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")
    words = text.str.extract(_BULAN_WORD)
    month_of_word = words[1].map(BULAN, na_action="ignore")
    parts = pd.DataFrame({
        "year": iso[0].fillna(dmy[2]).fillna(words[2]),
        "month": iso[1].fillna(dmy[1]).fillna(month_of_word.astype(STRING)),
        "day": iso[2].fillna(dmy[0]).fillna(words[0]),
    }).apply(pd.to_numeric, errors="coerce")
    known = parts.notna().all(axis=1)
    if known.any():
        parsed = pd.to_datetime(parts[known], errors="coerce")
        result.loc[known] = parsed.astype("datetime64[s]")

    serial = pd.to_numeric(text.where(text.str.fullmatch(r"[0-9]{5}(?:\.0+)?")), errors="coerce")
    serial = serial.where(serial.between(20000, 80000))
    from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    return result.fillna(from_serial.astype("datetime64[s]"))


# --- Names -----------------------------------------------------------------------------

_PLACE_PREFIX = re.compile(r"^(?:desa\s*/\s*kelurahan|kelurahan|kecamatan|kel|kec|desa)\b\.?\s*")


def without_controls(raw: pd.Series) -> pd.Series:
    """Cell text with C0 control characters (other than tab and line feed) and DEL removed."""
    return raw.astype(STRING).fillna("").str.replace(CONTROL_CHARACTERS, "", regex=True)


@on_distinct
def place_words(raw: pd.Series) -> pd.Series:
    """Reduce a place name to lower-case words, keeping the dot of an abbreviated word.

    The ``Kel.``/``Kelurahan``/``Desa``/``Kec.``/``Kecamatan`` prefix goes, every run of
    other characters becomes one space: ``Kec. Metro  Bar.`` gives ``metro bar.``.
    """
    text = raw.astype(STRING).fillna("").str.strip().str.lower()
    text = text.str.replace(_PLACE_PREFIX, "", regex=True)
    text = text.str.replace(r"[^0-9a-z.]+", " ", regex=True)
    text = text.str.replace(r" *\.+", ".", regex=True)
    text = text.str.replace(r"\.(?=[0-9a-z])", ". ", regex=True)
    return text.str.replace(r"^[ .]+", "", regex=True).str.strip()


@on_distinct
def normalize_place_name(raw: pd.Series) -> pd.Series:
    """Reduce a place name to a matching key: lower case, no Kel./Kec. prefix, letters and digits only."""
    text = raw.astype(STRING).fillna("").str.strip().str.lower()
    text = text.str.replace(_PLACE_PREFIX, "", regex=True)
    return text.str.replace(r"[^0-9a-z]", "", regex=True)


@on_distinct
def program_name_key(raw: pd.Series) -> pd.Series:
    """Reduce a program name to a matching key: lower case with all white space removed."""
    return without_controls(raw).str.lower().str.replace(r"\s+", "", regex=True)


@on_distinct
def program_code_key(raw: pd.Series) -> pd.Series:
    """Reduce a program code to a matching key: upper case, surrounding space removed."""
    return without_controls(raw).str.strip().str.upper()


#: Text that :func:`clean_text` leaves as it is: ASCII letters, digits and common marks, single inner spaces.
_PLAIN_TEXT = r"[A-Za-z0-9.,'()/-]+(?: [A-Za-z0-9.,'()/-]+)*"


#: Text of nothing but white space, format characters and the characters that render blank.
_SHOWS_NOTHING = r"^[\p{Cf}\p{Z}\s\x{034F}\x{115F}\x{1160}\x{2800}\x{3164}\x{FE00}-\x{FE0F}\x{FFA0}]*$"


def shows_nothing(text: pd.Series) -> np.ndarray:
    """Flag text that is empty or holds only white space and invisible format characters.

    Format characters (Unicode category Cf: zero-width space and joiners, word joiner, a
    byte-order mark, soft hyphen) come with text copied from web forms and PDFs; so do the
    fillers that render blank (Hangul fillers, Braille blank, the combining grapheme joiner,
    variation selectors), the usual way to type a blank-looking name. A name of nothing else
    is no name. Only values outside ASCII are searched: after
    :func:`clean_text` plain ASCII text shows nothing only when it is empty.
    """
    import pyarrow.compute as pc

    array = arrow_text(text.astype(STRING).fillna(""))
    blank = pc.equal(pc.binary_length(array), 0).to_numpy(zero_copy_only=False)
    unusual = np.flatnonzero(~pc.string_is_ascii(array).to_numpy(zero_copy_only=False))
    if len(unusual):
        invisible = pc.match_substring_regex(array.take(unusual), _SHOWS_NOTHING)
        blank[unusual] = invisible.to_numpy(zero_copy_only=False)
    return blank


@where_not_plain(_PLAIN_TEXT)
def clean_text(raw: pd.Series) -> pd.Series:
    """Trim a free-text cell, drop control characters and collapse runs of white space to one space."""
    return without_controls(raw).str.replace(WHITESPACE + "+", " ", regex=True).str.strip()
