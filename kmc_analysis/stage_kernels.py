"""Start each stage's kernel while the stage before it runs, and stop every kernel without waiting on it.

The stages run one after another, each in a kernel of its own (CONTRACT 1). papermill
alone starts a notebook's kernel and waits for it to answer (0.6-0.9 s on two cores),
then the notebook's first cell imports pandas, geopandas, matplotlib and the project's
modules (0.3-1 s), and at the end it waits for the kernel to exit (0.2-0.3 s). None of
that needs the stage before to have finished: :class:`StageKernels` starts the next
stage's kernel when a stage starts, with the project's modules the next notebook imports
already imported (:func:`warm_up`, run by the kernel as it starts, before it answers), and
the engine below stops a finished stage's kernel at once. Each notebook still runs in its
own new kernel, in order, with the same cells and parameters, so its outputs do not
change.

Beside the first stage a kernel is started only for a small month: that stage reads the
whole month, counts on the free memory it measured before reading and keeps both cores
busy (its memory targets leave no room for another kernel's 200-300 MB).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

#: The project's own package: only its modules are imported ahead (they do nothing on import but
#: define things, so importing them early cannot change what a notebook does; another library
#: might read, say, an environment variable the notebook sets before importing it).
PROJECT_PACKAGE = "kmc_analysis"

#: Below this many bytes of submission files (about 100,000 CSV rows) a month is small: its stage 1
#: peaks under 600 MB and leaves a core mostly idle, so the next stage's kernel starts beside it.
SMALL_MONTH_BYTES = 12 * 2**20

#: The name under which the runner registers :class:`PrestartedKernelEngine` with papermill.
ENGINE_NAME = "kmc-prestarted"

#: Arguments every stage kernel starts with: its own log lines (start-up warnings, an interrupt at
#: shutdown under load) are noise on the user's terminal; errors in cells reach us through papermill.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL",)


def modules_to_warm(notebook: Path) -> list[str]:
    """The project's modules ``notebook`` imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``), in order.

    Read from the code cells' source; a cell that is not plain Python (a magic) is skipped.
    A name that is no module is harmless: :func:`warm_up` skips what it cannot import.
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
            tree = ast.parse("".join(source) if isinstance(source, list) else str(source))
        except (SyntaxError, ValueError):
            continue
        imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        for node in sorted(imports, key=lambda node: (node.lineno, node.col_offset)):
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")]
    ours = [name for name in found if name == PROJECT_PACKAGE or name.startswith(PROJECT_PACKAGE + ".")]
    return list(dict.fromkeys(ours))


#: The name of a module-level tuple by which a project module lists the libraries its functions
#: import only when called (to keep ``import kmc_analysis...`` light for an analyst); a kernel
#: started ahead imports them too, since its stage will call those functions.
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
    """The command-line arguments of ``notebook``'s kernel: quiet, and running :func:`as_stage_kernel` as it starts.

    The line leaves no name in the notebook's namespace and no numbered cell (IPython runs
    ``exec_lines`` without history, before the kernel answers its first request).
    """
    line = f"__import__({__name__!r}, fromlist=['as_stage_kernel']).as_stage_kernel({modules_to_warm(notebook)!r})"
    return [*KERNEL_ARGUMENTS, "--IPKernelApp.exec_lines=" + json.dumps([line])]


def as_stage_kernel(modules: list[str]) -> None:
    """Make this kernel end with the runner that started it, then import ``modules`` (:func:`warm_up`)."""
    _end_with_runner()
    warm_up(modules)


def _end_with_runner() -> None:
    """Ask Linux to kill this kernel the moment the process that started it dies (``PR_SET_PDEATHSIG``).

    A kernel runs in a session of its own, so a runner killed with its process group
    leaves it running, and ipykernel ends an orphan only when it next looks, up to a second
    later: time enough for a stage to write into the staging folder that the next run's
    recovery has just removed (personal data left behind). Elsewhere than Linux, or when the
    request fails, ipykernel's own check remains.
    """
    import os
    import signal
    import sys

    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    if not sys.platform.startswith("linux") or parent <= 1:
        return
    try:
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG in <linux/prctl.h>
        if ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, int(signal.SIGKILL)) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the runner died before the request was made: end as it would have
        os.kill(os.getpid(), signal.SIGKILL)


class StageKernels:
    """The kernels of a run's stages: each started while the stage before it runs, when there is room.

    Use as a context manager around the stages; :meth:`for_stage` gives stage ``index`` its
    kernel (None: papermill starts one as it always did) and starts the next stage's. On
    leaving, every kernel started and not used is stopped, so a failed or interrupted run
    leaves none behind. ``ahead``: whether kernels are started ahead at all (the user may
    start the processes and threads of two kernels at once); ``beside_first``: also beside
    the first stage (a small month). :meth:`prepare` starts a kernel before its stage's turn
    (the first stage's while the runner checks folders and cleans earlier months).
    """

    def __init__(self, notebooks: list[Path], ahead: bool = True, beside_first: bool = False):
        self.notebooks = list(notebooks)
        self.ahead, self.beside_first = ahead, beside_first
        self._started: dict[int, object] = {}

    def __enter__(self) -> "StageKernels":
        return self

    def __exit__(self, *exc) -> None:
        for index in list(self._started):
            _stop(self._started.pop(index))

    def prepare(self, index: int) -> None:
        """Start stage ``index``'s kernel now, if kernels are started ahead and it has none yet."""
        if self.ahead and index < len(self.notebooks) and index not in self._started:
            started = _start(self.notebooks[index])
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


def _start(notebook: Path):
    """A kernel for ``notebook`` started in its folder with its project modules warmed; None if it cannot start.

    A kernel that cannot start ahead (no more processes allowed, say) is not an error here:
    papermill starts one when the stage comes and reports what goes wrong then.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    manager = AsyncKernelManager(kernel_name="python3")
    try:
        run_sync(manager.start_kernel)(cwd=str(Path(notebook).parent), extra_arguments=kernel_arguments(notebook))
    except Exception:  # noqa: BLE001 - see the docstring: the stage itself will start its kernel
        _stop(manager)
        return None
    return manager


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
            return client.execute(cleanup_kc=True)

    return PrestartedKernelEngine
