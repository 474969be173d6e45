"""The simulated lifter: deterministic for a seed, and faithful to the RTS RPE relationship."""

import random

import pytest

from app.recommender import DEFAULT_CONFIG
from app.recommender.rpe import rts_percentage
from app.simulation import Lifter, LifterProfile, Trait, max_reps
from app.simulation.lifter import round_half

QUIET = LifterProfile(
    sd_day=0.0, sd_lift=0.0, sd_rpe=0.0, bad_form_rate=0.0, bad_form_rate_near_failure=0.0
)


def lifter(profile: LifterProfile = QUIET, seed: int = 0) -> Lifter:
    person = Lifter(profile, random.Random(seed))
    person.know("squat", Trait(one_rm=100.0, ceiling=150.0))
    person.start_day(0)
    return person


def test_max_reps_inverts_the_rts_chart() -> None:
    for reps in (1, 3, 5, 8, 12):
        pct = rts_percentage(reps, 10.0, DEFAULT_CONFIG.rpe)
        assert pct is not None
        assert max_reps(pct) == pytest.approx(reps, abs=1e-6)


def test_more_load_means_fewer_reps() -> None:
    fractions = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    reps = [max_reps(f) for f in fractions]
    assert reps == sorted(reps, reverse=True)
    assert max_reps(1.05) == 0.0


def test_a_set_stops_at_its_target_and_reports_the_rts_rpe() -> None:
    person = lifter()
    # 73.9 % of 1RM is 10 reps to failure, so 8 reps leave 2 in reserve: RPE 8 (spec 13).
    out = person.perform(73.9, 100.0, 0.0, target=8, rep_range=None, target_rpe=None, all_out=False)
    assert out.reps == 8
    assert out.true_rpe == pytest.approx(8.0, abs=0.01)
    assert out.reported_rpe == 8.0


def test_an_amrap_set_goes_to_failure() -> None:
    person = lifter()
    out = person.perform(73.9, 100.0, 0.0, target=5, rep_range=None, target_rpe=None, all_out=True)
    assert out.reps == 10
    assert out.true_rpe == pytest.approx(10.0)


def test_a_range_is_worked_up_to_the_target_rpe() -> None:
    person = lifter()
    out = person.perform(
        73.9, 100.0, 0.0, target=None, rep_range=(6, 12), target_rpe=8.0, all_out=False
    )
    assert out.reps == 8


def test_same_seed_same_lifter_different_seed_different_noise() -> None:
    def day(seed: int) -> list[float]:
        person = lifter(LifterProfile(), seed)
        return [person.todays_max("squat") for _ in range(5)]

    assert day(3) == day(3)
    assert day(3) != day(4)


def test_strength_grows_toward_the_ceiling_ever_more_slowly() -> None:
    person = lifter()
    gains = []
    for _ in range(20):
        before = person.strength["squat"]
        sets = [
            person.perform(
                0.8 * before,
                person.strength["squat"],
                0.0,
                target=5,
                rep_range=None,
                target_rpe=None,
                all_out=False,
            )
            for _ in range(3)
        ]
        person.finish_exercise("squat", sets)
        gains.append(person.strength["squat"] - before)
    assert all(g > 0 for g in gains)
    assert gains == sorted(gains, reverse=True)
    assert person.strength["squat"] < 150.0


def test_fatigue_rises_with_volume_and_falls_with_rest() -> None:
    person = lifter()
    hard = [
        person.perform(85.0, 100.0, 0.0, target=5, rep_range=None, target_rpe=None, all_out=True)
        for _ in range(10)
    ]
    person.finish_session(hard)
    tired = person.fatigue
    assert tired > 0
    person.start_day(7)
    assert person.fatigue < tired / 4


def test_reported_rpe_is_rounded_to_half_points() -> None:
    person = lifter(LifterProfile(sd_rpe=0.7), seed=1)
    rpes = {
        person.perform(
            70.0, 100.0, 0.0, target=6, rep_range=None, target_rpe=None, all_out=False
        ).reported_rpe
        for _ in range(50)
    }
    assert all(r == round_half(r) for r in rpes)
    assert len(rpes) > 1
