"""Exercise queries: filtered, paginated lists with facets; details; alternatives; lookups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import JointAction, Muscle
from app.db.arrays import contained_by, contains_all, overlaps
from app.db.session import run_sql, run_statement
from app.errors import InvalidInputError, InvalidParam, NotFoundError
from app.exercises.models import Equipment, Exercise, ExerciseJointAction, ExerciseMuscle
from app.exercises.schemas import (
    Alternative,
    AlternativeList,
    EquipmentPublic,
    ExerciseDetail,
    ExercisePage,
    ExerciseSort,
    ExerciseSummary,
    Facets,
    MuscleRole,
    MuscleUse,
    document_list,
)
from app.knowledge.models import Source
from app.knowledge.schemas import ExerciseRef, JointActionRef, SourceRef, TipRef
from app.pagination import decode_cursor, encode_cursor, invalid_cursor
from app.tips.models import Tip

# Sorts top picks first (by rank), then everything else.
UNRANKED = 99


@dataclass(frozen=True)
class ExerciseFilters:
    """Every list filter; values within one filter are alternatives, filters combine with AND."""

    muscles: tuple[str, ...] = ()
    role: MuscleRole | None = None
    joint_actions: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    # None: not filtering. An empty tuple: the lifter owns nothing (bodyweight only).
    available_equipment: tuple[str, ...] | None = None
    levels: tuple[str, ...] = ()
    mechanics: tuple[str, ...] = ()
    forces: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    top_pick: bool | None = None
    origin: str | None = None
    # Exercise id -> relevance, when a text query narrowed the list.
    relevance: dict[int, float] | None = field(default=None, compare=False)


def doable_with(owned: Sequence[str]) -> sa.ColumnElement[bool]:
    """The exercise's equipment, or one of its alternative sets, is all owned."""
    alternative = sa.text(
        "EXISTS (SELECT 1 FROM "
        "jsonb_array_elements(exercise.document->'equipment_alternatives') AS alt "
        "WHERE ARRAY(SELECT jsonb_array_elements_text(alt)) <@ :owned_alt)"
    ).bindparams(sa.bindparam("owned_alt", list(owned), type_=ARRAY(sa.Text())))
    return sa.or_(contained_by(Exercise.equipment, owned), alternative)


def _muscle_condition(slugs: Sequence[str], role: MuscleRole | None) -> sa.ColumnElement[bool]:
    # A parent muscle ("trapezius") also matches exercises listing one of its parts.
    trained = (
        select(ExerciseMuscle.exercise_id)
        .join(Muscle, col(Muscle.id) == col(ExerciseMuscle.muscle_id))
        .where(sa.or_(col(Muscle.slug).in_(slugs), col(Muscle.parent_slug).in_(slugs)))
    )
    if role is not None:
        trained = trained.where(col(ExerciseMuscle.role) == role.value)
    return col(Exercise.id).in_(trained)


