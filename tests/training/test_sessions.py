"""Training sessions: CRUD, date-range listing with cursors, ETag/If-Match, strict input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.test_auth import signed_in
from tests.training.conftest import PROFILE, session_body

URL = "/v1/me/sessions"


async def create(client: httpx.AsyncClient, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    response = await client.post(URL, json=session_body(**kw), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_crud_round_trip(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    body = session_body(notes="felt strong")
    body["sets"][1] |= {"rpe": 8, "reps": 4}
    created = await client.post(URL, json=body, headers=alice)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert created.headers["location"] == f"{URL}/{stored['id']}"
    assert created.headers["etag"] == f'"session-{stored["id"]}-v1"'
    assert stored["date"] == "2026-03-04"
    assert stored["notes"] == "felt strong"
    assert [s["reps"] for s in stored["sets"]] == [5, 4, 5]
    assert stored["sets"][1]["rpe"] == 8
    assert "user_id" not in stored

    got = await client.get(f"{URL}/{stored['id']}", headers=alice)
    assert got.status_code == 200
    assert got.json() == stored
    assert got.headers["etag"] == created.headers["etag"]

    replacement = session_body(day="2026-03-05", sets=2, load=52.5)
    replaced = await client.put(
        f"{URL}/{stored['id']}",
        json=replacement,
        headers={**alice, "If-Match": got.headers["etag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2
    assert replaced.headers["etag"] == f'"session-{stored["id"]}-v2"'
    assert [s["load"] for s in replaced.json()["sets"]] == [52.5, 52.5]
    assert replaced.json()["notes"] is None
    assert (await client.get(f"{URL}/{stored['id']}", headers=alice)).json() == replaced.json()

    deleted = await client.delete(
        f"{URL}/{stored['id']}", headers={**alice, "If-Match": replaced.headers["etag"]}
    )
    assert deleted.status_code == 204
    assert (await client.get(f"{URL}/{stored['id']}", headers=alice)).status_code == 404
    again = await client.delete(
        f"{URL}/{stored['id']}", headers={**alice, "If-Match": replaced.headers["etag"]}
    )
    assert again.status_code == 404


async def test_updates_need_a_current_if_match(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    stored = await create(client, alice)
    path = f"{URL}/{stored['id']}"
    etag = f'"session-{stored["id"]}-v1"'
    for method in ("PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": session_body()} if method == "PUT" else {}
        missing = await client.request(method, path, headers=alice, **kwargs)
        assert missing.status_code == 428, missing.text
        assert missing.headers["content-type"] == "application/problem+json"
        # Issue 9, point 12: the refusal says what to send but never the tag itself.
        assert etag not in missing.text
        stale = await client.request(
            method, path, headers={**alice, "If-Match": '"session-1-v0"'}, **kwargs
        )
        assert stale.status_code == 412, stale.text
    assert (await client.get(path, headers=alice)).json() == stored

    first = await client.put(path, json=session_body(sets=1), headers={**alice, "If-Match": etag})
    assert first.status_code == 200
    # The second edit based on the same version would silently overwrite the first.
    second = await client.put(path, json=session_body(sets=2), headers={**alice, "If-Match": etag})
    assert second.status_code == 412
    assert len((await client.get(path, headers=alice)).json()["sets"]) == 1
    gone = await client.delete(path, headers={**alice, "If-Match": etag})
    assert gone.status_code == 412
    assert (await client.get(path, headers=alice)).status_code == 200


@pytest.mark.parametrize("field", ["id", "user_id", "owner_id", "created_at", "version"])
async def test_server_fields_cannot_be_assigned(client: httpx.AsyncClient, field: str) -> None:
    alice = await signed_in(client)
    body = session_body() | {field: 1}
    response = await client.post(URL, json=body, headers=alice)
    assert response.status_code == 422
    assert field in [error["name"] for error in response.json()["errors"]]
    stored = await create(client, alice)
    put = await client.put(
        f"{URL}/{stored['id']}",
        json=body,
        headers={**alice, "If-Match": f'"session-{stored["id"]}-v1"'},
    )
    assert put.status_code == 422
    nested = session_body()
    nested["sets"][0][field] = 1
    assert (await client.post(URL, json=nested, headers=alice)).status_code == 422


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"notes": "x" * 1001}, "notes"),
        ({"sets": []}, "sets"),
        ({"sets": session_body(sets=201)["sets"]}, "sets"),
        ({"sets": [{"exercise": "barbell-bent-over-row", "reps": 0}]}, "sets.0.reps"),
        ({"sets": [{"exercise": "no-such-lift", "reps": 5}]}, "sets.0.exercise"),
        ({"date": "yesterday"}, "date"),
    ],
)
async def test_invalid_sessions_are_422(
    client: httpx.AsyncClient, change: dict[str, Any], name: str
) -> None:
    alice = await signed_in(client)
    response = await client.post(URL, json=session_body() | change, headers=alice)
    assert response.status_code == 422, response.text
    assert name in [error["name"] for error in response.json()["errors"]]


async def test_listing_by_date_range(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    days = ["2026-01-05", "2026-01-07", "2026-01-07", "2026-02-01", "2026-03-01"]
    ids = [(await create(client, alice, day=day))["id"] for day in days]
    listed = await client.get(URL, params={"from": "2026-01-06", "to": "2026-02-01"}, headers=alice)
    assert listed.status_code == 200, listed.text
    # Newest first; the same day is ordered by id, newest first too.
    assert [item["id"] for item in listed.json()["items"]] == [ids[3], ids[2], ids[1]]
    assert listed.json()["next_cursor"] is None
    assert "link" not in listed.headers
    everything = (await client.get(URL, headers=alice)).json()["items"]
    assert [item["id"] for item in everything] == ids[::-1]
    backwards = await client.get(
        URL, params={"from": "2026-03-01", "to": "2026-01-01"}, headers=alice
    )
    assert backwards.status_code == 422
    # Only YYYY-MM-DD: lax parsing would read a number as a Unix timestamp.
    for bad in ("12345", "1.5", "2026-02-30", "2026-1-5"):
        response = await client.get(URL, params={"from": bad}, headers=alice)
        assert response.status_code == 422, bad


async def test_pagination_has_no_gaps_or_duplicates(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    days = [f"2026-01-{day:02d}" for day in (3, 3, 3, 9, 9, 12, 15, 15, 20, 28, 28)]
    ids = {(await create(client, alice, day=day, sets=1))["id"] for day in days}
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 3, "from": "2026-01-01"}
    pages = 0
    while True:
        response = await client.get(URL, params=params, headers=alice)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
        assert f"cursor={page['next_cursor']}" in response.headers["link"]
        params["cursor"] = page["next_cursor"]
    assert pages == 4
    assert len(seen) == len(set(seen)) == len(ids)
    assert set(seen) == ids
    dated = {
        item["id"]: item["date"] for item in (await client.get(URL, headers=alice)).json()["items"]
    }
    assert [dated[i] for i in seen] == sorted((dated[i] for i in seen), reverse=True)
    # A cursor belongs to its listing: another date range must start again.
    other = await client.get(
        URL, params={"from": "2026-01-02", "cursor": params["cursor"]}, headers=alice
    )
    assert other.status_code == 422
    assert (await client.get(URL, params={"limit": 101}, headers=alice)).status_code == 422
    assert (await client.get(URL, params={"cursor": "garbage"}, headers=alice)).status_code == 422


async def test_profile_create_then_conditional_replace(client: httpx.AsyncClient) -> None:
    alice = await signed_in(client)
    assert (await client.get("/v1/me/profile", headers=alice)).status_code == 404
    with_if_match = await client.put(
        "/v1/me/profile", json=PROFILE, headers={**alice, "If-Match": '"profile-1-v1"'}
    )
    assert with_if_match.status_code == 412
    created = await client.put("/v1/me/profile", json=PROFILE, headers=alice)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    assert created.json()["routine"] == "stronglifts-5x5"
    assert created.json()["equipment"]["plates"] == [25, 20, 10, 5, 2.5, 1.25]
    got = await client.get("/v1/me/profile", headers=alice)
    assert got.json() == created.json()
    assert got.headers["etag"] == etag

    heavier = PROFILE | {"bodyweight": 82.5}
    missing = await client.put("/v1/me/profile", json=heavier, headers=alice)
    assert missing.status_code == 428
    replaced = await client.put("/v1/me/profile", json=heavier, headers={**alice, "If-Match": etag})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["bodyweight"] == 82.5
    assert replaced.headers["etag"] != etag
    stale = await client.put("/v1/me/profile", json=PROFILE, headers={**alice, "If-Match": etag})
    assert stale.status_code == 412
    assert (await client.get("/v1/me/profile", headers=alice)).json()["bodyweight"] == 82.5


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"user_id": 2}, "user_id"),
        ({"id": 2}, "id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
        ({"routine": "no-such-routine"}, "routine"),
        ({"experience": "elite"}, "experience"),
        ({"equipment": {"plates": [1.25] * 31}}, "equipment.plates"),
        ({"equipment": {"kettlebells": [16]}}, "equipment.kettlebells"),
    ],
)
async def test_invalid_profiles_are_422(
    client: httpx.AsyncClient, change: dict[str, Any], name: str
) -> None:
    alice = await signed_in(client)
    response = await client.put("/v1/me/profile", json=PROFILE | change, headers=alice)
    assert response.status_code == 422, response.text
    assert name in [error["name"] for error in response.json()["errors"]]
    assert (await client.get("/v1/me/profile", headers=alice)).status_code == 404
