"""The ordered goals on one in-process HiGHS model (``highspy``), as linear programs.

The PuLP model is translated once into a :class:`highspy.Highs` instance (columns with bounds,
one row per registered :class:`~govsim.allocation.model.Row`; integrality is left to
:mod:`govsim.allocation.rounding`). Each stage then only changes the objective and appends the
hold row of the goal just solved, so HiGHS starts every stage from the previous basis: the
stages after the first cost a few dual-simplex iterations each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pulp

from govsim.allocation.model import AllocationModel, Goal, row_variables
from govsim.errors import AllocationError

if TYPE_CHECKING:
    import highspy

__all__ = ["HIGHS_THREADS", "HighsStages", "new_highs"]

log = logging.getLogger(__name__)

#: HiGHS's ``simplex_strategy`` values: its own choice, and primal simplex.
_CHOOSE, _PRIMAL = 0, 4
#: Threads of every HiGHS solve in govsim. HiGHS's default is the machine's cores, and its
#: branch and bound can return a different plan (within its gap) with another thread count: a
#: plan made on a laptop and one made on a server would differ. One thread makes a plan a
#: function of the inputs alone, and is faster here besides (the county MILPs are small; a
#: sweep or a run's workers use the cores).
HIGHS_THREADS = 1


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance on :data:`HIGHS_THREADS` threads — the one way govsim makes one.

    HiGHS sizes its thread pool once per process, at its first run; every instance must ask
    for the same count, or HiGHS refuses to run it.
    """
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", HIGHS_THREADS)
    return highs


@dataclass
class _Columns:
    index: dict[str, int]
    variables: list[pulp.LpVariable]


