"""``compare(scenario, options) -> Comparison``: every option through the pipeline, side by side.

Every option runs through :func:`govsim.pipeline.run` with the **same seed, replications and
years**. The pipeline keys its random streams by (seed, year, replication, purpose, county,
item), so replication r of every option sees the same arrivals, service times and failures:
common random numbers. Differences from the baseline (the first option) are then paired by
replication and their 95 % intervals are much narrower than those of independent runs; two
identical options differ by exactly zero.

Options run in parallel, one pipeline run per option: this process runs options itself beside
``workers - 1`` worker processes (``spawn``), each option claimed by whichever process is free
(:class:`_Shared`), so a two-core comparison starts one worker, not two, keeps this process's
memos (simulated pools, county MILP stages) in use, and never waits for a worker to start.
Results do not depend on the number of workers. Units: see :mod:`govsim.compare.metrics`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govsim.bounds import check_allocatable
from govsim.compare.metrics import (
    METRICS,
    PLAN_METRICS,
    SIMULATION_METRICS,
    Metric,
    mean_ci95,
    paired_difference,
    plan_metrics,
    replication_metrics,
)
from govsim.compare.options import Option, parse_option, resolve_options
from govsim.errors import GovsimError
from govsim.parallel import interrupts_held, process_pool, stop_pool, worker_count
from govsim.pipeline import RunOptions, check_options, run
from govsim.scenario import Scenario, load_scenario

__all__ = ["Comparison", "compare"]

log = logging.getLogger(__name__)

Runner = Callable[..., Any]
#: How long this process waits for a worker's option at a time, seconds.
WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class Comparison:
    """Budget options run on common random numbers, and their differences from the baseline.

    Attributes
    ----------
    options : tuple of Option
        In order; ``options[0]`` is the baseline.
    scenarios : tuple of Scenario
        Each option's resolved scenario (same order).
    results : tuple
        Each option's :class:`govsim.pipeline.RunResult` (same order).
    table : DataFrame
        One row per option: ``option, title_zh, title_en, is_baseline``, then for every metric
        of :data:`~govsim.compare.metrics.METRICS` the columns ``<id>`` (value: the plan's, or
        the mean over replications), ``<id>_ci95`` (95 % half-width over replications; 0 for
        plan metrics), ``<id>_diff`` (mean paired difference from the baseline),
        ``<id>_diff_low``, ``<id>_diff_high`` (its 95 % interval) and ``<id>_significant``
        (the interval excludes 0; empty when it cannot be told).
    replication_table : DataFrame
        ``option, replication`` and every simulation metric, one row per option and replication.
    seed, replications, years
        The common seed, the number of replications and the plan years (calendar years).
    solver, objective, rounds, title_zh, title_en
        How the pipeline was run (``None``: its defaults) and the comparison's titles.
    """

    options: tuple[Option, ...]
    scenarios: tuple[Scenario, ...]
    results: tuple[Any, ...]
    table: pd.DataFrame
    replication_table: pd.DataFrame
    seed: int
    replications: int
    years: tuple[int, ...]
    solver: str = "highs"
    objective: str | None = None
    rounds: int | None = None
    title_zh: str = ""
    title_en: str = ""

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """The metrics of :attr:`table`, in order (ids, names, units) — what a writer shows."""
        return tuple(METRICS)

    @property
    def baseline(self) -> Option:
        return self.options[0]

    @property
    def scenario(self) -> Scenario:
        """The baseline option's scenario."""
        return self.scenarios[0]

    def index(self, name: str) -> int:
        """Position of the option called ``name``."""
        for i, option in enumerate(self.options):
            if option.name == name:
                return i
        raise KeyError(f"no option {name!r}; options: {', '.join(o.name for o in self.options)}")

    def result(self, name: str) -> Any:
        """The pipeline result of the option called ``name``."""
        return self.results[self.index(name)]

    def long(self) -> pd.DataFrame:
        """The table in tidy form: one row per option and metric.

        Columns ``option, metric, name_zh, name_en, unit, kind, value, ci95, diff, diff_low,
        diff_high, significant``.
        """
        rows = []
        for record in self.table.to_dict("records"):
            policy = self.scenarios[self.index(record["option"])].policy
            for m in METRICS:
                rows.append({"option": record["option"], "metric": m.id,
                             "name_zh": m.name("zh", policy), "name_en": m.name("en", policy),
                             "unit": m.unit, "kind": m.kind,
                             "value": record[m.id], "ci95": record[f"{m.id}_ci95"],
                             "diff": record[f"{m.id}_diff"],
                             "diff_low": record[f"{m.id}_diff_low"],
                             "diff_high": record[f"{m.id}_diff_high"],
                             "significant": record[f"{m.id}_significant"]})
        frame = pd.DataFrame(rows)
        frame["significant"] = frame["significant"].astype("boolean")
        return frame


