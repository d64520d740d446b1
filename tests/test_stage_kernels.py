"""Tests for kmc_analysis.stage_kernels: a stage's kernel started while the stage before it runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from kmc_analysis.core.errors import KMCError
from kmc_analysis.execution import execute_stage
from kmc_analysis.progress import Console
from kmc_analysis.stage_kernels import StageKernels, kernel_arguments, modules_to_warm, saved_now_and_then

#: A project module whose lazily imported library shows whether the kernel warmed its leading imports:
#: importing the module alone does not import scipy.optimize (see the last test), warm_up does.
LEADING = "kmc_analysis.core.disclosure_lp"
WARMED = "scipy.optimize"


def notebook(path, *sources):
    (path.parent / "out").mkdir(exist_ok=True)  # where execute_stage writes the executed notebook
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})))
    return path


def reports(tmp_path, name):
    """What a notebook written by :func:`probe` saw, read from the file its cell wrote."""
    return json.loads((tmp_path / f"{name}.json").read_text())


def probe(path, name, *more):
    """A notebook whose first cell records its kernel's pid, its names and whether WARMED was imported already."""
    return notebook(path, (
        f"import ctypes, json, os, sys\nimport {LEADING}\n"
        "death = ctypes.c_int(0)\n"
        "ctypes.CDLL(None).prctl(2, ctypes.byref(death))  # PR_GET_PDEATHSIG\n"
        f"seen = {{'pid': os.getpid(), 'warmed': {WARMED!r} in sys.modules, 'death_signal': death.value,\n"
        "        'names': sorted(k for k in globals() if not k.startswith('_') and k not in ('In', 'Out'))}\n"
        f"open({name!r} + '.json', 'w').write(json.dumps(seen))\n"), *more)


