"""What must hold on every answer of every run: one function per invariant (issue 8).

Each takes a finished `Run` and returns its violations. Answers are checked with the echoed state
and, when the run asked twice, without it; the same finding on both counts once. The checks
read only the request, the answer and what the simulated lifter did, never the engine's
internals, so they judge the engine from the outside the way a coach reading the answers would.
"""

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from app.recommender import (
    Action,
    ExerciseFacts,
    Experience,
    ModificationKind,
    Pattern,
    Prescription,
    ReasonCode,
    Recommendation,
    RecommendationRequest,
    RecommendationResult,
    RoutineProfile,
    Session,
    SetLog,
    Side,
    Variant,
)
from app.recommender.engine import arbiter_group
from app.recommender.loading import LoadGrids
from app.simulation.loop import BODYWEIGHT_LOADINGS, PerformedExercise, Run, Step

MAX_SETS_FROM_VOLUME = 6
LOW_RPE = 5.0
RAMP_WEEKS = 3
# A set at or above this true RPE is an overshoot of the default target (8) by the
# autoregulation threshold (1): the lift has been worked to its limit (reset_ramps_back).
HARD_RPE = 9.0
# The reset's target RPE (deload.reset_target_rpe): back at the pre-deload load at this effort,
# the climb is done (reset_ramps_back).
TARGET_RPE = 8.0
PULLS = frozenset({Pattern.VERTICAL_PULL, Pattern.HORIZONTAL_PULL})
VOLUME_CODES = frozenset(
    {
        ReasonCode.MOD_ADD_SETS,
        ReasonCode.MOD_ADD_EXERCISE,
        ReasonCode.BALANCE_DEFICIT,
        ReasonCode.VOLUME_BELOW_MEV,
    }
)
DELOAD_ACTIONS = frozenset({Action.DELOAD, Action.RESET})
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    on: date
    exercise: str | None
    description: str


def _answers(step: Step) -> Iterator[RecommendationResult]:
    yield step.answer
    if step.stateless is not None:
        yield step.stateless


def _facts(run: Run, slug: str) -> ExerciseFacts | None:
    return run.catalog.get(slug)


def _last_set_count(request: RecommendationRequest, slug: str) -> int:
    for session in reversed(request.history):
        count = sum(1 for s in session.sets if s.exercise == slug and not s.is_warmup)
        if count:
            return count
    return 0


def _dedup(found: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(found))


def _per_answer(
    name: str, check: Callable[[Run, Step, RecommendationResult], Iterator[tuple[str | None, str]]]
) -> Callable[[Run], list[Violation]]:
    """An invariant that looks at one answer at a time, over both answers of every step."""

    def run_check(run: Run) -> list[Violation]:
        found = [
            Violation(name, step.today, exercise, text)
            for step in run.steps
            for answer in _answers(step)
            for exercise, text in check(run, step, answer)
        ]
        return _dedup(found)

    run_check.__name__ = name
    run_check.__doc__ = check.__doc__
    return run_check


# ---------------------------------------------------------------------------------------------
# 1. Every load can be set up with the lifter's equipment


def _grids(run: Run) -> LoadGrids:
    a = run.archetype
    cap = max((*a.one_rms.values(), a.bodyweight), default=100.0) * 4 + 200.0
    return LoadGrids(a.equipment, a.profile.unit, run.config, cap)


def unloadable_load(run: Run) -> list[Violation]:
    """A prescribed load (or assistance) lies on the equipment's loadable grid (reusing the
    engine's LoadGrids); an externally loaded exercise always gets a load."""
    grids = _grids(run)

    def check(
        _run: Run, _step: Step, answer: RecommendationResult
    ) -> Iterator[tuple[str | None, str]]:
        for rec in answer.recommendations:
            facts = _facts(run, rec.exercise)
            if facts is None:
                continue
            p = rec.prescription
            if p.assistance and not grids.assist().contains(p.assistance):
                yield rec.exercise, f"assistance {p.assistance} is not an assist step"
            if p.load is None:
                if facts.loading not in BODYWEIGHT_LOADINGS:
                    yield rec.exercise, f"no load given for a {facts.loading.value} exercise"
                continue
            if p.load == 0 and facts.loading in BODYWEIGHT_LOADINGS:
                continue
            if not grids.for_exercise(facts).contains(p.load):
                yield rec.exercise, f"load {p.load} cannot be set up ({facts.loading.value})"

    return _per_answer("unloadable_load", check)(run)


# ---------------------------------------------------------------------------------------------
# 2. One active modification per muscle group (R5)


