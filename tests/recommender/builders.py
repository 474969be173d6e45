"""Small builders that keep the recommender tests readable."""

from collections.abc import Sequence
from datetime import date, timedelta

from app.recommender import (
    Equipment,
    Experience,
    Feedback,
    Plan,
    PlanEntry,
    PlateStock,
    Profile,
    RecommendationRequest,
    RecommendationResult,
    RoutineProfile,
    Session,
    SetLog,
    recommend,
)
from tests.recommender.catalog import CATALOG

START = date(2025, 3, 3)
BODYWEIGHT = 80.0
# Spec 14: bar 20 kg with plate pairs 25/20/15/10/5/2.5/1.25, stacks 5 kg, belt 1.25/2.5/5.
SCENARIO_EQUIPMENT = Equipment(
    bar=20.0,
    plates=tuple(PlateStock(w) for w in (25, 20, 15, 10, 5, 2.5, 1.25)),
    stack_step=5.0,
    belt_plates=tuple(PlateStock(w) for w in (1.25, 2.5, 5)),
)


def sets(
    exercise: str,
    reps: Sequence[int],
    load: float = 0.0,
    *,
    target: int | Sequence[int] | None = None,
    target_range: tuple[int, int] | None = None,
    rpe: float | Sequence[float | None] | None = None,
    rir: float | None = None,
    target_rpe: float | None = None,
    assistance: float = 0.0,
    ladder_step: int | None = None,
    form_ok: Sequence[bool] | None = None,
    amrap_last: bool = False,
) -> tuple[SetLog, ...]:
    """One exercise's work sets; `target` may be one value or one per set."""
    out = []
    for i, r in enumerate(reps):
        t = target[i] if isinstance(target, Sequence) else target
        e = rpe[i] if isinstance(rpe, Sequence) else rpe
        out.append(
            SetLog(
                exercise=exercise,
                reps=r,
                load=load,
                assistance=assistance,
                target_reps=t,
                target_range=target_range,
                target_rpe=target_rpe,
                rpe=e,
                rir=rir,
                ladder_step=ladder_step,
                form_ok=True if form_ok is None else form_ok[i],
                is_amrap=amrap_last and i == len(reps) - 1,
            )
        )
    return tuple(out)


def sessions(
    *per_session: tuple[SetLog, ...], start: date = START, every: int = 2
) -> tuple[Session, ...]:
    return tuple(
        Session(start + timedelta(days=every * i), sets_) for i, sets_ in enumerate(per_session)
    )


def request(
    history: Sequence[Session],
    *,
    experience: Experience = Experience.BEGINNER,
    routine: RoutineProfile = RoutineProfile.STRONGLIFTS,
    today: date | None = None,
    equipment: Equipment = SCENARIO_EQUIPMENT,
    plan: Sequence[PlanEntry] | None = None,
    feedback: Sequence[Feedback] = (),
    bodyweight: float | None = BODYWEIGHT,
) -> RecommendationRequest:
    last = max((s.date for s in history), default=START)
    return RecommendationRequest(
        profile=Profile(experience=experience, bodyweight=bodyweight, routine_profile=routine),
        today=today or last + timedelta(days=2),
        equipment=equipment,
        catalog=CATALOG,
        history=tuple(history),
        feedback=tuple(feedback),
        plan=Plan(tuple(plan)) if plan is not None else None,
    )


def run(history: Sequence[Session], **kwargs: object) -> RecommendationResult:
    return recommend(request(history, **kwargs))  # type: ignore[arg-type]
