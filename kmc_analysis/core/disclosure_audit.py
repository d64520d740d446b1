"""Attack the published numbers: can a hidden small count be worked out or narrowed?

For every cell published as ``<N`` the audit computes the tightest interval an attacker
gets from the published numbers, the marks (``<N`` is 1 to N - 1, ``*`` at least N) and the
relations between them (:mod:`kmc_analysis.core.disclosure_model`), by linear programming
(``scipy.optimize.linprog`` with HiGHS), minimising and maximising the cell. The cell is
protected when the interval reaches down to 1 and up to ``min_cell - 1``: nothing published
narrows it below what the ``<N`` mark says (0 to ``min_cell`` for a count no table shows, such
as a hatched area of the kategori map: the hatching does not say the count is small). Two
things cap that requirement, because the contract publishes them in full: city-level
figures (a kelurahan cannot hold more persons of a program than the city has) and the units
themselves (a count cannot exceed what hiding every cell below city level would still leave
open). An unprotected cell is a :class:`Finding` naming its table, unit and column, never a
value; :class:`DisclosureError` fails the run with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc_analysis.core.disclosure import LEVELS, RULES
from kmc_analysis.core.disclosure_lp import System
from kmc_analysis.core.disclosure_model import Model
from kmc_analysis.core.errors import KMCError

#: Slack for floating-point results of the linear programs.
EPSILON = 1e-6


@dataclass(frozen=True)
class Finding:
    """A published ``<N`` cell that other published numbers narrow: table, unit code and column."""

    table: str
    code: str
    column: str

    def sentence(self) -> str:
        """The finding in one Indonesian sentence (no value)."""
        where = self.code.replace("|", ", ")
        return (f"tabel {self.table}, baris {where}, kolom {self.column}: angka kecil yang disamarkan dapat "
                f"dihitung ulang atau dipersempit dari angka lain yang diterbitkan")


class DisclosureError(KMCError):
    """The audit found hidden small counts that the published numbers give away (exit 1)."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        shown = "; ".join(f.sentence() for f in findings[:5])
        more = f"; dan {len(findings) - 5} sel lain" if len(findings) > 5 else ""
        super().__init__(f"Audit penyamaran gagal, laporan tidak diterbitkan: {shown}{more}. Ini kesalahan "
                         f"program (penyamaran sekunder kurang); laporkan ke pengelola workbook.")


def _whole(value: float, up: bool) -> float:
    """An interval end as a whole number of persons (the attacker knows counts are integers)."""
    if math.isinf(value):
        return value
    return math.floor(value + EPSILON) if up else math.ceil(value - EPSILON)


