"""The floors the benchmarks compare against: empty notebooks, pyarrow reading the CSVs, calamine the workbooks.

A floor is what no run can avoid on this machine: papermill starting a kernel and
executing a notebook with nothing in it, plus reading the month's files with the fastest
reader told everything about them (encoding, separator, header row).

Every notebook here, and stage 1 in ``run_all.py``, is executed as ``kmc run`` executes a
stage: its kernel is stopped at once when the last cell ends (``shutdown_kernel="immediate"``).
papermill's default asks the kernel to exit and waits; about one empty notebook in six then
waited 3.4-3.6 s more for the kernel to go (measured 2026-12-01), so a median of a few runs
of four notebooks fell at 2.6 s or 6.5 s by chance.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
import pyarrow.csv
from python_calamine import CalamineWorkbook

from kmc_analysis.clean.headers import HEADER_LOOKUP, header_key
from kmc_analysis.execution import SLOW_OPTIONAL_IMPORT
from kmc_analysis.stage_kernels import KERNEL_ARGUMENTS as STAGE_KERNEL_ARGUMENTS

OUTPUT = Path(__file__).parent / "output"
KERNEL_ARGUMENTS = list(STAGE_KERNEL_ARGUMENTS)  # as the runner starts a kernel, without its start line
#: How the runner stops a stage's kernel (see the module docstring).
SHUTDOWN_KERNEL = "immediate"


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
                                       kernel_name="python3", progress_bar=False, extra_arguments=KERNEL_ARGUMENTS,
                                       shutdown_kernel=SHUTDOWN_KERNEL)
        return time.perf_counter() - started


def time_empty_notebooks_fresh(count: int = 1) -> float:
    """Seconds a new Python process needs to import papermill and execute ``count`` empty notebooks.

    The like-for-like floor of a ``kmc run`` process, which also starts Python and imports
    papermill (with nbformat and jsonschema) before its first stage, as ``kmc run`` does: without
    jsonschema's slow optional IRI checker (``kmc_analysis.execution.import_papermill``).
    """
    with tempfile.TemporaryDirectory() as scratch:
        notebook = empty_notebook(Path(scratch))
        script = (f"import sys\nsys.modules.setdefault({SLOW_OPTIONAL_IMPORT!r}, None)\nimport papermill\n"
                  f"for number in range({count}):\n"
                  f"    papermill.execute_notebook({str(notebook)!r}, f'{scratch}/out{{number}}.ipynb', "
                  f"parameters={{'period': 'x'}}, kernel_name='python3', progress_bar=False, "
                  f"extra_arguments={KERNEL_ARGUMENTS!r}, shutdown_kernel={SHUTDOWN_KERNEL!r})\n")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], check=True)
        return time.perf_counter() - started


def read_csv_with_pyarrow(path: Path) -> int:
    """Read one OPD CSV with pyarrow, told its encoding, separator and header row; return its rows."""
    head = path.read_bytes()[:20_000]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8" if not head.startswith(b"\xef\xbb\xbf") else "utf-8-sig"
    try:
        text = head.decode(encoding, errors="strict")
    except UnicodeDecodeError:
        encoding, text = "cp1252", head.decode("cp1252", errors="replace")
    lines = text.splitlines()[:20]
    separator = max((",", ";", "\t", "|"), key=lambda sep: sum(line.count(sep) for line in lines))
    header = next(i for i, line in enumerate(lines)
                  if sum(header_key(cell) in HEADER_LOOKUP for cell in line.split(separator)) >= 3)
    table = pyarrow.csv.read_csv(
        path, read_options=pyarrow.csv.ReadOptions(skip_rows=header, encoding=encoding),
        parse_options=pyarrow.csv.ParseOptions(delimiter=separator, invalid_row_handler=lambda row: "skip"),
        convert_options=pyarrow.csv.ConvertOptions(column_types={}, strings_can_be_null=False),
    )
    return table.num_rows


def read_workbook_with_calamine(path: Path) -> int:
    """Read every sheet of one workbook with calamine into Python rows; return how many rows."""
    workbook = CalamineWorkbook.from_path(str(path))
    return sum(len(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
               for name in workbook.sheet_names)


def time_reading(files: list[Path]) -> float:
    """Seconds the fastest readers need for a month's files (CSV: pyarrow; workbooks: calamine), one try."""
    started = time.perf_counter()
    for path in files:
        if path.suffix.lower() == ".csv":
            read_csv_with_pyarrow(path)
        elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
            read_workbook_with_calamine(path)
    return time.perf_counter() - started
