"""Effort arithmetic: the RTS RPE chart, e1RM estimates and their trend (spec 8 and 13)."""

import math
from collections.abc import Sequence
from datetime import date

from app.recommender.config import RpeConfig


def rts_percentage(reps: float, rpe: float, cfg: RpeConfig) -> float | None:
    """Fraction of 1RM for `reps` at `rpe` (RTS chart, Tuchscherer).

    The chart is one curve read on its diagonal: each rep costs two half-RPE steps, so
    8 reps @ RPE 8 equals 10 reps @ RPE 10. Values between half steps are interpolated
    linearly along that diagonal. No estimate beyond 12 reps or below RPE 6.5, where the
    chart stops being trustworthy.
    """
    if reps < 1 or reps > cfg.max_reps or rpe < cfg.min_rpe or rpe > 10:
        return None
    position = 2 * (reps - 1) + 2 * (10 - rpe)
    index = math.floor(position)
    last = len(cfg.curve) - 1
    if index >= last:
        return cfg.curve[last] / 100
    frac = position - index
    value = cfg.curve[index] + (cfg.curve[index + 1] - cfg.curve[index]) * frac
    return value / 100


def effective_rpe(rpe: float | None, rir: float | None, *, to_failure: bool) -> float | None:
    """RPE of a set: RIR converts as RPE = 10 - RIR; a set taken to failure is RPE 10."""
    if to_failure:
        return 10.0
    if rpe is not None:
        return rpe
    if rir is not None:
        return 10.0 - rir
    return None


def set_e1rm(system_load: float, reps: int, rpe: float, cfg: RpeConfig) -> float | None:
    """Estimated 1RM from one set: system load / pct(reps, RPE) (RTS chart)."""
    if system_load <= 0:
        return None
    pct = rts_percentage(reps, rpe, cfg)
    if pct is None:
        return None
    return system_load / pct


class RtsChart:
    """The RTS chart of one configuration, memoised by (reps, RPE).

    A history repeats a handful of rep/RPE pairs over hundreds of sets, so each percentage is
    interpolated once per request rather than once per set.
    """

    __slots__ = ("_cfg", "_pct")

    def __init__(self, cfg: RpeConfig) -> None:
        self._cfg = cfg
        self._pct: dict[tuple[float, float], float | None] = {}

    def e1rm(self, system_load: float, reps: int, rpe: float) -> float | None:
        """`set_e1rm` with the chart lookup memoised; the same value for the same inputs."""
        if system_load <= 0:
            return None
        key = (reps, rpe)
        try:
            pct = self._pct[key]
        except KeyError:
            pct = self._pct[key] = rts_percentage(reps, rpe, self._cfg)
        if pct is None:
            return None
        return system_load / pct


def epley_ratio(reps_from: int, reps_to: int) -> float:
    """Load ratio that keeps Epley's 1RM constant when reps change (no-RPE fallback)."""
    return (1 + reps_from / 30) / (1 + reps_to / 30)


def trend_pct_per_week(points: Sequence[tuple[date, float]]) -> float | None:
    """Least-squares slope of e1RM against days, as % per week of the points' mean.

    Progress is judged on the trend of estimated strength rather than on single sessions,
    which are noisy (RTS / e1RM tracking practice).
    """
    n = len(points)
    if n < 2:
        return None
    origin = points[0][0]
    xs = [(d - origin).days for d, _ in points]
    ys = [v for _, v in points]
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0 or mean_y <= 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope_per_day = sxy / sxx
    return slope_per_day * 7 / mean_y * 100
