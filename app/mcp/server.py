"""The MCP tools, each one REST operation of /v1.

A tool's arguments are the operation's parameters, typed (enums, ranges, slugs) so a model
sees the allowed values; the REST operation still validates them, and its refusals come back
as tool errors carrying the problem document. Descriptions are written for the model that
picks the tool: what it is for, when to use it rather than another, what it returns.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field
from starlette.requests import Request

from app import __version__
from app.content.schema import BodyView, Category, Force, Level, Mechanic, MuscleGroup, TipCategory
from app.exercises.schemas import ExerciseSort, MuscleRole
from app.knowledge.http import SLUG_PATTERN
from app.mcp.forward import Forwarder, QueryValue
from app.pagination import MAX_LIMIT
from app.recommendations.schemas import NextSessionRequest
from app.recommender.enums import Pattern
from app.search.service import HitKind
from app.training.schemas import TrainingSessionCreate

INSTRUCTIONS = """\
Spotter is a strength-training knowledge base (exercises, muscles, tips, strategies by
experience level, routines, every claim with its sources) and a progression recommender that
says what to lift next session and why.

Start with `search_knowledge_base` when the user names something loosely ("rdl", "lats",
"pullup"): it understands typos and gym shorthand and returns slugs. Use the slugs with the
`get_*` tools for the full item, and with `list_exercises` filters. Every answer is the JSON
the Spotter REST API returns for the same request; an error result carries its RFC 9457
problem document (`status`, `detail`, and for invalid input `errors`).

With a key or token that holds the lifter's grant (`logs:read`, `logs:write`,
`recommendations:read`), the `*_my_*` tools and `log_training_session` read and write the
lifter's own training log. Calls count against the credential's rate limit, as over REST.
"""

ToolFunction = Callable[..., Awaitable[CallToolResult]]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        pattern=SLUG_PATTERN,
        description="A knowledge-base slug: lowercase words joined by hyphens, as returned by "
        "search and list tools (`barbell-bent-over-row`, `latissimus-dorsi`).",
    ),
]
Slugs = Annotated[list[Slug] | None, Field(max_length=30)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Items per page (1-100).")]
Cursor = Annotated[
    str | None,
    Field(
        max_length=200,
        description="`next_cursor` from the previous page, to get the next one; repeat the "
        "same filters with it.",
    ),
]


def _request(ctx: Context[Any, Any]) -> Request | None:
    """The MCP HTTP request the tool call came in (its credential is forwarded)."""
    found = ctx.request_context.request
    return found if isinstance(found, Request) else None


def _values(items: Iterable[StrEnum | str] | None) -> list[str] | None:
    return None if items is None else [str(item) for item in items]


def _value(item: StrEnum | None) -> str | None:
    return None if item is None else str(item)


def build_server(forward: Forwarder) -> MCPServer[Any]:
    """The MCP server whose tools forward to the REST API through ``forward``."""
    # The SDK's constructor calls logging.basicConfig; logging is configured by the app
    # (app/logs.py), so whatever it added to the root logger is taken back off.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer[Any] = MCPServer(
        name="spotter",
        title="Spotter",
        description="Strength-training knowledge base and progression recommender.",
        instructions=INSTRUCTIONS,
        version=__version__,
    )
    root.handlers[:] = handlers
    root.setLevel(level)
    tools = _Tools(server, forward)
    _add_knowledge_base_tools(tools)
    _add_training_log_tools(tools)
    return server


class _Tools:
    """What every tool definition uses: registration and the forwarder."""

    def __init__(self, server: MCPServer[Any], forward: Forwarder) -> None:
        self.server = server
        self.forward = forward

    def tool(self, annotations: ToolAnnotations) -> Callable[[ToolFunction], ToolFunction]:
        """Register a tool, its docstring as the description without the source's indent."""

        def register(fn: ToolFunction) -> ToolFunction:
            description = inspect.cleandoc(fn.__doc__ or "")
            self.server.add_tool(fn, description=description, annotations=annotations)
            return fn

        return register

    async def get(
        self, ctx: Context[Any, Any], path: str, params: dict[str, QueryValue] | None = None
    ) -> CallToolResult:
        return await self.forward.call(_request(ctx), "GET", path, params=params)


