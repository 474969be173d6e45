"""The integration flow through the client openapi-python-client generates from the live
OpenAPI document (tests/test_generated_clients.py generates it and runs this script).

Every call goes through the generated package, typed as generated: no casts, no raw HTTP.
Each step prints one line; any unexpected answer ends the flow with exit status 1. The
server is the one FLOW_BASE_URL names; its API keys' quota must be tiny (a few requests per
couple of seconds) so that the last step meets a 429 quickly.
"""

from __future__ import annotations

import datetime
import os
import secrets
import sys
import time
import uuid
from http import HTTPStatus
from typing import TypeVar

from spotter_api_client import AuthenticatedClient, Client
from spotter_api_client.api.accounts import create_token, register_account
from spotter_api_client.api.api_keys import create_api_key
from spotter_api_client.api.exercises import (
    get_exercise,
    list_exercise_alternatives,
    list_exercises,
)
from spotter_api_client.api.recommendations import (
    recommend_my_next_session,
    recommend_next_session,
)
from spotter_api_client.api.search import search_knowledge_base
from spotter_api_client.api.training_logs import (
    create_training_session,
    get_my_profile,
    list_training_sessions,
    put_my_profile,
)
from spotter_api_client.models import (
    AlternativeList,
    ApiKeyCreate,
    ApiKeyCreated,
    EquipmentIn,
    ExerciseDetail,
    ExercisePage,
    Experience,
    Goal,
    Level,
    LoginRequest,
    NextSessionRequest,
    Problem,
    ProfileIn,
    ProfilePublic,
    ProfileUpdate,
    RateLimitedProblem,
    RecommendationResult,
    RoutineProfile,
    Scope,
    SearchResults,
    SessionIn,
    Set,
    SetIn,
    TokenPair,
    TrainingSessionCreate,
    TrainingSessionPage,
    TrainingSessionPublic,
    Unit,
    UserCreate,
    UserPublic,
)
from spotter_api_client.types import Response

# Combined filters that match more exercises than one small page holds.
MUSCLE = "latissimus-dorsi"
EQUIPMENT = "barbell"
LEVELS = (Level.BEGINNER, Level.INTERMEDIATE)
PAGE_SIZE = 2
# Three weeks of Monday, Wednesday and Friday sessions, the last two days before today.
SESSION_DAYS = (0, 2, 4, 7, 9, 11, 14, 16, 18)
FIRST_SESSION_DAYS_AGO = 20
# The 429 step: how many requests it may send to meet one, and the longest wait it accepts.
MAX_BURST = 40
MAX_RETRY_AFTER_S = 5

T = TypeVar("T")
R = TypeVar("R")


class FlowError(Exception):
    """An answer the flow did not expect."""


