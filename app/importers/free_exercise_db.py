"""Import the free-exercise-db dataset (``exercises.json`` of yuhonas/free-exercise-db).

The import has two steps, so a broken file never leaves half an import behind:

1. :func:`read_records` reads the file and validates **every** record (size and count caps,
   strict field types and vocabularies, unique slugs). Any problem raises one
   :class:`DatasetValidationError` listing each problem with the record (position in the JSON
   array, counted from 0, and ``id``) and the field; nothing has touched the database yet.
2. :func:`import_records` writes the validated records in the caller's transaction, upserting
   by slug. It never commits: the caller does, so a failure rolls everything back.

Choices worth knowing:

* Slugs are the dataset ``id`` lower-cased with every run of other characters turned into one
  hyphen (``Barbell_Deadlift`` -> ``barbell-deadlift``). Imported rows have origin
  ``free-exercise-db`` and credit the ``free-exercise-db`` source row, which carries the
  dataset's licence (the Unlicense) and is upserted with them.
* Curated content is never overwritten: a record whose slug belongs to a curated (or
  API-created) exercise is skipped, with the reason in the summary.
* A record that changed updates its row; an identical one is not written at all, so importing
  the same file twice changes nothing (no ``updated_at`` change, no revision bump).
* Records missing from a later file are left in place: an import adds and refreshes, it never
  deletes. A truncated or filtered file must not silently shrink the catalog, and clients may
  hold links to those exercises; removing them is a deliberate administrative act.
* ``images`` is accepted because the dataset has it, then dropped: the pictures are of unknown
  origin, so they are never stored, linked or served.
* The dataset has no summary, movement pattern, loading or balance side; those stay null rather
  than guessed. Its first instruction is a setup step, not a description, so it is not
  promoted to a summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.anatomy.models import JointAction, Muscle
from app.content.schema import Category, Level, MuscleRole
from app.db.session import run_sql
from app.exercises.models import Equipment, Exercise, ExerciseJointAction, ExerciseMuscle
from app.knowledge.models import Origin, Source
from app.knowledge.service import bump_revision, lock_content, refresh_search_vectors

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 10_000
# Beyond this many problems the list stops helping; the count of the rest is still given.
MAX_LISTED_PROBLEMS = 50
# Rows written per statement batch; also how often the progress callback fires.
WRITE_CHUNK = 250

SOURCE_SLUG = "free-exercise-db"

ProgressCallback = Callable[[int, int], None]
"""Called with (records processed, records in total) as the import advances."""

# --------------------------------------------------------------------------- vocabulary maps

DatasetMuscle = Literal[
    "abdominals",
    "abductors",
    "adductors",
    "biceps",
    "calves",
    "chest",
    "forearms",
    "glutes",
    "hamstrings",
    "lats",
    "lower back",
    "middle back",
    "neck",
    "quadriceps",
    "shoulders",
    "traps",
    "triceps",
]
DatasetEquipment = Literal[
    "medicine ball",
    "dumbbell",
    "body only",
    "bands",
    "kettlebells",
    "foam roll",
    "cable",
    "machine",
    "barbell",
    "exercise ball",
    "e-z curl bar",
    "other",
]
DatasetCategory = Literal[
    "powerlifting",
    "strength",
    "stretching",
    "cardio",
    "olympic weightlifting",
    "strongman",
    "plyometrics",
]
DatasetLevel = Literal["beginner", "intermediate", "expert"]
DatasetForce = Literal["pull", "push", "static"]
DatasetMechanic = Literal["compound", "isolation"]

# The dataset's 17 coarse groups onto our anatomy (muscles.yaml). Where the group names a whole
# muscle without saying which head works ("shoulders", "traps") it maps to the parent muscle,
# which the muscle filter matches together with its parts; naming a head would invent detail.
MUSCLES: dict[str, tuple[str, ...]] = {
    "abdominals": ("rectus-abdominis",),
    # Glute medius, glute minimus and TFL are not modelled; the upper fibres of the glute max
    # are the hip abductor we have. The dataset's own word stays in the document.
    "abductors": ("gluteus-maximus",),
    "adductors": ("adductors",),
    "biceps": ("biceps-brachii",),
    "calves": ("calves",),
    "chest": ("pectoralis-major",),
    # Mostly grip and wrist-curl work in the dataset.
    "forearms": ("forearm-flexors",),
    "glutes": ("gluteus-maximus",),
    "hamstrings": ("hamstrings",),
    "lats": ("latissimus-dorsi",),
    "lower back": ("erector-spinae",),
    "middle back": ("rhomboids", "trapezius-middle"),
    # The neck flexors and splenius are not modelled. The upper trapezius and levator scapulae
    # are the modelled muscles spanning the cervical spine, and the dataset's neck exercises are
    # mostly resisted extension, lateral flexion and stretches that load both.
    "neck": ("trapezius-upper", "levator-scapulae"),
    "quadriceps": ("quadriceps",),
    "shoulders": ("deltoid",),
    "traps": ("trapezius",),
    "triceps": ("triceps-brachii",),
}

# Only "body only" means no equipment. "other" and a missing value mean "unknown": they map to
# the `other` equipment item, so "doable with what I own" never claims them (an empty list
# would make them match "no equipment").
UNKNOWN_EQUIPMENT = "other"
EQUIPMENT: dict[str, tuple[str, ...]] = {
    "barbell": ("barbell",),
    "dumbbell": ("dumbbell",),
    "cable": ("cable",),
    "machine": ("machine",),
    "kettlebells": ("kettlebell",),
    "bands": ("resistance-band",),
    "e-z curl bar": ("ez-bar",),
    "medicine ball": ("medicine-ball",),
    "exercise ball": ("exercise-ball",),
    "foam roll": ("foam-roller",),
    "body only": (),
    "other": (UNKNOWN_EQUIPMENT,),
}
UNKNOWN_EQUIPMENT_NOTE = (
    "The dataset does not name this exercise's equipment; it is listed as `other` (unknown)."
)

CATEGORIES: dict[str, Category] = {
    "strength": Category.STRENGTH,
    "powerlifting": Category.POWERLIFTING,
    "olympic weightlifting": Category.OLYMPIC_WEIGHTLIFTING,
    "strongman": Category.STRONGMAN,
    "plyometrics": Category.PLYOMETRICS,
    "stretching": Category.STRETCHING,
    "cardio": Category.CARDIO,
}

LEVELS: dict[str, Level] = {
    "beginner": Level.BEGINNER,
    "intermediate": Level.INTERMEDIATE,
    "expert": Level.ADVANCED,
}

# Joint actions, inferred only where a primary muscle and the force leave one reading: a
# primary biceps that pulls flexes the elbow, a primary triceps that pushes extends it, and so
# on. Multi-joint groups (lats, glutes, hamstrings...) could mean several actions, so they get
# none, and stretches get none because they hold a position rather than perform the action.
JOINT_ACTIONS: dict[tuple[str, str], str] = {
    ("biceps", "pull"): "elbow-flexion",
    ("triceps", "push"): "elbow-extension",
    ("calves", "push"): "ankle-plantar-flexion",
    ("quadriceps", "push"): "knee-extension",
}

SOURCE_TITLE = "Free Exercise DB"
SOURCE_DOCUMENT: dict[str, Any] = {
    "slug": SOURCE_SLUG,
    "title": SOURCE_TITLE,
    "author": "yuhonas and the free-exercise-db contributors",
    "kind": "website",
    "url": "https://github.com/yuhonas/free-exercise-db",
    "license": "Unlicense",
    "license_url": "https://unlicense.org",
    "notes": (
        "Open public-domain dataset of exercises, imported by Spotter from its exercises.json "
        "(text fields only; its images are never stored or linked). Its exercises are kept "
        "apart from Spotter's curated ones and mapped onto Spotter's anatomy and equipment."
    ),
    "license_text": (
        "This is free and unencumbered software released into the public domain. Anyone is "
        "free to copy, modify, publish, use, compile, sell, or distribute this software, either "
        "in source code form or as a compiled binary, for any purpose, commercial or "
        "non-commercial, and by any means. In jurisdictions that recognize copyright laws, the "
        "author or authors of this software dedicate any and all copyright interest in the "
        "software to the public domain. We make this dedication for the benefit of the public "
        "at large and to the detriment of our heirs and successors. We intend this dedication "
        "to be an overt act of relinquishment in perpetuity of all present and future rights to "
        'this software under copyright law. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT '
        "WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES "
        "OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT "
        "SHALL THE AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN "
        "ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE "
        "SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE. For more information, please "
        "refer to <https://unlicense.org>"
    ),
}

# --------------------------------------------------------------------------- records


def slugify(record_id: str) -> str:
    """Our slug for a dataset id: lower-case words joined by single hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", record_id.lower()).strip("-")


