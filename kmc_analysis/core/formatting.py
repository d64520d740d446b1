"""Numbers, money, percentages and dates as Bahasa Indonesia display text.

Thousands take a dot and decimals a comma (``1.234.567``, ``12,34``), built on
:func:`format_number`; a missing value shows :data:`MISSING_MARK` (``–``). Used by the
report's HTML and workbook, the report's narrative, the maps and the stage notebooks. Also
the spreadsheet safety of every cell the workbook writes (:func:`formula_safe`) and how
floats are written into its CSV files (:class:`FloatText`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import NAMA_BULAN

#: What a missing value shows.
MISSING_MARK = "–"


def format_number(value, decimals: int = 0) -> str:
    """Format a number the Indonesian way: ``1.234.567`` and ``12,34``; missing gives ``–``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING_MARK
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return MISSING_MARK
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "").replace("-", "") or 0) == 0:
        text = text[1:]  # no "-0,00"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def is_missing(value) -> bool:
    """True for None, NA and NaN."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def date_in_words(value: str | None) -> str:
    """Return an ISO date or timestamp as ``4 Maret 2024``; empty text if it cannot be read."""
    if not value:
        return ""
    stamp = pd.to_datetime(str(value), errors="coerce", utc=False)
    if pd.isna(stamp):
        return ""
    return f"{stamp.day} {NAMA_BULAN[stamp.month - 1]} {stamp.year}"


def format_id(value: object, fixed: bool = False) -> str:
    """A number the Indonesian way: 1.234.567, 7,87 or (``fixed``) 91,00; text as is; missing as "–".

    Without ``fixed`` a fraction keeps up to 6 decimals, trailing zeros dropped.
    """
    if isinstance(value, str):
        return value
    if is_missing(value):
        return MISSING_MARK
    number = float(value)
    if fixed:
        return format_number(number, 2)
    if number == round(number):
        return format_number(number, 0)
    return format_number(number, 6).rstrip("0")


def format_rupiah(value) -> str:
    """Format Rupiah as ``Rp1.234.567``; missing gives ``–``."""
    if is_missing(value):
        return MISSING_MARK
    text = format_number(round(float(value)), 0)
    return f"-Rp{text[1:]}" if text.startswith("-") else f"Rp{text}"


def format_percent(value, decimals: int = 2) -> str:
    """Format a percentage given in percent units as ``12,34%``; missing gives ``–``."""
    if is_missing(value):
        return MISSING_MARK
    return f"{format_number(value, decimals)}%"


def format_smart(value) -> str:
    """Format a measure without decimals when it is whole, else with two (``78,93``)."""
    if is_missing(value):
        return MISSING_MARK
    number = float(value)
    if number == round(number):
        return format_number(number, 0)
    return format_number(number, 3 if abs(number) < 1 else 2)


def format_rupiah_words(value) -> str:
    """Format a large Rupiah amount in words: ``Rp1,23 miliar``, ``Rp456,7 juta``."""
    if is_missing(value):
        return MISSING_MARK
    v = float(value)
    for size, word in ((1e12, "triliun"), (1e9, "miliar"), (1e6, "juta")):
        if abs(v) >= size:
            return f"Rp{format_number(v / size, 2)} {word}"
    return format_rupiah(v)


def formatter_for(kind: str) -> Callable[[object], str]:
    """Return the display formatter of a column kind: rupiah, pct, rate, dec, int, else text."""
    return {
        "rupiah": format_rupiah,
        "pct": format_percent,
        "rate": lambda v: format_number(v, 2),
        "dec": format_smart,
        "int": lambda v: format_number(v, 0),
    }.get(kind, lambda v: "" if is_missing(v) else str(v))


#: A cell beginning with one of these is a formula to Excel and LibreOffice (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9][0-9.,]*)?")


def formula_safe(value: object) -> object:
    """Return text that a spreadsheet would run as a formula with a leading apostrophe.

    Plain numbers such as ``-475000`` and a lone dash stay as they are; other values
    (numbers, dates, None) pass through untouched.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def formula_safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Apply :func:`formula_safe` to every text column of ``table`` (a copy; numbers untouched)."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object:
            text = out[column]
            risky = text.astype("str").str.startswith(FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[column] = text.where(~risky, text[risky].map(formula_safe))
    return out


def slug(text: str) -> str:
    """Return a CSS-safe lower-case slug of a label (``Sangat Tinggi`` -> ``sangat-tinggi``)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


# --- floats in written CSV files ---------------------------------------------------------


@dataclass(frozen=True)
class FloatText:
    """How a float column is written: ``decimals`` places (``trim``: trailing zeros dropped).

    ``decimals=None`` leaves the float as pandas writes it, the shortest text that reads
    back the same number (``100.0``, ``66.67``); with decimals a negative zero is written
    without its sign (``0.00``).
    """

    decimals: int | None = None
    trim: bool = False

    def text(self, values: pd.Series) -> pd.Series:
        """The column as text; missing values become empty text."""
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if self.trim:
            texts = [f"{round(v, self.decimals) + 0.0:.{self.decimals}f}".rstrip("0").rstrip(".") for v in numbers]
        else:
            texts = [f"{v + 0.0:.{self.decimals}f}" for v in numbers]
        return pd.Series(np.where(np.isnan(numbers), "", texts), index=values.index, dtype="str")


#: Pandas' own float text: ``100.0``, ``66.67``.
SHORTEST = FloatText()
#: Always two decimals: ``0.67``, ``100.00``.
TWO_DECIMALS = FloatText(2)
#: At most six decimals, trailing zeros dropped: ``7.5``, ``100``.
UP_TO_SIX = FloatText(6, trim=True)
