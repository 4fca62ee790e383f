"""Money needed over the plan horizon, from the scenario's own demand estimates.

:func:`money_needed` solves, for each plan year, the need plan (``min_cost``: caps lifted, the
coverage target) and the capped plan (the ordered goals under every cap) of the scenario's
expected demand for that year (:func:`govsim.allocation.estimates_from_scenario`: demand grown
by each item's growth, the incumbent contracts still in their term, the relief-cap base of the
year before — ``relief_fund_by_year`` or ``relief_fund_growth`` — and the prices the allocation
model uses), and builds :func:`govsim.budget.table.money_needed_table`.

No simulation: money needed is a planning figure — what the expected need costs when it is
met to the targets — and a plan that meets the targets carries no systematic backlog into the
next year, so the simulated backlog (which comes from the capped plan's shortfall and from
chance) would add noise, not need. ``govsim run`` computes the same table on its own simulated
estimates (carried backlog included), see :func:`year_budget`.

By default both plans are solved as linear programs (fractional FTE): the least money, and
seconds rather than minutes for Guang'an's three years, which keeps ``--uncertainty`` samples
cheap; ``whole_posts=True`` uses the scenario's ``integer_posts`` (whole posts, a MILP).
Units: CNY, hours, cases, people.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from govsim.allocation import AllocationResult, Estimates, allocate, estimates_from_scenario
from govsim.allocation.model import DemandColumn, build_model
from govsim.allocation.results import allocation_table
from govsim.allocation.solve import make_solver, solve_model
from govsim.bounds import check_allocatable
from govsim.budget.table import YearBudget, cell_targets, money_needed_table, unserved_cells
from govsim.errors import RunError
from govsim.scenario import Scenario

__all__ = ["BudgetResult", "check_coverage_target", "money_needed", "need_allocation", "need_plan",
           "plan_years", "with_coverage_target", "year_budget"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BudgetResult:
    """Money needed over a horizon: the table and each year's two plans."""

    scenario: Scenario
    years: tuple[YearBudget, ...]
    table: pd.DataFrame

    @property
    def unattainable(self) -> list[tuple[int, str, str, float]]:
        """(year, county, item, hours short) of the cells the need plan itself leaves below
        the targets, caps lifted (the market, or the social-organisation share of new
        purchases, cannot field the workers): its money is for what can be reached."""
        targets = cell_targets(self.scenario)
        out = []
        for budget in self.years:
            short = unserved_cells(budget.need.unmet, targets)
            for row in short[short["hours"] > 0].itertuples(index=False):
                out.append((budget.year, str(row.county), str(row.item), float(row.hours)))
        return out


