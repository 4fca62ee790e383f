"""Every numeric rule at its boundary, through the independent compliance check."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import govsim
from govsim.compliance import check_compliance
from govsim.policy import RULES, caseworkers_required, child_staff_required
from govsim.scenario import Scenario


def _alloc(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "county", "item", "provider_type", "fte", "cost"])


def _status(table: pd.DataFrame, rule: str, scope: str) -> str:
    (status,) = table.loc[(table["rule"] == rule) & (table["scope"] == scope), "status"]
    return status


def test_every_rule_has_a_source_and_both_texts() -> None:
    for r in RULES.values():
        assert r.source and r.text_zh and r.text_en, r.id
        assert any(f in r.source for f in ("000_", "001_", "002_", "003_", "004_")), r.id


def test_policy_defaults_come_from_the_rules_data() -> None:
    policy = govsim.Scenario.model_fields["policy"].default
    assert policy.relief_cap_share == RULES["relief-cap"].value == 0.03
    assert policy.social_org_min_share == RULES["social-org-share"].value == 0.30
    assert policy.caseworker_ratio == RULES["caseworker-ratio"].value == 0.002
    assert policy.max_contract_years == RULES["contract-term"].value == 3


def test_relief_cap_exactly_three_percent_passes_one_yuan_more_fails(tiny: Scenario) -> None:
    limit = 0.03 * tiny.county("east").relief_fund_last_year  # 360,000 CNY
    at = check_compliance(tiny, _alloc([(2025, "east", "care", "social_org", 5.2, limit)]))
    over = check_compliance(tiny, _alloc([(2025, "east", "care", "social_org", 5.2, limit + 1)]))
    assert _status(at, "relief-cap", "east") == "pass"
    assert _status(over, "relief-cap", "east") == "fail"


def test_relief_cap_counts_every_yuan_of_relief_items(tiny: Scenario) -> None:
    """001 §(八): every yuan paying for social-assistance purchases counts, contracts in force
    and new ones alike, whichever fund pays; child items do not count."""
    limit = 0.03 * tiny.county("east").relief_fund_last_year
    rows = _alloc([(2025, "east", "care", "social_org", 1, limit),
                   (2025, "east", "child_visits", "social_org", 1, 50_000)])
    assert _status(check_compliance(tiny, rows), "relief-cap", "east") == "pass"
    split = pd.concat([rows.iloc[[0]].assign(cost=limit - 40_000, basis="continuing"),
                       rows.iloc[[0]].assign(cost=40_001, basis="new")])
    table = check_compliance(tiny, split)
    assert _status(table, "relief-cap", "east") == "fail"
    detail = table.loc[table["rule"] == "relief-cap", "detail"].iloc[0]
    assert "contracts in force 32.0" in detail and "1.00 元 over" in detail  # never "0.0 万元"
    lottery = rows.assign(cost_lottery=[40_000.0, 0.0])
    lottery.loc[0, "cost"] = limit + 40_000  # 40,000 of it paid by the lottery fund
    assert _status(check_compliance(tiny, lottery), "relief-cap", "east") == "fail"
    permissive = tiny.with_overrides({"policy.lottery_counts_toward_relief_cap": False})
    assert _status(check_compliance(permissive, lottery), "relief-cap", "east") == "pass"


def test_relief_cap_base_rolls_forward(tiny: Scenario) -> None:
    """Year y's limit is 3 % of year y - 1's expenditure: given, or grown from the last."""
    east = tiny.county("east").relief_fund_last_year  # 12,000,000 CNY spent in 2024
    series = tiny.with_overrides({"counties.east.relief_fund_by_year": {"2025": 20_000_000}})
    grown = tiny.with_overrides({"counties.east.relief_fund_growth": 0.1})
    for scenario, limit_2026 in ((series, 600_000.0), (grown, 0.03 * east * 1.1),
                                 (tiny, 0.03 * east)):
        rows = _alloc([(2026, "east", "care", "social_org", 1, limit_2026)])
        assert _status(check_compliance(scenario, rows), "relief-cap", "east") == "pass"
        rows.loc[0, "cost"] = limit_2026 + 1
        assert _status(check_compliance(scenario, rows), "relief-cap", "east") == "fail"
        first = _alloc([(2025, "east", "care", "social_org", 1, 0.03 * east + 1)])
        assert _status(check_compliance(scenario, first), "relief-cap", "east") == "fail"


def test_pooled_cap_applies_to_the_prefecture(tiny: Scenario) -> None:
    pooled = tiny.with_overrides({"policy.cap_scope": "prefecture"})
    limit = 0.03 * (12_000_000 + 8_000_000)
    rows = _alloc([(2025, "east", "care", "social_org", 1, limit)])
    table = check_compliance(pooled, rows)
    assert _status(table, "relief-cap", "prefecture") == "pass"
    assert _status(check_compliance(tiny, rows), "relief-cap", "east") == "fail"
    rows.loc[0, "cost"] = limit + 1
    assert _status(check_compliance(pooled, rows), "relief-cap", "prefecture") == "fail"


@pytest.mark.parametrize(("recipients", "needed"),
                         [(12_345, 25), (12_500, 25), (12_501, 26), (0, 0), (1, 1), (500, 1)])
def test_caseworker_requirement_rounds_up(recipients: int, needed: int) -> None:
    county = SimpleNamespace(dibao=recipients, tekun=0)
    assert caseworkers_required(county, 0.002) == needed


@given(st.integers(0, 10**7), st.integers(0, 10**6))
def test_caseworker_requirement_matches_exact_arithmetic(dibao: int, tekun: int) -> None:
    county = SimpleNamespace(dibao=dibao, tekun=tekun)
    assert caseworkers_required(county, 0.002) == math.ceil((dibao + tekun) * 2 / 1000)


def test_caseworker_ratio_boundary(tiny: Scenario) -> None:
    east = tiny.county("east")  # 4,600 recipients -> 10 needed, 6 in post
    need = caseworkers_required(east, 0.002)
    assert need == 10
    short = east.public_caseworkers
    at = check_compliance(tiny, _alloc([(2025, "east", "screening", "social_org",
                                         need - short, 1.0)]))
    under = check_compliance(tiny, _alloc([(2025, "east", "screening", "social_org",
                                            need - short - 0.01, 1.0)]))
    assert _status(at, "caseworker-ratio", "east") == "pass"
    assert _status(under, "caseworker-ratio", "east") == "fail"


def test_care_fte_does_not_count_as_caseworkers(tiny: Scenario) -> None:
    table = check_compliance(tiny, _alloc([(2025, "east", "care", "social_org", 50, 1.0)]))
    assert _status(table, "caseworker-ratio", "east") == "fail"


def test_child_welfare_staff_one_per_township_and_village(tiny: Scenario) -> None:
    west = tiny.county("west")  # 4 townships + 40 villages, 38 directors in post
    assert child_staff_required(west, 1) == 44
    at = check_compliance(tiny, _alloc([(2025, "west", "child_visits", "social_org", 6, 1.0)]))
    under = check_compliance(tiny, _alloc([(2025, "west", "child_visits", "social_org", 5.99,
                                            1.0)]))
    assert _status(at, "child-welfare-staff", "west") == "pass"
    assert _status(under, "child-welfare-staff", "west") == "fail"


def test_social_org_share_exactly_thirty_percent_passes(tiny: Scenario) -> None:
    """Per county (004 各级), on new purchases (004 新增): continuations do not count."""
    rows = _alloc([(2025, "east", "care", "social_org", 1, 30_000),
                   (2025, "east", "care", "enterprise", 1, 70_000),
                   (2025, "east", "screening", "enterprise", 5, 300_000),
                   (2025, "west", "care", "social_org", 1, 10_000)])
    rows["basis"] = ["new", "new", "continuing", "new"]
    table = check_compliance(tiny, rows)
    assert _status(table, "social-org-share", "east") == "pass"
    assert _status(table, "social-org-share", "west") == "pass"
    rows.loc[1, "cost"] = 70_001
    assert _status(check_compliance(tiny, rows), "social-org-share", "east") == "fail"
    everything = tiny.with_overrides({"policy.social_org_base": "all"})
    assert _status(check_compliance(everything, rows), "social-org-share", "east") == "fail"
    pooled = tiny.with_overrides({"policy.social_org_scope": "prefecture"})
    assert _status(check_compliance(pooled, rows), "social-org-share", "prefecture") == "pass"


def test_contract_term_three_years_pass_four_fail(tiny: Scenario) -> None:
    three = pd.DataFrame([{"county": "east", "item": "care", "provider": "p1",
                           "start_year": 2023, "end_year": 2025}])
    four = three.assign(end_year=2026)
    assert _status(check_compliance(tiny, _alloc([]), three), "contract-term",
                   "prefecture") == "pass"
    assert _status(check_compliance(tiny, _alloc([]), four), "contract-term",
                   "prefecture") == "fail"


def test_prohibited_item_purchase_is_flagged(tiny: Scenario) -> None:
    rows = _alloc([(2025, "east", "benefit_approval", "social_org", 1, 69_000)])
    table = check_compliance(tiny, rows)
    assert _status(table, "prohibited-items", "prefecture") == "fail"
    assert "benefit_approval" in table.loc[table["rule"] == "prohibited-items", "detail"].iloc[0]


def test_fund_budgets(tiny: Scenario) -> None:
    """The child-welfare fund split by children (east 2,200 of 3,900: 56,410.26 CNY of
    100,000); the lottery fund at its budget; a total budget — each at its boundary."""
    east = 100_000 * 2200 / 3900
    rows = _alloc([(2025, "east", "child_visits", "social_org", 1, east)])
    assert _status(check_compliance(tiny, rows), "funding-sources", "fund:child/east") == "pass"
    rows.loc[0, "cost"] = east + 1
    assert _status(check_compliance(tiny, rows), "funding-sources", "fund:child/east") == "fail"
    lottery = tiny.funds.lottery
    rows = _alloc([(2025, "east", "care", "social_org", 1, lottery)]).assign(
        cost_lottery=lottery)
    assert _status(check_compliance(tiny, rows), "funding-sources", "fund:lottery") == "pass"
    rows.loc[0, ["cost", "cost_lottery"]] = lottery + 1
    assert _status(check_compliance(tiny, rows), "funding-sources", "fund:lottery") == "fail"
    total = tiny.with_overrides({"funds.total_budget": 200_000.0})
    rows = _alloc([(2025, "east", "care", "social_org", 1, 150_000),
                   (2025, "west", "care", "social_org", 1, 50_000)])
    assert _status(check_compliance(total, rows), "funding-sources", "total") == "pass"
    rows.loc[1, "cost"] = 50_001
    assert _status(check_compliance(total, rows), "funding-sources", "total") == "fail"


def test_compliance_has_a_row_for_every_rule(guangan: Scenario) -> None:
    table = check_compliance(guangan, _alloc([(2025, "guangan", "care", "social_org", 1, 1)]))
    assert set(table["rule"]) == set(RULES)
    assert set(table["status"]) <= {"pass", "fail", "not-applicable"}
    assert table["source"].notna().all()
