"""``allocate(..., explain=False)``: the same plan without the explanations and the compliance
check (what money needed and its samples read)."""

from __future__ import annotations

import pandas as pd

import govsim
from govsim.allocation import allocate


def test_allocate_without_explanations_gives_the_same_plan(tiny: govsim.Scenario) -> None:
    full = allocate(tiny, integer_posts=False)
    plan = allocate(tiny, integer_posts=False, explain=False)
    pd.testing.assert_frame_equal(full.allocation, plan.allocation)
    pd.testing.assert_frame_equal(full.unmet, plan.unmet)
    assert plan.explanations.empty and plan.compliance.empty
    assert list(plan.compliance.columns) == list(full.compliance.columns)
