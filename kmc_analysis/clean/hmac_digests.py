"""HMAC-SHA256 of many short texts, shared between this process and one helper on a second core.

The digests come back as one ``bytes`` of 32 bytes per text (no million small objects);
:func:`kmc_analysis.clean.pseudonyms.pseudonymize` turns them into hex text in one pass.

Only the standard library is imported here, so the helper (``python -m
kmc_analysis.clean.hmac_digests``) starts in a few hundredths of a second. The key and the
texts reach it through a pipe, never its command line or environment, and its digests come
back the same way; nothing touches the disk. If the helper cannot start or fails, this
process computes its share too: the digests are the same either way.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys

#: From this many distinct texts a helper process hashes half of them (below, starting it costs more).
HELPER_FROM = 200_000


def digests(values: list[str], secret: bytes) -> bytes:
    """HMAC-SHA256 of each UTF-8 text under ``secret``, 32 bytes each, joined; many texts are split over two cores."""
    if len(values) < HELPER_FROM or (os.cpu_count() or 1) < 2:
        return digests_here(values, secret)
    half = len(values) // 2
    helper = _start_helper(values[half:], secret)
    mine = digests_here(values[:half], secret)
    theirs = _helper_result(helper)
    if theirs is None or len(theirs) != DIGEST_SIZE * (len(values) - half):
        theirs = digests_here(values[half:], secret)
    return mine + theirs


#: Bytes of one SHA-256 digest.
DIGEST_SIZE = 32


def digests_here(values: list[str], secret: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) of each UTF-8 text under ``secret``, 32 bytes each, joined, in this process.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)): the states after the keyed first
    block are computed once and copied per value, giving the bytes ``hmac.new`` gives. On
    a million NIKs this is about twice as fast as one-shot ``hmac.digest`` (which sets the
    key up again for every value); threads do not help, as hashlib holds the GIL for
    inputs this short.
    """
    inner, outer = _hmac_states(secret)
    inner_copy, outer_copy = inner.copy, outer.copy
    parts = []
    append = parts.append
    for value in values:
        inside = inner_copy()
        inside.update(value.encode("utf-8"))
        outside = outer_copy()
        outside.update(inside.digest())
        append(outside.digest())
    return b"".join(parts)


def _hmac_states(secret: bytes):
    """The inner and outer SHA-256 states of HMAC (RFC 2104) keyed with ``secret``."""
    block = hashlib.sha256().block_size
    if len(secret) > block:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in secret))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in secret))
    return inner, outer


def _start_helper(values: list[str], secret: bytes) -> subprocess.Popen | None:
    """Start the helper and hand it its texts and the key through its standard input; None if it cannot start."""
    try:
        helper = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
    except OSError:
        return None
    try:
        pickle.dump((secret, values), helper.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        helper.stdin.close()
    except OSError:  # it died before reading: its share is computed here
        helper.kill()
        helper.wait()
        return None
    return helper


def _helper_result(helper: subprocess.Popen | None) -> bytes | None:
    """The helper's digests, or None when it failed (its share is then computed here)."""
    if helper is None:
        return None
    try:
        digests = pickle.load(helper.stdout)
    except (EOFError, pickle.UnpicklingError, OSError):
        digests = None
    helper.stdout.close()
    return digests if helper.wait() == 0 else None


def _helper_main() -> None:
    secret, values = pickle.load(sys.stdin.buffer)
    pickle.dump(digests_here(values, secret), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _helper_main()
