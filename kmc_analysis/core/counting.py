"""Counts on integer codes: distinct values and sums per group, for tables of a million rows.

Stages 2 and 3 count distinct persons per area, program and month. pandas' ``nunique``
sorts every row's (group, value) and its groupby factorises text keys again on every call;
on integer codes (factorised once) hashing each pair once and counting per group is many
times faster and gives the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def distinct_per_group(group: np.ndarray, value: np.ndarray, groups: int) -> np.ndarray:
    """How many distinct ``value`` codes each group 0..``groups``-1 holds.

    ``group`` and ``value`` are integer codes of equal length, as from ``pd.factorize``: a
    negative group or value (a missing one) is skipped, as ``nunique`` skips a missing
    value. The result is an int64 array of length ``groups``.
    """
    group = np.asarray(group, dtype="int64")
    value = np.asarray(value, dtype="int64")
    kept = (group >= 0) & (value >= 0)
    width = int(value.max(initial=0)) + 1
    pairs = pd.unique(group[kept] * width + value[kept])
    return np.bincount(pairs // width, minlength=groups).astype("int64")


def sum_per_group(group: np.ndarray, amount: np.ndarray, groups: int) -> np.ndarray:
    """The exact int64 sum of ``amount`` per group 0..``groups``-1 (rows of a negative group are skipped)."""
    group = np.asarray(group, dtype="int64")
    kept = group >= 0
    total = np.zeros(groups, dtype="int64")
    np.add.at(total, group[kept], np.asarray(amount, dtype="int64")[kept])
    return total
