"""One run at a time per processed folder; a killed run never blocks the next."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from kmc_analysis.core.errors import RunBusyError
from kmc_analysis.core.store import RUN_LOCK
from kmc_analysis.locking import FolderLock, lock_run_folders

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kmc_analysis.locking import FolderLock
    FolderLock(Path(sys.argv[1])).acquire()
    print("siap", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def other_run(tmp_path):
    """Another process holding the lock of ``tmp_path`` until the test ends (or kills it)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "siap"
    yield holder
    holder.kill()
    holder.wait()


def test_a_second_run_on_the_same_folder_is_refused_naming_folder_pid_and_time(tmp_path, other_run):
    with pytest.raises(RunBusyError) as refused:
        FolderLock(tmp_path).acquire()
    message = str(refused.value)
    assert str(tmp_path) in message and f"PID {other_run.pid}" in message and "sejak 20" in message
    assert refused.value.exit_code == 2


def test_a_killed_run_does_not_block_the_next(tmp_path, other_run):
    other_run.send_signal(signal.SIGKILL)
    other_run.wait()
    with FolderLock(tmp_path) as lock:
        assert (tmp_path / RUN_LOCK).read_text().split()[0] == str(os.getpid())
    assert lock._descriptor is None


def test_the_lock_file_is_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        with FolderLock(tmp_path):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / RUN_LOCK).stat().st_mode) == 0o600


def test_processed_and_reports_in_one_folder_are_locked_once(tmp_path):
    with lock_run_folders(tmp_path, tmp_path / "." ):
        pass
    with lock_run_folders(tmp_path, tmp_path):
        with pytest.raises(RunBusyError):
            FolderLock(tmp_path).acquire()
