"""``kmc verify``: a processed month against its manifest, its raw files and the contract's outputs."""

import hashlib
import json

import pandas as pd
import pytest

from kmc_analysis.cli import main
from kmc_analysis.core.store import (EVALUASI_RPJMD, KARANTINA, KETEPATAN_SASARAN, MAPS, MANIFEST, NOTEBOOKS, PENERIMA,
                                     REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_OPD, REKAP_PROGRAM, TINJAUAN, laporan_html,
                                     laporan_xlsx)
from kmc_analysis.core.periods import Period
from kmc_analysis.publishing import make_private
from kmc_analysis.verify import verify_period

PERIOD = Period(2024, 3)


@pytest.fixture
def month(tmp_path):
    """A processed month of 3 rows read (2 accepted, 1 quarantined) from one raw file, with its report."""
    raw, processed, reports = tmp_path / "raw", tmp_path / "processed", tmp_path / "reports"
    opd = raw / "opd" / str(PERIOD)
    opd.mkdir(parents=True)
    (opd / "Dinsos.csv").write_text("NIK,Nama\n1,a\n2,b\n3,c\n")
    (opd / "Surat.pdf").write_bytes(b"%PDF")
    folder = processed / str(PERIOD)
    folder.mkdir(parents=True)
    pd.DataFrame({"id_penerima": ["a" * 64, "b" * 64]}).to_parquet(folder / PENERIMA.name)
    (folder / KARANTINA.name).write_text("sumber_file,sumber_sheet,sumber_baris,alasan\nDinsos.csv,Dinsos,4,nik_format\n",
                                         encoding="utf-8-sig")
    for table in (REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_OPD, REKAP_PROGRAM, EVALUASI_RPJMD, TINJAUAN):
        (folder / table.name).write_text("x\n")
    (folder / NOTEBOOKS).mkdir()
    (folder / NOTEBOOKS / "01_clean_opd_data.ipynb").write_text("{}")
    manifest = {"period": str(PERIOD), "ignored_files": ["Surat.pdf"],
                "inputs": [{"path": "opd/2024-03/Dinsos.csv", "rows_read": 3,
                            "sha256": hashlib.sha256((opd / "Dinsos.csv").read_bytes()).hexdigest()}],
                "counts": {"rows_read": 3, "rows_accepted": 2, "rows_quarantined": 1}}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    make_private(folder)
    report = reports / str(PERIOD)
    report.mkdir(parents=True)
    for name in (laporan_html(PERIOD), laporan_xlsx(PERIOD), MAPS["kecamatan"], MAPS["kelurahan"]):
        (report / name).write_text("x")
    return raw, processed, reports


def verify(month):
    return verify_period(str(PERIOD), *month)


def test_an_untouched_month_verifies_clean(month, capsys):
    assert verify(month) == []
    raw, processed, reports = month
    assert main(["verify", "--period", "2024-03", "--raw-dir", str(raw), "--processed-dir", str(processed),
                 "--reports-dir", str(reports)]) == 0
    assert "sesuai manifest" in capsys.readouterr().err


