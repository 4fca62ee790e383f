"""The mechanisms of ``[mechanisms]`` (issue 18): off changes nothing, on moves the intended
quantity the intended way, and every rule with a number is tested at its boundary.

"Today" is fixed by digests of the tiny and Guang'an results made before any mechanism existed
(``tests/mechanisms/today.py``, ``tests/fixtures/today_digests.json``).
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.compliance import check_compliance
from govsim.errors import ScenarioError
from govsim.mechanisms.eligibility import named_eligible, record_allows
from govsim.mechanisms.prices import (
    VILLAGE_ASSISTANT,
    VOLUNTEER,
    first_year_share,
    market_share,
    provider_price,
)
from govsim.policy import RULES
from govsim.scenario import Scenario
from govsim.scenario.mechanisms import Mechanisms
from govsim.sim import simulate_year
from govsim.sim.draw import PoolDraw
from govsim.sim.engine import run_pool
from govsim.sim.mechanisms import YearMechanisms, logit_shares, paid_share
from govsim.sim.spec import Slot
from tests.mechanisms.today import FIXTURE, digests

SEED = 11


def _on(scenario: Scenario, **overrides: object) -> Scenario:
    return scenario.with_overrides({f"mechanisms.{k}": v for k, v in overrides.items()})


def _capacities(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["county", "item", "provider_type", "fte"])


def _mechanisms(result: govsim.sim.YearResult, mechanism: str) -> pd.DataFrame:
    table = result.mechanisms
    return table[table["mechanism"] == mechanism]


def _value(table: pd.DataFrame, **where: str) -> float:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    picked = table[mask]
    assert len(picked) == 1, where
    return float(picked["value"].iloc[0])


# -- the section: validation and identity --------------------------------------------------

def test_unknown_item_ids_are_errors_with_their_field_path(tiny: Scenario) -> None:
    with pytest.raises(ScenarioError) as caught:
        _on(tiny, **{"vouchers.enabled": True, "vouchers.items": ["care", "carre"],
                     "volunteers.items": ["benefit_approval"],
                     "eligibility.barred_providers": ["nobody"],
                     "title_tiers.mix": [{"id": "charity", "assistant": 1.0}]})
    problems = {p.path: p for p in caught.value.problems}
    assert "did you mean 'care'" in problems["mechanisms.vouchers.items[1]"].message
    assert problems["mechanisms.volunteers.items[0]"].rule == "prohibited-items"
    assert "mechanisms.eligibility.barred_providers[0]" in problems
    assert "mechanisms.title_tiers.mix[0].id" in problems


def test_an_enabled_mechanism_needs_its_items(tiny: Scenario) -> None:
    with pytest.raises(ScenarioError, match="at least one item"):
        _on(tiny, **{"village_assistants.enabled": True})


def test_switched_off_mechanisms_keep_the_content_hash(tiny: Scenario) -> None:
    assert "mechanisms" not in tiny.to_dict()
    off = _on(tiny, **{"lead_time.enabled": False, "vouchers.enabled": False})
    assert off.content_hash() == tiny.content_hash()
    assert _on(tiny, **{"lead_time.enabled": True}).content_hash() != tiny.content_hash()


def test_every_mechanism_off_reproduces_today() -> None:
    """Tables of a tiny run and the Guang'an allocation, bit for bit."""
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = digests(("tiny",), allocation=True)
    assert got == {k: v for k, v in want.items() if not k.startswith("guangan/")}


@pytest.mark.slow
def test_every_mechanism_off_reproduces_todays_guangan_run() -> None:
    """Tables of a Guang'an run (a year, two replications), bit for bit (about 30 s)."""
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = digests(("guangan",), allocation=False)
    assert got == {k: v for k, v in want.items() if k.startswith("guangan/")}


