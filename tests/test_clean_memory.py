"""A month too large for the memory left is refused in plain Indonesian before stage 1 reads it."""

import pytest

from kmc_analysis.clean import memory
from kmc_analysis.clean.memory import check_memory, memory_needed, submission_bytes
from kmc_analysis.clean.stage import clean_month
from kmc_analysis.core.errors import InputError, KMCError
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference

MARET = Period(2024, 3)
CSV = "NIK,Nama,Kelurahan,Kode Bantuan,Nominal\n1872011504900001,Siti Aminah,Metro,KMC-001,750000\n"


def month_folder(tmp_path, files: dict[str, bytes]):
    folder = tmp_path / "raw" / "opd" / str(MARET)
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def test_a_month_larger_than_the_memory_left_is_refused_with_sizes_and_a_fix(tmp_path):
    folder = month_folder(tmp_path, {"Dinsos.csv": CSV.encode() * 100, "catatan.txt": b"x" * 10_000})
    with pytest.raises(InputError) as refused:
        check_memory(folder, available=100 * 2**20)
    message = str(refused.value)
    assert "1 berkas" in message and "memori" in message and "0,1 GB" in message
    assert "Tutup aplikasi lain" in message and "belum membaca" in message
    assert "1872011504900001" not in message and "Siti" not in message


def test_a_month_that_fits_in_memory_passes(tmp_path):
    folder = month_folder(tmp_path, {"Dinsos.csv": CSV.encode()})
    check_memory(folder, available=2**40)


def test_a_workbook_is_expected_to_need_more_memory_than_the_same_bytes_of_csv(tmp_path):
    folder = month_folder(tmp_path, {"a.csv": b"x" * 1000, "b.xlsx": b"x" * 1000})
    assert memory_needed([folder / "b.xlsx"]) > memory_needed([folder / "a.csv"]) > memory_needed([])


def test_submission_bytes_count_the_month_files_only(tmp_path):
    # Stage 1 decides from these bytes, before reading, whether to start its feedback helper early.
    folder = month_folder(tmp_path, {"a.csv": b"x" * 1000, "b.xlsx": b"y" * 500, "catatan.txt": b"z" * 10_000})
    (folder / "arsip").mkdir()
    assert submission_bytes(folder) == 1500
    assert submission_bytes(tmp_path / "tidak_ada") == 0


def test_stage_one_says_the_month_will_not_fit_before_it_reads_or_writes_anything(tmp_path, monkeypatch):
    month_folder(tmp_path, {"Dinsos.csv": CSV.encode()})
    monkeypatch.setattr(memory, "memory_available", lambda: 2**20)
    read = []
    monkeypatch.setattr("kmc_analysis.clean.stage.read_submissions", lambda *a, **k: read.append(a))
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    with pytest.raises(InputError, match="diperkirakan membutuhkan"):
        clean_month(paths, load_reference(None))
    assert not read
    assert not (tmp_path / "processed").exists()


def test_arrow_takes_memory_from_the_system_allocator_in_the_block_and_its_own_pool_again_after():
    import pyarrow as pa

    from kmc_analysis.clean.memory import arrow_on_the_system_allocator

    before = pa.default_memory_pool().backend_name
    with pytest.raises(RuntimeError), arrow_on_the_system_allocator():
        assert pa.default_memory_pool().backend_name == "system"
        made = pa.array(["1872015708900001"] * 1000)
        raise RuntimeError("stage 1 failed")
    assert pa.default_memory_pool().backend_name == before
    assert made.to_pylist()[0] == "1872015708900001"  # buffers made in the block outlive it


def test_a_tight_ulimit_v_is_refused_before_any_stage_with_the_limit_and_the_fix(tmp_path):
    # Under `ulimit -v` 1.8-2.45 GB a kernel died of SIGABRT on thread creation with no word of why, and at
    # 2.5-3 GB stage 1 blamed an innocent file: each kernel reserves about 3 GB of address space.
    folder = month_folder(tmp_path, {"Dinsos.csv": CSV.encode() * 1000})
    with pytest.raises(KMCError) as refused:
        memory.check_address_space(folder, limit=2_400_000 * 1024)
    message = str(refused.value)
    assert "(`ulimit -v`) 2,3 GB" in message and "ulimit -v unlimited" in message
    assert "Belum ada tahap yang dijalankan" in message and not isinstance(refused.value, InputError)
    assert "1872011504900001" not in message and "Siti" not in message


def test_an_address_space_limit_with_room_for_the_month_or_none_at_all_passes(tmp_path):
    folder = month_folder(tmp_path, {"Dinsos.csv": CSV.encode()})
    memory.check_address_space(folder, limit=8 * 2**30)
    memory.check_address_space(tmp_path / "tidak_ada", limit=8 * 2**30)


def test_the_address_space_a_month_needs_grows_with_its_files(tmp_path):
    small = month_folder(tmp_path, {"Dinsos.csv": CSV.encode()})
    limit = memory.ADDRESS_SPACE_BASE + memory.memory_needed(list(small.iterdir())) + 2**20
    memory.check_address_space(small, limit=limit)
    (small / "Dinkes.csv").write_bytes(b"x" * 2**20)
    with pytest.raises(KMCError):
        memory.check_address_space(small, limit=limit)


def test_kmc_run_under_a_tight_ulimit_v_says_so_instead_of_an_unexpected_error(tmp_path, monkeypatch, capsys):
    # At `ulimit -v` 1.5 GB a library could not even be loaded: "kesalahan tak terduga (ImportError)".
    import resource

    from kmc_analysis import cli

    usual = resource.getrlimit
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1_500_000 * 1024, resource.RLIM_INFINITY)
                        if which == resource.RLIMIT_AS else usual(which))

    def fails_to_load(args):
        raise ImportError("failed to map segment from shared object")

    monkeypatch.setitem(cli.COMMANDS, "run", fails_to_load)
    assert cli.main(["run", "--period", "2024-03"]) == 1
    said = capsys.readouterr().err
    assert "kehabisan ruang alamat" in said and "(`ulimit -v`) 1,4 GB" in said and "tak terduga" not in said


def test_kmc_run_under_a_limit_too_small_for_any_run_is_refused_before_its_libraries_load(monkeypatch, capsys):
    # At `ulimit -v` 0.2-0.5 GB the attack saw an innocent reference file blamed, a segfault or an unexpected
    # ValueError: the libraries failed to load before the run's check of the limit.
    import sys

    from kmc_analysis import cli

    monkeypatch.setattr(memory, "address_space_limit", lambda: 200_000 * 1024)
    monkeypatch.delitem(sys.modules, "kmc_analysis.runner", raising=False)
    assert cli.main(["run", "--period", "2024-03"]) == 1
    said = capsys.readouterr().err
    assert "(`ulimit -v`) 0,2 GB" in said and "ulimit -v unlimited" in said
    assert "kmc_analysis.runner" not in sys.modules
