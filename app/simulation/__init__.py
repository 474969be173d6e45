"""Closed-loop lifter simulator: a simulated lifter follows the recommender for weeks.

Pure like the engine: no I/O, no clock, no database or web imports; every random draw comes from a
seeded `random.Random`, so a run is a function of (archetype, catalog, weeks, seed). Start with
`simulate(ARCHETYPES["stronglifts-kg"], catalog)`, then `check_run(run)` for the invariants and
`action_rows(run)` / `render_svg(run)` for the report.
"""

from app.simulation.archetypes import ARCHETYPES, Archetype, FeedbackRule, Slot
from app.simulation.invariants import INVARIANTS, Violation, check_run
from app.simulation.lifter import Lifter, LifterProfile, SetOutcome, Trait, max_reps
from app.simulation.loop import PerformedExercise, Run, Step, simulate
from app.simulation.report import CHECKED, ActionRow, action_rows, summed_counts, violation_counts

__all__ = [
    "ARCHETYPES",
    "CHECKED",
    "INVARIANTS",
    "ActionRow",
    "Archetype",
    "FeedbackRule",
    "Lifter",
    "LifterProfile",
    "PerformedExercise",
    "Run",
    "SetOutcome",
    "Slot",
    "Step",
    "Trait",
    "Violation",
    "action_rows",
    "check_run",
    "max_reps",
    "simulate",
    "summed_counts",
    "violation_counts",
]
