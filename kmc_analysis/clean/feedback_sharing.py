"""A large month's feedback workbooks written by two processes: this one and a helper, each taking the next OPD.

Writing xlsx is slow in Python (a million-row month's workbooks take a couple of seconds),
so stage 1 shares them with a helper process while it writes its other outputs. Both sides
go through the month's OPDs in one order, longest workbook first, and each writes the next
OPD the other has not taken yet: an OPD is taken by creating its claim file (which only one
process can create), so neither side waits while the other still has work, whatever the
machine's speed. The workbooks are the same as :func:`~kmc_analysis.clean.feedback.write_feedback`
writes; a helper that cannot start or fails leaves its workbooks to the caller.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from kmc_analysis.clean.feedback import FeedbackMonth, write_one
from kmc_analysis.core.store import feedback_file_names

#: Seconds per row read that stage 1 spends on its other outputs after starting the feedback job
#: (karantina.csv, tinjauan.csv, rekap_opd.csv; penerima.parquet is written beside the review): the
#: caller's head start, unless the caller says how busy it is.
CALLER_SECONDS_PER_MONTH_ROW = 0.7e-6
#: Seconds a feedback helper needs before it writes (a new Python importing pandas and xlsxwriter),
#: when it was not started ahead of the work; and the least work worth handing to it.
HELPER_START_SECONDS = 0.5
#: From this many bytes of submissions (about 100,000 rows of CSV or 150,000 of xlsx), stage 1 starts
#: the feedback helper before it reads them, so the helper's imports are done beside the reading.
HELPER_AHEAD_FROM_BYTES = 12 * 2**20


class FeedbackHelper:
    """A helper process that writes feedback workbooks, possibly started before their rows are known.

    A plain subprocess (``python -m kmc_analysis.clean.feedback_sharing``): a multiprocessing
    pool would hold up a Jupyter kernel's shutdown by seconds. Started, it imports what
    writing needs (half a second), then waits on its standard input for the path of a
    handover file (a pickle of the month, the order of its OPDs and where to claim them);
    a closed input ends it without writing. A helper that cannot start (no process left to
    this user) or fails leaves its work to the caller. Use it as a context manager, so a
    stage that fails ends it too.
    """

    def __init__(self, start: bool = True):
        self._process: subprocess.Popen | None = None
        self._working = False
        if start:
            try:
                self._process = subprocess.Popen([sys.executable, "-m", __name__],
                                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, text=True)
            except OSError:
                self._process = None

    def __enter__(self) -> FeedbackHelper:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        """Whether a helper process runs (waiting for work, or writing)."""
        return self._process is not None

    def hand_over(self, handover: Path) -> bool:
        """Give the helper its work (a pickle written by :class:`FeedbackJob`); False if it is gone."""
        try:
            self._process.stdin.write(f"{handover}\n")
            self._process.stdin.flush()
        except OSError:  # it died waiting
            self.stop()
            return False
        self._working = True
        return True

    def paths_written(self) -> list[Path] | None:
        """Wait for the helper and return the paths it wrote; None when it failed (its last words are dropped)."""
        out, _ = self._process.communicate()
        failed = self._process.returncode != 0
        self._process = None
        return None if failed else [Path(line) for line in out.splitlines() if line]

    def stop(self) -> None:
        """End the helper: one waiting for work ends when its input closes, one writing is killed."""
        if self._process is None:
            return
        if self._working:
            self._process.kill()
        try:
            self._process.communicate()  # closes its input
        except OSError:
            self._process.wait()
        self._process = None


class FeedbackJob:
    """A month's feedback workbooks being written: by a helper process from now on, by the caller in :meth:`finish`.

    A helper is used when the month's workbooks are worth more than its start
    (:func:`_helper_share`, from :meth:`FeedbackMonth.seconds_per_opd`): the caller still has
    ``caller_busy`` seconds of other outputs to write (by default ``month_rows`` rows' worth,
    :data:`CALLER_SECONDS_PER_MONTH_ROW`), a helper not started ahead (``helper``) first has
    to start (:data:`HELPER_START_SECONDS`). A small month's workbooks are written by the
    caller alone. With a helper, both sides take OPDs in turn (see the module's docstring).
    """

    def __init__(self, month: FeedbackMonth, out_dir: Path, month_rows: int = 0, helper: FeedbackHelper | None = None,
                 caller_busy: float | None = None):
        self._month = month
        self._out_dir = out_dir
        self._names = feedback_file_names(month.opds(), month.period)
        seconds = month.seconds_per_opd()
        self._order = list(seconds.index)
        ahead = helper is not None and helper.started
        if caller_busy is None:
            caller_busy = CALLER_SECONDS_PER_MONTH_ROW * month_rows
        worth_a_helper = bool(_helper_share(seconds, caller_busy, 0.0 if ahead else HELPER_START_SECONDS))
        self._helper: FeedbackHelper | None = None
        self._handover = out_dir.parent / f".{out_dir.name}_{os.getpid()}.pickle"
        self._claims = out_dir.parent / f".{out_dir.name}_{os.getpid()}.claims"
        if worth_a_helper:
            out_dir.mkdir(parents=True, exist_ok=True)
            self._claims.mkdir(mode=0o700, exist_ok=True)
            # the rows sent back hold names and NIKs: readable by the operator alone, like the folder
            with os.fdopen(os.open(self._handover, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                pickle.dump((month, self._names, out_dir, self._order, self._claims), handle)
            candidate = helper if ahead else FeedbackHelper()
            if candidate.started and candidate.hand_over(self._handover):
                self._helper = candidate
        if ahead and self._helper is None:
            helper.stop()

    def finish(self) -> list[Path]:
        """Write every workbook the helper has not taken, wait for it, and return every path written (sorted)."""
        try:
            claims = self._claims if self._helper is not None else None
            written = write_unclaimed(self._month, self._out_dir, self._names, self._order, claims)
            if self._helper is not None:
                theirs = self._helper.paths_written()
                if theirs is None:  # it failed: whatever it took is written here (a half-written file is replaced)
                    mine = set(written)
                    left = [opd for opd in self._order if self._out_dir / self._names[opd] not in mine]
                    theirs = write_unclaimed(self._month, self._out_dir, self._names, left)
                written += theirs
        finally:
            self.abandon()
        return sorted(written)

    def abandon(self) -> None:
        """Stop the helper if it still writes and remove the handover (names and NIKs) and the claims."""
        if self._helper is not None:
            self._helper.stop()  # still writing only when this side failed
            self._helper = None
        self._handover.unlink(missing_ok=True)
        shutil.rmtree(self._claims, ignore_errors=True)


def write_unclaimed(month: FeedbackMonth, out_dir: Path, names: dict[str, str], order: list[str],
                    claims: Path | None = None) -> list[Path]:
    """Write, in ``order``, each OPD's workbook the other side has not claimed in ``claims``; the paths written.

    Without ``claims`` every OPD of ``order`` is written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for position, opd in enumerate(order):
        if claims is not None and not _claim(claims, position):
            continue
        path = out_dir / names[opd]
        write_one(month, opd, path)
        written.append(path)
    return written


def _claim(claims: Path, position: int) -> bool:
    """Take the OPD at ``position`` of the order: True for the one process that creates its claim file."""
    try:
        os.close(os.open(claims / str(position), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def _helper_share(seconds: pd.Series, caller_busy: float, helper_busy: float) -> set[str]:
    """The OPDs a helper would write if each went, longest first, to the side free sooner.

    ``seconds`` per OPD, longest first; ``caller_busy`` and ``helper_busy`` the seconds
    each side needs before it can start (the helper's: starting, unless it was started
    ahead). Nothing when the helper's share would take less time than its start: then no
    helper is worth using.
    """
    helper_load, caller_load, mine = helper_busy, caller_busy, set()
    for opd, cost in seconds.items():
        if helper_load <= caller_load:
            helper_load += cost
            mine.add(opd)
        else:
            caller_load += cost
    if not mine or helper_load - helper_busy < helper_busy:
        return set()
    return mine


def _helper_main() -> None:
    """The helper process of FeedbackHelper: wait for a handover file, write the OPDs it claims, print each path."""
    handover = sys.stdin.readline().strip()
    if not handover:  # stopped without work
        return
    with open(handover, "rb") as handle:
        month, names, out_dir, order, claims = pickle.load(handle)
    for path in write_unclaimed(month, out_dir, names, order, claims):
        print(path)


if __name__ == "__main__":
    _helper_main()
