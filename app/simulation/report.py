"""A run as a coach reads it: the actions session by session, and the invariant counts."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from app.simulation.invariants import INVARIANTS, Violation, check_run, describe
from app.simulation.loop import Run


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One exercise of one session: what the lifter was told to do and why."""

    on: date
    exercise: str
    action: str
    modification: str
    prescription: str
    reason: str
    reps: tuple[int, ...]


def action_rows(run: Run) -> list[ActionRow]:
    rows = []
    for step in run.steps:
        for done in step.performed:
            mod = done.modification
            rows.append(
                ActionRow(
                    on=step.session.date,
                    exercise=done.exercise,
                    action=done.action.value if done.action is not None else "START",
                    modification=f"{mod.kind.value} ({mod.variant.value})" if mod else "",
                    prescription=describe(done.prescription),
                    reason=done.reason.value if done.reason is not None else "",
                    reps=tuple(s.reps for s in done.sets),
                )
            )
    return rows


def violation_counts(found: Mapping[str, Sequence[Violation]]) -> dict[str, int]:
    return {name: len(found.get(name, ())) for name in INVARIANTS}


# What the invariants were checked against, reported beside the violations so that a column of
# zeros can be told apart from a run that asked nothing.
CHECKED = ("answers", "prescriptions")


def summed_counts(runs: Iterable[Run]) -> dict[str, int]:
    """Answers and prescriptions checked, and violations per invariant, summed over runs (e.g.
    one archetype's seeds)."""
    total = dict.fromkeys((*CHECKED, *INVARIANTS), 0)
    for run in runs:
        total["answers"] += len(run.steps)
        total["prescriptions"] += sum(len(step.performed) for step in run.steps)
        for name, count in violation_counts(check_run(run)).items():
            total[name] += count
    return total
