"""Find the project's data folders from any working directory (a notebook in notebooks/, a shell anywhere).

``kmc run`` always passes its folders explicitly. A notebook opened by hand, or an analyst
calling :func:`kmc_analysis.load_month`, does not know where it runs: JupyterLab starts a
kernel in the notebook's folder (``notebooks/`` or ``notebooks/eksplorasi/``), other tools
in the folder they were started from. So a folder that is not given is found, in order:

1. the environment variable (``KMC_RAW_DIR``, ``KMC_PROCESSED_DIR``, ``KMC_REPORTS_DIR``);
2. the project folder: walking up from the working directory, the nearest folder holding
   ``data/raw`` or ``data/processed`` (the operator's working folder), or ``pyproject.toml``
   or ``notebooks/`` (a clone of the workbook); the folder is then ``data/raw``,
   ``data/processed`` or ``reports`` below it, as ``kmc run``'s defaults are;
3. otherwise an InputError saying where it looked and how to give the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from kmc_analysis.core.errors import InputError

#: Each kind of folder: its place below the project folder (``kmc run``'s default) and its variable.
FOLDERS = {
    "raw": (Path("data") / "raw", "KMC_RAW_DIR"),
    "processed": (Path("data") / "processed", "KMC_PROCESSED_DIR"),
    "reports": (Path("reports"), "KMC_REPORTS_DIR"),
}
_PARAMETER = {"raw": "raw_dir", "processed": "processed_dir", "reports": "reports_dir"}


def find_project_dir(start: str | Path | None = None) -> Path | None:
    """The nearest folder from ``start`` (default: the working directory) upwards that is a KMC project.

    A project folder holds ``data/raw`` or ``data/processed``, or ``pyproject.toml`` or
    ``notebooks/``; None when no folder up to the file system's root does.
    """
    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        if ((folder / "data" / "raw").is_dir() or (folder / "data" / "processed").is_dir()
                or (folder / "pyproject.toml").is_file() or (folder / "notebooks").is_dir()):
            return folder
    return None


def project_folder(kind: str, given: str | Path | None = None, start: str | Path | None = None,
                   must_exist: bool = False) -> Path:
    """The absolute ``raw``, ``processed`` or ``reports`` folder: ``given``, else its variable, else found.

    ``given`` empty or None means "not given". With ``must_exist`` a folder that is not a
    directory is an InputError naming it and how to give another one.
    """
    relative, variable = FOLDERS[kind]
    if given:
        folder, origin = Path(given).expanduser().resolve(), f"{_PARAMETER[kind]}={str(given)!r}"
    elif os.environ.get(variable):
        folder, origin = Path(os.environ[variable]).expanduser().resolve(), f"variabel lingkungan {variable}"
    else:
        here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
        project = find_project_dir(here)
        if project is None:
            raise InputError(
                f"Folder proyek KMC tidak ditemukan: dari {here} ke atas tidak ada folder yang memuat data/raw, "
                f"data/processed, pyproject.toml atau notebooks/. Beri foldernya langsung "
                f"({_PARAMETER[kind]}=\"/lokasi/{relative.as_posix()}\") atau atur variabel lingkungan {variable}."
            )
        folder, origin = project / relative, f"folder proyek {project} (dicari dari {here} ke atas)"
    if must_exist and not folder.is_dir():
        raise InputError(
            f"Folder {folder} tidak ada (diambil dari {origin}). "
            + ("Jalankan `kmc run --period YYYY-MM` dulu agar data olahan terbentuk, atau " if kind == "processed"
               else "Periksa lokasinya, atau ")
            + f"beri folder lain dengan {_PARAMETER[kind]}=\"...\" atau variabel lingkungan {variable}."
        )
    return folder


def project_folders(raw_dir: str | Path | None = None, processed_dir: str | Path | None = None,
                    reports_dir: str | Path | None = None) -> tuple[Path, Path, Path]:
    """The raw, processed and reports folders of a notebook's parameters; an empty one is found.

    A stage notebook's parameters default to empty text, so a notebook opened by hand (from
    ``notebooks/``, the project folder, or anywhere below it) finds the project's folders,
    while ``kmc run`` passes every folder explicitly.
    """
    return (project_folder("raw", raw_dir), project_folder("processed", processed_dir),
            project_folder("reports", reports_dir))
