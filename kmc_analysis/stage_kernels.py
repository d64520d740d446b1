"""Start each stage's kernel while the stage before it runs, and stop every kernel without waiting on it.

The stages run one after another, each in a kernel of its own (CONTRACT 1). papermill
alone starts a notebook's kernel and waits for it to answer (0.6-0.9 s on two cores),
then the notebook's first cell imports pandas, geopandas, matplotlib and the project's
modules (0.3-1 s), and at the end it waits for the kernel to exit (0.2-0.3 s). None of
that needs the stage before to have finished: :class:`StageKernels` starts the next
stage's kernel when a stage starts, with the imports the next notebook begins with already
done (:func:`warm_up`, run by the kernel as it starts, before it answers), and the engine
below stops a finished stage's kernel at once. Each notebook still runs in its own new
kernel, in order, with the same cells and parameters, so its outputs do not change.

Beside the first stage a kernel is started only for a small month: that stage reads the
whole month, counts on the free memory it measured before reading and keeps both cores
busy (its memory targets leave no room for another kernel's 200-300 MB).
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import functools
import json
import os
import signal
import sys
import time
from pathlib import Path

#: The project's own package: a notebook that begins by importing it has its leading imports done ahead.
PROJECT_PACKAGE = "kmc_analysis"

#: Below this many bytes of submission files (about 100,000 CSV rows) a month is small: its stage 1
#: peaks under 600 MB and leaves a core mostly idle, so the next stage's kernel starts beside it.
SMALL_MONTH_BYTES = 12 * 2**20

#: The name under which the runner registers :class:`PrestartedKernelEngine` with papermill.
ENGINE_NAME = "kmc-prestarted"

#: While cells run, the executed notebook is written to staging at most this often (papermill
#: writes it before and after every cell); it is always written whole when the notebook ends.
NOTEBOOK_SAVE_SECONDS = 10.0

#: Arguments every stage kernel starts with: its own log lines (start-up warnings, an interrupt at
#: shutdown under load) are noise on the user's terminal; errors in cells reach us through papermill.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL",)

#: Run by every stage kernel as it starts, in a namespace of its own and importing nothing of the
#: project: ask Linux to kill the kernel the moment the process that started it dies
#: (PR_SET_PDEATHSIG = 1). A kernel runs in a session of its own, so a runner killed with its
#: process group left it running, and ipykernel ends an orphan only when it next looks, up to a
#: second later: time enough for a stage to write into the staging folder that the next run's
#: recovery had just removed. Elsewhere than Linux, or when the request fails, ipykernel's check
#: remains; a runner that died before the request was made ends the kernel at once.
END_WITH_RUNNER = """\
import ctypes, os, signal, sys
parent = int(os.environ.get("JPY_PARENT_PID") or 0)
if sys.platform.startswith("linux") and parent > 1:
    try:
        asked = ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL)) == 0
    except (OSError, AttributeError):
        asked = False
    if asked and os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
