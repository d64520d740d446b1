"""Stage 4: the published report (HTML page, Excel workbook, headline summary) and the index of every period."""

from kmc_analysis.report.html import build_index

__all__ = ["build_index"]
