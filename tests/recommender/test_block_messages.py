"""A message's numbers are the prescription's, across a block (issue 8, finding 12).

Every reason that states the next session quotes it through `text.prescription_text`, so when
the engine changes the prescription after the rule (the climb back after a reset adds sets), the
message changes with it: no "next session 2x7" beside a 3x7 prescription.
"""

from dataclasses import replace
from datetime import timedelta

import pytest

from app.recommender import (
    Action,
    EngineState,
    ExerciseState,
    Experience,
    ReasonCode,
    Recommendation,
    SetLog,
    Unit,
    recommend,
)
from app.recommender.text import prescription_text, reps_text
from tests.recommender.builders import START, request, sessions, sets

INT = Experience.INTERMEDIATE


def _reason(rec: Recommendation, code: ReasonCode) -> str:
    return next(r.message for r in rec.reasons if r.code is code)


def _after_reset(*per_session: tuple[SetLog, ...], ramp_sets: int = 3) -> Recommendation:
    """The answer for the first exercise of the history, with an echoed state saying the sets
    are climbing back to `ramp_sets` after a reset on the last session."""
    history = sessions(*per_session)
    last = history[-1].date
    slug = history[-1].sets[0].exercise
    state = EngineState(
        as_of=last,
        exercises=(
            ExerciseState(
                slug,
                ramp_sets=ramp_sets,
                ramp_until=last + timedelta(days=21),
                trend_from=last,
            ),
        ),
    )
    base = request(history, experience=INT)
    result = recommend(replace(base, state=state))
    found = result.for_exercise(slug)
    assert found is not None
    return found


def test_bodyweight_rep_step_quotes_the_ramped_prescription() -> None:
    # The reset left the dip at 2x6 at bodyweight, all done: +1 rep per set, and the climb back
    # adds the third set. The step's reason named "2x7" (the rule's own prescription), which
    # the ramp could not find to rewrite, beside a 3x7 prescription.
    rec = _after_reset(sets("dip", [6, 6], target=6))
    assert rec.action is Action.DP_STEP
    assert (rec.prescription.sets, rec.prescription.reps) == (3, 7)
    shown = prescription_text(rec.prescription, Unit.KG)
    message = _reason(rec, ReasonCode.DP_REPS_UP)
    assert f"next session {shown}," in message
    assert "2x7" not in message


@pytest.mark.parametrize(
    ("reps", "action", "quoted"),
    [([10, 10], Action.DP_STEP, "next "), ([10, 9], Action.REPEAT, "repeat ")],
)
def test_double_progression_quotes_the_ramped_prescription(
    reps: list[int], action: Action, quoted: str
) -> None:
    # 2x10 at 55 kg after the reset: the step (2x11) or the repeat (2x10) gets the third set.
    rec = _after_reset(sets("lat-pulldown", reps, 55, target=10, rpe=8, target_rpe=8))
    assert rec.action is action
    assert rec.prescription.sets == 3
    message = _reason(rec, ReasonCode.DP_REPS_UP)
    assert quoted + prescription_text(rec.prescription, Unit.KG) in message


def test_bodyweight_rep_step_without_a_ramp_names_its_own_prescription() -> None:
    history = sessions(
        sets("dip", [8, 8, 8], target=8), sets("dip", [9, 9, 9], target=9), start=START
    )
    rec = recommend(request(history, experience=INT)).for_exercise("dip")
    assert rec is not None
    assert rec.action is Action.DP_STEP
    message = _reason(rec, ReasonCode.DP_REPS_UP)
    assert f"next session {prescription_text(rec.prescription, Unit.KG)}," in message


@pytest.mark.parametrize(
    ("reps", "code", "quoted"),
    [
        ([10, 10], ReasonCode.DP_REPS_UP, "next {}, "),
        ([12, 12], ReasonCode.DP_LOAD_STEP, "restart at {}."),
    ],
)
def test_ramp_and_progression_messages_quote_the_final_prescription(
    reps: list[int], code: ReasonCode, quoted: str
) -> None:
    # The climb back after a reset is applied before the rule states its prescription
    # (rules.climbed): the rule's message and the ramp's both quote the 3-set prescription.
    rec = _after_reset(
        sets("lat-pulldown", reps, 55, target=reps[0], target_range=(8, 12), rpe=8, target_rpe=8)
    )
    final = rec.prescription
    assert final.sets == 3
    shown = prescription_text(final, Unit.KG)
    scheme = shown if code is ReasonCode.DP_REPS_UP else reps_text(final.reps_per_set)
    assert quoted.format(scheme) in _reason(rec, code)
    ramp = _reason(rec, ReasonCode.RESET_AFTER_DELOAD)
    assert ramp == f"Climbing back after the reset: 2 → 3 sets of the pre-deload 3; next {shown}."
