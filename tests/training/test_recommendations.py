"""GET /v1/me/recommendations/next-session: the recommender on stored profile and history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.recommendations.examples import BALANCE_DEFICIT, BEGINNER
from app.recommendations.schemas import MAX_HISTORY_SETS
from app.training import service
from tests.test_auth import signed_in
from tests.training.conftest import PROFILE, session_body, user_id_of

URL = "/v1/me/recommendations/next-session"


@pytest.mark.parametrize("example", [BEGINNER, BALANCE_DEFICIT], ids=["beginner", "balance"])
async def test_stored_data_gets_the_stateless_answer(
    client: httpx.AsyncClient, example: dict[str, Any]
) -> None:
    lifter = await signed_in(client)
    profile = {**example["profile"], "equipment": example["equipment"]}
    assert (await client.put("/v1/me/profile", json=profile, headers=lifter)).status_code == 201
    for logged in example["history"]:
        response = await client.post("/v1/me/sessions", json=logged, headers=lifter)
        assert response.status_code == 201, response.text
    stored = await client.get(URL, params={"today": example["today"]}, headers=lifter)
    assert stored.status_code == 200, stored.text
    stateless = await client.post("/v1/recommendations/next-session", json=example)
    assert stateless.status_code == 200
    assert stored.json() == stateless.json()
    assert stored.json()["recommendations"]


async def test_no_profile_is_a_409_problem(client: httpx.AsyncClient) -> None:
    lifter = await signed_in(client)
    await client.post("/v1/me/sessions", json=session_body(), headers=lifter)
    response = await client.get(URL, headers=lifter)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "PUT /v1/me/profile" in response.json()["detail"]
    assert (await client.get(URL, params={"today": "1.5"}, headers=lifter)).status_code == 422


async def test_history_is_the_last_year_newest_first_within_the_set_budget(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    lifter = await signed_in(client)
    user_id = await user_id_of(client, lifter)
    assert (await client.put("/v1/me/profile", json=PROFILE, headers=lifter)).status_code == 201
    today = date(2026, 6, 30)
    # 26 full sessions of 200 sets: one more than the 5,000-set budget holds.
    days = [today - timedelta(days=2 * n) for n in range(26)]
    for day in days:
        logged = session_body(day=day.isoformat(), sets=200)
        assert (
            await client.post("/v1/me/sessions", json=logged, headers=lifter)
        ).status_code == 201
    for outside in (today + timedelta(days=1), today - timedelta(days=367)):
        logged = session_body(day=outside.isoformat(), sets=1)
        assert (
            await client.post("/v1/me/sessions", json=logged, headers=lifter)
        ).status_code == 201

    request = await service.next_session_request(db_session, user_id, today)
    assert request.today == today
    assert request.profile.bodyweight == PROFILE["bodyweight"]
    assert request.equipment.bar == PROFILE["equipment"]["bar"]
    assert sum(len(s.sets) for s in request.history) == MAX_HISTORY_SETS
    # The oldest full session is the one left out, and nothing outside the year gets in.
    assert [s.date for s in request.history] == days[:25]
    response = await client.get(URL, params={"today": today.isoformat()}, headers=lifter)
    assert response.status_code == 200, response.text