def _group(run: Run, facts: ExerciseFacts) -> str:
    """The one group an exercise's modification counts against. Spec 6 says "one active
    modification per muscle group (the primary group)": each exercise has one primary group,
    not one per primary muscle, so a bench press (chest) and an overhead press (front delts)
    may each run a modification. Counting every primary muscle's group, as this check once
    did, is stricter than the spec; the attribution itself is the engine's (`arbiter_group`:
    back-side lifts are all "back", others go to the group of most primaries, ties to the
    first-listed prime mover, issue 8 finding 11), reused so the check and R5 share one
    definition of the group."""
    return arbiter_group(facts, run.config)


def one_modification_per_group(run: Run) -> list[Violation]:
    """At most one recommendation of an answer carries a modification in any muscle group,
    each exercise counting against its primary group (back-side exercises are all "back")."""

    def check(
        _run: Run, _step: Step, answer: RecommendationResult
    ) -> Iterator[tuple[str | None, str]]:
        holders: dict[str, list[str]] = {}
        for rec in answer.recommendations:
            facts = _facts(run, rec.exercise)
            if rec.modification is None or facts is None:
                continue
            holders.setdefault(_group(run, facts), []).append(rec.exercise)
        for group, slugs in sorted(holders.items()):
            if len(slugs) > 1:
                yield None, f"{len(slugs)} modifications at once in {group}: {', '.join(slugs)}"

    return _per_answer("one_modification_per_group", check)(run)


# ---------------------------------------------------------------------------------------------
# 3. Volume changes stop at 6 sets per exercise per session


def sets_cap_from_volume(run: Run) -> list[Violation]:
    """A prescription above 6 sets that grew from the last session's sets through a volume
    change (ADD_SETS, a balance or MEV step, or a reset's ramp) breaks the cap; a routine's own
    scheme (GZCLP's 10x1) is not a volume change."""

    def check(
        _run: Run, step: Step, answer: RecommendationResult
    ) -> Iterator[tuple[str | None, str]]:
        for rec in answer.recommendations:
            p = rec.prescription
            if p.sets <= MAX_SETS_FROM_VOLUME:
                continue
            volume = (
                (
                    rec.modification is not None
                    and rec.modification.kind is ModificationKind.ADD_SETS
                )
                or bool(VOLUME_CODES & set(rec.reason_codes))
                or rec.action is Action.RESET
            )
            before = _last_set_count(step.request, rec.exercise)
            if volume and p.sets > before:
                yield rec.exercise, f"{before} → {p.sets} sets from a volume change (cap 6)"

    return _per_answer("sets_cap_from_volume", check)(run)


# ---------------------------------------------------------------------------------------------
# 4. A pull is fixed with a pull


def added_exercise_is_pull(run: Run) -> list[Violation]:
    """An exercise added for the back (ADD_SETS b, or the balance fix) to fix a pull or a back
    deficit is itself a vertical or horizontal pull."""

    def check(
        _run: Run, _step: Step, answer: RecommendationResult
    ) -> Iterator[tuple[str | None, str]]:
        for rec in answer.recommendations:
            added = rec.modification is not None and (
                rec.modification.kind is ModificationKind.ADD_SETS
                and rec.modification.variant is Variant.B
            )
            if not added and ReasonCode.MOD_ADD_EXERCISE not in rec.reason_codes:
                continue
            facts = _facts(run, rec.exercise)
            if facts is None or facts.pattern in PULLS:
                continue
            active = next(
                (
                    a
                    for a in answer.plan.state.active_modifications
                    if a.added_exercise == rec.exercise
                ),
                None,
            )
            trigger = _facts(run, active.exercise) if active is not None else None
            fixes_pull = (
                active is None
                or active.trigger is ReasonCode.BALANCE_DEFICIT
                or active.exercise == rec.exercise
                or (trigger is not None and trigger.pattern in PULLS)
            )
            if fixes_pull:
                cause = active.exercise if active is not None else "the back"
                yield (
                    rec.exercise,
                    (f"{rec.exercise} ({facts.pattern.value}) added to fix {cause}, not a pull"),
                )

    return _per_answer("added_exercise_is_pull", check)(run)


# ---------------------------------------------------------------------------------------------
# 5. Back-side events never trim pressing


def _mentions_back(rec: Recommendation) -> bool:
    return any(
        r.code in (ReasonCode.BALANCE_DEFICIT, ReasonCode.VOLUME_ABOVE_MRV)
        and r.message.lower().startswith(("back", "back work"))
        for r in rec.reasons
    )


