"""Exercise queries: filtered, paginated lists with facets; details; alternatives; lookups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy import service as anatomy_service
from app.anatomy.models import JointAction, Muscle
from app.anatomy.schemas import ExercisesByRole, JointActionDetail, MuscleDetail
from app.db.arrays import contained_by, overlaps
from app.db.session import run_sql, run_statement
from app.errors import InvalidInputError, InvalidParam, NotFoundError
from app.exercises.facet_index import FacetIndex, bits, build_facet_index
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
from app.knowledge.schemas import ExerciseRef, JointActionRef, TipRef
from app.knowledge.service import (
    RevisionCache,
    document_slugs,
    named,
    names_by_slug,
    source_refs_from,
    sources_by_slug,
)
from app.pagination import decode_cursor, encode_cursor, invalid_cursor

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


# Correlated to the ``exercise`` row of the enclosing query: its muscles of one role, by slug.
_MUSCLES_OF_ROLE = (
    "ARRAY(SELECT m.slug FROM exercise_muscle em JOIN muscle m ON m.id = em.muscle_id "
    "WHERE em.exercise_id = exercise.id AND em.role = '{role}' ORDER BY m.slug)"
)


def _muscles_of_role(role: MuscleRole) -> sa.Label[Any]:
    return sa.literal_column(_MUSCLES_OF_ROLE.format(role=role.value), ARRAY(sa.Text())).label(
        f"{role.value}_muscles"
    )


# What a list item shows, read as plain rows (no ORM identity map) with its muscles embedded.
_SUMMARY_COLUMNS = (
    col(Exercise.id),
    col(Exercise.slug),
    col(Exercise.name),
    col(Exercise.aliases),
    col(Exercise.origin),
    col(Exercise.category),
    col(Exercise.mechanic),
    col(Exercise.force),
    col(Exercise.pattern),
    col(Exercise.side),
    col(Exercise.level),
    col(Exercise.loading),
    col(Exercise.equipment),
    col(Exercise.top_pick_rank),
)


def _summary(row: Any) -> ExerciseSummary:
    """A list item from a row that carries its ``primary_muscles`` and ``secondary_muscles``."""
    return ExerciseSummary.model_validate(row)


def _sort_key(row: Any, sort: ExerciseSort, relevance: dict[int, float] | None) -> list[Any]:
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

    One statement reads the page, its muscles, the total and the facets. The unfiltered
    listing's total and facets are the same for every page and every sort, so they come from
    memory (once per content revision) instead of counting the whole catalog each time.
    """
    conditions = _conditions(filters)
    after = decode_cursor(cursor, scope) if cursor else None
    if sort is ExerciseSort.RELEVANCE and filters.relevance is not None:
        page = _relevance_page(conditions, filters.relevance, limit, after)
    else:
        page = _keyset_page(conditions, sort, limit, after)
    remembered = await _catalog_facts.get(session) if not conditions else None
    if remembered is None:
        remembered = _counted_in_memory(await _facet_index.get(session), filters)
    if remembered is None:
        summary = sa.select(*_facts_columns(conditions)).subquery("summary")
    else:
        summary = sa.select(sa.null().label("total")).subquery("summary")
    statement = (
        sa.select(summary, page)
        .select_from(summary.outerjoin(page, sa.true()))
        .order_by(page.c.position)
    )
    result = list(await run_statement(session, statement))
    total, facets = remembered or _facts(result[0])
    rows = [row for row in result if row.position is not None]
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor(scope, _sort_key(rows[-1], sort, filters.relevance)) if has_more else None
    )
    return ExercisePage(
        items=[_summary(row) for row in rows],
        limit=limit,
        next_cursor=next_cursor,
        total=total,
        facets=facets,
    )


