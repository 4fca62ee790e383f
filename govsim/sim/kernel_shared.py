"""Compiled arithmetic both engines share: input checks and the summary of a pool's log.

The checks of :func:`~govsim.sim.spec.check_spec` are single passes over a spec's arrays, all
in one call (:func:`spec_arrays_problem`). For :func:`~govsim.sim.spec.summarise_log`, one
call (:func:`log_totals`) makes one pass over the served log that gives each slot's served
cases, satisfaction sum, timely cases and busy hours, the pool's wait sum and the waits past
the deadline, in the peak season and of the year's own cases; the 90th-percentile waits are
NumPy's default ("linear") quantile, computed by partition (:func:`quantile`, equal to
``np.quantile`` bit for bit); the backlog is the ages of cases neither served nor abandoned,
oldest first. (One call per pool, not one NumPy call per figure: issue 15 measured the
per-call cost above the work.) Both engines' logs go through this same code, so their outcomes
can only differ if their logs do. Units: clock hours. (numba compiles no generator
expressions, hence the explicit loops.)"""

from __future__ import annotations

import numpy as np

from govsim.sim.jit import njit

__all__ = ["QUANTILE", "finite_at_least", "log_totals", "not_below", "quantile",
           "sorted_within", "spec_arrays_problem"]

#: The wait quantile reported (``wait_p90``).
QUANTILE = 0.9


# The checks run over every array of every pool, so they accumulate one flag instead of
# stopping at the first failure: a loop without an early exit compiles to vector instructions
# and took 0.47 instead of 1.13 ns a case (benchmarks/README.md, issue 15).


@njit
def sorted_within(values, low, high):  # pragma: no cover - compiled
    """Whether ``values`` are non-decreasing, finite and inside ``[low, high)`` (sorted, so the
    first and last decide the range)."""
    n = values.shape[0]
    if n == 0:
        return True
    ok = values[0] >= low and values[n - 1] < high
    for i in range(1, n):
        ok &= values[i] >= values[i - 1]  # false for NaN
    return ok


@njit
def finite_at_least(values, low):  # pragma: no cover - compiled
    """Whether every value is finite and ``>= low``."""
    ok = True
    for v in values:
        ok &= (v >= low) & (v < np.inf)
    return ok


@njit
def not_below(values, low):  # pragma: no cover - compiled
    """Whether every value is ``>= low`` (infinity allowed, NaN not)."""
    ok = True
    for v in values:
        ok &= v >= low
    return ok


@njit
def spec_arrays_problem(arrivals, carried, work, patience, impatient,
                        horizon):  # pragma: no cover - compiled
    """The first of a spec's arrays that breaks its rule (:func:`~govsim.sim.spec.check_spec`):
    0 none, 1 ``arrival_hours``, 2 ``carried_ages``, 3 ``work_hours``, 4 ``patience_hours``.
    Lengths are checked by the caller. One call instead of one per array: the simulation checks
    every pool's spec."""
    if not sorted_within(arrivals, 0.0, horizon):
        return 1
    if not finite_at_least(carried, 0.0):
        return 2
    if not finite_at_least(work, 0.0):
        return 3
    if impatient and not not_below(patience, 0.0):
        return 4
    return 0


@njit
def quantile(values, q):  # pragma: no cover - compiled
    """NumPy's default ("linear") quantile ``q`` of ``values`` (NaN if empty), bit for bit:
    the order statistics by partition, then NumPy's ``_lerp``."""
    n = values.shape[0]
    if n == 0:
        return np.nan
    virtual = (n - 1) * q
    below = int(np.floor(virtual))
    if below >= n - 1:
        return np.max(values)
    part = np.partition(values, below)
    low = part[below]
    high = np.min(part[below + 1:])
    gamma = virtual - below
    diff = high - low
    return high - diff * (1.0 - gamma) if gamma >= 0.5 else low + diff * gamma