"""


def modules_to_warm(notebook: Path) -> list[str]:
    """The modules ``notebook`` imports before it does anything else (``from a.b import c``: a.b, a.b.c).

    Only the leading imports are done ahead: the code cells are read statement by
    statement, passing imports, literal assignments (the parameters cell) and docstrings,
    and stop at the first other statement or at a cell that is not plain Python (a magic).
    A notebook that sets an environment variable or ``sys.path`` before importing thus
    imports everything itself, after setting it. A name that is no module is harmless:
    :func:`warm_up` skips what it cannot import. A notebook that does not begin by importing
    the project gets nothing done ahead (it is not one of this project's stages).
    """
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    found: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        try:
            statements = ast.parse("".join(source) if isinstance(source, list) else str(source)).body
        except (SyntaxError, ValueError):
            break
        for node in statements:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.module and not node.level:
                    found += [node.module,
                              *(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")]
            elif not _changes_nothing_imports_see(node):
                return _imports_of_a_stage(found)
    return _imports_of_a_stage(found)


def _changes_nothing_imports_see(node: ast.stmt) -> bool:
    """Whether a statement only binds literals or is a docstring (what may come before imports done ahead)."""
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return all(isinstance(target, ast.Name) for target in targets)
    return False


def _imports_of_a_stage(names: list[str]) -> list[str]:
    """``names`` without repeats, or none when the notebook does not begin by importing the project."""
    if not any(name == PROJECT_PACKAGE or name.startswith(PROJECT_PACKAGE + ".") for name in names):
        return []
    return list(dict.fromkeys(names))


#: The name of a module-level tuple by which a project module lists the libraries its functions
#: import only when called (to keep ``import kmc_analysis...`` light for an analyst); a kernel
#: started ahead imports them too, since its stage will call those functions. These alone are
#: imported earlier than the notebook would: a notebook that, after its leading imports, sets an
#: environment variable these libraries read when imported (OMP_NUM_THREADS for scipy's BLAS, say)
#: and then imports or calls them finds it ignored (attack 19); the project's notebooks set none.
LAZY_IMPORTS_ATTRIBUTE = "IMPORTS_WHEN_USED"


def warm_up(modules: list[str]) -> None:
    """Import ``modules`` in this kernel, and the libraries they import when used; skip what cannot be imported.

    A module that fails to import is skipped: the notebook's own import says why, in its cell.
    """
    import importlib
    import sys

    def quietly_import(name: str) -> None:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - see the docstring
            pass

    for name in modules:
        quietly_import(name)
    ours = [module for name, module in list(sys.modules.items())
            if name == PROJECT_PACKAGE or name.startswith(PROJECT_PACKAGE + ".")]
    for library in dict.fromkeys(lib for module in ours for lib in getattr(module, LAZY_IMPORTS_ATTRIBUTE, ())):
        quietly_import(library)


def kernel_arguments(notebook: Path) -> list[str]:
    """The command-line arguments of ``notebook``'s kernel: quiet, ending with its runner, its leading imports done.

    IPython runs ``exec_lines`` without history, before the kernel answers its first
    request: no numbered cell and no name is left in the notebook's namespace. The project
    is imported only when the notebook begins by importing it.
    """
    lines = [f"exec({END_WITH_RUNNER!r}, {{}})"]
    modules = modules_to_warm(notebook)
    if modules:
        lines.append(f"__import__({__name__!r}, fromlist=['warm_up']).warm_up({modules!r})")
    return [*KERNEL_ARGUMENTS, "--IPKernelApp.exec_lines=" + json.dumps(lines)]


class StageKernels:
    """The kernels of a run's stages: each started while the stage before it runs, when there is room.

    Use as a context manager around the stages; :meth:`for_stage` gives stage ``index`` its
    kernel (None: papermill starts one as it always did) and starts the next stage's. On
    leaving, every kernel it started is stopped and its connection file removed (the engine
    has stopped those whose stage ended; stopping twice is harmless), so a failed or
    interrupted run leaves none behind, even when the interrupt lands between handing a
    kernel to a stage and papermill taking it. ``ahead``: whether kernels are started ahead
    at all (the user may start the processes and threads of two kernels at once);
    ``beside_first``: also beside the first stage (a small month). :meth:`prepare` starts a
    kernel before its stage's turn (the first stage's while the runner checks folders and
    cleans earlier months).
    """

    def __init__(self, notebooks: list[Path], ahead: bool = True, beside_first: bool = False):
        self.notebooks = list(notebooks)
        self.ahead, self.beside_first = ahead, beside_first
        self._started: dict[int, object] = {}  # not yet handed to its stage
        self._all: list = []

    def __enter__(self) -> "StageKernels":
        return self

    def __exit__(self, *exc) -> None:
        self._started.clear()
        while self._all:
            _stop(self._all.pop())

    def prepare(self, index: int) -> None:
        """Start stage ``index``'s kernel now, if kernels are started ahead and it has none yet."""
        if self.ahead and index < len(self.notebooks) and index not in self._started:
            started = _start(self.notebooks[index], self._all)
            if started is not None:
                self._started[index] = started

    def for_stage(self, index: int):
        """Stage ``index``'s kernel if one was started ahead and is alive (else None); start the next one."""
        kernel = self._started.pop(index, None)
        if kernel is not None and not _alive(kernel):
            _stop(kernel)
            kernel = None
        if index > 0 or self.beside_first:
            self.prepare(index + 1)
        return kernel


