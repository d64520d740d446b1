"""Run the stage notebooks for one period with papermill, building outputs aside and publishing on success.

The runner knows nothing about what a stage does: it executes every ``NN_*.ipynb`` in
the notebooks folder in file-name order with the same typed parameters, so a new stage is
a new notebook. In order, a run:

1. checks its inputs, that the user may start the processes a run needs, and loads the
   pseudonym key (:mod:`kmc_analysis.preflight`);
2. locks the processed and reports dirs (:mod:`kmc_analysis.locking`) and settles what
   an interrupted run left (:func:`kmc_analysis.publishing.recover`);
3. checks the key of the year's earlier months and cleans those that need it;
4. runs the stages into staging folders and publishes everything by renames
   (:mod:`kmc_analysis.publishing`), then refreshes ``reports/index.html``.

A failure at any step leaves the published period folders as they were.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kmc_analysis.clean.memory import check_address_space, submission_bytes
from kmc_analysis.clean.pseudonyms import PseudonymKey
from kmc_analysis.core.errors import InputError, KMCError, RunInterrupted, StageError, UnexpectedError
from kmc_analysis.core.manifest import now_iso
from kmc_analysis.core.paths import RunPaths, run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import ReferenceData
from kmc_analysis.core.store import (
    FAILED_RUNS,
    INDEX,
    NOTEBOOKS,
    PUBLISH_JOURNAL,
    has_manifest,
    read_dtks_summary,
    read_manifest,
    record_stages,
)
from kmc_analysis.execution import execute_stage
from kmc_analysis.interrupts import finish_before_stopping, stop_arrived_while_finishing, stop_if_asked
from kmc_analysis.locking import lock_run_folders
from kmc_analysis.preflight import (
    EarlierMonths,
    check_inputs,
    check_room_for_tasks,
    earlier_months,
    load_run_key,
    room_for_a_kernel_ahead,
)
from kmc_analysis.progress import Console, dtks_notice, manifest_notices, seconds_text, stage_line
from kmc_analysis.publishing import Move, Staging, describe_os_error, fix_for, make_private, publish, recover
from kmc_analysis.stage_kernels import SMALL_MONTH_BYTES, StageKernels

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"


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
    reclean_year: bool = False
    quiet: bool = False
    notebooks_dir: Path | None = None
    #: Seconds between "masih berjalan" lines when stderr is not a terminal.
    heartbeat_seconds: float = 15.0


def find_notebooks(notebooks_dir: Path | None = None) -> list[Path]:
    """The stage notebooks in run order: ``./notebooks`` if it has any, else the project's own."""
    candidates = [notebooks_dir] if notebooks_dir else [Path("notebooks"), Path(__file__).resolve().parents[1] / "notebooks"]
    for folder in candidates:
        found = sorted(Path(folder).glob(NOTEBOOK_PATTERN))
        if found:
            return found
    raise InputError(
        f"Notebook tahap ({NOTEBOOK_PATTERN}) tidak ditemukan di {', '.join(str(c) for c in candidates)}. "
        f"Jalankan kmc dari folder buku kerja yang berisi folder notebooks/."
    )


def notebook_parameters(options: RunOptions, paths: RunPaths, staging: Staging) -> dict:
    """The typed parameters every stage notebook receives (never the pseudonym key)."""
    return {
        "period": str(paths.period),
        "raw_dir": str(paths.raw_dir),
        "processed_dir": str(paths.processed_dir),
        "reports_dir": str(paths.reports_dir),
        "staging_dir": staging.name,
        "boundaries": str(Path(options.boundaries).resolve()) if options.boundaries else "",
        "min_cell": int(options.min_cell),
        "skip_unreadable": bool(options.skip_unreadable),
    }


def run(options: RunOptions, say: Callable[[str], None] | None = None) -> RunPaths:
    """Execute every stage for ``options.period`` and publish the outputs; raise KMCError on failure."""
    console = Console(options.quiet, say)
    paths, reference = check_inputs(options.period, options.raw_dir, options.processed_dir, options.reports_dir,
                                     options.min_cell, options.boundaries)
    notebooks = find_notebooks(options.notebooks_dir)
    check_address_space(paths.opd_dir)  # first: under a tight `ulimit -v` the task check's threads fail too
    check_room_for_tasks()
    key = load_run_key(console)
    _Run(options, paths, reference, key, notebooks, console).execute()
    console.say(f"Hasil: {paths.processed} dan {paths.reports}")
    return paths


