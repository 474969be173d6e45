"""The public knowledge-base API over the curated content, against real PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.content import load_content
from app.knowledge.service import bump_revision

PROBLEM = "application/problem+json"
CURATED_EXERCISES = len(load_content().exercises)


async def get_json(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def slugs(client: httpx.AsyncClient, **params: Any) -> list[str]:
    page = await get_json(client, "/v1/exercises", limit=100, **params)
    return [item["slug"] for item in page["items"]]


# --------------------------------------------------------------------------- listing


async def test_list_defaults(client: httpx.AsyncClient) -> None:
    page = await get_json(client, "/v1/exercises")
    assert page["total"] == CURATED_EXERCISES
    assert page["limit"] == 20
    assert len(page["items"]) == 20
    names = [(item["name"], item["slug"]) for item in page["items"]]
    assert names == sorted(names)
    assert page["next_cursor"]
    assert set(page["facets"]) == {"level", "mechanic", "force", "pattern", "category", "equipment"}
    assert sum(page["facets"]["level"].values()) == CURATED_EXERCISES


async def test_pagination_walks_the_whole_catalog(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/exercises", params=params)
        page = response.json()
        seen.extend(item["slug"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            break
        assert response.headers["link"].endswith('>; rel="next"')
        assert f"cursor={cursor}" in response.headers["link"]
    assert len(seen) == len(set(seen)) == CURATED_EXERCISES
    assert pages == -(-CURATED_EXERCISES // 7)


@pytest.mark.parametrize("sort", ["-name", "top_pick"])
async def test_pagination_is_stable_for_every_sort(client: httpx.AsyncClient, sort: str) -> None:
    whole = await slugs(client, sort=sort)
    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        page = await get_json(client, "/v1/exercises", **params)
        walked.extend(item["slug"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == whole


async def test_top_picks_in_the_article_order(client: httpx.AsyncClient) -> None:
    assert await slugs(client, top_pick="true", sort="top_pick") == [
        "deadlift",
        "pull-up",
        "barbell-bent-over-row",
        "inverted-row",
        "hyperextension",
    ]
    assert "deadlift" not in await slugs(client, top_pick="false")


async def test_muscle_and_role_filters(client: httpx.AsyncClient) -> None:
    primary = await slugs(client, muscle="latissimus-dorsi", role="primary")
    assert {"pull-up", "lat-pulldown", "barbell-bent-over-row"} <= set(primary)
    assert "bench-press" not in primary
    anywhere = await slugs(client, muscle="latissimus-dorsi")
    assert set(primary) <= set(anywhere)
    # A parent muscle covers its parts.
    assert "barbell-shrug" in await slugs(client, muscle="trapezius")


async def test_joint_action_and_equipment_filters(client: httpx.AsyncClient) -> None:
    extension = await slugs(client, joint_action="spine-extension")
    assert {"deadlift", "hyperextension"} <= set(extension)
    dumbbells = await slugs(client, equipment="dumbbell")
    assert "one-arm-dumbbell-row" in dumbbells
    assert "deadlift" not in dumbbells
    either = await slugs(client, equipment=["dumbbell", "pull-up-bar"])
    assert {"one-arm-dumbbell-row", "pull-up"} <= set(either)


async def test_available_equipment(client: httpx.AsyncClient) -> None:
    bodyweight = await get_json(client, "/v1/exercises", available_equipment="none", limit=100)
    assert bodyweight["items"], "some exercises need no equipment at all"
    assert all(item["equipment"] == [] for item in bodyweight["items"])
    assert "push-up" in [item["slug"] for item in bodyweight["items"]]
    with_bar = await slugs(client, available_equipment="pull-up-bar")
    assert {"pull-up", "chin-up"} <= set(with_bar)
    assert "deadlift" not in with_bar
    assert set(await slugs(client, available_equipment="none")) <= set(with_bar)


@pytest.mark.parametrize(
    ("param", "value", "member"),
    [
        ("level", "beginner", "pull-up"),
        ("mechanic", "isolation", "biceps-curl"),
        ("force", "push", "bench-press"),
        ("pattern", "hinge", "deadlift"),
        ("category", "strength", "deadlift"),
    ],
)
async def test_enum_filters(client: httpx.AsyncClient, param: str, value: str, member: str) -> None:
    page = await get_json(client, "/v1/exercises", **{param: value, "limit": 100})
    assert member in [item["slug"] for item in page["items"]]
    assert all(item[param] == value for item in page["items"])
    assert page["facets"][param] == {value: page["total"]}


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    combined = await slugs(
        client,
        muscle="latissimus-dorsi",
        role="primary",
        pattern="horizontal_pull",
        available_equipment=["barbell", "plates"],
    )
    assert "barbell-bent-over-row" in combined
    assert "pull-up" not in combined
    assert "seated-cable-row" not in combined


async def test_empty_result(client: httpx.AsyncClient) -> None:
    page = await get_json(
        client, "/v1/exercises", pattern="squat", muscle="latissimus-dorsi", role="primary"
    )
    assert page["items"] == []
    assert page["total"] == 0
    assert page["next_cursor"] is None
    assert all(values == {} for values in page["facets"].values())


async def test_text_query_ranks_by_relevance(client: httpx.AsyncClient) -> None:
    assert (await slugs(client, q="deadlfit"))[0] == "deadlift"
    assert (await slugs(client, q="RDL"))[0] == "romanian-deadlift"
    assert await slugs(client, q="zzzzqqq") == []


# --------------------------------------------------------------------------- bad input


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    ("params", "name", "allowed"),
    [
        ({"level": "expert"}, "level", "'beginner', 'intermediate' or 'advanced'"),
        ({"pattern": "diagonal"}, "pattern", "vertical_pull"),
        ({"role": "main"}, "role", "'primary' or 'secondary'"),
        ({"muscle": "wings"}, "muscle", "latissimus-dorsi"),
        ({"joint_action": "flying"}, "joint_action", "shoulder-extension"),
        ({"equipment": "spaceship"}, "equipment", "barbell"),
        ({"available_equipment": "spaceship"}, "available_equipment", "barbell"),
        ({"limit": 1000}, "limit", "100"),
        ({"sort": "random"}, "sort", "top_pick"),
    ],
)
async def test_bad_filter_values_are_named(
    client: httpx.AsyncClient, params: dict[str, Any], name: str, allowed: str
) -> None:
    body = assert_problem(await client.get("/v1/exercises", params=params), 422)
    [error] = body["errors"]
    assert error["name"] == name
    assert error["location"] == "query"
    assert allowed in error["reason"]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJzIjoiYSIsImsiOltdfQ"])
async def test_bad_cursor(client: httpx.AsyncClient, cursor: str) -> None:
    body = assert_problem(await client.get("/v1/exercises", params={"cursor": cursor}), 422)
    assert body["errors"][0]["name"] == "cursor"


async def test_cursor_from_another_listing_is_refused(client: httpx.AsyncClient) -> None:
    page = await get_json(client, "/v1/exercises", limit=5)
    response = await client.get(
        "/v1/exercises", params={"cursor": page["next_cursor"], "level": "beginner"}
    )
    assert assert_problem(response, 422)["errors"][0]["name"] == "cursor"


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/v1/exercises/deadlfit", "No exercise has the slug 'deadlfit'."),
        ("/v1/exercises/deadlfit/alternatives", "No exercise has the slug 'deadlfit'."),
        ("/v1/muscles/wings", "No muscle has the slug 'wings'."),
        ("/v1/joint-actions/flying", "No joint action has the slug 'flying'."),
        ("/v1/tips/nope", "No tip has the slug 'nope'."),
    ],
)
async def test_unknown_slugs_are_404(client: httpx.AsyncClient, url: str, detail: str) -> None:
    body = assert_problem(await client.get(url), 404)
    assert body["detail"] == detail
    assert body["type"] == "/problems/not-found"


async def test_malformed_slug_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/exercises/Dead_Lift"), 422)
    assert body["errors"][0] == {**body["errors"][0], "name": "slug", "location": "path"}


async def test_unknown_strategy_level_is_422(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/strategies/expert"), 422)
    assert body["errors"][0]["name"] == "level"


# --------------------------------------------------------------------------- details


async def test_exercise_detail_embeds_everything(client: httpx.AsyncClient) -> None:
    deadlift = await get_json(client, "/v1/exercises/deadlift")
    assert deadlift["top_pick_rank"] == 1
    assert deadlift["axial_heavy"] is True
    roles = {m["slug"]: m["role"] for m in deadlift["muscles"]}
    assert roles["erector-spinae"] == "primary" or roles.get("gluteus-maximus") == "primary"
    assert {"hip-extension", "spine-extension"} <= {a["slug"] for a in deadlift["joint_actions"]}
    assert len(deadlift["instructions"]) >= 4
    assert len(deadlift["form_cues"]) >= 3
    assert all(set(m) == {"mistake", "why", "fix"} for m in deadlift["common_mistakes"])
    assert deadlift["safety_notes"]
    assert deadlift["rep_range"] == {"low": 3, "high": 6}
    assert "king-of-the-gym-back-training" in [s["slug"] for s in deadlift["sources"]]
    assert deadlift["tips"], "the article's tips concern the deadlift"

    pull_up = await get_json(client, "/v1/exercises/pull-up")
    assert {"assisted-pull-up", "negative-pull-up"} <= {r["slug"] for r in pull_up["regressions"]}
    assert "weighted-pull-up" in {p["slug"] for p in pull_up["progressions"]}
    assert pull_up["ladder"], "pull-ups progress along a bodyweight ladder"
    assert all(r["name"] for r in pull_up["regressions"])


async def test_alternatives_are_ranked_with_reasons(client: httpx.AsyncClient) -> None:
    result = await get_json(client, "/v1/exercises/pull-up/alternatives")
    assert result["exercise"] == {"slug": "pull-up", "name": result["exercise"]["name"]}
    items = result["items"]
    assert items
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    top = [item["exercise"]["slug"] for item in items[:5]]
    assert {"chin-up", "lat-pulldown"} & set(top)
    assert "pull-up" not in [item["exercise"]["slug"] for item in items]
    assert all(item["reasons"] and item["shared_muscles"] for item in items)

    bodyweight = await get_json(
        client, "/v1/exercises/pull-up/alternatives", available_equipment="none"
    )
    assert all(item["exercise"]["equipment"] == [] for item in bodyweight["items"])
    assert all(
        "Doable with the equipment you have." in item["reasons"] for item in bodyweight["items"]
    )


async def test_muscle_detail(client: httpx.AsyncClient) -> None:
    lats = await get_json(client, "/v1/muscles/latissimus-dorsi")
    functions = {f["joint_action"]["slug"]: f["role"] for f in lats["functions"]}
    for action in ("shoulder-extension", "shoulder-adduction", "shoulder-internal-rotation"):
        assert functions[action] == "prime_mover"
    assert "lats" in lats["aliases"]
    assert "pull-up" in [e["slug"] for e in lats["exercises"]["primary"]]
    assert lats["view"] == "back"

    traps = await get_json(client, "/v1/muscles/trapezius")
    assert {"trapezius-upper", "trapezius-middle", "trapezius-lower"} <= {
        p["slug"] for p in traps["parts"]
    }
    assert "barbell-shrug" in [e["slug"] for e in traps["exercises"]["primary"]]


async def test_muscle_list_filters(client: httpx.AsyncClient) -> None:
    back = await get_json(client, "/v1/muscles", group="back")
    assert back
    assert all(m["group"] == "back" for m in back)
    front = await get_json(client, "/v1/muscles", view="front")
    assert "pectoralis-major" in [m["slug"] for m in front]
    assert_problem(await client.get("/v1/muscles", params={"group": "wings"}), 422)


async def test_joint_actions(client: httpx.AsyncClient) -> None:
    actions = await get_json(client, "/v1/joint-actions")
    assert {"shoulder-extension", "scapular-retraction", "spine-lateral-flexion"} <= {
        a["slug"] for a in actions
    }
    scapula = await get_json(client, "/v1/joint-actions", joint="scapula")
    assert scapula
    assert all(a["joint"] == "scapula" for a in scapula)
    extension = await get_json(client, "/v1/joint-actions/shoulder-extension")
    assert extension["muscles"][0]["role"] == "prime_mover"
    assert "latissimus-dorsi" in [m["muscle"]["slug"] for m in extension["muscles"]]
    assert "pull-up" in [e["slug"] for e in extension["exercises"]]
    assert extension["sources"], "the article names shoulder extension"


async def test_tips(client: httpx.AsyncClient) -> None:
    tips = await get_json(client, "/v1/tips")
    assert len(tips) >= 5
    activation = next(t for t in tips if t["problems"] and t["solutions"])
    detail = await get_json(client, f"/v1/tips/{activation['slug']}")
    assert detail == activation
    for params in (
        {"exercise": "pull-up"},
        {"muscle": "latissimus-dorsi"},
        {"category": "technique"},
        {"level": "beginner"},
    ):
        filtered = await get_json(client, "/v1/tips", **params)
        assert filtered, params
        assert len(filtered) <= len(tips)
    assert all(
        any(e["slug"] == "pull-up" for e in t["exercises"])
        for t in await get_json(client, "/v1/tips", exercise="pull-up")
    )
    assert (
        await get_json(
            client, "/v1/tips", exercise="back-squat", category="posture", level="advanced"
        )
        is not None
    )


async def test_benefits_strategies_routines_notes(client: httpx.AsyncClient) -> None:
    benefits = await get_json(client, "/v1/benefits")
    assert len(benefits) == 5
    assert all(b["sources"] for b in benefits)
    strategies = await get_json(client, "/v1/strategies")
    assert [s["level"] for s in strategies] == ["beginner", "intermediate", "advanced"]
    intermediate = await get_json(client, "/v1/strategies/intermediate")
    assert [m["kind"] for m in intermediate["modifications"]] == [
        "ADD_SETS",
        "LOAD_UP",
        "REPS_UP",
        "FAILURE_FINAL_SET",
    ]
    assert {"deadlift", "pull-up"} <= {e["slug"] for e in intermediate["anchor_exercises"]}
    routines = await get_json(client, "/v1/routines")
    assert len(routines) >= 4
    beginner = await get_json(client, "/v1/routines", level="beginner")
    assert beginner
    assert all(r["level"] == "beginner" for r in beginner)
    # Days are structured: every entry names a catalog slug or a plain name, with sets and a
    # rep range a client can render without parsing text.
    five_by_five = next(r for r in routines if r["slug"] == "stronglifts-5x5")
    squat = five_by_five["days"][0]["entries"][0]
    assert squat == {
        "exercise": "back-squat",
        "name": None,
        "sets": 5,
        "reps": {"low": 5, "high": 5},
        "last_set_amrap": False,
        "alternatives": [],
        "note": None,
    }
    notes = await get_json(client, "/v1/anatomy-notes")
    assert notes
    assert all(n["sources"] for n in notes)
    equipment = await get_json(client, "/v1/equipment")
    assert "pull-up-bar" in [e["slug"] for e in equipment]


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("query", "kind", "slug"),
    [
        ("deadlfit", "exercise", "deadlift"),
        ("RDL", "exercise", "romanian-deadlift"),
        ("pullup", "exercise", "pull-up"),
        ("pull up", "exercise", "pull-up"),
        ("lats", "muscle", "latissimus-dorsi"),
        ("rear delts", "muscle", "posterior-deltoid"),
        ("OHP", "exercise", "overhead-press"),
        ("romanian deadlfit", "exercise", "romanian-deadlift"),
        ("scapular retraction", "joint_action", "scapular-retraction"),
    ],
)
async def test_search_understands_gym_vocabulary(
    client: httpx.AsyncClient, query: str, kind: str, slug: str
) -> None:
    results = await get_json(client, "/v1/search", q=query)
    assert results["query"] == query
    top = results["items"][0]
    assert (top["kind"], top["slug"]) == (kind, slug)
    assert top["url"].endswith("/" + slug)


async def test_search_kinds_and_limits(client: httpx.AsyncClient) -> None:
    only_tips = await get_json(client, "/v1/search", q="neck", kind="tip")
    assert only_tips["items"]
    assert all(hit["kind"] == "tip" for hit in only_tips["items"])
    assert len((await get_json(client, "/v1/search", q="row", limit=2))["items"]) == 2
    assert (await get_json(client, "/v1/search", q="xylophone"))["items"] == []
    assert_problem(await client.get("/v1/search"), 422)
    assert_problem(await client.get("/v1/search", params={"q": "x" * 101}), 422)


@pytest.mark.parametrize("query", ["row", "back", "press", "deadlfit", "lats"])
async def test_a_shorter_search_is_the_head_of_a_longer_one(
    client: httpx.AsyncClient, query: str
) -> None:
    # Only the top hits are built (heapq.nsmallest): the order must be the full ranking's.
    longer = (await get_json(client, "/v1/search", q=query, limit=50))["items"]
    for limit in (1, 3, 10):
        shorter = (await get_json(client, "/v1/search", q=query, limit=limit))["items"]
        assert shorter == longer[:limit], (query, limit)


# --------------------------------------------------------------------------- conditional requests


@pytest.mark.parametrize(
    "url",
    [
        "/v1/exercises",
        "/v1/exercises/deadlift",
        "/v1/muscles/latissimus-dorsi",
        "/v1/search?q=row",
        "/v1/tips",
        "/v1/routines",
    ],
)
async def test_etag_and_304(client: httpx.AsyncClient, url: str) -> None:
    first = await client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    assert (await client.get(url, headers={"If-None-Match": '"stale"'})).status_code == 200


async def test_etag_differs_per_representation_and_revision(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    a = (await client.get("/v1/exercises?limit=5")).headers["etag"]
    b = (await client.get("/v1/exercises?limit=6")).headers["etag"]
    assert a != b
    await bump_revision(db_session)
    fresh = await client.get("/v1/exercises?limit=5", headers={"If-None-Match": a})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != a
