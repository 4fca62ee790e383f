"""The allocation under a binding fund: it spends up to the total budget or the lottery fund
when need exceeds it (the same limits are checked at their boundaries in
``tests/test_compliance.py``)."""

from __future__ import annotations

import pytest

import govsim


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
