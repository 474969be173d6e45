"""The bulk catalog snapshot: every public item, read in one consistent view, encoded as it is
read.

Consistency. The knowledge base changes only in transactions that also bump the content
revision (``app.knowledge.service.bump_revision``). A snapshot reads the revision, the change
cursor and every item in one ``REPEATABLE READ``, read-only transaction: PostgreSQL gives
all its statements the same snapshot of the data, so the items are exactly those of the
revision it names, whatever commits meanwhile.

Memory. Exercises (the kind that grows to 100k) are read through a server-side cursor a batch
at a time and each batch is encoded and handed to the server before the next is read; the
other kinds are a few dozen items each. Muscles and joint actions embed the exercises that
train them, so they are read one item at a time.

Digest. Headers go out before the body, so a header-carried SHA-256 of a streamed body must be
known before the first byte is read. The body is a pure function of (content revision stamp,
change cursor, media type, coding): the same snapshot of the data, the same fixed order (by
slug within each kind), the same encoder and the same chunk boundaries. So the digest and the
size are computed once per worker for each such key, by a first pass over the same generator
that only hashes, and kept (``BodyFacts``). The pass is a task of its own, not bound by the
request's database deadline; a request that cannot wait for it is a 503 with Retry-After.
Later snapshots of that revision stream straight away with the digest and a
``Content-Length``. The key holds the revision's stamp, read in
the snapshot's own transaction, so a stale entry can never be used: a new revision has a new
key, and entries of older stamps are dropped when a newer one is seen. (The alternative, an
HTTP trailer, is not delivered by most clients nor by the ASGI servers Spotter runs on.)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy import service as anatomy_service
from app.compression import GZIP_LEVEL, THREAD_MIN_SIZE
from app.errors import ServiceUnavailableError
from app.exercises import service as exercises_service
from app.exports.schemas import (
    JSON_MEDIA_TYPE,
    KINDS,
    NDJSON_MEDIA_TYPE,
    SnapshotHeaderLine,
    SnapshotTrailerLine,
)
from app.knowledge.service import current_revision, known_revision
from app.knowledge.watcher import KnownRevision
from app.sources import service as sources_service
from app.tips import service as tips_service

# Exercises read (and encoded, and sent) per round trip: about 0.5 MB of JSON.
BATCH_SIZE: Final = 200
# What a request that finds the digest still being computed is told to wait.
PREPARING_RETRY_S: Final = 10

CursorSource = Callable[[AsyncSession], Awaitable[str]]


async def revision_cursor(session: AsyncSession) -> str:
    """Where a client continues from the snapshot. The change feed (``GET /v1/changes``) is
    not built yet, so for now this is the content revision's number as text; the feed's
    ``current_cursor(session)`` replaces this function, read in the snapshot's transaction
    like everything else. The router passes it to ``open_view``: the one place the cursor
    comes from."""
    return str(await current_revision(session))


@dataclass(frozen=True, slots=True)
class SnapshotView:
    """One consistent view of the knowledge base: a transaction and what it names."""

    session: AsyncSession
    database: str
    revision: KnownRevision
    cursor: str


@contextlib.asynccontextmanager
async def open_view(
    engine: AsyncEngine, cursor_source: CursorSource
) -> AsyncIterator[SnapshotView]:
    """A read-only ``REPEATABLE READ`` transaction, held until the body has been sent."""
    async with engine.connect() as connection:
        repeatable = await connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        async with repeatable.begin():
            session = AsyncSession(bind=repeatable)
            try:
                # Read in the transaction, never from a watcher's memory: the revision must be
                # the one this snapshot of the data belongs to.
                revision = await known_revision(session)
                cursor = await cursor_source(session)
                yield SnapshotView(session, str(engine.url), revision, cursor)
            finally:
                await session.close()


def etag_of(view: SnapshotView, media_type: str) -> str:
    """The identity tag of the snapshot in ``media_type`` (the gzip answer's tag adds
    ``-gzip``, as ``app.compression`` writes coded tags)."""
    key = f"{view.revision.stamp}|{view.cursor}|{media_type}".encode()
    return f'"snap-r{view.revision.number}-{hashlib.sha256(key).hexdigest()[:20]}"'


# --------------------------------------------------------------------------- the items


def _item_json(item: BaseModel) -> bytes:
    # What FastAPI sends for the same response model: its fields by alias, as JSON.
    return item.model_dump_json(by_alias=True).encode()


def _by_slug(items: Sequence[Any]) -> list[Any]:
    # Listings order by name or group; a snapshot orders every kind by slug, so the same
    # revision always gives the same bytes (and the cached digest stays true).
    return sorted(items, key=lambda item: item.slug)


async def _batches(session: AsyncSession, kind: str) -> AsyncIterator[Sequence[BaseModel]]:
    """The items of one kind, by slug, a batch at a time, each as its detail endpoint answers."""
    if kind == "exercise":
        async for batch in exercises_service.stream_exercise_details(
            session, batch_size=BATCH_SIZE
        ):
            yield batch
    elif kind == "muscle":
        muscles = await anatomy_service.list_muscles(session, group=None, view=None)
        for muscle in _by_slug(muscles):
            yield [await exercises_service.muscle_detail(session, muscle.slug)]
    elif kind == "joint_action":
        actions = await anatomy_service.list_joint_actions(session, joint=None)
        for action in _by_slug(actions):
            yield [await exercises_service.joint_action_detail(session, action.slug)]
    else:
        yield _by_slug(await _LISTED[kind](session))


async def _tips(session: AsyncSession) -> Sequence[BaseModel]:
    return await tips_service.list_tips(session, exercise=None, muscle=None, category=None,
                                        level=None)  # fmt: skip


async def _routines(session: AsyncSession) -> Sequence[BaseModel]:
    return await tips_service.list_routines(session, level=None)


async def _sources(session: AsyncSession) -> Sequence[BaseModel]:
    return await sources_service.list_sources(session, kind=None)


# Kinds whose listing items are their detail (the same response model).
_LISTED: dict[str, Callable[[AsyncSession], Awaitable[Sequence[BaseModel]]]] = {
    "tip": _tips,
    "equipment": exercises_service.list_equipment,
    "strategy": tips_service.list_strategies,
    "routine": _routines,
    "source": _sources,
    "benefit": tips_service.list_benefits,
    "anatomy_note": tips_service.list_anatomy_notes,
}


# --------------------------------------------------------------------------- the encodings


def _json_text(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


async def _json_document(view: SnapshotView) -> AsyncIterator[bytes]:
    """``{"revision":…,"cursor":…,"exercises":[…],…,"counts":{…}}``, one batch per chunk."""
    counts: dict[str, int] = {}
    yield b'{"revision":%d,"cursor":%s' % (view.revision.number, _json_text(view.cursor))
    for kind, key in KINDS:
        count = 0
        opening = b',"%s":[' % key.encode()
        async for batch in _batches(view.session, kind):
            if not batch:
                continue
            encoded = b",".join(_item_json(item) for item in batch)
            yield opening + encoded if count == 0 else b"," + encoded
            count += len(batch)
        if count == 0:
            yield opening
        yield b"]"
        counts[kind] = count
    yield b',"counts":' + _json_text(counts) + b"}"


async def _ndjson_lines(view: SnapshotView) -> AsyncIterator[bytes]:
    """A header line, one line per item (``{"type":"item","kind":…,"item":{…}}``), a trailer."""
    counts: dict[str, int] = {}
    header = SnapshotHeaderLine(
        type="header",
        revision=view.revision.number,
        cursor=view.cursor,
        kinds=[kind for kind, _ in KINDS],
    )
    yield header.model_dump_json().encode() + b"\n"
    for kind, _ in KINDS:
        prefix = b'{"type":"item","kind":"%s","item":' % kind.encode()
        counts[kind] = 0
        async for batch in _batches(view.session, kind):
            yield b"".join(prefix + _item_json(item) + b"}\n" for item in batch)
            counts[kind] += len(batch)
    trailer = SnapshotTrailerLine(
        type="trailer", revision=view.revision.number, cursor=view.cursor, counts=counts
    )
    yield trailer.model_dump_json().encode() + b"\n"


async def _gzipped(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """gzip, member by member as the chunks come; the same chunks always give the same bytes
    (no timestamp in the header, fixed level), as the cached digest needs."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    async for chunk in chunks:
        # A large chunk is compressed in a thread so the event loop serves others meanwhile.
        if len(chunk) >= THREAD_MIN_SIZE:
            encoded = await asyncio.to_thread(compressor.compress, chunk)
        else:
            encoded = compressor.compress(chunk)
        if encoded:
            yield encoded
    yield compressor.flush()