class Record(BaseModel):
    """One exercise of the dataset, exactly as its ``schema.json`` describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: Annotated[
        str,
        StringConstraints(pattern=r"^[0-9A-Za-z_-]*[0-9A-Za-z][0-9A-Za-z_-]*$", max_length=120),
    ]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    force: DatasetForce | None = None
    level: DatasetLevel
    mechanic: DatasetMechanic | None
    equipment: DatasetEquipment | None
    primary_muscles: list[DatasetMuscle] = Field(
        alias="primaryMuscles", min_length=1, max_length=17
    )
    secondary_muscles: list[DatasetMuscle] = Field(alias="secondaryMuscles", max_length=17)
    instructions: list[Annotated[str, StringConstraints(max_length=4000)]] = Field(max_length=50)
    category: DatasetCategory
    # Accepted because the dataset has it; dropped right here (see the module docstring).
    images: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=50, exclude=True
    )

    @property
    def slug(self) -> str:
        return slugify(self.id)


# --------------------------------------------------------------------------- errors


class DatasetError(Exception):
    """The dataset cannot be imported (invalid file, or a knowledge base it cannot map onto)."""


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One thing wrong with the file: ``index`` and ``record_id`` name the record (``None`` for
    the file as a whole), ``field`` is a path such as ``primaryMuscles[0]``."""

    message: str
    index: int | None = None
    record_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where: list[str] = []
        if self.index is not None:
            label = f"record #{self.index}"
            if self.record_id is not None:
                label += f" (id {self.record_id!r})"
            where.append(label)
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return ": ".join([*where, self.message])


