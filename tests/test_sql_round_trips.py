"""Database round trips of the catalog reads on a miss of the stored answers (issue 10).

What is counted: every SQL statement the application's request engine sends, as SQLAlchemy's
``before_cursor_execute`` event sees it. With asyncpg each such statement is one exchange with
the server once its prepared statement is in the connection's cache (the warm-up request below
puts it there); the first use of a statement text adds a Parse/Describe exchange, which this
test does not count. What is not counted either: the transaction's ``BEGIN`` and ``COMMIT``,
which asyncpg sends as two exchanges of their own (they are not pipelined with the
statements), so the wire sees up to two more per request than the figures asserted here. The
rate limiter's own pool and the revision watcher's connection are other engines and are not
counted; the revision check costs nothing here because the watcher knows the revision, as in
production.

The application runs with ``representation_cache_bytes=0``, so every request is a miss and
runs its services' SQL, as the first request per revision (or a filter never asked before)
does in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.conftest import (
    SHARED_DIR,
    DatabaseFactory,
    asgi_client,
    import_dataset_into,
    loaded_database,
    make_settings,
)
from tests.test_revision_watcher import StatementLog, _known

# At most this many statements per catalog read (issue 10).
MAX_ROUND_TRIPS = 2

DATASET = SHARED_DIR / "data" / "free-exercise-db" / "exercises.json"

# Every cached catalog read, with filters that take each service's other branches.
URLS = [
    "/v1/exercises",
    "/v1/exercises?limit=5",
    "/v1/exercises?muscle=latissimus-dorsi&role=primary&limit=5",
    "/v1/exercises?muscle=trapezius&equipment=barbell",
    "/v1/exercises?joint_action=shoulder-extension&level=beginner",
    "/v1/exercises?available_equipment=none&sort=top_pick",
    "/v1/exercises?available_equipment=pull-up-bar&available_equipment=dumbbell",
    "/v1/exercises?mechanic=compound&force=pull&pattern=horizontal_pull&category=strength",
    "/v1/exercises?top_pick=true&sort=-name",
    "/v1/exercises?top_pick=false&origin=curated&limit=3",
    "/v1/exercises?role=secondary&limit=3",
    "/v1/exercises?q=row",
    "/v1/exercises?q=rdl&sort=name",
    "/v1/exercises?q=zzzzzz",
    "/v1/exercises/pull-up",
    "/v1/exercises/barbell-bent-over-row",
    "/v1/exercises/deadlift",
    "/v1/exercises/pull-up/alternatives",
    "/v1/exercises/pull-up/alternatives?available_equipment=none&limit=3",
    "/v1/equipment",
    "/v1/muscles",
    "/v1/muscles?group=back",
    "/v1/muscles?view=back&group=back",
    "/v1/muscles/trapezius",
    "/v1/muscles/latissimus-dorsi",
    "/v1/joint-actions",
    "/v1/joint-actions?joint=shoulder",
    "/v1/joint-actions/shoulder-extension",
    "/v1/tips",
    "/v1/tips?exercise=pull-up",
    "/v1/tips?muscle=trapezius&level=beginner",
    "/v1/benefits",
    "/v1/anatomy-notes",
    "/v1/strategies",
    "/v1/strategies/beginner",
    "/v1/routines",
    "/v1/routines?level=beginner",
    "/v1/sources",
    "/v1/sources?kind=article",
    "/v1/search?q=row",
    "/v1/search?q=deadlfit&kind=exercise&kind=tip",
    "/v1/search?q=lats&limit=3",
]


@pytest.fixture(scope="module")
def catalog(database_factory: DatabaseFactory) -> str:
    """The curated content plus the imported dataset, when it is at hand, committed."""
    url = loaded_database(database_factory)
    if DATASET.is_file():
        import_dataset_into(url, DATASET)
    return url


@pytest.fixture
async def uncached(catalog: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(make_settings(catalog, representation_cache_bytes=0))
    async with application.router.lifespan_context(application), asgi_client(application) as http:
        await _known(application)
        yield application, http


@pytest.mark.parametrize("url", URLS)
async def test_a_catalog_miss_takes_at_most_two_round_trips(
    uncached: tuple[FastAPI, httpx.AsyncClient], url: str
) -> None:
    application, http = uncached
    warm = await http.get(url)  # fills the per-revision vocabulary and the prepared statements
    assert warm.status_code == 200, (url, warm.text)
    with StatementLog(application) as log:
        again = await http.get(url)
    assert again.status_code == 200
    assert again.content == warm.content
    assert len(log.statements) <= MAX_ROUND_TRIPS, (url, len(log.statements), log.statements)
