"""Measure every performance target of issue 13 in one run and write benchmarks/results.md.

Usage (from the project folder):

    .venv/bin/python benchmarks/run_all.py                    # everything (about half an hour)
    .venv/bin/python benchmarks/run_all.py --only stage1_1m run_1m   # some measurements again

Inputs are made with ``kmc synth`` (seed 7, period 2024-03; its DTKS extract removed: the
issue's workload is the OPD files alone) and kept in
``benchmarks/output/inputs/``: 100,000, 1,000,000 and 5,000,000 CSV rows (``--kinds csv``)
and a 50,000-row workbook-only month (``--kinds xlsx``). Two more 1M-row months are the
shape the issue describes (7 columns, mostly distinct NIKs, one CSV), written by
``plain_month.py``: one against the bundled catalogue (its age ranges flag about a fifth of
the rows for review), one against the catalogue without age ranges; two more of that shape show what
a month's faults and recurring recipients cost: 3 % of the rows faulty as exports go wrong (each
quarantined and sent back in its OPD's feedback workbook), and the rows paid to 300,000 persons
(about 2 % repeat a person's program; a person in 5 or more programs is flagged for review). They
are measured against the same 6x, though the issue's workload is the clean month. Each measurement is a median over
``--repeat`` runs (``--big-repeat`` for the 1M and 5M ones) against its floor:

- stage 1 (papermill executing notebook 01, as ``kmc run`` does) against an empty
  notebook plus the fastest reader told everything (pyarrow for CSV, calamine for xlsx);
- a whole ``kmc run`` against stage 1 in the same run; the bundled sample's monthly run
  (a new ``kmc run`` process) against a new Python process in which papermill executes four
  empty notebooks (also shown: the four notebooks in this process, papermill already imported).

Peak memory is each kernel's high-water mark (``VmHWM`` read from /proc while it runs),
plus those of stage 1's helper processes (feedback workbooks, NIK hashing). Before each run the script waits (at most
``--max-wait`` seconds) for the one-minute load average to drop below ``--max-load``, and
records the load at the start of every run: other sessions may share the CPU. Results go
to ``benchmarks/output/results.json`` (merged with earlier measurements when ``--only`` is
given) and ``benchmarks/results.md``; the notes at the end of results.md are kept.
Timings are never asserted in tests: they depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import papermill

sys.path.insert(0, str(Path(__file__).parent))
from _floor import (  # noqa: E402
    KERNEL_ARGUMENTS,
    OUTPUT,
    SHUTDOWN_KERNEL,
    time_empty_notebooks,
    time_empty_notebooks_fresh,
    time_reading,
)
from _measure import TreeWatch, load_average, machine_info, wait_until_quiet  # noqa: E402
from _report import write_results  # noqa: E402

import kmc_analysis  # noqa: E402
from kmc_analysis.core.reference import load_reference  # noqa: E402
from kmc_analysis.core.store import TINJAUAN, read_table  # noqa: E402

PROJECT = Path(kmc_analysis.__file__).resolve().parents[1]
NOTEBOOK_1 = PROJECT / "notebooks" / "01_clean_opd_data.ipynb"
PERIOD = "2024-03"
SEED = 7
#: Input name -> (rows, file kinds) for ``kmc synth``.
INPUTS = {"csv_100k": (100_000, "csv"), "csv_1m": (1_000_000, "csv"), "csv_5m": (5_000_000, "csv"),
          "xlsx_50k": (50_000, "xlsx")}
#: Input name -> (rows, catalogue, options) for ``plain_month.py`` (one CSV of 7 columns, mostly distinct
#: NIKs): ``bundled`` checks ages against the bundled catalogue's ranges (birth dates are spread over all
#: ages, so about a fifth of the rows are flagged for review); ``no_age`` drops those ranges. The
#: options add faulty rows (``--faulty``) or pay the rows to fewer persons (``--people``).
PLAIN_INPUTS = {"plain_1m": (1_000_000, "bundled", []), "plain_1m_no_age": (1_000_000, "no_age", []),
                "plain_1m_faulty": (1_000_000, "bundled", ["--faulty", "0.03"]),
                "plain_1m_people": (1_000_000, "bundled", ["--people", "300000"])}
#: Measurement name -> (kind, input, repeat option).
MEASUREMENTS = {
    "sample": ("sample_run", None, "repeat"),
    "stage1_100k": ("stage1", "csv_100k", "repeat"),
    "stage1_1m": ("stage1", "csv_1m", "big_repeat"),
    "stage1_1m_plain": ("stage1", "plain_1m", "big_repeat"),
    "stage1_1m_plain_no_age": ("stage1", "plain_1m_no_age", "big_repeat"),
    "stage1_1m_plain_faulty": ("stage1", "plain_1m_faulty", "big_repeat"),
    "stage1_1m_plain_people": ("stage1", "plain_1m_people", "big_repeat"),
    "run_1m": ("run", "csv_1m", "big_repeat"),
    "xlsx_50k": ("stage1", "xlsx_50k", "repeat"),
    "stage1_5m": ("stage1", "csv_5m", "big_repeat"),
    "run_5m": ("run", "csv_5m", "once"),
}
KEY = "benchmark-only-key-not-for-real-data"


def say(text: str) -> None:
    print(text, flush=True)


def kmc() -> str:
    """The ``kmc`` command of the environment running this script."""
    return str(Path(sys.executable).with_name("kmc"))


def ensure_input(name: str, inputs: Path) -> Path:
    """The raw dir of input ``name``, synthesised with ``kmc synth`` unless it is there already."""
    raw = inputs / name
    done = raw / ".synth-done"
    if done.is_file():
        return raw
    shutil.rmtree(raw, ignore_errors=True)
    if name in PLAIN_INPUTS:
        return plain_input(name, raw, done)
    rows, kinds = INPUTS[name]
    say(f"synthesising {name}: {rows:,} rows, {kinds} files (kmc synth)")
    started = time.perf_counter()
    subprocess.run([kmc(), "synth", "--period", PERIOD, "--out", str(raw), "--rows", str(rows), "--seed", str(SEED),
                    "--kinds", kinds], check=True)
    # The workload is the OPD files alone. kmc synth also writes its city's DTKS extract,
    # which lists only the ~11,700 poor of Kota Metro: at 1M rows most synthetic recipients live
    # beyond the city's population, so nearly all of them would be "perlu verifikasi DTKS" rows.
    shutil.rmtree(raw / "dtks", ignore_errors=True)
    done.write_text(f"{rows} {kinds} seed {SEED} in {time.perf_counter() - started:.1f} s\n")
    return raw


def plain_input(name: str, raw: Path, done: Path) -> Path:
    """Write plain input ``name`` with plain_month.py (and, for ``no_age``, a catalogue without age ranges)."""
    rows, catalogue, options = PLAIN_INPUTS[name]
    say(f"writing {name}: {rows:,} rows in one plain CSV (plain_month.py {' '.join(options)})")
    started = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).parent / "plain_month.py"), str(raw), "--rows", str(rows),
                    "--seed", str(SEED), *options], check=True)
    if catalogue == "no_age":
        (raw / "reference").mkdir(parents=True, exist_ok=True)
        load_reference().program_bantuan.drop(columns=["usia_min", "usia_maks"]).to_csv(
            raw / "reference" / "program_bantuan.csv", index=False)
    done.write_text(f"{rows} plain {catalogue} {' '.join(options)} seed {SEED} "
                    f"in {time.perf_counter() - started:.1f} s\n")
    return raw


def runs_wanted(text: str) -> int:
    """An argparse type: a number of runs, at least one (a median needs one)."""
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError(f"at least 1 run, not {count}")
    return count


def month_files(raw: Path, period: str = PERIOD) -> list[Path]:
    return sorted(p for p in (raw / "opd" / period).iterdir() if p.is_file())


def runs(count: int, args, body) -> list[dict]:
    """Call ``body()`` ``count`` times, each after waiting for a quiet machine; add the load at each start."""
    done = []
    for number in range(count):
        load = wait_until_quiet(args.max_load, args.max_wait, say)
        result = body()
        result["load_at_start"] = load
        done.append(result)
        say(f"  run {number + 1}/{count}: {result['seconds']:.2f} s (load {load:.2f})")
    return done


def median(values) -> float:
    return round(statistics.median(values), 2)


def measure_floor(files: list[Path], args, count: int) -> dict:
    """Medians of an empty notebook and of reading ``files`` with the fastest readers."""
    empty = runs(count, args, lambda: {"seconds": time_empty_notebooks(1)})
    reading = runs(count, args, lambda: {"seconds": time_reading(files)})
    return {"empty_notebook_s": median(r["seconds"] for r in empty), "read_s": median(r["seconds"] for r in reading),
            "loads": [r["load_at_start"] for r in empty + reading]}


def measure_stage1(name: str, raw: Path, args, count: int, period: str = PERIOD) -> dict:
    """Stage 1 alone (notebook 01 under papermill) on ``raw``'s month ``period``, against its floor."""
    files = month_files(raw, period)
    say(f"{name}: floor (empty notebook + reading {len(files)} files)")
    floor = measure_floor(files, args, count)
    work = OUTPUT / "work" / name

    def one() -> dict:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with TreeWatch() as watch:
            started = time.perf_counter()
            papermill.execute_notebook(
                str(NOTEBOOK_1), str(work / "01.ipynb"), kernel_name="python3", progress_bar=False,
                extra_arguments=KERNEL_ARGUMENTS, shutdown_kernel=SHUTDOWN_KERNEL, cwd=str(NOTEBOOK_1.parent),
                parameters={"period": period, "raw_dir": str(raw), "processed_dir": str(work / "processed"),
                            "reports_dir": str(work / "reports"), "staging_dir": ""})
            seconds = time.perf_counter() - started
        peaks = watch.stage_peaks()
        return {"seconds": seconds, **(peaks[0] if peaks else {"kernel_mb": None, "helper_mb": None})}

    say(f"{name}: stage 1")
    try:
        done = runs(count, args, one)
        processed = work / "processed" / period
        counts = json.loads((processed / "manifest.json").read_text())["counts"]
        review = read_table(processed, TINJAUAN, columns=["sumber_baris"], missing_ok=True)
        to_review = 0 if review is None else len(review)
    finally:  # the month's processed rows (and a failed notebook's outputs) do not outlive the measurement
        shutil.rmtree(work, ignore_errors=True)
    stage = median(r["seconds"] for r in done)
    floor_s = round(floor["empty_notebook_s"] + floor["read_s"], 2)
    return {"kind": "stage1", "input": raw.name, "rows_read": counts["rows_read"],
            "rows_quarantined": counts["rows_quarantined"], "rows_to_review": to_review, "files": len(files),
            "seconds": stage, "floor_s": floor_s, "ratio": round(stage / floor_s, 2), **floor,
            "kernel_mb": max(r["kernel_mb"] or 0 for r in done), "helper_mb": max(r["helper_mb"] or 0 for r in done),
            "runs": done}


