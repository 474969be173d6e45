"""Bounded traffic for the fault suite: a writer that retries like a careful client, a reader,
and the figures a run reports.

The writer logs training sessions one after another, each under its own Idempotency-Key, and
retries a 503 or a dropped connection with the same key and body, as the API asks clients to.
A write counts as acknowledged when it got a 201 (or a replay of one). Each session's notes
carry its key, so the database can be checked afterwards for lost and duplicated writes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


@dataclass
class Figures:
    """What one run of traffic saw."""

    statuses: Counter[str] = field(default_factory=Counter)
    longest_s: float = 0.0
    acknowledged: dict[str, int] = field(default_factory=dict)  # key -> session id
    attempted: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)  # 5xx other than 503, with bodies
    last_success_at: float = 0.0
    successes_after: list[float] = field(default_factory=list)

    def record(self, status: str, elapsed_s: float, body: str = "") -> None:
        self.statuses[status] += 1
        self.longest_s = max(self.longest_s, elapsed_s)
        if status.isdigit() and int(status) >= 500 and status != "503":
            self.unexpected.append(f"{status}: {body[:300]}")

    def summary(self) -> dict[str, Any]:
        return {
            "responses": dict(sorted(self.statuses.items())),
            "unexpected_5xx": len(self.unexpected),
            "longest_request_s": round(self.longest_s, 2),
            "writes_acknowledged": len(self.acknowledged),
        }


def sign_up(base: str, email: str) -> dict[str, str]:
    """Register and sign in, retrying a 503 as a client would (the previous fault's reconnect
    may still be under way); the headers a writer sends."""
    credentials = {"email": email, "password": PASSWORD}
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=base, timeout=60) as client:
        # 409 on a retry: the first attempt was stored although its answer was a 503.
        while client.post("/v1/auth/register", json=credentials).status_code not in {201, 409}:
            assert time.monotonic() < deadline, "could not register"
            time.sleep(0.5)
        while (response := client.post("/v1/auth/token", json=credentials)).status_code != 200:
            assert time.monotonic() < deadline, "could not sign in"
            time.sleep(0.5)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def session_body(key: str) -> dict[str, Any]:
    return {
        "date": "2026-03-04",
        "notes": key,
        "sets": [
            {"exercise": "barbell-bent-over-row", "reps": 5, "load": 50, "target_reps": 5}
            for _ in range(3)
        ],
    }


class Traffic:
    """A writer and a reader running in threads until stopped, or until ``max_writes``."""

    def __init__(
        self, base: str, headers: dict[str, str], *, max_writes: int = 400, pause_s: float = 0.02
    ) -> None:
        self.base = base
        self.headers = headers
        self.max_writes = max_writes
        self.pause_s = pause_s
        self.figures = Figures()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, name="writer", daemon=True),
            threading.Thread(target=self._read, name="reader", daemon=True),
        ]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> Figures:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=180)
        return self.figures

    def _call(
        self, client: httpx.Client, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            with self._lock:
                self.figures.record(type(exc).__name__, time.monotonic() - started)
            return None
        with self._lock:
            self.figures.record(
                str(response.status_code), time.monotonic() - started, response.text
            )
            if response.is_success:
                self.figures.last_success_at = time.monotonic()
        return response

    def _write(self) -> None:
        # A generous client timeout: the server's own bound is what is under test.
        with httpx.Client(base_url=self.base, timeout=60) as client:
            for _ in range(self.max_writes):
                if self._stop.is_set():
                    return
                key = uuid.uuid4().hex
                with self._lock:
                    self.figures.attempted.add(key)
                headers = {**self.headers, "Idempotency-Key": key}
                # Retry one write until it is acknowledged or the run ends.
                while not self._stop.is_set():
                    response = self._call(
                        client, "POST", "/v1/me/sessions", json=session_body(key), headers=headers
                    )
                    if response is not None and response.status_code == 201:
                        with self._lock:
                            self.figures.acknowledged[key] = response.json()["id"]
                        break
                    time.sleep(0.2 if response is None else self.pause_s * 10)
                time.sleep(self.pause_s)

    def _read(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self._stop.is_set():
                self._call(client, "GET", "/v1/exercises", params={"limit": 5})
                self._call(client, "GET", "/readyz")
                time.sleep(self.pause_s)

    def wait_for_success(self, after: float, timeout_s: float) -> float | None:
        """Seconds from ``after`` until some request succeeded, or None within the timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self.figures.last_success_at > after:
                    return self.figures.last_success_at - after
            time.sleep(0.05)
        return None
