"""The budget allocation model: how much service to buy, where, from whom, under the caps.

``allocate(scenario)`` builds a linear program (PuLP) from demand and provider estimates —
purchased FTE per (county, purchasable item, provider type) and unmet cases per (county, item)
— with every policy cap as a named constraint (``relief-cap[linshui]``, ``social-org-share``,
``caseworker-ratio[linshui]``, ``child-welfare-staff[linshui]``, ``market[linshui,social_org]``,
``fund[child,linshui]``, ``fund[lottery]``, ``capacity[linshui,care]``), solves it with CBC or
HiGHS, and returns an :class:`AllocationResult` of tidy tables: the purchases (CNY, FTE),
unmet cases, staffing against the rules, every constraint's slack and shadow price, plain-
language explanations (English and Chinese, money in 万元) and the independent compliance
check of :func:`govsim.policy.check_compliance`.

Staffing rules are elastic (a shortfall variable at a large penalty), so a hard case yields an
allocation plus explanations, never an exception. Modules: ``estimates`` (the input tables),
``model`` (variables and constraint families), ``solve`` (solvers and duals), ``results``
(tables) and ``explain`` (texts). The LP is written out in ``docs/allocation.md``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pandas as pd

from govsim.allocation.estimates import Estimates, estimates_from_scenario
from govsim.allocation.explain import explanations_table
from govsim.allocation.model import (
    AllocationError,
    AllocationModel,
    DemandColumn,
    Objective,
    build_model,
)
from govsim.allocation.results import (
    allocation_table,
    constraints_table,
    staffing_table,
    unmet_table,
)
from govsim.allocation.solve import SOLVERS, AllocationStatus, make_solver, solve_model
from govsim.bounds import check_allocatable
from govsim.policy import check_compliance
from govsim.scenario import Scenario

__all__ = [
    "SOLVERS",
    "AllocationError",
    "AllocationResult",
    "AllocationStatus",
    "Estimates",
    "allocate",
    "build_model",
    "estimates_from_scenario",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllocationResult:
    """A solved allocation of one plan year (money in CNY, capacity in FTE).

    Attributes
    ----------
    status : AllocationStatus
        ``OPTIMAL``, or ``RELAXED`` when an elastic rule had to give (see ``explanations``).
    objective_value : float
        Priority-weighted served cases minus penalties (``max_coverage``) or CNY of spend plus
        penalties (``min_cost``), including the tiny quality tie-break.
    objective, solver, solver_version, year
        What was solved, how and for when.
    allocation : DataFrame
        ``year, county, item, provider_type, fund, fte, cost`` — purchases with fte > 0.
    unmet : DataFrame
        ``year, county, item, cases_demand, cases_unmet, coverage``.
    staffing : DataFrame
        ``year, county, rule, required, in_post, purchased, shortfall``.
    constraints : DataFrame
        ``name, rule, scope, binding, slack, shadow_price, value, limit,
        shadow_price_per_10k_cny`` for every named constraint.
    explanations : DataFrame
        ``year, county, rule, shortfall, money_cny, text_en, text_zh``.
    compliance : DataFrame
        :func:`govsim.policy.check_compliance` of ``allocation``.
    build_seconds, solve_seconds : float
        Wall-clock time to build the PuLP model and to solve it (incl. reading the answer).
    """

    status: AllocationStatus
    objective_value: float
    objective: str
    solver: str
    solver_version: str
    year: int
    allocation: pd.DataFrame
    unmet: pd.DataFrame
    staffing: pd.DataFrame
    constraints: pd.DataFrame
    explanations: pd.DataFrame
    compliance: pd.DataFrame
    build_seconds: float
    solve_seconds: float

    @property
    def spend_cny(self) -> float:
        """Total purchase spending, CNY."""
        return float(self.allocation["cost"].sum())

    def shadow_price(self, name: str) -> float:
        """Shadow price of the constraint called ``name`` (e.g. ``relief-cap[linshui]``)."""
        match = self.constraints.loc[self.constraints["name"] == name, "shadow_price"]
        if match.empty:
            raise KeyError(f"no constraint {name!r}")
        return float(match.iloc[0])


def allocate(scenario: Scenario, estimates: Estimates | None = None, year: int | None = None,
             *, objective: Objective | None = None, solver: str = "cbc",
             integer_posts: bool | None = None,
             demand: DemandColumn = "mean") -> AllocationResult:
    """Allocate one year's purchase budget under the policy caps.

    Parameters
    ----------
    scenario : Scenario
    estimates : Estimates, optional
        Demand and provider estimates; default :func:`estimates_from_scenario` for ``year``.
    year : int, optional
        Calendar plan year; default the scenario's base year.
    objective : {"max_coverage", "min_cost"}, optional
        Default ``scenario.policy.objective``.
    solver : {"cbc", "highs"}
        CBC bundled with PuLP, or HiGHS (interior point + crossover) when highspy is installed.
    integer_posts : bool, optional
        Whole posts (a MILP); default ``scenario.policy.integer_posts``. Shadow prices then
        come from the LP relaxation.
    demand : {"mean", "quantile"}
        Whether capacity must cover expected cases or the estimates' upper quantile.

    Returns
    -------
    AllocationResult

    Raises
    ------
    AllocationError
        Unknown objective or solver, HiGHS without highspy, or a solver failure.

    Examples
    --------
    >>> from govsim import load_scenario
    >>> result = allocate(load_scenario("tiny"))
    >>> result.status.value
    'optimal'
    """
    make_solver(solver)
    check_allocatable(scenario)
    year = scenario.scenario.base_year if year is None else year
    estimates = estimates_from_scenario(scenario, year) if estimates is None else estimates
    objective = scenario.policy.objective if objective is None else objective
    whole = scenario.policy.integer_posts if integer_posts is None else integer_posts
    started = time.perf_counter()
    model = build_model(scenario, estimates, year, objective=objective, integer_posts=whole,
                        demand=demand)
    build_seconds = time.perf_counter() - started
    outcome = solve_model(model, solver)
    return _result(model, estimates, outcome.duals, solver, outcome.version, build_seconds,
                   outcome.seconds)


def _result(model: AllocationModel, estimates: Estimates, duals: dict[str, float], solver: str,
            version: str, build_seconds: float, solve_seconds: float) -> AllocationResult:
    allocation = allocation_table(model)
    unmet = unmet_table(model, estimates)
    staffing = staffing_table(model)
    constraints = constraints_table(model, duals)
    explanations = explanations_table(model, allocation, staffing, unmet, constraints)
    relaxed = bool((staffing["shortfall"] > 1e-6).any()) or any(
        (v.varValue or 0.0) > 1e-6 for v in model.coverage_gap.values())
    value = float(model.problem.objective.value() or 0.0) * model.objective_scale
    return AllocationResult(
        status=AllocationStatus.RELAXED if relaxed else AllocationStatus.OPTIMAL,
        objective_value=value, objective=model.objective, solver=solver,
        solver_version=version, year=model.year, allocation=allocation, unmet=unmet,
        staffing=staffing, constraints=constraints, explanations=explanations,
        compliance=check_compliance(model.scenario, allocation),
        build_seconds=build_seconds, solve_seconds=solve_seconds,
    )
