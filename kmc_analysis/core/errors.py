"""Exceptions the workbook raises for its users, with the exit status each one maps to."""

import re


class KMCError(Exception):
    """Base class: a problem the user can act on, explained in one or two plain sentences."""

    exit_code = 1


class InputError(KMCError):
    """Bad input: an unreadable file, a missing column, an unknown period, a bad parameter (exit 2)."""

    exit_code = 2


class ReferenceDataError(InputError):
    """A reference table (wilayah, penduduk, program, RPJMD) is missing columns or holds bad values."""


class BoundaryError(InputError):
    """A boundary file cannot be read or its features do not match the wilayah reference."""


class StageError(KMCError):
    """A stage broke one of its own invariants (a bug or an unexpected input shape, exit 1)."""


class RunBusyError(KMCError):
    """Another ``kmc run`` holds the processed folder's lock (exit 2, as the contract says)."""

    exit_code = 2


class PublishError(KMCError):
    """Moving the built outputs into place failed; the message says what state was left (exit 1)."""


class RunInterrupted(KMCError):
    """The run was stopped by Ctrl-C or SIGTERM; the message says what state was left (exit 130)."""

    exit_code = 130


class UnexpectedError(KMCError):
    """An error the workbook did not foresee, reported by type and place only (its text may hold data)."""

    def __init__(self, message: str, error_type: str):
        super().__init__(message)
        self.error_type = error_type


#: Exception class names that mean "bad input" when they surface from a notebook kernel.
INPUT_ERROR_NAMES = frozenset({"InputError", "ReferenceDataError", "BoundaryError"})
#: Errors a stage raises to refuse publishing (exit 1) whose text is written never to hold a value:
#: the leak check names the file and the kind of data, the disclosure audit the table, unit and column.
REFUSAL_ERROR_NAMES = frozenset({"PersonalDataError", "DisclosureError"})


#: What an error says when the user may start no more processes or threads (``ulimit -u`` reached):
#: fork failing with EAGAIN, Python refusing a thread, pyarrow failing to launch a worker thread.
NO_MORE_TASKS = re.compile(r"can't start new thread|Resource temporarily unavailable|\[Errno 11\]")


def stopped_by_task_limit(error: BaseException) -> bool:
    """Whether ``error`` comes from the machine refusing a new process or thread, not from the work."""
    return isinstance(error, BlockingIOError) or bool(NO_MORE_TASKS.search(str(error)))
