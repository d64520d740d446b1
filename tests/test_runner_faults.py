"""Faults while ``kmc run`` works: kills, Ctrl-C, unwritable folders, a full disk, a second run, a stage that raises.

Most tests use two small stand-in stage notebooks (``./notebooks`` in the user's folder
wins over the project's), which write marker files into the staged folders and run a
test-given action; the runner cannot tell them from real stages. Whatever happens, the
previously published month must stay byte-identical, and the next run must succeed and
leave no staging folder behind.
"""

import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import weakref
from pathlib import Path

import nbformat
import pytest

from kmc_analysis.core.store import FAILED_RUNS, PUBLISH_JOURNAL, STAGING_PREFIX
from kmc_analysis.publishing import recover

pytestmark = pytest.mark.slow

KEY = "kunci-uji-gangguan-0123456789abcdef"
STAGE_CODE = '''
import json, os, time
from kmc_analysis.clean.pseudonyms import load_key
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
paths = run_paths(Period.parse(period), raw_dir, processed_dir, reports_dir, staging_dir or None)
paths.processed.mkdir(parents=True, exist_ok=True)
paths.reports.mkdir(parents=True, exist_ok=True)
penanda = os.environ.get("UJI_PENANDA", "")
(paths.processed / "tahap_{n}.txt").write_text(f"tahap {n} {{penanda}}")
(paths.reports / "laporan_{n}.txt").write_text(f"laporan {n} {{penanda}}")
if {n} == 1:
    (paths.processed / "manifest.json").write_text(json.dumps({{
        "period": period, "key_id": load_key().key_id, "ignored_files": ["Surat Pengantar.pdf"],
        "rejected_files": [], "skipped_rows": [{{"kind": "jumlah"}}, {{"kind": "catatan"}}]}}))
exec(os.environ.get("UJI_AKSI_{n}", ""))
'''


def stand_in_notebooks(folder: Path) -> None:
    """Two stage notebooks shaped like the real ones (a tagged parameters cell), fast to run."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, name in ((1, "01_bersih"), (2, "02_laporan")):
        parameters = nbformat.v4.new_code_cell(
            'period = "2024-03"\nraw_dir = ""\nprocessed_dir = ""\nreports_dir = ""\nstaging_dir = ""\n'
            'boundaries = ""\nmin_cell = 5\nskip_unreadable = False', metadata={"tags": ["parameters"]})
        notebook = nbformat.v4.new_notebook(cells=[parameters, nbformat.v4.new_code_cell(STAGE_CODE.format(n=n))])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, folder / f"{name}.ipynb")


@pytest.fixture(scope="module")
def published_once(tmp_path_factory):
    """A user's folder with stand-in notebooks, a March OPD folder and a published March (marker 'lama')."""
    root = tmp_path_factory.mktemp("pengguna")
    stand_in_notebooks(root / "notebooks")
    (root / "data" / "raw" / "opd" / "2024-03").mkdir(parents=True)
    (root / "data" / "raw" / "opd" / "2024-03" / "dinsos.csv").write_text("NIK,Nama\n")  # a month with a file
    first = kmc(root, UJI_PENANDA="lama")
    assert first.returncode == 0, first.stderr
    return root


@pytest.fixture
def user(published_once, tmp_path):
    """A copy of that folder for one test to damage (one run made once: each takes seconds)."""
    copy = tmp_path / "pengguna"
    shutil.copytree(published_once, copy, symlinks=True)
    return copy


def kmc(cwd: Path, *args, prefix=(), wait=True, **env):
    """``kmc run --period 2024-03`` in ``cwd`` (or ``args``), as a user runs it; env entries added."""
    command = [*prefix, sys.executable, "-m", "kmc_analysis", *(args or ("run", "--period", "2024-03"))]
    full_env = {**os.environ, "KMC_PSEUDONYM_KEY": KEY, **env}
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True)


def published(root: Path) -> dict[str, str]:
    """The published period folders of processed and reports, file by file."""
    found = {}
    for side in ("data/processed/2024-03", "reports/2024-03"):
        for path in sorted((root / side).rglob("*")):
            if path.is_file():
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for side in ("data/processed", "reports") if (root / side).is_dir()
                  for p in (root / side).iterdir() if p.name.startswith((STAGING_PREFIX, PUBLISH_JOURNAL)))


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def next_run_succeeds_and_cleans(root: Path) -> None:
    result = kmc(root, UJI_PENANDA="baru")
    assert result.returncode == 0, result.stderr
    assert leftovers(root) == []
    assert (root / "data" / "processed" / "2024-03" / "tahap_2.txt").read_text() == "tahap 2 baru"


