"""End to end: ``kmc run`` on synthetic months the code has never seen, as a user runs it.

One run is shared by the tests of this module (kernels are slow to start). The synthetic
months come with their truth, so accepted and quarantined rows are checked row by row.
"""

import hashlib
import json
import re
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize

PROJECT = Path(__file__).resolve().parents[1]
CHECKER = PROJECT.parent / "shared" / "tools" / "check_outputs.py"
FIXTURES = Path(__file__).parent / "fixtures" / "opd"

pytestmark = pytest.mark.slow


KEY = "kunci-uji-ujung-ke-ujung-0123456789"


def kmc(*args, cwd):
    """Run the installed command as a user would (with a known key), returning the finished process."""
    env = {**os.environ, "KMC_PSEUDONYM_KEY": KEY}
    return subprocess.run([sys.executable, "-m", "kmc_analysis", *args], cwd=cwd, capture_output=True, text=True,
                          env=env)


def folder_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A user's folder with three synthetic months, and the result of ``kmc run --period 2024-03``."""
    root = tmp_path_factory.mktemp("pengguna")
    shutil.copytree(PROJECT / "notebooks", root / "notebooks")
    truths = {}
    for month, rows, seed in (("2024-01", 800, 11), ("2024-02", 800, 12), ("2024-03", 2500, 13)):
        truths[month] = synthesize(Period.parse(month), root / "data" / "raw", rows=rows, seed=seed)
    result = kmc("run", "--period", "2024-03", cwd=root)
    return root, truths, result


def test_run_succeeds_with_a_line_per_stage(workspace):
    root, _, result = workspace
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert [line.split()[1] for line in lines if re.match(r"\[\d+/\d+\] ", line)] == [
        p.stem for p in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    assert sum(line.startswith("Bulan 2024-0") and "tahap 1 selesai" in line for line in lines) == 2
    assert "Traceback" not in result.stderr


def test_a_successful_run_leaves_no_staging_journal_or_failed_notebooks(workspace):
    root, _, _ = workspace
    for side in ("data/processed", "reports"):
        hidden = sorted(p.name for p in (root / side).iterdir() if p.name.startswith("."))
        assert hidden == [".kmc-run.lock"], side


def test_processed_months_are_owner_only_and_reports_are_not(workspace):
    root, _, _ = workspace
    for month in ("2024-01", "2024-02", "2024-03"):
        folder = root / "data" / "processed" / month
        modes = {stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.rglob("*")]}
        assert modes <= {0o700, 0o600}, month
    assert stat.S_IMODE((root / "reports" / "2024-03").stat().st_mode) & 0o055


def test_the_key_reaches_the_notebooks_but_never_their_parameters(workspace):
    root, _, _ = workspace
    secret = KEY.encode()
    folder = root / "data" / "processed" / "2024-03"
    assert all(secret not in p.read_bytes() for p in folder.rglob("*") if p.is_file())
    parameters = json.loads((folder / "manifest.json").read_text())["parameters"]
    assert "key" not in " ".join(parameters).lower()


def test_verify_passes_on_the_run_and_names_a_raw_file_changed_afterwards(workspace, tmp_path):
    root, _, _ = workspace
    assert kmc("verify", "--period", "2024-03", cwd=root).returncode == 0
    user = tmp_path / "pengguna"
    shutil.copytree(root, user, ignore=shutil.ignore_patterns(".kmc-*"))
    changed = sorted((user / "data" / "raw" / "opd" / "2024-03").iterdir())[0]
    changed.write_bytes(changed.read_bytes() + b"\n")
    result = kmc("verify", "--period", "2024-03", cwd=user)
    assert result.returncode == 1
    assert any(changed.name in line and "berubah" in line for line in result.stderr.splitlines())


