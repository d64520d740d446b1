"""What the manifest records about a run besides its inputs and counts: times and software versions.

The manifest is written and read by :mod:`kmc_analysis.core.store`; stage 1 builds it.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

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
