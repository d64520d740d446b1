"""Execute one stage notebook with papermill, and turn its failure into one safe Indonesian sentence.

A cell's exception text may quote a cell value (a NIK, a name), so for anything but the
project's own ``InputError`` family only the error's type, the stage and where the
executed notebook was kept (owner-only, inside the processed dir) are printed.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from pathlib import Path

from kmc_analysis.core.errors import (
    INPUT_ERROR_NAMES,
    NO_MORE_TASKS,
    REFUSAL_ERROR_NAMES,
    InputError,
    KMCError,
    UnexpectedError,
)
from kmc_analysis.progress import Console
from kmc_analysis.publishing import make_private
from kmc_analysis.stage_kernels import ENGINE_NAME, kernel_arguments, prestarted_engine

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ERRNO = re.compile(r"^\[Errno (\d+)\]")
_DISK_FULL, _NO_PERMISSION = (28, 122), (1, 13, 30)


class StageInputError(InputError):
    """A stage stopped on bad input: the project's own message, prefixed with the stage."""


class StageFailure(UnexpectedError):
    """A stage stopped on an error the project did not foresee; ``details`` is the cell's traceback."""

    def __init__(self, message: str, error_type: str, details: str = ""):
        super().__init__(message, error_type)
        self.details = details


#: jsonschema's optional IRI format checker: jupyterlab's dependencies install it, and importing it
#: builds some 35 Earley parsers (1.6-2.1 s of every run on a 2-core machine; jsonschema issue 1428).
#: No notebook schema uses that format, so papermill is imported without it.
SLOW_OPTIONAL_IMPORT = "rfc3987_syntax"


