"""Whole-post stages built directly in highspy give PuLP's HiGHS plans bit for bit; the memo.

:mod:`govsim.allocation.milp` hands each county's MILP to HiGHS as arrays instead of through a
PuLP problem, and remembers stages whose inputs repeat. Both are only allowed because they
change nothing: here every stage of a Guang'an allocation is also solved the way PuLP's
interface solves it (a fresh ``LpProblem``, ``pulp.HiGHS``) and the column values must be the
same floats.
"""

from __future__ import annotations

import threading

import numpy as np
import pulp
import pytest

import govsim
from govsim.allocation import allocate, estimates_from_scenario, milp, rounding
from govsim.allocation.highs import HIGHS_THREADS


def _pulp_values(goal: object, objective: pulp.LpAffineExpression, rows: list,
                 holds: list, options: tuple,
                 start: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """The stage as PuLP would solve it with the same HiGHS options and start: names and
    values of its columns."""
    problem = pulp.LpProblem("stage", goal.sense)
    for k, (_, coefs, sense, rhs) in enumerate(rows):
        problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(coefs), sense,
                                                f"row_{k}", rhs))
    for k, (held_sense, expr, bound) in enumerate(holds):
        sense = pulp.LpConstraintLE if held_sense == pulp.LpMinimize else pulp.LpConstraintGE
        problem.addConstraint(pulp.LpConstraint(expr, sense, f"hold_{k}", bound))
    problem.setObjective(objective)
    gap, seconds, nodes, heuristics, presolve = options
    extra = {} if heuristics else dict(milp.HEURISTICS_OFF)
    if not presolve:
        extra["presolve"] = "off"
    if nodes is not None:
        extra["mip_max_nodes"] = nodes
    solver = pulp.HiGHS(msg=False, gapRel=gap, timeLimit=seconds, threads=HIGHS_THREADS,
                        **extra)
    # PuLP's own model and options, run as PuLP runs them (its status table has no entry for a
    # node limit, so the column values are read from HiGHS)
    solver.createAndConfigureSolver(problem)
    solver.buildSolverModel(problem)
    if start is not None:  # PuLP's in-process HiGHS has no warm start: handed over the same way
        problem.solverModel.setSolution(milp._solution(start))
    solver.callSolver(problem)
    variables = problem.variables()
    return [v.name for v in variables], np.array(problem.solverModel.getSolution().col_value)


