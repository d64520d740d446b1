"""CSV files byte for byte as pandas writes them, made column-wise in Arrow for large tables.

``DataFrame.to_csv`` formats row by row in Python: a quarter of a million review rows took
about 1.2 s. pyarrow's own CSV writer is fast but quotes every text value, so files would
change. :func:`write_csv` builds the same bytes pandas writes (comma separated, ``\\n``
line ends, a field quoted only when it holds a comma, a quote or a line feed, quotes
doubled, missing values empty) for tables of text and integer columns, and leaves any
other table (floats, booleans, mixed objects) to pandas. ``tests/test_core_csv_text.py``
compares both writers on awkward values.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

#: From this many rows the Arrow path is taken (below, pandas is as fast and simpler to trust).
ARROW_FROM_ROWS = 1_000


def _special_characters() -> str:
    """The characters that make pandas (the csv module) quote a field, asked of the csv module itself.

    A comma, a quote and a line feed always do; whether a lone carriage return does has
    changed between Python versions, so it is found out rather than assumed.
    """
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["a\rb", "c"])
    return ',"\n\r' if out.getvalue().startswith('"') else ',"\n'


_SPECIAL = _special_characters()


def write_csv(frame: pd.DataFrame, path: Path, bom: bool = False) -> None:
    """Write ``frame`` (no index) to ``path`` as ``frame.to_csv(index=False, lineterminator="\\n")`` would."""
    # One column is left to pandas too: the csv module quotes a row that is one empty field.
    body = _arrow_csv(frame) if len(frame) >= ARROW_FROM_ROWS and frame.shape[1] > 1 else None
    if body is None:
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8-sig" if bom else "utf-8")
        return
    with open(path, "wb") as handle:
        handle.write(("\ufeff" if bom else "").encode("utf-8") + _header(frame.columns))
        handle.write(body)


def _header(columns) -> bytes:
    return (",".join(_quoted(str(name)) for name in columns) + "\n").encode("utf-8")


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in _SPECIAL) else text


def _arrow_csv(frame: pd.DataFrame) -> memoryview | None:
    """The data lines of ``frame`` as pandas writes them, or None when a column is not text or integer."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fields = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column.dtype):
            text = pa.array(column, type=pa.large_string(), from_pandas=True)
        elif pd.api.types.is_integer_dtype(column.dtype):
            text = pc.cast(pa.array(column, from_pandas=True), pa.large_string())
        else:
            return None
        text = pc.fill_null(text, "")
        needs_quotes = pc.match_substring_regex(text, "[" + _SPECIAL + "]")
        quote = pa.scalar('"', pa.large_string())
        if pc.any(needs_quotes).as_py():  # most columns hold no such character: no quoting work
            quoted = pc.binary_join_element_wise(quote, pc.replace_substring(text, '"', '""'), quote,
                                                 pa.scalar("", pa.large_string()))
            text = pc.if_else(needs_quotes, quoted, text)
        fields.append(text)
    # each line followed by its line end, joined to the last field (the shorter join)
    fields[-1] = pc.binary_join_element_wise(fields[-1], pa.scalar("", pa.large_string()),
                                             pa.scalar("\n", pa.large_string()))
    lines = pc.binary_join_element_wise(*fields, pa.scalar(",", pa.large_string()))
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]
