"""The ``kmc`` command: ``kmc run`` for the monthly analysis, ``kmc synth`` for synthetic data."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from kmc_analysis import __version__
from kmc_analysis.core.errors import KMCError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kmc`` (CONTRACT section 1)."""
    parser = argparse.ArgumentParser(
        prog="kmc", description="KMC workbook: clean, map and evaluate Kartu Metro Ceria beneficiary data.")
    parser.add_argument("--version", action="version", version=f"kmc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run every stage for one month and publish its outputs",
                              description="Run every stage notebook for one month (YYYY-MM) and publish "
                                          "the processed data and the report.")
    run.add_argument("--period", required=True, help="the month to analyse, YYYY-MM (e.g. 2024-03)")
    run.add_argument("--raw-dir", type=Path, default=Path("data/raw"),
                     help="folder with reference/ and opd/YYYY-MM/ (default: data/raw)")
    run.add_argument("--processed-dir", type=Path, default=Path("data/processed"),
                     help="where processed data go; holds personal data (default: data/processed)")
    run.add_argument("--reports-dir", type=Path, default=Path("reports"),
                     help="where the publishable report goes (default: reports)")
    run.add_argument("--boundaries", type=Path, default=None,
                     help="boundary file (GeoPackage, GeoJSON, Shapefile); default: RAW/reference/batas*, "
                          "else a schematic tile map")
    run.add_argument("--min-cell", type=int, default=5,
                     help="person counts from 1 to N-1 below city level are shown as <N (default: 5)")
    run.add_argument("--skip-unreadable", action="store_true",
                     help="record unreadable files and sheets in the manifest and go on, instead of stopping")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")

    synth = commands.add_parser("synth", help="write a synthetic month of OPD submissions",
                                description="Write a synthetic but realistic month of OPD submissions "
                                            "(plus the reference folder, if absent) laid out as a raw dir.")
    synth.add_argument("--period", required=True, help="the month to synthesise, YYYY-MM")
    synth.add_argument("--out", type=Path, required=True, help="raw dir to write into")
    synth.add_argument("--rows", type=int, default=None,
                       help="data rows to write, the plan scaled to that size (default: as many as the "
                            "catalogue's plan pays that month)")
    synth.add_argument("--seed", type=int, default=1, help="random seed; same seed, same bytes (default: 1)")
    synth.add_argument("--clean", action="store_true", help="write defect-free data (default: messy)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        return _synth(args)
    except KMCError as error:
        print(f"kmc {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"kmc {args.command}: interrupted; published outputs were left as they were.", file=sys.stderr)
        return 130
    except Exception as error:  # the last line must still say what happened in words
        if os.environ.get("KMC_DEBUG"):
            traceback.print_exc()
        print(f"kmc {args.command}: unexpected error ({type(error).__name__}: {error}). Published outputs "
              f"were left as they were. Set KMC_DEBUG=1 to see the traceback, and report it.", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from kmc_analysis.runner import RunOptions, run

    run(RunOptions(
        period=args.period, raw_dir=args.raw_dir, processed_dir=args.processed_dir,
        reports_dir=args.reports_dir, boundaries=args.boundaries, min_cell=args.min_cell,
        skip_unreadable=args.skip_unreadable, quiet=args.quiet,
    ))
    return 0


def _synth(args: argparse.Namespace) -> int:
    from kmc_analysis.core.errors import InputError
    from kmc_analysis.core.periods import Period
    from kmc_analysis.synth import synthesize

    period = Period.parse(args.period)
    if args.rows is not None and args.rows < 1:
        raise InputError(f"--rows must be 1 or more (got {args.rows}).")
    result = synthesize(period, args.out, rows=args.rows, seed=args.seed, clean=args.clean)
    print(f"kmc synth: wrote {result.rows_written} rows in {len(result.files)} files under "
          f"{args.out / 'opd' / str(period)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
