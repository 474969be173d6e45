"""The article's four modifications (R6) and the eligibility of each (spec 6)."""

from collections.abc import Collection
from dataclasses import dataclass

from app.recommender import text
from app.recommender.config import BACK_GROUP
from app.recommender.enums import (
    Experience,
    Loading,
    ModificationKind,
    Pattern,
    ReasonCode,
    Variant,
)
from app.recommender.history import Exposure
from app.recommender.loading import increase_load
from app.recommender.models import ActiveModification, ExerciseFacts, Prescription, Reason
from app.recommender.rpe import epley_ratio, rts_percentage
from app.recommender.rules import RuleContext, prescribed_rpe, targets_prescription
from app.recommender.substitution import addition_prescription, choose_added_pull
from app.recommender.volume import WeeklyVolume

_EPS = 1e-6

MOD_CODES: dict[ModificationKind, ReasonCode] = {
    ModificationKind.ADD_SETS: ReasonCode.MOD_ADD_SETS,
    ModificationKind.LOAD_UP: ReasonCode.MOD_LOAD_UP,
    ModificationKind.REPS_UP: ReasonCode.MOD_REPS_UP,
    ModificationKind.FAILURE_FINAL_SET: ReasonCode.MOD_FAILURE_FINAL_SET,
}


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: ModificationKind
    variant: Variant
    prescription: Prescription
    added_exercise: str | None = None


@dataclass(frozen=True, slots=True)
class ArbiterInputs:
    """What the arbiter knows about the group when an exercise stalls."""

    group: str
    weekly: WeeklyVolume
    rp_allowed_sets: int
    red_flags: tuple[str, ...]
    session_group_sets: float
    weekly_frequency: int
    routine: Collection[str]


def _target_rpe(exposure: Exposure, ctx: RuleContext) -> float:
    return prescribed_rpe(exposure, ctx) or ctx.cfg.modifications.default_target_rpe


def _room_for_effort(exposure: Exposure, ctx: RuleContext) -> bool:
    """Variant b ("closer to failure") needs a logged RPE that leaves at least 2 reps in reserve."""
    last = exposure.last_rpe
    return last is not None and last <= ctx.cfg.modifications.variant_b_max_rpe


def add_sets(
    exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext, inputs: ArbiterInputs
) -> Candidate | None:
    """R6(1) more total sets: (a) one more set of the stalled exercise, or (b) another back
    pull (`choose_added_pull`) at `added_exercise_sets`, loaded from the stalled exercise's
    e1RM (`addition_prescription`), when the exercise or session is already long. Only while
    the week stays within MAV and RP's soreness x performance table allows adding.
    """
    if inputs.red_flags or inputs.rp_allowed_sets < 1:
        return None
    mods = ctx.cfg.modifications
    mav_top = ctx.cfg.volume.mav_high
    current = inputs.weekly.group_sets(inputs.group)
    use_b = (
        exposure.set_count >= mods.add_sets_b_exercise_sets
        or exposure.set_count + 1 > mods.max_sets_per_exercise_session
        or inputs.session_group_sets >= mods.add_sets_b_session_group_sets
    )
    if use_b:
        # Variant b adds a back *pull*: it only serves the back group, and adding it for another
        # group would open a second modification on the back (R5).
        added = (
            choose_added_pull(ctx.catalog, inputs.weekly, inputs.routine, like=facts)
            if inputs.group == BACK_GROUP
            else None
        )
        if added is None:
            return None
        credit = ctx.catalog.credits_for(added.slug).get(inputs.group, 0.0)
        if current + mods.added_exercise_sets * credit > mav_top + _EPS:
            return None
        return Candidate(
            ModificationKind.ADD_SETS,
            Variant.B,
            addition_prescription(added, (facts, exposure), ctx),
            added_exercise=added.slug,
        )
    credit = ctx.catalog.credits_for(facts.slug).get(inputs.group, 0.0)
    if current + credit * max(1, inputs.weekly_frequency) > mav_top + _EPS:
        return None
    targets = (*exposure.targets, exposure.targets[-1])
    return Candidate(
        ModificationKind.ADD_SETS,
        Variant.A,
        targets_prescription(targets, load=exposure.load, target_rpe=prescribed_rpe(exposure, ctx)),
    )


def load_up(exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext) -> Candidate | None:
    """R6(2) more weight: (a) one loadable step with the most reps the e1RM allows at the target
    RPE (RTS), never below the range floor; (b) one step at the same reps with target RPE + 1.
    Only when the increment is <= 10 % of the load and the last RPE was <= 9.
    """
    mods = ctx.cfg.modifications
    if exposure.load <= 0:
        return None
    if exposure.last_rpe is not None and exposure.last_rpe > mods.load_up_max_rpe:
        return None
    grid = ctx.grids.for_exercise(facts)
    reference = exposure.system_load or exposure.load
    inc = increase_load(grid, exposure.load, None, ctx.cfg, reference)
    if inc.load is None:
        return None
    if inc.load - exposure.load > mods.load_up_max_increment_pct * reference + _EPS:
        return None
    target_rpe = _target_rpe(exposure, ctx)
    sets = exposure.set_count
    current = exposure.top_target
    if _room_for_effort(exposure, ctx):
        return Candidate(
            ModificationKind.LOAD_UP,
            Variant.B,
            targets_prescription(
                (current,) * sets, load=inc.load, target_rpe=min(10.0, target_rpe + 1)
            ),
        )
    floor = exposure.rep_range[0]
    e1rm = exposure.e1rm or exposure.e1rm_lower
    reps = floor
    if e1rm is not None and exposure.system_load is not None:
        offset = (exposure.system_load or 0.0) - exposure.load
        best = 0
        for r in range(1, ctx.cfg.rpe.max_reps + 1):
            pct = rts_percentage(r, target_rpe, ctx.cfg.rpe)
            if pct is not None and inc.load + offset <= e1rm * pct + _EPS:
                best = r
        reps = max(floor, min(best, current - 1))
    return Candidate(
        ModificationKind.LOAD_UP,
        Variant.A,
        targets_prescription(
            (reps,) * sets, load=inc.load, target_rpe=prescribed_rpe(exposure, ctx)
        ),
    )


