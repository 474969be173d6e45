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
from app.schema_docs import documented

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


@documented(
    kind="Which kind of modification.",
    variant="Which of the kind's two forms.",
)
@dataclass(frozen=True, slots=True)
class Modification:
    """A modification the engine is applying to break a stall."""

    kind: ModificationKind
    variant: Variant


@documented(
    sets="Number of work sets.",
    reps="The same rep target for every set; null when `rep_range` or `per_set_reps` is set.",
    rep_range="`[low, high]`, inclusive: do every set within this range; null when `reps` or "
    "`per_set_reps` is set.",
    per_set_reps="One rep target per set, in order; null when `reps` or `rep_range` is set.",
    load="External load per set, in the profile's unit (for bodyweight lifts, the weight "
    "added); null when no load is prescribed.",
    assistance="Assisted lifts: the assistance to set, in the profile's unit; null otherwise.",
    ladder_step="Bodyweight ladders: the rung to train (1 = easiest); null otherwise.",
    target_rpe="Effort to aim for, as RPE (1-10, where 10 is failure); null when none is set.",
    final_set_to_failure="True when the last set is taken to failure (as many reps as possible).",
)
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


@documented(
    code="Stable code for the reason; switch on this, not on the message.",
    message="Human-readable explanation naming the numbers involved; wording may change.",
    sources="Slugs of the sources the reason rests on (see `/v1/sources`).",
)
@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a decision: a stable code, a message and its sources."""

    code: ReasonCode
    message: str
    sources: tuple[str, ...] = ()


@documented(
    code="Stable code for the warning.",
    message="Human-readable explanation; wording may change.",
)
@dataclass(frozen=True, slots=True)
class Caution:
    """A warning attached to a recommendation or to the plan report."""

    code: ReasonCode
    message: str


@documented(
    e1rm="Estimated one-rep max from the latest exposure, in the profile's unit; null when the "
    "sets allow no estimate.",
    e1rm_is_lower_bound="True when `e1rm` is only a lower bound (fixed-rep sets logged without "
    "RPE or RIR).",
    e1rm_trend_pct_per_week="Trend of the estimated one-rep max over the latest exposures, in "
    "percent per week (negative when falling); null with too few estimates.",
    stall_count="Consecutive exposures without progress.",
    state="Where the exercise stands.",
)
@dataclass(frozen=True, slots=True)
class Metrics:
    """What the engine estimates from the exercise's history."""

    e1rm: float | None = None
    e1rm_is_lower_bound: bool = False
    e1rm_trend_pct_per_week: float | None = None
    stall_count: int = 0
    state: ExerciseStatus = ExerciseStatus.PROGRESSING


@documented(
    exercise="Slug of the exercise to do instead.",
    prescription="What to do on the new exercise next session.",
    replaces="Slug of the exercise it replaces.",
)
@dataclass(frozen=True, slots=True)
class Replacement:
    """The exercise to do instead (`ROTATE_VARIATION`): same movement pattern and loading
    family, started from the replaced exercise's e1RM, scaled down and rounded onto the new
    exercise's loadable weights (`load` is null when there is no e1RM to start from)."""

    exercise: Slug
    prescription: Prescription
    replaces: Slug


@documented(
    exercise="Slug of the exercise.",
    action="The one change made for the next session.",
    modification="The modification being applied when `action` is `MODIFICATION` (or one is "
    "running for the exercise); null otherwise.",
    prescription="Sets, reps and load for the next session.",
    metrics="Estimates and status derived from the history.",
    reasons="Why, most important first; never empty.",
    warnings="Things to watch that did not change the decision; may be empty.",
    replacement="With `ROTATE_VARIATION`: the exercise to do instead and its prescription; null "
    "otherwise.",
)
@dataclass(frozen=True, slots=True)
class Recommendation:
    """What to do next session on one exercise, and why."""

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


