"""Checks before stage 1: bad input fails in seconds, with exit 2, before any notebook starts.

The period, the OPD folder, ``--min-cell``, the reference tables, the boundary file, the
pseudonym key, and (under the run lock) the key of the year's earlier processed months.
Also whether the machine lets this user start the processes and threads a run needs
(exit 1: not the input's fault).
"""

from __future__ import annotations

import os
import resource
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kmc_analysis.clean.folder import list_folder
from kmc_analysis.clean.memory import raise_soft_limit
from kmc_analysis.clean.pseudonyms import KEY_ENV, KEY_FILE_ENV, PseudonymKey, load_key
from kmc_analysis.core.errors import InputError, KMCError
from kmc_analysis.core.paths import RunPaths, run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import ReferenceData, load_reference
from kmc_analysis.core.store import has_manifest, read_manifest
from kmc_analysis.progress import Console


@dataclass
class EarlierMonths:
    """Earlier months of the period's year that this run cleans (stage 1) before the period itself."""

    catch_up: list[Period] = field(default_factory=list)
    reclean: list[Period] = field(default_factory=list)

    @property
    def all(self) -> list[Period]:
        """Every month to clean, in time order."""
        return sorted({*self.catch_up, *self.reclean})


def check_inputs(period: str, raw_dir: Path, processed_dir: Path, reports_dir: Path, min_cell: int,
                 boundaries: Path | None) -> tuple[RunPaths, ReferenceData]:
    """Check the run's parameters, reference tables and boundary file; InputError (exit 2) on the first fault."""
    paths = run_paths(Period.parse(period), raw_dir, processed_dir, reports_dir)
    if min_cell < 1:
        raise InputError(f"--min-cell harus 1 atau lebih (tertulis {min_cell}): jumlah orang 1 sampai N-1 "
                         f"di bawah tingkat kota ditampilkan sebagai <N. Pakai misalnya --min-cell 5.")
    for option, folder in (("--processed-dir", processed_dir), ("--reports-dir", reports_dir)):
        _check_output_folder(option, Path(folder))
    if not paths.opd_dir.is_dir():
        known = sorted(p.name for p in (paths.raw_dir / "opd").glob("????-??") if p.is_dir())
        raise InputError(
            f"Folder berkas OPD untuk periode {paths.period} tidak ada: {paths.opd_dir}. "
            + (f"Periode yang ada datanya: {', '.join(known)}. " if known else "")
            + "Taruh berkas OPD bulan itu di folder tersebut, atau periksa --raw-dir."
        )
    try:
        next(paths.opd_dir.iterdir(), None)
    except PermissionError:
        raise InputError(
            f"Folder berkas OPD untuk periode {paths.period} tidak dapat dibuka (izin ditolak): {paths.opd_dir}. "
            f"Ubah izinnya agar dapat dibaca pengguna yang menjalankan kmc (mis. chmod u+rx), lalu jalankan lagi."
        ) from None
    listing = list_folder(paths.opd_dir)
    if not listing.submissions and not listing.unreadable:
        others = f" (ada {len(listing.ignored)} berkas lain yang bukan berkas OPD)" if listing.ignored else ""
        raise InputError(
            f"Folder berkas OPD untuk periode {paths.period} tidak berisi berkas OPD (.xlsx, .xlsm, .xls, .ods atau "
            f".csv){others}: {paths.opd_dir}. Taruh berkas OPD bulan itu di folder tersebut, lalu jalankan lagi: "
            f"tanpa berkas, laporan bulan itu akan menyebut nol penerima."
        )
    reference = load_reference(paths.reference_dir)
    from kmc_analysis.coverage.boundaries import boundaries_for_run

    boundaries_for_run(paths.reference_dir, str(Path(boundaries).resolve()) if boundaries else "", reference.wilayah)
    return paths, reference


def _check_output_folder(option: str, folder: Path) -> None:
    """InputError when an output folder, or a folder above it, is a file: it could never be made."""
    for place in (folder, *folder.absolute().parents):
        if place.exists():
            if place.is_dir():
                return
            what = "adalah" if place == folder else f"berada di bawah {place}, yang"
            raise InputError(
                f"{option} {folder} {what} sebuah berkas, bukan folder: hasil tidak dapat ditulis di sana. Pilih "
                f"folder lain untuk {option} (atau pindahkan berkas itu), lalu jalankan lagi."
            )


