"""Solving the ordered goals with HiGHS or CBC, the goals' prices, and the shadow prices.

:func:`solve_model` optimises the model's goals in order (``model.goals``) as linear programs:
each goal is solved with every earlier goal held at its optimum (within
``policy.goal_tolerance``, relative, at least that much in absolute terms), so a later goal can
never buy its gain with an earlier one. Whole posts are then made by
:mod:`govsim.allocation.rounding` (every cap kept) and the goals solved again with the posts
fixed. HiGHS keeps one in-process model across the stages (:mod:`govsim.allocation.highs`);
CBC, PuLP's bundled binary, solves a fresh MPS export per stage and serves as the independent
cross-check.

With ``goal_prices`` it also reports what each goal costs the next: how much better the next
goal's optimum gets with this goal (and every later hold) dropped — 0 when they do not compete.

Shadow prices come from the linear pass's stage that values money: ``need`` (need met per unit
of a row's limit) under the caps, ``cost`` (CNY per unit) for money needed; in one convention
whatever the solver — the change of that goal per unit increase of the row's limit in its
natural unit (CNY for money rows, people, FTE or hours otherwise).

CBC's ``-saveSolution`` binary file is read because its text solution (8 significant digits)
let caps overshoot by a few fen. :func:`polish` repairs what is left of the solvers'
tolerances (integers rounded, values clipped to bounds, money rows trimmed), so that
:func:`govsim.compliance.check_compliance` passes on its half-fen tolerance.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np
import pulp

from govsim.allocation.highs import HighsStages
from govsim.allocation.model import (
    WAN,
    AllocationModel,
    Goal,
    Row,
    collector_paused,
    hold_slack,
    row_variables,
)
from govsim.allocation.rounding import whole_posts
from govsim.errors import AllocationError

__all__ = ["POLISH_TOLERANCE", "SOLVERS", "AllocationStatus", "GoalOutcome",
           "SolveOutcome", "make_solver", "polish", "solve_model", "solver_version"]

log = logging.getLogger(__name__)

SOLVERS = ("highs", "cbc")
#: Largest violation (relative to the row's limit, or absolute below 1) that polish repairs.
POLISH_TOLERANCE = 1e-5
#: Violations below this (万元 for money rows, people for staffing) are float noise.
_NOISE = 1e-9


class AllocationStatus(Enum):
    """Outcome of an allocation: optimal, or optimal only after relaxing an elastic rule."""

    OPTIMAL = "optimal"
    RELAXED = "relaxed"


@dataclass(frozen=True)
class GoalOutcome:
    """One goal's optimum and what holding it costs the next goal.

    ``price`` is how much better the next goal (``next_goal``, in ``next_unit``) could be with
    this goal dropped: 0 when the goals do not compete, NaN when not computed.
    """

    goal: str
    unit: str
    value: float
    price: float
    next_goal: str
    next_unit: str


@dataclass(frozen=True)
class SolveOutcome:
    """Solver, version, goals, row duals (natural units of ``dual_goal``) and seconds."""

    solver: str
    version: str
    goals: tuple[GoalOutcome, ...]
    dual_goal: str
    duals: dict[str, float]
    seconds: float


@functools.cache
def _highs_available() -> bool:
    try:
        import highspy
    except ImportError:
        return False
    # HiGHS prints a banner on stdout when the process creates its first solver, whatever its
    # options; create that first one with the C-level stdout pointed at /dev/null.
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return bool(pulp.HiGHS(msg=False).available())


def make_solver(name: str) -> pulp.LpSolver:
    """A configured PuLP solver: ``"highs"`` (highspy, in-process) or ``"cbc"`` (bundled)."""
    if name == "cbc":
        return pulp.PULP_CBC_CMD(msg=False)
    if name == "highs":
        if not _highs_available():
            raise AllocationError("solver 'highs' needs the highspy package "
                                  "(pip install highspy); or use --solver cbc")
        return pulp.HiGHS(msg=False)
    raise AllocationError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)}")


@functools.cache  # the installed versions do not change within a process
def solver_version(name: str) -> str:
    """``"pulp 3.3.2 / CBC (bundled)"`` or ``"pulp 3.3.2 / highspy 1.15.1"``."""
    base = f"pulp {pulp.__version__}"
    if name == "highs":
        try:
            return f"{base} / highspy {metadata.version('highspy')}"
        except metadata.PackageNotFoundError:
            return f"{base} / highspy (unknown version)"
    return f"{base} / CBC (bundled)"


def solve_model(model: AllocationModel, solver: str = "highs", *,
                goal_prices: bool = False, threads: int = 1) -> SolveOutcome:
    """Optimise the model's goals in order, in place; duals and (optionally) goal prices.

    The goals are solved as linear programs; with integer variables (whole posts) the linear
    optimum is then rounded (:func:`govsim.allocation.rounding.whole_posts`, every cap kept;
    ``threads`` counties at once, the same plan with any number),
    the posts fixed there and the goals solved again over the continuous variables. Duals and
    goal prices come from the linear pass.

    Raises
    ------
    AllocationError
        For an unknown or unavailable solver, or when a stage cannot be solved (the model is
        elastic, so that means numerical trouble).
    """
    make_solver(solver)
    with collector_paused():  # the county stages' rows and terms, as the model's build
        return _solved(model, solver, goal_prices, threads)


def _solved(model: AllocationModel, solver: str, goal_prices: bool,
            threads: int) -> SolveOutcome:
    started = time.perf_counter()
    # the rows' variables listed once: a large model's rows hold millions of terms
    in_rows = row_variables(model.rows)
    stages: _Stages = HighsStages(model, dict(in_rows)) if solver == "highs" \
        else _PulpStages(model)
    dual_goal = next((g for g in model.goals if g.key == "need"), model.goals[-1])
    values, holds = _ordered(model, stages, dual_goal)
    duals = _duals(model, solver, dual_goal)
    prices = [math.nan] * len(model.goals)
    variables = _variables(model, in_rows)
    integers = [v for v in variables if v.cat == pulp.LpInteger]
    if goal_prices or integers:
        linear = {v: v.varValue for v in variables}
        if goal_prices:
            prices = _prices(model, stages, values, holds)
            _restore(model, linear)
        if integers:
            rounded = whole_posts(model, variables, threads)
            stages.drop_holds(0)
            stages.fix(rounded)
            try:
                values, _ = _ordered(model, stages, None)
            finally:
                stages.unfix()
    polish(model, variables)
    outcomes = []
    for k, goal in enumerate(model.goals):
        nxt = model.goals[k + 1] if k + 1 < len(model.goals) else None
        outcomes.append(GoalOutcome(goal.key, goal.unit, values[k],
                                    prices[k] if nxt else math.nan,
                                    nxt.key if nxt else "", nxt.unit if nxt else ""))
    seconds = time.perf_counter() - started
    log.info("%s solved %d goals of %s in %.3f s", solver, len(model.goals),
             model.problem.name, seconds)
    return SolveOutcome(solver, solver_version(solver), tuple(outcomes), dual_goal.key, duals,
                        seconds)


def _ordered(model: AllocationModel, stages: _Stages,
             dual_goal: Goal | None) -> tuple[list[float], list[tuple[Goal, float]]]:
    """Every goal in order, each held before the next; the optima and the hold bounds."""
    tolerance = model.scenario.policy.goal_tolerance
    values: list[float] = []
    holds: list[tuple[Goal, float]] = []
    for goal in model.goals:
        value = stages.solve(goal, duals=goal is dual_goal)
        values.append(value)
        slack = hold_slack(goal, value, tolerance)
        bound = value + slack if goal.sense == pulp.LpMinimize else value - slack
        holds.append((goal, bound))
        stages.hold(goal, bound)
    return values, holds


def _prices(model: AllocationModel, stages: _Stages, values: list[float],
            holds: list[tuple[Goal, float]]) -> list[float]:
    """For each goal, how much better the next goal gets with this goal (and every later
    hold) dropped, in the next goal's unit."""
    prices = [math.nan] * len(model.goals)
    for k in range(len(model.goals) - 1):
        stages.drop_holds(0)
        for goal, bound in holds[:k]:
            stages.hold(goal, bound)
        nxt = model.goals[k + 1]
        freed = stages.solve(nxt)
        gain = freed - values[k + 1]
        prices[k] = max(0.0, gain if nxt.sense == pulp.LpMaximize else -gain)
    stages.drop_holds(0)
    return prices


