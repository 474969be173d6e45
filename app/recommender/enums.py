"""Closed vocabularies of the recommender.

Every value is a `StrEnum` so the HTTP layer can serialise it as-is and a client can echo it back.
"""

from enum import StrEnum

from app.schema_docs import documented


@documented(
    BEGINNER="Follows an established routine with linear progression: load goes up every "
    "successful session.",
    INTERMEDIATE="Double progression per exercise (reps climb through a range, then load "
    "steps up), with one modification at a time per muscle group when a lift stalls.",
    ADVANCED="As intermediate, with loads set from logged RPE by default.",
)
class Experience(StrEnum):
    """The lifter's training level, which decides how the engine progresses each exercise."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


@documented(
    KG="Kilograms: every load, plate and increment is in kg.",
    LB="Pounds: every load, plate and increment is in lb.",
)
class Unit(StrEnum):
    """The unit every weight in a request and its answer is expressed in."""

    KG = "kg"
    LB = "lb"


@documented(
    HYPERTROPHY="Muscle size: moderate to higher rep ranges.",
    STRENGTH="Maximal strength: heavier loads at lower reps.",
    GENERAL="Balanced general fitness; the default.",
)
class Goal(StrEnum):
    """What the lifter trains for."""

    HYPERTROPHY = "hypertrophy"
    STRENGTH = "strength"
    GENERAL = "general"


@documented(
    STRONGLIFTS="StrongLifts 5x5: +2.5 kg (5 lb) a successful session, deadlift +5 kg "
    "(10 lb); three failures in a row deload the lift by 10 %.",
    STARTING_STRENGTH="Starting Strength: +2.5 kg (5 lb) a successful session, deadlift "
    "+5 kg (10 lb); two failures in a row deload the lift by 10 %.",
    BBR="Barbell Beginner Routine: 3x5 with the last set as many reps as possible; 15 reps "
    "over the three sets is a success, and the step doubles when the last set passes 10 reps; "
    "one failure deloads by 10 %.",
    PPL="Reddit push/pull/legs: +2.5 kg (5 lb) a successful session, deadlift +5 kg (10 lb); "
    "three failures in a row deload the lift by 10 %.",
    GZCLP="GZCLP: tiered sets (T1, T2, T3) whose stage is read from the logged target reps; a "
    "failed stage moves to the next rep scheme at the same load before the lift resets.",
)
class RoutineProfile(StrEnum):
    """The established beginner routine being followed; ignored for other levels."""

    STRONGLIFTS = "stronglifts"
    STARTING_STRENGTH = "starting_strength"
    BBR = "bbr"
    PPL = "ppl"
    GZCLP = "gzclp"


@documented(
    VERTICAL_PULL="Pulling down from overhead, such as pull-ups and lat pulldowns.",
    HORIZONTAL_PULL="Pulling towards the torso, such as rows.",
    HINGE="Bending at the hips with a flat back, such as deadlifts.",
    BACK_EXTENSION="Extending the spine and hips against resistance, such as hyperextensions.",
    HORIZONTAL_PUSH="Pushing away from the chest, such as bench presses and push-ups.",
    VERTICAL_PUSH="Pressing overhead, such as the overhead press.",
    SQUAT="Bending at knees and hips under load, such as squats.",
    ISOLATION="A single-joint movement, such as curls or raises.",
)
class Pattern(StrEnum):
    """The movement pattern an exercise trains; replacements keep the same pattern."""

    VERTICAL_PULL = "vertical_pull"
    HORIZONTAL_PULL = "horizontal_pull"
    HINGE = "hinge"
    BACK_EXTENSION = "back_extension"
    HORIZONTAL_PUSH = "horizontal_push"
    VERTICAL_PUSH = "vertical_push"
    SQUAT = "squat"
    ISOLATION = "isolation"


@documented(
    BACK="Works the back of the body; counts towards back volume in the balance ratios.",
    FRONT="Works the chest or front shoulders; counts towards front volume in the ratios.",
    OTHER="Counts towards neither side of the balance ratios.",
)
class Side(StrEnum):
    """Which side of the back-to-front balance an exercise counts towards."""

    BACK = "back"
    FRONT = "front"
    OTHER = "other"


@documented(
    BARBELL="A barbell: the bar plus plates loaded in pairs.",
    DUMBBELL="Dumbbells: only the weights owned can be loaded.",
    MACHINE="A weight-stack machine, loaded in multiples of its stack step.",
    CABLE="A cable stack, loaded in multiples of its stack step.",
    BODYWEIGHT="Bodyweight only; progresses through harder variations and reps.",
    WEIGHTED_BODYWEIGHT="Bodyweight plus plates on a belt or held.",
    ASSISTED="Bodyweight minus machine or band assistance; less assistance is progress.",
)
class Loading(StrEnum):
    """How an exercise is loaded, which decides the weights that can actually be set up."""

    BARBELL = "barbell"
    DUMBBELL = "dumbbell"
    MACHINE = "machine"
    CABLE = "cable"
    BODYWEIGHT = "bodyweight"
    WEIGHTED_BODYWEIGHT = "weighted_bodyweight"
    ASSISTED = "assisted"


@documented(
    LP_STEP="Linear progression: the last session succeeded, so the load goes up by the "
    "routine's step (rounded to a loadable weight); sets and reps stay.",
    DP_STEP="Double progression: every set met its target, so either the per-set rep targets "
    "rise by one (up to the top of the range) or, with every set at the top, the load goes up "
    "one loadable step and the reps restart at the bottom.",
    REPEAT="Repeat the same load: targets were missed, or nothing can be added yet; the rep "
    "targets may still change.",
    MODIFICATION="A stall is being broken by a modification; `modification` says which kind "
    "and variant, and the prescription carries it out.",
    DELOAD="A lighter session: for beginners the working load drops by the routine's deload "
    "(usually 10 %); for others a deload week with about half the sets, 80 % of the load and "
    "no sets near failure.",
    RESET="First session after a deload week: 90 % of the pre-deload load, reps at the bottom "
    "of the range, sets climbing back over the next weeks.",
    LADDER_ADVANCE="A bodyweight exercise moves to the next harder rung of its ladder (see "
    "`prescription.ladder_step`), with the reps back at the bottom of the range.",
    ASSIST_REDUCE="An assisted exercise gets one step less assistance (see "
    "`prescription.assistance`).",
    BW_ADD_LOAD="A bodyweight exercise gets external load added on a belt (or held), with the "
    "reps back at the bottom of the range.",
    ROTATE_VARIATION="Every modification has been tried without breaking the stall: switch to "
    "the exercise in `replacement`, which has the same movement pattern and loading.",
    RPE_ADJUST="The load changes because the logged RPE differed from the target RPE by at "
    "least one point: up when the sets felt easier, down when harder.",
)
class Action(StrEnum):
    """The one change the engine makes to an exercise for the next session.

    Each exercise gets exactly one action; `reasons` explain it with the numbers involved.
    """

    LP_STEP = "LP_STEP"
    DP_STEP = "DP_STEP"
    REPEAT = "REPEAT"
    MODIFICATION = "MODIFICATION"
    DELOAD = "DELOAD"
    RESET = "RESET"
    LADDER_ADVANCE = "LADDER_ADVANCE"
    ASSIST_REDUCE = "ASSIST_REDUCE"
    BW_ADD_LOAD = "BW_ADD_LOAD"
    ROTATE_VARIATION = "ROTATE_VARIATION"
    # RPE autoregulation changed the load (spec 8): its own action, never REPEAT (issue 8).
    RPE_ADJUST = "RPE_ADJUST"


@documented(
    ADD_SETS="More total sets: variant `a` adds a set to the stalled exercise, variant `b` "
    "adds another back exercise at 2 sets.",
    LOAD_UP="More weight: variant `a` adds a loadable step with fewer reps, variant `b` adds a "
    "step at the same reps with the target RPE one point higher.",
    REPS_UP="More reps: variant `a` adds two reps at a lighter load, variant `b` adds one rep "
    "at the same load with the target RPE one point higher.",
    FAILURE_FINAL_SET="Everything stays the same except the final set, which is taken to "
    "failure (as many reps as possible, no reps in reserve).",
)
class ModificationKind(StrEnum):
    """A way of breaking a stall, listed in the order the engine tries them.

    One modification at a time runs per muscle group, for a few exposures; when it fails the
    next untried kind is considered.
    """

    ADD_SETS = "ADD_SETS"
    LOAD_UP = "LOAD_UP"
    REPS_UP = "REPS_UP"
    FAILURE_FINAL_SET = "FAILURE_FINAL_SET"


@documented(
    A="The first form of the modification (see `ModificationKind` for what it does).",
    B="The second form of the modification (see `ModificationKind` for what it does).",
)
class Variant(StrEnum):
    """Which of a modification kind's two forms is used."""

    A = "a"
    B = "b"


