"""Load the validated content files into PostgreSQL: upsert by slug, idempotently.

Curated rows belong to the files: a row whose file item changed is updated, one whose item
disappeared is deleted, and an unchanged item is not written at all, so loading twice changes
nothing (not even ``updated_at``) and the content revision moves only when content moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import delete, insert, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import JointAction, Muscle, MuscleFunction
from app.config import Settings
from app.content.schema import ContentBundle
from app.content.schema import Exercise as ExerciseItem
from app.content.schema import JointAction as JointActionItem
from app.content.schema import Muscle as MuscleItem
from app.content.schema import Tip as TipItem
from app.db.engine import build_engine, build_sessionmaker
from app.exercises.models import Equipment, Exercise, ExerciseJointAction, ExerciseMuscle
from app.knowledge.models import Origin, Source
from app.knowledge.service import bump_revision, lock_content, refresh_search_vectors
from app.tips.models import AnatomyNote, Benefit, Routine, Strategy, Tip

RowT = TypeVar("RowT", bound=SQLModel)
ItemT = TypeVar("ItemT")


@dataclass
class KindSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass
class LoadSummary:
    kinds: dict[str, KindSummary] = field(default_factory=dict)
    revision: int | None = None

    @property
    def changed(self) -> bool:
        return any(kind.changed for kind in self.kinds.values())


@dataclass(frozen=True)
class _Synced:
    """Rows by slug after a sync, and the slugs whose rows were written."""

    rows: dict[str, Any]
    written: set[str]


async def _sync(
    session: AsyncSession,
    model: type[Any],
    items: Sequence[ItemT],
    values: Callable[[ItemT], dict[str, Any]],
    summary: KindSummary,
) -> _Synced:
    """Make the curated rows of ``model`` equal to ``items``, writing only what differs."""
    wanted = {row["slug"]: row for row in map(values, items)}
    # Curated rows, plus any row (imported, API-made) whose slug a curated item now claims:
    # the files are the source of truth for curated slugs.
    result = await session.exec(
        select(model).where(or_(col(model.origin) == Origin.CURATED, col(model.slug).in_(wanted)))
    )
    existing = {row.slug: row for row in result.all()}
    written: set[str] = set()
    for slug, row_values in wanted.items():
        row = existing.get(slug)
        if row is None:
            row = model(origin=Origin.CURATED, **row_values)
            session.add(row)
            existing[slug] = row
            summary.created.append(slug)
            written.add(slug)
        elif row.origin != Origin.CURATED or any(
            getattr(row, key) != value for key, value in row_values.items()
        ):
            for key, value in row_values.items():
                setattr(row, key, value)
            row.origin = Origin.CURATED
            summary.updated.append(slug)
            written.add(slug)
        else:
            summary.unchanged += 1
    for slug in [
        s for s, row in existing.items() if s not in wanted and row.origin == Origin.CURATED
    ]:
        await session.delete(existing.pop(slug))
        summary.deleted.append(slug)
    await session.flush()
    return _Synced(rows=existing, written=written)


async def replace_links(
    session: AsyncSession,
    link_model: type[SQLModel],
    owner_column: str,
    owners: Mapping[int, Sequence[dict[str, Any]]],
) -> None:
    """Rewrite the link rows of the given owners (only those whose item changed)."""
    if not owners:
        return
    table = link_model.__table__  # type: ignore[attr-defined]
    await session.exec(delete(table).where(table.c[owner_column].in_(list(owners))))
    rows = [link for links in owners.values() for link in links]
    if rows:
        await session.exec(insert(table).values(rows))


def _document(item: Any) -> dict[str, Any]:
    document: dict[str, Any] = item.model_dump(mode="json")
    return document


async def load_bundle(session: AsyncSession, bundle: ContentBundle) -> LoadSummary:
    """Upsert ``bundle`` into the database in the caller's transaction."""
    await lock_content(session)
    summary = LoadSummary()

    def kind(name: str) -> KindSummary:
        return summary.kinds.setdefault(name, KindSummary())

    await _sync(
        session,
        Source,
        bundle.sources,
        lambda s: {"slug": s.slug, "title": s.title, "document": _document(s)},
        kind("sources"),
    )
    actions = await _sync(
        session, JointAction, bundle.joint_actions, joint_action_values, kind("joint_actions")
    )
    muscles = await _sync(session, Muscle, bundle.muscles, muscle_values, kind("muscles"))
    action_ids = _ids(actions)
    await replace_links(
        session,
        MuscleFunction,
        "muscle_id",
        {
            muscles.rows[m.slug].id: muscle_function_links(muscles.rows[m.slug].id, m, action_ids)
            for m in bundle.muscles
            # Joint-action ids survive updates, so only a changed muscle needs new links.
            if m.slug in muscles.written
        },
    )
    await _sync(
        session,
        Equipment,
        bundle.equipment,
        lambda e: {"slug": e.slug, "name": e.name, "document": _document(e)},
        kind("equipment"),
    )
    exercises = await _sync(session, Exercise, bundle.exercises, exercise_values, kind("exercises"))
    changed_exercises = [e for e in bundle.exercises if e.slug in exercises.written]
    muscle_ids = _ids(muscles)
    await replace_links(
        session,
        ExerciseMuscle,
        "exercise_id",
        {
            exercises.rows[e.slug].id: exercise_muscle_links(
                exercises.rows[e.slug].id, e, muscle_ids
            )
            for e in changed_exercises
        },
    )
    await replace_links(
        session,
        ExerciseJointAction,
        "exercise_id",
        {
            exercises.rows[e.slug].id: exercise_joint_action_links(
                exercises.rows[e.slug].id, e, action_ids
            )
            for e in changed_exercises
        },
    )
    tips = await _sync(session, Tip, bundle.tips, tip_values, kind("tips"))
    await _sync(
        session,
        Benefit,
        bundle.benefits,
        lambda b: {"slug": b.slug, "title": b.title, "document": _document(b)},
        kind("benefits"),
    )
    await _sync(
        session,
        AnatomyNote,
        bundle.anatomy_notes,
        lambda n: {"slug": n.slug, "title": n.title, "document": _document(n)},
        kind("anatomy_notes"),
    )
    await _sync(
        session,
        Strategy,
        bundle.strategies,
        lambda s: {
            "slug": s.slug,
            "level": s.level.value,
            "title": s.title,
            "document": _document(s),
        },
        kind("strategies"),
    )
    await _sync(
        session,
        Routine,
        bundle.routines,
        lambda r: {
            "slug": r.slug,
            "name": r.name,
            "level": r.level.value,
            "document": _document(r),
        },
        kind("routines"),
    )

    for table, synced in (
        ("joint_action", actions),
        ("muscle", muscles),
        ("exercise", exercises),
        ("tip", tips),
    ):
        await refresh_search_vectors(
            session, table, [synced.rows[slug].id for slug in synced.written]
        )
    if summary.changed:
        summary.revision = await bump_revision(session, bundle.fingerprint)
    return summary