def _duals(model: AllocationModel, solver: str, goal: Goal) -> dict[str, float]:
    """Duals of every model row in the stage of ``goal``, per unit of the row's natural limit
    (the cost goal is in 万元: its duals are reported per CNY)."""
    scale = WAN if goal.key == "cost" else 1.0
    duals = {}
    for row in model.rows:
        pi = row.constraint.pi
        if pi is None:
            raise AllocationError(f"{solver} returned no dual for {row.name}")
        duals[row.name] = float(pi) * scale / row.scale
    return duals


def _restore(model: AllocationModel, values: dict[pulp.LpVariable, float | None]) -> None:
    for var, value in values.items():
        var.varValue = value


def _variables(model: AllocationModel,
               in_rows: dict[pulp.LpVariable, None] | None = None) -> list[pulp.LpVariable]:
    """Every variable of the model: its rows' (``in_rows`` when listed already), then the new
    purchases and posts not in a row."""
    seen = row_variables(model.rows) if in_rows is None else in_rows
    seen.update(dict.fromkeys([*model.n.values(), *model.posts.values()]))
    return list(seen)


class _Stages(Protocol):
    def solve(self, goal: Goal, *, duals: bool = False) -> float: ...
    def hold(self, goal: Goal, bound: float) -> None: ...
    def drop_holds(self, keep: int = 0) -> None: ...
    def fix(self, values: dict[pulp.LpVariable, float]) -> None: ...
    def unfix(self) -> None: ...