@documented(
    LP_SUCCESS="Every work set met its target with good form, so the load goes up by the "
    "routine's step.",
    LP_FAIL_REPEAT="A target was missed; the same load is repeated and the failure counted "
    "towards the routine's deload limit.",
    LP_DELOAD="The routine's limit of consecutive failures was reached: the load drops "
    "(usually by 10 %, rounded down) and the failure count restarts.",
    LP_EXHAUSTED="The lift has deloaded repeatedly within a few weeks: linear progression on "
    "it is running out.",
    LEVEL_SUGGESTION="The training history fits another experience level better than the "
    "declared one (see `plan.level_suggestion`).",
    DP_REPS_UP="Double progression works through the rep range: the per-set rep targets rise, "
    "or stay while the sets catch up, at the same load.",
    DP_LOAD_STEP="Every set reached the top of the rep range: one loadable step more, reps "
    "back to the bottom.",
    STALL_DETECTED="Several exposures in a row brought no progress in load or reps; a "
    "modification (or a deload, when none is left) follows.",
    MOD_ADD_SETS="The modification adds a set to this exercise.",
    MOD_ADD_EXERCISE="The modification adds another back exercise at 2 sets (listed in "
    "`plan.new_exercises`).",
    MOD_LOAD_UP="The modification adds load: with fewer reps, or at the same reps closer to "
    "failure.",
    MOD_REPS_UP="The modification adds reps: at a lighter load, or at the same load closer to "
    "failure.",
    MOD_FAILURE_FINAL_SET="The modification takes the final set to failure, all else unchanged.",
    RPE_ADJUST_UP="The logged sets felt easier than the target RPE, so the load goes up (by at "
    "most 7.5 % by default).",
    RPE_ADJUST_DOWN="The logged sets felt harder than the target RPE, so the load goes down "
    "(by at most 10 % by default).",
    HIGH_EFFORT_EARLY_SET="A beginner logged one rep or less in reserve before the last set; "
    "the load is not changed for it, but the effort is worth watching.",
    DELOAD_REGRESSION="Performance is going backwards (falling e1RM or repeated misses at a "
    "load done before), so the group deloads.",
    DELOAD_RECOVERY="Recovery feedback (soreness, performance or joint pain) calls for a "
    "deload; as a warning, no volume is added until it clears.",
    RESET_AFTER_DELOAD="The deload is over: the load restarts at 90 % of the pre-deload load "
    "and volume returns towards the minimum effective volume.",
    COARSE_INCREMENT_REP_BRIDGE="The next loadable weight is more than 10 % heavier, so reps "
    "are added at the same load first and the jump is taken once they are reached.",
    LADDER_ADVANCE="Every set reached the top of the range, so the bodyweight exercise moves "
    "to its next harder rung.",
    BW_ADD_LOAD="The bodyweight target was reached, so external load is added.",
    ASSIST_REDUCE="The assisted target was reached, so the assistance drops by one step.",
    BALANCE_DEFICIT="Weekly back sets or reps trail those of front exercises (chest and front "
    "shoulders); back volume is added one step a week until they match.",
    VOLUME_BELOW_MEV="Weekly hard sets for the group are below the minimum effective volume.",
    VOLUME_ABOVE_MRV="Weekly hard sets for the group exceed the maximum recoverable volume, so "
    "sets are cut by about 20 %.",
    BEGINNER_SELECTION="Checks that a beginner's plan has 2-3 big compound back exercises from "
    "the top five (deadlift, pull-up, bent-over row, inverted row, hyperextension).",
    BEGINNER_FREQUENCY="Checks that a beginner trains each back compound at least twice a week.",
    KEEP_DL_PU="Checks that an intermediate or advanced plan keeps the deadlift and the pull-up.",
    BACK_DAY_OK="A plan day or recent session is a dedicated back day (several back "
    "exercises, no pressing): a fine way to split the week.",
    ONE_AT_A_TIME_DEFERRED="Another modification is already running for this muscle group, so "
    "this one waits until it has been evaluated.",
    FORM_BREAKDOWN="A set was logged with broken form; it never counts as a success.",
)
class ReasonCode(StrEnum):
    """A stable code for why the engine decided something; clients may switch on it.

    Codes appear in reasons, warnings and selection checks; the accompanying message gives
    the numbers involved and may change wording at any time.
    """

    LP_SUCCESS = "LP_SUCCESS"
    LP_FAIL_REPEAT = "LP_FAIL_REPEAT"
    LP_DELOAD = "LP_DELOAD"
    LP_EXHAUSTED = "LP_EXHAUSTED"
    LEVEL_SUGGESTION = "LEVEL_SUGGESTION"
    DP_REPS_UP = "DP_REPS_UP"
    DP_LOAD_STEP = "DP_LOAD_STEP"
    STALL_DETECTED = "STALL_DETECTED"
    MOD_ADD_SETS = "MOD_ADD_SETS"
    MOD_ADD_EXERCISE = "MOD_ADD_EXERCISE"
    MOD_LOAD_UP = "MOD_LOAD_UP"
    MOD_REPS_UP = "MOD_REPS_UP"
    MOD_FAILURE_FINAL_SET = "MOD_FAILURE_FINAL_SET"
    RPE_ADJUST_UP = "RPE_ADJUST_UP"
    RPE_ADJUST_DOWN = "RPE_ADJUST_DOWN"
    HIGH_EFFORT_EARLY_SET = "HIGH_EFFORT_EARLY_SET"
    DELOAD_REGRESSION = "DELOAD_REGRESSION"
    DELOAD_RECOVERY = "DELOAD_RECOVERY"
    RESET_AFTER_DELOAD = "RESET_AFTER_DELOAD"
    COARSE_INCREMENT_REP_BRIDGE = "COARSE_INCREMENT_REP_BRIDGE"
    LADDER_ADVANCE = "LADDER_ADVANCE"
    BW_ADD_LOAD = "BW_ADD_LOAD"
    ASSIST_REDUCE = "ASSIST_REDUCE"
    BALANCE_DEFICIT = "BALANCE_DEFICIT"
    VOLUME_BELOW_MEV = "VOLUME_BELOW_MEV"
    VOLUME_ABOVE_MRV = "VOLUME_ABOVE_MRV"
    BEGINNER_SELECTION = "BEGINNER_SELECTION"
    BEGINNER_FREQUENCY = "BEGINNER_FREQUENCY"
    KEEP_DL_PU = "KEEP_DL_PU"
    BACK_DAY_OK = "BACK_DAY_OK"
    ONE_AT_A_TIME_DEFERRED = "ONE_AT_A_TIME_DEFERRED"
    FORM_BREAKDOWN = "FORM_BREAKDOWN"


