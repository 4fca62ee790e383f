"""The SimPy core: one worker pool per (county, item), one process per case.

Everything here is in **clock hours** of the working year (``0 ≤ t < hours_per_year``). A pool
holds worker *tokens* in a ``simpy.Store``; each token belongs to a :class:`Slot` (public
staff, child-welfare directors, a contract, or an interim takeover) and works at a *speed*:
the share of each clock hour it delivers as casework. A slot of ``fte`` FTE becomes
``ceil(fte)`` tokens of speed ``e · fte / ceil(fte)`` with ``e = productive_hours_per_fte /
hours_per_year``, so the slot's capacity is exactly ``fte × productive_hours_per_fte`` hours a
year; with ``e = 1`` and whole FTE the pool is a plain ``c``-server queue (M/M/c validation).

A case arrives, asks the store for a token (FIFO), and either gets one and holds it for
``work_hours / speed`` clock hours, or — if the item has a patience — abandons when its
patience runs out first. Random numbers are drawn up front as numpy arrays by the caller;
the per-case process only appends one tuple per served case, and :func:`summarise_pool`
turns the log into numbers once at the end of the year.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

__all__ = [
    "MONITOR_INTERVAL_HOURS",
    "PoolOutcome",
    "PoolSpec",
    "Slot",
    "SlotOutcome",
    "poisson_arrivals",
    "run_pool",
    "run_pool_cached",
    "service_hours",
    "token_count",
]

log = logging.getLogger(__name__)

_Proc = Generator[simpy.Event, Any, None]
_Case = Callable[[int], _Proc]

#: Clock hours between samples of the queue length (one working day).
MONITOR_INTERVAL_HOURS = 8.0
HOURS_PER_DAY = 8.0


@dataclass(frozen=True)
class Slot:
    """A group of worker tokens from one source in one pool.

    ``start_hours``/``end_hours`` bound when the workers are present (an interim takeover
    joins late; a failed provider's workers leave early). ``quality`` is the mean satisfaction
    of the cases they serve before any wait penalty.
    """

    name: str
    kind: str
    fte: float
    quality: float
    start_hours: float = 0.0
    end_hours: float = math.inf


@dataclass(frozen=True)
class PoolSpec:
    """Everything one pool needs for one year; arrays are in clock hours."""

    hours_per_year: float
    efficiency: float
    arrival_hours: np.ndarray
    carried_ages: np.ndarray
    work_hours: np.ndarray
    patience_hours: np.ndarray | None
    slots: Sequence[Slot]
    target_wait_hours: float
    penalty_per_hour: float
    monitor: bool = True


@dataclass(frozen=True)
class SlotOutcome:
    """What one slot did in the year."""

    served: int
    satisfaction_sum: float
    timely: int
    busy_hours: float
    available_hours: float


@dataclass(frozen=True)
class PoolOutcome:
    """One pool's year: counts, waits (hours), utilisation, per-slot results, backlog ages."""

    arrivals: int
    served: int
    abandoned: int
    backlog_ages: np.ndarray
    wait_mean_hours: float
    wait_p90_hours: float
    satisfaction: float
    utilisation: float
    queue_mean: float
    slots: tuple[SlotOutcome, ...]


class _Token:
    """A worker: which slot it belongs to, clock hours per hour of work, still present."""

    __slots__ = ("active", "inv_speed", "slot")

    def __init__(self, slot: int, inv_speed: float) -> None:
        self.slot = slot
        self.inv_speed = inv_speed
        self.active = True


def token_count(fte: float) -> int:
    """Tokens for ``fte`` FTE: whole workers, none faster than full time (``ceil``)."""
    return max(1, math.ceil(fte - 1e-9)) if fte > 1e-12 else 0


def poisson_arrivals(rng: np.random.Generator, monthly_cases: np.ndarray,
                     hours_per_year: float) -> np.ndarray:
    """Sorted arrival times of a Poisson process with a piecewise-constant monthly rate.

    Month ``k`` spans ``[k, k+1) × hours_per_year / 12``; its count is Poisson with mean
    ``monthly_cases[k]`` and, given the count, the times are uniform — which is exactly the
    non-homogeneous Poisson process with that rate.
    """
    counts = rng.poisson(np.asarray(monthly_cases, dtype=float))
    total = int(counts.sum())
    months = np.repeat(np.arange(len(counts), dtype=float), counts)
    times = (months + rng.random(total)) * (hours_per_year / len(counts))
    times.sort()
    return times


def service_hours(rng: np.random.Generator, distribution: str, mean: float, cv: float,
                  n: int) -> np.ndarray:
    """``n`` service times (working hours) with the given mean and coefficient of variation."""
    if n == 0:
        return np.empty(0)
    if distribution == "exponential":
        return rng.exponential(mean, n)
    if distribution == "fixed" or cv <= 0:
        return np.full(n, float(mean))
    if distribution == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return rng.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2), n)
    if distribution == "gamma":
        shape = 1.0 / (cv * cv)
        return rng.gamma(shape, mean / shape, n)
    raise ValueError(f"unknown service-time distribution {distribution!r}")


