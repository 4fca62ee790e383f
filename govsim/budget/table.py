"""THE money-needed table: one row per plan year × county, plus the prefecture's row per year.

:func:`money_needed_table` is the one definition of every figure of ``money_needed.csv``, used
by ``govsim budget``, by every run folder and by whatever shows them (the report's first screen,
``plan.xlsx``). It reads, for each plan year, two allocations of the same year's estimates
(:class:`YearBudget`):

- the **need plan** — :func:`govsim.allocation.allocate` with ``objective = "min_cost"``: the
  least money meeting the statutory duties, the staffing rules (2 ‰ caseworkers, child-welfare
  staff), the floors and the coverage target, with the caps lifted;
- the **capped plan** — the ordered goals under every cap (in a run: the adopted plan).

Columns (money in CNY rounded to whole yuan; a figure that cannot be computed is empty, never 0):

``year``, ``county`` (``""`` on the prefecture's row), ``need_cny`` (every yuan of the need
plan: contracts in force, new purchases, new part-time posts), ``cap_cny`` (what the caps allow
for purchases: the county's relief cap plus its share of the child-welfare fund; the prefecture
adds the lottery fund, bounded by a total budget when the scenario has one; empty for a county
when a cap or fund is pooled over the prefecture), ``gap_cny`` = max(0, need − cap) of the
rounded figures, ``unserved_hours`` and ``unserved_cases`` (what the capped plan leaves below
the targets: all statutory work, else max(coverage target, the item's floor) of each
purchasable item's need; 2 decimals, so that a yuan of gap shows), ``unserved_items``
(item ids joined by ``;``, most unserved hours first), ``staff_short`` (people the capped
plan leaves short of both staffing rules), and the 80 % bands ``need_cny_p10``,
``need_cny_p90``, ``gap_cny_p10``, ``gap_cny_p90`` (empty without ``--uncertainty``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govsim.allocation import AllocationResult
from govsim.allocation.model import child_fund_limits
from govsim.policy import relief_cap_limits
from govsim.scenario import Scenario

__all__ = ["BAND_COLUMNS", "DRIVER_COLUMNS", "MONEY_NEEDED_COLUMNS", "PREFECTURE",
           "UNCERTAINTY_COLUMNS", "YearBudget", "cap_limits",
           "cell_targets", "money_needed_table", "need_and_gap", "unserved_cells",
           "with_band_columns"]

#: The 80 % band columns (filled from ``uncertainty.csv``'s p10 and p90).
BAND_COLUMNS = ["need_cny_p10", "need_cny_p90", "gap_cny_p10", "gap_cny_p90"]
#: The columns of ``money_needed.csv``, in order.
MONEY_NEEDED_COLUMNS = ["year", "county", "need_cny", "cap_cny", "gap_cny", "unserved_hours",
                        "unserved_cases", "unserved_items", "staff_short", *BAND_COLUMNS]
#: The columns of ``uncertainty.csv``: 80 % bands of the sampled outcomes
#: (:mod:`govsim.uncertainty`), the point, the samples and where the point lies among them
#: (``point_percentile``, 0–100), defined here beside the table they band.
UNCERTAINTY_COLUMNS = ["metric", "county", "year", "p10", "p50", "p90", "unit", "point",
                       "samples", "point_percentile"]
#: The columns of ``uncertainty_drivers.csv``.
DRIVER_COLUMNS = ["metric", "input", "index", "method", "r2", "samples"]
#: ``county`` of the prefecture's row.
PREFECTURE = ""
#: Unserved hours below this are solver noise (an hour in ten thousand).
HOURS_EPSILON = 1e-4


@dataclass(frozen=True)
class YearBudget:
    """One plan year's need plan (``min_cost``, caps lifted) and capped plan (under the caps)."""

    year: int
    need: AllocationResult
    capped: AllocationResult


def cap_limits(scenario: Scenario, year: int) -> dict[str, float]:
    """CNY the caps allow for purchases in ``year``: per county id (NaN when a cap or fund is
    pooled) and for the prefecture (key :data:`PREFECTURE`)."""
    relief = relief_cap_limits(scenario, year)
    child = child_fund_limits(scenario)
    out: dict[str, float] = {}
    for county in scenario.counties:
        if county.id in relief and county.id in child:
            out[county.id] = relief[county.id] + child[county.id]
        else:
            out[county.id] = math.nan
    total = math.fsum(relief.values()) + math.fsum(child.values()) + scenario.funds.lottery
    if scenario.funds.total_budget is not None:
        total = min(total, scenario.funds.total_budget)
    out[PREFECTURE] = total
    return out


def cell_targets(scenario: Scenario) -> dict[str, float]:
    """Share of each purchasable item's need (hours) the targets ask for: 1 for statutory
    work, else max(``policy.coverage_target``, the item's ``min_coverage``)."""
    target = scenario.policy.coverage_target
    return {i.id: 1.0 if i.statutory else max(target, i.min_coverage)
            for i in scenario.purchasable_items}