def front_not_cut_by_back(run: Run) -> list[Violation]:
    """A front exercise's sets never fall below its last session's because of a back event: a
    back-group deload that lists it, a back MRV cut or a balance step."""

    def check(
        _run: Run, step: Step, answer: RecommendationResult
    ) -> Iterator[tuple[str | None, str]]:
        back_deload = {
            s.exercise for d in answer.plan.state.deloads if d.group == "back" for s in d.snapshots
        }
        for rec in answer.recommendations:
            facts = _facts(run, rec.exercise)
            if facts is None or facts.side is not Side.FRONT:
                continue
            before = _last_set_count(step.request, rec.exercise)
            if rec.prescription.sets >= before:
                continue
            if rec.exercise in back_deload or _mentions_back(rec):
                yield (
                    rec.exercise,
                    (f"{rec.exercise} cut {before} → {rec.prescription.sets} sets by a back event"),
                )

    return _per_answer("front_not_cut_by_back", check)(run)


# ---------------------------------------------------------------------------------------------
# 6. Deloads do not compound


def _work(sets: Sequence[SetLog], slug: str | None = None) -> list[SetLog]:
    return [s for s in sets if not s.is_warmup and (slug is None or s.exercise == slug)]


def _level(sets: Sequence[SetLog]) -> float:
    """The load an exposure was trained at: its heaviest work set's load less assistance."""
    return max((s.load - s.assistance for s in sets), default=0.0)


def _gzclp_restart(run: Run, before: Sequence[SetLog], p: Prescription) -> str | None:
    """The tier ("T1", "T2") when a GZCLP beginner's prescription `p` restarts the tier's cycle
    after `before` (the lift's last exposure) ran its last stage: 10x1+ -> 5x3+, 3x6 -> 3x10.
    That is GZCLP's published cycle, not a spec 7 deload or reset, and it is recognised from
    the outside: the profile, the logged targets and the prescribed scheme (config.gzclp)."""
    profile = run.archetype.profile
    if (
        profile.routine_profile is not RoutineProfile.GZCLP
        or profile.experience is not Experience.BEGINNER
    ):
        return None
    targets = {s.target_reps for s in before}
    if len(targets) != 1:
        return None
    target = targets.pop()
    g = run.config.gzclp
    for tier, stages in (("T1", g.t1_stages), ("T2", g.t2_stages)):
        first_sets, first_reps = stages[0]
        if target == stages[-1][1] and p.reps_per_set == (first_reps,) * first_sets:
            return tier
    return None


def _gzclp_restart_floor(run: Run, tier: str, history: Sequence[Session], slug: str) -> float:
    """The lowest load GZCLP's own rule allows for a stage restart: T1 (10x1+ failed) 85 % of
    the failed load rounded down onto the grid; T2 (3x6 failed) the last successful 3x10 load
    in the log (the rule adds 7.5 kg / 15 lb to it; restarting below it would compound), or,
    with no successful 3x10 logged, the T1 floor (the engine's documented fallback)."""
    g = run.config.gzclp
    exposures = [w for w in (_work(s.sets, slug) for s in history) if w]
    facts = _facts(run, slug)
    failed = _level(exposures[-1]) if exposures else 0.0
    floor = (
        _grids(run).for_exercise(facts).floor_or_min(failed * g.t1_reset_factor)
        if facts is not None
        else failed * g.t1_reset_factor
    )
    if tier == "T1":
        return floor
    sets, reps = g.t2_stages[0]
    done = (
        _level(w)
        for w in reversed(exposures)
        if len(w) >= sets and all(s.target_reps == reps and s.reps >= reps and s.form_ok for s in w)
    )
    return next(done, floor)


class _Chains:
    """Per exercise, from the sessions performed so far: the last working session and the open
    deload chain's base (the working session before the chain's first DELOAD or RESET). A chain
    lasts until a working session's load is back at or above its base's. A GZCLP stage restart
    is the routine's own cycle, judged by its own rule: it opens no chain and counts as a
    working session (the new cycle's first load)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.working: dict[str, PerformedExercise] = {}
        self.base: dict[str, PerformedExercise] = {}
        self.last: dict[str, tuple[SetLog, ...]] = {}

    def restarts(self, done: PerformedExercise) -> str | None:
        return _gzclp_restart(self.run, self.last.get(done.exercise, ()), done.prescription)

    def session(self, slug: str) -> PerformedExercise | None:
        """The chain's base session, else the last working one."""
        return self.base.get(slug, self.working.get(slug))

    def reference(self, slug: str) -> float | None:
        done = self.session(slug)
        return _first_load(done) if done is not None else None

    def log(self, done: PerformedExercise) -> None:
        slug = done.exercise
        if done.action in DELOAD_ACTIONS and self.restarts(done) is None:
            if slug in self.working:
                self.base.setdefault(slug, self.working[slug])
        else:
            self.working[slug] = done
            base = self.base.get(slug)
            if base is not None and _first_load(done) + _EPS >= _first_load(base):
                del self.base[slug]
        self.last[slug] = tuple(_work(done.sets))