class Protection:
    """Decides whether a hidden small count is protected, caching the widest intervals possible."""

    def __init__(self, model: Model, min_cell: int):
        self.model, self.min_cell = model, int(min_cell)
        self._widest: System | None = None
        self._caps: dict[int, tuple[float, float]] = {}

    def system(self, shown: np.ndarray) -> System:
        """The linear system when ``shown`` facts are published, with what the hidden ones' marks tell."""
        return self.model.compile(shown, self.min_cell)

    def widest(self) -> System:
        """The system with every cell below city level hidden (what the contract's full figures allow).

        Zeros stay shown (a count, rate or value of 0): a unit of nobody is never hidden, so a
        ``*`` would not hide it.
        """
        if self._widest is None:
            model = self.model
            zero = (np.asarray(model.values, dtype=float) == 0) & ~np.asarray(model.signed, dtype=bool)
            below = np.array([u is not None and u != () and all(LEVELS.get(x[0], ("", True))[1] for x in u)
                              for u in model.units], dtype=bool)
            self._widest = self.system(model.shown_for(set()) & ~(below & ~zero))
        return self._widest

    def target(self, fact: int) -> tuple[float, float]:
        """The interval a hidden count's mark leaves open: what protection must keep open.

        1 to ``min_cell - 1`` for a count shown ``<N``; 0 to ``min_cell`` for one no table
        shows (a hatched map area does not even say whether it is small).
        """
        if self.model.has_mark(fact):
            return 1.0, float(self.min_cell - 1)
        return 0.0, float(self.min_cell)

    def need(self, fact: int, side: str) -> float:
        """How far the interval must reach on ``side``: down to :meth:`target`'s low end, up to its high end."""
        if fact not in self._caps:
            lo, hi = self.widest().interval(fact)
            self._caps[fact] = (_whole(lo, False), _whole(hi, True))
        lo, hi = self._caps[fact]
        low, high = self.target(fact)
        return max(low, lo) if side == "lo" else min(high, hi)

    def failing_sides(self, system: System, fact: int, check: tuple[str, ...] = ("lo", "hi")) -> list[str]:
        """The sides (``lo``, ``hi``) on which a hidden count is narrowed too far; [] when protected."""
        if system.shown[fact]:
            return ["lo", "hi"]
        lo, hi = system.interval(fact, "both" if len(check) == 2 else check[0])
        sides = []
        if "lo" in check and _whole(lo, False) > self.need(fact, "lo"):
            sides.append("lo")
        if "hi" in check and _whole(hi, True) < self.need(fact, "hi"):
            sides.append("hi")
        return sides

    def failing(self, system: System, facts: list[int]) -> dict[int, list[str]]:
        """The failing sides of many hidden counts (only the failing ones are listed).

        Per component two programs find a point where all its counts are 0 together and one
        where they all reach min_cell together; only a count that does not get there in
        them is solved on its own.
        """
        out: dict[int, list[str]] = {}
        groups: dict[int, list[int]] = {}
        for fact in facts:
            if system.shown[fact]:
                out[fact] = ["lo", "hi"]
            else:
                groups.setdefault(system.component[fact], []).append(fact)
        for members in groups.values():
            unproven = {"lo": self._unproven(system, members, "lo"), "hi": self._unproven(system, members, "hi")}
            for fact in members:
                check = tuple(side for side in ("lo", "hi") if fact in unproven[side])
                sides = self.failing_sides(system, fact, check) if check else []
                if sides:
                    out[fact] = sides
        return out

    def _unproven(self, system: System, members: list[int], side: str) -> set[int]:
        """The counts of one component no joint solution takes to their :meth:`target` (``lo`` or ``hi`` end).

        Solved again with the counts still open while each round proves some more.
        """
        open_ = list(members)
        target = {f: self.target(f) for f in members}
        while open_:
            if side == "lo":
                point = system.witness(open_, "lo")
                proven = [f for f in open_ if point.get(f, math.inf) <= target[f][0] + EPSILON]
            else:
                point = system.witness(open_, "hi", {f: target[f][1] for f in open_})
                proven = [f for f in open_ if point.get(f, -math.inf) >= target[f][1] - EPSILON]
            if not proven:
                break
            open_ = [f for f in open_ if f not in set(proven)]
        return set(open_)

    def reach(self, system: System, fact: int, sides: list[str]) -> float:
        """How much room the failing sides have (larger is better), to compare complements."""
        if system.shown[fact]:
            return -math.inf
        lo, hi = system.interval(fact, "both" if len(sides) > 1 else sides[0])
        room = 0.0
        if "lo" in sides:
            room += -lo
        if "hi" in sides:
            room += min(hi, 1e9)
        return room


def audit_model(model: Model, min_cell: int) -> list[Finding]:
    """Check every cell a publication shows as ``<N``; return the unprotected ones (``[]``: safe)."""
    if min_cell <= 1 or not model.marked_primary:
        return []
    protection = Protection(model, min_cell)
    system = protection.system(model.shown_as_published())
    findings = []
    for fact in protection.failing(system, sorted(model.marked_primary)):
        table, code, column = model.cells.get(fact, ("?", "?", model.keys[fact][0]))
        findings.append(Finding(table, code, column))
    return sorted(set(findings), key=lambda f: (list(RULES).index(f.table) if f.table in RULES else 99, f.code,
                                                f.column))