@documented(
    NEW="Nothing logged for it yet, such as an exercise a modification has just added.",
    PROGRESSING="Load or reps are still going up.",
    PLATEAU="The latest exposures brought no progress, but not yet enough of them to count as "
    "a stall.",
    STALLED="Several exposures in a row without progress; a modification, deload or "
    "replacement follows.",
    MODIFYING="A modification is running on the exercise's muscle group.",
    REGRESSING="The estimated one-rep max is trending down by 1 % a week or more.",
    DELOAD="In a deload: lighter load and fewer sets for now.",
    RESET="Coming back from a deload at a reduced load.",
)
class ExerciseStatus(StrEnum):
    """Where an exercise stands, reported in `metrics.state`."""

    NEW = "new"
    PROGRESSING = "progressing"
    PLATEAU = "plateau"
    STALLED = "stalled"
    MODIFYING = "modifying"
    REGRESSING = "regressing"
    DELOAD = "deload"
    RESET = "reset"


@documented(
    BELOW_MEV="Fewer weekly hard sets than the minimum effective volume.",
    WITHIN="Between the minimum effective volume and the top of the adaptive range.",
    ABOVE_MAV="Above the adaptive range but still recoverable.",
    ABOVE_MRV="More weekly hard sets than the maximum recoverable volume.",
)
class LandmarkStatus(StrEnum):
    """Where a muscle group's weekly hard sets sit against its volume landmarks."""

    BELOW_MEV = "below_mev"
    WITHIN = "within"
    ABOVE_MAV = "above_mav"
    ABOVE_MRV = "above_mrv"


@documented(
    REGRESSION_AND_RED_FLAGS="Performance was going backwards and recovery feedback raised "
    "red flags.",
    RED_FLAGS="Recovery feedback raised red flags (high soreness, worse performance or joint "
    "pain).",
    REGRESSION="Performance was going backwards: falling e1RM or repeated misses.",
    STALL_EXHAUSTED="A stall outlasted every modification, and the exercise could not be "
    "replaced (it is kept on purpose, such as the deadlift or pull-up, or nothing similar "
    "fits).",
)
class DeloadCause(StrEnum):
    """Why a muscle group's deload week was opened (kept in the echoed state)."""

    REGRESSION_AND_RED_FLAGS = "regression_and_red_flags"
    RED_FLAGS = "red_flags"
    REGRESSION = "regression"
    STALL_EXHAUSTED = "stall_exhausted"
