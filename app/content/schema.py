"""Pydantic models for the knowledge-base data files (``app/content/data``).

Every file is YAML whose top level is a **list of items** of one kind; the loader in
:mod:`app.content.files` validates each item against the model below, then checks every
cross-reference between files. Models are frozen and forbid unknown fields, so a typo in a field
name is an error rather than silently ignored data.

Conventions shared by all models:

* ``slug`` is the stable identifier clients, the recommender and the database loader (upsert by
  slug) use. Lowercase words joined by single hyphens (:data:`SLUG_PATTERN`).
* ``sources`` lists :class:`Source` slugs. Every item derived from the source article credits
  :data:`ARTICLE_SOURCE_SLUG`.
* Closed vocabularies are ``StrEnum`` classes; their values are what the files and the API use.
* List order is meaningful where it says so (instructions are numbered by position, ladder steps
  and routine days are in training order); otherwise the loader sorts items by slug.
* **No equipment** is modelled as an empty ``equipment`` list; there is deliberately no
  ``body-only`` equipment item, so "only what I own" filtering is a plain subset test and
  "no equipment" is ``equipment == []``.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.recommender.enums import Loading, ModificationKind, Pattern, RoutineProfile, Side
from app.schema_docs import documented

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ARTICLE_SOURCE_SLUG = "king-of-the-gym-back-training"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Alias = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Url = Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=300)]
Count = Annotated[int, Field(strict=True, ge=1, le=100)]


def _no_duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for value in values:
        key = str(value).casefold()
        if key in seen and value not in dup:
            dup.append(value)
        seen.add(key)
    if dup:
        msg = f"duplicate entries: {', '.join(str(d) for d in dup)}"
        raise ValueError(msg)
    return values


SlugList = Annotated[list[Slug], AfterValidator(_no_duplicates)]
AliasList = Annotated[list[Alias], AfterValidator(_no_duplicates)]
Reps = Annotated[int, Field(strict=True, ge=1, le=100)]


# --------------------------------------------------------------------------- vocabularies


@documented(
    SHOULDER="The shoulder (glenohumeral) joint.",
    SCAPULA="The shoulder blade moving on the rib cage.",
    SPINE="The spine, from neck to lower back.",
    ELBOW="The elbow: bending and straightening the arm.",
    FOREARM="The forearm's radioulnar joints: turning the palm up or down.",
    WRIST="The wrist joint, between forearm and hand.",
    HAND="The finger joints, as used in gripping.",
    HIP="The hip joint.",
    KNEE="The knee joint.",
    ANKLE="The ankle joint.",
)
class Joint(StrEnum):
    """The joint (or joint complex) a joint action moves."""

    SHOULDER = "shoulder"
    SCAPULA = "scapula"
    SPINE = "spine"
    ELBOW = "elbow"
    FOREARM = "forearm"  # the radioulnar joints: supination and pronation
    WRIST = "wrist"
    HAND = "hand"  # the finger joints: grip
    HIP = "hip"
    KNEE = "knee"
    ANKLE = "ankle"


@documented(
    SAGITTAL="Forward and backward movement, such as curls and rows.",
    FRONTAL="Sideways movement, such as lateral raises and pull-ups.",
    TRANSVERSE="Rotation, such as turning the torso or arm.",
)
class Plane(StrEnum):
    """The anatomical plane a joint action moves in."""

    SAGITTAL = "sagittal"
    FRONTAL = "frontal"
    TRANSVERSE = "transverse"


@documented(
    BACK="Back: lats, traps, rhomboids, rear shoulders, teres and spinal erectors.",
    CHEST="Chest: the pectoral muscles.",
    SHOULDERS="Shoulders: the deltoids and rotator cuff.",
    ARMS="Arms: biceps, triceps and forearms.",
    CORE="Core: abdominal and trunk muscles.",
    LEGS="Legs: hips, thighs and calves.",
)
class MuscleGroup(StrEnum):
    """The broad muscle group a muscle belongs to, as used for filtering and weekly volume."""

    BACK = "back"
    CHEST = "chest"
    SHOULDERS = "shoulders"
    ARMS = "arms"
    CORE = "core"
    LEGS = "legs"


@documented(
    NECK="The neck, between head and shoulders.",
    UPPER_BACK="The upper back, around the shoulder blades.",
    MIDDLE_BACK="The middle back.",
    LOWER_BACK="The lower back.",
    CHEST="The front of the upper torso.",
    SHOULDER="The shoulder.",
    UPPER_ARM="The upper arm.",
    FOREARM="The forearm.",
    ABDOMEN="The abdomen.",
    HIP="The hip and buttocks.",
    THIGH="The thigh, between hip and knee.",
    LOWER_LEG="The lower leg, below the knee.",
)
class Region(StrEnum):
    """The area of the body where a muscle lies."""

    NECK = "neck"
    UPPER_BACK = "upper-back"
    MIDDLE_BACK = "middle-back"
    LOWER_BACK = "lower-back"
    CHEST = "chest"
    SHOULDER = "shoulder"
    UPPER_ARM = "upper-arm"
    FOREARM = "forearm"
    ABDOMEN = "abdomen"
    HIP = "hip"
    THIGH = "thigh"
    LOWER_LEG = "lower-leg"


@documented(
    FRONT="Drawn on the front view of the body.",
    BACK="Drawn on the back view of the body.",
)
class BodyView(StrEnum):
    """The body chart (front or back) on which the muscle is drawn."""

    FRONT = "front"
    BACK = "back"


@documented(
    PRIME_MOVER="The main muscle producing the movement.",
    SYNERGIST="Assists the prime mover.",
    STABILIZER="Holds a joint steady while others produce the movement.",
)
class FunctionRole(StrEnum):
    """How a muscle contributes to a joint action."""

    PRIME_MOVER = "prime_mover"
    SYNERGIST = "synergist"
    STABILIZER = "stabilizer"


@documented(
    PRIMARY="A main target of the exercise; each hard set counts as 1 set of weekly volume.",
    SECONDARY="Trained to a lesser degree; each hard set counts as half a set.",
)
class MuscleRole(StrEnum):
    """How much an exercise trains a muscle."""

    PRIMARY = "primary"
    SECONDARY = "secondary"


@documented(
    STRENGTH="General strength training.",
    POWERLIFTING="The powerlifts (squat, bench press, deadlift) and their close variants.",
    OLYMPIC_WEIGHTLIFTING="The Olympic lifts (snatch, clean and jerk) and their drills.",
    STRONGMAN="Strongman events such as carries and stone lifts.",
    PLYOMETRICS="Jumps and other explosive movements.",
    STRETCHING="Mobility and stretching.",
    CARDIO="Conditioning and endurance work.",
)
class Category(StrEnum):
    """Broad exercise category (the values public exercise datasets such as free-exercise-db
    use)."""

    STRENGTH = "strength"
    POWERLIFTING = "powerlifting"
    OLYMPIC_WEIGHTLIFTING = "olympic_weightlifting"
    STRONGMAN = "strongman"
    PLYOMETRICS = "plyometrics"
    STRETCHING = "stretching"
    CARDIO = "cardio"


@documented(
    COMPOUND="Moves several joints, training several muscle groups at once.",
    ISOLATION="Moves a single joint, targeting one muscle group.",
)
class Mechanic(StrEnum):
    """Whether an exercise moves one joint or several."""

    COMPOUND = "compound"
    ISOLATION = "isolation"


@documented(
    PULL="The load is pulled towards the body.",
    PUSH="The load is pushed away from the body.",
    STATIC="A position is held without moving.",
)
class Force(StrEnum):
    """The direction of force an exercise applies."""

    PULL = "pull"
    PUSH = "push"
    STATIC = "static"


@documented(
    BEGINNER="Suitable for someone new to strength training.",
    INTERMEDIATE="For someone with a solid base who no longer progresses every session.",
    ADVANCED="For experienced lifters with well-practised technique.",
)
class Level(StrEnum):
    """The training level an exercise, tip or strategy is aimed at."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


