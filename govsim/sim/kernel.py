"""The compiled engine (``engine="compiled"``, the default): a pool's year in numba.

:func:`compiled_log` returns exactly the :class:`~govsim.sim.spec.PoolLog` of the SimPy
reference (:func:`govsim.sim.engine.simpy_log`) — the same cases served by the same slot at the
same clock hour for the same hours, in the same order, the same abandonments in the same order,
the same daily queue samples — thousands of times faster. Two compiled kernels share the work:

* :func:`~govsim.sim.kernel_fifo.fifo_kernel` computes the pool case by case over the token free
  times (a sorted list, or a heap for large pools); it stops and says so when it meets
  simultaneous events whose order would matter (possible with fixed service times and whole
  hours, not with continuous random times);
* :func:`~govsim.sim.kernel_events.events_kernel` replays SimPy's event order exactly, ties and
  all (its docstring states the rules, read off SimPy's source), and runs whenever the first one
  stops, or when a slot joins only after it has left (which the recurrence does not model).

Both are checked against SimPy on random specs full of ties (``tests/sim/test_engines_agree.py``).
The kernels compile on first use and are cached on disk (:mod:`govsim.sim.jit`); loading this
module also asks the C library to keep freed memory for the next pool's arrays
(:mod:`govsim.sim.allocator`). Units: clock hours.
"""

from __future__ import annotations

import numpy as np

from govsim.sim.allocator import keep_freed_memory
from govsim.sim.jit import cache_dir
from govsim.sim.kernel_events import (
    JOIN_START,
    LEAVE_START,
    MONITOR_START,
    SOURCE_START,
    events_kernel,
)
from govsim.sim.kernel_fifo import fifo_kernel
from govsim.sim.spec import (
    MONITOR_FIRST_HOURS,
    MONITOR_INTERVAL_HOURS,
    PoolLog,
    PoolSpec,
    SlotPlan,
    arrival_gaps,
    slot_plans,
)

__all__ = ["cache_dir", "compiled_log"]

_NO_PATIENCE = np.empty(0)

keep_freed_memory()


def compiled_log(spec: PoolSpec, kernel: str = "auto") -> PoolLog:
    """The compiled engine's log of one pool's year (``spec`` already checked).

    ``kernel="auto"`` tries the FIFO recurrence and falls back to the event loop; ``"fifo"``
    and ``"events"`` force one (for tests: ``"fifo"`` raises ``RuntimeError`` when it cannot
    decide the order).
    """
    plans = slot_plans(spec)
    # the token layout as lists: a pool has a handful of slots, and NumPy's per-call cost
    # exceeded the work (benchmarks/README.md, issue 15)
    counts_list = [p.tokens for p in plans]
    first_list = []  # each slot's first token
    slot_list: list[int] = []
    inv_list: list[float] = []
    leave_list: list[float] = []
    for s, p in enumerate(plans):
        first_list.append(len(slot_list))
        slot_list += [s] * p.tokens
        inv_list += [p.inv_speed] * p.tokens
        leave_list += [np.inf if p.leave_hours is None else p.leave_hours] * p.tokens
    counts = np.array(counts_list, dtype=np.int64)
    first = np.array(first_list, dtype=np.int64)
    token_slot = np.array(slot_list, dtype=np.int64)
    token_inv = np.array(inv_list, dtype=float)
    arrivals = np.asarray(spec.arrival_hours, dtype=float)
    gaps = arrival_gaps(arrivals)
    n_carried = len(spec.carried_ages)
    work = np.ascontiguousarray(spec.work_hours, dtype=float)
    impatient = spec.patience_hours is not None
    patience = np.ascontiguousarray(spec.patience_hours, dtype=float) if impatient \
        else _NO_PATIENCE
    monitor = bool(spec.monitor and n_carried + len(arrivals))
    horizon = float(spec.hours_per_year)
    if kernel != "events" and _fifo_applies(plans):
        tokens, free = _initial_tokens(plans, first_list)
        ok, case, start, slot, hours, abandoned, queue = fifo_kernel(
            horizon, gaps, n_carried, work, patience, impatient, token_slot, token_inv,
            np.array(leave_list, dtype=float), tokens, free, monitor, MONITOR_FIRST_HOURS,
            MONITOR_INTERVAL_HOURS)
        if ok:
            return PoolLog(case, start, slot, hours, abandoned, queue)
    if kernel == "fifo":
        raise RuntimeError("the FIFO kernel cannot decide this pool's order of events")
    starts: list[tuple[int, int, float]] = []
    for s, p in enumerate(plans):
        if p.join_hours is not None:
            starts.append((JOIN_START, s, p.join_hours))
        if p.leave_hours is not None:
            starts.append((LEAVE_START, s, p.leave_hours))
    starts.append((SOURCE_START, 0, 0.0))
    if monitor:
        starts.append((MONITOR_START, 0, 0.0))
    initial = np.concatenate([np.arange(first[s], first[s] + counts[s], dtype=np.int64)
                              for s, p in enumerate(plans) if p.present_at_start] or
                             [np.empty(0, dtype=np.int64)])
    case, start, slot, hours, abandoned, queue = events_kernel(
        horizon, gaps, n_carried, work, patience, impatient, token_slot, token_inv, initial,
        np.array([s[0] for s in starts], dtype=np.int64),
        np.array([s[1] for s in starts], dtype=np.int64),
        np.array([s[2] for s in starts], dtype=float),
        first, counts, MONITOR_FIRST_HOURS, MONITOR_INTERVAL_HOURS)
    return PoolLog(case, start, slot, hours, abandoned, queue)


def _fifo_applies(plans: list[SlotPlan]) -> bool:
    """The recurrence models every slot except one that joins at or after it has left."""
    return all(p.join_hours is None or p.leave_hours is None or p.join_hours < p.leave_hours
               for p in plans)


def _initial_tokens(plans: list[SlotPlan], first: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Tokens in the order they are first free: present ones (−∞), then joining ones."""
    tokens: list[int] = []
    free: list[float] = []
    for s, p in enumerate(plans):
        if p.present_at_start:
            tokens += range(first[s], first[s] + p.tokens)
            free += [-np.inf] * p.tokens
    for s, p in enumerate(plans):
        if p.join_hours is not None:
            tokens += range(first[s], first[s] + p.tokens)
            free += [p.join_hours] * p.tokens
    return np.array(tokens, dtype=np.int64), np.array(free, dtype=float)
