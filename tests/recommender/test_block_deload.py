"""Deload, reset and the climb back across a block (finding 4 of issue 8).

Each test failed before the engine fix it names.
"""

from dataclasses import replace
from datetime import timedelta

from app.recommender import (
    DEFAULT_CONFIG,
    Action,
    Experience,
    Feedback,
    ReasonCode,
    RecommendationRequest,
    Session,
    recommend,
)
from tests.recommender.builders import START, request, sessions, sets

INT = Experience.INTERMEDIATE
ROW = "barbell-bent-over-row"


def _reset_request() -> tuple[RecommendationRequest, int]:
    """A regressing, sore row at 80 kg deloads (62.5 kg), then the reset is asked for."""
    cfg = replace(DEFAULT_CONFIG, volume=replace(DEFAULT_CONFIG.volume, mev=4))
    first = sessions(
        *[
            sets(ROW, [8, 8, 8], 80, target=8, target_range=(8, 12), rpe=rpe)
            for rpe in (8.0, 8.5, 9.0, 9.5)
        ],
        every=3,
    )
    deload_day = first[-1].date + timedelta(days=2)
    deload = Session(deload_day, sets(ROW, [8, 8], 62.5, target=8, rpe=6))
    base = replace(
        request((*first, deload), experience=INT, feedback=(Feedback("back", START, soreness=3),)),
        config=cfg,
        today=deload_day + timedelta(days=8),
    )
    reset = recommend(base).for_exercise(ROW)
    assert reset is not None
    assert reset.action is Action.RESET
    assert reset.prescription.load == 70  # 80 x 0.9 = 72 -> 70
    return base, reset.prescription.sets


def test_an_easy_reset_climbs_straight_back_to_the_pre_deload_load() -> None:
    """The reset (70 kg) logged at RPE 3 gives no e1RM (below RPE 6.5): before the fix the
    next load was one step (72.5 kg) a session, weeks at RPE < 5; now it is the pre-deload
    80 kg, past the usual +7.5 % clamp and never above the pre-deload load."""
    base, reset_sets = _reset_request()
    reset_session = Session(base.today, sets(ROW, [8] * reset_sets, 70, target=8, rpe=3))
    after = recommend(
        replace(base, history=(*base.history, reset_session), today=base.today + timedelta(days=2))
    ).for_exercise(ROW)
    assert after is not None
    assert after.action is Action.RPE_ADJUST
    assert after.prescription.load == 80
    assert after.reason_codes[0] is ReasonCode.RPE_ADJUST_UP
    assert "pre-deload" in after.reasons[0].message