BODYWEIGHT_LOADINGS = frozenset(
    {Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT, Loading.ASSISTED},
)


@documented(
    TECHNIQUE="How to perform a movement.",
    POSTURE="Body position and alignment.",
    PROGRAMMING="Choosing exercises, sets, reps and progression.",
    SAFETY="Avoiding injury.",
)
class TipCategory(StrEnum):
    """The subject a tip is about."""

    TECHNIQUE = "technique"
    POSTURE = "posture"
    PROGRAMMING = "programming"
    SAFETY = "safety"


class VariantCode(StrEnum):
    A = "a"
    B = "b"


@documented(
    ARTICLE="A published article or blog post.",
    BOOK="A printed or electronic book.",
    WEBSITE="A website or online tool.",
    FORUM_POST="A post in an online forum or community.",
)
class SourceKind(StrEnum):
    """What kind of publication a source is."""

    ARTICLE = "article"
    BOOK = "book"
    WEBSITE = "website"
    FORUM_POST = "forum_post"


class RoutineKind(StrEnum):
    """``established``: a published program a beginner may choose as is (article: choose, don't
    invent). ``template``: an editorial template, e.g. the intermediate back day."""

    ESTABLISHED = "established"
    TEMPLATE = "template"


# --------------------------------------------------------------------------- base


