"""Exercise-selection checks (R1, R2, R4) and experience-level suggestions (spec 4).

R2 departs from spec v1 on purpose. The spec read "frequently" as each back compound >= 2x/week,
which StrongLifts and Starting Strength fail on every answer although they are exactly the
established routines the article recommends: their A/B alternation trains a lift 3 times in 14
days. "Frequently" is therefore >= 3 exposures in 14 days (`SelectionConfig.beginner_min_exposures`
and `beginner_frequency_window_days`), or, with a plan, the plan's own schedule trains the lift
that often (times per week x 2 weeks).
"""

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from app.recommender import text
from app.recommender.config import RecommenderConfig
from app.recommender.enums import Experience, Loading, Pattern, ReasonCode, Side
from app.recommender.history import Exposure, History
from app.recommender.models import LevelSuggestion, Plan, Reason, SelectionCheck
from app.recommender.volume import Catalog, window_bounds

BACK_COMPOUND_PATTERNS = (
    Pattern.VERTICAL_PULL,
    Pattern.HORIZONTAL_PULL,
    Pattern.HINGE,
    Pattern.BACK_EXTENSION,
)


def routine_exercises(
    plan: Plan | None,
    history: History,
    dates: Sequence[date],
    today: date,
    cfg: RecommenderConfig,
    *,
    planned: bool = False,
) -> tuple[str, ...]:
    """The current routine: the plan when given, else what was trained in the last 2 weeks.

    `dates` are the exposures' dates (sorted). With `planned`, sessions logged on `today`
    itself are left out: that is the routine as it stood when the session of `today` was
    planned, which the replay needs to repeat that day's decisions.
    """
    if plan is not None:
        return tuple(dict.fromkeys(e.exercise for e in plan.entries))
    start = today - timedelta(days=cfg.selection.routine_window_days)
    lo = bisect_right(dates, start)
    hi = bisect_left(dates, today) if planned else bisect_right(dates, today)
    return tuple(dict.fromkeys(e.exercise for e in history.ordered[lo:hi]))


def _exposures_in_window(
    lift: str,
    plan: Plan | None,
    history: History,
    catalog: Catalog,
    today: date,
    cfg: RecommenderConfig,
) -> float:
    """Sessions training `lift` (or a variant) in the frequency window: from the plan's own
    schedule when there is a plan, else from the history's window before the planned day."""
    days = cfg.selection.beginner_frequency_window_days
    if plan is not None:
        weekly = sum(e.times_per_week for e in plan.entries if catalog.parent(e.exercise) == lift)
        return float(weekly * days / 7)
    dates = [e.date for e in history.ordered]
    start, end = window_bounds(today, days, dates, cfg)
    sessions = {
        e.date
        for e in history.ordered
        if start <= e.date < end and catalog.parent(e.exercise) == lift
    }
    return float(len(sessions))


def beginner_selection(
    routine: Sequence[str], catalog: Catalog, cfg: RecommenderConfig
) -> SelectionCheck:
    """R1: beginners pick 2-3 big compound back movements from the article's top five."""
    sel = cfg.selection
    picks = sorted(
        {catalog.parent(s) for s in routine if catalog.top_rank(s) is not None},
        key=lambda s: catalog.top_rank(s) or 99,
    )
    passed = sel.beginner_min_back_compounds <= len(picks) <= sel.beginner_max_back_compounds
    named = ", ".join(picks) if picks else "none"
    return SelectionCheck(
        ReasonCode.BEGINNER_SELECTION,
        passed,
        f"{len(picks)} top-five back compounds in the routine ({named}); beginners do best with "
        f"{sel.beginner_min_back_compounds}-{sel.beginner_max_back_compounds} of deadlift, "
        f"pull-up, barbell bent-over row, inverted row and hyperextension.",
        (text.ARTICLE,),
    )


def beginner_frequency(
    routine: Sequence[str],
    plan: Plan | None,
    history: History,
    catalog: Catalog,
    today: date,
    cfg: RecommenderConfig,
) -> SelectionCheck:
    """R2: beginners train each back compound frequently: at least 3 sessions in 14 days (an
    A/B routine's alternation), a change from the spec's 2x/week (see the module docstring)."""
    sel = cfg.selection
    minimum, days = sel.beginner_min_exposures, sel.beginner_frequency_window_days
    lifts = sorted({catalog.parent(s) for s in routine if catalog.top_rank(s) is not None})
    rare = [
        (lift, _exposures_in_window(lift, plan, history, catalog, today, cfg)) for lift in lifts
    ]
    low = [(lift, n) for lift, n in rare if n < minimum]
    if low:
        listed = ", ".join(
            f"{lift} {text.num(n * 7 / days)}x/week, {text.num(n)} "
            f"{'session' if n == 1 else 'sessions'} in {days} days"
            for lift, n in low
        )
        message = (
            f"Train each back compound frequently, in at least {minimum} sessions every "
            f"{days} days; now {listed}."
        )
    else:
        message = (
            f"Every back compound is trained in at least {minimum} sessions every {days} days."
        )
    return SelectionCheck(ReasonCode.BEGINNER_FREQUENCY, not low, message, (text.ARTICLE,))


