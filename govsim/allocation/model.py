"""The allocation linear program: variables, one ``add_*`` function per constraint family.

Units inside the model: purchased capacity in FTE (``w``), cases per year (``u`` unmet,
``v`` coverage shortfall), posts (staffing shortfall ``s``) and money in **万元** (10,000 CNY)
for every money row and for the ``min_cost`` objective — money rows in CNY would carry
coefficients of ~7·10⁴ and let the solver's 10⁻⁷ feasibility tolerance overshoot a cap by more
than the half-fen the compliance check allows. ``Row.scale`` converts a row back to natural
units (CNY, FTE, posts, cases) for reports.

Every constraint is registered as a :class:`Row` with a stable name (``relief-cap[linshui]``,
``capacity[linshui,care]``, ``market[linshui,social_org]``, ``social-org-share``,
``fund[child,linshui]`` …), the policy rule id it encodes and its scope. PuLP rewrites names
(``-[],`` become ``_``), so the registry, not PuLP's names, is the reference. Expressions are
built directly as ``pulp.LpAffineExpression`` from (variable, coefficient) lists, which is
about three times faster than ``lpSum``. The mathematics is written out in
``docs/allocation.md``.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import pulp

from govsim.allocation.estimates import Estimates
from govsim.errors import GovsimError
from govsim.policy import caseworkers_required, child_staff_required, relief_cap_limits
from govsim.scenario import Scenario

__all__ = ["AllocationError", "AllocationModel", "Penalties", "Row", "build_model"]

log = logging.getLogger(__name__)

WAN = 1e4
#: Safety factor by which an elastic penalty exceeds the most the same money could buy elsewhere.
PENALTY_FACTOR = 10.0
#: The quality tie-break is at most this share of the least valuable purchase's own value.
TIE_BREAK_SHARE = 1e-4

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")

Objective = Literal["max_coverage", "min_cost"]
DemandColumn = Literal["mean", "quantile"]


class AllocationError(GovsimError):
    """The allocation could not be built or solved (bad option, missing solver, solver failure)."""


@dataclass
class Row:
    """One named constraint: ``expr (sense) rhs``, natural value = model value × ``scale``."""

    name: str
    rule: str
    scope: str
    constraint: pulp.LpConstraint
    expr: pulp.LpAffineExpression
    sense: int
    rhs: float
    scale: float = 1.0
    elastic: pulp.LpVariable | None = None


@dataclass(frozen=True)
class Penalties:
    """Objective weights: per post short, per case below the coverage target, tie-break."""

    staffing: float
    coverage: dict[tuple[str, str], float]
    tie_break: float


@dataclass
class AllocationModel:
    """A built (unsolved) allocation LP/MILP with its variables and named rows."""

    problem: pulp.LpProblem
    scenario: Scenario
    year: int
    objective: Objective
    demand_column: str
    cells: dict[tuple[str, str], dict[str, float]]
    w: dict[tuple[str, str, str], pulp.LpVariable]
    u: dict[tuple[str, str], pulp.LpVariable]
    lottery: dict[tuple[str, str], pulp.LpVariable]
    shortfall: dict[tuple[str, str], pulp.LpVariable]
    coverage_gap: dict[tuple[str, str], pulp.LpVariable]
    cost: dict[str, float]
    quality: dict[tuple[str, str, str], float]
    penalties: Penalties
    rows: list[Row] = field(default_factory=list)
    objective_scale: float = 1.0
    objective_constant: float = 0.0

    @property
    def is_mip(self) -> bool:
        return any(v.cat == pulp.LpInteger for v in self.w.values())

    def add(self, name: str, rule: str, scope: str, terms: list[tuple[pulp.LpVariable, float]],
            sense: int, rhs: float, scale: float = 1.0,
            elastic: pulp.LpVariable | None = None) -> Row:
        """Register ``Σ terms (+ elastic) sense rhs`` under a stable name."""
        expr = pulp.LpAffineExpression(terms)
        full = expr if elastic is None else pulp.LpAffineExpression([*terms, (elastic, 1.0)])
        # PuLP mangles names; a sanitised name plus the row number stays unique and readable.
        pulp_name = f"{_UNSAFE.sub('_', name)}_{len(self.rows)}"
        constraint = pulp.LpConstraint(full, sense, pulp_name, rhs)
        self.problem.addConstraint(constraint)
        row = Row(name, rule, scope, constraint, expr, sense, rhs, scale, elastic)
        self.rows.append(row)
        return row


def build_model(scenario: Scenario, estimates: Estimates, year: int, *,
                objective: Objective = "max_coverage", integer_posts: bool = False,
                demand: DemandColumn = "mean") -> AllocationModel:
    """Build the allocation model of ``scenario`` for calendar ``year`` from ``estimates``.

    Parameters
    ----------
    scenario, estimates, year
        The problem data.
    objective : {"max_coverage", "min_cost"}
    integer_posts : bool
        Whole posts for post-mode items (a MILP); project hours stay continuous.
    demand : {"mean", "quantile"}
        Which demand column the capacity rows must cover.
    """
    if objective not in ("max_coverage", "min_cost"):
        raise AllocationError(f"unknown objective {objective!r} (max_coverage or min_cost)")
    if demand not in ("mean", "quantile"):
        raise AllocationError(f"unknown demand column {demand!r} (mean or quantile)")
    sense = pulp.LpMaximize if objective == "max_coverage" else pulp.LpMinimize
    model = AllocationModel(
        problem=pulp.LpProblem(f"allocation_{scenario.name}_{year}", sense),
        scenario=scenario, year=year, objective=objective,
        demand_column=f"cases_{demand}", cells=_cells(scenario, estimates, f"cases_{demand}"),
        w={}, u={}, lottery={}, shortfall={}, coverage_gap={},
        cost={p.id: p.cost_per_fte_year for p in scenario.provider_types},
        quality={}, penalties=Penalties(0.0, {}, 0.0),
    )
    _add_variables(model, estimates, integer_posts)
    model.penalties = _penalties(model)
    add_capacity(model)
    add_relief_cap(model)
    add_social_org_share(model)
    add_staffing(model, "caseworker-ratio")
    add_staffing(model, "child-welfare-staff")
    add_market(model)
    add_funds(model)
    if objective == "min_cost":
        add_coverage_target(model)
    set_objective(model)
    log.info("built %s: %d variables, %d rows", model.problem.name,
             model.problem.numVariables(), len(model.rows))
    return model


# -- data and variables ---------------------------------------------------------------------------

def _cells(scenario: Scenario, estimates: Estimates,
           column: str) -> dict[tuple[str, str], dict[str, float]]:
    """Demand data of each purchasable (county, item), in scenario order."""
    table = estimates.demand.set_index(["county", "item"])
    if not table.index.is_unique:
        raise AllocationError("Estimates.demand has more than one row for some (county, item)")
    records = table.to_dict("index")
    cells = {}
    for county in scenario.counties:
        for item in scenario.purchasable_items:
            key = (county.id, item.id)
            if key not in records:
                raise AllocationError(f"Estimates.demand has no row for {key}")
            row = records[key]
            cells[key] = {"cases": float(row[column]), "hours": float(row["hours_per_case"]),
                          "rho": float(row["utilisation_target"]),
                          "public_fte": float(row["public_fte"])}
    return cells


def _add_variables(model: AllocationModel, estimates: Estimates, integer_posts: bool) -> None:
    scenario = model.scenario
    ph = scenario.scenario.productive_hours_per_fte
    items = {i.id: i for i in scenario.items}
    type_ids = [p.id for p in scenario.provider_types]
    with_lottery = scenario.funds.lottery > 0
    for county in scenario.counties:
        offered = [p for p in type_ids if county.market.get(p, 0.0) > 0]
        for staffing in ("caseworker-ratio", "child-welfare-staff"):
            model.shortfall[county.id, staffing] = pulp.LpVariable(
                f"s_{len(model.shortfall)}", lowBound=0)
        for item in scenario.purchasable_items:
            cell = model.cells[county.id, item.id]
            if cell["cases"] > 0:
                model.u[county.id, item.id] = pulp.LpVariable(
                    f"u_{len(model.u)}", lowBound=0, upBound=cell["cases"])
            whole = integer_posts and item.purchase_mode == "post"
            # Project hours are packaged deliveries: no queueing allowance (rho) on them.
            rho = cell["rho"] if item.purchase_mode == "post" else 1.0
            for p in offered:
                key = (county.id, item.id, p)
                model.w[key] = pulp.LpVariable(
                    f"w_{len(model.w)}", lowBound=0,
                    cat=pulp.LpInteger if whole else pulp.LpContinuous)
                loss = estimates.provider_value("capacity_loss", county.id, item.id, p)
                model.quality[key] = estimates.provider_value("quality", county.id, item.id, p)
                cell[f"eff:{p}"] = ph * rho * (1.0 - loss) / cell["hours"]
            if with_lottery and offered and items[item.id].fund in ("relief", "child"):
                model.lottery[county.id, item.id] = pulp.LpVariable(
                    f"l_{len(model.lottery)}", lowBound=0)


def _penalties(model: AllocationModel) -> Penalties:
    """Elastic penalties large enough to rank staffing rules first, small enough for the solver.

    ``max_coverage``: money for one post could instead buy at most ``C_max / C_min`` FTE of the
    most valuable service, worth ``V_max`` priority-weighted cases each; the penalty per post
    short is ``PENALTY_FACTOR × V_max × C_max / C_min``. ``min_cost``: a case below the coverage
    target costs ``PENALTY_FACTOR × (1 + priority)`` × the dearest price of serving it; a post
    short costs
    ``PENALTY_FACTOR`` × what one post's money could save in coverage penalties.
    """
    scenario = model.scenario
    items = {i.id: i for i in scenario.items}
    prices = list(model.cost.values())
    ratio = max(prices) / min(prices)
    values, cheapest = [], []
    coverage: dict[tuple[str, str], float] = {}
    for (county, item_id), cell in model.cells.items():
        eff = [v for k, v in cell.items() if k.startswith("eff:")]
        if not eff or cell["cases"] <= 0:
            continue
        priority = items[item_id].priority
        values.append(priority * max(eff))
        if priority > 0:
            cheapest.append(priority * min(eff) / max(prices))
        # (1 + priority): when the target cannot be met, the low-priority items give first.
        coverage[county, item_id] = (PENALTY_FACTOR * (1.0 + priority) * max(prices) / WAN
                                     / min(eff))
    if model.objective == "max_coverage":
        staffing = PENALTY_FACTOR * ratio * max(values, default=0.0)
        quality = min(model.quality.values(), default=1.0) or 1.0
        tie = TIE_BREAK_SHARE * quality * min(cheapest, default=0.0)
    else:
        staffing = PENALTY_FACTOR * ratio * max(
            (coverage[k] * max(v for n, v in model.cells[k].items() if n.startswith("eff:"))
             for k in coverage), default=0.0)
        staffing = max(staffing, PENALTY_FACTOR * ratio * max(prices) / WAN)
        tie = 0.0
    return Penalties(staffing=max(staffing, 1.0), coverage=coverage, tie_break=tie)


def _cell_cost_terms(model: AllocationModel
                     ) -> dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]]:
    """Money terms (万元) of each (county, item) cell's purchases."""
    terms: dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (c, i, p), w in model.w.items():
        terms[c, i].append((w, model.cost[p] / WAN))
    return terms