def _first_load(done: PerformedExercise) -> float:
    return done.sets[0].load if done.sets else 0.0


def no_compounding_deload(run: Run) -> list[Violation]:
    """A DELOAD or RESET load derives from the working load before the first deload of the
    chain: it is at least the grid floor of that load x the smallest deload factor (x the reset
    factor for a RESET). A chain lasts until a working (not deload or reset) session is back at
    or above that load, so 157.5 → 125 → 100 within one chain is caught.

    A GZCLP beginner's stage restart (T1 10x1+ failed -> 5x3+, T2 3x6 failed -> 3x10) is the
    routine's published cycle, not a spec 7 deload: a T2 restart at the last 3x10 load + 7.5 kg
    sits far below the failed 3x6 load by design (95 -> 57.5 kg). It is judged by GZCLP's own
    rule instead (`_gzclp_restart_floor`: T1 >= 85 % of the failed load on the grid, T2 >= the
    last successful 3x10 load), which still catches a restart from an already-restarted load
    or below the last 3x10, and it opens no chain (`_Chains`)."""
    grids = _grids(run)
    cfg = run.config
    deload_factor = min(cfg.deload.load_factor, cfg.linear.deload_factor)
    found: list[Violation] = []
    chains = _Chains(run)
    for step in run.steps:
        for done in step.performed:
            chains.log(done)
        history = step.request.history
        for answer in _answers(step):
            for rec in answer.recommendations:
                p = rec.prescription
                facts = _facts(run, rec.exercise)
                if rec.action not in DELOAD_ACTIONS or not p.load or facts is None:
                    continue
                last = next(
                    (w for w in (_work(s.sets, rec.exercise) for s in reversed(history)) if w), []
                )
                tier = _gzclp_restart(run, last, p)
                if tier is not None:
                    bound = _gzclp_restart_floor(run, tier, history, rec.exercise)
                    rule = (
                        "85 % of the failed load rounded down"
                        if tier == "T1"
                        else "the last successful 3x10 load"
                    )
                    why = f"GZCLP {tier} restart to {p.load}: below {bound}, {rule}"
                else:
                    reference = chains.reference(rec.exercise)
                    if reference is None:
                        continue
                    factor = (
                        cfg.deload.reset_factor if rec.action is Action.RESET else deload_factor
                    )
                    bound = grids.for_exercise(facts).floor_or_min(reference * factor)
                    why = (
                        f"{rec.action.value} to {p.load} from a pre-deload working load of "
                        f"{reference}: below {reference} x {factor} → {bound}"
                    )
                if p.load + _EPS < bound:
                    found.append(Violation("no_compounding_deload", step.today, rec.exercise, why))
    return _dedup(found)


# ---------------------------------------------------------------------------------------------
# 7. After a reset the work ramps back up


def _key(sets: Sequence[SetLog]) -> tuple[float, int]:
    """An exposure's performance: its level (load less assistance) and the most reps done at
    it, so a bodyweight lift (level 0 throughout) is back once its reps are."""
    level = _level(sets)
    reps = (s.reps for s in sets if abs(s.load - s.assistance - level) < _EPS)
    return round(level, 3), max(reps, default=0)


def _climbs(window: Sequence[PerformedExercise], before: PerformedExercise | None) -> bool:
    """Every session of the window is heavier than the exercise's session before it: a linear
    progression climb."""
    previous = _level(before.sets) if before is not None else None
    for done in window:
        level = _level(done.sets)
        if previous is None or level <= previous + _EPS:
            return False
        previous = level
    return bool(window)