def _conditions(filters: ExerciseFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.muscles:
        conditions.append(_muscle_condition(filters.muscles, filters.role))
    elif filters.role is not None:
        conditions.append(
            col(Exercise.id).in_(
                select(ExerciseMuscle.exercise_id).where(
                    col(ExerciseMuscle.role) == filters.role.value
                )
            )
        )
    if filters.joint_actions:
        conditions.append(
            col(Exercise.id).in_(
                select(ExerciseJointAction.exercise_id)
                .join(JointAction, col(JointAction.id) == col(ExerciseJointAction.joint_action_id))
                .where(col(JointAction.slug).in_(filters.joint_actions))
            )
        )
    if filters.equipment:
        conditions.append(overlaps(Exercise.equipment, filters.equipment))
    if filters.available_equipment is not None:
        conditions.append(doable_with(filters.available_equipment))
    for column, values in (
        (Exercise.level, filters.levels),
        (Exercise.mechanic, filters.mechanics),
        (Exercise.force, filters.forces),
        (Exercise.pattern, filters.patterns),
        (Exercise.category, filters.categories),
    ):
        if values:
            conditions.append(col(column).in_(values))
    if filters.top_pick is not None:
        ranked = col(Exercise.top_pick_rank).is_not(None)
        conditions.append(ranked if filters.top_pick else sa.not_(ranked))
    if filters.origin is not None:
        conditions.append(col(Exercise.origin) == filters.origin)
    if filters.relevance is not None:
        conditions.append(col(Exercise.id).in_(list(filters.relevance)))
    return conditions


def _sort_key(row: Exercise, sort: ExerciseSort, relevance: dict[int, float] | None) -> list[Any]:
    if sort is ExerciseSort.TOP_PICK:
        return [row.top_pick_rank or UNRANKED, row.name, row.slug]
    if relevance is not None and sort is ExerciseSort.RELEVANCE:
        return [-relevance.get(row.id or 0, 0.0), row.slug]
    return [row.name, row.slug]


async def list_exercises(
    session: AsyncSession,
    filters: ExerciseFilters,
    *,
    sort: ExerciseSort,
    limit: int,
    cursor: str | None,
    scope: str,
) -> ExercisePage:
    """One page of exercises matching ``filters`` in a stable order, with total and facets.

    ``scope`` identifies the listing (filters and sort), so a cursor cannot be replayed
    against a different listing and silently skip or repeat items.
    """
    conditions = _conditions(filters)
    after = decode_cursor(cursor, scope) if cursor else None
    if sort is ExerciseSort.RELEVANCE and filters.relevance is not None:
        rows = await _relevance_page(session, conditions, filters.relevance, limit, after)
    else:
        rows = await _keyset_page(session, conditions, sort, limit, after)
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor(scope, _sort_key(rows[-1], sort, filters.relevance)) if has_more else None
    )
    total = (
        await session.exec(select(sa.func.count()).select_from(Exercise).where(*conditions))
    ).one()
    return ExercisePage(
        items=await summaries(session, rows),
        limit=limit,
        next_cursor=next_cursor,
        total=total,
        facets=await _facets(session, conditions),
    )


async def _keyset_page(
    session: AsyncSession,
    conditions: list[sa.ColumnElement[bool]],
    sort: ExerciseSort,
    limit: int,
    after: list[Any] | None,
) -> list[Exercise]:
    statement = select(Exercise).where(*conditions)
    rank = sa.func.coalesce(col(Exercise.top_pick_rank), UNRANKED)
    if sort is ExerciseSort.TOP_PICK:
        key: sa.Tuple = sa.tuple_(rank, col(Exercise.name), col(Exercise.slug))
        statement = statement.order_by(rank, col(Exercise.name), col(Exercise.slug))
        if after is not None:
            statement = statement.where(key > sa.tuple_(*_typed(after, (int, str, str))))
    elif sort is ExerciseSort.NAME_DESC:
        key = sa.tuple_(col(Exercise.name), col(Exercise.slug))
        statement = statement.order_by(col(Exercise.name).desc(), col(Exercise.slug).desc())
        if after is not None:
            statement = statement.where(key < sa.tuple_(*_typed(after, (str, str))))
    else:
        key = sa.tuple_(col(Exercise.name), col(Exercise.slug))
        statement = statement.order_by(col(Exercise.name), col(Exercise.slug))
        if after is not None:
            statement = statement.where(key > sa.tuple_(*_typed(after, (str, str))))
    return list((await session.exec(statement.limit(limit + 1))).all())


async def _relevance_page(
    session: AsyncSession,
    conditions: list[sa.ColumnElement[bool]],
    relevance: dict[int, float],
    limit: int,
    after: list[Any] | None,
) -> list[Exercise]:
    # Relevance comes from the search service, not SQL: order the (few hundred at most)
    # matching rows here, by score then slug, which is just as stable as a keyset.
    rows = list((await session.exec(select(Exercise).where(*conditions))).all())
    rows.sort(key=lambda row: (-relevance.get(row.id or 0, 0.0), row.slug))
    if after is not None:
        bound = tuple(_typed(after, (float, str)))
        rows = [row for row in rows if (-relevance.get(row.id or 0, 0.0), row.slug) > bound]
    return rows[: limit + 1]


