"""Adapt an HTTP request to the pure recommender and back.

The engine is pure; everything that needs the outside world happens here: catalog facts are
read from the knowledge base by slug, `today` defaults to the server's date, and overrides are
applied to the default configuration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import InvalidInputError, InvalidParam
from app.exercises.models import Exercise
from app.exercises.service import exercises_with_muscles
from app.knowledge.service import RevisionCache
from app.metrics import RECOMMENDER_DURATION
from app.recommendations.schemas import ConfigOverrides, NextSessionRequest, PlateIn, SetIn
from app.recommender import (
    DEFAULT_CONFIG,
    Equipment,
    ExerciseFacts,
    Feedback,
    LadderStep,
    Loading,
    Pattern,
    Plan,
    PlanEntry,
    PlateStock,
    Profile,
    RecommendationRequest,
    RecommendationResult,
    RecommenderConfig,
    Session,
    SetLog,
    Side,
    recommend,
)

# Muscles whose primary work puts an exercise on the back or the front of the balance check,
# for imported exercises that do not say (curated ones carry an explicit side).
BACK_PRIMARIES = frozenset(
    {
        "latissimus-dorsi", "trapezius", "trapezius-upper", "trapezius-middle", "trapezius-lower",
        "rhomboids", "rhomboid-major", "rhomboid-minor", "teres-major", "teres-minor",
        "infraspinatus", "posterior-deltoid", "erector-spinae",
    }
)  # fmt: skip
FRONT_PRIMARIES = frozenset({"pectoralis-major", "pectoralis-minor", "anterior-deltoid"})
BODYWEIGHT_FAMILY = frozenset({Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT, Loading.ASSISTED})
# How an exercise is loaded follows from its equipment when the dataset does not say.
LOADING_BY_EQUIPMENT = {
    "barbell": Loading.BARBELL,
    "ez-bar": Loading.BARBELL,
    "dumbbell": Loading.DUMBBELL,
    "kettlebell": Loading.DUMBBELL,
    "cable": Loading.CABLE,
}


def _side(row: Exercise, primaries: list[str]) -> Side:
    if row.side:
        return Side(row.side)
    if BACK_PRIMARIES & set(primaries):
        return Side.BACK
    if FRONT_PRIMARIES & set(primaries):
        return Side.FRONT
    return Side.OTHER


def _loading(row: Exercise) -> Loading:
    if row.loading:
        return Loading(row.loading)
    if not row.equipment:
        return Loading.BODYWEIGHT
    for item in row.equipment:
        if item in LOADING_BY_EQUIPMENT:
            return LOADING_BY_EQUIPMENT[item]
    return Loading.MACHINE


def _ladder(document: dict[str, Any]) -> tuple[LadderStep, ...]:
    """Rung ladders only: a ladder whose steps are other exercises (the pull-up's assisted and
    weighted variants) is progressed by the engine's own pull-up rules instead."""
    steps = document.get("ladder") or []
    if not steps or any(step.get("exercise") for step in steps):
        return ()
    return tuple(
        LadderStep(
            key=f"L{step['step']}",
            label=step["name"],
            loaded=step.get("load_increment_kg") is not None,
        )
        for step in sorted(steps, key=lambda s: s["step"])
    )


