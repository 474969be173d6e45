"""Settings: safe defaults for development, refusals for unsafe production configuration."""

from __future__ import annotations

import os
import random
import secrets
import stat
import string
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import (
    DEVELOPMENT_SECRET,
    SECRET_KEY_FILE,
    Environment,
    Settings,
    development_secret,
    estimated_entropy_bits,
    is_loopback,
    published_secret_refusal,
)
from app.db.engine import to_async_url

STRONG_SECRET = secrets.token_urlsafe(48)


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Development settings create their secret in the data folder: keep it out of the repo."""
    monkeypatch.setenv("SPOTTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SPOTTER_SECRET_KEY", raising=False)
    monkeypatch.delenv("SPOTTER_ENVIRONMENT", raising=False)
    return tmp_path / "data"


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
        build(environment="production", secret_key=STRONG_SECRET)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://example/spotter")
    monkeypatch.setenv("SPOTTER_PORT", "9000")
    monkeypatch.setenv("SPOTTER_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = build()
    assert settings.database_url == "postgresql://example/spotter"
    assert settings.port == 9000
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_secret_is_not_shown_in_repr() -> None:
    settings = build()
    assert settings.secret_key.get_secret_value() not in repr(settings)


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


# --------------------------------------------------------------------------- the secret key


def test_development_generates_a_private_secret_and_keeps_it(data_dir: Path) -> None:
    first = build().secret_key.get_secret_value()
    path = data_dir / SECRET_KEY_FILE
    assert first != DEVELOPMENT_SECRET
    assert estimated_entropy_bits(first) >= 128
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first
    # A restart (new settings) reads the same secret back: sessions survive it.
    assert build().secret_key.get_secret_value() == first
    # Another data folder, another secret: no two development servers share one.
    other = build(data_dir=data_dir.parent / "other", secret_key="").secret_key.get_secret_value()
    assert other != first


def test_a_widened_secret_file_is_made_private_again(data_dir: Path) -> None:
    secret = build().secret_key.get_secret_value()
    path = data_dir / SECRET_KEY_FILE
    path.chmod(0o644)
    assert build().secret_key.get_secret_value() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = set(pool.map(lambda _: development_secret(tmp_path / "race"), range(32)))
    assert len(found) == 1
    assert [p.name for p in (tmp_path / "race").iterdir()] == [SECRET_KEY_FILE]


def test_an_unwritable_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValidationError, match="could not read or create the development secret"):
        build(data_dir=blocker, secret_key="")


def test_tests_share_the_fixed_secret() -> None:
    assert (
        build(environment="test", secret_key="").secret_key.get_secret_value() == DEVELOPMENT_SECRET
    )


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (" " * 32, "too predictable"),
        (" " * 64, "too predictable"),
        ("x" * 40, "too predictable"),
        ("ab" * 32, "too predictable"),
        ("password" * 5, "too predictable"),
        ("", "must be set"),
        ("short", "at least 32"),
    ],
)
def test_production_refuses_a_weak_secret(secret: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as refused:
        build(environment="production", database_url="postgresql://db/spotter", secret_key=secret)
    # The refusal names the setting but never echoes the input back (it may end in a log).
    if secret.strip():
        assert secret not in str(refused.value)


def test_the_refusal_does_not_print_the_secret() -> None:
    weak = "my-own-secret-word"
    with pytest.raises(ValidationError) as refused:
        build(environment="production", database_url="postgresql://db/spotter", secret_key=weak)
    assert weak not in str(refused.value)


def test_production_accepts_generated_secrets() -> None:
    """The rule never refuses what the usual generators make: 32 random bytes as base64
    (43 characters) or as hex (64 characters). Seeded, so a run is repeatable."""
    draw = random.Random(9)
    urlsafe = string.ascii_letters + string.digits + "-_"
    for _ in range(300):
        for alphabet, length in ((urlsafe, 43), (string.hexdigits[:16], 64)):
            secret = "".join(draw.choice(alphabet) for _ in range(length))
            settings = build(
                environment="production", database_url="postgresql://db/spotter", secret_key=secret
            )
            assert settings.secret_key.get_secret_value() == secret


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104 - the point of the test
        ("::", False),
        ("192.168.1.20", False),
        ("api.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    published = build(environment="test", secret_key="")
    assert (published_secret_refusal(published, host) is None) is loopback
    assert published_secret_refusal(build(secret_key=STRONG_SECRET), host) is None


@pytest.mark.parametrize(
    "command",
    [
        [str(Path(sys.executable).parent / "spotter"), "serve", "--host", "0.0.0.0"],  # noqa: S104
        [sys.executable, "-m", "app.serving", "--host", "0.0.0.0"],  # noqa: S104
    ],
)
def test_the_published_secret_is_not_served_beyond_loopback(
    command: list[str], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SPOTTER_SECRET_KEY": DEVELOPMENT_SECRET,
        # Unreachable on purpose: the refusal comes before any database is touched.
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        "SPOTTER_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "refusing to serve on 0.0.0.0" in result.stderr
    assert "published development secret" in result.stderr
