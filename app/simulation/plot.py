"""One SVG per run: per exercise, load and reps over time with the engine's actions marked.

Built on matplotlib's object API with the SVG canvas (no pyplot, so no global figure state and
no display backend), rendered into a string: the caller decides where it goes.
"""

import io
from collections import defaultdict
from datetime import date

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from app.recommender import Action
from app.simulation.loop import PerformedExercise, Run

# How each kind of decision is drawn: (marker, colour, legend label).
MARKS: dict[str, tuple[str, str, str]] = {
    "DELOAD": ("v", "tab:red", "deload"),
    "RESET": ("s", "tab:orange", "reset"),
    "MODIFICATION": ("*", "tab:purple", "modification"),
    "ROTATE_VARIATION": ("D", "tab:green", "rotation / ladder change"),
}
PANEL_HEIGHT = 2.2


def _series(run: Run) -> dict[str, list[tuple[date, PerformedExercise]]]:
    by_exercise: dict[str, list[tuple[date, PerformedExercise]]] = defaultdict(list)
    for step in run.steps:
        for done in step.performed:
            by_exercise[done.exercise].append((step.session.date, done))
    return dict(by_exercise)


def _shown_load(done: PerformedExercise) -> float:
    """External load, with assistance drawn below zero (less assistance = heavier)."""
    if not done.sets:
        return 0.0
    first = done.sets[0]
    return first.load - first.assistance


def render_svg(run: Run) -> str:
    """The run's chart as SVG text; deterministic for a given run."""
    series = _series(run)
    unit = run.archetype.profile.unit.value
    rows = max(1, len(series))
    figure = Figure(figsize=(10, PANEL_HEIGHT * rows + 0.8), layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.subplots(rows, 1, squeeze=False, sharex=True)[:, 0]
    figure.suptitle(
        f"{run.archetype.name}: {run.archetype.description} (seed {run.seed}, {run.weeks} weeks)",
        fontsize=9,
    )
    for ax, (slug, points) in zip(axes, sorted(series.items()), strict=False):
        days = [d for d, _ in points]
        loads = [_shown_load(p) for _, p in points]
        reps = [sum(s.reps for s in p.sets) for _, p in points]
        ax.plot(days, loads, color="tab:blue", marker=".", linewidth=1.2, label=f"load ({unit})")
        ax.set_ylabel(f"{slug}\nload ({unit})", fontsize=7)
        twin = ax.twinx()
        twin.bar(days, reps, color="tab:gray", alpha=0.25, width=1.2, label="total reps")
        twin.set_ylabel("total reps", fontsize=7)
        for action, (marker, colour, label) in MARKS.items():
            hits = [
                (d, _shown_load(p))
                for d, p in points
                if p.action is not None and p.action is Action(action)
            ]
            if hits:
                ax.scatter(
                    [d for d, _ in hits],
                    [y for _, y in hits],
                    marker=marker,
                    color=colour,
                    s=60,
                    zorder=3,
                    label=label,
                )
        ax.tick_params(labelsize=7)
        twin.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="upper left")
    out = io.StringIO()
    # A fixed hash salt and no date keep the SVG byte-identical from run to run.
    with rc_context({"svg.hashsalt": "spotter-simulation"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
