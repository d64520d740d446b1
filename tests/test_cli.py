"""The ``kmc`` command line: exit statuses, Indonesian messages, checks before stage 1 (CONTRACT section 1)."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kmc_analysis import __version__
from kmc_analysis.cli import main
from kmc_analysis.core.store import MANIFEST, STAGING_PREFIX

FIXTURES = Path(__file__).parent / "fixtures" / "opd"
OTHER_KEY_ID = "0123456789abcdef"


@pytest.fixture(autouse=True)
def no_notebook_may_start(monkeypatch):
    """These tests are about what happens before stage 1: running a notebook is a failure."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("a stage notebook started although the input was bad")

    monkeypatch.setattr("kmc_analysis.runner.execute_stage", refuse)


def raw_dir_with(tmp_path, *names, period="2024-03"):
    raw = tmp_path / "raw"
    folder = raw / "opd" / period
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    return raw


def run_kmc(tmp_path, raw, *extra):
    return main(["run", "--period", "2024-03", "--raw-dir", str(raw), "--processed-dir", str(tmp_path / "proc"),
                 "--reports-dir", str(tmp_path / "rep"), "--quiet", *extra])


def last_line(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


def processed_month(tmp_path, month: str, key_id: str) -> Path:
    folder = tmp_path / "proc" / month
    folder.mkdir(parents=True)
    (folder / MANIFEST).write_text(json.dumps({"period": month, "key_id": key_id}))
    return folder


@pytest.mark.parametrize("period", ["2024-3", "03-2024", "2024-13", "maret"])
def test_bad_period_exits_2_with_the_expected_form(tmp_path, capsys, period):
    assert main(["run", "--period", period, "--raw-dir", str(tmp_path)]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_a_period_starting_with_a_dash_is_told_the_yyyy_mm_form(capsys):
    # argparse reads "-2024-03" as an option and said only "expected one argument"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--period", "-2024-03"])
    assert exit_info.value.code == 2
    assert "YYYY-MM" in last_line(capsys)


def test_an_unreadable_period_folder_exits_2_naming_it_before_stage_1(tmp_path, capsys, monkeypatch):
    # chmod 000 on the month's folder used to stop stage 1 with exit 1 (PermissionError)
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    locked = raw / "opd" / "2024-03"
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)  # root ignores chmod 000: simulate what a user meets
    assert run_kmc(tmp_path, raw) == 2
    err = last_line(capsys)
    assert "tidak dapat dibuka (izin ditolak)" in err and str(locked) in err and "chmod" in err
    assert not (tmp_path / "proc" / "2024-03").exists()


def test_unknown_period_folder_exits_2_and_lists_known_periods(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv", period="2024-02")
    assert run_kmc(tmp_path, raw) == 2
    err = last_line(capsys)
    assert "periode 2024-03 tidak ada" in err and "Periode yang ada datanya: 2024-02" in err
    assert not (tmp_path / "proc").exists()


def test_a_period_folder_without_opd_files_exits_2_before_stage_1(tmp_path, capsys):
    # Black-box attack 10: an empty month folder gave exit 0 and a published report of zero recipients, with
    # the RPJMD indicators computed from KMC data judged on nothing.
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv", period="2024-02")
    month = raw / "opd" / "2024-03"
    month.mkdir()
    (month / "surat_pengantar.pdf").write_bytes(b"%PDF-1.4")
    assert run_kmc(tmp_path, raw) == 2
    err = last_line(capsys)
    assert "periode 2024-03 tidak berisi berkas OPD" in err and "1 berkas lain" in err and str(month) in err
    assert "surat_pengantar" not in err
    assert not (tmp_path / "proc" / "2024-03").exists()


@pytest.mark.parametrize("below", [False, True])
def test_a_reports_dir_that_is_a_file_exits_2_naming_the_option_and_the_file(tmp_path, capsys, below):
    # Black-box attack 10: exit 1 with "galat sistem berkas EEXIST" naming the folder above it.
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    (tmp_path / "laporan.txt").write_text("bukan folder")
    reports = tmp_path / "laporan.txt" / "bulanan" if below else tmp_path / "laporan.txt"
    assert main(["run", "--period", "2024-03", "--raw-dir", str(raw), "--processed-dir", str(tmp_path / "proc"),
                 "--reports-dir", str(reports), "--quiet"]) == 2
    err = last_line(capsys)
    assert f"--reports-dir {reports}" in err and "sebuah berkas, bukan folder" in err and "EEXIST" not in err
    assert (f"di bawah {tmp_path / 'laporan.txt'}" in err) is below
    assert not (tmp_path / "proc" / "2024-03").exists()


def test_min_cell_below_one_exits_2(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    assert run_kmc(tmp_path, raw, "--min-cell", "0") == 2
    assert "--min-cell harus 1 atau lebih" in last_line(capsys)


def test_a_usage_error_ends_in_an_indonesian_sentence(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--period", "2024-03", "--min-cell", "abc"])
    assert exit_info.value.code == 2
    assert "argumen tidak valid" in last_line(capsys)


def test_missing_boundary_file_exits_2(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    assert run_kmc(tmp_path, raw, "--boundaries", str(tmp_path / "tidak_ada.gpkg")) == 2
    assert "tidak_ada.gpkg" in last_line(capsys)


def test_corrupt_boundary_file_fails_before_stage_1_naming_it(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    (raw / "reference").mkdir()
    (raw / "reference" / "batas_kelurahan.geojson").write_text('{"type": "FeatureCollection", "features": [')
    assert run_kmc(tmp_path, raw) == 2
    assert "batas_kelurahan.geojson" in last_line(capsys)
    assert not (tmp_path / "proc").exists()


def test_bad_reference_override_exits_2_naming_the_file(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    (raw / "reference").mkdir()
    (raw / "reference" / "wilayah.csv").write_text("kode_kecamatan,kecamatan\n18.72.01,Metro Pusat\n")
    assert run_kmc(tmp_path, raw) == 2
    assert "wilayah.csv" in last_line(capsys)


@pytest.mark.parametrize("secret", [" " * 16, "abc" + " " * 14])
def test_a_blank_or_short_key_fails_before_stage_1(tmp_path, capsys, monkeypatch, secret):
    monkeypatch.setenv("KMC_PSEUDONYM_KEY", secret)
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    assert run_kmc(tmp_path, raw) == 2
    assert "KMC_PSEUDONYM_KEY" in last_line(capsys)


def test_a_key_file_readable_by_others_fails_before_stage_1_with_the_fix(tmp_path, capsys, monkeypatch):
    key = tmp_path / "kunci" / "pseudonym.key"
    key.parent.mkdir()
    key.write_text("rahasia-yang-panjang-sekali-0123456789\n")
    key.chmod(0o644)
    monkeypatch.delenv("KMC_PSEUDONYM_KEY")
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(key))
    assert run_kmc(tmp_path, raw_dir_with(tmp_path, "comma_bom_utf8.csv")) == 2
    assert f"chmod 600 {key}" in last_line(capsys)


def test_an_earlier_month_under_another_key_exits_2_naming_it_and_the_fix(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    processed_month(tmp_path, "2024-01", OTHER_KEY_ID)
    processed_month(tmp_path, "2024-02", OTHER_KEY_ID)
    assert run_kmc(tmp_path, raw) == 2
    err = last_line(capsys)
    assert "Bulan 2024-01, 2024-02 sudah diolah dengan kunci pseudonim lain" in err
    assert "--reclean-year" in err and OTHER_KEY_ID in err
    assert not list((tmp_path / "proc").glob(f"{STAGING_PREFIX}*"))


def test_reclean_year_without_the_months_raw_files_exits_2_naming_the_month(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    processed_month(tmp_path, "2024-02", OTHER_KEY_ID)
    assert run_kmc(tmp_path, raw, "--reclean-year") == 2
    assert "Bulan 2024-02 tidak dapat dibersihkan ulang" in last_line(capsys)


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kmc_analysis.locking import FolderLock
    FolderLock(Path(sys.argv[1])).acquire()
    print("siap", flush=True)
    time.sleep(120)
""")


def test_a_second_run_while_one_runs_exits_2_saying_who_holds_the_folder(tmp_path, capsys, monkeypatch):
    """The lock is checked after the key is loaded: a new key file is still announced first."""
    monkeypatch.delenv("KMC_PSEUDONYM_KEY")
    key = tmp_path / "kunci-baru" / "pseudonym.key"
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(key))
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    (tmp_path / "proc").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "proc")], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "siap"
        assert main(["run", "--period", "2024-03", "--raw-dir", str(raw), "--processed-dir", str(tmp_path / "proc"),
                     "--reports-dir", str(tmp_path / "rep")]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert f"sedang dipakai oleh kmc run lain (PID {holder.pid}" in err[-1] and str(tmp_path / "proc") in err[-1]
    announced = [line for line in err if "Berkas kunci pseudonim baru dibuat" in line]
    assert announced and str(key) in announced[0] and "cadangan" in announced[0]


def test_an_unexpected_error_is_named_by_type_never_by_its_text(tmp_path, capsys, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ValueError("1872011504900001 BUDI SANTOSO")

    monkeypatch.setattr("kmc_analysis.runner.run", broken)
    assert run_kmc(tmp_path, tmp_path) == 1
    err = capsys.readouterr().err
    assert "1872011504900001" not in err and "BUDI" not in err
    assert "kesalahan tak terduga (ValueError)" in err and "KMC_DEBUG=1" in err


def test_kmc_debug_shows_the_traceback(tmp_path, capsys, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ValueError("rincian untuk pengembang")

    monkeypatch.setattr("kmc_analysis.runner.run", broken)
    monkeypatch.setenv("KMC_DEBUG", "1")
    assert run_kmc(tmp_path, tmp_path) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "rincian untuk pengembang" in err


def test_version_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"kmc {__version__}"


def test_synth_rejects_a_bad_row_count(tmp_path, capsys):
    assert main(["synth", "--period", "2024-03", "--out", str(tmp_path), "--rows", "0"]) == 2
    assert "--rows" in capsys.readouterr().err


def test_module_entry_point_is_the_same_command():
    import runpy

    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("kmc_analysis", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 2  # argparse: a command is required


def test_template_for_an_unknown_opd_exits_2_listing_the_catalogue(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "templat.xlsx"), "--opd", "Dinas Antah Berantah",
                 "--raw-dir", str(tmp_path)]) == 2
    err = last_line(capsys)
    assert "Dinas Antah Berantah" in err and "Dinas Sosial" in err
    assert not (tmp_path / "templat.xlsx").exists()


def _template_available() -> bool:
    try:
        from kmc_analysis.clean.template import write_template  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _template_available(), reason="kmc_analysis.clean.template.write_template has not landed yet")
def test_template_writes_the_workbook_for_one_opd_spelled_loosely(tmp_path, capsys):
    out = tmp_path / "templat.xlsx"
    assert main(["template", "--out", str(out), "--opd", "  dinas   sosial ", "--raw-dir", str(tmp_path)]) == 0
    assert out.is_file() and "Dinas Sosial" in capsys.readouterr().err


def test_bad_file_in_an_earlier_month_names_that_month(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    january = raw / "opd" / "2024-01"
    january.mkdir()
    shutil.copy(FIXTURES / "corrupt.xlsx", january / "rusak.xlsx")
    assert run_kmc(tmp_path, raw) == 2
    last = last_line(capsys)
    assert "Bulan 2024-01 (untuk angka tahun berjalan)" in last and "rusak.xlsx" in last
    assert not (tmp_path / "proc" / "2024-01").exists()
    assert [p.name for p in (tmp_path / "proc").iterdir()] == [".kmc-run.lock"]


def test_kmc_run_called_from_python_gives_back_the_callers_signal_handlers(tmp_path):
    # the console script ignores a Ctrl-C or SIGTERM once its run is over; main() called from Python (a test
    # suite, a notebook) left both ignored for the rest of the caller's process
    import signal

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert main(["run", "--period", "2024-03", "--raw-dir", str(tmp_path)]) == 2  # no month: refused
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
