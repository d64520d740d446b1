"""The real stage notebooks on a small synthetic year: a kill in any stage, and a key changed within the year.

Uses ``kmc synth --rows 60`` months so the whole module stays around two minutes.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import PUBLISH_JOURNAL, STAGING_PREFIX
from kmc_analysis.publishing import recover
from kmc_analysis.synth import synthesize

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
KEY_A = "kunci-lama-tahun-ini-0123456789abcdef"
KEY_B = "kunci-baru-tahun-ini-fedcba9876543210"


def kmc(root: Path, *args, key=KEY_A, wait=True):
    env = {**os.environ, "KMC_PSEUDONYM_KEY": key}
    command = [sys.executable, "-m", "kmc_analysis", *args]
    if not wait:
        return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)


def published(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for side in ("data/processed", "reports") for month in ("2024-02", "2024-03")
            for p in sorted((root / side / month).rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for side in ("data/processed", "reports") for p in (root / side).iterdir()
                  if p.name.startswith((STAGING_PREFIX, PUBLISH_JOURNAL)))


def key_id(root: Path, month: str) -> str:
    return json.loads((root / "data" / "processed" / month / "manifest.json").read_text())["key_id"]


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """February and March (60 rows each) run once under key A: March published, February cleaned on the way."""
    root = tmp_path_factory.mktemp("tahun")
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    for month, seed in (("2024-02", 31), ("2024-03", 32)):
        synthesize(Period.parse(month), root / "data" / "raw", rows=60, seed=seed)
    first = kmc(root, "run", "--period", "2024-03")
    assert first.returncode == 0, first.stderr
    return root


@pytest.mark.parametrize("stage", ["01_clean_opd_data", "02_coverage_map", "03_rpjmd_evaluation", "04_report"])
def test_a_kill_during_any_stage_leaves_the_published_months_and_the_next_run_cleans_up(year, stage):
    before = published(year)
    running = kmc(year, "run", "--period", "2024-03", wait=False)
    deadline = time.monotonic() + 240
    while not list((year / "data" / "processed").glob(f"{STAGING_PREFIX}*/2024-03/notebooks/{stage}.ipynb")):
        assert running.poll() is None, f"the run ended before {stage} started"
        assert time.monotonic() < deadline, f"{stage} never started"
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(running.pid, signal.SIGKILL)  # the runner and its kernel, as a crash or `kill -9` would
    running.wait()
    assert published(year) == before
    assert leftovers(year), "the killed run should have left its staging folder"
    if stage == "04_report":  # one full clean-up run is enough to show it (kernels are slow to start)
        again = kmc(year, "run", "--period", "2024-03")
        assert again.returncode == 0, again.stderr
        assert "folder sementara dari run yang terhenti dihapus" in again.stderr
    else:
        recover(year / "data" / "processed", year / "reports")
    assert leftovers(year) == []


def test_a_key_changed_within_the_year_stops_the_run_until_the_year_is_recleaned(year):
    old_key_id = key_id(year, "2024-02")
    assert key_id(year, "2024-03") == old_key_id
    before = published(year)
    refused = kmc(year, "run", "--period", "2024-03", key=KEY_B)
    assert refused.returncode == 2
    last = refused.stderr.strip().splitlines()[-1]
    assert "Bulan 2024-02 sudah diolah dengan kunci pseudonim lain" in last and "--reclean-year" in last
    assert published(year) == before

    recleaned = kmc(year, "run", "--period", "2024-03", "--reclean-year", key=KEY_B)
    assert recleaned.returncode == 0, recleaned.stderr
    assert "Bulan 2024-02 (dibersihkan ulang dengan kunci sekarang): tahap 1 selesai" in recleaned.stderr
    assert key_id(year, "2024-02") == key_id(year, "2024-03") != old_key_id
    assert leftovers(year) == []
