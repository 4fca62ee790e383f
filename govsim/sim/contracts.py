"""Purchase contracts over the annual cycle: renewal, tendering, failure, assessment, bars.

Policy mechanisms (``shared/policy-rules.md``): ``annual-cycle`` (contracts are signed one year
at a time), ``contract-term`` (a contract runs at most ``policy.max_contract_years`` years in a
row, then the purchase is re-tendered — the limit is on the contract, not the provider: an
incumbent that passed its assessments bids again and is scored on its record),
``not-lowest-price`` (providers chosen by a comprehensive score in which quality and capacity
weigh more than price), ``assessment`` (a year-end score with satisfaction weighing most; below
the pass mark the contract is not renewed and the provider is barred), ``exit-takeover`` (a
failing provider exits, an interim takeover restores part of its capacity after a delay, and the
provider is barred for ``policy.bar_years_after_failure``).

Units: FTE, CNY, calendar years; ``day`` in the event log is the working day of the year
(clock hours / 8). Bars are inclusive: ``bars[p] = y`` means ``p`` may not hold a contract in
any year up to and including ``y``. Everything here is pure Python on small data — the SimPy
part lives in :mod:`govsim.sim.engine`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

from govsim.mechanisms.eligibility import named_eligible, record_allows
from govsim.mechanisms.prices import market_share
from govsim.scenario import Scenario

__all__ = [
    "CONTRACT_EVENT_COLUMNS",
    "ContractState",
    "Tender",
    "assessment_score",
    "decide_contracts",
    "generic_provider",
    "incumbent_contracts",
]

log = logging.getLogger(__name__)

CONTRACT_EVENT_COLUMNS = ["year", "day", "county", "item", "provider", "provider_type", "event",
                          "fte", "detail"]

Key = tuple[str, str, str]


@dataclass(frozen=True)
class ContractState:
    """One purchase contract for a (county, item, provider type).

    ``years_held`` counts the consecutive years with this provider up to and including the
    latest year it ran; ``renewable`` is false once the term is reached or the assessment
    failed (``reason`` says which).
    """

    county: str
    item: str
    provider_type: str
    provider: str
    fte: float
    start_year: int
    years_held: int
    renewable: bool = True
    reason: str = ""

    @property
    def key(self) -> Key:
        return (self.county, self.item, self.provider_type)


@dataclass(frozen=True)
class Tender:
    """The outcome of deciding one year's contracts before the year runs."""

    contracts: tuple[ContractState, ...]
    events: tuple[dict[str, Any], ...]


def generic_provider(county: str, item: str, provider_type: str, n: int) -> str:
    """Id of the ``n``-th unnamed local provider of a type for a (county, item)."""
    return f"{county}-{item}-{provider_type}-{n}"


def event(year: int, day: float, contract: ContractState | Key, provider: str, name: str,
          fte: float, detail: str = "") -> dict[str, Any]:
    """One row of the contract event log."""
    county, item, ptype = contract.key if isinstance(contract, ContractState) else contract
    return {"year": year, "day": round(float(day), 3), "county": county, "item": item,
            "provider": provider, "provider_type": ptype, "event": name, "fte": float(fte),
            "detail": detail}


def incumbent_contracts(scenario: Scenario, year: int) -> dict[Key, ContractState]:
    """The baseline's incumbent contracts as they stand before ``year`` starts."""
    out: dict[Key, ContractState] = {}
    for c in scenario.baseline.contracts:
        provider = c.provider or f"{c.county}-{c.item}-{c.provider_type}"
        held = max(0, year - c.start_year)
        # renewable: an incumbent at its limit is caught (and logged) by decide_contracts
        out[(c.county, c.item, c.provider_type)] = ContractState(
            c.county, c.item, c.provider_type, provider, float(c.fte), c.start_year, held)
    return out


