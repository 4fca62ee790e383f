"""The pool engines and their common entry point ``run_pool(spec, engine) -> PoolOutcome``.

This module is also the **reference engine** (``engine="simpy"``): the readable statement of the
pool model in SimPy, one process per case. Everything is in clock hours of the working year; a
pool holds worker tokens (see :mod:`govsim.sim.spec`) in a ``simpy.Store``. A case arrives, asks
the store for a token (FIFO: the longest-waiting case gets the longest-idle token), and either
gets one and holds it for ``work_hours / speed`` clock hours, or — if the item has a patience —
abandons when its patience runs out first. Random numbers are drawn up front as numpy arrays by
the caller; the processes only append to the log, which :func:`~govsim.sim.spec.summarise_log`
turns into numbers once at the end of the year.

The default engine, ``engine="compiled"`` (:mod:`govsim.sim.kernel`), computes exactly the same
log — case for case, in the same order, with the same simultaneous-event order as SimPy — with
numba-compiled loops, hundreds of times faster per case (``benchmarks/README.md``). The SimPy
engine stays as the reference the compiled one is tested against
(``tests/sim/test_engines_agree.py``).
"""

from __future__ import annotations

import hashlib
import logging
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from govsim.sim.spec import (
    HOURS_PER_DAY,
    MONITOR_FIRST_HOURS,
    MONITOR_INTERVAL_HOURS,
    PoolLog,
    PoolOutcome,
    PoolSpec,
    Slot,
    SlotOutcome,
    arrival_gaps,
    check_spec,
    poisson_arrivals,
    service_hours,
    slot_plans,
    summarise_log,
    token_count,
)

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "HOURS_PER_DAY",
    "MONITOR_INTERVAL_HOURS",
    "PoolLog",
    "PoolOutcome",
    "PoolSpec",
    "Slot",
    "SlotOutcome",
    "check_engine",
    "poisson_arrivals",
    "pool_log",
    "run_pool",
    "run_pool_cached",
    "run_pool_memo",
    "service_hours",
    "simpy_log",
    "token_count",
]

log = logging.getLogger(__name__)

#: The engines: ``compiled`` (numba, the default) and ``simpy`` (the reference).
ENGINES = ("compiled", "simpy")
DEFAULT_ENGINE = "compiled"

_Proc = Generator[simpy.Event, Any, None]
_Case = Callable[[int], _Proc]


class _Token:
    """A worker: which slot it belongs to, clock hours per hour of work, still present."""

    __slots__ = ("active", "inv_speed", "slot")

    def __init__(self, slot: int, inv_speed: float) -> None:
        self.slot = slot
        self.inv_speed = inv_speed
        self.active = True


