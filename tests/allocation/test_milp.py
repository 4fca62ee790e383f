"""Whole-post stages built directly in highspy give PuLP's HiGHS plans bit for bit; the memo.

:mod:`govsim.allocation.milp` hands each county's MILP to HiGHS as arrays instead of through a
PuLP problem, and remembers stages whose inputs repeat. Both are only allowed because they
change nothing: here every stage of a Guang'an allocation is also solved the way PuLP's
interface solves it (a fresh ``LpProblem``, ``pulp.HiGHS``) and the column values must be the
same floats.
"""

from __future__ import annotations

import numpy as np
import pulp
import pytest

import govsim
from govsim.allocation import allocate, estimates_from_scenario, milp, rounding


def _pulp_values(goal: object, objective: pulp.LpAffineExpression, rows: list,
                 holds: list) -> tuple[list[str], np.ndarray]:
    """The stage as PuLP would solve it: names and values of its columns."""
    problem = pulp.LpProblem("stage", goal.sense)
    for k, (_, coefs, sense, rhs) in enumerate(rows):
        problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(coefs), sense,
                                                f"row_{k}", rhs))
    for k, (held_sense, expr, bound) in enumerate(holds):
        sense = pulp.LpConstraintLE if held_sense == pulp.LpMinimize else pulp.LpConstraintGE
        problem.addConstraint(pulp.LpConstraint(expr, sense, f"hold_{k}", bound))
    problem.setObjective(objective)
    status = problem.solve(pulp.HiGHS(msg=False, gapRel=rounding.MIP_GAP,
                                      timeLimit=rounding.MIP_SECONDS))
    assert status == pulp.LpStatusOptimal
    variables = problem.variables()
    return [v.name for v in variables], np.array([v.varValue for v in variables])


def test_every_stage_equals_pulps_highs_plan(guangan: govsim.Scenario,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    year = guangan.header.base_year
    estimates = estimates_from_scenario(guangan, year)
    stages = []
    original = rounding._stage

    def both(model, county, goal, objective, expr, rows, holds):  # type: ignore[no-untyped-def]
        names, expected = _pulp_values(goal, objective, rows, holds)
        value = original(model, county, goal, objective, expr, rows, holds)
        constraints = [(coefs, sense, rhs) for _, coefs, sense, rhs in rows]
        constraints += [(e, pulp.LpConstraintLE if s == pulp.LpMinimize
                         else pulp.LpConstraintGE, b) for s, e, b in holds]
        stage = milp.MilpStage(constraints, objective, goal.sense)
        got = np.array([v.varValue for v in stage.columns])
        stages.append((county, goal.key))
        assert [v.name for v in stage.columns] == names, (county, goal.key)
        assert got.tobytes() == expected.tobytes(), (county, goal.key)
        return value

    monkeypatch.setattr(rounding, "_stage", both)
    milp.clear_memo()
    allocate(guangan, estimates, year)
    assert len(stages) >= len(guangan.counties)  # every county solved at least one stage
    assert {key for _, key in stages} >= {"need"}


def _stage(rhs: float) -> milp.MilpStage:
    x = pulp.LpVariable("x", 0, 10, cat=pulp.LpInteger)
    y = pulp.LpVariable("y", 0, None)
    rows = [({x: 2.0, y: 1.0}, pulp.LpConstraintLE, rhs), ({x: 1.0}, pulp.LpConstraintGE, 1.0)]
    return milp.MilpStage(rows, pulp.LpAffineExpression([(x, 3.0), (y, 1.0)]), pulp.LpMaximize)


def test_a_repeated_stage_is_answered_from_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    milp.clear_memo()
    runs = []
    real = milp.MilpStage._run

    def counted(self, gap, seconds):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(self, gap, seconds)

    monkeypatch.setattr(milp.MilpStage, "_run", counted)
    first = _stage(7.5).solve(1e-4, 30.0)
    again = _stage(7.5).solve(1e-4, 30.0)  # new variables with the same names and data
    assert len(runs) == 1 and again is first and milp.memo_size() == 1
    # max 3x + y with 2x + y <= 7.5: x = 3 (whole), y = 1.5
    assert first.values.tolist() == [3.0, 1.5] and not first.failed
    other = _stage(9.5).solve(1e-4, 30.0)  # another right-hand side is another stage
    assert len(runs) == 2 and other.values.tolist() == [4.0, 1.5]
    _stage(7.5).solve(1e-3, 30.0)  # another gap too
    assert len(runs) == 3


def test_a_plan_cut_off_by_the_clock_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    milp.clear_memo()
    limited = milp.MilpSolution(np.array([1.0, 0.0]), "Time limit reached", True, False)
    monkeypatch.setattr(milp.MilpStage, "_run", lambda self, gap, seconds: limited)
    assert _stage(7.5).solve(1e-4, 30.0) is limited
    assert milp.memo_size() == 0


def test_an_infeasible_stage_fails() -> None:
    milp.clear_memo()
    x = pulp.LpVariable("x", 0, 10, cat=pulp.LpInteger)
    rows = [({x: 1.0}, pulp.LpConstraintGE, 2.5), ({x: 1.0}, pulp.LpConstraintLE, 2.9)]
    solution = milp.MilpStage(rows, pulp.LpAffineExpression([(x, 1.0)]),
                              pulp.LpMinimize).solve(1e-4, 30.0)
    assert solution.failed and solution.status == "Infeasible"
