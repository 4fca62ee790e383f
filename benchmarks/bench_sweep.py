"""Benchmark: sweep throughput by executor, scaling efficiency, and the store's cost per run.

    python benchmarks/bench_sweep.py [--sweep scenarios/sweeps/tiny.toml] [--points N]
                                     [--workers 2] [--store-runs 1000]

1. Baseline: every run of the sweep executed in a plain loop in this process, nothing stored
   (``govsim.sweep.tasks.execute``) — the model's own cost.
2. The same sweep through ``run_sweep`` with 1 local worker (in-process), ``--workers``
   local worker processes, and a Dask ``LocalCluster`` of ``--workers`` processes, each into
   a fresh folder. Prints runs per second (wall clock, including starting the workers or the
   cluster) and in steady state (first stored run to last), the ratio to the baseline and
   the scaling efficiency ``rate(N) / (N · rate(1 local))`` of both, and the tail: how long
   after the last-but-one run the last one was stored (one worker idle meanwhile).
3. The machine's own ceiling (``--ceiling-runs K``, 0 to skip): the sweep's first K runs in
   one fresh process alone, then in two fresh processes at once (each the same K runs, after
   one warm-up run): alone ÷ the slower of the two is the efficiency two workers could reach
   if nothing but sharing the machine (memory, caches, the host) cost anything. The
   executors' efficiency is also printed as a share of it.
4. The store alone: ``--store-runs`` synthetic outcomes inserted one transaction each into a
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


def timed_sweep(spec_path: Path, folder: Path,
                **options: object) -> tuple[int, float, float, float]:
    """Runs, wall seconds, seconds from the first stored run to the last (steady state), and
    seconds between the last two stored runs (the tail)."""
    stamps: list[float] = []

    def progress(p: SweepProgress) -> None:
        if p.new:
            stamps.append(time.perf_counter())

    started = time.perf_counter()
    result = run_sweep(spec_path, folder, progress=progress, **options)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    assert result.counts()["ok"] == len(result.runs) == result.expected_runs
    return len(result.runs), seconds, stamps[-1] - stamps[0], stamps[-1] - stamps[-2]


def alone(spec_path: Path, runs: int) -> float:
    """Seconds of the sweep's first ``runs`` runs in a bare loop, after one warm-up run (the
    compiled code loaded; the stage memos emptied after it)."""
    from govsim.allocation.milp import clear_memo

    spec = load_sweep_spec(spec_path)
    context = run_context(spec)
    tasks = list(pending_tasks(spec, make_design(spec), set()))
    measured = tasks[:runs]
    execute(context, tasks[runs] if len(tasks) > runs else tasks[-1])  # warm-up
    clear_memo()
    started = time.perf_counter()
    for task in measured:
        outcome = execute(context, task)
        assert outcome.status == "ok", outcome.error
    return time.perf_counter() - started


def ceiling(spec_path: Path, runs: int) -> tuple[float, list[float]]:
    """Seconds of ``runs`` runs in one fresh process alone, and in each of two at once."""
    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, __file__, "--measure", f"alone:{runs}",
                                 "--sweep", str(spec_path)], stdout=subprocess.PIPE, text=True)

    def seconds(process: subprocess.Popen[str]) -> float:
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"the ceiling's process failed ({process.returncode})")
        return float(json.loads(out.strip().splitlines()[-1]))

    single = seconds(start())
    pair = [start(), start()]
    return single, [seconds(p) for p in pair]


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


def measure(config: str, spec_path: Path, workers: int) -> tuple[int, float, float, float]:
    """Runs, wall seconds, steady-state seconds and tail of one configuration, in this
    process."""
    if config == "baseline":
        runs, seconds = baseline(spec_path)
        return runs, seconds, seconds * (runs - 1) / runs, 0.0
    options: dict[str, object] = {"workers": 1 if config == "local1" else workers}
    if config == "dask":
        options["executor"] = "dask"
    with tempfile.TemporaryDirectory() as tmp:
        return timed_sweep(spec_path, Path(tmp) / "out", **options)


def in_fresh_process(config: str, args: argparse.Namespace, spec_path: Path
                     ) -> tuple[int, float, float, float]:
    out = subprocess.run([sys.executable, __file__, "--measure", config, "--sweep",
                          str(spec_path), "--workers", str(args.workers)],
                         check=True, capture_output=True, text=True)
    runs, seconds, steady, tail = json.loads(out.stdout.strip().splitlines()[-1])
    return int(runs), float(seconds), float(steady), float(tail)


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
    parser.add_argument("--ceiling-runs", type=int, default=6,
                        help="runs of the machine-ceiling measurement (0: skip it)")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure and args.measure.startswith("alone:"):
        print(json.dumps(alone(args.sweep, int(args.measure.split(":")[1]))))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.sweep, args.workers)))
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = with_points(args.sweep, args.points, Path(tmp))
        results = {config: in_fresh_process(config, args, spec_path)
                   for config in ("baseline", "local1", "local", "dask")}
        limit = None
        if args.ceiling_runs > 0:
            single, pair = ceiling(spec_path, args.ceiling_runs)
            limit = single / max(pair)
            print(f"machine ceiling: {args.ceiling_runs} runs alone {single:.1f} s, two "
                  f"processes at once {pair[0]:.1f} and {pair[1]:.1f} s: {limit:.3f}")
    n, bare, _, _ = results["baseline"]
    rate_bare = n / bare
    print(f"{'configuration':36s} {'runs':>5s} {'wall s':>7s} {'runs/s':>7s} {'steady':>7s} "
          f"{'÷ base':>6s} {'effic.':>6s} {'steady eff.':>11s} {'tail s':>6s}")
    print(f"{'baseline loop (no store)':36s} {n:5d} {bare:7.1f} {rate_bare:7.2f}")
    labels = {"local1": ("local, 1 worker (in-process)", 1),
              "local": (f"local, {args.workers} worker processes", args.workers),
              "dask": (f"Dask LocalCluster, {args.workers} workers", args.workers)}
    one = results["local1"]
    rate_one, steady_one = one[0] / one[1], (one[0] - 1) / one[2]
    for config, (label, workers) in labels.items():
        runs, seconds, steady_s, tail = results[config]
        rate, steady = runs / seconds, (runs - 1) / steady_s
        efficiency = rate / (workers * rate_one)
        print(f"{label:36s} {runs:5d} {seconds:7.1f} {rate:7.2f} {steady:7.2f} "
              f"{rate / rate_bare:6.2f} {efficiency:6.2f} "
              f"{steady / (workers * steady_one):11.2f} {tail:6.1f}")
        if limit is not None and workers == 2:
            print(f"{'':36s} efficiency {efficiency:.2f} = {efficiency / limit:.2f} of the "
                  f"machine's ceiling")
    per_run = store_cost(args.store_runs)
    mean_run = bare / n
    print(f"store: {per_run * 1e3:.2f} ms per stored run ({args.store_runs} inserts, one "
          f"transaction each) = {per_run / mean_run:.1%} of a mean baseline run "
          f"({mean_run * 1e3:.0f} ms)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
