"""Keyed pseudonyms: stable under one key, different under another, key file created safely."""

import hashlib
import hmac
import stat

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.clean import hmac_digests, pseudonyms
from kmc_analysis.clean.pseudonyms import (
    KEY_ENV,
    PseudonymJob,
    PseudonymKey,
    are_pseudonyms,
    load_key,
    pseudonymize,
)
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


def test_pseudonym_equals_the_standard_library_hmac_for_every_key_length_from_0_to_200_bytes():
    # Key lengths around SHA-256's 64-byte block matter: a longer key is hashed first (RFC 2104).
    nik = pd.Series(["1872011504900001", "1872015504900002", "", "1872011504900001", "18720115049ÿ0003"],
                    dtype="str")
    for length in range(201):
        secret = bytes((7 * i + length) % 256 for i in range(length))
        expected = [hmac.new(secret, n.encode("utf-8"), hashlib.sha256).hexdigest() for n in nik]
        assert pseudonymize(nik, PseudonymKey(secret, "test")).tolist() == expected, f"key of {length} bytes"


def test_pseudonyms_keep_the_index_and_order_of_a_filtered_arrow_backed_column():
    nik = pd.Series([f"18720115049{i:05d}" for i in range(50)] * 2, dtype="str").iloc[::3]
    key = PseudonymKey(b"index-test-key-0123456789", "test")
    ids = pseudonymize(nik, key)
    assert ids.index.equals(nik.index)
    assert ids.tolist() == [hmac.new(key.secret, n.encode(), hashlib.sha256).hexdigest() for n in nik]


def stdlib_pseudonyms(nik, key):
    return [hmac.new(key.secret, n.encode(), hashlib.sha256).hexdigest() for n in nik]


def test_many_niks_hashed_half_in_a_helper_process_equal_the_standard_library_hmac(monkeypatch):
    monkeypatch.setattr(hmac_digests, "HELPER_FROM", 10)
    started = []
    real_start = hmac_digests.HmacHelper.start
    monkeypatch.setattr(hmac_digests.HmacHelper, "start", lambda *a: started.append(1) or real_start(*a))
    nik = pd.Series([f"18720115049{i:05d}" for i in range(41)] + ["18720115049ÿ0003", ""], dtype="str")
    key = PseudonymKey(b"helper-test-key-0123456789", "test")
    assert pseudonymize(nik, key).tolist() == stdlib_pseudonyms(nik, key)
    assert started, "the helper process was not used"


def broken_helper(monkeypatch, failure):
    if failure == "cannot_start":
        monkeypatch.setattr(hmac_digests.sys, "executable", "/nonexistent/python")
    elif failure == "no_thread_to_feed_it":  # a process limit reached: threads count too
        def refuse(self):
            raise RuntimeError("can't start new thread")
        monkeypatch.setattr(hmac_digests.threading.Thread, "start", refuse)
    else:
        monkeypatch.setattr(hmac_digests, "__name__", "kmc_analysis.no_such_module")


@pytest.mark.parametrize("failure", ["cannot_start", "no_thread_to_feed_it", "dies"])
def test_when_the_hashing_helper_cannot_start_or_dies_its_share_is_hashed_here(monkeypatch, failure):
    monkeypatch.setattr(hmac_digests, "HELPER_FROM", 10)
    broken_helper(monkeypatch, failure)
    nik = pd.Series([f"18720115049{i:05d}" for i in range(30)], dtype="str")
    key = PseudonymKey(b"helper-test-key-0123456789", "test")
    assert pseudonymize(nik, key).tolist() == stdlib_pseudonyms(nik, key)


def month_of_niks():
    """Cleaned NIKs as stage 1 reads them: repeats, leading zeros, and NIKs that are not 16 digits."""
    return pd.Series([f"18720115049{i:05d}" for i in range(60)] * 2
                     + ["0000011504900001", "187201150490001", "18720115049ÿ0003", ""], dtype="str")


def test_niks_hashed_while_the_rows_are_judged_equal_the_standard_library_hmac(monkeypatch):
    monkeypatch.setattr(pseudonyms, "BACKGROUND_FROM", 10)
    key = PseudonymKey(b"job-test-key-0123456789", "test")
    with PseudonymJob(month_of_niks(), key) as job:
        assert job._helper is not None, "the helper process was not started"
        rows = [5, 61, 0, 120, 59, 5]  # a filtered, reordered column: 16 digits only (a leading zero too)
        accepted = month_of_niks().iloc[rows]
        ids = job.pseudonymize(accepted, rows)
    assert ids.index.equals(accepted.index)
    assert ids.tolist() == stdlib_pseudonyms(accepted, key)


@pytest.mark.parametrize("failure", ["cannot_start", "no_thread_to_feed_it", "dies"])
def test_when_the_background_hashing_fails_the_niks_are_hashed_here(monkeypatch, failure):
    monkeypatch.setattr(pseudonyms, "BACKGROUND_FROM", 10)
    broken_helper(monkeypatch, failure)
    key = PseudonymKey(b"job-test-key-0123456789", "test")
    accepted = month_of_niks().iloc[:70]
    with PseudonymJob(month_of_niks(), key) as job:
        assert job.pseudonymize(accepted, np.arange(70)).tolist() == stdlib_pseudonyms(accepted, key)


