"""Weekly volume, back/front balance, landmarks and recovery feedback (spec 6 and 9).

The week is the 7 days before the planned day (`window_bounds`): `today` is the day of the
next session, so last week's same-weekday session counts (spec v1 counted (today - 7, today],
which showed a lifter training back every Thursday 0 back sets each Thursday). Muscles map to
groups by the knowledge base's slugs (`VolumeConfig.muscle_groups`: lats, the trapezius and its
parts, rhomboids, teres major and minor, infraspinatus, rear delts, levator scapulae -> back).
"""

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.recommender.config import BACK_GROUP, RecommenderConfig
from app.recommender.enums import Experience, LandmarkStatus, Pattern, Side
from app.recommender.history import Exposure, default_rep_range, fallback_facts
from app.recommender.models import ExerciseFacts, Feedback, LandmarkCheck, Plan


def group_credits(facts: ExerciseFacts, cfg: RecommenderConfig) -> dict[str, float]:
    """Fractional set credit per muscle group: primary 1.0, secondary 0.5 (RP set counting).

    A group is credited once per set, at its best muscle, so a row's lats and rhomboids do not
    double count; configured overrides (deadlift: back 0.5, erectors 1.0) come last.
    """
    vol = cfg.volume
    mapping = dict(vol.muscle_groups)
    group_credit: dict[str, float] = {}
    for muscles, credit in (
        (facts.primary_muscles, vol.primary_credit),
        (facts.secondary_muscles, vol.secondary_credit),
    ):
        for muscle in muscles:
            group = mapping.get(muscle, muscle)
            group_credit[group] = max(group_credit.get(group, 0.0), credit)
    group_credit.update(
        {group: credit for slug, group, credit in vol.credit_overrides if slug == facts.slug}
    )
    return group_credit


def is_front(
    facts: ExerciseFacts, group_credit: Mapping[str, float], cfg: RecommenderConfig
) -> bool:
    """Front exercises for R7: chest or front-delt primaries (pressing), or declared front."""
    if facts.side is Side.FRONT:
        return True
    return any(
        group_credit.get(g, 0.0) >= cfg.volume.primary_credit for g in cfg.volume.front_groups
    )


class Catalog:
    """Facts and credits by slug, computed once per request."""

    __slots__ = ("_cfg", "_credits", "_front", "facts")

    def __init__(self, facts: Sequence[ExerciseFacts], cfg: RecommenderConfig):
        self.facts: dict[str, ExerciseFacts] = {f.slug: f for f in facts}
        self._cfg = cfg
        self._credits: dict[str, dict[str, float]] = {}
        self._front: dict[str, bool] = {}

    def get(self, slug: str) -> ExerciseFacts:
        facts = self.facts.get(slug)
        if facts is None:
            facts = fallback_facts(slug)
            self.facts[slug] = facts
        return facts

    def credits_for(self, slug: str) -> dict[str, float]:
        found = self._credits.get(slug)
        if found is None:
            found = group_credits(self.get(slug), self._cfg)
            self._credits[slug] = found
        return found

    def front(self, slug: str) -> bool:
        """`is_front` for `slug`, once per request: every weekly window asks it again."""
        found = self._front.get(slug)
        if found is None:
            found = is_front(self.get(slug), self.credits_for(slug), self._cfg)
            self._front[slug] = found
        return found

    def parent(self, slug: str) -> str:
        """The top-five lift a ladder variant belongs to (assisted pull-up -> pull-up)."""
        return self.get(slug).variant_of or slug

    def top_rank(self, slug: str) -> int | None:
        facts = self.get(slug)
        if facts.top_rank is not None:
            return facts.top_rank
        if facts.variant_of is not None:
            return self.get(facts.variant_of).top_rank
        return None