def _filter_mask(index: FacetIndex, filters: ExerciseFilters) -> int:
    """The rows ``_conditions(filters)`` selects, as a bitset."""
    mask = index.all_rows
    if filters.muscles:
        mask &= index.union(
            index.muscles,
            (
                (slug, role)
                for slug, role in index.muscles
                if slug in filters.muscles and (filters.role is None or role == filters.role.value)
            ),
        )
    elif filters.role is not None:
        mask &= index.roles.get(filters.role.value, 0)
    if filters.joint_actions:
        mask &= index.union(index.joint_actions, filters.joint_actions)
    if filters.equipment:
        mask &= index.union(index.listing, filters.equipment)
    if filters.available_equipment is not None:
        mask &= index.doable_with(filters.available_equipment)
    for column, values in (
        ("level", filters.levels),
        ("mechanic", filters.mechanics),
        ("force", filters.forces),
        ("pattern", filters.patterns),
        ("category", filters.categories),
    ):
        if values:
            mask &= index.union(index.by_value, ((column, v) for v in values))
    if filters.top_pick is not None:
        mask &= index.ranked if filters.top_pick else index.all_rows & ~index.ranked
    if filters.origin is not None:
        mask &= index.by_value.get(("origin", filters.origin), 0)
    if filters.relevance is not None:
        position_of = index.position_of
        mask &= bits((position_of[i] for i in filters.relevance if i in position_of), index.size)
    return mask


def _counted_in_memory(index: FacetIndex, filters: ExerciseFilters) -> tuple[int, Facets] | None:
    """Exact total and facets of a filtered list from the per-revision bitsets."""
    if not index.exact_equipment:
        return None
    total, counts = index.facets(_filter_mask(index, filters))
    return total, Facets(**counts)


def _page(
    conditions: list[sa.ColumnElement[bool]], *order: sa.ColumnElement[Any]
) -> sa.Select[*tuple[Any, ...]]:
    """The page's rows, numbered in the listing's order (the outer join keeps it)."""
    return sa.select(
        *_SUMMARY_COLUMNS,
        _muscles_of_role(MuscleRole.PRIMARY),
        _muscles_of_role(MuscleRole.SECONDARY),
        sa.func.row_number().over(order_by=order).label("position"),
    ).where(*conditions)


def _keyset_page(
    conditions: list[sa.ColumnElement[bool]],
    sort: ExerciseSort,
    limit: int,
    after: list[Any] | None,
) -> sa.Subquery:
    rank = sa.func.coalesce(col(Exercise.top_pick_rank), UNRANKED)
    name, slug = col(Exercise.name), col(Exercise.slug)
    where = list(conditions)
    order: tuple[Any, ...]
    if sort is ExerciseSort.TOP_PICK:
        order = (rank, name, slug)
        if after is not None:
            where.append(sa.tuple_(*order) > sa.tuple_(*_typed(after, (int, str, str))))
    elif sort is ExerciseSort.NAME_DESC:
        order = (name.desc(), slug.desc())
        if after is not None:
            where.append(sa.tuple_(name, slug) < sa.tuple_(*_typed(after, (str, str))))
    else:
        order = (name, slug)
        if after is not None:
            where.append(sa.tuple_(name, slug) > sa.tuple_(*_typed(after, (str, str))))
    return _page(where, *order).order_by(*order).limit(limit + 1).subquery("page")


def _relevance_page(
    conditions: list[sa.ColumnElement[bool]],
    relevance: dict[int, float],
    limit: int,
    after: list[Any] | None,
) -> sa.Subquery:
    # Relevance comes from the search service, not SQL: the scores travel with the statement
    # and order it by score then slug, which is just as stable as a keyset. The slug compares
    # byte-wise (COLLATE "C"), as Python compares the cursor's key.
    scored = sa.select(
        sa.func.unnest(sa.literal(list(relevance), ARRAY(sa.Integer()))).label("id"),
        sa.func.unnest(sa.literal(list(relevance.values()), ARRAY(sa.Float()))).label("score"),
    ).subquery("scored")
    key = (-scored.c.score, col(Exercise.slug).collate("C"))
    where = [*conditions, scored.c.id == col(Exercise.id)]
    if after is not None:
        bound = _typed(after, (float, str))
        where.append(sa.tuple_(*key) > sa.tuple_(float(bound[0]), bound[1]))
    statement = _page(where, *key).select_from(scored)
    return statement.order_by(*key).limit(limit + 1).subquery("page")


