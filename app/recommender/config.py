"""Every default of the recommender, as one typed and overridable configuration.

Callers override any value with `dataclasses.replace`, for example
`replace(DEFAULT_CONFIG, volume=replace(DEFAULT_CONFIG.volume, mrv=22))`.
"""

from dataclasses import dataclass, field

from app.recommender.enums import Loading, Pattern, RoutineProfile, Unit


@dataclass(frozen=True, slots=True)
class UnitAmount:
    """A load step expressed in both units, because lb gyms do not stock kg-sized plates."""

    kg: float
    lb: float

    def for_unit(self, unit: Unit) -> float:
        return self.kg if unit is Unit.KG else self.lb


@dataclass(frozen=True, slots=True)
class LinearProfile:
    """One beginner routine's linear-progression constants (spec 5.1)."""

    upper_step: UnitAmount
    lower_step: UnitAmount
    deadlift_step: UnitAmount
    failure_limit: int
    amrap_double_above: int | None = None
    # BBR's rule: the session succeeds when the work sets' total reps reach the sum of their
    # targets (3x5 -> 15 total, so 5/4/7 = 16 succeeds); otherwise every set must reach its target.
    total_reps_success: bool = False


_KG25 = UnitAmount(2.5, 5.0)
_KG5 = UnitAmount(5.0, 10.0)


@dataclass(frozen=True, slots=True)
class LinearProgressionConfig:
    stronglifts: LinearProfile = LinearProfile(_KG25, _KG25, _KG5, failure_limit=3)
    # Starting Strength as published: the deadlift climbs faster early (+5 kg / 10 lb a session),
    # the other main lifts +2.5 kg / 5 lb (the spec's v1 table had +2.5 kg for the deadlift too).
    starting_strength: LinearProfile = LinearProfile(_KG25, _KG25, _KG5, failure_limit=2)
    bbr: LinearProfile = LinearProfile(
        UnitAmount(1.25, 2.5),
        _KG25,
        _KG25,
        failure_limit=1,
        amrap_double_above=10,
        total_reps_success=True,
    )
    ppl: LinearProfile = LinearProfile(_KG25, _KG25, _KG5, failure_limit=3)
    # GZCLP's per-session steps for T1 and T2 (+2.5 kg upper, +5 kg lower); its failure stages
    # and resets are `GzclpConfig` (routines.py), so `failure_limit` is not used for it.
    gzclp: LinearProfile = LinearProfile(_KG25, _KG5, _KG5, failure_limit=1)
    deload_factor: float = 0.90
    deadlift_slugs: tuple[str, ...] = ("deadlift",)

    def for_profile(self, profile: RoutineProfile) -> LinearProfile:
        by_name: dict[RoutineProfile, LinearProfile] = {
            RoutineProfile.STRONGLIFTS: self.stronglifts,
            RoutineProfile.STARTING_STRENGTH: self.starting_strength,
            RoutineProfile.BBR: self.bbr,
            RoutineProfile.PPL: self.ppl,
            RoutineProfile.GZCLP: self.gzclp,
        }
        return by_name[profile]


@dataclass(frozen=True, slots=True)
class RepRangeConfig:
    """Default double-progression rep ranges (spec 5.2) when neither log nor catalog has one."""

    back_compound: tuple[int, int] = (8, 12)
    back_compound_alt: tuple[int, int] = (6, 10)
    weighted_pull_up: tuple[int, int] = (5, 8)
    deadlift: tuple[int, int] = (3, 6)
    other: tuple[int, int] = (8, 12)
    isolation: tuple[int, int] = (10, 15)
    rep_cap_barbell_compound: int = 12
    rep_cap_other: int = 20


@dataclass(frozen=True, slots=True)
class StallConfig:
    stall_exposures: int = 3
    evaluation_window: int = 3
    trend_min_exposures: int = 4
    trend_max_exposures: int = 6
    regression_exposures: int = 4
    progressing_pct_per_week: float = 0.5
    regressing_pct_per_week: float = -1.0
    regression_missed_exposures: int = 2
    # Spec 6 "or e1RM progress": an exposure whose e1RM beats the best one by more than this
    # fraction is progress even when its key does not (same reps at a lower RPE).
    e1rm_progress_min_pct: float = 0.0


# Renaissance Periodization's set-progression table: rows are soreness 0-3, columns performance
# 0-3 (0 = better than last week, 3 = clearly worse); the value is how many sets may be added.
_RP_TABLE: tuple[tuple[int, ...], ...] = (
    (2, 1, 0, -1),
    (1, 1, 0, -1),
    (0, 0, 0, -1),
    (-1, -1, -1, -1),
)


