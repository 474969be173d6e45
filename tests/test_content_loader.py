"""The content loader: upsert by slug, idempotent, exact about what changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import Muscle
from app.content import DEFAULT_DIRECTORY, ContentBundle, load_content
from app.content.loader import load_bundle
from app.content.schema import MuscleRole
from app.exercises.models import Exercise, ExerciseMuscle
from app.knowledge.service import current_revision
from tests.conftest import DatabaseFactory

SPOTTER = str(Path(sys.executable).parent / "spotter")


def with_exercise(bundle: ContentBundle, slug: str, **changes: object) -> ContentBundle:
    exercises = [e.model_copy(update=changes) if e.slug == slug else e for e in bundle.exercises]
    return bundle.model_copy(update={"exercises": exercises})


async def test_loading_again_changes_nothing(db_session: AsyncSession) -> None:
    revision = await current_revision(db_session)
    summary = await load_bundle(db_session, load_content())
    assert not summary.changed
    assert summary.revision is None
    assert all(kind.unchanged > 0 or kind == kind.__class__() for kind in summary.kinds.values())
    assert await current_revision(db_session) == revision


async def test_a_change_updates_exactly_that_item(db_session: AsyncSession) -> None:
    bundle = load_content()
    before = {row.slug: row.updated_at for row in (await db_session.exec(select(Exercise))).all()}
    revision = await current_revision(db_session)

    summary = await load_bundle(
        db_session, with_exercise(bundle, "pull-up", summary="A rewritten summary for the test.")
    )

    assert summary.kinds["exercises"].updated == ["pull-up"]
    assert summary.kinds["exercises"].created == []
    assert all(not kind.changed for name, kind in summary.kinds.items() if name != "exercises")
    assert summary.revision == revision + 1
    rows = {row.slug: row for row in (await db_session.exec(select(Exercise))).all()}
    assert rows["pull-up"].document["summary"] == "A rewritten summary for the test."
    assert all(
        rows[slug].updated_at == stamp for slug, stamp in before.items() if slug != "pull-up"
    )


async def test_changed_muscles_rewrite_the_links(db_session: AsyncSession) -> None:
    bundle = load_content()
    curl = next(e for e in bundle.exercises if e.slug == "biceps-curl")
    muscles = [m.model_copy(update={"role": MuscleRole.PRIMARY}) for m in curl.muscles]
    await load_bundle(db_session, with_exercise(bundle, "biceps-curl", muscles=muscles))
    roles = (
        await db_session.exec(
            select(Muscle.slug, ExerciseMuscle.role)
            .join(ExerciseMuscle, col(ExerciseMuscle.muscle_id) == col(Muscle.id))
            .join(Exercise, col(Exercise.id) == col(ExerciseMuscle.exercise_id))
            .where(col(Exercise.slug) == "biceps-curl")
        )
    ).all()
    assert roles
    assert {role for _, role in roles} == {"primary"}


async def test_removed_items_are_deleted(db_session: AsyncSession) -> None:
    bundle = load_content()
    # Drop a leaf exercise (nothing links to it) and its tip references stay valid.
    leaf = "face-pull"
    trimmed = bundle.model_copy(
        update={"exercises": [e for e in bundle.exercises if e.slug != leaf]}
    )
    summary = await load_bundle(db_session, trimmed)
    assert summary.kinds["exercises"].deleted == [leaf]
    assert (
        await db_session.exec(select(Exercise).where(col(Exercise.slug) == leaf))
    ).first() is None
    # Loading the full content again restores it.
    again = await load_bundle(db_session, bundle)
    assert again.kinds["exercises"].created == [leaf]


def test_cli_refuses_broken_content_and_stores_nothing(
    tmp_path: Path, database_factory: DatabaseFactory
) -> None:
    url = database_factory()
    env = {**os.environ, "DATABASE_URL": url}
    broken = tmp_path / "content"
    shutil.copytree(DEFAULT_DIRECTORY, broken)
    muscles = broken / "muscles.yaml"
    muscles.write_text(
        muscles.read_text().replace(
            "joint_action: shoulder-extension", "joint_action: shoulder-flapping", 1
        )
    )
    migrate = subprocess.run(
        [SPOTTER, "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert migrate.returncode == 0, migrate.stderr

    result = subprocess.run(
        [SPOTTER, "load-content", "--path", str(broken)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "muscles.yaml" in result.stderr
    assert "shoulder-flapping" in result.stderr

    loaded = subprocess.run(
        [SPOTTER, "load-content"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "content revision is now 1" in loaded.stderr, (
        "the broken attempt must not have stored anything"
    )
