"""Tests for kmc_analysis.core.disclosure: small-cell suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.core.disclosure import (
    DERIVED,
    HIDDEN_MARK,
    PRIMARY,
    SECONDARY,
    SHOWN,
    apply_mask,
    small_count_mask,
    suppress_counts,
    suppression_mask,
)
from kmc_analysis.core.formatting import format_number

# --- primary -------------------------------------------------------------------------------

def test_small_count_mask_boundaries():
    counts = pd.Series([0, 1, 2, 3, 4, 5, 6, None])
    assert small_count_mask(counts, 5).tolist() == [False, True, True, True, True, False, False, False]


@pytest.mark.parametrize("value,shown", [(0, "0"), (1, "<5"), (2, "<5"), (3, "<5"), (4, "<5"), (5, "5"),
                                         (1234, "1.234")])
def test_primary_at_the_boundaries(value, shown):
    df = pd.DataFrame({"penerima": [value, 500, 600]})  # other rows large: no secondary needed for value 0 / 5
    out = suppress_counts(df, ["penerima"], 5, table_total=False)
    assert out["penerima"].iloc[0] == shown


def test_min_cell_changes_the_mark_and_the_threshold():
    df = pd.DataFrame({"penerima": [2, 3, 10]})
    assert suppress_counts(df, ["penerima"], 3, table_total=False)["penerima"].tolist() == ["<3", "3", "10"]
    assert suppress_counts(df, ["penerima"], 1)["penerima"].tolist() == ["2", "3", "10"]


def test_missing_counts_are_not_hidden():
    df = pd.DataFrame({"penerima": [np.nan, 40.0, 50.0]})
    mask = suppression_mask(df, ["penerima"], 5)
    assert (mask["penerima"] == SHOWN).all()
    assert suppress_counts(df, ["penerima"], 5)["penerima"].iloc[0] == "–"


def test_counts_given_as_text_are_read_as_numbers():
    df = pd.DataFrame({"penerima": ["3", "40", "50"]})
    assert suppression_mask(df, ["penerima"], 5, table_total=False)["penerima"].tolist() == [PRIMARY, SHOWN, SHOWN]


# --- secondary -------------------------------------------------------------------------------

def kelurahan():
    """Three kecamatan: A has one small kelurahan, B two small ones, C one small one and zeros."""
    return pd.DataFrame({
        "kode_kecamatan": ["A", "A", "A", "B", "B", "B", "C", "C"],
        "kelurahan": ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"],
        "penerima_unik": [3, 40, 25, 2, 4, 90, 4, 0],
        "penduduk": [1000] * 8,
    })


def test_secondary_within_groups():
    df = kelurahan()
    mask = suppression_mask(df, ["penerima_unik"], 5, group_by="kode_kecamatan", table_total=False)
    codes = dict(zip(df["kelurahan"], mask["penerima_unik"]))
    # A: one hidden cell, the next-smallest (25, not 40) goes with it.
    assert (codes["a1"], codes["a2"], codes["a3"]) == (PRIMARY, SHOWN, SECONDARY)
    # B: two hidden cells protect each other.
    assert (codes["b1"], codes["b2"], codes["b3"]) == (PRIMARY, PRIMARY, SHOWN)
    # C: no other positive cell, so the zero is hidden (the total would give c1 away).
    assert (codes["c1"], codes["c2"]) == (PRIMARY, SECONDARY)


def test_secondary_display_uses_the_star():
    out = suppress_counts(kelurahan(), ["penerima_unik"], 5, group_by="kode_kecamatan", table_total=False)
    assert out["penerima_unik"].tolist() == ["<5", "40", HIDDEN_MARK, "<5", "<5", "90", "<5", HIDDEN_MARK]


def test_table_total_needs_a_second_hidden_cell():
    df = pd.DataFrame({"kecamatan": list("PQRST"), "penerima_unik": [529, 3, 257, 411, 154]})
    mask = suppression_mask(df, ["penerima_unik"], 5)
    assert mask["penerima_unik"].tolist() == [SHOWN, PRIMARY, SHOWN, SHOWN, SECONDARY]
    assert (suppression_mask(df, ["penerima_unik"], 5, table_total=False)["penerima_unik"] != SECONDARY).all()


def test_group_and_table_totals_together_reach_a_fixed_point():
    # Group A is safe on its own (two hidden); the table total is safe too. Group B has one
    # hidden cell, gets a secondary; then the table as a whole has 3 hidden: stable.
    df = pd.DataFrame({"g": ["A", "A", "A", "B", "B"], "n": [2, 3, 50, 4, 60]})
    mask = suppression_mask(df, ["n"], 5, group_by="g")
    assert mask["n"].tolist() == [PRIMARY, PRIMARY, SHOWN, PRIMARY, SECONDARY]


def test_composite_group_key():
    df = pd.DataFrame({"kategori": ["x", "x", "x", "x"], "kec": ["A", "A", "B", "B"], "n": [1, 30, 40, 50]})
    mask = suppression_mask(df, ["n"], 5, group_by=[("kategori", "kec")], table_total=False)
    assert mask["n"].tolist() == [PRIMARY, SECONDARY, SHOWN, SHOWN]


def test_ties_go_to_the_first_row():
    df = pd.DataFrame({"n": [2, 30, 30]})
    assert suppression_mask(df, ["n"], 5)["n"].tolist() == [PRIMARY, SECONDARY, SHOWN]


def test_row_total_relation():
    opd = pd.DataFrame({"opd": ["x", "y", "z"], "baris_dibaca": [3, 200, 50], "baris_diterima": [3, 190, 45],
                        "baris_karantina": [0, 10, 5], "persen_valid": [100.0, 95.0, 90.0]})
    mask = suppression_mask(opd, ["baris_diterima"], 5,
                            row_totals={"baris_dibaca": ["baris_diterima", "baris_karantina"]},
                            derived={"persen_valid": ["baris_diterima", "baris_dibaca"]})
    # x: diterima small -> its total goes too (karantina is published and never chosen).
    assert mask.loc[0, "baris_diterima"] == PRIMARY and mask.loc[0, "baris_dibaca"] == SECONDARY
    assert (mask["baris_karantina"] == SHOWN).all()
    # The dibaca column total is published, so another dibaca goes (z, the smaller), and then
    # z's row relation needs a second cell: its diterima.
    assert mask.loc[2, "baris_dibaca"] == SECONDARY and mask.loc[2, "baris_diterima"] == SECONDARY
    assert mask["persen_valid"].tolist() == [DERIVED, SHOWN, DERIVED]


# --- derived ------------------------------------------------------------------------------

def test_derived_columns_follow_their_counts():
    df = kelurahan().assign(penerima_per_1000=lambda d: d["penerima_unik"] / d["penduduk"] * 1000,
                            jumlah_penyaluran=[6, 50, 30, 5, 9, 100, 4, 0],
                            nilai_total=lambda d: d["jumlah_penyaluran"] * 500_000)
    mask = suppression_mask(df, ["penerima_unik", "jumlah_penyaluran"], 5, group_by="kode_kecamatan",
                            derived={"penerima_per_1000": "penerima_unik",
                                     "nilai_total": ["penerima_unik", "jumlah_penyaluran"]})
    hidden_count = mask["penerima_unik"] != SHOWN
    assert ((mask["penerima_per_1000"] == DERIVED) == hidden_count).all()
    # b2 has 9 disbursements (shown) but 4 persons (hidden): its value is hidden with the persons.
    b2 = df.index[df["kelurahan"] == "b2"][0]
    assert mask.loc[b2, "jumlah_penyaluran"] == SHOWN and mask.loc[b2, "nilai_total"] == DERIVED
    out = apply_mask(df, mask, 5)
    assert out.loc[b2, "nilai_total"] == HIDDEN_MARK and out.loc[b2, "jumlah_penyaluran"] == "9"


def test_missing_column_is_an_error():
    with pytest.raises(KeyError):
        suppression_mask(pd.DataFrame({"n": [1]}), ["penerima_unik"], 5)


def test_index_is_kept():
    df = pd.DataFrame({"n": [3, 40, 50]}, index=[10, 20, 30])
    out = suppress_counts(df, ["n"], 5)
    assert out.index.tolist() == [10, 20, 30] and out.loc[10, "n"] == "<5"


# --- display text ------------------------------------------------------------------------

def test_formatters_per_column():
    df = pd.DataFrame({"opd": ["Dinsos", "Dinkes"], "n": [3, 4000], "nilai": [1.5e6, 2e9]})
    out = suppress_counts(df, ["n"], 5, derived={"nilai": "n"}, table_total=False,
                          formatters={"nilai": lambda v: "Rp" + format_number(v)})
    assert out.to_dict("list") == {"opd": ["Dinsos", "Dinkes"], "n": ["<5", "4.000"],
                                   "nilai": [HIDDEN_MARK, "Rp2.000.000.000"]}
