"""Worker processes: the one place govsim starts them.

Simulated replications (:class:`~govsim.sim.workers.ReplicationWorkers`,
:func:`~govsim.sim.simulate`), compared options (:func:`~govsim.compare.compare`) and local
sweep runs (:class:`~govsim.sweep.executors.LocalExecutor`) all run in pools made by
:func:`process_pool`: a :class:`~concurrent.futures.ProcessPoolExecutor` with the ``spawn``
start method (no inherited locks or threads) whose workers

- ignore Ctrl-C: the parent handles it and ends them with :func:`stop_pool`;
- **die with their parent**, however it ends — ``kill -9`` included. On Linux each worker asks
  the kernel for ``SIGKILL`` when its parent exits (``prctl(PR_SET_PDEATHSIG)``); everywhere, a
  watcher thread in the worker ends it within :data:`WATCH_SECONDS` once its parent process is
  gone (its parent pid changes). A killed run therefore leaves no worker holding memory or the
  terminal, and with the workers gone the multiprocessing resource tracker (which lives as long
  as anyone holds its pipe) ends too.

The kernel's parent-death signal fires when the *thread* that started the worker exits, so it is
armed only for pools made in the main thread; a pool must be used from the thread that made it
(govsim's are). Results never depend on the number of workers: callers key random streams by
replication, option or run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["BACKGROUND_NICE", "WATCH_SECONDS", "interrupts_held", "lower_priority",
           "process_pool", "stop_pool", "thread_count", "worker_count", "worker_pool"]

log = logging.getLogger(__name__)

#: How often a worker checks that its parent still runs, seconds.
WATCH_SECONDS = 0.5
#: No more workers than this many per core are started, whatever is asked.
MAX_WORKERS_PER_CORE = 4
_PR_SET_PDEATHSIG = 1


def worker_count(workers: int | None, tasks: int) -> int:
    """Workers to start for ``tasks`` tasks: ``workers`` (``None``: one per core), at least 1,
    at most one per task and :data:`MAX_WORKERS_PER_CORE` per core."""
    cores = os.cpu_count() or 1
    wanted = cores if workers is None else max(1, int(workers))
    most = MAX_WORKERS_PER_CORE * cores
    if wanted > most:
        log.info("%d workers asked for; starting %d (%d per core)", wanted, most,
                 MAX_WORKERS_PER_CORE)
    return max(1, min(wanted, most, max(1, tasks)))


def thread_count(workers: int | None) -> int:
    """Threads a run may keep busy at once when it is asked for ``workers`` workers (``None``:
    one per core): at least 1, at most one per core (the threads are the solver's, not
    Python's)."""
    cores = os.cpu_count() or 1
    return max(1, min(cores, cores if workers is None else int(workers)))


def process_pool(workers: int, *, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (), background: bool = False
                 ) -> ProcessPoolExecutor:
    """A spawn-context process pool whose workers ignore Ctrl-C and die with this process.

    ``initializer(*initargs)`` runs in each worker after govsim's own set-up (it must be a
    module-level function: spawn pickles it). ``background``: each worker runs on the CPU other
    processes leave (:func:`lower_priority`), from its start — importing govsim takes a worker
    a second or two, which would otherwise compete with the work it is beside.
    """
    main = threading.current_thread() is threading.main_thread()
    kind = _BackgroundPool if background else ProcessPoolExecutor
    return kind(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(os.getpid(), main, initializer, initargs))


#: Niceness of a background worker: the lowest priority. It then gets about 1.5 % of a core
#: another process wants (Linux), so unlike Linux's idle scheduling class (as fast in Guang'an's
#: run) it is never starved outright when the run waits for it on a busy machine.
BACKGROUND_NICE = 19


def lower_priority(pid: int) -> None:
    """Give process ``pid`` (this user's) the CPU other processes leave: niceness
    :data:`BACKGROUND_NICE` (POSIX; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, pid, BACKGROUND_NICE)  # type: ignore[attr-defined]


class _BackgroundPool(ProcessPoolExecutor):
    """A pool whose workers are lowered (:func:`lower_priority`) as soon as they are spawned:
    a submit may spawn one, and it is lowered before it has imported anything."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lowered: set[int] = set()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        future = super().submit(fn, *args, **kwargs)
        for pid in list(getattr(self, "_processes", None) or {}):  # spawned by this submit
            if pid not in self._lowered:
                lower_priority(pid)
                self._lowered.add(pid)
        return future


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C while tasks are submitted: a submit may spawn a worker, and a Ctrl-C in the
    middle of a spawn leaves the worker reading its start-up data from a closed pipe, printing
    an EOFError traceback. The held Ctrl-C arrives when the block ends.

    Two holds, because either alone leaks: SIGINT is blocked in this thread (workers spawned
    meanwhile inherit the block; they ignore Ctrl-C anyway), and — in the main thread — the
    Python handler is replaced by one that only records it, because the kernel may deliver the
    signal to another thread that does not block it (a progress bar's refresh thread) and
    Python then runs the handler in the main thread all the same.
    """
    main = threading.current_thread() is threading.main_thread()
    received: list[int] = []
    previous: Any = None
    if main:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) \
        if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a blocked Ctrl-C arrives here
        if received:
            signal.raise_signal(signal.SIGINT)  # one that reached another thread


@contextlib.contextmanager
def worker_pool(workers: int, *, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = (), background: bool = False
                ) -> Iterator[ProcessPoolExecutor]:
    """:func:`process_pool` as a context: a clean exit waits for the workers; an error or
    Ctrl-C ends them at once (:func:`stop_pool`) instead of waiting for their tasks."""
    pool = process_pool(workers, initializer=initializer, initargs=initargs,
                        background=background)
    try:
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def stop_pool(pool: ProcessPoolExecutor, grace: float = 5.0) -> None:
    """End a pool now: drop queued tasks and end busy workers (their tasks are lost)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    # ProcessPoolExecutor has no public way to end busy workers before Python 3.14
    # (terminate_workers); without this, Ctrl-C would wait for every running task.
    for process in processes:
        with contextlib.suppress(Exception):
            if process.is_alive():
                process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
    with contextlib.suppress(Exception):
        pool.shutdown(wait=True, cancel_futures=True)


# -- in the worker ----------------------------------------------------------------------------

def _start_worker(parent: int, main_thread: bool, initializer: Callable[..., None] | None,
                  initargs: tuple[Any, ...]) -> None:
    """Set up a worker process (runs first in every worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if main_thread:
        _die_with_parent(parent)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="govsim-parent-watch",
                     daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel send SIGKILL to this process when its parent exits."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch_parent(parent: int) -> None:
    """Portable fallback: end this worker once its parent is gone (it is re-parented)."""
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