def load_run_key(console: Console) -> PseudonymKey:
    """Load (or create and announce) the pseudonym key; point the kernels at the same key file.

    The key never travels as a notebook parameter: a kernel inherits the runner's
    environment, where ``KMC_PSEUDONYM_KEY`` stays as the user set it, or
    ``KMC_PSEUDONYM_KEY_FILE`` is set to the key file's absolute path (a relative path
    would resolve elsewhere in the notebooks' folder).
    """
    key = load_key()
    if key.path is not None and KEY_ENV not in os.environ:
        os.environ[KEY_FILE_ENV] = str(key.path)
    if key.created:
        console.say(f"Berkas kunci pseudonim baru dibuat: {key.path}. Simpan cadangannya di tempat aman: "
                    f"tanpa kunci ini id_penerima bulan-bulan berikutnya tidak cocok lagi dengan bulan-bulan "
                    f"sebelumnya, sehingga perbandingan antarbulan rusak.")
    return key


def earlier_months(paths: RunPaths, key: PseudonymKey, reclean_year: bool) -> EarlierMonths:
    """Which earlier months of the year to clean; InputError when one was processed under another key.

    A month with OPD files but no processed outputs is cleaned so year-to-date figures
    include it. A processed month whose manifest has another ``key_id`` stops the run,
    unless ``reclean_year``: then it is cleaned again from its raw files under this key.
    """
    found = EarlierMonths()
    other_key: dict[Period, str] = {}
    for month in paths.period.months_to_date()[:-1]:
        folder = paths.processed_dir / str(month)
        if not has_manifest(folder):
            if paths.opd_dir_for(month).is_dir():
                found.catch_up.append(month)
            continue
        recorded = _recorded_key_id(folder)
        if recorded != key.key_id:
            other_key[month] = recorded
    if not other_key:
        return found
    months = ", ".join(str(m) for m in other_key)
    if not reclean_year:
        recorded = ", ".join(sorted(set(other_key.values())))
        raise InputError(
            f"Bulan {months} sudah diolah dengan kunci pseudonim lain (key_id {recorded}, sedangkan kunci sekarang "
            f"{key.key_id}); id_penerima dalam satu tahun harus berasal dari satu kunci. Kembalikan kunci lama "
            f"(berkas kunci dari cadangan atau {KEY_ENV}), atau jalankan ulang dengan --reclean-year agar bulan "
            f"itu dibersihkan ulang dari berkas mentahnya dengan kunci sekarang."
        )
    missing = [str(m) for m in other_key if not paths.opd_dir_for(m).is_dir()]
    if missing:
        raise InputError(
            f"Bulan {', '.join(missing)} tidak dapat dibersihkan ulang dengan kunci sekarang: folder berkas OPD-nya "
            f"({paths.opd_dir_for(Period.parse(missing[0]))}) tidak ada. Kembalikan berkas mentah bulan itu, atau "
            f"kembalikan kunci lama dan jalankan tanpa --reclean-year."
        )
    found.reclean = list(other_key)
    return found


def _recorded_key_id(folder: Path) -> str:
    """The key_id a processed month's manifest records ('tidak terbaca' when it cannot be read)."""
    try:
        return str(read_manifest(folder).get("key_id") or "tidak tercatat")
    except (OSError, ValueError):
        return "tidak terbaca"


#: Tasks (processes and threads) a run's process tree holds at its peak: the runner with its
#: ZeroMQ threads, a kernel with ipykernel's, OpenBLAS's and pyarrow's threads, and stage 1's two
#: helpers on a large month. Measured at 33 on two cores, 30 on one, and 46 on two cores with
#: OMP_NUM_THREADS=16 (pyarrow sizes its pool by that variable), plus one for what a 5 ms sampling
#: may have missed.
RUN_TASKS_BASE, RUN_TASKS_PER_CORE = 28, 2
#: A stage kernel started ahead holds ZeroMQ's 4 threads, ipykernel's, pyarrow's allocator's and
#: OpenBLAS's (one per core): 15 on two cores; a run with one measured 52 at its peak (34 without).
KERNEL_AHEAD_TASKS_BASE = 16
_IDLE_THREAD_STACK = 256 * 1024


