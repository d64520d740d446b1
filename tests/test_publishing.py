"""Publishing by renames with a journal: the previous outputs survive any failure or kill, byte for byte."""

import errno
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kmc_analysis.core.errors import PublishError
from kmc_analysis.core.store import PUBLISH_JOURNAL
from kmc_analysis.publishing import Move, Staging, make_private, publish, recover

PERIOD = "2024-03"


def digest(root: Path) -> dict[str, str]:
    """Every file and folder below ``root`` with its content hash (folders as 'dir')."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def fill(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "penerima.parquet").write_text(f"penerima {text}")
    (folder / "notebooks").mkdir(exist_ok=True)
    (folder / "notebooks" / "01.ipynb").write_text(f"notebook {text}")


@pytest.fixture
def site(tmp_path):
    """Published outputs of March and of January (lama), and a run that staged new ones (baru)."""
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    for month in ("2024-01", PERIOD):
        fill(processed / month, f"lama {month}")
    fill(reports / PERIOD, "lama laporan")
    staging = Staging.create(processed, reports)
    for month in ("2024-01", PERIOD):
        fill(staging.processed_root / month, f"baru {month}")
    fill(staging.reports_root / PERIOD, "baru laporan")
    moves = [Move.plan(staging.processed_root / m, processed / m) for m in ("2024-01", PERIOD)]
    moves.append(Move.plan(staging.reports_root / PERIOD, reports / PERIOD))
    return processed, reports, staging, moves


def snapshot(processed, reports):
    return {"processed": digest(processed), "reports": digest(reports)}


def only_published(tree: dict) -> dict:
    """The snapshot without the runner's hidden files and folders (staging, journal, lock)."""
    return {side: {k: v for k, v in files.items() if not k.startswith(".")} for side, files in tree.items()}


def test_publish_replaces_every_staged_folder_and_leaves_no_staging_or_journal(site):
    processed, reports, staging, moves = site
    left = publish(moves, list(staging.roots), processed / PUBLISH_JOURNAL)
    assert left == []
    assert (processed / PERIOD / "penerima.parquet").read_text() == f"penerima baru {PERIOD}"
    assert (processed / "2024-01" / "penerima.parquet").read_text() == "penerima baru 2024-01"
    assert (reports / PERIOD / "penerima.parquet").read_text() == "penerima baru laporan"
    assert not any(p.name.startswith(".") for p in [*processed.iterdir(), *reports.iterdir()])


def test_first_publish_of_a_month_needs_no_previous_folder(tmp_path):
    processed, reports = tmp_path / "p", tmp_path / "r"
    processed.mkdir(), reports.mkdir()
    staging = Staging.create(processed, reports)
    fill(staging.processed_root / PERIOD, "baru")
    publish([Move.plan(staging.processed_root / PERIOD, processed / PERIOD)], list(staging.roots),
            processed / PUBLISH_JOURNAL)
    assert (processed / PERIOD / "penerima.parquet").read_text() == "penerima baru"


@pytest.mark.parametrize("failing_call", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("error", [errno.EACCES, errno.ENOSPC])
def test_a_rename_failing_at_any_point_restores_the_previous_outputs(site, monkeypatch, failing_call, error):
    processed, reports, staging, moves = site
    before = snapshot(processed, reports)
    real_rename, calls = os.rename, []

    def rename(source, target):
        calls.append(source)
        if len(calls) == failing_call:
            raise OSError(error, os.strerror(error), str(source))
        return real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(PublishError) as raised:
        publish(moves, list(staging.roots), processed / PUBLISH_JOURNAL)
    message = str(raised.value)
    assert "dikembalikan utuh" in message and ("izin menulis ditolak" in message or "disk penuh" in message)
    assert not (processed / PUBLISH_JOURNAL).exists()
    assert only_published(snapshot(processed, reports)) == only_published(before)


def test_a_published_folder_that_may_not_be_moved_is_named_itself_not_the_folder_above(site, monkeypatch):
    # Black-box attack 11: reports/2024-03 made immutable (chattr +i) was told as "chmod u+w reports",
    # a folder already writable.
    processed, reports, staging, moves = site
    real_rename = os.rename

    def rename(source, target):
        if Path(source) == reports / PERIOD:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM), str(source))
        return real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(PublishError) as raised:
        publish(moves, list(staging.roots), processed / PUBLISH_JOURNAL)
    message = str(raised.value)
    assert f"izin menulis ditolak di {reports / PERIOD}." in message and f"lsattr -d {reports / PERIOD}" in message


def test_a_journal_that_cannot_be_written_changes_nothing_and_says_the_disk_is_full(site, monkeypatch):
    processed, reports, staging, moves = site
    before = snapshot(processed, reports)

    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kmc_analysis.publishing.write_text_atomically", no_space)
    with pytest.raises(PublishError, match="disk penuh.*Hasil lama tidak berubah"):
        publish(moves, list(staging.roots), processed / PUBLISH_JOURNAL)
    assert snapshot(processed, reports) == before


def test_a_failed_roll_back_keeps_the_journal_says_so_and_the_next_run_restores(site, monkeypatch):
    processed, reports, staging, moves = site
    before = snapshot(processed, reports)
    real_rename, calls = os.rename, []

    def rename(source, target):
        calls.append(source)
        if len(calls) >= 4:  # the fourth rename fails, and so does every rename of the roll-back
            raise PermissionError(errno.EACCES, "Permission denied", str(source))
        return real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(PublishError, match="belum dapat dikembalikan"):
        publish(moves, list(staging.roots), processed / PUBLISH_JOURNAL)
    assert (processed / PUBLISH_JOURNAL).exists()
    monkeypatch.setattr(os, "rename", real_rename)
    said = recover(processed, reports)
    assert any("dikembalikan utuh" in line for line in said)
    assert only_published(snapshot(processed, reports)) == only_published(before)
    assert not any(p.name.startswith(".") for p in [*processed.iterdir(), *reports.iterdir()])


