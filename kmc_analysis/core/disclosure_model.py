"""The linear relations an attacker knows between the numbers one run publishes.

Every published number is a *fact*: a measure of a unit (``penerima_unik`` of kelurahan
``18.72.01.1001`` this month). Two tables showing the same measure of the same unit show
one fact. A fact is either shown (a constant) or hidden (an unknown >= 0). The marks are
public rules and an attacker reads them: a person count shown as ``<N`` is 1 to N - 1, one
shown as ``*`` is at least N (zeros are shown as they are); :meth:`Model.mark_bounds` adds
that. Relations between facts come from how the figures are made (CONTRACT section 3 and
:mod:`kmc_analysis.coverage.rekap`):

- rows (``jumlah_penyaluran``) and Rupiah (``nilai_total``) add up: the city is the sum of
  its kecamatan; a kecamatan is the sum of its kelurahan plus the rows that give only a
  kecamatan (an unknown >= 0); a kelurahan is the sum of its kategori;
- persons (``penerima_unik``) do not add up (one person can be in two areas): a whole is at
  most the sum of its parts (plus the kecamatan-only persons) and at least each part; the
  persons by number of programs partition the city exactly, and persons times that number
  add up to the city's rows;
- within a unit: persons <= rows <= persons x the most programs one person holds, and
  rows x the smallest nominal <= value <= rows x the largest nominal;
- a rate per 1,000 with a published population, a share of a published total, a mean, a
  difference or a percentage change pins its sources up to its rounding
  (:data:`~kmc_analysis.core.disclosure.RULES` says which column is which).

:func:`build_model` turns tables (numbers, NaN where unknown) into a :class:`Model`;
:meth:`Model.compile` fixes which facts are shown (:mod:`kmc_analysis.core.disclosure_lp`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import (
    CHANGE,
    DIFFERENCE,
    LAST_MONTH,
    LEVELS,
    MEAN,
    RATE,
    RULES,
    SHARE,
    THIS_MONTH,
    TableRule,
    Unit,
    unit_codes,
)
from kmc_analysis.core.overlap_publication import overlap_size

#: A fact: (measure, level, code, month).
FactKey = tuple[str, str, str, str]
INF = math.inf

U, J, V = "penerima_unik", "jumlah_penyaluran", "nilai_total"
#: The unit standing for the rows and persons that give only a kecamatan (never published).
KECAMATAN_ONLY = "kecamatan_saja"


@dataclass
class Relation:
    """``lo <= sum(coef x fact) <= hi`` over fact indices."""

    coefs: dict[int, float]
    lo: float
    hi: float


@dataclass
class Model:
    """Facts (values, the units hiding them) and the relations between them."""

    keys: list[FactKey] = field(default_factory=list)
    index: dict[FactKey, int] = field(default_factory=dict)
    values: list[float] = field(default_factory=list)
    units: list[tuple[Unit, ...] | None] = field(default_factory=list)  # None: never published
    #: The unit whose count a fact is (a rate or a hidden count of a kategori cell belongs to its cell).
    owner: list[Unit | None] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)  # may be negative (differences)
    relations: list[Relation] = field(default_factory=list)
    #: Relations known only while a derived fact is shown: (fact, builder(value) -> relations).
    conditional: list[tuple[int, object]] = field(default_factory=list)
    #: Facts shown in the published tables (for an audit of what was published).
    displayed: set[int] = field(default_factory=set)
    #: Facts published as ``<N`` (for an audit of what was published).
    marked_primary: set[int] = field(default_factory=set)
    #: Where each fact is shown: (table key, unit code, column).
    cells: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    #: Solved intervals by (component's rows, fact, sides): unchanged components are not solved again.
    solved: dict[tuple, tuple[float, float]] = field(default_factory=dict)

    def fact(self, key: FactKey, value: float = math.nan, units: tuple[Unit, ...] | None = None,
             signed: bool = False) -> int:
        """Index of a fact, registering it (or filling in a value it lacked).

        ``units``: the units whose hiding hides the fact (``()`` a constant, None never
        published). The fact's owner is the unit its key names.
        """
        found = self.index.get(key)
        if found is not None:
            if math.isnan(self.values[found]) and not math.isnan(value):
                self.values[found] = value
            return found
        self.index[key] = len(self.keys)
        self.keys.append(key)
        self.values.append(float(value))
        self.units.append(units)
        self.owner.append(tuple(key[1:]) if key[1] not in ("kota", "program") else None)
        self.signed.append(signed)
        return len(self.keys) - 1

    def get(self, measure: str, level: str, code: str, month: str = THIS_MONTH) -> int | None:
        """Index of a fact if the model has it."""
        return self.index.get((measure, level, str(code), month))

    def relate(self, coefs: Mapping[int | None, float], lo: float = -INF, hi: float = INF) -> None:
        """Add ``lo <= sum(coef x fact) <= hi``; skipped when a fact is missing (None)."""
        if None in coefs or not coefs:
            return
        merged: dict[int, float] = {}
        for i, c in coefs.items():
            merged[i] = merged.get(i, 0.0) + float(c)
        self.relations.append(Relation(merged, lo, hi))

    def shown_for(self, hidden: set[Unit]) -> np.ndarray:
        """Which facts are shown when ``hidden`` units are hidden (constants always, aux never)."""
        return np.array([u is not None and not any(x in hidden for x in u) and not math.isnan(v)
                         for u, v in zip(self.units, self.values)], dtype=bool)

    def shown_as_published(self) -> np.ndarray:
        """Which facts the published tables show (for the audit)."""
        shown = np.zeros(len(self.keys), dtype=bool)
        for i, (u, v) in enumerate(zip(self.units, self.values)):
            shown[i] = not math.isnan(v) and (u == () or i in self.displayed)
        return shown

    def has_mark(self, fact: int) -> bool:
        """Whether a hidden fact shows as a mark (``<N`` or ``*``): a published person count below city level.

        Last month's too: the change table shows them with the same marks.
        """
        key, owner, units = self.keys[fact], self.owner[fact], self.units[fact]
        return key[0] == U and bool(units) and owner is not None and LEVELS.get(owner[0], ("", False))[1]

    def mark_bounds(self, shown: np.ndarray, min_cell: int) -> list[Relation]:
        """What the marks of hidden person counts tell: ``<N`` is 1 to N - 1, ``*`` at least N.

        Zeros are shown and 1 to ``min_cell - 1`` persons are ``<N``, so an attacker reads a
        ``*`` count as ``min_cell`` or more. With true values (choosing what to
        hide) each hidden count gets its own mark's range (none for a zero, which is never a
        complement); from a publication (:attr:`marked_primary` set) a hidden count without
        ``<N`` is a ``*``.
        """
        if min_cell <= 1:
            return []
        from_publication = bool(self.marked_primary)
        bounds = []
        for i, value in enumerate(self.values):
            if shown[i] or not self.has_mark(i):
                continue
            if i in self.marked_primary or 1 <= value < min_cell:
                bounds.append(Relation({i: 1.0}, 1.0, float(min_cell - 1)))
            elif value >= min_cell or (from_publication and math.isnan(value)):
                bounds.append(Relation({i: 1.0}, float(min_cell), INF))
        return bounds

    def compile(self, shown: np.ndarray, min_cell: int = 0):
        """The linear system over the unknown facts when ``shown`` facts are constants.

        With ``min_cell`` the marks of the hidden person counts bound them too (:meth:`mark_bounds`).
        """
        from kmc_analysis.core.disclosure_lp import System

        return System(self, shown, self.mark_bounds(shown, min_cell))


# --- building a model from tables -------------------------------------------------------------


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _half_unit(decimals: int | None) -> float:
    return 0.0 if decimals is None else 0.5 * 10.0 ** (-decimals)


def _register_table(model: Model, key: str, frame: pd.DataFrame, shown: pd.DataFrame | None,
                    primary: pd.DataFrame | None, constant: bool = False) -> None:
    """Add every measure cell of one table as a fact, and the relations its columns state.

    ``constant``: the table's figures are published whatever happens (totals assumed known).
    """
    rule = RULES[key]
    codes = unit_codes(frame, rule).tolist()
    published = set(rule.measure_columns(rule.shown_columns or frame.columns))
    for name in rule.measure_columns(frame.columns):
        col = rule.column(name)
        values = [_number(v) for v in frame[name].tolist()]
        for r, code in enumerate(codes):
            months = {col.month} | {rule.column(s).month for s in col.of if s in frame.columns}
            units = tuple((rule.level, code, m) for m in sorted(months))
            signed = col.kind in (DIFFERENCE, CHANGE)
            i = model.fact((col.measure or name, rule.level, code, col.month), values[r],
                           () if constant else units if name in published else None, signed)
            if shown is not None and name in shown and bool(shown[name].iloc[r]):
                model.displayed.add(i)
            if primary is not None and name in primary and bool(primary[name].iloc[r]):
                model.marked_primary.add(i)
            if i not in model.cells or (i in model.marked_primary and name in published):
                model.cells[i] = (key, code, name)
    for name in rule.measure_columns(frame.columns):
        _column_relations(model, rule, frame, codes, name)


def _column_relations(model: Model, rule: TableRule, frame: pd.DataFrame, codes: list[str], name: str) -> None:
    """The relation a derived column states with its sources, row by row."""
    col = rule.column(name)
    if col.kind not in (RATE, SHARE, MEAN, DIFFERENCE, CHANGE):
        return
    h = _half_unit(col.decimals)
    for r, code in enumerate(codes):
        me = model.get(col.measure or name, rule.level, code, col.month)
        src = [model.get(rule.column(s).measure or s, rule.level, code, rule.column(s).month)
               if s in frame.columns else None for s in col.of]
        if me is None or None in src:
            continue
        if col.kind == RATE:
            pop = _number(frame[col.per].iloc[r]) if col.per in frame.columns else math.nan
            if pop > 0:
                model.relate({src[0]: col.scale / pop, me: -1.0}, -h, h)
        elif col.kind == SHARE and not col.per:
            total = model.get(rule.column(col.of[0]).measure, "kota", "", col.month)
            if total is not None and not math.isnan(model.values[total]) and model.values[total] > 0:
                model.relate({src[0]: col.scale / model.values[total], me: -1.0}, -h, h)
        elif col.kind == DIFFERENCE:
            model.relate({me: 1.0, src[0]: -1.0, src[1]: 1.0}, 0.0, 0.0)
        else:  # a ratio of two facts (share with its own denominator, mean, change): known once shown
            num, den = (src[0], model.get(rule.column(col.per).measure or col.per, rule.level, code, col.month)) \
                if col.kind == SHARE else (src[0], src[1])
            if den is None:
                continue
            scale = col.scale if col.kind in (SHARE, CHANGE) else 1.0
            model.conditional.append((me, _ratio_bounds(num, den, scale, h)))


def _ratio_bounds(num: int, den: int, scale: float, h: float):
    """Relations of ``shown = round(scale x num / den)``: linear once the shown value is known."""
    def build(value: float) -> list[Relation]:
        return [Relation({num: scale, den: -(value + h)}, -INF, 0.0),
                Relation({num: scale, den: -(value - h)}, 0.0, INF)]
    return build


def _unit_relations(model: Model, knowledge: Mapping) -> None:
    """Persons, rows and value of one unit bound each other (and program counts bound rows)."""
    most = float(knowledge.get("jumlah_bantuan_maks") or knowledge.get("program_tersalur")
                 or knowledge.get("program_katalog") or 1)
    low, high = knowledge.get("nominal_min"), knowledge.get("nominal_max")
    low_prev, high_prev = knowledge.get("nominal_min_lalu"), knowledge.get("nominal_max_lalu")
    units = {(lvl, code, month) for (_, lvl, code, month) in model.keys if lvl != "kota"}
    catalogue = float(knowledge.get("program_katalog") or most)
    paid = float(knowledge.get("program_tersalur") or catalogue)  # no one holds more programs than were paid
    for level, code, month in units:
        u, j, v = (model.get(m, level, code, month) for m in (U, J, V))
        p = model.get("program_aktif", level, code, month)
        n_lo, n_hi = (low, high) if month == THIS_MONTH else (low_prev, high_prev)
        if level == "jumlah_bantuan":
            s, or_more = overlap_size(code)
            if u is not None and v is not None and n_lo is not None:
                model.relate({v: 1.0, u: -s * n_lo}, 0.0)
                model.relate({v: 1.0, u: -(paid if or_more else s) * n_hi}, hi=0.0)
            continue
        if u is not None and j is not None:
            model.relate({j: 1.0, u: -1.0}, 0.0)
            model.relate({j: 1.0, u: -(most if month == THIS_MONTH else catalogue)}, hi=0.0)
        if j is not None and v is not None and n_lo is not None:
            model.relate({v: 1.0, j: -n_lo}, 0.0)
            model.relate({v: 1.0, j: -n_hi}, hi=0.0)
        elif u is not None and v is not None and n_lo is not None:
            model.relate({v: 1.0, u: -n_lo}, 0.0)
            model.relate({v: 1.0, u: -n_hi * (most if month == THIS_MONTH else catalogue)}, hi=0.0)
        if p is not None and j is not None:
            model.relate({j: 1.0, p: -1.0}, 0.0)


def _whole_and_parts(model: Model, whole: tuple[str, str, str], parts: Iterable[tuple[str, str, str]],
                     rest: tuple[str, str, str] | None, measures: Iterable[str], exact_persons: bool = False) -> None:
    """Relations of a whole and its parts (plus an unpublished rest) for each measure."""
    parts = list(parts)
    for measure in measures:
        w = model.get(measure, *whole)
        ps = [model.get(measure, *p) for p in parts]
        ps = [p for p in ps if p is not None]
        if w is None or not ps:
            continue
        coefs: dict[int | None, float] = {w: 1.0}
        for p in ps:
            coefs[p] = coefs.get(p, 0.0) - 1.0
        if rest is not None:
            r = model.fact((measure, *rest), units=None)
            coefs[r] = -1.0
            if measure == U:
                model.relate({w: 1.0, r: -1.0}, 0.0)
        if measure == U and not exact_persons:
            model.relate(coefs, hi=0.0)  # a whole counts each person once: at most the sum
            for p in ps:
                model.relate({w: 1.0, p: -1.0}, 0.0)  # and at least each part
        else:
            model.relate(coefs, 0.0, 0.0)


def _hierarchy(model: Model, frames: Mapping[str, pd.DataFrame], knowledge: Mapping) -> None:
    """Kota > kecamatan > kelurahan > kategori x kelurahan, and the city's persons by number of programs."""
    for month in (THIS_MONTH, LAST_MONTH):
        kec = sorted({code for (_, lvl, code, m) in model.keys if lvl == "kecamatan" and m == month})
        _whole_and_parts(model, ("kota", "", month), [("kecamatan", k, month) for k in kec], None, (U, J, V))
    kel = frames.get("rekap_kelurahan")
    if kel is not None and "kode_kecamatan" in kel:
        pairs = kel[["kode_kecamatan", "kode_kelurahan"]].astype(str)
        for k, group in pairs.groupby("kode_kecamatan", sort=True):
            children = [("kelurahan", c, THIS_MONTH) for c in group["kode_kelurahan"]]
            _whole_and_parts(model, ("kecamatan", k, THIS_MONTH), children, (KECAMATAN_ONLY, k, THIS_MONTH),
                             (U, J, V))
    cat = frames.get("rekap_kategori_kelurahan")
    if cat is not None:
        codes = unit_codes(cat, RULES["rekap_kategori_kelurahan"]).tolist()
        by_kel: dict[str, list[str]] = {}
        for code, kelurahan in zip(codes, cat["kode_kelurahan"].astype(str)):
            by_kel.setdefault(kelurahan, []).append(code)
        for kelurahan, children in by_kel.items():
            _whole_and_parts(model, ("kelurahan", kelurahan, THIS_MONTH),
                             [("kategori_kelurahan", c, THIS_MONTH) for c in children], None, (U, J, V))
    _overlap(model, frames, knowledge)