class ContentModel(BaseModel):
    """Base for every content model: frozen, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- sources


class Source(ContentModel):
    """Where content comes from. ``sources.yaml``."""

    slug: Slug
    title: Name
    author: Name
    kind: SourceKind
    publisher: Name | None = None
    url: Url | None = None
    year: Annotated[int, Field(strict=True, ge=1900, le=2100)] | None = None
    notes: Text | None = None


# --------------------------------------------------------------------------- anatomy


class JointAction(ContentModel):
    """A movement of one joint, such as shoulder extension."""

    # A movement of one joint, e.g. shoulder extension. ``joint_actions.yaml``.

    slug: Slug = Field(description="Stable identifier, lowercase words joined by hyphens.")
    name: Name = Field(description="Display name.")
    joint: Joint = Field(description="The joint that moves.")
    plane: Plane = Field(description="The plane it moves in.")
    aliases: AliasList = Field(
        default_factory=list, max_length=10, description="Other names it is known by."
    )
    description: Text = Field(description="What the movement is, in plain words.")
    sources: SlugList = Field(
        default_factory=list,
        max_length=10,
        description="Slugs of the sources it is based on (see `/v1/sources`).",
    )


class MuscleFunction(ContentModel):
    """A muscle's contribution to a joint action."""

    joint_action: Slug = Field(description="Slug of the joint action.")
    role: FunctionRole
    note: ShortText | None = Field(
        default=None, description="Extra detail on how the muscle contributes, if any."
    )


class Muscle(ContentModel):
    """A muscle, or one head or part of a muscle, with what it does."""

    # A muscle, head or fibre part. ``muscles.yaml``.
    #
    # ``parent`` links a head or fibre part to its whole muscle (one level deep: a parent has no
    # parent). Parents carry the functions of the whole muscle; parts carry their own.

    slug: Slug = Field(description="Stable identifier, lowercase words joined by hyphens.")
    name: Name = Field(description="Display name.")
    aliases: AliasList = Field(
        default_factory=list, max_length=15, description="Other names it is known by."
    )
    group: MuscleGroup = Field(description="The broad muscle group it belongs to.")
    region: Region | None = Field(
        default=None, description="Where on the body it lies; null when it spans several regions."
    )
    parent: Slug | None = Field(
        default=None,
        description="For a head or part: the slug of the whole muscle (one level deep); null for "
        "a whole muscle.",
    )
    view: BodyView
    description: Text = Field(description="What the muscle is and does, in plain words.")
    functions: list[MuscleFunction] = Field(
        min_length=1, max_length=12, description="The joint actions it contributes to, and how."
    )
    sources: SlugList = Field(
        default_factory=list,
        max_length=10,
        description="Slugs of the sources it is based on (see `/v1/sources`).",
    )

    @field_validator("functions")
    @classmethod
    def _one_function_per_action(cls, functions: list[MuscleFunction]) -> list[MuscleFunction]:
        _no_duplicates([f.joint_action for f in functions])
        return functions


