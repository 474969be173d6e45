"""Content corrections from the closed-loop review (issue 8), each pinned so it cannot regress."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.content import ARTICLE_SOURCE_SLUG, ContentBundle
from app.content.schema import (
    Exercise,
    FunctionRole,
    Joint,
    Level,
    MuscleRole,
)
from app.recommender import text
from app.recommender.enums import Side
from tests.content.helpers import (
    by_slug,
    exercise,
    functions,
    muscle,
    prose,
    recommender_source_ids,
    shingles,
)


def roles(bundle: ContentBundle, slug: str) -> dict[str, MuscleRole]:
    return {m.muscle: m.role for m in exercise(bundle, slug).muscles}


def strings(value: object) -> list[str]:
    """Every string in a dumped content structure."""
    return prose(value, min_words=1)


def all_prose(bundle: ContentBundle) -> str:
    return "\n".join(strings(bundle.model_dump(mode="json", exclude={"sources"}))).lower()


def exercise_prose(item: Exercise) -> str:
    return " ".join(strings(item.model_dump(mode="json"))).lower()


# --------------------------------------------------------------------------- pullover


def test_dumbbell_pullover_is_pec_dominant_and_not_back_work(bundle: ContentBundle) -> None:
    pullover = exercise(bundle, "dumbbell-pullover")
    primaries = {m.muscle for m in pullover.muscles if m.role is MuscleRole.PRIMARY}
    assert primaries == {"pectoralis-major-sternal"}
    assert roles(bundle, "dumbbell-pullover")["latissimus-dorsi"] is MuscleRole.SECONDARY
    # The recommender's back/front balance reads `side`; a pec-dominant lift is not back work.
    assert pullover.side is not Side.BACK
    sternal = muscle(bundle, "pectoralis-major-sternal")
    assert sternal.parent == "pectoralis-major"
    assert functions(bundle, "pectoralis-major-sternal")["shoulder-extension"] is (
        FunctionRole.PRIME_MOVER
    )


def test_no_back_strategy_recommends_the_pullover(bundle: ContentBundle) -> None:
    for strategy in bundle.strategies:
        assert "dumbbell-pullover" not in strategy.recommended_exercises, strategy.slug


# --------------------------------------------------------------------------- biceps


OVERCLAIMS = (
    "every upper-back pull",
    "every upper-back exercise",
    "all upper-back pulls",
    "all upper-back exercises",
    "in every pull",
    "every back exercise also trains",
)


def test_no_text_says_the_biceps_works_in_every_pull(bundle: ContentBundle) -> None:
    prose = all_prose(bundle)
    for claim in OVERCLAIMS:
        assert claim not in prose, claim


def test_biceps_texts_name_the_pulls_that_do_and_do_not_train_it(bundle: ContentBundle) -> None:
    biceps = muscle(bundle, "biceps-brachii").description.lower()
    benefit = by_slug(bundle.benefits, "bigger-biceps")
    arm_tip = by_slug(bundle.tips, "limit-direct-arm-work-as-beginner")
    for text_ in (biceps, benefit.body.lower(), arm_tip.body.lower()):
        for name in ("rows", "pull-ups", "chin-ups", "pulldowns"):
            assert name in text_, (name, text_)
        for name in ("straight-arm pulldowns", "shrugs", "rear-delt flies"):
            assert name in text_, (name, text_)


def test_biceps_credit_follows_the_elbow(bundle: ContentBundle) -> None:
    for slug in ("pull-up", "chin-up", "lat-pulldown", "barbell-bent-over-row", "seated-cable-row"):
        assert "biceps-brachii" in roles(bundle, slug), slug
    for slug in ("straight-arm-pulldown", "barbell-shrug", "rear-delt-fly"):
        assert "biceps-brachii" not in roles(bundle, slug), slug


# --------------------------------------------------------------------------- joint actions


@pytest.mark.parametrize(
    ("slug", "joint", "muscle_slug", "role"),
    [
        ("forearm-supination", Joint.FOREARM, "biceps-brachii", FunctionRole.PRIME_MOVER),
        ("forearm-pronation", Joint.FOREARM, "forearm-flexors", FunctionRole.PRIME_MOVER),
        ("hip-external-rotation", Joint.HIP, "gluteus-maximus", FunctionRole.PRIME_MOVER),
        ("hip-abduction", Joint.HIP, "gluteus-maximus", FunctionRole.SYNERGIST),
    ],
)
def test_new_joint_actions_and_their_muscles(
    bundle: ContentBundle, slug: str, joint: Joint, muscle_slug: str, role: FunctionRole
) -> None:
    assert by_slug(bundle.joint_actions, slug).joint is joint
    assert functions(bundle, muscle_slug)[slug] is role


def test_grip_is_finger_flexion_not_wrist_flexion(bundle: ContentBundle) -> None:
    owners = {alias.casefold(): j.slug for j in bundle.joint_actions for alias in j.aliases}
    assert owners["grip"] == "finger-flexion"
    assert by_slug(bundle.joint_actions, "finger-flexion").joint is Joint.HAND
    wrist = by_slug(bundle.joint_actions, "wrist-flexion")
    assert "finger" not in wrist.name.lower()
    assert "grip" not in [a.casefold() for a in wrist.aliases]
    assert functions(bundle, "forearm-flexors")["finger-flexion"] is FunctionRole.PRIME_MOVER
    for item in bundle.exercises:
        assert "wrist-flexion" not in item.joint_actions, item.slug
    for slug in ("deadlift", "barbell-shrug", "pull-up", "rack-pull"):
        assert "finger-flexion" in exercise(bundle, slug).joint_actions, slug


def test_horizontal_plane_vocabulary_is_consistent(bundle: ContentBundle) -> None:
    """One vocabulary: horizontal abduction/adduction in every name and in all prose outside
    the joint actions' own descriptions (which explain the older "transverse" terms)."""
    horizontal = {
        "shoulder-transverse-abduction",
        "shoulder-transverse-adduction",
        "shoulder-transverse-extension",
    }
    for slug in horizontal:
        name = by_slug(bundle.joint_actions, slug).name.lower()
        assert "horizontal" in name, name
        assert "transverse" not in name, name
    dumped = bundle.model_dump(mode="json", exclude={"sources", "joint_actions"})
    prose = "\n".join(strings(dumped)).lower()
    assert not re.search(r"transverse (abduction|adduction|extension|flexion)", prose)


