"""Whole posts: the ordered goals as a small mixed-integer program per county.

The ordered goals are solved as linear programs first (:mod:`govsim.allocation.solve`). A MILP
of the whole prefecture is slow to close (183 counties: the need goal could not be proved
within 60 s and its best plan was 7 % below the linear optimum): the counties are independent
blocks tied only by what they share, and branch and bound does not see the blocks. So the
whole posts are found county by county:

- every row whose variables all belong to one county is that county's, as it stands;
- a row shared by counties (the lottery fund, a pooled cap or child-welfare fund, the total
  budget, a prefecture-wide social-organisation share) is taken county by county in scenario
  order: each county may use what the counties before it left, less what the linear optimum
  gave the counties after it (the row's elastic variable stays at its linear value) — so a
  pooled fund that one county cannot use in whole posts passes to the next;
- a county's equity row keeps its own terms, with the other counties' service at its linear
  value.

Each county then solves the ordered goals (restricted to its own variables) as MILPs, every
goal held before the next, each within :data:`MIP_GAP` of its optimum (HiGHS closes a county's
stage in a tenth of a second or so). Sharing rows this way keeps every cap: the parts never
add up to more than the row allows. :func:`~govsim.allocation.solve.solve_model` then fixes
the posts and solves the goals once more over the continuous variables of the whole
prefecture (hours, project purchases, lottery money), so that what one county's rounding left
unused in a shared fund can still be used.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import pulp

from govsim.allocation.model import AllocationModel, Goal, hold_slack
from govsim.errors import AllocationError

__all__ = ["MIP_GAP", "MIP_SECONDS", "whole_posts"]

log = logging.getLogger(__name__)

#: Relative optimality gap of each county's MILP stages.
MIP_GAP = 1e-4
#: How far the held goals (all but the caps) may give, absolutely and relative to their bound,
#: when a stage is infeasible at the held bounds: first HiGHS's feasibility tolerance, then one
#: whole unit (tried in turn; a stage that is feasible at once never gives).
HOLD_RETRIES = ((1e-6, 1e-6), (1.0, 1e-4))
#: Safety limit of one county's MILP stage; never reached on the scenarios measured (a county
#: stage takes milliseconds) — when it is, the stage keeps its best plan and says so.
MIP_SECONDS = 30.0

_Block = list[tuple[str, dict[pulp.LpVariable, float], int, float]]



def whole_posts(model: AllocationModel) -> dict[pulp.LpVariable, float]:
    """Whole values of the model's integer variables (posts), county by county, from the
    variables' current values (the linear optimum of every goal).

    The counties' MILPs are solved with HiGHS's branch and bound whichever solver the linear
    passes use (CBC's took minutes on the same county problems).
    """
    from govsim.allocation.solve import make_solver

    make_solver("highs")  # checks highspy is there (and keeps HiGHS's banner off stdout)
    linear = {v: float(v.varValue or 0.0) for v in _all_variables(model)}
    local, shared = _split_rows(model, linear)
    tolerance = model.scenario.policy.goal_tolerance
    whole: dict[pulp.LpVariable, float] = {}
    used: dict[str, dict[str, float]] = defaultdict(dict)  # shared row -> county -> activity
    counties = [c.id for c in model.scenario.counties]
    for county in counties:
        rows = list(local.get(county, []))
        for name, (sense, bound, parts, lp_parts) in shared.items():
            if county not in parts:
                continue
            # what the row leaves this county: its bound less what the counties before used
            # and what the linear optimum gave the counties after (they can always keep it)
            others = sum(used[name].get(c, lp_parts.get(c, 0.0)) for c in counties
                         if c != county and c in lp_parts)
            others += lp_parts.get(None, 0.0)
            rows.append((f"{name}:{county}", parts[county], sense, bound - others))
        integers = {v for _, coefs, _, _ in rows for v in coefs if v.cat == pulp.LpInteger}
        integers |= {v for v in [*model.n.values(), *model.posts.values()]
                     if v.cat == pulp.LpInteger and model.county_of[v.name] == county}
        if integers:
            _solve_county(model, county, rows, tolerance)
            for var in integers:
                whole[var] = float(round(var.varValue or 0.0))
        for name, (_, _, parts, _) in shared.items():
            if county in parts:
                used[name][county] = sum(c * float(v.varValue or 0.0)
                                         for v, c in parts[county].items())
    for var, value in linear.items():  # leave the model as the linear pass left it
        if var not in whole:
            var.varValue = value
    return whole


def _all_variables(model: AllocationModel) -> list[pulp.LpVariable]:
    seen: dict[str, pulp.LpVariable] = {}
    for row in model.rows:
        for var in row.constraint:
            seen.setdefault(var.name, var)
    for var in [*model.n.values(), *model.posts.values()]:
        seen.setdefault(var.name, var)
    return list(seen.values())


_Shared = dict[str, tuple[int, float, dict[str, dict[pulp.LpVariable, float]],
                          dict[str | None, float]]]


def _split_rows(model: AllocationModel,
                linear: dict[pulp.LpVariable, float]) -> tuple[dict[str, _Block], _Shared]:
    """Each county's own rows, and the rows counties share: (sense, bound, each county's
    terms, each county's linear activity — ``None`` for the row's elastic variable)."""
    local: dict[str, _Block] = defaultdict(list)
    shared: _Shared = {}
    for row in model.rows:
        constraint = row.constraint
        bound = -constraint.constant
        by_county: dict[str | None, dict[pulp.LpVariable, float]] = defaultdict(dict)
        for var, coef in constraint.items():
            by_county[model.county_of.get(var.name)][var] = coef
        if len(by_county) == 1 and None not in by_county:
            (county, coefs), = by_county.items()
            local[county].append((row.name, coefs, constraint.sense, bound))
        elif row.rule == "equity":
            # the county's own service, the others' at its linear value
            own = by_county.get(row.scope, {})
            others = sum(c * linear[v] for county, coefs in by_county.items()
                         if county != row.scope for v, c in coefs.items())
            local[row.scope].append((row.name, own, constraint.sense, bound - others))
        else:
            parts = {c: coefs for c, coefs in by_county.items() if c is not None}
            lp = {c: sum(k * linear[v] for v, k in coefs.items())
                  for c, coefs in by_county.items()}
            shared[row.name] = (constraint.sense, bound, parts, lp)
    return local, shared


def _solve_county(model: AllocationModel, county: str, rows: _Block,
                  tolerance: float) -> None:
    """The ordered goals, restricted to the county's variables, as MILPs.

    Two shortcuts keep a county to two or three small MILPs: ``caps`` needs no MILP (no new
    purchase reaches the linear optimum's money over the caps, which contracts in force alone
    cause), and ``cost`` is a tie-break inside the ``need`` stage, weighted so that it can
    move need met by at most half the goal tolerance; the final linear pass then minimises
    the cost of the continuous purchases exactly.
    """
    mine = {v for _, coefs, _, _ in rows for v in coefs}
    cost = next((g for g in model.goals if g.key == "cost"), None)
    holds: list[tuple[int, pulp.LpAffineExpression, float]] = []
    for goal in model.goals:
        expr = _restricted(goal.expr, mine)
        if not len(expr) or (goal.key == "cost" and any(g.key == "need" for g in model.goals)):
            continue
        value = float(pulp.value(expr) or 0.0)  # the linear optimum, restricted
        if goal.key != "caps":
            objective = _restricted(goal.objective, mine)
            if goal.key == "need" and cost is not None:
                spend = _restricted(cost.objective, mine)
                weight = 0.5 * tolerance * max(1.0, abs(value)) / max(1.0, float(
                    pulp.value(spend) or 0.0) * 2.0)
                objective = expr - weight * spend
            value = _stage(model, county, goal, objective, expr, rows, holds)
        slack = hold_slack(goal, value, tolerance)
        holds.append((goal.sense, expr, value + slack if goal.sense == pulp.LpMinimize
                      else value - slack))


def _restricted(expr: pulp.LpAffineExpression,
                mine: set[pulp.LpVariable]) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression([(v, c) for v, c in expr.items() if v in mine])


def _stage(model: AllocationModel, county: str, goal: Goal,
           objective: pulp.LpAffineExpression, expr: pulp.LpAffineExpression, rows: _Block,
           holds: list[tuple[int, pulp.LpAffineExpression, float]]) -> float:
    problem = pulp.LpProblem(f"{model.problem.name}_{county}_{goal.key}", goal.sense)
    for name, coefs, sense, rhs in rows:
        problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(coefs), sense,
                                                _safe(name), rhs))
    for k, (held_sense, held_expr, bound) in enumerate(holds):
        sense = pulp.LpConstraintLE if held_sense == pulp.LpMinimize else pulp.LpConstraintGE
        problem.addConstraint(pulp.LpConstraint(held_expr, sense, f"hold_{k}", bound))
    problem.setObjective(objective)
    status = problem.solve(pulp.HiGHS(msg=False, gapRel=MIP_GAP, timeLimit=MIP_SECONDS))
    for give_abs, give_rel in HOLD_RETRIES:
        if status != pulp.LpStatusInfeasible or not holds:
            break
        # A MIP solution meets its rows within HiGHS's feasibility tolerance, so an earlier
        # stage's optimum can be just out of reach here (seen with volunteer hours tied to whole
        # posts: a staffing optimum that needed a fraction of a yuan over a cap). The caps hold
        # never gives; the later goals give a little, then one whole unit (a person, an hour).
        for k, (held_sense, _, bound) in enumerate(holds):
            if k == 0 and model.goals and model.goals[0].key == "caps":
                continue
            give = max(give_abs, give_rel * abs(bound))
            loose = bound + give if held_sense == pulp.LpMinimize else bound - give
            problem.constraints[f"hold_{k}"].constant = -loose
        status = problem.solve(pulp.HiGHS(msg=False, gapRel=MIP_GAP, timeLimit=MIP_SECONDS))
        if status == pulp.LpStatusOptimal:
            log.info("%s: the %s stage held the earlier goals within %g (+%g relative)",
                     county, goal.key, give_abs, give_rel)
    if status != pulp.LpStatusOptimal:
        raise AllocationError(f"highs found no whole-post plan for {county} at the "
                              f"{goal.key} goal: {pulp.LpStatus.get(status, status)}")
    return float(pulp.value(expr) or 0.0)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)
