"""Progression rules: each is one small function that names the training principle it applies."""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.recommender import text
from app.recommender.config import RecommenderConfig
from app.recommender.enums import (
    Action,
    ExerciseStatus,
    Experience,
    Loading,
    Pattern,
    ReasonCode,
    RoutineProfile,
    Unit,
)
from app.recommender.history import Exposure
from app.recommender.loading import LoadGrid, LoadGrids, increase_load
from app.recommender.models import (
    Caution,
    DeloadSnapshot,
    ExerciseFacts,
    Modification,
    Prescription,
    Profile,
    Reason,
    Replacement,
    SetLog,
)
from app.recommender.rpe import rts_percentage, set_e1rm
from app.recommender.text import num, reps_text
from app.recommender.volume import Catalog

_EPS = 1e-6

_ROUTINE_SOURCES: dict[RoutineProfile, str] = {
    RoutineProfile.STRONGLIFTS: text.STRONGLIFTS,
    RoutineProfile.STARTING_STRENGTH: text.STARTING_STRENGTH,
    RoutineProfile.BBR: text.BBR,
    RoutineProfile.PPL: text.PPL,
    RoutineProfile.GZCLP: text.GZCLP,
}

FORM_CUES = "neutral neck, straight back, pull with the elbows, no momentum"
GENERIC_FORM_CUES = "neutral neck, straight back, no momentum"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    prescription: Prescription
    reasons: tuple[Reason, ...]
    warnings: tuple[Caution, ...] = ()
    modification: Modification | None = None
    status: ExerciseStatus | None = None
    replacement: Replacement | None = None


@dataclass(frozen=True, slots=True)
class RuleContext:
    profile: Profile
    cfg: RecommenderConfig
    grids: LoadGrids
    catalog: Catalog

    @property
    def unit(self) -> Unit:
        return self.profile.unit

    @property
    def beginner(self) -> bool:
        return self.profile.experience is Experience.BEGINNER

    def qty(self, x: float) -> str:
        return text.qty(x, self.profile.unit)

    def prescription(self, p: Prescription) -> str:
        """The prescription as every message states it (`text.prescription_text`)."""
        return text.prescription_text(p, self.profile.unit)

    def routine_source(self) -> str:
        return _ROUTINE_SOURCES[self.profile.routine_profile]


def targets_prescription(
    targets: tuple[int, ...],
    *,
    load: float | None,
    assistance: float | None = None,
    ladder_step: int | None = None,
    target_rpe: float | None = None,
    final_set_to_failure: bool = False,
) -> Prescription:
    """Uniform targets become `reps`, differing ones `per_set_reps`."""
    sets = max(1, len(targets))
    uniform = bool(targets) and all(t == targets[0] for t in targets)
    return Prescription(
        sets=sets,
        reps=targets[0] if uniform else None,
        per_set_reps=None if uniform or not targets else targets,
        load=load,
        assistance=assistance or None,
        ladder_step=ladder_step,
        target_rpe=target_rpe,
        final_set_to_failure=final_set_to_failure,
    )


def rpe_logged(exposure: Exposure) -> bool:
    """Whether any work set carries an RPE or RIR (a set to failure alone is not a rating)."""
    return any(s.rpe is not None or s.rir is not None for s in exposure.sets)


def prescribed_rpe(exposure: Exposure, ctx: RuleContext) -> float | None:
    """Beginners never get RPE targets; advanced lifters get the default one; intermediates who
    log RPE/RIR without a target get `rpe.logged_default_target_rpe` (spec 4: RPE loading is
    on when RPE is logged)."""
    if ctx.beginner:
        return None
    if exposure.target_rpe is not None:
        return exposure.target_rpe
    if ctx.profile.experience is Experience.ADVANCED:
        return ctx.cfg.modifications.default_target_rpe
    if rpe_logged(exposure):
        return ctx.cfg.rpe.logged_default_target_rpe
    return None


# ---------------------------------------------------------------------------------------------
# The climb back after a reset (issue 8), applied before a progression rule states anything

_CLIMBED = frozenset({Action.DP_STEP, Action.REPEAT, Action.RPE_ADJUST})

Explain = Callable[[Prescription], tuple[Reason, ...]]


@dataclass(frozen=True, slots=True)
class Climb:
    """What the next session climbs back to after a reset, known before the progression rule
    runs (the engine's `_climb`). The rule shapes its prescription with it (`climbed`) and then
    builds its messages from the result, so every number a reason quotes is the final
    prescription's: sets climb back to `ramp_sets` (`deload.ramp_sets_per_exposure` a session)
    and reps to the pre-deload `base` reps (`_reps_back`)."""

    base: DeloadSnapshot | None = None
    ramp_sets: int | None = None
    e1rm: float | None = None
    # Added to a prescription's load minus assistance to get the load the e1RM is about
    # (the bodyweight share of a bodyweight or assisted lift).
    system_offset: float = 0.0


def climbed(
    action: Action,
    prescription: Prescription,
    explain: Explain,
    exposure: Exposure,
    ctx: RuleContext,
    climb: Climb | None,
) -> Decision:
    """The rule's decision with the climb back applied: the prescription first, then every
    reason formatted from it once."""
    if climb is None or action not in _CLIMBED:
        return Decision(action, prescription, explain(prescription))
    reps = _reps_back(exposure, prescription, ctx, climb)
    shaped = reps[0] if reps is not None else prescription
    final = _ramp_sets(shaped, ctx, climb)
    if reps is None:
        reasons = explain(final)
    elif exposure.load - exposure.assistance < reps[1].load - reps[1].assistance - _EPS:
        # The load climbs back in this step: the rule says how, the reps come with it.
        reasons = (*explain(final), _reps_back_reason(exposure, final, ctx, climb, reps[1]))
    else:
        reasons = (_reps_back_reason(exposure, final, ctx, climb, reps[1]),)
    if final.sets > shaped.sets:
        reasons = (
            *reasons,
            Reason(
                ReasonCode.RESET_AFTER_DELOAD,
                f"Climbing back after the reset: {shaped.sets} → "
                f"{text.plural(final.sets, 'set')} of the pre-deload {climb.ramp_sets}; next "
                f"{ctx.prescription(final)}.",
                (text.RP_LANDMARKS,),
            ),
        )
    return Decision(action, final, reasons)


