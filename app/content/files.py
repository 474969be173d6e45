"""Read the knowledge-base data files and validate them into one :class:`ContentBundle`.

Pure: reads files, touches no database. Every file is YAML (``yaml.safe_load`` semantics, plus
duplicate mapping keys rejected) whose top level is a list of items of one kind:

==========================  ======================  =====================
file                        model                   bundle field
==========================  ======================  =====================
``sources.yaml``            :class:`Source`         ``sources``
``joint_actions.yaml``      :class:`JointAction`    ``joint_actions``
``muscles.yaml``            :class:`Muscle`         ``muscles``
``equipment.yaml``          :class:`Equipment`      ``equipment``
``exercises/*.yaml``        :class:`Exercise`       ``exercises``
``tips.yaml``               :class:`Tip`            ``tips``
``benefits.yaml``           :class:`Benefit`        ``benefits``
``anatomy_notes.yaml``      :class:`AnatomyNote`    ``anatomy_notes``
``strategies.yaml``         :class:`Strategy`       ``strategies``
``routines.yaml``           :class:`Routine`        ``routines``
==========================  ======================  =====================

:func:`load_content` validates every item, then every cross-reference, collects **all** problems
and raises one :class:`ContentError` listing each with its file, item (slug and index) and field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.content.schema import (
    BODYWEIGHT_LOADINGS,
    AnatomyNote,
    Benefit,
    ContentBundle,
    Equipment,
    Exercise,
    JointAction,
    Muscle,
    MuscleRole,
    Routine,
    Source,
    Strategy,
    Tip,
)

DEFAULT_DIRECTORY = Path(__file__).parent / "data"
EXERCISES_DIRECTORY = "exercises"

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class _Kind:
    field: str  # ContentBundle field
    path: str  # file, or directory of files, relative to the content directory
    model: type[BaseModel]
    noun: str  # how messages name an item of this kind

    @property
    def is_directory(self) -> bool:
        return not self.path.endswith(".yaml")


KINDS: tuple[_Kind, ...] = (
    _Kind("sources", "sources.yaml", Source, "source"),
    _Kind("joint_actions", "joint_actions.yaml", JointAction, "joint action"),
    _Kind("muscles", "muscles.yaml", Muscle, "muscle"),
    _Kind("equipment", "equipment.yaml", Equipment, "equipment"),
    _Kind("exercises", EXERCISES_DIRECTORY, Exercise, "exercise"),
    _Kind("tips", "tips.yaml", Tip, "tip"),
    _Kind("benefits", "benefits.yaml", Benefit, "benefit"),
    _Kind("anatomy_notes", "anatomy_notes.yaml", AnatomyNote, "anatomy note"),
    _Kind("strategies", "strategies.yaml", Strategy, "strategy"),
    _Kind("routines", "routines.yaml", Routine, "routine"),
)


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class ContentProblem:
    """One thing wrong with the content. ``item`` is ``"'slug' (#index)"`` or ``"#index"``;
    ``field`` is a dotted path such as ``muscles[0].muscle`` (``None`` for the item or file)."""

    file: str
    message: str
    item: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.item is not None:
            where += f": item {self.item}"
        if self.field is not None:
            where += f": field '{self.field}'"
        return f"{where}: {self.message}"


class ContentError(Exception):
    """The content files are invalid. ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        self.problems: tuple[ContentProblem, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"invalid content: {count} problem{'s' if count != 1 else ''}"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------- YAML


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str) -> object:
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True, slots=True)
class _Located:
    item: Any  # the validated model instance
    file: str
    index: int

    @property
    def label(self) -> str:
        return _label(getattr(self.item, "slug", None), self.index)


def _label(slug: object, index: int) -> str:
    if isinstance(slug, str) and slug:
        return f"'{slug}' (#{index})"
    return f"#{index}"


def _field_path(loc: Iterable[int | str]) -> str | None:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or None