class _Run:
    """One run after its inputs were checked: knows what it has done, so its failure message is true."""

    def __init__(self, options: RunOptions, paths: RunPaths, reference: ReferenceData, key: PseudonymKey,
                 notebooks: list[Path], console: Console):
        self.options, self.paths, self.reference, self.key = options, paths, reference, key
        self.notebooks, self.console = notebooks, console
        self.phase = "menyiapkan folder"
        self.published = False
        self.kernels = StageKernels(notebooks, ahead=room_for_a_kernel_ahead(),
                                    beside_first=submission_bytes(paths.opd_dir) < SMALL_MONTH_BYTES)

    def execute(self) -> None:
        """Lock, recover, clean earlier months, run the stages, publish; errors become KMCErrors."""
        try:
            for folder in (self.paths.processed_dir, self.paths.reports_dir):
                folder.mkdir(parents=True, exist_ok=True)
            with self.kernels, lock_run_folders(self.paths.processed_dir, self.paths.reports_dir):
                self.kernels.prepare(0)  # its kernel starts while the folders are checked and earlier months cleaned
                self.phase = "memulihkan run sebelumnya"
                for line in recover(self.paths.processed_dir, self.paths.reports_dir):
                    self.console.say(line)
                self.phase = "memeriksa kunci bulan-bulan sebelumnya"
                months = earlier_months(self.paths, self.key, self.options.reclean_year)
                self._build_and_publish(months)
            self.phase = "memperbarui daftar laporan"
            self._refresh_index()
            if stop_arrived_while_finishing():
                self.console.say("Permintaan berhenti (Ctrl-C atau SIGTERM) datang saat hasil diterbitkan; "
                                 "penerbitan dituntaskan lebih dulu.")
        except KMCError:
            raise
        except KeyboardInterrupt:
            raise RunInterrupted(f"Run dihentikan (Ctrl-C atau SIGTERM) saat {self.phase}. {self._state()}") from None
        except OSError as problem:
            folder = Path(problem.filename).parent if problem.filename else self.paths.processed_dir
            raise KMCError(f"Run berhenti saat {self.phase}: {describe_os_error(problem)} di {folder}. "
                           f"{self._state()} {fix_for(problem, folder)}") from problem
        except Exception as error:
            raise UnexpectedError(
                f"Kesalahan tak terduga ({type(error).__name__}) saat {self.phase}. {self._state()} "
                f"Laporkan kesalahan ini; KMC_DEBUG=1 menampilkan traceback-nya.", type(error).__name__) from error

    def _state(self) -> str:
        """What became of the published outputs, said truthfully."""
        if self.published:
            return "Hasil baru sudah terbit lengkap sebelum itu."
        if (self.paths.processed_dir / PUBLISH_JOURNAL).exists():
            return ("Penerbitan belum tuntas dan tercatat di jurnal: run berikutnya mengembalikan hasil lama "
                    "sebelum mulai.")
        return "Hasil lama tidak berubah."

    def _build_and_publish(self, months: EarlierMonths) -> None:
        staging = Staging.create(self.paths.processed_dir, self.paths.reports_dir)
        try:
            staged = run_paths(self.paths.period, self.paths.raw_dir, self.paths.processed_dir,
                               self.paths.reports_dir, staging.name)
            for month in months.all:
                self._clean_earlier_month(staged, month, reclean=month in months.reclean)
                stop_if_asked()
            self._run_stages(staged, staging)
            self.phase = "menyiapkan penerbitan"
            stop_if_asked()  # the last check before anything is published
            finish_before_stopping()
            make_private(staging.processed_root)
            moves = [Move.plan(staging.processed_root / str(m), self.paths.processed_dir / str(m))
                     for m in [*months.all, self.paths.period]]
            moves.append(Move.plan(staged.reports, self.paths.reports))
            self.phase = "menerbitkan hasil"
            left = publish(moves, list(staging.roots), self.paths.processed_dir / PUBLISH_JOURNAL)
            self.published = True
            if left:
                self.console.say(f"Folder sementara {', '.join(map(str, left))} tidak dapat dihapus; "
                                 f"run berikutnya menghapusnya.")
            shutil.rmtree(self.paths.processed_dir / FAILED_RUNS / str(self.paths.period), ignore_errors=True)
        finally:
            staging.remove()

    def _clean_earlier_month(self, staged: RunPaths, month: Period, reclean: bool) -> None:
        """Stage 1 for an earlier month of the year, into this run's staging folder."""
        from kmc_analysis.clean.stage import clean_month

        why = "dibersihkan ulang dengan kunci sekarang" if reclean else "untuk angka tahun berjalan"
        self.phase = f"tahap 1 bulan {month}"
        started = time.perf_counter()
        month_paths = run_paths(month, self.paths.raw_dir, self.paths.processed_dir, self.paths.reports_dir,
                                staged.staging_name)
        parameters = {"period": str(month), "catch_up_for": str(self.paths.period),
                      "skip_unreadable": self.options.skip_unreadable, "reclean_year": reclean}
        try:
            with self.console.heartbeat(f"Tahap 1 bulan {month}", self.options.heartbeat_seconds):
                result = clean_month(month_paths, self.reference, parameters=parameters,
                                     skip_unreadable=self.options.skip_unreadable, key=self.key,
                                     allow_no_rows=True)
        except InputError as problem:
            raise InputError(f"Bulan {month} ({why}), {self.paths.opd_dir_for(month)}: {problem}") from None
        self.console.say(f"Bulan {month} ({why}): tahap 1 selesai dalam {seconds_text(time.perf_counter() - started)}")
        for line in manifest_notices(result.manifest, prefix=f"Bulan {month}: "):
            self.console.say(line)

    def _run_stages(self, staged: RunPaths, staging: Staging) -> None:
        parameters = notebook_parameters(self.options, self.paths, staging)
        executed_dir = staged.processed / NOTEBOOKS  # they show row-level examples: internal
        executed_dir.mkdir(parents=True)
        failed_dir = self.paths.processed_dir / FAILED_RUNS / str(self.paths.period)
        stages, told = [], False
        for number, notebook in enumerate(self.notebooks, 1):
            self.phase = f"tahap {number} ({notebook.stem})"
            stop_if_asked()
            started = time.perf_counter()
            with self.console.heartbeat(f"Tahap {number}", self.options.heartbeat_seconds):
                execute_stage(notebook, executed_dir / notebook.name, parameters, self.console, failed_dir,
                              kernel=self.kernels.for_stage(number - 1))
            seconds = round(time.perf_counter() - started, 2)
            stages.append({"name": notebook.stem, "seconds": seconds})
            self.console.say(stage_line(number, len(self.notebooks), notebook.stem, seconds))
            if not told and has_manifest(staged.processed):
                told = True
                self._after_cleaning(read_manifest(staged.processed), notebook.stem)
        if has_manifest(staged.processed):
            record_stages(staged.processed, stages, now_iso())
        notice = dtks_notice(read_dtks_summary(staged.processed))
        if notice:
            self.console.say(notice)

    def _after_cleaning(self, manifest: dict, stage: str) -> None:
        """Tell what stage 1 left out, and make sure the kernel used the runner's key."""
        if manifest.get("key_id") != self.key.key_id:
            raise StageError(f"Tahap {stage} memakai kunci pseudonim lain (key_id {manifest.get('key_id')}) daripada "
                             f"yang diperiksa runner ({self.key.key_id}). Periksa {self.key.source} dan variabel "
                             f"lingkungan KMC_PSEUDONYM_KEY*, lalu jalankan ulang.")
        for line in manifest_notices(manifest):
            self.console.say(line)

    def _refresh_index(self) -> None:
        from kmc_analysis.report import build_index

        try:
            build_index(self.paths.reports_dir)
        except Exception as error:
            raise KMCError(f"Hasil periode {self.paths.period} sudah terbit lengkap, tetapi daftar laporan "
                           f"{self.paths.reports_dir / INDEX} tidak dapat diperbarui ({type(error).__name__}). "
                           f"Jalankan ulang kmc run untuk memperbaruinya.") from error
