"""Formats, lifetimes and hashing of what the authorization server hands out.

Every secret has the API keys' shape (prefix, random body, checksum: ``app.auth.keys``) with
a prefix of its own, so a malformed one is refused before any database look-up and a leaked
one is recognisable by secret scanners. Only keyed hashes are stored.
"""

from __future__ import annotations

from datetime import timedelta

from app.auth import keys

CLIENT_ID_PREFIX = "spa_"
CLIENT_SECRET_PREFIX = "spcs_"  # noqa: S105 - a prefix, not a secret
CODE_PREFIX = "spac_"
ACCESS_PREFIX = "spat_"
REFRESH_PREFIX = "sprt_"

# OAuth 2.1 asks for short-lived codes; a minute covers a slow phone's redirect.
CODE_TTL = timedelta(seconds=60)
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
# The pattern a client id must match, for path parameters and forms alike.
CLIENT_ID_PATTERN = (
    rf"^{CLIENT_ID_PREFIX}[0-9A-Za-z]{{{keys.RANDOM_LENGTH + keys.CHECKSUM_LENGTH}}}$"
)
CLIENT_ID_LENGTH = len(CLIENT_ID_PREFIX) + keys.RANDOM_LENGTH + keys.CHECKSUM_LENGTH


def new(prefix: str) -> str:
    return keys.generate_key(prefix)


def is_well_formed(value: str, prefix: str) -> bool:
    return keys.is_well_formed(value, prefix)


def digest(value: str, secret: str) -> str:
    return keys.key_hash(value, secret)
