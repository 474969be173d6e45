"""Routine engines as published (issue 8, finding 8): GZCLP tiers and stages, the Basic
Beginner Routine's 15-total-reps rule, Starting Strength's deadlift steps, and a pull-up ladder
that changes scheme after a stall instead of repeating itself."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from app.recommender import (
    DEFAULT_CONFIG,
    Action,
    Equipment,
    Experience,
    ReasonCode,
    Recommendation,
    RecommenderConfig,
    RoutineProfile,
    Session,
    SetLog,
    Unit,
    recommend,
)
from tests.recommender.builders import request, sessions, sets

GZ = RoutineProfile.GZCLP
BBR = RoutineProfile.BBR
SS = RoutineProfile.STARTING_STRENGTH
ROW = "barbell-bent-over-row"
SQUAT = "back-squat"
APU = "assisted-pull-up"


def rec(
    history: tuple[Session, ...],
    slug: str,
    *,
    routine: RoutineProfile = RoutineProfile.STRONGLIFTS,
    experience: Experience = Experience.BEGINNER,
    config: RecommenderConfig = DEFAULT_CONFIG,
    with_state: bool = False,
) -> Recommendation:
    req = replace(request(history, routine=routine, experience=experience), config=config)
    result = recommend(req)
    found = result.for_exercise(slug)
    assert found is not None
    if with_state:
        again = recommend(replace(req, state=result.plan.state)).for_exercise(slug)
        assert again == found
    return found


def shape(r: Recommendation) -> tuple[int, tuple[int, ...], float | None]:
    p = r.prescription
    return p.sets, p.reps_per_set, p.load


def t1(reps: list[int], load: float, target: int, slug: str = SQUAT) -> tuple[SetLog, ...]:
    return sets(slug, reps, load, target=target, amrap_last=True)


# ---------------------------------------------------------------------------------------------
# GZCLP


class TestGzclpT1:
    def test_5x3_failure_moves_to_6x2_at_the_same_load(self) -> None:
        r = rec(sessions(t1([3, 3, 3, 2, 2], 100, 3)), SQUAT, routine=GZ)
        assert r.action is Action.REPEAT
        assert shape(r) == (6, (2,) * 6, 100)
        assert r.reason_codes == (ReasonCode.LP_FAIL_REPEAT,)
        assert "6x2+" in r.reasons[0].message
        assert "100 kg" in r.reasons[0].message

    def test_6x2_failure_moves_to_10x1(self) -> None:
        history = sessions(t1([3, 3, 3, 2, 2], 100, 3), t1([2, 2, 2, 2, 1, 1], 100, 2))
        r = rec(history, SQUAT, routine=GZ)
        assert shape(r) == (10, (1,) * 10, 100)

    def test_10x1_failure_resets_to_5x3_at_85_percent(self) -> None:
        history = sessions(
            t1([3, 3, 3, 2, 2], 100, 3),
            t1([2, 2, 2, 2, 1, 1], 100, 2),
            t1([1] * 8 + [0, 0], 100, 1),
        )
        r = rec(history, SQUAT, routine=GZ, with_state=True)
        assert r.action is Action.DELOAD
        assert shape(r) == (5, (3,) * 5, 85)
        assert r.reason_codes[0] is ReasonCode.LP_DELOAD
        assert "85 %" in r.reasons[0].message

    def test_stage_is_read_from_the_logged_targets_alone(self) -> None:
        # Only the last session, a failed 6x2, is sent: the stage comes from its targets.
        r = rec(sessions(t1([2, 2, 2, 2, 1, 1], 100, 2)), SQUAT, routine=GZ)
        assert shape(r) == (10, (1,) * 10, 100)

    @pytest.mark.parametrize(
        ("slug", "reps", "target", "expected"),
        [
            (SQUAT, [3, 3, 3, 3, 8], 3, (5, (3,) * 5, 105)),  # lower body +5 kg
            ("bench-press", [3, 3, 3, 3, 5], 3, (5, (3,) * 5, 62.5)),  # upper body +2.5 kg
            (SQUAT, [2] * 6, 2, (6, (2,) * 6, 105)),  # success stays at the stage
        ],
    )
    def test_success_adds_the_tier_step(
        self, slug: str, reps: list[int], target: int, expected: tuple[object, ...]
    ) -> None:
        load = 100 if slug == SQUAT else 60
        r = rec(sessions(t1(reps, load, target, slug)), slug, routine=GZ)
        assert r.action is Action.LP_STEP
        assert shape(r) == expected
        assert r.reason_codes == (ReasonCode.LP_SUCCESS,)

    def test_main_lift_without_a_gzclp_shape_starts_at_5x3(self) -> None:
        r = rec(sessions(sets(SQUAT, [5, 5, 5], 100, target=5)), SQUAT, routine=GZ)
        assert shape(r) == (5, (3,) * 5, 105)

    def test_lb_steps(self) -> None:
        history = sessions(t1([3, 3, 3, 3, 5], 225, 3))
        req = request(history, routine=GZ, equipment=Equipment())
        req = replace(req, profile=replace(req.profile, unit=Unit.LB))
        r = recommend(req).for_exercise(SQUAT)
        assert r is not None
        assert r.prescription.load == 235


class TestGzclpT2:
    def test_3x10_failure_moves_to_3x8_at_the_same_load(self) -> None:
        r = rec(sessions(sets(ROW, [10, 9, 8], 60, target=10)), ROW, routine=GZ)
        assert r.action is Action.REPEAT
        assert shape(r) == (3, (8, 8, 8), 60)
        assert "3x8" in r.reasons[0].message

    def test_3x8_failure_moves_to_3x6(self) -> None:
        r = rec(sessions(sets(ROW, [8, 7, 6], 60, target=8)), ROW, routine=GZ)
        assert shape(r) == (3, (6, 6, 6), 60)

    def test_success_adds_load_at_the_stage(self) -> None:
        r = rec(sessions(sets(ROW, [8, 8, 8], 60, target=8)), ROW, routine=GZ)
        assert (r.action, shape(r)) == (Action.LP_STEP, (3, (8, 8, 8), 62.5))

    def test_3x6_failure_restarts_3x10_above_the_last_successful_3x10(self) -> None:
        history = sessions(
            sets(ROW, [10, 10, 10], 55, target=10),
            sets(ROW, [10, 9, 9], 57.5, target=10),
            sets(ROW, [8, 8, 8], 57.5, target=8),
            sets(ROW, [8, 7, 7], 60, target=8),
            sets(ROW, [6, 5, 5], 60, target=6),
        )
        r = rec(history, ROW, routine=GZ, with_state=True)
        assert r.action is Action.RESET
        # Last successful 3x10 was 55 kg; + 7.5 kg = 62.5 kg.
        assert shape(r) == (3, (10, 10, 10), 62.5)
        assert "55 kg" in r.reasons[0].message
        assert "62.5 kg" in r.reasons[0].message

    def test_t2_reset_increment_is_configurable(self) -> None:
        history = sessions(
            sets(ROW, [10, 10, 10], 55, target=10), sets(ROW, [6, 5, 5], 60, target=6)
        )
        cfg = replace(
            DEFAULT_CONFIG,
            gzclp=replace(
                DEFAULT_CONFIG.gzclp,
                t2_reset_increment=replace(DEFAULT_CONFIG.gzclp.t2_reset_increment, kg=10.0),
            ),
        )
        r = rec(history, ROW, routine=GZ, config=cfg)
        assert r.prescription.load == 65


class TestGzclpT3:
    def test_3x15_adds_load_only_when_the_amrap_reaches_25(self) -> None:
        short = rec(
            sessions(sets("lat-pulldown", [15, 15, 20], 40, target=15, amrap_last=True)),
            "lat-pulldown",
            routine=GZ,
        )
        assert (short.action, shape(short)) == (Action.REPEAT, (3, (15, 15, 15), 40))
        done = rec(
            sessions(sets("lat-pulldown", [15, 15, 25], 40, target=15, amrap_last=True)),
            "lat-pulldown",
            routine=GZ,
        )
        assert (done.action, shape(done)) == (Action.LP_STEP, (3, (15, 15, 15), 45))
        assert "25" in done.reasons[0].message

    def test_accessory_without_a_logged_target_is_t3(self) -> None:
        r = rec(sessions(sets("lat-pulldown", [12, 12, 12], 40)), "lat-pulldown", routine=GZ)
        assert shape(r) == (3, (15, 15, 15), 40)


# ---------------------------------------------------------------------------------------------
# Basic Beginner Routine


class TestBbr:
    def test_15_total_reps_over_3_sets_is_a_success(self) -> None:
        history = sessions(sets("deadlift", [5, 4, 7], 100, target=5, amrap_last=True))
        r = rec(history, "deadlift", routine=BBR)
        assert r.action is Action.LP_STEP
        assert r.prescription.load == 102.5
        assert r.reason_codes == (ReasonCode.LP_SUCCESS,)
        assert "16" in r.reasons[0].message
        assert "15" in r.reasons[0].message

    def test_fewer_than_15_total_reps_deloads_at_limit_1(self) -> None:
        history = sessions(sets("deadlift", [5, 4, 5], 100, target=5, amrap_last=True))
        r = rec(history, "deadlift", routine=BBR)
        assert r.action is Action.DELOAD
        assert r.prescription.load == 90

    def test_missed_set_with_a_big_amrap_doubles_the_step(self) -> None:
        history = sessions(sets("deadlift", [5, 4, 11], 100, target=5, amrap_last=True))
        r = rec(history, "deadlift", routine=BBR)
        assert r.prescription.load == 105
        assert "11" in r.reasons[0].message

    def test_broken_form_still_fails(self) -> None:
        history = sessions(sets("deadlift", [5, 5, 7], 100, target=5, form_ok=[True, False, True]))
        r = rec(history, "deadlift", routine=BBR)
        assert r.action is Action.DELOAD

    def test_stronglifts_keeps_the_per_set_rule(self) -> None:
        history = sessions(sets("deadlift", [5, 4, 7], 100, target=5))
        r = rec(history, "deadlift")
        assert r.action is Action.REPEAT


# ---------------------------------------------------------------------------------------------
# Starting Strength


class TestStartingStrength:
    def test_deadlift_takes_5_kg_steps(self) -> None:
        r = rec(sessions(sets("deadlift", [5], 100, target=5)), "deadlift", routine=SS)
        assert r.prescription.load == 105

    def test_main_lifts_take_2_5_kg_steps(self) -> None:
        r = rec(sessions(sets(SQUAT, [5, 5, 5], 100, target=5)), SQUAT, routine=SS)
        assert r.prescription.load == 102.5

    def test_deadlift_step_in_lb(self) -> None:
        history = sessions(sets("deadlift", [5], 225, target=5))
        req = request(history, routine=SS, equipment=Equipment())
        req = replace(req, profile=replace(req.profile, unit=Unit.LB))
        r = recommend(req).for_exercise("deadlift")
        assert r is not None
        assert r.prescription.load == 235

    def test_failure_limit_is_2(self) -> None:
        fail = sets(ROW, [5, 5, 4], 60, target=5)
        assert rec(sessions(fail), ROW, routine=SS).action is Action.REPEAT
        assert rec(sessions(fail, fail), ROW, routine=SS).action is Action.DELOAD


# ---------------------------------------------------------------------------------------------
# Pull-up ladder stalls (spec 11)


def assisted(reps: list[int], assistance: float, target: int = 8) -> tuple[SetLog, ...]:
    return sets(APU, reps, assistance=assistance, target=target)


def negatives(reps: list[int]) -> tuple[SetLog, ...]:
    return sets(APU, reps, target=5, ladder_step=1)


class TestPullUpStall:
    def test_two_stalled_sessions_still_repeat(self) -> None:
        r = rec(sessions(*[assisted([8, 7, 6], 30)] * 2), APU)
        assert r.action is Action.REPEAT
        assert (r.prescription.reps_per_set, r.prescription.assistance) == ((8, 8, 8), 30)

    def test_three_stalled_sessions_add_assistance_and_reps(self) -> None:
        r = rec(sessions(*[assisted([8, 7, 6], 30)] * 3), APU, with_state=True)
        assert r.action is Action.ROTATE_VARIATION
        assert (r.prescription.reps_per_set, r.prescription.assistance) == ((10, 10, 10), 32.5)
        assert r.reason_codes == (ReasonCode.STALL_DETECTED,)
        message = r.reasons[0].message
        assert "3x10" in message
        assert "32.5 kg" in message
        assert "30 kg" in message

    def test_rising_reps_are_not_a_stall(self) -> None:
        history = sessions(
            assisted([6, 6, 6], 30), assisted([7, 6, 6], 30), assisted([7, 7, 6], 30)
        )
        r = rec(history, APU)
        assert r.action is Action.REPEAT
        assert r.prescription.assistance == 30

    def test_a_new_best_restarts_the_stall_count(self) -> None:
        # 22 -> 23 -> 22 -> 20: the 23 was progress (spec 6), so only 2 sessions stalled since.
        history = sessions(
            assisted([8, 7, 7], 30),
            assisted([8, 8, 7], 30),
            assisted([8, 7, 7], 30),
            assisted([7, 7, 6], 30),
        )
        r = rec(history, APU)
        assert r.action is Action.REPEAT
        assert ReasonCode.STALL_DETECTED not in r.reason_codes
        assert r.prescription.assistance == 30

    def test_a_best_logged_with_broken_form_is_no_new_best(self) -> None:
        # R8: 8+8 clean reps beat the baseline's 14, but the session's form broke.
        *clean, last = assisted([8, 8, 7], 30)
        broken = (*clean, last._replace(form_ok=False))
        history = sessions(
            assisted([5, 5, 4], 30), broken, assisted([5, 5, 4], 30), assisted([5, 5, 4], 30)
        )
        assert rec(history, APU).action is Action.ROTATE_VARIATION

    def test_the_more_assisted_3x10_done_returns_to_3x8(self) -> None:
        history = sessions(*[assisted([8, 7, 6], 30)] * 3, assisted([10, 10, 10], 32.5, 10))
        r = rec(history, APU)
        assert r.action is Action.ASSIST_REDUCE
        assert (r.prescription.reps_per_set, r.prescription.assistance) == ((8, 8, 8), 30)

    def test_a_stalled_3x10_moves_to_negatives(self) -> None:
        history = sessions(*[assisted([9, 8, 8], 32.5, 10)] * 3)
        r = rec(history, APU)
        assert r.action is Action.ROTATE_VARIATION
        p = r.prescription
        assert (p.sets, p.reps_per_set, p.assistance, p.ladder_step) == (3, (5, 5, 5), None, 1)
        assert "negative" in r.reasons[0].message

    def test_negatives_done_return_to_the_stalled_rung(self) -> None:
        history = sessions(
            *[assisted([8, 7, 6], 30)] * 3,
            *[assisted([9, 8, 8], 32.5, 10)] * 3,
            negatives([5, 5, 5]),
        )
        r = rec(history, APU, with_state=True)
        assert r.action is Action.LADDER_ADVANCE
        p = r.prescription
        assert (p.reps_per_set, p.assistance, p.ladder_step) == ((8, 8, 8), 30, None)

    def test_negatives_short_of_target_repeat(self) -> None:
        r = rec(sessions(negatives([5, 4, 3])), APU)
        assert r.action is Action.REPEAT
        assert (r.prescription.reps_per_set, r.prescription.ladder_step) == ((5, 5, 5), 1)

    def test_stalled_negatives_step_down_to_inverted_rows(self) -> None:
        r = rec(sessions(*[negatives([5, 4, 3])] * 3), APU)
        assert r.action is Action.ROTATE_VARIATION
        assert "inverted-row" in r.reasons[0].message
        assert r.prescription.ladder_step is None

    def test_stall_count_is_configurable(self) -> None:
        cfg = replace(DEFAULT_CONFIG, ladders=replace(DEFAULT_CONFIG.ladders, stall_sessions=2))
        r = rec(sessions(*[assisted([8, 7, 6], 30)] * 2), APU, config=cfg)
        assert r.action is Action.ROTATE_VARIATION

    def test_intermediates_get_the_same_ladder(self) -> None:
        r = rec(sessions(*[assisted([8, 7, 6], 30)] * 3), APU, experience=Experience.INTERMEDIATE)
        assert r.action is Action.ROTATE_VARIATION

    def test_a_stuck_lifter_never_gets_12_identical_prescriptions(self) -> None:
        """Closed loop: the lifter does what is prescribed and always misses the last rep.
        The logged start is that same miss: a start below it would make the first prescribed
        session a new best (spec 6), and the 3 stalled sessions would count from there."""
        history: list[Session] = [*sessions(assisted([8, 8, 7], 30))]
        seen = []
        for _ in range(12):
            r = rec(tuple(history), APU)
            p = r.prescription
            seen.append((p.reps_per_set, p.assistance, p.ladder_step))
            if "inverted-row" in r.reasons[0].message:
                break
            missed = [*p.reps_per_set[:-1], p.reps_per_set[-1] - 1]
            history.append(
                Session(
                    history[-1].date + timedelta(days=2),
                    sets(
                        APU,
                        missed,
                        assistance=p.assistance or 0.0,
                        target=p.reps_per_set[0],
                        ladder_step=p.ladder_step,
                    ),
                )
            )
        longest = max(len(group) for group in _groups(seen))
        assert longest <= 3, seen
        assert len(seen) > 3


def _groups(seq: Sequence[object]) -> list[list[object]]:
    out: list[list[object]] = []
    for x in seq:
        if out and out[-1][0] == x:
            out[-1].append(x)
        else:
            out.append([x])
    return out