def _ramp_sets(p: Prescription, ctx: RuleContext, climb: Climb) -> Prescription:
    """Sets climb back toward the pre-deload count, `deload.ramp_sets_per_exposure` a session."""
    if climb.ramp_sets is None or p.sets >= climb.ramp_sets:
        return p
    sets = min(climb.ramp_sets, p.sets + ctx.cfg.deload.ramp_sets_per_exposure)
    extra = sets - p.sets
    return replace(
        p,
        sets=sets,
        per_set_reps=(
            (*p.per_set_reps, *(p.per_set_reps[-1],) * extra)
            if p.per_set_reps is not None
            else None
        ),
    )


def _reps_allowed(p: Prescription, climb: Climb, target_rpe: float, ctx: RuleContext) -> int:
    """The most reps the e1RM allows at the prescription's load and the target RPE (0: none)."""
    if climb.e1rm is None:
        return 0
    system = (p.load or 0.0) - (p.assistance or 0.0) + climb.system_offset
    best = 0
    for r in range(1, ctx.cfg.rpe.max_reps + 1):
        pct = rts_percentage(r, target_rpe, ctx.cfg.rpe)
        if pct is not None and system <= climb.e1rm * pct + _EPS:
            best = r
    return best


def _reps_back(
    exposure: Exposure, p: Prescription, ctx: RuleContext, climb: Climb
) -> tuple[Prescription, DeloadSnapshot] | None:
    """The reset is 90 % at the rep floor: once the next load is back at the pre-deload level
    (the climb of `_climb_back`, or a bodyweight lift, whose reps are its load), a session
    logged at least `rpe.autoregulation_threshold` under its target RPE goes back to the
    pre-deload reps at once, instead of one rep a session (issue 8: no weeks at RPE < 5 after
    a reset). The lifter did those reps at that load before the deload. When the load itself
    climbs back in this step, the reps come with it only as far as the e1RM allows at the
    target RPE (restoring both blindly overshot a row to RPE 9.4-10)."""
    base = climb.base
    if base is None or exposure.last_rpe is None or p.rep_range is not None:
        return None
    target = prescribed_rpe(exposure, ctx)
    if target is None or target - exposure.last_rpe < ctx.cfg.rpe.autoregulation_threshold:
        return None
    level = (p.load or 0.0) - (p.assistance or 0.0)
    before = base.load - base.assistance - _EPS
    now = p.reps_per_set
    if level < before or not base.reps or not now:
        return None
    wanted = tuple(max(r, base.reps[min(i, len(base.reps) - 1)]) for i, r in enumerate(now))
    if exposure.load - exposure.assistance < before:
        allowed = _reps_allowed(p, climb, target, ctx)
        wanted = tuple(max(r, min(w, allowed)) for r, w in zip(now, wanted, strict=True))
    if wanted == now:
        return None
    uniform = all(r == wanted[0] for r in wanted)
    grown = replace(
        p, reps=wanted[0] if uniform else None, per_set_reps=None if uniform else wanted
    )
    return grown, base


def _reps_back_reason(
    exposure: Exposure, final: Prescription, ctx: RuleContext, climb: Climb, base: DeloadSnapshot
) -> Reason:
    assert exposure.last_rpe is not None  # noqa: S101 - checked by _reps_back
    target = prescribed_rpe(exposure, ctx)
    assert target is not None  # noqa: S101 - checked by _reps_back
    head = (
        f"The last set after the reset was RPE {num(exposure.last_rpe)} against a target of "
        f"RPE {num(target)}"
    )
    if exposure.load - exposure.assistance < base.load - base.assistance - _EPS:
        assert climb.e1rm is not None  # noqa: S101 - no reps come back without it
        message = (
            f"{head}, and the load is back at the pre-deload level: the reps come back with "
            f"it toward the pre-deload {reps_text(base.reps)}, as far as the e1RM "
            f"{num(climb.e1rm)} allows at RPE {num(target)}: next {ctx.prescription(final)}."
        )
    else:
        message = (
            f"{head}, at the pre-deload level: the reps go back to the pre-deload "
            f"{reps_text(base.reps)} at once: next {ctx.prescription(final)}."
        )
    return Reason(ReasonCode.RESET_AFTER_DELOAD, message, (text.RP_LANDMARKS,))


def form_cues_text(facts: ExerciseFacts | None) -> str:
    """The exercise's own first one or two cues from the knowledge base; the generic R8 line
    only when it has none (and "pull with the elbows" only for pulls)."""
    if facts is not None and facts.form_cues:
        return "; ".join(c.rstrip(".").lower() for c in facts.form_cues[:2])
    if facts is None or facts.pattern in (Pattern.HORIZONTAL_PULL, Pattern.VERTICAL_PULL):
        return FORM_CUES
    return GENERIC_FORM_CUES


def form_breakdown_reason(
    exposure: Exposure, ctx: RuleContext, facts: ExerciseFacts | None = None
) -> Reason:
    """R8 form: a set with broken form never counts as a success; the reason quotes the
    exercise's own form cues (issue 8)."""
    broken = sum(1 for s in exposure.sets if not s.form_ok)
    if facts is None:
        facts = ctx.catalog.get(exposure.exercise)
    where = (
        f"at {ctx.qty(exposure.load)}"
        if exposure.load > 0
        else f"with {ctx.qty(exposure.assistance)} assistance"
        if exposure.assistance > 0
        else "at bodyweight"
    )
    return Reason(
        ReasonCode.FORM_BREAKDOWN,
        f"{broken} of {text.plural(exposure.set_count, 'set')} {where} "
        f"{'was' if broken == 1 else 'were'} logged with broken form, so the session does not "
        f"count as a success; keep the load and own the technique: {form_cues_text(facts)}.",
        (text.ARTICLE,),
    )


def high_effort_warning(exposure: Exposure, ctx: RuleContext) -> Caution | None:
    """Beginners should not grind early sets: RIR <= 1 before the last set is a warning only."""
    if not ctx.beginner or not exposure.high_effort_early:
        return None
    rir = ctx.cfg.rpe.high_effort_max_rir
    return Caution(
        ReasonCode.HIGH_EFFORT_EARLY_SET,
        f"A set before the last was logged at {num(rir)} or fewer reps in reserve; the load "
        f"stays as the routine says, but leave a rep or two in the tank on early sets.",
    )


# ---------------------------------------------------------------------------------------------
# Beginner linear progression (spec 5.1)


