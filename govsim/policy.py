"""The policy rules as data, the checks of a scenario against them, and allocation compliance.

Every rule of ``shared/policy-rules.md`` that has a number or a yes/no test lives once in
``govsim/data/rules.toml`` (id, value, unit, source clause, Chinese and English text). This
module loads it as :data:`RULES`, derives the staffing requirements (``caseworkers_required``
rounds 2 ‰ up to whole people), finds input errors that break a rule (``prohibited-items``,
``contract-term``) and checks any allocation table with :func:`check_compliance` — a code
path independent of the allocation model's constraints, so each checks the other.

Money in CNY; comparisons allow half a fen (0.005 CNY) for floating-point noise, so spending
exactly 3 % passes and one yuan more fails.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.errors import Problem

if TYPE_CHECKING:
    from govsim.scenario import County, Scenario

__all__ = [
    "COMPLIANCE_COLUMNS",
    "MONEY_TOLERANCE",
    "RULES",
    "Rule",
    "caseworkers_required",
    "check_compliance",
    "child_staff_required",
    "policy_departures",
    "purchase_warnings",
    "relief_cap_limits",
    "rule",
    "semantic_problems",
]

#: CNY of floating-point slack in money comparisons (half a fen).
MONEY_TOLERANCE = 0.005

COMPLIANCE_COLUMNS = ["year", "rule", "scope", "value", "limit", "status", "source", "detail"]


@dataclass(frozen=True)
class Rule:
    """One policy rule with its legal reference."""

    id: str
    kind: str
    value: Any
    unit: str
    comparison: str
    source: str
    text_zh: str
    text_en: str
    policy_field: str | None = None
    keywords_zh: tuple[str, ...] = ()


def _load_rules() -> dict[str, Rule]:
    raw = tomllib.loads((resources.files("govsim") / "data" / "rules.toml").read_text("utf-8"))
    rules = {}
    for entry in raw["rules"]:
        entry = dict(entry)
        entry["keywords_zh"] = tuple(entry.get("keywords_zh", ()))
        rules[entry["id"]] = Rule(**entry)
    return rules


#: All rules by id, in the order of ``rules.toml``.
RULES: dict[str, Rule] = _load_rules()


def rule(rule_id: str) -> Rule:
    """The rule with this id (``KeyError`` naming the known ids otherwise)."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(RULES)}") from None


# -- requirements ---------------------------------------------------------------------------------

def caseworkers_required(county: County, ratio: float) -> int:
    """People needed by ``caseworker-ratio``: ⌈ratio × (dibao + tekun)⌉.

    Rounded to 9 decimals before the ceiling so that 0.002 × 12,500 is 25, not 26.

    >>> from types import SimpleNamespace
    >>> caseworkers_required(SimpleNamespace(dibao=12_000, tekun=345), 0.002)
    25
    """
    return math.ceil(round(ratio * (county.dibao + county.tekun), 9))


def child_staff_required(county: County, per_unit: int) -> int:
    """People needed by ``child-welfare-staff``: one per township and one per village."""
    return per_unit * (county.townships + county.villages)


def relief_cap_limits(scenario: Scenario) -> dict[str, float]:
    """CNY each purchasing scope may spend on relief-funded items in a year.

    Keys are county ids, or ``"prefecture"`` when ``policy.cap_scope = "prefecture"``.
    """
    share = scenario.policy.relief_cap_share
    if scenario.policy.cap_scope == "prefecture":
        return {"prefecture": share * sum(c.relief_fund_last_year for c in scenario.counties)}
    return {c.id: share * c.relief_fund_last_year for c in scenario.counties}


# -- scenario checks -----------------------------------------------------------------------------

def policy_departures(scenario: Scenario) -> list[Problem]:
    """Warnings for policy values that differ from the documents (allowed for what-if)."""
    warnings = []
    for r in RULES.values():
        if not r.policy_field or not isinstance(r.value, int | float):
            continue
        value = getattr(scenario.policy, r.policy_field)
        if value != r.value:
            warnings.append(Problem(
                f"policy.{r.policy_field}",
                f"departs from the documents' {r.value} ({r.source}); allowed for what-if analysis",
                value=value, rule=r.id, severity="warning",
            ))
    return warnings


