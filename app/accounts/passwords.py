"""Password hashing with argon2 (argon2-cffi); the parameters are a setting, the hash records them.

A hash made with older parameters still verifies; ``needs_rehash`` tells the login to upgrade it.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

_PROFILES = {
    "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "rfc9106_high_memory": profiles.RFC_9106_HIGH_MEMORY,
    "cheapest": profiles.CHEAPEST,
}

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)

#: Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("partrack-dummy-password")


def use_profile(name: str) -> None:
    """Switch the parameters new hashes use (the app factory calls this from the settings)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(_PROFILES[name])
    _DUMMY_HASH = _hasher.hash("partrack-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
