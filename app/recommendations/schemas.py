"""The next-session request: what a client sends, with every limit it must respect.

The response is the engine's own ``RecommendationResult`` (pydantic serialises its frozen
dataclasses), so the contract cannot drift from what the engine computes. The request is
validated here, strictly, because the engine trusts its input.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from operator import attrgetter
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from app.recommender import (
    EARLIEST_DAY,
    LATEST_DAY,
    Day,
    EngineState,
    Experience,
    Goal,
    RoutineProfile,
    Unit,
)

MAX_HISTORY_DAYS = 366
MAX_HISTORY_SETS = 5000
MAX_SESSIONS = 1000

ExerciseSlug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="An exercise slug from `/v1/exercises`.",
        examples=["barbell-bent-over-row"],
    ),
]
Weight = Annotated[float, Field(ge=0, le=1000, description="In the profile's unit.")]
Rpe = Annotated[
    float, Field(ge=1, le=10, multiple_of=0.5, description="Rate of perceived exertion, 1-10.")
]
# Only the tuple's members are strict: JSON arrays arrive as lists, which a strict tuple refuses.
RepRange = Annotated[tuple[StrictInt, StrictInt], Field(description="`[low, high]`, inclusive.")]
DAY_RANGE = f"from {EARLIEST_DAY} to {LATEST_DAY}"


class StrictModel(BaseModel):
    # Unknown fields are mistakes (a misspelt `rpe` would silently be ignored otherwise).
    # Integer and boolean fields are declared `strict=True` one by one: lax parsing reads
    # `"reps": 15.0` as 15 and `"is_warmup": 0` as false, guesses a client should not rely on.
    # (A strict model would also refuse dates and enums as strings, which JSON cannot avoid.)
    model_config = ConfigDict(extra="forbid")


class ProfileIn(StrictModel):
    """The lifter: level, unit, bodyweight, goal and (for beginners) the routine followed."""

    experience: Experience = Field(description="Declared level; the engine may suggest another.")
    unit: Unit = Field(
        default=Unit.KG,
        description="Unit of every weight in the request and the answer.",
    )
    bodyweight: float | None = Field(
        default=None, gt=20, le=400, description="Needed for bodyweight lifts' loads."
    )
    goal: Goal = Field(default=Goal.GENERAL, description="What the lifter trains for.")
    routine_profile: RoutineProfile = Field(
        default=RoutineProfile.STRONGLIFTS,
        description=(
            "Beginners: the established routine being followed, run as published. "
            "starting_strength: +2.5 kg / 5 lb a session, deadlift +5 kg / 10 lb, 2 failures "
            "deload 10 %. bbr: 3x5 with the last set "
            "AMRAP; 15 total reps over the 3 sets is a success, the step doubles above 10 reps "
            "on the AMRAP set, fewer than 15 deloads 10 %. gzclp: the tier and stage are read "
            "from the logged target reps (T1 5x3+ -> 6x2+ -> 10x1+ at the same load, then 5x3+ "
            "at 85 %; T2 3x10 -> 3x8 -> 3x6, then 3x10 at the last successful 3x10 load + "
            "7.5 kg / 15 lb; T3 3x15+, more load when the last set reaches 25)."
        ),
    )


class PlateIn(StrictModel):
    """Plate weight with the number of pairs owned."""

    weight: float = Field(gt=0, le=100, description="Weight of one plate, in the profile's unit.")
    count: int | None = Field(
        strict=True, default=None, ge=1, le=50, description="Pairs owned; unlimited when omitted."
    )


PlateList = Annotated[
    list[PlateIn | Annotated[float, Field(gt=0, le=100)]],
    Field(
        max_length=30,
        description="Plate weights (each loaded in pairs), or `{weight, count}` objects.",
    ),
]


class EquipmentIn(StrictModel):
    """What the lifter can load; anything omitted falls back to the unit's usual steps."""

    bar: float | None = Field(default=None, ge=0, le=50, description="Barbell weight.")
    plates: PlateList | None = Field(
        default=None,
        description="Barbell plates: weights (each loaded in pairs) or `{weight, count}` objects, "
        "in the profile's unit; the unit's usual plates when omitted.",
    )
    dumbbells: list[Annotated[float, Field(gt=0, le=200)]] | None = Field(
        description="Dumbbell weights owned, in the profile's unit; the unit's usual steps when "
        "omitted.",
        default=None,
        max_length=200,
    )
    stack_step: float | None = Field(
        default=None, gt=0, le=50, description="Machine and cable stack increment."
    )
    belt_plates: PlateList | None = Field(
        default=None,
        description="Plates for a dip belt (weighted bodyweight lifts), in the profile's unit; "
        "the unit's usual plates when omitted.",
    )
    assist_step: float | None = Field(
        default=None, gt=0, le=50, description="Assisted machine increment."
    )


