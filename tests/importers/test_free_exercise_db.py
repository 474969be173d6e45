"""The free-exercise-db importer: mapping, idempotency, all-or-nothing validation and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import asyncpg
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.content import ContentBundle, load_content
from app.content.loader import load_bundle
from app.db import migrations
from app.db.engine import build_engine, build_sessionmaker
from app.db.session import run_sql
from app.exercises.models import Exercise
from app.importers import free_exercise_db as importer
from app.importers.free_exercise_db import (
    DatasetError,
    DatasetValidationError,
    ImportSummary,
    Record,
    import_free_exercise_db,
    import_records,
    parse_records,
    read_records,
)
from app.knowledge.models import Origin, Source
from app.knowledge.service import current_revision
from tests.conftest import DatabaseFactory, asyncpg_dsn, make_settings

SPOTTER = str(Path(sys.executable).parent / "spotter")
RECORDS = 873
# Dataset ids whose slugs the curated catalog already uses.
CURATED_COLLISIONS = {
    "barbell-shrug",
    "chin-up",
    "face-pull",
    "good-morning",
    "incline-dumbbell-press",
    "inverted-row",
    "one-arm-dumbbell-row",
    "romanian-deadlift",
    "straight-arm-pulldown",
}
IMPORTED = RECORDS - len(CURATED_COLLISIONS)


@pytest.fixture(scope="module")
def dataset_path(shared_dir: Path) -> Path:
    return shared_dir / "data" / "free-exercise-db" / "exercises.json"


@pytest.fixture(scope="module")
def raw_dataset(dataset_path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(dataset_path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def records(dataset_path: Path) -> list[Record]:
    return read_records(dataset_path)


@pytest.fixture(scope="module")
def bundle() -> ContentBundle:
    return load_content()


@pytest.fixture
async def curated(db_session: AsyncSession, bundle: ContentBundle) -> AsyncSession:
    """The test's session with the curated knowledge base loaded (imports map onto it)."""
    await load_bundle(db_session, bundle)
    return db_session


def encode(raw: list[dict[str, Any]]) -> bytes:
    return json.dumps(raw).encode()


async def imported_count(session: AsyncSession) -> int:
    result = await run_sql(
        session, "SELECT count(*) FROM exercise WHERE origin = :origin", origin="free-exercise-db"
    )
    return int(result.scalar_one())


async def row_versions(session: AsyncSession, table: str) -> set[tuple[str, ...]]:
    """Physical row versions: any UPDATE, DELETE or INSERT changes this set, even within the
    test's single transaction (where ``now()`` and so ``updated_at`` cannot move)."""
    # The table names come from the tests themselves.
    result = await run_sql(session, f"SELECT ctid::text, * FROM {table}")  # noqa: S608
    return {tuple(map(str, row)) for row in result}


async def muscles_of(session: AsyncSession, slug: str) -> dict[str, str]:
    result = await run_sql(
        session,
        "SELECT m.slug, em.role FROM exercise_muscle em JOIN muscle m ON m.id = em.muscle_id "
        "JOIN exercise e ON e.id = em.exercise_id WHERE e.slug = :slug",
        slug=slug,
    )
    return {str(muscle): str(role) for muscle, role in result.all()}


def test_mapping_tables_cover_the_dataset_and_name_real_slugs(bundle: ContentBundle) -> None:
    assert set(importer.MUSCLES) == set(get_args(importer.DatasetMuscle))
    assert set(importer.EQUIPMENT) == set(get_args(importer.DatasetEquipment))
    assert set(importer.CATEGORIES) == set(get_args(importer.DatasetCategory))
    assert set(importer.LEVELS) == set(get_args(importer.DatasetLevel))
    muscles = {m.slug for m in bundle.muscles}
    assert {s for slugs in importer.MUSCLES.values() for s in slugs} <= muscles
    equipment = {e.slug for e in bundle.equipment}
    assert {s for slugs in importer.EQUIPMENT.values() for s in slugs} <= equipment
    actions = {a.slug for a in bundle.joint_actions}
    assert set(importer.JOINT_ACTIONS.values()) <= actions


