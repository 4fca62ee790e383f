"""The budget allocation model: how much service to buy, where, from whom, under the caps.

``allocate(scenario)`` builds a mixed-integer linear program (PuLP) from demand and provider
estimates — new purchased FTE per (county, purchasable item, provider type) on top of the
contracts in force, hours of need served per source, new part-time child-welfare posts — with
every policy cap as a named constraint (``relief-cap[linshui]``, ``social-org-share[linshui]``,
``caseworker-ratio[linshui]``, ``child-welfare-staff[linshui]``, ``market[linshui,social_org]``,
``fund[child,linshui]``, ``fund[lottery]``, ``floor[linshui,care]`` …), optimises the ordered
goals (statutory duties, staffing rules, floors and fairness, need met, cost) with HiGHS or CBC,
and returns an :class:`AllocationResult` of tidy tables: the purchases (CNY, FTE, people), the
need served, staffing against the rules, every constraint's slack and shadow price, the goals
and what each costs the next, plain-language explanations (English and Chinese, money in 万元)
and the independent compliance check of :func:`govsim.compliance.check_compliance`.

Money caps and staffing rules are elastic, so a hard case yields a plan plus explanations,
never an exception. Modules: ``estimates`` (the input tables), ``model`` (variables, constraint
families, goals), ``solve`` (the ordered solve, duals), ``results`` (tables), ``explain``
(texts), ``needed`` (money needed). The model is written out in ``docs/allocation.md``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import pandas as pd

from govsim.allocation.estimates import Estimates, estimates_from_scenario
from govsim.allocation.explain import EXPLANATION_COLUMNS, explanations_table
from govsim.allocation.model import AllocationModel, DemandColumn, Objective, build_model
from govsim.allocation.results import (
    allocation_table,
    constraints_table,
    goals_table,
    staffing_table,
    unmet_table,
)
from govsim.allocation.solve import (
    SOLVERS,
    AllocationStatus,
    SolveOutcome,
    make_solver,
    solve_model,
)
from govsim.bounds import check_allocatable
from govsim.compliance import COMPLIANCE_COLUMNS, check_compliance
from govsim.errors import AllocationError
from govsim.policy import WAN
from govsim.scenario import Scenario

__all__ = [
    "SOLVERS",
    "AllocationError",
    "AllocationResult",
    "AllocationStatus",
    "Estimates",
    "SolvedAllocation",
    "allocate",
    "build_model",
    "estimates_from_scenario",
    "solve_allocation",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllocationResult:
    """A solved allocation of one plan year (money in CNY, capacity in FTE, people).

    Attributes
    ----------
    status : AllocationStatus
        ``OPTIMAL``, or ``RELAXED`` when an elastic rule had to give (see ``explanations``).
    objective, solver, solver_version, year
        What was solved (``ordered_goals`` or ``min_cost``), how and for when.
    allocation : DataFrame
        ``year, county, item, provider_type, fund, basis, persons, fte, cost, cost_lottery``:
        contracts in force (``basis = continuing``) and new purchases.
    unmet : DataFrame
        ``year, county, item, cases_demand, cases_unmet, hours_need, hours_served, coverage``.
    staffing : DataFrame
        ``year, county, rule, required, in_post, purchased, part_time_posts, shortfall``
        (people).
    constraints : DataFrame
        ``name, rule, scope, binding, slack, shadow_price, value, limit, over,
        shadow_price_per_10k_cny`` for every named constraint.
    goals : DataFrame
        ``year, order, goal, unit, value, price, next_goal, next_unit``: each goal's optimum
        and what holding it costs the next (NaN unless ``goal_prices``).
    explanations : DataFrame
        ``year, county, item, rule, shortfall, money_cny, text_en, text_zh``.
    compliance : DataFrame
        :func:`govsim.compliance.check_compliance` of ``allocation``.
    build_seconds, solve_seconds : float
        Wall-clock time to build the model and to solve every goal.
    """

    status: AllocationStatus
    objective: str
    solver: str
    solver_version: str
    year: int
    allocation: pd.DataFrame
    unmet: pd.DataFrame
    staffing: pd.DataFrame
    constraints: pd.DataFrame
    goals: pd.DataFrame
    explanations: pd.DataFrame
    compliance: pd.DataFrame
    build_seconds: float
    solve_seconds: float

    @property
    def spend_cny(self) -> float:
        """Total purchase spending in the year, contracts in force included, CNY (an exact
        sum: the same in whatever order the rows come)."""
        return math.fsum(self.allocation["cost"])

    @property
    def objective_value(self) -> float:
        """The last goal optimised: need met (``ordered_goals``: the ``need`` goal) or the money
        of new purchases in CNY (``min_cost``)."""
        goals = self.goals.set_index("goal")["value"]
        if "need" in goals.index:
            return float(goals["need"])
        return float(goals["cost"]) * WAN

    def shadow_price(self, name: str) -> float:
        """Shadow price of the constraint called ``name`` (e.g. ``relief-cap[linshui]``)."""
        match = self.constraints.loc[self.constraints["name"] == name, "shadow_price"]
        if match.empty:
            raise KeyError(f"no constraint {name!r}")
        return float(match.iloc[0])


def allocate(scenario: Scenario, estimates: Estimates | None = None, year: int | None = None,
             *, objective: Objective | None = None, solver: str = "highs",
             integer_posts: bool | None = None, demand: DemandColumn = "mean",
             goal_prices: bool = False, explain: bool = True,
             threads: int = 1) -> AllocationResult:
    """Allocate one year's purchase budget under the policy caps.

    Parameters
    ----------
    scenario : Scenario
    estimates : Estimates, optional
        Demand, provider and contract estimates; default :func:`estimates_from_scenario`.
    year : int, optional
        Calendar plan year; default the scenario's base year.
    objective : {"ordered_goals", "min_cost"}, optional
        Default ``scenario.policy.objective``. ``min_cost`` is money needed: the least money
        meeting the statutory duties, the staffing rules, the floors and the coverage target
        with the caps lifted.
    solver : {"highs", "cbc"}
        HiGHS in-process (highspy), or CBC bundled with PuLP.
    integer_posts : bool, optional
        Whole posts (a MILP); default ``scenario.policy.integer_posts``. Shadow prices then
        come from the LP relaxation of the stage that values money.
    demand : {"mean", "quantile"}
        Whether the need is the expected cases or the estimates' upper quantile.
    goal_prices : bool
        Also solve, for each goal, the next goal with it dropped (what each goal costs the
        next); doubles the solves.
    explain : bool
        Write the explanations and the compliance check (default). ``False`` leaves both
        tables empty — for callers that read only the plan (money needed and its samples,
        where the two took half the time).
    threads : int
        Counties whose whole posts are solved at once (default 1), and above one, a county's
        harder searches two at a time; the plan is the same with any number. One keeps the
        allocation to one core.

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
    return solve_allocation(scenario, estimates, year, objective=objective, solver=solver,
                            integer_posts=integer_posts, demand=demand,
                            goal_prices=goal_prices, threads=threads).result(explain)