def money_needed_table(scenario: Scenario, years: Sequence[YearBudget],
                       bands: pd.DataFrame | None = None) -> pd.DataFrame:
    """The money-needed table (see the module docstring).

    Parameters
    ----------
    scenario
        The scenario both plans were made for (its coverage target and caps).
    years
        One :class:`YearBudget` per plan year.
    bands
        Optional ``uncertainty.csv`` rows (``metric, county, year, p10, p90``); its ``need_cny``
        and ``gap_cny`` rows fill the band columns.

    Returns
    -------
    DataFrame
        :data:`MONEY_NEEDED_COLUMNS`, years ascending, counties in scenario order, the
        prefecture's row last in each year.
    """
    targets = cell_targets(scenario)
    rows = []
    for budget in years:
        money = need_and_gap(scenario, budget.year, budget.need.allocation)
        short = budget.capped.staffing.groupby("county")["shortfall"].sum()
        unserved = unserved_cells(budget.capped.unmet, targets)
        for county in [c.id for c in scenario.counties] + [PREFECTURE]:
            mine = unserved if county == PREFECTURE else unserved[unserved["county"] == county]
            by_item = mine.groupby("item")["hours"].sum().sort_values(ascending=False,
                                                                       kind="stable")
            by_item = by_item[by_item > HOURS_EPSILON]
            need_cny, cap_cny, gap_cny = money[county]
            rows.append({
                "year": budget.year, "county": county, "need_cny": need_cny,
                "cap_cny": cap_cny, "gap_cny": gap_cny,
                "unserved_hours": round(float(mine["hours"].sum()), 2),
                "unserved_cases": round(float(mine["cases"].sum()), 2),
                "unserved_items": ";".join(by_item.index),
                "staff_short": round(float(short.sum() if county == PREFECTURE
                                           else short.get(county, 0.0)), 2),
            })
    table = pd.DataFrame(rows, columns=MONEY_NEEDED_COLUMNS[:-len(BAND_COLUMNS)])
    for column in ("year", "need_cny", "cap_cny", "gap_cny"):
        table[column] = table[column].astype("Int64")
    for column in BAND_COLUMNS:
        table[column] = pd.array([pd.NA] * len(table), dtype="Int64")
    if bands is not None and len(bands):
        table = with_band_columns(table, bands)
    return table[MONEY_NEEDED_COLUMNS]


def need_and_gap(scenario: Scenario, year: int, need_allocation: pd.DataFrame
                 ) -> dict[str, tuple[object, object, object]]:
    """``need_cny, cap_cny, gap_cny`` per county id and for the prefecture (key
    :data:`PREFECTURE`) from a need plan's ``allocation`` table: whole yuan, the gap
    max(0, need − cap) of the rounded figures, NA where a cap is pooled. The one definition of
    the three money columns (the table and the run's band, :mod:`govsim.uncertainty.run_band`).
    """
    caps = cap_limits(scenario, year)
    need = need_allocation.groupby("county")["cost"].sum() if len(need_allocation) \
        else pd.Series(dtype=float)
    out: dict[str, tuple[object, object, object]] = {}
    for county in [c.id for c in scenario.counties] + [PREFECTURE]:
        need_cny = _yuan(need.sum() if county == PREFECTURE else need.get(county, 0.0))
        cap_cny = _yuan(caps[county])
        out[county] = (need_cny, cap_cny,
                       pd.NA if pd.isna(cap_cny) else max(0, need_cny - cap_cny))
    return out


def _yuan(value: float) -> object:
    """Whole yuan (half away from zero is not needed: money is never negative), or NA."""
    return pd.NA if value is None or not math.isfinite(float(value)) else round(value)


def unserved_cells(unmet: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """Hours and cases of each purchasable cell of a plan's ``unmet`` table below its
    target (:func:`cell_targets`): ``county, item, hours, cases``."""
    cells = unmet[unmet["item"].isin(list(targets))]
    want = cells["item"].map(targets).astype(float) * cells["hours_need"].astype(float)
    hours = (want - cells["hours_served"].astype(float)).clip(lower=0.0)
    per_case = cells["hours_need"].astype(float) / cells["cases_demand"].astype(float)
    cases = hours / per_case.where(per_case > 0)
    return pd.DataFrame({"county": cells["county"].to_numpy(), "item": cells["item"].to_numpy(),
                         "hours": hours.where(hours > HOURS_EPSILON, 0.0).to_numpy(),
                         "cases": cases.fillna(0.0).where(hours > HOURS_EPSILON, 0.0)
                         .to_numpy()})


def with_band_columns(table: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """A copy of a money-needed ``table`` with its band columns filled from
    ``uncertainty.csv`` rows (whole yuan; empty where a band is missing)."""
    lookup: dict[tuple[str, str, int], tuple[float, float]] = defaultdict(
        lambda: (math.nan, math.nan))
    for row in bands.itertuples(index=False):
        if pd.isna(row.year):
            continue  # the plan horizon's total (no row of this table)
        lookup[str(row.metric), str(row.county), int(row.year)] = (float(row.p10),
                                                                   float(row.p90))
    table = table.copy()
    for metric in ("need_cny", "gap_cny"):
        pairs = [lookup[metric, c, int(y)] for c, y in zip(table["county"], table["year"],
                                                            strict=True)]
        for k, suffix in enumerate(("p10", "p90")):
            values = np.array([p[k] for p in pairs], dtype=float)
            table[f"{metric}_{suffix}"] = pd.array(
                [pd.NA if not math.isfinite(v) else round(v) for v in values],
                dtype="Int64")
    return table
