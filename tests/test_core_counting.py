"""Counts on integer codes against pandas' own groupby counts."""

import numpy as np
import pandas as pd

from kmc_analysis.core.counting import distinct_per_group, sum_per_group


def test_distinct_and_sums_per_group_equal_pandas_nunique_and_sum_and_skip_missing_codes():
    generator = np.random.default_rng(5)
    rows = pd.DataFrame({"group": generator.integers(-1, 7, size=5_000),
                         "person": generator.integers(-1, 900, size=5_000),
                         "nominal": generator.integers(0, 10**15, size=5_000)})
    # group 7 exists but has no row: it counts 0; -1 is a missing code, skipped like NaN in pandas.
    distinct = distinct_per_group(rows["group"], rows["person"], 8)
    total = sum_per_group(rows["group"], rows["nominal"], 8)
    as_pandas = rows.replace({"group": {-1: np.nan}, "person": {-1: np.nan}}).groupby("group")
    assert distinct.tolist() == as_pandas["person"].nunique().reindex(range(8), fill_value=0).tolist()
    assert total.tolist() == as_pandas["nominal"].sum().reindex(range(8), fill_value=0).tolist()
    assert total.dtype == "int64" and total.max() > 2**53, "sums beyond a float's exact integers stay exact"
