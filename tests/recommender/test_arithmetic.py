"""Rounding, the RTS chart, e1RM and trend arithmetic."""

from datetime import date, timedelta

import pytest

from app.recommender import DEFAULT_CONFIG, Equipment, PlateStock, Unit
from app.recommender.config import RpeConfig
from app.recommender.history import build_exposure
from app.recommender.loading import LoadGrids, increase_load
from app.recommender.rpe import epley_ratio, rts_percentage, set_e1rm, trend_pct_per_week
from tests.recommender.builders import SCENARIO_EQUIPMENT, sets
from tests.recommender.catalog import ASSISTED_PULL_UP, BARBELL_ROW, WEIGHTED_PULL_UP

RPE = RpeConfig()


def grids(equipment: Equipment = SCENARIO_EQUIPMENT, unit: Unit = Unit.KG) -> LoadGrids:
    return LoadGrids(equipment, unit, DEFAULT_CONFIG, 400)


class TestBarbell:
    def test_scenario_plates_give_2_5_steps_from_the_bar(self) -> None:
        grid = grids().barbell()
        assert grid.floor(54) == 52.5
        assert grid.above(50) == 52.5
        assert grid.floor(19) is None
        assert grid.floor_or_min(19) == 20
        assert grid.contains(177.5)
        assert not grid.contains(51.25)

    def test_limited_pair_counts_cap_the_load(self) -> None:
        eq = Equipment(bar=20, plates=(PlateStock(20, 1), PlateStock(10, 1), PlateStock(5, 1)))
        grid = grids(eq).barbell()
        assert grid.floor(1000) == 90  # 20 + 2 x (20 + 10 + 5)
        assert grid.above(90) is None
        assert grid.above(40) == 50
        assert grid.contains(70)
        assert not grid.contains(45)

    def test_lb_defaults_use_a_45_lb_bar_and_5_lb_steps(self) -> None:
        grid = grids(Equipment(), Unit.LB).barbell()
        assert grid.floor(46) == 45
        assert grid.above(135) == 140

    def test_lp_step_rounds_the_target_down_when_plates_are_coarser(self) -> None:
        eq = Equipment(bar=20, plates=(PlateStock(10), PlateStock(5), PlateStock(2.5)))
        grid = grids(eq).barbell()
        inc = increase_load(grid, 100, 2.5, DEFAULT_CONFIG)
        assert (inc.load, inc.coarse) == (105, False)  # only 5 kg jumps: 5 % is not coarse


class TestOtherGrids:
    def test_dumbbells_are_the_owned_weights(self) -> None:
        grid = grids(Equipment(dumbbells=(10, 12.5, 15, 20))).dumbbell()
        assert grid.above(15) == 20
        assert grid.floor(19) == 15
        inc = increase_load(grid, 15, None, DEFAULT_CONFIG)
        assert (inc.load, inc.coarse) == (20, True)

    def test_stack_is_multiples_of_the_step(self) -> None:
        grid = grids().stack()
        assert grid.above(60) == 65
        assert grid.floor(63) == 60
        assert grid.floor(3) is None

    def test_belt_is_sums_of_belt_plates(self) -> None:
        grid = grids().belt()
        assert grid.above(0) == 1.25
        assert grid.at_least(2.5) == 2.5
        assert grid.floor(4) == 3.75

    def test_assist_steps_down_by_one_step(self) -> None:
        grid = grids().assist()
        assert grid.below(30) == 27.5
        assert grid.at_least(20) == 20

    def test_decreases_round_down(self) -> None:
        g = grids()
        assert g.barbell().floor(76.38) == 75
        assert g.stack().floor(64.99) == 60
        assert g.belt().floor(6.2) == 5
        assert g.assist().floor(12.4) == 10
        assert grids(Equipment(dumbbells=(10, 12.5, 15))).dumbbell().floor(14.9) == 12.5


