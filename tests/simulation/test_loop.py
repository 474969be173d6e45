"""The closed loop runs every archetype, logs what was prescribed and is deterministic."""

import pytest

from app.recommender import ExerciseFacts
from app.simulation import ARCHETYPES, action_rows, simulate
from app.simulation.loop import MAX_HISTORY_SETS
from app.simulation.plot import render_svg


@pytest.mark.parametrize("name", sorted(ARCHETYPES))
def test_every_archetype_runs_for_eight_weeks(
    name: str, catalog: tuple[ExerciseFacts, ...]
) -> None:
    archetype = ARCHETYPES[name]
    run = simulate(archetype, catalog, weeks=8, seed=0, compare_state=False)
    assert len(run.steps) == 8 * len(archetype.weekdays)
    for step in run.steps:
        assert step.session.date.weekday() in archetype.weekdays
        assert step.today > step.session.date
        assert step.answer.recommendations
        assert sum(len(s.sets) for s in step.request.history) <= MAX_HISTORY_SETS
        # Every set carries what was prescribed, so the engine can replay it without state.
        for done in step.performed:
            for logged in done.sets:
                assert logged.target_reps is not None or logged.target_range is not None
    # After the first week every exercise follows the engine's answer.
    assert all(
        done.action is not None
        for step in run.steps[len(archetype.days) :]
        for done in step.performed
    )


def test_the_loop_is_deterministic(catalog: tuple[ExerciseFacts, ...]) -> None:
    first = simulate(ARCHETYPES["stronglifts-kg"], catalog, weeks=4, seed=7)
    again = simulate(ARCHETYPES["stronglifts-kg"], catalog, weeks=4, seed=7)
    other = simulate(ARCHETYPES["stronglifts-kg"], catalog, weeks=4, seed=8)
    assert action_rows(first) == action_rows(again)
    assert [s.session for s in first.steps] == [s.session for s in again.steps]
    assert [s.session for s in first.steps] != [s.session for s in other.steps]


def test_alternating_days_and_a_beginner_making_progress(
    catalog: tuple[ExerciseFacts, ...],
) -> None:
    run = simulate(ARCHETYPES["stronglifts-kg"], catalog, weeks=6, seed=0, compare_state=False)
    days = [{d.exercise for d in step.performed} for step in run.steps]
    assert "bench-press" in days[0]
    assert "overhead-press" in days[1]
    squats = [
        d.sets[0].load for step in run.steps for d in step.performed if d.exercise == "back-squat"
    ]
    assert squats[-1] > squats[0]


def test_the_lb_lifter_loads_in_pounds(catalog: tuple[ExerciseFacts, ...]) -> None:
    run = simulate(ARCHETYPES["stronglifts-lb"], catalog, weeks=3, seed=0, compare_state=False)
    loads = {
        d.sets[0].load for step in run.steps for d in step.performed if d.exercise == "back-squat"
    }
    assert all((load - 45) % 5 == 0 for load in loads)


def test_the_chart_is_svg_and_deterministic(catalog: tuple[ExerciseFacts, ...]) -> None:
    run = simulate(ARCHETYPES["bbr"], catalog, weeks=2, seed=0, compare_state=False)
    svg = render_svg(run)
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    assert svg == render_svg(run)


def test_an_unknown_exercise_is_refused(catalog: tuple[ExerciseFacts, ...]) -> None:
    with pytest.raises(ValueError, match="the catalog lacks"):
        simulate(ARCHETYPES["gzclp"], catalog[:3], weeks=1)
