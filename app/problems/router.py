"""``/problems`` and ``/problems/{name}``: what each problem ``type`` means, for people (HTML)
and programs (JSON with ``Accept: application/json``).

They sit outside /v1 and its quota, like the docs: a link followed from an error must work
even when the error was a 429. The pages change only with a release, so caches may keep them
for a day.
"""

from __future__ import annotations

import re
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup, escape
from starlette.templating import Jinja2Templates

from app.errors import NotFoundError
from app.knowledge.http import SLUG_PATTERN
from app.problems.catalog import PROBLEM_TYPES

router = APIRouter(prefix="/problems", include_in_schema=False)

CACHE_FOR_A_DAY = {"Cache-Control": "public, max-age=86400"}
_CODE = re.compile(r"`([^`]+)`")


def _code(text: str) -> Markup:
    """Escape the text, then show `backticked` words as code, as the API's docs write them."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704 - escaped above


templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")
templates.env.filters["code"] = _code


def _wants_json(request: Request) -> bool:
    # Browsers always list text/html; a program asking for JSON does not.
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.get("")
async def list_problem_types(request: Request) -> Response:
    problems = list(PROBLEM_TYPES.values())
    if _wants_json(request):
        return JSONResponse([p.model_dump() for p in problems], headers=CACHE_FOR_A_DAY)
    return templates.TemplateResponse(
        request, "index.html", {"problems": problems}, headers=CACHE_FOR_A_DAY
    )


@router.get("/{name}")
async def get_problem_type(
    request: Request, name: Annotated[str, Path(max_length=64, pattern=SLUG_PATTERN)]
) -> Response:
    problem = PROBLEM_TYPES.get(name)
    if problem is None:
        raise NotFoundError(f"No problem type is named {name!r}; /problems lists them all.")
    if _wants_json(request):
        return JSONResponse(problem.model_dump(), headers=CACHE_FOR_A_DAY)
    response: HTMLResponse = templates.TemplateResponse(
        request, "problem.html", {"problem": problem}, headers=CACHE_FOR_A_DAY
    )
    return response