#: Each mechanism switched off with every other setting changed: still today.
OFF_WITH_SETTINGS = {
    "vouchers": {"enabled": False, "items": ["care"], "providers": 2, "quality_weight": 50.0},
    "volunteers": {"enabled": False, "items": ["care"], "per_social_worker": 30.0},
    "village_assistants": {"enabled": False, "items": ["screening"], "subsidy_per_year": 1.0,
                           "counts_toward_relief_cap": True},
    "payment_by_assessment": {"enabled": False, "withheld_share": 0.9, "survey_sample": 1},
    "lead_time": {"enabled": False, "months": 9.0},
    "eligibility": {"enabled": False, "unnamed_eligible_share": 0.0, "min_rating": "5A"},
    "title_tiers": {"enabled": False, "wage_index": 3.0,
                    "mix": [{"id": "social_org", "intermediate": 1.0}]},
}


@pytest.mark.parametrize("name", sorted(OFF_WITH_SETTINGS))
def test_each_mechanism_off_reproduces_today(name: str) -> None:
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = digests(("tiny",), allocation=False, **{name: OFF_WITH_SETTINGS[name]})
    assert got == {k: v for k, v in want.items() if k.startswith("tiny/")}


# -- vouchers --------------------------------------------------------------------------------

def test_logit_shares() -> None:
    shares = logit_shares([10 * 0.82, 10 * 0.74])
    assert shares.sum() == pytest.approx(1.0)
    assert shares[0] / shares[1] == pytest.approx(math.exp(0.8))
    assert logit_shares([0.0, 0.0, 0.0]) == pytest.approx([1 / 3] * 3)
    assert logit_shares([1000.0, 0.0])[0] == pytest.approx(1.0)  # stable for large utilities


def _voucher_year(tiny: Scenario, quality_weight: float, wait_weight: float = 0.1
                  ) -> govsim.sim.YearResult:
    scenario = _on(tiny, **{"vouchers.enabled": True, "vouchers.items": ["care"],
                            "vouchers.quality_weight": quality_weight,
                            "vouchers.wait_weight_per_day": wait_weight})
    capacities = _capacities([("west", "care", "social_org", 2.0)])
    result, _ = simulate_year(scenario, 2025, capacities, None, SEED)
    return result


@pytest.mark.parametrize("quality_weight", [2.0, 10.0, 40.0])
def test_vouchers_move_cases_toward_the_better_provider(tiny: Scenario,
                                                        quality_weight: float) -> None:
    """West's 2 FTE of care are split over its two provider types (social organisations 0.82,
    enterprises 0.74); recipients choose the better one more often, the more so the more
    quality weighs, and never with no weight on quality."""
    vouchers = _mechanisms(_voucher_year(tiny, quality_weight), "vouchers")
    p_social = _value(vouchers, provider_type="social_org", measure="choice_probability")
    p_enterprise = _value(vouchers, provider_type="enterprise", measure="choice_probability")
    assert p_social > p_enterprise
    assert p_social == pytest.approx(1 / (1 + math.exp(-quality_weight * 0.08)))
    chose = {p: _value(vouchers, provider_type=p, measure="cases_choosing")
             for p in ("social_org", "enterprise")}
    assert chose["social_org"] > chose["enterprise"]
    neutral = _mechanisms(_voucher_year(tiny, 0.0), "vouchers")
    assert _value(neutral, provider_type="social_org", measure="choice_probability") == 0.5


def test_voucher_money_follows_served_cases(tiny: Scenario) -> None:
    result = _voucher_year(tiny, 10.0)
    vouchers = _mechanisms(result, "vouchers")
    face = _value(vouchers, provider_type="", measure="face_value_cny")
    budget = _value(vouchers, provider_type="", measure="budget_cny")
    assert budget == 2.0 * 69_000.0
    assert face == pytest.approx(budget / (2.0 * 1470.0) * 2.0)  # mean hours 2 per case
    redeemed = 0.0
    for p in ("social_org", "enterprise"):
        cases = _value(vouchers, provider_type=p, measure="redemptions")
        money = _value(vouchers, provider_type=p, measure="redeemed_cny")
        assert money == pytest.approx(cases * face)
        redeemed += money
    kpi = result.kpis.set_index(["county", "item"]).loc[("west", "care")]
    assert kpi["cost"] == pytest.approx(redeemed)
    assert kpi["served"] == sum(_value(vouchers, provider_type=p, measure="redemptions")
                                for p in ("social_org", "enterprise"))


