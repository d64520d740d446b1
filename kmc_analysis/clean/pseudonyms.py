"""Keyed pseudonyms for NIKs, and the key they are made with.

A plain hash of a NIK can be reversed by trying the ~10^4 NIKs that share a kecamatan
and birth date, so ``id_penerima`` is an HMAC-SHA256 keyed by a secret that never
enters git, logs or reports. The key comes from the ``KMC_PSEUDONYM_KEY`` environment
variable or, failing that, from a key file (``KMC_PSEUDONYM_KEY_FILE``, default
``~/.config/kmc/pseudonym.key``) created with mode 0600 on first use. Keep the key: the
same key gives the same ``id_penerima`` month after month, which is what lets coverage
and evaluation count a person once across months.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.clean.hmac_digests import DIGEST_SIZE, digests
from kmc_analysis.clean.normalize import factorize_niks
from kmc_analysis.core.errors import InputError

KEY_ENV = "KMC_PSEUDONYM_KEY"
KEY_FILE_ENV = "KMC_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/kmc/pseudonym.key")
MIN_KEY_LENGTH = 16


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key and where it came from (the source is safe to log; the key is not).

    ``created`` is true when this load wrote a new key file, which the runner announces.
    """

    secret: bytes
    source: str
    created: bool = False
    path: Path | None = None

    def __repr__(self) -> str:
        return f"PseudonymKey(source={self.source!r}, key_id={self.key_id})"

    @property
    def key_id(self) -> str:
        """A fingerprint that tells keys apart without revealing them (16 hex digits)."""
        return hashlib.sha256(b"kmc-key-id\x00" + self.secret).hexdigest()[:16]


def key_file_path() -> Path:
    """The key file used when ``KMC_PSEUDONYM_KEY`` is not set, as an absolute path."""
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser().absolute()


def load_key() -> PseudonymKey:
    """Return the pseudonymisation key, creating the key file (mode 0600) on first use.

    Refuses (InputError) a key that is blank, or shorter than 16 characters once spaces
    at either end are stripped, and a key file that its group or other users may read.
    """
    from_env = os.environ.get(KEY_ENV)
    if from_env is not None:
        if len(from_env.strip()) < MIN_KEY_LENGTH:
            raise InputError(
                f"Variabel lingkungan {KEY_ENV} terisi tetapi kosong atau kurang dari {MIN_KEY_LENGTH} karakter "
                f"(spasi di awal dan akhir tidak dihitung). Isi dengan rahasia acak yang panjang, misalnya keluaran "
                f"perintah: python -c 'import secrets; print(secrets.token_hex(32))', atau hapus variabel itu "
                f"agar berkas kunci dipakai."
            )
        return PseudonymKey(from_env.encode("utf-8"), f"variabel lingkungan {KEY_ENV}")
    path = key_file_path()
    created = not path.exists()
    if created:
        _create_key_file(path)
    _check_key_file_private(path)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as problem:
        raise InputError(f"Berkas kunci pseudonim {path} tidak dapat dibaca ({type(problem).__name__}). "
                         f"Periksa izin berkas itu (chmod 600 {path}) atau pulihkan dari cadangan.") from None
    if len(secret) < MIN_KEY_LENGTH:
        raise InputError(f"Berkas kunci pseudonim {path} kosong atau berisi kurang dari {MIN_KEY_LENGTH} karakter. "
                         f"Pulihkan berkas itu dari cadangan, atau hapus berkas itu agar kunci baru dibuat "
                         f"(id_penerima bulan-bulan lama tidak akan cocok lagi).")
    return PseudonymKey(secret.encode("utf-8"), f"berkas kunci {path}", created=created, path=path)


def _create_key_file(path: Path) -> None:
    """Write a new random key to ``path`` with mode 0600, whatever the umask."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(secrets.token_hex(32) + "\n")


def _check_key_file_private(path: Path) -> None:
    """Refuse a key file that its group or other users can read, write or run."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InputError(f"Berkas kunci pseudonim {path} dapat dibaca atau diubah pengguna lain (izin {mode:04o}). "
                         f"Batasi untuk pemiliknya saja dengan: chmod 600 {path}, lalu jalankan ulang.")


def pseudonymize(nik: pd.Series, key: PseudonymKey) -> pd.Series:
    """HMAC-SHA256 of each NIK under ``key``, as 64 hex digits (computed once per distinct NIK).

    The distinct NIKs are hashed from a plain list (stepping through an Arrow-backed array
    element by element costs more than the hashing), half of them on a second core when
    there are many (:mod:`~kmc_analysis.clean.hmac_digests`).
    """
    codes, distinct = factorize_niks(nik)
    hexed = hex_text(digests(distinct.tolist(), key.secret))
    return pd.Series(pd.array(hexed, dtype="str").take(codes), index=nik.index)


def hex_text(joined: bytes):
    """32-byte digests joined in one ``bytes`` as an Arrow array of 64 lower-case hex digits each.

    One vectorised pass: ``hexdigest`` a million times and building a text array from a
    million Python strings cost more than the hashing's last steps.
    """
    import pyarrow as pa

    raw = np.frombuffer(joined, dtype=np.uint8)
    hexed = _HEX_PAIRS[raw].view(np.uint8)  # each byte's two hex digits in one lookup
    count = raw.size // DIGEST_SIZE
    offsets = np.arange(0, 2 * DIGEST_SIZE * (count + 1), 2 * DIGEST_SIZE, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(hexed))


#: The two hex digits of each byte value, as one 2-byte item.
_HEX_PAIRS = np.frombuffer(b"".join(f"{value:02x}".encode() for value in range(256)), dtype=np.uint16)
