"""A need stage that finds no plan in 10,000 nodes ends its search from the county's previous
plan, not without a node limit.

The Guang'an sensitivity sweep's slowest runs were need stages that found no plan in 100 nodes
(branching only, then with heuristics) nor in 10,000, and then searched without a node limit:
Linshui's at point 118 (replication 0) took 35,660 nodes (64-91 s). The stage recorded from
that run — its rows, bounds and objective, ``previous`` the floors plan, ``searched`` the plan
the unlimited search found — is in ``tests/fixtures/stages``. From the floors plan, 10,000
nodes give a plan at least as good.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pulp
import pytest

from govsim.allocation import milp, rounding
from govsim.allocation.model import Goal
from tests.allocation.recorded_stage import FIXTURES, activity, recorded_stage

RECORDED = FIXTURES / "sweep_point118_linshui_need.npz"


def test_the_stage_escalates_from_the_previous_plan_to_a_plan_as_good_as_the_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    milp.clear_memo()
    rows, objective, columns, data = recorded_stage(RECORDED)
    calls = []
    real = milp.MilpStage._run

    def recorded(self, gap, seconds, nodes,  # type: ignore[no-untyped-def]
                 heuristics, start, presolve=True, stop=None):
        calls.append((nodes, heuristics, start is not None))
        return real(self, gap, seconds, nodes, heuristics, start, presolve, stop)

    monkeypatch.setattr(milp.MilpStage, "_run", recorded)
    need = Goal("need", pulp.LpMinimize, objective, "hours")
    model = SimpleNamespace(goals=[need], whole_post_gaps={})
    value = rounding._stage(model, "linshui", need, objective, objective, rows, [], {},
                            previous=True)
    nodes = rounding.MIP_NODES
    # no plan in 100 nodes, with heuristics, in 10,000 (these two at once, in either order);
    # then 10,000 from the floors plan
    assert calls[0] == (nodes, False, False) and len(calls) == 4
    assert sorted(calls[1:3]) == [(nodes, True, False), (100 * nodes, True, False)]
    assert calls[3] == (100 * nodes, True, True)
    searched = data["cost"] @ data["searched"]
    assert value <= searched + rounding.NEED_GAP * abs(searched)  # need met: a maximum, negated
    assert value <= data["cost"] @ data["previous"]
    plan = np.array([v.varValue for v in columns])
    integers = plan[data["integer"]]
    assert np.abs(integers - np.round(integers)).max() < 1e-6
    # the floors plan meets every row within HiGHS's tolerance; so does the plan
    upper = np.maximum(data["row_upper"], activity(data, data["previous"]))
    lower = np.minimum(data["row_lower"], activity(data, data["previous"]))
    assert (activity(data, plan) <= upper + 1e-6).all()
    assert (activity(data, plan) >= lower - 1e-6).all()
    finite_upper, finite_lower = np.isfinite(data["row_upper"]), np.isfinite(data["row_lower"])
    assert (upper[finite_upper] - data["row_upper"][finite_upper]).max() < 1e-6
    assert (data["row_lower"][finite_lower] - lower[finite_lower]).max() < 1e-6