def _chunks(view: SnapshotView, media_type: str) -> AsyncIterator[bytes]:
    return _ndjson_lines(view) if media_type == NDJSON_MEDIA_TYPE else _json_document(view)


def body(view: SnapshotView, media_type: str, coding: str | None) -> AsyncIterator[bytes]:
    """The snapshot's bytes as sent, chunk by chunk."""
    chunks = _chunks(view, media_type)
    return _gzipped(chunks) if coding == "gzip" else chunks


# --------------------------------------------------------------------------- digests


@dataclass(frozen=True, slots=True)
class BodyFacts:
    """What the headers say about a body before it is sent: its SHA-256 and its size."""

    sha256: bytes
    size: int


# (database, revision stamp, cursor, media type): one body, in each of its codings.
BodyKey = tuple[str, str, str, str]
IDENTITY: Final = "identity"


class SnapshotPreparingError(ServiceUnavailableError):
    """The hashing pass of this revision's body outlasts the request's database deadline;
    it goes on in the background, and a retry gets the snapshot once it is done."""


class BodyFactsCache:
    """Per worker: the facts of each body of the newest revision seen, per database.

    A first request for a key starts a hashing pass over the same bytes (the identity bytes
    and, for a coded answer, the coded ones, in one pass) as a task of its own, in its own
    consistent view, and waits for it as long as its database deadline allows. Requests for the
    same key meanwhile wait for that task rather than start their own. The pass is not the
    request's work: a request whose deadline comes first is answered 503 with `Retry-After`
    (the pass of 100k exercises takes tens of seconds), and the pass goes on for the retry."""

    def __init__(self) -> None:
        self._facts: dict[BodyKey, dict[str, BodyFacts]] = {}
        self._stamps: dict[str, str] = {}
        self._tasks: dict[tuple[BodyKey, str], asyncio.Task[None]] = {}
        # For tests and the benchmark: how many hashing passes ran.
        self.passes = 0

    async def facts(
        self,
        view: SnapshotView,
        media_type: str,
        coding: str | None,
        *,
        measure_in: Callable[[], contextlib.AbstractAsyncContextManager[SnapshotView]],
        wait_s: float,
    ) -> tuple[BodyFacts, BodyFacts]:
        """The facts of the body as sent (in ``coding``) and of its identity form; a pass in
        a view ``measure_in`` opens computes them when they are not known."""
        key = (view.database, view.revision.stamp, view.cursor, media_type)
        if self._stamps.get(view.database) != view.revision.stamp:
            # A newer revision: the older one's bodies will not be asked for again here.
            for old in [old for old in self._facts if old[0] == view.database]:
                del self._facts[old]
            self._stamps[view.database] = view.revision.stamp
        wanted = coding or IDENTITY
        known = self._facts.get(key, {})
        if wanted not in known or IDENTITY not in known:
            task = self._tasks.get((key, wanted))
            if task is None:
                task = asyncio.create_task(self._pass(key, media_type, coding, measure_in))
                self._tasks[(key, wanted)] = task
            try:
                # Shielded: the request's deadline ends its wait, never the pass.
                await asyncio.wait_for(asyncio.shield(task), max(wait_s, 0.0))
            except TimeoutError:
                raise SnapshotPreparingError(
                    "The snapshot of this revision is still being prepared (its digest is "
                    "computed once per revision); retry shortly.",
                    headers={"Retry-After": str(PREPARING_RETRY_S)},
                ) from None
            known = self._facts.get(key, {})
            if wanted not in known or IDENTITY not in known:
                # The content changed while the pass ran: it measured a newer revision.
                raise SnapshotPreparingError(
                    "The knowledge base changed while this snapshot was prepared; retry.",
                    headers={"Retry-After": "1"},
                )
        return known[wanted], known[IDENTITY]

    async def _pass(
        self,
        key: BodyKey,
        media_type: str,
        coding: str | None,
        measure_in: Callable[[], contextlib.AbstractAsyncContextManager[SnapshotView]],
    ) -> None:
        try:
            async with measure_in() as view:
                found = await _measure(view, media_type, coding)
                measured = (view.database, view.revision.stamp, view.cursor, media_type)
            self.passes += 1
            if measured == key and self._stamps.get(key[0]) == key[1]:
                self._facts.setdefault(key, {}).update(found)
        finally:
            self._tasks.pop((key, coding or IDENTITY), None)

    def clear(self) -> None:
        self._facts.clear()
        self._stamps.clear()


class _Tally:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    async def counting(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk

    @property
    def facts(self) -> BodyFacts:
        return BodyFacts(self.digest.digest(), self.size)


async def _measure(view: SnapshotView, media_type: str, coding: str | None) -> dict[str, BodyFacts]:
    """One pass over the body that only hashes and counts: the identity bytes, and the coded
    ones when ``coding`` is given (``body`` applies the same steps in the same order)."""
    identity, coded = _Tally(), _Tally()
    chunks = identity.counting(_chunks(view, media_type))
    async for _ in coded.counting(_gzipped(chunks)) if coding == "gzip" else chunks:
        pass
    found = {IDENTITY: identity.facts}
    if coding is not None:
        found[coding] = coded.facts
    return found


body_facts = BodyFactsCache()

MEDIA_TYPES: Final = (JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE)