def _catalog_order(row: Exercise, muscles: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Muscles in the order the knowledge base lists them, prime mover first (the database
    returns them by slug, which put every press's anterior deltoid before its chest)."""
    listed = [m.get("muscle") for m in row.document.get("muscles") or [] if isinstance(m, dict)]
    rank = {slug: i for i, slug in enumerate(listed)}
    return sorted(muscles, key=lambda pair: rank.get(pair[0], len(rank)))


def _loading_family(row: Exercise) -> str:
    loading = _loading(row)
    return "bodyweight" if loading in BODYWEIGHT_FAMILY else loading.value


def variant_parents(rows: Iterable[Exercise]) -> dict[str, str]:
    """The top-five lift each variant counts as (R1, R2, R4), from the knowledge base's links.

    A variant is the same lift done differently, never a different exercise of the pattern:
    * a rung of a top pick's ladder performed as another exercise (the pull-up ladder's
      assisted and weighted pull-ups);
    * a regression of the top pick, of the same movement pattern and loading, that lists the top
      pick as its progression: a partial of the lift (rack pull -> deadlift, negative pull-up);
    * a bodyweight lift of the same pattern that the top pick and it list as each other's
      variations: the same lift with another grip (chin-up -> pull-up). Loaded "variations"
      (Romanian deadlift, Pendlay row) train differently and stay exercises of their own.
    """
    every = list(rows)
    by_slug = {r.slug: r for r in every}
    parents: dict[str, str] = {}
    for top in sorted(
        (r for r in every if r.top_pick_rank is not None), key=lambda r: r.top_pick_rank or 0
    ):
        doc = top.document
        for step in doc.get("ladder") or []:
            slug = step.get("exercise")
            if slug and slug != top.slug and slug in by_slug:
                parents.setdefault(slug, top.slug)
        variations = set(doc.get("variations") or [])
        regressions = set(doc.get("regressions") or [])
        for slug in sorted(variations | regressions):
            other = by_slug.get(slug)
            if other is None or other.top_pick_rank is not None or other.pattern != top.pattern:
                continue
            family = _loading_family(other)
            if family != _loading_family(top):
                continue
            partial = slug in regressions and top.slug in (other.document.get("progressions") or [])
            grip = (
                family == "bodyweight"
                and slug in variations
                and top.slug in (other.document.get("variations") or [])
            )
            if partial or grip:
                parents.setdefault(slug, top.slug)
    return parents


def exercise_facts(
    row: Exercise, muscles: list[tuple[str, str]], *, variant_of: str | None = None
) -> ExerciseFacts:
    """The engine's view of a knowledge-base exercise; `variant_of` from `variant_parents`."""
    muscles = _catalog_order(row, muscles)
    primaries = [m for m, role in muscles if role == "primary"]
    rep_range = row.document.get("rep_range")
    pattern = Pattern(row.pattern) if row.pattern else Pattern.ISOLATION
    return ExerciseFacts(
        slug=row.slug,
        pattern=pattern,
        side=_side(row, primaries),
        primary_muscles=tuple(primaries),
        secondary_muscles=tuple(m for m, role in muscles if role == "secondary"),
        loading=_loading(row),
        axial_heavy=row.axial_heavy,
        ladder=_ladder(row.document),
        rep_range=(rep_range["low"], rep_range["high"]) if rep_range else None,
        top_rank=row.top_pick_rank,
        variant_of=variant_of,
        bodyweight_factor=row.document.get("bodyweight_factor") or 1.0,
        form_cues=tuple(str(c) for c in row.document.get("form_cues") or ()),
    )


def catalog_facts(
    rows: Iterable[tuple[Exercise, list[tuple[str, str]]]],
) -> dict[str, ExerciseFacts]:
    """The engine's catalog: every exercise's facts by slug, variants linked to their lift."""
    pairs = list(rows)
    parents = variant_parents(row for row, _ in pairs)
    return {
        row.slug: exercise_facts(row, muscles, variant_of=parents.get(row.slug))
        for row, muscles in pairs
    }


def _top_picks(catalog: dict[str, ExerciseFacts]) -> frozenset[str]:
    """What the arbiter may add (ADD_SETS b, the balance fix): the top picks and every back
    pull, so a stalled pull finds another of its movement pattern."""
    pulls = (Pattern.HORIZONTAL_PULL, Pattern.VERTICAL_PULL)
    return frozenset(
        slug
        for slug, facts in catalog.items()
        if facts.top_rank is not None or (facts.side is Side.BACK and facts.pattern in pulls)
    )


class CatalogView(NamedTuple):
    """The engine's catalog and what the arbiter may add from it, built together."""

    facts: dict[str, ExerciseFacts]
    additions: frozenset[str]


async def _build_catalog(session: AsyncSession) -> CatalogView:
    facts = catalog_facts(await exercises_with_muscles(session))
    return CatalogView(facts, _top_picks(facts))


# Catalog facts change only with the content; a request costs one revision lookup (from the
# worker's memory while its revision watcher is connected), and a rebuild follows each change.
_catalog = RevisionCache(_build_catalog)


# A validated SetIn holds its fields in its __dict__ in declaration order, SetLog's order, so
# each SetLog is made from the dict's values by C calls alone: a history has up to 5,000
# sets, and reading 14 attributes (or SetLog._make's Python frame) costs several times that.
if tuple(SetIn.model_fields) != SetLog._fields:
    msg = "SetIn must declare SetLog's fields in SetLog's order"
    raise TypeError(msg)
_FIELD_VALUES = attrgetter("__dict__")
_new_set_log = partial(tuple.__new__, SetLog)
_ONLY_SET_IN = {SetIn}
# By name, for anything but SetIn itself (a subclass may declare more fields).
_SET_FIELDS = attrgetter(*SetLog._fields)
_EXERCISE = attrgetter("exercise")
_DATE = attrgetter("date")


def _set_logs(sets: list[SetIn]) -> tuple[SetLog, ...]:
    values: Iterable[Iterable[Any]] = map(dict.values, map(_FIELD_VALUES, sets))
    if set(map(type, sets)) != _ONLY_SET_IN:
        values = map(_SET_FIELDS, sets)
    logs: tuple[SetLog, ...] = tuple(map(_new_set_log, values))
    return logs


def _plates(plates: list[PlateIn | float] | None) -> tuple[PlateStock, ...] | None:
    if plates is None:
        return None
    return tuple(
        PlateStock(weight=p.weight, count=p.count)
        if isinstance(p, PlateIn)
        else PlateStock(weight=p)
        for p in plates
    )


def _config(overrides: ConfigOverrides | None) -> RecommenderConfig:
    """The default configuration with the caller's overrides applied, checked for coherence."""
    config = DEFAULT_CONFIG
    if overrides is not None:
        for section in ConfigOverrides.model_fields:
            values = getattr(overrides, section)
            if values is None:
                continue
            changes = {
                k: (tuple(v) if isinstance(v, list) else v)
                for k, v in values.model_dump(exclude_none=True).items()
            }
            config = replace(config, **{section: replace(getattr(config, section), **changes)})
    volume = config.volume
    if not volume.mev <= volume.mav_low <= volume.mav_high <= volume.mrv:
        raise InvalidInputError(
            "Volume landmarks must satisfy mev <= mav_low <= mav_high <= mrv.",
            errors=[
                InvalidParam(
                    name="config.volume",
                    location="body",
                    reason=f"got mev {volume.mev}, mav_low {volume.mav_low}, "
                    f"mav_high {volume.mav_high}, mrv {volume.mrv}",
                    type="value_error",
                )
            ],
        )
    return config


def _invalid(
    problems: list[tuple[tuple[str | int, ...], str]], kind: str, summary: str
) -> InvalidInputError:
    return InvalidInputError(
        summary,
        errors=[
            InvalidParam(
                name=".".join(str(p) for p in location), location="body", reason=message, type=kind
            )
            for location, message in problems
        ],
    )


async def next_session(
    session: AsyncSession, body: NextSessionRequest, today: date
) -> RecommendationResult:
    """Validate what only the service can check, gather catalog facts and run the engine."""
    request = await build_engine_request(session, body, today)
    # The engine alone, without the catalog reads and validation above: the figure that
    # moves when the rules change.
    with RECOMMENDER_DURATION.time():
        return recommend(request)


async def build_engine_request(
    session: AsyncSession, body: NextSessionRequest, today: date
) -> RecommendationRequest:
    """The engine's input for ``body``: dates checked, slugs resolved to catalog facts.

    One pass over the sets: each becomes the engine's SetLog while its exercise is noted;
    where a slug sits is worked out only when one is unknown."""
    date_problems = body.check_dates(today)
    if date_problems:
        raise _invalid(
            date_problems, "value_error", "The history does not fit before today's date."
        )
    catalog = await _catalog.get(session)
    every = catalog.facts
    history: list[Session] = []
    named: set[str] = set()
    for logged in body.history:
        sets = _set_logs(logged.sets)
        named.update(map(_EXERCISE, sets))
        history.append(Session(date=logged.date, sets=sets))
    if body.plan is not None:
        named.update(map(_EXERCISE, body.plan.entries))
    if body.config and body.config.modifications and body.config.modifications.anchors:
        named.update(body.config.modifications.anchors)
    if not named <= every.keys():
        unknown = [
            (location, f"unknown exercise '{slug}'")
            for location, slug in body.slugs()
            if slug not in every
        ]
        raise _invalid(
            unknown,
            "unknown_exercise",
            "Some exercises are not in the knowledge base; see /v1/exercises.",
        )
    # Stable, as the engine expects: sessions of one day keep the order they were sent in.
    history.sort(key=_DATE)
    return RecommendationRequest(
        profile=Profile(**body.profile.model_dump()),
        today=today,
        equipment=Equipment(
            bar=body.equipment.bar,
            plates=_plates(body.equipment.plates),
            dumbbells=tuple(body.equipment.dumbbells)
            if body.equipment.dumbbells is not None
            else None,
            stack_step=body.equipment.stack_step,
            belt_plates=_plates(body.equipment.belt_plates),
            assist_step=body.equipment.assist_step,
        ),
        # What the lifter does, plus the top picks and pulls the arbiter may add (ADD_SETS b).
        catalog=tuple(every[slug] for slug in sorted(named | catalog.additions)),
        history=tuple(history),
        feedback=tuple(Feedback(**f.model_dump()) for f in body.feedback),
        plan=Plan(entries=tuple(PlanEntry(**e.model_dump()) for e in body.plan.entries))
        if body.plan
        else None,
        state=body.state,
        config=_config(body.config),
    )
