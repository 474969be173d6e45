"""The floor for scripts/bench_http.py: a bare Starlette app that answers each benchmarked
request with the exact bytes Spotter sent for it, from memory.

It reads ``FLOOR_RESPONSES`` (a JSON file: ``{"METHOD path?query": {"status", "headers",
"body_b64"}}``) once at start-up; whatever Spotter spends beyond this app under the same
uvicorn settings is Spotter's own cost.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _load() -> dict[str, tuple[int, dict[str, str], bytes]]:
    stored = json.loads(Path(os.environ["FLOOR_RESPONSES"]).read_text())
    return {
        key: (item["status"], item["headers"], base64.b64decode(item["body_b64"]))
        for key, item in stored.items()
    }


RESPONSES = _load()


async def answer(request: Request) -> Response:
    await request.body()  # read what a real handler reads
    query = f"?{request.url.query}" if request.url.query else ""
    found = RESPONSES.get(f"{request.method} {request.url.path}{query}")
    if found is None:
        return Response(status_code=404)
    status, headers, body = found
    return Response(content=body, status_code=status, headers=headers)


app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