def test_a_voucher_pool_with_one_option_is_the_plain_pool(tiny: Scenario) -> None:
    """The split-and-merge path gives exactly the plain pool's year when every case goes to
    one option (the merged log is summarised by the same code)."""
    scenario = _on(tiny, **{"vouchers.enabled": True, "vouchers.items": ["care"]})
    county, item = scenario.county("east"), scenario.item("care")
    slots = (Slot("a", "contract", 1.5, 0.8), Slot("b", "contract", 1.0, 0.7, end_hours=900.0))
    draw = PoolDraw(seed=SEED, year=2025, replication=0, county="east", item="care",
                    monthly_cases=govsim.demand.monthly_cases(scenario, county, item, 2025),
                    arrival_hours=None, hours_per_year=1960.0, efficiency=0.75,
                    distribution="lognormal", mean_hours=2.0, service_cv=0.7,
                    patience_hours=320.0, target_wait_hours=80.0, penalty_per_hour=0.01 / 8,
                    carried_ages=np.array([30.0, 10.0]), slots=slots)
    mech = YearMechanisms.start(scenario, 2025, SEED, 0, None)
    assert mech is not None
    merged = mech.run_voucher_pool(draw, ["social_org", "social_org"], "compiled")
    plain = run_pool(draw.spec(), "compiled")
    for field in ("arrivals", "served", "abandoned", "wait_mean_hours", "wait_p90_hours",
                  "satisfaction", "utilisation", "queue_mean", "slots"):
        assert getattr(merged, field) == getattr(plain, field), field
    assert np.array_equal(merged.backlog_ages, plain.backlog_ages)


def test_vouchers_show_in_the_run_tables_and_compliance(tiny: Scenario) -> None:
    scenario = _on(tiny, **{"vouchers.enabled": True, "vouchers.items": ["care"]})
    result = govsim.run(scenario, years=1, replications=2, workers=1)
    table = result.tables.mechanisms
    shares = table[(table["mechanism"] == "vouchers") & (table["measure"] == "redemption_share")]
    assert len(shares) and (shares["replications"] == 2).all()
    rows = result.tables.compliance[result.tables.compliance["rule"] == "vouchers"]
    assert len(rows) and set(rows["status"]) <= {"pass", "fail"}
    assert (rows["unit"] == "CNY").all() and (rows["limit"] > 0).all()


# -- volunteers --------------------------------------------------------------------------------

def test_volunteer_capacity_and_subsidy(tiny: Scenario) -> None:
    scenario = _on(tiny, **{"volunteers.enabled": True, "volunteers.items": ["screening"]})
    assert provider_price(scenario, "social_org") == 69_000.0 + 10 * 40 * 15
    assert provider_price(scenario, "enterprise") == 66_000.0  # not a social organisation
    capacities = _capacities([("west", "care", "social_org", 3.0),
                              ("west", "screening", "enterprise", 1.0)])
    result, _ = simulate_year(scenario, 2025, capacities, None, SEED)
    volunteers = _mechanisms(result, "volunteers")
    assert _value(volunteers, county="west", measure="volunteers_linked") == 30.0
    assert _value(volunteers, county="west", item="screening", measure="volunteer_fte") == \
        pytest.approx(3.0 * 10 * 40 * 0.5 / 1470.0)
    assert _value(volunteers, county="west", measure="subsidy_cny") == 3.0 * 10 * 40 * 15


