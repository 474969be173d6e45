"""The interactive docs in a real browser, with the network cut down to loopback.

Debian's Chromium (installed by .ci/run when absent) runs headless through Playwright's
Python package, pointed at that executable: nothing downloads a browser. Two fences keep
the page on this machine: Chromium resolves every host name but 127.0.0.1 to nothing, and
every request the page makes is routed through the test, which refuses (and records) any
that is not for the server under test. A page that still needed a CDN would render no
operations, and the record would name what it asked for.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, Route, sync_playwright

from tests.support.server import wait_until_ready
from tests.test_serving import server_env, serving

pytestmark = pytest.mark.slow

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
# Swagger UI and ReDoc render asynchronously once the OpenAPI document has arrived; on a
# busy machine that can take a while, and the wait ends as soon as the DOM is there.
RENDER_TIMEOUT_MS = 90_000
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _chromium() -> str:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    message = "Debian's chromium is not installed (.ci/run installs it with apt)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message}; required under CI=true")
    pytest.skip(message)


@pytest.fixture(scope="module")
def live_server(database_url: str) -> Iterator[str]:
    with serving(server_env(database_url)) as (base, process, _output):
        wait_until_ready(base, process, timeout_s=120)
        yield base


@dataclass
class LoopbackPage:
    """A fresh browser page whose requests may only reach the server under test, with what
    it was refused and the errors its scripts reported."""

    page: Page
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def loopback_page(live_server: str) -> Iterator[LoopbackPage]:
    executable = _chromium()
    origin = urlsplit(live_server).netloc
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                # Every name but the loopback address resolves to nothing.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                # Running as root (CI) Chromium refuses to start sandboxed.
                "--no-sandbox",
            ],
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            wrapped = LoopbackPage(page)

            def only_loopback(route: Route) -> None:
                url = route.request.url
                parts = urlsplit(url)
                if parts.scheme in {"data", "blob"} or parts.netloc == origin:
                    route.continue_()
                else:
                    wrapped.refused.append(url)
                    route.abort()

            context.route("**/*", only_loopback)
            page.on(
                "console",
                lambda message: (
                    wrapped.errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
            yield wrapped
        finally:
            browser.close()


def _screenshot_has_content(png: bytes, path: Path) -> None:
    """A rendered page is not one flat colour: count the distinct colours of a thumbnail."""
    path.write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((160, 112))
    colours = len(image.getcolors(maxcolors=160 * 112) or [])
    assert colours > 20, f"the screenshot ({path}) is nearly blank: {colours} colours"


def test_swagger_ui_renders_every_operation_offline(
    loopback_page: LoopbackPage, live_server: str, tmp_path: Path
) -> None:
    page = loopback_page.page
    page.goto(f"{live_server}/docs")
    operations = page.locator(".opblock")
    operations.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/v1/exercises" in [p.replace("\u200b", "") for p in paths]
    assert "/v1/recommendations/next-session" in [p.replace("\u200b", "") for p in paths]
    assert operations.count() >= 30
    _screenshot_has_content(page.screenshot(), tmp_path / "docs.png")
    assert loopback_page.refused == []
    assert loopback_page.errors == []


def test_redoc_renders_every_operation_offline(
    loopback_page: LoopbackPage, live_server: str, tmp_path: Path
) -> None:
    page = loopback_page.page
    page.goto(f"{live_server}/redoc")
    heading = page.get_by_role("heading", name="Recommend the next session")
    heading.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    # Every operation gets its own entry in ReDoc's side menu.
    entries = page.locator("li[data-item-id^='tag/'] li").count()
    assert entries >= 30
    _screenshot_has_content(page.screenshot(), tmp_path / "redoc.png")
    assert loopback_page.refused == []
    # ReDoc's footer shows its maker's logo from their CDN; the page's CSP blocks it before any
    # request leaves (so the route never sees it), and the docs are complete without it.
    others = [e for e in loopback_page.errors if REDOC_LOGO not in e]
    assert others == []
