"""The re-tender (govsim.sim.contracts): the 3-year limit is on a contract, not a provider.

003 三(五): 考评合格者，继续支持 — an incumbent that passed its assessments bids again and is
scored on its record; one that failed (or was blacklisted) is barred for the documented period
(002 Shanghai §二(五): 3 years).
"""

from __future__ import annotations

import govsim
from govsim.sim.contracts import ContractState, decide_contracts, generic_provider

KEY = ("east", "care", "social_org")


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
