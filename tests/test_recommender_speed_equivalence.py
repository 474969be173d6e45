"""The recommender's fast paths give the answers of the straightforward code they replace.

* the body read by pydantic's JSON parser (``read_next_session``) is the body the strict reader
  and the model give, and every body the strict reader refuses is left to it;
* the engine's input built in one pass over the sets is the one built field by field;
* an exposure summarised by the hand-written loops is the one ``max``, ``effective_rpe`` and
  ``set_e1rm`` give.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.bodies import strict_loads
from app.cli import content_catalog
from app.errors import InvalidInputError
from app.recommendations import service
from app.recommendations.examples import KG_GYM, OPENAPI_EXAMPLES
from app.recommendations.schemas import NextSessionRequest, SetIn, read_next_session
from app.recommender import (
    DEFAULT_CONFIG,
    ExerciseFacts,
    RecommendationRequest,
    Session,
    SetLog,
)
from app.recommender.history import (
    Exposure,
    _system_load,
    build_exposure,
    default_rep_range,
)
from app.recommender.rpe import effective_rpe, set_e1rm

TODAY = date(2026, 6, 1)
CATALOG = {facts.slug: facts for facts in content_catalog()}


def history_body(weeks: int = 3) -> dict[str, Any]:
    """A varied valid body: warm-ups, RIR, AMRAP, failures, assisted and ladder sets."""
    sessions = []
    for week in range(weeks):
        sets: list[dict[str, Any]] = [
            {"exercise": "barbell-bent-over-row", "reps": 5, "load": 40, "is_warmup": True},
            {"exercise": "barbell-bent-over-row", "reps": 8 + week, "load": 70.5 + week},
            {"exercise": "barbell-bent-over-row", "reps": 8, "load": 70.5, "rir": 2},
            {"exercise": "pull-up", "reps": 6, "assistance": 20 - 5 * week, "rpe": 9},
            {"exercise": "pull-up", "reps": 5, "ladder_step": 1, "to_failure": True},
            {"exercise": "bench-press", "reps": 10, "load": 80, "target_range": [6, 10],
             "target_reps": 8, "rpe": 8.5, "rir": 1.5},
            {"exercise": "bench-press", "reps": 12, "load": 80, "is_amrap": True,
             "form_ok": week != 1, "target_rpe": 8},
        ]  # fmt: skip
        sessions.append({"date": f"2026-05-{10 + 7 * week:02d}", "sets": sets})
    # Two sessions on one day, sent out of order: the sort must keep them as sent.
    sessions.append({"date": "2026-05-10", "sets": [{"exercise": "deadlift", "reps": 5}]})
    return {
        "profile": {"experience": "intermediate", "unit": "kg", "bodyweight": 82.5},
        "equipment": KG_GYM | {"plates": [{"weight": 20, "count": 2}, 10, 5], "dumbbells": [10]},
        "today": TODAY.isoformat(),
        "history": sessions,
        "feedback": [{"muscle_group": "back", "week_start": "2026-05-25", "soreness": 1}],
        "plan": {"entries": [{"exercise": "deadlift", "sets": 3, "reps": 5}]},
        "config": {"volume": {"mev": 8}, "modifications": {"anchors": ["deadlift"]}},
    }


def strictly(raw: bytes) -> NextSessionRequest | None:
    """The reference: the strict reader, then the model; None for any refusal."""
    try:
        return NextSessionRequest.model_validate(strict_loads(raw))
    except (json.JSONDecodeError, ValidationError):
        return None


def same_reading(raw: bytes) -> None:
    fast, reference = read_next_session(raw), strictly(raw)
    if fast is None:
        return  # the strict reader decides, as before
    assert reference is not None, raw[:200]
    assert fast == reference
    assert fast.model_dump(exclude_unset=True) == reference.model_dump(exclude_unset=True)


def texts(body: dict[str, Any]) -> list[bytes]:
    """The same body written compactly, with `json.dumps` spacing, and indented."""
    return [
        json.dumps(body, separators=(",", ":")).encode(),
        json.dumps(body).encode(),
        json.dumps(body, indent=2).encode(),
        json.dumps(body, separators=(" ,", " :\t")).encode(),
    ]


@pytest.mark.parametrize("name", sorted(OPENAPI_EXAMPLES))
def test_documented_examples_read_alike(name: str) -> None:
    for raw in texts(OPENAPI_EXAMPLES[name]["value"]):
        assert read_next_session(raw) is not None or b'"state"' in raw
        same_reading(raw)


def test_a_varied_history_reads_alike_however_it_is_spaced() -> None:
    for raw in texts(history_body()):
        assert read_next_session(raw) is not None
        same_reading(raw)


def _duplicated(raw: bytes, key: bytes, occurrence: int) -> bytes:
    """``raw`` with the ``occurrence``-th ``"key":`` written twice (same value, then 0)."""
    marker = b'"' + key + b'":'
    at = -1
    for _ in range(occurrence + 1):
        at = raw.index(marker, at + 1)
    return raw[:at] + marker + b"0," + raw[at:]


@pytest.mark.parametrize(
    ("key", "occurrence"),
    [(b"profile", 0), (b"experience", 0), (b"reps", 0), (b"reps", 7), (b"load", 3),
     (b"weight", 0), (b"mev", 0), (b"sets", 2), (b"muscle_group", 0)],
)  # fmt: skip
def test_a_duplicate_key_anywhere_goes_to_the_strict_reader(key: bytes, occurrence: int) -> None:
    raw = _duplicated(json.dumps(history_body(), separators=(",", ":")).encode(), key, occurrence)
    assert read_next_session(raw) is None
    with pytest.raises(json.JSONDecodeError):
        strict_loads(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"profile":{"experience":"intermediate","bodyweight":NaN}}',
        b'{"profile":{"experience":"intermediate","bodyweight":Infinity}}',
        (
            b'{"profile":{"experience":"intermediate"},"history":[{"date":"2026-05-01",'
            b'"sets":[{"exercise":"deadlift","reps":5,"load":-Infinity}]}]}'
        ),
        b'\xef\xbb\xbf{"profile":{"experience":"intermediate"}}',
        '{"profile":{"experience":"intermediate"}}'.encode("utf-16"),
        (
            b'{"profile":{"experience":"intermediate"},"feedback":[{"muscle_group":"\\ud800",'
            b'"week_start":"2026-05-01"}]}'
        ),
        b'{"profile":{"experience":"intermediate"}} {}',
        b'{"profile":{"experience":"intermediate"},"st\\u0061te":{"as_of":"2026-05-01"}}',
        b'{"profile":{"experience":"intermediate"},"state":null}',
        b"",
    ],
)
def test_what_the_strict_reader_refuses_is_left_to_it(raw: bytes) -> None:
    same_reading(raw)
    if strictly(raw) is None:
        assert read_next_session(raw) is None


def test_escaped_keys_and_colons_in_strings_read_alike() -> None:
    body = history_body()
    body["feedback"][0]["muscle_group"] = 'back": 1, "x":'
    raw = json.dumps(body).encode().replace(b'"reps"', b'"r\\u0065ps"', 1)
    same_reading(raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_one_duplicated_key_is_refused_as_before(data: st.DataObject) -> None:
    raw = json.dumps(history_body(weeks=2), separators=(",", ":")).encode()
    keys = sorted(set(re.findall(rb'"([a-z_]+)":', raw)))
    key = data.draw(st.sampled_from(keys))
    occurrence = data.draw(st.integers(0, raw.count(b'"' + key + b'":') - 1))
    mutated = _duplicated(raw, key, occurrence)
    assert read_next_session(mutated) is None
    assert strictly(mutated) is None


# ---------------------------------------------------------------------------------------------
# The engine's input


class _Catalog:
    async def get(self, _session: object) -> service.CatalogView:
        return service.CatalogView(CATALOG, service._top_picks(CATALOG))


def reference_request(body: NextSessionRequest) -> RecommendationRequest:
    """The input built field by field, every set through its model dump."""
    named = {s.exercise for session in body.history for s in session.sets}
    named |= {e.exercise for e in body.plan.entries} if body.plan else set()
    anchors = (
        body.config.modifications.anchors if body.config and body.config.modifications else None
    )
    named |= set(anchors or ())
    history = tuple(
        Session(date=s.date, sets=tuple(SetLog(**x.model_dump()) for x in s.sets))
        for s in sorted(body.history, key=lambda s: s.date)
    )
    additions = service._top_picks(CATALOG)
    return replace(
        _build(body),
        catalog=tuple(CATALOG[slug] for slug in sorted(named | additions)),
        history=history,
    )


def _build(body: NextSessionRequest) -> RecommendationRequest:
    return asyncio.run(service.build_engine_request(None, body, TODAY))  # type: ignore[arg-type]


def test_one_pass_input_is_the_field_by_field_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_catalog", _Catalog())
    for payload in (history_body(), history_body(weeks=1), {"profile": {"experience": "beginner"}}):
        body = NextSessionRequest.model_validate(payload)
        built = _build(body)
        assert built == reference_request(body)
        assert all(type(s) is SetLog for session in built.history for s in session.sets)


def test_unknown_slugs_are_named_where_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_catalog", _Catalog())
    payload = copy.deepcopy(history_body())
    payload["history"][1]["sets"][2]["exercise"] = "no-such-lift"
    payload["config"]["modifications"]["anchors"] = ["deadlift", "nor-this"]
    with pytest.raises(InvalidInputError) as raised:
        _build(NextSessionRequest.model_validate(payload))
    names = [error["name"] for error in raised.value.extensions["errors"]]
    assert names == ["history.1.sets.2.exercise", "config.modifications.anchors.1"]


# ---------------------------------------------------------------------------------------------
# Exposures


def reference_exposure(
    work: list[SetLog], facts: ExerciseFacts, bodyweight: float | None
) -> Exposure:
    """`build_exposure` written with the package's helpers, one quantity at a time."""
    cfg = DEFAULT_CONFIG
    ranges = [s.target_range for s in work if s.target_range is not None]
    range_ = ranges[0] if ranges else default_rep_range(facts, cfg)
    load = float(max(s.load for s in work))
    assisted = [s.assistance for s in work if s.assistance > 0]
    assistance = float(min(assisted)) if assisted else 0.0
    system = _system_load(facts, load, assistance, bodyweight)
    at_load = [s.load == load and s.assistance == assistance for s in work]
    logged = [effective_rpe(s.rpe, s.rir, to_failure=s.to_failure) for s in work]
    efforts = [10.0 if s.is_amrap else rpe for s, rpe in zip(work, logged, strict=True)]
    targets = tuple(
        s.target_reps if s.target_reps is not None else (s.target_range or range_)[0] for s in work
    )
    hard = [s for s, rpe in zip(work, logged, strict=True)
            if rpe is None or rpe >= cfg.volume.hard_set_min_rpe]  # fmt: skip
    estimates: list[float] = []
    bounds: list[float] = []
    for s, at, effort in zip(work, at_load, efforts, strict=True):
        if system is None or not s.form_ok or s.reps <= 0:
            continue
        moved = system if at else _system_load(facts, s.load, s.assistance, bodyweight) or 0.0
        value = set_e1rm(moved, s.reps, 10.0 if effort is None else effort, cfg.rpe)
        if value is not None:
            (bounds if effort is None else estimates).append(value)
    form_broken = not all(s.form_ok for s in work)
    high = 10 - cfg.rpe.high_effort_max_rir
    return Exposure(
        exercise=facts.slug,
        date=TODAY,
        session_index=3,
        sets=tuple(work),
        load=load,
        assistance=assistance,
        rung=max(s.ladder_step or 0 for s in work),
        reps=tuple(s.reps for s in work),
        targets=targets,
        targets_met=not form_broken
        and all(s.reps >= t for s, t in zip(work, targets, strict=True)),
        form_broken=form_broken,
        total_reps=sum(s.reps for s, at in zip(work, at_load, strict=True) if s.form_ok and at),
        system_load=system,
        e1rm=max(estimates, default=None),
        e1rm_lower=max(bounds, default=None),
        last_rpe=logged[-1],
        target_rpe=work[-1].target_rpe,
        rep_range=range_,
        high_effort_early=any(e is not None and e >= high for e in efforts[:-1]),
        hard_sets=len(hard),
        hard_reps=sum(s.reps for s in hard),
    )


