"""Every problem `type` the service can send resolves to a page that explains it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app.errors import AppError
from app.problems.catalog import PROBLEM_TYPES

APP = Path(__file__).resolve().parents[1] / "app"
# Where the code names a problem type: `slug = "x"` on an error class, `slug="x"` in a call,
# and the raw refusals the HTTP protocol writes before the application sees a request.
NAMED = re.compile(r'slug\s*=\s*"([a-z-]+)"|_refuse\(\s*\d+,\s*"([a-z-]+)"', re.MULTILINE)


def _subclasses(cls: type[AppError]) -> list[type[AppError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_problem_type_in_the_code_is_explained() -> None:
    named = {"internal-error"}  # AppError's own
    named |= {cls.slug for cls in _subclasses(AppError)}
    for source in APP.rglob("*.py"):
        for match in NAMED.finditer(source.read_text(encoding="utf-8")):
            named.add(match[1] or match[2])
    assert len(named) >= 12
    assert named <= set(PROBLEM_TYPES), named - set(PROBLEM_TYPES)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if tag == "a" and k == "href" and v]


@pytest.mark.parametrize("name", sorted(PROBLEM_TYPES))
async def test_each_type_has_a_page_and_a_json_form(client: httpx.AsyncClient, name: str) -> None:
    problem = PROBLEM_TYPES[name]
    page = await client.get(f"/problems/{name}", headers={"Accept": "text/html,*/*"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "max-age=86400" in page.headers["cache-control"]
    parsed = _Text()
    parsed.feed(page.text)
    text = " ".join(parsed.text)
    assert problem.title in text
    assert "What to do" in text
    # Backticks became code, and nothing of the text was taken as markup.
    assert "`" not in text
    assert "/problems" in parsed.links
    as_json = await client.get(f"/problems/{name}", headers={"Accept": "application/json"})
    assert as_json.json()["what_to_do"] == problem.what_to_do


async def test_a_live_error_links_to_its_explanation(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/exercises/deadlfit")
    assert missing.status_code == 404
    explained = await client.get(missing.json()["type"])
    assert explained.status_code == 200
    assert "Nothing has that name" in explained.text
    index = await client.get("/problems")
    assert index.status_code == 200
    parsed = _Text()
    parsed.feed(index.text)
    assert {f"/problems/{name}" for name in PROBLEM_TYPES} <= set(parsed.links)


async def test_an_unknown_type_is_a_404_problem(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/problems/no-such-problem")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "/problems lists them" in unknown.json()["detail"]
    malformed = await client.get("/problems/NOT_A_SLUG")
    assert malformed.status_code == 422
