"""Display text and spreadsheet safety of everything the workbook writes."""

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.core.formatting import (
    date_in_words,
    format_number,
    format_percent,
    format_rupiah,
    format_rupiah_words,
    format_smart,
    formula_safe,
    formula_safe_frame,
)
from kmc_analysis.core.periods import Period


@pytest.mark.parametrize("cell", ["=1+1", "+62 812", "@SUM(A1)", "-2+3", "\tx", "\r=1", "=cmd|' /C calc'!A0"])
def test_formula_like_text_gets_a_leading_apostrophe(cell):
    assert formula_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-475000", "-", "+", "-1.500.000,00", "Budi", "", "1872011504900001"])
def test_plain_numbers_and_words_are_left_alone(cell):
    assert formula_safe(cell) == cell


def test_frame_is_made_safe_column_by_column_without_touching_numbers():
    table = pd.DataFrame({"nama": ["=HYPERLINK(\"x\")", "Siti"], "nominal": [-5, 10]})
    safe = formula_safe_frame(table)
    assert safe["nama"].tolist() == ["'=HYPERLINK(\"x\")", "Siti"]
    assert safe["nominal"].tolist() == [-5, 10]
    assert table["nama"].iloc[0].startswith("=")  # the input is not changed


def test_indonesian_number_format():
    assert format_number(1234567) == "1.234.567"
    assert format_number(12.345, 2) == "12,35"
    assert format_number(-0.001, 2) == "0,00"
    assert format_number(-1500) == "-1.500"
    assert format_number(None) == format_number(np.nan) == "–"


def test_indonesian_number_formats():
    assert format_rupiah(1234567) == "Rp1.234.567"
    assert format_percent(12.345) == "12,35%"
    assert format_percent(None) == "–"
    assert format_smart(182293) == "182.293"
    assert format_smart(78.93) == "78,93"
    assert format_rupiah_words(1_234_567_890) == "Rp1,23 miliar"
    assert Period(2024, 3).in_words() == "Maret 2024"
    assert Period(2024, 1).previous() == Period(2023, 12)
    assert date_in_words("2024-03-04T10:00:00") == "4 Maret 2024"
