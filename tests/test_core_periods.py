"""Tests for kmc_analysis.core.periods: the Period value and its Bahasa Indonesia names."""

import datetime as dt

import pytest

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.periods import Period


def test_parse_and_text_round_trip():
    period = Period.parse("2024-03")
    assert (period.year, period.month) == (2024, 3)
    assert str(period) == "2024-03" and f"{period}" == "2024-03"
    assert Period(987, 1).__str__() == "0987-01"


@pytest.mark.parametrize("text", ["2024-3", "03-2024", "2024-13", "2024-00", "maret", "", " 2024-03", None, 202403])
def test_bad_text_is_an_input_error_saying_how_to_write_it(text):
    with pytest.raises(InputError, match=r"tidak valid: tulis sebagai YYYY-MM dengan bulan 01 sampai 12, misalnya 2024-03"):
        Period.parse(text)


def test_month_out_of_range_is_refused():
    with pytest.raises(ValueError):
        Period(2024, 13)


def test_previous_and_months_to_date():
    assert Period(2024, 1).previous() == Period(2023, 12)
    assert Period(2024, 3).previous() == Period(2024, 2)
    assert Period(2024, 3).months_to_date() == [Period(2024, 1), Period(2024, 2), Period(2024, 3)]
    assert Period(2024, 1).months_to_date() == [Period(2024, 1)]
    assert sorted([Period(2024, 2), Period(2023, 12), Period(2024, 1)]) == [
        Period(2023, 12), Period(2024, 1), Period(2024, 2)]


def test_names_in_bahasa_indonesia():
    assert Period(2024, 3).in_words() == "Maret 2024"
    assert Period(2024, 8).label() == "Agu 2024"
    assert Period(2025, 12).in_words() == "Desember 2025"


@pytest.mark.parametrize(("period", "day"), [
    (Period(2024, 2), dt.date(2024, 2, 29)),
    (Period(2023, 2), dt.date(2023, 2, 28)),
    (Period(2024, 4), dt.date(2024, 4, 30)),
    (Period(2024, 12), dt.date(2024, 12, 31)),
])
def test_last_day(period, day):
    assert period.last_day() == day