def lp_step_size(exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext) -> float:
    """Linear progression step of the chosen routine (StrongLifts, SS, BBR, PPL, GZCLP).

    Lower-body pulls take bigger jumps than upper-body lifts; BBR doubles the jump when the last
    AMRAP set goes past 10 reps, as that routine prescribes.
    """
    linear = ctx.cfg.linear
    profile = linear.for_profile(ctx.profile.routine_profile)
    if facts.slug in linear.deadlift_slugs:
        amount = profile.deadlift_step
    elif facts.pattern in (Pattern.HINGE, Pattern.SQUAT):
        amount = profile.lower_step
    else:
        amount = profile.upper_step
    step = amount.for_unit(ctx.unit)
    last = exposure.sets[-1]
    if (
        profile.amrap_double_above is not None
        and last.is_amrap
        and last.reps > profile.amrap_double_above
    ):
        step *= 2
    return step


def _step_above(up: float, load: float, ctx: RuleContext, then: str) -> str:
    """How far ``up`` is above ``load`` ("12.5 % heavier"), except from no load at all (a
    lift logged unloaded), where a percentage would be infinite."""
    if load > 0:
        return f"{num((up - load) / load * 100)} % {then}"
    return f"the first step up from {ctx.qty(load)}"


def coarse_rep_bridge(
    exposure: Exposure,
    ctx: RuleContext,
    up: float | None,
    base_reps: int,
    *,
    success_code: ReasonCode,
    action: Action,
) -> Decision:
    """Rep bridge for coarse increments (spec 10): when the next loadable weight is a jump of
    more than 10 %, earn it with reps first (3x5 -> 3x6 -> 3x7 -> 3x8), then take the jump back
    at the base reps (microloading substitute, Liftosaur-style rep progression).
    """
    top = base_reps + ctx.cfg.rounding.rep_bridge_extra_reps
    current = exposure.top_target
    load = exposure.load
    sets = exposure.set_count
    if up is not None and current >= top:
        return Decision(
            action,
            targets_prescription((base_reps,) * sets, load=up),
            (
                Reason(
                    success_code,
                    f"The rep bridge is complete: {sets}x{current} done at {ctx.qty(load)}, "
                    f"so take the jump to {ctx.qty(up)} and go back to {sets}x{base_reps}.",
                    (ctx.routine_source(), text.LIFTOSAUR_LP),
                ),
                Reason(
                    ReasonCode.COARSE_INCREMENT_REP_BRIDGE,
                    f"{ctx.qty(up)} is {_step_above(up, load, ctx, f'above {ctx.qty(load)}')}; "
                    "the extra reps built the strength to make that jump.",
                    (text.LIFTOSAUR_LP,),
                ),
            ),
        )
    next_reps = min(current + 1, top)
    jump = (
        f"the next loadable weight, {ctx.qty(up)}, is {_step_above(up, load, ctx, 'heavier')}"
        if up is not None
        else "no heavier load can be set up with this equipment"
    )
    return Decision(
        action,
        targets_prescription((next_reps,) * sets, load=load),
        (
            Reason(
                ReasonCode.COARSE_INCREMENT_REP_BRIDGE,
                f"{text.all_sets(sets)} were completed at {ctx.qty(load)}, but {jump}: build reps "
                f"instead, {sets}x{current} → {sets}x{next_reps} at the same load; at "
                f"{sets}x{top} the load goes up and reps return to {base_reps}.",
                (text.LIFTOSAUR_LP, ctx.routine_source()),
            ),
        ),
    )


def linear_progression(
    exposure: Exposure,
    facts: ExerciseFacts,
    ctx: RuleContext,
    *,
    failures: int,
    deload_now: bool,
    bridge_base: int,
    succeeded: bool | None = None,
    outcome_note: str | None = None,
    deload_base: float | None = None,
) -> Decision:
    """Beginner linear progression (Liftosaur `lp`, StrongLifts/SS/BBR/PPL, R3; GZCLP's stages
    are routines.gzclp_progression).

    Success (every work set at target with good form, or the routine's own rule passed in as
    `succeeded`, e.g. BBR's 15 total reps, which `outcome_note` then states) adds the routine's
    step; a miss repeats the load; the routine's failure limit in a row triggers a 10 % deload,
    rounded down. The 10 % comes off `deload_base`, the heaviest recent load of the lift, when
    that is heavier than today's: a lifter who misses again while climbing back repeats the
    first deload's load instead of sliding 10 % lower each time (issue 8, finding 4).
    """
    grid = ctx.grids.for_exercise(facts)
    load = exposure.load
    sets = exposure.set_count
    sources = (ctx.routine_source(), text.LIFTOSAUR_LP)
    if exposure.targets_met if succeeded is None else succeeded:
        step = lp_step_size(exposure, facts, ctx)
        inc = increase_load(grid, load, step, ctx.cfg)
        if inc.coarse:
            return coarse_rep_bridge(
                exposure,
                ctx,
                inc.load,
                bridge_base,
                success_code=ReasonCode.LP_SUCCESS,
                action=Action.LP_STEP,
            )
        new = inc.load if inc.load is not None else load
        done = outcome_note or (
            f"{text.all_sets(sets)} reached {text.target_reps(exposure.targets)} at {ctx.qty(load)}"
        )
        return Decision(
            Action.LP_STEP,
            targets_prescription(exposure.targets, load=new),
            (
                Reason(
                    ReasonCode.LP_SUCCESS,
                    f"{done}, so add {ctx.qty(new - load)}: {ctx.qty(new)} next session.",
                    sources,
                ),
            ),
        )
    reasons: list[Reason] = []
    if exposure.form_broken:
        reasons.append(form_breakdown_reason(exposure, ctx))
    got = f"Got {reps_text(exposure.reps)} against {reps_text(exposure.targets)} at {ctx.qty(load)}"
    limit = ctx.cfg.linear.for_profile(ctx.profile.routine_profile).failure_limit
    factor = ctx.cfg.linear.deload_factor
    if deload_now:
        base = max(load, deload_base or 0.0)
        raw = base * factor
        # A deload never raises the load, even when the lifter is already below the base's 90 %.
        new = min(grid.floor_or_min(raw), grid.floor_or_min(load))
        when = "this session" if limit == 1 else f"{limit} sessions in a row"
        missed = outcome_note or f"Reps were missed at {ctx.qty(load)} in {when}"
        of = "" if base == load else f" the recent best {ctx.qty(base)}"
        reasons.append(
            Reason(
                ReasonCode.LP_DELOAD,
                f"{missed}: take {num((1 - factor) * 100)} % off{of} ({num(base)} x "
                f"{num(factor)} = {num(raw)}, rounded down to {ctx.qty(new)}) and climb back up.",
                sources,
            )
        )
        return Decision(
            Action.DELOAD,
            targets_prescription(exposure.targets, load=new),
            tuple(reasons),
            status=ExerciseStatus.DELOAD,
        )
    reasons.append(
        Reason(
            ReasonCode.LP_FAIL_REPEAT,
            f"{outcome_note or got}: repeat the load (failure {failures} of {limit} before a "
            f"{num((1 - factor) * 100)} % deload).",
            sources,
        )
    )
    return Decision(
        Action.REPEAT, targets_prescription(exposure.targets, load=load), tuple(reasons)
    )


