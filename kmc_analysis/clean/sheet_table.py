"""What every reader returns: one sheet's header row and cells as text, or why a file cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


class UnreadableFile(Exception):
    """A file (or its content) cannot be read; ``str()`` is an Indonesian sentence with the fix."""


@dataclass
class SheetTable:
    """One sheet (or CSV file, or HTML table): its header row and the cells below it.

    ``body`` holds every row below the header as text in positional columns ``0..n-1``,
    indexed by the row number a person sees in Excel; ``header_row`` is None when no row
    of the first 20 names three known columns (an instructions sheet, an empty sheet).
    """

    name: str
    header_row: int | None
    header: list[str] = field(default_factory=list)
    body: pd.DataFrame = field(default_factory=pd.DataFrame)