def decide_contracts(scenario: Scenario, year: int, wanted: dict[Key, float],
                     prior: dict[Key, ContractState], bars: dict[str, int],
                     history: dict[str, tuple[tuple[int, float], ...]]) -> Tender:
    """Renew or re-tender every purchase wanted in ``year``.

    A prior contract for the same (county, item, provider type) is renewed at the new FTE when
    it is renewable, its provider is not barred and the term allows another year; otherwise the
    purchase is tendered among eligible providers (named ones serving the county and one generic
    local provider per type) by comprehensive score. Prior contracts with no purchase wanted
    end (``not_renewed``).
    """
    limit = scenario.policy.max_contract_years
    events: list[dict[str, Any]] = []
    active: dict[Key, ContractState] = {}
    committed: dict[str, float] = {}
    to_tender: list[tuple[Key, float, set[str], str]] = []
    for key in sorted(prior):
        old = prior[key]
        fte = wanted.get(key, 0.0)
        if fte <= 0:
            if old.renewable:
                events.append(event(year, 0.0, old, old.provider, "not_renewed", old.fte,
                                    "no purchase allocated this year"))
            continue
        barred = bars.get(old.provider, -math.inf) >= year \
            or old.provider in _barred_by_record(scenario)
        if old.renewable and old.years_held < limit and not barred:
            new = replace(old, fte=fte, years_held=old.years_held + 1)
            active[key] = new
            committed[new.provider] = committed.get(new.provider, 0.0) + fte
            events.append(event(year, 0.0, new, new.provider, "renewed", fte,
                                f"year {new.years_held} of at most {limit} in a row"))
            continue
        # The limit is on the contract, not the provider (003 三(五) 考评合格者，继续支持): an
        # incumbent that passed bids again; one that failed or was barred is kept out by bars.
        if old.years_held >= limit:
            reason = "re-tender: term reached"
            if old.renewable:  # only an incumbent can stand at its limit and be renewable
                events.append(event(year, 0.0, old, old.provider, "term_reached", old.fte,
                                    f"{old.years_held} years in a row (max {limit})"))
        else:
            reason = f"re-tender: {old.reason or 'provider barred'}"
        to_tender.append((key, fte, old.provider, reason))
    for key in sorted(wanted):
        if key not in prior and wanted[key] > 0:
            to_tender.append((key, wanted[key], "", "new purchase"))
    for key, fte, incumbent, reason in sorted(to_tender):
        chosen, score, detail = _choose(scenario, key, fte, year, bars, history, committed,
                                        incumbent)
        contract = ContractState(key[0], key[1], key[2], chosen, fte, year, 1)
        active[key] = contract
        committed[chosen] = committed.get(chosen, 0.0) + fte
        won = "; the incumbent won again" if chosen == incumbent else ""
        events.append(event(year, 0.0, contract, chosen, "signed", fte,
                            f"{reason}; score {score:.3f} ({detail}){won}"))
    return Tender(tuple(active[k] for k in sorted(active)), tuple(events))


def _choose(scenario: Scenario, key: Key, fte: float, year: int, bars: dict[str, int],
            history: dict[str, tuple[tuple[int, float], ...]], committed: dict[str, float],
            incumbent: str = "") -> tuple[str, float, str]:
    """The best eligible provider by comprehensive score (ties: named before generic, by id).

    Bidders: the named providers serving the county, a new unnamed local provider of the type
    (no record), and the unnamed local providers of the type with a record (the incumbent
    among them) that are not barred. A provider's
    quality in the score is its declared quality blended half and half with the mean of its
    assessment scores so far (0 for a failure), so a record of good assessments can win a
    tender and a failure weighs against it once its bar has run out.
    """
    county, item, ptype = key
    ptype_data = scenario.provider_type(ptype)
    weights = scenario.policy.selection_weights
    total_weight = sum(weights.values())

    def eligible(pid: str) -> bool:
        return bars.get(pid, -math.inf) < year and record_allows(scenario, history.get(pid, ()))

    candidates: list[tuple[str, float, float, bool]] = []  # id, quality, capacity, generic
    for p in scenario.providers:
        if p.type != ptype or county not in p.counties or not eligible(p.id):
            continue
        if not named_eligible(scenario, p, ptype_data.is_social_org):  # rule provider-rating
            continue
        remaining = p.capacity_fte - committed.get(p.id, 0.0)
        if remaining <= 0:
            continue
        declared = p.quality if p.quality is not None else ptype_data.quality
        candidates.append((p.id, declared, remaining, False))
    n = 1
    while not eligible(generic_provider(county, item, ptype, n)) \
            or generic_provider(county, item, ptype, n) in history:
        n += 1
    market = max(scenario.county(county).market.get(ptype, fte), 0.0) \
        * market_share(scenario, ptype)
    named = {p.id for p in scenario.providers}
    prefix = generic_provider(county, item, ptype, 0)[:-1]
    known = sorted(pid for pid in history if pid.startswith(prefix) and eligible(pid))
    if incumbent and incumbent not in named and eligible(incumbent):
        known = sorted({*known, incumbent})
    generics = [generic_provider(county, item, ptype, n), *known]
    candidates += [(pid, ptype_data.quality, market, True) for pid in generics]

    scored = []
    for pid, declared, capacity, generic in candidates:
        past = history.get(pid, ())
        quality = declared if not past else 0.5 * (declared + sum(s for _, s in past) / len(past))
        capacity_score = min(1.0, capacity / fte) if fte > 0 else 1.0
        price_score = 1.0  # one price per provider type: candidates of a tender share it
        score = (weights["quality"] * quality + weights["capacity"] * capacity_score
                 + weights["price"] * price_score) / total_weight
        scored.append((-score, generic, pid, quality, capacity_score))
    scored.sort()
    neg, _, pid, quality, capacity_score = scored[0]
    detail = (f"quality {quality:.2f}, capacity {capacity_score:.2f}, "
              f"{len(scored)} candidate{'s' if len(scored) != 1 else ''}")
    return pid, -neg, detail


def _barred_by_record(scenario: Scenario) -> tuple[str, ...]:
    """Named providers with a bad record (``[mechanisms.eligibility]``): never renewed."""
    rules = scenario.mechanisms.eligibility
    return rules.barred_providers if rules.enabled else ()


def assessment_score(weights: dict[str, float], satisfaction: float, completion: float,
                     timeliness: float) -> float:
    """The year-end assessment score (0-1): weighted mean of the three components."""
    total = sum(weights.values())
    return (weights["satisfaction"] * satisfaction + weights["completion"] * completion
            + weights["timeliness"] * timeliness) / total
