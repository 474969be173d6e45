"""Capture the OpenAPI document's response examples from the app serving the curated content.

    make openapi-examples          (or: .venv/bin/python scripts/capture_examples.py)

Refresh them after changing a response model, a route or the curated content; the test
``tests/test_openapi_examples.py`` re-captures them and fails while the stored files differ.

The script creates a temporary database on the server ``DATABASE_URL`` names (the embedded
one without it), migrates it, loads the curated content, and drives the application in-process
(its lifespan included) through one lifter's story: sign up, sign in, keys, a profile, a few
sessions, recommendations, and an administrator's edits. Each 2xx JSON answer is kept as
``app/openapi_examples/<operationId>.<status>.json``, after three deterministic rewrites:

* every list is cut to its first two items (pages are asked for two items, so their totals
  and cursors still read true), except in the editable forms `PUT` takes and in the catalog
  snapshot, cut to one;
* clock readings become the same instants relative to 2026-03-06T09:00:00Z, to the hour (the
  day the request examples' lifter trains), and JWT claims with them;
* secrets (tokens, API keys) become fixed stand-ins of the same form.

Ids need no masking: the database is new, so they are the same on every run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from benchkit import scratch_database
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import keys
from app.config import Settings
from app.content import load_content
from app.db.session import run_sql
from app.main import create_app
from app.oauth import credentials
from app.oauth.service import live_grant
from app.openapi_examples import EXAMPLES_DIR, example_name
from app.recommendations.examples import BEGINNER, KG_GYM
from app.users.service import find_by_email, make_admin

KEEP = 2
# The editable forms are what `PUT` takes: kept whole, so that they can be sent back as they are.
WHOLE = tuple(f"get_{kind}_for_editing." for kind in ("exercise", "muscle", "joint_action", "tip"))
# The whole-catalog snapshot shows one item of each kind (and one entry of each of their
# lists): every item is shown in full by its own operation's example, and ten kinds of two
# items each made an example seven times the size of any other.
SNAPSHOT = "get_catalog_snapshot."
# "Now" in the examples: two days after the request examples' session of 2026-03-04.
EPOCH = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
TODAY = "2026-03-06"
LIFTER = "lifter@example.com"
ADMIN = "coach@example.com"
PASSWORD = "correct horse battery staple"  # noqa: S105 - the example accounts'
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
# Signs the stand-in tokens, so they decode like real ones (and are refused by any server).
STAND_IN_SECRET = "not-the-server-secret-only-an-example"  # noqa: S105
TIME_CLAIMS = ("iat", "nbf", "exp")
OAUTH_PREFIXES = (credentials.CLIENT_ID_PREFIX, credentials.CLIENT_SECRET_PREFIX)
DEVELOPER = "developer@example.com"
APP = {
    "name": "Lift Tracker Pro",
    "description": "Logs your sets from the gym floor and plans the next session with Spotter.",
    "homepage_url": "https://lifttracker.example",
    "logo_url": "https://lifttracker.example/logo.png",
    "redirect_uris": ["https://lifttracker.example/oauth/callback", "http://127.0.0.1:8765/cb"],
    "client_type": "confidential",
    "allowed_scopes": ["kb:read", "logs:read", "logs:write", "recommendations:read"],
}
ID_CLAIMS = ("jti", "fam")

# The lifter of the request examples, as a stored profile.
PROFILE: dict[str, Any] = {
    **BEGINNER["profile"],
    "goal": "strength",
    "equipment": KG_GYM,
    "routine": "stronglifts-5x5",
}


def _session(day: str, row: float, deadlift: float) -> dict[str, Any]:
    """The pulls of a StrongLifts workout: five sets of five rows, one of five deadlifts."""
    sets = [("barbell-bent-over-row", row)] * 5 + [("deadlift", deadlift)]
    return {
        "date": day,
        "sets": [
            {"exercise": exercise, "reps": 5, "load": load, "target_reps": 5}
            for exercise, load in sets
        ],
    }


# --------------------------------------------------------------------------- masking


def _trimmed(value: Any, keep: int = KEEP) -> Any:
    if isinstance(value, list):
        return [_trimmed(v, keep) for v in value[:keep]]
    if isinstance(value, dict):
        return {k: _trimmed(v, keep) for k, v in value.items()}
    return value


@dataclass
class Masks:
    """Stand-ins for what differs between runs: clock readings and secrets."""

    started: datetime
    secrets: dict[str, str] = field(default_factory=dict)

    def instant(self, moment: datetime) -> datetime:
        """The same instant relative to EPOCH as ``moment`` to the capture's start, to the
        hour: a capture takes seconds, so every reading lands on the same hour."""
        hours = round((moment - self.started) / timedelta(hours=1))
        return EPOCH + timedelta(hours=hours)

    def timestamp(self, text: str) -> str:
        masked = self.instant(datetime.fromisoformat(text)).isoformat()
        return masked.replace("+00:00", "Z") if text.endswith("Z") else masked

    def token(self, token: str) -> str:
        """A JWT of the same header and claims, signed with a stand-in secret: issued at the
        masked instant (its lifetime kept to the second), with stand-in ids."""
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        issued = claims["iat"]
        shift = int(self.instant(datetime.fromtimestamp(issued, UTC)).timestamp()) - issued
        for name in TIME_CLAIMS:
            if name in claims:
                claims[name] += shift
        for name in ID_CLAIMS:
            if name in claims:
                claims[name] = self.random(f"{name} {len(self.secrets)}", 32, "0123456789abcdef")
        return jwt.encode(claims, STAND_IN_SECRET, algorithm=header["alg"], headers=header)

    def key(self, key: str, prefix: str = keys.PREFIX) -> str:
        """A key of the same form (prefix, length, alphabet) that no server issued."""
        size = len(key) - len(prefix)
        stand_in = prefix + self.random(f"key {len(self.secrets)}", size, keys.ALPHABET)
        if prefix == keys.PREFIX:
            self.secrets[keys.display_prefix(key)] = keys.display_prefix(stand_in)
        return stand_in

    @staticmethod
    def random(seed: str, size: int, alphabet: str) -> str:
        """Characters that look random but are the same for the same seed on every run."""
        digest = hashlib.sha512(seed.encode()).digest()
        return "".join(alphabet[byte % len(alphabet)] for byte in digest[:size])

    def learn(self, value: Any) -> None:
        """Find the secrets in ``value``, in the order they appear."""
        if isinstance(value, dict | list):
            for item in value.values() if isinstance(value, dict) else value:
                self.learn(item)
        elif isinstance(value, str) and value not in self.secrets:
            if JWT.fullmatch(value):
                self.secrets[value] = self.token(value)
            elif keys.is_well_formed(value):
                self.secrets[value] = self.key(value)
            else:
                # An app's client id and secret are random on every run too.
                for prefix in OAUTH_PREFIXES:
                    if credentials.is_well_formed(value, prefix):
                        self.secrets[value] = self.key(value, prefix)

    def apply(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.apply(v) for v in value]
        if isinstance(value, dict):
            return {k: self.apply(v) for k, v in value.items()}
        if isinstance(value, str):
            if DATETIME.fullmatch(value):
                return self.timestamp(value)
            return self.secrets.get(value, value)
        return value


# --------------------------------------------------------------------------- recording


@dataclass
class Recorder:
    """Calls the API and keeps each answer under its operation and status; learns the secrets
    of every answer, kept or not, so that none shows in another one."""

    client: httpx.AsyncClient
    masks: Masks
    examples: dict[str, Any] = field(default_factory=dict)

    async def call(
        self, operation_id: str | None, method: str, url: str, status: int = 200, **kwargs: Any
    ) -> httpx.Response:
        """Send the request; keep the answer under ``operation_id`` unless it is None."""
        response = await self.client.request(method, url, **kwargs)
        if response.status_code != status:
            msg = f"{method} {url} answered {response.status_code}, not {status}"
            raise RuntimeError(f"{msg}: {response.text}")
        if response.content:
            self.masks.learn(response.json())
        if operation_id is not None and response.content:
            self.examples[example_name(operation_id, status)] = response.json()
        return response

    def masked(self) -> dict[str, Any]:
        """The examples with the masks applied and lists cut, by name."""
        return {
            name: self.masks.apply(
                body
                if name.startswith(WHOLE)
                else _trimmed(body, 1 if name.startswith(SNAPSHOT) else KEEP)
            )
            for name, body in sorted(self.examples.items())
        }


def _bearer(tokens: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def _catalog(api: Recorder) -> None:
    await api.call("get_liveness", "GET", "/healthz")
    await api.call("get_readiness", "GET", "/readyz")
    await api.call("get_api_index", "GET", "/v1")
    page = {"limit": KEEP}
    await api.call(
        "list_exercises", "GET", "/v1/exercises", params={"muscle": "latissimus-dorsi", **page}
    )
    await api.call("get_exercise", "GET", "/v1/exercises/barbell-bent-over-row")
    await api.call(
        "list_exercise_alternatives", "GET", "/v1/exercises/deadlift/alternatives", params=page
    )
    await api.call("list_equipment", "GET", "/v1/equipment")
    await api.call("list_muscles", "GET", "/v1/muscles", params={"group": "back"})
    await api.call("get_muscle", "GET", "/v1/muscles/latissimus-dorsi")
    await api.call("list_joint_actions", "GET", "/v1/joint-actions", params={"joint": "shoulder"})
    await api.call("get_joint_action", "GET", "/v1/joint-actions/shoulder-extension")
    await api.call("list_tips", "GET", "/v1/tips", params={"exercise": "deadlift"})
    await api.call("get_tip", "GET", "/v1/tips/activate-your-back")
    await api.call("list_benefits", "GET", "/v1/benefits")
    await api.call("list_anatomy_notes", "GET", "/v1/anatomy-notes")
    await api.call("list_strategies", "GET", "/v1/strategies")
    await api.call("get_strategy", "GET", "/v1/strategies/beginner")
    await api.call("list_routines", "GET", "/v1/routines", params={"level": "beginner"})
    sources = await api.call("list_sources", "GET", "/v1/sources")
    await api.call("get_source", "GET", f"/v1/sources/{sources.json()[0]['slug']}")
    # The whole catalog: its lists are cut to two items like every other example's.
    await api.call("get_catalog_snapshot", "GET", "/v1/exports/catalog")
    await api.call("search_knowledge_base", "GET", "/v1/search", params={"q": "row", **page})
    await api.call(
        "recommend_next_session",
        "POST",
        "/v1/recommendations/next-session",
        json=BEGINNER,
    )


async def _lifter(api: Recorder) -> None:
    credentials = {"email": LIFTER, "password": PASSWORD}
    await api.call("register_account", "POST", "/v1/auth/register", 201, json=credentials)
    tokens = await api.call("create_token", "POST", "/v1/auth/token", json=credentials)
    refresh = {"refresh_token": tokens.json()["refresh_token"]}
    tokens = await api.call("refresh_token", "POST", "/v1/auth/refresh", json=refresh)
    me = _bearer(tokens)
    await api.call("get_my_account", "GET", "/v1/me", headers=me)

    keys_url = "/v1/me/api-keys"
    expires = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    key = {"name": "Lift Tracker Pro", "scopes": ["kb:read", "logs:read"], "expires_at": expires}
    await api.call("create_api_key", "POST", keys_url, 201, json=key, headers=me)
    old_key = {"name": "Old phone", "scopes": ["kb:read"]}
    old = await api.call(None, "POST", keys_url, 201, json=old_key, headers=me)
    await api.call("revoke_api_key", "DELETE", f"{keys_url}/{old.json()['id']}", 204, headers=me)
    await api.call("list_api_keys", "GET", keys_url, headers=me)

    profile = await api.call(
        "put_my_profile", "PUT", "/v1/me/profile", 201, json=PROFILE, headers=me
    )
    changed = PROFILE | {"bodyweight": 81}
    tag = {**me, "If-Match": profile.headers["etag"]}
    await api.call("put_my_profile", "PUT", "/v1/me/profile", json=changed, headers=tag)
    await api.call("get_my_profile", "GET", "/v1/me/profile", headers=me)

    sessions_url = "/v1/me/sessions"
    for day, row, deadlift in (("2026-03-02", 45, 95), ("2026-03-04", 47.5, 100)):
        created = await api.call(
            "create_training_session",
            "POST",
            sessions_url,
            201,
            json=_session(day, row, deadlift),
            headers=me,
        )
    session_url = created.headers["location"]
    # Logged by mistake (deleted below): the page then has a next one.
    mistaken = await api.call(
        None,
        "POST",
        sessions_url,
        201,
        json=_session("2026-03-05", 50, 100),
        headers=me,
    )
    await api.call(
        "list_training_sessions", "GET", sessions_url, params={"limit": KEEP}, headers=me
    )
    fetched = await api.call("get_training_session", "GET", session_url, headers=me)
    replaced = _session("2026-03-04", 47.5, 100) | {"notes": "Grip gave out on the last row set."}
    await api.call(
        "replace_training_session",
        "PUT",
        session_url,
        json=replaced,
        headers={**me, "If-Match": fetched.headers["etag"]},
    )
    await api.call(
        "delete_training_session",
        "DELETE",
        mistaken.headers["location"],
        204,
        headers={**me, "If-Match": mistaken.headers["etag"]},
    )
    await api.call(
        "recommend_my_next_session",
        "GET",
        "/v1/me/recommendations/next-session",
        params={"today": TODAY},
        headers=me,
    )
    await api.call("log_out_everywhere", "POST", "/v1/auth/logout", 204, headers=me)


@dataclass(frozen=True)
class Kind:
    """One administrable kind: its collection, a curated item to edit, a new item to add."""

    name: str  # as in the operation ids: get_<name>_for_editing
    collection: str
    curated: str
    new: dict[str, Any]


def _kinds() -> tuple[Kind, ...]:
    bundle = load_content()

    def item(items: Any, model: str, **changes: Any) -> dict[str, Any]:
        """A curated item's body with ``changes``: the fields a new item would share."""
        found = next(i for i in items if i.slug == model).model_dump(mode="json")
        return dict(found) | changes

    return (
        Kind(
            "exercise",
            "exercises",
            "face-pull",
            item(
                bundle.exercises,
                "face-pull",
                slug="band-pull-apart",
                name="Band pull-apart",
                aliases=["pull-apart"],
                summary="Stretch a band across the chest by squeezing the shoulder blades "
                "together.",
                top_pick_rank=None,
                regressions=[],
                progressions=[],
                variations=[],
                tips=[],
            ),
        ),
        Kind(
            "muscle",
            "muscles",
            "teres-major",
            item(
                bundle.muscles,
                "teres-minor",
                slug="subscapularis",
                name="Subscapularis",
                view="front",
                description="The rotator-cuff muscle on the front of the shoulder blade, "
                "against the ribs, that turns the arm inward and holds the ball of the "
                "shoulder down in its socket.",
                functions=[
                    {"joint_action": "shoulder-internal-rotation", "role": "prime_mover"},
                    {"joint_action": "shoulder-adduction", "role": "synergist"},
                ],
            ),
        ),
        Kind(
            "joint_action",
            "joint-actions",
            "shoulder-extension",
            item(
                bundle.joint_actions,
                "wrist-flexion",
                slug="wrist-extension",
                name="Wrist extension",
                aliases=["reverse wrist curl motion"],
                description="Bending the wrist back so the knuckles move toward the outside of "
                "the forearm, as in a reverse wrist curl.",
            ),
        ),
        Kind(
            "tip",
            "tips",
            "activate-your-back",
            item(
                bundle.tips,
                "keep-neck-neutral",
                slug="chalk-heavy-pulls",
                title="Chalk your hands for heavy pulls",
                summary="When the bar slips before the back gives out, chalk the hands "
                "instead of loosening the grip or reaching for straps first.",
                body="A grip that fails first limits every heavy pull, and the back never gets "
                "the work. Chalk dries the palms so the fingers can hold on; keep straps for "
                "the sets where the grip alone would end them.",
                category="technique",
                exercises=["deadlift", "rack-pull", "barbell-shrug"],
                muscles=["forearm-flexors"],
                problems=[
                    {
                        "title": "The bar slides out of the hands",
                        "detail": "Sweat turns the last reps into a grip test.",
                    }
                ],
                solutions=[
                    {"title": "Chalk", "detail": "A little on the palms and fingers, not the bar."}
                ],
                exceptions=[],
            ),
        ),
    )


