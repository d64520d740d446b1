"""Whole numbers in the overlap table: what an attacker tells of its small rows that linear programs miss.

The table of persons by number of programs partitions the city's persons, and each person's
rows in a month are his programs, so with the city's persons ``P`` and rows ``R`` published:

    sum of the rows' persons = P        sum of (programs - 1) x persons = R - P

where the top row ``k atau lebih`` holds persons of k up to the programs paid that month.
Over real numbers (the audit's linear programs) a small row may then take any count from 1
to N-1; in whole numbers some counts may be impossible: beside hidden rows of 1 and 3
programs and a shown row of 2, a small ``4 atau lebih`` of a month paying 4 programs leaves
``2 x n3 + 3 x n4 = 26``, so n4 is even (2 or 4, never 1 or 3).

:func:`whole_number_counts` finds, for each small row, the counts still possible (a
mixed-integer feasibility problem per count, solved by HiGHS through SciPy; the table has a
handful of rows). :func:`narrowed_rows` compares them with what the city's figures alone
allow, every other row hidden: no suppression can widen that (``privasi.md``'s city-level
exception), anything narrower is a finding. Stage 2 hides further rows until none is
narrowed (:mod:`kmc_analysis.core.suppression`); stage 4 checks the table as published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from kmc_analysis.core.overlap_publication import overlap_size

#: Imported by the functions that need them (kmc_analysis.stage_kernels warms them ahead).
IMPORTS_WHEN_USED = ("scipy.optimize",)


@dataclass(frozen=True)
class OverlapRow:
    """One row of the overlap table as published: its label, its persons when shown, and its mark when hidden."""

    label: str
    persons: int | None  # the count shown; None when the row is hidden
    small: bool = False  # hidden as <N (1 to N-1 persons); a hidden row not small reads N or more

    @property
    def hidden(self) -> bool:
        return self.persons is None


def programs_paid(knowledge) -> int:
    """The most programs one person can hold this month (suppression knowledge): those paid, else the catalogue."""
    return int(knowledge.get("program_tersalur") or knowledge.get("program_katalog") or 1)


def whole_number_counts(rows: Sequence[OverlapRow], persons: int, city_rows: int, most: int,
                        min_cell: int) -> dict[str, set[int]]:
    """For each small row (``<N``), the counts from 1 to N-1 that the other published numbers still allow.

    ``persons`` and ``city_rows`` are the city's published persons and rows, ``most`` the
    number of programs paid that month (no one holds more).
    """
    return {row.label: {count for count in range(1, min_cell) if _feasible(rows, persons, city_rows, most, min_cell,
                                                                            {row.label: count})}
            for row in rows if row.hidden and row.small}


def narrowed_rows(rows: Sequence[OverlapRow], persons: int, city_rows: int, most: int, min_cell: int) -> list[str]:
    """The small rows whose possible counts miss one that the city's figures alone allow (every other row hidden)."""
    small = [row for row in rows if row.hidden and row.small]
    if not small or min_cell <= 1:
        return []
    counts = whole_number_counts(rows, persons, city_rows, most, min_cell)
    alone = [row if row.hidden or not row.persons else replace(row, persons=None) for row in rows]
    city_only = whole_number_counts(alone, persons, city_rows, most, min_cell)
    return [row.label for row in small if not city_only[row.label] <= counts[row.label]]


def _feasible(rows: Sequence[OverlapRow], persons: int, city_rows: int, most: int, min_cell: int,
              fixed: dict[str, int]) -> bool:
    """Whether whole numbers of persons per hidden row (and of programs in the top row) fit the published figures."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    hidden = [row for row in rows if row.hidden]
    top = next((row for row in rows if overlap_size(row.label)[1]), None)  # "k atau lebih", if any
    persons_left = persons - sum(row.persons for row in rows if not row.hidden)
    extra_left = city_rows - persons - sum((overlap_size(row.label)[0] - 1) * row.persons
                                           for row in rows if not row.hidden and row is not top)
    # variables: each hidden row's persons, then (with a top row) the sum of (programs - 1) of its persons
    size = len(hidden) + (top is not None)
    if size == 0:
        return persons_left == 0 and extra_left == 0
    low, high = np.zeros(size), np.zeros(size)
    for position, row in enumerate(hidden):
        if row.label in fixed:
            low[position] = high[position] = fixed[row.label]
        elif row.small:
            low[position], high[position] = 1, min_cell - 1
        else:
            low[position], high[position] = min_cell, max(persons, min_cell)
    persons_of = np.zeros(size)
    persons_of[:len(hidden)] = 1
    extra_of = np.array([0.0 if row is top else overlap_size(row.label)[0] - 1.0 for row in hidden]
                        + [1.0] * (top is not None))
    constraints = [LinearConstraint(persons_of, persons_left, persons_left),
                   LinearConstraint(extra_of, extra_left, extra_left)]
    if top is not None:
        held = overlap_size(top.label)[0]
        if most < held:
            return False
        if top.hidden:  # (held - 1) x n_top <= its sum of (programs - 1) <= (most - 1) x n_top
            floor, ceiling = np.zeros(size), np.zeros(size)
            floor[-1] = ceiling[-1] = 1
            floor[hidden.index(top)], ceiling[hidden.index(top)] = -(held - 1), -(most - 1)
            constraints += [LinearConstraint(floor, 0, np.inf), LinearConstraint(ceiling, -np.inf, 0)]
            low[-1], high[-1] = 0, (most - 1) * max(persons, 0)
        else:
            low[-1], high[-1] = (held - 1) * top.persons, (most - 1) * top.persons
    if (low > high).any():
        return False
    result = milp(np.zeros(size), constraints=constraints, integrality=np.ones(size), bounds=Bounds(low, high))
    return result.status == 0
