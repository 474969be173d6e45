"""Settings: safe defaults for development, refusals for unsafe production configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import DEVELOPMENT_SECRET, Environment, Settings
from app.db.engine import to_async_url


def build(**values: object) -> Settings:
    """Settings from the environment (as the service reads them) plus explicit values."""
    from_environment = Settings(_env_file=None).model_dump()
    return Settings.model_validate({**from_environment, **values})


def test_development_runs_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = build()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url is None
    assert settings.port == 8000


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="SPOTTER_SECRET_KEY"):
        build(
            environment="production",
            database_url="postgresql://db/spotter",
            secret_key=DEVELOPMENT_SECRET,
        )


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        build(environment="production", database_url="postgresql://db/spotter", secret_key="short")


def test_production_requires_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        build(environment="production", secret_key="x" * 40)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://example/spotter")
    monkeypatch.setenv("SPOTTER_PORT", "9000")
    monkeypatch.setenv("SPOTTER_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = build()
    assert settings.database_url == "postgresql://example/spotter"
    assert settings.port == 9000
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_secret_is_not_shown_in_repr() -> None:
    assert DEVELOPMENT_SECRET not in repr(build())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+asyncpg://u@h/d"),
        (
            "postgresql://postgres:@/spotter?host=/tmp/pg",
            "postgresql+asyncpg://postgres:@/spotter?host=%2Ftmp%2Fpg",
        ),
    ],
)
def test_database_urls_are_pointed_at_asyncpg(given: str, expected: str) -> None:
    assert to_async_url(given) == expected


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="only PostgreSQL"):
        to_async_url("sqlite:///spotter.db")