def test_the_whole_dataset_validates(records: list[Record]) -> None:
    assert len(records) == RECORDS
    assert len({r.slug for r in records}) == RECORDS
    assert {r.slug for r in records} >= CURATED_COLLISIONS
    assert importer.slugify("3_4_Sit-Up") == "3-4-sit-up"


async def test_full_import(
    curated: AsyncSession, records: list[Record], bundle: ContentBundle
) -> None:
    session = curated
    chin_up = ("exercise", "exercise_muscle", "exercise_joint_action")
    before = {table: await row_versions(session, table) for table in chin_up}
    revision = await current_revision(session)
    calls: list[tuple[int, int]] = []

    summary = await import_records(
        session, records, lambda done, total: calls.append((done, total))
    )

    assert len(summary.created) == IMPORTED
    assert summary.updated == []
    assert summary.unchanged == []
    assert {s.slug for s in summary.skipped} == CURATED_COLLISIONS
    assert all("curated" in s.reason for s in summary.skipped)
    assert summary.revision == revision + 1 == await current_revision(session)
    assert calls[-1] == (RECORDS, RECORDS)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)

    # Curated rows and their links are physically untouched.
    after = {table: await row_versions(session, table) for table in chin_up}
    for table in chin_up:
        assert before[table] <= after[table], table
    rows = {r.slug: r for r in (await session.exec(select(Exercise))).all()}
    assert rows["chin-up"].origin == Origin.CURATED
    assert rows["chin-up"].name == next(e.name for e in bundle.exercises if e.slug == "chin-up")

    assert await imported_count(session) == IMPORTED
    deadlift = rows["barbell-deadlift"]
    assert deadlift.origin == Origin.FREE_EXERCISE_DB
    assert deadlift.level == "intermediate"
    assert deadlift.equipment == ["barbell"]
    assert deadlift.document["sources"] == ["free-exercise-db"]
    assert deadlift.document["instructions"]
    assert await muscles_of(session, "barbell-deadlift") == {
        "erector-spinae": "primary",
        "calves": "secondary",
        "forearm-flexors": "secondary",
        "gluteus-maximus": "secondary",
        "hamstrings": "secondary",
        "latissimus-dorsi": "secondary",
        "quadriceps": "secondary",
        "rhomboids": "secondary",
        "trapezius": "secondary",
        "trapezius-middle": "secondary",
    }
    assert await muscles_of(session, "pullups") == {
        "latissimus-dorsi": "primary",
        "biceps-brachii": "secondary",
        "rhomboids": "secondary",
        "trapezius-middle": "secondary",
    }
    assert rows["atlas-stones"].level == "advanced"  # the dataset's "expert"
    assert rows["clean-and-jerk"].category == "olympic_weightlifting"
    every_imported_row_is_searchable = await run_sql(
        session,
        "SELECT count(*) FROM exercise WHERE origin = 'free-exercise-db' AND search_vector IS NULL",
    )
    assert every_imported_row_is_searchable.scalar_one() == 0

    source = (
        await session.exec(select(Source).where(col(Source.slug) == "free-exercise-db"))
    ).one()
    assert source.origin == Origin.FREE_EXERCISE_DB
    assert "public domain" in source.document["license_text"]


async def test_images_are_never_stored(
    curated: AsyncSession, records: list[Record], raw_dataset: list[dict[str, Any]]
) -> None:
    await import_records(curated, records)
    documents = await run_sql(curated, "SELECT document::text FROM exercise")
    stored = "\n".join(text for (text,) in documents)
    sources = await run_sql(curated, "SELECT document::text FROM source")
    stored += "\n".join(text for (text,) in sources)
    with_key = await run_sql(
        curated,
        "SELECT count(*) FROM exercise WHERE jsonb_path_exists(document, 'lax $.**.images')",
    )
    assert with_key.scalar_one() == 0
    image_paths = {image for record in raw_dataset for image in record["images"]}
    assert image_paths
    assert not [path for path in image_paths if path in stored]
    assert ".jpg" not in stored