# ---------------------------------------------------------------------------------------------
# Intermediate double progression (spec 5.2)


def double_progression(
    exposure: Exposure,
    facts: ExerciseFacts,
    ctx: RuleContext,
    *,
    rep_range: tuple[int, int] | None = None,
    grid: LoadGrid | None = None,
    climb: Climb | None = None,
) -> Decision:
    """Double progression (Liftosaur `dp`): add reps within the range, then load.

    All sets at the top of the range earn one loadable increment and reps restart at the bottom;
    otherwise each set's target becomes min(achieved + 1, top); a missed target repeats.
    `climb` (after a reset) shapes the prescription before any message states it (`climbed`).
    """
    lo, hi = rep_range or exposure.rep_range
    grid = grid or ctx.grids.for_exercise(facts)
    load = exposure.load
    reps = exposure.reps
    sets = exposure.set_count
    rpe = prescribed_rpe(exposure, ctx)
    sources = (text.LIFTOSAUR_DP,)

    def decide(action: Action, p: Prescription, explain: Explain) -> Decision:
        return climbed(action, p, explain, exposure, ctx, climb)

    if not exposure.form_broken and reps and all(r >= hi for r in reps):
        inc = increase_load(grid, load, None, ctx.cfg, exposure.system_load)
        bridge_top = hi + ctx.cfg.rounding.rep_bridge_extra_reps
        if inc.coarse and (inc.load is None or min(reps) < bridge_top):
            new_targets = tuple(min(r + 1, bridge_top) for r in reps)
            jump = (
                f"the next loadable weight, {ctx.qty(inc.load)}, is "
                f"{_step_above(inc.load, load, ctx, 'heavier')}"
                if inc.load is not None
                else "no heavier load can be set up"
            )
            return decide(
                Action.DP_STEP,
                targets_prescription(new_targets, load=load, target_rpe=rpe),
                lambda p: (
                    Reason(
                        ReasonCode.COARSE_INCREMENT_REP_BRIDGE,
                        f"{text.all_sets(sets)} reached the top of {lo}-{hi} at {ctx.qty(load)}, "
                        f"but "
                        f"{jump}: add reps instead ({reps_text(p.reps_per_set)}, up to "
                        f"{bridge_top}) and take the jump when every set reaches {bridge_top}.",
                        sources,
                    ),
                ),
            )
        if inc.load is None:
            return decide(
                Action.REPEAT,
                targets_prescription(exposure.targets, load=load, target_rpe=rpe),
                lambda p: (
                    Reason(
                        ReasonCode.DP_REPS_UP,
                        f"No heavier load than {ctx.qty(load)} can be set up; keep "
                        f"{reps_text(p.reps_per_set)}.",
                        sources,
                    ),
                ),
            )
        step_to = inc.load

        def load_step(p: Prescription) -> tuple[Reason, ...]:
            step = Reason(
                ReasonCode.DP_LOAD_STEP,
                f"{text.all_sets(sets)} reached the top of the {lo}-{hi} range "
                f"({reps_text(reps)}) at "
                f"{ctx.qty(load)}: add one loadable step to {ctx.qty(step_to)} and restart at "
                f"{reps_text(p.reps_per_set)}.",
                sources,
            )
            if not inc.coarse:
                return (step,)
            bridged = Reason(
                ReasonCode.COARSE_INCREMENT_REP_BRIDGE,
                f"The rep bridge to {ctx.qty(step_to)} is complete.",
                sources,
            )
            return (step, bridged)

        return decide(
            Action.DP_STEP,
            targets_prescription((lo,) * sets, load=inc.load, target_rpe=rpe),
            load_step,
        )
    if exposure.targets_met:
        new_targets = tuple(min(r + 1, hi) for r in reps)
        return decide(
            Action.DP_STEP,
            targets_prescription(new_targets, load=load, target_rpe=rpe),
            lambda p: (
                Reason(
                    ReasonCode.DP_REPS_UP,
                    f"Every set met its target ({reps_text(reps)} against "
                    f"{reps_text(exposure.targets)}) at {ctx.qty(load)}: next "
                    f"{ctx.prescription(p)}, one rep more per set up to {hi}.",
                    sources,
                ),
            ),
        )
    form = (form_breakdown_reason(exposure, ctx),) if exposure.form_broken else ()
    return decide(
        Action.REPEAT,
        targets_prescription(exposure.targets, load=load, target_rpe=rpe),
        lambda p: (
            *form,
            Reason(
                ReasonCode.DP_REPS_UP,
                f"Got {reps_text(reps)} against {reps_text(exposure.targets)} at "
                f"{ctx.qty(load)}: repeat {ctx.prescription(p)}, the same load, before adding "
                f"anything.",
                sources,
            ),
        ),
    )


