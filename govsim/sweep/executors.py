"""Where sweep runs execute: this process, local worker processes, or a Dask cluster.

An executor takes the sweep's :class:`~govsim.sweep.tasks.RunContext` and an iterable of
:class:`~govsim.sweep.tasks.RunTask` and yields a :class:`~govsim.sweep.tasks.RunOutcome` for
each task as it finishes, in completion order. Workers only compute and return; the caller
stores. Only a bounded window of tasks is in flight (four per worker), so a sweep of a million
runs never holds a million futures, and an interrupt loses at most the window.

- :class:`LocalExecutor` — ``workers=1`` runs in this process (simplest to debug); more use
  one single-process pool per worker from :func:`govsim.parallel.process_pool` (``spawn``;
  workers die with the sweep). The context goes to each worker once (initializer), not with
  every task.
- :class:`DaskExecutor` — a real ``distributed`` scheduler: ``scheduler="tcp://HOST:PORT"``
  connects to a running cluster, ``local_workers=N`` starts a ``LocalCluster`` of N
  single-threaded worker processes on loopback (:func:`start_local_cluster`, without the
  long-lived-worker settings that made a run about a tenth slower than in a local worker:
  :data:`LOCAL_CLUSTER_CONFIG`). The context is scattered to every worker once.
  A run that kills its worker process repeatedly (Dask's ``KilledWorker``) is reported as a
  failed run; a local worker process that dies stops the sweep with a :class:`SweepError`
  (the finished runs are stored; run again to resume).

**Routing.** Each run goes to the worker of its replication (``replication % workers``) while
that worker has work; an idle worker takes runs from the longest other queue. Under common
random numbers a replication's pools repeat across points, and a process remembers pool
outcomes (:func:`govsim.sim.engine.run_pool_memo`) and whole-post stages
(:mod:`govsim.allocation.milp`): keeping a replication on one worker keeps those memos useful
instead of rebuilding each in every worker. The Dask executor asks for the same placement
(``workers=``, ``allow_other_workers=True``), which the scheduler may override.

Results never depend on the executor: each run's seed comes from its point and replication.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from govsim.errors import SweepError
from govsim.parallel import interrupts_held, process_pool, stop_pool, worker_count
from govsim.sweep.tasks import RunContext, RunOutcome, RunTask, execute

__all__ = ["LOCAL_CLUSTER_CONFIG", "DaskExecutor", "Executor", "LocalExecutor",
           "check_scheduler_address", "make_executor", "start_local_cluster"]

log = logging.getLogger(__name__)

#: Tasks in flight per worker.
WINDOW_PER_WORKER = 4


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they finish."""

    def describe(self) -> dict[str, Any]: ...

    def run(self, context: RunContext, tasks: Iterable[RunTask]
            ) -> Generator[RunOutcome, None, None]: ...


_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})/?$")