class _Reader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[ContentProblem] = []
        # Slugs of every item that has one, valid or not: references to an item that failed its
        # own validation are not reported a second time as unknown.
        self.declared: dict[str, set[str]] = defaultdict(set)
        self.items: dict[str, list[_Located]] = defaultdict(list)

    def problem(
        self, file: str, message: str, item: str | None = None, field: str | None = None
    ) -> None:
        self.problems.append(ContentProblem(file=file, message=message, item=item, field=field))

    def files_of(self, kind: _Kind) -> list[Path]:
        target = self.directory / kind.path
        if not kind.is_directory:
            if not target.is_file():
                self.problem(kind.path, "file is missing")
                return []
            return [target]
        files = sorted(target.glob("*.yaml")) if target.is_dir() else []
        if not files:
            self.problem(kind.path, "directory is missing or holds no .yaml files")
        return files

    def read(self) -> None:
        for kind in KINDS:
            for path in self.files_of(kind):
                self.read_file(kind, path)
        self.report_unexpected_files()

    def report_unexpected_files(self) -> None:
        expected = {kind.path for kind in KINDS if not kind.is_directory}
        for path in sorted(self.directory.glob("*.yaml")):
            if path.name not in expected:
                self.problem(path.name, "unexpected file: not one of the content files")

    def read_file(self, kind: _Kind, path: Path) -> None:
        rel = path.relative_to(self.directory).as_posix()
        try:
            data = _parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self.problem(rel, f"cannot read YAML: {exc}")
            return
        if not isinstance(data, list):
            self.problem(rel, f"top level must be a list of {kind.noun} items")
            return
        for index, raw in enumerate(data):
            slug = raw.get("slug") if isinstance(raw, dict) else None
            label = _label(slug, index)
            if isinstance(slug, str):
                self.declared[kind.field].add(slug)
            if not isinstance(raw, dict):
                self.problem(rel, f"must be a mapping, not {type(raw).__name__}", label)
                continue
            try:
                item = kind.model.model_validate(raw)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    self.problem(rel, error["msg"], label, _field_path(error["loc"]))
                continue
            self.items[kind.field].append(_Located(item, rel, index))


# --------------------------------------------------------------------------- cross-references