class SetIn(StrictModel):
    """One logged set: what was done and, when known, what was prescribed."""

    exercise: ExerciseSlug
    reps: int = Field(
        strict=True, ge=1, le=100, description="Reps completed (a logged set has at least one)."
    )
    load: Weight = Field(
        default=0.0, description="External load; added weight for bodyweight lifts."
    )
    assistance: Weight = Field(
        default=0.0, description="Assisted lifts: the assistance, as a positive number."
    )
    target_reps: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=100,
        description="The reps prescribed for this set, if any.",
    )
    target_range: RepRange | None = Field(
        default=None, description="The rep range prescribed for this set, if any."
    )
    target_rpe: Rpe | None = Field(
        default=None, description="The RPE prescribed for this set, if any."
    )
    rpe: Rpe | None = Field(
        default=None,
        description="Effort felt, as RPE (10 = nothing left); send this or `rir`, not both.",
    )
    rir: float | None = Field(
        default=None, ge=0, le=9, multiple_of=0.5, description="Reps in reserve (10 - RPE)."
    )
    is_amrap: bool = Field(
        default=False, strict=True, description="True when the set was as many reps as possible."
    )
    to_failure: bool = Field(
        default=False, strict=True, description="True when the set was taken to muscular failure."
    )
    form_ok: bool = Field(
        strict=True,
        default=True,
        description="False when form broke down; such a set never counts as a success.",
    )
    is_warmup: bool = Field(
        default=False,
        strict=True,
        description="True for a warm-up set: it never counts as a work or hard set.",
    )
    ladder_step: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=10,
        description=(
            "Bodyweight ladder rung (1 = easiest). Pull-ups have no rungs: 1 marks slow "
            "negatives (eccentric-only sets)."
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.target_range is not None:
            low, high = self.target_range
            if not 1 <= low <= high <= 100:
                msg = "target_range must be [low, high] with 1 <= low <= high <= 100"
                raise ValueError(msg)
            # Double progression gives each set its own target inside the range.
            if self.target_reps is not None and not low <= self.target_reps <= high:
                msg = "target_reps must lie within target_range"
                raise ValueError(msg)
        if self.rpe is not None and self.rir is not None and self.rpe + self.rir != 10:
            msg = "rpe and rir disagree (rir must be 10 - rpe); send one of them"
            raise ValueError(msg)
        return self


class SessionIn(StrictModel):
    """One training session: its date and the sets done, in order."""

    date: Day = Field(description=f"The day it was performed, {DAY_RANGE}.")
    sets: list[SetIn] = Field(
        min_length=1, max_length=200, description="The sets done, in order (1-200)."
    )


class FeedbackIn(StrictModel):
    """A weekly recovery check-in for one muscle group; each answer is 0-3, 3 worst."""

    muscle_group: str = Field(
        min_length=1,
        max_length=40,
        examples=["back"],
        description="The muscle group answered for, such as `back`.",
    )
    week_start: Day = Field(description=f"The first day of the week answered, {DAY_RANGE}.")
    soreness: int = Field(
        strict=True,
        default=0,
        ge=0,
        le=3,
        description="0 = never sore, 3 = still sore at the next session.",
    )
    performance: int = Field(
        strict=True,
        default=0,
        ge=0,
        le=3,
        description="0 = better than last week, 3 = clearly worse.",
    )
    pump: int = Field(
        strict=True,
        default=0,
        ge=0,
        le=3,
        description="0 = a strong pump, 3 = no pump at all; recorded, not used in decisions.",
    )
    joint_pain: int = Field(
        strict=True, default=0, ge=0, le=3, description="0 = none, 3 = pain that limited training."
    )


class PlanEntryIn(StrictModel):
    """An exercise the lifter intends to do this week."""

    exercise: ExerciseSlug
    sets: int = Field(strict=True, ge=1, le=20, description="Work sets per session.")
    reps: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=100,
        description="Reps per set, if a fixed target is planned.",
    )
    rep_range: RepRange | None = Field(
        default=None, description="Rep range per set, if a range is planned."
    )
    load: Weight | None = Field(default=None, description="Planned load, in the profile's unit.")
    times_per_week: int = Field(
        strict=True, default=1, ge=1, le=7, description="Sessions a week with this exercise."
    )
    day: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=7,
        description="Day of the training week it is planned for (1-7); null when unscheduled.",
    )


