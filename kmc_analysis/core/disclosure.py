"""Small-cell suppression for everything published under reports/.

Rule (CONTRACT section 3): a count of persons from 1 to ``min_cell - 1`` below city
level is shown as ``<min_cell`` (primary suppression). When a table also publishes a
total (a column total, a subtotal per group, or a total column within a row), one hidden
cell could be recovered by subtraction, so a second cell is hidden as well (secondary
suppression, shown as ``*``). Columns computed from a hidden count (per-1,000 rates,
value per person, capaian, predikat) are hidden with it (shown as ``*``).

Typical use::

    mask = suppression_mask(rekap_kelurahan, ["penerima_unik", "jumlah_penyaluran"], 5,
                            group_by="kode_kecamatan",
                            derived={"penerima_per_1000": "penerima_unik",
                                     "nilai_total": ["penerima_unik", "jumlah_penyaluran"]})
    shown = suppress_counts(rekap_kelurahan, ["penerima_unik", "jumlah_penyaluran"], 5, ...)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from kmc_analysis.core.formatting import MISSING_MARK, format_number

#: Codes in a suppression mask: why a cell is hidden ("" = shown).
SHOWN, PRIMARY, SECONDARY, DERIVED = "", "primary", "secondary", "derived"
#: What a secondary or derived cell shows instead of its value.
HIDDEN_MARK = "*"


def small_count_mask(counts: pd.Series, min_cell: int) -> pd.Series:
    """Flag person counts from 1 to ``min_cell - 1``: they must be shown as ``<min_cell``."""
    numeric = pd.to_numeric(counts, errors="coerce")
    return (numeric >= 1) & (numeric < min_cell)


def primary_mark(min_cell: int) -> str:
    """Return the text a primary-suppressed count shows, e.g. ``<5``."""
    return f"<{int(min_cell)}"


def as_name_list(value: str | Sequence[str] | None) -> list[str]:
    """Normalise a column name or a list of names to a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


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


def _default_formatter(series: pd.Series) -> Callable[[object], str]:
    """Choose a display formatter for a column: integers, two decimals, or text."""
    numeric = pd.to_numeric(series, errors="coerce")
    if series.notna().sum() and numeric.notna().sum() == series.notna().sum():
        finite = numeric.dropna()
        if (finite == finite.round()).all():
            return lambda v: format_number(v, 0)
        return lambda v: format_number(v, 2)
    return lambda v: MISSING_MARK if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)


def apply_mask(
    df: pd.DataFrame,
    mask: pd.DataFrame,
    min_cell: int,
    formatters: Mapping[str, Callable[[object], str]] | None = None,
) -> pd.DataFrame:
    """Turn every cell into display text, replacing hidden cells by ``<min_cell`` or ``*``."""
    formatters = dict(formatters or {})
    out = {}
    for col in df.columns:
        fmt = formatters.get(col) or _default_formatter(df[col])
        text = [fmt(v) for v in df[col].tolist()]
        if col in mask.columns:
            codes = mask[col].tolist()
            text = [t if code == SHOWN else primary_mark(min_cell) if code == PRIMARY else HIDDEN_MARK
                    for t, code in zip(text, codes)]
        out[col] = pd.Series(text, index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index)


def suppress_counts(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    min_cell: int,
    group_by: str | Sequence[str | Sequence[str]] | None = None,
    derived: Mapping[str, str | Sequence[str]] | None = None,
    row_totals: Mapping[str, Sequence[str]] | None = None,
    formatters: Mapping[str, Callable[[object], str]] | None = None,
    table_total: bool = True,
) -> pd.DataFrame:
    """Return ``df`` as display strings with small counts and what they reveal hidden.

    Primary cells show ``<min_cell``; secondary and derived cells show ``*``; numbers use
    Indonesian separators (override per column with ``formatters``). The arguments are
    those of :func:`suppression_mask`.
    """
    mask = suppression_mask(df, count_columns, min_cell, group_by=group_by, derived=derived,
                            row_totals=row_totals, table_total=table_total)
    return apply_mask(df, mask, min_cell, formatters)