def _add_knowledge_base_tools(tools: _Tools) -> None:
    """The public knowledge base and the stateless recommender: any valid credential."""

    @tools.tool(READ_ONLY)
    async def search_knowledge_base(
        ctx: Context[Any, Any],
        q: Annotated[
            str,
            Field(
                min_length=1,
                max_length=100,
                description="What to look for, as a person would type it: `deadlfit`, `RDL`, "
                "`lats`, `pull up`, `keeping my back straight`.",
            ),
        ],
        kind: Annotated[
            list[HitKind] | None,
            Field(max_length=4, description="Only these kinds of item; all kinds when omitted."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="How many hits (1-50).")] = 20,
    ) -> CallToolResult:
        """Find exercises, muscles, joint actions and tips by name, alias or description.

        Use this first whenever the user names something in their own words: it tolerates
        typos, spelling variants and gym shorthand. Returns the query and the best matches,
        best first, each with its `kind`, `slug`, `name`, `score`, what `matched` and the
        REST `url`. Pass a hit's `slug` to `get_exercise`, `get_muscle` or `get_tip`."""
        return await tools.get(ctx, "/v1/search", {"q": q, "kind": _values(kind), "limit": limit})

    @tools.tool(READ_ONLY)
    async def list_exercises(
        ctx: Context[Any, Any],
        muscle: Annotated[
            Slugs,
            Field(
                description="Muscle slugs; an exercise training any of them matches. A parent "
                "muscle such as `trapezius` includes its parts."
            ),
        ] = None,
        role: Annotated[
            MuscleRole | None,
            Field(description="With `muscle`: only where it is a primary (or secondary) mover."),
        ] = None,
        joint_action: Annotated[
            Slugs, Field(description="Joint action slugs (`shoulder-extension`); any matches.")
        ] = None,
        equipment: Annotated[
            Slugs, Field(description="Equipment slugs; exercises using any of them.")
        ] = None,
        available_equipment: Annotated[
            Slugs,
            Field(
                description='What the lifter owns: only exercises doable with it. `["none"]` '
                "means bodyweight only. Slugs come from `list_equipment`."
            ),
        ] = None,
        level: Annotated[
            list[Level] | None, Field(max_length=3, description="Experience levels it suits.")
        ] = None,
        mechanic: Annotated[
            list[Mechanic] | None,
            Field(max_length=2, description="`compound` (several joints) or `isolation`."),
        ] = None,
        force: Annotated[
            list[Force] | None, Field(max_length=3, description="Pull, push or static hold.")
        ] = None,
        pattern: Annotated[
            list[Pattern] | None, Field(max_length=8, description="Movement patterns.")
        ] = None,
        category: Annotated[
            list[Category] | None, Field(max_length=7, description="Training categories.")
        ] = None,
        top_pick: Annotated[
            bool | None,
            Field(description="Only (true) or never (false) the five top back exercises."),
        ] = None,
        q: Annotated[
            str | None,
            Field(min_length=1, max_length=100, description="Search text to rank by."),
        ] = None,
        sort: Annotated[
            ExerciseSort | None,
            Field(description="`name` (default), `-name`, `top_pick`, `relevance` (with `q`)."),
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> CallToolResult:
        """List exercises matching every given filter, one page at a time.

        Use it to answer "which exercises train X with Y equipment at my level". Within one
        filter any value matches; across filters all must. Returns `items` (summaries with
        slugs), `total`, facet counts for the main filters, and `next_cursor` for the next
        page (null on the last). For one exercise's full detail use `get_exercise`."""
        params: dict[str, QueryValue] = {
            "muscle": muscle,
            "role": _value(role),
            "joint_action": joint_action,
            "equipment": equipment,
            "available_equipment": available_equipment,
            "level": _values(level),
            "mechanic": _values(mechanic),
            "force": _values(force),
            "pattern": _values(pattern),
            "category": _values(category),
            "top_pick": top_pick,
            "q": q,
            "sort": _value(sort),
            "limit": limit,
            "cursor": cursor,
        }
        return await tools.get(ctx, "/v1/exercises", params)

    @tools.tool(READ_ONLY)
    async def get_exercise(ctx: Context[Any, Any], slug: Slug) -> CallToolResult:
        """Everything about one exercise: muscles with their roles, joint actions, numbered
        instructions, form cues, common mistakes with fixes, safety notes, rep range,
        bodyweight ladder, easier and harder exercises, variations, tips and sources.

        Use it to explain how to perform an exercise or why it is programmed. A slug that
        does not exist is an error result with status 404 (search first)."""
        return await tools.get(ctx, f"/v1/exercises/{slug}")

    @tools.tool(READ_ONLY)
    async def find_exercise_alternatives(
        ctx: Context[Any, Any],
        slug: Slug,
        available_equipment: Annotated[
            Slugs,
            Field(
                description='Only alternatives doable with this equipment; `["none"]` for '
                "bodyweight only."
            ),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="How many (1-50).")] = 10,
    ) -> CallToolResult:
        """Substitutes for an exercise, most similar first.

        Use it when the lifter cannot do an exercise (no equipment, pain, boredom). Ranked
        by shared muscles (prime movers weigh most), shared joint actions and movement
        pattern; each alternative comes with its similarity score and the reasons it was
        chosen. For easier or harder versions see the exercise's own detail."""
        params: dict[str, QueryValue] = {"available_equipment": available_equipment, "limit": limit}
        return await tools.get(ctx, f"/v1/exercises/{slug}/alternatives", params)

    @tools.tool(READ_ONLY)
    async def list_equipment(ctx: Context[Any, Any]) -> CallToolResult:
        """Every piece of equipment an exercise can require, by slug: the values that
        `equipment` and `available_equipment` accept. Returns a JSON array."""
        return await tools.get(ctx, "/v1/equipment")

    @tools.tool(READ_ONLY)
    async def list_muscles(
        ctx: Context[Any, Any],
        group: Annotated[MuscleGroup | None, Field(description="Only this muscle group.")] = None,
        view: Annotated[
            BodyView | None, Field(description="Only muscles drawn on this body view.")
        ] = None,
    ) -> CallToolResult:
        """The muscles in the knowledge base, by group then name, with the gym names people
        use for them (`lats`, `traps`, `rear delts`). Returns a JSON array of summaries;
        `get_muscle` gives one muscle's functions and exercises."""
        return await tools.get(ctx, "/v1/muscles", {"group": _value(group), "view": _value(view)})

    @tools.tool(READ_ONLY)
    async def get_muscle(ctx: Context[Any, Any], slug: Slug) -> CallToolResult:
        """One muscle: what it does (the joint actions it performs and its role in each), its
        parts, and the exercises that train it as a primary or secondary mover. Use it for
        "what works my lats" or "what does the rhomboid do"."""
        return await tools.get(ctx, f"/v1/muscles/{slug}")

    @tools.tool(READ_ONLY)
    async def list_tips(
        ctx: Context[Any, Any],
        exercise: Annotated[
            Slug | None, Field(description="Only tips about this exercise.")
        ] = None,
        muscle: Annotated[Slug | None, Field(description="Only tips about this muscle.")] = None,
        category: Annotated[TipCategory | None, Field(description="Only this subject.")] = None,
        level: Annotated[Level | None, Field(description="Only tips for this level.")] = None,
    ) -> CallToolResult:
        """Coaching tips (feeling the back do the pulling, head and neck position, keeping
        the back straight, balancing back and front work...), each with the problems it
        addresses, the solutions, exceptions, the exercises and muscles it concerns and its
        sources. Returns a JSON array; filter by exercise or muscle to answer form
        questions about one lift."""
        params: dict[str, QueryValue] = {
            "exercise": exercise,
            "muscle": muscle,
            "category": _value(category),
            "level": _value(level),
        }
        return await tools.get(ctx, "/v1/tips", params)

    @tools.tool(READ_ONLY)
    async def get_tip(ctx: Context[Any, Any], slug: Slug) -> CallToolResult:
        """One coaching tip by slug (from `search_knowledge_base` or `list_tips`): the
        problems it addresses, the solutions, exceptions, exercises, muscles and sources."""
        return await tools.get(ctx, f"/v1/tips/{slug}")

    @tools.tool(READ_ONLY)
    async def list_strategies(ctx: Context[Any, Any]) -> CallToolResult:
        """The back-training strategy for every experience level, beginner to advanced
        (volume, frequency, exercise choice, progression). Returns a JSON array; use
        `get_strategy` when the lifter's level is known."""
        return await tools.get(ctx, "/v1/strategies")

    @tools.tool(READ_ONLY)
    async def get_strategy(
        ctx: Context[Any, Any],
        level: Annotated[Level, Field(description="The lifter's experience level.")],
    ) -> CallToolResult:
        """The back-training strategy for one experience level: how much, how often, which
        exercises and how to progress."""
        return await tools.get(ctx, f"/v1/strategies/{level.value}")

    @tools.tool(READ_ONLY)
    async def list_routines(
        ctx: Context[Any, Any],
        level: Annotated[Level | None, Field(description="Only routines for this level.")] = None,
    ) -> CallToolResult:
        """Established routines a beginner can follow as published (StrongLifts, Starting
        Strength, GZCLP, PPL...) and a back-day template for intermediates, with days, sets,
        reps, progression rules and sources. Returns a JSON array; a routine's slug is what
        the recommender's `profile.routine` takes."""
        return await tools.get(ctx, "/v1/routines", {"level": _value(level)})

    @tools.tool(READ_ONLY)
    async def recommend_next_session(
        ctx: Context[Any, Any],
        request: Annotated[
            NextSessionRequest,
            Field(
                description="The lifter's profile, equipment, recent sessions and optionally "
                "this week's plan; nothing is stored."
            ),
        ],
    ) -> CallToolResult:
        """What the lifter should do next session for every exercise in the history (and
        plan), and why: the stateless recommender, for lifters whose log is not in Spotter.

        Send the profile (experience, unit, bodyweight, routine...), the equipment (bar,
        plates) and the last sessions' sets with exercise slugs. Returns a prescription per
        exercise (sets, reps, load that can be loaded with the equipment) with reason codes,
        messages and sources, the week's volume and balance checks, and `plan.state` to send
        back next time. For a lifter whose log is stored in Spotter use
        `recommend_my_next_session` instead."""
        body = request.model_dump(mode="json", exclude_unset=True)
        return await tools.forward.call(
            _request(ctx), "POST", "/v1/recommendations/next-session", body=body
        )


def _add_training_log_tools(tools: _Tools) -> None:
    """The lifter's own log: the REST operations ask for the logs and recommendations
    scopes."""

    @tools.tool(READ_ONLY)
    async def list_my_training_sessions(
        ctx: Context[Any, Any],
        date_from: Annotated[
            date | None, Field(description="Only sessions on or after this day (YYYY-MM-DD).")
        ] = None,
        date_to: Annotated[
            date | None, Field(description="Only sessions on or before this day (YYYY-MM-DD).")
        ] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> CallToolResult:
        """The lifter's logged sessions with their sets, newest first, optionally within a
        date range. Needs the `logs:read` grant. Returns `items` and `next_cursor` (pass it
        back, with the same dates, for older sessions)."""
        params: dict[str, QueryValue] = {
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "limit": limit,
            "cursor": cursor,
        }
        return await tools.get(ctx, "/v1/me/sessions", params)

    @tools.tool(READ_ONLY)
    async def get_my_training_session(
        ctx: Context[Any, Any],
        session_id: Annotated[
            int, Field(ge=1, le=2**31 - 1, description="The session's `id`, from a listing.")
        ],
    ) -> CallToolResult:
        """One of the lifter's logged sessions: its date, notes and sets in order (exercise,
        reps, load, RPE...). Needs `logs:read`. Another lifter's session, or one that does
        not exist, is an error result with status 404."""
        return await tools.get(ctx, f"/v1/me/sessions/{session_id}")

    @tools.tool(
        ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
    )
    async def log_training_session(
        ctx: Context[Any, Any],
        session: Annotated[
            TrainingSessionCreate,
            Field(description="The day and the sets performed, in order, with exercise slugs."),
        ],
        idempotency_key: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=255,
                description="Any unique string (a UUID) for this session; retrying with the "
                "same key returns the first answer instead of logging it twice.",
            ),
        ] = None,
    ) -> CallToolResult:
        """Store a session the lifter has performed, all sets or none. Needs `logs:write`.

        Log only what the lifter confirms they did. Every exercise must be a knowledge-base
        slug. Returns the stored session with its `id`; send an `idempotency_key` so a retry
        after a lost answer does not log it twice."""
        headers = {"idempotency-key": idempotency_key} if idempotency_key else None
        body = session.model_dump(mode="json", exclude_unset=True)
        return await tools.forward.call(
            _request(ctx), "POST", "/v1/me/sessions", body=body, headers=headers
        )

    @tools.tool(READ_ONLY)
    async def recommend_my_next_session(
        ctx: Context[Any, Any],
        today: Annotated[
            date | None,
            Field(description="The day to plan for (YYYY-MM-DD); the server's date if omitted."),
        ] = None,
    ) -> CallToolResult:
        """What the lifter should do next session, from their stored profile and log: the
        same answer as `recommend_next_session` given that data. Needs the
        `recommendations:read` grant; an error with status 409 means the lifter has not
        created a training profile yet."""
        return await tools.get(
            ctx,
            "/v1/me/recommendations/next-session",
            {"today": today.isoformat() if today else None},
        )
