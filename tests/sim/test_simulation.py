"""simulate_year / simulate: interface, extreme values, determinism, seasonality, contracts.

Queueing-theory validation lives in ``tests/sim/test_queueing_theory.py``; the CLI in
``tests/cli/test_simulate.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.demand import monthly_cases
from govsim.rng import stream
from govsim.sim import (
    CONTRACT_EVENT_COLUMNS,
    KPI_COLUMNS,
    SimulationError,
    State,
    simulate,
    simulate_year,
    token_count,
)
from govsim.sim.engine import poisson_arrivals


def single_pool(distribution: str = "fixed", mean_hours: float = 1.0, fte: float = 1.0,
                rate: float = 0.0, hours: float = 960.0, **item: object) -> govsim.Scenario:
    """One county, one item, public staff only, one FTE = one server (no productivity loss)."""
    tiny = govsim.load_scenario("tiny").to_dict()
    data = {
        "scenario": {**tiny["scenario"], "hours_per_year": hours,
                     "productive_hours_per_fte": hours},
        "policy": tiny["policy"], "counties": [tiny["counties"][0]],
        "items": [{"id": "job", "name_zh": "个案", "kind": "service", "fund": "relief",
                   "driver": ["county"], "rate": rate, "distribution": distribution,
                   "mean_hours": mean_hours, **item}],
        "provider_types": tiny["provider_types"],
        "baseline": {"caseworker_assignment": "explicit",
                     "public_staff": [{"county": "east", "item": "job", "fte": fte}]},
    }
    return govsim.Scenario.from_dict(data)


@pytest.fixture(scope="module")
def small(tiny: govsim.Scenario) -> govsim.Scenario:
    """The tiny scenario with a tenth of its demand (and of its public staff's load)."""
    return tiny.with_overrides({f"items.{i.id}.rate": i.rate / 10 for i in tiny.items})


def test_year_tables_have_the_contract_columns(tiny: govsim.Scenario) -> None:
    result, state = simulate_year(tiny, 2025, None, None, seed=3)
    assert list(result.kpis.columns) == KPI_COLUMNS
    assert list(result.contracts.columns) == CONTRACT_EVENT_COLUMNS
    assert len(result.kpis) == len(tiny.counties) * len(tiny.items)
    assert isinstance(state, State) and state.year == 2025
    k = result.kpis
    assert (k["served"] + k["abandoned"] + k["backlog"] == k["arrivals"]).all()
    assert set(result.providers["provider_type"]) == {"social_org"}
    # cost is the purchased FTE only: the one incumbent contract (1 FTE), pro rata if it failed
    assert k["cost"].sum() == pytest.approx(result.providers["cost"].sum())
    if not result.providers["failures"].any():
        assert k["cost"].sum() == pytest.approx(69_000.0)


def test_backlog_carries_into_next_year(tiny: govsim.Scenario) -> None:
    first, state = simulate_year(tiny, 2025, None, None, seed=3)
    assert state.backlog_cases == first.kpis["backlog"].sum() > 0
    second, _ = simulate_year(tiny, 2026, None, state, seed=3)
    k = second.kpis.set_index(["county", "item"])
    start = first.kpis.set_index(["county", "item"])["backlog"]
    assert (start + k["arrivals"] - k["served"] - k["abandoned"] == k["backlog"]).all()
    with pytest.raises(SimulationError):
        simulate_year(tiny, 2027, None, state, seed=3)


def test_zero_demand_gives_zero_served_and_cost(tiny: govsim.Scenario) -> None:
    scenario = tiny.with_overrides({"items.*.rate": 0.0, "baseline.contracts": []})
    result = simulate(scenario, years=2, replications=2, workers=1)
    assert (result.kpis[["arrivals", "served", "abandoned", "backlog", "cost"]] == 0).all().all()
    purchase = pd.DataFrame({"year": [2025, 2026], "county": "east", "item": "care",
                             "provider_type": "social_org", "fte": 0.0})
    result = simulate(scenario, years=2, replications=1, workers=1, capacities=purchase)
    assert result.kpis["cost"].sum() == 0


def test_unlimited_workers_never_wait() -> None:
    scenario = single_pool("lognormal", 2.0, fte=2_000, rate=5_000, cv=0.8)
    result, _ = simulate_year(scenario, 2025, None, None, seed=1)
    row = result.kpis.iloc[0]
    assert row["served"] == row["arrivals"] > 4_000
    assert row["wait_mean_days"] == 0 and row["wait_p90_days"] == 0


def test_deterministic_arrivals_and_service_follow_the_hand_schedule() -> None:
    """One server, service 2 h; arrivals at 0, 1, 1.5, 10 h -> starts 0, 2, 4, 10."""
    scenario = single_pool("fixed", 2.0, fte=1)
    arrivals = {("east", "job"): np.array([0.0, 1.0, 1.5, 10.0])}
    result, _ = simulate_year(scenario, 2025, None, None, seed=1, arrival_hours=arrivals)
    row = result.kpis.iloc[0]
    waits = np.array([0.0, 1.0, 2.5, 0.0])
    assert row["served"] == 4 and row["backlog"] == 0
    assert row["wait_mean_days"] * 8 == pytest.approx(waits.mean())
    assert row["wait_p90_days"] * 8 == pytest.approx(np.quantile(waits, 0.9))
    assert row["utilisation"] == pytest.approx(8.0 / 960.0)  # busy = sum of service times
    # two servers: 0, 0, 0 -> starts 0, 0, 2; a fractional 1.5 FTE is 2 tokens at speed 0.75
    scenario = single_pool("fixed", 2.0, fte=2)
    result, _ = simulate_year(scenario, 2025, None, None, seed=1,
                              arrival_hours={("east", "job"): np.zeros(3)})
    assert result.kpis["wait_mean_days"].iloc[0] * 8 == pytest.approx(2.0 / 3.0)
    scenario = single_pool("fixed", 1.5, fte=1.5)
    result, _ = simulate_year(scenario, 2025, None, None, seed=1,
                              arrival_hours={("east", "job"): np.zeros(3)})
    assert result.kpis["wait_mean_days"].iloc[0] * 8 == pytest.approx(2.0 / 3.0)
    assert token_count(1.5) == 2 and token_count(2.0) == 2 and token_count(0.0) == 0


def test_backlog_keeps_its_age() -> None:
    """Cases left at year end start next year at the head of the queue with their ages."""
    scenario = single_pool("fixed", 150.0, fte=1, hours=120.0)
    arrivals = {("east", "job"): np.array([0.0, 10.0, 20.0])}
    first, state = simulate_year(scenario, 2025, None, None, seed=1, arrival_hours=arrivals)
    assert first.kpis["backlog"].iloc[0] == 2
    np.testing.assert_allclose(state.backlog[("east", "job")], [110.0, 100.0])
    second, state = simulate_year(scenario, 2026, None, state, seed=1, arrival_hours={})
    # next year the 110-h-old case starts at once; the other waits past the year's end
    assert second.kpis["served"].iloc[0] == 1
    assert second.kpis["wait_mean_days"].iloc[0] * 8 == pytest.approx(110.0)
    np.testing.assert_allclose(state.backlog[("east", "job")], [220.0])


def test_same_seed_same_tables_and_workers_do_not_matter(small: govsim.Scenario) -> None:
    before = small.content_hash()
    frozen = small.model_copy(deep=True)
    serial = simulate(small, years=2, replications=2, seed=11, workers=1)
    again = simulate(small, years=2, replications=2, seed=11, workers=1)
    parallel = simulate(small, years=2, replications=2, seed=11, workers=2)
    for name in ("kpis", "summary", "contracts", "providers"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(again, name))
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name))
    other = simulate(small, years=2, replications=2, seed=12, workers=1)
    assert not other.kpis["arrivals"].equals(serial.kpis["arrivals"])
    assert small.content_hash() == before and small == frozen