def _typed(key: list[Any], types: tuple[type, ...]) -> list[Any]:
    """A cursor's key, checked against the sort's column types (a tampered cursor is a 422)."""
    if len(key) != len(types) or not all(
        isinstance(value, kind) or (kind is float and isinstance(value, int))
        for value, kind in zip(key, types, strict=False)
    ):
        raise invalid_cursor("malformed cursor")
    return key


async def _facets(session: AsyncSession, conditions: list[sa.ColumnElement[bool]]) -> Facets:
    counts: dict[str, dict[str, int]] = {
        name: {} for name in ("level", "mechanic", "force", "pattern", "category", "equipment")
    }
    columns = {
        "level": col(Exercise.level),
        "mechanic": col(Exercise.mechanic),
        "force": col(Exercise.force),
        "pattern": col(Exercise.pattern),
        "category": col(Exercise.category),
    }
    statement = (
        sa.select(*columns.values(), sa.func.count())
        .where(*conditions)
        .group_by(sa.func.grouping_sets(*(sa.tuple_(c) for c in columns.values())))
    )
    for row in await run_statement(session, statement):
        *values, count = row
        for name, value in zip(columns, values, strict=True):
            if value is not None:
                counts[name][value] = count
                break
    equipment = sa.func.unnest(col(Exercise.equipment)).label("item")
    inner = select(equipment).where(*conditions).subquery()
    for item, count in (
        await session.exec(select(inner.c.item, sa.func.count()).group_by(inner.c.item))
    ).all():
        counts["equipment"][item] = count
    return Facets(**{name: dict(sorted(values.items())) for name, values in counts.items()})


async def summaries(session: AsyncSession, rows: Sequence[Exercise]) -> list[ExerciseSummary]:
    """List views of ``rows``, with their primary and secondary muscles."""
    ids = [row.id for row in rows if row.id is not None]
    muscles: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"primary": [], "secondary": []})
    if ids:
        statement = (
            select(ExerciseMuscle.exercise_id, ExerciseMuscle.role, Muscle.slug)
            .join(Muscle, col(Muscle.id) == col(ExerciseMuscle.muscle_id))
            .where(col(ExerciseMuscle.exercise_id).in_(ids))
            .order_by(col(Muscle.slug))
        )
        for exercise_id, role, slug in (await session.exec(statement)).all():
            muscles[exercise_id][role].append(slug)
    return [
        ExerciseSummary(
            slug=row.slug,
            name=row.name,
            aliases=row.aliases,
            origin=row.origin,
            category=row.category,
            mechanic=row.mechanic,
            force=row.force,
            pattern=row.pattern,
            side=row.side,
            level=row.level,
            loading=row.loading,
            equipment=row.equipment,
            top_pick_rank=row.top_pick_rank,
            primary_muscles=muscles[row.id or 0]["primary"],
            secondary_muscles=muscles[row.id or 0]["secondary"],
        )
        for row in rows
    ]


async def get_exercise_row(session: AsyncSession, slug: str) -> Exercise:
    row = (await session.exec(select(Exercise).where(col(Exercise.slug) == slug))).first()
    if row is None:
        raise NotFoundError(f"No exercise has the slug '{slug}'.")
    return row


async def _refs(session: AsyncSession, slugs: Sequence[str]) -> list[ExerciseRef]:
    if not slugs:
        return []
    rows = (
        await session.exec(
            select(Exercise.slug, Exercise.name).where(col(Exercise.slug).in_(slugs))
        )
    ).all()
    names = dict(rows)
    return [ExerciseRef(slug=slug, name=names[slug]) for slug in slugs if slug in names]


