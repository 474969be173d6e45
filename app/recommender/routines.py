"""Routine engines as published: GZCLP's tiers and stages, the Basic Beginner Routine's success
rule, and the pull-up ladder's answer to a stall (Starting Strength's steps are configuration:
`LinearProgressionConfig.starting_strength`).

Everything here is read from the logged history, never from an echoed `state`: a GZCLP stage is
the shape of the targets the client logged, a pull-up scheme is the logged targets, assistance and
ladder step, so the answer without `state` equals the answer with it.

GZCLP (Cody Lefever), beginners with `routine_profile = gzclp`:
- T1 (main lifts, heavy): 5x3+ (last set as many reps as possible). A failed session moves to
  6x2+ at the same load, then 10x1+; when 10x1+ fails, a new 5x3+ starts at 85 % of the failed
  load, rounded down (`GzclpConfig.t1_reset_factor`). We chose 85 % of the last load over a new
  5RM estimate from the AMRAP sets: it needs no test session, and it is reconstructible from the
  log alone. It counts as the lift's linear-progression deload (`LP_DELOAD`).
- T2 (secondary lifts): 3x10 -> 3x8 -> 3x6 at the same load on failures; after 3x6 fails the
  cycle restarts at 3x10 with the last successful 3x10 load + 7.5 kg / 15 lb
  (`t2_reset_increment`; the published advice is 15-20 lb over the last 3x10 weight).
- T1 and T2 successes add +2.5 kg upper / +5 kg lower (lb: 5 / 10) and stay at the stage.
- T3 (accessories): 3x15+; the load goes up one loadable step when the last (AMRAP) set reaches
  25 reps.
- Tier: from the logged target reps (3/2/1 = T1 stages, 10/8/6 = T2, 15 = T3), else a mapping:
  squat, bench, deadlift and overhead press are T1; isolation and cable/machine/dumbbell lifts
  T3; the rest (barbell rows and other compounds) T2 (`GzclpConfig`).

Basic Beginner Routine (r/Fitness): 3x5 with the last set AMRAP; the session succeeds when the
three sets total at least 15 reps (5/4/7 = 16 succeeds), with good form; the step doubles when the
last AMRAP set passes 10 reps; under 15 deloads 10 % (failure limit 1).

Pull-up ladder stall (spec 11): `LadderConfig.stall_sessions` (3) sessions at the same scheme
without a new best total change the scheme, in this order: (1) more assistance with more reps,
3x10 with one assistance step more (3x10 done removes the step: back to 3x8 where the lifter
stalled); (2) slow negatives, 3x5 logged with `ladder_step` 1 (done: back to the stalled assisted
3x8); (3) a step down to inverted rows. Rising total reps are not a stall.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.recommender import text
from app.recommender.config import GzclpConfig, RecommenderConfig
from app.recommender.enums import Action, ExerciseStatus, ReasonCode
from app.recommender.history import Exposure
from app.recommender.loading import increase_load
from app.recommender.models import ExerciseFacts, Prescription, Reason
from app.recommender.rules import (
    Climb,
    Decision,
    RuleContext,
    climbed,
    lp_step_size,
    targets_prescription,
)
from app.recommender.text import num, reps_text

_EPS = 1e-6


def _decide(
    action: Action,
    prescription: Prescription,
    code: ReasonCode,
    message: str,
    sources: tuple[str, ...],
    status: ExerciseStatus | None = None,
) -> Decision:
    """A routine decision with its one reason."""
    return Decision(action, prescription, (Reason(code, message, sources),), status=status)


# ---------------------------------------------------------------------------------------------
# Basic Beginner Routine


def lp_succeeded(exposure: Exposure, ctx: RuleContext) -> bool:
    """Whether a linear-progression session succeeded under the routine's own rule: BBR counts
    total reps against the targets' sum, the others need every set at its target."""
    profile = ctx.cfg.linear.for_profile(ctx.profile.routine_profile)
    if profile.total_reps_success:
        return not exposure.form_broken and exposure.total_reps >= sum(exposure.targets)
    return exposure.targets_met