async def _administrator(api: Recorder, app: FastAPI) -> None:
    """The administrator (an account promoted as `spotter create-admin` does) edits, adds and
    removes one item of every kind."""
    credentials = {"email": ADMIN, "password": PASSWORD}
    await api.call(None, "POST", "/v1/auth/register", 201, json=credentials)
    async with app.state.sessionmaker() as session:
        await make_admin(session, app.state.passwords, ADMIN, None)
        await session.commit()
    signed_in = await api.client.post("/v1/auth/token", json={"email": ADMIN, "password": PASSWORD})
    admin = _bearer(signed_in)
    for kind in _kinds():
        url = f"/v1/admin/{kind.collection}"
        editable = await api.call(
            f"get_{kind.name}_for_editing", "GET", f"{url}/{kind.curated}", headers=admin
        )
        await api.call(
            f"replace_{kind.name}",
            "PUT",
            f"{url}/{kind.curated}",
            json=editable.json(),
            headers={**admin, "If-Match": editable.headers["etag"]},
        )
        created = await api.call(
            f"create_{kind.name}", "POST", url, 201, json=kind.new, headers=admin
        )
        await api.call(
            f"delete_{kind.name}",
            "DELETE",
            created.headers["location"],
            204,
            headers={**admin, "If-Match": created.headers["etag"]},
        )