def rpe_autoregulation(  # noqa: PLR0911, PLR0912 - each missing input is its own early exit
    exposure: Exposure,
    facts: ExerciseFacts,
    ctx: RuleContext,
    climb_to: float | None = None,
    climb: Climb | None = None,
) -> Decision | None:
    """RPE autoregulation (RTS): when the logged RPE misses the target by >= 1, re-derive the
    load from the set's e1RM at the target reps and RPE, clamped to [-10 %, +7.5 %]; a logged
    RPE <= 6 earns at most one loadable step. The target is the sent one, else the default of
    `prescribed_rpe` (8 when RPE/RIR is logged). A final set meant to go to failure (AMRAP or
    `to_failure`) is not an overshoot. The action is `RPE_ADJUST`: the load changed.

    `climb_to` (after a reset: the pre-deload working load) lets a set logged too easy climb
    back without the +7.5 % clamp or the one-step limit, never past `climb_to` (`_climb_back`);
    `climb` shapes the prescription before the message states it (`climbed`).
    """
    if ctx.beginner or exposure.last_rpe is None or facts.ladder:
        return None
    final = exposure.sets[-1]
    if (final.to_failure or final.is_amrap) and final.rpe is None and final.rir is None:
        return None
    if facts.loading in (Loading.ASSISTED, Loading.BODYWEIGHT) or exposure.load <= 0:
        return None
    target_rpe = prescribed_rpe(exposure, ctx)
    if target_rpe is None:
        return None
    rpe_cfg = ctx.cfg.rpe
    delta = target_rpe - exposure.last_rpe
    if abs(delta) < rpe_cfg.autoregulation_threshold:
        return None
    last = exposure.sets[-1]
    bodyweight_part = 0.0
    if facts.loading is Loading.WEIGHTED_BODYWEIGHT:
        if ctx.profile.bodyweight is None:
            return None
        bodyweight_part = ctx.profile.bodyweight * facts.bodyweight_factor
    load = exposure.load
    grid = ctx.grids.for_exercise(facts)
    if climb_to is not None and delta > 0 and climb_to > load + _EPS:
        back = _climb_back(exposure, grid, ctx, climb_to, target_rpe, bodyweight_part, climb)
        if back is not None:
            return back
    if exposure.last_rpe <= rpe_cfg.single_step_max_rpe and delta > 0:
        # Below RPE 6.5 the chart gives no estimate: a very easy set earns one step, no more.
        step = grid.above(load)
        if step is None:
            return None
        easy = exposure.last_rpe
        return climbed(
            Action.RPE_ADJUST,
            targets_prescription(exposure.targets, load=step, target_rpe=target_rpe),
            lambda p: (
                Reason(
                    ReasonCode.RPE_ADJUST_UP,
                    f"The last set was {text.plural(last.reps, 'rep')} at only RPE "
                    f"{num(easy)} against a target of RPE {num(target_rpe)}: add "
                    f"one loadable step, {ctx.qty(load)} → {ctx.qty(step)}; next "
                    f"{ctx.prescription(p)}.",
                    (text.RTS,),
                ),
            ),
            exposure,
            ctx,
            climb,
        )
    e1rm = set_e1rm(last.load + bodyweight_part, last.reps, exposure.last_rpe, rpe_cfg)
    target_reps = last.target_reps if last.target_reps is not None else exposure.top_target
    pct = rts_percentage(target_reps, target_rpe, rpe_cfg)
    if e1rm is None or pct is None:
        return None
    raw = e1rm * pct - bodyweight_part
    lowest = load * (1 + rpe_cfg.clamp_down_pct)
    clamped = min(max(raw, lowest), load * (1 + rpe_cfg.clamp_up_pct))
    new = grid.floor_or_min(clamped)
    inside = grid.at_least(lowest)
    if new < lowest - _EPS and inside is not None and inside < load - _EPS:
        # Rounding down must not cut deeper than the clamp (55 kg on a 5 kg stack: 50, not 45)
        # when a lighter loadable weight lies inside it.
        new = inside
    if abs(new - load) < _EPS:
        return None
    code = ReasonCode.RPE_ADJUST_UP if new > load else ReasonCode.RPE_ADJUST_DOWN
    target_note = "" if exposure.target_rpe is not None else " (the default when none is sent)"
    arithmetic = _e1rm_sum(
        last, bodyweight_part, exposure.last_rpe, e1rm, target_reps, target_rpe, ctx
    )
    head = (
        f"The last set was {text.plural(last.reps, 'rep')} at RPE {num(exposure.last_rpe)} "
        f"against a target of RPE {num(target_rpe)}{target_note}: {arithmetic}, so "
        f"{ctx.qty(load)} → {ctx.qty(new)}: next "
    )
    return climbed(
        Action.RPE_ADJUST,
        targets_prescription(exposure.targets, load=new, target_rpe=target_rpe),
        lambda p: (Reason(code, f"{head}{ctx.prescription(p)}.", (text.RTS,)),),
        exposure,
        ctx,
        climb,
    )


def _e1rm_sum(
    last: SetLog,
    bodyweight_part: float,
    last_rpe: float,
    e1rm: float,
    target_reps: int,
    target_rpe: float,
    ctx: RuleContext,
) -> str:
    """The RTS arithmetic behind an RPE-driven load, spelled out once for every message that
    shows it: the set's e1RM, then the load the target reps and RPE allow from it."""
    cfg = ctx.cfg.rpe
    pct = rts_percentage(target_reps, target_rpe, cfg) or 0.0
    return (
        f"e1RM {num(last.load + bodyweight_part)} / "
        f"{num(rts_percentage(last.reps, last_rpe, cfg) or 0)} = {num(e1rm)}, and "
        f"{text.plural(target_reps, 'rep')} at RPE {num(target_rpe)} is {num(pct * 100)} % of "
        f"it = {num(e1rm * pct - bodyweight_part)}"
    )


def _climb_back(
    exposure: Exposure,
    grid: LoadGrid,
    ctx: RuleContext,
    climb_to: float,
    target_rpe: float,
    bodyweight_part: float,
    climb: Climb | None = None,
) -> Decision | None:
    """After a reset (issue 8): the reset is 90 % of the pre-deload load at the rep floor, so a
    lifter logging it well under the target is not weaker, only fresher. The next load is the
    e1RM's load at the target reps and RPE without the +7.5 % clamp, capped at the pre-deload
    load; below RPE 6.5 the chart gives no e1RM, and the pre-deload load itself is next: the
    lifter worked there before the deload, at no fewer reps than the rep floor asks now."""
    rpe_cfg = ctx.cfg.rpe
    last = exposure.sets[-1]
    load = exposure.load
    assert exposure.last_rpe is not None  # noqa: S101 - checked by rpe_autoregulation
    cap = grid.floor_or_min(climb_to)
    e1rm = set_e1rm(last.load + bodyweight_part, last.reps, exposure.last_rpe, rpe_cfg)
    target_reps = last.target_reps if last.target_reps is not None else exposure.top_target
    pct = rts_percentage(target_reps, target_rpe, rpe_cfg)
    if e1rm is not None and pct is not None:
        raw = e1rm * pct - bodyweight_part
        new = min(grid.floor_or_min(raw), cap)
        arithmetic = _e1rm_sum(
            last, bodyweight_part, exposure.last_rpe, e1rm, target_reps, target_rpe, ctx
        )
        how = f"{arithmetic}, capped at the pre-deload {ctx.qty(cap)}"
    else:
        new = cap
        how = "too easy for an e1RM, so straight back to the pre-deload load"
    if new <= load + _EPS:
        return None
    head = (
        f"After the reset the last set was {text.plural(last.reps, 'rep')} at RPE "
        f"{num(exposure.last_rpe)} against a target of RPE {num(target_rpe)}: {how}; the "
        f"climb back skips the usual +{num(rpe_cfg.clamp_up_pct * 100)} % limit, so "
        f"{ctx.qty(load)} → {ctx.qty(new)}: next "
    )
    return climbed(
        Action.RPE_ADJUST,
        targets_prescription(exposure.targets, load=new, target_rpe=target_rpe),
        lambda p: (
            Reason(
                ReasonCode.RPE_ADJUST_UP,
                f"{head}{ctx.prescription(p)}.",
                (text.RTS, text.RP_LANDMARKS),
            ),
        ),
        exposure,
        ctx,
        climb,
    )


