"""HMAC-SHA256 of many short texts, in this process or in one helper process on a second core.

The texts travel packed: their UTF-8 bytes joined in one ``bytes``, and the offsets of
their starts and ends as native int64 in another (``count + 1`` of them, as an Arrow string
array holds them), so no million small objects are built or pickled. The digests come back
as one ``bytearray`` of 32 bytes per text; :mod:`kmc_analysis.clean.pseudonyms` turns them
into hex text in one pass.

Only the standard library is imported here, so the helper (``python -m
kmc_analysis.clean.hmac_digests``) starts in a few hundredths of a second. The key and the
texts reach it through a pipe, never its command line or environment, and its digests come
back the same way; nothing touches the disk. If the helper cannot start or fails, the
caller computes its share: the digests are the same either way.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import threading

#: From this many texts a helper process hashes half of them (below, starting it costs more).
HELPER_FROM = 200_000
#: Bytes of one SHA-256 digest.
DIGEST_SIZE = 32
#: Bytes of one offset of a packed text (native int64).
OFFSET_SIZE = 8


def text_count(offsets: bytes) -> int:
    """How many packed texts ``offsets`` bounds."""
    return len(offsets) // OFFSET_SIZE - 1


def two_cores() -> bool:
    """Whether a helper process can run beside this one on a core of its own."""
    return (os.cpu_count() or 1) >= 2


def digests(data: bytes, offsets: bytes, secret: bytes) -> bytearray:
    """HMAC-SHA256 of each packed text under ``secret``, 32 bytes each, joined; many texts are split over two cores."""
    count = text_count(offsets)
    if count < HELPER_FROM or not two_cores():
        return digests_here(data, offsets, secret)
    half = OFFSET_SIZE * (count // 2)
    helper = HmacHelper.start(data, offsets[half:], secret)
    joined = digests_here(data, offsets[:half + OFFSET_SIZE], secret)
    theirs = helper.result() if helper is not None else None
    joined += theirs if theirs is not None else digests_here(data, offsets[half:], secret)
    return joined


def digests_here(data: bytes, offsets: bytes, secret: bytes) -> bytearray:
    """HMAC-SHA256 (RFC 2104) of each packed text under ``secret``, 32 bytes each, joined, in this process.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)): the states after the keyed first
    block are computed once and copied per value, giving the bytes ``hmac.new`` gives. On
    a million NIKs this is about twice as fast as one-shot ``hmac.digest`` (which sets the
    key up again for every value); threads do not help, as hashlib holds the GIL for
    inputs this short.
    """
    inner, outer = _hmac_states(secret)
    inner_copy, outer_copy = inner.copy, outer.copy
    joined = bytearray()  # grown in place: no million small objects, no copy when joining
    bounds = memoryview(offsets).cast("q")
    start = bounds[0] if len(bounds) else 0
    for end in bounds[1:]:
        inside = inner_copy()
        inside.update(data[start:end])
        outside = outer_copy()
        outside.update(inside.digest())
        joined += outside.digest()
        start = end
    return joined


def _hmac_states(secret: bytes):
    """The inner and outer SHA-256 states of HMAC (RFC 2104) keyed with ``secret``."""
    block = hashlib.sha256().block_size
    if len(secret) > block:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in secret))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in secret))
    return inner, outer


class HmacHelper:
    """A helper process hashing packed texts on another core while the caller goes on."""

    def __init__(self, process: subprocess.Popen, count: int, feeding: threading.Thread):
        self._process = process
        self._count = count
        self._feeding = feeding

    @classmethod
    def start(cls, data: bytes, offsets: bytes, secret: bytes) -> HmacHelper | None:
        """Start hashing the packed texts in a helper process; None if it cannot start (hash them here then).

        The texts are written to the helper's input by a thread, so the caller goes on at once.
        """
        try:
            process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            return None
        feeding = threading.Thread(target=_feed, args=(process.stdin, (secret, data, offsets)), daemon=True)
        try:
            feeding.start()
        except RuntimeError:  # no thread left to this user either: the caller hashes them all
            process.kill()
            process.communicate()
            return None
        return cls(process, text_count(offsets), feeding)

    def result(self) -> bytearray | None:
        """Wait for the digests (32 bytes per text, joined); None when the helper failed."""
        try:
            joined = pickle.load(self._process.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            joined = None
        self._process.stdout.close()
        succeeded = self._process.wait() == 0
        self._feeding.join()
        if not succeeded or not isinstance(joined, bytearray) or len(joined) != DIGEST_SIZE * self._count:
            return None
        return joined

    def stop(self) -> None:
        """End the helper if it still runs (the stage stopped before it needed the digests)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._feeding.join()  # its writes fail once the helper is gone
        self._process.stdout.close()


def _feed(stream, payload: tuple) -> None:
    """Write the helper's input and close it; a helper that died early just ends the writing (it is hashed here)."""
    try:
        pickle.dump(payload, stream, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass
    finally:
        try:
            stream.close()
        except OSError:
            pass


def _helper_main() -> None:
    secret, data, offsets = pickle.load(sys.stdin.buffer)
    pickle.dump(digests_here(data, offsets, secret), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _helper_main()