KILLER = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    from kmc_analysis.publishing import Move, publish
    spec = json.loads(sys.argv[1])
    real_rename, calls = os.rename, []
    def rename(source, target):
        calls.append(source)
        if len(calls) == spec["kill_at"]:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_rename(source, target)
    os.rename = rename
    moves = [Move(Path(m["staged"]), Path(m["target"]), Path(m["backup"]), m["had_old"]) for m in spec["moves"]]
    publish(moves, [Path(r) for r in spec["roots"]], Path(spec["journal"]))
""")


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 5, 6])
def test_a_kill_between_any_two_renames_is_rolled_back_by_the_next_run(site, kill_at):
    processed, reports, staging, moves = site
    before = snapshot(processed, reports)
    spec = {"kill_at": kill_at, "journal": str(processed / PUBLISH_JOURNAL), "roots": [str(r) for r in staging.roots],
            "moves": [{"staged": str(m.staged), "target": str(m.target), "backup": str(m.backup),
                       "had_old": m.had_old} for m in moves]}
    killed = subprocess.run([sys.executable, "-c", KILLER, json.dumps(spec)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    assert (processed / PUBLISH_JOURNAL).exists()
    said = recover(processed, reports)
    assert any("terputus" in line for line in said)
    assert snapshot(processed, reports) == only_published(before)


def test_a_kill_after_the_journal_says_published_is_finished_by_the_next_run(site):
    processed, reports, staging, moves = site
    spec = {"kill_at": 99, "journal": str(processed / PUBLISH_JOURNAL), "roots": [str(r) for r in staging.roots],
            "moves": [{"staged": str(m.staged), "target": str(m.target), "backup": str(m.backup),
                       "had_old": m.had_old} for m in moves]}
    script = KILLER.replace("from kmc_analysis.publishing import Move, publish",
                            "import kmc_analysis.publishing as p\nfrom kmc_analysis.publishing import Move, publish\n"
                            "p.finish = lambda *a: os.kill(os.getpid(), signal.SIGKILL)")
    killed = subprocess.run([sys.executable, "-c", script, json.dumps(spec)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    assert json.loads((processed / PUBLISH_JOURNAL).read_text())["state"] == "published"
    said = recover(processed, reports)
    assert any("sudah selesai" in line for line in said)
    assert (processed / PERIOD / "penerima.parquet").read_text() == f"penerima baru {PERIOD}"
    assert (reports / PERIOD / "penerima.parquet").read_text() == "penerima baru laporan"
    assert not any(p.name.startswith(".") for p in [*processed.iterdir(), *reports.iterdir()])


def test_staging_folders_left_by_killed_runs_are_removed_by_the_next_run(tmp_path):
    processed, reports = tmp_path / "p", tmp_path / "r"
    processed.mkdir(), reports.mkdir()
    staging = Staging.create(processed, reports)
    fill(staging.processed_root / PERIOD, "data pribadi")
    (processed / ".kmc-run-abc123" / "processed").mkdir(parents=True)  # the workbook before this version
    said = recover(processed, reports)
    assert list(processed.iterdir()) == [] and list(reports.iterdir()) == []
    assert any("3 folder sementara" in line for line in said)


def test_a_reports_dir_refusing_its_staging_folder_leaves_none_in_the_processed_dir(tmp_path, monkeypatch):
    # Black-box attack 10: a reports dir that refused the run (chattr +i) left an empty staging folder behind.
    processed, reports = tmp_path / "p", tmp_path / "r"
    processed.mkdir(), reports.mkdir()
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.parent == reports:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)  # root ignores chmod: simulate what a user meets
    with pytest.raises(PermissionError):
        Staging.create(processed, reports)
    assert list(processed.iterdir()) == [] and list(reports.iterdir()) == []


def test_a_half_written_journal_of_a_killed_run_is_removed_by_the_next_run(tmp_path):
    # SIGKILL while the journal was being replaced left ".kmc-publish.json.<pid>.tmp" for good
    processed, reports = tmp_path / "p", tmp_path / "r"
    processed.mkdir(), reports.mkdir()
    (processed / f".{PUBLISH_JOURNAL}.999999.tmp").write_text('{"state": "publish')
    (reports / ".index.html.999999.tmp").write_text("<html")
    (processed / "2024-03").mkdir()
    recover(processed, reports)
    assert [p.name for p in processed.iterdir()] == ["2024-03"] and list(reports.iterdir()) == []


def test_a_period_folder_left_aside_by_the_previous_runner_is_put_back(tmp_path):
    processed, reports = tmp_path / "p", tmp_path / "r"
    fill(processed / f".{PERIOD}.old", "lama")
    reports.mkdir()
    recover(processed, reports)
    assert (processed / PERIOD / "penerima.parquet").read_text() == "penerima lama"


def test_staging_and_private_folders_are_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        (tmp_path / "r").mkdir()
        staging = Staging.create(tmp_path, tmp_path / "r")
        fill(staging.processed_root / PERIOD, "x")
        make_private(staging.processed_root / PERIOD)
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [staging.processed_root, staging.reports_root,
                                                              *staging.processed_root.rglob("*")]}
    assert modes.pop("penerima.parquet") == 0o600 and modes.pop("01.ipynb") == 0o600
    assert set(modes.values()) == {0o700}