def _typed(key: list[Any], types: tuple[type, ...]) -> list[Any]:
    """A cursor's key, checked against the sort's column types (a tampered cursor is a 422)."""
    if len(key) != len(types) or not all(
        isinstance(value, kind) or (kind is float and isinstance(value, int))
        for value, kind in zip(key, types, strict=False)
    ):
        raise invalid_cursor("malformed cursor")
    return key


_FACET_COLUMNS = {
    "level": col(Exercise.level),
    "mechanic": col(Exercise.mechanic),
    "force": col(Exercise.force),
    "pattern": col(Exercise.pattern),
    "category": col(Exercise.category),
}


def _facts_columns(conditions: list[sa.ColumnElement[bool]]) -> list[sa.Label[Any]]:
    """Scalar subqueries: how many exercises match, and the facet counts as JSON rows.

    The matching rows are found once (a CTE used three times is materialised) and counted
    three ways, rather than running the filters once per count.
    """
    matching: sa.FromClause = Exercise.__table__  # type: ignore[attr-defined]
    if conditions:
        matching = (
            sa.select(*_FACET_COLUMNS.values(), col(Exercise.equipment))
            .where(*conditions)
            .cte("matching")
        )
    facet_columns = [matching.c[name] for name in _FACET_COLUMNS]
    total = sa.select(sa.func.count()).select_from(matching)
    grouped = (
        sa.select(*facet_columns, sa.func.count().label("n"))
        .group_by(sa.func.grouping_sets(*(sa.tuple_(c) for c in facet_columns)))
        .subquery("grouped")
    )
    facet_rows = sa.select(sa.func.json_agg(sa.func.json_build_array(*grouped.c)))
    items = sa.select(sa.func.unnest(matching.c.equipment).label("item")).subquery("items")
    counted = sa.select(items.c.item, sa.func.count().label("n")).group_by(items.c.item).subquery()
    equipment_rows = sa.select(sa.func.json_agg(sa.func.json_build_array(*counted.c)))
    return [
        total.scalar_subquery().label("total"),
        facet_rows.scalar_subquery().label("facet_rows"),
        equipment_rows.scalar_subquery().label("equipment_rows"),
    ]


def _facts(row: Any) -> tuple[int, Facets]:
    counts: dict[str, dict[str, int]] = {name: {} for name in (*_FACET_COLUMNS, "equipment")}
    for *values, count in row.facet_rows or []:
        for name, value in zip(_FACET_COLUMNS, values, strict=True):
            if value is not None:
                counts[name][value] = count
                break
    for item, count in row.equipment_rows or []:
        counts["equipment"][item] = count
    facets = Facets(**{name: dict(sorted(values.items())) for name, values in counts.items()})
    return int(row.total), facets


async def _read_catalog_facts(session: AsyncSession) -> tuple[int, Facets]:
    return _facts((await run_statement(session, sa.select(*_facts_columns([])))).one())


_catalog_facts = RevisionCache(_read_catalog_facts)
_facet_index = RevisionCache(build_facet_index)


