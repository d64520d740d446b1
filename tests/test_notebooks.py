"""The stage notebooks run cleanly under ``pytest --nbval-lax`` on a synthetic month.

papermill first writes copies of the notebooks with their parameters pointing into a
temporary folder (``prepare_only``: nothing executed), so the check never touches the
project's own data folders; nbval then executes every cell of every copy in order.
"""

import subprocess
import sys
from pathlib import Path

import papermill
import pytest

from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize

PROJECT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_notebooks_pass_nbval_lax(tmp_path):
    raw = tmp_path / "raw"
    for month, seed in (("2024-02", 21), ("2024-03", 22)):
        synthesize(Period.parse(month), raw, rows=600, seed=seed)
    prepared = tmp_path / "notebooks"
    prepared.mkdir()
    parameters = {"period": "2024-03", "raw_dir": str(raw), "processed_dir": str(tmp_path / "processed"),
                  "reports_dir": str(tmp_path / "reports"), "staging_dir": "", "boundaries": "",
                  "min_cell": 5, "skip_unreadable": False}
    notebooks = sorted((PROJECT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(notebooks) >= 4
    for notebook in notebooks:
        papermill.execute_notebook(str(notebook), str(prepared / notebook.name), parameters=parameters,
                                   prepare_only=True, kernel_name="python3")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", str(prepared)],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
