"""Ctrl-C and SIGTERM while ``kmc run`` works: stop the run, and never let a request to stop be lost.

Python raises a signal's KeyboardInterrupt wherever the main thread happens to be. When
that is inside a finaliser (a weakref callback run by the garbage collector, a
``__del__``: papermill and jupyter_client leave many), Python prints "Exception ignored
in ..." with a traceback and drops the exception, and a library's ``except BaseException``
can drop it too: the run then went on, published and exited 0 although the operator had
asked it to stop (attack 19). So while :func:`stop_requests_honoured` is active a request
is remembered until the run has stopped for it: :func:`stop_if_asked`, which the runner
calls between stages and before publishing, raises it again, and a dropped interrupt is
not printed.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from typing import Iterator

#: Whether a Ctrl-C or SIGTERM arrived that the run has not yet stopped for.
_pending = False
#: Whether the run has begun publishing: from then on a request is remembered but stops nothing.
_publishing = False


def stop_if_asked() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C or SIGTERM arrived and its interrupt was dropped on the way.

    Once the run publishes (:func:`finish_before_stopping`) nothing is raised.
    """
    if _pending and not _publishing:
        raise KeyboardInterrupt


def finish_before_stopping() -> None:
    """From now on a Ctrl-C or SIGTERM no longer interrupts the run: it is publishing and ends by itself.

    Publishing is a handful of renames and the index of reports: interrupted half way, the run
    exited 130 with the new month already in place, or with the old one to be restored by the
    next run (attack 20). :func:`stop_arrived_while_finishing` tells whether one came meanwhile.
    """
    global _publishing
    _publishing = True


def stop_arrived_while_finishing() -> bool:
    """Whether a Ctrl-C or SIGTERM arrived after :func:`finish_before_stopping`."""
    return _publishing and _pending


def _remember_and_interrupt(_signum, _frame) -> None:
    global _pending
    _pending = True
    if not _publishing:
        raise KeyboardInterrupt


def _quiet_about_dropped_interrupts(default_hook):
    """An unraisable-exception hook that stays silent on a KeyboardInterrupt (it is raised again later)."""
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        default_hook(unraisable)
    return hook


@contextmanager
def stop_requests_honoured(then_ignore: bool = False) -> Iterator[None]:
    """While the block runs, SIGTERM stops the run as Ctrl-C does, and neither request can be lost.

    Ctrl-C keeps the way the user's shell set it up: a run started in the background by a
    shell that ignores Ctrl-C for such jobs goes on ignoring it. Outside the main thread
    signals are left alone. ``then_ignore`` (the ``kmc`` command, whose process ends with the
    block): after the block both are ignored instead of restored, so that a request arriving
    while the command prints its last line does not kill it with its outcome untold.
    """
    global _pending, _publishing
    wanted = {signal.SIGTERM: _remember_and_interrupt}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        wanted[signal.SIGINT] = _remember_and_interrupt
    previous = {}
    try:
        for number, handler in wanted.items():
            previous[number] = signal.signal(number, handler)
    except ValueError:  # not the main thread
        yield
        return
    _pending = _publishing = False
    default_hook, sys.unraisablehook = sys.unraisablehook, _quiet_about_dropped_interrupts(sys.unraisablehook)
    try:
        yield
    finally:
        sys.unraisablehook = default_hook
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_IGN if then_ignore else handler)
        _pending = _publishing = False
