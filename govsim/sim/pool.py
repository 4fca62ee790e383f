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

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from types import TracebackType

import pandas as pd

from govsim.parallel import process_pool, stop_pool, worker_count
from govsim.scenario import Scenario
from govsim.sim.year import State, YearResult, simulate_year

__all__ = ["YearPool"]


class YearPool:
    """A context manager running ``simulate_year`` for many replications.

    Parameters
    ----------
    workers
        Worker processes (``None``: all cores, 1: serial in this process).
    replications
        The most tasks run at once (no more workers than that are started).
    """

    def __init__(self, workers: int | None, replications: int) -> None:
        self.workers = worker_count(workers, replications)
        self._executors: list[ProcessPoolExecutor] = []

    def __enter__(self) -> YearPool:
        if self.workers > 1:
            # One single-process pool per worker, so that replication r always meets the
            # same process (and its pool memo); started by the one factory (govsim.parallel).
            self._executors = [process_pool(1) for _ in range(self.workers)]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for executor in self._executors:
            if kind is None:
                executor.shutdown(wait=True)
            else:  # an error or Ctrl-C: end the workers now, not after their tasks
                stop_pool(executor)
        self._executors = []

    def simulate(self, scenario: Scenario, year: int, capacities: pd.DataFrame | None,
                 states: list[State | None], seed: int,
                 on_done: Callable[[], None] | None = None) -> list[tuple[YearResult, State]]:
        """``simulate_year`` for replication ``r`` from ``states[r]``, for every ``r``."""
        results: list[tuple[YearResult, State] | None] = [None] * len(states)
        if not self._executors:
            for r, state in enumerate(states):
                results[r] = simulate_year(scenario, year, capacities, state, seed, r)
                if on_done is not None:
                    on_done()
        else:
            futures = {self._executors[r % len(self._executors)].submit(
                simulate_year, scenario, year, capacities, state, seed, r): r
                for r, state in enumerate(states)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done()
        return [r for r in results if r is not None]
