"""Ctrl-C and SIGTERM while a run works: a request to stop is never lost, the shell's choices are kept."""

import os
import signal
import time
import weakref

import pytest

from kmc_analysis.interrupts import stop_if_asked, stop_requests_honoured


def _interrupt_dropped_in_a_weakref_callback(signum: int) -> None:
    class Collected:
        pass

    def callback(_ref):
        os.kill(os.getpid(), signum)
        time.sleep(0.5)  # the handler raises here, and Python drops the exception with the callback

    thing = Collected()
    reference = weakref.ref(thing, callback)
    del thing
    assert reference() is None


@pytest.fixture
def ctrl_c_not_ignored():
    """Ctrl-C as a terminal delivers it, also when the tests run as a background job (which ignores it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_dropped_by_a_finaliser_is_raised_again_at_the_next_check(signum, capfd, ctrl_c_not_ignored):
    with stop_requests_honoured():
        _interrupt_dropped_in_a_weakref_callback(signum)
        with pytest.raises(KeyboardInterrupt):
            stop_if_asked()
    assert "Exception ignored" not in capfd.readouterr().err
    stop_if_asked()  # outside the block nothing is pending


def test_without_a_request_the_checks_pass_and_the_handlers_are_restored():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with stop_requests_honoured():
        stop_if_asked()
        assert signal.getsignal(signal.SIGTERM) is not before[0]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_ctrl_c_ignored_by_the_shell_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job of a non-interactive shell
    try:
        with stop_requests_honoured():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            stop_if_asked()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_request_while_publishing_stops_nothing_and_is_told_after():
    from kmc_analysis.interrupts import finish_before_stopping, stop_arrived_while_finishing

    with stop_requests_honoured():
        finish_before_stopping()
        os.kill(os.getpid(), signal.SIGTERM)  # attack 20: exit 130 with the new month half or wholly published
        time.sleep(0.05)
        stop_if_asked()  # publishing goes on
        assert stop_arrived_while_finishing()
    assert not stop_arrived_while_finishing()


def test_the_kmc_command_ignores_requests_once_its_run_is_over():
    # attack 20: a SIGTERM arriving after the run's last line killed the command (exit -15, outcome untold)
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        with stop_requests_honoured(then_ignore=True):
            pass
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