def _overlap(model: Model, frames: Mapping[str, pd.DataFrame], knowledge: Mapping) -> None:
    """Persons by number of programs partition the city; combinations lie within them, in order."""
    sizes = sorted({code for (_, lvl, code, _) in model.keys if lvl == "jumlah_bantuan"}, key=overlap_size)
    parts = [("jumlah_bantuan", size, THIS_MONTH) for size in sizes]
    _whole_and_parts(model, ("kota", "", THIS_MONTH), parts, None, (U, V), exact_persons=True)
    # Each person's rows are his programs (a second row of one program is quarantined): the city's
    # rows are the persons times their number of programs, at least k each in a "k atau lebih" row.
    rows = {model.get(U, *p): overlap_size(p[1]) for p in parts}
    kota_rows = model.get(J, "kota", "", THIS_MONTH)
    if sizes and kota_rows is not None and None not in rows:
        joined = any(or_more for _, or_more in rows.values())
        model.relate({kota_rows: 1.0, **{i: -s for i, (s, _) in rows.items()}}, 0.0, INF if joined else 0.0)
        if joined:
            most = float(knowledge.get("program_tersalur") or knowledge.get("program_katalog")
                         or max(s for s, _ in rows.values()))
            model.relate({kota_rows: 1.0, **{i: -(most if or_more else s) for i, (s, or_more) in rows.items()}},
                         hi=0.0)
    combos = frames.get("kombinasi_program")
    if combos is None or not len(combos):
        return
    codes = unit_codes(combos, RULES["kombinasi_program"]).tolist()
    facts = [model.get(U, "kombinasi", c, THIS_MONTH) for c in codes]
    for a, b in zip(facts, facts[1:]):  # the table is sorted by persons, largest first
        model.relate({a: 1.0, b: -1.0}, 0.0)
    complete = bool(knowledge.get("kombinasi_lengkap"))
    held = combos["jumlah_bantuan"].astype(int).tolist()
    for size in sizes:
        s, or_more = overlap_size(size)
        members = [f for f, n in zip(facts, held) if n == s or (or_more and n > s)]
        if not members:
            continue
        coefs: dict[int | None, float] = {model.get(U, "jumlah_bantuan", size, THIS_MONTH): 1.0,
                                          **{m: -1.0 for m in members}}
        model.relate(coefs, 0.0, 0.0 if complete else INF)
    for fact, code in zip(facts, codes):
        for program in code.split("+"):
            cap = model.get(U, "program", program.strip(), THIS_MONTH)
            if cap is not None:
                model.relate({fact: 1.0, cap: -1.0}, hi=0.0)