# ---------------------------------------------------------------------------------------------
# Bodyweight ladders (spec 11)


def _ladder_progress_targets(
    exposure: Exposure, targets: tuple[int, ...], hi: int, ctx: RuleContext
) -> tuple[int, ...]:
    """Beginners add one rep to every set; intermediates use per-set double progression."""
    if ctx.beginner:
        return (min(max(targets) + 1, hi),) * len(targets)
    return tuple(min(r + 1, hi) for r in exposure.reps)


def _repeat_reason(exposure: Exposure, targets: tuple[int, ...], ctx: RuleContext) -> Reason:
    """A missed ladder step: the achieved reps against the targets they were logged against."""
    code = ReasonCode.LP_FAIL_REPEAT if ctx.beginner else ReasonCode.DP_REPS_UP
    return Reason(
        code,
        f"Got {reps_text(exposure.reps)} against targets of {text.target_reps(targets)}: "
        f"repeat the same step until every set gets there.",
        (text.ARTICLE,),
    )


def _step_decision(
    action: Action,
    targets: tuple[int, ...],
    p: Prescription,
    exposure: Exposure,
    ctx: RuleContext,
    climb: Climb | None,
) -> Decision:
    """A ladder step earned: "every set reached its target (8 reps)", never "target of 2x5",
    which reads as a set count (issue 8). The next session is quoted with the one formatter
    (`ctx.prescription`) once the climb back after a reset has shaped it (`climbed`), so no
    "2x7" stands beside a 3x7."""
    code = ReasonCode.LP_SUCCESS if ctx.beginner else ReasonCode.DP_REPS_UP
    return climbed(
        action,
        p,
        lambda final: (
            Reason(
                code,
                f"Every set reached its target ({text.target_reps(targets)}): next session "
                f"{ctx.prescription(final)}, one more rep per set.",
                (text.ARTICLE, text.LIFTOSAUR_DP),
            ),
        ),
        exposure,
        ctx,
        climb,
    )


def _with_form(
    exposure: Exposure, ctx: RuleContext, reasons: tuple[Reason, ...]
) -> tuple[Reason, ...]:
    if exposure.form_broken:
        return (form_breakdown_reason(exposure, ctx), *reasons)
    return reasons


def pull_up_ladder(
    exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext, climb: Climb | None = None
) -> Decision:
    """Pull-up ladder (spec 11): assisted 3x8 with assistance stepping down, bodyweight 3x5 to
    3x8 one rep per set per session, then a belt plate and double progression at 5-8.
    """
    lad = ctx.cfg.ladders
    bw = ctx.profile.bodyweight
    lo, hi = lad.bodyweight_range
    sets_n = max(lad.sets, exposure.set_count) if exposure.assistance > 0 else exposure.set_count
    if exposure.assistance > 0:
        return _assisted_rung(exposure, ctx, sets_n, climb)
    if exposure.load > 0:
        return double_progression(
            exposure, facts, ctx, rep_range=(lo, hi), grid=ctx.grids.belt(), climb=climb
        )
    if facts.pattern is Pattern.VERTICAL_PULL and any(
        r < lad.pull_up_min_reps for r in exposure.reps
    ):
        grid = ctx.grids.assist()
        wanted = (
            bw * lad.initial_assist_pct if bw else lad.fallback_initial_assist.for_unit(ctx.unit)
        )
        assistance = grid.at_least(wanted) or wanted
        return Decision(
            Action.ROTATE_VARIATION,
            targets_prescription((lad.assisted_reps,) * lad.sets, load=0.0, assistance=assistance),
            _with_form(
                exposure,
                ctx,
                (
                    Reason(
                        ReasonCode.LADDER_ADVANCE,
                        f"Got {reps_text(exposure.reps)}: below {lad.sets}x{lad.pull_up_min_reps}"
                        f" at bodyweight, so step down the ladder to assisted pull-ups "
                        f"{lad.sets}x{lad.assisted_reps} with {ctx.qty(assistance)} assistance "
                        f"(negatives or inverted rows also work).",
                        (text.ARTICLE,),
                    ),
                ),
            ),
        )
    return bodyweight_reps(exposure, facts, ctx, rep_range=(lo, hi), climb=climb)


def _assisted_rung(
    exposure: Exposure, ctx: RuleContext, sets_n: int, climb: Climb | None = None
) -> Decision:
    """Assisted pull-ups run backwards: 3x8 done removes one assistance step (spec 11)."""
    lad = ctx.cfg.ladders
    bw = ctx.profile.bodyweight
    assistance = exposure.assistance
    # 3x8, or the 3x10 with more assistance a stall switched to (routines.pull_up_scheme).
    rung_reps = (
        lad.stall_volume_reps if exposure.top_target == lad.stall_volume_reps else lad.assisted_reps
    )
    done = (
        not exposure.form_broken
        and exposure.set_count >= lad.sets
        and all(r >= rung_reps for r in exposure.reps)
    )
    if not done:
        repeat = _with_form(exposure, ctx, (_repeat_reason(exposure, (rung_reps,) * sets_n, ctx),))
        return climbed(
            Action.REPEAT,
            targets_prescription((rung_reps,) * sets_n, load=0.0, assistance=assistance),
            lambda _: repeat,
            exposure,
            ctx,
            climb,
        )
    grid = ctx.grids.assist()
    lower = grid.below(assistance)
    threshold = bw * lad.assist_to_bodyweight_pct if bw is not None else None
    if (threshold is not None and assistance <= threshold + _EPS) or lower is None or lower <= 0:
        lo = lad.bodyweight_range[0]
        limit = (
            f"{ctx.qty(assistance)} is no more than {num(lad.assist_to_bodyweight_pct * 100)} % "
            f"of {ctx.qty(bw)} bodyweight"
            if bw is not None and threshold is not None and assistance <= threshold + _EPS
            else "the assistance cannot go lower"
        )
        return Decision(
            Action.LADDER_ADVANCE,
            targets_prescription((lo,) * lad.sets, load=0.0),
            (
                Reason(
                    ReasonCode.LADDER_ADVANCE,
                    f"{lad.sets}x{rung_reps} done with {ctx.qty(assistance)} assistance "
                    f"and {limit}: move to bodyweight pull-ups, {lad.sets}x{lo}.",
                    (text.ARTICLE,),
                ),
            ),
        )
    return Decision(
        Action.ASSIST_REDUCE,
        targets_prescription((lad.assisted_reps,) * sets_n, load=0.0, assistance=lower),
        (
            Reason(
                ReasonCode.ASSIST_REDUCE,
                f"{text.all_sets(exposure.set_count)} reached {rung_reps} reps with "
                f"{ctx.qty(assistance)} assistance: remove one step, "
                f"{sets_n}x{lad.assisted_reps} with {ctx.qty(lower)}.",
                (text.ARTICLE,),
            ),
        ),
    )