@njit
def log_totals(arrival, case, start, slot, hours, abandoned, queue, horizon, quality, target,
               penalty, n_slots, deadline, peak_start, peak_end):  # pragma: no cover - compiled
    """Per-slot ``(served, satisfaction_sum, timely, busy_hours)``; the pool's wait sum,
    satisfaction sum, busy hours, 90th-percentile wait (NaN if none served) and backlog ages
    (oldest first); the hours past ``deadline`` of the cases served late and of the backlog
    cases waiting past it (in log and backlog order: the caller sums them with NumPy); the
    90th-percentile wait of the served cases that arrived in ``[peak_start, peak_end)`` and of
    those that arrived in the year (NaN when none); the mean of the daily ``queue`` samples
    (0 without samples)."""
    n = case.shape[0]
    served = np.zeros(n_slots, np.int64)
    sat_sum = np.zeros(n_slots, np.float64)
    timely = np.zeros(n_slots, np.int64)
    busy_sum = np.zeros(n_slots, np.float64)
    waits = np.empty(n, np.float64)
    late_served = np.empty(n, np.float64)
    peak_waits = np.empty(n, np.float64)
    new_waits = np.empty(n, np.float64)
    n_late = 0
    n_peak = 0
    n_new = 0
    late_mark = deadline + 1e-9
    wait_total = 0.0
    sat_total = 0.0
    busy_total = 0.0
    for r in range(n):
        s = slot[r]
        arrived = arrival[case[r]]
        wait = start[r] - arrived
        waits[r] = wait
        late = wait - target if wait > target else 0.0
        sat = quality[s] - penalty * late
        sat = 0.0 if sat < 0.0 else (1.0 if sat > 1.0 else sat)
        busy = horizon - start[r] if hours[r] > horizon - start[r] else hours[r]
        served[s] += 1
        sat_sum[s] += sat
        busy_sum[s] += busy
        if wait <= target + 1e-9:
            timely[s] += 1
        wait_total += wait
        sat_total += sat
        busy_total += busy
        if wait > late_mark:
            late_served[n_late] = wait - deadline
            n_late += 1
        if arrived >= peak_start and arrived < peak_end:
            peak_waits[n_peak] = wait
            n_peak += 1
        if arrived >= 0.0:
            new_waits[n_new] = wait
            n_new += 1

    p90 = quantile(waits, QUANTILE)
    p90_peak = quantile(peak_waits[:n_peak], QUANTILE)
    # the same waits in the same order when no case was carried in: the same quantile
    p90_new = p90 if n_new == n else quantile(new_waits[:n_new], QUANTILE)

    done = np.zeros(arrival.shape[0], np.bool_)
    for r in range(n):
        done[case[r]] = True
    for r in range(abandoned.shape[0]):
        done[abandoned[r]] = True
    ages = np.empty(arrival.shape[0], np.float64)
    m = 0
    ordered = True  # oldest first already: carried cases come oldest first, then arrivals
    for j in range(arrival.shape[0]):
        if not done[j]:
            ages[m] = horizon - arrival[j]
            if m > 0 and ages[m] > ages[m - 1]:
                ordered = False
            m += 1
    # a sorted backlog of hundreds of thousands of cases need not be sorted again (the same
    # values in the same order: ages are never NaN or signed zeros)
    backlog = ages[:m].copy() if ordered else np.sort(ages[:m])[::-1].copy()
    late_waiting = np.empty(m, np.float64)
    n_waiting = 0
    for j in range(m):
        if backlog[j] > late_mark:
            late_waiting[n_waiting] = backlog[j] - deadline
            n_waiting += 1
    # NumPy's mean of the samples: its float sum of whole numbers far below 2**53 is exact in
    # any order, so the integer sum divided by the count is the same float
    queued = 0
    for r in range(queue.shape[0]):
        queued += queue[r]
    queue_mean = queued / queue.shape[0] if queue.shape[0] else 0.0
    return (served, sat_sum, timely, busy_sum, wait_total, sat_total, busy_total, p90,
            backlog, late_served[:n_late], late_waiting[:n_waiting], p90_peak, p90_new,
            queue_mean)
