"""Build aside, publish by renames, recover from any interruption: outputs are never half replaced.

A run builds its outputs in two staging folders, ``PROCESSED/.kmc-staging-<id>/`` and
``REPORTS/.kmc-staging-<id>/`` (each on the same filesystem as the folders it replaces,
so that moving a folder into place is one ``rename``). Publishing writes a journal,
``PROCESSED/.kmc-publish.json`` (atomically, before the first rename), listing every
move; then, per period folder, renames the published folder into the staging folder as
a backup and the built folder into its place; then marks the journal ``published``.

Whatever stops it, the journal says what to do: a failure inside the run rolls the moves
back at once; a kill leaves the journal, and the next run (under the lock) calls
:func:`recover`, which rolls back an unfinished publish or finishes a completed one.
Either way the period folders are the old ones byte for byte, or wholly the new ones.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from kmc_analysis.core.atomic import stale_temporaries, write_text_atomically
from kmc_analysis.core.errors import KMCError, PublishError
from kmc_analysis.core.store import PUBLISH_JOURNAL, STAGING_PREFIX

#: Staging folders of the workbook before this module (``tempfile.mkdtemp(prefix=".kmc-run-")``).
LEGACY_STAGING_PREFIX = ".kmc-run-"
PUBLISHING, PUBLISHED = "publishing", "published"


@dataclass(frozen=True)
class Staging:
    """The two staging folders of one run, with the same name below the processed and reports dirs."""

    name: str
    processed_root: Path
    reports_root: Path

    @classmethod
    def create(cls, processed_dir: Path, reports_dir: Path) -> Staging:
        """Make both staging folders, owner-only (0700) whatever the umask: they will hold personal data."""
        name = f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        staging = cls(name, Path(processed_dir) / name, Path(reports_dir) / name)
        made = []
        try:
            for root in staging.roots:
                root.mkdir(mode=0o700)
                made.append(root)
                root.chmod(0o700)
        except OSError:
            for root in made:  # the reports dir refused its folder: leave no empty one in the processed dir
                _remove_tree(root)
            raise
        return staging

    @property
    def roots(self) -> tuple[Path, Path]:
        return self.processed_root, self.reports_root

    def remove(self) -> list[Path]:
        """Delete both staging folders; return those that could not be removed (left for the next run)."""
        return [root for root in self.roots if not _remove_tree(root)]


@dataclass(frozen=True)
class Move:
    """One period folder to publish: ``staged`` replaces ``target``; the old one waits in ``backup``."""

    staged: Path
    target: Path
    backup: Path
    had_old: bool

    @classmethod
    def plan(cls, staged: Path, target: Path) -> Move:
        """A move whose backup sits beside the staged folder (same filesystem as the target)."""
        return cls(staged, target, staged.parent / f"{target.name}.lama", target.exists())


def make_private(folder: Path) -> None:
    """Make a folder and everything in it readable by its owner only (0700 / 0600)."""
    folder = Path(folder)
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def publish(moves: list[Move], staging_roots: list[Path], journal: Path) -> list[Path]:
    """Move every staged folder into place, all or nothing; return staging folders that could not be removed.

    Raises PublishError (the previous outputs restored, or, if even that failed, kept in
    the staging folder with the journal for the next run to restore) or, for Ctrl-C,
    KeyboardInterrupt after rolling back.
    """
    moves = [move for move in moves if move.staged.exists()]
    try:
        write_journal(journal, PUBLISHING, moves, staging_roots)
    except OSError as problem:
        _remove_file(journal)
        raise PublishError(f"Hasil tidak dapat diterbitkan: {describe_os_error(problem)} saat menulis {journal}. "
                           f"Hasil lama tidak berubah. {fix_for(problem, journal.parent)}") from None
    try:
        for move in moves:
            if move.had_old:
                os.rename(move.target, move.backup)
            os.rename(move.staged, move.target)
        write_journal(journal, PUBLISHED, moves, staging_roots)
    except BaseException as failure:
        _roll_back_or_explain(moves, journal, failure)
        raise
    return finish(moves, staging_roots, journal)


def _roll_back_or_explain(moves: list[Move], journal: Path, failure: BaseException) -> None:
    """Undo the moves after ``failure``; raise PublishError saying truthfully what state is left."""
    try:
        roll_back(moves)
        _remove_file(journal)
    except BaseException as problem:
        raise PublishError(
            f"Penerbitan terhenti ({describe_os_error(failure)}) dan hasil lama belum dapat dikembalikan "
            f"({describe_os_error(problem)}). Hasil lama aman di folder sementara dan tercatat di {journal}: "
            f"perbaiki penyebabnya, lalu jalankan kmc run lagi; run berikutnya mengembalikannya lebih dulu."
        ) from None
    if isinstance(failure, OSError):
        folder = _failing_folder(failure, journal.parent)
        raise PublishError(
            f"Hasil tidak dapat diterbitkan: {describe_os_error(failure)} di {folder}. Hasil lama dikembalikan "
            f"utuh, tidak ada yang berubah. {fix_for(failure, folder)}"
        ) from None


def roll_back(moves: list[Move]) -> None:
    """Put every target back as it was before publishing; safe to repeat after an interruption."""
    for move in reversed(moves):
        if move.backup.exists():
            if move.target.exists():
                _set_aside(move.target, move.staged)
            os.rename(move.backup, move.target)
        elif not move.had_old and move.target.exists() and not move.staged.exists():
            os.rename(move.target, move.staged)


def finish(moves: list[Move], staging_roots: list[Path], journal: Path) -> list[Path]:
    """After a complete publish: drop the backups and staging folders, then the journal."""
    left = [root for root in staging_roots if not _remove_tree(root)]
    for move in moves:
        _remove_tree(move.backup)
    _remove_file(journal)
    return left


def recover(processed_dir: Path, reports_dir: Path) -> list[str]:
    """Settle what an interrupted run left (call under the run lock); return Indonesian lines saying what was done.

    Rolls an unfinished publish back or finishes a completed one, then deletes every
    staging folder left by killed runs (they hold personal data).
    """
    said = []
    journal = Path(processed_dir) / PUBLISH_JOURNAL
    if journal.exists():
        state, moves, roots = read_journal(journal)
        if state == PUBLISHED:
            finish(moves, roots, journal)
            said.append("Penerbitan oleh run sebelumnya ternyata sudah selesai; sisa folder sementaranya dibersihkan.")
        else:
            roll_back(moves)
            _remove_file(journal)
            said.append("Penerbitan oleh run sebelumnya terputus; hasil lama dikembalikan utuh seperti sebelum run itu.")
    said += _restore_legacy_backups(Path(processed_dir)) + _restore_legacy_backups(Path(reports_dir))
    leftovers = [folder for root in (Path(processed_dir), Path(reports_dir)) if root.is_dir()
                 for folder in sorted(root.iterdir())
                 if folder.is_dir() and folder.name.startswith((STAGING_PREFIX, LEGACY_STAGING_PREFIX))]
    for temporary in stale_temporaries(processed_dir) + stale_temporaries(reports_dir):
        temporary.unlink(missing_ok=True)  # half-written journal or index of a killed run
    removed = [folder for folder in leftovers if _remove_tree(folder)]
    if removed:
        said.append(f"{len(removed)} folder sementara dari run yang terhenti dihapus (berisi data pribadi).")
    if len(removed) < len(leftovers):
        stuck = ", ".join(str(f) for f in leftovers if f not in removed)
        said.append(f"Folder sementara berikut tidak dapat dihapus; hapus sendiri setelah memeriksa izinnya: {stuck}.")
    return said


def _restore_legacy_backups(root: Path) -> list[str]:
    """Undo what the previous runner (``.YYYY-MM.old`` beside the period) may have left when killed."""
    said = []
    for old in sorted(root.glob(".????-??.old")) if root.is_dir() else []:
        target = old.with_name(old.name[1:-len(".old")])
        if target.exists():
            _remove_tree(old)
        else:
            os.rename(old, target)
            said.append(f"Folder {target} dikembalikan dari salinan lama yang ditinggalkan run yang terhenti.")
    return said


# --- the journal -------------------------------------------------------------------------------------


def write_journal(journal: Path, state: str, moves: list[Move], staging_roots: list[Path]) -> None:
    """Replace the journal atomically (temporary file, fsync, rename), owner-only."""
    data = {"state": state, "pid": os.getpid(), "staging": [str(root) for root in staging_roots],
            "moves": [{key: str(value) if isinstance(value, Path) else value for key, value in asdict(m).items()}
                      for m in moves]}
    write_text_atomically(journal, json.dumps(data, indent=2, ensure_ascii=False) + "\n", private=True)


def read_journal(journal: Path) -> tuple[str, list[Move], list[Path]]:
    """The state, moves and staging folders a journal records; KMCError if it cannot be read."""
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        moves = [Move(Path(m["staged"]), Path(m["target"]), Path(m["backup"]), bool(m["had_old"]))
                 for m in data["moves"]]
        return data["state"], moves, [Path(root) for root in data["staging"]]
    except (OSError, ValueError, KeyError, TypeError) as problem:
        raise KMCError(f"Jurnal penerbitan {journal} tidak dapat dibaca ({type(problem).__name__}). Periksa folder "
                       f"periode di sampingnya (folder .lama di folder .kmc-staging-* berisi hasil lama), "
                       f"lalu hapus jurnal itu dan jalankan ulang.") from None


# --- small file helpers --------------------------------------------------------------------------------


def describe_os_error(problem: BaseException) -> str:
    """What went wrong in Indonesian, without the exception's text (which may quote a file's content)."""
    if isinstance(problem, KeyboardInterrupt):
        return "dihentikan pengguna"
    if isinstance(problem, OSError):
        known = {errno.EACCES: "izin menulis ditolak", errno.EPERM: "izin menulis ditolak",
                 errno.ENOSPC: "disk penuh", errno.EDQUOT: "kuota disk habis",
                 errno.EROFS: "sistem berkas hanya-baca"}
        return known.get(problem.errno, f"galat sistem berkas {errno.errorcode.get(problem.errno, problem.errno)}")
    return f"kesalahan {type(problem).__name__}"


def _failing_folder(problem: OSError, default: Path) -> Path:
    """The folder to name for a failed move: the folder itself when it refused (EPERM), else the one holding it.

    A folder that may not be moved although its parent is writable (``chattr +i``, a sticky
    directory) fails with EPERM; a parent that may not be written fails with EACCES.
    """
    if not problem.filename:
        return default
    path = Path(problem.filename)
    return path if problem.errno == errno.EPERM and path.is_dir() else path.parent


def fix_for(problem: OSError, folder: Path) -> str:
    """The fix to suggest for a file-system error in ``folder``."""
    if problem.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"Kosongkan ruang disk di {folder}, lalu jalankan ulang."
    if problem.errno == errno.EPERM:
        return (f"Pastikan folder {folder} boleh ditulis dan dipindah oleh pengguna ini (periksa chmod u+w dan "
                f"atribut kuncinya: lsattr -d {folder}; chattr -i bila ada i), lalu jalankan ulang.")
    if problem.errno in (errno.EACCES, errno.EROFS):
        return (f"Pastikan folder {folder} dapat ditulis oleh pengguna ini (misalnya chmod u+w {folder}), "
                f"lalu jalankan ulang.")
    return "Periksa folder itu, lalu jalankan ulang."


def _set_aside(folder: Path, place: Path) -> None:
    """Move ``folder`` to ``place`` (or delete it if ``place`` is taken)."""
    if place.exists():
        shutil.rmtree(folder)
    else:
        os.rename(folder, place)


def _remove_tree(folder: Path) -> bool:
    """Delete a folder and everything in it as far as possible; True when it is gone."""
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


def _remove_file(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
