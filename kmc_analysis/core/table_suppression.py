"""Suppression of one table published on its own, by its group totals and row relations.

For a table outside the joint model of :mod:`kmc_analysis.core.suppression` (which covers
every table stage 2 publishes): today the kecamatan rows of ``ketepatan_sasaran`` (stage
3's targeting chapter), whose only published relations are the city row and each row's
own totals. A count of persons from 1 to ``min_cell - 1`` is primary; when exactly one cell
of a group with a published total, or of a row relation, is hidden, the smallest other
cell is hidden too (secondary), until nothing changes; derived columns follow their
sources. The marks are the rule table's (:mod:`kmc_analysis.core.disclosure`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import DERIVED, PRIMARY, SECONDARY, SHOWN, as_name_list, small_count_mask


def _groupings(df: pd.DataFrame, group_by, table_total: bool) -> list[np.ndarray]:
    """Return one array of group labels per grouping that has a published total.

    Subtotal groupings come first and the whole table last: protecting the small groups
    first usually protects the table total too, with fewer cells hidden.
    """
    out = []
    for grouping in as_name_list(group_by) if isinstance(group_by, str) else list(group_by or []):
        cols = as_name_list(grouping)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise KeyError(f"group_by column(s) not in table: {', '.join(missing)}")
        out.append(df[cols].astype(str).agg("\x1f".join, axis=1).to_numpy())
    if table_total:
        out.append(np.zeros(len(df), dtype=np.int64))
    return out


def _pick_complement(values: np.ndarray, candidates: np.ndarray) -> int | None:
    """Choose the cell to hide next: the smallest positive value, else the smallest (a zero).

    ``candidates`` are positions that may still be hidden; ties go to the first position.
    """
    cand = [int(i) for i in candidates if not math.isnan(values[i])]
    if not cand:
        return None
    positive = [i for i in cand if values[i] > 0]
    pool = positive or cand
    return min(pool, key=lambda i: (values[i], i))


def suppression_mask(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    min_cell: int,
    group_by: str | Sequence[str | Sequence[str]] | None = None,
    derived: Mapping[str, str | Sequence[str]] | None = None,
    row_totals: Mapping[str, Sequence[str]] | None = None,
    table_total: bool = True,
) -> pd.DataFrame:
    """Return, per cell, why it is hidden: ``""`` shown, ``primary``, ``secondary`` or ``derived``.

    Args:
        df: one row per area, program, OPD, ...; counts may be int, float or numeric text.
        count_columns: counts of persons. Values 1..min_cell-1 are hidden (primary).
        min_cell: smallest count that may be published; 1 or less disables suppression.
        group_by: column(s) whose groups have a published subtotal (e.g. ``kode_kecamatan``
            in the kelurahan table). Each entry is one grouping; a tuple/list entry is a
            composite key. If exactly one cell of a group is hidden, the next-smallest is
            hidden too (secondary), preferring positive values.
        derived: column -> source count column(s); hidden when any source cell is hidden.
        row_totals: total column -> part columns, for a row relation ``total = sum(parts)``
            (e.g. ``baris_dibaca = baris_diterima + baris_karantina``). If exactly one cell
            of the relation is hidden, another one is hidden; only cells of count columns
            and of the total column are ever chosen (other parts are treated as published).
        table_total: the column totals of the whole table are published (True for every
            table below city level, since the city figure is always reported).

    Returns:
        DataFrame with the same index and one column per count, total and derived column,
        holding the codes above. Iterates until the hidden set no longer grows, so chains
        across groupings and row relations are covered.
    """
    counts = as_name_list(count_columns)
    totals = {k: as_name_list(v) for k, v in (row_totals or {}).items()}
    derived = {k: as_name_list(v) for k, v in (derived or {}).items()}
    eligible = counts + [t for t in totals if t not in counts]
    involved = list(dict.fromkeys(eligible + [p for ps in totals.values() for p in ps]))
    for col in involved + [s for ss in derived.values() for s in ss] + list(derived):
        if col not in df.columns:
            raise KeyError(f"column not in table: {col}")

    n = len(df)
    values = {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in involved}
    state = {c: np.full(n, SHOWN, dtype=object) for c in involved}
    if min_cell > 1:
        for c in counts:
            state[c][small_count_mask(df[c], min_cell).to_numpy(dtype=bool, na_value=False)] = PRIMARY

        groupings = _groupings(df, group_by, table_total)
        changed = True
        while changed:
            changed = False
            for labels in groupings:
                for c in eligible:
                    hidden = state[c] != SHOWN
                    if not hidden.any():
                        continue
                    for label in pd.unique(labels[hidden]):
                        members = np.flatnonzero(labels == label)
                        if len(members) < 2 or hidden[members].sum() != 1:
                            continue
                        pick = _pick_complement(values[c], members[~hidden[members]])
                        if pick is not None:
                            state[c][pick] = SECONDARY
                            hidden[pick] = True
                            changed = True
            for total, parts in totals.items():
                relation = [total] + parts
                for i in range(n):
                    hidden = [c for c in relation if state[c][i] != SHOWN]
                    if len(hidden) != 1:
                        continue
                    options = [c for c in relation if c in eligible and c not in hidden
                               and not math.isnan(values[c][i])]
                    if not options:
                        continue
                    positive = [c for c in options if values[c][i] > 0]
                    pick = min(positive or options, key=lambda c: (values[c][i], relation.index(c)))
                    state[pick][i] = SECONDARY
                    changed = True

    out = pd.DataFrame({c: state[c] for c in involved}, index=df.index)
    for col, sources in derived.items():
        base = out[col] if col in out else pd.Series(SHOWN, index=df.index, dtype=object)
        hit = np.zeros(n, dtype=bool)
        for s in sources:
            if s in out:
                hit |= (out[s] != SHOWN).to_numpy()
        out[col] = np.where((base == SHOWN).to_numpy() & hit, DERIVED, base.to_numpy())
    return out.astype(object)
