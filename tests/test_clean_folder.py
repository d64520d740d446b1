"""What a month's folder holds: files read, ignored, unreadable, and replaced by a revision."""

import os
from pathlib import Path

import pytest

from kmc_analysis.clean.folder import list_folder, revision_of, superseded_by
from kmc_analysis.clean.ingest import read_submissions
from kmc_analysis.core.errors import InputError

CSV = "NIK,Nama,Kelurahan,Kode Bantuan,Nominal\n{nik},Siti,Metro,KMC-001,750000\n"


def month(tmp_path):
    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    return folder, tmp_path / "raw"


def submit(folder: Path, name: str, serial: int = 1) -> Path:
    path = folder / name
    path.write_text(CSV.format(nik=f"18720115049{serial:05d}"))
    return path


def test_other_kinds_hidden_files_lock_files_and_folders_are_listed_as_ignored(tmp_path):
    folder, raw = month(tmp_path)
    submit(folder, "Dinsos.csv")
    for name in ("Surat Pengantar.pdf", "Berita Acara.docx", "catatan.txt", "arsip.zip", "README", "~$Dinsos.xlsx",
                 ".csv", ".xlsx", "._Dinsos.xlsx", ".DS_Store"):
        (folder / name).write_bytes(b"x")
    (folder / "Lampiran.xlsx").mkdir()
    os.mkfifo(folder / "Dinsos_Pipa.csv")
    (folder / ".kmc-sintetis").write_text("{}")     # the workbook's own marker is not an OPD file
    result = read_submissions(folder, raw)
    assert result.ignored_files == sorted(["Surat Pengantar.pdf", "Berita Acara.docx", "catatan.txt", "arsip.zip",
                                           "README", "~$Dinsos.xlsx", ".csv", ".xlsx", "._Dinsos.xlsx", ".DS_Store",
                                           "Lampiran.xlsx", "Dinsos_Pipa.csv"])
    assert [i["path"] for i in result.inputs] == ["opd/2024-03/Dinsos.csv"]


def test_dangling_link_or_link_loop_is_bad_input_naming_it(tmp_path):
    folder, raw = month(tmp_path)
    submit(folder, "Dinsos.csv")
    (folder / "Dinsos_Hilang.xlsx").symlink_to(folder / "tidak_ada.xlsx")
    with pytest.raises(InputError, match="'Dinsos_Hilang.xlsx' tidak dapat dibuka"):
        read_submissions(folder, raw)
    (folder / "Dinsos_Hilang.xlsx").unlink()
    (folder / "Dinsos_A.csv").symlink_to(folder / "Dinsos_B.csv")
    (folder / "Dinsos_B.csv").symlink_to(folder / "Dinsos_A.csv")
    result = read_submissions(folder, raw, skip_unreadable=True)
    assert [r["path"] for r in result.rejected_files] == ["opd/2024-03/Dinsos_A.csv", "opd/2024-03/Dinsos_B.csv"]
    assert len(result.rows) == 1


def test_unreadable_file_is_bad_input_never_a_permission_traceback(tmp_path, monkeypatch):
    folder, raw = month(tmp_path)
    submit(folder, "Dinsos.csv")
    locked = submit(folder, "Dinsos_Terkunci.csv", serial=2)
    real = Path.read_bytes

    def read_bytes(path):
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(InputError, match="'Dinsos_Terkunci.csv' tidak dapat dibaca: izin ditolak"):
        read_submissions(folder, raw)
    result = read_submissions(folder, raw, skip_unreadable=True)
    assert [r["path"] for r in result.rejected_files] == ["opd/2024-03/Dinsos_Terkunci.csv"]
    assert len(result.rows) == 1


@pytest.mark.parametrize(("name", "base", "number"), [
    ("BNBA Kesra_revisi.xlsx", "bnba kesra", 1), ("BNBA Kesra revisi.xlsx", "bnba kesra", 1),
    ("BNBA Kesra_REVISI2.xlsx", "bnba kesra", 2), ("BNBA Kesra revisi 3.csv", "bnba kesra", 3),
    ("BNBA Kesra_Revisi_4.xls", "bnba kesra", 4), ("BNBA Kesra.xlsx", "bnba kesra", 0),
    ("Revisian.xlsx", "revisian", 0), ("Data Direvisi.xlsx", "data direvisi", 0),
])
def test_revision_endings(name, base, number):
    assert revision_of(Path(name)) == (base, number)


def test_revisi_file_replaces_the_original_and_the_highest_number_wins(tmp_path):
    folder, raw = month(tmp_path)
    original = submit(folder, "BNBA Kesra.csv", 1)
    first = submit(folder, "BNBA Kesra_revisi.csv", 2)
    second = submit(folder, "bnba kesra revisi 2.csv", 3)
    other = submit(folder, "Dinsos.csv", 4)
    assert superseded_by([original, first, second, other]) == {original: second, first: second}
    result = read_submissions(folder, raw)
    assert result.superseded_files == [
        {"path": "opd/2024-03/BNBA Kesra.csv", "replaced_by": "opd/2024-03/bnba kesra revisi 2.csv"},
        {"path": "opd/2024-03/BNBA Kesra_revisi.csv", "replaced_by": "opd/2024-03/bnba kesra revisi 2.csv"},
    ]
    assert sorted(result.rows["sumber_file"]) == ["Dinsos.csv", "bnba kesra revisi 2.csv"]
    assert [i["path"] for i in result.inputs] == ["opd/2024-03/Dinsos.csv", "opd/2024-03/bnba kesra revisi 2.csv"]


def test_a_revisi_file_without_its_original_is_read_as_it_is(tmp_path):
    folder, raw = month(tmp_path)
    submit(folder, "Dinsos_revisi.csv")
    listing = list_folder(folder)
    assert [p.name for p in listing.submissions] == ["Dinsos_revisi.csv"]
    assert listing.superseded == []
