"""Running `spotter serve` as a real process: a free loopback port and waiting for readiness."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Any

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