async def get_exercise_detail(session: AsyncSession, slug: str) -> ExerciseDetail:
    """Everything about one exercise, with its muscles, joint actions, links, tips and sources."""
    row = await get_exercise_row(session, slug)
    document = row.document
    [summary] = await summaries(session, [row])
    muscle_rows = (
        await session.exec(
            select(Muscle.slug, Muscle.name, Muscle.muscle_group, ExerciseMuscle.role)
            .join(ExerciseMuscle, col(ExerciseMuscle.muscle_id) == col(Muscle.id))
            .where(col(ExerciseMuscle.exercise_id) == row.id)
            .order_by(col(ExerciseMuscle.role), col(Muscle.name))
        )
    ).all()
    action_rows = (
        await session.exec(
            select(JointAction.slug, JointAction.name, JointAction.joint)
            .join(
                ExerciseJointAction, col(ExerciseJointAction.joint_action_id) == col(JointAction.id)
            )
            .where(col(ExerciseJointAction.exercise_id) == row.id)
            .order_by(col(JointAction.joint), col(JointAction.name))
        )
    ).all()
    listed_tips = document_list(document, "tips")
    tip_rows = (
        await session.exec(
            select(Tip)
            .where(
                sa.or_(
                    col(Tip.slug).in_(listed_tips),
                    contains_all(Tip.exercises, [row.slug]),
                )
            )
            .order_by(col(Tip.title))
        )
    ).all()
    source_slugs = document_list(document, "sources")
    source_rows = (
        await session.exec(select(Source).where(col(Source.slug).in_(source_slugs)))
    ).all()
    return ExerciseDetail(
        **summary.model_dump(),
        summary=document.get("summary"),
        equipment_alternatives=document_list(document, "equipment_alternatives"),
        muscles=[
            MuscleUse(slug=s, name=n, group=g, role=MuscleRole(r)) for s, n, g, r in muscle_rows
        ],
        joint_actions=[JointActionRef(slug=s, name=n, joint=j) for s, n, j in action_rows],
        instructions=document_list(document, "instructions"),
        form_cues=document_list(document, "form_cues"),
        common_mistakes=document_list(document, "common_mistakes"),
        safety_notes=document_list(document, "safety_notes"),
        axial_heavy=row.axial_heavy,
        bodyweight_factor=document.get("bodyweight_factor"),
        rep_range=document.get("rep_range"),
        ladder=document_list(document, "ladder"),
        regressions=await _refs(session, document_list(document, "regressions")),
        progressions=await _refs(session, document_list(document, "progressions")),
        variations=await _refs(session, document_list(document, "variations")),
        tips=[
            TipRef(slug=t.slug, title=t.title, summary=t.document.get("summary")) for t in tip_rows
        ],
        sources=[
            SourceRef(
                slug=s.slug,
                title=s.title,
                author=s.document.get("author"),
                url=s.document.get("url"),
            )
            for s in sorted(source_rows, key=lambda s: source_slugs.index(s.slug))
        ],
    )


# How much each kind of overlap counts toward an alternative's similarity.
PRIMARY_WEIGHT = 3.0
SECONDARY_WEIGHT = 1.0
ACTION_WEIGHT = 2.0
PATTERN_BONUS = 0.15


async def _profiles(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, tuple[dict[str, str], set[str]]]:
    """Per exercise: muscle slug -> role, and joint action slugs."""
    profiles: dict[int, tuple[dict[str, str], set[str]]] = {i: ({}, set()) for i in ids}
    muscle_rows = await run_sql(
        session,
        "SELECT em.exercise_id, m.slug, em.role FROM exercise_muscle em "
        "JOIN muscle m ON m.id = em.muscle_id WHERE em.exercise_id = ANY(:ids)",
        ids=list(ids),
    )
    for exercise_id, slug, role in muscle_rows:
        profiles[exercise_id][0][slug] = role
    action_rows = await run_sql(
        session,
        "SELECT eja.exercise_id, ja.slug FROM exercise_joint_action eja "
        "JOIN joint_action ja ON ja.id = eja.joint_action_id WHERE eja.exercise_id = ANY(:ids)",
        ids=list(ids),
    )
    for exercise_id, slug in action_rows:
        profiles[exercise_id][1].add(slug)
    return profiles