# Correlated to the ``exercise`` row: what the detail embeds, each as one JSON value.
# Fixed fragments only; the slug is a parameter.
_DETAIL_SQL = (
    "SELECT exercise.id, exercise.slug, exercise.name, exercise.aliases, exercise.origin, "  # noqa: S608
    "exercise.category, exercise.mechanic, exercise.force, exercise.pattern, exercise.side, "
    "exercise.level, exercise.loading, exercise.equipment, exercise.top_pick_rank, "
    "exercise.axial_heavy, exercise.document, "
    + _MUSCLES_OF_ROLE.format(role=MuscleRole.PRIMARY.value)
    + " AS primary_muscles, "
    + _MUSCLES_OF_ROLE.format(role=MuscleRole.SECONDARY.value)
    + " AS secondary_muscles, "
    "(SELECT json_agg(json_build_array(m.slug, m.name, m.muscle_group, em.role) "
    "ORDER BY em.role, m.name) FROM exercise_muscle em JOIN muscle m ON m.id = em.muscle_id "
    "WHERE em.exercise_id = exercise.id) AS muscle_rows, "
    "(SELECT json_agg(json_build_array(ja.slug, ja.name, ja.joint) ORDER BY ja.joint, ja.name) "
    "FROM exercise_joint_action eja JOIN joint_action ja ON ja.id = eja.joint_action_id "
    "WHERE eja.exercise_id = exercise.id) AS action_rows, "
    "(SELECT json_agg(json_build_array(t.slug, t.title, t.document->'summary') ORDER BY t.title) "
    "FROM tip t WHERE t.slug = ANY("
    + document_slugs("exercise.document", "tips")
    + ") OR t.exercises @> ARRAY[exercise.slug]::text[]) AS tip_rows, "
    + str(sources_by_slug(document_slugs("exercise.document", "sources")))
    + " AS source_rows, "
    + str(
        names_by_slug(
            "exercise",
            " || ".join(
                document_slugs("exercise.document", key)
                for key in ("regressions", "progressions", "variations")
            ),
        )
    )
    + " AS ref_names FROM exercise"
)


async def get_exercise_detail(session: AsyncSession, slug: str) -> ExerciseDetail:
    """Everything about one exercise, with its muscles, joint actions, links, tips and sources,
    read in one statement."""
    row = (
        await run_sql(session, _DETAIL_SQL + " WHERE exercise.slug = :slug", slug=slug)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"No exercise has the slug '{slug}'.")
    return _detail(row)


async def stream_exercise_details(
    session: AsyncSession, *, batch_size: int
) -> AsyncIterator[list[ExerciseDetail]]:
    """Every exercise's detail, by slug, ``batch_size`` at a time: the bulk snapshot
    (``app.exports``) holds one batch in memory, never the catalog.

    The same statement and the same row-to-model code as ``get_exercise_detail``, so an item
    of the snapshot is what the detail endpoint answers for it. Each batch is a statement of
    its own that starts after the previous batch's last slug and walks the slug index: a single
    server-side cursor was planned for the whole result (sorted, every row's embedded lists
    computed before the first came back), which at 100k exercises outlasted the statement
    timeout. In the snapshot's ``REPEATABLE READ`` transaction the batches see one state."""
    after = ""
    while True:
        rows = list(
            await run_sql(
                session,
                _DETAIL_SQL + " WHERE exercise.slug > :after ORDER BY exercise.slug LIMIT :size",
                after=after,
                size=batch_size,
            )
        )
        if not rows:
            return
        yield [_detail(row) for row in rows]
        after = rows[-1].slug


def _detail(row: Any) -> ExerciseDetail:
    """The detail of an exercise from a row of ``_DETAIL_SQL``."""
    document = row.document
    summary = _summary(row)

    def refs(key: str) -> list[ExerciseRef]:
        return [
            ExerciseRef(slug=s, name=n)
            for s, n in named(row.ref_names, document_list(document, key))
        ]

    return ExerciseDetail(
        **summary.model_dump(),
        summary=document.get("summary"),
        equipment_alternatives=document_list(document, "equipment_alternatives"),
        muscles=[
            MuscleUse(slug=s, name=n, group=g, role=MuscleRole(r))
            for s, n, g, r in row.muscle_rows or []
        ],
        joint_actions=[
            JointActionRef(slug=s, name=n, joint=j) for s, n, j in row.action_rows or []
        ],
        instructions=document_list(document, "instructions"),
        form_cues=document_list(document, "form_cues"),
        common_mistakes=document_list(document, "common_mistakes"),
        safety_notes=document_list(document, "safety_notes"),
        axial_heavy=row.axial_heavy,
        bodyweight_factor=document.get("bodyweight_factor"),
        rep_range=document.get("rep_range"),
        ladder=document_list(document, "ladder"),
        regressions=refs("regressions"),
        progressions=refs("progressions"),
        variations=refs("variations"),
        tips=[TipRef(slug=s, title=t, summary=m) for s, t, m in row.tip_rows or []],
        # Each source once, where the document first names it.
        sources=source_refs_from(
            row.source_rows, list(dict.fromkeys(document_list(document, "sources")))
        ),
    )