async def test_importing_twice_changes_nothing(
    curated: AsyncSession, records: list[Record]
) -> None:
    await import_records(curated, records)
    revision = await current_revision(curated)
    tables = ("exercise", "exercise_muscle", "exercise_joint_action", "source")
    before = {table: await row_versions(curated, table) for table in tables}

    summary = await import_records(curated, records)

    assert not summary.changed
    assert summary.created == summary.updated == []
    assert len(summary.unchanged) == IMPORTED
    assert {s.slug for s in summary.skipped} == CURATED_COLLISIONS
    assert summary.revision is None
    assert await current_revision(curated) == revision
    assert {table: await row_versions(curated, table) for table in tables} == before


async def test_a_changed_record_updates_exactly_that_record(
    curated: AsyncSession, records: list[Record], raw_dataset: list[dict[str, Any]]
) -> None:
    await import_records(curated, records)
    revision = await current_revision(curated)
    before = await row_versions(curated, "exercise")
    changed = [dict(r) for r in raw_dataset]
    target = next(r for r in changed if r["id"] == "Barbell_Deadlift")
    target["name"] = "Barbell Deadlift (conventional)"
    target["primaryMuscles"] = ["hamstrings"]

    summary = await import_records(curated, parse_records(encode(changed)))

    assert summary.updated == ["barbell-deadlift"]
    assert summary.created == []
    assert len(summary.unchanged) == IMPORTED - 1
    assert summary.revision == revision + 1
    after = await row_versions(curated, "exercise")
    assert len(before - after) == len(after - before) == 1
    [new_version] = after - before
    assert "Barbell Deadlift (conventional)" in new_version
    muscles = await muscles_of(curated, "barbell-deadlift")
    assert muscles["hamstrings"] == "primary"
    assert "erector-spinae" not in muscles  # it was a primary muscle only
    found = await run_sql(
        curated,
        "SELECT slug FROM exercise WHERE search_vector @@ plainto_tsquery('english', :q)",
        q="conventional",
    )
    assert "barbell-deadlift" in {slug for (slug,) in found}


def _break_name(raw: list[dict[str, Any]]) -> None:
    raw[100]["name"] = 42


def _drop_level(raw: list[dict[str, Any]]) -> None:
    del raw[200]["level"]


def _unknown_muscle(raw: list[dict[str, Any]]) -> None:
    raw[300]["primaryMuscles"] = ["lats", "wings"]


def _extra_field(raw: list[dict[str, Any]]) -> None:
    raw[5]["videoUrl"] = "https://example.com/video"


def _not_an_object(raw: list[dict[str, Any]]) -> None:
    raw[7] = "Ab_Roller"  # type: ignore[call-overload]


def _duplicate_slug(raw: list[dict[str, Any]]) -> None:
    raw[400]["id"] = raw[401]["id"].lower().replace("_", "-")


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        pytest.param(_break_name, ["record #100 (id '", "field 'name'", "valid string"], id="type"),
        pytest.param(
            _drop_level, ["record #200 (id '", "field 'level'", "Field required"], id="missing"
        ),
        pytest.param(
            _unknown_muscle, ["record #300", "field 'primaryMuscles[1]'", "'wings'"], id="enum"
        ),
        pytest.param(_extra_field, ["record #5", "field 'videoUrl'", "Extra inputs"], id="extra"),
        pytest.param(_not_an_object, ["record #7", "expected an object"], id="not-object"),
        pytest.param(
            _duplicate_slug,
            ["record #401", "field 'id'", "also the slug of record #400"],
            id="slug",
        ),
    ],
)
async def test_one_bad_record_stores_nothing(
    curated: AsyncSession,
    raw_dataset: list[dict[str, Any]],
    tmp_path: Path,
    breaks: Callable[[list[dict[str, Any]]], None],
    expected: list[str],
) -> None:
    raw = [dict(r) for r in raw_dataset]
    breaks(raw)
    path = tmp_path / "exercises.json"
    path.write_bytes(encode(raw))
    revision = await current_revision(curated)

    with pytest.raises(DatasetValidationError) as caught:
        await import_free_exercise_db(curated, path)

    assert len(caught.value.problems) == 1
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message
    assert await imported_count(curated) == 0
    assert await current_revision(curated) == revision
    sources = await curated.exec(select(Source).where(col(Source.slug) == "free-exercise-db"))
    assert sources.first() is None


