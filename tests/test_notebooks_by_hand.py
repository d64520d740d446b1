"""Notebooks opened by hand, as an analyst does in JupyterLab: no parameters passed, folders found.

A throw-away project (notebooks/ with the stage notebooks and eksplorasi/, data/raw with two
synthetic months) is built in a temporary folder. The stage notebooks run with their own
defaults from the project folder (where their old ``../data/raw`` defaults pointed outside
the project), then the starter notebook runs from notebooks/eksplorasi/ and must show no
NIK, name or pseudonym.
"""

import json
import re
import shutil
from pathlib import Path

import papermill
import pytest

from kmc_analysis import load_month
from kmc_analysis.core import store
from kmc_analysis.core.periods import Period
from kmc_analysis.synth import synthesize

PROJECT = Path(__file__).resolve().parents[1]
STARTER = PROJECT / "notebooks" / "eksplorasi" / "01_mulai_di_sini.ipynb"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder processed by running the stage notebooks with their defaults from the project folder."""
    root = tmp_path_factory.mktemp("proyek")
    (root / "notebooks" / "eksplorasi").mkdir(parents=True)
    stage_notebooks = sorted((PROJECT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for notebook in [*stage_notebooks, STARTER]:
        shutil.copy(notebook, root / "notebooks" / notebook.relative_to(PROJECT / "notebooks"))
    for month, seed in (("2024-02", 31), ("2024-03", 32)):
        synthesize(Period.parse(month), root / "data" / "raw", rows=400, seed=seed)
    executed = root.parent / f"{root.name}-dijalankan"
    executed.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KMC_PSEUDONYM_KEY", "kunci-uji-yang-cukup-panjang-0123456789")
        for variable in ("KMC_RAW_DIR", "KMC_PROCESSED_DIR", "KMC_REPORTS_DIR"):
            env.delenv(variable, raising=False)
        # February: stage 1 only, as kmc run's year-to-date catch-up leaves an earlier month.
        papermill.execute_notebook(str(root / "notebooks" / stage_notebooks[0].name), str(executed / "feb.ipynb"),
                                   parameters={"period": "2024-02"}, cwd=str(root), kernel_name="python3",
                                   progress_bar=False)
        for notebook in stage_notebooks:  # the period default, 2024-03, with every stage
            papermill.execute_notebook(str(root / "notebooks" / notebook.name), str(executed / notebook.name),
                                       cwd=str(root), kernel_name="python3", progress_bar=False)
        papermill.execute_notebook(str(root / "notebooks" / "eksplorasi" / STARTER.name),
                                   str(executed / STARTER.name), cwd=str(root / "notebooks" / "eksplorasi"),
                                   kernel_name="python3", progress_bar=False)
    return root, executed


def test_stage_notebooks_run_from_the_project_folder_write_into_its_data_folders(project):
    root, _ = project
    march = root / "data" / "processed" / "2024-03"
    assert store.has_manifest(root / "data" / "processed" / "2024-02")
    assert store.has_manifest(march) and store.has(march, store.REKAP_KECAMATAN) and store.has(march, store.EVALUASI_RPJMD)
    assert (root / "reports" / "2024-03" / store.laporan_html(Period(2024, 3))).is_file()


def _outputs_text(notebook: Path) -> str:
    """Every output of an executed notebook (text, HTML, markdown, errors), as one text."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append(json.dumps({k: v for k, v in output.items() if k != "data"}, ensure_ascii=False))
            parts.extend(str(v) for k, v in output.get("data", {}).items() if not k.startswith("image/"))
    return "\n".join(parts)


def test_starter_notebook_answers_from_notebooks_eksplorasi_without_personal_data(project):
    root, executed = project
    text = _outputs_text(executed / STARTER.name)
    assert "menerima dua program atau lebih" in text and "penerima_baru" in text and "per_1000_penduduk" in text
    with pytest.MonkeyPatch.context() as env:
        env.chdir(root / "notebooks" / "eksplorasi")
        personal = load_month("2024-03", include_personal=True).penerima
    names = {name for name in personal["nama"].unique() if len(name) >= 8}
    pseudonyms = set(personal["id_penerima"].unique())
    assert names and not [name for name in names if name in text]
    assert not [p for p in pseudonyms if p in text]
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", text), "a 16-digit number (a NIK) is shown"
    assert not [m for m in personal["nik_tersamar"].unique() if m in text]



def test_analyst_guide_recipes_run_on_a_processed_project(project):
    root, _ = project
    guide = (PROJECT / "docs" / "panduan_analis.md").read_text(encoding="utf-8")
    recipes = re.findall(r"```python\n(.*?)```", guide, re.S)
    assert len(recipes) >= 6
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as env:
        env.chdir(root)
        for number, recipe in enumerate(recipes, 1):
            exec(compile(recipe, f"panduan_analis.md, resep {number}", "exec"), namespace)
    assert namespace["cakupan"]["per_1000"].notna().any()
