"""One county's whole-post stage as a HiGHS mixed-integer program, built directly in ``highspy``.

:mod:`govsim.allocation.rounding` solves each county's ordered goals as small MILPs — up to
four per county and allocation, several allocations per plan year. Building each through a
PuLP problem cost more Python than HiGHS needed for most of them, so the stage is handed to
HiGHS here as arrays. The model HiGHS receives is the one PuLP's ``HiGHS`` interface would
build from the same rows (columns sorted by name, a maximised objective negated, zero
coefficients dropped, the same options), so the plans are the same to the last bit;
``tests/allocation/test_milp.py`` checks that against PuLP.

A stage whose every input repeats (same columns, bounds, rows, holds and objective — common
between the check rounds of a year, and between runs in one process of a sweep or a
comparison) is not solved again: HiGHS is deterministic, so the remembered solution is the one
it would return. Units are the model's (people, hours, 万元).
"""

from __future__ import annotations

import copy
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pulp

if TYPE_CHECKING:
    import highspy

__all__ = ["MilpSolution", "MilpStage", "clear_memo", "memo_size"]

#: HiGHS's primal heuristics that cost these small MILPs most of their time (sub-MIPs at the
#: root: 0.3-0.6 s of a Guang'an need stage); branching alone finds the plan in most stages.
HEURISTICS_OFF = {"mip_heuristic_run_feasibility_jump": False,
                  "mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}
#: Stages remembered per process (a stage's solution is a few hundred floats).
MEMO_SIZE = 4096
_MEMO: OrderedDict[bytes, MilpSolution] = OrderedDict()
#: Counties' stages are solved in threads (:mod:`govsim.allocation.rounding`)
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class MilpSolution:
    """HiGHS's answer: column values in the stage's column order, and its model status."""

    values: np.ndarray
    status: str
    #: True when HiGHS stopped at a limit (nodes or the clock; the plan is its best, not proved)
    limited: bool
    #: True when the model had no usable solution
    failed: bool
    #: True when HiGHS proved the model infeasible (PuLP's ``LpStatusInfeasible``)
    infeasible: bool = False
    #: True when the clock stopped it (the plan then depends on the machine's load)
    clock: bool = False
    #: the relative gap HiGHS proved between this plan and the best plan there can be
    gap: float = math.nan
    #: branch-and-bound nodes HiGHS explored
    nodes: int = 0


class MilpStage:
    """A stage's MILP: rows ``(coefficients, sense, rhs)``, an objective and its sense.

    Parameters
    ----------
    rows
        Each row's coefficients by variable (in the row's own order), PuLP sense
        (``LpConstraintLE``/``GE``/``EQ``) and right-hand side.
    objective
        The expression optimised (its constant is ignored, as PuLP's HiGHS interface does).
    sense
        ``pulp.LpMaximize`` or ``pulp.LpMinimize``.
    start
        When true, the columns' current values (``varValue``, integers rounded) are handed to
        HiGHS as a first plan — the county's previous stage, which meets every row and hold of
        this one: branch and bound then starts with a plan instead of searching for one. A
        start HiGHS finds infeasible is ignored (HiGHS checks it). Part of the stage's inputs:
        the same rows with another start are another stage.
    """

    def __init__(self, rows: Iterable[tuple[Mapping[pulp.LpVariable, float], int, float]],
                 objective: pulp.LpAffineExpression, sense: int, *, start: bool = False) -> None:
        self.rows = list(rows)
        # PuLP registers the rows' variables, then the objective's, and sorts them by name
        seen: dict[pulp.LpVariable, None] = {}
        for coefs, _, _ in self.rows:
            seen.update(dict.fromkeys(coefs))
        seen.update(dict.fromkeys(objective.keys()))
        self.columns = sorted(seen, key=lambda v: v.name)
        index = {v: k for k, v in enumerate(self.columns)}
        mult = -1 if sense == pulp.LpMaximize else 1
        inf = math.inf
        self.cost = np.array([mult * objective.get(v, 0.0) for v in self.columns], dtype=float)
        self.lower = np.array([-inf if v.lowBound is None else v.lowBound for v in self.columns],
                              dtype=float)
        self.upper = np.array([inf if v.upBound is None else v.upBound for v in self.columns],
                              dtype=float)
        self.integer = np.array([v.cat == pulp.LpInteger for v in self.columns], dtype=bool)
        self.start = _start(self.columns, self.integer) if start else None
        starts, indices, values, row_lower, row_upper = [0], [], [], [], []
        for coefs, row_sense, rhs in self.rows:
            row_values = list(coefs.values())
            if 0 in row_values:  # rare: zero coefficients are dropped, as PuLP's interface does
                kept = [(var, coef) for var, coef in coefs.items() if coef != 0]
                indices.extend(index[var] for var, _ in kept)
                values.extend(coef for _, coef in kept)
            else:
                indices.extend(map(index.__getitem__, coefs.keys()))
                values.extend(row_values)
            starts.append(len(indices))
            bound = -(0 - rhs)  # PuLP keeps a row's constant as −rhs and returns its negative
            row_lower.append(bound if row_sense != pulp.LpConstraintLE else -inf)
            row_upper.append(bound if row_sense != pulp.LpConstraintGE else inf)
        self.starts = np.array(starts, dtype=np.int32)
        self.indices = np.array(indices, dtype=np.int32)
        self.values = np.array(values, dtype=float)
        self.row_lower = np.array(row_lower, dtype=float)
        self.row_upper = np.array(row_upper, dtype=float)

    def key(self, gap: float, seconds: float, nodes: int | None = None,
            heuristics: bool = True, presolve: bool = True) -> bytes:
        """A digest of everything HiGHS is given: equal keys, equal solutions."""
        digest = hashlib.blake2b(digest_size=20)
        digest.update("\x1f".join(v.name for v in self.columns).encode())
        for array in (self.cost, self.lower, self.upper, self.integer, self.starts,
                      self.indices, self.values, self.row_lower, self.row_upper):
            digest.update(b"|")
            digest.update(array.tobytes())
        digest.update(b"|no start" if self.start is None else b"|" + self.start.tobytes())
        digest.update(np.array([gap, seconds, -1 if nodes is None else nodes,
                                float(heuristics), float(presolve)]).tobytes())
        return digest.digest()

    def solve(self, gap: float, seconds: float, nodes: int | None = None,
              heuristics: bool = True, presolve: bool = True,
              stop: threading.Event | None = None) -> MilpSolution:
        """HiGHS's plan within relative ``gap`` of the best, or its best after ``nodes``
        branch-and-bound nodes (a limit on work, so the plan stays a function of the inputs);
        ``seconds`` is a safety net; ``heuristics=False`` switches off
        :data:`HEURISTICS_OFF`; ``presolve=False`` HiGHS's presolve. Remembered per process
        for identical stages. ``stop``: HiGHS is interrupted once it is set (a solve whose
        plan is no longer wanted); the answer is then marked ``clock``, and not remembered."""
        key = self.key(gap, seconds, nodes, heuristics, presolve)
        with _MEMO_LOCK:
            known = _MEMO.get(key)
            if known is not None:
                _MEMO.move_to_end(key)
                return known
        solution = self._run(gap, seconds, nodes, heuristics, self.start, presolve, stop)
        if not solution.clock:  # a plan cut off by the clock is not a function of the inputs
            with _MEMO_LOCK:
                _MEMO[key] = solution
                if len(_MEMO) > MEMO_SIZE:
                    _MEMO.popitem(last=False)
        return solution

    def _run(self, gap: float, seconds: float, nodes: int | None, heuristics: bool,
             start: np.ndarray | None, presolve: bool = True,
             stop: threading.Event | None = None) -> MilpSolution:
        import highspy

        from govsim.allocation.highs import new_highs

        highs = new_highs()
        if stop is not None:
            _interrupt_on(highs, stop)
        highs.setOptionValue("mip_rel_gap", gap)
        highs.setOptionValue("time_limit", float(seconds))
        if nodes is not None:
            highs.setOptionValue("mip_max_nodes", int(nodes))
        if not heuristics:
            for name, value in HEURISTICS_OFF.items():
                highs.setOptionValue(name, value)
        if not presolve:
            highs.setOptionValue("presolve", "off")
        n = len(self.columns)
        # all columns, then all rows, in one call each: the model PuLP's interface hands over
        # one column and one row at a time (tests/allocation/test_milp.py: the same plans)
        highs.addCols(n, self.cost, self.lower, self.upper, 0, np.zeros(0, np.int32),
                      np.zeros(0, np.int32), np.zeros(0))
        integers = np.flatnonzero(self.integer).astype(np.int32)
        if len(integers):
            highs.changeColsIntegrality(len(integers), integers, np.full(
                len(integers), highspy.HighsVarType.kInteger))
        if len(self.row_lower):
            highs.addRows(len(self.row_lower), self.row_lower, self.row_upper,
                          len(self.indices), self.starts[:-1], self.indices, self.values)
        if start is not None:
            highs.setSolution(_solution(start))
        highs.run()
        if start is not None and _returned_start(highs, self.cost):
            # HiGHS 1.16 can return the start itself as the plan when presolve reduced the
            # stage and the start was optimal in the reduced space (the objective it reports
            # is the reduced plan's, the columns are the start's): solve again without it
            return self._run(gap, seconds, nodes, heuristics, None, presolve, stop)
        status = highs.getModelStatus()
        values = np.array(highs.getSolution().col_value, dtype=float)
        name = highs.modelStatusToString(status)
        kinds = highspy.HighsModelStatus
        clock = status in (kinds.kTimeLimit, kinds.kInterrupt)
        limited = clock or status in (kinds.kIterationLimit, kinds.kSolutionLimit,
                                      kinds.kObjectiveBound, kinds.kObjectiveTarget)
        info = highs.getInfo()
        # a limit reached before any plan was found leaves no solution (HiGHS may still fill
        # the columns: the solution status tells)
        found = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        failed = not (status == kinds.kOptimal or (limited and found))
        infeasible = status in (kinds.kInfeasible, kinds.kUnboundedOrInfeasible)
        gap_proved = float(info.mip_gap) if not failed else math.nan
        return MilpSolution(values, name, limited, failed, infeasible, clock=clock,
                            gap=gap_proved, nodes=int(info.mip_node_count))

    def admitting_current(self, start: bool = False) -> MilpStage:
        """This stage with each row widened just enough that the columns' current values
        (integers rounded) meet it exactly — and, with ``start``, those values as its start
        (a plan from the first node) — or itself when a column has no value.

        A county's previous plan meets the next stage's rows only within HiGHS's feasibility
        tolerance (a shared fund used to 10⁻⁷ 万元 past the county's share of it); a stage held at
        that edge can be called infeasible although the plan is there (Guang'an sensitivity
        sweep, point 149). Widened, the plan meets the rows exactly.
        """
        values = _start(self.columns, self.integer)
        if values is None:
            return self
        rows = np.repeat(np.arange(len(self.row_lower)), np.diff(self.starts))
        activity = np.bincount(rows, weights=self.values * values[self.indices],
                               minlength=len(self.row_lower))
        widened = copy.copy(self)
        widened.row_lower = np.minimum(self.row_lower, activity)
        widened.row_upper = np.maximum(self.row_upper, activity)
        if start:
            widened.start = values
        return widened

    def assign(self, solution: MilpSolution) -> None:
        """Give every column its value (``varValue``), as PuLP does after a solve."""
        for var, value in zip(self.columns, solution.values.tolist(), strict=True):
            var.varValue = value


def _interrupt_on(highs: highspy.Highs, stop: threading.Event) -> None:
    """Have HiGHS stop (status 'Interrupted') at its next check once ``stop`` is set. The
    callback does not change HiGHS's search: an uninterrupted solve returns the same plan."""
    import highspy

    def check(kind: int, message: str, data_out: object, data_in: object,
              user_data: object) -> None:
        if stop.is_set():
            data_in.user_interrupt = True  # type: ignore[attr-defined]

    highs.setCallback(check, None)
    highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)


def _start(columns: list[pulp.LpVariable], integer: np.ndarray) -> np.ndarray | None:
    """The columns' current values as a start (integers rounded), or None if one has none."""
    if any(v.varValue is None for v in columns):
        return None
    values = np.array([float(v.varValue) for v in columns], dtype=float)
    values[integer] = np.round(values[integer])
    return values


def _solution(values: np.ndarray) -> highspy.HighsSolution:
    import highspy

    solution = highspy.HighsSolution()
    solution.col_value = values.tolist()
    solution.value_valid = True
    return solution


def _returned_start(highs: highspy.Highs, cost: np.ndarray) -> bool:
    """True when the columns HiGHS returned are not worth the objective it reports."""
    import highspy

    info = highs.getInfo()
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return False
    worth = float(cost @ np.array(highs.getSolution().col_value, dtype=float))
    reported = float(info.objective_function_value)
    return abs(worth - reported) > 1e-9 * max(1.0, abs(reported))


def clear_memo() -> None:
    """Forget every remembered stage (benchmarks time cold solves)."""
    with _MEMO_LOCK:
        _MEMO.clear()


def memo_size() -> int:
    """Number of stages remembered in this process."""
    return len(_MEMO)
