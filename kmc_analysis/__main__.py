"""``python -m kmc_analysis``: the same as the ``kmc`` command."""

import sys

from kmc_analysis.cli import main

sys.exit(main())
