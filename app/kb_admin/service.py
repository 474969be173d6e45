"""Writes behind the administrators' API: validation against stored content, conditional
replacement and deletion, and the bookkeeping every knowledge-base write owes.

Concurrency: every write takes the knowledge-base write lock first, then reads the row it
changes. Writers are serialised, so a second writer holding the same ``If-Match`` reads the
first one's committed version and gets 412. The UPDATE or DELETE itself is still conditional
on the ``updated_at`` that was read, so a writer that skipped the lock cannot be overwritten
silently either.

An item's ETag hashes its stored document, origin and ``updated_at``: no version column is
needed, and any change (through the API or by the loader) changes the tag.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import JointAction, Muscle, MuscleFunction
from app.content import schema as content
from app.content.files import check_item_against
from app.content.loader import (
    exercise_joint_action_links,
    exercise_muscle_links,
    exercise_values,
    joint_action_values,
    muscle_function_links,
    muscle_values,
    replace_links,
    tip_values,
)
from app.db.session import run_sql, run_statement
from app.errors import (
    ConflictError,
    InvalidInputError,
    InvalidParam,
    NotFoundError,
    PreconditionFailedError,
)
from app.exercises.models import Equipment, Exercise, ExerciseJointAction, ExerciseMuscle
from app.knowledge.models import Origin, Source
from app.knowledge.service import bump_revision, lock_content, refresh_search_vectors
from app.preconditions import check_if_match
from app.tips.models import Tip

# Origins whose items follow the content schema and may be administered here.
ADMINISTRABLE = (Origin.CURATED.value, Origin.API.value)


@dataclass(frozen=True)
class Kind:
    """One administrable kind of item."""

    table: str  # SQL table; also names the search vectors to refresh and prefixes ETags
    noun: str  # how messages name one item
    field: str  # the ContentBundle field, as the loader's rules name the kind
    model: type[Any]  # the ORM table
    item: type[content.ContentModel]  # the body model: the content files' own
    values: Callable[[Any], dict[str, Any]]  # item -> row values (the loader's)
    # Stored items the loader's rules compare a new item with: other exercises for top-pick
    # ranks, links and aliases; muscles for the joint actions a primary muscle performs.
    compared: tuple[str, ...]


EXERCISES = Kind(
    "exercise",
    "exercise",
    "exercises",
    Exercise,
    content.Exercise,
    exercise_values,
    ("exercises", "muscles"),
)
MUSCLES = Kind("muscle", "muscle", "muscles", Muscle, content.Muscle, muscle_values, ("muscles",))
JOINT_ACTIONS = Kind(
    "joint_action",
    "joint action",
    "joint_actions",
    JointAction,
    content.JointAction,
    joint_action_values,
    (),
)
TIPS = Kind("tip", "tip", "tips", Tip, content.Tip, tip_values, ())

# Slugs an item may refer to, per ContentBundle field (every origin counts).
_DECLARED: dict[str, type[Any]] = {
    "sources": Source,
    "joint_actions": JointAction,
    "muscles": Muscle,
    "equipment": Equipment,
    "exercises": Exercise,
    "tips": Tip,
}
_COMPARED: dict[str, tuple[type[Any], type[BaseModel]]] = {
    "exercises": (Exercise, content.Exercise),
    "muscles": (Muscle, content.Muscle),
}


def _probe(path: str, slug: str) -> Any:
    """The JSON a document contains when the list at ``path`` names ``slug``.

    ``path`` is dotted; ``[]`` marks a list of objects, e.g. ``ladder[].exercise``.
    """
    head, _, rest = path.partition(".")
    if not rest:
        return {head: [slug]} if not head.endswith("!") else {head[:-1]: slug}
    return {head.removesuffix("[]"): [_probe(rest, slug)]}


# Who may refer to an item of each kind by slug inside a stored document: (table, path).
# A trailing ``!`` marks a single slug rather than a list of them.
_DOCUMENT_REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "exercise": (
        ("exercise", "regressions"),
        ("exercise", "progressions"),
        ("exercise", "variations"),
        ("exercise", "ladder[].exercise!"),
        ("tip", "exercises"),
        ("tip", "exceptions[].exercise!"),
        ("benefit", "exercises"),
        ("strategy", "recommended_exercises"),
        ("strategy", "anchor_exercises"),
        ("routine", "days[].entries[].exercise!"),
        ("routine", "days[].entries[].alternatives"),
    ),
    "muscle": (
        ("exercise", "muscles[].muscle!"),
        ("muscle", "parent!"),
        ("tip", "muscles"),
        ("benefit", "muscles"),
        ("anatomy_note", "muscles"),
    ),
    "joint_action": (
        ("exercise", "joint_actions"),
        ("muscle", "functions[].joint_action!"),
        ("anatomy_note", "joint_actions"),
    ),
    "tip": (("exercise", "tips"),),
}

# Link tables catch what documents may not say (imported exercises keep their own documents).
_LINK_REFERENCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "muscle": (
        (
            "exercise",
            "muscles",
            (
                "SELECT e.slug FROM exercise_muscle l JOIN exercise e ON e.id = l.exercise_id "
                "WHERE l.muscle_id = :id"
            ),
        ),
    ),
    "joint_action": (
        (
            "exercise",
            "joint_actions",
            (
                "SELECT e.slug FROM exercise_joint_action l "
                "JOIN exercise e ON e.id = l.exercise_id WHERE l.joint_action_id = :id"
            ),
        ),
        (
            "muscle",
            "functions",
            (
                "SELECT m.slug FROM muscle_function l JOIN muscle m ON m.id = l.muscle_id "
                "WHERE l.joint_action_id = :id"
            ),
        ),
    ),
}


# --------------------------------------------------------------------------- ETags


def item_etag(kind: Kind, row: Any) -> str:
    """The item's version tag: changes whenever its document, origin or ``updated_at`` does."""
    document = json.dumps(row.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    stamp = f"{row.origin}|{row.updated_at.isoformat()}|{document}"
    return f'"{kind.table}-{hashlib.sha256(stamp.encode()).hexdigest()[:32]}"'


# --------------------------------------------------------------------------- reading


async def _find(session: AsyncSession, kind: Kind, slug: str) -> Any:
    # populate_existing: a row object this session already holds may predate a write that
    # committed while we waited for the lock, and the version check must see the stored one.
    statement = (
        select(kind.model)
        .where(col(kind.model.slug) == slug)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()


async def get_administrable(session: AsyncSession, kind: Kind, slug: str) -> Any:
    """The row of an item administrators may change: 404 if none, 409 if an importer owns it."""
    row = await _find(session, kind, slug)
    if row is None:
        raise NotFoundError(f"No {kind.noun} has the slug '{slug}'.")
    if row.origin not in ADMINISTRABLE:
        raise ConflictError(
            f"The {kind.noun} '{slug}' was imported from {row.origin}; it belongs to that import "
            "and cannot be changed here (the next import would undo it)."
        )
    return row


def as_item(kind: Kind, row: Any) -> content.ContentModel:
    """The stored item in its editable shape: what a PUT sends back, changed."""
    return kind.item.model_validate(row.document)


# --------------------------------------------------------------------------- validation


def _dotted(field: str | None) -> str:
    """``muscles[0].muscle`` (the loader's notation) as ``muscles.0.muscle`` (the API's)."""
    return re.sub(r"\[(\d+)\]", r".\1", field) if field else "body"


async def _check_references(session: AsyncSession, kind: Kind, item: content.ContentModel) -> None:
    """Apply the loader's cross-reference rules to ``item`` against the stored content."""
    declared = {
        field: set((await session.exec(select(model.slug))).all())
        for field, model in _DECLARED.items()
    }
    stored: dict[str, list[BaseModel]] = {}
    for field in kind.compared:
        model, item_model = _COMPARED[field]
        documents = await session.exec(
            select(model.document).where(col(model.origin).in_(ADMINISTRABLE))
        )
        stored[field] = []
        for document in documents.all():
            try:
                stored[field].append(item_model.model_validate(document))
            except ValidationError:
                # Stored before a schema change tightened a rule: it cannot be compared with,
                # and it is not this request's item, so it must not block this request.
                continue
    problems = check_item_against(item, kind.field, stored, declared)
    if problems:
        raise InvalidInputError(
            f"The {kind.noun} does not fit the knowledge base: "
            + "; ".join(f"{_dotted(p.field)}: {p.message}" for p in problems[:3])
            + (f" (and {len(problems) - 3} more)." if len(problems) > 3 else "."),
            errors=[
                InvalidParam(
                    name=_dotted(p.field),
                    location="body",
                    reason=p.message,
                    type="unknown_reference" if p.message.startswith("unknown ") else "conflict",
                )
                for p in problems
            ],
        )


# --------------------------------------------------------------------------- writing


async def _ids(session: AsyncSession, model: type[Any], slugs: Sequence[str]) -> dict[str, int]:
    rows = await session.exec(select(model.slug, model.id).where(col(model.slug).in_(slugs)))
    return dict(rows.all())


async def _write_links(session: AsyncSession, row_id: int, item: content.ContentModel) -> None:
    if isinstance(item, content.Muscle):
        actions = await _ids(session, JointAction, [f.joint_action for f in item.functions])
        await replace_links(
            session,
            MuscleFunction,
            "muscle_id",
            {row_id: muscle_function_links(row_id, item, actions)},
        )
    elif isinstance(item, content.Exercise):
        muscles = await _ids(session, Muscle, [m.muscle for m in item.muscles])
        actions = await _ids(session, JointAction, item.joint_actions)
        await replace_links(
            session,
            ExerciseMuscle,
            "exercise_id",
            {row_id: exercise_muscle_links(row_id, item, muscles)},
        )
        await replace_links(
            session,
            ExerciseJointAction,
            "exercise_id",
            {row_id: exercise_joint_action_links(row_id, item, actions)},
        )


async def _content_changed(session: AsyncSession, kind: Kind, row_id: int | None) -> None:
    """What every knowledge-base write owes: fresh search vectors and a new content revision
    (which moves the public ETags and rebuilds the search and catalog caches)."""
    if row_id is not None:
        await refresh_search_vectors(session, kind.table, [row_id])
    await bump_revision(session)


async def create_item(session: AsyncSession, kind: Kind, item: content.ContentModel) -> Any:
    """Store a new item with origin ``api``; 409 if its slug is taken, 422 if it refers to
    anything unknown or breaks a content rule."""
    await lock_content(session)
    slug = str(getattr(item, "slug", ""))
    if await _find(session, kind, slug) is not None:
        raise ConflictError(
            f"A {kind.noun} with the slug '{slug}' already exists; replace it with PUT instead."
        )
    await _check_references(session, kind, item)
    row = kind.model(origin=Origin.API.value, **kind.values(item))
    session.add(row)
    await session.flush()
    await _write_links(session, row.id, item)
    await _content_changed(session, kind, row.id)
    await session.refresh(row)
    return row


async def replace_item(
    session: AsyncSession, kind: Kind, slug: str, item: content.ContentModel, if_match: str | None
) -> Any:
    """Replace an item whole, if ``if_match`` names its current version (428/412 otherwise)."""
    await lock_content(session)
    row = await get_administrable(session, kind, slug)
    check_if_match(if_match, item_etag(kind, row))
    if getattr(item, "slug", None) != slug:
        raise InvalidInputError(
            "The slug identifies the item and cannot change; create a new item instead.",
            errors=[
                InvalidParam(
                    name="slug",
                    location="body",
                    reason=f"must be '{slug}', the slug in the path",
                    type="slug_mismatch",
                )
            ],
        )
    await _check_references(session, kind, item)
    table = kind.model.__table__
    # clock_timestamp(), not now(): two writes in one transaction still get distinct versions.
    result = await run_statement(
        session,
        sa.update(table)
        .where(table.c.id == row.id, table.c.updated_at == row.updated_at)
        .values(**kind.values(item), updated_at=sa.func.clock_timestamp()),
    )
    if result.rowcount != 1:
        raise PreconditionFailedError(
            f"The {kind.noun} changed while this request was being processed; reload, then retry."
        )
    await _write_links(session, row.id, item)
    await _content_changed(session, kind, row.id)
    await session.refresh(row)
    return row


async def referrers(session: AsyncSession, kind: Kind, row: Any) -> list[dict[str, str]]:
    """Every stored item that refers to ``row``: kind, slug and the field naming it."""
    found: dict[tuple[str, str, str], None] = {}
    for table, path in _DOCUMENT_REFERENCES[kind.table]:
        probe = json.dumps(_probe(path, row.slug))
        # Table names come from the fixed mapping above, never from input.
        result = await run_sql(
            session,
            f"SELECT slug FROM {table} "  # noqa: S608
            "WHERE document @> CAST(CAST(:probe AS text) AS jsonb) ORDER BY slug",
            probe=probe,
        )
        field = path.split("[", 1)[0].split(".", 1)[0].removesuffix("!")
        for (slug,) in result:
            if not (table == kind.table and slug == row.slug):
                found[(table, slug, field)] = None
    for table, field, sql in _LINK_REFERENCES.get(kind.table, ()):
        for (slug,) in await run_sql(session, sql, id=row.id):
            if not (table == kind.table and slug == row.slug):
                found[(table, slug, field)] = None
    return [{"kind": table, "slug": slug, "field": field} for table, slug, field in sorted(found)]


async def delete_item(session: AsyncSession, kind: Kind, slug: str, if_match: str | None) -> None:
    """Delete an item nothing refers to, if ``if_match`` names its current version.

    Refusing (409, naming every referrer) rather than cascading: a cascade would rewrite other
    items' documents, curated ones included, which the next load would then put back,
    leaving the database and the files disagreeing in between.
    """
    await lock_content(session)
    row = await get_administrable(session, kind, slug)
    check_if_match(if_match, item_etag(kind, row))
    found = await referrers(session, kind, row)
    if found:
        named = ", ".join(f"{r['kind']} '{r['slug']}' ({r['field']})" for r in found[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise ConflictError(
            f"The {kind.noun} '{slug}' is still referred to by {named}{more}; "
            "change or delete those first.",
            extensions={"referenced_by": found},
        )
    table = kind.model.__table__
    result = await run_statement(
        session,
        sa.delete(table).where(table.c.id == row.id, table.c.updated_at == row.updated_at),
    )
    if result.rowcount != 1:
        raise PreconditionFailedError(
            f"The {kind.noun} changed while this request was being processed; reload, then retry."
        )
    session.expunge(row)
    await _content_changed(session, kind, None)
