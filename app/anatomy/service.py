"""Anatomy queries. Exercises that train a muscle live in ``app.exercises.service``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import JointAction, Muscle
from app.anatomy.schemas import (
    ExercisesByRole,
    JointActionDetail,
    JointActionSummary,
    MuscleDetail,
    MuscleFunctionPublic,
    MusclePerformer,
    MuscleSummary,
)
from app.db.session import run_sql
from app.errors import NotFoundError
from app.knowledge.schemas import ExerciseRef, JointActionRef, MuscleRef
from app.knowledge.service import document_slugs, source_refs_from, sources_by_slug

E = TypeVar("E")
T = TypeVar("T")

# Prime movers first when listing who performs an action.
ROLE_ORDER = {"prime_mover": 0, "synergist": 1, "stabilizer": 2}


def _muscle_summary(row: Any) -> MuscleSummary:
    return MuscleSummary(
        slug=row.slug,
        name=row.name,
        aliases=row.aliases,
        group=row.muscle_group,
        region=row.region,
        parent=row.parent_slug,
        view=row.view,
    )


def _joint_action_summary(row: Any) -> JointActionSummary:
    return JointActionSummary(
        slug=row.slug,
        name=row.name,
        joint=row.joint,
        plane=row.document.get("plane"),
        aliases=row.aliases,
        description=row.document.get("description"),
    )


async def list_muscles(
    session: AsyncSession, *, group: str | None, view: str | None
) -> list[MuscleSummary]:
    statement = select(Muscle).order_by(col(Muscle.muscle_group), col(Muscle.name))
    if group is not None:
        statement = statement.where(col(Muscle.muscle_group) == group)
    if view is not None:
        statement = statement.where(col(Muscle.view) == view)
    return [_muscle_summary(row) for row in (await session.exec(statement)).all()]


@dataclass(frozen=True)
class Found(Generic[E, T]):
    """An item read with everything it embeds but its exercises, which the caller reads
    (anatomy does not depend on exercises) and hands to ``detail``."""

    id: int
    detail: Callable[[E], T]


# Fixed fragments only; the slug is a parameter.
_MUSCLE_SQL = (
    "SELECT m.id, m.slug, m.name, m.aliases, m.muscle_group, m.region, m.parent_slug, m.view, "  # noqa: S608
    "m.document, "
    "(SELECT json_agg(json_build_array(ja.slug, ja.name, ja.joint, mf.role)) "
    "FROM muscle_function mf JOIN joint_action ja ON ja.id = mf.joint_action_id "
    "WHERE mf.muscle_id = m.id) AS function_rows, "
    "(SELECT json_agg(json_build_array(p.slug, p.name) ORDER BY p.name) FROM muscle p "
    "WHERE p.parent_slug = m.slug) AS part_rows, "
    + str(sources_by_slug(document_slugs("m.document", "sources")))
    + " AS source_rows FROM muscle m WHERE m.slug = :slug"
)


async def get_muscle(session: AsyncSession, slug: str) -> Found[ExercisesByRole, MuscleDetail]:
    """A muscle with its functions, parts and sources, read in one statement."""
    row = (await run_sql(session, _MUSCLE_SQL, slug=slug)).one_or_none()
    if row is None:
        raise NotFoundError(f"No muscle has the slug '{slug}'.")
    notes = {f.get("joint_action"): f.get("note") for f in row.document.get("functions", [])}
    functions = sorted(
        (
            MuscleFunctionPublic(
                joint_action=JointActionRef(slug=action, name=name, joint=joint),
                role=role,
                note=notes.get(action),
            )
            for action, name, joint, role in row.function_rows or []
        ),
        key=lambda f: (ROLE_ORDER.get(f.role, 9), f.joint_action.joint, f.joint_action.name),
    )
    summary = _muscle_summary(row)
    parts = [MuscleRef(slug=s, name=n) for s, n in row.part_rows or []]
    sources = source_refs_from(row.source_rows, row.document.get("sources", []))

    def detail(exercises: ExercisesByRole) -> MuscleDetail:
        return MuscleDetail(
            **summary.model_dump(),
            description=row.document.get("description"),
            functions=functions,
            parts=parts,
            exercises=exercises,
            sources=sources,
        )

    return Found(row.id, detail)


async def list_joint_actions(
    session: AsyncSession, *, joint: str | None
) -> list[JointActionSummary]:
    statement = select(JointAction).order_by(col(JointAction.joint), col(JointAction.name))
    if joint is not None:
        statement = statement.where(col(JointAction.joint) == joint)
    return [_joint_action_summary(row) for row in (await session.exec(statement)).all()]


_JOINT_ACTION_SQL = (
    "SELECT ja.id, ja.slug, ja.name, ja.joint, ja.aliases, ja.document, "  # noqa: S608
    "(SELECT json_agg(json_build_array(m.slug, m.name, mf.role)) FROM muscle_function mf "
    "JOIN muscle m ON m.id = mf.muscle_id WHERE mf.joint_action_id = ja.id) AS performer_rows, "
    + str(sources_by_slug(document_slugs("ja.document", "sources")))
    + " AS source_rows FROM joint_action ja WHERE ja.slug = :slug"
)


async def get_joint_action(
    session: AsyncSession, slug: str
) -> Found[list[ExerciseRef], JointActionDetail]:
    """A joint action with the muscles that perform it and its sources, in one statement."""
    row = (await run_sql(session, _JOINT_ACTION_SQL, slug=slug)).one_or_none()
    if row is None:
        raise NotFoundError(f"No joint action has the slug '{slug}'.")
    muscles = sorted(
        (
            MusclePerformer(muscle=MuscleRef(slug=s, name=n), role=r)
            for s, n, r in row.performer_rows or []
        ),
        key=lambda p: (ROLE_ORDER.get(p.role, 9), p.muscle.name),
    )
    summary = _joint_action_summary(row)
    sources = source_refs_from(row.source_rows, row.document.get("sources", []))

    def detail(exercises: list[ExerciseRef]) -> JointActionDetail:
        return JointActionDetail(
            **summary.model_dump(), muscles=muscles, exercises=exercises, sources=sources
        )

    return Found(row.id, detail)
