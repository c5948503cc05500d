"""Password hashing (argon2 via pwdlib), opaque tokens and the server's secret key."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash when the stored one uses outdated parameters."""
    try:
        return _hasher().verify_and_update(password, password_hash)
    except Exception:  # an unparseable stored hash never matches
        return False, None


@lru_cache
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing does not reveal that."""
    return hash_password(secrets.token_urlsafe(16))


def new_token(prefix: str = "") -> str:
    """An unguessable token (256 bits), optionally prefixed so leaked tokens are recognisable."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256 (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def sign(secret: str, message: str) -> str:
    """A MAC of ``message`` under the secret key (HMAC-SHA256, 128 bits in hex): proof that this server
    handed the message out, e.g. the vote a "What was missing?" form may add its comment to."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def load_secret_key(configured: str | None, data_dir: Path) -> str:
    """The configured secret, else one generated once and kept in the data folder (mode 0600)."""
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start at once, the second reads the first one's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