# --------------------------------------------------------------------------- item -> rows
# How one validated item becomes its row and link rows. The loader and the administrators' API
# (``app.kb_admin``) both go through these, so an item is stored the same way whoever writes it.


def _ids(synced: _Synced) -> dict[str, int]:
    return {slug: row.id for slug, row in synced.rows.items()}


def joint_action_values(a: JointActionItem) -> dict[str, Any]:
    return {
        "slug": a.slug,
        "name": a.name,
        "joint": a.joint.value,
        "aliases": list(a.aliases),
        "document": _document(a),
    }


def tip_values(t: TipItem) -> dict[str, Any]:
    return {
        "slug": t.slug,
        "title": t.title,
        "category": t.category.value,
        "levels": [level.value for level in t.levels],
        "exercises": list(t.exercises),
        "muscles": list(t.muscles),
        "document": _document(t),
    }


def muscle_function_links(
    muscle_id: int, m: MuscleItem, action_ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "muscle_id": muscle_id,
            "joint_action_id": action_ids[f.joint_action],
            "role": f.role.value,
        }
        for f in m.functions
    ]


def exercise_muscle_links(
    exercise_id: int, e: ExerciseItem, muscle_ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [
        {"exercise_id": exercise_id, "muscle_id": muscle_ids[m.muscle], "role": m.role.value}
        for m in e.muscles
    ]


def exercise_joint_action_links(
    exercise_id: int, e: ExerciseItem, action_ids: Mapping[str, int]
) -> list[dict[str, Any]]:
    return [{"exercise_id": exercise_id, "joint_action_id": action_ids[a]} for a in e.joint_actions]


def muscle_values(m: MuscleItem) -> dict[str, Any]:
    return {
        "slug": m.slug,
        "name": m.name,
        "muscle_group": m.group.value,
        "region": m.region.value if m.region else None,
        "parent_slug": m.parent,
        "view": m.view.value,
        "aliases": list(m.aliases),
        "document": _document(m),
    }


def exercise_values(e: ExerciseItem) -> dict[str, Any]:
    return {
        "slug": e.slug,
        "name": e.name,
        "aliases": list(e.aliases),
        "category": e.category.value,
        "mechanic": e.mechanic.value,
        "force": e.force.value,
        "pattern": e.pattern.value,
        "side": e.side.value,
        "level": e.level.value,
        "loading": e.loading.value,
        "axial_heavy": e.axial_heavy,
        "top_pick_rank": e.top_pick_rank,
        "equipment": list(e.equipment),
        "document": _document(e),
    }


async def load_bundle_into(url: str, settings: Settings, bundle: ContentBundle) -> LoadSummary:
    """Load ``bundle`` into the database at ``url`` in one committed transaction."""
    engine = build_engine(url, settings)
    try:
        async with build_sessionmaker(engine)() as session:
            summary = await load_bundle(session, bundle)
            await session.commit()
    finally:
        await engine.dispose()
    return summary