async def _apps(api: Recorder, app: FastAPI) -> None:
    """A developer registers an app; the lifter has granted it access (as the consent page
    would record it), sees and revokes the grant; the administrator suspends the app."""
    developer = {"email": DEVELOPER, "password": PASSWORD}
    await api.call(None, "POST", "/v1/auth/register", 201, json=developer)
    dev = _bearer(await api.call(None, "POST", "/v1/auth/token", json=developer))
    created = await api.call("register_app", "POST", "/v1/apps", 201, json=APP, headers=dev)
    url = f"/v1/apps/{created.json()['client_id']}"
    await api.call("list_my_apps", "GET", "/v1/apps", headers=dev)
    await api.call("get_my_app", "GET", url, headers=dev)
    change = {"description": "Logs your sets and plans the next session with Spotter."}
    await api.call("update_my_app", "PATCH", url, json=change, headers=dev)
    await api.call("rotate_app_secret", "POST", f"{url}/secret", headers=dev)

    async with app.state.sessionmaker() as session:
        lifter, stored = await find_by_email(session, LIFTER), await _app_id(session, url)
        assert lifter is not None  # noqa: S101 - registered above
        assert lifter.id is not None  # noqa: S101
        await live_grant(session, lifter.id, stored, ("logs:read", "recommendations:read"))
        await session.commit()
    me = _bearer(
        await api.call(None, "POST", "/v1/auth/token", json={"email": LIFTER, "password": PASSWORD})
    )
    grants = await api.call("list_my_grants", "GET", "/v1/me/grants", headers=me)
    grant_url = f"/v1/me/grants/{grants.json()[0]['id']}"
    await api.call("revoke_my_grant", "DELETE", grant_url, 204, headers=me)

    admin = _bearer(
        await api.call(None, "POST", "/v1/auth/token", json={"email": ADMIN, "password": PASSWORD})
    )
    await api.call("list_every_app", "GET", "/v1/admin/apps", headers=admin)
    suspension = f"/v1/admin/apps/{created.json()['client_id']}/suspension"
    reason = {"reason": "Requests lifters' logs it never uses."}
    await api.call("suspend_app", "PUT", suspension, json=reason, headers=admin)
    await api.call("reinstate_app", "DELETE", suspension, headers=admin)
    await api.call("delete_my_app", "DELETE", url, 204, headers=dev)


