"""The simulation–optimisation loop over a contract cycle: ``run(scenario) -> RunResult``.

For each plan year (``design.md`` → "Data flow"):

1. **Estimates** (mechanism ``dynamic-matching``). Year 1: a baseline simulation of the year
   with today's staff (public staff, directors, incumbent contracts). Later years: the adopted
   simulation of the previous year — cases that arrived, grown by the items' demand growth,
   plus the backlog carried over; provider capacity lost to failures and the satisfaction
   observed, blended with the provider type's prior (see :func:`estimates_from_simulation`).
2. **Allocate** the year's budget with :func:`govsim.allocation.allocate`.
3. **Check** the allocation with R trial simulations of the year, one per replication, each from
   that replication's carried-over state. A purchased (county, item) cell *misses* when its
   simulated p90 wait exceeds the item's target wait or its simulated coverage falls short of
   the coverage the allocation planned. Missed cells get a lower utilisation target (more
   slack per case) and the year is re-allocated; at most ``rounds`` rounds.
4. **Adopt** the round with the best checked service level. Its trial simulations *are* the
   year's simulation (trials use the same random streams as the adopted run: common random
   numbers across rounds), and their states carry backlog, contracts and bars into next year.

Units: cases, FTE, CNY, waits in working days. Randomness only through
:func:`govsim.rng.stream` keyed by (year, replication, ...): results do not depend on the
number of worker processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from govsim.allocation import AllocationResult, Estimates, allocate, estimates_from_scenario
from govsim.allocation.estimates import contracts_in_force, poisson_quantile
from govsim.bounds import LIMITS, check_allocatable, limit
from govsim.compliance import check_compliance
from govsim.demand import annual_cases
from govsim.errors import GovsimError
from govsim.manifest import command_line, package_versions, scenario_record, utc_now
from govsim.mechanisms.prices import NON_PURCHASE_TYPES
from govsim.mechanisms.report import mechanism_table
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.report import RunTables, default_run_dir, write_run
from govsim.scenario import Scenario
from govsim.sim import State, YearResult, summarise
from govsim.sim.engine import DEFAULT_ENGINE, check_engine
from govsim.sim.pool import YearPool

__all__ = ["PRIOR_FTE_YEARS", "RHO_FLOOR", "RHO_STEP", "RunError", "RunOptions", "RunResult",
           "check_options", "check_plan_year", "estimates_from_simulation", "plan_contracts",
           "replay_hash", "replay_options", "run"]

log = logging.getLogger(__name__)

#: Utilisation target of a missed cell is multiplied by this each round ...
RHO_STEP = 0.85
#: ... but never below this floor.
RHO_FLOOR = 0.4
#: Weight, in FTE-years, of a provider type's scenario values against observed performance.
PRIOR_FTE_YEARS = 20.0
#: Simulated coverage may fall this far below the planned coverage before a cell misses.
COVERAGE_TOLERANCE = 0.02
#: Objective names of earlier versions (manifests keep them): max_coverage became the goals.
_OBJECTIVE_ALIASES = {"max_coverage": "ordered_goals"}

Cell = tuple[str, str]
Progress = Callable[[int, int, str], None]


class RunError(GovsimError, ValueError):
    """Bad run options (years, replications, rounds, seed) or an unreadable replay manifest."""


@dataclass(frozen=True)
class RunOptions:
    """How a run is carried out; stored in the manifest so that ``--replay`` repeats it."""

    years: int
    replications: int
    seed: int
    rounds: int = 3
    solver: str = "highs"
    objective: str = "ordered_goals"
    #: Simulation engine (``compiled`` or the ``simpy`` reference); results do not depend on it.
    engine: str = DEFAULT_ENGINE

    def as_dict(self) -> dict[str, Any]:
        return {"years": self.years, "replications": self.replications, "seed": self.seed,
                "rounds": self.rounds, "solver": self.solver, "objective": self.objective,
                "engine": self.engine}


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced.

    Attributes
    ----------
    tables : RunTables
        The tidy tables written to the run folder (see ``docs/outputs.md``) and the manifest.
    replication_kpis : DataFrame
        Adopted simulation per ``replication, year, county, item`` (``govsim.sim.KPI_COLUMNS``).
    baseline_kpis : DataFrame
        The first plan year simulated with today's staff, per replication (same random numbers
        as the adopted first year, so the two can be compared pairwise).
    providers : DataFrame
        Contract performance per replication, year, county, item, provider type.
    rounds : DataFrame
        One row per year and round of the check loop (also in ``tables.rounds``).
    timings : dict
        Wall-clock seconds spent simulating, allocating (and, once written, reporting).
    """

    scenario: Scenario
    options: RunOptions
    tables: RunTables
    replication_kpis: pd.DataFrame
    baseline_kpis: pd.DataFrame
    providers: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def years(self) -> tuple[int, ...]:
        base = self.scenario.scenario.base_year
        return tuple(range(base, base + self.options.years))

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def replications(self) -> int:
        return self.options.replications

    @property
    def rounds(self) -> pd.DataFrame:
        return self.tables.rounds

    def write(self, out: str | Path | OutputFolder | None = None, *, lang: str | None = None,
              overwrite: bool = False, results_root: str | Path = "results") -> Path:
        """Write the run folder atomically (default ``results/<scenario>/<UTC>-<hash>/``, made
        unique with ``-2``, ``-3`` ... when taken); returns the folder written.

        ``out`` may be an :class:`~govsim.output.OutputFolder` checked before the run started.
        """
        if out is None:
            target: str | Path | OutputFolder = prepare_folder(
                default_run_dir(self.scenario, results_root), "run", default=True)
        else:
            target = out
        started = time.perf_counter()
        path = write_run(self.tables, target, lang, overwrite=overwrite)
        self.timings["report"] = time.perf_counter() - started
        return path


