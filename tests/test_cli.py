"""The ``kmc`` command line: exit statuses and plain-language errors (CONTRACT section 1)."""

import shutil
from pathlib import Path

import pytest

from kmc_analysis.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "opd"


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


@pytest.mark.parametrize("period", ["2024-3", "03-2024", "2024-13", "maret"])
def test_bad_period_exits_2_with_the_expected_form(tmp_path, capsys, period):
    assert main(["run", "--period", period, "--raw-dir", str(tmp_path)]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_unknown_period_folder_exits_2_and_lists_known_periods(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv", period="2024-02")
    assert run_kmc(tmp_path, raw) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "2024-03" in err and "Periods with data: 2024-02" in err


def test_min_cell_below_one_exits_2(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    assert run_kmc(tmp_path, raw, "--min-cell", "0") == 2
    assert "--min-cell" in capsys.readouterr().err


def test_missing_boundary_file_exits_2(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    assert run_kmc(tmp_path, raw, "--boundaries", str(tmp_path / "tidak_ada.gpkg")) == 2
    assert "tidak_ada.gpkg" in capsys.readouterr().err


def test_bad_reference_override_exits_2_naming_the_file(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    (raw / "reference").mkdir()
    (raw / "reference" / "wilayah.csv").write_text("kode_kecamatan,kecamatan\n18.72.01,Metro Pusat\n")
    assert run_kmc(tmp_path, raw) == 2
    assert "wilayah.csv" in capsys.readouterr().err


def test_synth_rejects_a_bad_row_count(tmp_path, capsys):
    assert main(["synth", "--period", "2024-03", "--out", str(tmp_path), "--rows", "0"]) == 2
    assert "--rows" in capsys.readouterr().err


def test_module_entry_point_is_the_same_command():
    import runpy

    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("kmc_analysis", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 2  # argparse: a command is required


def test_bad_file_in_an_earlier_month_names_that_month(tmp_path, capsys):
    raw = raw_dir_with(tmp_path, "comma_bom_utf8.csv")
    january = raw / "opd" / "2024-01"
    january.mkdir()
    shutil.copy(FIXTURES / "corrupt.xlsx", january / "rusak.xlsx")
    assert run_kmc(tmp_path, raw) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "Earlier month 2024-01" in last and "rusak.xlsx" in last
    assert not (tmp_path / "proc" / "2024-01").exists()