def test_a_raw_file_changed_after_the_run_is_named(month, capsys):
    raw, processed, reports = month
    (raw / "opd" / "2024-03" / "Dinsos.csv").write_text("NIK,Nama\n1,a\n")
    assert main(["verify", "--period", "2024-03", "--raw-dir", str(raw), "--processed-dir", str(processed),
                 "--reports-dir", str(reports)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any("opd/2024-03/Dinsos.csv berubah" in line for line in err)
    assert err[-1] == "kmc verify: 1 perbedaan ditemukan pada periode 2024-03."


def test_a_raw_file_removed_or_added_after_the_run_is_named(month):
    raw = month[0]
    (raw / "opd" / "2024-03" / "Dinsos.csv").rename(raw / "opd" / "2024-03" / "Dinkes.csv")
    found = verify(month)
    assert any("Dinsos.csv tidak ada lagi" in line for line in found)
    assert any("Dinkes.csv belum diolah" in line for line in found)


def test_an_input_that_cannot_be_read_is_named_not_a_crash(month, monkeypatch):
    # a chmod-000 input made kmc verify stop with "kesalahan tak terduga (PermissionError)"
    import kmc_analysis.verify as verify_module

    def unreadable(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(verify_module, "_sha256", unreadable)  # root reads chmod 000 files: simulate a user
    found = verify(month)
    assert len(found) == 1 and "Dinsos.csv tidak dapat dibaca (Permission denied)" in found[0]


def test_counts_that_do_not_add_up_are_named(month):
    processed = month[1] / str(PERIOD)
    manifest = json.loads((processed / MANIFEST).read_text())
    manifest["counts"]["rows_read"] = 5
    manifest["counts"]["rows_accepted"] = 3
    (processed / MANIFEST).write_text(json.dumps(manifest))
    found = verify(month)
    assert "rows_read 5 tidak sama dengan rows_accepted 3 + rows_quarantined 1" in found[0]
    assert any(line.startswith("penerima.parquet berisi 2 baris") for line in found)


def test_a_quarantine_row_count_unlike_the_manifest_is_named(month):
    processed = month[1] / str(PERIOD)
    with (processed / KARANTINA.name).open("a", encoding="utf-8") as handle:
        handle.write("Dinsos.csv,Dinsos,5,nik_kosong\n")
    assert any(line.startswith("karantina.csv berisi 2 baris") for line in verify(month))


def test_a_missing_output_and_a_notebook_in_the_reports_are_named(month):
    raw, processed, reports = month
    (processed / str(PERIOD) / REKAP_OPD.name).unlink()
    (reports / str(PERIOD) / MAPS["kelurahan"]).unlink()
    (reports / str(PERIOD) / "01_clean_opd_data.ipynb").write_text("{}")
    found = verify(month)
    assert any(REKAP_OPD.name in line and "tidak ada" in line for line in found)
    assert any(MAPS["kelurahan"] in line and "tidak ada" in line for line in found)
    assert any("01_clean_opd_data.ipynb adalah notebook" in line for line in found)


def test_a_processed_month_open_to_other_users_is_named(month):
    (month[1] / str(PERIOD)).chmod(0o755)
    assert any("chmod -R go-rwx" in line for line in verify(month))


def test_a_month_never_processed_is_bad_input(tmp_path, capsys):
    assert main(["verify", "--period", "2024-05", "--processed-dir", str(tmp_path)]) == 2
    assert "belum diolah" in capsys.readouterr().err


def test_verify_takes_no_lock(month):
    from kmc_analysis.locking import FolderLock

    with FolderLock(month[1]):
        assert verify(month) == []


def test_a_month_with_a_dtks_folder_needs_its_targeting_table(month):
    raw, processed, _ = month
    (raw / "dtks").mkdir()
    assert any(KETEPATAN_SASARAN.name in line for line in verify(month))
    (processed / str(PERIOD) / KETEPATAN_SASARAN.name).write_text("x\n")
    make_private(processed / str(PERIOD))
    assert verify(month) == []


def test_a_month_only_cleaned_for_the_years_totals_is_told_to_be_run_first(month, capsys):
    # Black-box attack 13: a month cleaned by a later month's run (stage 1 only, for the running totals) gave exit 1
    # and six "tidak ada" lines; it is no broken month, just one never run on its own.
    raw, processed, reports = month
    for path in sorted((reports / str(PERIOD)).iterdir()):
        path.unlink()
    (reports / str(PERIOD)).rmdir()
    manifest = json.loads((processed / str(PERIOD) / MANIFEST).read_text())
    (processed / str(PERIOD) / MANIFEST).write_text(json.dumps({**manifest, "stages": []}))
    assert main(["verify", "--period", "2024-03", "--raw-dir", str(raw), "--processed-dir", str(processed),
                 "--reports-dir", str(reports)]) == 2
    assert "baru dibersihkan (tahap 1)" in capsys.readouterr().err
    (processed / str(PERIOD) / MANIFEST).write_text(json.dumps({**manifest, "stages": [{"name": "01", "seconds": 1}]}))
    assert any("Folder laporan" in line for line in verify(month)), "a run month without its report is still named"
