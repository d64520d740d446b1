"""How many persons each program pays this month: the catalogue's plan, realised.

The plan comes from the catalogue (``target_penerima`` and ``satuan``, see
``synth.programs``). Each program has a realisation level for the year: most run near
plan (90-105 % of their target), a few fall behind (50-80 %). A program paid per month
pays about that share of its target every month (varying by a few percent); one paid per
quarter or semester pays it in its payment month; one paid once a year pays its yearly
total spread over the months (about a twelfth each, varying, the year to date close to
the prorated plan), each recipient once. One
OPD is late each month: its files are absent from the month.

None of this depends on the seed: the story of a year (who is behind, who is late in
which month) is the same for every seed, as the synthetic city is, so the months of a
sample tell one story whatever seeds they were written with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import Period
from kmc_analysis.synth.people import CITY_SEED
from kmc_analysis.synth.programs import stable_hash

#: Share of programs running behind plan in a year (at least two of them).
BEHIND_SHARE = 0.08


@dataclass
class Schedule:
    """What each program pays this month (arrays in catalogue order)."""

    persons: np.ndarray        # persons the plan, realised, pays this month
    counts: np.ndarray         # rows written per program (``persons``, scaled to the rows asked for)
    year_start: np.ndarray     # once-a-year programs: persons already paid this year before this month (scaled)
    realisation: np.ndarray    # the program's level for the year (share of its target)
    late_opd: str | None       # the OPD whose files are absent this month


def month_schedule(programs: pd.DataFrame, opds: list[str], period: Period, base_rows: int | None) -> Schedule:
    """The month's persons per program, scaled to ``base_rows`` rows when given (largest remainders)."""
    n = len(programs)
    codes = programs["kode_bantuan"].astype(str).tolist()
    target = programs["target"].to_numpy(dtype=np.float64)
    level = realisation_levels(codes, period.year)
    persons = np.zeros(n, dtype=np.int64)
    before = np.zeros(n, dtype=np.int64)
    for p, code in enumerate(codes):
        months = int(programs["months_per_payment"].iloc[p])
        rng = np.random.default_rng([CITY_SEED, period.year, period.month, stable_hash(code)])
        if months == 12:
            done = np.round(target[p] * level[p] * _year_to_date_shares(code, period.year)).astype(np.int64)
            persons[p] = done[period.month - 1] - (done[period.month - 2] if period.month > 1 else 0)
            before[p] = done[period.month - 2] if period.month > 1 else 0
        elif (period.month - 1) % months == int(programs["pay_offset"].iloc[p]):
            persons[p] = round(target[p] * (level[p] + rng.uniform(-0.02, 0.02)))
    late = _late_opd(programs, opds, period, persons)
    if late is not None:
        persons[programs["opd"].to_numpy(dtype=object) == late] = 0

    counts, year_start = persons.copy(), before.copy()
    if base_rows is not None:
        weights = persons.astype(np.float64)
        if weights.sum() == 0:   # nothing planned this month (a catalogue of other rhythms): use the targets
            weights = np.where(programs["opd"].to_numpy(dtype=object) == late, 0.0, target)
        counts = _largest_remainder(weights, base_rows)
        factor = base_rows / weights.sum() if weights.sum() else 0.0
        year_start = np.round(before * factor).astype(np.int64)
    return Schedule(persons, counts, year_start, level, late)


def realisation_levels(codes: list[str], year: int) -> np.ndarray:
    """Each program's level for the year: most 0.90-1.05 of the target, a few 0.50-0.80."""
    order = sorted(range(len(codes)), key=lambda p: stable_hash(f"{year}:{codes[p]}"))
    behind = set(order[:max(2, round(BEHIND_SHARE * len(codes)))] if len(codes) >= 8 else [])
    level = np.empty(len(codes))
    for p, code in enumerate(codes):
        rng = np.random.default_rng([CITY_SEED, year, stable_hash(code), 1])
        level[p] = rng.uniform(0.5, 0.8) if p in behind else rng.uniform(0.9, 1.05)
    return level


def _year_to_date_shares(code: str, year: int) -> np.ndarray:
    """The share of a once-a-year program's recipients paid by the end of each month.

    About a twelfth a month, each month's payments varying by up to a quarter of that,
    while the year to date never strays more than a percent of the year from the prorated
    plan (so a program on plan reads as on plan in any month).
    """
    rng = np.random.default_rng([CITY_SEED, year, stable_hash(code), 2])
    share = np.arange(1, 13) / 12 + np.r_[rng.uniform(-0.01, 0.01, 11), 0.0]
    return np.maximum.accumulate(np.clip(share, 0.0, 1.0))


def _late_opd(programs: pd.DataFrame, opds: list[str], period: Period, persons: np.ndarray) -> str | None:
    """The OPD that is late this month (one of those with payments due), when there are three or more."""
    opd = programs["opd"].to_numpy(dtype=object)
    due = [o for o in opds if persons[opd == o].sum() > 0]
    if len(opds) < 3 or len(due) < 2:
        return None
    rng = np.random.default_rng([CITY_SEED, period.year, period.month, 3])
    return due[int(rng.integers(len(due)))]


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers proportional to ``weights`` that add up to exactly ``total``."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts
