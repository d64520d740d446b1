"""What ``kmc run`` tells the operator while it works, in Bahasa Indonesia.

One line per stage with its duration; on a terminal papermill's cell bar while a stage
runs, elsewhere (a log, a cron mail) a heartbeat line every ~15 s; after stage 1 a line
per file that was ignored, rejected or superseded and the count of rows that are not data.
``--quiet`` silences all of it (errors are printed by the CLI, not here).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import Callable, Iterator, TextIO

from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.personal_data import names_a_person
from kmc_analysis.core.store import MANIFEST

#: A run of 16 digits in a file name is probably a NIK (``KTP_1872010101900001.pdf``): mask it.
_NIK_LIKE = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{2})(?!\d)")
_SKIPPED_KINDS = {"jumlah": "baris jumlah", "nomor_kolom": "baris nomor kolom", "catatan": "catatan"}


class Console:
    """Progress lines for the operator on stderr (or ``say``), nothing with ``quiet``."""

    def __init__(self, quiet: bool = False, say: Callable[[str], None] | None = None,
                 stream: TextIO | None = None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self._say = say

    def say(self, line: str) -> None:
        """Print one progress line (unless quiet)."""
        if self.quiet:
            return
        if self._say is not None:
            self._say(line)
        else:
            print(line, file=self.stream, flush=True)

    @property
    def shows_bar(self) -> bool:
        """Whether a stage's progress bar belongs on the screen: not quiet, and stderr is a terminal."""
        return not self.quiet and self._say is None and _is_terminal(self.stream)

    @contextmanager
    def heartbeat(self, label: str, every: float = 15.0) -> Iterator[None]:
        """While the block runs, say ``<label> masih berjalan (N dtk)`` every ``every`` seconds, off a terminal."""
        if self.quiet or self.shows_bar or every <= 0:
            yield
            return
        stop = threading.Event()
        started = time.monotonic()

        def beat() -> None:
            while not stop.wait(every):
                self.say(f"{label} masih berjalan ({time.monotonic() - started:.0f} dtk)")

        thread = threading.Thread(target=beat, name="kmc-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def seconds_text(seconds: float) -> str:
    """A duration the Indonesian way: ``4,0 dtk``."""
    return f"{seconds:.1f}".replace(".", ",") + " dtk"


def stage_line(number: int, total: int, name: str, seconds: float) -> str:
    """``[1/4] 01_clean_opd_data            selesai dalam 4,0 dtk``."""
    return f"[{number}/{total}] {name:<28} selesai dalam {seconds_text(seconds):>10}"


def safe_file_name(name: str) -> str:
    """A file name fit for the terminal: a NIK-like run of 16 digits is masked (``1872**********01``).

    A base name that seems to hold a person's name (``Susulan Bpk Hartono.csv``) is replaced
    by ``(nama disamarkan)`` with its extension; the folder part stays, so the operator can
    find the file.
    """
    text = _NIK_LIKE.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), str(name))
    folder, _, base = text.rpartition("/")
    if names_a_person(PurePosixPath(base).stem):
        base = "(nama disamarkan)" + PurePosixPath(base).suffix
    return f"{folder}/{base}" if folder else base


def _entry_text(entry) -> str:
    """A manifest file entry (a name, or a dict with a path and maybe a sheet) as text."""
    if isinstance(entry, dict):
        path = entry.get("path") or entry.get("file") or entry.get("name") or ""
        sheet = entry.get("sheet") or ""
        return safe_file_name(path) + (f", sheet '{safe_file_name(sheet)}'" if sheet else "")
    return safe_file_name(entry)


def dtks_notice(summary: dict | None) -> str | None:
    """One line when rows of the DTKS extract had no usable NIK (they count for nobody), else None."""
    if not summary:
        return None
    read, usable = int(summary.get("baris_dibaca") or 0), int(summary.get("baris_nik_valid") or 0)
    if usable >= read:
        return None
    return (f"Ekstrak DTKS: {format_number(read - usable)} dari {format_number(read)} baris tanpa NIK yang dapat "
            f"dipakai (bukan 16 angka, atau tanggal lahirnya tidak sah) dan tidak dihitung. Bila banyak, periksa "
            f"ekspornya (NIK tertulis seperti 1,87E+15?) sebelum memakai angka ketepatan sasaran.")


def manifest_notices(manifest: dict, prefix: str = "") -> list[str]:
    """One line per ignored, rejected, superseded or correction file and the count of skipped rows (absent keys tolerated)."""
    lines = [f"{prefix}Berkas diabaikan (bukan berkas data yang dibaca): {_entry_text(e)}"
             for e in manifest.get("ignored_files") or []]
    for entry in manifest.get("rejected_files") or []:
        reason = entry.get("reason", "") if isinstance(entry, dict) else ""
        lines.append(f"{prefix}Berkas ditolak (--skip-unreadable): {_entry_text(entry)}"
                     + (f": {safe_file_name(reason)}" if reason else ""))
    for entry in manifest.get("superseded_files") or []:
        replaced_by = entry.get("replaced_by") or entry.get("superseded_by") if isinstance(entry, dict) else None
        lines.append(f"{prefix}Berkas digantikan revisinya dan tidak dibaca: {_entry_text(entry)}"
                     + (f" (diganti {safe_file_name(replaced_by)})" if replaced_by else ""))
    for entry in manifest.get("corrections") or []:
        if not isinstance(entry, dict):
            continue
        lost = int(entry.get("unknown_rows") or 0)
        replaced = sum(1 for row in entry.get("unknown") or [] if isinstance(row, dict) and row.get("replaced_by"))
        other_opd = int(entry.get("other_opd_rows") or 0)
        kept_earlier = int(entry.get("kept_earlier_rows") or 0)
        conflicting = int(entry.get("conflicting_rows") or 0) - kept_earlier
        lines.append(f"{prefix}Berkas perbaikan {safe_file_name(entry.get('path', ''))}"
                     + (f" (putaran {int(entry['round'])})" if int(entry.get("round") or 1) > 1 else "") + ": "
                     f"{int(entry.get('applied') or 0)} baris diperbaiki, {int(entry.get('unchanged') or 0)} tidak "
                     f"berubah" + (f", {lost} baris tidak dikenali (kolom File, Sheet atau Baris diubah, atau baris "
                                  f"itu sudah tidak dikarantina) dan tidak diterapkan" if lost else "")
                     + (f" ({replaced} di antaranya menunjuk berkas yang sudah digantikan revisinya: periksa "
                        f"bahwa revisi itu sudah memuat perbaikannya)" if replaced else "")
                     + (f", {other_opd} baris milik OPD lain tidak diterapkan" if other_opd else "")
                     + (f", {conflicting} baris juga diubah berbeda oleh berkas perbaikan lain putaran yang sama "
                        f"(isi berkas ini yang dipakai; periksa dengan OPD-nya)" if conflicting > 0 else "")
                     + (f", {kept_earlier} baris dikembalikan berkas ini ke isi semula padahal putaran sebelumnya "
                        f"sudah memperbaikinya (perbaikan putaran sebelumnya yang dipakai; periksa dengan OPD-nya)"
                        if kept_earlier else "") + ".")
    skipped = manifest.get("skipped_rows") or []
    if skipped:
        kinds = Counter(row.get("kind", "") if isinstance(row, dict) else "" for row in skipped)
        detail = ", ".join(f"{_SKIPPED_KINDS.get(kind, kind or 'lainnya')} {count}" for kind, count in sorted(kinds.items()))
        lines.append(f"{prefix}{len(skipped)} baris bukan data dilewati ({detail}); rinciannya di {MANIFEST}.")
    return lines
