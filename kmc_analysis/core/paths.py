"""Resolve every path a run reads or writes from the run parameters, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kmc_analysis.core.periods import Period


@dataclass(frozen=True)
class RunPaths:
    """Where one run for one period reads its inputs and writes its outputs.

    ``processed_dir`` and ``reports_dir`` are the published roots (one folder per period
    below them). ``processed`` and ``reports`` are where *this* run writes the period's
    outputs: a staging folder during ``kmc run`` (moved into place only on success), or
    the published period folder when a notebook is run by hand.
    """

    period: Period
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    processed: Path
    reports: Path

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
        """Processed outputs of a month: this run's staging folder for its own period."""
        return self.processed if period == self.period else self.processed_dir / str(period)


def run_paths(
    period: Period,
    raw_dir: str | Path = "data/raw",
    processed_dir: str | Path = "data/processed",
    reports_dir: str | Path = "reports",
    staging_dir: str | Path | None = None,
) -> RunPaths:
    """Build the RunPaths of a run; with ``staging_dir`` outputs go below it, not in place."""
    raw, processed, reports = (Path(p).expanduser().resolve() for p in (raw_dir, processed_dir, reports_dir))
    if staging_dir:
        stage = Path(staging_dir).expanduser().resolve()
        out_processed, out_reports = stage / "processed" / str(period), stage / "reports" / str(period)
    else:
        out_processed, out_reports = processed / str(period), reports / str(period)
    return RunPaths(period, raw, processed, reports, out_processed, out_reports)
