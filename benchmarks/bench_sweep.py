"""Benchmark: sweep throughput by executor, scaling efficiency, and the store's cost per run.

    python benchmarks/bench_sweep.py [--sweep scenarios/sweeps/tiny.toml] [--points N]
                                     [--workers 2] [--store-runs 1000]

1. Baseline: every run of the sweep executed in a plain loop in this process, nothing stored
   (``govsim.sweep.tasks.execute``) — the model's own cost.
2. The same sweep through ``run_sweep`` with 1 local worker (in-process), ``--workers``
   local worker processes, and a Dask ``LocalCluster`` of ``--workers`` processes, each into
   a fresh folder. Prints runs per second (wall clock, including starting the workers or the
   cluster) and in steady state (first stored run to last), the ratio to the baseline and
   the scaling efficiency ``rate(N) / (N · rate(1 local))`` of both.
3. The store alone: ``--store-runs`` synthetic outcomes inserted one transaction each into a
   fresh DuckDB store; milliseconds per run, and as a share of a mean run of step 1.

Each configuration runs in a fresh Python process: the simulation remembers pool outcomes per
process (``govsim.sim.engine.run_pool_cached``), and with common random numbers a pool that a
parameter does not touch repeats across points, so a warm process would flatter whichever
configuration ran last. Also prints the load average: the development machine is shared, so
compare ratios measured in the same run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from govsim.sweep import SweepProgress, load_sweep_spec, run_sweep
from govsim.sweep.runner import pending_tasks, run_context
from govsim.sweep.samplers import make_design
from govsim.sweep.store import SweepStore
from govsim.sweep.tasks import RunOutcome, execute


def baseline(spec_path: Path) -> tuple[int, float]:
    """Runs and seconds of a bare loop over every run (no store, no executor)."""
    spec = load_sweep_spec(spec_path)
    design = make_design(spec)
    context = run_context(spec)
    tasks = list(pending_tasks(spec, design, set()))
    started = time.perf_counter()
    for task in tasks:
        outcome = execute(context, task)
        assert outcome.status == "ok", outcome.error
    return len(tasks), time.perf_counter() - started


def timed_sweep(spec_path: Path, folder: Path, **options: object) -> tuple[int, float, float]:
    """Runs, wall seconds, and seconds from the first stored run to the last (steady state)."""
    stamps: list[float] = []

    def progress(p: SweepProgress) -> None:
        if p.new:
            stamps.append(time.perf_counter())

    started = time.perf_counter()
    result = run_sweep(spec_path, folder, progress=progress, **options)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    assert result.counts()["ok"] == len(result.runs) == result.expected_runs
    return len(result.runs), seconds, stamps[-1] - stamps[0]


def store_cost(runs: int, metrics: int = 6) -> float:
    """Seconds per stored run: one INSERT transaction each into a fresh store."""
    import numpy as np
    import pandas as pd

    names = [f"m{i}" for i in range(metrics)]
    points = pd.DataFrame({"point": np.arange(runs, dtype=np.int64), "x": np.zeros(runs)})
    with tempfile.TemporaryDirectory() as tmp, SweepStore(Path(tmp)) as store:
        store.initialise({"spec_hash": "bench", "spec_json": "{}"}, points, None, names)
        outcomes = [RunOutcome(p, 0, "ok", None, 0.1, dict.fromkeys(names, 1.0), "bench")
                    for p in range(runs)]
        started = time.perf_counter()
        for outcome in outcomes:
            store.add(outcome)
        return (time.perf_counter() - started) / runs


def measure(config: str, spec_path: Path, workers: int) -> tuple[int, float, float]:
    """Runs, wall seconds and steady-state seconds of one configuration, in this process."""
    if config == "baseline":
        runs, seconds = baseline(spec_path)
        return runs, seconds, seconds * (runs - 1) / runs
    options: dict[str, object] = {"workers": 1 if config == "local1" else workers}
    if config == "dask":
        options["executor"] = "dask"
    with tempfile.TemporaryDirectory() as tmp:
        return timed_sweep(spec_path, Path(tmp) / "out", **options)


def in_fresh_process(config: str, args: argparse.Namespace, spec_path: Path
                     ) -> tuple[int, float, float]:
    out = subprocess.run([sys.executable, __file__, "--measure", config, "--sweep",
                          str(spec_path), "--workers", str(args.workers)],
                         check=True, capture_output=True, text=True)
    runs, seconds, steady = json.loads(out.stdout.strip().splitlines()[-1])
    return int(runs), float(seconds), float(steady)


def with_points(spec_path: Path, points: int | None, folder: Path) -> Path:
    """A copy of the sweep file with ``sampler.points`` replaced (the scenario resolved)."""
    if points is None:
        return spec_path
    import tomli_w

    data = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    data["sampler"]["points"] = points
    scenario = spec_path.parent / data["sweep"]["scenario"]
    if scenario.is_file():
        data["sweep"]["scenario"] = str(scenario.resolve())
    copy = folder / spec_path.name
    copy.write_text(tomli_w.dumps(data), encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", type=Path, default=Path("scenarios/sweeps/tiny.toml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store-runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=None,
                        help="replace the sweep file's sampler.points (a bigger sweep)")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.sweep, args.workers)))
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = with_points(args.sweep, args.points, Path(tmp))
        results = {config: in_fresh_process(config, args, spec_path)
                   for config in ("baseline", "local1", "local", "dask")}
    n, bare, _ = results["baseline"]
    rate_bare = n / bare
    print(f"{'configuration':36s} {'runs':>5s} {'wall s':>7s} {'runs/s':>7s} {'steady':>7s} "
          f"{'÷ base':>6s} {'effic.':>6s} {'steady eff.':>11s}")
    print(f"{'baseline loop (no store)':36s} {n:5d} {bare:7.1f} {rate_bare:7.2f}")
    labels = {"local1": ("local, 1 worker (in-process)", 1),
              "local": (f"local, {args.workers} worker processes", args.workers),
              "dask": (f"Dask LocalCluster, {args.workers} workers", args.workers)}
    one = results["local1"]
    rate_one, steady_one = one[0] / one[1], (one[0] - 1) / one[2]
    for config, (label, workers) in labels.items():
        runs, seconds, steady_s = results[config]
        rate, steady = runs / seconds, (runs - 1) / steady_s
        print(f"{label:36s} {runs:5d} {seconds:7.1f} {rate:7.2f} {steady:7.2f} "
              f"{rate / rate_bare:6.2f} {rate / (workers * rate_one):6.2f} "
              f"{steady / (workers * steady_one):11.2f}")
    per_run = store_cost(args.store_runs)
    mean_run = bare / n
    print(f"store: {per_run * 1e3:.2f} ms per stored run ({args.store_runs} inserts, one "
          f"transaction each) = {per_run / mean_run:.1%} of a mean baseline run "
          f"({mean_run * 1e3:.0f} ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
