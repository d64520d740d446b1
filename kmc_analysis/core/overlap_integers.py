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


@dataclass(frozen=True)
class OverlapRow:
    """One row of the overlap table as published: its label, its persons when shown, and its mark when hidden."""

    label: str
    persons: int | None  # the count shown; None when the row is hidden
    small: bool = False  # hidden as <N (1 to N-1 persons); a hidden row not small reads N or more

    @property
    def hidden(self) -> bool:
        return self.persons is None


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
    left_persons = persons - sum(row.persons for row in rows if not row.hidden)
    extra = city_rows - persons  # the sum of (programs - 1) over everyone
    top = None
    for row in rows:
        held, or_more = overlap_size(row.label)
        if or_more:
            top = (row, held)
        elif not row.hidden:
            extra -= (held - 1) * row.persons
    # variables: each hidden row's persons, then the top row's sum of (programs - 1) if it has one
    count = len(hidden) + (top is not None)
    if count == 0:
        return left_persons == 0 and extra == 0
    low, high = np.zeros(count), np.zeros(count)
    for position, row in enumerate(hidden):
        if row.label in fixed:
            low[position] = high[position] = fixed[row.label]
        elif row.small:
            low[position], high[position] = 1, min_cell - 1
        else:
            low[position], high[position] = min_cell, max(persons, min_cell)
    persons_row = np.zeros(count)
    persons_row[:len(hidden)] = 1
    programs_row = np.zeros(count)
    for position, row in enumerate(hidden):
        held, or_more = overlap_size(row.label)
        programs_row[position] = 0 if or_more else held - 1
    constraints = [LinearConstraint(persons_row, left_persons, left_persons)]
    if top is not None:
        top_row, held = top
        programs_row[-1] = 1
        low[-1], high[-1] = 0, max(most - 1, 0) * max(persons, 0)
        # (held - 1) x n_top <= the top row's sum of (programs - 1) <= (most - 1) x n_top
        bound = np.zeros(count)
        bound[-1] = 1
        if top_row.hidden:
            position = hidden.index(top_row)
            floor, ceiling = bound.copy(), bound.copy()
            floor[position], ceiling[position] = -(held - 1), -(most - 1)
            constraints += [LinearConstraint(floor, 0, np.inf), LinearConstraint(ceiling, -np.inf, 0)]
        else:
            low[-1], high[-1] = (held - 1) * top_row.persons, max(most - 1, held - 1) * top_row.persons
            if most < held:
                return False
    constraints.append(LinearConstraint(programs_row, extra, extra))
    if (low > high).any():
        return False
    result = milp(np.zeros(count), constraints=constraints, integrality=np.ones(count), bounds=Bounds(low, high))
    return result.status == 0
