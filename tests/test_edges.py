"""Edge values (issue 9, point 6): dates at the calendar's ends and ids beyond PostgreSQL's
integers are refused as 422s naming the field, never 500s."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.session import run_sql
from app.recommendations.examples import BEGINNER
from tests.kb_admin.helpers import admin_headers
from tests.test_auth import signed_in
from tests.training.conftest import PROFILE, session_body

RECOMMEND = "/v1/recommendations/next-session"
MY_RECOMMENDATION = "/v1/me/recommendations/next-session"
EXTREME_DAYS = ["0001-01-01", "0001-01-07", "1899-12-31", "3000-01-01", "9999-12-31"]


def assert_names(response: httpx.Response, name: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert name in [error["name"] for error in response.json()["errors"]], response.text


async def lifter(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    headers = await signed_in(client, email)
    response = await client.put("/v1/me/profile", json=PROFILE, headers=headers)
    assert response.status_code == 201, response.text
    return headers


@pytest.mark.parametrize("day", EXTREME_DAYS)
async def test_my_recommendation_for_an_extreme_day_is_a_422(
    client: httpx.AsyncClient, day: str
) -> None:
    headers = await lifter(client, "extreme-today@example.com")
    response = await client.get(MY_RECOMMENDATION, params={"today": day}, headers=headers)
    assert_names(response, "today")


@pytest.mark.parametrize("day", EXTREME_DAYS)
async def test_a_recommendation_for_an_extreme_day_is_a_422(
    client: httpx.AsyncClient, day: str
) -> None:
    body = copy.deepcopy(BEGINNER)
    body["today"] = day
    assert_names(await client.post(RECOMMEND, json=body), "today")
    body["history"] = []
    assert_names(await client.post(RECOMMEND, json=body), "today")


@pytest.mark.parametrize("day", EXTREME_DAYS)
async def test_history_and_feedback_on_extreme_days_are_422s(
    client: httpx.AsyncClient, day: str
) -> None:
    body = copy.deepcopy(BEGINNER)
    body["history"][0]["date"] = day
    assert_names(await client.post(RECOMMEND, json=body), "history.0.date")
    body = copy.deepcopy(BEGINNER)
    body["feedback"] = [{"muscle_group": "back", "week_start": day}]
    assert_names(await client.post(RECOMMEND, json=body), "feedback.0.week_start")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_an_echoed_state_on_extreme_days_is_a_422(
    client: httpx.AsyncClient, day: str
) -> None:
    body = copy.deepcopy(BEGINNER)
    body["state"] = {"as_of": day}
    assert_names(await client.post(RECOMMEND, json=body), "state.as_of")


async def test_the_last_supported_day_works_and_its_state_can_be_echoed(
    client: httpx.AsyncClient,
) -> None:
    # The engine writes dates weeks past `today` into its state (a deload's ramp): the state of
    # an answer on the last day must still be accepted back.
    body = copy.deepcopy(BEGINNER)
    body["today"] = "2999-12-31"
    body["history"] = [
        {**session, "date": f"2999-12-{30 - 2 * index}"}
        for index, session in enumerate(body["history"])
    ]
    response = await client.post(RECOMMEND, json=body)
    assert response.status_code == 200, response.text
    body["state"] = response.json()["plan"]["state"]
    assert (await client.post(RECOMMEND, json=body)).status_code == 200
    body["today"] = "1900-01-01"
    body["history"] = []
    del body["state"]
    assert (await client.post(RECOMMEND, json=body)).status_code == 200


@pytest.mark.parametrize("day", EXTREME_DAYS)
async def test_logging_a_session_on_an_extreme_day_is_a_422(
    client: httpx.AsyncClient, day: str
) -> None:
    headers = await signed_in(client, "extreme-log@example.com")
    response = await client.post("/v1/me/sessions", json=session_body(day), headers=headers)
    assert_names(response, "date")


async def test_a_session_stored_before_the_supported_years_is_left_out(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    # Rows logged before the bound existed may carry any date PostgreSQL takes; they must not
    # turn the lifter's recommendations into 500s.
    headers = await lifter(client, "old-row@example.com")
    created = await client.post("/v1/me/sessions", json=session_body("1900-06-01"), headers=headers)
    assert created.status_code == 201, created.text
    await run_sql(
        db_session,
        "UPDATE training_session SET session_date = DATE '1899-12-31' WHERE id = :id",
        id=created.json()["id"],
    )
    response = await client.get(MY_RECOMMENDATION, params={"today": "1900-01-01"}, headers=headers)
    assert response.status_code == 200, response.text


def cursor(scope: str, key: list[Any]) -> str:
    raw = json.dumps({"s": scope, "k": key}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "last_id", [2**31, 2**63, 2**64, -(2**63) - 1, 0, -1, True, 1.5, "7", None]
)
async def test_a_session_cursor_with_an_impossible_id_is_a_422(
    client: httpx.AsyncClient, last_id: object
) -> None:
    headers = await signed_in(client, "cursor-ids@example.com")
    tampered = cursor("sessions:None:None", ["2026-03-04", last_id])
    response = await client.get("/v1/me/sessions", params={"cursor": tampered}, headers=headers)
    assert_names(response, "cursor")


@pytest.mark.parametrize(
    "key", [["2026-03-04"], ["2026-03-04", 1, 2], [20260304, 1], ["0000-01-01", 1], []]
)
async def test_a_session_cursor_of_another_shape_is_a_422(
    client: httpx.AsyncClient, key: list[Any]
) -> None:
    headers = await signed_in(client, "cursor-shape@example.com")
    tampered = cursor("sessions:None:None", key)
    response = await client.get("/v1/me/sessions", params={"cursor": tampered}, headers=headers)
    assert_names(response, "cursor")


async def test_a_genuine_session_cursor_still_pages(client: httpx.AsyncClient) -> None:
    headers = await signed_in(client, "cursor-pages@example.com")
    for day in ("2026-03-02", "2026-03-04"):
        response = await client.post("/v1/me/sessions", json=session_body(day), headers=headers)
        assert response.status_code == 201
    first = (await client.get("/v1/me/sessions", params={"limit": 1}, headers=headers)).json()
    second = await client.get(
        "/v1/me/sessions", params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers
    )
    assert second.status_code == 200
    assert [item["date"] for item in second.json()["items"]] == ["2026-03-02"]


# --------------------------------------------------------------------------- strict types


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reps", 15.0),
        ("reps", True),
        ("reps", "15"),
        ("target_reps", 5.0),
        ("ladder_step", 1.0),
        ("is_warmup", 0),
        ("is_warmup", "false"),
        ("form_ok", 1),
        ("to_failure", "yes"),
    ],
)
async def test_integers_and_booleans_are_parsed_strictly(
    client: httpx.AsyncClient, field: str, value: object
) -> None:
    headers = await signed_in(client, "strict-types@example.com")
    logged = session_body()
    logged["sets"][0][field] = value
    response = await client.post("/v1/me/sessions", json=logged, headers=headers)
    assert_names(response, f"sets.0.{field}")
    body = copy.deepcopy(BEGINNER)
    body["history"][0]["sets"][0][field] = value
    assert_names(await client.post(RECOMMEND, json=body), f"history.0.sets.0.{field}")


async def test_strict_fields_still_take_json_integers_and_arrays(client: httpx.AsyncClient) -> None:
    headers = await signed_in(client, "strict-ok@example.com")
    logged = session_body()
    logged["sets"][0].update(
        {"reps": 8, "target_reps": 8, "target_range": [6, 10], "is_warmup": False}
    )
    response = await client.post("/v1/me/sessions", json=logged, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["sets"][0]["target_range"] == [6, 10]


# --------------------------------------------------------------------------- contract details


# Paths that answer HEAD beside their documented GET (app/exports/router.py).
HEAD_TOO = {"/v1/exports/catalog"}


async def test_a_405_allows_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    # Several paths are served by more than one route (GET and POST /v1/me/sessions; GET, PUT
    # and DELETE /v1/admin/exercises/{slug}): `Allow` must name the methods of all of them.
    document = (await client.get("/openapi.json")).json()
    checked = 0
    for path, item in document["paths"].items():
        documented = sorted(method.upper() for method in item)
        url = path.replace("{slug}", "deadlift").replace("{session_id}", "1")
        url = url.replace("{key_id}", "1").replace("{level}", "beginner")
        refused = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in documented)
        response = await client.request(refused, url)
        assert response.status_code == 405, f"{refused} {url}: {response.status_code}"
        # HEAD of the catalog snapshot is said in its GET's description, not an operation.
        allowed = sorted({*documented, "HEAD"}) if path in HEAD_TOO else documented
        assert response.headers["allow"].split(", ") == allowed, url
        assert all(method in response.json()["detail"] for method in documented)
        checked += 1
    assert checked >= 30


async def test_every_v1_operation_documents_its_401(client: httpx.AsyncClient) -> None:
    # Public operations read credentials too (for the quota): a bad token is refused there.
    document = (await client.get("/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path.startswith("/v1"):
                assert "401" in operation["responses"], f"{method.upper()} {path}"
    bad = {"Authorization": "Bearer not-a-token"}
    for url in ("/v1", "/v1/exercises", "/v1/muscles/latissimus-dorsi", "/v1/search?q=row"):
        response = await client.get(url, headers=bad)
        assert response.status_code == 401, url
    response = await client.post(RECOMMEND, json=BEGINNER, headers={"X-API-Key": "sk_nothing"})
    assert response.status_code == 401


def if_match_parameters(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": parameter
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header" and parameter["name"] == "If-Match"
    }


async def test_if_match_is_documented_required_where_428_is_its_absence(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    document = (await client.get("/openapi.json")).json()
    parameters = if_match_parameters(document)
    required = {name for name, parameter in parameters.items() if parameter["required"]}
    assert required == set(parameters) - {"PUT /v1/me/profile"}
    assert all(parameters[name]["schema"]["type"] == "string" for name in required)
    # Behaviour matches: each required one is a 428 without the header...
    headers = await lifter(client, "if-match@example.com")
    logged = await client.post("/v1/me/sessions", json=session_body(), headers=headers)
    url = f"/v1/me/sessions/{logged.json()['id']}"
    assert (await client.put(url, json=session_body(), headers=headers)).status_code == 428
    assert (await client.delete(url, headers=headers)).status_code == 428
    admin = await admin_headers(client, db_session)
    refused = await client.delete("/v1/admin/exercises/deadlift", headers=admin)
    assert refused.status_code == 428
    # ...and the profile's first PUT creates without it (it already exists here: 428).
    assert (await client.put("/v1/me/profile", json=PROFILE, headers=headers)).status_code == 428


async def test_precondition_refusals_do_not_disclose_the_current_etag(
    client: httpx.AsyncClient,
) -> None:
    headers = await lifter(client, "etag-secret@example.com")
    logged = await client.post("/v1/me/sessions", json=session_body(), headers=headers)
    url = f"/v1/me/sessions/{logged.json()['id']}"
    current = logged.headers["etag"]
    missing = await client.put(url, json=session_body(), headers=headers)
    stale = await client.put(url, json=session_body(), headers={**headers, "If-Match": '"x"'})
    profile = await client.put("/v1/me/profile", json=PROFILE, headers=headers)
    for response in (missing, stale, profile):
        assert response.status_code in (412, 428)
        assert current.strip('"') not in response.text
        assert "profile-" not in response.text
