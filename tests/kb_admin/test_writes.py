"""Administrators write the knowledge base: the public API reflects it, the loader's rules hold,
and the files stay the source of truth for curated items."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.content.loader import load_bundle
from app.db.session import run_sql
from tests.kb_admin.helpers import (
    KINDS,
    KindCase,
    admin_headers,
    bundle,
    curated,
    etag_of,
    identity_tag,
    new_exercise,
    new_muscle,
    new_tip,
    snapshot,
)


@pytest.fixture
async def admin(client: httpx.AsyncClient, db_session: AsyncSession) -> dict[str, str]:
    return await admin_headers(client, db_session)


def names(response: httpx.Response) -> list[str]:
    return [error["name"] for error in response.json()["errors"]]


# --------------------------------------------------------------------------- create/replace/delete


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_create_replace_delete_show_in_the_public_api(
    client: httpx.AsyncClient, admin: dict[str, str], kind: KindCase
) -> None:
    body = kind.body("brand-new-item")
    created = await client.post(f"/v1/admin/{kind.collection}", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/admin/{kind.collection}/brand-new-item"
    assert created.json()["slug"] == "brand-new-item"
    etag = identity_tag(created.headers["etag"])
    assert await etag_of(client, admin, f"{kind.collection}/brand-new-item") == etag
    public = await client.get(f"/v1/{kind.public}/brand-new-item")
    assert public.status_code == 200
    assert public.json()[kind.text_field] == body[kind.text_field]

    changed = body | {kind.text_field: "Rewritten through the administration API."}
    replaced = await client.put(
        f"/v1/admin/{kind.collection}/brand-new-item",
        json=changed,
        headers=admin | {"If-Match": etag},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] != etag
    assert replaced.json()[kind.text_field] == "Rewritten through the administration API."
    public = await client.get(f"/v1/{kind.public}/brand-new-item")
    assert public.json()[kind.text_field] == "Rewritten through the administration API."
    editable = await client.get(f"/v1/admin/{kind.collection}/brand-new-item", headers=admin)
    assert editable.json() == changed

    deleted = await client.delete(
        f"/v1/admin/{kind.collection}/brand-new-item",
        headers=admin | {"If-Match": replaced.headers["etag"]},
    )
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"/v1/{kind.public}/brand-new-item")).status_code == 404
    gone = await client.get(f"/v1/admin/{kind.collection}/brand-new-item", headers=admin)
    assert gone.status_code == 404


async def test_links_follow_the_item(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await client.post("/v1/admin/exercises", json=new_exercise(), headers=admin)
    assert {m["slug"] for m in created.json()["muscles"]} == {
        m["muscle"] for m in new_exercise()["muscles"]
    }
    lats = await client.get("/v1/muscles/latissimus-dorsi")
    assert "band-pull-apart" not in str(lats.json()["exercises"])
    body = new_exercise(muscles=[{"muscle": "latissimus-dorsi", "role": "primary"}])
    body["joint_actions"] = ["shoulder-extension"]
    replaced = await client.put(
        "/v1/admin/exercises/band-pull-apart",
        json=body,
        headers=admin | {"If-Match": created.headers["etag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert [m["slug"] for m in replaced.json()["muscles"]] == ["latissimus-dorsi"]
    lats = await client.get("/v1/muscles/latissimus-dorsi")
    assert "band-pull-apart" in [e["slug"] for e in lats.json()["exercises"]["primary"]]
    listed = await client.get("/v1/exercises", params={"muscle": "latissimus-dorsi"})
    assert "band-pull-apart" in [e["slug"] for e in listed.json()["items"]]


async def test_search_finds_a_new_exercise(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    before = await client.get("/v1/search", params={"q": "zottman row"})
    assert "zottman-row" not in [hit["slug"] for hit in before.json()["items"]]
    body = new_exercise("zottman-row", name="Zottman Row", aliases=["zottie"])
    assert (await client.post("/v1/admin/exercises", json=body, headers=admin)).status_code == 201
    for query in ("zottman row", "zotman row", "zottie"):
        found = await client.get("/v1/search", params={"q": query})
        assert found.json()["items"][0]["slug"] == "zottman-row", query
    listed = await client.get("/v1/exercises", params={"q": "zottman"})
    assert [e["slug"] for e in listed.json()["items"]][:1] == ["zottman-row"]


async def test_public_etag_changes_after_a_write(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    first = await client.get("/v1/exercises/deadlift")
    tag = first.headers["etag"]
    assert (
        await client.get("/v1/exercises/deadlift", headers={"If-None-Match": tag})
    ).status_code == 304
    body = curated("exercises", "deadlift") | {"summary": "Lift the bar from the floor."}
    replaced = await client.put(
        "/v1/admin/exercises/deadlift",
        json=body,
        headers=admin | {"If-Match": await etag_of(client, admin, "exercises/deadlift")},
    )
    assert replaced.status_code == 200, replaced.text
    again = await client.get("/v1/exercises/deadlift", headers={"If-None-Match": tag})
    assert again.status_code == 200
    assert again.headers["etag"] != tag
    assert again.json()["summary"] == "Lift the bar from the floor."


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "exercises",
            new_exercise(muscles=[{"muscle": "wing-muscle", "role": "primary"}]),
            "muscles.0.muscle",
        ),
        ("exercises", new_exercise(equipment=["cable", "hover-board"]), "equipment.1"),
        ("exercises", new_exercise(joint_actions=["wing-flap"]), "joint_actions.0"),
        ("exercises", new_exercise(tips=["no-such-tip"]), "tips.0"),
        ("exercises", new_exercise(sources=["no-such-source"]), "sources.0"),
        ("exercises", new_exercise(regressions=["no-such-exercise"]), "regressions.0"),
        ("exercises", new_exercise(regressions=["band-pull-apart"]), "regressions.0"),
        ("exercises", new_exercise(top_pick_rank=1), "top_pick_rank"),
        ("exercises", new_exercise(aliases=["RDL"]), "aliases.0"),
        ("exercises", new_exercise(name="Deadlift"), "name"),
        (
            "exercises",
            new_exercise(ladder=curated("exercises", "inverted-row")["ladder"]),
            "ladder",
        ),
        (
            "exercises",
            new_exercise(muscles=[{"muscle": "quadriceps", "role": "primary"}]),
            "muscles.0.muscle",
        ),
        ("exercises", new_exercise(id=7), "id"),
        ("exercises", new_exercise(origin="curated"), "origin"),
        ("exercises", new_exercise(instructions=["Only one step."]), "instructions"),
        (
            "muscles",
            new_muscle(functions=[{"joint_action": "wing-flap", "role": "prime_mover"}]),
            "functions.0.joint_action",
        ),
        ("muscles", new_muscle(parent="no-such-muscle"), "parent"),
        ("muscles", new_muscle(parent="trapezius-upper"), "parent"),
        ("muscles", new_muscle(parent="test-muscle"), "parent"),
        ("muscles", new_muscle(aliases=["lats"]), "aliases.0"),
        ("tips", new_tip(exercises=["deadlift", "no-such-exercise"]), "exercises.1"),
        ("tips", new_tip(muscles=["wing-muscle"]), "muscles.0"),
        (
            "tips",
            new_tip(exceptions=[{"name": "Nope", "exercise": "nope", "note": "No such thing."}]),
            "exceptions.0.exercise",
        ),
        ("joint-actions", {"slug": "x", "name": "X"}, "joint"),
        ("joint-actions", {"slug": "Not A Slug"}, "slug"),
    ],
)
async def test_invalid_items_are_422_naming_the_field(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    admin: dict[str, str],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = await snapshot(db_session)
    response = await client.post(f"/v1/admin/{path}", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in names(response)
    assert await snapshot(db_session) == before


async def test_replace_cannot_change_the_slug(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    etag = await etag_of(client, admin, "tips/activate-your-back")
    response = await client.put(
        "/v1/admin/tips/activate-your-back",
        json=curated("tips", "activate-your-back") | {"slug": "another-slug"},
        headers=admin | {"If-Match": etag},
    )
    assert response.status_code == 422
    assert names(response) == ["slug"]


async def test_a_replacement_keeps_its_own_rank_and_aliases(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    # The stored version of the item being replaced is not a rival for its rank or aliases.
    body = curated("exercises", "deadlift") | {"summary": "Same rank, same aliases."}
    response = await client.put(
        "/v1/admin/exercises/deadlift",
        json=body,
        headers=admin | {"If-Match": await etag_of(client, admin, "exercises/deadlift")},
    )
    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------- conflicts


@pytest.mark.parametrize("kind", KINDS, ids=str)
async def test_duplicate_slug_is_409(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: dict[str, str], kind: KindCase
) -> None:
    before = await snapshot(db_session)
    response = await client.post(
        f"/v1/admin/{kind.collection}", json=kind.body(kind.curated_slug), headers=admin
    )
    assert response.status_code == 409, response.text
    assert kind.curated_slug in response.json()["detail"]
    assert await snapshot(db_session) == before


@pytest.mark.parametrize(
    ("path", "referrer"),
    [
        ("muscles/latissimus-dorsi", {"kind": "exercise", "slug": "pull-up", "field": "muscles"}),
        ("muscles/trapezius", {"kind": "muscle", "slug": "trapezius-lower", "field": "parent"}),
        (
            "joint-actions/shoulder-extension",
            {"kind": "muscle", "slug": "latissimus-dorsi", "field": "functions"},
        ),
        (
            "exercises/assisted-pull-up",
            {"kind": "exercise", "slug": "pull-up", "field": "regressions"},
        ),
        ("exercises/deadlift", {"kind": "tip", "slug": "keep-back-straight", "field": "exercises"}),
        ("tips/activate-your-back", {"kind": "exercise", "slug": "pull-up", "field": "tips"}),
    ],
)
async def test_deleting_a_referenced_item_is_409_naming_the_referrers(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    admin: dict[str, str],
    path: str,
    referrer: dict[str, str],
) -> None:
    before = await snapshot(db_session)
    response = await client.delete(
        f"/v1/admin/{path}", headers=admin | {"If-Match": await etag_of(client, admin, path)}
    )
    assert response.status_code == 409, response.text
    assert referrer in response.json()["referenced_by"]
    assert "is still referred to by" in response.json()["detail"]
    assert await snapshot(db_session) == before


async def test_imported_items_are_not_administered_here(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: dict[str, str]
) -> None:
    created = await client.post("/v1/admin/exercises", json=new_exercise(), headers=admin)
    assert created.status_code == 201
    await run_sql(
        db_session, "UPDATE exercise SET origin = 'free-exercise-db' WHERE slug = 'band-pull-apart'"
    )
    # Commit (a savepoint here): a refused request rolls its own work back, not this change.
    await db_session.commit()
    response = await client.get("/v1/admin/exercises/band-pull-apart", headers=admin)
    assert response.status_code == 409
    assert "free-exercise-db" in response.json()["detail"]
    deleted = await client.delete(
        "/v1/admin/exercises/band-pull-apart", headers=admin | {"If-Match": "*"}
    )
    assert deleted.status_code == 409


# --------------------------------------------------------------------------- preconditions


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_if_match_is_required_and_must_be_current(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: dict[str, str], method: str
) -> None:
    created = await client.post("/v1/admin/tips", json=new_tip(), headers=admin)
    first = created.headers["etag"]
    body = new_tip(summary="A newer summary for the test tip.")
    second = (
        await client.put("/v1/admin/tips/test-tip", json=body, headers=admin | {"If-Match": first})
    ).headers["etag"]
    before = await snapshot(db_session)
    kwargs: dict[str, Any] = {"json": new_tip(summary="Lost update?")} if method == "PUT" else {}
    missing = await client.request(method, "/v1/admin/tips/test-tip", headers=admin, **kwargs)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    stale = await client.request(
        method, "/v1/admin/tips/test-tip", headers=admin | {"If-Match": first}, **kwargs
    )
    assert stale.status_code == 412
    weak = await client.request(
        method, "/v1/admin/tips/test-tip", headers=admin | {"If-Match": f"W/{second}"}, **kwargs
    )
    assert weak.status_code == 412
    assert await snapshot(db_session) == before
    current = await client.request(
        method, "/v1/admin/tips/test-tip", headers=admin | {"If-Match": second}, **kwargs
    )
    assert current.status_code in {200, 204}


async def test_unknown_item_is_404(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(
            method,
            "/v1/admin/muscles/wing-muscle",
            headers=admin | {"If-Match": "*"},
            json=new_muscle("wing-muscle") if method == "PUT" else None,
        )
        assert response.status_code == 404, method


# --------------------------------------------------------------------------- the loader


async def test_the_loader_restores_a_curated_item_edited_or_deleted_here(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: dict[str, str]
) -> None:
    original = (await client.get("/v1/exercises/deadlift")).json()
    body = curated("exercises", "deadlift") | {
        "summary": "Edited through the API.",
        "form_cues": ["One.", "Two.", "Three."],
    }
    edited = await client.put(
        "/v1/admin/exercises/deadlift",
        json=body,
        headers=admin | {"If-Match": await etag_of(client, admin, "exercises/deadlift")},
    )
    assert edited.status_code == 200
    # An unreferenced curated muscle can be taken down; it comes back with the next load.
    path = "muscles/calves"
    calves = await client.delete(
        f"/v1/admin/{path}", headers=admin | {"If-Match": await etag_of(client, admin, path)}
    )
    assert calves.status_code == 204
    assert (await client.get("/v1/muscles/calves")).status_code == 404

    summary = await load_bundle(db_session, bundle())
    assert summary.kinds["exercises"].updated == ["deadlift"]
    assert summary.kinds["muscles"].created == ["calves"]
    restored = (await client.get("/v1/exercises/deadlift")).json()
    assert restored == original
    assert (await client.get("/v1/muscles/calves")).status_code == 200
    editable = await client.get("/v1/admin/exercises/deadlift", headers=admin)
    assert editable.json() == curated("exercises", "deadlift")
    assert editable.headers["etag"] != edited.headers["etag"]


async def test_items_created_here_survive_the_loader(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: dict[str, str]
) -> None:
    for path, body in (
        ("muscles", new_muscle()),
        (
            "exercises",
            new_exercise(
                muscles=[{"muscle": "test-muscle", "role": "secondary"}, *new_exercise()["muscles"]]
            ),
        ),
        ("tips", new_tip(exercises=["band-pull-apart"])),
    ):
        response = await client.post(f"/v1/admin/{path}", json=body, headers=admin)
        assert response.status_code == 201, response.text
    summary = await load_bundle(db_session, bundle())
    assert not summary.changed
    exercise = (await client.get("/v1/exercises/band-pull-apart")).json()
    assert exercise["origin"] == "api"
    assert "test-muscle" in exercise["secondary_muscles"]
    assert (await client.get("/v1/tips/test-tip")).json()["exercises"] == [
        {"slug": "band-pull-apart", "name": "Test Band Pull Apart"}
    ]
