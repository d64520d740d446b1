"""Resolve every path a run reads or writes from the run parameters, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.periods import Period


@dataclass(frozen=True)
class RunPaths:
    """Where one run for one period reads its inputs and writes its outputs.

    ``processed_dir`` and ``reports_dir`` are the published roots (one folder per period
    below them). ``processed`` and ``reports`` are where *this* run writes the period's
    outputs: during ``kmc run`` a staging folder named ``staging_name`` below each root
    (so that publishing is a rename on one filesystem), or the published period folders
    when a notebook is run by hand.
    """

    period: Period
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    processed: Path
    reports: Path
    staging_name: str | None = None

    @property
    def reference_dir(self) -> Path:
        """User overrides of the bundled reference tables."""
        return self.raw_dir / "reference"

    @property
    def dtks_dir(self) -> Path:
        """DTKS extracts for targeting (optional; CONTRACT 2.4)."""
        return self.raw_dir / "dtks"

    @property
    def opd_dir(self) -> Path:
        """The OPD submissions for this run's period."""
        return self.opd_dir_for(self.period)

    def opd_dir_for(self, period: Period) -> Path:
        """The OPD submissions for another month."""
        return self.raw_dir / "opd" / str(period)

    def processed_for(self, period: Period) -> Path:
        """Processed outputs of a month: this run's own staged copy when it built one, else the published one.

        ``kmc run`` cleans earlier months of the year (catch-up, ``--reclean-year``) into
        the same staging folder and publishes them together with the period, so later
        stages must read those staged copies, not the published folders they will replace.
        """
        if period == self.period:
            return self.processed
        if self.staging_name:
            staged = self.processed_dir / self.staging_name / str(period)
            if staged.is_dir():
                return staged
        return self.processed_dir / str(period)


def run_paths(
    period: Period,
    raw_dir: str | Path = "data/raw",
    processed_dir: str | Path = "data/processed",
    reports_dir: str | Path = "reports",
    staging_dir: str | None = None,
) -> RunPaths:
    """Build the RunPaths of a run; with ``staging_dir`` outputs go below that staging folder, not in place.

    ``staging_dir`` is the *name* of a folder that ``kmc run`` creates below both the
    processed and the reports dir (``PROCESSED/<name>/YYYY-MM``, ``REPORTS/<name>/YYYY-MM``),
    never a path of its own.
    """
    raw, processed, reports = (Path(p).expanduser().resolve() for p in (raw_dir, processed_dir, reports_dir))
    if not staging_dir:
        return RunPaths(period, raw, processed, reports, processed / str(period), reports / str(period))
    name = str(staging_dir)
    if Path(name).name != name or name in (".", ".."):
        raise InputError(f"Parameter staging_dir '{name}' harus berupa nama folder saja, bukan jalur: "
                         f"kosongkan parameter itu saat menjalankan notebook sendiri.")
    return RunPaths(period, raw, processed, reports, processed / name / str(period), reports / name / str(period),
                    staging_name=name)