def purchase_warnings(scenario: Scenario) -> list[Problem]:
    """Warnings when a scenario leaves the allocation nothing to buy or no money to buy with.

    Such a scenario is valid (its workload can be simulated); a run of it allocates nothing
    and says so.
    """
    if not scenario.purchasable_items:
        return [Problem("items", "nothing to allocate: every item is a government duty that "
                        "may not be purchased; runs simulate today's staff only",
                        rule="prohibited-items", severity="warning")]
    relief = any(scenario.policy.relief_cap_share * c.relief_fund_last_year > MONEY_TOLERANCE
                 for c in scenario.counties)
    funds = scenario.funds
    child = funds.child_welfare > MONEY_TOLERANCE and any(
        i.fund == "child" for i in scenario.purchasable_items)
    if funds.total_budget is not None and funds.total_budget <= MONEY_TOLERANCE:
        return [Problem("funds.total_budget", "nothing to allocate: the total budget is 0; "
                        "runs simulate today's staff only", value=funds.total_budget,
                        rule="funding-sources", severity="warning")]
    if not (relief or child or funds.lottery > MONEY_TOLERANCE):
        return [Problem("funds", "nothing to allocate: no money to buy with (the relief cap, "
                        "policy.relief_cap_share x relief_fund_last_year, the child-welfare "
                        "fund and the lottery fund are all 0); runs simulate today's staff "
                        "only", rule="funding-sources", severity="warning")]
    return []


def semantic_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Cross-reference and rule errors in raw scenario data (runs even when fields are bad)."""
    lists = {key: _records(data.get(key)) for key in
             ("counties", "items", "provider_types", "providers")}
    problems: list[Problem] = []
    for key, records in lists.items():
        problems += _duplicate_ids(key, records)
    # Ids of the wrong type are reported by the schema; only text ids take part in references.
    ids = {key: {r["id"] for _, r in records if isinstance(r.get("id"), str)}
           for key, records in lists.items()}
    items = {r["id"]: r for _, r in lists["items"] if isinstance(r.get("id"), str)}

    for i, item in lists["items"]:
        problems += _prohibited_item_problems(i, item)
    for i, county in lists["counties"]:
        for type_id in _mapping(county.get("market")):
            if type_id not in ids["provider_types"]:
                problems.append(_unknown(f"counties[{i}].market.{type_id}", type_id,
                                         "provider type", ids["provider_types"]))
    for i, provider in lists["providers"]:
        problems += _refs(f"providers[{i}]", provider, {"type": "provider_types"}, ids)
        for j, county_id in enumerate(_sequence(provider.get("counties"))):
            if isinstance(county_id, str) and county_id not in ids["counties"]:
                problems.append(_unknown(f"providers[{i}].counties[{j}]", county_id, "county",
                                         ids["counties"]))

    baseline = _mapping(data.get("baseline"))
    director_item = baseline.get("director_item")
    if isinstance(director_item, str) and director_item not in ids["items"]:
        problems.append(_unknown("baseline.director_item", director_item, "item", ids["items"]))
    for i, row in _records(baseline.get("public_staff")):
        problems += _refs(f"baseline.public_staff[{i}]", row,
                          {"county": "counties", "item": "items"}, ids)
    policy = _mapping(data.get("policy"))
    header = _mapping(data.get("scenario"))
    for i, contract in _records(baseline.get("contracts")):
        where = f"baseline.contracts[{i}]"
        problems += _refs(where, contract, {"county": "counties", "item": "items",
                                            "provider_type": "provider_types",
                                            "provider": "providers"}, ids)
        item = items.get(contract["item"]) if isinstance(contract.get("item"), str) else None
        if item is not None and not _is_purchasable(item):
            problems.append(Problem(f"{where}.item", "a contract for an item that may not be "
                                    "purchased (government's own duty)", value=contract.get("item"),
                                    rule="prohibited-items"))
        problems += _contract_term_problems(where, contract, policy, header)
    return problems


def _prohibited_item_problems(i: int, item: Mapping[str, Any]) -> list[Problem]:
    problems = []
    keywords = RULES["prohibited-items"].keywords_zh
    name = str(item.get("name_zh", ""))
    if item.get("kind") == "prohibited" and item.get("purchasable") is True:
        problems.append(Problem(f"items[{i}].purchasable", "a prohibited item cannot be marked "
                                "purchasable", value=True, rule="prohibited-items"))
    elif item.get("kind") != "prohibited" and any(k in name for k in keywords):
        problems.append(Problem(f"items[{i}].kind", f"item {name!r} names a government duty that "
                                "may never be purchased; declare kind = \"prohibited\"",
                                value=item.get("kind"), rule="prohibited-items"))
    return problems


def _contract_term_problems(where: str, contract: Mapping[str, Any],
                            policy: Mapping[str, Any], header: Mapping[str, Any]) -> list[Problem]:
    max_years = policy.get("max_contract_years", RULES["contract-term"].value)
    if not isinstance(max_years, int):
        return []
    term = contract.get("term_years", 1)
    problems = []
    if isinstance(term, int) and term > max_years:
        problems.append(Problem(f"{where}.term_years", f"longer than the maximum term of "
                                f"{max_years} years", value=term, rule="contract-term"))
    start, base = contract.get("start_year"), header.get("base_year")
    if isinstance(start, int) and isinstance(base, int):
        if start > base:
            problems.append(Problem(f"{where}.start_year", f"an incumbent contract cannot start "
                                    f"after the base year {base}", value=start))
        elif base - start + 1 > max_years:
            problems.append(Problem(f"{where}.start_year", f"by the base year {base} this "
                                    f"contract would run {base - start + 1} years in a row, more "
                                    f"than {max_years}", value=start, rule="contract-term"))
    return problems


def _is_purchasable(item: Mapping[str, Any]) -> bool:
    flag = item.get("purchasable")
    return item.get("kind") != "prohibited" if flag is None else bool(flag)


def _records(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(value, list | tuple):
        return []
    return [(i, r) for i, r in enumerate(value) if isinstance(r, Mapping)]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _duplicate_ids(key: str, records: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    counts = Counter(r["id"] for _, r in records if isinstance(r.get("id"), str))
    return [Problem(f"{key}[{i}].id", f"duplicate id (appears {counts[r['id']]} times in {key})",
                    value=r["id"]) for i, r in records
            if isinstance(r.get("id"), str) and counts[r["id"]] > 1]


_SINGULAR = {"counties": "county", "items": "item", "provider_types": "provider type",
             "providers": "provider"}


def _refs(where: str, record: Mapping[str, Any], fields: Mapping[str, str],
          ids: Mapping[str, set[Any]]) -> list[Problem]:
    problems = []
    for field, target in fields.items():
        value = record.get(field)
        if isinstance(value, str) and value not in ids[target]:
            problems.append(_unknown(f"{where}.{field}", value, _SINGULAR[target], ids[target]))
    return problems


def _unknown(path: str, value: Any, what: str, known: set[Any]) -> Problem:
    import difflib

    names = sorted(str(k) for k in known if k is not None)
    hint = difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
    message = f"unknown {what}"
    message += f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(names[:12])})"
    return Problem(path, message, value=value)


# -- compliance of an allocation -------------------------------------------------------------------

def check_compliance(scenario: Scenario, allocation: pd.DataFrame,
                     contracts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per rule and scope (and year): value, limit, status pass | fail | not-applicable.

    ``allocation`` has columns year, county, item, provider_type, fte, cost (CNY) and optionally
    fund (the fund paying for the row; default: the item's own fund). ``contracts`` has columns
    county, item, provider, start_year, end_year (years held in a row = end - start + 1); without
    it the scenario's incumbent contracts are checked. Rules with nothing to check in an
    allocation (mechanisms) get a ``not-applicable`` row, so every rule appears.
    """
    alloc = _normalise_allocation(scenario, allocation)
    years = sorted(alloc["year"].unique()) or [scenario.scenario.base_year]
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
    for r in RULES.values():
        if r.id not in checked:
            rows.append(_row(None, r.id, "prefecture", None, r.value, "not-applicable",
                             "a mechanism or standard, not checkable on an allocation table"))
    return pd.DataFrame(rows, columns=COMPLIANCE_COLUMNS)