class _Checker:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.by_slug: dict[str, dict[str, _Located]] = {}
        for kind in KINDS:
            table: dict[str, _Located] = {}
            for located in reader.items[kind.field]:
                slug: str = located.item.slug
                first = table.get(slug)
                if first is not None:
                    self.problem(
                        located,
                        "slug",
                        f"duplicate {kind.noun} slug '{slug}' (first defined in {first.file} "
                        f"#{first.index})",
                    )
                    continue
                table[slug] = located
            self.by_slug[kind.field] = table

    def problem(self, located: _Located, field: str | None, message: str) -> None:
        self.reader.problem(located.file, message, located.label, field)

    def models(self, field: str) -> list[_Located]:
        return list(self.by_slug[field].values())

    def ref(self, located: _Located, field: str, slug: str | None, kind_field: str) -> None:
        if slug is None or slug in self.reader.declared[kind_field]:
            return
        noun = next(kind.noun for kind in KINDS if kind.field == kind_field)
        self.problem(located, field, f"unknown {noun} '{slug}'")

    def refs(self, located: _Located, field: str, slugs: Sequence[str], kind_field: str) -> None:
        for index, slug in enumerate(slugs):
            self.ref(located, f"{field}[{index}]", slug, kind_field)

    def check(self) -> None:
        for kind in KINDS:
            for located in self.models(kind.field):
                sources = getattr(located.item, "sources", None)
                if sources is not None:
                    self.refs(located, "sources", sources, "sources")
        self.check_muscles()
        self.check_exercises()
        self.check_tips()
        self.check_benefits_and_notes()
        self.check_strategies()
        self.check_routines()
        self.check_alias_collisions("muscles")
        self.check_alias_collisions("exercises")

    def check_muscles(self) -> None:
        muscles = self.by_slug["muscles"]
        for located in muscles.values():
            muscle: Muscle = located.item
            for index, function in enumerate(muscle.functions):
                field = f"functions[{index}].joint_action"
                self.ref(located, field, function.joint_action, "joint_actions")
            if muscle.parent is None:
                continue
            if muscle.parent == muscle.slug:
                self.problem(located, "parent", "a muscle cannot be its own parent")
                continue
            self.ref(located, "parent", muscle.parent, "muscles")
            parent = muscles.get(muscle.parent)
            if parent is not None and parent.item.parent is not None:
                self.problem(
                    located,
                    "parent",
                    f"parent '{muscle.parent}' has a parent itself; parts nest one level deep",
                )

    def muscle_actions(self) -> dict[str, set[str]]:
        """Joint actions of each muscle, a parent's including its parts'."""
        actions: dict[str, set[str]] = defaultdict(set)
        for located in self.models("muscles"):
            muscle: Muscle = located.item
            own = {f.joint_action for f in muscle.functions}
            actions[muscle.slug] |= own
            if muscle.parent is not None:
                actions[muscle.parent] |= own
        return actions

    def check_exercises(self) -> None:
        exercises = self.by_slug["exercises"]
        muscle_actions = self.muscle_actions()
        ranks: dict[int, _Located] = {}
        for located in exercises.values():
            exercise: Exercise = located.item
            self.refs(located, "equipment", exercise.equipment, "equipment")
            for index, alternative in enumerate(exercise.equipment_alternatives):
                self.refs(located, f"equipment_alternatives[{index}]", alternative, "equipment")
            self.refs(located, "joint_actions", exercise.joint_actions, "joint_actions")
            self.refs(located, "tips", exercise.tips, "tips")
            for index, link in enumerate(exercise.muscles):
                field = f"muscles[{index}].muscle"
                self.ref(located, field, link.muscle, "muscles")
                known = muscle_actions.get(link.muscle)
                if (
                    link.role is MuscleRole.PRIMARY
                    and known
                    and not known & set(exercise.joint_actions)
                ):
                    self.problem(
                        located,
                        field,
                        f"primary muscle '{link.muscle}' performs none of the exercise's "
                        "joint actions",
                    )
            self.check_links(located, exercise, exercises)
            self.check_ladder(located, exercise)
            if exercise.top_pick_rank is not None:
                first = ranks.setdefault(exercise.top_pick_rank, located)
                if first is not located:
                    self.problem(
                        located,
                        "top_pick_rank",
                        f"rank {exercise.top_pick_rank} already given to {first.item.slug}",
                    )

    def check_links(
        self, located: _Located, exercise: Exercise, exercises: Mapping[str, _Located]
    ) -> None:
        for field in ("regressions", "progressions", "variations"):
            slugs: list[str] = getattr(exercise, field)
            for index, slug in enumerate(slugs):
                if slug == exercise.slug:
                    self.problem(located, f"{field}[{index}]", "an exercise cannot link to itself")
                else:
                    self.ref(located, f"{field}[{index}]", slug, "exercises")
        for index, slug in enumerate(exercise.progressions):
            if slug in exercise.regressions:
                self.problem(
                    located,
                    f"progressions[{index}]",
                    f"'{slug}' is listed as both a regression and a progression",
                )
        for index, slug in enumerate(exercise.regressions):
            other = exercises.get(slug)
            if slug != exercise.slug and other and exercise.slug in other.item.regressions:
                self.problem(
                    located,
                    f"regressions[{index}]",
                    f"'{slug}' and '{exercise.slug}' are each listed as the other's regression",
                )

    def check_ladder(self, located: _Located, exercise: Exercise) -> None:
        if exercise.ladder and exercise.loading not in BODYWEIGHT_LOADINGS:
            self.problem(located, "ladder", "ladders apply to bodyweight-based loading only")
        for index, step in enumerate(exercise.ladder):
            if step.step != index + 1:
                self.problem(
                    located,
                    f"ladder[{index}].step",
                    f"steps must be numbered 1, 2, 3... in order; expected {index + 1}",
                )
            self.ref(located, f"ladder[{index}].exercise", step.exercise, "exercises")

    def check_tips(self) -> None:
        for located in self.models("tips"):
            tip: Tip = located.item
            self.refs(located, "exercises", tip.exercises, "exercises")
            self.refs(located, "muscles", tip.muscles, "muscles")
            for index, exception in enumerate(tip.exceptions):
                field = f"exceptions[{index}].exercise"
                self.ref(located, field, exception.exercise, "exercises")

    def check_benefits_and_notes(self) -> None:
        for located in self.models("benefits"):
            benefit: Benefit = located.item
            self.refs(located, "muscles", benefit.muscles, "muscles")
            self.refs(located, "exercises", benefit.exercises, "exercises")
        for located in self.models("anatomy_notes"):
            note: AnatomyNote = located.item
            self.refs(located, "muscles", note.muscles, "muscles")
            self.refs(located, "joint_actions", note.joint_actions, "joint_actions")

    def check_strategies(self) -> None:
        levels: dict[str, _Located] = {}
        for located in self.models("strategies"):
            strategy: Strategy = located.item
            recommended = strategy.recommended_exercises
            self.refs(located, "recommended_exercises", recommended, "exercises")
            self.refs(located, "anchor_exercises", strategy.anchor_exercises, "exercises")
            self.refs(located, "routines", strategy.routines, "routines")
            first = levels.setdefault(strategy.level, located)
            if first is not located:
                self.problem(
                    located, "level", f"level {strategy.level} is covered by {first.item.slug}"
                )

    def check_routines(self) -> None:
        for located in self.models("routines"):
            routine: Routine = located.item
            for day_index, day in enumerate(routine.days):
                for index, entry in enumerate(day.entries):
                    field = f"days[{day_index}].entries[{index}]"
                    self.ref(located, f"{field}.exercise", entry.exercise, "exercises")
                    self.refs(located, f"{field}.alternatives", entry.alternatives, "exercises")

    def check_alias_collisions(self, kind_field: str) -> None:
        """A search term (slug, name or alias) must point at one item only."""
        owners: dict[str, str] = {}
        for located in self.models(kind_field):
            item = located.item
            terms: list[tuple[str, str]] = [("slug", item.slug), ("name", item.name)]
            terms += [(f"aliases[{i}]", alias) for i, alias in enumerate(item.aliases)]
            own: set[str] = set()
            for field, term in terms:
                key = " ".join(term.casefold().replace("-", " ").split())
                owner = owners.get(key)
                if owner is not None and owner != item.slug:
                    self.problem(located, field, f"'{term}' also names '{owner}'")
                own.add(key)
            for key in own:
                owners.setdefault(key, item.slug)


