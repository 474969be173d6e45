"""Choosing another exercise for the same job, and the load to start it at (issue 8).

Rotation (`ROTATE_VARIATION`), ADD_SETS (b) and the balance fix all pick from the catalog with
`candidates`, and all start the new exercise with `starting_prescription`:

- Rotation (`choose_substitute`) stays within the movement pattern and the loading family of
  the exercise it replaces: a loaded barbell row rotates to a Pendlay or T-bar row (same
  loading), then a cable or dumbbell row (another external load), never to a bodyweight
  inverted row. It starts from the replaced exercise's e1RM x `scale_for`.
- ADD_SETS (b) and the balance fix (`choose_added_pull`) add a back pull not yet in the
  routine: a stalled pull's own pattern, preferring its loading, then its loading family; else
  a horizontal pull when rows are under-represented, else a vertical one. It starts from the
  related pull's e1RM x `added_exercise_load_factor` (`addition_prescription`).

The starting load is the e1RM x scale x pct(floor reps, target RPE) (RTS), per hand for a
dumbbell exercise derived from a two-handed lift, rounded down onto the new exercise's grid.
"""

from collections.abc import Collection, Iterable

from app.recommender.config import RecommenderConfig
from app.recommender.enums import Loading, Pattern, Side
from app.recommender.history import Exposure, default_rep_range
from app.recommender.models import ExerciseFacts, Prescription
from app.recommender.rpe import rts_percentage
from app.recommender.rules import RuleContext
from app.recommender.volume import Catalog, WeeklyVolume

EXTERNAL = frozenset({Loading.BARBELL, Loading.DUMBBELL, Loading.MACHINE, Loading.CABLE})
BODYWEIGHT = frozenset({Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT, Loading.ASSISTED})
PULL_PATTERNS = (Pattern.HORIZONTAL_PULL, Pattern.VERTICAL_PULL)


def loading_family(loading: Loading) -> frozenset[Loading]:
    """External loads (barbell, dumbbell, machine, cable) or bodyweight-based ones."""
    return EXTERNAL if loading in EXTERNAL else BODYWEIGHT


def _likeness(f: ExerciseFacts, like: ExerciseFacts | None) -> tuple[bool, bool, int]:
    """Sort key, most alike first: the same loading, the same loading family, the most primary
    muscles shared."""
    if like is None:
        return (False, False, 0)
    return (
        f.loading is not like.loading,
        f.loading not in loading_family(like.loading),
        -len(set(f.primary_muscles) & set(like.primary_muscles)),
    )


def candidates(
    catalog: Catalog,
    *,
    patterns: Collection[Pattern],
    side: Side,
    like: ExerciseFacts | None = None,
    prefer: Pattern | None = None,
    exclude: Collection[str] = (),
    same_family: bool = False,
    variants: bool = True,
) -> list[ExerciseFacts]:
    """Catalog exercises of one of `patterns` on `side`, neither excluded nor a variant of an
    excluded lift (nor `like` itself), the best first: the `prefer`red pattern, then the loading
    of `like`, then its loading family, then the most primary muscles shared with `like`, then
    the article's top-five rank (a variant's is its lift's), then plain exercises before
    variants, then catalog order. `same_family` keeps only `like`'s loading family;
    `variants=False` leaves out ladder exercises and variants of a top-five lift."""
    excluded = set(exclude) | {catalog.parent(s) for s in exclude}
    if like is not None:
        excluded.add(like.slug)
    found = [
        f
        for f in catalog.facts.values()
        if f.side is side
        and f.pattern in patterns
        and f.slug not in excluded
        and catalog.parent(f.slug) not in excluded
        and (variants or not (f.ladder or f.variant_of))
        and not (same_family and like is not None and f.loading not in loading_family(like.loading))
    ]
    found.sort(
        key=lambda f: (
            prefer is not None and f.pattern is not prefer,
            *_likeness(f, like),
            catalog.top_rank(f.slug) or 99,
            f.variant_of is not None,
        )
    )
    return found


def choose_substitute(
    replaced: ExerciseFacts,
    catalog: Catalog,
    exclude: Collection[str],
) -> ExerciseFacts | None:
    """The exercise a stalled one rotates to: same pattern, side and loading family, a plain
    exercise (no ladder, no variant), not in `exclude` (the routine)."""
    found = candidates(
        catalog,
        patterns=(replaced.pattern,),
        side=replaced.side,
        like=replaced,
        exclude=exclude,
        same_family=True,
        variants=False,
    )
    return found[0] if found else None


def preferred_pull(weekly: WeeklyVolume) -> Pattern:
    """A horizontal pull when rows are under-represented in the week, else a vertical pull."""
    if weekly.horizontal_pull_sets < weekly.vertical_pull_sets:
        return Pattern.HORIZONTAL_PULL
    return Pattern.VERTICAL_PULL


def choose_added_pull(
    catalog: Catalog,
    weekly: WeeklyVolume,
    routine: Collection[str],
    *,
    like: ExerciseFacts | None = None,
) -> ExerciseFacts | None:
    """The pull ADD_SETS (b) and the balance fix add: a back pull not yet in the routine
    (neither it nor a variant of it), never a hinge or a back extension, so added volume serves
    the back without more spinal loading. For a stalled pull (`like`) its movement pattern,
    preferring its loading, then its loading family (barbell row -> Pendlay row, then a cable
    row); otherwise (the balance fix, a stalled back non-pull) a horizontal pull when rows are
    under-represented, else a vertical one."""
    own = like.pattern if like is not None and like.pattern in PULL_PATTERNS else None
    found = candidates(
        catalog,
        patterns=(own,) if own is not None else PULL_PATTERNS,
        side=Side.BACK,
        like=like,
        prefer=None if own is not None else preferred_pull(weekly),
        exclude=routine,
    )
    return found[0] if found else None


