"""Password hashes, tokens and their digests, the secret key."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from pwdlib.hashers.argon2 import Argon2Hasher

from core import security


def test_a_token_digest_is_the_hex_sha256_of_the_token() -> None:
    # The stored digests of every session, API token and conversation depend on this staying the same.
    assert security.token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    token = security.new_token()
    assert security.token_digest(token) == hashlib.sha256(token.encode()).hexdigest() != token


def test_tokens_are_long_random_and_keep_their_prefix() -> None:
    tokens = {security.new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) == 43 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)  # 256 bits
    prefixed = security.new_token("fqd_")
    assert prefixed.startswith("fqd_") and len(prefixed) == 47


def test_passwords_are_hashed_with_argon2id_and_verified() -> None:
    hashed = security.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert security.hash_password("correct horse battery") != hashed  # salted
    assert security.verify_password("correct horse battery", hashed) == (True, None)
    assert security.verify_password("correct horse battery!", hashed) == (False, None)


def test_a_broken_stored_hash_never_matches() -> None:
    assert security.verify_password("anything", "") == (False, None)
    assert security.verify_password("anything", "not a hash") == (False, None)
    assert security.verify_password("anything", "$argon2id$v=19$m=1,t=1,p=1$broken") == (False, None)


def test_a_hash_with_outdated_parameters_is_renewed_on_a_good_password() -> None:
    weak = Argon2Hasher(time_cost=1, memory_cost=8192).hash("correct horse battery")
    ok, renewed = security.verify_password("correct horse battery", weak)
    assert ok and renewed is not None and renewed != weak
    assert security.verify_password("correct horse battery", renewed) == (True, None)
    assert security.verify_password("wrong", weak) == (False, None)


def test_the_dummy_hash_is_one_real_hash_kept_for_the_process() -> None:
    assert security.dummy_hash() is security.dummy_hash()
    assert security.dummy_hash().startswith("$argon2id$")
    assert security.verify_password("", security.dummy_hash())[0] is False


def test_same_compares_strings() -> None:
    assert security.same("abc", "abc")
    assert not security.same("abc", "abd")
    assert not security.same("abc", "abcd")


def test_the_secret_key_is_the_configured_one_else_generated_once(tmp_path: Path) -> None:
    assert security.load_secret_key("configured", tmp_path) == "configured"
    assert not (tmp_path / "secret_key").exists()
    data = tmp_path / "var"
    key = security.load_secret_key(None, data)
    assert len(key) >= 64
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
    assert security.load_secret_key(None, data) == key  # a restart keeps the key, so sessions survive
    assert security.load_secret_key("", data) == key
