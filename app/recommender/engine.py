"""The recommender's entry point: replay the history into state, then decide each exercise."""

import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from dataclasses import replace
from datetime import date, timedelta

from app.recommender import text
from app.recommender.config import BACK_GROUP, RecommenderConfig
from app.recommender.enums import (
    Action,
    DeloadCause,
    ExerciseStatus,
    Experience,
    ModificationKind,
    Pattern,
    ReasonCode,
    RoutineProfile,
    Side,
    Variant,
)
from app.recommender.history import Exposure, History, build_history, is_bodyweight_style
from app.recommender.loading import LoadGrids
from app.recommender.models import (
    ActiveModification,
    Caution,
    DeloadSnapshot,
    EngineState,
    ExerciseFacts,
    ExerciseState,
    GroupDeload,
    GroupVolume,
    Metrics,
    Modification,
    PlanEntry,
    PlanReport,
    Prescription,
    Reason,
    Recommendation,
    RecommendationRequest,
    RecommendationResult,
    Replacement,
)
from app.recommender.modifications import (
    ArbiterInputs,
    Candidate,
    choose_modification,
    describe_modification,
)
from app.recommender.routines import (
    gzclp_progression,
    gzclp_resets_here,
    lp_outcome_note,
    lp_succeeded,
    pull_up_scheme,
)
from app.recommender.rpe import trend_pct_per_week
from app.recommender.rules import (
    Climb,
    Decision,
    RuleContext,
    bodyweight_reps,
    deload_week,
    double_progression,
    high_effort_warning,
    linear_progression,
    prescribed_rpe,
    pull_up_ladder,
    reset_after_deload,
    rpe_autoregulation,
    rung_ladder,
    targets_prescription,
)
from app.recommender.selection import level_suggestion, routine_exercises, selection_checks
from app.recommender.substitution import (
    EXTERNAL,
    PULL_PATTERNS,
    addition_prescription,
    choose_added_pull,
    choose_substitute,
    exposure_e1rm,
    load_scale,
    related_source,
    scale_for,
    starting_prescription,
)
from app.recommender.text import num
from app.recommender.volume import (
    BalanceTotals,
    Catalog,
    FeedbackBook,
    WeeklyVolume,
    history_volume,
    is_front,
    landmark_check,
    plan_volume,
    red_flags,
    rp_sets_allowed,
    window_bounds,
    window_slice,
)


def arbiter_group(facts: ExerciseFacts, cfg: RecommenderConfig) -> str:
    """The muscle group an exercise's modifications count against: every back-side exercise is
    "back" (R5 treats the back as one group); others use the group most of their primary
    muscles belong to, ties going to the first-listed primary (the catalog lists the prime
    mover first: bench press -> chest, overhead press -> front delts)."""
    if facts.side is Side.BACK:
        return BACK_GROUP
    mapping = dict(cfg.volume.muscle_groups)
    groups = [mapping.get(m, m) for m in facts.primary_muscles]
    if groups:
        return max(dict.fromkeys(groups), key=groups.count)
    return facts.slug


def is_ladder_style(facts: ExerciseFacts) -> bool:
    return bool(facts.ladder) or is_bodyweight_style(facts)


def uses_arbiter(facts: ExerciseFacts, exposure: Exposure) -> bool:
    """Loaded lifts go through stall detection and the arbiter; unloaded ladder rungs progress
    along their ladder instead."""
    if facts.ladder:
        return False
    return not is_bodyweight_style(facts) or exposure.load > 0


class _Ex:
    """Mutable per-exercise replay state (never leaves this module; exported frozen)."""

    __slots__ = (
        "best_e1rm",
        "best_load",
        "best_reps",
        "best_rung",
        "completed_load",
        "completed_reps",
        "completed_rung",
        "deferred_by",
        "deload_base",
        "group",
        "lp_deloads",
        "lp_failures",
        "missed_streak",
        "points",
        "ramp_sets",
        "ramp_until",
        "rotate_to",
        "rotate_tried",
        "rotated_on",
        "slug",
        "stall",
        "stall_opened",
        "trend_from",
        "tried",
    )

    def __init__(self, slug: str, group: str, saved: ExerciseState | None) -> None:
        self.slug = slug
        self.group = group
        s = saved or ExerciseState(slug)
        self.lp_failures = s.lp_failures
        self.lp_deloads = list(s.lp_deload_dates)
        self.stall = s.stall_count
        self.best_rung = s.best_rung
        self.best_load = s.best_load
        self.best_reps = s.best_reps
        self.best_e1rm = s.best_e1rm
        self.completed_rung = s.completed_rung
        self.completed_load = s.completed_load
        self.completed_reps = s.completed_reps
        self.missed_streak = s.missed_streak
        self.tried: list[ModificationKind] = list(s.tried)
        self.points: list[tuple[date, float]] = []
        self.stall_opened = False
        self.deferred_by: str | None = None
        self.rotate_to: str | None = s.rotate_to
        self.rotated_on: date | None = s.rotated_on
        self.rotate_tried: tuple[ModificationKind, ...] = s.rotate_tried
        self.ramp_sets: int | None = s.ramp_sets
        self.ramp_until: date | None = s.ramp_until
        self.trend_from: date | None = s.trend_from
        self.deload_base: DeloadSnapshot | None = s.deload_base

    def clear_flags(self) -> None:
        self.stall_opened = False
        self.deferred_by = None

    def deloaded_on(self, day: date) -> bool:
        """Whether linear progression's failure limit was reached at the exposure of `day`."""
        return bool(self.lp_deloads) and self.lp_deloads[-1] == day

    def end_ramp(self, e: Exposure) -> None:
        """The climb back after a reset ends at the pre-deload set count or its deadline."""
        if self.ramp_sets is not None and (
            e.set_count >= self.ramp_sets or self.ramp_until is None or e.date > self.ramp_until
        ):
            self.ramp_sets = self.ramp_until = None

    def close_chain(self, e: Exposure) -> None:
        """The deload chain ends when a working exposure is back at the pre-deload level: a
        heavier load, or the same load with the pre-deload reps."""
        base = self.deload_base
        if base is not None:
            level, before = e.load - e.assistance, base.load - base.assistance
            if level > before + 1e-6 or (
                level > before - 1e-6 and e.total_reps >= sum(base.reps[: e.set_count])
            ):
                self.deload_base = None

    def rotated_at(self, day: date) -> bool:
        return self.rotate_to is not None and self.rotated_on == day

    def set_best(self, e: Exposure) -> None:
        self.best_rung, self.best_load, self.best_reps = e.rung, e.load - e.assistance, e.total_reps

    def is_progress(self, e: Exposure, min_e1rm_gain: float = 0.0) -> bool:
        """Progress (spec 6): the performance key (load, total reps at that load) beats the
        episode's best, or the e1RM does. A higher load beats a lower one when its targets are
        met; at the same load more total reps beat fewer even if one set missed its +1 (30 ->
        31 -> 32 reps at one load is progress, not a stall: issue 8). A set with broken form
        never makes progress, and the first exposure of an episode progresses only when met."""
        if e.form_broken:
            return False
        if self.best_load is None or self.best_rung is None or self.best_reps is None:
            return e.targets_met
        level = e.level
        best = (self.best_rung, self.best_load)
        if level > best:
            return e.targets_met
        if level == best and e.total_reps > self.best_reps:
            return True
        return (
            e.e1rm is not None
            and self.best_e1rm is not None
            and e.e1rm > self.best_e1rm * (1 + min_e1rm_gain)
        )

    def note_key(self, e: Exposure) -> None:
        """Keep the episode's best key: the first exposure is the baseline, a heavier load
        becomes the reference once lifted (met or not), more reps at the same load beat it."""
        if e.form_broken:
            return
        if self.best_load is None or self.best_rung is None or self.best_reps is None:
            self.set_best(e)
            return
        level = e.level
        best = (self.best_rung, self.best_load)
        if level > best or (level == best and e.total_reps > self.best_reps):
            self.set_best(e)

    def note_completion(self, e: Exposure) -> None:
        """Track the best completed key, and misses below it, for regression detection."""
        level = e.level
        done = (
            (self.completed_rung, self.completed_load)
            if self.completed_rung is not None and self.completed_load is not None
            else None
        )
        if e.targets_met:
            if (
                done is None
                or level > done
                or (level == done and e.total_reps >= (self.completed_reps or 0))
            ):
                self.completed_rung, self.completed_load = level
                self.completed_reps = e.total_reps
            self.missed_streak = 0
        elif done is not None and (
            level < done or (level == done and e.total_reps < (self.completed_reps or 0))
        ):
            self.missed_streak += 1
        else:
            self.missed_streak = 0

    def trend(self, count: int) -> float | None:
        pts = self.points[-count:]
        return trend_pct_per_week(pts) if len(pts) >= 2 else None

    def frozen(self) -> ExerciseState:
        return ExerciseState(
            exercise=self.slug,
            lp_failures=self.lp_failures,
            lp_deload_dates=tuple(self.lp_deloads),
            stall_count=self.stall,
            best_rung=self.best_rung,
            best_load=self.best_load,
            best_reps=self.best_reps,
            best_e1rm=self.best_e1rm,
            completed_rung=self.completed_rung,
            completed_load=self.completed_load,
            completed_reps=self.completed_reps,
            missed_streak=self.missed_streak,
            tried=tuple(self.tried),
            rotate_to=self.rotate_to,
            rotated_on=self.rotated_on,
            rotate_tried=self.rotate_tried,
            ramp_sets=self.ramp_sets,
            ramp_until=self.ramp_until,
            trend_from=self.trend_from,
            deload_base=self.deload_base,
        )


