"""The independent compliance check (govsim.compliance) on the funds: the lottery fund, the child
fund and the total budget at their boundaries — exactly the budget passes, a yuan more fails.

The other numeric rules at their boundaries are in ``tests/test_policy.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

import govsim
from govsim.compliance import check_compliance


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