def lp_outcome_note(exposure: Exposure, ctx: RuleContext) -> str | None:
    """What a linear-progression message must say when the routine's rule is not "every set
    at its target": BBR's total reps, met or missed, and the doubled step after a big AMRAP."""
    profile = ctx.cfg.linear.for_profile(ctx.profile.routine_profile)
    if not profile.total_reps_success:
        return None
    total, need = exposure.total_reps, sum(exposure.targets)
    done = "/".join(str(r) for r in exposure.reps)
    at = ctx.qty(exposure.load)
    if not lp_succeeded(exposure, ctx):
        counted = " with good form" if exposure.form_broken else ""
        return (
            f"{done} at {at} gives {total} reps{counted}, short of the {need} total reps the "
            f"routine asks of {exposure.set_count} sets"
        )
    note = (
        f"{done} = {total} reps at {at} reach the {need} total reps the routine asks of "
        f"{exposure.set_count} sets"
    )
    last = exposure.sets[-1]
    above = profile.amrap_double_above
    if above is not None and last.is_amrap and last.reps > above:
        note += f"; the last set's {last.reps} reps are over {above}, which doubles the step"
    return note


# ---------------------------------------------------------------------------------------------
# GZCLP


class Tier(StrEnum):
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"


@dataclass(frozen=True, slots=True)
class Stage:
    """Where a GZCLP lift stands: its tier, the stage index (None before its first GZCLP
    session) and that stage's sets x reps."""

    tier: Tier
    index: int | None
    sets: int
    reps: int


def _stages(tier: Tier, g: GzclpConfig) -> tuple[tuple[int, int], ...]:
    if tier is Tier.T1:
        return g.t1_stages
    if tier is Tier.T2:
        return g.t2_stages
    return (g.t3_scheme,)


def mapped_tier(facts: ExerciseFacts, g: GzclpConfig) -> Tier:
    """The tier of a lift logged without a GZCLP shape: main lifts T1, accessories T3."""
    if facts.slug in g.t1_slugs or (
        facts.variant_of is not None and facts.variant_of in g.t1_slugs
    ):
        return Tier.T1
    if facts.pattern in g.t3_patterns or facts.loading in g.t3_loadings:
        return Tier.T3
    return Tier.T2


def gzclp_stage(exposure: Exposure, facts: ExerciseFacts, cfg: RecommenderConfig) -> Stage:
    """Tier and stage from the targets the client logged (one uniform `target_reps`); the
    mapped tier is tried first so overlapping custom stages resolve to the lift's usual tier."""
    g = cfg.gzclp
    logged = {s.target_reps for s in exposure.sets}
    target = logged.pop() if len(logged) == 1 else None
    mapped = mapped_tier(facts, g)
    if target is not None:
        for tier in (mapped, *(t for t in Tier if t is not mapped)):
            for i, (sets, reps) in enumerate(_stages(tier, g)):
                if reps == target:
                    return Stage(tier, i, sets, reps)
    sets, reps = _stages(mapped, g)[0]
    return Stage(mapped, None, sets, reps)


def _scheme(tier: Tier, sets: int, reps: int) -> str:
    return f"{sets}x{reps}{'' if tier is Tier.T2 else '+'}"


def _stage_done(exposure: Exposure, stage: Stage) -> bool:
    if stage.index is None:
        return exposure.targets_met
    return (
        not exposure.form_broken
        and exposure.set_count >= stage.sets
        and all(r >= stage.reps for r in exposure.reps)
    )


def gzclp_resets_here(exposure: Exposure, facts: ExerciseFacts, cfg: RecommenderConfig) -> bool:
    """Whether this exposure failed T1's last stage: the T1 reset, GZCLP's deload."""
    stage = gzclp_stage(exposure, facts, cfg)
    last = len(cfg.gzclp.t1_stages) - 1
    return stage.tier is Tier.T1 and stage.index == last and not _stage_done(exposure, stage)


