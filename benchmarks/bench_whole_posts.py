"""Benchmark: one allocation and its whole-post step — the county MILPs proved to a 10⁻⁴ gap
(the stopping rule before issue 15's last change) against today's rule (node limits, a 10⁻³
gap for the need goal, heuristics only when needed), cold and remembered.

    python benchmarks/bench_whole_posts.py [--scenario guangan | --counties N] [--new-only]

Allocates the scenario's first plan year (``estimates_from_scenario``) three times in this
process, HiGHS on one thread throughout:

1. **proved** (the baseline, measured in the same run): every county stage solved until HiGHS
   proves a 10⁻⁴ gap, with its primal heuristics on and no node limit;
2. **node-limited**, stage memo emptied: :func:`govsim.allocation.rounding._solve` as it is;
3. **remembered**: the same allocation again, every county stage answered by the memo.

Prints wall seconds of the allocation, the whole-post step and the county stages, the ratios
to the baseline, each goal's value under both rules (and their relative difference), the
``whole_post_gap`` HiGHS proved, and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

import govsim
from govsim.allocation import AllocationResult, allocate, estimates_from_scenario, milp, rounding
from govsim.generate import generate_scenario


def _proved(stage: milp.MilpStage, gap: float, nodes: int) -> milp.MilpSolution:
    """The former stopping rule: proved to 10⁻⁴, heuristics on, no node limit."""
    return stage.solve(1e-4, rounding.MIP_SECONDS, None, True)


def once(scenario: govsim.Scenario,
         solve: Callable[..., milp.MilpSolution]) -> tuple[dict[str, float], AllocationResult]:
    year = scenario.header.base_year
    estimates = estimates_from_scenario(scenario, year)
    clock = {"stages": 0.0, "count": 0, "whole_posts": 0.0}
    saved_solve, saved_whole = rounding._solve, rounding.whole_posts

    def timed(*args: Any) -> milp.MilpSolution:
        started = time.perf_counter()
        try:
            return solve(*args)
        finally:
            clock["stages"] += time.perf_counter() - started
            clock["count"] += 1

    def whole(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return saved_whole(*args)
        finally:
            clock["whole_posts"] += time.perf_counter() - started

    import govsim.allocation.solve as solve_module

    rounding._solve = timed
    solve_module.whole_posts = whole
    try:
        started = time.perf_counter()
        result = allocate(scenario, estimates, year)
        clock["allocation"] = time.perf_counter() - started
    finally:
        rounding._solve = saved_solve
        solve_module.whole_posts = saved_whole
    return clock, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="guangan")
    parser.add_argument("--counties", type=int, default=None)
    parser.add_argument("--new-only", action="store_true",
                        help="time only today's rule, cold (the proved baseline of a large "
                             "scenario takes many minutes)")
    args = parser.parse_args()
    if args.counties:
        scenario = generate_scenario(args.counties, seed=1)
        name = f"synthetic, {args.counties} counties"
    else:
        scenario = govsim.load_scenario(args.scenario)
        name = args.scenario
    print(f"scenario: {name}; load average {os.getloadavg()[0]:.1f}")
    runs: dict[str, tuple[dict[str, float], AllocationResult]] = {}
    if not args.new_only:
        milp.clear_memo()
        runs["proved 1e-4"] = once(scenario, _proved)
    milp.clear_memo()
    runs["node-limited, cold"] = once(scenario, rounding._solve)
    if not args.new_only:
        runs["node-limited, memo"] = once(scenario, rounding._solve)
        pd.testing.assert_frame_equal(runs["node-limited, memo"][1].allocation,
                                      runs["node-limited, cold"][1].allocation,
                                      check_exact=True)
    base = next(iter(runs.values()))[0]
    for label, (clock, _) in runs.items():
        print(f"{label:>20}: allocation {clock['allocation']:7.2f} s "
              f"({base['allocation'] / clock['allocation']:5.1f}x), whole posts "
              f"{clock['whole_posts']:7.2f} s, {clock['count']} county stages "
              f"{clock['stages']:7.2f} s ({base['stages'] / max(clock['stages'], 1e-9):5.1f}x)")
    goals = pd.DataFrame({label: result.goals.set_index("goal")["value"]
                          for label, (_, result) in runs.items() if "memo" not in label})
    if len(goals.columns) == 2:
        first, second = goals.columns
        goals["relative difference"] = (goals[second] - goals[first]) / goals[first].abs()
    goals["whole_post_gap"] = runs["node-limited, cold"][1].goals.set_index("goal")[
        "whole_post_gap"]
    print(goals.to_string(float_format=lambda v: f"{v:.6g}"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
