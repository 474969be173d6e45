"""The command line as a new user meets it: no DATABASE_URL, an embedded server, kept data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_serving import embedded_env

SPOTTER = str(Path(sys.executable).parent / "spotter")


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SPOTTER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_the_commands() -> None:
    result = run_cli("--help", env=dict(os.environ))
    assert result.returncode == 0
    for command in ("serve", "migrate"):
        assert command in result.stdout


@pytest.mark.slow
def test_migrate_without_database_url_uses_and_keeps_an_embedded_server(tmp_path: Path) -> None:
    env = embedded_env(tmp_path / "data")
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stderr
    data = tmp_path / "data" / "postgres"
    assert (data / "PG_VERSION").is_file()
    # Stopped again when the command exits: no postmaster.pid left behind.
    assert not (data / "postmaster.pid").exists()

    second = run_cli("migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert "starting embedded PostgreSQL" in second.stderr
    assert not (data / "postmaster.pid").exists()
