"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

One Argon2 hash or verify is tens of milliseconds of CPU and 64 MiB of memory. Run on the
event loop, it stalls every other request of the worker for that long (20 concurrent
sign-ins stalled `/healthz` for about 2 s). So the work runs in a worker thread (argon2-cffi
releases the GIL), and at most ``concurrency`` hashes run at once per process: more threads
than cores would only make each sign-in slower and multiply the memory held.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.db.deadline import not_counted

_hasher = PasswordHasher()


@cache
def _decoy_hash() -> str:
    """Verified against when the email is unknown, so a sign-in takes as long whether or not
    the account exists and response times do not reveal which emails are registered.
    Made on first use (in a worker thread) rather than at import, which every worker pays."""
    return _hasher.hash("decoy password that matches nothing")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matches = _hasher.verify(password_hash or _decoy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Cheap (it parses the parameters in the hash), so it runs on the loop."""
    return _hasher.check_needs_rehash(password_hash)


class Hashing:
    """Hash and verify while holding one of the hasher's turns (see `Passwords.turn`).

    anyio waits for the thread to finish even when the request is cancelled (a client that
    hangs up), so a turn is only given back once its CPU work is really over.
    """

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(_hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash costs a verify all the same."""
        return await anyio.to_thread.run_sync(_verify, password_hash, password)


class Passwords:
    """The process's password hasher: Argon2id in worker threads, ``concurrency`` at a time."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._turns = anyio.CapacityLimiter(concurrency)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[Hashing]:
        """Wait for a free hashing slot, then hash or verify as often as needed inside it.

        A sign-in takes its turn *before* it reads the account, so requests queue here
        without holding a database connection: queueing after the read held one connection
        per waiting sign-in and ran the pool dry (503s) under 30 concurrent sign-ins.
        """
        # The wait is not database time: it must not use up the request's deadline.
        with not_counted():
            await self._turns.acquire()
        try:
            yield Hashing()
        finally:
            self._turns.release()

    async def hash(self, password: str) -> str:
        async with self.turn() as hashing:
            return await hashing.hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self.turn() as hashing:
            return await hashing.verify(password_hash, password)