class _PulpStages:
    """The ordered goals with CBC: a fresh PuLP problem (every row, the holds) per stage,
    solved as a linear program from PuLP's MPS export."""

    def __init__(self, model: AllocationModel) -> None:
        self.model = model
        self.holds: list[tuple[Goal, float]] = []
        self._bounds: dict[pulp.LpVariable, tuple[float | None, float | None]] = {}

    def solve(self, goal: Goal, *, duals: bool = False) -> float:
        problem = pulp.LpProblem(f"{self.model.problem.name}_{goal.key}", goal.sense)
        order: list[Row | None] = []
        for row in self.model.rows:
            problem.addConstraint(row.constraint)
            order.append(row)
        for k, (held, bound) in enumerate(self.holds):
            sense = pulp.LpConstraintLE if held.sense == pulp.LpMinimize \
                else pulp.LpConstraintGE
            problem.addConstraint(pulp.LpConstraint(
                pulp.LpAffineExpression(list(held.expr.items())), sense,
                f"goal_{k}_{held.key}", bound - held.expr.constant))
            order.append(None)
        problem.setObjective(goal.objective)
        for var in [*self.model.n.values(), *self.model.posts.values()]:
            problem.addVariable(var)
        _run_cbc(problem, order if duals else [None] * len(order), make_solver("cbc"))
        return float(pulp.value(goal.expr) or 0.0)

    def hold(self, goal: Goal, bound: float) -> None:
        self.holds.append((goal, bound))

    def drop_holds(self, keep: int = 0) -> None:
        del self.holds[keep:]

    def fix(self, values: dict[pulp.LpVariable, float]) -> None:
        for var, value in values.items():
            self._bounds.setdefault(var, (var.lowBound, var.upBound))
            var.lowBound = var.upBound = value

    def unfix(self) -> None:
        for var, (low, up) in self._bounds.items():
            var.lowBound, var.upBound = low, up
        self._bounds.clear()


