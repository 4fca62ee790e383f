"""The horizon over replications: ``simulate(scenario, ...) -> SimulationResult``.

Each replication runs the plan years in order, carrying the :class:`~govsim.sim.year.State`
from one year to the next. Replications are independent (their random streams are keyed by the
replication number), so they run in parallel worker processes with results identical to a
serial run, whatever the number of workers. The summary gives, per (year, county, item), the
mean over replications and the half-width of its 95 % confidence interval (Student t).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass

import pandas as pd

from govsim.errors import SimulationError
from govsim.parallel import worker_count, worker_pool
from govsim.scenario import Scenario
from govsim.sim.contracts import CONTRACT_EVENT_COLUMNS
from govsim.sim.engine import DEFAULT_ENGINE
from govsim.sim.workers import auto_workers
from govsim.sim.year import (
    KPI_COLUMNS,
    PROVIDER_COLUMNS,
    State,
    check_engine_option,
    simulate_year,
)
from govsim.stats import t_critical

__all__ = ["SUMMARY_METRICS", "SimulationResult", "simulate", "summarise", "t_critical"]

log = logging.getLogger(__name__)

#: KPI columns summarised over replications (``<name>_mean`` and ``<name>_ci95``).
SUMMARY_METRICS = ["arrivals", "carried_in", "served", "abandoned", "backlog", "wait_mean_days",
                   "wait_p90_days", "utilisation", "satisfaction", "cost", "queue_mean",
                   "overdue_served", "overdue_waiting", "overdue_days", "wait_p90_peak_days",
                   "wait_p90_new_days"]

_Tables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, State]


@dataclass(frozen=True)
class SimulationResult:
    """Tables of a simulation run.

    Attributes
    ----------
    kpis : DataFrame
        One row per (replication, year, county, item); columns ``replication`` + ``KPI_COLUMNS``.
    summary : DataFrame
        One row per (year, county, item): ``<metric>_mean`` and ``<metric>_ci95`` (95 %
        half-width, Student t over replications; NaN with one replication).
    contracts : DataFrame
        The contract event log of every replication (``replication`` + event columns).
    providers : DataFrame
        Per (replication, year, county, item, provider type): contracted FTE, capacity loss,
        satisfaction, assessment score, failures, cost.
    final_states : tuple of State
        The state at the end of the horizon, one per replication.
    """

    kpis: pd.DataFrame
    summary: pd.DataFrame
    contracts: pd.DataFrame
    providers: pd.DataFrame
    years: tuple[int, ...]
    replications: int
    seed: int
    final_states: tuple[State, ...] = ()


def simulate(scenario: Scenario, years: int | None = None, replications: int | None = None,
             seed: int | None = None, capacities: pd.DataFrame | None = None,
             workers: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             engine: str = DEFAULT_ENGINE) -> SimulationResult:
    """Simulate the plan horizon over independent replications.

    Parameters
    ----------
    scenario : Scenario
        The scenario (not modified).
    years : int, optional
        Plan years from the base year (default ``scenario.header.horizon_years``).
    replications : int, optional
        Replications (default ``scenario.header.replications``).
    seed : int, optional
        Root seed (default ``scenario.header.seed``).
    capacities : DataFrame, optional
        Purchased FTE per ``year, county, item, provider_type, fte``; every plan year needs at
        least one row (zero-FTE rows for a year without purchases). ``None`` runs the baseline
        staffing.
    workers : int, optional
        Worker processes (``None``: all cores if the work is worth starting them for, see
        :func:`govsim.sim.workers.auto_workers`; ``1``: serial in this process). Results do not
        depend on it.
    progress : callable, optional
        ``progress(done, total)`` after each finished replication-year (in parallel runs, after
        each replication).
    engine : {"compiled", "simpy"}
        The pool engine (default compiled; ``simpy`` is the reference). Results do not depend
        on it.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import govsim
    >>> r = simulate(govsim.load_scenario("tiny"), years=1, replications=2, workers=1)
    >>> sorted(r.kpis["replication"].unique().tolist())
    [0, 1]
    """
    header = scenario.header
    n_years = header.horizon_years if years is None else int(years)
    n_reps = header.replications if replications is None else int(replications)
    root = header.seed if seed is None else int(seed)
    check_engine_option(engine)
    if n_years < 1 or n_reps < 1 or root < 0:
        raise SimulationError(f"need years >= 1, replications >= 1 and seed >= 0 (got "
                              f"{n_years}, {n_reps}, {root})")
    plan_years = tuple(range(header.base_year, header.base_year + n_years))
    by_year = _capacities_by_year(capacities, plan_years)
    if workers is None:
        n_workers = auto_workers(scenario, plan_years[0], n_reps * n_years, engine)
    else:
        n_workers = worker_count(workers, n_reps)
    n_workers = min(n_workers, n_reps)
    total = n_reps * n_years
    outputs: list[_Tables | None] = [None] * n_reps
    done = 0

    def tick(step: int) -> None:
        nonlocal done
        done += step
        if progress is not None:
            progress(done, total)

    if n_workers == 1:
        for r in range(n_reps):
            outputs[r] = _replication(scenario, plan_years, by_year, root, r, engine,
                                      lambda: tick(1))
    else:
        with worker_pool(n_workers) as pool:
            futures = {pool.submit(_replication, scenario, plan_years, by_year, root, r,
                                   engine): r
                       for r in range(n_reps)}
            for future in as_completed(futures):
                outputs[futures[future]] = future.result()
                tick(n_years)
    done_outputs = [o for o in outputs if o is not None]
    kpis = _stack([o[0] for o in done_outputs], ["replication", *KPI_COLUMNS])
    return SimulationResult(
        kpis=kpis,
        summary=summarise(kpis),
        contracts=_stack([o[1] for o in done_outputs], ["replication", *CONTRACT_EVENT_COLUMNS]),
        providers=_stack([o[2] for o in done_outputs], ["replication", *PROVIDER_COLUMNS]),
        years=plan_years,
        replications=n_reps,
        seed=root,
        final_states=tuple(o[3] for o in done_outputs),
    )


def summarise(kpis: pd.DataFrame, by: tuple[str, ...] = ("year", "county", "item"),
              metrics: list[str] | None = None) -> pd.DataFrame:
    """Mean and 95 % CI half-width (Student t) over replications of each metric.

    ``kpis`` holds one row per replication and group; NaN values (no served case) are left
    out of their metric's mean and interval.
    """
    metrics = [m for m in (metrics or SUMMARY_METRICS) if m in kpis.columns]
    grouped = kpis.groupby(list(by), sort=True)[metrics]
    mean, std, count = grouped.mean(), grouped.std(ddof=1), grouped.count()
    out = pd.DataFrame(index=mean.index)
    for m in metrics:
        crit = count[m].map(lambda n: t_critical(n - 1))
        out[f"{m}_mean"] = mean[m]
        out[f"{m}_ci95"] = crit * std[m] / count[m].pow(0.5)
    out["replications"] = kpis.groupby(list(by), sort=True).size()
    return out.reset_index()


def _replication(scenario: Scenario, plan_years: tuple[int, ...],
                 by_year: dict[int, pd.DataFrame | None], seed: int, replication: int,
                 engine: str = DEFAULT_ENGINE,
                 on_year: Callable[[], None] | None = None) -> _Tables:
    """One replication over the plan years (a top-level function: picklable for spawn)."""
    state: State | None = None
    kpis, contracts, providers = [], [], []
    for year in plan_years:
        result, state = simulate_year(scenario, year, by_year[year], state, seed, replication,
                                      engine=engine)
        kpis.append(result.kpis)
        contracts.append(result.contracts)
        providers.append(result.providers)
        if on_year is not None:
            on_year()
    assert state is not None
    return (_with_replication(kpis, replication), _with_replication(contracts, replication),
            _with_replication(providers, replication), state)


def _with_replication(frames: list[pd.DataFrame], replication: int) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "replication", replication)
    return frame


def _stack(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _capacities_by_year(capacities: pd.DataFrame | None,
                        plan_years: tuple[int, ...]) -> dict[int, pd.DataFrame | None]:
    if capacities is None:
        return dict.fromkeys(plan_years)
    if "year" not in capacities.columns:
        raise SimulationError("capacities for simulate() need a 'year' column")
    missing = [y for y in plan_years if not (capacities["year"] == y).any()]
    if missing:
        raise SimulationError(f"capacities have no rows for the plan year(s) {missing}; give "
                              f"zero-FTE rows for a year without purchases")
    return {y: capacities[capacities["year"] == y].drop(columns="year").reset_index(drop=True)
            for y in plan_years}
