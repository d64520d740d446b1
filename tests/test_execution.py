"""Tests for kmc_analysis.execution: the one sentence a failed stage ends with."""

from __future__ import annotations

import errno
import subprocess
import sys

import papermill
import pytest

from kmc_analysis.core.errors import KMCError
from kmc_analysis.execution import execute_stage
from kmc_analysis.progress import Console


@pytest.mark.parametrize("number, words", [(errno.ENOSPC, "disk penuh"), (errno.EACCES, "izin ditolak")])
def test_a_full_disk_or_a_refused_write_of_the_executed_notebook_says_so(tmp_path, monkeypatch, number, words):
    # papermill writing the executed notebook into a full staging folder used to read
    # "kernel Python gagal menjalankan notebook (OSError) ... laporkan": the user can fix this one
    def full_disk(*args, **kwargs):
        raise OSError(number, "No space left on device" if number == errno.ENOSPC else "Permission denied")

    monkeypatch.setattr(papermill, "execute_notebook", full_disk)
    notebook = tmp_path / "01_clean_opd_data.ipynb"
    notebook.write_text("{}")
    with pytest.raises(KMCError) as caught:
        execute_stage(notebook, tmp_path / "staging" / notebook.name, {}, Console(quiet=True), tmp_path / "gagal")
    message = str(caught.value)
    assert words in message and "01_clean_opd_data" in message and "kernel Python gagal" not in message


@pytest.mark.parametrize("ename, evalue", [
    ("RuntimeError", "can't start new thread"),
    ("BlockingIOError", "[Errno 11] Resource temporarily unavailable"),
])
def test_a_stage_stopped_by_the_process_limit_says_so_and_what_to_do(tmp_path, ename, evalue):
    # a per-user process limit (ulimit -u) reached read "kesalahan tak terduga (RuntimeError) ... laporkan"
    from kmc_analysis.execution import stage_failure

    message = str(stage_failure("01_clean_opd_data", ename, evalue, tmp_path / "01.ipynb"))
    assert "ulimit -u" in message and "jalankan ulang" in message and "tak terduga" not in message


def test_papermill_is_imported_without_the_iri_checker_that_takes_seconds_and_still_validates_notebooks():
    # jsonschema imported rfc3987_syntax (35 Earley parsers, 1.6-2.1 s) at the start of every `kmc run`
    script = ("import sys, time\n"
              "from kmc_analysis.execution import import_papermill\n"
              "import_papermill()\n"
              "import nbformat\n"
              "assert sys.modules.get('rfc3987_syntax') is None, 'the slow checker was imported'\n"
              "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')]))\n"
              "broken = nbformat.v4.new_notebook(); broken.cells = [{'cell_type': 'kode'}]\n"
              "try:\n"
              "    nbformat.validate(broken)\n"
              "except nbformat.ValidationError:\n"
              "    print('validated')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "validated", done.stderr[-500:]


@pytest.mark.parametrize("ename, evalue", [
    ("PersonalDataError", "Berkas laporan memuat data pribadi atau path folder server, laporan tidak diterbitkan: "
                          "laporan_kmc_2024-03.html: 1 angka 16 digit."),
    ("DisclosureError", "Audit penyamaran menemukan sel yang dapat dihitung: rekap_kelurahan 18.72.01.1001."),
])
def test_a_stage_refusing_to_publish_says_why_in_its_own_words_with_exit_1(tmp_path, ename, evalue):
    # Black-box recheck 14: a 16-digit number in a program name stopped stage 4 with "kesalahan tak terduga
    # (PersonalDataError) ... Laporkan kesalahan ini": the refusal's own sentence (file and kind, never the value)
    # is what the operator needs.
    from kmc_analysis.execution import stage_failure

    error = stage_failure("04_report", ename, evalue, tmp_path / "04.ipynb")
    assert str(error) == f"Tahap 04_report: {evalue}" and error.exit_code == 1


def test_a_kernel_that_died_as_the_out_of_memory_killer_leaves_it_names_memory_in_one_sentence(tmp_path, monkeypatch):
    # A black-box attack killed stage 1's kernel with SIGKILL, as the OOM killer does: the run said only
    # "kernel Python gagal ... (DeadKernelError) ... Jalankan ulang", after papermill's English log line.
    from nbclient.exceptions import DeadKernelError

    def dies(*args, **kwargs):
        import logging
        logging.getLogger("papermill").error("Kernel died while waiting for execute reply.")
        raise DeadKernelError("Kernel died")

    monkeypatch.setattr(papermill, "execute_notebook", dies)
    monkeypatch.delenv("KMC_DEBUG", raising=False)
    notebook = tmp_path / "01_clean_opd_data.ipynb"
    notebook.write_text("{}")
    with pytest.raises(KMCError) as caught:
        execute_stage(notebook, tmp_path / "staging" / notebook.name, {}, Console(quiet=True), tmp_path / "gagal")
    message = str(caught.value)
    assert "memori" in message and "mati mendadak" in message and "Hasil lama tidak berubah" in message
    import logging
    assert not logging.getLogger("papermill").isEnabledFor(logging.ERROR)


def test_a_kernel_killed_while_it_starts_is_told_as_a_dead_kernel_too(tmp_path, monkeypatch):
    # The attack killed stage 1's kernel a second after it started: jupyter_client's RuntimeError read
    # "kernel Python gagal ... (RuntimeError) ... laporkan", without a word of memory.
    def dies_starting(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", dies_starting)
    notebook = tmp_path / "01_clean_opd_data.ipynb"
    notebook.write_text("{}")
    with pytest.raises(KMCError) as caught:
        execute_stage(notebook, tmp_path / "staging" / notebook.name, {}, Console(quiet=True), tmp_path / "gagal")
    assert "mati mendadak" in str(caught.value) and "memori" in str(caught.value)
