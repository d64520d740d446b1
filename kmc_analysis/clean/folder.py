"""What a month's OPD folder holds: submissions to read, files ignored, files replaced by a revision.

Submissions are ``.xlsx``, ``.xlsm``, ``.xls``, ``.ods`` and ``.csv`` files (CONTRACT 2).
Anything else (a cover letter in PDF, an Excel lock file ``~$...``, a hidden file, a
folder, a named pipe) is listed as ignored, never dropped silently. A file whose name ends
in ``_revisi``, `` revisi`` or ``revisi N`` replaces the file of the same name without that
ending (CONTRACT 2.3): the highest N wins and the files it replaces are not read.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

SUBMISSION_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
#: Files the workbook itself leaves in a raw folder (the synthesiser's marker): not OPD files.
OWN_FILE_PREFIX = ".kmc"
_REVISI = re.compile(r"^(?P<base>.+?)[ _-]+revisi(?:[ _-]*(?P<n>[0-9]+))?$", re.IGNORECASE)


@dataclass
class FolderListing:
    """A month's folder sorted out: files to read (plain name order) and what is not read."""

    submissions: list[Path] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)   # submission names that cannot be opened
    ignored: list[str] = field(default_factory=list)
    superseded: list[tuple[Path, Path]] = field(default_factory=list)   # (original, replaced_by)


def list_folder(opd_dir: Path) -> FolderListing:
    """Sort out the entries of an OPD folder (CONTRACT 2 and 2.3).

    Order is the plain string sort of file names (Python's ``sorted``), which decides
    which of two duplicate rows is kept. A submission name that is a broken link or a
    link loop is listed as unreadable, so that the run names it instead of skipping it.
    """
    listing = FolderListing()
    candidates = []
    for path in sorted(opd_dir.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(OWN_FILE_PREFIX):
            continue
        if name.startswith((".", "~$")) or path.suffix.lower() not in SUBMISSION_SUFFIXES:
            listing.ignored.append(name)
            continue
        kind = _kind(path)
        if kind == "file":
            candidates.append(path)
        elif kind == "missing":
            listing.unreadable.append(path)
        else:
            listing.ignored.append(name)
    replaced = superseded_by(candidates)
    listing.superseded = [(path, replaced[path]) for path in candidates if path in replaced]
    listing.submissions = [path for path in candidates if path not in replaced]
    return listing


def _kind(path: Path) -> str:
    """``file`` for a regular file (or a link to one), ``missing`` for a broken link, else ``other``."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "missing" if path.is_symlink() else "other"
    return "file" if stat.S_ISREG(mode) else "other"


def revision_of(path: Path) -> tuple[str, int]:
    """The name a file revises (its stem without the ``revisi`` ending, lower case) and N (0: none)."""
    match = _REVISI.match(path.stem)
    if not match:
        return path.stem.casefold(), 0
    return match.group("base").strip().casefold(), int(match.group("n") or 1)


def superseded_by(paths: list[Path]) -> dict[Path, Path]:
    """Files replaced by a revision, each with the file that replaces it.

    Files are grouped by their name without the revision ending (ignoring case and the
    extension: a revision may come in another format); in a group holding a revision,
    the highest N is read and every file with a lower N is superseded by it. Files with
    the same highest N are all read.
    """
    groups: dict[str, list[tuple[int, Path]]] = {}
    for path in paths:
        base, number = revision_of(path)
        groups.setdefault(base, []).append((number, path))
    replaced: dict[Path, Path] = {}
    for members in groups.values():
        top = max(number for number, _ in members)
        if top == 0:
            continue
        winner = sorted(p for n, p in members if n == top)[0]
        for number, path in members:
            if number < top:
                replaced[path] = winner
    return replaced
