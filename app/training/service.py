"""Training logs: the lifter's profile and sessions, always looked up by their owner.

Every query is filtered by the ``user_id`` of the caller's principal, so someone else's session
is indistinguishable from one that does not exist (404) and a write to it touches nothing.
Services only flush; the request commits, which makes a session and its sets one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
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
from app.pagination import cursor_row_id, decode_cursor, encode_cursor, invalid_cursor
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
from app.tips.models import Routine
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


# --------------------------------------------------------------------------- profile


def _profile_public(row: TrainingProfile) -> ProfilePublic:
    return ProfilePublic(
        **ProfileIn.model_validate(row.profile).model_dump(),
        equipment=EquipmentIn.model_validate(row.equipment),
        routine=row.routine_slug,
        version=row.version,
        updated_at=row.updated_at,
    )


async def _check_routine(session: AsyncSession, slug: str | None) -> None:
    if slug is None:
        return
    found = (await session.exec(select(Routine.id).where(col(Routine.slug) == slug))).first()
    if found is None:
        raise InvalidInputError(
            f"There is no routine '{slug}'; see /v1/routines.",
            errors=[_invalid("routine", f"unknown routine '{slug}'", "unknown_routine")],
        )


async def get_profile(session: AsyncSession, user_id: int) -> ProfilePublic:
    row = await session.get(TrainingProfile, user_id)
    if row is None:
        raise NotFoundError("You have no profile yet; create it with PUT /v1/me/profile.")
    return _profile_public(row)


async def put_profile(
    session: AsyncSession, user_id: int, data: ProfileUpdate, if_match: str | None
) -> tuple[ProfilePublic, bool]:
    """Create the profile (no ``If-Match`` needed) or replace it (``If-Match`` required).

    Returns the stored profile and whether it was created.
    """
    await _check_routine(session, data.routine)
    profile = ProfileIn.model_validate(data.model_dump(include=set(ProfileIn.model_fields)))
    row = await session.get(TrainingProfile, user_id)
    if row is None:
        if if_match is not None:
            # RFC 9110 §13.1.1: If-Match never matches a resource that does not exist.
            raise PreconditionFailedError(
                "You have no profile yet, so If-Match cannot match; send the first PUT without it."
            )
        row = TrainingProfile(user_id=user_id)
        session.add(row)
        created = True
    else:
        check_if_match(if_match, version_etag("profile", user_id, row.version))
        created = False
        # Always an UPDATE (hence a version check) even when nothing else changed.
        row.updated_at = utcnow()
    row.profile = profile.model_dump(mode="json")
    row.equipment = data.equipment.model_dump(mode="json", exclude_none=True)
    row.routine_slug = data.routine
    await session.flush()
    return _profile_public(row), created


# --------------------------------------------------------------------------- sessions


async def _check_exercises(session: AsyncSession, sets: Sequence[SetIn]) -> None:
    """Sets must name knowledge-base exercises, or the recommender could not use them."""
    named = {s.exercise for s in sets}
    known = set(
        (await session.exec(select(Exercise.slug).where(col(Exercise.slug).in_(named)))).all()
    )
    unknown = [
        _invalid(f"sets.{i}.exercise", f"unknown exercise '{s.exercise}'", "unknown_exercise")
        for i, s in enumerate(sets)
        if s.exercise not in known
    ]
    if unknown:
        raise InvalidInputError(
            "Some exercises are not in the knowledge base; see /v1/exercises.", errors=unknown
        )


def _set_rows(session_id: int, sets: Sequence[SetIn]) -> list[TrainingSet]:
    return [
        TrainingSet(
            session_id=session_id,
            position=position,
            exercise=s.exercise,
            details=s.model_dump(mode="json", exclude={"exercise"}),
        )
        for position, s in enumerate(sets)
    ]


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


def _session_public(row: TrainingSession, sets: list[SetIn]) -> TrainingSessionPublic:
    assert row.id is not None  # noqa: S101 - flushed rows have ids
    return TrainingSessionPublic(
        id=row.id,
        date=row.session_date,
        notes=row.notes,
        sets=sets,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _owned_session(session: AsyncSession, user_id: int, session_id: int) -> TrainingSession:
    row = (
        await session.exec(
            select(TrainingSession).where(
                col(TrainingSession.id) == session_id, col(TrainingSession.user_id) == user_id
            )
        )
    ).first()
    if row is None:
        raise NotFoundError(f"You have no training session {session_id}.")
    return row


async def create_session(
    session: AsyncSession, user_id: int, data: TrainingSessionCreate
) -> TrainingSessionPublic:
    """Store a session and its sets; the request's transaction makes them all or nothing."""
    await _check_exercises(session, data.sets)
    row = TrainingSession(user_id=user_id, session_date=data.date, notes=data.notes)
    session.add(row)
    await session.flush()
    assert row.id is not None  # noqa: S101 - flushed rows have ids
    session.add_all(_set_rows(row.id, data.sets))
    await session.flush()
    return _session_public(row, list(data.sets))


