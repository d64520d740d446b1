"""``python -m kmc_analysis``: the same as the ``kmc`` command."""

from kmc_analysis.cli import command

command()
