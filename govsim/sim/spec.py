"""One pool's year as data: what goes into an engine (:class:`PoolSpec`), what comes out of it
(:class:`PoolLog`), and the one summary that turns a log into a :class:`PoolOutcome`.

Everything here is in **clock hours** of the working year (``0 ≤ t < hours_per_year``). A pool
holds worker *tokens*; each token belongs to a :class:`Slot` (public staff, child-welfare
directors, a contract, or an interim takeover) and works at a *speed*: the share of each clock
hour it delivers as casework. A slot of ``fte`` FTE becomes ``ceil(fte)`` tokens of speed
``e · fte / ceil(fte)`` with ``e = productive_hours_per_fte / hours_per_year``, so the slot's
capacity is exactly ``fte × productive_hours_per_fte`` hours a year; with ``e = 1`` and whole
FTE the pool is a plain ``c``-server queue (M/M/c validation).

The two engines — :mod:`govsim.sim.engine` (SimPy, the reference) and :mod:`govsim.sim.kernel`
(compiled) — share this module: the same token layout (:func:`slot_plans`), the same input checks
(:func:`check_spec`) and the same summary (:func:`summarise_log`), so an outcome can differ
between them only if their logs do (they do not: ``tests/sim/test_engines_agree.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "HOURS_PER_DAY",
    "MONITOR_FIRST_HOURS",
    "MONITOR_INTERVAL_HOURS",
    "PoolLog",
    "PoolOutcome",
    "PoolSpec",
    "Slot",
    "SlotOutcome",
    "SlotPlan",
    "arrival_gaps",
    "check_spec",
    "commissioned_arrivals",
    "poisson_arrivals",
    "service_hours",
    "slot_plans",
    "summarise_log",
    "token_count",
]

#: Clock hours between samples of the queue length (one working day) ...
MONITOR_INTERVAL_HOURS = 8.0
#: ... the first taken in the middle of the first day.
MONITOR_FIRST_HOURS = MONITOR_INTERVAL_HOURS / 2
HOURS_PER_DAY = 8.0
_NO_PATIENCE = np.empty(0)


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
    """Everything one pool needs for one year; arrays are in clock hours.

    Cases are numbered carried first (``0 … len(carried_ages) − 1``, oldest first), then the
    year's arrivals in time order; ``work_hours`` and ``patience_hours`` follow that numbering.
    ``patience_hours`` is ``None`` for an item whose cases never abandon.
    """

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
    #: Statutory deadline of a case (clock hours from its arrival); ``inf``: none.
    deadline_hours: float = math.inf
    #: ``(start, end)`` clock hours of the item's peak season, or ``None``.
    peak_hours: tuple[float, float] | None = None


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
    overdue_served: int = 0
    overdue_waiting: int = 0
    overdue_hours: float = 0.0
    wait_p90_peak_hours: float = math.nan
    wait_p90_new_hours: float = math.nan


@dataclass(frozen=True)
class PoolLog:
    """What an engine records in a pool's year, in the order it happened.

    Attributes
    ----------
    case, start, slot, hours : ndarray
        One entry per served case, in the order service started: case number, clock hour the
        service started, slot of the token that served it, clock hours the token is held.
    abandoned : ndarray
        Case numbers of the cases that abandoned, in the order they left.
    queue : ndarray
        Waiting cases at each daily sample (:data:`MONITOR_FIRST_HOURS`, then every
        :data:`MONITOR_INTERVAL_HOURS`).
    """

    case: np.ndarray
    start: np.ndarray
    slot: np.ndarray
    hours: np.ndarray
    abandoned: np.ndarray
    queue: np.ndarray


@dataclass(frozen=True)
class SlotPlan:
    """How a slot enters the pool: its tokens and when they join and leave.

    ``present_at_start`` tokens are in the store when the year begins; otherwise, if
    ``join_hours`` is set, they are put into it then. If ``leave_hours`` is set the slot's
    workers leave then (idle ones at once, busy ones after the case in hand).
    """

    tokens: int
    inv_speed: float
    present_at_start: bool
    join_hours: float | None
    leave_hours: float | None


def token_count(fte: float) -> int:
    """Tokens for ``fte`` FTE: whole workers, none faster than full time (``ceil``)."""
    return max(1, math.ceil(fte - 1e-9)) if fte > 1e-12 else 0


def slot_plans(spec: PoolSpec) -> list[SlotPlan]:
    """The token layout of every slot, shared by both engines.

    A slot with no tokens takes no part; one that starts at or before 0 is present from the
    start; one that starts within the year joins then (never, if it starts at or after the
    year's end); one that ends within the year leaves then.
    """
    horizon = spec.hours_per_year
    plans = []
    for slot in spec.slots:
        n = token_count(slot.fte)
        plans.append(SlotPlan(
            tokens=n,
            inv_speed=n / (slot.fte * spec.efficiency) if n else 0.0,
            present_at_start=bool(n) and slot.start_hours <= 0.0,
            join_hours=slot.start_hours if n and 0.0 < slot.start_hours < horizon else None,
            leave_hours=slot.end_hours if n and slot.end_hours < horizon else None,
        ))
    return plans


def arrival_gaps(arrival_hours: np.ndarray) -> np.ndarray:
    """Hours between successive arrivals, the first from 0: what the arrival source waits.

    Both engines advance their arrival clock by these gaps, so their clocks are the same floats
    (the running sum, which may differ from ``arrival_hours`` in the last bit).
    """
    arrivals = np.asarray(arrival_hours, dtype=float)
    gaps = np.empty(len(arrivals))
    if len(arrivals):
        gaps[0] = arrivals[0]
        np.subtract(arrivals[1:], arrivals[:-1], out=gaps[1:])
    return gaps


def check_spec(spec: PoolSpec) -> None:
    """Refuse a spec no engine can run (``ValueError`` naming the field).

    Times and hours must be finite numbers ≥ 0 (patience may be infinite), arrivals sorted and
    inside the year, one work time (and patience) per case.
    """
    horizon = spec.hours_per_year
    if not (math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"hours_per_year must be finite and > 0, got {horizon!r}")
    if not (math.isfinite(spec.efficiency) and spec.efficiency > 0):
        raise ValueError(f"efficiency must be finite and > 0, got {spec.efficiency!r}")
    from govsim.sim.kernel_shared import spec_arrays_problem  # late: numba on first use only

    arrivals = np.asarray(spec.arrival_hours, dtype=float)
    carried = np.asarray(spec.carried_ages, dtype=float)
    cases = len(arrivals) + len(carried)
    work = np.asarray(spec.work_hours, dtype=float)
    impatient = spec.patience_hours is not None
    patience = np.asarray(spec.patience_hours, dtype=float) if impatient else _NO_PATIENCE
    problem = spec_arrays_problem(arrivals, carried, work, patience, impatient, float(horizon))
    if problem == 1:
        raise ValueError("arrival_hours must be sorted, finite and inside [0, hours_per_year)")
    if problem == 2:
        raise ValueError("carried_ages must be finite and >= 0")
    if len(work) != cases or problem == 3:
        raise ValueError(f"work_hours must hold {cases} finite values >= 0, one per case "
                         f"(carried first)")
    if impatient and (len(patience) != cases or problem == 4):
        raise ValueError(f"patience_hours must hold {cases} values >= 0, one per case")
    for k, slot in enumerate(spec.slots):
        if not (math.isfinite(slot.fte) and slot.fte >= 0):
            raise ValueError(f"slots[{k}].fte must be finite and >= 0, got {slot.fte!r}")
        if math.isnan(slot.start_hours) or math.isnan(slot.end_hours) or slot.end_hours < 0:
            raise ValueError(f"slots[{k}]: start_hours must be a number and end_hours >= 0, "
                             f"got {slot.start_hours!r}, {slot.end_hours!r}")


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


def commissioned_arrivals(rng: np.random.Generator, expected: float,
                          hours_per_year: float) -> np.ndarray:
    """Hand-over times of a year's commissioned deliverables: ``floor(expected)`` of them, one
    more with probability ``expected - floor(expected)`` (so the mean is ``expected``), in equal
    instalments from the year's start — the k-th of n at ``k × hours_per_year / n``. A plan that
    buys their hours at full use then finishes each as the next is handed over."""
    whole = math.floor(expected)
    count = whole + int(rng.random() < expected - whole)
    return np.arange(count, dtype=float) * (hours_per_year / max(count, 1))


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


def summarise_log(spec: PoolSpec, log: PoolLog) -> PoolOutcome:
    """Turn an engine's log into the pool's year: waits, satisfaction, utilisation, backlog.

    A wait is the service start minus the arrival (a carried case arrived ``age`` hours before
    the year began); a served case's satisfaction is its slot's quality less the penalty per
    hour waited beyond the target, within [0, 1]; it is timely if it waited at most the target;
    busy hours are cut at the year's end; a slot is available for its tokens × the hours it is
    present. Overdue: cases served past the deadline, cases still waiting past it at year
    end, and the hours past the deadline of both (at service, or at year end). The
    90th-percentile waits of the served cases that arrived in the peak season (NaN without a
    peak or without such a case) and of those that arrived in the year (carried cases left out:
    a year that clears a backlog cannot undo the waits its carried cases already had; NaN when
    none) are taken like the pool's: linear interpolation, NumPy's default. The per-case
    arithmetic is compiled (:mod:`govsim.sim.kernel_shared`), in one call per pool.
    """
    from govsim.sim.kernel_shared import log_totals  # late: numba loads on first use only

    horizon = float(spec.hours_per_year)
    arrival_all = np.concatenate([-np.asarray(spec.carried_ages, dtype=float),
                                  np.asarray(spec.arrival_hours, dtype=float)])
    slots = spec.slots
    quality = np.array([s.quality for s in slots], dtype=float)
    peak_start, peak_end = spec.peak_hours if spec.peak_hours is not None else (math.inf,
                                                                                -math.inf)
    (served_n, sat_sum, timely_n, busy_sum, wait_total, sat_total, busy_total, p90, backlog,
     late_served, late_waiting, p90_peak, p90_new, queue_mean) = log_totals(
        arrival_all, np.asarray(log.case, dtype=np.int64), np.asarray(log.start, dtype=float),
        np.asarray(log.slot, dtype=np.int64), np.asarray(log.hours, dtype=float),
        np.asarray(log.abandoned, dtype=np.int64), np.asarray(log.queue, dtype=np.int64),
        horizon, quality,
        float(spec.target_wait_hours), float(spec.penalty_per_hour), len(slots),
        float(spec.deadline_hours), float(peak_start), float(peak_end))
    # NumPy's (pairwise) sums, as before the overdue figures were compiled
    late_hours = float(late_served.sum() + late_waiting.sum()) \
        if len(late_served) or len(late_waiting) else 0.0
    outcomes = []
    for k, s in enumerate(slots):
        present = max(0.0, min(s.end_hours, horizon) - min(max(s.start_hours, 0.0), horizon))
        outcomes.append(SlotOutcome(int(served_n[k]), float(sat_sum[k]), int(timely_n[k]),
                                    float(busy_sum[k]), token_count(s.fte) * present))
    available = sum(o.available_hours for o in outcomes)
    served = len(log.case)
    return PoolOutcome(
        arrivals=len(spec.arrival_hours),
        served=served,
        abandoned=len(log.abandoned),
        backlog_ages=backlog,
        wait_mean_hours=wait_total / served if served else math.nan,
        wait_p90_hours=float(p90),
        satisfaction=sat_total / served if served else math.nan,
        utilisation=min(1.0, busy_total / available) if available > 0 else math.nan,
        queue_mean=float(queue_mean),
        slots=tuple(outcomes),
        overdue_served=len(late_served),
        overdue_waiting=len(late_waiting),
        overdue_hours=late_hours,
        wait_p90_peak_hours=float(p90_peak),
        wait_p90_new_hours=float(p90_new),
    )
