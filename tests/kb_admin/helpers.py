"""Shared pieces of the administration tests: actors, item bodies, database snapshots."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from app.content import load_content
from app.content.schema import ContentBundle
from app.db.session import run_sql
from tests.conftest import fetch
from tests.test_auth import bearer, login, new_key, register, signed_in

ADMIN_EMAIL = "boss@example.com"
# Every table an administrative write may touch, and the revision every write bumps.
KB_TABLES = (
    "exercise",
    "exercise_muscle",
    "exercise_joint_action",
    "muscle",
    "muscle_function",
    "joint_action",
    "tip",
    "content_revision",
)


@cache
def bundle() -> ContentBundle:
    return load_content()


def curated(field: str, slug: str) -> dict[str, Any]:
    """A curated item as its file says it, in the API's JSON form."""
    item = next(i for i in getattr(bundle(), field) if i.slug == slug)
    document: dict[str, Any] = item.model_dump(mode="json")
    return document


def new_exercise(slug: str = "band-pull-apart", **changes: Any) -> dict[str, Any]:
    """A valid exercise nothing else has: the face pull's facts under a new identity."""
    body = curated("exercises", "face-pull") | {
        "slug": slug,
        "name": f"Test {slug.replace('-', ' ').title()}",
        "aliases": [],
        "top_pick_rank": None,
        "regressions": [],
        "progressions": [],
        "variations": [],
        "tips": [],
        "summary": "Stretch a band across the chest by squeezing the shoulder blades together.",
    }
    return body | changes


def new_muscle(slug: str = "test-muscle", **changes: Any) -> dict[str, Any]:
    body = curated("muscles", "teres-major") | {
        "slug": slug,
        "name": f"Test {slug.replace('-', ' ').title()}",
        "aliases": [],
        "parent": None,
    }
    return body | changes


def new_joint_action(slug: str = "test-action", **changes: Any) -> dict[str, Any]:
    body = curated("joint_actions", "shoulder-extension") | {
        "slug": slug,
        "name": f"Test {slug.replace('-', ' ').title()}",
        "aliases": [],
    }
    return body | changes


def new_tip(slug: str = "test-tip", **changes: Any) -> dict[str, Any]:
    body = curated("tips", "activate-your-back") | {
        "slug": slug,
        "title": f"Test {slug.replace('-', ' ').title()}",
    }
    return body | changes


async def committed_admin(url: str, client: httpx.AsyncClient) -> dict[str, str]:
    """The administrator on a database whose requests really commit (promoted from outside)."""
    await register(client, ADMIN_EMAIL)
    await fetch(url, "UPDATE user_account SET is_admin = true WHERE email = $1", ADMIN_EMAIL)
    return bearer((await login(client, ADMIN_EMAIL))["access_token"])


@dataclass(frozen=True)
class KindCase:
    """How one kind is written (admin collection) and read back (public path)."""

    collection: str
    public: str
    table: str
    body: Any  # (slug, **changes) -> body
    curated_slug: str  # a curated item of the kind
    text_field: str  # a free-text field present both in the body and the public detail

    def __str__(self) -> str:
        return self.collection


KINDS = (
    KindCase("exercises", "exercises", "exercise", new_exercise, "face-pull", "summary"),
    KindCase("muscles", "muscles", "muscle", new_muscle, "teres-major", "description"),
    KindCase(
        "joint-actions",
        "joint-actions",
        "joint_action",
        new_joint_action,
        "shoulder-extension",
        "description",
    ),
    KindCase("tips", "tips", "tip", new_tip, "activate-your-back", "summary"),
)


async def admin_headers(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    """Register the administrator (promoted directly in the database, as the CLI does)."""
    await register(client, ADMIN_EMAIL)
    await run_sql(
        session, "UPDATE user_account SET is_admin = true WHERE email = :email", email=ADMIN_EMAIL
    )
    return bearer((await login(client, ADMIN_EMAIL))["access_token"])


@dataclass(frozen=True)
class Actors:
    """Every kind of caller the authorization matrix tries, with the status it expects."""

    admin: dict[str, str]
    refused: tuple[tuple[str, dict[str, str], int], ...]


async def actors(client: httpx.AsyncClient, session: AsyncSession) -> Actors:
    admin = await admin_headers(client, session)
    user = await signed_in(client, "lifter@example.com")
    user_key = await new_key(client, user, ["kb:read", "logs:read", "logs:write"])
    admin_key = await new_key(client, admin, ["kb:read", "logs:read"])
    return Actors(
        admin=admin,
        refused=(
            ("anonymous", {}, 401),
            ("ordinary user", user, 403),
            ("user's API key", {"X-API-Key": user_key["key"]}, 403),
            ("administrator's key without kb:admin", {"X-API-Key": admin_key["key"]}, 403),
        ),
    )


async def snapshot(session: AsyncSession) -> dict[str, str]:
    """A fingerprint of every knowledge-base table: equal snapshots, unchanged tables."""
    found = {}
    for table in KB_TABLES:
        # Table names come from the fixed tuple above.
        result = await run_sql(
            session,
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
            f"FROM {table} t",
        )
        found[table] = str(result.scalar_one())
    return found


def identity_tag(tag: str) -> str:
    """The version a tag names: a compressed answer's tag carries its coding (`-br"`), and
    whether an answer is compressed depends on its size, not on the version."""
    return re.sub(r'-(?:gzip|br)"$', '"', tag)


async def etag_of(client: httpx.AsyncClient, headers: dict[str, str], path: str) -> str:
    response = await client.get(f"/v1/admin/{path}", headers=headers)
    assert response.status_code == 200, response.text
    return identity_tag(response.headers["etag"])