def tasks_a_run_needs(cores: int | None = None, arrow_threads: int | None = None) -> int:
    """Processes and threads ``kmc run`` holds at once at its peak.

    ``cores``: the cores this process may use; ``arrow_threads``: the size of pyarrow's
    thread pool (the cores, or ``OMP_NUM_THREADS``); both default to this machine's.
    """
    if cores is None:
        cores = _cores()
    if arrow_threads is None:
        import pyarrow

        arrow_threads = pyarrow.cpu_count()
    return RUN_TASKS_BASE + RUN_TASKS_PER_CORE * cores + arrow_threads


def _cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_room_for_tasks(needed: int | None = None) -> None:
    """Raise KMCError when this user may not start the processes and threads a run needs.

    The per-user limit (``ulimit -u``) counts every task of the user, and a cgroup's
    ``pids.max`` every task of the group, so the only sure test is to try: the check starts
    as many idle threads as the run will add to this process, then lets them go. Without it a
    run under a tight limit fails half way, in pyarrow or in a kernel, with a message that
    blames a valid input file or says nothing useful. A soft ``ulimit -u`` below the hard one
    is first raised to it, for this run only (any user may do that for their own processes).
    """
    needed = tasks_a_run_needs() if needed is None else needed
    soft = _raise_soft_task_limit()
    could = _tasks_that_could_run(needed)
    if could >= needed:
        return
    limit = f"batas `ulimit -u` pengguna ini {soft}" if soft != resource.RLIM_INFINITY else "batas pids.max cgroup"
    raise KMCError(
        f"Komputer tidak mengizinkan pengguna ini memulai cukup banyak proses dan thread untuk kmc run: perlu "
        f"sekitar {needed} sekaligus, yang masih bisa dimulai hanya {could} ({limit}, dihitung bersama "
        f"program lain milik pengguna ini). Belum ada tahap yang dijalankan; hasil lama tidak berubah. Tutup "
        f"program lain milik pengguna ini atau minta admin menaikkan batas itu (mis. `ulimit -u 4096`), lalu "
        f"jalankan ulang."
    )


def room_for_a_kernel_ahead(cores: int | None = None) -> bool:
    """Whether this user may also hold the next stage's kernel started ahead (kmc_analysis.stage_kernels).

    Asked after :func:`check_room_for_tasks`: a run that has room for its own tasks but not
    for those of a second kernel runs its stages as before, each kernel started in turn.
    """
    if cores is None:
        cores = _cores()
    needed = tasks_a_run_needs(cores) + KERNEL_AHEAD_TASKS_BASE + cores
    return _tasks_that_could_run(needed) >= needed


def _tasks_that_could_run(needed: int) -> int:
    """This process's tasks plus the idle threads it could start, trying up to ``needed`` in all."""
    own = _own_tasks()
    return own + _idle_threads_started(needed - own)


def _raise_soft_task_limit() -> int:
    """Raise this process's soft RLIMIT_NPROC to its hard limit (its kernels inherit it); the new soft limit."""
    return raise_soft_limit(resource.RLIMIT_NPROC)


def _idle_threads_started(wanted: int) -> int:
    """Start up to ``wanted`` idle threads at once, then let them end; how many could be started."""
    release = threading.Event()
    started: list[threading.Thread] = []
    # small stacks: an idle thread needs little, and a memory limit (ulimit -v) must not pass for this one
    usual_stack = threading.stack_size(_IDLE_THREAD_STACK)
    try:
        for _ in range(wanted):
            thread = threading.Thread(target=release.wait, daemon=True)
            thread.start()
            started.append(thread)
    except RuntimeError:  # "can't start new thread": the limit was reached
        pass
    finally:
        threading.stack_size(usual_stack)
        release.set()
        for thread in started:
            thread.join()
    return len(started)


def _own_tasks() -> int:
    """Threads of this process now (each counts against the limits like a process)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()
