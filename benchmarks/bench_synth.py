"""Time ``kmc synth`` on a large month: rows=1,000,000 by default (CSV only), then print the file sizes.

Usage:
    .venv/bin/python benchmarks/bench_synth.py [--rows N] [--seed S] [--out DIR]

Without ``--out`` the files go to a temporary folder that is removed afterwards; with it
they stay (``benchmarks/output/`` is git-ignored). Target: under a minute for 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference
from kmc_analysis.synth import synthesize


def main(argv: list[str] | None = None) -> int:
    """Run one timed synthesis and print seconds, rows per second and every file's size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", default="2024-03")
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temporary folder)")
    args = parser.parse_args(argv)

    out = args.out or Path(tempfile.mkdtemp(prefix="bench_synth_"))
    if args.out is not None and (out / "opd" / args.period).exists():
        shutil.rmtree(out / "opd" / args.period)
    reference = load_reference()   # loaded outside the timing: it is not synthesis work
    try:
        start = time.perf_counter()
        result = synthesize(Period.parse(args.period), out, rows=args.rows, seed=args.seed, reference=reference)
        seconds = time.perf_counter() - start
        sizes = [(p.name, p.stat().st_size) for p in result.files]
        total = sum(size for _, size in sizes)
        print(f"kmc synth --rows {args.rows:,} --seed {args.seed}: {seconds:.1f} s "
              f"({args.rows / seconds:,.0f} rows/s), {result.rows_written:,} data rows, "
              f"{len(sizes)} files, {total / 1e6:.1f} MB")
        for name, size in sizes:
            print(f"  {size / 1e6:9.2f} MB  {name}")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