def test_more_volunteers_never_lengthen_waits(tiny: Scenario) -> None:
    """Common random numbers, one pool of screening (no abandonment): each added volunteer
    slot can only start cases earlier."""
    capacities = _capacities([("east", "care", "social_org", 4.0),
                              ("east", "screening", "enterprise", 1.0)])
    waits, backlog = [], []
    for per_worker in (0.0, 5.0, 10.0, 20.0, 40.0):
        scenario = _on(tiny, **{"volunteers.enabled": True, "volunteers.items": ["screening"],
                                "volunteers.per_social_worker": per_worker})
        result, _ = simulate_year(scenario, 2025, capacities, None, SEED)
        kpi = result.kpis.set_index(["county", "item"]).loc[("east", "screening")]
        waits.append(kpi["wait_mean_days"])
        backlog.append(kpi["backlog"])
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(waits)), waits
    assert all(b <= a for a, b in itertools.pairwise(backlog)), backlog
    assert waits[-1] < waits[0]


def test_volunteers_add_hours_in_the_plan(tiny: Scenario) -> None:
    without = govsim.allocate(_on(tiny, **{"volunteers.items": ["care"]}))
    scenario = _on(tiny, **{"volunteers.enabled": True, "volunteers.items": ["care"]})
    plan = govsim.allocate(scenario)
    rows = plan.allocation[plan.allocation["provider_type"] == VOLUNTEER]
    assert len(rows) and (rows["cost"] == 0).all() and (rows["fte"] > 0).all()
    social = plan.allocation[plan.allocation["provider_type"] == "social_org"]
    ceiling = 0.85 * 10 * 40 * 0.5 * social.groupby("county")["fte"].sum()
    hours = rows.groupby("county")["fte"].sum() * 0.85 * 1470.0
    assert (hours <= ceiling.reindex(hours.index) + 1e-6).all()
    served = plan.unmet.set_index(["county", "item"])["hours_served"]
    before = without.unmet.set_index(["county", "item"])["hours_served"]
    assert served.sum() >= before.sum() - 1e-6


@pytest.mark.parametrize(("per_worker", "status"), [(10.0, "pass"), (9.99, "fail"),
                                                   (12.0, "pass")])
def test_volunteer_link_at_its_boundary(tiny: Scenario, per_worker: float, status: str) -> None:
    scenario = _on(tiny, **{"volunteers.enabled": True, "volunteers.items": ["care"],
                            "volunteers.per_social_worker": per_worker})
    allocation = pd.DataFrame([{"year": 2025, "county": "east", "item": "care",
                                "provider_type": "social_org", "fte": 2.0, "cost": 150_000.0}])
    rows = check_compliance(scenario, allocation)
    row = rows[rows["rule"] == "volunteer-link"].iloc[0]
    assert (row["status"], row["value"], row["limit"]) == (status, per_worker, 10)


# -- village assistants ----------------------------------------------------------------------

def _assistants(tiny: Scenario, counts: bool) -> govsim.allocation.AllocationResult:
    """Five times tiny's screening: more than its purchased caseworkers can do."""
    busy = tiny.with_overrides({"items.screening.rate": 5.0})
    return govsim.allocate(_on(busy, **{
        "village_assistants.enabled": True, "village_assistants.items": ["screening"],
        "village_assistants.counts_toward_relief_cap": counts}))


def test_village_assistants_carry_listed_items_outside_the_cap(tiny: Scenario) -> None:
    plan = _assistants(tiny, counts=False)
    rows = plan.allocation[plan.allocation["provider_type"] == VILLAGE_ASSISTANT]
    assert len(rows) and set(rows["item"]) == {"screening"}
    for county, people in rows.groupby("county")["persons"].sum().items():
        assert people <= tiny.county(county).villages + 1e-9
        assert people == pytest.approx(round(people))  # whole people with whole posts
    assert rows["cost"].sum() == pytest.approx(rows["persons"].sum() * 3600.0)
    cap = plan.compliance[plan.compliance["rule"] == "relief-cap"].set_index("scope")["value"]
    relief = plan.allocation[(plan.allocation["item"].isin(["screening", "care"]))
                             & (plan.allocation["provider_type"] != VILLAGE_ASSISTANT)]
    assert cap.sum() == pytest.approx(relief["cost"].sum())
    assistants = plan.compliance[plan.compliance["rule"] == "village-assistants"]
    assert (assistants["status"] == "pass").all() and "费随事转" in assistants["detail"].iloc[0]


