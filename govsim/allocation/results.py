"""Reading a solved allocation model into tidy tables (money in CNY, capacity in FTE).

``allocation_table`` has one row per (county, item, provider type, fund): a cell partly paid by
the lottery fund is split into its own-fund and lottery portions in proportion to the money.
``unmet_table`` covers every (county, item) including prohibited items, whose unmet cases
follow from public staff alone. ``staffing_table`` and ``constraints_table`` report the staffing
rules and every named row with slack and shadow price in natural units.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from govsim.allocation.estimates import Estimates
from govsim.allocation.model import WAN, AllocationModel, staffing_requirement

__all__ = [
    "ALLOCATION_COLUMNS",
    "CONSTRAINT_COLUMNS",
    "STAFFING_COLUMNS",
    "UNMET_COLUMNS",
    "allocation_table",
    "constraints_table",
    "staffing_table",
    "unmet_table",
]

ALLOCATION_COLUMNS = ["year", "county", "item", "provider_type", "fund", "fte", "cost"]
UNMET_COLUMNS = ["year", "county", "item", "cases_demand", "cases_unmet", "coverage"]
STAFFING_COLUMNS = ["year", "county", "rule", "required", "in_post", "purchased", "shortfall"]
CONSTRAINT_COLUMNS = ["name", "rule", "scope", "binding", "slack", "shadow_price", "value",
                      "limit", "shadow_price_per_10k_cny"]

#: FTE below this are solver noise, not purchases.
FTE_EPSILON = 1e-12


def _value(var: object) -> float:
    value = getattr(var, "varValue", None)
    return 0.0 if value is None else float(value)


def allocation_table(model: AllocationModel) -> pd.DataFrame:
    """Purchases with fte > 0: ``year, county, item, provider_type, fund, fte, cost``."""
    own = {i.id: ("lottery" if i.fund == "none" else i.fund) for i in model.scenario.items}
    cell_cost: dict[tuple[str, str], float] = defaultdict(float)
    fte = {}
    for key, w in model.w.items():
        value = _value(w)
        if value > FTE_EPSILON:
            fte[key] = value
            cell_cost[key[0], key[1]] += value * model.cost[key[2]]
    rows = []
    for (c, i, p), value in fte.items():
        lottery = _value(model.lottery[c, i]) * WAN if (c, i) in model.lottery else 0.0
        share = min(1.0, max(0.0, lottery / cell_cost[c, i])) if cell_cost[c, i] else 0.0
        cost = value * model.cost[p]
        portions = [(own[i], 1.0)] if own[i] == "lottery" else [(own[i], 1.0 - share),
                                                                ("lottery", share)]
        rows += [{"year": model.year, "county": c, "item": i, "provider_type": p, "fund": fund,
                  "fte": value * part, "cost": cost * part}
                 for fund, part in portions if part > 1e-12]
    return pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)


def unmet_table(model: AllocationModel, estimates: Estimates) -> pd.DataFrame:
    """Cases demanded (the demand column the model used) and left unmet, per (county, item)."""
    ph = model.scenario.scenario.productive_hours_per_fte
    demand = estimates.demand.set_index(["county", "item"])
    rows = []
    for county in model.scenario.counties:
        for item in model.scenario.items:
            key = (county.id, item.id)
            cases = float(demand.loc[key, model.demand_column])
            if key in model.cells:
                unmet = _value(model.u[key]) if key in model.u else 0.0
            else:
                row = demand.loc[key]
                served = (row["utilisation_target"] * ph * row["public_fte"]
                          / row["hours_per_case"])
                unmet = max(0.0, cases - served)
            unmet = min(max(unmet, 0.0), cases)
            rows.append({"year": model.year, "county": county.id, "item": item.id,
                         "cases_demand": cases, "cases_unmet": unmet,
                         "coverage": 1.0 - unmet / cases if cases > 0 else 1.0})
    return pd.DataFrame(rows, columns=UNMET_COLUMNS)


def staffing_table(model: AllocationModel) -> pd.DataFrame:
    """Each county's staffing rules: required, in post, purchased FTE, shortfall (posts)."""
    counts = {i.id: i.counts_toward for i in model.scenario.items}
    purchased: dict[tuple[str, str], float] = defaultdict(float)
    for (c, i, _), w in model.w.items():
        rule = {"caseworker": "caseworker-ratio", "child_staff": "child-welfare-staff"}.get(
            counts[i])
        if rule:
            purchased[c, rule] += _value(w)
    rows = []
    for county in model.scenario.counties:
        for rule in ("caseworker-ratio", "child-welfare-staff"):
            required, in_post = staffing_requirement(model.scenario, county.id, rule)
            bought = purchased[county.id, rule]
            short = required - in_post - bought
            rows.append({"year": model.year, "county": county.id, "rule": rule,
                         "required": required, "in_post": in_post, "purchased": bought,
                         "shortfall": short if short > 1e-6 else 0.0})
    return pd.DataFrame(rows, columns=STAFFING_COLUMNS)


def constraints_table(model: AllocationModel, duals: dict[str, float]) -> pd.DataFrame:
    """Every named row: binding, slack, shadow price (natural units), value and limit.

    ``slack`` is how far the row is from its limit (negative for an elastic rule that is
    short); ``shadow_price`` is d(objective)/d(limit); money rows also give it per 10,000 CNY.
    """
    rows = []
    for row in model.rows:
        value = float(row.expr.value() or 0.0) * row.scale
        limit = row.rhs * row.scale
        slack = limit - value if row.sense < 0 else value - limit
        tolerance = 1e-6 * max(1.0, abs(limit))
        shadow = duals[row.name]
        rows.append({"name": row.name, "rule": row.rule, "scope": row.scope,
                     "binding": bool(slack <= tolerance), "slack": slack,
                     "shadow_price": shadow, "value": value, "limit": limit,
                     "shadow_price_per_10k_cny": shadow * WAN if row.scale == WAN else None})
    return pd.DataFrame(rows, columns=CONSTRAINT_COLUMNS)