@dataclass(frozen=True)
class SolvedAllocation:
    """A solved allocation model before its tables: :func:`allocate` in two steps.

    A caller that keeps one plan of several — the run's check rounds adopt one round a year —
    writes the plans with ``result(explain=False)`` and the explanations and compliance check
    only of the plan it keeps, with ``explained``.
    """

    model: AllocationModel
    estimates: Estimates
    outcome: SolveOutcome
    build_seconds: float

    def result(self, explain: bool = True) -> AllocationResult:
        """The plan's tables (see :func:`allocate`)."""
        return _result(self.model, self.estimates, self.outcome, self.build_seconds, explain)

    def explained(self, result: AllocationResult) -> AllocationResult:
        """``result`` — this model's, written with ``explain=False`` — with its explanations
        and compliance check: the tables ``result(explain=True)`` writes."""
        return _explained(self.model, result)


def solve_allocation(scenario: Scenario, estimates: Estimates | None = None,
                     year: int | None = None, *, objective: Objective | None = None,
                     solver: str = "highs", integer_posts: bool | None = None,
                     demand: DemandColumn = "mean", goal_prices: bool = False,
                     threads: int = 1) -> SolvedAllocation:
    """Build and solve the allocation model of one year (the arguments of :func:`allocate`);
    its tables come from :meth:`SolvedAllocation.result`."""
    make_solver(solver)
    check_allocatable(scenario)
    year = scenario.header.base_year if year is None else year
    estimates = estimates_from_scenario(scenario, year) if estimates is None else estimates
    objective = scenario.policy.objective if objective is None else objective
    whole = scenario.policy.integer_posts if integer_posts is None else integer_posts
    started = time.perf_counter()
    model = build_model(scenario, estimates, year, objective=objective, integer_posts=whole,
                        demand=demand)
    build_seconds = time.perf_counter() - started
    outcome = solve_model(model, solver, goal_prices=goal_prices, threads=threads)
    return SolvedAllocation(model, estimates, outcome, build_seconds)


def _result(model: AllocationModel, estimates: Estimates, outcome: SolveOutcome,
            build_seconds: float, explain: bool = True) -> AllocationResult:
    allocation = allocation_table(model)
    unmet = unmet_table(model, estimates)
    staffing = staffing_table(model)
    constraints = constraints_table(model, outcome.duals)
    relaxed = bool((staffing["shortfall"] > 1e-6).any()) or any(
        (v.varValue or 0.0) > 1e-6 for v in
        [*model.over.values(), *model.floor_gap.values(), *model.equity_gap.values(),
         *model.coverage_gap.values()])
    result = AllocationResult(
        status=AllocationStatus.RELAXED if relaxed else AllocationStatus.OPTIMAL,
        objective=model.objective, solver=outcome.solver, solver_version=outcome.version,
        year=model.year, allocation=allocation, unmet=unmet, staffing=staffing,
        constraints=constraints, goals=goals_table(model, outcome.goals),
        explanations=pd.DataFrame(columns=EXPLANATION_COLUMNS),
        compliance=pd.DataFrame(columns=COMPLIANCE_COLUMNS),
        build_seconds=build_seconds, solve_seconds=outcome.seconds,
    )
    return _explained(model, result) if explain else result


def _explained(model: AllocationModel, result: AllocationResult) -> AllocationResult:
    return replace(result,
                   explanations=explanations_table(model, result.allocation, result.staffing,
                                                   result.unmet, result.constraints),
                   compliance=check_compliance(model.shown, result.allocation))
