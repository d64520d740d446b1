"""Time the review flags (``clean.review.review_flags``) on a large month of accepted rows.

Usage:
    .venv/bin/python benchmarks/bench_review.py [--rows N] [--seed S]

Rows are generated in memory with the bundled catalogue: 16-digit NIKs with valid dates
(a person has one to six programs), amounts around each program's nominal_standar with a
few far off. Target: well under two seconds for 1,000,000 rows (issue 14 item 3).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from kmc_analysis.clean.review import review_flags
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference


def accepted_rows(rows: int, seed: int, catalogue: pd.DataFrame) -> pd.DataFrame:
    """``rows`` accepted rows shaped like stage 1's (clean nik, kode_bantuan, opd, nominal, provenance)."""
    rng = np.random.default_rng(seed)
    persons = rows // 2
    day = rng.integers(1, 29, persons) + 40 * rng.integers(0, 2, persons)
    birth = [f"{d:02d}{m:02d}{y:02d}" for d, m, y in zip(day, rng.integers(1, 13, persons), rng.integers(0, 100, persons))]
    niks = np.array([f"187201{b}{s:04d}" for b, s in zip(birth, rng.integers(1, 9999, persons))], dtype=object)
    person = rng.integers(0, persons, rows)
    program = rng.integers(0, len(catalogue), rows)
    standard = catalogue["nominal_standar"].fillna(300_000).to_numpy(dtype="int64")[program]
    factor = np.where(rng.random(rows) < 0.01, 3.0, 1.0)
    return pd.DataFrame({
        "nik": pd.array(niks[person], dtype="str"),
        "kode_bantuan": pd.array(catalogue["kode_bantuan"].to_numpy()[program], dtype="str"),
        "opd": pd.array(catalogue["opd"].to_numpy()[program], dtype="str"),
        "nominal": (standard * factor).astype("int64"),
        "sumber_file": "bench.csv",
        "sumber_sheet": "bench",
        "sumber_baris": np.arange(2, rows + 2, dtype="int64"),
    })


def main(argv: list[str] | None = None) -> int:
    """Generate the rows, then time one call of review_flags and print what it flagged."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    catalogue = load_reference().program_bantuan
    rows = accepted_rows(args.rows, args.seed, catalogue)
    start = time.perf_counter()
    flags = review_flags(rows, catalogue, Period(2024, 3))
    seconds = time.perf_counter() - start
    counts = flags["tanda"].str.split(";").explode().value_counts().to_dict()
    print(f"review_flags: {args.rows:,} rows in {seconds:.2f} s; {len(flags):,} flagged {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