@dataclass(frozen=True, slots=True)
class RecoveryConfig:
    red_flag_soreness: int = 3
    red_flag_performance: int = 3
    red_flag_joint_pain: int = 2
    rp_table: tuple[tuple[int, ...], ...] = _RP_TABLE
    feedback_max_age_days: int = 14


_BACK_MUSCLES = (
    "latissimus-dorsi",
    "trapezius",
    "trapezius-upper",
    "trapezius-middle",
    "trapezius-lower",
    "rhomboids",
    "rhomboid-major",
    "rhomboid-minor",
    "teres-major",
    "teres-minor",
    "infraspinatus",
    "posterior-deltoid",
    "levator-scapulae",
)
_ERECTOR_MUSCLES = (
    "erector-spinae",
    "iliocostalis",
    "longissimus",
    "spinalis",
    "multifidus",
    "quadratus-lumborum",
)

BACK_GROUP = "back"
ERECTORS_GROUP = "erectors"
CHEST_GROUP = "chest"
FRONT_DELTS_GROUP = "front-delts"


def _default_muscle_groups() -> tuple[tuple[str, str], ...]:
    pairs = [(m, BACK_GROUP) for m in _BACK_MUSCLES]
    pairs += [(m, ERECTORS_GROUP) for m in _ERECTOR_MUSCLES]
    pairs += [
        ("pectoralis-major", CHEST_GROUP),
        # The heads the content names separately (the pullover is a sternal-head lift).
        ("pectoralis-major-clavicular", CHEST_GROUP),
        ("pectoralis-major-sternal", CHEST_GROUP),
        ("pectoralis-minor", CHEST_GROUP),
        ("anterior-deltoid", FRONT_DELTS_GROUP),
    ]
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class VolumeConfig:
    """Weekly hard-set landmarks (Renaissance Periodization) and crediting rules (spec 9)."""

    mev: float = 10.0
    mav_low: float = 14.0
    mav_high: float = 22.0
    mrv: float = 25.0
    beginner_low: float = 8.0
    beginner_high: float = 14.0
    primary_credit: float = 1.0
    secondary_credit: float = 0.5
    hard_set_min_rpe: float = 6.0
    mrv_set_cut: float = 0.20
    # The week is the `window_days` before the planned day (today), [today - 7, today), so the
    # same weekday last week counts; when a session is already logged today, the next session
    # is later and the week is the one ending with today's session. False restores the
    # original (today - 7, today].
    window_days: int = 7
    window_before_planned_day: bool = True
    # Muscles not listed map to a group named after themselves.
    muscle_groups: tuple[tuple[str, str], ...] = field(default_factory=_default_muscle_groups)
    # (exercise slug, group, credit) replacing the computed credit.
    credit_overrides: tuple[tuple[str, str, float], ...] = (
        ("deadlift", BACK_GROUP, 0.5),
        ("deadlift", ERECTORS_GROUP, 1.0),
        ("hyperextension", ERECTORS_GROUP, 1.0),
    )
    front_groups: tuple[str, ...] = (CHEST_GROUP, FRONT_DELTS_GROUP)
    landmark_groups: tuple[str, ...] = (BACK_GROUP,)


@dataclass(frozen=True, slots=True)
class ModificationConfig:
    """The one-at-a-time arbiter's thresholds (spec 6)."""

    add_sets_b_exercise_sets: int = 5
    # No volume change (ADD_SETS a, the balance fix) takes an exercise past this many sets in a
    # session; when every back exercise is there, the balance fix adds a new pull instead.
    max_sets_per_exercise_session: int = 6
    # An added exercise starts at this share of what the related exercise's e1RM allows for the
    # added exercise's bottom reps at the target RPE (a new movement starts conservatively);
    # a dumbbell exercise derived from a non-dumbbell one is per hand, half again.
    added_exercise_load_factor: float = 0.80
    added_dumbbell_share: float = 0.5
    # Without a related e1RM, a loaded pull starts at this share of bodyweight (dumbbell: per
    # hand), else at the lightest loadable weight; bodyweight pulls start unloaded.
    added_default_bodyweight_share: float = 0.4
    added_default_dumbbell_bodyweight_share: float = 0.15
    add_sets_b_session_group_sets: float = 8.0
    added_exercise_sets: int = 2
    load_up_max_increment_pct: float = 0.10
    load_up_max_rpe: float = 9.0
    failure_max_rpe: float = 9.5
    # Variant b ("closer to failure") is chosen only when the last logged RPE leaves this much room.
    variant_b_max_rpe: float = 8.0
    default_target_rpe: float = 8.0
    anchors: tuple[str, ...] = ("deadlift", "pull-up")


