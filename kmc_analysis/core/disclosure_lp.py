"""Linear programs over the unknown facts of a publication: how far can each hidden number move?

A :class:`System` is a :class:`~kmc_analysis.core.disclosure_model.Model` with its shown
facts substituted as constants. The unknown facts fall into independent components (a
relation ties only the facts it names); each question is solved over one component with
``scipy.optimize.linprog`` (HiGHS). :meth:`System.interval` gives the tightest interval of
one fact; :meth:`System.witness` solves for many facts at once (every fact of a component
as low, or as high up to a cap, as possible together), which settles most cells with two
programs instead of two per cell. Results are cached on the model by the component's rows,
so a component untouched by a new hidden cell is never solved twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from kmc_analysis.core.disclosure_model import INF, Model, Relation

#: Imported by the functions that need them (kmc_analysis.stage_kernels warms them ahead).
IMPORTS_WHEN_USED = ("scipy.optimize",)


class System:
    """The relations of a model with shown facts substituted: linear programs per component."""

    def __init__(self, model: Model, shown: np.ndarray, bounds: Sequence[Relation] = ()):
        self.model, self.shown = model, shown
        values = np.nan_to_num(np.asarray(model.values, dtype=float), nan=0.0)
        relations = [*model.relations, *bounds]
        for fact, builder in model.conditional:
            if shown[fact]:
                relations.extend(builder(model.values[fact]))
        rows: list[tuple[dict[int, float], float, float]] = []
        parent = list(range(len(model.keys)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for rel in relations:
            known = sum(c * values[i] for i, c in rel.coefs.items() if shown[i])
            free = {i: c for i, c in rel.coefs.items() if not shown[i] and c != 0.0}
            if not free:
                continue
            rows.append((free, rel.lo - known, rel.hi - known))
            first = find(next(iter(free)))
            for i in free:
                root = find(i)
                if root != first:
                    parent[root] = first
        self.rows = rows
        self.component = [find(i) for i in range(len(model.keys))]
        self._by_component: dict[int, list[int]] = {}
        self._signatures: dict[int, tuple] = {}
        self._programs: dict[int, tuple] = {}
        for r, (free, _, _) in enumerate(rows):
            self._by_component.setdefault(self.component[next(iter(free))], []).append(r)

    def _floor(self, fact: int) -> float:
        return -INF if self.model.signed[fact] else 0.0

    def signature(self, fact: int) -> tuple:
        """The rows of a fact's component as a hashable value (same rows, same answers)."""
        component = self.component[fact]
        found = self._signatures.get(component)
        if found is None:
            found = tuple(sorted((tuple(sorted(self.rows[r][0].items())), round(self.rows[r][1], 9),
                                  round(self.rows[r][2], 9)) for r in self._by_component.get(component, [])))
            self._signatures[component] = found
        return found

    def _program(self, component: int) -> tuple:
        """The component's linear program: variables, their positions, inequality and equality rows, bounds."""
        found = self._programs.get(component)
        if found is not None:
            return found
        rows = self._by_component.get(component, [])
        variables = sorted({i for r in rows for i in self.rows[r][0]})
        position = {v: k for k, v in enumerate(variables)}
        a_ub, b_ub, a_eq, b_eq = [], [], [], []
        for r in rows:
            free, low, high = self.rows[r]
            line = np.zeros(len(variables))
            for i, c in free.items():
                line[position[i]] = c
            if low == high:
                a_eq.append(line)
                b_eq.append(high)
                continue
            if high < INF:
                a_ub.append(line)
                b_ub.append(high)
            if low > -INF:
                a_ub.append(-line)
                b_ub.append(-low)
        bounds = [(None if self.model.signed[v] else 0.0, None) for v in variables]
        found = (variables, position, a_ub, b_ub, a_eq, b_eq, bounds)
        self._programs[component] = found
        return found

    def interval(self, fact: int, sides: str = "both") -> tuple[float, float]:
        """The tightest interval of a fact given the shown ones (``sides``: ``both``, ``lo`` or ``hi``)."""
        if self.shown[fact]:
            value = self.model.values[fact]
            return value, value
        lo, hi = self._floor(fact), INF
        if not self._by_component.get(self.component[fact]):
            return lo, hi
        key = (self.signature(fact), fact)
        cached = self.model.solved.get(key + ("both",)) or self.model.solved.get(key + (sides,))
        if cached is not None:
            return cached
        variables, position, a_ub, b_ub, a_eq, b_eq, bounds = self._program(self.component[fact])
        objective = np.zeros(len(variables))
        objective[position[fact]] = 1.0
        if sides in ("both", "lo"):
            found = _solve(objective, a_ub, b_ub, a_eq, b_eq, bounds)
            lo = found[0] if found is not None else lo
        if sides in ("both", "hi"):
            found = _solve(-objective, a_ub, b_ub, a_eq, b_eq, bounds)
            hi = -found[0] if found is not None else hi
        self.model.solved[key + (sides,)] = (lo, hi)
        return lo, hi

    def witness(self, facts: Sequence[int], side: str, caps: Mapping[int, float] | None = None) -> dict[int, float]:
        """One point where the facts of one component are all as low (``lo``) or as high as their caps (``hi``).

        ``lo`` minimises their sum; ``hi`` maximises the sum of ``min(fact, cap)``. Returns
        each fact's value there (empty when the program fails): a fact at 0 (``lo``) or at
        its cap (``hi``) there is proven to reach it.
        """
        facts = [f for f in facts if not self.shown[f]]
        if not facts or not self._by_component.get(self.component[facts[0]]):
            return {f: (self._floor(f) if side == "lo" else INF) for f in facts}
        key = (self.signature(facts[0]), tuple(facts), side, tuple(sorted((caps or {}).items())))
        cached = self.model.solved.get(key)
        if cached is not None:
            return dict(cached)
        variables, position, a_ub, b_ub, a_eq, b_eq, bounds = self._program(self.component[facts[0]])
        n = len(variables)
        if side == "lo":
            objective = np.zeros(n)
            for f in facts:
                objective[position[f]] = 1.0
            found = _solve(objective, a_ub, b_ub, a_eq, b_eq, bounds)
            values = {f: float(found[1][position[f]]) for f in facts} if found is not None else {}
        else:  # y_f <= x_f, 0 <= y_f <= cap_f, maximise sum(y_f)
            extra = len(facts)
            objective = np.concatenate([np.zeros(n), -np.ones(extra)])
            widen = [np.concatenate([row, np.zeros(extra)]) for row in a_ub]
            for k, f in enumerate(facts):
                line = np.zeros(n + extra)
                line[n + k], line[position[f]] = 1.0, -1.0
                widen.append(line)
            found = _solve(objective, widen, list(b_ub) + [0.0] * extra,
                           [np.concatenate([row, np.zeros(extra)]) for row in a_eq], b_eq,
                           list(bounds) + [(0.0, (caps or {}).get(f, INF)) for f in facts])
            values = {f: float(found[1][n + k]) for k, f in enumerate(facts)} if found is not None else {}
        self.model.solved[key] = dict(values)
        return values


def _solve(objective, a_ub, b_ub, a_eq, b_eq, bounds) -> tuple[float, np.ndarray] | None:
    """Minimise ``objective . x`` with HiGHS: (value, x); value -inf when unbounded; None when infeasible."""
    from scipy.optimize import linprog

    result = linprog(objective, A_ub=np.array(a_ub) if len(a_ub) else None, b_ub=np.array(b_ub) if len(b_ub) else None,
                     A_eq=np.array(a_eq) if len(a_eq) else None, b_eq=np.array(b_eq) if len(b_eq) else None,
                     bounds=[(lo, None if hi is None or math.isinf(hi) else hi) for lo, hi in bounds], method="highs")
    if result.status == 3:  # unbounded
        return -INF, np.zeros(len(objective))
    if result.status != 0:
        return None
    return float(result.fun), np.asarray(result.x)