# -- constraint families --------------------------------------------------------------------------

def add_capacity(model: AllocationModel) -> None:
    """``capacity[c,i]``: Σ_p eff·w + u ≥ D − ρ·ph·public/hours, in cases per year."""
    ph = model.scenario.scenario.productive_hours_per_fte
    by_cell: dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (c, i, p), w in model.w.items():
        by_cell[c, i].append((w, model.cells[c, i][f"eff:{p}"]))
    for key, u in model.u.items():
        cell = model.cells[key]
        rhs = cell["cases"] - cell["rho"] * ph * cell["public_fte"] / cell["hours"]
        model.add(f"capacity[{key[0]},{key[1]}]", "capacity", f"{key[0]}/{key[1]}",
                  [*by_cell[key], (u, 1.0)], pulp.LpConstraintGE, rhs)


def add_relief_cap(model: AllocationModel) -> None:
    """``relief-cap[c]`` (or ``relief-cap[prefecture]``): relief-fund money ≤ share × last
    year's relief spending; lottery money paying part of a relief item does not count."""
    relief = {i.id for i in model.scenario.items if i.fund == "relief"}
    terms: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    pooled = model.scenario.policy.cap_scope == "prefecture"
    for (c, i, p), w in model.w.items():
        if i in relief:
            terms["prefecture" if pooled else c].append((w, model.cost[p] / WAN))
    for (c, i), var in model.lottery.items():
        if i in relief:
            terms["prefecture" if pooled else c].append((var, -1.0))
    for scope, limit in relief_cap_limits(model.scenario).items():
        model.add(f"relief-cap[{scope}]", "relief-cap", scope, terms[scope],
                  pulp.LpConstraintLE, limit / WAN, scale=WAN)