def test_every_row_lands_exactly_where_the_rules_say(workspace):
    root, truths, _ = workspace
    for month, synthetic in truths.items():
        truth = synthetic.truth
        folder = root / "data" / "processed" / month
        karantina = pd.read_csv(folder / "karantina.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        penerima = pd.read_parquet(folder / "penerima.parquet")
        got = pd.concat([karantina[["sumber_file", "sumber_sheet", "sumber_baris", "alasan"]],
                         penerima[["sumber_file", "sumber_sheet", "sumber_baris"]].assign(alasan="")])
        got = got.astype({"sumber_baris": "int64"}).sort_values(["sumber_file", "sumber_sheet", "sumber_baris"])
        data = truth[truth["lewati"] == ""]
        expected = data.astype({"sumber_baris": "int64"}).sort_values(["sumber_file", "sumber_sheet", "sumber_baris"])
        assert got.values.tolist() == expected[got.columns].values.tolist(), month
        manifest = json.loads((folder / "manifest.json").read_text())
        counts = manifest["counts"]
        assert counts["rows_read"] == len(data) == counts["rows_accepted"] + counts["rows_quarantined"]
        assert counts["rows_quarantined"] == int((data["alasan"] != "").sum())
        skipped = truth[truth["lewati"].isin(["jumlah", "nomor_kolom", "catatan"])]
        if len(skipped) or "skipped_rows" in manifest:   # rows that are not data (CONTRACT 2.2)
            assert sorted((r["path"].rsplit("/", 1)[-1], r["sheet"], r["row"], r["kind"])
                          for r in manifest["skipped_rows"]) == sorted(zip(
                skipped["sumber_file"], skipped["sumber_sheet"], skipped["sumber_baris"], skipped["lewati"])), month
        if synthetic.superseded:                         # _revisi files (CONTRACT 2.3)
            assert sorted((s["path"].rsplit("/", 1)[-1], s["replaced_by"].rsplit("/", 1)[-1])
                          for s in manifest["superseded_files"]) == synthetic.superseded, month


def test_targeting_and_review_match_the_truth(workspace):
    """ketepatan_sasaran.csv and tinjauan.csv hold exactly the figures the synthesiser planted."""
    root, truths, _ = workspace
    folder = root / "data" / "processed" / "2024-03"
    synthetic = truths["2024-03"]
    got = pd.read_csv(folder / "ketepatan_sasaran.csv", dtype={"kode": str}, keep_default_na=False)
    counts = ["penerima_unik", "penerima_dtks", "dtks_unik", "dtks_menerima"]
    expected = synthetic.targeting.astype({c: "Float64" for c in counts})
    merged = expected.merge(got, on=["tingkat", "kode"], how="left", suffixes=("", "_run"))
    for column in counts:
        run = pd.to_numeric(merged[f"{column}_run"].replace("", None), errors="coerce").astype("Float64")
        assert (run.fillna(-1) == merged[column].fillna(-1)).all(), column
    for column in ("persen_penerima_dtks", "persen_dtks_terjangkau"):
        run = pd.to_numeric(merged[f"{column}_run"].replace("", None), errors="coerce").fillna(-1)
        assert ((run - merged[column].fillna(-1)).abs() < 0.006).all(), column
    got = pd.read_csv(folder / "tinjauan.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    columns = ["sumber_file", "sumber_sheet", "sumber_baris", "opd", "kode_bantuan", "tanda"]
    expected = synthetic.review.astype(str)
    assert len(expected) and sorted(got[columns].values.tolist()) == sorted(expected[columns].values.tolist())


def test_outputs_pass_the_contract_checker(workspace):
    root, _, _ = workspace
    if not CHECKER.exists():
        pytest.skip("../shared/tools/check_outputs.py is not beside this checkout")
    checked = subprocess.run([sys.executable, str(CHECKER), "data/processed/2024-03", "reports/2024-03"],
                             cwd=root, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_manifest_makes_the_run_reproducible(workspace):
    root, _, _ = workspace
    manifest = json.loads((root / "data" / "processed" / "2024-03" / "manifest.json").read_text())
    assert manifest["period"] == "2024-03"
    assert {s["name"] for s in manifest["stages"]} >= {"01_clean_opd_data"}
    assert all(len(i["sha256"]) == 64 and i["path"].startswith("opd/2024-03/") for i in manifest["inputs"])
    assert len(manifest["key_id"]) == 16
    assert {"python", "kmc_analysis", "pandas", "geopandas", "papermill"} <= set(manifest["versions"])


def test_reports_hold_no_personal_data(workspace):
    root, _, _ = workspace
    penerima = pd.concat(pd.read_parquet(p) for p in (root / "data" / "processed").glob("2024-0?/penerima.parquet"))
    karantina = pd.read_csv(root / "data" / "processed" / "2024-03" / "karantina.csv", dtype=str,
                            keep_default_na=False, encoding="utf-8-sig")
    names = set(penerima["nama"]) | set(karantina.get("nama", pd.Series(dtype=str))) - {""}
    niks = set(karantina.get("nik", pd.Series(dtype=str)).str.replace(r"\D", "", regex=True)) - {""}
    pseudonyms = set(penerima["id_penerima"])
    found = []
    for path in (root / "reports").rglob("*"):
        if path.suffix in (".html", ".ipynb", ".csv", ".json", ".md"):
            text = path.read_text(errors="replace")
        elif path.suffix == ".xlsx":
            text = " ".join(str(v) for sheet in pd.read_excel(path, sheet_name=None, header=None, engine="calamine").values()
                            for v in sheet.to_numpy().ravel())
        else:
            continue
        found += [f"{path.name}: pseudonym" for p in pseudonyms if p in text]
        found += [f"{path.name}: NIK" for n in niks if len(n) >= 12 and n in text]
        found += [f"{path.name}: name {n!r}" for n in names if len(n) > 8 and n in text]
    assert not found, found[:10]


def test_corrupt_workbook_stops_with_exit_2_and_leaves_outputs_untouched(workspace, tmp_path):
    root, _, first = workspace
    assert first.returncode == 0
    user = tmp_path / "pengguna"
    shutil.copytree(root, user, ignore=shutil.ignore_patterns(".kmc-*"))
    before = {part: folder_digest(user / part / "2024-03") for part in ("data/processed", "reports")}
    shutil.copy(FIXTURES / "corrupt.xlsx", user / "data" / "raw" / "opd" / "2024-03" / "Dinsos_rusak.xlsx")
    result = kmc("run", "--period", "2024-03", cwd=user)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "Dinsos_rusak.xlsx" in last and "tidak dapat dibuka" in last
    assert last.startswith("kmc run: Tahap 01_clean_opd_data: ")
    assert "Traceback" not in result.stderr
    assert {part: folder_digest(user / part / "2024-03") for part in ("data/processed", "reports")} == before
