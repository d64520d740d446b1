"""Render the report's HTML pages from the jinja2 templates in ``kmc_analysis/report/templates/``.

:func:`render_html` renders one period's report (``laporan.html.j2``), :func:`build_index`
writes the index of every period (``index.html.j2``), and :func:`external_references` lists
anything a page would load from outside itself (a published page must list nothing).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
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


#: Attributes whose value an element loads (or runs) when the page is opened.
_LOADING = {"src", "srcset", "poster", "data", "background", "action", "formaction", "xlink:href", "codebase",
            "manifest", "ping"}
#: Elements that load or run something whatever their attributes say.
_ACTIVE = {"script", "iframe", "frame", "object", "embed", "applet", "base", "portal"}
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+(?:url\()?\s*["']([^"']+)""", re.IGNORECASE)


def _local(url: str) -> bool:
    """A reference that stays inside the page (or a relative link to a sibling page)."""
    url = url.strip()
    return url.startswith(("#", "data:", "mailto:")) or not url


class _References(HTMLParser):
    """Collects what real elements of a page would load: attributes, inline styles, style sheets."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in _ACTIVE:
            self.found.append(f"<{tag}>")
        if tag == "style":
            self._in_style = True
        values = {name.lower(): value or "" for name, value in attrs}
        if any(name.startswith("on") for name in values):
            self.found.append(f"<{tag} on...>")
        for name, value in values.items():
            if name == "srcset":
                self.found += [u for u in re.split(r",\s+", value) if not _local(u.split(" ")[0])]
            elif name in _LOADING:
                if not _local(value):
                    self.found.append(value)
            elif name == "href":
                # a link loads a style sheet or icon; an <a>/<area> only navigates (relative pages are fine)
                if tag == "link" or value.strip().lower().startswith(("http:", "https:", "//", "file:", "javascript:")):
                    if not _local(value) or tag == "link":
                        self.found.append(value)
            elif name == "style":
                self.found += [a or b for a, b in _CSS_URL.findall(value) if not _local(a or b)]

    def handle_endtag(self, tag):
        if tag.lower() == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += [a or b for a, b in _CSS_URL.findall(data) if not _local(a or b)]


def external_references(html_text: str) -> list[str]:
    """List what a page's real elements would load or run from outside it (``[]``: self-contained).

    The page is parsed (``html.parser``): escaped text such as a file or sheet named
    ``<img src=x onerror=...>`` shown in a table is text, not an element, and is not listed.
    Scripts, frames, objects and event-handler attributes are listed as well.
    """
    parser = _References()
    parser.feed(html_text)
    parser.close()
    return parser.found


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
