"""Turning logged sessions into per-exercise exposures, in one pass over the history."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from app.recommender.config import RecommenderConfig
from app.recommender.enums import Loading, Pattern, Side
from app.recommender.models import ExerciseFacts, Session, SetLog
from app.recommender.rpe import RtsChart


def fallback_facts(slug: str) -> ExerciseFacts:
    """Facts for an exercise the catalog does not know: a neutral, stack-loaded movement."""
    return ExerciseFacts(
        slug=slug,
        pattern=Pattern.ISOLATION,
        side=Side.OTHER,
        primary_muscles=(),
        loading=Loading.MACHINE,
    )


def is_bodyweight_style(facts: ExerciseFacts) -> bool:
    return facts.loading in (Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT, Loading.ASSISTED)


def default_rep_range(facts: ExerciseFacts, cfg: RecommenderConfig) -> tuple[int, int]:
    """Double-progression range: the catalog's, else the spec's default for the lift type."""
    if facts.rep_range is not None:
        return facts.rep_range
    ranges = cfg.rep_ranges
    if facts.slug in cfg.linear.deadlift_slugs:
        return ranges.deadlift
    if facts.pattern is Pattern.VERTICAL_PULL and is_bodyweight_style(facts):
        return ranges.weighted_pull_up
    if facts.pattern is Pattern.ISOLATION:
        return ranges.isolation
    if facts.side is Side.BACK:
        return ranges.back_compound
    return ranges.other


class Exposure(NamedTuple):
    """One session's work sets of one exercise, with everything the rules read from them.

    Immutable like the package's frozen dataclasses, but a named tuple: a history builds
    hundreds per request, and a frozen dataclass pays one `object.__setattr__` per field.
    """

    exercise: str
    date: date
    session_index: int
    sets: tuple[SetLog, ...]
    load: float
    assistance: float
    rung: int
    reps: tuple[int, ...]
    targets: tuple[int, ...]
    targets_met: bool
    form_broken: bool
    total_reps: int
    system_load: float | None
    e1rm: float | None
    e1rm_lower: float | None
    last_rpe: float | None
    target_rpe: float | None
    rep_range: tuple[int, int]
    high_effort_early: bool
    # Hard sets (RPE >= 6 when logged; volume counts only these) and their reps, counted once
    # here because every weekly window of the replay reads them.
    hard_sets: int
    hard_reps: int

    @property
    def set_count(self) -> int:
        return len(self.sets)

    @property
    def level(self) -> tuple[int, float]:
        """Comparable difficulty: ladder rung first, then load (less assistance is heavier)."""
        return (self.rung, self.load - self.assistance)

    @property
    def top_target(self) -> int:
        return max(self.targets) if self.targets else 0


def _system_load(
    facts: ExerciseFacts, load: float, assistance: float, bodyweight: float | None
) -> float | None:
    """Load the muscles move: bodyweight share plus belt load, minus machine assistance."""
    if facts.ladder:
        return None
    if assistance > 0 or facts.loading is Loading.ASSISTED:
        if bodyweight is None:
            return None
        return bodyweight * facts.bodyweight_factor - assistance
    if facts.loading in (Loading.BODYWEIGHT, Loading.WEIGHTED_BODYWEIGHT):
        if bodyweight is None:
            return None
        return bodyweight * facts.bodyweight_factor + load
    return load


def build_exposure(  # noqa: PLR0912, PLR0915 - one hand-written pass per set, see below
    exercise: str,
    day: date,
    session_index: int,
    work: list[SetLog],
    facts: ExerciseFacts,
    bodyweight: float | None,
    cfg: RecommenderConfig,
    chart: RtsChart | None = None,
) -> Exposure:
    """Summarise one exercise's work sets of one session.

    This is the innermost loop of a request (every set of the history passes here), so it is
    two hand-written passes: the first finds what every set is compared with (the exposure's
    load, assistance, rung and rep range), the second reads each set once for its target, its
    reps at that load, its effort and its e1RM. Comparisons replace max() and the RPE helpers
    are inlined (same results; `effective_rpe` is the reference), hence the noqa marks.
    `chart` shares RTS lookups across a history.
    """
    range_: tuple[int, int] | None = None
    heaviest = work[0].load
    least_assistance: float | None = None
    rung = work[0].ladder_step or 0
    form_broken = False
    for s in work:
        if range_ is None and s.target_range is not None:
            range_ = s.target_range
        if s.load > heaviest:  # noqa: PLR1730
            heaviest = s.load
        if s.assistance > 0 and (least_assistance is None or s.assistance < least_assistance):
            least_assistance = s.assistance
        step = s.ladder_step or 0
        if step > rung:  # noqa: PLR1730
            rung = step
        form_broken = form_broken or not s.form_ok
    if range_ is None:
        range_ = default_rep_range(facts, cfg)
    load = float(heaviest)
    assistance = float(least_assistance) if least_assistance is not None else 0.0
    system = _system_load(facts, load, assistance, bodyweight)
    chart = chart or RtsChart(cfg.rpe)
    high_effort_rpe = 10 - cfg.rpe.high_effort_max_rir
    hard_min = cfg.volume.hard_set_min_rpe
    reps: list[int] = []
    targets: list[int] = []
    targets_met = not form_broken
    total = hard_sets = hard_reps = 0
    e1rm: float | None = None
    lower: float | None = None
    last_index = len(work) - 1
    high_effort_early = False
    last_rpe: float | None = None
    for i, s in enumerate(work):
        if s.target_reps is not None:
            target = s.target_reps
        elif s.target_range is not None:
            target = s.target_range[0]
        else:
            target = range_[0]
        reps.append(s.reps)
        targets.append(target)
        targets_met = targets_met and s.reps >= target
        at_load = s.load == load and s.assistance == assistance
        if s.form_ok and at_load:
            total += s.reps
        # The logged effort (RIR converts as 10 - RIR, failure is 10), and the effort the
        # e1RM reads, where an AMRAP set also counts as taken to failure.
        logged = s.rpe if s.rpe is not None else (10.0 - s.rir if s.rir is not None else None)
        if s.to_failure:
            logged = 10.0
        rpe = 10.0 if s.is_amrap else logged
        # Only hard sets count toward volume: RPE >= 6 when effort was logged (RP counting).
        if logged is None or logged >= hard_min:
            hard_sets += 1
            hard_reps += s.reps
        if i == last_index:
            last_rpe = logged
        elif rpe is not None and rpe >= high_effort_rpe:
            high_effort_early = True
        if system is None or not s.form_ok or s.reps <= 0:
            continue
        # A set at the exposure's load and assistance moves the exposure's system load.
        set_system = (
            system if at_load else _system_load(facts, s.load, s.assistance, bodyweight) or 0.0
        )
        if rpe is not None:
            estimate = chart.e1rm(set_system, s.reps, rpe)
            if estimate is not None and (e1rm is None or estimate > e1rm):
                e1rm = estimate
        else:
            bound = chart.e1rm(set_system, s.reps, 10.0)
            if bound is not None and (lower is None or bound > lower):
                lower = bound
    return Exposure(
        exercise=exercise,
        date=day,
        session_index=session_index,
        sets=tuple(work),
        load=load,
        assistance=assistance,
        rung=rung,
        reps=tuple(reps),
        targets=tuple(targets),
        targets_met=targets_met,
        form_broken=form_broken,
        total_reps=total,
        system_load=system,
        e1rm=e1rm,
        e1rm_lower=lower,
        last_rpe=last_rpe,
        target_rpe=work[-1].target_rpe,
        rep_range=range_,
        high_effort_early=high_effort_early,
        hard_sets=hard_sets,
        hard_reps=hard_reps,
    )


@dataclass(frozen=True, slots=True)
class History:
    """Exposures in chronological order, overall and per exercise; `all_sets` keeps warm-ups."""

    ordered: tuple[Exposure, ...]
    by_exercise: Mapping[str, tuple[Exposure, ...]]
    sessions: tuple[tuple[date, tuple[Exposure, ...]], ...]
    all_sets: tuple[SetLog, ...]


def build_history(
    sessions: tuple[Session, ...],
    facts_for: Mapping[str, ExerciseFacts],
    bodyweight: float | None,
    cfg: RecommenderConfig,
) -> History:
    """Group work sets by (session, exercise) once; warm-ups never make an exposure."""
    order = sorted(range(len(sessions)), key=lambda i: sessions[i].date)
    ordered: list[Exposure] = []
    by_exercise: dict[str, list[Exposure]] = {}
    session_rows: list[tuple[date, tuple[Exposure, ...]]] = []
    all_sets: list[SetLog] = []
    chart = RtsChart(cfg.rpe)
    for position, index in enumerate(order):
        session = sessions[index]
        all_sets.extend(session.sets)
        grouped: dict[str, list[SetLog]] = {}
        for s in session.sets:
            if s.is_warmup:
                continue
            grouped.setdefault(s.exercise, []).append(s)
        in_session: list[Exposure] = []
        for slug, work in grouped.items():
            facts = facts_for.get(slug) or fallback_facts(slug)
            exposure = build_exposure(
                slug, session.date, position, work, facts, bodyweight, cfg, chart
            )
            in_session.append(exposure)
            ordered.append(exposure)
            by_exercise.setdefault(slug, []).append(exposure)
        session_rows.append((session.date, tuple(in_session)))
    return History(
        ordered=tuple(ordered),
        by_exercise={k: tuple(v) for k, v in by_exercise.items()},
        sessions=tuple(session_rows),
        all_sets=tuple(all_sets),
    )