async def get_session(
    session: AsyncSession, user_id: int, session_id: int
) -> TrainingSessionPublic:
    row = await _owned_session(session, user_id, session_id)
    return _session_public(row, (await _sets_of(session, [session_id]))[session_id])


async def replace_session(
    session: AsyncSession,
    user_id: int,
    session_id: int,
    data: TrainingSessionCreate,
    if_match: str | None,
) -> TrainingSessionPublic:
    """Replace a session and all its sets, if it is still the version the client saw."""
    row = await _owned_session(session, user_id, session_id)
    check_if_match(if_match, version_etag("session", session_id, row.version))
    await _check_exercises(session, data.sets)
    row.session_date = data.date
    row.notes = data.notes
    row.updated_at = utcnow()
    # The versioned UPDATE goes first: a concurrent writer that also passed the If-Match check
    # waits on this row's lock and then fails its own version check (412) before touching sets.
    await session.flush()
    await run_statement(
        session, sa.delete(TrainingSet).where(col(TrainingSet.session_id) == session_id)
    )
    session.add_all(_set_rows(session_id, data.sets))
    await session.flush()
    return _session_public(row, list(data.sets))


async def delete_session(
    session: AsyncSession, user_id: int, session_id: int, if_match: str | None
) -> None:
    """Delete a session (its sets go with it), if it is still the version the client saw."""
    row = await _owned_session(session, user_id, session_id)
    check_if_match(if_match, version_etag("session", session_id, row.version))
    # The ORM deletes WHERE id AND version: a concurrent change makes this a 412, not a loss.
    await session.delete(row)
    await session.flush()


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
    statement = select(TrainingSession).where(col(TrainingSession.user_id) == user_id)
    if date_from is not None:
        statement = statement.where(col(TrainingSession.session_date) >= date_from)
    if date_to is not None:
        statement = statement.where(col(TrainingSession.session_date) <= date_to)
    if cursor is not None:
        last_date, last_id = _cursor_position(cursor, scope)
        statement = statement.where(
            sa.tuple_(col(TrainingSession.session_date), col(TrainingSession.id))
            < sa.tuple_(sa.literal(last_date), sa.literal(last_id))
        )
    statement = statement.order_by(
        col(TrainingSession.session_date).desc(), col(TrainingSession.id).desc()
    ).limit(limit + 1)
    rows = list((await session.exec(statement)).all())
    page, more = rows[:limit], len(rows) > limit
    sets = await _sets_of(session, [row.id for row in page if row.id is not None])
    items = [_session_public(row, sets[row.id]) for row in page if row.id is not None]
    next_cursor = (
        encode_cursor(scope, [items[-1].date.isoformat(), items[-1].id]) if more and items else None
    )
    return TrainingSessionPage(items=items, limit=limit, next_cursor=next_cursor)


# --------------------------------------------------------------------------- recommendations


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