# The RTS chart read on its diagonal, in half RPE steps from 1 rep at RPE 10.
RTS_CURVE: tuple[float, ...] = (
    100.0,
    97.8,
    95.5,
    93.9,
    92.2,
    90.7,
    89.2,
    87.8,
    86.3,
    85.0,
    83.7,
    82.4,
    81.1,
    79.9,
    78.6,
    77.4,
    76.2,
    75.1,
    73.9,
    72.3,
    70.7,
    69.4,
    68.0,
    66.7,
    65.3,
    64.0,
    62.6,
    61.3,
    59.9,
    58.6,
)


@dataclass(frozen=True, slots=True)
class RpeConfig:
    curve: tuple[float, ...] = RTS_CURVE
    max_reps: int = 12
    min_rpe: float = 6.5
    autoregulation_threshold: float = 1.0
    clamp_down_pct: float = -0.10
    clamp_up_pct: float = 0.075
    single_step_max_rpe: float = 6.0
    high_effort_max_rir: float = 1.0
    # Spec 4 turns RPE loading on for intermediates "when RPE/RIR is logged": a set logged with
    # an RPE or RIR but no target RPE is autoregulated against this target (None: only sent
    # targets autoregulate, the behaviour before issue 8).
    logged_default_target_rpe: float | None = 8.0


@dataclass(frozen=True, slots=True)
class DeloadConfig:
    """Deload week and reset (spec 7), from the pre-deload working load (issue 8)."""

    set_factor: float = 0.5
    load_factor: float = 0.80
    max_rpe: float = 6.0
    week_days: int = 7
    reset_factor: float = 0.90
    # The pre-deload working load is the heaviest load completed in this many days before the
    # deload opens, so deload-week and reset loads never become the next deload's base.
    base_lookback_days: int = 42
    # Bodyweight lifts deload their reps (sets are halved as for loaded lifts).
    bodyweight_rep_factor: float = 0.7
    # The reset is autoregulated from its first session (no weeks at RPE < 5).
    reset_target_rpe: float = 8.0
    # After the reset, sets climb back to the pre-deload count, this many per exposure, for
    # at most `ramp_days`.
    ramp_sets_per_exposure: int = 1
    ramp_days: int = 21


@dataclass(frozen=True, slots=True)
class LadderConfig:
    """Bodyweight ladders (spec 11)."""

    sets: int = 3
    pull_up_min_reps: int = 3
    assisted_reps: int = 8
    bodyweight_range: tuple[int, int] = (5, 8)
    belt_step: UnitAmount = _KG25
    assist_to_bodyweight_pct: float = 0.10
    initial_assist_pct: float = 0.25
    fallback_initial_assist: UnitAmount = UnitAmount(20.0, 45.0)
    row_range: tuple[int, int] = (8, 12)
    row_beginner_range: tuple[int, int] = (5, 8)
    row_load_step: UnitAmount = _KG25
    back_extension_range: tuple[int, int] = (12, 12)
    back_extension_load_step: UnitAmount = _KG25
    bodyweight_rep_cap: int = 20
    # A stalled pull-up rung changes scheme instead of repeating (routines.pull_up_scheme):
    # after `stall_sessions` sessions at the same scheme without a new best total, the order is
    # (1) more assistance with more reps, (2) slow negatives, (3) a step down to inverted rows.
    stall_sessions: int = 3
    stall_extra_assist_steps: int = 1
    stall_volume_reps: int = 10
    negative_sets: int = 3
    negative_reps: int = 5
    # The ladder step a client logs negatives with (pull-ups have no rungs of their own).
    negative_ladder_step: int = 1
    step_down_exercise: str = "inverted-row"


