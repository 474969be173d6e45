"""Frozen input and output records of the recommender (spec sections 2 and 3)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, NamedTuple

from annotated_types import Interval, MaxLen

from app.recommender.config import DEFAULT_CONFIG, RecommenderConfig
from app.recommender.enums import (
    Action,
    DeloadCause,
    ExerciseStatus,
    Experience,
    Goal,
    LandmarkStatus,
    Loading,
    ModificationKind,
    Pattern,
    ReasonCode,
    RoutineProfile,
    Side,
    Unit,
    Variant,
)

# Bounds on the state a client echoes back (typing metadata only, PEP 593): generous enough for
# anything the engine writes, small enough that an echoed state cannot be used to flood it.
Slug = Annotated[str, MaxLen(120)]
GroupName = Annotated[str, MaxLen(40)]
RepList = Annotated[tuple[int, ...], MaxLen(50)]

# The engine steps days and weeks back and forth from the dates it is given (windows of 7 to 366
# days, ramps of a few weeks), so a date near the calendar's ends (0001-01-01, 9999-12-31) made
# that arithmetic overflow. Clients may send the years a lifter can plausibly log or plan for;
# dates the engine writes into its state can run a few weeks past those, so an echoed state gets a
# ten-year margin, which is still millennia away from the ends.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
_STATE_MARGIN = timedelta(days=3653)
Day = Annotated[date, Interval(ge=EARLIEST_DAY, le=LATEST_DAY)]
StateDay = Annotated[date, Interval(ge=EARLIEST_DAY - _STATE_MARGIN, le=LATEST_DAY + _STATE_MARGIN)]

# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class Profile:
    experience: Experience
    unit: Unit = Unit.KG
    bodyweight: float | None = None
    goal: Goal = Goal.GENERAL
    routine_profile: RoutineProfile = RoutineProfile.STRONGLIFTS


@dataclass(frozen=True, slots=True)
class PlateStock:
    """One plate weight; barbell plates are loaded in pairs, `count` is pairs (None = plenty)."""

    weight: float
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Equipment:
    """What the lifter can load; any missing item falls back to the unit's usual steps."""

    bar: float | None = None
    plates: tuple[PlateStock, ...] | None = None
    dumbbells: tuple[float, ...] | None = None
    stack_step: float | None = None
    belt_plates: tuple[PlateStock, ...] | None = None
    assist_step: float | None = None


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One rung of a bodyweight ladder; `loaded` rungs progress by adding a plate."""

    key: str
    label: str
    loaded: bool = False


@dataclass(frozen=True, slots=True)
class ExerciseFacts:
    """What the knowledge base knows about an exercise, by slug."""

    slug: str
    pattern: Pattern
    side: Side
    primary_muscles: tuple[str, ...]
    loading: Loading
    secondary_muscles: tuple[str, ...] = ()
    axial_heavy: bool = False
    ladder: tuple[LadderStep, ...] = ()
    rep_range: tuple[int, int] | None = None
    top_rank: int | None = None
    variant_of: str | None = None
    bodyweight_factor: float = 1.0
    # The knowledge base's form cues, quoted when a set is logged with broken form (R8).
    form_cues: tuple[str, ...] = ()

    @property
    def is_top_pick(self) -> bool:
        return self.top_rank is not None


class SetLog(NamedTuple):
    """One logged set. `load` is external load; assisted lifts log `assistance` instead.

    Immutable like the frozen dataclasses here, but a named tuple: a request carries up to
    5,000 sets, and building one costs a quarter of a frozen dataclass's 14 `__setattr__`s.
    """

    exercise: str
    reps: int
    load: float = 0.0
    assistance: float = 0.0
    target_reps: int | None = None
    target_range: tuple[int, int] | None = None
    target_rpe: float | None = None
    rpe: float | None = None
    rir: float | None = None
    is_amrap: bool = False
    to_failure: bool = False
    form_ok: bool = True
    is_warmup: bool = False
    ladder_step: int | None = None


@dataclass(frozen=True, slots=True)
class Session:
    date: date
    sets: tuple[SetLog, ...]


@dataclass(frozen=True, slots=True)
class Feedback:
    """Renaissance Periodization's weekly questions for one muscle group, each 0-3 (3 = worst)."""

    muscle_group: str
    week_start: date
    soreness: int = 0
    performance: int = 0
    pump: int = 0
    joint_pain: int = 0


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One exercise the lifter intends to do this week."""

    exercise: str
    sets: int
    reps: int | None = None
    rep_range: tuple[int, int] | None = None
    load: float | None = None
    times_per_week: int = 1
    day: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    entries: tuple[PlanEntry, ...]


# ---------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True, slots=True)
class Modification:
    kind: ModificationKind
    variant: Variant


@dataclass(frozen=True, slots=True)
class Prescription:
    """What to do next session. Exactly one of `reps`, `rep_range`, `per_set_reps` is set."""

    sets: int
    reps: int | None = None
    rep_range: tuple[int, int] | None = None
    per_set_reps: RepList | None = None
    load: float | None = None
    assistance: float | None = None
    ladder_step: int | None = None
    target_rpe: float | None = None
    final_set_to_failure: bool = False

    @property
    def reps_per_set(self) -> tuple[int, ...]:
        """Rep target of every set (the range floor when a range is prescribed)."""
        if self.per_set_reps is not None:
            return self.per_set_reps
        if self.reps is not None:
            return (self.reps,) * self.sets
        if self.rep_range is not None:
            return (self.rep_range[0],) * self.sets
        return ()


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    message: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Caution:
    """A warning attached to a recommendation or to the plan report."""

    code: ReasonCode
    message: str


@dataclass(frozen=True, slots=True)
class Metrics:
    e1rm: float | None = None
    e1rm_is_lower_bound: bool = False
    e1rm_trend_pct_per_week: float | None = None
    stall_count: int = 0
    state: ExerciseStatus = ExerciseStatus.PROGRESSING


@dataclass(frozen=True, slots=True)
class Replacement:
    """The exercise to do instead (`ROTATE_VARIATION`): same movement pattern and loading
    family, started from the replaced exercise's e1RM, scaled down and rounded onto the new
    exercise's loadable weights (`load` is null when there is no e1RM to start from)."""

    exercise: Slug
    prescription: Prescription
    replaces: Slug