def check_engine(engine: str) -> str:
    """``engine`` if it names an engine, else ``ValueError`` listing them."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    return engine


def pool_log(spec: PoolSpec, engine: str = DEFAULT_ENGINE) -> PoolLog:
    """Simulate one pool for one year with ``engine`` and return what happened, in order."""
    check_engine(engine)
    check_spec(spec)
    if engine == "simpy":
        return simpy_log(spec)
    from govsim.sim.kernel import compiled_log  # late: numba loads on first use only

    return compiled_log(spec)


def run_pool(spec: PoolSpec, engine: str = DEFAULT_ENGINE) -> PoolOutcome:
    """Simulate one pool for one year and summarise it (both engines give the same outcome)."""
    return summarise_log(spec, pool_log(spec, engine))


def simpy_log(spec: PoolSpec) -> PoolLog:
    """The reference engine: one SimPy process per case (``spec`` already checked)."""
    horizon = spec.hours_per_year
    env = simpy.Environment()
    store = simpy.Store(env)
    for index, plan in enumerate(slot_plans(spec)):
        tokens = [_Token(index, plan.inv_speed) for _ in range(plan.tokens)]
        if plan.present_at_start:
            store.items.extend(tokens)
        if plan.join_hours is not None:
            env.process(_join(env, store, tokens, plan.join_hours))
        if plan.leave_hours is not None:
            env.process(_leave(env, store, tokens, index, plan.leave_hours))

    carried = len(spec.carried_ages)
    served_log: list[tuple[int, float, int, float]] = []
    abandoned_log: list[int] = []
    work = np.asarray(spec.work_hours, dtype=float).tolist()
    if spec.patience_hours is None:
        case = _patient_forever(env, store, work, served_log)
    else:
        patience = np.asarray(spec.patience_hours, dtype=float).tolist()
        case = _impatient(env, store, work, patience, served_log, abandoned_log)
    gaps = arrival_gaps(spec.arrival_hours).tolist()
    env.process(_source(env, case, carried, gaps))
    samples: list[int] = []
    if spec.monitor and carried + len(gaps):
        env.process(_monitor(env, store, samples, horizon))
    env.run(until=horizon)
    served = np.array(served_log, dtype=float).reshape(-1, 4)
    return PoolLog(case=served[:, 0].astype(np.int64), start=served[:, 1].copy(),
                   slot=served[:, 2].astype(np.int64), hours=served[:, 3].copy(),
                   abandoned=np.array(abandoned_log, dtype=np.int64),
                   queue=np.array(samples, dtype=np.int64))


#: Pools remembered by :func:`run_pool_memo` (per process; least recently used forgotten
#: first). Enough for every pool of a few replications of a 183-county year (3,477 pools each),
#: so the pipeline's later check rounds find the pools their allocation did not change: with
#: 4,096 a 183-county run re-simulated 2.5 times as many pools (benchmarks/README.md).
CACHE_SIZE = 32768
_cache: OrderedDict[bytes, PoolOutcome] = OrderedDict()
_cache_lock = threading.Lock()


def run_pool_cached(spec: PoolSpec, engine: str = DEFAULT_ENGINE) -> PoolOutcome:
    """:func:`run_pool`, remembering outcomes by the content of ``spec`` (and the engine).

    ``run_pool`` is a pure function of its spec (all random numbers are drawn into the spec's
    arrays beforehand), so a pool whose arrivals, service times, carried cases and workers are
    the same as one already run gets the same outcome without simulating it again. Slot names
    are not part of the key: they do not change what happens.
    """
    return run_pool_memo(_spec_key(spec), lambda: spec, engine)


def run_pool_memo(key: bytes, build: Callable[[], PoolSpec],
                  engine: str = DEFAULT_ENGINE) -> PoolOutcome:
    """The outcome of the pool ``build()`` makes, remembered under ``key`` (and the engine).

    ``key`` must identify everything ``build`` depends on (:meth:`PoolDraw.key
    <govsim.sim.draw.PoolDraw.key>` does, before any random number is drawn), so a pool the
    allocation did not change between two rounds of the pipeline's check loop is neither drawn
    nor simulated again. The engine is part of the key: the engines agree, but a test comparing
    them must not be answered from the other one's memo.
    """
    key = engine.encode() + key
    with _cache_lock:  # Dask workers may run several tasks in threads
        outcome = _cache.get(key)
        if outcome is not None:
            _cache.move_to_end(key)
            return outcome
    outcome = run_pool(build(), engine)
    with _cache_lock:
        _cache[key] = outcome
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return outcome


def _spec_key(spec: PoolSpec) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(struct.pack("<4d?", spec.hours_per_year, spec.efficiency,
                              spec.target_wait_hours, spec.penalty_per_hour, spec.monitor))
    digest.update(struct.pack("<3d", spec.deadline_hours, *(spec.peak_hours or (-1.0, -1.0))))
    for s in spec.slots:
        digest.update(s.kind.encode() + b"\0")
        digest.update(struct.pack("<4d", s.fte, s.quality, s.start_hours, s.end_hours))
    for array in (spec.arrival_hours, spec.carried_ages, spec.work_hours, spec.patience_hours):
        if array is None:
            digest.update(b"none")
        else:
            data = np.ascontiguousarray(array, dtype=float)
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data.data)
    return digest.digest()


# -- processes -------------------------------------------------------------------------------

def _source(env: simpy.Environment, case: _Case, carried: int, gaps: list[float]) -> _Proc:
    """Release the carried backlog at time 0 (oldest first), then the year's arrivals."""
    process = env.process
    timeout = env.timeout
    for i in range(carried):
        process(case(i))
    i = carried
    for gap in gaps:
        yield timeout(gap)
        process(case(i))
        i += 1


def _patient_forever(env: simpy.Environment, store: simpy.Store, work: list[float],
                     served_log: list[tuple[int, float, int, float]]) -> _Case:
    """The case process of an item whose cases never abandon."""
    get = store.get
    put = store.put
    timeout = env.timeout
    log_served = served_log.append

    def case(i: int) -> _Proc:
        token = yield get()
        duration = work[i] * token.inv_speed
        log_served((i, env.now, token.slot, duration))
        yield timeout(duration)
        if token.active:
            put(token)

    return case


def _impatient(env: simpy.Environment, store: simpy.Store, work: list[float],
               patience: list[float], served_log: list[tuple[int, float, int, float]],
               abandoned_log: list[int]) -> _Case:
    """The case process of an item whose cases abandon after their patience."""
    get = store.get
    put = store.put
    timeout = env.timeout
    log_served = served_log.append
    log_abandoned = abandoned_log.append

    def case(i: int) -> _Proc:
        request = get()
        yield request | timeout(patience[i])
        if not request.triggered:
            request.cancel()
            log_abandoned(i)
            return
        token = request.value
        duration = work[i] * token.inv_speed
        log_served((i, env.now, token.slot, duration))
        yield timeout(duration)
        if token.active:
            put(token)

    return case


def _join(env: simpy.Environment, store: simpy.Store, tokens: list[_Token], at: float) -> _Proc:
    yield env.timeout(at)
    for token in tokens:
        store.put(token)


def _leave(env: simpy.Environment, store: simpy.Store, tokens: list[_Token], slot: int,
           at: float) -> _Proc:
    """Workers leave at once: idle ones are taken out, busy ones finish the case in hand."""
    yield env.timeout(at)
    for token in tokens:
        token.active = False
    store.items[:] = [t for t in store.items if t.slot != slot]


def _monitor(env: simpy.Environment, store: simpy.Store, samples: list[int],
             horizon: float) -> _Proc:
    """Sample the number of waiting cases in the middle of every working day."""
    queue = store.get_queue
    yield env.timeout(MONITOR_FIRST_HOURS)
    while env.now < horizon:
        samples.append(len(queue))
        yield env.timeout(MONITOR_INTERVAL_HOURS)