def reset_ramps_back(run: Run) -> list[Violation]:
    """In each of the 3 weeks after a RESET session, an exercise still trained (outside a new
    deload week) reaches at least RPE 5 (the simulated lifter's true RPE) on some set.

    Two precise exemptions, both about a ramp that is happening rather than missing:
    - The ramp is complete once a session after the reset (not a deload) was trained at or
      above the pre-deload performance (the chain's base session, `_Chains`: its load, and at
      that load its reps, which is what a bodyweight lift ramps) with a set at RPE >= 5, or
      at the pre-deload session's own best RPE when that was lighter (a belt step taken just
      before a group deload: the ramp's aim is the pre-deload level, not more); later
      weeks are not judged, since a lighter week after that is ordinary RPE autoregulation (a
      set logged at RPE 9 against a target of 8 cuts the next load), not a reset that never
      ramped back.
    - The ramp is also complete once a session after the reset reached the pre-deload load
      (level) with a set at true RPE >= `TARGET_RPE`, the reset's own target, though short of
      the pre-deload reps: the load is back and worked at the target effort, so a later lighter
      load is RPE autoregulation answering a logged overshoot (spec 8: logged RPE 9.5 against 8
      cuts the load), and an easy day after it is the simulator's day-to-day noise, not a
      missing ramp.
      After a GZCLP restart the same holds for a set at `HARD_RPE` at any load, since the
      restart is below the failed load by design: the stage is worked to failure, and what
      follows is GZCLP's own failure rule (the next stage at the same load).
    - After a GZCLP stage restart (3x6 failed -> 3x10 at the last 3x10 load + 7.5 kg, far below
      the failed load by design) a week in which every session's load rose over the session
      before is GZCLP's own ramp: its linear climb of +5 kg a session is how the lift returns.
      A restart week that does not climb is still judged by RPE."""
    found: list[Violation] = []
    performed = [(step.session.date, done) for step in run.steps for done in step.performed]
    chains = _Chains(run)
    bases: dict[int, tuple[PerformedExercise | None, str | None]] = {}
    for i, (_, done) in enumerate(performed):
        if done.action is Action.RESET:
            bases[i] = (chains.session(done.exercise), chains.restarts(done))
        chains.log(done)
    for i, (reset_day, reset) in enumerate(performed):
        if i not in bases:
            continue
        pre, tier = bases[i]
        later = [
            (day, d)
            for day, d in performed[i + 1 :]
            if d.exercise == reset.exercise and d.action is not Action.DELOAD
        ]
        for week in range(1, RAMP_WEEKS + 1):
            start = reset_day + timedelta(days=7 * week)
            ramped = pre is not None and any(
                day < start
                and (
                    (
                        _key(d.sets) >= _key(pre.sets)
                        and max(d.true_rpe, default=0.0)
                        >= min(LOW_RPE, max(pre.true_rpe, default=LOW_RPE))
                    )
                    or (
                        tier is None
                        and max(d.true_rpe, default=0.0) >= TARGET_RPE
                        and _level(d.sets) >= _level(pre.sets) - _EPS
                    )
                    or (tier is not None and max(d.true_rpe, default=0.0) >= HARD_RPE)
                )
                for day, d in later
            )
            if ramped:
                break
            window = [d for day, d in later if start <= day < start + timedelta(days=7)]
            rpes = [r for d in window for r in d.true_rpe]
            if not rpes or max(rpes) >= LOW_RPE:
                continue
            if tier is not None:
                prior = [d for day, d in [(reset_day, reset), *later] if day < start]
                if _climbs(window, prior[-1]):
                    continue
            found.append(
                Violation(
                    "reset_ramps_back",
                    start,
                    reset.exercise,
                    f"week {week} after the reset on {reset_day}: best set RPE "
                    f"{max(rpes):.1f} < {LOW_RPE:g}",
                )
            )
    return _dedup(found)


# ---------------------------------------------------------------------------------------------
# 8. Rising total reps is progress, not a stall


@dataclass(frozen=True, slots=True)
class _Exposure:
    level: tuple[int, float]
    total: int
    met: bool
    clean: bool


def _exposures(request: RecommendationRequest, slug: str) -> list[_Exposure]:
    """Spec 6's performance key per exposure: the level is (ladder rung, load - assistance) of
    the heaviest work set, the total counts the reps done at that level (R8: a set with broken
    form is not counted, and an exposure with one never makes progress)."""
    out = []
    for session in request.history:
        work = [s for s in session.sets if s.exercise == slug and not s.is_warmup]
        if not work:
            continue
        met = all(
            s.form_ok
            and s.reps
            >= (
                s.target_reps
                if s.target_reps is not None
                else (s.target_range[0] if s.target_range else 0)
            )
            for s in work
        )
        level = max((s.ladder_step or 0, s.load - s.assistance) for s in work)
        total = sum(
            s.reps
            for s in work
            if s.form_ok and (s.ladder_step or 0, s.load - s.assistance) == level
        )
        out.append(_Exposure(level, total, met, all(s.form_ok for s in work)))
    return out