# --------------------------------------------------------------------------- anatomy facts


def test_trapezius_origin(bundle: ContentBundle) -> None:
    description = muscle(bundle, "trapezius").description.lower()
    for part in ("occiput", "ligamentum nuchae", "c7", "t12"):
        assert part in description, part


def test_biceps_femoris_short_head_starts_on_the_femur(bundle: ContentBundle) -> None:
    description = muscle(bundle, "hamstrings").description.lower()
    assert "short head" in description
    assert "femur" in description
    assert "linea aspera" in description


def test_forearm_flexors_are_synergists_of_elbow_flexion(bundle: ContentBundle) -> None:
    assert functions(bundle, "forearm-flexors")["elbow-flexion"] is FunctionRole.SYNERGIST


def test_lat_and_teres_major_internal_rotation_rated_alike(bundle: ContentBundle) -> None:
    lat = functions(bundle, "latissimus-dorsi")["shoulder-internal-rotation"]
    assert functions(bundle, "teres-major")["shoulder-internal-rotation"] is lat


# --------------------------------------------------------------------------- exercises


def test_deadlift_mixed_grip_safety_note(bundle: ContentBundle) -> None:
    deadlift = exercise(bundle, "deadlift")
    notes = " ".join(deadlift.safety_notes).lower()
    for part in ("mixed grip", "biceps", "hook grip", "straps"):
        assert part in notes, part


def test_no_unsourced_hardest_of_anything_claim(bundle: ContentBundle) -> None:
    assert "hardest of anything" not in all_prose(bundle)


def test_weighted_pull_up_aliases_exclude_the_chin_up(bundle: ContentBundle) -> None:
    aliases = [a.casefold() for a in exercise(bundle, "weighted-pull-up").aliases]
    assert "weighted chin-up" not in aliases
    assert not any("chin" in alias for alias in aliases)


def test_rear_delt_fly_thumbs_forward_by_default(bundle: ContentBundle) -> None:
    fly = exercise(bundle, "rear-delt-fly")
    cues = " ".join(fly.form_cues).lower()
    assert "thumbs point forward" in cues
    assert "little fingers slightly higher" not in exercise_prose(fly)
    assert "thumbs pointing forward" in fly.instructions[0].lower()


def test_shrug_mistake_does_not_claim_grinding(bundle: ContentBundle) -> None:
    assert "grind" not in exercise_prose(exercise(bundle, "barbell-shrug"))


