"""Plan report: weekly volume, R7 balance, landmarks, selection checks and level suggestions."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.recommender import (
    Action,
    Experience,
    LandmarkStatus,
    ModificationKind,
    PlanEntry,
    ReasonCode,
    RecommendationResult,
    Variant,
    recommend,
)
from tests.recommender.builders import START, request, run, sessions, sets

INT = Experience.INTERMEDIATE
ROW = "barbell-bent-over-row"


def weekly(result: RecommendationResult) -> dict[str, float]:
    return {v.group: v.sets for v in result.plan.weekly_sets}


def codes(result: RecommendationResult) -> list[ReasonCode]:
    return [r.code for r in result.plan.reasons]


class TestVolume:
    def test_fractional_credit_and_deadlift_override(self) -> None:
        history = sessions(
            sets(ROW, [10, 10, 10], 70, target=10)
            + sets("deadlift", [5, 5], 140, target=5)
            + sets("hyperextension", [12, 12], target=12, ladder_step=1)
        )
        v = weekly(run(history, experience=INT))
        assert v["back"] == 3 + 2 * 0.5
        assert v["erectors"] == 3 * 0.5 + 2 * 1.0 + 2 * 1.0
        assert v["biceps-brachii"] == 1.5

    def test_warmups_and_easy_sets_are_not_hard_sets(self) -> None:
        work = sets(ROW, [10, 10, 10], 70, target=10, rpe=[5.0, 7.0, 8.0])
        warm = sets(ROW, [5], 40)
        warm = tuple(s._replace(is_warmup=True) for s in warm)
        v = weekly(run(sessions(warm + work), experience=INT))
        assert v["back"] == 2

    def test_only_the_last_7_days_count(self) -> None:
        history = sessions(*[sets(ROW, [10] * 3, 70, target=10) for _ in range(5)], every=3)
        v = weekly(run(history, experience=INT, today=history[-1].date))
        assert v["back"] == 9  # sessions on days 6, 9 and 12 fall in (day 5, day 12]

    def test_plan_volume_wins_over_history(self) -> None:
        plan = [PlanEntry(ROW, 4, 10, times_per_week=2), PlanEntry("bench-press", 3, 8)]
        result = run(sessions(sets(ROW, [10] * 3, 70, target=10)), experience=INT, plan=plan)
        assert weekly(result)["back"] == 8
        assert result.plan.back_front_ratio_sets == pytest.approx(8 / 3, rel=1e-3)
        assert result.plan.back_front_ratio_reps == pytest.approx(80 / 24, rel=1e-3)

    @pytest.mark.parametrize(
        ("experience", "sets_per_week", "status", "code"),
        [
            (INT, 9, LandmarkStatus.BELOW_MEV, ReasonCode.VOLUME_BELOW_MEV),
            (INT, 12, LandmarkStatus.WITHIN, None),
            (INT, 24, LandmarkStatus.ABOVE_MAV, None),
            (INT, 26, LandmarkStatus.ABOVE_MRV, ReasonCode.VOLUME_ABOVE_MRV),
            (Experience.BEGINNER, 7, LandmarkStatus.BELOW_MEV, ReasonCode.VOLUME_BELOW_MEV),
            (Experience.BEGINNER, 12, LandmarkStatus.WITHIN, None),
        ],
    )
    def test_landmarks(
        self,
        experience: Experience,
        sets_per_week: int,
        status: LandmarkStatus,
        code: ReasonCode | None,
    ) -> None:
        plan = [PlanEntry("lat-pulldown", sets_per_week, 10)]
        result = run(
            sessions(sets("lat-pulldown", [10] * 3, 60, target=10)),
            experience=experience,
            plan=plan,
        )
        (check,) = result.plan.landmarks
        assert (check.group, check.sets, check.status) == ("back", sets_per_week, status)
        if code is not None:
            assert code in codes(result)


class TestBalance:
    PRESS = sets("bench-press", [8] * 5, 80, target=8) + sets(
        "overhead-press", [8] * 3, 40, target=8
    )

    def test_deficit_forces_one_add_exercise_for_intermediates(self) -> None:
        result = run(sessions(sets(ROW, [10] * 3, 70, target=10) + self.PRESS), experience=INT)
        assert result.plan.back_front_ratio_sets == 0.375
        assert ReasonCode.BALANCE_DEFICIT in codes(result)
        pull_up = result.for_exercise("pull-up")
        assert pull_up is not None
        assert pull_up.reason_codes == (ReasonCode.BALANCE_DEFICIT, ReasonCode.MOD_ADD_EXERCISE)
        assert pull_up.modification is not None
        assert pull_up.modification.variant is Variant.B
        assert result.plan.state.balance_step_on == date(2025, 3, 5)
        bench = result.for_exercise("bench-press")
        assert bench is not None
        assert bench.prescription.sets == 5  # push volume is never cut

    def test_with_three_back_exercises_variant_a_on_the_smallest(self) -> None:
        back = (
            sets(ROW, [10] * 3, 70, target=10)
            + sets("lat-pulldown", [10] * 2, 60, target=10)
            + sets("face-pull", [15] * 3, 20, target=15)
        )
        press = self.PRESS + sets("dip", [8] * 3, target=8)
        result = run(sessions(back + press), experience=INT)
        rec = result.for_exercise("lat-pulldown")
        assert rec is not None
        assert rec.modification is not None
        assert (rec.modification.kind, rec.modification.variant) == (
            ModificationKind.ADD_SETS,
            Variant.A,
        )
        assert (rec.prescription.sets, rec.prescription.load) == (3, 60)

    def test_one_volume_step_per_week(self) -> None:
        history = sessions(sets(ROW, [10] * 3, 70, target=10) + self.PRESS)
        first = recommend(request(history, experience=INT))
        again = recommend(replace(request(history, experience=INT), state=first.plan.state))
        # The echoed state continues the same step instead of adding a second one.
        first_mods = [r.modification for r in first.recommendations if r.modification]
        again_mods = [r.modification for r in again.recommendations if r.modification]
        assert len(again_mods) == 1
        assert again_mods == first_mods
        assert again.plan.state.balance_step_on == first.plan.state.balance_step_on

    def test_beginners_only_get_the_report(self) -> None:
        result = run(sessions(sets(ROW, [5] * 3, 50, target=5) + self.PRESS))
        assert ReasonCode.BALANCE_DEFICIT in codes(result)
        assert all(r.modification is None for r in result.recommendations)

    def test_no_front_work_means_no_ratio(self) -> None:
        result = run(sessions(sets(ROW, [5] * 3, 50, target=5)))
        assert result.plan.back_front_ratio_sets is None
        assert ReasonCode.BALANCE_DEFICIT not in codes(result)


class TestSelection:
    def _checks(self, result: RecommendationResult) -> dict[ReasonCode, bool]:
        return {c.code: c.passed for c in result.plan.selection_checks}

    def test_beginner_two_top_five_lifts_twice_a_week(self) -> None:
        full_body = (
            sets(ROW, [5] * 3, 50, target=5)
            + sets("deadlift", [5], 100, target=5)
            + sets("pull-up", [5] * 3, target=5)
        )
        history = sessions(*[full_body] * 8)
        assert self._checks(run(history)) == {
            ReasonCode.BEGINNER_SELECTION: True,
            ReasonCode.BEGINNER_FREQUENCY: True,
        }

    def test_beginner_too_many_and_too_rare(self) -> None:
        plan = [
            PlanEntry(ROW, 3, 5, times_per_week=2),
            PlanEntry("deadlift", 1, 5),
            PlanEntry("assisted-pull-up", 3, 8, times_per_week=2),
            PlanEntry("hyperextension", 3, 12, times_per_week=2),
        ]
        result = run(sessions(sets(ROW, [5] * 3, 50, target=5)), plan=plan)
        checks = self._checks(result)
        assert checks == {
            ReasonCode.BEGINNER_SELECTION: False,
            ReasonCode.BEGINNER_FREQUENCY: False,
        }
        freq = next(
            c for c in result.plan.selection_checks if c.code is ReasonCode.BEGINNER_FREQUENCY
        )
        assert "deadlift 1x/week" in freq.message

    def test_intermediate_keeps_deadlift_and_pull_up(self) -> None:
        old = sessions(sets("deadlift", [5], 140, target=5), start=START - timedelta(days=60))
        now = sessions(sets(ROW, [10] * 3, 70, target=10))
        result = run((*old, *now), experience=INT)
        check = next(c for c in result.plan.selection_checks if c.code is ReasonCode.KEEP_DL_PU)
        assert not check.passed
        assert "deadlift (dropped)" in check.message
        assert "pull-up (missing)" in check.message

    def test_back_day_is_accepted(self) -> None:
        day = (
            sets("deadlift", [5], 140, target=5)
            + sets("pull-up", [8] * 3, target=8)
            + sets(ROW, [10] * 3, 70, target=10)
        )
        result = run(sessions(day), experience=INT)
        checks = self._checks(result)
        assert checks == {ReasonCode.KEEP_DL_PU: True, ReasonCode.BACK_DAY_OK: True}


class TestLevelSuggestion:
    def test_beginner_with_two_deloads_on_one_lift(self) -> None:
        fail = sets(ROW, [5, 5, 4], 60, target=5)
        result = run(sessions(*[fail] * 6))
        rec = result.for_exercise(ROW)
        assert rec is not None
        assert rec.reason_codes == (ReasonCode.LP_DELOAD, ReasonCode.LP_EXHAUSTED)
        suggestion = result.plan.level_suggestion
        assert suggestion is not None
        assert suggestion.suggested is Experience.INTERMEDIATE
        assert "2 deloads within 8 weeks" in suggestion.reason.message

    def test_beginner_with_three_deloads_across_main_lifts(self) -> None:
        fail_row = sets(ROW, [5, 5, 4], 60, target=5)
        fail_squat = sets("back-squat", [5, 5, 4], 100, target=5)
        fail_dl = sets("deadlift", [4], 140, target=5)
        history = sessions(*[fail_row + fail_squat + fail_dl] * 3)
        suggestion = run(history).plan.level_suggestion
        assert suggestion is not None
        assert "3 deloads in total" in suggestion.reason.message

    def test_old_deloads_do_not_count_for_the_same_lift_rule(self) -> None:
        fail = sets(ROW, [5, 5, 4], 60, target=5)
        old = sessions(*[fail] * 3, start=date(2024, 1, 1))
        new = sessions(*[fail] * 3)
        assert run((*old, *new)).plan.level_suggestion is None

    def test_intermediate_still_adding_load_every_session(self) -> None:
        history = sessions(
            *[
                sets(ROW, [8] * 3, 60 + 2.5 * i, target=8)
                + sets("lat-pulldown", [8] * 3, 50 + 5 * i, target=8)
                for i in range(7)
            ]
        )
        suggestion = run(history, experience=INT).plan.level_suggestion
        assert suggestion is not None
        assert suggestion.suggested is Experience.BEGINNER
        short = run(history[:6], experience=INT).plan.level_suggestion
        assert short is None


def test_plan_only_exercises_are_listed_as_new() -> None:
    plan = [PlanEntry(ROW, 3, 10), PlanEntry("face-pull", 3, 15)]
    result = run(sessions(sets(ROW, [10] * 3, 70, target=10)), experience=INT, plan=plan)
    assert result.plan.new_exercises == ("face-pull",)
    assert [r.exercise for r in result.recommendations] == [ROW]
    assert result.recommendations[0].action is Action.DP_STEP