class DatasetValidationError(DatasetError):
    """The file is invalid; ``problems`` lists every problem found, in file order."""

    def __init__(self, source: str, problems: Sequence[RecordProblem]) -> None:
        self.source = source
        self.problems: tuple[RecordProblem, ...] = tuple(problems)
        count = len(self.problems)
        plural = "s" if count != 1 else ""
        lines = [f"invalid file {source}: {count} problem{plural}; nothing was imported"]
        lines.extend(f"  - {problem}" for problem in self.problems[:MAX_LISTED_PROBLEMS])
        if count > MAX_LISTED_PROBLEMS:
            lines.append(f"  - ... and {count - MAX_LISTED_PROBLEMS} more")
        super().__init__("\n".join(lines))


def _field_path(location: Iterable[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reject_constant(name: str) -> Any:
    msg = f"{name} is not valid JSON"
    raise ValueError(msg)


def read_records(path: Path) -> list[Record]:
    """Read and validate the whole file; raise :class:`DatasetValidationError` on any problem."""
    source = str(path)
    try:
        with path.open("rb") as stream:
            # Read one byte past the cap so an oversized file (or a stat that lies, as for a
            # pipe) is detected without reading all of it.
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DatasetValidationError(
            source, [RecordProblem(f"cannot read the file: {exc.strerror or exc}")]
        ) from exc
    return parse_records(data, source)


def parse_records(data: bytes, source: str = "<input>") -> list[Record]:
    """Validate the dataset given as JSON bytes; see :func:`read_records`."""
    if len(data) > MAX_FILE_BYTES:
        problem = RecordProblem(f"the file is larger than the {MAX_FILE_BYTES} byte limit")
        raise DatasetValidationError(source, [problem])
    try:
        raw = json.loads(data, parse_constant=_reject_constant)
    except ValueError as exc:  # also JSONDecodeError, UnicodeDecodeError and _reject_constant
        detail = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise DatasetValidationError(source, [RecordProblem(f"malformed JSON: {detail}")]) from exc
    if not isinstance(raw, list):
        problem = RecordProblem(f"expected a JSON array of records, got {type(raw).__name__}")
        raise DatasetValidationError(source, [problem])
    if len(raw) > MAX_RECORDS:
        problem = RecordProblem(f"{len(raw)} records exceed the limit of {MAX_RECORDS}")
        raise DatasetValidationError(source, [problem])

    problems: list[RecordProblem] = []
    records: list[Record] = []
    first_by_slug: dict[str, tuple[int, str]] = {}
    for index, item in enumerate(raw):
        record_id = item.get("id") if isinstance(item, dict) else None
        label = record_id if isinstance(record_id, str) else None
        if not isinstance(item, dict):
            problems.append(RecordProblem(f"expected an object, got {_short(item)}", index))
            continue
        try:
            record = Record.model_validate(item)
        except ValidationError as exc:
            problems.extend(
                RecordProblem(
                    f"{error['msg']} (got {_short(error['input'])})"
                    if error["type"] != "missing"
                    else error["msg"],
                    index,
                    label,
                    _field_path(error["loc"]) or None,
                )
                for error in exc.errors()
            )
            continue
        earlier = first_by_slug.setdefault(record.slug, (index, record.id))
        if earlier[0] != index:
            problems.append(
                RecordProblem(
                    f"slug {record.slug!r} is also the slug of record #{earlier[0]} "
                    f"(id {earlier[1]!r})",
                    index,
                    record.id,
                    "id",
                )
            )
            continue
        records.append(record)
    if problems:
        raise DatasetValidationError(source, problems)
    return records


# --------------------------------------------------------------------------- mapping


@dataclass(frozen=True, slots=True)
class _Planned:
    """A record translated into our columns and links."""

    index: int
    record_id: str
    values: dict[str, Any]
    muscles: dict[str, str]  # muscle slug -> role
    joint_actions: frozenset[str]

    @property
    def slug(self) -> str:
        slug: str = self.values["slug"]
        return slug


def _plan(index: int, record: Record) -> _Planned:
    muscles: dict[str, str] = {}
    for name in record.primary_muscles:
        for slug in MUSCLES[name]:
            muscles[slug] = MuscleRole.PRIMARY.value
    for name in record.secondary_muscles:
        for slug in MUSCLES[name]:
            # Two dataset groups can land on one muscle (glutes + abductors); primary wins.
            muscles.setdefault(slug, MuscleRole.SECONDARY.value)
    actions = frozenset(
        JOINT_ACTIONS[(name, record.force)]
        for name in record.primary_muscles
        if record.force is not None
        and record.category != "stretching"
        and (name, record.force) in JOINT_ACTIONS
    )
    equipment = list(EQUIPMENT[record.equipment or "other"])
    notes = [UNKNOWN_EQUIPMENT_NOTE] if record.equipment in {None, "other"} else []
    category = CATEGORIES[record.category].value
    level = LEVELS[record.level].value
    ordered_muscles = sorted(muscles.items(), key=lambda item: (item[1] != "primary", item[0]))
    document: dict[str, Any] = {
        "slug": record.slug,
        "name": record.name,
        "summary": None,
        "category": category,
        "mechanic": record.mechanic,
        "force": record.force,
        "level": level,
        "equipment": equipment,
        "muscles": [{"muscle": slug, "role": role} for slug, role in ordered_muscles],
        "joint_actions": sorted(actions),
        "instructions": [step.strip() for step in record.instructions if step.strip()],
        "sources": [SOURCE_SLUG],
        # The dataset's own words, so the mapping above can be audited or redone later.
        "dataset": {
            "name": SOURCE_SLUG,
            "id": record.id,
            "primary_muscles": list(record.primary_muscles),
            "secondary_muscles": list(record.secondary_muscles),
            "equipment": record.equipment,
            "level": record.level,
            "category": record.category,
        },
        "notes": notes,
    }
    values: dict[str, Any] = {
        "slug": record.slug,
        "name": record.name,
        "aliases": [],
        "category": category,
        "mechanic": record.mechanic,
        "force": record.force,
        "pattern": None,
        "side": None,
        "level": level,
        "loading": None,
        "axial_heavy": False,
        "top_pick_rank": None,
        "equipment": equipment,
        "document": document,
    }
    return _Planned(index, record.id, values, muscles, actions)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    index: int
    record_id: str
    slug: str
    reason: str


@dataclass
class ImportSummary:
    """What an import did, record by record (slugs), plus the new content revision if any."""

    total: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)
    source_changed: bool = False
    revision: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.source_changed)