def _normalise_allocation(scenario: Scenario, allocation: pd.DataFrame) -> pd.DataFrame:
    alloc = allocation.copy()
    needed = {"year", "county", "item", "provider_type", "fte", "cost"}
    missing = needed - set(alloc.columns)
    if missing:
        raise ValueError(f"allocation table lacks columns {sorted(missing)}")
    fund_of = {i.id: i.fund for i in scenario.items}
    if "fund" not in alloc.columns:
        alloc["fund"] = alloc["item"].map(fund_of)
    social = {p.id: p.is_social_org for p in scenario.provider_types}
    alloc["social_org"] = alloc["provider_type"].map(social).fillna(False).astype(bool)
    return alloc


def _row(year: Any, rule_id: str, scope: str, value: Any, limit: Any, status: str,
         detail: str = "") -> dict[str, Any]:
    return {"year": year, "rule": rule_id, "scope": scope, "value": value, "limit": limit,
            "status": status, "source": RULES[rule_id].source, "detail": detail}


def _relief_cap_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    relief = alloc[alloc["fund"] == "relief"]
    spend = relief.groupby("county")["cost"].sum()
    rows = []
    for scope, limit in relief_cap_limits(scenario).items():
        value = float(spend.sum() if scope == "prefecture" else spend.get(scope, 0.0))
        status = "pass" if value <= limit + MONEY_TOLERANCE else "fail"
        rows.append(_row(year, "relief-cap", scope, value, limit, status,
                         f"relief-funded purchases {value / 1e4:,.1f} 万元 of "
                         f"{limit / 1e4:,.1f} 万元 allowed"))
    return rows


