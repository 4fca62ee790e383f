"""A promise judged with its sampling interval (govsim.pipeline.verdict): kept, inconclusive or
missed, the boundary, one replication, and the replications that would decide.

The bounds and half-widths are binary fractions, so that "exactly at the bound" is exact.
"""

from __future__ import annotations

import math

import pytest

from govsim.pipeline.verdict import Outcome, judge, replications_to_decide

#: A coverage bound (planned coverage less the tolerance) and a wait bound (promised wait plus
#: the tolerance), as check_round hands them to judge.
FLOOR, CEILING = 0.75, 11.0


def coverage(got: float, halfwidth: float, replications: int = 5) -> Outcome:
    return judge(got, FLOOR, halfwidth, replications, at_most=False).outcome


def wait(p90: float, halfwidth: float, replications: int = 5) -> Outcome:
    return judge(p90, CEILING, halfwidth, replications, at_most=True).outcome


def test_a_coverage_short_within_its_interval_is_inconclusive_and_beyond_it_a_miss() -> None:
    assert coverage(0.5, 0.375) is Outcome.INCONCLUSIVE  # 0.875 reaches 0.75
    assert coverage(0.5, 0.125) is Outcome.MISSED  # 0.625 stays below 0.75
    assert coverage(0.75, 0.125) is Outcome.KEPT  # at the bound: within the tolerance
    assert coverage(0.875, math.nan) is Outcome.KEPT


def test_a_coverage_interval_ending_on_the_bound_reaches_it() -> None:
    # got + half-width == bound: inconclusive (a miss needs got + half-width < bound)
    assert coverage(0.5, 0.25) is Outcome.INCONCLUSIVE
    assert coverage(0.5, 0.25 - 2 ** -20) is Outcome.MISSED


def test_a_wait_over_its_promise_within_its_interval_is_inconclusive() -> None:
    assert wait(12.0, 2.0) is Outcome.INCONCLUSIVE
    assert wait(12.0, 0.5) is Outcome.MISSED
    assert wait(11.0, 0.5) is Outcome.KEPT
    # p90 − half-width == bound: inconclusive (a miss needs p90 − half-width > bound)
    assert wait(12.0, 1.0) is Outcome.INCONCLUSIVE
    assert wait(12.0, 1.0 - 2 ** -20) is Outcome.MISSED


def test_a_wait_with_nobody_served_is_a_miss_whatever_the_interval() -> None:
    assert wait(math.nan, math.nan) is Outcome.MISSED
    assert wait(math.nan, 100.0) is Outcome.MISSED


def test_one_replication_judges_on_the_figure_alone() -> None:
    # no interval (NaN half-width): breaking the bound is a miss, as before the intervals
    assert coverage(0.74, math.nan, replications=1) is Outcome.MISSED
    assert wait(11.5, math.nan, replications=1) is Outcome.MISSED
    assert coverage(0.76, math.nan, replications=1) is Outcome.KEPT


def test_the_replications_that_would_decide_by_hand() -> None:
    # ceil(R × (half-width ÷ distance)²)
    assert replications_to_decide(5, 0.06, 0.02) == 45  # 5 × 9
    assert replications_to_decide(5, 0.03, 0.02) == 12  # 5 × 2.25 = 11.25
    assert replications_to_decide(5, 0.02, 0.02) == 6  # at least one more than run
    verdict = judge(0.5, FLOOR, 0.375, 5, at_most=False)  # distance 0.25: 5 × 1.5² = 11.25
    assert verdict.replications_to_decide == 12 and verdict.halfwidth == 0.375
    assert judge(0.5, FLOOR, 0.125, 5, at_most=False).replications_to_decide is None
    assert judge(14.0, CEILING, 6.0, 4, at_most=True).replications_to_decide == 16  # 4 × 2²


@pytest.mark.parametrize("replications", [2, 5, 40])
def test_the_estimate_never_asks_for_fewer_replications_than_were_run(
        replications: int) -> None:
    assert replications_to_decide(replications, 1.0, 1.0) == replications + 1
    assert replications_to_decide(replications, 3.0, 1.0) == 9 * replications