def run_kmc(raw: Path, work: Path) -> dict:
    """One ``kmc run`` into fresh folders below ``work``: wall seconds, per-stage seconds and peaks."""
    shutil.rmtree(work, ignore_errors=True)
    with TreeWatch() as watch:
        started = time.perf_counter()
        subprocess.run([kmc(), "run", "--period", PERIOD, "--raw-dir", str(raw), "--processed-dir",
                        str(work / "processed"), "--reports-dir", str(work / "reports"), "--quiet"], check=True)
        seconds = time.perf_counter() - started
    manifest = json.loads((work / "processed" / PERIOD / "manifest.json").read_text())
    stages = manifest["stages"]
    peaks = watch.stage_peaks()[-len(stages):]  # earlier kernels (catch-up months) come first
    if len(peaks) != len(stages):  # a kernel the watch did not see: this run's peaks are unknown
        peaks = [{"kernel_mb": None, "helper_mb": None}] * len(stages)
    return {"seconds": seconds, "rows_read": manifest["counts"]["rows_read"],
            "stages": [{**stage, **peak} for stage, peak in zip(stages, peaks)]}


def summarise_run(done: list[dict]) -> dict:
    stage_names = [s["name"] for s in done[0]["stages"]]
    stages = []
    for position, stage_name in enumerate(stage_names):
        of_stage = [r["stages"][position] for r in done]
        stages.append({"name": stage_name, "seconds": median(s["seconds"] for s in of_stage),
                       "kernel_mb": max((s["kernel_mb"] for s in of_stage if s["kernel_mb"] is not None), default=0.0),
                       "helper_mb": max((s["helper_mb"] for s in of_stage if s["helper_mb"] is not None), default=0.0)})
    return {"seconds": median(r["seconds"] for r in done), "stages": stages}


