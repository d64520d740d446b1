"""Finding the project's data folders from wherever a notebook or a shell happens to run."""

from pathlib import Path

import pytest

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.project import find_project_dir, project_folder, project_folders


@pytest.fixture(autouse=True)
def no_folder_variables(monkeypatch):
    for variable in ("KMC_RAW_DIR", "KMC_PROCESSED_DIR", "KMC_REPORTS_DIR"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def clone(tmp_path):
    """A clone of the workbook: pyproject.toml, notebooks/eksplorasi/, data/raw, no run yet."""
    root = tmp_path / "kmc"
    (root / "notebooks" / "eksplorasi").mkdir(parents=True)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'kmc-analysis'\n")
    return root


def test_notebook_opened_from_notebooks_finds_the_clones_folders(clone, monkeypatch):
    monkeypatch.chdir(clone / "notebooks")
    assert project_folders("", "", "") == (clone / "data" / "raw", clone / "data" / "processed", clone / "reports")


def test_notebook_opened_from_notebooks_eksplorasi_finds_the_clones_folders(clone, monkeypatch):
    monkeypatch.chdir(clone / "notebooks" / "eksplorasi")
    assert project_folder("processed") == clone / "data" / "processed"


def test_kernel_started_in_the_project_folder_finds_the_same_folders(clone, monkeypatch):
    monkeypatch.chdir(clone)
    assert project_folder("raw") == clone / "data" / "raw"


def test_operator_folder_without_pyproject_is_found_by_its_data_folder(tmp_path, monkeypatch):
    (tmp_path / "kerja" / "data" / "processed").mkdir(parents=True)
    (tmp_path / "kerja" / "analisis").mkdir()
    monkeypatch.chdir(tmp_path / "kerja" / "analisis")
    assert find_project_dir() == tmp_path / "kerja"
    assert project_folder("processed", must_exist=True) == tmp_path / "kerja" / "data" / "processed"


def test_nearest_project_folder_wins_over_one_further_up(clone, monkeypatch):
    inner = clone / "notebooks" / "eksplorasi" / "salinan"
    (inner / "data" / "processed").mkdir(parents=True)
    monkeypatch.chdir(inner)
    assert project_folder("processed") == inner / "data" / "processed"


def test_environment_variable_wins_over_the_found_folder(clone, tmp_path, monkeypatch):
    elsewhere = tmp_path / "server" / "olahan"
    elsewhere.mkdir(parents=True)
    monkeypatch.setenv("KMC_PROCESSED_DIR", str(elsewhere))
    monkeypatch.chdir(clone / "notebooks")
    assert project_folder("processed") == elsewhere


def test_given_folder_wins_over_the_environment_variable(clone, tmp_path, monkeypatch):
    monkeypatch.setenv("KMC_RAW_DIR", str(tmp_path / "dari-variabel"))
    monkeypatch.chdir(clone)
    assert project_folder("raw", "data/raw") == clone / "data" / "raw"


def test_no_project_folder_anywhere_up_says_where_it_looked_and_how_to_give_one(tmp_path, monkeypatch):
    lonely = tmp_path / "sendiri"
    lonely.mkdir()
    if find_project_dir(lonely) is not None:
        pytest.skip(f"a folder above {tmp_path} looks like a KMC project")
    monkeypatch.chdir(lonely)
    with pytest.raises(InputError) as caught:
        project_folder("processed")
    message = str(caught.value)
    assert str(lonely) in message and "processed_dir=" in message and "KMC_PROCESSED_DIR" in message


def test_processed_folder_not_made_yet_asks_for_kmc_run(clone, monkeypatch):
    monkeypatch.chdir(clone / "notebooks")
    with pytest.raises(InputError) as caught:
        project_folder("processed", must_exist=True)
    message = str(caught.value)
    assert str(clone / "data" / "processed") in message and "kmc run --period" in message


def test_relative_given_folder_is_made_absolute(clone, monkeypatch):
    monkeypatch.chdir(clone)
    folder = project_folder("reports", "reports")
    assert folder.is_absolute() and folder == Path(clone / "reports")
