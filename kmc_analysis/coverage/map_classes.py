"""Colour classes of the coverage maps: which areas are hatched, rounded breaks for the others.

Kota Metro has 5 kecamatan and 22 kelurahan, and their population figures are estimates:
a difference of a few percent between two rates is noise, not a finding. So:

- when every drawable value lies within ``CLOSE_SHARE`` (5 %) of the largest, the map has
  one class;
- otherwise the breaks are natural breaks (Fisher-Jenks: least squared deviation within
  classes, computed here on the few values a map has) placed only in gaps of more than
  5 % between neighbouring values, so two areas that close never differ in colour; only
  values with no such gap at all (a dense spread) are split at their largest gaps;
- each break is the roundest number in its gap (15, 2,5, 120), and the legend reads
  ``< 15``, ``15 – < 20``, ``≥ 20`` in Indonesian number style.

No scikit-learn or mapclassify is imported: a kernel that draws no map stays light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colormaps

from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.disclosure import Penyamaran
from kmc_analysis.coverage.display import hidden_rates

#: Values closer than this share of the larger one are never put in different classes.
CLOSE_SHARE = 0.05
CMAP = "YlGnBu"


@dataclass(frozen=True)
class Classes:
    """A classification of the drawable values: class per area, a label per class, the breaks."""

    klass: pd.Series  # class number per area, -1 where hatched (no data or suppressed)
    labels: list[str]
    method: str  # how the classes were made, in Bahasa Indonesia
    breaks: list[float]  # the k - 1 break values (a value equal to a break goes to the upper class)


def area_states(areas: gpd.GeoDataFrame, rekap: pd.DataFrame, kind: str, min_cell: int,
                penyamaran: Penyamaran | None = None) -> tuple[pd.Series, pd.Series]:
    """Which areas are suppressed and which have no value to draw, aligned on ``areas``.

    Suppression is the published tables' (display.hidden_rates): a count of 1 to
    min_cell - 1 persons, and any other area whose rate would let it be recomputed.
    """
    key = "kode_kecamatan" if kind == "kecamatan" else "kode_kelurahan"
    hidden = hidden_rates(rekap, kind, min_cell, penyamaran)
    hidden_codes = set(rekap.loc[hidden.to_numpy(), key])
    suppressed = pd.Series(areas[key].isin(hidden_codes).to_numpy(), index=areas.index)
    no_data = areas["penerima_per_1000"].isna() & ~suppressed
    return suppressed, no_data


def class_count(n_areas: int) -> int:
    """Number of classes suited to a map of ``n_areas``: 3 for the 5 kecamatan, 5 for 22 kelurahan."""
    if n_areas <= 6:
        return 3
    if n_areas <= 12:
        return 4
    return 5


def value_decimals(values: pd.Series) -> int:
    """Decimals to print rates with: 1, or 2 when the values lie within a narrow range."""
    values = values.dropna()
    return 1 if len(values) and values.max() - values.min() >= 5 else 2


def roundest_between(low: float, high: float) -> float:
    """The roundest number ``b`` with ``low < b <= high`` (fewest significant digits, 5s before others)."""
    span = high - low
    if span <= 0:
        return high
    for exponent in range(int(math.floor(math.log10(max(abs(high), span)))) + 1, -4, -1):
        for step in (10.0 ** exponent, 5 * 10.0 ** (exponent - 1), 2 * 10.0 ** (exponent - 1)):
            candidate = math.floor(low / step + 1e-9) * step + step
            if low < candidate <= high + 1e-12:
                return round(candidate, 6)
    return (low + high) / 2


def _decimals_of(number: float) -> int:
    """Decimals needed to print ``number`` exactly (at most 2)."""
    for decimals in range(3):
        if abs(number - round(number, decimals)) < 1e-9:
            return decimals
    return 2


def _fisher_jenks(values: np.ndarray, k: int, allowed: list[int]) -> list[int]:
    """Split positions (index of each class's first value) giving ``k`` classes of least squared deviation.

    ``values`` are sorted; a class may only start at a position in ``allowed``.
    """
    n = len(values)
    sums = np.concatenate([[0.0], np.cumsum(values)])
    squares = np.concatenate([[0.0], np.cumsum(values ** 2)])

    def cost(i: int, j: int) -> float:
        total = sums[j] - sums[i]
        return float(squares[j] - squares[i] - total * total / (j - i))

    best = {(1, j): (cost(0, j), []) for j in range(1, n + 1)}
    for classes in range(2, k + 1):
        for j in range(1, n + 1):
            options = [(best[(classes - 1, i)][0] + cost(i, j), best[(classes - 1, i)][1] + [i])
                       for i in allowed if i < j and (classes - 1, i) in best]
            if options:
                best[(classes, j)] = min(options, key=lambda option: option[0])
    return best[(k, n)][1]


def classify(values: pd.Series, drawable: pd.Series, k: int | None = None, decimals: int = 2) -> Classes:
    """Classify ``values`` where ``drawable`` into at most ``k`` classes (default ``class_count``).

    See the module docstring for the rule. Single-class labels give the lowest and highest
    value; others give the rounded breaks.
    """
    klass = pd.Series(-1, index=values.index, dtype="int64")
    valid = values[drawable & values.notna()].astype("float64")
    if not len(valid):
        return Classes(klass, [], "tidak ada nilai untuk dikelaskan", [])
    ordered = np.sort(valid.to_numpy())
    low, high = float(ordered[0]), float(ordered[-1])
    k = min(k or class_count(len(valid)), int(valid.nunique()))
    close = high - low <= CLOSE_SHARE * abs(high)
    if k <= 1 or close:
        klass[valid.index] = 0
        label = format_number(low, decimals)
        label = label if label == format_number(high, decimals) else f"{label} – {format_number(high, decimals)}"
        method = ("satu kelas (semua nilai sama)" if low == high else
                  f"satu kelas, karena selisih antarwilayah tidak lebih dari {format_number(CLOSE_SHARE * 100)}%")
        return Classes(klass, [label], method, [])
    gaps = np.diff(ordered)
    wide = [i + 1 for i, gap in enumerate(gaps) if gap > CLOSE_SHARE * abs(ordered[i + 1])]
    if wide:
        allowed, method = wide, (f"pemutusan alami (Jenks), batas dibulatkan; wilayah yang nilainya berselisih kurang "
                                 f"dari {format_number(CLOSE_SHARE * 100)}% tidak dibedakan warnanya")
    else:
        allowed = [i + 1 for i, gap in enumerate(gaps) if gap > 0]
        method = "pemutusan alami (Jenks), batas dibulatkan"
    k = min(k, len(allowed) + 1)
    splits = _fisher_jenks(ordered, k, allowed)
    breaks = [roundest_between(float(ordered[s - 1]), float(ordered[s])) for s in splits]
    klass[valid.index] = np.searchsorted(np.array(breaks), valid.to_numpy(), side="right")
    text = [format_number(b, _decimals_of(b)) for b in breaks]
    labels = [f"< {text[0]}"] + [f"{a} – < {b}" for a, b in zip(text, text[1:])] + [f"≥ {text[-1]}"]
    return Classes(klass, labels, f"{method}, {k} kelas", breaks)


def class_colours(k: int) -> list:
    """``k`` colours of the sequential colour map, light to dark, avoiding the extremes."""
    cmap = colormaps[CMAP]
    return [cmap(x) for x in (np.linspace(0.18, 0.88, k) if k > 1 else [0.5])]
