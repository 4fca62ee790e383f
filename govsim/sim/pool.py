"""Simulating one year of every replication, serially or in worker processes.

:class:`YearPool` keeps its worker processes open for a whole run (starting a Python process
costs about a second), and maps :func:`~govsim.sim.year.simulate_year` over the replications,
each from its own carried-over state. Replication ``r`` always goes to worker ``r mod W``, so
each worker's pool memo (:func:`~govsim.sim.engine.run_pool_cached`) sees the same replication
again in the next round of the pipeline's check loop and skips the pools that did not change.
Each replication's random streams are keyed by its number, so the results are identical
whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from types import TracebackType

import pandas as pd

from govsim.scenario import Scenario
from govsim.sim.engine import DEFAULT_ENGINE
from govsim.sim.year import State, YearResult, check_engine_option, simulate_year

__all__ = ["YearPool"]


class YearPool:
    """A context manager running ``simulate_year`` for many replications.

    Parameters
    ----------
    workers
        Worker processes (``None``: all cores, 1: serial in this process).
    replications
        The most tasks run at once (no more workers than that are started).
    engine
        The pool engine, ``compiled`` (default) or ``simpy`` (the reference).
    """

    def __init__(self, workers: int | None, replications: int,
                 engine: str = DEFAULT_ENGINE) -> None:
        check_engine_option(engine)
        self.engine = engine
        cores = os.cpu_count() or 1
        wanted = cores if workers is None else max(1, int(workers))
        self.workers = max(1, min(wanted, replications))
        self._executors: list[Executor] = []

    def __enter__(self) -> YearPool:
        if self.workers > 1:
            context = multiprocessing.get_context("spawn")
            self._executors = [ProcessPoolExecutor(max_workers=1, mp_context=context)
                               for _ in range(self.workers)]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for executor in self._executors:
            executor.shutdown(wait=kind is None, cancel_futures=kind is not None)
        self._executors = []

    def simulate(self, scenario: Scenario, year: int, capacities: pd.DataFrame | None,
                 states: list[State | None], seed: int,
                 on_done: Callable[[], None] | None = None) -> list[tuple[YearResult, State]]:
        """``simulate_year`` for replication ``r`` from ``states[r]``, for every ``r``."""
        results: list[tuple[YearResult, State] | None] = [None] * len(states)
        if not self._executors:
            for r, state in enumerate(states):
                results[r] = simulate_year(scenario, year, capacities, state, seed, r,
                                           engine=self.engine)
                if on_done is not None:
                    on_done()
        else:
            futures = {self._executors[r % len(self._executors)].submit(
                simulate_year, scenario, year, capacities, state, seed, r, engine=self.engine): r
                for r, state in enumerate(states)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done()
        return [r for r in results if r is not None]