# How much each kind of overlap counts toward an alternative's similarity.
PRIMARY_WEIGHT = 3.0
SECONDARY_WEIGHT = 1.0
ACTION_WEIGHT = 2.0
PATTERN_BONUS = 0.15


Profile = tuple[dict[str, str], set[str]]

# Correlated to the ``exercise`` row: its (muscle slug, role) pairs by slug, and its actions.
_PROFILE_COLUMNS: tuple[sa.Label[Any], ...] = (
    sa.literal_column(
        "(SELECT json_agg(json_build_array(m.slug, em.role) ORDER BY m.slug) "
        "FROM exercise_muscle em JOIN muscle m ON m.id = em.muscle_id "
        "WHERE em.exercise_id = exercise.id)"
    ).label("muscle_roles"),
    sa.literal_column(
        "ARRAY(SELECT ja.slug FROM exercise_joint_action eja "
        "JOIN joint_action ja ON ja.id = eja.joint_action_id WHERE eja.exercise_id = exercise.id)",
        ARRAY(sa.Text()),
    ).label("actions"),
)


def _profile(muscle_roles: list[list[str]] | None, actions: list[str]) -> Profile:
    """Per exercise: muscle slug -> role, and joint action slugs."""
    return dict(muscle_roles or []), set(actions)


def _of_role(muscle_roles: list[list[str]] | None, role: MuscleRole) -> list[str]:
    return [slug for slug, r in muscle_roles or [] if r == role.value]


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


def _alternatives_statement(
    slug: str, available_equipment: tuple[str, ...] | None
) -> sa.Select[*tuple[Any, ...]]:
    """The target with its profile, every candidate with its own, and the muscles' names."""
    target = (
        sa.select(col(Exercise.id), col(Exercise.slug), col(Exercise.name), col(Exercise.pattern))
        .add_columns(*_PROFILE_COLUMNS)
        .where(col(Exercise.slug) == slug)
        .subquery("target")
    )
    candidates = (
        sa.select(*_SUMMARY_COLUMNS, *_PROFILE_COLUMNS)
        .where(col(Exercise.id) != target.c.id)
        # A substitute must work one of the target's prime movers; sharing only a helper
        # muscle or action (the biceps and elbow flexion of a pull-up) does not make a curl one.
        # Spelled out: "target" is the lateral join's left side, which SQLAlchemy's automatic
        # correlation does not see.
        .where(
            sa.text(
                "exercise.id IN (SELECT linked.exercise_id FROM exercise_muscle linked "
                "WHERE linked.muscle_id IN (SELECT prime.muscle_id FROM exercise_muscle prime "
                "WHERE prime.exercise_id = target.id AND prime.role = 'primary'))"
            )
        )
    )
    if available_equipment is not None:
        candidates = candidates.where(doable_with(available_equipment))
    candidate = candidates.lateral("candidate")
    muscle_names = sa.select(sa.func.json_object_agg(col(Muscle.slug), col(Muscle.name)))
    return sa.select(
        target.c.slug.label("target_slug"),
        target.c.name.label("target_name"),
        target.c.pattern.label("target_pattern"),
        target.c.muscle_roles.label("target_muscle_roles"),
        target.c.actions.label("target_actions"),
        muscle_names.scalar_subquery().label("muscle_names"),
        candidate,
    ).select_from(target.outerjoin(candidate, sa.true()))