def import_papermill():
    """papermill, imported without :data:`SLOW_OPTIONAL_IMPORT` when jsonschema is not loaded yet.

    Marking a module absent in ``sys.modules`` makes its import fail, and jsonschema then
    registers every format checker but the IRI one.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault(SLOW_OPTIONAL_IMPORT, None)
    import papermill

    return papermill


def execute_stage(notebook: Path, output: Path, parameters: dict, console: Console, failed_dir: Path,
                  kernel=None) -> None:
    """Run ``notebook`` into ``output``; on failure keep a copy in ``failed_dir`` and raise a KMCError.

    ``kernel``: a kernel manager started ahead for this notebook (:mod:`kmc_analysis.stage_kernels`);
    without one papermill starts a kernel. Either way the kernel is stopped when the notebook ends.
    """
    papermill = import_papermill()
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    papermill_engines.register(ENGINE_NAME, prestarted_engine())

    if not os.environ.get("KMC_DEBUG"):
        # A kernel-channel callback failing while a kernel shuts down under load logs a traceback
        # through tornado, and an interrupted run leaves nbclient's kernel-watching task to be
        # reported by asyncio ("Task exception was never retrieved ... DeadKernelError") after the
        # run's own last line; a cell's own error reaches us through papermill, so those logs are noise.
        # nbclient also logs a dying kernel in English ("Kernel died while waiting for execute reply.")
        # through papermill's logger, before our own sentence says so in the user's language.
        for noisy in ("tornado", "asyncio", "papermill"):
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name="python3",
            progress_bar=console.shows_bar, log_output=False, cwd=str(notebook.parent), report_mode=True,
            engine_name=ENGINE_NAME, km=kernel, extra_arguments=kernel_arguments(notebook), shutdown_kernel="immediate",
        )
    except PapermillExecutionError as error:
        kept = keep_failed_notebook(output, failed_dir)
        raise stage_failure(notebook.stem, error.ename, error.evalue, kept,
                            "\n".join(error.traceback or [])) from None
    except Exception as error:  # the kernel died, the notebook is unreadable, the disk is full, ...
        kept = keep_failed_notebook(output, failed_dir)
        if isinstance(error, OSError) and error.errno in (*_DISK_FULL, *_NO_PERMISSION):
            # papermill writing the executed notebook into staging: say what the user can fix
            raise stage_failure(notebook.stem, type(error).__name__, f"[Errno {error.errno}] {error.strerror}",
                                kept) from None
        # a kernel killed while it starts ends in jupyter_client's RuntimeError "Kernel died before replying"
        if type(error).__name__ == "DeadKernelError" or "Kernel died" in str(error):
            raise StageFailure(
                f"Tahap {notebook.stem} berhenti: kernel Python mati mendadak ({type(error).__name__}), biasanya "
                f"karena memori komputer habis sehingga sistem menghentikannya, atau karena dihentikan dari luar. "
                f"Hasil lama tidak berubah. {_where(kept)} Tutup aplikasi lain atau jalankan di komputer dengan memori "
                f"lebih besar, lalu jalankan ulang.", type(error).__name__, str(error)) from None
        raise StageFailure(
            f"Tahap {notebook.stem} berhenti: kernel Python gagal menjalankan notebook ({type(error).__name__}). "
            f"Hasil lama tidak berubah. {_where(kept)} Jalankan ulang; bila terulang, jalankan dengan KMC_DEBUG=1 "
            f"dan laporkan.", type(error).__name__, str(error)) from None


def stage_failure(stage: str, ename: str, evalue: str, kept: Path | None, details: str = "") -> KMCError:
    """The error to report for a cell that raised ``ename``: its own message only for the project's InputErrors."""
    if ename in INPUT_ERROR_NAMES:
        return StageInputError(f"Tahap {stage}: {evalue}")
    if ename in REFUSAL_ERROR_NAMES:
        return KMCError(f"Tahap {stage}: {evalue}")
    errno_match = _ERRNO.match(evalue or "")
    number = int(errno_match.group(1)) if errno_match else None
    if number in _DISK_FULL:
        return KMCError(f"Tahap {stage} berhenti: disk penuh saat menulis hasil. Hasil lama tidak berubah. "
                        f"Kosongkan ruang disk pada folder data olahan dan laporan, lalu jalankan ulang.")
    if ename == "BlockingIOError" or NO_MORE_TASKS.search(evalue or ""):
        return StageFailure(f"Tahap {stage} berhenti: komputer menolak membuat proses atau thread baru (batas jumlah "
                            f"proses pengguna ini, `ulimit -u`, sudah tercapai). Hasil lama tidak berubah. Tutup "
                            f"program lain milik pengguna ini atau minta admin menaikkan batas itu, lalu jalankan "
                            f"ulang.", ename, _ANSI.sub("", details))
    if number in _NO_PERMISSION:
        return StageFailure(f"Tahap {stage} berhenti: izin ditolak saat membaca atau menulis sebuah berkas "
                            f"({ename}). Hasil lama tidak berubah. {_where(kept)} Periksa izin berkas dan folder "
                            f"yang dipakai, lalu jalankan ulang.", ename, _ANSI.sub("", details))
    return StageFailure(
        f"Tahap {stage} berhenti karena kesalahan tak terduga ({ename}). Hasil lama tidak berubah. {_where(kept)} "
        f"Laporkan kesalahan ini; KMC_DEBUG=1 menampilkan traceback-nya.", ename, _ANSI.sub("", details))


def _where(kept: Path | None) -> str:
    if kept is None:
        return "Notebook yang dieksekusi tidak dapat disimpan."
    return (f"Rinciannya ada di notebook yang dieksekusi {kept} (hanya dapat dibaca pemiliknya: "
            f"bisa memuat data pribadi).")


def keep_failed_notebook(executed: Path, failed_dir: Path) -> Path | None:
    """Copy a failed stage's executed notebook out of staging into ``failed_dir`` (owner-only)."""
    if not executed.exists():
        return None
    try:
        failed_dir.mkdir(parents=True, exist_ok=True)
        make_private(failed_dir.parent)
        target = failed_dir / executed.name
        shutil.copyfile(executed, target)
        make_private(failed_dir.parent)
        return target
    except OSError:
        return None