def compare(scenario: Scenario | str | Path, options: Sequence[Option | str], *,
            years: int | None = None, replications: int | None = None, seed: int | None = None,
            rounds: int | None = None, solver: str = "highs", objective: str | None = None,
            workers: int | None = None, progress: Callable[[int, int], None] | None = None,
            runner: Runner | None = None, title_zh: str = "",
            title_en: str = "", engine: str = "compiled",
            resolved: Sequence[Scenario] | None = None) -> Comparison:
    """Run every option through the pipeline on common random numbers and compare them.

    Parameters
    ----------
    scenario : Scenario or str or Path
        The baseline scenario (or a file / built-in name) that options override.
    options : sequence of Option or str
        The options, baseline first; a string is the command-line form
        ``"NAME: path=value; path=value"``.
    years, replications, seed : int, optional
        Shared by every option; default the baseline scenario's ``horizon_years``,
        ``replications`` and ``seed``.
    rounds, solver, objective
        Passed to :func:`govsim.pipeline.run`.
    workers : int, optional
        Processes running options in parallel, this one included (default: all cores, at most
        one per option; ``1`` runs them one after the other in this process).
    progress : callable, optional
        ``progress(done, total)`` after each finished option.
    runner : callable, optional
        Stand-in for :func:`govsim.pipeline.run` (same signature; picklable for workers > 1).
    engine : {"compiled", "simpy"}
        Simulation engine, passed to the runner; results do not depend on it.
    resolved : sequence of Scenario, optional
        The options' scenarios as :func:`~govsim.compare.options.resolve_options` returned
        them for these very ``scenario`` and ``options`` (the command line resolves them once,
        to report bad options before it checks the output folder); default: resolved here.

    Returns
    -------
    Comparison

    Raises
    ------
    OptionError
        Before anything runs, naming every bad option and override path.
    GovsimError
        If the runs do not share their replications.

    Examples
    --------
    >>> c = compare("tiny", ["base:", "same:", "cap-5%: policy.relief_cap_share=0.05"],
    ...             years=1, replications=2, workers=1)
    >>> c.table["spend_total_wan_diff"].gt(0).tolist()   # the caps bind in tiny at 3 %
    [False, False, True]
    >>> float(c.table.loc[1, "weighted_coverage_diff"])   # same random numbers: exactly 0
    0.0
    """
    baseline = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    opts = [parse_option(o) if isinstance(o, str) else o for o in options]
    scenarios = list(resolved) if resolved is not None else resolve_options(baseline, opts)
    if len(scenarios) != len(opts):
        raise GovsimError(f"{len(scenarios)} resolved scenarios for {len(opts)} options")
    header = baseline.header
    settings = {"years": header.horizon_years if years is None else int(years),
                "replications": header.replications if replications is None
                else int(replications),
                "seed": header.seed if seed is None else int(seed),
                "rounds": rounds, "solver": solver, "objective": objective, "engine": engine}
    # Every option is checked before the first process starts (the pipeline would say the
    # same from inside a worker, much later).
    check_options(RunOptions(years=settings["years"], replications=settings["replications"],
                             seed=settings["seed"], rounds=3 if rounds is None else rounds,
                             solver=solver, objective=objective or "ordered_goals",
                             engine=engine))
    for option_scenario in scenarios:
        check_allocatable(option_scenario)
    results = _run_all(runner or run, scenarios, settings, workers, progress)
    plan_rows, rep_rows = _metrics(baseline, scenarios, results)
    table = _table(opts, plan_rows, rep_rows)
    replication_table = excel_precision(pd.concat(
        [r.assign(option=o.name) for o, r in zip(opts, rep_rows, strict=True)],
        ignore_index=True)[["option", "replication", *SIMULATION_METRICS]])
    first = results[0]
    return Comparison(options=tuple(opts), scenarios=tuple(scenarios), results=tuple(results),
                      table=table, replication_table=replication_table,
                      seed=int(getattr(first, "seed", settings["seed"])),
                      replications=int(settings["replications"]),
                      years=_plan_years(first, baseline, settings["years"]), solver=solver,
                      objective=objective, rounds=rounds, title_zh=title_zh, title_en=title_en)