class HighsStages:
    """One HiGHS model of an allocation model, solved goal by goal."""

    def __init__(self, model: AllocationModel,
                 in_rows: dict[pulp.LpVariable, None] | None = None) -> None:
        """``in_rows``: :func:`row_variables` of the model's rows, when listed already (it is
        extended here)."""
        import highspy

        self.model = model
        self.highs = new_highs()
        self._tight()
        self._inf = highspy.kHighsInf
        self.columns = self._add_columns(in_rows)
        self._add_rows()
        self.holds = 0
        #: True when the last solution is still feasible (a hold row it meets was added since):
        #: the next stage then starts with primal simplex from it
        self._primal_start = False

    def _tight(self) -> None:
        # money rows are in 万元: HiGHS's default 1e-7 would let a cap slip by a fen
        self.highs.setOptionValue("primal_feasibility_tolerance", 1e-10)
        self.highs.setOptionValue("dual_feasibility_tolerance", 1e-10)

    def _renew(self) -> None:
        """Carry the model (rows, holds, bounds, objective) over to a new HiGHS instance.

        A start from scratch on the instance that solved the earlier stages (``clearSolver``)
        is not a new solve: with 183 counties and another county-sharing rule (tried, not
        kept), a 2027 cost stage ended 'Unknown' after every retry on its instance, twice in
        one run; on a new instance given the same model both were optimal at once (5.0 and
        5.4 s). The retries on the instance come first, so that every plan that was solved
        before is solved as before.
        """
        model = self.highs.getLp()
        self.highs = new_highs()
        self._tight()
        self.highs.passModel(model)

    def _add_columns(self, in_rows: dict[pulp.LpVariable, None] | None) -> _Columns:
        variables = row_variables(self.model.rows) if in_rows is None else in_rows
        variables.update(dict.fromkeys(self.model.n.values()))
        for goal in self.model.goals:
            variables.update(dict.fromkeys(goal.objective.keys()))
        ordered = list(variables)
        lower = np.array([-self._inf if v.lowBound is None else v.lowBound for v in ordered])
        upper = np.array([self._inf if v.upBound is None else v.upBound for v in ordered])
        self.highs.addVars(len(ordered), lower, upper)
        self._lower, self._upper = lower, upper
        return _Columns({v.name: k for k, v in enumerate(ordered)}, ordered)

    def _row(self, expr: pulp.LpAffineExpression | pulp.LpConstraint) -> tuple[np.ndarray,
                                                                                np.ndarray]:
        idx = np.fromiter((self.columns.index[v.name] for v in expr), dtype=np.int32)
        val = np.fromiter(expr.values(), dtype=float)
        return idx, val

    def _add_rows(self) -> None:
        # one call for every row: the same rows as one addRow each, without a call and two
        # small arrays per row (a third of the build of a need plan's HiGHS model)
        column = {v: k for k, v in enumerate(self.columns.variables)}
        lower, upper, starts = [], [], []
        idx: list[int] = []
        val: list[float] = []
        for row in self.model.rows:
            constraint = row.constraint
            low, up = self._bounds(constraint.sense, -constraint.constant)
            lower.append(low)
            upper.append(up)
            starts.append(len(idx))
            # a variable is its name (one name each): looked up by the object, term by term
            idx.extend(map(column.__getitem__, constraint.expr.keys()))
            val.extend(constraint.expr.values())
        if lower:
            self.highs.addRows(len(lower), np.array(lower, dtype=float),
                               np.array(upper, dtype=float), len(idx),
                               np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32),
                               np.array(val, dtype=float))

    def _bounds(self, sense: int, bound: float) -> tuple[float, float]:
        if sense == pulp.LpConstraintLE:
            return -self._inf, bound
        if sense == pulp.LpConstraintGE:
            return bound, self._inf
        return bound, bound

    def solve(self, goal: Goal, *, duals: bool = False) -> float:
        """Optimise ``goal`` under the rows and holds so far; variables take the solution (and
        the model rows' ``pi`` the duals, in PuLP's convention for the goal's sense)."""
        import highspy

        n = len(self.columns.variables)
        cost = np.zeros(n)
        for var, coef in goal.objective.items():
            cost[self.columns.index[var.name]] = coef
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        self.highs.changeObjectiveOffset(goal.objective.constant)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize if goal.sense ==
                                        pulp.LpMaximize else highspy.ObjSense.kMinimize)
        # After a goal is held, its optimum stays feasible and only the objective changes:
        # primal simplex continues from it (183 counties: the cost stage took 57,521 dual
        # iterations, 76 s, and takes 3,833 primal ones, 1.5 s).
        self.highs.setOptionValue("simplex_strategy", _PRIMAL if self._primal_start else _CHOOSE)
        self.highs.run()
        status = self.highs.getModelStatus()
        # Warm starts occasionally end in "unknown" on badly scaled data (a priority of 1e-7
        # next to one of 5): solve again from scratch, then without presolve, then by IPM, then
        # at HiGHS's default tolerances — and if none of that solves it, all four once more,
        # each on a new instance (_renew).
        loose = {"primal_feasibility_tolerance": 1e-7, "dual_feasibility_tolerance": 1e-7}
        retries = ({}, {"presolve": "off"}, {"solver": "ipm"}, loose)
        for renew, retry in [(False, r) for r in retries] + [(True, r) for r in retries]:
            if status == highspy.HighsModelStatus.kOptimal:
                break
            log.info("highs: %s stage %s; solving again with %s%s", goal.key,
                     self.highs.modelStatusToString(status), retry or "a fresh start",
                     " on a new instance" if renew else "")
            if renew:
                self._renew()
            else:
                self.highs.clearSolver()
            # the retries are HiGHS's own choice of method, as before the primal warm start
            self.highs.setOptionValue("simplex_strategy", _CHOOSE)
            for name, value in retry.items():
                self.highs.setOptionValue(name, value)
            self.highs.run()
            status = self.highs.getModelStatus()
        self.highs.setOptionValue("presolve", "choose")
        self.highs.setOptionValue("solver", "choose")
        self._tight()
        self._primal_start = False
        if status != highspy.HighsModelStatus.kOptimal:
            raise AllocationError(f"highs did not solve the {goal.key} stage of "
                                  f"{self.model.problem.name}: "
                                  f"{self.highs.modelStatusToString(status)}")
        solution = self.highs.getSolution()
        for var, value in zip(self.columns.variables, solution.col_value, strict=True):
            var.varValue = float(value)
        if duals:
            for row, pi in zip(self.model.rows, solution.row_dual, strict=False):
                row.constraint.pi = float(pi)
        return float(pulp.value(goal.expr) or 0.0)

    def hold(self, goal: Goal, bound: float) -> None:
        """Keep ``goal`` at ``bound`` (≤ for a goal minimised, ≥ for one maximised)."""
        sense = pulp.LpConstraintLE if goal.sense == pulp.LpMinimize else pulp.LpConstraintGE
        rhs = bound - goal.expr.constant
        # Held in units of its own bound: need met is of order 10⁷ hours in a province, and a
        # row of that size cannot be met to the 1e-10 tolerance money rows need (below double
        # precision); HiGHS then ended a 183-county cost stage 'Unknown' whatever it tried.
        scale = 1.0 / max(1.0, abs(rhs))
        lower, upper = self._bounds(sense, rhs * scale)
        idx, val = self._row(goal.expr)
        self.highs.addRow(lower, upper, len(idx), idx, val * scale)
        self.holds += 1
        self._primal_start = True

    def drop_holds(self, keep: int = 0) -> None:
        """Remove the hold rows after the first ``keep``."""
        total = self.highs.getNumRow()
        first = total - self.holds + keep
        if first < total:
            self.highs.deleteRows(total - first, np.arange(first, total, dtype=np.int32))
        self.holds = keep
        self._primal_start = False  # the last optimum was for other holds

    def fix(self, values: dict[pulp.LpVariable, float]) -> None:
        """Fix these variables at these values (both bounds)."""
        idx = np.array([self.columns.index[v.name] for v in values], dtype=np.int32)
        vals = np.array(list(values.values()), dtype=float)
        if len(idx):
            self.highs.changeColsBounds(len(idx), idx, vals, vals)
        self._primal_start = False  # the last optimum need not meet the fixed bounds

    def unfix(self) -> None:
        """Restore every column's own bounds."""
        n = len(self.columns.variables)
        self.highs.changeColsBounds(n, np.arange(n, dtype=np.int32), self._lower, self._upper)
        self._primal_start = False
