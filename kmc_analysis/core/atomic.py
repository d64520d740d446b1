"""Write a small file atomically: readers see the old file or the new one, never a part of either."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

#: The temporary file :func:`write_text_atomically` writes beside its target: ``.<name>.<pid>.tmp``.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp$")


def write_text_atomically(path: str | Path, text: str, private: bool = False) -> Path:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, fsync it, then ``os.replace`` it into place.

    With ``private`` the file is owner-only (0600) whatever the umask; otherwise it gets
    the mode a new file gets under the umask (an existing file's mode is kept).
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if private:
        mode = 0o600
    elif path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
    else:
        mode = 0o666 & ~_umask()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def stale_temporaries(folder: str | Path) -> list[Path]:
    """Temporary files in ``folder`` left by other processes killed mid-write (call under the run lock)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir()
                  if (match := _TEMPORARY.match(path.name)) and int(match.group(1)) != os.getpid()
                  and path.is_file())


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every filesystem allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
