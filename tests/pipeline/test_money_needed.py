"""Every run has the money-needed table and chart (``govsim.budget`` on the run's own estimates
and its adopted plan)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import govsim
from govsim.budget import MONEY_NEEDED_COLUMNS, PREFECTURE


def test_every_run_has_money_needed(tmp_path: Path) -> None:
    result = govsim.run(govsim.load_scenario("tiny"), years=1, replications=2, workers=1)
    table = result.tables.money_needed
    assert list(table.columns) == MONEY_NEEDED_COLUMNS
    assert list(table["county"]) == ["east", "west", PREFECTURE]
    counties = table[table["county"] != PREFECTURE]
    assert table.iloc[-1]["need_cny"] == counties["need_cny"].sum()
    # unserved and people short come from the adopted plan
    plan = result.plans[0]
    assert table.iloc[-1]["staff_short"] == pytest.approx(plan.staffing["shortfall"].sum())
    assert not math.isnan(float(table.iloc[-1]["gap_cny"]))
    folder = result.write(tmp_path / "run")
    assert (folder / "money_needed.csv").exists()
    assert (folder / "plots" / "money_needed.png").exists()
