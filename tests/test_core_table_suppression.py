"""Tests for core.table_suppression: one table published on its own (the targeting chapter's kecamatan rows)."""

from __future__ import annotations

import pandas as pd
import pytest

from kmc_analysis.core.disclosure import DERIVED, PRIMARY, SECONDARY, SHOWN
from kmc_analysis.core.table_suppression import suppression_mask


def kelurahan() -> pd.DataFrame:
    return pd.DataFrame({
        "kode_kecamatan": ["A", "A", "A", "B", "B", "B", "C", "C"],
        "kelurahan": ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"],
        "penerima_unik": [3, 40, 25, 2, 4, 90, 4, 0],
    })


def test_single_hidden_cell_of_a_group_takes_the_next_smallest_with_it():
    df = kelurahan()
    mask = suppression_mask(df, ["penerima_unik"], 5, group_by="kode_kecamatan", table_total=False)
    codes = dict(zip(df["kelurahan"], mask["penerima_unik"]))
    assert (codes["a1"], codes["a2"], codes["a3"]) == (PRIMARY, SHOWN, SECONDARY)
    assert (codes["b1"], codes["b2"], codes["b3"]) == (PRIMARY, PRIMARY, SHOWN)
    assert (codes["c1"], codes["c2"]) == (PRIMARY, SECONDARY)


def test_table_total_needs_a_second_hidden_cell():
    df = pd.DataFrame({"kecamatan": list("PQRST"), "penerima_unik": [529, 3, 257, 411, 154]})
    assert suppression_mask(df, ["penerima_unik"], 5)["penerima_unik"].tolist() == \
        [SHOWN, PRIMARY, SHOWN, SHOWN, SECONDARY]


def test_row_relation_hides_a_second_cell_of_the_row():
    rows = pd.DataFrame({"kode": ["K1", "K2", "K3"], "penerima_unik": [40, 200, 60], "penerima_dtks": [38, 150, 30],
                         "_bukan_dtks": [2, 50, 30]})
    mask = suppression_mask(rows, ["penerima_unik", "penerima_dtks", "_bukan_dtks"], 5,
                            row_totals={"penerima_unik": ["penerima_dtks", "_bukan_dtks"]})
    # 2 recipients not in DTKS: the difference is small, so one printed cell of K1 must go.
    assert mask.loc[0, "_bukan_dtks"] == PRIMARY
    assert SECONDARY in (mask.loc[0, "penerima_unik"], mask.loc[0, "penerima_dtks"])


def test_derived_columns_follow_their_counts():
    df = kelurahan().assign(persen=[1.0] * 8)
    mask = suppression_mask(df, ["penerima_unik"], 5, group_by="kode_kecamatan", derived={"persen": "penerima_unik"})
    assert ((mask["persen"] == DERIVED) == (mask["penerima_unik"] != SHOWN)).all()


def test_missing_column_is_an_error():
    with pytest.raises(KeyError):
        suppression_mask(pd.DataFrame({"n": [1]}), ["penerima_unik"], 5)
