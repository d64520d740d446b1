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

from kmc_analysis.clean.hmac_digests import DIGEST_SIZE, HmacHelper, digests, two_cores
from kmc_analysis.clean.normalize import arrow_text, factorize_niks, nik_has_sixteen_digits
from kmc_analysis.core.errors import InputError

KEY_ENV = "KMC_PSEUDONYM_KEY"
KEY_FILE_ENV = "KMC_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/kmc/pseudonym.key")
MIN_KEY_LENGTH = 16
#: From this many rows of 16-digit NIKs in a month, a helper process hashes them while the rows are judged.
BACKGROUND_FROM = 50_000


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
        try:
            secret = from_env.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are no UTF-8 text reach Python as lone surrogates
            raise InputError(
                f"Variabel lingkungan {KEY_ENV} memuat byte yang bukan teks UTF-8. Isi dengan rahasia acak dari "
                f"huruf dan angka, misalnya keluaran perintah: python -c 'import secrets; "
                f"print(secrets.token_hex(32))'."
            ) from None
        return PseudonymKey(secret, f"variabel lingkungan {KEY_ENV}")
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

    The distinct NIKs are hashed from their packed UTF-8 bytes (stepping through an
    Arrow-backed array element by element costs more than the hashing), half of them on a
    second core when there are many (:mod:`~kmc_analysis.clean.hmac_digests`).
    """
    codes, distinct = factorize_niks(nik)
    hexed = hex_text(digests(*packed_texts(distinct), key.secret))
    return pd.Series(pd.array(hexed, dtype="str").take(codes), index=nik.index)


class PseudonymJob:
    """A month's NIKs being hashed by a helper process while stage 1 judges the rows.

    Hashing a million NIKs keeps one core busy for about a second, and judging the rows
    takes longer than that on the other core. The job starts with the NIKs as read that are
    already 16 digits (almost all, in a month from a system), handed over as they lie in
    memory, one digest per row. :meth:`pseudonymize` later gives exactly what
    :func:`pseudonymize` gives: told each NIK's row among those the job started with, it
    takes the helper's digest where that row's text is the NIK, and hashes here only the
    others (a NIK cleaned of spaces or dots). With fewer than :data:`BACKGROUND_FROM` such
    rows, one core, a helper that fails, or no rows given, the NIKs are hashed when asked
    for, as :func:`pseudonymize` does. Use it as a context manager: leaving stops a helper
    whose digests were never asked for.
    """

    def __init__(self, nik: pd.Series, key: PseudonymKey):
        self._key = key
        self._helper: HmacHelper | None = None
        self._hashed = np.zeros((0, 16), dtype=np.uint8)  # the texts the helper hashes, 16 bytes each
        self._digest_of_row = np.zeros(0, dtype=np.int64)  # per row: its digest among them, -1 for none
        sixteen = nik_has_sixteen_digits(nik).to_numpy()
        if int(sixteen.sum()) >= BACKGROUND_FROM and two_cores():
            data, offsets = packed_texts(nik if sixteen.all() else nik[sixteen])
            self._helper = HmacHelper.start(data, offsets, key.secret)
            if self._helper is not None:
                self._hashed = _sixteen_byte_rows(data, offsets)
                self._digest_of_row = np.where(sixteen, np.cumsum(sixteen) - 1, -1)

    def __enter__(self) -> PseudonymJob:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._helper is not None:
            self._helper.stop()
            self._helper = None

    def pseudonymize(self, nik: pd.Series, rows: np.ndarray | None = None) -> pd.Series:
        """:func:`pseudonymize` of ``nik`` (the job's key); ``rows``: each NIK's row among those the job started with.

        A NIK whose row the helper hashed with the same text takes the helper's digest;
        every other NIK (and all of them without ``rows``) is hashed here.
        """
        helper, self._helper = self._helper, None
        joined = helper.result() if helper is not None and rows is not None else None
        if helper is not None and joined is None:
            helper.stop()
        if joined is None:
            return pseudonymize(nik, self._key)
        rows = np.asarray(rows, dtype=np.int64)
        position = self._digest_of_row[rows]
        same = position >= 0
        given = nik_has_sixteen_digits(nik).to_numpy()
        same &= given
        if same.any():  # the row's text as read must be the NIK itself (16 digits are never cleaned)
            texts = _sixteen_byte_rows(*packed_texts(nik[same]))
            same[same] = (self._hashed[position[same]] == texts).all(axis=1)
        per_row = np.empty(len(nik), dtype=f"V{DIGEST_SIZE}")
        per_row[same] = np.frombuffer(joined, dtype=f"V{DIGEST_SIZE}")[position[same]]
        if not same.all():  # NIKs the helper did not hash as they are (cleaned of spaces or dots): hashed here
            codes, distinct = factorize_niks(nik[~same])
            extra = digests(*packed_texts(distinct), self._key.secret)
            per_row[~same] = np.frombuffer(extra, dtype=f"V{DIGEST_SIZE}")[codes]
        return pd.Series(pd.array(hex_text(per_row.tobytes()), dtype="str"), index=nik.index)


def _sixteen_byte_rows(data: bytes, offsets: bytes) -> np.ndarray:
    """Packed texts of 16 bytes each (:func:`packed_texts`) as a (texts, 16) uint8 array."""
    bounds = np.frombuffer(offsets, dtype=np.int64)
    return np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]].reshape(-1, 16)


def are_pseudonyms(ids: pd.Series) -> bool:
    """Whether every value of ``ids`` is a pseudonym: 64 lower-case hex digits (no NIK can pass for one).

    Read on the packed bytes (lengths, then the bytes left once the hex digits are deleted):
    a regular expression over a million 64-character texts takes several times longer.
    """
    import pyarrow.compute as pc

    if ids.isna().any():
        return False
    if not len(ids):
        return True
    array = arrow_text(ids.astype("str"))
    if not pc.all(pc.equal(pc.binary_length(array), 2 * DIGEST_SIZE)).as_py():
        return False
    data, offsets = _packed(array)
    bounds = np.frombuffer(offsets, dtype=np.int64)
    return not data[bounds[0]:bounds[-1]].translate(None, b"0123456789abcdef")


def packed_texts(texts: pd.Series) -> tuple[bytes, bytes]:
    """The UTF-8 bytes of ``texts`` joined, and their int64 offsets: the packed form of :mod:`hmac_digests`."""
    return _packed(arrow_text(texts.astype("str").fillna("")))


def _packed(array) -> tuple[bytes, bytes]:
    """The data and offsets buffers of an Arrow ``large_string`` array, as ``bytes``."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    data = array.buffers()[2]
    return (data.to_pybytes() if data is not None else b""), offsets.tobytes()


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
