"""Solving an allocation model with CBC or HiGHS, and reading its shadow prices.

Shadow prices are returned in one convention whatever the solver: the change of the objective
(in its natural unit — priority-weighted cases for ``max_coverage``, CNY for ``min_cost``) per
unit increase of the row's right-hand side in the row's natural unit (CNY for money rows,
posts, FTE or cases otherwise). PuLP's CBC interface reports duals in the problem's own sense;
its HiGHS interface reports those of the minimisation it hands to HiGHS, so a maximisation's
duals are negated here. For a MILP (``integer_posts``) the LP relaxation is solved first for
the duals, then the MILP for the allocation.

CBC is PuLP's bundled binary, but run here rather than through ``PULP_CBC_CMD``: PuLP reads
CBC's text solution, which has 8 significant digits, so a purchase exactly at a 3 million CNY
cap came back a few fen over it and a staffing sum of exactly 26 as 25.9999999 — enough to fail
the compliance check (half a fen, 10⁻⁹ FTE). CBC's ``-saveSolution`` file holds the primal and
dual values as binary doubles; that is what is read. :func:`polish` then repairs what is left
of the solvers' feasibility tolerance (at most ``POLISH_TOLERANCE`` relative): staffing sums
are raised to their requirement, purchases trimmed to every money limit, preferring purchases
that do not count toward a staffing rule.

HiGHS runs its interior-point method (``solver="ipm"``) with crossover on, so that the answer
is a basic solution with proper duals; the MILP uses HiGHS's own choice for the relaxations.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path

import numpy as np
import pulp

from govsim.allocation.model import WAN, AllocationError, AllocationModel, Row

__all__ = ["POLISH_TOLERANCE", "SOLVERS", "AllocationStatus", "SolveOutcome", "make_solver",
           "polish", "solve_model", "solver_version"]

log = logging.getLogger(__name__)

SOLVERS = ("cbc", "highs")
#: Largest violation (relative to the row's limit, or absolute below 1) that polish repairs.
POLISH_TOLERANCE = 1e-5
#: Relative optimality gap and time limit (s) of a CBC MILP; its LP relaxation gives the duals.
MIP_GAP = 1e-4
MIP_SECONDS = 60.0
#: Violations below this (万元 for money rows, posts for staffing) are float noise, not repaired.
_NOISE = 1e-9


class AllocationStatus(Enum):
    """Outcome of an allocation: optimal, or optimal only after relaxing an elastic rule."""

    OPTIMAL = "optimal"
    RELAXED = "relaxed"


@dataclass(frozen=True)
class SolveOutcome:
    """Solver name and version, row duals (natural units) and solve seconds."""

    solver: str
    version: str
    duals: dict[str, float]
    seconds: float


def _highs_available() -> bool:
    try:
        return bool(pulp.HiGHS(msg=False).available())
    except Exception:  # PuLP raises its own errors when highspy cannot load
        return False


def make_solver(name: str, *, mip: bool = False) -> pulp.LpSolver:
    """A configured PuLP solver: ``"cbc"`` (bundled) or ``"highs"`` (needs ``highspy``)."""
    if name == "cbc":
        return pulp.PULP_CBC_CMD(msg=False, gapRel=MIP_GAP, timeLimit=MIP_SECONDS)
    if name == "highs":
        if not _highs_available():
            raise AllocationError("solver 'highs' needs the highspy package "
                                  "(pip install 'govsim[highs]'); or use --solver cbc")
        if mip:
            return pulp.HiGHS(msg=False, gapRel=MIP_GAP, timeLimit=MIP_SECONDS)
        return pulp.HiGHS(msg=False, solver="ipm", run_crossover="on")
    raise AllocationError(f"unknown solver {name!r}; choose one of {', '.join(SOLVERS)}")


def solver_version(name: str) -> str:
    """``"pulp 3.3.2 / CBC (bundled)"`` or ``"pulp 3.3.2 / highspy 1.15.1"``."""
    base = f"pulp {pulp.__version__}"
    if name == "highs":
        try:
            return f"{base} / highspy {metadata.version('highspy')}"
        except metadata.PackageNotFoundError:
            return f"{base} / highspy (unknown version)"
    return f"{base} / CBC (bundled)"


def solve_model(model: AllocationModel, solver: str = "cbc") -> SolveOutcome:
    """Solve ``model`` in place; return duals of every registered row (natural units).

    Raises
    ------
    AllocationError
        For an unknown or unavailable solver, or when the solver does not report an optimum
        (the elastic model is feasible by construction, so this means numerical trouble).
    """
    started = time.perf_counter()
    integers = [v for v in model.problem.variables() if v.cat == pulp.LpInteger]
    for var in integers:
        var.cat = pulp.LpContinuous
    _run(model, make_solver(solver), solver, "LP" if not integers else "LP relaxation")
    duals = _duals(model, solver)
    if integers:
        for var in integers:
            var.cat = pulp.LpInteger
        _run(model, make_solver(solver, mip=True), solver, "MILP")
    polish(model)
    seconds = time.perf_counter() - started
    log.info("%s solved %s in %.3f s", solver, model.problem.name, seconds)
    return SolveOutcome(solver, solver_version(solver), duals, seconds)


def _run(model: AllocationModel, engine: pulp.LpSolver, solver: str, what: str) -> None:
    if solver == "cbc":
        _run_cbc(model, engine, what)
        return
    status = model.problem.solve(engine)
    if status != pulp.LpStatusOptimal:
        raise AllocationError(f"{solver} did not solve the {what} of {model.problem.name}: "
                              f"{pulp.LpStatus.get(status, status)}")


def _run_cbc(model: AllocationModel, engine: pulp.LpSolver, what: str) -> None:
    """Solve with PuLP's bundled CBC binary, reading the binary solution (full precision)."""
    problem = model.problem
    mip = what == "MILP"
    with tempfile.TemporaryDirectory(prefix="govsim-cbc-") as folder:
        mps, text, binary = (str(Path(folder) / n) for n in ("model.mps", "sol.txt", "sol.bin"))
        variables = problem.writeMPS(mps, rename=True, mip=mip)[0]
        command = [engine.path, mps]
        if problem.sense == pulp.LpMaximize:
            command.append("-max")
        if mip:
            command += ["-ratioGap", str(MIP_GAP), "-sec", str(MIP_SECONDS), "-solve"]
        else:
            command.append("-initialSolve")
        command += ["-saveSolution", binary, "-solution", text]
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        head = Path(text).read_text().split("\n", 1)[0] if Path(text).exists() else ""
        if not head.startswith("Optimal") and not (mip and "objective value" in head):
            raise AllocationError(f"cbc did not solve the {what} of {problem.name}: "
                                  f"{head or run.stdout[-300:]}")
        if not head.startswith("Optimal"):
            log.warning("cbc stopped before proving optimality of the MILP: %s", head)
        data = Path(binary).read_bytes()
    rows, cols = (int(n) for n in np.frombuffer(data[:8], dtype=np.int32))
    values = np.frombuffer(data[8:], dtype=np.float64)
    duals = values[1 + rows: 1 + 2 * rows]
    primal = values[1 + 2 * rows: 1 + 2 * rows + cols]
    for var, value in zip(variables, primal, strict=True):
        var.varValue = float(value)
        if mip and var.cat == pulp.LpInteger and abs(value - round(value)) > 1e-6:
            raise AllocationError(f"cbc found no whole-post solution of {problem.name} within "
                                  f"{MIP_SECONDS:.0f} s ({head}); try integer_posts=False")
    for row, pi in zip(model.rows, duals, strict=True):  # rows are in the problem's order
        row.constraint.pi = float(pi)
    problem.assignStatus(pulp.LpStatusOptimal)


