"""The plan depends on the scenario's content, not on the order its file lists counties, items
and provider types in (a linear program with several optimal plans returns the one its column
order leads to; whole posts once shared the funds county by county in file order)."""

from __future__ import annotations

import pandas as pd
import pytest

import govsim
from govsim.allocation import allocate, estimates_from_scenario
from govsim.scenario import Scenario

KEYS = {"allocation": ["county", "item", "provider_type", "fund", "basis"],
        "unmet": ["county", "item"], "staffing": ["county", "rule"]}


def _relisted(scenario: Scenario) -> Scenario:
    """The scenario with its counties backwards and its items and provider types rotated."""
    data = scenario.to_dict()
    data["counties"] = data["counties"][::-1]
    data["items"] = data["items"][3:] + data["items"][:3]
    data["provider_types"] = data["provider_types"][1:] + data["provider_types"][:1]
    return Scenario.from_dict(data)


@pytest.mark.parametrize("whole", [True, False], ids=["whole posts", "linear"])
def test_guangan_plan_does_not_depend_on_the_order_of_the_file(
        guangan: govsim.Scenario, whole: bool) -> None:
    relisted = _relisted(guangan)
    assert [c.id for c in relisted.counties] != [c.id for c in guangan.counties]
    year = guangan.header.base_year
    plans = [allocate(s, estimates_from_scenario(s, year), integer_posts=whole, explain=False)
             for s in (guangan, relisted)]
    for table, keys in KEYS.items():
        one, other = (getattr(p, table).sort_values(keys).reset_index(drop=True) for p in plans)
        pd.testing.assert_frame_equal(one, other, check_exact=True)
    pd.testing.assert_frame_equal(plans[0].goals, plans[1].goals, check_exact=True)
    # each plan's tables list the counties as its own file does
    for scenario, plan in zip((guangan, relisted), plans, strict=True):
        for table in ("allocation", "unmet", "staffing"):
            shown = list(dict.fromkeys(getattr(plan, table)["county"]))
            assert shown == [c.id for c in scenario.counties if c.id in shown]


def test_in_id_order_sorts_the_lists_and_keeps_everything_else(guangan: govsim.Scenario) -> None:
    ordered = guangan.in_id_order()
    for name in ("counties", "items", "provider_types"):
        ids = [entry.id for entry in getattr(ordered, name)]
        assert ids == sorted(ids)
        assert sorted(ids) == sorted(entry.id for entry in getattr(guangan, name))
    assert ordered.policy == guangan.policy and ordered.funds == guangan.funds
    assert ordered.in_id_order() is ordered  # already in order: the same object


def test_a_guangan_run_does_not_depend_on_the_order_of_the_file(
        guangan: govsim.Scenario) -> None:
    """End to end: the simulation's streams are keyed by ids, the model is built in id order,
    and the sums that feed the next round are exact (``math.fsum``)."""
    relisted = _relisted(guangan)
    runs = [govsim.run(s, years=2, replications=2, rounds=2, workers=1, band_samples=0).tables
            for s in (guangan, relisted)]
    keys = ["year", "round", "county", "item", "provider_type", "fund", "basis", "rule",
            "scope", "check", "text_en"]
    for name in ("allocation", "kpis", "convergence", "rounds", "staffing", "money_needed",
                 "compliance", "explanations"):
        one, other = (getattr(tables, name) for tables in runs)
        by = [k for k in keys if k in one.columns]
        one, other = (t.sort_values(by).reset_index(drop=True) for t in (one, other))
        pd.testing.assert_frame_equal(one, other, check_exact=True, obj=name)


def test_the_compliance_check_lists_the_counties_as_the_file_does(
        guangan: govsim.Scenario) -> None:
    relisted = _relisted(guangan)
    result = allocate(relisted, estimates_from_scenario(relisted, relisted.header.base_year))
    ids = [c.id for c in relisted.counties]
    scopes = [s for s in dict.fromkeys(result.compliance["scope"]) if s in ids]
    assert scopes == ids
