"""Training logs: the lifter's profile and sessions, always looked up by their owner.

Every query is filtered by the ``user_id`` of the caller's principal, so someone else's session
is indistinguishable from one that does not exist (404) and a write to it touches nothing.
Services only flush; the request commits, which makes a session and its sets one transaction.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.base import utcnow
from app.db.session import run_statement
from app.errors import (
    ConflictError,
    InvalidInputError,
    InvalidParam,
    NotFoundError,
    PreconditionFailedError,
)
from app.exercises.models import Exercise
from app.pagination import MAX_ROW_ID, cursor_row_id, decode_cursor, encode_cursor, invalid_cursor
from app.preconditions import check_if_match, version_etag
from app.recommendations import service as recommendations
from app.recommendations.schemas import (
    MAX_HISTORY_DAYS,
    MAX_HISTORY_SETS,
    MAX_SESSIONS,
    EquipmentIn,
    NextSessionRequest,
    ProfileIn,
    SessionIn,
    SetIn,
)
from app.recommender import EARLIEST_DAY, RecommendationResult
from app.training.models import TrainingProfile, TrainingSession, TrainingSet
from app.training.schemas import (
    ProfilePublic,
    ProfileUpdate,
    TrainingSessionCreate,
    TrainingSessionPage,
    TrainingSessionPublic,
)


def profile_etag(profile: ProfilePublic, user_id: int) -> str:
    return version_etag("profile", user_id, profile.version)


def session_etag(training_session: TrainingSessionPublic) -> str:
    return version_etag("session", training_session.id, training_session.version)


def _invalid(name: str, reason: str, kind: str = "value_error") -> InvalidParam:
    return InvalidParam(name=name, location="body", reason=reason, type=kind)


# --------------------------------------------------------------------------- versions


def _accepted_versions(if_match: str | None, kind: str, row_id: int) -> tuple[bool, list[int]]:
    """What a write's ``If-Match`` lets it change: (any version, these versions).

    The statement that checks the row's version also writes it, in one round trip; the
    If-Match rules themselves stay ``check_if_match``'s, applied to the version the statement
    saw, so only tags that exact function would accept are passed on (``"*"``, or this row's
    own tag spelt the way ``version_etag`` spells it).
    """
    if if_match is None:
        return False, []
    candidates = {tag.strip() for tag in if_match.split(",")}
    prefix = f'"{kind}-{row_id}-v'
    versions = []
    for tag in candidates:
        digits = tag.removeprefix(prefix).removesuffix('"')
        if tag.startswith(prefix) and tag.endswith('"') and digits.isascii() and digits.isdigit():
            version = int(digits)
            # Beyond int4 the driver would refuse the value; no stored row has such a version.
            if version <= MAX_ROW_ID and version_etag(kind, row_id, version) == tag:
                versions.append(version)
    return "*" in candidates, versions


def _stale() -> StaleDataError:
    # The row changed between the statement's snapshot and its write (a concurrent writer
    # committed first): the same 412 the ORM's version check gives (``app.errors``).
    return StaleDataError("the row's version changed under the write")


# --------------------------------------------------------------------------- profile


def _profile_public(
    profile: dict[str, Any],
    equipment: dict[str, Any],
    routine: str | None,
    version: int,
    updated_at: datetime,
) -> ProfilePublic:
    return ProfilePublic(
        **ProfileIn.model_validate(profile).model_dump(),
        equipment=EquipmentIn.model_validate(equipment),
        routine=routine,
        version=version,
        updated_at=updated_at,
    )


_GET_PROFILE = sa.text(
    "SELECT profile, equipment, routine_slug, version, updated_at "
    "FROM training_profile WHERE user_id = :user_id"
).columns(profile=JSONB, equipment=JSONB)


async def get_profile(session: AsyncSession, user_id: int) -> ProfilePublic:
    row = (await run_statement(session, _GET_PROFILE, user_id=user_id)).first()
    if row is None:
        raise NotFoundError("You have no profile yet; create it with PUT /v1/me/profile.")
    return _profile_public(*row)


# One statement: the routine check, the current version, and the create or the versioned
# update, whichever applies (each gated on the routine being known). A first PUT racing another
# first PUT hits the primary key, as an ORM insert would (409).
_PUT_PROFILE = sa.text(
    """
    WITH known AS (
        SELECT CAST(:routine AS text) IS NULL
            OR EXISTS (SELECT 1 FROM routine WHERE slug = :routine) AS ok
    ), current_row AS (
        SELECT version FROM training_profile WHERE user_id = :user_id
    ), created AS (
        INSERT INTO training_profile
            (user_id, profile, equipment, routine_slug, version, created_at, updated_at)
        SELECT :user_id, :profile, :equipment, :routine, 1, :now, :now
        WHERE (SELECT ok FROM known) AND CAST(:may_create AS boolean)
            AND NOT EXISTS (SELECT 1 FROM current_row)
        RETURNING version
    ), changed AS (
        UPDATE training_profile
        SET profile = :profile, equipment = :equipment, routine_slug = :routine,
            updated_at = :now, version = version + 1
        WHERE user_id = :user_id AND (SELECT ok FROM known)
            AND (version = ANY(CAST(:versions AS integer[])) OR CAST(:any_version AS boolean))
        RETURNING version
    )
    SELECT (SELECT ok FROM known) AS known,
        (SELECT version FROM current_row) AS seen,
        coalesce((SELECT version FROM created), (SELECT version FROM changed)) AS stored
    """
).bindparams(sa.bindparam("profile", type_=JSONB), sa.bindparam("equipment", type_=JSONB))


async def put_profile(
    session: AsyncSession, user_id: int, data: ProfileUpdate, if_match: str | None
) -> tuple[ProfilePublic, bool]:
    """Create the profile (no ``If-Match`` needed) or replace it (``If-Match`` required).

    Returns the stored profile and whether it was created. The refusals come in the order a
    client can act on: an unknown routine (422), then the precondition (412, 428).
    """
    profile = ProfileIn.model_validate(data.model_dump(include=set(ProfileIn.model_fields)))
    stored_profile = profile.model_dump(mode="json")
    equipment = data.equipment.model_dump(mode="json", exclude_none=True)
    any_version, versions = _accepted_versions(if_match, "profile", user_id)
    now = utcnow()
    known, seen, version = (
        await run_statement(
            session,
            _PUT_PROFILE,
            user_id=user_id,
            routine=data.routine,
            profile=stored_profile,
            equipment=equipment,
            now=now,
            may_create=if_match is None,
            versions=versions,
            any_version=any_version,
        )
    ).one()
    if not known:
        slug = data.routine
        raise InvalidInputError(
            f"There is no routine '{slug}'; see /v1/routines.",
            errors=[_invalid("routine", f"unknown routine '{slug}'", "unknown_routine")],
        )
    if seen is None and if_match is not None:
        # RFC 9110 §13.1.1: If-Match never matches a resource that does not exist.
        raise PreconditionFailedError(
            "You have no profile yet, so If-Match cannot match; send the first PUT without it."
        )
    if seen is not None:
        check_if_match(if_match, version_etag("profile", user_id, seen))
    if version is None:
        raise _stale()
    public = _profile_public(stored_profile, equipment, data.routine, version, now)
    return public, seen is None


# --------------------------------------------------------------------------- sessions

# A session's sets in order, each as the stored exercise plus the rest of its ``SetIn``.
_SETS_JSON = """coalesce((
        SELECT jsonb_agg(jsonb_build_object('exercise', t.exercise) || t.details
                         ORDER BY t.position)
        FROM training_set t WHERE t.session_id = s.id
    ), '[]'::jsonb) AS sets"""
_SESSION_COLUMNS = (
    f"s.id, s.session_date, s.notes, s.version, s.created_at, s.updated_at, {_SETS_JSON}"
)

# The sets as sent, each with its position (from 0), and the distinct exercises among them
# that the knowledge base lacks (the recommender could not use a set naming one).
_WANTED_SETS = """
    wanted AS (
        SELECT value AS item, ordinality - 1 AS position
        FROM jsonb_array_elements(:sets) WITH ORDINALITY
    ), unknown AS (
        SELECT coalesce(array_agg(DISTINCT w.item ->> 'exercise'), '{}') AS slugs
        FROM wanted w
        WHERE NOT EXISTS (SELECT 1 FROM exercise e WHERE e.slug = w.item ->> 'exercise')
    )"""
_INSERT_SETS = """
        INSERT INTO training_set (session_id, position, exercise, details, created_at, updated_at)
        SELECT {session}.id, w.position, w.item ->> 'exercise', w.item - 'exercise', :now, :now
        FROM {session}, wanted w"""


def _session_public(row: sa.Row[Any]) -> TrainingSessionPublic:
    """A stored session as read by a ``_SESSION_COLUMNS`` select, validated in one call."""
    return TrainingSessionPublic.model_validate(
        {
            "id": row.id,
            "date": row.session_date,
            "notes": row.notes,
            "sets": row.sets,
            "version": row.version,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


_WRITTEN_COLUMNS = ("version", "created_at", "updated_at")


def _written(
    row: sa.Row[Any], data: TrainingSessionCreate, session_id: int
) -> TrainingSessionPublic:
    """The session as just written: the request's own validated sets, the row's metadata."""
    metadata = {name: row._mapping[name] for name in _WRITTEN_COLUMNS}
    return TrainingSessionPublic(
        id=session_id, date=data.date, notes=data.notes, sets=list(data.sets), **metadata
    )


def _sets_param(sets: Sequence[SetIn]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in sets]


def _unknown_exercises(sets: Sequence[SetIn], unknown: Sequence[str]) -> None:
    """Sets must name knowledge-base exercises, or the recommender could not use them."""
    if not unknown:
        return
    missing = set(unknown)
    raise InvalidInputError(
        "Some exercises are not in the knowledge base; see /v1/exercises.",
        errors=[
            _invalid(f"sets.{i}.exercise", f"unknown exercise '{s.exercise}'", "unknown_exercise")
            for i, s in enumerate(sets)
            if s.exercise in missing
        ],
    )


_GET_SESSION = sa.text(
    f"SELECT {_SESSION_COLUMNS} FROM training_session s "  # noqa: S608 - this module's own text
    "WHERE s.id = :id AND s.user_id = :user_id"
).columns(sets=JSONB)

# The exercise check, the session and its sets in one statement; nothing is written (and no
# id is drawn) when an exercise is unknown.
_CREATE_SESSION = (
    sa.text(
        f"""
    WITH {_WANTED_SETS}, stored AS (
        INSERT INTO training_session (user_id, session_date, notes, version, created_at, updated_at)
        SELECT :user_id, :session_date, :notes, 1, :now, :now
        FROM unknown WHERE cardinality(unknown.slugs) = 0
        RETURNING id, version, created_at, updated_at
    ), added AS ({_INSERT_SETS.format(session="stored")}
    )
    SELECT unknown.slugs, stored.id, stored.version, stored.created_at, stored.updated_at
    FROM unknown LEFT JOIN stored ON true
    """  # noqa: S608 - this module's own fragments, no input
    )
    .bindparams(sa.bindparam("sets", type_=JSONB))
    .columns(slugs=ARRAY(sa.Text()))
)

# Replace in one statement: the version seen, the exercise check, the versioned UPDATE, then
# the old sets out and the new ones in. The insert reads ``gone`` so that the delete has run
# before it (WITH sub-statements otherwise run in no set order), which keeps the positions'
# unique constraint from seeing old and new sets at once. A concurrent writer that also passed
# the If-Match check waits on the row lock, then finds another version and changes nothing.
_REPLACE_SESSION = (
    sa.text(
        f"""
    WITH current_row AS (
        SELECT version FROM training_session WHERE id = :id AND user_id = :user_id
    ), {_WANTED_SETS}, changed AS (
        UPDATE training_session
        SET session_date = :session_date, notes = :notes, updated_at = :now,
            version = version + 1
        WHERE id = :id AND user_id = :user_id
            AND (version = ANY(CAST(:versions AS integer[])) OR CAST(:any_version AS boolean))
            AND (SELECT cardinality(slugs) FROM unknown) = 0
        RETURNING id, version, created_at, updated_at
    ), gone AS (
        DELETE FROM training_set t USING changed WHERE t.session_id = changed.id RETURNING 1
    ), added AS ({_INSERT_SETS.format(session="changed")}
        WHERE (SELECT count(*) FROM gone) >= 0
    )
    SELECT (SELECT version FROM current_row) AS seen, unknown.slugs,
        changed.id, changed.version, changed.created_at, changed.updated_at
    FROM unknown LEFT JOIN changed ON true
    """  # noqa: S608 - this module's own fragments, no input
    )
    .bindparams(sa.bindparam("sets", type_=JSONB))
    .columns(slugs=ARRAY(sa.Text()))
)

# The version seen and the versioned DELETE (its sets go by the foreign key's cascade).
_DELETE_SESSION = sa.text(
    """
    WITH current_row AS (
        SELECT version FROM training_session WHERE id = :id AND user_id = :user_id
    ), gone AS (
        DELETE FROM training_session
        WHERE id = :id AND user_id = :user_id
            AND (version = ANY(CAST(:versions AS integer[])) OR CAST(:any_version AS boolean))
        RETURNING id
    )
    SELECT (SELECT version FROM current_row) AS seen, (SELECT id FROM gone) AS gone
    """
)


def _not_found(session_id: int) -> NotFoundError:
    return NotFoundError(f"You have no training session {session_id}.")


async def create_session(
    session: AsyncSession, user_id: int, data: TrainingSessionCreate
) -> TrainingSessionPublic:
    """Store a session and its sets: one statement, so they are all or nothing."""
    row = (
        await run_statement(
            session,
            _CREATE_SESSION,
            user_id=user_id,
            session_date=data.date,
            notes=data.notes,
            sets=_sets_param(data.sets),
            now=utcnow(),
        )
    ).one()
    _unknown_exercises(data.sets, row.slugs)
    return _written(row, data, row.id)


async def get_session(
    session: AsyncSession, user_id: int, session_id: int
) -> TrainingSessionPublic:
    row = (await run_statement(session, _GET_SESSION, id=session_id, user_id=user_id)).first()
    if row is None:
        raise _not_found(session_id)
    return _session_public(row)


async def replace_session(
    session: AsyncSession,
    user_id: int,
    session_id: int,
    data: TrainingSessionCreate,
    if_match: str | None,
) -> TrainingSessionPublic:
    """Replace a session and all its sets, if it is still the version the client saw.

    The refusals keep their order: not yours or gone (404), no or another If-Match (428,
    412), an unknown exercise (422), a concurrent change (412).
    """
    any_version, versions = _accepted_versions(if_match, "session", session_id)
    row = (
        await run_statement(
            session,
            _REPLACE_SESSION,
            id=session_id,
            user_id=user_id,
            session_date=data.date,
            notes=data.notes,
            sets=_sets_param(data.sets),
            now=utcnow(),
            versions=versions,
            any_version=any_version,
        )
    ).one()
    if row.seen is None:
        raise _not_found(session_id)
    check_if_match(if_match, version_etag("session", session_id, row.seen))
    _unknown_exercises(data.sets, row.slugs)
    if row.id is None:
        raise _stale()
    return _written(row, data, session_id)


async def delete_session(
    session: AsyncSession, user_id: int, session_id: int, if_match: str | None
) -> None:
    """Delete a session (its sets go with it), if it is still the version the client saw."""
    any_version, versions = _accepted_versions(if_match, "session", session_id)
    seen, gone = (
        await run_statement(
            session,
            _DELETE_SESSION,
            id=session_id,
            user_id=user_id,
            versions=versions,
            any_version=any_version,
        )
    ).one()
    if seen is None:
        raise _not_found(session_id)
    check_if_match(if_match, version_etag("session", session_id, seen))
    if gone is None:
        raise _stale()


def listing_scope(date_from: date | None, date_to: date | None) -> str:
    """Names a listing by its filters, so a cursor cannot be replayed on another one."""
    return f"sessions:{date_from}:{date_to}"


def _cursor_position(cursor: str, scope: str) -> tuple[date, int]:
    key = decode_cursor(cursor, scope)
    try:
        last_date, last_id = key
        return date.fromisoformat(last_date), cursor_row_id(last_id)
    except (TypeError, ValueError) as exc:
        # Our scope but not our shape (a tampered cursor): as unusable as a foreign one.
        raise invalid_cursor("not a cursor from this listing; start again without it") from exc


@functools.cache
def _listing(after: bool, before: bool, resume: bool) -> sa.TextualSelect:
    """The page query for one combination of filters: sessions and their sets in one
    statement. Eight fixed texts, so each stays prepared on every connection."""
    conditions = ["s.user_id = :user_id"]
    if after:
        conditions.append("s.session_date >= :date_from")
    if before:
        conditions.append("s.session_date <= :date_to")
    if resume:
        conditions.append("(s.session_date, s.id) < (:last_date, :last_id)")
    return sa.text(
        f"SELECT {_SESSION_COLUMNS} FROM training_session s "  # noqa: S608 - fixed conditions
        f"WHERE {' AND '.join(conditions)} ORDER BY s.session_date DESC, s.id DESC LIMIT :fetch"
    ).columns(sets=JSONB)


async def list_sessions(
    session: AsyncSession,
    user_id: int,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    cursor: str | None,
) -> TrainingSessionPage:
    """The lifter's sessions, newest first, keyset-paginated on (date, id)."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInputError(
            "`from` is after `to`.",
            errors=[
                InvalidParam(
                    name="from",
                    location="query",
                    reason=f"{date_from} is after to={date_to}",
                    type="value_error",
                )
            ],
        )
    scope = listing_scope(date_from, date_to)
    params: dict[str, Any] = {"user_id": user_id, "fetch": limit + 1}
    if date_from is not None:
        params["date_from"] = date_from
    if date_to is not None:
        params["date_to"] = date_to
    if cursor is not None:
        params["last_date"], params["last_id"] = _cursor_position(cursor, scope)
    statement = _listing(date_from is not None, date_to is not None, cursor is not None)
    rows = (await run_statement(session, statement, **params)).all()
    items = [_session_public(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(scope, [items[-1].date.isoformat(), items[-1].id])
        if len(rows) > limit and items
        else None
    )
    return TrainingSessionPage(items=items, limit=limit, next_cursor=next_cursor)


# --------------------------------------------------------------------------- recommendations


def _set_in(row: TrainingSet) -> SetIn:
    return SetIn.model_validate({"exercise": row.exercise, **row.details})


async def _sets_of(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, list[SetIn]]:
    rows = (
        await session.exec(
            select(TrainingSet)
            .where(col(TrainingSet.session_id).in_(session_ids))
            .order_by(col(TrainingSet.session_id), col(TrainingSet.position))
        )
    ).all()
    grouped: dict[int, list[SetIn]] = defaultdict(list)
    for row in rows:
        grouped[row.session_id].append(_set_in(row))
    return grouped


async def _recent_history(session: AsyncSession, user_id: int, today: date) -> list[SessionIn]:
    """The newest sessions of the last year, whole, up to the recommender's set budget.

    Newest first because recent training decides what comes next; a session is never cut in
    half, so the oldest ones are left out once 5,000 sets (or 1,000 sessions) are reached.
    Sets naming an exercise since removed from the knowledge base are skipped: the rest of the
    history is still worth a recommendation.
    """
    counts = (
        await session.exec(
            select(col(TrainingSession.id), col(TrainingSession.session_date), sa.func.count())
            .join(TrainingSet, col(TrainingSet.session_id) == col(TrainingSession.id))
            .where(
                col(TrainingSession.user_id) == user_id,
                col(TrainingSession.session_date) <= today,
                # Never older than the recommender accepts: a row stored with an earlier date
                # would fail its validation below instead of being left out.
                col(TrainingSession.session_date)
                >= max(today - timedelta(days=MAX_HISTORY_DAYS), EARLIEST_DAY),
            )
            .group_by(col(TrainingSession.id))
            .order_by(col(TrainingSession.session_date).desc(), col(TrainingSession.id).desc())
            .limit(MAX_SESSIONS)
        )
    ).all()
    chosen: list[tuple[int, date]] = []
    total = 0
    for session_id, session_date, count in counts:
        if total + count > MAX_HISTORY_SETS:
            break
        total += count
        assert session_id is not None  # noqa: S101 - stored rows have ids
        chosen.append((session_id, session_date))
    sets = await _sets_of(session, [session_id for session_id, _ in chosen])
    named = {s.exercise for group in sets.values() for s in group}
    known = set(
        (await session.exec(select(Exercise.slug).where(col(Exercise.slug).in_(named)))).all()
    )
    history = []
    for session_id, session_date in chosen:
        kept = [s for s in sets[session_id] if s.exercise in known]
        if kept:
            history.append(SessionIn(date=session_date, sets=kept))
    return history


async def next_session_request(
    session: AsyncSession, user_id: int, today: date
) -> NextSessionRequest:
    """The recommender's request, built from the stored profile and the last year of sessions."""
    row = await session.get(TrainingProfile, user_id)
    if row is None:
        raise ConflictError(
            "Recommendations need your training profile (experience, unit, equipment): "
            "create it first with PUT /v1/me/profile."
        )
    return NextSessionRequest(
        profile=ProfileIn.model_validate(row.profile),
        equipment=EquipmentIn.model_validate(row.equipment),
        history=await _recent_history(session, user_id, today),
        today=today,
    )


async def recommend_next_session(
    session: AsyncSession, user_id: int, today: date
) -> RecommendationResult:
    """Run the recommender on what the lifter has stored, exactly as the stateless endpoint
    would on the same data."""
    body = await next_session_request(session, user_id, today)
    return await recommendations.next_session(session, body, today)
