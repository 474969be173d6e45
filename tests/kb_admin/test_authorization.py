"""Function-level authorization: every administrative operation against every kind of caller.

Anonymous callers get 401 (with a challenge), signed-in users without the `kb:admin` scope and
keys that lack it (a lifter's key, or even an administrator's key not granted the scope) get
403, and none of them changes anything; the administrator succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.kb_admin.helpers import KINDS, KindCase, actors, etag_of, snapshot


@dataclass(frozen=True)
class Operation:
    method: str
    kind: KindCase
    success: int

    def __str__(self) -> str:
        return f"{self.method} {self.kind.collection}"


OPERATIONS = [
    Operation(method, kind, success)
    for kind in KINDS
    for method, success in (("GET", 200), ("POST", 201), ("PUT", 200), ("DELETE", 204))
]


async def _request(
    client: httpx.AsyncClient, admin: dict[str, str], operation: Operation
) -> tuple[str, dict[str, Any]]:
    """The URL and request arguments of a request the administrator is allowed to make."""
    kind = operation.kind
    if operation.method == "POST":
        return f"/v1/admin/{kind.collection}", {"json": kind.body("matrix-item")}
    if operation.method == "GET":
        return f"/v1/admin/{kind.collection}/{kind.curated_slug}", {}
    if operation.method == "PUT":
        path = f"{kind.collection}/{kind.curated_slug}"
        editable = (await client.get(f"/v1/admin/{path}", headers=admin)).json()
        body = editable | {kind.text_field: "Changed by whoever is allowed to."}
        return f"/v1/admin/{path}", {
            "json": body,
            "headers": {"If-Match": await etag_of(client, admin, path)},
        }
    # DELETE: an item created for the purpose, which nothing refers to.
    created = await client.post(
        f"/v1/admin/{kind.collection}", json=kind.body("matrix-item"), headers=admin
    )
    assert created.status_code == 201, created.text
    return f"/v1/admin/{kind.collection}/matrix-item", {
        "headers": {"If-Match": created.headers["etag"]}
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
async def test_authorization_matrix(
    client: httpx.AsyncClient, db_session: AsyncSession, operation: Operation
) -> None:
    callers = await actors(client, db_session)
    url, arguments = await _request(client, callers.admin, operation)
    extra_headers: dict[str, str] = arguments.pop("headers", {})
    before = await snapshot(db_session)
    for who, headers, expected in callers.refused:
        response = await client.request(
            operation.method, url, headers=headers | extra_headers, **arguments
        )
        assert response.status_code == expected, f"{who}: {response.text}"
        assert response.headers["content-type"] == "application/problem+json", who
        if expected == 401:
            assert response.headers["www-authenticate"].startswith("Bearer"), who
        assert await snapshot(db_session) == before, f"{who} changed the knowledge base"
    response = await client.request(
        operation.method, url, headers=callers.admin | extra_headers, **arguments
    )
    assert response.status_code == operation.success, response.text
    if operation.method != "GET":
        assert await snapshot(db_session) != before
    else:
        assert await snapshot(db_session) == before


async def test_every_administrative_route_is_in_the_matrix(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    # Registered apps are administered under /v1/admin/apps too; their checks are in
    # tests/oauth/test_apps.py.
    routes = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith("/v1/admin/") and not path.startswith("/v1/admin/apps")
        for method in item
    }
    covered = {
        (operation.method, f"/v1/admin/{operation.kind.collection}")
        if operation.method == "POST"
        else (operation.method, f"/v1/admin/{operation.kind.collection}/{{slug}}")
        for operation in OPERATIONS
    }
    assert routes == covered
    for path, item in document["paths"].items():
        if path.startswith("/v1/admin/"):
            for operation in item.values():
                assert {"BearerToken": []} in operation["security"], path
