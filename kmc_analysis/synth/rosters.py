"""Who each program pays this month: stable recipient lists drawn from the synthetic city.

Every program ranks the city in its own fixed order and pays the first persons of the
right age (and kecamatan, for a kecamatan office; women, for programs for women) who are
on its list this month. A person is on a program's list most of the time and now and then
leaves for a while (each person has their own cycle per program), so from one month to
the next the same persons recur, a few leave and others join in their place. A program
paid once a year ranks the city afresh each year and pays the next slice of its ranking
every month, so nobody is paid twice in a year. Programs for poor households find a share
of their recipients (60-85 %, fixed per program) among the DTKS households and the rest
elsewhere, as real programs do.

When the right persons run out (a month scaled far beyond the city's size), the list is
filled from persons in the catalogue's age range, then from anyone: the truth is computed
from what was drawn, so it stays exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import Period
from kmc_analysis.synth.people import People
from kmc_analysis.synth.programs import stable_hash
from kmc_analysis.synth.schedule import Schedule

#: A person's cycle on a program's list: on it for ``_ON`` months of every ``_CYCLE``.
_CYCLE, _ON = 50, 42


def mix(x: np.ndarray) -> np.ndarray:
    """Scramble uint64 values (the splitmix64 finaliser): a stable pseudo-random key per input."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def draw_recipients(programs, people: People, schedule: Schedule, period: Period,
                    kel_kec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The person and program of every payment this month, program by program (catalogue order)."""
    age = people.age_on(np.datetime64(period.last_day()))
    # A once-a-year program's pool is fixed for the year (in its age range all year long), so that
    # its monthly slices never overlap and no recipient leaves the range before the year ends.
    first_age = people.age_on(np.datetime64(f"{period.year}-01-01"))
    last_age = people.age_on(np.datetime64(f"{period.year}-12-31"))
    alive = np.flatnonzero(age >= 0)
    kec = kel_kec[people.kel]
    month_index = period.year * 12 + period.month
    person_parts, program_parts = [], []
    for p in np.flatnonzero(schedule.counts):
        row = programs.iloc[p]
        k = int(schedule.counts[p])
        salt = np.uint64((stable_hash(str(row["kode_bantuan"])) * 0x9E3779B97F4A7C15) % 2**64)
        once = bool(row["once"])
        where = age >= 0
        if int(row["home_kec"]) >= 0:
            where &= kec == int(row["home_kec"])
        if bool(row["female_only"]):
            where &= people.female
        cand = np.flatnonzero(where)              # everything below works on these persons only
        low, high = (first_age[cand], last_age[cand]) if once else (age[cand], age[cand])
        rank = mix(people.key[cand] ^ (salt + np.uint64(period.year if once else 0)))
        in_range = _within(low, row["usia_min"], None) & _within(high, None, row["usia_maks"])
        plausible = (low >= int(row["age_lo"])) & (high <= int(row["age_hi"]))
        if once:
            listed = plausible
        else:
            phase = (mix(people.key[cand] ^ ~salt) % np.uint64(_CYCLE)).astype(np.int64)
            listed = plausible & ((month_index + phase) % _CYCLE < _ON)
        start = int(schedule.year_start[p]) if once else 0
        pools = [listed, plausible, in_range, np.ones(len(cand), dtype=bool)]
        if bool(row["poor_targeted"]):
            share = float(row["dtks_share"])
            poor = people.poor[cand]
            # DTKS persons paid before this month and with it, rounded as running totals so that
            # once-a-year slices follow on from each other
            before, through = round(share * start), round(share * (start + k))
            chosen = _fill([pool & poor for pool in pools], rank, before, through - before, [])
            chosen = _fill([pool & ~poor for pool in pools] + pools, rank, start - before, k, [chosen])
        else:
            chosen = _fill(pools, rank, start, k, [])
        chosen = cand[chosen]
        if len(chosen) < k:   # not enough persons in the kecamatan or of the sex: anyone alive
            rest = np.setdiff1d(alive, chosen)
            chosen = np.concatenate([chosen, rest[_ranked_slice(np.arange(len(rest)), mix(people.key[rest] ^ salt),
                                                                0, k - len(chosen))]])
        person_parts.append(chosen)
        program_parts.append(np.full(len(chosen), p))
    if not person_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(person_parts), np.concatenate(program_parts)


def _within(age: np.ndarray, low, high) -> np.ndarray:
    """Ages within a catalogue range whose bounds may be missing."""
    ok = np.ones(len(age), dtype=bool)
    if low is not None and not pd.isna(low):
        ok &= age >= int(low)
    if high is not None and not pd.isna(high):
        ok &= age <= int(high)
    return ok


def _fill(pools: list[np.ndarray], rank: np.ndarray, start: int, k: int, taken: list[np.ndarray]) -> np.ndarray:
    """``k`` persons in all: those already ``taken``, then from each pool in turn in rank order.

    In the first pool the slice starts at ``start`` (the persons before it were paid
    earlier in the year); later pools only fill what the first could not.
    """
    chosen = list(taken)
    have = sum(len(c) for c in chosen)
    used = np.zeros(len(rank), dtype=bool)
    for c in chosen:
        used[c] = True
    for n, pool in enumerate(pools):
        need = k - have
        if need <= 0:
            break
        candidates = np.flatnonzero(pool & ~used)
        skip = start if n == 0 else 0
        picked = _ranked_slice(candidates, rank, skip, need)
        chosen.append(picked)
        used[picked] = True
        have += len(picked)
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def _ranked_slice(candidates: np.ndarray, rank: np.ndarray, skip: int, need: int) -> np.ndarray:
    """The candidates ranked ``skip`` to ``skip + need`` by ``rank`` (fewer when there are not enough)."""
    stop = min(skip + need, len(candidates))
    if stop <= skip:
        return np.zeros(0, dtype=np.int64)
    keys = rank[candidates]
    if stop < len(candidates):
        part = np.argpartition(keys, stop - 1)[:stop]
    else:
        part = np.arange(len(candidates))
    ordered = part[np.argsort(keys[part], kind="stable")]
    return candidates[ordered[skip:stop]]