def _program_facts(model: Model, frames: Mapping[str, pd.DataFrame]) -> dict[str, list[int]]:
    """The city's program counts (published in full), as constants, grouped by kategori."""
    programs = frames.get("rekap_program")
    by_kategori: dict[str, list[int]] = {}
    if programs is None:
        return by_kategori
    for code, kategori, count in zip(programs["kode_bantuan"].astype(str), programs["kategori"].astype(str),
                                     programs["penerima_unik"]):
        i = model.fact((U, "program", code, THIS_MONTH), _number(count), ())
        by_kategori.setdefault(kategori, []).append(i)
    return by_kategori


def _kategori_caps(model: Model, by_kategori: Mapping[str, list[int]]) -> None:
    """A kategori's persons in a kelurahan are at most the sum of its programs' persons in the city."""
    for (measure, level, code, _), i in list(model.index.items()):
        if level == "kategori_kelurahan" and measure == U:
            members = by_kategori.get(code.split("|")[0], [])
            if members:
                model.relate({i: 1.0, **{m: -1.0 for m in members}}, hi=0.0)


def build_model(frames: Mapping[str, pd.DataFrame], kota: Mapping[str, Mapping[str, float | None]],
                knowledge: Mapping, shown: Mapping[str, pd.DataFrame] | None = None,
                primary: Mapping[str, pd.DataFrame] | None = None, constant_tables: Iterable[str] = ()) -> Model:
    """Build the facts and relations of a publication.

    Args:
        frames: rule key -> table (unit columns, measure columns as numbers; NaN where a
            number is not known, e.g. hidden in a published table). ``rekap_program`` gives
            the city's program counts.
        kota: month (``ini``/``lalu``) -> the city's published figures (penerima_unik,
            jumlah_penyaluran, nilai_total, penduduk); a missing figure is unknown.
        knowledge: public facts assumed known (nominal_min/max and *_lalu for last month,
            jumlah_bantuan_maks, program_katalog; ``kombinasi_lengkap``: the combinations
            table lists every combination).
        shown, primary: for an audit of published tables, per table which cells show a
            number and which show ``<N``.
        constant_tables: tables whose figures are taken as published in any case (the
            totals of a table shown on its own).
    """
    model = Model()
    for month, figures in kota.items():
        for measure, value in (figures or {}).items():
            if value is not None and not math.isnan(_number(value)):
                model.fact((measure, "kota", "", month), _number(value), ())
    by_kategori = _program_facts(model, frames)
    for key in MODELLED_TABLES:
        frame = frames.get(key)
        if frame is not None:
            _register_table(model, key, frame, (shown or {}).get(key), (primary or {}).get(key),
                            key in set(constant_tables))
    _hierarchy(model, frames, knowledge)
    _unit_relations(model, knowledge)
    _kategori_caps(model, by_kategori)
    return model


#: Tables whose cells are facts of the model; every other published table is city level, in full.
MODELLED_TABLES = ("rekap_kecamatan", "rekap_kelurahan", "rekap_kategori_kelurahan", "perubahan_kecamatan",
                   "rekap_tumpang_tindih", "kombinasi_program")