@dataclass(frozen=True, slots=True)
class Recommendation:
    exercise: str
    action: Action
    modification: Modification | None
    prescription: Prescription
    metrics: Metrics
    reasons: tuple[Reason, ...]
    warnings: tuple[Caution, ...] = ()
    replacement: Replacement | None = None

    @property
    def reason_codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True, slots=True)
class GroupVolume:
    """Weekly hard sets credited to one muscle group (primary 1.0, secondary 0.5)."""

    group: str
    sets: float
    reps: float


@dataclass(frozen=True, slots=True)
class LandmarkCheck:
    group: str
    sets: float
    mev: float
    mav_low: float
    mav_high: float
    mrv: float
    status: LandmarkStatus


@dataclass(frozen=True, slots=True)
class SelectionCheck:
    code: ReasonCode
    passed: bool
    message: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LevelSuggestion:
    current: Experience
    suggested: Experience
    reason: Reason


# ---------------------------------------------------------------------------------------------
# State a client may echo back to continue an episode exactly


@dataclass(frozen=True, slots=True)
class DeloadSnapshot:
    exercise: Slug
    load: float
    assistance: float
    sets: int
    reps: RepList
    rep_floor: int


@dataclass(frozen=True, slots=True)
class ExerciseState:
    exercise: Slug
    lp_failures: int = 0
    lp_deload_dates: Annotated[tuple[StateDay, ...], MaxLen(100)] = ()
    stall_count: int = 0
    best_rung: int | None = None
    best_load: float | None = None
    best_reps: int | None = None
    best_e1rm: float | None = None
    completed_rung: int | None = None
    completed_load: float | None = None
    completed_reps: int | None = None
    missed_streak: int = 0
    tried: Annotated[tuple[ModificationKind, ...], MaxLen(8)] = ()
    rotate_to: Slug | None = None
    rotated_on: StateDay | None = None
    rotate_tried: Annotated[tuple[ModificationKind, ...], MaxLen(8)] = ()
    # After a reset: the pre-deload set count the sets climb back to, and until when.
    ramp_sets: int | None = None
    ramp_until: StateDay | None = None
    # The e1RM trend restarts at a reset: only estimates from this date on count.
    trend_from: StateDay | None = None
    # The pre-deload working load of the current deload chain, kept until a working exposure
    # is back at it: a deload that follows starts from it (deloads never compound), and after
    # the reset RPE autoregulation may climb straight back to it (issue 8).
    deload_base: DeloadSnapshot | None = None


@dataclass(frozen=True, slots=True)
class ActiveModification:
    """The single modification a muscle group is evaluating (R5)."""

    group: GroupName
    exercise: Slug
    kind: ModificationKind
    variant: Variant
    started_on: StateDay
    exposures_evaluated: int
    prescription: Prescription
    added_exercise: Slug | None = None
    baseline_e1rm: float | None = None
    trigger: ReasonCode = ReasonCode.STALL_DETECTED


@dataclass(frozen=True, slots=True)
class GroupDeload:
    group: GroupName
    triggered_on: StateDay
    cause: DeloadCause
    started_on: StateDay | None
    snapshots: Annotated[tuple[DeloadSnapshot, ...], MaxLen(100)]
    weekly_sets_before: float
    detail: Annotated[str, MaxLen(2000)] = ""
    reset_done: Annotated[tuple[Slug, ...], MaxLen(100)] = ()
    # The exercise whose trend or stall opened the group's deload (the others deload with it).
    trigger_exercise: Slug | None = None


@dataclass(frozen=True, slots=True)
class EngineState:
    """Everything the engine inferred from history; echo it back to continue an episode."""

    as_of: StateDay | None = None
    exercises: Annotated[tuple[ExerciseState, ...], MaxLen(500)] = ()
    active_modifications: Annotated[tuple[ActiveModification, ...], MaxLen(50)] = ()
    deloads: Annotated[tuple[GroupDeload, ...], MaxLen(50)] = ()
    balance_step_on: StateDay | None = None


@dataclass(frozen=True, slots=True)
class PlanReport:
    back_front_ratio_sets: float | None
    back_front_ratio_reps: float | None
    weekly_sets: tuple[GroupVolume, ...]
    landmarks: tuple[LandmarkCheck, ...]
    selection_checks: tuple[SelectionCheck, ...]
    level_suggestion: LevelSuggestion | None
    reasons: tuple[Reason, ...]
    warnings: tuple[Caution, ...]
    new_exercises: tuple[str, ...]
    state: EngineState


@dataclass(frozen=True, slots=True)
class RecommendationRequest:
    profile: Profile
    today: date
    equipment: Equipment = Equipment()
    catalog: tuple[ExerciseFacts, ...] = ()
    history: tuple[Session, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    plan: Plan | None = None
    state: EngineState | None = None
    config: RecommenderConfig = field(default=DEFAULT_CONFIG)


@dataclass(frozen=True, slots=True)
class RecommendationResult:
    recommendations: tuple[Recommendation, ...]
    plan: PlanReport

    def for_exercise(self, slug: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.exercise == slug), None)
