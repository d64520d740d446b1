"""Run the stage notebooks for one period with papermill, building outputs aside and publishing on success.

The runner knows nothing about what a stage does: it executes every ``NN_*.ipynb`` in
the notebooks folder in file-name order with the same typed parameters, so a new stage is
a new notebook. Outputs are built in a staging folder beside the published ones and moved
into place only when every stage succeeded, so a failed run leaves last month's outputs
exactly as they were.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kmc_analysis.core.errors import INPUT_ERROR_NAMES, InputError, KMCError
from kmc_analysis.core.manifest import now_iso
from kmc_analysis.core.paths import RunPaths, run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import FAILED_RUNS, NOTEBOOKS, has_manifest, record_stages

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".shp")


@dataclass
class RunOptions:
    """The parameters of ``kmc run`` (CONTRACT section 1)."""

    period: str
    raw_dir: Path = Path("data/raw")
    processed_dir: Path = Path("data/processed")
    reports_dir: Path = Path("reports")
    boundaries: Path | None = None
    min_cell: int = 5
    skip_unreadable: bool = False
    quiet: bool = False
    notebooks_dir: Path | None = None


class StageFailed(KMCError):
    """A stage notebook raised: carries the exit code its error maps to and where to look."""

    def __init__(self, stage: str, message: str, exit_code: int):
        super().__init__(f"Stage {stage} stopped: {message}")
        self.exit_code = exit_code


def find_notebooks(notebooks_dir: Path | None = None) -> list[Path]:
    """The stage notebooks in run order: ``./notebooks`` if it has any, else the project's own."""
    candidates = [notebooks_dir] if notebooks_dir else [Path("notebooks"), Path(__file__).resolve().parents[1] / "notebooks"]
    for folder in candidates:
        found = sorted(Path(folder).glob(NOTEBOOK_PATTERN))
        if found:
            return found
    raise InputError(
        f"No stage notebooks ({NOTEBOOK_PATTERN}) found in {', '.join(str(c) for c in candidates)}. "
        f"Run kmc from the workbook's folder, which holds notebooks/."
    )


def check_inputs(options: RunOptions) -> RunPaths:
    """Fail early, with exit 2, on a missing period folder, bad parameter, reference table or boundary file."""
    paths = run_paths(Period.parse(options.period), options.raw_dir, options.processed_dir, options.reports_dir)
    if options.min_cell < 1:
        raise InputError(f"--min-cell must be 1 or more (got {options.min_cell}).")
    if not paths.opd_dir.is_dir():
        known = sorted(p.name for p in (paths.raw_dir / "opd").glob("????-??") if p.is_dir())
        raise InputError(
            f"No OPD folder for period {options.period}: {paths.opd_dir} does not exist. "
            + (f"Periods with data: {', '.join(known)}. " if known else "")
            + "Put the month's OPD files in that folder, or check --raw-dir."
        )
    from kmc_analysis.core.reference import load_reference
    from kmc_analysis.coverage.boundaries import boundaries_for_run

    reference = load_reference(paths.reference_dir)
    boundaries_for_run(paths.reference_dir, options.boundaries or "", reference.wilayah)  # a bad file fails now
    return paths


def months_to_catch_up(paths: RunPaths) -> list[str]:
    """Earlier months of the period's year that have OPD files but no processed outputs yet."""
    return [m for m in paths.period.months_to_date()[:-1]
            if paths.opd_dir_for(m).is_dir() and not has_manifest(paths.processed_dir / str(m))]


def notebook_parameters(options: RunOptions, paths: RunPaths, staging: Path) -> dict:
    """The typed parameters every stage notebook receives."""
    return {
        "period": options.period,
        "raw_dir": str(paths.raw_dir),
        "processed_dir": str(paths.processed_dir),
        "reports_dir": str(paths.reports_dir),
        "staging_dir": str(staging),
        "boundaries": str(Path(options.boundaries).resolve()) if options.boundaries else "",
        "min_cell": int(options.min_cell),
        "skip_unreadable": bool(options.skip_unreadable),
    }


