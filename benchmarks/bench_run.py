"""Benchmark a monthly ``kmc run`` on the bundled sample against its floor.

Floor (DESIGN.md): papermill executing as many empty notebooks as the run has stages;
kernel start-up is what no run can avoid. Earlier months of the year are processed
beforehand, as they would be in a monthly routine, so the figure is one month's run.
Run from the project folder:

    python benchmarks/bench_run.py [--period 2024-03] [--repeat 3]

Results are printed and written to benchmarks/output/run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _floor import OUTPUT, floor_empty_notebooks  # noqa: E402

from kmc_analysis.runner import RunOptions, find_notebooks, run  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2024-03")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("KMC_PSEUDONYM_KEY", "benchmark-only-key-not-for-real-data")
    OUTPUT.mkdir(exist_ok=True)
    processed, reports = OUTPUT / "run_processed", OUTPUT / "run_reports"
    shutil.rmtree(processed, ignore_errors=True)
    shutil.rmtree(reports, ignore_errors=True)
    options = RunOptions(period=args.period, raw_dir=PROJECT / "data" / "raw", processed_dir=processed,
                         reports_dir=reports, quiet=True, notebooks_dir=PROJECT / "notebooks")
    run(options)  # warm-up; also processes the earlier months of the year once
    stages = len(find_notebooks(options.notebooks_dir))

    runs, floors = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        run(options)
        runs.append(time.perf_counter() - started)
        floors.append(floor_empty_notebooks(stages, tries=1))
    result = {
        "period": args.period, "stages": stages, "repeat": args.repeat,
        "run_s_median": round(statistics.median(runs), 2), "floor_s_median": round(statistics.median(floors), 2),
        "ratio_to_floor": round(statistics.median(runs) / statistics.median(floors), 2),
        "run_s_all": [round(r, 2) for r in runs], "floor_s_all": [round(f, 2) for f in floors],
    }
    print(f"kmc run --period {args.period}: {result['run_s_median']:.1f} s (median of {args.repeat}); "
          f"floor {result['floor_s_median']:.1f} s for {stages} empty notebooks; ratio {result['ratio_to_floor']:.2f}x")
    (OUTPUT / "run.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