def _run_cbc(problem: pulp.LpProblem, order: list[Row | None], engine: pulp.LpSolver) -> None:
    """Solve the linear program with PuLP's bundled CBC binary, reading the binary solution
    (full precision)."""
    with tempfile.TemporaryDirectory(prefix="govsim-cbc-") as folder:
        mps, text, binary = (str(Path(folder) / n) for n in ("model.mps", "sol.txt", "sol.bin"))
        variables = problem.writeMPS(mps, rename=True, mip=False)[0]
        command = [engine.path, mps]
        if problem.sense == pulp.LpMaximize:
            command.append("-max")
        command += ["-initialSolve", "-saveSolution", binary, "-solution", text]
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        head = Path(text).read_text().split("\n", 1)[0] if Path(text).exists() else ""
        if not head.startswith("Optimal"):
            raise AllocationError(f"cbc did not solve {problem.name}: "
                                  f"{head or run.stdout[-300:]}")
        data = Path(binary).read_bytes()
    rows, cols = (int(n) for n in np.frombuffer(data[:8], dtype=np.int32))
    values = np.frombuffer(data[8:], dtype=np.float64)
    duals = values[1 + rows: 1 + 2 * rows]
    primal = values[1 + 2 * rows: 1 + 2 * rows + cols]
    for var, value in zip(variables, primal, strict=True):
        var.varValue = float(value)
    for row, pi in zip(order, duals, strict=True):  # rows are in the problem's order
        if row is not None:
            row.constraint.pi = float(pi)
    problem.assignStatus(pulp.LpStatusOptimal)


# -- polishing ------------------------------------------------------------------------------------

def polish(model: AllocationModel, variables: list[pulp.LpVariable] | None = None) -> None:
    """Repair solver rounding in place: integers rounded, values clipped to their bounds, money
    rows trimmed to their limits (continuous purchases first), staffing sums raised.
    ``variables``: the model's variables, when the caller has listed them already."""
    # solvers return −1e-7 for a bound of 0, 2.9999999 for 3
    for var in variables or _variables(model):
        value = var.varValue or 0.0
        if var.cat == pulp.LpInteger:
            value = float(round(value))
        if var.lowBound is not None:
            value = max(value, var.lowBound)
        if var.upBound is not None:
            value = min(value, var.upBound)
        var.varValue = value
    for row in model.rows:
        if row.rule in ("relief-cap", "funding-sources") and row.sense == pulp.LpConstraintLE:
            _trim_to(row)


def _activity(row: Row) -> float:
    return sum(coef * (var.varValue or 0.0) for var, coef in row.expr.items())


def _trim_to(row: Row) -> None:
    """A ≤ money row a hair over its limit (with no over-variable in use): lower the continuous
    purchases that push it up, or raise the continuous payments (lottery money) that pull it
    down, within their bounds."""
    if row.elastic is not None and (row.elastic.varValue or 0.0) > _NOISE:
        return
    excess = _activity(row) - row.rhs
    if excess <= _NOISE or excess > POLISH_TOLERANCE * max(1.0, abs(row.rhs)) + 1.0:
        return
    movable = sorted(((var, coef) for var, coef in row.expr.items()
                      if var.cat != pulp.LpInteger and coef != 0.0),
                     key=lambda vc: (vc[1] < 0, -abs(vc[1]) * (vc[0].varValue or 0.0)))
    for var, coef in movable:
        value = var.varValue or 0.0
        room = value if coef > 0 else (math.inf if var.upBound is None else var.upBound - value)
        step = min(room, excess / abs(coef))
        if step <= 0:
            continue
        var.varValue = value - step if coef > 0 else value + step
        excess -= step * abs(coef)
        if excess <= 0.0:
            return
