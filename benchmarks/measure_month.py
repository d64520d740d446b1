"""Measure stage 1 on any month against its floor, as run_all.py measures its own months.

Usage (from the project folder), for a month laid out as ``kmc run`` reads it
(``RAW/opd/YYYY-MM/`` and, if any, ``RAW/reference/``):

    .venv/bin/python benchmarks/measure_month.py RAW --period 2024-03 [--repeat 3]

It prints the median seconds of notebook 01 under papermill, the floor (an empty notebook plus
the fastest readers told everything: pyarrow for CSV, calamine for workbooks), their ratio
(issue 13: at most 6x at a million rows), the rows read and each process's peak memory. Nothing
is written to results.md; the processed files go to a scratch folder under
``benchmarks/output/work/`` and are removed afterwards. The month's data never leave the
machine, but the run reads them: use a pseudonym key of your own (``KMC_PSEUDONYM_KEY``) or the
benchmark's, which is set when none is.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import papermill

sys.path.insert(0, str(Path(__file__).parent))
from run_all import KEY, measure_stage1, month_files, runs_wanted  # noqa: E402

from kmc_analysis.core.errors import InputError  # noqa: E402
from kmc_analysis.core.periods import Period  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="the month's RAW folder (holding opd/YYYY-MM/)")
    parser.add_argument("--period", required=True, help="the month, YYYY-MM")
    parser.add_argument("--repeat", type=runs_wanted, default=3, help="runs of stage 1 and of its floor (default 3)")
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for a one-minute load below this")
    parser.add_argument("--max-wait", type=float, default=90, help="seconds to wait for it at most, per run")
    args = parser.parse_args(argv)
    try:
        period = str(Period.parse(args.period))
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    month = args.raw / "opd" / period
    if not month.is_dir():
        print(f"Folder {month} tidak ada: RAW harus berisi opd/{period}/ dengan berkas OPD bulan itu.",
              file=sys.stderr)
        return 2
    if not month_files(args.raw, period):
        print(f"Folder {month} kosong: taruh berkas OPD bulan itu di sana.", file=sys.stderr)
        return 2
    os.environ.setdefault("KMC_PSEUDONYM_KEY", KEY)
    try:
        result = measure_stage1(f"month_{period}", args.raw.resolve(), args, args.repeat, period=period)
    except papermill.PapermillExecutionError as error:  # stage 1 refused the month: its own sentence says why
        print(f"Tahap 1 berhenti: {error.evalue}", file=sys.stderr)
        return 2
    print(f"stage 1: {result['seconds']:.2f} s (median of {args.repeat}); floor {result['floor_s']:.2f} s "
          f"(empty notebook {result['empty_notebook_s']:.2f} + reading {result['read_s']:.2f}); "
          f"ratio {result['ratio']:.2f}x; {result['rows_read']:,} rows read in {result['files']} files "
          f"({result['rows_quarantined']:,} quarantined, {result['rows_to_review']:,} to review); "
          f"peak kernel {result['kernel_mb']:,.0f} MB, helpers {result['helper_mb']:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