def _run_one(runner: Runner, scenario: Scenario, kwargs: dict[str, Any]) -> Any:
    return runner(scenario, **kwargs)


def _run_all(runner: Runner, scenarios: Sequence[Scenario], settings: dict[str, Any],
             workers: int | None, progress: Callable[[int, int], None] | None) -> list[Any]:
    """Every option's run, in option order: in this process alone, or here and in workers."""
    total = len(scenarios)
    n_workers = worker_count(workers, total)
    if n_workers == 1:
        results: list[Any] = [None] * total
        kwargs = {**settings, "workers": workers}
        for i, scenario in enumerate(scenarios):
            log.info("comparing: option %d of %d", i + 1, total)
            results[i] = _run_one(runner, scenario, kwargs)
            if progress is not None:
                progress(i + 1, total)
        return results
    # the options are the parallel unit: each run is serial
    return _Shared(runner, scenarios, {**settings, "workers": 1}, n_workers - 1,
                   progress).run()


class _Shared:
    """Options shared between this process and ``helpers`` worker processes.

    This process runs options itself instead of waiting for workers: it has already paid what
    starting a worker costs (Python, govsim, numba's kernels, HiGHS: seconds), and its memos
    stay in use. Each option is claimed by whoever is free — this process from the back of the
    list, each worker from the front, and a worker only once it is up (a warm-up task imports
    govsim first) — so nobody waits with options left, and options that all finish before a
    worker is up (small scenarios) never wait for one: the workers are then ended unused.
    Each worker is a one-process pool started from this thread (the parent-death signal of
    :mod:`govsim.parallel` follows the thread that starts a worker); a thread per worker hands
    it one option at a time. Results are what the runner returns, whoever ran it.
    """

    def __init__(self, runner: Runner, scenarios: Sequence[Scenario], kwargs: dict[str, Any],
                 helpers: int, progress: Callable[[int, int], None] | None) -> None:
        self.runner, self.scenarios, self.kwargs = runner, scenarios, kwargs
        self.helpers, self.progress = helpers, progress
        self.results: list[Any] = [None] * len(scenarios)
        self.front, self.back = 0, len(scenarios)  # unclaimed: [front, back)
        self.lock = threading.Lock()
        self.out: queue.SimpleQueue[tuple[int, Any, BaseException | None]] = \
            queue.SimpleQueue()
        self.done = 0

    def run(self) -> list[Any]:
        pools = [process_pool(1) for _ in range(self.helpers)]
        try:
            with interrupts_held():  # starts the workers: from this thread, Ctrl-C held
                ready = [pool.submit(_warm_up) for pool in pools]
            drivers = [threading.Thread(target=self._drive, args=(pool, up), daemon=True,
                                        name="govsim-compare-worker")
                       for pool, up in zip(pools, ready, strict=True)]
            for driver in drivers:
                driver.start()
            while (i := self._claim(back=True)) is not None:
                log.info("comparing: option %d of %d in this process", i + 1,
                         len(self.scenarios))
                self._finish(i, _run_one(self.runner, self.scenarios[i], self.kwargs))
                self._drain(block=False)
            # a worker still starting has claimed nothing, and nothing is left to claim
            idle = [pool for pool, up in zip(pools, ready, strict=True) if not up.done()]
            while self.done < len(self.scenarios):
                self._drain(block=True)
        except BaseException:
            for pool in pools:
                stop_pool(pool)
            raise
        for pool in pools:
            if pool in idle:
                stop_pool(pool)  # options all done before it was up: do not wait for it
            else:
                pool.shutdown(wait=True)
        return self.results

    def _claim(self, back: bool) -> int | None:
        with self.lock:
            if self.front >= self.back:
                return None
            if back:
                self.back -= 1
                return self.back
            self.front += 1
            return self.front - 1

    def _drive(self, pool: ProcessPoolExecutor, ready: Future[None]) -> None:
        """In a thread: once the worker is up, hand it options one at a time."""
        try:
            ready.result()
        except BaseException:  # ended before it was up (unused, or the comparison failed)
            return
        while (i := self._claim(back=False)) is not None:
            try:
                result = pool.submit(_run_one, self.runner, self.scenarios[i],
                                     self.kwargs).result()
            except BaseException as error:  # raised here, in the comparing thread
                self.out.put((i, None, error))
                return
            self.out.put((i, result, None))

    def _drain(self, block: bool) -> None:
        while block or not self.out.empty():
            try:  # a timeout, so that Ctrl-C is seen while waiting
                i, result, error = self.out.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                continue
            if error is not None:
                raise error
            self._finish(i, result)
            block = False

    def _finish(self, i: int, result: Any) -> None:
        self.results[i] = result
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, len(self.scenarios))


