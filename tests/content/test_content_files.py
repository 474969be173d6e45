"""The knowledge-base data files: shipped content, article coverage and validation errors."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.content import (
    ARTICLE_SOURCE_SLUG,
    DEFAULT_DIRECTORY,
    ContentBundle,
    ContentError,
    content_fingerprint,
    load_content,
)
from app.content.schema import (
    FunctionRole,
    Level,
    MuscleRole,
    RoutineKind,
)
from app.recommender.enums import Loading, ModificationKind, Side
from tests.content.helpers import exercise, functions, prose, shingles

REQUIRED_MUSCLES = {
    "latissimus-dorsi", "trapezius", "trapezius-upper", "trapezius-middle", "trapezius-lower",
    "rhomboid-major", "rhomboid-minor", "teres-major", "teres-minor", "infraspinatus",
    "levator-scapulae", "posterior-deltoid", "erector-spinae", "iliocostalis", "longissimus",
    "spinalis", "multifidus", "quadratus-lumborum", "pectoralis-major", "pectoralis-minor",
    "anterior-deltoid", "lateral-deltoid", "serratus-anterior", "biceps-brachii", "brachialis",
    "brachioradialis", "triceps-brachii", "forearm-flexors", "rectus-abdominis", "obliques",
    "gluteus-maximus", "hamstrings", "quadriceps", "adductors", "calves",
}  # fmt: skip
ARTICLE_JOINT_ACTIONS = {
    "shoulder-extension", "shoulder-adduction", "shoulder-transverse-abduction",
    "shoulder-transverse-extension", "spine-extension", "spine-lateral-flexion",
    "scapular-retraction", "scapular-depression", "scapular-elevation",
    "scapular-upward-rotation", "scapular-downward-rotation",
}  # fmt: skip
OTHER_JOINT_ACTIONS = {
    "shoulder-flexion", "shoulder-abduction", "shoulder-internal-rotation",
    "shoulder-external-rotation", "shoulder-transverse-adduction", "scapular-protraction",
    "spine-flexion", "spine-rotation", "elbow-flexion", "elbow-extension", "hip-extension",
    "hip-flexion", "hip-adduction", "knee-extension", "knee-flexion", "ankle-plantar-flexion",
}  # fmt: skip
REQUIRED_EXERCISES = {
    "deadlift", "pull-up", "barbell-bent-over-row", "inverted-row", "hyperextension", "chin-up",
    "assisted-pull-up", "negative-pull-up", "weighted-pull-up", "lat-pulldown",
    "seated-cable-row", "one-arm-dumbbell-row", "t-bar-row", "pendlay-row", "face-pull",
    "straight-arm-pulldown", "dumbbell-pullover", "rear-delt-fly", "barbell-shrug",
    "romanian-deadlift", "good-morning", "rack-pull", "biceps-curl", "bench-press",
    "overhead-press", "incline-dumbbell-press", "dip", "push-up", "back-squat",
}  # fmt: skip
TOP_FIVE = {
    "deadlift": 1,
    "pull-up": 2,
    "barbell-bent-over-row": 3,
    "inverted-row": 4,
    "hyperextension": 5,
}
AXIAL_HEAVY = {
    "deadlift", "back-squat", "barbell-bent-over-row", "pendlay-row", "t-bar-row", "rack-pull",
    "good-morning", "romanian-deadlift",
}  # fmt: skip
ARTICLE_TIPS = {
    "activate-your-back",
    "dont-turn-head-to-mirror",
    "keep-neck-neutral",
    "keep-back-straight",
    "train-back-as-much-as-front",
    "limit-direct-arm-work-as-beginner",
}
BENEFITS = {"stronger-everywhere", "lat-wings", "v-taper", "better-posture", "bigger-biceps"}


# --------------------------------------------------------------------------- shipped content


def test_default_directory_is_inside_the_package() -> None:
    assert Path(__file__).parents[2] / "app" / "content" / "data" == DEFAULT_DIRECTORY
    assert (DEFAULT_DIRECTORY / "muscles.yaml").is_file()


def test_shipped_content_loads_with_every_kind(bundle: ContentBundle) -> None:
    for field in ContentBundle.model_fields:
        items = getattr(bundle, field)
        assert items, field
        slugs = [item.slug for item in items]
        assert slugs == sorted(slugs), f"{field} not sorted by slug"


def test_required_slugs_exist(bundle: ContentBundle) -> None:
    assert {m.slug for m in bundle.muscles} >= REQUIRED_MUSCLES
    assert {j.slug for j in bundle.joint_actions} >= ARTICLE_JOINT_ACTIONS | OTHER_JOINT_ACTIONS
    assert {e.slug for e in bundle.exercises} >= REQUIRED_EXERCISES


def test_muscle_parents(bundle: ContentBundle) -> None:
    parents = {m.slug: m.parent for m in bundle.muscles}
    for part in ("trapezius-upper", "trapezius-middle", "trapezius-lower"):
        assert parents[part] == "trapezius"
    for part in ("iliocostalis", "longissimus", "spinalis"):
        assert parents[part] == "erector-spinae"
    assert parents["rhomboid-major"] == parents["rhomboid-minor"] == "rhomboids"


def test_top_five_ranks(bundle: ContentBundle) -> None:
    ranked = {e.slug: e.top_pick_rank for e in bundle.exercises if e.top_pick_rank is not None}
    assert ranked == TOP_FIVE


def test_latissimus_dorsi_functions(bundle: ContentBundle) -> None:
    lat = functions(bundle, "latissimus-dorsi")
    for action in ("shoulder-extension", "shoulder-adduction", "shoulder-internal-rotation"):
        assert lat[action] is FunctionRole.PRIME_MOVER
    assert lat["shoulder-transverse-extension"] is FunctionRole.SYNERGIST


def test_rhomboid_functions(bundle: ContentBundle) -> None:
    for slug in ("rhomboids", "rhomboid-major", "rhomboid-minor"):
        rhomboid = functions(bundle, slug)
        assert rhomboid["scapular-retraction"] is FunctionRole.PRIME_MOVER
        assert rhomboid["scapular-downward-rotation"] is FunctionRole.PRIME_MOVER
        assert "scapular-elevation" in rhomboid
        assert "scapular-upward-rotation" not in rhomboid


def test_erector_functions(bundle: ContentBundle) -> None:
    for slug in ("erector-spinae", "iliocostalis", "longissimus"):
        erector = functions(bundle, slug)
        assert erector["spine-extension"] is FunctionRole.PRIME_MOVER
        assert "spine-lateral-flexion" in erector
        assert "spine-flexion" not in erector


@pytest.mark.parametrize(
    ("slug", "actions"),
    [
        ("trapezius-upper", {"scapular-elevation", "scapular-upward-rotation"}),
        ("trapezius-middle", {"scapular-retraction"}),
        ("trapezius-lower", {"scapular-depression", "scapular-upward-rotation"}),
        ("levator-scapulae", {"scapular-elevation", "scapular-downward-rotation"}),
        ("teres-major", {"shoulder-extension", "shoulder-adduction", "shoulder-internal-rotation"}),
        ("infraspinatus", {"shoulder-external-rotation", "shoulder-transverse-abduction"}),
        ("teres-minor", {"shoulder-external-rotation", "shoulder-transverse-extension"}),
        (
            "posterior-deltoid",
            {
                "shoulder-transverse-abduction",
                "shoulder-transverse-extension",
                "shoulder-extension",
                "shoulder-external-rotation",
            },
        ),
        ("serratus-anterior", {"scapular-protraction", "scapular-upward-rotation"}),
        (
            "pectoralis-major",
            {"shoulder-transverse-adduction", "shoulder-internal-rotation", "shoulder-flexion"},
        ),
        ("quadratus-lumborum", {"spine-lateral-flexion"}),
        ("multifidus", {"spine-extension", "spine-rotation"}),
        ("hamstrings", {"hip-extension", "knee-flexion"}),
    ],
)
def test_muscle_performs(bundle: ContentBundle, slug: str, actions: set[str]) -> None:
    assert actions <= set(functions(bundle, slug))


def test_scapular_antagonists_are_not_mixed_up(bundle: ContentBundle) -> None:
    assert "scapular-elevation" not in functions(bundle, "trapezius-lower")
    assert "scapular-upward-rotation" not in functions(bundle, "levator-scapulae")
    assert "scapular-retraction" not in functions(bundle, "serratus-anterior")


def test_muscle_aliases_cover_gym_vocabulary(bundle: ContentBundle) -> None:
    owners = {alias.casefold(): m.slug for m in bundle.muscles for alias in m.aliases}
    expected = {
        "lats": "latissimus-dorsi",
        "traps": "trapezius",
        "rear delts": "posterior-deltoid",
        "rhomboid": "rhomboids",
        "spinal erectors": "erector-spinae",
        "lower back": "erector-spinae",
        "pecs": "pectoralis-major",
        "front delts": "anterior-deltoid",
        "side delts": "lateral-deltoid",
        "bis": "biceps-brachii",
        "tris": "triceps-brachii",
        "abs": "rectus-abdominis",
        "glutes": "gluteus-maximus",
        "hams": "hamstrings",
        "quads": "quadriceps",
    }
    for alias, slug in expected.items():
        assert owners[alias] == slug


def test_exercise_aliases_cover_gym_vocabulary(bundle: ContentBundle) -> None:
    owners = {alias.casefold(): e.slug for e in bundle.exercises for alias in e.aliases}
    expected = {
        "rdl": "romanian-deadlift",
        "bent over row": "barbell-bent-over-row",
        "bb row": "barbell-bent-over-row",
        "pullup": "pull-up",
        "pull up": "pull-up",
        "chinup": "chin-up",
        "pulldown": "lat-pulldown",
        "hypers": "hyperextension",
        "back extension": "hyperextension",
        "ohp": "overhead-press",
        "bench": "bench-press",
        "squat": "back-squat",
    }
    for alias, slug in expected.items():
        assert owners[alias] == slug


def test_catalog_facts_for_the_recommender(bundle: ContentBundle) -> None:
    assert {e.slug for e in bundle.exercises if e.axial_heavy} == AXIAL_HEAVY
    factors = {e.slug: e.bodyweight_factor for e in bundle.exercises}
    assert factors["pull-up"] == 1.0
    assert factors["inverted-row"] == 0.6
    assert factors["push-up"] == 0.65
    assert factors["dip"] == 0.9
    assert factors["hyperextension"] == 0.5
    assert factors["deadlift"] is None
    assert exercise(bundle, "weighted-pull-up").loading is Loading.WEIGHTED_BODYWEIGHT
    assert exercise(bundle, "assisted-pull-up").loading is Loading.ASSISTED
    ranges = {e.slug: (e.rep_range.low, e.rep_range.high) for e in bundle.exercises}
    assert ranges["deadlift"] == (3, 6)
    assert ranges["weighted-pull-up"] == (5, 8)
    assert ranges["barbell-bent-over-row"] in {(6, 10), (8, 12)}
    assert ranges["lat-pulldown"] == (8, 12)


def test_back_front_sides(bundle: ContentBundle) -> None:
    sides = {e.slug: e.side for e in bundle.exercises}
    for slug in (*TOP_FIVE, "chin-up", "lat-pulldown", "seated-cable-row", "t-bar-row"):
        assert sides[slug] is Side.BACK, slug
    for slug in ("bench-press", "overhead-press", "incline-dumbbell-press", "dip", "push-up"):
        assert sides[slug] is Side.FRONT, slug
    assert sides["back-squat"] is Side.OTHER
    assert sides["biceps-curl"] is Side.OTHER


def test_recommender_muscle_credit(bundle: ContentBundle) -> None:
    def roles(slug: str) -> dict[str, MuscleRole]:
        return {m.muscle: m.role for m in exercise(bundle, slug).muscles}

    deadlift = roles("deadlift")
    assert deadlift["erector-spinae"] is MuscleRole.PRIMARY
    assert deadlift["latissimus-dorsi"] is MuscleRole.SECONDARY
    assert roles("hyperextension")["erector-spinae"] is MuscleRole.PRIMARY
    assert roles("pull-up")["latissimus-dorsi"] is MuscleRole.PRIMARY
    assert roles("bench-press")["pectoralis-major"] is MuscleRole.PRIMARY
    assert roles("overhead-press")["anterior-deltoid"] is MuscleRole.PRIMARY


def test_no_equipment_is_an_empty_list(bundle: ContentBundle) -> None:
    assert exercise(bundle, "push-up").equipment == []
    assert "body-only" not in {e.slug for e in bundle.equipment}
    assert exercise(bundle, "pull-up").equipment == ["pull-up-bar"]


def test_ladders(bundle: ContentBundle) -> None:
    inverted = exercise(bundle, "inverted-row").ladder
    assert [s.step for s in inverted] == [1, 2, 3, 4]
    assert "chest" in inverted[0].name.lower()
    assert "hip" in inverted[1].name.lower()
    assert "feet" in inverted[2].name.lower()
    assert inverted[3].load_increment_kg == 2.5
    pull_up = exercise(bundle, "pull-up").ladder
    assert [s.exercise for s in pull_up] == ["assisted-pull-up", None, "weighted-pull-up"]
    hyper = exercise(bundle, "hyperextension").ladder
    assert [s.step for s in hyper] == [1, 2, 3]
    assert "plate" in hyper[2].name.lower()


def test_pull_up_links(bundle: ContentBundle) -> None:
    pull_up = exercise(bundle, "pull-up")
    assert {"assisted-pull-up", "negative-pull-up", "inverted-row"} <= set(pull_up.regressions)
    assert pull_up.progressions == ["weighted-pull-up"]


def test_exercise_completeness(bundle: ContentBundle) -> None:
    for item in bundle.exercises:
        assert len(item.instructions) >= 4, item.slug
        assert len(item.form_cues) >= 3, item.slug
        assert len(item.common_mistakes) >= 2, item.slug
        assert item.safety_notes, item.slug


# --------------------------------------------------------------------------- article coverage


def credits_article(item: Any) -> bool:
    return ARTICLE_SOURCE_SLUG in item.sources


def test_article_source(bundle: ContentBundle) -> None:
    source = next(s for s in bundle.sources if s.slug == ARTICLE_SOURCE_SLUG)
    assert source.title == "Back Training Tips & Strategies for Building a BIG Back"
    assert source.author == "Alex (King of the Gym)"


def test_article_items_credit_the_article(bundle: ContentBundle) -> None:
    for action in bundle.joint_actions:
        if action.slug in ARTICLE_JOINT_ACTIONS:
            assert credits_article(action), action.slug
    for slug in TOP_FIVE:
        assert credits_article(exercise(bundle, slug)), slug
    tips = {t.slug: t for t in bundle.tips}
    assert set(tips) >= ARTICLE_TIPS
    for slug in ARTICLE_TIPS:
        assert credits_article(tips[slug]), slug
    assert {b.slug for b in bundle.benefits} == BENEFITS
    for kind in (bundle.benefits, bundle.anatomy_notes, bundle.strategies):
        for item in kind:
            assert credits_article(item), item.slug
    back_day = next(r for r in bundle.routines if r.slug == "intermediate-back-day")
    assert credits_article(back_day)


def test_items_citing_article_advice_credit_it(bundle: ContentBundle) -> None:
    """Exercises whose own text carries article advice (pulls, exceptions) credit it. The row
    variants the article never names carry its advice only through the activation tip."""
    for slug in ("chin-up", "good-morning", "biceps-curl"):
        assert credits_article(exercise(bundle, slug)), slug


def test_no_phrases_copied_from_the_article(bundle: ContentBundle, shared_dir: Path) -> None:
    """No run of six words in our prose appears in the article (source titles excepted)."""
    article = shared_dir / "source" / "back-training-article.txt"
    original = shingles(article.read_text(encoding="utf-8"), 6)
    dumped = bundle.model_dump(mode="json", exclude={"sources"})
    copied = {s for text in prose(dumped) for s in shingles(text, 6) & original}
    assert not copied


def test_activate_tip_structure(bundle: ContentBundle) -> None:
    tip = next(t for t in bundle.tips if t.slug == "activate-your-back")
    problems = " ".join(p.title.lower() for p in tip.problems)
    for word in ("arms", "range", "momentum"):
        assert word in problems
    solutions = " ".join(s.title.lower() for s in tip.solutions)
    for word in ("less weight", "practise", "hooks", "elbows"):
        assert word in solutions
    assert [e.exercise for e in tip.exceptions] == ["deadlift"]
    assert {"pull-up", "chin-up", "barbell-bent-over-row"} <= set(tip.exercises)


def test_back_straight_tip_exceptions(bundle: ContentBundle) -> None:
    tip = next(t for t in bundle.tips if t.slug == "keep-back-straight")
    assert [e.exercise for e in tip.exceptions] == ["hyperextension", "deadlift", "good-morning"]
    assert len(tip.problems) == 2
    solutions = " ".join(s.title.lower() for s in tip.solutions)
    assert "watch" in solutions
    assert "film" in solutions
    neck = next(t for t in bundle.tips if t.slug == "keep-neck-neutral")
    assert [e.exercise for e in neck.exceptions] == ["deadlift"]


def test_strategies(bundle: ContentBundle) -> None:
    by_level = {s.level: s for s in bundle.strategies}
    assert set(by_level) == set(Level)
    beginner = by_level[Level.BEGINNER]
    assert set(beginner.recommended_exercises) == set(TOP_FIVE)
    routines = {r.slug: r for r in bundle.routines}
    assert all(routines[slug].kind is RoutineKind.ESTABLISHED for slug in beginner.routines)
    assert len(beginner.routines) >= 4
    for level in (Level.INTERMEDIATE, Level.ADVANCED):
        strategy = by_level[level]
        assert strategy.anchor_exercises == ["deadlift", "pull-up"]
        assert [m.kind for m in strategy.modifications] == list(ModificationKind)
        for modification in strategy.modifications:
            assert [v.code for v in modification.variants] == ["a", "b"]
        assert "intermediate-back-day" in strategy.routines


def test_routines(bundle: ContentBundle) -> None:
    routines = {r.slug: r for r in bundle.routines}
    profiles = {r.recommender_profile for r in routines.values() if r.recommender_profile}
    assert {str(p) for p in profiles} == {"stronglifts", "starting_strength", "bbr", "ppl", "gzclp"}
    for routine in routines.values():
        assert routine.sources
    stronglifts = routines["stronglifts-5x5"]
    assert [e.exercise for e in stronglifts.days[0].entries] == [
        "back-squat",
        "bench-press",
        "barbell-bent-over-row",
    ]
    back_day = routines["intermediate-back-day"]
    assert back_day.kind is RoutineKind.TEMPLATE
    slugs = [e.exercise for e in back_day.days[0].entries]
    assert slugs[:2] == ["deadlift", "pull-up"]


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable(bundle: ContentBundle) -> None:
    again = load_content()
    assert re.fullmatch(r"[0-9a-f]{64}", bundle.fingerprint)
    assert again.fingerprint == bundle.fingerprint
    assert content_fingerprint(again) == bundle.fingerprint


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DIRECTORY, target)
    return target


def edit(path: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(items)
    path.write_text(yaml.safe_dump(items, sort_keys=False, allow_unicode=True), encoding="utf-8")


def item(items: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(i for i in items if i["slug"] == slug)


def test_fingerprint_ignores_formatting_but_not_content(
    content_dir: Path, bundle: ContentBundle
) -> None:
    muscles = content_dir / "muscles.yaml"
    muscles.write_text("# a new comment\n" + muscles.read_text(encoding="utf-8"), "utf-8")
    edit(content_dir / "sources.yaml", lambda items: items.reverse())
    assert load_content(content_dir).fingerprint == bundle.fingerprint

    def rename(items: list[dict[str, Any]]) -> None:
        item(items, "calves")["name"] = "Calf muscles"

    edit(muscles, rename)
    assert load_content(content_dir).fingerprint != bundle.fingerprint


# --------------------------------------------------------------------------- validation errors

VERTICAL = "exercises/vertical-pulls.yaml"
HINGES = "exercises/posterior-chain.yaml"


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    assert str(caught.value).startswith("invalid content:")
    return [str(problem) for problem in caught.value.problems]


def assert_reported(problems: list[str], *parts: str) -> None:
    assert any(all(part in problem for part in parts) for problem in problems), (parts, problems)


def test_bad_slug(content_dir: Path) -> None:
    edit(content_dir / VERTICAL, lambda items: item(items, "chin-up").update(slug="Chin_Up"))
    problems = problems_of(content_dir)
    assert_reported(problems, VERTICAL, "'Chin_Up' (#1)", "field 'slug'", "pattern")


def test_unknown_muscle_reference(content_dir: Path) -> None:
    def change(items: list[dict[str, Any]]) -> None:
        item(items, "deadlift")["muscles"][3]["muscle"] = "quads"

    edit(content_dir / HINGES, change)
    problems = problems_of(content_dir)
    assert_reported(
        problems, HINGES, "'deadlift' (#0)", "field 'muscles[3].muscle'", "unknown muscle 'quads'"
    )


def test_duplicate_slug_across_files(content_dir: Path) -> None:
    edit(content_dir / HINGES, lambda items: items.append({**item(items, "deadlift")}))
    problems = problems_of(content_dir)
    assert_reported(problems, HINGES, "'deadlift' (#5)", "field 'slug'", "duplicate exercise slug")


def test_unknown_field(content_dir: Path) -> None:
    edit(content_dir / "muscles.yaml", lambda items: item(items, "calves").update(colour="red"))
    problems = problems_of(content_dir)
    assert_reported(problems, "muscles.yaml", "'calves'", "field 'colour'", "Extra inputs")


def test_wrong_type(content_dir: Path) -> None:
    def change(items: list[dict[str, Any]]) -> None:
        item(items, "hyperextension")["top_pick_rank"] = "fifth"
        item(items, "deadlift")["axial_heavy"] = "yes"

    edit(content_dir / HINGES, change)
    problems = problems_of(content_dir)
    assert_reported(problems, HINGES, "'hyperextension' (#4)", "field 'top_pick_rank'")
    assert_reported(problems, HINGES, "'deadlift' (#0)", "field 'axial_heavy'")


def test_self_regression(content_dir: Path) -> None:
    edit(
        content_dir / VERTICAL,
        lambda items: item(items, "pull-up")["regressions"].append("pull-up"),
    )
    problems = problems_of(content_dir)
    assert_reported(problems, VERTICAL, "'pull-up' (#0)", "field 'regressions[3]'", "itself")


def test_every_problem_is_reported_at_once(content_dir: Path) -> None:
    def vertical(items: list[dict[str, Any]]) -> None:
        item(items, "pull-up")["regressions"].append("pull-up")
        item(items, "lat-pulldown")["equipment"] = ["cable-machine"]

    def hinges(items: list[dict[str, Any]]) -> None:
        item(items, "deadlift")["muscles"][3]["muscle"] = "quads"
        item(items, "hyperextension")["top_pick_rank"] = "fifth"

    edit(content_dir / VERTICAL, vertical)
    edit(content_dir / HINGES, hinges)
    edit(content_dir / "muscles.yaml", lambda items: item(items, "calves").update(colour="red"))
    edit(
        content_dir / "equipment.yaml",
        lambda items: item(items, "foam-roller").update(slug="Foam_Roller"),
    )
    edit(
        content_dir / "tips.yaml",
        lambda items: item(items, "keep-neck-neutral")["muscles"].append("neck"),
    )
    problems = problems_of(content_dir)
    assert len(problems) == 7, problems
    assert_reported(problems, "equipment.yaml", "'Foam_Roller' (#20)", "field 'slug'")
    assert_reported(problems, "'pull-up'", "field 'regressions[3]'")
    assert_reported(problems, "'lat-pulldown'", "field 'equipment[0]'", "unknown equipment")
    assert_reported(problems, "'deadlift'", "field 'muscles[3].muscle'")
    assert_reported(problems, "'hyperextension'", "field 'top_pick_rank'")
    assert_reported(problems, "muscles.yaml", "field 'colour'")
    assert_reported(problems, "tips.yaml", "'keep-neck-neutral'", "unknown muscle 'neck'")


def test_reference_to_an_invalid_item_is_not_reported_twice(content_dir: Path) -> None:
    edit(content_dir / VERTICAL, lambda items: item(items, "weighted-pull-up").update(level="pro"))
    problems = problems_of(content_dir)
    assert len(problems) == 1, problems
    assert_reported(problems, "'weighted-pull-up'", "field 'level'")


def test_cross_reference_rules(content_dir: Path) -> None:
    def hinges(items: list[dict[str, Any]]) -> None:
        deadlift = item(items, "deadlift")
        deadlift["top_pick_rank"] = 2  # pull-up holds rank 2
        deadlift["progressions"] = ["rack-pull"]  # also a regression
        deadlift["joint_actions"] = ["knee-extension", "wrist-flexion"]  # primaries do neither
        hyper = item(items, "hyperextension")
        hyper["ladder"] = list(reversed(hyper["ladder"]))

    def muscles(items: list[dict[str, Any]]) -> None:
        item(items, "spinalis")["parent"] = "iliocostalis"
        item(items, "calves")["parent"] = "calves"

    edit(content_dir / HINGES, hinges)
    edit(content_dir / "muscles.yaml", muscles)
    problems = problems_of(content_dir)
    assert_reported(problems, "field 'top_pick_rank'", "rank 2 already given to")
    assert_reported(problems, "'deadlift'", "field 'progressions[0]'", "both a regression")
    assert_reported(problems, "'deadlift'", "field 'muscles[0].muscle'", "none of the exercise")
    assert_reported(problems, "'hyperextension'", "field 'ladder[0].step'", "expected 1")
    assert_reported(problems, "'spinalis'", "field 'parent'", "one level deep")
    assert_reported(problems, "'calves'", "field 'parent'", "its own parent")


def test_alias_collision(content_dir: Path) -> None:
    edit(content_dir / VERTICAL, lambda items: item(items, "lat-pulldown")["aliases"].append("RDL"))
    problems = problems_of(content_dir)
    assert_reported(
        problems,
        VERTICAL,
        "'lat-pulldown'",
        "field 'aliases[6]'",
        "'RDL' also names 'romanian-deadlift'",
    )


def test_model_rules(content_dir: Path) -> None:
    def hinges(items: list[dict[str, Any]]) -> None:
        item(items, "deadlift")["bodyweight_factor"] = 0.5
        item(items, "hyperextension")["bodyweight_factor"] = None
        item(items, "rack-pull")["rep_range"] = {"low": 8, "high": 6}
        item(items, "good-morning")["aliases"] = ["GM", "gm"]
        item(items, "romanian-deadlift")["instructions"] = ["Hinge."]

    edit(content_dir / HINGES, hinges)
    problems = problems_of(content_dir)
    assert_reported(problems, "'deadlift'", "field 'bodyweight_factor'", "must be null")
    assert_reported(problems, "'hyperextension'", "field 'bodyweight_factor'", "required")
    assert_reported(problems, "'rack-pull'", "field 'rep_range'", "must not exceed")
    assert_reported(problems, "'good-morning'", "field 'aliases'", "duplicate entries: gm")
    assert_reported(problems, "'romanian-deadlift'", "field 'instructions'", "at least 4")


def test_file_level_problems(content_dir: Path) -> None:
    (content_dir / "benefits.yaml").unlink()
    (content_dir / "tips.yaml").write_text("slug: not-a-list\n", encoding="utf-8")
    (content_dir / "strategies.yaml").write_text("- [unclosed\n", encoding="utf-8")
    (content_dir / "routines.yaml").write_text("- slug: a\n  slug: b\n", encoding="utf-8")
    (content_dir / "muscle.yaml").write_text("[]\n", encoding="utf-8")
    appended = f"#{len(yaml.safe_load((content_dir / 'sources.yaml').read_text('utf-8')))}"
    edit(content_dir / "sources.yaml", lambda items: items.append("just a string"))  # type: ignore[arg-type]
    problems = problems_of(content_dir)
    assert_reported(problems, "benefits.yaml", "file is missing")
    assert_reported(problems, "tips.yaml", "top level must be a list")
    assert_reported(problems, "strategies.yaml", "cannot read YAML")
    assert_reported(problems, "routines.yaml", "duplicate key 'slug'")
    assert_reported(problems, "muscle.yaml", "unexpected file")
    assert_reported(problems, "sources.yaml", appended, "must be a mapping")


def test_missing_exercise_directory(content_dir: Path) -> None:
    shutil.rmtree(content_dir / "exercises")
    problems = problems_of(content_dir)
    assert_reported(problems, "exercises", "holds no .yaml files")