def _text_array(name: str, values: Iterable[str]) -> sa.BindParameter[Any]:
    array: list[Any] = sorted(set(values))
    return sa.bindparam(name, array, type_=ARRAY(sa.Text()))


def _int_array(name: str, values: Iterable[int]) -> sa.BindParameter[Any]:
    array: list[Any] = list(values)
    return sa.bindparam(name, array, type_=ARRAY(sa.Integer()))


async def _ids_by_slug(
    session: AsyncSession, model: type[Any], slugs: Iterable[str], noun: str
) -> dict[str, int]:
    wanted = set(slugs)
    rows = await session.exec(
        select(model.slug, model.id).where(col(model.slug) == sa.any_(_text_array("slugs", wanted)))
    )
    ids: dict[str, int] = dict(rows.all())
    missing = sorted(wanted - ids.keys())
    if missing:
        msg = (
            f"the knowledge base has no {noun} {', '.join(missing)}; load the curated content "
            "first (spotter load-content)"
        )
        raise DatasetError(msg)
    return ids


async def _upsert_source(session: AsyncSession) -> bool:
    row = (await session.exec(select(Source).where(col(Source.slug) == SOURCE_SLUG))).first()
    if row is None:
        session.add(
            Source(
                slug=SOURCE_SLUG,
                title=SOURCE_TITLE,
                origin=Origin.FREE_EXERCISE_DB,
                document=SOURCE_DOCUMENT,
            )
        )
        return True
    # A curated row of that slug is the content files' to describe.
    if row.origin != Origin.FREE_EXERCISE_DB or (
        row.title == SOURCE_TITLE and row.document == SOURCE_DOCUMENT
    ):
        return False
    row.title = SOURCE_TITLE
    row.document = SOURCE_DOCUMENT
    return True