def bodyweight_reps(
    exposure: Exposure,
    facts: ExerciseFacts,
    ctx: RuleContext,
    *,
    rep_range: tuple[int, int] | None = None,
    climb: Climb | None = None,
) -> Decision:
    """Bodyweight rep ladder: +1 rep per set per successful session up to the top, then a belt
    plate (+2.5 kg / 5 lb) and back to the bottom (spec 11).
    """
    lad = ctx.cfg.ladders
    if exposure.load > 0:
        back = _belt_climb_back(exposure, ctx, climb)
        if back is not None:
            return back
        return double_progression(
            exposure, facts, ctx, rep_range=rep_range, grid=ctx.grids.belt(), climb=climb
        )
    lo, hi = rep_range or exposure.rep_range
    targets = tuple(s.target_reps if s.target_reps is not None else lo for s in exposure.sets)
    met = not exposure.form_broken and all(
        r >= t for r, t in zip(exposure.reps, targets, strict=True)
    )
    sets = exposure.set_count
    if met and sets >= lad.sets and all(r >= hi for r in exposure.reps):
        step = lad.belt_step.for_unit(ctx.unit)
        added = ctx.grids.belt().at_least(step) or step
        return Decision(
            Action.BW_ADD_LOAD,
            targets_prescription((lo,) * sets, load=added),
            (
                Reason(
                    ReasonCode.BW_ADD_LOAD,
                    f"{sets}x{hi} done at bodyweight: add {ctx.qty(added)} on a belt and go "
                    f"back to {sets}x{lo}.",
                    (text.ARTICLE, text.LIFTOSAUR_DP),
                ),
            ),
        )
    if met:
        new = _ladder_progress_targets(exposure, targets, hi, ctx)
        action = Action.LP_STEP if ctx.beginner else Action.DP_STEP
        return _step_decision(
            action, targets, targets_prescription(new, load=0.0), exposure, ctx, climb
        )
    repeat = _with_form(exposure, ctx, (_repeat_reason(exposure, targets, ctx),))
    return climbed(
        Action.REPEAT,
        targets_prescription(targets, load=0.0),
        lambda _: repeat,
        exposure,
        ctx,
        climb,
    )


def _belt_climb_back(exposure: Exposure, ctx: RuleContext, climb: Climb | None) -> Decision | None:
    """After a reset of a belt-loaded bodyweight lift (90 % of the pre-deload belt load at the
    rep floor), a session logged at least `rpe.autoregulation_threshold` under its target climbs
    the belt load straight back toward the pre-deload load (`_climb_back`, on the belt grid,
    with the bodyweight share in the e1RM), and the reps come with it as far as the e1RM
    allows (`climbed`). Double progression alone added one rep a session at the reset load
    (issue 8: no weeks at RPE < 5 after a reset)."""
    base = climb.base if climb is not None else None
    if base is None or ctx.beginner or exposure.last_rpe is None:
        return None
    target_rpe = prescribed_rpe(exposure, ctx)
    if target_rpe is None or target_rpe - exposure.last_rpe < ctx.cfg.rpe.autoregulation_threshold:
        return None
    if base.load <= exposure.load + _EPS:
        return None
    assert climb is not None  # noqa: S101 - base came from it
    return _climb_back(
        exposure, ctx.grids.belt(), ctx, base.load, target_rpe, climb.system_offset, climb
    )


def rung_ladder(
    exposure: Exposure, facts: ExerciseFacts, ctx: RuleContext, climb: Climb | None = None
) -> Decision:
    """Rung ladders (spec 11): inverted row L1 chest-high bar -> L2 hip-high bar -> L3 feet
    elevated -> L4 loaded; hyperextension arms crossed -> hands behind head -> held plate.
    All sets at the top of the rung's range advance one rung and restart at the bottom.
    """
    lad = ctx.cfg.ladders
    if facts.pattern is Pattern.BACK_EXTENSION:
        lo, hi = lad.back_extension_range
        load_step = lad.back_extension_load_step.for_unit(ctx.unit)
    else:
        lo, hi = lad.row_beginner_range if ctx.beginner else lad.row_range
        load_step = lad.row_load_step.for_unit(ctx.unit)
    rungs = facts.ladder
    rung = min(max(exposure.rung, 1), len(rungs))
    sets = max(exposure.set_count, 1)
    targets = tuple(s.target_reps if s.target_reps is not None else lo for s in exposure.sets)
    met = not exposure.form_broken and all(
        r >= t for r, t in zip(exposure.reps, targets, strict=True)
    )
    belt = ctx.grids.belt()
    at_top = met and exposure.set_count >= lad.sets and all(r >= hi for r in exposure.reps)
    if at_top and rung < len(rungs):
        nxt = rungs[rung]
        load = (belt.at_least(load_step) or load_step) if nxt.loaded else 0.0
        extra = f" with {ctx.qty(load)}" if load else ""
        return Decision(
            Action.LADDER_ADVANCE,
            targets_prescription((lo,) * sets, load=load, ladder_step=rung + 1),
            (
                Reason(
                    ReasonCode.LADDER_ADVANCE,
                    f"{sets}x{hi} done at L{rung} ({rungs[rung - 1].label}): advance to "
                    f"L{rung + 1} ({nxt.label}){extra}, {sets}x{lo}.",
                    (text.ARTICLE,),
                ),
            ),
        )
    if at_top and rungs[rung - 1].loaded:
        wanted = exposure.load + load_step
        new = belt.floor(wanted)
        if new is None or new <= exposure.load + _EPS:
            new = belt.above(exposure.load) or wanted
        return Decision(
            Action.BW_ADD_LOAD,
            targets_prescription((lo,) * sets, load=new, ladder_step=rung),
            (
                Reason(
                    ReasonCode.BW_ADD_LOAD,
                    f"{sets}x{hi} done at L{rung} with {ctx.qty(exposure.load)}: add "
                    f"{ctx.qty(new - exposure.load)} to {ctx.qty(new)} and go back to "
                    f"{sets}x{lo}.",
                    (text.ARTICLE,),
                ),
            ),
        )
    if at_top:
        cap = lad.bodyweight_rep_cap
        new_targets = tuple(min(r + 1, cap) for r in exposure.reps)
        action = Action.LP_STEP if ctx.beginner else Action.DP_STEP
        return _step_decision(
            action,
            targets,
            targets_prescription(new_targets, load=exposure.load, ladder_step=rung),
            exposure,
            ctx,
            climb,
        )
    if met:
        progressed = _ladder_progress_targets(exposure, targets, hi, ctx)
        action = Action.LP_STEP if ctx.beginner else Action.DP_STEP
        return _step_decision(
            action,
            targets,
            targets_prescription(progressed, load=exposure.load, ladder_step=rung),
            exposure,
            ctx,
            climb,
        )
    repeat = _with_form(exposure, ctx, (_repeat_reason(exposure, targets, ctx),))
    return climbed(
        Action.REPEAT,
        targets_prescription(targets, load=exposure.load, ladder_step=rung),
        lambda _: repeat,
        exposure,
        ctx,
        climb,
    )


