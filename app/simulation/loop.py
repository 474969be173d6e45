"""The closed loop: the lifter performs each answer's prescription and asks again.

A run starts from the archetype's written first sessions. After every session the whole history
(trimmed to what the API accepts) goes to `recommend` with `today` set to the next planned day;
the next session performs, for each exercise of that day, the latest answer's prescription. Each
step may also ask a second time without the echoed `plan.state`, so the invariants can compare
the two answers (spec 2: the engine infers everything from the history).
"""

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from types import MappingProxyType

from app.recommender import (
    DEFAULT_CONFIG,
    Action,
    EngineState,
    ExerciseFacts,
    Feedback,
    Loading,
    Modification,
    Prescription,
    ReasonCode,
    Recommendation,
    RecommendationRequest,
    RecommendationResult,
    RecommenderConfig,
    Session,
    SetLog,
    recommend,
)
from app.recommender.loading import LoadGrids
from app.recommender.rpe import rts_percentage
from app.simulation.archetypes import (
    FALLBACK_BODYWEIGHT_RATIO,
    FALLBACK_BY_PATTERN,
    FALLBACK_RATIOS,
    Archetype,
    Slot,
)
from app.simulation.lifter import Lifter, SetOutcome, Trait, effort

START = date(2025, 1, 6)  # a Monday
# What the HTTP layer accepts (and so what a client can send): one year, 5,000 sets.
MAX_HISTORY_DAYS = 365
MAX_HISTORY_SETS = 5000
# Ladder rungs get harder by this share of the bodyweight load per rung.
RUNG_DIFFICULTY = 0.15
# How far a lifter's starting strengths vary from the archetype's, run to run.
STRENGTH_SPREAD = 0.05
# The RPE a lifter aims for when he has to pick a load himself.
SELF_CHOSEN_RPE = 8.0

BODYWEIGHT_LOADINGS = frozenset({Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT, Loading.ASSISTED})


@dataclass(frozen=True, slots=True)
class PerformedExercise:
    """What the lifter was told and what he did; `action` is None for the written start."""

    exercise: str
    prescription: Prescription
    action: Action | None
    modification: Modification | None
    reason: ReasonCode | None
    sets: tuple[SetLog, ...]
    true_rpe: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """One session performed, then the question asked after it."""

    session: Session
    performed: tuple[PerformedExercise, ...]
    request: RecommendationRequest
    answer: RecommendationResult
    stateless: RecommendationResult | None

    @property
    def today(self) -> date:
        return self.request.today


@dataclass(frozen=True, slots=True)
class Run:
    archetype: Archetype
    seed: int
    weeks: int
    catalog: Mapping[str, ExerciseFacts]
    config: RecommenderConfig
    steps: tuple[Step, ...]

    def facts(self, slug: str) -> ExerciseFacts | None:
        return self.catalog.get(slug)


def session_dates(archetype: Archetype, weeks: int, start: date = START) -> list[date]:
    """The lifter's calendar: every listed weekday of `weeks` weeks from `start`."""
    return [
        start + timedelta(days=d)
        for d in range(weeks * 7 + 7)
        if (start + timedelta(days=d)).weekday() in archetype.weekdays
    ]


def system_load(
    facts: ExerciseFacts, load: float, assistance: float, bodyweight: float, rung: int | None
) -> float:
    """The load the muscles move (spec 8), with ladder rungs each a little harder."""
    if facts.loading not in BODYWEIGHT_LOADINGS:
        return load
    base = bodyweight * facts.bodyweight_factor
    if facts.ladder:
        base *= 1 + RUNG_DIFFICULTY * (max(rung or 1, 1) - 1)
    return base + load - assistance


def trait_for(archetype: Archetype, facts: ExerciseFacts, rng: random.Random) -> Trait:
    bw = archetype.bodyweight
    one_rm = archetype.one_rms.get(facts.slug)
    if one_rm is None:
        if facts.loading in BODYWEIGHT_LOADINGS:
            one_rm = bw * facts.bodyweight_factor * FALLBACK_BODYWEIGHT_RATIO
        else:
            ratio = FALLBACK_RATIOS.get(facts.slug, FALLBACK_BY_PATTERN[facts.pattern])
            one_rm = ratio * bw * archetype.strength_scale
    one_rm *= 1 + rng.gauss(0.0, STRENGTH_SPREAD)
    return Trait(one_rm=one_rm, ceiling=one_rm * archetype.ceiling_factor)


