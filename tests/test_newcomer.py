"""A newcomer's first minute: readable logs at a terminal, `/` opens the docs, the usual
`uvicorn app.main:app`, a busy port refused at once, and the README's walkthrough run as is."""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.config import Environment, LogFormat, Settings
from app.db import migrations
from app.logs import chosen_format, logging_config
from tests.conftest import REPO_ROOT, DatabaseFactory, fetch, loaded_database
from tests.support.server import OutputLines, free_port, wait_until_ready
from tests.test_serving import server_env, serving

BIN_DIR = Path(sys.executable).parent
BASH = shutil.which("bash") or "/bin/bash"
WALKTHROUGH = re.compile(r"<!-- walkthrough.*?-->\s*```sh\n(.*?)```", re.DOTALL)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def settings_for(environment: Environment, **values: object) -> Settings:
    # A secret of its own, so development does not create one in the data folder.
    return Settings.model_validate({"environment": environment, "secret_key": "k" * 8, **values})


@pytest.mark.parametrize(
    ("environment", "stream", "expected"),
    [
        (Environment.DEVELOPMENT, Terminal(), LogFormat.CONSOLE),
        (Environment.DEVELOPMENT, io.StringIO(), LogFormat.JSON),
        (Environment.TEST, Terminal(), LogFormat.JSON),
    ],
)
def test_logs_are_readable_only_for_development_at_a_terminal(
    environment: Environment, stream: io.StringIO, expected: LogFormat
) -> None:
    assert chosen_format(settings_for(environment), stream) is expected


def test_production_logs_json_even_at_a_terminal() -> None:
    production = Settings.model_validate(
        {
            "environment": Environment.PRODUCTION,
            "secret_key": "Zq8#vL2m!Rk9@tW4xN7$pB3^hJ6&cF1*",
            "database_url": "postgresql://db/spotter",
        }
    )
    assert chosen_format(production, Terminal()) is LogFormat.JSON


def test_a_chosen_log_format_wins_either_way() -> None:
    development = Environment.DEVELOPMENT
    assert chosen_format(settings_for(development, log_format="json"), Terminal()) is (
        LogFormat.JSON
    )
    assert chosen_format(settings_for(development, log_format="console"), io.StringIO()) is (
        LogFormat.CONSOLE
    )
    console = logging_config(settings_for(development), Terminal())["formatters"]["default"]
    assert "()" not in console  # the plain formatter, not the JSON one
    json = logging_config(settings_for(development), io.StringIO())["formatters"]["default"]
    assert json["()"] == "pythonjsonlogger.json.JsonFormatter"


def test_importing_the_app_module_builds_nothing(tmp_path: Path) -> None:
    # The module-level `app` is built on first access: importing the module (as every test
    # does, for the factory) reads no settings, so development writes no secret key.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTTER_")}
    env.update(SPOTTER_DATA_DIR=str(tmp_path / "data"), SPOTTER_ENVIRONMENT="development")
    script = (
        "import pathlib, app.main as m;"
        f"assert not pathlib.Path({str(tmp_path / 'data')!r}).exists(), 'built on import';"
        "assert m.app is m.app; print(type(m.app).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "FastAPI"
    assert (tmp_path / "data" / "secret_key").is_file()  # built, by the first access


async def test_the_root_opens_the_docs_and_is_not_documented(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/docs"
    assert "/" not in (await client.get("/openapi.json")).json()["paths"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [["uvicorn", "app.main:app"], ["fastapi", "run", "app/main.py", "--host", "127.0.0.1"]],
    ids=["uvicorn", "fastapi-run"],
)
def test_the_module_level_app_serves(database_factory: DatabaseFactory, command: list[str]) -> None:
    url = database_factory()
    migrations.upgrade(url)
    port = free_port()
    program, *arguments = command
    process = subprocess.Popen(
        [str(BIN_DIR / program), *arguments, "--port", str(port)],
        env=server_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = OutputLines(process)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, process)
        assert httpx.get(f"{base}/", timeout=10).headers["location"] == "/docs"
    finally:
        process.terminate()
        process.wait(timeout=60)
        output.close()


@pytest.mark.slow
def test_a_busy_port_is_refused_before_anything_is_migrated(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(BIN_DIR / "spotter"), "serve", "--migrate", "--port", str(port)],
            env={**server_env(url), "SPOTTER_HOST": "127.0.0.1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        (
            f"spotter: port {port} on 127.0.0.1 is already in use (another server running?);"
            " choose one with --port"
        )
    ]
    # Refused before migrating: the new database is still empty.
    [(tables,)] = asyncio.run(
        fetch(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    )
    assert tables == 0


@pytest.mark.slow
def test_the_readme_walkthrough_runs_as_written(database_factory: DatabaseFactory) -> None:
    blocks = WALKTHROUGH.findall((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) == 1, "README.md must mark exactly one walkthrough block"
    url = loaded_database(database_factory)
    with serving(server_env(url)) as (base, process, output):
        wait_until_ready(base, process)
        # -e: the first command that fails (curl --fail-with-body) stops the walk.
        result = subprocess.run(
            [BASH, "-e", "-o", "pipefail", "-c", blocks[0]],
            env={**os.environ, "SPOTTER": base},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        # The addresses are printed once, by the supervising process, not by each worker.
        assert len(output.matching(f"serving the API at {base}; interactive docs at")) == 1
    lines = result.stdout.splitlines()
    assert "newcomer@example.com" in lines
    assert "stronglifts-5x5" in lines
    assert '"recommendations"' in result.stdout, result.stdout
