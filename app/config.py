"""Typed settings, read from the environment (prefix ``SPOTTER_``) and an optional ``.env``."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from collections import Counter
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AliasChoices,
    AnyHttpUrl,
    EmailStr,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A published value: the test environment's default, and never served beyond loopback.
DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105
# Development without SPOTTER_SECRET_KEY uses a random secret kept in this file of data_dir.
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
# Production secrets: at least this long, and at least this much estimated entropy.
MIN_SECRET_LENGTH = 32
MIN_SECRET_ENTROPY_BITS = 128


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
        # A refused setting must not print the secret key with the rest of the input.
        hide_input_in_errors=True,
    )

    environment: Environment = Environment.DEVELOPMENT
    # DATABASE_URL is the name every platform and docker-compose file uses, so both spellings work.
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SPOTTER_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Path(".data")
    # Empty means "not set": production refuses to start, development generates one (below).
    secret_key: SecretStr = SecretStr("")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # How long uvicorn's supervisor waits for a worker to answer its health ping before it
    # kills and replaces it. uvicorn's own 5 s is shorter than a worker's start-up on a busy
    # 2-core machine, which turned into a restart loop; half a minute covers that with room.
    worker_healthcheck_timeout_s: int = Field(default=30, ge=1, le=600)

    log_level: str = "INFO"
    # Unset: readable lines for a developer at a terminal, JSON for everything else (a
    # container's log collector, a pipe, production). See app.logs.chosen_format.
    log_format: LogFormat | None = None

    # A missing database must fail a request within a couple of seconds, never hang it.
    db_connect_timeout_s: float = Field(default=2.0, gt=0, le=30)
    # How long a request waits for a free pooled connection before it is shed with a 503
    # ("busy"). Long enough that a burst queues rather than fails, short enough that a client
    # is told to come back instead of hanging.
    db_pool_timeout_s: float = Field(default=5.0, gt=0, le=30)
    # Per worker: 8 + 4 for requests, plus the limiter's rate_limit_pool_size + db_max_overflow,
    # plus the content revision listener, i.e. 20 connections; 4 workers stay within
    # PostgreSQL's default max_connections of 100.
    db_pool_size: int = Field(default=8, ge=1, le=100)
    db_max_overflow: int = Field(default=4, ge=0, le=100)
    db_statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    readiness_timeout_s: float = Field(default=0.8, gt=0, le=5)
    # /readyz reuses its last database check for this long, so a flood of probes is cheap.
    readiness_cache_s: float = Field(default=1.0, ge=0, le=60)
    # Each worker keeps the content revision in memory, told of changes by LISTEN/NOTIFY
    # (app/knowledge/watcher.py), and re-reads it this often in case a notification was lost.
    content_revision_recheck_s: float = Field(default=5.0, gt=0, le=300)

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
    # Anonymous knowledge-base reads (catalog pages, details, 304 revalidations; most answered
    # from memory) have a budget of their own, so browsing the catalog never uses up the one
    # that registration, sign-in and the recommender share (issue 11.11).
    rate_limit_kb_anonymous: int = Field(default=600, ge=1, le=1_000_000)
    rate_limit_kb_anonymous_window_s: int = Field(default=60, ge=1, le=86_400)
    # A key granted kb:read reads the knowledge base on its own, larger budget.
    rate_limit_kb_key: int = Field(default=1200, ge=1, le=1_000_000)
    rate_limit_kb_key_window_s: int = Field(default=60, ge=1, le=86_400)
    # Failed sign-ins per (account, client address): the 11th for that pair is refused.
    rate_limit_login_failures: int = Field(default=10, ge=1, le=1_000_000)
    rate_limit_login_window_s: int = Field(default=900, ge=1, le=86_400)
    # A registered app's own tokens (client credentials), per app; an app may set a lower
    # quota for itself, never a higher one.
    rate_limit_app: int = Field(default=1200, ge=1, le=1_000_000)
    rate_limit_app_window_s: int = Field(default=60, ge=1, le=86_400)
    # The OAuth endpoints and the consent page, per client address.
    rate_limit_oauth: int = Field(default=300, ge=1, le=1_000_000)
    rate_limit_oauth_window_s: int = Field(default=60, ge=1, le=86_400)
    rate_limit_key_creation: int = Field(default=10, ge=1, le=1_000_000)
    rate_limit_key_creation_window_s: int = Field(default=3600, ge=1, le=86_400)
    # The limiter's own connections per worker (one short statement per request each).
    rate_limit_pool_size: int = Field(default=3, ge=1, le=100)
    # Redis for the limiter's counters (redis://host:6379/0): exact across workers and
    # replicas like the PostgreSQL store, without a database round trip per request.
    redis_url: str | None = None
    # Every counter key starts with this, so several deployments can share one Redis.
    redis_key_prefix: str = Field(default="spotter:rl:", min_length=1, max_length=40)
    # How often each worker deletes counters that have fully drained.
    rate_limit_cleanup_interval_s: float = Field(default=60.0, gt=0, le=86_400)
    # A recommender request with its largest history (5,000 sets, every field filled) is
    # about 1.2 MB, 1.8 MB with the longest slugs: 2 MiB fits it with room to spare.
    max_body_bytes: int = Field(default=2 * 1_048_576, ge=1024, le=64 * 1_048_576)
    # Per worker: encoded catalog answers kept for the current content revision
    # (app/knowledge/representations.py); 0 turns the cache off.
    representation_cache_bytes: int = Field(default=64 * 1_048_576, ge=0, le=1_073_741_824)
    # Per worker: gzip and brotli bodies of public answers, kept with the identity bytes they
    # were made from (counted too: the entry keeps them alive), so each is encoded once
    # (app/compression.py); 0 encodes every time.
    encoded_cache_bytes: int = Field(default=32 * 1_048_576, ge=0, le=1_073_741_824)
    # FastAPI's native OpenTelemetry spans, metrics and logs, sent to the providers the
    # process configures. Off by default: even unconfigured, its per-request check of the
    # global providers cost a fifth of a stored catalog answer. Spans alone are also sent
    # when an OTLP endpoint is set the standard way (app/tracing.py).
    opentelemetry: bool = False
    # Where clients reach this deployment (https://api.example.com): the OpenAPI document's
    # first server. Unset, the document names only "/", the host that served it.
    public_url: AnyHttpUrl | None = None
    # Who integrators write to; the OpenAPI document's `info.contact`.
    contact_email: EmailStr = "api@spotter.example"
    # Prometheus metrics at /metrics (app/metrics.py). With a token, a scrape must send
    # `Authorization: Bearer <token>`; without one, keep /metrics off the public proxy.
    metrics_enabled: bool = True
    metrics_token: SecretStr = SecretStr("")

    # Connections, proxies and sign-in limits (issue 9, points 5, 10 and 13).
    # uvicorn buffers request headers without limit and has no header read timeout; the
    # server's protocol (app/http_protocol.py) answers 431 past this many bytes of request
    # line and headers, and 408 when they are not complete this long after the request began.
    http_max_header_bytes: int = Field(default=64 * 1024, ge=1024, le=1_048_576)
    http_header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # The whole body must arrive within this long of the headers (a 2 MiB body at 100 kB/s
    # takes 20 s); a slower or stalled client is answered 408 and the connection is closed.
    http_body_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # An idle keep-alive connection is closed after this long. Behind a proxy that reuses
    # connections, make it longer than the proxy's own idle timeout, or requests race the close.
    http_keep_alive_timeout_s: int = Field(default=5, ge=1, le=3600)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks, or
    # "*"). Only these may name the client; for anyone else the TCP peer is the client, which is
    # what the rate limits count by. Comma-separated in the environment.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"]
    )
    # Sign-in failures are counted three ways; a success is given back to all three.
    # Per address, across accounts: bounds password spraying and the number of counters one
    # address can create (each attempt adds at most two more rows).
    rate_limit_login_address_failures: int = Field(default=30, ge=1, le=1_000_000)
    rate_limit_login_address_window_s: int = Field(default=900, ge=1, le=86_400)
    # Per account from anywhere: slower than the per-(account, address) limit above, so that
    # one address alone can never use it up and lock the owner out elsewhere.
    rate_limit_login_account_failures: int = Field(default=100, ge=1, le=1_000_000)
    rate_limit_login_account_window_s: int = Field(default=3600, ge=1, le=86_400)

    # Accounts and secrets (issue 9, points 8, 9, 11).
    # Argon2 hashes run in worker threads, at most this many at once per process: about one
    # per core, since each is CPU-bound and holds 64 MiB while it runs.
    password_hashing_concurrency: int = Field(default=2, ge=1, le=64)

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, data: object) -> object:
        # A comma-separated list is the natural way to write it in an env file.
        if isinstance(data, dict):
            for name in ("cors_origins", "trusted_proxies"):
                raw = data.get(name)
                if isinstance(raw, str):
                    data[name] = [o.strip() for o in raw.split(",") if o.strip()]
        return data

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        # uvicorn silently treats an entry it cannot parse as a literal host name that never
        # matches, so a typo would quietly turn the proxy off: refuse it here instead.
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                msg = f"SPOTTER_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                raise ValueError(msg) from None
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            refusal = production_secret_refusal(self.secret_key.get_secret_value())
            if refusal:
                raise ValueError(refusal)
            if not self.database_url:
                msg = (
                    "DATABASE_URL must be set in production; the embedded server is for development"
                )
                raise ValueError(msg)
        elif not self.secret_key.get_secret_value():
            # Tests need one secret shared by every process of a run; a development server
            # needs one nobody else knows, kept across restarts so sessions survive them.
            if self.environment is Environment.TEST:
                self.secret_key = SecretStr(DEVELOPMENT_SECRET)
            else:
                self.secret_key = SecretStr(development_secret(self.data_dir))
        return self


def estimated_entropy_bits(secret: str) -> float:
    """The secret's length times the Shannon entropy of its own character frequencies.

    It undervalues short random strings a little (a sample never shows its whole alphabet)
    and cannot see patterns such as "abcd...", but it gives 0 for 32 spaces or one repeated
    character, and a secret from `openssl rand -base64 32` scores about 200 bits.
    """
    total = len(secret)
    return sum(n * math.log2(total / n) for n in Counter(secret).values())


def production_secret_refusal(secret: str) -> str | None:
    """Why ``secret`` may not sign production tokens, or None when it may."""
    advice = "generate one with `openssl rand -base64 48`"
    if not secret:
        return f"SPOTTER_SECRET_KEY must be set in production; {advice}"
    if secret == DEVELOPMENT_SECRET:
        return f"SPOTTER_SECRET_KEY must be set to a real secret in production; {advice}"
    if len(secret) < MIN_SECRET_LENGTH:
        return (
            f"SPOTTER_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters in production;"
            f" {advice}"
        )
    bits = estimated_entropy_bits(secret)
    if bits < MIN_SECRET_ENTROPY_BITS:
        return (
            f"SPOTTER_SECRET_KEY is too predictable for production: about {bits:.0f} bits of"
            f" entropy estimated, at least {MIN_SECRET_ENTROPY_BITS} needed; {advice}"
        )
    return None


def development_secret(data_dir: Path) -> str:
    """The development server's own random secret: read from ``data_dir/secret_key``, or
    created there (mode 0600) on first start and reused on every start after.

    Creation is race-free: the secret is written to a private temporary file that is then
    hard-linked into place, which fails if another process (a second worker) got there
    first, and that process's secret is used instead.
    """
    path = data_dir / SECRET_KEY_FILE
    try:
        existing = _read_secret(path)
        if existing:
            return existing
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        scratch = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secret + "\n")
            os.link(scratch, path)
        except FileExistsError:
            return _read_secret(path)
        finally:
            scratch.unlink(missing_ok=True)
    except OSError as exc:
        msg = f"could not read or create the development secret {path}: {exc}"
        raise ValueError(msg) from exc
    return secret


def _read_secret(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return ""
    if mode & 0o077:
        # Only its owner may read a signing secret; an editor or a copy may have widened it.
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or name to bind) is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # any other name may resolve to a public interface


def published_secret_refusal(settings: Settings, host: str) -> str | None:
    """Why serving on ``host`` with these settings is refused, or None when it is not.

    Anyone can sign tokens with the published development secret, administrators' included,
    so it may only ever be served where nobody else can connect."""
    if settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host}: SPOTTER_SECRET_KEY is the published development secret,"
        " with which anyone can sign tokens; set a secret of your own, or listen on 127.0.0.1"
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