def run(options: RunOptions, say: Callable[[str], None] | None = None) -> RunPaths:
    """Execute every stage for ``options.period`` and publish the outputs; raise KMCError on failure."""
    say = say or (lambda line: None if options.quiet else print(line, file=sys.stderr, flush=True))
    paths = check_inputs(options)
    notebooks = find_notebooks(options.notebooks_dir)
    paths.processed_dir.mkdir(parents=True, exist_ok=True)
    paths.reports_dir.mkdir(parents=True, exist_ok=True)

    for month in months_to_catch_up(paths):
        _catch_up(options, paths, month, say)

    staging = Path(tempfile.mkdtemp(prefix=".kmc-run-", dir=paths.processed_dir))
    try:
        staged = run_paths(paths.period, paths.raw_dir, paths.processed_dir, paths.reports_dir, staging)
        parameters = notebook_parameters(options, paths, staging)
        executed_dir = staged.processed / NOTEBOOKS  # they show row-level examples: internal
        executed_dir.mkdir(parents=True)
        stages = []
        for number, notebook in enumerate(notebooks, 1):
            started = time.perf_counter()
            _execute(notebook, executed_dir / notebook.name, parameters, options, paths)
            seconds = round(time.perf_counter() - started, 2)
            stages.append({"name": notebook.stem, "seconds": seconds})
            say(f"[{number}/{len(notebooks)}] {notebook.stem:<28} done in {seconds:6.1f} s")
        if has_manifest(staged.processed):
            record_stages(staged.processed, stages, now_iso())
        make_private(staged.processed)
        _publish(staged.processed, paths.processed)
        _publish(staged.reports, paths.reports)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _build_index(paths)
    say(f"Outputs: {paths.processed} and {paths.reports}")
    return paths


def _catch_up(options: RunOptions, paths: RunPaths, month: Period, say: Callable[[str], None]) -> None:
    """Run stage 1 for an earlier month of the year so year-to-date figures include it."""
    from kmc_analysis.clean.stage import clean_month
    from kmc_analysis.core.reference import load_reference

    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=".kmc-run-", dir=paths.processed_dir))
    try:
        staged = run_paths(month, paths.raw_dir, paths.processed_dir, paths.reports_dir, staging)
        parameters = {"period": str(month), "catch_up_for": options.period, "skip_unreadable": options.skip_unreadable}
        try:
            clean_month(staged, load_reference(paths.reference_dir), parameters=parameters,
                        skip_unreadable=options.skip_unreadable)
        except InputError as problem:
            raise InputError(f"Earlier month {month} (needed for year-to-date figures), "
                             f"{paths.opd_dir_for(month)}: {problem}") from None
        make_private(staged.processed)
        _publish(staged.processed, paths.processed_dir / str(month))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"Earlier month {month} (for year-to-date figures): stage 1 done in {time.perf_counter() - started:.1f} s")


def _execute(notebook: Path, output: Path, parameters: dict, options: RunOptions, paths: RunPaths) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name="python3",
            progress_bar=not options.quiet and sys.stderr.isatty(), log_output=False,
            cwd=str(notebook.parent), report_mode=True,
            # The kernel's own log lines (start-up warnings, an interrupt at shutdown under load) are
            # noise on the user's terminal; errors in cells reach us through papermill.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as error:
        kept = _keep_failed(output, paths)
        is_input = error.ename in INPUT_ERROR_NAMES
        detail = error.evalue if is_input else f"{error.ename}: {error.evalue}"
        hint = "" if is_input else f" The executed notebook with the full error is {kept}."
        raise StageFailed(notebook.stem, detail + hint, 2 if is_input else 1) from None
    except Exception as error:  # kernel died, notebook unreadable, ...
        raise StageFailed(notebook.stem, f"{type(error).__name__}: {error}", 1) from None


def _keep_failed(executed: Path, paths: RunPaths) -> Path | str:
    """Copy a failed stage's executed notebook out of staging, so the user can read the error."""
    if not executed.exists():
        return "not available"
    target = paths.processed_dir / FAILED_RUNS / str(paths.period) / executed.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    return target


def make_private(folder: Path) -> None:
    """Make a processed period folder and everything in it readable by its owner only (0700 / 0600)."""
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


def _publish(built: Path, target: Path) -> None:
    """Replace ``target`` with ``built``: the old folder is moved aside first and removed last."""
    if not built.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    try:
        shutil.move(str(built), str(target))
    except BaseException:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _build_index(paths: RunPaths) -> None:
    """Refresh the reports index, the list of every published period."""
    from kmc_analysis.report import build_index

    build_index(paths.reports_dir)
