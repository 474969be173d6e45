"""Finding 6 of issue 8: the echoed `state` is a shortcut, never a second source of truth.

A client that logs what was prescribed gets the same answer with or without the state it was
given last time. Before the fix, decisions the engine took when it planned a session (a forced
balance step, an arbitration at the planned day) lived only in `state`: a replay from the sets
alone forgot them, offered the balance fix again and could run two back modifications at once.
"""

from dataclasses import replace
from datetime import timedelta

from app.recommender import (
    DEFAULT_CONFIG,
    Experience,
    ModificationKind,
    Prescription,
    ReasonCode,
    Recommendation,
    RecommendationRequest,
    RecommendationResult,
    Session,
    SetLog,
    recommend,
)
from app.recommender.history import build_history
from app.recommender.volume import BalanceTotals, Catalog, history_volume, window_slice
from tests.recommender.builders import request, sessions, sets
from tests.recommender.catalog import CATALOG

INT = Experience.INTERMEDIATE

PRESS_HEAVY = (
    sets("bench-press", [8] * 5, 80, target=8, rpe=8.0)
    + sets("overhead-press", [8] * 5, 40, target=8, rpe=8.0)
    + sets("dip", [10] * 4, target=10, rpe=8.0)
)
LIGHT_BACK = sets("barbell-bent-over-row", [10] * 3, 60, target=10, rpe=8.0)


def _reps(p: Prescription) -> tuple[int, ...]:
    if p.per_set_reps is not None:
        return p.per_set_reps
    if p.reps is not None:
        return (p.reps,) * p.sets
    assert p.rep_range is not None
    return (p.rep_range[0],) * p.sets


def _perform(rec: Recommendation) -> tuple[SetLog, ...]:
    """Do exactly what was prescribed, at RPE 8, logging the targets (a well-behaved client)."""
    p = rec.prescription
    return tuple(
        SetLog(
            exercise=rec.exercise,
            reps=r,
            load=p.load or 0.0,
            assistance=p.assistance or 0.0,
            target_reps=r if p.rep_range is None else None,
            target_range=p.rep_range,
            target_rpe=p.target_rpe,
            rpe=8.0,
            ladder_step=p.ladder_step,
            to_failure=p.final_set_to_failure and i == len(_reps(p)) - 1,
        )
        for i, r in enumerate(_reps(p))
    )


def _signature(result: RecommendationResult) -> list[tuple[object, ...]]:
    return [
        (r.exercise, r.action, r.modification, r.prescription, [x.code for x in r.reasons])
        for r in result.recommendations
    ]


def _loop(steps: int) -> list[tuple[RecommendationRequest, RecommendationResult]]:
    history = list(sessions(PRESS_HEAVY + LIGHT_BACK, PRESS_HEAVY + LIGHT_BACK, every=3))
    req = request(history, experience=INT, today=history[-1].date + timedelta(days=3))
    out = []
    for _ in range(steps):
        answer = recommend(req)
        out.append((req, answer))
        done = tuple(s for rec in answer.recommendations for s in _perform(rec))
        history.append(Session(req.today, done))
        req = replace(
            req,
            history=tuple(history),
            today=req.today + timedelta(days=3),
            state=answer.plan.state,
        )
    return out


def test_a_balance_step_taken_on_a_planned_day_is_remembered_without_state() -> None:
    (_, first), (req2, second) = _loop(2)
    added = [r for r in first.recommendations if r.modification is not None]
    assert ReasonCode.BALANCE_DEFICIT in [r.code for r in first.plan.reasons]
    assert [m.modification.kind for m in added if m.modification] == [ModificationKind.ADD_SETS]
    step_on = second.plan.state.balance_step_on
    assert step_on is not None
    stateless = recommend(replace(req2, state=None))
    assert stateless.plan.state.balance_step_on == step_on
    assert _signature(stateless) == _signature(second)


def test_a_closed_loop_answers_the_same_with_and_without_state() -> None:
    for req, answer in _loop(14):
        stateless = recommend(replace(req, state=None))
        assert _signature(stateless) == _signature(answer), req.today
        assert stateless.plan.state.active_modifications == answer.plan.state.active_modifications


def test_an_added_exercise_the_lifter_never_does_lapses() -> None:
    # The balance fix adds a pull; the lifter keeps training back without it. The added pull
    # must not hold the back group's single modification slot for ever.
    first = recommend(request(sessions(PRESS_HEAVY + LIGHT_BACK), experience=INT))
    added = next(r for r in first.recommendations if r.modification is not None)
    history = sessions(*(PRESS_HEAVY + LIGHT_BACK,) * 5, every=3)
    later = recommend(request(history, experience=INT))
    still = [a for a in later.plan.state.active_modifications if a.added_exercise == added.exercise]
    assert still == [] or still[0].started_on >= history[-1].date


def test_balance_totals_agree_with_the_weekly_volume() -> None:
    # The replay's cheap balance check must say exactly what the full weekly volume says.
    steps = _loop(10)
    req = steps[-1][0]
    catalog = Catalog(CATALOG, DEFAULT_CONFIG)
    history = build_history(req.history, catalog.facts, 80.0, DEFAULT_CONFIG)
    dates = [e.date for e in history.ordered]
    totals = BalanceTotals(history.ordered, catalog)
    for day in sorted(set(dates)):
        visible = dates[: dates.index(day)]
        weekly = history_volume(history.ordered, visible, day, catalog, DEFAULT_CONFIG)
        ratios = (weekly.ratio_sets(), weekly.ratio_reps())
        expected = any(r is not None and r < 1.0 for r in ratios)
        assert totals.deficit(window_slice(day, visible, DEFAULT_CONFIG)) is expected, day
