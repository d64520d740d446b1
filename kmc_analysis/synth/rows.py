"""The rows of a synthetic month: each payment's sheet, amount and day, and which rows are defective.

``build_rows`` puts the payments ``synth.rosters`` drew on their sheets; ``spoil`` gives
about 3 % of them the defects of real submissions and adds duplicates; ``supersede``
writes the older version of a ``_revisi`` file. Each row carries its intended quarantine
reasons as a bit mask over ``REASONS``, known from construction (``duplikat`` is added
when the truth is built).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from kmc_analysis.synth.people import People
from kmc_analysis.synth.plan import Plan
from kmc_analysis.synth.world import World

#: Share of rows given a defect (duplicates included; JUMLAH rows come on top).
DEFECT_SHARE = 0.03

#: Quarantine reason codes in contract order (CONTRACT 2.2). Kept here rather than
#: imported from clean.rules on purpose: truth must not inherit that module's mistakes.
REASONS = (
    "nik_kosong", "nik_format", "nik_tanggal", "nama_kosong", "wilayah_tidak_dikenal",
    "program_tidak_dikenal", "nominal_tidak_valid", "duplikat",
)
#: Each reason's bit in a row's ``reasons`` mask.
BIT = {reason: 1 << i for i, reason in enumerate(REASONS)}


@dataclass
class Rows:
    """Every data row to write (except JUMLAH rows), as parallel arrays."""

    person: np.ndarray
    program: np.ndarray
    sheet: np.ndarray
    pos: np.ndarray          # sort key within the sheet
    nik: np.ndarray          # the NIK written (nik_tanggal rows get a broken one)
    nominal: np.ndarray
    salur: np.ndarray        # datetime64[D]
    reasons: np.ndarray      # bit mask of REASONS, known from construction (duplikat added later)
    variant: np.ndarray      # which form of a defect a row gets (random integer)
    planted: np.ndarray      # carries a planted review case (kept free of defects)
    superseded: np.ndarray   # lies in a file a _revisi file replaces: never read

    def take(self, idx: np.ndarray) -> Rows:
        """A copy of some rows (used for duplicates)."""
        return Rows(**{k: getattr(self, k)[idx].copy() for k in self.__dataclass_fields__})

    def extend(self, other: Rows) -> None:
        """Append the rows of ``other`` (in place)."""
        for k in self.__dataclass_fields__:
            setattr(self, k, np.concatenate([getattr(self, k), getattr(other, k)]))

    def __len__(self) -> int:
        return len(self.person)

    def accepted_total(self, idx: np.ndarray) -> int:
        """Sum of the nominal of rows ``idx`` whose nominal is valid (what a JUMLAH row shows)."""
        return int(self.nominal[idx][(self.reasons[idx] & BIT["nominal_tidak_valid"]) == 0].sum())


def build_rows(world: World, plan: Plan, people: People, person: np.ndarray, program: np.ndarray,
               rng: np.random.Generator) -> Rows:
    """Put every payment on its sheet, with its amount, its payment day and its place in the sheet."""
    programs = world.programs
    n = len(person)
    sheet = plan.main_sheet[program].copy()
    late = (plan.susulan_sheet[program] >= 0) & (rng.random(n) < 0.1)
    sheet[late] = plan.susulan_sheet[program[late]]

    # Mostly the standard amount; a few payments of two months at once (Rapel) or half of one.
    factor = np.where(programs["once"].to_numpy()[program], 1.0,
                      rng.choice([1.0, 0.5, 2.0], size=n, p=[0.93, 0.03, 0.04]))
    nominal = (programs["nominal"].to_numpy()[program] * factor).astype(np.int64)

    weekdays = [d for d in (np.datetime64(f"{world.period}-01") + np.arange(31))
                if d.astype("datetime64[M]") == np.datetime64(str(world.period))
                and dt.date.fromisoformat(str(d)).weekday() < 5]
    pay_days = np.array(weekdays)
    batch = rng.integers(len(pay_days) - 3, size=len(programs))       # each program pays in one or two batches
    salur = pay_days[batch[program] + np.where(rng.random(n) < 0.7, 0, 2)]
    salur = np.where(late, pay_days[-1], salur)

    sorted_by_place = np.array([s.sorted_by_place for s in plan.sheets])[sheet] if n else np.zeros(0, bool)
    pos = rng.random(n) + np.where(sorted_by_place, people.kel[person], 0)
    return Rows(person=person, program=program, sheet=sheet, pos=pos.astype(float), nik=people.nik[person].copy(),
                nominal=nominal, salur=salur, reasons=np.zeros(n, dtype=np.int64),
                variant=rng.integers(0, 1 << 30, n), planted=np.zeros(n, dtype=bool),
                superseded=np.zeros(n, dtype=bool))


def spoil(plan: Plan, rows: Rows, rng: np.random.Generator, n_dups: int) -> None:
    """Give about 3% of the rows the defects of real submissions, and add duplicate rows.

    Rows chosen for a defect are distinct (person, program) pairs, so a defective row never
    repeats the key of an accepted row; duplicates copy accepted rows; a few defective rows
    of the susulan OPD come again, corrected, in its _susulan file (accepted: the first
    occurrence was quarantined, so the second is no duplicate). Rows carrying a planted
    review case are left alone.
    """
    n = len(rows)
    free = np.flatnonzero(~rows.planted)
    wanted = max(round((DEFECT_SHARE * (n + n_dups)) - n_dups), 0)
    wanted = min(max(wanted, 7 if n >= 40 else 0), len(free) // 5)
    defective = rng.choice(free, size=wanted, replace=False)
    single = list(REASONS[:7])
    weights = np.array([0.1, 0.2, 0.1, 0.1, 0.2, 0.1, 0.2])
    first = np.array([*range(min(7, wanted))] + list(rng.choice(7, size=max(wanted - 7, 0), p=weights)), dtype=int)
    rows.reasons[defective] = 1 << first
    nik_reasons = BIT["nik_kosong"] | BIT["nik_format"] | BIT["nik_tanggal"]
    for i in np.flatnonzero(rng.random(wanted) < 0.15):   # some rows with two defects
        options = [r for r in single if not (BIT[r] & rows.reasons[defective[i]])
                   and not (BIT[r] & nik_reasons and rows.reasons[defective[i]] & nik_reasons)]
        rows.reasons[defective[i]] |= BIT[options[int(rng.integers(len(options)))]]
    # nik_tanggal breaks the NIK itself (digits 7-12): day 00, 32-40 or 72+, or month 00 / 13+.
    broken = np.flatnonzero(rows.reasons & BIT["nik_tanggal"])
    if len(broken):
        digits = rows.nik[broken].astype(str)
        bad_day = np.array(["00", "35", "38", "75", "80"])[rng.integers(5, size=len(broken))]
        bad_month = np.array(["00", "13", "15"])[rng.integers(3, size=len(broken))]
        use_day = rng.random(len(broken)) < 0.5
        fixed = [d[:6] + (bd if ud else d[6:8]) + (d[8:10] if ud else bm) + d[10:]
                 for d, bd, bm, ud in zip(digits, bad_day, bad_month, use_day)]
        rows.nik[broken] = np.array(fixed, dtype=np.int64)

    copies = []
    ok = np.flatnonzero(rows.reasons == 0)
    if plan.susulan_opd is not None:
        in_main = plan.main_sheet[rows.program] == rows.sheet
        susulan_prog = plan.susulan_sheet[rows.program] >= 0
        # corrected resubmissions: quarantined first in the main file, accepted in the _susulan file
        candidates = np.flatnonzero(in_main & susulan_prog & (rows.reasons == 0) & ~rows.planted)
        fixable = rng.choice(candidates, size=min(2, len(candidates)), replace=False)
        rows.reasons[fixable] = np.where(rng.random(len(fixable)) < 0.5, BIT["nama_kosong"],
                                         BIT["nominal_tidak_valid"])
        corrected = rows.take(fixable)
        corrected.reasons[:] = 0
        corrected.sheet = plan.susulan_sheet[corrected.program]
        corrected.pos = rng.random(len(fixable)) + 1e6
        copies.append(corrected)
        # the same person and program in the main file and again in the _susulan file
        across = np.flatnonzero(in_main & susulan_prog & (rows.reasons == 0))
        n_across = min(max(1, n_dups // 3), len(across))
        picked = rng.choice(across, size=n_across, replace=False)
        repeat = rows.take(picked)
        repeat.sheet = plan.susulan_sheet[repeat.program]
        repeat.pos = rng.random(n_across) + 1e6
        copies.append(repeat)
        n_dups -= n_across + len(fixable)
        ok = np.flatnonzero(rows.reasons == 0)
    if n_dups > 0 and len(ok):
        picked = rng.choice(ok, size=min(n_dups, len(ok)), replace=False)
        repeat = rows.take(picked)
        repeat.pos = repeat.pos + rng.uniform(0.01, 0.5, len(picked))   # a little further down the sheet
        copies.append(repeat)
    for c in copies:
        c.variant = rng.integers(0, 1 << 30, len(c))
        rows.extend(c)


def supersede(plan: Plan, rows: Rows, rng: np.random.Generator) -> None:
    """Write the older version of every _revisi file: its rows less a few, with errors the revision fixed.

    These rows lie in a file that is never read (CONTRACT 2.3), so they are in no truth.
    """
    if not plan.original_of:
        return
    final_to_original = {new: old for old, new in plan.original_of.items()}
    picked = np.flatnonzero(np.isin(rows.sheet, list(final_to_original)) & (rng.random(len(rows)) >= 0.05))
    older = rows.take(picked)
    older.sheet = np.array([final_to_original[int(s)] for s in older.sheet], dtype=np.int64)
    older.superseded[:] = True
    older.planted[:] = False
    fixed_later = (rng.random(len(older)) < 0.06) & (older.reasons == 0)
    older.reasons[fixed_later] = np.where(rng.random(int(fixed_later.sum())) < 0.5, BIT["nama_kosong"],
                                          BIT["nominal_tidak_valid"])
    older.variant = rng.integers(0, 1 << 30, len(older))
    rows.extend(older)
