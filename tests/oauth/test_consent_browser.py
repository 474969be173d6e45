"""The whole authorization code flow in a real browser (Debian's Chromium, headless).

An app sends the lifter to the consent page; the lifter signs in, sees the app and what each
scope allows, unticks one and approves; the browser lands on the app's redirect URI with a
code, which the app exchanges (with its PKCE verifier) for tokens and calls the API with.
The page's requests may reach only the server under test: the app's callback is answered
by the test itself, which is how it reads the code.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, sync_playwright

from tests.oauth.helpers import Pkce
from tests.test_auth import PASSWORD
from tests.test_docs_browser import _chromium, _screenshot_has_content, live_server
from tests.training.conftest import session_body

__all__ = ["live_server"]  # the fixture, imported for this module's tests
pytestmark = pytest.mark.slow

# The framing page is answered by the test's route; nothing listens on its port.
EVIL_PORT = 8765
TIMEOUT_MS = 60_000


@dataclass
class Story:
    base: str
    lifter: str
    client_id: str
    redirect_uri: str
    pkce: Pkce = field(default_factory=Pkce.new)
    state: str = field(default_factory=lambda: uuid.uuid4().hex)

    def authorize_url(self, scope: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": self.state,
            "code_challenge": self.pkce.challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.base}/oauth/authorize?{urlencode(params)}"


class _Callback(BaseHTTPRequestHandler):
    """The app's redirect URI: records where the browser landed and says so."""

    landed: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.landed.append(self.path)
        body = b"<!doctype html><p id='connected'>Connected</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Quiet: the test reads ``landed``."""


@pytest.fixture
def callback() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server standing in for the app's own page."""
    landed: list[str] = []
    handler = type("Callback", (_Callback,), {"landed": landed})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback", landed
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def story(live_server: str, callback: tuple[str, list[str]]) -> Story:
    """A developer's public app and a lifter, registered over the API."""
    suffix = uuid.uuid4().hex[:12]
    lifter, developer = f"lifter-{suffix}@example.com", f"dev-{suffix}@example.com"
    redirect_uri = callback[0]
    with httpx.Client(base_url=live_server) as http:
        for email in (lifter, developer):
            assert (
                http.post(
                    "/v1/auth/register", json={"email": email, "password": PASSWORD}
                ).status_code
                == 201
            )
        token = http.post("/v1/auth/token", json={"email": developer, "password": PASSWORD}).json()
        created = http.post(
            "/v1/apps",
            json={
                "name": "Lift Tracker Pro",
                "description": "Logs your sets from the gym floor.",
                "redirect_uris": [redirect_uri],
                "client_type": "public",
                "allowed_scopes": ["logs:read", "logs:write", "recommendations:read"],
            },
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert created.status_code == 201, created.text
    return Story(live_server, lifter, created.json()["client_id"], redirect_uri)


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--no-sandbox"],
        )
        try:
            yield launched
        finally:
            launched.close()


def test_an_app_gets_a_lifter_consent_in_a_browser_and_calls_the_api(
    browser: Browser, story: Story, callback: tuple[str, list[str]], tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 900, "height": 1000})
    landed = callback[1]
    refused: list[str] = []
    allowed = {urlsplit(story.base).netloc, urlsplit(story.redirect_uri).netloc}

    def route(request_route: Route) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc in allowed or url.startswith("data:"):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(story.authorize_url("logs:read logs:write recommendations:read"))
    page.wait_for_selector("#sign-in", timeout=TIMEOUT_MS)
    assert "Lift Tracker Pro" in page.inner_text("#app-name")
    page.fill("#email", story.lifter)
    page.fill("#password", "not the password")
    page.click("#sign-in")
    page.wait_for_selector("#error", timeout=TIMEOUT_MS)
    assert "wrong" in page.inner_text("#error")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#approve", timeout=TIMEOUT_MS)
    assert page.inner_text("#signed-in-as") == story.lifter
    text = page.inner_text("main")
    assert "every session and set you have logged" in text
    assert "Log new sessions for you" in text
    _screenshot_has_content(page.screenshot(full_page=True), tmp_path / "consent.png")
    # The lifter allows reading and recommendations, not writing.
    page.uncheck("#scope-logs-write")
    page.click("#approve")
    page.wait_for_selector("#connected", timeout=TIMEOUT_MS)
    assert refused == []
    answer = {k: v[0] for k, v in parse_qs(urlsplit(landed[-1]).query).items()}
    assert set(answer) == {"code", "state", "iss"}
    assert answer["state"] == story.state
    assert answer["iss"] == story.base

    with httpx.Client(base_url=story.base) as app:
        tokens = app.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": story.redirect_uri,
                "client_id": story.client_id,
                "code_verifier": story.pkce.verifier,
            },
        )
        assert tokens.status_code == 200, tokens.text
        granted = tokens.json()
        assert granted["scope"] == "logs:read recommendations:read"
        headers = {"Authorization": f"Bearer {granted['access_token']}"}
        assert app.get("/v1/me/sessions", headers=headers).status_code == 200
        assert app.post("/v1/me/sessions", json=session_body(), headers=headers).status_code == 403
    context.close()


def test_the_consent_page_refuses_to_be_framed(browser: Browser, story: Story) -> None:
    context = browser.new_context()
    page = context.new_page()
    # Another site's page that tries to frame the consent page (clickjacking).
    page.route(
        f"http://127.0.0.1:{EVIL_PORT}/evil",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body=f'<iframe id="frame" src="{story.authorize_url("logs:read")}"></iframe>',
        ),
    )
    with page.expect_event("framenavigated", timeout=TIMEOUT_MS):
        page.goto(f"http://127.0.0.1:{EVIL_PORT}/evil")
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)
    child = page.frames[1]
    # Refused (frame-ancestors 'none', X-Frame-Options: DENY): Chromium shows its error page.
    assert child.url.startswith("chrome-error://"), child.url
    assert child.locator("#sign-in").count() == 0
    context.close()