class AnatomyNote(ContentModel):
    """A piece of explanatory anatomy (what the back does, posture). ``anatomy_notes.yaml``."""

    slug: Slug
    title: Name
    summary: ShortText
    body: LongText
    points: list[Text] = Field(default_factory=list, max_length=12)
    muscles: SlugList = Field(default_factory=list, max_length=30)
    joint_actions: SlugList = Field(default_factory=list, max_length=30)
    sources: SlugList = Field(default_factory=list, max_length=10)


# --------------------------------------------------------------------------- equipment


class Equipment(ContentModel):
    """A piece of gym equipment. ``equipment.yaml``. See the module docstring on "no equipment"."""

    slug: Slug
    name: Name
    aliases: AliasList = Field(default_factory=list, max_length=10)
    description: ShortText


# --------------------------------------------------------------------------- exercises


class ExerciseMuscle(ContentModel):
    """A muscle an exercise trains, and how much."""

    muscle: Slug = Field(description="Slug of the muscle (see `/v1/muscles`).")
    role: MuscleRole


class CommonMistake(ContentModel):
    """A frequent error in performing an exercise, why it matters and how to correct it."""

    mistake: ShortText = Field(description="What goes wrong.")
    why: Text = Field(description="Why it is a problem.")
    fix: Text = Field(description="How to correct it.")


