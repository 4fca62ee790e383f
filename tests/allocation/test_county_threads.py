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
    """A shared row of bound 100 over counties with linear shares of 10: each county uses its
    bound's excess over the share plus its own deviation (a county that rounds down leaves the
    rest to the next). Returns ``rows_of``, ``solve``, ``reset``, the calls and ``hand_out``."""
    counties = list(deviations)
    done: list[str] = []
    beyond = [0.0]
    calls: list[tuple[str, float]] = []
    lock = threading.Lock()

    def rows_of(county: str) -> rounding._Block:
        known = counties.index(county) == len(done)
        extra = beyond[0] if known else 0.0
        if abs(extra) <= rounding.SHARE_NOISE:
            extra = 0.0
        bound = 100.0 - (10.0 * (len(counties) - 1) + extra)
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
    assert queue.wrong <= rounding.MISSES_ALLOWED + 1 + queue.threads
    assert len(calls) <= len(names) + queue.wrong
