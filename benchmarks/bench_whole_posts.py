"""Benchmark: one allocation and its whole-post step, the county MILPs built through PuLP (as
before issue 15, item 4) against built directly in highspy, cold and remembered.

    python benchmarks/bench_whole_posts.py [--scenario guangan | --counties N] [--direct-only]

Allocates the scenario's first plan year (``estimates_from_scenario``) three times in this
process and checks the three allocations are identical:

1. **PuLP route** (the baseline, measured in the same run): each county stage made into a
   ``pulp.LpProblem`` and solved by ``pulp.HiGHS`` — the code of ``rounding._stage`` before
   :mod:`govsim.allocation.milp`;
2. **direct**, stage memo emptied: the same models handed to highspy as arrays;
3. **remembered**: the same allocation again, every county stage answered by the memo (what
   a check round or a sweep point that repeats a county's inputs costs).

Prints wall seconds of the allocation, of the whole-post step and of the county stages, the
ratios to the baseline and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pulp

import govsim
from govsim.allocation import allocate, estimates_from_scenario, milp, rounding
from govsim.generate import generate_scenario


def _pulp_stage(model: Any, county: str, goal: Any, objective: pulp.LpAffineExpression,
                expr: pulp.LpAffineExpression, rows: list, holds: list) -> float:
    """The county stage as it was built before: a PuLP problem solved by ``pulp.HiGHS``."""
    problem = pulp.LpProblem(f"{model.problem.name}_{county}_{goal.key}", goal.sense)
    for name, coefs, sense, rhs in rows:
        safe = "".join(ch if ch.isalnum() else "_" for ch in name)
        problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(coefs), sense, safe,
                                                rhs))
    for k, (held_sense, held_expr, bound) in enumerate(holds):
        sense = pulp.LpConstraintLE if held_sense == pulp.LpMinimize else pulp.LpConstraintGE
        problem.addConstraint(pulp.LpConstraint(held_expr, sense, f"hold_{k}", bound))
    problem.setObjective(objective)
    status = problem.solve(pulp.HiGHS(msg=False, gapRel=rounding.MIP_GAP,
                                      timeLimit=rounding.MIP_SECONDS))
    for give_abs, give_rel in rounding.HOLD_RETRIES:  # as issue 18 added them
        if status != pulp.LpStatusInfeasible or not holds:
            break
        for k, (held_sense, _, bound) in enumerate(holds):
            if k == 0 and model.goals and model.goals[0].key == "caps":
                continue
            give = max(give_abs, give_rel * abs(bound))
            loose = bound + give if held_sense == pulp.LpMinimize else bound - give
            problem.constraints[f"hold_{k}"].constant = -loose
        status = problem.solve(pulp.HiGHS(msg=False, gapRel=rounding.MIP_GAP,
                                          timeLimit=rounding.MIP_SECONDS))
    assert status == pulp.LpStatusOptimal
    return float(pulp.value(expr) or 0.0)


def _timed(stage: Callable[..., float], clock: dict[str, float]) -> Callable[..., float]:
    def wrapper(*args: Any) -> float:
        started = time.perf_counter()
        try:
            return stage(*args)
        finally:
            clock["stages"] += time.perf_counter() - started
            clock["count"] += 1
    return wrapper


def once(scenario: govsim.Scenario, stage: Callable[..., float]) -> tuple[dict[str, float],
                                                                          pd.DataFrame]:
    year = scenario.header.base_year
    estimates = estimates_from_scenario(scenario, year)
    clock = {"stages": 0.0, "count": 0, "whole_posts": 0.0}
    saved_stage, saved_whole = rounding._stage, rounding.whole_posts

    def whole(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return saved_whole(*args)
        finally:
            clock["whole_posts"] += time.perf_counter() - started

    import govsim.allocation.solve as solve

    rounding._stage = _timed(stage, clock)
    solve.whole_posts = whole
    try:
        started = time.perf_counter()
        result = allocate(scenario, estimates, year)
        clock["allocation"] = time.perf_counter() - started
    finally:
        rounding._stage = saved_stage
        solve.whole_posts = saved_whole
    return clock, result.allocation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="guangan")
    parser.add_argument("--counties", type=int, default=None)
    parser.add_argument("--direct-only", action="store_true",
                        help="time only the direct route, cold (a large scenario's allocation "
                             "takes minutes)")
    args = parser.parse_args()
    if args.counties:
        scenario = generate_scenario(args.counties, seed=1)
        name = f"synthetic, {args.counties} counties"
    else:
        scenario = govsim.load_scenario(args.scenario)
        name = args.scenario
    print(f"scenario: {name}; load average {os.getloadavg()[0]:.1f}")
    runs: dict[str, tuple[dict[str, float], pd.DataFrame]] = {}
    if not args.direct_only:
        runs["pulp route"] = once(scenario, _pulp_stage)
    milp.clear_memo()
    runs["direct, cold"] = once(scenario, rounding._stage)
    if not args.direct_only:
        runs["direct, remembered"] = once(scenario, rounding._stage)
    first = next(iter(runs))
    base = runs[first][0]
    for label, (clock, table) in runs.items():
        pd.testing.assert_frame_equal(table, runs[first][1], check_exact=True)
        print(f"{label:>20}: allocation {clock['allocation']:7.2f} s "
              f"({base['allocation'] / clock['allocation']:4.1f}x), whole posts "
              f"{clock['whole_posts']:7.2f} s ({base['whole_posts'] / clock['whole_posts']:4.1f}x),"
              f" {clock['count']} county stages {clock['stages']:7.2f} s "
              f"({base['stages'] / max(clock['stages'], 1e-9):5.1f}x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"allocations identical; peak resident memory {peak:.0f} MiB; load average "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
