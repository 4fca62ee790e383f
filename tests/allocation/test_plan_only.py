"""``allocate(..., explain=False)``: the same plan without the explanations and the compliance
check (what money needed and its samples read); the two tables written later."""

from __future__ import annotations

import pandas as pd

import govsim
from govsim.allocation import allocate, solve_allocation


def test_allocate_without_explanations_gives_the_same_plan(tiny: govsim.Scenario) -> None:
    full = allocate(tiny, integer_posts=False)
    plan = allocate(tiny, integer_posts=False, explain=False)
    pd.testing.assert_frame_equal(full.allocation, plan.allocation)
    pd.testing.assert_frame_equal(full.unmet, plan.unmet)
    assert plan.explanations.empty and plan.compliance.empty
    assert list(plan.compliance.columns) == list(full.compliance.columns)


def test_a_plan_explained_later_has_the_tables_of_one_explained_at_once(
        guangan: govsim.Scenario) -> None:
    # the run's check rounds write their plans unexplained and explain the adopted one
    solved = solve_allocation(guangan)
    later = solved.explained(solved.result(explain=False))
    at_once = allocate(guangan)
    assert len(later.explanations) > 0 and len(later.compliance) > 0
    for table in ("allocation", "unmet", "staffing", "constraints", "goals", "explanations",
                  "compliance"):
        pd.testing.assert_frame_equal(getattr(later, table), getattr(at_once, table))
    assert later.status == at_once.status
