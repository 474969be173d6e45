"""Running `spotter serve` as a real process: a free loopback port and waiting for readiness."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from typing import IO, Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(base: str, process: subprocess.Popen[Any], timeout_s: float = 60) -> None:
    """Poll /readyz until it answers 200. It is not rate limited, so polling costs no quota."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            msg = "the server exited during start-up"
            raise RuntimeError(msg)
        if time.monotonic() > deadline:
            msg = f"the server did not become ready in {timeout_s:g} s"
            raise RuntimeError(msg)
        time.sleep(0.2)


class OutputLines:
    """Collects a process's combined output line by line while it runs, so a test can wait
    for a log line (a worker's start, a death) instead of sleeping."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None, "start the process with stdout=subprocess.PIPE"
        self._stream = process.stdout
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def matching(self, needle: str) -> list[str]:
        with self._changed:
            return [line for line in self.lines if needle in line]

    def wait_for(self, needle: str, count: int = 1, timeout_s: float = 120) -> list[str]:
        """Block until ``count`` lines contain ``needle``; fail with the output's tail if not."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = [line for line in self.lines if needle in line]
                remaining = deadline - time.monotonic()
                if len(found) >= count:
                    return found
                if remaining <= 0 or not self._reader.is_alive():
                    tail = "\n".join(self.lines[-30:])
                    msg = f"{count} x {needle!r} not seen in {timeout_s:g} s; output ends:\n{tail}"
                    raise AssertionError(msg)
                self._changed.wait(min(remaining, 1.0))

    def close(self, timeout_s: float = 30) -> list[str]:
        """Wait for the stream to end (the process has exited) and return every line."""
        self._reader.join(timeout_s)
        if not self._reader.is_alive():
            self._stream.close()
        with self._changed:
            return list(self.lines)


_WORKER_STARTED = re.compile(r"Started server process \[(\d+)\]")


def worker_pids(lines: list[str]) -> list[int]:
    """The pids of uvicorn's workers, in the order they logged their start."""
    return [int(match[1]) for line in lines if (match := _WORKER_STARTED.search(line))]
