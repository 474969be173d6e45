"""Choosing another exercise for the same job, and the load to start it at (issue 8).

Rotation (`ROTATE_VARIATION`) and ADD_SETS (b) both pick from the catalog here, so both stay
within the movement pattern and the loading family of the exercise they stand in for: a loaded
barbell row rotates to a Pendlay or T-bar row (same loading), then a cable or dumbbell row
(another external load), never to a bodyweight inverted row. The starting load comes from the
e1RM of the exercise replaced, scaled down (conservative) and rounded down onto the new
exercise's loadable grid.
"""

from collections.abc import Collection

from app.recommender.config import RecommenderConfig
from app.recommender.enums import Loading, Pattern, Side
from app.recommender.history import default_rep_range
from app.recommender.models import ExerciseFacts, Prescription
from app.recommender.rpe import rts_percentage
from app.recommender.rules import RuleContext, targets_prescription
from app.recommender.volume import Catalog

EXTERNAL = frozenset({Loading.BARBELL, Loading.DUMBBELL, Loading.MACHINE, Loading.CABLE})
BODYWEIGHT = frozenset({Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT, Loading.ASSISTED})


def loading_family(loading: Loading) -> frozenset[Loading]:
    """External loads (barbell, dumbbell, machine, cable) or bodyweight-based ones."""
    return EXTERNAL if loading in EXTERNAL else BODYWEIGHT


def _overlap(a: ExerciseFacts, b: ExerciseFacts) -> int:
    return len(set(a.primary_muscles) & set(b.primary_muscles))


def candidates(
    catalog: Catalog,
    *,
    pattern: Pattern,
    side: Side,
    like: ExerciseFacts | None,
    exclude: Collection[str],
) -> list[ExerciseFacts]:
    """Catalog exercises of `pattern` and `side` (no ladders, no variants, none excluded), the
    best first: the loading of `like`, then its loading family (nothing outside it), then the
    most primary muscles shared with `like`, then the article's top-five rank, then the slug.
    Without `like` every loading is allowed and external loads come first."""
    excluded = {catalog.parent(s) for s in exclude} | set(exclude)
    found: list[tuple[tuple[int, int, int, str], ExerciseFacts]] = []
    for f in catalog.facts.values():
        if f.pattern is not pattern or f.side is not side or f.ladder or f.variant_of:
            continue
        if f.slug in excluded or (like is not None and f.slug == like.slug):
            continue
        if like is not None:
            if f.loading not in loading_family(like.loading):
                continue
            same = 0 if f.loading is like.loading else 1
            shared = _overlap(f, like)
        else:
            same = 0 if f.loading in EXTERNAL else 1
            shared = 0
        found.append(((same, -shared, f.top_rank or 99, f.slug), f))
    found.sort(key=lambda item: item[0])
    return [f for _, f in found]


def choose_substitute(
    replaced: ExerciseFacts,
    catalog: Catalog,
    exclude: Collection[str],
) -> ExerciseFacts | None:
    """The exercise a stalled one rotates to: same pattern, side and loading family."""
    found = candidates(
        catalog, pattern=replaced.pattern, side=replaced.side, like=replaced, exclude=exclude
    )
    return found[0] if found else None


def scale_for(replaced: ExerciseFacts, new: ExerciseFacts, cfg: RecommenderConfig) -> float:
    """How much of the replaced exercise's e1RM the new one is credited with (conservative)."""
    sub = cfg.substitution
    if new.loading is replaced.loading:
        return sub.same_loading_e1rm_factor
    return sub.other_loading_e1rm_factor


def starting_prescription(
    replaced: ExerciseFacts,
    e1rm: float | None,
    new: ExerciseFacts,
    sets: int,
    ctx: RuleContext,
) -> Prescription:
    """The new exercise at the floor of its rep range and the default target RPE, loaded from
    the replaced exercise's e1RM x `scale_for` x pct(floor reps, target RPE) (RTS), rounded down
    onto the new exercise's grid; without an e1RM (or for bodyweight lifts) no load is named."""
    cfg = ctx.cfg
    lo, _ = new.rep_range or default_rep_range(new, cfg)
    target_rpe = None if ctx.beginner else cfg.modifications.default_target_rpe
    load: float | None = None
    pct = rts_percentage(lo, target_rpe or cfg.substitution.beginner_rpe, cfg.rpe)
    if e1rm is not None and pct is not None and new.loading in EXTERNAL:
        raw = e1rm * scale_for(replaced, new, cfg) * pct
        load = ctx.grids.for_exercise(new).floor(raw)
    return targets_prescription((lo,) * max(1, sets), load=load, target_rpe=target_rpe)
