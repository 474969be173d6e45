"""The next-session recommendation endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from app.bodies import StrictJSONRoute, json_body, parse_json_body
from app.db.session import SessionDep
from app.errors import problem_responses
from app.recommendations import service
from app.recommendations.examples import OPENAPI_EXAMPLES
from app.recommendations.schemas import NextSessionRequest, read_next_session
from app.recommender import RecommendationResult

router = APIRouter(route_class=StrictJSONRoute, tags=["recommendations"])


@router.post(
    "/recommendations/next-session",
    summary="Recommend the next session",
    response_description="A prescription for every exercise with the reasons and sources behind "
    "it, the week's volume and selection checks, and the state to send back next time.",
    response_model=RecommendationResult,
    responses=problem_responses(422, 503),
    openapi_extra=json_body(NextSessionRequest, OPENAPI_EXAMPLES),
)
async def recommend_next_session(request: Request, session: SessionDep) -> RecommendationResult:
    """What to do next session for every exercise in the history (and plan), and why.

    Stateless: send the lifter's profile, equipment and recent sessions; nothing is stored.
    Beginners follow their routine as published (StrongLifts, Starting Strength, the Basic
    Beginner Routine, GZCLP's tiers and stages, PPL); intermediate and advanced lifters get
    double progression, stall detection and four modifications (more sets, more load, more reps,
    a final set to failure) applied one at a time per muscle group, with deloads, RPE
    autoregulation, volume landmarks and the back/front balance check. Every recommendation
    carries reason codes with a message whose numbers are those of its prescription, and the
    sources it rests on (each resolves at `/v1/sources`); loads are always loadable with the
    given equipment. A rotation names the replacement exercise and its starting load in
    `replacement`.

    Coaching defaults worth knowing, each overridable in `config`: weekly volume counts the 7
    days before the planned day (`today`), so last week's same-weekday session counts; a
    beginner trains a back compound "frequently" when it appears in at least 3 sessions in 14
    days, as A/B routines do, rather than twice in every calendar week; logged RPE or RIR
    without a target RPE is autoregulated against RPE 8 (`RPE_ADJUST`); a volume change never
    takes an exercise past 6 sets a session, and the balance fix spreads sets over the back
    exercises with the fewest weekly sets, then adds a pull, and never cuts pressing; deloads
    and resets start from the pre-deload working load and climb back to it within 2-3 weeks.

    `plan.state` is an optional shortcut: the engine rebuilds everything from the history,
    including the decisions it took when it planned each logged session, so a client that logs
    what was prescribed (targets, sets, `to_failure`, ladder step) and asks on the day it then
    trains gets the same answer with or without it. Exercises are knowledge-base slugs; an
    unknown slug, an impossible value, a date after `today` or more than a year (or 5,000 sets)
    of history is a 422 naming the field.
    """
    # The fast reading when it is provably the strict one; otherwise (and for every refusal)
    # the strict reader, so errors read exactly as for any other body.
    body = read_next_session(await request.body()) or await parse_json_body(
        request, NextSessionRequest
    )
    today = body.today or datetime.now(UTC).date()
    return await service.next_session(session, body, today)
