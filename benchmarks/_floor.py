"""Shared measuring helpers for the benchmarks: the papermill floor and child-process memory."""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

OUTPUT = Path(__file__).parent / "output"


def empty_notebook(folder: Path) -> Path:
    """A notebook with only a parameters cell: executing it costs kernel start-up and nothing else."""
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("period = ''", metadata={"tags": ["parameters"]})]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "empty.ipynb"
    nbformat.write(book, path)
    return path


def time_empty_notebooks(count: int = 1) -> float:
    """Seconds papermill needs to execute ``count`` empty notebooks one after another (one try)."""
    with tempfile.TemporaryDirectory() as scratch:
        notebook = empty_notebook(Path(scratch))
        started = time.perf_counter()
        for number in range(count):
            papermill.execute_notebook(str(notebook), f"{scratch}/out{number}.ipynb", parameters={"period": "x"},
                                       kernel_name="python3", progress_bar=False,
                                       extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        return time.perf_counter() - started


def peak_child_memory_mb() -> float:
    """Largest resident set of any finished child process so far (the notebook kernels), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def floor_empty_notebooks(count: int = 1, tries: int = 3) -> float:
    """The median over ``tries`` of :func:`time_empty_notebooks`: one cold start can take seconds more."""
    return sorted(time_empty_notebooks(count) for _ in range(tries))[tries // 2]
