"""Counties' whole posts solved in threads: the plan a single thread makes, whatever the
threads and the order in which they finish (``rounding._CountyQueue``)."""

from __future__ import annotations

import random
import threading
import time

import pandas as pd
import pulp
import pytest

import govsim
from govsim.allocation import allocate, milp, rounding


def test_guangan_plan_is_the_same_on_one_two_and_three_threads(
        guangan: govsim.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    # Guang'an's counties share the lottery fund: each county's row bound depends on what the
    # counties before it used; the first county leaves part of its share to the next
    queues: list[rounding._CountyQueue] = []
    real_init = rounding._CountyQueue.__init__

    def kept(self: rounding._CountyQueue, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        queues.append(self)

    monkeypatch.setattr(rounding._CountyQueue, "__init__", kept)
    plans = {}
    for threads in (1, 2, 3):
        milp.clear_memo()  # every stage solved, none answered from another run's
        plans[threads] = allocate(guangan, threads=threads)
    started_early = [q.right + q.wrong for q in queues[1:]]
    assert all(n > 0 for n in started_early)  # the threaded runs did start counties early
    for threads in (2, 3):
        for table in ("allocation", "unmet", "staffing", "constraints", "goals"):
            pd.testing.assert_frame_equal(getattr(plans[threads], table),
                                          getattr(plans[1], table), check_exact=True)


def _fake_counties(deviations: dict[str, float], delays: dict[str, float]):
    """A shared fund of 10 a county, each county's linear share 10: a county uses its share
    plus its own deviation, or (a positive deviation) as much of that as its bound allows —
    a county that rounds down leaves the rest to the next. Returns ``rows_of``, ``solve``,
    ``reset``, the calls and ``hand_out``."""
    counties = list(deviations)
    done: list[str] = []
    beyond = [0.0]
    calls: list[tuple[str, float]] = []
    lock = threading.Lock()

    def rows_of(county: str) -> rounding._Block:
        known = counties.index(county) == len(done)
        bound = rounding.share_bound(pulp.LpConstraintLE, 10.0 * len(counties),
                                     10.0 * (len(counties) - 1), beyond[0] if known else 0.0,
                                     10.0)
        return [(f"row:{county}", {}, pulp.LpConstraintLE, bound)]

    def solve(county: str, rows: rounding._Block) -> rounding._CountyPlan:
        time.sleep(delays[county])
        bound = rows[0][3]
        with lock:
            calls.append((county, bound))
        use = min(bound, 10.0 + deviations[county]) if deviations[county] > 0 else \
            10.0 + deviations[county]
        return rounding._CountyPlan(rows, {}, {"row": use}, {"need": bound})

    def hand_out(county: str, plan: rounding._CountyPlan) -> None:
        beyond[0] += plan.use["row"] - 10.0
        done.append(county)

    return rows_of, solve, (lambda county, rows: None), calls, hand_out


@pytest.mark.parametrize("seed", range(6))
def test_the_queue_hands_out_what_one_thread_would(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"c{k}" for k in range(12)]
    deviations = {c: rng.choice([0.0, 0.0, -2.5, 2.5, 1e-6, -1e-6]) for c in names}
    delays = {c: rng.choice([0.0, 0.001, 0.005]) for c in names}
    handed: dict[int, list[tuple[str, float, float]]] = {}
    for threads in (1, 2, 4):
        rows_of, solve, reset, calls, hand_out = _fake_counties(deviations, delays)
        order = []
        with rounding._CountyQueue(names, rows_of, solve, reset, threads) as queue:
            for county, plan in queue:
                order.append((county, plan.rows[0][3], plan.use["row"]))
                hand_out(county, plan)
        handed[threads] = order
        # every county solved at least once, and with the rows it was handed out with
        assert {c for c, _ in calls} == set(names)
    assert handed[2] == handed[1] and handed[4] == handed[1]


def test_the_queue_stops_starting_counties_early_when_its_guesses_keep_failing() -> None:
    names = [f"c{k}" for k in range(20)]
    deviations = {c: -1.0 for c in names}  # every county leaves a share: every guess is wrong
    rows_of, solve, reset, calls, hand_out = _fake_counties(deviations, dict.fromkeys(names,
                                                                                    0.002))
    with rounding._CountyQueue(names, rows_of, solve, reset, 2) as queue:
        for county, plan in queue:
            hand_out(county, plan)
    assert queue.right == 0
    # it stops at the first miss beyond the allowance; those already started still end
    assert queue.wrong <= rounding.MISSES_ALLOWED + 1 + rounding.MOST_AHEAD
    assert queue.wrong < len(names) - 1
    assert len(calls) <= len(names) + queue.wrong


LE, GE = pulp.LpConstraintLE, pulp.LpConstraintGE


def test_a_county_is_left_what_the_counties_before_it_left() -> None:
    # fund 100; the linear optimum gives the others 70 and this county 30
    assert rounding.share_bound(LE, 100.0, 70.0, 0.0, 30.0) == 30.0
    assert rounding.share_bound(LE, 100.0, 70.0, -2.5, 30.0) == 32.5  # left by those before
    assert rounding.share_bound(LE, 100.0, 70.0, 1.5, 28.0) == 28.5  # they used 1.5 more
    # a leftover is passed on however small; an excess of a yuan or less is not
    assert rounding.share_bound(LE, 100.0, 70.0, -1e-6, 30.0) == 100.0 - (70.0 - 1e-6)
    noise = rounding.SHARE_NOISE
    assert rounding.share_bound(LE, 100.0, 70.0, noise, 30.0) == 30.0
    assert rounding.share_bound(LE, 100.0, 70.0, 2 * noise, 29.0) == 100.0 - (70.0 + 2 * noise)


@pytest.mark.parametrize("beyond", [0.0, 1e-5, 1e-4, 2e-4, 0.3, 5.0])
def test_a_county_may_always_keep_its_linear_share(beyond: float) -> None:
    # Guang'an sensitivity sweep, point 3: the optimum left Yuechi 0.87 yuan; two counties
    # before it used it; without this floor its bound fell below zero (no whole-post plan)
    share = 8.685e-5
    bound = rounding.share_bound(LE, 200.0, 200.0 - share, beyond, share)
    assert bound >= share
    # a row that asks for a share (at least): never more than the county's linear part
    assert rounding.share_bound(GE, 30.0, 20.0, -beyond, 10.0) <= 10.0
