"""Synthetic months of OPD submissions and their expected verdicts (a development tool, ``kmc synth``)."""

from kmc_analysis.core.store import SYNTHETIC_MARKER
from kmc_analysis.synth.month import SynthResult, synthesize

__all__ = ["SYNTHETIC_MARKER", "SynthResult", "synthesize"]