@dataclass(slots=True)
class WeeklyVolume:
    """Hard sets and reps of one week, by muscle group and by balance side."""

    sets: dict[str, float]
    reps: dict[str, float]
    back_side_sets: float = 0.0
    back_side_reps: float = 0.0
    front_sets: float = 0.0
    front_reps: float = 0.0
    horizontal_pull_sets: float = 0.0
    vertical_pull_sets: float = 0.0

    def add(
        self,
        facts: ExerciseFacts,
        group_credit: Mapping[str, float],
        sets: float,
        reps: float,
        front: bool,
    ) -> None:
        for group, credit in group_credit.items():
            self.sets[group] = self.sets.get(group, 0.0) + sets * credit
            self.reps[group] = self.reps.get(group, 0.0) + reps * credit
        if facts.side is Side.BACK:
            self.back_side_sets += sets
            self.back_side_reps += reps
        elif front:
            self.front_sets += sets
            self.front_reps += reps
        if facts.pattern is Pattern.HORIZONTAL_PULL:
            self.horizontal_pull_sets += sets
        elif facts.pattern is Pattern.VERTICAL_PULL:
            self.vertical_pull_sets += sets

    def group_sets(self, group: str) -> float:
        return self.sets.get(group, 0.0)

    def ratio_sets(self) -> float | None:
        """R7 balance on sets; None when there is no front work to balance against."""
        return self.back_side_sets / self.front_sets if self.front_sets > 0 else None

    def ratio_reps(self) -> float | None:
        return self.back_side_reps / self.front_reps if self.front_reps > 0 else None


def window_bounds(
    on: date, days: int, dates: Sequence[date], cfg: RecommenderConfig
) -> tuple[date, date]:
    """The half-open window [start, end) of `days` days before the session planned on `on`.

    `on` is the planned day of the next session, so the window is the `days` days before it
    and the same weekday a week ago counts (a lifter training back every Thursday has last
    Thursday's sets). When a session is already logged on `on` (`dates` is sorted), the next
    session is later: the window is the one ending with that session. With
    `window_before_planned_day` off it is the original (on - days, on].
    """
    logged_on = bisect_right(dates, on) > bisect_left(dates, on)
    end = on + timedelta(days=1) if logged_on or not cfg.volume.window_before_planned_day else on
    return end - timedelta(days=days), end


def window_slice(on: date, dates: Sequence[date], cfg: RecommenderConfig) -> slice:
    """The exposures (by index into the sorted history) of the week `window_bounds` gives."""
    start, end = window_bounds(on, cfg.volume.window_days, dates, cfg)
    return slice(bisect_left(dates, start), bisect_left(dates, end))


class BalanceTotals:
    """Running totals of back-side and front hard sets and reps over the history, so whether
    a week is out of balance (R7) is two subtractions: the replay asks it at every planned day.
    Whole numbers, so the answer is exactly the one `WeeklyVolume` gives."""

    __slots__ = ("_back_reps", "_back_sets", "_front_reps", "_front_sets")

    def __init__(self, ordered: Sequence[Exposure], catalog: Catalog) -> None:
        back_sets, back_reps, front_sets, front_reps = [0], [0], [0], [0]
        for e in ordered:
            back = e.hard_sets > 0 and catalog.get(e.exercise).side is Side.BACK
            front = e.hard_sets > 0 and not back and catalog.front(e.exercise)
            back_sets.append(back_sets[-1] + (e.hard_sets if back else 0))
            back_reps.append(back_reps[-1] + (e.hard_reps if back else 0))
            front_sets.append(front_sets[-1] + (e.hard_sets if front else 0))
            front_reps.append(front_reps[-1] + (e.hard_reps if front else 0))
        self._back_sets, self._back_reps = back_sets, back_reps
        self._front_sets, self._front_reps = front_sets, front_reps

    def deficit(self, window: slice) -> bool:
        """Back behind front on sets or on reps (a ratio below 1.0) in the window."""
        lo, hi, _ = window.indices(len(self._back_sets) - 1)

        def total(prefix: list[int]) -> int:
            return prefix[hi] - prefix[lo]

        return total(self._back_sets) < total(self._front_sets) or total(self._back_reps) < total(
            self._front_reps
        )


def history_volume(
    ordered: Sequence[Exposure],
    dates: Sequence[date],
    on: date,
    catalog: Catalog,
    cfg: RecommenderConfig,
) -> WeeklyVolume:
    """Volume of the week before the session planned on `on` (`window_bounds`), from logged
    work sets."""
    window = window_slice(on, dates, cfg)
    # Summed per exercise first: a week has a few exercises but many exposures of them.
    per_exercise: dict[str, list[int]] = {}
    for exposure in ordered[window]:
        if exposure.hard_sets:
            found = per_exercise.get(exposure.exercise)
            if found is None:
                per_exercise[exposure.exercise] = [exposure.hard_sets, exposure.hard_reps]
            else:
                found[0] += exposure.hard_sets
                found[1] += exposure.hard_reps
    volume = WeeklyVolume({}, {})
    for slug, (sets, reps) in per_exercise.items():
        volume.add(catalog.get(slug), catalog.credits_for(slug), sets, reps, catalog.front(slug))
    return volume