def test_summary_has_mean_and_ci(small: govsim.Scenario) -> None:
    seen: list[tuple[int, int]] = []
    result = simulate(small, years=2, replications=3, workers=1,
                      progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6) and len(seen) == 6
    s = result.summary
    assert {"served_mean", "served_ci95", "wait_mean_days_ci95"} <= set(s.columns)
    k = result.kpis
    one = k[(k["year"] == 2025) & (k["county"] == "east") & (k["item"] == "screening")]
    row = s[(s["year"] == 2025) & (s["county"] == "east") & (s["item"] == "screening")].iloc[0]
    assert row["served_mean"] == pytest.approx(one["served"].mean())
    assert row["served_ci95"] == pytest.approx(4.302652730 * one["served"].std() / math.sqrt(3))


def test_monthly_counts_follow_the_multipliers(tiny: govsim.Scenario) -> None:
    monthly = (0.5,) * 6 + (1.5,) * 6
    scenario = tiny.with_overrides({"items.screening.monthly": list(monthly),
                                    "items.screening.rate": 20.0})
    county, item = scenario.counties[0], scenario.item("screening")
    expected = monthly_cases(scenario, county, item, 2025)
    hours = scenario.header.hours_per_year
    times = poisson_arrivals(stream(5, 2025, 0, "arrivals", "east", "screening"), expected, hours)
    counts = np.bincount((times // (hours / 12)).astype(int), minlength=12)
    # Poisson counts: each month within 4 standard deviations, halves in ratio 1:3
    assert (np.abs(counts - expected) < 4 * np.sqrt(expected)).all()
    assert counts[6:].sum() / counts[:6].sum() == pytest.approx(3.0, rel=0.02)


def test_growth_applies_per_year(small: govsim.Scenario) -> None:
    scenario = small.with_overrides({"items.*.growth": 0.5})
    result = simulate(scenario, years=3, replications=2, workers=1)
    per_year = result.kpis.groupby("year")["arrivals"].sum()
    expected = np.array([2 * sum(monthly_cases(scenario, c, i, y).sum()
                                 for c in scenario.counties for i in scenario.items)
                         for y in (2025, 2026, 2027)])
    np.testing.assert_allclose(expected[1:] / expected[:-1], 1.5)
    # Poisson totals: within 4 standard deviations of driver x rate x 1.5^k
    assert (np.abs(per_year.to_numpy() - expected) < 4 * np.sqrt(expected)).all()


def test_prohibited_items_cannot_be_purchased(tiny: govsim.Scenario) -> None:
    buy = pd.DataFrame({"county": ["east"], "item": ["benefit_approval"],
                        "provider_type": ["social_org"], "fte": [1.0]})
    with pytest.raises(SimulationError, match="prohibited-items"):
        simulate_year(tiny, 2025, buy, None, seed=1)
    with pytest.raises(SimulationError, match="fte"):
        simulate_year(tiny, 2025, buy.assign(item="care", fte=-1.0), None, seed=1)


# -- contracts ------------------------------------------------------------------------------

def _run_contracts(scenario: govsim.Scenario, years: int, reps: int) -> govsim.sim.SimulationResult:
    buy = pd.concat([pd.DataFrame({"year": y, "county": ["east", "west", "east"],
                                   "item": ["care", "care", "screening"],
                                   "provider_type": ["social_org", "enterprise", "social_org"],
                                   "fte": [2.0, 1.5, 1.0]})
                     for y in range(2025, 2025 + years)])
    return simulate(scenario, years=years, replications=reps, seed=5, workers=1,
                    capacities=buy)


def test_no_provider_holds_a_contract_past_the_term(small: govsim.Scenario) -> None:
    scenario = small.with_overrides({"policy.max_contract_years": 2,
                                    "policy.assessment_pass_mark": 0.0,
                                    "provider_types.*.failure_hazard": 0.0})
    result = _run_contracts(scenario, years=5, reps=1)
    held = result.contracts[result.contracts["event"].isin(["signed", "renewed"])]
    for _, group in held.groupby(["county", "item", "provider_type"]):
        run = 0  # years of the current contract: a signature starts a new one
        for name in group.sort_values("year")["event"]:
            run = 1 if name == "signed" else run + 1
            assert run <= 2
    assert (result.providers["years_held"] <= 2).all()
    assert (result.providers["year"] - result.providers["start_year"] < 2).all()
    assert (result.contracts["event"] == "term_reached").any()
    # the incumbent (since 2024) is renewed once, then the purchase is re-tendered: a new
    # contract, which the incumbent may win again (the limit is on the contract)
    east = held[(held["county"] == "east") & (held["item"] == "care")]
    assert east["event"].tolist()[:2] == ["renewed", "signed"]
    assert "re-tender: term reached" in east["detail"].iloc[1]


def test_failure_triggers_takeover_after_delay_and_exit(small: govsim.Scenario) -> None:
    scenario = small.with_overrides({"provider_types.*.failure_hazard": 20.0,
                                    "policy.takeover_share": 0.5})
    result = _run_contracts(scenario, years=1, reps=2)
    log, providers = result.contracts, result.providers
    failed = log[log["event"] == "failed"]
    assert len(failed) == providers["failures"].sum() >= 4
    for row in failed.itertuples():
        mine = log[(log["replication"] == row.replication) & (log["county"] == row.county)
                   & (log["item"] == row.item) & (log["provider_type"] == row.provider_type)]
        delay = scenario.provider_type(row.provider_type).takeover_delay_days
        assert set(mine[mine["day"] == row.day]["event"]) >= {"failed", "exit", "barred"}
        assert "assessed" not in set(mine["event"])
        takeover = mine[mine["event"] == "takeover"]
        if row.day + delay < 245:
            assert takeover["day"].iloc[0] == pytest.approx(row.day + delay, abs=1e-3)
            assert takeover["fte"].iloc[0] == pytest.approx(0.5 * row.fte)
        else:
            assert takeover.empty
        p = providers[(providers["replication"] == row.replication)
                      & (providers["county"] == row.county) & (providers["item"] == row.item)]
        kept = row.day + 0.5 * max(0.0, 245 - row.day - delay)
        assert p["capacity_loss_share"].iloc[0] == pytest.approx(1 - kept / 245, abs=1e-6)


def test_barred_provider_is_not_chosen_while_barred(small: govsim.Scenario) -> None:
    scenario = small.with_overrides({"provider_types.*.failure_hazard": 1.5,
                                    "policy.bar_years_after_failure": 2})
    result = _run_contracts(scenario, years=5, reps=2)
    log = result.contracts
    barred = log[log["event"] == "barred"]
    assert len(barred) > 3
    held = log[log["event"].isin(["signed", "renewed"])]
    for row in barred.itertuples():
        until = int(row.detail.rsplit(" ", 1)[1])
        again = held[(held["replication"] == row.replication)
                     & (held["provider"] == row.provider)
                     & (held["year"] > row.year) & (held["year"] <= until)]
        assert again.empty, (row, again)
    generic = held["provider"].str.extract(r"-(\d+)$")[0].dropna().astype(int)
    assert generic.max() >= 2  # replacements were found among other providers