def _social_org_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    total = float(alloc["cost"].sum())
    minimum = scenario.policy.social_org_min_share
    if total <= MONEY_TOLERANCE:
        return [_row(year, "social-org-share", "prefecture", None, minimum, "not-applicable",
                     "nothing purchased")]
    social = float(alloc.loc[alloc["social_org"], "cost"].sum())
    # Compare money, not ratios, so that exactly 30 % passes whatever the rounding.
    status = "pass" if social + MONEY_TOLERANCE >= minimum * total else "fail"
    return [_row(year, "social-org-share", "prefecture", social / total, minimum, status,
                 f"{social / 1e4:,.1f} of {total / 1e4:,.1f} 万元 from social organisations")]


def _staffing_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    counts = {i.id: i.counts_toward for i in scenario.items}
    alloc = alloc.assign(counts_toward=alloc["item"].map(counts))
    rows = []
    for county in scenario.counties:
        mine = alloc[alloc["county"] == county.id]
        purchased = float(mine.loc[mine["counts_toward"] == "caseworker", "fte"].sum())
        need = caseworkers_required(county, scenario.policy.caseworker_ratio)
        have = county.public_caseworkers + purchased
        rows.append(_row(year, "caseworker-ratio", county.id, have, need,
                         "pass" if have + 1e-9 >= need else "fail",
                         f"{county.public_caseworkers} in post + {purchased:.1f} purchased"))
        purchased = float(mine.loc[mine["counts_toward"] == "child_staff", "fte"].sum())
        need = child_staff_required(county, scenario.policy.child_staff_per_unit)
        have = county.child_welfare_directors + purchased
        rows.append(_row(year, "child-welfare-staff", county.id, have, need,
                         "pass" if have + 1e-9 >= need else "fail",
                         f"{county.child_welfare_directors} in post + {purchased:.1f} purchased"))
    return rows


def _catalogue_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    kinds = {i.id: i for i in scenario.items}
    bought = alloc[alloc["fte"] > 0]
    unknown = sorted(set(bought["item"]) - set(kinds))
    banned = sorted(i for i in set(bought["item"]) if i in kinds and not kinds[i].is_purchasable)
    return [
        _row(year, "prohibited-items", "prefecture", len(banned), 0,
             "fail" if banned else "pass",
             ("purchased: " + ", ".join(banned)) if banned else "no prohibited item purchased"),
        _row(year, "purchasable-items", "prefecture", len(unknown), 0,
             "fail" if unknown else "pass",
             ("not in the catalogue: " + ", ".join(unknown)) if unknown else "all in catalogue"),
    ]


def _fund_rows(scenario: Scenario, alloc: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    funds = scenario.funds
    spend = alloc.groupby("fund")["cost"].sum()
    rows = []
    budgets = {"child": funds.child_welfare, "lottery": funds.lottery}
    for fund, budget in budgets.items():
        value = float(spend.get(fund, 0.0))
        rows.append(_row(year, "funding-sources", f"fund:{fund}", value, budget,
                         "pass" if value <= budget + MONEY_TOLERANCE else "fail",
                         f"{fund} fund {value / 1e4:,.1f} of {budget / 1e4:,.1f} 万元"))
    if funds.total_budget is not None:
        value = float(alloc["cost"].sum())
        rows.append(_row(year, "funding-sources", "total", value, funds.total_budget,
                         "pass" if value <= funds.total_budget + MONEY_TOLERANCE else "fail",
                         "all purchases against the total budget"))
    return rows


def _contract_term_rows(scenario: Scenario,
                        contracts: pd.DataFrame | None) -> list[dict[str, Any]]:
    limit = scenario.policy.max_contract_years
    if contracts is None:
        base = scenario.scenario.base_year
        records = [{"county": c.county, "item": c.item, "provider": c.provider or c.provider_type,
                    "start_year": c.start_year, "end_year": base}
                   for c in scenario.baseline.contracts]
    else:
        records = contracts.to_dict("records")
    if not records:
        return [_row(None, "contract-term", "prefecture", 0, limit, "not-applicable",
                     "no contracts")]
    longest = max(int(r["end_year"]) - int(r["start_year"]) + 1 for r in records)
    over = [r for r in records if int(r["end_year"]) - int(r["start_year"]) + 1 > limit]
    detail = "; ".join(f"{r['county']}/{r['item']}/{r['provider']} {r['start_year']}-"
                       f"{r['end_year']}" for r in over[:5]) or "every contract within the term"
    return [_row(None, "contract-term", "prefecture", longest, limit,
                 "fail" if over else "pass", detail)]
