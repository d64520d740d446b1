"""Keyed pseudonyms: stable under one key, different under another, key file created safely."""

import hashlib
import hmac
import stat

import pandas as pd
import pytest

from kmc_analysis.clean.pseudonyms import KEY_ENV, load_key, pseudonymize
from kmc_analysis.core.errors import InputError


def test_pseudonym_is_hmac_sha256_of_the_nik():
    key = load_key()
    ids = pseudonymize(pd.Series(["1872011504900001", "1872011504900001", "1872011504900002"]), key)
    expected = hmac.new(key.secret, b"1872011504900001", hashlib.sha256).hexdigest()
    assert ids.iloc[0] == ids.iloc[1] == expected
    assert ids.iloc[2] != expected
    assert ids.str.fullmatch(r"[0-9a-f]{64}").all()


@pytest.mark.parametrize("secret", ["k" * 16, "0123456789abcdef" * 4, "kunci-yang-sangat-panjang-" * 5])
def test_pseudonym_equals_the_standard_library_hmac_for_any_key_length(monkeypatch, secret):
    monkeypatch.setenv(KEY_ENV, secret)
    nik = pd.Series(["1872011504900001", "1872015504900002", ""])
    expected = [hmac.new(secret.encode(), n.encode(), hashlib.sha256).hexdigest() for n in nik]
    assert pseudonymize(nik, load_key()).tolist() == expected


def test_a_plain_hash_is_not_what_we_store():
    ids = pseudonymize(pd.Series(["1872011504900001"]), load_key())
    assert ids.iloc[0] != hashlib.sha256(b"1872011504900001").hexdigest()


def test_another_key_gives_other_pseudonyms_and_another_fingerprint(monkeypatch):
    first = load_key()
    monkeypatch.setenv(KEY_ENV, "a-completely-different-secret-key-456")
    second = load_key()
    nik = pd.Series(["1872011504900001"])
    assert pseudonymize(nik, first).iloc[0] != pseudonymize(nik, second).iloc[0]
    assert first.key_id != second.key_id
    assert first.secret.decode() not in repr(first) and len(first.key_id) == 16


def test_key_file_is_created_once_with_mode_0600(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "kunci" / "pseudonym.key"
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(path))
    first = load_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key().secret == first.secret
    assert str(path) in first.source


def test_a_short_key_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "pendek")
    with pytest.raises(InputError, match=KEY_ENV):
        load_key()