def trim_history(sessions: Sequence[Session], today: date) -> tuple[Session, ...]:
    """The newest sessions the API would accept: one year back and 5,000 sets at most."""
    kept = [s for s in sessions if (today - s.date).days <= MAX_HISTORY_DAYS]
    total = sum(len(s.sets) for s in kept)
    while kept and total > MAX_HISTORY_SETS:
        total -= len(kept.pop(0).sets)
    return tuple(kept)


def feedback_until(archetype: Archetype, today: date, start: date = START) -> tuple[Feedback, ...]:
    weeks = (today - start).days // 7
    return tuple(
        Feedback(
            muscle_group=rule.group,
            week_start=start + timedelta(days=7 * week),
            soreness=rule.soreness,
            performance=rule.performance,
        )
        for rule in archetype.feedback
        for week in range(rule.from_week, weeks + 1)
    )


def rotation_target(state: EngineState, slug: str) -> str | None:
    found = next((s for s in state.exercises if s.exercise == slug), None)
    return found.rotate_to if found is not None else None


class _Loop:
    """One run's mutable working state."""

    def __init__(
        self,
        archetype: Archetype,
        catalog: Sequence[ExerciseFacts],
        seed: int,
        config: RecommenderConfig,
    ) -> None:
        self.archetype = archetype
        self.catalog = {f.slug: f for f in catalog}
        self.catalog_tuple = tuple(catalog)
        self.config = config
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self.lifter = Lifter(archetype.lifter, self.rng)
        self.days: list[list[Slot]] = [list(day) for day in archetype.days]
        self.history: list[Session] = []
        self.answer: RecommendationResult | None = None
        self.state: EngineState | None = None
        # Prescriptions for exercises the engine named but has no history of yet (rotations).
        self.pending: dict[str, Recommendation] = {}
        self.ranges: dict[str, tuple[int, int]] = {}
        cap = max(archetype.one_rms.values(), default=100.0) * 3 + 100.0
        self.grids = LoadGrids(archetype.equipment, archetype.profile.unit, config, cap)

    def facts(self, slug: str) -> ExerciseFacts:
        return self.catalog[slug]

    def recommendation(self, slug: str) -> Recommendation | None:
        if self.answer is not None:
            found = self.answer.for_exercise(slug)
            if found is not None:
                return found
        return self.pending.get(slug)

    def pick_load(self, facts: ExerciseFacts, reps: int) -> float:
        """A load the lifter chooses himself (no load prescribed): about RPE 8 for the reps."""
        if facts.loading in BODYWEIGHT_LOADINGS:
            return 0.0
        pct = rts_percentage(min(reps, self.config.rpe.max_reps), SELF_CHOSEN_RPE, self.config.rpe)
        wanted = self.lifter.strength[facts.slug] * (pct or 0.6)
        return self.grids.for_exercise(facts).floor_or_min(wanted)

    def perform(self, slot: Slot) -> tuple[PerformedExercise, list[SetOutcome]]:
        slug = slot.exercise
        facts = self.facts(slug)
        self.lifter.know(slug, trait_for(self.archetype, facts, self.rng))
        rec = self.recommendation(slug)
        rx = rec.prescription if rec is not None else slot.start
        if rx.rep_range is not None:
            self.ranges[slug] = rx.rep_range
        targets = rx.reps_per_set
        load = rx.load
        if load is None:
            load = self.pick_load(facts, (rx.rep_range or (targets[0], 0))[0] if targets else 8)
        assistance = rx.assistance or 0.0
        moved = system_load(facts, load, assistance, self.archetype.bodyweight, rx.ladder_step)
        todays = self.lifter.todays_max(slug)
        deload = rec is not None and rec.action is Action.DELOAD
        logs: list[SetLog] = []
        outcomes: list[SetOutcome] = []
        tired = 0.0
        for i in range(rx.sets):
            last = i == rx.sets - 1
            amrap = last and not deload and (slot.amrap_last or rx.final_set_to_failure)
            target = None if rx.rep_range is not None and rx.per_set_reps is None else targets[i]
            outcome = self.lifter.perform(
                max(moved, 1e-3),
                todays,
                tired,
                target=target,
                rep_range=rx.rep_range,
                target_rpe=rx.target_rpe,
                all_out=amrap,
            )
            tired += effort(outcome.true_rpe)
            outcomes.append(outcome)
            logs.append(
                SetLog(
                    exercise=slug,
                    reps=outcome.reps,
                    load=load,
                    assistance=assistance,
                    target_reps=target,
                    target_range=rx.rep_range or self.ranges.get(slug),
                    target_rpe=rx.target_rpe,
                    rpe=outcome.reported_rpe if self.archetype.logs_rpe else None,
                    is_amrap=amrap,
                    to_failure=last and rx.final_set_to_failure,
                    form_ok=outcome.form_ok,
                    ladder_step=rx.ladder_step,
                )
            )
        self.lifter.finish_exercise(slug, outcomes)
        performed = PerformedExercise(
            exercise=slug,
            prescription=rx,
            action=rec.action if rec is not None else None,
            modification=rec.modification if rec is not None else None,
            reason=rec.reasons[0].code if rec is not None and rec.reasons else None,
            sets=tuple(logs),
            true_rpe=tuple(o.true_rpe for o in outcomes),
        )
        return performed, outcomes

    def follow(self, answer: RecommendationResult, next_day: int) -> None:
        """Adopt the answer's exercise changes: rotations replace an exercise in the week, and
        an exercise the engine adds joins the next training day."""
        scheduled = {slot.exercise for day in self.days for slot in day}
        # Exercises rotated out stay in the history (and in the answers); they do not come back.
        scheduled |= {s.exercise for session in self.history for s in session.sets}
        for rec in answer.recommendations:
            if rec.action is Action.ROTATE_VARIATION:
                # The answer names the replacement and how to start it; the echoed state's
                # `rotate_to` is only a fallback for a rotation that names none.
                if rec.replacement is not None:
                    target: str | None = rec.replacement.exercise
                    start = replace(rec, prescription=rec.replacement.prescription)
                else:
                    target, start = rotation_target(answer.plan.state, rec.exercise), rec
                if target is not None and target != rec.exercise and target in self.catalog:
                    self.pending[target] = start
                    for day in self.days:
                        day[:] = [
                            Slot(target, start.prescription) if s.exercise == rec.exercise else s
                            for s in day
                            if s.exercise != target
                        ]
                    scheduled.add(target)
            elif rec.exercise not in scheduled and rec.exercise in self.catalog:
                self.days[next_day % len(self.days)].append(Slot(rec.exercise, rec.prescription))
                scheduled.add(rec.exercise)

    def run(self, dates: Sequence[date], *, compare_state: bool) -> Iterable[Step]:
        for index, day in enumerate(dates[:-1]):
            template = self.days[index % len(self.days)]
            self.lifter.start_day((day - START).days)
            performed: list[PerformedExercise] = []
            outcomes: list[SetOutcome] = []
            for slot in list(template):
                done, sets = self.perform(slot)
                performed.append(done)
                outcomes.extend(sets)
            self.lifter.finish_session(outcomes)
            session = Session(day, tuple(s for p in performed for s in p.sets))
            self.history.append(session)
            today = dates[index + 1]
            self.history = list(trim_history(self.history, today))
            request = RecommendationRequest(
                profile=self.archetype.profile,
                today=today,
                equipment=self.archetype.equipment,
                catalog=self.catalog_tuple,
                history=tuple(self.history),
                feedback=feedback_until(self.archetype, today),
                state=self.state,
                config=self.config,
            )
            answer = recommend(request)
            stateless = recommend(replace(request, state=None)) if compare_state else None
            self.answer = answer
            self.state = answer.plan.state
            self.pending = {
                slug: rec for slug, rec in self.pending.items() if answer.for_exercise(slug) is None
            }
            self.follow(answer, index + 1)
            yield Step(session, tuple(performed), request, answer, stateless)


def simulate(
    archetype: Archetype,
    catalog: Sequence[ExerciseFacts],
    *,
    weeks: int = 16,
    seed: int = 0,
    compare_state: bool = True,
    config: RecommenderConfig = DEFAULT_CONFIG,
) -> Run:
    """Run `archetype` for `weeks` weeks; deterministic for a given seed."""
    missing = sorted(
        {slot.exercise for day in archetype.days for slot in day} - {f.slug for f in catalog}
    )
    if missing:
        msg = f"the catalog lacks {', '.join(missing)}"
        raise ValueError(msg)
    loop = _Loop(archetype, catalog, seed, config)
    dates = session_dates(archetype, weeks)
    dates = [d for d in dates if d < START + timedelta(days=7 * weeks)] + [
        next(d for d in dates if d >= START + timedelta(days=7 * weeks))
    ]
    steps = tuple(loop.run(dates, compare_state=compare_state))
    return Run(
        archetype=archetype,
        seed=seed,
        weeks=weeks,
        catalog=MappingProxyType(dict(loop.catalog)),
        config=config,
        steps=steps,
    )
