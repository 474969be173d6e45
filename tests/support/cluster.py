"""A throwaway PostgreSQL cluster for tests that stop, kill, freeze or lock a database.

The machine's shared server must never be disturbed, so these tests get a cluster of their
own: ``initdb`` into a private folder, ``pg_ctl`` on a free loopback port, removed afterwards.
PostgreSQL refuses to run as root, so when the suite runs as root the cluster's files belong
to, and its commands run as, the unprivileged ``nobody`` account.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.server import free_port

UNPRIVILEGED_USER = "nobody"


class ClusterUnavailableError(RuntimeError):
    """The PostgreSQL server binaries are not on this machine."""


def postgres_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` live: pg_config's answer, or Debian's layout."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=30
        )
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    msg = "initdb and pg_ctl were not found (install the PostgreSQL server package)"
    raise ClusterUnavailableError(msg)


class ThrowawayCluster:
    """One PostgreSQL cluster in a temporary folder, with the faults tests need."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="spotter-cluster-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._frozen: list[int] = []
        self._as_other_user = os.geteuid() == 0
        if self._as_other_user:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        # UTF8 like every server the service supports: the email migration needs Unicode.
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )

    @property
    def maintenance_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *arguments: str) -> None:
        command = [str(self.bindir / tool), *arguments]
        if self._as_other_user:
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            msg = f"{tool} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            raise RuntimeError(msg)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "120", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects clients and shuts down cleanly; ``immediate`` is a crash."""
        self.thaw()
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "120", "stop")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def processes(self) -> list[int]:
        """The postmaster and every process it started (backends, checkpointer, ...)."""
        postmaster = self.postmaster_pid()
        children = []
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[1]) == postmaster:
                children.append(int(status.parent.name))
        return [postmaster, *children]

    def kill(self) -> None:
        """SIGKILL the postmaster, as the OOM killer would, and wait for its backends to notice
        and exit (a restart is refused while they still hold the shared memory)."""
        self.thaw()
        processes = self.processes()
        os.kill(processes[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.1)

    def freeze(self) -> None:
        """SIGSTOP every server process: a database that accepts packets and never answers."""
        self._frozen = self.processes()
        for pid in self._frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self._frozen = []

    def destroy(self) -> None:
        try:
            self.thaw()
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    """True until ``pid`` is reaped: PostgreSQL's own check counts a zombie postmaster as
    running and refuses to start over it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
