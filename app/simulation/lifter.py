"""A simulated lifter: true strength, fatigue, noise, and the reps and RPE a set produces.

Everything is in "system load" (what the muscles move, spec 8): external load for barbells,
dumbbells and stacks; bodyweight share plus belt load for bodyweight lifts; bodyweight share minus
assistance for assisted ones. Strengths are 1RMs in that unit, in the profile's unit (kg or lb).

The model, per exercise x, with one seeded `random.Random` for every draw:

* Growth after an exposure: S_x += k * (C_x - S_x) * sqrt(min(h, 5) / 3), where h counts the
  hard sets (true RPE >= 6). Gains shrink as S_x nears the ceiling C_x (diminishing returns), and
  more hard sets help less and less up to five, so a deload week (RPE <= 6) builds nothing.
* Fatigue F (one value, the whole body): F *= exp(-days / TAU) between sessions, then
  F += BETA * sum over sets of max(0, (RPE - 5) / 5) after one. Weekly volume and effort raise it,
  a deload's fewer and easier sets let it fall.
* Today's 1RM: E_x = S_x * (1 - F) * (1 + e_day + e_x), e_day ~ N(0, sd_day) shared by every lift
  that day, e_x ~ N(0, sd_lift); within a session set i loses SET_DROP * (effort of sets < i).
* Reps in reserve at load L: the reps r with pct(r, RPE 10) = L / E on the RTS chart (the chart's
  rts_percentage, inverted), extended beyond 12 reps with Epley's slope.
* A set of target t is stopped at t (or taken to r on an AMRAP / failure set); true RPE is
  10 - (r - reps done); the reported RPE adds N(0, sd_rpe) and rounds to the half point.
"""

import math
import random
from dataclasses import dataclass, field

from app.recommender.config import DEFAULT_CONFIG, RpeConfig
from app.recommender.rpe import rts_percentage

TAU_DAYS = 4.0
BETA = 0.004
MAX_FATIGUE = 0.3
SET_DROP = 0.02
HARD_SET_RPE = 6.0
MAX_STIMULUS_SETS = 5
REFERENCE_SETS = 3
# Past the RTS chart (12 reps) each 1 % of 1RM less buys Epley's 0.3 extra reps.
EPLEY_REPS_PER_FRACTION = 30.0

_RPE: RpeConfig = DEFAULT_CONFIG.rpe


def max_reps(fraction: float, cfg: RpeConfig = _RPE) -> float:
    """Reps to failure (continuous) at `fraction` of today's 1RM, from the RTS chart at RPE 10."""
    if fraction >= 1.0:
        # A load at or above the 1RM is at best one grinding rep; above it, none.
        return 1.0 if fraction <= 1.0 + 1e-9 else 0.0
    top = cfg.max_reps
    floor_pct = rts_percentage(top, 10.0, cfg)
    assert floor_pct is not None  # noqa: S101 - the chart always covers 12 reps at RPE 10
    if fraction <= floor_pct:
        return top + EPLEY_REPS_PER_FRACTION * (floor_pct / fraction - 1.0)
    lo, hi = 1.0, float(top)
    # pct(r, 10) falls as r rises: bisect for the r whose percentage equals the fraction.
    for _ in range(40):
        mid = (lo + hi) / 2
        pct = rts_percentage(mid, 10.0, cfg)
        assert pct is not None  # noqa: S101 - mid stays inside the chart
        if pct > fraction:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def round_half(x: float) -> float:
    return math.floor(x * 2 + 0.5) / 2


@dataclass(frozen=True, slots=True)
class SetOutcome:
    reps: int
    true_rpe: float
    reported_rpe: float
    form_ok: bool


@dataclass(frozen=True, slots=True)
class Trait:
    """One exercise's starting 1RM and the ceiling it grows toward (system load)."""

    one_rm: float
    ceiling: float


