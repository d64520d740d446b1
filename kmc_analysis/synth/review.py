"""Rows to review (CONTRACT 3, ``tinjauan.csv``): a few planted in a messy month, and the list the rules give.

``plant_review_cases`` puts a few cases into the month's rows before any defect is dealt:
recipients outside their program's age range (a student scholarship paid to a
70-year-old), amounts above twice or below half ``nominal_standar``, and persons paid by
five or more programs. ``expected_review`` then lists, from the rows as written, every
accepted row the contract's review rules flag, with its flags in contract order:
``usia_di_luar_sasaran`` (age from NIK digits 7-12, women's day - 40, on the period's
last day; birth year 20YY unless that lies after the period's year, then 19YY),
``nominal_tidak_wajar`` and ``banyak_program``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import Period
from kmc_analysis.synth.people import People
from kmc_analysis.synth.rows import Rows
from kmc_analysis.synth.world import World

#: A person in this many programs in one month is flagged ``banyak_program``.
MANY_PROGRAMS = 5
#: The flags in contract order.
FLAGS = ("usia_di_luar_sasaran", "nominal_tidak_wajar", "banyak_program")
REVIEW_COLUMNS = ["sumber_file", "sumber_sheet", "sumber_baris", "opd", "kode_bantuan", "tanda"]


def plant_review_cases(world: World, people: People, rows: Rows, rng: np.random.Generator) -> None:
    """Plant a few age, amount and many-programs cases into the rows (about 1 in 2,000 rows each, at most 40)."""
    programs = world.programs
    n = len(rows)
    if n < 40:
        return
    age = people.age_on(np.datetime64(world.period.last_day()))
    kec = world.kel_kec[people.kel]
    pairs = _Pairs(rows, len(programs))
    low = programs["usia_min"].to_numpy(dtype="float64", na_value=np.nan)
    high = programs["usia_maks"].to_numpy(dtype="float64", na_value=np.nan)

    def fits(p: int, who: np.ndarray) -> np.ndarray:
        ok = age[who] >= 0
        if int(programs["home_kec"].iloc[p]) >= 0:
            ok &= kec[who] == int(programs["home_kec"].iloc[p])
        if bool(programs["female_only"].iloc[p]):
            ok &= people.female[who]
        return ok

    def put(r: int, person: int) -> None:
        pairs.move(int(rows.person[r]), person, int(rows.program[r]))
        rows.person[r], rows.nik[r], rows.planted[r] = person, people.nik[person], True

    n_cases = min(max(2, round(n / 2000)), 40)
    ranged = np.flatnonzero(~(np.isnan(low) & np.isnan(high)))
    outsiders: dict[int, np.ndarray] = {}
    for r in _free_rows(rng, rows, np.isin(rows.program, ranged), n_cases):
        p = int(rows.program[r])
        if p not in outsiders:
            if not np.isnan(high[p]):   # someone far older than the range (a scholarship for a 70-year-old)
                outside = (age > high[p] + 30) | ((age > high[p]) & (age <= 89) & (high[p] >= 60))
            else:                       # someone younger than the range (an incentive paid to a 14-year-old)
                outside = (age < low[p]) & (age >= max(low[p] - 20, 10))
            who = np.flatnonzero(outside)
            outsiders[p] = who[fits(p, who)]
        who = outsiders[p]
        for w in (who[rng.integers(len(who), size=50)].tolist() if len(who) else []):
            if (w, p) not in pairs:
                put(int(r), w)
                break

    standard = programs["nominal_standar_katalog"].to_numpy(dtype="float64", na_value=np.nan)
    priced = np.flatnonzero(~np.isnan(standard))
    for r in _free_rows(rng, rows, np.isin(rows.program, priced), n_cases):
        factor = (3, 10, 0.3, 0.1)[int(rng.integers(4))]   # three or ten times the amount, or a fraction
        rows.nominal[r] = int(round(standard[rows.program[r]] * factor / 1000) * 1000)
        rows.planted[r] = True

    paid = np.unique(rows.program)
    candidates = np.flatnonzero((age >= 25) & (age <= 55))
    row_of_program = {int(p): np.flatnonzero(rows.program == p) for p in paid}
    for _ in range(min(max(2, round(n / 5000)), 10)):
        person = int(candidates[int(rng.integers(len(candidates)))])
        options = [int(p) for p in paid if (person, int(p)) not in pairs and fits(int(p), np.array([person]))[0]
                   and (np.isnan(low[p]) or age[person] >= low[p]) and (np.isnan(high[p]) or age[person] <= high[p])]
        if len(options) < MANY_PROGRAMS:
            continue
        for p in rng.permutation(options)[:MANY_PROGRAMS + int(rng.integers(2))].tolist():
            mine = row_of_program[p]
            free = mine[~rows.planted[mine] & ~rows.superseded[mine]]
            if len(free):
                put(int(free[int(rng.integers(len(free)))]), person)


class _Pairs:
    """Which (person, program) pairs the month pays, kept up to date as planted cases move persons."""

    def __init__(self, rows: Rows, n_programs: int):
        self.width = n_programs + 1
        self.base = np.unique(rows.person.astype(np.int64) * self.width + rows.program)
        self.added: set[int] = set()
        self.removed: set[int] = set()

    def __contains__(self, pair: tuple[int, int]) -> bool:
        key = int(pair[0]) * self.width + int(pair[1])
        if key in self.added:
            return True
        i = int(np.searchsorted(self.base, key))
        return i < len(self.base) and int(self.base[i]) == key and key not in self.removed

    def move(self, old: int, new: int, program: int) -> None:
        """Program ``program`` pays ``new`` instead of ``old``."""
        self.removed.add(old * self.width + program)
        self.added.discard(old * self.width + program)
        self.added.add(new * self.width + program)
        self.removed.discard(new * self.width + program)


def _free_rows(rng: np.random.Generator, rows: Rows, where: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` random rows matching ``where`` that carry no planted case yet."""
    free = np.flatnonzero(where & ~rows.planted & ~rows.superseded)
    return rng.choice(free, size=min(k, len(free)), replace=False) if len(free) else free


