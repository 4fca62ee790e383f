"""Benchmark: ``govsim run`` end to end — wall time, peak memory and where the time goes.

    python benchmarks/bench_run.py [--scenario guangan] [--counties N] [--years Y]
                                   [--replications R] [--rounds K] [--workers W]
                                   [--engines compiled,simpy] [--out DIR] [--figures]

Runs the pipeline on a scenario (the built-in default, or a synthetic ``--counties N`` one from
``govsim.generate.generate_scenario(N, seed=1)``), writes the run folder into a temporary
directory, and prints wall time, the split between simulation, allocation and report, and the
peak resident memory of this process and of its worker processes (``ru_maxrss``). As a
baseline measured in the same run it also times one plain ``simulate_year`` of the first plan
year with today's staff (replication 0, in this process), and prints the run's cost in such
replication-years — a ratio that is much less sensitive to how busy the machine is.

With ``--engines compiled,simpy`` the whole run is repeated on each simulation engine (the
baseline replication-year is timed on the first one) and the wall-time ratio is printed; the
two runs' tables must be identical. Peak memory is then the largest over the runs.

With ``--out DIR`` the (last) run folder is kept in ``DIR`` instead of a temporary directory,
and a digest of its tables (every CSV and PNG, SHA-256) is printed: two runs of the same
scenario on two versions of the code wrote the same tables when their digests are equal
(``manifest.json``, ``report.html`` and ``plan.xlsx`` hold timings and dates and are left out).
The CPU seconds of this process and of its worker processes are printed as well.

With ``--figures`` it then times each of the report's figures on the last run's tables (best of
three): building the matplotlib figure, drawing it (layout and rasterising) and compressing the
PNG, in this process and one after the other.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

import govsim
from govsim.generate import generate_scenario
from govsim.output import plots
from govsim.output.figure import encode_png, figure_pixels
from govsim.output.report import PLOTS, RunTables
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
    parser.add_argument("--engines", default="compiled",
                        help="comma-separated simulation engines to time, in order")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep the run folder here and print a digest of its tables")
    parser.add_argument("--figures", action="store_true",
                        help="then time each report figure: build, draw, PNG compression")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.counties:
        scenario = generate_scenario(args.counties, seed=1)
        name = f"synthetic, {args.counties} counties"
    else:
        scenario = govsim.load_scenario(args.scenario)
        name = args.scenario
    year = scenario.header.base_year

    started = time.perf_counter()
    simulate_year(scenario, year, None, None, seed=scenario.header.seed, replication=0,
                  engine=engines[0])
    one_year = time.perf_counter() - started
    print(f"scenario: {name}; workers {args.workers or os.cpu_count()}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"baseline: one replication-year simulate_year ({engines[0]}) in this process: "
          f"{one_year:.2f} s")
    walls = {}
    tables = {}
    for engine in engines:
        started = time.perf_counter()
        result = govsim.run(scenario, years=args.years, replications=args.replications,
                            rounds=args.rounds, workers=args.workers, engine=engine)
        if args.out is not None:
            result.write(args.out, overwrite=True)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                result.write(Path(tmp) / "run")
        wall = walls[engine] = time.perf_counter() - started
        tables[engine] = result.replication_kpis
        timings = result.timings
        rounds = result.tables.rounds
        print(f"govsim run, engine {engine}: {result.options.years} years x "
              f"{result.replications} replications, up to {result.options.rounds} rounds; "
              f"{len(rounds)} rounds run; wall {wall:.1f} s = "
              f"{wall / one_year:.1f} replication-years; load average "
              f"{os.getloadavg()[0]:.1f}")
        report = timings.get("report", 0.0)
        band = timings.get("band", 0.0)
        other = wall - timings["simulation"] - timings["allocation"] - report - band
        print(f"  simulation {timings['simulation']:.1f} s, allocation "
              f"{timings['allocation']:.2f} s, band of money needed {band:.1f} s, report "
              f"{report:.1f} s, other {other:.1f} s")
    if len(engines) > 1:
        first = engines[0]
        for engine in engines[1:]:
            pd.testing.assert_frame_equal(tables[first], tables[engine], check_exact=True)
            print(f"ratio {engine}/{first} wall time: {walls[engine] / walls[first]:.1f}x "
                  f"(replication tables identical)")
    if args.figures:
        print_figure_times(result.tables)
    if args.out is not None:
        print(f"tables digest (CSVs and PNGs of {args.out}): {tables_digest(args.out)}")
    for who, name in ((resource.RUSAGE_SELF, "main process"),
                      (resource.RUSAGE_CHILDREN, "worker processes")):
        usage = resource.getrusage(who)
        print(f"CPU seconds, {name}: {usage.ru_utime + usage.ru_stime:.1f}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: main process {own:.0f} MiB, largest worker {children:.0f} MiB")


def tables_digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of a run folder's CSVs and PNGs, in name order."""
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.csv"), *folder.glob("plots/*.png")]):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def print_figure_times(tables: RunTables, repeats: int = 3) -> None:
    """Seconds to build, draw and compress each report figure (best of ``repeats``)."""
    tables = tables.checked()
    lang = plots.resolve_lang(tables.scenario, None)
    best: dict[str, list[float]] = {}
    for _ in range(repeats):
        for stem, (function, table) in PLOTS.items():
            started = time.perf_counter()
            figure = getattr(plots, function)(tables.table(table), tables.scenario, lang)
            built = time.perf_counter()
            pixels = figure_pixels(figure)
            drawn = time.perf_counter()
            encode_png(pixels)
            done = time.perf_counter()
            times = [built - started, drawn - built, done - drawn]
            best[stem] = [min(a, b) for a, b in zip(best.get(stem, times), times, strict=True)]
    print(f"report figures (best of {repeats}; load average {os.getloadavg()[0]:.1f}):")
    for stem, (build, draw, png) in best.items():
        print(f"  {stem:22s} build {build:.3f} s, draw {draw:.3f} s, png {png:.3f} s")
    build, draw, png = (sum(column) for column in zip(*best.values(), strict=True))
    print(f"  {'all':22s} build {build:.3f} s, draw {draw:.3f} s, png {png:.3f} s "
          f"= {build + draw + png:.2f} s")


if __name__ == "__main__":
    main()