def run_pool(spec: PoolSpec) -> PoolOutcome:
    """Simulate one pool for one year and summarise it."""
    horizon = spec.hours_per_year
    env = simpy.Environment()
    store = simpy.Store(env)
    tokens_by_slot: list[list[_Token]] = []
    for index, slot in enumerate(spec.slots):
        n = token_count(slot.fte)
        inv_speed = n / (slot.fte * spec.efficiency) if n else 0.0
        tokens_by_slot.append([_Token(index, inv_speed) for _ in range(n)])
        if n and slot.start_hours <= 0.0:
            store.items.extend(tokens_by_slot[-1])
        if n and 0.0 < slot.start_hours < horizon:
            env.process(_join(env, store, tokens_by_slot[-1], slot.start_hours))
        if n and slot.end_hours < horizon:
            env.process(_leave(env, store, tokens_by_slot[-1], index, slot.end_hours))

    carried = len(spec.carried_ages)
    arrival_all = np.concatenate([-np.asarray(spec.carried_ages, dtype=float),
                                  np.asarray(spec.arrival_hours, dtype=float)])
    served_log: list[tuple[int, float, int, float]] = []
    abandoned_log: list[int] = []
    work = spec.work_hours.tolist()
    if spec.patience_hours is None:
        case = _patient_forever(env, store, work, served_log)
    else:
        case = _impatient(env, store, work, spec.patience_hours.tolist(), served_log,
                          abandoned_log)
    gaps = np.diff(spec.arrival_hours, prepend=0.0).tolist()
    env.process(_source(env, case, carried, gaps))
    samples: list[int] = []
    if spec.monitor and len(arrival_all):
        env.process(_monitor(env, store, samples, horizon))
    env.run(until=horizon)
    return _summarise(spec, arrival_all, served_log, abandoned_log, samples,
                      [len(t) for t in tokens_by_slot])


#: Pools remembered by :func:`run_pool_cached` (per process; oldest forgotten first).
CACHE_SIZE = 4096
_cache: OrderedDict[bytes, PoolOutcome] = OrderedDict()


def run_pool_cached(spec: PoolSpec) -> PoolOutcome:
    """:func:`run_pool`, remembering outcomes by the content of ``spec``.

    ``run_pool`` is a pure function of its spec (all random numbers are drawn into the spec's
    arrays beforehand), so a pool whose arrivals, service times, carried cases and workers are
    the same as one already run — a cell the allocation did not change between two rounds of
    the pipeline's check loop — gets the same outcome without simulating it again. Slot names
    are not part of the key: they do not change what happens.
    """
    key = _spec_key(spec)
    outcome = _cache.get(key)
    if outcome is None:
        outcome = run_pool(spec)
        _cache[key] = outcome
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return outcome


def _spec_key(spec: PoolSpec) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((spec.hours_per_year, spec.efficiency, spec.target_wait_hours,
                        spec.penalty_per_hour, spec.monitor,
                        [(s.kind, s.fte, s.quality, s.start_hours, s.end_hours)
                         for s in spec.slots])).encode())
    for array in (spec.arrival_hours, spec.carried_ages, spec.work_hours, spec.patience_hours):
        if array is None:
            digest.update(b"none")
        else:
            data = np.ascontiguousarray(array, dtype=float)
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data.tobytes())
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
    yield env.timeout(MONITOR_INTERVAL_HOURS / 2)
    while env.now < horizon:
        samples.append(len(queue))
        yield env.timeout(MONITOR_INTERVAL_HOURS)


# -- summary ---------------------------------------------------------------------------------

def _summarise(spec: PoolSpec, arrival_all: np.ndarray,
               served_log: list[tuple[int, float, int, float]], abandoned_log: list[int],
               samples: list[int], tokens: list[int]) -> PoolOutcome:
    horizon = spec.hours_per_year
    n_slots = len(spec.slots)
    if served_log:
        log_array = np.asarray(served_log, dtype=float)
        idx = log_array[:, 0].astype(np.int64)
        start = log_array[:, 1]
        slot = log_array[:, 2].astype(np.int64)
        busy = np.minimum(log_array[:, 3], horizon - start)
    else:
        idx = slot = np.empty(0, dtype=np.int64)
        start = busy = np.empty(0)
    waits = start - arrival_all[idx]
    quality = np.array([s.quality for s in spec.slots], dtype=float)
    late = np.maximum(waits - spec.target_wait_hours, 0.0)
    satisfaction = np.clip(quality[slot] - spec.penalty_per_hour * late, 0.0, 1.0) if len(idx) \
        else np.empty(0)
    timely = waits <= spec.target_wait_hours + 1e-9

    done = np.zeros(len(arrival_all), dtype=bool)
    done[idx] = True
    done[np.asarray(abandoned_log, dtype=np.int64)] = True
    backlog_ages = horizon - arrival_all[~done]

    served_n = np.bincount(slot, minlength=n_slots)
    sat_sum = np.bincount(slot, weights=satisfaction, minlength=n_slots)
    timely_n = np.bincount(slot, weights=timely.astype(float), minlength=n_slots)
    busy_sum = np.bincount(slot, weights=busy, minlength=n_slots)
    outcomes = []
    for k, s in enumerate(spec.slots):
        present = max(0.0, min(s.end_hours, horizon) - min(max(s.start_hours, 0.0), horizon))
        outcomes.append(SlotOutcome(int(served_n[k]), float(sat_sum[k]), int(timely_n[k]),
                                    float(busy_sum[k]), tokens[k] * present))
    available = sum(o.available_hours for o in outcomes)
    utilisation = min(1.0, float(busy.sum()) / available) if available > 0 else math.nan
    return PoolOutcome(
        arrivals=len(spec.arrival_hours),
        served=len(idx),
        abandoned=len(abandoned_log),
        backlog_ages=np.sort(backlog_ages)[::-1].copy(),
        wait_mean_hours=float(waits.mean()) if len(waits) else math.nan,
        wait_p90_hours=float(np.quantile(waits, 0.9)) if len(waits) else math.nan,
        satisfaction=float(satisfaction.mean()) if len(satisfaction) else math.nan,
        utilisation=utilisation,
        queue_mean=float(np.mean(samples)) if samples else 0.0,
        slots=tuple(outcomes),
    )