FACTS = [CATALOG[slug] for slug in ("barbell-bent-over-row", "pull-up", "dip", "biceps-curl",
                                    "push-up", "lat-pulldown")]  # fmt: skip
HALVES = st.sampled_from([6.0, 6.5, 7.5, 8.0, 9.0, 9.5, 10.0])
SETS = st.builds(
    SetLog,
    exercise=st.just("x"),
    reps=st.integers(0, 14),
    load=st.sampled_from([0.0, 20.0, 42.5, 60.0]),
    assistance=st.sampled_from([0.0, 0.0, 10.0, 25.0]),
    target_reps=st.none() | st.integers(1, 12),
    target_range=st.none() | st.sampled_from([(6, 10), (8, 12), (3, 5)]),
    target_rpe=st.none() | HALVES,
    rpe=st.none() | HALVES,
    rir=st.none() | st.sampled_from([0.0, 1.5, 3.0, 5.0]),
    is_amrap=st.booleans(),
    to_failure=st.booleans(),
    form_ok=st.sampled_from([True, True, True, False]),
    ladder_step=st.none() | st.integers(1, 3),
)


@settings(max_examples=300, deadline=None)
@given(
    work=st.lists(SETS, min_size=1, max_size=6),
    facts=st.sampled_from(FACTS),
    bodyweight=st.none() | st.just(80.0),
    repeat=st.booleans(),
)
def test_exposures_match_the_straightforward_summary(
    work: list[SetLog], facts: ExerciseFacts, bodyweight: float | None, repeat: bool
) -> None:
    if repeat:  # one set object logged several times, as builders in tests do
        work = [work[0]] * len(work)
    built = build_exposure(facts.slug, TODAY, 3, work, facts, bodyweight, DEFAULT_CONFIG)
    assert built == reference_exposure(work, facts, bodyweight)


class _NotedSet(SetIn):
    note: str = ""


def test_set_logs_are_the_sets_fields_whatever_the_model() -> None:
    plain = SetIn(exercise="deadlift", reps=5, load=100, rpe=8, is_amrap=True)
    noted = _NotedSet(exercise="deadlift", reps=5, load=100, rpe=8, is_amrap=True, note="ok")
    expected = SetLog("deadlift", 5, load=100.0, rpe=8.0, is_amrap=True)
    assert service._set_logs([plain]) == (expected,)
    assert service._set_logs([plain, noted]) == (expected, expected)
