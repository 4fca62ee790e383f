"""Benchmark: the 80 % band of a run's money needed (``with_money_band``) on one run.

    python benchmarks/bench_band.py [--scenario guangan] [--repeat 3] [--years Y]
                                    [--replications R]

Runs the pipeline once (``workers=1``), then times ``with_money_band(result, workers=1)``
``--repeat`` times after one warm-up call (imports, HiGHS's first instance): wall time
(``timings["band"]``, what the manifest records) and this process's CPU time, which a busy
shared machine disturbs much less. As a baseline measured in the same run it times one full
need plan (``govsim.budget.need_plan`` of the first plan year on the run's estimates, every
table) and prints the band's CPU time in such need plans — the band solves samples × years of
them (30 for Guang'an's default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import govsim
from govsim.budget import need_plan
from govsim.pipeline import run as pipeline_run
from govsim.uncertainty.run_band import with_money_band


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="guangan")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--years", type=int, default=None)
    parser.add_argument("--replications", type=int, default=None)
    args = parser.parse_args()
    options = {k: v for k, v in (("years", args.years), ("replications", args.replications))
               if v is not None}
    scenario = govsim.load_scenario(args.scenario)
    result = pipeline_run(scenario, workers=1, **options)
    year, estimates = result.estimates[0]
    need_plan(scenario, estimates, year, solver=result.options.solver)  # warm
    started = time.process_time()
    for _ in range(3):
        need_plan(scenario, estimates, year, solver=result.options.solver)
    unit = (time.process_time() - started) / 3
    with_money_band(result, workers=1)  # warm
    walls, cpus = [], []
    for _ in range(args.repeat):
        started = time.process_time()
        banded = with_money_band(result, workers=1)
        cpus.append(time.process_time() - started)
        walls.append(banded.timings["band"])
    load = os.getloadavg()[0]
    print(f"{args.scenario}: band of {len(result.estimates)} years x "
          f"{banded.tables.manifest['uncertainty']['samples']} samples, "
          f"{args.repeat} repeats, load {load:.1f}")
    print(f"  wall s  min {min(walls):.2f}  median {statistics.median(walls):.2f}")
    print(f"  cpu s   min {min(cpus):.2f}  median {statistics.median(cpus):.2f}")
    print(f"  one full need plan (baseline): {unit * 1e3:.0f} ms cpu; "
          f"band = {statistics.median(cpus) / unit:.1f} need plans")


if __name__ == "__main__":
    main()
