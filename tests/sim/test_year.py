"""One simulated year (govsim.sim.year): purity, common random numbers, extreme values, the
year-end assessment.

- ``simulate_year`` is pure apart from its random stream: the state and the purchase table it is
  given are unchanged, and a trial run from a state repeats exactly (the pipeline's trial runs
  and its adopted run share it).
- Options are compared on common random numbers: two staffing options see the same arrivals in
  every (year, replication, county, item).
- Extreme values: with nobody at work nothing is served, nothing is paid, and cases that never
  abandon all wait into the backlog.
- The assessment pass mark: a score exactly at the mark passes, one just above fails.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.sim import simulate, simulate_year

KEYS = ["year", "replication", "county", "item"]


@pytest.fixture(scope="module")
def small() -> govsim.Scenario:
    """The tiny scenario with a tenth of its demand: a few hundred cases a year."""
    tiny = govsim.load_scenario("tiny")
    return tiny.with_overrides({f"items.{i.id}.rate": i.rate / 10 for i in tiny.items})


def _purchase(fte: float) -> pd.DataFrame:
    return pd.DataFrame({"county": ["east", "west", "east"], "item": ["care", "care", "screening"],
                         "provider_type": ["social_org", "enterprise", "social_org"],
                         "fte": [fte, fte / 2, fte / 4]})


def _state_snapshot(state: object) -> dict[str, object]:
    """A deep, comparable copy of a State (numpy arrays as lists)."""
    out = {}
    for name, value in vars(state).items():
        if isinstance(value, dict):
            value = {k: v.tolist() if isinstance(v, np.ndarray) else copy.deepcopy(v)
                     for k, v in value.items()}
        out[name] = value
    return out


def test_simulate_year_leaves_its_inputs_unchanged_and_repeats(small: govsim.Scenario) -> None:
    purchase = _purchase(2.0)
    before_purchase = purchase.copy(deep=True)
    before_hash = small.content_hash()
    first, state = simulate_year(small, 2025, purchase, None, seed=4)
    snapshot = _state_snapshot(state)
    trial, _ = simulate_year(small, 2026, purchase, state, seed=4)
    assert _state_snapshot(state) == snapshot  # the trial did not touch the state it was given
    adopted, _ = simulate_year(small, 2026, purchase, state, seed=4)
    for name in ("kpis", "contracts", "providers"):
        pd.testing.assert_frame_equal(getattr(trial, name), getattr(adopted, name))
    pd.testing.assert_frame_equal(purchase, before_purchase)
    assert small.content_hash() == before_hash
    assert first.kpis["arrivals"].sum() > 100


def test_options_share_random_numbers(small: govsim.Scenario) -> None:
    """Common random numbers: different purchases, the same arrivals case for case."""
    years = [2025, 2026]
    lean = pd.concat([_purchase(0.5).assign(year=y) for y in years])
    rich = pd.concat([_purchase(4.0).assign(year=y) for y in years])
    a = simulate(small, years=2, replications=2, seed=9, workers=1, capacities=lean).kpis
    b = simulate(small, years=2, replications=2, seed=9, workers=1, capacities=rich).kpis
    a, b = a.set_index(KEYS).sort_index(), b.set_index(KEYS).sort_index()
    pd.testing.assert_series_equal(a["arrivals"], b["arrivals"])
    care = pd.IndexSlice[:, :, :, "care"]
    assert a.loc[care, "wait_mean_days"].mean() > b.loc[care, "wait_mean_days"].mean()
    assert a.loc[care, "cost"].sum() < b.loc[care, "cost"].sum()
    assert not a["served"].equals(b["served"])


def test_nobody_at_work_serves_nothing(small: govsim.Scenario) -> None:
    idle = small.with_overrides({"counties.*.public_caseworkers": 0,
                                 "counties.*.child_welfare_directors": 0,
                                 "baseline.contracts": []})
    result, state = simulate_year(idle, 2025, None, None, seed=2)
    k = result.kpis
    assert k["arrivals"].sum() > 100
    assert (k["served"] == 0).all() and (k["cost"] == 0).all()
    patient = k["item"].map({i.id: i.patience_hours is None for i in idle.items})
    assert (k.loc[patient, "backlog"] == k.loc[patient, "arrivals"]).all()
    assert (k.loc[~patient, "abandoned"] + k.loc[~patient, "backlog"]
            == k.loc[~patient, "arrivals"]).all()
    assert state.backlog_cases == k["backlog"].sum()


# -- the assessment pass mark at year end ----------------------------------------------------

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


def test_commissioned_deliverables_arrive_as_ordered_on_both_engines(
        tiny: govsim.Scenario) -> None:
    """A commissioned item's yearly count is its expected number, whole (a fraction one more
    with that probability) in every replication — not a Poisson count; both engines agree."""
    from govsim.demand import monthly_cases

    rate = 0.0007  # a few deliverables a county: fractional expected counts
    scenario = tiny.with_overrides({"items.child_visits.arrivals": "commissioned",
                                    "items.child_visits.rate": rate})
    expected = {c.id: float(monthly_cases(scenario, c, scenario.item("child_visits"),
                                          2025).sum()) for c in scenario.counties}
    assert all(e % 1 > 0 for e in expected.values())
    tables = {engine: simulate(scenario, years=1, replications=6, seed=3, engine=engine).kpis
              for engine in ("compiled", "simpy")}
    pd.testing.assert_frame_equal(tables["compiled"], tables["simpy"])
    visits = tables["compiled"][tables["compiled"]["item"] == "child_visits"]
    for row in visits.itertuples():
        assert row.arrivals in (math.floor(expected[row.county]),
                                math.floor(expected[row.county]) + 1)
    assert visits["arrivals"].nunique() > 1  # the fraction is drawn, not rounded
