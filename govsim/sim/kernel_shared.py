"""Compiled arithmetic both engines share: input checks and the summary of a pool's log.

The checks of :func:`~govsim.sim.spec.check_spec` are single passes over a spec's arrays. For
:func:`~govsim.sim.spec.summarise_log`, one pass over the served log gives each slot's served
cases, satisfaction sum, timely cases and busy hours and the pool's wait sum; the
90th-percentile wait is NumPy's default ("linear") quantile, computed by partition; the backlog
is the ages of cases neither served nor abandoned, oldest first. Both engines' logs go through
this same code, so their outcomes can only differ if their logs do. Units: clock hours.
(numba compiles no generator expressions, hence the explicit loops.)
"""

from __future__ import annotations

import numpy as np

from govsim.sim.jit import njit

__all__ = ["QUANTILE", "finite_at_least", "log_totals", "not_below", "sorted_within"]

#: The wait quantile reported (``wait_p90``).
QUANTILE = 0.9


@njit
def sorted_within(values, low, high):  # pragma: no cover - compiled
    """Whether ``values`` are non-decreasing, finite and inside ``[low, high)``."""
    previous = low
    for v in values:
        if not (v >= previous and v < high):  # false for NaN
            return False
        previous = v
    return True


@njit
def finite_at_least(values, low):  # pragma: no cover - compiled
    """Whether every value is finite and ``>= low``."""
    for v in values:  # noqa: SIM110
        if not (v >= low and v < np.inf):
            return False
    return True


@njit
def not_below(values, low):  # pragma: no cover - compiled
    """Whether every value is ``>= low`` (infinity allowed, NaN not)."""
    for v in values:  # noqa: SIM110
        if not v >= low:
            return False
    return True


@njit
def log_totals(arrival, case, start, slot, hours, abandoned, horizon, quality, target,
               penalty, n_slots):  # pragma: no cover - compiled
    """Per-slot ``(served, satisfaction_sum, timely, busy_hours)``, then the pool's wait sum,
    satisfaction sum, busy hours, 90th-percentile wait (NaN if none served) and backlog ages
    (oldest first)."""
    n = case.shape[0]
    served = np.zeros(n_slots, np.int64)
    sat_sum = np.zeros(n_slots, np.float64)
    timely = np.zeros(n_slots, np.int64)
    busy_sum = np.zeros(n_slots, np.float64)
    waits = np.empty(n, np.float64)
    wait_total = 0.0
    sat_total = 0.0
    busy_total = 0.0
    for r in range(n):
        s = slot[r]
        wait = start[r] - arrival[case[r]]
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

    p90 = np.nan
    if n > 0:
        virtual = (n - 1) * QUANTILE
        below = int(np.floor(virtual))
        if below >= n - 1:
            p90 = np.max(waits)
        else:
            part = np.partition(waits, below)
            low = part[below]
            high = np.min(part[below + 1:])
            gamma = virtual - below
            diff = high - low
            p90 = high - diff * (1.0 - gamma) if gamma >= 0.5 else low + diff * gamma

    done = np.zeros(arrival.shape[0], np.bool_)
    for r in range(n):
        done[case[r]] = True
    for r in range(abandoned.shape[0]):
        done[abandoned[r]] = True
    ages = np.empty(arrival.shape[0], np.float64)
    m = 0
    for j in range(arrival.shape[0]):
        if not done[j]:
            ages[m] = horizon - arrival[j]
            m += 1
    backlog = np.sort(ages[:m])[::-1].copy()
    return (served, sat_sum, timely, busy_sum, wait_total, sat_total, busy_total, p90,
            backlog)