class PlanIn(StrictModel):
    """The exercises the lifter intends to do this week."""

    entries: list[PlanEntryIn] = Field(
        min_length=1, max_length=50, description="The planned exercises (1-50)."
    )


class VolumeOverrides(StrictModel):
    """Weekly volume settings; omitted values keep their defaults."""

    mev: float | None = Field(
        default=None, ge=0, le=60, description="Minimum effective weekly back sets (10)."
    )
    mav_low: float | None = Field(
        default=None, ge=0, le=60, description="Bottom of the adaptive weekly back-set range (14)."
    )
    mav_high: float | None = Field(
        default=None, ge=0, le=60, description="Top of the adaptive range (22)."
    )
    mrv: float | None = Field(
        default=None, ge=1, le=60, description="Maximum recoverable weekly back sets (25)."
    )
    hard_set_min_rpe: float | None = Field(
        default=None,
        ge=1,
        le=10,
        description="Lowest logged RPE at which a set counts as a hard set (6).",
    )
    secondary_credit: float | None = Field(
        default=None, ge=0, le=1, description="Share of a set credited to a secondary muscle (0.5)."
    )
    window_before_planned_day: bool | None = Field(
        strict=True,
        default=None,
        description="Weekly volume counts the 7 days before `today` (true, the default) or "
        "the 7 days ending with `today` (false).",
    )


class StallOverrides(StrictModel):
    """Stall detection settings; omitted values keep their defaults."""

    stall_exposures: int | None = Field(
        strict=True, default=None, ge=2, le=10, description="Exposures without progress (3)."
    )
    evaluation_window: int | None = Field(
        strict=True, default=None, ge=1, le=10, description="Exposures a modification runs (3)."
    )


class RpeOverrides(StrictModel):
    """RPE autoregulation settings; omitted values keep their defaults."""

    autoregulation_threshold: float | None = Field(
        default=None,
        ge=0.5,
        le=3,
        description="RPE points between logged and target effort before the load is adjusted (1).",
    )
    logged_default_target_rpe: float | None = Field(
        default=None,
        ge=5,
        le=10,
        description="Target RPE an intermediate's logged RPE/RIR is autoregulated against when "
        "no `target_rpe` was sent (8).",
    )
    clamp_down_pct: float | None = Field(
        default=None,
        ge=-0.5,
        le=0,
        description="Largest load decrease from one adjustment, as a negative fraction (-0.10 = "
        "10 % less).",
    )
    clamp_up_pct: float | None = Field(
        default=None,
        ge=0,
        le=0.5,
        description="Largest load increase from one adjustment, as a fraction (0.075 = 7.5 % "
        "more).",
    )


class DeloadOverrides(StrictModel):
    """Deload week and reset settings; omitted values keep their defaults."""

    set_factor: float | None = Field(
        default=None,
        ge=0.1,
        le=1,
        description="Share of the sets kept in a deload week, rounded up (0.5).",
    )
    load_factor: float | None = Field(
        default=None,
        ge=0.5,
        le=1,
        description="Share of the working load used in a deload week, rounded down (0.8).",
    )
    max_rpe: float | None = Field(
        default=None, ge=1, le=10, description="Highest target RPE in a deload week (6)."
    )
    reset_factor: float | None = Field(
        default=None,
        ge=0.5,
        le=1,
        description="Share of the pre-deload load the reset after a deload starts at (0.9).",
    )


