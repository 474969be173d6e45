"""Anatomy queries. Exercises that train a muscle live in ``app.exercises.service``."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import JointAction, Muscle, MuscleFunction
from app.anatomy.schemas import (
    ExercisesByRole,
    JointActionDetail,
    JointActionSummary,
    MuscleDetail,
    MuscleFunctionPublic,
    MusclePerformer,
    MuscleSummary,
)
from app.errors import NotFoundError
from app.knowledge.schemas import ExerciseRef, JointActionRef, MuscleRef
from app.knowledge.sources import source_refs

# Prime movers first when listing who performs an action.
ROLE_ORDER = {"prime_mover": 0, "synergist": 1, "stabilizer": 2}


def _muscle_summary(row: Muscle) -> MuscleSummary:
    return MuscleSummary(
        slug=row.slug,
        name=row.name,
        aliases=row.aliases,
        group=row.muscle_group,
        region=row.region,
        parent=row.parent_slug,
        view=row.view,
    )


def _joint_action_summary(row: JointAction) -> JointActionSummary:
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


async def get_muscle_row(session: AsyncSession, slug: str) -> Muscle:
    row = (await session.exec(select(Muscle).where(col(Muscle.slug) == slug))).first()
    if row is None:
        raise NotFoundError(f"No muscle has the slug '{slug}'.")
    return row


async def get_muscle_detail(
    session: AsyncSession, row: Muscle, exercises: ExercisesByRole
) -> MuscleDetail:
    """A muscle with its functions, parts and sources; ``exercises`` come from the caller."""
    function_rows = (
        await session.exec(
            select(JointAction, MuscleFunction.role)
            .join(MuscleFunction, col(MuscleFunction.joint_action_id) == col(JointAction.id))
            .where(col(MuscleFunction.muscle_id) == row.id)
        )
    ).all()
    notes = {f.get("joint_action"): f.get("note") for f in row.document.get("functions", [])}
    functions = sorted(
        (
            MuscleFunctionPublic(
                joint_action=JointActionRef(slug=action.slug, name=action.name, joint=action.joint),
                role=role,
                note=notes.get(action.slug),
            )
            for action, role in function_rows
        ),
        key=lambda f: (ROLE_ORDER.get(f.role, 9), f.joint_action.joint, f.joint_action.name),
    )
    parts = (
        await session.exec(
            select(Muscle).where(col(Muscle.parent_slug) == row.slug).order_by(col(Muscle.name))
        )
    ).all()
    return MuscleDetail(
        **_muscle_summary(row).model_dump(),
        description=row.document.get("description"),
        functions=functions,
        parts=[MuscleRef(slug=p.slug, name=p.name) for p in parts],
        exercises=exercises,
        sources=await source_refs(session, row.document.get("sources", [])),
    )


async def list_joint_actions(
    session: AsyncSession, *, joint: str | None
) -> list[JointActionSummary]:
    statement = select(JointAction).order_by(col(JointAction.joint), col(JointAction.name))
    if joint is not None:
        statement = statement.where(col(JointAction.joint) == joint)
    return [_joint_action_summary(row) for row in (await session.exec(statement)).all()]


async def get_joint_action_row(session: AsyncSession, slug: str) -> JointAction:
    row = (await session.exec(select(JointAction).where(col(JointAction.slug) == slug))).first()
    if row is None:
        raise NotFoundError(f"No joint action has the slug '{slug}'.")
    return row


async def get_joint_action_detail(
    session: AsyncSession, row: JointAction, exercises: list[ExerciseRef]
) -> JointActionDetail:
    """A joint action with the muscles that perform it; ``exercises`` come from the caller."""
    performers = (
        await session.exec(
            select(Muscle.slug, Muscle.name, MuscleFunction.role)
            .join(MuscleFunction, col(MuscleFunction.muscle_id) == col(Muscle.id))
            .where(col(MuscleFunction.joint_action_id) == row.id)
        )
    ).all()
    muscles = sorted(
        (MusclePerformer(muscle=MuscleRef(slug=s, name=n), role=r) for s, n, r in performers),
        key=lambda p: (ROLE_ORDER.get(p.role, 9), p.muscle.name),
    )
    return JointActionDetail(
        **_joint_action_summary(row).model_dump(),
        muscles=muscles,
        exercises=exercises,
        sources=await source_refs(session, row.document.get("sources", [])),
    )