def test_malformed_json_is_reported_with_its_position() -> None:
    with pytest.raises(DatasetValidationError, match=r"malformed JSON: line 2 column"):
        parse_records(b'[{"id": "A",\n "name": }]')
    with pytest.raises(DatasetValidationError, match="expected a JSON array"):
        parse_records(b'{"id": "A"}')
    with pytest.raises(DatasetValidationError, match="malformed JSON"):
        parse_records(b"[NaN]")


def test_size_and_count_caps(
    monkeypatch: pytest.MonkeyPatch, dataset_path: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DatasetValidationError, match="larger than the 1000 byte limit"):
        read_records(dataset_path)
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(importer, "MAX_RECORDS", 10)
    with pytest.raises(DatasetValidationError, match="873 records exceed the limit of 10"):
        read_records(dataset_path)
    with pytest.raises(DatasetValidationError, match="cannot read the file"):
        read_records(tmp_path / "missing.json")


def test_every_problem_is_counted_and_the_list_is_capped(
    raw_dataset: list[dict[str, Any]],
) -> None:
    raw = [{**r, "level": "guru"} for r in raw_dataset]
    with pytest.raises(DatasetValidationError) as caught:
        parse_records(encode(raw))
    assert len(caught.value.problems) == RECORDS
    message = str(caught.value)
    assert f"{RECORDS} problems; nothing was imported" in message
    assert f"... and {RECORDS - importer.MAX_LISTED_PROBLEMS} more" in message
    assert message.count("field 'level'") == importer.MAX_LISTED_PROBLEMS


def _record(record_id: str, **changes: object) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": record_id,
        "name": record_id.replace("_", " "),
        "force": "pull",
        "level": "beginner",
        "mechanic": "compound",
        "equipment": "barbell",
        "primaryMuscles": ["lower back"],
        "secondaryMuscles": ["glutes", "abductors"],
        "instructions": ["Stand tall.", "  ", "Lift."],
        "category": "strength",
        "images": [f"{record_id}/0.jpg"],
    }
    record.update(changes)
    return record


async def test_slugs_owned_by_curated_or_api_exercises_are_skipped(
    curated: AsyncSession,
) -> None:
    curated.add(
        Exercise(
            slug="band-row",
            name="Band Row",
            origin=Origin.API,
            category="strength",
            level="beginner",
        )
    )
    await curated.flush()
    before = await row_versions(curated, "exercise")
    data = [
        _record("Deadlift"),
        _record("Band_Row"),
        _record("Hip_Abduction_Pull", equipment="other", primaryMuscles=["abductors", "neck"]),
    ]

    summary = await import_records(curated, parse_records(encode(data)))

    assert summary.created == ["hip-abduction-pull"]
    reasons = {s.slug: s.reason for s in summary.skipped}
    assert reasons.keys() == {"deadlift", "band-row"}
    assert "curated exercise" in reasons["deadlift"]
    assert "an api exercise" in reasons["band-row"]
    assert before <= await row_versions(curated, "exercise")
    assert await muscles_of(curated, "hip-abduction-pull") == {
        "gluteus-maximus": "primary",
        "trapezius-upper": "primary",
        "levator-scapulae": "primary",
    }
    row = (
        await curated.exec(select(Exercise).where(col(Exercise.slug) == "hip-abduction-pull"))
    ).one()
    # Unknown equipment is `other`, never "no equipment".
    assert row.equipment == ["other"]
    assert row.document["notes"] == [importer.UNKNOWN_EQUIPMENT_NOTE]
    assert row.document["instructions"] == ["Stand tall.", "Lift."]
    assert row.document["summary"] is None