def add_social_org_share(model: AllocationModel) -> None:
    """``social-org-share``: Σ social-org spend ≥ share × Σ spend, written linearly."""
    share = model.scenario.policy.social_org_min_share
    social = {p.id: p.is_social_org for p in model.scenario.provider_types}
    terms = [(w, (float(social[p]) - share) * model.cost[p] / WAN)
             for (_, _, p), w in model.w.items()]
    if terms:
        model.add("social-org-share", "social-org-share", "prefecture", terms,
                  pulp.LpConstraintGE, 0.0, scale=WAN)


def add_staffing(model: AllocationModel, rule: Literal["caseworker-ratio",
                                                       "child-welfare-staff"]) -> None:
    """``caseworker-ratio[c]`` / ``child-welfare-staff[c]``: people in post + purchased FTE of
    the items that count + shortfall ≥ requirement (elastic, in posts)."""
    scenario = model.scenario
    counts = "caseworker" if rule == "caseworker-ratio" else "child_staff"
    counting = {i.id for i in scenario.items if i.counts_toward == counts}
    by_county: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (c, i, _), w in model.w.items():
        if i in counting:
            by_county[c].append((w, 1.0))
    for county in scenario.counties:
        required, in_post = staffing_requirement(scenario, county.id, rule)
        model.add(f"{rule}[{county.id}]", rule, county.id, by_county[county.id],
                  pulp.LpConstraintGE, float(required - in_post),
                  elastic=model.shortfall[county.id, rule])


