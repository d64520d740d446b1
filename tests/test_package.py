"""The package's shape: stages import one way, modules stay short, file names live in the store."""

import ast
import re
import subprocess
import sys
from pathlib import Path

from kmc_analysis.core import store

PACKAGE = Path(__file__).resolve().parents[1] / "kmc_analysis"
#: Stage subpackages in pipeline order: a stage may import the earlier ones, never a later one.
STAGES = ("core", "clean", "coverage", "evaluation", "report")
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every kmc_analysis module (and imported name) a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kmc_analysis"):
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("kmc_analysis")}
    return found


def subpackage(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def test_imports_point_from_later_stages_to_earlier_ones():
    wrong = []
    for path in MODULES:
        own = subpackage(path)
        for module in imported_modules(path):
            target = module.split(".")[1] if module.count(".") else None
            later = own in STAGES and target in STAGES and STAGES.index(target) > STAGES.index(own)
            into_synth = own in STAGES and target == "synth"
            synth_beyond_clean = own == "synth" and target in STAGES and target not in ("core", "clean")
            if later or into_synth or synth_beyond_clean:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert wrong == []


def test_no_module_is_longer_than_450_lines():
    lengths = {str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines()) for path in MODULES}
    assert {name: n for name, n in lengths.items() if n > 450} == {}


def _code_strings(path: Path) -> list[str]:
    """The string constants of a module's code (docstrings and ``__all__``, a list of Python names, left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    exported = {id(element) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets)
                for element in ast.walk(node.value)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and id(node) not in exported]


def test_only_the_store_spells_the_names_of_processed_and_report_files():
    tables = [value.name for value in vars(store).values() if isinstance(value, store.TableFile)]
    names = [*tables, store.MANIFEST, store.RINGKASAN_KOTA, store.CAKUPAN_GPKG, store.UMPAN_BALIK,
             store.FAILED_RUNS, *store.MAPS.values(), store.CHART_RPJMD, store.CHART_BULANAN, store.RINGKASAN,
             store.INDEX, store.RINGKASAN_DTKS, store.MAP_DTKS]
    # A name counts as spelled when it stands alone (index.html.j2 is a template, not the index).
    pattern = re.compile("|".join(rf"(?<![\w.]){re.escape(name)}(?![\w.])" for name in names)
                         + "|laporan_kmc_|peta_interaktif_")
    spelled = [(str(path.relative_to(PACKAGE)), text) for path in MODULES
               if path.relative_to(PACKAGE) != Path("core", "store", "layout.py")
               for text in _code_strings(path) if pattern.search(text)]
    assert spelled == []


def test_subpackages_are_light_to_import():
    code = ("import sys, kmc_analysis.core, kmc_analysis.clean, kmc_analysis.coverage, kmc_analysis.evaluation; "
            "print(sorted(m for m in ('geopandas', 'matplotlib', 'pandera', 'papermill') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and "\n" not in docstring, init