async def test_joint_actions_are_inferred_only_when_unambiguous(curated: AsyncSession) -> None:
    data = [
        _record("Curl_Test", primaryMuscles=["biceps"], secondaryMuscles=["forearms"]),
        _record("Calf_Raise_Test", force="push", primaryMuscles=["calves", "glutes"]),
        _record(
            "Calf_Stretch_Test", force="push", category="stretching", primaryMuscles=["calves"]
        ),
        _record("Triceps_Hold_Test", force="static", primaryMuscles=["triceps"]),
    ]
    await import_records(curated, parse_records(encode(data)))
    result = await run_sql(
        curated,
        "SELECT e.slug, ja.slug FROM exercise_joint_action x "
        "JOIN exercise e ON e.id = x.exercise_id JOIN joint_action ja ON ja.id = x.joint_action_id "
        "WHERE e.origin = 'free-exercise-db'",
    )
    assert set(result.all()) == {
        ("curl-test", "elbow-flexion"),
        ("calf-raise-test", "ankle-plantar-flexion"),
    }


@pytest.fixture
def empty_database(database_factory: DatabaseFactory) -> str:
    """A migrated database without any content (created outside the event loop)."""
    url = database_factory()
    migrations.upgrade(url)
    return url


async def test_missing_anatomy_is_an_error_not_a_partial_import(empty_database: str) -> None:
    engine = build_engine(empty_database, make_settings(empty_database))
    try:
        async with build_sessionmaker(engine)() as session:
            with pytest.raises(DatasetError, match="load the curated content first"):
                await import_records(session, parse_records(encode([_record("Lonely_Lift")])))
    finally:
        await engine.dispose()


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SPOTTER_DATABASE_URL"}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [SPOTTER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def _fetch() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(_fetch())


@pytest.mark.slow
def test_cli_imports_once_then_changes_nothing_and_refuses_broken_files(
    database_factory: DatabaseFactory,
    dataset_path: Path,
    raw_dataset: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    url = database_factory()
    migrate = run_cli("migrate", "--load-content", url=url)
    assert migrate.returncode == 0, migrate.stderr

    broken = [dict(r) for r in raw_dataset]
    broken[10]["mechanic"] = "complex"
    broken_path = tmp_path / "broken.json"
    broken_path.write_bytes(encode(broken))
    refused = run_cli("import-free-exercise-db", str(broken_path), url=url)
    assert refused.returncode == 1
    assert f"record #10 (id {broken[10]['id']!r}): field 'mechanic'" in refused.stderr
    assert "nothing was imported" in refused.stderr

    count = "SELECT count(*) FROM exercise WHERE origin = 'free-exercise-db'"
    assert fetch(url, count) == [(0,)]

    first = run_cli("import-free-exercise-db", str(dataset_path), url=url)
    assert first.returncode == 0, first.stderr
    assert f"{IMPORTED}" in first.stderr
    assert "Skipped records" in first.stderr
    assert "Chin-Up" in first.stderr
    assert "content revision is now 2" in first.stderr
    assert fetch(url, count) == [(IMPORTED,)]
    stamps = "SELECT slug, updated_at FROM exercise ORDER BY slug"
    before = fetch(url, stamps)

    second = run_cli("import-free-exercise-db", str(dataset_path), url=url)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stderr
    assert fetch(url, "SELECT revision FROM content_revision") == [(2,)]
    assert fetch(url, stamps) == before


def test_summary_reports_change() -> None:
    assert not ImportSummary().changed
    assert ImportSummary(created=["x"]).changed
    assert ImportSummary(source_changed=True).changed