class _Engine:
    """One request's working state. Pure: everything comes from the request."""

    def __init__(self, request: RecommendationRequest) -> None:
        self.req = request
        self.cfg = cfg = request.config
        self.profile = request.profile
        self.today = request.today
        self.catalog = Catalog(request.catalog, cfg)
        self.history: History = build_history(
            request.history, self.catalog.facts, self.profile.bodyweight, cfg
        )
        self.dates = [e.date for e in self.history.ordered]
        self.grids = LoadGrids(request.equipment, self.profile.unit, cfg, self._cap())
        self.ctx = RuleContext(self.profile, cfg, self.grids, self.catalog)
        self.feedback = FeedbackBook(request.feedback, cfg)
        self.plan = request.plan
        self.plan_weekly = plan_volume(self.plan, self.catalog, cfg) if self.plan else None
        self.routine = routine_exercises(self.plan, self.history, self.dates, self.today, cfg)
        self.beginner = self.profile.experience is Experience.BEGINNER
        saved = request.state or EngineState()
        self.as_of = saved.as_of
        saved_ex = {s.exercise: s for s in saved.exercises}
        self.ex: dict[str, _Ex] = {}
        for slug in self.history.by_exercise:
            group = arbiter_group(self.catalog.get(slug), cfg)
            self.ex[slug] = _Ex(slug, group, saved_ex.get(slug))
        self.active: dict[str, ActiveModification] = {
            a.group: a for a in saved.active_modifications
        }
        self.deloads: dict[str, GroupDeload] = {d.group: d for d in saved.deloads}
        self.balance_step_on = saved.balance_step_on
        self.last: dict[str, Exposure] = {}
        self.weekly_cache: dict[date, WeeklyVolume] = {}
        # While the replay repeats the decisions of a past planned day (`_plan_day`), only the
        # sessions before that day are visible to the windows, as they were when it was planned.
        self.horizon: date | None = None
        self.planned_weekly: dict[date, WeeklyVolume] = {}
        self.balance_totals: BalanceTotals | None = None
        self.planned_routines: dict[date, tuple[str, ...]] = {}
        self.plan_reasons: list[Reason] = []
        self.plan_warnings: list[Caution] = []

    def _cap(self) -> float:
        biggest = self.profile.bodyweight or 0.0
        sets = self.history.all_sets
        if sets:
            biggest = max(biggest, *(s.load for s in sets), *(s.assistance for s in sets))
        if self.req.plan is not None:
            for entry in self.req.plan.entries:
                biggest = max(biggest, entry.load or 0.0)
        return biggest * 1.5 + 100.0

    # -----------------------------------------------------------------------------------------
    # context as of a date

    def visible_dates(self) -> list[date]:
        """Exposure dates the windows may see: all of them, or those before the horizon."""
        if self.horizon is None:
            return self.dates
        return self.dates[: bisect_left(self.dates, self.horizon)]

    def weekly(self, on: date) -> WeeklyVolume:
        if self.plan_weekly is not None:
            return self.plan_weekly
        cache = self.weekly_cache if self.horizon is None else self.planned_weekly
        found = cache.get(on)
        if found is None:
            found = history_volume(
                self.history.ordered, self.visible_dates(), on, self.catalog, self.cfg
            )
            cache[on] = found
        return found

    def flags(self, group: str, on: date) -> tuple[str, ...]:
        return red_flags(self.feedback.latest(group, on), self.cfg)

    def frequency(self, slug: str, on: date) -> int:
        if self.plan is not None:
            return sum(e.times_per_week for e in self.plan.entries if e.exercise == slug) or 1
        start, end = window_bounds(on, self.cfg.volume.window_days, self.visible_dates(), self.cfg)
        dates = [e.date for e in self.history.by_exercise.get(slug, ())]
        return max(1, bisect_left(dates, end) - bisect_left(dates, start))

    def arbiter_inputs(self, e: Exposure, group: str, on: date) -> ArbiterInputs:
        session = self.history.sessions[e.session_index][1]
        session_sets = sum(
            self.catalog.credits_for(x.exercise).get(group, 0.0) * x.set_count for x in session
        )
        return ArbiterInputs(
            group=group,
            weekly=self.weekly(on),
            rp_allowed_sets=rp_sets_allowed(self.feedback.latest(group, on), self.cfg),
            red_flags=self.flags(group, on),
            session_group_sets=session_sets,
            weekly_frequency=self.frequency(e.exercise, on),
            routine=self.routine,
        )

    def regression(self, st: _Ex) -> str | None:
        """Regression (spec 6): e1RM trend <= -1 %/week over the last 4 estimates, or reps
        missed on 2 consecutive exposures at a load already completed."""
        stall = self.cfg.stall
        if len(st.points) >= stall.regression_exposures:
            trend = st.trend(stall.regression_exposures)
            if trend is not None and trend <= stall.regressing_pct_per_week:
                return (
                    f"the e1RM trend on {st.slug} is {num(trend)} %/week over the last "
                    f"{stall.regression_exposures} estimates"
                )
        if st.missed_streak >= stall.regression_missed_exposures:
            return (
                f"reps were missed on {st.missed_streak} exposures in a row of {st.slug} at a "
                f"load already completed"
            )
        return None

    # -----------------------------------------------------------------------------------------
    # replay

    def replay(self) -> None:
        """Replay every exposure after the echoed state's `as_of` in order, repeating each
        planned day's decisions first (`_plan_day`).

        A session of day d was answered by a request planned for the next training day, so its
        exposures are judged with the routine as it stood then; that makes the state replayed
        from the sets alone equal to the state a client echoes back (finding 6 of issue 8)."""
        request_routine = self.routine
        days = sorted(set(self.dates))
        # The day each session's answer was planned for: the next session, or today.
        next_day = dict(zip(days, [*days[1:], self.today], strict=False))
        planned_day: date | None = None
        for e in self.history.ordered:
            st = self.ex[e.exercise]
            qualifying = e.e1rm
            if self.as_of is not None and e.date <= self.as_of:
                # Replayed state: the trend still restarts at the last reset (`trend_from`).
                if qualifying is not None and (st.trend_from is None or e.date >= st.trend_from):
                    st.points.append((e.date, qualifying))
                self.last[e.exercise] = e
                continue
            if e.date != planned_day:
                planned_day = e.date
                self._plan_day(e.date)
                self.routine = self._planned_routine(next_day[e.date])
            st.clear_flags()
            facts = self.catalog.get(e.exercise)
            if qualifying is not None:
                st.points.append((e.date, qualifying))
            self.last[e.exercise] = e
            if self.beginner:
                self._replay_beginner(st, facts, e)
            else:
                self._replay_intermediate(st, facts, e)
            if qualifying is not None:
                st.best_e1rm = max(st.best_e1rm or 0.0, qualifying)
        self.routine = request_routine

    def _planned_routine(self, day: date) -> tuple[str, ...]:
        """The routine as it stood when the session of `day` was planned (asked twice per day:
        for the day's decisions and for judging the session before it)."""
        found = self.planned_routines.get(day)
        if found is None:
            found = routine_exercises(
                self.plan, self.history, self.dates, day, self.cfg, planned=True
            )
            self.planned_routines[day] = found
        return found

    def _replay_beginner(self, st: _Ex, facts: ExerciseFacts, e: Exposure) -> None:
        """Linear progression counters: consecutive failures, and deloads at the limit (GZCLP:
        its stage is read from the logged targets; only T1 resets are counted, as deloads)."""
        if st.is_progress(e):
            st.stall = 0
            st.set_best(e)
        else:
            st.stall += 1
        if is_ladder_style(facts):
            return
        if self.profile.routine_profile is RoutineProfile.GZCLP:
            st.lp_failures = 0
            if gzclp_resets_here(e, facts, self.cfg):
                st.lp_deloads.append(e.date)
                st.best_rung = st.best_load = st.best_reps = None
                st.stall = 0
            return
        if lp_succeeded(e, self.ctx):
            st.lp_failures = 0
            return
        st.lp_failures += 1
        limit = self.cfg.linear.for_profile(self.profile.routine_profile).failure_limit
        if st.lp_failures >= limit:
            st.lp_failures = 0
            st.lp_deloads.append(e.date)
            # The deload load is a fresh start: its first clean session is progress.
            st.best_rung = st.best_load = st.best_reps = None
            st.stall = 0

    def _replay_intermediate(self, st: _Ex, facts: ExerciseFacts, e: Exposure) -> None:
        group = st.group
        if self._in_deload(st, e):
            return
        st.end_ramp(e)
        progress = st.is_progress(e, self.cfg.stall.e1rm_progress_min_pct)
        st.note_completion(e)
        in_window = False
        self._lapse_unfollowed(group, e)
        active = self.active.get(group)
        if active is not None and active.exercise == e.exercise:
            evaluated = active.exposures_evaluated + 1
            better_e1rm = (
                e.targets_met
                and active.baseline_e1rm is not None
                and (e.e1rm or e.e1rm_lower or 0.0) > active.baseline_e1rm
            )
            if progress or better_e1rm:
                # Window success closes the episode (spec 6).
                del self.active[group]
                st.tried.clear()
                st.stall = 0
                st.set_best(e)
                return
            # The window's heavier load becomes the episode's reference once lifted, so more
            # reps at it later in the window are progress (LOAD_UP 14 -> 16 reps: issue 8).
            st.note_key(e)
            if evaluated < self.cfg.stall.evaluation_window:
                self.active[group] = replace(active, exposures_evaluated=evaluated)
                in_window = True
            else:
                # Window failure marks the kind as tried; the stall persists.
                del self.active[group]
                if active.kind not in st.tried:
                    st.tried.append(active.kind)
        elif progress:
            st.stall = 0
            st.tried.clear()
            st.note_key(e)
        else:
            st.stall += 1
            st.note_key(e)
        if not uses_arbiter(facts, e):
            return
        flags = self.flags(group, e.date)
        stalled = not in_window and st.stall >= self.cfg.stall.stall_exposures
        if not flags and not stalled:
            # Regression only matters with red flags or a stall; skip fitting its trend.
            return
        regression = self.regression(st)
        if regression is not None and flags:
            self._open_deload(
                group, e.date, DeloadCause.REGRESSION_AND_RED_FLAGS, regression, flags, st.slug
            )
            return
        if stalled:
            self._arbitrate(st, facts, e, e.date, flags, regression)

    def _lapse_unfollowed(self, group: str, e: Exposure) -> None:
        """An added set or exercise the lifter did not take up lapses, rather than holding the
        group's one modification slot (R5) for ever: a later session trains the group without
        the added exercise, or the exercise given a balance set comes back without it. A lapsed
        balance step frees the week's step, so the balance fix can be offered again."""
        active = self.active.get(group)
        if active is None or active.kind is not ModificationKind.ADD_SETS:
            return
        added = active.added_exercise
        if added is not None:
            if e.exercise == added or e.date <= active.started_on:
                return
            if any(x.exercise == added for x in self.history.sessions[e.session_index][1]):
                return
            done = self.last.get(added)
            if done is not None and done.date >= active.started_on:
                return
        elif (
            active.trigger is not ReasonCode.BALANCE_DEFICIT
            or e.exercise != active.exercise
            or e.set_count >= active.prescription.sets
        ):
            # A stall's added set is judged by its evaluation window whatever was logged.
            return
        del self.active[group]
        if (
            active.trigger is ReasonCode.BALANCE_DEFICIT
            and self.balance_step_on == active.started_on
        ):
            self.balance_step_on = None

    def _arbitrate(
        self,
        st: _Ex,
        facts: ExerciseFacts,
        e: Exposure,
        on: date,
        flags: tuple[str, ...],
        regression: str | None,
    ) -> None:
        """R5: one active modification per group; otherwise the first untried eligible kind;
        when none is left, deload (red flags, regression, anchors) or rotate the exercise."""
        group = st.group
        holder = self.active.get(group)
        if holder is not None:
            st.deferred_by = holder.exercise
            return
        inputs = self.arbiter_inputs(e, group, on)
        found = choose_modification(e, facts, self.ctx, inputs, st.tried)
        if found is not None:
            self.active[group] = self._activate(group, e, found, on, st)
            st.stall_opened = True
            return
        anchor = self.catalog.parent(e.exercise) in self.cfg.modifications.anchors
        target = None if anchor else self._rotation_target(facts)
        tried = self._tried_text(st.tried)
        if flags or regression or target is None:
            if flags and regression:
                cause = DeloadCause.REGRESSION_AND_RED_FLAGS
            elif flags:
                cause = DeloadCause.RED_FLAGS
            elif regression:
                cause = DeloadCause.REGRESSION
            else:
                cause = DeloadCause.STALL_EXHAUSTED
            detail = regression or (
                f"{tried} on {e.exercise}"
                + (
                    " and it is an anchor lift that is never rotated out"
                    if anchor
                    else " and no other exercise of its pattern and loading is left"
                )
            )
            self._open_deload(group, on, cause, detail, flags, e.exercise)
            return
        st.rotate_to = target
        st.rotated_on = e.date
        st.rotate_tried = tuple(st.tried)
        st.stall = 0
        st.tried.clear()
        st.best_rung = st.best_load = st.best_reps = None

    def _activate(
        self, group: str, e: Exposure, found: Candidate, on: date, st: _Ex
    ) -> ActiveModification:
        return ActiveModification(
            group=group,
            exercise=e.exercise,
            kind=found.kind,
            variant=found.variant,
            started_on=on,
            exposures_evaluated=0,
            prescription=found.prescription,
            added_exercise=found.added_exercise,
            baseline_e1rm=st.best_e1rm,
        )

    @staticmethod
    def _tried_text(tried: Collection[ModificationKind]) -> str:
        """ "2 of 4 modifications (ADD_SETS, LOAD_UP) were tried without progress; REPS_UP,
        FAILURE_FINAL_SET were not eligible": the real counts, never "all four"."""
        kinds = list(ModificationKind)
        done = [k.value for k in kinds if k in tried]
        rest = [k.value for k in kinds if k not in tried]
        head = (
            f"{len(done)} of {len(kinds)} modifications ({', '.join(done)}) were tried without "
            f"progress"
            if done
            else "no modification could be tried"
        )
        return head + (
            f"; {', '.join(rest)} {'was' if len(rest) == 1 else 'were'} not eligible"
            if rest
            else ""
        )

    def _rotation_target(self, facts: ExerciseFacts) -> str | None:
        """Same movement pattern and loading family, not already in the routine (issue 8)."""
        found = choose_substitute(facts, self.catalog, exclude=self.routine)
        return found.slug if found is not None else None

    def _open_deload(
        self,
        group: str,
        on: date,
        cause: DeloadCause,
        detail: str,
        flags: tuple[str, ...],
        trigger: str | None = None,
    ) -> None:
        """Open a deload week for the group. Every member's snapshot is its pre-deload working
        load (`_pre_deload_base`), never a deload or reset load, so deloads do not compound: a
        deload soon after a reset (red flags that persist) starts from the chain's base."""
        if flags:
            detail = (
                f"{detail}; recovery red flags: {', '.join(flags)}"
                if detail
                else (f"recovery red flags: {', '.join(flags)}")
            )
        snapshots = tuple(
            self._snapshot(slug, e)
            for slug in self.last
            if self.ex[slug].group == group and (e := self._pre_deload_base(slug, on)) is not None
        )
        self.deloads[group] = GroupDeload(
            group=group,
            triggered_on=on,
            cause=cause,
            started_on=None,
            snapshots=snapshots,
            weekly_sets_before=self.weekly(on).group_sets(group),
            detail=detail,
            trigger_exercise=trigger,
        )
        self.active.pop(group, None)
        for st in self.ex.values():
            if st.group == group:
                st.stall = 0
                st.tried.clear()
                st.best_rung = st.best_load = st.best_reps = None

    def _snapshot(self, slug: str, e: Exposure) -> DeloadSnapshot:
        """The member's pre-deload snapshot; while a deload chain is open (the lifter has not
        been back at its base since the last deload) the chain's heavier base is kept, with
        the larger set count, and it stays the exercise's base until a working exposure is
        back at it (`_Ex.end_ramp`)."""
        fresh = DeloadSnapshot(
            exercise=slug,
            load=e.load,
            assistance=e.assistance,
            sets=e.set_count,
            reps=e.targets,
            rep_floor=e.rep_range[0],
        )
        st = self.ex[slug]
        chain = st.deload_base
        if chain is not None and chain.load - chain.assistance > fresh.load - fresh.assistance:
            fresh = replace(chain, sets=max(chain.sets, fresh.sets))
        st.deload_base = fresh
        return fresh

    def _pre_deload_base(self, slug: str, on: date) -> Exposure | None:
        """The pre-deload working load: the heaviest exposure with its targets met (the latest
        of equals) within `deload.base_lookback_days` before `on`, else the heaviest one, else
        the latest; the latest exposure wins when it is heavier (the load the lifter works at
        when the deload opens, even with a rep missed: issue 8). Deload-week and reset loads are
        lighter, so they never become the base; a deload during the climb back after a reset
        keeps the chain's base (`_snapshot`)."""
        latest = self._latest(slug, on)
        if latest is None:
            return None
        start = on - timedelta(days=self.cfg.deload.base_lookback_days)
        window = [x for x in self.history.by_exercise[slug] if start <= x.date <= on]
        met = [x for x in window if x.targets_met]
        pool = met or window
        if not pool:
            return latest
        best = pool[0]
        for x in pool[1:]:
            if x.level >= best.level:
                best = x
        return latest if latest.level > best.level else best

    def _latest(self, slug: str, on: date) -> Exposure | None:
        """The exercise's last exposure on or before `on`, same-day sessions included."""
        exposures = self.history.by_exercise[slug]
        i = bisect_right([x.date for x in exposures], on)
        return exposures[i - 1] if i > 0 else None

    def _in_deload(self, st: _Ex, e: Exposure) -> bool:
        """Deload-week and reset exposures do not count toward progress or stalls."""
        dl = self.deloads.get(st.group)
        if dl is None:
            st.close_chain(e)
            return False
        if e.date <= dl.triggered_on:
            # The day the deload opened: the chain's base was just taken, it stays open.
            return False
        if dl.started_on is None:
            dl = replace(dl, started_on=e.date)
            self.deloads[st.group] = dl
        assert dl.started_on is not None  # noqa: S101 - narrowed by the line above
        if e.date < dl.started_on + timedelta(days=self.cfg.deload.week_days):
            return True
        snap_slugs = {s.exercise for s in dl.snapshots}
        if e.exercise in snap_slugs and e.exercise not in dl.reset_done:
            dl = replace(dl, reset_done=(*dl.reset_done, e.exercise))
            if set(dl.reset_done) >= snap_slugs:
                del self.deloads[st.group]
            else:
                self.deloads[st.group] = dl
            st.set_best(e)
            st.stall = 0
            st.missed_streak = 0
            # The reset starts a new block: the e1RM trend restarts from it, and the sets climb
            # back to the pre-deload count over the next exposures.
            st.points = [(e.date, e.e1rm)] if e.e1rm is not None else []
            st.trend_from = e.date
            snap = next(s for s in dl.snapshots if s.exercise == e.exercise)
            if snap.sets > e.set_count:
                st.ramp_sets = snap.sets
                st.ramp_until = e.date + timedelta(days=self.cfg.deload.ramp_days)
            return True
        st.close_chain(e)
        return False

    # -----------------------------------------------------------------------------------------
    # group-level decisions at `today`

    def deload_phase(self, group: str) -> str | None:
        dl = self.deloads.get(group)
        if dl is None:
            return None
        if dl.started_on is None:
            return "deload"
        if self.today < dl.started_on + timedelta(days=self.cfg.deload.week_days):
            return "deload"
        return "reset"

    def _plan_day(self, day: date) -> None:
        """Repeat the group-level decisions the engine took when it planned the session of
        `day` (finding 6 of issue 8): a forced balance step, an arbitration at the planned
        day, a deload opened on red flags. They are not in the sets the lifter logged, so
        without this a history replayed without the echoed `state` would differ from one
        continued with it. Only what was visible then is seen: the sessions before `day`;
        that day's reasons and transient flags belonged to that day's answer and are dropped.
        Beginners take no group-level decisions (R3), so there is nothing to repeat."""
        if self.beginner:
            return
        today, routine = self.today, self.routine
        reasons, warnings = len(self.plan_reasons), len(self.plan_warnings)
        self.today, self.horizon = day, day
        self.routine = self._planned_routine(day)
        self.decide_groups()
        for st in self.ex.values():
            st.clear_flags()
        del self.plan_reasons[reasons:]
        del self.plan_warnings[warnings:]
        self.today, self.routine, self.horizon = today, routine, None

    def decide_groups(self) -> set[str]:
        """Today's group-level overrides; returns the groups above MRV."""
        above_mrv: set[str] = set()
        # At a replayed planned day only decisions matter, so the weekly volume is computed
        # only where one could follow from it; today's answer reports it for every group.
        planning = self.horizon is not None
        if self.beginner:
            self._balance(above_mrv)
            return above_mrv
        # Only exercises already trained take part (at a replayed planned day, later ones
        # have not been seen yet).
        by_group: dict[str, list[_Ex]] = {}
        for st in self.ex.values():
            if st.slug in self.last:
                by_group.setdefault(st.group, []).append(st)
        for group in sorted(by_group):
            if self.deload_phase(group) is not None:
                continue
            flags = self.flags(group, self.today)
            members = by_group[group]
            if flags:
                found = next(
                    ((st, r) for st in members if (r := self.regression(st)) is not None), None
                )
                if found is not None:
                    self._open_deload(
                        group,
                        self.today,
                        DeloadCause.REGRESSION_AND_RED_FLAGS,
                        found[1],
                        flags,
                        found[0].slug,
                    )
                    continue
            # Arbitrating one member can only make the others less due (it opens a
            # modification or a deload for the group), so the stalls are listed once and each
            # is checked again just before its turn.
            due = [st for st in members if self._arbitration_due(st, group)]
            if (not planning or due) and (
                self.weekly(self.today).group_sets(group) > self.cfg.volume.mrv
            ):
                above_mrv.add(group)
                continue
            for st in due:
                if self._arbitration_due(st, group):
                    st.clear_flags()
                    facts, e = self.catalog.get(st.slug), self.last[st.slug]
                    self._arbitrate(st, facts, e, self.today, flags, self.regression(st))
        self._balance(above_mrv)
        return above_mrv

    def _arbitration_due(self, st: _Ex, group: str) -> bool:
        """A stall the replay could not arbitrate yet (its group was busy) gets its turn."""
        e = self.last[st.slug]
        return (
            st.stall >= self.cfg.stall.stall_exposures
            and uses_arbiter(self.catalog.get(st.slug), e)
            and not st.rotated_at(e.date)
            and group not in self.active
            and self.deload_phase(group) is None
        )

    def _deficit_planned(self, day: date) -> bool:
        """Whether the week before the replayed planned `day` is out of balance (R7), without
        building that week's whole volume."""
        if self.plan_weekly is not None:
            return True  # the plan's volume is already built: `_balance` reads it
        if self.balance_totals is None:
            self.balance_totals = BalanceTotals(self.history.ordered, self.catalog)
        return self.balance_totals.deficit(window_slice(day, self.visible_dates(), self.cfg))

    def _balance_step_allowed(self, above_mrv: set[str]) -> bool:
        """Whether a forced balance step may be taken today: never for beginners (R3), above
        MRV, in a back deload, while another back modification is evaluated (R5), or within a
        week of the last step."""
        return not (
            self.beginner
            or BACK_GROUP in above_mrv
            or self.deload_phase(BACK_GROUP) is not None
            or BACK_GROUP in self.active
            or (self.balance_step_on is not None and (self.today - self.balance_step_on).days < 7)
        )

    def _balance(self, above_mrv: set[str]) -> None:
        """R7 balance: at least as many back sets and reps as front; an intermediate with a
        deficit gets one forced ADD_SETS for the back per week (push volume is never cut), never
        on a lift climbing back after a reset (none is taken while every open one is).

        With 3+ back exercises the set goes to the pull or back accessory with the fewest
        weekly sets (then fewest sets in a session, top-five rank, routine order), never past
        `max_sets_per_exercise_session`; with fewer, or when all are capped, a new pull is
        added with a starting load (`addition_prescription`), and when all are capped trimming
        one pressing set is suggested in the plan's warnings, never applied."""
        if self.horizon is not None and not (
            self._balance_step_allowed(above_mrv) and self._deficit_planned(self.today)
        ):
            return  # a replayed planned day: only the step itself matters
        weekly = self.weekly(self.today)
        ratio_sets, ratio_reps = weekly.ratio_sets(), weekly.ratio_reps()
        deficit = (ratio_sets is not None and ratio_sets < 1.0) or (
            ratio_reps is not None and ratio_reps < 1.0
        )
        if not deficit:
            return
        rs = "n/a" if ratio_sets is None else num(ratio_sets)
        rr = "n/a" if ratio_reps is None else num(ratio_reps)
        self.plan_reasons.append(
            Reason(
                ReasonCode.BALANCE_DEFICIT,
                f"Back work is behind front work this week: {num(weekly.back_side_sets)} back "
                f"vs {num(weekly.front_sets)} front sets (ratio {rs}), "
                f"{num(weekly.back_side_reps)} vs {num(weekly.front_reps)} reps (ratio {rr}); "
                f"add back volume step by step until both ratios reach 1.0 (trimming pressing "
                f"is optional, never automatic).",
                (text.ARTICLE,),
            )
        )
        if not self._balance_step_allowed(above_mrv):
            holder = self.active.get(BACK_GROUP)
            if holder is None:
                return
            self.plan_reasons.append(
                Reason(
                    ReasonCode.ONE_AT_A_TIME_DEFERRED,
                    f"The balance fix waits: {holder.kind.value} ({holder.variant.value}) on "
                    f"{holder.exercise} is still being evaluated "
                    f"({holder.exposures_evaluated} of {self.cfg.stall.evaluation_window}).",
                    (text.ARTICLE,),
                )
            )
            return
        back = [s for s in self.routine if self.catalog.get(s).side is Side.BACK]
        cap = self.cfg.modifications.max_sets_per_exercise_session
        # Sets go to pulls and back accessories, never to a hinge or back extension.
        open_ = [
            s
            for s in back
            if self.catalog.get(s).pattern not in (Pattern.HINGE, Pattern.BACK_EXTENSION)
            and self._session_sets_of(s) + 1 <= cap
        ]
        # A lift in its climb back after a reset (`_climb_base`) is not given the set: the
        # modification would take the session's one change, keeping it at the reset load and
        # reps (issue 8), and its own climb already brings its sets back.
        climbing = [
            s
            for s in open_
            if ((st := self.ex.get(s)) and self._climb_base(st)) or self._load_change_due(s)
        ]
        if len(back) >= 3 and open_ and len(climbing) == len(open_):
            return
        open_ = [s for s in open_ if s not in climbing]
        if len(back) >= 3 and open_:
            target = min(open_, key=self._balance_rank)
            self.active[BACK_GROUP] = ActiveModification(
                group=BACK_GROUP,
                exercise=target,
                kind=ModificationKind.ADD_SETS,
                variant=Variant.A,
                started_on=self.today,
                exposures_evaluated=0,
                prescription=self._one_more_set(target),
                trigger=ReasonCode.BALANCE_DEFICIT,
            )
        else:
            added = choose_added_pull(self.catalog, weekly, self.routine)
            if added is None:
                return
            self.active[BACK_GROUP] = ActiveModification(
                group=BACK_GROUP,
                exercise=added.slug,
                kind=ModificationKind.ADD_SETS,
                variant=Variant.B,
                started_on=self.today,
                exposures_evaluated=0,
                prescription=addition_prescription(added, self._related_source(added), self.ctx),
                added_exercise=added.slug,
                trigger=ReasonCode.BALANCE_DEFICIT,
            )
            if len(back) >= 3:
                self._suggest_press_trim(cap)
        self.balance_step_on = self.today

    def _load_change_due(self, slug: str) -> bool:
        """The lift's last session was logged well under its target RPE, so its own next step
        raises the load (RPE autoregulation): a balance set would take that one change and hold
        it at a load that is too light."""
        e = self.last.get(slug)
        if e is None or e.last_rpe is None:
            return False
        target = prescribed_rpe(e, self.ctx)
        return target is not None and target - e.last_rpe >= self.cfg.rpe.autoregulation_threshold

    def _session_sets_of(self, slug: str) -> int:
        """Sets of `slug` in one session: its last logged exposure, else the plan's entry."""
        e = self.last.get(slug)
        if e is not None:
            return e.set_count
        entry = self._plan_entry(slug)
        return entry.sets if entry is not None else 0

    def _balance_rank(self, slug: str) -> tuple[float, int, int, int]:
        """Which back exercise gets the balance fix's set: fewest weekly sets, then fewest sets
        in a session, then the article's top-five rank, then the routine's own order."""
        return (
            self._weekly_sets_of(slug),
            self._session_sets_of(slug),
            self.catalog.top_rank(slug) or 99,
            self.routine.index(slug),
        )

    def _related_source(self, added: ExerciseFacts) -> tuple[ExerciseFacts, Exposure] | None:
        """The routine's logged pull an added exercise's starting load is derived from."""
        logged = [(self.catalog.get(s), self.last[s]) for s in self.routine if s in self.last]
        return related_source(added, [(f, e) for f, e in logged if f.pattern in PULL_PATTERNS])

    def _suggest_press_trim(self, cap: int) -> None:
        """Every back exercise is at the session cap: suggest (never apply) trimming one set
        of the biggest press, since push volume is never cut automatically (spec 9)."""
        front = [
            s
            for s in self.routine
            if is_front(self.catalog.get(s), self.catalog.credits_for(s), self.cfg)
            and self._session_sets_of(s) > 1
        ]
        if not front:
            return
        press = max(front, key=lambda s: (self._weekly_sets_of(s), self._session_sets_of(s)))
        sets = self._session_sets_of(press)
        self.plan_warnings.append(
            Caution(
                ReasonCode.BALANCE_DEFICIT,
                f"Every back exercise is at {cap} sets a session, so a new pull is added; to "
                f"close the gap sooner you may also trim one set of {press} ({sets} → "
                f"{sets - 1}). Pressing is never cut automatically.",
            )
        )

    def _weekly_sets_of(self, slug: str) -> float:
        if self.plan is not None:
            return float(
                sum(e.sets * e.times_per_week for e in self.plan.entries if e.exercise == slug)
            )
        start, end = window_bounds(
            self.today, self.cfg.volume.window_days, self.visible_dates(), self.cfg
        )
        return float(
            sum(
                e.set_count for e in self.history.by_exercise.get(slug, ()) if start <= e.date < end
            )
        )

    def _plan_entry(self, slug: str) -> PlanEntry | None:
        if self.plan is None:
            return None
        return next((e for e in self.plan.entries if e.exercise == slug), None)

    def _one_more_set(self, slug: str) -> Prescription:
        e = self.last.get(slug)
        if e is not None:
            return targets_prescription(
                (*e.targets, e.targets[-1]), load=e.load, target_rpe=e.target_rpe
            )
        entry = self._plan_entry(slug)
        facts = self.catalog.get(slug)
        if entry is not None and entry.reps is not None:
            return Prescription(sets=entry.sets + 1, reps=entry.reps, load=entry.load)
        rep_range = (entry.rep_range if entry else None) or facts.rep_range or (8, 12)
        sets = (entry.sets if entry else 2) + 1
        return Prescription(sets=sets, rep_range=rep_range, load=entry.load if entry else None)

    # -----------------------------------------------------------------------------------------
    # rendering

    def render(self, above_mrv: set[str]) -> tuple[Recommendation, ...]:
        out: list[Recommendation] = []
        rendered: set[str] = set()
        for slug in self.history.by_exercise:
            out.append(self._render_exercise(slug, above_mrv))
            rendered.add(slug)
        for active in sorted(self.active.values(), key=lambda a: a.group):
            slug = active.exercise if active.added_exercise is None else active.added_exercise
            if slug not in rendered:
                out.append(self._render_unlogged(active, slug))
                rendered.add(slug)
        return tuple(out)

    def _render_unlogged(self, active: ActiveModification, slug: str) -> Recommendation:
        reasons: list[Reason] = []
        if active.trigger is ReasonCode.BALANCE_DEFICIT:
            reasons.append(self._balance_reason())
        reasons.append(describe_modification(active, self.ctx, just_opened=True))
        return Recommendation(
            exercise=slug,
            action=Action.MODIFICATION,
            modification=Modification(active.kind, active.variant),
            prescription=active.prescription,
            metrics=Metrics(state=ExerciseStatus.NEW),
            reasons=tuple(reasons),
        )

    def _balance_reason(self) -> Reason:
        found = next((r for r in self.plan_reasons if r.code is ReasonCode.BALANCE_DEFICIT), None)
        if found is not None:
            return found
        return Reason(
            ReasonCode.BALANCE_DEFICIT, "Back volume trails front volume.", (text.ARTICLE,)
        )

    def _stall_reason(self, st: _Ex, e: Exposure) -> Reason:
        window = self.cfg.stall.stall_exposures
        return Reason(
            ReasonCode.STALL_DETECTED,
            f"{st.stall} exposures in a row without beating the best performance "
            f"(last {text.reps_text(e.reps)} at {self.ctx.qty(e.load)}): a stall after "
            f"{window}, so one modification is tried.",
            (text.ARTICLE, text.LIFTOSAUR_DP),
        )

    def _progression(
        self, facts: ExerciseFacts, e: Exposure, st: _Ex, climb: Climb | None = None
    ) -> Decision:
        """The exercise's progression rule; `climb` (`_climb`) is the climb back after a reset,
        which the rule applies to its prescription before it states it."""
        if self.beginner and not is_ladder_style(facts):
            return self._routine_step(facts, e, st)
        if facts.ladder:
            return rung_ladder(e, facts, self.ctx, climb)
        if is_bodyweight_style(facts):
            if facts.pattern.value == "vertical_pull":
                changed = pull_up_scheme(
                    self.history.by_exercise[e.exercise], facts, self.ctx, climb
                )
                return changed or pull_up_ladder(e, facts, self.ctx, climb)
            return bodyweight_reps(e, facts, self.ctx, climb=climb)
        base = self._climb_base(st)
        climb_to = base.load if base is not None and base.load > 0 else None
        adjusted = rpe_autoregulation(e, facts, self.ctx, climb_to=climb_to, climb=climb)
        if adjusted is not None:
            return adjusted
        return double_progression(e, facts, self.ctx, climb=climb)

    def _climb(self, st: _Ex, facts: ExerciseFacts) -> Climb | None:
        """After a reset, what the next session climbs back to, before any rule runs: sets to
        the pre-deload count (`deload.ramp_sets_per_exposure` a session, within
        `deload.ramp_days`), reps to the pre-deload reps (`rules._reps_back`), gated by the
        strength estimate (`_climb_e1rm`) when the load comes back in the same step."""
        base = self._climb_base(st)
        until = st.ramp_until
        ramp_sets = st.ramp_sets if until is not None and self.today <= until else None
        if base is None and ramp_sets is None:
            return None
        bw = self.profile.bodyweight
        bodyweight_part = (
            (bw or 0.0) * facts.bodyweight_factor if is_bodyweight_style(facts) else 0.0
        )
        return Climb(
            base=base,
            ramp_sets=ramp_sets,
            e1rm=self._climb_e1rm(st, base) if base is not None else None,
            system_offset=bodyweight_part,
        )

    def _climb_e1rm(self, st: _Ex, base: DeloadSnapshot) -> float | None:
        """The strength the reps coming back after a reset may use: the larger of the last
        exposure's e1RM and the e1RM of the last exposure at the pre-deload level before the
        reset (a reset logged far under its target shows a fresher lifter, not a weaker one,
        and the chart gives no estimate below RPE 6.5)."""
        last = self.last.get(st.slug)
        found = [last.e1rm] if last is not None and last.e1rm is not None else []
        level = base.load - base.assistance
        reset_on = st.trend_from
        for x in reversed(self.history.by_exercise[st.slug]):
            if reset_on is not None and x.date >= reset_on:
                continue
            if x.e1rm is not None and abs(x.load - x.assistance - level) < 1e-6:
                found.append(x.e1rm)
                break
        return max(found) if found else None

    def _climb_base(self, st: _Ex) -> DeloadSnapshot | None:
        """Within `deload.ramp_days` of the reset, and until the lifter is back at it, the
        pre-deload snapshot the work may climb straight back to (issue 8)."""
        base, reset_on = st.deload_base, st.trend_from
        if base is None or reset_on is None:
            return None
        dl = self.deloads.get(st.group)
        if dl is not None and (reset_on <= dl.triggered_on or st.slug not in dl.reset_done):
            return None
        if self.today > reset_on + timedelta(days=self.cfg.deload.ramp_days):
            return None
        return base

    def _routine_step(self, facts: ExerciseFacts, e: Exposure, st: _Ex) -> Decision:
        """A beginner's routine engine (R3): GZCLP's tiers and stages, else linear progression
        with the routine's own success rule (BBR: total reps)."""
        if self.profile.routine_profile is RoutineProfile.GZCLP:
            return gzclp_progression(self.history.by_exercise[e.exercise], facts, self.ctx)
        return linear_progression(
            e,
            facts,
            self.ctx,
            failures=st.lp_failures,
            deload_now=st.deloaded_on(e.date),
            bridge_base=self._bridge_base(e),
            succeeded=lp_succeeded(e, self.ctx),
            outcome_note=lp_outcome_note(e, self.ctx),
            deload_base=self._lp_deload_base(e),
        )

    def _lp_deload_base(self, e: Exposure) -> float:
        """The heaviest load of the lift in the deload lookback window up to `e`: what a beginner's
        10 % deload comes off, so deloads in a row never compound."""
        start = e.date - timedelta(days=self.cfg.deload.base_lookback_days)
        return max(x.load for x in self.history.by_exercise[e.exercise] if start < x.date <= e.date)

    def _bridge_base(self, e: Exposure) -> int:
        """The reps the lifter started at on the current load: where a rep bridge returns."""
        base = min(e.targets)
        for earlier in reversed(self.history.by_exercise[e.exercise]):
            if abs(earlier.load - e.load) > 1e-6:
                break
            base = min(base, *earlier.targets)
        return base

    def _deload_reasons(self, dl: GroupDeload, slug: str) -> tuple[Reason, ...]:
        """The deload's reasons for one member of the group: the exercise whose trend or stall
        triggered it is named, and the others say they deload with it (issue 8)."""
        trigger = dl.trigger_exercise
        along = (
            f" The {dl.group} group deloads together, so {slug} deloads with it."
            if trigger is not None and trigger != slug
            else ""
        )
        whose = f"on {trigger}" if trigger is not None else f"in the {dl.group} group"
        regression = Reason(
            ReasonCode.DELOAD_REGRESSION,
            f"Performance {whose} is going backwards: {dl.detail}.{along}",
            (text.RTS, text.RP_LANDMARKS),
        )
        recovery = Reason(
            ReasonCode.DELOAD_RECOVERY,
            f"Recovery feedback calls for a deload: {dl.detail}.{along}",
            (text.RP_SET_PROGRESSION,),
        )
        if dl.cause is DeloadCause.REGRESSION_AND_RED_FLAGS:
            return (regression, recovery)
        if dl.cause is DeloadCause.RED_FLAGS:
            return (recovery,)
        if dl.cause is DeloadCause.REGRESSION:
            return (regression,)
        return (
            Reason(
                ReasonCode.STALL_DETECTED,
                f"The stall {whose} did not break: {dl.detail}; deload, then reset.{along}",
                (text.ARTICLE, text.RP_LANDMARKS),
            ),
        )

    def _render_exercise(self, slug: str, above_mrv: set[str]) -> Recommendation:
        e = self.last[slug]
        st = self.ex[slug]
        facts = self.catalog.get(slug)
        group = st.group
        warnings: list[Caution] = []
        high = high_effort_warning(e, self.ctx)
        if high is not None:
            warnings.append(high)
        decision = self._decide(slug, e, st, facts, group, above_mrv)
        flags = self.flags(group, self.today)
        if flags and decision.action is not Action.DELOAD:
            warnings.append(
                Caution(
                    ReasonCode.DELOAD_RECOVERY,
                    f"Recovery red flags for {group}: {', '.join(flags)}; no volume is added "
                    f"and a deload follows if performance also drops.",
                )
            )
        if e.form_broken and all(r.code is not ReasonCode.FORM_BREAKDOWN for r in decision.reasons):
            warnings.append(
                Caution(
                    ReasonCode.FORM_BREAKDOWN,
                    "A set was logged with broken form; it does not count as a success.",
                )
            )
        metrics = self._metrics(st, e, decision)
        return Recommendation(
            exercise=slug,
            action=decision.action,
            modification=decision.modification,
            prescription=decision.prescription,
            metrics=metrics,
            reasons=decision.reasons,
            warnings=(*decision.warnings, *warnings),
            replacement=decision.replacement,
        )

    def _decide(  # noqa: PLR0911, PLR0912 - one exit per override, in spec priority order
        self, slug: str, e: Exposure, st: _Ex, facts: ExerciseFacts, group: str, above_mrv: set[str]
    ) -> Decision:
        if self.beginner:
            decision = self._progression(facts, e, st)
            if decision.action is Action.DELOAD:
                window = timedelta(days=self.cfg.level.deload_window_days)
                recent = [d for d in st.lp_deloads if d > self.today - window]
                if len(recent) >= self.cfg.level.deloads_same_lift:
                    decision = replace(
                        decision,
                        reasons=(
                            *decision.reasons,
                            Reason(
                                ReasonCode.LP_EXHAUSTED,
                                f"This is deload {len(recent)} on {slug} within "
                                f"{self.cfg.level.deload_window_days // 7} weeks: linear "
                                f"progression on it is running out.",
                                (text.LIFTOSAUR_LP, self.ctx.routine_source()),
                            ),
                        ),
                    )
            return decision
        phase = self.deload_phase(group)
        dl = self.deloads.get(group)
        if dl is not None and phase is not None:
            snap = next((s for s in dl.snapshots if s.exercise == slug), None)
            if snap is not None and phase == "deload":
                return deload_week(snap, facts, self.ctx, self._deload_reasons(dl, slug))
            if snap is not None and slug not in dl.reset_done:
                return reset_after_deload(snap, facts, self.ctx, dl.weekly_sets_before)
        if group in above_mrv and not is_front(facts, self.catalog.credits_for(slug), self.cfg):
            # Push volume is never cut automatically (spec 9), whatever group is above MRV.
            return self._mrv_cut(e, group)
        active = self.active.get(group)
        if active is not None and slug in (active.exercise, active.added_exercise):
            shown = active.added_exercise or active.exercise
            opened = st.stall_opened or active.exposures_evaluated == 0
            reasons: list[Reason] = []
            if active.trigger is ReasonCode.BALANCE_DEFICIT:
                reasons.append(self._balance_reason())
            elif opened and active.exercise == slug:
                reasons.append(self._stall_reason(st, e))
            reasons.append(describe_modification(active, self.ctx, just_opened=opened))
            if slug == shown:
                return Decision(
                    Action.MODIFICATION,
                    active.prescription,
                    tuple(reasons),
                    modification=Modification(active.kind, active.variant),
                    status=ExerciseStatus.MODIFYING,
                )
            base = self._progression(facts, e, st)
            return replace(base, reasons=(*reasons, *base.reasons), status=ExerciseStatus.STALLED)
        if st.rotated_at(e.date):
            return self._rotate(e, st, facts)
        decision = self._progression(facts, e, st, self._climb(st, facts))
        if st.stall >= self.cfg.stall.stall_exposures and active is not None:
            deferred = Reason(
                ReasonCode.ONE_AT_A_TIME_DEFERRED,
                f"{slug} has stalled for {st.stall} exposures, but {active.exercise} is "
                f"evaluating {active.kind.value} ({active.variant.value}), "
                f"{active.exposures_evaluated} of {self.cfg.stall.evaluation_window} exposures "
                f"done: one modification at a time, so {slug} keeps its routine step.",
                (text.ARTICLE,),
            )
            decision = replace(decision, reasons=(*decision.reasons, deferred))
        return decision

    def _mrv_cut(self, e: Exposure, group: str) -> Decision:
        """Above MRV recovery fails: cut the group's sets by 20 % (RP volume landmarks)."""
        sets = e.set_count
        cut = self.cfg.volume.mrv_set_cut
        new_sets = max(1, min(sets - 1, math.floor(sets * (1 - cut) + 0.5))) if sets > 1 else 1
        weekly = self.weekly(self.today).group_sets(group)
        targets = e.targets[:new_sets]
        return Decision(
            Action.REPEAT,
            targets_prescription(
                targets, load=e.load, assistance=e.assistance, target_rpe=e.target_rpe
            ),
            (
                Reason(
                    ReasonCode.VOLUME_ABOVE_MRV,
                    f"{group} gets {num(weekly)} weekly sets, above MRV "
                    f"{num(self.cfg.volume.mrv)}: cut sets by {num(cut * 100)} %, {sets} → "
                    f"{new_sets}, same load and reps.",
                    (text.RP_LANDMARKS,),
                ),
            ),
        )

    def _rotate(self, e: Exposure, st: _Ex, facts: ExerciseFacts) -> Decision:
        """ROTATE_VARIATION names the new exercise and its starting prescription in the
        recommendation itself (`replacement`), loaded from the replaced exercise's e1RM."""
        target = self.catalog.get(st.rotate_to or facts.slug)
        e1rm = exposure_e1rm(e)
        scale = scale_for(facts, target, self.cfg)
        p = starting_prescription(
            target, e.set_count, self.ctx, e1rm=e1rm, source=facts, scale=scale
        )
        share = load_scale(target, facts, scale, self.cfg)
        basis = (
            f"{num(share * 100)} % of its e1RM {self.ctx.qty(e1rm)}"
            + (", per hand" if share != scale else "")
            if e1rm is not None and target.loading in EXTERNAL
            else f"the usual start for a new {target.loading.value} exercise"
        )
        return Decision(
            Action.ROTATE_VARIATION,
            p,
            (
                Reason(
                    ReasonCode.STALL_DETECTED,
                    f"{e.exercise} stalled and {self._tried_text(st.rotate_tried)}: rotate to "
                    f"{target.slug} (same pattern, {target.loading.value} loading), "
                    f"{self.ctx.prescription(p)}, starting from {basis}.",
                    (text.ARTICLE,),
                ),
            ),
            status=ExerciseStatus.STALLED,
            replacement=Replacement(exercise=target.slug, prescription=p, replaces=e.exercise),
        )

    def _metrics(self, st: _Ex, e: Exposure, decision: Decision) -> Metrics:
        stall_cfg = self.cfg.stall
        trend = None
        if len(st.points) >= stall_cfg.trend_min_exposures:
            trend = st.trend(stall_cfg.trend_max_exposures)
        e1rm = e.e1rm if e.e1rm is not None else e.e1rm_lower
        if decision.status is not None:
            status = decision.status
        elif decision.modification is not None:
            status = ExerciseStatus.MODIFYING
        elif st.stall >= stall_cfg.stall_exposures:
            status = ExerciseStatus.STALLED
        elif trend is not None and trend <= stall_cfg.regressing_pct_per_week:
            status = ExerciseStatus.REGRESSING
        elif st.stall > 0:
            status = ExerciseStatus.PLATEAU
        else:
            status = ExerciseStatus.PROGRESSING
        return Metrics(
            e1rm=round(e1rm, 1) if e1rm is not None else None,
            e1rm_is_lower_bound=e.e1rm is None and e.e1rm_lower is not None,
            e1rm_trend_pct_per_week=round(trend, 2) if trend is not None else None,
            stall_count=st.stall,
            state=status,
        )

    # -----------------------------------------------------------------------------------------
    # plan report

    def report(self) -> PlanReport:
        cfg = self.cfg
        weekly = self.weekly(self.today)
        experience = self.profile.experience
        landmarks = tuple(
            landmark_check(g, weekly.group_sets(g), experience, cfg)
            for g in cfg.volume.landmark_groups
        )
        reasons: list[Reason] = []
        for check in landmarks:
            if check.status.value == "below_mev":
                reasons.append(
                    Reason(
                        ReasonCode.VOLUME_BELOW_MEV,
                        f"{check.group} gets {num(check.sets)} hard sets a week, below the "
                        f"{num(check.mev)} minimum effective volume.",
                        (text.RP_LANDMARKS,),
                    )
                )
            elif check.status.value == "above_mrv":
                reasons.append(
                    Reason(
                        ReasonCode.VOLUME_ABOVE_MRV,
                        f"{check.group} gets {num(check.sets)} hard sets a week, above the "
                        f"{num(check.mrv)} maximum recoverable volume.",
                        (text.RP_LANDMARKS,),
                    )
                )
        reasons.extend(self.plan_reasons)
        lp_deloads = {s: st.lp_deloads for s, st in self.ex.items() if st.lp_deloads}
        suggestion = level_suggestion(
            experience, lp_deloads, self.history, self.catalog, self.today, cfg
        )
        if suggestion is not None:
            reasons.append(suggestion.reason)
        ratio_sets, ratio_reps = weekly.ratio_sets(), weekly.ratio_reps()
        new = tuple(s for s in self.routine if s not in self.history.by_exercise)
        last_date = self.history.ordered[-1].date if self.history.ordered else self.as_of
        state = EngineState(
            as_of=last_date,
            exercises=tuple(st.frozen() for st in self.ex.values()),
            active_modifications=tuple(sorted(self.active.values(), key=lambda a: a.group)),
            deloads=tuple(sorted(self.deloads.values(), key=lambda d: d.group)),
            balance_step_on=self.balance_step_on,
        )
        return PlanReport(
            back_front_ratio_sets=round(ratio_sets, 3) if ratio_sets is not None else None,
            back_front_ratio_reps=round(ratio_reps, 3) if ratio_reps is not None else None,
            weekly_sets=tuple(
                GroupVolume(g, round(weekly.sets[g], 2), round(weekly.reps.get(g, 0.0), 2))
                for g in sorted(weekly.sets)
            ),
            landmarks=landmarks,
            selection_checks=selection_checks(
                experience, self.routine, self.plan, self.history, self.catalog, self.today, cfg
            ),
            level_suggestion=suggestion,
            reasons=tuple(reasons),
            warnings=tuple(self.plan_warnings),
            new_exercises=new,
            state=state,
        )


def recommend(request: RecommendationRequest) -> RecommendationResult:
    """What to do next session for every exercise in the history (and any the arbiter adds),
    with reasons, plus the weekly plan report. Pure and deterministic."""
    engine = _Engine(request)
    engine.replay()
    above_mrv = engine.decide_groups()
    recommendations = engine.render(above_mrv)
    return RecommendationResult(recommendations, engine.report())