@documented(
    group="Muscle group name, such as `back`.",
    sets="Weekly hard sets, fractional (a secondary muscle gets half a set).",
    reps="Weekly reps of those hard sets, credited the same way.",
)
@dataclass(frozen=True, slots=True)
class GroupVolume:
    """Weekly hard sets credited to one muscle group (primary 1.0, secondary 0.5)."""

    group: str
    sets: float
    reps: float


@documented(
    group="Muscle group name, such as `back`.",
    sets="Weekly hard sets credited to the group.",
    mev="Minimum effective volume: fewer weekly sets than this bring little growth.",
    mav_low="Bottom of the adaptive range, in weekly sets.",
    mav_high="Top of the adaptive range, in weekly sets.",
    mrv="Maximum recoverable volume: more weekly sets than this cannot be recovered from.",
    status="Where `sets` falls against the landmarks.",
)
@dataclass(frozen=True, slots=True)
class LandmarkCheck:
    """A muscle group's weekly hard sets against its volume landmarks."""

    group: str
    sets: float
    mev: float
    mav_low: float
    mav_high: float
    mrv: float
    status: LandmarkStatus


@documented(
    code="Which check.",
    passed="True when the plan or history satisfies it.",
    message="Human-readable result; wording may change.",
    sources="Slugs of the sources the check rests on (see `/v1/sources`).",
)
@dataclass(frozen=True, slots=True)
class SelectionCheck:
    """A check on the choice and frequency of exercises in the plan or history."""

    code: ReasonCode
    passed: bool
    message: str
    sources: tuple[str, ...] = ()


@documented(
    current="The declared level.",
    suggested="The level the history fits better.",
    reason="Why, with the numbers involved.",
)
@dataclass(frozen=True, slots=True)
class LevelSuggestion:
    """A suggested change of experience level, with the reason."""

    current: Experience
    suggested: Experience
    reason: Reason


# ---------------------------------------------------------------------------------------------
# State a client may echo back to continue an episode exactly


@documented(
    exercise="Slug of the exercise.",
    load="Working load before the deload, in the profile's unit.",
    assistance="Assistance before the deload (assisted lifts), in the profile's unit; 0 otherwise.",
    sets="Work sets before the deload.",
    reps="Rep target of each set before the deload.",
    rep_floor="Bottom of the exercise's rep range.",
)
@dataclass(frozen=True, slots=True)
class DeloadSnapshot:
    """An exercise's working prescription just before a deload, to return to afterwards."""

    exercise: Slug
    load: float
    assistance: float
    sets: int
    reps: RepList
    rep_floor: int


@documented(
    exercise="Slug of the exercise.",
    lp_failures="Consecutive failed sessions under linear progression.",
    lp_deload_dates="ISO dates of the linear-progression deloads of this exercise.",
    stall_count="Consecutive exposures without progress.",
    best_rung="Ladder rung of the best exposure in the current episode; null before the first.",
    best_load="Load of the best exposure in the current episode, in the profile's unit (minus "
    "assistance); null before the first.",
    best_reps="Total reps of the best exposure in the current episode; null before the first.",
    best_e1rm="Best estimated one-rep max in the current episode, in the profile's unit; null "
    "when none.",
    completed_rung="Ladder rung of the best exposure whose targets were all met; null when none.",
    completed_load="Load of the best exposure whose targets were all met, in the profile's unit; "
    "null when none.",
    completed_reps="Total reps of that exposure; null when none.",
    missed_streak="Consecutive exposures that missed reps below the best completed level.",
    tried="Modification kinds already tried in the current stall episode.",
    rotate_to="Slug of the exercise this one was rotated to; null when not rotated.",
    rotated_on="ISO date of the rotation; null when not rotated.",
    rotate_tried="Modification kinds that had been tried when the exercise was rotated.",
    ramp_sets="After a reset: the pre-deload set count the sets climb back to; null otherwise.",
    ramp_until="After a reset: the ISO date by which the climb back ends; null otherwise.",
    trend_from="ISO date from which estimates count towards the e1RM trend (it restarts at a "
    "reset); null when all count.",
    deload_base="The pre-deload prescription of the current deload chain, kept until the lifter "
    "is back at it; null when none.",
)
@dataclass(frozen=True, slots=True)
class ExerciseState:
    """What the engine remembers about one exercise; echo it back unchanged."""

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


