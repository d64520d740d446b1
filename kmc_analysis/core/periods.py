"""Periods (``YYYY-MM`` months) in words for planners: ``2024-03`` -> ``Maret 2024``."""

from __future__ import annotations

import re

from kmc_analysis.core.errors import InputError

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

NAMA_BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
              "Oktober", "November", "Desember")


def check_period(period: str) -> str:
    """Return ``period`` unchanged if it is a ``YYYY-MM`` month, else raise InputError."""
    if not isinstance(period, str) or not PERIOD_PATTERN.match(period):
        raise InputError(
            f"Period '{period}' is not valid: write it as YYYY-MM, e.g. 2024-03 "
            f"(periode ditulis YYYY-MM, misalnya 2024-03)."
        )
    return period


def months_to_date(period: str) -> list[str]:
    """List the months of ``period``'s year from January up to and including ``period``."""
    year, month = check_period(period).split("-")
    return [f"{year}-{m:02d}" for m in range(1, int(month) + 1)]


def period_in_words(period: str) -> str:
    """Name a ``YYYY-MM`` month in Bahasa Indonesia, e.g. ``Maret 2024``."""
    year, month = check_period(period).split("-")
    return f"{NAMA_BULAN[int(month) - 1]} {year}"


def previous_period(period: str) -> str:
    """The month before ``period`` (``2024-01`` -> ``2023-12``)."""
    year, month = (int(part) for part in check_period(period).split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
