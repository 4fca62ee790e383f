"""Whole-post stages recorded from real runs (``tests/fixtures/stages/*.npz``): the arrays
HiGHS was given (columns, bounds, rows), ``names`` of the columns and ``previous``, the county's
plan from the stage before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pulp

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stages"


def recorded_stage(path: Path
                   ) -> tuple[list, pulp.LpAffineExpression, list[pulp.LpVariable], dict]:
    """The stage recorded in ``path`` as the rows ``rounding._stage`` takes, its objective
    (minimised), its columns holding the previous plan, and the arrays."""
    data = dict(np.load(path))
    columns = [pulp.LpVariable(str(name), None if np.isinf(lo) else lo,
                               None if np.isinf(up) else up,
                               pulp.LpInteger if whole else pulp.LpContinuous)
               for name, lo, up, whole in zip(data["names"], data["lower"], data["upper"],
                                              data["integer"], strict=True)]
    for var, value in zip(columns, data["previous"], strict=True):
        var.varValue = float(value)
    rows = []
    for k, (lower, upper) in enumerate(zip(data["row_lower"], data["row_upper"], strict=True)):
        first, last = data["starts"][k], data["starts"][k + 1]
        coefs = {columns[i]: float(c) for i, c in zip(data["indices"][first:last],
                                                        data["values"][first:last], strict=True)}
        assert np.isinf(lower) != np.isinf(upper)  # every recorded row has one side
        sense, rhs = ((pulp.LpConstraintLE, upper) if np.isinf(lower)
                      else (pulp.LpConstraintGE, lower))
        rows.append((f"row_{k}", coefs, sense, float(rhs)))
    objective = pulp.LpAffineExpression([(v, float(c)) for v, c
                                         in zip(columns, data["cost"], strict=True) if c])
    return rows, objective, columns, data


def activity(data: dict, values: np.ndarray) -> np.ndarray:
    """Each recorded row's value at column values ``values``."""
    return np.array([data["values"][a:b] @ values[data["indices"][a:b]]
                     for a, b in zip(data["starts"][:-1], data["starts"][1:], strict=True)])
