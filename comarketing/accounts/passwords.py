"""Password hashing (argon2id) and the password rules.

Rules follow NIST SP 800-63B: at least 8 characters, long passphrases and any Unicode
allowed, nothing truncated, no composition rules, and a list of common passwords refused.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
# Far above any passphrase a person types, low enough that hashing cannot be used for DoS.
MAX_LENGTH = 1024


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("comarketing.accounts").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _normalise(password: str) -> str:
    # The same passphrase typed on two keyboards may arrive composed or decomposed.
    return unicodedata.normalize("NFC", password)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why this password is not acceptable, or None."""
    length = len(_normalise(password))
    if length < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if length > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.strip().casefold()
    if folded in _common_passwords():
        return "This password is too common; choose a less predictable one."
    if email and folded in {email.casefold(), email.split("@")[0].casefold()}:
        return "Do not use your email address as your password."
    return None


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(
        int(config["PASSWORD_HASH_TIME_COST"]),
        int(config["PASSWORD_HASH_MEMORY_COST"]),
        int(config["PASSWORD_HASH_PARALLELISM"]),
    )


def hash_password(password: str) -> str:
    return hasher().hash(_normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, _normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash("not-a-real-password")


def verify_against_dummy(password: str) -> None:
    """Spend the same time as a real check, so response time does not reveal unknown emails."""
    config = current_app.config
    dummy = _dummy_hash(
        int(config["PASSWORD_HASH_TIME_COST"]),
        int(config["PASSWORD_HASH_MEMORY_COST"]),
        int(config["PASSWORD_HASH_PARALLELISM"]),
    )
    verify_password(dummy, password)
