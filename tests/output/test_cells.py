"""One text for a figure that cannot be computed, everywhere a user reads it: the report's cells
and the terminal show :data:`~govsim.output.cells.MISSING` — never "nan", never 0, and not the
en dash of a range."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import govsim
from govsim.cli.budget import print_money_needed
from govsim.output.cells import MISSING, cell, num, pct, wan, wan_range, year
from tests.output.money_fixture import money_needed_fixture


@pytest.mark.parametrize("value", [None, math.nan, float("nan"), pd.NA])
def test_every_format_shows_a_missing_figure_as_missing(value: object) -> None:
    assert {cell(value), wan(value), wan(value, 0), pct(value), num(value), year(value),
            wan_range(value, 1e4), wan_range(1e4, value)} == {MISSING}
    assert MISSING != "–"  # the dash between a range's ends


def test_the_same_value_reads_the_same_in_each_format() -> None:
    assert wan(12_345_678) == "1,234.6" and wan(12_345_678, 0) == "1,235"
    assert wan_range(12_345_678, 23_456_789, 0) == "1,235–2,346"
    assert num(64.6) == "64.6" and num(64.6, 0) == "65" and pct(0.3331) == "33.3%"


def test_the_terminal_money_table_shows_a_county_it_cannot_compute_as_missing(
        tiny: govsim.Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    counties = [c.id for c in tiny.counties]
    table = money_needed_fixture(counties, [2025], gaps={counties[0]: 250_000.0},
                                 missing_county=counties[1])
    print_money_needed(table, tiny, "en")
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if "West County" in line)
    assert "nan" not in printed.lower()
    # need, gap, the two bands, the hours and cases unserved
    assert row.count(MISSING) == 6 and "—–—" not in row
