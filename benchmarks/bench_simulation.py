"""Benchmark: govsim's simulation speed against a minimal plain-SimPy M/M/c, in the same run.

    python benchmarks/bench_simulation.py [--cases 200000] [--counties 183] [--repeats 3]

1. Per-case speed: an M/M/5 queue at ρ = 0.9 (exponential service of 1 h, no abandonment),
   once as a textbook SimPy model (``simpy.Resource``, ``random.expovariate`` per customer)
   and once through ``govsim.sim.simulate_year`` on a one-county, one-item scenario with the
   same load (everything included: drawing the streams, tables at year end). Prints customers
   per second of each and the ratio plain/govsim (per-case overhead; the issue asks ≤ 1.5).
2. Scale: wall time and peak resident memory of one replication-year of a synthetic
   ``--counties`` scenario (``govsim.generate.generate_scenario``), baseline staffing.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import simpy

import govsim
from govsim.sim import simulate_year


def plain_simpy_mmc(lam: float, mu: float, c: int, customers: int, seed: int) -> float:
    """Seconds to serve ``customers`` arrivals of a textbook SimPy M/M/c."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits: list[float] = []

    def customer(env: simpy.Environment):
        arrived = env.now
        with servers.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(mu))

    def source(env: simpy.Environment):
        for _ in range(customers):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def mmc_scenario(lam: float, c: int, hours: float) -> govsim.Scenario:
    tiny = govsim.load_scenario("tiny").to_dict()
    return govsim.Scenario.from_dict({
        "scenario": {**tiny["scenario"], "hours_per_year": hours,
                     "productive_hours_per_fte": hours},
        "policy": tiny["policy"], "counties": [tiny["counties"][0]],
        "items": [{"id": "mmc", "name_zh": "个案", "kind": "service", "fund": "relief",
                   "driver": ["county"], "rate": lam * hours, "distribution": "exponential",
                   "mean_hours": 1.0}],
        "provider_types": tiny["provider_types"],
        "baseline": {"caseworker_assignment": "explicit",
                     "public_staff": [{"county": "east", "item": "mmc", "fte": c}]},
    })


def govsim_mmc(scenario: govsim.Scenario, seed: int) -> tuple[float, int]:
    start = time.perf_counter()
    result, _ = simulate_year(scenario, scenario.scenario.base_year, None, None, seed)
    return time.perf_counter() - start, int(result.kpis["arrivals"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--counties", type=int, default=183)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    lam, c = 4.5, 5
    scenario = mmc_scenario(lam, c, hours=args.cases / lam)
    plain_rates, govsim_rates = [], []
    for k in range(args.repeats):  # interleaved, best of each
        plain_rates.append(args.cases / plain_simpy_mmc(lam, 1.0, c, args.cases, seed=k))
        seconds, cases = govsim_mmc(scenario, seed=k)
        govsim_rates.append(cases / seconds)
    plain, ours = max(plain_rates), max(govsim_rates)
    print(f"plain SimPy M/M/{c} (rho 0.9): {plain:,.0f} customers/s (best of {args.repeats})")
    print(f"govsim simulate_year, same load: {ours:,.0f} cases/s (best of {args.repeats})")
    print(f"per-case overhead ratio plain/govsim: {plain / ours:.2f} (target <= 1.5)")

    if args.counties > 0:
        from govsim.generate import generate_scenario

        big = generate_scenario(args.counties, seed=1)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result, state = simulate_year(big, big.scenario.base_year, None, None, seed=1)
        seconds = time.perf_counter() - start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cases = int(result.kpis["arrivals"].sum())
        print(f"{args.counties}-county synthetic scenario, one replication-year: "
              f"{seconds:,.1f} s wall, {cases:,} cases ({cases / seconds:,.0f} cases/s), "
              f"{state.backlog_cases:,} waiting at year end, peak RSS "
              f"{rss_after / 1024:,.0f} MiB (before: {rss_before / 1024:,.0f} MiB)")


if __name__ == "__main__":
    main()