@dataclass(frozen=True, slots=True)
class LifterProfile:
    """How a lifter responds: the growth rate and the noise levels."""

    growth_rate: float = 0.05
    sd_day: float = 0.02
    sd_lift: float = 0.01
    sd_rpe: float = 0.5
    bad_form_rate: float = 0.02
    bad_form_rate_near_failure: float = 0.10


@dataclass(slots=True)
class Lifter:
    """Mutable while a run lasts; every random draw comes from `rng`."""

    profile: LifterProfile
    rng: random.Random
    strength: dict[str, float] = field(default_factory=dict)
    ceiling: dict[str, float] = field(default_factory=dict)
    fatigue: float = 0.0
    day_noise: float = 0.0
    last_day: int | None = None

    def know(self, slug: str, trait: Trait) -> None:
        if slug not in self.strength:
            self.strength[slug] = trait.one_rm
            self.ceiling[slug] = trait.ceiling

    def start_day(self, day_number: int) -> None:
        """A new training day: fatigue decays for the days since the last one, new day noise."""
        if self.last_day is not None:
            self.fatigue *= math.exp(-(day_number - self.last_day) / TAU_DAYS)
        self.last_day = day_number
        self.day_noise = self.rng.gauss(0.0, self.profile.sd_day)

    def todays_max(self, slug: str) -> float:
        noise = self.day_noise + self.rng.gauss(0.0, self.profile.sd_lift)
        return self.strength[slug] * (1.0 - self.fatigue) * (1.0 + noise)

    def perform(
        self,
        system_load: float,
        todays_max: float,
        effort_before: float,
        *,
        target: int | None,
        rep_range: tuple[int, int] | None,
        target_rpe: float | None,
        all_out: bool,
    ) -> SetOutcome:
        """One set at `system_load`; `effort_before` is the summed effort of earlier sets."""
        capacity = todays_max * (1.0 - SET_DROP * effort_before)
        reps_left = max_reps(system_load / capacity) if capacity > 0 else 0.0
        can = math.floor(reps_left + 1e-9)
        if all_out:
            done = can
        elif target is not None:
            done = min(target, can)
        elif rep_range is not None:
            lo, hi = rep_range
            # A range is worked up to the target RPE (default RPE 8.5: stop 1-2 reps short).
            stop_rir = 10.0 - (target_rpe if target_rpe is not None else 8.5)
            done = min(hi, math.floor(reps_left - stop_rir + 1e-9))
            if done < lo:
                done = min(lo, can)
        else:
            done = can
        done = max(0, done)
        true_rpe = 10.0 if done == 0 else max(1.0, min(10.0, 10.0 - (reps_left - done)))
        reported = round_half(true_rpe + self.rng.gauss(0.0, self.profile.sd_rpe))
        reported = max(1.0, min(10.0, reported))
        bad = self.profile.bad_form_rate
        if true_rpe >= 9.5:
            bad = self.profile.bad_form_rate_near_failure
        return SetOutcome(done, true_rpe, reported, form_ok=self.rng.random() >= bad)

    def finish_exercise(self, slug: str, outcomes: list[SetOutcome]) -> None:
        """Adapt to the exposure: growth toward the ceiling from the hard sets."""
        hard = sum(1 for o in outcomes if o.true_rpe >= HARD_SET_RPE and o.reps > 0)
        stimulus = math.sqrt(min(hard, MAX_STIMULUS_SETS) / REFERENCE_SETS)
        gap = self.ceiling[slug] - self.strength[slug]
        if gap > 0:
            self.strength[slug] += self.profile.growth_rate * gap * stimulus

    def finish_session(self, outcomes: list[SetOutcome]) -> None:
        stress = sum(effort(o.true_rpe) for o in outcomes)
        self.fatigue = min(MAX_FATIGUE, self.fatigue + BETA * stress)


def effort(true_rpe: float) -> float:
    """How much a set tires: 0 at RPE 5 or below, 1 at failure."""
    return max(0.0, (true_rpe - 5.0) / 5.0)
