"""Allocation model: PuLP build and solve time against the same matrix solved by highspy.

Run: ``python benchmarks/bench_allocation.py [--counties 183] [--scale 5]``. For each size it
builds the PuLP model (``build_model``), solves it with CBC and with HiGHS through PuLP
(``solve_model``), then hands the identical matrix (exported by PuLP as MPS) to ``highspy``
directly with the same options (IPM + crossover), and prints times and ratios. Numbers are
wall-clock seconds of one run on this machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import highspy

from govsim.allocation import build_model, estimates_from_scenario
from govsim.allocation.solve import solve_model
from govsim.generate import generate_scenario


def _highspy_direct(model) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "model.mps")
        model.problem.writeMPS(path, rename=True, with_objsense=True)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "on")
        h.readModel(path)
        started = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - started
        return seconds, h.getInfo().objective_function_value


def bench(counties: int) -> dict[str, float]:
    scenario = generate_scenario(counties, seed=1)
    year = scenario.header.base_year
    estimates = estimates_from_scenario(scenario, year)
    started = time.perf_counter()
    model = build_model(scenario, estimates, year)
    build = time.perf_counter() - started
    out = {"counties": counties, "variables": model.problem.numVariables(),
           "rows": len(model.rows), "build": build}
    for solver in ("cbc", "highs"):
        model = build_model(scenario, estimates, year)
        out[solver] = solve_model(model, solver).seconds
        out[f"{solver}_obj"] = model.problem.objective.value()
    out["highspy"], out["highspy_obj"] = _highspy_direct(build_model(scenario, estimates, year))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counties", type=int, default=183)
    parser.add_argument("--scale", type=int, default=5)
    args = parser.parse_args()
    print(f"{'counties':>8} {'vars':>7} {'rows':>7} {'build s':>8} {'cbc s':>7} {'highs s':>8} "
          f"{'highspy s':>9} {'build/cbc':>9} {'pulp-highs/highspy':>18} {'obj rel diff':>12}")
    for counties in (args.counties, args.counties * args.scale):
        r = bench(counties)
        diff = abs(r["cbc_obj"] - r["highs_obj"]) / abs(r["highs_obj"])
        print(f"{r['counties']:>8} {r['variables']:>7} {r['rows']:>7} {r['build']:>8.3f} "
              f"{r['cbc']:>7.3f} {r['highs']:>8.3f} {r['highspy']:>9.3f} "
              f"{r['build'] / r['cbc']:>9.2f} {r['highs'] / r['highspy']:>18.2f} {diff:>12.1e}")


if __name__ == "__main__":
    main()
