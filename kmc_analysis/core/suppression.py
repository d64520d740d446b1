"""Choose the cells to hide: small counts (primary) and the fewest, smallest others that protect them.

Primary suppression hides every unit below city level with 1 to ``min_cell - 1`` persons.
Secondary suppression is driven by the audit itself (:mod:`kmc_analysis.core.disclosure_audit`):
while a primary cell can still be narrowed, the units sharing a relation with it (directly,
or through cells already hidden) are tried smallest first, and the first whose hiding
protects it is hidden (else the one that helps most). Every relation of the model counts:
totals of kelurahan within kecamatan within the city, kategori within kelurahan, rates with
their population, persons by number of programs, last month's figures. The rows of persons by
number of programs are then checked in whole numbers as well
(:mod:`kmc_analysis.core.overlap_integers`), and more of them hidden while a small one is
narrowed. The outcome is a :class:`~kmc_analysis.core.disclosure.Penyamaran`; the same audits
then check the tables as published.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from kmc_analysis.core.disclosure import LEVELS, PRIMARY, RULES, SECONDARY, THIS_MONTH, Penyamaran, Unit
from kmc_analysis.core.disclosure_audit import Protection
from kmc_analysis.core.disclosure_model import U, Model, build_model
from kmc_analysis.core.overlap_integers import OverlapRow, narrowed_rows, programs_paid

#: How many candidate complements are tried for one cell before taking the most helpful one.
CANDIDATES_TRIED = 12
#: Finer levels first when two candidates are equally small.
_LEVEL_ORDER = {"kategori_kelurahan": 0, "kelurahan": 1, "kombinasi": 2, "jumlah_bantuan": 3, "kecamatan": 4}


def _below_city(unit: Unit) -> bool:
    return LEVELS.get(unit[0], ("", False))[1]


def primary_units(model: Model, min_cell: int) -> dict[int, Unit]:
    """The persons fact of every unit below city level holding 1 to min_cell - 1 persons."""
    found = {}
    for i, (key, owner, value) in enumerate(zip(model.keys, model.owner, model.values)):
        if key[0] == U and owner is not None and owner[0] != "kecamatan_saja" and _below_city(owner) \
                and 1 <= value < min_cell:
            found[i] = owner
    return found


class _Neighbours:
    """Which units share a relation, with unpublished facts as connectors (the kecamatan-only rest)."""

    def __init__(self, model: Model):
        self.model = model
        self.links: dict[object, set[object]] = {}
        for rel in model.relations:
            nodes = set()
            for i in rel.coefs:
                units = model.units[i]
                if units is None:
                    nodes.add(("aux", model.keys[i][1:]))
                else:
                    nodes.update(u for u in units if _below_city(u))
            for a in nodes:
                self.links.setdefault(a, set()).update(nodes - {a})

    def candidates(self, start: Unit, hidden: set[Unit]) -> list[Unit]:
        """Shown units next to ``start`` or to the hidden region around it."""
        seen, frontier, found = {start}, [start], set()
        while frontier:
            node = frontier.pop()
            for other in self.links.get(node, ()):
                if other in seen:
                    continue
                seen.add(other)
                if isinstance(other, tuple) and other and other[0] == "aux" or other in hidden:
                    frontier.append(other)
                else:
                    found.add(other)
        return list(found)


def _size(model: Model, unit: Unit) -> float:
    i = model.get(U, *unit)
    value = model.values[i] if i is not None else math.nan
    return math.inf if math.isnan(value) else value


def choose_hidden(model: Model, min_cell: int, forced: Iterable[Unit] = ()) -> dict[Unit, str]:
    """Hidden units and why: every primary unit, ``forced`` ones, and complements until all are protected.

    A cell that cannot be protected by hiding more (its city-level figures give it away)
    is left to the audit's caps; the loop ends when no failing cell can be helped.
    """
    if min_cell <= 1:
        return {}
    primary = primary_units(model, min_cell)
    hidden: dict[Unit, str] = {u: PRIMARY for u in primary.values()}
    for unit in [*forced, *_largest_row_beside_small_ones(model, hidden)]:
        hidden.setdefault(unit, SECONDARY)
    protection = Protection(model, min_cell)
    neighbours = _Neighbours(model)
    order = sorted(primary, key=lambda f: (-_LEVEL_ORDER.get(primary[f][0], 9), primary[f]))
    stuck: set[int] = set()
    while True:
        system = protection.system(model.shown_for(set(hidden)))
        found = protection.failing(system, [f for f in order if f not in stuck])
        failing = [f for f in order if f in found]
        if not failing:
            return hidden
        for fact in failing:
            system = protection.system(model.shown_for(set(hidden)))
            sides = protection.failing_sides(system, fact)
            if not sides:
                continue
            pick = _best_complement(model, protection, neighbours, fact, primary[fact], set(hidden), sides)
            if pick is None:
                stuck.add(fact)
            else:
                hidden[pick] = SECONDARY


def _largest_row_beside_small_ones(model: Model, hidden: Mapping[Unit, str]) -> list[Unit]:
    """The largest shown row of persons by number of programs, when another row is small.

    Those rows partition the city's persons, which are published: with the largest row shown,
    a subtraction gives the small rows' sum. The audit may not ask for more, because the city's
    persons and rows with the rows' marks can pin small rows however much is hidden, so the
    complement is chosen here: subtraction alone must never be enough.
    """
    rows = [(model.values[i], owner) for i, (key, owner) in enumerate(zip(model.keys, model.owner))
            if key[0] == U and key[1] == "jumlah_bantuan" and key[3] == THIS_MONTH and owner is not None]
    if not any(hidden.get(owner) == PRIMARY for _, owner in rows):
        return []
    shown = [(value, owner) for value, owner in rows if owner not in hidden and value > 0]
    return [max(shown)[1]] if shown else []


def _best_complement(model: Model, protection: Protection, neighbours: _Neighbours, fact: int, unit: Unit,
                     hidden: set[Unit], sides: list[str]) -> Unit | None:
    """The smallest neighbouring unit whose hiding protects ``fact``, else the one helping most."""
    # never a unit of nobody: zeros are shown, so a `*` reads as min_cell or more (Model.mark_bounds)
    options = [c for c in neighbours.candidates(unit, hidden)
               if _below_city(c) and c not in hidden and _size(model, c) != 0]
    if not options:
        return None
    options.sort(key=lambda c: (_size(model, c), _LEVEL_ORDER.get(c[0], 9), c))
    before = protection.reach(protection.system(model.shown_for(hidden)), fact, sides)
    best, best_room = None, before
    for option in options[:CANDIDATES_TRIED]:
        trial = protection.system(model.shown_for(hidden | {option}))
        if not protection.failing_sides(trial, fact):
            return option
        room = protection.reach(trial, fact, sides)
        if room > best_room + 1e-9:
            best, best_room = option, room
    return best if best is not None else options[0]


def suppress(
    frames: Mapping[str, pd.DataFrame],
    kota: Mapping[str, Mapping[str, float | None]],
    knowledge: Mapping,
    min_cell: int,
    forced: Iterable[Unit] = (),
    secondary: bool = True,
    constant_tables: Iterable[str] = (),
) -> Penyamaran:
    """Decide which units of a publication to hide; ``secondary=False`` hides small counts only.

    The arguments are :func:`~kmc_analysis.core.disclosure_model.build_model`'s, with the
    true values. ``forced`` units are hidden whatever their size (last month's hidden cells,
    shown again in this month's change table). ``secondary=False`` exists to test the audit
    on a publication built to leak. ``constant_tables`` are taken as published in any case.
    """
    model = build_model(frames, kota, knowledge, constant_tables=constant_tables)
    if secondary:
        hidden = choose_hidden(model, min_cell, forced)
        _hide_while_whole_numbers_narrow(frames.get("rekap_tumpang_tindih"), kota, knowledge, min_cell, hidden)
    else:
        hidden = {u: PRIMARY for u in primary_units(model, min_cell).values()} if min_cell > 1 else {}
    return Penyamaran(int(min_cell), hidden, dict(knowledge))


def overlap_rows(overlap, hidden: Mapping[Unit, str]) -> list[OverlapRow]:
    """The overlap table's rows as published under ``hidden``: counts of shown rows, marks of hidden ones."""
    level = RULES["rekap_tumpang_tindih"].level
    rows = []
    for label, persons in zip(overlap["jumlah_bantuan"].astype(str), overlap["penerima"]):
        state = hidden.get((level, label, THIS_MONTH))
        rows.append(OverlapRow(label, None if state else int(persons), small=state == PRIMARY))
    return rows


def _hide_while_whole_numbers_narrow(overlap, kota: Mapping, knowledge: Mapping, min_cell: int,
                                     hidden: dict[Unit, str]) -> None:
    """Hide shown rows of persons by number of programs while whole numbers narrow a small one.

    The smallest row whose hiding ends the narrowing is taken, else the smallest; with every
    row hidden only the city's own figures are left, which the check accepts.
    """
    city = kota.get(THIS_MONTH, {})
    persons, city_rows = city.get("penerima_unik"), city.get("jumlah_penyaluran")
    if overlap is None or not len(overlap) or persons is None or city_rows is None or min_cell <= 1:
        return
    most = programs_paid(knowledge)
    level = RULES["rekap_tumpang_tindih"].level

    def narrowed(trial: Mapping[Unit, str]) -> bool:
        return bool(narrowed_rows(overlap_rows(overlap, trial), int(persons), int(city_rows), most, min_cell))

    while narrowed(hidden):
        shown = sorted((int(n), (level, str(label), THIS_MONTH))
                       for label, n in zip(overlap["jumlah_bantuan"], overlap["penerima"])
                       if (level, str(label), THIS_MONTH) not in hidden and int(n) > 0)
        if not shown:
            return
        pick = next((unit for _, unit in shown if not narrowed({**hidden, unit: SECONDARY})), shown[0][1])
        hidden[pick] = SECONDARY
