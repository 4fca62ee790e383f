"""The policy rules as data, the limits they set, and the checks of a scenario against them.

Every rule of ``shared/policy-rules.md`` that has a number or a yes/no test lives once in
``govsim/data/rules.toml`` (id, value, unit, source clause, Chinese and English text). This
module loads it as :data:`RULES`, derives the staffing requirements (``caseworkers_required``
rounds 2 ‰ up to whole people) and the relief cap of each year (the base rolls forward), and
finds input errors that break a rule (``prohibited-items``, ``contract-term``). The
compliance of an allocation is checked in :mod:`govsim.compliance`.

Money in CNY; comparisons allow half a fen (:data:`MONEY_TOLERANCE`) for floating-point noise,
so spending exactly 3 % passes and one yuan more fails.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from govsim.errors import Problem

if TYPE_CHECKING:
    from govsim.scenario import County, Policy, Scenario

__all__ = [
    "MONEY_TOLERANCE",
    "RULES",
    "WAN",
    "Rule",
    "caseworkers_required",
    "child_staff_required",
    "per_mille",
    "percent",
    "policy_departures",
    "policy_fields",
    "purchase_warnings",
    "relief_cap_limits",
    "relief_fund_expenditure",
    "rule",
    "semantic_problems",
]

#: CNY of floating-point slack in money comparisons (half a fen).
MONEY_TOLERANCE = 0.005
#: CNY per 万元 (ten thousand yuan), the documents' unit of money.
WAN = 1e4


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
    #: Where the model acts on the rule: allocation | simulation | both | input check |
    #: not modelled; ``how`` says how in a sentence.
    modelled: str = "not modelled"
    how: str = ""
    #: The ``[mechanisms]`` sub-table that switches it on, when one does.
    mechanism: str | None = None


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

def percent(share: float) -> str:
    """A share as a percentage with the digits it needs: 0.03 -> ``3%``, 0.025 -> ``2.5%``."""
    return f"{share * 100:.4g}%"


def per_mille(ratio: float, lang: str = "zh") -> str:
    """A ratio per thousand: 0.002 -> ``2‰`` (``2 ‰`` in English)."""
    return f"{ratio * 1000:.4g}" + ("‰" if lang == "zh" else " ‰")


def policy_fields(policy: Policy, lang: str) -> dict[str, str]:
    """The policy numbers that words name, from a scenario's ``[policy]`` (whose defaults are
    the rules data): ``{cap}`` the relief-cap share, ``{ratio}`` the caseworker ratio,
    ``{social}`` the social-organisation minimum share, ``{per_unit}`` child-welfare staff per
    township and village. A what-if with a 4 % cap is labelled 4 %."""
    return {"cap": percent(policy.relief_cap_share),
            "ratio": per_mille(policy.caseworker_ratio, lang),
            "social": percent(policy.social_org_min_share),
            "per_unit": str(policy.child_staff_per_unit)}


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


def relief_fund_expenditure(scenario: Scenario, county: County, year: int) -> float:
    """The county's social-assistance special-fund expenditure in calendar ``year`` (CNY).

    The year before the base year is ``relief_fund_last_year``; a later year is its entry in
    ``relief_fund_by_year`` when given, else the year before grown by ``relief_fund_growth``.
    """
    first = scenario.header.base_year - 1
    if year < first:
        raise ValueError(f"no relief-fund expenditure before {first} (the year before the base "
                         f"year), asked for {year}")
    value = county.relief_fund_last_year
    for y in range(first + 1, year + 1):
        value = county.relief_fund_by_year.get(y, value * (1.0 + county.relief_fund_growth))
    return float(value)


def relief_cap_limits(scenario: Scenario, year: int | None = None) -> dict[str, float]:
    """CNY each purchasing scope may spend on social-assistance purchases in ``year``.

    The limit rolls forward (001 §(八), 上年度): the cap share × the scope's special-fund
    expenditure of ``year - 1`` (default: the base year, whose base is
    ``relief_fund_last_year``). Keys are county ids, or ``"prefecture"`` when
    ``policy.cap_scope = "prefecture"``.
    """
    year = scenario.header.base_year if year is None else year
    share = scenario.policy.relief_cap_share
    limits = {c.id: share * relief_fund_expenditure(scenario, c, year - 1)
              for c in scenario.counties}
    if scenario.policy.cap_scope == "prefecture":
        return {"prefecture": math.fsum(limits.values())}
    return limits


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