def gzclp_progression(
    exposures: Sequence[Exposure], facts: ExerciseFacts, ctx: RuleContext
) -> Decision:
    """GZCLP's next session for one lift, from its exposures (the last is the latest)."""
    exposure = exposures[-1]
    stage = gzclp_stage(exposure, facts, ctx.cfg)
    if stage.tier is Tier.T3:
        return _gzclp_t3(exposure, facts, ctx, stage)
    g = ctx.cfg.gzclp
    stages = _stages(stage.tier, g)
    grid = ctx.grids.for_exercise(facts)
    load = exposure.load
    tier = stage.tier.value
    sources = (text.GZCLP,)
    if _stage_done(exposure, stage):
        sets, reps = stages[stage.index or 0]
        step = lp_step_size(exposure, facts, ctx)
        up = increase_load(grid, load, step, ctx.cfg).load
        new = up if up is not None else load
        scheme = _scheme(stage.tier, sets, reps)
        then = (
            f"{scheme} at {ctx.qty(new)} next session"
            if stage.index is not None
            else f"start GZCLP's {tier} at {scheme} with {ctx.qty(new)}"
        )
        return _decide(
            Action.LP_STEP,
            targets_prescription((reps,) * sets, load=new),
            ReasonCode.LP_SUCCESS,
            f"{text.all_sets(exposure.set_count)} reached "
            f"{text.target_reps(exposure.targets)} at {ctx.qty(load)} ({tier}): add "
            f"{ctx.qty(new - load)}, {then}.",
            sources,
        )
    got = f"Got {reps_text(exposure.reps)} against {reps_text(exposure.targets)} at {ctx.qty(load)}"
    if stage.index is None or stage.index + 1 < len(stages):
        index = 0 if stage.index is None else stage.index + 1
        sets, reps = stages[index]
        scheme = _scheme(stage.tier, sets, reps)
        what = (
            f"start GZCLP's {tier} at {scheme}"
            if stage.index is None
            else f"GZCLP's {tier} moves to its next stage, {scheme} (stage {index + 1} of "
            f"{len(stages)})"
        )
        return _decide(
            Action.REPEAT,
            targets_prescription((reps,) * sets, load=load),
            ReasonCode.LP_FAIL_REPEAT,
            f"{got}: {what} at the same {ctx.qty(load)}.",
            sources,
        )
    if stage.tier is Tier.T1:
        sets, reps = stages[0]
        factor = g.t1_reset_factor
        raw = load * factor
        new = grid.floor_or_min(raw)
        scheme = _scheme(stage.tier, sets, reps)
        return _decide(
            Action.DELOAD,
            targets_prescription((reps,) * sets, load=new),
            ReasonCode.LP_DELOAD,
            f"{got}, the last T1 stage: reset to {scheme} at {num(factor * 100)} % of the "
            f"load ({num(load)} x {num(factor)} = {num(raw)}, rounded down to "
            f"{ctx.qty(new)}) and climb again.",
            sources,
            status=ExerciseStatus.DELOAD,
        )
    return _gzclp_t2_reset(exposures, facts, ctx, got)


def _gzclp_t2_reset(
    exposures: Sequence[Exposure], facts: ExerciseFacts, ctx: RuleContext, got: str
) -> Decision:
    """After 3x6 fails: 3x10 at the last successful 3x10 load plus the published increment."""
    g = ctx.cfg.gzclp
    sets, reps = g.t2_stages[0]
    grid = ctx.grids.for_exercise(facts)
    first = Stage(Tier.T2, 0, sets, reps)
    base = next(
        (
            x.load
            for x in reversed(exposures)
            if gzclp_stage(x, facts, ctx.cfg) == first and _stage_done(x, first)
        ),
        None,
    )
    load = exposures[-1].load
    if base is None:
        factor = g.t1_reset_factor
        new = grid.floor_or_min(load * factor)
        how = (
            f"no successful {sets}x{reps} is in the log, so restart at {num(factor * 100)} % of "
            f"{ctx.qty(load)} = {ctx.qty(new)} (rounded down)"
        )
    else:
        inc = g.t2_reset_increment.for_unit(ctx.unit)
        new = grid.floor_or_min(base + inc)
        how = (
            f"restart at the last successful {sets}x{reps} load, {ctx.qty(base)}, + "
            f"{ctx.qty(inc)} = {ctx.qty(new)}"
        )
    return _decide(
        Action.RESET,
        targets_prescription((reps,) * sets, load=new),
        ReasonCode.LP_FAIL_REPEAT,
        f"{got}, the last T2 stage: the T2 cycle starts again at {sets}x{reps}; {how}.",
        (text.GZCLP,),
        status=ExerciseStatus.RESET,
    )


