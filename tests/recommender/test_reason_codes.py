"""Every reason code of spec section 12 is produced by a crafted input."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from app.recommender import (
    Equipment,
    Experience,
    Feedback,
    PlanEntry,
    ReasonCode,
    RecommendationResult,
)
from tests.recommender.builders import START, run, sessions, sets

INT = Experience.INTERMEDIATE
ROW = "barbell-bent-over-row"
FAIL = sets(ROW, [5, 5, 4], 60, target=5)
PRESS = sets("bench-press", [8] * 5, 80, target=8) + sets("overhead-press", [8] * 3, 40, target=8)


def _stalled(n: int, slug: str = "lat-pulldown") -> RecommendationResult:
    return run(
        sessions(*[sets(slug, [10] * 3, 60, target=11, target_range=(8, 12)) for _ in range(n)]),
        experience=INT,
    )


def _regression(feedback: bool) -> RecommendationResult:
    history = sessions(
        *[
            sets(ROW, [8, 8, 8], 80, target=8, target_range=(8, 12), rpe=rpe)
            for rpe in (8.0, 8.5, 9.0, 9.5)
        ],
        every=3,
    )
    fb = [Feedback("back", START, soreness=3)] if feedback else []
    return run(history, experience=INT, feedback=fb)


def _reset() -> RecommendationResult:
    history = sessions(
        *[
            sets(ROW, [8, 8, 8], 80, target=8, target_range=(8, 12), rpe=rpe)
            for rpe in (8.0, 8.5, 9.0, 9.5)
        ],
        every=3,
    )
    deload = sessions(
        sets(ROW, [8, 8], 62.5, target=8, rpe=6), start=history[-1].date + timedelta(days=2)
    )
    return run(
        (*history, *deload),
        experience=INT,
        feedback=[Feedback("back", START, soreness=3)],
        today=deload[0].date + timedelta(days=8),
    )


def _deferred() -> RecommendationResult:
    history = [
        sets(ROW, [10] * 3, 70, target=11, target_range=(8, 12))
        + sets("lat-pulldown", [10] * 3, 60, target=11, target_range=(8, 12))
        for _ in range(3)
    ]
    return run(sessions(*history), experience=INT)


CASES: dict[ReasonCode, Callable[[], RecommendationResult]] = {
    ReasonCode.LP_SUCCESS: lambda: run(sessions(sets(ROW, [5] * 3, 50, target=5))),
    ReasonCode.LP_FAIL_REPEAT: lambda: run(sessions(FAIL)),
    ReasonCode.LP_DELOAD: lambda: run(sessions(FAIL, FAIL, FAIL)),
    ReasonCode.LP_EXHAUSTED: lambda: run(sessions(*[FAIL] * 6)),
    ReasonCode.LEVEL_SUGGESTION: lambda: run(sessions(*[FAIL] * 6)),
    ReasonCode.DP_REPS_UP: lambda: run(
        sessions(sets("lat-pulldown", [11, 10, 10], 60, target=10)), experience=INT
    ),
    ReasonCode.DP_LOAD_STEP: lambda: run(
        sessions(sets("lat-pulldown", [12] * 3, 60, target=12)), experience=INT
    ),
    ReasonCode.STALL_DETECTED: lambda: _stalled(3),
    ReasonCode.MOD_ADD_SETS: lambda: _stalled(3),
    ReasonCode.MOD_ADD_EXERCISE: lambda: run(
        sessions(*[sets(ROW, [10] * 5, 70, target=11, target_range=(8, 12))] * 3), experience=INT
    ),
    ReasonCode.MOD_LOAD_UP: lambda: _stalled(6),
    ReasonCode.MOD_REPS_UP: lambda: _stalled(9),
    ReasonCode.MOD_FAILURE_FINAL_SET: lambda: _stalled(12),
    ReasonCode.RPE_ADJUST_UP: lambda: run(
        sessions(sets(ROW, [8] * 4, 80, target=8, target_rpe=8, rpe=[None, None, None, 6.5])),
        experience=INT,
    ),
    ReasonCode.RPE_ADJUST_DOWN: lambda: run(
        sessions(sets(ROW, [8] * 4, 80, target=8, target_rpe=8, rpe=[None, None, None, 9.5])),
        experience=INT,
    ),
    ReasonCode.HIGH_EFFORT_EARLY_SET: lambda: run(
        sessions(sets(ROW, [5] * 3, 50, target=5, rir=1))
    ),
    ReasonCode.DELOAD_REGRESSION: lambda: _regression(True),
    ReasonCode.DELOAD_RECOVERY: lambda: _regression(True),
    ReasonCode.RESET_AFTER_DELOAD: _reset,
    ReasonCode.COARSE_INCREMENT_REP_BRIDGE: lambda: run(
        sessions(sets("one-arm-dumbbell-row", [5] * 3, 20, target=5)),
        equipment=Equipment(dumbbells=(20.0, 25.0)),
    ),
    ReasonCode.LADDER_ADVANCE: lambda: run(
        sessions(sets("inverted-row", [8] * 3, target=8, ladder_step=1))
    ),
    ReasonCode.BW_ADD_LOAD: lambda: run(sessions(sets("pull-up", [8] * 3, target=8))),
    ReasonCode.ASSIST_REDUCE: lambda: run(
        sessions(sets("assisted-pull-up", [8] * 3, assistance=30, target=8))
    ),
    ReasonCode.BALANCE_DEFICIT: lambda: run(
        sessions(sets(ROW, [10] * 3, 70, target=10) + PRESS), experience=INT
    ),
    ReasonCode.VOLUME_BELOW_MEV: lambda: run(sessions(sets(ROW, [5] * 3, 50, target=5))),
    ReasonCode.VOLUME_ABOVE_MRV: lambda: run(
        sessions(sets(ROW, [10] * 3, 70, target=10)),
        experience=INT,
        plan=[PlanEntry(ROW, 9, 10, times_per_week=3)],
    ),
    ReasonCode.BEGINNER_SELECTION: lambda: run(sessions(sets(ROW, [5] * 3, 50, target=5))),
    ReasonCode.BEGINNER_FREQUENCY: lambda: run(sessions(sets(ROW, [5] * 3, 50, target=5))),
    ReasonCode.KEEP_DL_PU: lambda: run(
        sessions(sets(ROW, [10] * 3, 70, target=10)), experience=INT
    ),
    ReasonCode.BACK_DAY_OK: lambda: run(
        sessions(
            sets("deadlift", [5], 140, target=5)
            + sets("pull-up", [8] * 3, target=8)
            + sets(ROW, [10] * 3, 70, target=10)
        ),
        experience=INT,
    ),
    ReasonCode.ONE_AT_A_TIME_DEFERRED: _deferred,
    ReasonCode.FORM_BREAKDOWN: lambda: run(
        sessions(sets(ROW, [5] * 3, 50, target=5, form_ok=[True, False, True]))
    ),
}


def all_codes(result: RecommendationResult) -> set[ReasonCode]:
    found = {r.code for rec in result.recommendations for r in rec.reasons}
    found |= {w.code for rec in result.recommendations for w in rec.warnings}
    found |= {r.code for r in result.plan.reasons}
    found |= {c.code for c in result.plan.selection_checks}
    return found


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(ReasonCode)
    assert len(ReasonCode) == 32


@pytest.mark.parametrize("code", list(ReasonCode))
def test_code_is_produced(code: ReasonCode) -> None:
    result = CASES[code]()
    assert code in all_codes(result)
    for rec in result.recommendations:
        assert rec.reasons, rec.exercise
        for reason in rec.reasons:
            assert reason.message
            assert reason.sources
            assert any(ch.isdigit() for ch in reason.message), reason.message


def test_regression_alone_does_not_deload() -> None:
    assert ReasonCode.DELOAD_REGRESSION not in all_codes(_regression(False))