def plan_volume(plan: Plan, catalog: Catalog, cfg: RecommenderConfig) -> WeeklyVolume:
    """Volume the lifter intends this week, from the plan's sets and reps."""
    volume = WeeklyVolume({}, {})
    for entry in plan.entries:
        facts = catalog.get(entry.exercise)
        sets = max(0, entry.sets) * max(0, entry.times_per_week)
        if entry.reps is not None:
            reps = entry.reps
        elif entry.rep_range is not None:
            reps = entry.rep_range[0]
        else:
            reps = default_rep_range(facts, cfg)[0]
        volume.add(
            facts,
            catalog.credits_for(entry.exercise),
            sets,
            sets * reps,
            catalog.front(entry.exercise),
        )
    return volume


def landmark_check(
    group: str, sets: float, experience: Experience, cfg: RecommenderConfig
) -> LandmarkCheck:
    """Where weekly sets sit against RP's landmarks (beginners: the article-friendly 8-14)."""
    vol = cfg.volume
    if experience is Experience.BEGINNER:
        mev, mav_low, mav_high, mrv = (
            vol.beginner_low,
            vol.beginner_low,
            vol.beginner_high,
            vol.beginner_high,
        )
    else:
        mev, mav_low, mav_high, mrv = vol.mev, vol.mav_low, vol.mav_high, vol.mrv
    if sets < mev:
        status = LandmarkStatus.BELOW_MEV
    elif sets > mrv:
        status = LandmarkStatus.ABOVE_MRV
    elif sets > mav_high:
        status = LandmarkStatus.ABOVE_MAV
    else:
        status = LandmarkStatus.WITHIN
    return LandmarkCheck(group, round(sets, 2), mev, mav_low, mav_high, mrv, status)


class FeedbackBook:
    """The most recent weekly feedback per muscle group, as of any date."""

    __slots__ = ("_by_group", "_cfg")

    def __init__(self, feedback: Sequence[Feedback], cfg: RecommenderConfig):
        self._cfg = cfg
        by_group: dict[str, list[Feedback]] = {}
        for entry in feedback:
            by_group.setdefault(entry.muscle_group, []).append(entry)
        self._by_group = {g: sorted(v, key=lambda f: f.week_start) for g, v in by_group.items()}

    def latest(self, group: str, on: date) -> Feedback | None:
        entries = self._by_group.get(group)
        if not entries:
            return None
        found = None
        for entry in entries:
            if entry.week_start <= on:
                found = entry
        if found is None or (on - found.week_start).days > self._cfg.recovery.feedback_max_age_days:
            return None
        return found


def red_flags(feedback: Feedback | None, cfg: RecommenderConfig) -> tuple[str, ...]:
    """Recovery red flags (RP): soreness 3, performance 3 or joint pain >= 2."""
    if feedback is None:
        return ()
    rec = cfg.recovery
    flags: list[str] = []
    if feedback.soreness >= rec.red_flag_soreness:
        flags.append(f"soreness {feedback.soreness}/3")
    if feedback.performance >= rec.red_flag_performance:
        flags.append(f"performance {feedback.performance}/3")
    if feedback.joint_pain >= rec.red_flag_joint_pain:
        flags.append(f"joint pain {feedback.joint_pain}/3")
    return tuple(flags)


def rp_sets_allowed(feedback: Feedback | None, cfg: RecommenderConfig) -> int:
    """Sets RP's soreness x performance table allows adding; no feedback allows one."""
    if feedback is None:
        return 1
    table = cfg.recovery.rp_table
    row = table[min(max(feedback.soreness, 0), len(table) - 1)]
    return row[min(max(feedback.performance, 0), len(row) - 1)]


__all__ = [
    "BACK_GROUP",
    "BalanceTotals",
    "Catalog",
    "FeedbackBook",
    "WeeklyVolume",
    "history_volume",
    "landmark_check",
    "plan_volume",
    "red_flags",
    "rp_sets_allowed",
    "window_bounds",
    "window_slice",
]