def measure_run(name: str, raw: Path, args, count: int) -> dict:
    """A whole ``kmc run`` on ``raw``, against stage 1 in the same run."""
    say(f"{name}: kmc run")
    done = runs(count, args, lambda: run_kmc(raw, OUTPUT / "work" / name))
    shutil.rmtree(OUTPUT / "work" / name, ignore_errors=True)
    summary = summarise_run(done)
    stage1 = summary["stages"][0]["seconds"]
    return {"kind": "run", "input": raw.name, "rows_read": done[0]["rows_read"], **summary,
            "stage1_s": stage1, "ratio": round(summary["seconds"] / stage1, 2), "runs": done}


def measure_sample(args, count: int) -> dict:
    """The bundled sample's monthly run (earlier months processed once before) against four empty notebooks."""
    raw = PROJECT / "data" / "raw"
    work = OUTPUT / "work" / "sample"
    shutil.rmtree(work, ignore_errors=True)
    say("sample: warm-up run (processes the earlier months of the year once)")
    subprocess.run([kmc(), "run", "--period", PERIOD, "--raw-dir", str(raw), "--processed-dir",
                    str(work / "processed"), "--reports-dir", str(work / "reports"), "--quiet"], check=True)

    def one() -> dict:
        with TreeWatch() as watch:
            started = time.perf_counter()
            subprocess.run([kmc(), "run", "--period", PERIOD, "--raw-dir", str(raw), "--processed-dir",
                            str(work / "processed"), "--reports-dir", str(work / "reports"), "--quiet"], check=True)
            seconds = time.perf_counter() - started
        stages = json.loads((work / "processed" / PERIOD / "manifest.json").read_text())["stages"]
        peaks = watch.stage_peaks()[-len(stages):]
        return {"seconds": seconds, "stages": [{**stage, **peak} for stage, peak in zip(stages, peaks)]}

    done = runs(count, args, one)
    stages = len(done[0]["stages"])
    say(f"sample: floor ({stages} empty notebooks in a new process, and in this one)")
    floor = runs(count, args, lambda: {"seconds": time_empty_notebooks_fresh(stages)})
    in_process = runs(count, args, lambda: {"seconds": time_empty_notebooks(stages)})
    shutil.rmtree(work, ignore_errors=True)
    summary = summarise_run(done)
    floor_s = median(r["seconds"] for r in floor)
    in_process_s = median(r["seconds"] for r in in_process)
    return {"kind": "sample_run", "input": "data/raw (bundled sample)", **summary, "floor_s": floor_s,
            "ratio": round(summary["seconds"] / floor_s, 2), "floor_in_process_s": in_process_s,
            "ratio_in_process": round(summary["seconds"] / in_process_s, 2), "floor_runs": floor + in_process,
            "runs": done}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(MEASUREMENTS), help="measure only these (default: all)")
    parser.add_argument("--repeat", type=runs_wanted, default=5, help="runs per small measurement (default 5)")
    parser.add_argument("--big-repeat", type=runs_wanted, default=3, help="runs per 1M / 5M measurement (default 3)")
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for a one-minute load below this")
    parser.add_argument("--max-wait", type=float, default=90, help="seconds to wait for it at most, per run")
    parser.add_argument("--inputs", type=Path, default=OUTPUT / "inputs", help="where the synthetic months are kept")
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "results.md")
    parser.add_argument("--json", type=Path, default=OUTPUT / "results.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("KMC_PSEUDONYM_KEY", KEY)
    args.inputs.mkdir(parents=True, exist_ok=True)
    chosen = args.only or list(MEASUREMENTS)
    counts = {"repeat": args.repeat, "big_repeat": args.big_repeat, "once": 1}

    previous = json.loads(args.json.read_text()) if args.only and args.json.is_file() else {}
    results = previous.get("measurements", {})
    for name in chosen:
        kind, input_name, repeat = MEASUREMENTS[name]
        raw = ensure_input(input_name, args.inputs) if input_name else None
        count = counts[repeat]
        if kind == "stage1":
            result = measure_stage1(name, raw, args, count)
        elif kind == "run":
            result = measure_run(name, raw, args, count)
        else:
            result = measure_sample(args, count)
        result["measured"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime()) + " UTC"
        result["load_after"] = load_average()
        results[name] = result
        say(f"{name}: {result['seconds']:.2f} s, ratio {result['ratio']:.2f}")
        save(results, args)  # after each measurement: a long run stopped halfway keeps what it measured
    say(f"wrote {args.results} and {args.json}")
    return 0


def save(results: dict, args) -> None:
    """Write results.json and results.md from the measurements so far."""
    data = {"machine": machine_info(PROJECT), "measurements": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    write_results(data, args.results)


if __name__ == "__main__":
    raise SystemExit(main())