KILL_AT_RENAME = '''
import os, signal, sys
real_rename, calls = os.rename, []
def rename(source, target):
    calls.append(source)
    if len(calls) == int(os.environ["UJI_BUNUH_DI"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_rename(source, target)
os.rename = rename
from kmc_analysis.cli import main
sys.exit(main(["run", "--period", "2024-03"]))
'''


@pytest.mark.parametrize("kill_at", [2, 3])
def test_a_kill_while_publishing_leaves_the_previous_month_and_the_next_run_cleans_up(user, kill_at):
    before = published(user)
    killed = subprocess.run([sys.executable, "-c", KILL_AT_RENAME], cwd=user, capture_output=True, text=True,
                            env={**os.environ, "KMC_PSEUDONYM_KEY": KEY, "UJI_PENANDA": "baru",
                                 "UJI_BUNUH_DI": str(kill_at)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (user / "data" / "processed" / PUBLISH_JOURNAL).exists()
    if kill_at == 2:  # what the next run does first, under its lock: the month is back byte for byte
        said = recover(user / "data" / "processed", user / "reports")
        assert any("terputus; hasil lama dikembalikan utuh" in line for line in said)
        assert published(user) == before and leftovers(user) == []
    else:  # the next run itself settles the interrupted publish, then runs
        recovered = kmc(user, UJI_PENANDA="baru")
        assert recovered.returncode == 0, recovered.stderr
        assert "terputus; hasil lama dikembalikan utuh" in recovered.stderr
        assert leftovers(user) == []


def test_sigterm_during_a_stage_leaves_the_previous_month_and_says_so(user):
    before = published(user)
    running = kmc(user, wait=False, UJI_PENANDA="baru", UJI_AKSI_2="time.sleep(60)")
    staged = user / "data" / "processed"
    deadline = time.monotonic() + 60
    while not list(staged.glob(f"{STAGING_PREFIX}*/2024-03/notebooks/02_laporan.ipynb")):
        assert time.monotonic() < deadline and running.poll() is None, "stage 2 never started"
        time.sleep(0.2)
    time.sleep(1)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == 130, stderr
    last = stderr.strip().splitlines()[-1]
    assert "dihentikan" in last and "tahap 2" in last and "Hasil lama tidak berubah" in last
    assert published(user) == before and leftovers(user) == []


def test_a_stage_error_is_reported_by_type_stage_and_kept_notebook_never_its_text(user):
    before = published(user)
    result = kmc(user, UJI_PENANDA="baru", UJI_AKSI_2='raise ValueError("NIK 1872011504900001 milik BUDI SANTOSO")')
    assert result.returncode == 1
    assert "1872011504900001" not in result.stderr and "BUDI" not in result.stderr
    last = last_line(result)
    kept = user / "data" / "processed" / FAILED_RUNS / "2024-03" / "02_laporan.ipynb"
    assert "Tahap 02_laporan berhenti karena kesalahan tak terduga (ValueError)" in last and str(kept) in last
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert published(user) == before and leftovers(user) == []
    debug = kmc(user, UJI_AKSI_2='raise ValueError("rincian untuk pengembang")', KMC_DEBUG="1")
    assert "rincian untuk pengembang" in debug.stderr and "Traceback" in debug.stderr


def test_an_input_error_in_a_stage_is_printed_as_written_with_exit_2(user):
    before = published(user)
    action = ('from kmc_analysis.core.errors import InputError\n'
              'raise InputError("Berkas Dinsos.xlsx, sheet Data: kolom NIK tidak ada. Tambahkan kolom itu.")')
    result = kmc(user, UJI_AKSI_1=action)
    assert result.returncode == 2
    assert last_line(result) == ("kmc run: Tahap 01_bersih: Berkas Dinsos.xlsx, sheet Data: kolom NIK tidak ada. "
                                 "Tambahkan kolom itu.")
    assert published(user) == before


def test_what_stage_1_left_out_is_told_after_it_with_a_heartbeat_while_a_stage_runs(user, monkeypatch):
    from kmc_analysis.runner import RunOptions, run

    monkeypatch.chdir(user)
    monkeypatch.setenv("UJI_AKSI_2", "time.sleep(1.5)")
    lines = []
    run(RunOptions(period="2024-03", heartbeat_seconds=0.4), say=lines.append)
    first, second = (next(i for i, line in enumerate(lines) if line.startswith(f"[{n}/2]")) for n in (1, 2))
    assert lines[first + 1] == "Berkas diabaikan (bukan berkas data yang dibaca): Surat Pengantar.pdf"
    assert lines[first + 2].startswith("2 baris bukan data dilewati")
    assert any(line.startswith("Tahap 2 masih berjalan (") for line in lines[first:second])


def test_a_second_run_while_one_runs_exits_2_and_does_not_touch_its_outputs(user):
    first = kmc(user, wait=False, UJI_PENANDA="pertama", UJI_AKSI_1="time.sleep(8)")
    deadline = time.monotonic() + 60
    while not list((user / "data" / "processed").glob(f"{STAGING_PREFIX}*")):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.2)
    second = kmc(user, UJI_PENANDA="kedua")
    assert second.returncode == 2
    assert f"sedang dipakai oleh kmc run lain (PID {first.pid}" in last_line(second)
    assert first.wait(timeout=120) == 0
    assert (user / "data" / "processed" / "2024-03" / "tahap_2.txt").read_text() == "tahap 2 pertama"
    assert (user / "reports" / "2024-03" / "laporan_2.txt").read_text() == "laporan 2 pertama"


def _without_write_override() -> tuple[str, ...]:
    """A command prefix under which chmod stops writes (root normally ignores it), or skip."""
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only folder cannot be simulated faithfully")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


@pytest.mark.parametrize("side", ["reports", "data/processed"])
def test_a_folder_made_read_only_before_publishing_leaves_the_previous_month(user, side):
    prefix = _without_write_override()
    before = published(user)
    folder = user / side
    try:
        result = kmc(user, prefix=prefix, UJI_PENANDA="baru", UJI_AKSI_2=f"os.chmod({str(folder)!r}, 0o555)")
    finally:
        folder.chmod(0o755)
    assert result.returncode == 1, result.stderr
    last = last_line(result)
    assert "tidak dapat diterbitkan: izin menulis ditolak" in last and f"chmod u+w {folder}" in last
    assert "Hasil lama" in last and "Traceback" not in result.stderr
    assert published(user) == before
    next_run_succeeds_and_cleans(user)


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs (root only) holding the user's data and reports folders."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_while_a_stage_writes_leaves_the_previous_month(user, small_disk):
    for side in ("data", "reports"):
        shutil.move(user / side, small_disk / side)
        (user / side).symlink_to(small_disk / side)
    before = published(user)
    fill = "(paths.processed / 'besar.bin').write_bytes(os.urandom(4 * 1024 * 1024))"
    result = kmc(user, UJI_PENANDA="baru", UJI_AKSI_2=fill)
    assert result.returncode == 1, result.stderr
    assert "disk penuh" in last_line(result) and "Hasil lama tidak berubah" in last_line(result)
    assert published(user) == before and leftovers(user) == []


def as_nobody_under_a_process_limit(tasks: int) -> list[str]:
    """A command prefix running kmc as user nobody with ``ulimit -u`` at ``tasks`` (files stay reachable)."""
    caps = "+dac_override,+dac_read_search"
    return ["prlimit", f"--nproc={tasks}", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            f"--inh-caps={caps}", f"--ambient-caps={caps}"]


@pytest.mark.skipif(os.geteuid() != 0 or not (shutil.which("prlimit") and shutil.which("setpriv")),
                    reason="running kmc as another user under a process limit needs root, prlimit and setpriv")
def test_a_process_limit_too_tight_for_a_run_is_refused_before_any_stage_starts(user):
    # Under `ulimit -u` 24 pyarrow could not start its threads and the valid input file was blamed
    # (exit 2); under 20 a kernel died with a message that said nothing useful.
    from kmc_analysis.preflight import tasks_a_run_needs

    subprocess.run(["chown", "-R", "65534:65534", str(user)], check=True)  # kmc checks it may write there
    before = published(user)
    too_few = tasks_a_run_needs() - 4
    refused = kmc(user, prefix=as_nobody_under_a_process_limit(too_few), UJI_PENANDA="baru")
    assert refused.returncode == 1, refused.stderr
    assert "ulimit -u" in last_line(refused) and "Belum ada tahap yang dijalankan" in last_line(refused)
    assert "[1/2]" not in refused.stderr and "Traceback" not in refused.stderr
    could = int(re.search(r"masih bisa dimulai hanya ([0-9]+)", last_line(refused)).group(1))
    assert could <= too_few  # it once said one more than the limit (threads counted before they had ended)
    assert published(user) == before and leftovers(user) == []
    enough = kmc(user, prefix=as_nobody_under_a_process_limit(tasks_a_run_needs()), UJI_PENANDA="baru")
    assert enough.returncode == 0, enough.stderr
    assert (user / "data" / "processed" / "2024-03" / "tahap_2.txt").read_text() == "tahap 2 baru"


@pytest.mark.skipif(os.geteuid() != 0 or not (shutil.which("prlimit") and shutil.which("setpriv")),
                    reason="running kmc as another user under a process limit needs root, prlimit and setpriv")
def test_a_soft_process_limit_below_the_hard_one_is_raised_for_the_run_not_refused(user):
    # `ulimit -Su 30` under a hard limit of thousands was refused with "ask the admin", though any user
    # may raise a soft limit up to the hard one.
    from kmc_analysis.preflight import tasks_a_run_needs

    subprocess.run(["chown", "-R", "65534:65534", str(user)], check=True)
    soft_then_hard = f"{tasks_a_run_needs() - 4}:{tasks_a_run_needs() + 50}"
    passed = kmc(user, prefix=as_nobody_under_a_process_limit(soft_then_hard), UJI_PENANDA="baru")
    assert passed.returncode == 0, passed.stderr


def test_a_run_under_omp_num_threads_asks_room_for_pyarrows_larger_pool():
    # With OMP_NUM_THREADS=16 the check asked for 34 tasks, the run took 46, and stage 1 blamed a valid
    # CSV file ("tidak dapat dibaca (ArrowException)", exit 2) when pyarrow could not start its threads.
    ask = ("import pyarrow; from kmc_analysis.preflight import tasks_a_run_needs; "
           "print(tasks_a_run_needs(), pyarrow.cpu_count())")
    plain_env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT")}

    def needs(**env) -> list[int]:
        asked = subprocess.run([sys.executable, "-c", ask], env={**plain_env, **env}, capture_output=True, text=True,
                               check=True)
        return [int(n) for n in asked.stdout.split()]

    (plain, pool), (wide, _) = needs(), needs(OMP_NUM_THREADS="16")
    assert wide - plain == 16 - pool


def _sigterm_dropped_in_a_weakref_callback() -> None:
    """Send this process SIGTERM so that its KeyboardInterrupt is raised inside a weakref callback.

    Python drops an exception raised there ("Exception ignored in ..."): this is how a
    request to stop was lost while papermill's and jupyter_client's objects were collected.
    """
    class Collected:
        pass

    def callback(_ref):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.5)  # the handler runs here; its KeyboardInterrupt goes no further than this callback

    thing = Collected()
    reference = weakref.ref(thing, callback)
    del thing
    assert reference() is None


