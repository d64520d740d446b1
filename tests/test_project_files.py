"""The project documents and installs itself: README, docs/, dependencies, committed notebooks."""

import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"
DOCUMENTS = [README, *sorted((PROJECT / "docs").glob("*.md"))]
GUIDES = ["docs/kontrak_data.md", "docs/panduan_operator.md", "docs/panduan_analis.md", "docs/panduan_opd.md",
          "docs/keandalan.md", "docs/privasi.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _links(document: Path) -> list[str]:
    return [target for target in LINK.findall(document.read_text(encoding="utf-8"))
            if not re.match(r"[a-z]+:", target) and not target.startswith("#")]


def test_readme_first_code_block_is_the_two_quick_start_commands():
    first = re.search(r"```[a-z]*\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    assert first.strip().splitlines() == [
        'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m compileall -q kmc_analysis '
        '&& .venv/bin/kmc run --period 2024-03',
        ".venv/bin/python -m pytest",
    ]


def test_no_document_sends_a_user_to_a_path_outside_the_project():
    outside = re.compile(r"\.\./shared|/work/|(?<![\w.])\.\./\.\.")
    found = [(d.name, m.group(0)) for d in DOCUMENTS for m in outside.finditer(d.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_link_in_the_documents_points_at_a_file_of_the_project(document):
    for target in _links(document):
        path = (document.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(PROJECT), f"{document.name} links outside the project: {target}"
        assert path.exists(), f"{document.name} links to a missing file: {target}"


def test_readme_links_every_guide_and_the_architecture():
    linked = {(PROJECT / target.split("#")[0]).resolve().relative_to(PROJECT).as_posix() for target in _links(README)}
    assert {*GUIDES, "docs/architecture.md", "docs/assumptions.md"} <= linked


def _requirement(text: str) -> tuple[str, str]:
    name, bound = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(>=\s*[\w.]+)?", text).groups()
    return name.lower().replace("_", "-"), (bound or "").replace(" ", "")


def test_environment_yml_mirrors_every_dependency_with_its_lower_bound():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = dict(map(_requirement, [*project["dependencies"], *project["optional-dependencies"]["test"]]))
    conda = dict(_requirement(line.strip()[2:]) for line in (PROJECT / "environment.yml").read_text().splitlines()
                 if line.strip().startswith("- "))
    assert "jupyterlab" in declared and conda.get("python") == ">=" + project["requires-python"].lstrip(">=")
    assert {name: bound for name, bound in declared.items() if conda.get(name) != bound} == {}


def test_jupyterlab_is_installed_beside_the_interpreter():
    assert shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)), \
        "jupyter-lab missing: install the project with its dependencies (pip install -e '.[test]')"


def test_notebooks_are_committed_without_outputs():
    notebooks = sorted((PROJECT / "notebooks").rglob("*.ipynb"))
    assert PROJECT / "notebooks" / "eksplorasi" / "01_mulai_di_sini.ipynb" in notebooks
    with_outputs = [nb.relative_to(PROJECT).as_posix() for nb in notebooks
                    if any(cell.get("outputs") or cell.get("execution_count")
                           for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"])]
    assert with_outputs == []


def test_kmc_run_never_executes_the_eksplorasi_notebooks():
    from kmc_analysis.runner import find_notebooks

    stages = find_notebooks(PROJECT / "notebooks")
    assert len(stages) >= 4 and not [nb for nb in stages if "eksplorasi" in nb.parts]
