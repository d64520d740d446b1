"""CSV written column-wise in Arrow is byte for byte what pandas writes."""

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.core import csv_text

AWKWARD = ["plain", "a,b", 'say "hi"', "line\nbreak", "cr\ronly", "", " spaced ", "'=1+2", "é ü 中", "tab\there",
           "crlf\r\n", '"', ",", "\n"]


def awkward_table(rows: int) -> pd.DataFrame:
    return pd.DataFrame({
        "teks": pd.Series([AWKWARD[i % len(AWKWARD)] for i in range(rows)], dtype="str"),
        "baris": np.arange(rows, dtype="int64"),
        "jumlah": pd.array([None if i % 7 == 0 else i * 1000 for i in range(rows)], dtype="Int64"),
        "kosong": pd.Series([None if i % 3 == 0 else AWKWARD[-i % len(AWKWARD)] for i in range(rows)], dtype="str"),
        'judul, "aneh"': pd.Series(["x"] * rows, dtype="str"),
    })


@pytest.mark.parametrize("bom", [False, True])
def test_text_and_integer_tables_are_written_as_pandas_writes_them(tmp_path, monkeypatch, bom):
    monkeypatch.setattr(csv_text, "ARROW_FROM_ROWS", 1)
    table = awkward_table(3 * len(AWKWARD)).iloc[2:]  # a slice: Arrow arrays with an offset
    csv_text.write_csv(table, tmp_path / "arrow.csv", bom=bom)
    table.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8")
    assert (tmp_path / "arrow.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_a_table_with_floats_or_one_column_is_left_to_pandas(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_text, "ARROW_FROM_ROWS", 1)
    assert csv_text._arrow_csv(pd.DataFrame({"a": ["x", "y"], "f": [0.1, 1e-7]})) is None
    one = pd.DataFrame({"a": pd.Series(["", "x"], dtype="str")})
    csv_text.write_csv(one, tmp_path / "one.csv")
    assert (tmp_path / "one.csv").read_text() == one.to_csv(index=False, lineterminator="\n")