def test_village_assistants_count_toward_the_cap_when_told(tiny: Scenario) -> None:
    plan = _assistants(tiny, counts=True)
    cap = plan.compliance[plan.compliance["rule"] == "relief-cap"]
    assert (cap["status"] == "pass").all()
    relief = plan.allocation[plan.allocation["item"].isin(["screening", "care"])]
    assert cap["value"].sum() == pytest.approx(relief["cost"].sum())


@pytest.mark.parametrize(("people", "status"), [(60.0, "pass"), (61.0, "fail")])
def test_assistants_at_one_per_village(tiny: Scenario, people: float, status: str) -> None:
    scenario = _on(tiny, **{"village_assistants.enabled": True,
                            "village_assistants.items": ["screening"]})
    allocation = pd.DataFrame([{"year": 2025, "county": "east", "item": "screening",
                                "provider_type": VILLAGE_ASSISTANT, "fte": 1.0,
                                "persons": people, "cost": people * 3600.0}])
    rows = check_compliance(scenario, allocation)
    row = rows[rows["rule"] == "village-assistants"].iloc[0]
    assert (row["status"], row["limit"]) == (status, 60.0)


# -- payment by assessment ---------------------------------------------------------------------

def test_paid_share_at_its_boundaries() -> None:
    assert paid_share(0.6, 0.6, 0.9) == pytest.approx(0.6 / 0.9)  # exactly the pass mark
    assert paid_share(0.6 - 1e-12, 0.6, 0.9) == 0.0
    assert paid_share(0.9, 0.6, 0.9) == 1.0
    assert paid_share(0.99, 0.6, 0.9) == 1.0
    assert paid_share(math.nan, 0.6, 0.9) == 0.0


def test_surveyed_satisfaction_is_noisy_around_the_truth(tiny: Scenario) -> None:
    """30 respondents with sd 0.15: the survey's mean is unbiased with sd 0.15/√30, so a
    provider just above a mark is sometimes seen below it, and one just below above it."""
    scenario = _on(tiny, **{"payment_by_assessment.enabled": True})
    seen = []
    for replication in range(400):
        mech = YearMechanisms.start(scenario, 2025, SEED, replication, None)
        assert mech is not None
        seen.append(mech.observed(("east", "care", "social_org"), 0.7, 500))
    seen = np.array(seen)
    sd = 0.15 / math.sqrt(30)
    assert abs(seen.mean() - 0.7) < 3 * sd / math.sqrt(400)
    assert 0.8 * sd < seen.std() < 1.2 * sd
    assert (seen < 0.7 - 0.03).any() and (seen > 0.7 + 0.03).any()
    mech = YearMechanisms.start(scenario, 2025, SEED, 0, None)
    assert mech.observed(("east", "care", "social_org"), 0.7, 0) == 0.7  # nobody to ask


def test_withheld_money_is_paid_by_the_score(tiny: Scenario) -> None:
    scenario = _on(tiny, **{"payment_by_assessment.enabled": True})
    mech = YearMechanisms.start(scenario, 2025, SEED, 0, None)
    key = ("east", "care", "social_org")
    assert mech.contract_cost(key, 100_000.0, 0.95, False, 0.0) == pytest.approx(100_000.0)
    assert mech.contract_cost(key, 100_000.0, 0.45, False, 0.0) == pytest.approx(80_000.0)
    assert mech.contract_cost(key, 100_000.0, 0.95, True, 0.0) == pytest.approx(80_000.0)
    assert mech.contract_cost(key, 100_000.0, 0.72, False, 0.0) == \
        pytest.approx(80_000.0 + 20_000.0 * 0.72 / 0.9)