def check_scheduler_address(address: str) -> str:
    """``address`` if it looks like a Dask scheduler address (``tcp://HOST:PORT``), else a
    :class:`SweepError` naming ``--scheduler``."""
    match = _ADDRESS.match(address.strip()) if isinstance(address, str) else None
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise SweepError(f"--scheduler {address!r} is not a scheduler address; expected "
                         "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    return address.strip()


def make_executor(executor: str | Executor = "local", *, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """An executor from its name: ``"local"`` (``workers``) or ``"dask"``.

    ``"dask"`` with ``scheduler`` connects to that scheduler; without one it starts a local
    cluster of ``workers`` processes (default: all cores).
    """
    if not isinstance(executor, str):
        return executor
    if workers is not None and workers < 1:
        raise SweepError(f"workers must be at least 1, got {workers}")
    if executor == "local":
        if scheduler is not None:
            raise SweepError("a scheduler address needs executor='dask'")
        return LocalExecutor(workers)
    if executor == "dask":
        if scheduler is not None:
            return DaskExecutor(scheduler=check_scheduler_address(scheduler))
        return DaskExecutor(local_workers=workers or os.cpu_count() or 1)
    raise SweepError(f"unknown executor {executor!r}: use 'local' or 'dask'")


# -- local processes ------------------------------------------------------------------------

_WORKER_CONTEXT: RunContext | None = None


def _init_worker(context: RunContext) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context


def _execute_in_worker(task: RunTask) -> RunOutcome:
    assert _WORKER_CONTEXT is not None, "worker not initialised"
    return execute(_WORKER_CONTEXT, task)


class LocalExecutor:
    """This process (``workers=1``) or a pool of spawned worker processes."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = worker_count(workers, tasks=1 << 30)

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "workers": self.workers,
                "mode": "in-process" if self.workers == 1 else "spawned processes"}

    def run(self, context: RunContext, tasks: Iterable[RunTask]
            ) -> Generator[RunOutcome, None, None]:
        if self.workers == 1:
            for task in tasks:
                yield execute(context, task)
            return
        pools = [process_pool(1, initializer=_init_worker, initargs=(context,))
                 for _ in range(self.workers)]
        lanes = _Lanes(iter(tasks), self.workers, self.workers * WINDOW_PER_WORKER)
        pending: dict[Future[RunOutcome], int] = {}
        finished = False

        def top_up(lane: int) -> None:
            while sum(1 for k in pending.values() if k == lane) < WINDOW_PER_WORKER:
                task = lanes.next_for(lane)
                if task is None:
                    return
                with interrupts_held():  # a submit may spawn the lane's worker
                    pending[pools[lane].submit(_execute_in_worker, task)] = lane

        try:
            for lane in range(self.workers):
                top_up(lane)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    lane = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool as exc:
                        raise SweepError("a worker process died (out of memory? killed?); the "
                                         "finished runs are stored — run the sweep again to "
                                         "resume") from exc
                    yield outcome
                    top_up(lane)
            finished = True
        finally:
            for pool in pools:
                if finished:
                    pool.shutdown(wait=True)
                else:  # interrupted or failed: drop queued runs and end the workers now
                    stop_pool(pool)


class _Lanes:
    """Tasks routed to workers by replication (``replication % lanes``), read lazily from
    ``tasks`` with at most ``limit`` waiting; a lane with nothing of its own takes the first
    task of the longest other lane."""

    def __init__(self, tasks: Iterator[RunTask], lanes: int, limit: int) -> None:
        self.tasks = tasks
        self.waiting: list[deque[RunTask]] = [deque() for _ in range(lanes)]
        self.limit = max(1, limit)
        self.exhausted = False

    def next_for(self, lane: int) -> RunTask | None:
        """The next task for worker ``lane``; ``None`` when every task has been handed out."""
        while not self.waiting[lane] and not self.exhausted \
                and sum(map(len, self.waiting)) < self.limit:
            task = next(self.tasks, None)
            if task is None:
                self.exhausted = True
                break
            self.waiting[task.replication % len(self.waiting)].append(task)
        if self.waiting[lane]:
            return self.waiting[lane].popleft()
        longest = max(self.waiting, key=len)
        if longest:
            return longest.popleft()
        return None


def _fill(pending: set[Any], queue: Iterator[RunTask], submit: Any, count: int) -> None:
    for _ in range(max(0, count)):
        task = next(queue, None)
        if task is None:
            return
        pending.add(submit(task))


# -- Dask -----------------------------------------------------------------------------------

class DaskExecutor:
    """A ``distributed`` cluster: an existing scheduler, or a ``LocalCluster`` started here."""

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None) -> None:
        if (scheduler is None) == (local_workers is None):
            raise SweepError("give either a scheduler address or a number of local workers")
        self.scheduler = scheduler
        self.local_workers = local_workers

    def describe(self) -> dict[str, Any]:
        if self.scheduler is not None:
            return {"kind": "dask", "scheduler": self.scheduler}
        return {"kind": "dask", "local_cluster_workers": self.local_workers}

    def run(self, context: RunContext, tasks: Iterable[RunTask]
            ) -> Generator[RunOutcome, None, None]:
        try:
            from distributed import Client, as_completed
        except ImportError as exc:  # pragma: no cover - dask is a declared dependency
            raise SweepError("the Dask executor needs dask[distributed]: "
                             "pip install 'govsim[dask]'") from exc
        cluster = None
        try:
            if self.scheduler is None:
                cluster = start_local_cluster(self.local_workers or 1)
                client = Client(cluster)
            else:
                client = Client(self.scheduler, timeout="30s")
        except OSError as exc:
            if cluster is not None:
                cluster.close()
            raise SweepError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from exc
        try:
            yield from self._run(client, as_completed, context, tasks)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def _run(self, client: Any, as_completed: Any, context: RunContext,
             tasks: Iterable[RunTask]) -> Generator[RunOutcome, None, None]:
        threads = sum(client.nthreads().values()) or 1
        addresses = sorted(client.nthreads())
        shared = client.scatter(context, broadcast=True)
        token = uuid.uuid4().hex[:8]
        queue = iter(tasks)
        by_key: dict[str, RunTask] = {}
        stream = as_completed()

        def submit(task: RunTask) -> Any:
            key = f"govsim-sweep-{token}-{task.point}-{task.replication}"
            by_key[key] = task
            home = [addresses[task.replication % len(addresses)]] if addresses else None
            future = client.submit(execute, shared, task, key=key, pure=False, workers=home,
                                   allow_other_workers=True)
            stream.add(future)
            return future

        in_flight: set[Any] = set()
        try:
            _fill(in_flight, queue, submit, threads * WINDOW_PER_WORKER)
            for future in stream:
                in_flight.discard(future)
                task = by_key.pop(future.key)
                yield _dask_outcome(future, task)
                future.release()
                _fill(in_flight, queue, submit, 1)
        finally:
            for future in in_flight:
                future.cancel()


#: Dask settings for the ``LocalCluster`` govsim starts (a cluster of the user's own keeps its
#: own). Dask's defaults suit long-lived shared workers; a sweep's workers run one CPU-bound
#: task each for seconds at a time, and these defaults made a Guang'an run about 1 s slower
#: (about a tenth) in a Dask worker than in a local worker process (benchmarks/README.md):
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # The nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536: glibc then gives freed
    # memory back to the system at once, and the allocation-heavy runs (HiGHS, numpy, pandas)
    # fault it back in — 3–4 times the page faults of a local worker per run.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # The statistical profiler samples the running task's stack every 10 ms from the worker's
    # event-loop thread, which must take the GIL from the run each time (nothing reads it).
    "distributed.worker.profile.enabled": False,
    # Event-loop health checks every 20 ms and memory checks every 100 ms wake the loop thread
    # (and take the GIL) 60 times a second; a few times a second is plenty for runs of seconds.
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "500ms",
}


def start_local_cluster(workers: int) -> Any:
    """A ``LocalCluster`` of ``workers`` single-threaded worker processes on loopback, started
    with :data:`LOCAL_CLUSTER_CONFIG` (this process's own Dask settings are left as they were;
    the workers keep theirs)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                             host="127.0.0.1", dashboard_address=None)


def _dask_outcome(future: Any, task: RunTask) -> RunOutcome:
    if future.status == "error":
        exc = future.exception()
        # execute() turns run errors into outcomes, so an error here killed the worker.
        return RunOutcome(task.point, task.replication, "failed",
                          f"{type(exc).__name__}: {exc}", 0.0, {}, "dask")
    return future.result()
