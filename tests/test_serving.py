"""`spotter serve` as an operator runs it: several workers on a busy machine, a worker killed.
How the embedded database starts and stops with the server: tests/test_embedded_lifecycle.py."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.logs import RaiseWorkerTrouble, logging_config
from tests.conftest import DatabaseFactory
from tests.support.load import busy_cpus
from tests.support.server import OutputLines, free_port, wait_until_ready, worker_pids

SPOTTER = str(Path(sys.executable).parent / "spotter")
STARTED = "Application startup complete"


def record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", level, __file__, 1, message, None, None)


def test_a_dead_worker_is_logged_as_a_warning() -> None:
    died = record("Child process [4242] died")
    assert RaiseWorkerTrouble().filter(died)
    assert (died.levelno, died.levelname) == (logging.WARNING, "WARNING")


def test_routine_supervisor_lines_keep_their_level() -> None:
    for message in ("Started server process [4242]", "Waiting for child process [4242]"):
        line = record(message)
        RaiseWorkerTrouble().filter(line)
        assert line.levelno == logging.INFO, message
    failed = record("Child process [4242] failed to start", logging.ERROR)
    RaiseWorkerTrouble().filter(failed)
    assert failed.levelno == logging.ERROR


def test_the_filter_is_installed_on_uvicorns_logger() -> None:
    config = logging_config(Settings(_env_file=None))
    assert "worker_trouble" in config["loggers"]["uvicorn.error"]["filters"]


@contextmanager
def serving(
    env: dict[str, str], *arguments: str
) -> Iterator[tuple[str, subprocess.Popen[str], OutputLines]]:
    port = free_port()
    process = subprocess.Popen(
        [SPOTTER, "serve", *arguments],
        env={**env, "SPOTTER_HOST": "127.0.0.1", "SPOTTER_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = OutputLines(process)
    try:
        yield f"http://127.0.0.1:{port}", process, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        output.close()


def server_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SPOTTER_ENVIRONMENT": "test"}


def embedded_env(data_dir: Path) -> dict[str, str]:
    """No database URL, so the command starts (or reuses) the embedded server in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SPOTTER_DATABASE_URL"}}
    env["SPOTTER_DATA_DIR"] = str(data_dir)
    return env


@pytest.mark.slow
def test_two_workers_start_while_every_core_is_busy(database_factory: DatabaseFactory) -> None:
    # The failure this guards against: each worker re-imported the whole command line before
    # answering the supervisor's 5 s health ping, so on a saturated machine it was killed and
    # replaced over and over and the server never served.
    url = database_factory()
    with (
        busy_cpus(),
        serving(server_env(url), "--migrate", "--workers", "2") as (base, process, output),
    ):
        output.wait_for(STARTED, count=2, timeout_s=240)
        wait_until_ready(base, process, timeout_s=120)
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        assert output.matching("died") == []
        # The server process is the small module, not the command line.
        assert b"app.serving" in Path(f"/proc/{process.pid}/cmdline").read_bytes()


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_reported(database_factory: DatabaseFactory) -> None:
    url = database_factory()
    with serving(server_env(url), "--migrate", "--workers", "2") as (base, process, output):
        started = output.wait_for("Started server process", count=2)
        output.wait_for(STARTED, count=2)
        victim = worker_pids(started)[0]
        os.kill(victim, signal.SIGKILL)
        (death,) = output.wait_for(f"Child process [{victim}] died")
        assert "WARNING" in death
        output.wait_for(STARTED, count=3)
        wait_until_ready(base, process)
        assert process.poll() is None