@dataclass(frozen=True, slots=True)
class GzclpConfig:
    """GZCLP as published (Cody Lefever): tiers, their failure stages and resets (routines.py).

    A lift's tier and stage are read from the logged targets: target reps 3/2/1 are T1's
    5x3+ / 6x2+ / 10x1+, 10/8/6 are T2's 3x10 / 3x8 / 3x6, 15 is T3's 3x15+. A lift logged
    without one of these targets gets its tier from `t1_slugs` (main lifts), `t3_patterns` and
    `t3_loadings` (accessories); everything else is T2.
    """

    t1_stages: tuple[tuple[int, int], ...] = ((5, 3), (6, 2), (10, 1))
    t2_stages: tuple[tuple[int, int], ...] = ((3, 10), (3, 8), (3, 6))
    t3_scheme: tuple[int, int] = (3, 15)
    t3_amrap_reps: int = 25
    # After the last T1 stage fails: a new 5x3 at 85 % of the failed load, rounded down.
    t1_reset_factor: float = 0.85
    # After 3x6 fails: 3x10 at the last successful 3x10 load plus this (published: 15-20 lb).
    t2_reset_increment: UnitAmount = UnitAmount(7.5, 15.0)
    t1_slugs: tuple[str, ...] = (
        "back-squat",
        "squat",
        "front-squat",
        "bench-press",
        "deadlift",
        "overhead-press",
    )
    t3_patterns: tuple[Pattern, ...] = (Pattern.ISOLATION,)
    t3_loadings: tuple[Loading, ...] = (Loading.CABLE, Loading.MACHINE, Loading.DUMBBELL)


@dataclass(frozen=True, slots=True)
class RoundingConfig:
    coarse_increment_pct: float = 0.10
    rep_bridge_extra_reps: int = 3


@dataclass(frozen=True, slots=True)
class UnitEquipment:
    """What a typical gym stocks, used when the lifter did not describe their equipment."""

    bar: float
    plates: tuple[float, ...]
    dumbbells: tuple[float, ...]
    stack_step: float
    belt_plates: tuple[float, ...]
    assist_step: float


@dataclass(frozen=True, slots=True)
class EquipmentDefaults:
    kg: UnitEquipment = UnitEquipment(
        bar=20.0,
        plates=(25.0, 20.0, 15.0, 10.0, 5.0, 2.5, 1.25),
        dumbbells=tuple(2.5 * i for i in range(1, 25)),
        stack_step=5.0,
        belt_plates=(1.25, 2.5, 5.0, 10.0, 20.0),
        assist_step=2.5,
    )
    lb: UnitEquipment = UnitEquipment(
        bar=45.0,
        plates=(45.0, 35.0, 25.0, 10.0, 5.0, 2.5),
        dumbbells=tuple(5.0 * i for i in range(1, 25)),
        stack_step=10.0,
        belt_plates=(2.5, 5.0, 10.0, 25.0, 45.0),
        assist_step=5.0,
    )

    def for_unit(self, unit: Unit) -> UnitEquipment:
        return self.kg if unit is Unit.KG else self.lb


@dataclass(frozen=True, slots=True)
class LevelConfig:
    """When to suggest a different experience level (spec 4)."""

    deloads_same_lift: int = 2
    deload_window_days: int = 56
    deloads_total_main_lifts: int = 3
    level_down_increases: int = 6
    level_down_lifts: int = 2


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    """Exercise-selection checks from the article (R1, R2, R4)."""

    beginner_min_back_compounds: int = 2
    beginner_max_back_compounds: int = 3
    # R2 "frequently" (changed from the spec's >= 2x/week, which every A/B-alternating routine
    # such as StrongLifts or Starting Strength fails): >= 3 exposures in 14 days, or a plan
    # whose own schedule trains the lift that often.
    beginner_min_exposures: int = 3
    beginner_frequency_window_days: int = 14
    routine_window_days: int = 14
    back_day_min_exercises: int = 3


@dataclass(frozen=True, slots=True)
class SubstitutionConfig:
    """Starting a replacement exercise from the e1RM of the one it replaces (issue 8): a
    different exercise is a new skill, so it starts below the strength the old one shows."""

    same_loading_e1rm_factor: float = 0.9
    other_loading_e1rm_factor: float = 0.8
    # The RPE a beginner's starting load is derived at (beginners get no RPE target).
    beginner_rpe: float = 7.0


@dataclass(frozen=True, slots=True)
class RecommenderConfig:
    linear: LinearProgressionConfig = LinearProgressionConfig()
    rep_ranges: RepRangeConfig = RepRangeConfig()
    stall: StallConfig = StallConfig()
    recovery: RecoveryConfig = RecoveryConfig()
    volume: VolumeConfig = VolumeConfig()
    modifications: ModificationConfig = ModificationConfig()
    rpe: RpeConfig = RpeConfig()
    deload: DeloadConfig = DeloadConfig()
    ladders: LadderConfig = LadderConfig()
    gzclp: GzclpConfig = GzclpConfig()
    rounding: RoundingConfig = RoundingConfig()
    equipment: EquipmentDefaults = EquipmentDefaults()
    level: LevelConfig = LevelConfig()
    selection: SelectionConfig = SelectionConfig()
    substitution: SubstitutionConfig = SubstitutionConfig()


DEFAULT_CONFIG = RecommenderConfig()