def test_row_variants_are_not_credited_to_the_article(bundle: ContentBundle) -> None:
    variants = ("pendlay-row", "t-bar-row", "one-arm-dumbbell-row", "seated-cable-row")
    for slug in variants:
        assert ARTICLE_SOURCE_SLUG not in exercise(bundle, slug).sources, slug
    activation = by_slug(bundle.tips, "activate-your-back")
    assert ARTICLE_SOURCE_SLUG in activation.sources
    assert set(variants) <= set(activation.exercises)


def test_pull_up_has_one_rep_range(bundle: ContentBundle) -> None:
    pull_up = exercise(bundle, "pull-up")
    expected = (pull_up.rep_range.low, pull_up.rep_range.high)
    bodyweight = next(step for step in pull_up.ladder if step.exercise is None)
    assert (bodyweight.target_reps.low, bodyweight.target_reps.high) == expected
    for item in bundle.routines:
        if item.kind.value != "template":
            continue  # published routines keep their own prescriptions
        for day in item.days:
            for entry in day.entries:
                if entry.exercise == "pull-up":
                    assert (entry.reps.low, entry.reps.high) == expected, item.slug


def test_hyperextension_is_an_accessory(bundle: ContentBundle) -> None:
    assert "accessory" in exercise(bundle, "hyperextension").summary.lower()


# --------------------------------------------------------------------------- strategies


def test_beginner_big_compounds(bundle: ContentBundle) -> None:
    beginner = next(s for s in bundle.strategies if s.level is Level.BEGINNER)
    principle = next(p for p in beginner.principles if "compound" in p.title.lower())
    detail = principle.detail.lower()
    assert "two or three" in detail
    assert "chosen from the top five" not in detail
    assert "rather than a closed list" in detail
    # The hyperextension is named only as the accessory beside the big lifts.
    assert "the hyperextension, is an accessory" in detail


# --------------------------------------------------------------------------- posture


def test_posture_causality_is_the_articles_view(bundle: ContentBundle) -> None:
    note = by_slug(bundle.anatomy_notes, "weak-back-rounded-posture")
    benefit = by_slug(bundle.benefits, "better-posture")
    for text_ in (note.summary, note.body, note.points[0], benefit.summary, benefit.body):
        assert "article" in text_.lower(), text_
    front = by_slug(bundle.tips, "train-back-as-much-as-front")
    sentence = next(s for s in front.body.split(". ") if "hunched" in s)
    assert "article" in sentence.lower() or "its view" in sentence.lower(), sentence


# --------------------------------------------------------------------------- GZCLP


def test_gzclp_progression_as_published(bundle: ContentBundle) -> None:
    gzclp = by_slug(bundle.routines, "gzclp")
    rules = " ".join(gzclp.progression)
    for part in ("5x3+", "6x2+", "10x1+", "5-rep max", "3x10", "3x8", "3x6", "3x15+", "25"):
        assert part in rules, part
    t2_reset = next(rule for rule in gzclp.progression if rule.startswith("T2 after failing"))
    for part in ("3x10", "15-20 lb", "8-10 kg", "10-rep max"):
        assert part in t2_reset, part


def test_gzclp_weekly_schedule_as_published(bundle: ContentBundle) -> None:
    gzclp = by_slug(bundle.routines, "gzclp")
    assert [day.name for day in gzclp.days] == ["A1", "B1", "A2", "B2"]
    schedule = gzclp.schedule
    assert schedule.index("A1") < schedule.index("B1") < schedule.index("A2") < schedule.index("B2")
    assert "three or four" in schedule


# --------------------------------------------------------------------------- own words


def test_straight_back_tip_is_not_a_close_paraphrase(
    bundle: ContentBundle, shared_dir: Path
) -> None:
    """The two passages that followed the article closely share no four-word run with it."""
    article = shingles((shared_dir / "source" / "back-training-article.txt").read_text("utf-8"), 4)
    straight = by_slug(bundle.tips, "keep-back-straight")
    rounding = next(p for p in straight.problems if "round" in p.title.lower())
    for passage in (straight.body, rounding.detail):
        assert not shingles(passage, 4) & article


# --------------------------------------------------------------------------- sources


def test_every_recommender_source_id_is_a_source_slug(bundle: ContentBundle) -> None:
    ids = recommender_source_ids()
    assert ids, "no source ids found"
    slugs = {s.slug for s in bundle.sources}
    missing = {name: value for name, value in ids.items() if value not in slugs}
    assert not missing, missing


def test_article_id_matches_the_content_constant() -> None:
    assert text.ARTICLE == ARTICLE_SOURCE_SLUG
