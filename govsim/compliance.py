"""Compliance of a purchase plan with the policy rules, recomputed from its table alone.

:func:`check_compliance` reads an allocation table — one row per purchase, contracts in force
(``basis = continuing``) and new ones (``basis = new``) — and checks every rule of
:data:`govsim.policy.RULES` that can be checked on it. It shares none of the allocation model's
accounting (no LP rows, no model objects), so each checks the other:

- ``relief-cap``: **every** yuan paying for social-assistance (relief-item) purchases in the
  year — continuing and new, whichever fund pays (001 §(八) 所需经费…统筹安排) — against the
  cap share × the previous year's special-fund expenditure (the base rolls forward); per county
  or pooled (``policy.cap_scope``). With ``lottery_counts_toward_relief_cap = false`` the
  lottery-paid part is left out.
- ``social-org-share``: the share of **new** purchase spending (004 各级…新增) bought from
  social organisations, per county (``policy.social_org_scope``), or of all spending
  (``policy.social_org_base = "all"``). New part-time posts are subsidies, not purchases.
- ``caseworker-ratio`` and ``child-welfare-staff``: people in post + purchased people on the
  items that count (+ new part-time posts) against the requirement.
- ``prohibited-items``, ``purchasable-items``, ``funding-sources`` and ``contract-term``.

Values and limits are compared in the rule's unit (``unit`` column: CNY, share, persons,
years, items). Money is rounded to the fen (0.01 CNY) before it is compared and written, and
the comparison is made on the rounded figures, so what a reader sees is what was judged:
spending exactly 3 % passes (and 10⁻⁹ yuan of solver noise above it shows as equal and
passes), one yuan more fails. Texts show money in 万元 to one decimal, rounded half up; where
a value and its limit would look equal in 万元 but differ, both are shown in yuan
(:func:`money_pair`), so a failing value never reads as equal to its limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from govsim.mechanisms.prices import NON_PURCHASE_TYPES, VILLAGE_ASSISTANT
from govsim.mechanisms.report import mechanism_compliance_rows
from govsim.policy import (
    MONEY_TOLERANCE,
    RULES,
    caseworkers_required,
    child_staff_required,
    relief_cap_limits,
)
from govsim.scenario import Scenario

__all__ = ["COMPLIANCE_COLUMNS", "check_compliance", "fen", "money_pair", "wan_text"]

COMPLIANCE_COLUMNS = ["year", "rule", "scope", "value", "limit", "unit", "status", "source",
                      "detail"]
#: Purchases in the allocation table that are subsidised posts, not bought from a provider.
_POSTS = "part_time_post"
#: People below this are rounding noise.
_PEOPLE_TOLERANCE = 1e-9


def check_compliance(scenario: Scenario, allocation: pd.DataFrame,
                     contracts: pd.DataFrame | None = None,
                     mechanisms: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per rule and scope (and year): value, limit, unit, status pass | fail |
    not-applicable.

    ``allocation`` has columns year, county, item, provider_type, fte, cost (CNY) and optionally
    basis (``continuing`` | ``new``; default new), persons (people; default fte), cost_lottery
    (the part of cost the lottery fund pays; default 0, or all of it for lottery items).
    ``contracts`` has columns county, item, provider, start_year, end_year (years held in a row
    = end - start + 1); without it the scenario's incumbent contracts are checked.
    ``mechanisms`` is a run's mechanism table (:func:`govsim.mechanisms.report.mechanism_table`).
    Every other rule gets a row saying where it is modelled and, for a switched-on mechanism,
    its figures (:func:`govsim.mechanisms.report.mechanism_compliance_rows`).
    """
    alloc = _normalise(scenario, allocation)
    years = sorted(int(y) for y in alloc["year"].unique()) or [scenario.header.base_year]
    rows: list[dict[str, Any]] = []
    for year in years:
        part = alloc[alloc["year"] == year]
        rows += _relief_cap_rows(scenario, part, year)
        rows += _social_org_rows(scenario, part, year)
        rows += _staffing_rows(scenario, part, year)
        rows += _catalogue_rows(scenario, part, year)
        rows += _fund_rows(scenario, part, year)
    rows += _contract_term_rows(scenario, contracts)
    checked = {r["rule"] for r in rows}
    rows += mechanism_compliance_rows(scenario, alloc, mechanisms, checked)
    return pd.DataFrame(rows, columns=COMPLIANCE_COLUMNS)


def _normalise(scenario: Scenario, allocation: pd.DataFrame) -> pd.DataFrame:
    needed = {"year", "county", "item", "provider_type", "fte", "cost"}
    missing = needed - set(allocation.columns)
    if missing and len(allocation.columns):
        raise ValueError(f"allocation table lacks columns {sorted(missing)}")
    alloc = allocation.copy() if not missing else pd.DataFrame(columns=sorted(needed))
    items = {i.id: i for i in scenario.items}
    own = alloc["item"].map(lambda i: items[i].fund if i in items else "none")
    if "basis" not in alloc.columns:
        alloc["basis"] = "new"
    if "persons" not in alloc.columns:
        alloc["persons"] = alloc["fte"]
    alloc["persons"] = alloc["persons"].fillna(alloc["fte"])
    if "cost_lottery" not in alloc.columns:
        alloc["cost_lottery"] = alloc["cost"].where(own.isin(["lottery", "none"]), 0.0)
    alloc["item_fund"] = own
    social = {p.id: p.is_social_org for p in scenario.provider_types}
    alloc["social_org"] = [bool(social.get(p, False)) for p in alloc["provider_type"]]
    # posts, volunteers and village assistants are capacity, not purchases from a provider
    alloc["purchase"] = ~alloc["provider_type"].isin(NON_PURCHASE_TYPES)
    return alloc


