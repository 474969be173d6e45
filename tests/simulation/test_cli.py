"""`spotter simulate` as a coach runs it: a table of actions and an SVG, no database needed."""

import os
from pathlib import Path

from rich.console import Console

from app.cli import _counts_table, content_catalog
from app.simulation import ARCHETYPES, INVARIANTS, simulate, summed_counts
from tests.test_cli import run_cli


def test_simulate_prints_the_actions_and_writes_the_chart(tmp_path: Path) -> None:
    chart = tmp_path / "gzclp.svg"
    # No database at all: a wrong DATABASE_URL would fail any command that touched one.
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run_cli(
        "simulate", "gzclp", "--weeks", "2", "--seed", "3", "--plot", str(chart), env=env
    )
    assert result.returncode == 0, result.stderr
    for heading in ("actions per session", "back-squat", "LP_STEP", "Invariant violations"):
        assert heading in result.stdout
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_simulate_refuses_an_unknown_archetype() -> None:
    result = run_cli("simulate", "nobody", env=dict(os.environ))
    assert result.returncode == 2
    assert "unknown archetype" in result.stderr


def test_the_counts_say_what_was_checked_beside_the_violations() -> None:
    runs = [simulate(ARCHETYPES["gzclp"], content_catalog(), weeks=1, seed=s) for s in (0, 1)]
    counts = summed_counts(runs)
    # One week of GZCLP is three answered sessions per seed, each with its tiers' exercises.
    assert counts["answers"] == 6
    assert counts["prescriptions"] >= 6
    assert list(counts)[2:] == list(INVARIANTS)
    console = Console(width=400, record=True)
    console.print(_counts_table("counts", {"gzclp": counts}))
    header = next(line for line in console.export_text().splitlines() if "archetype" in line)
    assert "answers" in header
    assert "prescriptions" in header