def gone(pid, within=10.0):
    """Whether process ``pid`` ended (a zombie not yet reaped by its parent counts as ended) within ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_only_the_imports_a_notebook_begins_with_are_done_ahead(tmp_path):
    path = notebook(tmp_path / "02_x.ipynb",
                    "period = '2024-03'\nmin_cell = 5\nbatas: str = ''",  # the parameters cell
                    '"""Peta."""\nimport pandas as pd\nfrom kmc_analysis.core.periods import Period\n'
                    "import kmc_analysis.core.store\nfrom . import local",
                    "from kmc_analysis.coverage import maps\nperiode = Period.parse(period)\n"
                    "from kmc_analysis.report import build_index")
    assert modules_to_warm(path) == ["pandas", "kmc_analysis.core.periods", "kmc_analysis.core.periods.Period",
                                     "kmc_analysis.core.store", "kmc_analysis.coverage",
                                     "kmc_analysis.coverage.maps"]
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert modules_to_warm(tmp_path / "broken.ipynb") == []


@pytest.mark.parametrize("first", [
    "import os\nos.environ['MPLBACKEND'] = 'Agg'",  # settings made before the imports must apply to them
    "import sys\nsys.path.insert(0, '..')",  # a local copy of the package must be the one imported
    "%matplotlib inline",
    "import pandas as pd",  # a notebook that does not begin with the project is not one of its stages
])
def test_a_notebook_that_sets_something_before_its_imports_gets_nothing_done_ahead(tmp_path, first):
    # black-box attack 18: MPLBACKEND=Agg and OMP_NUM_THREADS=1 set before `from kmc_analysis... import *` no
    # longer applied (matplotlib and numpy were imported at kernel start), and `sys.path.insert` before
    # `import kmc_analysis` imported the installed package instead of the notebook's copy
    second = "import kmc_analysis.coverage.maps" if first != "import pandas as pd" else "x = 1"
    path = notebook(tmp_path / "02_x.ipynb", first, second)
    assert modules_to_warm(path) == []
    assert "kmc_analysis" not in kernel_arguments(path)[-1]  # the start line imports nothing of the project


@pytest.mark.slow
def test_the_next_stage_runs_on_the_kernel_started_ahead_with_its_modules_imported_and_a_clean_namespace(tmp_path):
    first = probe(tmp_path / "01_a.ipynb", "first")
    second = probe(tmp_path / "02_b.ipynb", "second", "seen")
    console, failed = Console(quiet=True), tmp_path / "gagal"
    with StageKernels([first, second], beside_first=True) as kernels:
        assert kernels.for_stage(0) is None  # nothing was started before the first stage
        ahead = kernels._started[1]
        execute_stage(first, tmp_path / "out" / first.name, {}, console, failed, kernel=None)
        kernel = kernels.for_stage(1)
        assert kernel is ahead
        pid = kernel.provisioner.pid
        execute_stage(second, tmp_path / "out" / second.name, {}, console, failed, kernel=kernel)
    seen_first, seen_second = reports(tmp_path, "first"), reports(tmp_path, "second")
    assert seen_second["pid"] == pid != seen_first["pid"]
    assert seen_second["warmed"] and seen_first["warmed"]  # papermill's kernel gets the same start line
    # both end the moment the runner dies (a kernel runs in a session of its own: a killed process group
    # left it writing into a staging folder for up to a second after the next run's recovery removed it)
    assert seen_first["death_signal"] == seen_second["death_signal"] == signal.SIGKILL
    # the warm-up leaves no name behind and runs no numbered cell: the notebook sees a fresh kernel
    assert seen_second["names"] == seen_first["names"] and "json" in seen_first["names"]
    assert "death" in seen_first["names"] and "warm_up" not in seen_first["names"]
    executed = nbformat.read(tmp_path / "out" / second.name, as_version=4)
    assert [cell.execution_count for cell in executed.cells] == [1, 2]
    assert gone(pid), "the stage's kernel was left running"


@pytest.mark.slow
def test_a_failed_stage_leaves_no_kernel_started_ahead_running(tmp_path):
    first = notebook(tmp_path / "01_a.ipynb", "raise ValueError('tahap gagal')")
    second = probe(tmp_path / "02_b.ipynb", "second")
    with pytest.raises(KMCError):
        with StageKernels([first, second], beside_first=True) as kernels:
            kernels.for_stage(0)
            pid = kernels._started[1].provisioner.pid
            execute_stage(first, tmp_path / "out" / first.name, {}, Console(quiet=True), tmp_path / "gagal")
    assert gone(pid)
    assert not (tmp_path / "second.json").exists()


@pytest.mark.slow
def test_a_kernel_started_ahead_that_died_is_replaced_by_a_new_one_at_its_stage(tmp_path):
    first = notebook(tmp_path / "01_a.ipynb", "x = 1")
    second = probe(tmp_path / "02_b.ipynb", "second")
    with StageKernels([first, second], beside_first=True) as kernels:
        kernels.for_stage(0)
        dead = kernels._started[1].provisioner.pid
        os.kill(dead, signal.SIGKILL)
        assert gone(dead)
        kernel = kernels.for_stage(1)
        assert kernel is None
        execute_stage(second, tmp_path / "out" / second.name, {}, Console(quiet=True), tmp_path / "gagal",
                      kernel=kernel)
    assert reports(tmp_path, "second")["pid"] != dead


def test_no_kernel_is_started_beside_the_first_stage_of_a_large_month(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("kmc_analysis.stage_kernels._start",
                        lambda path, _all: started.append(path.name) or object())
    monkeypatch.setattr("kmc_analysis.stage_kernels._stop", lambda manager: None)
    monkeypatch.setattr("kmc_analysis.stage_kernels._alive", lambda manager: True)
    paths = [tmp_path / f"0{n}_x.ipynb" for n in (1, 2, 3)]
    with StageKernels(paths, beside_first=False) as kernels:
        assert kernels.for_stage(0) is None and started == []
        assert kernels.for_stage(1) is None and started == ["03_x.ipynb"]
        assert kernels.for_stage(2) is not None and started == ["03_x.ipynb"]
    started.clear()
    with StageKernels(paths, ahead=False, beside_first=True) as kernels:  # no room for a second kernel's tasks
        assert [kernels.for_stage(index) for index in range(3)] == [None, None, None] and started == []


def test_the_libraries_project_modules_import_only_when_used_are_warmed_too():
    # a kernel started ahead for stage 4 imported the report's modules but not scipy.optimize (0.3-1.2 s) and
    # openpyxl (0.1 s), which the audit and the workbook import only when called
    modules = ["kmc_analysis.core.disclosure_lp", "kmc_analysis.core.overlap_integers", "kmc_analysis.report.xlsx"]
    script = ("import importlib, json, sys\n"
              f"modules = {modules!r}\n"
              "for name in modules:\n"
              "    importlib.import_module(name)\n"
              "lazy = sorted({lib for name in modules for lib in sys.modules[name].IMPORTS_WHEN_USED})\n"
              "before = [lib for lib in lazy if lib in sys.modules]\n"
              "from kmc_analysis.stage_kernels import warm_up\n"
              "warm_up(modules)\n"
              "print(json.dumps([lazy, before, [lib for lib in lazy if lib in sys.modules]]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    lazy, before, after = json.loads(done.stdout)
    assert "scipy.optimize" in lazy and "openpyxl" in lazy
    assert before == [] and after == lazy  # light on import, all there once warmed


def kill_runner_after(tmp_path, seconds: float) -> int:
    """Start a kernel ahead in a runner process, kill -9 the runner's group ``seconds`` later; the kernel's pid."""
    second = probe(tmp_path / "02_b.ipynb", "second")
    runner = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
                               "from kmc_analysis.stage_kernels import _start\n"
                               f"kernel = _start(Path({str(second)!r}), [])\n"
                               "print(kernel.provisioner.pid, flush=True)\n"
                               "time.sleep(60)\n"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    pid = int(runner.stdout.readline())
    time.sleep(seconds)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    return pid


@pytest.mark.slow
def test_a_kernel_started_ahead_ends_the_moment_its_runner_is_killed(tmp_path):
    # the runner killed with its process group (kill -9, a crash) left its kernels running for up to a second
    pid = kill_runner_after(tmp_path, 3)  # the kernel has started and run its start line
    assert gone(pid, within=0.3)


@pytest.mark.slow
def test_a_kernel_still_starting_ends_the_moment_its_runner_is_killed(tmp_path):
    # attack 19: killed before the kernel had imported ipykernel and run its start line, the runner left it
    # starting on its own for 0.7-1.2 s
    pid = kill_runner_after(tmp_path, 0)  # at once: the kernel is still importing what it needs
    assert gone(pid, within=0.3)


class _CountingManager:
    """Stands in for papermill's NotebookExecutionManager: counts the notebook writes."""

    def __init__(self):
        self.writes = 0

    def save(self, **kwargs):
        self.writes += 1


