"""Rules at their boundaries (issue 12, items 17 and 18): the safety net for the refactors.

- ``contract-term`` on the decision itself: :func:`decide_contracts` renews a contract in its
  3rd year and re-tenders it in the 4th (a maximum term of 4 planted in the code fails here),
  and :func:`incumbent_contracts` counts the years an incumbent has held. The re-tender is
  checked by its event and by the new contract's ``start_year``/``years_held``, not by a change
  of provider: a provider that passed its assessments may win the re-tender again.
- ``provider-rating``: a social organisation older than 3 years needs 3A or better; at exactly 3
  years it does not.
- the assessment pass mark: a score exactly at the mark passes, one just above fails.
- the lottery fund and the total budget: exactly the budget passes, a yuan more fails, and the
  allocation spends up to the limit when need exceeds it.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import govsim
from govsim.compliance import check_compliance
from govsim.sim.contracts import ContractState, Tender, decide_contracts, incumbent_contracts

KEY = ("east", "care", "social_org")
TERM = 3  # contract-term: at most 3 years in a row (001 §(七)4), the scenario default


def held(years: int, start: int, renewable: bool = True, reason: str = "") -> ContractState:
    return ContractState(*KEY, provider="east-care-social_org", fte=1.0, start_year=start,
                         years_held=years, renewable=renewable, reason=reason)


def decide(scenario: govsim.Scenario, year: int, prior: ContractState | None,
           bars: dict[str, int] | None = None, fte: float = 2.0) -> Tender:
    return decide_contracts(scenario, year, {KEY: fte}, {KEY: prior} if prior else {},
                            bars or {}, {})


def events(tender: Tender) -> list[str]:
    return [e["event"] for e in tender.events]


# -- item 17: the contract-term decision -----------------------------------------------------------

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


# -- item 18: provider-rating ----------------------------------------------------------------------

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


# -- item 18: the assessment pass mark -------------------------------------------------------------

def test_assessment_pass_mark_at_its_boundary(tiny: govsim.Scenario) -> None:
    steady = tiny.with_overrides({"provider_types.social_org.failure_hazard": 0.0})

    def year_end(pass_mark: float | None) -> tuple[float, set[str]]:
        scenario = steady if pass_mark is None else \
            steady.with_overrides({"policy.assessment_pass_mark": pass_mark})
        result = govsim.simulate(scenario, years=1, replications=1, seed=3, workers=1)
        row = result.providers[result.providers["provider"] == "east-care-social_org"]
        log = result.contracts[result.contracts["provider"] == "east-care-social_org"]
        return float(row["assessment_score"].iloc[0]), set(log["event"])

    score, _ = year_end(None)
    assert 0 < score < 1
    exactly, kept = year_end(score)
    above, dropped = year_end(math.nextafter(score, 1.0))
    assert exactly == above == score  # the mark does not change the year, only its verdict
    assert "assessed" in kept and "not_renewed" not in kept and "barred" not in kept
    assert {"not_renewed", "barred"} <= dropped


# -- item 18: lottery fund and total budget --------------------------------------------------------

def _alloc(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    """Purchases paid by ``fund``: the lottery fund pays a row through ``cost_lottery``."""
    return pd.DataFrame([(2025, c, i, "social_org", fte, cost,
                          cost if fund == "lottery" else 0.0)
                         for c, i, fund, fte, cost in rows],
                        columns=["year", "county", "item", "provider_type", "fte", "cost",
                                 "cost_lottery"])


def _status(table: pd.DataFrame, scope: str) -> str:
    (status,) = table.loc[(table["rule"] == "funding-sources") & (table["scope"] == scope),
                          "status"]
    return status


@pytest.mark.parametrize("fund, scope, budget", [("lottery", "fund:lottery", 50_000),
                                                 ("child", "fund:child", 100_000)])
def test_fund_budgets_at_their_boundary(tiny: govsim.Scenario, fund: str, scope: str,
                                        budget: int) -> None:
    # tiny: funds.lottery = 50,000 and funds.child_welfare = 100,000 CNY a year (pooled here)
    tiny = tiny.with_overrides({"funds.child_welfare_split": "pooled"})
    item = "child_visits" if fund == "child" else "care"
    at = _alloc([("east", item, fund, 0.5, budget / 2), ("west", item, fund, 0.5, budget / 2)])
    assert _status(check_compliance(tiny, at), scope) == "pass"
    over = _alloc([("east", item, fund, 0.5, budget / 2), ("west", item, fund, 0.5,
                                                          budget / 2 + 1)])
    assert _status(check_compliance(tiny, over), scope) == "fail"


def test_total_budget_at_its_boundary(tiny: govsim.Scenario) -> None:
    scenario = tiny.with_overrides({"funds.total_budget": 300_000})
    at = _alloc([("east", "care", "relief", 2.0, 200_000), ("west", "child_visits", "child", 1.0,
                                                             100_000)])
    assert _status(check_compliance(scenario, at), "total") == "pass"
    over = at.assign(cost=[200_000, 100_001])
    assert _status(check_compliance(scenario, over), "total") == "fail"
    assert "total" not in set(check_compliance(tiny, at)["scope"])  # no total budget: no row


def test_allocation_spends_up_to_a_binding_total_budget(tiny: govsim.Scenario) -> None:
    scenario = tiny.with_overrides({"funds.total_budget": 200_000})  # tiny needs far more
    # fractional posts: whole posts of 69,000 CNY cannot meet a budget to the yuan
    spend = float(govsim.allocate(scenario, integer_posts=False).allocation["cost"].sum())
    assert 200_000 - 1 <= spend <= 200_000 + 0.005
    whole = float(govsim.allocate(scenario).allocation["cost"].sum())
    assert 200_000 - 69_000 < whole <= 200_000 + 0.005


def test_allocation_spends_up_to_a_binding_lottery_fund(tiny: govsim.Scenario) -> None:
    """With no relief cap and no child fund, new purchases are what the lottery fund pays (for
    child items: it counts toward the relief cap like any yuan, so relief items get none)."""
    only_lottery = tiny.with_overrides({"policy.relief_cap_share": 0.0,
                                        "funds.child_welfare": 0.0})
    allocation = govsim.allocate(only_lottery, integer_posts=False).allocation
    new = allocation[allocation["basis"] == "new"]
    assert set(new["fund"]) <= {"child", "lottery"}
    assert new["cost"].to_numpy() == pytest.approx(new["cost_lottery"].to_numpy())
    assert 50_000 - 1 <= float(new["cost_lottery"].sum()) <= 50_000 + 0.005