def run(scenario: Scenario, *, years: int | None = None, replications: int | None = None,
        seed: int | None = None, rounds: int | None = None, solver: str = "highs",
        objective: str | None = None, workers: int | None = None,
        progress: Progress | None = None, engine: str = DEFAULT_ENGINE) -> RunResult:
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
        Worker processes for the replications (``None``: all cores; 1: serial). Results do
        not depend on it.
    progress : callable, optional
        ``progress(done, total, label)`` after each simulated replication-year; ``total`` is
        an upper bound that shrinks when a year converges early.
    engine : {"compiled", "simpy"}
        Simulation engine (default compiled; ``simpy`` is the reference). Results do not
        depend on it; it is recorded in the manifest's options.

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
    options = _options(scenario, years, replications, seed, rounds, solver, objective, engine)
    check_allocatable(scenario)  # before the first simulation, not at the first allocation
    started_utc = utc_now()
    timings = {"simulation": 0.0, "allocation": 0.0}
    header = scenario.scenario
    plan_years = list(range(header.base_year, header.base_year + options.years))
    total = options.replications * (1 + options.years * options.rounds)
    done = 0

    def simulate(pool: YearPool, year: int, capacities: pd.DataFrame | None,
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

    with YearPool(workers, options.replications, options.engine) as pool:
        baseline = simulate(pool, plan_years[0], None, [None] * options.replications,
                            f"{plan_years[0]} baseline")
        previous: list[YearResult] = [r for r, _ in baseline]
        states: list[State | None] = [None] * options.replications
        rho: dict[Cell, float] = {}
        in_force = contracts_in_force(scenario, plan_years[0])
        adopted_years: list[_Round] = []
        round_rows: list[dict[str, Any]] = []
        convergence: list[dict[str, Any]] = []
        for year in plan_years:
            candidates: list[_Round] = []
            unchanged = False
            for k in range(1, options.rounds + 1):
                estimates = estimates_from_simulation(scenario, year, previous, states, rho,
                                                      contracts=in_force)
                started = time.perf_counter()
                allocation = allocate(scenario, estimates, year, objective=options.objective,
                                      solver=options.solver)
                timings["allocation"] += time.perf_counter() - started
                if candidates and _same_purchases(allocation, candidates[-1].allocation):
                    unchanged = True
                    break
                capacities = _capacities(allocation.allocation)
                trial = simulate(pool, year, capacities, states, f"{year} round {k}")
                candidate = _check(scenario, k, allocation, trial, states, dict(rho))
                candidates.append(candidate)
                round_rows.append(candidate.row(year))
                if not candidate.misses:
                    break
                lowered = _lower(rho, candidate.misses, scenario)
                if not lowered:
                    break
                if k == options.rounds:
                    break
                rho = lowered
            total -= options.replications * (options.rounds - len(candidates))
            best = max(candidates, key=lambda c: (c.on_target_share, c.weighted_coverage,
                                                  c.number))
            rho = best.rho
            adopted_years.append(best)
            convergence.append(_convergence_row(year, candidates, best, options.rounds,
                                                unchanged))
            previous = [r for r, _ in best.trial]
            states = [s for _, s in best.trial]
            in_force = plan_contracts(scenario, best.allocation.allocation, in_force, year + 1)
    kpis = _per_replication(adopted_years, "kpis")
    providers = _per_replication(adopted_years, "providers")
    tables = _tables(scenario, adopted_years, kpis, providers, round_rows, convergence)
    manifest = {
        "kind": "run",
        "command": command_line(),
        "scenario": scenario_record(scenario),
        "options": options.as_dict(),
        "replay_hash": replay_hash(scenario.content_hash(), options.as_dict()),
        "seed": options.seed,
        "replications": options.replications,
        "years": plan_years,
        "solver": {"name": options.solver, "version": adopted_years[0].allocation.solver_version},
        "versions": package_versions(),
        "started_utc": started_utc,
        "finished_utc": utc_now(),
        "timings_seconds": dict(timings),
    }
    tables = RunTables(**{**tables, "scenario": scenario, "manifest": manifest})
    baseline_kpis = _stack([_with_replication(r.kpis, i) for i, (r, _) in enumerate(baseline)])
    return RunResult(scenario=scenario, options=options, tables=tables, replication_kpis=kpis,
                     baseline_kpis=baseline_kpis, providers=providers, timings=timings)


def _options(scenario: Scenario, years: int | None, replications: int | None, seed: int | None,
             rounds: int | None, solver: str, objective: str | None,
             engine: str = DEFAULT_ENGINE) -> RunOptions:
    header = scenario.scenario
    options = RunOptions(
        years=header.horizon_years if years is None else years,
        replications=header.replications if replications is None else replications,
        seed=header.seed if seed is None else seed,
        rounds=3 if rounds is None else rounds,
        solver=solver,
        objective=scenario.policy.objective if objective is None
        else _OBJECTIVE_ALIASES.get(objective, objective),
        engine=engine,
    )
    check_options(options)
    return options


#: Most a seed may be: numpy seeds are 64-bit.
MAX_SEED = 2**64 - 1


def check_options(options: RunOptions, where: str = "") -> None:
    """Raise :class:`RunError` naming the first option out of range or of the wrong type.

    ``where`` prefixes the option names in messages (``options.`` for a replayed manifest).
    """
    from govsim.allocation import SOLVERS  # late: the allocation imports are heavy

    ranges = {"years": (1, limit("horizon_years")), "replications": (1, limit("replications")),
              "rounds": (1, limit("rounds")), "seed": (0, MAX_SEED)}
    for name, (low, high) in ranges.items():
        value = getattr(options, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RunError(f"{where}{name} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise RunError(f"{where}{name} must be between {low} and {high:,}, got {value:,}"
                           + (f" ({LIMITS[_LIMIT_OF[name]].reason})" if name in _LIMIT_OF
                              else ""))
    if options.solver not in SOLVERS:
        raise RunError(f"{where}solver must be one of {', '.join(SOLVERS)}, "
                       f"got {options.solver!r}")
    if options.objective not in ("ordered_goals", "min_cost"):
        raise RunError(f"{where}objective must be ordered_goals or min_cost, "
                       f"got {options.objective!r}")
    try:
        check_engine(options.engine)
    except ValueError as exc:
        raise RunError(f"{where}{exc}") from None


_LIMIT_OF = {"years": "horizon_years", "replications": "replications", "rounds": "rounds"}


def check_plan_year(scenario: Scenario, year: Any, name: str = "year") -> int:
    """``year`` (default the base year) if it is a plan year of ``scenario``; else
    :class:`RunError` naming ``name`` (``--year`` on the command line)."""
    header = scenario.scenario
    if year is None:
        return header.base_year
    first, last = header.base_year, header.base_year + header.horizon_years - 1
    if isinstance(year, bool) or not isinstance(year, int):
        raise RunError(f"{name} must be a calendar year, got {year!r}")
    if not first <= year <= last:
        raise RunError(f"{name} {year} is outside the plan horizon of scenario {scenario.name} "
                       f"({first}-{last}: scenario.base_year and horizon_years)")
    return year


def replay_hash(scenario_hash: str, options: dict[str, Any]) -> str:
    """SHA-256 binding a run's options to its scenario content, recorded in the manifest so
    that ``--replay`` refuses a manifest whose options were edited."""
    blob = json.dumps({"scenario": scenario_hash, "options": options}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# -- estimates from the simulated previous year ------------------------------------------------

def estimates_from_simulation(scenario: Scenario, year: int, previous: list[YearResult],
                              states: list[State | None], rho: dict[Cell, float],
                              quantile: float = 0.9,
                              contracts: pd.DataFrame | None = None) -> Estimates:
    """Estimates for ``year`` from the simulated year before it (or the baseline of ``year``).

    Parameters
    ----------
    previous
        One :class:`YearResult` per replication: the adopted simulation of ``year - 1``, or the
        baseline simulation of ``year`` itself (first plan year).
    states
        Each replication's state at the start of ``year`` (``None`` in the first year); its
        backlog is demand too.
    rho
        Utilisation targets lowered by the check loop, per (county, item); others keep
        ``policy.utilisation_target``.
    contracts
        The plan's contracts in force in ``year`` (see :func:`plan_contracts`); default the
        baseline's incumbents still in their term.

    Notes
    -----
    Cases: arrivals of the previous year (mean over replications) times the items' growth from
    that year to ``year``, plus the mean backlog carried in. Provider types: capacity lost and
    satisfaction observed over contracted FTE-years, blended with the scenario's values as if
    those had been observed over :data:`PRIOR_FTE_YEARS` FTE-years (a few contracts alone are
    too noisy to plan on).
    """
    base = estimates_from_scenario(scenario, year, quantile)
    kpis = pd.concat([r.kpis for r in previous], ignore_index=True)
    arrivals = kpis.groupby(["county", "item"])["arrivals"].mean()
    seen_year = int(previous[0].year)
    carried = _carried_backlog(states)
    demand = base.demand.copy()
    cases = []
    for county_id, item_id in zip(demand["county"], demand["item"], strict=True):
        seen = float(arrivals.get((county_id, item_id), 0.0))
        if seen_year != year:
            county, item = scenario.county(county_id), scenario.item(item_id)
            before = annual_cases(scenario, county, item, seen_year)
            seen *= annual_cases(scenario, county, item, year) / before if before > 0 else 1.0
        cases.append(seen + carried.get((county_id, item_id), 0.0))
    demand["cases_mean"] = cases
    demand["cases_quantile"] = [float(poisson_quantile(m, quantile)) for m in cases]
    demand["utilisation_target"] = [
        rho.get((c, i), scenario.policy.utilisation_target)
        for c, i in zip(demand["county"], demand["item"], strict=True)]
    providers = _observed_providers(base.providers, previous)
    running = frozenset(zip(*(pd.concat([r.providers for r in previous])[c]
                              for c in ("county", "item", "provider_type")), strict=True))
    return Estimates(demand=demand, providers=providers, quantile=quantile,
                     contracts=base.contracts if contracts is None else contracts,
                     running=running)


def _carried_backlog(states: list[State | None]) -> dict[Cell, float]:
    if not states or states[0] is None:
        return {}
    totals: dict[Cell, float] = {}
    for state in states:
        for cell, ages in (state.backlog if state else {}).items():
            totals[cell] = totals.get(cell, 0.0) + len(ages)
    return {cell: n / len(states) for cell, n in totals.items()}


def _observed_providers(prior: pd.DataFrame, previous: list[YearResult]) -> pd.DataFrame:
    frames = [r.providers for r in previous if len(r.providers)]
    if not frames:
        return prior
    seen = pd.concat(frames, ignore_index=True)
    out = prior.copy()
    for i, row in prior.iterrows():
        mine = seen[seen["provider_type"] == row["provider_type"]]
        fte = mine["fte_contracted"].astype(float)
        weight = float(fte.sum())
        if weight <= 0:
            continue
        loss = float((mine["capacity_loss_share"].astype(float) * fte).sum())
        out.loc[i, "capacity_loss"] = ((row["capacity_loss"] * PRIOR_FTE_YEARS + loss)
                                       / (PRIOR_FTE_YEARS + weight))
        served = mine["served"].astype(float)
        satisfied = mine["satisfaction"].astype(float)
        ok = served.gt(0) & satisfied.notna()
        if ok.any():
            n = float(served[ok].sum())
            quality = float((satisfied[ok] * served[ok]).sum()) / n
            out.loc[i, "quality"] = ((row["quality"] * PRIOR_FTE_YEARS + quality * weight)
                                     / (PRIOR_FTE_YEARS + weight))
    return out


def _capacities(allocation: pd.DataFrame) -> pd.DataFrame:
    """What the simulation runs: FTE per (county, item, provider type) — contracts in force
    and new purchases together (one contract per cell, renewed at the new size), and new
    part-time posts."""
    columns = ["county", "item", "provider_type", "fte"]
    if allocation.empty:
        return pd.DataFrame(columns=columns)
    return allocation.groupby(columns[:3], as_index=False)["fte"].sum()


def plan_contracts(scenario: Scenario, allocation: pd.DataFrame, in_force: pd.DataFrame,
                   year: int) -> pd.DataFrame:
    """The plan's contracts in force in ``year``, from the adopted allocation of ``year - 1``.

    Every purchase of a (county, item, provider type) is one contract, renewed a year at a
    time: it started with the contract in force that year (if any) or in ``year - 1``, and it
    continues into ``year`` at its FTE while within ``max_contract_years`` of its start
    (001 §(七)4); then the purchase is re-tendered, a new purchase. Part-time posts are not
    contracts.
    """
    started = {(r.county, r.item, r.provider_type): int(r.start_year)
               for r in in_force.itertuples(index=False)}
    limit = scenario.policy.max_contract_years
    columns = list(in_force.columns) if len(in_force.columns) else \
        ["county", "item", "provider_type", "fte", "start_year"]
    rows = []
    purchases = allocation[~allocation["provider_type"].isin(NON_PURCHASE_TYPES)] \
        if len(allocation) else allocation
    if len(purchases):
        grouped = purchases.groupby(["county", "item", "provider_type"])["fte"].sum()
        for (county, item, ptype), fte in grouped.items():
            start = started.get((county, item, ptype), year - 1)
            if fte > 0 and year - start < limit:
                rows.append({"county": county, "item": item, "provider_type": ptype,
                             "fte": float(fte), "start_year": start})
    return pd.DataFrame(rows, columns=columns)


# -- the check -------------------------------------------------------------------------------

@dataclass
class _Round:
    """One allocation of a year and the trial simulations that checked it."""

    number: int
    allocation: AllocationResult
    trial: list[tuple[YearResult, State]]
    rho: dict[Cell, float]
    misses: dict[Cell, str]
    checked: int
    on_target_share: float
    weighted_coverage: float
    p90_wait_days: float

    def row(self, year: int) -> dict[str, Any]:
        binding = _cap_binding(self.allocation)
        return {"year": year, "round": self.number, "cells_checked": self.checked,
                "cells_missed": len(self.misses), "on_target_share": self.on_target_share,
                "weighted_coverage": self.weighted_coverage,
                "p90_wait_days": self.p90_wait_days,
                "spend_cny": self.allocation.spend_cny,
                "relief_cap_binding": ", ".join(binding),
                "missed": "; ".join(f"{c}/{i}: {why}" for (c, i), why in
                                    sorted(self.misses.items())[:20])}


def _check(scenario: Scenario, number: int, allocation: AllocationResult,
           trial: list[tuple[YearResult, State]], states: list[State | None],
           rho: dict[Cell, float]) -> _Round:
    """Compare the trial simulations with the allocation's plan, cell by cell."""
    kpis = pd.concat([r.kpis for r, _ in trial], ignore_index=True)
    mean = kpis.groupby(["county", "item"])[["arrivals", "served", "wait_p90_days"]].mean()
    carried = _carried_backlog(states)
    planned = {(r.county, r.item): r.coverage for r in allocation.unmet.itertuples()}
    bought = set(zip(allocation.allocation["county"], allocation.allocation["item"],
                     strict=True))
    items = {i.id: i for i in scenario.items}
    misses: dict[Cell, str] = {}
    weight_all = served_all = weight_checked = weight_ok = 0.0
    waits: list[tuple[float, float]] = []
    for (county, item_id), row in mean.iterrows():
        item = items[item_id]
        if not item.is_purchasable:
            continue
        seen = float(row["arrivals"]) + carried.get((county, item_id), 0.0)
        coverage = min(1.0, float(row["served"]) / seen) if seen > 0 else 1.0
        weight = item.priority * seen
        weight_all += weight
        served_all += item.priority * min(seen, float(row["served"]))
        if not math.isnan(row["wait_p90_days"]):
            waits.append((float(row["wait_p90_days"]), seen))
        if (county, item_id) not in bought or seen <= 0:
            continue
        weight_checked += weight
        why = []
        if not row["wait_p90_days"] <= item.target_wait_days:  # NaN: nobody served
            why.append(f"p90 wait {row['wait_p90_days']:.1f} d > {item.target_wait_days:g} d")
        plan = float(planned.get((county, item_id), 1.0))
        if coverage < plan - COVERAGE_TOLERANCE:
            why.append(f"coverage {coverage:.0%} < planned {plan:.0%}")
        if why:
            misses[(county, item_id)] = ", ".join(why)
        else:
            weight_ok += weight
    wait_weight = sum(w for _, w in waits)
    return _Round(
        number=number, allocation=allocation, trial=trial, rho=rho, misses=misses,
        checked=sum(1 for c in bought if c in mean.index),
        on_target_share=weight_ok / weight_checked if weight_checked > 0 else 1.0,
        weighted_coverage=served_all / weight_all if weight_all > 0 else 1.0,
        p90_wait_days=sum(p * w for p, w in waits) / wait_weight if wait_weight else math.nan,
    )


def _lower(rho: dict[Cell, float], misses: dict[Cell, str],
           scenario: Scenario) -> dict[Cell, float] | None:
    """Lower the utilisation target of every missed cell; ``None`` if all are at the floor."""
    start = scenario.policy.utilisation_target
    lowered = dict(rho)
    changed = False
    for cell in misses:
        current = rho.get(cell, start)
        new = max(min(RHO_FLOOR, start), current * RHO_STEP)
        if new < current - 1e-12:
            lowered[cell] = new
            changed = True
    return lowered if changed else None


def _cap_binding(allocation: AllocationResult) -> list[str]:
    c = allocation.constraints
    binding = c[(c["rule"] == "relief-cap") & c["binding"].astype(bool)]
    return sorted(str(s) for s in binding["scope"])


def _same_purchases(a: AllocationResult, b: AllocationResult) -> bool:
    """Whether two allocations buy the same FTE in every cell (to 10⁻⁶ FTE)."""
    keys = ["county", "item", "provider_type"]
    left = a.allocation.groupby(keys)["fte"].sum()
    right = b.allocation.groupby(keys)["fte"].sum()
    joined = pd.concat([left, right], axis=1).fillna(0.0)
    return bool((joined.iloc[:, 0] - joined.iloc[:, 1]).abs().max() <= 1e-6) \
        if len(joined) else True


def _convergence_row(year: int, candidates: list[_Round], best: _Round,
                     max_rounds: int, unchanged: bool) -> dict[str, Any]:
    last = candidates[-1]
    first = candidates[0]
    if not last.misses:
        reason = (f"every purchased cell met its wait and coverage targets in round "
                  f"{last.number}")
    else:
        parts = [f"{len(best.misses)} of {best.checked} purchased cells still miss their "
                 f"targets"]
        if unchanged:
            parts.append("lowering their utilisation targets did not change the allocation "
                         "(their posts are set by the staffing rules or the caps)")
        elif len(candidates) < max_rounds:
            parts.append("their utilisation targets are at the floor "
                         f"({RHO_FLOOR:.0%})")
        else:
            parts.append(f"round limit {max_rounds} reached")
        binding = _cap_binding(best.allocation)
        if binding:
            parts.append("the relief cap binds in " + ", ".join(binding)
                         + ": lowering utilisation targets moves money between items, it "
                         "cannot add any")
        reason = "; ".join(parts)
    return {"year": year, "rounds": len(candidates), "converged": not last.misses,
            "reason": reason, "adopted_round": best.number,
            "on_target_share_round1": first.on_target_share,
            "on_target_share_adopted": best.on_target_share,
            "weighted_coverage_round1": first.weighted_coverage,
            "weighted_coverage_adopted": best.weighted_coverage}


# -- tables ------------------------------------------------------------------------------------

def _tables(scenario: Scenario, adopted: list[_Round], kpis: pd.DataFrame,
            providers: pd.DataFrame, round_rows: list[dict[str, Any]],
            convergence: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    allocs = [c.allocation for c in adopted]
    allocation = _stack([a.allocation for a in allocs])
    mechanisms = mechanism_table(scenario, allocation, _per_replication(adopted, "mechanisms"))
    return {
        "allocation": allocation,
        "staffing": _stack([a.staffing for a in allocs]),
        "kpis": summarise(kpis),
        "compliance": check_compliance(scenario, allocation, _contract_spans(providers),
                                       mechanisms),
        "mechanisms": mechanisms,
        "constraints": _stack([a.constraints.assign(year=a.year) for a in allocs]),
        "contracts": _per_replication(adopted, "contracts"),
        "explanations": _stack([a.explanations for a in allocs]),
        "goals": _stack([a.goals for a in allocs]),
        "convergence": pd.DataFrame(convergence),
        "rounds": pd.DataFrame(round_rows),
    }


def _per_replication(adopted: list[_Round], table: str) -> pd.DataFrame:
    """One table of every adopted year's simulation, with a ``replication`` column."""
    return _stack([_with_replication(getattr(result, table), r) for c in adopted
                   for r, (result, _) in enumerate(c.trial)])


def _contract_spans(providers: pd.DataFrame) -> pd.DataFrame:
    """Contracts as held in the simulation: provider, first and last year in a row."""
    columns = ["county", "item", "provider", "start_year", "end_year"]
    if providers.empty:
        return pd.DataFrame(columns=columns)
    spans = (providers.groupby(["replication", "county", "item", "provider", "start_year"],
                               as_index=False)["year"].max()
             .rename(columns={"year": "end_year"}))
    return spans[columns].drop_duplicates().reset_index(drop=True)


def _with_replication(frame: pd.DataFrame, replication: int) -> pd.DataFrame:
    return frame.assign(replication=replication)[["replication", *frame.columns]]


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if len(f)]
    if not kept:  # nothing bought in any year: keep the columns, so the tables stay readable
        return frames[0].iloc[0:0].copy() if frames else pd.DataFrame()
    return pd.concat(kept, ignore_index=True)


def replay_options(manifest: Any) -> tuple[Scenario, RunOptions]:
    """The scenario and options recorded in a run's manifest (for ``govsim run --replay``).

    Raises
    ------
    RunError
        The manifest is not a govsim run manifest, a field is missing or of the wrong type
        (named as ``options.seed`` etc.), or its scenario or options were edited (their hashes
        no longer match).
    ScenarioError
        The recorded scenario content is not a valid scenario.
    """
    if not isinstance(manifest, dict) or manifest.get("kind", "run") != "run":
        raise RunError("not a govsim run manifest (its kind is not \"run\")")
    record, recorded = manifest.get("scenario"), manifest.get("options")
    if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
        raise RunError("the manifest lacks scenario.data: it is not a govsim run manifest")
    if not isinstance(recorded, dict):
        raise RunError("the manifest lacks options: it is not a govsim run manifest")
    scenario = Scenario.from_dict(record["data"], source=record.get("source")
                                  if isinstance(record.get("source"), str) else None)
    if scenario.content_hash() != record.get("content_hash"):
        raise RunError("the scenario in the manifest does not match its recorded content hash "
                       f"({record.get('content_hash')}); the manifest was edited")
    if manifest.get("replay_hash") != replay_hash(scenario.content_hash(), recorded):
        raise RunError("the options in the manifest do not match its replay_hash; the "
                       "manifest was edited (or written by a govsim without replay hashes)")
    known = set(RunOptions.__dataclass_fields__)
    unknown = sorted(set(recorded) - known)
    if unknown:
        raise RunError(f"options.{unknown[0]} is not a run option (known: "
                       f"{', '.join(sorted(known))})")
    missing = sorted(k for k in ("years", "replications", "seed") if k not in recorded)
    if missing:
        raise RunError(f"options.{missing[0]} is missing from the manifest")
    # the hash covers the options as recorded; older objective names are read as today's
    recorded = {**recorded, "objective": _OBJECTIVE_ALIASES.get(recorded.get("objective"),
                                                                recorded.get("objective"))}
    options = RunOptions(**recorded)
    check_options(options, where="options.")
    return scenario, options