def test_papermill_writes_the_notebook_between_cells_only_now_and_then_and_whole_at_the_end():
    manager = _CountingManager()
    with saved_now_and_then(manager, every=3600):
        for _ in range(20):  # papermill saves at each cell's start and end
            manager.save()
    assert manager.writes == 0
    manager.save()  # papermill's notebook_complete, after the block: always written
    assert manager.writes == 1
    with saved_now_and_then(manager, every=0):
        manager.save()
        manager.save()
    assert manager.writes == 3


def test_an_executed_notebook_holds_every_cell_output_though_it_was_not_written_after_each_cell(tmp_path):
    cells = [f"print('sel {n}')" for n in range(4)]
    source = notebook(tmp_path / "01_a.ipynb", *cells, "raise ValueError('tahap gagal')")
    with pytest.raises(KMCError):
        execute_stage(source, tmp_path / "out" / source.name, {}, Console(quiet=True), tmp_path / "gagal")
    kept = nbformat.read(next((tmp_path / "gagal").rglob("*.ipynb")), as_version=4)
    code = [cell for cell in kept.cells if cell.cell_type == "code"]
    printed = [output.get("text", "") for cell in code[:4] for output in cell.outputs]
    assert printed == [f"sel {n}\n" for n in range(4)]
    assert code[4].outputs[0]["ename"] == "ValueError"