def test_every_stage_equals_pulps_highs_plan(guangan: govsim.Scenario,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    year = guangan.header.base_year
    estimates = estimates_from_scenario(guangan, year)
    stages = []
    original = rounding._stage
    run = milp.MilpStage._run
    used: list[tuple] = []  # the options and start of the stage's last run (after fallbacks)
    starts: list[bool] = []
    widened: list[tuple[str, str]] = []

    def recorded(self, gap, seconds, nodes, heuristics,  # type: ignore[no-untyped-def]
                 start, presolve=True, stop=None):
        used.append(((gap, seconds, nodes, heuristics, presolve), start,
                     (self.row_lower.tobytes(), self.row_upper.tobytes())))
        return run(self, gap, seconds, nodes, heuristics, start, presolve, stop)

    def both(model, county, goal, objective, expr, rows, holds,  # type: ignore[no-untyped-def]
             gaps, start=False, previous=False, beside=True):
        constraints = [(coefs, sense, rhs) for _, coefs, sense, rhs in rows]
        constraints += [(e, pulp.LpConstraintLE if s == pulp.LpMinimize
                         else pulp.LpConstraintGE, b) for s, e, b in holds]
        stage = milp.MilpStage(constraints, objective, goal.sense, start=start)
        starts.append(stage.start is not None)
        value = original(model, county, goal, objective, expr, rows, holds, gaps, start=start,
                         previous=previous, beside=beside)
        options, start_used, bounds = used[-1]
        stages.append((county, goal.key))
        if bounds != (stage.row_lower.tobytes(), stage.row_upper.tobytes()):
            # escalated from the previous plan, its rows widened to admit it exactly: another
            # model than PuLP's (tests/allocation/test_admit.py)
            widened.append((county, goal.key))
            return value
        names, expected = _pulp_values(goal, objective, rows, holds, options, start_used)
        got = np.array([v.varValue for v in stage.columns])
        assert [v.name for v in stage.columns] == names, (county, goal.key)
        assert got.tobytes() == expected.tobytes(), (county, goal.key)
        return value

    monkeypatch.setattr(rounding, "_stage", both)
    monkeypatch.setattr(milp.MilpStage, "_run", recorded)
    monkeypatch.setattr(milp, "MEMO_SIZE", 0)  # every stage run, so `used` is its own
    milp.clear_memo()
    allocate(guangan, estimates, year)
    assert any(starts) and not all(starts)  # later stages start from the county's last plan
    assert len(stages) >= len(guangan.counties)  # every county solved at least one stage
    assert {key for _, key in stages} >= {"need"}
    assert len(widened) < len(stages) / 2  # (linshui's need stage, HiGHS 1.16)


def _stage(rhs: float) -> milp.MilpStage:
    x = pulp.LpVariable("x", 0, 10, cat=pulp.LpInteger)
    y = pulp.LpVariable("y", 0, None)
    rows = [({x: 2.0, y: 1.0}, pulp.LpConstraintLE, rhs), ({x: 1.0}, pulp.LpConstraintGE, 1.0)]
    return milp.MilpStage(rows, pulp.LpAffineExpression([(x, 3.0), (y, 1.0)]), pulp.LpMaximize)


def test_a_repeated_stage_is_answered_from_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    milp.clear_memo()
    runs = []
    real = milp.MilpStage._run

    def counted(self, gap, seconds, nodes, heuristics,  # type: ignore[no-untyped-def]
                start, presolve=True, stop=None):
        runs.append(1)
        return real(self, gap, seconds, nodes, heuristics, start, presolve, stop)

    monkeypatch.setattr(milp.MilpStage, "_run", counted)
    first = _stage(7.5).solve(1e-4, 30.0)
    again = _stage(7.5).solve(1e-4, 30.0)  # new variables with the same names and data
    assert len(runs) == 1 and again is first and milp.memo_size() == 1
    # max 3x + y with 2x + y <= 7.5: x = 3 (whole), y = 1.5
    assert first.values.tolist() == [3.0, 1.5] and not first.failed
    other = _stage(9.5).solve(1e-4, 30.0)  # another right-hand side is another stage
    assert len(runs) == 2 and other.values.tolist() == [4.0, 1.5]
    _stage(7.5).solve(1e-3, 30.0)  # another gap too
    _stage(7.5).solve(1e-4, 30.0, 100)  # another node limit
    _stage(7.5).solve(1e-4, 30.0, 100, heuristics=False)  # other options
    assert len(runs) == 5


def test_a_plan_cut_off_by_the_clock_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    milp.clear_memo()
    limited = milp.MilpSolution(np.array([1.0, 0.0]), "Time limit reached", True, False,
                                clock=True)
    monkeypatch.setattr(milp.MilpStage, "_run", lambda self, *options: limited)
    assert _stage(7.5).solve(1e-4, 30.0) is limited
    assert milp.memo_size() == 0


def test_a_plan_cut_off_by_the_node_limit_is_remembered() -> None:
    """The node limit is work, not time: its plan is a function of the stage, kept."""
    milp.clear_memo()
    solution = _knapsack().solve(1e-9, 30.0, nodes=1, heuristics=False)
    assert milp.memo_size() == 1 and not solution.clock
    assert solution.nodes <= 1 and (solution.failed or solution.gap >= 0)


#: The knapsack's weights and capacity
_WEIGHTS = [53, 71, 97, 113, 131, 149, 167, 181, 199, 211, 223, 239]
_CAPACITY = 1000.0


def _knapsack() -> milp.MilpStage:
    """max Σ v·x, Σ w·x ≤ 1000, x whole: a branch and bound that needs more than one node."""
    xs = [pulp.LpVariable(f"x{k:02d}", 0, 5, cat=pulp.LpInteger) for k in range(len(_WEIGHTS))]
    rows = [({x: float(w) for x, w in zip(xs, _WEIGHTS, strict=True)}, pulp.LpConstraintLE,
             _CAPACITY)]
    return milp.MilpStage(rows, _knapsack_objective(xs), pulp.LpMaximize)


def _knapsack_objective(xs: list[pulp.LpVariable]) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression([(x, w * 1.01 + (k % 3)) for k, (x, w)
                                    in enumerate(zip(xs, _WEIGHTS, strict=True))])


def _fits(solution: milp.MilpSolution) -> bool:
    """A plan that keeps the knapsack's capacity."""
    return not solution.failed and solution.values @ np.array(_WEIGHTS) <= _CAPACITY + 1e-6


def _first_runs_find_nothing(monkeypatch: pytest.MonkeyPatch, count: int) -> list[tuple]:
    """HiGHS's first ``count`` runs of a stage find no plan (node limit), the later ones solve;
    each run recorded as (nodes, heuristics, thread name, stop event)."""
    milp.clear_memo()
    calls: list[tuple] = []
    real = milp.MilpStage._run
    nothing = milp.MilpSolution(np.zeros(12), "Solution limit reached", True, True)

    def patched(self, gap, seconds, nodes,  # type: ignore[no-untyped-def]
                heuristics, start, presolve=True, stop=None):
        calls.append((nodes, heuristics, threading.current_thread().name, stop))
        if len(calls) <= count:
            return nothing
        return real(self, gap, seconds, nodes, heuristics, start, presolve, stop)

    monkeypatch.setattr(milp.MilpStage, "_run", patched)
    return calls


def test_a_stage_without_a_plan_after_its_nodes_gets_more(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """rounding._solve: a node-limited stage that found no plan is solved again with the
    heuristics, then with more nodes; the plan it keeps is a proved-feasible one."""
    calls = _first_runs_find_nothing(monkeypatch, 1)
    solution = rounding._solve(_knapsack(), 1e-4, 7)
    # the second and third rungs run at once (rounding._two_at_once), in either order
    assert calls[0][:2] == (7, False) and (7, True) in [c[:2] for c in calls[1:3]]
    assert _fits(solution)


def test_one_thread_climbs_the_rungs_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """rounding._solve(beside=False) — a run asked for one thread (a sweep's runs,
    ``--workers 1``): the rungs in order in this thread, no second search beside them."""
    calls = _first_runs_find_nothing(monkeypatch, 2)
    here = threading.current_thread().name
    solution = rounding._solve(_knapsack(), 1e-4, 7, beside=False)
    assert calls == [(7, False, here, None), (7, True, here, None), (700, True, here, None)]
    assert _fits(solution)


def test_an_allocation_on_one_thread_never_runs_two_searches_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """allocate(threads=1) keeps to one core: every county stage's rungs one after the other;
    with two threads, the pairing is allowed (and the plan the same)."""
    asked = []
    real = rounding._solve

    def recorded(stage, gap, nodes, started=None, *, beside=True):  # type: ignore[no-untyped-def]
        asked.append(beside)
        return real(stage, gap, nodes, started, beside=beside)

    monkeypatch.setattr(rounding, "_solve", recorded)
    scenario = govsim.load_scenario("tiny")
    estimates = estimates_from_scenario(scenario, scenario.header.base_year)
    milp.clear_memo()
    one = allocate(scenario, estimates, threads=1, explain=False)
    assert asked and not any(asked)
    asked.clear()
    milp.clear_memo()
    two = allocate(scenario, estimates, threads=2, explain=False)
    assert asked and all(asked)
    assert one.allocation.equals(two.allocation)


def test_a_stage_told_to_stop_is_interrupted_and_not_remembered() -> None:
    """MilpStage.solve(stop=...): HiGHS ends at its next check once the event is set; the
    answer is marked as cut off (``clock``) and not remembered, so the same stage without a
    stop is solved in full."""
    milp.clear_memo()
    stop = threading.Event()
    stop.set()
    cut = _knapsack().solve(1e-9, 30.0, None, True, stop=stop)
    assert cut.clock and cut.status == "Interrupted by user" and milp.memo_size() == 0
    whole = _knapsack().solve(1e-9, 30.0, None, True, stop=threading.Event())
    assert not whole.clock and whole.nodes > 1 and _fits(whole)
    assert milp.memo_size() == 1


class _Rung:
    """A rung's stage with a set answer; with a stop event, it waits for it (a long search)."""

    def __init__(self, answer: milp.MilpSolution) -> None:
        self.answer, self.stopped = answer, threading.Event()

    def solve(self, gap: float, seconds: float, nodes: int | None, heuristics: bool, *,
              stop: threading.Event | None = None) -> milp.MilpSolution:
        if stop is not None:
            assert stop.wait(30), "the rung beside was never told to stop"
            self.stopped.set()
            return milp.MilpSolution(np.zeros(1), "Interrupted by user", True, True, clock=True)
        return self.answer


def test_two_rungs_at_once_give_the_plan_of_one_after_the_other() -> None:
    """rounding._two_at_once: the first rung's plan when it has one (the rung beside it is
    interrupted), else the next rung's — what the ladder gives one rung at a time."""
    plan = milp.MilpSolution(np.ones(1), "Optimal", False, False)
    none = milp.MilpSolution(np.zeros(1), "Node limit reached", True, True)
    first, beside = _Rung(plan), _Rung(plan)
    solution, used = rounding._two_at_once((lambda: first, 7, True),  # type: ignore[arg-type]
                                           (lambda: beside, 700, True), 1e-4)
    assert solution is plan and used == 1
    assert beside.stopped.wait(30)

    later = milp.MilpSolution(np.full(1, 2.0), "Optimal", False, False)

    class _Finishes(_Rung):
        def solve(self, gap, seconds, nodes, heuristics, *, stop=None):  # type: ignore
            return self.answer

    solution, used = rounding._two_at_once((lambda: _Rung(none), 7, True),  # type: ignore
                                           (lambda: _Finishes(later), 700, True), 1e-4)
    assert solution is later and used == 2


def test_a_stage_presolve_gives_up_on_is_solved_without_presolve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """rounding._solve: HiGHS's presolve has ended nearly infeasible stages in 'Infeasible' or
    'Solve error' that solved without it (a Guang'an sweep point, Yuechi's need stage): the
    stage is solved once more without presolve, and that plan is kept."""
    milp.clear_memo()
    calls = []
    real = milp.MilpStage._run
    error = milp.MilpSolution(np.zeros(12), "Solve error", False, True)

    def presolve_fails(self, gap, seconds, nodes,  # type: ignore[no-untyped-def]
                       heuristics, start, presolve=True, stop=None):
        calls.append(presolve)
        if presolve:
            return error
        return real(self, gap, seconds, nodes, heuristics, start, presolve, stop)

    monkeypatch.setattr(milp.MilpStage, "_run", presolve_fails)
    solution = rounding._solve(_knapsack(), 1e-4, 7)
    assert calls == [True, False]
    assert _fits(solution)


def test_a_start_is_part_of_the_stage_and_gives_a_plan_at_once() -> None:
    """A stage handed the county's last plan starts from it: with one node and no heuristics
    the knapsack then has a plan at least as good as the start; without it, none or another.
    The start is an input: the memo keeps the two apart."""
    milp.clear_memo()
    start = [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0]  # weight 868 of 1000
    stage = _knapsack()
    for var, value in zip(stage.columns, start, strict=True):
        var.varValue = value
    started = milp.MilpStage(stage.rows, _knapsack_objective(stage.columns), pulp.LpMaximize,
                             start=True)
    assert started.start.tolist() == start
    assert started.key(1e-9, 30.0, 1, False) != stage.key(1e-9, 30.0, 1, False)
    solution = started.solve(1e-9, 30.0, nodes=1, heuristics=False)
    assert not solution.failed
    assert -started.cost @ solution.values >= -started.cost @ np.array(start, dtype=float)
    assert milp.memo_size() == 1


def test_a_start_returned_as_the_plan_is_solved_again_without_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS 1.16 can hand the start back as its plan while reporting a better objective (seen
    on Guang'an stages that presolve reduced): the stage is then solved without the start."""
    milp.clear_memo()
    stage = _knapsack()
    for var in stage.columns:
        var.varValue = 0.0
    started = milp.MilpStage(stage.rows, _knapsack_objective(stage.columns), pulp.LpMaximize,
                             start=True)
    answers = iter([True])
    monkeypatch.setattr(milp, "_returned_start", lambda highs, cost: next(answers, False))
    runs: list[bool] = []
    real = milp.MilpStage._run

    def recorded(self, gap, seconds, nodes, heuristics,  # type: ignore[no-untyped-def]
                 start, presolve=True, stop=None):
        runs.append(start is not None)
        return real(self, gap, seconds, nodes, heuristics, start, presolve, stop)

    monkeypatch.setattr(milp.MilpStage, "_run", recorded)
    solution = started.solve(1e-9, 30.0)
    assert runs == [True, False]
    assert solution.values.tolist() == stage.solve(1e-9, 30.0).values.tolist()


def test_an_infeasible_stage_fails() -> None:
    milp.clear_memo()
    x = pulp.LpVariable("x", 0, 10, cat=pulp.LpInteger)
    rows = [({x: 1.0}, pulp.LpConstraintGE, 2.5), ({x: 1.0}, pulp.LpConstraintLE, 2.9)]
    solution = milp.MilpStage(rows, pulp.LpAffineExpression([(x, 1.0)]),
                              pulp.LpMinimize).solve(1e-4, 30.0)
    assert solution.failed and solution.status == "Infeasible"
