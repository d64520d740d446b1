"""Benchmark stage 1 on a large synthetic month against its floor, and its peak memory.

Floor (DESIGN.md): papermill executing an empty notebook, plus pyarrow reading the same
CSV files. Stage 1 is measured the way ``kmc run`` executes it: papermill running
notebooks/01_clean_opd_data.ipynb in a fresh kernel. Peak memory is the kernel's
largest resident set. Run from the project folder:

    python benchmarks/bench_stage1.py                 # 1,000,000 rows
    python benchmarks/bench_stage1.py --rows 100000 1000000   # also shows how time scales

Results are printed and written to benchmarks/output/stage1.json. Timings are never test
assertions: they depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import papermill
import pyarrow.csv

sys.path.insert(0, str(Path(__file__).parent))
from _floor import OUTPUT, floor_empty_notebooks, peak_child_memory_mb  # noqa: E402

from kmc_analysis.clean.ingest import HEADER_LOOKUP, header_key  # noqa: E402
from kmc_analysis.core.periods import Period  # noqa: E402
from kmc_analysis.synth import synthesize  # noqa: E402

PERIOD = "2024-03"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_clean_opd_data.ipynb"


def read_with_pyarrow(path: Path) -> int:
    """Read one OPD CSV with pyarrow, told its encoding, separator and header row (the floor)."""
    head = path.read_bytes()[:20_000]
    encoding = "utf-8" if not head.startswith(b"\xef\xbb\xbf") else "utf-8-sig"
    try:
        text = head.decode(encoding, errors="strict")
    except UnicodeDecodeError:
        encoding, text = "cp1252", head.decode("cp1252", errors="replace")
    lines = text.splitlines()[:20]
    separator = ";" if sum(line.count(";") for line in lines) > sum(line.count(",") for line in lines) else ","
    header = next(i for i, line in enumerate(lines)
                  if sum(header_key(cell) in HEADER_LOOKUP for cell in line.split(separator)) >= 3)
    table = pyarrow.csv.read_csv(
        path, read_options=pyarrow.csv.ReadOptions(skip_rows=header, encoding=encoding),
        parse_options=pyarrow.csv.ParseOptions(delimiter=separator, invalid_row_handler=lambda row: "skip"),
        convert_options=pyarrow.csv.ConvertOptions(column_types={}, strings_can_be_null=False),
    )
    return table.num_rows


def measure(rows: int) -> dict:
    """Synthesise ``rows`` rows (CSV), then time the floor and stage 1 on them."""
    raw = OUTPUT / f"raw_{rows}"
    if not (raw / "opd" / PERIOD).exists():
        started = time.perf_counter()
        synthesize(Period.parse(PERIOD), raw, rows=rows, seed=7)
        print(f"synthesised {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    files = sorted((raw / "opd" / PERIOD).iterdir())

    empty = floor_empty_notebooks(1)
    started = time.perf_counter()
    for path in files:
        if path.suffix == ".csv":
            read_with_pyarrow(path)
    arrow_read = time.perf_counter() - started
    memory_before = peak_child_memory_mb()

    processed = OUTPUT / f"processed_{rows}"
    shutil.rmtree(processed, ignore_errors=True)
    started = time.perf_counter()
    papermill.execute_notebook(
        str(NOTEBOOK), str(OUTPUT / f"stage1_{rows}.ipynb"), kernel_name="python3", progress_bar=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        parameters={"period": PERIOD, "raw_dir": str(raw), "processed_dir": str(processed),
                    "reports_dir": str(OUTPUT / "reports"), "staging_dir": ""},
    )
    stage1 = time.perf_counter() - started
    memory = peak_child_memory_mb()
    counts = json.loads((processed / PERIOD / "manifest.json").read_text())["counts"]
    floor = empty + arrow_read
    return {
        "rows": rows, "rows_read": counts["rows_read"], "csv_files": sum(p.suffix == ".csv" for p in files),
        "floor_empty_notebook_s": round(empty, 2), "floor_pyarrow_read_s": round(arrow_read, 2),
        "floor_s": round(floor, 2), "stage1_s": round(stage1, 2), "ratio_to_floor": round(stage1 / floor, 2),
        "kernel_peak_memory_mb": round(memory if memory > memory_before else float("nan"), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    args = parser.parse_args()
    OUTPUT.mkdir(exist_ok=True)
    os.environ.setdefault("KMC_PSEUDONYM_KEY", "benchmark-only-key-not-for-real-data")
    results = [measure(rows) for rows in sorted(args.rows)]
    for r in results:
        print(f"{r['rows']:>9,} rows: stage 1 {r['stage1_s']:6.1f} s, floor {r['floor_s']:5.1f} s "
              f"(empty notebook {r['floor_empty_notebook_s']:.1f} s + pyarrow read {r['floor_pyarrow_read_s']:.1f} s), "
              f"ratio {r['ratio_to_floor']:.2f}x, kernel peak memory {r['kernel_peak_memory_mb']:.0f} MB")
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(f"time grows {large['stage1_s'] / small['stage1_s']:.1f}x for {large['rows'] / small['rows']:.0f}x rows")
    (OUTPUT / "stage1.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
