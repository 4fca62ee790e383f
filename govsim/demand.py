"""Demand for each (county, item) and the baseline staffing that meets it today.

Expected cases per year are driver × rate × (1 + growth)^(year − base_year), where the driver
is a sum of county figures (``dibao``, ``tekun``, ``villages`` …; ``county`` counts 1). Within
the year the rate follows the item's 12 monthly multipliers; each month is one twelfth of the
working year (``hours_per_year / 12`` working hours), so the simulation clock and the calendar
agree. Years are calendar years throughout; the base year is the first plan year.

The baseline says who does the work before any new purchase: establishment caseworkers first
serve the prohibited items (only they may), the rest of their hours spread over caseworker items
in proportion to demand hours; each child-welfare director gives ``director_hours_per_year`` to
the director item; incumbent contracts add their FTE.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from govsim.scenario import County, Item, Scenario

__all__ = [
    "PART_TIME_POST",
    "STAFFING_COLUMNS",
    "annual_cases",
    "baseline_staffing",
    "baseline_staffing_rows",
    "demand_table",
    "monthly_cases",
]

STAFFING_COLUMNS = ["county", "item", "source", "provider_type", "provider", "fte"]
#: ``provider_type`` of new part-time child-welfare director/supervisor posts (000 §(十)) in
#: a plan's purchases: public-welfare posts paid a subsidy, working like directors in post.
PART_TIME_POST = "part_time_post"


def annual_cases(scenario: Scenario, county: County, item: Item, year: int) -> float:
    """Expected cases of ``item`` in ``county`` in calendar ``year``."""
    return float(monthly_cases(scenario, county, item, year).sum())


def monthly_cases(scenario: Scenario, county: County, item: Item, year: int) -> np.ndarray:
    """Expected cases in each of the 12 months of ``year`` (multipliers averaging 1 keep the
    annual total at driver × rate × growth)."""
    driver = sum(county.driver(name) for name in item.driver)
    growth = (1.0 + item.growth) ** (year - scenario.header.base_year)
    return driver * item.rate * growth * np.asarray(item.monthly, dtype=float) / 12.0


def demand_table(scenario: Scenario, year: int) -> pd.DataFrame:
    """One row per (county, item): expected cases, hours per case and demand hours in ``year``."""
    rows = []
    for county in scenario.counties:
        for item in scenario.items:
            cases = annual_cases(scenario, county, item, year)
            rows.append({"year": year, "county": county.id, "item": item.id, "cases": cases,
                         "hours_per_case": item.mean_hours,
                         "demand_hours": cases * item.mean_hours})
    return pd.DataFrame(rows)


def baseline_staffing(scenario: Scenario) -> pd.DataFrame:
    """FTE working on each (county, item) in the base year, by source.

    ``source`` is ``public`` (establishment caseworkers), ``director`` (child-welfare directors'
    part-time hours) or ``contract`` (incumbent purchase contracts).
    """
    return pd.DataFrame(baseline_staffing_rows(scenario), columns=STAFFING_COLUMNS)


def baseline_staffing_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """The rows of :func:`baseline_staffing` as dicts (no DataFrame: the simulation reads them
    once per simulated year)."""
    demand = _demand_hours(scenario, scenario.header.base_year)
    hours_per_fte = scenario.header.productive_hours_per_fte
    explicit = {(s.county, s.item): s.fte for s in scenario.baseline.public_staff}
    rows: list[dict[str, Any]] = []
    for county in scenario.counties:
        mine = {k: v for k, v in explicit.items() if k[0] == county.id}
        if mine or scenario.baseline.caseworker_assignment == "explicit":
            public = {item: fte for (_, item), fte in mine.items()}
        else:
            public = _prohibited_first(scenario, county, demand, hours_per_fte)
        rows += [{"county": county.id, "item": item, "source": "public",
                  "provider_type": "public", "provider": "public", "fte": fte}
                 for item, fte in public.items() if fte > 0]
        director_item = scenario.baseline.director_item
        if director_item and county.child_welfare_directors:
            fte = county.child_welfare_directors * scenario.baseline.director_hours_per_year
            rows.append({"county": county.id, "item": director_item, "source": "director",
                         "provider_type": "public", "provider": "director",
                         "fte": fte / hours_per_fte})
    for contract in scenario.baseline.contracts:
        rows.append({"county": contract.county, "item": contract.item, "source": "contract",
                     "provider_type": contract.provider_type,
                     "provider": contract.provider or f"{contract.county}-{contract.item}-"
                                                       f"{contract.provider_type}",
                     "fte": contract.fte})
    return rows


def _demand_hours(scenario: Scenario, year: int) -> dict[tuple[str, str], float]:
    """Expected demand hours per (county, item) in ``year`` (the ``demand_table`` figures)."""
    return {(county.id, item.id): annual_cases(scenario, county, item, year) * item.mean_hours
            for county in scenario.counties for item in scenario.items}


def _prohibited_first(scenario: Scenario, county: County,
                      demand: dict[tuple[str, str], float],
                      hours_per_fte: float) -> dict[str, float]:
    """Split a county's public caseworkers: prohibited items first, then caseworker items."""
    hours_left = county.public_caseworkers * hours_per_fte
    public: dict[str, float] = {}
    for item in scenario.items:
        if item.kind == "prohibited":
            hours = min(hours_left, demand[(county.id, item.id)])
            public[item.id] = hours / hours_per_fte
            hours_left -= hours
    caseworker_items = [i.id for i in scenario.items
                        if i.counts_toward == "caseworker" and i.kind != "prohibited"]
    total = sum(demand[(county.id, i)] for i in caseworker_items)
    for item_id in caseworker_items:
        share = demand[(county.id, item_id)] / total if total > 0 else 0.0
        public[item_id] = hours_left * share / hours_per_fte
    return public
