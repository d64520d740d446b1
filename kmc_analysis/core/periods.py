"""Periods: a ``YYYY-MM`` month as a value, and its name in Bahasa Indonesia (``Maret 2024``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kmc_analysis.core.errors import InputError

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

NAMA_BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
              "Oktober", "November", "Desember")


@dataclass(frozen=True, order=True)
class Period:
    """One month of KMC data. ``str()`` gives it back as ``YYYY-MM``, the form of folder names.

    Read one from text with :meth:`parse`; periods sort in time order.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, not {self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a ``YYYY-MM`` month (``2024-03``); raise InputError for anything else."""
        match = PERIOD_PATTERN.match(text) if isinstance(text, str) else None
        if match is None:
            raise InputError(
                f"Periode '{text}' tidak valid: tulis sebagai YYYY-MM dengan bulan 01 sampai 12, misalnya 2024-03."
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> Period:
        """The month before (``2024-01`` -> ``2023-12``)."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def months_to_date(self) -> list[Period]:
        """The months of this period's year from January up to and including this one."""
        return [Period(self.year, month) for month in range(1, self.month + 1)]

    def in_words(self) -> str:
        """The month in Bahasa Indonesia: ``Maret 2024``."""
        return f"{NAMA_BULAN[self.month - 1]} {self.year}"

    def label(self) -> str:
        """The month abbreviated, for chart axes and short lists: ``Mar 2024``."""
        return f"{NAMA_BULAN[self.month - 1][:3]} {self.year}"

    def last_day(self) -> dt.date:
        """The last day of the month (28 to 31)."""
        first_of_next = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return first_of_next - dt.timedelta(days=1)
