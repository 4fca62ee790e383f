"""Holding a goal at its optimum, at a province's scale.

A 183-county run ended its third year with HiGHS answering 'Unknown' at the cost stage: the
statutory hold (millions of hours) was 10⁻⁷ hours above its optimum, closer than a solver can
tell apart, and the hold rows were in hours while every row is met to 10⁻¹⁰. Holds are now
rows in units of their own bound, and "at its optimum" allows 10⁻⁹ of the optimum. A stage that
still ends "Unknown" on its instance is retried on a new instance given the same model.
"""

from __future__ import annotations

from types import SimpleNamespace

import highspy
import pulp
import pytest

from govsim.allocation import highs as highs_module
from govsim.allocation.highs import HighsStages
from govsim.allocation.model import HOLD_NOISE, Goal, Row, hold_slack
from govsim.errors import AllocationError


def test_statutory_and_staffing_give_a_billionth_of_a_large_optimum() -> None:
    statutory = Goal("statutory", pulp.LpMinimize, pulp.LpAffineExpression(), "hours")
    caps = Goal("caps", pulp.LpMinimize, pulp.LpAffineExpression(), "10k CNY")
    need = Goal("need", pulp.LpMaximize, pulp.LpAffineExpression(), "hours")
    assert hold_slack(statutory, 6.5e6, 1e-4) == 6.5e6 * HOLD_NOISE  # a few seconds of work
    assert hold_slack(statutory, 50.0, 1e-4) == 1e-7  # a county: float noise, as before
    assert hold_slack(caps, 6.5e6, 1e-4) == 1e-9  # money over the caps never gives more
    assert hold_slack(need, 2e7, 1e-4) == 1e-4 * 2e7 + 1e-7


def _model(size: int) -> tuple[SimpleNamespace, Goal, Goal, list[pulp.LpVariable]]:
    """``size`` services of up to 10⁵ hours each under one budget: need met (of order 10⁷
    hours) first, then the cost of buying it."""
    hours = [pulp.LpVariable(f"h{k:03d}", 0, 1e5) for k in range(size)]
    price = [0.004 + 0.0003 * (k % 7) for k in range(size)]  # 万元 per hour
    weight = [1.0 + (k % 5) for k in range(size)]
    budget = pulp.LpAffineExpression(list(zip(hours, price, strict=True)))
    row = Row("budget", "budget", "prefecture", budget <= 0.6 * sum(price) * 1e5, budget,
              pulp.LpConstraintLE, 0.6 * sum(price) * 1e5)
    need = Goal("need", pulp.LpMaximize,
                pulp.LpAffineExpression(list(zip(hours, weight, strict=True))), "hours")
    cost = Goal("cost", pulp.LpMinimize, budget, "10k CNY")
    model = SimpleNamespace(rows=[row], n={}, goals=[need, cost],
                            problem=SimpleNamespace(name="holds"))
    return model, need, cost, hours


def test_a_held_goal_of_ten_million_hours_is_kept_while_the_next_is_optimised() -> None:
    model, need, cost, _ = _model(200)
    stages = HighsStages(model)  # type: ignore[arg-type]
    best = stages.solve(need)
    assert best > 1e7
    bound = best - hold_slack(need, best, 1e-6)
    stages.hold(need, bound)
    spent_at_best = pulp.value(cost.expr)
    spent = stages.solve(cost)
    assert spent < spent_at_best  # the slack was used to save money...
    held = pulp.value(need.expr)
    assert held >= bound * (1 - 1e-9)  # ...and need met stayed at its bound
    assert held <= best
    # the hold row HiGHS holds is in units of its bound
    highs = stages.highs
    last = highs.getNumRow() - 1
    lower = highs.getLp().row_lower_[last]
    assert lower == 1.0


class _Worn:
    """A HiGHS instance whose solves all end 'Unknown' (the instance that had solved a
    province's earlier stages), otherwise the real one."""

    def __init__(self, real: object) -> None:
        self.real = real

    def getModelStatus(self) -> object:  # noqa: N802 (HiGHS's name)
        return highspy.HighsModelStatus.kUnknown

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def test_a_stage_the_instance_cannot_solve_is_solved_on_a_new_one() -> None:
    model, need, cost, _ = _model(50)
    plain = HighsStages(model)  # type: ignore[arg-type]
    best = plain.solve(need)
    plain.hold(need, best - hold_slack(need, best, 1e-6))
    spent = plain.solve(cost)
    stages = HighsStages(model)  # type: ignore[arg-type]
    assert stages.solve(need) == best
    stages.hold(need, best - hold_slack(need, best, 1e-6))
    stages.highs = _Worn(stages.highs)  # type: ignore[assignment]
    # the model carried over, holds and all: the same optimum (solved from scratch)
    assert stages.solve(cost) == pytest.approx(spent, rel=1e-12)
    assert not isinstance(stages.highs, _Worn)
    assert stages.highs.getNumRow() == len(model.rows) + 1
    assert stages.highs.getOptionValue("primal_feasibility_tolerance")[1] == 1e-10


def test_a_stage_no_instance_can_solve_is_an_allocation_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model, need, _, _ = _model(20)
    real = highs_module.new_highs
    monkeypatch.setattr(highs_module, "new_highs", lambda: _Worn(real()))
    with pytest.raises(AllocationError, match="did not solve the need stage of holds: Unknown"):
        HighsStages(model).solve(need)  # type: ignore[arg-type]