def step(name: str, outcome: str) -> None:
    print(f"{name}: {outcome}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise FlowError(message)


def expect(response: Response[R], status: HTTPStatus, kind: type[T]) -> T:
    """The parsed body of a response that must have this status and this type."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, kind):
        body = response.content[:400].decode(errors="replace")
        msg = f"expected {status.value} {kind.__name__}, got {response.status_code.value}: {body}"
        raise FlowError(msg)
    return parsed


def header(response: Response[R], name: str) -> str:
    value = response.headers.get(name)
    if value is None:
        msg = f"the {response.status_code.value} response has no {name} header"
        raise FlowError(msg)
    return value


def browse(anonymous: Client) -> None:
    seen: list[str] = []
    totals: set[int] = set()
    pages = 0
    cursor: str | None = None
    while True:
        page = expect(
            list_exercises.sync_detailed(
                client=anonymous,
                muscle=[MUSCLE],
                equipment=[EQUIPMENT],
                level=list(LEVELS),
                limit=PAGE_SIZE,
                cursor=cursor,
            ),
            HTTPStatus.OK,
            ExercisePage,
        )
        pages += 1
        totals.add(page.total)
        for item in page.items:
            check(EQUIPMENT in item.equipment, f"{item.slug} does not use a {EQUIPMENT}")
            check(item.level in {level.value for level in LEVELS}, f"{item.slug} is {item.level}")
            muscles = item.primary_muscles + item.secondary_muscles
            check(MUSCLE in muscles, f"{item.slug} does not work the {MUSCLE}")
            seen.append(item.slug)
        if page.next_cursor is None:
            break
        check(pages < 50, "the pages never end")
        cursor = page.next_cursor
    check(len(totals) == 1, f"the total changed between pages: {sorted(totals)}")
    check(totals == {len(seen)}, f"total {totals} but {len(seen)} exercises seen")
    check(len(set(seen)) == len(seen), f"an exercise came twice: {seen}")
    check(pages > 1, "the filters fit one page; the cursor was never followed")
    levels = "/".join(level.value for level in LEVELS)
    step("browse", f"{len(seen)} exercises for {MUSCLE} + {EQUIPMENT} + {levels} in {pages} pages")


def search(anonymous: Client) -> None:
    results = expect(
        search_knowledge_base.sync_detailed(client=anonymous, q="dedlift"),
        HTTPStatus.OK,
        SearchResults,
    )
    check(bool(results.items), "'dedlift' found nothing")
    best = results.items[0]
    check(best.slug == "deadlift", f"'dedlift' found {best.slug} first")
    step("search", f"'dedlift' finds {best.slug} ({best.name}, score {best.score:.2f})")


def detail(anonymous: Client) -> str:
    response = get_exercise.sync_detailed("deadlift", client=anonymous)
    exercise = expect(response, HTTPStatus.OK, ExerciseDetail)
    check(exercise.slug == "deadlift", f"asked for deadlift, got {exercise.slug}")
    check(bool(exercise.instructions), "the deadlift has no instructions")
    etag = header(response, "ETag")
    primary = ", ".join(exercise.primary_muscles)
    step("detail", f"{exercise.name}: {primary}; {len(exercise.instructions)} steps, ETag {etag}")
    return etag


def alternatives(anonymous: Client) -> None:
    found = expect(
        list_exercise_alternatives.sync_detailed("deadlift", client=anonymous),
        HTTPStatus.OK,
        AlternativeList,
    )
    check(bool(found.items), "the deadlift has no alternatives")
    slugs = [item.exercise.slug for item in found.items]
    check("deadlift" not in slugs, "the deadlift is its own alternative")
    step("alternatives", f"{len(slugs)} for the deadlift, first {slugs[0]}")


def revalidate(anonymous: Client, etag: str) -> None:
    response = get_exercise.sync_detailed("deadlift", client=anonymous, if_none_match=etag)
    check(
        response.status_code == HTTPStatus.NOT_MODIFIED,
        f"If-None-Match {etag} answered {response.status_code.value}, not 304",
    )
    check(response.content == b"", "the 304 has a body")
    step("revalidate", f"If-None-Match {etag} -> 304, no body")


def register(anonymous: Client) -> tuple[str, str]:
    email = f"flow-{uuid.uuid4().hex[:12]}@example.com"
    # 144 random bits: far above what the password strength check (zxcvbn) asks for.
    password = f"python-flow-{secrets.token_urlsafe(18)}"
    user = expect(
        register_account.sync_detailed(
            client=anonymous, body=UserCreate(email=email, password=password)
        ),
        HTTPStatus.CREATED,
        UserPublic,
    )
    check(user.email == email, f"registered {email}, the account says {user.email}")
    step("register", f"account {user.id} for {user.email}")
    return email, password


def sign_in(anonymous: Client, email: str, password: str) -> str:
    tokens = expect(
        create_token.sync_detailed(
            client=anonymous, body=LoginRequest(email=email, password=password)
        ),
        HTTPStatus.OK,
        TokenPair,
    )
    check(tokens.token_type == "bearer", f"token type {tokens.token_type}")
    step("token", f"bearer token valid {tokens.expires_in} s, with a refresh token")
    return tokens.access_token


def make_key(user: AuthenticatedClient) -> ApiKeyCreated:
    created = expect(
        create_api_key.sync_detailed(
            client=user, body=ApiKeyCreate(name="python flow", scopes=[Scope.LOGSREAD])
        ),
        HTTPStatus.CREATED,
        ApiKeyCreated,
    )
    check(created.key.startswith("spt_"), f"the key starts {created.key[:4]}")
    return created


def use_key(key: AuthenticatedClient, created: ApiKeyCreated) -> None:
    page = expect(
        list_training_sessions.sync_detailed(client=key, limit=1),
        HTTPStatus.OK,
        TrainingSessionPage,
    )
    check(page.items == [], "a new account already has sessions")
    scopes = ", ".join(scope.value for scope in created.scopes)
    step("key", f"key {created.display_prefix}... ({scopes}) reads the empty training log")


def equipment() -> EquipmentIn:
    return EquipmentIn(bar=20, plates=[25, 20, 15, 10, 5, 2.5, 1.25], stack_step=5)


def lifter(bodyweight: float) -> ProfileUpdate:
    return ProfileUpdate(
        experience=Experience.BEGINNER,
        unit=Unit.KG,
        bodyweight=bodyweight,
        goal=Goal.STRENGTH,
        routine_profile=RoutineProfile.STRONGLIFTS,
        equipment=equipment(),
    )


def profile(user: AuthenticatedClient) -> ProfileIn:
    missing = expect(get_my_profile.sync_detailed(client=user), HTTPStatus.NOT_FOUND, Problem)
    check(missing.status == 404, f"the problem says {missing.status}")
    response = put_my_profile.sync_detailed(client=user, body=lifter(80))
    created = expect(response, HTTPStatus.CREATED, ProfilePublic)
    etag = header(response, "ETag")
    response = put_my_profile.sync_detailed(client=user, body=lifter(81.5), if_match=etag)
    updated = expect(response, HTTPStatus.OK, ProfilePublic)
    check(updated.version == created.version + 1, f"versions {created.version}, {updated.version}")
    check(updated.bodyweight == 81.5, f"bodyweight {updated.bodyweight}")
    step(
        "profile",
        f"404 before, PUT created version {created.version} ({etag}),"
        f" If-Match update to version {updated.version} ({header(response, 'ETag')})",
    )
    return ProfileIn(
        experience=updated.experience,
        unit=updated.unit,
        bodyweight=updated.bodyweight,
        goal=updated.goal,
        routine_profile=updated.routine_profile,
    )


def workout(index: int) -> list[SetIn]:
    """StrongLifts-style linear progression: the row gains 2.5 kg, the deadlift 5 kg."""
    load = 40 + 2.5 * index
    row = [
        SetIn(exercise="barbell-bent-over-row", reps=reps, load=load, target_reps=5)
        for reps in (5, 5, 5)
    ]
    # The last session of each week misses a rep on the final row set.
    if index % 3 == 2:
        row[2] = SetIn(exercise="barbell-bent-over-row", reps=4, load=load, target_reps=5)
    return [*row, SetIn(exercise="deadlift", reps=5, load=80 + 5 * index, target_reps=5)]


def log_sessions(user: AuthenticatedClient, today: datetime.date) -> None:
    first_day = today - datetime.timedelta(days=FIRST_SESSION_DAYS_AGO)
    bodies = [
        TrainingSessionCreate(
            date=first_day + datetime.timedelta(days=offset),
            sets=workout(index),
            notes=f"week {offset // 7 + 1}, session {index % 3 + 1}",
        )
        for index, offset in enumerate(SESSION_DAYS)
    ]
    keys = [str(uuid.uuid4()) for _ in bodies]
    created: list[TrainingSessionPublic] = []
    for body, key in zip(bodies, keys, strict=True):
        response = create_training_session.sync_detailed(
            client=user, body=body, idempotency_key=key
        )
        created.append(expect(response, HTTPStatus.CREATED, TrainingSessionPublic))
        check("Idempotent-Replayed" not in response.headers, "a first request was a replay")
    replay = create_training_session.sync_detailed(
        client=user, body=bodies[0], idempotency_key=keys[0]
    )
    replayed = expect(replay, HTTPStatus.CREATED, TrainingSessionPublic)
    check(replayed.id == created[0].id, f"the replay made session {replayed.id}")
    check(header(replay, "Idempotent-Replayed") == "true", "the replay is not marked")
    stored = stored_sessions(user)
    check(len(stored) == len(SESSION_DAYS), f"{len(stored)} sessions stored")
    step(
        "sessions",
        f"{len(created)} logged from {created[0].date} to {created[-1].date} with"
        f" Idempotency-Key; replaying the first returned session {replayed.id} again"
        f" (Idempotent-Replayed: true); {len(stored)} stored",
    )


def stored_sessions(user: AuthenticatedClient) -> list[TrainingSessionPublic]:
    sessions: list[TrainingSessionPublic] = []
    cursor: str | None = None
    while True:
        page = expect(
            list_training_sessions.sync_detailed(client=user, limit=5, cursor=cursor),
            HTTPStatus.OK,
            TrainingSessionPage,
        )
        sessions.extend(page.items)
        if page.next_cursor is None:
            return sessions
        check(len(sessions) < 1000, "the session pages never end")
        cursor = page.next_cursor


def as_input(logged: Set) -> SetIn:
    """A stored set, as the stateless recommender takes it."""
    return SetIn(
        exercise=logged.exercise,
        reps=logged.reps,
        load=logged.load,
        assistance=logged.assistance,
        target_reps=logged.target_reps,
        target_range=logged.target_range,
        target_rpe=logged.target_rpe,
        rpe=logged.rpe,
        rir=logged.rir,
        is_amrap=logged.is_amrap,
        to_failure=logged.to_failure,
        form_ok=logged.form_ok,
        is_warmup=logged.is_warmup,
        ladder_step=logged.ladder_step,
    )


def describe(result: RecommendationResult) -> str:
    return "; ".join(
        f"{r.exercise} {r.action.value} {r.prescription.sets}x{r.prescription.reps}"
        f" @ {r.prescription.load}"
        for r in result.recommendations
    )


def recommend(
    anonymous: Client, user: AuthenticatedClient, lifter: ProfileIn, today: datetime.date
) -> None:
    stored = expect(
        recommend_my_next_session.sync_detailed(client=user, today=today),
        HTTPStatus.OK,
        RecommendationResult,
    )
    check(bool(stored.recommendations), "the stored history recommends nothing")
    step("next session (stored)", describe(stored))
    history = [
        SessionIn(date=session.date, sets=[as_input(s) for s in session.sets])
        for session in stored_sessions(user)
    ]
    stateless = expect(
        recommend_next_session.sync_detailed(
            client=anonymous,
            body=NextSessionRequest(
                profile=lifter, equipment=equipment(), history=history, today=today
            ),
        ),
        HTTPStatus.OK,
        RecommendationResult,
    )
    check(
        [r.to_dict() for r in stateless.recommendations]
        == [r.to_dict() for r in stored.recommendations],
        f"stateless: {describe(stateless)}; stored: {describe(stored)}",
    )
    step("next session (stateless)", f"the same from {len(history)} sessions sent in the body")


def validation_error(user: AuthenticatedClient, today: datetime.date) -> None:
    body = TrainingSessionCreate(date=today, sets=[SetIn(exercise="deadlift", reps=0, load=100)])
    problem = expect(
        create_training_session.sync_detailed(client=user, body=body),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        Problem,
    )
    errors = problem.errors if isinstance(problem.errors, list) else []
    check(bool(errors), "the 422 names no invalid value")
    names = ", ".join(f"{e.location} {e.name}" for e in errors)
    step("validation error", f"reps=0 -> 422 {problem.title}: {names}")


def rate_limited(key: AuthenticatedClient) -> None:
    for sent in range(1, MAX_BURST + 1):
        response = list_training_sessions.sync_detailed(client=key, limit=1)
        if response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            refusal = expect(response, HTTPStatus.TOO_MANY_REQUESTS, RateLimitedProblem)
            check(refusal.policy == "api-key", f"the refused quota is {refusal.policy!r}")
            retry_after = header(response, "Retry-After")
            check(retry_after.isdigit(), f"Retry-After is {retry_after!r}")
            wait_s = int(retry_after)
            check(1 <= wait_s <= MAX_RETRY_AFTER_S, f"Retry-After {wait_s} s")
            time.sleep(wait_s)
            expect(
                list_training_sessions.sync_detailed(client=key, limit=1),
                HTTPStatus.OK,
                TrainingSessionPage,
            )
            step(
                "rate limit",
                f"429 ({refusal.policy} quota) after {sent} requests, Retry-After {wait_s} s, "
                "then 200",
            )
            return
        expect(response, HTTPStatus.OK, TrainingSessionPage)
    msg = f"{MAX_BURST} requests with the key and no 429"
    raise FlowError(msg)


def run(base_url: str) -> None:
    today = datetime.datetime.now(tz=datetime.UTC).date()
    with Client(base_url=base_url) as anonymous:
        browse(anonymous)
        search(anonymous)
        etag = detail(anonymous)
        alternatives(anonymous)
        revalidate(anonymous, etag)
        email, password = register(anonymous)
        token = sign_in(anonymous, email, password)
        with AuthenticatedClient(base_url=base_url, token=token) as user:
            created = make_key(user)
            # The key goes in its own header, without the "Bearer" prefix.
            with AuthenticatedClient(
                base_url=base_url, token=created.key, prefix="", auth_header_name="X-API-Key"
            ) as key:
                use_key(key, created)
                lifter = profile(user)
                log_sessions(user, today)
                recommend(anonymous, user, lifter, today)
                validation_error(user, today)
                rate_limited(key)


def main() -> int:
    base_url = os.environ.get("FLOW_BASE_URL", "")
    if not base_url:
        print("set FLOW_BASE_URL to the server's address", file=sys.stderr)
        return 2
    try:
        run(base_url)
    except FlowError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("python flow: every step passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