def test_payment_changes_money_not_service(tiny: Scenario) -> None:
    capacities = _capacities([("west", "care", "social_org", 2.0)])
    base, _ = simulate_year(tiny, 2025, capacities, None, SEED)
    paid, _ = simulate_year(_on(tiny, **{"payment_by_assessment.enabled": True}), 2025,
                            capacities, None, SEED)
    columns = ["arrivals", "served", "wait_mean_days", "backlog"]
    pd.testing.assert_frame_equal(base.kpis[columns], paid.kpis[columns])
    assert paid.kpis["cost"].sum() <= base.kpis["cost"].sum() + 1e-9
    withheld = _mechanisms(paid, "payment_by_assessment")
    assert (withheld[withheld["measure"] == "withheld_cny"]["value"] > 0).all()


# -- lead time ---------------------------------------------------------------------------------

def test_a_longer_lead_time_never_shortens_waits(tiny: Scenario) -> None:
    """West buys care new (no contract before): its workers join later, public staff carry the
    interim, waits grow and the contract is paid for fewer months. East's incumbent is a
    renewal and starts on day 0."""
    capacities = _capacities([("west", "care", "enterprise", 3.0),
                              ("east", "care", "social_org", 3.0)])
    waits, costs = [], []
    for months in (0.0, 1.0, 3.0, 6.0, 9.0):
        scenario = _on(tiny, **{"lead_time.enabled": True, "lead_time.months": months})
        result, _ = simulate_year(scenario, 2025, capacities, None, SEED)
        kpi = result.kpis.set_index(["county", "item"])
        waits.append(kpi.loc[("west", "care"), "wait_mean_days"])
        costs.append(kpi.loc[("west", "care"), "cost"])
        delayed = _mechanisms(result, "lead_time")
        assert set(delayed["county"]) <= {"west"}
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(waits)), waits
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(costs)), costs
    assert waits[-1] > waits[0]


def test_the_plan_pays_only_the_months_delivered(tiny: Scenario) -> None:
    scenario = _on(tiny, **{"lead_time.enabled": True, "lead_time.months": 3.0})
    assert first_year_share(scenario) == 0.75
    plan = govsim.allocate(scenario)
    for row in plan.allocation.itertuples():
        if row.provider_type not in ("social_org", "enterprise"):
            continue
        price = provider_price(scenario, row.provider_type)
        incumbent = (row.county, row.item, row.provider_type) == ("east", "care", "social_org")
        share = 1.0 if row.basis == "continuing" or incumbent else 0.75
        assert row.cost == pytest.approx(row.fte * price * share), row


# -- eligibility -------------------------------------------------------------------------------

@pytest.mark.parametrize("enabled", [False, True])
@pytest.mark.parametrize(("age", "rating", "eligible"), [
    (3.0, "none", True), (3.01, "none", False), (3.01, "3A", True), (3.01, "2A", False),
    (10.0, "5A", True)])
def test_the_three_year_3a_rule_at_its_boundary(tiny: Scenario, enabled: bool, age: float,
                                                rating: str, eligible: bool) -> None:
    scenario = _on(tiny, **{"eligibility.enabled": enabled})
    provider = govsim.scenario.Provider(id="p", type="social_org", counties=("east",),
                                        capacity_fte=5.0, rating=rating, age_years=age)
    assert named_eligible(scenario, provider, True) is eligible
    assert named_eligible(scenario, provider, False) is True  # the rule is for social orgs


