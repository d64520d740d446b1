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
from kmc_analysis.stage_kernels import StageKernels, modules_to_warm

WARMED = "kmc_analysis.core.periods"


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
        "import ctypes, json, os, sys\n"
        "death = ctypes.c_int(0)\n"
        "ctypes.CDLL(None).prctl(2, ctypes.byref(death))  # PR_GET_PDEATHSIG\n"
        f"seen = {{'pid': os.getpid(), 'warmed': {WARMED!r} in sys.modules, 'death_signal': death.value,\n"
        "        'names': sorted(k for k in globals() if not k.startswith('_') and k not in ('In', 'Out'))}\n"
        f"open({name!r} + '.json', 'w').write(json.dumps(seen))\n"
        f"from {WARMED} import Period"), *more)


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


def test_the_project_modules_a_notebook_imports_are_found_and_nothing_else(tmp_path):
    path = notebook(tmp_path / "02_x.ipynb",
                    "import pandas as pd\nfrom kmc_analysis.core.periods import Period\nimport kmc_analysis.core.store",
                    "%matplotlib inline\nfrom kmc_analysis.report import build_index",
                    "if True:\n    from kmc_analysis.coverage import maps, rekap\n"
                    "from . import local\nimport kmc_analysis")
    assert modules_to_warm(path) == ["kmc_analysis.core.periods", "kmc_analysis.core.periods.Period",
                                     "kmc_analysis.core.store", "kmc_analysis.coverage",
                                     "kmc_analysis.coverage.maps", "kmc_analysis.coverage.rekap", "kmc_analysis"]
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert modules_to_warm(tmp_path / "broken.ipynb") == []


@pytest.mark.slow
def test_the_next_stage_runs_on_the_kernel_started_ahead_with_its_modules_imported_and_a_clean_namespace(tmp_path):
    first = probe(tmp_path / "01_a.ipynb", "first")
    second = probe(tmp_path / "02_b.ipynb", "second", "Period")
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
    monkeypatch.setattr("kmc_analysis.stage_kernels._start", lambda path: started.append(path.name) or object())
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


@pytest.mark.slow
def test_a_kernel_started_ahead_ends_the_moment_its_runner_is_killed(tmp_path):
    # the runner killed with its process group (kill -9, a crash) left its kernels running for up to a second
    second = probe(tmp_path / "02_b.ipynb", "second")
    runner = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
                               "from kmc_analysis.stage_kernels import _start\n"
                               f"kernel = _start(Path({str(second)!r}))\n"
                               "print(kernel.provisioner.pid, flush=True)\n"
                               "time.sleep(60)\n"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    pid = int(runner.stdout.readline())
    time.sleep(3)  # the kernel has started and run its start line
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    assert gone(pid, within=0.3)