def staffing_requirement(scenario: Scenario, county_id: str, rule: str) -> tuple[int, int]:
    """(people required, people in post) of a staffing rule in a county."""
    county = scenario.county(county_id)
    if rule == "caseworker-ratio":
        return (caseworkers_required(county, scenario.policy.caseworker_ratio),
                county.public_caseworkers)
    return (child_staff_required(county, scenario.policy.child_staff_per_unit),
            county.child_welfare_directors)


def add_market(model: AllocationModel) -> None:
    """``market[c,p]``: Σ_i w[c,i,p] ≤ FTE that providers of type p can field in c."""
    by_market: dict[tuple[str, str], list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (c, _, p), w in model.w.items():
        by_market[c, p].append((w, 1.0))
    for county in model.scenario.counties:
        for p, capacity in county.market.items():
            if (county.id, p) in by_market:
                model.add(f"market[{county.id},{p}]", "market", f"{county.id}/{p}",
                          by_market[county.id, p], pulp.LpConstraintLE, capacity)


def child_fund_limits(scenario: Scenario) -> dict[str, float]:
    """CNY of the child-welfare fund per county (split by children) or ``{"prefecture": …}``."""
    funds = scenario.funds
    if funds.child_welfare_split == "pooled":
        return {"prefecture": funds.child_welfare}
    children = {c.id: c.left_behind_children + c.children_in_difficulty
                for c in scenario.counties}
    total = sum(children.values())
    if total == 0:
        return {c: funds.child_welfare / len(children) for c in children}
    return {c: funds.child_welfare * n / total for c, n in children.items()}


def add_funds(model: AllocationModel) -> None:
    """``fund[child,c]`` / ``fund[child]``, ``fund[lottery]``, ``fund-split[c,i]`` and
    ``total-budget``. Relief items are paid from the relief cap, child items from the
    child-welfare fund, lottery (and fund-less purchasable) items from the lottery fund; the
    lottery fund may also pay any part of a relief or child item (``l[c,i]`` ≤ the cell's cost)."""
    scenario = model.scenario
    fund_of = {i.id: i.fund for i in scenario.items}
    pooled = scenario.funds.child_welfare_split == "pooled"
    child: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    lottery: list[tuple[pulp.LpVariable, float]] = []
    cell_cost = _cell_cost_terms(model)
    for (c, i, p), w in model.w.items():
        money = model.cost[p] / WAN
        if fund_of[i] == "child":
            child["prefecture" if pooled else c].append((w, money))
        elif fund_of[i] in ("lottery", "none"):
            lottery.append((w, money))
    for (c, i), var in model.lottery.items():
        lottery.append((var, 1.0))
        if fund_of[i] == "child":
            child["prefecture" if pooled else c].append((var, -1.0))
        model.add(f"fund-split[{c},{i}]", "funding-sources", f"{c}/{i}",
                  [(var, 1.0)] + [(w, -m) for w, m in cell_cost[c, i]],
                  pulp.LpConstraintLE, 0.0, scale=WAN)
    for scope, limit in child_fund_limits(scenario).items():
        if child[scope]:
            name = "fund[child]" if scope == "prefecture" else f"fund[child,{scope}]"
            model.add(name, "funding-sources", f"fund:child/{scope}", child[scope],
                      pulp.LpConstraintLE, limit / WAN, scale=WAN)
    if lottery:
        model.add("fund[lottery]", "funding-sources", "fund:lottery", lottery,
                  pulp.LpConstraintLE, scenario.funds.lottery / WAN, scale=WAN)
    if scenario.funds.total_budget is not None and model.w:
        model.add("total-budget", "funding-sources", "total",
                  [(w, model.cost[p] / WAN) for (_, _, p), w in model.w.items()],
                  pulp.LpConstraintLE, scenario.funds.total_budget / WAN, scale=WAN)


def add_coverage_target(model: AllocationModel) -> None:
    """``coverage-target[c,i]`` (min_cost): u − v ≤ (1 − target)·D, v ≥ 0 elastic (cases)."""
    target = model.scenario.policy.coverage_target
    for key, u in model.u.items():
        gap = pulp.LpVariable(f"v_{len(model.coverage_gap)}", lowBound=0)
        model.coverage_gap[key] = gap
        model.add(f"coverage-target[{key[0]},{key[1]}]", "coverage-target",
                  f"{key[0]}/{key[1]}", [(u, 1.0), (gap, -1.0)], pulp.LpConstraintLE,
                  (1.0 - target) * model.cells[key]["cases"])


def set_objective(model: AllocationModel) -> None:
    """max_coverage: Σ priority·(D − u) − P·Σ s − ε·Σ (price/quality)·w, in weighted cases.
    min_cost: Σ price·w + Σ P_cov·v + P·Σ s, in 万元 (reported in CNY)."""
    items = {i.id: i for i in model.scenario.items}
    pen = model.penalties
    terms: list[tuple[pulp.LpVariable, float]]
    if model.objective == "max_coverage":
        terms = [(u, -items[i].priority) for (_, i), u in model.u.items()]
        terms += [(w, -pen.tie_break * model.cost[p] / model.quality[c, i, p])
                  for (c, i, p), w in model.w.items()]
        terms += [(s, -pen.staffing) for s in model.shortfall.values()]
        constant = math.fsum(items[i].priority * model.cells[c, i]["cases"]
                             for (c, i) in model.u)
        model.objective_scale = 1.0
    else:
        terms = [(w, model.cost[p] / WAN) for (_, _, p), w in model.w.items()]
        terms += [(v, pen.coverage[k]) for k, v in model.coverage_gap.items()]
        terms += [(s, pen.staffing) for s in model.shortfall.values()]
        constant = 0.0
        model.objective_scale = WAN
    model.objective_constant = constant
    model.problem.setObjective(pulp.LpAffineExpression(terms, constant=constant))
