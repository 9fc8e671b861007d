"""Single-use secrets sent by mail (invitations, password resets): only their hash is stored."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """Return (plaintext for the link, SHA-256 hex digest for the database)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # 256 bits of randomness need no salt or slow hash: nobody can guess back from the digest.
    return hashlib.sha256(token.encode()).hexdigest()
