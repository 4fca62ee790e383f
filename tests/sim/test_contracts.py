"""The re-tender (govsim.sim.contracts): the 3-year limit is on a contract, not a provider.

003 三(五): 考评合格者，继续支持 — an incumbent that passed its assessments bids again and is
scored on its record; one that failed (or was blacklisted) is barred for the documented period
(002 Shanghai §二(五): 3 years).

``contract-term`` on the decision itself: :func:`decide_contracts` renews a contract in its 3rd
year and re-tenders it in the 4th (a maximum term of 4 planted in the code fails here), and
:func:`incumbent_contracts` counts the years an incumbent has held. The re-tender is checked by
its event and by the new contract's ``start_year``/``years_held``, not by a change of provider:
a provider that passed its assessments may win the re-tender again. ``provider-rating``: a
social organisation older than 3 years needs 3A or better; at exactly 3 years it does not.
"""

from __future__ import annotations

import pytest

import govsim
from govsim.sim.contracts import (
    ContractState,
    Tender,
    decide_contracts,
    generic_provider,
    incumbent_contracts,
)

KEY = ("east", "care", "social_org")
TERM = 3  # contract-term: at most 3 years in a row (001 §(七)4), the scenario default


def _at_term(provider: str) -> dict:
    return {KEY: ContractState(*KEY, provider=provider, fte=2.0, start_year=2023,
                               years_held=3)}


def _signed(tender) -> ContractState:
    (contract,) = tender.contracts
    return contract


def test_a_passing_incumbent_with_the_best_record_wins_again(tiny: govsim.Scenario) -> None:
    incumbent = generic_provider("east", "care", "social_org", 1)
    history = {incumbent: ((2023, 0.92), (2024, 0.95), (2025, 0.93))}
    tender = decide_contracts(tiny, 2026, {KEY: 2.0}, _at_term(incumbent), {}, history)
    contract = _signed(tender)
    assert contract.provider == incumbent
    assert contract.start_year == 2026 and contract.years_held == 1  # a new contract
    signed = [e for e in tender.events if e["event"] == "signed"]
    assert "re-tender: term reached" in signed[0]["detail"]
    assert "the incumbent won again" in signed[0]["detail"]
    assert any(e["event"] == "term_reached" for e in tender.events)


def test_an_incumbent_with_a_weak_record_loses_to_a_better_bidder(tiny: govsim.Scenario) -> None:
    """Its record (mean score 0.62) pulls its quality below a fresh bidder's declared 0.82."""
    incumbent = generic_provider("east", "care", "social_org", 1)
    history = {incumbent: ((2023, 0.61), (2024, 0.62), (2025, 0.63))}
    tender = decide_contracts(tiny, 2026, {KEY: 2.0}, _at_term(incumbent), {}, history)
    assert _signed(tender).provider != incumbent


def test_a_barred_provider_cannot_win_within_its_bar(tiny: govsim.Scenario) -> None:
    incumbent = generic_provider("east", "care", "social_org", 1)
    history = {incumbent: ((2023, 0.95), (2024, 0.0))}
    bars = {incumbent: 2027}  # failed in 2024: barred through 2027 (3 years)
    for year in (2026, 2027):
        tender = decide_contracts(tiny, year, {KEY: 2.0}, _at_term(incumbent), bars, history)
        assert _signed(tender).provider != incumbent
    free = decide_contracts(tiny, 2028, {KEY: 2.0}, {}, bars, {incumbent: ((2023, 0.99),)})
    assert _signed(free).provider == incumbent


def test_the_bar_after_a_failure_is_the_documented_period(tiny: govsim.Scenario) -> None:
    assert tiny.policy.bar_years_after_failure == govsim.RULES["blacklist"].value == 3


# -- contract-term: the decision itself --------------------------------------------------------

def held(years: int, start: int, renewable: bool = True, reason: str = "") -> ContractState:
    return ContractState(*KEY, provider="east-care-social_org", fte=1.0, start_year=start,
                         years_held=years, renewable=renewable, reason=reason)


def decide(scenario: govsim.Scenario, year: int, prior: ContractState | None,
           bars: dict[str, int] | None = None, fte: float = 2.0) -> Tender:
    return decide_contracts(scenario, year, {KEY: fte}, {KEY: prior} if prior else {},
                            bars or {}, {})


def events(tender: Tender) -> list[str]:
    return [e["event"] for e in tender.events]