def check_coverage_target(value: object, name: str = "--coverage-target") -> float:
    """``value`` as a share in [0, 1], else :class:`RunError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0.0 <= float(value) <= 1.0:
        raise RunError(f"{name} must be a share between 0 and 1, got {value!r}")
    return float(value)


def with_coverage_target(scenario: Scenario, target: float | None) -> Scenario:
    """``scenario`` with ``policy.coverage_target`` set (unchanged when ``None``)."""
    if target is None or target == scenario.policy.coverage_target:
        return scenario
    return scenario.with_overrides({"policy.coverage_target": check_coverage_target(target)})


def plan_years(scenario: Scenario, years: int | None = None) -> list[int]:
    """The calendar plan years: ``years`` (default ``horizon_years``) from the base year."""
    from govsim.bounds import limit

    count = scenario.header.horizon_years if years is None else years
    if isinstance(count, bool) or not isinstance(count, int) \
            or not 1 <= count <= limit("horizon_years"):
        raise RunError(f"--years must be between 1 and {limit('horizon_years')}, got {count!r}")
    base = scenario.header.base_year
    return list(range(base, base + count))


def need_plan(scenario: Scenario, estimates: Estimates, year: int, *, solver: str = "highs",
              whole_posts: bool = False, demand: DemandColumn = "mean") -> AllocationResult:
    """The need plan of ``year``: :func:`govsim.allocation.allocate` with ``objective =
    "min_cost"`` (caps lifted, the coverage target), linear unless ``whole_posts`` (then the
    scenario's ``integer_posts``), no explanations. The one definition of money needed's plan:
    :func:`year_budget` and the run's band (:mod:`govsim.uncertainty.run_band`) both call it."""
    whole = scenario.policy.integer_posts if whole_posts else False
    # only the plan is read here: no explanations or compliance (half the time)
    return allocate(scenario, estimates, year, objective="min_cost", solver=solver,
                    integer_posts=whole, demand=demand, explain=False)


def need_allocation(scenario: Scenario, estimates: Estimates, year: int, *,
                    solver: str = "highs") -> pd.DataFrame:
    """The allocation table of the linear need plan of ``year`` alone: ``need_plan(scenario,
    estimates, year, solver=solver).allocation``, the same model solved the same way, without
    the plan's other tables (need met, staffing, constraints, goals: most of the rest of the
    time). For the run's band (:mod:`govsim.uncertainty.run_band`), which reads only the
    purchases."""
    make_solver(solver)
    check_allocatable(scenario)
    model = build_model(scenario, estimates, year, objective="min_cost", integer_posts=False,
                        demand="mean")
    solve_model(model, solver)
    return allocation_table(model)


def year_budget(scenario: Scenario, year: int, estimates: Estimates | None = None, *,
                capped: object | None = None, solver: str = "highs",
                whole_posts: bool = False, demand: DemandColumn = "mean") -> YearBudget:
    """One plan year's need plan and capped plan from the same ``estimates``.

    Parameters
    ----------
    scenario, year
        The scenario (its coverage target) and the calendar plan year.
    estimates
        Default :func:`estimates_from_scenario` of the year.
    capped
        An allocation under the caps already made (a run's adopted plan); default: solve the
        ordered goals.
    solver, whole_posts, demand
        As :func:`govsim.allocation.allocate` (``whole_posts``: the scenario's integer_posts,
        else linear programs).
    """
    estimates = estimates_from_scenario(scenario, year) if estimates is None else estimates
    need = need_plan(scenario, estimates, year, solver=solver, whole_posts=whole_posts,
                     demand=demand)
    if capped is None:
        whole = scenario.policy.integer_posts if whole_posts else False
        capped = allocate(scenario, estimates, year, objective="ordered_goals", solver=solver,
                          integer_posts=whole, demand=demand, explain=False)
    return YearBudget(year=year, need=need, capped=capped)  # type: ignore[arg-type]


def money_needed(scenario: Scenario, years: int | None = None, *,
                 coverage_target: float | None = None, solver: str = "highs",
                 whole_posts: bool = False, bands: pd.DataFrame | None = None
                 ) -> BudgetResult:
    """Money needed per county and plan year over the horizon (see the module docstring).

    Parameters
    ----------
    scenario
        The scenario.
    years
        Plan years from the base year (default ``horizon_years``).
    coverage_target
        Share of each item's need to serve (default ``policy.coverage_target``).
    solver, whole_posts
        As :func:`year_budget`.
    bands
        ``uncertainty.csv`` rows that fill the table's band columns.

    Returns
    -------
    BudgetResult

    Examples
    --------
    >>> from govsim import load_scenario
    >>> result = money_needed(load_scenario("tiny"), years=1)
    >>> list(result.table["county"])
    ['east', 'west', '']
    """
    scenario = with_coverage_target(scenario, coverage_target)
    budgets = tuple(year_budget(scenario, year, solver=solver, whole_posts=whole_posts)
                    for year in plan_years(scenario, years))
    log.info("money needed for %s: %d years", scenario.name, len(budgets))
    return BudgetResult(scenario=scenario, years=budgets,
                        table=money_needed_table(scenario, budgets, bands))