def keep_deadlift_and_pull_up(
    routine: Sequence[str], history: History, catalog: Catalog, cfg: RecommenderConfig
) -> SelectionCheck:
    """R4: intermediates may broaden selection but should keep deadlifts and pull-ups."""
    anchors = cfg.modifications.anchors
    present = {catalog.parent(s) for s in routine}
    ever = {catalog.parent(s) for s in history.by_exercise}
    missing = [a for a in anchors if a not in present]
    if not missing:
        message = f"The routine keeps {' and '.join(anchors)}, the two most potent back lifts."
    else:
        parts = [f"{a} ({'dropped' if a in ever else 'missing'})" for a in missing]
        message = (
            f"Keep deadlifts and pull-ups when broadening the routine: {', '.join(parts)}; "
            f"they complement each other."
        )
    return SelectionCheck(ReasonCode.KEEP_DL_PU, not missing, message, (text.ARTICLE,))


def back_day(
    plan: Plan | None, history: History, catalog: Catalog, today: date, cfg: RecommenderConfig
) -> SelectionCheck | None:
    """R4: a dedicated back day is a fine way to add back work for intermediates."""
    minimum = cfg.selection.back_day_min_exercises

    def is_back_day(slugs: Sequence[str]) -> bool:
        sides = [catalog.get(s).side for s in slugs]
        return sides.count(Side.BACK) >= minimum and Side.FRONT not in sides

    if plan is not None:
        days: dict[int, list[str]] = {}
        for entry in plan.entries:
            if entry.day is not None:
                days.setdefault(entry.day, []).append(entry.exercise)
        found = next((d for d, slugs in sorted(days.items()) if is_back_day(slugs)), None)
        if found is None:
            return None
        where = f"day {found} of the plan"
    else:
        start = today - timedelta(days=cfg.selection.routine_window_days)
        session = next(
            (
                (d, rows)
                for d, rows in reversed(history.sessions)
                if start < d <= today and is_back_day([e.exercise for e in rows])
            ),
            None,
        )
        if session is None:
            return None
        where = f"the session of {session[0].isoformat()}"
    return SelectionCheck(
        ReasonCode.BACK_DAY_OK,
        True,
        f"{where.capitalize()} is a dedicated back day (at least {minimum} back exercises, no "
        f"pressing): that split is fine.",
        (text.ARTICLE,),
    )


def selection_checks(
    experience: Experience,
    routine: Sequence[str],
    plan: Plan | None,
    history: History,
    catalog: Catalog,
    today: date,
    cfg: RecommenderConfig,
) -> tuple[SelectionCheck, ...]:
    if not routine:
        return ()
    if experience is Experience.BEGINNER:
        return (
            beginner_selection(routine, catalog, cfg),
            beginner_frequency(routine, plan, history, catalog, today, cfg),
        )
    checks = [keep_deadlift_and_pull_up(routine, history, catalog, cfg)]
    day = back_day(plan, history, catalog, today, cfg)
    if day is not None:
        checks.append(day)
    return tuple(checks)


def _consecutive_increases(exposures: Sequence[Exposure]) -> int:
    count = 0
    for later, earlier in zip(reversed(exposures), list(reversed(exposures))[1:], strict=False):
        if later.targets_met and later.level > earlier.level:
            count += 1
        else:
            break
    return count


def level_suggestion(
    experience: Experience,
    lp_deloads: Mapping[str, Sequence[date]],
    history: History,
    catalog: Catalog,
    today: date,
    cfg: RecommenderConfig,
) -> LevelSuggestion | None:
    """Declared level is authoritative; suggest a change when the logs disagree (spec 4).

    Linear progression is exhausted after 2 deloads on one lift within 8 weeks or 3 on main
    lifts; an intermediate still adding load every session on 2 back compounds is a beginner.
    """
    lvl = cfg.level
    if experience is Experience.BEGINNER:
        since = today - timedelta(days=lvl.deload_window_days)
        for slug, dates in sorted(lp_deloads.items()):
            recent = len(dates) - bisect_left(sorted(dates), since)
            if recent >= lvl.deloads_same_lift:
                return _suggest(
                    experience,
                    Experience.INTERMEDIATE,
                    f"{slug} needed {recent} deloads within {lvl.deload_window_days // 7} weeks: "
                    f"linear progression is exhausted, so intermediate double progression fits.",
                )
        main = {
            slug: dates
            for slug, dates in lp_deloads.items()
            if catalog.get(slug).loading is Loading.BARBELL
            and catalog.get(slug).pattern is not Pattern.ISOLATION
        }
        total = sum(len(d) for d in main.values())
        if total >= lvl.deloads_total_main_lifts:
            return _suggest(
                experience,
                Experience.INTERMEDIATE,
                f"{total} deloads in total on main lifts: linear progression is exhausted.",
            )
        return None
    if experience is Experience.INTERMEDIATE:
        lifts = [
            slug
            for slug, exposures in sorted(history.by_exercise.items())
            if catalog.get(slug).side is Side.BACK
            and catalog.get(slug).pattern in BACK_COMPOUND_PATTERNS
            and _consecutive_increases(exposures) >= lvl.level_down_increases
        ]
        if len(lifts) >= lvl.level_down_lifts:
            return _suggest(
                experience,
                Experience.BEGINNER,
                f"Load still went up successfully for at least {lvl.level_down_increases} "
                f"sessions in a row on {', '.join(lifts)}: a beginner routine's linear "
                f"progression would still work.",
            )
    return None


def _suggest(current: Experience, suggested: Experience, message: str) -> LevelSuggestion:
    return LevelSuggestion(
        current,
        suggested,
        Reason(
            ReasonCode.LEVEL_SUGGESTION,
            f"Consider {suggested.value} programming: {message}",
            (text.ARTICLE, text.LIFTOSAUR_LP),
        ),
    )