RESTART = "restart"
CLOSED = "closed"


def _progress_flags(exposures: list[tuple[str | None, _Exposure]]) -> list[bool]:
    """Per exposure, whether it beat the best performance key so far (spec 6): a higher level
    (rung, load) with every target met, or more total reps at the best's level. A deload or
    reset session (RESTART) starts a new block, so the best restarts after it. An exposure
    that closed a modification's window successfully (CLOSED) is progress and becomes the
    best: spec 6 compares with the best of the *current* episode, and window success closes
    the episode, so a heavier key from before the modification is no longer the reference
    (OHP 50 kg x 17 in February, REPS_UP succeeds at 47.5 kg x 28, then 50 kg x 26 in April is
    the new episode's first 50 kg exposure, not a beaten February best).

    Where the spec leaves room, the reading is the one a coach (and the engine) uses: a set
    logged with broken form never counts as a success (R8), so such an exposure neither
    progresses nor becomes the best; the first exposure of a block has no key to beat, so like
    any new level it progresses only with its targets met, and it is the block's baseline
    either way; a heavier level, once lifted, is the reference its later reps are compared
    with (30 → 31 → 32 reps at a new load is progress although the targets were missed)."""
    flags = []
    best: _Exposure | None = None
    for marker, e in exposures:
        if marker == RESTART:
            best = None
            flags.append(False)
            continue
        if marker == CLOSED:
            best = e
            flags.append(True)
            continue
        if not e.clean:
            flags.append(False)
            continue
        if best is None or e.level > best.level:
            flags.append(e.met)
            best = e
            continue
        beats = e.level == best.level and e.total > best.total
        if beats:
            best = e
        flags.append(beats)
    return flags


def _blamed_elsewhere(answer: RecommendationResult, slug: str) -> bool:
    """A group deload triggered by another exercise's stall repeats that stall's reason on every
    member ("the chest group deloads together"): the stall is not declared on `slug`."""
    return any(
        d.trigger_exercise not in (None, slug) and any(s.exercise == slug for s in d.snapshots)
        for d in answer.plan.state.deloads
    )


def _deload_dates(run: Run) -> set[tuple[date, str]]:
    return {
        (step.session.date, d.exercise)
        for step in run.steps
        for d in step.performed
        if d.action in DELOAD_ACTIONS
    }


def _windows_closed(run: Run) -> set[tuple[date, str]]:
    """(session date, exercise) of exposures done under a modification a stall opened after
    which the next answer neither carries that modification on nor declares a stall, defers,
    deloads or rotates: the window succeeded there (spec 6: "window success closes the
    episode"). Read from the answers because success may come from the e1RM, which this check
    does not fit; a failed stall window always answers with the stall again (next candidate,
    deload or rotation). A window the balance forced (no stall behind it) can fail quietly,
    so it never closes an episode here."""
    closed: set[tuple[date, str]] = set()
    stall_window: dict[str, ModificationKind] = {}
    for step in run.steps:
        for d in step.performed:
            if d.modification is None:
                stall_window.pop(d.exercise, None)
                continue
            if d.reason is ReasonCode.STALL_DETECTED:
                stall_window[d.exercise] = d.modification.kind
            elif stall_window.get(d.exercise) is not d.modification.kind:
                stall_window.pop(d.exercise, None)
                continue
            rec = step.answer.for_exercise(d.exercise)
            if rec is None:
                continue
            carried_on = rec.modification is not None and rec.modification.kind is (
                d.modification.kind
            )
            stalled = bool(
                {ReasonCode.STALL_DETECTED, ReasonCode.ONE_AT_A_TIME_DEFERRED}
                & set(rec.reason_codes)
            )
            if not carried_on and not stalled and rec.action not in _NOT_CLOSED:
                closed.add((step.session.date, d.exercise))
    return closed


_NOT_CLOSED = frozenset({Action.DELOAD, Action.RESET, Action.ROTATE_VARIATION})