def _warm_up() -> None:
    """Run first in each worker: import what an option's run needs."""
    import govsim.pipeline  # noqa: F401


def _n_years(result: Any, fallback: int) -> int:
    years = getattr(result, "years", None)
    if years is None:
        return fallback
    return len(years) if isinstance(years, Sequence) else int(years)


def _plan_years(result: Any, scenario: Scenario, n_years: int) -> tuple[int, ...]:
    years = getattr(result, "years", None)
    if isinstance(years, Sequence) and not isinstance(years, str):
        return tuple(int(y) for y in years)
    base = scenario.header.base_year
    return tuple(range(base, base + n_years))


def _metrics(baseline: Scenario, scenarios: Sequence[Scenario],
             results: Sequence[Any]) -> tuple[list[dict[str, float]], list[pd.DataFrame]]:
    """Plan metrics (one dict per option) and simulation metrics per replication."""
    # Every option is weighed with the baseline's priorities and hours, so that changing a
    # weight is not mistaken for coverage.
    plan_rows, rep_rows = [], []
    for scenario, result in zip(scenarios, results, strict=True):
        n_years = _n_years(result, scenario.header.horizon_years)
        tables = result.tables
        plan_rows.append(plan_metrics(tables.allocation, tables.staffing, tables.compliance,
                                      scenario, n_years))
        rep_rows.append(replication_metrics(result.replication_kpis, baseline, n_years))
    reference = rep_rows[0]["replication"].tolist()
    for row in rep_rows[1:]:
        if row["replication"].tolist() != reference:
            raise GovsimError("the options' runs do not share their replications "
                              f"({row['replication'].tolist()} vs {reference}); common random "
                              "numbers need the same replications in every run")
    return plan_rows, rep_rows


def _table(options: Sequence[Option], plan_rows: Sequence[dict[str, float]],
           rep_rows: Sequence[pd.DataFrame]) -> pd.DataFrame:
    base_plan, base_reps = plan_rows[0], rep_rows[0]
    records = []
    for i, option in enumerate(options):
        record: dict[str, Any] = {"option": option.name, "title_zh": option.title_zh,
                                  "title_en": option.title_en, "is_baseline": i == 0}
        for m in METRICS:
            if m.id in PLAN_METRICS:
                value, half = plan_rows[i][m.id], 0.0
                diff = paired_difference(np.array([value]), np.array([base_plan[m.id]]),
                                         deterministic=True)
            else:
                values = rep_rows[i][m.id].to_numpy(dtype=float)
                value, half = mean_ci95(values)
                diff = paired_difference(values, base_reps[m.id].to_numpy(dtype=float))
            # a plan metric has one plan per year: no sampling interval, so no test (NA)
            record.update({m.id: value, f"{m.id}_ci95": half, f"{m.id}_diff": diff.mean,
                           f"{m.id}_diff_low": diff.low, f"{m.id}_diff_high": diff.high,
                           f"{m.id}_significant": pd.NA if m.id in PLAN_METRICS
                           else diff.significant})
        records.append(record)
    table = pd.DataFrame(records)
    for m in METRICS:
        table[f"{m.id}_significant"] = table[f"{m.id}_significant"].astype("boolean")
    return excel_precision(table)


def excel_precision(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats rounded to 15 significant digits, all that Excel and WPS keep, so that the
    table, ``comparison.csv`` and ``comparison.xlsx`` hold the very same numbers (an exact
    zero stays zero)."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].map(lambda x: float(f"{x:.15g}"))
    return frame