async def exercise_alternatives(
    session: AsyncSession, slug: str, *, available_equipment: tuple[str, ...] | None, limit: int
) -> AlternativeList:
    """Exercises that train what ``slug`` trains, most similar first, each with its reasons."""
    rows = list(await run_statement(session, _alternatives_statement(slug, available_equipment)))
    if not rows:
        raise NotFoundError(f"No exercise has the slug '{slug}'.")
    first = rows[0]
    target = _profile(first.target_muscle_roles, first.target_actions)
    names: dict[str, str] = first.muscle_names or {}
    scored: list[tuple[float, Any, list[str], list[str], list[str]]] = []
    for candidate in rows:
        if candidate.id is None:  # the target has no candidate at all
            continue
        profile = _profile(candidate.muscle_roles, candidate.actions)
        score, shared_muscles, shared_actions = _similarity(target, profile)
        reasons: list[str] = []
        primary = [
            m
            for m in shared_muscles
            if target[0].get(m) == "primary" and profile[0].get(m) == "primary"
        ]
        if primary:
            reasons.append(
                "Same prime movers: " + ", ".join(names.get(m, m) for m in primary) + "."
            )
        if first.target_pattern and candidate.pattern == first.target_pattern:
            score = min(1.0, score + PATTERN_BONUS)
            reasons.append(f"Same movement pattern ({first.target_pattern.replace('_', ' ')}).")
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
    return AlternativeList(
        exercise=ExerciseRef(slug=first.target_slug, name=first.target_name),
        items=[
            Alternative(
                exercise=_summary(
                    {
                        **row._mapping,
                        "primary_muscles": _of_role(row.muscle_roles, MuscleRole.PRIMARY),
                        "secondary_muscles": _of_role(row.muscle_roles, MuscleRole.SECONDARY),
                    }
                ),
                score=score,
                reasons=reasons,
                shared_muscles=muscles,
                shared_joint_actions=actions,
            )
            for score, row, reasons, muscles, actions in scored[:limit]
        ],
    )


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
        # The slug breaks ties between exercises of one name, so the order (and the bulk
        # snapshot's bytes, whose digest is computed once per revision) never varies.
        .order_by(col(Exercise.top_pick_rank).nulls_last(), col(Exercise.name), col(Exercise.slug))
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
        # The slug breaks ties between exercises of one name, so the order (and the bulk
        # snapshot's bytes, whose digest is computed once per revision) never varies.
        .order_by(col(Exercise.top_pick_rank).nulls_last(), col(Exercise.name), col(Exercise.slug))
    )
    return [ExerciseRef(slug=s, name=n) for s, n in (await session.exec(statement)).all()]


async def muscle_detail(session: AsyncSession, slug: str) -> MuscleDetail:
    """What ``GET /v1/muscles/{slug}`` answers (the bulk snapshot too): anatomy reads the
    muscle, this module the exercises that train it."""
    muscle = await anatomy_service.get_muscle(session, slug)
    by_role = await exercises_training_muscle(session, muscle.id)
    return muscle.detail(
        ExercisesByRole(
            primary=by_role[MuscleRole.PRIMARY], secondary=by_role[MuscleRole.SECONDARY]
        )
    )


async def joint_action_detail(session: AsyncSession, slug: str) -> JointActionDetail:
    """What ``GET /v1/joint-actions/{slug}`` answers (the bulk snapshot too)."""
    action = await anatomy_service.get_joint_action(session, slug)
    return action.detail(await exercises_training_joint_action(session, action.id))


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


async def _read_known_slugs(session: AsyncSession) -> dict[str, frozenset[str]]:
    result = await run_sql(
        session,
        "SELECT 'muscle', array_agg(slug) FROM muscle "
        "UNION ALL SELECT 'joint_action', array_agg(slug) FROM joint_action "
        "UNION ALL SELECT 'equipment', array_agg(slug) FROM equipment",
    )
    return {table: frozenset(slugs or ()) for table, slugs in result}


# The slugs the list filters accept: a few hundred strings, checked from memory per revision.
_known_slugs = RevisionCache(_read_known_slugs)


async def require_known(
    session: AsyncSession, model: type[Any], values: Sequence[str], parameter: str
) -> None:
    """422 naming ``parameter`` and the allowed values when a slug filter names nothing."""
    if not values:
        return
    known = (await _known_slugs.get(session))[model.__tablename__]
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