def rising_reps_not_stall(run: Run) -> list[Violation]:
    """A newly declared STALL_DETECTED (absent from the previous answer for that exercise) is
    wrong when one of the last 3 exposures beat the best performance
    key so far: 30 → 31 → 32 total reps at one load is progress. Deload and reset sessions are
    left out and restart the best; an exposure that closed a modification's window
    successfully becomes the best of the new episode (`_windows_closed`). A group deload
    another exercise's stall triggered quotes that stall on every member; it is not a stall
    declared on the member."""
    window = run.config.stall.stall_exposures
    skipped = _deload_dates(run)
    closed = _windows_closed(run)
    found: list[Violation] = []
    previous: RecommendationResult | None = None
    for step in run.steps:
        for rec in step.answer.recommendations:
            if ReasonCode.STALL_DETECTED not in rec.reason_codes:
                continue
            before = previous.for_exercise(rec.exercise) if previous is not None else None
            if before is not None and ReasonCode.STALL_DETECTED in before.reason_codes:
                continue
            if rec.action is Action.DELOAD and _blamed_elsewhere(step.answer, rec.exercise):
                continue
            dated = [
                s.date
                for s in step.request.history
                if any(x.exercise == rec.exercise for x in s.sets)
            ]
            exposures = [
                (
                    RESTART
                    if (d, rec.exercise) in skipped
                    else CLOSED
                    if (d, rec.exercise) in closed
                    else None,
                    e,
                )
                for d, e in zip(dated, _exposures(step.request, rec.exercise), strict=True)
            ]
            flags = _progress_flags(exposures)
            recent = [i for i, (m, _) in enumerate(exposures) if m != RESTART][-window:]
            if len(recent) == window and any(flags[i] for i in recent):
                totals = [exposures[i][1].total for i in recent]
                found.append(
                    Violation(
                        "rising_reps_not_stall",
                        step.today,
                        rec.exercise,
                        f"stall declared although the performance key improved (total reps "
                        f"{totals})",
                    )
                )
        previous = step.answer
    return found


# ---------------------------------------------------------------------------------------------
# 9. The echoed state is only a shortcut


def _essence(rec: Recommendation) -> tuple[object, ...]:
    return (rec.action, rec.modification, rec.prescription, rec.reason_codes)


def state_is_a_shortcut(run: Run) -> list[Violation]:
    """The answer without `state` equals the answer with the echoed state: same exercises, and
    for each the same action, modification, prescription and reason codes."""
    found: list[Violation] = []
    for step in run.steps:
        if step.stateless is None:
            continue
        with_state = {r.exercise: r for r in step.answer.recommendations}
        without = {r.exercise: r for r in step.stateless.recommendations}
        for slug in sorted(with_state.keys() | without.keys()):
            a, b = with_state.get(slug), without.get(slug)
            if a is None or b is None or _essence(a) != _essence(b):
                found.append(
                    Violation(
                        "state_is_a_shortcut",
                        step.today,
                        slug,
                        f"with state {_summary(a)}; without {_summary(b)}",
                    )
                )
    return found


def _summary(rec: Recommendation | None) -> str:
    if rec is None:
        return "no recommendation"
    return f"{rec.action.value} {describe(rec.prescription)}"


def describe(p: Prescription) -> str:
    """A prescription as a coach writes it: 3x5 @ 52.5, 3x8-12, [11, 11, 10] @ 60 (+ assist)."""
    if p.per_set_reps is not None:
        scheme = "[" + ", ".join(str(r) for r in p.per_set_reps) + "]"
    elif p.rep_range is not None:
        scheme = f"{p.sets}x{p.rep_range[0]}-{p.rep_range[1]}"
    else:
        scheme = f"{p.sets}x{p.reps}"
    parts = [scheme]
    if p.load is not None:
        parts.append(f"@ {p.load:g}")
    if p.assistance:
        parts.append(f"assist {p.assistance:g}")
    if p.ladder_step is not None:
        parts.append(f"L{p.ladder_step}")
    if p.target_rpe is not None:
        parts.append(f"RPE {p.target_rpe:g}")
    if p.final_set_to_failure:
        parts.append("last to failure")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# 10. A message's numbers are the prescription's


PRESCRIPTIVE = frozenset(
    {
        ReasonCode.LP_SUCCESS,
        ReasonCode.LP_FAIL_REPEAT,
        ReasonCode.LP_DELOAD,
        ReasonCode.DP_REPS_UP,
        ReasonCode.DP_LOAD_STEP,
        ReasonCode.MOD_ADD_SETS,
        ReasonCode.MOD_ADD_EXERCISE,
        ReasonCode.MOD_LOAD_UP,
        ReasonCode.MOD_REPS_UP,
        ReasonCode.MOD_FAILURE_FINAL_SET,
        ReasonCode.RPE_ADJUST_UP,
        ReasonCode.RPE_ADJUST_DOWN,
        ReasonCode.RESET_AFTER_DELOAD,
        ReasonCode.COARSE_INCREMENT_REP_BRIDGE,
        ReasonCode.LADDER_ADVANCE,
        ReasonCode.BW_ADD_LOAD,
        ReasonCode.ASSIST_REDUCE,
    }
)
MODIFICATION_CODES = frozenset(
    {
        ReasonCode.MOD_ADD_SETS,
        ReasonCode.MOD_ADD_EXERCISE,
        ReasonCode.MOD_LOAD_UP,
        ReasonCode.MOD_REPS_UP,
        ReasonCode.MOD_FAILURE_FINAL_SET,
    }
)
_QTY = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) ?(kg|lb)\b")
_SXR = re.compile(r"(?<![\w.])(\d+) ?[x\u00d7] ?(\d+)(?!\d|\.\d)")
_LIST = re.compile(r"\[(\d+(?:, ?\d+)*)\]")
_SETS_OF = re.compile(r"(\d+) sets of (\d+)-(\d+)")
_SETS_ARROW = re.compile(r"→ ?(\d+) sets")
DELOAD_MARK = "Deload week:"
ROTATE_MARK = "rotate to "


