"""Argon2 hashing for staff passwords and client secrets."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("tandem-dummy-password-for-timing")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    """Constant work whether or not an account exists: an unknown account checks a dummy hash."""
    try:
        return _hasher.verify(hashed or _DUMMY, secret) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
