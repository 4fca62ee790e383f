"""A county's previous plan, met by the next stage's rows only within HiGHS's tolerance.

The Guang'an sensitivity sweep's point 149 (replication 0) failed: Wusheng's floors plan used
the county's share of a shared fund to 7.9·10⁻⁸ 万元 past it — feasible for HiGHS — and the
need stage, held at that plan's goals, was then called infeasible with and without presolve
and after every hold retry. The stage recorded from that run (its rows, bounds and objective;
``previous`` is the floors plan) is in ``tests/fixtures/stages``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pulp
import pytest

from govsim.allocation import milp, rounding
from govsim.allocation.model import Goal
from govsim.errors import AllocationError
from tests.allocation.recorded_stage import FIXTURES, activity, recorded_stage

RECORDED = FIXTURES / "sweep_point149_wusheng_need.npz"


def _stage(previous: bool) -> tuple[float, list[pulp.LpVariable], dict]:
    milp.clear_memo()
    rows, objective, columns, data = recorded_stage(RECORDED)
    need = Goal("need", pulp.LpMinimize, objective, "hours")
    model = SimpleNamespace(goals=[need], whole_post_gaps={})
    value = rounding._stage(model, "wusheng", need, objective, objective, rows, [], {},
                            previous=previous)
    return value, columns, data


def test_the_recorded_previous_plan_misses_a_row_by_less_than_highs_tolerance() -> None:
    _, _, _, data = recorded_stage(RECORDED)
    over = activity(data, data["previous"]) - data["row_upper"]
    assert 0 < over.max() < 1e-7


def test_without_admitting_the_previous_plan_the_stage_has_none() -> None:
    with pytest.raises(AllocationError, match="no whole-post plan for wusheng"):
        _stage(previous=False)


def test_the_previous_plan_admitted_exactly_gives_the_stage_its_plan() -> None:
    value, columns, data = _stage(previous=True)
    plan = np.array([v.varValue for v in columns])
    assert value <= data["cost"] @ data["previous"]  # at least as good as the previous plan
    integers = plan[data["integer"]]
    assert np.abs(integers - np.round(integers)).max() < 1e-6
    # every row met to HiGHS's tolerance, widened at most by what the previous plan used
    widened = np.maximum(data["row_upper"], activity(data, data["previous"]))
    assert (activity(data, plan) <= widened + 1e-6).all()


def test_admitting_widens_only_the_rows_the_current_values_miss() -> None:
    x = pulp.LpVariable("x", 0, 10, cat=pulp.LpInteger)
    y = pulp.LpVariable("y", 0, 10)
    rows = [({x: 1.0, y: 1.0}, pulp.LpConstraintLE, 3.0),
            ({y: 1.0}, pulp.LpConstraintGE, 0.5),
            ({x: 2.0}, pulp.LpConstraintLE, 10.0)]
    x.varValue, y.varValue = 2.0000001, 1.00000005  # x rounds to 2
    stage = milp.MilpStage(rows, pulp.LpAffineExpression([(y, 1.0)]), pulp.LpMaximize)
    admitted = stage.admitting_current()
    assert admitted.row_upper.tolist() == [2.0 + 1.00000005, np.inf, 10.0]
    assert admitted.row_lower.tolist() == stage.row_lower.tolist()
    assert stage.row_upper.tolist() == [3.0, np.inf, 10.0]  # the stage itself is unchanged
    assert admitted.key(1e-4, 30.0) != stage.key(1e-4, 30.0)
    y.varValue = None
    assert milp.MilpStage(rows, pulp.LpAffineExpression([(y, 1.0)]),
                          pulp.LpMaximize).admitting_current().row_upper.tolist() == [3.0,
                                                                                      np.inf, 10.0]
