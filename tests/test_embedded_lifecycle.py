"""The embedded PostgreSQL lives exactly as long as `spotter serve`, however the server ends.

Real processes throughout: the command with DATABASE_URL unset and a data folder of its own,
each signal sent to the server's pid alone, as a supervisor sends it. As root (how CI runs),
pgserver runs the database as its own system user `pgserver`, creating it if needed, and opens
the data folder's parents to it; nothing here depends on which user runs the tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db.embedded import HANDLE_FILE
from tests.support.server import OutputLines, wait_until_ready
from tests.test_serving import STARTED, embedded_env, serving

pytestmark = pytest.mark.slow

# Generous ceilings for a loaded two-core machine; every wait polls and returns early.
START_S = 180
STOP_S = 120


def postgres_pids(pgdata: Path) -> list[int]:
    """The processes whose command line names ``pgdata``: the postmaster (`postgres -D ...`)."""
    needle = str(pgdata.resolve()).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # it exited while we looked
            continue
        if needle in cmdline.split(b"\0") and b"postgres" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """The test's data folder; a database a failed test left running is stopped afterwards."""
    yield tmp_path / "data"
    for pid in postgres_pids(tmp_path / "data" / "postgres"):
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown


def handles(pgdata: Path) -> list[int]:
    pids: list[int] = json.loads((pgdata / HANDLE_FILE).read_text())
    return pids


def end(process: subprocess.Popen[str], signum: int) -> int:
    process.send_signal(signum)
    return process.wait(timeout=STOP_S)


def assert_stopped(pgdata: Path, output: OutputLines) -> None:
    assert not (pgdata / "postmaster.pid").exists()
    deadline = time.monotonic() + STOP_S
    while postgres_pids(pgdata) and time.monotonic() < deadline:
        time.sleep(0.5)  # the postmaster removes its pid file just before it exits
    assert postgres_pids(pgdata) == []
    assert handles(pgdata) == []
    assert output.matching("Traceback") == []


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name
)
def test_the_database_stops_with_the_server(data_dir: Path, signum: signal.Signals) -> None:
    pgdata = data_dir / "postgres"
    with serving(embedded_env(data_dir), "--migrate") as (base, process, output):
        wait_until_ready(base, process, timeout_s=START_S)
        assert postgres_pids(pgdata) != []
        # `spotter serve` attached and then became the server (same pid): the only user.
        assert handles(pgdata) == [process.pid]
        assert end(process, signum) == 0
    assert_stopped(pgdata, output)


def test_with_workers_a_hangup_restarts_them_and_keeps_the_database(data_dir: Path) -> None:
    # With several workers SIGHUP is uvicorn's "restart the workers": the server goes on, so
    # does its database, and the stop that follows stops both.
    pgdata = data_dir / "postgres"
    with serving(embedded_env(data_dir), "--migrate", "--workers", "2") as (
        base,
        process,
        output,
    ):
        output.wait_for(STARTED, count=2, timeout_s=START_S)
        wait_until_ready(base, process, timeout_s=START_S)
        process.send_signal(signal.SIGHUP)
        output.wait_for(STARTED, count=4, timeout_s=START_S)
        wait_until_ready(base, process, timeout_s=START_S)
        assert process.poll() is None
        assert handles(pgdata) == [process.pid]
        assert end(process, signal.SIGTERM) == 0
    assert_stopped(pgdata, output)


def test_after_kill_9_the_next_server_takes_over_the_database_and_stops_it(
    data_dir: Path,
) -> None:
    pgdata = data_dir / "postgres"
    env = embedded_env(data_dir)
    with serving(env, "--migrate") as (base, killed, _output):
        wait_until_ready(base, killed, timeout_s=START_S)
        assert end(killed, signal.SIGKILL) == -signal.SIGKILL
    # Nothing could run in the killed process: its database and its pid in the list remain.
    left_running = postgres_pids(pgdata)
    assert left_running != []
    assert handles(pgdata) == [killed.pid]

    with serving(env) as (base, process, output):
        wait_until_ready(base, process, timeout_s=START_S)
        assert handles(pgdata) == [process.pid]
        assert output.matching("died without leaving") != []
        assert postgres_pids(pgdata) == left_running  # the running database was reused
        assert end(process, signal.SIGTERM) == 0
    assert_stopped(pgdata, output)