async def _current_links(
    session: AsyncSession, exercise_ids: Sequence[int]
) -> dict[int, tuple[dict[str, str], frozenset[str]]]:
    """Per exercise: muscle slug -> role, and joint action slugs, as stored now."""
    muscles: dict[int, dict[str, str]] = {i: {} for i in exercise_ids}
    actions: dict[int, set[str]] = {i: set() for i in exercise_ids}
    for exercise_id, slug, role in await run_sql(
        session,
        "SELECT em.exercise_id, m.slug, em.role FROM exercise_muscle em "
        "JOIN muscle m ON m.id = em.muscle_id WHERE em.exercise_id = ANY(:ids)",
        ids=list(exercise_ids),
    ):
        muscles[exercise_id][slug] = role
    for exercise_id, slug in await run_sql(
        session,
        "SELECT eja.exercise_id, ja.slug FROM exercise_joint_action eja "
        "JOIN joint_action ja ON ja.id = eja.joint_action_id WHERE eja.exercise_id = ANY(:ids)",
        ids=list(exercise_ids),
    ):
        actions[exercise_id].add(slug)
    return {i: (muscles[i], frozenset(actions[i])) for i in exercise_ids}


def _table(model: type[SQLModel]) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


async def _write_links(
    session: AsyncSession,
    planned: dict[int, _Planned],
    muscle_ids: dict[str, int],
    action_ids: dict[str, int],
) -> None:
    """Replace the muscle and joint-action links of the given exercises (id -> record)."""
    if not planned:
        return
    connection = await session.connection()
    ids = list(planned)
    muscle_table, action_table = _table(ExerciseMuscle), _table(ExerciseJointAction)
    await connection.execute(
        sa.delete(muscle_table).where(muscle_table.c.exercise_id == sa.any_(_int_array("ids", ids)))
    )
    await connection.execute(
        sa.delete(action_table).where(action_table.c.exercise_id == sa.any_(_int_array("ids", ids)))
    )
    muscle_rows = [
        {"exercise_id": exercise_id, "muscle_id": muscle_ids[slug], "role": role}
        for exercise_id, p in planned.items()
        for slug, role in p.muscles.items()
    ]
    action_rows = [
        {"exercise_id": exercise_id, "joint_action_id": action_ids[slug]}
        for exercise_id, p in planned.items()
        for slug in p.joint_actions
    ]
    if muscle_rows:
        await connection.execute(sa.insert(muscle_table), muscle_rows)
    if action_rows:
        await connection.execute(sa.insert(action_table), action_rows)