@pytest.mark.parametrize("other", ["1872011504999999", "18720115049ÿ0003"])
def test_a_nik_that_is_not_the_text_of_its_row_is_hashed_here(monkeypatch, other):
    # Row 0 was read as 1872011504900000 and row 1 as ...01: the helper's digest of a row is used only
    # for the very text it hashed.
    monkeypatch.setattr(pseudonyms, "BACKGROUND_FROM", 10)
    key = PseudonymKey(b"job-test-key-0123456789", "test")
    others = pd.Series(["1872011504900001", other], dtype="str")
    with PseudonymJob(month_of_niks(), key) as job:
        assert job.pseudonymize(others, [0, 1]).tolist() == stdlib_pseudonyms(others, key)


def test_without_rows_the_niks_are_hashed_here_and_the_helper_ends(monkeypatch):
    monkeypatch.setattr(pseudonyms, "BACKGROUND_FROM", 10)
    key = PseudonymKey(b"job-test-key-0123456789", "test")
    accepted = month_of_niks().iloc[:5]
    with PseudonymJob(month_of_niks(), key) as job:
        process = job._helper._process
        assert job.pseudonymize(accepted).tolist() == stdlib_pseudonyms(accepted, key)
        assert process.poll() is not None


def test_niks_read_with_spaces_or_dots_are_hashed_after_cleaning_the_rest_by_the_helper(monkeypatch):
    monkeypatch.setattr(pseudonyms, "BACKGROUND_FROM", 10)
    key = PseudonymKey(b"job-test-key-0123456789", "test")
    as_read = pd.Series([f"18720115049{i:05d}" for i in range(40)] + ["1872 0115 0490 0041", "1872.0115.0490.0042"],
                        dtype="str")
    accepted = pd.Series([f"18720115049{i:05d}" for i in range(43)][::-1], dtype="str")  # cleaned, and one more
    rows = [42 - i if i else 0 for i in range(43)]  # the one more at row 0 (read as another text)
    with PseudonymJob(as_read, key) as job:
        assert job._helper is not None
        assert job.pseudonymize(accepted, rows).tolist() == stdlib_pseudonyms(accepted, key)


def test_leaving_the_job_unasked_ends_its_helper(monkeypatch):
    monkeypatch.setattr(pseudonyms, "BACKGROUND_FROM", 10)
    with PseudonymJob(month_of_niks(), PseudonymKey(b"job-test-key-0123456789", "test")) as job:
        process = job._helper._process
    assert process.poll() is not None and job._helper is None


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


@pytest.mark.parametrize("secret", [" " * 16, "abc" + " " * 14, "\t\n" * 10, ""])
def test_a_blank_or_padded_short_key_is_refused(monkeypatch, secret):
    monkeypatch.setenv(KEY_ENV, secret)
    with pytest.raises(InputError, match=f"{KEY_ENV} terisi tetapi kosong atau kurang dari 16 karakter"):
        load_key()


def test_a_key_file_readable_by_others_is_refused_with_the_chmod_that_fixes_it(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "pseudonym.key"
    path.write_text("rahasia-yang-panjang-sekali-0123456789\n")
    path.chmod(0o644)
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(path))
    with pytest.raises(InputError, match=f"chmod 600 {path}"):
        load_key()
    path.chmod(0o600)
    assert load_key().created is False


def test_a_new_key_file_is_marked_created_and_made_0600_even_under_umask_000(monkeypatch, tmp_path):
    import os

    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "baru" / "pseudonym.key"
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(path))
    old = os.umask(0)
    try:
        key = load_key()
    finally:
        os.umask(old)
    assert key.created and key.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_relative_key_file_path_is_resolved_once(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", "kunci/pseudonym.key")
    assert load_key().path == tmp_path / "kunci" / "pseudonym.key"


def test_a_blank_key_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV)
    path = tmp_path / "pseudonym.key"
    path.write_text("   \n")
    path.chmod(0o600)
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(path))
    with pytest.raises(InputError, match="kosong atau berisi kurang dari 16"):
        load_key()


def test_a_key_of_bytes_that_are_no_utf8_text_is_refused_naming_the_variable(monkeypatch):
    # an unexpected UnicodeEncodeError (exit 1) in attack round 4; bytes 0xff 0xfe reach Python as surrogates
    monkeypatch.setenv(KEY_ENV, "kunci-biner-\udcff\udcfe-" + "q" * 30)
    with pytest.raises(InputError, match=KEY_ENV):
        load_key()


@pytest.mark.parametrize(("ids", "expected"), [
    ([], True),
    (["0123456789abcdef" * 4, "f" * 64], True),
    (["0123456789abcdef" * 4, "F" * 64], False),                 # upper case is no pseudonym of ours
    (["0123456789abcdef" * 4, "1872011504900001"], False),       # a NIK
    (["0123456789abcdef" * 4, "a" * 63], False),
    (["0123456789abcdef" * 4, "a" * 63 + "g"], False),
    (["0123456789abcdef" * 4, "a" * 62 + "\u00e9"], False),      # 64 bytes, 63 characters
    (["0123456789abcdef" * 4, None], False),
])
def test_are_pseudonyms_accepts_64_lower_case_hex_digits_only(ids, expected):
    column = pd.Series(ids, dtype="str")
    assert are_pseudonyms(column) is expected
    assert are_pseudonyms(column) == bool(column.notna().all() and column.str.fullmatch(r"[0-9a-f]{64}").all())


def test_are_pseudonyms_reads_only_the_rows_of_a_slice():
    column = pd.Series(["NIK 1872011504900001", "a" * 64, "b" * 64, "not hex"], dtype="str")
    assert are_pseudonyms(column.iloc[1:3])
    assert not are_pseudonyms(column.iloc[0:3])