def _duals(model: AllocationModel, solver: str) -> dict[str, float]:
    flip = -1.0 if solver == "highs" and model.problem.sense == pulp.LpMaximize else 1.0
    duals = {}
    for row in model.rows:
        pi = row.constraint.pi
        if pi is None:
            raise AllocationError(f"{solver} returned no dual for {row.name}")
        duals[row.name] = flip * float(pi) * model.objective_scale / row.scale
    return duals


def polish(model: AllocationModel) -> None:
    """Repair solver rounding in place so that the solution meets every hard limit exactly."""
    counting = {i.id for i in model.scenario.items if i.counts_toward != "none"}
    protected = {id(w) for (_, i, _), w in model.w.items() if i in counting}
    for var in model.problem.variables():  # solvers return −1e-7 for a bound of 0
        value = var.varValue or 0.0
        if var.lowBound is not None:
            value = max(value, var.lowBound)
        if var.upBound is not None:
            value = min(value, var.upBound)
        var.varValue = value
    cell_cost: dict[tuple[str, str], float] = {}
    for (c, i, p), w in model.w.items():
        cell_cost[c, i] = cell_cost.get((c, i), 0.0) + (w.varValue or 0.0) * model.cost[p] / WAN
    for key, var in model.lottery.items():
        var.varValue = min(max(var.varValue or 0.0, 0.0), cell_cost.get(key, 0.0))
    by_rule: dict[str, list[Row]] = {}
    for row in model.rows:
        by_rule.setdefault(row.rule, []).append(row)
    for row in by_rule.get("caseworker-ratio", []) + by_rule.get("child-welfare-staff", []):
        _raise_to(row)
    money = [r for r in by_rule.get("funding-sources", []) if r.name == "fund[lottery]"]
    money += [r for r in by_rule.get("funding-sources", []) if r.name != "fund[lottery]"
              and not r.name.startswith("fund-split")]
    for row in money + by_rule.get("relief-cap", []):
        _trim_to(row, protected, sign=1.0)
    for row in by_rule.get("social-org-share", []):
        _trim_to(row, protected, sign=-1.0)


def _activity(row: Row) -> float:
    return sum(coef * (var.varValue or 0.0) for var, coef in row.expr.items())


def _raise_to(row: Row) -> None:
    """A >= staffing row a hair short: add the missing FTE to its largest purchase."""
    deficit = row.rhs - _activity(row)
    if not _NOISE < deficit <= POLISH_TOLERANCE * max(1.0, abs(row.rhs)):
        return
    var = max(row.expr, key=lambda v: v.varValue or 0.0, default=None)
    if var is not None and (var.varValue or 0.0) > 0.0:
        var.varValue = (var.varValue or 0.0) + deficit * (1.0 + 1e-9)


def _trim_to(row: Row, protected: set[int], sign: float) -> None:
    """A <= money row a hair over (sign 1), or the >= social-org row a hair short (sign −1):
    lower the purchases that push it the wrong way, unprotected ones first."""
    excess = sign * (_activity(row) - row.rhs)
    if excess <= _NOISE or excess > POLISH_TOLERANCE * max(1.0, abs(row.rhs)) + 1.0:
        return
    candidates = sorted(((var, coef) for var, coef in row.expr.items()
                         if sign * coef > 0 and (var.varValue or 0.0) > 0.0),
                        key=lambda vc: (id(vc[0]) in protected, -sign * vc[1] * vc[0].varValue))
    for var, coef in candidates:
        cut = min(var.varValue, excess / (sign * coef))
        var.varValue -= cut
        excess -= cut * sign * coef
        if excess <= 0.0:
            return
