"""Money needed (``govsim.budget``): a hand-solved instance, the gap's meaning, monotonicity,
an independent check from the allocation tables, cells money cannot reach. (The command is
tested in ``tests/cli/test_budget.py``, the run's table in ``tests/pipeline/test_money_needed.py``.)

The hand-solved instance: one county, one relief-funded service bought from one provider type
at 60,000 CNY per FTE-year, 1,470 productive hours × ρ 0.8 = 1,176 hours per FTE, no failures.
Need: 2,940 cases × 4 hours = 11,760 hours; the 90 % target is 10,584 hours = 9 FTE =
540,000 CNY. Cap: 3 % × 10,000,000 = 300,000 CNY, so the gap is 240,000 CNY; the capped plan
buys 5 FTE = 5,880 hours and leaves 10,584 − 5,880 = 4,704 hours (1,176 cases) unserved.
"""

from __future__ import annotations

import pytest

import govsim
from govsim.allocation import allocate
from govsim.budget import MONEY_NEEDED_COLUMNS, PREFECTURE, money_needed
from govsim.errors import RunError
from tests.budget.hand import hand


def test_hand_solved_instance() -> None:
    table = money_needed(hand()).table
    assert list(table.columns) == MONEY_NEEDED_COLUMNS
    assert list(table["county"]) == ["solo", PREFECTURE]
    for row in table.itertuples(index=False):
        assert row.year == 2025
        assert row.need_cny == 540_000
        assert row.cap_cny == 300_000
        assert row.gap_cny == 240_000
        assert row.unserved_hours == pytest.approx(4_704.0)
        assert row.unserved_cases == pytest.approx(1_176.0)
        assert row.unserved_items == "care"
        assert row.staff_short == 0
    assert table["need_cny_p10"].isna().all()  # no --uncertainty: missing, never 0


def test_hand_solved_coverage_target_and_staffing() -> None:
    # a 50 % target: 5,880 hours = 5 FTE = 300,000 CNY, exactly the cap
    table = money_needed(hand(), coverage_target=0.5).table
    assert table["need_cny"].tolist() == [300_000, 300_000]
    assert table["gap_cny"].tolist() == [0, 0]
    assert table["unserved_hours"].tolist() == [0.0, 0.0]
    # 2 ‰ of 2,000 recipients is 4 caseworkers, 2 in post: the care item does not count
    # toward the rule, so nothing bought closes it — people short, whatever the money
    short = money_needed(hand(**{"counties.solo.dibao": 2_000})).table
    assert short["staff_short"].tolist() == [2.0, 2.0]
    assert short["gap_cny"].tolist() == [240_000, 240_000]
    none = money_needed(hand(**{"counties.solo.dibao": 2_000,
                                "counties.solo.public_caseworkers": 0})).table
    assert none["staff_short"].tolist() == [4.0, 4.0]


@pytest.mark.parametrize("base, gap", [
    (18_000_000.0, 0),            # cap 540,000 CNY = need: met exactly
    (17_999_966.67, 1),           # cap 539,999 CNY: a yuan short, 0.02 hours unserved
    (30_000_000.0, 0),
    (10_000_000.0, 240_000),
])
def test_gap_is_zero_exactly_when_the_capped_plan_meets_the_target(base: float,
                                                                    gap: int) -> None:
    row = money_needed(hand(**{"counties.solo.relief_fund_last_year": base})).table.iloc[0]
    assert row["gap_cny"] == gap
    met = row["unserved_hours"] == 0 and row["staff_short"] == 0
    assert met == (gap == 0)


def test_need_is_monotone_in_the_coverage_target(tiny: govsim.Scenario) -> None:
    needs = [money_needed(tiny, 1, coverage_target=t).table.iloc[-1]["need_cny"]
             for t in (0.3, 0.6, 0.9, 1.0)]
    assert needs == sorted(needs) and needs[0] < needs[-1]


def test_need_is_monotone_in_demand(tiny: govsim.Scenario) -> None:
    needs = []
    for factor in (0.8, 1.0, 1.25):
        overrides = {f"items.{i.id}.rate": i.rate * factor for i in tiny.items}
        needs.append(money_needed(tiny.with_overrides(overrides), 1).table.iloc[-1]["need_cny"])
    assert needs == sorted(needs) and needs[0] < needs[-1]
    assert needs[1] == money_needed(tiny, 1).table.iloc[-1]["need_cny"]


def test_need_and_cap_from_the_allocation_tables(tiny: govsim.Scenario) -> None:
    """need_cny and cap_cny recomputed from allocate()'s own tables, not the budget module."""
    table = money_needed(tiny).table
    for year in (2025, 2026):
        plan = allocate(tiny, year=year, objective="min_cost", integer_posts=False)
        spend = plan.allocation.groupby("county")["cost"].sum()
        capped = allocate(tiny, year=year, integer_posts=False)
        relief = capped.compliance[(capped.compliance["rule"] == "relief-cap")
                                   & (capped.compliance["year"] == year)].set_index("scope")
        children = {c.id: c.left_behind_children + c.children_in_difficulty
                    for c in tiny.counties}
        rows = table[table["year"] == year].set_index("county")
        for county in ("east", "west"):
            assert rows.loc[county, "need_cny"] == round(spend[county])
            child = tiny.funds.child_welfare * children[county] / sum(children.values())
            assert rows.loc[county, "cap_cny"] == round(relief.loc[county, "limit"] + child)
            assert rows.loc[county, "gap_cny"] == max(0, rows.loc[county, "need_cny"]
                                                      - rows.loc[county, "cap_cny"])
            short = capped.staffing[capped.staffing["county"] == county]["shortfall"].sum()
            assert rows.loc[county, "staff_short"] == pytest.approx(short, abs=0.005)
        assert rows.loc[PREFECTURE, "need_cny"] == round(spend.sum())
        assert rows.loc[PREFECTURE, "cap_cny"] == round(
            relief["limit"].sum() + tiny.funds.child_welfare + tiny.funds.lottery)


def test_pooled_cap_leaves_county_caps_missing(tiny: govsim.Scenario) -> None:
    table = money_needed(tiny.with_overrides({"policy.cap_scope": "prefecture"}), 1).table
    counties = table[table["county"] != PREFECTURE]
    assert counties["cap_cny"].isna().all() and counties["gap_cny"].isna().all()
    assert table.iloc[-1]["cap_cny"] > 0  # the prefecture still has its cap


def test_bad_coverage_target_is_refused(tiny: govsim.Scenario) -> None:
    with pytest.raises(RunError, match="coverage-target"):
        money_needed(tiny, coverage_target=1.5)


def test_money_needed_stops_where_the_market_does() -> None:
    # providers can field 5 FTE = 5,880 hours: the need plan buys them (300,000 CNY) and
    # names the 10,584 − 5,880 = 4,704 hours it cannot reach
    result = money_needed(hand(**{"counties.solo.market": {"social_org": 5}}))
    assert result.table["need_cny"].tolist() == [300_000, 300_000]
    assert result.table["gap_cny"].tolist() == [0, 0]
    assert result.table["unserved_hours"].tolist() == [pytest.approx(4_704.0)] * 2
    [(year, county, item, hours)] = result.unattainable
    assert (year, county, item) == (2025, "solo", "care") and hours == pytest.approx(4_704.0)
    assert money_needed(hand()).unattainable == []
