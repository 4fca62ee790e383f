"""One sweep run: a (point, replication) pair executed in a worker, returned as plain data.

A :class:`RunTask` carries the point's scenario overrides and the replication number; the
:class:`RunContext` (shared by every task of a sweep, shipped to each worker once) carries the
base scenario, the stage and its options. :func:`execute` applies the overrides, runs the stage,
computes the metrics and returns a :class:`RunOutcome` — it never raises for a failing run
(the error becomes the outcome's ``error``), so one bad point cannot stop a sweep.

Seeds (common random numbers): replication ``r`` uses the same random streams at every point.

- ``simulate``: the sweep seed is the run's root seed and ``r`` its replication number, so
  replication ``r`` of a point equals replication ``r`` of ``govsim simulate --seed SEED``
  on that point's scenario.
- ``run``: each replication is one pipeline run with root seed :func:`replication_seed`
  ``(seed, r)``; its own ``run_replications`` simulation replications live inside it.
- ``allocate`` is deterministic.

Nothing depends on which worker runs a task or in which order.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from govsim.rng import stream_seed
from govsim.scenario import Scenario
from govsim.sweep.metrics import StageOutput, compute_metrics

__all__ = ["RunContext", "RunOutcome", "RunTask", "execute", "replication_seed"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunContext:
    """What every run of a sweep shares."""

    scenario: Scenario
    stage: str
    metrics: tuple[str, ...]
    seed: int
    years: int | None = None
    year: int | None = None
    solver: str = "highs"
    run_replications: int | None = None
    rounds: int | None = None
    engine: str = "compiled"


@dataclass(frozen=True)
class RunTask:
    """One run: the point's index and overrides, and the replication number."""

    point: int
    replication: int
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    """A finished run (``status`` ``"ok"`` or ``"failed"``), as it goes into the store."""

    point: int
    replication: int
    status: str
    error: str | None
    duration_s: float
    metrics: dict[str, float]
    worker: str


def replication_seed(seed: int, replication: int) -> int:
    """Root seed of replication ``replication`` of a ``run``-stage sweep (same at every point).

    >>> replication_seed(1, 0) == replication_seed(1, 0) != replication_seed(1, 1)
    True
    """
    return int(stream_seed(seed, "sweep-replication", replication).generate_state(1)[0])


def execute(context: RunContext, task: RunTask) -> RunOutcome:
    """Run one task; a failure is returned as ``status="failed"`` with its message."""
    started = time.perf_counter()
    try:
        scenario = context.scenario.with_overrides(task.overrides) if task.overrides else \
            context.scenario
        output = _STAGE_RUNNERS[context.stage](scenario, context, task.replication)
        metrics = compute_metrics(context.stage, output, context.metrics)
        status, error = "ok", None
    except Exception as exc:  # a failing run is data, not a crash of the sweep
        log.debug("run (%d, %d) failed:\n%s", task.point, task.replication,
                  traceback.format_exc())
        metrics = dict.fromkeys(context.metrics, math.nan)
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    return RunOutcome(task.point, task.replication, status, error,
                      time.perf_counter() - started, metrics,
                      f"{socket.gethostname()}:{os.getpid()}")


def _simulate(scenario: Scenario, context: RunContext, replication: int) -> StageOutput:
    from govsim.sim import simulate_year

    header = scenario.header
    years = context.years or header.horizon_years
    state = None
    frames = []
    for year in range(header.base_year, header.base_year + years):
        result, state = simulate_year(scenario, year, None, state, context.seed, replication,
                                      engine=context.engine)
        frames.append(result.kpis)
    kpis = pd.concat(frames, ignore_index=True)
    kpis.insert(0, "replication", replication)
    return StageOutput(scenario=scenario, kpis=kpis, n_years=years)


def _allocate(scenario: Scenario, context: RunContext, replication: int) -> StageOutput:
    from govsim.allocation import AllocationStatus, allocate

    result = allocate(scenario, year=context.year, solver=context.solver)
    return StageOutput(scenario=scenario, allocation=result.allocation,
                       staffing=result.staffing, unmet=result.unmet,
                       compliance=result.compliance, constraints=result.constraints,
                       objective=result.objective_value,
                       relaxed=result.status == AllocationStatus.RELAXED)


def _run(scenario: Scenario, context: RunContext, replication: int) -> StageOutput:
    from govsim import pipeline

    result = pipeline.run(scenario, years=context.years, replications=context.run_replications,
                          seed=replication_seed(context.seed, replication),
                          rounds=context.rounds, solver=context.solver, workers=1,
                          engine=context.engine)
    tables = result.tables
    return StageOutput(scenario=scenario, kpis=result.replication_kpis,
                       allocation=tables.allocation, staffing=tables.staffing,
                       compliance=tables.compliance, constraints=tables.constraints,
                       n_years=len(result.years))


_STAGE_RUNNERS = {"simulate": _simulate, "allocate": _allocate, "run": _run}
