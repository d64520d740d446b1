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


def stop_if_asked() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C or SIGTERM arrived and its interrupt was dropped on the way."""
    if _pending:
        raise KeyboardInterrupt


def _remember_and_interrupt(_signum, _frame) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


def _quiet_about_dropped_interrupts(default_hook):
    """An unraisable-exception hook that stays silent on a KeyboardInterrupt (it is raised again later)."""
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        default_hook(unraisable)
    return hook


@contextmanager
def stop_requests_honoured() -> Iterator[None]:
    """While the block runs, SIGTERM stops the run as Ctrl-C does, and neither request can be lost.

    Ctrl-C keeps the way the user's shell set it up: a run started in the background by a
    shell that ignores Ctrl-C for such jobs goes on ignoring it. Outside the main thread
    signals are left alone.
    """
    global _pending
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
    _pending = False
    default_hook, sys.unraisablehook = sys.unraisablehook, _quiet_about_dropped_interrupts(sys.unraisablehook)
    try:
        yield
    finally:
        sys.unraisablehook = default_hook
        for number, handler in previous.items():
            signal.signal(number, handler)
        _pending = False
