"""The simulation–optimisation loop over a contract cycle: ``run(scenario) -> RunResult``.

For each plan year (``design.md`` → "Data flow"; the full statement is ``docs/pipeline.md``):

1. **Estimates** (:mod:`govsim.pipeline.estimates`): the year's cases — simulated arrivals
   plus the backlog carried in — utilisation targets (min(ρ, 1 ÷ peak factor) for seasonal items
   with a deadline), provider performance, contracts in force.
2. **Allocate** the year's budget with :func:`govsim.allocation.allocate` (the ordered goals:
   statutory work first, carried backlog included).
3. **Check** the allocation with R trial simulations of the year, one per replication, each
   from that replication's carried-over state (:mod:`govsim.pipeline.check`): cells that fall
   short of what the plan promised beyond their sampling interval get a lower utilisation
   target and the year is re-allocated (cells short only within it are reported as
   inconclusive); at most ``rounds`` rounds.
4. **Adopt** the round with the best checked service level (only its plan gets the
   explanations and the compliance check: the other rounds' are never read). Its trial
   simulations *are* the year's simulation (trials use the same random streams as the adopted
   run: common random numbers across rounds), and their states carry backlog, contracts and
   bars into next year.
   The year's status (converged, unattainable under a cap with the money short, not
   converged) and its warnings (:mod:`govsim.pipeline.backlog`) go to ``convergence.csv``.
5. **Money needed** (:mod:`govsim.budget`): the year's need plan (``min_cost``, caps lifted,
   as linear program) on the adopted round's estimates, against the caps and the adopted plan:
   ``money_needed.csv``. The estimates are kept in :attr:`RunResult.estimates`: the 80 % band
   of money needed re-solves them at sampled inputs (:mod:`govsim.uncertainty.run_band`, a
   room above this one; ``govsim.run`` and ``govsim run`` add it).

Units: cases, FTE, CNY, waits in working days. Randomness only through
:func:`govsim.rng.stream` keyed by (year, replication, ...): results do not depend on the
number of worker processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd

from govsim.allocation import SolvedAllocation, solve_allocation
from govsim.allocation.estimates import contracts_in_force
from govsim.bounds import check_allocatable
from govsim.budget import YearBudget, money_needed_table, year_budget
from govsim.output.manifest import build_manifest, utc_now
from govsim.output.phrases import warning_text
from govsim.output.report import RunTables
from govsim.parallel import thread_count
from govsim.pipeline.backlog import backlog_warnings, public_staff_warnings, warnings_table
from govsim.pipeline.check import (
    Round,
    check_round,
    convergence_row,
    lower_targets,
    same_purchases,
)
from govsim.pipeline.estimates import estimates_from_simulation, plan_contracts
from govsim.pipeline.result import (
    RunOptions,
    RunResult,
    make_options,
    per_replication,
    replay_hash,
    run_tables,
    stack,
    with_replication,
)
from govsim.scenario import Scenario
from govsim.sim import State, YearResult
from govsim.sim.engine import DEFAULT_ENGINE
from govsim.sim.workers import ReplicationWorkers

__all__ = ["run"]

log = logging.getLogger(__name__)

Cell = tuple[str, str]
Progress = Callable[[int, int, str], None]


def run(scenario: Scenario, *, years: int | None = None, replications: int | None = None,
        seed: int | None = None, rounds: int | None = None, solver: str = "highs",
        objective: str | None = None, workers: int | None = None,
        progress: Progress | None = None, engine: str = DEFAULT_ENGINE,
        on_year: Callable[[RunOptions, int, Any], None] | None = None,
        on_round: Callable[[RunOptions, int, int, Any], None] | None = None) -> RunResult:
    """Run the simulation–optimisation loop over the plan horizon.

    Parameters
    ----------
    scenario : Scenario
        The scenario (not modified).
    years, replications, seed : int, optional
        Default: the scenario's ``horizon_years``, ``replications`` and ``seed``.
    rounds : int, optional
        Allocation–check rounds per year, at least 1 (default 3).
    solver : {"highs", "cbc"}
    objective : {"ordered_goals", "min_cost"}, optional
        Default ``scenario.policy.objective``.
    workers : int, optional
        Worker processes for the replications (``None``: all cores; 1: serial), and the
        counties whose whole posts are solved at once (at most one per core). Results do
        not depend on it.
    progress : callable, optional
        ``progress(done, total, label)`` after each simulated replication-year; ``total`` is
        an upper bound that shrinks when a year converges early.
    engine : {"compiled", "simpy"}
        Simulation engine (default compiled; ``simpy`` is the reference). Results do not
        depend on it; it is recorded in the manifest's options.
    on_year : callable, optional
        ``on_year(options, year, estimates)`` once a year is adopted: the run's options and
        the adopted round's estimates (those of :attr:`RunResult.estimates`). The money band
        keeps the adopted round's samples then, while the loop goes on with the next year.
    on_round : callable, optional
        ``on_round(options, year, number, estimates)`` before each round's allocation: the
        round's estimates — the very object ``on_year`` gets if the round is adopted. The
        money band starts on a round's estimates while the round is allocated.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import govsim
    >>> result = run(govsim.load_scenario("tiny"), years=1, replications=2, workers=1)
    >>> sorted(result.tables.convergence.columns)[:3]
    ['adopted_round', 'converged', 'reason']
    """
    options = make_options(scenario, years, replications, seed, rounds, solver, objective, engine)
    check_allocatable(scenario)  # before the first simulation, not at the first allocation
    started_utc = utc_now()
    timings = {"simulation": 0.0, "allocation": 0.0}
    header = scenario.header
    plan_years = list(range(header.base_year, header.base_year + options.years))
    total = options.replications * (1 + options.years * options.rounds)
    done = 0

    def simulate(pool: ReplicationWorkers, year: int, capacities: pd.DataFrame | None,
                 states: list[State | None], label: str) -> list[tuple[YearResult, State]]:
        nonlocal done
        started = time.perf_counter()

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total, label)

        out = pool.simulate(scenario, year, capacities, states, options.seed, on_done=tick)
        timings["simulation"] += time.perf_counter() - started
        return out

    with ReplicationWorkers(workers, options.replications, options.engine) as pool:
        baseline = simulate(pool, plan_years[0], None, [None] * options.replications,
                            f"{plan_years[0]} baseline")
        previous: list[YearResult] = [r for r, _ in baseline]
        states: list[State | None] = [None] * options.replications
        rho: dict[Cell, float] = {}
        in_force = contracts_in_force(scenario, plan_years[0])
        adopted_years: list[Round] = []
        budgets: list[YearBudget] = []
        adopted_estimates: list[tuple[int, Any]] = []
        previous_end: dict[Cell, float] | None = None
        round_rows: list[dict[str, Any]] = []
        convergence: list[dict[str, Any]] = []
        warning_rows: list[dict[str, Any]] = []
        for year in plan_years:
            candidates: list[Round] = []
            estimates_of: dict[int, Any] = {}
            # the rounds' plans are written without explanations and compliance check: only
            # the adopted round's are read
            solved_of: dict[int, SolvedAllocation] = {}
            unchanged = False
            for k in range(1, options.rounds + 1):
                estimates = estimates_from_simulation(scenario, year, previous, states, rho,
                                                      contracts=in_force)
                estimates_of[k] = estimates
                if on_round is not None:
                    on_round(options, year, k, estimates)
                started = time.perf_counter()
                solved_of[k] = solve_allocation(scenario, estimates, year,
                                                objective=options.objective,
                                                solver=options.solver,
                                                threads=thread_count(workers))
                allocation = solved_of[k].result(explain=False)
                timings["allocation"] += time.perf_counter() - started
                if candidates and same_purchases(allocation, candidates[-1].allocation):
                    unchanged = True
                    break
                capacities = _capacities(allocation.allocation)
                trial = simulate(pool, year, capacities, states, f"{year} round {k}")
                candidate = check_round(scenario, k, allocation, estimates, trial, dict(rho))
                candidates.append(candidate)
                round_rows.append(candidate.row(year))
                if not candidate.misses:
                    break
                lowered = lower_targets(rho, candidate.misses, scenario)
                if not lowered:
                    break
                if k == options.rounds:
                    break
                rho = lowered
            total -= options.replications * (options.rounds - len(candidates))
            best = max(candidates, key=lambda c: (c.on_target_share, c.weighted_coverage,
                                                  c.number))
            started = time.perf_counter()
            best = replace(best, allocation=solved_of[best.number].explained(best.allocation))
            solved_of.clear()  # a province's models are large
            rho = best.rho
            adopted_years.append(best)
            budgets.append(year_budget(scenario, year, estimates_of[best.number],
                                       capped=best.allocation, solver=options.solver))
            adopted_estimates.append((year, estimates_of[best.number]))
            timings["allocation"] += time.perf_counter() - started
            if on_year is not None:
                on_year(options, year, estimates_of[best.number])
            warnings = public_staff_warnings(scenario) if year == plan_years[0] else []
            warnings += backlog_warnings(scenario, best.cells, estimates_of[best.number],
                                         best.allocation.unmet, previous_end)
            previous_end = {(r.county, r.item): float(r.backlog)
                            for r in best.cells.itertuples(index=False)}
            gap = money_needed_table(scenario, budgets[-1:]).iloc[-1]["gap_cny"]
            convergence.append(convergence_row(scenario, year, candidates, best,
                                               options.rounds, unchanged,
                                               [warning_text(w, "en") for w in warnings],
                                               None if pd.isna(gap) else float(gap)))
            warning_rows += [w.row(year) for w in warnings]
            previous = [r for r, _ in best.trial]
            states = [s for _, s in best.trial]
            in_force = plan_contracts(scenario, best.allocation.allocation, in_force, year + 1)
    kpis = per_replication(adopted_years, "kpis")
    providers = per_replication(adopted_years, "providers")
    tables = run_tables(scenario, adopted_years, kpis, providers, round_rows, convergence)
    tables["money_needed"] = money_needed_table(scenario, budgets)
    tables["warnings"] = warnings_table(warning_rows)
    manifest = build_manifest(
        "run", scenario=scenario, with_data=True, started=started_utc,
        options=options.as_dict(),
        replay_hash=replay_hash(scenario.content_hash(), options.as_dict()),
        seed=options.seed, replications=options.replications, years=plan_years,
        solver={"name": options.solver, "version": adopted_years[0].allocation.solver_version},
        timings_seconds=dict(timings),
    )
    tables = RunTables(**{**tables, "scenario": scenario, "manifest": manifest})
    baseline_kpis = stack([with_replication(r.kpis, i) for i, (r, _) in enumerate(baseline)])
    return RunResult(scenario=scenario, options=options, tables=tables, replication_kpis=kpis,
                     baseline_kpis=baseline_kpis, providers=providers, timings=timings,
                     plans=tuple(r.allocation for r in adopted_years),
                     estimates=tuple(adopted_estimates))


def _capacities(allocation: pd.DataFrame) -> pd.DataFrame:
    """What the simulation runs: FTE per (county, item, provider type) — contracts in force
    and new purchases together (one contract per cell, renewed at the new size), and new
    part-time posts."""
    columns = ["county", "item", "provider_type", "fte"]
    if allocation.empty:
        return pd.DataFrame(columns=columns)
    return allocation.groupby(columns[:3], as_index=False)["fte"].sum()