class RepRange(ContentModel):
    """A range of reps per set, both ends included."""

    low: Reps = Field(description="Fewest reps per set (1-100).")
    high: Reps = Field(description="Most reps per set (1-100), at least `low`.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            msg = f"low ({self.low}) must not exceed high ({self.high})"
            raise ValueError(msg)
        return self


class LadderStep(ContentModel):
    """One rung of a bodyweight exercise's progression ladder, easiest first."""

    # One rung of a bodyweight ladder (recommender §11). ``step`` numbers rungs 1, 2, 3... in
    # order. ``exercise`` names the catalog exercise the rung is performed as when it differs from
    # the owning exercise (e.g. the pull-up ladder starts on ``assisted-pull-up``).

    step: Count = Field(description="Position on the ladder, 1 for the easiest rung.")
    name: Name = Field(description="Display name of the rung.")
    setup: Text = Field(description="How to set up the rung.")
    exercise: Slug | None = Field(
        default=None,
        description="Slug of the exercise the rung is performed as, when it differs from the "
        "ladder's own exercise (such as an assisted pull-up); null otherwise.",
    )
    target_sets: Count = Field(description="Sets to do on this rung.")
    target_reps: RepRange = Field(description="Reps per set to aim for on this rung.")
    load_increment_kg: Annotated[float, Field(gt=0, le=20)] | None = Field(
        default=None,
        description="Load added per step on a loaded rung, in kg; null for unloaded rungs.",
    )
    advance_when: Text = Field(description="When to move on to the next rung.")


class Exercise(ContentModel):
    """An exercise as stored in the knowledge base: how to do it, what it trains, what it
    needs and how it progresses."""

    # An exercise. ``exercises/*.yaml`` (grouped by movement pattern).
    #
    # * ``equipment``: everything required, all of it (empty = no equipment).
    #   ``equipment_alternatives``: other complete sets that also work (e.g. a Smith machine instead
    #   of barbell + rack for inverted rows). "Only what I own" matches if any set is owned.
    # * ``instructions`` are numbered by position (step 1 first).
    # * ``axial_heavy``: the spine carries a heavy load in an unsupported position (bar on the back
    #   or a hinged torso), so a failed or sloppy rep endangers the lower back. True for the
    #   deadlift family, barbell/T-bar/Pendlay rows, good mornings and the back squat; false for
    #   presses, supported rows, pulls and shrugs. The recommender never sends these to failure.
    # * ``bodyweight_factor``: required for bodyweight-based loading (bodyweight, weighted
    #   bodyweight, assisted), forbidden otherwise. It approximates the share of bodyweight moved;
    #   the real share depends on body proportions and setup.
    # * ``rep_range``: the intermediate default for double progression (recommender §5.2).
    # * ``top_pick_rank``: the article's ranking of the five best back exercises (1-5), else null.
    # * ``ladder``: bodyweight ladder rungs in order (recommender §11), empty when not applicable.

    slug: Slug = Field(description="Stable identifier, lowercase words joined by hyphens.")
    name: Name = Field(description="Display name.")
    aliases: AliasList = Field(
        default_factory=list, max_length=15, description="Other names it is known by."
    )
    summary: Text = Field(description="One or two sentences on what the exercise is.")
    category: Category
    mechanic: Mechanic
    force: Force
    pattern: Pattern
    side: Side
    level: Level
    equipment: SlugList = Field(
        max_length=8,
        description="Slugs of everything it needs, all of it; empty means no equipment.",
    )
    # Each alternative is a complete equipment set, bounded like `equipment` itself.
    equipment_alternatives: list[Annotated[list[Slug], Field(max_length=8)]] = Field(
        description="Other complete equipment sets that also work; an exercise is doable when any "
        "one set is owned.",
        default_factory=list,
        max_length=6,
    )
    muscles: list[ExerciseMuscle] = Field(
        min_length=1,
        max_length=20,
        description="The muscles it trains, at least one of them primary.",
    )
    joint_actions: SlugList = Field(
        min_length=1, max_length=15, description="Slugs of the joint actions it involves."
    )
    instructions: list[Text] = Field(
        min_length=4, max_length=12, description="How to perform it, one step per item, in order."
    )
    form_cues: list[ShortText] = Field(
        min_length=3, max_length=12, description="Short reminders to keep good form."
    )
    common_mistakes: list[CommonMistake] = Field(
        min_length=2, max_length=10, description="Frequent errors and how to fix them."
    )
    safety_notes: list[Text] = Field(min_length=1, max_length=8, description="Precautions to take.")
    loading: Loading
    axial_heavy: bool = Field(
        strict=True,
        description="True when the spine carries a heavy load unsupported (deadlifts, bent-over "
        "rows, back squats); such exercises are never taken to failure.",
    )
    bodyweight_factor: Annotated[float, Field(gt=0, le=1.2)] | None = Field(
        description="Approximate share of bodyweight moved (bodyweight, weighted and assisted "
        "lifts only, null otherwise).",
        default=None,
        validate_default=True,
    )
    rep_range: RepRange = Field(description="Default reps per set for double progression.")
    top_pick_rank: Annotated[int, Field(strict=True, ge=1, le=5)] | None = Field(
        default=None,
        description="Rank (1-5) among the five best back exercises for beginners; null otherwise.",
    )
    ladder: list[LadderStep] = Field(
        default_factory=list,
        max_length=8,
        description="Bodyweight progression rungs in order, easiest first; empty when not "
        "applicable.",
    )
    regressions: SlugList = Field(
        default_factory=list,
        max_length=10,
        description="Slugs of easier exercises to build up to this one.",
    )
    progressions: SlugList = Field(
        default_factory=list, max_length=10, description="Slugs of harder exercises to move on to."
    )
    variations: SlugList = Field(
        default_factory=list, max_length=10, description="Slugs of close variants."
    )
    tips: SlugList = Field(
        default_factory=list, max_length=15, description="Slugs of tips that apply to it."
    )
    sources: SlugList = Field(
        default_factory=list,
        max_length=10,
        description="Slugs of the sources it is based on (see `/v1/sources`).",
    )

    @field_validator("muscles")
    @classmethod
    def _muscles(cls, muscles: list[ExerciseMuscle]) -> list[ExerciseMuscle]:
        _no_duplicates([m.muscle for m in muscles])
        if not any(m.role is MuscleRole.PRIMARY for m in muscles):
            msg = "at least one muscle must be primary"
            raise ValueError(msg)
        return muscles

    @field_validator("bodyweight_factor")
    @classmethod
    def _factor_matches_loading(cls, factor: float | None, info: ValidationInfo) -> float | None:
        loading = info.data.get("loading")
        if loading is None:  # loading itself is invalid and already reported
            return factor
        bodyweight_based = loading in BODYWEIGHT_LOADINGS
        if bodyweight_based and factor is None:
            msg = f"required for {loading} loading"
            raise ValueError(msg)
        if not bodyweight_based and factor is not None:
            msg = f"must be null for {loading} loading"
            raise ValueError(msg)
        return factor


# --------------------------------------------------------------------------- tips, benefits


class Point(ContentModel):
    """A titled point in a structured list (a problem, a solution, a principle)."""

    title: ShortText = Field(description="Short statement of the point.")
    detail: Text = Field(description="The point explained.")


class TipException(ContentModel):
    """A case where a tip's advice does not apply."""

    # A case where a tip's rule does not apply. ``exercise`` links it when it is in the catalog.

    name: Name = Field(description="What the exception is.")
    exercise: Slug | None = Field(
        default=None,
        description="Slug of the exercise it concerns, when that exercise is in the catalog; null "
        "otherwise.",
    )
    note: Text = Field(description="Why the advice does not apply here.")


class Tip(ContentModel):
    """Practical training advice, with the problems it addresses, the solutions and the
    exceptions."""

    # Practical advice. ``tips.yaml``. ``problems``/``solutions``/``exceptions`` keep the
    # structure of the advice as data instead of burying it in ``body``.

    slug: Slug = Field(description="Stable identifier, lowercase words joined by hyphens.")
    title: Name = Field(description="Headline of the tip.")
    summary: ShortText = Field(description="The tip in one or two sentences.")
    body: LongText = Field(description="The full advice, in plain text.")
    category: TipCategory = Field(description="What the tip is about.")
    levels: list[Level] = Field(
        min_length=1, max_length=3, description="The training levels it applies to."
    )
    exercises: SlugList = Field(
        default_factory=list, max_length=40, description="Slugs of the exercises it applies to."
    )
    muscles: SlugList = Field(
        default_factory=list, max_length=40, description="Slugs of the muscles it concerns."
    )
    problems: list[Point] = Field(
        default_factory=list, max_length=10, description="The problems it addresses."
    )
    solutions: list[Point] = Field(
        default_factory=list, max_length=10, description="What to do about them."
    )
    exceptions: list[TipException] = Field(
        default_factory=list, max_length=10, description="Cases where the advice does not apply."
    )
    sources: SlugList = Field(
        default_factory=list,
        max_length=10,
        description="Slugs of the sources it is based on (see `/v1/sources`).",
    )

    @field_validator("levels")
    @classmethod
    def _unique_levels(cls, levels: list[Level]) -> list[Level]:
        _no_duplicates([str(level) for level in levels])
        return levels


class Benefit(ContentModel):
    """A reason to train the back. ``benefits.yaml``."""

    slug: Slug
    title: Name
    summary: ShortText
    body: LongText
    points: list[Text] = Field(default_factory=list, max_length=10)
    muscles: SlugList = Field(default_factory=list, max_length=30)
    exercises: SlugList = Field(default_factory=list, max_length=30)
    sources: SlugList = Field(default_factory=list, max_length=10)


# --------------------------------------------------------------------------- strategies


class ModificationVariant(ContentModel):
    code: VariantCode
    description: Text


class Modification(ContentModel):
    """One of the article's four modifications, with its two variants (recommender R6)."""

    kind: ModificationKind
    title: Name
    description: Text
    variants: list[ModificationVariant] = Field(min_length=1, max_length=2)

    @field_validator("variants")
    @classmethod
    def _unique_codes(cls, variants: list[ModificationVariant]) -> list[ModificationVariant]:
        _no_duplicates([v.code for v in variants])
        return variants


class Strategy(ContentModel):
    """How to train the back at one experience level. ``strategies.yaml``.

    ``anchor_exercises`` are the ones to keep whatever else changes (deadlift and pull-up for
    intermediate and advanced lifters). ``modifications`` are listed in the order they should be
    tried, one at a time.
    """

    slug: Slug
    level: Level
    title: Name
    summary: Text
    goals: list[Text] = Field(min_length=1, max_length=10)
    principles: list[Point] = Field(min_length=1, max_length=12)
    recommended_exercises: SlugList = Field(default_factory=list, max_length=20)
    anchor_exercises: SlugList = Field(default_factory=list, max_length=5)
    modifications: list[Modification] = Field(default_factory=list, max_length=4)
    routines: SlugList = Field(default_factory=list, max_length=10)
    sources: SlugList = Field(default_factory=list, max_length=10)

    @field_validator("modifications")
    @classmethod
    def _unique_kinds(cls, modifications: list[Modification]) -> list[Modification]:
        _no_duplicates([m.kind for m in modifications])
        return modifications


# --------------------------------------------------------------------------- routines


class RoutineEntry(ContentModel):
    """One exercise of a routine day, with its sets and reps."""

    # One exercise in a routine day: ``sets`` sets of ``reps`` (a range when low < high).
    #
    # ``exercise`` is a catalog slug; exercises the catalog does not hold (leg press, lateral
    # raise) are named in ``name`` with ``exercise`` null. ``last_set_amrap`` marks a final set
    # taken for as many reps as possible ("5+"). ``alternatives`` are catalog slugs the routine
    # allows instead.

    exercise: Slug | None = Field(
        default=None,
        description="Slug of the exercise (see `/v1/exercises`); null when the catalog does not "
        "hold it, and `name` names it instead.",
    )
    name: Name | None = Field(
        default=None,
        description="Name of the exercise when the catalog does not hold it (`exercise` is "
        "then null); may be null otherwise.",
    )
    sets: Count = Field(description="Number of sets.")
    reps: RepRange = Field(description="Reps per set; a single number when `low` equals `high`.")
    last_set_amrap: bool = Field(
        default=False,
        strict=True,
        description='True when the last set is taken for as many reps as possible ("5+").',
    )
    alternatives: SlugList = Field(
        default_factory=list,
        max_length=5,
        description="Slugs of exercises the routine allows instead.",
    )
    note: ShortText | None = Field(
        default=None, description="Extra instructions for this exercise, if any."
    )

    @model_validator(mode="after")
    def _named(self) -> Self:
        if self.exercise is None and self.name is None:
            msg = "either exercise (a catalog slug) or name is required"
            raise ValueError(msg)
        return self


class RoutineDay(ContentModel):
    """One training day of a routine, with its exercises in order."""

    name: Name = Field(description="Name of the day, such as `Workout A`.")
    entries: list[RoutineEntry] = Field(
        min_length=1, max_length=12, description="The day's exercises, in the order they are done."
    )
    note: ShortText | None = Field(
        default=None, description="Extra instructions for the day, if any."
    )


class Routine(ContentModel):
    """A training routine. ``routines.yaml``. ``days`` are in rotation order; ``schedule`` says
    how the days map onto a week."""

    slug: Slug
    name: Name
    aliases: AliasList = Field(default_factory=list, max_length=10)
    kind: RoutineKind
    level: Level
    summary: Text
    days_per_week: Annotated[int, Field(strict=True, ge=1, le=7)]
    schedule: Text
    days: list[RoutineDay] = Field(min_length=1, max_length=7)
    progression: list[Text] = Field(min_length=1, max_length=10)
    recommender_profile: RoutineProfile | None = None
    sources: SlugList = Field(min_length=1, max_length=10)

    @field_validator("days")
    @classmethod
    def _unique_day_names(cls, days: list[RoutineDay]) -> list[RoutineDay]:
        _no_duplicates([d.name for d in days])
        return days


# --------------------------------------------------------------------------- bundle


class ContentBundle(ContentModel):
    """All validated content, each list sorted by slug (see :mod:`app.content.files`)."""

    sources: list[Source]
    joint_actions: list[JointAction]
    muscles: list[Muscle]
    equipment: list[Equipment]
    exercises: list[Exercise]
    tips: list[Tip]
    benefits: list[Benefit]
    anatomy_notes: list[AnatomyNote]
    strategies: list[Strategy]
    routines: list[Routine]

    def canonical_json(self) -> bytes:
        """The content as canonical JSON: sorted keys, no insignificant whitespace, UTF-8."""
        data = self.model_dump(mode="json")
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")

    @cached_property
    def fingerprint(self) -> str:
        """sha256 (hex) of :meth:`canonical_json`: the API's content version (ETag).

        Independent of file layout, comments, key order and YAML formatting; any change to the
        validated content changes it.
        """
        return hashlib.sha256(self.canonical_json()).hexdigest()