def rep_cap(facts: ExerciseFacts, ctx: RuleContext) -> int:
    """Reps stay productive up to 20 on bodyweight/isolation work, 12 on barbell compounds."""
    ranges = ctx.cfg.rep_ranges
    if facts.loading is Loading.BARBELL and facts.pattern is not Pattern.ISOLATION:
        return ranges.rep_cap_barbell_compound
    return ranges.rep_cap_other


def reps_up(exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext) -> Candidate | None:
    """R6(3) more reps: (a) +2 reps at the largest load the e1RM supports (Epley ratio without
    one), never heavier; (b) +1 rep at the same load with target RPE + 1. Capped at 20/12 reps.
    """
    current = exposure.top_target
    sets = exposure.set_count
    cap = rep_cap(facts, ctx)
    target_rpe = _target_rpe(exposure, ctx)
    if _room_for_effort(exposure, ctx):
        if current + 1 > cap:
            return None
        return Candidate(
            ModificationKind.REPS_UP,
            Variant.B,
            targets_prescription(
                (current + 1,) * sets, load=exposure.load, target_rpe=min(10.0, target_rpe + 1)
            ),
        )
    new_reps = current + 2
    if new_reps > cap or exposure.load <= 0:
        return None
    pct = rts_percentage(new_reps, target_rpe, ctx.cfg.rpe)
    offset = (exposure.system_load or exposure.load) - exposure.load
    if exposure.e1rm is not None and pct is not None:
        raw = exposure.e1rm * pct - offset
    else:
        raw = exposure.load * epley_ratio(current, new_reps)
    raw = min(raw, exposure.load)
    grid = ctx.grids.for_exercise(facts)
    new_load = min(grid.floor_or_min(raw), exposure.load)
    return Candidate(
        ModificationKind.REPS_UP,
        Variant.A,
        targets_prescription(
            (new_reps,) * sets, load=new_load, target_rpe=prescribed_rpe(exposure, ctx)
        ),
    )


def failure_final_set(
    exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext
) -> Candidate | None:
    """R6(4) everything the same, last set to failure (AMRAP to RIR 0). Never for beginners or
    axial-heavy lifts, and pointless when the last set was already at RPE >= 9.5.
    """
    if ctx.profile.experience is Experience.BEGINNER or facts.axial_heavy:
        return None
    last = exposure.last_rpe
    if last is not None and last >= ctx.cfg.modifications.failure_max_rpe:
        return None
    return Candidate(
        ModificationKind.FAILURE_FINAL_SET,
        Variant.A,
        targets_prescription(
            exposure.targets,
            load=exposure.load,
            target_rpe=prescribed_rpe(exposure, ctx),
            final_set_to_failure=True,
        ),
    )


def choose_modification(
    exposure: Exposure,
    facts: ExerciseFacts,
    ctx: RuleContext,
    inputs: ArbiterInputs,
    tried: Collection[ModificationKind],
) -> Candidate | None:
    """R5 one modification at a time: the first eligible kind, in the article's order, that has
    not been tried in this episode."""
    for kind in ModificationKind:
        if kind in tried:
            continue
        if kind is ModificationKind.ADD_SETS:
            found = add_sets(exposure, facts, ctx, inputs)
        elif kind is ModificationKind.LOAD_UP:
            found = load_up(exposure, facts, ctx)
        elif kind is ModificationKind.REPS_UP:
            found = reps_up(exposure, facts, ctx)
        else:
            found = failure_final_set(exposure, facts, ctx)
        if found is not None:
            return found
    return None


def describe_modification(
    active: ActiveModification, ctx: RuleContext, *, just_opened: bool
) -> Reason:
    """The modification's reason, naming the prescription and the evaluation window."""
    p = active.prescription
    window = ctx.cfg.stall.evaluation_window
    # Every number comes from the prescription itself, through the one formatter (issue 8).
    shown = ctx.prescription(p)
    if active.kind is ModificationKind.ADD_SETS and active.variant is Variant.B:
        code = ReasonCode.MOD_ADD_EXERCISE
        what = f"add {active.added_exercise}, {shown}, to the week for more total back sets"
    elif active.kind is ModificationKind.ADD_SETS:
        code = ReasonCode.MOD_ADD_SETS
        what = f"one more set, {shown}, load unchanged"
    elif active.kind is ModificationKind.LOAD_UP:
        code = ReasonCode.MOD_LOAD_UP
        what = (
            f"more weight with fewer reps: {shown}"
            if active.variant is Variant.A
            else f"more weight, same reps, nearer failure: {shown}"
        )
    elif active.kind is ModificationKind.REPS_UP:
        code = ReasonCode.MOD_REPS_UP
        what = (
            f"more reps with less weight: {shown}"
            if active.variant is Variant.A
            else f"one more rep per set, closer to failure: {shown}"
        )
    else:
        code = ReasonCode.MOD_FAILURE_FINAL_SET
        what = f"everything the same, but take the final set to failure: {shown}"
    progress = (
        f"it is evaluated over the next {text.plural(window, 'exposure')}"
        if just_opened
        else f"{active.exposures_evaluated} of {window} evaluation exposures done"
    )
    return Reason(
        code,
        f"Modification {active.kind.value} ({active.variant.value}): {what}; {progress}.",
        (text.ARTICLE,),
    )
