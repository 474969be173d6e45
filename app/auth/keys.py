"""Secret formats: a prefix + 30 random base62 characters + a 6-character checksum.

API keys start ``spt_``; OAuth access tokens, refresh tokens, authorization codes and client
secrets have prefixes of their own (``app.oauth.credentials``), so each kind is told apart at
a glance and one kind can never be presented as another.

The prefix makes leaked keys recognisable to secret scanners; the checksum (CRC32 of the rest,
in base62) lets the service refuse a mistyped or made-up key before any database lookup. Only
an HMAC-SHA256 of the key, keyed with the server secret, is stored: a database leak does not
leak usable keys, and the lookup is still a single indexed equality.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib

PREFIX = "spt_"
ALPHABET = string.digits + string.ascii_letters
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6
KEY_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
DISPLAY_LENGTH = len(PREFIX) + 6


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def generate_key(prefix: str = PREFIX) -> str:
    body = prefix + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + _checksum(body)


def is_well_formed(key: str, prefix: str = PREFIX) -> bool:
    """Right prefix, length, alphabet and checksum; says nothing about whether it exists."""
    if len(key) != len(prefix) + RANDOM_LENGTH + CHECKSUM_LENGTH or not key.startswith(prefix):
        return False
    body, checksum = key[:-CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    if any(c not in ALPHABET for c in key[len(prefix) :]):
        return False
    return hmac.compare_digest(checksum, _checksum(body))


def key_hash(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def display_prefix(key: str) -> str:
    return key[:DISPLAY_LENGTH]