def _row(year: Any, rule_id: str, scope: str, value: Any, limit: Any, unit: str, status: str,
         detail: str = "") -> dict[str, Any]:
    return {"year": year, "rule": rule_id, "scope": scope, "value": value, "limit": limit,
            "unit": unit, "status": status, "source": RULES[rule_id].source, "detail": detail}


def fen(cny: float) -> float:
    """Money rounded to the fen (0.01 CNY), half up: the figure compliance compares."""
    return float(Decimal(repr(float(cny))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def wan_text(cny: float) -> str:
    """CNY as 万元 with one decimal, rounded half up from the fen (``1015500`` → ``101.6``)."""
    wan = Decimal(repr(fen(cny))) / Decimal(10_000)
    return f"{wan.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def money_pair(value: float, limit: float) -> tuple[str, str]:
    """A value and its limit as a reader sees them: both in 万元 (``"101.6 万元"``), or both in
    yuan when they differ by at least a fen but would read the same in 万元."""
    v, lim = fen(value), fen(limit)
    if wan_text(v) == wan_text(lim) and v != lim:
        return f"{v:,.2f} 元", f"{lim:,.2f} 元"
    return f"{wan_text(v)} 万元", f"{wan_text(lim)} 万元"


def _wan(cny: float) -> str:
    return wan_text(cny)


def _by_county(frame: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """``county -> frame``'s rows of that county, in order (empty if none): the table grouped
    once, not masked once per county (quadratic in counties: 183 took seconds a check)."""
    positions = frame.reset_index(drop=True).groupby("county", sort=False).indices
    empty = frame.iloc[0:0]

    def rows(county: str) -> pd.DataFrame:
        found = positions.get(county)
        return empty if found is None else frame.iloc[found]
    return rows


def _relief_cap_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    counted = alloc["purchase"]
    if scenario.mechanisms.village_assistants.counts_toward_relief_cap:
        counted = counted | (alloc["provider_type"] == VILLAGE_ASSISTANT)
    relief = alloc[(alloc["item_fund"] == "relief") & counted].copy()
    if not scenario.policy.lottery_counts_toward_relief_cap:
        relief["cost"] = relief["cost"] - relief["cost_lottery"]
    pooled = scenario.policy.cap_scope == "prefecture"
    of_county = _by_county(relief)
    rows = []
    for scope, limit in relief_cap_limits(scenario, year).items():
        mine = relief if pooled else of_county(scope)
        continuing = math.fsum(mine.loc[mine["basis"] == "continuing", "cost"])
        new = math.fsum(mine.loc[mine["basis"] != "continuing", "cost"])
        value, limit = fen(continuing + new), fen(limit)
        status = "pass" if value <= limit else "fail"
        shown, allowed = money_pair(value, limit)
        detail = (f"{shown} (contracts in force {_wan(continuing)} + new "
                  f"{_wan(new)} 万元) of {allowed} allowed")
        if status == "fail":
            over, _ = money_pair(value - limit, 0.0)
            detail += f"; {over} over"
        rows.append(_row(year, "relief-cap", scope, value, limit, "CNY", status, detail))
    return rows


def _social_org_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    policy = scenario.policy
    minimum = policy.social_org_min_share
    base = alloc[alloc["purchase"]]
    if policy.social_org_base == "new":
        base = base[base["basis"] != "continuing"]
    scopes = (["prefecture"] if policy.social_org_scope == "prefecture"
              else [c.id for c in scenario.counties])
    what = "new purchases" if policy.social_org_base == "new" else "all purchases"
    of_county = _by_county(base)
    rows = []
    for scope in scopes:
        mine = base if scope == "prefecture" else of_county(scope)
        total = math.fsum(mine["cost"])
        if total <= MONEY_TOLERANCE:
            rows.append(_row(year, "social-org-share", scope, None, minimum, "share",
                             "not-applicable", f"no {what}"))
            continue
        social = math.fsum(mine.loc[mine["social_org"], "cost"])
        # Compare money, not ratios, so that exactly 30 % passes whatever the rounding.
        status = "pass" if social + MONEY_TOLERANCE >= minimum * total else "fail"
        rows.append(_row(year, "social-org-share", scope, social / total, minimum, "share",
                         status, f"{_wan(social)} of {_wan(total)} 万元 of {what} from social "
                                 "organisations"))
    return rows


def _staffing_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    counts = {i.id: i.counts_toward for i in scenario.items}
    alloc = alloc.assign(counts_toward=alloc["item"].map(counts))
    of_county = _by_county(alloc)
    rows = []
    for county in scenario.counties:
        mine = of_county(county.id)
        for rule, flag, need, in_post in (
            ("caseworker-ratio", "caseworker",
             caseworkers_required(county, scenario.policy.caseworker_ratio),
             county.public_caseworkers),
            ("child-welfare-staff", "child_staff",
             child_staff_required(county, scenario.policy.child_staff_per_unit),
             county.child_welfare_directors),
        ):
            counting = mine[mine["counts_toward"] == flag]
            purchased = math.fsum(counting.loc[counting["purchase"], "persons"])
            posts = math.fsum(counting.loc[counting["provider_type"] == _POSTS, "persons"])
            have = in_post + purchased + posts
            detail = f"{in_post} in post + {purchased:,.0f} purchased"
            if posts:
                detail += f" + {posts:,.0f} part-time posts"
            rows.append(_row(year, rule, county.id, have, need, "persons",
                             "pass" if have + _PEOPLE_TOLERANCE >= need else "fail", detail))
    return rows


def _catalogue_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    kinds = {i.id: i for i in scenario.items}
    bought = alloc[(alloc["fte"] > 0) & alloc["purchase"]]
    unknown = sorted(set(bought["item"]) - set(kinds))
    banned = sorted(i for i in set(bought["item"]) if i in kinds and not kinds[i].is_purchasable)
    return [
        _row(year, "prohibited-items", "prefecture", len(banned), 0, "items",
             "fail" if banned else "pass",
             ("purchased: " + ", ".join(banned)) if banned else "no prohibited item purchased"),
        _row(year, "purchasable-items", "prefecture", len(unknown), 0, "items",
             "fail" if unknown else "pass",
             ("not in the catalogue: " + ", ".join(unknown)) if unknown else "all in catalogue"),
    ]


def _child_fund_limits(scenario: Scenario) -> dict[str, float]:
    funds = scenario.funds
    if funds.child_welfare_split == "pooled":
        return {"prefecture": funds.child_welfare}
    children = {c.id: c.left_behind_children + c.children_in_difficulty
                for c in scenario.counties}
    total = sum(children.values())
    return {c: funds.child_welfare * (n / total if total else 1 / len(children))
            for c, n in children.items()}


def _fund_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    funds = scenario.funds
    rows = []
    # a village assistant on a child item is paid from the social-assistance work funds
    child = alloc[(alloc["item_fund"] == "child") & (alloc["provider_type"] != VILLAGE_ASSISTANT)]
    child_paid = child["cost"] - child["cost_lottery"]
    rows_of = child.reset_index(drop=True).groupby("county", sort=False).indices
    none = np.zeros(0, dtype=np.int64)
    for scope, budget in _child_fund_limits(scenario).items():
        paid = child_paid[child["county"].notna()] if scope == "prefecture" \
            else child_paid.iloc[rows_of.get(scope, none)]
        value, budget = fen(math.fsum(paid)), fen(budget)
        name = "fund:child" if scope == "prefecture" else f"fund:child/{scope}"
        shown, allowed = money_pair(value, budget)
        rows.append(_row(year, "funding-sources", name, value, budget, "CNY",
                         "pass" if value <= budget else "fail",
                         f"child-welfare fund {shown} of {allowed}"))
    lottery, budget = fen(math.fsum(alloc["cost_lottery"])), fen(funds.lottery)
    shown, allowed = money_pair(lottery, budget)
    rows.append(_row(year, "funding-sources", "fund:lottery", lottery, budget, "CNY",
                     "pass" if lottery <= budget else "fail",
                     f"lottery fund {shown} of {allowed}"))
    if funds.total_budget is not None:
        value, budget = fen(math.fsum(alloc["cost"])), fen(funds.total_budget)
        shown, allowed = money_pair(value, budget)
        rows.append(_row(year, "funding-sources", "total", value, budget, "CNY",
                         "pass" if value <= budget else "fail",
                         f"all purchases and posts, {shown} against the total budget of "
                         f"{allowed}"))
    return rows


def _contract_term_rows(scenario: Scenario,
                        contracts: pd.DataFrame | None) -> list[dict[str, Any]]:
    limit = scenario.policy.max_contract_years
    if contracts is None:
        base = scenario.header.base_year
        records = [{"county": c.county, "item": c.item, "provider": c.provider or c.provider_type,
                    "start_year": c.start_year, "end_year": base}
                   for c in scenario.baseline.contracts]
    else:
        records = contracts.to_dict("records")
    if not records:
        return [_row(None, "contract-term", "prefecture", 0, limit, "years", "not-applicable",
                     "no contracts")]
    longest = max(int(r["end_year"]) - int(r["start_year"]) + 1 for r in records)
    over = [r for r in records if int(r["end_year"]) - int(r["start_year"]) + 1 > limit]
    detail = "; ".join(f"{r['county']}/{r['item']}/{r['provider']} {r['start_year']}-"
                       f"{r['end_year']}" for r in over[:5]) or "every contract within the term"
    return [_row(None, "contract-term", "prefecture", longest, limit, "years",
                 "fail" if over else "pass", detail)]