class LinearOverrides(StrictModel):
    """Beginner linear progression settings; omitted values keep their defaults."""

    deload_factor: float | None = Field(
        default=None, ge=0.5, le=1, description="Beginner reset after failures (0.9)."
    )


class ModificationOverrides(StrictModel):
    """Settings for the modifications that break stalls; omitted values keep their defaults."""

    default_target_rpe: float | None = Field(
        default=None,
        ge=5,
        le=10,
        description="Target RPE of a modification when none was logged (8).",
    )
    max_sets_per_exercise_session: int | None = Field(
        strict=True,
        default=None,
        ge=2,
        le=12,
        description="Most sets a volume change gives one exercise (6).",
    )
    anchors: list[ExerciseSlug] | None = Field(
        default=None, max_length=5, description="Never rotated out."
    )


class RepRangeOverrides(StrictModel):
    """Rep caps for adding reps; omitted values keep their defaults."""

    rep_cap_barbell_compound: int | None = Field(
        strict=True,
        default=None,
        ge=5,
        le=30,
        description="Most reps a modification may prescribe for a barbell compound lift (12).",
    )
    rep_cap_other: int | None = Field(
        strict=True,
        default=None,
        ge=5,
        le=50,
        description="Most reps a modification may prescribe for other lifts (20).",
    )


class ConfigOverrides(StrictModel):
    """Defaults a caller may change; everything omitted keeps the documented default."""

    volume: VolumeOverrides | None = Field(default=None, description="Weekly volume settings.")
    stall: StallOverrides | None = Field(default=None, description="Stall detection settings.")
    rpe: RpeOverrides | None = Field(default=None, description="RPE autoregulation settings.")
    deload: DeloadOverrides | None = Field(
        default=None, description="Deload week and reset settings."
    )
    linear: LinearOverrides | None = Field(
        default=None, description="Beginner linear progression settings."
    )
    modifications: ModificationOverrides | None = Field(
        default=None, description="Settings for the modifications that break stalls."
    )
    rep_ranges: RepRangeOverrides | None = Field(
        default=None, description="Rep caps for adding reps."
    )


# The keys each model was given in its JSON object (duplicates collapsed), read per object by
# one C call: a history holds up to 5,000 sets.
_GIVEN = attrgetter("__pydantic_fields_set__")


def _keys_given(models: Iterable[BaseModel]) -> int:
    return sum(map(len, map(_GIVEN, models)))