class TestRtsChart:
    @pytest.mark.parametrize(
        ("reps", "rpe", "pct"),
        [
            (1, 10, 1.0),
            (8, 8, 0.739),
            (10, 10, 0.739),
            (5, 9, 0.837),
            (12, 6.5, 0.586),
            (8, 6.5, 0.694),
            (8, 9.5, 0.774),
            (3, 7.5, 0.85),
        ],
    )
    def test_table_values(self, reps: int, rpe: float, pct: float) -> None:
        assert rts_percentage(reps, rpe, RPE) == pytest.approx(pct)

    def test_interpolates_along_the_diagonal(self) -> None:
        # RPE 8.25 sits halfway between 8 (73.9) and 8.5 (75.1) for 8 reps.
        assert rts_percentage(8, 8.25, RPE) == pytest.approx((0.739 + 0.751) / 2)

    @pytest.mark.parametrize(("reps", "rpe"), [(13, 8), (0, 8), (5, 6), (5, 10.5)])
    def test_no_estimate_outside_the_chart(self, reps: int, rpe: float) -> None:
        assert rts_percentage(reps, rpe, RPE) is None
        assert set_e1rm(100, reps, rpe, RPE) is None

    def test_e1rm_from_a_set(self) -> None:
        assert set_e1rm(80, 8, 6.5, RPE) == pytest.approx(115.27, abs=0.01)
        assert set_e1rm(80, 8, 9.5, RPE) == pytest.approx(103.36, abs=0.01)

    def test_epley_ratio_for_two_more_reps(self) -> None:
        assert epley_ratio(10, 12) == pytest.approx((1 + 10 / 30) / (1 + 12 / 30))


class TestExposureEstimates:
    def _exposure(self, work: tuple, facts=BARBELL_ROW, bodyweight: float | None = 80.0):  # type: ignore[no-untyped-def, type-arg]
        return build_exposure(
            facts.slug, date(2025, 1, 1), 0, list(work), facts, bodyweight, DEFAULT_CONFIG
        )

    def test_exposure_e1rm_is_the_max_over_sets(self) -> None:
        e = self._exposure(sets("barbell-bent-over-row", [8, 8], 80, rpe=[8.0, 9.5]))
        assert e.e1rm == pytest.approx(80 / 0.739)

    def test_amrap_sets_count_as_rpe_10(self) -> None:
        e = self._exposure(sets("barbell-bent-over-row", [5, 5, 10], 80, amrap_last=True))
        assert e.e1rm == pytest.approx(80 / 0.739)

    def test_fixed_rep_sets_only_give_a_lower_bound(self) -> None:
        e = self._exposure(sets("barbell-bent-over-row", [5, 5, 5], 100))
        assert e.e1rm is None
        assert e.e1rm_lower == pytest.approx(100 / 0.863)

    def test_no_estimate_beyond_12_reps(self) -> None:
        e = self._exposure(sets("barbell-bent-over-row", [15], 50, rpe=9))
        assert e.e1rm is None

    def test_weighted_bodyweight_system_load(self) -> None:
        e = self._exposure(sets("weighted-pull-up", [5], 10, rpe=10), WEIGHTED_PULL_UP)
        assert e.system_load == pytest.approx(80 * 0.95 + 10)
        assert e.e1rm == pytest.approx((80 * 0.95 + 10) / 0.863)

    def test_assisted_system_load(self) -> None:
        e = self._exposure(sets("assisted-pull-up", [8], assistance=20, rpe=10), ASSISTED_PULL_UP)
        assert e.system_load == pytest.approx(80 * 0.95 - 20)

    def test_bodyweight_lifts_need_a_bodyweight(self) -> None:
        e = self._exposure(sets("weighted-pull-up", [5], 10, rpe=10), WEIGHTED_PULL_UP, None)
        assert e.e1rm is None


class TestTrend:
    def test_slope_in_percent_per_week_of_the_mean(self) -> None:
        d0 = date(2025, 1, 1)
        points = [(d0 + timedelta(days=7 * i), 100.0 + 2 * i) for i in range(4)]
        assert trend_pct_per_week(points) == pytest.approx(2 / 103 * 100)

    def test_flat_and_degenerate(self) -> None:
        d0 = date(2025, 1, 1)
        assert trend_pct_per_week([(d0, 100.0), (d0 + timedelta(days=3), 100.0)]) == 0
        assert trend_pct_per_week([(d0, 100.0)]) is None
        assert trend_pct_per_week([(d0, 100.0), (d0, 110.0)]) is None
