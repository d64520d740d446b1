"""Render the report's HTML pages from the jinja2 templates in ``kmc_analysis/report/templates/``.

:func:`render_html` renders one period's report (``laporan.html.j2``), :func:`build_index`
writes the index of every period (``index.html.j2``), and :func:`external_references` lists
anything a page would load from outside itself (a published page must list nothing).
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kmc_analysis import __version__
from kmc_analysis.core.atomic import write_text_atomically
from kmc_analysis.core.formatting import format_number, format_percent, format_rupiah, format_rupiah_words, slug
from kmc_analysis.core.periods import PERIOD_PATTERN, Period
from kmc_analysis.core.store import INDEX, laporan_html, laporan_xlsx, read_report_summary

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> Environment:
    """The jinja2 environment over kmc_analysis/report/templates (autoescaping HTML)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["angka"] = lambda v, d=0: format_number(v, d)
    env.filters["rupiah"] = format_rupiah
    env.filters["persen"] = format_percent
    env.filters["rupiah_kata"] = format_rupiah_words
    env.filters["slug"] = slug
    return env


def external_references(html_text: str) -> list[str]:
    """List every src/href/url() in an HTML page that would load something from outside it."""
    found = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html_text, flags=re.IGNORECASE)
    found += re.findall(r"""url\(\s*["']?([^"')\s]+)""", html_text, flags=re.IGNORECASE)
    found += re.findall(r"""@import\s+["']([^"']+)""", html_text, flags=re.IGNORECASE)
    return [u for u in found if not u.startswith(("#", "data:", "mailto:"))]


def render_html(context: dict) -> str:
    """Render the report page from ``laporan.html.j2``."""
    return _environment().get_template("laporan.html.j2").render(**context)


def build_index(reports_dir: str | Path) -> Path:
    """Write the index of ``reports_dir`` listing every published period, newest first.

    Reads each period's report summary (city-level headline figures only) and links to the period's HTML and Excel report relative to ``reports_dir``. Call it
    after a run's outputs have been moved into place (the runner), or at the end of a
    notebook run by hand (no staging).
    """
    root = Path(reports_dir)
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir() and PERIOD_PATTERN.fullmatch(p.name)),
                         key=lambda p: p.name, reverse=True):
        period = Period.parse(folder.name)
        try:
            summary = read_report_summary(folder) or {}
        except ValueError:
            summary = {}
        html_name, xlsx_name = laporan_html(period), laporan_xlsx(period)
        if not (folder / html_name).exists() and not summary:
            continue
        entries.append({
            "period": folder.name,
            "periode_teks": period.in_words(),
            "html": f"{folder.name}/{html_name}" if (folder / html_name).exists() else None,
            "xlsx": f"{folder.name}/{xlsx_name}" if (folder / xlsx_name).exists() else None,
            "s": summary,
        })
    html = _environment().get_template("index.html.j2").render(entries=entries, version=__version__)
    return write_text_atomically(root / INDEX, html)
