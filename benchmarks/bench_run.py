"""Benchmark: ``govsim run`` end to end — wall time, peak memory and where the time goes.

    python benchmarks/bench_run.py [--scenario guangan] [--counties N] [--years Y]
                                   [--replications R] [--rounds K] [--workers W]

Runs the pipeline on a scenario (the built-in default, or a synthetic ``--counties N`` one from
``govsim.generate.generate_scenario(N, seed=1)``), writes the run folder into a temporary
directory, and prints wall time, the split between simulation, allocation and report, and the
peak resident memory of this process and of its worker processes (``ru_maxrss``). As a
baseline measured in the same run it also times one plain ``simulate_year`` of the first plan
year with today's staff (replication 0, in this process), and prints the run's cost in such
replication-years — a ratio that is much less sensitive to how busy the machine is.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import govsim
from govsim.generate import generate_scenario
from govsim.sim import simulate_year


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="guangan")
    parser.add_argument("--counties", type=int, default=None,
                        help="use a synthetic scenario with this many counties instead")
    parser.add_argument("--years", type=int, default=None)
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if args.counties:
        scenario = generate_scenario(args.counties, seed=1)
        name = f"synthetic, {args.counties} counties"
    else:
        scenario = govsim.load_scenario(args.scenario)
        name = args.scenario
    year = scenario.scenario.base_year

    started = time.perf_counter()
    simulate_year(scenario, year, None, None, seed=scenario.scenario.seed, replication=0)
    one_year = time.perf_counter() - started

    started = time.perf_counter()
    result = govsim.run(scenario, years=args.years, replications=args.replications,
                        rounds=args.rounds, workers=args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        result.write(Path(tmp) / "run")
    wall = time.perf_counter() - started
    timings = result.timings
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rounds = result.tables.rounds
    print(f"scenario: {name}; {result.options.years} years x {result.replications} "
          f"replications, up to {result.options.rounds} rounds; {len(rounds)} rounds run; "
          f"workers {args.workers or os.cpu_count()}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"baseline: one replication-year simulate_year in this process: {one_year:.1f} s")
    print(f"govsim run wall time: {wall:.1f} s = {wall / one_year:.1f} replication-years")
    print(f"  simulation {timings['simulation']:.1f} s, allocation {timings['allocation']:.2f}"
          f" s, report {timings.get('report', float('nan')):.1f} s, other "
          f"{wall - timings['simulation'] - timings['allocation'] - timings.get('report', 0):.1f}"
          " s")
    print(f"peak resident memory: main process {own:.0f} MiB, largest worker {children:.0f} MiB")


if __name__ == "__main__":
    main()
