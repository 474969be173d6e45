"""Which loads the lifter can actually set up, and how targets round onto them (spec 10)."""

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from app.recommender.config import RecommenderConfig
from app.recommender.enums import Loading, Unit
from app.recommender.models import Equipment, ExerciseFacts, PlateStock

# Loads are handled in thousandths of the unit so that 1.25 + 1.25 is exactly 2.5.
_SCALE = 1000
_EPS = 1e-6


def _milli(x: float) -> int:
    return round(x * _SCALE)


@dataclass(frozen=True, slots=True)
class LoadGrid:
    """A sorted set of loadable values (in milli-units) with rounding queries."""

    values: tuple[int, ...]

    def floor(self, x: float) -> float | None:
        """Largest loadable value <= x: decreases always round down."""
        i = bisect_right(self.values, _milli(x + _EPS)) - 1
        return self.values[i] / _SCALE if i >= 0 else None

    def floor_or_min(self, x: float) -> float:
        down = self.floor(x)
        if down is not None:
            return down
        return self.values[0] / _SCALE if self.values else 0.0

    def above(self, x: float) -> float | None:
        """Smallest loadable value strictly above x: one loadable increment."""
        i = bisect_right(self.values, _milli(x + _EPS))
        return self.values[i] / _SCALE if i < len(self.values) else None

    def at_least(self, x: float) -> float | None:
        i = bisect_left(self.values, _milli(x - _EPS))
        return self.values[i] / _SCALE if i < len(self.values) else None

    def below(self, x: float) -> float | None:
        i = bisect_left(self.values, _milli(x - _EPS)) - 1
        return self.values[i] / _SCALE if i >= 0 else None

    def contains(self, x: float) -> bool:
        i = bisect_left(self.values, _milli(x) - 1)
        return i < len(self.values) and abs(self.values[i] - _milli(x)) <= 1


def _subset_sums(stock: tuple[PlateStock, ...], cap: int) -> tuple[int, ...]:
    """Every total (milli-units, <= cap) reachable with the stocked plates.

    Bounded subset sum on a Python int used as a bitset, in units of the plates' common
    divisor, so it costs a handful of shifts whatever the plate count.
    """
    weights = [(_milli(p.weight), p.count) for p in stock if p.weight > 0]
    if not weights:
        return (0,)
    unit = 0
    for w, _ in weights:
        unit = math.gcd(unit, w)
    limit = cap // unit
    mask = (1 << (limit + 1)) - 1
    bits = 1
    for w, count in weights:
        step = w // unit
        if step > limit:
            continue
        remaining = limit // step if count is None else min(count, limit // step)
        chunk = 1
        while remaining > 0:
            take = min(chunk, remaining)
            bits = (bits | (bits << (step * take))) & mask
            remaining -= take
            chunk *= 2
    return tuple(i * unit for i in range(limit + 1) if bits >> i & 1)


def _multiples(step: float, cap: int, *, include_zero: bool) -> tuple[int, ...]:
    s = _milli(step)
    if s <= 0:
        return (0,)
    start = 0 if include_zero else s
    return tuple(range(start, cap + 1, s))


class LoadGrids:
    """Lazily built grids for one request's equipment, one per loading style."""

    __slots__ = ("_cache", "_cap", "_equipment", "_fallback")

    def __init__(self, equipment: Equipment, unit: Unit, cfg: RecommenderConfig, cap: float):
        self._equipment = equipment
        self._fallback = cfg.equipment.for_unit(unit)
        self._cap = _milli(cap)
        self._cache: dict[str, LoadGrid] = {}

    def barbell(self) -> LoadGrid:
        grid = self._cache.get("barbell")
        if grid is None:
            bar = self._equipment.bar if self._equipment.bar is not None else self._fallback.bar
            plates = self._equipment.plates
            if plates is None:
                plates = tuple(PlateStock(w) for w in self._fallback.plates)
            per_side_cap = max(0, (self._cap - _milli(bar)) // 2)
            sums = _subset_sums(plates, per_side_cap)
            grid = LoadGrid(tuple(_milli(bar) + 2 * s for s in sums))
            self._cache["barbell"] = grid
        return grid

    def dumbbell(self) -> LoadGrid:
        grid = self._cache.get("dumbbell")
        if grid is None:
            owned = self._equipment.dumbbells
            if not owned:
                owned = self._fallback.dumbbells
            grid = LoadGrid(tuple(sorted({_milli(w) for w in owned if w > 0})))
            self._cache["dumbbell"] = grid
        return grid

    def stack(self) -> LoadGrid:
        grid = self._cache.get("stack")
        if grid is None:
            step = self._equipment.stack_step or self._fallback.stack_step
            grid = LoadGrid(_multiples(step, self._cap, include_zero=False))
            self._cache["stack"] = grid
        return grid

    def belt(self) -> LoadGrid:
        grid = self._cache.get("belt")
        if grid is None:
            plates = self._equipment.belt_plates
            if not plates:
                plates = tuple(PlateStock(w) for w in self._fallback.belt_plates)
            grid = LoadGrid(_subset_sums(plates, self._cap))
            self._cache["belt"] = grid
        return grid

    def assist(self) -> LoadGrid:
        grid = self._cache.get("assist")
        if grid is None:
            step = self._equipment.assist_step or self._fallback.assist_step
            grid = LoadGrid(_multiples(step, self._cap, include_zero=True))
            self._cache["assist"] = grid
        return grid

    def for_exercise(self, facts: ExerciseFacts) -> LoadGrid:
        """The grid external load is rounded on for this exercise."""
        loading = facts.loading
        if loading is Loading.BARBELL:
            return self.barbell()
        if loading is Loading.DUMBBELL:
            return self.dumbbell()
        if loading in (Loading.MACHINE, Loading.CABLE):
            return self.stack()
        return self.belt()


@dataclass(frozen=True, slots=True)
class Increase:
    load: float | None
    coarse: bool


def increase_load(
    grid: LoadGrid,
    current: float,
    intended_step: float | None,
    cfg: RecommenderConfig,
    reference: float | None = None,
) -> Increase:
    """Next load up (spec 10): the target rounded down if that still increases, else one
    loadable increment; a jump over 10 % of the load (and over the routine's own step) is
    coarse and is bridged with reps instead. `reference` is the load the muscles move (bodyweight
    plus belt for weighted pull-ups), against which the 10 % is judged.
    """
    if intended_step is not None:
        down = grid.floor(current + intended_step)
        if down is not None and down > current + _EPS:
            return Increase(down, coarse=False)
    up = grid.above(current)
    if up is None:
        return Increase(None, coarse=True)
    jump = up - current
    limit = cfg.rounding.coarse_increment_pct * (reference or current)
    coarse = jump > limit + _EPS and (intended_step is None or jump > intended_step + _EPS)
    return Increase(up, coarse=coarse)
