"""One ``kmc run`` at a time per processed folder: an OS lock on a lock file.

The lock is ``fcntl.flock`` on ``PROCESSED/.kmc-run.lock`` (and on the same name in the
reports dir, which a run also writes into). The operating system releases it when the
holding process ends, however it ends, so a killed run never blocks the next one. The
file keeps the holder's PID and start time so that a refused run can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from kmc_analysis.core.errors import RunBusyError
from kmc_analysis.core.store import RUN_LOCK


class FolderLock:
    """An exclusive, non-blocking lock on one folder's lock file, held until :meth:`release`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / RUN_LOCK
        self._descriptor: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock or raise RunBusyError naming the folder, the holder's PID and since when."""
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(descriptor)
            os.close(descriptor)
            raise RunBusyError(
                f"Folder {self.folder} sedang dipakai oleh kmc run lain{holder}. Tunggu sampai run itu "
                f"selesai, lalu jalankan ulang; dua run sekaligus pada folder yang sama tidak diizinkan "
                f"agar hasilnya tidak tercampur."
            ) from None
        except BaseException:
            os.close(descriptor)
            raise
        os.fchmod(descriptor, 0o600)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n{datetime.now().astimezone().isoformat(timespec='seconds')}\n".encode())
        self._descriptor = descriptor
        return self

    def release(self) -> None:
        """Let go of the lock (closing the file releases it); the file itself stays."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(descriptor: int) -> str:
    """`` (PID 123, sejak 2024-04-02T09:15:00+07:00)`` from the lock file, or nothing if not yet written."""
    try:
        text = os.pread(descriptor, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        return ""
    if len(text) >= 2 and text[0].isdigit():
        return f" (PID {text[0]}, sejak {text[1]})"
    return ""


def lock_run_folders(*folders: Path) -> ExitStack:
    """Lock every distinct folder in order; the returned stack releases them all when closed."""
    stack = ExitStack()
    seen = []
    try:
        for folder in folders:
            resolved = Path(folder).resolve()
            if resolved not in seen:
                seen.append(resolved)
                stack.enter_context(FolderLock(resolved))
    except BaseException:
        stack.close()
        raise
    return stack