def exposure_e1rm(e: Exposure) -> float | None:
    """The e1RM a new exercise starts from: the estimate, else its lower bound, else Epley on
    the system load when the RTS chart cannot say."""
    if e.e1rm is not None:
        return e.e1rm
    if e.e1rm_lower is not None:
        return e.e1rm_lower
    if e.system_load and e.reps:
        return e.system_load * (1 + max(e.reps) / 30)
    return None


def related_source(
    new: ExerciseFacts, logged: Iterable[tuple[ExerciseFacts, Exposure]]
) -> tuple[ExerciseFacts, Exposure] | None:
    """Of the logged exercises with an e1RM, the one a new exercise's load is derived from: the
    same pattern first, then the most alike (`_likeness`), then the strongest estimate."""
    options = [(f, e, e1rm) for f, e in logged if (e1rm := exposure_e1rm(e)) is not None]
    if not options:
        return None
    f, e, _ = min(
        options, key=lambda o: (o[0].pattern is not new.pattern, *_likeness(o[0], new), -o[2])
    )
    return f, e


def scale_for(replaced: ExerciseFacts, new: ExerciseFacts, cfg: RecommenderConfig) -> float:
    """How much of the replaced exercise's e1RM a rotation credits the new one with."""
    sub = cfg.substitution
    if new.loading is replaced.loading:
        return sub.same_loading_e1rm_factor
    return sub.other_loading_e1rm_factor


def load_scale(
    new: ExerciseFacts, source: ExerciseFacts | None, scale: float, cfg: RecommenderConfig
) -> float:
    """`scale`, per hand (`added_dumbbell_share`) for a dumbbell exercise whose e1RM comes from
    a lift that is not a dumbbell one."""
    if new.loading is Loading.DUMBBELL and (
        source is None or source.loading is not Loading.DUMBBELL
    ):
        return scale * cfg.modifications.added_dumbbell_share
    return scale


def starting_prescription(
    new: ExerciseFacts,
    sets: int,
    ctx: RuleContext,
    *,
    e1rm: float | None = None,
    source: ExerciseFacts | None = None,
    scale: float = 1.0,
) -> Prescription:
    """How a new exercise starts: `sets` at the bottom of its rep range and the default target
    RPE (none for a beginner), with a conservative, loadable load.

    An external load is `e1rm` (of `source`) x `load_scale` x pct(floor reps, target RPE; a
    beginner's at `substitution.beginner_rpe`) (RTS), rounded down onto the new exercise's
    grid; without an e1RM a share of bodyweight (dumbbell: per hand), else the lightest loadable
    weight. Bodyweight exercises start unloaded, assisted ones with the initial assistance,
    ladder exercises on their first rung.
    """
    cfg = ctx.cfg
    mods = cfg.modifications
    lo, hi = default_rep_range(new, cfg)
    target_rpe = None if ctx.beginner else mods.default_target_rpe
    sets = max(1, sets)
    bodyweight = ctx.profile.bodyweight
    if new.ladder:
        return Prescription(
            sets=sets, rep_range=(lo, hi), load=0.0, ladder_step=1, target_rpe=target_rpe
        )
    if new.loading is Loading.ASSISTED:
        grid = ctx.grids.assist()
        raw = (bodyweight or 0.0) * cfg.ladders.initial_assist_pct
        assistance = grid.at_least(raw) if bodyweight else None
        if assistance is None:
            assistance = grid.floor_or_min(cfg.ladders.fallback_initial_assist.for_unit(ctx.unit))
        return Prescription(
            sets=sets, rep_range=(lo, hi), load=0.0, assistance=assistance, target_rpe=target_rpe
        )
    if new.loading in BODYWEIGHT:
        return Prescription(sets=sets, rep_range=(lo, hi), load=0.0, target_rpe=target_rpe)
    dumbbell = new.loading is Loading.DUMBBELL
    pct = rts_percentage(lo, target_rpe or cfg.substitution.beginner_rpe, cfg.rpe)
    if e1rm is not None and pct is not None:
        raw = e1rm * load_scale(new, source, scale, cfg) * pct
    elif bodyweight:
        share = (
            mods.added_default_dumbbell_bodyweight_share
            if dumbbell
            else mods.added_default_bodyweight_share
        )
        raw = bodyweight * share
    else:
        raw = 0.0
    return Prescription(
        sets=sets,
        rep_range=(lo, hi),
        load=ctx.grids.for_exercise(new).floor_or_min(raw),
        target_rpe=target_rpe,
    )


def addition_prescription(
    added: ExerciseFacts, source: tuple[ExerciseFacts, Exposure] | None, ctx: RuleContext
) -> Prescription:
    """How an exercise added by ADD_SETS (b) or the balance fix starts: `added_exercise_sets`,
    loaded from the related pull's e1RM x `added_exercise_load_factor`."""
    mods = ctx.cfg.modifications
    return starting_prescription(
        added,
        mods.added_exercise_sets,
        ctx,
        e1rm=exposure_e1rm(source[1]) if source is not None else None,
        source=source[0] if source is not None else None,
        scale=mods.added_exercise_load_factor,
    )
