"""Whether a month's files fit in this computer's memory, said in plain words before stage 1 reads them.

Stage 1 holds a month's cells as text while it judges them, so its peak memory grows with
the size of the files. The factors below are the kernel's peak resident memory measured
on synthetic months (``benchmarks/run_all.py``: 1,000,000 and 5,000,000 CSV rows, and a
50,000-row workbook month), rounded up: a month that would not fit is refused with one
sentence saying how much it needs and how much there is, instead of the kernel being
killed halfway without a word.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from kmc_analysis.clean.folder import SUBMISSION_SUFFIXES
from kmc_analysis.core.errors import InputError, KMCError
from kmc_analysis.core.formatting import format_number

#: Memory of a stage 1 kernel before it reads anything (Python, pandas, pyarrow, the references).
BASE_BYTES = 400 * 2**20
#: Peak memory per byte of CSV text (measured: about 6 at 1M and 5M rows; rounded up).
PER_TEXT_BYTE = 8
#: Peak memory per byte of a workbook file: xlsx, xlsm and ods are zip-compressed about tenfold.
PER_WORKBOOK_BYTE = 60
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls")


def memory_needed(paths: list[Path]) -> int:
    """Bytes stage 1 is expected to need at its peak for these submission files."""
    need = BASE_BYTES
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError:
            continue  # the reader names a file it cannot open
        need += size * (PER_WORKBOOK_BYTE if path.suffix.lower() in _WORKBOOK_SUFFIXES else PER_TEXT_BYTE)
    return need


def memory_available() -> int:
    """Bytes this process may still use: free memory, or less when a container (cgroup v2) limits it."""
    available = psutil.virtual_memory().available
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return available


@contextmanager
def arrow_on_the_system_allocator() -> Iterator[None]:
    """While the block runs, Arrow takes memory from the C library's allocator instead of its bundled mimalloc.

    Stage 1 makes and drops many large Arrow buffers. mimalloc hands freed memory back to the
    operating system within milliseconds and faults it in again page by page, which on a
    virtual machine costs more system time than the work itself: at 1,000,000 rows it took
    1.9-2.3 s of system time (stage 1's wall time 4.1-5.7 s), the C library's allocator 0.9-1.4 s
    (wall 3.2-4.5 s), at the same peak memory (within 5 % at 1M and 5M rows;
    ``benchmarks/results.md``). Arrow's pool is process-wide: the one in use before is restored
    afterwards; buffers made meanwhile keep the pool that made them.
    """
    import pyarrow as pa

    _share_malloc_arenas()
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


#: glibc's ``mallopt`` parameter for the most arenas (per-thread heaps) malloc may create, and the number kept.
_M_ARENA_MAX, _ARENAS = -8, 2


def _share_malloc_arenas() -> None:
    """Let the threads that read and write a month share two of glibc's malloc arenas (a no-op elsewhere).

    With Arrow on the C library's allocator, each reading thread filled an arena of its own
    (by default up to eight per core) and their freed memory could not serve each other: on the
    synthetic 1,000,000-row month the peak was 1.49-1.51 GB, with two arenas set here 1.41 GB
    (plain month: 1.27-1.31 -> 1.18-1.23 GB), in the same time. Process-wide and kept (glibc
    cannot go back to its default), which only makes threads started later share arenas too.
    """
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, _ARENAS)
    except (OSError, AttributeError):  # not glibc: its allocator manages its own heaps
        pass


def _submission_files(opd_dir: Path) -> list[Path]:
    return [p for p in opd_dir.iterdir() if p.suffix.lower() in SUBMISSION_SUFFIXES and p.is_file()]


def submission_bytes(opd_dir: Path) -> int:
    """How many bytes the month's submission files in ``opd_dir`` hold (0 for a folder that is not there)."""
    if not opd_dir.is_dir():
        return 0
    total = 0
    for path in _submission_files(opd_dir):
        try:
            total += path.stat().st_size
        except OSError:
            continue  # the reader names a file it cannot open
    return total


def gigabytes(count: int) -> str:
    """Bytes as gigabytes with one decimal, Indonesian style: ``1,5 GB``."""
    return f"{format_number(count / 2**30, 1)} GB"


#: Address space every process of a run reserves beyond the memory it fills (thread stacks, malloc
#: arenas, libraries): measured 2.5-2.85 GB of virtual memory per kernel on the bundled sample,
#: whose kernels fill only 200-380 MB. An address-space limit (``ulimit -v``) below this plus a
#: month's need kills a kernel or its threads half way, with no word of why.
ADDRESS_SPACE_BASE = 3 * 2**30


def address_space_limit() -> int | None:
    """This process's address-space limit (``ulimit -v``) in bytes, its soft limit first raised to the hard one.

    None when there is none. Any user may raise a soft limit up to the hard one for their own
    processes, and the run's kernels inherit it.
    """
    import resource

    soft = raise_soft_limit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def raise_soft_limit(which: int) -> int:
    """Raise this process's soft limit ``which`` (a ``resource.RLIMIT_*``) to its hard one; the soft limit now.

    Any user may do so for their own processes; a run's kernels inherit it.
    """
    import resource

    soft, hard = resource.getrlimit(which)
    if soft != hard:
        try:
            resource.setrlimit(which, (hard, hard))
            return hard
        except (ValueError, OSError):
            pass
    return soft


def check_address_space(opd_dir: Path | None, limit: int | None = None) -> None:
    """Raise KMCError, in plain Indonesian, when ``ulimit -v`` leaves a run too little address space for this month.

    Without ``opd_dir``, whether the limit leaves room for any run: asked before the run
    imports its libraries, which under a limit of a few hundred MB fail in ways that blame an
    innocent file or crash. ``limit`` defaults to :func:`address_space_limit`. Not the
    input's fault: the machine's setting, like the limit on processes.
    """
    limit = address_space_limit() if limit is None else limit
    if limit is None:
        return
    files = _submission_files(opd_dir) if opd_dir is not None and opd_dir.is_dir() else []
    need = ADDRESS_SPACE_BASE + memory_needed(files)
    if need <= limit:
        return
    what = "untuk bulan ini" if files else "untuk sebuah run"
    raise KMCError(
        f"Batas memori maya proses ini (`ulimit -v`) {gigabytes(limit)}, padahal kmc run memerlukan sekitar "
        f"{gigabytes(need)} {what} (setiap kernel Jupyter mencadangkan sekitar {gigabytes(ADDRESS_SPACE_BASE)} "
        f"ruang alamat di luar datanya). Belum ada tahap yang dijalankan; hasil lama tidak berubah. Jalankan "
        f"`ulimit -v unlimited` (atau minta admin menaikkan batas itu), lalu jalankan ulang."
    )


def check_memory(opd_dir: Path, available: int | None = None) -> None:
    """Raise InputError, in plain Indonesian, when the month in ``opd_dir`` will not fit in memory.

    ``available`` defaults to :func:`memory_available`. A folder that does not exist or holds
    no submissions passes (the reader says what is wrong with it).
    """
    if not opd_dir.is_dir():
        return
    files = _submission_files(opd_dir)
    need = memory_needed(files)
    available = memory_available() if available is None else available
    if need <= available:
        return
    size = sum(p.stat().st_size for p in files)
    raise InputError(
        f"Berkas OPD di {opd_dir} ({len(files)} berkas, {gigabytes(size)}) diperkirakan membutuhkan sekitar "
        f"{gigabytes(need)} memori untuk dibersihkan, padahal yang tersedia di komputer ini hanya "
        f"{gigabytes(max(available, 0))}. Tutup aplikasi lain lalu jalankan lagi, atau jalankan di komputer "
        f"dengan memori lebih besar; tahap 1 belum membaca apa pun."
    )
