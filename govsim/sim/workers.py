"""Simulating one year of every replication, serially or in worker processes.

In govsim a *pool* is one (county × item) queue of cases and its workers (:mod:`.spec`,
:mod:`.engine`); the worker *processes* here are :class:`ReplicationWorkers` (formerly
``YearPool``, kept as a deprecated alias for one release).

:class:`ReplicationWorkers` keeps its worker processes open for a whole run (starting one costs
about two seconds: Python, govsim, numba and the compiled kernels), and maps
:func:`~govsim.sim.year.simulate_year` over the replications, each from its own carried-over
state. Replication ``r`` always goes to worker ``r mod W``, so each worker's pool memo
(:func:`~govsim.sim.engine.run_pool_memo`) sees the same replication again in the next round of
the pipeline's check loop and skips the pools that did not change. Each replication's random
streams are keyed by its number, so the results are identical whatever the number of workers.

With ``workers=None`` the number is chosen by :func:`auto_workers`: the compiled engine
simulates a replication-year of a prefecture like Guang'an in a fraction of a second, less than
starting a worker costs, so such runs stay in this process; workers start (on all cores) only
when a year's replications would take longer than that serially.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from types import TracebackType

import pandas as pd

from govsim.demand import annual_cases
from govsim.parallel import interrupts_held, process_pool, stop_pool, worker_count
from govsim.scenario import Scenario
from govsim.sim.engine import DEFAULT_ENGINE
from govsim.sim.year import State, YearResult, check_engine_option, simulate_year

__all__ = ["SECONDS_PER_CASE", "WORKER_START_SECONDS", "ReplicationWorkers", "auto_workers"]

#: Wall seconds until a new worker process can simulate (measured: about 2 s, 0.5 s of it numba).
WORKER_START_SECONDS = 2.5
#: Generous seconds of simulation per expected case, by engine (measured: about 0.2 µs all in
#: for the compiled engine, 10–20 µs for SimPy).
SECONDS_PER_CASE = {"compiled": 5e-7, "simpy": 3e-5}


def auto_workers(scenario: Scenario, year: int, replications: int, engine: str,
                 cores: int | None = None) -> int:
    """Worker processes worth starting for ``replications`` replication-years of ``year``.

    One (this process) when simulating them serially is expected to take less than starting a
    worker, else all cores (at most one per replication).
    """
    cores = cores or os.cpu_count() or 1
    cases = sum(annual_cases(scenario, county, item, year)
                for county in scenario.counties for item in scenario.items)
    if replications * cases * SECONDS_PER_CASE[engine] < WORKER_START_SECONDS:
        return 1
    return max(1, min(cores, replications))


class ReplicationWorkers:
    """A context manager running ``simulate_year`` for many replications.

    Parameters
    ----------
    workers
        Worker processes (``None``: :func:`auto_workers` decides at the first year; 1: serial
        in this process).
    replications
        The most tasks run at once (no more workers than that are started).
    engine
        The pool engine, ``compiled`` (default) or ``simpy`` (the reference).
    """

    def __init__(self, workers: int | None, replications: int,
                 engine: str = DEFAULT_ENGINE) -> None:
        check_engine_option(engine)
        self.engine = engine
        self.replications = replications
        self.workers: int | None = None if workers is None else \
            worker_count(workers, replications)
        self._executors: list[ProcessPoolExecutor] = []

    def __enter__(self) -> ReplicationWorkers:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for executor in self._executors:
            if kind is None:
                executor.shutdown(wait=True)
            else:  # an error or Ctrl-C: end the workers now, not after their tasks
                stop_pool(executor)
        self._executors = []

    def _start(self, scenario: Scenario, year: int) -> None:
        """Decide the number of workers (once) and start them if there are several."""
        if self.workers is None:
            self.workers = auto_workers(scenario, year, self.replications, self.engine)
        if self.workers > 1 and not self._executors:
            # One single-process pool per worker, so that replication r always meets the
            # same process (and its pool memo); started by the one factory (govsim.parallel).
            self._executors = [process_pool(1) for _ in range(self.workers)]

    def simulate(self, scenario: Scenario, year: int, capacities: pd.DataFrame | None,
                 states: list[State | None], seed: int,
                 on_done: Callable[[], None] | None = None) -> list[tuple[YearResult, State]]:
        """``simulate_year`` for replication ``r`` from ``states[r]``, for every ``r``."""
        self._start(scenario, year)
        results: list[tuple[YearResult, State] | None] = [None] * len(states)
        if not self._executors:
            for r, state in enumerate(states):
                results[r] = simulate_year(scenario, year, capacities, state, seed, r,
                                           engine=self.engine)
                if on_done is not None:
                    on_done()
        else:
            with interrupts_held():  # a submit may spawn a worker
                futures = {self._executors[r % len(self._executors)].submit(
                    simulate_year, scenario, year, capacities, state, seed, r,
                    engine=self.engine): r for r, state in enumerate(states)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done()
        return [r for r in results if r is not None]


def __getattr__(name: str) -> type[ReplicationWorkers]:
    if name == "YearPool":  # deprecated name (one release): "pool" means a queue in govsim
        warnings.warn("YearPool is deprecated; use govsim.sim.workers.ReplicationWorkers",
                      DeprecationWarning, stacklevel=2)
        return ReplicationWorkers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
