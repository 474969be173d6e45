"""The lifters the simulator runs: who they are, what they own, their week and their strengths.

Every archetype starts the way a real client would: a routine's first sessions written down
(sets, reps and a starting load), then it follows whatever the recommender answers. Strengths are
1RMs in system load (see `app.simulation.lifter`); exercises the engine adds later get a strength
from `FALLBACK_RATIOS` (a multiple of bodyweight) so an added row is as strong as a lifter of that
kind would be.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.recommender import (
    Equipment,
    Experience,
    Pattern,
    PlateStock,
    Prescription,
    Profile,
    RoutineProfile,
    Unit,
)
from app.simulation.lifter import LifterProfile

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(6)
MON_WED_FRI = (MONDAY, WEDNESDAY, FRIDAY)


@dataclass(frozen=True, slots=True)
class Slot:
    """One exercise of a training day, with the prescription of its first session.

    `amrap_last` marks routines whose last set is always "as many as possible" (5+), which the
    lifter logs as such whatever the recommender prescribes.
    """

    exercise: str
    start: Prescription
    amrap_last: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackRule:
    """A weekly recovery answer (spec 2 feedback) the lifter gives from `from_week` on."""

    group: str
    soreness: int
    performance: int
    from_week: int = 0


@dataclass(frozen=True, slots=True)
class Archetype:
    name: str
    description: str
    profile: Profile
    equipment: Equipment
    weekdays: tuple[int, ...]
    days: tuple[tuple[Slot, ...], ...]
    one_rms: Mapping[str, float]
    ceiling_factor: float
    lifter: LifterProfile = field(default_factory=LifterProfile)
    strength_scale: float = 1.0
    logs_rpe: bool = True
    feedback: tuple[FeedbackRule, ...] = ()

    @property
    def bodyweight(self) -> float:
        return self.profile.bodyweight or 0.0


# 1RM (system load) as a multiple of bodyweight for a lifter of strength_scale 1.0: an untrained
# adult a few weeks in. Used only for exercises an archetype does not list.
FALLBACK_RATIOS: Mapping[str, float] = MappingProxyType(
    {
        "deadlift": 1.2,
        "romanian-deadlift": 0.9,
        "rack-pull": 1.4,
        "good-morning": 0.5,
        "back-squat": 1.0,
        "bench-press": 0.75,
        "overhead-press": 0.5,
        "incline-dumbbell-press": 0.25,
        "barbell-bent-over-row": 0.65,
        "pendlay-row": 0.6,
        "t-bar-row": 0.6,
        "one-arm-dumbbell-row": 0.3,
        "seated-cable-row": 0.7,
        "lat-pulldown": 0.7,
        "straight-arm-pulldown": 0.3,
        "face-pull": 0.25,
        "rear-delt-fly": 0.1,
        "barbell-shrug": 1.0,
        "biceps-curl": 0.15,
        "dumbbell-pullover": 0.3,
    }
)
# Bodyweight lifts: 1RM of the system load (bodyweight share +/- external load).
FALLBACK_BODYWEIGHT_RATIO = 1.35  # about 10 reps at the bodyweight share
FALLBACK_BY_PATTERN: Mapping[Pattern, float] = MappingProxyType(
    {
        Pattern.HINGE: 1.0,
        Pattern.SQUAT: 1.0,
        Pattern.HORIZONTAL_PULL: 0.6,
        Pattern.VERTICAL_PULL: 0.6,
        Pattern.HORIZONTAL_PUSH: 0.6,
        Pattern.VERTICAL_PUSH: 0.4,
        Pattern.BACK_EXTENSION: 0.6,
        Pattern.ISOLATION: 0.2,
    }
)

# --------------------------------------------------------------------------------------------
# Equipment a home or commercial gym really has

KG_GYM = Equipment(
    bar=20.0,
    plates=(
        PlateStock(25, 4),
        PlateStock(20, 1),
        PlateStock(15, 1),
        PlateStock(10, 2),
        PlateStock(5, 2),
        PlateStock(2.5, 2),
        PlateStock(1.25, 1),
    ),
    dumbbells=tuple(2.5 * i for i in range(1, 17)),
    stack_step=5.0,
    belt_plates=(PlateStock(1.25, 2), PlateStock(2.5, 2), PlateStock(5, 2), PlateStock(10, 2)),
    assist_step=5.0,
)
LB_GYM = Equipment(
    bar=45.0,
    plates=(
        PlateStock(45, 4),
        PlateStock(35, 1),
        PlateStock(25, 2),
        PlateStock(10, 2),
        PlateStock(5, 2),
        PlateStock(2.5, 2),
    ),
    dumbbells=tuple(5.0 * i for i in range(1, 21)),
    stack_step=10.0,
    belt_plates=(PlateStock(2.5, 2), PlateStock(5, 2), PlateStock(10, 2), PlateStock(25, 2)),
    assist_step=10.0,
)


def fixed(sets: int, reps: int, load: float = 0.0) -> Prescription:
    return Prescription(sets=sets, reps=reps, load=load)


def ranged(sets: int, lo: int, hi: int, load: float | None = None) -> Prescription:
    """A double-progression start; no load means the lifter picks one at about RPE 8."""
    return Prescription(sets=sets, rep_range=(lo, hi), load=load, target_rpe=8.0)


def _beginner(routine: RoutineProfile, unit: Unit, bodyweight: float) -> Profile:
    return Profile(
        experience=Experience.BEGINNER, unit=unit, bodyweight=bodyweight, routine_profile=routine
    )


def _intermediate(bodyweight: float) -> Profile:
    return Profile(experience=Experience.INTERMEDIATE, unit=Unit.KG, bodyweight=bodyweight)


_BEGINNER_LIFTER = LifterProfile(growth_rate=0.03)
_INTERMEDIATE_LIFTER = LifterProfile(growth_rate=0.02)


def _stronglifts(
    unit: Unit,
    bodyweight: float,
    equipment: Equipment,
    one_rms: Mapping[str, float],
    starts: Mapping[str, float],
    description: str,
) -> Archetype:
    """StrongLifts 5x5 (A: squat, bench, row; B: squat, press, deadlift 1x5), pull-ups 3x5 at
    bodyweight every session, Monday/Wednesday/Friday."""

    def slot(slug: str, sets: int = 5) -> Slot:
        return Slot(slug, fixed(sets, 5, starts.get(slug, 0.0)))

    return Archetype(
        name=f"stronglifts-{unit.value}",
        description=description,
        profile=_beginner(RoutineProfile.STRONGLIFTS, unit, bodyweight),
        equipment=equipment,
        weekdays=MON_WED_FRI,
        days=(
            (
                slot("back-squat"),
                slot("bench-press"),
                slot("barbell-bent-over-row"),
                slot("pull-up", 3),
            ),
            (slot("back-squat"), slot("overhead-press"), slot("deadlift", 1), slot("pull-up", 3)),
        ),
        one_rms=MappingProxyType(dict(one_rms)),
        ceiling_factor=1.6,
        lifter=_BEGINNER_LIFTER,
    )


_SL_LIFTS = ("back-squat", "bench-press", "barbell-bent-over-row", "overhead-press", "deadlift")
# Pull-up: 80 kg system 1RM against 76 kg moved, about 2 reps at bodyweight.
STRONGLIFTS_KG = _stronglifts(
    Unit.KG,
    80.0,
    KG_GYM,
    {**dict(zip(_SL_LIFTS, (80, 55, 55, 37, 100), strict=True)), "pull-up": 80},
    dict(zip(_SL_LIFTS, (40, 30, 30, 20, 50), strict=True)),
    "StrongLifts 5x5 beginner (kg) who cannot yet do 3 pull-ups at bodyweight",
)
# Pull-up: 204 lb system 1RM against 171 lb moved, about 6 reps at bodyweight.
STRONGLIFTS_LB = _stronglifts(
    Unit.LB,
    180.0,
    LB_GYM,
    {**dict(zip(_SL_LIFTS, (185, 125, 125, 85, 225), strict=True)), "pull-up": 204},
    dict(zip(_SL_LIFTS, (95, 75, 75, 45, 135), strict=True)),
    "StrongLifts 5x5 beginner in pounds (45 lb bar, lb plates) who does pull-ups",
)

STARTING_STRENGTH = Archetype(
    name="starting-strength",
    description="Starting Strength novice: squat every session, press/bench and deadlift A/B",
    profile=_beginner(RoutineProfile.STARTING_STRENGTH, Unit.KG, 75.0),
    equipment=KG_GYM,
    weekdays=MON_WED_FRI,
    days=(
        (
            Slot("back-squat", fixed(3, 5, 40)),
            Slot("overhead-press", fixed(3, 5, 25)),
            Slot("deadlift", fixed(1, 5, 60)),
        ),
        (
            Slot("back-squat", fixed(3, 5, 40)),
            Slot("bench-press", fixed(3, 5, 35)),
            Slot("deadlift", fixed(1, 5, 60)),
            Slot("chin-up", fixed(3, 5)),
        ),
    ),
    one_rms=MappingProxyType(
        {
            "back-squat": 75,
            "overhead-press": 40,
            "deadlift": 95,
            "bench-press": 55,
            "chin-up": 85,
        }
    ),
    ceiling_factor=1.6,
    lifter=_BEGINNER_LIFTER,
)

GZCLP = Archetype(
    name="gzclp",
    description="GZCLP beginner: T1 5x3+, T2 3x10, T3 3x15+ over A1 B1 A2 B2",
    profile=_beginner(RoutineProfile.GZCLP, Unit.KG, 78.0),
    equipment=KG_GYM,
    weekdays=MON_WED_FRI,
    days=(
        (
            Slot("back-squat", fixed(5, 3, 60), amrap_last=True),
            Slot("bench-press", fixed(3, 10, 35)),
            Slot("lat-pulldown", fixed(3, 15, 30), amrap_last=True),
        ),
        (
            Slot("overhead-press", fixed(5, 3, 30), amrap_last=True),
            Slot("deadlift", fixed(3, 10, 50)),
            Slot("one-arm-dumbbell-row", fixed(3, 15, 12.5), amrap_last=True),
        ),
        (
            Slot("bench-press", fixed(5, 3, 45), amrap_last=True),
            Slot("back-squat", fixed(3, 10, 45)),
            Slot("lat-pulldown", fixed(3, 15, 30), amrap_last=True),
        ),
        (
            Slot("deadlift", fixed(5, 3, 75), amrap_last=True),
            Slot("overhead-press", fixed(3, 10, 22.5)),
            Slot("one-arm-dumbbell-row", fixed(3, 15, 12.5), amrap_last=True),
        ),
    ),
    one_rms=MappingProxyType(
        {
            "back-squat": 80,
            "bench-press": 60,
            "lat-pulldown": 60,
            "overhead-press": 40,
            "deadlift": 100,
            "one-arm-dumbbell-row": 27.5,
        }
    ),
    ceiling_factor=1.5,
    lifter=_BEGINNER_LIFTER,
)

BASIC_BEGINNER_ROUTINE = Archetype(
    name="bbr",
    description="r/Fitness Basic Beginner Routine: 3x5+ (last set AMRAP), A/B alternation",
    profile=_beginner(RoutineProfile.BBR, Unit.KG, 70.0),
    equipment=KG_GYM,
    weekdays=MON_WED_FRI,
    days=(
        (
            Slot("barbell-bent-over-row", fixed(3, 5, 30), amrap_last=True),
            Slot("bench-press", fixed(3, 5, 30), amrap_last=True),
            Slot("back-squat", fixed(3, 5, 40), amrap_last=True),
        ),
        (
            Slot("chin-up", fixed(3, 5), amrap_last=True),
            Slot("overhead-press", fixed(3, 5, 20), amrap_last=True),
            Slot("deadlift", fixed(1, 5, 50), amrap_last=True),
        ),
    ),
    one_rms=MappingProxyType(
        {
            "barbell-bent-over-row": 50,
            "bench-press": 50,
            "back-squat": 70,
            "chin-up": 80,
            "overhead-press": 32,
            "deadlift": 90,
        }
    ),
    ceiling_factor=1.5,
    lifter=_BEGINNER_LIFTER,
)

INTERMEDIATE_PLATEAU = Archetype(
    name="intermediate-plateau",
    description="Intermediate on double progression, upper/lower four days, near his ceiling",
    profile=_intermediate(85.0),
    equipment=KG_GYM,
    weekdays=(MONDAY, TUESDAY, THURSDAY, FRIDAY),
    days=(
        (
            Slot("bench-press", ranged(3, 5, 8)),
            Slot("barbell-bent-over-row", ranged(3, 8, 12)),
            Slot("weighted-pull-up", ranged(3, 5, 8, 5.0)),
        ),
        (
            Slot("back-squat", ranged(3, 3, 6)),
            Slot("deadlift", ranged(2, 3, 6)),
        ),
        (
            Slot("overhead-press", ranged(3, 5, 8)),
            Slot("lat-pulldown", ranged(3, 8, 12)),
            Slot("chin-up", ranged(3, 5, 8)),
        ),
        (
            Slot("back-squat", ranged(3, 3, 6)),
            Slot("romanian-deadlift", ranged(3, 6, 10)),
        ),
    ),
    one_rms=MappingProxyType(
        {
            "bench-press": 100,
            "barbell-bent-over-row": 90,
            "weighted-pull-up": 110,
            "back-squat": 140,
            "deadlift": 170,
            "overhead-press": 62,
            "lat-pulldown": 85,
            "chin-up": 110,
            "romanian-deadlift": 120,
        }
    ),
    ceiling_factor=1.03,
    lifter=_INTERMEDIATE_LIFTER,
    strength_scale=1.5,
)

PRESSING_HEAVY = Archetype(
    name="pressing-heavy",
    description="Intermediate who presses a lot (bench, overhead, incline, dips) and rarely pulls",
    profile=_intermediate(82.0),
    equipment=KG_GYM,
    weekdays=MON_WED_FRI,
    days=(
        (
            Slot("bench-press", ranged(4, 5, 8)),
            Slot("incline-dumbbell-press", ranged(3, 8, 12)),
            Slot("dip", ranged(3, 6, 12)),
            Slot("lat-pulldown", ranged(2, 8, 12)),
        ),
        (
            Slot("overhead-press", ranged(4, 5, 8)),
            Slot("bench-press", ranged(3, 5, 8)),
            Slot("incline-dumbbell-press", ranged(3, 8, 12)),
        ),
    ),
    one_rms=MappingProxyType(
        {
            "bench-press": 105,
            "incline-dumbbell-press": 36,
            "dip": 105,
            "lat-pulldown": 70,
            "overhead-press": 62,
        }
    ),
    ceiling_factor=1.12,
    lifter=_INTERMEDIATE_LIFTER,
    strength_scale=1.3,
)

SORE_BACK_DAY = Archetype(
    name="soreness-3",
    description="Intermediate with a Thursday back day who reports back soreness 3, performance 3",
    profile=_intermediate(80.0),
    equipment=KG_GYM,
    weekdays=(MONDAY, THURSDAY, SATURDAY),
    days=(
        (
            Slot("bench-press", ranged(3, 5, 8)),
            Slot("overhead-press", ranged(3, 5, 8)),
        ),
        (
            Slot("deadlift", ranged(2, 3, 6)),
            Slot("pull-up", fixed(3, 8)),
            Slot("barbell-bent-over-row", ranged(3, 8, 12)),
            Slot("seated-cable-row", ranged(3, 8, 12)),
        ),
        (Slot("back-squat", ranged(3, 3, 6)),),
    ),
    one_rms=MappingProxyType(
        {
            "bench-press": 95,
            "overhead-press": 60,
            "deadlift": 160,
            "pull-up": 100,
            "barbell-bent-over-row": 85,
            "seated-cable-row": 80,
            "back-squat": 130,
        }
    ),
    ceiling_factor=1.1,
    lifter=_INTERMEDIATE_LIFTER,
    strength_scale=1.4,
    feedback=(FeedbackRule("back", soreness=3, performance=3, from_week=2),),
)

ARCHETYPES: Mapping[str, Archetype] = MappingProxyType(
    {
        a.name: a
        for a in (
            STRONGLIFTS_KG,
            STRONGLIFTS_LB,
            INTERMEDIATE_PLATEAU,
            PRESSING_HEAVY,
            SORE_BACK_DAY,
            STARTING_STRENGTH,
            GZCLP,
            BASIC_BEGINNER_ROUTINE,
        )
    }
)