async def import_records(
    session: AsyncSession,
    records: Sequence[Record],
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Upsert validated ``records`` in the caller's transaction (never commits).

    Creates new exercises, updates the imported ones whose record changed, leaves identical
    ones untouched and skips records whose slug a curated or API-created exercise owns.
    ``progress`` is called with (records processed, total) after each batch.
    """
    await lock_content(session)
    planned = [_plan(index, record) for index, record in enumerate(records)]
    muscle_ids = await _ids_by_slug(
        session, Muscle, (s for p in planned for s in p.muscles), "muscles"
    )
    action_ids = await _ids_by_slug(
        session, JointAction, (s for p in planned for s in p.joint_actions), "joint actions"
    )
    await _ids_by_slug(
        session, Equipment, (s for p in planned for s in p.values["equipment"]), "equipment"
    )

    summary = ImportSummary(total=len(planned))
    summary.source_changed = await _upsert_source(session)
    existing = {
        row.slug: row
        for row in (
            await session.exec(
                select(Exercise).where(
                    col(Exercise.slug) == sa.any_(_text_array("slugs", (p.slug for p in planned)))
                )
            )
        ).all()
    }
    links = await _current_links(
        session,
        [
            r.id
            for r in existing.values()
            if r.id is not None and r.origin == Origin.FREE_EXERCISE_DB
        ],
    )

    connection = await session.connection()
    exercise_table = _table(Exercise)
    written: list[int] = []
    for start in range(0, len(planned), WRITE_CHUNK):
        chunk = planned[start : start + WRITE_CHUNK]
        new: list[_Planned] = []
        relink: dict[int, _Planned] = {}
        for p in chunk:
            row = existing.get(p.slug)
            if row is None:
                new.append(p)
            elif row.origin != Origin.FREE_EXERCISE_DB:
                owner = "a curated" if row.origin == Origin.CURATED else f"an {row.origin}"
                summary.skipped.append(
                    SkippedRecord(
                        p.index,
                        p.record_id,
                        p.slug,
                        f"slug {p.slug!r} belongs to {owner} exercise, which imports never "
                        "overwrite",
                    )
                )
            else:
                exercise_id = row.id
                if exercise_id is None:  # only unsaved rows lack an id; these were loaded
                    continue
                columns_differ = any(getattr(row, k) != v for k, v in p.values.items())
                if not columns_differ and links[exercise_id] == (p.muscles, p.joint_actions):
                    summary.unchanged.append(p.slug)
                    continue
                for key, value in p.values.items():
                    setattr(row, key, value)
                summary.updated.append(p.slug)
                relink[exercise_id] = p
        if new:
            result = await connection.execute(
                sa.insert(exercise_table).returning(exercise_table.c.id, exercise_table.c.slug),
                [{**p.values, "origin": Origin.FREE_EXERCISE_DB.value} for p in new],
            )
            ids = {slug: exercise_id for exercise_id, slug in result.all()}
            relink.update({ids[p.slug]: p for p in new})
            summary.created.extend(p.slug for p in new)
        await session.flush()
        await _write_links(session, relink, muscle_ids, action_ids)
        written.extend(relink)
        if progress is not None:
            progress(start + len(chunk), len(planned))

    await refresh_search_vectors(session, "exercise", written)
    if summary.changed:
        summary.revision = await bump_revision(session)
    return summary


async def import_free_exercise_db(
    session: AsyncSession, path: Path, progress: ProgressCallback | None = None
) -> ImportSummary:
    """Validate the file at ``path`` entirely, then import it (see :func:`import_records`)."""
    return await import_records(session, read_records(path), progress)
