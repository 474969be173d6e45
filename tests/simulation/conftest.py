"""One catalog for every simulator test: the curated content files, read once."""

import pytest

from app.cli import content_catalog
from app.recommender import ExerciseFacts


@pytest.fixture(scope="session")
def catalog() -> tuple[ExerciseFacts, ...]:
    return content_catalog()