def conclusion(message: str) -> str:
    """The part of a message that states what to do next: after the deload-week or rotation
    marker when present, else after the last colon (messages read "what happened: what next")."""
    for mark in (DELOAD_MARK, ROTATE_MARK):
        if mark in message:
            return message.rsplit(mark, 1)[1]
    return message.rsplit(": ", 1)[-1]


def _scheme_matches(p: Prescription, text: str) -> bool | None:
    """Whether some rep scheme the text names is the prescription's (None: it names none)."""
    reps = set(p.reps_per_set)
    if p.rep_range is not None:
        reps |= set(p.rep_range)
    named = False
    for sets, r in _SXR.findall(text):
        named = True
        if int(sets) == p.sets and int(r) in reps:
            return True
    for listed in _LIST.findall(text):
        named = True
        if tuple(int(x) for x in listed.split(",")) == p.reps_per_set:
            return True
    for sets, lo, hi in _SETS_OF.findall(text):
        named = True
        if int(sets) == p.sets and (int(lo), int(hi)) == p.rep_range:
            return True
    for sets in _SETS_ARROW.findall(text):
        named = True
        if int(sets) == p.sets:
            return True
    return False if named else None


def _checked_reasons(rec: Recommendation) -> Iterator[str]:
    for reason in rec.reasons:
        if reason.code in MODIFICATION_CODES and rec.modification is None:
            continue  # describes another exercise's modification (ADD_SETS b on the stalled lift)
        marked = DELOAD_MARK in reason.message or (
            rec.action is Action.ROTATE_VARIATION and ROTATE_MARK in reason.message
        )
        if reason.code in PRESCRIPTIVE or marked:
            yield reason.message


def reason_numbers_match(run: Run) -> list[Violation]:
    """In each reason that states the next prescription, the conclusion's loads carry the
    profile's unit and one of them is the prescribed load or assistance, and one of the rep
    schemes it names (3x5, [11, 11, 10], 2 sets of 8-12, → 3 sets) is the prescription's."""
    unit = run.archetype.profile.unit.value

    def check(
        _run: Run, _step: Step, answer: RecommendationResult
    ) -> Iterator[tuple[str | None, str]]:
        for rec in answer.recommendations:
            p = rec.prescription
            wanted = [x for x in (p.load, p.assistance) if x is not None]
            for message in _checked_reasons(rec):
                text = conclusion(message)
                quantities = _QTY.findall(text)
                for value, named_unit in quantities:
                    if named_unit != unit:
                        yield rec.exercise, f"'{value} {named_unit}' in a {unit} profile: {message}"
                if quantities and not any(
                    abs(float(v) - w) < 0.01 for v, _ in quantities for w in wanted
                ):
                    yield rec.exercise, f"loads {quantities} vs {describe(p)}: {message}"
                if _scheme_matches(p, text) is False:
                    yield rec.exercise, f"rep scheme vs {describe(p)}: {message}"

    return _per_answer("reason_numbers_match", check)(run)


INVARIANTS: Mapping[str, Callable[[Run], list[Violation]]] = MappingProxyType(
    {
        f.__name__: f
        for f in (
            unloadable_load,
            one_modification_per_group,
            sets_cap_from_volume,
            added_exercise_is_pull,
            front_not_cut_by_back,
            no_compounding_deload,
            reset_ramps_back,
            rising_reps_not_stall,
            state_is_a_shortcut,
            reason_numbers_match,
        )
    }
)


def check_run(run: Run) -> dict[str, list[Violation]]:
    """Every invariant's violations for one run, by invariant name."""
    return {name: check(run) for name, check in INVARIANTS.items()}