def _gzclp_t3(exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext, stage: Stage) -> Decision:
    """T3 3x15+: one loadable step when the last (AMRAP) set reaches 25 reps."""
    g = ctx.cfg.gzclp
    load = exposure.load
    sets, reps = stage.sets, stage.reps
    scheme = _scheme(Tier.T3, sets, reps)
    last = exposure.reps[-1]
    met = _stage_done(exposure, Stage(Tier.T3, 0, sets, reps))
    sources = (text.GZCLP,)
    if met and last >= g.t3_amrap_reps:
        up = ctx.grids.for_exercise(facts).above(load)
        if up is not None:
            return _decide(
                Action.LP_STEP,
                targets_prescription((reps,) * sets, load=up),
                ReasonCode.LP_SUCCESS,
                f"The last set reached {last} reps (at least {g.t3_amrap_reps}) at "
                f"{ctx.qty(load)}: add {ctx.qty(up - load)}, {scheme} at {ctx.qty(up)}.",
                sources,
            )
    if stage.index is None:
        message = (
            f"GZCLP counts {exposure.exercise} as a T3 accessory: {scheme} at {ctx.qty(load)}, "
            f"adding load once the last set reaches {g.t3_amrap_reps} reps."
        )
        code = ReasonCode.LP_SUCCESS if exposure.targets_met else ReasonCode.LP_FAIL_REPEAT
    elif met:
        message = (
            f"{text.all_sets(exposure.set_count)} reached {reps} at {ctx.qty(load)}; the last "
            f"set's {last} reps are short of the {g.t3_amrap_reps} that earn more load: keep "
            f"{scheme} at {ctx.qty(load)}."
        )
        code = ReasonCode.LP_SUCCESS
    else:
        message = (
            f"Got {reps_text(exposure.reps)} against {scheme} at {ctx.qty(load)}: repeat the load."
        )
        code = ReasonCode.LP_FAIL_REPEAT
    return _decide(
        Action.REPEAT,
        targets_prescription((reps,) * sets, load=load),
        code,
        message,
        sources,
    )


# ---------------------------------------------------------------------------------------------
# Pull-up ladder stalls (spec 11)


def is_negatives(exposure: Exposure, ctx: RuleContext) -> bool:
    lad = ctx.cfg.ladders
    return (
        exposure.rung == lad.negative_ladder_step
        and exposure.assistance <= 0
        and exposure.load <= 0
    )


def _scheme_key(e: Exposure) -> tuple[float, float, int, tuple[int, ...]]:
    return (e.assistance, e.load, e.rung, e.targets)


def stalled_sessions(exposures: Sequence[Exposure]) -> int:
    """Sessions at the latest scheme without progress (spec 6: an exposure progresses when it
    beats the best total so far): three identical misses count 3, and each new best total
    restarts the count at 0, so 22 -> 23 -> 22 -> 20 counts 2, not 3 (issue 8, finding 5). The
    scheme's first session is its baseline and counts as a session without progress. A
    session with broken form (R8) is never a new best."""
    key = _scheme_key(exposures[-1])
    run: list[Exposure] = []
    for x in reversed(exposures):
        if _scheme_key(x) != key or (run and x.targets_met):
            break
        run.append(x)
    run.reverse()
    best, since = run[0].total_reps, 0
    for i, x in enumerate(run[1:], start=1):
        if not x.form_broken and x.total_reps > best:
            best, since = x.total_reps, i + 1
    return len(run) - since


def _stalled_assistance(exposures: Sequence[Exposure], ctx: RuleContext) -> float | None:
    """The assistance of the last regular assisted 3x8 before negatives: where the lifter goes
    back to."""
    reps = ctx.cfg.ladders.assisted_reps
    assisted = [x for x in exposures if x.assistance > 0]
    regular = [x for x in assisted if x.top_target <= reps]
    found = regular or assisted
    return found[-1].assistance if found else None