def _similarity(
    target: tuple[dict[str, str], set[str]], other: tuple[dict[str, str], set[str]]
) -> tuple[float, list[str], list[str]]:
    """Weighted overlap of muscles (by role) and joint actions, in [0, 1]."""
    target_muscles, target_actions = target
    other_muscles, other_actions = other

    def weight(muscles: dict[str, str], slug: str) -> float:
        return PRIMARY_WEIGHT if muscles.get(slug) == "primary" else SECONDARY_WEIGHT

    shared_muscles = sorted(set(target_muscles) & set(other_muscles))
    shared_actions = sorted(target_actions & other_actions)
    overlap = sum(min(weight(target_muscles, m), weight(other_muscles, m)) for m in shared_muscles)
    overlap += ACTION_WEIGHT * len(shared_actions)
    whole = sum(weight(target_muscles, m) for m in target_muscles) + ACTION_WEIGHT * len(
        target_actions
    )
    return (overlap / whole if whole else 0.0), shared_muscles, shared_actions


async def exercise_alternatives(
    session: AsyncSession, slug: str, *, available_equipment: tuple[str, ...] | None, limit: int
) -> AlternativeList:
    """Exercises that train what ``slug`` trains, most similar first, each with its reasons."""
    target = await get_exercise_row(session, slug)
    assert target.id is not None  # noqa: S101 - a stored row has an id
    candidates_query = (
        select(Exercise)
        .where(col(Exercise.id) != target.id)
        # A substitute must work one of the target's prime movers; sharing only a helper
        # muscle or action (the biceps and elbow flexion of a pull-up) does not make a curl one.
        .where(
            col(Exercise.id).in_(
                select(ExerciseMuscle.exercise_id).where(
                    col(ExerciseMuscle.muscle_id).in_(
                        select(ExerciseMuscle.muscle_id).where(
                            col(ExerciseMuscle.exercise_id) == target.id,
                            col(ExerciseMuscle.role) == MuscleRole.PRIMARY.value,
                        )
                    )
                )
            )
        )
    )
    if available_equipment is not None:
        candidates_query = candidates_query.where(doable_with(available_equipment))
    candidates = list((await session.exec(candidates_query)).all())
    profiles = await _profiles(
        session, [target.id, *(c.id for c in candidates if c.id is not None)]
    )
    names = await _muscle_names(session)
    scored: list[tuple[float, Exercise, list[str], list[str], list[str]]] = []
    for candidate in candidates:
        assert candidate.id is not None  # noqa: S101
        score, shared_muscles, shared_actions = _similarity(
            profiles[target.id], profiles[candidate.id]
        )
        reasons: list[str] = []
        primary = [
            m
            for m in shared_muscles
            if profiles[target.id][0].get(m) == "primary"
            and profiles[candidate.id][0].get(m) == "primary"
        ]
        if primary:
            reasons.append(
                "Same prime movers: " + ", ".join(names.get(m, m) for m in primary) + "."
            )
        if target.pattern and candidate.pattern == target.pattern:
            score = min(1.0, score + PATTERN_BONUS)
            reasons.append(f"Same movement pattern ({target.pattern.replace('_', ' ')}).")
        if shared_actions:
            reasons.append(
                f"Trains {len(shared_actions)} of the same joint actions: "
                + ", ".join(a.replace("-", " ") for a in shared_actions)
                + "."
            )
        others = [m for m in shared_muscles if m not in primary]
        if others:
            reasons.append("Also works " + ", ".join(names.get(m, m) for m in others) + ".")
        if available_equipment is not None:
            reasons.append("Doable with the equipment you have.")
        if score > 0 and reasons:
            scored.append((round(score, 3), candidate, reasons, shared_muscles, shared_actions))
    scored.sort(
        key=lambda item: (
            -item[0],
            item[1].top_pick_rank or UNRANKED,
            item[1].origin != "curated",
            item[1].slug,
        )
    )
    top = scored[:limit]
    summary_list = await summaries(session, [item[1] for item in top])
    return AlternativeList(
        exercise=ExerciseRef(slug=target.slug, name=target.name),
        items=[
            Alternative(
                exercise=summary,
                score=score,
                reasons=reasons,
                shared_muscles=muscles,
                shared_joint_actions=actions,
            )
            for summary, (score, _, reasons, muscles, actions) in zip(
                summary_list, top, strict=True
            )
        ],
    )