@documented(
    group="Muscle group name, such as `back`.",
    exercise="Slug of the exercise the modification applies to.",
    kind="Which kind of modification.",
    variant="Which of the kind's two forms.",
    started_on="ISO date the modification started.",
    exposures_evaluated="Exposures completed under it so far; it is judged after the evaluation "
    "window.",
    prescription="The prescription the modification sets.",
    added_exercise="Slug of the exercise it added (`ADD_SETS` variant `b`); null otherwise.",
    baseline_e1rm="Estimated one-rep max when it started, in the profile's unit; null when "
    "unknown.",
    trigger="What started it: a stall, or a back-to-front balance deficit.",
)
@dataclass(frozen=True, slots=True)
class ActiveModification:
    """The one modification a muscle group is running, and how far it has got."""

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


@documented(
    group="Muscle group name, such as `back`.",
    triggered_on="ISO date the deload was decided.",
    cause="Why the deload was opened.",
    started_on="ISO date of the first deload session; null until it happens.",
    snapshots="Each exercise's prescription before the deload.",
    weekly_sets_before="The group's weekly hard sets before the deload.",
    detail="Human-readable detail of what triggered it.",
    reset_done="Slugs of the exercises that have had their reset session.",
    trigger_exercise="Slug of the exercise whose trend or stall opened the deload; null when the "
    "whole group triggered it.",
)
@dataclass(frozen=True, slots=True)
class GroupDeload:
    """A deload week for one muscle group, and the reset that follows it."""

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


@documented(
    as_of="ISO date of the last session the state covers; sessions after it are replayed. Null "
    "when the state is empty.",
    exercises="Per-exercise counters and bests.",
    active_modifications="The modification each muscle group is running, at most one per group.",
    deloads="Open deload weeks and their resets, per muscle group.",
    balance_step_on="ISO date of the last volume step taken for a back-to-front balance deficit; "
    "null when none.",
)
@dataclass(frozen=True, slots=True)
class EngineState:
    """Everything the engine inferred from history; echo it back to continue an episode."""

    as_of: StateDay | None = None
    exercises: Annotated[tuple[ExerciseState, ...], MaxLen(500)] = ()
    active_modifications: Annotated[tuple[ActiveModification, ...], MaxLen(50)] = ()
    deloads: Annotated[tuple[GroupDeload, ...], MaxLen(50)] = ()
    balance_step_on: StateDay | None = None


@documented(
    back_front_ratio_sets="Weekly back hard sets divided by front (chest and front shoulder) "
    "sets; 1.0 or more is balanced. Null when there are no front sets.",
    back_front_ratio_reps="The same ratio on reps; null when there are no front reps.",
    weekly_sets="Weekly hard sets and reps per muscle group.",
    landmarks="Weekly sets per muscle group against its volume landmarks.",
    selection_checks="Checks on which exercises are trained and how often.",
    level_suggestion="A suggested experience level; null when the declared one fits.",
    reasons="Plan-level findings, such as a balance deficit or volume outside the landmarks.",
    warnings="Plan-level warnings.",
    new_exercises="Slugs of exercises the engine added to the plan (a modification adding an "
    "exercise).",
    state="Everything inferred from the history; send it back as `state` to continue exactly.",
)
@dataclass(frozen=True, slots=True)
class PlanReport:
    """Week-level findings: volume, balance, selection checks and the state to echo back."""

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


@documented(
    recommendations="One entry per exercise in the history or plan.",
    plan="The week-level report, including the state to echo back.",
)
@dataclass(frozen=True, slots=True)
class RecommendationResult:
    """The answer to a next-session request: a recommendation per exercise, the week's report."""

    recommendations: tuple[Recommendation, ...]
    plan: PlanReport

    def for_exercise(self, slug: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.exercise == slug), None)
