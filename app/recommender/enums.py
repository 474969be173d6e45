"""Closed vocabularies of the recommender.

Every value is a `StrEnum` so the HTTP layer can serialise it as-is and a client can echo it back.
"""

from enum import StrEnum


class Experience(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Unit(StrEnum):
    KG = "kg"
    LB = "lb"


class Goal(StrEnum):
    HYPERTROPHY = "hypertrophy"
    STRENGTH = "strength"
    GENERAL = "general"


class RoutineProfile(StrEnum):
    STRONGLIFTS = "stronglifts"
    STARTING_STRENGTH = "starting_strength"
    BBR = "bbr"
    PPL = "ppl"
    GZCLP = "gzclp"


class Pattern(StrEnum):
    VERTICAL_PULL = "vertical_pull"
    HORIZONTAL_PULL = "horizontal_pull"
    HINGE = "hinge"
    BACK_EXTENSION = "back_extension"
    HORIZONTAL_PUSH = "horizontal_push"
    VERTICAL_PUSH = "vertical_push"
    SQUAT = "squat"
    ISOLATION = "isolation"


class Side(StrEnum):
    BACK = "back"
    FRONT = "front"
    OTHER = "other"


class Loading(StrEnum):
    BARBELL = "barbell"
    DUMBBELL = "dumbbell"
    MACHINE = "machine"
    CABLE = "cable"
    BODYWEIGHT = "bodyweight"
    WEIGHTED_BODYWEIGHT = "weighted_bodyweight"
    ASSISTED = "assisted"


class Action(StrEnum):
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


class ModificationKind(StrEnum):
    """The article's four modifications, in the order the arbiter tries them (R6)."""

    ADD_SETS = "ADD_SETS"
    LOAD_UP = "LOAD_UP"
    REPS_UP = "REPS_UP"
    FAILURE_FINAL_SET = "FAILURE_FINAL_SET"


class Variant(StrEnum):
    A = "a"
    B = "b"


class ReasonCode(StrEnum):
    """Stable reason codes (spec section 12); clients may switch on them."""

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


class LandmarkStatus(StrEnum):
    BELOW_MEV = "below_mev"
    WITHIN = "within"
    ABOVE_MAV = "above_mav"
    ABOVE_MRV = "above_mrv"


class DeloadCause(StrEnum):
    """Why a group deload week was opened (kept in the echoed state)."""

    REGRESSION_AND_RED_FLAGS = "regression_and_red_flags"
    RED_FLAGS = "red_flags"
    REGRESSION = "regression"
    STALL_EXHAUSTED = "stall_exhausted"
