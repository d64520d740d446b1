"""manifest.json: what a run read, what it decided and with which software, for reproducibility."""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

MANIFEST_NAME = "manifest.json"
VERSIONED_PACKAGES = ("kmc-analysis", "pandas", "geopandas", "papermill", "pyarrow", "python-calamine",
                      "pandera", "matplotlib")


def now_iso() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def software_versions() -> dict[str, str]:
    """Versions of Python and of the packages whose behaviour shapes the outputs."""
    found = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            found[package.replace("-", "_")] = version(package)
        except PackageNotFoundError:
            found[package.replace("-", "_")] = "tidak terpasang"
    return found


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write ``manifest.json`` (UTF-8, sorted keys kept in insertion order, indented)."""
    path = folder / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict:
    """Read a period's ``manifest.json``."""
    return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))


def record_stages(folder: Path, stages: list[dict], finished: str) -> None:
    """Add the runner's stage timings and finishing time to an existing manifest."""
    manifest = read_manifest(folder)
    manifest["stages"] = stages
    manifest["finished"] = finished
    write_manifest(folder, manifest)