# --------------------------------------------------------------------------- public API


def _sorted(items: Iterable[_Located], key: Callable[[Any], str]) -> list[Any]:
    return sorted((located.item for located in items), key=key)


def load_content(directory: Path | None = None) -> ContentBundle:
    """Read and validate every content file under ``directory`` (default: the packaged data).

    Raises :class:`ContentError` listing every problem found (file, item, field, message).
    """
    reader = _Reader(DEFAULT_DIRECTORY if directory is None else directory)
    reader.read()
    checker = _Checker(reader)
    checker.check()
    if reader.problems:
        raise ContentError(reader.problems)
    fields = {
        kind.field: _sorted(checker.by_slug[kind.field].values(), key=lambda item: item.slug)
        for kind in KINDS
    }
    return ContentBundle.model_validate(fields)


def content_fingerprint(bundle: ContentBundle) -> str:
    """The bundle's content version: sha256 (hex) of its canonical JSON."""
    return bundle.fingerprint


# The name problems of the checked item carry, so they can be told from stored items' problems.
CHECKED_ITEM_FILE = "<request>"


def check_item_against(
    item: BaseModel,
    kind_field: str,
    stored: Mapping[str, Sequence[BaseModel]],
    declared: Mapping[str, Iterable[str]],
) -> list[ContentProblem]:
    """Check one validated item's cross-references with the loader's own rules, against content
    that is already stored rather than files (the administrators' API writes one item at a time).

    ``stored`` holds, per bundle field, the validated items the rules compare with (other
    exercises for ranks, links and aliases; muscles for the joint actions they perform);
    ``declared`` holds every existing slug per bundle field, whatever its origin. A stored item
    with the checked item's slug is the version being replaced and is left out. Only the checked
    item's problems are returned: stored content is not this request's fault.
    """
    slug = str(getattr(item, "slug", ""))
    reader = _Reader(DEFAULT_DIRECTORY)
    for field, slugs in declared.items():
        reader.declared[field].update(slugs)
    reader.declared[kind_field].add(slug)
    for field, items in stored.items():
        for index, other in enumerate(items):
            if field == kind_field and getattr(other, "slug", None) == slug:
                continue
            reader.items[field].append(_Located(other, "stored", index))
    # Last, so that a rank or alias some stored item already holds is reported on this item.
    reader.items[kind_field].append(_Located(item, CHECKED_ITEM_FILE, 0))
    _Checker(reader).check()
    return [problem for problem in reader.problems if problem.file == CHECKED_ITEM_FILE]