async def _muscle_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.exec(select(Muscle.slug, Muscle.name))).all())


async def exercises_training_muscle(
    session: AsyncSession, muscle_id: int
) -> dict[MuscleRole, list[ExerciseRef]]:
    """Exercises that train a muscle (or one of its parts), split by role."""
    statement = (
        select(Exercise.slug, Exercise.name, ExerciseMuscle.role)
        .join(ExerciseMuscle, col(ExerciseMuscle.exercise_id) == col(Exercise.id))
        .where(
            sa.or_(
                col(ExerciseMuscle.muscle_id) == muscle_id,
                col(ExerciseMuscle.muscle_id).in_(
                    select(Muscle.id).where(
                        col(Muscle.parent_slug)
                        == select(Muscle.slug).where(col(Muscle.id) == muscle_id).scalar_subquery()
                    )
                ),
            )
        )
        .order_by(col(Exercise.top_pick_rank).nulls_last(), col(Exercise.name))
    )
    found: dict[MuscleRole, dict[str, ExerciseRef]] = {
        MuscleRole.PRIMARY: {},
        MuscleRole.SECONDARY: {},
    }
    for slug, name, role in (await session.exec(statement)).all():
        found[MuscleRole(role)].setdefault(slug, ExerciseRef(slug=slug, name=name))
    # An exercise listed as primary for one part and secondary for another counts as primary.
    for slug in found[MuscleRole.PRIMARY]:
        found[MuscleRole.SECONDARY].pop(slug, None)
    return {role: list(refs.values()) for role, refs in found.items()}


async def exercises_training_joint_action(
    session: AsyncSession, joint_action_id: int
) -> list[ExerciseRef]:
    statement = (
        select(Exercise.slug, Exercise.name)
        .join(ExerciseJointAction, col(ExerciseJointAction.exercise_id) == col(Exercise.id))
        .where(col(ExerciseJointAction.joint_action_id) == joint_action_id)
        .order_by(col(Exercise.top_pick_rank).nulls_last(), col(Exercise.name))
    )
    return [ExerciseRef(slug=s, name=n) for s, n in (await session.exec(statement)).all()]


async def list_equipment(session: AsyncSession) -> list[EquipmentPublic]:
    rows = (await session.exec(select(Equipment).order_by(col(Equipment.name)))).all()
    return [
        EquipmentPublic(
            slug=r.slug,
            name=r.name,
            aliases=r.document.get("aliases", []),
            description=r.document.get("description"),
        )
        for r in rows
    ]


async def require_known(
    session: AsyncSession, model: type[Any], values: Sequence[str], parameter: str
) -> None:
    """422 naming ``parameter`` and the allowed values when a slug filter names nothing."""
    if not values:
        return
    known = set((await session.exec(select(model.slug))).all())
    unknown = [v for v in values if v not in known]
    if unknown:
        allowed = ", ".join(sorted(known))
        raise InvalidInputError(
            f"Unknown {parameter} value(s): {', '.join(unknown)}.",
            errors=[
                InvalidParam(
                    name=parameter,
                    location="query",
                    reason=f"unknown value '{value}' (allowed: {allowed})",
                    type="enum",
                )
                for value in unknown
            ],
        )


async def exercises_with_muscles(
    session: AsyncSession,
) -> list[tuple[Exercise, list[tuple[str, str]]]]:
    """Every exercise with its (muscle slug, role) pairs, for building catalog facts."""
    rows = list((await session.exec(select(Exercise))).all())
    muscles: dict[int, list[tuple[str, str]]] = defaultdict(list)
    statement = (
        select(ExerciseMuscle.exercise_id, Muscle.slug, ExerciseMuscle.role)
        .join(Muscle, col(Muscle.id) == col(ExerciseMuscle.muscle_id))
        .order_by(col(Muscle.slug))
    )
    for exercise_id, slug, role in (await session.exec(statement)).all():
        muscles[exercise_id].append((slug, role))
    return [(row, muscles[row.id or 0]) for row in rows]
