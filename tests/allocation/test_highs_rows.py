"""HiGHS receives every model row in one ``addRows`` call (:class:`HighsStages`): the LP it
holds is the one a row-by-row build gives — the same bounds and the same matrix, entry for
entry — so the plans do not depend on how the rows were passed."""

from __future__ import annotations

import numpy as np
import pytest

import govsim
from govsim.allocation import build_model, estimates_from_scenario
from govsim.allocation.highs import HighsStages, new_highs


@pytest.mark.parametrize("objective", ["min_cost", "ordered_goals"])
@pytest.mark.parametrize("name", ["tiny", "guangan"])
def test_rows_passed_at_once_give_the_row_by_row_lp(name: str, objective: str) -> None:
    scenario = govsim.load_scenario(name)
    year = scenario.header.base_year
    model = build_model(scenario, estimates_from_scenario(scenario, year), year,
                        objective=objective, integer_posts=False)
    stages = HighsStages(model)
    by_row = new_highs()
    columns = stages.columns.variables
    by_row.addVars(len(columns), stages._lower, stages._upper)
    for row in model.rows:
        lower, upper = stages._bounds(row.constraint.sense, -row.constraint.constant)
        idx, val = stages._row(row.constraint)
        by_row.addRow(lower, upper, len(idx), idx, val)
    ours, theirs = stages.highs.getLp(), by_row.getLp()
    assert ours.num_row_ == theirs.num_row_ == len(model.rows) > 0
    for field in ("col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(np.asarray(getattr(ours, field)),
                              np.asarray(getattr(theirs, field))), field
    assert ours.a_matrix_.format_ == theirs.a_matrix_.format_
    for field in ("start_", "index_", "value_"):
        assert np.array_equal(np.asarray(getattr(ours.a_matrix_, field)),
                              np.asarray(getattr(theirs.a_matrix_, field))), field


@pytest.mark.parametrize("name", ["tiny", "guangan"])
def test_columns_follow_the_rows_first_appearance_by_name(name: str) -> None:
    """The columns listed by object in one pass (``row_variables``) are the name-keyed
    first-appearance listing the solvers' column order was defined by."""
    scenario = govsim.load_scenario(name)
    year = scenario.header.base_year
    model = build_model(scenario, estimates_from_scenario(scenario, year), year)
    by_name: dict[str, object] = {}
    for row in model.rows:
        for var in row.constraint:
            by_name.setdefault(var.name, var)
    for var in model.n.values():
        by_name.setdefault(var.name, var)
    for goal in model.goals:
        for var in goal.objective:
            by_name.setdefault(var.name, var)
    columns = HighsStages(model).columns.variables
    assert [v.name for v in columns] == list(by_name)
    assert all(a is b for a, b in zip(columns, by_name.values(), strict=True))
    assert len({v.name for v in columns}) == len(columns)  # one variable per name
