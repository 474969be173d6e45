"""The content revision kept in each worker's memory, told of changes by LISTEN/NOTIFY.

Every catalog read needs the content revision (its ETag, the 304 check, the recommender's
catalog and the search vocabulary are keyed by it), and reading it cost a round trip per
request. The knowledge base changes only in transactions that call ``bump_revision``, which
also sends ``NOTIFY spotter_content``; PostgreSQL delivers it when, and only if, the write
commits. Each worker holds one listening connection of its own and answers from memory:

* on a notification the revision is forgotten at once (readers fall back to the database)
  and read again over the listening connection, so a change is seen within a round trip;
* a worker's own content writes forget it too, after their commit, so a client that writes
  and then reads through the same worker never sees the revision before its write;
* the revision is also read again every ``recheck_s`` seconds, and while the listening
  connection is down (a restart, a network cut) nothing is remembered: every request asks
  the database, exactly as without the watcher, until the watcher has reconnected.

So the watcher can only make a reader ask the database more often than needed, never trust
a revision that a committed change has replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import asyncpg
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import asyncpg_dsn

logger = logging.getLogger(__name__)

CHANNEL = "spotter_content"
APPLICATION_NAME = "spotter-revision-watcher"
# Session.info keys: what the watcher knew when the request began, and whether the request
# itself changed content (from then on it must read the revision from its own transaction).
KNOWN_REVISION = "spotter.known_revision"
CONTENT_WRITTEN = "spotter.content_written"

REVISION_SQL = "SELECT revision, changed_at FROM content_revision WHERE id = 1"


@dataclass(frozen=True, slots=True)
class KnownRevision:
    """The revision number (ETags) and stamp (caches: unique even if a number is reused)."""

    number: int
    stamp: str


def revision_of(row: tuple[int, object] | None) -> KnownRevision:
    """The revision a ``content_revision`` row (or its absence) stands for."""
    if row is None:
        return KnownRevision(0, "0")
    number, changed_at = row
    stamp_time = changed_at.isoformat() if hasattr(changed_at, "isoformat") else str(changed_at)
    return KnownRevision(int(number), f"{number}@{stamp_time}")


class RevisionWatcher:
    """One worker's listener; ``current`` is None whenever the revision is not known."""

    def __init__(self, url: str, *, recheck_s: float = 5.0, connect_timeout_s: float = 2.0) -> None:
        self._dsn = asyncpg_dsn(url)
        self._recheck_s = recheck_s
        self._connect_timeout_s = connect_timeout_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.current: KnownRevision | None = None
        # Counted for tests and the benchmark: how often the revision was (re)read.
        self.reads = 0
        self._reads_at_connect = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="content-revision-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.current = None

    def forget(self) -> None:
        """Stop trusting the revision until it has been read again."""
        self.current = None
        self._wake.set()

    # ----------------------------------------------------------------- the request's session

    def prime(self, session: AsyncSession) -> None:
        """Give a new request session the revision known now, if one is."""
        if self.current is not None:
            session.info[KNOWN_REVISION] = self.current

    def after_commit(self, session: AsyncSession) -> None:
        if session.info.get(CONTENT_WRITTEN):
            self.forget()

    # ----------------------------------------------------------------- the listening loop

    async def _run(self) -> None:
        failing = False
        while True:
            try:
                await self._listen()
            except Exception as exc:  # any failure of the connection means "reconnect"
                # Once per outage, not once a second while the database stays away.
                level = logging.DEBUG if failing else logging.WARNING
                logger.log(level, "content revision watcher disconnected: %s", type(exc).__name__)
            # An attempt that never read the revision is the same outage going on.
            failing = self.reads == self._reads_at_connect
            self.current = None
            await asyncio.sleep(1.0)

    async def _listen(self) -> None:
        self._reads_at_connect = self.reads
        connection = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout_s,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            await connection.add_listener(CHANNEL, self._notified)
            # A dropped connection can deliver no notification: forget at once, reconnect.
            connection.add_termination_listener(self._notified)
            while not connection.is_closed():
                self._wake.clear()
                row = await connection.fetchrow(REVISION_SQL, timeout=self._connect_timeout_s)
                self.reads += 1
                # A notification that arrived during the read leaves the wake flag set: the
                # value just read may predate it, so it is not trusted and is read again.
                if not self._wake.is_set():
                    self.current = revision_of(None if row is None else (row[0], row[1]))
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the
                # cancellation that stops the watcher when the wake-up comes at the same time.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._recheck_s):
                        await self._wake.wait()
            msg = "the listening connection closed"
            raise ConnectionError(msg)
        finally:
            self.current = None
            # No goodbye to a server that may not answer: closing the socket is enough.
            connection.terminate()

    def _notified(self, *_args: object) -> None:
        self.forget()