def pull_up_scheme(
    exposures: Sequence[Exposure],
    facts: ExerciseFacts,
    ctx: RuleContext,
    climb: Climb | None = None,
) -> Decision | None:
    """Negatives, and a stalled assisted rung's change of scheme; None when the ordinary ladder
    (rules.pull_up_ladder) decides. `climb`: the climb back after a reset (`rules.climbed`)."""
    del facts  # the ladder is the same for every vertical pull
    e = exposures[-1]
    lad = ctx.cfg.ladders
    if is_negatives(e, ctx):
        return _negatives(exposures, ctx, climb)
    if e.assistance <= 0:
        return None
    rung_reps = (
        lad.stall_volume_reps if e.top_target == lad.stall_volume_reps else lad.assisted_reps
    )
    done = not e.form_broken and e.set_count >= lad.sets and all(r >= rung_reps for r in e.reps)
    if done:
        return None
    stalled = stalled_sessions(exposures)
    if stalled < lad.stall_sessions:
        return None
    head = (
        f"{stalled} sessions at {reps_text(e.targets)} with {ctx.qty(e.assistance)} assistance "
        f"without a new best (last {reps_text(e.reps)})"
    )
    if e.top_target < lad.stall_volume_reps:
        grid = ctx.grids.assist()
        more = e.assistance
        for _ in range(lad.stall_extra_assist_steps):
            more = grid.above(more) or more
        reps = lad.stall_volume_reps
        return _decide(
            Action.ROTATE_VARIATION,
            targets_prescription((reps,) * lad.sets, load=0.0, assistance=more),
            ReasonCode.STALL_DETECTED,
            f"{head}: change the scheme instead of repeating it, {lad.sets}x{reps} with "
            f"{ctx.qty(more)} assistance (more help, more reps); when {lad.sets}x{reps} "
            f"is done, go back to {lad.sets}x{lad.assisted_reps} with "
            f"{ctx.qty(e.assistance)}.",
            (text.ARTICLE,),
            status=ExerciseStatus.STALLED,
        )
    return _to_negatives(head, ctx)


def _to_negatives(head: str, ctx: RuleContext) -> Decision:
    lad = ctx.cfg.ladders
    sets, reps = lad.negative_sets, lad.negative_reps
    return _decide(
        Action.ROTATE_VARIATION,
        targets_prescription((reps,) * sets, load=0.0, ladder_step=lad.negative_ladder_step),
        ReasonCode.STALL_DETECTED,
        f"{head}: switch to slow negatives, {sets}x{reps} without assistance: step up "
        f"to the top and lower yourself for 3-5 seconds (log them with ladder step "
        f"{lad.negative_ladder_step}).",
        (text.ARTICLE,),
        status=ExerciseStatus.STALLED,
    )


def _negatives(
    exposures: Sequence[Exposure], ctx: RuleContext, climb: Climb | None = None
) -> Decision:
    e = exposures[-1]
    lad = ctx.cfg.ladders
    sets = max(lad.negative_sets, e.set_count)
    if e.targets_met and e.set_count >= lad.negative_sets:
        back = _stalled_assistance(exposures, ctx)
        if back is None:
            wanted = (
                ctx.profile.bodyweight * lad.initial_assist_pct
                if ctx.profile.bodyweight
                else lad.fallback_initial_assist.for_unit(ctx.unit)
            )
            back = ctx.grids.assist().at_least(wanted) or wanted
        return _decide(
            Action.LADDER_ADVANCE,
            targets_prescription((lad.assisted_reps,) * lad.sets, load=0.0, assistance=back),
            ReasonCode.LADDER_ADVANCE,
            f"{text.all_sets(e.set_count)} of negatives reached {reps_text(e.targets)}: "
            f"back to assisted pull-ups, {lad.sets}x{lad.assisted_reps} with "
            f"{ctx.qty(back)} assistance.",
            (text.ARTICLE,),
        )
    stalled = stalled_sessions(exposures)
    if stalled >= lad.stall_sessions:
        lo = (lad.row_beginner_range if ctx.beginner else lad.row_range)[0]
        return _decide(
            Action.ROTATE_VARIATION,
            targets_prescription((lo,) * lad.sets, load=0.0),
            ReasonCode.STALL_DETECTED,
            f"{stalled} sessions of negatives at {reps_text(e.targets)} without a new "
            f"best (last {reps_text(e.reps)}): step down to {lad.step_down_exercise} at "
            f"its first rung, {lad.sets}x{lo}, and build the pull from there.",
            (text.ARTICLE,),
            status=ExerciseStatus.STALLED,
        )
    code = ReasonCode.LP_FAIL_REPEAT if ctx.beginner else ReasonCode.DP_REPS_UP
    return climbed(
        Action.REPEAT,
        targets_prescription(
            (max(e.targets),) * sets, load=0.0, ladder_step=lad.negative_ladder_step
        ),
        lambda p: (
            Reason(
                code,
                f"Got {reps_text(e.reps)} against {reps_text(e.targets)} negatives: repeat "
                f"{reps_text(p.reps_per_set)}, lowering for 3-5 seconds each rep.",
                (text.ARTICLE,),
            ),
        ),
        e,
        ctx,
        climb,
    )
