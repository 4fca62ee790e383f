"""Reading a solved allocation model into tidy tables (money in CNY, capacity in FTE, people).

``allocation_table`` has one row per (county, item, provider type, basis): ``continuing`` for
the contracts in force, ``new`` for new purchases; ``cost_lottery`` is the part of ``cost`` the
lottery fund pays. New part-time child-welfare posts are rows with provider type
``part_time_post``. ``persons`` counts people (whole posts in whole-post mode); project-mode
purchases are packaged hours, not posts, and have none. ``unmet_table`` covers every (county,
item) including prohibited items, whose need is met by public staff alone; coverage is hours
served ÷ hours of need (missing when there is no need). ``staffing_table`` reports the staffing
rules in people, ``constraints_table`` every named row with slack, shadow price and how far an
elastic row gave, ``goals_table`` the ordered goals.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from govsim.allocation.estimates import Estimates
from govsim.allocation.model import (
    PART_TIME_POST,
    STAFFING_RULES,
    WAN,
    AllocationModel,
    Row,
    staffing_requirement,
)
from govsim.allocation.solve import GoalOutcome
from govsim.mechanisms.prices import VILLAGE_ASSISTANT, VOLUNTEER

__all__ = [
    "ALLOCATION_COLUMNS",
    "CONSTRAINT_COLUMNS",
    "GOAL_COLUMNS",
    "STAFFING_COLUMNS",
    "UNMET_COLUMNS",
    "allocation_table",
    "constraints_table",
    "goals_table",
    "staffing_table",
    "unmet_table",
]

ALLOCATION_COLUMNS = ["year", "county", "item", "provider_type", "fund", "basis", "persons",
                      "fte", "cost", "cost_lottery"]
UNMET_COLUMNS = ["year", "county", "item", "cases_demand", "cases_unmet", "hours_need",
                 "hours_served", "coverage"]
STAFFING_COLUMNS = ["year", "county", "rule", "required", "in_post", "purchased",
                    "part_time_posts", "shortfall"]
CONSTRAINT_COLUMNS = ["name", "rule", "scope", "binding", "slack", "shadow_price", "value",
                      "limit", "over", "shadow_price_per_10k_cny", "hours_per_10k_cny",
                      "people_per_10k_cny", "marginal_cell"]
GOAL_COLUMNS = ["year", "order", "goal", "unit", "value", "price", "next_goal", "next_unit",
                "whole_post_gap"]

#: FTE below this are solver noise, not purchases.
FTE_EPSILON = 1e-9


def _value(var: object) -> float:
    value = getattr(var, "varValue", None)
    return 0.0 if value is None else float(value)


def allocation_table(model: AllocationModel) -> pd.DataFrame:
    """Purchases in the year: contracts in force and new purchases (see the module docstring)."""
    scenario = model.scenario
    items = {i.id: i for i in scenario.items}
    rows = []
    for (c, i), offered in model.offered.items():
        item = items[i]
        parts = []
        for p in offered:
            cont = model.continuing.get((c, i, p), 0.0)
            new = _value(model.n[c, i, p])
            for basis, fte in (("continuing", cont), ("new", new)):
                if fte > FTE_EPSILON:
                    price = model.cost[p] if basis == "continuing" else model.price((c, i, p))
                    parts.append((p, basis, fte, fte * price))
        cell_cost = math.fsum(cost for *_, cost in parts)
        lottery = _value(model.lottery[c, i]) * WAN if (c, i) in model.lottery else 0.0
        share = min(1.0, max(0.0, lottery / cell_cost)) if cell_cost > 0 else 0.0
        fund = "lottery" if item.fund in ("lottery", "none") else item.fund
        for p, basis, fte, cost in parts:
            rows.append({"year": model.year, "county": c, "item": i, "provider_type": p,
                         "fund": fund, "basis": basis,
                         "persons": fte if item.purchase_mode == "post" else math.nan,
                         "fte": fte, "cost": cost,
                         "cost_lottery": cost if fund == "lottery" else cost * share})
    baseline = scenario.baseline
    ph = scenario.header.productive_hours_per_fte
    for c, d in model.posts.items():
        posts = _value(d)
        if posts > FTE_EPSILON:
            rows.append({"year": model.year, "county": c, "item": baseline.director_item,
                         "provider_type": PART_TIME_POST, "fund": "child", "basis": "new",
                         "persons": posts, "fte": posts * baseline.director_hours_per_year / ph,
                         "cost": posts * (baseline.director_post_subsidy or 0.0),
                         "cost_lottery": 0.0})
    rows += mechanism_rows(model)
    return model.in_listed_order(pd.DataFrame(rows, columns=ALLOCATION_COLUMNS))


def mechanism_rows(model: AllocationModel) -> list[dict[str, object]]:
    """Allocation rows of volunteers (hours, no money: their subsidy is in the social workers'
    price) and village assistants (people, subsidy), one per (county, item) they work on."""
    scenario = model.scenario
    ph = scenario.header.productive_hours_per_fte
    rho = scenario.policy.utilisation_target
    m = scenario.mechanisms
    hired = model.mechanism_vars.get(VILLAGE_ASSISTANT, {})
    items = {i.id: i for i in scenario.items}
    hours: dict[str, dict[tuple[str, str], float]] = {VOLUNTEER: {}, VILLAGE_ASSISTANT: {}}
    for (c, i, src), var in model.used.items():
        if src in hours and _value(var) > FTE_EPSILON:
            hours[src][c, i] = _value(var)
    rows: list[dict[str, object]] = []
    for (c, i), used in hours[VOLUNTEER].items():
        per_person = m.volunteers.hours_per_volunteer * m.volunteers.effectiveness * rho
        rows.append({"year": model.year, "county": c, "item": i, "provider_type": VOLUNTEER,
                     "fund": _fund(items[i].fund), "basis": "new",
                     "persons": used / per_person if per_person > 0 else math.nan,
                     "fte": used / (rho * ph), "cost": 0.0, "cost_lottery": 0.0})
    for c, var in hired.items():
        mine = {i: h for (cc, i), h in hours[VILLAGE_ASSISTANT].items() if cc == c}
        total = math.fsum(mine.values())
        people = _value(var)
        for i, used in mine.items():
            share = people * used / total
            rows.append({"year": model.year, "county": c, "item": i,
                         "provider_type": VILLAGE_ASSISTANT, "fund": "relief_work",
                         "basis": "new", "persons": share,
                         "fte": share * m.village_assistants.hours_per_year / ph,
                         "cost": share * m.village_assistants.subsidy_per_year,
                         "cost_lottery": 0.0})
    return rows


def _fund(fund: str) -> str:
    return "lottery" if fund in ("lottery", "none") else fund


def unmet_table(model: AllocationModel, estimates: Estimates) -> pd.DataFrame:
    """Need (cases and hours) and what the plan serves of it, per (county, item)."""
    ph = model.scenario.header.productive_hours_per_fte
    columns = [model.demand_column, "hours_per_case", "utilisation_target", "public_fte"]
    # one dict lookup per cell: .loc per cell was 40 ms of every allocation (12 a run, 30 a band)
    demand = estimates.demand.set_index(["county", "item"])[columns].to_dict("index")
    rows = []
    for county in model.shown.counties:
        for item in model.shown.items:
            key = (county.id, item.id)
            record = demand[key]
            cases = float(record[model.demand_column])
            hours = float(record["hours_per_case"])
            need = cases * hours
            if key in model.cells:
                served = math.fsum(_value(v) for v, _ in model.served(key))
            else:
                served = float(record["utilisation_target"]) * ph * float(record["public_fte"])
            served = min(max(served, 0.0), need)
            rows.append({"year": model.year, "county": county.id, "item": item.id,
                         "cases_demand": cases,
                         "cases_unmet": (need - served) / hours if hours > 0 else 0.0,
                         "hours_need": need, "hours_served": served,
                         "coverage": served / need if need > 0 else math.nan})
    return pd.DataFrame(rows, columns=UNMET_COLUMNS)


def staffing_table(model: AllocationModel) -> pd.DataFrame:
    """Each county's staffing rules in people: required, in post, purchased (contracts in force
    and new), new part-time posts, shortfall."""
    counts = {i.id: i.counts_toward for i in model.scenario.items}
    purchased: dict[tuple[str, str], float] = defaultdict(float)
    for rule, flag in STAFFING_RULES.items():
        for (c, i, p), n in model.n.items():
            if counts[i] == flag:
                purchased[c, rule] += _value(n) + model.continuing.get((c, i, p), 0.0)
    rows = []
    for county in model.shown.counties:
        for rule in STAFFING_RULES:
            required, in_post = staffing_requirement(model.scenario, county.id, rule)
            posts = _value(model.posts.get(county.id)) if rule == "child-welfare-staff" else 0.0
            bought = purchased[county.id, rule]
            short = required - in_post - bought - posts
            rows.append({"year": model.year, "county": county.id, "rule": rule,
                         "required": required, "in_post": in_post, "purchased": bought,
                         "part_time_posts": posts,
                         "shortfall": short if short > 1e-6 else 0.0})
    return pd.DataFrame(rows, columns=STAFFING_COLUMNS)


def constraints_table(model: AllocationModel, duals: dict[str, float]) -> pd.DataFrame:
    """Every named row: binding, slack, shadow price (natural units), value, limit, over.

    ``value`` and ``limit`` include what contracts in force contribute; ``slack`` is how far
    the row is from its limit (negative when an elastic row gave: ``over`` says by how much);
    ``shadow_price`` is d(goal)/d(limit) of the stage that values money (see
    :mod:`govsim.allocation.solve`); money rows also give it per 10,000 CNY.
    """
    rows = []
    purchase_of = {var.name: key for key, var in model.n.items()}
    for row in model.rows:
        value = (float(row.expr.value() or 0.0) + row.constant) * row.scale
        limit = (row.rhs + row.constant) * row.scale
        slack = limit - value if row.sense < 0 else value - limit
        tolerance = 1e-6 * max(1.0, abs(limit))
        shadow = duals[row.name]
        rows.append({"name": row.name, "rule": row.rule, "scope": row.scope,
                     "binding": bool(slack <= tolerance), "slack": slack,
                     "shadow_price": shadow, "value": value, "limit": limit,
                     "over": _value(row.elastic) * row.scale if row.elastic is not None else 0.0,
                     "shadow_price_per_10k_cny": shadow * WAN if row.scale == WAN else None,
                     **_money_terms(model, row, shadow, purchase_of)})
    return pd.DataFrame(rows, columns=CONSTRAINT_COLUMNS)


def _money_terms(model: AllocationModel, row: Row, shadow: float,
                 purchase_of: dict[str, tuple[str, str, str]]) -> dict[str, object]:
    """What 10,000 CNY more of a binding money row buys: hours of need met, people served.

    The ordered goals spend a yuan more on the earliest goal that still wants money, so the
    **marginal cell** is, among the purchases the row pays for: a statutory cell whose work is
    not all planned (most hours per yuan), else a cell below its floor (most priority-weighted
    hours per yuan), else the cell where need met gains most per yuan — priority × quality ×
    the weight of the need segment being filled × hours per FTE ÷ price per FTE, which is the
    row's shadow price in the need stage. 10,000 CNY there buys ``hours = 10,000 × hours per
    FTE ÷ price per FTE`` hours (hours per FTE at the cell's planned utilisation, net of the
    provider type's expected capacity loss) and serves ``people = hours ÷ hours per case``.
    Only the money caps (``relief-cap``, ``fund[…]``, ``total-budget``) of ``ordered_goals``
    that bind (or leave less than one post's price) have them (NaN otherwise).
    """
    empty = {"hours_per_10k_cny": math.nan, "people_per_10k_cny": math.nan,
             "marginal_cell": ""}
    is_cap = row.name.startswith(("relief-cap[", "fund[", "total-budget"))
    if not is_cap or row.sense >= 0 or model.objective != "ordered_goals":
        return empty
    value = (float(row.expr.value() or 0.0) + row.constant) * row.scale
    limit = (row.rhs + row.constant) * row.scale
    room = limit - value if row.sense < 0 else value - limit
    if not (shadow > 1e-12 or room <= min(model.cost.values(), default=0.0)):
        return empty  # money is not what stops this row's purchases
    items = {i.id: i for i in model.scenario.items}
    policy = model.scenario.policy
    best: tuple[int, float, str, str, str] | None = None
    for var, coef in row.expr.items():
        key = purchase_of.get(var.name)
        if key is None or coef <= 0 or model.hours_per_fte.get(key, 0.0) <= 0:
            continue
        county, item_id, ptype = key
        cell = model.cells[county, item_id]
        if cell["need"] <= 0:
            continue
        served = math.fsum(float(v.varValue or 0.0) for v, _ in model.served((county, item_id)))
        hours_per_yuan = model.hours_per_fte[key] / model.cost[ptype]
        item = items[item_id]
        gap = model.floor_gap.get((county, item_id))
        if item.statutory and served < cell["need"] - 1e-6:
            tier, worth = 0, hours_per_yuan
        elif gap is not None and float(gap.varValue or 0.0) > 1e-6:
            tier, worth = 1, item.priority * hours_per_yuan
        else:
            weight = _segment_weight(served / cell["need"], policy.need_breakpoints,
                                     policy.need_weights)
            tier, worth = 2, item.priority * model.quality[key] * weight * hours_per_yuan
        if worth <= 0:
            continue
        if best is None or (tier, -worth) < (best[0], -best[1]):
            best = (tier, worth, county, item_id, ptype)
    if best is None:
        return empty
    _, _, county, item_id, ptype = best
    hours = WAN * model.hours_per_fte[county, item_id, ptype] / model.cost[ptype]
    return {"hours_per_10k_cny": hours,
            "people_per_10k_cny": hours / items[item_id].mean_hours,
            "marginal_cell": f"{county}/{item_id}"}


def _segment_weight(share: float, breakpoints: tuple[float, ...],
                    weights: tuple[float, ...]) -> float:
    """The weight of the need segment a cell served to ``share`` of its need is filling."""
    for point, weight in zip(breakpoints, weights, strict=True):
        if share < point - 1e-9:
            return weight
    return 0.0


def goals_table(model: AllocationModel, goals: tuple[GoalOutcome, ...]) -> pd.DataFrame:
    """The ordered goals: optimum, what holding each costs the next (``price``), and the gap
    HiGHS proved for its whole-post stages (NaN for a goal without one)."""
    rows = [{"year": model.year, "order": k + 1, "goal": g.goal, "unit": g.unit,
             "value": g.value, "price": g.price, "next_goal": g.next_goal,
             "next_unit": g.next_unit,
             "whole_post_gap": model.whole_post_gaps.get(g.goal, math.nan)}
            for k, g in enumerate(goals)]
    return pd.DataFrame(rows, columns=GOAL_COLUMNS)
