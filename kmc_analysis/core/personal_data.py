"""Search a published folder for personal data: NIKs, names and pseudonyms from the input.

Nothing under ``reports/`` may carry a NIK, a name, a pseudonym or a bare 16-digit number
(CONTRACT section 3); stage 4 and the tests scan every published file with
:func:`scan_for_personal_data` before trusting it.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{120,}")
_XLSX_FRACTION = re.compile(r"<v>-?\d{1,15}\.\d+(?:[eE][-+]?\d+)?</v>")
TEXT_SUFFIXES = {".html", ".htm", ".csv", ".json", ".md", ".txt", ".ipynb", ".xml", ".svg"}


def _xlsx_text(path: Path) -> str:
    """Return all text stored in a workbook: every XML part, entities decoded."""
    parts = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                parts.append(html.unescape(zf.read(name).decode("utf-8", errors="replace")))
    # Fractions stored as numbers (0.9876543210987654) are not identifiers: drop them so
    # the 16-digit rule does not fire on their decimals; a NIK stored as a number keeps
    # its 16-digit integer part and is still found.
    return _XLSX_FRACTION.sub("<v></v>", "\n".join(parts))


def _file_text(path: Path) -> str | None:
    """Return the searchable text of a published file, or None for a binary format we skip."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_text(path)
    if suffix in TEXT_SUFFIXES:
        raw = path.read_text(encoding="utf-8", errors="replace")
        if suffix in (".json", ".ipynb"):
            try:
                raw = raw + "\n" + json.dumps(json.loads(raw), ensure_ascii=False)
            except ValueError:
                pass
        if suffix in (".html", ".htm", ".ipynb", ".svg", ".xml"):
            raw = raw + "\n" + html.unescape(raw)
        return raw
    if suffix == ".png":
        # Text chunks (tEXt/iTXt) are the only place a PNG could carry words.
        data = path.read_bytes()
        return "\n".join(m.decode("latin-1") for m in re.findall(rb"[\x20-\x7e]{8,}", data))
    return None


def _masked(value: str) -> str:
    """Show an identifier in a finding without repeating it in full."""
    return value[:4] + "…" if len(value) > 6 else "…"


def scan_for_personal_data(
    reports_dir: str | Path,
    niks: Iterable[str] = (),
    names: Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
) -> list[str]:
    """Search every file under ``reports_dir`` for NIKs, names and pseudonyms; list findings.

    Reads HTML, XLSX (all cell text and sheet names), ipynb, CSV, JSON, Markdown and PNG
    text chunks. Also reports any bare 16-digit number (a NIK of someone not in the
    lists). Names match case-insensitively on word boundaries; a pseudonym also matches
    by its first 16 characters. Returns one line per finding (empty list = clean).
    """
    root = Path(reports_dir)
    niks = sorted({str(n).strip() for n in niks if str(n).strip()})
    names = sorted({" ".join(str(n).split()) for n in names if str(n).strip()})
    pseudonyms = sorted({str(p).strip().lower() for p in pseudonyms if str(p).strip()})
    findings = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = _file_text(path)
        if text is None:
            continue
        # Embedded images (base64 runs) hold no readable words; dropping them keeps the scan
        # fast and stops short names from matching random base64 letters.
        text = _BASE64_RUN.sub(" ", text)
        rel = path.relative_to(root)
        lower = text.lower()
        spaced = " ".join(lower.split())
        for nik in niks:
            if nik in text:
                findings.append(f"{rel}: NIK {_masked(nik)}")
        for name in names:
            key = name.lower()
            if key in spaced and re.search(r"(?<!\w)" + re.escape(key) + r"(?!\w)", spaced):
                findings.append(f"{rel}: nama {name[:1]}…")
        for pseudo in pseudonyms:
            if pseudo in lower or (len(pseudo) >= 16 and pseudo[:16] in lower):
                findings.append(f"{rel}: pseudonim {_masked(pseudo)}")
        if path.suffix.lower() != ".png":
            hits = SIXTEEN_DIGITS.findall(text)
            if hits:
                findings.append(f"{rel}: {len(hits)} angka 16 digit")
    return findings