async def _app_id(session: AsyncSession, url: str) -> int:
    client_id = url.rsplit("/", 1)[-1]
    found = await run_sql(
        session, "SELECT id FROM registered_app WHERE client_id = :c", c=client_id
    )
    return int(found.scalar_one())


# --------------------------------------------------------------------------- capture


def capture_settings(database_url: str) -> Settings:
    # Not the environment's: the examples must not depend on who runs the script. The
    # quotas are off (their headers are not in the bodies), and nothing else changes answers.
    return Settings.model_validate(
        {"database_url": database_url, "rate_limit_enabled": False, "log_level": "WARNING"}
    )


async def capture(database_url: str) -> dict[str, Any]:
    """Every example, from a database that has just been migrated and loaded with the curated
    content (and nothing else: the ids in the examples are a new database's)."""
    app = create_app(capture_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Recorder(client, Masks(datetime.now(UTC)))
            await _catalog(api)
            await _lifter(api)
            await _administrator(api, app)
            await _apps(api, app)
    return api.masked()


def rendered(body: Any) -> str:
    """An example's file text."""
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write(examples: dict[str, Any], folder: Path = EXAMPLES_DIR) -> None:
    """Replace every stored example with ``examples``."""
    for stale in folder.glob("*.json"):
        stale.unlink()
    for name, body in examples.items():
        (folder / name).write_text(rendered(body), encoding="utf-8")


def main() -> None:
    with scratch_database() as url:
        examples = asyncio.run(capture(url))
    write(examples)
    print(f"wrote {len(examples)} examples to {EXAMPLES_DIR}")  # noqa: T201


if __name__ == "__main__":
    main()