def test_default_term_is_three_years(tiny: govsim.Scenario) -> None:
    assert tiny.policy.max_contract_years == TERM


def test_third_year_renews(tiny: govsim.Scenario) -> None:
    tender = decide(tiny, 2025, held(2, start=2023))
    (contract,) = tender.contracts
    assert events(tender) == ["renewed"]
    assert (contract.start_year, contract.years_held, contract.fte) == (2023, 3, 2.0)


def test_fourth_year_is_re_tendered(tiny: govsim.Scenario) -> None:
    tender = decide(tiny, 2026, held(3, start=2023))
    (contract,) = tender.contracts
    assert "renewed" not in events(tender)
    assert events(tender) == ["term_reached", "signed"]
    assert "re-tender: term reached" in tender.events[-1]["detail"]
    assert (contract.start_year, contract.years_held) == (2026, 1)  # a new contract


@pytest.mark.parametrize("term", [1, 2, 5])
def test_the_limit_follows_the_policy(tiny: govsim.Scenario, term: int) -> None:
    scenario = tiny.with_overrides({"policy.max_contract_years": term,
                                    "baseline.contracts": []})
    before = decide(scenario, 2030, held(term - 1, start=2031 - term))
    at = decide(scenario, 2030, held(term, start=2030 - term))
    assert events(before) == ["renewed"] and before.contracts[0].years_held == term
    assert "renewed" not in events(at) and at.contracts[0].years_held == 1


def test_failed_assessment_or_bar_forces_a_re_tender(tiny: govsim.Scenario) -> None:
    failed = decide(tiny, 2025, held(1, start=2024, renewable=False, reason="assessment failed"))
    assert events(failed) == ["signed"] and "assessment failed" in failed.events[0]["detail"]
    barred = decide(tiny, 2025, held(1, start=2024), bars={"east-care-social_org": 2025})
    assert events(barred) == ["signed"] and barred.contracts[0].start_year == 2025
    ended = decide_contracts(tiny, 2025, {}, {KEY: held(1, start=2024)}, {}, {})
    assert events(ended) == ["not_renewed"] and ended.contracts == ()


def test_incumbent_contracts_count_the_years_held(tiny: govsim.Scenario) -> None:
    (incumbent,) = tiny.baseline.contracts  # east/care, social_org, 1 FTE, since 2024
    assert (incumbent.county, incumbent.item, incumbent.start_year) == ("east", "care", 2024)
    state = incumbent_contracts(tiny, 2025)[KEY]
    assert (state.start_year, state.years_held, state.fte, state.renewable) == (2024, 1, 1.0,
                                                                               True)
    assert incumbent_contracts(tiny, 2024)[KEY].years_held == 0
    assert incumbent_contracts(tiny, 2027)[KEY].years_held == 3


def test_an_incumbent_is_re_tendered_after_three_years_in_a_row(tiny: govsim.Scenario) -> None:
    """Held in 2024, renewed in 2025 and 2026, re-tendered in 2027."""
    contract = incumbent_contracts(tiny, 2025)[KEY]
    seen = []
    for year in (2025, 2026, 2027):
        tender = decide(tiny, year, contract)
        (contract,) = tender.contracts
        seen.append((year, events(tender), contract.start_year, contract.years_held))
    assert seen == [(2025, ["renewed"], 2024, 2), (2026, ["renewed"], 2024, 3),
                    (2027, ["term_reached", "signed"], 2027, 1)]


# -- provider-rating ---------------------------------------------------------------------------

@pytest.mark.parametrize("age, rating, eligible", [
    (3.0, "2A", True),     # exactly 3 years: no rating needed yet
    (3.01, "2A", False),   # older than 3: 3A or better
    (3.01, "none", False),
    (3.01, "3A", True),
    (10.0, "5A", True),
    (0.5, "none", True),
])
def test_provider_rating_at_its_boundary(tiny: govsim.Scenario, age: float, rating: str,
                                         eligible: bool) -> None:
    data = tiny.to_dict()
    data["providers"] = [{"id": "named-so", "type": "social_org", "counties": ["east"],
                          "capacity_fte": 10.0, "rating": rating, "age_years": age}]
    scenario = govsim.Scenario.from_dict(data)
    tender = decide(scenario, 2025, None)
    chosen = tender.contracts[0].provider
    # on an equal score a named provider is preferred, so it wins exactly when eligible
    assert (chosen == "named-so") == eligible, chosen