def test_record_rating_and_unnamed_share(tiny: Scenario) -> None:
    scenario = _on(tiny, **{"eligibility.enabled": True, "eligibility.min_rating": "4A",
                            "eligibility.unnamed_eligible_share": 0.4})
    provider = govsim.scenario.Provider(id="p", type="social_org", counties=("east",),
                                        capacity_fte=5.0, rating="3A", age_years=5.0)
    assert not named_eligible(scenario, provider, True)
    assert record_allows(scenario, ((2024, 0.6),))  # exactly the pass mark is qualified
    assert not record_allows(scenario, ((2023, 0.9), (2024, 0.59)))
    assert record_allows(tiny, ((2024, 0.0),))  # off: only the bar keeps it out
    assert market_share(scenario, "social_org") == 0.4
    assert market_share(scenario, "enterprise") == 1.0
    plan = govsim.allocate(scenario)
    social = plan.allocation[(plan.allocation["provider_type"] == "social_org")
                             & (plan.allocation["basis"] == "new")]
    for county, fte in social.groupby("county")["fte"].sum().items():
        assert fte <= 0.4 * tiny.county(county).market["social_org"] + 1e-9


# -- title tiers -------------------------------------------------------------------------------

def test_title_tier_prices(tiny: Scenario) -> None:
    assistant = _on(tiny, **{"title_tiers.enabled": True, "title_tiers.overhead": 0.0,
                             "title_tiers.mix": [{"id": "social_org", "assistant": 1.0}]})
    assert provider_price(assistant, "social_org") == 60_000.0
    assert provider_price(assistant, "enterprise") == 66_000.0  # no mix: its own price
    mixed = _on(tiny, **{"title_tiers.enabled": True, "title_tiers.wage_index": 1.5,
                         "title_tiers.mix": [{"id": "social_org", "unqualified": 3,
                                              "assistant": 6, "intermediate": 1}]})
    expected = (0.3 * 40_000 + 0.6 * 60_000 + 0.1 * 99_000) * 1.5 * 1.15
    assert provider_price(mixed, "social_org") == pytest.approx(expected)
    plan = govsim.allocate(mixed)
    new = plan.allocation[(plan.allocation["provider_type"] == "social_org")
                          & (plan.allocation["basis"] == "new")]
    assert len(new) and np.allclose(new["cost"], new["fte"] * expected)


# -- rules, compliance, catalogue --------------------------------------------------------------

#: The mechanisms table of shared/policy-rules.md.
POLICY_MECHANISMS = {"annual-cycle", "procurement-methods", "not-lowest-price", "assessment",
                     "exit-takeover", "posts-vs-projects", "vouchers", "funding-sources",
                     "dynamic-matching", "levels"}


def test_every_mechanism_of_the_documents_says_where_it_is_modelled() -> None:
    assert set(RULES) >= POLICY_MECHANISMS
    fields = set(Mechanisms.model_fields)
    for rule in RULES.values():
        assert rule.modelled in {"allocation", "simulation", "both", "input check",
                                 "not modelled"}, rule.id
        assert rule.how, rule.id
        assert rule.mechanism is None or rule.mechanism in fields, rule.id


def test_compliance_shows_every_rule_with_where(tiny: Scenario) -> None:
    plan = govsim.allocate(tiny)
    compliance = plan.compliance
    assert set(compliance["rule"]) == set(RULES)
    mechanisms = compliance[compliance["rule"].isin(POLICY_MECHANISMS - {"funding-sources"})]
    assert mechanisms["detail"].str.contains("modelled: ").all()
    vouchers = compliance[compliance["rule"] == "vouchers"]["detail"].iloc[0]
    assert "[mechanisms.vouchers] is off" in vouchers


def test_guangan_child_catalogue_is_complete(guangan: Scenario) -> None:
    """000 §(六): administrative and service items for children and youth."""
    child = {i.id for i in guangan.items if i.fund == "child" and i.is_purchasable}
    assert {"child_visits", "child_publicity", "child_policy_research", "child_it",
            "child_evaluation", "child_guidance", "child_care", "youth_relationships",
            "youth_employment", "child_social_integration", "child_rights",
            "delinquency_prevention"} <= child
