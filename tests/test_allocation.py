"""The allocation model: a hand-solved instance, each constraint family binding, Guang'an."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from govsim.allocation import (
    AllocationError,
    AllocationStatus,
    allocate,
    build_model,
    estimates_from_scenario,
)
from govsim.allocation.estimates import poisson_quantile
from govsim.scenario import Scenario
from tests.test_allocation_helpers import BASE, ENTERPRISE, hand_scenario

HARD_CAPS = ("relief-cap", "social-org-share", "funding-sources", "prohibited-items")


def _row(result, name: str) -> pd.Series:
    rows = result.constraints[result.constraints["name"] == name]
    assert len(rows) == 1, name
    return rows.iloc[0]


def _assert_caps_pass(result) -> None:
    c = result.compliance
    bad = c[c["rule"].isin(HARD_CAPS) & (c["status"] == "fail")]
    assert bad.empty, bad[["rule", "scope", "value", "limit"]]


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_hand_solved_instance(solver: str) -> None:
    """One county, two relief-funded items, one social-organisation provider type.

    Data: productive hours 1,000 per FTE, ρ = 1, no failures (loss 0), price 100,000 CNY/FTE,
    quality 1. care: 1,000 cases x 2 h, priority 5 -> 500 cases per FTE, 2,500 weighted cases
    per FTE, 0.025 per CNY. counselling: 2,000 cases x 1 h, priority 1 -> 1,000 cases per FTE,
    0.01 weighted cases per CNY. Relief cap 3 % x 10,000,000 = 300,000 CNY. Market 10 FTE.

    By hand: care is worth more per yuan, so buy all of it (2 FTE, 200,000 CNY), then spend the
    remaining 100,000 CNY on counselling (1 FTE, 1,000 of its 2,000 cases).
    Served weighted cases: 1,000 x 5 + 1,000 x 1 = 6,000. Tie-break
    ε = 1e-4 x quality_min x (least weighted cases per CNY) = 1e-4 x 1 x 0.01 = 1e-6 per CNY of
    price/quality, charged on 300,000 CNY: 0.3. Objective = 6,000 - 0.3 = 5,999.7.
    Binding: relief-cap[solo], capacity[solo,care] (no care unmet); capacity[solo,counselling]
    holds with 1,000 unmet; market (3 of 10 FTE) and social-org-share (100 %) are slack.
    Shadow price of the cap: one more yuan buys 1/100,000 FTE of counselling = 0.01 weighted
    cases less the tie-break 1e-6: 0.009999 per CNY, i.e. 99.99 per 10,000 CNY.
    """
    result = allocate(hand_scenario(), solver=solver)
    assert result.status is AllocationStatus.OPTIMAL
    assert result.objective_value == pytest.approx(5999.7, rel=1e-9)
    fte = result.allocation.set_index("item")["fte"]
    assert fte["care"] == pytest.approx(2.0, rel=1e-9)
    assert fte["counselling"] == pytest.approx(1.0, rel=1e-9)
    assert result.spend_cny == pytest.approx(300_000.0, rel=1e-12)
    unmet = result.unmet.set_index("item")["cases_unmet"]
    assert unmet["care"] == pytest.approx(0.0, abs=1e-6)
    assert unmet["counselling"] == pytest.approx(1000.0, rel=1e-9)
    binding = set(result.constraints.loc[result.constraints["binding"], "name"])
    assert {"relief-cap[solo]", "capacity[solo,care]", "capacity[solo,counselling]"} <= binding
    assert "market[solo,so]" not in binding and "social-org-share" not in binding
    cap = _row(result, "relief-cap[solo]")
    assert cap["shadow_price"] == pytest.approx(0.009999, rel=1e-9)
    assert cap["shadow_price_per_10k_cny"] == pytest.approx(99.99, rel=1e-9)
    assert _row(result, "market[solo,so]")["shadow_price"] == pytest.approx(0.0, abs=1e-9)
    _assert_caps_pass(result)


def test_min_cost_hand_instance() -> None:
    """min_cost with a 50 % coverage target: buy 1 FTE of care and 1 of counselling, 200,000
    CNY; the cap (300,000) is slack, so its shadow price is 0."""
    result = allocate(hand_scenario(policy__coverage_target=0.5), objective="min_cost")
    assert result.objective_value == pytest.approx(200_000.0, rel=1e-9)
    assert result.spend_cny == pytest.approx(200_000.0, rel=1e-9)
    assert _row(result, "relief-cap[solo]")["shadow_price"] == pytest.approx(0.0, abs=1e-9)
    assert result.status is AllocationStatus.OPTIMAL


def test_min_cost_elastic_coverage_is_explained() -> None:
    """A 100 % target costs 400,000 CNY but the cap is 300,000: 1,000 counselling cases short."""
    result = allocate(hand_scenario(policy__coverage_target=1.0), objective="min_cost")
    assert result.status is AllocationStatus.RELAXED
    rows = result.explanations[result.explanations["rule"] == "coverage-target"]
    assert rows["shortfall"].sum() == pytest.approx(1000.0, rel=1e-6)
    assert result.spend_cny == pytest.approx(300_000.0, rel=1e-9)


# -- each constraint family binds somewhere and holds everywhere ---------------------------------

def test_social_org_share_binds() -> None:
    """A cheaper enterprise tempts the model; the 30 % social-organisation floor binds."""
    data = copy.deepcopy(BASE)
    data["provider_types"].append(ENTERPRISE)
    data["counties"][0]["market"] = {"so": 10.0, "ent": 10.0}
    data["items"][1]["rate"] = 20_000.0
    result = allocate(Scenario.from_dict(data))
    row = _row(result, "social-org-share")
    assert row["binding"]
    spend = result.allocation.groupby("provider_type")["cost"].sum()
    assert spend["so"] == pytest.approx(0.3 * spend.sum(), rel=1e-9)
    _assert_caps_pass(result)


def test_market_binds() -> None:
    result = allocate(hand_scenario(counties__0__market={"so": 1.5}))
    row = _row(result, "market[solo,so]")
    assert row["binding"] and row["shadow_price"] > 0
    assert result.allocation["fte"].sum() == pytest.approx(1.5, rel=1e-9)
    assert not _row(result, "relief-cap[solo]")["binding"]


def test_caseworker_ratio_binds_and_is_met() -> None:
    """4,000 recipients need 8 caseworkers; 5 in post; counselling counts toward the ratio, so
    the model buys 3 counselling FTE although care is worth more per yuan."""
    result = allocate(hand_scenario(counties__0__dibao=4000, counties__0__public_caseworkers=5,
                                    items__1__counts_toward="caseworker",
                                    counties__0__relief_fund_last_year=20_000_000.0))
    row = _row(result, "caseworker-ratio[solo]")
    assert row["binding"] and row["shadow_price"] < 0
    staff = result.staffing.set_index("rule").loc["caseworker-ratio"]
    assert staff["required"] == 8 and staff["purchased"] == pytest.approx(3.0, rel=1e-9)
    assert staff["shortfall"] == 0
    assert result.status is AllocationStatus.OPTIMAL
    c = result.compliance
    assert (c.loc[c["rule"] == "caseworker-ratio", "status"] == "pass").all()


def test_child_staff_and_child_fund_bind() -> None:
    """Two villages without a director; a child item counts; the child fund pays 100,000 CNY."""
    data = copy.deepcopy(BASE)
    data["counties"][0].update(villages=3, child_welfare_directors=1,
                               left_behind_children=100)
    data["items"].append({"id": "child_visits", "name_zh": "走访", "kind": "administrative",
                          "fund": "child", "driver": ["left_behind_children"], "rate": 2.0,
                          "distribution": "fixed", "mean_hours": 1.5, "priority": 4.0,
                          "counts_toward": "child_staff"})
    data["funds"]["child_welfare"] = 100_000.0
    result = allocate(Scenario.from_dict(data))
    assert _row(result, "fund[child,solo]")["binding"]
    staff = result.staffing.set_index("rule").loc["child-welfare-staff"]
    assert staff["purchased"] == pytest.approx(1.0, rel=1e-9)
    assert staff["shortfall"] == pytest.approx(1.0, rel=1e-9)
    assert result.status is AllocationStatus.RELAXED
    text = result.explanations.set_index("rule").loc["child-welfare-staff"]
    assert "1 posts short" in text["text_en"] and "10.0 万元" in text["text_en"]
    assert "尚缺 1 人" in text["text_zh"]
    _assert_caps_pass(result)


def test_lottery_fund_and_total_budget_bind() -> None:
    """The lottery fund tops up a binding relief cap; then a total budget binds."""
    result = allocate(hand_scenario(funds__lottery=50_000.0))
    assert _row(result, "fund[lottery]")["binding"]
    assert result.spend_cny == pytest.approx(350_000.0, rel=1e-9)
    funds = result.allocation.groupby("fund")["cost"].sum()
    assert funds["lottery"] == pytest.approx(50_000.0, rel=1e-9)
    assert funds["relief"] == pytest.approx(300_000.0, rel=1e-9)
    _assert_caps_pass(result)
    capped = allocate(hand_scenario(funds__lottery=50_000.0, funds__total_budget=250_000.0))
    assert _row(capped, "total-budget")["binding"]
    assert capped.spend_cny == pytest.approx(250_000.0, rel=1e-9)
    _assert_caps_pass(capped)


def test_prefecture_pooled_cap() -> None:
    data = copy.deepcopy(BASE)
    second = copy.deepcopy(data["counties"][0])
    second.update(id="duo", name_zh="二县", relief_fund_last_year=0.0)
    data["counties"].append(second)
    data["policy"]["cap_scope"] = "prefecture"
    result = allocate(Scenario.from_dict(data))
    assert _row(result, "relief-cap[prefecture]")["binding"]
    assert result.spend_cny == pytest.approx(300_000.0, rel=1e-9)
    assert set(result.allocation["county"]) == {"solo", "duo"}
    _assert_caps_pass(result)


def test_prohibited_items_get_no_variable(tiny: Scenario) -> None:
    model = build_model(tiny, estimates_from_scenario(tiny), 2025)
    assert not any(i == "benefit_approval" for (_, i, _) in model.w)
    result = allocate(tiny)
    assert "benefit_approval" not in set(result.allocation["item"])
    assert "benefit_approval" in set(result.unmet["item"])


# -- hard cases, options, errors ---------------------------------------------------------------

def test_impossible_staffing_yields_explanations(guangan: Scenario) -> None:
    scenario = guangan.with_overrides({"policy.relief_cap_share": 0.001})
    result = allocate(scenario)
    assert result.status is AllocationStatus.RELAXED
    short = result.staffing[(result.staffing["rule"] == "caseworker-ratio")
                            & (result.staffing["shortfall"] > 0)]
    assert len(short) == 6
    rows = result.explanations[result.explanations["rule"] == "caseworker-ratio"]
    assert set(rows["county"]) == set(short["county"])
    assert (rows["money_cny"] > 0).all()
    assert rows["text_en"].str.contains("posts short").all()
    assert rows["text_zh"].str.contains("万元").all()
    _assert_caps_pass(result)


def test_integer_posts_buy_whole_posts(tiny: Scenario) -> None:
    result = allocate(tiny, integer_posts=True)
    posts = result.allocation.groupby(["county", "item", "provider_type"])["fte"].sum()
    assert ((posts - posts.round()).abs() < 1e-6).all()
    assert not result.constraints["shadow_price"].isna().any()
    _assert_caps_pass(result)


def test_quantile_demand_needs_more(tiny: Scenario) -> None:
    mean = allocate(tiny, demand="mean")
    high = allocate(tiny, demand="quantile")
    assert high.unmet["cases_demand"].sum() > mean.unmet["cases_demand"].sum()


def test_poisson_quantile() -> None:
    assert poisson_quantile(3.0, 0.9) == 5
    assert poisson_quantile(0.0, 0.9) == 0
    assert 34_900 < poisson_quantile(34_900.0, 0.9) < 34_900 + 1.3 * 187 + 2


def test_unknown_solver_and_objective(tiny: Scenario) -> None:
    with pytest.raises(AllocationError, match="unknown solver"):
        allocate(tiny, solver="gurobi")
    with pytest.raises(AllocationError, match="unknown objective"):
        allocate(tiny, objective="max_profit")


def test_highs_missing_is_a_clear_error(tiny: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    import govsim.allocation.solve as solve

    monkeypatch.setattr(solve, "_highs_available", lambda: False)
    with pytest.raises(AllocationError, match="highspy"):
        allocate(tiny, solver="highs")


# -- Guang'an ------------------------------------------------------------------------------------

def test_guangan_tradeoff(guangan: Scenario) -> None:
    """default-scenario.md: 357 caseworkers needed against 249; closing the gap takes ~745 万元
    of the ~1,319 万元 cap; the cap binds in every county; the ratio is met or explained."""
    result = allocate(guangan)
    caps = result.constraints[result.constraints["rule"] == "relief-cap"]
    assert len(caps) == 6 and caps["binding"].all()
    assert (caps["shadow_price"] > 0).all()
    assert caps["limit"].sum() / 1e4 == pytest.approx(1319, abs=1)
    staff = result.staffing[result.staffing["rule"] == "caseworker-ratio"]
    assert staff["required"].sum() == 357 and staff["in_post"].sum() == 249
    # 2 per thousand recipients, rounded up to whole people (001 §(九)), at 69,000 CNY a post
    gap_money = sum((-(-2 * (c.dibao + c.tekun) // 1000) - c.public_caseworkers) * 69_000
                    for c in guangan.counties)
    assert gap_money / 1e4 == pytest.approx(745, abs=1)
    for row in staff.itertuples():
        met = row.shortfall == 0
        explained = ((result.explanations["county"] == row.county)
                     & (result.explanations["rule"] == "caseworker-ratio")).any()
        assert met or explained
    cap_notes = result.explanations[result.explanations["rule"] == "relief-cap"]
    assert len(cap_notes) == 6
    _assert_caps_pass(result)


def test_cbc_and_highs_agree(guangan: Scenario, tiny: Scenario) -> None:
    for scenario in (guangan, tiny, hand_scenario()):
        for objective in ("max_coverage", "min_cost"):
            cbc = allocate(scenario, objective=objective, solver="cbc")
            highs = allocate(scenario, objective=objective, solver="highs")
            assert cbc.objective_value == pytest.approx(highs.objective_value, rel=1e-6)
            caps = ["relief-cap" in n for n in cbc.constraints["name"]]
            assert cbc.constraints.loc[caps, "shadow_price"].to_numpy() == pytest.approx(
                highs.constraints.loc[caps, "shadow_price"].to_numpy(), rel=1e-5, abs=1e-9)