# ---------------------------------------------------------------------------------------------
# Deload week and reset (spec 7)


def deload_week(
    snapshot: DeloadSnapshot, facts: ExerciseFacts, ctx: RuleContext, reasons: tuple[Reason, ...]
) -> Decision:
    """Deload week (RP / RTS practice): half the sets rounded up, same reps, 80 % of the
    pre-deload working load rounded down, RPE at most 6, no AMRAP or failure sets. Bodyweight
    lifts cut reps instead (x `deload.bodyweight_rep_factor`) and assisted lifts add assistance
    worth 20 % of the load moved, so no message multiplies 0 kg.
    """
    dl = ctx.cfg.deload
    sets = max(1, math.ceil(snapshot.sets * dl.set_factor))
    reps = snapshot.reps[:sets] if len(snapshot.reps) >= sets else (snapshot.reps[-1],) * sets
    load = snapshot.load
    assistance = snapshot.assistance
    if assistance > 0:
        bw = ctx.profile.bodyweight
        moved = bw * facts.bodyweight_factor - assistance if bw is not None else assistance
        wanted = assistance + max(moved, 0.0) * (1 - dl.load_factor)
        grid = ctx.grids.assist()
        new_assistance = grid.at_least(wanted) or grid.above(assistance) or wanted
        change = (
            f"more assistance, {ctx.qty(assistance)} → {ctx.qty(new_assistance)} "
            f"({num((1 - dl.load_factor) * 100)} % of the load moved)"
        )
        new_load, assistance = 0.0, new_assistance
    elif load > 0:
        new_load = min(ctx.grids.for_exercise(facts).floor_or_min(load * dl.load_factor), load)
        shown = ctx.qty(new_load) if new_load > 0 else "bodyweight"
        change = f"pre-deload {ctx.qty(load)} x {num(dl.load_factor)} → {shown} (rounded down)"
    else:
        new_load = 0.0
        reps = tuple(max(1, math.floor(r * dl.bodyweight_rep_factor)) for r in reps)
        change = f"at bodyweight, reps {reps_text(snapshot.reps)} → {reps_text(reps)}"
    prescription = targets_prescription(
        reps,
        load=new_load,
        assistance=assistance,
        target_rpe=None if ctx.beginner else dl.max_rpe,
    )
    detail = Reason(
        reasons[0].code,
        f"{reasons[0].message} Deload week: {snapshot.sets} → {text.plural(sets, 'set')}, "
        f"{change}, RPE ≤ {num(dl.max_rpe)}, no sets to failure: "
        f"{ctx.prescription(prescription)}.",
        reasons[0].sources,
    )
    return Decision(
        Action.DELOAD,
        prescription,
        (detail, *reasons[1:]),
        status=ExerciseStatus.DELOAD,
    )


def reset_after_deload(
    snapshot: DeloadSnapshot, facts: ExerciseFacts, ctx: RuleContext, weekly_before: float
) -> Decision:
    """Reset after a deload week: 90 % of the pre-deload load (rounded down), reps at the range
    floor, weekly volume back near MEV (RP: restart the mesocycle low and build again). The
    reset carries `deload.reset_target_rpe` so RPE autoregulation ramps the load back, and the
    engine climbs the sets back to the pre-deload count over the next exposures.
    """
    dl = ctx.cfg.deload
    mev = ctx.cfg.volume.mev
    sets = snapshot.sets
    if weekly_before > mev:
        sets = max(1, math.ceil(sets * mev / weekly_before))
    load = snapshot.load
    new_load = (
        ctx.grids.for_exercise(facts).floor_or_min(load * dl.reset_factor) if load > 0 else 0.0
    )
    prescription = targets_prescription(
        (snapshot.rep_floor,) * sets,
        load=new_load,
        assistance=snapshot.assistance,
        target_rpe=None if ctx.beginner else dl.reset_target_rpe,
    )
    start = (
        f"restart at {num(dl.reset_factor * 100)} % of the pre-deload {ctx.qty(load)} = "
        f"{ctx.qty(new_load)} (rounded down)"
        if load > 0
        else "restart at the pre-deload step"
    )
    return Decision(
        Action.RESET,
        prescription,
        (
            Reason(
                ReasonCode.RESET_AFTER_DELOAD,
                f"The deload week is over: {start}, reps at the range floor and weekly sets back "
                f"near MEV {num(mev)}: {ctx.prescription(prescription)}; sets climb back to "
                f"the pre-deload {snapshot.sets} over the next sessions.",
                (text.RP_LANDMARKS, text.LIFTOSAUR_DP),
            ),
        ),
        status=ExerciseStatus.RESET,
    )