def test_a_sigterm_dropped_by_a_finaliser_still_stops_the_run_before_the_next_stage(user, monkeypatch, capfd):
    from kmc_analysis import runner
    from kmc_analysis.core.errors import RunInterrupted
    from kmc_analysis.interrupts import stop_requests_honoured

    monkeypatch.chdir(user)
    monkeypatch.setenv("KMC_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("UJI_PENANDA", "baru")
    real_execute_stage = runner.execute_stage

    def execute_stage_then_lose_a_sigterm(notebook, *args, **kwargs):
        real_execute_stage(notebook, *args, **kwargs)
        if notebook.stem == "01_bersih":
            _sigterm_dropped_in_a_weakref_callback()

    monkeypatch.setattr(runner, "execute_stage", execute_stage_then_lose_a_sigterm)
    before = published(user)
    with pytest.raises(RunInterrupted) as stopped, stop_requests_honoured():
        runner.run(runner.RunOptions(period="2024-03", quiet=True))
    assert "tahap 2" in str(stopped.value) and "Hasil lama tidak berubah" in str(stopped.value)
    assert published(user) == before and leftovers(user) == []
    assert "Exception ignored" not in capfd.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_sigterm_while_publishing_lets_the_publishing_finish_and_says_so(user, monkeypatch):
    # attack 20: a SIGTERM just after [4/4] exited 130 with the new month published, or half published
    from kmc_analysis import runner
    from kmc_analysis.interrupts import stop_requests_honoured

    monkeypatch.chdir(user)
    monkeypatch.setenv("KMC_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("UJI_PENANDA", "baru")
    real_publish = runner.publish

    def publish_while_sigterm_arrives(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(runner, "publish", publish_while_sigterm_arrives)
    lines = []
    with stop_requests_honoured():
        runner.run(runner.RunOptions(period="2024-03"), say=lines.append)
    assert (user / "data" / "processed" / "2024-03" / "tahap_2.txt").read_text() == "tahap 2 baru"
    told = "Permintaan berhenti (Ctrl-C atau SIGTERM) datang saat hasil diterbitkan"
    assert any(line.startswith(told) for line in lines)
    assert leftovers(user) == []