class NextSessionRequest(StrictModel):
    """A lifter's profile, equipment and recent training; the answer is what to do next."""

    profile: ProfileIn = Field(description="Who is training.")
    equipment: EquipmentIn = Field(
        default_factory=EquipmentIn,
        description="What can be loaded; the unit's usual steps when omitted.",
    )
    history: list[SessionIn] = Field(
        default_factory=list,
        max_length=MAX_SESSIONS,
        description="Logged sessions from the last year (at most 1,000 sessions and 5,000 sets).",
    )
    feedback: list[FeedbackIn] = Field(
        default_factory=list,
        max_length=100,
        description="Weekly recovery check-ins per muscle group (at most 100).",
    )
    plan: PlanIn | None = Field(
        default=None,
        description="This week's planned exercises; when omitted the engine works from the "
        "history.",
    )
    today: Day | None = Field(
        default=None,
        description=f"The day to plan for, {DAY_RANGE}; the server's date (UTC) when omitted.",
    )
    config: ConfigOverrides | None = Field(
        default=None, description="Changes to the engine's defaults; omitted sections keep them."
    )
    state: EngineState | None = Field(
        default=None,
        description="Optional shortcut: the `plan.state` of an earlier answer, sent back "
        "unchanged, so only the sessions after its `as_of` are replayed. Without it the engine "
        "rebuilds the same state from the history (the logged targets, sets, `to_failure` and "
        "ladder steps).",
    )

    def check_dates(self, today: date) -> list[tuple[tuple[str | int, ...], str]]:
        """Problems with dates and sizes relative to ``today``, as (location, message)."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, session in enumerate(self.history):
            if session.date > today:
                problems.append(
                    (("history", index, "date"), f"{session.date} is after today ({today})")
                )
            if session.date < today - timedelta(days=MAX_HISTORY_DAYS):
                problems.append(
                    (
                        ("history", index, "date"),
                        (
                            f"{session.date} is more than a year before today ({today}); "
                            "send at most a year"
                        ),
                    )
                )
        for index, item in enumerate(self.feedback):
            if item.week_start > today:
                problems.append(
                    (
                        ("feedback", index, "week_start"),
                        f"{item.week_start} is after today ({today})",
                    )
                )
        total_sets = sum(len(session.sets) for session in self.history)
        if total_sets > MAX_HISTORY_SETS:
            problems.append((("history",), f"{total_sets} sets; send at most {MAX_HISTORY_SETS}"))
        return problems

    def slugs(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every exercise slug with where it appears."""
        found: list[tuple[tuple[str | int, ...], str]] = [
            (("history", i, "sets", j, "exercise"), s.exercise)
            for i, session in enumerate(self.history)
            for j, s in enumerate(session.sets)
        ]
        if self.plan is not None:
            found += [
                (("plan", "entries", i, "exercise"), e.exercise)
                for i, e in enumerate(self.plan.entries)
            ]
        if self.config and self.config.modifications and self.config.modifications.anchors:
            found += [
                (("config", "modifications", "anchors", i), a)
                for i, a in enumerate(self.config.modifications.anchors)
            ]
        return found

    def keys_given(self) -> int:
        """How many keys the JSON objects that became this request's models held, duplicates
        counted once. The echoed `state` (frozen dataclasses, which keep no such record) is
        left out, so for a body with a `state` this is less than the body's keys."""
        equipment = self.equipment
        plates = [*(equipment.plates or ()), *(equipment.belt_plates or ())]
        config = self.config
        sections = (
            [v for name in ConfigOverrides.model_fields if (v := getattr(config, name)) is not None]
            if config is not None
            else []
        )
        return (
            _keys_given((self, self.profile, equipment))
            + _keys_given(p for p in plates if isinstance(p, PlateIn))
            + _keys_given(self.history)
            + sum(_keys_given(session.sets) for session in self.history)
            + _keys_given(self.feedback)
            + (_keys_given((self.plan, *self.plan.entries)) if self.plan is not None else 0)
            + (_keys_given((config, *sections)) if config is not None else 0)
        )


# The whitespace JSON allows between tokens, which may stand between a key and its colon.
_JSON_SPACE = b" \t\n\r"


def _key_ends(raw: bytes) -> int:
    """An upper bound on the number of keys in the JSON text ``raw``: the places where a quote
    is followed by a colon once whitespace is dropped. Each key ends at one such place; text
    inside string values can only add more. Two C passes, no regular expression."""
    return raw.translate(None, _JSON_SPACE).count(b'":')


def read_next_session(raw: bytes) -> NextSessionRequest | None:
    """``raw`` validated straight from its bytes by pydantic's own JSON parser, or None when
    that reading might not be the strict one (``app.bodies.strict_loads``), which then decides.

    pydantic's parser is several times faster than the standard library's with the strict
    reader's hooks, but keeps the last of duplicate keys and takes `NaN` for a number. So its
    answer is taken only when the text cannot have held a duplicate key: the text has no
    more places where a key can end than the models have keys (each key of the text ends at
    one such place, and a duplicate key leaves the models one key short). `NaN` and the
    infinities never pass: every number of the request is bounded, the echoed `state` aside,
    and a body with a `state` goes to the strict reader (its keys are not counted). Anything
    else the strict reader refuses (byte order marks, other encodings, lone surrogates) makes
    pydantic's parser fail too, and a body that fails is read again strictly, so every
    refusal is the one it always was."""
    if b'"state"' in raw:
        return None  # uncountable keys: the strict reader would be needed anyway
    try:
        body = NextSessionRequest.model_validate_json(raw)
    except ValidationError:
        return None
    return body if _key_ends(raw) == body.keys_given() else None