def _start(notebook: Path, started: list):
    """A kernel for ``notebook`` started in its folder (:func:`kernel_arguments`), listed in ``started``; None if not.

    A kernel that cannot start ahead (no more processes allowed, say) is not an error here:
    papermill starts one when the stage comes and reports what goes wrong then. It is listed
    before it starts, so that an interrupt landing while it starts leaves it to be stopped.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name="python3")
    started.append(manager)
    try:
        run_sync(manager.start_kernel)(cwd=str(Path(notebook).parent), extra_arguments=kernel_arguments(notebook),
                                       **_ending_with_this_process())
    except Exception:  # noqa: BLE001 - see the docstring: the stage itself will start its kernel
        _stop(manager)
        return None
    return manager


def _ending_with_this_process() -> dict:
    """Options for the kernel's Popen that make it die with this process from its first instruction (Linux).

    :data:`END_WITH_RUNNER` asks the same of Linux once the kernel has imported ipykernel,
    0.7-1.2 s after it starts: a runner killed before that left the kernel starting on its
    own, for up to a second (attack 19). Here the request is made in the child between fork
    and exec, where it survives the exec of Python. Only two system calls run there, through
    a function resolved beforehand: nothing that could wait on a lock held by another thread
    of the runner.
    """
    if not sys.platform.startswith("linux"):
        return {}
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return {}
    parent, pr_set_pdeathsig, kill = os.getpid(), ctypes.c_int(1), ctypes.c_ulong(int(signal.SIGKILL))

    def die_with_parent() -> None:
        prctl(pr_set_pdeathsig, kill)
        if os.getppid() != parent:  # the runner died before the request was made
            os._exit(1)

    return {"preexec_fn": die_with_parent}


def _alive(manager) -> bool:
    from jupyter_core.utils import run_sync

    try:
        return bool(run_sync(manager.is_alive)())
    except Exception:  # noqa: BLE001 - a manager that cannot tell is treated as holding no kernel
        return False


def _stop(manager) -> None:
    """Stop a kernel started ahead at once and remove its connection file; never raises."""
    from jupyter_core.utils import run_sync

    try:
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - stopping is best effort; the kernel exits with its parent anyway
        pass
    try:
        run_sync(manager.cleanup_resources)()
    except Exception:  # noqa: BLE001
        pass


@functools.cache
def prestarted_engine():
    """papermill's nbclient engine running on a kernel started ahead (``km=``), which it stops when done.

    papermill hands an engine's keyword arguments to nbclient, which uses a given kernel
    but leaves it running (it is the caller's); this engine asks nbclient to clean it up as
    its own, and ``shutdown_kernel="immediate"`` (an nbclient option, passed by the caller)
    stops it without waiting for the interpreter to tear down a large heap: every cell has
    finished and written its files by then.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.log import logger

    class PrestartedKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kwargs.pop("input_path", None)
            client = PapermillNotebookClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            with saved_now_and_then(nb_man):
                return client.execute(cleanup_kc=True)

    return PrestartedKernelEngine


@contextlib.contextmanager
def saved_now_and_then(nb_man, every: float = NOTEBOOK_SAVE_SECONDS):
    """Within the block, papermill's ``nb_man.save()`` writes the notebook only if ``every`` seconds have passed.

    Why: papermill serialises and validates the whole notebook, its images and tables included,
    before and after each cell; on the bundled sample that was 0.35-0.6 s of each stage's 2 s,
    spent between cells. Outside the block saving is papermill's own again, so the save after
    the last cell (``notebook_complete``, also after a failed cell) writes the notebook whole.
    """
    save = nb_man.save
    last_saved = time.monotonic()

    def save_now_and_then(**kwargs):
        nonlocal last_saved
        if time.monotonic() - last_saved >= every:
            save(**kwargs)
            last_saved = time.monotonic()

    nb_man.save = save_now_and_then
    try:
        yield nb_man
    finally:
        del nb_man.save
