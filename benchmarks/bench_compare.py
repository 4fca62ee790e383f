"""Benchmark: ``govsim compare`` — budget options side by side, and the cap range.

    python benchmarks/bench_compare.py [--options scenarios/options/guangan-budget.toml]
                                       [--workers 2] [--years Y] [--replications R]
                                       [--cap-range 0.01:0.05:0.005] [--no-cap-range]

1. **Options.** As a baseline measured in the same run, one pipeline run of the baseline
   option (``govsim.pipeline.run``, the file's years and replications, ``workers=1``, in this
   process). Then ``compare`` of every option for each ``--workers`` value (comma-separated;
   default the command's, all cores), and ``write_comparison`` into a temporary folder: wall
   time, CPU time of this process and of its worker processes, each option's simulation and
   allocation seconds (``RunResult.timings``), and the comparison's wall in baseline runs
   against the ideal (options ÷ processes). The memos (simulated pools, county MILP stages) are
   emptied before each part, so no part is answered from an earlier one. A digest of the
   written tables (both CSVs, every workbook sheet's values but the generation time and the
   command) is printed: equal digests, equal tables — across worker counts and across code
   versions.
2. **Cap range** (``--cap-range``, ``govsim compare SCENARIO --cap-range ...``): the command in
   a fresh process, as a user runs it, against a fresh process that only imports govsim's
   compare command (the baseline: Python, NumPy, pandas, govsim), measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

import govsim
from govsim.allocation import milp
from govsim.compare import compare, load_options, resolve_options, write_comparison
from govsim.pipeline import run as pipeline_run
from govsim.sim import engine

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = ("生成时间", "Generated", "命令", "Command")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", type=Path,
                        default=ROOT / "scenarios" / "options" / "guangan-budget.toml")
    parser.add_argument("--workers", default="",
                        help="comma-separated process counts (default: the command's)")
    parser.add_argument("--years", type=int, default=None)
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--cap-range", default="0.01:0.05:0.005")
    parser.add_argument("--no-cap-range", action="store_true")
    args = parser.parse_args()
    file = load_options(args.options)
    scenario = govsim.load_scenario(file.scenario or "guangan")
    years = args.years or file.years
    replications = args.replications or file.replications
    options = list(file.options)
    print(f"govsim {govsim.__version__} from {Path(govsim.__file__).parent}; "
          f"{len(options)} options of {args.options.name}, {scenario.name}, years {years}, "
          f"replications {replications}; load average {os.getloadavg()[0]:.1f}")

    forget()
    baseline = resolve_options(scenario, options[:1])[0]
    (_, one_run), cpu = timed(lambda: pipeline_run(baseline, years=years,
                                                   replications=replications, workers=1))
    print(f"baseline: one pipeline run of '{options[0].name}' in this process: wall "
          f"{one_run:.1f} s, cpu {cpu:.1f} s")

    for workers in [int(w) for w in args.workers.split(",") if w.strip()] or [None]:
        forget()
        children = child_cpu()
        (comparison, compare_wall), compare_cpu = timed(lambda w=workers: compare(
            scenario, options, years=years, replications=replications, workers=w,
            title_zh=file.title_zh, title_en=file.title_en))
        worker_cpu = child_cpu() - children
        with tempfile.TemporaryDirectory() as tmp:
            (folder, write_wall), write_cpu = timed(
                lambda c=comparison, t=tmp: write_comparison(c, Path(t) / "compare",
                                                             command="bench"))
            digest = tables_digest(folder)
        processes = min(workers or os.cpu_count() or 1, len(options))
        print(f"compare, workers {workers or 'default'}: wall {compare_wall:.1f} s = "
              f"{compare_wall / one_run:.2f} baseline runs (ideal {len(options) / processes:.2f}"
              f"); cpu {compare_cpu:.1f} s here + {worker_cpu:.1f} s in workers; load average "
              f"{os.getloadavg()[0]:.1f}")
        for option, result in zip(comparison.options, comparison.results, strict=True):
            times = result.timings
            print(f"  {option.name:>14}: simulation {times['simulation']:5.1f} s, allocation "
                  f"{times['allocation']:5.1f} s")
        print(f"  write_comparison: wall {write_wall:.1f} s, cpu {write_cpu:.1f} s "
              f"({write_wall / one_run:.2f} baseline runs); tables digest {digest}")

    if not args.no_cap_range:
        print(cap_range_times(scenario.name, args.cap_range))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: this process {own:.0f} MiB, largest child {largest:.0f} MiB")


def forget() -> None:
    """Empty this process's memos: every part starts cold."""
    milp.clear_memo()
    engine._cache.clear()


def timed(work: Callable[[], Any]) -> tuple[tuple[Any, float], float]:
    """``((result, wall seconds), cpu seconds of this process)``."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    return (result, time.perf_counter() - started), time.process_time() - cpu


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tables_digest(folder: Path) -> str:
    """SHA-256 (first 16 hex digits) of both CSVs and every workbook sheet's values."""
    digest = hashlib.sha256()
    for name in ("comparison.csv", "replications.csv"):
        digest.update((folder / name).read_bytes())
    book = openpyxl.load_workbook(folder / "comparison.xlsx")
    for sheet in book.worksheets:
        digest.update(sheet.title.encode())
        for row in sheet.iter_rows(values_only=True):
            text = repr(row)
            if not any(word in text for word in VOLATILE):
                digest.update(text.encode())
    return digest.hexdigest()[:16]


def cap_range_times(name: str, cap_range: str) -> str:
    """The cap-range command in a fresh process, against a fresh process importing govsim."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "govsim", "compare", name, "--cap-range", cap_range,
                   "--out", str(Path(tmp) / "cap")]
        start = [sys.executable, "-c", "import govsim.cli.compare"]
        walls = {}
        for label, argv in (("start", start), ("cap", command)):
            started = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, cwd=tmp,
                           env={**os.environ, "COLUMNS": "160"})
            walls[label] = time.perf_counter() - started
    return (f"cap range {cap_range} ({name}), the command in a fresh process: wall "
            f"{walls['cap']:.1f} s = {walls['cap'] / walls['start']:.1f} x a fresh process "
            f"importing govsim's compare command ({walls['start']:.1f} s); load average "
            f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
