"""Typed settings, read from the environment (prefix ``SPOTTER_``) and an optional ``.env``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A well-known value that only development may run with: anything deployed must set its own.
DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Every knob the service reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="SPOTTER_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # Tests and tools pass ``database_url=...`` by field name; the environment uses aliases.
        validate_by_name=True,
    )

    environment: Environment = Environment.DEVELOPMENT
    # DATABASE_URL is the name every platform and docker-compose file uses, so both spellings work.
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPOTTER_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Path(".data")
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # How long uvicorn's supervisor waits for a worker to answer its health ping before it
    # kills and replaces it. uvicorn's own 5 s is shorter than a worker's start-up on a busy
    # 2-core machine, which turned into a restart loop; half a minute covers that with room.
    worker_healthcheck_timeout_s: int = Field(default=30, ge=1, le=600)

    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.JSON

    # A missing database must fail a request within a couple of seconds, never hang it.
    db_connect_timeout_s: float = Field(default=2.0, gt=0, le=30)
    db_pool_timeout_s: float = Field(default=2.0, gt=0, le=30)
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_max_overflow: int = Field(default=5, ge=0, le=100)
    db_statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    readiness_timeout_s: float = Field(default=0.8, gt=0, le=5)
    # /readyz reuses its last database check for this long, so a flood of probes is cheap.
    readiness_cache_s: float = Field(default=1.0, ge=0, le=60)

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Abuse resistance. Quotas are requests per window (seconds), shared by every worker
    # process because the counters live in PostgreSQL. The switch exists for benchmarks and
    # emergencies; tests keep it on with generous quotas so the code path always runs.
    rate_limit_enabled: bool = True
    rate_limit_anonymous: int = Field(default=60, ge=1, le=1_000_000)
    rate_limit_anonymous_window_s: int = Field(default=60, ge=1, le=86_400)
    rate_limit_user: int = Field(default=300, ge=1, le=1_000_000)
    rate_limit_user_window_s: int = Field(default=60, ge=1, le=86_400)
    rate_limit_key: int = Field(default=600, ge=1, le=1_000_000)
    rate_limit_key_window_s: int = Field(default=60, ge=1, le=86_400)
    # A key granted kb:read reads the knowledge base on its own, larger budget.
    rate_limit_kb_key: int = Field(default=1200, ge=1, le=1_000_000)
    rate_limit_kb_key_window_s: int = Field(default=60, ge=1, le=86_400)
    # Failed sign-ins, counted per client address and per account: the 11th is refused.
    rate_limit_login_failures: int = Field(default=10, ge=1, le=1_000_000)
    rate_limit_login_window_s: int = Field(default=900, ge=1, le=86_400)
    rate_limit_key_creation: int = Field(default=10, ge=1, le=1_000_000)
    rate_limit_key_creation_window_s: int = Field(default=3600, ge=1, le=86_400)
    # The limiter's own connections per worker (one short statement per request each).
    rate_limit_pool_size: int = Field(default=3, ge=1, le=100)
    # How often each worker deletes counters that have fully drained.
    rate_limit_cleanup_interval_s: float = Field(default=60.0, gt=0, le=86_400)
    # A recommender request with its largest history (5,000 sets, every field filled) is
    # about 1.2 MB, 1.8 MB with the longest slugs: 2 MiB fits it with room to spare.
    max_body_bytes: int = Field(default=2 * 1_048_576, ge=1024, le=64 * 1_048_576)

    # Accounts and secrets (issue 9, points 8, 9, 11).
    # Argon2 hashes run in worker threads, at most this many at once per process: about one
    # per core, since each is CPU-bound and holds 64 MiB while it runs.
    password_hashing_concurrency: int = Field(default=2, ge=1, le=64)

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, data: object) -> object:
        # A comma-separated list is the natural way to write it in an env file.
        if isinstance(data, dict):
            raw = data.get("cors_origins")
            if isinstance(raw, str):
                data["cors_origins"] = [o.strip() for o in raw.split(",") if o.strip()]
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
                msg = "SPOTTER_SECRET_KEY must be set to a real secret in production"
                raise ValueError(msg)
            if len(self.secret_key.get_secret_value()) < 32:
                msg = "SPOTTER_SECRET_KEY must be at least 32 characters in production"
                raise ValueError(msg)
            if not self.database_url:
                msg = (
                    "DATABASE_URL must be set in production; the embedded server is for development"
                )
                raise ValueError(msg)
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