def age_from_nik(nik: np.ndarray, period: Period) -> np.ndarray:
    """Age on the period's last day from the digits 7-12 of 16-digit NIKs (int64), as CONTRACT 2.4 reads them."""
    nik = np.asarray(nik, dtype=np.int64)
    day = nik // 10**8 % 100
    day = np.where(day > 40, day - 40, day)
    month = nik // 10**6 % 100
    yy = nik // 10**4 % 100
    year = np.where(2000 + yy > period.year, 1900 + yy, 2000 + yy)
    last = period.last_day()
    before = (month > last.month) | ((month == last.month) & (day > last.day))
    return last.year - year - before.astype(np.int64)


def expected_review(world: World, rows: Rows, accepted: np.ndarray, location) -> pd.DataFrame:
    """Every accepted row the review rules flag, in contract order (``accepted`` is in contract order)."""
    programs = world.programs
    program = rows.program[accepted]
    nik = rows.nik[accepted]
    age = age_from_nik(nik, world.period)
    low = programs["usia_min"].to_numpy(dtype="float64", na_value=np.nan)[program]
    high = programs["usia_maks"].to_numpy(dtype="float64", na_value=np.nan)[program]
    outside = (~np.isnan(low) & (age < low)) | (~np.isnan(high) & (age > high))
    standard = programs["nominal_standar_katalog"].to_numpy(dtype="float64", na_value=np.nan)[program]
    amount = rows.nominal[accepted].astype("float64")
    unusual = ~np.isnan(standard) & ((amount > 2 * standard) | (amount < standard / 2))
    person, person_of_row = np.unique(nik, return_inverse=True)
    pairs = np.unique(person_of_row.astype(np.int64) * (len(programs) + 1) + program)
    programs_per_person = np.bincount(pairs // (len(programs) + 1), minlength=len(person))
    many = programs_per_person[person_of_row] >= MANY_PROGRAMS
    code = outside.astype(np.int64) | unusual.astype(np.int64) << 1 | many.astype(np.int64) << 2
    flagged = code > 0
    words = np.array([";".join(f for i, f in enumerate(FLAGS) if c >> i & 1) for c in range(8)], dtype=object)
    where = location(accepted[flagged])
    return pd.DataFrame({
        "sumber_file": where["sumber_file"], "sumber_sheet": where["sumber_sheet"],
        "sumber_baris": where["sumber_baris"],
        "opd": pd.Series(programs["opd"].to_numpy(dtype=object)[program[flagged]], dtype="str"),
        "kode_bantuan": pd.Series(programs["kode_bantuan"].to_numpy(dtype=object)[program[flagged]], dtype="str"),
        "tanda": pd.Series(words[code[flagged]], dtype="str"),
    }, columns=REVIEW_COLUMNS)
