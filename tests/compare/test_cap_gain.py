"""What one more 万元 of relief cap buys (``cap_range``'s ``gain_per_wan``), and where the cap's
shadow price says the same: the dual holds the earlier goals, the gain re-solves them."""

from __future__ import annotations

import pytest

import govsim
from govsim.allocation import allocate
from govsim.compare import cap_range
from govsim.compare.marginal import MARGIN_WAN
from govsim.policy import WAN


def test_the_gain_is_the_objective_gained_by_ten_more_wan_of_cap() -> None:
    tiny = govsim.load_scenario("tiny")
    funds = sum(c.relief_fund_last_year for c in tiny.counties)
    share = 0.03
    table = cap_range(tiny, [share, share + MARGIN_WAN * WAN / funds])
    need = table["objective_value"]
    assert table["gain_per_wan"].iloc[0] == pytest.approx(
        (need.iloc[1] - need.iloc[0]) / MARGIN_WAN, rel=1e-9)
    assert table["gain_per_wan"].iloc[0] > 0  # the tiny scenario's caps bind at 3 %


def test_more_cap_buys_nothing_where_no_cap_binds() -> None:
    row = cap_range(govsim.load_scenario("tiny"), [0.1]).iloc[0]
    assert row["binding_scopes"] == 0
    assert row["gain_per_wan"] == 0 and row["shadow_price_per_wan"] == 0


def _need_met(scenario: govsim.Scenario) -> dict[str, float]:
    goals = allocate(scenario, integer_posts=False).goals.set_index("goal")["value"]
    return {k: float(goals[k]) for k in ("statutory", "floors", "need")}


@pytest.mark.parametrize("county, earlier_goal_moves", [
    ("yuechi", False),    # floors and statutory work met: the dual is what money buys
    ("qianfeng", True),   # its first 万元 close floors: the dual says far more than money buys
])
def test_the_shadow_price_is_what_money_buys_only_where_no_earlier_goal_takes_it(
        guangan: govsim.Scenario, county: str, earlier_goal_moves: bool) -> None:
    share = 0.04
    base = guangan.with_overrides({"policy.relief_cap_share": share})
    plan = allocate(base, integer_posts=False)
    caps = plan.constraints[plan.constraints["rule"] == "relief-cap"].set_index("scope")
    dual = float(caps.loc[county, "shadow_price_per_10k_cny"])
    ids = [c.id for c in base.counties]
    k = ids.index(county)
    more = base.with_overrides({  # the county's cap 10 万元 higher
        f"counties.{k}.relief_fund_last_year":
            base.counties[k].relief_fund_last_year + MARGIN_WAN * WAN / share})
    before, after = _need_met(base), _need_met(more)
    bought = (after["need"] - before["need"]) / MARGIN_WAN
    moved = abs(after["floors"] - before["floors"]) + abs(after["statutory"] - before["statutory"])
    if earlier_goal_moves:
        assert moved > 1.0 and bought < dual / 5
    else:
        assert moved < 1e-6 and bought == pytest.approx(dual, rel=1e-6)
