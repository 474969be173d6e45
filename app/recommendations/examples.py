"""Request examples shown in the OpenAPI document; the tests post each one and check the answer,
so the documentation cannot drift from what the engine does."""

from __future__ import annotations

from typing import Any

KG_GYM: dict[str, Any] = {
    "bar": 20,
    "plates": [25, 20, 15, 10, 5, 2.5, 1.25],
    "stack_step": 5,
    "belt_plates": [1.25, 2.5, 5],
}


def _sets(exercise: str, reps: list[int], load: float, **extra: Any) -> list[dict[str, Any]]:
    return [{"exercise": exercise, "reps": r, "load": load, **extra} for r in reps]


BEGINNER: dict[str, Any] = {
    "profile": {
        "experience": "beginner",
        "unit": "kg",
        "bodyweight": 80,
        "routine_profile": "stronglifts",
    },
    "equipment": KG_GYM,
    "today": "2026-03-06",
    "history": [
        {
            "date": "2026-03-04",
            "sets": _sets("barbell-bent-over-row", [5, 5, 5], 50, target_reps=5)
            + _sets("deadlift", [5], 100, target_reps=5),
        }
    ],
}


def _stall_session(day: str, reps: list[int], rpes: list[float]) -> dict[str, Any]:
    """A double-progression row session: per-set target 11 within 8-12, RPE logged."""
    return {
        "date": day,
        "sets": [
            {"exercise": "barbell-bent-over-row", "reps": r, "load": 70, "rpe": rpe}
            | {"target_reps": 11, "target_range": [8, 12]}
            for r, rpe in zip(reps, rpes, strict=True)
        ],
    }


INTERMEDIATE_STALL: dict[str, Any] = {
    "profile": {"experience": "intermediate", "unit": "kg", "bodyweight": 80},
    "equipment": KG_GYM,
    "today": "2026-03-16",
    "plan": {
        "entries": [
            {
                "exercise": "barbell-bent-over-row",
                "sets": 3,
                "rep_range": [8, 12],
                "times_per_week": 2,
            },
            {"exercise": "pull-up", "sets": 3, "times_per_week": 2},
        ]
    },
    "feedback": [
        {"muscle_group": "back", "week_start": "2026-03-09", "soreness": 1, "performance": 1}
    ],
    "history": [
        _stall_session("2026-03-09", [10, 10, 10], [9, 9, 9]),
        _stall_session("2026-03-11", [10, 10, 10], [9, 9, 9]),
        _stall_session("2026-03-13", [10, 10, 9], [9, 9, 9.5]),
    ],
}

BALANCE_DEFICIT: dict[str, Any] = {
    "profile": {"experience": "intermediate", "unit": "kg", "bodyweight": 80},
    "equipment": KG_GYM,
    "today": "2026-03-13",
    "history": [
        {
            "date": day,
            "sets": _sets("bench-press", [8, 8, 8, 8], 80, target_range=[6, 10], rpe=8)
            + _sets("overhead-press", [8, 8, 8], 50, target_range=[6, 10], rpe=8)
            + _sets("lat-pulldown", [10, 10], 60, target_range=[8, 12], rpe=8),
        }
        for day in ("2026-03-09", "2026-03-11")
    ],
}

OPENAPI_EXAMPLES: dict[str, dict[str, Any]] = {
    "beginner": {
        "summary": "Beginner on StrongLifts after a successful session",
        "description": "All work sets were completed: linear progression adds 2.5 kg to the "
        "row and 5 kg to the deadlift.",
        "value": BEGINNER,
    },
    "intermediate_stall": {
        "summary": "Intermediate row stalled for three sessions",
        "description": "Three exposures without progress open a stall; the first modification "
        "to try, one more set, is applied on its own.",
        "value": INTERMEDIATE_STALL,
    },
    "balance_deficit": {
        "summary": "More pressing than pulling",
        "description": "Weekly back sets and reps are below the front's, so back volume is "
        "raised one step at a time until both ratios reach 1.0.",
        "value": BALANCE_DEFICIT,
    },
}
